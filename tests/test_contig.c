/* SPDX-License-Identifier: MIT */
/*
 * pa_alloc_contig / pa_free_contig: sizes from one page to the whole zone,
 * above max_order; migration out of the candidate with every page's
 * contents checked; failures that leave the zone accountable; bad
 * arguments refused; a model-based mix with ordinary allocations.  Every
 * case runs once per policy the library accepts (factory.h's
 * th_run_policy_group).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "owner.h"

#define MiB (1024ull * 1024)

/* 64 MiB: 16384 pages, pageblocks of 512, max_order 10. */
static struct pa_config zone_cfg(enum pa_policy pol, enum pa_backing backing,
				 unsigned flags)
{
	struct pa_config c = pa_config_default();

	c.bytes = 64 * MiB;
	c.ncpus = 2;
	c.policy = pol;
	c.backing = backing;
	c.flags = flags | PA_CFG_NO_WATERMARKS;
	/* a policy built on pagesets keeps them */
	if (pa_config_check(&c, NULL, 0))
		c.flags &= ~PA_CFG_NO_PCP;
	return c;
}

static uint64_t allocated(struct pa_zone *z)
{
	struct pa_stats s;

	pa_stats(z, &s);
	return s.allocated_pages;
}

/* ---- sizes ---- */

static void sizes(enum pa_policy pol)
{
	struct pa_config c = zone_cfg(pol, PA_BACKING_NONE, 0);
	struct pa_zone *z = th_zone_create(&c);
	uint64_t n = pa_managed_pages(z);

	for (uint64_t nr = 1; nr <= n; nr <<= 1) {
		uint64_t pfn = pa_alloc_contig(z, nr, PA_GFP_MOVABLE);

		assert_int_not_equal(pfn, PA_NO_PFN);
		assert_int_equal(pfn & (nr - 1), 0);
		assert_int_equal(allocated(z), nr);
		assert_check(z);
		/* its pages are not pa_free's */
		assert_int_equal(pa_free(z, pfn, 0), -EINVAL);
		assert_int_equal(th_zone_errors_take(z, NULL, 0), 1);
		assert_int_equal(pa_free_contig(z, pfn, nr), 0);
		assert_int_equal(allocated(z), 0);
		assert_check(z);
	}
	/* the whole zone, then nothing more */
	uint64_t all = pa_alloc_contig(z, n, 0);

	assert_int_equal(all, 0);
	errno = 0;
	assert_int_equal(pa_alloc_contig(z, 1, PA_GFP_NOWARN), PA_NO_PFN);
	assert_int_equal(errno, ENOMEM);
	assert_int_equal(pa_free_contig(z, all, n), 0);
	assert_check(z);
	th_zone_destroy(z);
}

static void test_sizes(void **state)
{
	sizes(th_policy(state));
}

/* ---- bad arguments ---- */

static void bad_args(enum pa_policy pol)
{
	struct pa_config c = zone_cfg(pol, PA_BACKING_NONE, PA_CFG_NO_PCP);
	struct th_errlog log = { 0 };
	struct th_snapshot snap;
	struct pa_zone *z;

	c.error_fn = th_errlog_fn;
	c.error_arg = &log;
	z = th_zone_create(&c);
	uint64_t n = pa_managed_pages(z);
	uint64_t a = pa_alloc_contig(z, 2048, 0);
	uint64_t p = pa_alloc(z, 3, 0);

	assert_int_not_equal(a, PA_NO_PFN);
	assert_int_not_equal(p, PA_NO_PFN);
	th_snapshot_take(z, &snap);
	const uint64_t bad_nr[] = { 0, 3, 1000, n + 1, 2 * n, UINT64_MAX };

	for (size_t i = 0; i < sizeof(bad_nr) / sizeof(bad_nr[0]); i++) {
		errno = 0;
		assert_int_equal(pa_alloc_contig(z, bad_nr[i], 0), PA_NO_PFN);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(log.last_err, -EINVAL);
	}
	errno = 0;
	assert_int_equal(pa_alloc_contig(z, 8, PA_GFP_NOLOCK), PA_NO_PFN);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(pa_alloc_contig(z, 8, 0x1000), PA_NO_PFN);
	assert_int_equal(errno, EINVAL);
	/* frees of ranges not so allocated */
	assert_int_equal(pa_free_contig(z, p, 8), -EINVAL);       /* pa_alloc's */
	assert_int_equal(pa_free_contig(z, a, 1024), -EINVAL);    /* a part */
	assert_int_equal(pa_free_contig(z, a + 1024, 1024), -EINVAL);
	assert_int_equal(pa_free_contig(z, a, 4096), -EINVAL);    /* too big */
	assert_int_equal(pa_free_contig(z, a + 1, 2048), -EINVAL); /* misaligned */
	assert_int_equal(pa_free_contig(z, a, 0), -EINVAL);
	assert_int_equal(pa_free_contig(z, a, 3), -EINVAL);
	assert_int_equal(pa_free_contig(z, n, 1), -EINVAL);
	assert_int_equal(pa_free_contig(z, UINT64_MAX, 1), -EINVAL);
	assert_int_equal(pa_free(z, a, 10), -EINVAL);              /* a piece */
	th_snapshot_assert_same(z, &snap, "bad contiguous calls");
	th_snapshot_free(&snap);
	assert_check(z);
	/* double free */
	assert_int_equal(pa_free_contig(z, a, 2048), 0);
	assert_int_equal(pa_free_contig(z, a, 2048), -EINVAL);
	assert_int_equal(pa_free(z, p, 3), 0);
	assert_check(z);
	th_zone_destroy(z);
}

static void test_bad_args(void **state)
{
	bad_args(th_policy(state));
}

/* ---- migration out of the candidate ---- */

/* Fill the zone with order-0 movable pages, then free every other one: half
 * full, scattered over every pageblock. */
static void scatter(struct th_owner *o, struct pa_zone *z, uint32_t *handles,
		    uint64_t *n)
{
	uint64_t total = pa_managed_pages(z);

	*n = 0;
	for (uint32_t h; *n < total && (h = th_owner_alloc(o, 0)) != TH_NO_HANDLE;)
		handles[(*n)++] = h;
	for (uint64_t i = 0; i < *n; i += 2)
		assert_int_equal(th_owner_free(o, handles[i]), 0);
}

static void migrates_contents(enum pa_policy pol)
{
	struct pa_config c = zone_cfg(pol, PA_BACKING_ANON, 0);
	struct pa_zone *z = th_zone_create(&c);
	uint64_t total = pa_managed_pages(z), n;
	uint32_t *handles = calloc(total, sizeof(*handles));
	struct th_owner *o = th_owner_new(z, (uint32_t)total);
	struct pa_stats s;

	assert_non_null(o);
	scatter(o, z, handles, &n);
	assert_true(n > total / 2);
	uint64_t before = allocated(z);
	uint64_t pfn = pa_alloc_contig(z, total / 4, PA_GFP_ZERO);

	assert_int_not_equal(pfn, PA_NO_PFN);
	assert_int_equal(pfn % (total / 4), 0);
	assert_int_equal(allocated(z), before + total / 4);
	assert_true(th_owner_moves(o) > 0);
	assert_int_equal(th_owner_verify(o), 0);
	pa_stats(z, &s);
	assert_int_equal(s.isolated_pageblocks, 0);
	assert_true(s.pgmigrate_success >= th_owner_moves(o));
	/* no live block of the owner lies in the range */
	for (uint64_t i = 1; i < n; i += 2) {
		uint64_t at = th_owner_pfn(o, handles[i]);

		assert_false(at >= pfn && at < pfn + total / 4);
	}
	/* the range was zeroed */
	const unsigned char *mem = pa_pfn_to_addr(z, pfn);

	for (uint64_t i = 0; i < (total / 4) * 4096; i += 4093)
		assert_int_equal(mem[i], 0);
	assert_check(z);
	assert_int_equal(pa_free_contig(z, pfn, total / 4), 0);
	th_owner_free_all(o);
	assert_int_equal(allocated(z), 0);
	assert_check(z);
	th_owner_destroy(o);
	free(handles);
	th_zone_destroy(z);
}

static void test_migrates_contents(void **state)
{
	migrates_contents(th_policy(state));
}

/* A 2 MiB movable block moves whole. */
static void moves_large_blocks(enum pa_policy pol)
{
	struct pa_config c = zone_cfg(pol, PA_BACKING_ANON, 0);
	struct pa_zone *z = th_zone_create(&c);
	uint64_t total = pa_managed_pages(z);
	struct th_owner *o = th_owner_new(z, 64);
	uint32_t h[32];
	unsigned n = 0;

	assert_non_null(o);
	/* order-9 blocks over three quarters of the zone, then free a few so
	 * no aligned quarter is free */
	while (n < 24 && (h[n] = th_owner_alloc(o, 9)) != TH_NO_HANDLE)
		n++;
	assert_int_equal(n, 24);
	for (unsigned i = 0; i < n; i += 3)
		assert_int_equal(th_owner_free(o, h[i]), 0);
	uint64_t pfn = pa_alloc_contig(z, total / 4, 0);

	assert_int_not_equal(pfn, PA_NO_PFN);
	assert_int_equal(th_owner_verify(o), 0);
	for (unsigned i = 1; i < n; i++) {
		uint64_t at = th_owner_pfn(o, h[i]);

		if (i % 3 == 0)
			continue;
		assert_int_equal(at & 511, 0);
		assert_false(at >= pfn && at < pfn + total / 4);
	}
	assert_check(z);
	assert_int_equal(pa_free_contig(z, pfn, total / 4), 0);
	th_owner_free_all(o);
	assert_check(z);
	th_owner_destroy(o);
	th_zone_destroy(z);
}

static void test_moves_large_blocks(void **state)
{
	moves_large_blocks(th_policy(state));
}

/* ---- failures leave the zone as it was ---- */

static void fails_cleanly(enum pa_policy pol)
{
	struct pa_config c = zone_cfg(pol, PA_BACKING_ANON, PA_CFG_NO_PCP);
	struct pa_zone *z = th_zone_create(&c);
	uint64_t total = pa_managed_pages(z), n, quarter = total / 4;
	uint32_t *handles = calloc(total, sizeof(*handles));
	struct th_owner *o = th_owner_new(z, (uint32_t)total);
	struct th_snapshot snap;
	struct pa_stats s0, s1;

	assert_non_null(o);
	scatter(o, z, handles, &n);
	/* one pinned page in each quarter: the cheap checks pass (it is
	 * movable), migration moves the others, the pinned one stays */
	for (uint64_t q = 0; q < 4; q++)
		for (uint64_t i = 1; i < n; i += 2)
			if (th_owner_pfn(o, handles[i]) / quarter == q) {
				th_owner_pin(o, handles[i], true);
				break;
			}
	pa_stats(z, &s0);
	errno = 0;
	assert_int_equal(pa_alloc_contig(z, quarter, PA_GFP_NOWARN), PA_NO_PFN);
	assert_int_equal(errno, EBUSY);
	pa_stats(z, &s1);
	assert_true(s1.pgmigrate_success > s0.pgmigrate_success);
	/* per-CPU pages of the range may have gone to the zone */
	assert_int_equal(s1.free_pages + s1.pcp_pages,
			 s0.free_pages + s0.pcp_pages);
	assert_int_equal(s1.allocated_pages, s0.allocated_pages);
	assert_int_equal(s1.isolated_pageblocks, 0);
	assert_int_equal(th_owner_verify(o), 0);
	assert_check(z);

	/* an unmovable page in every quarter: rejected before anything
	 * moves, the zone byte-for-byte as before */
	th_owner_free_all(o);
	pa_drain(z);
	uint64_t pins[4] = { PA_NO_PFN, PA_NO_PFN, PA_NO_PFN, PA_NO_PFN };
	uint64_t *all = calloc(total, sizeof(*all));
	uint64_t got = 0;

	/* allocated on one CPU and freed on the other, the case a thread
	 * migrating in these loops produced by chance: under ownership
	 * the frees wait on the owner's remote list (PA_SEED=
	 * 7701656631340643583 left 1536 pages in the zone) */
	for (uint64_t p; (p = pa_alloc_cpu(z, 0, 0, PA_GFP_NOWARN)) != PA_NO_PFN;)
		all[got++] = p;
	for (uint64_t i = 0; i < got; i++) {
		uint64_t q = all[i] / quarter;

		if (pins[q] == PA_NO_PFN && all[i] % quarter == quarter / 2)
			pins[q] = all[i];
		else
			assert_int_equal(pa_free_cpu(z, 1, all[i], 0), 0);
	}
	for (uint64_t q = 0; q < 4; q++)
		assert_int_not_equal(pins[q], PA_NO_PFN);
	/* every free page in the zone, so the request needs no drain of
	 * its own and the snapshot below may compare free_pages */
	pa_drain(z);
	assert_int_equal(allocated(z), 4);
	th_snapshot_take(z, &snap);
	errno = 0;
	assert_int_equal(pa_alloc_contig(z, quarter, PA_GFP_NOWARN), PA_NO_PFN);
	assert_int_equal(errno, EBUSY);
	th_snapshot_assert_same(z, &snap, "rejected contiguous allocation");
	th_snapshot_free(&snap);
	assert_check(z);
	for (uint64_t q = 0; q < 4; q++)
		assert_int_equal(pa_free(z, pins[q], 0), 0);
	assert_check(z);
	free(all);
	th_owner_destroy(o);
	free(handles);
	th_zone_destroy(z);
}

static void test_fails_cleanly(void **state)
{
	fails_cleanly(th_policy(state));
}

/* ---- model: contiguous ranges among ordinary allocations ---- */

struct range {
	uint64_t pfn, nr;
	int kind; /* 0 contig, 1 pa_alloc (nr = 1 << order), 2 owner handle */
	uint32_t h;
};

static bool overlaps(const struct range *r, unsigned n, uint64_t pfn,
		     uint64_t nr, struct th_owner *o)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t at = r[i].kind == 2 ? th_owner_pfn(o, r[i].h) : r[i].pfn;

		if (at < pfn + nr && pfn < at + r[i].nr)
			return true;
	}
	return false;
}

static void model(enum pa_policy pol)
{
	struct pa_config c = zone_cfg(pol, PA_BACKING_ANON, 0);
	struct pa_zone *z = th_zone_create(&c);
	struct th_rng rng = { th_seed("contig model") };
	struct th_owner *o = th_owner_new(z, 4096);
	struct range *live = calloc(4096, sizeof(*live));
	unsigned n = 0;
	uint64_t pages = 0;

	assert_non_null(o);
	for (unsigned step = 0; step < 1500; step++) {
		unsigned op = (unsigned)th_below(&rng, 10);

		if (n && (op < 4 || n == 4096)) {
			unsigned i = (unsigned)th_below(&rng, n);
			struct range r = live[i];

			if (r.kind == 0)
				assert_int_equal(pa_free_contig(z, r.pfn, r.nr), 0);
			else if (r.kind == 1)
				assert_int_equal(pa_free(z, r.pfn, (unsigned)__builtin_ctzll(r.nr)), 0);
			else
				assert_int_equal(th_owner_free(o, r.h), 0);
			pages -= r.nr;
			live[i] = live[--n];
		} else if (op < 6) {
			uint64_t nr = 1ull << th_below(&rng, 13);
			uint64_t pfn = pa_alloc_contig(z, nr, PA_GFP_NOWARN);

			if (pfn == PA_NO_PFN) {
				assert_true(errno == EBUSY || errno == ENOMEM);
				continue;
			}
			assert_int_equal(pfn & (nr - 1), 0);
			assert_false(overlaps(live, n, pfn, nr, o));
			live[n++] = (struct range){ pfn, nr, 0, 0 };
			pages += nr;
		} else if (op < 8) {
			unsigned order = (unsigned)th_below(&rng, 4);
			uint32_t h = th_owner_alloc(o, order);

			if (h == TH_NO_HANDLE)
				continue;
			live[n++] = (struct range){ 0, 1ull << order, 2, h };
			pages += 1ull << order;
		} else {
			unsigned order = (unsigned)th_below(&rng, 3);
			uint64_t pfn = pa_alloc(z, order, PA_GFP_NOWARN);

			if (pfn == PA_NO_PFN)
				continue;
			assert_false(overlaps(live, n, pfn, 1ull << order, o));
			live[n++] = (struct range){ pfn, 1ull << order, 1, 0 };
			pages += 1ull << order;
		}
		assert_int_equal(allocated(z), pages);
		if (step % 100 == 0) {
			assert_check(z);
			assert_int_equal(th_owner_verify(o), 0);
		}
	}
	assert_int_equal(th_owner_verify(o), 0);
	assert_check(z);
	th_owner_destroy(o);
	free(live);
	th_zone_destroy(z);
}

static void test_model(void **state)
{
	model(th_policy(state));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		th_policy_test(test_sizes),
		th_policy_test(test_bad_args),
		th_policy_test(test_migrates_contents),
		th_policy_test(test_moves_large_blocks),
		th_policy_test(test_fails_cleanly),
		th_policy_test(test_model),
	};

	return th_run_policy_group("contig", tests);
}
