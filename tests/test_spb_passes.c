/* SPDX-License-Identifier: MIT */
/*
 * The spb policy's passes, each alone, on tiny geometries: pageblocks of 4
 * pages, superpageblocks (SPBs) of 4 pageblocks (16 pages), max_order 4 (a
 * whole SPB), every CPU offline so that every call takes the zone path
 * (the passes), no watermarks.  Each test builds the one situation in
 * which its pass, and no earlier one, can serve, then checks where the
 * block came from, what changed (pageblock types, content bits, lists,
 * SPB categories) and which pass counter moved.  pa_check after each.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buddy.h"
#include "helpers.h"
#include "spb_steer.h"
#include "zone.h" /* white-box: content bits and per-list counts */

#define PB 4u    /* pages per pageblock */
#define SPB 16u  /* pages per superpageblock */

/* Every event line, concatenated (for the events test). */
struct events {
	char text[1 << 16];
	size_t len;
};

static void on_event(void *arg, const char *line)
{
	struct events *e = arg;
	size_t n = strlen(line);

	if (e->len + n + 2 < sizeof(e->text)) {
		memcpy(e->text + e->len, line, n);
		e->len += n;
		e->text[e->len++] = '\n';
		e->text[e->len] = 0;
	}
}

static struct pa_zone *zone_traced(unsigned nr_spb, struct events *ev)
{
	struct pa_config c = th_config(nr_spb * (SPB / PB), 2, 4,
				       PA_CFG_NO_WATERMARKS, 1);

	c.policy = PA_POLICY_SPB;
	if (ev) {
		c.event_fn = on_event;
		c.event_arg = ev;
	}
	c.superpageblock_order = 4;
	struct pa_zone *z = pa_zone_create(&c);

	assert_non_null(z);
	assert_int_equal(pa_cpu_offline(z, 0), 0); /* zone path only */
	return z;
}

static struct pa_zone *zone_of(unsigned nr_spb)
{
	return zone_traced(nr_spb, NULL);
}

static uint64_t alloc_ok(struct pa_zone *z, unsigned order, unsigned gfp)
{
	uint64_t pfn = pa_alloc(z, order, gfp);

	if (pfn == PA_NO_PFN)
		fail_msg("order-%u allocation (gfp 0x%x) failed", order, gfp);
	return pfn;
}

static uint64_t pass_count(struct pa_zone *z, unsigned pass)
{
	struct pa_stats s;

	pa_stats(z, &s);
	return s.spb_pass[pass];
}

/* Which pass served the next allocation: exactly one counter moves. */
static unsigned served_by(struct pa_zone *z, uint64_t before[PA_SPB_NR_PASSES])
{
	struct pa_stats s;
	unsigned which = PA_SPB_NR_PASSES, moved = 0;

	pa_stats(z, &s);
	for (unsigned p = 0; p < PA_SPB_NR_PASSES; p++)
		if (s.spb_pass[p] != before[p]) {
			which = p;
			moved++;
		}
	assert_int_equal(moved, 1);
	return which;
}

static void snap_passes(struct pa_zone *z, uint64_t out[PA_SPB_NR_PASSES])
{
	struct pa_stats s;

	pa_stats(z, &s);
	memcpy(out, s.spb_pass, sizeof(s.spb_pass));
}

/* Allocate and say which pass served. */
static uint64_t alloc_pass(struct pa_zone *z, unsigned order, unsigned gfp,
			   unsigned *pass)
{
	uint64_t before[PA_SPB_NR_PASSES];

	snap_passes(z, before);
	uint64_t pfn = alloc_ok(z, order, gfp);

	*pass = served_by(z, before);
	return pfn;
}

static unsigned pb_type(struct pa_zone *z, uint64_t pfn)
{
	uint8_t cell;

	assert_int_equal(pa_pageblock_map(z, pfn / PB, &cell, 1), 1);
	return cell & 0xfu;
}

static uint64_t tainted(struct pa_zone *z)
{
	struct pa_frag f;

	assert_int_equal(pa_frag(z, &f), 0);
	return f.tainted_superpageblocks;
}

/* Pass 1, movable: the fullest clean SPB, not the lowest-numbered. */
static void pass1_movable_fullest_clean(void **state)
{
	struct pa_zone *z = zone_of(3);
	unsigned pass;

	(void)state;
	uint64_t a = alloc_ok(z, 3, PA_GFP_MOVABLE);   /* SPB 0 half */
	uint64_t b = alloc_ok(z, 3, PA_GFP_MOVABLE);   /* SPB 0 full */
	uint64_t c = alloc_ok(z, 3, PA_GFP_MOVABLE);   /* SPB 1 half */
	uint64_t d = alloc_ok(z, 2, PA_GFP_MOVABLE);   /* SPB 1: 4 free */

	assert_int_equal(a / SPB, 0);
	assert_int_equal(b / SPB, 0);
	assert_int_equal(c / SPB, 1);
	assert_int_equal(d / SPB, 1);
	assert_int_equal(pa_free(z, a, 3), 0);         /* SPB 0: 8 free */
	uint64_t e = alloc_pass(z, 0, PA_GFP_MOVABLE, &pass);

	assert_int_equal(pass, SPB_PASS_1);
	assert_int_equal(e / SPB, 1); /* 4 free beats 8 free */
	assert_int_equal(tainted(z), 0);
	assert_check(z);
	pa_zone_destroy(z);
}

/* Pass 3 taints the emptiest clean SPB; the next non-movable request of
 * the same type stays there (Pass 1, tainted first). */
static void pass3_then_pass1_nonmovable(void **state)
{
	struct pa_zone *z = zone_of(3);
	unsigned pass;

	(void)state;
	alloc_ok(z, 3, PA_GFP_MOVABLE);                /* SPB 0 half full */
	uint64_t u = alloc_pass(z, 0, 0, &pass);

	assert_int_equal(pass, SPB_PASS_3);
	assert_int_equal(u / SPB, 1);                  /* emptiest, not 0 */
	assert_int_equal(pb_type(z, u), PA_MT_UNMOVABLE);
	assert_int_equal(tainted(z), 1);
	uint64_t v = alloc_pass(z, 0, 0, &pass);

	assert_int_equal(pass, SPB_PASS_1);
	assert_int_equal(v / PB, u / PB);              /* same pageblock */
	assert_int_equal(tainted(z), 1);
	assert_check(z);
	pa_zone_destroy(z);
}

/* Pass 2: once the tainted SPB's own-type space is used up, a whole free
 * movable pageblock inside it is claimed before any clean SPB. */
static void pass2_claims_in_tainted(void **state)
{
	struct pa_zone *z = zone_of(3);
	unsigned pass;

	(void)state;
	uint64_t u = alloc_ok(z, 0, 0);                /* taints SPB 0 */

	for (int i = 0; i < 3; i++)                    /* rest of its block */
		assert_int_equal(alloc_ok(z, 0, 0) / PB, u / PB);
	uint64_t v = alloc_pass(z, 0, 0, &pass);

	assert_int_equal(pass, SPB_PASS_2);
	assert_int_equal(v / SPB, u / SPB);
	assert_int_not_equal(v / PB, u / PB);
	assert_int_equal(pb_type(z, v), PA_MT_UNMOVABLE);
	assert_int_equal(tainted(z), 1);
	assert_check(z);
	pa_zone_destroy(z);
}

/*
 * SPB 0 tainted: pageblock 0 unmovable and full, pageblock 1 movable and
 * partly used (pfn 6..7 free), pageblocks 2 and 3 movable and full; every
 * other SPB full of movable memory.  Returns pageblock 1's free pfn.
 */
static uint64_t tainted_with_movable_partial(struct pa_zone *z, unsigned nr_spb)
{
	uint64_t u = alloc_ok(z, 0, 0);

	assert_int_equal(u / SPB, 0);
	for (unsigned s = 1; s < nr_spb; s++)
		assert_int_not_equal(alloc_ok(z, 4, PA_GFP_MOVABLE) / SPB, 0);
	/* only SPB 0 is left: movable goes there (Pass 1, tainted) */
	assert_int_equal(alloc_ok(z, 1, PA_GFP_MOVABLE), 4);
	assert_int_equal(alloc_ok(z, 2, PA_GFP_MOVABLE), 8);
	assert_int_equal(alloc_ok(z, 2, PA_GFP_MOVABLE), 12);
	for (int i = 0; i < 3; i++)
		assert_int_equal(alloc_ok(z, 0, 0) / PB, 0);
	assert_check(z);
	return 6;
}

/* Pass 2b, more than 8 SPBs: the partly used movable pageblock of the
 * tainted SPB is claimed whole (50% rule skipped). */
static void pass2b_claims_partial_on_big_machines(void **state)
{
	struct pa_zone *z = zone_of(9);
	unsigned pass;

	(void)state;
	uint64_t free_pfn = tainted_with_movable_partial(z, 9);
	uint64_t v = alloc_pass(z, 0, 0, &pass);

	assert_int_equal(pass, SPB_PASS_2B);
	assert_int_equal(v / PB, free_pfn / PB);
	assert_int_equal(pb_type(z, v), PA_MT_UNMOVABLE); /* claimed */
	assert_int_equal(tainted(z), 1);
	assert_check(z);
	pa_zone_destroy(z);
}

/* Pass 2b refuses a pageblock holding the other non-movable type (no
 * unmovable/reclaimable mixing); Pass 2d then borrows without relabel. */
static void pass2b_refuses_mixing(void **state)
{
	struct pa_zone *z = zone_of(9);
	unsigned pass;

	(void)state;
	uint64_t free_pfn = tainted_with_movable_partial(z, 9);

	/* as if a reclaimable page had been stolen from it earlier */
	zone_lock(z);
	pageblock_mark_content(z, free_pfn, 0, PA_MT_RECLAIMABLE);
	zone_unlock(z);
	uint64_t v = alloc_pass(z, 0, 0, &pass);

	assert_int_equal(pass, SPB_PASS_2D);
	assert_int_equal(v / PB, free_pfn / PB);
	assert_int_equal(pb_type(z, v), PA_MT_MOVABLE);
	assert_check(z);
	pa_zone_destroy(z);
}

/* Pass 2d, 8 SPBs or fewer (the pageblock floor): borrow the movable
 * fragment, the pageblock stays movable. */
static void pass2d_borrows_movable_on_small_machines(void **state)
{
	struct pa_zone *z = zone_of(8);
	unsigned pass;

	(void)state;
	uint64_t free_pfn = tainted_with_movable_partial(z, 8);
	uint64_t v = alloc_pass(z, 0, 0, &pass);

	assert_int_equal(pass, SPB_PASS_2D);
	assert_int_equal(v / PB, free_pfn / PB);
	assert_int_equal(pb_type(z, v), PA_MT_MOVABLE);
	assert_int_equal(tainted(z), 1);
	/* freed, it goes back to the movable list it came from */
	assert_int_equal(pa_free(z, v, 0), 0);
	assert_int_equal(fa_nr_free(z, 1, PA_MT_MOVABLE), 1);
	assert_check(z);
	pa_zone_destroy(z);
}

/*
 * Pass 2c, seed 001 exactly: a reclaimable request, no reclaimable free
 * block anywhere, the tainted SPB's free space all on the unmovable list.
 * The block comes from the unmovable list (largest sub-pageblock order
 * first), its pageblock stays Unmovable, the split half stays on the
 * unmovable list, PB_has_reclaimable is set beside PB_has_unmovable, no
 * clean SPB is tainted, and the freed page returns to the unmovable list.
 */
static void pass2c_borrows_other_nonmovable(void **state)
{
	struct pa_zone *z = zone_of(2);
	unsigned pass;

	(void)state;
	uint64_t u = alloc_ok(z, 0, 0);                 /* pb 0: 1, 2..3 free */

	assert_int_equal(u, 0);
	for (int i = 0; i < 3; i++)                     /* pbs 1..3 unmovable */
		assert_int_equal(alloc_ok(z, 2, 0) / SPB, 0);
	assert_int_equal(fa_nr_free(z, 0, PA_MT_UNMOVABLE), 1);
	assert_int_equal(fa_nr_free(z, 1, PA_MT_UNMOVABLE), 1);
	uint64_t r = alloc_pass(z, 0, PA_GFP_RECLAIMABLE, &pass);

	assert_int_equal(pass, SPB_PASS_2C);
	assert_int_equal(r, 2);                         /* the order-1 block */
	assert_int_equal(pb_type(z, r), PA_MT_UNMOVABLE);
	assert_int_equal(fa_nr_free(z, 0, PA_MT_UNMOVABLE), 2); /* 1 and 3 */
	for (unsigned o = 0; o <= 4; o++)
		assert_int_equal(fa_nr_free(z, o, PA_MT_RECLAIMABLE), 0);
	assert_int_equal(z->pb[0].content,
			 PB_HAS_UNMOVABLE | PB_HAS_RECLAIMABLE);
	assert_int_equal(tainted(z), 1);                /* SPB 1 still clean */
	assert_check(z);
	assert_int_equal(pa_free(z, r, 0), 0);
	assert_int_equal(fa_nr_free(z, 1, PA_MT_UNMOVABLE), 1); /* 2..3 */
	assert_int_equal(fa_nr_free(z, 0, PA_MT_UNMOVABLE), 1); /* 1 */
	assert_int_equal(fa_nr_free(z, 0, PA_MT_RECLAIMABLE), 0);
	assert_check(z);
	pa_zone_destroy(z);
}

/* Pass 4: a movable request with no movable free block takes a whole
 * free pageblock of another type, in a clean SPB first. */
static void pass4_movable_fallback(void **state)
{
	struct pa_zone *z = zone_of(2);
	unsigned pass;

	(void)state;
	uint64_t u = alloc_ok(z, 0, 0);               /* taints SPB 0 */

	/* freed, SPB 0 is clean again but its pages merged into one free
	 * block of the freed block's type */
	assert_int_equal(pa_free(z, u, 0), 0);
	assert_int_equal(tainted(z), 0);
	assert_int_equal(pb_type(z, 0), PA_MT_UNMOVABLE);
	assert_int_equal(alloc_ok(z, 4, PA_GFP_MOVABLE) / SPB, 1);
	uint64_t m = alloc_pass(z, 0, PA_GFP_MOVABLE, &pass);

	assert_int_equal(pass, SPB_PASS_4);
	assert_int_equal(m / SPB, 0);
	assert_int_equal(pb_type(z, m), PA_MT_MOVABLE);
	assert_int_equal(tainted(z), 0);
	assert_check(z);
	pa_zone_destroy(z);
}

/* The series' events, in ftrace text: the walk with its pass and words,
 * the taint of a clean SPB with its reason, a refused claim with its
 * reason, and the fall-through before Pass 3. */
static void events_in_ftrace_text(void **state)
{
	struct events *ev = calloc(1, sizeof(*ev));
	struct pa_zone *z;

	(void)state;
	assert_non_null(ev);
	z = zone_traced(9, ev);
	uint64_t free_pfn = tainted_with_movable_partial(z, 9);

	assert_non_null(strstr(ev->text, "spb_alloc_fall_through: order=0 migratetype=0 tainted=0"));
	assert_non_null(strstr(ev->text, "spb_pb_taint: spb=0 pfn=0x0 migratetype=0 reason="));
	assert_non_null(strstr(ev->text, "spb_alloc_walk: order=0 migratetype=0 gfp_flags=GFP_KERNEL pass=3 spb=0 words="));
	zone_lock(z);
	pageblock_mark_content(z, free_pfn, 0, PA_MT_RECLAIMABLE);
	zone_unlock(z);
	ev->len = 0;
	ev->text[0] = 0;
	alloc_ok(z, 0, 0);
	assert_non_null(strstr(ev->text, "spb_claim_block_refused: pfn=0x4 migratetype=0 block_migratetype=1 reason=\"cross-type content\""));
	assert_non_null(strstr(ev->text, "pass=2d spb=0"));
	assert_non_null(strstr(ev->text, "mm_page_alloc_zone_locked: "));
	pa_zone_destroy(z);
	free(ev);
}

/* PA_GFP_NORETRY: a non-movable request that only Pass 3 (tainting a
 * clean SPB) could serve fails instead; without the bit it taints one.
 * Atomic requests with the bit do not taint either. */
static void noretry_refuses_to_taint(void **state)
{
	struct pa_zone *z = zone_of(2);
	unsigned pass;

	(void)state;
	uint64_t m = alloc_ok(z, 4, PA_GFP_MOVABLE);     /* SPB 0 full */

	assert_int_equal(m / SPB, 0);
	assert_int_equal(pa_alloc(z, 0, PA_GFP_NORETRY | PA_GFP_NOWARN),
			 PA_NO_PFN);
	assert_int_equal(pa_alloc(z, 2, PA_GFP_RECLAIMABLE | PA_GFP_NORETRY |
					PA_GFP_ATOMIC | PA_GFP_NOWARN),
			 PA_NO_PFN);
	assert_int_equal(tainted(z), 0);
	assert_true(pass_count(z, SPB_PASS_NONE) >= 2);
	/* a movable NORETRY request is not refused: it taints nothing */
	uint64_t mv = alloc_ok(z, 0, PA_GFP_MOVABLE | PA_GFP_NORETRY);
	uint64_t u = alloc_pass(z, 0, 0, &pass);

	assert_int_equal(pass, SPB_PASS_3);
	assert_int_equal(u / SPB, 1);
	assert_int_equal(tainted(z), 1);
	assert_check(z);
	assert_int_equal(pa_free(z, mv, 0), 0);
	assert_int_equal(pa_free(z, u, 0), 0);
	assert_int_equal(pa_free(z, m, 4), 0);
	assert_check(z);
	pa_zone_destroy(z);
}

static void reserve_counts(struct pa_zone *z, uint64_t *blocks,
			   uint64_t *given_back)
{
	struct pa_stats s;

	pa_stats(z, &s);
	*blocks = s.highatomic_blocks;
	*given_back = s.highatomic_unreserved;
}

/* The highatomic reserve and the slow path's order: a non-movable request
 * that only a fragmenting attempt (Pass 3) can serve keeps the reserve, as
 * the kernel gives it back only after its fallback failed; once the
 * fragmenting attempt fails too, the reserve is given back and serves it.
 * 32 SPBs of 16 pages, so the reserve (1% of the zone) is 2 pageblocks. */
static void reserve_given_back_after_fragmenting_fails(void **state)
{
	struct pa_zone *z = zone_of(32);
	uint64_t blocks, given, ha = alloc_ok(z, 1, PA_GFP_ATOMIC);
	unsigned pass;

	(void)state;
	assert_int_equal(pa_free(z, ha, 1), 0);
	reserve_counts(z, &blocks, &given);
	assert_int_equal(blocks, 1);
	assert_int_equal(pb_type(z, ha), PA_MT_HIGHATOMIC);
	/* nothing unmovable is free: Pass 3 taints a clean SPB, and the
	 * reserve stays */
	uint64_t u = alloc_pass(z, 0, 0, &pass);

	assert_int_equal(pass, SPB_PASS_3);
	reserve_counts(z, &blocks, &given);
	assert_int_equal(blocks, 1);
	assert_int_equal(given, 0);
	assert_int_equal(pb_type(z, ha), PA_MT_HIGHATOMIC);
	assert_check(z);
	assert_int_equal(pa_free(z, u, 0), 0);

	/* everything else taken (exactly: a movable request that failed
	 * would take the reserve back itself): only the reserve can serve */
	uint64_t n = pa_managed_pages(z) - PB;
	uint64_t *p = malloc(sizeof(*p) * n);

	assert_non_null(p);
	for (uint64_t i = 0; i < n; i++)
		p[i] = alloc_ok(z, 0, PA_GFP_MOVABLE);
	reserve_counts(z, &blocks, &given);
	assert_int_equal(blocks, 1);
	assert_int_equal(given, 0);
	uint64_t last = alloc_ok(z, 0, 0);

	assert_int_equal(last / PB, ha / PB);
	reserve_counts(z, &blocks, &given);
	assert_int_equal(blocks, 0);
	assert_int_equal(given, 1);
	assert_check(z);
	assert_int_equal(pa_free(z, last, 0), 0);
	for (uint64_t i = 0; i < n; i++)
		assert_int_equal(pa_free(z, p[i], 0), 0);
	free(p);
	assert_check(z);
	pa_zone_destroy(z);
}

static uint64_t slow_path_evacuations(struct pa_zone *z)
{
	struct pa_stats s;

	pa_stats(z, &s);
	return s.spb_evacuate_for_order;
}

/* SPB i's steering category (white-box). */
static unsigned category(struct pa_zone *z, uint64_t i)
{
	zone_lock(z);
	unsigned c = spb_get(z, i)->category;

	zone_unlock(z);
	return c;
}

/* The steering hysteresis: an SPB whose last non-movable page left keeps
 * the non-movable type on its pageblocks, so the search sees it as
 * emptied (pa_frag counts it clean: it holds nothing non-movable) and the
 * next non-movable request goes back there by Pass 1, on the first
 * attempt, instead of tainting another clean SPB through the slow path.
 * It is clean again once movable demand has claimed those pageblocks
 * back (Pass 4).  Without the hysteresis the second request is Pass 3. */
static void emptied_spb_stays_preferred(void **state)
{
	struct pa_zone *z = zone_of(3);
	unsigned pass;

	(void)state;
	uint64_t m = alloc_ok(z, 4, PA_GFP_MOVABLE);     /* SPB 0 full */
	uint64_t evac = slow_path_evacuations(z);
	uint64_t u = alloc_pass(z, 0, 0, &pass);

	assert_int_equal(pass, SPB_PASS_3);
	assert_int_equal(u / SPB, 1);
	assert_int_equal(slow_path_evacuations(z), evac + 1);
	assert_int_equal(pa_free(z, u, 0), 0);
	assert_int_equal(tainted(z), 0);                 /* holds nothing */
	assert_int_equal(category(z, 1), SPB_EMPTIED);   /* still preferred */
	assert_check(z);
	uint64_t v = alloc_pass(z, 0, 0, &pass);

	assert_int_equal(pass, SPB_PASS_1);
	assert_int_equal(v / PB, u / PB);                /* the same block */
	assert_int_equal(slow_path_evacuations(z), evac + 1);
	assert_int_equal(pa_free(z, v, 0), 0);
	/* movable demand past SPB 2 claims SPB 1's pageblocks back */
	uint64_t big = alloc_ok(z, 4, PA_GFP_MOVABLE);   /* SPB 2 */
	uint64_t mv[SPB / PB];

	assert_int_equal(big / SPB, 2);
	for (unsigned i = 0; i < SPB / PB; i++)
		mv[i] = alloc_ok(z, 2, PA_GFP_MOVABLE);
	assert_int_equal(category(z, 1), SPB_CLEAN);
	assert_int_equal(tainted(z), 0);
	assert_check(z);
	for (unsigned i = 0; i < SPB / PB; i++)
		assert_int_equal(pa_free(z, mv[i], 2), 0);
	assert_int_equal(pa_free(z, big, 4), 0);
	assert_int_equal(pa_free(z, m, 4), 0);
	assert_check(z);
	pa_zone_destroy(z);
}

/* spb_pb_taint on every content-bit change: set when an unmovable page
 * lands in a free pageblock (the SPB's first), cleared when the
 * pageblock is entirely free again (its last). */
static void content_changes_traced(void **state)
{
	struct events *ev = calloc(1, sizeof(*ev));
	struct pa_zone *z;

	(void)state;
	assert_non_null(ev);
	z = zone_traced(2, ev);
	uint64_t u = alloc_ok(z, 0, 0);
	char want[160];

	snprintf(want, sizeof(want), "spb_pb_taint: spb=%llu pfn=0x%llx migratetype=0 change=set spb_first=1",
		 (unsigned long long)(u / SPB), (unsigned long long)(u & ~(uint64_t)(PB - 1)));
	assert_non_null(strstr(ev->text, want));
	ev->len = 0;
	ev->text[0] = 0;
	assert_int_equal(pa_free(z, u, 0), 0);
	snprintf(want, sizeof(want), "spb_pb_taint: spb=%llu pfn=0x%llx migratetype=0 change=clear spb_last=1",
		 (unsigned long long)(u / SPB), (unsigned long long)(u & ~(uint64_t)(PB - 1)));
	assert_non_null(strstr(ev->text, want));
	assert_check(z);
	pa_zone_destroy(z);
	free(ev);
}

/* Counters: pass_count reads what alloc_pass saw, summed. */
static void counters_add_up(void **state)
{
	struct pa_zone *z = zone_of(2);
	struct pa_stats s;
	uint64_t sum = 0;

	(void)state;
	for (int i = 0; i < 8; i++)
		alloc_ok(z, 0, i & 1 ? PA_GFP_MOVABLE : PA_GFP_RECLAIMABLE);
	pa_stats(z, &s);
	for (unsigned p = 0; p < PA_SPB_NR_PASSES; p++)
		sum += s.spb_pass[p];
	assert_int_equal(sum, 8);
	assert_int_equal(pass_count(z, SPB_PASS_NONE), 0);
	/* each search read a bitmap word or was served by Pass 1's hint */
	assert_true(s.spb_words_visited + s.spb_hint_hits >= 8);
	assert_true(s.spb_hint_hits <= s.spb_pass[SPB_PASS_1]);
	pa_stats_reset(z);
	assert_int_equal(pass_count(z, SPB_PASS_1), 0);
	pa_zone_destroy(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pass1_movable_fullest_clean),
		cmocka_unit_test(pass3_then_pass1_nonmovable),
		cmocka_unit_test(pass2_claims_in_tainted),
		cmocka_unit_test(pass2b_claims_partial_on_big_machines),
		cmocka_unit_test(pass2b_refuses_mixing),
		cmocka_unit_test(pass2d_borrows_movable_on_small_machines),
		cmocka_unit_test(pass2c_borrows_other_nonmovable),
		cmocka_unit_test(pass4_movable_fallback),
		cmocka_unit_test(noretry_refuses_to_taint),
		cmocka_unit_test(reserve_given_back_after_fragmenting_fails),
		cmocka_unit_test(emptied_spb_stays_preferred),
		cmocka_unit_test(events_in_ftrace_text),
		cmocka_unit_test(content_changes_traced),
		cmocka_unit_test(counters_add_up),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
