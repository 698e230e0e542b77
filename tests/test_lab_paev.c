/* SPDX-License-Identifier: MIT */
/*
 * The binary event form (lab/trace_bin.h, `pagealloc convert`): a
 * converted trace replays to the very report of its text, and a damaged,
 * cut, crafted or foreign file is refused with a reason before anything is
 * replayed.  Traces are written here, small, with every kind of line the
 * counts distinguish.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include <cmocka.h>

#include "commands.h"
#include "helpers.h"
#include "replay.h"
#include "report.h"
#include "trace_bin.h"
#include "trace_reader.h"

static char dir[] = "/tmp/pa-paev-XXXXXX";

static const char *path_of(const char *name)
{
	static char buf[4][300];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static void write_file(const char *path, const void *data, size_t n)
{
	assert_int_equal(th_write_file(path, data, n), 0);
}

static unsigned char *read_file(const char *path, size_t *n)
{
	return (unsigned char *)th_slurp(path, n);
}

/*
 * Allocations, frees, free batches, a failed allocation, an extfrag, a
 * zone_locked and a drain, on 3 CPUs, plus a comment, another event, a lost
 * marker, a marker without a count, a capture trailer and malformed lines.
 */
static char *make_trace(unsigned rounds, size_t *len)
{
	size_t cap = (size_t)rounds * 2400 + 1024, n = 0;
	char *t = malloc(cap);

	n += (size_t)snprintf(t + n, cap - n, "# tracer: nop\n#\n");
	for (unsigned i = 0; i < rounds; i++) {
		unsigned cpu = i % 3, s = 100 + i / 1000, us = (i % 1000) * 1000;
		unsigned long long pfn = 0x10000 + 8ull * i;

		n += (size_t)snprintf(t + n, cap - n,
"  cc1-%u [%03u] ..... %u.%06u: mm_page_alloc: page=0 pfn=0x%llx order=%u migratetype=%u gfp_flags=GFP_KERNEL\n"
"  cc1-%u [%03u] ..... %u.%06u: mm_page_alloc: page=0 pfn=0x%llx order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE\n"
"  cc1-%u [%03u] ..... %u.%06u: mm_page_free: page=0 pfn=0x%llx order=0\n"
"  cc1-%u [%03u] ..... %u.%06u: mm_page_free_batched: page=0 pfn=0x%llx order=0\n",
			i, cpu, s, us, pfn, i % 3, i % 3,
			i, cpu, s, us + 100, pfn + 4,
			i, cpu, s, us + 200, pfn + 4,
			i, cpu, s, us + 300, pfn + 4);
		if (i % 2 == 0)
			n += (size_t)snprintf(t + n, cap - n,
"  cc1-%u [%03u] ..... %u.%06u: mm_page_free: page=0 pfn=0x%llx order=%u\n",
				i, cpu, s, us + 400, pfn, i % 3);
		if (i % 7 == 0)
			n += (size_t)snprintf(t + n, cap - n,
"  cc1-%u [%03u] ..... %u.%06u: mm_page_alloc: page=0000000000000000 pfn=0x0 order=0 migratetype=0 gfp_flags=GFP_KERNEL\n"
"  cc1-%u [%03u] ..... %u.%06u: mm_page_alloc_extfrag: page=0 pfn=0x%llx alloc_order=0 fallback_order=9 alloc_migratetype=0 fallback_migratetype=1 fragmenting=1 change_ownership=0\n"
"  cc1-%u [%03u] ..... %u.%06u: mm_page_alloc_zone_locked: page=0 pfn=0x%llx order=0 migratetype=1 percpu_refill=1\n"
"  cc1-%u [%03u] ..... %u.%06u: mm_page_pcpu_drain: page=0 pfn=0x%llx order=0 migratetype=1\n"
"  cc1-%u [%03u] ..... %u.%06u: sched_switch: prev_comm=a prev_pid=1\n"
"  cc1-%u [%03u] ..... %u.%06u: mm_page_alloc: page=0 pfn=0xzz order=0\n",
				i, cpu, s, us + 500,
				i, cpu, s, us + 510, pfn + 1,
				i, cpu, s, us + 520, pfn + 2,
				i, cpu, s, us + 530, pfn + 3,
				i, cpu, s, us + 540,
				i, cpu, s, us + 550);
	}
	n += (size_t)snprintf(t + n, cap - n,
			      "CPU:1 [LOST 17 EVENTS]\nCPU:2 [LOST EVENTS]\n"
			      "# pagealloc capture: lost_events=9 buffer_kb=1\n");
	assert_true(n < cap);
	*len = n;
	return t;
}

/* The replay of one input as its JSON (the title fixed, no argv). */
static char *replay_json(const char *path, const char *zoneinfo, bool cold,
			 struct trace_tally *t, const char *json)
{
	struct replay_opts o = { .traces = (const char *[]){ path },
				 .ntraces = 1, .cold = cold,
				 .zoneinfo = zoneinfo };
	struct lab_report rep = { .what = "replay", .quiet = true };
	struct sim *s = NULL;
	char err[700], msg[300];
	double el;
	size_t n;

	assert_int_equal(sim_parse_policies("all", &o.cfg, err, sizeof(err)), 0);
	o.cfg.bytes = 64ull << 20;
	if (replay_traces(&o, &s, t, &el, err, sizeof(err)) != 0)
		fail_msg("replay of %s: %s", path, err);
	if (sim_check(s, msg, sizeof(msg)))
		fail_msg("sim_check: %s", msg);
	snprintf(rep.title, sizeof(rep.title), "the trace");
	rep.sim = s;
	rep.tally = t;
	assert_int_equal(report_emit(&rep, NULL, json), 0);
	sim_destroy(s);
	free(s);
	return (char *)read_file(json, &n);
}

/* Equal reports, or a failure that shows where they part. */
static void assert_same_report(const char *a, const char *b)
{
	size_t i = 0;

	while (a[i] && a[i] == b[i])
		i++;
	if (a[i] || b[i])
		fail_msg("reports differ at byte %zu: \"%.80s\" vs \"%.80s\"",
			 i, a + (i > 40 ? i - 40 : 0), b + (i > 40 ? i - 40 : 0));
}

static void convert_ok(const char *src, const char *dst,
		       struct trace_bin_info *info)
{
	char err[700];
	bool out_failed;

	if (trace_bin_convert(src, dst, info, &out_failed, err, sizeof(err)))
		fail_msg("convert %s: %s", src, err);
}

/* The text and its conversion replay to byte-identical JSON, under every
 * policy, warm and cold; the counts of every kind of line come through. */
static void test_round_trip_reports_equal(void **state)
{
	size_t len, zlen;
	char *text = make_trace(600, &len);
	void *z = malloc(ZSTD_compressBound(len));
	struct trace_bin_info info;
	struct trace_tally ta, tb;

	(void)state;
	zlen = ZSTD_compress(z, ZSTD_compressBound(len), text, len, 3);
	assert_false(ZSTD_isError(zlen));
	write_file(path_of("t.trace.zst"), z, zlen);
	convert_ok(path_of("t.trace.zst"), path_of("t.paev"), &info);
	assert_true(info.lines.events > 2000);
	assert_int_equal(info.lines.lost_markers, 17);
	assert_int_equal(info.lines.lost_trailer, 9);
	assert_int_equal(info.lines.lost_unknown, 1);
	assert_int_equal(info.source_bytes, zlen);
	for (int cold = 0; cold < 2; cold++) {
		char *a = replay_json(path_of("t.trace.zst"), NULL, cold, &ta,
				      path_of("a.json"));
		char *b = replay_json(path_of("t.paev"), NULL, cold, &tb,
				      path_of("b.json"));

		assert_same_report(a, b);
		assert_int_equal(ta.lines, tb.lines);
		assert_int_equal(ta.lines, info.lines.lines);
		assert_true(tb.malformed > 0 && tb.other > 0 && tb.comments > 0);
		assert_int_equal(ta.malformed, tb.malformed);
		assert_int_equal(tb.lost, 17);
		assert_int_equal(tb.kernel_failed, ta.kernel_failed);
		assert_true(tb.kernel_failed > 0);
		assert_int_equal(tb.free_batched_frees, ta.free_batched_frees);
		assert_true(tb.free_batched_frees > 0);
		/* the inputs entry names the text, as the text's replay does */
		assert_string_equal(tb.inputs[0].path, path_of("t.trace.zst"));
		assert_int_equal(tb.inputs[0].crc32, ta.inputs[0].crc32);
		free(a);
		free(b);
	}
	free(text);
	free(z);
}

/* The two shared captures, when present: the same report, every policy. */
static void test_shared_trace_round_trip(void **state)
{
	const char *src = "../../shared/traces/exit-avalanche-thp.trace.zst";
	const char *zi = "../../shared/traces/exit-avalanche-thp.zoneinfo";
	struct trace_tally ta, tb;

	(void)state;
	if (access(src, R_OK) != 0) {
		print_message("skipped: %s not present\n", src);
		return;
	}
	convert_ok(src, path_of("eat.paev"), NULL);
	char *a = replay_json(src, zi, false, &ta, path_of("a.json"));
	char *b = replay_json(path_of("eat.paev"), zi, false, &tb,
			      path_of("b.json"));

	assert_same_report(a, b);
	assert_true(tb.events[TEV_ALLOC] > 1000);
	free(a);
	free(b);
}

/* A valid file to damage: its bytes and length. */
static unsigned char *valid_file(size_t *n)
{
	size_t len;
	char *text = make_trace(40, &len);

	write_file(path_of("v.trace"), text, len);
	free(text);
	convert_ok(path_of("v.trace"), path_of("v.paev"), NULL);
	return read_file(path_of("v.paev"), n);
}

static void reseal(unsigned char *p, size_t n)
{
	uint64_t sum = htole64(XXH3_64bits(p, n - 8));

	memcpy(p + n - 8, &sum, 8);
}

/* The file refused at open, with a reason naming it, and by replay. */
static void assert_refused(const unsigned char *p, size_t n, const char *why)
{
	struct trace_bin *b = NULL;
	struct trace_tally t;
	struct sim *s = NULL;
	struct replay_opts o = { .traces = (const char *[]){ path_of("bad.paev") },
				 .ntraces = 1 };
	char err[700];
	double el;
	int rc;

	write_file(path_of("bad.paev"), p, n);
	rc = trace_bin_open(&b, path_of("bad.paev"), err, sizeof(err));
	if (rc != -EPROTONOSUPPORT)
		fail_msg("%zu bytes: open gave %d, want -EPROTONOSUPPORT", n, rc);
	assert_null(b);
	assert_non_null(strstr(err, "bad.paev"));
	if (why && !strstr(err, why))
		fail_msg("reason \"%s\" lacks \"%s\"", err, why);
	assert_int_equal(sim_parse_policies("mainline", &o.cfg, err, sizeof(err)), 0);
	/* a cut magic is no .paev: the text reader refuses it (exit 2) */
	rc = replay_traces(&o, &s, &t, &el, err, sizeof(err));
	if (rc >= 0 || rc == -ENOMEM)
		fail_msg("%zu bytes: replay gave %d", n, rc);
	assert_null(s);
}

static void test_damage_refused(void **state)
{
	size_t n;
	unsigned char *p = valid_file(&n);

	(void)state;
	assert_true(n > TRACE_BIN_HEADER + TRACE_BIN_TRAILER + 10 * TRACE_BIN_RECORD);
	/* one flipped bit anywhere: the checksum, the magic or the header says so */
	for (size_t i = 0; i < n; i += (i < 64 || i > n - 420) ? 1 : 13) {
		p[i] ^= 0x10;
		assert_refused(p, n, NULL);
		p[i] ^= 0x10;
	}
	/* every cut, and bytes added */
	for (size_t k = 0; k < n; k += k < 32 ? 1 : 37)
		assert_refused(p, k, NULL);
	unsigned char *longer = malloc(n + TRACE_BIN_RECORD);
	memcpy(longer, p, n);
	memset(longer + n, 0, TRACE_BIN_RECORD);
	assert_refused(longer, n + TRACE_BIN_RECORD, "checksum");
	free(longer);
	free(p);
}

/* Files whose checksum is right but whose content no conversion writes. */
static void test_crafted_refused(void **state)
{
	size_t n;
	unsigned char *p = valid_file(&n), *t;

	(void)state;
	t = p + n - TRACE_BIN_TRAILER;
	p[8] = TRACE_BIN_VERSION + 1; /* a later version */
	reseal(p, n);
	assert_refused(p, n, "version 4");
	p[8] = TRACE_BIN_VERSION;
	p[TRACE_BIN_HEADER + 15] |= 0x70; /* kind 7 in record 0 */
	reseal(p, n);
	assert_refused(p, n, "record 0");
	p[TRACE_BIN_HEADER + 15] &= 0x0f;
	p[TRACE_BIN_HEADER + 5 * TRACE_BIN_RECORD + 20] = 31; /* order 31 */
	reseal(p, n);
	assert_refused(p, n, "record 5");
	p[TRACE_BIN_HEADER + 5 * TRACE_BIN_RECORD + 20] = 0;
	reseal(p, n);
	{	/* sanity: the repaired file is accepted again */
		struct trace_bin *b;
		char err[700];

		write_file(path_of("ok.paev"), p, n);
		assert_int_equal(trace_bin_open(&b, path_of("ok.paev"), err,
						sizeof(err)), 0);
		trace_bin_close(b);
	}
	t[0] ^= 1; /* the event count */
	reseal(p, n);
	assert_refused(p, n, "trailer");
	t[0] ^= 1;
	t[TRACE_BIN_TRAILER - 9] = 'x'; /* padding */
	reseal(p, n);
	assert_refused(p, n, "trailer");
	free(p);
}

/* The reader of text names a .paev rather than calling it binary data. */
static void test_text_reader_names_it(void **state)
{
	size_t n;
	unsigned char *p = valid_file(&n);
	struct trace_reader *r;
	char err[700];

	(void)state;
	free(p);
	assert_int_equal(trace_reader_open(&r, path_of("v.paev"), err, sizeof(err)),
			 -EPROTONOSUPPORT);
	assert_non_null(strstr(err, "pagealloc event file"));
}

/* The zoneinfo beside NAME.paev sizes the machine, as beside a trace. */
static void test_zoneinfo_beside(void **state)
{
	static const char zi[] =
		"Node 0, zone   Normal\n  pages free     1000\n"
		"        min      10\n        low      12\n        high     14\n"
		"        spanned  16384\n        present  16384\n"
		"        managed  16384\n  pagesets\n    cpu: 0\n"
		"              count: 0\n              high:  100\n"
		"              batch: 10\n    cpu: 1\n              count: 0\n"
		"              high:  100\n              batch: 10\n";
	size_t n;
	unsigned char *p = valid_file(&n);
	struct replay_opts o = { .traces = (const char *[]){ path_of("v.paev") },
				 .ntraces = 1 };
	struct trace_tally t;
	struct sim *s;
	char err[700];
	double el;

	(void)state;
	free(p);
	write_file(path_of("v.zoneinfo"), zi, sizeof(zi) - 1);
	assert_int_equal(sim_parse_policies("mainline", &o.cfg, err, sizeof(err)), 0);
	if (replay_traces(&o, &s, &t, &el, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_true(t.have_zoneinfo);
	assert_string_equal(t.zoneinfo_path, path_of("v.zoneinfo"));
	assert_int_equal(sim_machine_bytes(s), 16384ull * 4096);
	sim_destroy(s);
	free(s);
	unlink(path_of("v.zoneinfo"));
}

static int run_cmd(int (*cmd)(int, char **), const char *const *args)
{
	char *argv[8];
	int argc = 0;

	while (args[argc]) {
		argv[argc] = (char *)args[argc];
		argc++;
	}
	argv[argc] = NULL;
	return cmd(argc, argv);
}

/* Exit statuses: 2 for bad input or usage, 1 for an unwritable output. */
static void test_cli_exit_status(void **state)
{
	size_t n;
	unsigned char *p = valid_file(&n);

	(void)state;
	assert_int_equal(run_cmd(cmd_convert, (const char *[]){ "convert",
		path_of("v.trace"), "-o", path_of("c.paev"), NULL }), 0);
	assert_int_equal(run_cmd(cmd_replay, (const char *[]){ "replay",
		path_of("c.paev"), "--quiet", "--mem", "64M", NULL }), 0);
	/* the default name: beside the trace, .trace replaced */
	assert_int_equal(run_cmd(cmd_convert, (const char *[]){ "convert",
		path_of("v.trace"), NULL }), 0);
	assert_int_equal(access(path_of("v.paev"), R_OK), 0);
	assert_int_equal(run_cmd(cmd_convert, (const char *[]){ "convert",
		path_of("missing.trace"), "-o", path_of("m.paev"), NULL }), 2);
	assert_int_not_equal(access(path_of("m.paev"), F_OK), 0);
	assert_int_equal(run_cmd(cmd_convert, (const char *[]){ "convert",
		path_of("v.trace"), "-o", path_of("no/such/dir.paev"), NULL }), 2);
	assert_int_equal(run_cmd(cmd_convert, (const char *[]){ "convert",
		path_of("v.trace"), "-o", "/dev/full", NULL }), 1);
	assert_int_equal(run_cmd(cmd_convert, (const char *[]){ "convert",
		NULL }), 2);
	write_file(path_of("none.txt"), "# nothing\nhello\n", 16);
	assert_int_equal(run_cmd(cmd_convert, (const char *[]){ "convert",
		path_of("none.txt"), "-o", path_of("none.paev"), NULL }), 2);
	assert_int_not_equal(access(path_of("none.paev"), F_OK), 0);
	/* a damaged file: replay's exit status for corrupt input */
	p[n / 2] ^= 1;
	write_file(path_of("bad.paev"), p, n);
	assert_int_equal(run_cmd(cmd_replay, (const char *[]){ "replay",
		path_of("bad.paev"), "--quiet", "--mem", "64M", NULL }), 2);
	free(p);
}

/* A version 1 file (CRC-32C in its last four bytes) names the fix. */
static void test_version1_refused(void **state)
{
	size_t n;
	unsigned char *p = valid_file(&n);

	(void)state;
	p[8] = 1;
	reseal(p, n);
	assert_refused(p, n, "version 1");
	assert_refused(p, n, "pagealloc convert");
	free(p);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[400];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version1_refused),
		cmocka_unit_test(test_round_trip_reports_equal),
		cmocka_unit_test(test_shared_trace_round_trip),
		cmocka_unit_test(test_damage_refused),
		cmocka_unit_test(test_crafted_refused),
		cmocka_unit_test(test_text_reader_names_it),
		cmocka_unit_test(test_zoneinfo_beside),
		cmocka_unit_test(test_cli_exit_status),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
