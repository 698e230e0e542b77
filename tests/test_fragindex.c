/* SPDX-License-Identifier: MIT */
/*
 * The kernel's fragmentation indexes (pa_frag_index, PA_REPORT_EXTFRAG_INDEX,
 * PA_REPORT_UNUSABLE_INDEX) against the formulas of
 * /work/shared/reference/compaction-notes.md, computed here from the
 * /proc/buddyinfo counts read back from the zone, on tiny zones put into
 * known states: fully free, only order-0 blocks free, out of memory, random
 * allocations and frees (with and without per-CPU lists), a partial and a
 * 1 TiB zone whose free memory is mostly still deferred, every policy the
 * build accepts.  The two reports are rebuilt with the kernel's format
 * strings ("Node %d, zone %8s " then "%2d.%03d " / "%d.%03d " of the x1000
 * value per order) and must equal ours byte for byte.
 */
#include "helpers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NORD PA_FRAG_ORDERS

/* What debugfs would print, from buddyinfo counts. */
struct expect {
	unsigned n;
	int extfrag[NORD], unusable[NORD];
};

static uint64_t suitable_blocks(const uint64_t *c, unsigned n, unsigned j)
{
	uint64_t s = 0;

	for (unsigned o = j; o < n; o++)
		s += c[o] * (1ull << (o - j));
	return s;
}

static void expect_from_counts(const uint64_t *c, unsigned n, struct expect *e)
{
	uint64_t pages = 0, blocks = 0;

	for (unsigned o = 0; o < n; o++) {
		pages += c[o] << o;
		blocks += c[o];
	}
	e->n = n;
	for (unsigned j = 0; j < n; j++) {
		uint64_t s = suitable_blocks(c, n, j), req = 1ull << j;

		e->unusable[j] = pages ? (int)((pages - s * req) * 1000 / pages)
				       : 1000;
		if (!blocks)
			e->extfrag[j] = 0;
		else if (s)
			e->extfrag[j] = -1000;
		else
			e->extfrag[j] = 1000 - (int)((1000 + pages * 1000 / req) /
						     blocks);
	}
}

/* Buddyinfo, parsed. */
static unsigned buddy_counts(struct pa_zone *z, uint64_t *c)
{
	int rc = -1;
	char *t = th_report(z, PA_REPORT_BUDDYINFO, &rc);
	int n;

	assert_non_null(t);
	assert_int_equal(rc, 0);
	n = th_parse_buddyinfo(t, c, NORD);
	free(t);
	assert_true(n > 0 && n <= NORD);
	return (unsigned)n;
}

/* The kernel's layout of one index file for this zone. */
static void expected_report(const struct pa_zone *z, const int *milli,
			    unsigned n, bool extfrag, char *buf, size_t len)
{
	struct pa_config cfg;
	size_t o;

	pa_zone_config(z, &cfg);
	o = (size_t)snprintf(buf, len, "Node %d, zone %8s ", 0, cfg.name);
	for (unsigned j = 0; j < n && o < len; j++)
		o += (size_t)snprintf(buf + o, len - o, extfrag ? "%2d.%03d "
				      : "%d.%03d ", milli[j] / 1000,
				      milli[j] % 1000);
	if (o + 1 < len) {
		buf[o] = '\n';
		buf[o + 1] = 0;
	}
}

static void assert_report(struct pa_zone *z, enum pa_report what,
			  const int *milli, unsigned n)
{
	char want[1024];
	int rc = -1;
	char *got = th_report(z, what, &rc);

	assert_non_null(got);
	assert_int_equal(rc, 0);
	expected_report(z, milli, n, what == PA_REPORT_EXTFRAG_INDEX, want,
			sizeof(want));
	assert_string_equal(got, want);
	free(got);
}

/* pa_report_frag_index of a snapshot prints what pa_report prints now. */
static void assert_snapshot_reports(struct pa_zone *z,
				    const struct pa_frag_index *fi)
{
	static const enum pa_report kinds[] = { PA_REPORT_BUDDYINFO,
		PA_REPORT_EXTFRAG_INDEX, PA_REPORT_UNUSABLE_INDEX };

	for (unsigned k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		char *buf = NULL, *now = th_report(z, kinds[k], NULL);
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		assert_non_null(f);
		assert_int_equal(pa_report_frag_index(z, fi, kinds[k], f), 0);
		assert_int_equal(fclose(f), 0);
		assert_non_null(now);
		assert_string_equal(buf, now);
		free(buf);
		free(now);
	}
}

/* The zone's indexes and both reports equal what buddyinfo implies. */
static void assert_indexes(struct pa_zone *z, struct expect *out)
{
	uint64_t c[NORD] = { 0 };
	unsigned n = buddy_counts(z, c);
	struct pa_frag_index fi;
	struct expect e;

	assert_check(z);
	expect_from_counts(c, n, &e);
	assert_int_equal(pa_frag_index(z, &fi), 0);
	assert_int_equal(fi.nr_orders, n);
	for (unsigned j = 0; j < n; j++) {
		assert_int_equal(fi.nr_free[j], c[j]);
		if (fi.unusable_milli[j] != e.unusable[j] ||
		    fi.extfrag_milli[j] != e.extfrag[j])
			fail_msg("order %u: unusable %d extfrag %d, want %d %d",
				 j, fi.unusable_milli[j], fi.extfrag_milli[j],
				 e.unusable[j], e.extfrag[j]);
	}
	for (unsigned j = n; j < NORD; j++)
		assert_true(fi.nr_free[j] == 0 && fi.extfrag_milli[j] == 0 &&
			    fi.unusable_milli[j] == 0);
	assert_report(z, PA_REPORT_EXTFRAG_INDEX, e.extfrag, n);
	assert_report(z, PA_REPORT_UNUSABLE_INDEX, e.unusable, n);
	assert_snapshot_reports(z, &fi);
	if (out)
		*out = e;
}

/* Every policy pa_config_check accepts, each given to fn. */
static void each_policy(void (*fn)(enum pa_policy))
{
	unsigned ran = 0;

	for (int p = 0; p < PA_POLICY_NR; p++) {
		struct pa_config c = th_config(8, 3, 5, 0, 1);

		c.policy = (enum pa_policy)p;
		if (pa_config_check(&c, NULL, 0) != 0)
			continue;
		fn((enum pa_policy)p);
		ran++;
	}
	assert_true(ran > 0);
}

/* 8 pageblocks of 8 pages, max_order 5.  A policy that needs per-CPU
 * lists keeps them even when flags ask for none: callers pa_drain() where
 * the free lists must hold every free page. */
static struct pa_zone *tiny(enum pa_policy p, unsigned flags)
{
	struct pa_config c = th_config(8, 3, 5, flags, 1);
	struct pa_zone *z;

	c.policy = p;
	if (pa_config_check(&c, NULL, 0) != 0)
		c.flags &= ~PA_CFG_NO_PCP;
	z = pa_zone_create(&c);
	assert_non_null(z);
	return z;
}

static void fully_free(enum pa_policy p)
{
	struct pa_zone *z = tiny(p, PA_CFG_NO_WATERMARKS);
	struct expect e;

	assert_indexes(z, &e);
	/* all free memory in max-order blocks: usable by every order */
	for (unsigned j = 0; j < e.n; j++) {
		assert_int_equal(e.unusable[j], 0);
		assert_int_equal(e.extfrag[j], -1000);
	}
	pa_zone_destroy(z);
}

static void test_fully_free(void **state)
{
	(void)state;
	each_policy(fully_free);
}

/* Every page allocated at order 0, then every other one freed: only
 * order-0 blocks are free (no buddy is free with them). */
static void only_order0_free(enum pa_policy p)
{
	struct pa_zone *z = tiny(p, PA_CFG_NO_WATERMARKS | PA_CFG_NO_PCP);
	uint64_t n = pa_managed_pages(z), nfree = 0;
	uint64_t c[NORD];
	struct expect e;

	for (uint64_t i = 0; i < n; i++)
		assert_int_not_equal(pa_alloc(z, 0, PA_GFP_MOVABLE), PA_NO_PFN);
	for (uint64_t pfn = 0; pfn < n; pfn += 2, nfree++)
		assert_int_equal(pa_free(z, pfn, 0), 0);
	pa_drain(z);
	assert_indexes(z, &e);
	assert_int_equal(buddy_counts(z, c), e.n);
	assert_int_equal(c[0], nfree);
	assert_int_equal(e.unusable[0], 0);
	assert_int_equal(e.extfrag[0], -1000);
	for (unsigned j = 1; j < e.n; j++) {
		/* nothing usable, and a failure would be fragmentation: the
		 * index grows with the order (more blocks per request) */
		assert_int_equal(e.unusable[j], 1000);
		assert_true(e.extfrag[j] > 0 && e.extfrag[j] < 1000);
		if (j > 1)
			assert_true(e.extfrag[j] > e.extfrag[j - 1]);
	}
	pa_zone_destroy(z);
}

static void test_only_order0_free(void **state)
{
	(void)state;
	each_policy(only_order0_free);
}

static void out_of_memory(enum pa_policy p)
{
	struct pa_zone *z = tiny(p, PA_CFG_NO_WATERMARKS | PA_CFG_NO_PCP);
	uint64_t n = pa_managed_pages(z);
	struct expect e;

	uint64_t got = 0;

	while (pa_alloc(z, 0, PA_GFP_NOWARN) != PA_NO_PFN)
		got++;
	assert_int_equal(got, n);
	assert_indexes(z, &e);
	for (unsigned j = 0; j < e.n; j++) {
		assert_int_equal(e.unusable[j], 1000); /* nothing free */
		assert_int_equal(e.extfrag[j], 0);     /* lack of memory */
	}
	pa_zone_destroy(z);
}

static void test_out_of_memory(void **state)
{
	(void)state;
	each_policy(out_of_memory);
}

/* Random allocations of random orders and types, a random part freed,
 * checked after every round; with per-CPU lists (their pages are not on
 * the free lists) and without. */
static void random_states(enum pa_policy p)
{
	static const unsigned gfps[] = { 0, PA_GFP_MOVABLE, PA_GFP_RECLAIMABLE };
	struct th_rng r = { th_seed("fragindex random_states") + (uint64_t)p };

	for (int pcp = 0; pcp < 2; pcp++) {
		struct pa_zone *z = tiny(p, PA_CFG_NO_WATERMARKS |
					 (pcp ? 0 : PA_CFG_NO_PCP));
		uint64_t live[64][2];
		unsigned nlive = 0;

		for (int round = 0; round < 200; round++) {
			unsigned order = (unsigned)th_below(&r, 4);
			uint64_t pfn;

			if (nlive < 64 && th_below(&r, 3)) {
				pfn = pa_alloc(z, order, PA_GFP_NOWARN |
					       gfps[th_below(&r, 3)]);
				if (pfn != PA_NO_PFN) {
					live[nlive][0] = pfn;
					live[nlive++][1] = order;
				}
			} else if (nlive) {
				unsigned k = (unsigned)th_below(&r, nlive);

				assert_int_equal(pa_free(z, live[k][0],
							 (unsigned)live[k][1]), 0);
				live[k][0] = live[--nlive][0];
				live[k][1] = live[nlive][1];
			}
			assert_indexes(z, NULL);
		}
		pa_zone_destroy(z);
	}
}

static void test_random_states(void **state)
{
	(void)state;
	each_policy(random_states);
}

/* 1 TiB, fully free: nearly every max-order block is still deferred (not
 * yet on a list), and counts; then after allocations of every order. */
static void test_large_zone_counts_deferred_blocks(void **state)
{
	struct pa_config c = pa_config_default();
	struct pa_frag_index fi;
	struct pa_zone *z;
	struct expect e;
	(void)state;

	c.bytes = 1ull << 40;
	c.ncpus = 2;
	c.flags = PA_CFG_NO_PCP;
	z = pa_zone_create(&c);
	assert_non_null(z);
	assert_int_equal(pa_frag_index(z, &fi), 0);
	assert_int_equal(fi.nr_free[fi.nr_orders - 1],
			 pa_managed_pages(z) >> (fi.nr_orders - 1));
	assert_indexes(z, &e);
	for (unsigned j = 0; j < e.n; j++)
		assert_int_equal(e.unusable[j], 0);
	for (unsigned o = 0; o < fi.nr_orders; o++)
		assert_int_not_equal(pa_alloc(z, o, PA_GFP_MOVABLE), PA_NO_PFN);
	assert_indexes(z, &e);
	/* a few pages of 2^28 are split off: still almost all usable */
	assert_true(e.unusable[e.n - 1] >= 0 && e.unusable[e.n - 1] < 10);
	pa_zone_destroy(z);
}

/* A lone free block smaller than the order: the formula goes below 0
 * and the kernel prints the remainder after a "0." (" 0.-500"). */
static void test_lone_small_block(void **state)
{
	struct pa_zone *z = tiny(PA_POLICY_MAINLINE,
				 PA_CFG_NO_WATERMARKS | PA_CFG_NO_PCP);
	uint64_t n = pa_managed_pages(z);
	struct pa_frag_index fi;
	struct expect e;
	char *t;
	(void)state;

	for (uint64_t i = 0; i < n; i++)
		assert_int_not_equal(pa_alloc(z, 0, 0), PA_NO_PFN);
	assert_int_equal(pa_free(z, 5, 0), 0);
	assert_indexes(z, &e);
	assert_int_equal(pa_frag_index(z, &fi), 0);
	assert_true(fi.extfrag_milli[1] < 0 && fi.extfrag_milli[1] > -1000);
	t = th_report(z, PA_REPORT_EXTFRAG_INDEX, NULL);
	assert_non_null(t);
	assert_non_null(strstr(t, " 0.-"));
	free(t);
	pa_zone_destroy(z);
}

static void test_bad_arguments(void **state)
{
	struct pa_zone *z = tiny(PA_POLICY_MAINLINE, 0);
	struct pa_frag_index fi;
	(void)state;

	assert_int_equal(pa_frag_index(z, NULL), -EINVAL);
	assert_int_equal(pa_frag_index(NULL, &fi), -EINVAL);
	assert_int_equal(pa_frag_index(z, &fi), 0);
	assert_int_equal(pa_report_frag_index(z, &fi, PA_REPORT_VMSTAT, stdout),
			 -EINVAL);
	assert_int_equal(pa_report_frag_index(z, NULL, PA_REPORT_BUDDYINFO,
					      stdout), -EINVAL);
	assert_int_equal(pa_report_frag_index(z, &fi, PA_REPORT_BUDDYINFO,
					      NULL), -EINVAL);
	fi.nr_orders = PA_FRAG_ORDERS + 1;
	assert_int_equal(pa_report_frag_index(z, &fi, PA_REPORT_BUDDYINFO,
					      stdout), -EINVAL);
	assert_check(z);
	pa_zone_destroy(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fully_free),
		cmocka_unit_test(test_only_order0_free),
		cmocka_unit_test(test_out_of_memory),
		cmocka_unit_test(test_random_states),
		cmocka_unit_test(test_large_zone_counts_deferred_blocks),
		cmocka_unit_test(test_lone_small_block),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
