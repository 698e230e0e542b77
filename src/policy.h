/* SPDX-License-Identifier: MIT */
/*
 * A policy: the decisions that differ between mainline, pcpbuddy and the
 * superpageblock allocator, as one table of operations chosen when the zone
 * is created.  The rest of the allocator calls through the table at these
 * few named points and never asks which policy it runs.
 *
 * Hot paths (the per-CPU hit and free) do not make an indirect call: they
 * test a flag bit of `flags`, copied into the zone, instead.
 */
#ifndef PA_POLICY_H
#define PA_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "pagealloc.h"

struct pa_zone;
struct per_cpu_pages;
struct pa_tick_stats;

/* flags: properties the inline fast paths read */
#define POL_PCP_ALL_ORDERS 0x1u /* pagesets cache every order up to the
                                 * pageblock (merged chunks), not just
                                 * 0..3 and the pageblock order; requests
                                 * of the orders between still go to the
                                 * zone, both ways (pcp_caches_free) */
#define POL_OWNED_BLOCKS   0x2u /* pagesets own pageblocks: frees route to
                                 * the owner (remote lock-free lists),
                                 * owned chunks may merge on the pageset */
#define POL_SPB_LISTS      0x4u /* free lists per superpageblock: needs
                                 * superpageblock_order >= max_order so
                                 * that no block crosses one */

#define POL_NOFRAG_RULE    0x8u /* non-movable requests keep a
                                 * no-fragmentation rule (spb: no clean
                                 * superpageblock tainted, no pageblock
                                 * fragmented) through every attempt but
                                 * the slow path's last (GFP_MAY_FRAGMENT) */

#define POL_SPARE_SCARCE   0x10u /* pcpbuddy's refill spares non-movable
                                 * types: a fallback takes one block, not a
                                 * pageblock; owners asked as soon as a
                                 * refill comes up short; costly cached
                                 * chunks kept for requests of their size */

#define POL_FALLBACK_TAINTED 0x20u /* a non-movable request's zone fallback
                                    * claims or steals inside an already
                                    * tainted superpageblock first */

/* Does the no-fragmentation rule bind a request of mt under policy flags
 * pflags (POL_NOFRAG_RULE: non-movable requests only)? */
static inline bool nofrag_rule_binds(unsigned pflags, unsigned mt)
{
	return (pflags & POL_NOFRAG_RULE) && mt != PA_MT_MOVABLE;
}

/* Internal gfp bit, outside PA_GFP_MASK so no caller can pass it: the
 * slow path's last attempt, after reclaim, compaction and evacuation
 * failed, may fragment.  A nolock request has no slow path, so its one
 * attempt is its last.  PA_GFP_NORETRY keeps the rule to the end. */
#define GFP_MAY_FRAGMENT 0x10000u

static inline bool gfp_keeps_nofrag_rule(unsigned gfp)
{
	return (gfp & PA_GFP_NORETRY) ||
	       !(gfp & (GFP_MAY_FRAGMENT | PA_GFP_NOLOCK));
}

struct pa_policy_ops {
	const char *name;
	unsigned flags;                 /* POL_* */
	/* free-list partition: pfn >> shift (>= 32: the whole zone) */
	unsigned (*fa_part_shift)(const struct pa_zone *z);
	/* extra state, after the pagesets exist; -ENOMEM */
	int (*init)(struct pa_zone *z);
	void (*destroy)(struct pa_zone *z);
	uint64_t (*metadata_bytes)(const struct pa_zone *z);

	/* --- pagesets (pcp->lock held) --- */
	/* take a block of order/mt from the pageset's lists, or PA_NIL */
	uint32_t (*pcp_take)(struct pa_zone *z, struct per_cpu_pages *pcp,
			     unsigned order, unsigned mt);
	/* fill the pageset for `batch` blocks of order/mt from the zone:
	 * pages added, or -EBUSY (nolock and zone->lock busy) */
	int (*pcp_refill)(struct pa_zone *z, unsigned cpu, unsigned order,
			  unsigned mt, unsigned gfp, int batch);
	/* give `count` pages back to the zone; start: the list index the
	 * last free went to (round-robin start); false if trylock failed */
	bool (*pcp_drain)(struct pa_zone *z, unsigned cpu, int count,
			  unsigned start, bool trylock);
	/* pull in frees other CPUs left for this pageset; may be NULL */
	void (*pcp_absorb)(struct pa_zone *z, unsigned cpu);
	/* after the drain that takes a CPU offline; may be NULL */
	void (*cpu_offline)(struct pa_zone *z, unsigned cpu);
	/* give the zone every block of pfns [start, end) the pageset holds,
	 * frees other CPUs left for it included (isolation pulls an isolated
	 * range back); zone->lock not held */
	void (*pcp_release_range)(struct pa_zone *z, unsigned cpu,
				  uint64_t start, uint64_t end);

	/* --- pageblock changes (zone->lock held; may be NULL) --- */
	/* the pageblock became entirely free in the zone */
	void (*pageblock_whole)(struct pa_zone *z, uint64_t b);
	/* the pageblock's migratetype changed */
	void (*pageblock_retyped)(struct pa_zone *z, uint64_t b);

	/* --- zone (zone->lock held) --- */
	/* own type exhausted: take another type's block, or PA_NIL */
	uint32_t (*zone_fallback)(struct pa_zone *z, unsigned cpu,
				  unsigned order, unsigned mt);
	/* the search for a block of order/mt under gfp's rules: own type
	 * only, or (`fallback`) with every fallback, replacing
	 * rmqueue_smallest and zone_fallback; may be NULL (spb steers both
	 * by superpageblock) */
	uint32_t (*zone_rmqueue)(struct pa_zone *z, unsigned cpu,
				 unsigned order, unsigned mt, unsigned gfp,
				 bool fallback);
	/* pcpbuddy refill Phase 1's pick: one whole free pageblock taken off
	 * the lists and converted to mt, of mt's own type or (`fallback`)
	 * of another; its head or PA_NIL (the refill owns it).  NULL under
	 * mainline. */
	uint32_t (*pcp_take_pageblock)(struct pa_zone *z, unsigned cpu,
				       unsigned mt, unsigned gfp, bool fallback);
	/* pcpbuddy refill Phase 2's adoption: a partly free pageblock of
	 * type mt (< PA_MT_PCPTYPES) that no pageset owns, holding a free
	 * chunk of at least `order` below a pageblock, for the refilling
	 * pageset to own from now on (its free fragments recovered as Phase
	 * 0 recovers, later frees of its pages routed to the owner); its
	 * index or PA_NIL.  NULL: no adoption (pcpbuddy, mainline). */
	uint32_t (*pcp_adopt_pageblock)(struct pa_zone *z, unsigned cpu,
					unsigned order, unsigned mt);

	/* --- contiguous allocation (zone->lock held; may be NULL) --- */
	/* a free naturally aligned range of 2^order pages (order may exceed
	 * max_order) for a request of type mt that the policy finds from its
	 * own metadata before any migration (spb: runs of clean, entirely
	 * free superpageblocks), off the free lists with no page state; or
	 * PA_NIL.  While gfp keeps the no-fragmentation rule
	 * (gfp_keeps_nofrag_rule) it takes nothing the rule protects (spb: a
	 * non-movable range inside a clean superpageblock) */
	uint32_t (*contig_take)(struct pa_zone *z, unsigned order, unsigned mt,
				unsigned gfp);
	/* where a contiguous request of 2^order pages of type mt is to be
	 * migrated empty first, before any free range the no-fragmentation
	 * rule protects is taken and before the zone-wide walk (spb: for a
	 * non-movable mt, inside tainted superpageblocks): the first such
	 * region at or after pfn `from`, its start returned and its end in
	 * *end, or PA_NO_PFN when there is no more; may be NULL */
	uint64_t (*contig_region)(struct pa_zone *z, unsigned order,
				  unsigned mt, uint64_t from, uint64_t *end);

	/* --- reclaim and background work (no zone lock held; may be NULL) */
	/* before the slow path drops the policy's no-fragmentation rule for
	 * a non-movable order/mt request, after reclaim and compaction
	 * failed: make room without fragmenting (spb: targeted evacuation
	 * of movable pages out of tainted superpageblocks); pages moved */
	uint64_t (*evacuate_for_order)(struct pa_zone *z, unsigned order,
				       unsigned mt);
	/* pa_zone_tick's policy step, after background reclaim (spb: the
	 * per-superpageblock defragmentation worker); adds to *out */
	void (*background)(struct pa_zone *z, uint64_t now_ns,
			   struct pa_tick_stats *out);

	/* pa_check's part: a message or NULL; *pending gets pages the
	 * policy holds off the lists and pagesets (remote lists) */
	const char *(*check)(struct pa_zone *z, char *buf, size_t len,
			     uint64_t *pending);
};

/* The table for a policy, or NULL if the library does not build it. */
const struct pa_policy_ops *policy_ops(unsigned policy);

extern const struct pa_policy_ops pa_policy_mainline;
extern const struct pa_policy_ops pa_policy_pcpbuddy;
extern const struct pa_policy_ops pa_policy_spb;

#endif
