/* SPDX-License-Identifier: MIT */
/*
 * Compaction and contiguous allocation figures.
 *
 *   bench_compaction [--runs N] [--gib N]
 *                    [--only contig|packed|scattered|compact] [--policy NAME]
 *
 * 1. contig_1g_anon: per policy, one 1 GiB pa_alloc_contig (2^18 pages) on
 *    a 4 GiB PA_BACKING_ANON zone half full of movable order-0 pages
 *    scattered over it (every other page; every page of the zone written
 *    once first, so neither sources nor destinations fault during the
 *    call: the page faults taken are reported).  Three owners, interleaved:
 *    "memcpy" copies each 4 KiB page with memcpy, "pa_copy_block" with the
 *    library's streaming copy, "nocopy" only switches the reference, which
 *    isolates the allocator's own cost.  Wall and thread CPU medians of
 *    --runs.  bench_compaction_floor measures what moving those bytes
 *    costs on this machine without any allocator.
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
#include <sys/resource.h>
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

static int b_migrate_stream(void *o, uint64_t dst, uint64_t src)
{
	return pa_copy_block(o, dst, src, 0);
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
static const struct pa_movable_ops stream_ops = { b_isolate, b_migrate_stream,
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

/* What one timed 1 GiB allocation cost. */
struct contig_run {
	uint64_t wall, cpu;   /* ns */
	uint64_t migrated;    /* pages */
	uint64_t minflt;      /* page faults taken during the call */
	bool ok;
};

static uint64_t thread_minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return (uint64_t)ru.ru_minflt;
}

/* One timed 1 GiB allocation on a fresh anonymous zone half filled by
 * fill_half (every page written once, so each is faulted in). */
static void contig_once(uint64_t gib, enum pa_policy policy,
			const struct pa_movable_ops *ops, struct contig_run *out)
{
	struct pa_config c = pa_config_default();

	c.bytes = gib << 30;
	c.backing = PA_BACKING_ANON;
	c.ncpus = 2;
	c.policy = policy;
	*out = (struct contig_run){ 0 };
	struct pa_zone *z = pa_zone_create(&c);

	if (!z)
		return;
	int id = pa_register_movable_ops(z, ops, z);

	fill_half(z, id, NULL, 0);
	struct pa_stats s0, s1;

	pa_stats(z, &s0);
	uint64_t f0 = thread_minflt(), c0 = thread_cpu_ns(), t0 = bench_now_ns();
	uint64_t pfn = pa_alloc_contig(z, 1ull << 18, PA_GFP_MOVABLE);

	out->wall = bench_now_ns() - t0;
	out->cpu = thread_cpu_ns() - c0;
	out->minflt = thread_minflt() - f0;
	pa_stats(z, &s1);
	out->migrated = s1.pgmigrate_success - s0.pgmigrate_success;
	out->ok = pfn != PA_NO_PFN;
	pa_zone_destroy(z);
}

static uint64_t median_u64(uint64_t *v, unsigned n)
{
	qsort(v, n, sizeof(v[0]), cmp_u64);
	return v[n / 2];
}

/* Owners of the anonymous variant: memcpy, pa_copy_block, no copy. */
#define NOWNERS 3

/* contig_1g on an anonymous zone, per policy: the owners interleaved,
 * medians of `runs`. */
static void bench_contig(unsigned runs, uint64_t gib, const char *policy)
{
	const struct pa_movable_ops *ops[NOWNERS] = { &copy_ops, &stream_ops,
						      &nocopy_ops };
	const char *name[NOWNERS] = { "memcpy", "pa_copy_block", "nocopy" };

	if (runs > 64)
		runs = 64;
	for (unsigned p = 0; p < PA_POLICY_NR; p++) {
		const char *pn = pa_policy_name((enum pa_policy)p);
		uint64_t wall[NOWNERS][64], cpu[NOWNERS][64], flt[NOWNERS][64];
		uint64_t migrated = 0;
		bool ok = true;

		if (policy && strcmp(policy, pn))
			continue;
		for (unsigned r = 0; r < runs; r++)
			for (unsigned k = 0; k < NOWNERS; k++) {
				struct contig_run cr;

				contig_once(gib, (enum pa_policy)p, ops[k], &cr);
				wall[k][r] = cr.wall;
				cpu[k][r] = cr.cpu;
				flt[k][r] = cr.minflt;
				migrated = cr.migrated;
				ok &= cr.ok;
			}
		for (unsigned k = 0; k < NOWNERS; k++) {
			uint64_t w = median_u64(wall[k], runs);
			uint64_t t = median_u64(cpu[k], runs);

			printf("contig_1g_anon %s %s: wall median %.2f ms (min %.2f), thread CPU median %.2f ms (min %.2f) over %u runs, %" PRIu64 " pages migrated, %" PRIu64 " page faults (median)%s\n",
			       pn, name[k], w / 1e6, wall[k][0] / 1e6, t / 1e6,
			       cpu[k][0] / 1e6, runs, migrated,
			       median_u64(flt[k], runs), ok ? "" : " FAILED");
		}
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
	if (!only || !strcmp(only, "contig"))
		bench_contig(runs, gib, policy);
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
