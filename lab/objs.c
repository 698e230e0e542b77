/* SPDX-License-Identifier: MIT */
/* A scenario's set of live blocks (objs.h). */
#include "objs.h"

#include <stdlib.h>
#include <string.h>

void objs_push(struct objs *o, uint64_t key, unsigned order, unsigned cpu)
{
	if (o->first + o->n == o->cap && o->first) { /* room at the front */
		memmove(o->e, o->e + o->first, o->n * sizeof(*o->e));
		o->first = 0;
	}
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 1024;
		struct obj *e = realloc(o->e, cap * sizeof(*e));

		if (!e)
			abort(); /* out of memory in a tiny bookkeeping array */
		o->e = e;
		o->cap = cap;
	}
	o->e[o->first + o->n++] = (struct obj){ key, (uint16_t)cpu, (uint8_t)order };
	o->pages += 1ull << order;
}

void objs_take(struct objs *o, size_t i, uint64_t *key, unsigned *order,
	       unsigned *cpu)
{
	struct obj x = o->e[o->first + i];

	*key = x.key;
	*order = x.order;
	*cpu = x.cpu;
	o->pages -= 1ull << x.order;
	o->e[o->first + i] = o->e[o->first + --o->n];
}

void objs_shift(struct objs *o, uint64_t *key, unsigned *order, unsigned *cpu)
{
	struct obj x = o->e[o->first++];

	*key = x.key;
	*order = x.order;
	*cpu = x.cpu;
	o->pages -= 1ull << x.order;
	if (--o->n == 0)
		o->first = 0;
}

void objs_release(struct objs *o)
{
	free(o->e);
	memset(o, 0, sizeof(*o));
}
