/* SPDX-License-Identifier: MIT */
/*
 * The benchmarks' random numbers: splitmix64, seeded explicitly, so a
 * workload is the same on every machine and every run.
 */
#ifndef PA_BENCH_RNG_H
#define PA_BENCH_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s;
};

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform enough in [0, n) for workloads; n > 0. */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return rng_next(r) % n;
}

#endif
