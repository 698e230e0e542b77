/* SPDX-License-Identifier: MIT */
/*
 * test_blackbox_errors.c - black-box checks, written from include/pagealloc.h
 * only: every documented error return of the newer APIs (reclaim and
 * shrinkers, page reporting, hotplug, contiguous allocation, compaction,
 * bulk) is returned, reported to the error hook, and leaves the zone
 * unchanged (pa_check and the accounting after every step), under every
 * policy.
 */
#include <errno.h>
#include <stdlib.h>
#include "helpers.h"

#define BB_PBS 8u
#define BB_PB_ORDER 3u
#define BB_MAX_ORDER 5u
#define BB_PB_BYTES ((uint64_t)4096 << BB_PB_ORDER)

static struct pa_zone *bb_zone(void **state, uint64_t max_pbs)
{
	struct pa_config cfg = th_config(BB_PBS, BB_PB_ORDER, BB_MAX_ORDER, 0, 2);

	cfg.max_bytes = max_pbs * BB_PB_BYTES;
	return th_zone_or_skip(state, &cfg);
}

static uint64_t bb_count(void *arg, const struct pa_shrink_control *sc)
{
	(void)arg;
	(void)sc;
	return 0;
}

static uint64_t bb_scan(void *arg, struct pa_shrink_control *sc)
{
	(void)arg;
	sc->nr_scanned = 0;
	return 0;
}

static void shrinker_errors(void **state)
{
	struct pa_zone *zone = bb_zone(state, BB_PBS);
	int ids[17];
	int id;

	assert_int_equal(pa_register_shrinker(zone, NULL, bb_scan, NULL), -EINVAL);
	assert_int_equal(pa_register_shrinker(zone, bb_count, NULL, NULL), -EINVAL);
	th_zone_errors_take(zone, NULL, 0);
	assert_int_equal(pa_unregister_shrinker(zone, 0), -EINVAL);
	assert_int_equal(pa_unregister_shrinker(zone, -1), -EINVAL);
	assert_int_equal(pa_unregister_shrinker(zone, 12345), -EINVAL);
	th_zone_errors_take(zone, NULL, 0);
	id = pa_register_shrinker(zone, bb_count, bb_scan, NULL);
	assert_true(id > 0);
	assert_int_equal(pa_unregister_shrinker(zone, id), 0);
	assert_int_equal(pa_unregister_shrinker(zone, id), -EINVAL);
	th_zone_errors_take(zone, NULL, 0);
	for (unsigned i = 0; i < 16; i++) {
		ids[i] = pa_register_shrinker(zone, bb_count, bb_scan, NULL);
		assert_true(ids[i] > 0);
		for (unsigned j = 0; j < i; j++)
			assert_int_not_equal(ids[i], ids[j]);
	}
	assert_int_equal(pa_register_shrinker(zone, bb_count, bb_scan, NULL),
			 -ENOSPC);
	th_zone_errors_take(zone, NULL, 0);
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(pa_unregister_shrinker(zone, ids[i]), 0);
	assert_check(zone);
	th_zone_destroy(zone);
}

static void reclaim_errors(void **state)
{
	struct pa_zone *zone = bb_zone(state, BB_PBS);
	struct pa_shrink_control sc = { .migratetype = -1 };

	assert_int_equal(pa_reclaim(zone, 10, NULL), 0);
	sc.migratetype = PA_MT_TYPES + 3;
	assert_int_equal(pa_reclaim(zone, 10, &sc), -EINVAL);
	assert_rejected(zone);
	sc.migratetype = -2;
	assert_int_equal(pa_reclaim(zone, 10, &sc), -EINVAL);
	assert_rejected(zone);
	sc.migratetype = -1;
	sc.order = BB_MAX_ORDER + 1;
	assert_int_equal(pa_reclaim(zone, 10, &sc), -EINVAL);
	assert_rejected(zone);
	sc.order = 0;
	assert_int_equal(pa_reclaim(zone, (uint64_t)INT64_MAX + 1, &sc), -EINVAL);
	assert_rejected(zone);
	assert_int_equal(pa_reclaim(zone, 0, &sc), 0);
	assert_int_equal(pa_zone_tick(NULL, 0, NULL), -EINVAL);
	assert_int_equal(pa_zone_tick(zone, 1, NULL), 0);
	th_zone_destroy(zone);
}

static int bb_report_ok(void *arg, uint64_t pfn, unsigned order)
{
	(void)pfn;
	(void)order;
	(*(unsigned *)arg)++;
	return 0;
}

static void report_errors(void **state)
{
	struct pa_zone *zone = bb_zone(state, BB_PBS);
	unsigned calls = 0;

	assert_int_equal(pa_report_free(zone, BB_MAX_ORDER + 1, bb_report_ok,
					&calls), -EINVAL);
	assert_rejected(zone);
	assert_int_equal(pa_report_free(zone, 0, NULL, NULL), -EINVAL);
	assert_rejected(zone);
	assert_int_equal(calls, 0);
	/* metadata-only: the built-in reporter refuses, the walk stops */
	assert_int_equal(pa_report_madvise(zone, 0, 0), -EINVAL);
	th_zone_errors_take(zone, NULL, 0);
	assert_int_equal(pa_report_free(zone, 0, pa_report_madvise, zone), 0);
	th_zone_errors_take(zone, NULL, 0);
	assert_check(zone);
	assert_accounting(zone);
	th_zone_destroy(zone);
}

static void hotplug_errors(void **state)
{
	struct pa_zone *zone = bb_zone(state, 2 * BB_PBS);
	uint64_t managed = pa_managed_pages(zone);

	assert_int_equal(pa_zone_grow(zone, 0), -EINVAL);
	assert_rejected(zone);
	assert_int_equal(pa_zone_grow(zone, BB_PB_BYTES / 2), -EINVAL);
	assert_rejected(zone);
	assert_int_equal(pa_zone_grow(zone, (BB_PBS + 1) * BB_PB_BYTES), -ENOSPC);
	assert_rejected(zone);
	assert_int_equal(pa_zone_grow(zone, UINT64_MAX - BB_PB_BYTES + 1), -ENOSPC);
	th_zone_errors_take(zone, NULL, 0);
	assert_int_equal(pa_managed_pages(zone), managed);
	assert_int_equal(pa_zone_shrink(zone, 0), -EINVAL);
	assert_rejected(zone);
	assert_int_equal(pa_zone_shrink(zone, BB_PB_BYTES + 4096), -EINVAL);
	assert_rejected(zone);
	assert_int_equal(pa_zone_shrink(zone, BB_PBS * BB_PB_BYTES), -EINVAL);
	assert_rejected(zone);
	assert_int_equal(pa_zone_shrink(zone, 2 * BB_PBS * BB_PB_BYTES), -EINVAL);
	assert_rejected(zone);
	assert_int_equal(pa_managed_pages(zone), managed);
	/* exactly to max_bytes works, then one more pageblock does not */
	assert_int_equal(pa_zone_grow(zone, BB_PBS * BB_PB_BYTES), 0);
	assert_int_equal(pa_managed_pages(zone), 2 * managed);
	assert_check(zone);
	assert_accounting(zone);
	assert_int_equal(pa_zone_grow(zone, BB_PB_BYTES), -ENOSPC);
	assert_rejected(zone);
	/* shrink down to one pageblock is allowed */
	assert_int_equal(pa_zone_shrink(zone, (2 * BB_PBS - 1) * BB_PB_BYTES), 0);
	assert_int_equal(pa_managed_pages(zone), 1u << BB_PB_ORDER);
	assert_check(zone);
	assert_accounting(zone);
	assert_int_equal(pa_zone_shrink(zone, BB_PB_BYTES), -EINVAL);
	assert_rejected(zone);
	th_zone_destroy(zone);
}

static void contig_errors(void **state)
{
	struct pa_zone *zone = bb_zone(state, BB_PBS);
	uint64_t managed = pa_managed_pages(zone);
	uint64_t bad[] = { 0, 3, 6, managed * 2, UINT64_MAX };
	unsigned gfps[] = { 0x80u, PA_GFP_NOLOCK };
	uint64_t pfn;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_true(pa_alloc_contig(zone, bad[i], 0) == PA_NO_PFN);
		assert_int_equal(errno, EINVAL);
		assert_rejected(zone);
	}
	for (unsigned i = 0; i < 2; i++) {
		errno = 0;
		assert_true(pa_alloc_contig(zone, 4, gfps[i]) == PA_NO_PFN);
		assert_int_equal(errno, EINVAL);
		assert_rejected(zone);
	}
	pfn = pa_alloc_contig(zone, 64, PA_GFP_MOVABLE);
	assert_true(pfn != PA_NO_PFN);
	assert_int_equal(pfn % 64, 0);
	assert_check(zone);
	assert_accounting(zone);
	assert_int_equal(pa_free(zone, pfn, 0), -EINVAL);
	assert_rejected(zone);
	assert_int_equal(pa_free(zone, pfn, BB_MAX_ORDER), -EINVAL);
	assert_rejected(zone);
	assert_int_equal(pa_free_contig(zone, pfn, 32), -EINVAL);
	assert_rejected(zone);
	assert_int_equal(pa_free_contig(zone, pfn + 32, 32), -EINVAL);
	assert_rejected(zone);
	assert_int_equal(pa_free_contig(zone, pfn, 64), 0);
	assert_check(zone);
	assert_accounting(zone);
	assert_int_equal(pa_free_contig(zone, pfn, 64), -EINVAL);
	assert_rejected(zone);
	/* a pa_alloc block is not a contig range */
	pfn = pa_alloc(zone, 2, 0);
	assert_true(pfn != PA_NO_PFN);
	assert_int_equal(pa_free_contig(zone, pfn, 4), -EINVAL);
	assert_rejected(zone);
	assert_int_equal(pa_free(zone, pfn, 2), 0);
	/* the whole zone, above max_order */
	pfn = pa_alloc_contig(zone, managed, 0);
	assert_true(pfn == 0);
	assert_check(zone);
	assert_accounting(zone);
	assert_int_equal(pa_free_contig(zone, pfn, managed), 0);
	assert_int_equal(pa_compact(zone, BB_MAX_ORDER + 1, NULL), -EINVAL);
	assert_rejected(zone);
	assert_int_equal(pa_compact_proactive(zone, 101, NULL), -EINVAL);
	assert_rejected(zone);
	assert_int_equal(pa_compact(zone, BB_MAX_ORDER, NULL), 0);
	th_zone_destroy(zone);
}

static void bulk_errors(void **state)
{
	struct pa_zone *zone = bb_zone(state, BB_PBS);
	uint64_t pfns[8];
	unsigned orders[8] = { 0 };
	struct pa_stats s0, s1;
	unsigned got;

	assert_int_equal(pa_alloc_bulk(zone, PA_CPU_CURRENT, 0, 0x80u, 4, pfns), 0);
	assert_rejected(zone);
	assert_int_equal(pa_alloc_bulk(zone, PA_CPU_CURRENT, BB_MAX_ORDER + 1, 0,
				       4, pfns), 0);
	assert_rejected(zone);
	assert_int_equal(pa_alloc_bulk(zone, 2, 0, 0, 4, pfns), 0);
	assert_rejected(zone);
	assert_int_equal(pa_alloc_bulk(zone, PA_CPU_CURRENT, 0, 0, 4, NULL), 0);
	assert_rejected(zone);
	assert_int_equal(pa_alloc_bulk(zone, PA_CPU_CURRENT, 0, 0, 0, NULL), 0);
	assert_int_equal(pa_free_bulk(zone, 2, pfns, orders, 1), -EINVAL);
	assert_rejected(zone);
	assert_int_equal(pa_free_bulk(zone, 0, NULL, orders, 1), -EINVAL);
	assert_rejected(zone);
	assert_int_equal(pa_free_bulk(zone, 0, pfns, NULL, 1), -EINVAL);
	assert_rejected(zone);
	assert_int_equal(pa_free_bulk(zone, 0, NULL, NULL, 0), 0);

	got = pa_alloc_bulk(zone, 0, 0, PA_GFP_MOVABLE, 4, pfns);
	assert_int_equal(got, 4);
	assert_check(zone);
	assert_accounting(zone);
	/* a duplicate entry: one freed, one refused, counted, reported */
	pfns[4] = pfns[0];
	pfns[5] = 999999; /* never allocated, out of range */
	pa_stats(zone, &s0);
	assert_int_equal(pa_free_bulk(zone, 1, pfns, orders, 6), 4);
	pa_stats(zone, &s1);
	assert_int_equal(s1.bad_frees - s0.bad_frees, 2);
	assert_int_equal(s1.allocated_pages, s0.allocated_pages - 4);
	assert_true(th_zone_errors_take(zone, NULL, 0) >= 2);
	assert_check(zone);
	assert_accounting(zone);
	/* nolock bulk from a normal thread works */
	got = pa_alloc_bulk(zone, PA_CPU_CURRENT, 1, PA_GFP_NOLOCK, 3, pfns);
	assert_int_equal(got, 3);
	for (unsigned i = 0; i < got; i++)
		assert_int_equal(pa_free_nolock(zone, pfns[i], 1), 0);
	assert_check(zone);
	assert_accounting(zone);
	th_zone_destroy(zone);
}

static void free_errors(void **state)
{
	struct pa_zone *zone = bb_zone(state, BB_PBS);
	uint64_t managed = pa_managed_pages(zone);
	struct pa_stats s0, s1;
	uint64_t pfn;

	assert_true(pa_alloc(zone, 0, 0x80u) == PA_NO_PFN);
	assert_rejected(zone);
	assert_true(pa_alloc(zone, BB_MAX_ORDER + 1, 0) == PA_NO_PFN);
	assert_rejected(zone);
	assert_true(pa_alloc_cpu(zone, 2, 0, 0) == PA_NO_PFN);
	assert_rejected(zone);
	assert_true(pa_alloc_nolock(zone, BB_MAX_ORDER + 1, 0) == PA_NO_PFN);
	assert_rejected(zone);
	pfn = pa_alloc(zone, 2, 0);
	assert_true(pfn != PA_NO_PFN);
	pa_stats(zone, &s0);
	assert_int_equal(pa_free(zone, pfn + 1, 0), -EINVAL);   /* tail */
	assert_rejected(zone);
	assert_int_equal(pa_free(zone, pfn, 1), -EINVAL);       /* wrong order */
	assert_rejected(zone);
	assert_int_equal(pa_free(zone, pfn, 3), -EINVAL);
	assert_rejected(zone);
	assert_int_equal(pa_free(zone, managed, 0), -EINVAL);   /* out of range */
	assert_rejected(zone);
	assert_int_equal(pa_free(zone, UINT64_MAX, 0), -EINVAL);
	assert_rejected(zone);
	assert_int_equal(pa_free(zone, pfn, BB_MAX_ORDER + 1), -EINVAL);
	assert_rejected(zone);
	assert_int_equal(pa_free_nolock(zone, pfn + 1, 0), -EINVAL);
	assert_rejected(zone);
	assert_int_equal(pa_free_cpu(zone, 2, pfn, 2), -EINVAL);
	assert_rejected(zone);
	pa_stats(zone, &s1);
	assert_int_equal(s1.allocated_pages, s0.allocated_pages);
	assert_int_equal(s1.bad_frees - s0.bad_frees, 8);
	assert_int_equal(pa_free(zone, pfn, 2), 0);
	assert_int_equal(pa_free(zone, pfn, 2), -EINVAL);        /* double */
	assert_rejected(zone);
	assert_int_equal(pa_free_nolock(zone, pfn, 2), -EINVAL);
	assert_rejected(zone);
	assert_int_equal(pa_set_page_movable(zone, pfn, 0), -EINVAL);
	assert_rejected(zone);
	assert_int_equal(pa_frag(zone, NULL), -EINVAL);
	assert_int_equal(pa_frag_index(zone, NULL), -EINVAL);
	assert_int_equal(pa_report(zone, (enum pa_report)99, stdout), -EINVAL);
	assert_int_equal(pa_report(zone, PA_REPORT_BUDDYINFO, NULL), -EINVAL);
	assert_int_equal(pa_drain_cpu(zone, 2), -EINVAL);
	assert_int_equal(pa_cpu_offline(zone, 2), -EINVAL);
	assert_int_equal(pa_cpu_online(zone, 2), -EINVAL);
	assert_int_equal(pa_pcp_fill(zone, 0, 4, 0x80u), -EINVAL);
	th_zone_errors_take(zone, NULL, 0);
	th_zone_destroy(zone);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		th_policy_test(shrinker_errors),
		th_policy_test(reclaim_errors),
		th_policy_test(report_errors),
		th_policy_test(hotplug_errors),
		th_policy_test(contig_errors),
		th_policy_test(bulk_errors),
		th_policy_test(free_errors),
	};
	return th_run_policy_group("blackbox_errors", tests);
}
