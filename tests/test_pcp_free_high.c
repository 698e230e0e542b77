/* SPDX-License-Identifier: MIT */
/*
 * The free_high rule of Linux 6.10+ (mainline pagesets): a run of small
 * high-order frees (orders 1..3) drains the pageset hard only once the CPU
 * has freed a batch plus half of high_min in a row.  free_count stops at
 * batch << 5, so a pageset whose high_min is larger than that never does:
 * the running kernel the lab replays (batch 63, high_min 6,367) drains
 * such runs only through high and the periodic decay.  Before, any run of
 * a batch drained, which made a replay of a capture move twice the pages
 * the kernel did (samples/build-small.trace.zst, a burst of slab frees).
 */
#include "helpers.h"

#define BATCH 4u

static struct pa_zone *zone(unsigned high_min)
{
	/* 64 pageblocks of 64 pages, 2 CPUs, no watermarks */
	struct pa_config c = th_config(64, 6, 7, PA_CFG_NO_WATERMARKS, 2);

	c.policy = PA_POLICY_MAINLINE;
	c.pcp_batch = BATCH;
	c.pcp_high_min = high_min;
	c.pcp_high_max = 2048;
	return th_zone_create(&c);
}

/* Allocate n order-1 blocks on CPU 1, then free them on CPU 0 in a row;
 * returns the pages drained from CPU 0 after `check` frees in *early. */
static uint64_t free_run(struct pa_zone *z, unsigned n, unsigned check,
			 uint64_t *early)
{
	uint64_t pfns[256];
	struct pa_stats s;

	assert_true(n <= 256);
	for (unsigned i = 0; i < n; i++) {
		pfns[i] = pa_alloc_cpu(z, 1, 1, PA_GFP_MOVABLE);
		assert_true(pfns[i] != PA_NO_PFN);
	}
	pa_stats_reset(z);
	for (unsigned i = 0; i < n; i++) {
		if (i == check) {
			pa_stats(z, &s);
			*early = s.zone_pages_drain;
		}
		assert_int_equal(pa_free_cpu(z, 0, pfns[i], 1), 0);
	}
	pa_stats(z, &s);
	return s.zone_pages_drain;
}

/* high_min 64: the threshold is 4 + 32 = 36 pages freed in a row. */
static void free_high_after_half_high_min(void **state)
{
	struct pa_zone *z = zone(64);
	unsigned thresh_blocks = (BATCH + 64 / 2) / 2; /* order-1 frees */
	uint64_t early = ~0ull, late;
	(void)state;

	/* 30 blocks = 60 pages stay below high (64): only free_high drains */
	late = free_run(z, 30, thresh_blocks - 1, &early);
	assert_int_equal(early, 0);
	assert_true(late > 0);
	assert_check(z);
	pa_zone_destroy(z);
}

/* high_min 512: 4 + 256 is beyond free_count's cap of 4 << 5 = 128. */
static void no_free_high_when_high_min_is_large(void **state)
{
	struct pa_zone *z = zone(512);
	uint64_t early = 0, late;
	(void)state;

	/* 200 blocks = 400 pages, below high (512) */
	late = free_run(z, 200, 100, &early);
	assert_int_equal(early, 0);
	assert_int_equal(late, 0);
	assert_check(z);
	pa_zone_destroy(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(free_high_after_half_high_min),
		cmocka_unit_test(no_free_high_when_high_min_is_large),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
