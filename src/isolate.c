/* SPDX-License-Identifier: MIT */
/*
 * Pageblock isolation (isolate.h).  Everything that changes lists or types
 * goes through freearea.c and pageblock.c, so the isolate lists are
 * ordinary free lists of type PA_MT_ISOLATE and pa_check's free-list
 * hygiene covers them; pa_check also holds nr_isolated_pageblocks to the
 * pageblocks of that type.
 */
#include <errno.h>
#include <stdlib.h>

#include "isolate.h"
#include "buddy.h"
#include "rseq.h"

uint32_t free_block_covering(const struct pa_zone *z, uint64_t pfn,
			     unsigned *order)
{
	for (unsigned o = 0; o <= z->max_order; o++) {
		uint64_t head = pfn & ~((1ull << o) - 1);
		uint16_t st = page_state(&z->pages[head]);

		if (!st)
			continue;
		if ((st & 0xff) != PG_BUDDY || head + (1ull << (st >> 8)) <= pfn)
			return PA_NIL;
		*order = st >> 8;
		return (uint32_t)head;
	}
	return PA_NIL;
}

/* A free block straddling pfn (pageblock aligned) is split so that pfn
 * starts a block; the halves keep the block's type. */
static void split_free_at(struct pa_zone *z, uint64_t pfn)
{
	unsigned o;
	uint32_t head;

	if (pfn >= z->nr_pages || (head = free_block_covering(z, pfn, &o)) == PA_NIL ||
	    head == pfn)
		return;
	unsigned mt = pb_mt(pfn_pb(z, head));

	fa_del(z, head, o, mt);
	while (o--) {
		uint32_t hi = head + (1u << o);

		if (pfn == hi) {
			fa_add(z, head, o, mt, false);
			fa_add(z, hi, o, mt, false);
			return;
		}
		if (pfn > hi) {
			fa_add(z, head, o, mt, false);
			head = hi;
		} else {
			fa_add(z, hi, o, mt, false);
		}
	}
}

/* Every free block of the range onto list `to` (the range is split at
 * its ends, so none straddles), then every pageblock made `to`. */
static void retype_range(struct pa_zone *z, uint64_t start, uint64_t end,
			 unsigned to)
{
	for (uint64_t pfn = start; pfn < end;) {
		uint16_t st = page_state(&z->pages[pfn]);

		if (!st) {
			pfn++;
			continue;
		}
		if ((st & 0xff) == PG_BUDDY)
			fa_move(z, (uint32_t)pfn, st >> 8, pb_mt(pfn_pb(z, pfn)), to);
		pfn += 1ull << (st >> 8);
	}
	for (uint64_t b = start >> z->pb_order; b < end >> z->pb_order; b++)
		pageblock_set_type(z, b, to);
}

static bool range_isolatable(const struct pa_zone *z, uint64_t start,
			     uint64_t end)
{
	for (uint64_t b = start >> z->pb_order; b < end >> z->pb_order; b++) {
		unsigned mt = pb_mt(&z->pb[b]);

		if (mt == PA_MT_HIGHATOMIC || mt == PA_MT_ISOLATE)
			return false;
	}
	return true;
}

int isolate_range(struct pa_zone *z, struct pa_isolation *iso, uint64_t start,
		  uint64_t end)
{
	uint64_t n = (end - start) >> z->pb_order;

	iso->start = start;
	iso->end = end;
	iso->saved_mt = malloc(n ? n : 1);
	if (!iso->saved_mt)
		return -ENOMEM;
	zone_lock(z);
	if (!range_isolatable(z, start, end)) {
		zone_unlock(z);
		free(iso->saved_mt);
		iso->saved_mt = NULL;
		return -EBUSY;
	}
	fa_undefer(z, end);
	for (uint64_t i = 0; i < n; i++)
		iso->saved_mt[i] = (uint8_t)pb_mt(&z->pb[(start >> z->pb_order) + i]);
	split_free_at(z, start);
	split_free_at(z, end);
	retype_range(z, start, end, PA_MT_ISOLATE);
	z->nr_isolated_pageblocks += n;
	zone_unlock(z);
	isolate_pull_pcp(z, iso);
	return 0;
}

void isolate_pull_pcp(struct pa_zone *z, const struct pa_isolation *iso)
{
	for (unsigned c = 0; z->use_pcp && c < z->ncpus; c++) {
		pcp_lock(z, c); /* rseq.h: the fenced lock for other CPUs */
		z->ops->pcp_release_range(z, c, iso->start, iso->end);
		pcp_unlock(z, c);
	}
}

bool isolate_range_free(struct pa_zone *z, uint64_t pfn, uint64_t n)
{
	unsigned o;
	uint64_t end = pfn + n;
	uint32_t head = free_block_covering(z, pfn, &o);

	if (head == PA_NIL)
		return false;
	for (pfn = head + (1ull << o); pfn < end;) {
		uint16_t st = page_state(&z->pages[pfn]);

		if ((st & 0xff) != PG_BUDDY)
			return false;
		pfn += 1ull << (st >> 8);
	}
	return true;
}

/* Do all the pageblocks of the block have one type?  A block that
 * merged while isolated may span pageblocks whose restored types differ. */
bool block_one_type(const struct pa_zone *z, uint32_t pfn, unsigned order)
{
	uint64_t first = pfn_to_pb(z, pfn);
	uint64_t n = order > z->pb_order ? 1ull << (order - z->pb_order) : 1;

	for (uint64_t i = 1; i < n; i++)
		if (pb_mt(&z->pb[first + i]) != pb_mt(&z->pb[first]))
			return false;
	return true;
}

/* Give a detached free block back, except its part inside [keep, end):
 * halves straddling the kept range, or spanning pageblocks of different
 * types, are split until each piece is inside (left off the lists) or
 * outside and of one type (freed, merging as any free does). */
static void give_back(struct pa_zone *z, uint32_t pfn, unsigned order,
		      uint64_t keep, uint64_t keep_end)
{
	uint64_t end = pfn + (1ull << order);

	if ((end <= keep || pfn >= keep_end) && block_one_type(z, pfn, order)) {
		free_one_page(z, pfn, order);
		return;
	}
	if (pfn >= keep && end <= keep_end)
		return;
	give_back(z, pfn, order - 1, keep, keep_end);
	give_back(z, pfn + (1u << (order - 1)), order - 1, keep, keep_end);
}

void isolate_release_locked(struct pa_zone *z, struct pa_isolation *iso,
			    uint64_t keep, uint64_t keep_end)
{
	uint32_t chain = PA_NIL;
	uint64_t n = (iso->end - iso->start) >> z->pb_order;

	/* detach every isolated free block: the chain runs through .next,
	 * the order is kept in .prev (the pages are off every list) */
	for (uint64_t pfn = iso->start; pfn < iso->end;) {
		uint16_t st = page_state(&z->pages[pfn]);

		if (!st) {
			pfn++;
			continue;
		}
		if ((st & 0xff) == PG_BUDDY) {
			fa_del(z, (uint32_t)pfn, st >> 8, PA_MT_ISOLATE);
			z->pages[pfn].next = chain;
			z->pages[pfn].prev = st >> 8;
			chain = (uint32_t)pfn;
		}
		pfn += 1ull << (st >> 8);
	}
	for (uint64_t i = 0; i < n; i++)
		pageblock_set_type(z, (iso->start >> z->pb_order) + i,
				   iso->saved_mt[i]);
	z->nr_isolated_pageblocks -= n;
	while (chain != PA_NIL) {
		uint32_t pfn = chain;

		chain = z->pages[pfn].next;
		give_back(z, pfn, z->pages[pfn].prev, keep, keep_end);
	}
	free(iso->saved_mt);
	iso->saved_mt = NULL;
}

void isolate_undo(struct pa_zone *z, struct pa_isolation *iso)
{
	zone_lock(z);
	isolate_release_locked(z, iso, 0, 0);
	zone_unlock(z);
	/* a free that read the isolated type went to the zone: fine */
}
