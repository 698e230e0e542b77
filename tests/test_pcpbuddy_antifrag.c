/* SPDX-License-Identifier: MIT */
/*
 * pcpbuddy's anti-fragmentation mechanisms, each on a tiny zone with
 * explicit CPU ids (docs/DESIGN.md, "pcpbuddy and fragmentation"):
 *  - a non-movable refill packs into free fragments of its type before it
 *    takes a fresh pageblock;
 *  - Phase 3's fallback steals one block per refill, not a batch of them;
 *  - under spb, a CPU that runs out of a non-movable type makes the other
 *    pagesets give theirs back to the zone, at their next allocation that
 *    misses (pcpbuddy's refills leave the type in the zone and do not ask);
 *  - a non-movable refill takes the plain batch, not the scaled one;
 *  - a non-movable refill that falls back leaves the converted block's
 *    other pages in the zone, for every CPU;
 *  - a refill that finds a kept costly chunk on its lists splits it
 *    rather than send the allocation to the zone's fallback;
 *  - a non-movable fallback claims inside an already tainted
 *    superpageblock rather than taint a clean one;
 *  - a non-movable refill takes zone->lock once (pcpbuddy).
 * Those cases run under pcpbuddy and spb (which shares the refill): they
 * are pcpbuddy's mechanisms, mainline has none of them.  One case is the
 * kernel's rule, and runs under every policy the library accepts (the
 * factory's iterator): a refill takes its type's free pages in the zone
 * before anything converts another pageblock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "pagealloc.h"

#define PB_PAGES 16u

/* 8 pageblocks of 16 pages, 2 CPUs, no watermarks; max_order 4 so a
 * fallback converts exactly one pageblock; superpageblocks of
 * 2^sb_order pages */
static struct pa_zone *tiny_spb(enum pa_policy pol, unsigned high,
				unsigned sb_order)
{
	struct pa_config c = pa_config_default();

	c.bytes = 8 * PB_PAGES * 4096;
	c.pageblock_order = 4;
	c.max_order = 4;
	c.superpageblock_order = sb_order;
	c.ncpus = 2;
	c.policy = pol;
	c.flags = PA_CFG_NO_WATERMARKS;
	c.pcp_batch = 4;
	c.pcp_high_min = high;
	c.pcp_high_max = high;
	struct pa_zone *z = pa_zone_create(&c);

	assert_non_null(z);
	return z;
}

/* one pageblock per superpageblock: under spb every fallback taints a
 * clean one */
static struct pa_zone *tiny(enum pa_policy pol, unsigned high)
{
	return tiny_spb(pol, high, 4);
}

static void check(struct pa_zone *z)
{
	char msg[256];

	if (pa_check(z, msg, sizeof(msg)))
		fail_msg("pa_check: %s", msg);
}

static const enum pa_policy policies[] = { PA_POLICY_PCPBUDDY, PA_POLICY_SPB };
#define NR_POLICIES (sizeof(policies) / sizeof(policies[0]))

static uint64_t zone_free_of(struct pa_zone *z, unsigned mt)
{
	struct pa_frag f;

	assert_int_equal(pa_frag(z, &f), 0);
	return f.free_by_mt[mt];
}

/* Allocate unmovable pages on CPU 0 into a[] (room for max) until none
 * is free, in the zone or cached on a pageset; how many. */
static unsigned use_up_unmovable(struct pa_zone *z, uint64_t *a, unsigned max)
{
	struct pa_stats s;
	unsigned n = 0;

	do {
		a[n] = pa_alloc_cpu(z, 0, 0, 0);
		assert_int_not_equal(a[n], PA_NO_PFN);
		n++;
		pa_stats(z, &s);
	} while (n < max && (zone_free_of(z, 0) || s.pcp_pages));
	assert_int_equal(zone_free_of(z, 0), 0);
	assert_int_equal(s.pcp_pages, 0);
	return n;
}

/* CPU 0 converts one pageblock to unmovable, keeps two pages of it and
 * drains: the block's 14 free pages are fragments in the zone, remembered
 * for CPU 0.  A whole free unmovable pageblock is also in the zone (a
 * second conversion, freed whole).  CPU 1, with no block of its own, then
 * allocates unmovable: it must pack into CPU 0's fragments, not take the
 * fresh whole block (before the fix, Phase 1 claimed it). */
static void nonmovable_refill_packs_before_a_fresh_block(enum pa_policy pol)
{
	struct pa_zone *z = tiny(pol, 64);
	struct pa_stats s;
	uint64_t keep[2], other[PB_PAGES];

	for (int i = 0; i < 2; i++) {
		keep[i] = pa_alloc_cpu(z, 0, 0, 0);
		assert_int_not_equal(keep[i], PA_NO_PFN);
	}
	/* a second unmovable pageblock, allocated whole, then freed whole:
	 * it merges in the zone and stays unmovable, disowned */
	for (unsigned i = 0; i < PB_PAGES; i++) {
		other[i] = pa_alloc_cpu(z, 1, 0, 0);
		assert_int_not_equal(other[i], PA_NO_PFN);
	}
	pa_drain(z);
	for (unsigned i = 0; i < PB_PAGES; i++)
		assert_int_equal(pa_free_cpu(z, 1, other[i], 0), 0);
	pa_drain(z);
	check(z);
	uint64_t frag_block = keep[0] / PB_PAGES;

	assert_true(zone_free_of(z, 0) >= PB_PAGES + PB_PAGES - 2);
	pa_stats(z, &s);
	uint64_t claimed = s.pcpb_blocks_claimed, phase1 = s.pcpb_phase[1];

	uint64_t q = pa_alloc_cpu(z, 1, 0, 0);

	assert_int_not_equal(q, PA_NO_PFN);
	pa_stats(z, &s);
	assert_int_equal(s.pcpb_blocks_claimed, claimed);
	assert_int_equal(s.pcpb_phase[1], phase1);
	assert_int_equal(q / PB_PAGES, frag_block);
	check(z);
	assert_int_equal(pa_free_cpu(z, 1, q, 0), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pa_free_cpu(z, 0, keep[i], 0), 0);
	check(z);
	pa_zone_destroy(z);
}

static void packs_before_a_fresh_block(void **state)
{
	(void)state;
	for (size_t p = 0; p < NR_POLICIES; p++)
		nonmovable_refill_packs_before_a_fresh_block(policies[p]);
}

/* Every pageblock movable and full but for 3 scattered free pages, so no
 * fallback can claim a block (3 < half of 16): an unmovable allocation
 * steals.  It must steal one block for itself, not a refill batch of
 * them, each from another movable pageblock. */
static void phase3_fallback_steals_one_block(enum pa_policy pol)
{
	struct pa_zone *z = tiny(pol, 8); /* no room for a whole block */
	uint64_t n = 8 * PB_PAGES, *p = calloc(n, sizeof(*p));
	struct pa_stats s;

	assert_non_null(p);
	for (uint64_t i = 0; i < n; i++) {
		p[i] = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE | PA_GFP_NOWARN);
		assert_int_not_equal(p[i], PA_NO_PFN);
	}
	for (uint64_t i = 0; i < n; i++)
		if (p[i] % PB_PAGES == 1 || p[i] % PB_PAGES == 6 ||
		    p[i] % PB_PAGES == 11) {
			assert_int_equal(pa_free_cpu(z, 0, p[i], 0), 0);
			p[i] = PA_NO_PFN;
		}
	pa_drain(z);
	check(z);
	assert_int_equal(zone_free_of(z, 0), 0);
	pa_stats(z, &s);
	uint64_t fallbacks = s.extfrag_fallbacks, claimed = s.blocks_claimed;

	uint64_t q = pa_alloc_cpu(z, 1, 0, 0);

	assert_int_not_equal(q, PA_NO_PFN);
	pa_stats(z, &s);
	assert_int_equal(s.blocks_claimed, claimed);
	/* one steal, by the refill's Phase 3 or (since the slow path keeps
	 * fragmenting fallbacks for last) by the zone path */
	assert_int_equal(s.extfrag_fallbacks - fallbacks, 1);
	/* nothing else of the type was cached on CPU 1 */
	assert_int_equal(s.pcp_pages, 0);
	check(z);
	assert_int_equal(pa_free_cpu(z, 1, q, 0), 0);
	for (uint64_t i = 0; i < n; i++)
		if (p[i] != PA_NO_PFN)
			assert_int_equal(pa_free_cpu(z, 0, p[i], 0), 0);
	check(z);
	free(p);
	pa_zone_destroy(z);
}

static void fallback_steals_one_block(void **state)
{
	(void)state;
	for (size_t p = 0; p < NR_POLICIES; p++)
		phase3_fallback_steals_one_block(policies[p]);
}

/* CPU 0 caches unmovable pages while none is free in the zone.  CPU 1
 * then runs out of unmovable memory and falls back: CPU 0's next
 * allocation that misses its lists (here a movable page) gives every
 * unmovable page it caches back to the zone, where any CPU's own-type
 * phases find them.  Two pageblocks per superpageblock: spb's refill may
 * then fall back into the second pageblock of the superpageblock CPU 0's
 * first fallback tainted, so CPU 1's refill is the one that falls back
 * (with one per superpageblock, spb's no-fragmentation rule refuses that
 * and sends CPU 1 to the slow path, which drains every pageset first and
 * leaves nothing to ask for). */
static void shortage_returns_cached_pages(enum pa_policy pol)
{
	struct pa_zone *z = tiny_spb(pol, 64, 5);
	struct pa_stats s;
	uint64_t a[2 * PB_PAGES];
	unsigned na = 0;

	/* how a fallback converts differs (spb steers it), so allocate until
	 * no unmovable page is free, in the zone or cached */
	na = use_up_unmovable(z, a, 2 * PB_PAGES);
	/* three of them freed on CPU 0: cached there, none in the zone */
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(pa_free_cpu(z, 0, a[--na], 0), 0);
	pa_stats(z, &s);
	uint64_t cached = s.pcp_pages; /* all CPU 0's, all unmovable */

	assert_int_equal(cached, 3);
	assert_int_equal(zone_free_of(z, 0), 0);
	assert_int_equal(s.pcpb_returned, 0);
	uint64_t fallbacks = s.extfrag_fallbacks;
	uint64_t b = pa_alloc_cpu(z, 1, 0, 0);

	assert_int_not_equal(b, PA_NO_PFN);
	pa_stats(z, &s);
	/* CPU 1's refill fell back, not the slow path after a drain */
	assert_true(s.extfrag_fallbacks > fallbacks);
	assert_int_equal(s.pcp_drains, 0);
	assert_int_equal(s.pcpb_returned, 0);  /* CPU 0 has not acted yet */
	uint64_t zone_before = zone_free_of(z, 0);

	check(z);
	uint64_t m = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);

	assert_int_not_equal(m, PA_NO_PFN);
	pa_stats(z, &s);
	assert_int_equal(s.pcpb_returned, cached);
	assert_int_equal(zone_free_of(z, 0) - zone_before, cached);
	check(z);
	assert_int_equal(pa_free_cpu(z, 1, b, 0), 0);
	assert_int_equal(pa_free_cpu(z, 0, m, 0), 0);
	for (unsigned i = 0; i < na; i++)
		assert_int_equal(pa_free_cpu(z, 0, a[i], 0), 0);
	check(z);
	pa_zone_destroy(z);
}

/* spb's: its Phase 2 parks whole chunks of the type on pagesets.
 * pcpbuddy's non-movable refills take only what they need, and it does
 * not ask (pcpbuddy.c, asks_owners). */
static void shortage_makes_owners_return(void **state)
{
	(void)state;
	shortage_returns_cached_pages(PA_POLICY_SPB);
}

/* A non-movable refill that falls back takes what the request needs:
 * the converted pageblock's other pages stay in the zone, unowned, for
 * every CPU (before, Phase 1 gave the whole block to CPU 0's pageset and
 * CPU 1, short of the type too, converted another).  Under spb the first
 * fallback is the slow path's one block, so this holds there trivially. */
static void nonmovable_fallback_leaves_the_rest_in_the_zone(enum pa_policy pol)
{
	struct pa_zone *z = tiny(pol, 64);
	struct pa_stats s;
	uint64_t a = pa_alloc_cpu(z, 0, 0, 0);

	assert_int_not_equal(a, PA_NO_PFN);
	pa_stats(z, &s);
	assert_int_equal(s.blocks_claimed, 1);
	assert_int_equal(s.pcpb_blocks_claimed, 0);
	assert_true(s.pcp_pages < 4);
	assert_int_equal(zone_free_of(z, 0), PB_PAGES - 1 - s.pcp_pages);
	/* CPU 1 finds them: no second conversion */
	uint64_t b = pa_alloc_cpu(z, 1, 0, 0);

	assert_int_not_equal(b, PA_NO_PFN);
	assert_int_equal(b / PB_PAGES, a / PB_PAGES);
	pa_stats(z, &s);
	assert_int_equal(s.blocks_claimed, 1);
	check(z);
	assert_int_equal(pa_free_cpu(z, 1, b, 0), 0);
	assert_int_equal(pa_free_cpu(z, 0, a, 0), 0);
	check(z);
	pa_zone_destroy(z);
}

static void fallback_takes_what_is_needed(void **state)
{
	(void)state;
	for (size_t p = 0; p < NR_POLICIES; p++)
		nonmovable_fallback_leaves_the_rest_in_the_zone(policies[p]);
}

/* Most pages one CPU caches, allocating n pages of gfp on CPU 0 without
 * freeing (each refill scales the next one up, as the kernel's
 * alloc_factor does).  high 15 < 16 pages per block: no Phase 1. */
static uint64_t most_cached(enum pa_policy pol, unsigned gfp, unsigned n)
{
	struct pa_zone *z = tiny(pol, 15);
	uint64_t most = 0;
	struct pa_stats s;

	for (unsigned i = 0; i < n; i++) {
		assert_int_not_equal(pa_alloc_cpu(z, 0, 0, gfp), PA_NO_PFN);
		pa_stats(z, &s);
		if (s.pcp_pages > most)
			most = s.pcp_pages;
	}
	check(z);
	pa_zone_destroy(z);
	return most;
}

static void nonmovable_refill_takes_plain_batch(void **state)
{
	(void)state;
	for (size_t p = 0; p < NR_POLICIES; p++) {
		/* batch 4: a plain refill wants 4 pages (Phase 2 may bring one
		 * chunk more, at most 8 here); scaled ones grow past that */
		assert_true(most_cached(policies[p], PA_GFP_MOVABLE, 40) >= 2 * 4);
		assert_true(most_cached(policies[p], 0, 40) < 2 * 4);
		assert_true(most_cached(policies[p], PA_GFP_RECLAIMABLE, 40) < 2 * 4);
	}
}

/* The kernel's order, own type first, under every policy: CPU 0
 * allocates 9 unmovable pages from a zone of movable pageblocks (the first
 * fallback converts one block of 16 pages), then CPU 1 allocates one.
 * Free pages of the converted block remain, in the zone or on CPU 0's
 * pageset; CPU 1's page must come from them, not from a second
 * conversion.  Before the fix, pcpbuddy's Phase 2 moved the block's free
 * chunks whole onto CPU 0's pageset (its second refill took the 4-page
 * chunk, its third the 8-page one, for a batch of 4), so CPU 1 found
 * nothing in the zone and converted another block. */
static void refill_takes_own_type_before_converting(void **state)
{
	struct pa_config c = pa_config_default();

	c.bytes = 8 * PB_PAGES * 4096;
	c.pageblock_order = 4;
	c.max_order = 4;
	c.superpageblock_order = 4;
	c.ncpus = 2;
	c.flags = PA_CFG_NO_WATERMARKS;
	c.pcp_batch = 4;
	c.pcp_high_min = c.pcp_high_max = 64;
	struct pa_zone *z = th_zone_or_skip(state, &c);
	struct pa_stats s;
	uint64_t a[10];

	for (unsigned i = 0; i < 9; i++) {
		a[i] = pa_alloc_cpu(z, 0, 0, 0);
		assert_int_not_equal(a[i], PA_NO_PFN);
	}
	pa_stats(z, &s);
	assert_int_equal(s.blocks_claimed, 1);
	a[9] = pa_alloc_cpu(z, 1, 0, 0);
	assert_int_not_equal(a[9], PA_NO_PFN);
	pa_stats(z, &s);
	assert_int_equal(s.blocks_claimed, 1);
	assert_int_equal(a[9] / PB_PAGES, a[0] / PB_PAGES);
	assert_check(z);
	for (unsigned i = 0; i < 10; i++)
		assert_int_equal(pa_free_cpu(z, i == 9, a[i], 0), 0);
	th_zone_destroy(z);
}

/* CPU 0 holds the only free unmovable memory, two cached order-3 chunks
 * (an order-3 allocation converted a block and took it as two blocks,
 * then freed one; under spb one of them is in the zone).  An order-1
 * request on CPU 0 must split one of them (pcpbuddy keeps costly chunks
 * for costly requests, and splits one only as the last resort before a
 * fallback).  Before the fix the refill saw
 * the kept chunk, reported it as what it got, took nothing, and the
 * allocation went to the zone path, whose fallback converted a second
 * pageblock. */
static void kept_chunk_split_before_fallback(enum pa_policy pol)
{
	struct pa_zone *z = tiny(pol, 64);
	struct pa_stats s;
	uint64_t big = pa_alloc_cpu(z, 0, 3, 0);

	assert_int_not_equal(big, PA_NO_PFN);
	assert_int_equal(pa_free_cpu(z, 0, big, 3), 0);
	pa_stats(z, &s);
	assert_int_equal(s.blocks_claimed, 1);
	/* the block's pages, all free: under pcpbuddy all on CPU 0's
	 * pageset, under spb (whose first fallback is the slow path's one
	 * block) half of them still in the zone */
	assert_int_equal(zone_free_of(z, 0) + s.pcp_pages, PB_PAGES);
	uint64_t q = pa_alloc_cpu(z, 0, 1, 0);

	assert_int_not_equal(q, PA_NO_PFN);
	pa_stats(z, &s);
	assert_int_equal(s.blocks_claimed, 1);
	assert_int_equal(q / PB_PAGES, big / PB_PAGES);
	check(z);
	assert_int_equal(pa_free_cpu(z, 0, q, 1), 0);
	check(z);
	pa_zone_destroy(z);
}

static void kept_chunk_splits(void **state)
{
	(void)state;
	for (size_t p = 0; p < NR_POLICIES; p++)
		kept_chunk_split_before_fallback(policies[p]);
}

/* pcpbuddy: CPU 0's unmovable allocation converts a pageblock and leaves
 * its other pages in the zone; CPU 1's unmovable refill then takes zone->lock
 * once.  Before, Phase 1 took it to find those fragments and let go, and
 * Phase 2 took it again (exit-avalanche-thp: 49 acquisitions for 25
 * unmovable refills).  spb keeps its Phase 1 (fresh pageblocks for the
 * pageset): not checked there. */
static void nonmovable_refill_locks_zone_once(void **state)
{
	(void)state;
	struct pa_zone *z = tiny(PA_POLICY_PCPBUDDY, 64);
	struct pa_stats s;
	uint64_t a = pa_alloc_cpu(z, 0, 0, 0);

	assert_int_not_equal(a, PA_NO_PFN);
	/* pa_frag takes zone->lock: read the counters after it */
	assert_true(zone_free_of(z, 0) > 0);
	pa_stats(z, &s);
	uint64_t locks = s.zone_lock.acquisitions, refills = s.pcp_refills;
	uint64_t b = pa_alloc_cpu(z, 1, 0, 0);

	assert_int_not_equal(b, PA_NO_PFN);
	pa_stats(z, &s);
	assert_int_equal(s.pcp_refills - refills, 1);
	assert_int_equal(s.zone_lock.acquisitions - locks, 1);
	assert_int_equal(b / PB_PAGES, a / PB_PAGES);
	check(z);
	assert_int_equal(pa_free_cpu(z, 1, b, 0), 0);
	assert_int_equal(pa_free_cpu(z, 0, a, 0), 0);
	check(z);
	pa_zone_destroy(z);
}

/* Two superpageblocks of 4 pageblocks.  CPU 0 fills one unmovable
 * pageblock (tainting its SPB) until no unmovable page is free; every
 * other pageblock is taken movable, then one whole pageblock is freed in
 * each SPB, the tainted SPB's first or second (`tainted_first`), so one
 * of the two orders puts the clean SPB's block at the head of the free
 * list.  CPU 1's unmovable allocation must fall back inside the tainted
 * SPB: before the fix the fallback claimed the list's first block, and
 * with one of the orders tainted a second SPB while the first had a free
 * pageblock (64 GiB fill98: 26 SPBs tainted, mainline 16). */
static void fallback_in_tainted_spb(enum pa_policy pol, bool tainted_first)
{
	const uint64_t spb_pages = 4 * PB_PAGES;
	struct pa_zone *z = tiny_spb(pol, 64, 6);
	uint64_t u[2 * PB_PAGES], m[8];
	unsigned nu, nm = 0;

	nu = use_up_unmovable(z, u, 2 * PB_PAGES);
	assert_int_equal(th_tainted_spbs(z), 1);
	uint64_t tainted = u[0] / spb_pages;

	while (nm < 8 && (m[nm] = pa_alloc_cpu(z, 0, 4, PA_GFP_MOVABLE |
					       PA_GFP_NOWARN)) != PA_NO_PFN)
		nm++;
	assert_int_equal(nm, 8 - nu / PB_PAGES);
	/* one movable pageblock in each SPB */
	unsigned in_t = nm, in_c = nm;

	for (unsigned i = 0; i < nm; i++) {
		if (m[i] / spb_pages == tainted)
			in_t = i;
		else
			in_c = i;
	}
	assert_true(in_t < nm && in_c < nm);
	unsigned first = tainted_first ? in_t : in_c;
	unsigned second = tainted_first ? in_c : in_t;

	assert_int_equal(pa_free_cpu(z, 0, m[first], 4), 0);
	pa_drain(z);
	assert_int_equal(pa_free_cpu(z, 0, m[second], 4), 0);
	pa_drain(z);
	m[first] = m[second] = PA_NO_PFN;
	check(z);
	uint64_t q = pa_alloc_cpu(z, 1, 0, 0);

	assert_int_not_equal(q, PA_NO_PFN);
	assert_int_equal(q / spb_pages, tainted);
	assert_int_equal(th_tainted_spbs(z), 1);
	check(z);
	assert_int_equal(pa_free_cpu(z, 1, q, 0), 0);
	for (unsigned i = 0; i < nu; i++)
		assert_int_equal(pa_free_cpu(z, 0, u[i], 0), 0);
	for (unsigned i = 0; i < nm; i++)
		if (m[i] != PA_NO_PFN)
			assert_int_equal(pa_free_cpu(z, 0, m[i], 4), 0);
	check(z);
	pa_zone_destroy(z);
}

static void fallback_prefers_tainted_spb(void **state)
{
	(void)state;
	for (size_t p = 0; p < NR_POLICIES; p++) {
		fallback_in_tainted_spb(policies[p], true);
		fallback_in_tainted_spb(policies[p], false);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(packs_before_a_fresh_block),
		cmocka_unit_test(fallback_steals_one_block),
		cmocka_unit_test(shortage_makes_owners_return),
		cmocka_unit_test(nonmovable_refill_takes_plain_batch),
		cmocka_unit_test(fallback_takes_what_is_needed),
		cmocka_unit_test(kept_chunk_splits),
		cmocka_unit_test(fallback_prefers_tainted_spb),
		cmocka_unit_test(nonmovable_refill_locks_zone_once),
		th_policy_test(refill_takes_own_type_before_converting),
	};

	return th_run_policy_group("pcpbuddy_antifrag", tests);
}
