/* SPDX-License-Identifier: MIT */
/*
 * Free page reporting: what pa_report_free with the built-in reporter
 * (pa_report_madvise) gives back to the OS.  A 256 MiB PA_BACKING_ANON
 * zone is filled with order-0 pages, each written once, then 3/4 of them
 * freed, either at random (page cache dropped here and there) or in whole
 * 2 MiB pageblocks (a process exiting); pagesets drained.  The process's
 * resident set (/proc/self/statm) is read before reporting, after a walk
 * at the pageblock order (the kernel's default page_reporting_order),
 * after a walk at order 0, and after the rest is freed and reported.
 * Also the time of the pageblock-order walk.  Every accepted policy, each
 * run in a fresh zone; the report takes medians over --runs.
 */
#include "harness.h"
#include "pagealloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define G_RSS "page reporting: resident set (MiB) of a 256 MiB backed zone, 3/4 freed"
#define G_MS  "page reporting: ms per pageblock-order walk"
#define ZONE_BYTES (256ull << 20)

static void die(const char *what)
{
	fprintf(stderr, "bench_page_reporting: %s failed\n", what);
	exit(1);
}

static double rss_mib(void)
{
	unsigned long long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f || fscanf(f, "%llu %llu", &size, &res) != 2)
		die("reading /proc/self/statm");
	fclose(f);
	return (double)res * 4096.0 / (1024.0 * 1024.0);
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Should pfn be freed first?  Random pages, or whole pageblocks. */
static bool freed_first(uint64_t pfn, bool whole_blocks, uint64_t *rng)
{
	if (whole_blocks)
		return (pfn >> 9) % 4 != 0;
	return splitmix(rng) % 4 != 0;
}

static void run_one(enum pa_policy pol, bool whole_blocks, uint64_t seed)
{
	struct pa_config c = pa_config_default();
	char row[64];

	c.bytes = ZONE_BYTES;
	c.backing = PA_BACKING_ANON;
	c.policy = pol;
	c.ncpus = 2;
	c.flags = PA_CFG_NO_WATERMARKS;
	struct pa_zone *z = pa_zone_create(&c);

	if (!z)
		die("pa_zone_create");
	uint64_t n = pa_managed_pages(z), pfn, rng = seed;
	uint8_t *live = calloc(n, 1);

	if (!live)
		die("calloc");
	while ((pfn = pa_alloc(z, 0, PA_GFP_MOVABLE | PA_GFP_NOWARN)) != PA_NO_PFN) {
		*(volatile char *)pa_pfn_to_addr(z, pfn) = 1;
		live[pfn] = 1;
	}
	for (pfn = 0; pfn < n; pfn++)
		if (live[pfn] && freed_first(pfn, whole_blocks, &rng)) {
			pa_free(z, pfn, 0);
			live[pfn] = 0;
		}
	pa_drain(z);
	snprintf(row, sizeof(row), "%s, %s", pa_policy_name(pol),
		 whole_blocks ? "whole pageblocks freed" : "random pages freed");
	bench_result(G_RSS, row, "before", rss_mib());
	uint64_t t0 = bench_now_ns();

	if (pa_report_free(z, 9, pa_report_madvise, z) < 0)
		die("pa_report_free");
	bench_result(G_MS, row, "order 9 walk", (double)(bench_now_ns() - t0) / 1e6);
	bench_result(G_RSS, row, "after order-9 report", rss_mib());
	if (pa_report_free(z, 0, pa_report_madvise, z) < 0)
		die("pa_report_free");
	bench_result(G_RSS, row, "after order-0 report", rss_mib());
	for (pfn = 0; pfn < n; pfn++)
		if (live[pfn])
			pa_free(z, pfn, 0);
	pa_drain(z);
	if (pa_report_free(z, 9, pa_report_madvise, z) < 0)
		die("pa_report_free");
	bench_result(G_RSS, row, "all freed, order-9 report", rss_mib());
	free(live);
	pa_zone_destroy(z);
}

int main(int argc, char **argv)
{
	struct bench_opts o;

	bench_parse_opts(argc, argv, "", &o);
	bench_group(G_RSS);
	bench_group(G_MS);
	bench_note("zone: %llu MiB PA_BACKING_ANON, 4 KiB pages, pageblock order 9; RSS is the whole process's",
		   (unsigned long long)(ZONE_BYTES >> 20));
	for (unsigned r = 0; r < o.runs; r++)
		for (unsigned p = 0; p < PA_POLICY_NR; p++) {
			struct pa_config c = pa_config_default();

			c.bytes = ZONE_BYTES;
			c.policy = (enum pa_policy)p;
			if (pa_config_check(&c, NULL, 0))
				continue;
			run_one((enum pa_policy)p, false, 1 + r);
			run_one((enum pa_policy)p, true, 1 + r);
		}
	return 0;
}
