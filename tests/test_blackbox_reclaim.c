/* SPDX-License-Identifier: MIT */
/*
 * test_blackbox_reclaim.c - black-box checks of the shrinker contract from
 * include/pagealloc.h: shrinkers that call back into the zone (register,
 * unregister, pa_reclaim, pa_zone_tick from a callback), shrinkers that
 * free and allocate, direct reclaim from a failing allocation, background
 * reclaim from pa_zone_tick, and the vmstat counters, under every policy.
 */
#include <errno.h>
#include <string.h>
#include "helpers.h"

#define BB_PBS 8u
#define BB_PB_ORDER 3u
#define BB_MAX_ORDER 5u
#define BB_CACHE 256u

/* A cache of order-0 pages the shrinker may give back. */
struct bb_cache {
	struct pa_zone *zone;
	uint64_t pfn[BB_CACHE];
	unsigned n;
	int self_id;
	/* what the re-entrant calls returned from inside the callback */
	int reg_rc, unreg_rc;
	int64_t reclaim_rc;
	int tick_rc;
	unsigned tick_woken;
	unsigned scans;
	int reenter;
	int alloc_inside;
	uint64_t inside_pfn;
};

static uint64_t bb_count(void *arg, const struct pa_shrink_control *sc)
{
	struct bb_cache *c = arg;

	(void)sc;
	return c->n;
}

static uint64_t bb_nop_count(void *arg, const struct pa_shrink_control *sc)
{
	(void)arg;
	(void)sc;
	return 0;
}

static uint64_t bb_nop_scan(void *arg, struct pa_shrink_control *sc)
{
	(void)arg;
	(void)sc;
	return 0;
}

static uint64_t bb_scan(void *arg, struct pa_shrink_control *sc)
{
	struct bb_cache *c = arg;
	uint64_t freed = 0, want = sc->nr_to_scan;

	c->scans++;
	if (c->reenter) {
		struct pa_tick_stats t;

		memset(&t, 0xff, sizeof(t));
		c->reg_rc = pa_register_shrinker(c->zone, bb_nop_count,
						 bb_nop_scan, NULL);
		c->unreg_rc = pa_unregister_shrinker(c->zone, c->self_id);
		c->reclaim_rc = pa_reclaim(c->zone, 4, NULL);
		c->tick_rc = pa_zone_tick(c->zone, 1000, &t);
		c->tick_woken = t.woken;
		c->reenter = 0;
	}
	if (c->alloc_inside && c->inside_pfn == PA_NO_PFN)
		c->inside_pfn = pa_alloc(c->zone, 0, PA_GFP_NOWARN);
	while (freed < want && c->n > 0) {
		assert_int_equal(pa_free(c->zone, c->pfn[--c->n], 0), 0);
		freed++;
	}
	sc->nr_scanned = freed;
	return freed;
}

static struct pa_zone *bb_zone(void **state)
{
	struct pa_config cfg = th_config(BB_PBS, BB_PB_ORDER, BB_MAX_ORDER,
					 PA_CFG_NO_WATERMARKS, 1);

	return th_zone_or_skip(state, &cfg);
}

static void bb_fill(struct bb_cache *c, unsigned n)
{
	c->n = 0;
	while (c->n < n) {
		uint64_t pfn = pa_alloc(c->zone, 0, PA_GFP_RECLAIMABLE);

		assert_true(pfn != PA_NO_PFN);
		c->pfn[c->n++] = pfn;
	}
}

static void bb_empty(struct bb_cache *c)
{
	while (c->n > 0)
		assert_int_equal(pa_free(c->zone, c->pfn[--c->n], 0), 0);
}

static void callbacks_reenter_zone(void **state)
{
	struct bb_cache c = { .inside_pfn = PA_NO_PFN };
	int64_t got;

	c.zone = bb_zone(state);
	c.self_id = pa_register_shrinker(c.zone, bb_count, bb_scan, &c);
	assert_true(c.self_id > 0);
	bb_fill(&c, 32);
	c.reenter = 1;
	got = pa_reclaim(c.zone, 8, NULL);
	assert_true(got >= 8);
	assert_true(c.scans >= 1);
	assert_int_equal(c.reenter, 0);
	assert_int_equal(c.reg_rc, -EDEADLK);
	assert_int_equal(c.unreg_rc, -EDEADLK);
	assert_int_equal(c.reclaim_rc, 0);
	assert_int_equal(c.tick_rc, 0);
	assert_int_equal(c.tick_woken, 0);
	th_zone_errors_take(c.zone, NULL, 0);
	assert_check(c.zone);
	assert_accounting(c.zone);
	/* still registered: the unregister from inside was refused */
	assert_int_equal(pa_unregister_shrinker(c.zone, c.self_id), 0);
	assert_int_equal(pa_unregister_shrinker(c.zone, c.self_id), -EINVAL);
	th_zone_errors_take(c.zone, NULL, 0);
	bb_empty(&c);
	th_zone_destroy(c.zone);
}

static void reclaim_counts_and_frees(void **state)
{
	struct bb_cache c = { .inside_pfn = PA_NO_PFN };
	struct pa_shrink_control sc = { .migratetype = PA_MT_RECLAIMABLE };
	struct pa_stats s0, s1;
	int64_t got;
	int id;

	c.zone = bb_zone(state);
	/* filled first: spb may shrink for superpageblock pressure while
	 * the cache fills, which would free what the fill just took */
	bb_fill(&c, 40);
	id = pa_register_shrinker(c.zone, bb_count, bb_scan, &c);
	assert_true(id > 0);
	pa_stats(c.zone, &s0);
	got = pa_reclaim(c.zone, 16, NULL);
	pa_stats(c.zone, &s1);
	assert_true(got >= 16 && got <= 40);
	assert_int_equal(40 - c.n, got);
	assert_int_equal(s1.pgsteal_direct - s0.pgsteal_direct, got);
	assert_true(s1.pgscan_direct > s0.pgscan_direct);
	assert_int_equal(s0.allocated_pages - s1.allocated_pages, got);
	assert_check(c.zone);
	assert_accounting(c.zone);
	/* Reclaimable request: counted in slabs_scanned instead */
	pa_stats(c.zone, &s0);
	got = pa_reclaim(c.zone, 8, &sc);
	pa_stats(c.zone, &s1);
	assert_true(got >= 8);
	assert_true(s1.slabs_scanned > s0.slabs_scanned);
	assert_int_equal(s1.pgsteal_direct - s0.pgsteal_direct, got);
	/* a shrinker that allocates inside its scan */
	c.alloc_inside = 1;
	got = pa_reclaim(c.zone, 4, NULL);
	assert_true(got >= 4);
	assert_true(c.inside_pfn != PA_NO_PFN);
	assert_int_equal(pa_free(c.zone, c.inside_pfn, 0), 0);
	assert_check(c.zone);
	assert_accounting(c.zone);
	assert_int_equal(pa_unregister_shrinker(c.zone, id), 0);
	/* nothing registered: nothing freed */
	assert_int_equal(pa_reclaim(c.zone, 8, NULL), 0);
	bb_empty(&c);
	th_zone_destroy(c.zone);
}

/* An allocation that finds the zone full reclaims through the shrinker. */
static void direct_reclaim_from_alloc(void **state)
{
	struct bb_cache c = { .inside_pfn = PA_NO_PFN };
	uint64_t held[BB_PBS << BB_PB_ORDER];
	unsigned nheld = 0;
	struct pa_stats s0, s1;
	uint64_t pfn;
	int id;

	c.zone = bb_zone(state);
	bb_fill(&c, 32);
	/* take every other page */
	while ((pfn = pa_alloc(c.zone, 0, PA_GFP_NOWARN)) != PA_NO_PFN)
		held[nheld++] = pfn;
	assert_int_equal(nheld + 32, pa_managed_pages(c.zone));
	id = pa_register_shrinker(c.zone, bb_count, bb_scan, &c);
	assert_true(id > 0);
	pa_stats(c.zone, &s0);
	pfn = pa_alloc(c.zone, 0, 0);
	pa_stats(c.zone, &s1);
	assert_true(pfn != PA_NO_PFN);
	assert_true(c.n < 32);
	assert_true(s1.allocstall > s0.allocstall);
	assert_true(s1.pgsteal_direct > s0.pgsteal_direct);
	assert_int_equal(pa_free(c.zone, pfn, 0), 0);
	assert_check(c.zone);
	assert_accounting(c.zone);
	assert_int_equal(pa_unregister_shrinker(c.zone, id), 0);
	while (nheld > 0)
		assert_int_equal(pa_free(c.zone, held[--nheld], 0), 0);
	bb_empty(&c);
	th_zone_destroy(c.zone);
}

/* Background reclaim: below the low watermark, a tick reclaims. */
static void tick_reclaims_below_low(void **state)
{
	struct pa_config cfg = th_config(BB_PBS, BB_PB_ORDER, BB_MAX_ORDER, 0, 1);
	struct bb_cache c = { .inside_pfn = PA_NO_PFN };
	uint64_t held[BB_PBS << BB_PB_ORDER];
	unsigned nheld = 0;
	struct pa_tick_stats t;
	struct pa_stats s0, s1;
	uint64_t pfn;
	int id;

	c.zone = th_zone_or_skip(state, &cfg);
	bb_fill(&c, 32);
	while ((pfn = pa_alloc(c.zone, 0, PA_GFP_NOWARN)) != PA_NO_PFN)
		held[nheld++] = pfn;
	th_zone_errors_take(c.zone, NULL, 0);
	id = pa_register_shrinker(c.zone, bb_count, bb_scan, &c);
	assert_true(id > 0);
	pa_stats(c.zone, &s0);
	assert_int_equal(pa_zone_tick(c.zone, 1000000, &t), 0);
	pa_stats(c.zone, &s1);
	assert_true(t.woken & PA_TICK_KSWAPD);
	assert_true(t.reclaimed > 0);
	assert_int_equal(32 - c.n, t.reclaimed);
	assert_int_equal(s1.pgsteal_kswapd - s0.pgsteal_kswapd, t.reclaimed);
	assert_true(s1.kswapd_wake > s0.kswapd_wake);
	assert_check(c.zone);
	assert_accounting(c.zone);
	assert_int_equal(pa_unregister_shrinker(c.zone, id), 0);
	while (nheld > 0)
		assert_int_equal(pa_free(c.zone, held[--nheld], 0), 0);
	bb_empty(&c);
	th_zone_destroy(c.zone);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		th_policy_test(callbacks_reenter_zone),
		th_policy_test(reclaim_counts_and_frees),
		th_policy_test(direct_reclaim_from_alloc),
		th_policy_test(tick_reclaims_below_low),
	};
	return th_run_policy_group("blackbox_reclaim", tests);
}
