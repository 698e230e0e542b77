/* SPDX-License-Identifier: MIT */
/*
 * Reading the zone while it works: pa_stats, every report, pa_frag and the
 * pageblock map from one thread while two others allocate, free across
 * CPUs and drain.  Under ThreadSanitizer every concurrent read must be
 * well-defined; everywhere each figure must stay within bounds (a reader
 * sees each counter whole).
 */
#include "helpers.h"

#include <pthread.h>
#include <stdlib.h>

struct shared {
	struct pa_zone *z;
	unsigned long ops;
	int stop, failed;
};

static void *worker(void *arg)
{
	struct shared *sh = arg;
	static const unsigned orders[] = { 0, 0, 1, 3, 9 };
	uint64_t p[16];
	unsigned o[16];

	for (unsigned long i = 0; i < sh->ops; i++) {
		unsigned cpu = (unsigned)(i & 1);

		for (int k = 0; k < 16; k++) {
			o[k] = orders[(i + (unsigned long)k) % 5];
			p[k] = pa_alloc_cpu(sh->z, cpu, o[k], PA_GFP_MOVABLE | PA_GFP_NOWARN);
		}
		for (int k = 0; k < 16; k++)
			if (p[k] != PA_NO_PFN && pa_free_cpu(sh->z, cpu ^ 1, p[k], o[k]))
				sh->failed = 1;
		if (i % 64 == 0)
			pa_drain_cpu(sh->z, cpu);
	}
	return NULL;
}

static void *reader(void *arg)
{
	struct shared *sh = arg;
	FILE *null = fopen("/dev/null", "w");
	uint8_t map[64];

	if (!null) {
		sh->failed = 1;
		return NULL;
	}
	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
		struct pa_stats s;
		struct pa_frag f;

		pa_stats(sh->z, &s);
		/* each figure is whole (pagealloc.h promises no more under
		 * concurrency: a refill or an absorb in flight counts pages
		 * twice for a moment) */
		if (s.free_pages > s.managed_pages || s.allocated_pages > s.managed_pages)
			sh->failed = 1;
		for (int r = PA_REPORT_BUDDYINFO; r <= PA_REPORT_LOCKSTAT; r++)
			if (pa_report(sh->z, (enum pa_report)r, null))
				sh->failed = 1;
		if (pa_frag(sh->z, &f))
			sh->failed = 1;
		pa_pageblock_map(sh->z, 0, map, sizeof(map));
	}
	fclose(null);
	return NULL;
}

static void run(enum pa_policy pol)
{
	struct pa_config c = th_config(64, 9, 10, 0, 2);
	struct shared sh = { .ops = th_sanitized() ? 1500 : 20000 };
	pthread_t w[2], r;

	c.policy = pol;
	if (pa_config_check(&c, NULL, 0))
		return;
	sh.z = pa_zone_create(&c);
	assert_non_null(sh.z);
	assert_int_equal(pthread_create(&r, NULL, reader, &sh), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&w[i], NULL, worker, &sh), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(w[i], NULL);
	__atomic_store_n(&sh.stop, 1, __ATOMIC_RELEASE);
	pthread_join(r, NULL);
	assert_false(sh.failed);
	pa_drain(sh.z);
	assert_check(sh.z);
	pa_zone_destroy(sh.z);
}

static void readers_while_allocating(void **state)
{
	(void)state;
	for (unsigned p = 0; p < PA_POLICY_NR; p++)
		run((enum pa_policy)p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(readers_while_allocating),
	};

	return cmocka_run_group_tests_name("stress_stats_readers", tests, NULL, NULL);
}
