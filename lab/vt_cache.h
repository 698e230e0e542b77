/* SPDX-License-Identifier: MIT */
/*
 * vt_cache - each simulated CPU's view of the page metadata in virtual
 * time: which 64-byte lines (4 pages' metadata) it has cached, and which
 * 4 KiB pages of metadata (256 pages of memory) its TLB maps.  Both
 * levels are reuse-distance approximations of an LRU: a line (a page) of
 * this CPU's is still there when fewer lines (pages) than the level holds
 * came in since this CPU last touched it; another CPU's touch since, or
 * none before, is a miss.  The price of a miss is the cost model's
 * (costmodel_line_miss_at, tlb_miss_ns).  docs/VTIME.md has the model.
 * Not thread-safe: one per policy run of the single-threaded lab.
 */
#ifndef PA_LAB_VT_CACHE_H
#define PA_LAB_VT_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "costmodel.h"

#define VT_PAGES_PER_LINE 4      /* 16-byte page metadata, 64-byte lines */
#define VT_LINES_PER_MPAGE 64    /* 64-byte lines in a 4 KiB page */

struct vt_cache_level {
	uint16_t *cpu;           /* per unit: last CPU to touch it, + 1 */
	uint32_t *stamp;         /* per unit: that CPU's count then */
	uint32_t *acc;           /* per CPU: units brought in so far */
};

struct vt_cache {
	const struct costmodel *m;
	unsigned ncpus;
	struct vt_cache_level line, page;
};

/*
 * Empty caches for ncpus CPUs over a zone of nr_pages pages, priced by
 * *m (kept by pointer: it must outlive the cache).  Returns 0 or -ENOMEM
 * (nothing allocated).  Memory: 6 bytes per 4 pages, 6 per 256 pages.
 */
int vt_cache_init(struct vt_cache *vc, const struct costmodel *m,
		  uint64_t nr_pages, unsigned ncpus);

/* Free what vt_cache_init() allocated; safe on a zeroed or destroyed
 * cache. */
void vt_cache_destroy(struct vt_cache *vc);

/* True when vt_cache_init() succeeded and the cache is live. */
static inline bool vt_cache_live(const struct vt_cache *vc)
{
	return vc->line.cpu != NULL;
}

/*
 * CPU c (< ncpus) reads the metadata line `line` (pfn / 4; below
 * nr_pages / 4 + 1): adds what that costs to *cost (the line's miss, and
 * the page's TLB miss, which also adds 1 to *tlb_misses) and returns
 * whether the line missed.  A line's miss adds its weights on the four
 * miss figures (costmodel_miss_weights) to miss_w[0..3] unless miss_w is
 * NULL.  Never fails.
 */
bool vt_cache_touch(struct vt_cache *vc, unsigned c, uint64_t line,
		    double *cost, uint64_t *tlb_misses, double *miss_w);

#endif
