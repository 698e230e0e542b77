/* SPDX-License-Identifier: MIT */
/*
 * The traced machine's starting state, inferred from the trace (warm.h
 * says what and why).  The scan keeps one small entry per pfn the trace
 * touches; the state it infers is applied to the zones before the replay.
 */
#include "warm.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "report.h"
#include "sim.h"

/* The seen map's `pfn` field: 0 a touched pfn, i + 1 the block in use
 * before the capture at pre[i] whose migratetype is not known yet. */
#define SEEN 0u

int warm_init(struct warm *w)
{
	memset(w, 0, sizeof(*w));
	return pfnmap_init(&w->seen) < 0 ? -ENOMEM : 0;
}

void warm_destroy(struct warm *w)
{
	pfnmap_destroy(&w->seen);
	free(w->pre);
	w->pre = NULL;
	w->npre = w->cap = 0;
}

/* The list index of a cached (order, migratetype), or -1. */
static int list_of(unsigned order, int mt)
{
	int oi = order <= 3 ? (int)order : order == WARM_PB_ORDER ? 4 : -1;

	if (oi < 0 || mt < 0 || mt >= WARM_MTS)
		return -1;
	return oi * WARM_MTS + mt;
}

static unsigned list_order(int l)
{
	return l / WARM_MTS == 4 ? WARM_PB_ORDER : (unsigned)(l / WARM_MTS);
}

static void mark(struct warm *w, uint64_t pfn, uint32_t state)
{
	if (pfnmap_insert(&w->seen, pfn, state, 0, 0, NULL) < 0)
		w->nomem = true;
}

static void add_pre(struct warm *w, const struct trace_event *ev)
{
	if (w->npre == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 1024;
		struct warm_block *p = realloc(w->pre, cap * sizeof(*p));

		if (!p) {
			w->nomem = true;
			return;
		}
		w->pre = p;
		w->cap = cap;
	}
	w->pre[w->npre] = (struct warm_block){
		.key = ev->pfn, .order = (uint8_t)ev->order, .mt = -1,
		.cpu = (uint16_t)(ev->cpu < WARM_MAX_CPUS ? ev->cpu : 0),
	};
	w->npre++;
	mark(w, ev->pfn, (uint32_t)w->npre);
}

/* A block's first event: what it says about the starting state. */
static void first_touch(struct warm *w, const struct trace_event *ev,
			unsigned cpu)
{
	int l = list_of(ev->order, ev->migratetype);

	switch (ev->kind) {
	case TEV_ALLOC:     /* served from the initial pageset */
	case TEV_PCPU_DRAIN: /* drained from it */
		if (l >= 0 && cpu < WARM_MAX_CPUS)
			w->taken[cpu][l]++;
		mark(w, ev->pfn, SEEN);
		break;
	case TEV_FREE:      /* in use before the capture */
		add_pre(w, ev);
		break;
	default:            /* zone_locked: it was on the free lists */
		mark(w, ev->pfn, SEEN);
		break;
	}
}

void warm_feed(struct warm *w, const struct trace_event *ev)
{
	struct pfnmap_entry *e;
	unsigned cpu = ev->cpu;

	if (w->nomem || ev->kind == TEV_FREE_BATCHED || ev->kind == TEV_VMSTAT ||
	    ev->kind == TEV_EXTFRAG || (ev->kind == TEV_ALLOC && ev->failed))
		return;
	if (cpu < WARM_MAX_CPUS && cpu >= w->ncpus)
		w->ncpus = cpu + 1;
	if (ev->kind == TEV_ZONE_LOCKED && ev->percpu_refill) {
		int l = list_of(ev->order, ev->migratetype);

		if (l >= 0 && cpu < WARM_MAX_CPUS)
			w->refilled[cpu][l] = true;
	}
	e = pfnmap_find(&w->seen, ev->pfn);
	if (!e) {
		first_touch(w, ev, cpu);
		return;
	}
	/* a block in use before the capture, freed, then drained from or
	 * allocated again for a list: that list's type is its pageblock's */
	if (e->pfn != SEEN && (ev->kind == TEV_ALLOC ||
			       ev->kind == TEV_PCPU_DRAIN)) {
		struct warm_block *b = &w->pre[e->pfn - 1];

		if (ev->migratetype >= 0 && ev->migratetype < WARM_MTS)
			b->mt = (int8_t)ev->migratetype;
		e->pfn = SEEN;
	}
}

/* The list the untouched rest of CPU c's pageset goes to: the first, in
 * this order, that the trace never refills on c (order 0 first, so drains
 * take it page by page as the kernel's would). */
static int rest_list(const struct warm *w, unsigned c)
{
	static const int pref[] = { 1, 0, 2 };

	for (int oi = 0; oi < WARM_ORDERS; oi++)
		for (int k = 0; k < WARM_MTS; k++) {
			int l = oi * WARM_MTS + pref[k];

			if (!w->refilled[c][l])
				return l;
		}
	return -1;
}

static unsigned gfp_of_list(int l)
{
	return sim_gfp_of(l % WARM_MTS);
}

/* Blocks in use before the capture: allocated now, under their keys. */
static void apply_pre(struct warm *w, struct sim *s, struct sim_policy *p)
{
	for (size_t i = 0; i < w->npre; i++) {
		const struct warm_block *b = &w->pre[i];

		sim_alloc_one(s, p, b->cpu < s->cfg.ncpus ? b->cpu : 0, b->key,
			      b->order, b->mt >= 0 ? b->mt : PA_MT_MOVABLE);
	}
	pa_drain(p->zone);
}

/* CPU c's pageset: the blocks seen, then the rest up to count:. */
static void apply_pageset(struct warm *w, struct sim_policy *p, unsigned c,
			  const struct zoneinfo *zi, bool count_it)
{
	uint64_t known = 0;
	int rest;

	for (int l = 0; l < WARM_LISTS; l++) {
		unsigned order = list_order(l);
		uint64_t pages = (uint64_t)w->taken[c][l] << order;
		int got;

		if (!pages)
			continue;
		got = pa_pcp_fill_order(p->zone, c, order,
					pages > UINT32_MAX ? UINT32_MAX :
					(unsigned)pages, gfp_of_list(l));
		if (got > 0)
			known += (uint64_t)got;
	}
	if (count_it)
		w->seeded_known += known;
	if (!zi || c >= ZONEINFO_MAX_CPUS || zi->pcp_count[c] <= known)
		return;
	rest = rest_list(w, c);
	if (rest >= 0) {
		int got = pa_pcp_fill_order(p->zone, c, list_order(rest),
					    (unsigned)(zi->pcp_count[c] - known),
					    gfp_of_list(rest));
		if (got > 0 && count_it)
			w->seeded_rest += (uint64_t)got;
	}
}

void warm_set_free(struct warm *w, const struct freeinfo *fi)
{
	w->free = *fi;
	w->have_free = true;
}

/* The blocks CPU c's pageset will take from the buddy in apply_pageset(),
 * added to extra[mt][order]: the shaped free lists keep room for them. */
static void pageset_extra(const struct warm *w, unsigned c,
			  const struct zoneinfo *zi,
			  uint64_t extra[PA_MT_PCPTYPES][FREEINFO_ORDERS])
{
	uint64_t known = 0;
	int rest;

	for (int l = 0; l < WARM_LISTS; l++) {
		extra[l % WARM_MTS][list_order(l)] += w->taken[c][l];
		known += (uint64_t)w->taken[c][l] << list_order(l);
	}
	if (!zi || c >= ZONEINFO_MAX_CPUS || zi->pcp_count[c] <= known ||
	    (rest = rest_list(w, c)) < 0)
		return;
	extra[rest % WARM_MTS][list_order(rest)] +=
		(zi->pcp_count[c] - known) >> list_order(rest);
}

/* The captured free lists on p's zone (warm_free.c). */
static void apply_free(struct warm *w, struct sim_policy *p, unsigned ncpus,
		       const struct zoneinfo *zi, bool count_it)
{
	uint64_t extra[PA_MT_PCPTYPES][FREEINFO_ORDERS] = { { 0 } };
	uint64_t wanted, placed;
	struct pa_stats before, after;

	for (unsigned c = 0; c < ncpus; c++)
		pageset_extra(w, c, zi, extra);
	pa_stats(p->zone, &before);
	warm_free_shape(p->zone, &w->free, extra, &wanted, &placed);
	/* what the shaping keeps in use has no trace key: sim_check counts it */
	pa_stats(p->zone, &after);
	p->warm_held_pages = after.allocated_pages - before.allocated_pages;
	if (count_it) {
		w->free_wanted = wanted;
		w->free_placed = placed;
	}
}

void warm_apply(struct warm *w, struct sim *s, const struct zoneinfo *zi)
{
	if (w->nomem)
		return;
	w->pre_blocks = w->npre;
	for (unsigned i = 0; i < s->npol; i++) {
		struct sim_policy *p = &s->pol[i];
		unsigned n = s->cfg.ncpus < WARM_MAX_CPUS ? s->cfg.ncpus :
							   WARM_MAX_CPUS;

		apply_pre(w, s, p);
		if (w->have_free)
			apply_free(w, p, n, zi, i == 0);
		for (unsigned c = 0; c < n; c++) {
			apply_pageset(w, p, c, zi, i == 0);
			if (zi && c < zi->ncpus && c < ZONEINFO_MAX_CPUS &&
			    zi->pcp_high[c]) {
				pa_pcp_set_high(p->zone, c, zi->pcp_high[c]);
				w->have_high = true;
			}
		}
		pa_stats_reset(p->zone);
		memset(&p->c, 0, sizeof(p->c));
	}
}

void warm_tally(const struct warm *w, struct trace_tally *t)
{
	t->warm = !w->nomem;
	t->warm_high = w->have_high;
	t->warm_pre_blocks = w->pre_blocks;
	t->warm_pcp_seen = w->seeded_known;
	t->warm_pcp_rest = w->seeded_rest;
	t->warm_free = w->have_free && !w->nomem;
	t->warm_free_wanted = w->free_wanted;
	t->warm_free_placed = w->free_placed;
	/* the file was read whether or not the lists could be shaped */
	t->warm_free_types = w->have_free && w->free.have_types;
	snprintf(t->warm_free_path, sizeof(t->warm_free_path), "%s",
		 w->have_free ? w->free.path : "");
	t->warm_free_bytes = w->have_free ? w->free.bytes : 0;
	t->warm_free_crc32 = w->have_free ? w->free.crc32 : 0;
}
