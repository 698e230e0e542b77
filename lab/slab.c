/* SPDX-License-Identifier: MIT */
/*
 * The simulated slab caches (slab.h).  The geometries are the kernel's
 * for these caches on x86-64 (slabinfo: objects per slab, pages per
 * slab).
 */
#include "slab.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

static const struct slab_cache_spec specs[SLAB_NR_CACHES] = {
	[SLAB_DENTRY] = { "dentry", 21, 0, PA_MT_RECLAIMABLE },
	[SLAB_INODE] = { "inode_cache", 28, 3, PA_MT_RECLAIMABLE },
	[SLAB_KMALLOC_1K] = { "kmalloc-1k", 8, 1, PA_MT_UNMOVABLE },
	[SLAB_SKBUFF] = { "skbuff_head_cache", 32, 1, PA_MT_UNMOVABLE },
};

/* How far a pfn-range request looks into a shrinkable queue per object
 * wanted, for objects on slab pages inside the range. */
#define RANGE_WINDOW 8

const struct slab_cache_spec *slab_spec(enum slab_cache_id id)
{
	return id < SLAB_NR_CACHES ? &specs[id] : NULL;
}

int slab_init(struct sim_slab *sl)
{
	memset(sl, 0, sizeof(*sl));
	for (unsigned i = 0; i < SLAB_NR_CACHES; i++) {
		sl->c[i].cur = SLAB_NONE;
		sl->c[i].free_slot = SLAB_NONE;
	}
	sl->next_page_key = SLAB_PAGE_KEY_BASE;
	if (pfnmap_init(&sl->objs) < 0)
		return -ENOMEM;
	if (pfnmap_init(&sl->gone) < 0) {
		pfnmap_destroy(&sl->objs);
		return -ENOMEM;
	}
	return 0;
}

void slab_destroy(struct sim_slab *sl)
{
	for (unsigned i = 0; i < SLAB_NR_CACHES; i++) {
		free(sl->c[i].pages);
		free(sl->c[i].partial);
		free(sl->c[i].shrinkable.ring);
	}
	pfnmap_destroy(&sl->objs);
	pfnmap_destroy(&sl->gone);
	memset(sl, 0, sizeof(*sl));
}

uint64_t slab_pages(const struct sim_slab *sl)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < SLAB_NR_CACHES; i++)
		n += sl->c[i].slabs << specs[i].order;
	return n;
}

static void *grow(void *v, uint32_t *cap, size_t size)
{
	uint32_t n = *cap ? *cap * 2 : 256;
	void *r = realloc(v, (size_t)n * size);

	if (!r)
		abort(); /* the model cannot go on without its slabs */
	*cap = n;
	return r;
}

static void partial_push(struct slab_cache *c, uint32_t slot)
{
	if (c->npartial > 2 * c->slabs + 64) { /* squeeze stale entries */
		uint32_t w = 0;

		for (uint32_t i = 0; i < c->npartial; i++)
			if (c->pages[c->partial[i]].on_partial)
				c->partial[w++] = c->partial[i];
		c->npartial = w;
	}
	if (c->npartial == c->partial_cap)
		c->partial = grow(c->partial, &c->partial_cap, sizeof(*c->partial));
	c->pages[slot].on_partial = true;
	c->partial[c->npartial++] = slot;
}

/* A slot with a new slab page, or SLAB_NONE when no page can be had. */
static uint32_t new_slab(struct sim *s, struct sim_policy *p, unsigned cpu,
			 struct slab_cache *c, enum slab_cache_id id)
{
	struct sim_slab *sl = &p->slab;
	uint64_t key = sl->next_page_key;
	uint32_t slot;

	if (!sim_block_alloc(s, p, cpu, key, specs[id].order, specs[id].mt)) {
		sl->c_.alloc_failed++;
		return SLAB_NONE;
	}
	sl->next_page_key += 1ull << specs[id].order;
	if (c->free_slot != SLAB_NONE) {
		slot = c->free_slot;
		c->free_slot = c->pages[slot].inuse;
	} else {
		if (c->npages == c->cap)
			c->pages = grow(c->pages, &c->cap, sizeof(*c->pages));
		slot = c->npages++;
	}
	c->pages[slot] = (struct slab_page){ key, 0, false };
	c->slabs++;
	return slot;
}

/* The slot the next object goes to, or SLAB_NONE. */
static uint32_t slot_for_object(struct sim *s, struct sim_policy *p,
				unsigned cpu, enum slab_cache_id id)
{
	struct slab_cache *c = &p->slab.c[id];

	if (c->cur != SLAB_NONE &&
	    c->pages[c->cur].inuse < specs[id].objs_per_slab)
		return c->cur;
	c->cur = SLAB_NONE;
	while (c->npartial) {
		uint32_t slot = c->partial[--c->npartial];

		if (!c->pages[slot].on_partial)
			continue; /* freed or taken since it was pushed */
		c->pages[slot].on_partial = false;
		return c->cur = slot;
	}
	return c->cur = new_slab(s, p, cpu, c, id);
}

/* The shrinkable object behind a queue entry, or NULL when stale. */
static struct pfnmap_entry *live_object(const struct sim_slab *sl,
					const struct lru_ref *r)
{
	struct pfnmap_entry *e = pfnmap_find(&sl->objs, r->key);

	return e && e->trace_order && e->tag == r->gen ? e : NULL;
}

static bool live_ref(const void *ctx, const struct lru_ref *r)
{
	return live_object(ctx, r) != NULL;
}

void slab_alloc(struct sim *s, struct sim_policy *p, unsigned cpu,
		uint64_t key, enum slab_cache_id id, bool shrinkable)
{
	struct sim_slab *sl = &p->slab;
	struct slab_cache *c;
	uint32_t slot;

	p->c.events++;
	if (id >= SLAB_NR_CACHES || pfnmap_find(&sl->objs, key)) {
		p->c.alloc_over_live++;
		return;
	}
	c = &sl->c[id];
	slot = slot_for_object(s, p, cpu, id);
	if (slot == SLAB_NONE) {
		p->c.failures++;
		return;
	}
	if (pfnmap_insert(&sl->objs, key, slot, id, shrinkable, NULL) < 0)
		abort();
	c->pages[slot].inuse++;
	c->objs++;
	p->c.allocs++;
	if (shrinkable) {
		uint16_t gen = ++sl->gen;

		pfnmap_find(&sl->objs, key)->tag = gen;
		c->shrinkable.live++;
		lru_queue_push(&c->shrinkable, key, gen, live_ref, sl);
	}
}

/* Take object `key` (entry e, copied) off its slab; the slab page is freed
 * when it was the last.  Returns the pages freed. */
static uint64_t put_object(struct sim_policy *p, uint64_t key,
			   struct pfnmap_entry e)
{
	struct sim_slab *sl = &p->slab;
	struct slab_cache *c = &sl->c[e.order];
	struct slab_page *pg = &c->pages[e.pfn];
	uint64_t pages = 0;

	pfnmap_remove(&sl->objs, key, NULL);
	c->objs--;
	if (e.trace_order)
		c->shrinkable.live--;
	if (--pg->inuse == 0) {
		pages = sim_block_free(p, p->cur_cpu, pg->key);
		pg->key = 0;
		pg->on_partial = false;
		pg->inuse = c->free_slot;
		c->free_slot = e.pfn;
		c->slabs--;
		if (c->cur == e.pfn)
			c->cur = SLAB_NONE;
	} else if (!pg->on_partial && c->cur != e.pfn) {
		partial_push(c, e.pfn);
	}
	return pages;
}

void slab_free(struct sim *s, struct sim_policy *p, unsigned cpu,
	       uint64_t key)
{
	struct pfnmap_entry *e = pfnmap_find(&p->slab.objs, key);
	unsigned saved = p->cur_cpu;

	(void)s;
	p->c.events++;
	if (!e) {
		if (pfnmap_remove(&p->slab.gone, key, NULL))
			p->slab.c_.free_shrunk++;
		else
			p->c.free_unknown++;
		return;
	}
	p->cur_cpu = cpu;
	if (put_object(p, key, *e))
		p->c.frees++;
	p->cur_cpu = saved;
}

static bool cache_serves(enum slab_cache_id id,
			 const struct pa_shrink_control *sc)
{
	return !sc || sc->migratetype < 0 || sc->migratetype == specs[id].mt;
}

uint64_t slab_shrink_count(void *arg, const struct pa_shrink_control *sc)
{
	struct sim_policy *p = arg;
	uint64_t n = 0;

	for (unsigned i = 0; i < SLAB_NR_CACHES; i++)
		if (cache_serves((enum slab_cache_id)i, sc))
			n += p->slab.c[i].shrinkable.live;
	return n;
}

static uint64_t shrink_one(struct sim_policy *p, uint64_t key,
			   struct pfnmap_entry e)
{
	uint64_t pages;

	pages = put_object(p, key, e);
	if (pfnmap_insert(&p->slab.gone, key, 0, 0, 0, NULL) < 0)
		abort();
	p->slab.c_.shrunk_objs++;
	if (pages) {
		p->slab.c_.shrunk_pages += pages;
		p->reclaimed_pages += pages;
		p->c.frees++;
	}
	return pages;
}

/* Objects on slab pages inside the range, near the queue's head. */
static uint64_t shrink_range(struct sim_policy *p, struct slab_cache *c,
			     const struct pa_shrink_control *sc,
			     uint64_t budget, uint64_t *scanned)
{
	struct lru_queue *q = &c->shrinkable;
	uint64_t freed = 0;

	for (uint64_t i = 0; i < q->n && i < budget * RANGE_WINDOW &&
			     *scanned < budget; i++) {
		struct lru_ref r = *lru_queue_at(q, i);
		struct pfnmap_entry *e = live_object(&p->slab, &r);
		struct pfnmap_entry *pg;

		if (!e)
			continue;
		pg = pfnmap_find(&p->map, c->pages[e->pfn].key);
		if (!pg || pg->pfn < sc->pfn_start || pg->pfn >= sc->pfn_end)
			continue;
		(*scanned)++;
		freed += shrink_one(p, r.key, *e);
	}
	return freed;
}

static uint64_t shrink_cache(struct sim_policy *p, struct slab_cache *c,
			     const struct pa_shrink_control *sc, uint64_t budget)
{
	struct lru_queue *q = &c->shrinkable;
	uint64_t freed = 0, scanned = 0;

	if (sc->pfn_end > sc->pfn_start)
		freed += shrink_range(p, c, sc, budget, &scanned);
	while (scanned < budget && q->n) {
		struct lru_ref r = *lru_queue_at(q, 0);
		struct pfnmap_entry *e = live_object(&p->slab, &r);

		lru_queue_pop(q);
		if (!e)
			continue;
		scanned++;
		freed += shrink_one(p, r.key, *e);
	}
	return freed;
}

uint64_t slab_shrink_scan(void *arg, struct pa_shrink_control *sc)
{
	struct sim_policy *p = arg;
	uint64_t total = slab_shrink_count(arg, sc), freed = 0;

	sc->nr_scanned = 0;
	if (!total)
		return 0;
	for (unsigned i = 0; i < SLAB_NR_CACHES; i++) {
		struct slab_cache *c = &p->slab.c[i];
		uint64_t share;

		if (!cache_serves((enum slab_cache_id)i, sc) || !c->shrinkable.live)
			continue;
		/* each cache in proportion to what it could give */
		share = sc->nr_to_scan * c->shrinkable.live / total + 1;
		freed += shrink_cache(p, c, sc, share);
		sc->nr_scanned += share;
	}
	return freed;
}

int slab_check(const struct sim_policy *p, char *msg, size_t len)
{
	const struct sim_slab *sl = &p->slab;
	uint64_t objs[SLAB_NR_CACHES] = { 0 };

	for (uint64_t j = 0; j <= sl->objs.mask; j++)
		if (sl->objs.slots[j].key != PFNMAP_EMPTY)
			objs[sl->objs.slots[j].order]++;
	for (unsigned i = 0; i < SLAB_NR_CACHES; i++) {
		const struct slab_cache *c = &sl->c[i];
		uint64_t inuse = 0, slabs = 0;

		for (uint32_t k = 0; k < c->npages; k++) {
			const struct pfnmap_entry *e;

			if (!c->pages[k].key)
				continue;
			slabs++;
			inuse += c->pages[k].inuse;
			e = pfnmap_find(&p->map, c->pages[k].key);
			if (!e || e->order != specs[i].order || !c->pages[k].inuse) {
				snprintf(msg, len, "%s: slab page %u %s", specs[i].name, k,
					 !e ? "not allocated" : !c->pages[k].inuse ?
					 "empty but kept" : "of the wrong order");
				return -EUCLEAN;
			}
		}
		if (inuse != objs[i] || inuse != c->objs || slabs != c->slabs) {
			snprintf(msg, len, "%s: %llu objects on slabs, %llu mapped, "
				 "%llu counted; %llu slabs, %llu counted", specs[i].name,
				 (unsigned long long)inuse, (unsigned long long)objs[i],
				 (unsigned long long)c->objs, (unsigned long long)slabs,
				 (unsigned long long)c->slabs);
			return -EUCLEAN;
		}
	}
	return 0;
}
