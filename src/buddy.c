/* SPDX-License-Identifier: MIT */
/*
 * The zone's buddy allocator: free areas per order and migratetype, split
 * (expand) and merge, smallest-fit search, and the migratetype fallback that
 * either claims a whole pageblock or steals a single block, as Linux 6.x
 * does since its free-list hygiene rework: a free block always sits on the
 * list of its pageblock's migratetype, so pa_check can insist on it.
 *
 * Every function here runs under zone->lock.
 */
#include "buddy.h"
#include "llist.h"
#include "freearea_inline.h"
#include "pcp.h"
#include "trace.h"


void zone_count_moved(struct pa_zone *z, uint64_t pages)
{
	z->pages_this_hold += pages;
}

void zone_lock(struct pa_zone *z)
{
	pa_lock_acquire(&z->lock);
	z->pages_this_hold = 0;
	if (__atomic_load_n(&z->llist_head, __ATOMIC_RELAXED) != PA_NIL)
		zone_drain_llist(z);
}

bool zone_trylock(struct pa_zone *z)
{
	if (!pa_lock_try(&z->lock))
		return false;
	z->pages_this_hold = 0;
	if (__atomic_load_n(&z->llist_head, __ATOMIC_RELAXED) != PA_NIL)
		zone_drain_llist(z);
	return true;
}

bool zone_lock_gfp(struct pa_zone *z, unsigned gfp)
{
	if (gfp & PA_GFP_NOLOCK)
		return zone_trylock(z);
	zone_lock(z);
	return true;
}

void zone_update_fast_flags(struct pa_zone *z)
{
	uint64_t free = z->free_pages;
	unsigned f = 0;

	/* a max-order block of slack: the flag is only refreshed at unlock */
	if (free <= z->wmark_fast_ok + (2ull << z->max_order) &&
	    !(z->cfg.flags & PA_CFG_NO_WATERMARKS))
		f |= ZF_WMARK_CHECK;
	if (free < z->wmark_high) {
		f |= ZF_BELOW_HIGH;
		/* the kswapd wake-up (tick.c), checked only below high; the
		 * kernel's kswapd reclaims from there until free pages are
		 * back at high, the zone marked meanwhile */
		if (free < z->wmark_low) {
			reclaim_wake_kswapd(&z->reclaim);
			f |= ZF_RECLAIM_ACTIVE;
		} else {
			f |= STAT_LOAD(z->fast_flags) & ZF_RECLAIM_ACTIVE;
		}
	}
	if (f != STAT_LOAD(z->fast_flags))
		__atomic_store_n(&z->fast_flags, f, __ATOMIC_RELAXED);
}

void zone_unlock(struct pa_zone *z)
{
#ifdef PA_DEBUG_LISTS
	zone_debug_check_lists(z);
#endif
	zone_update_fast_flags(z);
	if (z->pages_this_hold > STAT_LOAD(z->max_pages_per_hold))
		__atomic_store_n(&z->max_pages_per_hold, z->pages_this_hold,
				 __ATOMIC_RELAXED);
	pa_lock_release(&z->lock);
}

/* Is the block at `pfn` a free buddy of exactly this order? */
static inline bool is_free_buddy(const struct pa_zone *z, uint64_t pfn,
				 unsigned order)
{
	return pfn < z->nr_pages &&
	       page_state(&z->pages[pfn]) == PG_STATE(PG_BUDDY, order);
}

/*
 * Put a block back and merge it with its free buddies.  Above pageblock
 * order, blocks of different types merge only when both types are ordinary
 * ones (not highatomic or isolated), and the merged block takes the freed
 * block's type so that a later split puts every piece on the right list.
 */
void free_one_page(struct pa_zone *z, uint32_t pfn, unsigned order)
{
	unsigned mt = pb_mt(pfn_pb(z, pfn));
	uint32_t freed = pfn;
	unsigned freed_order = order;

	zone_count(z, BLOCKS_MOVED, 1);

	while (order < z->max_order) {
		uint32_t buddy = pfn ^ (1u << order);

		if (!is_free_buddy(z, buddy, order))
			break;
		unsigned bmt = pb_mt(pfn_pb(z, buddy));

		if (order >= z->pb_order && bmt != mt &&
		    (!mt_mergeable(mt) || !mt_mergeable(bmt)))
			break;
		fa_del_piece_(z, buddy, order, bmt);
		if (bmt != mt)
			pageblock_set_range_type(z, buddy, order, mt);
		pfn &= buddy;
		order++;
	}

	/* one count per free, not per merge: the loop stays as it was */
	zone_count(z, BUDDY_MERGES, order - freed_order);

	/* When the next-larger buddy is free, this block is likely to merge
	 * soon: queue it at the tail so allocations take other blocks first. */
	bool tail = false;

	if (order + 1 < z->max_order) {
		uint32_t buddy = pfn ^ (1u << order);
		uint32_t higher = (pfn & buddy) ^ (1u << (order + 1));

		tail = buddy < z->nr_pages && is_free_buddy(z, higher, order + 1);
	}
	fa_add_piece_(z, pfn, order, mt, tail);
	/* the buddies merged in were free and stay free: only the freed
	 * block's pages change the pageblock counts */
	pb_account(z, freed, freed_order, true);
}

/*
 * Split a block just taken off the free lists (head, order `have`) down to
 * the aligned block of `order` holding `want`, giving every other piece
 * back to the lists of mt, at their heads (like the kernel's expand).  The
 * pieces stay free: the caller counts the pageblock(s) of `want` alone.
 */
static void split_to(struct pa_zone *z, uint32_t head, unsigned have,
		     uint32_t want, unsigned order, unsigned mt)
{
	zone_count(z, SPLIT_PIECES, have - order); /* one piece per halving */
	while (have > order) {
		have--;
		uint32_t half = 1u << have;

		if (want >= head + half) {
			fa_add_piece_(z, head, have, mt, false);
			head += half;
		} else {
			fa_add_piece_(z, head + half, have, mt, false);
		}
	}
}

void take_free_block(struct pa_zone *z, uint32_t head, unsigned have,
		     unsigned mt, uint32_t want, unsigned order)
{
	fa_del_piece_(z, head, have, mt);
	split_to(z, head, have, want, order, mt);
	pb_account(z, want, order, false);
	zone_count(z, BLOCKS_MOVED, 1);
}

uint32_t claim_whole_block(struct pa_zone *z, uint32_t head, unsigned have,
			   unsigned from, unsigned to, unsigned order)
{
	/* the pageblocks are retyped whole and free, so the summaries move
	 * their free pages from `from` to `to` */
	fa_del_piece_(z, head, have, from);
	if (from != to) {
		pageblock_set_range_type(z, head, have, to);
		zone_count(z, BLOCKS_CLAIMED, 1ull << (have - z->pb_order));
	}
	split_to(z, head, have, head, order, to);
	pb_account(z, head, order, false);
	zone_count(z, BLOCKS_MOVED, 1);
	return head;
}

uint32_t rmqueue_smallest(struct pa_zone *z, unsigned order, unsigned mt,
			  unsigned cpu)
{
	for (unsigned o = order; o <= z->max_order; o++) {
		uint32_t pfn = fa_first(z, o, mt);

		if (pfn == PA_NIL)
			continue;
		take_free_block(z, pfn, o, mt, pfn, order);
		if (TRACING(z))
			trace_zone_locked(z, cpu, pfn, order, mt,
					  pcp_allowed_order(z, order) &&
						  mt < PA_MT_PCPTYPES);
		return pfn;
	}
	return PA_NIL;
}

/* Falling back costs less for small movable requests if we do not claim:
 * movable pages do not pin a block for good.  Everything else should claim
 * so the block's type follows its contents. */
static bool should_try_claim_block(const struct pa_zone *z, unsigned order,
				   unsigned start_mt)
{
	if (order >= z->pb_order / 2 || order >= z->pb_order)
		return true;
	return start_mt == PA_MT_RECLAIMABLE || start_mt == PA_MT_UNMOVABLE;
}

/* -1: nothing at this order; -2: too small to claim, stop looking. */
static int find_suitable_fallback(struct pa_zone *z, unsigned order,
				  unsigned start_mt, bool claim)
{
	if (claim && !should_try_claim_block(z, order, start_mt))
		return -2;
	for (unsigned i = 0; i < PA_MT_NR_FALLBACKS; i++) {
		unsigned f = mt_fallback(start_mt, i);

		if (!fa_empty(z, order, f))
			return (int)f;
	}
	return -1;
}

/* Move every free block of a pageblock from `from`'s lists to `to`'s and
 * make the pageblock `to`.  A free block larger than a pageblock spans
 * others too: callers handle those whole (change_pageblock_range). */
void move_freepages_block(struct pa_zone *z, uint64_t start, unsigned from,
			  unsigned to)
{
	uint64_t end = start + pb_nr_pages(z), walked = 0;

	for (uint64_t pfn = start; pfn < end; walked++) {
		uint16_t st = page_state(&z->pages[pfn]);

		if (!st) {
			pfn++;
			continue;
		}
		unsigned order = st >> 8;

		if ((st & 0xff) == PG_BUDDY) {
			if (order > z->pb_order)
				break;
			fa_move(z, (uint32_t)pfn, order, from, to);
		}
		pfn += 1ull << order;
	}
	zone_count(z, PB_WALKED, walked);
	pageblock_set_type(z, pfn_to_pb(z, start), to);
}

/* Count allocated movable pages of a pageblock (its "alike" pages for a
 * movable claim). */
static uint64_t count_movable_pages(struct pa_zone *z, uint64_t start)
{
	uint64_t end = start + pb_nr_pages(z), n = 0, walked = 0;

	for (uint64_t pfn = start; pfn < end; walked++) {
		const struct pa_page *p = &z->pages[pfn];
		uint16_t st = page_state(p);

		if (!st) {
			pfn++;
			continue;
		}
		if ((st & PG_ALLOC) && page_mt(p) == PA_MT_MOVABLE)
			n += 1ull << (st >> 8);
		pfn += 1ull << (st >> 8);
	}
	zone_count(z, PB_WALKED, walked);
	return n;
}

static uint32_t try_to_claim_block(struct pa_zone *z, uint32_t pfn,
				   unsigned cur_order, unsigned order,
				   unsigned start_mt, unsigned block_mt,
				   unsigned cpu)
{
	if (cur_order >= z->pb_order)
		return claim_whole_block(z, pfn, cur_order, block_mt, start_mt,
					 order);

	uint64_t start = pfn & ~(pb_nr_pages(z) - 1);
	uint64_t free_pages = pfn_pb(z, pfn)->nr_free;
	uint64_t movable = count_movable_pages(z, start);
	uint64_t alike;

	if (start_mt == PA_MT_MOVABLE)
		alike = movable;
	else if (block_mt == PA_MT_MOVABLE)
		alike = pb_nr_pages(z) - (free_pages + movable);
	else
		alike = 0;
	if (free_pages + alike >= pb_nr_pages(z) / 2) {
		move_freepages_block(z, start, block_mt, start_mt);
		zone_count(z, BLOCKS_CLAIMED, 1);
		return rmqueue_smallest(z, order, start_mt, cpu);
	}
	return PA_NIL;
}

/* Free blocks looked at on one list when a fallback looks for one inside
 * a tainted superpageblock: a bounded walk, never the whole list. */
#define FALLBACK_TAINTED_TRIES 64

/* Whether a fallback for start_mt prefers blocks inside tainted
 * superpageblocks (POL_FALLBACK_TAINTED, non-movable requests): their
 * non-movable content already pins those SPBs, so one more non-movable
 * block there taints no new one, as the kernel prefers stealing from
 * blocks already of mixed use.  pcpbuddy's lists are not partitioned per
 * SPB (spb's are, and its Pass 2 picks from the bitmaps, which needs
 * that), hence a bounded walk of one list. */
static bool fallback_prefers_tainted(const struct pa_zone *z, unsigned start_mt)
{
	return (z->pflags & POL_FALLBACK_TAINTED) && start_mt != PA_MT_MOVABLE;
}

/* The fallback's block on list (order, mt): the first one, or where the
 * policy prefers tainted SPBs, the first of the first
 * FALLBACK_TAINTED_TRIES lying in a tainted SPB, if any.  The order is
 * the plain fallback's (largest claim, smallest steal): only the place
 * changes; looking only in tainted SPBs first, at any order, claimed
 * smaller blocks and converted more pageblocks (PCPBUDDY.md). */
static uint32_t fallback_candidate(struct pa_zone *z, unsigned order,
				   unsigned mt, unsigned start_mt)
{
	uint32_t first = fa_first(z, order, mt), pfn = first;

	if (!fallback_prefers_tainted(z, start_mt))
		return first;
	for (unsigned seen = 0; pfn != PA_NIL && seen < FALLBACK_TAINTED_TRIES;
	     seen++, pfn = fa_next(z, pfn, order, mt))
		if (spb_get(z, spb_of_pfn(z, pfn))->category == SPB_TAINTED)
			return pfn;
	return first;
}

uint32_t rmqueue_fallback(struct pa_zone *z, unsigned cpu, unsigned order,
			  unsigned start_mt)
{
	/* First try to claim the largest block of another type, so the
	 * fallback converts whole pageblocks instead of scattering. */
	for (int o = (int)z->max_order; o >= (int)order; o--) {
		int f = find_suitable_fallback(z, (unsigned)o, start_mt, true);

		if (f == -1)
			continue;
		if (f == -2)
			break;
		uint32_t pfn = fallback_candidate(z, (unsigned)o, (unsigned)f,
						  start_mt);
		uint32_t got = try_to_claim_block(z, pfn, (unsigned)o, order,
						  start_mt, (unsigned)f, cpu);

		if (got != PA_NIL) {
			zone_count(z, EXTFRAG_FALLBACKS, 1);
			if (TRACING(z))
				trace_extfrag(z, cpu, got, order, (unsigned)o,
					      start_mt, (unsigned)f, true);
			return got;
		}
	}
	/* Otherwise steal the smallest block that fits, leaving its
	 * pageblock's type alone. */
	for (unsigned o = order; o <= z->max_order; o++) {
		int f = find_suitable_fallback(z, o, start_mt, false);

		if (f < 0)
			continue;
		uint32_t pfn = fallback_candidate(z, o, (unsigned)f, start_mt);

		take_free_block(z, pfn, o, (unsigned)f, pfn, order);
		zone_count(z, EXTFRAG_FALLBACKS, 1);
		if (o < z->pb_order)
			zone_count(z, EXTFRAG_FRAGMENTING, 1);
		if (TRACING(z))
			trace_extfrag(z, cpu, pfn, order, o, start_mt,
				      (unsigned)f, false);
		return pfn;
	}
	return PA_NIL;
}

uint32_t rmqueue_gfp(struct pa_zone *z, unsigned cpu, unsigned order,
		     unsigned mt, unsigned gfp)
{
	if (z->ops->zone_rmqueue)
		return z->ops->zone_rmqueue(z, cpu, order, mt, gfp, true);
	uint32_t pfn = rmqueue_smallest(z, order, mt, cpu);

	if (pfn == PA_NIL && mt < PA_MT_PCPTYPES)
		pfn = z->ops->zone_fallback(z, cpu, order, mt);
	return pfn;
}

uint32_t rmqueue(struct pa_zone *z, unsigned cpu, unsigned order,
		 unsigned mt)
{
	/* the allocator's own moves (migration targets, contiguous ranges)
	 * are not requests that a slow path could retry */
	return rmqueue_gfp(z, cpu, order, mt, GFP_MAY_FRAGMENT);
}

/* One block for a pageset refill: own type only, or with fallback. */
static uint32_t rmqueue_refill(struct pa_zone *z, unsigned cpu,
			       unsigned order, unsigned mt, unsigned gfp,
			       bool fallback)
{
	if (z->ops->zone_rmqueue)
		return z->ops->zone_rmqueue(z, cpu, order, mt, gfp, fallback);
	return fallback ? rmqueue_gfp(z, cpu, order, mt, gfp)
			: rmqueue_smallest(z, order, mt, cpu);
}

int rmqueue_bulk(struct pa_zone *z, unsigned cpu, unsigned order, int count,
		 struct pfn_list *list, unsigned mt, unsigned gfp, bool fallback)
{
	int i;

	for (i = 0; i < count; i++) {
		uint32_t pfn = rmqueue_refill(z, cpu, order, mt, gfp, fallback);

		if (pfn == PA_NIL)
			break;
		set_page_state(&z->pages[pfn], PG_STATE(PG_PCP, order));
		pageblock_mark_content(z, pfn, order, mt);
		pfn_list_add_tail(z->pages, list, pfn);
	}
	uint64_t pages = (uint64_t)i << order;

	zone_count(z, PAGES_REFILL, pages);
	zone_count(z, PAGES_BULK, pages);
	zone_count_moved(z, pages);
	return i;
}

/* Frees deferred by the nolock API while zone->lock was busy. */
void zone_drain_llist(struct pa_zone *z)
{
	uint32_t chain = llist_take_all(&z->llist_head), pfn;
	uint64_t pages = 0;
	unsigned order;

	while ((pfn = llist_pop(z->pages, &chain, &order)) != PA_NIL) {
		free_one_page(z, pfn, order);
		pages += 1ull << order;
	}
	STAT_INC_SHARED(z->llist_pages, -pages);
	zone_count(z, PAGES_DIRECT_FREE, pages);
	zone_count_moved(z, pages);
}
