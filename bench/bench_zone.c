/* SPDX-License-Identifier: MIT */
/*
 * The zone alone (issue 2): alloc+free pairs through zone->lock on every
 * call (PA_CFG_NO_PCP) for orders 0, 3 and 9, and what a metadata-only zone
 * of a large machine costs to create: time, resident memory and metadata
 * bytes per page.  Each size is created in a child process of its own so
 * its RSS is not muddied by earlier zones or by the allocator's own heap.
 */
#include "harness.h"
#include "pagealloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHUNK 4096u

#define G_ZP "zone path (PA_CFG_NO_PCP, metadata-only zone, pfn API): ns per alloc+free pair"
#define G_ZC "metadata-only zone creation (child process per size)"

static void die(const char *what)
{
	fprintf(stderr, "bench_zone: %s failed: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t pair_loop(struct pa_zone *z, unsigned order, uint64_t pairs,
			  uint64_t budget_ns, uint64_t t0)
{
	uint64_t done = 0;
	while (done < pairs) {
		for (unsigned i = 0; i < CHUNK; i++) {
			uint64_t pfn = pa_alloc(z, order, 0);
			if (__builtin_expect(pfn == PA_NO_PFN, 0))
				die("pa_alloc");
			if (__builtin_expect(pa_free(z, pfn, order) != 0, 0))
				die("pa_free");
		}
		done += CHUNK;
		if (budget_ns && bench_now_ns() - t0 > budget_ns)
			break;
	}
	return done;
}

static void zone_path(const struct bench_opts *o, struct pa_zone *z)
{
	static const unsigned orders[] = { 0, 3, 9 };
	char row[32];
	for (unsigned i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
		snprintf(row, sizeof(row), "o%u pair", orders[i]);
		if (!bench_selected(o, row))
			continue;
		pair_loop(z, orders[i], o->ops / 16, o->budget_ns / 8, bench_now_ns());
		struct pa_stats a, b;
		pa_stats(z, &a);
		uint64_t t0 = bench_now_ns();
		uint64_t n = pair_loop(z, orders[i], o->ops, o->budget_ns, t0);
		uint64_t t1 = bench_now_ns();
		pa_stats(z, &b);
		bench_result(G_ZP, row, "ns/pair", (double)(t1 - t0) / (double)n);
		/* Sanity: the zone path takes zone->lock once per call. */
		bench_result(G_ZP, row, "zone->lock acq/call",
			     (double)(b.zone_lock.acquisitions - a.zone_lock.acquisitions) /
				     (double)(2 * n));
	}
}

static uint64_t rss_bytes(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* In the child: create, measure, destroy, print. */
static int creation_child(uint64_t bytes, const char *row)
{
	struct pa_config cfg = pa_config_default();
	cfg.bytes = bytes;
	cfg.backing = PA_BACKING_NONE;
	uint64_t rss0 = rss_bytes();
	uint64_t t0 = bench_now_ns();
	struct pa_zone *z = pa_zone_create(&cfg);
	uint64_t t1 = bench_now_ns();
	if (!z) {
		fprintf(stderr, "bench_zone: pa_zone_create(%s): %s\n", row,
			strerror(errno));
		return 1;
	}
	uint64_t rss1 = rss_bytes();
	/* One allocation and free: what the first use faults in. */
	uint64_t pfn = pa_alloc(z, 0, 0);
	if (pfn == PA_NO_PFN || pa_free(z, pfn, 0))
		return 1;
	uint64_t rss2 = rss_bytes();
	struct pa_stats st;
	pa_stats(z, &st);
	uint64_t t2 = bench_now_ns();
	pa_zone_destroy(z);
	uint64_t t3 = bench_now_ns();

	bench_result(G_ZC, row, "create ms", (double)(t1 - t0) / 1e6);
	bench_result(G_ZC, row, "destroy ms", (double)(t3 - t2) / 1e6);
	bench_result(G_ZC, row, "RSS after create MiB", (double)(rss1 - rss0) / 1048576.0);
	bench_result(G_ZC, row, "RSS after 1st alloc MiB", (double)(rss2 - rss0) / 1048576.0);
	bench_result(G_ZC, row, "metadata MiB", (double)st.metadata_bytes / 1048576.0);
	bench_result(G_ZC, row, "metadata B/page",
		     (double)st.metadata_bytes / (double)st.managed_pages);
	return 0;
}

static void creation(const struct bench_opts *o)
{
	static const struct { uint64_t bytes; const char *row; } sizes[] = {
		{ 64ull << 30, "64 GiB" },
		{ 256ull << 30, "256 GiB" },
		{ 1ull << 40, "1 TiB" },
	};
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (!bench_selected(o, sizes[i].row))
			continue;
		fflush(stdout); /* or the child would print our buffer again */
		pid_t pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			int rc = creation_child(sizes[i].bytes, sizes[i].row);
			fflush(stdout);
			_exit(rc);
		}
		int status;
		if (waitpid(pid, &status, 0) < 0)
			die("waitpid");
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			char why[64];
			snprintf(why, sizeof(why), "creating %s failed (status %d)",
				 sizes[i].row, status);
			bench_skip("zone creation", why);
		}
	}
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	struct bench_cpus cpus;
	bench_parse_opts(argc, argv, NULL, &o);
	bench_cpus_init(&cpus);
	bench_make_multithreaded();
	int cpu = bench_pin(&cpus, 0);
	bench_group(G_ZP);
	bench_group(G_ZC);
	bench_min(G_ZP);
	bench_note("zone path pinned to CPU %d", cpu);

	struct pa_config cfg = pa_config_default();
	cfg.bytes = 4ull << 30;
	cfg.backing = PA_BACKING_NONE;
	cfg.flags = PA_CFG_NO_PCP;
	struct pa_zone *z = pa_zone_create(&cfg);
	if (!z) {
		bench_skip("zone path", strerror(errno));
	}
	for (unsigned r = 0; r < o.runs; r++) {
		if (z)
			zone_path(&o, z);
		creation(&o);
	}
	pa_zone_destroy(z);
	return 0;
}
