/* SPDX-License-Identifier: MIT */
/*
 * spb's refill Phase 2 adoption (spb_steer.h: spb_adopt_pageblock): a
 * pageset short of a non-movable type adopts a partly free pageblock of
 * that type nobody owns, in the SPB Pass 1 would pick (tainted, fullest
 * first), instead of taking its fragments as unowned cached chunks; the
 * block's later frees then merge on the pageset and leave it whole.
 *
 * Tiny geometry: pageblocks of 4 pages, SPBs of 4 pageblocks (16 pages),
 * max_order 4, three SPBs, two CPUs: CPU 1 offline (its calls take the
 * zone path, the passes, which build the situation), CPU 0 online (its
 * refills are under test).  No watermarks.  pa_check after each step.
 */
#include <string.h>

#include "helpers.h"

#define PB 4u    /* pages per pageblock */
#define SPB 16u  /* pages per superpageblock */
#define NR_SPB 3u
#define ZONE_CPU 1u /* offline: the zone path */
#define PCP_CPU 0u  /* online: pageset refills */

static struct pa_zone *zone_of(enum pa_policy pol)
{
	struct pa_config c = th_config(NR_SPB * (SPB / PB), 2, 4,
				       PA_CFG_NO_WATERMARKS, 2);

	c.policy = pol;
	c.superpageblock_order = 4;
	c.pcp_batch = 2;
	c.pcp_high_min = 8;
	c.pcp_high_max = 8;
	struct pa_zone *z = th_zone_create(&c);

	assert_int_equal(pa_cpu_offline(z, ZONE_CPU), 0);
	return z;
}

static uint64_t zalloc(struct pa_zone *z, unsigned order, unsigned gfp)
{
	uint64_t pfn = pa_alloc_cpu(z, ZONE_CPU, order, gfp);

	if (pfn == PA_NO_PFN)
		fail_msg("zone-path order-%u allocation (gfp 0x%x) failed", order,
			 gfp);
	return pfn;
}

static void zfree(struct pa_zone *z, uint64_t pfn, unsigned order)
{
	assert_int_equal(pa_free_cpu(z, ZONE_CPU, pfn, order), 0);
}

static bool owned(struct pa_zone *z, uint64_t pfn)
{
	uint8_t cell;

	assert_int_equal(pa_pageblock_map(z, pfn / PB, &cell, 1), 1);
	return cell & PA_PB_OWNED;
}

static unsigned owned_blocks(struct pa_zone *z)
{
	uint8_t map[NR_SPB * SPB / PB];
	uint64_t n = pa_pageblock_map(z, 0, map, sizeof(map));
	unsigned k = 0;

	for (uint64_t i = 0; i < n; i++)
		k += !!(map[i] & PA_PB_OWNED);
	return k;
}

static uint64_t adopted(struct pa_zone *z)
{
	struct pa_stats s;

	pa_stats(z, &s);
	return s.spb_pb_adopted;
}

/* A whole unmovable pageblock allocated page by page on the zone path
 * (the first one taints an SPB, the rest follow it: Pass 1); u[] gets
 * its pages. */
static void unmovable_pageblock(struct pa_zone *z, uint64_t u[PB])
{
	for (unsigned i = 0; i < PB; i++) {
		u[i] = zalloc(z, 0, 0);
		assert_int_equal(u[i] / PB, u[0] / PB);
	}
}

/* unmovable_pageblock, then its first two pages freed to the zone: a
 * half free pageblock nobody owns. */
static void half_free_unmovable(struct pa_zone *z, uint64_t u[PB])
{
	unmovable_pageblock(z, u);
	zfree(z, u[0], 0);
	zfree(z, u[1], 0);
	assert_false(owned(z, u[0]));
	assert_check(z);
}

/* The situation: one unmovable pageblock B, half free in the zone and
 * owned by nobody, in the only tainted SPB.  A refill of CPU 0 for an
 * unmovable page adopts B: the page comes from B, B is CPU 0's now.
 * Without adoption Phase 2 would take B's free chunk unowned. */
static void adopts_partial_pageblock(void **state)
{
	struct pa_zone *z = zone_of(PA_POLICY_SPB);
	uint64_t u[PB];

	(void)state;
	half_free_unmovable(z, u);
	assert_int_equal(adopted(z), 0);

	uint64_t p = pa_alloc_cpu(z, PCP_CPU, 0, 0);

	assert_int_not_equal(p, PA_NO_PFN);
	assert_int_equal(p / PB, u[0] / PB);
	assert_true(owned(z, u[0]));
	assert_int_equal(owned_blocks(z), 1);
	assert_int_equal(adopted(z), 1);
	assert_check(z);

	/* every page of B back: they merge on CPU 0's pageset, and the
	 * drain hands B to the zone whole and disowned */
	struct pa_stats before, after;

	assert_int_equal(pa_free_cpu(z, PCP_CPU, p, 0), 0);
	assert_int_equal(pa_free_cpu(z, PCP_CPU, u[2], 0), 0);
	assert_int_equal(pa_free_cpu(z, PCP_CPU, u[3], 0), 0);
	assert_check(z);
	pa_stats(z, &before);
	pa_drain(z);
	pa_stats(z, &after);
	assert_int_equal(after.pcpb_blocks_disowned - before.pcpb_blocks_disowned, 1);
	assert_int_equal(after.zone_pages_drain - before.zone_pages_drain, PB);
	assert_int_equal(owned_blocks(z), 0);
	assert_int_equal(after.free_pages, after.managed_pages);
	assert_check(z);
	th_zone_destroy(z);
}

/*
 * Two tainted SPBs, each with an unmovable pageblock half free and
 * unowned: SPB 0 (pageblock 0) with 6 free pages, SPB 2 (pageblock 8)
 * with 2.  The adoption picks as Pass 1 does, fullest first: SPB 2,
 * not the lower-numbered SPB 0 where the zone's first list entry is.
 */
static void adopts_in_fullest_tainted_spb(void **state)
{
	struct pa_zone *z = zone_of(PA_POLICY_SPB);
	uint64_t a[PB], b[PB], m[3];

	(void)state;
	unmovable_pageblock(z, a);                     /* taints SPB 0 */
	assert_int_equal(a[0] / SPB, 0);
	uint64_t s1 = zalloc(z, 4, PA_GFP_MOVABLE);    /* clean SPBs */
	uint64_t s2 = zalloc(z, 4, PA_GFP_MOVABLE);

	assert_int_equal(s1 / SPB + s2 / SPB, 1 + 2);
	for (unsigned i = 0; i < 3; i++)               /* rest of SPB 0 */
		m[i] = zalloc(z, 2, PA_GFP_MOVABLE);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(m[i] / SPB, 0);
	zfree(z, s2, 4);                               /* SPB s2 empty */
	unmovable_pageblock(z, b);                     /* taints it (Pass 3) */
	assert_int_equal(b[0] / SPB, s2 / SPB);
	for (unsigned i = 0; i < 3; i++)               /* rest of it */
		assert_int_equal(zalloc(z, 2, PA_GFP_MOVABLE) / SPB, s2 / SPB);
	zfree(z, a[0], 0);
	zfree(z, a[1], 0);
	zfree(z, m[0], 2);                             /* SPB 0: 6 free */
	zfree(z, b[0], 0);
	zfree(z, b[1], 0);                             /* SPB s2: 2 free */
	assert_int_equal(owned_blocks(z), 0);
	assert_check(z);

	uint64_t p = pa_alloc_cpu(z, PCP_CPU, 0, 0);

	assert_int_equal(adopted(z), 1);
	assert_int_equal(p / PB, b[0] / PB);
	assert_true(owned(z, b[0]));
	assert_false(owned(z, a[0]));
	assert_check(z);
	pa_drain(z);
	assert_check(z);
	th_zone_destroy(z);
}

/* Movable refills adopt nothing (they fill clean SPBs whole), and
 * pcpbuddy has no adoption: the same half-free unmovable block stays
 * unowned under pcpbuddy. */
static void no_adoption_for_movable_or_pcpbuddy(void **state)
{
	struct pa_zone *z = zone_of(PA_POLICY_SPB);
	uint64_t u[PB];

	(void)state;
	half_free_unmovable(z, u);
	assert_int_not_equal(pa_alloc_cpu(z, PCP_CPU, 0, PA_GFP_MOVABLE), PA_NO_PFN);
	assert_int_equal(adopted(z), 0);
	assert_false(owned(z, u[0]));
	assert_check(z);
	th_zone_destroy(z);

	z = zone_of(PA_POLICY_PCPBUDDY);
	half_free_unmovable(z, u);
	assert_int_not_equal(pa_alloc_cpu(z, PCP_CPU, 0, 0), PA_NO_PFN);
	assert_int_equal(adopted(z), 0);
	assert_false(owned(z, u[0]));
	assert_check(z);
	th_zone_destroy(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(adopts_partial_pageblock),
		cmocka_unit_test(adopts_in_fullest_tainted_spb),
		cmocka_unit_test(no_adoption_for_movable_or_pcpbuddy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
