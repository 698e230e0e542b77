/* SPDX-License-Identifier: MIT */
/*
 * Shrinkers, reclaim passes, the slow path's reclaim step and background
 * reclaim (pa_zone_tick), under every policy the library accepts
 * (tests/factory.h): count/scan semantics, proportional and bounded
 * targets, a shrinker that frees nothing, registration errors, direct
 * reclaim rescuing a failing allocation, reclaim before compaction, the
 * no-fragmentation rule kept through reclaim, kswapd to the high
 * watermark, no recursion from a shrinker's own allocation, nolock never
 * reclaiming, and a randomized run against a model of the counts.
 * th_zone_destroy() runs pa_check() and free + pcp + allocated == managed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "lru.h"
#include "owner.h"
#include "zone.h" /* white-box: the policy's POL_NOFRAG_RULE, reclaim limits */
#include "buddy.h" /* zone_lock */

/* 16 pageblocks of 16 pages, max order 6, no watermarks, one CPU. */
static struct pa_zone *small_zone(void **state, unsigned flags)
{
	struct pa_config c = th_config(16, 4, 6, flags | PA_CFG_NO_WATERMARKS, 1);

	return th_zone_or_skip(state, &c);
}

static struct pa_stats stats(struct pa_zone *z)
{
	struct pa_stats s;

	pa_stats(z, &s);
	return s;
}

/* A shrinker whose count and scan answer what the test says. */
struct fake {
	uint64_t count;          /* what count returns */
	uint64_t free_per_call;  /* what scan returns */
	uint64_t report_scanned; /* what scan puts in nr_scanned */
	uint64_t count_calls, scan_calls, asked;
};

static uint64_t fake_count(void *arg, const struct pa_shrink_control *sc)
{
	struct fake *f = arg;

	(void)sc;
	f->count_calls++;
	return f->count;
}

static uint64_t fake_scan(void *arg, struct pa_shrink_control *sc)
{
	struct fake *f = arg;

	f->scan_calls++;
	f->asked += sc->nr_to_scan;
	sc->nr_scanned = f->report_scanned;
	return f->free_per_call;
}

/* count is asked first, scan gets batches of at most PA_SHRINK_BATCH, the
 * pass stops at the target, and the request reaches the shrinker. */
static void count_and_scan(void **state)
{
	struct pa_zone *z = small_zone(state, 0);
	struct th_lru *l = th_lru_new(z, 256, true);
	struct pa_shrink_control sc = { .order = 2, .migratetype = PA_MT_MOVABLE,
					 .pfn_start = 16, .pfn_end = 64 };

	assert_int_equal(th_lru_fill(l, PA_GFP_MOVABLE), pa_managed_pages(z));
	assert_int_equal(pa_reclaim(z, 10, &sc), 10);
	assert_int_equal(th_lru_len(l), pa_managed_pages(z) - 10);
	assert_true(l->count_calls >= 1);
	assert_int_equal(l->scanned, 10);
	assert_int_equal(l->last_sc.order, 2);
	assert_int_equal(l->last_sc.migratetype, PA_MT_MOVABLE);
	assert_int_equal(l->last_sc.pfn_start, 16);
	assert_int_equal(l->last_sc.pfn_end, 64);
	struct pa_stats s = stats(z);

	assert_int_equal(s.pgsteal_direct, 10);
	assert_int_equal(s.pgscan_direct, 10);
	assert_int_equal(s.allocstall, 0); /* pa_reclaim is no slow path */
	/* a large target goes in batches */
	assert_int_equal(pa_reclaim(z, 200, NULL), 200);
	assert_true(l->max_batch <= PA_SHRINK_BATCH);
	assert_true(l->scan_calls >= 200 / PA_SHRINK_BATCH + 1);
	assert_int_equal(l->last_sc.migratetype, -1);
	assert_check(z);
	th_lru_destroy(l);
	th_zone_destroy(z);
}

/* Two shrinkers share the target in proportion to their counts; a
 * target above what they hold frees everything and stops. */
static void proportional_and_bounded(void **state)
{
	struct pa_zone *z = small_zone(state, 0);
	struct th_lru *a = th_lru_new(z, 256, true);
	struct th_lru *b = th_lru_new(z, 256, true);

	for (int i = 0; i < 150; i++)
		assert_true(th_lru_alloc(a, 0, PA_GFP_MOVABLE) != PA_NO_PFN);
	for (int i = 0; i < 50; i++)
		assert_true(th_lru_alloc(b, 0, PA_GFP_MOVABLE) != PA_NO_PFN);
	assert_int_equal(pa_reclaim(z, 40, NULL), 40);
	assert_int_equal(a->freed, 30);
	assert_int_equal(b->freed, 10);
	/* more than there is: everything, once each, no endless loop */
	assert_int_equal(pa_reclaim(z, 10000, NULL), 160);
	assert_int_equal(th_lru_len(a) + th_lru_len(b), 0);
	assert_int_equal(pa_reclaim(z, 10, NULL), 0);
	assert_int_equal(stats(z).pgsteal_direct, 200);
	th_lru_destroy(a);
	th_lru_destroy(b);
	th_zone_destroy(z);
}

/* A shrinker that says it holds much but frees nothing: one round, a
 * bounded number of calls; nr_scanned 0 counts as nr_to_scan; a huge
 * count does not overflow the share. */
static void shrinker_freeing_nothing(void **state)
{
	struct pa_zone *z = small_zone(state, 0);
	struct fake f = { .count = 1000 };
	struct fake huge = { .count = UINT64_MAX / 2, .report_scanned = 1 };
	int id = pa_register_shrinker(z, fake_count, fake_scan, &f);

	assert_true(id > 0);
	assert_int_equal(pa_reclaim(z, 300, NULL), 0);
	assert_int_equal(f.count_calls, 1);
	assert_int_equal(f.asked, 300);
	assert_int_equal(f.scan_calls, (300 + PA_SHRINK_BATCH - 1) / PA_SHRINK_BATCH);
	assert_int_equal(pa_unregister_shrinker(z, id), 0);
	/* reports one object per call: bounded by the share, then stops */
	id = pa_register_shrinker(z, fake_count, fake_scan, &huge);
	assert_int_equal(pa_reclaim(z, 50, NULL), 0);
	assert_int_equal(huge.scan_calls, 50);
	assert_int_equal(pa_unregister_shrinker(z, id), 0);
	/* frees more than it holds, claims pages each call: at most
	 * RECLAIM_MAX_ROUNDS rounds however it lies */
	struct fake liar = { .count = 1, .free_per_call = 0 };

	id = pa_register_shrinker(z, fake_count, fake_scan, &liar);
	assert_int_equal(pa_reclaim(z, 1ull << 40, NULL), 0);
	assert_int_equal(liar.count_calls, 1);
	assert_int_equal(pa_unregister_shrinker(z, id), 0);
	th_zone_destroy(z);
}

/* Half the objects referenced: the first round frees the others and gives
 * these a second chance, the next round frees them; a list whose objects
 * are all referenced frees nothing in a round, and the pass stops there. */
static void second_chance_takes_another_round(void **state)
{
	struct pa_zone *z = small_zone(state, 0);
	struct th_lru *l = th_lru_new(z, 256, true);

	for (int i = 0; i < 20; i++)
		assert_true(th_lru_alloc(l, 0, PA_GFP_MOVABLE) != PA_NO_PFN);
	th_lru_reference(l, 2);
	assert_int_equal(pa_reclaim(z, 20, NULL), 20);
	assert_int_equal(l->scanned, 30);
	assert_int_equal(stats(z).pgscan_direct, 30);
	for (int i = 0; i < 20; i++)
		assert_true(th_lru_alloc(l, 0, PA_GFP_MOVABLE) != PA_NO_PFN);
	th_lru_reference(l, 1);
	assert_int_equal(pa_reclaim(z, 20, NULL), 0);
	assert_int_equal(l->scanned, 50);
	assert_int_equal(pa_reclaim(z, 20, NULL), 20); /* marks cleared */
	th_lru_destroy(l);
	th_zone_destroy(z);
}

static void registration_errors(void **state)
{
	struct pa_zone *z = small_zone(state, 0);
	struct fake f = { 0 };
	int ids[PA_MAX_SHRINKERS];

	assert_int_equal(pa_register_shrinker(z, NULL, fake_scan, &f), -EINVAL);
	assert_int_equal(pa_register_shrinker(z, fake_count, NULL, &f), -EINVAL);
	assert_int_equal(th_zone_errors_take(z, NULL, 0), 2);
	for (int i = 0; i < PA_MAX_SHRINKERS; i++) {
		ids[i] = pa_register_shrinker(z, fake_count, fake_scan, &f);
		assert_true(ids[i] > 0);
		for (int j = 0; j < i; j++)
			assert_true(ids[i] != ids[j]);
	}
	assert_int_equal(pa_register_shrinker(z, fake_count, fake_scan, &f),
			 -ENOSPC);
	assert_int_equal(th_zone_errors_take(z, NULL, 0), 1);
	assert_int_equal(pa_unregister_shrinker(z, ids[3]), 0);
	assert_int_equal(pa_unregister_shrinker(z, ids[3]), -EINVAL);
	assert_int_equal(pa_unregister_shrinker(z, 0), -EINVAL);
	assert_int_equal(pa_unregister_shrinker(z, -1), -EINVAL);
	assert_int_equal(pa_unregister_shrinker(z, PA_MAX_SHRINKERS + 1), -EINVAL);
	assert_int_equal(th_zone_errors_take(z, NULL, 0), 4);
	/* the freed slot is usable again */
	ids[3] = pa_register_shrinker(z, fake_count, fake_scan, &f);
	assert_true(ids[3] > 0);
	for (int i = 0; i < PA_MAX_SHRINKERS; i++)
		assert_int_equal(pa_unregister_shrinker(z, ids[i]), 0);
	struct pa_shrink_control bad = { .migratetype = PA_MT_TYPES };

	assert_int_equal(pa_reclaim(z, 1, &bad), -EINVAL);
	bad = (struct pa_shrink_control){ .migratetype = -1, .order = 7 };
	assert_int_equal(pa_reclaim(z, 1, &bad), -EINVAL);
	assert_int_equal(th_zone_errors_take(z, NULL, 0), 2);
	assert_int_equal(pa_reclaim(z, 5, NULL), 0); /* nobody registered */
	th_zone_destroy(z);
}

/* A full zone whose pages a shrinker holds: the allocation that would
 * fail reclaims and succeeds (order 0 and a higher order), counted as
 * allocstall and pgsteal_direct; without the shrinker it fails. */
static void direct_reclaim_rescues_allocation(void **state)
{
	struct pa_zone *z = small_zone(state, 0);
	struct th_lru *l = th_lru_new(z, 256, false);

	assert_int_equal(th_lru_fill(l, PA_GFP_MOVABLE), pa_managed_pages(z));
	assert_int_equal(pa_alloc(z, 0, PA_GFP_NOWARN), PA_NO_PFN);
	assert_int_equal(stats(z).allocstall, 0);
	l->id = pa_register_shrinker(z, th_lru_count, th_lru_scan, l);
	assert_true(l->id > 0);
	uint64_t p0 = pa_alloc(z, 0, 0);

	assert_true(p0 != PA_NO_PFN);
	struct pa_stats s = stats(z);

	assert_int_equal(s.allocstall, 1);
	assert_int_equal(s.pgsteal_direct, PA_SWAP_CLUSTER_MAX);
	uint64_t p3 = pa_alloc(z, 3, PA_GFP_MOVABLE);

	assert_true(p3 != PA_NO_PFN);
	assert_check(z);
	assert_int_equal(pa_free(z, p0, 0), 0);
	assert_int_equal(pa_free(z, p3, 3), 0);
	th_lru_destroy(l);
	th_zone_destroy(z);
}

/* A shrinker over pages it frees on CPU 0, so where reclaimed pages land
 * does not depend on the thread's CPU. */
struct cpu0_pool {
	struct pa_zone *z;
	uint64_t pfn[256];
	unsigned n;
	bool busy; /* scan frees nothing */
};

static uint64_t pool_count(void *arg, const struct pa_shrink_control *sc)
{
	(void)sc;
	return ((struct cpu0_pool *)arg)->n;
}

static uint64_t pool_scan(void *arg, struct pa_shrink_control *sc)
{
	struct cpu0_pool *p = arg;
	uint64_t freed = 0;

	sc->nr_scanned = sc->nr_to_scan;
	while (!p->busy && p->n && freed < sc->nr_to_scan) {
		assert_int_equal(pa_free_cpu(p->z, 0, p->pfn[--p->n], 0), 0);
		freed++;
	}
	return freed;
}

/* As the kernel's direct reclaim: pages cached on another CPU's pageset
 * are drained only when reclaim did not rescue the allocation, so a slow
 * path that reclaim serves leaves them there (draining first cost every
 * slow path a walk of all pagesets: most of a full `server` run under
 * pcpbuddy and spb); when reclaim frees nothing, the drain still serves. */
static void reclaim_before_draining_pagesets(void **state)
{
	struct pa_config c = th_config(16, 4, 6, PA_CFG_NO_WATERMARKS, 2);

	c.pcp_batch = 4;
	c.pcp_high_min = c.pcp_high_max = 128;
	struct pa_zone *z = th_zone_or_skip(state, &c);
	struct cpu0_pool *pool = calloc(1, sizeof(*pool));
	uint64_t cached[48], mine[256];
	unsigned n = 0;

	assert_non_null(pool);
	pool->z = z;
	for (unsigned i = 0; i < 48; i++) {
		cached[i] = pa_alloc_cpu(z, 1, 0, PA_GFP_MOVABLE);
		assert_true(cached[i] != PA_NO_PFN);
	}
	for (uint64_t pfn; pool->n < 256 &&
	     (pfn = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE | PA_GFP_NOWARN)) != PA_NO_PFN;)
		pool->pfn[pool->n++] = pfn;
	assert_int_equal(pool->n + 48, pa_managed_pages(z));
	for (unsigned i = 0; i < 48; i++)
		assert_int_equal(pa_free_cpu(z, 1, cached[i], 0), 0);
	assert_int_equal(stats(z).pcp_pages, 48);
	int id = pa_register_shrinker(z, pool_count, pool_scan, pool);

	assert_true(id > 0);
	mine[n] = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);
	assert_true(mine[n++] != PA_NO_PFN);
	struct pa_stats s = stats(z);

	assert_int_equal(s.allocstall, 1);
	assert_int_equal(s.pgsteal_direct, PA_SWAP_CLUSTER_MAX);
	/* CPU 1's pages are still cached, with what reclaim freed */
	assert_int_equal(s.pcp_pages + s.free_pages, 48 + PA_SWAP_CLUSTER_MAX - 1);
	assert_true(s.pcp_pages >= 48);
	/* reclaim frees nothing now: the drain hands CPU 1's pages over */
	pool->busy = true;
	while (n < PA_SWAP_CLUSTER_MAX + 48) {
		mine[n] = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);
		assert_true(mine[n++] != PA_NO_PFN);
	}
	assert_int_equal(stats(z).pcp_pages + stats(z).free_pages, 0);
	assert_int_equal(pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE | PA_GFP_NOWARN),
			 PA_NO_PFN);
	assert_check(z);
	assert_int_equal(pa_unregister_shrinker(z, id), 0);
	while (n)
		assert_int_equal(pa_free_cpu(z, 0, mine[--n], 0), 0);
	while (pool->n)
		assert_int_equal(pa_free_cpu(z, 0, pool->pfn[--pool->n], 0), 0);
	free(pool);
	th_zone_destroy(z);
}

/* Reclaim runs before compaction: when reclaim is enough, compaction does
 * not run; when it frees nothing, compaction runs after it (the shrinker
 * saw no compaction yet). */
struct order_probe {
	struct pa_zone *z;
	uint64_t stall_at_scan;
	unsigned scans;
};

static uint64_t probe_count(void *arg, const struct pa_shrink_control *sc)
{
	(void)arg;
	(void)sc;
	return 64;
}

static uint64_t probe_scan(void *arg, struct pa_shrink_control *sc)
{
	struct order_probe *p = arg;

	p->stall_at_scan = stats(p->z).compact_stall;
	p->scans++;
	sc->nr_scanned = sc->nr_to_scan;
	return 0;
}

static void reclaim_before_compaction(void **state)
{
	struct pa_config c = th_config(16, 4, 6, PA_CFG_NO_WATERMARKS, 1);
	struct pa_zone *z = th_zone_or_skip(state, &c);
	uint64_t total = pa_managed_pages(z);
	struct th_owner *o = th_owner_new(z, (uint32_t)total);
	uint32_t *h = calloc(total, sizeof(*h));
	uint64_t n = 0;

	assert_non_null(o);
	assert_non_null(h);
	for (uint32_t x; (x = th_owner_alloc(o, 0)) != TH_NO_HANDLE;)
		h[n++] = x;
	assert_int_equal(n, total);
	for (uint64_t i = 0; i < n; i++)
		if (th_owner_pfn(o, h[i]) & 1)
			assert_int_equal(th_owner_free(o, h[i]), 0);
	pa_drain(z);
	/* half free, nothing above order 0: order 1 needs compaction */
	struct order_probe p = { .z = z };
	int id = pa_register_shrinker(z, probe_count, probe_scan, &p);
	uint64_t pfn = pa_alloc(z, 1, PA_GFP_MOVABLE);

	assert_true(pfn != PA_NO_PFN);
	assert_true(p.scans >= 1);
	assert_int_equal(p.stall_at_scan, 0);
	struct pa_stats s = stats(z);

	assert_int_equal(s.allocstall, 1);
	assert_int_equal(s.compact_stall, 1);
	assert_int_equal(th_owner_verify(o), 0);
	assert_int_equal(pa_unregister_shrinker(z, id), 0);
	assert_int_equal(pa_free(z, pfn, 1), 0);
	th_owner_free_all(o);
	th_owner_destroy(o);
	free(h);
	th_zone_destroy(z);
}

/* Reclaim enough for the request: compaction is not needed. */
static void reclaim_enough_no_compaction(void **state)
{
	struct pa_zone *z = small_zone(state, 0);
	struct th_lru *l = th_lru_new(z, 256, true);

	assert_int_equal(th_lru_fill(l, PA_GFP_MOVABLE), pa_managed_pages(z));
	uint64_t pfn = pa_alloc(z, 2, PA_GFP_MOVABLE);

	assert_true(pfn != PA_NO_PFN);
	assert_int_equal(stats(z).allocstall, 1);
	assert_int_equal(stats(z).compact_stall, 0);
	assert_int_equal(pa_free(z, pfn, 2), 0);
	th_lru_destroy(l);
	th_zone_destroy(z);
}

/* A shrinker's own allocation in a full zone: it fails (or succeeds)
 * without entering reclaim again; pa_reclaim, pa_zone_tick and
 * registration from inside a pass do nothing. */
struct nest {
	unsigned depth, max_depth;
	uint64_t inner_pfn;
	int64_t inner_reclaim;
	int reg, unreg;
	struct pa_tick_stats tick;
	int tick_rc;
};

static void nested_calls(struct th_lru *l, struct pa_shrink_control *sc)
{
	struct nest *n = l->hook_arg;
	struct fake f = { 0 };

	(void)sc;
	if (++n->depth > n->max_depth)
		n->max_depth = n->depth;
	n->inner_pfn = pa_alloc(l->z, 0, PA_GFP_NOWARN);
	n->inner_reclaim = pa_reclaim(l->z, 8, NULL);
	n->reg = pa_register_shrinker(l->z, fake_count, fake_scan, &f);
	n->unreg = pa_unregister_shrinker(l->z, l->id);
	n->tick_rc = pa_zone_tick(l->z, 0, &n->tick);
	n->depth--;
}

static void shrinker_allocation_does_not_recurse(void **state)
{
	struct pa_zone *z = small_zone(state, 0);
	struct th_lru *l = th_lru_new(z, 256, true);
	struct nest n = { 0 };

	assert_int_equal(th_lru_fill(l, PA_GFP_MOVABLE), pa_managed_pages(z));
	l->in_scan = nested_calls;
	l->hook_arg = &n;
	uint64_t pfn = pa_alloc(z, 0, 0);

	assert_true(pfn != PA_NO_PFN);
	assert_int_equal(n.max_depth, 1);
	assert_int_equal(n.inner_pfn, PA_NO_PFN);
	assert_int_equal(n.inner_reclaim, 0);
	assert_int_equal(n.reg, -EDEADLK);
	assert_int_equal(n.unreg, -EDEADLK);
	assert_int_equal(n.tick_rc, 0);
	assert_int_equal(n.tick.woken, 0);
	assert_int_equal(th_zone_errors_take(z, NULL, 0), 2 * l->scan_calls);
	assert_int_equal(stats(z).allocstall, 1);
	l->in_scan = NULL;
	assert_int_equal(pa_free(z, pfn, 0), 0);
	th_lru_destroy(l);
	th_zone_destroy(z);
}

/* The nolock API never reclaims (nor does an atomic request). */
static void nolock_and_atomic_never_reclaim(void **state)
{
	struct pa_zone *z = small_zone(state, 0);
	struct th_lru *l = th_lru_new(z, 256, true);

	assert_int_equal(th_lru_fill(l, PA_GFP_MOVABLE), pa_managed_pages(z));
	assert_int_equal(pa_alloc_nolock(z, 0, 0), PA_NO_PFN);
	assert_int_equal(pa_alloc(z, 0, PA_GFP_ATOMIC | PA_GFP_NOWARN), PA_NO_PFN);
	uint64_t got[4];

	assert_int_equal(pa_alloc_bulk(z, PA_CPU_CURRENT, 0, PA_GFP_NOLOCK, 4, got), 0);
	assert_int_equal(l->scan_calls, 0);
	assert_int_equal(l->count_calls, 0);
	assert_int_equal(stats(z).allocstall, 0);
	th_lru_destroy(l);
	th_zone_destroy(z);
}

/* The bulk path's short fall-back goes through the same slow path. */
static void bulk_reclaims(void **state)
{
	struct pa_zone *z = small_zone(state, 0);
	struct th_lru *l = th_lru_new(z, 256, true);
	uint64_t got[8];

	assert_int_equal(th_lru_fill(l, PA_GFP_MOVABLE), pa_managed_pages(z));
	assert_int_equal(pa_alloc_bulk(z, PA_CPU_CURRENT, 0, 0, 8, got), 8);
	assert_true(stats(z).allocstall >= 1);
	for (int i = 0; i < 8; i++)
		assert_int_equal(pa_free(z, got[i], 0), 0);
	th_lru_destroy(l);
	th_zone_destroy(z);
}

/* kswapd: filling the zone below its low watermark wakes background
 * reclaim; one tick brings free pages to the high watermark; the next
 * tick has nothing to do. */
static void kswapd_reaches_high_watermark(void **state)
{
	struct pa_config c = th_config(64, 4, 6, 0, 1);
	struct pa_zone *z = th_zone_or_skip(state, &c);
	struct th_lru *l = th_lru_new(z, 1024, true);
	struct pa_tick_stats t;
	struct pa_stats s = stats(z);

	assert_true(s.wmark_low > 0 && s.wmark_high > s.wmark_low);
	assert_int_equal(pa_zone_tick(z, 1, &t), 0);
	assert_int_equal(t.woken, 0); /* plenty free: not woken */
	while (stats(z).free_pages >= s.wmark_low)
		assert_true(th_lru_alloc(l, 0, PA_GFP_MOVABLE) != PA_NO_PFN);
	uint64_t before = th_lru_len(l), acq = stats(z).zone_lock.acquisitions;

	assert_int_equal(pa_zone_tick(z, 2, &t), 0);
	assert_true(t.woken & PA_TICK_KSWAPD);
	assert_true(t.reclaimed > 0);
	s = stats(z);
	/* the tick counts its own zone->lock traffic (one thread here) */
	assert_int_equal(t.zone_lock_acquisitions, s.zone_lock.acquisitions - acq);
	assert_true(s.free_pages >= s.wmark_high);
	assert_int_equal(s.kswapd_wake, 1);
	assert_int_equal(s.pgsteal_kswapd, t.reclaimed);
	assert_int_equal(s.pgsteal_direct, 0);
	assert_int_equal(before - th_lru_len(l), t.reclaimed);
	assert_int_equal(pa_zone_tick(z, 3, &t), 0);
	assert_int_equal(t.woken, 0);
	assert_int_equal(t.zone_lock_acquisitions, 0);
	assert_int_equal(pa_zone_tick(NULL, 4, &t), -EINVAL);
	assert_int_equal(pa_zone_tick(z, 5, NULL), 0);
	th_lru_destroy(l);
	th_zone_destroy(z);
}

static uint64_t free_and_cached(struct pa_zone *z)
{
	struct pa_stats s = stats(z);

	return s.free_pages + s.pcp_pages;
}

/* White-box: one zone->lock hold, as any refill, drain or zone-path
 * allocation makes; dropping the lock below low asks for kswapd. */
static void lock_hold(struct pa_zone *z)
{
	pa_drain(z);
	zone_lock(z);
	zone_unlock(z);
}

/* Nothing reclaimable: wakes stop after KSWAPD_MAX_FAILURES empty runs
 * and start again once some reclaim frees pages. */
static void kswapd_gives_up_and_recovers(void **state)
{
	struct pa_config c = th_config(64, 4, 6, 0, 1);
	struct pa_zone *z = th_zone_or_skip(state, &c);
	struct th_lru *l = th_lru_new(z, 1024, true);
	struct pa_tick_stats t;

	while (free_and_cached(z) >= stats(z).wmark_low)
		assert_true(th_lru_alloc(l, 0, PA_GFP_MOVABLE) != PA_NO_PFN);
	l->free_nothing = true;
	unsigned wakes = 0;

	for (int i = 0; i < 2 * KSWAPD_MAX_FAILURES; i++) {
		/* below low, every zone->lock hold asks again */
		uint64_t pfn = pa_alloc(z, 0, 0);

		if (pfn != PA_NO_PFN)
			assert_int_equal(pa_free(z, pfn, 0), 0);
		lock_hold(z);
		assert_int_equal(pa_zone_tick(z, (uint64_t)i, &t), 0);
		wakes += !!(t.woken & PA_TICK_KSWAPD);
	}
	assert_int_equal(wakes, KSWAPD_MAX_FAILURES);
	l->free_nothing = false;
	assert_true(pa_reclaim(z, 4, NULL) == 4);
	uint64_t pfn = pa_alloc(z, 0, 0);

	assert_true(pfn != PA_NO_PFN);
	assert_int_equal(pa_free(z, pfn, 0), 0);
	while (free_and_cached(z) >= stats(z).wmark_low)
		assert_true(th_lru_alloc(l, 0, PA_GFP_MOVABLE) != PA_NO_PFN);
	lock_hold(z);
	assert_int_equal(pa_zone_tick(z, 100, &t), 0);
	assert_true(t.woken & PA_TICK_KSWAPD);
	th_lru_destroy(l);
	th_zone_destroy(z);
}

/* The counters are printed with the kernel's names and zeroed by
 * pa_stats_reset. */
static void vmstat_names_and_reset(void **state)
{
	struct pa_zone *z = small_zone(state, 0);
	struct th_lru *l = th_lru_new(z, 256, true);
	struct pa_shrink_control slab = { .migratetype = PA_MT_RECLAIMABLE };

	for (int i = 0; i < 40; i++)
		assert_true(th_lru_alloc(l, 0, PA_GFP_RECLAIMABLE) != PA_NO_PFN);
	assert_int_equal(pa_reclaim(z, 12, &slab), 12);
	assert_int_equal(pa_reclaim(z, 5, NULL), 5);
	char *v = th_report(z, PA_REPORT_VMSTAT, NULL);

	assert_non_null(v);
	assert_non_null(strstr(v, "\nslabs_scanned 12\n"));
	assert_non_null(strstr(v, "\npgscan_direct 5\n"));
	assert_non_null(strstr(v, "\npgsteal_direct 17\n"));
	assert_non_null(strstr(v, "\npgscan_kswapd 0\n"));
	assert_non_null(strstr(v, "\npgsteal_kswapd 0\n"));
	/* under a no-fragmentation rule the first reclaimable allocation
	 * went through the slow path: as many stalls as pa_stats says */
	char line[64];

	snprintf(line, sizeof(line), "\nallocstall_normal %llu\n",
		 (unsigned long long)stats(z).allocstall);
	assert_non_null(strstr(v, line));
	assert_non_null(strstr(v, "\npageoutrun 0\n"));
	free(v);
	pa_stats_reset(z);
	struct pa_stats s = stats(z);

	assert_int_equal(s.slabs_scanned + s.pgscan_direct + s.pgsteal_direct, 0);
	th_lru_destroy(l);
	th_zone_destroy(z);
}

/*
 * The no-fragmentation rule through the slow path: a zone of four
 * superpageblocks whose first holds unmovable pages a shrinker can free,
 * the rest free and clean.  An unmovable request: a policy with the rule
 * (POL_NOFRAG_RULE) reclaims inside the tainted superpageblock rather than
 * taint a clean one; one without it takes free memory at once.  Either
 * way the request succeeds, and once nothing is reclaimable the last
 * attempt may taint.
 */
static void nofrag_rule_prefers_reclaim(void **state)
{
	struct pa_config c = th_config(16, 4, 6, PA_CFG_NO_WATERMARKS, 1);
	struct pa_zone *z = th_zone_or_skip(state, &c);
	uint64_t spb_pages = pa_managed_pages(z) / 4;
	struct th_lru *l = th_lru_new(z, 256, true);

	/* fill the first superpageblock with unmovable pages */
	for (uint64_t i = 0; i < spb_pages; i++)
		assert_true(th_lru_alloc(l, 0, 0) != PA_NO_PFN);
	pa_drain(z);
	uint64_t tainted = th_tainted_spbs(z);
	struct pa_stats a = stats(z);
	uint64_t pfn = pa_alloc(z, 0, 0);
	struct pa_stats b = stats(z);

	assert_true(pfn != PA_NO_PFN);
	if (z->pflags & POL_NOFRAG_RULE) {
		assert_int_equal(b.allocstall - a.allocstall, 1);
		assert_true(b.pgsteal_direct > a.pgsteal_direct);
		assert_int_equal(th_tainted_spbs(z), tainted);
	} else {
		assert_int_equal(b.allocstall - a.allocstall, 0);
	}
	assert_int_equal(pa_free(z, pfn, 0), 0);
	th_lru_destroy(l);
	th_zone_destroy(z);
}

/* Model-based: random allocations into two lists, frees, pa_reclaim and
 * ticks; after each step the pages the lists and the test hold plus the
 * free pages equal the zone's size, and each reclaim returned exactly
 * what the lists lost. */
static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void randomized_against_model(void **state)
{
	struct pa_config c = th_config(32, 4, 6, 0, 2);
	struct pa_zone *z = th_zone_or_skip(state, &c);
	struct th_lru *lru[2] = { th_lru_new(z, 512, true), th_lru_new(z, 512, true) };
	uint64_t held[64], nheld = 0, seed = 12345, pages_lru = 0;

	for (int step = 0; step < 4000; step++) {
		uint64_t r = rnd(&seed), before = th_lru_len(lru[0]) + th_lru_len(lru[1]);

		switch (r % 6) {
		case 0: case 1: case 2:
			if (th_lru_alloc(lru[r >> 8 & 1], 0, (r >> 9 & 1) ?
					 PA_GFP_MOVABLE : PA_GFP_RECLAIMABLE) != PA_NO_PFN)
				pages_lru++;
			break;
		case 3:
			if (nheld < 64) {
				uint64_t p = pa_alloc(z, 0, PA_GFP_NOWARN);

				if (p != PA_NO_PFN)
					held[nheld++] = p;
			} else {
				assert_int_equal(pa_free(z, held[--nheld], 0), 0);
			}
			break;
		case 4: {
			int64_t got = pa_reclaim(z, r >> 16 & 63, NULL);

			assert_true(got >= 0);
			assert_int_equal(before - th_lru_len(lru[0]) - th_lru_len(lru[1]),
					 (uint64_t)got);
			pages_lru -= (uint64_t)got;
			break;
		}
		default: {
			struct pa_tick_stats t;

			assert_int_equal(pa_zone_tick(z, (uint64_t)step, &t), 0);
			assert_int_equal(before - th_lru_len(lru[0]) - th_lru_len(lru[1]),
					 t.reclaimed);
			pages_lru -= t.reclaimed;
			break;
		}
		}
		/* pages reclaimed by an allocation's slow path left the lists too */
		pages_lru = th_lru_len(lru[0]) + th_lru_len(lru[1]);
		struct pa_stats s = stats(z);

		assert_int_equal(s.allocated_pages, pages_lru + nheld);
		assert_int_equal(s.free_pages + s.pcp_pages + s.allocated_pages,
				 s.managed_pages);
	}
	struct pa_stats s = stats(z);

	assert_int_equal(s.pgsteal_direct + s.pgsteal_kswapd,
			 lru[0]->freed + lru[1]->freed);
	assert_check(z);
	while (nheld)
		assert_int_equal(pa_free(z, held[--nheld], 0), 0);
	th_lru_destroy(lru[0]);
	th_lru_destroy(lru[1]);
	th_zone_destroy(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		th_policy_test(count_and_scan),
		th_policy_test(proportional_and_bounded),
		th_policy_test(shrinker_freeing_nothing),
		th_policy_test(second_chance_takes_another_round),
		th_policy_test(registration_errors),
		th_policy_test(direct_reclaim_rescues_allocation),
		th_policy_test(reclaim_before_draining_pagesets),
		th_policy_test(reclaim_before_compaction),
		th_policy_test(reclaim_enough_no_compaction),
		th_policy_test(shrinker_allocation_does_not_recurse),
		th_policy_test(nolock_and_atomic_never_reclaim),
		th_policy_test(bulk_reclaims),
		th_policy_test(kswapd_reaches_high_watermark),
		th_policy_test(kswapd_gives_up_and_recovers),
		th_policy_test(vmstat_names_and_reset),
		th_policy_test(nofrag_rule_prefers_reclaim),
		th_policy_test(randomized_against_model),
	};

	return th_run_policy_group("reclaim", tests);
}
