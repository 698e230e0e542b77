/* SPDX-License-Identifier: MIT */
/*
 * test_blackbox_api.c - black-box checks of the core zone API, written from
 * include/pagealloc.h only: config validation at its documented bounds,
 * zones of odd sizes and extreme geometries, explicit-CPU, nolock and bulk
 * calls on bad input (each rejected, reported, the zone unchanged), frees
 * repeated inside one bulk call, pointer API edges, pageset controls,
 * movable ops and migration errors, fragmentation figures, and
 * conservation (everything allocated then freed comes back, pa_check
 * clean) under every policy.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "helpers.h"

#define PB_ORDER 3u
#define MAX_ORDER 5u

/* Every page is free again (per-CPU lists drained into the zone). */
static void assert_all_free(struct pa_zone *zone)
{
	struct pa_stats st;

	pa_drain(zone);
	pa_stats(zone, &st);
	assert_int_equal(st.allocated_pages, 0);
	assert_int_equal(st.pcp_pages, 0);
	assert_int_equal(st.free_pages, st.managed_pages);
	assert_int_equal(st.managed_pages, pa_managed_pages(zone));
	assert_check(zone);
}

/* Allocate order-`order` blocks until the zone says no; returns how many,
 * their pfns in *out (malloc()ed). */
static unsigned fill_zone(struct pa_zone *zone, unsigned order,
			  uint64_t **out)
{
	uint64_t cap = pa_managed_pages(zone) + 1;
	uint64_t *pfns = calloc(cap, sizeof(*pfns));
	unsigned n = 0;
	uint64_t pfn;

	assert_non_null(pfns);
	while ((pfn = pa_alloc(zone, order, PA_GFP_MOVABLE | PA_GFP_NOWARN)) !=
	       PA_NO_PFN) {
		assert_true(n < cap);
		assert_int_equal(pfn & ((1ull << order) - 1), 0);
		assert_true(pfn + (1ull << order) <= pa_managed_pages(zone));
		pfns[n++] = pfn;
	}
	*out = pfns;
	return n;
}

static void free_all(struct pa_zone *zone, const uint64_t *pfns, unsigned n,
		     unsigned order)
{
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(pa_free(zone, pfns[i], order), 0);
}

/* ------------------------------------------------------------------ */
/* Configuration                                                       */
/* ------------------------------------------------------------------ */

static int check_cfg(const struct pa_config *c)
{
	char msg[256] = "x";
	int rc = pa_config_check(c, msg, sizeof(msg));

	if (rc == 0)
		assert_string_equal(msg, "");
	else
		assert_true(msg[0] != '\0');
	return rc;
}

static void config_bounds(void **state)
{
	struct pa_config base = th_config(4, PB_ORDER, MAX_ORDER, 0, 1);
	struct pa_config c;

	base.policy = th_policy(state);
	assert_int_equal(check_cfg(&base), 0);

	c = base; c.bytes = ((uint64_t)4096 << PB_ORDER) - 4096; /* < 1 pb */
	assert_int_equal(check_cfg(&c), -EINVAL);
	c = base; c.ncpus = PA_MAX_CPUS + 1;
	assert_int_equal(check_cfg(&c), -EINVAL);
	c = base; c.ncpus = PA_MAX_CPUS;
	assert_int_equal(check_cfg(&c), 0);
	c = base; c.page_shift = 11;
	assert_int_equal(check_cfg(&c), -EINVAL);
	c = base; c.page_shift = 22;
	assert_int_equal(check_cfg(&c), -EINVAL);
	c = base; c.max_order = 21;
	c.superpageblock_order = 21;
	assert_int_equal(check_cfg(&c), -EINVAL);
	c = base; c.max_order = PB_ORDER - 1; /* below pageblock_order */
	assert_int_equal(check_cfg(&c), -EINVAL);
	c = base; c.superpageblock_order = PB_ORDER - 1;
	assert_int_equal(check_cfg(&c), -EINVAL);
	/* the header's upper bound: pageblock_order..40 */
	c = base; c.superpageblock_order = 40;
	assert_int_equal(check_cfg(&c), 0);
	c = base; c.superpageblock_order = 41;
	assert_int_equal(check_cfg(&c), -EINVAL);
	c = base; c.policy = PA_POLICY_NR;
	assert_int_equal(check_cfg(&c), -EINVAL);
	c = base; c.policy = (enum pa_policy)-1;
	assert_int_equal(check_cfg(&c), -EINVAL);
	c = base; c.page_shift = 12; c.bytes = (1ull << 32) << 12; /* 2^32 pages */
	c.backing = PA_BACKING_NONE;
	assert_int_equal(check_cfg(&c), -EINVAL);
	/* A rejected config creates nothing, errno EINVAL. */
	c = base; c.ncpus = PA_MAX_CPUS + 1;
	errno = 0;
	assert_null(pa_zone_create(&c));
	assert_int_equal(errno, EINVAL);
	/* msg with len 0 is not written. */
	{
		char m[4] = "abc";
		c = base; c.page_shift = 30;
		assert_int_equal(pa_config_check(&c, m, 0), -EINVAL);
		assert_string_equal(m, "abc");
		assert_int_equal(pa_config_check(&c, NULL, 10), -EINVAL);
		/* and a short buffer is terminated */
		assert_int_equal(pa_config_check(&c, m, sizeof(m)), -EINVAL);
		assert_true(strlen(m) < sizeof(m));
	}
}

static void names(void **state)
{
	enum pa_policy p = PA_POLICY_NR;

	(void)state;
	assert_null(pa_policy_name(PA_POLICY_NR));
	assert_null(pa_policy_name((enum pa_policy)-1));
	assert_string_equal(pa_migratetype_name(PA_MT_TYPES), "?");
	assert_string_equal(pa_migratetype_name(1000), "?");
	assert_int_equal(pa_policy_parse("bogus", &p), -EINVAL);
	assert_int_equal(pa_policy_parse("", &p), -EINVAL);
	assert_int_equal(p, PA_POLICY_NR);
	for (unsigned i = 0; i < PA_POLICY_NR; i++) {
		assert_int_equal(pa_policy_parse(pa_policy_name(i), &p), 0);
		assert_int_equal(p, i);
	}
}

/* Odd sizes: rounded down to whole pageblocks, every page usable, every
 * page comes back. */
static void odd_sizes_conserve(void **state)
{
	static const uint64_t extra_pages[] = { 1, 3, (1u << PB_ORDER) - 1 };

	for (unsigned pbs = 1; pbs <= 7; pbs += 3) {
		for (unsigned k = 0; k < 3; k++) {
			struct pa_config cfg = th_config(pbs, PB_ORDER, MAX_ORDER,
							 PA_CFG_NO_WATERMARKS, 2);
			struct pa_zone *z;
			uint64_t *pfns;
			unsigned n;

			cfg.bytes += extra_pages[k] * 4096;
			z = th_zone_for(state, &cfg);
			if (!z)
				return;
			assert_int_equal(pa_managed_pages(z),
					 (uint64_t)pbs << PB_ORDER);
			for (unsigned order = 0; order <= MAX_ORDER; order++) {
				n = fill_zone(z, order, &pfns);
				/* a zone smaller than the block serves none */
				if (((uint64_t)pbs << PB_ORDER) >= (1ull << order))
					assert_true(n >= 1);
				assert_true((uint64_t)n << order <=
					    pa_managed_pages(z));
				if (order == 0)
					assert_int_equal(n, pa_managed_pages(z));
				assert_check(z);
				free_all(z, pfns, n, order);
				free(pfns);
				assert_all_free(z);
			}
			th_zone_destroy(z);
		}
	}
}

/* max_order 20 with pageblock order 20: one pageblock, one block. */
static void extreme_geometry(void **state)
{
	struct pa_config cfg = th_config(1, 20, 20, PA_CFG_NO_WATERMARKS, 1);
	struct pa_frag_index fi;
	struct pa_frag fr;
	struct pa_zone *z;
	uint64_t pfn;

	z = th_zone_for(state, &cfg);
	if (!z)
		return;
	pfn = pa_alloc(z, 20, PA_GFP_MOVABLE);
	assert_int_equal(pfn, 0);
	assert_int_equal(pa_frag(z, &fr), 0);
	assert_int_equal(fr.largest_free_order, UINT64_MAX);
	assert_int_equal(fr.free_pages, 0);
	assert_int_equal(pa_alloc(z, 0, PA_GFP_NOWARN), PA_NO_PFN);
	assert_int_equal(pa_free(z, pfn, 19), -EINVAL);
	assert_int_equal(pa_free(z, 1ull << 19, 19), -EINVAL);
	th_zone_errors_take(z, NULL, 0);
	assert_int_equal(pa_free(z, pfn, 20), 0);
	assert_int_equal(pa_frag_index(z, &fi), 0);
	assert_int_equal(fi.nr_orders, 21);
	assert_int_equal(fi.nr_free[20], 1);
	assert_int_equal(fi.extfrag_milli[20], -1000);
	assert_int_equal(fi.unusable_milli[20], 0);
	assert_int_equal(pa_frag(z, &fr), 0);
	assert_int_equal(fr.largest_free_order, 20);
	assert_all_free(z);
	th_zone_destroy(z);
}

/* A zone smaller than one max_order block: the top orders are valid
 * arguments that simply find no memory. */
static void zone_smaller_than_max_order(void **state)
{
	struct pa_config cfg = th_config(1, PB_ORDER, MAX_ORDER,
					 PA_CFG_NO_WATERMARKS, 1);
	struct pa_frag_index fi;
	struct pa_zone *z;
	uint64_t pfn;

	z = th_zone_for(state, &cfg);
	if (!z)
		return;
	assert_int_equal(pa_alloc(z, MAX_ORDER, PA_GFP_NOWARN), PA_NO_PFN);
	assert_int_equal(pa_alloc(z, PB_ORDER + 1, PA_GFP_NOWARN), PA_NO_PFN);
	assert_int_equal(pa_frag_index(z, &fi), 0);
	assert_int_equal(fi.nr_orders, MAX_ORDER + 1);
	assert_int_equal(fi.nr_free[PB_ORDER], 1);
	for (unsigned o = PB_ORDER + 1; o <= MAX_ORDER; o++) {
		assert_int_equal(fi.nr_free[o], 0);
		assert_true(fi.extfrag_milli[o] < 0);
	}
	pfn = pa_alloc(z, PB_ORDER, 0);
	assert_int_equal(pfn, 0);
	assert_int_equal(pa_free(z, pfn, PB_ORDER), 0);
	assert_all_free(z);
	th_zone_destroy(z);
}

/* ------------------------------------------------------------------ */
/* Explicit CPU, nolock                                                */
/* ------------------------------------------------------------------ */

static void cpu_slots_bounds(void **state)
{
	struct pa_config cfg = th_config(8, PB_ORDER, MAX_ORDER,
					 PA_CFG_NO_WATERMARKS, PA_MAX_CPUS);
	struct th_snapshot snap;
	struct pa_zone *z;
	uint64_t a, b;

	z = th_zone_for(state, &cfg);
	if (!z)
		return;
	assert_true(pa_current_cpu(z) < PA_MAX_CPUS);
	a = pa_alloc_cpu(z, PA_MAX_CPUS - 1, 0, PA_GFP_MOVABLE);
	b = pa_alloc_cpu(z, 0, 1, 0);
	assert_int_not_equal(a, PA_NO_PFN);
	assert_int_not_equal(b, PA_NO_PFN);
	th_snapshot_take(z, &snap);
	assert_int_equal(pa_alloc_cpu(z, PA_MAX_CPUS, 0, 0), PA_NO_PFN);
	assert_rejected(z);
	assert_int_equal(pa_alloc_cpu(z, UINT32_MAX, 0, 0), PA_NO_PFN);
	assert_rejected(z);
	assert_int_equal(pa_free_cpu(z, PA_MAX_CPUS, a, 0), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_free_cpu(z, PA_CPU_CURRENT, a, 0), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_alloc_cpu(z, 0, MAX_ORDER + 1, 0), PA_NO_PFN);
	assert_rejected(z);
	assert_int_equal(pa_alloc_cpu(z, 0, 0, PA_GFP_MASK + 1), PA_NO_PFN);
	assert_rejected(z);
	th_snapshot_assert_same(z, &snap, "bad cpu calls");
	th_snapshot_free(&snap);
	/* free on the other extreme CPU: cross-CPU frees are fine */
	assert_int_equal(pa_free_cpu(z, 0, a, 0), 0);
	assert_int_equal(pa_free_cpu(z, PA_MAX_CPUS - 1, b, 1), 0);
	assert_int_equal(pa_free_cpu(z, 5, b, 1), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_drain_cpu(z, PA_MAX_CPUS - 1), 0);
	assert_int_equal(pa_drain_cpu(z, PA_MAX_CPUS), -EINVAL);
	assert_rejected(z);
	assert_all_free(z);
	th_zone_destroy(z);
}

static void nolock_errors(void **state)
{
	struct pa_config cfg = th_config(8, PB_ORDER, MAX_ORDER,
					 PA_CFG_NO_WATERMARKS, 2);
	struct th_snapshot snap;
	struct pa_zone *z;
	uint64_t pfn, p2;

	z = th_zone_for(state, &cfg);
	if (!z)
		return;
	pfn = pa_alloc_nolock(z, 2, PA_GFP_MOVABLE);
	assert_int_not_equal(pfn, PA_NO_PFN);
	p2 = pa_alloc(z, 0, PA_GFP_NOLOCK);
	assert_int_not_equal(p2, PA_NO_PFN);
	th_snapshot_take(z, &snap);
	assert_int_equal(pa_alloc_nolock(z, MAX_ORDER + 1, 0), PA_NO_PFN);
	assert_rejected(z);
	assert_int_equal(pa_alloc_nolock(z, 0, 0x80), PA_NO_PFN);
	assert_rejected(z);
	assert_int_equal(pa_free_nolock(z, pfn, 1), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_free_nolock(z, pfn + 1, 0), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_free_nolock(z, pa_managed_pages(z), 0), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_free_nolock(z, pfn, MAX_ORDER + 1), -EINVAL);
	assert_rejected(z);
	th_snapshot_assert_same(z, &snap, "bad nolock calls");
	th_snapshot_free(&snap);
	assert_int_equal(pa_free_nolock(z, pfn, 2), 0);
	/* double free through either API, whether or not the first free
	 * was deferred */
	assert_int_equal(pa_free_nolock(z, pfn, 2), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_free(z, pfn, 2), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_free_nolock(z, p2, 0), 0);
	assert_int_equal(pa_free_nolock(z, p2, 0), -EINVAL);
	assert_rejected(z);
	assert_all_free(z);
	th_zone_destroy(z);
}

/* ------------------------------------------------------------------ */
/* Bulk                                                                */
/* ------------------------------------------------------------------ */

/* A bulk free that names the same block twice frees it once and refuses
 * the repeat, whichever path the first one took. */
static void bulk_free_repeats(void **state)
{
	struct pa_config cfg = th_config(8, PB_ORDER, MAX_ORDER,
					 PA_CFG_NO_WATERMARKS, 2);
	struct pa_zone *z;
	uint64_t pfns[8], batch[8];
	unsigned orders[8];
	struct pa_stats st0, st1;

	z = th_zone_for(state, &cfg);
	if (!z)
		return;
	for (unsigned order = 0; order <= MAX_ORDER; order++) {
		unsigned n = pa_alloc_bulk(z, 0, order, PA_GFP_MOVABLE, 2, pfns);

		assert_int_equal(n, 2);
		batch[0] = pfns[0]; orders[0] = order;
		batch[1] = pfns[0]; orders[1] = order;  /* repeat */
		batch[2] = pfns[1]; orders[2] = order;
		batch[3] = pfns[1]; orders[3] = order;  /* repeat */
		pa_stats(z, &st0);
		assert_int_equal(pa_free_bulk(z, 1, batch, orders, 4), 2);
		pa_stats(z, &st1);
		assert_int_equal(st1.bad_frees - st0.bad_frees, 2);
		assert_int_equal(st1.allocated_pages, 0);
		assert_rejected(z);
		assert_all_free(z);
	}
	/* a block and a tail of it in one call */
	{
		unsigned n = pa_alloc_bulk(z, 0, 2, 0, 1, pfns);

		assert_int_equal(n, 1);
		batch[0] = pfns[0]; orders[0] = 2;
		batch[1] = pfns[0] + 1; orders[1] = 0;
		batch[2] = pfns[0]; orders[2] = 1;
		assert_int_equal(pa_free_bulk(z, 0, batch, orders, 3), 1);
		assert_rejected(z);
		assert_all_free(z);
	}
	th_zone_destroy(z);
}

static void bulk_bounds(void **state)
{
	struct pa_config cfg = th_config(8, PB_ORDER, MAX_ORDER,
					 PA_CFG_NO_WATERMARKS, 3);
	struct pa_zone *z;
	uint64_t *pfns;
	unsigned *orders;
	uint64_t managed;
	unsigned n;

	z = th_zone_for(state, &cfg);
	if (!z)
		return;
	managed = pa_managed_pages(z);
	pfns = calloc(managed + 4, sizeof(*pfns));
	orders = calloc(managed + 4, sizeof(*orders));
	assert_non_null(pfns);
	assert_non_null(orders);
	/* zero blocks, NULL arrays */
	assert_int_equal(pa_alloc_bulk(z, 0, 0, 0, 0, NULL), 0);
	assert_int_equal(pa_free_bulk(z, 0, NULL, NULL, 0), 0);
	/* more than the zone: everything, then the rest untouched */
	for (unsigned order = 0; order <= MAX_ORDER; order++) {
		uint64_t want = (managed >> order) + 2;

		for (uint64_t i = 0; i < want; i++)
			pfns[i] = 0xdeadbeef;
		n = pa_alloc_bulk(z, PA_CPU_CURRENT, order, PA_GFP_MOVABLE,
				  (unsigned)want, pfns);
		assert_int_equal(n, managed >> order);
		assert_int_equal(pfns[n], 0xdeadbeef);
		assert_int_equal(pfns[n + 1], 0xdeadbeef);
		/* distinct, aligned, in range */
		for (unsigned i = 0; i < n; i++) {
			assert_int_equal(pfns[i] & ((1ull << order) - 1), 0);
			assert_true(pfns[i] < managed);
			orders[i] = order;
		}
		assert_check(z);
		/* nothing left: the call behaves as pa_alloc (NOWARN: quiet) */
		assert_int_equal(pa_alloc_bulk(z, 1, order, PA_GFP_NOWARN, 1,
					       pfns + n), 0);
		assert_int_equal(th_zone_errors_take(z, NULL, 0), 0);
		assert_int_equal(pa_free_bulk(z, 2, pfns, orders, n), (int)n);
		assert_all_free(z);
	}
	/* NOLOCK bulk on an idle zone gets its memory too */
	n = pa_alloc_bulk(z, 0, 0, PA_GFP_NOLOCK, 16, pfns);
	assert_int_equal(n, 16);
	for (unsigned i = 0; i < n; i++)
		orders[i] = 0;
	assert_int_equal(pa_free_bulk(z, PA_CPU_CURRENT, pfns, orders, n), 16);
	assert_all_free(z);
	free(pfns);
	free(orders);
	th_zone_destroy(z);
}

/* ------------------------------------------------------------------ */
/* Pointer API                                                         */
/* ------------------------------------------------------------------ */

static void pointer_edges(void **state)
{
	struct pa_config cfg = th_config(4, PB_ORDER, MAX_ORDER,
					 PA_CFG_NO_WATERMARKS, 1);
	struct pa_zone *z;
	uint64_t managed;
	char *p, *base;

	cfg.backing = PA_BACKING_ANON;
	z = th_zone_for(state, &cfg);
	if (!z)
		return;
	managed = pa_managed_pages(z);
	base = pa_pfn_to_addr(z, 0);
	assert_non_null(base);
	assert_null(pa_pfn_to_addr(z, managed));
	assert_null(pa_pfn_to_addr(z, PA_NO_PFN));
	assert_int_equal(pa_addr_to_pfn(z, base), 0);
	assert_int_equal(pa_addr_to_pfn(z, base + managed * 4096), PA_NO_PFN);
	assert_int_equal(pa_addr_to_pfn(z, base - 1), PA_NO_PFN);
	assert_int_equal(pa_addr_to_pfn(z, NULL), PA_NO_PFN);
	assert_ptr_equal(pa_pfn_to_addr(z, managed - 1),
			 base + (managed - 1) * 4096);

	p = pa_alloc_pages(z, 1, PA_GFP_ZERO);
	assert_non_null(p);
	memset(p, 0xab, 2 * 4096);
	assert_int_equal(pa_free_pages(z, NULL, 0), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_free_pages(z, p + 1, 1), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_free_pages(z, p + 4096, 0), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_free_pages(z, p, 0), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_free_pages(z, base + managed * 4096, 0), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_free_pages(z, &cfg, 0), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_free_pages(z, p, 1), 0);
	assert_int_equal(pa_free_pages(z, p, 1), -EINVAL);
	assert_rejected(z);
	/* a re-allocation with ZERO is zero even after the caller wrote */
	p = pa_alloc_pages(z, 1, PA_GFP_ZERO);
	assert_non_null(p);
	for (unsigned i = 0; i < 2 * 4096; i++)
		assert_int_equal(p[i], 0);
	assert_int_equal(pa_free_pages(z, p, 1), 0);
	/* exhaustion: NULL with ENOMEM */
	{
		uint64_t *pfns;
		unsigned n = fill_zone(z, 0, &pfns);

		assert_int_equal(n, managed);
		errno = 0;
		assert_null(pa_alloc_pages(z, 0, PA_GFP_NOWARN));
		assert_int_equal(errno, ENOMEM);
		free_all(z, pfns, n, 0);
		free(pfns);
	}
	errno = 0;
	assert_null(pa_alloc_pages(z, MAX_ORDER + 1, 0));
	assert_int_equal(errno, EINVAL);
	assert_rejected(z);
	assert_all_free(z);
	th_zone_destroy(z);
}

/* ------------------------------------------------------------------ */
/* Per-CPU controls                                                    */
/* ------------------------------------------------------------------ */

static void pcp_controls(void **state)
{
	struct pa_config cfg = th_config(16, PB_ORDER, MAX_ORDER,
					 PA_CFG_NO_WATERMARKS, 2);
	struct pa_config eff;
	struct pa_zone *z;
	uint64_t pr;
	int rc;

	z = th_zone_for(state, &cfg);
	if (!z)
		return;
	pa_zone_config(z, &eff);
	assert_int_equal(pa_pcp_fill(z, 2, 4, 0), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_pcp_fill_order(z, 0, MAX_ORDER + 1, 4, 0), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_pcp_fill_order(z, 0, 4, 16, 0), -EINVAL); /* 4 is uncached */
	assert_rejected(z);
	assert_int_equal(pa_pcp_fill_order(z, 2, 0, 4, 0), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_pcp_set_high(z, 2, 4), -EINVAL);
	assert_rejected(z);
	/* fill 0 pages: nothing */
	assert_int_equal(pa_pcp_fill(z, 0, 0, 0), 0);
	rc = pa_pcp_fill(z, 0, 5, PA_GFP_MOVABLE);
	assert_true(rc >= 5);
	assert_true(rc <= 5 + (1 << PB_ORDER));
	/* spb's refills never taint a clean superpageblock (only the slow
	 * path's last pass does): a reclaimable allocation first gives the
	 * fill a tainted one to draw from */
	pr = pa_alloc_cpu(z, 0, 0, PA_GFP_RECLAIMABLE);
	assert_int_not_equal(pr, PA_NO_PFN);
	rc = pa_pcp_fill_order(z, 1, 1, 6, PA_GFP_RECLAIMABLE);
	assert_true(rc >= 6 && rc <= 6 + (1 << PB_ORDER));
	/* whole order-1 blocks, unless pcpbuddy's pageblock claim adds the
	 * rest of a pageblock */
	if (th_policy(state) == PA_POLICY_MAINLINE)
		assert_int_equal(rc % 2, 0);
	assert_int_equal(pa_free_cpu(z, 0, pr, 0), 0);
	assert_check(z);
	assert_accounting(z);
	/* set_high clamps to high_min..high_max */
	rc = pa_pcp_set_high(z, 0, 0);
	assert_true(rc >= 0);
	assert_int_equal((unsigned)rc, eff.pcp_high_min);
	rc = pa_pcp_set_high(z, 0, UINT32_MAX);
	assert_int_equal((unsigned)rc, eff.pcp_high_max);
	pa_pcp_tick(z);
	/* offline CPU: ENODEV; online again and the slot works */
	assert_int_equal(pa_cpu_offline(z, 1), 0);
	assert_int_equal(pa_pcp_fill(z, 1, 4, 0), -ENODEV);
	assert_int_equal(pa_pcp_set_high(z, 1, 4), -ENODEV);
	assert_int_equal(pa_pcp_fill_order(z, 1, 0, 4, 0), -ENODEV);
	th_zone_errors_take(z, NULL, 0);
	{
		uint64_t p = pa_alloc_cpu(z, 1, 0, 0);

		assert_int_not_equal(p, PA_NO_PFN);
		assert_int_equal(pa_free_cpu(z, 1, p, 0), 0);
	}
	assert_int_equal(pa_cpu_offline(z, 1), 0); /* twice is harmless */
	assert_int_equal(pa_cpu_offline(z, 0), 0); /* the last one too */
	{
		uint64_t p = pa_alloc(z, 3, 0);

		assert_int_not_equal(p, PA_NO_PFN);
		assert_int_equal(pa_free(z, p, 3), 0);
	}
	assert_int_equal(pa_cpu_online(z, 0), 0);
	assert_int_equal(pa_cpu_online(z, 1), 0);
	assert_int_equal(pa_cpu_online(z, 1), 0);
	th_zone_errors_take(z, NULL, 0);
	assert_all_free(z);
	th_zone_destroy(z);
}

static void pcp_controls_without_pcp(void **state)
{
	struct pa_config cfg = th_config(8, PB_ORDER, MAX_ORDER,
					 PA_CFG_NO_WATERMARKS | PA_CFG_NO_PCP, 2);
	struct pa_zone *z;

	z = th_zone_or_skip(state, &cfg);
	assert_int_equal(pa_pcp_fill(z, 0, 4, 0), -ENODEV);
	assert_int_equal(pa_pcp_fill_order(z, 0, 0, 4, 0), -ENODEV);
	assert_int_equal(pa_pcp_set_high(z, 0, 4), -ENODEV);
	th_zone_errors_take(z, NULL, 0);
	pa_pcp_tick(z);
	pa_drain(z);
	assert_int_equal(pa_drain_cpu(z, 1), 0);
	{
		uint64_t p = pa_alloc(z, 0, 0);
		struct pa_stats st;

		pa_stats(z, &st);
		assert_int_equal(st.pcp_pages, 0);
		assert_int_equal(pa_free(z, p, 0), 0);
	}
	assert_all_free(z);
	th_zone_destroy(z);
}

/* ------------------------------------------------------------------ */
/* Movable ops and migration                                           */
/* ------------------------------------------------------------------ */

struct mv_owner {
	bool refuse;
	int migrate_rc;
	unsigned isolates, migrates, putbacks;
};

static bool mv_isolate(void *o, uint64_t pfn)
{
	struct mv_owner *m = o;

	(void)pfn;
	m->isolates++;
	return !m->refuse;
}

static int mv_migrate(void *o, uint64_t dst, uint64_t src)
{
	struct mv_owner *m = o;

	(void)dst;
	(void)src;
	m->migrates++;
	return m->migrate_rc;
}

static void mv_putback(void *o, uint64_t pfn)
{
	struct mv_owner *m = o;

	(void)pfn;
	m->putbacks++;
}

static const struct pa_movable_ops mv_ops = { mv_isolate, mv_migrate,
					      mv_putback };

static void movable_errors(void **state)
{
	struct pa_config cfg = th_config(8, PB_ORDER, MAX_ORDER,
					 PA_CFG_NO_WATERMARKS, 1);
	struct pa_movable_ops half = mv_ops;
	struct mv_owner own = { 0 };
	int ids[PA_MAX_MOVABLE_OPS];
	struct pa_zone *z;
	uint64_t pfn, np = 12345;
	int id;

	z = th_zone_for(state, &cfg);
	if (!z)
		return;
	assert_int_equal(pa_register_movable_ops(z, NULL, &own), -EINVAL);
	half.putback = NULL;
	assert_int_equal(pa_register_movable_ops(z, &half, &own), -EINVAL);
	half = mv_ops; half.isolate = NULL;
	assert_int_equal(pa_register_movable_ops(z, &half, &own), -EINVAL);
	th_zone_errors_take(z, NULL, 0);
	for (unsigned i = 0; i < PA_MAX_MOVABLE_OPS; i++) {
		ids[i] = pa_register_movable_ops(z, &mv_ops, &own);
		assert_true(ids[i] > 0);
	}
	assert_int_equal(pa_register_movable_ops(z, &mv_ops, &own), -ENOSPC);
	th_zone_errors_take(z, NULL, 0);
	for (unsigned i = 1; i < PA_MAX_MOVABLE_OPS; i++)
		assert_int_equal(pa_unregister_movable_ops(z, ids[i]), 0);
	assert_int_equal(pa_unregister_movable_ops(z, ids[1]), -EINVAL);
	assert_int_equal(pa_unregister_movable_ops(z, 0), -EINVAL);
	assert_int_equal(pa_unregister_movable_ops(z, -3), -EINVAL);
	th_zone_errors_take(z, NULL, 0);
	id = ids[0];

	pfn = pa_alloc(z, 1, PA_GFP_MOVABLE);
	assert_int_not_equal(pfn, PA_NO_PFN);
	assert_int_equal(pa_set_page_movable(z, pfn + 1, id), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_set_page_movable(z, pfn, ids[2]), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_set_page_movable(z, pa_managed_pages(z), id), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_migrate_page(z, pfn, &np), -EINVAL); /* not marked */
	assert_rejected(z);
	assert_int_equal(np, 12345);
	assert_int_equal(pa_set_page_movable(z, pfn, id), 0);
	own.refuse = true;
	assert_int_equal(pa_migrate_page(z, pfn, &np), -EBUSY);
	th_zone_errors_take(z, NULL, 0);
	assert_check(z);
	own.refuse = false;
	own.migrate_rc = -EAGAIN;
	assert_int_equal(pa_migrate_page(z, pfn, &np), -EAGAIN);
	th_zone_errors_take(z, NULL, 0);
	assert_int_equal(own.putbacks, 1);
	assert_check(z);
	assert_accounting(z);
	{
		struct pa_stats st;

		pa_stats(z, &st);
		assert_int_equal(st.allocated_pages, 2);
	}
	own.migrate_rc = 0;
	assert_int_equal(pa_migrate_page(z, pfn, &np), 0);
	assert_int_not_equal(np, pfn);
	assert_int_equal(np & 1, 0);
	/* the source is free: freeing it is a double free */
	assert_int_equal(pa_free(z, pfn, 1), -EINVAL);
	assert_rejected(z);
	/* the owner cannot unregister while np is marked */
	assert_int_equal(pa_free(z, np, 1), 0);
	/* a freed block is unmarked: marking it again is refused */
	assert_int_equal(pa_set_page_movable(z, np, id), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_unregister_movable_ops(z, id), 0);
	assert_all_free(z);
	th_zone_destroy(z);
}

static void copy_block_errors(void **state)
{
	struct pa_config cfg = th_config(4, PB_ORDER, MAX_ORDER,
					 PA_CFG_NO_WATERMARKS, 1);
	struct pa_zone *z, *meta;
	uint64_t m;
	char *a, *b;

	meta = th_zone_for(state, &cfg);
	if (!meta)
		return;
	assert_int_equal(pa_copy_block(meta, 0, 4, 2), -EINVAL);
	th_zone_errors_take(meta, NULL, 0);
	th_zone_destroy(meta);
	cfg.backing = PA_BACKING_ANON;
	z = th_zone_for(state, &cfg);
	m = pa_managed_pages(z);
	assert_int_equal(pa_copy_block(z, 0, 2, 2), -EINVAL); /* overlap */
	assert_int_equal(pa_copy_block(z, 0, 1, 1), -EINVAL); /* misaligned */
	assert_int_equal(pa_copy_block(z, 0, m, 0), -EINVAL);
	assert_int_equal(pa_copy_block(z, m - 2, 0, 2), -EINVAL);
	assert_int_equal(pa_copy_block(z, 4, 4, 0), -EINVAL); /* self */
	th_zone_errors_take(z, NULL, 0);
	a = pa_pfn_to_addr(z, 8);
	b = pa_pfn_to_addr(z, 16);
	for (unsigned i = 0; i < 8 * 4096; i++)
		a[i] = (char)(i * 7 + 3);
	assert_int_equal(pa_copy_block(z, 16, 8, 3), 0);
	assert_memory_equal(a, b, 8 * 4096);
	assert_int_equal(pa_copy_block(z, m - 1, 0, 0), 0);
	th_zone_destroy(z);
}

/* ------------------------------------------------------------------ */
/* Compaction and contiguous ranges                                    */
/* ------------------------------------------------------------------ */

static void contig_odd_zone(void **state)
{
	/* 3 pageblocks of 2^3 with max_order 3: ranges above max_order */
	struct pa_config cfg = th_config(3, PB_ORDER, PB_ORDER,
					 PA_CFG_NO_WATERMARKS, 2);
	struct pa_zone *z;
	uint64_t r, r2;

	z = th_zone_for(state, &cfg);
	if (!z)
		return;
	errno = 0;
	assert_int_equal(pa_alloc_contig(z, 32, 0), PA_NO_PFN);
	assert_int_equal(errno, EINVAL);
	assert_rejected(z);
	r = pa_alloc_contig(z, 16, PA_GFP_MOVABLE);
	assert_int_equal(r, 0);
	assert_check(z);
	/* the other 8 pages remain; a second 16 cannot fit */
	errno = 0;
	assert_int_equal(pa_alloc_contig(z, 16, PA_GFP_NOWARN), PA_NO_PFN);
	assert_true(errno == ENOMEM || errno == EBUSY);
	th_zone_errors_take(z, NULL, 0);
	r2 = pa_alloc_contig(z, 8, 0);
	assert_int_equal(r2, 16);
	assert_int_equal(pa_free(z, r2, 3), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_free_contig(z, r, 8), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_free_contig(z, r + 8, 8), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_free_contig(z, r, 16), 0);
	assert_int_equal(pa_free_contig(z, r, 16), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_free_contig(z, r2, 8), 0);
	assert_all_free(z);
	/* every single page as a contig range of 1 */
	{
		uint64_t m = pa_managed_pages(z);
		uint64_t *p = calloc(m, sizeof(*p));

		for (uint64_t i = 0; i < m; i++) {
			p[i] = pa_alloc_contig(z, 1, 0);
			assert_int_not_equal(p[i], PA_NO_PFN);
		}
		assert_int_equal(pa_alloc_contig(z, 1, PA_GFP_NOWARN), PA_NO_PFN);
		assert_int_equal(pa_alloc(z, 0, PA_GFP_NOWARN), PA_NO_PFN);
		th_zone_errors_take(z, NULL, 0);
		assert_check(z);
		for (uint64_t i = 0; i < m; i++)
			assert_int_equal(pa_free_contig(z, p[i], 1), 0);
		free(p);
	}
	assert_all_free(z);
	th_zone_destroy(z);
}

static void compact_bounds(void **state)
{
	struct pa_config cfg = th_config(8, PB_ORDER, MAX_ORDER, 0, 1);
	struct pa_compact_stats cs;
	struct pa_zone *z;

	z = th_zone_for(state, &cfg);
	if (!z)
		return;
	assert_int_equal(pa_compact(z, MAX_ORDER + 1, &cs), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_compact_proactive(z, 101, NULL), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_compact(z, 0, NULL), 0);
	assert_int_equal(pa_compact(z, MAX_ORDER, &cs), 0);
	assert_int_equal(pa_compact_proactive(z, 0, &cs), 0);
	assert_int_equal(pa_compact_proactive(z, 100, NULL), 0); /* all free */
	th_zone_errors_take(z, NULL, 0);
	assert_all_free(z);
	th_zone_destroy(z);
}

/* The pointer API follows the zone's size: grown pfns get addresses,
 * shrunk ones lose them, and an address of the removed range is refused. */
static void hotplug_pointer_api(void **state)
{
	struct pa_config cfg = th_config(8, PB_ORDER, MAX_ORDER,
					 PA_CFG_NO_WATERMARKS, 2);
	const uint64_t add = (uint64_t)8 << PB_ORDER; /* pages */
	struct pa_zone *z;
	uint64_t m0;
	char *p;

	cfg.backing = PA_BACKING_ANON;
	cfg.max_bytes = 2 * cfg.bytes;
	z = th_zone_for(state, &cfg);
	if (!z)
		return;
	m0 = pa_managed_pages(z);
	assert_null(pa_pfn_to_addr(z, m0));
	assert_int_equal(pa_zone_grow(z, add * 4096), 0);
	assert_int_equal(pa_managed_pages(z), m0 + add);
	p = pa_pfn_to_addr(z, m0);
	assert_non_null(p);
	assert_int_equal(pa_addr_to_pfn(z, p), m0);
	memset(p, 0x33, add * 4096); /* the new memory is there */
	assert_int_equal(pa_zone_grow(z, 8 * 4096u << PB_ORDER), -ENOSPC);
	assert_rejected(z);
	assert_int_equal(pa_zone_shrink(z, add * 4096), 0);
	assert_int_equal(pa_managed_pages(z), m0);
	assert_null(pa_pfn_to_addr(z, m0));
	assert_int_equal(pa_addr_to_pfn(z, p), PA_NO_PFN);
	assert_int_equal(pa_free_pages(z, p, 0), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_free(z, m0, 0), -EINVAL);
	assert_rejected(z);
	assert_all_free(z);
	th_zone_destroy(z);
}

/* Pages of a contiguous range belong to the range: every per-block call on
 * them is refused, the range stays whole. */
static void contig_pieces_refused(void **state)
{
	struct pa_config cfg = th_config(8, PB_ORDER, MAX_ORDER,
					 PA_CFG_NO_WATERMARKS, 2);
	struct mv_owner own = { 0 };
	struct pa_zone *z;
	uint64_t r, np;
	int id;

	cfg.backing = PA_BACKING_ANON;
	z = th_zone_for(state, &cfg);
	if (!z)
		return;
	id = pa_register_movable_ops(z, &mv_ops, &own);
	assert_true(id > 0);
	r = pa_alloc_contig(z, 16, PA_GFP_MOVABLE);
	assert_int_not_equal(r, PA_NO_PFN);
	assert_int_equal(pa_free(z, r, 4), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_free(z, r + 1, 0), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_free_nolock(z, r, 4), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_free_pages(z, pa_pfn_to_addr(z, r), 4), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_set_page_movable(z, r, id), -EINVAL);
	assert_rejected(z);
	assert_int_equal(pa_migrate_page(z, r, &np), -EINVAL);
	assert_rejected(z);
	{
		unsigned o = 4;

		assert_int_equal(pa_free_bulk(z, 0, &r, &o, 1), 0);
		assert_rejected(z);
	}
	assert_int_equal(own.isolates, 0);
	assert_int_equal(pa_free_contig(z, r, 16), 0);
	assert_int_equal(pa_unregister_movable_ops(z, id), 0);
	assert_all_free(z);
	th_zone_destroy(z);
}

/* Offline CPUs cache nothing; draining every CPU one by one empties the
 * per-CPU lists, remote and deferred frees included. */
static void offline_and_per_cpu_drains(void **state)
{
	struct pa_config cfg = th_config(48, PB_ORDER, MAX_ORDER,
					 PA_CFG_NO_WATERMARKS, 3);
	uint64_t a[60];
	unsigned o[60];
	struct pa_stats st;
	struct pa_zone *z;

	z = th_zone_for(state, &cfg);
	if (!z)
		return;
	for (unsigned i = 0; i < 60; i++) {
		o[i] = i % 4;
		a[i] = pa_alloc_cpu(z, i % 3, o[i], i % 5 ? PA_GFP_MOVABLE : 0);
		assert_int_not_equal(a[i], PA_NO_PFN);
	}
	for (unsigned i = 0; i < 60; i++) {
		if (i % 3 == 0)
			assert_int_equal(pa_free_cpu(z, (i + 1) % 3, a[i], o[i]), 0);
		else if (i % 3 == 1)
			assert_int_equal(pa_free_nolock(z, a[i], o[i]), 0);
		else
			assert_int_equal(pa_free_bulk(z, (i + 2) % 3, &a[i], &o[i], 1), 1);
	}
	for (unsigned cpu = 0; cpu < 3; cpu++)
		assert_int_equal(pa_drain_cpu(z, cpu), 0);
	pa_stats(z, &st);
	assert_int_equal(st.pcp_pages, 0);
	assert_int_equal(st.free_pages, st.managed_pages);
	for (unsigned cpu = 0; cpu < 3; cpu++)
		assert_int_equal(pa_cpu_offline(z, cpu), 0);
	for (unsigned i = 0; i < 60; i++) {
		a[i] = pa_alloc_cpu(z, i % 3, o[i], PA_GFP_MOVABLE);
		assert_int_not_equal(a[i], PA_NO_PFN);
	}
	for (unsigned i = 0; i < 60; i++)
		assert_int_equal(pa_free_cpu(z, (i + 1) % 3, a[i], o[i]), 0);
	pa_stats(z, &st);
	assert_int_equal(st.pcp_pages, 0);
	assert_int_equal(st.free_pages, st.managed_pages);
	for (unsigned cpu = 0; cpu < 3; cpu++)
		assert_int_equal(pa_cpu_online(z, cpu), 0);
	assert_all_free(z);
	th_zone_destroy(z);
}

/* ------------------------------------------------------------------ */
/* Statistics                                                          */
/* ------------------------------------------------------------------ */

static void stats_reset_and_maps(void **state)
{
	struct pa_config cfg = th_config(5, PB_ORDER, MAX_ORDER,
					 PA_CFG_NO_WATERMARKS, 2);
	struct pa_stats a, b;
	struct pa_zone *z;
	uint8_t map[8];
	uint64_t p;

	z = th_zone_for(state, &cfg);
	if (!z)
		return;
	p = pa_alloc(z, 0, 0);
	assert_int_not_equal(p, PA_NO_PFN);
	pa_stats(z, &a);
	pa_stats_reset(z);
	pa_stats(z, &b);
	assert_int_equal(b.alloc_calls, 0);
	assert_int_equal(b.pgalloc, 0);
	assert_int_equal(b.zone_lock.acquisitions, 0);
	assert_int_equal(b.free_pages, a.free_pages);
	assert_int_equal(b.pcp_pages, a.pcp_pages);
	assert_int_equal(b.allocated_pages, a.allocated_pages);
	assert_int_equal(b.managed_pages, a.managed_pages);
	assert_int_equal(b.wmark_high, a.wmark_high);
	assert_int_equal(b.nr_pageblocks, 5);
	/* pageblock map: clamped at the end, nothing past it */
	memset(map, 0xee, sizeof(map));
	assert_int_equal(pa_pageblock_map(z, 0, map, sizeof(map)), 5);
	assert_int_equal(map[5], 0xee);
	assert_int_equal(pa_pageblock_map(z, 3, map, sizeof(map)), 2);
	assert_int_equal(pa_pageblock_map(z, 5, map, sizeof(map)), 0);
	assert_int_equal(pa_pageblock_map(z, UINT64_MAX, map, sizeof(map)), 0);
	assert_int_equal(pa_pageblock_map(z, 0, map, 0), 0);
	assert_int_equal(pa_free(z, p, 0), 0);
	pa_drain(z);
	pa_stats(z, &b);
	assert_int_equal(b.free_calls, 1);
	assert_int_equal(b.pgfree, 1);
	assert_all_free(z);
	th_zone_destroy(z);
}

/* The fragmentation indexes follow the header's formulas from the nr_free
 * counts they come with, and nr_free matches buddyinfo and pa_frag. */
static void frag_index_formulas(void **state)
{
	struct pa_config cfg = th_config(24, PB_ORDER, MAX_ORDER,
					 PA_CFG_NO_WATERMARKS, 2);
	struct th_rng rng = { th_seed("frag_index_formulas") };
	uint64_t held[256];
	unsigned orders[256], n = 0;
	struct pa_zone *z;

	z = th_zone_for(state, &cfg);
	if (!z)
		return;
	for (unsigned step = 0; step < 400; step++) {
		struct pa_frag_index fi;
		struct pa_frag fr;
		uint64_t bi[PA_FRAG_ORDERS] = { 0 };
		uint64_t free_pages = 0, free_blocks = 0, largest = UINT64_MAX;
		char *text;

		if (n < 256 && th_below(&rng, 3)) {
			unsigned o = (unsigned)th_below(&rng, MAX_ORDER + 1);
			uint64_t pfn = pa_alloc_cpu(z, (unsigned)th_below(&rng, 2), o,
						    PA_GFP_NOWARN |
						    (th_below(&rng, 2) ? PA_GFP_MOVABLE : 0));

			if (pfn != PA_NO_PFN) {
				held[n] = pfn;
				orders[n++] = o;
			}
		} else if (n) {
			unsigned i = (unsigned)th_below(&rng, n);

			assert_int_equal(pa_free(z, held[i], orders[i]), 0);
			held[i] = held[--n];
			orders[i] = orders[n];
		}
		if (step % 8)
			continue;
		assert_int_equal(pa_frag_index(z, &fi), 0);
		assert_int_equal(fi.nr_orders, MAX_ORDER + 1);
		for (unsigned o = 0; o < fi.nr_orders; o++) {
			free_pages += fi.nr_free[o] << o;
			free_blocks += fi.nr_free[o];
			if (fi.nr_free[o])
				largest = o;
		}
		for (unsigned o = fi.nr_orders; o < PA_FRAG_ORDERS; o++) {
			assert_int_equal(fi.nr_free[o], 0);
			assert_int_equal(fi.extfrag_milli[o], 0);
			assert_int_equal(fi.unusable_milli[o], 0);
		}
		for (unsigned j = 0; j < fi.nr_orders; j++) {
			uint64_t suitable = 0;
			int unusable, extfrag;

			for (unsigned o = j; o < fi.nr_orders; o++)
				suitable += fi.nr_free[o] << (o - j);
			unusable = free_pages ? (int)((free_pages - (suitable << j)) *
						      1000 / free_pages)
					      : 1000;
			if (suitable)
				extfrag = -1000;
			else if (!free_pages)
				extfrag = 0;
			else
				extfrag = 1000 - (int)((1000 + free_pages * 1000 /
							 (1ull << j)) / free_blocks);
			if (fi.unusable_milli[j] != unusable ||
			    fi.extfrag_milli[j] != extfrag)
				fail_msg("order %u: unusable %d (want %d) extfrag %d "
					 "(want %d)", j, fi.unusable_milli[j],
					 unusable, fi.extfrag_milli[j], extfrag);
		}
		/* the same counts as buddyinfo and pa_frag (no thread
		 * changes the zone in between) */
		text = th_report(z, PA_REPORT_BUDDYINFO, NULL);
		assert_non_null(text);
		assert_int_equal(th_parse_buddyinfo(text, bi, PA_FRAG_ORDERS),
				 (int)fi.nr_orders);
		free(text);
		for (unsigned o = 0; o < fi.nr_orders; o++)
			assert_int_equal(bi[o], fi.nr_free[o]);
		assert_int_equal(pa_frag(z, &fr), 0);
		assert_int_equal(fr.free_pages, free_pages);
		assert_int_equal(fr.largest_free_order, largest);
		{
			uint64_t by_mt = 0, pbs = 0;
			struct pa_stats st;

			for (unsigned t = 0; t < PA_MT_TYPES; t++) {
				by_mt += fr.free_by_mt[t];
				pbs += fr.pageblocks_by_mt[t];
			}
			pa_stats(z, &st);
			assert_int_equal(by_mt, free_pages);
			assert_int_equal(pbs, st.nr_pageblocks);
			assert_int_equal(st.free_pages, free_pages);
			assert_true(fr.free_in_whole_pageblocks <= free_pages);
			assert_int_equal(fr.free_in_whole_pageblocks,
					 fr.free_whole_pageblocks << PB_ORDER);
		}
	}
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(pa_free(z, held[i], orders[i]), 0);
	assert_all_free(z);
	th_zone_destroy(z);
}

/* pa_check's message is truncated to the buffer and terminated. */
static void check_msg_buffers(void **state)
{
	struct pa_config cfg = th_config(2, PB_ORDER, MAX_ORDER, 0, 1);
	struct pa_zone *z;
	char m[8] = "abcdefg";

	z = th_zone_for(state, &cfg);
	if (!z)
		return;
	assert_int_equal(pa_check(z, NULL, 0), 0);
	assert_int_equal(pa_check(z, m, 0), 0);
	assert_int_equal(pa_check(z, m, sizeof(m)), 0);
	assert_string_equal(m, "");
	th_zone_destroy(z);
}

/* The header: min_free_kbytes is capped at a quarter of the zone's pages
 * without error; pa_zone_config() reports it as given, pa_stats() the
 * watermark in force. */
static void min_free_kbytes_cap(void **state)
{
	struct pa_config c = th_config(16, PB_ORDER, MAX_ORDER, 0, 1), got;
	struct pa_stats st;
	struct pa_zone *z;

	c.policy = th_policy(state);
	c.min_free_kbytes = 1ull << 40; /* far above the 512 KiB zone */
	assert_int_equal(check_cfg(&c), 0);
	z = pa_zone_create(&c);
	assert_non_null(z);
	pa_zone_config(z, &got);
	assert_int_equal(got.min_free_kbytes, 1ull << 40);
	pa_stats(z, &st);
	assert_int_equal(st.wmark_min, pa_managed_pages(z) / 4);
	assert_check(z);
	pa_zone_destroy(z);
	/* below the cap: the value in pages (4 KiB), rounded down */
	c.min_free_kbytes = 22;
	z = pa_zone_create(&c);
	assert_non_null(z);
	pa_stats(z, &st);
	assert_int_equal(st.wmark_min, 22 / 4);
	pa_zone_destroy(z);
}

/* The header: under spb a non-movable fill adds nothing until a block of
 * non-movable memory was allocated (it never taints a clean
 * superpageblock), though memory is free; movable fills and the other
 * policies fill at once. */
static void pcp_fill_nonmovable_on_fresh_zone(void **state)
{
	static const unsigned gfps[] = { 0, PA_GFP_RECLAIMABLE };
	enum pa_policy pol = th_policy(state);

	for (unsigned i = 0; i < 2; i++) {
		struct pa_config c = th_config(64, PB_ORDER, MAX_ORDER, 0, 2);
		struct pa_zone *z;
		uint64_t pfn;
		int got;

		c.policy = pol;
		z = pa_zone_create(&c);
		assert_non_null(z);
		got = pa_pcp_fill(z, 0, 8, gfps[i]);
		if (pol == PA_POLICY_SPB)
			assert_int_equal(got, 0);
		else
			assert_true(got > 0);
		assert_true(pa_pcp_fill(z, 0, 8, PA_GFP_MOVABLE) > 0);
		/* an allocation of that type opens a superpageblock for it */
		pfn = pa_alloc_cpu(z, 1, 0, gfps[i]);
		assert_true(pfn != PA_NO_PFN);
		assert_true(pa_pcp_fill(z, 1, 8, gfps[i ^ 1]) > 0);
		assert_check(z);
		assert_int_equal(pa_free_cpu(z, 1, pfn, 0), 0);
		assert_all_free(z);
		pa_zone_destroy(z);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		th_policy_test(config_bounds),
		cmocka_unit_test(names),
		th_policy_test(odd_sizes_conserve),
		th_policy_test(extreme_geometry),
		th_policy_test(zone_smaller_than_max_order),
		th_policy_test(cpu_slots_bounds),
		th_policy_test(nolock_errors),
		th_policy_test(bulk_free_repeats),
		th_policy_test(bulk_bounds),
		th_policy_test(pointer_edges),
		th_policy_test(pcp_controls),
		th_policy_test(pcp_controls_without_pcp),
		th_policy_test(movable_errors),
		th_policy_test(copy_block_errors),
		th_policy_test(contig_odd_zone),
		th_policy_test(compact_bounds),
		th_policy_test(stats_reset_and_maps),
		th_policy_test(check_msg_buffers),
		th_policy_test(frag_index_formulas),
		th_policy_test(hotplug_pointer_api),
		th_policy_test(contig_pieces_refused),
		th_policy_test(offline_and_per_cpu_drains),
		th_policy_test(min_free_kbytes_cap),
		th_policy_test(pcp_fill_nonmovable_on_fresh_zone),
	};
	return th_run_policy_group("blackbox_api", tests);
}
