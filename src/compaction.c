/* SPDX-License-Identifier: MIT */
/*
 * Compaction, as compact_zone does it: a migrate scanner walks pageblocks
 * up from the zone's start, a free scanner walks down from its end taking
 * free blocks of Movable pageblocks as destinations, and they stop when
 * they meet.  Movable blocks move in batches (migrate.h), their sources
 * freed straight to the zone so an emptied pageblock merges at once.
 *
 * Unlike the kernel's sync mode, the migrate scanner only empties
 * pageblocks that can become entirely free (no unmovable or pinned block
 * in them): a page moved out of a block that stays fragmented is a move
 * for nothing.
 */
#include <errno.h>
#include <string.h>

#include "buddy.h"
#include "error.h"
#include "fragindex.h"
#include "isolate.h"
#include "migrate.h"

/* extfrag_threshold: an index at or below it (x1000) means a failure for
 * lack of memory, which compaction cannot help */
#define COMPACT_EXTFRAG_THRESHOLD 500

enum compact_mode { COMPACT_DIRECT, COMPACT_PROACTIVE };

struct compact_control {
	unsigned order, low_mark;
	enum compact_mode mode;
	uint64_t migrate_pb;          /* next pageblock the migrate scanner looks at */
	uint64_t free_pb;             /* pageblock the free scanner is in */
	uint64_t free_pfn;            /* its cursor inside free_pb */
	struct pa_compact_stats st;
	bool met;                     /* scanners met or destinations ran out */
};

/* ---- fragmentation figures (fragindex.c; zone->lock held) ---- */

/* Share of free memory not usable for the order, 0..100 (proactive
 * compaction's zone score, the kernel's extfrag_for_order). */
static unsigned extfrag_for_order(struct pa_zone *z, unsigned order)
{
	/* nothing free: nothing to gain (the unusable index says 1 then) */
	if (!z->free_pages)
		return 0;
	return (unsigned)fragindex_unusable_locked(z, order) / 10;
}

static bool block_free_of_order(struct pa_zone *z, unsigned order)
{
	for (unsigned o = order; o <= z->max_order; o++)
		for (unsigned mt = 0; mt < PA_MT_ISOLATE; mt++)
			if (fa_nr_free(z, o, mt))
				return true;
	return false;
}

/* Room to migrate above the watermark, and (order > 3) not a failure for
 * lack of memory by the fragmentation index (extfrag_threshold 500). */
static bool compaction_suitable(struct pa_zone *z, unsigned order)
{
	uint64_t wmark = order > PA_COSTLY_ORDER ? STAT_LOAD(z->wmark_low) : STAT_LOAD(z->wmark_min);

	if (z->free_pages < wmark + (2ull << order))
		return false;
	if (order > PA_COSTLY_ORDER) {
		int fi = fragindex_extfrag_locked(z, order);

		if (fi >= 0 && fi <= COMPACT_EXTFRAG_THRESHOLD)
			return false;
	}
	return true;
}

/* ---- the free scanner ---- */

static bool free_target_block(const struct pa_zone *z, uint64_t b)
{
	return pb_mt(&z->pb[b]) == PA_MT_MOVABLE && z->pb[b].nr_free;
}

/* A free block of `order` in the free scanner's pageblock at or after its
 * cursor, taken off the lists; PA_NIL when the pageblock has none left. */
static uint32_t take_in_block(struct pa_zone *z, struct compact_control *cc,
			      unsigned order)
{
	uint64_t step = 1ull << order;
	uint64_t end = (cc->free_pb + 1) << z->pb_order;

	if (end < (cc->free_pb << z->pb_order) + step)
		end = (cc->free_pb << z->pb_order) + step;
	if (end > STAT_LOAD(z->nr_pages))
		end = STAT_LOAD(z->nr_pages);
	for (uint64_t pfn = (cc->free_pfn + step - 1) & ~(step - 1); pfn + step <= end;
	     pfn += step) {
		unsigned have;
		uint32_t head = free_block_covering(z, pfn, &have);

		cc->st.free_scanned++;
		if (head == PA_NIL || have < order)
			continue;
		take_free_block(z, head, have, PA_MT_MOVABLE, (uint32_t)pfn, order);
		cc->free_pfn = pfn + step;
		cc->st.isolated += step;
		return (uint32_t)pfn;
	}
	return PA_NIL;
}

/* migrate_target_fn: walk down from the zone's end, never into or below
 * the pageblock being emptied. */
static uint32_t free_scanner_take(struct pa_zone *z, void *arg, uint32_t src,
				  unsigned order)
{
	struct compact_control *cc = arg;
	uint64_t src_end = pfn_to_pb(z, src + (1ull << order) - 1);

	while (cc->free_pb > src_end && cc->free_pb >= cc->migrate_pb) {
		if (free_target_block(z, cc->free_pb) &&
		    (order < z->pb_order ||
		     !(cc->free_pb & ((1ull << (order - z->pb_order)) - 1)))) {
			uint32_t pfn = take_in_block(z, cc, order);

			if (pfn != PA_NIL)
				return pfn;
		}
		/* blocks larger than a pageblock start at aligned ones */
		cc->free_pb--;
		cc->free_pfn = cc->free_pb << z->pb_order;
	}
	cc->met = true;
	return PA_NIL;
}

/* ---- the migrate scanner ---- */

/* Can the pageblock become entirely free by migration?  Every block in it
 * free, cached nowhere, or allocated, movable and of an order below the
 * target's: a block of the target order or above needs a free block of
 * that order to move into, which is what compaction is looking for, so
 * moving it gains nothing (the kernel skips such folios too) and the free
 * scanner would walk the whole zone for it.  Racy reads: a wrong answer
 * costs a wasted scan, never correctness. */
static bool block_can_empty(struct pa_zone *z, uint64_t b, unsigned order,
			    uint64_t *scanned)
{
	const struct pageblock_data *pb = &z->pb[b];
	uint64_t start = b << z->pb_order, end = start + pb_nr_pages(z);

	if (pb_mt(pb) == PA_MT_ISOLATE || pb_mt(pb) == PA_MT_HIGHATOMIC ||
	    STAT_LOAD(pb->nr_free) == pb_nr_pages(z) ||
	    !(__atomic_load_n(&pb->content, __ATOMIC_RELAXED) & PB_HAS_MOVABLE))
		return false;
	for (uint64_t pfn = start; pfn < end;) {
		const struct pa_page *p = &z->pages[pfn];
		uint16_t st = page_state(p);

		(*scanned)++;
		if (!st) {
			pfn++;
			continue;
		}
		if ((st & 0xff) != PG_BUDDY &&
		    ((st & 0xff) != PG_ALLOC || (st >> 8) >= order ||
		     !__atomic_load_n(&p->movable, __ATOMIC_RELAXED)))
			return false;
		pfn += 1ull << (st >> 8);
	}
	return true;
}

static void migrate_block(struct pa_zone *z, struct compact_control *cc,
			  uint64_t b)
{
	struct migrate_batch batch = { 0 };
	struct migrate_result res = { 0 };
	uint64_t start = b << z->pb_order, end = start + pb_nr_pages(z);

	for (uint64_t pfn = start; pfn < end && !cc->met;) {
		uint16_t st = page_state(&z->pages[pfn]);

		if (!st) {
			pfn++;
			continue;
		}
		if ((st & 0xff) == PG_ALLOC && !migrate_batch_add(z, &batch, pfn))
			cc->st.isolated += 1ull << (st >> 8);
		if (batch.n == MIGRATE_BATCH)
			migrate_batch_run(z, &batch, free_scanner_take, cc, &res);
		pfn += 1ull << (st >> 8);
	}
	migrate_batch_run(z, &batch, free_scanner_take, cc, &res);
	cc->st.pages_migrated += res.moved;
	cc->st.pages_failed += res.failed;
}

static bool compact_finished(struct pa_zone *z, struct compact_control *cc)
{
	bool done;

	if (cc->met || cc->migrate_pb >= cc->free_pb)
		return true;
	zone_lock(z);
	done = cc->mode == COMPACT_DIRECT
		       ? block_free_of_order(z, cc->order)
		       : extfrag_for_order(z, cc->order) <= cc->low_mark;
	zone_unlock(z);
	return done;
}

static void compact_zone(struct pa_zone *z, struct compact_control *cc)
{
	cc->migrate_pb = 0;
	cc->free_pb = STAT_LOAD(z->nr_pageblocks) - 1;
	cc->free_pfn = cc->free_pb << z->pb_order;
	zone_count_shared(z, COMPACT_RUNS, 1);
	if (z->use_pcp)
		pa_drain(z);
	while (!compact_finished(z, cc)) {
		uint64_t b = cc->migrate_pb;

		if (block_can_empty(z, b, cc->order, &cc->st.migrate_scanned))
			migrate_block(z, cc, b);
		cc->migrate_pb++;
	}
	zone_count_shared(z, COMPACT_MIGRATE_SCANNED, cc->st.migrate_scanned);
	zone_count_shared(z, COMPACT_FREE_SCANNED, cc->st.free_scanned);
	zone_count_shared(z, COMPACT_ISOLATED, cc->st.isolated);
}

static void stats_out(struct pa_compact_stats *out,
		      const struct compact_control *cc)
{
	if (out)
		*out = cc->st;
}

int pa_compact(struct pa_zone *z, unsigned order, struct pa_compact_stats *out)
{
	struct compact_control cc = { .order = order, .mode = COMPACT_DIRECT };
	bool have, suitable;

	if (order > z->max_order) {
		pa_err(z, -EINVAL, "pa_compact: order %u above max_order %u", order,
		       z->max_order);
		return -EINVAL;
	}
	zone_lock(z);
	have = block_free_of_order(z, order);
	suitable = have || compaction_suitable(z, order);
	zone_unlock(z);
	if (have || !suitable) {
		stats_out(out, &cc);
		return have ? 0 : -EAGAIN;
	}
	zone_count_shared(z, COMPACT_STALL, 1);
	compact_zone(z, &cc);
	zone_lock(z);
	have = block_free_of_order(z, order);
	zone_unlock(z);
	if (have)
		zone_count_shared(z, COMPACT_SUCCESS, 1);
	else
		zone_count_shared(z, COMPACT_FAIL, 1);
	stats_out(out, &cc);
	return have ? 0 : -EAGAIN;
}

int pa_compact_proactive(struct pa_zone *z, unsigned proactiveness,
			 struct pa_compact_stats *out)
{
	if (proactiveness > 100) {
		pa_err(z, -EINVAL, "pa_compact_proactive: proactiveness %u above 100",
		       proactiveness);
		return -EINVAL;
	}
	unsigned low = 100 - proactiveness;
	unsigned high = low + (low / 2 < 10 ? low / 2 : 10);
	struct compact_control cc = { .order = z->pb_order, .low_mark = low,
				      .mode = COMPACT_PROACTIVE };

	zone_lock(z);
	cc.st.score_before = extfrag_for_order(z, z->pb_order);
	zone_unlock(z);
	cc.st.score_after = cc.st.score_before;
	if (!proactiveness || cc.st.score_before <= high) {
		stats_out(out, &cc);
		return 0;
	}
	compact_zone(z, &cc);
	zone_lock(z);
	cc.st.score_after = extfrag_for_order(z, z->pb_order);
	zone_unlock(z);
	stats_out(out, &cc);
	return 1;
}
