/* SPDX-License-Identifier: MIT */
/* A scenario's set of live blocks (objs.h). */
#include "objs.h"

#include <stdlib.h>
#include <string.h>

void objs_push(struct objs *o, uint64_t key, unsigned order, unsigned cpu)
{
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 1024;
		uint64_t *k = realloc(o->key, cap * sizeof(*k));
		uint8_t *r = k ? realloc(o->order, cap) : NULL;
		uint16_t *c = r ? realloc(o->cpu, cap * sizeof(*c)) : NULL;

		if (k)
			o->key = k;
		if (r)
			o->order = r;
		if (!c)
			abort(); /* out of memory in a tiny bookkeeping array */
		o->cpu = c;
		o->cap = cap;
	}
	o->key[o->n] = key;
	o->order[o->n] = (uint8_t)order;
	o->cpu[o->n] = (uint16_t)cpu;
	o->n++;
	o->pages += 1ull << order;
}

void objs_take(struct objs *o, size_t i, uint64_t *key, unsigned *order,
	       unsigned *cpu)
{
	*key = o->key[i];
	*order = o->order[i];
	*cpu = o->cpu[i];
	o->pages -= 1ull << o->order[i];
	o->n--;
	o->key[i] = o->key[o->n];
	o->order[i] = o->order[o->n];
	o->cpu[i] = o->cpu[o->n];
}

void objs_release(struct objs *o)
{
	free(o->key);
	free(o->order);
	free(o->cpu);
	memset(o, 0, sizeof(*o));
}
