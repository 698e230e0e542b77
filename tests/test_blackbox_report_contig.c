/* SPDX-License-Identifier: MIT */
/*
 * test_blackbox_report_contig.c - black-box checks of free page reporting,
 * hotplug and contiguous allocation semantics from include/pagealloc.h:
 * reported blocks are skipped until they leave the free lists, a reporter
 * that stops the walk does not count its block, allocated pages are never
 * reported, grown memory is reportable, and pa_alloc_contig's errno for an
 * unmovable range, under every policy.
 */
#include <errno.h>
#include <stdlib.h>
#include "helpers.h"

#define BB_PBS 8u
#define BB_PB_ORDER 3u
#define BB_MAX_ORDER 5u
#define BB_PB_BYTES ((uint64_t)4096 << BB_PB_ORDER)
#define BB_PAGES (BB_PBS << BB_PB_ORDER)

struct bb_rep {
	struct pa_zone *zone;
	unsigned calls;
	uint64_t pages;
	unsigned stop_after; /* nonzero: return 1 on this call */
	uint8_t allocated[4 * BB_PAGES]; /* pages the test holds */
	unsigned bad; /* reported blocks overlapping held pages */
};

static int bb_reporter(void *arg, uint64_t pfn, unsigned order)
{
	struct bb_rep *r = arg;

	r->calls++;
	for (uint64_t p = pfn; p < pfn + (1ull << order); p++)
		if (p >= sizeof(r->allocated) || r->allocated[p])
			r->bad++;
	if (r->stop_after && r->calls == r->stop_after)
		return 1;
	r->pages += 1ull << order;
	return 0;
}

static struct pa_zone *bb_zone(void **state, uint64_t max_pbs)
{
	struct pa_config cfg = th_config(BB_PBS, BB_PB_ORDER, BB_MAX_ORDER,
					 PA_CFG_NO_WATERMARKS, 1);

	cfg.max_bytes = max_pbs * BB_PB_BYTES;
	return th_zone_or_skip(state, &cfg);
}

static void report_marks_and_skips(void **state)
{
	struct bb_rep r = { 0 };
	uint64_t held[BB_PAGES];
	unsigned n = 0;
	struct pa_stats s0, s1;
	int64_t got, again;
	uint64_t pfn;

	r.zone = bb_zone(state, BB_PBS);
	/* touch every page so boot-time memory is on the free lists */
	while ((pfn = pa_alloc(r.zone, 0, PA_GFP_NOWARN)) != PA_NO_PFN)
		held[n++] = pfn;
	th_zone_errors_take(r.zone, NULL, 0);
	for (unsigned i = 0; i < n; i += 2)
		assert_int_equal(pa_free(r.zone, held[i], 0), 0);
	for (unsigned i = 1; i < n; i += 2)
		r.allocated[held[i]] = 1;
	pa_drain(r.zone);
	pa_stats(r.zone, &s0);
	got = pa_report_free(r.zone, 0, bb_reporter, &r);
	pa_stats(r.zone, &s1);
	assert_true(got >= 0);
	assert_int_equal(got, r.calls);
	assert_int_equal(r.bad, 0);
	assert_int_equal(s1.page_reporting_blocks - s0.page_reporting_blocks, got);
	assert_int_equal(s1.page_reporting_pages - s0.page_reporting_pages, r.pages);
	assert_int_equal(r.pages, s1.free_pages);
	assert_check(r.zone);
	assert_accounting(r.zone);
	/* nothing changed: a second walk reports nothing */
	r.calls = 0;
	again = pa_report_free(r.zone, 0, bb_reporter, &r);
	assert_int_equal(again, 0);
	assert_int_equal(r.calls, 0);
	/* free the rest: merged blocks lose the mark and are reported again */
	for (unsigned i = 1; i < n; i += 2) {
		assert_int_equal(pa_free(r.zone, held[i], 0), 0);
		r.allocated[held[i]] = 0;
	}
	pa_drain(r.zone);
	r.calls = 0;
	r.pages = 0;
	got = pa_report_free(r.zone, 0, bb_reporter, &r);
	assert_true(got > 0);
	assert_int_equal(r.bad, 0);
	assert_check(r.zone);
	assert_accounting(r.zone);
	th_zone_destroy(r.zone);
}

static void report_stop_does_not_count(void **state)
{
	struct bb_rep r = { 0 };
	uint64_t held[BB_PAGES];
	unsigned n = 0;
	int64_t got;
	uint64_t pfn;

	r.zone = bb_zone(state, BB_PBS);
	while ((pfn = pa_alloc(r.zone, 0, PA_GFP_NOWARN)) != PA_NO_PFN)
		held[n++] = pfn;
	th_zone_errors_take(r.zone, NULL, 0);
	for (unsigned i = 0; i < n; i += 2)
		assert_int_equal(pa_free(r.zone, held[i], 0), 0);
	pa_drain(r.zone);
	r.stop_after = 3;
	got = pa_report_free(r.zone, 0, bb_reporter, &r);
	assert_int_equal(r.calls, 3);
	assert_int_equal(got, 2);
	assert_check(r.zone);
	assert_accounting(r.zone);
	/* the stopped block and the rest are reported next time */
	r.stop_after = 0;
	r.calls = 0;
	got = pa_report_free(r.zone, 0, bb_reporter, &r);
	assert_int_equal(got, (int64_t)(n + 1) / 2 - 2);
	for (unsigned i = 1; i < n; i += 2)
		assert_int_equal(pa_free(r.zone, held[i], 0), 0);
	assert_check(r.zone);
	assert_accounting(r.zone);
	th_zone_destroy(r.zone);
}

static void grown_memory_is_reported(void **state)
{
	struct bb_rep r = { 0 };
	int64_t got;

	r.zone = bb_zone(state, 2 * BB_PBS);
	assert_int_equal(pa_zone_grow(r.zone, BB_PBS * BB_PB_BYTES), 0);
	assert_check(r.zone);
	assert_accounting(r.zone);
	got = pa_report_free(r.zone, 0, bb_reporter, &r);
	assert_true(got > 0);
	assert_int_equal(r.bad, 0);
	/* every grown page is free and on the lists: all of it reported */
	assert_true(r.pages >= BB_PAGES);
	assert_int_equal(pa_zone_shrink(r.zone, BB_PBS * BB_PB_BYTES), 0);
	assert_int_equal(pa_managed_pages(r.zone), BB_PAGES);
	assert_check(r.zone);
	assert_accounting(r.zone);
	th_zone_destroy(r.zone);
}

static void contig_unmovable_is_ebusy(void **state)
{
	struct pa_zone *zone = bb_zone(state, BB_PBS);
	uint64_t held[BB_PBS];
	struct pa_stats s0, s1;
	uint64_t pfn;

	/* unmovable pages, not marked movable: the whole zone cannot be
	 * taken */
	for (unsigned i = 0; i < BB_PBS; i++) {
		held[i] = pa_alloc(zone, 0, 0);
		assert_true(held[i] != PA_NO_PFN);
	}
	pa_stats(zone, &s0);
	errno = 0;
	pfn = pa_alloc_contig(zone, BB_PAGES, PA_GFP_NOWARN);
	pa_stats(zone, &s1);
	assert_true(pfn == PA_NO_PFN);
	assert_true(errno == EBUSY || errno == ENOMEM);
	assert_int_equal(s1.allocated_pages, s0.allocated_pages);
	assert_check(zone);
	assert_accounting(zone);
	{
		int rc = pa_compact(zone, BB_MAX_ORDER, NULL);

		assert_true(rc == 0 || rc == -EAGAIN);
	}
	assert_check(zone);
	for (unsigned i = 0; i < BB_PBS; i++)
		assert_int_equal(pa_free(zone, held[i], 0), 0);
	th_zone_errors_take(zone, NULL, 0);
	th_zone_destroy(zone);
}

/* An unmovable page at the top: shrink is -EBUSY, counted, size kept. */
static void shrink_busy_keeps_size(void **state)
{
	struct pa_zone *zone = bb_zone(state, 2 * BB_PBS);
	uint64_t top = BB_PAGES - (1u << BB_PB_ORDER);
	uint64_t pfn, managed;
	struct pa_stats s0, s1;

	uint64_t pbs[BB_PBS];

	/* every pageblock as a contig range; keep only the top one */
	for (unsigned i = 0; i < BB_PBS; i++) {
		pbs[i] = pa_alloc_contig(zone, 1u << BB_PB_ORDER, 0);
		assert_true(pbs[i] != PA_NO_PFN);
	}
	pfn = PA_NO_PFN;
	for (unsigned i = 0; i < BB_PBS; i++) {
		if (pbs[i] == top)
			pfn = top;
		else
			assert_int_equal(pa_free_contig(zone, pbs[i],
							1u << BB_PB_ORDER), 0);
	}
	assert_int_equal(pfn, top);
	managed = pa_managed_pages(zone);
	pa_stats(zone, &s0);
	assert_int_equal(pa_zone_shrink(zone, BB_PB_BYTES), -EBUSY);
	assert_true(th_zone_errors_take(zone, NULL, 0) >= 1);
	pa_stats(zone, &s1);
	assert_int_equal(s1.memory_offline_failed - s0.memory_offline_failed, 1);
	assert_int_equal(pa_managed_pages(zone), managed);
	assert_check(zone);
	assert_accounting(zone);
	/* the contig range survives a grow and is still freed by its size */
	assert_int_equal(pa_zone_grow(zone, BB_PB_BYTES), 0);
	assert_check(zone);
	assert_accounting(zone);
	assert_int_equal(pa_free_contig(zone, pfn, 1u << BB_PB_ORDER), 0);
	assert_int_equal(pa_zone_shrink(zone, 2 * BB_PB_BYTES), 0);
	assert_int_equal(pa_managed_pages(zone), managed - (1u << BB_PB_ORDER));
	assert_check(zone);
	assert_accounting(zone);
	th_zone_destroy(zone);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		th_policy_test(report_marks_and_skips),
		th_policy_test(report_stop_does_not_count),
		th_policy_test(grown_memory_is_reported),
		th_policy_test(contig_unmovable_is_ebusy),
		th_policy_test(shrink_busy_keeps_size),
	};
	return th_run_policy_group("blackbox_report_contig", tests);
}
