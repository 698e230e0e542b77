/* SPDX-License-Identifier: MIT */
/*
 * Changes to pageblock_data: its type, free count and content bits.  One
 * place for each, so that whatever is derived from pageblocks (the
 * superpageblock summaries) is kept in step from here.
 */
#include "zone.h"

void pageblock_set_type(struct pa_zone *z, uint64_t b, unsigned mt)
{
	unsigned old = pb_mt(&z->pb[b]);

	if (old == mt)
		return;
	pb_store_mt_(&z->pb[b], mt);
	if (z->spb)
		spb_pb_type_changed(z, b, old);
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
	uint32_t old = z->pb[b].nr_free;

	/* atomic: compaction and contiguous allocation read it unlocked */
	__atomic_store_n(&z->pb[b].nr_free, nr_free, __ATOMIC_RELAXED);
	if (z->spb && old != nr_free)
		spb_pb_free_changed(z, b, old);
	if (nr_free == pb_nr_pages(z) && z->ops->pageblock_whole)
		z->ops->pageblock_whole(z, b);
}

void pageblock_set_free_range(struct pa_zone *z, uint64_t first, uint64_t n,
			      bool free)
{
	uint32_t nr = free ? (uint32_t)pb_nr_pages(z) : 0;

	for (uint64_t b = first; b < first + n; b++) {
		pageblock_set_free(z, b, nr);
		if (free)
			pageblock_clear_content(z, b);
	}
}

void pageblock_clear_content(struct pa_zone *z, uint64_t b)
{
	unsigned old = __atomic_load_n(&z->pb[b].content, __ATOMIC_RELAXED);

	if (!old)
		return;
	__atomic_store_n(&z->pb[b].content, 0, __ATOMIC_RELAXED);
	if (z->spb)
		spb_pb_content_changed(z, b, old);
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
		unsigned old = __atomic_load_n(&pb->content, __ATOMIC_RELAXED);

		if (old & bit)
			continue;
		__atomic_fetch_or(&pb->content, bit, __ATOMIC_RELAXED);
		if (z->spb)
			spb_pb_content_changed(z, first + i, old);
	}
}

void pageblock_online(struct pa_zone *z, uint64_t b)
{
	struct pageblock_data *pb = &z->pb[b];

	/* atomic: unlocked readers (the free path, scanners) may look */
	pb_store_mt_(pb, PA_MT_MOVABLE);
	pb_set_owner(pb, 0);
	__atomic_store_n(&pb->content, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&pb->nr_free, 0, __ATOMIC_RELAXED);
}
