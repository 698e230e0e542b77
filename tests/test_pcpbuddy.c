/* SPDX-License-Identifier: MIT */
/*
 * pcpbuddy on tiny zones with explicit CPU ids: each refill phase, merging
 * on the pageset, disowning on drain, remote frees, CPU offline with frees
 * in flight, and the purge pattern against mainline (counts, not times).
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

/* 8 pageblocks of 16 pages, max order 5, 2 CPUs, no watermarks */
static struct pa_zone *tiny(enum pa_policy pol, unsigned high)
{
	struct pa_config c = pa_config_default();

	c.bytes = 8 * 16 * 4096;
	c.pageblock_order = 4;
	c.max_order = 5;
	c.superpageblock_order = 4;
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

static void check(struct pa_zone *z)
{
	char msg[256];

	if (pa_check(z, msg, sizeof(msg)))
		fail_msg("pa_check: %s", msg);
}

static unsigned owned_blocks(struct pa_zone *z)
{
	uint8_t map[64];
	uint64_t n = pa_pageblock_map(z, 0, map, 64);
	unsigned owned = 0;

	for (uint64_t i = 0; i < n; i++)
		owned += !!(map[i] & PA_PB_OWNED);
	return owned;
}

static void phase1_claims_a_whole_block(void **state)
{
	(void)state;
	struct pa_zone *z = tiny(PA_POLICY_PCPBUDDY, 64);
	struct pa_stats s;

	uint64_t pfn = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);

	assert_int_not_equal(pfn, PA_NO_PFN);
	pa_stats(z, &s);
	assert_int_equal(s.pcpb_phase[1], 1);
	assert_int_equal(s.pcpb_blocks_claimed, 1);
	assert_int_equal(owned_blocks(z), 1);
	/* the other 15 pages of the block wait on CPU 0's list */
	assert_int_equal(s.pcp_pages, 15);
	check(z);
	assert_int_equal(pa_free_cpu(z, 0, pfn, 0), 0);
	pa_zone_destroy(z);
}

static void merge_on_pcp_then_disown_on_drain(void **state)
{
	(void)state;
	struct pa_zone *z = tiny(PA_POLICY_PCPBUDDY, 64);
	uint64_t p[16];
	struct pa_stats s;

	for (int i = 0; i < 16; i++) {
		p[i] = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);
		assert_int_not_equal(p[i], PA_NO_PFN);
	}
	pa_stats(z, &s);
	assert_int_equal(s.pcpb_blocks_claimed, 1); /* all 16 from one block */
	for (int i = 0; i < 16; i++)
		assert_int_equal(pa_free_cpu(z, 0, p[i], 0), 0);
	pa_stats(z, &s);
	assert_int_equal(s.pcp_pages, 16);
	check(z);
	uint64_t moved_before = s.zone_pages_drain;

	pa_drain(z);
	pa_stats(z, &s);
	/* the drain's merge pass turns 16 order-0 pages into one order-4
	 * chunk (15 merges), and the block goes back whole, disowned */
	assert_int_equal(s.pcpb_merges, 15);
	assert_int_equal(s.pcpb_blocks_disowned, 1);
	assert_int_equal(owned_blocks(z), 0);
	assert_int_equal(s.free_pages, s.managed_pages);
	/* the whole block went back in one piece */
	assert_int_equal(s.zone_pages_drain - moved_before, 16);
	check(z);
	pa_zone_destroy(z);
}

static void phase0_recovers_fragments_before_new_blocks(void **state)
{
	(void)state;
	struct pa_zone *z = tiny(PA_POLICY_PCPBUDDY, 64);
	uint64_t p[16];
	struct pa_stats s;

	for (int i = 0; i < 16; i++)
		p[i] = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);
	/* free every other page: fragments that cannot merge */
	for (int i = 0; i < 16; i += 2)
		assert_int_equal(pa_free_cpu(z, 0, p[i], 0), 0);
	pa_drain_cpu(z, 0); /* fragments to the zone, block remembered */
	pa_stats(z, &s);
	assert_int_equal(s.pcp_pages, 0);
	assert_int_equal(owned_blocks(z), 1);
	uint64_t claimed = s.pcpb_blocks_claimed;

	check(z);
	uint64_t q = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);

	assert_int_not_equal(q, PA_NO_PFN);
	pa_stats(z, &s);
	assert_int_equal(s.pcpb_phase[0], 1);
	/* Phase 0 stops at the pages needed (one refill batch) ... */
	assert_true(s.pcpb_phase0_pages >= 1 && s.pcpb_phase0_pages <= 8);
	assert_int_equal(s.pcpb_blocks_claimed, claimed); /* no new block */
	/* the scan is bounded by the block: at most one pfn per page */
	assert_true(s.pcpb_phase0_scanned <= 16);
	/* the page came from the recovered block */
	assert_int_equal(q / 16, p[0] / 16);
	check(z);
	/* ... and the rest stays recoverable: the next allocations are served
	 * from the same block until every fragment is back (a refill that
	 * empties the owned list may then claim a new block) */
	for (int i = 0; i < 7; i++) {
		uint64_t r = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);

		assert_int_equal(r / 16, p[0] / 16);
	}
	pa_stats(z, &s);
	assert_int_equal(s.pcpb_phase0_pages, 8);
	check(z);
	pa_zone_destroy(z);
}

static void phase2_takes_chunks_when_no_room_for_a_block(void **state)
{
	(void)state;
	/* high 8 < 16 pages per block: Phase 1 must not claim */
	struct pa_zone *z = tiny(PA_POLICY_PCPBUDDY, 8);
	struct pa_stats s;

	uint64_t pfn = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);

	assert_int_not_equal(pfn, PA_NO_PFN);
	pa_stats(z, &s);
	assert_int_equal(s.pcpb_blocks_claimed, 0);
	assert_int_equal(s.pcpb_phase[1], 0);
	assert_true(s.pcpb_phase[2] + s.pcpb_phase[3] >= 1);
	assert_int_equal(owned_blocks(z), 0);
	check(z);
	pa_zone_destroy(z);
}

static void phase3_falls_back_between_migratetypes(void **state)
{
	(void)state;
	struct pa_zone *z = tiny(PA_POLICY_PCPBUDDY, 8);
	struct pa_stats s;

	/* every pageblock starts Movable: an unmovable request finds nothing
	 * of its own type in Phases 0-2 and must fall back */
	uint64_t pfn = pa_alloc_cpu(z, 1, 0, 0);

	assert_int_not_equal(pfn, PA_NO_PFN);
	pa_stats(z, &s);
	assert_int_equal(s.pcpb_phase[3], 1);
	assert_true(s.extfrag_fallbacks >= 1);
	check(z);
	pa_zone_destroy(z);
}

static void remote_frees_return_to_the_owner(void **state)
{
	(void)state;
	struct pa_zone *z = tiny(PA_POLICY_PCPBUDDY, 64);
	uint64_t p[8];
	struct pa_stats s;

	for (int i = 0; i < 8; i++)
		p[i] = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);
	check(z);
	pa_stats(z, &s);
	uint64_t zone_acq = s.zone_lock.acquisitions;

	for (int i = 0; i < 8; i++)
		assert_int_equal(pa_free_cpu(z, 1, p[i], 0), 0);
	pa_stats(z, &s);
	assert_int_equal(s.pcpb_remote_pushed, 8);
	/* no zone->lock for remote frees */
	assert_int_equal(s.zone_lock.acquisitions, zone_acq);
	/* the owner absorbs them at its next allocation and reuses them */
	uint64_t q = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);

	pa_stats(z, &s);
	assert_int_equal(s.pcpb_remote_absorbed, 8);
	assert_int_equal(s.zone_lock.acquisitions, zone_acq);
	assert_int_equal(q / 16, p[0] / 16);
	assert_int_equal(pa_free_cpu(z, 0, q, 0), 0);
	check(z);
	pa_zone_destroy(z);
}

static void offline_with_remote_frees_in_flight(void **state)
{
	(void)state;
	struct pa_zone *z = tiny(PA_POLICY_PCPBUDDY, 64);
	uint64_t p[12];
	struct pa_stats s;

	for (int i = 0; i < 12; i++)
		p[i] = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);
	/* some frees sit on CPU 0's remote list when it goes offline */
	for (int i = 0; i < 6; i++)
		assert_int_equal(pa_free_cpu(z, 1, p[i], 0), 0);
	assert_int_equal(pa_cpu_offline(z, 0), 0);
	check(z);
	pa_stats(z, &s);
	assert_int_equal(owned_blocks(z), 0); /* every owned entry detached */
	/* frees aimed at the dead CPU go to the zone */
	for (int i = 6; i < 12; i++)
		assert_int_equal(pa_free_cpu(z, 1, p[i], 0), 0);
	check(z);
	assert_int_equal(pa_cpu_online(z, 0), 0);
	pa_drain(z);
	pa_stats(z, &s);
	assert_int_equal(s.free_pages, s.managed_pages);
	assert_int_equal(s.pgalloc, s.pgfree);
	check(z);
	/* and CPU 0 works again */
	uint64_t q = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);

	assert_int_not_equal(q, PA_NO_PFN);
	assert_int_equal(pa_free_cpu(z, 0, q, 0), 0);
	check(z);
	pa_zone_destroy(z);
}

/* The jemalloc purge pattern: faults on CPU 0, purges on CPU 1. */
static uint64_t purge_pages_moved(enum pa_policy pol, uint64_t *back_on_cpu0)
{
	struct pa_config c = pa_config_default();

	c.bytes = 256ull << 20;
	c.ncpus = 2;
	c.policy = pol;
	/* pagesets big enough to hold a pageblock (as on any zone of a few
	 * GiB), the same for both policies */
	c.pcp_high_min = 2048;
	c.pcp_high_max = 8192;
	struct pa_zone *z = pa_zone_create(&c);
	uint64_t p[256];
	struct pa_stats s;

	assert_non_null(z);
	for (int r = 0; r < 200; r++) {
		for (int i = 0; i < 256; i++) {
			p[i] = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);
			assert_int_not_equal(p[i], PA_NO_PFN);
		}
		for (int i = 0; i < 256; i++)
			assert_int_equal(pa_free_cpu(z, 1, p[i], 0), 0);
	}
	pa_stats(z, &s);
	*back_on_cpu0 = s.pcpb_remote_pushed;
	check(z);
	pa_zone_destroy(z);
	return s.zone_pages_refill + s.zone_pages_drain +
	       s.zone_pages_direct_alloc + s.zone_pages_direct_free;
}

static void purge_pattern_beats_mainline(void **state)
{
	(void)state;
	uint64_t back_main, back_pcpb;
	uint64_t mainline = purge_pages_moved(PA_POLICY_MAINLINE, &back_main);
	uint64_t pcpb = purge_pages_moved(PA_POLICY_PCPBUDDY, &back_pcpb);

	print_message("purge: zone->lock pages moved mainline %llu, pcpbuddy %llu\n",
		      (unsigned long long)mainline, (unsigned long long)pcpb);
	assert_int_equal(back_main, 0);
	assert_int_equal(back_pcpb, 200 * 256); /* every free went home */
	assert_true(pcpb * 10 < mainline);
}

/* Exit avalanche: CPUs 1..3 fault pages in, CPU 0 frees them all.  The
 * same pages return to the zone under both policies; pcpbuddy hands them
 * back merged, in far fewer free-list operations. */
static uint64_t avalanche_ops(enum pa_policy pol, uint64_t *pages)
{
	struct pa_config c = pa_config_default();
	enum { N = 32768 };
	uint64_t *p = malloc(sizeof(*p) * N);
	struct pa_stats s;

	c.bytes = 256ull << 20;
	c.ncpus = 4;
	c.policy = pol;
	c.pcp_high_min = 2048;
	c.pcp_high_max = 8192;
	struct pa_zone *z = pa_zone_create(&c);

	assert_non_null(z);
	assert_non_null(p);
	for (int i = 0; i < N; i++) {
		p[i] = pa_alloc_cpu(z, 1 + (unsigned)(i / 64 % 3), 0, PA_GFP_MOVABLE);
		assert_int_not_equal(p[i], PA_NO_PFN);
	}
	pa_stats(z, &s);
	uint64_t ops0 = s.zone_blocks_moved;
	uint64_t pages0 = s.zone_pages_drain + s.zone_pages_direct_free;

	for (int i = 0; i < N; i++)
		assert_int_equal(pa_free_cpu(z, 0, p[i], 0), 0);
	pa_drain(z);
	check(z);
	pa_stats(z, &s);
	assert_int_equal(s.free_pages, s.managed_pages);
	*pages = s.zone_pages_drain + s.zone_pages_direct_free - pages0;
	pa_zone_destroy(z);
	free(p);
	return s.zone_blocks_moved - ops0;
}

static void avalanche_frees_in_chunks(void **state)
{
	(void)state;
	uint64_t pages_main, pages_pcpb;
	uint64_t ops_main = avalanche_ops(PA_POLICY_MAINLINE, &pages_main);
	uint64_t ops_pcpb = avalanche_ops(PA_POLICY_PCPBUDDY, &pages_pcpb);

	print_message("avalanche: free-list ops mainline %llu, pcpbuddy %llu (pages %llu, %llu)\n",
		      (unsigned long long)ops_main, (unsigned long long)ops_pcpb,
		      (unsigned long long)pages_main, (unsigned long long)pages_pcpb);
	assert_true(ops_pcpb * 10 < ops_main);
}

/* Found by the fuzzer: remote frees absorbed by a pageset that owns many
 * small blocks can leave far more pages on it than high_max, and the
 * tick's decay (which keeps high near count to bound one drain) then
 * raised high past high_max. */
static void tick_keeps_high_within_bounds(void **state)
{
	(void)state;
	struct pa_config c = pa_config_default();

	c.bytes = 32 * 4 * 4096;
	c.pageblock_order = 2; /* 4-page blocks: small enough to claim */
	c.max_order = 5;
	c.superpageblock_order = 5;
	c.ncpus = 2;
	c.policy = PA_POLICY_PCPBUDDY;
	c.flags = PA_CFG_NO_WATERMARKS;
	c.pcp_batch = 1;
	c.pcp_high_min = 4;
	c.pcp_high_max = 8;
	struct pa_zone *z = pa_zone_create(&c);
	uint64_t p[80];
	struct pa_stats s;

	assert_non_null(z);
	for (int i = 0; i < 80; i++) /* CPU 1 claims and owns the blocks */
		assert_int_not_equal(p[i] = pa_alloc_cpu(z, 1, 0, PA_GFP_MOVABLE),
				     PA_NO_PFN);
	for (int i = 0; i < 80; i++) /* CPU 0 frees them: remote pushes */
		assert_int_equal(pa_free_cpu(z, 0, p[i], 0), 0);
	/* CPU 1 absorbs them at its next allocation: way past high_max */
	uint64_t q = pa_alloc_cpu(z, 1, 0, PA_GFP_MOVABLE);

	pa_stats(z, &s);
	assert_true(s.pcp_pages > 40);
	for (int t = 0; t < 8; t++) {
		pa_pcp_tick(z);
		check(z); /* includes high_min <= high <= high_max */
	}
	assert_int_equal(pa_free_cpu(z, 1, q, 0), 0);
	pa_drain(z);
	check(z);
	pa_zone_destroy(z);
}

static void bad_frees_rejected_under_pcpbuddy(void **state)
{
	(void)state;
	struct pa_zone *z = tiny(PA_POLICY_PCPBUDDY, 64);
	uint64_t pfn = pa_alloc_cpu(z, 0, 1, PA_GFP_MOVABLE);

	assert_int_equal(pa_free_cpu(z, 1, pfn, 0), -22);
	assert_int_equal(pa_free_cpu(z, 1, pfn + 1, 0), -22);
	assert_int_equal(pa_free_cpu(z, 1, pfn, 1), 0);
	assert_int_equal(pa_free_cpu(z, 1, pfn, 1), -22); /* double, remote */
	check(z);
	pa_zone_destroy(z);
}

/*
 * The merge pass walks only the chunks freed since the last pass (their
 * list's first merge_new entries): that misses no pair only if every pair
 * keeps a chunk there.  pa_check tests exactly that
 * (src/pcpbuddy.c check_merge_window), so random allocations and frees of
 * orders 0-3 of all three types, local and remote, with drains and ticks
 * between them, are checked every few steps.  A window cut to one entry
 * fails here.
 */
static void merge_window_holds_every_pair_under(enum pa_policy pol,
						uint64_t seed)
{
	struct th_rng rng = { seed };
	struct pa_config c = th_config(32, 4, 6, PA_CFG_NO_WATERMARKS, 2);

	c.policy = pol;
	c.pcp_batch = 4;
	c.pcp_high_min = c.pcp_high_max = 48;
	struct pa_zone *z = th_zone_create(&c);
	static const unsigned gfps[] = { 0, PA_GFP_MOVABLE, PA_GFP_RECLAIMABLE };
	struct { uint64_t pfn; unsigned order; } held[128];
	unsigned n = 0;
	struct pa_stats s;

	for (int step = 0; step < 6000; step++) {
		unsigned r = th_below(&rng, 100), cpu = th_below(&rng, 2);

		if (r < 48 && n < 128) {
			unsigned order = th_below(&rng, 8) < 5 ? 0 : th_below(&rng, 4);
			uint64_t pfn = pa_alloc_cpu(z, cpu, order,
						    gfps[th_below(&rng, 3)] | PA_GFP_NOWARN);

			if (pfn != PA_NO_PFN)
				held[n].pfn = pfn, held[n++].order = order;
		} else if (r < 92 && n) {
			unsigned i = th_below(&rng, n);

			assert_int_equal(pa_free_cpu(z, cpu, held[i].pfn, held[i].order), 0);
			held[i] = held[--n];
		} else if (r < 97) {
			pa_drain_cpu(z, cpu);
		} else {
			pa_pcp_tick(z);
		}
		if (step % 16 == 0)
			check(z);
	}
	while (n--)
		assert_int_equal(pa_free_cpu(z, 0, held[n].pfn, held[n].order), 0);
	check(z);
	pa_drain(z);
	check(z);
	pa_stats(z, &s);
	assert_true(s.pcpb_merges > 0);
	assert_int_equal(s.free_pages, s.managed_pages);
	th_zone_destroy(z);
}

static void merge_window_holds_every_pair(void **state)
{
	(void)state;
	uint64_t seed = th_seed("merge_window_holds_every_pair");

	merge_window_holds_every_pair_under(PA_POLICY_PCPBUDDY, seed);
	merge_window_holds_every_pair_under(PA_POLICY_SPB, seed);
}

/* pcpb_merge_walked counts the list entries a merge pass looks at (the
 * lab prices passes by it): on a pageset of two pageblocks (refills take
 * whole blocks, owned), high - 1 unmergeable chunks freed onto an
 * empty pageset make no pass; the free that reaches high drains, and the
 * drain's pass looks at each of the high new chunks twice (the check for
 * pairs across types, then the merge walk), under pcpbuddy and spb alike.
 * Mainline has no passes. */
static void merge_pass_counts_what_it_walks(void **state)
{
	const enum pa_policy pols[] = { PA_POLICY_MAINLINE, PA_POLICY_PCPBUDDY,
					 PA_POLICY_SPB };
	const unsigned high = 1024; /* two pageblocks: whole blocks are owned */
	(void)state;

	for (unsigned k = 0; k < sizeof(pols) / sizeof(pols[0]); k++) {
		struct pa_config c = pa_config_default();
		struct pa_stats s0, s1, s2;
		uint64_t span = 2 * (uint64_t)high, got = 0;

		c.bytes = 16ull << 20;
		c.ncpus = 1;
		c.policy = pols[k];
		c.flags = PA_CFG_NO_WATERMARKS;
		c.pcp_high_min = c.pcp_high_max = high;
		struct pa_zone *z = pa_zone_create(&c);

		assert_non_null(z);
		/* the lowest pages, every buddy of an even pfn allocated */
		while (got < span &&
		       pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE) != PA_NO_PFN)
			got++;
		assert_int_equal(got, span);
		pa_drain(z);
		pa_stats(z, &s0);
		for (unsigned i = 0; i + 1 < high; i++)
			assert_int_equal(pa_free_cpu(z, 0, 2 * (uint64_t)i, 0), 0);
		pa_stats(z, &s1);
		assert_int_equal(s1.pcp_drains, s0.pcp_drains);
		assert_int_equal(s1.pcpb_merge_walked, s0.pcpb_merge_walked);
		assert_int_equal(pa_free_cpu(z, 0, 2 * (uint64_t)(high - 1), 0), 0);
		pa_stats(z, &s2);
		assert_int_equal(s2.pcp_drains, s1.pcp_drains + 1);
		assert_int_equal(s2.pcpb_merge_walked - s1.pcpb_merge_walked,
				 pols[k] == PA_POLICY_MAINLINE ? 0 : 2 * high);
		check(z);
		pa_zone_destroy(z);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(phase1_claims_a_whole_block),
		cmocka_unit_test(merge_on_pcp_then_disown_on_drain),
		cmocka_unit_test(phase0_recovers_fragments_before_new_blocks),
		cmocka_unit_test(phase2_takes_chunks_when_no_room_for_a_block),
		cmocka_unit_test(phase3_falls_back_between_migratetypes),
		cmocka_unit_test(remote_frees_return_to_the_owner),
		cmocka_unit_test(offline_with_remote_frees_in_flight),
		cmocka_unit_test(purge_pattern_beats_mainline),
		cmocka_unit_test(avalanche_frees_in_chunks),
		cmocka_unit_test(tick_keeps_high_within_bounds),
		cmocka_unit_test(merge_pass_counts_what_it_walks),
		cmocka_unit_test(bad_frees_rejected_under_pcpbuddy),
		cmocka_unit_test(merge_window_holds_every_pair),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
