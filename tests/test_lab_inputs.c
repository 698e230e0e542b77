/* SPDX-License-Identifier: MIT */
/*
 * Replay's inputs and honesty: stdin and pipes keep their data, lost
 * events are counted exactly and mark the comparison unreliable, perf and
 * trace-cmd formats, and hostile inputs (issue 13), each with a clear
 * error or correct handling.  Traces are written here, small, so every
 * figure checked follows from the lines written.
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
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cmocka.h>

#include "commands.h"
#include "helpers.h"
#include "optparse.h"
#include "pfnmap.h"
#include "replay.h"
#include "trace_parse.h"
#include "trace_reader.h"
#include "zoneinfo.h"

static char dir[] = "/tmp/pa-inputs-XXXXXX";

static const char *path_of(const char *name)
{
	static char buf[2][256];
	static int k;

	k ^= 1;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static void write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* `pairs` alloc/free pairs on CPUs 0 and 1, pfns from base, one per
 * millisecond from second `t0`; extra lines appended verbatim. */
static char *make_trace(unsigned pairs, uint64_t base, unsigned t0,
			const char *extra, size_t *len)
{
	size_t cap = (size_t)pairs * 240 + (extra ? strlen(extra) : 0) + 1, n = 0;
	char *t = malloc(cap);

	for (unsigned i = 0; i < pairs; i++) {
		n += (size_t)snprintf(t + n, cap - n,
			"  t-1 [%03u] ..... %u.%06u: mm_page_alloc: page=0 pfn=0x%llx "
			"order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE\n"
			"  t-1 [%03u] ..... %u.%06u: mm_page_free: page=0 pfn=0x%llx order=0\n",
			i % 2, t0 + i / 1000, (i % 1000) * 1000,
			(unsigned long long)(base + i), i % 2, t0 + i / 1000,
			(i % 1000) * 1000 + 500, (unsigned long long)(base + i));
	}
	if (extra)
		n += (size_t)snprintf(t + n, cap - n, "%s", extra);
	*len = n;
	return t;
}

static void *zstd_of(const char *text, size_t len, size_t *zlen)
{
	size_t cap = ZSTD_compressBound(len);
	void *z = malloc(cap);

	*zlen = ZSTD_compress(z, cap, text, len, 1);
	assert_false(ZSTD_isError(*zlen));
	return z;
}

static int replay_list(const char *const *paths, unsigned n, const char *zi,
		       struct trace_tally *t, struct sim **out, char *err,
		       size_t len)
{
	struct replay_opts o = { .traces = paths, .ntraces = n, .zoneinfo = zi };
	double el;

	/* one policy: these cases test the lab's input handling, which is
	 * the same for every policy (test_lab_scenarios runs them all) */
	assert_int_equal(sim_parse_policies("mainline", &o.cfg, err, len), 0);
	return replay_traces(&o, out, t, &el, err, len);
}

static struct sim *replay_ok(const char *path, struct trace_tally *t)
{
	const char *list[] = { path };
	struct sim *s = NULL;
	char err[600], msg[300];

	if (replay_list(list, 1, NULL, t, &s, err, sizeof(err)) != 0)
		fail_msg("replay of %s: %s", path, err);
	if (sim_check(s, msg, sizeof(msg)))
		fail_msg("sim_check: %s", msg);
	return s;
}

static void done(struct sim *s)
{
	sim_destroy(s);
	free(s);
}

static void *gzip_of(const char *text, size_t len, size_t *glen)
{
	z_stream zs;
	size_t cap = len + 1024;
	void *g = malloc(cap);

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8,
				      Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (Bytef *)text;
	zs.avail_in = (uInt)len;
	zs.next_out = g;
	zs.avail_out = (uInt)cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*glen = zs.total_out;
	deflateEnd(&zs);
	return g;
}

/* A child writes `data` into a pipe; returns the read end. */
static int pipe_from(const void *data, size_t n, pid_t *pid)
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	*pid = fork();
	assert_true(*pid >= 0);
	if (*pid == 0) {
		const char *c = data;
		close(p[0]);
		while (n) {
			ssize_t w = write(p[1], c, n);
			if (w <= 0)
				_exit(1);
			c += w;
			n -= (size_t)w;
		}
		_exit(0);
	}
	close(p[1]);
	return p[0];
}

/* Regression: the readability check consumed stdin, so `replay -` lost
 * its data (all of it without a zoneinfo, the first lines with one), and
 * zstd on stdin was refused.  Plain and zstd, with and without zoneinfo,
 * as stdin and as /dev/fd/N (process substitution), replay every event. */
static void test_stdin_and_pipes_keep_their_data(void **state)
{
	size_t len, zlen;
	char *text = make_trace(3000, 0x1000, 1, NULL, &len);
	void *z = zstd_of(text, len, &zlen);
	size_t glen;
	void *g = gzip_of(text, len, &glen);
	char zi[] = "Node 0, zone   Normal\n  pages free     1000\n"
		    "        min      10\n        low      12\n        high     14\n"
		    "        spanned  262144\n        present  262144\n"
		    "        managed  262144\n  pagesets\n    cpu: 0\n"
		    "              count: 0\n              high:  100\n"
		    "              batch: 10\n    cpu: 1\n              count: 0\n"
		    "              high:  100\n              batch: 10\n";
	(void)state;

	write_file(path_of("zi"), zi, strlen(zi));
	/* plain, zstd, gzip; with and without a zoneinfo; stdin or /dev/fd */
	for (int variant = 0; variant < 12; variant++) {
		int comp = variant % 3;
		bool with_zi = variant / 3 & 1, dev_fd = variant / 6 & 1;
		const void *data = comp == 1 ? z : comp == 2 ? g : text;
		size_t n = comp == 1 ? zlen : comp == 2 ? glen : len;
		struct trace_tally t;
		struct sim *s = NULL;
		char err[600], name[64];
		int saved = dup(0), status;
		pid_t pid;
		int fd = pipe_from(data, n, &pid);
		const char *list[1];

		if (dev_fd) {
			snprintf(name, sizeof(name), "/dev/fd/%d", fd);
			list[0] = name;
		} else {
			assert_int_equal(dup2(fd, 0), 0);
			close(fd);
			list[0] = "-";
		}
		int rc = replay_list(list, 1, with_zi ? path_of("zi") : NULL, &t,
				     &s, err, sizeof(err));
		dup2(saved, 0);
		close(saved);
		if (dev_fd)
			close(fd);
		waitpid(pid, &status, 0);
		if (rc)
			fail_msg("variant %d: %s", variant, err);
		assert_int_equal(t.events[TEV_ALLOC], 3000);
		assert_int_equal(t.events[TEV_FREE], 3000);
		assert_int_equal(s->pol[0].c.events, 6000);
		assert_int_equal(s->cfg.ncpus, 2);
		done(s);
	}
	free(g);
	free(z);
	free(text);
}

/* Lost events: every marker form is counted exactly, a capture's trailer
 * wins when larger (the markers and the overrun count report the same
 * events), and the comparison is flagged in every output; --strict
 * exits 1. */
static void test_lost_events_counted_and_flagged(void **state)
{
	const char *extra =
		"CPU:0 [LOST 5 EVENTS]\n"
		"CPU:1 [7 EVENTS DROPPED]\n"
		"CPU:0 [LOST EVENTS]\n"
		"# pagealloc capture: lost_events=20 (ring-buffer overruns 20)\n";
	size_t len;
	char *text = make_trace(100, 0x1000, 1, extra, &len);
	struct trace_tally t;
	struct sim *s;
	char json[300], buf[4096], *strict[] = { "replay", NULL, "--quiet",
						  "--strict", NULL };
	FILE *f;
	(void)state;

	write_file(path_of("lost.trace"), text, len);
	s = replay_ok(path_of("lost.trace"), &t);
	assert_int_equal(t.lost, 20);          /* max(5 + 7, 20) */
	assert_int_equal(t.lost_unknown, 1);
	assert_true(report_kernel_unreliable(&t));
	done(s);

	/* without the trailer: the markers' sum */
	text[len - strlen("# pagealloc capture: lost_events=20 (ring-buffer overruns 20)\n")] = 0;
	write_file(path_of("lost2.trace"), text, strlen(text));
	s = replay_ok(path_of("lost2.trace"), &t);
	assert_int_equal(t.lost, 12);
	done(s);

	snprintf(json, sizeof(json), "%s", path_of("lost.json"));
	char *with_json[] = { "replay", (char *)path_of("lost.trace"), "--quiet",
			      "--json", json, NULL };
	assert_int_equal(cmd_replay(5, with_json), 0);
	f = fopen(json, "r");
	assert_non_null(f);
	buf[fread(buf, 1, sizeof(buf) - 1, f)] = 0;
	fclose(f);
	assert_non_null(strstr(buf, "\"kernel_comparison_reliable\": false"));
	assert_non_null(strstr(buf, "\"lost\": 20"));
	strict[1] = (char *)path_of("lost.trace");
	assert_int_equal(cmd_replay(4, strict), 1);
	/* a clean trace passes --strict */
	free(text);
	text = make_trace(100, 0x1000, 1, NULL, &len);
	write_file(path_of("clean.trace"), text, len);
	strict[1] = (char *)path_of("clean.trace");
	assert_int_equal(cmd_replay(4, strict), 0);
	free(text);
}

/* perf script (kmem: prefix, with and without the period column),
 * trace-cmd report -l, and an overlong line skipped and counted. */
static void test_perf_and_trace_cmd_formats(void **state)
{
	static const char *const lines[] = {
		"            make  1234 [001]  1234.567890: kmem:mm_page_alloc: page=0xffffea0004a3b2c0 pfn=0x128ecb order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE",
		"            make  1234 [001]  1234.567890:          1 kmem:mm_page_alloc: page=0xffffea0004a3b2c0 pfn=0x128ecb order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE",
		"          <...>-1234  [001] d..1.  1234.567890: mm_page_alloc: page=0xffffea0004a3b2c0 pfn=0x128ecb order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE",
		"            bash-1234    1d..1  1234.567890: mm_page_alloc: page=0xffffea0004a3b2c0 pfn=0x128ecb order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct trace_event ev;
		uint64_t lost;

		assert_int_equal(trace_parse_line(lines[i], strlen(lines[i]), &ev,
						  &lost), TL_EVENT);
		assert_int_equal(ev.kind, TEV_ALLOC);
		assert_int_equal(ev.pfn, 0x128ecb);
		assert_int_equal(ev.cpu, 1);
		assert_int_equal(ev.ts_ns, 1234567890000ull);
	}
	/* another subsystem's event is "other", not malformed */
	{
		const char *l = "  make  1234 [001]  1.000000: sched:sched_switch: prev=a";
		struct trace_event ev;
		uint64_t lost;
		assert_int_equal(trace_parse_line(l, strlen(l), &ev, &lost), TL_OTHER);
	}

	/* a perf.data is refused with the exact conversion command */
	char bin[64] = "PERFILE2", err[600];
	struct trace_reader *r;
	write_file(path_of("perf.data"), bin, sizeof(bin));
	assert_int_equal(trace_reader_open(&r, path_of("perf.data"), err, sizeof(err)),
			 -EPROTONOSUPPORT);
	assert_non_null(strstr(err, "perf script -i"));
	char *argv[] = { "replay", (char *)path_of("perf.data"), "--quiet", NULL };
	assert_int_equal(cmd_replay(3, argv), 2);

	/* an overlong line is skipped whole and marks the replay unreliable */
	size_t len;
	char *big = malloc(3 * TRACE_LINE_MAX), *text;
	struct trace_tally t;
	struct sim *s;
	snprintf(big, 128, "  t-1 [000] ..... 1.000000: mm_page_alloc: pfn=0x5 order=0 migratetype=0 x=");
	memset(big + strlen(big), 'x', 2 * TRACE_LINE_MAX);
	big[2 * TRACE_LINE_MAX + 60] = '\n';
	big[2 * TRACE_LINE_MAX + 61] = 0;
	text = make_trace(50, 0x1000, 1, big, &len);
	write_file(path_of("long.trace"), text, len);
	s = replay_ok(path_of("long.trace"), &t);
	assert_int_equal(t.overlong, 1);
	assert_int_equal(t.events[TEV_ALLOC], 50);
	assert_true(report_kernel_unreliable(&t));
	done(s);
	free(big);
	free(text);
}

/* Regression (ASan): a corrupt .zst without a zoneinfo read the reader's
 * error after freeing it.  Now a clear error and exit 2, as the help says. */
static void test_corrupt_zst_exit_status(void **state)
{
	size_t len, zlen;
	char *text = make_trace(20000, 0x1000, 1, NULL, &len);
	unsigned char *z = zstd_of(text, len, &zlen);
	(void)state;

	for (size_t i = zlen / 3; i < zlen - 8; i += 97)
		z[i] ^= 0x5a;
	write_file(path_of("bad.trace.zst"), z, zlen);
	char *argv[] = { "replay", (char *)path_of("bad.trace.zst"), "--quiet", NULL };
	assert_int_equal(cmd_replay(3, argv), 2);
	free(z);
	free(text);
}

/* A timestamp jump of 10^9 s: idle ticks are skipped, not run one per
 * second. */
static void test_timestamp_jump_skips_idle_ticks(void **state)
{
	const char *jump =
		"  t-1 [000] ..... 1000000000.000000: mm_page_alloc: page=0 pfn=0x9000 order=0 migratetype=1 gfp_flags=0\n"
		"  t-1 [000] ..... 1000000000.000500: mm_page_free: page=0 pfn=0x9000 order=0\n";
	size_t len;
	char *text = make_trace(100, 0x1000, 1, jump, &len);
	struct trace_tally t;
	struct sim *s;
	(void)state;

	write_file(path_of("jump.trace"), text, len);
	s = replay_ok(path_of("jump.trace"), &t);
	assert_int_equal(s->pol[0].c.events, 202);
	assert_true(s->pol[0].ticks_skipped > 990000000ull);
	assert_true(t.last_ts - t.first_ts > 999000000ull * 1000000000ull);
	done(s);
	free(text);
}

/* --zoneinfo /dev/zero returns (bounded, binary refused); numbers out of
 * the kernel's range are refused. */
static void test_zoneinfo_hostile(void **state)
{
	struct zoneinfo zi;
	char err[300];
	const char *huge = "Node 0, zone   Normal\n        managed  1152921504606846976\n";
	const char *wrap = "Node 0, zone   Normal\n        managed  99999999999999999999999\n";
	const char *high = "Node 0, zone   Normal\n        managed  1000\n  pagesets\n"
			   "    cpu: 0\n              count: 5000\n";
	(void)state;

	assert_int_equal(zoneinfo_read("/dev/zero", NULL, &zi, err, sizeof(err)),
			 -EINVAL);
	write_file(path_of("z1"), huge, strlen(huge));
	assert_int_equal(zoneinfo_read(path_of("z1"), NULL, &zi, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "managed"));
	write_file(path_of("z2"), wrap, strlen(wrap));
	assert_int_equal(zoneinfo_read(path_of("z2"), NULL, &zi, err, sizeof(err)),
			 -EINVAL);
	write_file(path_of("z3"), high, strlen(high));
	assert_int_equal(zoneinfo_read(path_of("z3"), NULL, &zi, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "count"));

	size_t len;
	char *text = make_trace(10, 0x1000, 1, NULL, &len);
	write_file(path_of("z.trace"), text, len);
	char *argv[] = { "replay", (char *)path_of("z.trace"), "--zoneinfo",
			 "/dev/zero", "--quiet", NULL };
	assert_int_equal(cmd_replay(5, argv), 2);
	free(text);
}

/* pfn 2^64-1 (the pfn map's empty marker) is malformed, and the map
 * refuses the marker as a key; one outlier pfn and one CPU id 999999 do
 * not size the machine. */
static void test_outlier_pfns_and_cpus(void **state)
{
	const char *max = "  t-1 [000] ..... 1.0: mm_page_free: page=0 pfn=0xffffffffffffffff order=0";
	struct trace_event ev;
	struct pfnmap m;
	uint64_t lost;
	(void)state;

	assert_int_equal(trace_parse_line(max, strlen(max), &ev, &lost), TL_MALFORMED);
	assert_int_equal(pfnmap_init(&m), 0);
	assert_int_equal(pfnmap_insert(&m, PFNMAP_EMPTY, 1, 0, 0, NULL), -EINVAL);
	assert_int_equal(m.count, 0);
	pfnmap_destroy(&m);

	const char *outliers =
		"  t-1 [000] ..... 30.000000: mm_page_alloc: page=0 pfn=0xfffffffff000 order=0 migratetype=1 gfp_flags=0\n"
		"  t-1 [999999] ..... 30.000001: mm_page_alloc: page=0 pfn=0x1001 order=0 migratetype=1 gfp_flags=0\n";
	size_t len;
	char *text = make_trace(20000, 0x1000, 1, outliers, &len);
	struct trace_tally t;
	struct sim *s;

	write_file(path_of("out.trace"), text, len);
	s = replay_ok(path_of("out.trace"), &t);
	/* 20000 pages from pfn 0x1000, in 2 MiB pageblocks */
	assert_int_equal(s->cfg.bytes, ((20000 + 511) & ~511ull) * 4096);
	assert_int_equal(s->cfg.ncpus, 2);
	assert_int_equal(t.pfn_outliers, 1);
	assert_int_equal(t.cpu_outliers, 1);
	assert_int_equal(t.events[TEV_ALLOC], 20002); /* still replayed */
	done(s);
	free(text);
}

/* Run one command with stdout into a file (or /dev/full); returns its
 * exit status. */
static int to_file(int (*fn)(int, char **), int argc, char **argv,
		   const char *path)
{
	int saved = dup(1), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), rc;

	/* a full device reports its error on the write: clear it after */

	assert_true(saved >= 0 && fd >= 0);
	fflush(stdout);
	dup2(fd, 1);
	close(fd);
	rc = fn(argc, argv);
	fflush(stdout);
	clearerr(stdout);
	dup2(saved, 1);
	close(saved);
	return rc;
}

/* Output to a full device exits 1 (replay, run, zram); option values that
 * would wrap are refused (exit 2). */
static void test_full_output_and_wrapping_options(void **state)
{
	size_t len;
	char *text = make_trace(100, 0x1000, 1, NULL, &len);
	(void)state;

	write_file(path_of("f.trace"), text, len);
	char *rep[] = { "replay", (char *)path_of("f.trace"), NULL };
	char *run[] = { "run", "kernel-build", "--mem", "64M", "--scale", "0.01",
			"--policy", "mainline", NULL };
	char *zram[] = { "zram", (char *)path_of("f.trace"), "--quiet", NULL };
	assert_int_equal(to_file(cmd_replay, 2, rep, "/dev/full"), 1);
	assert_int_equal(to_file(cmd_run, 8, run, "/dev/full"), 1);
	assert_int_equal(to_file(cmd_zram, 3, zram, "/dev/full"), 1);

	char *chain[] = { "zram", (char *)path_of("f.trace"), "--chain", "4294967304", NULL };
	char *limit[] = { "zram", (char *)path_of("f.trace"), "--limit", "-1", NULL };
	char *seed[] = { "run", "kernel-build", "--seed", "-1", NULL };
	char *cpus[] = { "replay", (char *)path_of("f.trace"), "--cpus", "4294967298", NULL };
	assert_int_equal(cmd_zram(4, chain), 2);
	assert_int_equal(cmd_zram(4, limit), 2);
	assert_int_equal(cmd_run(4, seed), 2);
	assert_int_equal(cmd_replay(4, cpus), 2);

	uint64_t v;
	char err[200];
	assert_int_equal(opt_u64("--x", "18446744073709551616", 0, UINT64_MAX, &v,
				 err, sizeof(err)), -EINVAL);
	assert_int_equal(opt_u64("--x", " 5", 0, 10, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(opt_u64("--x", "0x10", 0, 100, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 16);
	/* id lists (capture's --cpus, --pid): ranges only where allowed */
	assert_int_equal(opt_id_list("--x", "0-3,8", 0, 8, true, err,
				     sizeof(err)), 0);
	assert_int_equal(opt_id_list("--x", "0-3,8", 0, 8, false, err,
				     sizeof(err)), -EINVAL);
	assert_int_equal(opt_id_list("--x", "0-9", 0, 8, true, err,
				     sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "0-9"));
	assert_int_equal(opt_id_list("--x", "3-2", 0, 8, true, err,
				     sizeof(err)), -EINVAL);
	assert_int_equal(opt_id_list("--x", "12,34", 0, 99, false, err,
				     sizeof(err)), 0);
	static const char *const bad[] = { "", ",", "1,", ",1", "1,,2", " 1",
					   "1 ", "+1", "-1", "0x1", "1;2" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (opt_id_list("--x", bad[i], 0, 99, true, err, sizeof(err)) !=
		    -EINVAL || !strstr(err, "--x"))
			fail_msg("opt_id_list(\"%s\") accepted", bad[i]);
	free(text);
}

/* zram: an unreadable file is named and exits 2 (it used to store a zero
 * page and say "all pages identical"); a 2000-level tree is walked
 * without recursion. */
static void test_zram_unreadable_and_deep_tree(void **state)
{
	char *argv[] = { "zram", "/proc/self/mem", "--quiet", NULL };
	int fd;
	(void)state;

	/* /proc/self/mem: stat says readable, a read at offset 0 fails */
	if (access("/proc/self/mem", R_OK) == 0) {
		struct stat st;
		if (stat("/proc/self/mem", &st) == 0 && st.st_size > 0)
			assert_int_equal(cmd_zram(3, argv), 2);
	}

	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(mkdirat(fd, "deep", 0700), 0);
	int cur = openat(fd, "deep", O_RDONLY | O_DIRECTORY);
	for (int i = 0; i < 2000; i++) {
		assert_int_equal(mkdirat(cur, "d", 0700), 0);
		int next = openat(cur, "d", O_RDONLY | O_DIRECTORY);
		close(cur);
		cur = next;
		assert_true(cur >= 0);
	}
	int f = openat(cur, "leaf", O_WRONLY | O_CREAT, 0600);
	assert_int_equal(write(f, "hello", 5), 5);
	close(f);
	close(cur);
	close(fd);
	char *deep[] = { "zram", (char *)path_of("deep"), "--quiet", NULL };
	assert_int_equal(cmd_zram(3, deep), 0);
}

/* JSON stays valid for a file name that is not UTF-8, and records the
 * version and the input's checksum. */
static void test_json_non_utf8_name(void **state)
{
	size_t len;
	char *text = make_trace(20, 0x1000, 1, NULL, &len), buf[8192];
	char name[300], json[300];
	FILE *f;
	(void)state;

	snprintf(name, sizeof(name), "%s/bad\xff\xc3(.trace", dir);
	snprintf(json, sizeof(json), "%s/bad.json", dir);
	write_file(name, text, len);
	char *argv[] = { "replay", name, "--quiet", "--json", json, NULL };
	assert_int_equal(cmd_replay(5, argv), 0);
	f = fopen(json, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	assert_null(memchr(buf, 0xff, n));
	assert_non_null(strstr(buf, "bad\\ufffd\\ufffd("));
	/* the JSON records the version and each input's size and CRC-32 */
	char want[96];
	snprintf(want, sizeof(want), "\"bytes\": %zu, \"crc32\": %lu", len,
		 crc32(0, (const Bytef *)text, (uInt)len));
	assert_non_null(strstr(buf, want));
	assert_non_null(strstr(buf, "\"version\": \"pagealloc "));
	free(text);
}

/* Several traces: each clock starts where the previous trace ended (the
 * gap between captures does not count); different zoneinfos are refused. */
static void test_several_traces(void **state)
{
	size_t la, lb;
	char *a = make_trace(1000, 0x1000, 1, NULL, &la);     /* 1.0 .. 2.0 s */
	char *b = make_trace(1000, 0x1000, 5000, NULL, &lb);  /* 5000 s later */
	char pa[300], pb[300];
	const char *list[] = { pa, pb };
	struct trace_tally t;
	struct sim *s = NULL;
	char err[600];
	(void)state;

	snprintf(pa, sizeof(pa), "%s", path_of("a.trace"));
	snprintf(pb, sizeof(pb), "%s", path_of("b.trace"));
	write_file(pa, a, la);
	write_file(pb, b, lb);
	assert_int_equal(replay_list(list, 2, NULL, &t, &s, err, sizeof(err)), 0);
	/* two traces of just under 1 s each, back to back */
	assert_true(t.last_ts - t.first_ts < 2000000000ull);
	assert_int_equal(s->pol[0].c.events, 4000);
	done(s);

	const char *za = "Node 0, zone   Normal\n        managed  262144\n  pagesets\n    cpu: 0\n";
	const char *zb = "Node 0, zone   Normal\n        managed  524288\n  pagesets\n    cpu: 0\n";
	write_file(path_of("a.zoneinfo"), za, strlen(za));
	write_file(path_of("b.zoneinfo"), zb, strlen(zb));
	s = NULL;
	assert_int_equal(replay_list(list, 2, NULL, &t, &s, err, sizeof(err)), -EINVAL);
	assert_null(s);
	assert_non_null(strstr(err, "different machines"));
	/* "-" twice is refused too */
	const char *twice[] = { "-", "-" };
	assert_int_equal(replay_list(twice, 2, NULL, &t, &s, err, sizeof(err)), -EINVAL);
	free(a);
	free(b);
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	char *buf = malloc(1 << 20);

	assert_non_null(f);
	*n = fread(buf, 1, (1 << 20) - 1, f);
	buf[*n] = 0;
	fclose(f);
	return buf;
}

/* run --quiet writes no table; its JSON records the command line;
 * compare puts two results side by side with B / A. */
static void test_run_quiet_json_argv_and_compare(void **state)
{
	char a[300], b[300], out[300], bogus[300];
	size_t n;
	(void)state;

	snprintf(a, sizeof(a), "%s", path_of("a.json"));
	snprintf(b, sizeof(b), "%s", path_of("b.json"));
	snprintf(out, sizeof(out), "%s", path_of("out.txt"));
	snprintf(bogus, sizeof(bogus), "%s", path_of("bogus.json"));
	char *ra[] = { "run", "kernel-build", "--mem", "64M", "--scale", "0.01",
		       "--policy", "mainline", "--quiet", "--json", a, NULL };
	char *rb[] = { "run", "kernel-build", "--mem", "64M", "--scale", "0.02",
		       "--policy", "mainline", "--quiet", "--json", b, NULL };
	assert_int_equal(to_file(cmd_run, 11, ra, out), 0);
	char *text = slurp(out, &n);
	assert_int_equal(n, 0); /* --quiet: no table */
	free(text);
	assert_int_equal(to_file(cmd_run, 11, rb, out), 0);
	text = slurp(a, &n);
	assert_non_null(strstr(text, "\"--scale\", \"0.01\""));
	free(text);

	char *cmp[] = { "compare", a, b, NULL };
	assert_int_equal(to_file(cmd_compare, 3, cmp, out), 0);
	text = slurp(out, &n);
	assert_non_null(strstr(text, "B / A"));
	/* the same figure twice as many requests: events doubles, about */
	char *ev = strstr(text, "  events ");
	assert_non_null(ev);
	double ra_v, rb_v;
	assert_int_equal(sscanf(ev, "  events %lf %lf", &ra_v, &rb_v), 2);
	assert_true(rb_v > ra_v);
	free(text);

	write_file(bogus, "{\"x\": 1}", 8);
	char *bad[] = { "compare", a, bogus, NULL };
	char *missing[] = { "compare", a, "/nonexistent.json", NULL };
	char *one[] = { "compare", a, NULL };
	char *nopol[] = { "compare", a, b, "--policy", "pcpbuddy", NULL };
	assert_int_equal(to_file(cmd_compare, 3, bad, out), 2);
	assert_int_equal(to_file(cmd_compare, 3, missing, out), 2);
	assert_int_equal(to_file(cmd_compare, 2, one, out), 2);
	assert_int_equal(to_file(cmd_compare, 5, nopol, out), 2);
}

/* Run one command with stdout to /dev/null and stderr into a file;
 * returns its exit status. */
static int stderr_to(int (*fn)(int, char **), int argc, char **argv,
		     const char *path)
{
	int saved = dup(2), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), rc;

	assert_true(saved >= 0 && fd >= 0);
	fflush(stderr);
	dup2(fd, 2);
	close(fd);
	rc = to_file(fn, argc, argv, "/dev/null");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	return rc;
}

/* An input with no page event is an input error (exit 2) with a reason,
 * not a report of zeros with exit 0: an empty file, an empty pipe, a file
 * of comments and other events only.  compare on a missing file names it
 * without a bogus "line -1". */
static void test_empty_input_and_compare_missing(void **state)
{
	char errf[300], empty[300], other[300];
	static const char other_text[] =
		"# tracer: nop\n"
		"  sh-1 [000] ..... 1.000001: sched_switch: prev_comm=sh\n";
	size_t n;
	char *text;
	(void)state;

	snprintf(errf, sizeof(errf), "%s", path_of("err.txt"));
	snprintf(empty, sizeof(empty), "%s", path_of("empty.trace"));
	snprintf(other, sizeof(other), "%s", path_of("other.trace"));
	write_file(empty, "", 0);
	write_file(other, other_text, sizeof(other_text) - 1);

	char *e1[] = { "replay", empty, "--quiet", NULL };
	assert_int_equal(stderr_to(cmd_replay, 3, e1, errf), 2);
	text = slurp(errf, &n);
	assert_non_null(strstr(text, "empty.trace: empty input"));
	free(text);

	char *e2[] = { "replay", other, "--quiet", NULL };
	assert_int_equal(stderr_to(cmd_replay, 3, e2, errf), 2);
	text = slurp(errf, &n);
	assert_non_null(strstr(text, "no mm_page_* event in its 2 lines (1 other"));
	free(text);

	/* one good trace and one empty one: still refused */
	size_t len;
	char *good = make_trace(50, 0x1000, 1, NULL, &len);
	write_file(path_of("good.trace"), good, len);
	free(good);
	char *e3[] = { "replay", (char *)path_of("good.trace"), empty, "--quiet",
		       NULL };
	assert_int_equal(stderr_to(cmd_replay, 4, e3, errf), 2);
	char *ok[] = { "replay", (char *)path_of("good.trace"), "--quiet", NULL };
	assert_int_equal(stderr_to(cmd_replay, 3, ok, errf), 0);

	char *cmp[] = { "compare", "/nonexistent-a.json", "/nonexistent-b.json",
			NULL };
	assert_int_equal(stderr_to(cmd_compare, 3, cmp, errf), 2);
	text = slurp(errf, &n);
	assert_non_null(strstr(text, "/nonexistent-a.json"));
	assert_null(strstr(text, "line -1"));
	assert_null(strstr(text, "line 0"));
	free(text);
}

/* A binary input was "unknown format: not ftrace text, zstd or gzip",
 * whatever it was, and a NUL past the first block was not noticed at all.
 * Each kind is named now with the command that gives text, a NUL with its
 * offset (in the first block and deep in plain or zstd text); exit 2. */
static void test_binary_inputs_named(void **state)
{
	static const struct { const char *magic; size_t n; const char *want; } kinds[] = {
		{ "\xfd" "7zXZ\0\0\4", 8, "`xz -dc " },
		{ "BZh91AY&SY\0\1", 12, "`bzip2 -dc " },
		{ "\x04\x22\x4d\x18\x64\x40\xa7\0", 8, "`lz4 -dc " },
		{ "\x89LZO\0\r\n\x1a\n\x10\x30", 11, "`lzop -dc " },
		{ "\x7f" "ELF\2\1\1\0\0\0", 10, "an ELF executable" },
		{ "PERFILE2\x68\0\0\0", 12, "" },
	};
	char path[256], errf[256], want[600], *text, *msg;
	size_t len, n;
	(void)state;

	snprintf(errf, sizeof(errf), "%s", path_of("bin.err"));
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		unsigned char bin[256];

		memset(bin, 0x80, sizeof(bin));
		memcpy(bin, kinds[i].magic, kinds[i].n);
		snprintf(path, sizeof(path), "%s", path_of(i == 5 ? "perf.data" : "bin"));
		write_file(path, bin, sizeof(bin));
		if (i == 5) /* the exact command, as the help gives it */
			snprintf(want, sizeof(want), "`perf script -i %s > %s.txt`",
				 path, path);
		else
			snprintf(want, sizeof(want), "%s", kinds[i].want);
		char *argv[] = { "replay", path, "--quiet", NULL };
		assert_int_equal(stderr_to(cmd_replay, 3, argv, errf), 2);
		msg = slurp(errf, &n);
		if (!strstr(msg, want))
			fail_msg("kind %zu: want \"%s\", got: %s", i, want, msg);
		free(msg);
	}

	/* NUL bytes: in the first block, and far into plain and zstd text */
	text = make_trace(4000, 0x1000, 1, NULL, &len);
	assert_true(len > 300000);
	for (unsigned k = 0; k < 3; k++) {
		size_t at = k == 0 ? 100 : 300007;
		char *t = malloc(len);
		size_t zlen;
		void *z = NULL;

		memcpy(t, text, len);
		t[at] = 0;
		snprintf(path, sizeof(path), "%s", path_of("nul.trace"));
		if (k == 2) {
			z = zstd_of(t, len, &zlen);
			write_file(path, z, zlen);
		} else {
			write_file(path, t, len);
		}
		char *argv[] = { "replay", path, "--quiet", NULL };
		assert_int_equal(stderr_to(cmd_replay, 3, argv, errf), 2);
		msg = slurp(errf, &n);
		snprintf(want, sizeof(want), "NUL byte at offset %zu", at);
		if (!strstr(msg, want))
			fail_msg("NUL at %zu (%s): %s", at, k == 2 ? "zstd" : "plain", msg);
		free(msg);
		free(t);
		free(z);
	}
	free(text);

	/* what perf script prints today (perf 6.x: page= is the pfn too) */
	const char *l = "  bench_antifrag 29231 [000]  1015.523063: kmem:mm_page_alloc: "
		"page=0x181f0c pfn=0x181f0c order=0 migratetype=1 "
		"gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_ZERO|__GFP_COMP";
	struct trace_event ev;
	uint64_t lost;
	assert_int_equal(trace_parse_line(l, strlen(l), &ev, &lost), TL_EVENT);
	assert_int_equal(ev.kind, TEV_ALLOC);
	assert_int_equal(ev.pfn, 0x181f0c);
	assert_int_equal(ev.ts_ns, 1015523063000ull);
}

/* compare read "-" as a file named "-", and a directory as an empty
 * file ("'[' or '{' expected near end of file").  "-" is stdin now (once),
 * a directory is named as such; both exit 2 when wrong. */
static void test_compare_stdin_and_directory(void **state)
{
	char a[300], out[300], errf[300];
	char *text;
	size_t n;
	int saved, fd, rc;
	(void)state;

	snprintf(a, sizeof(a), "%s", path_of("c.json"));
	snprintf(out, sizeof(out), "%s", path_of("c.out"));
	snprintf(errf, sizeof(errf), "%s", path_of("c.err"));
	char *mk[] = { "run", "kernel-build", "--mem", "64M", "--scale", "0.002",
		       "--policy", "mainline", "--quiet", "--json", a, NULL };
	assert_int_equal(to_file(cmd_run, 11, mk, out), 0);

	saved = dup(0);
	fd = open(a, O_RDONLY);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 0);
	close(fd);
	clearerr(stdin);
	char *cmp[] = { "compare", "-", a, NULL };
	rc = to_file(cmd_compare, 3, cmp, out);
	dup2(saved, 0);
	close(saved);
	clearerr(stdin);
	assert_int_equal(rc, 0);
	text = slurp(out, &n);
	assert_non_null(strstr(text, "A: - (pagealloc"));
	assert_non_null(strstr(text, "B / A"));
	free(text);

	char *twice[] = { "compare", "-", "-", NULL };
	assert_int_equal(stderr_to(cmd_compare, 3, twice, errf), 2);
	char *dirs[] = { "compare", dir, a, NULL };
	assert_int_equal(stderr_to(cmd_compare, 3, dirs, errf), 2);
	text = slurp(errf, &n);
	assert_non_null(strstr(text, "a directory"));
	free(text);
}

/* Lost and malformed input, seen from the outside: a warning on stderr
 * (with or without --quiet), the comparison marked in the table, the
 * HTML and the JSON, and --strict exit 1 for a malformed line as for lost
 * events, the reports still written. */
static void test_strict_and_warnings_everywhere(void **state)
{
	static const char *const bad[] = {
		"  t-1 [000] ..... 9.000000: mm_page_alloc: page=0 pfn=zz order=0 "
		"migratetype=0 gfp_flags=GFP_KERNEL\n",
		"CPU:1 [LOST 3 EVENTS]\n",
	};
	static const char *const why[] = { "1 malformed lines", "3 events lost" };
	char trace[300], out[300], errf[300], html[300], json[300], *text;
	size_t len, n;
	(void)state;

	snprintf(trace, sizeof(trace), "%s", path_of("w.trace"));
	snprintf(out, sizeof(out), "%s", path_of("w.out"));
	snprintf(errf, sizeof(errf), "%s", path_of("w.err"));
	snprintf(html, sizeof(html), "%s", path_of("w.html"));
	snprintf(json, sizeof(json), "%s", path_of("w.json"));
	for (unsigned k = 0; k < 2; k++) {
		text = make_trace(100, 0x1000, 1, bad[k], &len);
		write_file(trace, text, len);
		free(text);
		for (unsigned strict = 0; strict < 2; strict++) {
			char *argv[] = { "replay", trace, "--policy", "mainline",
					 "--html", html, "--json", json,
					 strict ? "--strict" : "--quiet", NULL };

			unlink(html);
			unlink(json);
			assert_int_equal(th_run_redirected(cmd_replay, 9, argv, out,
							   errf), strict ? 1 : 0);
			text = slurp(errf, &n);
			if (!strstr(text, "warning: ") || !strstr(text, why[k]) ||
			    !strstr(text, "unreliable"))
				fail_msg("stderr without the warning: %s", text);
			if (strict && !strstr(text, "--strict: exit 1"))
				fail_msg("--strict not said: %s", text);
			free(text);
			text = slurp(out, &n);
			if (strict && (!strstr(text, "WARNING: the comparison with the "
					       "kernel is unreliable") ||
				       !strstr(text, "UNRELIABLE")))
				fail_msg("table not marked: %.300s", text);
			free(text);
			text = slurp(html, &n);
			assert_non_null(strstr(text, "unreliable:</b> "));
			assert_non_null(strstr(text, why[k]));
			free(text);
			text = slurp(json, &n);
			assert_non_null(strstr(text, "\"kernel_comparison_reliable\": false"));
			free(text);
		}
	}
}

static int setup(void **state)
{
	(void)state;
	return th_tmpdir_make(dir);
}

static int teardown(void **state)
{
	(void)state;
	return th_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stdin_and_pipes_keep_their_data),
		cmocka_unit_test(test_lost_events_counted_and_flagged),
		cmocka_unit_test(test_perf_and_trace_cmd_formats),
		cmocka_unit_test(test_corrupt_zst_exit_status),
		cmocka_unit_test(test_timestamp_jump_skips_idle_ticks),
		cmocka_unit_test(test_zoneinfo_hostile),
		cmocka_unit_test(test_outlier_pfns_and_cpus),
		cmocka_unit_test(test_full_output_and_wrapping_options),
		cmocka_unit_test(test_zram_unreadable_and_deep_tree),
		cmocka_unit_test(test_json_non_utf8_name),
		cmocka_unit_test(test_several_traces),
		cmocka_unit_test(test_run_quiet_json_argv_and_compare),
		cmocka_unit_test(test_empty_input_and_compare_missing),
		cmocka_unit_test(test_binary_inputs_named),
		cmocka_unit_test(test_compare_stdin_and_directory),
		cmocka_unit_test(test_strict_and_warnings_everywhere),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
