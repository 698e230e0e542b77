/* SPDX-License-Identifier: MIT */
/*
 * Reclaim under concurrency (TSan in CI): threads allocate page-cache-like
 * pages into an LRU owned by a shrinker, and private pages they free
 * themselves, while one thread reclaims on request (pa_reclaim), one runs
 * the background step (pa_zone_tick) and one registers and unregisters a
 * second shrinker, checking that after pa_unregister_shrinker() returns
 * no pass is inside or ever again enters its callbacks.  The zone is
 * checked (pa_check, free + per-CPU + allocated == managed) at the end,
 * with every page freed.  About a second per policy.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "helpers.h"
#include "lru.h"

#define ALLOCATORS 3
#define PRIVATE 64
#define RUN_NS 800000000ull

struct shared {
	struct pa_zone *z;
	struct th_lru *lru;
	uint64_t deadline_ns;
	/* the registering thread's shrinker */
	unsigned inside;           /* atomic: callbacks running now */
	unsigned registered;       /* atomic: 1 while registered */
	uint64_t calls_unregistered; /* atomic: calls while not registered */
	/* failures and work, checked by the main thread */
	uint64_t bad, allocated, reclaimed, ticks, woken, cycles;
};

static bool stopped(struct shared *s)
{
	return th_stress_stop(s->deadline_ns, th_load(&s->allocated) &&
					      th_load(&s->cycles) &&
					      th_load(&s->ticks));
}

static void add(uint64_t *c, uint64_t v)
{
	__atomic_add_fetch(c, v, __ATOMIC_RELAXED);
}

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void *allocator(void *arg)
{
	struct shared *s = arg;
	uint64_t mine[PRIVATE], x = (uint64_t)(uintptr_t)&mine | 1;
	unsigned n = 0;

	while (!stopped(s)) {
		uint64_t r = rnd(&x);

		if (r % 4) {
			if (th_lru_alloc(s->lru, (unsigned)(r >> 8) % 3,
					 (r >> 12 & 1) ? PA_GFP_MOVABLE : 0) != PA_NO_PFN)
				add(&s->allocated, 1);
		} else if (n < PRIVATE && (r >> 20 & 1)) {
			uint64_t p = pa_alloc(s->z, 0, PA_GFP_NOWARN);

			if (p != PA_NO_PFN)
				mine[n++] = p;
		} else if (n) {
			if (pa_free(s->z, mine[--n], 0))
				add(&s->bad, 1);
		}
	}
	while (n)
		if (pa_free(s->z, mine[--n], 0))
			add(&s->bad, 1);
	return NULL;
}

static void *reclaimer(void *arg)
{
	struct shared *s = arg;

	while (!stopped(s)) {
		int64_t got = pa_reclaim(s->z, 48, NULL);

		if (got < 0)
			add(&s->bad, 1);
		else
			add(&s->reclaimed, (uint64_t)got);
		sched_yield();
	}
	return NULL;
}

static void *ticker(void *arg)
{
	struct shared *s = arg;

	for (uint64_t t = 0; !stopped(s); t++) {
		struct pa_tick_stats st;

		if (pa_zone_tick(s->z, t, &st))
			add(&s->bad, 1);
		add(&s->ticks, 1);
		if (st.woken)
			add(&s->woken, 1);
	}
	return NULL;
}

/* The second shrinker: holds nothing, but counts who is inside. */
static uint64_t side_count(void *arg, const struct pa_shrink_control *sc)
{
	struct shared *s = arg;

	(void)sc;
	__atomic_add_fetch(&s->inside, 1, __ATOMIC_ACQ_REL);
	if (!__atomic_load_n(&s->registered, __ATOMIC_ACQUIRE))
		add(&s->calls_unregistered, 1);
	sched_yield(); /* widen the window unregister must wait through */
	__atomic_sub_fetch(&s->inside, 1, __ATOMIC_ACQ_REL);
	return 1;
}

static uint64_t side_scan(void *arg, struct pa_shrink_control *sc)
{
	sc->nr_scanned = sc->nr_to_scan;
	return side_count(arg, sc) - 1;
}

static void *registrar(void *arg)
{
	struct shared *s = arg;

	while (!stopped(s)) {
		__atomic_store_n(&s->registered, 1, __ATOMIC_RELEASE);
		int id = pa_register_shrinker(s->z, side_count, side_scan, s);

		if (id <= 0) {
			add(&s->bad, 1);
			break;
		}
		sched_yield();
		if (pa_unregister_shrinker(s->z, id))
			add(&s->bad, 1);
		/* unregister waited for any pass using it: nobody inside */
		if (__atomic_load_n(&s->inside, __ATOMIC_ACQUIRE))
			add(&s->bad, 1);
		__atomic_store_n(&s->registered, 0, __ATOMIC_RELEASE);
		add(&s->cycles, 1);
	}
	return NULL;
}

static void reclaim_under_load(void **state)
{
	struct pa_config c = th_config(64, 4, 6, 0, 2);
	struct pa_zone *z = th_zone_or_skip(state, &c);
	struct shared s = { .z = z, .deadline_ns = th_now_ns() + RUN_NS };
	pthread_t t[ALLOCATORS + 3];
	unsigned n = 0;

	s.lru = th_lru_new(z, pa_managed_pages(z), true);
	for (unsigned i = 0; i < ALLOCATORS; i++)
		assert_int_equal(pthread_create(&t[n++], NULL, allocator, &s), 0);
	assert_int_equal(pthread_create(&t[n++], NULL, reclaimer, &s), 0);
	assert_int_equal(pthread_create(&t[n++], NULL, ticker, &s), 0);
	assert_int_equal(pthread_create(&t[n++], NULL, registrar, &s), 0);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(s.bad, 0);
	assert_int_equal(s.calls_unregistered, 0);
	assert_true(s.allocated > 0);
	assert_true(s.cycles > 0);
	assert_true(s.ticks > 0);
	struct pa_stats st;

	pa_stats(z, &st);
	/* the LRU filled the zone, so something reclaimed */
	assert_true(st.pgsteal_direct + st.pgsteal_kswapd > 0);
	assert_int_equal(st.pgsteal_direct + st.pgsteal_kswapd, s.lru->freed);
	assert_check(z);
	th_lru_destroy(s.lru);
	th_zone_destroy(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		th_policy_test(reclaim_under_load),
	};

	return th_run_policy_group("stress_reclaim", tests);
}
