/* SPDX-License-Identifier: MIT */
/*
 * Compaction and contiguous allocation figures.
 *
 *   bench_compaction [--runs N] [--gib N]
 *                    [--only packed|scattered|compact] [--policy NAME]
 *
 * 1. contig_1g: one 1 GiB pa_alloc_contig (2^18 pages) on a 4 GiB
 *    PA_BACKING_ANON zone half full of movable order-0 pages scattered over
 *    it (every other page, each faulted in).  Two owners: "copy" copies
 *    each 4 KiB page as a real owner must, "nocopy" only switches the
 *    reference, which isolates the allocator's own cost.  Median of --runs
 *    interleaved runs (mainline; the path is the same for every policy
 *    but for the pageset pull-back).
 * 2. contig_1g_packed: per policy, a 4 GiB metadata-only zone with half of
 *    it allocated as movable order-0 pages (no frees: each policy places
 *    them as it does), then one 1 GiB pa_alloc_contig: thread CPU time
 *    (median of --runs) and pages migrated.  Under spb the free SPBs are
 *    found in the summaries; the classic walk starts at the zone's start.
 *    contig_1g_scattered: the same on every other page allocated (no
 *    SPB is free, every candidate is half full: the per-page cost of
 *    isolation and migration, 131,072 pages).
 * 3. compact_2m: per policy, a metadata-only zone filled with movable
 *    pages, one pinned (never movable) page in every tenth pageblock,
 *    then half the others freed at random: pa_compact(pageblock order) and
 *    pa_alloc of the block it made, until compaction fails.  Reports the
 *    blocks obtained and the pages migrated per block: counts, the same
 *    on every machine for a seed.
 */
#include <inttypes.h>
#include <pagealloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

#include "rng.h"

static bool b_isolate(void *o, uint64_t pfn)
{
	(void)o;
	(void)pfn;
	return true;
}

static int b_migrate_copy(void *o, uint64_t dst, uint64_t src)
{
	struct pa_zone *z = o;

	memcpy(pa_pfn_to_addr(z, dst), pa_pfn_to_addr(z, src), 4096);
	return 0;
}

static int b_migrate_nocopy(void *o, uint64_t dst, uint64_t src)
{
	(void)o;
	(void)dst;
	(void)src;
	return 0;
}

static void b_putback(void *o, uint64_t pfn)
{
	(void)o;
	(void)pfn;
}

static const struct pa_movable_ops copy_ops = { b_isolate, b_migrate_copy,
						b_putback };
static const struct pa_movable_ops nocopy_ops = { b_isolate, b_migrate_nocopy,
						  b_putback };

/* Every page allocated movable and marked with id (except `pin_every`th
 * pageblock's first page), then pages freed: every other one, or at
 * random with probability 1/2 (rng). */
static void fill_half(struct pa_zone *z, int id, struct rng *rng,
		      uint64_t pin_every)
{
	uint64_t n = pa_managed_pages(z), pfn;
	uint64_t *all = malloc(n * sizeof(*all)), got = 0;

	while ((pfn = pa_alloc(z, 0, PA_GFP_MOVABLE | PA_GFP_NOWARN)) != PA_NO_PFN) {
		char *mem = pa_pfn_to_addr(z, pfn);

		if (mem)
			*(uint64_t *)mem = pfn;
		all[got++] = pfn;
	}
	for (uint64_t i = 0; i < got; i++) {
		pfn = all[i];
		bool pinned = pin_every && (pfn & 511) == 0 &&
			      (pfn >> 9) % pin_every == 0;
		bool drop = rng ? rng_next(rng) & 1 : pfn & 1;

		if (pinned)
			continue;
		if (drop)
			pa_free(z, pfn, 0);
		else
			pa_set_page_movable(z, pfn, id);
	}
	pa_drain(z);
	free(all);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* CPU time of the calling thread: on a loaded shared machine, wall time
 * also counts the time spent waiting for a CPU. */
static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One timed 1 GiB allocation (wall ns; *cpu gets thread CPU ns); 0 if it
 * failed. */
static uint64_t contig_once(uint64_t gib, const struct pa_movable_ops *ops,
			    uint64_t *migrated, uint64_t *cpu)
{
	struct pa_config c = pa_config_default();

	c.bytes = gib << 30;
	c.backing = PA_BACKING_ANON;
	c.ncpus = 2;
	struct pa_zone *z = pa_zone_create(&c);

	if (!z)
		return 0;
	int id = pa_register_movable_ops(z, ops, z);

	fill_half(z, id, NULL, 0);
	uint64_t c0 = thread_cpu_ns(), t0 = bench_now_ns();
	uint64_t pfn = pa_alloc_contig(z, 1ull << 18, PA_GFP_MOVABLE);
	uint64_t dt = bench_now_ns() - t0;

	*cpu = thread_cpu_ns() - c0;
	struct pa_stats s;

	pa_stats(z, &s);
	*migrated = s.pgmigrate_success;
	pa_zone_destroy(z);
	return pfn == PA_NO_PFN ? 0 : dt;
}

static void bench_contig(unsigned runs, uint64_t gib)
{
	uint64_t t[2][64], cpu[2][64], migrated = 0;
	const struct pa_movable_ops *ops[2] = { &copy_ops, &nocopy_ops };
	const char *name[2] = { "copy", "nocopy" };

	if (runs > 64)
		runs = 64;
	for (unsigned r = 0; r < runs; r++)
		for (unsigned k = 0; k < 2; k++)
			t[k][r] = contig_once(gib, ops[k], &migrated, &cpu[k][r]);
	for (unsigned k = 0; k < 2; k++) {
		qsort(t[k], runs, sizeof(t[k][0]), cmp_u64);
		qsort(cpu[k], runs, sizeof(cpu[k][0]), cmp_u64);
		printf("contig_1g %s: wall median %.2f ms (min %.2f, max %.2f), thread CPU median %.2f ms (min %.2f) over %u runs (%" PRIu64 " pages migrated per run)%s\n",
		       name[k], t[k][runs / 2] / 1e6, t[k][0] / 1e6,
		       t[k][runs - 1] / 1e6, cpu[k][runs / 2] / 1e6,
		       cpu[k][0] / 1e6, runs, migrated,
		       t[k][0] ? "" : " FAILED");
	}
}

/* Half the zone allocated movable, in the order the policy places it. */
static void fill_packed(struct pa_zone *z, int id)
{
	uint64_t pfn;

	for (uint64_t i = 0; i < pa_managed_pages(z) / 2; i++) {
		pfn = pa_alloc(z, 0, PA_GFP_MOVABLE | PA_GFP_NOWARN);
		if (pfn == PA_NO_PFN)
			break;
		pa_set_page_movable(z, pfn, id);
	}
}

/* Every other page allocated movable, whatever the policy. */
static void fill_scattered(struct pa_zone *z, int id)
{
	fill_half(z, id, NULL, 0);
}

/* Per policy: one 1 GiB allocation on a metadata-only zone that `fill`
 * half filled; thread CPU median and pages migrated. */
static void bench_contig_policies(unsigned runs, uint64_t gib, const char *name,
				  void (*fill)(struct pa_zone *, int),
				  const char *policy)
{
	for (unsigned p = 0; p < PA_POLICY_NR; p++) {
		if (policy && strcmp(policy, pa_policy_name((enum pa_policy)p)))
			continue;
		uint64_t cpu[64], migrated = 0;
		bool ok = true;

		for (unsigned r = 0; r < runs && r < 64; r++) {
			struct pa_config c = pa_config_default();
			struct pa_stats s0, s1;

			c.bytes = gib << 30;
			c.ncpus = 2;
			c.policy = (enum pa_policy)p;
			if (pa_config_check(&c, NULL, 0))
				break;
			struct pa_zone *z = pa_zone_create(&c);

			fill(z, pa_register_movable_ops(z, &nocopy_ops, z));
			pa_stats(z, &s0);
			uint64_t c0 = thread_cpu_ns();

			ok &= pa_alloc_contig(z, 1ull << 18, PA_GFP_MOVABLE) != PA_NO_PFN;
			cpu[r] = thread_cpu_ns() - c0;
			pa_stats(z, &s1);
			migrated = s1.pgmigrate_success - s0.pgmigrate_success;
			pa_zone_destroy(z);
			if (r + 1 == runs || r == 63) {
				unsigned n = r + 1;

				qsort(cpu, n, sizeof(cpu[0]), cmp_u64);
				printf("contig_1g_%s %s: thread CPU median %.3f ms (min %.3f) over %u runs, %" PRIu64 " pages migrated%s\n",
				       name, pa_policy_name((enum pa_policy)p),
				       cpu[n / 2] / 1e6, cpu[0] / 1e6, n, migrated,
				       ok ? "" : " FAILED");
			}
		}
	}
}

static void bench_compact(uint64_t gib)
{
	for (unsigned p = 0; p < PA_POLICY_NR; p++) {
		struct pa_config c = pa_config_default();

		c.bytes = gib << 30;
		c.ncpus = 2;
		c.policy = (enum pa_policy)p;
		if (pa_config_check(&c, NULL, 0))
			continue;
		struct pa_zone *z = pa_zone_create(&c);
		int id = pa_register_movable_ops(z, &nocopy_ops, z);
		struct rng rng = { 42 };
		struct pa_compact_stats cs;
		uint64_t blocks = 0, moved = 0;

		fill_half(z, id, &rng, 10);
		while (pa_compact(z, 9, &cs) == 0) {
			moved += cs.pages_migrated;
			if (pa_alloc(z, 9, PA_GFP_MOVABLE | PA_GFP_NOWARN) == PA_NO_PFN)
				break;
			blocks++;
		}
		printf("compact_2m %s: %" PRIu64 " blocks of 2 MiB obtained, %" PRIu64 " pages migrated, %.1f pages per block (live pages of a half-full block: 256)\n",
		       pa_policy_name((enum pa_policy)p), blocks, moved,
		       blocks ? (double)moved / (double)blocks : 0.0);
		pa_zone_destroy(z);
	}
}

int main(int argc, char **argv)
{
	unsigned runs = 5;
	uint64_t gib = 4;
	const char *only = NULL, *policy = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--gib") && i + 1 < argc)
			gib = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--policy") && i + 1 < argc)
			policy = argv[++i];
	}
	if (!runs)
		runs = 1;
	if (!only)
		bench_contig(runs, gib);
	if (!only || !strcmp(only, "packed"))
		bench_contig_policies(runs, gib, "packed", fill_packed,
				      policy);
	if (!only || !strcmp(only, "scattered"))
		bench_contig_policies(runs, gib, "scattered",
				      fill_scattered, policy);
	if (!only || !strcmp(only, "compact"))
		bench_compact(1);
	return 0;
}
