/* SPDX-License-Identifier: MIT */
/*
 * objs - a scenario's set of live blocks or objects (key, order, the CPU
 * that allocated it), for picking one at random: removal swaps in the
 * last.  Bookkeeping of the generators, the same for every policy.
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
	struct obj *e;
	size_t n, cap;
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
/* Free the arrays; the set is empty. */
void objs_release(struct objs *o);

#endif
