/* SPDX-License-Identifier: MIT */
/*
 * The spb policy's search: which superpageblock (SPB) a zone-path
 * allocation or a whole-pageblock pageset refill is served from, as a
 * sequence of small passes (spb_steer.c), each choosing an SPB by AND +
 * find-first over the summary bitmaps (spb_pick.c) and then allocating
 * inside it.  Free lists are partitioned per SPB (one freearea partition
 * per SPB), so "inside it" is a list look-up, not a walk.
 *
 * "Tainted SPBs" below means tainted, then emptied ones (superpageblock.h:
 * SPBs whose non-movable content left but whose pageblocks kept the type).
 *
 * Passes, in order (the series' names):
 *   1   own type in preferred SPBs: movable in clean SPBs, then emptied,
 *       then tainted; non-movable in tainted, then emptied; fullest first
 *   2   non-movable: claim a whole free pageblock (movable, else the other
 *       non-movable type) inside a tainted SPB
 *   2b  non-movable: claim a partly free movable pageblock inside a tainted
 *       SPB, without the 50% rule; only with more than 8 SPBs (small
 *       machines keep the pageblock floor) or for atomic requests; refused
 *       if the pageblock holds the other non-movable type (no mixing)
 *   2c  non-movable: borrow a sub-pageblock block from the other
 *       non-movable type's list inside a tainted SPB; its pageblock keeps
 *       its type, the split pieces stay on the source list and the page
 *       returns there on free (seed 001)
 *   2d  non-movable: borrow a sub-pageblock movable block inside a tainted
 *       SPB, pageblock type unchanged
 *   3   non-movable: taint a clean SPB (the emptiest, so the new tainted
 *       SPB has room for the non-movable demand that follows): claim one
 *       whole free movable pageblock (a clean SPB has no pageblock of a
 *       non-movable type: superpageblock.h); only in the slow path's last
 *       attempt, not for PA_GFP_NORETRY
 *   4   movable: claim a whole free pageblock of another type, clean SPBs
 *       first, then emptied (which cleans them again), then tainted
 *   zone  the plain zone fallback (smallest own-type block anywhere, then
 *       mainline's claim-or-steal), so an allocation succeeds whenever an
 *       aligned free range exists; not for a non-movable PA_GFP_NORETRY
 *       request (it would fragment)
 *
 * Everything here runs under zone->lock.
 */
#ifndef PA_SPB_STEER_H
#define PA_SPB_STEER_H

#include <stdbool.h>
#include <stdint.h>

#include "pagealloc.h"

struct pa_zone;

enum spb_pass {
	SPB_PASS_1, SPB_PASS_2, SPB_PASS_2B, SPB_PASS_2C, SPB_PASS_2D,
	SPB_PASS_3, SPB_PASS_4, SPB_PASS_ZONE, SPB_PASS_NONE,
	SPB_NR_PASSES
};
_Static_assert(SPB_NR_PASSES == PA_SPB_NR_PASSES, "pa_stats.spb_pass follows enum spb_pass");

/* "1", "2b", ..., "zone", "none" */
const char *spb_pass_name(unsigned pass);

/* ---- spb_pick.c: choosing an SPB from the bitmaps ---- */

/* What one pick looks for: SPBs of category map `cat` (SPB_MAP_CLEAN or
 * SPB_MAP_TAINTED) holding a free block of type `mt` at an order in
 * [lo, hi]; fullness buckets fullest first, or emptiest first. */
struct spb_want {
	unsigned cat, mt, lo, hi;
	bool emptiest_first;
};

/* The first SPB matching `w`, or UINT64_MAX; *words counts the bitmap
 * words read. */
uint64_t spb_pick(const struct pa_zone *z, const struct spb_want *w,
		  uint64_t *words);

/* The block of type mt with an order in [lo, hi] in SPB `spb`: the
 * smallest order (or the largest, if largest_first), PA_NIL if none;
 * *order gets its order. */
uint32_t spb_block_in(struct pa_zone *z, uint64_t spb, unsigned mt,
		      unsigned lo, unsigned hi, bool largest_first,
		      unsigned *order);

/* ---- spb_steer.c: the passes ---- */

/* The search for one block of order/mt (policy op zone_rmqueue): every
 * pass, or (!fallback, a pageset refill's own-type round) Pass 1 alone;
 * PA_NIL if nothing may be taken. */
uint32_t spb_rmqueue(struct pa_zone *z, unsigned cpu, unsigned order,
		     unsigned mt, unsigned gfp, bool fallback);

/* pcpbuddy refill Phase 1 under spb (policy op pcp_take_pageblock): one
 * whole free pageblock for a pageset of type mt, converted to mt and off
 * the lists (its head pfn), or PA_NIL.  Own type where Pass 1 looks; with
 * `fallback`, Pass 2 (non-movable) or Pass 4 (movable).  Never taints a
 * clean SPB: the refill's last round, the full search, does if it must. */
uint32_t spb_take_pageblock(struct pa_zone *z, unsigned cpu, unsigned mt,
			    unsigned gfp, bool fallback);

/* pcpbuddy refill Phase 2 under spb (policy op pcp_adopt_pageblock): a
 * partly free pageblock of non-movable type mt that no pageset owns, with
 * a free chunk of order `order` .. pageblock order - 1, for the refilling
 * pageset to adopt: its index, or PA_NIL (a movable mt, an order of a
 * pageblock or more, or none in the few chunks looked at).  Where Pass 1
 * looks: tainted SPBs, then emptied ones, fullest first, so a pageset's
 * non-movable pages pack where that content already is, and the block's
 * later frees merge on the pageset instead of going one by one to the
 * zone.  The pageblock's content bit for mt is set (its pages leave the
 * lists for a pageset of mt).  Counted in pa_stats.spb_pb_adopted. */
uint32_t spb_adopt_pageblock(struct pa_zone *z, unsigned cpu, unsigned order,
			     unsigned mt);

/* Free-list partition: one per SPB. */
unsigned spb_part_shift(const struct pa_zone *z);

#endif
