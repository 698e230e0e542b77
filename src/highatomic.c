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
#include "isolate.h"
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

	/* An isolation begun inside the block since it was allocated leaves
	 * its pageblocks of two types: retyping them would undo it. */
	if (z->nr_reserved_highatomic >= STAT_LOAD(z->highatomic_max) ||
	    !mt_mergeable(mt) || !block_one_type(z, pfn, order))
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

/* The block of order above the pageblock's covering pfn, free or
 * allocated: its head and order, or false. */
static bool block_above_pageblock(const struct pa_zone *z, uint64_t pfn,
				  uint64_t *head, unsigned *order)
{
	for (unsigned o = z->pb_order + 1; o <= z->max_order; o++) {
		uint64_t h = pfn & ~((1ull << o) - 1);
		uint16_t st = page_state(&z->pages[h]);

		if (st && (st >> 8) >= o) {
			*head = h;
			*order = st >> 8;
			return true;
		}
	}
	return false;
}

/* A free block of pageblock order or more leaving the reserve: off
 * `from`'s list, retyped, and freed again (not just listed) so that it
 * merges with the free buddy its highatomic type kept it apart from. */
static void refree_block(struct pa_zone *z, uint64_t head, unsigned order,
			 unsigned from, unsigned to)
{
	fa_del(z, (uint32_t)head, order, from);
	pageblock_set_range_type(z, head, order, to);
	free_one_page(z, (uint32_t)head, order);
}

/* Give back every pageblock of a block spanning several together, so
 * that they keep one type (a free block goes back on one list, an
 * allocated one is freed onto one list): the reserved ones among them
 * leave the count. */
static void unreserve_spanning(struct pa_zone *z, uint64_t head, unsigned order,
			       unsigned mt)
{
	uint64_t first = head >> z->pb_order, n = 1ull << (order - z->pb_order);
	uint64_t reserved = 0;

	for (uint64_t i = 0; i < n; i++)
		reserved += pb_mt(&z->pb[first + i]) == PA_MT_HIGHATOMIC;
	if ((page_state(&z->pages[head]) & 0xff) == PG_BUDDY)
		refree_block(z, head, order, pb_mt(&z->pb[first]), mt);
	else
		pageblock_set_range_type(z, head, order, mt);
	STAT_ADD(z->nr_reserved_highatomic, -(reserved << z->pb_order));
}

/* One reserved pageblock no block spans beyond: entirely free, it is freed
 * again as a whole; otherwise its free pieces move lists (they merged
 * inside it already, all of one type). */
static void unreserve_one(struct pa_zone *z, uint64_t start, unsigned mt)
{
	uint16_t st = page_state(&z->pages[start]);

	if ((st & 0xff) == PG_BUDDY && (st >> 8) == z->pb_order)
		refree_block(z, start, z->pb_order, PA_MT_HIGHATOMIC, mt);
	else
		move_freepages_block(z, start, PA_MT_HIGHATOMIC, mt);
	STAT_ADD(z->nr_reserved_highatomic, -pb_nr_pages(z));
}

/* Reserved pageblock b back to `mt`, with the others of a block
 * spanning it. */
static void unreserve_at(struct pa_zone *z, uint64_t b, unsigned mt)
{
	uint64_t start = b << z->pb_order, head;
	unsigned order;

	if (block_above_pageblock(z, start, &head, &order))
		unreserve_spanning(z, head, order, mt);
	else
		unreserve_one(z, start, mt);
}

/* Give one reserved pageblock back to `mt`.  Under zone->lock. */
bool unreserve_highatomic_pageblock(struct pa_zone *z, unsigned mt)
{
	if (z->nr_reserved_highatomic == 0)
		return false;
	for (uint64_t b = 0; b < z->nr_pageblocks; b++) {
		if (pb_mt(&z->pb[b]) != PA_MT_HIGHATOMIC)
			continue;
		unreserve_at(z, b, mt);
		return true;
	}
	return false;
}

uint64_t unreserve_highatomic_range(struct pa_zone *z, uint64_t first,
				    uint64_t end, unsigned mt)
{
	uint64_t before = z->nr_reserved_highatomic;

	for (uint64_t b = first; b < end && z->nr_reserved_highatomic; b++)
		if (pb_mt(&z->pb[b]) == PA_MT_HIGHATOMIC)
			unreserve_at(z, b, mt);
	return before - z->nr_reserved_highatomic;
}
