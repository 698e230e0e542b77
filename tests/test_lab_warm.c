/* SPDX-License-Identifier: MIT */
/*
 * The replay's warm start (lab/warm.h): the state of the traced machine
 * when its capture began, inferred from the trace's first events and its
 * zoneinfo, against the same trace replayed --cold.  Also the two library
 * calls it is built on, pa_pcp_fill_order() and pa_pcp_set_high().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "replay.h"

/* A zoneinfo of 8 MiB (2048 pages), 2 CPUs, batch 4: CPU 0's pageset
 * held 300 pages with high 500, CPU 1's 1 page with high 64. */
static const char zoneinfo_text[] =
	"Node 0, zone   Normal\n"
	"  pages free     1500\n"
	"        min      8\n"
	"        low      10\n"
	"        high     12\n"
	"        spanned  2048\n"
	"        present  2048\n"
	"        managed  2048\n"
	"  pagesets\n"
	"    cpu: 0\n"
	"              count:    300\n"
	"              high:     500\n"
	"              batch:    4\n"
	"              high_min: 64\n"
	"              high_max: 1024\n"
	"    cpu: 1\n"
	"              count:    1\n"
	"              high:     64\n"
	"              batch:    4\n"
	"              high_min: 64\n"
	"              high_max: 1024\n"
	"  start_pfn:           0\n";

/*
 * CPU 1 allocates pfn 0x10 (order 0, unmovable) with no zone_locked
 * before it: it came from CPU 1's pageset.  CPU 0 frees pfn 0x20, which
 * the trace never allocated (in use before the capture), and later
 * allocates it again as reclaimable.  CPU 0 refills its movable list.
 */
static const char trace_text[] =
	"# tracer: nop\n"
	"  t-1 [001] ..... 1.000000: mm_page_alloc: page=x pfn=0x10 order=0 migratetype=0 gfp_flags=GFP_KERNEL\n"
	"  t-1 [000] ..... 1.000001: mm_page_free: page=x pfn=0x20 order=0\n"
	"  t-1 [000] ..... 1.000002: mm_page_alloc_zone_locked: page=x pfn=0x30 order=0 migratetype=1 percpu_refill=1\n"
	"  t-1 [000] ..... 1.000003: mm_page_alloc: page=x pfn=0x30 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE\n"
	"  t-1 [000] ..... 1.000004: mm_page_alloc: page=x pfn=0x20 order=0 migratetype=2 gfp_flags=GFP_KERNEL|__GFP_RECLAIMABLE\n";

static char dir[64], trace[96], zinfo[96];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/pa_warm.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(trace, sizeof(trace), "%s/w.trace", dir);
	snprintf(zinfo, sizeof(zinfo), "%s/w.zoneinfo", dir);
	write_file(trace, trace_text);
	write_file(zinfo, zoneinfo_text);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(trace);
	unlink(zinfo);
	rmdir(dir);
	return 0;
}

static struct sim *replay(bool cold, struct trace_tally *t)
{
	static const char *list[1];
	struct replay_opts o = { .traces = list, .ntraces = 1, .cold = cold };
	struct sim *s = NULL;
	char err[512];
	double el;

	list[0] = trace;
	o.cfg.serial = true;
	assert_int_equal(sim_parse_policies("all", &o.cfg, err,
					    sizeof(err)), 0);
	if (replay_traces(&o, &s, t, &el, err, sizeof(err)) != 0)
		fail_msg("replay: %s", err);
	return s;
}

/* The pageset CPU 1 allocated from is there before the replay: no refill
 * for that allocation, and the block freed before any allocation of it
 * is replayed as a free of a live block.  Under every policy. */
static void warm_start_from_the_trace(void **state)
{
	struct trace_tally tw, tc;
	struct sim *w, *c;
	(void)state;

	w = replay(false, &tw);
	c = replay(true, &tc);
	assert_true(tw.warm);
	assert_false(tc.warm);
	assert_int_equal(tw.warm_pre_blocks, 1);
	/* seen: CPU 1's unmovable page; the rest of CPU 0's count: (300)
	 * went to a list its trace never refills (not movable order 0) */
	assert_int_equal(tw.warm_pcp_seen, 1);
	assert_int_equal(tw.warm_pcp_rest, 300);
	assert_true(tw.warm_high);
	assert_true(w->npol > 0);
	assert_int_equal(w->npol, c->npol);
	for (unsigned i = 0; i < w->npol; i++) {
		const struct sim_policy *pw = &w->pol[i], *pc = &c->pol[i];

		assert_int_equal(pw->c.free_unknown, 0);
		assert_int_equal(pc->c.free_unknown, 1);
		/* cold, CPU 1's allocation and CPU 0's reclaimable one
		 * refill; warm, CPU 1's is served by the pageset the trace
		 * showed, so fewer refills and no more pages refilled */
		assert_true(pw->stats.pcp_refills < pc->stats.pcp_refills);
		assert_true(pw->stats.zone_pages_refill <=
			    pc->stats.zone_pages_refill);
		/* mainline refills exactly as the trace did: only CPU 0's
		 * movable list, warm */
		if (pw->policy == PA_POLICY_MAINLINE) {
			assert_int_equal(pw->stats.pcp_refills, 1);
			assert_int_equal(pc->stats.pcp_refills, 3);
			assert_true(pw->stats.zone_pages_refill <
				    pc->stats.zone_pages_refill);
		}
		assert_check(pw->zone);
		assert_check(pc->zone);
	}
	sim_destroy(w);
	free(w);
	sim_destroy(c);
	free(c);
}

/* "high:" of one CPU from the zoneinfo report. */
static int report_high(struct pa_zone *z, unsigned cpu)
{
	char *buf = NULL, want[32], *p;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int high;

	assert_non_null(f);
	assert_int_equal(pa_report(z, PA_REPORT_ZONEINFO, f), 0);
	fclose(f);
	snprintf(want, sizeof(want), "cpu: %u\n", cpu);
	p = strstr(buf, want);
	assert_non_null(p);
	p = strstr(p, "high:");
	assert_non_null(p);
	high = atoi(p + 5);
	free(buf);
	return high;
}

static struct pa_config small_config(void)
{
	struct pa_config c = th_config(16, 4, 5, PA_CFG_NO_WATERMARKS, 2);


	c.pcp_batch = 4;
	c.pcp_high_min = 64;
	c.pcp_high_max = 1024;
	return c;
}

/* Whole blocks of a cached order on the list of the gfp's type; an order
 * the lists do not cache and a bad CPU are refused.  Returns the pages
 * the fill added: a policy may add fewer (spb's refill does not taint a
 * clean superpageblock for reclaimable pages; the allocation's slow path
 * decides that) or up to a pageblock more (pa_pcp_fill_order()). */
static int fill_order_and_set_high_under(const struct pa_config *cfg)
{
	struct pa_zone *z = th_zone_create(cfg);
	struct pa_stats s;
	uint64_t pfn;
	int got = pa_pcp_fill_order(z, 0, 3, 20, PA_GFP_RECLAIMABLE);

	assert_true(got >= 0 && got % 8 == 0 && got <= 20 + 16);
	pa_stats(z, &s);
	assert_int_equal(s.pcp_pages, (uint64_t)got);
	assert_int_equal(pa_pcp_fill_order(z, 0, 5, 64, 0), -EINVAL);
	assert_int_equal(pa_pcp_fill_order(z, 7, 0, 1, 0), -EINVAL);
	assert_int_equal(pa_pcp_set_high(z, 7, 100), -EINVAL);
	/* each refusal was reported to the error hook */
	assert_int_equal(th_zone_errors_take(z, NULL, 0), 3);
	/* an order-3 reclaimable allocation is served from the fill */
	pa_stats_reset(z);
	pfn = pa_alloc_cpu(z, 0, 3, PA_GFP_RECLAIMABLE);
	assert_true(pfn != PA_NO_PFN);
	pa_stats(z, &s);
	if (got)
		assert_int_equal(s.zone_pages_refill, 0);
	/* high is set, clamped to high_min..high_max */
	assert_int_equal(pa_pcp_set_high(z, 1, 300), 300);
	assert_int_equal(report_high(z, 1), 300);
	assert_int_equal(pa_pcp_set_high(z, 1, 5), 64);
	assert_int_equal(pa_pcp_set_high(z, 1, 1u << 30), 1024);
	assert_int_equal(pa_free_cpu(z, 0, pfn, 3), 0);
	assert_check(z);
	th_zone_destroy(z);
	return got;
}

static void fill_order_and_set_high(void **state)
{
	struct pa_config c = small_config();
	enum pa_policy p;
	(void)state;

	th_for_each_policy(p, &c) {
		c.policy = p;
		int got = fill_order_and_set_high_under(&c);

		/* mainline: the two whole order-3 blocks of the 20 asked */
		if (p == PA_POLICY_MAINLINE)
			assert_int_equal(got, 16);
	}
}

/* Under pcpbuddy a refill may be served from blocks the pageset already
 * holds (merged fragments): the fill must stop, not spin (it did, in the
 * replay's warm start of samples/build-small.trace.zst).  Every policy:
 * those whose pagesets hold no merged fragments must end too. */
static void fill_order_ends_under(const struct pa_config *cfg)
{
	struct pa_zone *z = th_zone_create(cfg);
	uint64_t pfns[8];
	/* fragments of this CPU's own block on its lists */
	for (unsigned i = 0; i < 8; i++)
		pfns[i] = pa_alloc_cpu(z, 0, 0, 0);
	for (unsigned i = 0; i < 8; i += 2)
		if (pfns[i] != PA_NO_PFN)
			pa_free_cpu(z, 0, pfns[i], 0);
	for (unsigned o = 0; o <= 3; o++)
		assert_true(pa_pcp_fill_order(z, 0, o, 64, 0) >= 0);
	assert_check(z);
	for (unsigned i = 1; i < 8; i += 2)
		if (pfns[i] != PA_NO_PFN)
			pa_free_cpu(z, 0, pfns[i], 0);
	assert_check(z);
	th_zone_destroy(z);
}

static void fill_order_ends_under_pcpbuddy(void **state)
{
	struct pa_config c = th_config(16, 4, 5, PA_CFG_NO_WATERMARKS, 2);
	enum pa_policy p;
	(void)state;

	c.pcp_batch = 4;
	th_for_each_policy(p, &c) {
		c.policy = p;
		fill_order_ends_under(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(warm_start_from_the_trace),
		cmocka_unit_test(fill_order_and_set_high),
		cmocka_unit_test(fill_order_ends_under_pcpbuddy),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
