/* SPDX-License-Identifier: MIT */
/*
 * Decompressing line reader.  One window of decompressed text is kept;
 * lines are returned in place (the newline overwritten by NUL) and the
 * unfinished tail is moved to the front before the window is refilled, so
 * memory stays constant however long the trace is.
 */
#include "trace_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define IN_SIZE  (128u * 1024u)
/* Room for a few dozen maximal lines so refills are rare. */
#define WIN_SIZE (256u * 1024u)

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
	uint32_t crc;         /* CRC-32 of the bytes read so far */

	unsigned char *in;    /* compressed input */
	size_t in_pos, in_len;

	char *win;            /* decompressed text window (+1 for a NUL) */
	size_t win_pos, win_len;

	ZSTD_DStream *zs;
	z_stream gz;
	bool gz_init;
	char errmsg[160];
};

const char *trace_compression_name(enum trace_compression c)
{
	switch (c) {
	case TRACE_ZSTD: return "zstd";
	case TRACE_GZIP: return "gzip";
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

/* Fill the compressed buffer so at least `want` bytes are there (or EOF). */
static int fill_in(struct trace_reader *r, size_t want)
{
	if (r->in_pos > 0 && r->in_pos < r->in_len)
		memmove(r->in, r->in + r->in_pos, r->in_len - r->in_pos);
	r->in_len -= r->in_pos;
	r->in_pos = 0;
	while (!r->in_eof && r->in_len < want) {
		ssize_t got = read_some(r->fd, r->in + r->in_len,
					IN_SIZE - r->in_len);
		if (got < 0) {
			snprintf(r->errmsg, sizeof(r->errmsg), "read: %s",
				 strerror(errno));
			return -EIO;
		}
		if (got == 0)
			r->in_eof = true;
		r->crc = (uint32_t)crc32(r->crc, r->in + r->in_len, (uInt)got);
		r->in_len += (size_t)got;
		r->in_done += (uint64_t)got;
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

/* A binary capture: say exactly how to turn it into text we read. */
static void refuse_binary(char *err, size_t len, const char *path,
			  const char *what, const char *tool)
{
	if (err && len)
		snprintf(err, len, "%s: %s; convert it to text first: "
			 "`%s %s > %s.txt`, then replay %s.txt", path, what,
			 tool, path, path, path);
}

int trace_reader_open(struct trace_reader **out, const char *path,
		      char *err, size_t len)
{
	struct trace_reader *r = calloc(1, sizeof(*r));
	struct stat st;
	int rc;

	if (err && len)
		err[0] = 0;
	*out = NULL;
	if (!r) {
		set_err(err, len, "%s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	if (strcmp(path, "-") == 0) {
		r->fd = 0;
	} else {
		r->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0) {
			rc = -errno;
			set_err(err, len, "%s: cannot open: %s", path,
				strerror(errno));
			free(r);
			return rc;
		}
		r->own_fd = true;
	}
	if (fstat(r->fd, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			set_err(err, len, "%s: %s", path, strerror(EISDIR));
			trace_reader_close(r);
			return -EISDIR;
		}
		if (S_ISREG(st.st_mode))
			r->in_total = (uint64_t)st.st_size;
	}
	r->in = malloc(IN_SIZE);
	r->win = malloc(WIN_SIZE + 1);
	if (!r->in || !r->win) {
		set_err(err, len, "%s: %s", path, strerror(ENOMEM));
		trace_reader_close(r);
		return -ENOMEM;
	}
	if (fill_in(r, 512) < 0) {
		set_err(err, len, "%s: cannot read: %s", path, strerror(errno));
		trace_reader_close(r);
		return -EIO;
	}
	if (r->in_len >= 4 && r->in[0] == 0x28 && r->in[1] == 0xb5 &&
	    r->in[2] == 0x2f && r->in[3] == 0xfd) {
		r->comp = TRACE_ZSTD;
		r->zs = ZSTD_createDStream();
		if (!r->zs || ZSTD_isError(ZSTD_initDStream(r->zs))) {
			set_err(err, len, "%s: %s", path, strerror(ENOMEM));
			trace_reader_close(r);
			return -ENOMEM;
		}
	} else if (r->in_len >= 2 && r->in[0] == 0x1f && r->in[1] == 0x8b) {
		r->comp = TRACE_GZIP;
		/* 15 + 16: gzip wrapper only; members are chained by hand. */
		if (inflateInit2(&r->gz, 15 + 16) != Z_OK) {
			set_err(err, len, "%s: %s", path, strerror(ENOMEM));
			trace_reader_close(r);
			return -ENOMEM;
		}
		r->gz_init = true;
	} else if (r->in_len >= 10 &&
		   memcmp(r->in, "\027\010Dtracing", 10) == 0) {
		refuse_binary(err, len, path, "a trace-cmd binary file (trace.dat)",
			      "trace-cmd report -i");
		trace_reader_close(r);
		return -EPROTONOSUPPORT;
	} else if (r->in_len >= 8 && (memcmp(r->in, "PERFILE2", 8) == 0 ||
				      memcmp(r->in, "PERFFILE", 8) == 0)) {
		refuse_binary(err, len, path, "a perf binary file (perf.data)",
			      "perf script -i");
		trace_reader_close(r);
		return -EPROTONOSUPPORT;
	} else if (!looks_like_text(r->in, r->in_len)) {
		set_err(err, len, "%s: %s", path,
			"unknown format: not ftrace text, zstd or gzip");
		trace_reader_close(r);
		return -EPROTONOSUPPORT;
	} else {
		r->comp = TRACE_PLAIN;
	}
	*out = r;
	return 0;
}

/* Append decompressed bytes to the window after win_len; returns bytes
 * added (0 at end of output) or -EIO. */
static long produce(struct trace_reader *r)
{
	size_t room = WIN_SIZE - r->win_len;
	char *dst = r->win + r->win_len;

	while (!r->out_eof) {
		if (r->in_pos == r->in_len && !r->in_eof) {
			if (fill_in(r, 1) < 0)
				return -EIO;
		}
		if (r->comp == TRACE_PLAIN) {
			size_t n = r->in_len - r->in_pos;
			if (n == 0) {
				r->out_eof = true;
				return 0;
			}
			if (n > room)
				n = room;
			memcpy(dst, r->in + r->in_pos, n);
			r->in_pos += n;
			return (long)n;
		}
		if (r->comp == TRACE_ZSTD) {
			ZSTD_inBuffer ib = { r->in, r->in_len, r->in_pos };
			ZSTD_outBuffer ob = { dst, room, 0 };
			size_t ret;

			if (ib.pos == ib.size && r->in_eof) {
				r->out_eof = true;
				r->truncated = r->frame_open;
				return 0;
			}
			ret = ZSTD_decompressStream(r->zs, &ob, &ib);
			r->in_pos = ib.pos;
			if (ZSTD_isError(ret)) {
				snprintf(r->errmsg, sizeof(r->errmsg),
					 "zstd: %s", ZSTD_getErrorName(ret));
				return -EIO;
			}
			/* 0 means a frame just ended; another may follow. */
			r->frame_open = ret != 0;
			if (ob.pos)
				return (long)ob.pos;
			continue;
		}
		/* gzip */
		{
			int zr;

			if (r->in_pos == r->in_len && r->in_eof) {
				r->out_eof = true;
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
				snprintf(r->errmsg, sizeof(r->errmsg),
					 "gzip: %s", r->gz.msg ? r->gz.msg :
					 "corrupt data");
				return -EIO;
			}
			if (room - r->gz.avail_out)
				return (long)(room - r->gz.avail_out);
			if (zr == Z_BUF_ERROR && r->in_eof &&
			    r->in_pos == r->in_len) {
				r->out_eof = true;
				r->truncated = true;
				return 0;
			}
		}
	}
	return 0;
}

long trace_reader_next(struct trace_reader *r, const char **line)
{
	for (;;) {
		char *start = r->win + r->win_pos;
		size_t avail = r->win_len - r->win_pos;
		char *nl = avail ? memchr(start, '\n', avail) : NULL;
		long got;

		if (nl) {
			size_t n = (size_t)(nl - start);
			r->win_pos += n + 1;
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
			start[n] = 0;
			*line = start;
			return (long)n;
		}
		if (r->skipping) {
			r->win_pos = r->win_len = 0;
		} else if (avail > TRACE_LINE_MAX + 1) {
			/* Drop the overlong line up to its '\n'. */
			r->overlong++;
			r->skipping = true;
			r->win_pos = r->win_len = 0;
		} else if (r->win_pos) {
			memmove(r->win, start, avail);
			r->win_pos = 0;
			r->win_len = avail;
		}
		got = produce(r);
		if (got < 0)
			return -EIO;
		if (got == 0) {
			start = r->win + r->win_pos;
			avail = r->win_len - r->win_pos;
			if (!avail || r->skipping)
				return -1;
			if (avail > TRACE_LINE_MAX) {
				r->overlong++;
				r->win_pos = r->win_len;
				return -1;
			}
			/* A last line without newline (when the stream was cut
			 * mid-frame it is partial: the parser counts it). */
			r->win_pos = r->win_len;
			start[avail] = 0;
			*line = start;
			return (long)avail;
		}
		r->win_len += (size_t)got;
	}
}

/* Back to the start of the (seekable) input with fresh decoder state. */
int trace_reader_rewind(struct trace_reader *r)
{
	if (lseek(r->fd, 0, SEEK_SET) < 0)
		return -errno;
	r->in_eof = r->out_eof = r->truncated = false;
	r->frame_open = r->skipping = false;
	r->overlong = 0;
	r->in_done = 0;
	r->crc = 0;
	r->in_pos = r->in_len = 0;
	r->win_pos = r->win_len = 0;
	r->errmsg[0] = 0;
	if (r->zs && ZSTD_isError(ZSTD_DCtx_reset(r->zs, ZSTD_reset_session_only)))
		return -EIO;
	if (r->gz_init && inflateReset(&r->gz) != Z_OK)
		return -EIO;
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
	r->in_total = r->in_done;
	return trace_reader_rewind(r);
}

int trace_reader_make_seekable(struct trace_reader *r, char *err, size_t len)
{
	struct stat st;
	int rc;

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
	*done = r->in_done - (r->in_len - r->in_pos);
	*total = r->in_total;
}

uint32_t trace_reader_crc32(const struct trace_reader *r)
{
	return r->crc;
}

enum trace_compression trace_reader_compression(const struct trace_reader *r)
{
	return r->comp;
}

bool trace_reader_truncated(const struct trace_reader *r)
{
	return r->truncated;
}

uint64_t trace_reader_overlong(const struct trace_reader *r)
{
	return r->overlong;
}

const char *trace_reader_error(const struct trace_reader *r)
{
	return r->errmsg;
}

void trace_reader_close(struct trace_reader *r)
{
	if (!r)
		return;
	if (r->zs)
		ZSTD_freeDStream(r->zs);
	if (r->gz_init)
		inflateEnd(&r->gz);
	if (r->own_fd)
		close(r->fd);
	free(r->in);
	free(r->win);
	free(r);
}
