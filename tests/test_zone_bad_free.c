/* SPDX-License-Identifier: MIT */
/*
 * Every kind of bad free, under every policy, through every free entry
 * point (pfn, explicit CPU, nolock, pointer): -EINVAL, a message to the
 * error hook, bad_frees counted, and the zone exactly as before: counters,
 * buddyinfo and pagetypeinfo identical, pa_check clean.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "zone.h" /* white-box: the strict check needs corrupt metadata */

struct fixture {
	struct pa_zone *z;
	struct th_errlog log;
	uint64_t o0, o3, o9;   /* live blocks of orders 0, 3 and 9 */
	uint64_t freed;        /* an order-2 block freed already */
};

static struct fixture *setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct pa_config c = pa_config_default();

	assert_non_null(f);
	c.bytes = 64ull << 20;
	th_config_spb(&c, TH_SPB_PAGEBLOCKS); /* a few, not one partial */
	c.ncpus = 2;
	c.backing = PA_BACKING_ANON;
	c.error_fn = th_errlog_fn;
	c.error_arg = &f->log;
	f->z = th_zone_for(state, &c);
	if (!f->z) {
		free(f);
		skip();
		return NULL; /* not reached: skip() leaves the case */
	}
	f->o0 = pa_alloc_cpu(f->z, 0, 0, PA_GFP_MOVABLE);
	f->o3 = pa_alloc_cpu(f->z, 1, 3, 0);
	f->o9 = pa_alloc_cpu(f->z, 0, 9, PA_GFP_MOVABLE);
	f->freed = pa_alloc_cpu(f->z, 1, 2, PA_GFP_RECLAIMABLE);
	assert_int_not_equal(f->o0, PA_NO_PFN);
	assert_int_not_equal(f->o3, PA_NO_PFN);
	assert_int_not_equal(f->o9, PA_NO_PFN);
	assert_int_not_equal(f->freed, PA_NO_PFN);
	assert_int_equal(pa_free_cpu(f->z, 1, f->freed, 2), 0);
	return f;
}

static void teardown(struct fixture *f)
{
	assert_int_equal(pa_free(f->z, f->o0, 0), 0);
	assert_int_equal(pa_free(f->z, f->o3, 3), 0);
	assert_int_equal(pa_free(f->z, f->o9, 9), 0);
	pa_drain(f->z);
	th_zone_destroy(f->z);
	free(f);
}

/* One bad free through all four entry points, each leaving the zone as
 * it was. */
static void expect_refused(struct fixture *f, uint64_t pfn, unsigned order,
			   const char *what)
{
	struct th_snapshot snap;
	struct pa_stats before, after;

	for (int via = 0; via < 4; via++) {
		int rc;

		pa_stats(f->z, &before);
		th_snapshot_take(f->z, &snap);
		unsigned msgs = f->log.count;

		switch (via) {
		case 0:
			rc = pa_free(f->z, pfn, order);
			break;
		case 1:
			rc = pa_free_cpu(f->z, 1, pfn, order);
			break;
		case 2:
			rc = pa_free_nolock(f->z, pfn, order);
			break;
		default: {
			void *a = pa_pfn_to_addr(f->z, pfn);

			/* out-of-range pfns have no address: a foreign one */
			rc = pa_free_pages(f->z, a ? a : (void *)&snap, order);
			break;
		}
		}
		if (rc != -EINVAL)
			fail_msg("%s (entry point %d) returned %d, not -EINVAL", what, via, rc);
		th_snapshot_assert_same(f->z, &snap, what);
		th_snapshot_free(&snap);
		pa_stats(f->z, &after);
		assert_int_equal(after.bad_frees, before.bad_frees + 1);
		assert_int_equal(f->log.count, msgs + 1);
		assert_int_equal(f->log.last_err, -EINVAL);
		assert_true(strlen(f->log.last) > 0);
		assert_check(f->z);
	}
}

static void bad_frees(void **state)
{
	struct fixture *f = setup(state);
	uint64_t n = pa_managed_pages(f->z);

	expect_refused(f, f->o3, 2, "wrong order (smaller)");
	expect_refused(f, f->o3, 4, "wrong order (larger)");
	expect_refused(f, f->o0, 1, "order-0 block freed as order 1");
	expect_refused(f, f->o3 + 1, 0, "a tail page of an order-3 block");
	expect_refused(f, f->o9 + 256, 8, "an aligned tail half of an order-9 block");
	expect_refused(f, f->freed, 2, "double free");
	expect_refused(f, n, 0, "pfn just past the zone");
	expect_refused(f, n + 12345, 0, "pfn far out of range");
	expect_refused(f, f->o3 + 4, 3, "pfn not aligned to its order");
	expect_refused(f, f->o0, 11, "order above max_order");
	/* never allocated: the last pageblock, untouched so far */
	expect_refused(f, n - 512, 0, "a page never allocated");
	/* a pfn on a per-CPU list (free, cached) */
	uint64_t p = pa_alloc_cpu(f->z, 0, 0, 0);

	assert_int_equal(pa_free_cpu(f->z, 0, p, 0), 0);
	expect_refused(f, p, 0, "a page cached on a per-CPU list");
	teardown(f);
}

/* A foreign pointer and a misaligned pointer through the pointer API. */
static void bad_pointers(void **state)
{
	struct fixture *f = setup(state);
	struct th_snapshot snap;
	char *a = pa_pfn_to_addr(f->z, f->o3);
	int local;

	th_snapshot_take(f->z, &snap);
	assert_int_equal(pa_free_pages(f->z, &local, 0), -EINVAL);
	assert_int_equal(pa_free_pages(f->z, a + 100, 3), -EINVAL);
	assert_int_equal(pa_free_pages(f->z, NULL, 0), -EINVAL);
	th_snapshot_assert_same(f->z, &snap, "bad pointers");
	th_snapshot_free(&snap);
	teardown(f);
}

/* PA_CFG_STRICT: a free whose block overlaps another (metadata a bug or a
 * stray write corrupted) is refused and nothing changes; once the page is
 * repaired the block frees normally.  Normal frees pass the scan. */
static void strict_catches_corrupt_tails(void **state)
{
	(void)state;
	struct th_errlog log = { 0 };
	struct pa_config c = th_config(8, 4, 6, PA_CFG_STRICT, 1);

	c.error_fn = th_errlog_fn;
	c.error_arg = &log;
	struct pa_zone *z = th_zone_or_skip(state, &c);
	uint64_t a = pa_alloc(z, 3, 0), b = pa_alloc(z, 2, 0);

	assert_int_equal(pa_free(z, b, 2), 0); /* clean blocks pass */
	b = pa_alloc(z, 2, 0);
	uint16_t saved = z->pages[a + 5].state;

	z->pages[a + 5].state = PG_STATE(PG_ALLOC, 0); /* a stray head */
	struct th_snapshot snap;

	th_snapshot_take(z, &snap);
	assert_int_equal(pa_free(z, a, 3), -EINVAL);
	assert_non_null(strstr(log.last, "overlaps"));
	th_snapshot_assert_same(z, &snap, "strict refusal");
	th_snapshot_free(&snap);
	z->pages[a + 5].state = saved;
	assert_int_equal(pa_free(z, a, 3), 0);
	assert_int_equal(pa_free(z, b, 2), 0);
	pa_drain(z);
	th_zone_destroy(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		th_policy_test(bad_frees),
		th_policy_test(bad_pointers),
		th_policy_test(strict_catches_corrupt_tails),
	};

	return th_run_policy_group("zone_bad_free", tests);
}
