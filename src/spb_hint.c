/* SPDX-License-Identifier: MIT */
/*
 * Pass 1's exact hint (spb_hint.h).
 */
#include "spb_hint.h"
#include "zone.h"

/* Category ranks in the pick's order; SPB_NR_CATEGORIES: never picked. */
static unsigned cat_rank(unsigned mt, unsigned category)
{
	if (mt == PA_MT_MOVABLE)
		return category == SPB_CLEAN ? 0 : category == SPB_EMPTIED ? 1 : 2;
	return category == SPB_TAINTED ? 0 :
	       category == SPB_EMPTIED ? 1 : SPB_NR_CATEGORIES;
}

static uint64_t key_of(const struct pa_zone *z, uint64_t spb, unsigned mt)
{
	const struct superpageblock *s = spb_get(z, spb);

	return ((uint64_t)cat_rank(mt, s->category) * SPB_NR_FULLNESS +
		s->fullness) * z->nr_superpageblocks + spb;
}

/* Could SPB spb serve order/mt in Pass 1: a category the pick looks at,
 * not handed out whole, a free block of mt at an order in [order, max]? */
static bool can_serve(const struct pa_zone *z, uint64_t spb, unsigned order,
		      unsigned mt)
{
	uint64_t bit = 1ull << (spb & 63);

	if (cat_rank(mt, spb_get(z, spb)->category) == SPB_NR_CATEGORIES ||
	    spb_is_contig(z, spb))
		return false;
	for (unsigned o = order; o <= z->max_order; o++)
		if (fa_nonempty_map(z, o, mt)[spb >> 6] & bit)
			return true;
	return false;
}

uint64_t spb_hint_get(const struct pa_zone *z, unsigned order, unsigned mt)
{
	if (z->spb_hint_off || !(z->spb_hint_valid[mt] & (1u << order)))
		return UINT64_MAX;
	uint64_t spb = z->spb_hint[order][mt];

	return can_serve(z, spb, order, mt) ? spb : UINT64_MAX;
}

void spb_hint_set(struct pa_zone *z, unsigned order, unsigned mt,
		  uint64_t spb)
{
	/* up to 64 SPBs a pick is one AND per bucket: nothing to save, and
	 * keeping a hint costs on every list fill and SPB change */
	if (spb == UINT64_MAX || z->spb_hint_off ||
	    z->spb_words < SPB_HINT_MIN_WORDS) {
		z->spb_hint_valid[mt] &= ~(1u << order);
		return;
	}
	z->spb_hint[order][mt] = spb;
	z->spb_hint_key[order][mt] = key_of(z, spb, mt);
	z->spb_hint_valid[mt] |= 1u << order;
}

void spb_hint_list_filled(struct pa_zone *z, uint64_t spb, unsigned order,
			  unsigned mt)
{
	uint32_t valid = z->spb_hint_valid[mt] & ((2u << order) - 1);
	uint64_t key = UINT64_MAX;

	/* most fills are frees into the hinted SPB itself: nothing to do */
	for (; valid; valid &= valid - 1) {
		unsigned o = (unsigned)__builtin_ctz(valid);

		if (z->spb_hint[o][mt] == spb)
			continue;
		if (key == UINT64_MAX) {
			if (cat_rank(mt, spb_get(z, spb)->category) ==
				    SPB_NR_CATEGORIES || spb_is_contig(z, spb))
				return;
			key = key_of(z, spb, mt);
		}
		if (key < z->spb_hint_key[o][mt])
			z->spb_hint_valid[mt] &= ~(1u << o);
	}
}

/* SPB spb's key changed: the hint of (o, mt) survives if spb is its SPB
 * and the key went down (fuller: allocations from it, the common case),
 * or spb is another SPB that still cannot beat it. */
static bool hint_survives(struct pa_zone *z, uint64_t spb, unsigned o,
			  unsigned mt)
{
	uint64_t key = key_of(z, spb, mt);

	if (z->spb_hint[o][mt] == spb) {
		if (key > z->spb_hint_key[o][mt])
			return false;
		z->spb_hint_key[o][mt] = key;
		return true;
	}
	return key > z->spb_hint_key[o][mt] || !can_serve(z, spb, o, mt);
}

void spb_hint_spb_changed(struct pa_zone *z, uint64_t spb)
{
	for (unsigned mt = 0; mt < PA_MT_PCPTYPES; mt++) {
		uint32_t valid = z->spb_hint_valid[mt];

		for (; valid; valid &= valid - 1) {
			unsigned o = (unsigned)__builtin_ctz(valid);

			if (!hint_survives(z, spb, o, mt))
				z->spb_hint_valid[mt] &= ~(1u << o);
		}
	}
}

void spb_hint_drop_all(struct pa_zone *z)
{
	for (unsigned mt = 0; mt < PA_MT_PCPTYPES; mt++)
		z->spb_hint_valid[mt] = 0;
}
