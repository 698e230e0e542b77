/* SPDX-License-Identifier: MIT */
/*
 * Evacuation of movable pages out of tainted superpageblocks (SPBs), for
 * the defragmentation worker, for claimed pageblocks and for the slow
 * path's targeted evacuation (spb_defrag.h).  Blocks move in batches
 * (migrate.h): destinations are taken under one zone->lock hold, the
 * owners copy with no zone lock held, the sources go straight back to the
 * zone so an emptied pageblock merges at once.  Destinations are never in
 * the source SPB: moving within it frees nothing there.
 */
#include "isolate.h"
#include "migrate.h"
#include "spb_defrag.h"
#include "buddy.h"
#include "spb_steer.h"
#include "trace.h"
#include "cpu.h"

/* Slow-path budget: pageblocks tried per phase. */
#define SPB_EVAC_PHASE_TRIES 8u
_Static_assert(SPB_EVAC_PHASE_TRIES <= SPB_PB_TRIES, "one tried list a phase");

struct evac_target {
	uint64_t src_spb;
	uint64_t words;       /* bitmap words the clean pick read */
};

static inline uint64_t pb_of_spb_first(const struct pa_zone *z, uint64_t spb)
{
	return spb << (z->spb_order - z->pb_order);
}

/* A free movable block of `order` in SPB `spb` taken off the lists, or
 * PA_NIL.  zone->lock held. */
static uint32_t take_movable_in(struct pa_zone *z, uint64_t spb, unsigned order)
{
	unsigned o;
	uint32_t head = spb_block_in(z, spb, PA_MT_MOVABLE, order, z->max_order,
				     false, &o);

	if (head != PA_NIL)
		take_free_block(z, head, o, PA_MT_MOVABLE, head, order);
	return head;
}

/* A tainted SPB other than the source with room to spare (past its stop
 * threshold), so that evacuation does not move one SPB's shortage into
 * another. */
static uint32_t take_in_roomy_tainted(struct pa_zone *z, uint64_t src_spb,
				      unsigned order)
{
	const uint64_t *t = spb_map(z, SPB_MAP_TAINTED);

	for (uint64_t w = 0; w < spb_nr_words(z); w++)
		for (uint64_t bits = t[w]; bits; bits &= bits - 1) {
			uint64_t i = w * 64 + (uint64_t)__builtin_ctzll(bits);
			uint32_t pfn;

			if (i == src_spb ||
			    !spb_defrag_should_stop(z, spb_get(z, i)))
				continue;
			pfn = take_movable_in(z, i, order);
			if (pfn != PA_NIL)
				return pfn;
		}
	return PA_NIL;
}

/* migrate_target_fn: clean SPBs first, fullest first (Pass 1's order for
 * movable memory), then roomy tainted ones. */
static uint32_t take_outside(struct pa_zone *z, void *arg, uint32_t src,
			     unsigned order)
{
	struct evac_target *t = arg;
	struct spb_want w = { .cat = SPB_MAP_CLEAN, .mt = PA_MT_MOVABLE,
			      .lo = order, .hi = z->max_order };
	uint64_t spb = spb_pick(z, &w, &t->words);
	uint32_t pfn = PA_NIL;

	(void)src;
	/* the source itself, if it turned clean meanwhile: no use */
	if (spb != UINT64_MAX && spb != t->src_spb)
		pfn = take_movable_in(z, spb, order);
	if (pfn == PA_NIL)
		pfn = take_in_roomy_tainted(z, t->src_spb, order);
	return pfn;
}

/* The blocks a pageset caches of [start, end) back to the zone, so that
 * an emptied pageblock merges whole. */
static void pull_cached(struct pa_zone *z, uint64_t start, uint64_t end)
{
	struct pa_isolation range = { .start = start, .end = end };

	isolate_pull_pcp(z, &range);
}


uint64_t spb_evacuate_pageblock(struct pa_zone *z, uint64_t b)
{
	uint64_t start = b << z->pb_order, end = start + pb_nr_pages(z);
	struct evac_target t = { .src_spb = spb_of_pfn(z, start) };
	struct migrate_result res = { 0 };

	migrate_range(z, start, end, take_outside, &t, &res);
	if (STAT_LOAD(z->pb[b].nr_free) != pb_nr_pages(z))
		pull_cached(z, start, end);
	if (res.moved)
		zone_count_shared(z, SPB_EVACUATED_PAGES, res.moved);
	return res.moved;
}

bool spb_pageblock_can_empty(const struct pa_zone *z, uint64_t b)
{
	const struct pageblock_data *pb = &z->pb[b];
	uint64_t start = b << z->pb_order, end = start + pb_nr_pages(z);

	if (pb_mt(pb) == PA_MT_ISOLATE || pb_mt(pb) == PA_MT_HIGHATOMIC ||
	    STAT_LOAD(pb->nr_free) == pb_nr_pages(z))
		return false;
	for (uint64_t pfn = start; pfn < end;) {
		const struct pa_page *p = &z->pages[pfn];
		uint16_t st = page_state(p);
		unsigned fl = st & 0xff;

		if (!st) {
			pfn++;
			continue;
		}
		if (fl == PG_ALLOC && !__atomic_load_n(&p->movable, __ATOMIC_RELAXED))
			return false;
		if (fl & (PG_CONTIG | PG_ISOLATED | PG_LLIST))
			return false;
		pfn += 1ull << (st >> 8);
	}
	return true;
}

static bool tried(const struct spb_tried *t, uint64_t b)
{
	for (unsigned k = 0; k < t->n; k++)
		if (t->b[k] == b)
			return true;
	return false;
}

uint64_t spb_pick_pageblock(const struct pa_zone *z, uint64_t spb,
			    spb_pb_filter_fn filter, unsigned arg,
			    struct spb_tried *t)
{
	uint64_t first = pb_of_spb_first(z, spb), best = UINT64_MAX;
	uint32_t n = spb_get(z, spb)->nr_pageblocks, best_free = 0;

	if (t->n == SPB_PB_TRIES)
		return UINT64_MAX;
	for (uint64_t b = first; b < first + n; b++) {
		uint32_t nr_free = STAT_LOAD(z->pb[b].nr_free);

		if (nr_free == pb_nr_pages(z) || (best != UINT64_MAX &&
						  nr_free <= best_free) ||
		    !filter(z, b, arg) || tried(t, b))
			continue;
		best = b;
		best_free = nr_free;
	}
	if (best != UINT64_MAX)
		t->b[t->n++] = best;
	return best;
}

/* ---- the slow path's targeted evacuation ---- */

enum evac_phase { PHASE_OWN_TYPE, PHASE_WHOLE_MOVABLE, NR_PHASES };

struct for_order {
	unsigned order, mt;
	struct spb_tried tried[NR_PHASES]; /* pageblocks each phase tried */
	uint64_t moved;
	bool done;
};

/* Phase 1's candidates: pageblocks of the wanted type holding movable
 * pages. */
static bool own_type_with_movable(const struct pa_zone *z, uint64_t b,
				  unsigned mt)
{
	const struct pageblock_data *pb = &z->pb[b];

	return pb_mt(pb) == mt &&
	       (__atomic_load_n(&pb->content, __ATOMIC_RELAXED) & PB_HAS_MOVABLE);
}

/* Phase 2's: movable pageblocks that have held movable pages alone. */
static bool movable_only(const struct pa_zone *z, uint64_t b, unsigned mt)
{
	const struct pageblock_data *pb = &z->pb[b];

	(void)mt;
	return pb_mt(pb) == PA_MT_MOVABLE &&
	       (__atomic_load_n(&pb->content, __ATOMIC_RELAXED) & PB_HAS_MASK) ==
		       PB_HAS_MOVABLE;
}

static const spb_pb_filter_fn phase_filter[NR_PHASES] = {
	own_type_with_movable, movable_only,
};

/* Did the evacuation of pageblock b make what the request needs? */
static bool phase_succeeded(struct pa_zone *z, uint64_t b, unsigned phase,
			    const struct for_order *f)
{
	uint64_t spb = spb_of_pfn(z, b << z->pb_order);
	bool ok = false;

	zone_lock(z);
	if (phase == PHASE_WHOLE_MOVABLE)
		ok = z->pb[b].nr_free == pb_nr_pages(z);
	else
		for (unsigned o = f->order; o <= z->max_order && !ok; o++)
			ok = fa_part_nr_free(z, spb, o, f->mt) != 0;
	zone_unlock(z);
	return ok;
}

/* One tainted SPB's pageblocks for one phase, until success or the
 * phase's budget is spent. */
static void phase_in_spb(struct pa_zone *z, uint64_t spb, unsigned phase,
			 struct for_order *f)
{
	struct spb_tried *t = &f->tried[phase];

	while (!f->done && t->n < SPB_EVAC_PHASE_TRIES) {
		uint64_t b = spb_pick_pageblock(z, spb, phase_filter[phase],
						f->mt, t);

		if (b == UINT64_MAX)
			return;
		if (phase == PHASE_WHOLE_MOVABLE && !spb_pageblock_can_empty(z, b))
			continue;
		f->moved += spb_evacuate_pageblock(z, b);
		f->done = phase_succeeded(z, b, phase, f);
	}
}

/* Is tainted SPB `spb` worth a look in this phase?  Its summary is read
 * under zone->lock (its writers do not write atomically). */
static bool phase_wants_spb(struct pa_zone *z, uint64_t spb, unsigned phase,
			    unsigned mt)
{
	bool ok;

	zone_lock(z);
	const struct superpageblock *s = spb_get(z, spb);

	ok = s->category == SPB_TAINTED && spb_movable_pageblocks(s) &&
	     (phase != PHASE_OWN_TYPE || s->nr_by_mt[mt]);
	zone_unlock(z);
	return ok;
}

/* One word of the tainted map at a time, copied under zone->lock: SPBs
 * that change category meanwhile only cost a wasted look. */
static uint64_t tainted_word(struct pa_zone *z, uint64_t w)
{
	uint64_t bits;

	zone_lock(z);
	bits = spb_map(z, SPB_MAP_TAINTED)[w];
	zone_unlock(z);
	return bits;
}

static void run_phase(struct pa_zone *z, unsigned phase, struct for_order *f)
{
	for (uint64_t w = 0; w < spb_nr_words(z) && !f->done; w++)
		for (uint64_t bits = tainted_word(z, w); bits && !f->done;
		     bits &= bits - 1) {
			uint64_t spb = w * 64 + (uint64_t)__builtin_ctzll(bits);

			if (f->tried[phase].n >= SPB_EVAC_PHASE_TRIES)
				return;
			if (phase_wants_spb(z, spb, phase, f->mt))
				phase_in_spb(z, spb, phase, f);
		}
}

uint64_t spb_evacuate_for_order(struct pa_zone *z, unsigned order, unsigned mt)
{
	struct for_order f = { .order = order, .mt = mt };

	if (!z->spb_defrag || mt == PA_MT_MOVABLE || mt >= PA_MT_PCPTYPES)
		return 0;
	run_phase(z, PHASE_OWN_TYPE, &f);
	if (!f.done)
		run_phase(z, PHASE_WHOLE_MOVABLE, &f);
	zone_count_shared(z, SPB_EVACUATE_FOR_ORDER, 1);
	zone_count_shared(z, SPB_EVACUATE_FOR_ORDER_PAGES, f.moved);
	if (TRACING(z))
		trace_spb_evacuate_for_order_done(z, cpu_current(z), order, mt,
						  f.tried[PHASE_OWN_TYPE].n,
						  f.tried[PHASE_WHOLE_MOVABLE].n,
						  f.moved != 0);
	return f.moved;
}
