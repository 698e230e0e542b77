/* SPDX-License-Identifier: MIT */
/*
 * Two threads sharing CPU slot 0, allocating and freeing as fast as they
 * can: each often finds the pageset held by the other (as a preempted
 * task or an interrupt would on one CPU).  Seed 000's "fallback storm":
 * with the zone fallback of seed 003 a busy pageset sends the free to
 * zone->lock.  A policy with lock-free per-CPU lists (its pagesets own
 * blocks) queues it on the CPU's own list instead: under 5% of its frees
 * may reach the zone.  Every policy must keep exact accounting.
 */
#include "helpers.h"

#include <pthread.h>
#include <stdlib.h>

#define BATCH 8

struct worker {
	struct pa_zone *z;
	unsigned long ops;
	int failed;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	uint64_t p[BATCH];

	for (unsigned long i = 0; i < w->ops; i++) {
		for (int k = 0; k < BATCH; k++) {
			p[k] = pa_alloc_cpu(w->z, 0, 0, PA_GFP_MOVABLE | PA_GFP_NOWARN);
			if (p[k] == PA_NO_PFN)
				w->failed = 1;
		}
		for (int k = 0; k < BATCH; k++)
			if (p[k] != PA_NO_PFN && pa_free_cpu(w->z, 0, p[k], 0))
				w->failed = 1;
	}
	return NULL;
}

static void run(enum pa_policy pol)
{
	struct pa_config c = th_config(64, 9, 10, 0, 2);
	struct worker w[2];
	pthread_t t[2];
	struct pa_stats s;

	c.policy = pol;
	/* pagesets with room for a pageblock, as on any zone of a few GiB */
	c.pcp_high_min = 2048;
	c.pcp_high_max = 8192;
	if (pa_config_check(&c, NULL, 0))
		return;
	struct pa_zone *z = pa_zone_create(&c);

	assert_non_null(z);
	for (int i = 0; i < 2; i++) {
		w[i] = (struct worker){ .z = z, .ops = th_sanitized() ? 20000 : 200000 };
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		assert_false(w[i].failed);
	}
	pa_stats(z, &s);
	double share = s.pgfree ? (double)s.zone_pages_direct_free / (double)s.pgfree : 0;

	print_message("%s: %llu frees, %llu found the pageset busy, %.2f%% of pages freed straight to the zone\n",
		      pa_policy_name(pol), (unsigned long long)s.free_calls,
		      (unsigned long long)s.pcp_trylock_fallback_free, 100 * share);
	if (s.pcpb_blocks_claimed && share >= 0.05)
		fail_msg("%s: %.1f%% of frees went to the zone", pa_policy_name(pol),
			 100 * share);
	pa_drain(z);
	assert_check(z);
	pa_stats(z, &s);
	assert_int_equal(s.free_pages, s.managed_pages);
	assert_int_equal(s.pgalloc, s.pgfree);
	pa_zone_destroy(z);
}

static void two_threads_one_slot(void **state)
{
	(void)state;
	for (unsigned p = 0; p < PA_POLICY_NR; p++)
		run((enum pa_policy)p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(two_threads_one_slot),
	};

	return cmocka_run_group_tests_name("stress_same_cpu", tests, NULL, NULL);
}
