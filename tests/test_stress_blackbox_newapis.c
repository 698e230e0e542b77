/* SPDX-License-Identifier: MIT */
/*
 * test_stress_blackbox_newapis.c - black-box concurrency check from
 * include/pagealloc.h: the header says allocations, frees, reclaim,
 * background ticks, reporting, grow/shrink and contiguous allocation may
 * run at once.  Threads do all of them for a short while; afterwards the
 * zone must pass pa_check and the accounting, under every policy.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "helpers.h"

#define BB_PBS 16u
#define BB_PB_ORDER 3u
#define BB_MAX_ORDER 5u
#define BB_PB_BYTES ((uint64_t)4096 << BB_PB_ORDER)
#define BB_ROUNDS 20000u
#define BB_HELD 64u

struct bb_shared {
	struct pa_zone *zone;
	pthread_mutex_t cache_lock; /* the shrinker's cache */
	uint64_t cache[BB_HELD * 4];
	unsigned ncache;
	atomic_int stop;
};

static uint64_t bb_count(void *arg, const struct pa_shrink_control *sc)
{
	struct bb_shared *s = arg;
	unsigned n;

	(void)sc;
	pthread_mutex_lock(&s->cache_lock);
	n = s->ncache;
	pthread_mutex_unlock(&s->cache_lock);
	return n;
}

static uint64_t bb_scan(void *arg, struct pa_shrink_control *sc)
{
	struct bb_shared *s = arg;
	uint64_t freed = 0;

	pthread_mutex_lock(&s->cache_lock);
	while (freed < sc->nr_to_scan && s->ncache > 0) {
		if (pa_free(s->zone, s->cache[--s->ncache], 0) == 0)
			freed++;
	}
	pthread_mutex_unlock(&s->cache_lock);
	sc->nr_scanned = freed;
	return freed;
}

static int bb_reporter(void *arg, uint64_t pfn, unsigned order)
{
	(void)arg;
	(void)pfn;
	(void)order;
	return 0;
}

static void *bb_worker(void *arg)
{
	struct bb_shared *s = arg;
	uint64_t held[BB_HELD];
	unsigned orders[BB_HELD];
	unsigned n = 0;
	uint64_t seed = (uint64_t)(uintptr_t)&held;

	for (unsigned r = 0; r < BB_ROUNDS; r++) {
		unsigned order;
		uint64_t pfn;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		order = (unsigned)(seed >> 60) % 3;
		if (n < BB_HELD && ((seed >> 40) & 1)) {
			pfn = pa_alloc(s->zone, order,
				       PA_GFP_MOVABLE | PA_GFP_NOWARN);
			if (pfn != PA_NO_PFN) {
				held[n] = pfn;
				orders[n++] = order;
			}
		} else if (n > 0) {
			n--;
			assert_int_equal(pa_free(s->zone, held[n], orders[n]), 0);
		}
		if ((r & 31) == 0) {
			pfn = pa_alloc(s->zone, 0, PA_GFP_RECLAIMABLE | PA_GFP_NOWARN);
			if (pfn != PA_NO_PFN) {
				pthread_mutex_lock(&s->cache_lock);
				if (s->ncache < BB_HELD * 4)
					s->cache[s->ncache++] = pfn;
				else
					assert_int_equal(pa_free(s->zone, pfn, 0), 0);
				pthread_mutex_unlock(&s->cache_lock);
			}
		}
	}
	while (n > 0) {
		n--;
		assert_int_equal(pa_free(s->zone, held[n], orders[n]), 0);
	}
	return NULL;
}

static void *bb_background(void *arg)
{
	struct bb_shared *s = arg;
	uint64_t now = 1;

	while (!atomic_load(&s->stop)) {
		struct pa_tick_stats t;
		uint64_t pfn;
		int rc;

		assert_int_equal(pa_zone_tick(s->zone, now, &t), 0);
		now += 1000000;
		assert_true(pa_reclaim(s->zone, 4, NULL) >= 0);
		assert_true(pa_report_free(s->zone, 0, bb_reporter, NULL) >= 0);
		rc = pa_zone_grow(s->zone, BB_PB_BYTES);
		assert_true(rc == 0 || rc == -ENOSPC);
		rc = pa_zone_shrink(s->zone, BB_PB_BYTES);
		assert_true(rc == 0 || rc == -EBUSY || rc == -ENOMEM);
		pfn = pa_alloc_contig(s->zone, 16, PA_GFP_MOVABLE | PA_GFP_NOWARN);
		if (pfn != PA_NO_PFN)
			assert_int_equal(pa_free_contig(s->zone, pfn, 16), 0);
	}
	return NULL;
}

static void new_apis_concurrently(void **state)
{
	struct pa_config cfg = th_config(BB_PBS, BB_PB_ORDER, BB_MAX_ORDER, 0, 2);
	struct bb_shared s = { .cache_lock = PTHREAD_MUTEX_INITIALIZER };
	pthread_t w[2], bg;
	int id;

	cfg.max_bytes = 2 * BB_PBS * BB_PB_BYTES;
	s.zone = th_zone_or_skip(state, &cfg);
	id = pa_register_shrinker(s.zone, bb_count, bb_scan, &s);
	assert_true(id > 0);
	assert_int_equal(pthread_create(&bg, NULL, bb_background, &s), 0);
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&w[i], NULL, bb_worker, &s), 0);
	for (unsigned i = 0; i < 2; i++)
		pthread_join(w[i], NULL);
	atomic_store(&s.stop, 1);
	pthread_join(bg, NULL);
	assert_int_equal(pa_unregister_shrinker(s.zone, id), 0);
	assert_check(s.zone);
	assert_accounting(s.zone);
	while (s.ncache > 0)
		assert_int_equal(pa_free(s.zone, s.cache[--s.ncache], 0), 0);
	th_zone_errors_take(s.zone, NULL, 0);
	assert_check(s.zone);
	assert_accounting(s.zone);
	{
		struct pa_stats st;

		pa_stats(s.zone, &st);
		assert_int_equal(st.allocated_pages, 0);
	}
	th_zone_destroy(s.zone);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		th_policy_test(new_apis_concurrently),
	};
	return th_run_policy_group("stress_blackbox_newapis", tests);
}
