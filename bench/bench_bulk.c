/* SPDX-License-Identifier: MIT */
/*
 * Bulk against single calls (issue 9): batches of blocks allocated and
 * freed with pa_alloc_bulk/pa_free_bulk, and the same batches one
 * pa_alloc_cpu/pa_free_cpu at a time, under every policy the library
 * accepts, in one run.  Two figures per cell: ns per page (alloc + free)
 * and zone->lock acquisitions per 1000 pages.  Runs interleave policies
 * and modes round by round; the report takes medians.
 * Metadata-only 1 GiB zone, 2 CPU slots, default pagesets.
 */
#include "harness.h"
#include "pagealloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define G_NS   "bulk vs single calls: ns per page (alloc + free of each batch)"
#define G_LOCK "bulk vs single calls: zone->lock acquisitions per 1000 pages"
#define MAXB 256

struct pattern {
	const char *name;
	unsigned order, batch;
	unsigned free_cpu; /* 0: the allocating CPU, 1: the other one */
};

static const struct pattern patterns[] = {
	{ "o0 x64, same CPU", 0, 64, 0 },
	{ "o0 x256, same CPU", 0, 256, 0 },
	{ "o0 x64, freed on the other CPU", 0, 64, 1 },
	{ "o3 x16, same CPU", 3, 16, 0 },
	{ "o5 x8 (not cached per CPU)", 5, 8, 0 },
};

static void die(const char *what)
{
	fprintf(stderr, "bench_bulk: %s failed\n", what);
	exit(1);
}

static void one_batch(struct pa_zone *z, const struct pattern *pt, bool bulk,
		      uint64_t *p, unsigned *o)
{
	unsigned n = pt->batch;

	if (bulk) {
		if (pa_alloc_bulk(z, 0, pt->order, PA_GFP_MOVABLE, n, p) != n)
			die("pa_alloc_bulk");
		if (pa_free_bulk(z, pt->free_cpu, p, o, n) != (int)n)
			die("pa_free_bulk");
		return;
	}
	for (unsigned i = 0; i < n; i++)
		if ((p[i] = pa_alloc_cpu(z, 0, pt->order, PA_GFP_MOVABLE)) == PA_NO_PFN)
			die("pa_alloc_cpu");
	for (unsigned i = 0; i < n; i++)
		if (pa_free_cpu(z, pt->free_cpu, p[i], pt->order))
			die("pa_free_cpu");
}

static void measure(const struct bench_opts *opt, struct pa_zone *z,
		    const char *pol, const struct pattern *pt, bool bulk)
{
	uint64_t p[MAXB];
	unsigned o[MAXB];
	char col[64];
	struct pa_stats a, b;

	for (unsigned i = 0; i < pt->batch; i++)
		o[i] = pt->order;
	for (unsigned i = 0; i < 64; i++) /* warm the pagesets */
		one_batch(z, pt, bulk, p, o);
	pa_stats(z, &a);
	uint64_t pages = 0, t0 = bench_now_ns(), t1;

	do {
		for (unsigned i = 0; i < 64; i++)
			one_batch(z, pt, bulk, p, o);
		pages += 64ull * pt->batch << pt->order;
		t1 = bench_now_ns();
	} while (pages < opt->ops && t1 - t0 < opt->budget_ns);
	pa_stats(z, &b);
	snprintf(col, sizeof(col), "%s %s", pol, bulk ? "bulk" : "single");
	bench_result(G_NS, pt->name, col, (double)(t1 - t0) / (double)pages);
	bench_result(G_LOCK, pt->name, col,
		     1000.0 * (double)(b.zone_lock.acquisitions -
				       a.zone_lock.acquisitions) / (double)pages);
}

int main(int argc, char **argv)
{
	struct bench_opts opt;

	bench_parse_opts(argc, argv, "", &opt);
	bench_make_multithreaded();
	bench_group(G_NS);
	bench_group(G_LOCK);
	for (unsigned r = 0; r < opt.runs; r++) {
		for (int pol = 0; pol < PA_POLICY_NR; pol++) {
			struct pa_config c = pa_config_default();

			c.bytes = 1ull << 30;
			c.ncpus = 2;
			c.policy = (enum pa_policy)pol;
			if (pa_config_check(&c, NULL, 0))
				continue; /* not accepted by this build */
			struct pa_zone *z = pa_zone_create(&c);

			if (!z)
				continue;
			for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
				if (!bench_selected(&opt, patterns[i].name))
					continue;
				/* alternate which mode goes first, round by round */
				measure(&opt, z, pa_policy_name(c.policy), &patterns[i], r & 1);
				measure(&opt, z, pa_policy_name(c.policy), &patterns[i], !(r & 1));
			}
			if (pa_check(z, NULL, 0))
				die("pa_check");
			pa_zone_destroy(z);
		}
	}
	return 0;
}
