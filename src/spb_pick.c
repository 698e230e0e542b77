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
#include "freearea_inline.h"
#include "spb_steer.h"
#include "zone.h"

/* SPBs with a free block of mt at some order in [lo, hi], word w. */
static inline uint64_t nonempty_word(const struct pa_zone *z, unsigned mt,
				     unsigned lo, unsigned hi, uint64_t w)
{
	/* an index, not a pointer, steps past the last map */
	uint64_t step = (uint64_t)PA_MT_TYPES * z->fa_words, bits = 0;
	uint64_t at = (uint64_t)(bitmap(z, lo, mt) - z->fa_bits) + w;

	for (unsigned o = lo; o <= hi; o++, at += step)
		bits |= z->fa_bits[at];
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
	const uint64_t *cat = spb_map_at(z, w->cat);
	const uint64_t *full = spb_map_at(z, SPB_MAP_FULLNESS(bucket));
	const uint64_t *whole_out = spb_map_at(z, SPB_MAP_CONTIG);

	for (uint64_t i = 0; i < z->spb_words; i++) {
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

	/* the buckets holding SPBs of the category; bucket 0 (no free
	 * page) can serve nothing */
	unsigned left = z->spb_buckets[cat] & ~1u;

	while (left) {
		unsigned bucket = w->emptiest_first ? 31u - (unsigned)__builtin_clz(left)
						    : (unsigned)__builtin_ctz(left);
		uint64_t spb = pick_in_bucket(z, w, bucket, words);

		if (spb != UINT64_MAX)
			return spb;
		left &= ~(1u << bucket);
	}
	return UINT64_MAX;
}

uint32_t spb_block_in(struct pa_zone *z, uint64_t spb, unsigned mt,
		      unsigned lo, unsigned hi, bool largest_first,
		      unsigned *order)
{
	uint64_t bit = 1ull << (spb & 63), step = PA_MT_TYPES * z->fa_words;
	/* an index, not a pointer, steps past the last map (wrapping below
	 * the first when largest_first: unsigned, never read) */
	uint64_t at = (uint64_t)(bitmap(z, largest_first ? hi : lo, mt) -
				 z->fa_bits) + (spb >> 6);

	if (largest_first)
		step = 0 - step;
	/* the non-empty maps say which lists hold a block (deferred boot
	 * blocks included): one list look-up, on the order that has one */
	for (unsigned k = 0; lo + k <= hi; k++, at += step) {
		if (!(z->fa_bits[at] & bit))
			continue;
		unsigned o = largest_first ? hi - k : lo + k;
		uint32_t pfn = fa_part_first(z, spb, o, mt);

		if (pfn != PA_NIL) {
			*order = o;
			return pfn;
		}
	}
	return PA_NIL;
}
