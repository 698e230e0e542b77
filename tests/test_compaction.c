/* SPDX-License-Identifier: MIT */
/*
 * pa_compact and pa_compact_proactive: a zone half full of movable pages
 * scattered over every pageblock compacts until a pageblock is free, every
 * page's contents intact; the skips (enough memory above the watermark,
 * fragmentation index at or below 500) and the proactive marks; bad
 * arguments.  Every case runs once per policy the library accepts
 * (factory.h's th_run_policy_group): compaction is the zone's, whatever
 * caches pages in front of it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "owner.h"

static struct pa_config zone_cfg(enum pa_policy pol, uint64_t pageblocks,
				 enum pa_backing backing)
{
	struct pa_config c = th_config(pageblocks, 9, 10, PA_CFG_NO_WATERMARKS, 2);

	c.policy = pol;
	c.backing = backing;
	return c;
}

struct fragmented {
	struct pa_zone *z;
	struct th_owner *o;
	uint32_t *h;
	uint64_t n;
};

/* Every page allocated movable through the owner, then every other one
 * freed: half full, no free block above order 0. */
static void fragment(struct fragmented *f, enum pa_policy pol,
		     uint64_t pageblocks, enum pa_backing backing)
{
	struct pa_config c = zone_cfg(pol, pageblocks, backing);

	f->z = th_zone_create(&c);
	uint64_t total = pa_managed_pages(f->z);

	f->o = th_owner_new(f->z, (uint32_t)total);
	f->h = calloc(total, sizeof(*f->h));
	assert_non_null(f->o);
	f->n = 0;
	for (uint32_t h; (h = th_owner_alloc(f->o, 0)) != TH_NO_HANDLE;)
		f->h[f->n++] = h;
	for (uint64_t i = 0; i < f->n; i++)
		if (th_owner_pfn(f->o, f->h[i]) & 1)
			assert_int_equal(th_owner_free(f->o, f->h[i]), 0);
	pa_drain(f->z);
}

static void unfragment(struct fragmented *f)
{
	th_owner_free_all(f->o);
	assert_check(f->z);
	th_owner_destroy(f->o);
	free(f->h);
	th_zone_destroy(f->z);
}

static uint64_t free_block_of(struct pa_zone *z, unsigned order)
{
	struct pa_frag fr;

	assert_int_equal(pa_frag(z, &fr), 0);
	return fr.largest_free_order != UINT64_MAX && fr.largest_free_order >= order;
}

static void compacts(enum pa_policy pol)
{
	struct fragmented f;
	struct pa_compact_stats cs;
	struct pa_stats s0, s1;

	fragment(&f, pol, 16, PA_BACKING_ANON);
	assert_false(free_block_of(f.z, 9));
	pa_stats(f.z, &s0);
	assert_int_equal(pa_compact(f.z, 9, &cs), 0);
	pa_stats(f.z, &s1);
	assert_true(free_block_of(f.z, 9));
	assert_int_equal(th_owner_verify(f.o), 0);
	assert_true(cs.pages_migrated > 0);
	assert_int_equal(cs.pages_migrated, th_owner_moves(f.o));
	assert_int_equal(s1.compact_stall, s0.compact_stall + 1);
	assert_int_equal(s1.compact_runs, s0.compact_runs + 1);
	assert_int_equal(s1.compact_success, s0.compact_success + 1);
	assert_int_equal(s1.compact_fail, s0.compact_fail);
	assert_int_equal(s1.pgmigrate_success - s0.pgmigrate_success,
			 cs.pages_migrated);
	assert_int_equal(s1.allocated_pages, s0.allocated_pages);
	assert_true(s1.compact_migrate_scanned > s0.compact_migrate_scanned);
	assert_true(s1.compact_free_scanned > s0.compact_free_scanned);
	/* emptying one pageblock moves its 256 live pages, not many more */
	assert_true(cs.pages_migrated <= 2 * 256);
	assert_check(f.z);
	/* a block exists now: nothing to do, no stall */
	assert_int_equal(pa_compact(f.z, 9, &cs), 0);
	assert_int_equal(cs.pages_migrated, 0);
	pa_stats(f.z, &s0);
	assert_int_equal(s0.compact_stall, s1.compact_stall);
	assert_int_equal(s0.compact_runs, s1.compact_runs);
	/* max_order needs two aligned pageblocks: more moves, still fine */
	assert_int_equal(pa_compact(f.z, 10, NULL), 0);
	assert_true(free_block_of(f.z, 10));
	assert_int_equal(th_owner_verify(f.o), 0);
	char *vm = th_report(f.z, PA_REPORT_VMSTAT, NULL);

	assert_non_null(strstr(vm, "compact_success 2\n"));
	free(vm);
	unfragment(&f);
}

static void test_compacts(void **state)
{
	compacts(th_policy(state));
}

/* hugepage-demand's failure: a movable block of the target order in the
 * first pageblock the migrate scanner meets (a THP) has nowhere to go,
 * since compaction runs because no free block of that order exists; it
 * must be skipped, not tried (which ran the free scanner down to the
 * migrate scanner and ended the compaction with half-free pageblocks
 * left untouched behind it).  Regression: pa_compact failed here. */
static void skips_target_order_blocks(enum pa_policy pol)
{
	struct fragmented f;
	struct pa_compact_stats cs;
	uint32_t thp;

	fragment(&f, pol, 8, PA_BACKING_ANON);
	/* pageblock 0 entirely free again, then taken by one order-9 block */
	for (uint64_t i = 0; i < f.n; i++)
		if (th_owner_pfn(f.o, f.h[i]) < 512 &&
		    !(th_owner_pfn(f.o, f.h[i]) & 1))
			assert_int_equal(th_owner_free(f.o, f.h[i]), 0);
	pa_drain(f.z);
	thp = th_owner_alloc(f.o, 9);
	assert_int_not_equal(thp, TH_NO_HANDLE);
	assert_int_equal(th_owner_pfn(f.o, thp), 0);
	pa_drain(f.z);
	assert_false(free_block_of(f.z, 9));
	assert_int_equal(pa_compact(f.z, 9, &cs), 0);
	assert_true(free_block_of(f.z, 9));
	assert_int_equal(th_owner_pfn(f.o, thp), 0); /* not moved */
	assert_int_equal(cs.pages_failed, 0);
	assert_int_equal(th_owner_verify(f.o), 0);
	assert_check(f.z);
	unfragment(&f);
}

static void test_skips_target_order_blocks(void **state)
{
	skips_target_order_blocks(th_policy(state));
}

/* Unmovable pages in every pageblock: nothing can be emptied. */
static void cannot_compact(enum pa_policy pol)
{
	struct pa_config c = zone_cfg(pol, 8, PA_BACKING_NONE);
	struct pa_zone *z = th_zone_create(&c);
	uint64_t total = pa_managed_pages(z), *p = calloc(total, sizeof(*p)), n = 0;
	struct pa_stats s0, s1;

	while (n < total && (p[n] = pa_alloc(z, 0, PA_GFP_NOWARN)) != PA_NO_PFN)
		n++;
	for (uint64_t i = 0; i < n; i++)
		if (p[i] & 1)
			assert_int_equal(pa_free(z, p[i], 0), 0);
	pa_drain(z);
	pa_stats(z, &s0);
	assert_int_equal(pa_compact(z, 9, NULL), -EAGAIN);
	pa_stats(z, &s1);
	assert_int_equal(s1.compact_stall, s0.compact_stall + 1);
	assert_int_equal(s1.compact_fail, s0.compact_fail + 1);
	assert_int_equal(s1.pgmigrate_success, s0.pgmigrate_success);
	free(p);
	th_zone_destroy(z);
}

static void test_cannot_compact(void **state)
{
	cannot_compact(th_policy(state));
}

/* Free owner pages whose pfn % 128 is in [lo, hi) and (if odd_only) odd,
 * lowest pfns first, up to `want`; returns how many. */
static unsigned free_where(struct fragmented *f, uint64_t lo, uint64_t hi,
			   bool odd_only, unsigned want)
{
	uint64_t total = pa_managed_pages(f->z);
	uint32_t *at = malloc(total * sizeof(*at));
	unsigned freed = 0;

	memset(at, 0xff, total * sizeof(*at));
	for (uint32_t h = 0; h < total; h++) {
		uint64_t pfn = th_owner_pfn(f->o, h);

		if (pfn != PA_NO_PFN)
			at[pfn] = h;
	}
	for (uint64_t pfn = 0; pfn < total && freed < want; pfn++) {
		if (at[pfn] == TH_NO_HANDLE || pfn % 128 < lo || pfn % 128 >= hi ||
		    (odd_only && !(pfn & 1)))
			continue;
		if (!th_owner_free(f->o, at[pfn]))
			freed++;
	}
	free(at);
	return freed;
}

/* The skips: too little free memory, and a fragmentation index saying
 * the failure is lack of memory (free memory in few blocks). */
static void skips(enum pa_policy pol)
{
	struct fragmented f;
	struct pa_stats s0, s1;

	fragment(&f, pol, 4, PA_BACKING_NONE);
	while (th_owner_alloc(f.o, 0) != TH_NO_HANDLE)
		;
	/* 4 free order-3 blocks (128 apart, never buddies): 32 pages */
	assert_int_equal(free_where(&f, 0, 8, false, 32), 32);
	pa_drain(f.z);
	pa_stats(f.z, &s0);
	assert_int_equal(s0.free_pages, 32);
	/* order 5 needs 2^6 pages free: skipped, no stall */
	assert_int_equal(pa_compact(f.z, 5, NULL), -EAGAIN);
	/* order 4: 32 pages free is enough, but the index is
	 * 1 - (1 + 32/16) / 4 = 0.25 <= 0.5: lack of memory, skipped */
	assert_int_equal(pa_compact(f.z, 4, NULL), -EAGAIN);
	pa_stats(f.z, &s1);
	assert_int_equal(s1.compact_stall, s0.compact_stall);
	/* 32 scattered pages more: 36 blocks, 64 pages, index
	 * 1 - (1 + 4) / 36 = 0.86: fragmentation, compaction runs */
	assert_int_equal(free_where(&f, 64, 128, true, 32), 32);
	pa_drain(f.z);
	(void)pa_compact(f.z, 4, NULL);
	pa_stats(f.z, &s1);
	assert_int_equal(s1.compact_stall, s0.compact_stall + 1);
	assert_check(f.z);
	unfragment(&f);
}

static void test_skips(void **state)
{
	skips(th_policy(state));
}

/* Free random aligned chunks (orders lo..hi) of a zone full of movable
 * pages, about `pct` percent of it; with lo == hi, only chunks at odd
 * multiples of their size, whose buddies stay allocated: every free block
 * is of that one order. */
static void free_chunks(struct fragmented *f, struct th_rng *r, unsigned pct,
			unsigned lo, unsigned hi)
{
	uint64_t total = pa_managed_pages(f->z);
	uint32_t *at = malloc(total * sizeof(*at));

	assert_non_null(at);
	for (uint64_t i = 0; i < total; i++)
		at[i] = TH_NO_HANDLE;
	for (uint64_t i = 0; i < f->n; i++)
		at[th_owner_pfn(f->o, f->h[i])] = f->h[i];
	for (uint64_t freed = 0; freed * 100 < total * pct;) {
		unsigned k = lo + (unsigned)th_below(r, hi - lo + 1);
		uint64_t start = th_below(r, total >> k) << k;

		if (lo == hi)
			start |= 1ull << k;

		for (uint64_t p = start; p < start + (1ull << k); p++)
			if (at[p] != TH_NO_HANDLE) {
				assert_int_equal(th_owner_free(f->o, at[p]), 0);
				at[p] = TH_NO_HANDLE;
				freed++;
			}
	}
	free(at);
	pa_drain(f->z);
}

/* Would pa_compact(order) compact, by pa_frag_index and the watermark
 * rule (no watermarks here: 2^(order+1) free pages)? */
static bool predicts_stall(struct pa_zone *z, unsigned order, int *fi)
{
	struct pa_frag_index idx;
	struct pa_stats s;

	assert_int_equal(pa_frag_index(z, &idx), 0);
	pa_stats(z, &s);
	*fi = idx.extfrag_milli[order];
	if (*fi == -1000 || s.free_pages < 2ull << order)
		return false;
	return *fi < 0 || *fi > 500;
}

/* The "can compaction help?" gate is pa_frag_index's extfrag index
 * against the threshold 500: on random fragmentations, pa_compact of
 * every costly order stalls exactly when the index says fragmentation. */
static void gate_follows_frag_index(enum pa_policy pol)
{
	struct th_rng r = { th_seed("compaction gate") };
	unsigned skipped_by_index = 0, stalled = 0;

	for (unsigned round = 0; round < 6; round++) {
		struct fragmented f;

		fragment(&f, pol, 16, PA_BACKING_NONE);
		th_owner_free_all(f.o);
		f.n = 0;
		for (uint32_t h; (h = th_owner_alloc(f.o, 0)) != TH_NO_HANDLE;)
			f.h[f.n++] = h;
		/* mixed sizes: fragmentation; chunks of one size: a failure
		 * one order up is for lack of memory */
		unsigned k = 3 + round;

		free_chunks(&f, &r, 5 + (unsigned)th_below(&r, 40),
			    round & 1 ? k : 0, round & 1 ? k : 8);
		for (unsigned order = 4; order <= 10; order++) { /* costly: > 3 */
			struct pa_stats s0, s1;
			int fi;

			pa_drain(f.z);
			bool want = predicts_stall(f.z, order, &fi);

			pa_stats(f.z, &s0);
			(void)pa_compact(f.z, order, NULL);
			pa_stats(f.z, &s1);
			if (s1.compact_stall - s0.compact_stall != (uint64_t)want)
				fail_msg("order %u, extfrag index %d: stall %s expected",
					 order, fi, want ? "" : "not");
			stalled += want;
			skipped_by_index += fi >= 0 && fi <= 500;
			assert_check(f.z);
		}
		unfragment(&f);
	}
	/* both sides of the threshold were seen */
	assert_true(stalled > 0);
	assert_true(skipped_by_index > 0);
}

static void test_gate_follows_frag_index(void **state)
{
	gate_follows_frag_index(th_policy(state));
}

static void proactive(enum pa_policy pol)
{
	struct fragmented f;
	struct pa_compact_stats cs;

	fragment(&f, pol, 16, PA_BACKING_ANON);
	assert_int_equal(pa_compact_proactive(f.z, 101, &cs), -EINVAL);
	assert_int_equal(th_zone_errors_take(f.z, NULL, 0), 1);
	assert_int_equal(pa_compact_proactive(f.z, 0, &cs), 0);
	assert_int_equal(cs.pages_migrated, 0);
	/* all free memory in order-0 pages: score 100, above 90 */
	assert_int_equal(pa_compact_proactive(f.z, 20, &cs), 1);
	assert_int_equal(cs.score_before, 100);
	assert_true(cs.score_after <= 80);
	assert_true(cs.pages_migrated > 0);
	assert_int_equal(th_owner_verify(f.o), 0);
	assert_check(f.z);
	/* below the high mark now: nothing to do */
	assert_int_equal(pa_compact_proactive(f.z, 20, &cs), 0);
	assert_int_equal(cs.pages_migrated, 0);
	unfragment(&f);
}

static void test_proactive(void **state)
{
	proactive(th_policy(state));
}

static void test_bad_args(void **state)
{
	struct pa_config c = zone_cfg(th_policy(state), 4, PA_BACKING_NONE);
	struct th_errlog log = { 0 };
	struct pa_zone *z;

	c.error_fn = th_errlog_fn;
	c.error_arg = &log;
	z = pa_zone_create(&c);
	assert_non_null(z);
	assert_int_equal(pa_compact(z, 11, NULL), -EINVAL);
	assert_int_equal(log.last_err, -EINVAL);
	assert_int_equal(pa_compact(z, UINT32_MAX, NULL), -EINVAL);
	assert_int_equal(pa_compact_proactive(z, 1000, NULL), -EINVAL);
	/* an empty zone has its blocks: success without work */
	assert_int_equal(pa_compact(z, 10, NULL), 0);
	assert_check(z);
	pa_zone_destroy(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		th_policy_test(test_compacts),
		th_policy_test(test_cannot_compact),
		th_policy_test(test_skips_target_order_blocks),
		th_policy_test(test_skips),
		th_policy_test(test_gate_follows_frag_index),
		th_policy_test(test_proactive),
		th_policy_test(test_bad_args),
	};

	return th_run_policy_group("compaction", tests);
}
