/* SPDX-License-Identifier: MIT */
/*
 * The per-superpageblock defragmentation worker, its thresholds, reserve,
 * triggers and cooldown (the rules are in spb_defrag.h).  Triggers run
 * under zone->lock and only set bits; the worker runs from ops->background
 * and moves pages with spb_evacuate.c, no zone lock held across the
 * owners' callbacks.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "spb_defrag.h"
#include "buddy.h"
#include "spb_steer.h"
#include "zone.h"

#define SPB_DEFRAG_SPBS_PER_TICK 4u    /* wanted SPBs passed over per tick */
#define SPB_DEFRAG_QUEUED_PER_TICK 16u /* queued pageblocks per tick */

/* ---- state ---- */

int spb_defrag_init(struct pa_zone *z)
{
	struct spb_defrag *d = calloc(1, sizeof(*d));
	/* as many SPBs as pa_zone_grow may reach (the summaries' room) */
	uint64_t n = (z->max_pages + (1ull << z->spb_order) - 1) >> z->spb_order;

	if (!d)
		return -ENOMEM;
	d->room = n;
	d->words = (n + 63) / 64;
	d->spb = calloc(n, sizeof(*d->spb));
	d->wanted = calloc(d->words, sizeof(uint64_t));
	z->spb_defrag = d;
	if (!d->spb || !d->wanted) {
		spb_defrag_destroy(z);
		return -ENOMEM;
	}
	return 0;
}

void spb_defrag_destroy(struct pa_zone *z)
{
	struct spb_defrag *d = z->spb_defrag;

	if (!d)
		return;
	free(d->spb);
	free(d->wanted);
	free(d);
	z->spb_defrag = NULL;
}

uint64_t spb_defrag_bytes(const struct pa_zone *z)
{
	const struct spb_defrag *d = z->spb_defrag;

	if (!d)
		return 0;
	return sizeof(*d) + d->room * sizeof(*d->spb) +
	       d->words * sizeof(uint64_t);
}

void spb_defrag_zoneinfo(struct pa_zone *z, FILE *f)
{
	const struct spb_defrag *d = z->spb_defrag;
	uint64_t wanted = 0, cooling = 0;
	unsigned queued;

	if (!d)
		return;
	zone_lock(z);
	/* cooling: as of the last tick, the only clock the zone knows */
	for (uint64_t i = 0; i < z->nr_superpageblocks; i++) {
		wanted += d->spb[i].want != 0;
		cooling += d->spb[i].cooldown_until_ns >
			   __atomic_load_n(&d->last_now_ns, __ATOMIC_RELAXED);
	}
	queued = d->ring_n;
	zone_unlock(z);
	fprintf(f, "      spb_defrag_wanted_now %" PRIu64 "\n", wanted);
	fprintf(f, "      spb_defrag_cooling %" PRIu64 "\n", cooling);
	fprintf(f, "      spb_evacuate_queue %u\n", queued);
	fprintf(f, "      spb_reserve_pageblocks %u\n",
		spb_reserve_pageblocks(1u << (z->spb_order - z->pb_order)));
}

const char *spb_defrag_check(const struct pa_zone *z, char *buf, size_t len)
{
	const struct spb_defrag *d = z->spb_defrag;
	uint64_t n;

	if (!d)
		return NULL;
	n = d->ring_n;
	for (uint64_t w = 0; w < d->words; w++)
		n += (uint64_t)__builtin_popcountll(d->wanted[w]);
	if (n == d->nr_pending)
		return NULL;
	snprintf(buf, len, "spb defrag: %" PRIu64 " SPBs wanted and pageblocks queued, the pending count says %" PRIu64,
		 n, d->nr_pending);
	return buf;
}

/* ---- thresholds ---- */

uint32_t spb_reserve_pageblocks(uint32_t nr_pageblocks)
{
	uint32_t r = (nr_pageblocks * SPB_RESERVE_PERCENT + 99) / 100;

	if (r < SPB_RESERVE_MIN)
		r = SPB_RESERVE_MIN;
	return r > nr_pageblocks / 2 ? nr_pageblocks / 2 : r;
}

static inline uint64_t pageblocks_of_pages(const struct pa_zone *z, uint32_t n)
{
	return (uint64_t)n << z->pb_order;
}

bool spb_defrag_should_stop(const struct pa_zone *z,
			    const struct superpageblock *s)
{
	uint32_t r = spb_reserve_pageblocks(s->nr_pageblocks);

	return s->nr_free_pb >= 2 + r ||
	       s->nr_free >= pageblocks_of_pages(z, 3 + r);
}

bool spb_defrag_should_start(const struct pa_zone *z,
			     const struct superpageblock *s)
{
	uint32_t r = spb_reserve_pageblocks(s->nr_pageblocks);

	if (s->category != SPB_TAINTED || spb_defrag_should_stop(z, s))
		return false;
	return s->nr_free_pb <= 1 + r ||
	       s->nr_free < pageblocks_of_pages(z, 2 + r);
}

/* A deferred evacuation runs until the SPB has its free pageblocks back;
 * scattered free pages are what it is there to gather. */
static bool evacuation_done(const struct superpageblock *s)
{
	return s->nr_free_pb >= 2 + spb_reserve_pageblocks(s->nr_pageblocks);
}

/* ---- triggers (zone->lock held) ---- */

/* The worker's lockless "anything to do?"; zone->lock held. */
static void pending_add(struct spb_defrag *d, int64_t n)
{
	__atomic_store_n(&d->nr_pending, d->nr_pending + (uint64_t)n,
			 __ATOMIC_RELAXED);
}

static void want(struct pa_zone *z, uint64_t i, unsigned bits)
{
	struct spb_defrag *d = z->spb_defrag;
	struct spb_defrag_spb *e = &d->spb[i];

	if ((e->want & bits) == bits)
		return;
	if (!e->want) {
		d->wanted[i >> 6] |= 1ull << (i & 63);
		pending_add(d, 1);
		zone_count(z, SPB_DEFRAG_WANTED, 1);
	}
	e->want = (uint8_t)(e->want | bits);
}

void spb_defrag_fullness_changed(struct pa_zone *z, uint64_t spb)
{
	const struct superpageblock *s;

	if (!z->spb_defrag)
		return;
	s = spb_get(z, spb);
	if (spb_defrag_should_start(z, s))
		want(z, spb, SPB_WANT_DEFRAG);
	if (spb_shrink_wanted(s))
		want(z, spb, SPB_WANT_SHRINK);
}

void spb_defrag_pass_served(struct pa_zone *z, uint64_t spb)
{
	spb_defrag_fullness_changed(z, spb);
}

static void mark_before_taint(struct pa_zone *z, uint64_t i, bool atomic)
{
	const struct superpageblock *s = spb_get(z, i);

	if (spb_defrag_should_start(z, s))
		want(z, i, SPB_WANT_DEFRAG);
	if (atomic && spb_movable_pageblocks(s) && !evacuation_done(s))
		want(z, i, SPB_WANT_EVACUATE);
}

void spb_defrag_before_taint(struct pa_zone *z, unsigned gfp)
{
	const uint64_t *t;

	if (!z->spb_defrag)
		return;
	t = spb_map(z, SPB_MAP_TAINTED);
	for (uint64_t w = 0; w < spb_nr_words(z); w++)
		for (uint64_t bits = t[w]; bits; bits &= bits - 1)
			mark_before_taint(z, w * 64 + (uint64_t)__builtin_ctzll(bits),
					  gfp & PA_GFP_ATOMIC);
}

void spb_defrag_pb_retyped(struct pa_zone *z, uint64_t b, unsigned old_mt)
{
	struct spb_defrag *d = z->spb_defrag;

	if (!d || old_mt != PA_MT_MOVABLE)
		return;
	unsigned mt = pb_mt(&z->pb[b]);
	unsigned content = __atomic_load_n(&z->pb[b].content, __ATOMIC_RELAXED);

	if (mt == PA_MT_MOVABLE || mt >= PA_MT_PCPTYPES ||
	    !(content & PB_HAS_MOVABLE) || z->pb[b].nr_free == pb_nr_pages(z))
		return;
	if (d->ring_n == SPB_EVAC_RING) {
		zone_count(z, SPB_EVACUATE_DROPPED, 1);
		return;
	}
	d->ring[(d->ring_head + d->ring_n++) % SPB_EVAC_RING] = (uint32_t)b;
	pending_add(d, 1);
	zone_count(z, SPB_EVACUATE_QUEUED, 1);
}

/* ---- the worker ---- */

/* The next queued pageblock, or UINT64_MAX. */
static uint64_t queue_pop(struct pa_zone *z)
{
	struct spb_defrag *d = z->spb_defrag;
	uint64_t b = UINT64_MAX;

	zone_lock(z);
	if (d->ring_n) {
		b = d->ring[d->ring_head];
		d->ring_head = (d->ring_head + 1) % SPB_EVAC_RING;
		d->ring_n--;
		pending_add(d, -1);
	}
	zone_unlock(z);
	return b;
}

/* Claimed pageblocks: their movable pages out, while they are still of a
 * non-movable type (a pageblock given back to movable use, reserved
 * highatomic or isolated meanwhile keeps its pages). */
static uint64_t drain_queue(struct pa_zone *z, bool *ran)
{
	uint64_t moved = 0;

	for (unsigned k = 0; k < SPB_DEFRAG_QUEUED_PER_TICK; k++) {
		uint64_t b = queue_pop(z);

		if (b == UINT64_MAX)
			break;
		*ran = true;
		if (b >= z->nr_pageblocks)   /* offlined since it was queued */
			continue;
		unsigned mt = pb_mt(&z->pb[b]);

		if (mt == PA_MT_UNMOVABLE || mt == PA_MT_RECLAIMABLE)
			moved += spb_evacuate_pageblock(z, b);
	}
	return moved;
}

/* The first set bit of the wanted map at or after bit `from`, or
 * UINT64_MAX. */
static uint64_t wanted_from(const struct spb_defrag *d, uint64_t from)
{
	for (uint64_t w = from >> 6; w < d->words; w++) {
		uint64_t bits = d->wanted[w];

		if (w == from >> 6)
			bits &= ~0ull << (from & 63);
		if (bits)
			return w * 64 + (uint64_t)__builtin_ctzll(bits);
	}
	return UINT64_MAX;
}

/* The next wanted SPB from the cursor on (wrapping), its bits taken;
 * UINT64_MAX if none.  zone->lock held. */
static uint64_t take_wanted(struct pa_zone *z, unsigned *bits)
{
	struct spb_defrag *d = z->spb_defrag;
	uint64_t i = wanted_from(d, d->cursor);

	if (i == UINT64_MAX)
		i = wanted_from(d, 0);
	if (i == UINT64_MAX)
		return i;
	d->wanted[i >> 6] &= ~(1ull << (i & 63));
	pending_add(d, -1);
	*bits = d->spb[i].want;
	d->spb[i].want = 0;
	/* an SPB pa_zone_shrink took away since it was marked */
	if (i >= z->nr_superpageblocks)
		*bits = 0;
	d->cursor = i + 1 < z->nr_superpageblocks ? i + 1 : 0;
	return i;
}

struct defrag_pass {
	uint64_t spb;
	bool evacuate;                 /* SPB_WANT_EVACUATE */
	struct spb_tried tried;
	uint64_t moved;
};

static bool pass_done(struct pa_zone *z, const struct defrag_pass *p)
{
	bool done;

	zone_lock(z);
	const struct superpageblock *s = spb_get(z, p->spb);

	done = s->category != SPB_TAINTED ||
	       (p->evacuate ? evacuation_done(s) : spb_defrag_should_stop(z, s));
	zone_unlock(z);
	return done;
}

/* The worker's candidates: pageblocks holding movable pages. */
static bool holds_movable(const struct pa_zone *z, uint64_t b, unsigned arg)
{
	(void)arg;
	return __atomic_load_n(&z->pb[b].content, __ATOMIC_RELAXED) &
	       PB_HAS_MOVABLE;
}

/* Empty pageblocks of the SPB, most free first, until its stop threshold
 * holds, no pageblock can be emptied, or the pass's tries are spent. */
static void run_pass(struct pa_zone *z, struct defrag_pass *p)
{
	while (!pass_done(z, p)) {
		uint64_t b = spb_pick_pageblock(z, p->spb, holds_movable, 0,
						&p->tried);

		if (b == UINT64_MAX)
			break;
		if (spb_pageblock_can_empty(z, b))
			p->moved += spb_evacuate_pageblock(z, b);
	}
}

/* Would a pageblock freed in a tainted SPB now go straight back to
 * movable use?  Movable requests for whole pageblocks (THPs, pageset
 * refills) look in clean SPBs first and in tainted ones only when no
 * clean SPB has a free pageblock: then every pageblock a pass frees is
 * taken by the next of them, and the pages the pass moved out into the
 * clean SPBs' fragments are moved for nothing (fill98's ping-pong).
 * zone->lock held. */
static bool movable_would_refill(const struct pa_zone *z)
{
	struct spb_want w = { .cat = SPB_MAP_CLEAN, .mt = PA_MT_MOVABLE,
			      .lo = z->pb_order, .hi = z->max_order };
	uint64_t words = 0;

	return spb_pick(z, &w, &words) == UINT64_MAX;
}

/* Should SPB i be passed over now?  Copies what the decision needs under
 * zone->lock; counts a skip for cooldown.  A defragmentation pass (not a
 * deferred evacuation, which an atomic request is waiting for) whose
 * pageblocks movable requests would take back at once does not run: the
 * SPB cools down as after a pass that freed nothing. */
static bool pass_wanted(struct pa_zone *z, uint64_t i, unsigned bits,
			uint64_t now_ns, uint32_t *free_pb)
{
	bool go, cooling, refilled = false;
	bool evacuate = bits & SPB_WANT_EVACUATE;

	zone_lock(z);
	const struct superpageblock *s = spb_get(z, i);

	go = s->category == SPB_TAINTED &&
	     (evacuate ? !evacuation_done(s) : spb_defrag_should_start(z, s));
	cooling = now_ns < z->spb_defrag->spb[i].cooldown_until_ns;
	if (go && !cooling && !evacuate && movable_would_refill(z)) {
		z->spb_defrag->spb[i].cooldown_until_ns =
			now_ns + SPB_DEFRAG_COOLDOWN_NS;
		refilled = true;
	}
	*free_pb = s->nr_free_pb;
	zone_unlock(z);
	if (refilled) {
		zone_count_shared(z, SPB_DEFRAG_COOLDOWNS, 1);
		return false;
	}
	if (go && cooling) {
		zone_count_shared(z, SPB_DEFRAG_SKIPPED, 1);
		return false;
	}
	return go;
}

/* A pass that freed no pageblock cools the SPB down; one that did clears
 * any cooldown. */
static void pass_account(struct pa_zone *z, const struct defrag_pass *p,
			 uint32_t free_pb_before, uint64_t now_ns)
{
	struct spb_defrag_spb *e = &z->spb_defrag->spb[p->spb];
	uint32_t after;

	zone_lock(z);
	after = spb_get(z, p->spb)->nr_free_pb;
	e->cooldown_until_ns = after > free_pb_before
				       ? 0 : now_ns + SPB_DEFRAG_COOLDOWN_NS;
	zone_unlock(z);
	zone_count_shared(z, SPB_DEFRAG_RUNS, 1);
	zone_count_shared(z, SPB_DEFRAG_PAGES, p->moved);
	if (after > free_pb_before)
		zone_count_shared(z, SPB_DEFRAG_PAGEBLOCKS, after - free_pb_before);
	else
		zone_count_shared(z, SPB_DEFRAG_COOLDOWNS, 1);
}

/* One wanted SPB: its slab shrink (pages freed added to *reclaimed), then
 * its defragmentation pass; pages moved. */
static uint64_t defrag_one(struct pa_zone *z, uint64_t i, unsigned bits,
			   uint64_t now_ns, uint64_t *reclaimed)
{
	struct defrag_pass p = { .spb = i,
				 .evacuate = bits & SPB_WANT_EVACUATE };
	uint32_t free_pb;

	/* reclaimable pages freed first: what is left to move is less */
	if (bits & SPB_WANT_SHRINK)
		*reclaimed += spb_shrink_one(z, i, now_ns);
	if (!(bits & (SPB_WANT_DEFRAG | SPB_WANT_EVACUATE)) ||
	    !pass_wanted(z, i, bits, now_ns, &free_pb))
		return 0;
	run_pass(z, &p);
	pass_account(z, &p, free_pb, now_ns);
	return p.moved;
}

static uint64_t defrag_wanted(struct pa_zone *z, uint64_t now_ns, bool *ran,
			      uint64_t *reclaimed)
{
	uint64_t moved = 0;

	for (unsigned k = 0; k < SPB_DEFRAG_SPBS_PER_TICK; k++) {
		unsigned bits = 0;

		zone_lock(z);
		uint64_t i = take_wanted(z, &bits);

		zone_unlock(z);
		if (i == UINT64_MAX)
			break;
		*ran = true;
		moved += defrag_one(z, i, bits, now_ns, reclaimed);
	}
	return moved;
}

void spb_defrag_background(struct pa_zone *z, uint64_t now_ns,
			   struct pa_tick_stats *out)
{
	bool ran = false;
	uint64_t moved, reclaimed = 0;

	if (!z->spb_defrag)
		return;
	__atomic_store_n(&z->spb_defrag->last_now_ns, now_ns, __ATOMIC_RELAXED);
	/* an idle worker, like an idle kswapd, touches no zone lock */
	if (!__atomic_load_n(&z->spb_defrag->nr_pending, __ATOMIC_RELAXED))
		return;
	moved = drain_queue(z, &ran);
	moved += defrag_wanted(z, now_ns, &ran, &reclaimed);
	if (out && ran) {
		out->woken |= PA_TICK_DEFRAG;
		out->evacuated += moved;
		out->reclaimed += reclaimed; /* the slab shrinks' pages */
	}
}
