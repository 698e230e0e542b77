/* SPDX-License-Identifier: MIT */
/*
 * Contiguous allocation from the superpageblock summaries (spb_contig.h):
 * under spb, a request of whole SPBs takes a run of clean, entirely free
 * ones without migrating anything (pgmigrate counters unchanged), the one
 * a walk of the summaries predicts; a request between max_order and one
 * SPB takes a free pageblock run inside an SPB; SPBs handed out whole are
 * marked, masked out of spb_pick and not used by ordinary allocations
 * until freed.  Under every policy: when no free run exists the classic
 * path (isolate, migrate) still succeeds with every page intact, and every
 * size works on a zone with a partial last SPB.  pa_check after each step.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "owner.h"
#include "buddy.h"
#include "spb_contig.h"
#include "spb_steer.h"
#include "zone.h" /* white-box: the summaries and spb_pick */

/* SPBs of 8 pageblocks of 16 pages (128 pages), max_order 5 (2
 * pageblocks), so that a request can lie between max_order and one SPB;
 * `extra` pageblocks more make a partial last SPB. */
static struct pa_config spb_cfg(unsigned nr_spb, unsigned extra,
				enum pa_backing backing)
{
	struct pa_config c = th_config(nr_spb * 8 + extra, 4, 5,
				       PA_CFG_NO_WATERMARKS, 2);

	th_config_spb(&c, 8);
	c.backing = backing;
	return c;
}

static struct pa_zone *spb_zone(unsigned nr_spb, enum pa_backing backing)
{
	struct pa_config c = spb_cfg(nr_spb, 0, backing);

	c.policy = PA_POLICY_SPB;
	return th_zone_create(&c);
}

static uint64_t migrated(struct pa_zone *z)
{
	struct pa_stats s;

	pa_stats(z, &s);
	return s.pgmigrate_success + s.pgmigrate_fail + s.compact_isolated;
}

/* The model: the first aligned run of k SPBs each whole and entirely
 * free, by reading every summary (what the bitmaps must agree with). */
static uint64_t first_free_run(struct pa_zone *z, uint64_t k)
{
	uint64_t per = 1ull << (z->spb_order - z->pb_order);

	for (uint64_t first = 0; first + k <= z->nr_superpageblocks; first += k) {
		uint64_t i = first;

		for (; i < first + k; i++) {
			const struct superpageblock *s = spb_get(z, i);

			if (s->nr_pageblocks != per || s->nr_free_pb != per)
				break;
		}
		if (i == first + k)
			return first;
	}
	return UINT64_MAX;
}

/* Movable pages through the owner, some unmovable ones: several SPBs
 * partly used, one tainted, the rest free. */
static void partly_use(struct pa_zone *z, struct th_owner *o, uint64_t pages,
		       uint64_t *unmovable, unsigned nr_unmovable)
{
	for (uint64_t i = 0; i < pages; i++)
		assert_int_not_equal(th_owner_alloc(o, 0), TH_NO_HANDLE);
	for (unsigned i = 0; i < nr_unmovable; i++) {
		unmovable[i] = pa_alloc(z, 0, 0);
		assert_int_not_equal(unmovable[i], PA_NO_PFN);
	}
}

static void test_whole_spbs_without_migration(void **state)
{
	struct pa_zone *z = spb_zone(16, PA_BACKING_NONE);
	struct th_owner *o = th_owner_new(z, 1024);
	uint64_t um[4];

	(void)state;
	assert_non_null(o);
	partly_use(z, o, 300, um, 4);
	assert_check(z);
	for (uint64_t k = 1; k <= 4; k <<= 1) {
		uint64_t want = first_free_run(z, k), before = migrated(z);

		assert_int_not_equal(want, UINT64_MAX);
		uint64_t pfn = pa_alloc_contig(z, k << z->spb_order, PA_GFP_MOVABLE);

		assert_int_equal(pfn, want << z->spb_order);
		assert_int_equal(migrated(z), before);
		assert_int_equal(th_owner_moves(o), 0);
		for (uint64_t i = want; i < want + k; i++)
			assert_true(spb_is_contig(z, i));
		assert_check(z);
		assert_int_equal(pa_free_contig(z, pfn, k << z->spb_order), 0);
		for (uint64_t i = want; i < want + k; i++)
			assert_false(spb_is_contig(z, i));
		assert_check(z);
	}
	/* eight SPBs aligned: the first run of eight holds the used ones, the
	 * second is free */
	uint64_t want = first_free_run(z, 8), before = migrated(z);

	assert_int_equal(want, 8);
	assert_int_equal(pa_alloc_contig(z, 8 << z->spb_order, 0), 8 << z->spb_order);
	assert_int_equal(migrated(z), before);
	assert_int_equal(pa_free_contig(z, 8 << z->spb_order, 8 << z->spb_order), 0);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(pa_free(z, um[i], 0), 0);
	th_owner_free_all(o);
	th_owner_destroy(o);
	th_zone_destroy(z);
}

/* The mark masks an SPB out of spb_pick (white-box: marked while free,
 * which a real contiguous range never is). */
static void test_pick_skips_marked(void **state)
{
	struct pa_zone *z = spb_zone(4, PA_BACKING_NONE);
	struct spb_want w = { .cat = SPB_MAP_CLEAN, .mt = PA_MT_MOVABLE,
			      .lo = 0, .hi = z->max_order };
	uint64_t words = 0;

	(void)state;
	zone_lock(z);
	assert_int_equal(spb_pick(z, &w, &words), 0);
	spb_set_contig(z, 0, 2ull << z->spb_order, true);
	assert_int_equal(spb_pick(z, &w, &words), 2);
	w.emptiest_first = true;
	assert_int_equal(spb_pick(z, &w, &words), 2);
	/* a range covering an SPB in part marks nothing of it */
	spb_set_contig(z, 3ull << z->spb_order, 1ull << (z->spb_order - 1), true);
	assert_false(spb_is_contig(z, 3));
	spb_set_contig(z, 0, 2ull << z->spb_order, false);
	assert_int_equal(spb_pick(z, &w, &words), 0);
	zone_unlock(z);
	assert_check(z);
	th_zone_destroy(z);
}

/* Ordinary allocations of every type fill the zone around a range of
 * whole SPBs and never land in it; once it is freed they do. */
static void test_marked_spbs_kept_out(void **state)
{
	struct pa_zone *z = spb_zone(4, PA_BACKING_NONE);
	uint64_t nr = 2ull << z->spb_order, total = pa_managed_pages(z);
	uint64_t *got = calloc(total, sizeof(*got)), n = 0;
	static const unsigned gfps[] = { PA_GFP_MOVABLE, 0, PA_GFP_RECLAIMABLE };

	(void)state;
	assert_non_null(got);
	uint64_t pfn = pa_alloc_contig(z, nr, 0);

	assert_int_not_equal(pfn, PA_NO_PFN);
	for (uint64_t p; (p = pa_alloc(z, 0, gfps[n % 3] | PA_GFP_NOWARN)) != PA_NO_PFN;) {
		assert_false(p >= pfn && p < pfn + nr);
		got[n++] = p;
	}
	assert_int_equal(n, total - nr);
	assert_check(z);
	assert_int_equal(pa_free_contig(z, pfn, nr), 0);
	uint64_t p = pa_alloc(z, 0, PA_GFP_MOVABLE);

	assert_true(p >= pfn && p < pfn + nr);
	got[n++] = p;
	assert_check(z);
	for (uint64_t i = 0; i < n; i++)
		assert_int_equal(pa_free(z, got[i], 0), 0);
	free(got);
	th_zone_destroy(z);
}

/* Between max_order and one SPB: an aligned run of free pageblocks
 * inside an SPB, though the zone's first candidate would need migration.
 * Every pageblock holds a movable pageblock-sized block, then SPB 0 loses
 * every other one and SPB 1 its second half: only SPB 1 has a free
 * aligned run of four. */
static void test_sub_spb_range_without_migration(void **state)
{
	struct pa_zone *z = spb_zone(4, PA_BACKING_NONE);
	uint64_t per = 1ull << (z->spb_order - z->pb_order);
	uint64_t nr_pb = z->nr_pageblocks;
	uint32_t *at = calloc(nr_pb, sizeof(*at));
	struct th_owner *o = th_owner_new(z, (uint32_t)nr_pb);

	(void)state;
	assert_non_null(at);
	assert_non_null(o);
	for (uint64_t i = 0; i < nr_pb; i++) {
		uint32_t h = th_owner_alloc(o, z->pb_order);

		assert_int_not_equal(h, TH_NO_HANDLE);
		at[th_owner_pfn(o, h) >> z->pb_order] = h;
	}
	for (uint64_t b = 0; b < per; b += 2)
		assert_int_equal(th_owner_free(o, at[b]), 0);
	for (uint64_t b = per + per / 2; b < 2 * per; b++)
		assert_int_equal(th_owner_free(o, at[b]), 0);
	pa_drain(z);
	assert_check(z);
	uint64_t before = migrated(z);
	uint64_t pfn = pa_alloc_contig(z, 4ull << z->pb_order, PA_GFP_MOVABLE);

	assert_int_equal(pfn, (per + per / 2) << z->pb_order);
	assert_int_equal(migrated(z), before);
	assert_int_equal(th_owner_moves(o), 0);
	assert_false(spb_is_contig(z, 1)); /* half an SPB is not marked */
	assert_check(z);
	/* a second one: no free run left, the classic path migrates */
	uint64_t again = pa_alloc_contig(z, 4ull << z->pb_order, PA_GFP_MOVABLE);

	assert_int_not_equal(again, PA_NO_PFN);
	assert_true(th_owner_moves(o) > 0);
	assert_int_equal(th_owner_verify(o), 0);
	assert_check(z);
	assert_int_equal(pa_free_contig(z, pfn, 4ull << z->pb_order), 0);
	assert_int_equal(pa_free_contig(z, again, 4ull << z->pb_order), 0);
	th_owner_free_all(o);
	th_owner_destroy(o);
	free(at);
	th_zone_destroy(z);
}

/* ---- non-movable requests: tainted SPBs first ---- */

/* SPBs in the tainted category. */
static uint64_t nr_tainted(struct pa_zone *z)
{
	uint64_t n = 0;

	zone_lock(z);
	for (unsigned b = 0; b < SPB_NR_FULLNESS; b++)
		n += spb_count(z, SPB_TAINTED, b);
	zone_unlock(z);
	return n;
}

/* Four SPBs on an anon zone: every pageblock of SPBs 0 and 1 holds one
 * movable pageblock-sized block (at[b] its handle), except the pageblocks
 * listed in `taint`, each holding an unmovable pageblock-sized block
 * instead (so SPB 0 is the one tainted SPB); SPBs 2 and 3 are clean and
 * entirely free. */
struct tainted_setup {
	struct pa_zone *z;
	struct th_owner *o;
	uint32_t at[16];
	uint64_t unmovable[8];
	unsigned nr_unmovable;
};

static struct pa_zone *tainted_setup(struct tainted_setup *ts,
				     const unsigned *taint, unsigned nr_taint)
{
	struct pa_zone *z = spb_zone(4, PA_BACKING_ANON);
	uint64_t per = 1ull << (z->spb_order - z->pb_order);

	ts->z = z;
	ts->o = th_owner_new(z, (uint32_t)z->nr_pageblocks);
	assert_non_null(ts->o);
	assert_int_equal(per * 2, 16);
	uint32_t all[32];

	for (uint64_t i = 0; i < z->nr_pageblocks; i++) {
		all[i] = th_owner_alloc(ts->o, z->pb_order);
		assert_int_not_equal(all[i], TH_NO_HANDLE);
		uint64_t b = th_owner_pfn(ts->o, all[i]) >> z->pb_order;

		if (b < 2 * per)
			ts->at[b] = all[i];
	}
	/* one at a time on a full zone, so the only free pageblock is b */
	for (unsigned k = 0; k < nr_taint; k++) {
		uint64_t b = taint[k];

		assert_int_equal(th_owner_free(ts->o, ts->at[b]), 0);
		ts->at[b] = TH_NO_HANDLE;
		pa_drain(z);
		ts->unmovable[k] = pa_alloc(z, z->pb_order, 0);
		assert_int_equal(ts->unmovable[k], b << z->pb_order);
	}
	ts->nr_unmovable = nr_taint;
	for (uint64_t i = 0; i < z->nr_pageblocks; i++) {
		uint64_t pfn = th_owner_pfn(ts->o, all[i]);

		if (pfn != PA_NO_PFN && pfn >= 2ull << z->spb_order)
			assert_int_equal(th_owner_free(ts->o, all[i]), 0);
	}
	pa_drain(z);
	assert_int_equal(nr_tainted(z), 1);
	assert_int_equal(spb_get(z, 0)->category, SPB_TAINTED);
	assert_check(z);
	return z;
}

/* n pageblocks' worth of pages */
static uint64_t pbs(const struct pa_zone *z, uint64_t n)
{
	return n << z->pb_order;
}

static void tainted_teardown(struct tainted_setup *ts)
{
	assert_int_equal(th_owner_verify(ts->o), 0);
	for (unsigned k = 0; k < ts->nr_unmovable; k++)
		assert_int_equal(pa_free(ts->z, ts->unmovable[k], ts->z->pb_order), 0);
	th_owner_free_all(ts->o);
	th_owner_destroy(ts->o);
	th_zone_destroy(ts->z);
}

/* SPB 0 is tainted by pageblock 0 alone: a reclaimable range of four
 * pageblocks (above max_order) and an unmovable one of two (max_order
 * itself) are migrated empty inside it, though clean SPBs 2 and 3 are
 * entirely free; no clean SPB is tainted and every moved page is intact. */
static void test_nonmovable_evacuates_tainted_first(void **state)
{
	static const unsigned taint[] = { 0 };
	struct tainted_setup ts;

	struct pa_zone *z = tainted_setup(&ts, taint, 1);
	uint64_t a = pa_alloc_contig(z, pbs(z, 4), PA_GFP_RECLAIMABLE);

	(void)state;
	assert_int_equal(a, pbs(z, 4)); /* pageblocks 4..7 */
	assert_int_equal(th_owner_moves(ts.o), 4);
	assert_int_equal(th_owner_verify(ts.o), 0);
	assert_int_equal(nr_tainted(z), 1);
	assert_check(z);
	uint64_t b = pa_alloc_contig(z, pbs(z, 2), 0);

	assert_int_equal(b, pbs(z, 2)); /* pageblocks 2..3 */
	assert_int_equal(th_owner_moves(ts.o), 6);
	assert_int_equal(nr_tainted(z), 1);
	for (uint64_t i = 1; i < 4; i++)
		assert_int_equal(spb_get(z, i)->category, SPB_CLEAN);
	assert_check(z);
	assert_int_equal(pa_free_contig(z, a, pbs(z, 4)), 0);
	assert_int_equal(pa_free_contig(z, b, pbs(z, 2)), 0);
	assert_check(z);
	tainted_teardown(&ts);
}

/* Every aligned group of SPB 0 holds an unmovable pageblock: nothing
 * there can be emptied, so the request takes a free range of a clean SPB
 * (fullest first: 2) without migrating; a second request goes to the SPB
 * the first one tainted, not to another clean one. */
static void test_nonmovable_takes_clean_only_when_tainted_cannot(void **state)
{
	static const unsigned taint[] = { 0, 2, 4, 6 };
	struct tainted_setup ts;

	struct pa_zone *z = tainted_setup(&ts, taint, 4);
	uint64_t a = pa_alloc_contig(z, pbs(z, 4), PA_GFP_RECLAIMABLE), b;

	(void)state;
	assert_int_equal(a, 2ull << z->spb_order);
	assert_int_equal(th_owner_moves(ts.o), 0);
	assert_int_equal(nr_tainted(z), 2);
	assert_check(z);
	b = pa_alloc_contig(z, pbs(z, 2), 0);
	assert_int_equal(b >> z->spb_order, 2);
	assert_int_equal(th_owner_moves(ts.o), 0);
	assert_int_equal(nr_tainted(z), 2);
	assert_int_equal(spb_get(z, 3)->category, SPB_CLEAN);
	assert_check(z);
	assert_int_equal(pa_free_contig(z, a, pbs(z, 4)), 0);
	assert_int_equal(pa_free_contig(z, b, pbs(z, 2)), 0);
	tainted_teardown(&ts);
}

/* The regions spb offers (white-box): tainted SPBs from `from` on, none
 * for a movable request or a request of whole SPBs, none handed out
 * whole. */
static void test_contig_region_is_tainted_spbs(void **state)
{
	static const unsigned taint[] = { 0 };
	struct tainted_setup ts;
	struct pa_zone *z = tainted_setup(&ts, taint, 1);
	uint64_t end = 0, spb = 1ull << z->spb_order;

	(void)state;
	zone_lock(z);
	assert_int_equal(spb_contig_region(z, z->pb_order, PA_MT_UNMOVABLE, 0, &end), 0);
	assert_int_equal(end, spb);
	assert_int_equal(spb_contig_region(z, z->pb_order, PA_MT_RECLAIMABLE, 5, &end), 5);
	assert_int_equal(end, spb);
	assert_int_equal(spb_contig_region(z, z->pb_order, PA_MT_UNMOVABLE, spb, &end),
			 PA_NO_PFN);
	assert_int_equal(spb_contig_region(z, z->pb_order, PA_MT_MOVABLE, 0, &end),
			 PA_NO_PFN);
	assert_int_equal(spb_contig_region(z, z->spb_order, PA_MT_UNMOVABLE, 0, &end),
			 PA_NO_PFN);
	zone_unlock(z);
	assert_check(z);
	tainted_teardown(&ts);
}

/* ---- every policy ---- */

/* No SPB is entirely free (every other page is used by movable memory):
 * whole SPBs come from isolation and migration, every page intact. */
static void test_falls_back_to_migration(void **state)
{
	struct pa_config c = spb_cfg(4, 0, PA_BACKING_ANON);
	struct pa_zone *z = th_zone_for(state, &c);
	uint64_t total = pa_managed_pages(z), n = 0;
	uint32_t *h = calloc(total, sizeof(*h));
	struct th_owner *o = th_owner_new(z, (uint32_t)total);

	assert_non_null(h);
	assert_non_null(o);
	for (uint32_t x; (x = th_owner_alloc(o, 0)) != TH_NO_HANDLE;)
		h[n++] = x;
	for (uint64_t i = 0; i < n; i++)
		if (th_owner_pfn(o, h[i]) & 1)
			assert_int_equal(th_owner_free(o, h[i]), 0);
	pa_drain(z);
	assert_int_equal(first_free_run(z, 1), UINT64_MAX);
	uint64_t nr = 1ull << z->spb_order;
	uint64_t pfn = pa_alloc_contig(z, nr, PA_GFP_MOVABLE);

	assert_int_not_equal(pfn, PA_NO_PFN);
	assert_int_equal(pfn & (nr - 1), 0);
	assert_true(th_owner_moves(o) > 0);
	assert_int_equal(th_owner_verify(o), 0);
	assert_true(spb_is_contig(z, pfn >> z->spb_order));
	for (uint64_t i = 0; i < n; i++) {
		uint64_t at = th_owner_pfn(o, h[i]);

		assert_false(at != PA_NO_PFN && at >= pfn && at < pfn + nr);
	}
	assert_check(z);
	assert_int_equal(pa_free_contig(z, pfn, nr), 0);
	assert_false(spb_is_contig(z, pfn >> z->spb_order));
	th_owner_free_all(o);
	th_owner_destroy(o);
	free(h);
	th_zone_destroy(z);
}

/* Every power of two up to the zone's whole SPBs on a zone whose last SPB
 * is partial, each kept while the next size is taken, then all freed. */
static void test_sizes_with_partial_spb(void **state)
{
	struct pa_config c = spb_cfg(4, 4, PA_BACKING_NONE);
	struct pa_zone *z = th_zone_for(state, &c);
	uint64_t held[16], sizes[16];
	unsigned n = 0;

	for (uint64_t nr = 1; nr <= 4ull << z->spb_order; nr <<= 1) {
		uint64_t pfn = pa_alloc_contig(z, nr, PA_GFP_NOWARN);

		if (pfn == PA_NO_PFN) { /* what is left is too small */
			assert_int_equal(errno, nr > pa_managed_pages(z) / 2 ? ENOMEM : EBUSY);
			continue;
		}
		assert_int_equal(pfn & (nr - 1), 0);
		assert_true(pfn + nr <= pa_managed_pages(z));
		assert_check(z);
		held[n] = pfn;
		sizes[n++] = nr;
	}
	assert_true(n >= 8);
	while (n--)
		assert_int_equal(pa_free_contig(z, held[n], sizes[n]), 0);
	assert_check(z);
	/* all of it free again: the four whole SPBs in one piece */
	uint64_t pfn = pa_alloc_contig(z, 4ull << z->spb_order, 0);

	assert_int_equal(pfn, 0);
	for (uint64_t i = 0; i < 4; i++)
		assert_true(spb_is_contig(z, i));
	assert_false(spb_is_contig(z, 4));
	assert_check(z);
	assert_int_equal(pa_free_contig(z, pfn, 4ull << z->spb_order), 0);
	th_zone_destroy(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_spbs_without_migration),
		cmocka_unit_test(test_pick_skips_marked),
		cmocka_unit_test(test_marked_spbs_kept_out),
		cmocka_unit_test(test_sub_spb_range_without_migration),
		cmocka_unit_test(test_nonmovable_evacuates_tainted_first),
		cmocka_unit_test(test_nonmovable_takes_clean_only_when_tainted_cannot),
		cmocka_unit_test(test_contig_region_is_tainted_spbs),
		th_policy_test(test_falls_back_to_migration),
		th_policy_test(test_sizes_with_partial_spb),
	};

	return th_run_policy_group("spb_contig", tests);
}
