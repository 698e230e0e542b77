/* SPDX-License-Identifier: MIT */
/*
 * test_stress_blackbox_races.c - black-box races from include/pagealloc.h
 * (CI runs the stress tests under TSan):
 *  - racing frees: "every bad free returns -EINVAL and changes nothing",
 *    and every call is thread-safe, so when two threads free the same
 *    blocks at once - through different CPU slots and different entry
 *    points (pa_free_cpu, pa_free_nolock, pa_free_bulk, pa_free,
 *    pa_free_pages) - each block is freed exactly once;
 *  - the per-CPU controls (pa_pcp_fill, pa_pcp_fill_order, pa_pcp_set_high,
 *    pa_pcp_tick, pa_drain_cpu, CPU offline/online) while other threads
 *    allocate and free on the same slots.
 * Afterwards everything is freed and the zone must be whole: pa_check
 * clean, free == managed.  Under every policy.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "helpers.h"

#define RB_PBS 64u
#define RB_PB_ORDER 3u
#define RB_MAX_ORDER 5u
#define RB_NCPUS 4u
#define RB_BLOCKS 48u

/* ------------------------------------------------------------------ */
/* Racing frees                                                        */
/* ------------------------------------------------------------------ */

struct race {
	struct pa_zone *zone;
	pthread_barrier_t start, done;
	uint64_t pfn[RB_BLOCKS];
	unsigned order[RB_BLOCKS];
	atomic_uint wins[RB_BLOCKS];
	unsigned rounds;
	bool backed;
};

struct racer {
	struct race *r;
	unsigned id;
};

/* Free block i one of five ways, chosen by racer, round and block. */
static int race_free(struct race *r, unsigned id, unsigned round, unsigned i)
{
	unsigned how = (id * 3 + round + i) % 5;
	unsigned cpu = (id + i) % RB_NCPUS;

	switch (how) {
	case 0:
		return pa_free_cpu(r->zone, cpu, r->pfn[i], r->order[i]);
	case 1:
		return pa_free_nolock(r->zone, r->pfn[i], r->order[i]);
	case 2: {
		int n = pa_free_bulk(r->zone, cpu, &r->pfn[i], &r->order[i], 1);

		return n == 1 ? 0 : n == 0 ? -EINVAL : n;
	}
	case 3:
		if (r->backed)
			return pa_free_pages(r->zone,
					     pa_pfn_to_addr(r->zone, r->pfn[i]),
					     r->order[i]);
		/* fall through */
	default:
		return pa_free(r->zone, r->pfn[i], r->order[i]);
	}
}

static void *racer_main(void *arg)
{
	struct racer *me = arg;
	struct race *r = me->r;

	for (unsigned round = 0; round < r->rounds; round++) {
		pthread_barrier_wait(&r->start);
		for (unsigned k = 0; k < RB_BLOCKS; k++) {
			/* one racer walks forward, the other backward, so
			 * they meet mid-array as well as at its ends */
			unsigned i = me->id ? RB_BLOCKS - 1 - k : k;
			int rc = race_free(r, me->id, round, i);

			if (rc == 0)
				atomic_fetch_add(&r->wins[i], 1);
			else if (rc != -EINVAL)
				atomic_fetch_add(&r->wins[i], 100);
		}
		pthread_barrier_wait(&r->done);
	}
	return NULL;
}

static void racing_frees_win_once(void **state)
{
	struct pa_config cfg = th_config(RB_PBS, RB_PB_ORDER, RB_MAX_ORDER,
					 PA_CFG_NO_WATERMARKS, RB_NCPUS);
	struct race *r = calloc(1, sizeof(*r));
	struct racer rc[2];
	pthread_t t[2];
	struct th_rng rng = { th_seed("racing_frees_win_once") };
	struct pa_stats st;

	assert_non_null(r);
	cfg.backing = PA_BACKING_ANON;
	r->zone = th_zone_or_skip(state, &cfg);
	r->backed = true;
	r->rounds = th_sanitized() ? 150 : 1500;
	pthread_barrier_init(&r->start, NULL, 3);
	pthread_barrier_init(&r->done, NULL, 3);
	for (unsigned i = 0; i < 2; i++) {
		rc[i] = (struct racer){ r, i };
		assert_int_equal(pthread_create(&t[i], NULL, racer_main, &rc[i]), 0);
	}
	for (unsigned round = 0; round < r->rounds; round++) {
		for (unsigned i = 0; i < RB_BLOCKS; i++) {
			unsigned order = (unsigned)th_below(&rng, 4);
			unsigned gfp = (unsigned)th_below(&rng, 3) == 0
					       ? 0 : PA_GFP_MOVABLE;
			uint64_t pfn = pa_alloc_cpu(r->zone,
						    (unsigned)th_below(&rng, RB_NCPUS),
						    order, gfp);

			assert_int_not_equal(pfn, PA_NO_PFN);
			r->pfn[i] = pfn;
			r->order[i] = order;
			atomic_store(&r->wins[i], 0);
		}
		pthread_barrier_wait(&r->start);
		pthread_barrier_wait(&r->done);
		for (unsigned i = 0; i < RB_BLOCKS; i++)
			if (atomic_load(&r->wins[i]) != 1)
				fail_msg("round %u: block pfn %llu order %u freed "
					 "%u times (100s: an error other than "
					 "-EINVAL)", round,
					 (unsigned long long)r->pfn[i],
					 r->order[i], atomic_load(&r->wins[i]));
		if (round % 64 == 0) {
			pa_stats(r->zone, &st);
			assert_int_equal(st.allocated_pages, 0);
		}
	}
	for (unsigned i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&r->start);
	pthread_barrier_destroy(&r->done);
	/* every loser was refused and reported */
	pa_stats(r->zone, &st);
	assert_int_equal(st.bad_frees, (uint64_t)r->rounds * RB_BLOCKS);
	assert_true(th_zone_errors_take(r->zone, NULL, 0) >= 1);
	pa_drain(r->zone);
	pa_stats(r->zone, &st);
	assert_int_equal(st.allocated_pages, 0);
	assert_int_equal(st.free_pages, st.managed_pages);
	th_zone_destroy(r->zone);
	free(r);
}

/* ------------------------------------------------------------------ */
/* Per-CPU controls against allocation                                 */
/* ------------------------------------------------------------------ */

#define PC_HELD 128u

struct pcs {
	struct pa_zone *zone;
	atomic_int stop;
	atomic_uint_fast64_t work;
	atomic_uint_fast64_t ctl;
	atomic_int bad_free, bad_ctl; /* set in threads, asserted by main */
};

static void *pcs_worker(void *arg)
{
	struct pcs *s = arg;
	uint64_t held[PC_HELD];
	unsigned orders[PC_HELD], n = 0;
	struct th_rng rng = { (uint64_t)(uintptr_t)&held };

	while (!atomic_load(&s->stop) || n) {
		bool stopping = atomic_load(&s->stop);

		if (!stopping && n < PC_HELD && th_below(&rng, 2)) {
			unsigned order = (unsigned)th_below(&rng, 4);
			unsigned gfp = (unsigned[]){ 0, PA_GFP_MOVABLE,
						     PA_GFP_RECLAIMABLE }
						     [th_below(&rng, 3)];
			uint64_t pfn;

			if (th_below(&rng, 8) == 0) {
				unsigned got = pa_alloc_bulk(
					s->zone, PA_CPU_CURRENT, order,
					gfp | PA_GFP_NOWARN, 1, &pfn);
				if (!got)
					pfn = PA_NO_PFN;
			} else {
				pfn = pa_alloc_cpu(s->zone,
						   (unsigned)th_below(&rng, RB_NCPUS),
						   order, gfp | PA_GFP_NOWARN);
			}
			if (pfn != PA_NO_PFN) {
				held[n] = pfn;
				orders[n++] = order;
			}
		} else if (n) {
			unsigned i = (unsigned)th_below(&rng, n);

			if (pa_free_cpu(s->zone,
					(unsigned)th_below(&rng, RB_NCPUS),
					held[i], orders[i]) != 0)
				atomic_store(&s->bad_free, 1);
			held[i] = held[--n];
			orders[i] = orders[n];
		}
		atomic_fetch_add(&s->work, 1);
	}
	return NULL;
}

static void *pcs_controller(void *arg)
{
	struct pcs *s = arg;
	struct th_rng rng = { 7 };

	while (!atomic_load(&s->stop)) {
		unsigned cpu = (unsigned)th_below(&rng, RB_NCPUS);
		int rc = 0;

		switch (th_below(&rng, 7)) {
		case 0:
			rc = pa_pcp_fill(s->zone, cpu, (unsigned)th_below(&rng, 64),
					 PA_GFP_MOVABLE);
			break;
		case 1:
			rc = pa_pcp_fill_order(s->zone, cpu,
					       (unsigned)th_below(&rng, 4),
					       (unsigned)th_below(&rng, 64), 0);
			break;
		case 2:
			rc = pa_pcp_set_high(s->zone, cpu,
					     (unsigned)th_below(&rng, 1024));
			break;
		case 3:
			pa_pcp_tick(s->zone);
			break;
		case 4:
			rc = pa_drain_cpu(s->zone, cpu);
			break;
		case 5:
			/* keep CPU 0 online: the workers' slots change */
			if (cpu)
				rc = pa_cpu_offline(s->zone, cpu);
			break;
		default:
			rc = pa_cpu_online(s->zone, cpu);
			break;
		}
		/* -ENODEV: an offline CPU; anything else is a bug */
		if (rc < 0 && rc != -ENODEV)
			atomic_store(&s->bad_ctl, rc);
		atomic_fetch_add(&s->ctl, 1);
	}
	return NULL;
}

static void pcp_controls_under_load(void **state)
{
	struct pa_config cfg = th_config(RB_PBS, RB_PB_ORDER, RB_MAX_ORDER,
					 PA_CFG_NO_WATERMARKS, RB_NCPUS);
	struct pcs s = { 0 };
	pthread_t w[3], c;
	uint64_t deadline;
	struct pa_stats st;

	s.zone = th_zone_for(state, &cfg);
	if (!s.zone)
		return;
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&w[i], NULL, pcs_worker, &s), 0);
	assert_int_equal(pthread_create(&c, NULL, pcs_controller, &s), 0);
	deadline = th_now_ns() + 1000000000ull;
	while (!th_stress_stop(deadline, atomic_load(&s.work) > 2000 &&
					  atomic_load(&s.ctl) > 200))
		usleep(10000);
	atomic_store(&s.stop, 1);
	pthread_join(c, NULL);
	for (unsigned i = 0; i < 3; i++)
		pthread_join(w[i], NULL);
	assert_true(atomic_load(&s.work) > 2000);
	assert_int_equal(atomic_load(&s.bad_free), 0);
	assert_int_equal(atomic_load(&s.bad_ctl), 0);
	for (unsigned cpu = 0; cpu < RB_NCPUS; cpu++)
		assert_int_equal(pa_cpu_online(s.zone, cpu), 0);
	th_zone_errors_take(s.zone, NULL, 0); /* ENODEV reports */
	assert_check(s.zone);
	pa_drain(s.zone);
	pa_stats(s.zone, &st);
	assert_int_equal(st.allocated_pages, 0);
	assert_int_equal(st.free_pages, st.managed_pages);
	th_zone_destroy(s.zone);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		th_policy_test(racing_frees_win_once),
		th_policy_test(pcp_controls_under_load),
	};
	return th_run_policy_group("stress_blackbox_races", tests);
}
