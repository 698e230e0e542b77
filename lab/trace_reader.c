/* SPDX-License-Identifier: MIT */
/*
 * Decompressing line reader.  One window of text is kept and lines are
 * returned in place (the newline overwritten by NUL, put back on the next
 * call), so memory stays constant however long the trace is.
 *
 * Plain and gzip text is read into a flat window whose unfinished tail is
 * moved to the front when room runs short.  zstd is decoded with the
 * buffer-less API straight into a round buffer that is also zstd's own
 * history window (no copy out of the decoder): at the end of the ring the
 * unfinished line is copied into a pad just before the ring's start, so it
 * continues contiguously into the next block written there.
 *
 * A regular file is read ahead by a thread of its own from the first
 * trace_reader_next(): it decompresses and splits lines into chunks
 * (copied, NUL-terminated) handed over a small ring, so decompression
 * runs beside the parse instead of before it.  The lines are the same,
 * in the same order; the chunk's owner alone touches it.
 */
#include "trace_reader.h"
#include "trace_bin.h"
#include "trace_dat.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY /* buffer-less decoding, checksum switch */
#include <zstd.h>
#include <zstd_errors.h>

/* A whole compressed zstd block (<= 128 KiB) must fit. */
#define IN_SIZE  (256u * 1024u)
/* Room for a few dozen maximal lines so refills are rare. */
#define WIN_SIZE (256u * 1024u)
/* Before the zstd ring: room for an unfinished line carried over a wrap. */
#define RING_PAD (TRACE_LINE_MAX + 2u)
/* Largest zstd window accepted: libzstd's own default decoding limit. */
#define ZSTD_WINDOW_LIMIT (1ull << ZSTD_WINDOWLOG_LIMIT_DEFAULT)
/* Smallest ring, so tiny frames do not reallocate it frame by frame. */
#define RING_MIN (256u * 1024u)
/* Read-ahead: chunks of lines in flight, each of CHUNK_BYTES of text
 * (thousands of lines: a hand-over per chunk is rare). */
#define CHUNKS 4
#define CHUNK_BYTES (512u * 1024u)
#define CHUNK_LINES (CHUNK_BYTES / 16u)

/* What the accessors report, as of the end of a chunk. */
struct reader_figures {
	uint64_t done;        /* trace_reader_position() */
	uint64_t overlong;
	uint32_t crc;
	bool truncated;
};

/* Lines read ahead: [off[i], off[i] + len[i]) of text, NUL after each. */
struct chunk {
	char *text;
	uint32_t *off, *len;
	unsigned n;
	long end;             /* 0: more follow; else what next() returns
	                       * after the last line (-1 or -EIO) */
	struct reader_figures fig; /* when it was filled */
};

/* The read-ahead thread and its ring (see the file's comment). */
struct ahead {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t filled;   /* a chunk was handed over */
	pthread_cond_t freed;    /* a chunk was given back, or stop */
	uint64_t produced, consumed; /* chunks; under lock */
	bool stop;               /* under lock */
	uint64_t cpu_ns;         /* the thread's CPU time, set as it ends */
	bool holding;            /* the consumer owns chunk consumed % CHUNKS */
	unsigned next;           /* its next line */
	struct reader_figures fig; /* the held chunk's */
	struct chunk ch[CHUNKS];
};

struct trace_reader {
	int fd;
	bool own_fd;
	enum trace_compression comp;
	bool in_eof;          /* no more compressed input */
	bool out_eof;         /* no more decompressed output */
	bool truncated;
	bool frame_open;      /* compressed frame started and not finished */
	bool skipping;        /* discarding the rest of an overlong line */
	uint64_t overlong;
	uint64_t in_done, in_total;
	uint64_t out_done;    /* bytes of text produced before lim */
	uint32_t crc;         /* CRC-32 of the bytes read so far */

	unsigned char *in;    /* compressed input */
	size_t in_pos, in_len;

	char *buf;            /* allocation: [pad] window [+1 for a NUL] */
	size_t buf_size;      /* window bytes */
	char *win, *win_end;  /* the window (zstd: the ring after its pad) */
	char *cur, *lim;      /* unread text */
	char *fix_at;         /* byte overwritten by the last line's NUL */
	char fix_ch;

	struct trace_dat *dat;
	char *path;           /* a trace.dat's, to open it again on rewind */
	ZSTD_DCtx *zd;
	size_t zblock;        /* largest block of the current frame */
	struct ahead *ahead;  /* read-ahead running (NULL: read here) */
	uint64_t ahead_cpu_ns; /* the last joined read-ahead thread's CPU */
	bool ahead_off;       /* not a regular file, or it could not start */
	z_stream gz;
	bool gz_init;
	char errmsg[160];
};

const char *trace_compression_name(enum trace_compression c)
{
	switch (c) {
	case TRACE_ZSTD: return "zstd";
	case TRACE_GZIP: return "gzip";
	case TRACE_DAT: return "trace.dat";
	default: return "plain";
	}
}

static void set_err(char *err, size_t len, const char *fmt, const char *path,
		    const char *why)
{
	if (err && len)
		snprintf(err, len, fmt, path, why);
}

static ssize_t read_some(int fd, void *buf, size_t n)
{
	for (;;) {
		ssize_t got = read(fd, buf, n);
		if (got >= 0 || errno != EINTR)
			return got;
	}
}

/* One read of the input into dst, counted: end of input noted, the bytes
 * added to the input's checksum and progress.  Returns bytes read (0 at
 * end) or -EIO with the reason in errmsg. */
static ssize_t read_counted(struct trace_reader *r, void *dst, size_t room)
{
	ssize_t got = read_some(r->fd, dst, room);

	if (got < 0) {
		snprintf(r->errmsg, sizeof(r->errmsg), "read: %s",
			 strerror(errno));
		return -EIO;
	}
	if (got == 0)
		r->in_eof = true;
	r->crc = (uint32_t)crc32(r->crc, dst, (uInt)got);
	r->in_done += (uint64_t)got;
	return got;
}

/* Fill the compressed buffer so at least `want` bytes are there (or EOF). */
static int fill_in(struct trace_reader *r, size_t want)
{
	if (r->in_pos > 0 && r->in_pos < r->in_len)
		memmove(r->in, r->in + r->in_pos, r->in_len - r->in_pos);
	r->in_len -= r->in_pos;
	r->in_pos = 0;
	while (!r->in_eof && r->in_len < want) {
		ssize_t got = read_counted(r, r->in + r->in_len,
					   IN_SIZE - r->in_len);
		if (got < 0)
			return -EIO;
		r->in_len += (size_t)got;
	}
	return 0;
}

/* Text if the first bytes have no NUL and few control characters. */
static bool looks_like_text(const unsigned char *p, size_t n)
{
	size_t bad = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == 0)
			return false;
		if (p[i] < 0x20 && p[i] != '\n' && p[i] != '\t' && p[i] != '\r')
			bad++;
	}
	return bad * 20 <= n;
}

/* Binary files that are no trace, by their magic number, and the
 * command that gives the text (NULL: there is none). */
static const struct binary_kind {
	const char *magic;
	size_t n;
	const char *what;
	const char *tool;
} binary_kinds[] = {
	{ "PERFILE2", 8, "a perf binary file (perf.data)", "perf script -i" },
	{ "PERFFILE", 8, "a perf binary file (perf.data)", "perf script -i" },
	{ "\xfd" "7zXZ", 6, "xz-compressed", "xz -dc" },
	{ "BZh", 3, "bzip2-compressed", "bzip2 -dc" },
	{ "\x04\x22\x4d\x18", 4, "lz4-compressed", "lz4 -dc" },
	{ "\x02\x21\x4c\x18", 4, "lz4-compressed (legacy format)", "lz4 -dc" },
	{ "\x89" "LZO\0\r\n\x1a\n", 9, "lzop-compressed", "lzop -dc" },
	{ "\x7f" "ELF", 4, "an ELF executable or object file, not a trace", NULL },
	{ TRACE_BIN_MAGIC, TRACE_BIN_MAGIC_LEN, "a pagealloc event file "
	  "(`pagealloc convert`): only `pagealloc replay` reads it, and from "
	  "a regular file, not a pipe", NULL },
};

/* A binary capture: say exactly how to turn it into text we read. */
static void refuse_binary(char *err, size_t len, const char *path,
			  const char *what, const char *tool)
{
	if (err && len)
		snprintf(err, len, "%s: %s; convert it to text first: "
			 "`%s %s > %s.txt`, then replay %s.txt", path, what,
			 tool, path, path, path);
}

/* Input that is not text: name what it is and how to get text from it,
 * or where its first NUL byte is. */
static void refuse_not_text(char *err, size_t len, const char *path,
			    const unsigned char *p, size_t n)
{
	const unsigned char *nul = memchr(p, 0, n);

	for (size_t i = 0; i < sizeof(binary_kinds) / sizeof(binary_kinds[0]); i++) {
		const struct binary_kind *k = &binary_kinds[i];

		if (n < k->n || memcmp(p, k->magic, k->n))
			continue;
		if (k->tool)
			refuse_binary(err, len, path, k->what, k->tool);
		else
			set_err(err, len, "%s: %s", path, k->what);
		return;
	}
	if (nul && err && len)
		snprintf(err, len, "%s: binary data (a NUL byte at offset %zu), not "
			 "a trace: want ftrace, `trace-cmd report` or `perf script` "
			 "text, plain, zstd or gzip", path, (size_t)(nul - p));
	else if (!nul)
		set_err(err, len, "%s: %s", path, "unknown format: control "
			"characters, not ftrace text, zstd or gzip");
}

/* A trace.dat: the file's CRC-32 and size first (libtracecmd reads it
 * itself), then libtracecmd opens it. */
static int dat_open(struct trace_reader *r, const char *path, char *err,
		    size_t len)
{
	while (!r->in_eof) {
		r->in_pos = r->in_len = 0;
		if (fill_in(r, IN_SIZE) < 0) {
			set_err(err, len, "%s: cannot read: %s", path,
				strerror(errno));
			return -EIO;
		}
	}
	r->in_pos = r->in_len = 0;
	if (!r->path && !(r->path = strdup(path))) {
		set_err(err, len, "%s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	return trace_dat_open(&r->dat, path, err, len);
}

/* A window of `size` bytes after a pad of `pad`, keeping the unread tail
 * (at most RING_PAD bytes; the caller's rule) at the end of the pad, or at
 * the window's start when there is no pad. */
static int window_alloc(struct trace_reader *r, size_t pad, size_t size)
{
	size_t tail = (size_t)(r->lim - r->cur);
	char *nb = malloc(pad + size + 1);

	if (!nb)
		return -ENOMEM;
	r->win = nb + pad;
	r->win_end = r->win + size;
	r->cur = r->win - (pad ? tail : 0);
	if (tail)
		memcpy(r->cur, r->lim - tail, tail);
	r->lim = r->cur + tail;
	r->fix_at = NULL;
	free(r->buf);
	r->buf = nb;
	r->buf_size = size;
	return 0;
}

/* The reason for an allocation that failed while opening. */
static int open_nomem(char *err, size_t len, const char *path)
{
	set_err(err, len, "%s: %s", path, strerror(ENOMEM));
	return -ENOMEM;
}

/* The file, or stdin for "-".  Returns 0 or -errno with the reason. */
static int open_fd(struct trace_reader *r, const char *path, char *err,
		   size_t len)
{
	if (strcmp(path, "-") == 0) {
		r->fd = 0;
		return 0;
	}
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		int rc = -errno;

		set_err(err, len, "%s: cannot open: %s", path, strerror(errno));
		return rc;
	}
	r->own_fd = true;
	return 0;
}

/* What the descriptor is: a directory is refused; a regular file's size
 * is the progress total, and only it is read ahead (*regular). */
static int stat_source(struct trace_reader *r, const char *path,
		       bool *regular, char *err, size_t len)
{
	struct stat st;
	bool ok = fstat(r->fd, &st) == 0;

	if (ok && S_ISDIR(st.st_mode)) {
		set_err(err, len, "%s: %s", path, strerror(EISDIR));
		return -EISDIR;
	}
	*regular = ok && S_ISREG(st.st_mode);
	if (*regular)
		r->in_total = (uint64_t)st.st_size;
	/* a pipe may block: a thread reading it ahead could not be
	 * stopped when the caller stops early */
	r->ahead_off = !*regular;
	return 0;
}

static int zstd_start(struct trace_reader *r, const char *path, char *err,
		      size_t len)
{
	r->comp = TRACE_ZSTD;
	r->zd = ZSTD_createDCtx();
	/* The frame checksum (XXH64 of all the text, ~130 instructions a
	 * line) is not verified: a corrupt block still fails to decode, and
	 * every line is checked by the parser, which counts what it cannot
	 * read. */
	if (!r->zd || ZSTD_isError(ZSTD_DCtx_setParameter(r->zd,
			ZSTD_d_forceIgnoreChecksum, ZSTD_d_ignoreChecksum)))
		return open_nomem(err, len, path);
	return 0;
}

static int gzip_start(struct trace_reader *r, const char *path, char *err,
		      size_t len)
{
	r->comp = TRACE_GZIP;
	/* 15 + 16: gzip wrapper only; members are chained by hand. */
	if (inflateInit2(&r->gz, 15 + 16) != Z_OK)
		return open_nomem(err, len, path);
	r->gz_init = true;
	return 0;
}

static int dat_start(struct trace_reader *r, const char *path, bool regular,
		     char *err, size_t len)
{
	if (!regular) {
		/* libtracecmd seeks: a pipe cannot be read */
		refuse_binary(err, len, path, "a trace-cmd trace.dat on a pipe",
			      "trace-cmd report -i");
		return -EPROTONOSUPPORT;
	}
	r->comp = TRACE_DAT;
	return dat_open(r, path, err, len);
}

/* The format, from the first bytes read: zstd, gzip, trace.dat or plain
 * text; anything else is refused, named when it can be. */
static int sniff_format(struct trace_reader *r, const char *path,
			bool regular, char *err, size_t len)
{
	const unsigned char *in = r->in;

	if (r->in_len >= 4 && in[0] == 0x28 && in[1] == 0xb5 &&
	    in[2] == 0x2f && in[3] == 0xfd)
		return zstd_start(r, path, err, len);
	if (r->in_len >= 2 && in[0] == 0x1f && in[1] == 0x8b)
		return gzip_start(r, path, err, len);
	if (r->in_len >= 10 && memcmp(in, "\027\010Dtracing", 10) == 0)
		return dat_start(r, path, regular, err, len);
	if (!looks_like_text(r->in, r->in_len)) {
		refuse_not_text(err, len, path, r->in, r->in_len);
		return -EPROTONOSUPPORT;
	}
	r->comp = TRACE_PLAIN;
	return 0;
}

/* Everything after the open: the first bytes, the format, the window.
 * Returns 0 or -errno with the reason; the caller closes r. */
static int start_reading(struct trace_reader *r, const char *path, char *err,
			 size_t len)
{
	bool regular;
	int rc = stat_source(r, path, &regular, err, len);

	if (rc)
		return rc;
	r->in = malloc(IN_SIZE);
	if (!r->in)
		return open_nomem(err, len, path);
	if (fill_in(r, 512) < 0) {
		set_err(err, len, "%s: cannot read: %s", path, strerror(errno));
		return -EIO;
	}
	rc = sniff_format(r, path, regular, err, len);
	if (rc)
		return rc;
	if (r->comp != TRACE_ZSTD && window_alloc(r, 0, WIN_SIZE) < 0)
		return open_nomem(err, len, path);
	return 0;
}

int trace_reader_open(struct trace_reader **out, const char *path,
		      char *err, size_t len)
{
	struct trace_reader *r = calloc(1, sizeof(*r));
	int rc;

	if (err && len)
		err[0] = 0;
	*out = NULL;
	if (!r)
		return open_nomem(err, len, path);
	rc = open_fd(r, path, err, len);
	if (rc) {
		free(r);
		return rc;
	}
	rc = start_reading(r, path, err, len);
	if (rc) {
		trace_reader_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

/* Read into dst directly (plain text needs no intermediate buffer), the
 * bytes kept from the opening sniff first.  Returns bytes added, 0 at end,
 * or -EIO. */
static long read_plain(struct trace_reader *r, char *dst, size_t room)
{
	size_t n = r->in_len - r->in_pos;
	ssize_t got;

	if (n) {
		if (n > room)
			n = room;
		memcpy(dst, r->in + r->in_pos, n);
		r->in_pos += n;
		return (long)n;
	}
	if (r->in_eof)
		return 0;
	got = read_counted(r, dst, room);
	return got < 0 ? -EIO : (long)got;
}

/* One gzip inflate step into dst; returns bytes added (0 at end) or -EIO,
 * and 0 with *again set when only metadata was consumed. */
static long inflate_some(struct trace_reader *r, char *dst, size_t room,
			 bool *again)
{
	int zr;

	*again = false;
	if (r->in_pos == r->in_len && !r->in_eof && fill_in(r, 1) < 0)
		return -EIO;
	if (r->in_pos == r->in_len && r->in_eof) {
		r->truncated = r->frame_open;
		return 0;
	}
	r->gz.next_in = r->in + r->in_pos;
	r->gz.avail_in = (uInt)(r->in_len - r->in_pos);
	r->gz.next_out = (Bytef *)dst;
	r->gz.avail_out = (uInt)room;
	zr = inflate(&r->gz, Z_NO_FLUSH);
	r->in_pos = r->in_len - r->gz.avail_in;
	if (zr == Z_STREAM_END) {
		r->frame_open = false;
		inflateReset(&r->gz);
	} else if (zr == Z_OK || zr == Z_BUF_ERROR) {
		r->frame_open = true;
	} else {
		snprintf(r->errmsg, sizeof(r->errmsg), "gzip: %s",
			 r->gz.msg ? r->gz.msg : "corrupt data");
		return -EIO;
	}
	if (room - r->gz.avail_out)
		return (long)(room - r->gz.avail_out);
	if (zr == Z_BUF_ERROR && r->in_eof && r->in_pos == r->in_len) {
		r->truncated = true;
		return 0;
	}
	*again = true;
	return 0;
}

/* trace.dat: records as text lines while a whole line surely fits. */
static long dat_lines(struct trace_reader *r)
{
	char *p = r->lim;
	size_t n;

	while ((size_t)(r->win_end - p) > TRACE_LINE_MAX &&
	       (n = trace_dat_line(r->dat, p, TRACE_LINE_MAX)) > 0)
		p += n;
	return (long)(p - r->lim);
}

/* Plain, gzip and trace.dat: append at lim, the unread tail moved to the window's
 * start first when less than a quarter of the window is left. */
static long produce_flat(struct trace_reader *r)
{
	bool again;
	long got;

	if (r->cur != r->win &&
	    (size_t)(r->win_end - r->lim) < r->buf_size / 4) {
		size_t tail = (size_t)(r->lim - r->cur);

		memmove(r->win, r->cur, tail);
		r->cur = r->win;
		r->lim = r->win + tail;
	}
	if (r->comp == TRACE_DAT)
		return dat_lines(r);
	do {
		size_t room = (size_t)(r->win_end - r->lim);

		got = r->comp == TRACE_PLAIN ? read_plain(r, r->lim, room) :
			inflate_some(r, r->lim, room, &again);
	} while (r->comp == TRACE_GZIP && got == 0 && again);
	return got;
}

static long zstd_fail(struct trace_reader *r, const char *why)
{
	snprintf(r->errmsg, sizeof(r->errmsg), "zstd: %s", why);
	return -EIO;
}

/* Move the unread tail to the end of the pad and write from the ring's
 * start again (zstd's round-buffer rule: the blocks behind stay intact
 * as its history). */
static void ring_wrap(struct trace_reader *r)
{
	size_t tail = (size_t)(r->lim - r->cur);

	memmove(r->win - tail, r->cur, tail);
	r->cur = r->win - tail;
	r->lim = r->win;
}

/* At a frame's start: read its header, size the ring for its window and
 * begin decoding.  Returns 1 when a frame began, 0 at the clean end of the
 * input (or a truncated header: r->truncated), or -EIO. */
static long zstd_frame_begin(struct trace_reader *r)
{
	ZSTD_frameHeader fh;
	size_t avail, ret, need;

	if (r->in_len - r->in_pos < ZSTD_FRAMEHEADERSIZE_MAX &&
	    fill_in(r, ZSTD_FRAMEHEADERSIZE_MAX) < 0)
		return -EIO;
	avail = r->in_len - r->in_pos;
	if (avail == 0)
		return 0;
	ret = ZSTD_getFrameHeader(&fh, r->in + r->in_pos, avail);
	if (ZSTD_isError(ret))
		return zstd_fail(r, ZSTD_getErrorName(ret));
	if (ret > 0) {          /* the file ends inside a header */
		r->truncated = true;
		return 0;
	}
	if (fh.frameType == ZSTD_frame) {
		if (fh.windowSize > ZSTD_WINDOW_LIMIT)
			return zstd_fail(r, ZSTD_getErrorString(
					ZSTD_error_frameParameter_windowTooLarge));
		/* As a round buffer (produce_zstd wraps when a block may
		 * not fit): window + blocks, never just the content size,
		 * which suits only a buffer written straight through (a
		 * single-segment frame's window is its content size: sized
		 * so, the wrap overwrote history still referenced). */
		need = ZSTD_decodingBufferSize_min(fh.windowSize,
						   ZSTD_CONTENTSIZE_UNKNOWN);
		if (ZSTD_isError(need))
			return zstd_fail(r, ZSTD_getErrorName(need));
		if (need < RING_MIN)
			need = RING_MIN;
		if (!r->buf || need > r->buf_size) {
			if (window_alloc(r, RING_PAD, need) < 0) {
				return zstd_fail(r, strerror(ENOMEM));
			}
		}
		ring_wrap(r);   /* a new frame has no history to keep */
		r->zblock = fh.blockSizeMax;
	}
	ret = ZSTD_decompressBegin(r->zd);
	if (ZSTD_isError(ret))
		return zstd_fail(r, ZSTD_getErrorName(ret));
	r->frame_open = true;
	return 1;
}

/* zstd: decode at lim, block after block, until some text comes.  Returns
 * bytes added, 0 at the end of the input, or -EIO. */
static long produce_zstd(struct trace_reader *r)
{
	for (;;) {
		size_t need, got;
		ZSTD_nextInputType_e t;

		if (!r->frame_open) {
			long b = zstd_frame_begin(r);
			if (b <= 0)
				return b;
		}
		need = ZSTD_nextSrcSizeToDecompress(r->zd);
		if (need == 0) {
			r->frame_open = false;
			continue;
		}
		if (r->in_len - r->in_pos < need && fill_in(r, need) < 0)
			return -EIO;
		if (r->in_len - r->in_pos < need) {
			r->truncated = true;  /* ends inside the frame */
			r->in_pos = r->in_len;
			return 0;
		}
		t = ZSTD_nextInputType(r->zd);
		if ((t == ZSTDnit_block || t == ZSTDnit_lastBlock) &&
		    (size_t)(r->win_end - r->lim) < r->zblock)
			ring_wrap(r);
		got = ZSTD_decompressContinue(r->zd, r->lim,
					      (size_t)(r->win_end - r->lim),
					      r->in + r->in_pos, need);
		if (ZSTD_isError(got))
			return zstd_fail(r, ZSTD_getErrorName(got));
		r->in_pos += need;
		if (got)
			return (long)got;
	}
}

/* Append text at lim; returns bytes added (0 at the end) or -EIO.  A NUL
 * byte is binary data, not text: an error with its offset (one memchr per
 * block, not per line; trace.dat lines come from libtraceevent). */
static long produce(struct trace_reader *r)
{
	const char *nul;
	long got;

	if (r->out_eof)
		return 0;
	got = r->comp == TRACE_ZSTD ? produce_zstd(r) : produce_flat(r);
	if (got == 0)
		r->out_eof = true;
	if (got > 0 && r->comp != TRACE_DAT &&
	    (nul = memchr(r->lim, 0, (size_t)got))) {
		snprintf(r->errmsg, sizeof(r->errmsg), "a NUL byte at offset %llu "
			 "of the text: binary data, not a trace",
			 (unsigned long long)(r->out_done + (uint64_t)(nul - r->lim)));
		return -EIO;
	}
	if (got > 0)
		r->out_done += (uint64_t)got;
	return got;
}

/* The line [start, start + n) ends here: NUL-terminate it in place,
 * remembering the byte so it is put back (zstd reads it again as history). */
static long hand_out(struct trace_reader *r, char *start, size_t n,
		     const char **line)
{
	r->fix_at = start + n;
	r->fix_ch = start[n];
	start[n] = 0;
	*line = start;
	return (long)n;
}

/* End of the text: a last line without newline, if any. */
static long last_line(struct trace_reader *r, const char **line)
{
	char *start = r->cur;
	size_t avail = (size_t)(r->lim - r->cur);

	r->cur = r->lim;
	if (!avail || r->skipping)
		return -1;
	if (avail > TRACE_LINE_MAX) {
		r->overlong++;
		return -1;
	}
	/* (when the stream was cut mid-frame it is partial: the parser
	 * counts it) */
	return hand_out(r, start, avail, line);
}

/* The next line, read here (trace_reader_next's contract). */
static long next_here(struct trace_reader *r, const char **line)
{
	if (r->fix_at) {
		*r->fix_at = r->fix_ch;
		r->fix_at = NULL;
	}
	for (;;) {
		char *start = r->cur;
		size_t avail = (size_t)(r->lim - start);
		char *nl = avail ? memchr(start, '\n', avail) : NULL;
		long got;

		if (nl) {
			size_t n = (size_t)(nl - start);
			r->cur = nl + 1;
			if (r->skipping) {
				r->skipping = false;
				continue;
			}
			if (n && start[n - 1] == '\r')
				n--;
			if (n > TRACE_LINE_MAX) {
				/* no kmem event is this long: a cut line might
				 * still parse, so drop it whole and count it */
				r->overlong++;
				continue;
			}
			return hand_out(r, start, n, line);
		}
		if (r->skipping) {
			r->cur = r->lim;
		} else if (avail > TRACE_LINE_MAX + 1) {
			/* Drop the overlong line up to its '\n'. */
			r->overlong++;
			r->skipping = true;
			r->cur = r->lim;
		}
		got = produce(r);
		if (got < 0)
			return -EIO;
		if (got == 0)
			return last_line(r, line);
		r->lim += got;
	}
}

/* Compressed bytes consumed (trace_reader_position), by the thread
 * reading. */
static uint64_t position_here(const struct trace_reader *r)
{
	return r->in_done - (r->in_len - r->in_pos);
}

/* Fill chunk c with the lines that follow, while a longest line fits. */
static void chunk_fill(struct trace_reader *r, struct chunk *c)
{
	size_t used = 0;

	c->n = 0;
	c->end = 0;
	while (c->n < CHUNK_LINES && CHUNK_BYTES - used > TRACE_LINE_MAX) {
		const char *line;
		long got = next_here(r, &line);

		if (got < 0) {
			c->end = got;
			break;
		}
		memcpy(c->text + used, line, (size_t)got + 1);
		c->off[c->n] = (uint32_t)used;
		c->len[c->n++] = (uint32_t)got;
		used += (size_t)got + 1;
	}
	c->fig = (struct reader_figures){ position_here(r), r->overlong,
					  r->crc, r->truncated };
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The read-ahead thread: chunks in order until the end or stop. */
static void *ahead_run(struct trace_reader *r, struct ahead *a)
{
	for (;;) {
		struct chunk *c;
		long end;

		pthread_mutex_lock(&a->lock);
		while (a->produced - a->consumed == CHUNKS && !a->stop)
			pthread_cond_wait(&a->freed, &a->lock);
		if (a->stop) {
			pthread_mutex_unlock(&a->lock);
			return NULL;
		}
		c = &a->ch[a->produced % CHUNKS];
		pthread_mutex_unlock(&a->lock);
		chunk_fill(r, c);
		end = c->end;
		pthread_mutex_lock(&a->lock);
		a->produced++;
		pthread_cond_signal(&a->filled);
		pthread_mutex_unlock(&a->lock);
		if (end)
			return NULL;
	}
}

static void *ahead_main(void *arg)
{
	struct trace_reader *r = arg;
	struct ahead *a = r->ahead;

	ahead_run(r, a);
	a->cpu_ns = thread_cpu_ns(); /* read after the join */
	return NULL;
}

static void ahead_free(struct ahead *a)
{
	for (unsigned i = 0; i < CHUNKS; i++) {
		free(a->ch[i].text);
		free(a->ch[i].off);
		free(a->ch[i].len);
	}
	free(a);
}

/* The ring's lock and conditions, then the ring itself. */
static void ahead_destroy(struct ahead *a)
{
	pthread_cond_destroy(&a->freed);
	pthread_cond_destroy(&a->filled);
	pthread_mutex_destroy(&a->lock);
	ahead_free(a);
}

/* Start reading ahead; false (and reading here from now on) when there
 * is no memory or no thread for it. */
static bool ahead_start(struct trace_reader *r)
{
	struct ahead *a = calloc(1, sizeof(*a));
	bool ok = a != NULL;

	for (unsigned i = 0; ok && i < CHUNKS; i++) {
		a->ch[i].text = malloc(CHUNK_BYTES);
		a->ch[i].off = malloc(CHUNK_LINES * sizeof(uint32_t));
		a->ch[i].len = malloc(CHUNK_LINES * sizeof(uint32_t));
		ok = a->ch[i].text && a->ch[i].off && a->ch[i].len;
	}
	if (ok) {
		pthread_mutex_init(&a->lock, NULL);
		pthread_cond_init(&a->filled, NULL);
		pthread_cond_init(&a->freed, NULL);
		r->ahead = a;
		if (pthread_create(&a->thread, NULL, ahead_main, r) == 0)
			return true;
		r->ahead = NULL;
		ahead_destroy(a);
	} else if (a) {
		ahead_free(a);
	}
	r->ahead_off = true;
	return false;
}

/* Stop the thread (at once if it is still reading) and join it: the
 * reader's state is then this thread's again. */
static void ahead_stop(struct trace_reader *r)
{
	struct ahead *a = r->ahead;

	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	a->stop = true;
	pthread_cond_signal(&a->freed);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->thread, NULL);
	r->ahead_cpu_ns = a->cpu_ns;
	ahead_destroy(a);
	r->ahead = NULL;
}

/* The next line from the chunks; at the chunk that ends the input, the
 * thread is joined and its end returned. */
static long next_ahead(struct trace_reader *r, const char **line)
{
	struct ahead *a = r->ahead;

	for (;;) {
		struct chunk *c = &a->ch[a->consumed % CHUNKS];
		long end;

		if (!a->holding) {
			pthread_mutex_lock(&a->lock);
			while (a->produced == a->consumed)
				pthread_cond_wait(&a->filled, &a->lock);
			pthread_mutex_unlock(&a->lock);
			a->holding = true;
			a->next = 0;
			a->fig = c->fig;
		}
		if (a->next < c->n) {
			*line = c->text + c->off[a->next];
			return (long)c->len[a->next++];
		}
		if ((end = c->end) != 0) {
			/* the thread has returned (or is about to); the rest
			 * (-1 again, or the error) is read here */
			ahead_stop(r);
			r->ahead_off = true;
			return end;
		}
		pthread_mutex_lock(&a->lock);
		a->consumed++;
		a->holding = false;
		pthread_cond_signal(&a->freed);
		pthread_mutex_unlock(&a->lock);
	}
}

long trace_reader_next(struct trace_reader *r, const char **line)
{
	if (r->ahead)
		return next_ahead(r, line);
	if (!r->ahead_off && !r->out_eof && ahead_start(r))
		return next_ahead(r, line);
	return next_here(r, line);
}

/* Back to the start of the (seekable) input with fresh decoder state. */
int trace_reader_rewind(struct trace_reader *r)
{
	ahead_stop(r);
	if (lseek(r->fd, 0, SEEK_SET) < 0)
		return -errno;
	r->in_eof = r->out_eof = r->truncated = false;
	r->ahead_off = false; /* seekable: a regular file */
	r->frame_open = r->skipping = false;
	r->overlong = 0;
	r->in_done = r->out_done = 0;
	r->crc = 0;
	r->in_pos = r->in_len = 0;
	r->cur = r->lim = r->win;
	r->fix_at = NULL;
	r->errmsg[0] = 0;
	if (r->gz_init && inflateReset(&r->gz) != Z_OK)
		return -EIO;
	if (r->dat) {
		trace_dat_close(r->dat);
		r->dat = NULL;
		return dat_open(r, r->path, r->errmsg, sizeof(r->errmsg)) < 0 ?
			-EIO : 0;
	}
	return fill_in(r, 1);
}

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Copy what is buffered and the rest of the pipe into an unlinked file in
 * $TMPDIR (as it came: compressed input stays compressed). */
static int spool(struct trace_reader *r)
{
	const char *dir = getenv("TMPDIR");
	int fd, rc;

	fd = open(dir && *dir ? dir : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	rc = write_all(fd, r->in, r->in_len);
	while (!rc && !r->in_eof) {
		r->in_pos = r->in_len = 0;
		rc = fill_in(r, IN_SIZE);
		if (!rc)
			rc = write_all(fd, r->in, r->in_len);
	}
	if (rc) {
		close(fd);
		return rc;
	}
	if (r->own_fd)
		close(r->fd);
	r->fd = fd;
	r->own_fd = true;
	r->ahead_off = false; /* a regular file now */
	r->in_total = r->in_done;
	return trace_reader_rewind(r);
}

int trace_reader_make_seekable(struct trace_reader *r, char *err, size_t len)
{
	struct stat st;
	int rc;

	ahead_stop(r);
	if (fstat(r->fd, &st) == 0 && S_ISREG(st.st_mode))
		return trace_reader_rewind(r);
	if (r->in_done != r->in_len) {
		/* only the opening read may have happened */
		if (err && len)
			snprintf(err, len, "input already read past its start");
		return -EINVAL;
	}
	rc = spool(r);
	if (rc && err && len)
		snprintf(err, len, "cannot copy the input to a temporary file "
			 "in %s: %s", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
			 strerror(-rc));
	return rc;
}

void trace_reader_position(const struct trace_reader *r, uint64_t *done,
			   uint64_t *total)
{
	if (r->ahead) {
		/* the thread's own figures move: the held chunk's */
		*done = r->ahead->fig.done;
		*total = r->in_total;
		return;
	}
	*done = position_here(r);
	*total = r->in_total;
}

uint32_t trace_reader_crc32(const struct trace_reader *r)
{
	return r->ahead ? r->ahead->fig.crc : r->crc;
}

enum trace_compression trace_reader_compression(const struct trace_reader *r)
{
	return r->comp;
}

bool trace_reader_truncated(const struct trace_reader *r)
{
	return r->ahead ? r->ahead->fig.truncated : r->truncated;
}

uint64_t trace_reader_overlong(const struct trace_reader *r)
{
	return r->ahead ? r->ahead->fig.overlong : r->overlong;
}

const char *trace_reader_error(const struct trace_reader *r)
{
	/* an error ends the read-ahead before it is returned */
	return r->ahead ? "" : r->errmsg;
}

void trace_reader_close(struct trace_reader *r)
{
	if (!r)
		return;
	ahead_stop(r);
	if (r->zd)
		ZSTD_freeDCtx(r->zd);
	if (r->gz_init)
		inflateEnd(&r->gz);
	trace_dat_close(r->dat);
	free(r->path);
	if (r->own_fd)
		close(r->fd);
	free(r->in);
	free(r->buf);
	free(r);
}

uint64_t trace_reader_ahead_cpu_ns(const struct trace_reader *r)
{
	return r->ahead_cpu_ns;
}
