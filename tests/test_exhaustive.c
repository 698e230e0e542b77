/* SPDX-License-Identifier: MIT */
/*
 * Tiny geometries, exhaustively.  Every sequence of allocation orders
 * (0..max_order, one migratetype) is replayed on a fresh zone until the
 * zone is full, an allocation fails or a depth bound is reached.  After
 * every allocation: the block is aligned, inside the zone, disjoint from
 * every live block (the tm_* model), and pa_check() is clean; a failure
 * is allowed only when the model has no aligned free block of that order
 * (the allocator drains per-CPU lists itself before failing).  Each final
 * state is then freed in every order (up to five blocks; beyond that
 * ascending, descending and interleaved), with pa_check() after every
 * free, and must end, once drained, with the whole zone as one free
 * max-order block in buddyinfo.  Zone path and per-CPU lists, under
 * every policy the library accepts for each (tests/factory.h).
 */
#include "helpers.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model.h"

#define EX_MAX_DEPTH 16
#define EX_PERMUTE_MAX 5

struct ex_run {
	struct pa_config cfg;
	unsigned depth_limit;
	/* the sequence being explored */
	unsigned orders[EX_MAX_DEPTH];
	/* totals */
	uint64_t sequences, failures_seen, frees, replays;
};

/* A zone with the sequence's blocks allocated, and its model. */
struct ex_state {
	struct pa_zone *z;
	struct tm_model m;
	uint64_t pfn[EX_MAX_DEPTH];
	unsigned order[EX_MAX_DEPTH];
	unsigned nlive;
	bool failed; /* the last allocation of the sequence failed */
};

static void ex_alloc_checked(struct ex_state *s, unsigned order,
			     const struct ex_run *r)
{
	uint64_t pfn = pa_alloc(s->z, order, PA_GFP_MOVABLE);
	uint64_t n = UINT64_C(1) << order;

	if (pfn == PA_NO_PFN) {
		if (tm_fits(&s->m, order, NULL))
			fail_msg("order-%u allocation failed although an aligned "
				 "block is free (%" PRIu64 " of %" PRIu64
				 " pages in use, %u blocks)", order,
				 s->m.allocated_pages, s->m.npages, s->nlive);
		s->failed = true;
		/* without PA_GFP_NOWARN the failure is reported, once */
		assert_int_equal(th_zone_errors_take(s->z, NULL, 0), 1);
		assert_check(s->z);
		return;
	}
	if (pfn & (n - 1))
		fail_msg("order-%u block at unaligned pfn %" PRIu64, order, pfn);
	if (pfn >= s->m.npages || n > s->m.npages - pfn)
		fail_msg("order-%u block at pfn %" PRIu64 " outside the zone "
			 "of %" PRIu64 " pages", order, pfn, s->m.npages);
	if (!tm_range_free(&s->m, pfn, order))
		fail_msg("order-%u block at pfn %" PRIu64 " overlaps a live "
			 "block", order, pfn);
	tm_add(&s->m, pfn, order);
	s->pfn[s->nlive] = pfn;
	s->order[s->nlive] = order;
	s->nlive++;
	assert_check(s->z);
	assert_accounting(s->z);
	(void)r;
}

/* A fresh zone with orders[0..len) replayed and checked. */
static void ex_replay(struct ex_run *r, unsigned len, struct ex_state *s)
{
	memset(s, 0, sizeof(*s));
	s->z = th_zone_create(&r->cfg);
	assert_int_equal(tm_init(&s->m, pa_managed_pages(s->z),
				 r->cfg.max_order), 0);
	r->replays++;
	for (unsigned i = 0; i < len; i++) {
		assert_false(s->failed);
		ex_alloc_checked(s, r->orders[i], r);
	}
}

static void ex_destroy(struct ex_state *s)
{
	th_zone_destroy(s->z);
	tm_fini(&s->m);
}

/* Free the live blocks in the order perm[0..nlive) and check the end. */
static void ex_free_in_order(struct ex_run *r, struct ex_state *s,
			     const unsigned *perm)
{
	struct pa_stats st;
	uint64_t counts[32];
	int n;

	for (unsigned i = 0; i < s->nlive; i++) {
		unsigned k = perm[i];

		assert_true(tm_is_live(&s->m, s->pfn[k], s->order[k]));
		assert_int_equal(pa_free(s->z, s->pfn[k], s->order[k]), 0);
		tm_remove(&s->m, s->pfn[k]);
		assert_check(s->z);
		assert_accounting(s->z);
		r->frees++;
	}
	pa_drain(s->z);
	assert_check(s->z);
	pa_stats(s->z, &st);
	assert_int_equal(st.allocated_pages, 0);
	assert_int_equal(st.pcp_pages, 0);
	assert_int_equal(st.free_pages, st.managed_pages);

	char *bi = th_report(s->z, PA_REPORT_BUDDYINFO, NULL);

	assert_non_null(bi);
	n = th_parse_buddyinfo(bi, counts, 32);
	assert_int_equal(n, (int)r->cfg.max_order + 1);
	for (int o = 0; o < n; o++)
		if (counts[o] != ((unsigned)o == r->cfg.max_order ? 1u : 0u))
			fail_msg("after freeing everything: buddyinfo \"%s\" is "
				 "not one free order-%u block", bi,
				 r->cfg.max_order);
	free(bi);
}

static bool next_permutation(unsigned *a, unsigned n)
{
	unsigned i, j, t;

	if (n < 2)
		return false;
	for (i = n - 1; i > 0 && a[i - 1] >= a[i]; i--)
		;
	if (i == 0)
		return false;
	for (j = n - 1; a[j] <= a[i - 1]; j--)
		;
	t = a[i - 1], a[i - 1] = a[j], a[j] = t;
	for (j = n - 1; i < j; i++, j--)
		t = a[i], a[i] = a[j], a[j] = t;
	return true;
}

/* The state of orders[0..len) is final: free it every way. */
static void ex_free_all_ways(struct ex_run *r, unsigned len,
			     struct ex_state *first)
{
	unsigned perm[EX_MAX_DEPTH] = { 0 };
	unsigned n = first->nlive;
	struct ex_state s;

	for (unsigned i = 0; i < n; i++)
		perm[i] = i;
	if (n <= EX_PERMUTE_MAX) {
		ex_free_in_order(r, first, perm);
		while (next_permutation(perm, n)) {
			ex_replay(r, len, &s);
			ex_free_in_order(r, &s, perm);
			ex_destroy(&s);
		}
		return;
	}
	/* ascending (allocation order), descending, interleaved ends */
	ex_free_in_order(r, first, perm);
	for (unsigned i = 0; i < n; i++)
		perm[i] = n - 1 - i;
	ex_replay(r, len, &s);
	ex_free_in_order(r, &s, perm);
	ex_destroy(&s);
	for (unsigned i = 0, lo = 0, hi = n; i < n; i++)
		perm[i] = (i & 1) ? --hi : lo++;
	ex_replay(r, len, &s);
	ex_free_in_order(r, &s, perm);
	ex_destroy(&s);
}

/* Explore every extension of orders[0..len). */
static void ex_explore(struct ex_run *r, unsigned len)
{
	struct ex_state s;

	ex_replay(r, len, &s);
	bool final = s.failed || s.m.allocated_pages == s.m.npages ||
		     len == r->depth_limit;

	if (final) {
		r->sequences++;
		r->failures_seen += s.failed;
		ex_free_all_ways(r, len, &s);
		ex_destroy(&s);
		return;
	}
	ex_destroy(&s);
	for (unsigned o = 0; o <= r->cfg.max_order; o++) {
		r->orders[len] = o;
		ex_explore(r, len + 1);
	}
}

static void ex_run_all(void **state, const struct pa_config *cfg,
		       unsigned depth_limit, const char *name)
{
	struct ex_run r;
	struct timespec t0, t1;

	memset(&r, 0, sizeof(r));
	r.cfg = *cfg;
	r.cfg.policy = th_policy(state);
	if (!th_policy_accepts(&r.cfg, r.cfg.policy))
		skip();
	r.depth_limit = depth_limit;
	assert_true(depth_limit <= EX_MAX_DEPTH);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ex_explore(&r, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(r.sequences > 0);
	print_message("%s, %s: %" PRIu64 " sequences (%" PRIu64 " ending in a "
		      "failed allocation), %" PRIu64 " checked frees, %" PRIu64
		      " replays, %.2f s\n", name, th_policy_str(state), r.sequences, r.failures_seen,
		      r.frees, r.replays,
		      (double)(t1.tv_sec - t0.tv_sec) +
			      (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
}

/* 8 pages: one pageblock of order 3, max_order 3.  Every sequence ends
 * with the zone full or a failure long before 8 allocations. */
static void one_pageblock_zone_path(void **state)
{
	struct pa_config c =
		th_config(1, 3, 3, PA_CFG_NO_WATERMARKS | PA_CFG_NO_PCP, 1);

	ex_run_all(state, &c, 8, "8 pages, zone path");
}

static void one_pageblock_pcp(void **state)
{
	struct pa_config c = th_config(1, 3, 3, PA_CFG_NO_WATERMARKS, 1);

	ex_run_all(state, &c, 8, "8 pages, per-CPU lists");
}

/* 16 pages: two pageblocks of order 3 under one order-4 block, depth
 * bounded to stay well under the time budget (less under sanitizers). */
static unsigned two_pageblock_depth(void)
{
	return th_sanitized() ? 3 : 4;
}

static void two_pageblocks_zone_path(void **state)
{
	struct pa_config c =
		th_config(2, 3, 4, PA_CFG_NO_WATERMARKS | PA_CFG_NO_PCP, 1);

	ex_run_all(state, &c, two_pageblock_depth(), "16 pages, zone path");
}

static void two_pageblocks_pcp(void **state)
{
	struct pa_config c = th_config(2, 3, 4, PA_CFG_NO_WATERMARKS, 1);

	ex_run_all(state, &c, two_pageblock_depth(), "16 pages, per-CPU lists");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		th_policy_test(one_pageblock_zone_path),
		th_policy_test(one_pageblock_pcp),
		th_policy_test(two_pageblocks_zone_path),
		th_policy_test(two_pageblocks_pcp),
	};

	return th_run_policy_group("exhaustive", tests);
}
