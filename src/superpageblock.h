/* SPDX-License-Identifier: MIT */
/*
 * Superpageblocks (SPBs): summaries of 2^spb_order-page ranges (1 GiB by
 * default), kept for every zone whatever its policy, so that fragmentation
 * figures and SPB-steered searches read O(nr_spb) summaries instead of
 * walking every pageblock.  Nothing per page; nothing per pageblock beyond
 * pageblock_data.
 *
 * struct superpageblock (one per SPB)                     72 bytes
 *   nr_free            free pages (zone free lists and      4
 *                      boot-time deferred blocks)
 *   nr_pageblocks      pageblocks in this SPB: 2^(spb-pb),  4
 *                      fewer for a partial last SPB
 *   nr_free_pb         pageblocks entirely free             4
 *   nr_mixed           pageblocks holding movable and       4
 *                      non-movable content
 *   nr_by_mt[mt]       pageblocks of each type              4 x PA_MT_TYPES
 *   free_by_mt[mt]     free pages in pageblocks of a type   4 x PA_MT_TYPES
 *   nr_has[i]          pageblocks whose content has bit i   4 x SPB_NR_CONTENT
 *                      (PB_HAS_UNMOVABLE, _MOVABLE, _RECLAIMABLE)
 *   category           SPB_CLEAN / _TAINTED / _EMPTIED      1
 *                      (derived)
 *   fullness           bucket 0..SPB_NR_FULLNESS-1 (derived) 1
 *   (padding)                                               2 + 2
 * Counts fit 32 bits because a zone has fewer than 2^32 pages.
 * Zone-wide (struct pa_zone, under zone->lock): 10 bitmaps of nr_spb bits
 * (clean, tainted, emptied, one per fullness bucket, contig): 10 bits per
 * SPB; the number of SPBs in each (category, bucket) and a mask per
 * category of the non-empty buckets, so searches skip empty ones.  Under the
 * spb policy each SPB is also a free-list partition (freearea.h):
 * 16 + 40 x (max_order + 1) bytes, 456 with max_order 10, plus
 * (max_order + 1) x PA_MT_TYPES = 55 bits of non-empty maps.  Total with
 * the defaults: 72 + 456 bytes and 10 + 55 bits, 536 bytes per SPB,
 * within the 1 KiB budget.
 *
 * Derived state:
 *   category = SPB_TAINTED when some pageblock holds unmovable or
 *              reclaimable content (nr_has[UNMOVABLE] + nr_has[RECLAIMABLE]
 *              > 0), pa_frag's definition; else SPB_EMPTIED when a
 *              pageblock still has one of those types (nr_by_mt[UNMOVABLE]
 *              + nr_by_mt[RECLAIMABLE] > 0): its non-movable content has
 *              left; else SPB_CLEAN.  EMPTIED is the search's hysteresis:
 *              such an SPB is taken by non-movable requests after the
 *              tainted ones (Pass 1 serves them from the pageblocks it
 *              kept) and by movable ones after the clean ones, instead of
 *              going clean at once and making the next non-movable request
 *              taint another SPB through the slow path; it is clean again
 *              when movable demand has claimed those pageblocks back
 *              (Pass 4) or they are retyped otherwise.  pa_frag and the
 *              spbinfo report count it clean (it holds nothing
 *              non-movable); an entirely free SPB is taken by contiguous
 *              allocation whatever its category;
 *   fullness = SPB_FULLNESS_FULL (0) when no page is free,
 *              SPB_FULLNESS_EMPTY (5) when every page is, else
 *              1 + floor(4 x nr_free / pages of the SPB): 1 is fullest
 *              (under a quarter free), 4 is three quarters free or more.
 *
 * Invariants (pa_check verifies them through spb_check):
 *   - every counter equals what a walk of its pageblocks gives (and the
 *     pageblocks' free counts equal the free lists, checked by pa_check);
 *   - each SPB has exactly one category bit and one fullness bit set, the
 *     ones its derived state says; bits past nr_spb are clear; the
 *     (category, bucket) counts match;
 *   - an SPB with its contig bit set (handed out whole by pa_alloc_contig,
 *     the series' v2 17) is whole, has no free page and holds only
 *     contiguous pieces; searches skip it until pa_free_contig clears it.
 *
 * Kept from pageblock.c's setters alone (the single choke point), plus
 * spb_init after fa_boot: boot-time memory is all free and all Movable, so
 * initialising is O(nr_spb), not O(nr_pageblocks).  A bit changes only
 * when an SPB's category or bucket changes.  Everything under zone->lock.
 */
#ifndef PA_SUPERPAGEBLOCK_H
#define PA_SUPERPAGEBLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pagealloc.h"

struct pa_zone;

#define SPB_NR_CONTENT 3        /* PB_HAS_* bits */
#define SPB_NR_FULLNESS 6
#define SPB_FULLNESS_FULL 0     /* no free page: never worth a search */
#define SPB_FULLNESS_EMPTY (SPB_NR_FULLNESS - 1)

/* Map index and category are the same number (spb_pick relies on it). */
enum spb_category { SPB_CLEAN, SPB_TAINTED, SPB_EMPTIED, SPB_NR_CATEGORIES };

struct superpageblock {
	uint32_t nr_free;
	uint32_t nr_pageblocks;
	uint32_t nr_free_pb;
	uint32_t nr_mixed;
	uint32_t nr_by_mt[PA_MT_TYPES];
	uint32_t free_by_mt[PA_MT_TYPES];
	uint32_t nr_has[SPB_NR_CONTENT];
	uint8_t category;
	uint8_t fullness;
};

_Static_assert(sizeof(struct superpageblock) == 72,
	       "the header's byte count must follow the struct");

/* Bitmaps kept per zone: clean, tainted, emptied (one per category), one
 * per fullness bucket, then the SPBs handed out whole to contiguous
 * allocations (10 bitmaps). */
#define SPB_MAP_CLEAN ((unsigned)SPB_CLEAN)
#define SPB_MAP_TAINTED ((unsigned)SPB_TAINTED)
#define SPB_MAP_EMPTIED ((unsigned)SPB_EMPTIED)
#define SPB_MAP_FULLNESS(b) ((unsigned)SPB_NR_CATEGORIES + (unsigned)(b))
#define SPB_MAP_CONTIG (SPB_NR_CATEGORIES + SPB_NR_FULLNESS)
#define SPB_NR_MAPS (SPB_NR_CATEGORIES + 1 + SPB_NR_FULLNESS)

/* After fa_boot (every pageblock free and Movable, no content): allocate
 * and fill the summaries in O(nr_spb).  Until then z->spb is NULL and the
 * setters leave it alone.  -ENOMEM. */
int spb_init(struct pa_zone *z);
void spb_destroy(struct pa_zone *z);

/* After memory hotplug changed nr_pageblocks and nr_superpageblocks
 * (which was old_nr_spb): the SPBs whose span changed are rebuilt from
 * their pageblocks, those past the new end cleared.  The arrays have room
 * for the zone's max_pages from spb_init on.  zone->lock held. */
void spb_resize(struct pa_zone *z, uint64_t old_nr_spb);

/* Called by pageblock.c when pageblock b changes; the argument is its
 * old value, pageblock_data already holds the new one. */
void spb_pb_type_changed(struct pa_zone *z, uint64_t b, unsigned old_mt);
void spb_pb_free_changed(struct pa_zone *z, uint64_t b, uint32_t old_free);
void spb_pb_content_changed(struct pa_zone *z, uint64_t b, unsigned old);

/* The SPB a pfn lies in. */
uint64_t spb_of_pfn(const struct pa_zone *z, uint64_t pfn);
/* One SPB's summary, read-only; the bitmap of one map (SPB_MAP_*), as
 * spb_nr_words() 64-bit words. */
const struct superpageblock *spb_get(const struct pa_zone *z, uint64_t spb);
const uint64_t *spb_map(const struct pa_zone *z, unsigned map);
uint64_t spb_nr_words(const struct pa_zone *z);
/* SPBs of category `cat` (enum spb_category) in fullness bucket `bucket`. */
uint64_t spb_count(const struct pa_zone *z, unsigned cat, unsigned bucket);

/* Mark (on) or unmark the SPBs wholly inside pfns [pfn, pfn + nr) as
 * handed out whole to a contiguous allocation: call after the range is
 * taken, and before it is freed.  SPBs the range covers only in part are
 * left alone.  zone->lock held. */
void spb_set_contig(struct pa_zone *z, uint64_t pfn, uint64_t nr, bool on);
/* Is SPB `spb` handed out whole? */
bool spb_is_contig(const struct pa_zone *z, uint64_t spb);

/* Bytes of the summaries and their bitmaps (for pa_stats). */
uint64_t spb_metadata_bytes(const struct pa_zone *z);

/* Zone totals summed over the summaries (O(nr_spb)). */
struct spb_totals {
	uint64_t by_mt[PA_MT_TYPES], free_by_mt[PA_MT_TYPES];
	uint64_t free_pb, mixed, tainted, whole_free;
};
void spb_totals(const struct pa_zone *z, struct spb_totals *t);

/* pa_check's part: every SPB against a walk of its pageblocks, and every
 * bitmap bit.  Returns a message (in buf) or NULL. */
const char *spb_check(const struct pa_zone *z, char *buf, size_t len);

/* PA_REPORT_SPBINFO: one line per SPB (layout in docs/FORMATS.md). */
void spb_report(struct pa_zone *z, FILE *f);

#endif
