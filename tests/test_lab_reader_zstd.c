/* SPDX-License-Identifier: MIT */
/*
 * trace_reader's zstd round buffer: lines cross block ends and ring wraps,
 * the NUL put on each returned line must not leak into zstd's history (text
 * repeated across lines is coded as matches into it), frames are
 * concatenated with skippable frames between them, and a rewind reads the
 * same again.  Every line read is compared with a plain split of the text.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include <cmocka.h>

#include "helpers.h"
#include "trace_reader.h"

static char tmpl[] = "/tmp/pa_reader_zstd_XXXXXX";

/* Random text: lines of 0..600 bytes from a small alphabet (so zstd finds
 * matches spanning newlines), some with "\r\n", a few longer than
 * TRACE_LINE_MAX. */
static char *make_text(struct th_rng *rng, size_t want, size_t *len)
{
	static const char alpha[] = "mm_page_alloc: pfn=0x1f order= ";
	char *t = malloc(want + 2 * TRACE_LINE_MAX + 8);
	size_t n = 0;

	while (n < want) {
		size_t l = th_below(rng, 100) == 0 ?
			TRACE_LINE_MAX + 1 + th_below(rng, TRACE_LINE_MAX) :
			th_below(rng, 601);
		for (size_t i = 0; i < l; i++)
			t[n++] = alpha[th_below(rng, sizeof(alpha) - 1)];
		if (th_below(rng, 10) == 0)
			t[n++] = '\r';
		t[n++] = '\n';
	}
	/* sometimes a last line without newline */
	if (th_below(rng, 2))
		n--;
	*len = n;
	return t;
}

/* One zstd frame of text[0..n) with a small window, so the reader's ring
 * (sized from the window) wraps many times, and a frame checksum. */
static size_t compress_frame(struct th_rng *rng, const char *text, size_t n,
			     char *dst, size_t cap)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t z;

	assert_non_null(c);
	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel,
			       1 + (int)th_below(rng, 9));
	ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog,
			       ZSTD_WINDOWLOG_MIN + (int)th_below(rng, 8));
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag,
			       (int)th_below(rng, 2));
	z = ZSTD_compress2(c, dst, cap, text, n);
	assert_false(ZSTD_isError(z));
	ZSTD_freeCCtx(c);
	return z;
}

static void write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* The text as frames cut at random places (mid-line too), a skippable
 * frame after some of them. */
static size_t compress_frames(struct th_rng *rng, const char *text, size_t len,
			      char *dst, size_t cap)
{
	size_t off = 0, z = 0;

	while (off < len) {
		size_t part = 1 + th_below(rng, len - off);

		if (th_below(rng, 3) == 0)
			part = len - off;
		z += compress_frame(rng, text + off, part, dst + z, cap - z);
		off += part;
		if (th_below(rng, 3) == 0) {
			size_t s = ZSTD_writeSkippableFrame(dst + z, cap - z,
							    "skip", 4, 0);
			assert_false(ZSTD_isError(s));
			z += s;
		}
	}
	return z;
}

/* What the reader must return: lines split at '\n', "\r" before it
 * dropped, overlong lines counted and skipped. */
static void check_against_text(struct trace_reader *r, const char *text,
			       size_t len)
{
	const char *p = text, *end = text + len, *line;
	uint64_t overlong = 0;
	long n;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		size_t l = (size_t)(e - p);

		if (nl && l && e[-1] == '\r')
			l--;
		if (l > TRACE_LINE_MAX) {
			overlong++;
		} else {
			n = trace_reader_next(r, &line);
			assert_int_equal(n, (long)l);
			assert_memory_equal(line, p, l);
			assert_int_equal(line[l], 0);
		}
		p = nl ? nl + 1 : end;
	}
	assert_int_equal(trace_reader_next(r, &line), -1);
	assert_int_equal(trace_reader_overlong(r), overlong);
	assert_false(trace_reader_truncated(r));
}

static void test_zstd_ring_matches_text(void **state)
{
	struct th_rng rng = { th_seed("test_zstd_ring_matches_text") };
	char path[sizeof(tmpl) + 16];
	(void)state;

	snprintf(path, sizeof(path), "%s/t.zst", tmpl);
	for (int round = 0; round < 6; round++) {
		size_t len, cap, z;
		char *text = make_text(&rng, 256 * 1024 + th_below(&rng, 1 << 20),
				       &len);
		char *buf;
		struct trace_reader *r;
		char err[256];

		cap = ZSTD_compressBound(len) * 2 + 4096;
		buf = malloc(cap);
		z = compress_frames(&rng, text, len, buf, cap);
		write_file(path, buf, z);
		assert_int_equal(trace_reader_open(&r, path, err, sizeof(err)), 0);
		assert_int_equal(trace_reader_compression(r), TRACE_ZSTD);
		check_against_text(r, text, len);
		/* a second pass from the start reads the same */
		assert_int_equal(trace_reader_rewind(r), 0);
		check_against_text(r, text, len);
		trace_reader_close(r);
		free(buf);
		free(text);
	}
}

/* Regression: a single-segment frame (content size known and within the
 * level's window, as the zstd command and ZSTD_compress() write up to
 * megabytes of text) has a window of exactly its content size.  The ring
 * was sized to that, and the wrap before a block that might not fit then
 * overwrote text still referenced: lines past ~256 KiB came out garbled. */
static void test_zstd_single_segment_frame(void **state)
{
	struct th_rng rng = { th_seed("test_zstd_single_segment_frame") };
	char path[sizeof(tmpl) + 16];
	(void)state;

	snprintf(path, sizeof(path), "%s/one.zst", tmpl);
	for (int round = 0; round < 3; round++) {
		size_t len, z;
		char *text = make_text(&rng, 300 * 1024 + th_below(&rng, 1 << 20),
				       &len);
		size_t cap = ZSTD_compressBound(len);
		char *buf = malloc(cap);
		ZSTD_frameHeader fh;
		struct trace_reader *r;

		z = ZSTD_compress(buf, cap, text, len, round == 2 ? 19 : 3 + 3 * round);
		assert_false(ZSTD_isError(z));
		assert_int_equal(ZSTD_getFrameHeader(&fh, buf, z), 0);
		assert_int_equal(fh.windowSize, len); /* single segment */
		write_file(path, buf, z);
		assert_int_equal(trace_reader_open(&r, path, NULL, 0), 0);
		check_against_text(r, text, len);
		trace_reader_close(r);
		free(buf);
		free(text);
	}
}

/* A frame whose header asks for a 256 MiB window is refused with libzstd's
 * own reason, not allocated. */
static void test_zstd_window_too_large(void **state)
{
	/* magic, descriptor (no checksum, no size), window 2^28, then a
	 * last raw block of one byte */
	static const unsigned char f[] = {
		0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x90, 0x09, 0x00, 0x00, 'x',
	};
	char path[sizeof(tmpl) + 16];
	struct trace_reader *r;
	const char *line;
	(void)state;

	snprintf(path, sizeof(path), "%s/big.zst", tmpl);
	write_file(path, f, sizeof(f));
	assert_int_equal(trace_reader_open(&r, path, NULL, 0), 0);
	assert_int_equal(trace_reader_next(r, &line), -EIO);
	assert_non_null(strstr(trace_reader_error(r), "zstd: "));
	trace_reader_close(r);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpl) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[sizeof(tmpl) + 16];
	(void)state;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zstd_ring_matches_text),
		cmocka_unit_test(test_zstd_single_segment_frame),
		cmocka_unit_test(test_zstd_window_too_large),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
