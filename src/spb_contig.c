/* SPDX-License-Identifier: MIT */
/*
 * Contiguous ranges from the superpageblock summaries (spb_contig.h).
 */
#include "spb_contig.h"
#include "zone.h"

static inline uint64_t spb_pageblocks(const struct pa_zone *z)
{
	return 1ull << (z->spb_order - z->pb_order);
}

/* Neither the highatomic reserve nor an isolation in progress is ours. */
static bool spb_types_ok(const struct superpageblock *s)
{
	return !s->nr_by_mt[PA_MT_HIGHATOMIC] && !s->nr_by_mt[PA_MT_ISOLATE];
}

/* SPB i may be handed out whole: whole, every pageblock free, not out. */
static bool spb_whole_free(const struct pa_zone *z, uint64_t i)
{
	const struct superpageblock *s = spb_get(z, i);

	return s->nr_pageblocks == spb_pageblocks(z) &&
	       s->nr_free_pb == s->nr_pageblocks && spb_types_ok(s) &&
	       !spb_is_contig(z, i);
}

/* Word i of the SPBs that are entirely free (so they hold nothing,
 * whatever their steering category: superpageblock.h). */
static inline uint64_t empty_word(const struct pa_zone *z, uint64_t i)
{
	return spb_map(z, SPB_MAP_FULLNESS(SPB_FULLNESS_EMPTY))[i] &
	       ~spb_map(z, SPB_MAP_CONTIG)[i];
}

/* Are the k bits of the empty maps from `first` (aligned to k) all set? */
static bool bits_all_set(const struct pa_zone *z, uint64_t first, uint64_t k)
{
	if (k >= 64) {
		for (uint64_t w = first >> 6; w < (first + k) >> 6; w++)
			if (empty_word(z, w) != ~0ull)
				return false;
		return true;
	}
	uint64_t mask = (1ull << k) - 1;

	return ((empty_word(z, first >> 6) >> (first & 63)) & mask) == mask;
}

/* The first aligned run of k SPBs that may all be handed out, or
 * UINT64_MAX.  The bitmaps find the candidates; each SPB of one is then
 * checked against its summary (partial SPB, reserved types). */
static uint64_t find_whole_run(const struct pa_zone *z, uint64_t k)
{
	for (uint64_t first = 0; first + k <= z->nr_superpageblocks; first += k) {
		/* a word with no bit set skips a whole word of candidates */
		if (k < 64 && !(first & 63) && !empty_word(z, first >> 6)) {
			first += 64 - k;
			continue;
		}
		if (!bits_all_set(z, first, k))
			continue;
		uint64_t i = first;

		while (i < first + k && spb_whole_free(z, i))
			i++;
		if (i == first + k)
			return first;
	}
	return UINT64_MAX;
}

/* ---- a range inside one SPB ---- */

static bool pageblock_free_ok(const struct pa_zone *z, uint64_t b)
{
	unsigned mt = pb_mt(&z->pb[b]);

	return z->pb[b].nr_free == pb_nr_pages(z) && mt != PA_MT_HIGHATOMIC &&
	       mt != PA_MT_ISOLATE;
}

/* The first aligned group of g entirely free pageblocks in SPB i: its
 * first pageblock, or UINT64_MAX. */
static uint64_t free_group_in(const struct pa_zone *z, uint64_t i, uint64_t g)
{
	const struct superpageblock *s = spb_get(z, i);
	uint64_t first = i * spb_pageblocks(z);

	if (s->nr_free_pb < g || !spb_types_ok(s))
		return UINT64_MAX;
	for (uint64_t b = first; b + g <= first + s->nr_pageblocks; b += g) {
		uint64_t k = 0;

		while (k < g && pageblock_free_ok(z, b + k))
			k++;
		if (k == g)
			return b;
	}
	return UINT64_MAX;
}

struct group_search {
	uint64_t g;          /* pageblocks wanted */
	unsigned budget;     /* SPBs whose pageblocks may still be read */
};

/* SPBs of category map `cat` in fullness bucket `bucket`, lowest first. */
static uint64_t group_in_bucket(const struct pa_zone *z, unsigned cat,
				unsigned bucket, struct group_search *gs)
{
	const uint64_t *c = spb_map(z, cat);
	const uint64_t *f = spb_map(z, SPB_MAP_FULLNESS(bucket));
	const uint64_t *out = spb_map(z, SPB_MAP_CONTIG);

	for (uint64_t w = 0; w < spb_nr_words(z) && gs->budget; w++) {
		uint64_t bits = c[w] & f[w] & ~out[w];

		while (bits && gs->budget) {
			uint64_t i = w * 64 + (uint64_t)__builtin_ctzll(bits);
			uint64_t b;

			bits &= bits - 1;
			if (spb_get(z, i)->nr_free_pb < gs->g)
				continue; /* its summary says no: free to skip */
			gs->budget--;
			if ((b = free_group_in(z, i, gs->g)) != UINT64_MAX)
				return b;
		}
	}
	return UINT64_MAX;
}

/* Tainted SPBs, then emptied ones (neither taints a clean SPB), then
 * (unless only those may serve) clean ones, fullest first in each. */
static uint64_t find_free_group(const struct pa_zone *z, uint64_t g,
				bool tainted_only)
{
	static const unsigned cats[] = { SPB_MAP_TAINTED, SPB_MAP_EMPTIED,
					 SPB_MAP_CLEAN };
	struct group_search gs = { .g = g, .budget = SPB_CONTIG_SCAN_SPBS };

	for (unsigned k = 0; k < (tainted_only ? 2u : 3u); k++)
		for (unsigned bucket = 1; bucket < SPB_NR_FULLNESS; bucket++) {
			uint64_t b = group_in_bucket(z, cats[k], bucket, &gs);

			if (b != UINT64_MAX)
				return b;
		}
	return UINT64_MAX;
}

/* Would a range of mt under gfp taint a clean SPB it is not allowed to? */
static bool rule_keeps_clean(unsigned mt, unsigned gfp)
{
	return mt != PA_MT_MOVABLE && gfp_keeps_nofrag_rule(gfp);
}

uint32_t spb_contig_take(struct pa_zone *z, unsigned order, unsigned mt,
			 unsigned gfp)
{
	uint64_t pfn;

	if (order <= z->max_order || !z->spb)
		return PA_NIL;
	if (order >= z->spb_order) {
		uint64_t first = find_whole_run(z, 1ull << (order - z->spb_order));

		if (first == UINT64_MAX)
			return PA_NIL;
		pfn = first << z->spb_order;
	} else {
		uint64_t b = find_free_group(z, 1ull << (order - z->pb_order),
					     rule_keeps_clean(mt, gfp));

		if (b == UINT64_MAX)
			return PA_NIL;
		pfn = b << z->pb_order;
	}
	fa_take_range(z, pfn, 1ull << order);
	return (uint32_t)pfn;
}

uint64_t spb_contig_region(struct pa_zone *z, unsigned order, unsigned mt,
			   uint64_t from, uint64_t *end)
{
	const uint64_t *t = spb_map(z, SPB_MAP_TAINTED);
	const uint64_t *e = spb_map(z, SPB_MAP_EMPTIED);
	const uint64_t *out = spb_map(z, SPB_MAP_CONTIG);
	uint64_t nr = STAT_LOAD(z->nr_pages);

	if (!z->spb || mt == PA_MT_MOVABLE || mt >= PA_MT_PCPTYPES ||
	    order >= z->spb_order || from >= nr)
		return PA_NO_PFN;
	for (uint64_t i = spb_of_pfn(z, from); i < z->nr_superpageblocks;) {
		uint64_t w = i >> 6, bits = (t[w] | e[w]) & ~out[w] & (~0ull << (i & 63));

		if (!bits) {
			i = (w + 1) << 6;
			continue;
		}
		i = (w << 6) + (uint64_t)__builtin_ctzll(bits);
		if (i >= z->nr_superpageblocks)
			break;
		uint64_t start = i << z->spb_order;

		*end = start + (1ull << z->spb_order) < nr ?
			       start + (1ull << z->spb_order) : nr;
		return start > from ? start : from;
	}
	return PA_NO_PFN;
}
