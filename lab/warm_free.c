/* SPDX-License-Identifier: MIT */
/*
 * The warm start's buddy free lists and pageblock types, shaped after the
 * captured pagetypeinfo/buddyinfo (freeinfo.h) with the zone's own
 * allocator, so every policy places the memory in use as it would:
 *
 *  1. all free memory is allocated, pageblock by pageblock: first as many
 *     Unmovable and Reclaimable pageblocks as the capture had (taking a
 *     whole pageblock claims its type), the rest Movable, then the odd
 *     pages;
 *  2. the pageblocks that will hold small free blocks are turned into
 *     single pages (freed whole, taken back page by page) before anything
 *     else is free, so those pages come from that pageblock;
 *  3. free blocks of the pageblock order and above are freed as aligned
 *     runs of whole pageblocks whose buddy run stays in use;
 *  4. smaller free blocks are freed inside the split pageblocks: in a
 *     block of order j the lower half is freed when a free block of order
 *     j-1 is wanted and the upper half is split on, so one page of every
 *     split block stays in use and no two freed halves can merge.
 * What is left allocated is the memory the machine had in use and the
 * trace never frees.  Counts the capture has that do not fit are reported.
 */
#include "warm.h"

#include <stdlib.h>
#include <string.h>

#include "sim.h"

/* The shaping allocates and frees on one fixed CPU slot: on the calling
 * thread's CPU (pa_alloc) the pageblocks pcpbuddy and spb make owned, and
 * so the whole replay, depended on where the OS ran the thread. */
#define SHAPE_CPU 0u

enum pb_state { PB_HELD, PB_FREED, PB_NOWHOLE, PB_SPLIT };

struct pb {
	uint64_t pfn;
	uint8_t mt;
	uint8_t state;
	uint64_t *pages;   /* PB_SPLIT: bitmap of the pages held */
};

struct shape {
	struct pa_zone *z;
	unsigned pbo, max_order;
	struct pb *pb;
	size_t n;
	uint64_t want[FREEINFO_MTS][FREEINFO_ORDERS];
	uint64_t wanted, placed;
};

static unsigned gfp_of_mt(unsigned mt)
{
	return sim_gfp_of((int)mt) | PA_GFP_NOWARN;
}

static int pb_push(struct shape *sh, size_t *cap, uint64_t pfn)
{
	uint8_t cell = 0;

	if (sh->n == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		struct pb *p = realloc(sh->pb, c * sizeof(*p));

		if (!p)
			return -1;
		sh->pb = p;
		*cap = c;
	}
	pa_pageblock_map(sh->z, pfn >> sh->pbo, &cell, 1);
	sh->pb[sh->n++] = (struct pb){ .pfn = pfn, .mt = cell & 0x0f,
				       .state = PB_HELD };
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Pageblocks of type mt needed for the free blocks below pbo: a block of
 * order k takes at most 2^(k+1) pages of a split pageblock. */
static uint64_t split_needed(const struct shape *sh, unsigned mt)
{
	uint64_t pages = 0;

	for (unsigned k = 0; k < sh->pbo; k++)
		pages += sh->want[mt][k] << (k + 1);
	return pages ? (pages >> sh->pbo) + 1 : 0;
}

/* Step 2, done first while the zone is empty so that pages taken one by
 * one come from whole pageblocks: the pages of the pageblocks to split,
 * grouped by pageblock with a bitmap of the pages held. */
static int take_pages(struct shape *sh, size_t *cap)
{
	uint64_t *pfns = NULL, n = 0, want = 0;
	int rc = -1;

	for (unsigned mt = 0; mt < PA_MT_PCPTYPES; mt++)
		want += split_needed(sh, mt) << sh->pbo;
	if (want && !(pfns = malloc(want * sizeof(*pfns))))
		return -1;
	for (unsigned mt = 0; mt < PA_MT_PCPTYPES; mt++)
		for (uint64_t k = split_needed(sh, mt) << sh->pbo; k; k--) {
			uint64_t pfn = pa_alloc_cpu(sh->z, SHAPE_CPU, 0, gfp_of_mt(mt));

			if (pfn == PA_NO_PFN)
				break;
			pfns[n++] = pfn;
		}
	pa_drain(sh->z);
	qsort(pfns, n, sizeof(*pfns), cmp_u64);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t base = pfns[i] >> sh->pbo << sh->pbo, off = pfns[i] - base;
		struct pb *b = sh->n ? &sh->pb[sh->n - 1] : NULL;

		if (!b || b->pfn != base) {
			if (pb_push(sh, cap, base) < 0)
				goto out;
			b = &sh->pb[sh->n - 1];
			b->state = PB_SPLIT;
			b->pages = calloc(((1ull << sh->pbo) + 63) / 64,
					  sizeof(uint64_t));
			if (!b->pages)
				goto out;
		}
		b->pages[off / 64] |= 1ull << (off % 64);
	}
	rc = 0;
out:
	free(pfns);
	return rc;
}

/* Step 1: the rest of the free memory allocated in whole pageblocks, as
 * many Unmovable and Reclaimable as the capture had, then the odd pages
 * (what cannot be allocated stays free, as below the watermarks). */
static int fill(struct shape *sh, const struct freeinfo *fi)
{
	static const unsigned order[] = { PA_MT_UNMOVABLE, PA_MT_RECLAIMABLE,
					  PA_MT_MOVABLE };
	size_t cap = 0;

	if (take_pages(sh, &cap) < 0)
		return -1;
	for (size_t i = 0; i < 3; i++) {
		unsigned mt = order[i];
		uint64_t n = mt == PA_MT_MOVABLE ? UINT64_MAX : fi->blocks[mt];

		for (size_t j = 0; j < sh->n; j++)
			n -= n && sh->pb[j].mt == mt;
		for (uint64_t k = 0; k < n; k++) {
			uint64_t pfn = pa_alloc_cpu(sh->z, SHAPE_CPU, sh->pbo, gfp_of_mt(mt));

			if (pfn == PA_NO_PFN)
				break;
			if (pb_push(sh, &cap, pfn) < 0)
				return -1;
		}
	}
	while (pa_alloc_cpu(sh->z, SHAPE_CPU, 0, gfp_of_mt(PA_MT_MOVABLE)) != PA_NO_PFN)
		;
	return 0;
}

static int cmp_pfn(const void *a, const void *b)
{
	const struct pb *x = a, *y = b;

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

static struct pb *pb_at(struct shape *sh, uint64_t pfn)
{
	struct pb key = { .pfn = pfn };

	return bsearch(&key, sh->pb, sh->n, sizeof(key), cmp_pfn);
}

/* Whether g pageblocks from b on are held whole, consecutive, of one type. */
static bool run_held(struct shape *sh, struct pb *b, uint64_t g)
{
	for (uint64_t j = 0; j < g; j++) {
		struct pb *x = pb_at(sh, b->pfn + (j << sh->pbo));

		if (!x || x->mt != b->mt || x->state != PB_HELD)
			return false;
	}
	return true;
}

static void mark_run(struct shape *sh, uint64_t pfn, uint64_t g,
		     enum pb_state st, bool free_it)
{
	for (uint64_t j = 0; j < g; j++) {
		struct pb *x = pb_at(sh, pfn + (j << sh->pbo));

		if (!x)
			continue;
		if (free_it)
			pa_free_cpu(sh->z, SHAPE_CPU, x->pfn, sh->pbo);
		if (free_it || x->state == PB_HELD)
			x->state = (uint8_t)st;
	}
}

/* Step 3: free blocks of order k >= pbo as aligned runs of pageblocks. */
static void free_whole(struct shape *sh)
{
	for (unsigned k = sh->max_order + 1; k-- > sh->pbo;) {
		uint64_t g = 1ull << (k - sh->pbo), span = 1ull << k;

		for (size_t i = 0; i < sh->n; i++) {
			struct pb *b = &sh->pb[i];

			if (!sh->want[b->mt][k] || b->pfn & (span - 1) ||
			    !run_held(sh, b, g))
				continue;
			sh->want[b->mt][k]--;
			sh->placed++;
			mark_run(sh, b->pfn, g, PB_FREED, true);
			if (k < sh->max_order) /* its buddy must not merge */
				mark_run(sh, b->pfn ^ span, g, PB_NOWHOLE, false);
		}
	}
}

static bool held(const struct pb *b, uint64_t off)
{
	return b->pages[off / 64] >> (off % 64) & 1;
}

/* Free [off, off + 2^j) of split pageblock b if it is all held. */
static bool free_span(struct shape *sh, struct pb *b, uint64_t off, unsigned j)
{
	for (uint64_t i = 0; i < (1ull << j); i++)
		if (!held(b, off + i))
			return false;
	for (uint64_t i = 0; i < (1ull << j); i++)
		pa_free_cpu(sh->z, SHAPE_CPU, b->pfn + off + i, 0);
	return true;
}

/* Step 4 in the block of order j at off: lower half freed when wanted. */
static void carve(struct shape *sh, struct pb *b, uint64_t off, unsigned j)
{
	uint64_t half;
	uint64_t *want = sh->want[b->mt];

	if (j == 0)
		return; /* this page stays in use */
	half = 1ull << (j - 1);
	if (want[j - 1] && free_span(sh, b, off, j - 1)) {
		want[j - 1]--;
		sh->placed++;
	} else {
		carve(sh, b, off, j - 1);
	}
	carve(sh, b, off + half, j - 1);
}

static void shape_free(struct shape *sh)
{
	for (size_t i = 0; i < sh->n; i++) {
		struct pb *b = &sh->pb[i];

		if (b->state == PB_SPLIT)
			carve(sh, b, 0, sh->pbo);
		free(b->pages);
		b->pages = NULL;
	}
	pa_drain(sh->z);
}

/* The free blocks wanted: the capture's, plus what the pagesets will take
 * from them (`extra`, filled after this), minus HighAtomic (not modelled
 * here) and orders the zone does not have. */
static void wanted(struct shape *sh, const struct freeinfo *fi,
		   const uint64_t extra[PA_MT_PCPTYPES][FREEINFO_ORDERS])
{
	for (unsigned mt = 0; mt < PA_MT_PCPTYPES; mt++)
		for (unsigned k = 0; k <= sh->max_order && k < FREEINFO_ORDERS; k++) {
			sh->want[mt][k] = fi->nr_free[mt][k] + extra[mt][k];
			sh->wanted += sh->want[mt][k];
		}
}

int warm_free_shape(struct pa_zone *z, const struct freeinfo *fi,
		    const uint64_t extra[PA_MT_PCPTYPES][FREEINFO_ORDERS],
		    uint64_t *wanted_blocks, uint64_t *placed_blocks)
{
	struct pa_config cfg;
	struct shape sh = { .z = z };
	int rc = -1;

	pa_zone_config(z, &cfg);
	sh.pbo = cfg.pageblock_order;
	sh.max_order = cfg.max_order;
	pa_drain(z);
	wanted(&sh, fi, extra);
	if (fill(&sh, fi) == 0) {
		qsort(sh.pb, sh.n, sizeof(*sh.pb), cmp_pfn);
		free_whole(&sh);
		rc = 0;
	}
	shape_free(&sh);
	/* pcpbuddy and spb leave a drained, partly used block owned by the
	 * slot that drained it (for its Phase 0): the shaping's blocks would
	 * all be SHAPE_CPU's, which no running machine's pagesets are.  An
	 * offline and online of the slot gives them back ownerless. */
	pa_cpu_offline(z, SHAPE_CPU);
	pa_cpu_online(z, SHAPE_CPU);
	free(sh.pb);
	*wanted_blocks = sh.wanted;
	*placed_blocks = sh.placed;
	return rc;
}
