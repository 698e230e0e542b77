/* SPDX-License-Identifier: MIT */
/*
 * Isolation of a pageblock range (MIGRATE_ISOLATE), as alloc_contig_range
 * does it: the range's free blocks move to the isolate lists, which no
 * allocation takes from; pages freed into the range land there too (the
 * free path sends isolated pageblocks' pages to the zone); blocks the
 * pagesets or remote lists hold for the range are pulled back.  The
 * original types are kept in the isolation, so undo restores them.
 *
 * One isolation at a time per zone: callers hold z->contig_lock.
 */
#ifndef PA_ISOLATE_H
#define PA_ISOLATE_H

#include <stdbool.h>
#include <stdint.h>

struct pa_zone;

struct pa_isolation {
	uint64_t start, end;   /* pfns, pageblock aligned */
	uint8_t *saved_mt;     /* original type per pageblock */
};

/* Isolate [start, end) (pageblock aligned).  -EBUSY if a pageblock is
 * highatomic or already isolated, -ENOMEM; nothing changes then. */
int isolate_range(struct pa_zone *z, struct pa_isolation *iso, uint64_t start,
		  uint64_t end);
/* Pull back what the pagesets hold of the range (again: a free that read
 * the old type may have cached a page after the first pull). */
void isolate_pull_pcp(struct pa_zone *z, const struct pa_isolation *iso);
/* Are pfns [pfn, pfn + n) all in free blocks?  zone->lock held. */
bool isolate_range_free(struct pa_zone *z, uint64_t pfn, uint64_t n);
/* End the isolation, zone->lock held: types restored, free blocks back on
 * the ordinary lists, except pfns [keep, keep_end) (entirely free), which
 * leave the free lists with no state: the caller takes them. */
void isolate_release_locked(struct pa_zone *z, struct pa_isolation *iso,
			    uint64_t keep, uint64_t keep_end);
/* Undo: isolate_release_locked keeping nothing, under zone->lock. */
void isolate_undo(struct pa_zone *z, struct pa_isolation *iso);

/* Do all the pageblocks a block of `order` at pfn covers have one type?
 * A block that merged while isolated, or was off the lists while an
 * isolation began inside it, may span pageblocks of different types. */
bool block_one_type(const struct pa_zone *z, uint32_t pfn, unsigned order);

/* The free block holding pfn: its head (and *order), or PA_NIL. */
uint32_t free_block_covering(const struct pa_zone *z, uint64_t pfn,
			     unsigned *order);

#endif
