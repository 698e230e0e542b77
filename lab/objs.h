/* SPDX-License-Identifier: MIT */
/*
 * objs - a scenario's set of live blocks or objects (key, order, the CPU
 * that allocated it), for picking one at random (removal swaps in the
 * last) or, for a set used in age order only, taking the oldest.
 * Bookkeeping of the generators, the same for every policy.
 */
#ifndef PA_LAB_OBJS_H
#define PA_LAB_OBJS_H

#include <stddef.h>
#include <stdint.h>

/* One element, together: a random pick touches one cache line, not one
 * per field (on a 256 GiB `server` run the generator thread's picks were
 * over half its time, in cache misses). */
struct obj {
	uint64_t key;
	uint16_t cpu;
	uint8_t order;
};

struct objs {
	struct obj *e;     /* the elements are e[first .. first + n) */
	size_t first, n, cap;
	uint64_t pages;    /* sum of 2^order */
	size_t ahead;      /* the next random pick, drawn one pick early so
	                    * its element can be prefetched (scen_load.c) */
};

/* Add one (aborts when the arrays cannot grow: a generator cannot go on
 * with a partial set). */
void objs_push(struct objs *o, uint64_t key, unsigned order, unsigned cpu);
/* Remove element i (< n), returning its key and order and CPU. */
void objs_take(struct objs *o, size_t i, uint64_t *key, unsigned *order,
	       unsigned *cpu);
/* Remove the oldest element (n > 0): the first pushed of those left, as
 * long as the set was never taken from with objs_take (which breaks the
 * order).  An LRU's tail, in O(1). */
void objs_shift(struct objs *o, uint64_t *key, unsigned *order, unsigned *cpu);
/* Free the arrays; the set is empty. */
void objs_release(struct objs *o);

#endif
