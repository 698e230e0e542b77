/* SPDX-License-Identifier: MIT */
/*
 * The spb policy's passes (the order and the rules are in spb_steer.h).
 * Each pass is one small function: pick an SPB with spb_pick, take a block
 * inside it.  The driver runs the passes of the request's class in order
 * and counts and traces which one served.  Under zone->lock.
 */
#include "spb_defrag.h"
#include "spb_hint.h"
#include "spb_steer.h"
#include "buddy.h"
#include "pcp.h"
#include "trace.h"
#include "zone.h"

/* Above this many SPBs, non-movable requests may claim partly used movable
 * pageblocks of tainted SPBs (the series' aggressive packing, v2 19). */
#define SPB_PACK_MIN_SPBS 8
/* Pass 2b tries this many candidate blocks before giving up. */
#define SPB_2B_TRIES 8

struct spb_ctx {
	struct pa_zone *z;
	unsigned cpu, order, mt, gfp;
	uint64_t words;       /* bitmap words read */
	uint64_t spb;         /* the SPB the serving pass chose */
};

static const char *const pass_names[SPB_NR_PASSES] = {
	"1", "2", "2b", "2c", "2d", "3", "4", "zone", "none",
};

const char *spb_pass_name(unsigned pass)
{
	return pass < SPB_NR_PASSES ? pass_names[pass] : "?";
}

unsigned spb_part_shift(const struct pa_zone *z)
{
	return z->spb_order;
}

static inline unsigned other_nonmovable(unsigned mt)
{
	return mt == PA_MT_UNMOVABLE ? PA_MT_RECLAIMABLE : PA_MT_UNMOVABLE;
}

static inline unsigned max_u(unsigned a, unsigned b)
{
	return a > b ? a : b;
}

/* Take SPB spb's block of w's type (smallest order, or largest) and
 * split it down to the request, pieces on that type's list. */
static uint32_t take_in_spb(struct spb_ctx *c, uint64_t spb,
			    const struct spb_want *w, bool largest_first)
{
	unsigned o;

	if (spb == UINT64_MAX)
		return PA_NIL;
	uint32_t pfn = spb_block_in(c->z, spb, w->mt, w->lo, w->hi,
				    largest_first, &o);

	if (pfn == PA_NIL)
		return PA_NIL;
	c->spb = spb;
	take_free_block(c->z, pfn, o, w->mt, pfn, c->order);
	return pfn;
}

/* Pick an SPB for `w`, then take_in_spb: the smallest block, or the
 * largest. */
static uint32_t take_smallest(struct spb_ctx *c, const struct spb_want *w)
{
	return take_in_spb(c, spb_pick(c->z, w, &c->words), w, false);
}

static uint32_t take_largest(struct spb_ctx *c, const struct spb_want *w)
{
	return take_in_spb(c, spb_pick(c->z, w, &c->words), w, true);
}

/* The categories a request looks in, in order (superpageblock.h):
 * movable fills clean SPBs, then emptied ones, then tainted ones;
 * non-movable packs into tainted SPBs, then emptied ones (the hysteresis:
 * back where non-movable content was, not into a clean SPB). */
struct spb_cats {
	unsigned n, cat[SPB_NR_CATEGORIES];
};

static const struct spb_cats movable_cats = {
	3, { SPB_MAP_CLEAN, SPB_MAP_EMPTIED, SPB_MAP_TAINTED } };
static const struct spb_cats nonmovable_cats = {
	2, { SPB_MAP_TAINTED, SPB_MAP_EMPTIED } };

static const struct spb_cats *cats_for(unsigned mt)
{
	return mt == PA_MT_MOVABLE ? &movable_cats : &nonmovable_cats;
}

/* One try inside the SPBs of w's category: the block (or chunk) it
 * found, or PA_NIL. */
typedef uint32_t (*spb_try_fn)(struct spb_ctx *c, const struct spb_want *w);

/* The one category loop: `try` for w in each of k's categories, in
 * order; the first thing it finds. */
static uint32_t first_in_cats(struct spb_ctx *c, const struct spb_cats *k,
			      struct spb_want *w, spb_try_fn try)
{
	for (unsigned i = 0; i < k->n; i++) {
		w->cat = k->cat[i];
		uint32_t pfn = try(c, w);

		if (pfn != PA_NIL)
			return pfn;
	}
	return PA_NIL;
}

/* Convert as few free pageblocks as the request needs (one, or the
 * request's own size above pageblock order), carved out of a larger free
 * block if need be, and take the request from them. */
static uint32_t claim_free_pageblocks(struct spb_ctx *c, uint32_t head,
				      unsigned have, unsigned from)
{
	struct pa_zone *z = c->z;
	unsigned unit = max_u(c->order, z->pb_order);

	if (have > unit) {
		take_free_block(z, head, have, from, head, unit);
		fa_add(z, head, unit, from, false);
	}
	claim_whole_block(z, head, unit, from, c->mt, c->order);
	if (from != c->mt) {
		zone_count(z, EXTFRAG_FALLBACKS, 1);
		if (TRACING(z))
			trace_extfrag(z, c->cpu, head, c->order, have, c->mt,
				      from, true);
	}
	return head;
}

/* What a claim of whole free pageblocks of type `from` looks for. */
static struct spb_want pageblock_want(const struct spb_ctx *c, unsigned from,
				      bool emptiest_first)
{
	return (struct spb_want){ .mt = from,
				  .lo = max_u(c->order, c->z->pb_order),
				  .hi = c->z->max_order,
				  .emptiest_first = emptiest_first };
}

/* A whole free pageblock of w's type in an SPB of w's category. */
static uint32_t claim_pageblock_in(struct spb_ctx *c, const struct spb_want *w)
{
	struct pa_zone *z = c->z;
	uint64_t spb = spb_pick(z, w, &c->words);
	unsigned o;

	if (spb == UINT64_MAX)
		return PA_NIL;
	uint32_t head = spb_block_in(z, spb, w->mt, w->lo, w->hi, false, &o);

	if (head == PA_NIL)
		return PA_NIL;
	c->spb = spb;
	return claim_free_pageblocks(c, head, o, w->mt);
}

/* claim_pageblock_in for w's category with each of the request's
 * fallback types in turn (w's own type ignored). */
static uint32_t claim_fallback_in(struct spb_ctx *c, const struct spb_want *w)
{
	struct spb_want f = *w;

	for (unsigned i = 0; i < PA_MT_NR_FALLBACKS; i++) {
		f.mt = mt_fallback(c->mt, i);
		uint32_t pfn = claim_pageblock_in(c, &f);

		if (pfn != PA_NIL)
			return pfn;
	}
	return PA_NIL;
}

/* ---- the passes ---- */

/* Own type, from the hint when it holds (spb_hint.h: the SPB the picks
 * below would choose), else by picking, which sets the hint. */
static uint32_t pass1_own_type(struct spb_ctx *c)
{
	struct spb_want w = { .mt = c->mt, .lo = c->order,
			      .hi = c->z->max_order };
	/* zones too small for hints (spb_hint.h) skip both calls */
	bool hinted = c->z->spb_words >= SPB_HINT_MIN_WORDS;
	uint64_t hint = hinted ? spb_hint_get(c->z, c->order, c->mt) : UINT64_MAX;
	uint32_t pfn;

	if (hint != UINT64_MAX) {
		zone_count(c->z, SPB_HINT_HITS, 1);
		return take_in_spb(c, hint, &w, false);
	}
	pfn = first_in_cats(c, cats_for(c->mt), &w, take_smallest);
	if (hinted)
		spb_hint_set(c->z, c->order, c->mt,
			     pfn == PA_NIL ? UINT64_MAX : c->spb);
	return pfn;
}

static uint32_t pass2_claim_in_tainted(struct spb_ctx *c)
{
	struct spb_want w = pageblock_want(c, PA_MT_MOVABLE, false);
	uint32_t pfn = first_in_cats(c, &nonmovable_cats, &w,
				     claim_pageblock_in);

	if (pfn == PA_NIL) {
		w = pageblock_want(c, other_nonmovable(c->mt), false);
		pfn = first_in_cats(c, &nonmovable_cats, &w, claim_pageblock_in);
	}
	return pfn;
}

static bool may_pack_sub_pageblock(const struct spb_ctx *c)
{
	return c->z->nr_superpageblocks > SPB_PACK_MIN_SPBS ||
	       (c->gfp & PA_GFP_ATOMIC);
}

/* Pass 2b's claim of the partly used movable pageblock holding pfn:
 * refused if it holds the other non-movable type. */
static bool claim_partial(struct spb_ctx *c, uint32_t pfn)
{
	struct pa_zone *z = c->z;
	uint64_t start = pfn & ~(pb_nr_pages(z) - 1);
	unsigned content = __atomic_load_n(&pfn_pb(z, pfn)->content,
					   __ATOMIC_RELAXED);

	if (content & pb_content_bit(other_nonmovable(c->mt))) {
		if (TRACING(z))
			trace_spb_claim_refused(z, c->cpu, start, c->mt,
						PA_MT_MOVABLE, "cross-type content");
		return false;
	}
	move_freepages_block(z, start, PA_MT_MOVABLE, c->mt);
	zone_count(z, BLOCKS_CLAIMED, 1);
	zone_count(z, EXTFRAG_FALLBACKS, 1);
	return true;
}

/* Pass 2b in the SPB w picks: its first few movable chunks. */
static uint32_t claim_partial_in(struct spb_ctx *c, const struct spb_want *w)
{
	struct pa_zone *z = c->z;
	uint64_t spb = spb_pick(z, w, &c->words);

	if (spb == UINT64_MAX)
		return PA_NIL;
	for (unsigned o = w->lo, tries = 0; o <= w->hi; o++) {
		uint32_t pfn = fa_part_first(z, spb, o, PA_MT_MOVABLE);

		for (; pfn != PA_NIL && fa_part_of(z, pfn) == spb &&
		       tries < SPB_2B_TRIES; tries++) {
			if (claim_partial(c, pfn)) {
				c->spb = spb;
				take_free_block(z, pfn, o, c->mt, pfn, c->order);
				return pfn;
			}
			pfn = fa_next(z, pfn, o, PA_MT_MOVABLE);
		}
	}
	return PA_NIL;
}

static uint32_t pass2b_claim_partial(struct spb_ctx *c)
{
	struct spb_want w = { .mt = PA_MT_MOVABLE, .lo = c->order,
			      .hi = c->z->pb_order - 1 };

	if (!may_pack_sub_pageblock(c))
		return PA_NIL;
	return first_in_cats(c, &nonmovable_cats, &w, claim_partial_in);
}

/* Seed 001: largest sub-pageblock block of the other non-movable type,
 * its pageblock's type untouched. */
static uint32_t pass2c_borrow_nonmovable(struct spb_ctx *c)
{
	unsigned hi = c->z->pb_order - 1 < c->z->max_order ? c->z->pb_order - 1
							   : c->z->max_order;
	struct spb_want w = { .mt = other_nonmovable(c->mt), .lo = c->order,
			      .hi = hi };
	uint32_t pfn = first_in_cats(c, &nonmovable_cats, &w, take_largest);

	if (pfn != PA_NIL)
		zone_count(c->z, EXTFRAG_FALLBACKS, 1);
	return pfn;
}

static uint32_t pass2d_borrow_movable(struct spb_ctx *c)
{
	struct spb_want w = { .mt = PA_MT_MOVABLE, .lo = c->order,
			      .hi = c->z->pb_order - 1 };
	uint32_t pfn = first_in_cats(c, &nonmovable_cats, &w, take_smallest);

	if (pfn != PA_NIL) {
		zone_count(c->z, EXTFRAG_FALLBACKS, 1);
		zone_count(c->z, EXTFRAG_FRAGMENTING, 1);
	}
	return pfn;
}

/* A clean SPB holds no pageblock of a non-movable type (its steering
 * category, superpageblock.h), so tainting one always claims a free
 * movable pageblock: a conversion, left to the slow path's last attempt. */
static uint32_t pass3_taint_clean(struct spb_ctx *c)
{
	struct spb_want w = pageblock_want(c, PA_MT_MOVABLE, true);
	uint32_t pfn;

	/* the series' third trigger: tainted SPBs stuck short of free
	 * pageblocks are marked before a clean one is given up */
	spb_defrag_before_taint(c->z, c->gfp);
	if (gfp_keeps_nofrag_rule(c->gfp))
		return PA_NIL;
	w.cat = SPB_MAP_CLEAN;
	pfn = claim_pageblock_in(c, &w);
	if (pfn != PA_NIL && TRACING(c->z))
		trace_spb_pb_taint(c->z, c->cpu, c->spb, pfn, c->mt,
				   "claimed a free movable pageblock");
	return pfn;
}

static uint32_t pass4_movable_fallback(struct spb_ctx *c)
{
	struct spb_want w = pageblock_want(c, c->mt, false);

	return first_in_cats(c, &movable_cats, &w, claim_fallback_in);
}

static uint32_t pass_zone_fallback(struct spb_ctx *c)
{
	uint32_t pfn;

	if (gfp_keeps_nofrag_rule(c->gfp) && c->mt != PA_MT_MOVABLE)
		return PA_NIL;
	pfn = rmqueue_smallest(c->z, c->order, c->mt, c->cpu);
	if (pfn == PA_NIL)
		pfn = rmqueue_fallback(c->z, c->cpu, c->order, c->mt);
	if (pfn != PA_NIL)
		c->spb = spb_of_pfn(c->z, pfn);
	return pfn;
}

/* ---- the driver ---- */

struct spb_step {
	unsigned pass;
	uint32_t (*fn)(struct spb_ctx *c);
};

static const struct spb_step movable_steps[] = {
	{ SPB_PASS_1, pass1_own_type },
	{ SPB_PASS_4, pass4_movable_fallback },
	{ SPB_PASS_ZONE, pass_zone_fallback },
};

static const struct spb_step nonmovable_steps[] = {
	{ SPB_PASS_1, pass1_own_type },
	{ SPB_PASS_2, pass2_claim_in_tainted },
	{ SPB_PASS_2B, pass2b_claim_partial },
	{ SPB_PASS_2C, pass2c_borrow_nonmovable },
	{ SPB_PASS_2D, pass2d_borrow_movable },
	{ SPB_PASS_3, pass3_taint_clean },
	{ SPB_PASS_ZONE, pass_zone_fallback },
};

/* All tainted passes failed: how many tainted SPBs there are and how many
 * of them have no free page at all (the series' spb_alloc_fall_through). */
static void trace_fall_through(struct spb_ctx *c)
{
	const uint64_t *t = spb_map(c->z, SPB_MAP_TAINTED);
	const uint64_t *full = spb_map(c->z, SPB_MAP_FULLNESS(SPB_FULLNESS_FULL));
	uint64_t tainted = 0, nearly_full = 0;

	for (uint64_t i = 0; i < spb_nr_words(c->z); i++) {
		tainted += (uint64_t)__builtin_popcountll(t[i]);
		nearly_full += (uint64_t)__builtin_popcountll(t[i] & full[i]);
	}
	trace_spb_fall_through(c->z, c->cpu, c->order, c->mt, tainted,
			       nearly_full);
}

static void account(struct spb_ctx *c, unsigned pass, uint32_t pfn)
{
	struct pa_zone *z = c->z;

	counter_add(&z->zc[ZC_SPB_PASS_1 + pass], 1);
	zone_count(z, SPB_WORDS, c->words);
	/* the worker's triggers look at tainted SPBs only */
	if (pfn != PA_NIL && pass < SPB_PASS_3 &&
	    z->spb[c->spb].category == SPB_TAINTED)
		spb_defrag_pass_served(z, c->spb);
	if (!TRACING(z))
		return;
	/* the zone fallback's own functions trace the take themselves */
	if (pfn != PA_NIL && pass != SPB_PASS_ZONE)
		trace_zone_locked(z, c->cpu, pfn, c->order, c->mt,
				  pcp_allowed_order(z, c->order));
	trace_spb_alloc_walk(z, c->cpu, c->order, c->mt, c->gfp,
			     spb_pass_name(pass),
			     pass == SPB_PASS_NONE ? -1 : (int64_t)c->spb,
			     c->words);
}

/* A non-movable walk that failed only because it kept the
 * no-fragmentation rule: the slow path retries it with the rule dropped
 * (GFP_MAY_FRAGMENT), so it is no failed allocation (not "none"). */
static bool retried_without_rule(const struct spb_ctx *c)
{
	return c->mt != PA_MT_MOVABLE && !(c->gfp & PA_GFP_NORETRY) &&
	       gfp_keeps_nofrag_rule(c->gfp);
}

static uint32_t run_steps(struct spb_ctx *c, const struct spb_step *s,
			  unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (s[i].pass == SPB_PASS_3 && TRACING(c->z))
			trace_fall_through(c);
		uint32_t pfn = s[i].fn(c);

		if (pfn != PA_NIL) {
			account(c, s[i].pass, pfn);
			return pfn;
		}
	}
	if (retried_without_rule(c))
		zone_count(c->z, SPB_WORDS, c->words);
	else
		account(c, SPB_PASS_NONE, PA_NIL);
	return PA_NIL;
}

/* A pageset refill's own-type round: Pass 1 alone, counted only when it
 * serves (a miss here is not a failed allocation). */
static uint32_t own_type_only(struct spb_ctx *c)
{
	uint32_t pfn = pass1_own_type(c);

	zone_count(c->z, SPB_WORDS, c->words);
	if (pfn != PA_NIL)
		account(c, SPB_PASS_1, pfn);
	return pfn;
}

uint32_t spb_rmqueue(struct pa_zone *z, unsigned cpu, unsigned order,
		     unsigned mt, unsigned gfp, bool fallback)
{
	struct spb_ctx c = { .z = z, .cpu = cpu, .order = order, .mt = mt,
			     .gfp = gfp };

	if (mt >= PA_MT_PCPTYPES)
		return rmqueue_smallest(z, order, mt, cpu);
	if (!fallback)
		return own_type_only(&c);
	if (mt == PA_MT_MOVABLE)
		return run_steps(&c, movable_steps,
				 sizeof(movable_steps) / sizeof(movable_steps[0]));
	return run_steps(&c, nonmovable_steps,
			 sizeof(nonmovable_steps) / sizeof(nonmovable_steps[0]));
}

/* Phase 1 (whole pageblocks for a pageset): the own type where Pass 1
 * would look; with `fallback`, Pass 2 (non-movable) or Pass 4 (movable).
 * Never Pass 3: the refill's last round, the full search, does that. */
uint32_t spb_take_pageblock(struct pa_zone *z, unsigned cpu, unsigned mt,
			    unsigned gfp, bool fallback)
{
	struct spb_ctx c = { .z = z, .cpu = cpu, .order = z->pb_order,
			     .mt = mt, .gfp = gfp };
	bool movable = mt == PA_MT_MOVABLE;
	struct spb_want w = pageblock_want(&c, mt, false);
	uint32_t pfn;

	if (fallback)
		pfn = movable ? pass4_movable_fallback(&c)
			      : pass2_claim_in_tainted(&c);
	else
		pfn = first_in_cats(&c, cats_for(mt), &w, claim_pageblock_in);
	zone_count(z, SPB_WORDS, c.words);
	if (pfn != PA_NIL)
		spb_defrag_pass_served(z, c.spb);
	return pfn;
}

/* Phase 2's adoption (spb_adopt_pageblock) looks at this many free chunks
 * of the SPB it picked for one whose pageblock nobody owns. */
#define SPB_ADOPT_TRIES 8

/* The first of the chunks of w (orders lo..hi, smallest first, at most
 * SPB_ADOPT_TRIES of them) in the SPB w picks whose pageblock no pageset
 * owns and is of w's type (the list's type is the pageblock's: checked,
 * since an adopted block's fragments are recovered under its type). */
static uint32_t unowned_partial_in(struct spb_ctx *c, const struct spb_want *w)
{
	struct pa_zone *z = c->z;
	uint64_t spb = spb_pick(z, w, &c->words);
	unsigned tries = 0;

	if (spb == UINT64_MAX)
		return PA_NIL;
	for (unsigned o = w->lo; o <= w->hi; o++)
		for (uint32_t pfn = fa_part_first(z, spb, o, w->mt);
		     pfn != PA_NIL && fa_part_of(z, pfn) == spb &&
		     tries < SPB_ADOPT_TRIES;
		     pfn = fa_next(z, pfn, o, w->mt), tries++) {
			const struct pageblock_data *pb = pfn_pb(z, pfn);

			if (pb_owner(pb) == 0 && pb_mt(pb) == w->mt) {
				c->spb = spb;
				return pfn;
			}
		}
	return PA_NIL;
}

uint32_t spb_adopt_pageblock(struct pa_zone *z, unsigned cpu, unsigned order,
			     unsigned mt)
{
	struct spb_ctx c = { .z = z, .cpu = cpu, .order = order, .mt = mt };
	struct spb_want w = { .mt = mt, .lo = order, .hi = z->pb_order - 1 };

	/* movable refills fill clean SPBs, where there is nothing to pack
	 * into; a chunk of a whole pageblock or more is no partial block */
	if (mt == PA_MT_MOVABLE || mt >= PA_MT_PCPTYPES || order >= z->pb_order)
		return PA_NIL;
	if (w.hi > z->max_order)
		w.hi = z->max_order;
	uint32_t chunk = first_in_cats(&c, &nonmovable_cats, &w,
				       unowned_partial_in);

	zone_count(z, SPB_WORDS, c.words);
	if (chunk == PA_NIL)
		return PA_NIL;
	/* its free pages leave the lists for a pageset of mt (any pageset
	 * of mt may own it: the caller's) */
	pageblock_mark_content(z, chunk, z->pb_order, mt);
	zone_count(z, SPB_PB_ADOPTED, 1);
	return (uint32_t)pfn_to_pb(z, chunk);
}
