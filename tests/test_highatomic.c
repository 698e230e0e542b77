/* SPDX-License-Identifier: MIT */
/*
 * The highatomic reserve and the watermarks: a high-order atomic success
 * sets its pageblock aside (up to ~1% of the zone, whole pageblocks),
 * ordinary allocations leave reserved blocks and the min watermark alone,
 * atomic ones may dig below min, and an ordinary allocation that would
 * fail gets the reserve back.  pa_check verifies the reserve's bookkeeping
 * (pageblocks of type HighAtomic == reserved pages) after every step.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pagealloc.h"

static void check(struct pa_zone *z)
{
	char msg[256];

	if (pa_check(z, msg, sizeof(msg)))
		fail_msg("pa_check: %s", msg);
}

/* 512 MiB: 256 pageblocks, so 1% rounds up to 3 reserved pageblocks */
static struct pa_zone *zone(unsigned flags)
{
	struct pa_config c = pa_config_default();

	c.bytes = 512ull << 20;
	c.ncpus = 1;
	c.flags = flags | PA_CFG_NO_PCP;
	struct pa_zone *z = pa_zone_create(&c);

	assert_non_null(z);
	return z;
}

static uint64_t pageblocks_of_type(struct pa_zone *z, unsigned mt)
{
	uint8_t map[256];
	uint64_t n = pa_pageblock_map(z, 0, map, 256), k = 0;

	for (uint64_t i = 0; i < n; i++)
		k += (map[i] & 0x0f) == mt;
	return k;
}

static void atomic_high_order_reserves_its_block(void **state)
{
	(void)state;
	struct pa_zone *z = zone(0);
	struct pa_stats s;

	uint64_t p = pa_alloc(z, 3, PA_GFP_ATOMIC);

	assert_int_not_equal(p, PA_NO_PFN);
	pa_stats(z, &s);
	assert_int_equal(s.highatomic_blocks, 1);
	assert_int_equal(pageblocks_of_type(z, PA_MT_HIGHATOMIC), 1);
	check(z);
	/* order-0 atomic requests do not reserve */
	uint64_t q = pa_alloc(z, 0, PA_GFP_ATOMIC);

	pa_stats(z, &s);
	assert_int_equal(s.highatomic_blocks, 1);
	/* the next high-order atomic request is served from the reserve */
	uint64_t r = pa_alloc(z, 3, PA_GFP_ATOMIC);

	assert_int_equal(r >> 9, p >> 9);
	pa_stats(z, &s);
	assert_int_equal(s.highatomic_blocks, 1);
	assert_int_equal(pa_free(z, p, 3), 0);
	assert_int_equal(pa_free(z, q, 0), 0);
	assert_int_equal(pa_free(z, r, 3), 0);
	/* freed pages go back to the reserved block's own list */
	pa_stats(z, &s);
	assert_int_equal(s.highatomic_blocks, 1);
	check(z);
	pa_zone_destroy(z);
}

static void reserve_is_capped(void **state)
{
	(void)state;
	struct pa_zone *z = zone(0);
	struct pa_stats s;
	uint64_t managed = pa_managed_pages(z);
	uint64_t cap = ((managed / 100) + 511) / 512; /* pageblocks */
	uint64_t p[16];

	/* each atomic order-9 success may reserve its own block, up to the
	 * cap; a reservation is refused once the cap is reached */
	for (int i = 0; i < 16; i++) {
		p[i] = pa_alloc(z, 9, PA_GFP_ATOMIC);
		assert_int_not_equal(p[i], PA_NO_PFN);
		check(z);
	}
	pa_stats(z, &s);
	assert_int_equal(s.highatomic_blocks, cap);
	for (int i = 0; i < 16; i++)
		assert_int_equal(pa_free(z, p[i], 9), 0);
	check(z);
	pa_zone_destroy(z);
}

static void ordinary_allocations_leave_reserve_and_min_alone(void **state)
{
	(void)state;
	struct pa_zone *z = zone(PA_CFG_NO_WATERMARKS);
	struct pa_stats s;

	pa_zone_destroy(z);
	z = zone(0);
	pa_stats(z, &s);
	uint64_t min = s.wmark_min;

	assert_true(min > 0);
	uint64_t ha = pa_alloc(z, 3, PA_GFP_ATOMIC);

	assert_int_not_equal(ha, PA_NO_PFN);
	/* exhaust with ordinary order-0 allocations */
	uint64_t n = 0, cap = pa_managed_pages(z);
	uint64_t *p = malloc(sizeof(*p) * cap);

	assert_non_null(p);
	for (;;) {
		uint64_t q = pa_alloc(z, 0, PA_GFP_NOWARN);

		if (q == PA_NO_PFN)
			break;
		p[n++] = q;
	}
	pa_stats(z, &s);
	/* order-0 requests stop exactly at min: first held back by the
	 * reserve, then the slow path gives it back and they use it too */
	assert_int_equal(s.free_pages, min);
	assert_int_equal(s.highatomic_blocks, 0);
	uint64_t free_before_atomic = s.free_pages;

	/* atomic requests may go below min */
	uint64_t extra = 0;

	for (;;) {
		uint64_t q = pa_alloc(z, 0, PA_GFP_ATOMIC | PA_GFP_NOWARN);

		if (q == PA_NO_PFN)
			break;
		p[n++] = q;
		extra++;
	}
	assert_true(extra > 0);
	pa_stats(z, &s);
	assert_true(s.free_pages < free_before_atomic);
	assert_true(s.free_pages < min);
	check(z);
	for (uint64_t i = 0; i < n; i++)
		assert_int_equal(pa_free(z, p[i], 0), 0);
	assert_int_equal(pa_free(z, ha, 3), 0);
	pa_stats(z, &s);
	assert_int_equal(s.free_pages, s.managed_pages);
	check(z);
	free(p);
	pa_zone_destroy(z);
}

static void failing_allocation_gets_the_reserve_back(void **state)
{
	(void)state;
	struct pa_zone *z = zone(PA_CFG_NO_WATERMARKS);
	struct pa_stats s;
	uint64_t managed = pa_managed_pages(z);
	uint64_t *p = malloc(sizeof(*p) * managed);
	uint64_t n = 0;

	assert_non_null(p);
	uint64_t ha = pa_alloc(z, 3, PA_GFP_ATOMIC);

	assert_int_equal(pa_free(z, ha, 3), 0);
	pa_stats(z, &s);
	assert_int_equal(s.highatomic_blocks, 1);
	/* ordinary order-0 allocations until nothing is left: the last ones
	 * can only succeed by taking the reserved block back */
	for (;;) {
		uint64_t q = pa_alloc(z, 0, PA_GFP_NOWARN);

		if (q == PA_NO_PFN)
			break;
		p[n++] = q;
	}
	assert_int_equal(n, managed);
	pa_stats(z, &s);
	assert_int_equal(s.highatomic_blocks, 0);
	assert_int_equal(pageblocks_of_type(z, PA_MT_HIGHATOMIC), 0);
	check(z);
	for (uint64_t i = 0; i < n; i++)
		assert_int_equal(pa_free(z, p[i], 0), 0);
	check(z);
	free(p);
	pa_zone_destroy(z);
}

/* Regression: an atomic block spanning two reserved pageblocks, still
 * allocated when the reserve is given back, had one pageblock retyped and
 * not the other, so its free put it on one list across two types. */
static void spanning_block_returned_whole(void **state)
{
	(void)state;
	struct pa_zone *z = zone(PA_CFG_NO_WATERMARKS);
	struct pa_stats s;
	uint64_t managed = pa_managed_pages(z), n = 0;
	uint64_t *p = malloc(sizeof(*p) * managed);

	assert_non_null(p);
	uint64_t ha = pa_alloc(z, 10, PA_GFP_ATOMIC);

	assert_int_not_equal(ha, PA_NO_PFN);
	pa_stats(z, &s);
	assert_int_equal(s.highatomic_blocks, 2);
	/* ordinary allocations until the reserve is given back: the first
	 * that fails does it (and fails: the block is still allocated) */
	while (s.highatomic_blocks == 2) {
		uint64_t q = pa_alloc(z, 0, PA_GFP_NOWARN);

		if (q != PA_NO_PFN)
			p[n++] = q;
		pa_stats(z, &s);
	}
	/* both pageblocks of the block, together */
	assert_int_equal(s.highatomic_blocks, 0);
	assert_int_equal(pageblocks_of_type(z, PA_MT_HIGHATOMIC), 0);
	check(z);
	assert_int_equal(pa_free(z, ha, 10), 0);
	check(z);
	for (uint64_t i = 0; i < n; i++)
		assert_int_equal(pa_free(z, p[i], 0), 0);
	check(z);
	free(p);
	pa_zone_destroy(z);
}

/* Regression: a free block spanning two reserved pageblocks, given back,
 * was listed without merging, so it stayed apart from its free buddy: an
 * allocation of the next order that only the merge can serve failed. */
static void returned_free_block_merges(void **state)
{
	(void)state;
	struct pa_config c = pa_config_default();

	c.bytes = 512ull << 20;
	c.ncpus = 1;
	c.max_order = 11;
	c.flags = PA_CFG_NO_PCP | PA_CFG_NO_WATERMARKS;
	struct pa_zone *z = pa_zone_create(&c);
	uint64_t n11 = pa_managed_pages(z) >> 11, held[256], k = 0;

	assert_non_null(z);
	uint64_t a = pa_alloc(z, 10, PA_GFP_ATOMIC);

	assert_int_not_equal(a, PA_NO_PFN);
	/* every other order-11 block, without a failure (which would give
	 * the reserve back early) */
	for (; k + 1 < n11 && k < 256; k++) {
		held[k] = pa_alloc(z, 11, PA_GFP_NOWARN);
		assert_int_not_equal(held[k], PA_NO_PFN);
	}
	assert_int_equal(pa_free(z, a, 10), 0);
	check(z);
	/* only a and its buddy together make an order-11 block */
	uint64_t big = pa_alloc(z, 11, PA_GFP_NOWARN);

	assert_int_equal(big, a & ~((1ull << 11) - 1));
	check(z);
	assert_int_equal(pa_free(z, big, 11), 0);
	while (k--)
		assert_int_equal(pa_free(z, held[k], 11), 0);
	check(z);
	pa_zone_destroy(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(atomic_high_order_reserves_its_block),
		cmocka_unit_test(reserve_is_capped),
		cmocka_unit_test(ordinary_allocations_leave_reserve_and_min_alone),
		cmocka_unit_test(failing_allocation_gets_the_reserve_back),
		cmocka_unit_test(spanning_block_returned_whole),
		cmocka_unit_test(returned_free_block_merges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
