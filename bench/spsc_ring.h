/* SPDX-License-Identifier: MIT */
/*
 * A bounded single-producer single-consumer ring of 64-bit values: how the
 * two-thread benchmarks hand blocks from the allocating thread to the
 * freeing one.  Bounded so the producer cannot run arbitrarily far ahead
 * (the jemalloc purge pattern keeps a limited amount in flight); each side
 * caches the other's index so the shared lines move only when needed.
 */
#ifndef PA_BENCH_SPSC_RING_H
#define PA_BENCH_SPSC_RING_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define SPSC_RING_SLOTS 1024u /* power of two */

struct spsc_ring {
	_Alignas(64) _Atomic uint64_t head; /* next slot to write (producer) */
	uint64_t tail_cache;                /* producer's view of tail */
	_Alignas(64) _Atomic uint64_t tail; /* next slot to read (consumer) */
	uint64_t head_cache;                /* consumer's view of head */
	_Alignas(64) uint64_t slot[SPSC_RING_SLOTS];
};

static inline void spsc_ring_init(struct spsc_ring *r)
{
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	r->tail_cache = 0;
	r->head_cache = 0;
}

static inline void spsc_cpu_relax(unsigned *spins)
{
	/* Spin briefly (the peer is on another CPU), then yield in case the
	 * shared machine descheduled it. */
	if (++*spins < 256) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
	} else {
		*spins = 0;
		sched_yield();
	}
}

/* Blocks (spinning) while the ring is full. */
static inline void spsc_ring_push(struct spsc_ring *r, uint64_t v)
{
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	unsigned spins = 0;
	while (h - r->tail_cache >= SPSC_RING_SLOTS) {
		r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (h - r->tail_cache >= SPSC_RING_SLOTS)
			spsc_cpu_relax(&spins);
	}
	r->slot[h & (SPSC_RING_SLOTS - 1)] = v;
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
}

/* Blocks (spinning) while the ring is empty. */
static inline uint64_t spsc_ring_pop(struct spsc_ring *r)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	unsigned spins = 0;
	while (t == r->head_cache) {
		r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
		if (t == r->head_cache)
			spsc_cpu_relax(&spins);
	}
	uint64_t v = r->slot[t & (SPSC_RING_SLOTS - 1)];
	atomic_store_explicit(&r->tail, t + 1, memory_order_release);
	return v;
}

#endif
