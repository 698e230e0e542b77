/* SPDX-License-Identifier: MIT */
/*
 * The highatomic reserve and the watermarks: a high-order atomic success
 * sets its pageblock aside (up to ~1% of the zone, whole pageblocks),
 * ordinary allocations leave reserved blocks and the min watermark alone,
 * atomic ones may dig below min, and an ordinary allocation that would
 * fail gets the reserve back.  pa_check verifies the reserve's bookkeeping
 * (pageblocks of type HighAtomic == reserved pages) after every step.
 */
#include "helpers.h"
#include "zone.h" /* white-box: the reservation after a success */
#include "highatomic.h"
#include "isolate.h"

#include <stdlib.h>
#include <string.h>

#define check(z) assert_check(z)

/*
 * 512 MiB: 256 pageblocks, so 1% rounds up to 3 reserved pageblocks.
 * Every case runs under every policy: without pagesets where the policy
 * allows it (every request reaches the reserve in the zone), else with
 * one CPU's pageset in front of the zone, which changes nothing the cases
 * assert but that freed pages wait on the pageset: the final count drains
 * it first.
 */
static struct pa_config config(unsigned flags)
{
	struct pa_config c = pa_config_default();

	c.bytes = 512ull << 20;
	c.ncpus = 1;
	c.flags = flags;
	return c;
}

static struct pa_zone *zone(void **state, unsigned flags)
{
	struct pa_config c = config(flags | PA_CFG_NO_PCP);

	if (!th_policy_accepts(&c, th_policy(state)))
		c.flags &= ~PA_CFG_NO_PCP;
	return th_zone_for(state, &c);
}

/* A case on the zone path only: skipped under policies that need
 * pagesets (cmocka's skip() leaves the case). */
static void zone_path_or_skip(void **state)
{
	struct pa_config c = config(PA_CFG_NO_PCP);

	if (!th_policy_accepts(&c, th_policy(state)))
		skip();
}

static uint64_t pageblocks_of_type(struct pa_zone *z, unsigned mt)
{
	uint8_t map[256];
	uint64_t n = pa_pageblock_map(z, 0, map, 256), k = 0;

	for (uint64_t i = 0; i < n; i++)
		k += (map[i] & 0x0f) == mt;
	return k;
}

/* The reserve serves requests that reach the zone.  With a pageset in
 * front (policies that need one), an order-3 atomic request is served from
 * the pageset's own block first, as the kernel's pcp list is, and that
 * block may be reserved in turn: so this case runs on the zone path only. */
static void atomic_high_order_reserves_its_block(void **state)
{
	zone_path_or_skip(state);
	struct pa_zone *z = zone(state, 0);
	struct pa_stats s;

	uint64_t p = pa_alloc(z, 3, PA_GFP_ATOMIC);

	assert_int_not_equal(p, PA_NO_PFN);
	pa_stats(z, &s);
	assert_int_equal(s.highatomic_blocks, 1);
	assert_int_equal(pageblocks_of_type(z, PA_MT_HIGHATOMIC), 1);
	check(z);
	/* order-0 atomic requests do not reserve */
	uint64_t q = pa_alloc(z, 0, PA_GFP_ATOMIC);

	pa_stats(z, &s);
	assert_int_equal(s.highatomic_blocks, 1);
	/* the next high-order atomic request is served from the reserve */
	uint64_t r = pa_alloc(z, 3, PA_GFP_ATOMIC);

	assert_int_equal(r >> 9, p >> 9);
	pa_stats(z, &s);
	assert_int_equal(s.highatomic_blocks, 1);
	assert_int_equal(pa_free(z, p, 3), 0);
	assert_int_equal(pa_free(z, q, 0), 0);
	assert_int_equal(pa_free(z, r, 3), 0);
	/* freed pages go back to the reserved block's own list */
	pa_stats(z, &s);
	assert_int_equal(s.highatomic_blocks, 1);
	check(z);
	th_zone_destroy(z);
}

static void reserve_is_capped(void **state)
{
	struct pa_zone *z = zone(state, 0);
	struct pa_stats s;
	uint64_t managed = pa_managed_pages(z);
	uint64_t cap = ((managed / 100) + 511) / 512; /* pageblocks */
	uint64_t p[16];

	/* each atomic order-9 success may reserve its own block, up to the
	 * cap; a reservation is refused once the cap is reached */
	for (int i = 0; i < 16; i++) {
		p[i] = pa_alloc(z, 9, PA_GFP_ATOMIC);
		assert_int_not_equal(p[i], PA_NO_PFN);
		check(z);
	}
	pa_stats(z, &s);
	assert_int_equal(s.highatomic_blocks, cap);
	for (int i = 0; i < 16; i++)
		assert_int_equal(pa_free(z, p[i], 9), 0);
	check(z);
	th_zone_destroy(z);
}

static void ordinary_allocations_leave_reserve_and_min_alone(void **state)
{
	struct pa_zone *z = zone(state, PA_CFG_NO_WATERMARKS);
	struct pa_stats s;

	th_zone_destroy(z);
	z = zone(state, 0);
	pa_stats(z, &s);
	uint64_t min = s.wmark_min;

	assert_true(min > 0);
	uint64_t ha = pa_alloc(z, 3, PA_GFP_ATOMIC);

	assert_int_not_equal(ha, PA_NO_PFN);
	/* exhaust with ordinary order-0 allocations */
	uint64_t n = 0, cap = pa_managed_pages(z);
	uint64_t *p = malloc(sizeof(*p) * cap);

	assert_non_null(p);
	for (;;) {
		uint64_t q = pa_alloc(z, 0, PA_GFP_NOWARN);

		if (q == PA_NO_PFN)
			break;
		p[n++] = q;
	}
	pa_stats(z, &s);
	/* order-0 requests stop exactly at min: first held back by the
	 * reserve, then the slow path gives it back and they use it too */
	assert_int_equal(s.free_pages, min);
	assert_int_equal(s.highatomic_blocks, 0);
	uint64_t free_before_atomic = s.free_pages;

	/* atomic requests may go below min */
	uint64_t extra = 0;

	for (;;) {
		uint64_t q = pa_alloc(z, 0, PA_GFP_ATOMIC | PA_GFP_NOWARN);

		if (q == PA_NO_PFN)
			break;
		p[n++] = q;
		extra++;
	}
	assert_true(extra > 0);
	pa_stats(z, &s);
	assert_true(s.free_pages < free_before_atomic);
	assert_true(s.free_pages < min);
	check(z);
	for (uint64_t i = 0; i < n; i++)
		assert_int_equal(pa_free(z, p[i], 0), 0);
	assert_int_equal(pa_free(z, ha, 3), 0);
	pa_drain(z);
	pa_stats(z, &s);
	assert_int_equal(s.free_pages, s.managed_pages);
	check(z);
	free(p);
	th_zone_destroy(z);
}

static void failing_allocation_gets_the_reserve_back(void **state)
{
	struct pa_zone *z = zone(state, PA_CFG_NO_WATERMARKS);
	struct pa_stats s;
	uint64_t managed = pa_managed_pages(z);
	uint64_t *p = malloc(sizeof(*p) * managed);
	uint64_t n = 0;

	assert_non_null(p);
	uint64_t ha = pa_alloc(z, 3, PA_GFP_ATOMIC);

	assert_int_equal(pa_free(z, ha, 3), 0);
	pa_stats(z, &s);
	assert_int_equal(s.highatomic_blocks, 1);
	/* ordinary order-0 allocations until nothing is left: the last ones
	 * can only succeed by taking the reserved block back */
	for (;;) {
		uint64_t q = pa_alloc(z, 0, PA_GFP_NOWARN);

		if (q == PA_NO_PFN)
			break;
		p[n++] = q;
	}
	assert_int_equal(n, managed);
	pa_stats(z, &s);
	assert_int_equal(s.highatomic_blocks, 0);
	assert_int_equal(s.highatomic_unreserved, 1); /* and it was counted */
	assert_int_equal(pageblocks_of_type(z, PA_MT_HIGHATOMIC), 0);
	check(z);
	for (uint64_t i = 0; i < n; i++)
		assert_int_equal(pa_free(z, p[i], 0), 0);
	check(z);
	free(p);
	th_zone_destroy(z);
}

/* With the reserved pageblock `reserved` entirely free: every other
 * pageblock allocated (gfp), then the reserved one's buddy freed, so the
 * only free range of order 10 is the two of them; the order-10 request
 * that follows must get it (the slow path gives the reserve back, which
 * must merge the pair), and pa_check must pass along the way. */
static void reserved_pageblock_merges_when_given_back(struct pa_zone *z,
						      uint64_t reserved,
						      unsigned gfp)
{
	uint64_t n = pa_managed_pages(z) >> 9, got = 0, p[256];

	assert_true(n <= 256);
	for (uint64_t i = 0; i + 1 < n; i++) {
		p[i] = pa_alloc(z, 9, gfp | PA_GFP_NOWARN);
		assert_int_not_equal(p[i], PA_NO_PFN);
		assert_int_not_equal(p[i] >> 9, reserved);
	}
	for (uint64_t i = 0; i + 1 < n; i++)
		if (p[i] >> 9 == (reserved ^ 1)) {
			assert_int_equal(pa_free(z, p[i], 9), 0);
			p[i] = PA_NO_PFN;
			got++;
		}
	assert_int_equal(got, 1);
	pa_drain(z);
	check(z);
	uint64_t big = pa_alloc(z, 10, gfp | PA_GFP_NOWARN);

	check(z);
	assert_int_equal(big, (reserved & ~1ull) << 9);
	assert_int_equal(pa_free(z, big, 10), 0);
	for (uint64_t i = 0; i + 1 < n; i++)
		if (p[i] != PA_NO_PFN)
			assert_int_equal(pa_free(z, p[i], 9), 0);
	check(z);
}

/* Regression: a reserved pageblock given back while entirely free was
 * retyped in place and never merged with its free buddy pageblock, so
 * pa_check failed ("free buddies ... were not merged") and an order above
 * the pageblock failed with the memory free (seen in
 * test_stress_spb_defrag, where evacuation empties reserved pageblocks). */
static void unreserved_free_pageblock_merges_with_its_buddy(void **state)
{
	/* every pageblock but one is allocated at order 9: with a pageset in
	 * front they would be cached and owned, so this runs on the zone path */
	zone_path_or_skip(state);
	struct pa_zone *z = zone(state, PA_CFG_NO_WATERMARKS);
	uint64_t ha = pa_alloc(z, 3, PA_GFP_ATOMIC);

	assert_int_equal(pa_free(z, ha, 3), 0);
	reserved_pageblock_merges_when_given_back(z, ha >> 9, 0);
	th_zone_destroy(z);
}

/* Regression: the same through the pagesets, under every policy (spb and
 * pcpbuddy cannot run without them, so the zone-path case above skips
 * them): the slow path's drain_and_unreserve gave the entirely free
 * reserved pageblock back retyped in place, apart from its free buddy
 * pageblock (pa_check: "free buddies ... were not merged", found by
 * test_spb_hint seed 1796175683603904237); the order above the pageblock
 * that only the two together can serve then failed. */
static void unreserved_free_pageblock_merges_through_the_pagesets(void **state)
{
	struct pa_config c = config(PA_CFG_NO_WATERMARKS);
	struct pa_zone *z = th_zone_or_skip(state, &c);
	uint64_t ha = pa_alloc(z, 9, PA_GFP_ATOMIC);
	struct pa_stats s;

	assert_int_not_equal(ha, PA_NO_PFN);
	pa_stats(z, &s);
	assert_int_equal(s.highatomic_blocks, 1);
	assert_int_equal(pa_free(z, ha, 9), 0);
	pa_drain(z);
	check(z);
	/* movable: spb's first unmovable pageblock request takes the slow
	 * path for a clean superpageblock and would give the reserve back
	 * before the point of this case */
	reserved_pageblock_merges_when_given_back(z, ha >> 9, PA_GFP_MOVABLE);
	th_zone_destroy(z);
}

/* Regression: an atomic block spanning two reserved pageblocks, still
 * allocated when the reserve is given back, had one pageblock retyped and
 * not the other, so its free put it on one list across two types. */
static void spanning_block_returned_whole(void **state)
{
	/* on the zone path: an order-0 pageset refill could meet the
	 * failure that gives the reserve back in place of the request */
	zone_path_or_skip(state);
	struct pa_zone *z = zone(state, PA_CFG_NO_WATERMARKS);
	struct pa_stats s;
	uint64_t managed = pa_managed_pages(z), n = 0;
	uint64_t *p = malloc(sizeof(*p) * managed);

	assert_non_null(p);
	uint64_t ha = pa_alloc(z, 10, PA_GFP_ATOMIC);

	assert_int_not_equal(ha, PA_NO_PFN);
	pa_stats(z, &s);
	assert_int_equal(s.highatomic_blocks, 2);
	/* ordinary allocations until the reserve is given back: the first
	 * that fails does it (and fails: the block is still allocated) */
	while (s.highatomic_blocks == 2) {
		uint64_t q = pa_alloc(z, 0, PA_GFP_NOWARN);

		if (q != PA_NO_PFN)
			p[n++] = q;
		pa_stats(z, &s);
	}
	/* both pageblocks of the block, together */
	assert_int_equal(s.highatomic_blocks, 0);
	assert_int_equal(pageblocks_of_type(z, PA_MT_HIGHATOMIC), 0);
	check(z);
	assert_int_equal(pa_free(z, ha, 10), 0);
	check(z);
	for (uint64_t i = 0; i < n; i++)
		assert_int_equal(pa_free(z, p[i], 0), 0);
	check(z);
	free(p);
	th_zone_destroy(z);
}

/* Regression: the reservation that follows an atomic success checked the
 * type of the block's first pageblock only.  A shrink or contiguous
 * allocation that isolated a later pageblock of the block in between had
 * that pageblock retyped highatomic, undoing the isolation (and the
 * isolate count).  The reservation leaves such a block alone. */
static void reserve_leaves_an_isolation_alone(void **state)
{
	struct pa_zone *z = zone(state, 0);
	struct pa_isolation iso;
	struct pa_stats s;
	uint8_t map[256];
	uint64_t pb = 1ull << z->pb_order;
	uint64_t p = pa_alloc(z, z->pb_order + 1, PA_GFP_MOVABLE);

	assert_int_not_equal(p, PA_NO_PFN);
	assert_int_equal(isolate_range(z, &iso, p + pb, p + 2 * pb), 0);
	reserve_highatomic_pageblock(z, (uint32_t)p, z->pb_order + 1, 0);
	pa_stats(z, &s);
	assert_int_equal(s.highatomic_blocks, 0);
	assert_true(pa_pageblock_map(z, (p + pb) / pb, map, 1) == 1);
	assert_int_equal(map[0] & 0x0f, PA_MT_ISOLATE);
	isolate_undo(z, &iso);
	check(z);
	assert_int_equal(pa_free(z, p, z->pb_order + 1), 0);
	check(z);
	th_zone_destroy(z);
}

/* Regression: a free block spanning two reserved pageblocks, given back,
 * was listed without merging, so it stayed apart from its free buddy: an
 * allocation of the next order that only the merge can serve failed. */
static void returned_free_block_merges(void **state)
{
	/* on the zone path: pagesets would cache the order-11 blocks freed */
	struct pa_config c = config(PA_CFG_NO_PCP | PA_CFG_NO_WATERMARKS);

	c.max_order = 11;
	if (!th_policy_accepts(&c, th_policy(state)))
		skip();
	struct pa_zone *z = th_zone_for(state, &c);
	uint64_t n11 = pa_managed_pages(z) >> 11, held[256], k = 0;

	assert_non_null(z);
	uint64_t a = pa_alloc(z, 10, PA_GFP_ATOMIC);

	assert_int_not_equal(a, PA_NO_PFN);
	/* every other order-11 block, without a failure (which would give
	 * the reserve back early) */
	for (; k + 1 < n11 && k < 256; k++) {
		held[k] = pa_alloc(z, 11, PA_GFP_NOWARN);
		assert_int_not_equal(held[k], PA_NO_PFN);
	}
	assert_int_equal(pa_free(z, a, 10), 0);
	check(z);
	/* only a and its buddy together make an order-11 block */
	uint64_t big = pa_alloc(z, 11, PA_GFP_NOWARN);

	assert_int_equal(big, a & ~((1ull << 11) - 1));
	check(z);
	assert_int_equal(pa_free(z, big, 11), 0);
	while (k--)
		assert_int_equal(pa_free(z, held[k], 11), 0);
	check(z);
	th_zone_destroy(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		th_policy_test(atomic_high_order_reserves_its_block),
		th_policy_test(reserve_is_capped),
		th_policy_test(ordinary_allocations_leave_reserve_and_min_alone),
		th_policy_test(failing_allocation_gets_the_reserve_back),
		th_policy_test(unreserved_free_pageblock_merges_with_its_buddy),
		th_policy_test(unreserved_free_pageblock_merges_through_the_pagesets),
		th_policy_test(spanning_block_returned_whole),
		th_policy_test(returned_free_block_merges),
		th_policy_test(reserve_leaves_an_isolation_alone),
	};

	return th_run_policy_group("highatomic", tests);
}
