/* SPDX-License-Identifier: MIT */
/*
 * Exhaustive tests on tiny geometries: every sequence of allocation orders
 * that fits, each state freed in every order (all permutations for up to
 * five live blocks, three fixed orders beyond), with and without per-CPU
 * lists.  At every step: the block is aligned, inside the zone and
 * disjoint from the live ones (tests/model.h); an allocation fails only
 * if no aligned free block of its order exists; pa_check is clean.  After
 * freeing everything the zone is whole again: one free block per
 * max-order chunk, nothing cached, nothing lost.
 */
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "model.h"

#define MAXSEQ 32

struct ex {
	struct pa_config cfg;
	unsigned max_depth;
	uint64_t sequences, states, frees;
};

static void check(struct pa_zone *z)
{
	assert_check(z);
}

/* Replay a sequence of orders on a fresh zone; the model follows.  Returns
 * false (and leaves nothing allocated) when the last allocation failed. */
static bool replay(struct ex *e, const unsigned *seq, unsigned n,
		   struct pa_zone **zp, struct tm_model *m, uint64_t *pfn)
{
	struct pa_zone *z = pa_zone_create(&e->cfg);

	assert_non_null(z);
	assert_int_equal(tm_init(m, pa_managed_pages(z), e->cfg.max_order), 0);
	for (unsigned i = 0; i < n; i++) {
		uint64_t p = pa_alloc(z, seq[i], PA_GFP_MOVABLE | PA_GFP_NOWARN);

		if (p == PA_NO_PFN) {
			/* only when the model has no aligned free block */
			if (tm_fits(m, seq[i], NULL))
				fail_msg("order-%u allocation failed at step %u with a free aligned block",
					 seq[i], i);
			assert_int_equal(i, n - 1);
			check(z);
			while (m->nlive) {
				uint64_t h = m->live[0];

				assert_int_equal(pa_free(z, h, m->head[h]), 0);
				tm_remove(m, h);
			}
			tm_fini(m);
			pa_zone_destroy(z);
			return false;
		}
		if (p & ((1ull << seq[i]) - 1))
			fail_msg("pfn %llu not aligned to order %u", (unsigned long long)p, seq[i]);
		if (!tm_range_free(m, p, seq[i]))
			fail_msg("order-%u block at %llu overlaps or leaves the zone",
				 seq[i], (unsigned long long)p);
		tm_add(m, p, seq[i]);
		pfn[i] = p;
		check(z);
	}
	*zp = z;
	return true;
}

/* Free the live blocks in the order given by perm; the zone must end whole. */
static void free_in_order(struct ex *e, const unsigned *seq, unsigned n,
			  const unsigned *perm)
{
	struct pa_zone *z;
	struct tm_model m;
	uint64_t pfn[MAXSEQ], counts[32];

	assert_true(replay(e, seq, n, &z, &m, pfn));
	for (unsigned i = 0; i < n; i++) {
		unsigned k = perm[i];

		assert_int_equal(pa_free(z, pfn[k], seq[k]), 0);
		tm_remove(&m, pfn[k]);
		check(z);
		e->frees++;
	}
	pa_drain(z);
	check(z);
	struct pa_stats s;

	pa_stats(z, &s);
	assert_int_equal(s.free_pages, s.managed_pages);
	assert_int_equal(s.pcp_pages, 0);
	char *bi = th_report(z, PA_REPORT_BUDDYINFO, NULL);
	int no = th_parse_buddyinfo(bi, counts, 32);

	assert_int_equal(no, (int)e->cfg.max_order + 1);
	for (int o = 0; o < no; o++)
		assert_int_equal(counts[o], (unsigned)o == e->cfg.max_order
						    ? s.managed_pages >> e->cfg.max_order
						    : 0);
	free(bi);
	tm_fini(&m);
	pa_zone_destroy(z);
}

static bool next_perm(unsigned *a, unsigned n)
{
	int i = (int)n - 2;

	while (i >= 0 && a[i] >= a[i + 1])
		i--;
	if (i < 0)
		return false;
	int j = (int)n - 1;

	while (a[j] <= a[i])
		j--;
	unsigned t = a[i];

	a[i] = a[j];
	a[j] = t;
	for (unsigned l = (unsigned)i + 1, r = n - 1; l < r; l++, r--) {
		t = a[l];
		a[l] = a[r];
		a[r] = t;
	}
	return true;
}

static void free_all_ways(struct ex *e, const unsigned *seq, unsigned n)
{
	unsigned perm[MAXSEQ];

	for (unsigned i = 0; i < n; i++)
		perm[i] = i;
	if (n <= 5) {
		do
			free_in_order(e, seq, n, perm);
		while (next_perm(perm, n));
		return;
	}
	free_in_order(e, seq, n, perm);               /* allocation order */
	for (unsigned i = 0; i < n; i++)
		perm[i] = n - 1 - i;
	free_in_order(e, seq, n, perm);               /* reverse */
	for (unsigned i = 0, k = 0; i < n; i += 2)
		perm[k++] = i;                        /* evens, then odds */
	for (unsigned i = 1, k = (n + 1) / 2; i < n; i += 2)
		perm[k++] = i;
	free_in_order(e, seq, n, perm);
}

static void dfs(struct ex *e, unsigned *seq, unsigned n)
{
	e->states++;
	if (n)
		free_all_ways(e, seq, n);
	if (n == e->max_depth)
		return;
	for (unsigned o = 0; o <= e->cfg.max_order; o++) {
		struct pa_zone *z;
		struct tm_model m;
		uint64_t pfn[MAXSEQ];

		seq[n] = o;
		if (!replay(e, seq, n + 1, &z, &m, pfn)) {
			e->sequences++; /* a full zone ends this branch */
			continue;
		}
		/* this prefix fits: release it and go deeper */
		while (m.nlive) {
			uint64_t h = m.live[0];

			assert_int_equal(pa_free(z, h, m.head[h]), 0);
			tm_remove(&m, h);
		}
		tm_fini(&m);
		pa_zone_destroy(z);
		dfs(e, seq, n + 1);
	}
}

static void run(struct pa_config c, unsigned depth, const char *what)
{
	struct ex e = { .cfg = c, .max_depth = depth };
	unsigned seq[MAXSEQ];

	dfs(&e, seq, 0);
	print_message("%s: %llu states, %llu sequences ended by a full zone, %llu frees checked\n",
		      what, (unsigned long long)e.states,
		      (unsigned long long)e.sequences, (unsigned long long)e.frees);
	assert_true(e.states > 1);
}

/* One pageblock of 8 pages, every order up to the pageblock. */
static void one_pageblock(void **state)
{
	(void)state;
	run(th_config(1, 3, 3, PA_CFG_NO_WATERMARKS | PA_CFG_NO_PCP, 1), 8,
	    "8 pages, zone path");
}

static void one_pageblock_with_pcp(void **state)
{
	(void)state;
	run(th_config(1, 3, 3, PA_CFG_NO_WATERMARKS, 1), 8,
	    "8 pages, per-CPU lists");
}

/* Two pageblocks of 8 under one max-order block of 16, bounded depth. */
static void two_pageblocks(void **state)
{
	(void)state;
	run(th_config(2, 3, 4, PA_CFG_NO_WATERMARKS | PA_CFG_NO_PCP, 1),
	    th_sanitized() ? 4 : 5, "16 pages, zone path");
}

static void two_pageblocks_pcpbuddy(void **state)
{
	(void)state;
	struct pa_config c = th_config(2, 3, 4, PA_CFG_NO_WATERMARKS, 1);

	c.policy = PA_POLICY_PCPBUDDY;
	run(c, th_sanitized() ? 3 : 4, "16 pages, pcpbuddy");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_pageblock),
		cmocka_unit_test(one_pageblock_with_pcp),
		cmocka_unit_test(two_pageblocks),
		cmocka_unit_test(two_pageblocks_pcpbuddy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
