/* SPDX-License-Identifier: MIT */
/*
 * Choosing a superpageblock from the summaries, as the series' author
 * proposed to the reviewers: AND the category bitmap, one fullness bucket's
 * bitmap and the free lists' non-empty bitmaps of the wanted orders, then
 * find the first set bit.  Cost: bitmap words, never SPBs or list entries.
 * SPBs handed out whole to a contiguous allocation are masked out.
 * Needs the free lists partitioned per SPB (spb_part_shift), so partition
 * p of a non-empty map is SPB p.  Under zone->lock.
 */
#include "spb_steer.h"
#include "zone.h"

/* SPBs with a free block of mt at some order in [lo, hi], word w. */
static inline uint64_t nonempty_word(const struct pa_zone *z, unsigned mt,
				     unsigned lo, unsigned hi, uint64_t w)
{
	uint64_t bits = 0;

	for (unsigned o = lo; o <= hi; o++)
		bits |= fa_nonempty_map(z, o, mt)[w];
	return bits;
}

#ifdef PA_SPB_NAIVE_PICK
/* Benchmark-only variant (bench/bench_spb.c's "naive walk"): visit SPBs
 * one by one, reading each summary and its free-list counts, as the
 * posted series' list walks do.  *words counts SPBs visited. */
static uint64_t pick_in_bucket(const struct pa_zone *z,
			       const struct spb_want *w, unsigned bucket,
			       uint64_t *words)
{
	unsigned cat = w->cat; /* map index == category */

	for (uint64_t i = 0; i < z->nr_superpageblocks; i++) {
		const struct superpageblock *s = spb_get(z, i);

		++*words;
		if (s->category != cat || s->fullness != bucket || !s->nr_free ||
		    spb_is_contig(z, i))
			continue;
		for (unsigned o = w->lo; o <= w->hi; o++)
			if (fa_part_nr_free(z, i, o, w->mt))
				return i;
	}
	return UINT64_MAX;
}
#else
static uint64_t pick_in_bucket(const struct pa_zone *z,
			       const struct spb_want *w, unsigned bucket,
			       uint64_t *words)
{
	const uint64_t *cat = spb_map(z, w->cat);
	const uint64_t *full = spb_map(z, SPB_MAP_FULLNESS(bucket));
	const uint64_t *whole_out = spb_map(z, SPB_MAP_CONTIG);

	for (uint64_t i = 0; i < spb_nr_words(z); i++) {
		uint64_t bits = cat[i] & full[i] & ~whole_out[i];

		++*words;
		if (bits)
			bits &= nonempty_word(z, w->mt, w->lo, w->hi, i);
		if (bits)
			return i * 64 + (uint64_t)__builtin_ctzll(bits);
	}
	return UINT64_MAX;
}
#endif

uint64_t spb_pick(const struct pa_zone *z, const struct spb_want *w,
		  uint64_t *words)
{
	if (w->lo > w->hi)
		return UINT64_MAX;
	unsigned cat = w->cat; /* map index == category */

	/* bucket 0 (no free page) can serve nothing */
	for (unsigned k = 0; k + 1 < SPB_NR_FULLNESS; k++) {
		unsigned bucket = w->emptiest_first ? SPB_NR_FULLNESS - 1 - k : k + 1;

		if (!spb_count(z, cat, bucket))
			continue;
		uint64_t spb = pick_in_bucket(z, w, bucket, words);

		if (spb != UINT64_MAX)
			return spb;
	}
	return UINT64_MAX;
}

uint32_t spb_block_in(struct pa_zone *z, uint64_t spb, unsigned mt,
		      unsigned lo, unsigned hi, bool largest_first,
		      unsigned *order)
{
	for (unsigned k = 0; lo + k <= hi; k++) {
		unsigned o = largest_first ? hi - k : lo + k;
		uint32_t pfn = fa_part_first(z, spb, o, mt);

		if (pfn != PA_NIL) {
			*order = o;
			return pfn;
		}
	}
	return PA_NIL;
}
