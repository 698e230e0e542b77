/* SPDX-License-Identifier: MIT */
/*
 * The buddy allocator under zone->lock (buddy.c): zone->lock itself, the
 * merge on free, the split on allocation, the kernel's fallback between
 * migratetypes, pageset refills in bulk, and the lock-free deferred frees
 * of the nolock API.  Everything but the lock calls runs under zone->lock.
 */
#ifndef PA_BUDDY_H
#define PA_BUDDY_H

#include <stdbool.h>
#include <stdint.h>

#include "zone.h"

/* Recompute fast_flags from free_pages; zone->lock held. */
void zone_update_fast_flags(struct pa_zone *z);
/* Take zone->lock, waiting; frees the nolock API deferred meanwhile are
 * put back first.  Lock order: a pcp->lock may be held, never the other
 * way round. */
void zone_lock(struct pa_zone *z);
/* The same without waiting: false if zone->lock is busy. */
bool zone_trylock(struct pa_zone *z);
/* zone_lock, or only a trylock when gfp has PA_GFP_NOLOCK: false then
 * means zone->lock was busy and nothing is held. */
bool zone_lock_gfp(struct pa_zone *z, unsigned gfp);
/* Drop zone->lock, after updating fast_flags and the per-hold statistics. */
void zone_unlock(struct pa_zone *z);
#ifdef PA_DEBUG_LISTS
/* check.c: aborts, saying why, if a free list is not as pa_check wants. */
void zone_debug_check_lists(struct pa_zone *z);
#endif
/* Put a block on the free lists, merged with its free buddies. */
void free_one_page(struct pa_zone *z, uint32_t pfn, unsigned order);
/* Move the free blocks of the pageblock at start from `from`'s lists to
 * `to`'s and make the pageblock `to`. */
void move_freepages_block(struct pa_zone *z, uint64_t start, unsigned from,
			  unsigned to);
/* The smallest free block of type mt at order or above, split down to
 * order; PA_NIL if none. */
uint32_t rmqueue_smallest(struct pa_zone *z, unsigned order, unsigned mt,
			  unsigned cpu);
/* Take the free block (head, order `have`) off list mt, split down to the
 * block of `order` holding `want`, the rest back on mt's lists. */
void take_free_block(struct pa_zone *z, uint32_t head, unsigned have,
		     unsigned mt, uint32_t want, unsigned order);
/* Claim a whole free block of order >= pageblock order for type `to`: off
 * `from`'s list, every pageblock it covers converted, split down to
 * `order` (the first piece is returned, the rest go on `to`'s lists). */
uint32_t claim_whole_block(struct pa_zone *z, uint32_t head, unsigned have,
			   unsigned from, unsigned to, unsigned order);
/* The kernel's fallback: claim the largest block of another type, else
 * steal the smallest (mainline's and pcpbuddy's zone_fallback).  Under
 * POL_FALLBACK_TAINTED a non-movable request takes, at the same order,
 * a block inside a tainted superpageblock if one is among the first 64
 * on the list.  Returns the block's pfn or PA_NIL; zone->lock held. */
uint32_t rmqueue_fallback(struct pa_zone *z, unsigned cpu, unsigned order,
			  unsigned start_mt);
/* One block of order/mt: the policy's search, or the smallest own-type
 * block then the policy's fallback; PA_NIL if none. */
uint32_t rmqueue(struct pa_zone *z, unsigned cpu, unsigned order,
		 unsigned mt);
/* rmqueue for a request with gfp flags (the policy may steer by them). */
uint32_t rmqueue_gfp(struct pa_zone *z, unsigned cpu, unsigned order,
		     unsigned mt, unsigned gfp);
/* Up to `count` blocks onto a pageset list (PG_PCP), own type only or
 * with the zone's fallback; returns how many. */
int rmqueue_bulk(struct pa_zone *z, unsigned cpu, unsigned order, int count,
		 struct pfn_list *list, unsigned mt, unsigned gfp,
		 bool fallback);
/* Count pages moved during this zone->lock hold (max_pages_per_hold). */
void zone_count_moved(struct pa_zone *z, uint64_t pages);
/* Put back the frees the nolock API deferred while zone->lock was busy. */
void zone_drain_llist(struct pa_zone *z);

#endif
