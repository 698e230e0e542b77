/* SPDX-License-Identifier: MIT */
/* A scenario's set of live blocks (objs.h). */
#include "objs.h"

#include <stdlib.h>
#include <string.h>

void objs_push(struct objs *o, uint64_t key, unsigned order, unsigned cpu)
{
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 1024;
		struct obj *e = realloc(o->e, cap * sizeof(*e));

		if (!e)
			abort(); /* out of memory in a tiny bookkeeping array */
		o->e = e;
		o->cap = cap;
	}
	o->e[o->n++] = (struct obj){ key, (uint16_t)cpu, (uint8_t)order };
	o->pages += 1ull << order;
}

void objs_take(struct objs *o, size_t i, uint64_t *key, unsigned *order,
	       unsigned *cpu)
{
	struct obj x = o->e[i];

	*key = x.key;
	*order = x.order;
	*cpu = x.cpu;
	o->pages -= 1ull << x.order;
	o->e[i] = o->e[--o->n];
}

void objs_release(struct objs *o)
{
	free(o->e);
	memset(o, 0, sizeof(*o));
}
