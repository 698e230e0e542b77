/* SPDX-License-Identifier: MIT */
/*
 * Replay of the real kernel traces in ../shared/traces: the event counts
 * the traces' README lists, exact accounting at the end, the same output
 * on two runs, and clear exit status 2 for unreadable or unknown input.
 * Sanitizer builds replay the large trace through mainline only, to keep
 * the suite fast.
 */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "commands.h"
#include "helpers.h"
#include "replay.h"

#ifdef PA_SANITIZER
#define POLICIES "mainline"
#else
#define POLICIES "all"
#endif

static char traces[4096];

static int find_traces(void **state)
{
	FILE *p = popen("git rev-parse --show-toplevel 2>/dev/null", "r");
	(void)state;

	traces[0] = 0;
	if (p) {
		if (fgets(traces, sizeof(traces) - 32, p))
			traces[strcspn(traces, "\n")] = 0;
		pclose(p);
	}
	strcat(traces, traces[0] ? "/../shared/traces" : "../shared/traces");
	return 0;
}

static const char *trace_path(const char *name)
{
	static char buf[4200];

	snprintf(buf, sizeof(buf), "%s/%s", traces, name);
	return buf;
}

/* Replay one trace with options o (its traces are set here). */
static struct sim *replay_with(struct replay_opts *o, const char *path,
			       struct trace_tally *t, const char *policies)
{
	const char *list[] = { path };
	struct sim *s = NULL;
	char err[512];
	double el;

	o->traces = list;
	o->ntraces = 1;
	assert_int_equal(sim_parse_policies(policies, &o->cfg, err, sizeof(err)), 0);
	if (replay_traces(o, &s, t, &el, err, sizeof(err)) != 0)
		fail_msg("replay of %s: %s", path, err);
	return s;
}

static struct sim *replay(const char *path, struct trace_tally *t,
			  const char *policies)
{
	struct replay_opts o = { 0 };

	return replay_with(&o, path, t, policies);
}

/* The counts the README of ../shared/traces documents for build.trace.zst. */
static void test_build_trace_counts_and_accounting(void **state)
{
	const char *path = trace_path("build.trace.zst");
	struct trace_tally t;
	struct sim *s;
	char msg[300];
	(void)state;

	if (access(path, R_OK) != 0) {
		print_message("skipping: %s is absent\n", path);
		skip();
	}
	s = replay(path, &t, POLICIES);
	assert_int_equal(t.events[TEV_ALLOC], 236993);
	assert_int_equal(t.events[TEV_FREE], 213700);
	assert_int_equal(t.events[TEV_FREE_BATCHED], 202127);
	assert_int_equal(t.events[TEV_ZONE_LOCKED], 25711);
	assert_int_equal(t.events[TEV_PCPU_DRAIN], 2155);
	/* every batched free found its mm_page_free in the window and went
	 * through pa_free_bulk with its run */
	assert_int_equal(t.free_batched_frees, t.events[TEV_FREE_BATCHED]);
	assert_true(t.free_batched_runs > 0 &&
		    t.free_batched_runs * 2 < t.free_batched_frees);
	assert_int_equal(t.malformed, 0);
	assert_int_equal(t.lost, 0);
	assert_true(t.have_zoneinfo);
	/* sized like the traced machine's Normal zone */
	assert_int_equal(pa_managed_pages(s->pol[0].zone), 1277952);
	assert_int_equal(s->zcfg.ncpus, 2);
	assert_int_equal(s->zcfg.pcp_batch, 63);

	for (unsigned i = 0; i < s->npol; i++) {
		const struct sim_policy *p = &s->pol[i];
		const struct sim_counts *c = &p->c;

		/* a batched free is counted once: every mm_page_alloc and
		 * mm_page_free is one replayed event, nothing else is */
		assert_int_equal(c->events, t.events[TEV_ALLOC] + t.events[TEV_FREE]);
		/* each allocation succeeded or failed; each free freed a block,
		 * hit an unknown page, or was a later piece of a split block */
		assert_int_equal(c->allocs + c->failures,
				 t.events[TEV_ALLOC] - t.kernel_failed);
		assert_int_equal(c->frees + c->free_unknown + c->free_partial_rest,
				 t.events[TEV_FREE] + c->alloc_over_live);
		/* the warm start's blocks in use before the capture are live
		 * without an allocation in the run (lab/warm.h) */
		assert_int_equal(c->allocs + t.warm_pre_blocks - c->frees,
				 c->live_blocks);
		assert_int_equal(p->stats.allocated_pages, c->live_pages);
		assert_int_equal(c->bad_frees, 0);
	}
	/* pa_check clean, zone accounting equals the live blocks */
	if (sim_check(s, msg, sizeof(msg)) != 0)
		fail_msg("%s", msg);
	sim_destroy(s);
	free(s);
}

/* Two replays of the same trace write identical JSON. */
/* Remove the line starting with `prefix` from text, in place. */
static void drop_line(char *text, const char *prefix)
{
	char *p = strstr(text, prefix), *nl;

	if (!p)
		fail_msg("no line %s", prefix);
	nl = strchr(p, '\n');
	memmove(p, nl + 1, strlen(nl + 1) + 1);
}

static void test_replay_is_deterministic(void **state)
{
	const char *path = trace_path("exit-avalanche-thp.trace.zst");
	char j1[] = "/tmp/pa_replay_det1.XXXXXX", j2[] = "/tmp/pa_replay_det2.XXXXXX";
	char *a, *b;
	(void)state;

	if (access(path, R_OK) != 0)
		skip();
	close(mkstemp(j1));
	close(mkstemp(j2));
	for (int run = 0; run < 2; run++) {
		char *argv[] = { "replay", (char *)path, "--quiet", "--json",
				 run ? j2 : j1, "--policy", "all", NULL };
		FILE *saved = stdout;

		stdout = fopen("/dev/null", "w");
		assert_int_equal(cmd_replay(7, argv), 0);
		fclose(stdout);
		stdout = saved;
	}
	a = th_slurp(j1, NULL);
	b = th_slurp(j2, NULL);
	/* the recorded command lines differ (the --json paths): drop them */
	drop_line(a, "  \"argv\": ");
	drop_line(b, "  \"argv\": ");
	assert_true(strlen(a) > 1000);
	assert_non_null(strstr(a, "\"mm_page_alloc\": 2582"));
	assert_string_equal(a, b);
	free(a);
	free(b);
	unlink(j1);
	unlink(j2);
}

/* The exit-avalanche trace replays whole, every event accounted for. */
static void test_exit_avalanche_trace(void **state)
{
	const char *path = trace_path("exit-avalanche-thp.trace.zst");
	struct trace_tally t;
	struct sim *s;
	char msg[300];
	(void)state;

	if (access(path, R_OK) != 0)
		skip();
	s = replay(path, &t, "all");
	assert_int_equal(t.events[TEV_ALLOC], 2582);
	assert_int_equal(t.events[TEV_FREE], 2287);
	assert_int_equal(t.events[TEV_FREE_BATCHED], 1155);
	assert_int_equal(t.events[TEV_ZONE_LOCKED], 2356);
	assert_int_equal(t.events[TEV_PCPU_DRAIN], 1297);
	for (unsigned i = 0; i < s->npol; i++)
		assert_int_equal(s->pol[i].c.events, 2582 + 2287);
	if (sim_check(s, msg, sizeof(msg)) != 0)
		fail_msg("%s", msg);
	sim_destroy(s);
	free(s);
}

/* --prefill: each CPU's pageset starts with the zoneinfo's count: pages
 * (against --cold, the empty start)
 * (exit-avalanche-thp.zoneinfo: 10,693 and 29,109), the counters start at zero, and the
 * replay still balances exactly, under every policy. */
static void test_prefill_from_zoneinfo(void **state)
{
	const char *path = trace_path("exit-avalanche-thp.trace.zst");
	const char *list[] = { path };
	struct replay_opts o = { .traces = list, .ntraces = 1, .prefill = true };
	struct trace_tally t;
	struct sim *s = NULL;
	char err[512], msg[300];
	double el;
	(void)state;

	if (access(path, R_OK) != 0)
		skip();
	assert_int_equal(sim_parse_policies(POLICIES, &o.cfg, err, sizeof(err)), 0);
	if (replay_traces(&o, &s, &t, &el, err, sizeof(err)) != 0)
		fail_msg("replay of %s: %s", path, err);
	assert_non_null(s->cfg.pcp_fill);
	assert_true(s->cfg.pcp_fill_n >= 2);
	unsigned filled = s->cfg.pcp_fill[0] + s->cfg.pcp_fill[1];

	assert_true(filled > 0);
	for (unsigned i = 0; i < s->npol; i++)
		assert_int_equal(s->pol[i].c.events, 2582 + 2287);
	if (sim_check(s, msg, sizeof(msg)) != 0)
		fail_msg("%s", msg);
	/* counters start after the fill, and pages already on the pagesets
	 * serve allocations that empty ones must refill for */
	struct pa_stats filled_st, empty_st;
	struct replay_opts oc = { .traces = list, .ntraces = 1, .cold = true };
	struct sim *e = NULL;

	assert_int_equal(sim_parse_policies(POLICIES, &oc.cfg, err, sizeof(err)), 0);
	if (replay_traces(&oc, &e, &t, &el, err, sizeof(err)) != 0)
		fail_msg("replay of %s: %s", path, err);
	assert_int_equal(s->npol, e->npol);
	for (unsigned i = 0; i < s->npol; i++) {
		pa_stats(s->pol[i].zone, &filled_st);
		pa_stats(e->pol[i].zone, &empty_st);
		/* every policy refills less; the hits bind mainline only
		 * (pcpbuddy's filled pagesets hit 2,023 times against the
		 * empty ones' 2,032 on this trace: its fill claims whole
		 * blocks, which split otherwise than its refills' chunks) */
		if (filled_st.zone_pages_refill >= empty_st.zone_pages_refill ||
		    (s->pol[i].policy == PA_POLICY_MAINLINE &&
		     filled_st.pcp_alloc_hit < empty_st.pcp_alloc_hit))
			fail_msg("%s: filled pagesets refilled %llu pages and hit %llu times, empty ones %llu and %llu",
				 pa_policy_name(s->pol[i].policy),
				 (unsigned long long)filled_st.zone_pages_refill,
				 (unsigned long long)filled_st.pcp_alloc_hit,
				 (unsigned long long)empty_st.zone_pages_refill,
				 (unsigned long long)empty_st.pcp_alloc_hit);
	}
	sim_destroy(e);
	free(e);
	sim_destroy(s);
	free(s);
}

/* A trace without zoneinfo is sized from its pfn span and CPUs, the same
 * machine for every policy. */
static void test_sized_from_pfn_span(void **state)
{
	char dir[] = "/tmp/pa_replay_span.XXXXXX", path[64], cmd[128];
	struct trace_tally t;
	struct sim *s;
	FILE *f;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.trace", dir);
	f = fopen(path, "w");
	/* 4 pageblocks of pfn span, CPUs 0..2; a free of a page allocated
	 * before the trace; a decimal pfn */
	fprintf(f, "# tracer: nop\n"
		"  a-1 [000] ..... 1.000000: mm_page_alloc: page=x pfn=0x100000 order=0 migratetype=1 gfp_flags=GFP_USER\n"
		"  a-1 [002] ..... 1.000001: mm_page_alloc: page=x pfn=0x1007fe order=1 migratetype=0 gfp_flags=GFP_KERNEL\n"
		"  a-1 [001] ..... 1.000002: mm_page_free: page=x pfn=0x100000 order=0\n"
		"  a-1 [001] ..... 1.000003: mm_page_free: page=x pfn=0x123 order=0\n"
		"  a-1 [001] ..... 1.000004: mm_page_free_batched: page=x pfn=0x100000 order=0\n"
		"  a-1 [001] ..... 1.000005: mm_page_alloc: page=x pfn=1048580 order=0 migratetype=2 gfp_flags=GFP_KERNEL\n"
		"this line is garbage\n");
	fclose(f);
	s = replay(path, &t, "all");
	assert_int_equal(s->zcfg.ncpus, 3);
	assert_int_equal(t.malformed, 1);
	assert_int_equal(t.comments, 1);
	/* the warm start allocated the block freed before any allocation
	 * (lab/warm.h), so its free is replayed, not unknown */
	assert_true(t.warm);
	assert_int_equal(t.warm_pre_blocks, 1);
	assert_true(s->npol > 0);
	for (unsigned i = 0; i < s->npol; i++) {
		const struct sim_policy *p = &s->pol[i];

		assert_int_equal(pa_managed_pages(p->zone), 4 * 512);
		assert_int_equal(p->c.free_unknown, 0);
		assert_int_equal(p->c.live_blocks, 2);
		assert_int_equal(p->c.live_pages, 3);
		assert_int_equal(p->c.events, 5);
	}
	/* the free of 0x100000 waited for its batched event: a run of one */
	assert_int_equal(t.free_batched_runs, 1);
	assert_int_equal(t.free_batched_frees, 1);
	sim_destroy(s);
	free(s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* A trace file t.trace to write, in a new directory from template dir. */
static FILE *temp_trace(char *dir, char *path, size_t len)
{
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, len, "%s/t.trace", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	return f;
}

/* Replay a trace file cold with --pcp-decay trace or grid, mainline. */
static struct sim *replay_decay(const char *path, struct trace_tally *t,
				bool from_trace)
{
	struct replay_opts o = { .cold = true };

	o.cfg.pcp_decay_grid = !from_trace;
	return replay_with(&o, path, t, "mainline");
}

/*
 * --pcp-decay trace: CPU 0 fills its pageset (1,500 pages allocated and
 * freed, high tuned up by the refills), then the trace shows the kernel's
 * vmstat work on CPU 0 at +0.2 s and on CPU 1 at +0.3 s.  Under trace the
 * pageset decays there (an eighth of high, the excess drained); under
 * the grid the trace (0.5 s) ends before the first per-second tick.  The
 * runs are counted, and nothing else differs.
 */
static void test_pcp_decay_from_trace(void **state)
{
	char dir[] = "/tmp/pa_replay_decay.XXXXXX", path[64], cmd[128];
	struct trace_tally tg, tt;
	struct sim *g, *tr;
	FILE *f;
	(void)state;

	f = temp_trace(dir, path, sizeof(path));
	for (int i = 0; i < 1500; i++)
		fprintf(f, "  a-1 [000] ..... 1.%06d: mm_page_alloc: page=x pfn=0x%x "
			"order=0 migratetype=1 gfp_flags=GFP_USER\n", i, 0x100000 + i);
	for (int i = 0; i < 1500; i++)
		fprintf(f, "  a-1 [000] ..... 1.1%05d: mm_page_free: page=x pfn=0x%x "
			"order=0\n", i, 0x100000 + i);
	fprintf(f, "  kworker/0:1-9 [000] ..... 1.200000: workqueue_execute_start: "
		"work struct 000000009cab0299: function vmstat_update\n"
		"  kworker/1:1-9 [001] ..... 1.300000: workqueue_execute_start: "
		"work struct 0000000051a0bf13: function vmstat_update\n"
		"  a-1 [001] ..... 1.500000: mm_page_alloc: page=x pfn=0x100800 "
		"order=0 migratetype=1 gfp_flags=GFP_USER\n");
	fclose(f);
	g = replay_decay(path, &tg, false);
	tr = replay_decay(path, &tt, true);
	assert_int_equal(tg.vmstat_runs, 2);
	assert_int_equal(tt.vmstat_runs, 2);
	assert_int_equal(g->pol[0].trace_decays, 0);
	assert_int_equal(tr->pol[0].trace_decays, 2);
	assert_int_equal(g->pol[0].c.events, tr->pol[0].c.events);
	print_message("pageset pages drained: grid %llu, trace %llu\n",
		      (unsigned long long)g->pol[0].stats.zone_pages_drain,
		      (unsigned long long)tr->pol[0].stats.zone_pages_drain);
	assert_true(tr->pol[0].stats.zone_pages_drain >
		    g->pol[0].stats.zone_pages_drain);
	sim_destroy(g);
	free(g);
	sim_destroy(tr);
	free(tr);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* pcpbuddy's zone->lock pages for samples/thp-decay replayed with the
 * calling thread pinned to cpu; 0 (skipped by the caller) if it cannot be. */
static uint64_t pinned_pcpbuddy_pages(unsigned cpu)
{
	char path[4200];
	struct replay_opts o = { 0 };
	struct trace_tally t;
	cpu_set_t set, old;
	uint64_t pages;
	struct sim *s;

	snprintf(path, sizeof(path), "%s/samples/thp-decay.trace.zst", th_top_dir());
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_getaffinity(0, sizeof(old), &old) != 0 ||
	    sched_setaffinity(0, sizeof(set), &set) != 0)
		return 0;
	s = replay_with(&o, path, &t, "pcpbuddy");
	sched_setaffinity(0, sizeof(old), &old);
	pages = report_model_zone_pages(&s->pol[0]);
	sim_destroy(s);
	free(s);
	return pages;
}

/* Regression: the warm start's free-list shaping allocated on the calling
 * thread's CPU, so which pageblocks pcpbuddy owned, and with it the whole
 * replay, depended on where the OS ran the thread (samples/thp-decay:
 * 0.38x or 52.51x of the kernel's pages, run to run).  Pinned to CPU 0
 * and to CPU 1 the replay must be the same. */
static void test_replay_independent_of_the_running_cpu(void **state)
{
	uint64_t a, b;
	(void)state;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		skip();
	a = pinned_pcpbuddy_pages(0);
	b = pinned_pcpbuddy_pages(1);
	if (!a || !b)
		skip();
	print_message("pcpbuddy zone->lock pages on CPU 0: %llu, on CPU 1: %llu\n",
		      (unsigned long long)a, (unsigned long long)b);
	assert_int_equal(a, b);
}

/* A batched event defers the newest held-back free of its CPU and pfn
 * (free_batch.h), whatever the table that finds it says: a pfn freed,
 * allocated and freed again within the window pairs with its second free
 * (the first is replayed alone, so nothing is allocated over a live
 * block); a batched event of another CPU pairs with nothing; and 100
 * frees then their 100 batched events (which collide in the table's 256
 * slots) all pair, in runs of SIM_BULK_MAX. */
static void test_free_batch_pairs_newest(void **state)
{
	char dir[] = "/tmp/pa_replay_fb.XXXXXX", path[64], cmd[128];
	const char *ln = "  a-1 [%03u] ..... 1.%06u: mm_page_%s: page=x pfn=%#x "
			 "order=0%s\n";
	const char *mt = " migratetype=0 gfp_flags=GFP_KERNEL";
	struct trace_tally t;
	struct sim *s;
	unsigned us = 0;
	FILE *f;
	(void)state;

	f = temp_trace(dir, path, sizeof(path));
	fprintf(f, ln, 0, us++, "alloc", 0x1000, mt);
	fprintf(f, ln, 0, us++, "free", 0x1000, "");
	fprintf(f, ln, 0, us++, "alloc", 0x1000, mt);
	fprintf(f, ln, 0, us++, "free", 0x1000, "");
	fprintf(f, ln, 0, us++, "free_batched", 0x1000, "");
	fprintf(f, ln, 1, us++, "alloc", 0x1001, mt);
	fprintf(f, ln, 1, us++, "free", 0x1001, "");
	fprintf(f, ln, 0, us++, "free_batched", 0x1001, "");
	for (unsigned i = 0; i < 100; i++)
		fprintf(f, ln, 0, us++, "alloc", 0x2000 + i, mt);
	for (unsigned i = 0; i < 100; i++)
		fprintf(f, ln, 0, us++, "free", 0x2000 + i, "");
	for (unsigned i = 0; i < 100; i++)
		fprintf(f, ln, 0, us++, "free_batched", 0x2000 + i, "");
	assert_int_equal(fclose(f), 0);
	s = replay(path, &t, "all");
	assert_int_equal(t.free_batched_frees, 101);
	assert_int_equal(t.free_batched_runs,
			 1 + (100 + SIM_BULK_MAX - 1) / SIM_BULK_MAX);
	for (unsigned i = 0; i < s->npol; i++) {
		const struct sim_policy *p = &s->pol[i];

		assert_int_equal(p->c.alloc_over_live, 0);
		assert_int_equal(p->c.free_unknown, 0);
		assert_int_equal(p->c.live_blocks, 0);
		/* 103 allocations and 103 frees, one batched event replayed
		 * as nothing (its free went alone) */
		assert_int_equal(p->c.events, 206);
	}
	sim_destroy(s);
	free(s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* Unreadable and unknown input: exit status 2 and nothing replayed. */
static void test_bad_input_exit_status(void **state)
{
	char bin[] = "/tmp/pa_replay_bin.XXXXXX";
	unsigned char junk[256];
	int fd = mkstemp(bin);
	char *missing[] = { "replay", "/nonexistent/trace.zst", "--quiet", NULL };
	char *unknown[] = { "replay", bin, "--quiet", NULL };
	char *nopolicy[] = { "replay", bin, "--policy", "bogus", NULL };
	char *badmem[] = { "replay", bin, "--mem", "lots", NULL };
	char *none[] = { "replay", NULL };
	(void)state;

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 13 + 1);
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	assert_int_equal(cmd_replay(3, missing), 2);
	assert_int_equal(cmd_replay(3, unknown), 2);
	/* text that is not a trace */
	fd = open(bin, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello\nworld\n", 12), 12);
	close(fd);
	assert_int_equal(cmd_replay(3, unknown), 2);
	assert_int_equal(cmd_replay(4, nopolicy), 2);
	assert_int_equal(cmd_replay(4, badmem), 2);
	assert_int_equal(cmd_replay(1, none), 2);
	unlink(bin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_trace_counts_and_accounting),
		cmocka_unit_test(test_replay_is_deterministic),
		cmocka_unit_test(test_exit_avalanche_trace),
		cmocka_unit_test(test_prefill_from_zoneinfo),
		cmocka_unit_test(test_sized_from_pfn_span),
		cmocka_unit_test(test_free_batch_pairs_newest),
		cmocka_unit_test(test_pcp_decay_from_trace),
		cmocka_unit_test(test_replay_independent_of_the_running_cpu),
		cmocka_unit_test(test_bad_input_exit_status),
	};
	return cmocka_run_group_tests(tests, find_traces, NULL);
}
