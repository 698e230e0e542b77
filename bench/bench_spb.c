/* SPDX-License-Identifier: MIT */
/*
 * Superpageblocks (issue 10), every policy side by side:
 *
 *  - anti-fragmentation: a 32 GiB metadata-only zone (32 SPBs of 1 GiB),
 *    movable memory filled to 85/95/98% and churned (orders 0-3 and THPs),
 *    unmovable and reclaimable memory with random lifetimes, and mass
 *    frees like process exits.  Per policy: tainted SPBs at the peak and
 *    at the end, the peak non-movable footprint in SPBs, the target bound
 *    max(4, 3 x footprint), pageblocks converted, failed allocations.
 *
 *  - search cost: a 1 TiB metadata-only zone (1024 SPBs) filled with
 *    pageblock-sized blocks (1 in 16 unmovable), then partly freed per SPB
 *    (5-60% of its movable blocks; the non-movable ones of half the SPBs)
 *    so thousands of partly free SPBs of both categories remain; then
 *    alloc+free pairs on the zone path (every CPU offline) for movable and
 *    unmovable requests of orders 0 and 3: ns per pair, and under spb the
 *    bitmap words read per allocation.  Built with
 *    EXTRA_CFLAGS=-DPA_SPB_NAIVE_PICK (see docs/PERFORMANCE.md) the library
 *    picks SPBs by visiting them one by one instead, and this benchmark
 *    names that column "spb-naive" (the count is then SPBs visited).
 *
 *  - the per-CPU fast path: order-0 alloc+free pairs on one CPU (hits).
 *
 * Counts are deterministic (fixed seeds); times are medians over --runs.
 */
#include "harness.h"
#include "pagealloc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define G_AF "anti-fragmentation: 32 GiB metadata-only zone, 4 CPUs, 32 SPBs"
#define G_SC "search cost: fragmented 1 TiB metadata-only zone (1024 SPBs), zone path"
#define G_FP "per-CPU fast path: order-0 movable alloc+free pairs on one CPU"

#ifdef PA_SPB_NAIVE_PICK
#define SPB_COLUMN "spb-naive"
#else
#define SPB_COLUMN "spb"
#endif

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return rnd(r) % n;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_spb: %s\n", what);
	exit(1);
}

static const char *column(enum pa_policy p)
{
	return p == PA_POLICY_SPB ? SPB_COLUMN : pa_policy_name(p);
}

/* ---- live allocations (swap-remove set) ---- */

struct live {
	uint64_t *pfn;
	uint8_t *order;
	uint64_t n, cap, pages;
};

static void live_add(struct live *l, uint64_t pfn, unsigned order)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 4096;
		l->pfn = realloc(l->pfn, l->cap * sizeof(*l->pfn));
		l->order = realloc(l->order, l->cap);
		if (!l->pfn || !l->order)
			die("out of memory");
	}
	l->pfn[l->n] = pfn;
	l->order[l->n++] = (uint8_t)order;
	l->pages += 1ull << order;
}

/* Free entry i on a random CPU and drop it from the set. */
static void live_free(struct pa_zone *z, struct live *l, uint64_t i,
		      unsigned cpu)
{
	if (pa_free_cpu(z, cpu, l->pfn[i], l->order[i]))
		die("pa_free_cpu failed");
	l->pages -= 1ull << l->order[i];
	l->pfn[i] = l->pfn[--l->n];
	l->order[i] = l->order[l->n];
}

static void live_fini(struct live *l)
{
	free(l->pfn);
	free(l->order);
	memset(l, 0, sizeof(*l));
}

/* ---- anti-fragmentation ---- */

#define AF_BYTES (32ull << 30)
#define AF_CPUS 4
#define AF_STEPS 1500000ull
#define AF_EXIT_EVERY 250000ull
#define AF_SAMPLE_EVERY 5000ull

struct churn_spec {
	const char *row;
	double movable, nonmovable; /* target shares of managed memory */
};

struct churn {
	struct pa_zone *z;
	struct rng r;
	struct live mov, nm;
	uint64_t managed, mov_target, nm_target, failed;
	uint64_t peak_tainted, peak_nm;
};

static unsigned movable_order(struct rng *r)
{
	uint64_t x = below(r, 100);

	return x < 70 ? 0 : x < 90 ? 2 + (unsigned)below(r, 2) : 9;
}

static void churn_alloc(struct churn *c, bool movable)
{
	unsigned order = movable ? movable_order(&c->r)
				 : below(&c->r, 5) ? 0 : 1 + (unsigned)below(&c->r, 3);
	unsigned gfp = movable ? PA_GFP_MOVABLE
				: below(&c->r, 2) ? PA_GFP_RECLAIMABLE : 0;
	uint64_t pfn = pa_alloc_cpu(c->z, (unsigned)below(&c->r, AF_CPUS), order,
				    gfp | PA_GFP_NOWARN);

	if (pfn == PA_NO_PFN) {
		c->failed++;
		return;
	}
	live_add(movable ? &c->mov : &c->nm, pfn, order);
}

static void churn_free(struct churn *c, struct live *l)
{
	if (l->n)
		live_free(c->z, l, below(&c->r, l->n),
			  (unsigned)below(&c->r, AF_CPUS));
}

/* One step: a non-movable op one time in eight (random lifetimes around
 * the target), else a movable one around its target. */
static void churn_step(struct churn *c)
{
	if (below(&c->r, 8) == 0) {
		/* lifetimes: allocate below target, free above; jitter */
		if (c->nm.pages + below(&c->r, c->nm_target / 4 + 1) < c->nm_target)
			churn_alloc(c, false);
		else
			churn_free(c, &c->nm);
	} else if (c->mov.pages < c->mov_target) {
		churn_alloc(c, true);
	} else {
		churn_free(c, &c->mov);
	}
}

/* Process exits: a third of the movable memory goes at once. */
static void churn_exit(struct churn *c)
{
	for (uint64_t k = c->mov.n / 3; k; k--)
		churn_free(c, &c->mov);
}

static void churn_sample(struct churn *c)
{
	struct pa_frag f;

	pa_frag(c->z, &f);
	if (f.tainted_superpageblocks > c->peak_tainted)
		c->peak_tainted = f.tainted_superpageblocks;
	if (c->nm.pages > c->peak_nm)
		c->peak_nm = c->nm.pages;
}

static void churn_fill(struct churn *c)
{
	while (c->mov.pages < c->mov_target && c->failed < 1000) {
		churn_alloc(c, true);
		if (c->nm.pages < c->nm_target && below(&c->r, 16) == 0)
			churn_alloc(c, false);
	}
}

static void churn_report(struct churn *c, const struct churn_spec *s,
			 enum pa_policy p)
{
	struct pa_frag f;
	struct pa_stats st;
	char row[64];
	uint64_t spb_pages = 1ull << 18;
	double footprint = ceil((double)c->peak_nm / (double)spb_pages);

	pa_frag(c->z, &f);
	pa_stats(c->z, &st);
	const char *col = column(p);
#define AF(what, v) \
	(snprintf(row, sizeof(row), "%s: %s", s->row, what), \
	 bench_result(G_AF, row, col, (double)(v)))
	AF("tainted SPBs, peak", c->peak_tainted);
	AF("tainted SPBs, end", f.tainted_superpageblocks);
	AF("peak non-movable footprint (SPBs)", footprint);
	AF("target max(4, 3 x footprint)", fmax(4.0, 3.0 * footprint));
	AF("pageblocks converted", st.blocks_claimed);
	AF("fallbacks (extfrag events)", st.extfrag_fallbacks);
	AF("failed allocations", c->failed);
#undef AF
}

static void churn_run(const struct churn_spec *s, enum pa_policy p)
{
	struct pa_config cfg = pa_config_default();
	struct churn c;

	memset(&c, 0, sizeof(c));
	cfg.bytes = AF_BYTES;
	cfg.ncpus = AF_CPUS;
	cfg.policy = p;
	c.z = pa_zone_create(&cfg);
	if (!c.z)
		die("pa_zone_create");
	c.r.s = 0x5eed0001;
	c.managed = pa_managed_pages(c.z);
	c.mov_target = (uint64_t)(s->movable * (double)c.managed);
	c.nm_target = (uint64_t)(s->nonmovable * (double)c.managed);
	churn_fill(&c);
	for (uint64_t i = 1; i <= AF_STEPS; i++) {
		churn_step(&c);
		if (i % AF_EXIT_EVERY == 0)
			churn_exit(&c);
		if (i % AF_SAMPLE_EVERY == 0)
			churn_sample(&c);
	}
	churn_sample(&c);
	churn_report(&c, s, p);
	live_fini(&c.mov);
	live_fini(&c.nm);
	pa_zone_destroy(c.z);
}

static void anti_fragmentation(const struct bench_opts *o)
{
	static const struct churn_spec specs[] = {
		{ "movable 85%", 0.85, 0.04 },
		{ "movable 95%", 0.95, 0.02 },
		{ "movable 98%", 0.98, 0.01 },
	};

	for (unsigned i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		if (!bench_selected(o, specs[i].row))
			continue;
		for (int p = 0; p < PA_POLICY_NR; p++)
			churn_run(&specs[i], (enum pa_policy)p);
	}
}

/* ---- search cost ---- */

#define SC_SPB_SHIFT 18

/* A full zone of pageblock-sized blocks, then freed per SPB into partly
 * free SPBs of both categories; returns what is still allocated. */
static void fragment(struct pa_zone *z, struct live *l, struct rng *r)
{
	struct live nm = { 0 };

	for (uint64_t i = 0;; i++) {
		unsigned gfp = i % 16 == 0 ? 0 : PA_GFP_MOVABLE;
		uint64_t pfn = pa_alloc(z, 9, gfp | PA_GFP_NOWARN);

		if (pfn == PA_NO_PFN)
			break;
		live_add(gfp ? l : &nm, pfn, 9);
	}
	for (uint64_t i = l->n; i-- > 0;) {
		uint64_t spb = l->pfn[i] >> SC_SPB_SHIFT;
		/* a per-SPB share, the same for every policy */
		uint64_t share = 5 + (spb * 0x9e3779b97f4a7c15ull >> 58) % 56;

		if (below(r, 100) < share)
			live_free(z, l, i, 0);
	}
	/* half the SPBs holding non-movable blocks (a hash bit, not the
	 * parity: spb packs them at regular strides) lose them: clean */
	for (uint64_t i = nm.n; i-- > 0;)
		if (((nm.pfn[i] >> SC_SPB_SHIFT) * 0xd6e8feb86659fd93ull) >> 63)
			live_free(z, &nm, i, 0);
	for (uint64_t i = 0; i < nm.n; i++)
		live_add(l, nm.pfn[i], nm.order[i]);
	live_fini(&nm);
}

static void pairs(struct pa_zone *z, enum pa_policy p, const char *row,
		  unsigned order, unsigned gfp, uint64_t n)
{
	struct pa_stats a, b;

	pa_stats(z, &a);
	uint64_t t0 = bench_now_ns();

	for (uint64_t i = 0; i < n; i++) {
		uint64_t pfn = pa_alloc(z, order, gfp);

		if (pfn == PA_NO_PFN || pa_free(z, pfn, order))
			die("search-cost pair failed");
	}
	uint64_t t1 = bench_now_ns();
	char r[64];

	pa_stats(z, &b);
	bench_result(G_SC, row, column(p), (double)(t1 - t0) / (double)n);
	if (p != PA_POLICY_SPB)
		return;
	snprintf(r, sizeof(r), "%s: words (naive: SPBs) per alloc", row);
	bench_result(G_SC, r, column(p),
		     (double)(b.spb_words_visited - a.spb_words_visited) / (double)n);
	snprintf(r, sizeof(r), "%s: served by pass 1 (%%)", row);
	bench_result(G_SC, r, column(p),
		     100.0 * (double)(b.spb_pass[0] - a.spb_pass[0]) / (double)n);
}

static void search_cost_policy(const struct bench_opts *o, enum pa_policy p)
{
	struct pa_config cfg = pa_config_default();
	struct live l = { 0 };
	struct rng r = { 0x5eed0002 };
	struct pa_frag f;

	cfg.bytes = 1ull << 40;
	cfg.ncpus = 1;
	cfg.policy = p;
	cfg.flags = PA_CFG_NO_WATERMARKS;
	struct pa_zone *z = pa_zone_create(&cfg);

	if (!z)
		die("pa_zone_create 1 TiB");
	if (pa_cpu_offline(z, 0))
		die("pa_cpu_offline");
	fragment(z, &l, &r);
	pa_frag(z, &f);
	bench_note("%s: %llu of %llu SPBs tainted, %.1f%% free", column(p),
		   (unsigned long long)f.tainted_superpageblocks,
		   (unsigned long long)f.nr_superpageblocks,
		   100.0 * (double)f.free_pages / (double)pa_managed_pages(z));
	uint64_t n = o->ops / 4;

	for (unsigned run = 0; run < o->runs; run++) {
		pairs(z, p, "movable order 0", 0, PA_GFP_MOVABLE, n);
		pairs(z, p, "unmovable order 0", 0, 0, n);
		pairs(z, p, "movable order 3", 3, PA_GFP_MOVABLE, n);
		pairs(z, p, "unmovable order 3", 3, 0, n);
	}
	live_fini(&l);
	pa_zone_destroy(z);
}

static void search_cost(const struct bench_opts *o)
{
	if (!bench_selected(o, "search"))
		return;
	for (int p = 0; p < PA_POLICY_NR; p++)
		search_cost_policy(o, (enum pa_policy)p);
}

/* ---- the per-CPU fast path ---- */

static void fast_path(const struct bench_opts *o)
{
	if (!bench_selected(o, "fast"))
		return;
	for (unsigned run = 0; run < o->runs; run++)
		for (int p = 0; p < PA_POLICY_NR; p++) {
			struct pa_config cfg = pa_config_default();

			cfg.bytes = 4ull << 30;
			cfg.ncpus = 1;
			cfg.policy = (enum pa_policy)p;
			struct pa_zone *z = pa_zone_create(&cfg);

			if (!z)
				die("pa_zone_create 4 GiB");
			uint64_t t0 = bench_now_ns();

			for (uint64_t i = 0; i < o->ops; i++) {
				uint64_t pfn = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);

				if (pfn == PA_NO_PFN || pa_free_cpu(z, 0, pfn, 0))
					die("fast-path pair failed");
			}
			bench_result(G_FP, "order-0 pair", column((enum pa_policy)p),
				     (double)(bench_now_ns() - t0) / (double)o->ops);
			pa_zone_destroy(z);
		}
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	struct bench_cpus cpus;

	bench_parse_opts(argc, argv, NULL, &o);
	bench_cpus_init(&cpus);
	bench_make_multithreaded();
	bench_pin(&cpus, 0);
	bench_group(G_AF);
	bench_group(G_SC);
	bench_group(G_FP);
	bench_ratio(G_SC, "mainline");
	bench_ratio(G_FP, "pcpbuddy");
	search_cost(&o);
	fast_path(&o);
	anti_fragmentation(&o);
	return 0;
}
