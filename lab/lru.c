/* SPDX-License-Identifier: MIT */
/*
 * The simulated LRU (lru.h).  Queues are rings of (key, generation);
 * freeing a folio leaves its entry behind, recognised as stale on the
 * scan (the key is gone from the map or carries another generation) and
 * squeezed out when stale entries outnumber live ones.
 */
#include "lru.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

/* The pfn map entry's tag for a folio: */
#define TAG_LRU   0x8000u  /* an LRU folio */
#define TAG_ANON  0x4000u  /* of the anon queue */
#define TAG_REF   0x2000u  /* touched since queued */
#define TAG_GEN   0x1fffu  /* generation of the key's residency */

/* Of nr_to_scan, the file queue's share in 1/8: the kernel's default
 * swappiness (60 of 200) scans file pages ahead of anonymous ones. */
#define FILE_SHARE_8THS 6
/* A pfn-range request looks this many entries per wanted folio into the
 * queues for folios inside the range before the plain scan. */
#define RANGE_WINDOW 8

int lru_init(struct sim_lru *l)
{
	memset(l, 0, sizeof(*l));
	return pfnmap_init(&l->gone);
}

void lru_destroy(struct sim_lru *l)
{
	for (unsigned k = 0; k < LRU_NR; k++)
		free(l->q[k].ring);
	pfnmap_destroy(&l->gone);
	memset(l, 0, sizeof(*l));
}

uint64_t lru_pages(const struct sim_lru *l)
{
	return l->q[LRU_FILE].pages + l->q[LRU_ANON].pages;
}

struct lru_ref *lru_queue_at(const struct lru_queue *q, uint64_t i)
{
	return &q->ring[(q->head + i) & (q->cap - 1)];
}

void lru_queue_pop(struct lru_queue *q)
{
	q->head = (q->head + 1) & (q->cap - 1);
	q->n--;
}

/* Drop the stale entries (order kept). */
static void q_squeeze(struct lru_queue *q, lru_valid_fn valid, const void *ctx)
{
	uint64_t w = 0;

	for (uint64_t i = 0; i < q->n; i++) {
		struct lru_ref r = *lru_queue_at(q, i);

		if (valid(ctx, &r))
			*lru_queue_at(q, w++) = r;
	}
	q->n = w;
}

void lru_queue_push(struct lru_queue *q, uint64_t key, uint16_t gen,
		    lru_valid_fn valid, const void *ctx)
{
	if (q->n > 2 * q->live + 1024)
		q_squeeze(q, valid, ctx);
	if (q->n == q->cap) {
		uint64_t cap = q->cap ? q->cap * 2 : 4096;
		struct lru_ref *r = malloc(cap * sizeof(*r));

		if (!r)
			abort(); /* the model cannot go on without its LRU */
		for (uint64_t i = 0; i < q->n; i++)
			r[i] = *lru_queue_at(q, i);
		free(q->ring);
		q->ring = r;
		q->head = 0;
		q->cap = cap;
	}
	*lru_queue_at(q, q->n++) = (struct lru_ref){ key, gen };
}

/* The live folio a queue entry stands for, or NULL when stale. */
static struct pfnmap_entry *resident(const struct sim_policy *p,
				     const struct lru_ref *r)
{
	struct pfnmap_entry *e = pfnmap_find(&p->map, r->key);

	return e && (e->tag & TAG_LRU) && (e->tag & TAG_GEN) == r->gen ? e : NULL;
}

static bool is_resident(const void *ctx, const struct lru_ref *r)
{
	return resident(ctx, r) != NULL;
}

static void q_push(const struct sim_policy *p, struct lru_queue *q,
		   uint64_t key, uint16_t gen)
{
	lru_queue_push(q, key, gen, is_resident, p);
}

static enum lru_kind kind_of(uint16_t tag)
{
	return tag & TAG_ANON ? LRU_ANON : LRU_FILE;
}

void lru_add(struct sim *s, struct sim_policy *p, unsigned cpu, uint64_t key,
	     unsigned order, enum lru_kind kind)
{
	struct sim_lru *l = &p->lru;
	struct pfnmap_entry g, *e;
	uint16_t gen = 0;

	if (pfnmap_find(&p->map, key)) { /* already resident: an access */
		lru_touch(s, p, cpu, key, order, kind);
		return;
	}
	p->c.events++;
	if (pfnmap_remove(&l->gone, key, &g)) {
		l->c.refaults++;
		gen = (uint16_t)((g.pfn + 1) & TAG_GEN);
	}
	if (!sim_block_alloc(s, p, cpu, key, order, PA_MT_MOVABLE)) {
		l->c.add_failed++;
		p->c.failures++;
		return;
	}
	p->c.allocs++;
	e = pfnmap_find(&p->map, key);
	e->tag = (uint16_t)(TAG_LRU | (kind == LRU_ANON ? TAG_ANON : 0) | gen);
	l->q[kind].live++;
	l->q[kind].pages += 1ull << order;
	q_push(p, &l->q[kind], key, gen);
}

void lru_touch(struct sim *s, struct sim_policy *p, unsigned cpu,
	       uint64_t key, unsigned order, enum lru_kind kind)
{
	struct pfnmap_entry *e = pfnmap_find(&p->map, key);

	if (!e || !(e->tag & TAG_LRU)) {
		lru_add(s, p, cpu, key, order, kind);
		return;
	}
	p->c.events++;
	e->tag |= TAG_REF;
}

/* Take a resident folio off its queue's counts and free it. */
static uint64_t release(struct sim_policy *p, uint64_t key,
			const struct pfnmap_entry *e)
{
	struct lru_queue *q = &p->lru.q[kind_of(e->tag)];

	q->live--;
	q->pages -= 1ull << e->order;
	return sim_block_free(p, p->cur_cpu, key);
}

void lru_free(struct sim *s, struct sim_policy *p, unsigned cpu,
	      uint64_t key, unsigned order)
{
	struct pfnmap_entry *e = pfnmap_find(&p->map, key);

	(void)s;
	(void)order;
	p->c.events++;
	if (e && (e->tag & TAG_LRU)) {
		unsigned saved = p->cur_cpu;

		p->cur_cpu = cpu;
		release(p, key, e);
		p->cur_cpu = saved;
	} else if (pfnmap_remove(&p->lru.gone, key, NULL)) {
		p->lru.c.free_reclaimed++;
	} else {
		p->c.free_unknown++;
	}
}

/* Reclaim one resident folio: remembered as gone with its generation. */
static uint64_t reclaim_one(struct sim_policy *p, uint64_t key,
			    struct pfnmap_entry *e)
{
	struct pfnmap_entry copy = *e;
	uint64_t pages;

	pages = release(p, key, &copy);
	if (pfnmap_insert(&p->lru.gone, key, copy.tag & TAG_GEN, copy.order,
			  kind_of(copy.tag), NULL) < 0)
		abort(); /* cannot remember it: later frees would mislead */
	if (kind_of(copy.tag) == LRU_ANON)
		p->lru.c.swapped_pages += pages;
	else
		p->lru.c.dropped_pages += pages;
	p->reclaimed_pages += pages;
	return pages;
}

/* Look at up to `budget` entries at the head of q; reclaim the old, give
 * the referenced a second chance.  *scanned grows by the folios seen. */
static uint64_t scan_queue(struct sim_policy *p, struct lru_queue *q,
			   uint64_t budget, uint64_t *scanned)
{
	uint64_t freed = 0, seen = 0;

	while (seen < budget && q->n) {
		struct lru_ref r = *lru_queue_at(q, 0);
		struct pfnmap_entry *e = resident(p, &r);

		lru_queue_pop(q);
		if (!e)
			continue;
		seen++;
		if (e->tag & TAG_REF) {
			e->tag &= (uint16_t)~TAG_REF;
			p->lru.c.rotated++;
			q_push(p, q, r.key, r.gen);
			continue;
		}
		freed += reclaim_one(p, r.key, e);
	}
	*scanned += seen;
	return freed;
}

/* Folios inside [pfn_start, pfn_end) near the heads of the queues first
 * (targeted reclaim of a superpageblock); their entries go stale. */
static uint64_t scan_range(struct sim_policy *p,
			   const struct pa_shrink_control *sc, uint64_t budget,
			   uint64_t *scanned)
{
	uint64_t freed = 0;

	for (unsigned k = 0; k < LRU_NR && *scanned < budget; k++) {
		struct lru_queue *q = &p->lru.q[k];
		uint64_t window = budget * RANGE_WINDOW;

		for (uint64_t i = 0; i < q->n && i < window &&
				     *scanned < budget; i++) {
			struct lru_ref r = *lru_queue_at(q, i);
			struct pfnmap_entry *e = resident(p, &r);

			if (!e || e->pfn < sc->pfn_start || e->pfn >= sc->pfn_end)
				continue;
			(*scanned)++;
			freed += reclaim_one(p, r.key, e);
		}
	}
	return freed;
}

static bool serves(const struct pa_shrink_control *sc)
{
	return !sc || sc->migratetype < 0 || sc->migratetype == PA_MT_MOVABLE;
}

uint64_t lru_shrink_count(void *arg, const struct pa_shrink_control *sc)
{
	struct sim_policy *p = arg;

	return serves(sc) ? p->lru.q[LRU_FILE].live + p->lru.q[LRU_ANON].live : 0;
}

uint64_t lru_shrink_scan(void *arg, struct pa_shrink_control *sc)
{
	struct sim_policy *p = arg;
	struct sim_lru *l = &p->lru;
	uint64_t budget = sc->nr_to_scan, scanned = 0, freed = 0, file;

	if (!serves(sc)) {
		sc->nr_scanned = 0;
		return 0;
	}
	if (sc->pfn_end > sc->pfn_start)
		freed += scan_range(p, sc, budget, &scanned);
	file = (budget - scanned) * FILE_SHARE_8THS / 8;
	if (!l->q[LRU_ANON].live)
		file = budget - scanned;
	freed += scan_queue(p, &l->q[LRU_FILE], file, &scanned);
	/* what the file queue could not use goes to anon, and back */
	freed += scan_queue(p, &l->q[LRU_ANON], budget - scanned, &scanned);
	freed += scan_queue(p, &l->q[LRU_FILE], budget - scanned, &scanned);
	l->c.scanned += scanned;
	sc->nr_scanned = scanned;
	return freed;
}

int lru_check(const struct sim_policy *p, char *msg, size_t len)
{
	for (unsigned k = 0; k < LRU_NR; k++) {
		const struct lru_queue *q = &p->lru.q[k];
		uint64_t live = 0, pages = 0;

		for (uint64_t i = 0; i < q->n; i++) {
			const struct pfnmap_entry *e = resident(p, lru_queue_at(q, i));

			if (e && kind_of(e->tag) == (enum lru_kind)k) {
				live++;
				pages += 1ull << e->order;
			}
		}
		if (live != q->live || pages != q->pages) {
			snprintf(msg, len, "%s LRU: %llu folios (%llu pages) queued, "
				 "%llu (%llu) counted", k ? "anon" : "file",
				 (unsigned long long)live, (unsigned long long)pages,
				 (unsigned long long)q->live,
				 (unsigned long long)q->pages);
			return -EUCLEAN;
		}
	}
	return 0;
}
