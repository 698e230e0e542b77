/* SPDX-License-Identifier: MIT */
/*
 * pa_alloc_bulk / pa_free_bulk semantics, under every policy the library
 * accepts (tests/factory.h): what they hand out and take back, the lock
 * traffic they promise (one pageset lock hold, one zone->lock hold for a
 * run of zone entries, remote entries not breaking the hold), bad entries
 * refused in the middle of a batch with the rest freed, PA_CPU_CURRENT,
 * watermarks, offline CPUs, a busy pageset, and invalid arguments.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "rseq.h" /* white-box: hold a pageset lock as another context would */

/* 64 pageblocks of 16 pages, max order 6: orders 5 and 6 are above the
 * pageblock, cached by no pageset. */
static struct pa_zone *mkzone(void **state, unsigned flags, unsigned ncpus)
{
	struct pa_config c = th_config(64, 4, 6, flags | PA_CFG_NO_WATERMARKS,
				       ncpus);

	c.pcp_batch = 8;
	c.pcp_high_min = c.pcp_high_max = 512; /* no drain unless asked */
	return th_zone_or_skip(state, &c);
}

static struct pa_stats stats(struct pa_zone *z)
{
	struct pa_stats s;

	pa_stats(z, &s);
	return s;
}

static void assert_distinct_aligned(const uint64_t *p, unsigned n,
				    unsigned order, uint64_t managed)
{
	for (unsigned i = 0; i < n; i++) {
		assert_true(p[i] < managed);
		assert_int_equal(p[i] & ((1ull << order) - 1), 0);
		for (unsigned j = 0; j < i; j++)
			assert_true(p[i] != p[j]);
	}
}

static void free_all(struct pa_zone *z, unsigned cpu, const uint64_t *p,
		     unsigned order, unsigned n)
{
	unsigned *o = malloc(sizeof(*o) * (n ? n : 1));

	assert_non_null(o);
	for (unsigned i = 0; i < n; i++)
		o[i] = order;
	assert_int_equal(pa_free_bulk(z, cpu, p, o, n), (int)n);
	free(o);
}

/* One pageset lock hold for a bulk allocation that refills many times. */
static void alloc_takes_pageset_lock_once(void **state)
{
	struct pa_zone *z = mkzone(state, 0, 2);
	uint64_t p[200];
	struct pa_stats a = stats(z), b;

	assert_int_equal(pa_alloc_bulk(z, 0, 0, PA_GFP_MOVABLE, 200, p), 200);
	b = stats(z);
	assert_distinct_aligned(p, 200, 0, pa_managed_pages(z));
	assert_int_equal(b.pcp_lock.acquisitions - a.pcp_lock.acquisitions, 1);
	assert_true(b.pcp_refills - a.pcp_refills >= 1);
	assert_int_equal(b.allocated_pages, 200);
	assert_int_equal(b.alloc_calls - a.alloc_calls, 200);
	assert_check(z);
	free_all(z, 0, p, 0, 200);
	assert_int_equal(stats(z).allocated_pages, 0);
	th_zone_destroy(z);
}

/* Orders no pageset caches: the zone, under one zone->lock hold.
 * Movable: in this fresh zone every superpageblock is clean, so an
 * unmovable request would first have to go through the slow path before
 * spb may taint one (the no-fragmentation rule). */
static void alloc_uncached_order_one_zone_hold(void **state)
{
	struct pa_zone *z = mkzone(state, 0, 1);
	uint64_t p[12];
	struct pa_stats a = stats(z), b;

	assert_int_equal(pa_alloc_bulk(z, 0, 5, PA_GFP_MOVABLE, 12, p), 12);
	b = stats(z);
	assert_distinct_aligned(p, 12, 5, pa_managed_pages(z));
	assert_int_equal(b.zone_lock.acquisitions - a.zone_lock.acquisitions, 1);
	assert_int_equal(b.pcp_lock.acquisitions - a.pcp_lock.acquisitions, 0);
	/* and the frees of them: one zone->lock hold too */
	a = stats(z);
	free_all(z, 0, p, 5, 12);
	b = stats(z);
	assert_int_equal(b.zone_lock.acquisitions - a.zone_lock.acquisitions, 1);
	th_zone_destroy(z);
}

/* Without watermarks every page can be had, from one call; then the call
 * returns what there is, and 0 when nothing is left (reported unless
 * NOWARN, as one pa_alloc). */
static void alloc_until_empty(void **state)
{
	struct pa_zone *z = mkzone(state, 0, 2);
	uint64_t n = pa_managed_pages(z);
	uint64_t *p = malloc(sizeof(*p) * (n + 8));

	assert_non_null(p);
	assert_int_equal(pa_alloc_bulk(z, 1, 0, 0, (unsigned)n + 8, p), n);
	assert_int_equal(stats(z).allocated_pages, n);
	assert_int_equal(pa_alloc_bulk(z, 1, 0, PA_GFP_NOWARN, 4, p + n), 0);
	assert_int_equal(th_zone_errors_take(z, NULL, 0), 0);
	assert_int_equal(pa_alloc_bulk(z, 1, 0, 0, 4, p + n), 0);
	assert_int_equal(th_zone_errors_take(z, NULL, 0), 1);
	assert_check(z);
	free_all(z, 0, p, 0, (unsigned)n);
	pa_drain(z);
	assert_int_equal(stats(z).free_pages, n);
	free(p);
	th_zone_destroy(z);
}

/* With watermarks: a bulk allocation stops where pa_alloc() would. */
static void alloc_respects_watermarks(void **state)
{
	struct pa_config c = th_config(64, 4, 6, 0, 1);
	struct pa_zone *z = th_zone_or_skip(state, &c);
	uint64_t n = pa_managed_pages(z);
	uint64_t *p = malloc(sizeof(*p) * n);
	struct pa_stats s;

	assert_non_null(p);
	pa_stats(z, &s);
	assert_true(s.wmark_min > 0);
	unsigned got = pa_alloc_bulk(z, 0, 0, PA_GFP_NOWARN, (unsigned)n, p);

	assert_true(got > 0 && got < n);
	/* the single path has nothing more either */
	assert_int_equal(pa_alloc(z, 0, PA_GFP_NOWARN), PA_NO_PFN);
	pa_stats(z, &s);
	assert_true(s.free_pages + s.pcp_pages >= s.wmark_min);
	free_all(z, 0, p, 0, got);
	free(p);
	th_zone_destroy(z);
}

/* Consecutive local entries: one pageset lock hold, no zone->lock. */
static void free_keeps_pageset_lock(void **state)
{
	struct pa_zone *z = mkzone(state, 0, 2);
	uint64_t p[64];
	unsigned o[64];

	/* (two high-order frees in a row would drain: free_high) */
	for (unsigned i = 0; i < 64; i++) {
		o[i] = i % 8 == 7 ? 1 + i / 8 % 3 : 0;
		p[i] = pa_alloc_cpu(z, 0, o[i], PA_GFP_MOVABLE);
		assert_int_not_equal(p[i], PA_NO_PFN);
	}
	struct pa_stats a = stats(z), b;

	assert_int_equal(pa_free_bulk(z, 0, p, o, 64), 64);
	b = stats(z);
	assert_int_equal(b.pcp_lock.acquisitions - a.pcp_lock.acquisitions, 1);
	assert_int_equal(b.zone_lock.acquisitions - a.zone_lock.acquisitions, 0);
	assert_int_equal(b.free_calls - a.free_calls, 64);
	assert_int_equal(b.allocated_pages, 0);
	assert_check(z);
	th_zone_destroy(z);
}

/* Blocks allocated on another CPU, interleaved with local ones: the other
 * CPU's lock is never taken, ours at most once. */
static void free_remote_entries_do_not_break_the_hold(void **state)
{
	struct pa_zone *z = mkzone(state, 0, 2);
	uint64_t p[64];
	unsigned o[64];

	for (unsigned i = 0; i < 64; i++) {
		o[i] = 0;
		p[i] = pa_alloc_cpu(z, i & 1, 0, PA_GFP_MOVABLE);
		assert_int_not_equal(p[i], PA_NO_PFN);
	}
	struct pa_stats a = stats(z), b;

	assert_int_equal(pa_free_bulk(z, 0, p, o, 64), 64);
	b = stats(z);
	assert_true(b.pcp_lock.acquisitions - a.pcp_lock.acquisitions <= 1);
	assert_int_equal(b.zone_lock.acquisitions - a.zone_lock.acquisitions, 0);
	assert_int_equal(b.allocated_pages, 0);
	assert_check(z);
	pa_drain(z);
	assert_check(z);
	assert_int_equal(stats(z).free_pages, pa_managed_pages(z));
	th_zone_destroy(z);
}

/* Zone entries between local ones: one zone->lock hold per run of them,
 * the pageset lock dropped for it and taken again after. */
static void free_zone_runs(void **state)
{
	struct pa_zone *z = mkzone(state, 0, 1);
	static const unsigned ord[] = { 5, 5, 5, 0, 0, 1, 6, 5, 0 };
	enum { N = sizeof(ord) / sizeof(ord[0]) };
	uint64_t p[N];
	unsigned o[N];

	for (unsigned i = 0; i < N; i++) {
		o[i] = ord[i];
		p[i] = pa_alloc_cpu(z, 0, o[i], 0);
		assert_int_not_equal(p[i], PA_NO_PFN);
	}
	struct pa_stats a = stats(z), b;

	assert_int_equal(pa_free_bulk(z, 0, p, o, N), N);
	b = stats(z);
	/* runs: {5,5,5} zone, {0,0,1} pageset, {6,5} zone, {0} pageset */
	assert_int_equal(b.zone_lock.acquisitions - a.zone_lock.acquisitions, 2);
	assert_int_equal(b.pcp_lock.acquisitions - a.pcp_lock.acquisitions, 2);
	assert_int_equal(b.zone_pages_direct_free - a.zone_pages_direct_free,
			 4 * 32 + 64);
	assert_check(z);
	th_zone_destroy(z);
}

/* A pageset that passes `high` mid-batch drains, and the pass takes the
 * lock again for the next entry (seed 003: a cached "locked" state that
 * outlives the lock is the crash). */
static void free_drains_at_high_mid_batch(void **state)
{
	struct pa_config c = th_config(64, 4, 6, PA_CFG_NO_WATERMARKS, 1);

	c.pcp_batch = 4;
	c.pcp_high_min = c.pcp_high_max = 8;
	struct pa_zone *z = th_zone_or_skip(state, &c);
	uint64_t p[96];
	unsigned o[96];

	for (unsigned i = 0; i < 96; i++) {
		o[i] = 0;
		p[i] = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);
		assert_int_not_equal(p[i], PA_NO_PFN);
	}
	struct pa_stats a = stats(z), b;

	assert_int_equal(pa_free_bulk(z, 0, p, o, 96), 96);
	b = stats(z);
	assert_true(b.pcp_drains - a.pcp_drains >= 2);
	assert_true(b.pcp_lock.acquisitions - a.pcp_lock.acquisitions >= 2);
	assert_int_equal(b.allocated_pages, 0);
	assert_true(b.pcp_pages <= 8 + 16); /* high, plus a pageblock under pcpbuddy */
	assert_check(z);
	th_zone_destroy(z);
}

/* Bad entries first, in the middle and last: each refused and reported,
 * the others freed, and the zone ends exactly as if the bad ones had not
 * been there (a twin zone gets the good entries only). */
static void free_bad_entries_in_the_middle(void **state)
{
	struct pa_zone *z = mkzone(state, 0, 2), *twin = mkzone(state, 0, 2);
	uint64_t p[24], q[32], tp[24];
	unsigned o[24], qo[32], n = 0, bad = 0;

	for (unsigned i = 0; i < 24; i++) {
		o[i] = i % 3;
		p[i] = pa_alloc_cpu(z, i % 2, o[i], PA_GFP_MOVABLE);
		tp[i] = pa_alloc_cpu(twin, i % 2, o[i], PA_GFP_MOVABLE);
		assert_int_not_equal(p[i], PA_NO_PFN);
		assert_int_equal(tp[i], p[i]); /* same sequence, same zone */
	}
	q[n] = p[1]; qo[n++] = o[1] + 1, bad++;          /* wrong order, first */
	for (unsigned i = 0; i < 24; i++) {
		q[n] = p[i];
		qo[n++] = o[i];
		if (i == 5)
			q[n] = p[5], qo[n++] = o[5], bad++; /* double, same batch */
		if (i == 9)
			q[n] = pa_managed_pages(z) + 3, qo[n++] = 0, bad++;
		if (i == 13 && o[14])
			q[n] = p[14] + 1, qo[n++] = 0, bad++; /* a tail page */
		if (i == 17)
			q[n] = p[20] | 1, qo[n++] = 2, bad++;  /* unaligned */
	}
	q[n] = p[2]; qo[n++] = o[2], bad++;               /* double, last */
	struct th_snapshot snap;

	assert_int_equal(pa_free_bulk(twin, 0, tp, o, 24), 24);
	th_snapshot_take(twin, &snap);
	struct pa_stats a = stats(z);

	assert_int_equal(pa_free_bulk(z, 0, q, qo, n), 24);
	assert_int_equal(stats(z).bad_frees - a.bad_frees, bad);
	assert_int_equal(th_zone_errors_take(z, NULL, 0), bad);
	th_snapshot_assert_same(z, &snap, "bulk free with bad entries");
	th_snapshot_free(&snap);
	assert_check(z);
	th_zone_destroy(twin);
	th_zone_destroy(z);
}

/* PA_CPU_CURRENT is the calling thread's CPU slot: pin the thread, and
 * the pages land on (and come from) that slot's pageset. */
static void cpu_current_is_the_calling_cpu(void **state)
{
	struct pa_zone *z = mkzone(state, 0, 2);
	cpu_set_t old, one;
	uint64_t p[16];

	assert_int_equal(sched_getaffinity(0, sizeof(old), &old), 0);
	CPU_ZERO(&one);
	CPU_SET((unsigned)sched_getcpu(), &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	unsigned cur = pa_current_cpu(z);

	assert_int_equal(pa_alloc_bulk(z, PA_CPU_CURRENT, 0, PA_GFP_MOVABLE, 16, p), 16);
	free_all(z, PA_CPU_CURRENT, p, 0, 16);
	assert_true(stats(z).pcp_pages > 0);
	assert_int_equal(pa_drain_cpu(z, 1 - cur), 0);
	assert_true(stats(z).pcp_pages > 0);
	assert_int_equal(pa_drain_cpu(z, cur), 0);
	assert_int_equal(stats(z).pcp_pages, 0);
	assert_int_equal(sched_setaffinity(0, sizeof(old), &old), 0);
	assert_check(z);
	th_zone_destroy(z);
}

/* An offline CPU: both calls work, through the zone. */
static void offline_cpu_uses_the_zone(void **state)
{
	struct pa_zone *z = mkzone(state, 0, 2);
	uint64_t p[40];

	assert_int_equal(pa_cpu_offline(z, 1), 0);
	assert_int_equal(pa_alloc_bulk(z, 1, 0, 0, 40, p), 40);
	assert_int_equal(stats(z).pcp_pages, 0);
	free_all(z, 1, p, 0, 40);
	assert_int_equal(stats(z).pcp_pages, 0);
	assert_int_equal(stats(z).free_pages, pa_managed_pages(z));
	assert_int_equal(pa_cpu_online(z, 1), 0);
	assert_check(z);
	th_zone_destroy(z);
}

/* Another context holds our pageset (a preempted thread of this slot, a
 * signal handler): the allocation goes to the zone, the frees are still
 * all done, and nothing waits. */
static void busy_pageset(void **state)
{
	struct pa_zone *z = mkzone(state, 0, 2);
	uint64_t p[40];

	assert_true(pcp_trylock(z, 0));
	assert_int_equal(pa_alloc_bulk(z, 0, 0, PA_GFP_NOLOCK, 40, p), 40);
	free_all(z, 0, p, 0, 40);
	pcp_unlock(z, 0);
	assert_int_equal(stats(z).allocated_pages, 0);
	assert_true(stats(z).pcp_trylock_fallback_alloc >= 1);
	assert_true(stats(z).pcp_trylock_fallback_free >= 40);
	assert_check(z);
	pa_drain(z);
	assert_int_equal(stats(z).free_pages, pa_managed_pages(z));
	th_zone_destroy(z);
}

/* Invalid arguments: refused, reported, nothing changed. */
static void invalid_arguments(void **state)
{
	struct pa_zone *z = mkzone(state, 0, 2);
	uint64_t p[4], good = pa_alloc(z, 0, 0);
	unsigned o[4] = { 0 };
	struct th_snapshot snap;

	th_snapshot_take(z, &snap);
	assert_int_equal(pa_alloc_bulk(z, 2, 0, 0, 4, p), 0);
	assert_int_equal(pa_alloc_bulk(z, 0, 7, 0, 4, p), 0);
	assert_int_equal(pa_alloc_bulk(z, 0, 0, 0x1000, 4, p), 0);
	assert_int_equal(pa_alloc_bulk(z, 0, 0, 0, 4, NULL), 0);
	p[0] = good;
	assert_int_equal(pa_free_bulk(z, 2, p, o, 1), -EINVAL);
	assert_int_equal(pa_free_bulk(z, PA_CPU_CURRENT - 1, p, o, 1), -EINVAL);
	assert_int_equal(pa_free_bulk(z, 0, NULL, o, 1), -EINVAL);
	assert_int_equal(pa_free_bulk(z, 0, p, NULL, 1), -EINVAL);
	assert_int_equal(th_zone_errors_take(z, NULL, 0), 8);
	assert_int_equal(pa_alloc_bulk(z, 0, 0, 0, 0, NULL), 0);
	assert_int_equal(pa_free_bulk(z, 0, NULL, NULL, 0), 0);
	th_snapshot_assert_same(z, &snap, "invalid bulk calls");
	th_snapshot_free(&snap);
	assert_int_equal(pa_free_bulk(z, 0, p, o, 1), 1);
	th_zone_destroy(z);
}

/* The zone path (no pagesets) under the policies that accept it. */
static void zone_path(void **state)
{
	struct pa_zone *z = mkzone(state, PA_CFG_NO_PCP, 2);
	uint64_t p[50];
	struct pa_stats a = stats(z), b;

	assert_int_equal(pa_alloc_bulk(z, 1, 0, 0, 50, p), 50);
	free_all(z, 0, p, 0, 50);
	b = stats(z);
	assert_int_equal(b.zone_lock.acquisitions - a.zone_lock.acquisitions, 2);
	assert_int_equal(b.free_pages, pa_managed_pages(z));
	th_zone_destroy(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		th_policy_test(alloc_takes_pageset_lock_once),
		th_policy_test(alloc_uncached_order_one_zone_hold),
		th_policy_test(alloc_until_empty),
		th_policy_test(alloc_respects_watermarks),
		th_policy_test(free_keeps_pageset_lock),
		th_policy_test(free_remote_entries_do_not_break_the_hold),
		th_policy_test(free_zone_runs),
		th_policy_test(free_drains_at_high_mid_batch),
		th_policy_test(free_bad_entries_in_the_middle),
		th_policy_test(cpu_current_is_the_calling_cpu),
		th_policy_test(offline_cpu_uses_the_zone),
		th_policy_test(busy_pageset),
		th_policy_test(invalid_arguments),
		th_policy_test(zone_path),
	};

	return th_run_policy_group("bulk", tests);
}
