/* SPDX-License-Identifier: MIT */
/*
 * The zone's free lists: the one place that knows their layout.
 *
 * Free blocks sit on lists per (partition, order, migratetype).  A partition
 * is a naturally aligned pfn range of 2^fa_shift pages: the whole zone (one
 * partition) unless the policy partitions by superpageblock, when each SPB
 * has lists of its own.  Every caller goes through the functions below, so
 * the layout is a change inside freearea.c.
 *
 * struct free_area (per partition, per order)        40 bytes
 *   list[mt]     first pfn of the list (pfnlist.h)    4 x PA_MT_TYPES
 *   nr_free[mt]  blocks on that list                  4 x PA_MT_TYPES
 * struct fa_part (per partition)     16 + 40 x (max_order + 1) bytes
 *   deferred_pfn, deferred_end: boot-time max-order Movable blocks of this
 *   partition not on a list yet ([deferred_pfn, deferred_end), counted free)
 * Zone-wide (struct pa_zone, under zone->lock):
 *   fa_nr_free[order][mt]  blocks on all partitions' lists (not deferred)
 *   fa_nonempty            bitmap per (order, mt): partitions whose list is
 *                          non-empty; (max_order, Movable) also counts
 *                          partitions with deferred blocks left
 *
 * Invariants (pa_check verifies them through fa_check):
 *   - a block on list (p, o, mt) starts at a pfn aligned to 2^o inside
 *     partition p, its head page's state is PG_BUDDY|o, and every pageblock
 *     it covers has migratetype mt (free-list hygiene);
 *   - nr_free and fa_nr_free equal the list lengths, the bitmaps say which
 *     lists are non-empty;
 *   - the deferred range of a partition is max-order aligned and its pages
 *     have no state.
 *
 * Everything here runs under zone->lock.
 */
#ifndef PA_FREEAREA_H
#define PA_FREEAREA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pagealloc.h"
#include "pfnlist.h"

struct pa_zone;

struct free_area {
	struct pfn_list list[PA_MT_TYPES];
	uint32_t nr_free[PA_MT_TYPES]; /* blocks, not pages */
};

struct fa_part {
	uint64_t deferred_pfn, deferred_end;
	struct free_area area[];       /* max_order + 1 entries */
};

/* Set up empty lists, one partition per 2^part_shift pages (part_shift
 * >= 32: one partition for the zone).  -ENOMEM. */
int fa_init(struct pa_zone *z, unsigned part_shift);
void fa_destroy(struct pa_zone *z);
/* The partition shift of a zone with one partition (a policy's
 * fa_part_shift when it does not partition). */
unsigned fa_whole_zone(const struct pa_zone *z);
/* Boot-time free memory: all pageblocks Movable, whole max-order blocks
 * deferred per partition, the ragged ends listed at once. */
void fa_boot(struct pa_zone *z);

/* Put a free block on its list (head, or tail) and count it free: page
 * state, zone and pageblock free counts.  The block's pageblocks must
 * already be of type mt. */
void fa_add(struct pa_zone *z, uint32_t pfn, unsigned order, unsigned mt,
	    bool tail);
/* Take a free block off its list and count it no longer free; its head
 * page's state becomes 0 (the caller gives it the next one). */
void fa_del(struct pa_zone *z, uint32_t pfn, unsigned order, unsigned mt);
/* Move a free block from list `from` to list `to` (at the tail); nothing
 * else changes.  Used when its pageblock changes type. */
void fa_move(struct pa_zone *z, uint32_t pfn, unsigned order, unsigned from,
	     unsigned to);

/* First block of (order, mt) in the lowest-numbered partition that has
 * one, or PA_NIL.  Puts a deferred block on the list first if that is all
 * there is. */
uint32_t fa_first(struct pa_zone *z, unsigned order, unsigned mt);
/* The same inside one partition. */
uint32_t fa_part_first(struct pa_zone *z, uint64_t part, unsigned order,
		       unsigned mt);
/* The block after pfn on its list, continuing into later partitions;
 * PA_NIL after the last.  For bounded walks. */
uint32_t fa_next(struct pa_zone *z, uint32_t pfn, unsigned order, unsigned mt);
static inline bool fa_empty(struct pa_zone *z, unsigned order, unsigned mt)
{
	return fa_first(z, order, mt) == PA_NIL;
}
/* Free blocks of (order, mt) in the zone, deferred ones included. */
uint64_t fa_nr_free(const struct pa_zone *z, unsigned order, unsigned mt);
/* Partitions and which of them have free blocks of (order, mt), as a
 * bitmap of fa_nr_words() words, for searches that pick a partition. */
uint64_t fa_nr_parts(const struct pa_zone *z);
uint64_t fa_part_of(const struct pa_zone *z, uint64_t pfn);
const uint64_t *fa_nonempty_map(const struct pa_zone *z, unsigned order,
				unsigned mt);
uint64_t fa_nr_words(const struct pa_zone *z);
/* Blocks of (order, mt) in partition `part` (deferred ones included). */
uint64_t fa_part_nr_free(const struct pa_zone *z, uint64_t part,
			 unsigned order, unsigned mt);

/* Bytes of free-list metadata (partitions and bitmaps). */
uint64_t fa_metadata_bytes(const struct pa_zone *z);

/* Deferred boot-time pages still off the lists (counted free). */
uint64_t fa_deferred_pages(const struct pa_zone *z);
/* Put every deferred block below `end` on its list (isolation needs the
 * free blocks of its range listed). */
void fa_undefer(struct pa_zone *z, uint64_t end);
/* Take every free block of pfns [pfn, pfn + nr) off the lists, as
 * fa_del does (page states 0, counted no longer free), deferred blocks
 * of the partitions it lies in included.  The range must be entirely
 * free in the zone with no free block straddling its ends (e.g. whole
 * pageblocks, max_order aligned); a page that is not a free block's head
 * is skipped. */
void fa_take_range(struct pa_zone *z, uint64_t pfn, uint64_t nr);
/* If pfn starts a partition's deferred range, its end; else pfn. */
uint64_t fa_skip_deferred(const struct pa_zone *z, uint64_t pfn);

/* Is pfn the head of a block on list (order, mt)?  For walks that drop
 * zone->lock and resume at a block seen before. */
bool fa_listed(const struct pa_zone *z, uint32_t pfn, unsigned order,
	       unsigned mt);

/* Free page reporting's mark (page_reporting.c): a listed block whose
 * memory a reporter has had since the block last joined a list.  Kept in
 * the head page's lnext (unused while a block is listed) as
 * FA_REPORTED_TAG, never a pfn; fa_add clears it, fa_move keeps it. */
#define FA_REPORTED_TAG (PA_NIL - 1)
bool fa_reported(const struct pa_zone *z, uint32_t pfn);
void fa_mark_reported(struct pa_zone *z, uint32_t pfn);

/* One list, read-only, for the checker and reports. */
const struct pfn_list *fa_list(const struct pa_zone *z, uint64_t part,
			       unsigned order, unsigned mt);

/* Blocks on that list (deferred ones not included). */
uint64_t fa_list_count(const struct pa_zone *z, uint64_t part, unsigned order,
		       unsigned mt);

/* pa_check's part: zone counts, bitmaps, deferred ranges (check.c walks
 * the lists themselves).  Returns a message (in buf) or NULL. */
const char *fa_check(struct pa_zone *z, char *buf, size_t len);

#endif
