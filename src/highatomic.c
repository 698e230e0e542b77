/* SPDX-License-Identifier: MIT */
/*
 * The highatomic reserve: when a high-order atomic allocation succeeds, its
 * pageblock is set aside (up to ~1% of the zone) so later atomic high-order
 * requests, which cannot wait for reclaim, still find contiguous memory.
 * Ordinary allocations give the reserve back when they would otherwise fail.
 * The reserve is counted in whole pageblocks so pa_check can verify it.
 */
#include "highatomic.h"
#include "buddy.h"
#include "zone.h"

void reserve_highatomic_pageblock(struct pa_zone *z, uint32_t pfn,
				  unsigned order, unsigned gfp)
{
	if (STAT_LOAD(z->highatomic_max) == 0 ||
	    STAT_LOAD(z->nr_reserved_highatomic) >= STAT_LOAD(z->highatomic_max))
		return;
	/* nolock callers never wait: the reservation is an optimisation */
	if (!zone_lock_gfp(z, gfp))
		return;
	unsigned mt = pb_mt(pfn_pb(z, pfn));

	if (z->nr_reserved_highatomic >= STAT_LOAD(z->highatomic_max) || !mt_mergeable(mt))
		goto out;
	uint64_t first = pfn_to_pb(z, pfn);
	uint64_t n = order > z->pb_order ? 1ull << (order - z->pb_order) : 1;

	/* The allocated block covers these pageblocks, so none of them has a
	 * free block spanning beyond it. */
	for (uint64_t i = 0; i < n; i++)
		move_freepages_block(z, (first + i) << z->pb_order, mt,
			       PA_MT_HIGHATOMIC);
	__atomic_store_n(&z->nr_reserved_highatomic,
			 z->nr_reserved_highatomic + (n << z->pb_order),
			 __ATOMIC_RELAXED);
out:
	zone_unlock(z);
}

/* Give one reserved pageblock back to `mt`.  Under zone->lock. */
bool unreserve_highatomic_pageblock(struct pa_zone *z, unsigned mt)
{
	if (z->nr_reserved_highatomic == 0)
		return false;
	for (uint64_t b = 0; b < z->nr_pageblocks; b++) {
		if (pb_mt(&z->pb[b]) != PA_MT_HIGHATOMIC)
			continue;
		uint64_t start = b << z->pb_order;
		uint16_t st = page_state(&z->pages[start]);

		if ((st & 0xff) == PG_BUDDY && (st >> 8) > z->pb_order) {
			/* A free block spanning several reserved pageblocks:
			 * return them together. */
			unsigned order = st >> 8;
			uint64_t n = 1ull << (order - z->pb_order);

			fa_del(z, (uint32_t)start, order, PA_MT_HIGHATOMIC);
			pageblock_set_range_type(z, start, order, mt);
			fa_add(z, (uint32_t)start, order, mt, false);
			STAT_ADD(z->nr_reserved_highatomic, -(n << z->pb_order));
		} else {
			move_freepages_block(z, start, PA_MT_HIGHATOMIC, mt);
			STAT_ADD(z->nr_reserved_highatomic, -pb_nr_pages(z));
		}
		return true;
	}
	return false;
}
