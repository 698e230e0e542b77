/* SPDX-License-Identifier: MIT */
/*
 * Linear probing with backward-shift deletion: no tombstones, so a long
 * replay that allocates and frees millions of blocks keeps short probe
 * sequences.  The load stays at or below one half.
 */
#include "pfnmap.h"

#include <errno.h>
#include <stdlib.h>

#define INITIAL_SLOTS 4096u

#define hash pfnmap_hash

static struct pfnmap_entry *alloc_slots(uint64_t n)
{
	struct pfnmap_entry *s = malloc(n * sizeof(*s));

	if (s)
		for (uint64_t i = 0; i < n; i++)
			s[i].key = PFNMAP_EMPTY;
	return s;
}

int pfnmap_init(struct pfnmap *m)
{
	m->slots = alloc_slots(INITIAL_SLOTS);
	m->mask = INITIAL_SLOTS - 1;
	m->count = m->peak = 0;
	return m->slots ? 0 : -ENOMEM;
}

void pfnmap_destroy(struct pfnmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->mask = 0;
	m->count = 0;
}

struct pfnmap_entry *pfnmap_find(const struct pfnmap *m, uint64_t key)
{
	for (uint64_t i = hash(key) & m->mask;; i = (i + 1) & m->mask) {
		struct pfnmap_entry *e = &m->slots[i];
		if (e->key == key)
			return e;
		if (e->key == PFNMAP_EMPTY)
			return NULL;
	}
}

static int grow(struct pfnmap *m)
{
	uint64_t n = (m->mask + 1) * 2;
	struct pfnmap_entry *s = alloc_slots(n), *old = m->slots;

	if (!s)
		return -ENOMEM;
	for (uint64_t i = 0; i <= m->mask; i++) {
		uint64_t j;
		if (old[i].key == PFNMAP_EMPTY)
			continue;
		for (j = hash(old[i].key) & (n - 1); s[j].key != PFNMAP_EMPTY;
		     j = (j + 1) & (n - 1))
			;
		s[j] = old[i];
	}
	free(old);
	m->slots = s;
	m->mask = n - 1;
	return 0;
}

int pfnmap_insert(struct pfnmap *m, uint64_t key, uint32_t pfn,
		  unsigned order, unsigned trace_order,
		  struct pfnmap_entry *old)
{
	struct pfnmap_entry *e;
	uint64_t i;

	if (key == PFNMAP_EMPTY)
		return -EINVAL; /* the empty-slot marker (the parser caps pfns) */
	if ((m->count + 1) * 2 > m->mask + 1 && grow(m) < 0)
		return -ENOMEM;
	for (i = hash(key) & m->mask;; i = (i + 1) & m->mask) {
		e = &m->slots[i];
		if (e->key == key) {
			if (old)
				*old = *e;
			e->pfn = pfn;
			e->order = (uint8_t)order;
			e->trace_order = (uint8_t)trace_order;
			return 1;
		}
		if (e->key == PFNMAP_EMPTY)
			break;
	}
	e->key = key;
	e->pfn = pfn;
	e->order = (uint8_t)order;
	e->trace_order = (uint8_t)trace_order;
	e->tag = 0;
	if (++m->count > m->peak)
		m->peak = m->count;
	return 0;
}

bool pfnmap_remove(struct pfnmap *m, uint64_t key, struct pfnmap_entry *out)
{
	struct pfnmap_entry *e = pfnmap_find(m, key);
	uint64_t i, j;

	if (!e)
		return false;
	if (out)
		*out = *e;
	i = (uint64_t)(e - m->slots);
	/* Shift later members of the probe run back into the hole. */
	for (j = (i + 1) & m->mask; m->slots[j].key != PFNMAP_EMPTY;
	     j = (j + 1) & m->mask) {
		uint64_t home = hash(m->slots[j].key) & m->mask;
		/* Move j to i unless its home lies cyclically in (i, j]. */
		if (((j - home) & m->mask) >= ((j - i) & m->mask)) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].key = PFNMAP_EMPTY;
	m->count--;
	return true;
}
