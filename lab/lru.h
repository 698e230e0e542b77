/* SPDX-License-Identifier: MIT */
/*
 * lru - one policy's LRU of page-cache and anonymous folios, registered
 * as a shrinker on that policy's zone.  Reclaim takes the oldest folios
 * first, with a second chance for those touched since they were queued
 * (the kernel's referenced bit): clean page cache is dropped, anonymous
 * memory written to swap; both are freed.  A reclaimed key is remembered,
 * so a later touch of it refaults (the folio is allocated again) and a
 * later free of it is a no-op, counted.  Reclaim makes every policy's
 * zone hold different folios, so each policy has its own LRU.
 *
 * Folios live in the policy's pfn map (sim.h) like every other block;
 * the LRU keeps two queues (file, anon) of keys in insertion order, whose
 * entries go stale when their folio is freed or reclaimed (a generation
 * kept in the map entry tells a stale entry from a refaulted folio's).
 * Single-threaded: the policy's thread only (the zone calls the shrinker
 * from the allocation or the tick that needs memory, both on it).
 */
#ifndef PA_LAB_LRU_H
#define PA_LAB_LRU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pagealloc.h"
#include "pfnmap.h"

struct sim;
struct sim_policy;

enum lru_kind { LRU_FILE, LRU_ANON, LRU_NR };

struct lru_ref {
	uint64_t key;
	uint16_t gen;
};

struct lru_queue {
	struct lru_ref *ring;
	uint64_t head, n, cap;   /* cap a power of two */
	uint64_t live, pages;    /* resident folios and their pages */
};

/* The ring of keys both the LRU and the slab shrinker queue objects on:
 * push at the tail, look at and pop the head.  `valid` tells a live
 * entry from a stale one when the ring is squeezed (stale entries
 * outnumbering live ones by 2:1). */
typedef bool (*lru_valid_fn)(const void *ctx, const struct lru_ref *r);
void lru_queue_push(struct lru_queue *q, uint64_t key, uint16_t gen,
		    lru_valid_fn valid, const void *ctx);
struct lru_ref *lru_queue_at(const struct lru_queue *q, uint64_t i);
void lru_queue_pop(struct lru_queue *q);

struct lru_counts {
	uint64_t dropped_pages;  /* page cache dropped by reclaim */
	uint64_t swapped_pages;  /* anon written to swap by reclaim */
	uint64_t scanned;        /* folios looked at by reclaim */
	uint64_t rotated;        /* given a second chance */
	uint64_t refaults;       /* touches of a reclaimed key */
	uint64_t free_reclaimed; /* frees of a reclaimed key: no-ops */
	uint64_t add_failed;     /* folio allocations that failed */
};

struct sim_lru {
	struct lru_queue q[LRU_NR];
	struct pfnmap gone;      /* reclaimed keys: order, kind (trace_order) */
	uint16_t gen;
	struct lru_counts c;
};

/* Initialise an empty LRU.  0 or -ENOMEM. */
int lru_init(struct sim_lru *l);
void lru_destroy(struct sim_lru *l);

/* A new folio of 2^order pages for `key` (a key reclaimed earlier:
 * refaulted), queued as the newest. */
void lru_add(struct sim *s, struct sim_policy *p, unsigned cpu, uint64_t key,
	     unsigned order, enum lru_kind kind);
/* An access: a resident folio gets its second chance, a reclaimed one is
 * refaulted (allocated again); an unknown key is added. */
void lru_touch(struct sim *s, struct sim_policy *p, unsigned cpu,
	       uint64_t key, unsigned order, enum lru_kind kind);
/* Truncation or unmap: free the folio; a reclaimed key is forgotten and
 * counted in free_reclaimed. */
void lru_free(struct sim *s, struct sim_policy *p, unsigned cpu,
	      uint64_t key, unsigned order);

/* Resident folios' pages (both queues). */
uint64_t lru_pages(const struct sim_lru *l);

/* The shrinker callbacks (pagealloc.h), arg = the sim_policy.  Only
 * movable requests (sc->migratetype -1 or PA_MT_MOVABLE) are served;
 * with a pfn range, folios in it are taken first. */
uint64_t lru_shrink_count(void *arg, const struct pa_shrink_control *sc);
uint64_t lru_shrink_scan(void *arg, struct pa_shrink_control *sc);

/* The LRU's own accounting against the pfn map: every resident folio
 * queued once.  0 or -EUCLEAN with the reason in msg. */
int lru_check(const struct sim_policy *p, char *msg, size_t len);

#endif
