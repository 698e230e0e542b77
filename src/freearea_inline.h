/* SPDX-License-Identifier: MIT */
/*
 * The free lists' hot operations, inline for the files that call them on
 * every allocation and free (freearea.c and buddy.c): part of freearea's
 * concept (layout and invariants in freearea.h), kept out of freearea.h
 * because they need the whole struct pa_zone.
 */
#ifndef PA_FREEAREA_INLINE_H
#define PA_FREEAREA_INLINE_H

#include "spb_hint.h"
#include "zone.h"

static inline struct fa_part *part_at(const struct pa_zone *z, uint64_t p)
{
	return (struct fa_part *)((char *)z->fa_parts + p * z->fa_stride);
}

static inline uint64_t fa_part_of_(const struct pa_zone *z, uint64_t pfn)
{
	return pfn >> z->fa_shift;
}

static inline uint64_t *bitmap(const struct pa_zone *z, unsigned o,
			       unsigned mt)
{
	return z->fa_bits + ((uint64_t)o * PA_MT_TYPES + mt) * z->fa_words;
}

static inline bool deferred_left(const struct fa_part *pp)
{
	return pp->deferred_pfn < pp->deferred_end;
}

static inline bool is_deferred_list(const struct pa_zone *z, unsigned o,
				    unsigned mt)
{
	return o == z->max_order && mt == PA_MT_MOVABLE;
}

static inline void update_bit(struct pa_zone *z, uint64_t p, unsigned o, unsigned mt)
{
	const struct fa_part *pp = part_at(z, p);
	uint64_t *m = bitmap(z, o, mt), bit = 1ull << (p & 63);
	bool has = !pfn_list_empty(&pp->area[o].list[mt]) ||
		   (is_deferred_list(z, o, mt) && deferred_left(pp));

	if (has)
		m[p >> 6] |= bit;
	else
		m[p >> 6] &= ~bit;
}

/* ---- list operations: links, list counts, bitmaps ---- */

/* always_inline: a split or merge runs one per piece (gcc would call). */
static inline __attribute__((always_inline)) void
list_insert(struct pa_zone *z, uint32_t pfn, unsigned o, unsigned mt, bool tail)
{
	uint64_t p = fa_part_of_(z, pfn);
	struct free_area *a = &part_at(z, p)->area[o];
	bool was_empty = pfn_list_empty(&a->list[mt]);

	if (tail)
		pfn_list_add_tail(z->pages, &a->list[mt], pfn);
	else
		pfn_list_add(z->pages, &a->list[mt], pfn);
	a->nr_free[mt]++;
	z->fa_nr_free[o][mt]++;
	if (was_empty) {
		bitmap(z, o, mt)[p >> 6] |= 1ull << (p & 63);
		/* a partition that gains blocks may beat a hint (spb_hint.h) */
		if (mt < PA_MT_PCPTYPES && z->spb_hint_valid[mt])
			spb_hint_list_filled(z, p, o, mt);
	}
}

static inline __attribute__((always_inline)) void
list_remove(struct pa_zone *z, uint32_t pfn, unsigned o, unsigned mt)
{
	uint64_t p = fa_part_of_(z, pfn);
	struct free_area *a = &part_at(z, p)->area[o];

	pfn_list_del(z->pages, &a->list[mt], pfn);
	a->nr_free[mt]--;
	z->fa_nr_free[o][mt]--;
	if (pfn_list_empty(&a->list[mt])) {
		if (is_deferred_list(z, o, mt))
			update_bit(z, p, o, mt);
		else
			bitmap(z, o, mt)[p >> 6] &= ~(1ull << (p & 63));
	}
}

/* ---- free counts: zone, pageblock ---- */

static inline void add_free_pages(struct pa_zone *z, int64_t pages)
{
	__atomic_store_n(&z->free_pages, z->free_pages + (uint64_t)pages,
			 __ATOMIC_RELAXED);
}

/* Per-pageblock free counts: a block of order >= pageblock order covers
 * whole pageblocks, a smaller one lies inside one.  A pageblock that
 * becomes entirely free forgets what it held. */
static inline void pb_account(struct pa_zone *z, uint32_t pfn, unsigned order,
		       bool add)
{
	uint64_t first = pfn_to_pb(z, pfn);

	if (order >= z->pb_order) {
		pageblock_set_free_range(z, first, 1ull << (order - z->pb_order),
					 add);
		return;
	}
	struct pageblock_data *pb = &z->pb[first];
	uint32_t nr = add ? pb->nr_free + (1u << order)
			  : pb->nr_free - (1u << order);

	pageblock_set_free(z, first, nr);
	if (add && nr == pb_nr_pages(z))
		pageblock_clear_content(z, first);
}

/*
 * A block on or off its list without the pageblock free counts: for the
 * buddy's split and merge (buddy.c), where the pieces moving on and off the
 * lists stay free and only the block allocated or freed changes state.
 * The caller counts that block once with pb_account(), so a split of a
 * max-order block updates one pageblock (and its superpageblock summary),
 * not one per piece.
 */
static inline __attribute__((always_inline)) void
fa_add_piece_(struct pa_zone *z, uint32_t pfn, unsigned order, unsigned mt,
	      bool tail)
{
	list_insert(z, pfn, order, mt, tail);
	set_page_state(&z->pages[pfn], PG_STATE(PG_BUDDY, order));
	z->pages[pfn].lnext = PA_NIL;  /* a block new on a list: unreported */
	add_free_pages(z, (int64_t)1 << order);
}

static inline __attribute__((always_inline)) void
fa_del_piece_(struct pa_zone *z, uint32_t pfn, unsigned order, unsigned mt)
{
	list_remove(z, pfn, order, mt);
	set_page_state(&z->pages[pfn], 0);
	add_free_pages(z, -((int64_t)1 << order));
}

static inline void fa_add_(struct pa_zone *z, uint32_t pfn, unsigned order,
			   unsigned mt, bool tail)
{
	fa_add_piece_(z, pfn, order, mt, tail);
	pb_account(z, pfn, order, true);
}

static inline void fa_del_(struct pa_zone *z, uint32_t pfn, unsigned order,
			   unsigned mt)
{
	fa_del_piece_(z, pfn, order, mt);
	pb_account(z, pfn, order, false);
}

#endif
