/* SPDX-License-Identifier: MIT */
/* The binary event form of a trace (trace_bin.h). */
#include "trace_bin.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "outfile.h"
#include "trace_reader.h"

#define PFN_BITS 52
#define KIND_SHIFT 52
#define FLAG_SHIFT 55
enum { F_HAS_CPU, F_FAILED, F_PERCPU_REFILL, F_FRAGMENTING, F_CHANGE_OWNER,
       F_NR };
#define ORDER_MAX 30  /* the parser's limits (trace_parse.c) */
#define MT_MAX 15
#define TS_MAX_NS (TRACE_TS_MAX_S * 1000000000ull + 999999999ull)

/* Trailer fields, at their offsets (trace_bin.h). */
#define T_EVENTS 0
#define T_COUNTS 8    /* 7 u64: lines, comments, other, malformed,
                       * lost_unknown, lost_markers, lost_trailer */
#define T_OVERLONG 64
#define T_SRC_BYTES 72
#define T_SRC_CRC 80
#define T_TRUNCATED 84
#define T_PATH_LEN 88
#define T_PATH 92
#define T_PAD (T_PATH + TRACE_BIN_PATH_MAX)
#define T_SUM (TRACE_BIN_TRAILER - 8)

struct trace_bin {
	const unsigned char *map;
	size_t size;
	const unsigned char *rec;    /* the first record */
	uint64_t n, next;            /* records; index of the next one */
	struct trace_bin_info info;
};

static void set_err(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* Little-endian fields by memcpy: one load each on any host. */
static uint64_t get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static void put64(unsigned char *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

static void put32(unsigned char *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static void encode(unsigned char *r, const struct trace_event *ev)
{
	uint64_t w = (ev->pfn & ((1ull << PFN_BITS) - 1)) |
		     (uint64_t)ev->kind << KIND_SHIFT;
	const bool flag[F_NR] = { ev->has_cpu, ev->failed, ev->percpu_refill,
				  ev->fragmenting, ev->change_ownership };

	for (int f = 0; f < F_NR; f++)
		w |= (uint64_t)flag[f] << (FLAG_SHIFT + f);
	put64(r, ev->ts_ns);
	put64(r + 8, w);
	put32(r + 16, ev->cpu);
	r[20] = (unsigned char)ev->order;
	r[21] = (unsigned char)(ev->migratetype + 1);
	r[22] = (unsigned char)ev->fallback_order;
	r[23] = (unsigned char)(ev->fallback_migratetype + 1);
}

/* Could the parser have produced this record?  (Only such events reach
 * the replay, whatever the file says.) */
static bool record_ok(const unsigned char *r)
{
	uint64_t w = get64(r + 8);

	return get64(r) <= TS_MAX_NS && w >> (FLAG_SHIFT + F_NR) == 0 &&
	       (w >> KIND_SHIFT & 7) <= TEV_VMSTAT && r[20] <= ORDER_MAX &&
	       r[21] <= MT_MAX + 1 && r[22] <= ORDER_MAX && r[23] <= MT_MAX + 1;
}

/* Field by field, no zeroing of the whole struct: this runs for every
 * event of every replay. */
static void decode(const unsigned char *r, struct trace_event *ev)
{
	uint64_t w = get64(r + 8);

	ev->kind = (enum trace_kind)(w >> KIND_SHIFT & 7);
	ev->cpu = get32(r + 16);
	ev->has_cpu = w >> (FLAG_SHIFT + F_HAS_CPU) & 1;
	ev->ts_ns = get64(r);
	ev->pfn = w & ((1ull << PFN_BITS) - 1);
	ev->order = r[20];
	ev->migratetype = r[21] - 1;
	ev->failed = w >> (FLAG_SHIFT + F_FAILED) & 1;
	ev->percpu_refill = w >> (FLAG_SHIFT + F_PERCPU_REFILL) & 1;
	ev->fallback_order = r[22];
	ev->fallback_migratetype = r[23] - 1;
	ev->fragmenting = w >> (FLAG_SHIFT + F_FRAGMENTING) & 1;
	ev->change_ownership = w >> (FLAG_SHIFT + F_CHANGE_OWNER) & 1;
}

static void header_bytes(unsigned char h[TRACE_BIN_HEADER])
{
	memcpy(h, TRACE_BIN_MAGIC, TRACE_BIN_MAGIC_LEN);
	put32(h + 8, TRACE_BIN_VERSION);
	put32(h + 12, TRACE_BIN_RECORD);
}

/* The trailer's bytes but its checksum. */
static void trailer_bytes(unsigned char t[TRACE_BIN_TRAILER],
			  const struct trace_bin_info *in)
{
	const struct trace_lines *c = &in->lines;
	const uint64_t counts[7] = { c->lines, c->comments, c->other,
				     c->malformed, c->lost_unknown,
				     c->lost_markers, c->lost_trailer };
	size_t plen = strnlen(in->source, TRACE_BIN_PATH_MAX - 1);

	memset(t, 0, TRACE_BIN_TRAILER);
	put64(t + T_EVENTS, c->events);
	for (int i = 0; i < 7; i++)
		put64(t + T_COUNTS + 8 * i, counts[i]);
	put64(t + T_OVERLONG, in->overlong);
	put64(t + T_SRC_BYTES, in->source_bytes);
	put32(t + T_SRC_CRC, in->source_crc32);
	put32(t + T_TRUNCATED, in->truncated);
	put32(t + T_PATH_LEN, (uint32_t)plen);
	memcpy(t + T_PATH, in->source, plen);
}

/* Read the trailer back; false when a field is out of its range. */
static bool trailer_read(const unsigned char *t, struct trace_bin_info *out)
{
	struct trace_lines *c = &out->lines;
	uint64_t *counts[7] = { &c->lines, &c->comments, &c->other,
				&c->malformed, &c->lost_unknown,
				&c->lost_markers, &c->lost_trailer };
	uint32_t plen = get32(t + T_PATH_LEN), trunc = get32(t + T_TRUNCATED);

	if (plen >= TRACE_BIN_PATH_MAX || trunc > 1 ||
	    memchr(t + T_PATH, 0, plen))
		return false;
	for (size_t i = T_PATH + plen; i < T_SUM; i++)
		if (t[i])
			return false;
	memset(out, 0, sizeof(*out));
	c->events = get64(t + T_EVENTS);
	for (int i = 0; i < 7; i++)
		*counts[i] = get64(t + T_COUNTS + 8 * i);
	out->overlong = get64(t + T_OVERLONG);
	out->source_bytes = get64(t + T_SRC_BYTES);
	out->source_crc32 = get32(t + T_SRC_CRC);
	out->truncated = trunc;
	memcpy(out->source, t + T_PATH, plen);
	return c->events <= c->lines;
}

bool trace_bin_is(const char *path)
{
	unsigned char m[TRACE_BIN_MAGIC_LEN];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	bool is;

	if (fd < 0)
		return false;
	is = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	     read(fd, m, sizeof(m)) == (ssize_t)sizeof(m) &&
	     memcmp(m, TRACE_BIN_MAGIC, sizeof(m)) == 0;
	close(fd);
	return is;
}

/* Map the whole file.  0 or -errno with the reason. */
static int map_file(struct trace_bin *b, const char *path, char *err,
		    size_t len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;

	if (fd < 0 || fstat(fd, &st) < 0) {
		e = errno;
		if (fd >= 0)
			close(fd);
		set_err(err, len, "%s: cannot open: %s", path, strerror(e));
		return -e;
	}
	b->size = (size_t)st.st_size;
	if (!S_ISREG(st.st_mode) ||
	    st.st_size < TRACE_BIN_HEADER + TRACE_BIN_TRAILER) {
		close(fd);
		set_err(err, len, "%s: not a pagealloc event file, or cut short "
			"(%lld bytes; one has at least %d)", path,
			(long long)st.st_size, TRACE_BIN_HEADER + TRACE_BIN_TRAILER);
		return -EPROTONOSUPPORT;
	}
	b->map = mmap(NULL, b->size, PROT_READ, MAP_PRIVATE, fd, 0);
	e = errno;
	close(fd);
	if (b->map == MAP_FAILED) {
		b->map = NULL;
		set_err(err, len, "%s: cannot map: %s", path, strerror(e));
		return e == ENOMEM ? -ENOMEM : -EIO;
	}
	madvise((void *)b->map, b->size, MADV_SEQUENTIAL);
	return 0;
}

/* Header, size, checksum, trailer and every record.  0 or -EPROTONOSUPPORT. */
static int check_file(struct trace_bin *b, const char *path, char *err,
		      size_t len)
{
	unsigned char h[TRACE_BIN_HEADER];
	size_t body = b->size - TRACE_BIN_HEADER - TRACE_BIN_TRAILER;
	const unsigned char *t = b->map + b->size - TRACE_BIN_TRAILER;

	header_bytes(h);
	if (memcmp(b->map, h, TRACE_BIN_MAGIC_LEN) != 0) {
		set_err(err, len, "%s: not a pagealloc event file (no magic)", path);
		return -EPROTONOSUPPORT;
	}
	if (memcmp(b->map, h, TRACE_BIN_HEADER) != 0) {
		set_err(err, len, "%s: pagealloc event file of version %u with "
			"%u-byte records; this build reads version %d (%d): "
			"re-run `pagealloc convert` on its trace", path,
			get32(b->map + 8),
			get32(b->map + 12), TRACE_BIN_VERSION, TRACE_BIN_RECORD);
		return -EPROTONOSUPPORT;
	}
	if (body % TRACE_BIN_RECORD) {
		set_err(err, len, "%s: corrupt: %zu bytes of records is no whole "
			"number of %d-byte records (cut or padded)", path, body,
			TRACE_BIN_RECORD);
		return -EPROTONOSUPPORT;
	}
	if (XXH3_64bits(b->map, b->size - 8) != get64(t + T_SUM)) {
		set_err(err, len, "%s: corrupt: XXH3-64 checksum mismatch (the file was "
			"changed or damaged after `pagealloc convert`)", path);
		return -EPROTONOSUPPORT;
	}
	b->n = body / TRACE_BIN_RECORD;
	b->rec = b->map + TRACE_BIN_HEADER;
	if (!trailer_read(t, &b->info) || b->info.lines.events != b->n) {
		set_err(err, len, "%s: corrupt: its trailer does not match its "
			"%llu records", path, (unsigned long long)b->n);
		return -EPROTONOSUPPORT;
	}
	for (uint64_t i = 0; i < b->n; i++)
		if (!record_ok(b->rec + i * TRACE_BIN_RECORD)) {
			set_err(err, len, "%s: corrupt: record %llu holds values "
				"no trace line gives", path, (unsigned long long)i);
			return -EPROTONOSUPPORT;
		}
	return 0;
}

int trace_bin_open(struct trace_bin **out, const char *path, char *err,
		   size_t len)
{
	struct trace_bin *b = calloc(1, sizeof(*b));
	int rc;

	*out = NULL;
	if (!b) {
		set_err(err, len, "out of memory");
		return -ENOMEM;
	}
	rc = map_file(b, path, err, len);
	if (!rc)
		rc = check_file(b, path, err, len);
	if (rc) {
		trace_bin_close(b);
		return rc;
	}
	*out = b;
	return 0;
}

const struct trace_bin_info *trace_bin_info(const struct trace_bin *b)
{
	return &b->info;
}

bool trace_bin_next(struct trace_bin *b, struct trace_event *ev)
{
	if (b->next == b->n)
		return false;
	decode(b->rec + b->next++ * TRACE_BIN_RECORD, ev);
	return true;
}

void trace_bin_position(const struct trace_bin *b, uint64_t *done,
			uint64_t *total)
{
	*done = b->next * TRACE_BIN_RECORD;
	*total = b->n * TRACE_BIN_RECORD;
}

void trace_bin_rewind(struct trace_bin *b)
{
	b->next = 0;
}

void trace_bin_close(struct trace_bin *b)
{
	if (!b)
		return;
	if (b->map)
		munmap((void *)b->map, b->size);
	free(b);
}

/* Bytes out, into the running checksum.  false on a write error. */
static bool put(FILE *f, XXH3_state_t *sum, const void *p, size_t n)
{
	XXH3_64bits_update(sum, p, n);
	return fwrite(p, 1, n, f) == n;
}

/* Where a conversion failed. */
enum convert_end { CONV_OK, CONV_INPUT, CONV_OUTPUT };

/* The header, then every event of r, counting the lines into info. */
static enum convert_end convert_events(struct trace_reader *r, FILE *f,
				       struct trace_bin_info *info,
				       XXH3_state_t *sum)
{
	unsigned char buf[TRACE_BIN_RECORD * 256];
	struct trace_event ev;
	const char *line;
	size_t k = 0;
	long n;

	header_bytes(buf);
	if (!put(f, sum, buf, TRACE_BIN_HEADER))
		return CONV_OUTPUT;
	while ((n = trace_reader_next(r, &line)) >= 0) {
		if (!trace_lines_take(&info->lines, line, (size_t)n, &ev))
			continue;
		encode(buf + k, &ev);
		k += TRACE_BIN_RECORD;
		if (k == sizeof(buf)) {
			if (!put(f, sum, buf, k))
				return CONV_OUTPUT;
			k = 0;
		}
	}
	if (n == -EIO)
		return CONV_INPUT;
	return k && !put(f, sum, buf, k) ? CONV_OUTPUT : CONV_OK;
}

/* What the reader knew of its input at the end. */
static void source_figures(struct trace_reader *r, const char *src,
			   struct trace_bin_info *in)
{
	uint64_t done, total;

	trace_reader_position(r, &done, &total);
	in->overlong = trace_reader_overlong(r);
	in->source_bytes = done;
	in->source_crc32 = trace_reader_crc32(r);
	in->truncated = trace_reader_truncated(r);
	snprintf(in->source, sizeof(in->source), "%s", src);
}

/* The trailer with the checksum of everything, and the file in place. */
static int convert_commit(struct outfile *o, const struct trace_bin_info *in,
			  XXH3_state_t *sum)
{
	unsigned char t[TRACE_BIN_TRAILER];

	trailer_bytes(t, in);
	XXH3_64bits_update(sum, t, T_SUM);
	put64(t + T_SUM, XXH3_64bits_digest(sum));
	if (fwrite(t, 1, sizeof(t), o->f) != sizeof(t)) {
		outfile_abort(o);
		return -EIO;
	}
	return outfile_commit(o);
}

static int convert_to(const char *src, const char *dst,
		      struct trace_bin_info *in, bool *out_failed,
		      XXH3_state_t *sum, char *err, size_t len)
{
	struct trace_reader *r;
	struct outfile o;
	enum convert_end end;
	int rc;

	rc = trace_reader_open(&r, src, err, len);
	if (rc)
		return rc;
	rc = outfile_open(&o, dst);
	if (rc) {
		trace_reader_close(r);
		*out_failed = true;
		set_err(err, len, "%s: cannot create: %s", dst, strerror(-rc));
		return rc;
	}
	end = convert_events(r, o.f, in, sum);
	if (end == CONV_INPUT)
		set_err(err, len, "%s: corrupt or unreadable: %s", src,
			trace_reader_error(r));
	source_figures(r, src, in);
	trace_reader_close(r);
	if (end == CONV_OK && !in->lines.events) {
		set_err(err, len, "%s: no mm_page_* event in its %llu lines: "
			"nothing to convert", src,
			(unsigned long long)in->lines.lines);
		outfile_abort(&o);
		return -ENODATA;
	}
	if (end == CONV_OK)
		rc = convert_commit(&o, in, sum);
	else
		outfile_abort(&o);
	if (end == CONV_INPUT)
		return -EIO;
	if (end == CONV_OUTPUT || rc) {
		*out_failed = true;
		set_err(err, len, "%s: cannot write: %s", dst,
			strerror(rc ? -rc : EIO));
		return rc ? rc : -EIO;
	}
	return 0;
}

int trace_bin_convert(const char *src, const char *dst,
		      struct trace_bin_info *info, bool *out_failed,
		      char *err, size_t len)
{
	struct trace_bin_info tmp, *in = info ? info : &tmp;
	/* the library's state, not ours on the stack: its size is not ABI */
	XXH3_state_t *sum = XXH3_createState();
	int rc;

	*out_failed = false;
	memset(in, 0, sizeof(*in));
	if (!sum || XXH3_64bits_reset(sum) != XXH_OK) {
		XXH3_freeState(sum);
		set_err(err, len, "%s: out of memory", dst);
		return -ENOMEM;
	}
	rc = convert_to(src, dst, in, out_failed, sum, err, len);
	XXH3_freeState(sum);
	return rc;
}
