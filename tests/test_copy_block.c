/* SPDX-License-Identifier: MIT */
/*
 * pa_copy_block: a block's bytes land at the destination, word for word,
 * at every order and at random offsets; nothing around the destination is
 * written; bad arguments are refused without touching memory.  Contents
 * after whole migrations through it are checked by the owner tests
 * (owner.c's migrate copies with pa_copy_block).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define PAGE 4096u

/* 8 MiB backed: 2048 pages. */
static struct pa_zone *backed_zone(enum pa_backing backing)
{
	struct pa_config c = pa_config_default();

	c.bytes = 8u << 20;
	c.ncpus = 1;
	c.backing = backing;
	c.flags = PA_CFG_NO_WATERMARKS;
	return th_zone_create(&c);
}

static uint64_t word_at(uint64_t seed, uint64_t pfn, uint64_t i)
{
	return seed ^ (pfn << 32) ^ (i * 0x9e3779b97f4a7c15ull);
}

/* Every page of [pfn, pfn + n) gets a pattern naming the page. */
static void fill_pages(struct pa_zone *z, uint64_t pfn, uint64_t n,
		       uint64_t seed)
{
	for (uint64_t p = pfn; p < pfn + n; p++) {
		uint64_t *w = pa_pfn_to_addr(z, p);

		for (uint64_t i = 0; i < PAGE / 8; i++)
			w[i] = word_at(seed, p, i);
	}
}

/* Pages [pfn, pfn + n) hold what fill_pages wrote at [from, from + n). */
static void assert_pages(struct pa_zone *z, uint64_t pfn, uint64_t n,
			 uint64_t from, uint64_t seed)
{
	for (uint64_t k = 0; k < n; k++) {
		const uint64_t *w = pa_pfn_to_addr(z, pfn + k);

		for (uint64_t i = 0; i < PAGE / 8; i++)
			if (w[i] != word_at(seed, from + k, i))
				fail_msg("pfn %llu word %llu: 0x%llx",
					 (unsigned long long)(pfn + k),
					 (unsigned long long)i,
					 (unsigned long long)w[i]);
	}
}

static void test_copies_every_order(void **state)
{
	(void)state;
	struct pa_zone *z = backed_zone(PA_BACKING_ANON);
	struct th_rng r = { th_seed("copy_block orders") };
	uint64_t pages = pa_managed_pages(z);

	for (unsigned order = 0; order <= 9; order++) {
		uint64_t n = 1ull << order, slots = pages / n;
		uint64_t src = th_below(&r, slots) * n;
		uint64_t dst = th_below(&r, slots - 1) * n;
		uint64_t seed = th_next(&r);

		if (dst >= src)
			dst += n;  /* any other aligned slot */
		fill_pages(z, 0, pages, seed ^ 1);  /* the surroundings */
		fill_pages(z, src, n, seed);
		assert_int_equal(pa_copy_block(z, dst, src, order), 0);
		assert_pages(z, dst, n, src, seed);
		assert_pages(z, src, n, src, seed);
		/* the pages either side of dst are untouched */
		if (dst)
			assert_pages(z, dst - 1, 1, dst - 1,
				     dst - 1 >= src && dst - 1 < src + n ? seed : seed ^ 1);
		if (dst + n < pages)
			assert_pages(z, dst + n, 1, dst + n,
				     dst + n == src ? seed : seed ^ 1);
	}
	assert_check(z);
	th_zone_destroy(z);
}

static void test_refuses_bad_args(void **state)
{
	(void)state;
	struct pa_zone *z = backed_zone(PA_BACKING_ANON);
	uint64_t pages = pa_managed_pages(z);

	fill_pages(z, 0, pages, 7);
	/* beyond the zone, misaligned, overlapping, an order above it */
	assert_int_equal(pa_copy_block(z, pages, 0, 0), -EINVAL);
	assert_int_equal(pa_copy_block(z, 0, pages, 0), -EINVAL);
	assert_int_equal(pa_copy_block(z, pages - 4, 0, 3), -EINVAL);
	assert_int_equal(pa_copy_block(z, 8, 1, 3), -EINVAL);
	assert_int_equal(pa_copy_block(z, 5, 5, 0), -EINVAL);
	assert_int_equal(pa_copy_block(z, 0, 0, 3), -EINVAL);
	assert_int_equal(pa_copy_block(z, 0, 0, 40), -EINVAL);
	assert_int_equal(pa_copy_block(z, 0, pages / 2, 11), -EINVAL);
	assert_int_equal(th_zone_errors_take(z, NULL, 0), 8);
	assert_int_equal(pa_copy_block(z, pages / 2, 0, 10), 0);
	assert_pages(z, pages / 2, pages / 2, 0, 7);
	assert_check(z);
	th_zone_destroy(z);
	/* a zone without memory behind it */
	z = backed_zone(PA_BACKING_NONE);
	assert_int_equal(pa_copy_block(z, 1, 0, 0), -EINVAL);
	assert_int_equal(th_zone_errors_take(z, NULL, 0), 1);
	th_zone_destroy(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copies_every_order),
		cmocka_unit_test(test_refuses_bad_args),
	};

	return cmocka_run_group_tests_name("copy_block", tests, NULL, NULL);
}
