/* SPDX-License-Identifier: MIT */
/*
 * Spin/try locks that keep their own statistics: acquisitions, contended
 * acquisitions, failed trylocks, wait and hold time.  zone->lock traffic is
 * the figure the seeds argue about, so it is always measured; per-CPU locks
 * are timed only on request (PA_CFG_LOCK_TIMING) to keep the fast path lean.
 *
 * Waiters spin briefly and then yield: in user space the holder can be
 * preempted, and a pure spinlock would burn the waiter's whole time slice.
 * Statistics are written only by the holder (trylock failures by atomic
 * increment), and read with relaxed atomics by pa_stats() at any time.
 */
#ifndef PA_LOCK_H
#define PA_LOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "pagealloc.h"

/* A lock word's bits: held, and a pageset's "parked" mark on an rseq
 * zone (rseq.c), which release keeps; other locks never set it. */
#define PA_LOCK_HELD   1u
#define PA_LOCK_PARKED 2u

struct pa_lock {
	uint32_t locked;          /* PA_LOCK_*: 0 free, 1 held; atomic */
	bool timed;               /* measure hold/wait times */
	uint64_t t_acquired;      /* clock at acquisition (holder only) */
	uint64_t acquisitions;
	uint64_t contentions;
	uint64_t trylock_fails;   /* atomic: written by non-holders */
	uint64_t wait_cycles;
	uint64_t hold_cycles;
	uint64_t hold_max_cycles;
};

/* Monotonic cycle counter: TSC on x86-64, nanoseconds elsewhere. */
uint64_t pa_clock(void);
/* Nanoseconds per pa_clock() unit, measured since `t0_clock`/`t0_ns`. */
double pa_clock_ns_per_tick(uint64_t t0_clock, uint64_t t0_ns);
uint64_t pa_now_ns(void);

void pa_lock_init(struct pa_lock *l, bool timed);
void pa_lock_acquire(struct pa_lock *l);
/* Out-of-line halves of the inline fast paths below. */
void pa_lock_try_failed_(struct pa_lock *l);
void pa_lock_release_timed_(struct pa_lock *l);
/* Snapshot into the public struct, converting ticks with ns_per_tick. */
void pa_lock_read(const struct pa_lock *l, double ns_per_tick,
		  struct pa_lock_stats *out);
/* Zero the statistics (the lock itself is untouched). */
void pa_lock_stats_reset(struct pa_lock *l);
/* Sum b into a (for per-CPU totals). */
void pa_lock_stats_add(struct pa_lock_stats *a, const struct pa_lock_stats *b);

#define STAT_LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
/* Single-writer counter update: the writer holds the protecting lock, but
 * readers may look at any time, so the store must be atomic. */
#define STAT_ADD(x, v) \
	__atomic_store_n(&(x), STAT_LOAD(x) + (v), __ATOMIC_RELAXED)
/* Multi-writer counter update. */
#define STAT_INC_SHARED(x, v) __atomic_fetch_add(&(x), (v), __ATOMIC_RELAXED)

static inline bool pa_lock_try_once_(struct pa_lock *l)
{
	uint32_t expect = 0;

	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) == 0 &&
	       __atomic_compare_exchange_n(&l->locked, &expect, 1, 0,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/* Inline: the per-CPU fast path takes and drops a lock on every call. */
static inline bool pa_lock_try(struct pa_lock *l)
{
	if (__builtin_expect(!pa_lock_try_once_(l), 0)) {
		pa_lock_try_failed_(l);
		return false;
	}
	STAT_ADD(l->acquisitions, 1);
	if (l->timed)
		l->t_acquired = pa_clock();
	return true;
}

static inline void pa_lock_release(struct pa_lock *l)
{
	if (l->timed)
		pa_lock_release_timed_(l);
	else
		__atomic_store_n(&l->locked,
				 __atomic_load_n(&l->locked, __ATOMIC_RELAXED) &
					 PA_LOCK_PARKED,
				 __ATOMIC_RELEASE);
}

#endif
