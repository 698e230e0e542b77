/* SPDX-License-Identifier: MIT */
/*
 * Keeping superpageblocks (SPBs) clean and whole, under the spb policy:
 * the series' per-SPB defragmentation worker, evacuation of movable pages
 * out of tainted SPBs, the tainted-SPB reserve, and the two-phase targeted
 * evacuation the slow path runs before it drops the no-fragmentation rule.
 *
 * Thresholds, for a tainted SPB of N pageblocks of P pages, with the
 * reserve R = max(4, ceil(3% of N)), at most N / 2 (a tiny or partial SPB
 * would otherwise be defragmented for ever):
 *   start  free pageblocks <= 1 + R, or free pages < (2 + R) x P
 *   stop   free pageblocks >= 2 + R, or free pages >= (3 + R) x P, or no
 *          pageblock of the SPB can be emptied (no movable pages left)
 * A pass starts only if the stop condition does not already hold, and
 * (deferred evacuations aside) only while some clean SPB has a free
 * pageblock: otherwise movable requests for whole pageblocks would take
 * every pageblock it frees straight back (the SPB cools down instead).
 * Clean SPBs are never defragmented.  A pass that freed no pageblock puts the
 * SPB in a 5 s cooldown (on the caller's now_ns); a pass that did clears
 * it.
 *
 * Triggers, each setting the SPB's 'wanted' bit under zone->lock where the
 * event already happens (cheap: a few loads and one bit):
 *   - the SPB's fullness bucket changed (superpageblock.c);
 *   - a non-movable pass (1, 2, 2b, 2c, 2d) served from a tainted SPB
 *     (spb_steer.c);
 *   - Pass 3 is about to taint a clean SPB: the tainted SPBs are walked
 *     and those past the start threshold marked (spb_steer.c); for an
 *     atomic request, which cannot wait for migration, they are marked for
 *     deferred evacuation too, done regardless of the start threshold;
 *   - a movable pageblock holding movable pages was claimed for
 *     non-movable use: the pageblock is queued for evacuation of those
 *     pages (superpageblock.c).
 * The worker runs from ops->background (pa_zone_tick), with no zone lock
 * held across the owners' migrate callbacks.
 *
 * State: one 24-byte record per SPB (cooldown ends, wanted bits), a bitmap
 * of wanted SPBs and a ring of queued pageblocks, all under zone->lock.
 * Everything here does nothing on a zone without this state (mainline,
 * pcpbuddy).
 */
#ifndef PA_SPB_DEFRAG_H
#define PA_SPB_DEFRAG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "pageblock.h"
#include "superpageblock.h"

struct pa_zone;
struct pa_tick_stats;

#define SPB_DEFRAG_COOLDOWN_NS 5000000000ull  /* 5 s */
#define SPB_RESERVE_MIN 4u                    /* pageblocks */
#define SPB_RESERVE_PERCENT 3u
#define SPB_EVAC_RING 64u                     /* queued claimed pageblocks */

/* wanted bits */
#define SPB_WANT_DEFRAG   0x1u  /* check the thresholds, defragment */
#define SPB_WANT_EVACUATE 0x2u  /* deferred evacuation (an atomic request
                                 * would have tainted a clean SPB): run to
                                 * the stop threshold whatever the start */
#define SPB_WANT_SHRINK   0x4u  /* below the slab high water (spb_shrink.c) */

struct spb_defrag_spb {
	uint64_t cooldown_until_ns;   /* 0: none */
	uint64_t shrink_until_ns;     /* the same for slab shrinking */
	uint8_t want;                 /* SPB_WANT_* */
};

struct spb_defrag {
	struct spb_defrag_spb *spb;   /* room entries: every SPB the zone may
	                               * grow to (pa_zone_grow) */
	uint64_t room;
	uint64_t *wanted;             /* bitmap: want != 0 */
	uint64_t words;
	uint64_t last_now_ns;         /* the last tick's clock (zoneinfo);
	                               * written by the worker alone, atomic */
	uint64_t nr_pending;          /* wanted SPBs + queued pageblocks:
	                               * written under zone->lock, read
	                               * without it so an idle tick takes no
	                               * lock */
	uint64_t cursor;              /* where the next tick's search starts,
	                               * so no SPB starves behind lower ones */
	uint32_t ring[SPB_EVAC_RING]; /* pageblocks to evacuate */
	unsigned ring_head, ring_n;
};

/* Pageblocks of an SPB holding movable pages.  zone->lock held. */
static inline uint32_t spb_movable_pageblocks(const struct superpageblock *s)
{
	return s->nr_has[__builtin_ctz(PB_HAS_MOVABLE)];
}

/* ---- spb_defrag.c ---- */

/* The policy's state, from its init (nr_superpageblocks known): 0 or
 * -ENOMEM.  destroy accepts a zone whose init failed. */
int spb_defrag_init(struct pa_zone *z);
void spb_defrag_destroy(struct pa_zone *z);
uint64_t spb_defrag_bytes(const struct pa_zone *z);

/* The reserve of an SPB of nr_pageblocks pageblocks, and its thresholds
 * (summary read under zone->lock, or racily for a hint). */
uint32_t spb_reserve_pageblocks(uint32_t nr_pageblocks);
bool spb_defrag_should_start(const struct pa_zone *z,
			     const struct superpageblock *s);
bool spb_defrag_should_stop(const struct pa_zone *z,
			    const struct superpageblock *s);

/* Triggers, zone->lock held; no-ops without the state. */
void spb_defrag_fullness_changed(struct pa_zone *z, uint64_t spb);
void spb_defrag_pass_served(struct pa_zone *z, uint64_t spb);
void spb_defrag_before_taint(struct pa_zone *z, unsigned gfp);
/* Pageblock b's type changed from old_mt (pageblock_data has the new). */
void spb_defrag_pb_retyped(struct pa_zone *z, uint64_t b, unsigned old_mt);

/* ops->background: queued pageblocks, then wanted SPBs, a bounded number
 * of each per call.  No lock held by the caller; one call at a time per
 * zone (pa_zone_tick's rule).  Adds pages moved to out->evacuated and
 * out->compacted and sets PA_TICK_DEFRAG in out->woken when it ran.
 * With nothing wanted or queued it returns without taking zone->lock (a
 * trigger racing with that check is seen by the next tick). */
void spb_defrag_background(struct pa_zone *z, uint64_t now_ns,
			   struct pa_tick_stats *out);

/* The worker's pending count against the wanted map and the queue: NULL,
 * or the violation written into buf.  zone->lock held; NULL without the
 * state. */
const char *spb_defrag_check(const struct pa_zone *z, char *buf, size_t len);

/* zoneinfo's lines: SPBs wanted and cooling down now, pageblocks queued,
 * the reserve of a whole SPB.  Takes zone->lock. */
void spb_defrag_zoneinfo(struct pa_zone *z, FILE *f);

/* ---- spb_evacuate.c (no lock held by the caller) ---- */

/* Pageblocks a pass has tried, so that it never picks one twice. */
#define SPB_PB_TRIES 16u
struct spb_tried {
	unsigned n;
	uint64_t b[SPB_PB_TRIES];
};
/* Which pageblocks a pick considers (racy reads). */
typedef bool (*spb_pb_filter_fn)(const struct pa_zone *z, uint64_t b,
				 unsigned arg);
/* The untried pageblock of SPB `spb` passing `filter`, not entirely free,
 * with the most free pages (the cheapest to empty), recorded in *t; or
 * UINT64_MAX (none, or t is full). */
uint64_t spb_pick_pageblock(const struct pa_zone *z, uint64_t spb,
			    spb_pb_filter_fn filter, unsigned arg,
			    struct spb_tried *t);

/* Move the movable blocks of pageblock b to free blocks outside its SPB
 * (clean SPBs first, fullest first; else tainted SPBs past their stop
 * threshold), in batches; then pull back what the pagesets cache of the
 * pageblock, so an emptied one merges whole.  Pages moved. */
uint64_t spb_evacuate_pageblock(struct pa_zone *z, uint64_t b);
/* Could pageblock b become entirely free by migration?  Every block in it
 * free, cached or allocated and movable.  Racy reads (a wrong answer costs
 * a wasted scan). */
bool spb_pageblock_can_empty(const struct pa_zone *z, uint64_t b);
/* ops->evacuate_for_order: phase 1 empties movable pages out of
 * pageblocks of type mt in tainted SPBs until a free block of `order` of
 * mt appears there; phase 2 empties whole movable pageblocks of tainted
 * SPBs (for Pass 2 to claim).  Traced as spb_evacuate_for_order_done.
 * Pages moved. */
uint64_t spb_evacuate_for_order(struct pa_zone *z, unsigned order,
				unsigned mt);

/* ---- spb_shrink.c ---- */

/* Slab high water of an SPB: twice the stop threshold's free pageblocks
 * (2 x (2 + reserve)), at most its pageblocks. */
uint32_t spb_shrink_high_water(const struct superpageblock *s);
/* Tainted, holding reclaimable pageblocks, below the high water.
 * zone->lock held. */
bool spb_shrink_wanted(const struct superpageblock *s);
/* Ask the shrinkers (pa_reclaim, sc.migratetype PA_MT_RECLAIMABLE, the
 * SPB's pfn range) for the pages SPB i lacks to reach its high water,
 * unless it no longer needs them or a shrink that freed nothing put it in
 * the 5 s cooldown.  No lock held by the caller.  Pages freed. */
uint64_t spb_shrink_one(struct pa_zone *z, uint64_t i, uint64_t now_ns);

/* ---- trace.c ---- */
void trace_spb_evacuate_for_order_done(struct pa_zone *z, unsigned cpu,
				       unsigned order, unsigned mt,
				       unsigned phase1_tries,
				       unsigned phase2_tries, bool evacuated);

#endif
