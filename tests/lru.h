/* SPDX-License-Identifier: MIT */
/*
 * lru.h - a page-cache-like owner for the reclaim tests: blocks allocated
 * through it sit on a FIFO list (oldest first) and its shrinker frees them
 * from the old end when asked.  Each block can be marked referenced: a
 * scan that meets it clears the mark and moves it to the young end
 * (second chance) instead of freeing it, as the kernel's LRU does.
 * Thread-safe: one mutex guards the list; it is never held across
 * pa_alloc (which may reclaim and so call the scan), only across pa_free.
 * Counts every callback for the tests.
 */
#ifndef PA_TEST_LRU_H
#define PA_TEST_LRU_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "pagealloc.h"

struct th_lru_entry {
	uint64_t pfn;
	unsigned order;
	bool referenced;
};

struct th_lru {
	struct pa_zone *z;
	pthread_mutex_t lock;
	struct th_lru_entry *e;      /* ring of cap entries */
	uint64_t cap, head, n;       /* oldest at head */
	int id;                      /* shrinker id, 0 if not registered */
	/* counted under lock (read them after the pass) */
	uint64_t count_calls, scan_calls, scanned, freed;
	uint64_t max_batch;          /* largest nr_to_scan seen */
	struct pa_shrink_control last_sc;
	/* hooks for the tests, run inside scan before freeing (no lock) */
	void (*in_scan)(struct th_lru *l, struct pa_shrink_control *sc);
	void *hook_arg;
	bool free_nothing;           /* scan frees nothing (all busy) */
};

/* A list of up to cap blocks on zone z; registered as a shrinker if
 * `reg`.  Fails the test on error. */
struct th_lru *th_lru_new(struct pa_zone *z, uint64_t cap, bool reg);
/* Unregister, free every block, free the list. */
void th_lru_destroy(struct th_lru *l);
/* Allocate a block of order with gfp and put it at the young end: its
 * pfn, PA_NO_PFN when the zone (or the list) is full. */
uint64_t th_lru_alloc(struct th_lru *l, unsigned order, unsigned gfp);
/* Fill the list with order-0 blocks until the zone is full or an
 * allocation fails; how many. */
uint64_t th_lru_fill(struct th_lru *l, unsigned gfp);
/* Mark every stride-th block referenced, from the oldest. */
void th_lru_reference(struct th_lru *l, uint64_t stride);
/* Blocks on the list now. */
uint64_t th_lru_len(struct th_lru *l);

/* The shrinker callbacks (registered by th_lru_new). */
uint64_t th_lru_count(void *arg, const struct pa_shrink_control *sc);
uint64_t th_lru_scan(void *arg, struct pa_shrink_control *sc);

#endif
