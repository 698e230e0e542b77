/* SPDX-License-Identifier: MIT */
/*
 * Free page reporting (pa_report_free): every free block of the order and
 * up is reported once, none that is allocated; the marks survive until a
 * block leaves the free lists; a reporter can stop the walk; the counters
 * add up; on a backed zone the built-in reporter gives memory back to the
 * OS (the process's resident set shrinks).  Every accepted policy.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "isolate.h"
#include "zone.h"

#define PB_ORDER 4
#define MAX_ORDER 6
#define NR_PB 64

/* What the test knows: which pages are allocated, what was reported. */
struct tracker {
	uint64_t nr_pages;
	uint8_t *allocated;       /* per page */
	uint64_t *rep_pfn;
	unsigned *rep_order;
	uint64_t nr_rep, cap;
	uint64_t stop_after;      /* refuse the call after this many; 0: never */
	unsigned bad;             /* reports of allocated pages or overlaps */
	uint8_t *seen;            /* per page: reported in this walk */
};

static int record(void *arg, uint64_t pfn, unsigned order)
{
	struct tracker *t = arg;

	if (t->stop_after && t->nr_rep == t->stop_after)
		return 1;
	for (uint64_t p = pfn; p < pfn + (1ull << order); p++) {
		if (p >= t->nr_pages || t->allocated[p] || t->seen[p])
			t->bad++;
		else
			t->seen[p] = 1;
	}
	if (t->nr_rep < t->cap) {
		t->rep_pfn[t->nr_rep] = pfn;
		t->rep_order[t->nr_rep] = order;
	}
	t->nr_rep++;
	return 0;
}

static void tracker_init(struct tracker *t, struct pa_zone *z)
{
	memset(t, 0, sizeof(*t));
	t->nr_pages = pa_managed_pages(z);
	t->cap = t->nr_pages;
	t->allocated = calloc(t->nr_pages, 1);
	t->seen = calloc(t->nr_pages, 1);
	t->rep_pfn = calloc(t->cap, sizeof(*t->rep_pfn));
	t->rep_order = calloc(t->cap, sizeof(*t->rep_order));
	assert_non_null(t->allocated);
	assert_non_null(t->seen);
	assert_non_null(t->rep_pfn);
	assert_non_null(t->rep_order);
}

static void tracker_new_walk(struct tracker *t)
{
	memset(t->seen, 0, t->nr_pages);
	t->nr_rep = 0;
	t->bad = 0;
}

static void tracker_free(struct tracker *t)
{
	free(t->allocated);
	free(t->seen);
	free(t->rep_pfn);
	free(t->rep_order);
}

static struct pa_zone *mkzone(void **state)
{
	struct pa_config c = th_config(NR_PB, PB_ORDER, MAX_ORDER,
				       PA_CFG_NO_WATERMARKS, 2);

	return th_zone_or_skip(state, &c);
}

/* Everything allocated at order 0, then a pattern freed (runs of 16 and
 * 64 pages and scattered single pages) and the pagesets drained, so the
 * zone's free lists hold blocks of many orders and nothing is deferred. */
static void fragment(struct pa_zone *z, struct tracker *t, uint64_t seed)
{
	struct th_rng r = { seed };
	uint64_t pfn;

	while ((pfn = pa_alloc(z, 0, PA_GFP_MOVABLE | PA_GFP_NOWARN)) !=
	       PA_NO_PFN)
		t->allocated[pfn] = 1;
	for (pfn = 0; pfn < t->nr_pages; pfn++) {
		bool run = (pfn >> 4) % 5 == 1 || (pfn >> 6) % 7 == 3;

		if (t->allocated[pfn] && (run || th_below(&r, 3) == 0)) {
			assert_int_equal(pa_free(z, pfn, 0), 0);
			t->allocated[pfn] = 0;
		}
	}
	pa_drain(z);
	assert_check(z);
}

/* Free blocks of order >= order on the zone's lists (buddyinfo). */
static uint64_t free_blocks_from(struct pa_zone *z, unsigned order)
{
	struct pa_frag_index fi;
	uint64_t n = 0;

	assert_int_equal(pa_frag_index(z, &fi), 0);
	for (unsigned o = order; o < fi.nr_orders + 1 && o < PA_FRAG_ORDERS; o++)
		n += fi.nr_free[o];
	return n;
}

static uint64_t free_pages_from(struct pa_zone *z, unsigned order)
{
	struct pa_frag_index fi;
	uint64_t n = 0;

	assert_int_equal(pa_frag_index(z, &fi), 0);
	for (unsigned o = order; o <= MAX_ORDER; o++)
		n += fi.nr_free[o] << o;
	return n;
}

static void only_free_blocks_of_the_order(void **state)
{
	struct pa_zone *z = mkzone(state);
	struct tracker t;

	tracker_init(&t, z);
	fragment(z, &t, th_seed("only_free_blocks_of_the_order"));
	for (unsigned order = 0; order <= MAX_ORDER; order++) {
		uint64_t want = free_blocks_from(z, order);

		tracker_new_walk(&t);
		int64_t got = pa_report_free(z, order, record, &t);

		assert_int_equal(t.bad, 0);
		for (uint64_t i = 0; i < t.nr_rep; i++)
			assert_true(t.rep_order[i] >= order);
		if (order == 0) {
			/* every free page once: the pages reported are
			 * exactly those the test did not allocate */
			assert_int_equal(got, want);
			for (uint64_t p = 0; p < t.nr_pages; p++)
				assert_int_equal(t.seen[p], !t.allocated[p]);
		} else {
			assert_int_equal(got, 0); /* order 0's walk had them all */
		}
		assert_int_equal(got, (int64_t)t.nr_rep);
		assert_check(z);
	}
	tracker_free(&t);
	th_zone_destroy(z);
}

static void higher_order_first_walk(void **state)
{
	struct pa_zone *z = mkzone(state);
	struct tracker t;
	uint64_t pages = 0;

	tracker_init(&t, z);
	fragment(z, &t, th_seed("higher_order_first_walk"));
	uint64_t want = free_blocks_from(z, PB_ORDER);

	assert_true(want > 0);
	assert_true(want < free_blocks_from(z, 0));
	assert_int_equal(pa_report_free(z, PB_ORDER, record, &t), want);
	assert_int_equal(t.bad, 0);
	for (uint64_t i = 0; i < t.nr_rep; i++) {
		assert_true(t.rep_order[i] >= PB_ORDER);
		pages += 1ull << t.rep_order[i];
	}
	assert_int_equal(pages, free_pages_from(z, PB_ORDER));
	assert_check(z);
	/* the smaller blocks were not reported: a walk from order 0 has
	 * exactly those */
	tracker_new_walk(&t);
	assert_int_equal(pa_report_free(z, 0, record, &t),
			 free_blocks_from(z, 0) - want);
	for (uint64_t i = 0; i < t.nr_rep; i++)
		assert_true(t.rep_order[i] < PB_ORDER);
	assert_check(z);
	tracker_free(&t);
	th_zone_destroy(z);
}

static bool reported_covers(const struct tracker *t, uint64_t pfn)
{
	for (uint64_t i = 0; i < t->nr_rep && i < t->cap; i++)
		if (pfn >= t->rep_pfn[i] &&
		    pfn < t->rep_pfn[i] + (1ull << t->rep_order[i]))
			return true;
	return false;
}

static void marks_survive_until_allocated(void **state)
{
	struct pa_zone *z = mkzone(state);
	struct tracker t;

	tracker_init(&t, z);
	fragment(z, &t, th_seed("marks_survive_until_allocated"));
	int64_t first = pa_report_free(z, 0, record, &t);

	assert_true(first > 2);
	/* nothing touched: nothing to report */
	tracker_new_walk(&t);
	assert_int_equal(pa_report_free(z, 0, record, &t), 0);
	assert_int_equal(t.nr_rep, 0);
	assert_check(z);

	/* one block allocated and freed again is reported again */
	uint64_t pfn = pa_alloc(z, PB_ORDER, PA_GFP_MOVABLE);

	assert_int_not_equal(pfn, PA_NO_PFN);
	for (uint64_t p = pfn; p < pfn + (1u << PB_ORDER); p++)
		t.allocated[p] = 1;
	tracker_new_walk(&t);
	int64_t again = pa_report_free(z, 0, record, &t);

	/* splitting a larger block to serve it may leave new pieces */
	assert_true(again >= 0 && again < first);
	assert_int_equal(t.bad, 0);
	assert_false(reported_covers(&t, pfn));
	assert_int_equal(pa_free(z, pfn, PB_ORDER), 0);
	for (uint64_t p = pfn; p < pfn + (1u << PB_ORDER); p++)
		t.allocated[p] = 0;
	pa_drain(z);
	tracker_new_walk(&t);
	again = pa_report_free(z, 0, record, &t);
	assert_true(again >= 1 && again < first);
	assert_true(reported_covers(&t, pfn));
	assert_int_equal(t.bad, 0);
	assert_check(z);
	tracker_free(&t);
	th_zone_destroy(z);
}

static void reporter_stops_the_walk(void **state)
{
	struct pa_zone *z = mkzone(state);
	struct tracker t;

	tracker_init(&t, z);
	fragment(z, &t, th_seed("reporter_stops_the_walk"));
	uint64_t want = free_blocks_from(z, 0);

	assert_true(want > 5);
	t.stop_after = 3;
	assert_int_equal(pa_report_free(z, 0, record, &t), 3);
	assert_check(z);
	/* the refused block and every later one are still unreported */
	t.stop_after = 0;
	tracker_new_walk(&t);
	assert_int_equal(pa_report_free(z, 0, record, &t), want - 3);
	assert_int_equal(t.bad, 0);
	assert_int_equal(free_blocks_from(z, 0), want);
	assert_check(z);
	tracker_free(&t);
	th_zone_destroy(z);
}

static void counters_add_up(void **state)
{
	struct pa_zone *z = mkzone(state);
	struct tracker t;
	struct pa_stats a, b;
	uint64_t pages = 0;

	tracker_init(&t, z);
	fragment(z, &t, th_seed("counters_add_up"));
	pa_stats(z, &a);
	int64_t n = pa_report_free(z, 0, record, &t);

	pa_stats(z, &b);
	for (uint64_t i = 0; i < t.nr_rep; i++)
		pages += 1ull << t.rep_order[i];
	assert_int_equal(b.page_reporting_blocks - a.page_reporting_blocks, n);
	assert_int_equal(b.page_reporting_pages - a.page_reporting_pages, pages);
	assert_int_equal(b.free_pages, a.free_pages);
	/* a second walk passes over every one of them */
	assert_int_equal(pa_report_free(z, 0, record, &t), 0);
	pa_stats(z, &a);
	assert_true(a.page_reporting_skipped - b.page_reporting_skipped >=
		    (uint64_t)n);
	assert_int_equal(a.page_reporting_blocks, b.page_reporting_blocks);
	tracker_free(&t);
	th_zone_destroy(z);
}

static void bad_arguments(void **state)
{
	struct pa_zone *z = mkzone(state);
	struct tracker t;

	tracker_init(&t, z);
	assert_int_equal(pa_report_free(z, MAX_ORDER + 1, record, &t), -EINVAL);
	assert_int_equal(pa_report_free(z, 0, NULL, NULL), -EINVAL);
	assert_int_equal(th_zone_errors_take(z, NULL, 0), 2);
	/* a metadata-only zone has nothing for the built-in reporter */
	assert_int_equal(pa_report_madvise(z, 0, 0), -EINVAL);
	tracker_free(&t);
	th_zone_destroy(z);
}

/* Resident pages of this process (/proc/self/statm, second field). */
static uint64_t rss_pages(void)
{
	unsigned long long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%llu %llu", &size, &res), 2);
	fclose(f);
	return res;
}

/* The built-in reporter on a backed zone: every page written, freed, the
 * pageblocks reported: the resident set must not have grown, and it
 * shrinks by most of the zone (MADV_DONTNEED takes effect at once). */
static void madvise_gives_memory_back(void **state)
{
	struct pa_config c = th_config(32, 9, 10, PA_CFG_NO_WATERMARKS, 2);

	c.backing = PA_BACKING_ANON;
	struct pa_zone *z = th_zone_or_skip(state, &c);
	uint64_t n = pa_managed_pages(z), got = 0;
	void **blk = calloc(n >> 9, sizeof(*blk));
	long page = sysconf(_SC_PAGESIZE);

	assert_non_null(blk);
	while (got < (n >> 9) &&
	       (blk[got] = pa_alloc_pages(z, 9, PA_GFP_MOVABLE | PA_GFP_NOWARN)))
		memset(blk[got++], 0x5a, 512 * 4096);
	assert_int_equal(got, n >> 9);
	for (uint64_t i = 0; i < got; i++)
		assert_int_equal(pa_free_pages(z, blk[i], 9), 0);
	pa_drain(z);
	uint64_t before = rss_pages();
	int64_t r = pa_report_free(z, 9, pa_report_madvise, z);
	uint64_t after = rss_pages();
	uint64_t zone_pages = n * 4096 / (uint64_t)page;

	assert_true(r > 0);
	print_message("rss %llu -> %llu pages (zone %llu pages)\n",
		      (unsigned long long)before, (unsigned long long)after,
		      (unsigned long long)zone_pages);
	assert_true(after <= before);
	assert_true(before - after >= zone_pages / 2);
	/* the memory reads as zeros when it is used again */
	unsigned char *p = pa_alloc_pages(z, 0, PA_GFP_MOVABLE);

	assert_non_null(p);
	for (unsigned i = 0; i < 4096; i++)
		assert_int_equal(p[i], 0);
	assert_int_equal(pa_free_pages(z, p, 0), 0);
	assert_check(z);
	free(blk);
	th_zone_destroy(z);
}

/* White-box: an isolation that begins inside a block while the reporter
 * has it (memory offlining or a contiguous allocation starting then).
 * Regression: the block went back whole onto one list although part of
 * it was now isolated, breaking free-list hygiene (pa_check failed). */
struct isolate_in_cb {
	struct pa_zone *z;
	struct pa_isolation iso;
	bool done;
};

static int isolate_inside(void *arg, uint64_t pfn, unsigned order)
{
	struct isolate_in_cb *c = arg;

	if (c->done || order <= PB_ORDER)
		return 0;
	assert_int_equal(isolate_range(c->z, &c->iso, pfn + (1u << PB_ORDER),
				       pfn + (1ull << order)), 0);
	c->done = true;
	return 0;
}

static void isolation_during_report(void **state)
{
	struct pa_zone *z = mkzone(state);
	struct isolate_in_cb c = { .z = z };
	struct pa_stats s;

	assert_true(pa_report_free(z, PB_ORDER + 1, isolate_inside, &c) > 0);
	assert_true(c.done);
	assert_check(z);
	pa_stats(z, &s);
	assert_int_equal(s.isolated_pageblocks,
			 (1u << (MAX_ORDER - PB_ORDER)) - 1);
	isolate_undo(z, &c.iso);
	assert_check(z);
	th_zone_destroy(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		th_policy_test(only_free_blocks_of_the_order),
		th_policy_test(higher_order_first_walk),
		th_policy_test(marks_survive_until_allocated),
		th_policy_test(reporter_stops_the_walk),
		th_policy_test(counters_add_up),
		th_policy_test(bad_arguments),
		th_policy_test(madvise_gives_memory_back),
		th_policy_test(isolation_during_report),
	};

	return th_run_policy_group("page_reporting", tests);
}
