/* SPDX-License-Identifier: MIT */
/*
 * Superpageblocks (issue 10), every policy side by side (tainted SPBs
 * under churn: bench_antifrag):
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
 *  - creating a 1 TiB metadata-only zone: time and resident memory.
 *
 * Counts are deterministic (a fixed seed); times are this thread's CPU
 * time (CLOCK_THREAD_CPUTIME_ID: the machine is shared), medians over
 * --runs.
 */
#include "harness.h"
#include "pagealloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rng.h"

#define G_SC "search cost: fragmented 1 TiB metadata-only zone (1024 SPBs), zone path, CPU ns per alloc+free pair"
#define G_FP "per-CPU fast path: order-0 movable alloc+free pairs on one CPU, CPU ns per pair"
#define G_CR "1 TiB metadata-only zone creation (child process per policy)"

#ifdef PA_SPB_NAIVE_PICK
#define SPB_COLUMN "spb-naive"
#else
#define SPB_COLUMN "spb"
#endif

static void die(const char *what)
{
	fprintf(stderr, "bench_spb: %s\n", what);
	exit(1);
}

/* This thread's CPU time: the machine is shared and overloaded at times,
 * and waiting for a CPU is not the allocator's cost. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
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

		if (rng_below(r, 100) < share)
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
	uint64_t t0 = cpu_ns();

	for (uint64_t i = 0; i < n; i++) {
		uint64_t pfn = pa_alloc(z, order, gfp);

		if (pfn == PA_NO_PFN || pa_free(z, pfn, order))
			die("search-cost pair failed");
	}
	uint64_t t1 = cpu_ns();
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

	cfg.bytes = o->quick ? 64ull << 30 : 1ull << 40; /* --quick: 64 SPBs */
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
			uint64_t t0 = cpu_ns();

			for (uint64_t i = 0; i < o->ops; i++) {
				uint64_t pfn = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);

				if (pfn == PA_NO_PFN || pa_free_cpu(z, 0, pfn, 0))
					die("fast-path pair failed");
			}
			bench_result(G_FP, "order-0 pair", column((enum pa_policy)p),
				     (double)(cpu_ns() - t0) / (double)o->ops);
			pa_zone_destroy(z);
		}
}

/* ---- creation ---- */

static double rss_mib(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f && fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	if (f)
		fclose(f);
	return (double)resident * (double)sysconf(_SC_PAGESIZE) / 1048576.0;
}

static void create_child(enum pa_policy p)
{
	struct pa_config cfg = pa_config_default();

	cfg.bytes = 1ull << 40;
	cfg.ncpus = 4;
	cfg.policy = p;
	double rss0 = rss_mib();
	uint64_t t0 = bench_now_ns();
	struct pa_zone *z = pa_zone_create(&cfg);
	uint64_t t1 = bench_now_ns();

	if (!z)
		_exit(1);
	bench_result(G_CR, "create ms", column(p), (double)(t1 - t0) / 1e6);
	bench_result(G_CR, "RSS after create MiB", column(p), rss_mib() - rss0);
	pa_zone_destroy(z);
	fflush(stdout);
	_exit(0);
}

static void creation(const struct bench_opts *o)
{
	if (!bench_selected(o, "create"))
		return;
	for (unsigned run = 0; run < o->runs; run++)
		for (int p = 0; p < PA_POLICY_NR; p++) {
			int status;

			fflush(stdout);
			pid_t pid = fork();

			if (pid < 0)
				die("fork");
			if (pid == 0)
				create_child((enum pa_policy)p);
			if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
			    WEXITSTATUS(status))
				die("creating a 1 TiB zone failed");
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
	bench_group(G_SC);
	bench_group(G_FP);
	bench_group(G_CR);
	bench_ratio(G_SC, "mainline");
	bench_ratio(G_FP, "pcpbuddy");
	search_cost(&o);
	fast_path(&o);
	creation(&o);
	return 0;
}
