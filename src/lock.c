/* SPDX-License-Identifier: MIT */
#include "lock.h"

#include <sched.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define cpu_relax() _mm_pause()
uint64_t pa_clock(void)
{
	return __rdtsc();
}
#else
#define cpu_relax() __asm__ __volatile__("" ::: "memory")
uint64_t pa_clock(void)
{
	return pa_now_ns();
}
#endif

uint64_t pa_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

double pa_clock_ns_per_tick(uint64_t t0_clock, uint64_t t0_ns)
{
	uint64_t c = pa_clock(), n = pa_now_ns();

	if (c <= t0_clock || n <= t0_ns)
		return 1.0;
	return (double)(n - t0_ns) / (double)(c - t0_clock);
}

void pa_lock_init(struct pa_lock *l, bool timed)
{
	*l = (struct pa_lock){ .timed = timed };
}

#define try_once pa_lock_try_once_

void pa_lock_acquire(struct pa_lock *l)
{
	if (__builtin_expect(try_once(l), 1)) {
		STAT_ADD(l->acquisitions, 1);
		if (l->timed)
			l->t_acquired = pa_clock();
		return;
	}
	uint64_t t0 = pa_clock();
	unsigned spins = 0;

	while (!try_once(l)) {
		if (++spins < 128)
			cpu_relax();
		else
			sched_yield();
	}
	uint64_t t1 = pa_clock();

	STAT_ADD(l->acquisitions, 1);
	STAT_ADD(l->contentions, 1);
	STAT_ADD(l->wait_cycles, t1 - t0);
	l->t_acquired = t1;
}

void pa_lock_try_failed_(struct pa_lock *l)
{
	STAT_INC_SHARED(l->trylock_fails, 1);
}

void pa_lock_release_timed_(struct pa_lock *l)
{
	uint64_t held = pa_clock() - l->t_acquired;

	STAT_ADD(l->hold_cycles, held);
	if (held > STAT_LOAD(l->hold_max_cycles))
		__atomic_store_n(&l->hold_max_cycles, held, __ATOMIC_RELAXED);
	__atomic_store_n(&l->locked,
			 __atomic_load_n(&l->locked, __ATOMIC_RELAXED) & PA_LOCK_PARKED,
			 __ATOMIC_RELEASE);
}

void pa_lock_read(const struct pa_lock *l, double ns_per_tick,
		  struct pa_lock_stats *out)
{
	out->acquisitions = STAT_LOAD(l->acquisitions);
	out->contentions = STAT_LOAD(l->contentions);
	out->trylock_fails = STAT_LOAD(l->trylock_fails);
	out->wait_ns = (uint64_t)((double)STAT_LOAD(l->wait_cycles) * ns_per_tick);
	out->hold_ns = (uint64_t)((double)STAT_LOAD(l->hold_cycles) * ns_per_tick);
	out->hold_max_ns =
		(uint64_t)((double)STAT_LOAD(l->hold_max_cycles) * ns_per_tick);
}

void pa_lock_stats_reset(struct pa_lock *l)
{
	__atomic_store_n(&l->acquisitions, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->contentions, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->trylock_fails, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->wait_cycles, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->hold_cycles, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->hold_max_cycles, 0, __ATOMIC_RELAXED);
}

void pa_lock_stats_add(struct pa_lock_stats *a, const struct pa_lock_stats *b)
{
	a->acquisitions += b->acquisitions;
	a->contentions += b->contentions;
	a->trylock_fails += b->trylock_fails;
	a->wait_ns += b->wait_ns;
	a->hold_ns += b->hold_ns;
	if (b->hold_max_ns > a->hold_max_ns)
		a->hold_max_ns = b->hold_max_ns;
}
