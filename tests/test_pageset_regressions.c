/* SPDX-License-Identifier: MIT */
/*
 * Regression tests for the per-CPU pageset bugs of the core issue, each a
 * property every policy must keep (they run under every policy the library
 * accepts), written so they failed before their fix under pcpbuddy:
 *  - pages of the highatomic reserve never serve a non-atomic request
 *    (pcpbuddy remembered a reserved owned block on its movable list and
 *    Phase 0 recovered its fragments);
 *  - a pageblock entirely free in the zone belongs to no pageset, even
 *    when its owner went offline while its pages were out;
 *  - no pageblock changes type while free pages of the requested type
 *    exist (pcpbuddy's Phase 1 converted a whole block first);
 *  - a pageset's remembered block keeps serving after a fallback changes
 *    its type (pcpbuddy dropped it from Phase 0 for good);
 *  - a block the zone handed out goes back to the zone, not to a pageset
 *    (pcpbuddy cached frees of orders 4..pageblock-1, which allocations
 *    of those orders never look for on a pageset: the zone ran short of
 *    them, and each such request reclaimed and drained every pageset).
 */
#include "helpers.h"

#include <stdlib.h>
#include <string.h>

#define NPB 256 /* pageblocks of 16 pages: 4096 pages, room for a reserve */

static struct pa_zone *make_geo(enum pa_policy pol, unsigned flags,
			       unsigned ncpus, unsigned max_order)
{
	struct pa_config c = th_config(NPB, 4, max_order, flags, ncpus);

	c.policy = pol;
	/* pagesets with room for whole pageblocks, as on any real zone */
	c.pcp_high_min = 64;
	c.pcp_high_max = 256;
	if (pa_config_check(&c, NULL, 0))
		return NULL;
	struct pa_zone *z = pa_zone_create(&c);

	assert_non_null(z);
	return z;
}

static struct pa_zone *make(enum pa_policy pol, unsigned flags, unsigned ncpus)
{
	return make_geo(pol, flags, ncpus, 6);
}

static unsigned pb_cell(struct pa_zone *z, uint64_t pfn)
{
	uint8_t cell;

	assert_int_equal(pa_pageblock_map(z, pfn >> 4, &cell, 1), 1);
	return cell;
}

static void reserve_stays_atomic(enum pa_policy pol)
{
	struct pa_zone *z = make(pol, 0, 2);
	uint64_t p[64];

	if (!z)
		return;
	for (int i = 0; i < 64; i++)
		p[i] = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);
	/* a high-order atomic success reserves its pageblock */
	uint64_t a = pa_alloc_cpu(z, 0, 1, PA_GFP_MOVABLE | PA_GFP_ATOMIC);

	assert_int_not_equal(a, PA_NO_PFN);
	for (int i = 0; i < 64; i += 2)
		assert_int_equal(pa_free_cpu(z, 0, p[i], 0), 0);
	pa_drain(z);
	assert_check(z);
	struct pa_stats st;

	pa_stats(z, &st);
	assert_true(st.highatomic_blocks > 0);
	/* plenty is free elsewhere: ordinary requests keep off the reserve */
	for (int i = 0; i < 32; i++) {
		uint64_t q = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);

		assert_int_not_equal(q, PA_NO_PFN);
		if ((pb_cell(z, q) & 0xf) == PA_MT_HIGHATOMIC)
			fail_msg("%s: non-atomic movable pfn %llu from the highatomic reserve",
				 pa_policy_name(pol), (unsigned long long)q);
		p[i] = q; /* the odd ones and these stay allocated */
	}
	assert_check(z);
	pa_zone_destroy(z);
}

static void whole_block_is_nobodys(enum pa_policy pol)
{
	struct pa_zone *z = make(pol, PA_CFG_NO_WATERMARKS, 2);
	uint64_t p[16];

	if (!z)
		return;
	/* CPU 0 takes a whole pageblock's worth and caches nothing */
	for (int i = 0; i < 16; i++)
		p[i] = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);
	assert_int_equal(pa_cpu_offline(z, 0), 0);
	for (int i = 0; i < 16; i++)
		assert_int_equal(pa_free_cpu(z, 1, p[i], 0), 0);
	pa_drain(z);
	assert_check(z);
	for (int i = 0; i < 16; i++) {
		unsigned cell = pb_cell(z, p[i]);

		if ((cell & PA_PB_FREE) && (cell & PA_PB_OWNED))
			fail_msg("%s: pageblock of pfn %llu entirely free but owned",
				 pa_policy_name(pol), (unsigned long long)p[i]);
	}
	assert_int_equal(pa_cpu_online(z, 0), 0);
	pa_zone_destroy(z);
}

static void own_type_before_conversion(enum pa_policy pol)
{
	/* max_order = pageblock_order: a conversion claims exactly one
	 * pageblock, so no whole free unmovable block is left over */
	struct pa_zone *z = make_geo(pol, PA_CFG_NO_WATERMARKS, 2, 4);
	uint64_t p[12];
	struct pa_stats before, after;

	if (!z)
		return;
	/* unmovable pages, half of them freed: free unmovable fragments */
	for (int i = 0; i < 12; i++)
		p[i] = pa_alloc_cpu(z, 0, 0, 0);
	for (int i = 0; i < 12; i += 2)
		assert_int_equal(pa_free_cpu(z, 0, p[i], 0), 0);
	pa_drain(z);
	pa_stats(z, &before);
	/* another CPU's unmovable request: the fragments serve it */
	uint64_t q = pa_alloc_cpu(z, 1, 0, 0);

	assert_int_not_equal(q, PA_NO_PFN);
	pa_stats(z, &after);
	if (after.blocks_claimed != before.blocks_claimed)
		fail_msg("%s: converted %llu pageblocks while unmovable pages were free",
			 pa_policy_name(pol),
			 (unsigned long long)(after.blocks_claimed - before.blocks_claimed));
	assert_check(z);
	pa_zone_destroy(z);
}

static void retyped_block_keeps_serving(enum pa_policy pol)
{
	struct pa_zone *z = make(pol, PA_CFG_NO_WATERMARKS, 2);
	uint64_t n, *fill;
	uint64_t p[16];
	struct pa_stats st0, st1;

	if (!z)
		return;
	n = pa_managed_pages(z);
	fill = calloc(n, sizeof(*fill));
	assert_non_null(fill);
	/* CPU 0's movable block, every other page freed back to the zone */
	for (int i = 0; i < 16; i++)
		p[i] = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);
	for (int i = 0; i < 16; i += 2)
		assert_int_equal(pa_free_cpu(z, 0, p[i], 0), 0);
	pa_drain_cpu(z, 0);
	/* every whole pageblock taken (orders >= the pageblock's never touch
	 * the fragments), so an unmovable request must fall back to that
	 * block's fragments, converting it */
	uint64_t k = 0;
	unsigned ford[NPB];

	for (int o = 6; o >= 4; o--)
		for (uint64_t q; (q = pa_alloc_cpu(z, 1, (unsigned)o,
						    PA_GFP_MOVABLE | PA_GFP_NOWARN)) != PA_NO_PFN;) {
			ford[k] = (unsigned)o;
			fill[k++] = q;
		}
	pa_drain(z);
	uint64_t u = pa_alloc_cpu(z, 1, 0, PA_GFP_NOWARN);

	assert_int_not_equal(u, PA_NO_PFN);
	assert_int_equal(pb_cell(z, u) & 0xf, PA_MT_UNMOVABLE);
	assert_check(z);
	pa_stats(z, &st0);
	if (st0.free_pages + st0.pcp_pages) {
		/* what is left of the converted block serves its owner's
		 * unmovable requests */
		uint64_t v = pa_alloc_cpu(z, 0, 0, PA_GFP_NOWARN);

		pa_stats(z, &st1);
		assert_check(z);
		if (v == PA_NO_PFN)
			fail_msg("%s: %llu pages free but the owner's unmovable request failed",
				 pa_policy_name(pol),
				 (unsigned long long)(st0.free_pages + st0.pcp_pages));
		/* a policy whose pagesets own blocks recovers its own */
		if (st0.pcpb_blocks_claimed &&
		    st1.pcpb_phase0_pages == st0.pcpb_phase0_pages)
			fail_msg("%s: the converted block's owner did not recover its fragments",
				 pa_policy_name(pol));
		assert_int_equal(pa_free_cpu(z, 0, v, 0), 0);
	}
	assert_int_equal(pa_free_cpu(z, 1, u, 0), 0);
	for (uint64_t i = 0; i < k; i++)
		assert_int_equal(pa_free_cpu(z, 1, fill[i], ford[i]), 0);
	for (int i = 1; i < 16; i += 2)
		assert_int_equal(pa_free_cpu(z, 1, p[i], 0), 0);
	pa_drain(z);
	assert_check(z);
	struct pa_stats st;

	pa_stats(z, &st);
	assert_int_equal(st.free_pages, n);
	free(fill);
	pa_zone_destroy(z);
}

/* A zone whose pageblock (order 6) lies above the costly order, so some
 * orders are neither the costly ones nor the pageblock's; NULL if the
 * policy does not take it. */
static struct pa_zone *make_tall(enum pa_policy pol)
{
	struct pa_config c = th_config(64, 6, 8, 0, 2);

	c.policy = pol;
	return th_policy_accepts(&c, pol) ? th_zone_create(&c) : NULL;
}

static bool pageset_served(const struct pa_stats *before,
			   const struct pa_stats *after)
{
	return after->pcp_alloc_hit + after->pcp_alloc_miss !=
	       before->pcp_alloc_hit + before->pcp_alloc_miss;
}

static void zone_orders_free_to_zone(enum pa_policy pol)
{
	struct pa_zone *z = make_tall(pol);
	unsigned zone_orders = 0;

	if (!z)
		return;
	for (unsigned order = 0; order <= 8; order++) {
		struct pa_stats st0, st1, st2;

		pa_stats(z, &st0);
		uint64_t p = pa_alloc_cpu(z, 0, order, PA_GFP_MOVABLE);

		assert_int_not_equal(p, PA_NO_PFN);
		pa_stats(z, &st1);
		bool zone_served = !pageset_served(&st0, &st1);

		/* freed on the other CPU, as reclaim frees page cache */
		assert_int_equal(pa_free_cpu(z, 1, p, order), 0);
		pa_stats(z, &st2);
		assert_check(z);
		if (zone_served && st2.pcp_pages > st1.pcp_pages)
			fail_msg("%s: order %u came from the zone, but its free went to a pageset (%llu -> %llu pages cached)",
				 pa_policy_name(pol), order,
				 (unsigned long long)st1.pcp_pages,
				 (unsigned long long)st2.pcp_pages);
		zone_orders += zone_served;
	}
	/* the premise: the zone serves some orders itself (those above the
	 * costly order and below the pageblock's) */
	assert_true(zone_orders > 0);
	pa_drain(z);
	th_zone_destroy(z);
}

#define EVERY_POLICY(fn)                                             \
	static void fn##_all(void **state)                           \
	{                                                            \
		(void)state;                                         \
		for (unsigned pol = 0; pol < PA_POLICY_NR; pol++)    \
			fn((enum pa_policy)pol);                     \
	}

EVERY_POLICY(reserve_stays_atomic)
EVERY_POLICY(whole_block_is_nobodys)
EVERY_POLICY(own_type_before_conversion)
EVERY_POLICY(retyped_block_keeps_serving)
EVERY_POLICY(zone_orders_free_to_zone)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reserve_stays_atomic_all),
		cmocka_unit_test(whole_block_is_nobodys_all),
		cmocka_unit_test(own_type_before_conversion_all),
		cmocka_unit_test(retyped_block_keeps_serving_all),
		cmocka_unit_test(zone_orders_free_to_zone_all),
	};

	return cmocka_run_group_tests_name("pageset_regressions", tests, NULL, NULL);
}
