/* SPDX-License-Identifier: MIT */
/*
 * Anti-fragmentation on a memory-full machine: how many superpageblocks
 * each policy taints and how many pageblocks it converts when movable
 * memory fills 85-98% of the zone and churns while a little unmovable and
 * reclaimable memory (about 1%) comes and goes with random lifetimes, with
 * and without mass frees (process exits).  Counts, not times: the same
 * seed gives the same figures on any machine.  --policy all is every
 * policy, as no --policy.
 *
 *   bench_antifrag [--gib N] [--steps N] [--only WORKLOAD] [--tick N]
 *                  [--policy NAME] [--seed N] [--locks]
 *
 * --only W runs the workload named W, or if none is, every workload whose
 * name contains W (--only fill92 is fill92 alone, --only exits fill92-exits).
 *
 * --seed N (default 0) offsets every workload's fixed seed by N, so
 * medians over several seeds can be taken; seed 0 is the original run.
 *
 * Movable blocks are registered movable (pa_set_page_movable, an owner
 * that follows its blocks when they move), so compaction and spb's
 * evacuation can migrate them.  --tick N calls pa_zone_tick every N steps
 * on a simulated clock of 10 us per step (spb's defragmentation worker,
 * background reclaim); 0, the default, never ticks.
 *
 * One line per (workload, policy), every policy pa_config_check accepts:
 *   tainted SPBs at the end (pagesets drained first, so cached free pages
 *   do not count), peak non-movable footprint in SPBs, pageblocks
 *   converted (pa_stats.blocks_claimed), failed allocations, pa_check;
 *   with --locks, then zone->lock acquisitions and the pages refilled
 *   into and drained from the pagesets under it (the zone-lock traffic).
 */
#include <inttypes.h>
#include <pagealloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

#define NCPUS 4
#define NS_PER_STEP 10000ull  /* simulated time: --tick's clock */
#define NO_SLOT UINT32_MAX

struct workload {
	const char *name;
	unsigned fill_pct;     /* movable share of memory kept allocated */
	unsigned nonmov_permille; /* mean non-movable share */
	unsigned exit_every;   /* steps between mass frees (0: none) */
	uint64_t seed;
};

static const struct workload workloads[] = {
	{ "fill85", 85, 10, 0, 1 },
	{ "fill92", 92, 10, 0, 2 },
	{ "fill98", 98, 8, 0, 3 },
	{ "fill92-exits", 92, 10, 1u << 20, 4 },
	{ "fill95-slab", 95, 15, 0, 5 },
};

/* A pool of live blocks of one kind: pfn, order, expiry step; slot_of
 * (movable pool only) maps a pfn to its entry, for migration. */
struct live {
	uint64_t *pfn;
	uint8_t *order;
	uint64_t *until;
	uint32_t *slot_of;
	uint64_t n, cap, pages;
};

static int live_init(struct live *l, uint64_t cap, bool by_pfn)
{
	l->pfn = malloc(cap * sizeof(*l->pfn));
	l->order = malloc(cap);
	l->until = malloc(cap * sizeof(*l->until));
	l->slot_of = by_pfn ? malloc(cap * sizeof(*l->slot_of)) : NULL;
	l->n = l->pages = 0;
	l->cap = cap;
	if (l->slot_of)
		memset(l->slot_of, 0xff, cap * sizeof(*l->slot_of));
	return l->pfn && l->order && l->until && (!by_pfn || l->slot_of) ? 0 : -1;
}

static void live_free(struct live *l)
{
	free(l->pfn);
	free(l->order);
	free(l->until);
	free(l->slot_of);
}

static void live_add(struct live *l, uint64_t pfn, unsigned order,
		     uint64_t until)
{
	if (l->n == l->cap)
		return;
	l->pfn[l->n] = pfn;
	l->order[l->n] = (uint8_t)order;
	l->until[l->n] = until;
	if (l->slot_of)
		l->slot_of[pfn] = (uint32_t)l->n;
	l->n++;
	l->pages += 1ull << order;
}

/* ---- the movable pool as a movable owner (single-threaded: the
 * callbacks run inside this thread's pa_zone_tick or allocation) ---- */

static bool mov_isolate(void *arg, uint64_t pfn)
{
	const struct live *l = arg;

	return l->slot_of[pfn] != NO_SLOT;
}

static int mov_migrate(void *arg, uint64_t dst, uint64_t src)
{
	struct live *l = arg;
	uint32_t i = l->slot_of[src];

	l->pfn[i] = dst;
	l->slot_of[dst] = i;
	l->slot_of[src] = NO_SLOT;
	return 0;
}

static void mov_putback(void *arg, uint64_t pfn)
{
	(void)arg;
	(void)pfn;
}

static const struct pa_movable_ops mov_ops = { mov_isolate, mov_migrate,
					       mov_putback };

/* Free entry i (swap-remove) on a random CPU. */
static void live_drop(struct pa_zone *z, struct live *l, uint64_t i,
		      struct rng *r)
{
	if (pa_free_cpu(z, (unsigned)rng_below(r, NCPUS), l->pfn[i], l->order[i])) {
		fprintf(stderr, "bench_antifrag: free failed\n");
		exit(2);
	}
	l->pages -= 1ull << l->order[i];
	l->n--;
	if (l->slot_of) {
		l->slot_of[l->pfn[i]] = NO_SLOT;
		if (i != l->n)
			l->slot_of[l->pfn[l->n]] = (uint32_t)i;
	}
	l->pfn[i] = l->pfn[l->n];
	l->order[i] = l->order[l->n];
	l->until[i] = l->until[l->n];
}

struct run {
	struct pa_zone *z;
	struct rng r;
	struct live mov, non;
	uint64_t managed, failed, peak_non;
	uint64_t step, tick_every;
	int mov_id;
};

static void alloc_movable(struct run *x)
{
	/* mostly base pages, some THP-sized */
	unsigned order = rng_below(&x->r, 64) == 0 ? 9 : 0;
	uint64_t pfn = pa_alloc_cpu(x->z, (unsigned)rng_below(&x->r, NCPUS), order,
				    PA_GFP_MOVABLE | PA_GFP_NOWARN);

	if (pfn == PA_NO_PFN && order) {
		order = 0;
		pfn = pa_alloc_cpu(x->z, (unsigned)rng_below(&x->r, NCPUS), 0,
				   PA_GFP_MOVABLE | PA_GFP_NOWARN);
	}
	if (pfn == PA_NO_PFN) {
		x->failed++;
		return;
	}
	live_add(&x->mov, pfn, order, 0);
	pa_set_page_movable(x->z, pfn, x->mov_id);
}

static void alloc_nonmovable(struct run *x, const struct workload *w)
{
	unsigned gfp = rng_below(&x->r, 2) ? PA_GFP_RECLAIMABLE : 0;
	unsigned order = rng_below(&x->r, 8) == 0 ? (unsigned)rng_below(&x->r, 4) : 0;
	/* lifetimes: most short, a long tail (slab, page tables) */
	uint64_t life = rng_below(&x->r, 10) == 0 ? rng_below(&x->r, 1ull << 24)
					       : rng_below(&x->r, 1ull << 16);
	uint64_t pfn = pa_alloc_cpu(x->z, (unsigned)rng_below(&x->r, NCPUS), order,
				    gfp | PA_GFP_NOWARN);

	(void)w;
	if (pfn == PA_NO_PFN)
		x->failed++;
	else
		live_add(&x->non, pfn, order, x->step + life);
}

static void expire_nonmovable(struct run *x)
{
	/* check a few entries per step: expiry is approximate but cheap */
	for (int k = 0; k < 2 && x->non.n; k++) {
		uint64_t i = rng_below(&x->r, x->non.n);

		if (x->non.until[i] <= x->step)
			live_drop(x->z, &x->non, i, &x->r);
	}
}

static void mass_exit(struct run *x)
{
	uint64_t target = x->mov.pages - x->mov.pages / 10;

	while (x->mov.pages > target && x->mov.n)
		live_drop(x->z, &x->mov, rng_below(&x->r, x->mov.n), &x->r);
}

static void step(struct run *x, const struct workload *w)
{
	uint64_t mov_target = x->managed * w->fill_pct / 100;
	uint64_t non_target = x->managed * w->nonmov_permille / 1000;

	x->step++;
	if (w->exit_every && x->step % w->exit_every == 0)
		mass_exit(x);
	if (x->mov.pages >= mov_target && x->mov.n)
		live_drop(x->z, &x->mov, rng_below(&x->r, x->mov.n), &x->r);
	alloc_movable(x);
	expire_nonmovable(x);
	/* arrivals keep the non-movable share near its mean */
	if (x->non.pages < 2 * non_target && rng_below(&x->r, 64) < 2)
		alloc_nonmovable(x, w);
	if (x->non.pages > x->peak_non)
		x->peak_non = x->non.pages;
	if (x->step % 65536 == 0)
		pa_pcp_tick(x->z);
	if (x->tick_every && x->step % x->tick_every == 0)
		pa_zone_tick(x->z, x->step * NS_PER_STEP, NULL);
}

/* What one run is: size, length, ticking and the seed offset. */
struct opts {
	uint64_t gib, steps, tick_every, seed;
	bool locks;
};

/* --locks: zone->lock traffic, and spb's search cost (bitmap words read
 * per search that chose a pass, hint hits, pageblocks adopted). */
static void print_locks(const struct workload *w, enum pa_policy pol,
			const struct pa_stats *s)
{
	uint64_t searches = 0;

	for (unsigned p = 0; p < PA_SPB_NR_PASSES; p++)
		searches += s->spb_pass[p];
	printf("%-13s %-9s zone_lock %" PRIu64 " pcp_refill_pages %" PRIu64
	       " pcp_drain_pages %" PRIu64 " spb_searches %" PRIu64
	       " spb_words %" PRIu64 " spb_hint_hits %" PRIu64
	       " spb_pb_adopted %" PRIu64 "\n", w->name, pa_policy_name(pol),
	       s->zone_lock.acquisitions, s->zone_pages_refill,
	       s->zone_pages_drain, searches, s->spb_words_visited,
	       s->spb_hint_hits, s->spb_pb_adopted);
}

static void run_one(const struct workload *w, enum pa_policy pol,
		    const struct opts *o)
{
	struct pa_config c = pa_config_default();
	/* seed offsets stride by the workload count so no two runs share one */
	uint64_t seed = w->seed + o->seed * (sizeof(workloads) / sizeof(workloads[0]));
	struct run x = { .r = { seed }, .tick_every = o->tick_every };

	c.bytes = o->gib << 30;
	c.ncpus = NCPUS;
	c.policy = pol;
	x.z = pa_zone_create(&c);
	if (!x.z || live_init(&x.mov, c.bytes >> 12, true) ||
	    live_init(&x.non, c.bytes >> 12, false) ||
	    (x.mov_id = pa_register_movable_ops(x.z, &mov_ops, &x.mov)) <= 0) {
		fprintf(stderr, "bench_antifrag: cannot set up %s\n", pa_policy_name(pol));
		exit(2);
	}
	x.managed = pa_managed_pages(x.z);
	/* fill: movable to its target, with non-movable arrivals mixed in */
	while (x.mov.pages < x.managed * w->fill_pct / 100 && x.failed < 1000)
		step(&x, w);
	for (uint64_t i = 0; i < o->steps; i++)
		step(&x, w);

	struct pa_frag f;
	struct pa_stats s;
	char msg[256] = "";

	/* what the allocations hold, not what pagesets cache */
	pa_drain(x.z);
	pa_frag(x.z, &f);
	pa_stats(x.z, &s);
	int rc = pa_check(x.z, msg, sizeof(msg));
	uint64_t spb_pages = 1ull << (c.superpageblock_order ? c.superpageblock_order : 18);

	printf("%-13s %-9s %6" PRIu64 "/%-4" PRIu64 " %6" PRIu64 " %9" PRIu64
	       " %8" PRIu64 " %8" PRIu64 " %9" PRIu64 " %9" PRIu64 "  %s\n",
	       w->name, pa_policy_name(pol), f.tainted_superpageblocks,
	       f.nr_superpageblocks, (x.peak_non + spb_pages - 1) / spb_pages,
	       s.blocks_claimed, s.extfrag_fallbacks, x.failed,
	       s.pgmigrate_success, f.free_whole_pageblocks, rc ? msg : "ok");
	if (o->locks)
		print_locks(w, pol, &s);
	fflush(stdout);
	live_free(&x.mov);
	live_free(&x.non);
	pa_zone_destroy(x.z);
}

/* --only: the workload of that exact name, else every one containing it. */
static bool workload_selected(const char *name, const char *only)
{
	if (!only)
		return true;
	for (size_t k = 0; k < sizeof(workloads) / sizeof(workloads[0]); k++)
		if (!strcmp(workloads[k].name, only))
			return !strcmp(name, only);
	return strstr(name, only) != NULL;
}

int main(int argc, char **argv)
{
	struct opts o = { .gib = 64, .steps = 1ull << 23 };
	const char *only = NULL, *policy = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--gib") && i + 1 < argc)
			o.gib = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
			o.steps = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--tick") && i + 1 < argc)
			o.tick_every = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--policy") && i + 1 < argc)
			policy = argv[++i];
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			o.seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--locks"))
			o.locks = true;
		else {
			fprintf(stderr, "usage: %s [--gib N] [--steps N] [--only WORKLOAD] [--tick N] [--policy NAME] [--seed N] [--locks]\n",
				argv[0]);
			return 2;
		}
	}
	printf("%-13s %-9s %11s %6s %9s %8s %8s %9s %9s  %s\n", "workload",
	       "policy", "tainted/spb", "peakNM", "converted", "fallback",
	       "failed", "migrated", "freePB", "pa_check");
	if (policy && !strcmp(policy, "all"))
		policy = NULL;
	for (size_t k = 0; k < sizeof(workloads) / sizeof(workloads[0]); k++) {
		if (!workload_selected(workloads[k].name, only))
			continue;
		for (unsigned p = 0; p < PA_POLICY_NR; p++) {
			struct pa_config c = pa_config_default();

			c.bytes = o.gib << 30;
			c.ncpus = NCPUS;
			c.policy = (enum pa_policy)p;
			if (policy && strcmp(policy, pa_policy_name(c.policy)))
				continue;
			if (pa_config_check(&c, NULL, 0) == 0)
				run_one(&workloads[k], (enum pa_policy)p, &o);
		}
	}
	return 0;
}
