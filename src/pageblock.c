/* SPDX-License-Identifier: MIT */
/*
 * Changes to pageblock_data: its type, free count and content bits.  One
 * place for each, so that whatever is derived from pageblocks is kept in
 * step from here.
 */
#include "zone.h"

void pageblock_set_type(struct pa_zone *z, uint64_t b, unsigned mt)
{
	if (pb_mt(&z->pb[b]) == mt)
		return;
	pb_store_mt_(&z->pb[b], mt);
	if (z->ops->pageblock_retyped)
		z->ops->pageblock_retyped(z, b);
}

void pageblock_set_range_type(struct pa_zone *z, uint64_t pfn, unsigned order,
			      unsigned mt)
{
	uint64_t first = pfn_to_pb(z, pfn);
	uint64_t n = order > z->pb_order ? 1ull << (order - z->pb_order) : 1;

	for (uint64_t i = 0; i < n; i++)
		pageblock_set_type(z, first + i, mt);
}

void pageblock_set_free(struct pa_zone *z, uint64_t b, uint32_t nr_free)
{
	/* atomic: compaction and contiguous allocation read it unlocked */
	__atomic_store_n(&z->pb[b].nr_free, nr_free, __ATOMIC_RELAXED);
	if (nr_free == pb_nr_pages(z) && z->ops->pageblock_whole)
		z->ops->pageblock_whole(z, b);
}

void pageblock_set_free_range(struct pa_zone *z, uint64_t first, uint64_t n,
			      bool free)
{
	uint32_t nr = free ? (uint32_t)pb_nr_pages(z) : 0;

	for (uint64_t b = first; b < first + n; b++) {
		z->pb[b].nr_free = nr;
		if (free) {
			pageblock_clear_content(z, b);
			if (z->ops->pageblock_whole)
				z->ops->pageblock_whole(z, b);
		}
	}
}

void pageblock_clear_content(struct pa_zone *z, uint64_t b)
{
	__atomic_store_n(&z->pb[b].content, 0, __ATOMIC_RELAXED);
}

/* Set when blocks leave the free lists for an allocation or a pageset of
 * that type, not on every per-CPU hit: the pageset's lists are per type,
 * so the bit is already right. */
void pageblock_mark_content(struct pa_zone *z, uint64_t pfn, unsigned order,
			    unsigned mt)
{
	unsigned bit = pb_content_bit(mt);
	uint64_t first = pfn_to_pb(z, pfn);
	uint64_t n = order > z->pb_order ? 1ull << (order - z->pb_order) : 1;

	for (uint64_t i = 0; i < n; i++) {
		struct pageblock_data *pb = &z->pb[first + i];

		if (!(__atomic_load_n(&pb->content, __ATOMIC_RELAXED) & bit))
			__atomic_fetch_or(&pb->content, bit, __ATOMIC_RELAXED);
	}
}
