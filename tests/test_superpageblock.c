/* SPDX-License-Identifier: MIT */
/*
 * Superpageblock summaries, under every policy pa_config_check accepts:
 * the geometry (a partial last SPB, a zone smaller than one SPB), the
 * spbinfo report against pa_pageblock_map (an independent per-pageblock
 * view) and pa_frag through random workloads, tainting and cleaning as
 * content comes and goes, and pa_check catching a corrupted summary or
 * bitmap bit (so the check can fail).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "zone.h" /* white-box: corrupt a summary for the checker */

struct spb_line {
	uint64_t index;
	char category[8];
	unsigned fullness, free_pages, free_pb, pageblocks;
	unsigned by_mt[PA_MT_TYPES];
};

/* Parse spbinfo into lines[]; returns the count, fails on a bad line. */
static unsigned parse_spbinfo(const char *text, struct spb_line *lines,
			      unsigned max)
{
	unsigned n = 0;

	for (const char *p = text; *p; n++) {
		struct spb_line *l = &lines[n];
		char zone[16];
		int used = 0;

		assert_true(n < max);
		int got = sscanf(p, "Node %*d, zone %15[^,], spb %" SCNu64
				 ", %7[a-z] , fullness %u, free_pages %u, free_pageblocks %u, pageblocks %u, Unmovable %u, Movable %u, Reclaimable %u, HighAtomic %u, Isolate %u%n",
				 zone, &l->index, l->category, &l->fullness,
				 &l->free_pages, &l->free_pb, &l->pageblocks,
				 &l->by_mt[0], &l->by_mt[1], &l->by_mt[2],
				 &l->by_mt[3], &l->by_mt[4], &used);

		if (got != 12 || p[used] != '\n')
			fail_msg("bad spbinfo line %u: %.200s", n, p);
		assert_int_equal(l->index, n);
		p += used + 1;
	}
	return n;
}

static char *spbinfo(struct pa_zone *z)
{
	int rc = -1;
	char *t = th_report(z, PA_REPORT_SPBINFO, &rc);

	assert_int_equal(rc, 0);
	assert_non_null(t);
	return t;
}

static bool policy_ok(enum pa_policy pol, struct pa_config c)
{
	c.policy = pol;
	return pa_config_check(&c, NULL, 0) == 0;
}

/* 10 pageblocks of 4 pages, SPBs of 4 pageblocks: 4 + 4 + 2. */
static void partial_last_spb(void **state)
{
	struct pa_config c = th_config(10, 2, 4, PA_CFG_NO_WATERMARKS, 1);
	struct spb_line l[8];
	struct pa_frag fr;

	(void)state;
	c.superpageblock_order = 4;
	for (int pol = 0; pol < PA_POLICY_NR; pol++) {
		if (!policy_ok((enum pa_policy)pol, c))
			continue;
		c.policy = (enum pa_policy)pol;
		struct pa_zone *z = pa_zone_create(&c);

		assert_non_null(z);
		char *t = spbinfo(z);

		assert_int_equal(parse_spbinfo(t, l, 8), 3);
		assert_int_equal(l[0].pageblocks, 4);
		assert_int_equal(l[1].pageblocks, 4);
		assert_int_equal(l[2].pageblocks, 2);
		assert_int_equal(l[2].free_pages, 8);
		assert_int_equal(l[2].fullness, SPB_FULLNESS_EMPTY);
		assert_string_equal(l[2].category, "clean");
		assert_int_equal(pa_frag(z, &fr), 0);
		assert_int_equal(fr.nr_superpageblocks, 3);
		/* the partial one is free but not a whole superpageblock */
		assert_int_equal(fr.free_whole_superpageblocks, 2);
		assert_int_equal(fr.free_whole_pageblocks, 10);
		assert_check(z);
		free(t);
		pa_zone_destroy(z);
	}
}

/* A zone of 3 pageblocks with SPBs of 4: one partial SPB. */
static void zone_smaller_than_spb(void **state)
{
	struct pa_config c = th_config(3, 2, 2, PA_CFG_NO_WATERMARKS, 1);
	struct spb_line l[2];
	struct pa_frag fr;

	(void)state;
	c.superpageblock_order = 4;
	for (int pol = 0; pol < PA_POLICY_NR; pol++) {
		if (!policy_ok((enum pa_policy)pol, c))
			continue;
		c.policy = (enum pa_policy)pol;
		struct pa_zone *z = pa_zone_create(&c);

		assert_non_null(z);
		char *t = spbinfo(z);

		assert_int_equal(parse_spbinfo(t, l, 2), 1);
		assert_int_equal(l[0].pageblocks, 3);
		assert_int_equal(l[0].by_mt[PA_MT_MOVABLE], 3);
		assert_int_equal(pa_frag(z, &fr), 0);
		assert_int_equal(fr.nr_superpageblocks, 1);
		assert_int_equal(fr.free_whole_superpageblocks, 0);
		/* an allocation in it still moves its bucket */
		uint64_t pfn = pa_alloc(z, 2, PA_GFP_MOVABLE);

		assert_int_not_equal(pfn, PA_NO_PFN);
		free(t);
		t = spbinfo(z);
		parse_spbinfo(t, l, 2);
		/* quarters free of the SPB's own 12 pages (pagesets may
		 * hold more than the block) */
		assert_true(l[0].free_pages < 12);
		assert_int_equal(l[0].fullness, l[0].free_pages ?
				 1 + l[0].free_pages * 4 / 12 : 0);
		assert_check(z);
		assert_int_equal(pa_free(z, pfn, 2), 0);
		free(t);
		pa_zone_destroy(z);
	}
}

static unsigned count_tainted(const struct spb_line *l, unsigned n)
{
	unsigned t = 0;

	for (unsigned i = 0; i < n; i++)
		t += !strcmp(l[i].category, "tainted");
	return t;
}

/* Zone path only (no pagesets): an unmovable page taints its SPB, a
 * movable one does not, and freeing the last page of the pageblock
 * cleans it again. */
static void taint_and_clean(void **state)
{
	struct pa_config c = th_config(16, 2, 4, PA_CFG_NO_WATERMARKS | PA_CFG_NO_PCP, 1);
	struct spb_line l[4];
	struct pa_frag fr;

	(void)state;
	c.superpageblock_order = 4;
	for (int pol = 0; pol < PA_POLICY_NR; pol++) {
		if (!policy_ok((enum pa_policy)pol, c))
			continue;
		c.policy = (enum pa_policy)pol;
		struct pa_zone *z = pa_zone_create(&c);

		if (!z) /* pcpbuddy needs pagesets */
			continue;
		uint64_t mov = pa_alloc(z, 0, PA_GFP_MOVABLE);
		uint64_t un = pa_alloc(z, 0, 0);
		uint64_t rec = pa_alloc(z, 1, PA_GFP_RECLAIMABLE);

		assert_int_not_equal(mov, PA_NO_PFN);
		assert_int_not_equal(un, PA_NO_PFN);
		assert_int_not_equal(rec, PA_NO_PFN);
		assert_check(z);
		char *t = spbinfo(z);
		unsigned n = parse_spbinfo(t, l, 4);

		assert_int_equal(pa_frag(z, &fr), 0);
		assert_int_equal(fr.tainted_superpageblocks, count_tainted(l, n));
		assert_true(fr.tainted_superpageblocks >= 1);
		assert_int_equal(pa_free(z, un, 0), 0);
		assert_int_equal(pa_free(z, rec, 1), 0);
		free(t);
		t = spbinfo(z);
		n = parse_spbinfo(t, l, 4);
		assert_int_equal(count_tainted(l, n), 0);
		assert_int_equal(pa_frag(z, &fr), 0);
		assert_int_equal(fr.tainted_superpageblocks, 0);
		assert_check(z);
		assert_int_equal(pa_free(z, mov, 0), 0);
		free(t);
		pa_zone_destroy(z);
	}
}

/* spbinfo per SPB and pa_frag, against the per-pageblock map. */
static void agree_with_map(struct pa_zone *z, unsigned per_spb)
{
	struct pa_stats st;

	pa_stats(z, &st);
	uint64_t nb = st.nr_pageblocks;
	uint8_t *cells = calloc(nb, 1);
	struct spb_line *l = calloc(nb / per_spb + 2, sizeof(*l));
	uint64_t by_mt[PA_MT_TYPES] = { 0 }, free_pb = 0, mixed = 0;
	struct pa_frag fr;

	assert_non_null(cells);
	assert_non_null(l);
	assert_int_equal(pa_pageblock_map(z, 0, cells, nb), nb);
	char *t = spbinfo(z);
	unsigned n = parse_spbinfo(t, l, (unsigned)(nb / per_spb + 2));

	assert_int_equal(n, (nb + per_spb - 1) / per_spb);
	for (unsigned s = 0; s < n; s++) {
		unsigned mt[PA_MT_TYPES] = { 0 }, fpb = 0;

		for (uint64_t b = (uint64_t)s * per_spb;
		     b < nb && b < (uint64_t)(s + 1) * per_spb; b++) {
			mt[cells[b] & 0xf]++;
			fpb += !!(cells[b] & PA_PB_FREE);
			mixed += !!(cells[b] & PA_PB_MIXED);
		}
		for (unsigned m = 0; m < PA_MT_TYPES; m++) {
			assert_int_equal(l[s].by_mt[m], mt[m]);
			by_mt[m] += mt[m];
		}
		assert_int_equal(l[s].free_pb, fpb);
		free_pb += fpb;
	}
	assert_int_equal(pa_frag(z, &fr), 0);
	for (unsigned m = 0; m < PA_MT_TYPES; m++)
		assert_int_equal(fr.pageblocks_by_mt[m], by_mt[m]);
	assert_int_equal(fr.free_whole_pageblocks, free_pb);
	assert_int_equal(fr.mixed_pageblocks, mixed);
	assert_int_equal(fr.tainted_superpageblocks, count_tainted(l, n));
	free(t);
	free(l);
	free(cells);
}

#define LIVE 256

/* Random allocations and frees of every type and order, pagesets on. */
static void random_workload(void **state)
{
	struct pa_config c = th_config(64, 2, 4, PA_CFG_NO_WATERMARKS, 2);
	uint64_t seed = th_seed("superpageblock random");

	(void)state;
	c.superpageblock_order = 4;
	for (int pol = 0; pol < PA_POLICY_NR; pol++) {
		if (!policy_ok((enum pa_policy)pol, c))
			continue;
		struct th_rng r = { seed };
		uint64_t pfn[LIVE], ord[LIVE];
		struct pa_zone *z;

		c.policy = (enum pa_policy)pol;
		z = pa_zone_create(&c);
		assert_non_null(z);
		for (unsigned i = 0; i < LIVE; i++)
			pfn[i] = PA_NO_PFN;
		for (unsigned step = 0; step < 3000; step++) {
			unsigned i = (unsigned)th_below(&r, LIVE);
			unsigned cpu = (unsigned)th_below(&r, 2);

			if (pfn[i] != PA_NO_PFN) {
				assert_int_equal(pa_free_cpu(z, cpu, pfn[i], (unsigned)ord[i]), 0);
				pfn[i] = PA_NO_PFN;
			} else {
				static const unsigned gfp[] = { 0, PA_GFP_MOVABLE,
					PA_GFP_RECLAIMABLE, PA_GFP_MOVABLE };

				ord[i] = th_below(&r, 4);
				pfn[i] = pa_alloc_cpu(z, cpu, (unsigned)ord[i],
						      gfp[th_below(&r, 4)] | PA_GFP_NOWARN);
			}
			if (step % 250 == 0) {
				assert_check(z);
				agree_with_map(z, 4);
			}
			if (step % 1000 == 999)
				pa_drain(z);
		}
		for (unsigned i = 0; i < LIVE; i++)
			if (pfn[i] != PA_NO_PFN)
				assert_int_equal(pa_free(z, pfn[i], (unsigned)ord[i]), 0);
		pa_drain(z);
		assert_check(z);
		agree_with_map(z, 4);
		struct pa_frag fr;

		assert_int_equal(pa_frag(z, &fr), 0);
		assert_int_equal(fr.tainted_superpageblocks, 0);
		assert_int_equal(fr.free_whole_superpageblocks, 16);
		pa_zone_destroy(z);
	}
}

/* The checker sees a summary or a bitmap bit out of step. */
static void check_catches_corruption(void **state)
{
	struct pa_config c = th_config(16, 2, 4, PA_CFG_NO_WATERMARKS, 1);
	char msg[256];

	(void)state;
	c.superpageblock_order = 4;
	struct pa_zone *z = pa_zone_create(&c);

	assert_non_null(z);
	assert_check(z);
	z->spb[1].nr_free--;
	assert_int_equal(pa_check(z, msg, sizeof(msg)), -EUCLEAN);
	assert_non_null(strstr(msg, "superpageblock 1"));
	z->spb[1].nr_free++;
	z->spb[2].nr_has[0]++;
	assert_int_equal(pa_check(z, msg, sizeof(msg)), -EUCLEAN);
	z->spb[2].nr_has[0]--;
	assert_check(z);
	z->spb_bits[SPB_MAP_TAINTED * z->spb_words] |= 1ull << 3;
	assert_int_equal(pa_check(z, msg, sizeof(msg)), -EUCLEAN);
	assert_non_null(strstr(msg, "bitmap"));
	z->spb_bits[SPB_MAP_TAINTED * z->spb_words] &= ~(1ull << 3);
	assert_check(z);
	pa_zone_destroy(z);
}

/* 1 TiB, metadata only: 1024 SPBs, all clean and empty, in one report. */
static void one_tib_report(void **state)
{
	struct pa_config c = pa_config_default();
	struct pa_frag fr;

	(void)state;
	c.bytes = 1ull << 40;
	c.ncpus = 2;
	struct pa_zone *z = pa_zone_create(&c);

	assert_non_null(z);
	struct spb_line *l = calloc(1100, sizeof(*l));

	assert_non_null(l);
	char *t = spbinfo(z);

	assert_int_equal(parse_spbinfo(t, l, 1100), 1024);
	assert_int_equal(count_tainted(l, 1024), 0);
	for (unsigned i = 0; i < 1024; i++)
		assert_int_equal(l[i].free_pages, 1u << 18);
	assert_int_equal(pa_frag(z, &fr), 0);
	assert_int_equal(fr.free_whole_superpageblocks, 1024);
	assert_int_equal(fr.free_whole_pageblocks, 1024 * 512);
	free(t);
	free(l);
	pa_zone_destroy(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(partial_last_spb),
		cmocka_unit_test(zone_smaller_than_spb),
		cmocka_unit_test(taint_and_clean),
		cmocka_unit_test(random_workload),
		cmocka_unit_test(check_catches_corruption),
		cmocka_unit_test(one_tib_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
