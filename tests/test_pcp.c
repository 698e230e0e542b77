/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU pageset semantics (mainline) on a tiny zone with explicit CPU
 * ids: refill size and its growth, drain when a list reaches high, the
 * direction of high's auto-tuning, drain on CPU offline, pa_pcp_fill and
 * pa_stats_reset.  Expectations follow the kernel's rules as documented in
 * src/pcp.c, derived from the configured batch/high, not hard-coded counts.
 */
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include "helpers.h"

#define BATCH 4u

/* 16 pageblocks of 16 pages, 2 CPUs, no watermarks; mainline, whose
 * rules these are */
static struct pa_zone *tiny(unsigned high_min, unsigned high_max)
{
	struct pa_config c = th_config(16, 4, 5, PA_CFG_NO_WATERMARKS, 2);

	c.policy = PA_POLICY_MAINLINE;
	c.pcp_batch = BATCH;
	c.pcp_high_min = high_min;
	c.pcp_high_max = high_max;
	return th_zone_create(&c);
}

/* A figure ("high:", "count:") of one CPU's pageset from the zoneinfo
 * report (the kernel's layout). */
static int pcp_field(struct pa_zone *z, unsigned cpu, const char *key)
{
	char *buf = NULL, want[32];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int v = -1;

	assert_non_null(f);
	assert_int_equal(pa_report(z, PA_REPORT_ZONEINFO, f), 0);
	fclose(f);
	snprintf(want, sizeof(want), "cpu: %u\n", cpu);
	char *p = strstr(buf, want);

	assert_non_null(p);
	p = strstr(p, key);
	assert_non_null(p);
	v = atoi(p + strlen(key));
	free(buf);
	return v;
}

static int pcp_high(struct pa_zone *z, unsigned cpu)
{
	return pcp_field(z, cpu, "high:");
}

/* The zone for the pressure test: 4096 pages, watermarks on (min 512
 * pages), 2 CPUs, pagesets free to grow. */
static struct pa_zone *pressure_zone(void)
{
	struct pa_config c = th_config(256, 4, 5, 0, 2);

	c.policy = PA_POLICY_MAINLINE;
	c.min_free_kbytes = 2048;
	c.pcp_batch = BATCH;
	c.pcp_high_min = 16;
	c.pcp_high_max = 512;
	return th_zone_create(&c);
}

/* Drains under pressure, the 6.x rule the lab's warm-machine replay runs
 * on (it replays through these pagesets): once the zone is below its
 * high watermark, each free lowers the pageset's high by the pages freed
 * in a row, down to high_min, and drains what lies above it, so pages
 * cached on one CPU go back to the zone.  The same frees with plenty of
 * memory free stay cached.  The first pass is the calm one. */
static void frees_drain_when_the_zone_is_below_high(void **state)
{
	enum { N = 64 };
	uint64_t drained[2], held[2], high[2];
	(void)state;

	for (int pressure = 0; pressure < 2; pressure++) {
		struct pa_zone *z = pressure_zone();
		uint64_t p[N], q[4096];
		unsigned nq = 0;
		struct pa_stats s;
		uint64_t before;

		for (unsigned i = 0; i < N; i++)
			assert_int_not_equal(p[i] = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE),
					     PA_NO_PFN);
		pa_stats(z, &s);
		/* room below high for all of CPU 0's pages and then some */
		assert_true(s.wmark_high > s.wmark_min + 3 * N);
		while (pressure && s.free_pages + 2 * N >= s.wmark_high) {
			assert_true(nq < 4096);
			q[nq] = pa_alloc_cpu(z, 1, 0, PA_GFP_MOVABLE);
			assert_int_not_equal(q[nq++], PA_NO_PFN);
			pa_stats(z, &s);
		}
		before = s.zone_pages_drain;
		for (unsigned i = 0; i < N; i++)
			assert_int_equal(pa_free_cpu(z, 0, p[i], 0), 0);
		pa_stats(z, &s);
		/* under pressure the zone stayed below high throughout */
		assert_true(!pressure || s.free_pages < s.wmark_high);
		assert_true(pressure || s.free_pages >= s.wmark_high);
		drained[pressure] = s.zone_pages_drain - before;
		held[pressure] = (uint64_t)pcp_field(z, 0, "count:");
		high[pressure] = (uint64_t)pcp_high(z, 0);
		assert_check(z);
		for (unsigned i = 0; i < nq; i++)
			assert_int_equal(pa_free_cpu(z, 1, q[i], 0), 0);
		assert_check(z);
		th_zone_destroy(z);
	}
	print_message("calm: drained %llu, CPU 0 holds %llu, high %llu; below high: "
		      "drained %llu, holds %llu, high %llu\n",
		      (unsigned long long)drained[0], (unsigned long long)held[0],
		      (unsigned long long)high[0], (unsigned long long)drained[1],
		      (unsigned long long)held[1], (unsigned long long)high[1]);
	/* calm: the pageset keeps what was freed to it */
	assert_true(held[0] >= N);
	assert_true(high[0] > held[0]);
	/* below high: high back at high_min, no more than that held, and the
	 * rest of CPU 0's pages went back to the zone */
	assert_int_equal(high[1], 16);
	assert_true(held[1] <= 16);
	assert_true(drained[1] >= N - 16);
	assert_true(drained[1] > drained[0]);
}

/* While background reclaim runs (free pages fell below the low watermark
 * and are not back at the high one: the kernel's ZONE_RECLAIM_ACTIVE), a
 * pageset keeps at most four batches, auto-tuned or not, so the pages
 * reclaim frees reach the zone.  Pagesets of fixed high here (512 pages,
 * no auto-tuning): below low they drain to four batches; back above high
 * they keep what is freed to them again.  Under every policy: the rule
 * is the shared pageset tuning's. */
static void reclaim_limits_pagesets_under(enum pa_policy pol)
{
	enum { N = 64 };
	struct pa_config c = th_config(256, 4, 5, 0, 2);
	uint64_t p[N], q[4096];
	unsigned nq = 0;
	struct pa_stats s;

	c.policy = pol;
	c.min_free_kbytes = 2048;
	c.pcp_batch = BATCH;
	c.pcp_high_min = c.pcp_high_max = 512;
	struct pa_zone *z = th_zone_create(&c);

	for (unsigned i = 0; i < N; i++)
		assert_int_not_equal(p[i] = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE),
				     PA_NO_PFN);
	pa_stats(z, &s);
	/* CPU 0's pages freed below low leave the zone below high */
	assert_true(s.wmark_high > s.wmark_low + N);
	/* CPU 1 takes the zone below its low watermark */
	while (s.free_pages >= s.wmark_low) {
		assert_true(nq < 4096);
		q[nq] = pa_alloc_cpu(z, 1, 0, PA_GFP_MOVABLE);
		assert_int_not_equal(q[nq++], PA_NO_PFN);
		pa_stats(z, &s);
	}
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(pa_free_cpu(z, 0, p[i], 0), 0);
	pa_stats(z, &s);
	assert_true(s.free_pages < s.wmark_high);
	assert_true(pcp_field(z, 0, "count:") <= 4 * (int)BATCH);
	assert_check(z);
	/* CPU 1 gives its pages back: above high, reclaim is over and
	 * CPU 0 caches again */
	for (unsigned i = 0; i < nq; i++)
		assert_int_equal(pa_free_cpu(z, 1, q[i], 0), 0);
	pa_drain(z);
	pa_stats(z, &s);
	assert_true(s.free_pages >= s.wmark_high);
	for (unsigned i = 0; i < N; i++)
		assert_int_not_equal(p[i] = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE),
				     PA_NO_PFN);
	pa_drain(z);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(pa_free_cpu(z, 0, p[i], 0), 0);
	assert_true(pcp_field(z, 0, "count:") >= N);
	assert_check(z);
	th_zone_destroy(z);
}

static void frees_drain_to_four_batches_while_reclaim_runs(void **state)
{
	(void)state;
	reclaim_limits_pagesets_under(PA_POLICY_MAINLINE);
	reclaim_limits_pagesets_under(PA_POLICY_PCPBUDDY);
	reclaim_limits_pagesets_under(PA_POLICY_SPB);
}

static void refill_takes_a_batch_then_grows(void **state)
{
	(void)state;
	struct pa_zone *z = tiny(64, 64);
	struct pa_stats s;
	uint64_t p[16];

	p[0] = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);
	pa_stats(z, &s);
	assert_int_equal(s.zone_pages_refill, BATCH);
	assert_int_equal(s.pcp_pages, BATCH - 1);
	for (unsigned i = 1; i < BATCH; i++)
		p[i] = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);
	pa_stats(z, &s);
	assert_int_equal(s.pcp_refills, 1);
	assert_int_equal(s.pcp_pages, 0);
	/* allocating without freeing doubles the next batch */
	p[BATCH] = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);
	pa_stats(z, &s);
	assert_int_equal(s.pcp_refills, 2);
	assert_int_equal(s.zone_pages_refill, BATCH + 2 * BATCH);
	for (unsigned i = 0; i <= BATCH; i++)
		assert_int_equal(pa_free_cpu(z, 0, p[i], 0), 0);
	th_zone_destroy(z);
}

static void free_drains_at_high_and_keeps_a_batch(void **state)
{
	(void)state;
	const unsigned high = 16;
	struct pa_zone *z = tiny(high, high);
	struct pa_stats s;
	uint64_t p[64];

	for (unsigned i = 0; i < 64; i++)
		p[i] = pa_alloc_cpu(z, 1, 0, PA_GFP_MOVABLE);
	pa_drain_cpu(z, 1);
	pa_stats_reset(z);
	for (unsigned i = 0; i < 64; i++) {
		assert_int_equal(pa_free_cpu(z, 0, p[i], 0), 0);
		pa_stats(z, &s);
		/* a free that reaches high drains below it */
		assert_true(s.pcp_pages < high);
	}
	pa_stats(z, &s);
	assert_true(s.pcp_drains >= 1);
	assert_int_equal(s.zone_pages_drain + s.pcp_pages, 64);
	/* a drain leaves at least a batch behind */
	assert_true(s.pcp_pages >= BATCH);
	th_zone_destroy(z);
}

static void high_grows_under_demand_and_decays_when_idle(void **state)
{
	(void)state;
	const unsigned hmin = 16, hmax = 128;
	struct pa_zone *z = tiny(hmin, hmax);
	uint64_t p[100];

	assert_int_equal(pcp_high(z, 0), (int)hmin);
	for (unsigned i = 0; i < 100; i++)
		p[i] = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);
	int grown = pcp_high(z, 0);

	assert_true(grown > (int)hmin);
	assert_true(grown <= (int)hmax);
	for (unsigned i = 0; i < 100; i++)
		assert_int_equal(pa_free_cpu(z, 0, p[i], 0), 0);
	/* idle: each tick decays high towards high_min */
	int prev = pcp_high(z, 0);

	for (int t = 0; t < 64; t++) {
		pa_pcp_tick(z);
		int h = pcp_high(z, 0);

		assert_true(h <= prev);
		prev = h;
	}
	assert_int_equal(prev, (int)hmin);
	struct pa_stats s;

	pa_stats(z, &s);
	assert_true(s.pcp_pages <= hmin);
	th_zone_destroy(z);
}

/* pa_pcp_tick_cpu decays the one pageset it names, as the kernel's
 * per-CPU vmstat work does, and refuses a CPU the zone does not have. */
static void tick_cpu_decays_that_cpu_alone(void **state)
{
	(void)state;
	const unsigned hmin = 16, hmax = 128;
	struct pa_zone *z = tiny(hmin, hmax);
	uint64_t p[2][100];
	char msg[200];

	for (unsigned c = 0; c < 2; c++)
		for (unsigned i = 0; i < 100; i++)
			p[c][i] = pa_alloc_cpu(z, c, 0, PA_GFP_MOVABLE);
	for (unsigned c = 0; c < 2; c++)
		for (unsigned i = 0; i < 100; i++)
			assert_int_equal(pa_free_cpu(z, c, p[c][i], 0), 0);
	int h0 = pcp_high(z, 0), h1 = pcp_high(z, 1);
	int n0 = pcp_field(z, 0, "count:");

	assert_true(h1 > (int)hmin);
	assert_int_equal(pa_pcp_tick_cpu(z, 1), 0);
	assert_true(pcp_high(z, 1) < h1);
	assert_true(pcp_field(z, 1, "count:") <= pcp_high(z, 1));
	assert_int_equal(pcp_high(z, 0), h0);
	assert_int_equal(pcp_field(z, 0, "count:"), n0);
	assert_int_equal(pa_pcp_tick_cpu(z, 2), -EINVAL);
	assert_int_equal(th_zone_errors_take(z, msg, sizeof(msg)), 1);
	assert_non_null(strstr(msg, "pa_pcp_tick_cpu"));
	th_zone_destroy(z);
}

static void offline_drains_and_routes_to_the_zone(void **state)
{
	(void)state;
	struct pa_zone *z = tiny(64, 64);
	struct pa_stats s;

	uint64_t a = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);
	uint64_t b = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);

	pa_stats(z, &s);
	assert_true(s.pcp_pages > 0);
	assert_int_equal(pa_cpu_offline(z, 0), 0);
	pa_stats(z, &s);
	assert_int_equal(s.pcp_pages, 0);
	uint64_t direct = s.zone_pages_direct_free;

	assert_int_equal(pa_free_cpu(z, 0, a, 0), 0);
	pa_stats(z, &s);
	assert_int_equal(s.zone_pages_direct_free, direct + 1);
	assert_int_equal(s.pcp_pages, 0);
	/* allocations on the offline CPU come straight from the zone */
	uint64_t c = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);

	assert_int_not_equal(c, PA_NO_PFN);
	pa_stats(z, &s);
	assert_int_equal(s.pcp_pages, 0);
	assert_check(z);
	assert_int_equal(pa_cpu_online(z, 0), 0);
	assert_int_equal(pa_free_cpu(z, 0, b, 0), 0);
	assert_int_equal(pa_free_cpu(z, 0, c, 0), 0);
	pa_stats(z, &s);
	assert_int_equal(s.pcp_pages, 2); /* cached again */
	th_zone_destroy(z);
}

static void fill_and_reset(void **state)
{
	(void)state;
	struct pa_zone *z = tiny(16, 128);
	struct pa_stats s;

	assert_int_equal(pa_pcp_fill(z, 1, 40, PA_GFP_MOVABLE), 40);
	pa_stats(z, &s);
	assert_int_equal(s.pcp_pages, 40);
	assert_int_equal(s.zone_pages_refill, 40);
	/* high was raised so the pages stay */
	assert_true(pcp_high(z, 1) >= 40);
	/* capped at high_max */
	assert_int_equal(pa_pcp_fill(z, 0, 1000, PA_GFP_MOVABLE), 128);
	pa_stats_reset(z);
	pa_stats(z, &s);
	assert_int_equal(s.zone_pages_refill, 0);
	assert_int_equal(s.zone_lock.acquisitions, 0);
	assert_int_equal(s.pcp_pages, 168); /* state is untouched */
	assert_check(z); /* takes zone->lock itself */
	pa_stats(z, &s);
	uint64_t acq = s.zone_lock.acquisitions;
	/* the filled pages serve allocations without zone->lock */
	uint64_t p = pa_alloc_cpu(z, 1, 0, PA_GFP_MOVABLE);

	pa_stats(z, &s);
	assert_int_not_equal(p, PA_NO_PFN);
	assert_int_equal(s.zone_lock.acquisitions, acq);
	assert_int_equal(s.pcp_alloc_hit, 1);
	assert_int_equal(pa_pcp_fill(z, 9, 1, 0), -22);
	assert_int_equal(pa_pcp_fill(z, 0, 1, 0x4000), -22);
	/* both reported; -ENODEV (no pageset) is an answer, not an error */
	assert_int_equal(th_zone_errors_take(z, NULL, 0), 2);
	assert_int_equal(pa_cpu_offline(z, 0), 0);
	assert_int_equal(pa_pcp_fill(z, 0, 1, 0), -19);
	pa_drain(z);
	pa_stats(z, &s);
	assert_int_equal(s.free_pages + 1, s.managed_pages);
	th_zone_destroy(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(refill_takes_a_batch_then_grows),
		cmocka_unit_test(free_drains_at_high_and_keeps_a_batch),
		cmocka_unit_test(high_grows_under_demand_and_decays_when_idle),
		cmocka_unit_test(tick_cpu_decays_that_cpu_alone),
		cmocka_unit_test(offline_drains_and_routes_to_the_zone),
		cmocka_unit_test(frees_drain_when_the_zone_is_below_high),
		cmocka_unit_test(frees_drain_to_four_batches_while_reclaim_runs),
		cmocka_unit_test(fill_and_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
