/* SPDX-License-Identifier: MIT */
/*
 * lru.c - the reclaim tests' page-cache-like owner (lru.h).  The list lock
 * is never held across pa_alloc (which may reclaim, and so call our scan),
 * only across pa_free, which never calls back.
 */
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "lru.h"

struct th_lru *th_lru_new(struct pa_zone *z, uint64_t cap, bool reg)
{
	struct th_lru *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	l->z = z;
	l->cap = cap ? cap : 1;
	l->e = calloc(l->cap, sizeof(*l->e));
	assert_non_null(l->e);
	assert_int_equal(pthread_mutex_init(&l->lock, NULL), 0);
	if (reg) {
		l->id = pa_register_shrinker(z, th_lru_count, th_lru_scan, l);
		assert_true(l->id > 0);
	}
	return l;
}

void th_lru_destroy(struct th_lru *l)
{
	if (l->id)
		assert_int_equal(pa_unregister_shrinker(l->z, l->id), 0);
	for (uint64_t i = 0; i < l->n; i++) {
		struct th_lru_entry *e = &l->e[(l->head + i) % l->cap];

		assert_int_equal(pa_free(l->z, e->pfn, e->order), 0);
	}
	pthread_mutex_destroy(&l->lock);
	free(l->e);
	free(l);
}

/* Young end; lock held; false if full. */
static bool push(struct th_lru *l, uint64_t pfn, unsigned order, bool ref)
{
	if (l->n == l->cap)
		return false;
	l->e[(l->head + l->n) % l->cap] =
		(struct th_lru_entry){ .pfn = pfn, .order = order, .referenced = ref };
	l->n++;
	return true;
}

static struct th_lru_entry pop(struct th_lru *l)
{
	struct th_lru_entry e = l->e[l->head];

	l->head = (l->head + 1) % l->cap;
	l->n--;
	return e;
}

uint64_t th_lru_alloc(struct th_lru *l, unsigned order, unsigned gfp)
{
	uint64_t pfn = pa_alloc(l->z, order, gfp | PA_GFP_NOWARN);
	bool ok;

	if (pfn == PA_NO_PFN)
		return PA_NO_PFN;
	pthread_mutex_lock(&l->lock);
	ok = push(l, pfn, order, false);
	pthread_mutex_unlock(&l->lock);
	if (!ok) {
		assert_int_equal(pa_free(l->z, pfn, order), 0);
		return PA_NO_PFN;
	}
	return pfn;
}

static uint64_t allocated(struct pa_zone *z)
{
	struct pa_stats s;

	pa_stats(z, &s);
	return s.allocated_pages;
}

uint64_t th_lru_fill(struct th_lru *l, unsigned gfp)
{
	uint64_t n = 0;

	/* a registered shrinker would make room for ever: stop at full */
	while (allocated(l->z) < pa_managed_pages(l->z) &&
	       th_lru_alloc(l, 0, gfp) != PA_NO_PFN)
		n++;
	return n;
}

void th_lru_reference(struct th_lru *l, uint64_t stride)
{
	pthread_mutex_lock(&l->lock);
	for (uint64_t i = 0; i < l->n; i += stride)
		l->e[(l->head + i) % l->cap].referenced = true;
	pthread_mutex_unlock(&l->lock);
}

uint64_t th_lru_len(struct th_lru *l)
{
	pthread_mutex_lock(&l->lock);
	uint64_t n = l->n;
	pthread_mutex_unlock(&l->lock);
	return n;
}

uint64_t th_lru_count(void *arg, const struct pa_shrink_control *sc)
{
	struct th_lru *l = arg;

	pthread_mutex_lock(&l->lock);
	l->count_calls++;
	l->last_sc = *sc;
	uint64_t n = l->n;
	pthread_mutex_unlock(&l->lock);
	return n;
}

uint64_t th_lru_scan(void *arg, struct pa_shrink_control *sc)
{
	struct th_lru *l = arg;
	uint64_t freed = 0, looked = 0;

	if (l->in_scan)
		l->in_scan(l, sc);
	pthread_mutex_lock(&l->lock);
	l->scan_calls++;
	l->last_sc = *sc;
	if (sc->nr_to_scan > l->max_batch)
		l->max_batch = sc->nr_to_scan;
	while (looked < sc->nr_to_scan && l->n) {
		struct th_lru_entry e = pop(l);

		looked++;
		if (e.referenced || l->free_nothing) {
			push(l, e.pfn, e.order, false); /* second chance */
			continue;
		}
		assert_int_equal(pa_free(l->z, e.pfn, e.order), 0);
		freed += 1ull << e.order;
	}
	l->scanned += looked;
	l->freed += freed;
	pthread_mutex_unlock(&l->lock);
	sc->nr_scanned = looked;
	return freed;
}
