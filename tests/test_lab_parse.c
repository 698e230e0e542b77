/* SPDX-License-Identifier: MIT */
/*
 * The lab's trace input: every event line kind, both pfn styles, trace-cmd
 * report lines, malformed and truncated lines, and the decompressing reader
 * over plain, zstd and gzip files, including broken and unknown files.
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
#include <zlib.h>
#include <zstd.h>

#include <cmocka.h>

#include "helpers.h"
#include "trace_fast.h"
#include "trace_parse.h"
#include "trace_reader.h"

static enum trace_line parse(const char *s, struct trace_event *ev)
{
	uint64_t lost = 0;
	return trace_parse_line(s, strlen(s), ev, &lost);
}

static const char ALLOC[] =
	"          task-0     [001] .....  1490.238992: mm_page_alloc: "
	"page=0000000076b228dc pfn=0x19c7a9 order=2 migratetype=1 "
	"gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_COMP";

static void test_alloc_line(void **state)
{
	struct trace_event ev;
	(void)state;

	assert_int_equal(parse(ALLOC, &ev), TL_EVENT);
	assert_int_equal(ev.kind, TEV_ALLOC);
	assert_int_equal(ev.cpu, 1);
	assert_true(ev.has_cpu);
	assert_int_equal(ev.pfn, 0x19c7a9);
	assert_int_equal(ev.order, 2);
	assert_int_equal(ev.migratetype, 1);
	assert_false(ev.failed);
	assert_int_equal(ev.ts_ns, 1490238992000ull);
}

static void test_free_lines(void **state)
{
	struct trace_event ev;
	(void)state;

	assert_int_equal(parse("          task-0     [000] ...1.  1490.239534: "
			       "mm_page_free: page=0000000018f776f8 pfn=0x13db2e order=1",
			       &ev), TL_EVENT);
	assert_int_equal(ev.kind, TEV_FREE);
	assert_int_equal(ev.pfn, 0x13db2e);
	assert_int_equal(ev.order, 1);
	assert_int_equal(ev.cpu, 0);

	assert_int_equal(parse("          task-0     [001] .....  375.000002: "
			       "mm_page_free_batched: page=00000000dc8c03bd pfn=0x182190 order=0",
			       &ev), TL_EVENT);
	assert_int_equal(ev.kind, TEV_FREE_BATCHED);
	assert_int_equal(ev.pfn, 0x182190);
	assert_int_equal(ev.order, 0);
	/* Old kernels printed no order for the batched free, and a cold flag. */
	assert_int_equal(parse("  kswapd0-52 [003] .... 12.5: mm_page_free_batched: "
			       "page=ffffea0000012340 pfn=1165 cold=0", &ev),
			 TL_EVENT);
	assert_int_equal(ev.kind, TEV_FREE_BATCHED);
	assert_int_equal(ev.pfn, 1165);
	assert_int_equal(ev.cpu, 3);
}

static void test_zone_locked_and_drain(void **state)
{
	struct trace_event ev;
	(void)state;

	assert_int_equal(parse("          task-0     [000] d..3.  1490.247464: "
			       "mm_page_alloc_zone_locked: page=0000000005ccec59 "
			       "pfn=0x13da38 order=3 migratetype=0 percpu_refill=1",
			       &ev), TL_EVENT);
	assert_int_equal(ev.kind, TEV_ZONE_LOCKED);
	assert_int_equal(ev.pfn, 0x13da38);
	assert_int_equal(ev.order, 3);
	assert_int_equal(ev.migratetype, 0);
	assert_true(ev.percpu_refill);

	assert_int_equal(parse("          task-0     [001] d..3.  1491.045853: "
			       "mm_page_pcpu_drain: page=00000000d873ce66 "
			       "pfn=0x11d4ef order=0 migratetype=1", &ev), TL_EVENT);
	assert_int_equal(ev.kind, TEV_PCPU_DRAIN);
	assert_int_equal(ev.pfn, 0x11d4ef);
	assert_int_equal(ev.migratetype, 1);
	assert_int_equal(ev.cpu, 1);
}

static void test_extfrag_line(void **state)
{
	struct trace_event ev;
	(void)state;

	assert_int_equal(parse("   cc1-4242    [001] d..2. 1500.000001: "
			       "mm_page_alloc_extfrag: page=00000000deadbeef "
			       "pfn=0x120000 alloc_order=0 fallback_order=9 "
			       "pageblock_order=9 alloc_migratetype=0 "
			       "fallback_migratetype=1 fragmenting=0 "
			       "change_ownership=1", &ev), TL_EVENT);
	assert_int_equal(ev.kind, TEV_EXTFRAG);
	assert_int_equal(ev.pfn, 0x120000);
	assert_int_equal(ev.order, 0);
	assert_int_equal(ev.fallback_order, 9);
	assert_int_equal(ev.migratetype, 0);
	assert_int_equal(ev.fallback_migratetype, 1);
	assert_false(ev.fragmenting);
	assert_true(ev.change_ownership);
}

static void test_decimal_pfn_and_hex_gfp(void **state)
{
	struct trace_event ev;
	(void)state;

	/* pre-2021 kernels: decimal pfn */
	assert_int_equal(parse("  bash-1 [000] .... 10.000001: mm_page_alloc: "
			       "page=ffffea000049a380 pfn=1205734 order=0 "
			       "migratetype=2 gfp_flags=GFP_KERNEL|__GFP_RECLAIMABLE",
			       &ev), TL_EVENT);
	assert_int_equal(ev.pfn, 1205734);
	assert_int_equal(ev.migratetype, 2);
	/* no migratetype field: derived from a hex gfp mask */
	assert_int_equal(parse("  bash-1 [000] .... 10.000001: mm_page_alloc: "
			       "pfn=0x10 order=0 gfp_flags=0x100cca", &ev),
			 TL_EVENT);
	assert_int_equal(ev.migratetype, 1);
	assert_int_equal(trace_gfp_migratetype("0x10", 4), 2);
	assert_int_equal(trace_gfp_migratetype("GFP_KERNEL", 10), 0);
	assert_int_equal(trace_gfp_migratetype("GFP_HIGHUSER_MOVABLE", 20), 1);
}

static void test_failed_alloc(void **state)
{
	struct trace_event ev;
	(void)state;

	assert_int_equal(parse("  t-1 [000] ..... 1.000001: mm_page_alloc: "
			       "page=(nil) pfn=0x0 order=9 migratetype=1 "
			       "gfp_flags=GFP_TRANSHUGE", &ev), TL_EVENT);
	assert_true(ev.failed);
	assert_int_equal(ev.order, 9);
}

static void test_trace_cmd_report(void **state)
{
	struct trace_event ev;
	(void)state;

	/* preamble */
	assert_int_equal(parse("cpus=2", &ev), TL_COMMENT);
	assert_int_equal(parse("version = 6", &ev), TL_COMMENT);
	assert_int_equal(parse("CPU 1 is empty", &ev), TL_COMMENT);
	/* no flags column, padded event name, nanosecond timestamp, a task
	 * name with spaces and a tgid column */
	assert_int_equal(parse("     Web Content-2153  (2150) [001]  5018.620541123: "
			       "mm_page_alloc:        page=0xffffea0004a2b000 "
			       "pfn=0x128ac order=0 migratetype=0 gfp_flags=GFP_KERNEL",
			       &ev), TL_EVENT);
	assert_int_equal(ev.cpu, 1);
	assert_int_equal(ev.pfn, 0x128ac);
	assert_int_equal(ev.ts_ns, 5018620541123ull);
	assert_int_equal(parse("          <idle>-0     [000]  5018.620600: "
			       "mm_page_free:         page=0xffffea0004a2b000 "
			       "pfn=0x128ac order=0", &ev), TL_EVENT);
	assert_int_equal(ev.kind, TEV_FREE);
	assert_int_equal(ev.cpu, 0);
}

static void test_comments_lost_and_other_events(void **state)
{
	struct trace_event ev;
	uint64_t lost = 0;
	const char *l = "CPU:1 [LOST 1234 EVENTS]";
	(void)state;

	assert_int_equal(parse("", &ev), TL_COMMENT);
	assert_int_equal(parse("   ", &ev), TL_COMMENT);
	assert_int_equal(parse("# tracer: nop", &ev), TL_COMMENT);
	assert_int_equal(parse("#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION",
			       &ev), TL_COMMENT);
	assert_int_equal(trace_parse_line(l, strlen(l), &ev, &lost), TL_LOST);
	assert_int_equal(lost, 1234);
	/* trace-cmd report of a tracefs instance names it before a marker */
	l = "p2c: CPU:1 [24725 EVENTS DROPPED]";
	assert_int_equal(trace_parse_line(l, strlen(l), &ev, &lost), TL_LOST);
	assert_int_equal(lost, 24725);
	l = "p2c: CPU:0 [EVENTS DROPPED]";
	assert_int_equal(trace_parse_line(l, strlen(l), &ev, &lost),
			 TL_LOST_UNKNOWN);
	assert_int_equal(parse("  t-1 [000] ..... 1.000001: sched_switch: "
			       "prev_comm=a prev_pid=1", &ev), TL_OTHER);
	assert_int_equal(parse("  t-1 [000] ..... 1.000001: mm_page_alloc_foo: "
			       "pfn=0x1 order=0", &ev), TL_OTHER);
}

/* The kernel's per-CPU vmstat work, as tracefs, trace-cmd and perf print
 * workqueue_execute_start: TEV_VMSTAT with its CPU and time; other work,
 * a near miss of the name or a line without a CPU is another event. */
static void test_vmstat_work_lines(void **state)
{
	struct trace_event ev;
	(void)state;

	assert_int_equal(parse("  kworker/1:1-57 [001] ..... 66580.112525: "
			       "workqueue_execute_start: work struct 000000009cab0299: "
			       "function vmstat_update", &ev), TL_EVENT);
	assert_int_equal(ev.kind, TEV_VMSTAT);
	assert_int_equal(ev.cpu, 1);
	assert_true(ev.has_cpu);
	assert_int_equal(ev.ts_ns, 66580112525000ull);
	assert_int_equal(ev.pfn, 0);
	assert_string_equal(trace_kind_name(ev.kind), "vmstat_update");
	assert_int_equal(parse("  kworker/0:2-99 [000] 12.5: workqueue_execute_start: "
			       "work struct 0xffff888100e3f2c0: function vmstat_update  ",
			       &ev), TL_EVENT);
	assert_int_equal(ev.kind, TEV_VMSTAT);
	assert_int_equal(ev.cpu, 0);
	assert_int_equal(parse(" kworker/3:0 57 [003] 7.000001: "
			       "workqueue:workqueue_execute_start: work struct "
			       "0xffff888100e3f2c0: function vmstat_update", &ev), TL_EVENT);
	assert_int_equal(ev.kind, TEV_VMSTAT);
	assert_int_equal(ev.cpu, 3);
	assert_int_equal(parse("  kworker/1:1-57 [001] ..... 1.0: workqueue_execute_start: "
			       "work struct 000000009cab0299: function vmstat_shepherd",
			       &ev), TL_OTHER);
	assert_int_equal(parse("  kworker/1:1-57 [001] ..... 1.0: workqueue_execute_start: "
			       "work struct 000000009cab0299: function vmstat_update_x",
			       &ev), TL_OTHER);
	assert_int_equal(parse("  kworker/1:1-57 [001] ..... 1.0: workqueue_execute_end: "
			       "work struct 000000009cab0299: function vmstat_update",
			       &ev), TL_OTHER);
	/* context-info off: no CPU to place it on */
	assert_int_not_equal(parse("workqueue_execute_start: work struct 0x1: "
				   "function vmstat_update", &ev), TL_EVENT);
}

static void test_malformed_lines(void **state)
{
	struct trace_event ev;
	static const char *const bad[] = {
		"hello world",
		": CPU:1 [5 EVENTS DROPPED]",
		"p2c: CPU:1 [many EVENTS DROPPED]",
		"CPU:1 [LOST many EVENTS]",
		"  t-1 [000] ..... notatime: mm_page_free: pfn=0x1 order=0",
		"  t-1 [000] ..... 1.5: mm_page_free: pfn=0xzz order=0",
		"  t-1 [000] ..... 1.5: mm_page_free: pfn=0x10",
		"  t-1 [000] ..... 1.5: mm_page_free: order=0",
		"  t-1 [000] ..... 1.5: mm_page_free: pfn=0x10 order=99",
		"  t-1 [000] ..... 1.5: mm_page_free: pfn=0x10 order=-1",
		"  t-1 [000] ..... 1.5: mm_page_alloc: pfn=0x10 order=0",
		"  t-1 [000] ..... 1.5: mm_page_alloc: pfn=0x10 order=0 migratetype=x",
		"  t-1 [000] ..... 1.5: mm_page_free: pfn=0x12345678901234567 order=0",
		"  t-1 [000] ..... 1.5: mm_page_free pfn=0x10 order=0",
		"  t-1 [000] ..... 1.5: mm_page_free: garbage pfn=0x10 order=0",
		"  t-1 [000] ..... 1.5: mm_page_alloc_extfrag: pfn=0x10 alloc_order=0",
		"  t-1 [x00] ..... 1.5: mm_page_free: pfn=0x10 order=0",
		"  t-1 [000]",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum trace_line r = parse(bad[i], &ev);
		if (r != TL_MALFORMED)
			fail_msg("line %zu \"%s\": got %d, want malformed", i,
				 bad[i], r);
	}
}

/* Every prefix of an allocation line that stops before its last required
 * field is complete is refused, never taken as an event. */
static void test_truncated_lines(void **state)
{
	struct trace_event ev;
	uint64_t lost;
	size_t need = strstr(ALLOC, "migratetype=1") - ALLOC +
		      strlen("migratetype=1");
	(void)state;

	for (size_t n = 0; n < need; n++) {
		char buf[sizeof(ALLOC)];
		enum trace_line r;

		memcpy(buf, ALLOC, n); /* no NUL: the parser must honour len */
		r = trace_parse_line(buf, n, &ev, &lost);
		if (r != TL_MALFORMED && r != TL_COMMENT)
			fail_msg("prefix of %zu bytes parsed as %d", n, r);
	}
	assert_int_equal(trace_parse_line(ALLOC, need, &ev, &lost), TL_EVENT);
}

/* Corrupted lines (random bytes spliced in) never crash the parser; under
 * ASan this also proves it never reads outside the line. */
static void test_corrupted_lines_are_safe(void **state)
{
	struct trace_event ev;
	uint64_t lost;
	unsigned seed = 12345;
	size_t len = strlen(ALLOC);
	(void)state;

	for (int i = 0; i < 20000; i++) {
		char *buf = malloc(len);
		size_t cut = (size_t)rand_r(&seed) % (len + 1);

		memcpy(buf, ALLOC, len);
		for (int k = rand_r(&seed) % 4; k >= 0; k--)
			buf[rand_r(&seed) % len] = (char)rand_r(&seed);
		trace_parse_line(buf, cut, &ev, &lost);
		free(buf);
	}
}

/* ---------------------------------------------------------------- */
/* the fast path against the general grammar                         */
/* ---------------------------------------------------------------- */

/* Lines the fast path takes (tracefs' layout of the five events). */
static const char *const fast_seeds[] = {
	ALLOC,
	"          task-0     [000] ...1.  1490.239534: mm_page_free: "
	"page=0000000018f776f8 pfn=0x13db2e order=1",
	"          task-0     [001] ...4.  1490.239777: mm_page_free_batched: "
	"page=00000000f1ac2d4a pfn=0x1b30a8 order=0",
	"          task-0     [000] d..3.  1490.247464: mm_page_alloc_zone_locked: "
	"page=0000000005ccec59 pfn=0x13da38 order=3 migratetype=0 percpu_refill=1",
	"          task-0     [001] d..3.  1491.045853: mm_page_pcpu_drain: "
	"page=00000000d873ce66 pfn=0x11d4ef order=0 migratetype=1",
	/* failed allocation, -1 migratetype, no flags column, 9-digit ns */
	"  t-1 [000] ..... 1.000001: mm_page_alloc: page=(nil) pfn=0x0 "
	"order=9 migratetype=-1 gfp_flags=GFP_TRANSHUGE",
	"  kworker/u8:2-1234    [123] 5018.620541123: mm_page_free: "
	"page=ffffea0004a2b000 pfn=0xfffffffffffff order=10",
	/* old kernels: batched free without order, zone_locked without
	 * percpu_refill */
	"  a-1 [3] .... 12.5: mm_page_free_batched: page=ffffea0000012340 pfn=0x48d",
	"  a-1 [3] .... 12.5: mm_page_alloc_zone_locked: page=x pfn=0x48d "
	"order=0 migratetype=2",
	/* numbers across the eight-byte steps: 10-digit seconds, 8- and
	 * 9-digit fractions, mixed-case pfns of 9 and 13 digits, blanks and
	 * tabs before the task */
	"\t  \t a-1 [7] ..... 1234567890.12345678: mm_page_free: page=x "
	"pfn=0xAbCdEf012 order=3",
	"                x-2        [65535] d..1. 9999999999.999999999: "
	"mm_page_alloc: page=00000000aabbccdd pfn=0xFEDCBA9876543 order=2 "
	"migratetype=2 gfp_flags=GFP_KERNEL",
};

/* Lines only the general grammar reads (perf script, trace-cmd report,
 * extfrag, decimal pfns, hex gfp, bare events, lost markers ...). */
static const char *const general_seeds[] = {
	"     Web Content-2153  (2150) [001]  5018.620541123: "
	"mm_page_alloc:        page=0xffffea0004a2b000 "
	"pfn=0x128ac order=0 migratetype=0 gfp_flags=GFP_KERNEL",
	"   cc1  1234 [001]  5018.620541: kmem:mm_page_alloc: page=0xffffea0004a2b000 "
	"pfn=0x128ac order=0 migratetype=0 gfp_flags=GFP_KERNEL",
	"  t-1 [000] ..... 1.5: mm_page_alloc_extfrag: page=x pfn=0x10 alloc_order=0 "
	"fallback_order=9 pageblock_order=9 alloc_migratetype=0 "
	"fallback_migratetype=1 fragmenting=1 change_ownership=1",
	"  kswapd0-52 [003] .... 12.5: mm_page_free_batched: "
	"page=ffffea0000012340 pfn=1165 cold=0",
	"  t-1 [000] ..... 1.5: mm_page_alloc: page=x pfn=4096 order=0 "
	"gfp_flags=0x8",
	"mm_page_free: page=x pfn=0x10 order=0",
	"CPU:1 [LOST 1234 EVENTS]",
	"  t-1 0d..1 1.5: mm_page_free: page=x pfn=0x10 order=0",
	/* no task column: '[' first (nothing before it may be read) */
	"[001] ..... 1.5: mm_page_free: page=x pfn=0x10 order=0",
	"  t-1 [000] ..... 1.000001: sched_switch: prev_comm=a prev_pid=1",
};

static void assert_same_event(const struct trace_event *a,
			      const struct trace_event *b, const char *line)
{
	if (a->kind != b->kind || a->cpu != b->cpu || a->has_cpu != b->has_cpu ||
	    a->ts_ns != b->ts_ns || a->pfn != b->pfn || a->order != b->order ||
	    a->migratetype != b->migratetype || a->failed != b->failed ||
	    a->percpu_refill != b->percpu_refill ||
	    a->fallback_order != b->fallback_order ||
	    a->fallback_migratetype != b->fallback_migratetype ||
	    a->fragmenting != b->fragmenting ||
	    a->change_ownership != b->change_ownership)
		fail_msg("fast and general parses differ on \"%s\"", line);
}

/* One line (of n bytes, not NUL-terminated, in its own allocation so
 * ASan sees any read past it): trace_parse_line and the general grammar
 * agree, and whatever the fast path takes the general grammar reads as
 * the same event.  Returns whether the fast path took it. */
static bool check_agree(const char *src, size_t n)
{
	char *buf = malloc(n ? n : 1);
	struct trace_event fast, line, gen;
	uint64_t lost_l = 0, lost_g = 0;
	enum trace_line rl, rg;
	bool took;

	assert_non_null(buf);
	memcpy(buf, src, n);
	took = trace_parse_fast(buf, n, &fast);
	rl = trace_parse_line(buf, n, &line, &lost_l);
	rg = trace_parse_general(buf, n, &gen, &lost_g);
	if (rl != rg)
		fail_msg("\"%.*s\": trace_parse_line %d, general %d", (int)n,
			 src, rl, rg);
	if (took && rg != TL_EVENT)
		fail_msg("\"%.*s\": fast path took a line the general "
			 "grammar reads as %d", (int)n, src, rg);
	if (rg == TL_EVENT)
		assert_same_event(&line, &gen, src);
	if (took)
		assert_same_event(&fast, &gen, src);
	if (rg == TL_LOST)
		assert_int_equal(lost_l, lost_g);
	free(buf);
	return took;
}

/* The fast path is really taken for tracefs' lines and declines the
 * others, so the speed it was written for is not silently lost. */
static void test_fast_path_taken(void **state)
{
	struct trace_event ev;
	(void)state;

	for (size_t i = 0; i < sizeof(fast_seeds) / sizeof(fast_seeds[0]); i++)
		if (!trace_parse_fast(fast_seeds[i], strlen(fast_seeds[i]), &ev))
			fail_msg("fast path declined \"%s\"", fast_seeds[i]);
	for (size_t i = 0; i < sizeof(general_seeds) / sizeof(general_seeds[0]); i++)
		if (trace_parse_fast(general_seeds[i], strlen(general_seeds[i]), &ev))
			fail_msg("fast path took \"%s\"", general_seeds[i]);
	/* the values themselves, against hand-computed ones */
	assert_true(trace_parse_fast(fast_seeds[6], strlen(fast_seeds[6]), &ev));
	assert_int_equal(ev.cpu, 123);
	assert_int_equal(ev.ts_ns, 5018620541123ull);
	assert_int_equal(ev.pfn, 0xfffffffffffffull);
	assert_int_equal(ev.order, 10);
	assert_true(trace_parse_fast(fast_seeds[5], strlen(fast_seeds[5]), &ev));
	assert_true(ev.failed);
	assert_int_equal(ev.migratetype, -1);
	assert_int_equal(ev.ts_ns, 1000001000ull);
	assert_true(trace_parse_fast(fast_seeds[3], strlen(fast_seeds[3]), &ev));
	assert_true(ev.percpu_refill);
	assert_int_equal(ev.kind, TEV_ZONE_LOCKED);
	assert_true(trace_parse_fast(fast_seeds[9], strlen(fast_seeds[9]), &ev));
	assert_int_equal(ev.cpu, 7);
	assert_int_equal(ev.ts_ns, 1234567890123456780ull);
	assert_int_equal(ev.pfn, 0xabcdef012ull);
	assert_true(trace_parse_fast(fast_seeds[10], strlen(fast_seeds[10]), &ev));
	assert_int_equal(ev.cpu, 65535);
	assert_int_equal(ev.ts_ns, 9999999999999999999ull);
	assert_int_equal(ev.pfn, 0xfedcba9876543ull);
}

/* Random digits (any case) for n characters at p. */
static void random_digits(char *p, unsigned n, bool hex, struct th_rng *r)
{
	static const char hexd[] = "0123456789abcdefABCDEF";

	for (unsigned i = 0; i < n; i++)
		p[i] = hex ? hexd[th_below(r, sizeof(hexd) - 1)] :
			     (char)('0' + th_below(r, 10));
}

/* Seconds of 1..21 digits, fractions of 1..11 and pfns of 1..17 hex
 * digits at every offset within the line: whatever the general grammar
 * accepts, the fast path reads the same, and the values are strtoull's
 * (an independent reading of the same digits). */
static void test_fast_path_numbers(void **state)
{
	struct th_rng r = { th_seed("test_fast_path_numbers") };
	unsigned took = 0;
	(void)state;

	for (int i = 0; i < 4000; i++) {
		unsigned pad = (unsigned)th_below(&r, 20);
		unsigned ns = 1 + (unsigned)th_below(&r, 21);
		unsigned nf = 1 + (unsigned)th_below(&r, 11);
		unsigned nh = 1 + (unsigned)th_below(&r, 17);
		char sec[32] = "", frac[32] = "", pfn[32] = "", line[256];
		struct trace_event ev;
		int n;

		random_digits(sec, ns, false, &r);
		random_digits(frac, nf, false, &r);
		random_digits(pfn, nh, true, &r);
		n = snprintf(line, sizeof(line), "%*sa-1 [1] ..... %s.%s: "
			     "mm_page_free: page=x pfn=0x%s order=1", (int)pad,
			     "", sec, frac, pfn);
		took += check_agree(line, (size_t)n);
		if (!trace_parse_fast(line, (size_t)n, &ev))
			continue;
		uint64_t f = strtoull(frac, NULL, 10);

		for (unsigned k = nf; k < 9; k++)
			f *= 10;
		assert_true(ns <= 19 && nf <= 9 && nh <= 13);
		assert_int_equal(ev.ts_ns,
				 strtoull(sec, NULL, 10) * 1000000000ull + f);
		assert_int_equal(ev.pfn, strtoull(pfn, NULL, 16));
	}
	/* most draws are in range */
	assert_true(took > 1000);
}

/* Bytes that sit on the grammar's decisions. */
static const char edge_bytes[] = " \t[]:.=-0123569afxAFX(n)#\r\001\377";

static unsigned xorshift(unsigned *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Every prefix, every single-byte edit with the edge bytes, and random
 * multi-byte edits of every seed: the fast path never changes a result. */
static void test_fast_path_matches_general(void **state)
{
	const char *const *sets[2] = { fast_seeds, general_seeds };
	size_t nsets[2] = { sizeof(fast_seeds) / sizeof(fast_seeds[0]),
			    sizeof(general_seeds) / sizeof(general_seeds[0]) };
	unsigned seed = 2463534242u, took = 0, runs = 0;
	char buf[512];
	(void)state;

	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < nsets[k]; i++) {
			const char *src = sets[k][i];
			size_t len = strlen(src);

			for (size_t n = 0; n <= len; n++)
				took += check_agree(src, n);
			for (size_t at = 0; at < len; at++) {
				for (size_t e = 0; e < sizeof(edge_bytes) - 1; e++) {
					memcpy(buf, src, len);
					buf[at] = edge_bytes[e];
					took += check_agree(buf, len);
					/* and the byte inserted, deleted */
					memcpy(buf, src, at);
					buf[at] = edge_bytes[e];
					memcpy(buf + at + 1, src + at, len - at);
					took += check_agree(buf, len + 1);
				}
				memcpy(buf, src, at);
				memcpy(buf + at, src + at + 1, len - at - 1);
				took += check_agree(buf, len - 1);
			}
			for (int r = 0; r < 3000; r++, runs++) {
				size_t n = len;

				memcpy(buf, src, len);
				for (int m = (int)(xorshift(&seed) % 4); m >= 0; m--) {
					unsigned x = xorshift(&seed);
					buf[x % n] = (x >> 16) & 1 ?
						(char)(x >> 8) :
						edge_bytes[(x >> 8) % (sizeof(edge_bytes) - 1)];
				}
				n -= xorshift(&seed) % 8 == 0 ? xorshift(&seed) % (n + 1) : 0;
				took += check_agree(buf, n);
			}
		}
	}
	/* the edits above reach the fast path's acceptance often */
	assert_true(took > runs / 4);
}

/* ---------------------------------------------------------------- */
/* reader                                                            */
/* ---------------------------------------------------------------- */

static char tmpdir[64];

static int setup_dir(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/pa_lab_parse.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *path_of(const char *name)
{
	static char buf[128];
	snprintf(buf, sizeof(buf), "%s/%s", tmpdir, name);
	return buf;
}

static void write_file(const char *name, const void *data, size_t n)
{
	FILE *f = fopen(path_of(name), "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

/* Text with many lines: long enough to cross the reader's buffers. */
static char *make_text(size_t lines, size_t *len)
{
	size_t cap = lines * 160 + 1, n = 0;
	char *t = malloc(cap);

	for (size_t i = 0; i < lines; i++)
		n += (size_t)snprintf(t + n, cap - n,
				      "  t-0 [%03zu] ..... %zu.000001: mm_page_free: "
				      "page=0 pfn=0x%zx order=0\n", i % 2, i, i);
	*len = n;
	return t;
}

static void check_lines(const char *path, size_t lines)
{
	struct trace_reader *r;
	const char *line;
	char err[256];
	size_t i = 0;
	long n;

	assert_int_equal(trace_reader_open(&r, path, err, sizeof(err)), 0);
	while ((n = trace_reader_next(r, &line)) >= 0) {
		struct trace_event ev;
		uint64_t lost;
		assert_int_equal(trace_parse_line(line, (size_t)n, &ev, &lost),
				 TL_EVENT);
		assert_int_equal(ev.pfn, i);
		i++;
	}
	assert_int_equal(n, -1);
	assert_int_equal(i, lines);
	assert_false(trace_reader_truncated(r));
	trace_reader_close(r);
}

static void test_reader_plain_zstd_gzip(void **state)
{
	size_t len, lines = 30000;
	char *text = make_text(lines, &len);
	size_t zcap = ZSTD_compressBound(len);
	void *z = malloc(zcap);
	size_t zlen = ZSTD_compress(z, zcap, text, len, 3);
	struct trace_reader *r;
	gzFile g;
	(void)state;

	write_file("plain.trace", text, len);
	check_lines(path_of("plain.trace"), lines);

	assert_false(ZSTD_isError(zlen));
	/* misleading name: the magic decides */
	write_file("trace.txt", z, zlen);
	check_lines(path_of("trace.txt"), lines);
	assert_int_equal(trace_reader_open(&r, path_of("trace.txt"), NULL, 0), 0);
	assert_int_equal(trace_reader_compression(r), TRACE_ZSTD);
	trace_reader_close(r);

	g = gzopen(path_of("t.gz"), "wb");
	assert_non_null(g);
	assert_int_equal(gzwrite(g, text, (unsigned)len), (int)len);
	gzclose(g);
	check_lines(path_of("t.gz"), lines);
	assert_int_equal(trace_reader_open(&r, path_of("t.gz"), NULL, 0), 0);
	assert_int_equal(trace_reader_compression(r), TRACE_GZIP);
	trace_reader_close(r);
	free(z);
	free(text);
}

static void test_reader_truncated_zstd(void **state)
{
	size_t len, lines = 5000, got = 0;
	char *text = make_text(lines, &len);
	size_t zcap = ZSTD_compressBound(len);
	void *z = malloc(zcap);
	size_t zlen = ZSTD_compress(z, zcap, text, len, 3);
	struct trace_reader *r;
	const char *line;
	long n;
	(void)state;

	write_file("cut.zst", z, zlen / 2);
	assert_int_equal(trace_reader_open(&r, path_of("cut.zst"), NULL, 0), 0);
	while ((n = trace_reader_next(r, &line)) >= 0)
		got++;
	assert_int_equal(n, -1);
	assert_true(trace_reader_truncated(r));
	assert_true(got > 0 && got < lines + 1);
	trace_reader_close(r);
	free(z);
	free(text);
}

static void test_reader_line_edges(void **state)
{
	struct trace_reader *r;
	const char *line;
	char *big = malloc(3 * TRACE_LINE_MAX);
	size_t n = 0;
	(void)state;

	n += (size_t)sprintf(big, "first\r\n");
	memset(big + n, 'x', 2 * TRACE_LINE_MAX);
	n += 2 * TRACE_LINE_MAX;
	n += (size_t)sprintf(big + n, "\nlast-without-newline");
	write_file("edges", big, n);
	assert_int_equal(trace_reader_open(&r, path_of("edges"), NULL, 0), 0);
	assert_int_equal(trace_reader_next(r, &line), 5);
	assert_string_equal(line, "first");
	/* the overlong line is skipped whole, never returned cut */
	assert_int_equal(trace_reader_next(r, &line), 20);
	assert_int_equal(trace_reader_overlong(r), 1);
	assert_string_equal(line, "last-without-newline");
	assert_int_equal(trace_reader_next(r, &line), -1);
	trace_reader_close(r);
	free(big);
}

/* Up to `upto` lines "0", "1", ... (hex) from r: the position only
 * grows and stays within the file's size.  Returns the lines read. */
static size_t read_hex_lines(struct trace_reader *r, size_t upto, size_t size)
{
	uint64_t done, total, last = 0;
	const char *line;
	char want[32];
	size_t i = 0;
	long n;

	while (i < upto && (n = trace_reader_next(r, &line)) >= 0) {
		snprintf(want, sizeof(want), "%zx", i++);
		assert_int_equal(n, (long)strlen(want));
		assert_string_equal(line, want);
		trace_reader_position(r, &done, &total);
		assert_true(done >= last && done <= size);
		assert_int_equal(total, size);
		last = done;
	}
	return i;
}

/* The read-ahead thread (trace_reader.h): 100000 short lines (chunks
 * end on their line limit, not their bytes), plain and zstd: read whole,
 * rewound, half read, rewound, read whole again; at the end the position
 * and the CRC are the file's; a reader closed in the middle of the file
 * stops its thread. */
static void test_reader_ahead(void **state)
{
	const size_t lines = 100000;
	char *text = malloc(lines * 8);
	size_t len = 0, zcap, zlen;
	void *z;
	(void)state;

	for (size_t i = 0; i < lines; i++)
		len += (size_t)sprintf(text + len, "%zx\n", i);
	zcap = ZSTD_compressBound(len);
	z = malloc(zcap);
	zlen = ZSTD_compress(z, zcap, text, len, 3);
	assert_false(ZSTD_isError(zlen));
	write_file("short.txt", text, len);
	write_file("short.zst", z, zlen);
	for (int f = 0; f < 2; f++) {
		const char *path = path_of(f ? "short.zst" : "short.txt");
		size_t size = f ? zlen : len;
		uint32_t crc = (uint32_t)crc32(0, f ? z : (void *)text, (uInt)size);
		struct trace_reader *r;
		const char *line;
		uint64_t done, total;

		assert_int_equal(trace_reader_open(&r, path, NULL, 0), 0);
		assert_int_equal(read_hex_lines(r, SIZE_MAX, size), lines);
		assert_int_equal(trace_reader_rewind(r), 0);
		assert_int_equal(read_hex_lines(r, lines / 2, size), lines / 2);
		assert_int_equal(trace_reader_rewind(r), 0);
		assert_int_equal(read_hex_lines(r, SIZE_MAX, size), lines);
		trace_reader_position(r, &done, &total);
		assert_int_equal(done, size);
		assert_int_equal(trace_reader_crc32(r), crc);
		assert_false(trace_reader_truncated(r));
		assert_int_equal(trace_reader_next(r, &line), -1);
		trace_reader_close(r);
		assert_int_equal(trace_reader_open(&r, path, NULL, 0), 0);
		assert_int_equal(read_hex_lines(r, 1000, size), 1000);
		trace_reader_close(r);
	}
	free(z);
	free(text);
}

static void test_reader_errors(void **state)
{
	struct trace_reader *r = (void *)1;
	char err[256];
	unsigned char bin[600];
	(void)state;

	assert_int_equal(trace_reader_open(&r, path_of("missing"), err,
					   sizeof(err)), -ENOENT);
	assert_null(r);
	assert_non_null(strstr(err, "missing"));

	assert_int_equal(trace_reader_open(&r, tmpdir, err, sizeof(err)),
			 -EISDIR);

	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)(i * 7);
	write_file("binary", bin, sizeof(bin));
	assert_int_equal(trace_reader_open(&r, path_of("binary"), err,
					   sizeof(err)), -EPROTONOSUPPORT);
	assert_non_null(strstr(err, "binary"));
	assert_non_null(strstr(err, "a NUL byte at offset 0"));

	memcpy(bin, "\027\010Dtracing6", 11);
	write_file("trace.dat", bin, sizeof(bin));
	assert_int_equal(trace_reader_open(&r, path_of("trace.dat"), err,
					   sizeof(err)), -EPROTONOSUPPORT);
	assert_non_null(strstr(err, "trace-cmd report"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_line),
		cmocka_unit_test(test_free_lines),
		cmocka_unit_test(test_zone_locked_and_drain),
		cmocka_unit_test(test_extfrag_line),
		cmocka_unit_test(test_decimal_pfn_and_hex_gfp),
		cmocka_unit_test(test_failed_alloc),
		cmocka_unit_test(test_trace_cmd_report),
		cmocka_unit_test(test_comments_lost_and_other_events),
		cmocka_unit_test(test_vmstat_work_lines),
		cmocka_unit_test(test_malformed_lines),
		cmocka_unit_test(test_truncated_lines),
		cmocka_unit_test(test_corrupted_lines_are_safe),
		cmocka_unit_test(test_fast_path_taken),
		cmocka_unit_test(test_fast_path_matches_general),
		cmocka_unit_test(test_fast_path_numbers),
		cmocka_unit_test(test_reader_plain_zstd_gzip),
		cmocka_unit_test(test_reader_truncated_zstd),
		cmocka_unit_test(test_reader_line_edges),
		cmocka_unit_test(test_reader_ahead),
		cmocka_unit_test(test_reader_errors),
	};
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
