/* SPDX-License-Identifier: MIT */
/*
 * slab - one policy's slab caches: objects packed into slab pages of the
 * cache's order and migratetype, the page freed only when its last object
 * goes, so shrinking frees pages only partly, as in the kernel.  A new
 * object goes to the slab being filled, then to a partly used one, then
 * to a new page.  Objects allocated as shrinkable (unused dentries and
 * inodes) are queued oldest first for the cache's shrinker, registered on
 * the policy's zone; a shrunk object's later free is a no-op, counted.
 * Each policy lays its objects out on its own zone, so each has its own
 * caches.  Single-threaded: the policy's thread only.
 */
#ifndef PA_LAB_SLAB_H
#define PA_LAB_SLAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lru.h"
#include "pagealloc.h"
#include "pfnmap.h"

struct sim;
struct sim_policy;

/* A cache's geometry (constant, slab.c's table). */
struct slab_cache_spec {
	const char *name;
	uint16_t objs_per_slab;
	uint8_t order;
	int8_t mt;           /* PA_MT_RECLAIMABLE or PA_MT_UNMOVABLE */
};

enum slab_cache_id {
	SLAB_DENTRY,         /* reclaimable, order 0, 21 objects */
	SLAB_INODE,          /* reclaimable, order 3, 28 objects (1 KiB) */
	SLAB_KMALLOC_1K,     /* unmovable, order 1, 8 objects */
	SLAB_SKBUFF,         /* unmovable, order 1, 32 objects */
	SLAB_NR_CACHES
};

const struct slab_cache_spec *slab_spec(enum slab_cache_id id);

struct slab_page {
	uint64_t key;        /* its block's key in the pfn map; 0: slot free */
	uint32_t inuse;
	bool on_partial;
};

struct slab_cache {
	struct slab_page *pages;
	uint32_t npages, cap, free_slot; /* free slots chained through inuse */
	uint32_t cur;        /* slab being filled, or SLAB_NONE */
	uint32_t *partial;   /* stack of slots with room (may hold stale) */
	uint32_t npartial, partial_cap;
	struct lru_queue shrinkable; /* oldest shrinkable objects first */
	uint64_t objs, slabs;
};

struct slab_counts {
	uint64_t shrunk_objs;    /* objects freed by the shrinker */
	uint64_t shrunk_pages;   /* slab pages that freed */
	uint64_t free_shrunk;    /* frees of a shrunk object: no-ops */
	uint64_t alloc_failed;   /* slab pages that could not be had */
};

struct sim_slab {
	struct slab_cache c[SLAB_NR_CACHES];
	struct pfnmap objs;      /* object key -> slot (pfn), cache (order),
	                          * shrinkable (trace_order), gen (tag) */
	struct pfnmap gone;      /* shrunk object keys */
	uint64_t next_page_key;
	uint16_t gen;
	struct slab_counts c_;
};

#define SLAB_NONE UINT32_MAX
/* Slab pages' keys in the pfn map, above any key a scenario or trace
 * uses. */
#define SLAB_PAGE_KEY_BASE (1ull << 62)

int slab_init(struct sim_slab *sl);
void slab_destroy(struct sim_slab *sl);

/* Allocate object `key` of cache `id`; shrinkable: the shrinker may free
 * it.  A failed slab page allocation counts as a failure. */
void slab_alloc(struct sim *s, struct sim_policy *p, unsigned cpu,
		uint64_t key, enum slab_cache_id id, bool shrinkable);
/* Free object `key` (a shrunk one: no-op, counted). */
void slab_free(struct sim *s, struct sim_policy *p, unsigned cpu,
	       uint64_t key);

/* Pages in slab pages of every cache. */
uint64_t slab_pages(const struct sim_slab *sl);

/* The shrinker (pagealloc.h), arg = the sim_policy: the shrinkable
 * objects of the caches of sc->migratetype (-1: all); with a pfn range,
 * objects on slab pages in it first.  Returns slab pages freed. */
uint64_t slab_shrink_count(void *arg, const struct pa_shrink_control *sc);
uint64_t slab_shrink_scan(void *arg, struct pa_shrink_control *sc);

/* Every object counted on its slab page, every slab page in the pfn map.
 * 0 or -EUCLEAN with the reason. */
int slab_check(const struct sim_policy *p, char *msg, size_t len);

#endif
