/* SPDX-License-Identifier: MIT */
/*
 * The zone's free lists (layout and invariants in freearea.h).  A list
 * operation also keeps the partition bitmaps, and adding or removing a block
 * keeps the free counts (page state, zone, pageblock): one piece of code for
 * each, whatever the policy.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "freearea_inline.h"

uint64_t fa_part_of(const struct pa_zone *z, uint64_t pfn)
{
	return pfn >> z->fa_shift;
}

uint64_t fa_nr_parts(const struct pa_zone *z)
{
	return z->fa_parts_n;
}

uint64_t fa_nr_words(const struct pa_zone *z)
{
	return z->fa_words;
}

const uint64_t *fa_nonempty_map(const struct pa_zone *z, unsigned order,
				unsigned mt)
{
	return bitmap(z, order, mt);
}

int fa_init(struct pa_zone *z, unsigned part_shift)
{
	z->fa_shift = part_shift >= 32 ? 63 : part_shift;
	/* partitions for the largest size pa_zone_grow may reach */
	z->fa_parts_n = part_shift >= 32 ? 1 :
		(z->max_pages + (1ull << part_shift) - 1) >> part_shift;
	z->fa_stride = sizeof(struct fa_part) +
		       (z->max_order + 1) * sizeof(struct free_area);
	z->fa_words = (z->fa_parts_n + 63) / 64;
	z->fa_parts = calloc(z->fa_parts_n, z->fa_stride);
	z->fa_bits = calloc((z->max_order + 1) * PA_MT_TYPES * z->fa_words,
			    sizeof(uint64_t));
	if (!z->fa_parts || !z->fa_bits)
		return -ENOMEM;
	for (uint64_t p = 0; p < z->fa_parts_n; p++)
		for (unsigned o = 0; o <= z->max_order; o++)
			for (unsigned m = 0; m < PA_MT_TYPES; m++)
				pfn_list_init(&part_at(z, p)->area[o].list[m]);
	return 0;
}

unsigned fa_whole_zone(const struct pa_zone *z)
{
	(void)z;
	return 64;
}

void fa_destroy(struct pa_zone *z)
{
	free(z->fa_parts);
	free(z->fa_bits);
	z->fa_parts = NULL;
	z->fa_bits = NULL;
}

void fa_add(struct pa_zone *z, uint32_t pfn, unsigned order, unsigned mt,
	    bool tail)
{
	fa_add_(z, pfn, order, mt, tail);
}

void fa_del(struct pa_zone *z, uint32_t pfn, unsigned order, unsigned mt)
{
	fa_del_(z, pfn, order, mt);
}

void fa_move(struct pa_zone *z, uint32_t pfn, unsigned order, unsigned from,
	     unsigned to)
{
	list_remove(z, pfn, order, from);
	list_insert(z, pfn, order, to, true);
}

/* ---- boot-time memory and its deferral ---- */

/* Put the partition's next deferred max-order block on its list.  Its
 * pages are already counted free (zone and pageblocks): only the list and
 * the page state are new. */
static void grow_deferred(struct pa_zone *z, struct fa_part *pp)
{
	uint32_t pfn = (uint32_t)pp->deferred_pfn;

	pp->deferred_pfn += 1ull << z->max_order;
	z->fa_deferred -= 1ull << z->max_order;
	list_insert(z, pfn, z->max_order, PA_MT_MOVABLE, true);
	set_page_state(&z->pages[pfn], PG_STATE(PG_BUDDY, z->max_order));
}

void fa_boot(struct pa_zone *z)
{
	uint64_t block = 1ull << z->max_order;
	uint64_t span = z->fa_parts_n == 1 ? z->nr_pages : 1ull << z->fa_shift;

	for (uint64_t b = 0; b < z->nr_pageblocks; b++)
		pageblock_set_type(z, b, PA_MT_MOVABLE);
	for (uint64_t p = 0; p < z->fa_parts_n; p++) {
		struct fa_part *pp = part_at(z, p);
		uint64_t start = p * span;
		uint64_t end = start + span < z->nr_pages ? start + span : z->nr_pages;

		if (start >= z->nr_pages) { /* room for growth: empty */
			pp->deferred_pfn = pp->deferred_end = start;
			continue;
		}

		pp->deferred_pfn = start;
		pp->deferred_end = end & ~(block - 1);
		for (uint64_t b = start >> z->pb_order;
		     b < pp->deferred_end >> z->pb_order; b++)
			pageblock_set_free(z, b, (uint32_t)pb_nr_pages(z));
		add_free_pages(z, (int64_t)(pp->deferred_end - start));
		z->fa_deferred += pp->deferred_end - start;
		update_bit(z, p, z->max_order, PA_MT_MOVABLE);
		/* the ragged end: largest aligned blocks, listed now */
		for (uint64_t pfn = pp->deferred_end; pfn < end;) {
			unsigned o = z->max_order;

			while ((pfn & ((1ull << o) - 1)) || pfn + (1ull << o) > end)
				o--;
			fa_add(z, (uint32_t)pfn, o, PA_MT_MOVABLE, true);
			pfn += 1ull << o;
		}
	}
}

uint64_t fa_metadata_bytes(const struct pa_zone *z)
{
	return z->fa_parts_n * z->fa_stride +
	       (z->max_order + 1) * PA_MT_TYPES * z->fa_words * sizeof(uint64_t);
}

uint64_t fa_deferred_pages(const struct pa_zone *z)
{
	return z->fa_deferred;
}

void fa_undefer(struct pa_zone *z, uint64_t end)
{
	for (uint64_t p = 0; p < z->fa_parts_n; p++) {
		struct fa_part *pp = part_at(z, p);

		while (deferred_left(pp) && pp->deferred_pfn < end)
			grow_deferred(z, pp);
	}
}

void fa_take_range(struct pa_zone *z, uint64_t pfn, uint64_t nr)
{
	uint64_t end = pfn + nr;

	/* only the partitions the range lies in: a 1 GiB take on a 1 TiB
	 * zone must not list every deferred block below it */
	for (uint64_t p = fa_part_of_(z, pfn); p <= fa_part_of_(z, end - 1); p++) {
		struct fa_part *pp = part_at(z, p);

		while (deferred_left(pp) && pp->deferred_pfn < end)
			grow_deferred(z, pp);
	}
	for (uint64_t p = pfn; p < end;) {
		uint16_t st = page_state(&z->pages[p]);
		unsigned o = st >> 8;

		if ((st & 0xff) != PG_BUDDY) { /* not free: the caller's bug */
			p++;
			continue;
		}
		fa_del_(z, (uint32_t)p, o, pb_mt(pfn_pb(z, p)));
		p += 1ull << o;
	}
}

uint64_t fa_skip_deferred(const struct pa_zone *z, uint64_t pfn)
{
	const struct fa_part *pp = part_at(z, fa_part_of(z, pfn));

	return pfn == pp->deferred_pfn && deferred_left(pp) ? pp->deferred_end
							    : pfn;
}

/* ---- look-ups ---- */

uint32_t fa_part_first(struct pa_zone *z, uint64_t part, unsigned order,
		       unsigned mt)
{
	struct fa_part *pp = part_at(z, part);
	const struct pfn_list *l = &pp->area[order].list[mt];

	if (pfn_list_empty(l)) {
		if (!is_deferred_list(z, order, mt) || !deferred_left(pp))
			return PA_NIL;
		grow_deferred(z, pp);
	}
	return pfn_list_first(l);
}

/* Lowest partition >= from with free blocks of (order, mt), or the
 * partition count. */
static uint64_t next_part(const struct pa_zone *z, uint64_t from,
			  unsigned order, unsigned mt)
{
	const uint64_t *m = bitmap(z, order, mt);

	for (uint64_t w = from >> 6; w < z->fa_words; w++) {
		uint64_t bits = m[w];

		if (w == from >> 6)
			bits &= ~0ull << (from & 63);
		if (bits)
			return w * 64 + (uint64_t)__builtin_ctzll(bits);
	}
	return z->fa_parts_n;
}

uint32_t fa_first(struct pa_zone *z, unsigned order, unsigned mt)
{
	if (z->fa_parts_n == 1) /* one partition: no bitmap to search */
		return bitmap(z, order, mt)[0] ? fa_part_first(z, 0, order, mt)
					       : PA_NIL;
	uint64_t p = next_part(z, 0, order, mt);

	return p < z->fa_parts_n ? fa_part_first(z, p, order, mt) : PA_NIL;
}

uint32_t fa_next(struct pa_zone *z, uint32_t pfn, unsigned order, unsigned mt)
{
	uint64_t p = fa_part_of(z, pfn);
	uint32_t next = z->pages[pfn].next;

	if (next != pfn_list_first(&part_at(z, p)->area[order].list[mt]))
		return next;
	p = next_part(z, p + 1, order, mt);
	return p < z->fa_parts_n ? fa_part_first(z, p, order, mt) : PA_NIL;
}

uint64_t fa_nr_free(const struct pa_zone *z, unsigned order, unsigned mt)
{
	uint64_t n = z->fa_nr_free[order][mt];

	if (is_deferred_list(z, order, mt))
		n += z->fa_deferred >> z->max_order;
	return n;
}

uint64_t fa_part_nr_free(const struct pa_zone *z, uint64_t part,
			 unsigned order, unsigned mt)
{
	const struct fa_part *pp = part_at(z, part);
	uint64_t n = pp->area[order].nr_free[mt];

	if (is_deferred_list(z, order, mt))
		n += (pp->deferred_end - pp->deferred_pfn) >> z->max_order;
	return n;
}

const struct pfn_list *fa_list(const struct pa_zone *z, uint64_t part,
			       unsigned order, unsigned mt)
{
	return &part_at(z, part)->area[order].list[mt];
}

uint64_t fa_list_count(const struct pa_zone *z, uint64_t part, unsigned order,
		       unsigned mt)
{
	return part_at(z, part)->area[order].nr_free[mt];
}

bool fa_listed(const struct pa_zone *z, uint32_t pfn, unsigned order,
	       unsigned mt)
{
	return pfn < z->nr_pages &&
	       page_state(&z->pages[pfn]) == PG_STATE(PG_BUDDY, order) &&
	       pb_mt(pfn_pb(z, pfn)) == mt;
}

bool fa_reported(const struct pa_zone *z, uint32_t pfn)
{
	return z->pages[pfn].lnext == FA_REPORTED_TAG;
}

void fa_mark_reported(struct pa_zone *z, uint32_t pfn)
{
	z->pages[pfn].lnext = FA_REPORTED_TAG;
}

/* ---- checking ---- */

const char *fa_check(struct pa_zone *z, char *buf, size_t len)
{
	uint64_t deferred = 0, span = 1ull << z->fa_shift;

	for (uint64_t p = 0; p < z->fa_parts_n; p++) {
		const struct fa_part *pp = part_at(z, p);

		if (pp->deferred_pfn > pp->deferred_end ||
		    (pp->deferred_pfn & ((1ull << z->max_order) - 1)) ||
		    (z->fa_parts_n > 1 && deferred_left(pp) &&
		     (pp->deferred_pfn < p * span ||
		      pp->deferred_end > (p + 1) * span))) {
			snprintf(buf, len, "partition %llu: deferred range [%llu, %llu) is malformed",
				 (unsigned long long)p,
				 (unsigned long long)pp->deferred_pfn,
				 (unsigned long long)pp->deferred_end);
			return buf;
		}
		deferred += pp->deferred_end - pp->deferred_pfn;
		for (unsigned o = 0; o <= z->max_order; o++)
			for (unsigned m = 0; m < PA_MT_TYPES; m++) {
				const uint64_t *bm = bitmap(z, o, m);
				bool bit = bm[p >> 6] & (1ull << (p & 63));
				bool has = !pfn_list_empty(&pp->area[o].list[m]) ||
					   (is_deferred_list(z, o, m) && deferred_left(pp));

				if (bit != has) {
					snprintf(buf, len, "partition %llu order %u %s: bitmap bit %d, lists say %d",
						 (unsigned long long)p, o,
						 pa_migratetype_name(m), bit, has);
					return buf;
				}
			}
	}
	if (deferred != z->fa_deferred) {
		snprintf(buf, len, "deferred pages %llu, partitions hold %llu",
			 (unsigned long long)z->fa_deferred,
			 (unsigned long long)deferred);
		return buf;
	}
	for (unsigned o = 0; o <= z->max_order; o++)
		for (unsigned m = 0; m < PA_MT_TYPES; m++) {
			uint64_t n = 0;

			for (uint64_t p = 0; p < z->fa_parts_n; p++)
				n += part_at(z, p)->area[o].nr_free[m];
			if (n != z->fa_nr_free[o][m]) {
				snprintf(buf, len, "order %u %s: zone counts %llu free blocks, partitions %llu",
					 o, pa_migratetype_name(m),
					 (unsigned long long)z->fa_nr_free[o][m],
					 (unsigned long long)n);
				return buf;
			}
		}
	return NULL;
}
