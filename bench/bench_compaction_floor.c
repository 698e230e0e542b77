/* SPDX-License-Identifier: MIT */
/*
 * What moving the bytes of bench_compaction's contig_1g_anon costs on this
 * machine with no allocator at all: the floor beside that figure.
 *
 *   bench_compaction_floor [--runs N] [--pages N]
 *
 * On a 4 GiB PA_BACKING_ANON zone, every page written once: --pages
 * (130,048, the pages contig_1g_anon migrates) source pages, every other
 * page of the first GiB, each moved to every other page of the third GiB,
 * as the migration does.  Thread CPU medians of interleaved runs of:
 *   read        one load per 64-byte line of every source page: the
 *               bytes must at least be read once;
 *   memcpy_4k   memcpy page by page;
 *   stream_4k   pa_copy_block page by page;
 *   memcpy_all  one memcpy of the same bytes, contiguous (the copy at its
 *               most favourable, no page boundaries).
 */
#include <inttypes.h>
#include <pagealloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE 4096u
#define MAXRUNS 64
#define NKINDS 4

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t src_pfn(uint64_t i)
{
	return 2 * i;
}

static uint64_t dst_pfn(uint64_t i)
{
	return (2ull << 18) + 2 * i + 1;
}

/* Returns a sum of what it read, so the loads are not optimised away. */
static uint64_t run_read(struct pa_zone *z, uint64_t n)
{
	uint64_t sum = 0;

	for (uint64_t i = 0; i < n; i++) {
		const volatile uint64_t *w = pa_pfn_to_addr(z, src_pfn(i));

		for (unsigned k = 0; k < PAGE / 8; k += 8)
			sum += w[k];
	}
	return sum;
}

static void run_kind(struct pa_zone *z, unsigned kind, uint64_t n,
		     uint64_t *sink)
{
	switch (kind) {
	case 0:
		*sink += run_read(z, n);
		break;
	case 1:
		for (uint64_t i = 0; i < n; i++)
			memcpy(pa_pfn_to_addr(z, dst_pfn(i)),
			       pa_pfn_to_addr(z, src_pfn(i)), PAGE);
		break;
	case 2:
		for (uint64_t i = 0; i < n; i++)
			(void)pa_copy_block(z, dst_pfn(i), src_pfn(i), 0);
		break;
	default:
		memcpy(pa_pfn_to_addr(z, 3ull << 18), pa_pfn_to_addr(z, 0),
		       (size_t)n * PAGE);
		break;
	}
}

int main(int argc, char **argv)
{
	static const char *const name[NKINDS] = { "read", "memcpy_4k",
						  "stream_4k", "memcpy_all" };
	unsigned runs = 5;
	uint64_t n = 130048, t[NKINDS][MAXRUNS], sink = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--pages") && i + 1 < argc)
			n = strtoull(argv[++i], NULL, 0);
	}
	if (!runs || runs > MAXRUNS)
		runs = runs ? MAXRUNS : 1;
	if (n > 1ull << 17)
		n = 1ull << 17;  /* every other page of one GiB */
	struct pa_config c = pa_config_default();

	c.bytes = 4ull << 30;
	c.backing = PA_BACKING_ANON;
	c.ncpus = 1;
	struct pa_zone *z = pa_zone_create(&c);

	if (!z)
		return 1;
	memset(pa_pfn_to_addr(z, 0), 1, (size_t)pa_managed_pages(z) * PAGE);
	for (unsigned r = 0; r < runs; r++)
		for (unsigned k = 0; k < NKINDS; k++) {
			uint64_t c0 = thread_cpu_ns();

			run_kind(z, k, n, &sink);
			t[k][r] = thread_cpu_ns() - c0;
		}
	for (unsigned k = 0; k < NKINDS; k++) {
		qsort(t[k], runs, sizeof(t[k][0]), cmp_u64);
		printf("floor %s: %" PRIu64 " pages (%.0f MiB), thread CPU median %.2f ms (min %.2f), %.2f GB/s, over %u runs\n",
		       name[k], n, n * (double)PAGE / (1 << 20),
		       t[k][runs / 2] / 1e6, t[k][0] / 1e6,
		       n * (double)PAGE / (double)t[k][runs / 2], runs);
	}
	pa_zone_destroy(z);
	return sink == 42;  /* never: keeps the reads */
}
