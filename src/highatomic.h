/* SPDX-License-Identifier: MIT */
/*
 * The highatomic reserve (highatomic.c): pageblocks set aside for
 * high-order atomic allocations, which cannot wait for reclaim.
 */
#ifndef PA_HIGHATOMIC_H
#define PA_HIGHATOMIC_H

#include <stdbool.h>
#include <stdint.h>

struct pa_zone;

/* Reserve the pageblock(s) of a successful high-order atomic allocation at
 * pfn, up to the zone's highatomic_max.  Takes zone->lock (must not be
 * held); skipped when gfp has PA_GFP_NOLOCK and zone->lock is busy. */
void reserve_highatomic_pageblock(struct pa_zone *z, uint32_t pfn,
				  unsigned order, unsigned gfp);
/* Give one reserved pageblock back to type mt; false if none is reserved.
 * zone->lock held. */
bool unreserve_highatomic_pageblock(struct pa_zone *z, unsigned mt);
/* Give back to type mt every reserved pageblock in pageblocks
 * [first, end) (memory hotplug: the reserve is free memory set aside, not
 * content that pins the range); pages that left the reserve.  zone->lock
 * held. */
uint64_t unreserve_highatomic_range(struct pa_zone *z, uint64_t first,
				    uint64_t end, unsigned mt);

#endif
