/* SPDX-License-Identifier: MIT */
/*
 * opcost - what one allocator call did, read as counter deltas: zone->lock
 * acquisitions, pages and free-list operations under it, remote-free list
 * pushes and absorptions.  pa_stats() sums every CPU and is too slow per
 * call, so this reads the zone's own counters through src/zone.h.  The
 * fields it depends on are exactly those in opcost_read(); when the zone's
 * counters move (an enum-indexed array, say), only that function changes.
 * Not thread-safe: for the single-threaded lab only.
 */
#ifndef PA_LAB_OPCOST_H
#define PA_LAB_OPCOST_H

#include <stdbool.h>
#include <stdint.h>

#include "pagealloc.h"

struct opcost {
	uint64_t zone_acq;       /* zone->lock acquisitions */
	uint64_t zone_pages;     /* pages moved under it: refill, drain,
	                          * direct alloc, direct free */
	uint64_t refilled;       /* pages refilled onto the tails of the
	                          * pageset's lists (rmqueue_bulk) */
	uint64_t zone_blocks;    /* free-list operations under it */
	uint64_t merges;         /* buddies its frees merged in, each read
	                          * and unlinked from its list */
	uint64_t splits;         /* pieces its splits put on the lists */
	uint64_t pb_walked;      /* entries its fallbacks' pageblock walks
	                          * looked at (claims) */
	uint64_t remote_pushed;  /* pages pushed to an owner's remote list */
	uint64_t remote_absorbed; /* pages an owner took off its remote list */
	uint64_t scanned;        /* pfns compaction's scanners stepped on */
	uint64_t free_scanned;   /* ... of which the free scanner's */
	uint64_t compact_runs;   /* compaction runs (each a fixed cost) */
	uint64_t migrated;       /* pages moved (compaction, evacuation,
	                          * contiguous allocation) */
	uint64_t migrated_blocks; /* the blocks they were in */
};

/* The zone's cumulative counters now. */
void opcost_read(const struct pa_zone *z, struct opcost *out);

/*
 * Map in the zone's page and pageblock metadata now, in transparent huge
 * pages where the system allows (the library maps it lazily: the first
 * touch of each page of it is a page fault, the lab's doing, where the
 * kernel's struct pages exist from boot, mapped with huge pages).  The
 * calibration's zones and --measure's get it alike.  Contents are
 * unchanged.  Returns 0, or -errno from madvise(MADV_POPULATE_WRITE)
 * (-EINVAL before Linux 5.14: nothing mapped ahead, no harm).
 */
int opcost_prefault(struct pa_zone *z);

/* d = after - before, field by field. */
void opcost_delta(const struct opcost *after, const struct opcost *before,
		  struct opcost *d);

/* Pages on CPU cpu's pageset now (its remote-free list included). */
uint64_t opcost_pcp_pages(const struct pa_zone *z, unsigned cpu);

/* Acquisitions of CPU cpu's pageset lock (pcp->lock) so far, by anyone:
 * its own calls, and other CPUs' drains (pa_drain) and the tick.  0 for a
 * zone without pagesets or a cpu out of range. */
uint64_t opcost_pcp_acq(const struct pa_zone *z, unsigned cpu);

/* Failed trylocks of CPU cpu's pageset lock so far (each one a caller
 * that fell back: the zone, or pcpbuddy's lock-free list).  0 as above. */
uint64_t opcost_pcp_trylock_fails(const struct pa_zone *z, unsigned cpu);

/*
 * Stand in for CPU cpu's task holding its pageset lock (the lab's
 * interrupts arrive during such a hold): take z->pcp[cpu].lock, so every
 * trylock of it fails until opcost_pcp_unhold().  Counts as one
 * acquisition of that lock.  Returns false (nothing taken) for a zone
 * without pagesets or a cpu out of range.  The lab is single-threaded:
 * nothing may spin on that lock meanwhile (only PA_GFP_NOLOCK
 * allocations and frees, which use trylocks, may run).
 */
bool opcost_pcp_hold(struct pa_zone *z, unsigned cpu);
void opcost_pcp_unhold(struct pa_zone *z, unsigned cpu);

/*
 * Merge passes over CPU cpu's pageset so far, for a policy whose
 * pagesets merge buddies (pcpbuddy, spb: each drain and each refill of an
 * order above 0 walks every chunk below pageblock order first); 0 for
 * any other policy.  `order_refills` says whether refills count (the
 * caller's request was of an order above 0).
 */
uint64_t opcost_pcp_passes(const struct pa_zone *z, unsigned cpu,
			   bool order_refills);

/* List entries CPU cpu's merge passes have looked at so far (the
 * pageset's MERGE_WALKED counter: a pass walks the chunks freed since the
 * last one, or whole lists when a pair spans two types); 0 as above. */
uint64_t opcost_pcp_walked(const struct pa_zone *z, unsigned cpu);

/* Chunks on CPU cpu's pageset now, below pageblock order, each given to
 * fn (may be NULL) with its order, lists in order of order and type,
 * each from its head (where a merge pass's window is), until fn returns
 * false: the chunks given.  O(chunks given); 0 as above. */
uint64_t opcost_pcp_chunks(const struct pa_zone *z, unsigned cpu,
			   bool (*fn)(void *arg, uint32_t pfn, unsigned order),
			   void *arg);

/*
 * The blocks a refill of `pages` pages (struct opcost `refilled`) put on
 * CPU cpu's list of (order, mt), asked right after the call that
 * refilled (a later free could sit among them): the list's last
 * pages >> order entries (rmqueue_bulk adds at the tail), newest first,
 * stopping early at the list's end or at an owned chunk (pcpbuddy puts
 * its own at the head), each given to fn.  Returns the blocks given:
 * fewer than pages >> order when the call took some of them.
 * O(blocks given); 0 for a zone without pagesets or an argument out of
 * range.
 */
uint64_t opcost_pcp_refilled(const struct pa_zone *z, unsigned cpu,
			     unsigned order, unsigned mt, uint64_t pages,
			     void (*fn)(void *arg, uint32_t pfn), void *arg);
/* Whether the allocated block at pfn is marked movable now (an owner
 * registered with pa_set_page_movable; a free clears the mark).  False
 * for a pfn out of range. */
bool opcost_page_marked(const struct pa_zone *z, uint64_t pfn);

/* The pcpbuddy owner (0-based CPU) of the pageblock holding pfn, or -1
 * when the zone owns it (always under mainline). */
int opcost_owner(const struct pa_zone *z, uint64_t pfn);

#endif
