/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the public API in include/pagealloc.h: configuration,
 * zone lifetime and backings, allocation of every order, migratetypes,
 * watermarks, statistics, hooks, per-CPU lists and CPUs, movable pages.
 */
#include "helpers.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MiB (UINT64_C(1) << 20)

/*
 * Every case but the pure configuration ones runs once per policy the
 * library accepts (th_run_policy_group); a config the policy rejects (a
 * zone without per-CPU lists, under a policy that needs them) skips the
 * case, or the config in a loop: the policies that accept it cover it.
 */
#define must_create(cfg) th_zone_or_skip(state, (cfg))

static unsigned online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	if (n > PA_MAX_CPUS)
		n = PA_MAX_CPUS;
	return (unsigned)n;
}

/* ------------------------------------------------------------------ */
/* Configuration                                                       */
/* ------------------------------------------------------------------ */

static uint64_t isqrt64(uint64_t v)
{
	uint64_t r = (uint64_t)sqrt((double)v);

	while (r * r > v)
		r--;
	while ((r + 1) * (r + 1) <= v)
		r++;
	return r;
}

static uint64_t kernel_min_free_kbytes(uint64_t managed_kib)
{
	uint64_t k = isqrt64(managed_kib * 16);

	if (k < 128)
		k = 128;
	if (k > 262144)
		k = 262144;
	return k;
}

/* Every field of pa_config_default() is its default: either 0 ("the
 * default", as the header says zero means) or the documented value. */
static void test_config_default(void **state)
{
	struct pa_config c = pa_config_default();
	char msg[128];

	(void)state;
	assert_int_equal(c.bytes, 0);
	assert_int_equal(c.backing, PA_BACKING_NONE);
	assert_int_equal(c.policy, PA_POLICY_MAINLINE);
	assert_int_equal(c.flags, 0);
	assert_true(c.page_shift == 0 || c.page_shift == 12);
	assert_true(c.pageblock_order == 0 || c.pageblock_order == 9);
	assert_true(c.max_order == 0 || c.max_order == 10);
	assert_true(c.superpageblock_order == 0 ||
		    c.superpageblock_order == 18);
	assert_true(c.ncpus == 0 || c.ncpus == online_cpus());
	assert_true(c.name == NULL || strcmp(c.name, "Normal") == 0);
	assert_null(c.event_fn);
	assert_null(c.error_fn);

	/* bytes = 0 holds no pageblock: the default alone is not a zone. */
	msg[0] = '\0';
	assert_int_equal(pa_config_check(&c, msg, sizeof(msg)), -EINVAL);
	assert_true(strlen(msg) > 0);

	c.bytes = 64 * MiB;
	strcpy(msg, "stale");
	assert_int_equal(pa_config_check(&c, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	assert_int_equal(pa_config_check(&c, NULL, 0), 0);
}

/* The effective configuration resolves every default as documented. */
static void test_config_resolved(void **state)
{
	struct pa_config c = pa_config_default(), e;
	struct pa_zone *z;
	struct pa_stats st;

	(void)state;
	c.bytes = 64 * MiB;
	z = must_create(&c);
	pa_zone_config(z, &e);
	assert_int_equal(e.bytes, 64 * MiB);
	assert_int_equal(e.backing, PA_BACKING_NONE);
	assert_int_equal(e.policy, th_policy(state));
	assert_int_equal(e.page_shift, 12);
	assert_int_equal(e.pageblock_order, 9);
	assert_int_equal(e.max_order, 10);
	assert_int_equal(e.superpageblock_order, 18);
	assert_int_equal(e.ncpus, online_cpus());
	assert_non_null(e.name);
	assert_string_equal(e.name, "Normal");
	assert_int_equal(pa_managed_pages(z), (64 * MiB) >> 12);
	/* min_free_kbytes: sqrt(16 * KiB) of the zone */
	assert_int_equal(e.min_free_kbytes, kernel_min_free_kbytes(64 * 1024));
	assert_true(e.pcp_batch > 0);
	assert_true(e.pcp_high_min > 0);
	assert_true(e.pcp_high_max >= e.pcp_high_min);

	pa_stats(z, &st);
	assert_int_equal(st.managed_pages, (64 * MiB) >> 12);
	assert_int_equal(st.nr_pageblocks, (64 * MiB) >> (12 + 9));
	assert_int_equal(st.free_pages + st.pcp_pages, st.managed_pages);
	assert_int_equal(st.allocated_pages, 0);
	/* the min watermark is min_free_kbytes in pages (one zone) */
	assert_int_equal(st.wmark_min, e.min_free_kbytes >> (12 - 10));
	assert_true(st.wmark_min <= st.wmark_low);
	assert_true(st.wmark_low <= st.wmark_high);
	assert_true(st.wmark_high < st.managed_pages);
	th_zone_destroy(z);

	/* A tiny zone clamps min_free_kbytes to 128 KiB. */
	c = th_config(2, 6, 6, 0, 1); /* 2 x 256 KiB */
	z = must_create(&c);
	pa_zone_config(z, &e);
	assert_int_equal(e.min_free_kbytes, 128);
	th_zone_destroy(z);

	/* Explicit values are kept. */
	c = pa_config_default();
	c.bytes = 64 * MiB;
	c.min_free_kbytes = 2048;
	c.pcp_batch = 7;
	c.pcp_high_min = 50;
	c.pcp_high_max = 300;
	c.ncpus = 3;
	c.name = "Test";
	z = must_create(&c);
	c.name = NULL; /* the zone copied it */
	pa_zone_config(z, &e);
	assert_int_equal(e.min_free_kbytes, 2048);
	assert_int_equal(e.pcp_batch, 7);
	assert_int_equal(e.pcp_high_min, 50);
	assert_int_equal(e.pcp_high_max, 300);
	assert_int_equal(e.ncpus, 3);
	assert_string_equal(e.name, "Test");
	pa_stats(z, &st);
	assert_int_equal(st.wmark_min, 2048 / 4);
	th_zone_destroy(z);
}

struct bad_cfg {
	const char *why;
	struct pa_config c;
};

static void expect_rejected(const struct bad_cfg *b)
{
	struct th_errlog log = { 0 };
	struct pa_config c = b->c;
	char msg[256] = "";
	struct pa_zone *z;

	c.error_fn = th_errlog_fn;
	c.error_arg = &log;
	if (pa_config_check(&c, msg, sizeof(msg)) != -EINVAL)
		fail_msg("pa_config_check accepted: %s", b->why);
	if (msg[0] == '\0')
		fail_msg("no reason given for: %s", b->why);
	if (strchr(msg, '\n'))
		fail_msg("reason is not one line: %s", msg);
	errno = 0;
	z = pa_zone_create(&c);
	if (z) {
		pa_zone_destroy(z);
		fail_msg("pa_zone_create accepted: %s", b->why);
	}
	if (errno != EINVAL)
		fail_msg("%s: errno %d, not EINVAL", b->why, errno);
	if (log.count == 0)
		fail_msg("%s: error hook not called", b->why);
	assert_int_equal(log.last_err, -EINVAL);
	if (!strstr(log.last, msg))
		fail_msg("%s: hook said \"%s\", check said \"%s\"", b->why,
			 log.last, msg);
}

static void test_config_rejects(void **state)
{
	struct bad_cfg b[32];
	unsigned n = 0;
	struct pa_config base = th_config(4, 4, 6, 0, 1);

	(void)state;
#define BAD(text, stmt)                                                      \
	do {                                                                 \
		b[n].why = text;                                             \
		b[n].c = base;                                               \
		{                                                            \
			struct pa_config *c = &b[n].c;                       \
			stmt;                                                \
		}                                                            \
		n++;                                                         \
	} while (0)
	BAD("bytes 0", c->bytes = 0);
	BAD("bytes less than one pageblock",
	    c->bytes = (UINT64_C(1) << (4 + 12)) - 1);
	BAD("bytes 1", c->bytes = 1);
	BAD("page_shift 11", (c->page_shift = 11));
	BAD("page_shift 22", (c->page_shift = 22, c->bytes = UINT64_C(1) << 40));
	BAD("pageblock_order > max_order",
	    (c->pageblock_order = 7, c->max_order = 6,
	     c->superpageblock_order = 7, c->bytes = UINT64_C(1) << 30));
	BAD("max_order 21",
	    (c->max_order = 21, c->superpageblock_order = 21));
	BAD("superpageblock_order < pageblock_order",
	    (c->superpageblock_order = 3));
	BAD("ncpus > PA_MAX_CPUS", c->ncpus = PA_MAX_CPUS + 1);
	BAD("ncpus huge", c->ncpus = 0x80000000u);
	BAD("policy PA_POLICY_NR", c->policy = PA_POLICY_NR);
	BAD("policy 77", c->policy = (enum pa_policy)77);
	BAD("backing 2", c->backing = (enum pa_backing)2);
#undef BAD
	for (unsigned i = 0; i < n; i++)
		expect_rejected(&b[i]);
}

static void test_config_edges_accepted(void **state)
{
	struct pa_config c, e;
	struct pa_zone *z;

	(void)state;
	/* bytes rounds down to whole pageblocks */
	c = th_config(3, 4, 6, 0, 1);
	c.bytes += (UINT64_C(1) << (4 + 12)) / 2;
	z = must_create(&c);
	assert_int_equal(pa_managed_pages(z), 3u << 4);
	th_zone_destroy(z);

	/* pageblock_order == max_order, and the smallest pageblock */
	c = th_config(2, 1, 1, 0, 1);
	z = must_create(&c);
	assert_int_equal(pa_managed_pages(z), 4);
	th_zone_destroy(z);

	/* largest page size */
	c = th_config(2, 1, 3, 0, 1);
	c.page_shift = 21;
	c.bytes = UINT64_C(2) << (1 + 21);
	z = must_create(&c);
	assert_int_equal(pa_managed_pages(z), 4);
	th_zone_destroy(z);

	/* max_order 20 (metadata only: 4 GiB) */
	c = th_config(1, 20, 20, PA_CFG_NO_WATERMARKS, 1);
	z = must_create(&c);
	assert_int_equal(pa_managed_pages(z), UINT64_C(1) << 20);
	assert_int_not_equal(pa_alloc_cpu(z, 0, 20, 0), PA_NO_PFN);
	th_zone_destroy(z);

	/* ncpus 0 resolves to the online CPUs, PA_MAX_CPUS is allowed */
	c = th_config(2, 4, 6, 0, 0);
	c.ncpus = 0;
	z = must_create(&c);
	pa_zone_config(z, &e);
	assert_int_equal(e.ncpus, online_cpus());
	th_zone_destroy(z);
	c.ncpus = PA_MAX_CPUS;
	z = must_create(&c);
	pa_zone_config(z, &e);
	assert_int_equal(e.ncpus, PA_MAX_CPUS);
	assert_int_not_equal(pa_alloc_cpu(z, PA_MAX_CPUS - 1, 0, 0), PA_NO_PFN);
	th_zone_destroy(z);

	pa_zone_destroy(NULL);
}

static void test_names(void **state)
{
	static const char *const pol[] = { "mainline", "pcpbuddy", "spb" };
	static const char *const mt[] = { "Unmovable", "Movable", "Reclaimable",
					  "HighAtomic", "Isolate" };
	enum pa_policy p;

	(void)state;
	for (unsigned i = 0; i < PA_POLICY_NR; i++) {
		assert_string_equal(pa_policy_name((enum pa_policy)i), pol[i]);
		p = PA_POLICY_NR;
		assert_int_equal(pa_policy_parse(pol[i], &p), 0);
		assert_int_equal(p, i);
	}
	assert_null(pa_policy_name(PA_POLICY_NR));
	p = PA_POLICY_SPB;
	assert_int_equal(pa_policy_parse("bogus", &p), -EINVAL);
	assert_int_equal(pa_policy_parse("", &p), -EINVAL);
	assert_int_equal(p, PA_POLICY_SPB);
	for (unsigned i = 0; i < PA_MT_TYPES; i++)
		assert_string_equal(pa_migratetype_name(i), mt[i]);
	assert_string_equal(pa_migratetype_name(PA_MT_TYPES), "?");
	assert_string_equal(pa_migratetype_name(1000), "?");
}

/* ------------------------------------------------------------------ */
/* Backings and the pointer API                                        */
/* ------------------------------------------------------------------ */

static void test_anon_pointer_roundtrip(void **state)
{
	struct pa_config c = th_config(4, 4, 6, PA_CFG_NO_WATERMARKS, 1);
	struct pa_zone *z;
	uint64_t n, psz = UINT64_C(1) << 12;
	int stack_var = 0;
	char *base, *addr;
	void *heap;

	(void)state;
	c.backing = PA_BACKING_ANON;
	z = must_create(&c);
	n = pa_managed_pages(z);
	base = pa_pfn_to_addr(z, 0);
	assert_non_null(base);
	assert_int_equal((uintptr_t)base % psz, 0);
	for (uint64_t pfn = 0; pfn < n; pfn++) {
		addr = pa_pfn_to_addr(z, pfn);
		assert_ptr_equal(addr, base + pfn * psz);
		assert_int_equal(pa_addr_to_pfn(z, addr), pfn);
		/* any byte of the page maps back to its pfn */
		assert_int_equal(pa_addr_to_pfn(z, addr + psz - 1), pfn);
	}
	assert_null(pa_pfn_to_addr(z, n));
	assert_null(pa_pfn_to_addr(z, PA_NO_PFN));
	assert_int_equal(pa_addr_to_pfn(z, base - 1), PA_NO_PFN);
	assert_int_equal(pa_addr_to_pfn(z, base + n * psz), PA_NO_PFN);
	assert_int_equal(pa_addr_to_pfn(z, &stack_var), PA_NO_PFN);
	heap = malloc(64);
	assert_int_equal(pa_addr_to_pfn(z, heap), PA_NO_PFN);
	free(heap);
	assert_int_equal(pa_addr_to_pfn(z, NULL), PA_NO_PFN);

	/* every byte of an allocated block is writable */
	for (unsigned order = 0; order <= 6; order++) {
		char *p = pa_alloc_pages(z, order, 0);
		uint64_t pfn;

		assert_non_null(p);
		pfn = pa_addr_to_pfn(z, p);
		assert_int_not_equal(pfn, PA_NO_PFN);
		assert_int_equal(pfn % (UINT64_C(1) << order), 0);
		memset(p, 0x5a, psz << order);
		for (uint64_t i = 0; i < psz << order; i += 511)
			assert_int_equal((unsigned char)p[i], 0x5a);
		assert_int_equal(pa_free_pages(z, p, order), 0);
	}
	assert_check(z);
	th_zone_destroy(z);
}

/* Allocate the whole zone with `order`, dirty it, free it; then allocate
 * it again with and without PA_GFP_ZERO and look at the memory. */
static void test_anon_gfp_zero(void **state)
{
	struct pa_config c = th_config(2, 4, 5, PA_CFG_NO_WATERMARKS, 1);
	size_t psz = 4096;

	(void)state;
	c.backing = PA_BACKING_ANON;
	for (unsigned pcp = 0; pcp < 2; pcp++) {
		for (unsigned order = 0; order <= 5; order += 1) {
			struct pa_zone *z;
			uint64_t n, nb;
			char **blk;

			c.flags = PA_CFG_NO_WATERMARKS | (pcp ? 0 : PA_CFG_NO_PCP);
			z = th_zone_for(state, &c);
			if (!z)
				continue;
			n = pa_managed_pages(z);
			nb = n >> order;
			blk = calloc(nb, sizeof(*blk));
			assert_non_null(blk);
			for (uint64_t i = 0; i < nb; i++) {
				blk[i] = pa_alloc_pages(z, order, 0);
				assert_non_null(blk[i]);
				memset(blk[i], 0xa5, psz << order);
			}
			for (uint64_t i = 0; i < nb; i++)
				assert_int_equal(pa_free_pages(z, blk[i], order), 0);
			/* without ZERO the allocator leaves the memory alone */
			for (uint64_t i = 0; i < nb; i++) {
				blk[i] = pa_alloc_pages(z, order, PA_GFP_MOVABLE);
				assert_non_null(blk[i]);
				for (size_t k = 0; k < psz << order; k += 97)
					if ((unsigned char)blk[i][k] != 0xa5)
						fail_msg("order %u: byte %zu of a "
							 "reallocated block is "
							 "%#x, not 0xa5",
							 order, k, blk[i][k]);
			}
			for (uint64_t i = 0; i < nb; i++)
				assert_int_equal(pa_free_pages(z, blk[i], order), 0);
			for (uint64_t i = 0; i < nb; i++) {
				blk[i] = pa_alloc_pages(z, order, PA_GFP_ZERO);
				assert_non_null(blk[i]);
				for (size_t k = 0; k < psz << order; k++)
					if (blk[i][k] != 0)
						fail_msg("order %u pcp %u: byte %zu"
							 " not zeroed", order,
							 pcp, k);
			}
			for (uint64_t i = 0; i < nb; i++)
				assert_int_equal(pa_free_pages(z, blk[i], order), 0);
			assert_check(z);
			free(blk);
			th_zone_destroy(z);
		}
	}
}

static void test_pointer_api_on_metadata_zone(void **state)
{
	struct pa_config c = th_config(4, 4, 6, PA_CFG_NO_WATERMARKS, 1);
	struct pa_zone *z;
	struct pa_stats st;
	int x = 0;
	uint64_t pfn;

	(void)state;
	z = must_create(&c);
	errno = 0;
	assert_null(pa_alloc_pages(z, 0, 0));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(pa_alloc_pages(z, 2, PA_GFP_ZERO));
	assert_int_equal(errno, EINVAL);
	pa_stats(z, &st);
	assert_int_equal(st.allocated_pages, 0); /* nothing leaked */
	assert_null(pa_pfn_to_addr(z, 0));
	assert_int_equal(pa_addr_to_pfn(z, &x), PA_NO_PFN);
	pfn = pa_alloc(z, 0, 0);
	assert_int_not_equal(pfn, PA_NO_PFN);
	assert_int_equal(pa_free_pages(z, &x, 0), -EINVAL);
	assert_int_equal(pa_free_pages(z, NULL, 0), -EINVAL);
	/* PA_GFP_ZERO is ignored on metadata-only zones */
	assert_int_equal(pa_free(z, pfn, 0), 0);
	pfn = pa_alloc(z, 3, PA_GFP_ZERO);
	assert_int_not_equal(pfn, PA_NO_PFN);
	assert_int_equal(pa_free(z, pfn, 3), 0);
	assert_check(z);
	/* the four bad pointer calls reached the error hook, nothing else */
	assert_int_equal(th_zone_errors_take(z, NULL, 0), 4);
	th_zone_destroy(z);
}

/* ------------------------------------------------------------------ */
/* Allocation                                                          */
/* ------------------------------------------------------------------ */

static const unsigned mt_gfp[3] = { 0, PA_GFP_MOVABLE, PA_GFP_RECLAIMABLE };

static void alloc_every_order(void **state, struct pa_config c)
{
	struct pa_zone *z = th_zone_for(state, &c);
	uint64_t n, sum = 0;
	uint64_t pfns[32];
	struct pa_stats st;
	size_t psz = (size_t)1 << c.page_shift;

	if (!z)
		return;
	n = pa_managed_pages(z);

	for (unsigned round = 0; round < 3; round++) {
		sum = 0;
		for (unsigned o = 0; o <= c.max_order; o++) {
			/* one migratetype per round: with a different type per
			 * order, fallback claims the largest foreign block each
			 * time (as the kernel's does) and a small zone no
			 * longer has every order free at once */
			uint64_t p = pa_alloc(z, o, mt_gfp[round % 3]);

			if (p == PA_NO_PFN)
				fail_msg("order %u failed (round %u)", o, round);
			assert_int_equal(p % (UINT64_C(1) << o), 0);
			assert_true(p + (UINT64_C(1) << o) <= n);
			for (unsigned k = 0; k < o; k++) {
				uint64_t lo = pfns[k], hi = lo + (UINT64_C(1) << k);

				assert_true(hi <= p || lo >= p + (UINT64_C(1) << o));
			}
			if (c.backing == PA_BACKING_ANON) {
				char *a = pa_pfn_to_addr(z, p);

				assert_non_null(a);
				memset(a, (int)o, psz << o);
			}
			pfns[o] = p;
			sum += UINT64_C(1) << o;
			pa_stats(z, &st);
			assert_int_equal(st.allocated_pages, sum);
			assert_check(z);
		}
		for (unsigned o = 0; o <= c.max_order; o++) {
			unsigned i = (round & 1) ? o : c.max_order - o;

			if (c.backing == PA_BACKING_ANON) {
				unsigned char *a = pa_pfn_to_addr(z, pfns[i]);

				for (size_t k = 0; k < psz << i; k += 61)
					assert_int_equal(a[k], i);
			}
			assert_int_equal(pa_free(z, pfns[i], i), 0);
			assert_check(z);
		}
		pa_stats(z, &st);
		assert_int_equal(st.allocated_pages, 0);
		assert_int_equal(st.free_pages + st.pcp_pages, n);
	}
	pa_drain(z);
	pa_stats(z, &st);
	assert_int_equal(st.free_pages, n);
	th_zone_destroy(z);
}

static void test_alloc_every_order(void **state)
{
	struct pa_config c;

	(void)state;
	for (unsigned backing = 0; backing < 2; backing++) {
		/* default geometry: 16 MiB covers two max-order blocks and
		 * still leaves room for every order above the watermarks */
		c = pa_config_default();
		c.bytes = 16 * MiB;
		c.ncpus = 1;
		c.backing = (enum pa_backing)backing;
		c.page_shift = 12;
		c.pageblock_order = 9;
		c.max_order = 10;
		alloc_every_order(state, c);
		/* small geometry, no pcp */
		c = th_config(8, 3, 5, PA_CFG_NO_PCP | PA_CFG_NO_WATERMARKS, 2);
		c.backing = (enum pa_backing)backing;
		alloc_every_order(state, c);
		/* max_order far above pageblock_order; orders 0..6 at once
		 * need 127 pages: two max-order blocks */
		c = th_config(32, 2, 6, PA_CFG_NO_WATERMARKS, 1);
		c.backing = (enum pa_backing)backing;
		alloc_every_order(state, c);
	}
}

static void test_alloc_invalid(void **state)
{
	struct th_errlog log = { 0 };
	struct pa_config c = th_config(4, 4, 6, PA_CFG_NO_WATERMARKS, 2);
	struct th_snapshot snap;
	struct pa_stats st;
	struct pa_zone *z;
	uint64_t p;
	unsigned before;

	(void)state;
	c.error_fn = th_errlog_fn;
	c.error_arg = &log;
	z = must_create(&c);
	p = pa_alloc(z, 0, 0); /* something allocated, something cached */
	assert_int_not_equal(p, PA_NO_PFN);
	th_snapshot_take(z, &snap);

	struct {
		unsigned order, gfp;
	} bad[] = {
		{ 7, 0 }, { 8, PA_GFP_MOVABLE }, { 64, 0 }, { 0xffffffffu, 0 },
		{ 0, 0x100 }, { 0, PA_GFP_MASK + 1 }, { 1, 0x80000000u },
		{ 0, ~0u },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		before = log.count;
		assert_int_equal(pa_alloc(z, bad[i].order, bad[i].gfp), PA_NO_PFN);
		assert_int_equal(log.count, before + 1);
		assert_int_equal(log.last_err, -EINVAL);
		assert_true(strlen(log.last) > 0);
		assert_int_equal(pa_alloc_cpu(z, 0, bad[i].order, bad[i].gfp),
				 PA_NO_PFN);
		assert_int_equal(pa_alloc_nolock(z, bad[i].order, bad[i].gfp),
				 PA_NO_PFN);
		errno = 0;
		assert_null(pa_alloc_pages(z, bad[i].order, bad[i].gfp));
		assert_int_equal(errno, EINVAL);
	}
	/* a CPU slot that does not exist */
	before = log.count;
	assert_int_equal(pa_alloc_cpu(z, 2, 0, 0), PA_NO_PFN);
	assert_int_equal(log.count, before + 1);
	assert_int_equal(log.last_err, -EINVAL);
	assert_int_equal(pa_alloc_cpu(z, PA_MAX_CPUS, 0, 0), PA_NO_PFN);
	assert_int_equal(pa_alloc_cpu(z, ~0u, 0, 0), PA_NO_PFN);
	assert_int_equal(pa_free_cpu(z, 2, p, 0), -EINVAL);
	assert_int_equal(pa_free_cpu(z, ~0u, p, 0), -EINVAL);
	th_snapshot_assert_same(z, &snap, "invalid allocation");
	pa_stats(z, &st);
	assert_int_equal(st.alloc_failed - snap.st.alloc_failed,
			 4 * (sizeof(bad) / sizeof(bad[0])) + 3);
	/* the block the bad pa_free_cpu named is still allocated */
	assert_int_equal(pa_free_cpu(z, 1, p, 0), 0);
	assert_check(z);
	th_snapshot_free(&snap);
	th_zone_destroy(z);
}

static void test_alignment_random(void **state)
{
	struct pa_config c = th_config(8, 4, 7, PA_CFG_NO_WATERMARKS, 1);
	struct th_rng r = { th_seed("alignment") };
	uint64_t live[512][2];
	unsigned nlive = 0;
	struct pa_zone *z;

	(void)state;
	z = must_create(&c);
	for (unsigned i = 0; i < 20000; i++) {
		if (nlive < 512 && th_below(&r, 2)) {
			unsigned o = (unsigned)th_below(&r, 8);
			uint64_t p = pa_alloc(z, o, mt_gfp[th_below(&r, 3)] |
						     PA_GFP_NOWARN);

			if (p == PA_NO_PFN)
				continue;
			if (p % (UINT64_C(1) << o) != 0 ||
			    p + (UINT64_C(1) << o) > pa_managed_pages(z))
				fail_msg("order %u at pfn %" PRIu64, o, p);
			live[nlive][0] = p;
			live[nlive++][1] = o;
		} else if (nlive) {
			unsigned k = (unsigned)th_below(&r, nlive);

			assert_int_equal(pa_free(z, live[k][0], (unsigned)live[k][1]), 0);
			live[k][0] = live[nlive - 1][0];
			live[k][1] = live[--nlive][1];
		}
	}
	while (nlive--)
		assert_int_equal(pa_free(z, live[nlive][0], (unsigned)live[nlive][1]), 0);
	assert_check(z);
	th_zone_destroy(z);
}

/* ------------------------------------------------------------------ */
/* Migratetypes                                                        */
/* ------------------------------------------------------------------ */

static unsigned pb_type(struct pa_zone *z, uint64_t pfn, unsigned pbo)
{
	uint8_t cell = 0xff;

	assert_int_equal(pa_pageblock_map(z, pfn >> pbo, &cell, 1), 1);
	return cell & 0x0f;
}

static void test_migratetype_pageblocks(void **state)
{
	static const unsigned want[3] = { PA_MT_UNMOVABLE, PA_MT_MOVABLE,
					  PA_MT_RECLAIMABLE };

	(void)state;
	for (unsigned pcp = 0; pcp < 2; pcp++) {
		struct pa_config c = th_config(
			8, 4, 6, pcp ? 0 : PA_CFG_NO_PCP | PA_CFG_NO_WATERMARKS, 1);
		struct pa_zone *z;
		struct pa_frag fr;
		uint8_t map[8];
		uint64_t counts[PA_MT_TYPES] = { 0 };

		if (!th_policy_accepts(&c, th_policy(state)))
			continue;
		/* each type alone in a fresh zone, every order up to a
		 * pageblock */
		for (unsigned t = 0; t < 3; t++) {
			for (unsigned o = 0; o <= 4; o++) {
				uint64_t p;

				z = must_create(&c);
				p = pa_alloc(z, o, mt_gfp[t]);
				assert_int_not_equal(p, PA_NO_PFN);
				if (pb_type(z, p, 4) != want[t])
					fail_msg("%s order %u landed in a %s "
						 "pageblock",
						 pa_migratetype_name(want[t]), o,
						 pa_migratetype_name(
							 pb_type(z, p, 4)));
				assert_check(z);
				th_zone_destroy(z);
			}
		}
		/* all three in one zone: each in a pageblock of its type */
		z = must_create(&c);
		for (unsigned i = 0; i < 12; i++) {
			unsigned t = i % 3;
			uint64_t p = pa_alloc(z, 0, mt_gfp[t]);

			assert_int_not_equal(p, PA_NO_PFN);
			assert_int_equal(pb_type(z, p, 4), want[t]);
		}
		assert_int_equal(pa_pageblock_map(z, 0, map, 8), 8);
		assert_int_equal(pa_pageblock_map(z, 6, map, 8), 2);
		assert_int_equal(pa_pageblock_map(z, 0, map, 8), 8);
		for (unsigned i = 0; i < 8; i++) {
			assert_true((map[i] & 0x0f) < PA_MT_TYPES);
			counts[map[i] & 0x0f]++;
		}
		assert_int_equal(pa_frag(z, &fr), 0);
		for (unsigned t = 0; t < PA_MT_TYPES; t++)
			assert_int_equal(fr.pageblocks_by_mt[t], counts[t]);
		assert_check(z);
		th_zone_destroy(z);
	}
}

/* ------------------------------------------------------------------ */
/* Watermarks                                                          */
/* ------------------------------------------------------------------ */

static void test_watermarks(void **state)
{
	struct th_errlog log = { 0 };
	struct pa_config c = pa_config_default();
	struct pa_zone *z;
	struct pa_stats st;
	uint64_t *pfns, n, nalloc = 0, ordinary_floor;
	unsigned before;

	(void)state;
	c.bytes = 16 * MiB;
	c.ncpus = 1;
	c.flags = PA_CFG_NO_PCP;
	c.error_fn = th_errlog_fn;
	c.error_arg = &log;
	z = must_create(&c);
	n = pa_managed_pages(z);
	pfns = malloc(n * sizeof(*pfns));
	assert_non_null(pfns);
	pa_stats(z, &st);
	assert_true(st.wmark_min > 0);
	assert_true(st.wmark_min <= st.wmark_low);
	assert_true(st.wmark_low <= st.wmark_high);

	before = log.count;
	for (;;) {
		uint64_t p = pa_alloc(z, 0, PA_GFP_MOVABLE | PA_GFP_NOWARN);

		if (p == PA_NO_PFN)
			break;
		assert_true(nalloc < n);
		pfns[nalloc++] = p;
	}
	assert_int_equal(log.count, before); /* NOWARN */
	pa_stats(z, &st);
	ordinary_floor = st.free_pages;
	if (ordinary_floor < st.wmark_min)
		fail_msg("ordinary allocations drained the zone to %" PRIu64
			 " free pages, below min %" PRIu64,
			 ordinary_floor, st.wmark_min);
	if (ordinary_floor > st.wmark_high)
		fail_msg("ordinary allocations stopped at %" PRIu64
			 " free pages, above the high watermark %" PRIu64,
			 ordinary_floor, st.wmark_high);
	assert_int_equal(st.allocated_pages, nalloc);
	/* the failure is reported without NOWARN */
	assert_int_equal(pa_alloc(z, 0, PA_GFP_MOVABLE), PA_NO_PFN);
	assert_int_equal(log.count, before + 1);
	assert_int_equal(log.last_err, -ENOMEM);
	/* higher orders fail too */
	assert_int_equal(pa_alloc(z, 3, PA_GFP_NOWARN), PA_NO_PFN);

	/* atomic allocations may dig into the reserve */
	for (;;) {
		uint64_t p = pa_alloc(z, 0, PA_GFP_ATOMIC | PA_GFP_NOWARN);

		if (p == PA_NO_PFN)
			break;
		assert_true(nalloc < n);
		pfns[nalloc++] = p;
	}
	pa_stats(z, &st);
	if (st.free_pages >= ordinary_floor)
		fail_msg("PA_GFP_ATOMIC could not go below %" PRIu64
			 " free pages (min %" PRIu64 ")",
			 ordinary_floor, st.wmark_min);
	assert_accounting(z);
	assert_check(z);
	while (nalloc)
		assert_int_equal(pa_free(z, pfns[--nalloc], 0), 0);
	pa_stats(z, &st);
	assert_int_equal(st.free_pages, n);
	free(pfns);
	th_zone_destroy(z);
}

static void test_no_watermarks_every_page(void **state)
{
	(void)state;
	for (unsigned pcp = 0; pcp < 2; pcp++) {
		struct pa_config c = pa_config_default();
		struct pa_zone *z;
		struct pa_stats st;
		uint64_t n, got = 0;

		c.bytes = 8 * MiB;
		c.ncpus = 2;
		c.flags = PA_CFG_NO_WATERMARKS | (pcp ? 0 : PA_CFG_NO_PCP);
		if (!th_policy_accepts(&c, th_policy(state)))
			continue;
		z = must_create(&c);
		n = pa_managed_pages(z);
		pa_stats(z, &st);
		assert_int_equal(st.wmark_min, 0);
		assert_int_equal(st.wmark_low, 0);
		assert_int_equal(st.wmark_high, 0);
		while (pa_alloc_cpu(z, 0, 0, PA_GFP_NOWARN) != PA_NO_PFN)
			assert_true(++got <= n);
		assert_int_equal(got, n);
		pa_stats(z, &st);
		assert_int_equal(st.allocated_pages, n);
		assert_int_equal(st.free_pages, 0);
		assert_int_equal(st.pcp_pages, 0);
		assert_check(z);
		th_zone_destroy(z);

		/* and every max-order block */
		z = must_create(&c);
		got = 0;
		while (pa_alloc_cpu(z, 0, 10, PA_GFP_NOWARN) != PA_NO_PFN)
			got++;
		assert_int_equal(got, n >> 10);
		th_zone_destroy(z);
	}
}

/* ------------------------------------------------------------------ */
/* Statistics and hooks                                                */
/* ------------------------------------------------------------------ */

static void test_stats_accounting(void **state)
{
	struct pa_config c = th_config(16, 4, 6, 0, 2);
	struct th_rng r = { th_seed("stats") };
	struct pa_zone *z;
	struct pa_stats st0, st;
	uint64_t live[256][2], calls = 0, frees = 0, pages = 0, fpages = 0;
	unsigned nlive = 0;

	(void)state;
	c.flags = PA_CFG_NO_WATERMARKS;
	z = must_create(&c);
	pa_stats(z, &st0);
	for (unsigned i = 0; i < 5000; i++) {
		unsigned cpu = (unsigned)th_below(&r, 2);

		if (nlive < 256 && th_below(&r, 3)) {
			unsigned o = (unsigned)th_below(&r, 4);
			uint64_t p = pa_alloc_cpu(z, cpu, o, PA_GFP_NOWARN |
						  mt_gfp[th_below(&r, 3)]);

			if (p == PA_NO_PFN)
				continue;
			live[nlive][0] = p;
			live[nlive++][1] = o;
			calls++;
			pages += UINT64_C(1) << o;
		} else if (nlive) {
			unsigned k = (unsigned)th_below(&r, nlive);

			assert_int_equal(pa_free_cpu(z, cpu, live[k][0],
						     (unsigned)live[k][1]), 0);
			frees++;
			fpages += UINT64_C(1) << live[k][1];
			live[k][0] = live[nlive - 1][0];
			live[k][1] = live[--nlive][1];
		}
		if (i % 500 == 0) {
			pa_stats(z, &st);
			assert_int_equal(st.allocated_pages, pages - fpages);
			assert_int_equal(st.free_pages + st.pcp_pages +
						 st.allocated_pages,
					 st.managed_pages);
		}
	}
	pa_stats(z, &st);
	assert_int_equal(st.alloc_calls - st0.alloc_calls, calls);
	assert_int_equal(st.free_calls - st0.free_calls, frees);
	assert_int_equal(st.pgalloc - st0.pgalloc, pages);
	assert_int_equal(st.pgfree - st0.pgfree, fpages);
	assert_int_equal(st.bad_frees, 0);
	assert_int_equal(st.nr_pageblocks, 16);
	assert_int_equal(st.managed_pages, 16 << 4);
	assert_true(st.metadata_bytes > 0);
	assert_accounting(z);
	assert_check(z);
	th_zone_destroy(z);
}

/* The buddy counters count exactly.  In a zone of one max-order block
 * (order 5), an order-0 allocation splits it into pieces of orders 4..0;
 * the next order-0 allocation takes the order-0 piece, its buddy.
 * Freeing the first merges nothing (its buddy is allocated), freeing the
 * second merges back all five; then an order-3 pair splits and merges
 * two (orders 4 and 3). */
static void test_merge_split_counts(void **state)
{
	struct pa_config c = th_config(4, 3, 5, PA_CFG_NO_PCP |
				       PA_CFG_NO_WATERMARKS, 1);
	struct pa_zone *z = must_create(&c);
	struct pa_stats st0, st;
	uint64_t a, b;

	pa_stats(z, &st0);
	assert_int_equal(st0.managed_pages, 32);
	a = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);
	b = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);
	assert_int_not_equal(a, PA_NO_PFN);
	assert_int_equal(b, a ^ 1);
	pa_stats(z, &st);
	assert_int_equal(st.zone_split_pieces - st0.zone_split_pieces, 5);
	assert_int_equal(st.zone_buddy_merges - st0.zone_buddy_merges, 0);
	assert_int_equal(pa_free_cpu(z, 0, a, 0), 0);
	pa_stats(z, &st);
	assert_int_equal(st.zone_buddy_merges - st0.zone_buddy_merges, 0);
	assert_int_equal(pa_free_cpu(z, 0, b, 0), 0);
	pa_stats(z, &st);
	assert_int_equal(st.zone_buddy_merges - st0.zone_buddy_merges, 5);
	a = pa_alloc_cpu(z, 0, 3, PA_GFP_MOVABLE);
	assert_int_not_equal(a, PA_NO_PFN);
	assert_int_equal(pa_free_cpu(z, 0, a, 3), 0);
	pa_stats(z, &st);
	assert_int_equal(st.zone_split_pieces - st0.zone_split_pieces, 7);
	assert_int_equal(st.zone_buddy_merges - st0.zone_buddy_merges, 7);
	assert_int_equal(st.free_pages, 32);
	assert_check(z);
	th_zone_destroy(z);
}

/* Free pfn[i] for every i with pfn % 4 == rem. */
static void free_every_fourth(struct pa_zone *z, const uint64_t *pfn,
			      unsigned n, unsigned rem)
{
	for (unsigned i = 0; i < n; i++)
		if (pfn[i] % 4 == rem)
			assert_int_equal(pa_free_cpu(z, 0, pfn[i], 0), 0);
}

/* One unmovable allocation: the entries its fallback walked and the
 * pageblocks it claimed; the page is kept in *got. */
static void unmovable_walk(struct pa_zone *z, uint64_t *walked,
			   uint64_t *claimed, uint64_t *got)
{
	struct pa_stats st0, st;

	pa_stats(z, &st0);
	*got = pa_alloc_cpu(z, 0, 0, 0);
	assert_int_not_equal(*got, PA_NO_PFN);
	pa_stats(z, &st);
	*walked = st.zone_pb_walked - st0.zone_pb_walked;
	*claimed = st.blocks_claimed - st0.blocks_claimed;
}

/* A fallback's pageblock walks are counted one entry each.  Pageblocks
 * of 8 order-0 pages, all allocated movable, every fourth freed:
 * an unmovable allocation falls back, and the claim first counts the
 * block's movable pages (8 entries); with 2 free and no alike pages it is
 * under half, so nothing is claimed (no second walk) and a free page is
 * stolen.  Freeing three more puts the block at half, so the next
 * fallback claims it: its count walks the 8 pages and blocks now there,
 * then its move of the free blocks walks them again. */
static void test_pb_walk_counts(void **state)
{
	struct pa_config c = th_config(4, 3, 5, PA_CFG_NO_PCP |
				       PA_CFG_NO_WATERMARKS, 1);
	struct pa_zone *z = must_create(&c);
	uint64_t pfn[32], u, walked, claimed;

	for (unsigned i = 0; i < 32; i++) {
		pfn[i] = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);
		assert_int_not_equal(pfn[i], PA_NO_PFN);
	}
	free_every_fourth(z, pfn, 32, 0);
	unmovable_walk(z, &walked, &claimed, &u);
	assert_int_equal(walked, 8);
	assert_int_equal(claimed, 0);
	assert_int_equal(pa_free_cpu(z, 0, u, 0), 0);
	free_every_fourth(z, pfn, 32, 1);
	unmovable_walk(z, &walked, &claimed, &u);
	/* pfns 0-1 and 4-5 merged: 2 free blocks and 4 pages = 6 entries,
	 * walked by the count and again by the move */
	assert_int_equal(walked, 12);
	assert_int_equal(claimed, 1);
	assert_check(z);
	th_zone_destroy(z);
}

static void test_error_hook(void **state)
{
	struct th_errlog log = { 0 };
	struct pa_config c = th_config(4, 4, 6, PA_CFG_NO_WATERMARKS, 1);
	struct pa_zone *z;
	struct pa_stats st;
	uint64_t p;

	(void)state;
	c.error_fn = th_errlog_fn;
	c.error_arg = &log;
	z = must_create(&c);
	p = pa_alloc(z, 2, 0);
	assert_int_not_equal(p, PA_NO_PFN);
	assert_int_equal(log.count, 0); /* success says nothing */
	assert_int_equal(pa_free(z, p + 1, 0), -EINVAL);
	assert_int_equal(log.count, 1);
	assert_int_equal(log.last_err, -EINVAL);
	assert_true(strlen(log.last) > 0);
	assert_null(strchr(log.last, '\n'));
	assert_int_equal(pa_free(z, p, 2), 0);
	assert_int_equal(pa_free(z, p, 2), -EINVAL);
	assert_int_equal(log.count, 2);
	assert_int_equal(pa_drain_cpu(z, 9), -EINVAL);
	assert_int_equal(log.count, 3);
	pa_stats(z, &st);
	assert_int_equal(st.bad_frees, 2);
	th_zone_destroy(z);
}

/* --- events --- */

struct evlog {
	char **line;
	size_t n, cap;
};

static void ev_fn(void *arg, const char *line)
{
	struct evlog *l = arg;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->line = realloc(l->line, l->cap * sizeof(*l->line));
		if (!l->line)
			abort();
	}
	l->line[l->n++] = strdup(line);
}

static void ev_free_all(struct evlog *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->line[i]);
	free(l->line);
	memset(l, 0, sizeof(*l));
}

struct ev {
	char name[64];
	unsigned cpu;
	uint64_t pfn;
	int order, mt; /* -1 when absent */
};

static uint64_t parse_pfn(const char *s)
{
	return strncmp(s, "0x", 2) == 0 ? strtoull(s + 2, NULL, 16)
					: strtoull(s, NULL, 10);
}

/* Parse one event line in the ftrace layout; fail the test if it is not
 * in that layout. */
static void ev_parse(const char *line, struct ev *e)
{
	static const char *prefix =
		"^ *[^ ]+-[0-9]+ +\\[([0-9]{3,})\\] [^ ]{4,5} +[0-9]+\\.[0-9]{6}: "
		"([a-z_0-9]+): (.*)$";
	regex_t re;
	regmatch_t m[4];
	const char *body;
	char buf[64];

	assert_int_equal(regcomp(&re, prefix, REG_EXTENDED), 0);
	if (regexec(&re, line, 4, m, 0) != 0)
		fail_msg("event not in ftrace layout: \"%s\"", line);
	regfree(&re);
	memset(e, 0, sizeof(*e));
	e->cpu = (unsigned)strtoul(line + m[1].rm_so, NULL, 10);
	snprintf(e->name, sizeof(e->name), "%.*s",
		 (int)(m[2].rm_eo - m[2].rm_so), line + m[2].rm_so);
	body = line + m[3].rm_so;
	e->order = e->mt = -1;

#define PFN "page=[^ ]+ pfn=(0x[0-9a-f]+|[0-9]+) "
	struct {
		const char *name, *re;
	} fmt[] = {
		{ "mm_page_alloc", "^" PFN "order=([0-9]+) migratetype=([0-9]+) "
				   "gfp_flags=[^ ]*$" },
		{ "mm_page_free", "^" PFN "order=([0-9]+)$" },
		{ "mm_page_free_batched", "^" PFN "order=([0-9]+)$" },
		{ "mm_page_alloc_zone_locked",
		  "^" PFN "order=([0-9]+) migratetype=([0-9]+) "
		  "percpu_refill=[01]$" },
		{ "mm_page_pcpu_drain",
		  "^" PFN "order=([0-9]+) migratetype=([0-9]+)$" },
	};
#undef PFN
	for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		if (strcmp(e->name, fmt[i].name) != 0)
			continue;
		assert_int_equal(regcomp(&re, fmt[i].re, REG_EXTENDED), 0);
		if (regexec(&re, body, 4, m, 0) != 0)
			fail_msg("%s not in the kernel's layout: \"%s\"",
				 e->name, line);
		regfree(&re);
		snprintf(buf, sizeof(buf), "%.*s",
			 (int)(m[1].rm_eo - m[1].rm_so), body + m[1].rm_so);
		e->pfn = parse_pfn(buf);
		e->order = atoi(body + m[2].rm_so);
		if (m[3].rm_so >= 0)
			e->mt = atoi(body + m[3].rm_so);
	}
}

static void test_event_hook(void **state)
{
	struct evlog log = { 0 };
	struct pa_config c = th_config(8, 4, 6, PA_CFG_NO_WATERMARKS, 2);
	struct pa_zone *z;
	struct op {
		unsigned cpu, order, mt;
		uint64_t pfn;
	} ops[24];
	size_t nops = 0, ai = 0, fi = 0;

	(void)state;
	c.event_fn = ev_fn;
	c.event_arg = &log;
	z = must_create(&c);
	for (unsigned i = 0; i < 12; i++) {
		struct op *o = &ops[nops++];

		o->cpu = i % 2;
		o->order = i % 5;
		o->mt = i % 3;
		o->pfn = pa_alloc_cpu(z, o->cpu, o->order, mt_gfp[o->mt]);
		assert_int_not_equal(o->pfn, PA_NO_PFN);
	}
	for (unsigned i = 0; i < 12; i++)
		assert_int_equal(pa_free_cpu(z, (i + 1) % 2, ops[i].pfn,
					     ops[i].order), 0);
	pa_drain(z);

	for (size_t i = 0; i < log.n; i++) {
		struct ev e;
		static const unsigned want_mt[3] = { 0, 1, 2 };

		ev_parse(log.line[i], &e);
		if (strcmp(e.name, "mm_page_alloc") == 0) {
			if (ai >= nops)
				fail_msg("extra mm_page_alloc: %s", log.line[i]);
			assert_int_equal(e.pfn, ops[ai].pfn);
			assert_int_equal(e.order, ops[ai].order);
			assert_int_equal(e.mt, want_mt[ops[ai].mt]);
			assert_int_equal(e.cpu, ops[ai].cpu);
			ai++;
		} else if (strcmp(e.name, "mm_page_free") == 0) {
			if (fi >= nops)
				fail_msg("extra mm_page_free: %s", log.line[i]);
			assert_int_equal(e.pfn, ops[fi].pfn);
			assert_int_equal(e.order, ops[fi].order);
			assert_int_equal(e.cpu, (fi + 1) % 2);
			fi++;
		}
	}
	assert_int_equal(ai, nops);
	assert_int_equal(fi, nops);
	ev_free_all(&log);
	th_zone_destroy(z);
}

/* ------------------------------------------------------------------ */
/* Per-CPU pagesets and CPUs                                           */
/* ------------------------------------------------------------------ */

static uint64_t pcp_pages(struct pa_zone *z)
{
	struct pa_stats st;

	pa_stats(z, &st);
	return st.pcp_pages;
}

/* Allocate and free a few order-0 pages on cpu so that its list holds
 * something. */
static void fill_cpu(struct pa_zone *z, unsigned cpu)
{
	uint64_t p[4];

	for (unsigned i = 0; i < 4; i++) {
		p[i] = pa_alloc_cpu(z, cpu, 0, PA_GFP_MOVABLE);
		assert_int_not_equal(p[i], PA_NO_PFN);
	}
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(pa_free_cpu(z, cpu, p[i], 0), 0);
}

static void test_drain_and_cpus(void **state)
{
	struct pa_config c = pa_config_default();
	struct pa_zone *z;
	uint64_t p, q, n;
	struct pa_stats st;

	(void)state;
	c.bytes = 16 * MiB;
	c.ncpus = 2;
	c.flags = PA_CFG_NO_WATERMARKS;
	c.pcp_batch = 8;
	c.pcp_high_min = 64;
	c.pcp_high_max = 256;
	z = must_create(&c);
	n = pa_managed_pages(z);
	assert_true(pa_current_cpu(z) < 2);

	fill_cpu(z, 1);
	assert_true(pcp_pages(z) > 0);
	assert_int_equal(pa_drain_cpu(z, 0), 0); /* cpu 0 holds nothing */
	assert_true(pcp_pages(z) > 0);
	assert_int_equal(pa_drain_cpu(z, 1), 0);
	assert_int_equal(pcp_pages(z), 0);
	assert_int_equal(pa_drain_cpu(z, 2), -EINVAL);
	assert_int_equal(pa_drain_cpu(z, ~0u), -EINVAL);
	assert_check(z);

	fill_cpu(z, 0);
	fill_cpu(z, 1);
	pa_drain(z);
	pa_stats(z, &st);
	assert_int_equal(st.pcp_pages, 0);
	assert_int_equal(st.free_pages, n);
	assert_check(z);

	/* offline drains the CPU, and it caches nothing while offline */
	fill_cpu(z, 1);
	assert_true(pcp_pages(z) > 0);
	assert_int_equal(pa_cpu_offline(z, 1), 0);
	assert_int_equal(pcp_pages(z), 0);
	assert_check(z);
	p = pa_alloc_cpu(z, 1, 0, PA_GFP_MOVABLE);
	assert_int_not_equal(p, PA_NO_PFN);
	q = pa_alloc_cpu(z, 1, 2, 0);
	assert_int_not_equal(q, PA_NO_PFN);
	assert_int_equal(pcp_pages(z), 0);
	assert_int_equal(pa_free_cpu(z, 1, p, 0), 0);
	assert_int_equal(pa_free_cpu(z, 1, q, 2), 0);
	assert_int_equal(pcp_pages(z), 0);
	assert_check(z);
	assert_int_equal(pa_cpu_online(z, 1), 0);
	fill_cpu(z, 1);
	assert_true(pcp_pages(z) > 0);
	assert_check(z);

	assert_int_equal(pa_cpu_offline(z, 2), -EINVAL);
	assert_int_equal(pa_cpu_online(z, 2), -EINVAL);
	assert_int_equal(pa_cpu_offline(z, ~0u), -EINVAL);

	/* every CPU offline: everything goes through the zone */
	assert_int_equal(pa_cpu_offline(z, 0), 0);
	assert_int_equal(pa_cpu_offline(z, 1), 0);
	assert_int_equal(pcp_pages(z), 0);
	p = pa_alloc(z, 0, 0);
	assert_int_not_equal(p, PA_NO_PFN);
	assert_int_equal(pa_free(z, p, 0), 0);
	p = pa_alloc_nolock(z, 1, 0);
	assert_int_not_equal(p, PA_NO_PFN);
	assert_int_equal(pa_free_nolock(z, p, 1), 0);
	pa_stats(z, &st);
	assert_int_equal(st.pcp_pages, 0);
	assert_int_equal(st.free_pages, n);
	assert_check(z);
	assert_int_equal(pa_cpu_online(z, 0), 0);
	assert_int_equal(pa_cpu_online(z, 1), 0);
	fill_cpu(z, 0);
	assert_true(pcp_pages(z) > 0);
	pa_drain(z);
	assert_int_equal(pcp_pages(z), 0);
	assert_check(z);
	/* the five calls on CPU slots out of range reached the error hook, nothing else */
	assert_int_equal(th_zone_errors_take(z, NULL, 0), 5);
	th_zone_destroy(z);
}

static void test_nolock_single_thread(void **state)
{
	struct pa_config c = th_config(8, 4, 6, PA_CFG_NO_WATERMARKS, 2);
	struct pa_zone *z;
	uint64_t p[7];
	struct pa_stats st;

	(void)state;
	z = must_create(&c);
	/* one migratetype, so every order fits at once (see above); largest
	 * first, since the nolock API never drains per-CPU lists and a
	 * pageset may cache a whole pageblock for an order-0 request (as
	 * pcpbuddy does) */
	for (unsigned o = 7; o-- > 0;) {
		p[o] = pa_alloc_nolock(z, o, PA_GFP_MOVABLE);
		assert_int_not_equal(p[o], PA_NO_PFN);
		assert_int_equal(p[o] % (UINT64_C(1) << o), 0);
	}
	pa_stats(z, &st);
	assert_int_equal(st.allocated_pages, 127);
	for (unsigned o = 0; o < 7; o++)
		assert_int_equal(pa_free_nolock(z, p[o], o), 0);
	/* the NOLOCK flag is the same thing through the cpu API */
	p[0] = pa_alloc_cpu(z, 1, 3, PA_GFP_NOLOCK);
	assert_int_not_equal(p[0], PA_NO_PFN);
	assert_int_equal(pa_free_nolock(z, p[0], 3), 0);
	assert_int_equal(pa_free_nolock(z, p[0], 3), -EINVAL);
	pa_drain(z);
	pa_stats(z, &st);
	assert_int_equal(st.allocated_pages, 0);
	assert_int_equal(st.free_pages, pa_managed_pages(z));
	assert_check(z);
	/* the double free reached the error hook, nothing else */
	assert_int_equal(th_zone_errors_take(z, NULL, 0), 1);
	th_zone_destroy(z);
}

/* ------------------------------------------------------------------ */
/* Movable pages                                                       */
/* ------------------------------------------------------------------ */

struct owner {
	struct pa_zone *zone;
	bool refuse;
	int fail_err;
	unsigned isolates, migrates, putbacks;
	uint64_t last_src, last_dst, isolated;
};

static bool ow_isolate(void *arg, uint64_t pfn)
{
	struct owner *o = arg;

	o->isolates++;
	o->isolated = pfn;
	return !o->refuse;
}

static int ow_migrate(void *arg, uint64_t dst, uint64_t src)
{
	struct owner *o = arg;
	void *d = pa_pfn_to_addr(o->zone, dst), *s = pa_pfn_to_addr(o->zone, src);

	o->migrates++;
	if (o->fail_err)
		return o->fail_err;
	if (!d || !s)
		return -EFAULT;
	memcpy(d, s, 4096);
	o->last_src = src;
	o->last_dst = dst;
	return 0;
}

static void ow_putback(void *arg, uint64_t pfn)
{
	struct owner *o = arg;

	o->putbacks++;
	o->isolated = pfn;
}

static void fill_page(struct pa_zone *z, uint64_t pfn, unsigned seed)
{
	uint32_t *w = pa_pfn_to_addr(z, pfn);

	assert_non_null(w);
	for (unsigned i = 0; i < 1024; i++)
		w[i] = seed * 2654435761u + i;
}

static void assert_page(struct pa_zone *z, uint64_t pfn, unsigned seed)
{
	uint32_t *w = pa_pfn_to_addr(z, pfn);

	assert_non_null(w);
	for (unsigned i = 0; i < 1024; i++)
		if (w[i] != seed * 2654435761u + i)
			fail_msg("page %" PRIu64 " word %u lost its content",
				 pfn, i);
}

static void test_movable_migrate(void **state)
{
	struct pa_config c = pa_config_default();
	struct pa_movable_ops ops = { ow_isolate, ow_migrate, ow_putback };
	struct owner ow = { 0 };
	struct pa_zone *z;
	struct pa_stats st0, st;
	uint64_t p, np = PA_NO_PFN;
	int id;

	(void)state;
	c.bytes = 8 * MiB; /* four pageblocks */
	c.ncpus = 1;
	c.backing = PA_BACKING_ANON;
	c.flags = PA_CFG_NO_PCP;
	z = must_create(&c);
	ow.zone = z;
	id = pa_register_movable_ops(z, &ops, &ow);
	assert_true(id > 0);

	p = pa_alloc(z, 0, PA_GFP_MOVABLE);
	assert_int_not_equal(p, PA_NO_PFN);
	fill_page(z, p, 1);
	/* not movable yet */
	assert_int_equal(pa_migrate_page(z, p, &np), -EINVAL);
	assert_int_equal(ow.isolates, 0);
	assert_int_equal(pa_set_page_movable(z, p, id), 0);

	pa_stats(z, &st0);
	assert_int_equal(pa_migrate_page(z, p, &np), 0);
	assert_int_not_equal(np, p);
	assert_int_not_equal(np, PA_NO_PFN);
	assert_true(np < pa_managed_pages(z));
	assert_int_equal(ow.isolates, 1);
	assert_int_equal(ow.migrates, 1);
	assert_int_equal(ow.putbacks, 0);
	assert_int_equal(ow.last_src, p);
	assert_int_equal(ow.last_dst, np);
	assert_page(z, np, 1);
	pa_stats(z, &st);
	assert_int_equal(st.pgmigrate_success, st0.pgmigrate_success + 1);
	assert_int_equal(st.pgmigrate_fail, st0.pgmigrate_fail);
	assert_int_equal(st.allocated_pages, st0.allocated_pages);
	/* same migratetype, another pageblock (four are free) */
	assert_int_equal(pb_type(z, np, 9), PA_MT_MOVABLE);
	assert_int_not_equal(np >> 9, p >> 9);
	/* the source is free again */
	assert_int_equal(pa_free(z, p, 0), -EINVAL);
	assert_check(z);

	/* isolate refuses: -EBUSY, nothing moves, nothing changes */
	{
		struct th_snapshot snap;
		uint64_t keep = np, out = 12345;

		th_snapshot_take(z, &snap);
		ow.refuse = true;
		assert_int_equal(pa_migrate_page(z, np, &out), -EBUSY);
		assert_int_equal(ow.migrates, 1);
		assert_int_equal(ow.putbacks, 0);
		th_snapshot_assert_same(z, &snap, "refused isolate");
		assert_page(z, keep, 1);
		assert_check(z);
		th_snapshot_free(&snap);
		ow.refuse = false;
	}

	/* migrate fails: the page stays, putback is called, fail counted */
	{
		struct th_snapshot snap;

		th_snapshot_take(z, &snap);
		ow.fail_err = -EAGAIN;
		assert_int_equal(pa_migrate_page(z, np, &p), -EAGAIN);
		assert_int_equal(ow.putbacks, 1);
		assert_int_equal(ow.isolated, np);
		pa_stats(z, &st);
		assert_int_equal(st.pgmigrate_fail, snap.st.pgmigrate_fail + 1);
		assert_int_equal(st.pgmigrate_success, snap.st.pgmigrate_success);
		assert_int_equal(st.allocated_pages, snap.st.allocated_pages);
		assert_int_equal(st.free_pages, snap.st.free_pages);
		assert_page(z, np, 1);
		assert_check(z);
		th_snapshot_free(&snap);
		ow.fail_err = 0;
	}

	/* unmark: no longer migratable */
	assert_int_equal(pa_set_page_movable(z, np, 0), 0);
	assert_int_equal(pa_migrate_page(z, np, &p), -EINVAL);
	assert_int_equal(pa_free(z, np, 0), 0);
	assert_int_equal(pa_unregister_movable_ops(z, id), 0);
	pa_stats(z, &st);
	assert_int_equal(st.allocated_pages, 0);
	assert_check(z);
	/* the three -EINVAL calls reached the error hook, nothing else */
	assert_int_equal(th_zone_errors_take(z, NULL, 0), 3);
	th_zone_destroy(z);
}

static bool nop_isolate(void *o, uint64_t p)
{
	(void)o;
	(void)p;
	return true;
}

static int nop_migrate(void *o, uint64_t d, uint64_t s)
{
	(void)o;
	(void)d;
	(void)s;
	return 0;
}

static void nop_putback(void *o, uint64_t p)
{
	(void)o;
	(void)p;
}

static void test_movable_bad_input(void **state)
{
	struct pa_config c = th_config(4, 4, 6, PA_CFG_NO_WATERMARKS, 1);
	struct pa_movable_ops ops = { nop_isolate, nop_migrate, nop_putback };
	struct pa_movable_ops bad = ops;
	struct pa_zone *z;
	int ids[PA_MAX_MOVABLE_OPS];
	uint64_t p0, p1, np;
	int id;

	(void)state;
	z = must_create(&c);
	bad.isolate = NULL;
	assert_int_equal(pa_register_movable_ops(z, &bad, NULL), -EINVAL);
	bad = ops;
	bad.migrate = NULL;
	assert_int_equal(pa_register_movable_ops(z, &bad, NULL), -EINVAL);
	bad = ops;
	bad.putback = NULL;
	assert_int_equal(pa_register_movable_ops(z, &bad, NULL), -EINVAL);
	assert_int_equal(pa_register_movable_ops(z, NULL, NULL), -EINVAL);

	for (unsigned i = 0; i < PA_MAX_MOVABLE_OPS; i++) {
		ids[i] = pa_register_movable_ops(z, &ops, NULL);
		assert_true(ids[i] > 0);
		for (unsigned k = 0; k < i; k++)
			assert_int_not_equal(ids[i], ids[k]);
	}
	assert_int_equal(pa_register_movable_ops(z, &ops, NULL), -ENOSPC);
	assert_int_equal(pa_unregister_movable_ops(z, ids[3]), 0);
	id = pa_register_movable_ops(z, &ops, NULL);
	assert_true(id > 0);

	p0 = pa_alloc(z, 0, PA_GFP_MOVABLE);
	p1 = pa_alloc(z, 1, PA_GFP_MOVABLE);
	assert_int_not_equal(p0, PA_NO_PFN);
	assert_int_not_equal(p1, PA_NO_PFN);
	/* blocks of any order are movable (then unmarked again); not a
	 * block's tail, a free page, a pfn out of range */
	assert_int_equal(pa_set_page_movable(z, p1, id), 0);
	assert_int_equal(pa_set_page_movable(z, p1, 0), 0);
	assert_int_equal(pa_set_page_movable(z, p1 + 1, id), -EINVAL);
	assert_int_equal(pa_free(z, p0, 0), 0);
	assert_int_equal(pa_set_page_movable(z, p0, id), -EINVAL);
	p0 = pa_alloc(z, 0, PA_GFP_MOVABLE);
	assert_int_not_equal(p0, PA_NO_PFN);
	assert_int_equal(pa_set_page_movable(z, pa_managed_pages(z), id), -EINVAL);
	/* ids that are not registered */
	assert_int_equal(pa_set_page_movable(z, p0, -1), -EINVAL);
	assert_int_equal(pa_set_page_movable(z, p0, PA_MAX_MOVABLE_OPS + 1),
			 -EINVAL);
	assert_int_equal(pa_set_page_movable(z, p0, 1000), -EINVAL);
	/* migrate of pages that are not movable or not allocated */
	assert_int_equal(pa_migrate_page(z, p0, &np), -EINVAL);
	assert_int_equal(pa_migrate_page(z, p1, &np), -EINVAL);
	assert_int_equal(pa_migrate_page(z, pa_managed_pages(z), &np), -EINVAL);
	assert_int_equal(pa_migrate_page(z, PA_NO_PFN, &np), -EINVAL);
	/* a metadata-only zone migrates too: the callback does the copy */
	assert_int_equal(pa_set_page_movable(z, p0, id), 0);
	assert_int_equal(pa_migrate_page(z, p0, &np), 0);
	assert_int_not_equal(np, p0);
	assert_int_equal(pa_free(z, np, 0), 0);
	assert_int_equal(pa_free(z, p1, 1), 0);
	assert_check(z);
	/* every rejected call reached the error hook, nothing else */
	assert_int_equal(th_zone_errors_take(z, NULL, 0), 15);
	th_zone_destroy(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_default),
		th_policy_test(test_config_resolved),
		cmocka_unit_test(test_config_rejects),
		th_policy_test(test_config_edges_accepted),
		cmocka_unit_test(test_names),
		th_policy_test(test_anon_pointer_roundtrip),
		th_policy_test(test_anon_gfp_zero),
		th_policy_test(test_pointer_api_on_metadata_zone),
		th_policy_test(test_alloc_every_order),
		th_policy_test(test_alloc_invalid),
		th_policy_test(test_alignment_random),
		th_policy_test(test_migratetype_pageblocks),
		th_policy_test(test_watermarks),
		th_policy_test(test_no_watermarks_every_page),
		th_policy_test(test_stats_accounting),
		th_policy_test(test_merge_split_counts),
		th_policy_test(test_pb_walk_counts),
		th_policy_test(test_error_hook),
		th_policy_test(test_event_hook),
		th_policy_test(test_drain_and_cpus),
		th_policy_test(test_nolock_single_thread),
		th_policy_test(test_movable_migrate),
		th_policy_test(test_movable_bad_input),
	};

	return th_run_policy_group("zone_api", tests);
}
