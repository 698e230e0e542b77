/* SPDX-License-Identifier: MIT */
/*
 * `pagealloc mix TRACE...`: what a trace allocates, by class - rates,
 * order mix and lifetimes - the measured data the scenarios' parameters
 * come from (docs/SCENARIOS.md).  Classes follow the gfp flags the kernel
 * printed: movable with __GFP_ZERO is anonymous memory (a zeroed fault),
 * as is a movable block of order 9 or more (a THP, zeroed after the
 * allocation), other movable blocks page cache (and copy-on-write pages), then
 * reclaimable and unmovable by migratetype.  A block's lifetime is from
 * its mm_page_alloc to the mm_page_free of its pfn; blocks not freed
 * before the trace ends are counted as outliving it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "pfnmap.h"
#include "trace_parse.h"
#include "trace_reader.h"

enum mix_class { MIX_ANON, MIX_FILE, MIX_RECL, MIX_UNMOV, MIX_NR };
static const char *const mix_names[MIX_NR] = {
	"anon", "pagecache", "reclaimable", "unmovable"
};

#define MIX_ORDERS 11
#define MIX_LIFE_BUCKETS 40 /* powers of two of microseconds */

struct mix_class_tally {
	uint64_t allocs, pages;
	uint64_t by_order[MIX_ORDERS];
	uint64_t freed, outlived;
	uint64_t life_us[MIX_LIFE_BUCKETS]; /* freed blocks, log2 buckets */
};

struct mix {
	struct pfnmap live;   /* pfn -> allocation time (ms in pfn), class */
	struct mix_class_tally c[MIX_NR];
	uint64_t first_ns, last_ns;
	bool have_ts;
};

static enum mix_class class_of(const char *line, const struct trace_event *ev)
{
	/* a THP is anonymous though zeroed after the allocation */
	if (ev->migratetype == 1)
		return strstr(line, "__GFP_ZERO") || ev->order >= 9 ?
		       MIX_ANON : MIX_FILE;
	return ev->migratetype == 2 ? MIX_RECL : MIX_UNMOV;
}

static unsigned log2_bucket(uint64_t v)
{
	unsigned b = 0;

	while (v > 1 && b < MIX_LIFE_BUCKETS - 1) {
		v >>= 1;
		b++;
	}
	return b;
}

/* The lifetime's time is kept in the map's 32-bit pfn field as
 * microseconds since the first event (71 minutes of trace). */
static void on_alloc(struct mix *m, const char *line,
		     const struct trace_event *ev)
{
	enum mix_class k = class_of(line, ev);
	struct mix_class_tally *c = &m->c[k];
	uint64_t us = (ev->ts_ns - m->first_ns) / 1000;

	c->allocs++;
	c->pages += 1ull << ev->order;
	c->by_order[ev->order < MIX_ORDERS ? ev->order : MIX_ORDERS - 1]++;
	pfnmap_insert(&m->live, ev->pfn, (uint32_t)(us > UINT32_MAX ?
			UINT32_MAX : us), ev->order, k, NULL);
}

static void on_free(struct mix *m, const struct trace_event *ev)
{
	struct pfnmap_entry e;
	uint64_t now_us = (ev->ts_ns - m->first_ns) / 1000;

	if (!pfnmap_remove(&m->live, ev->pfn, &e))
		return; /* allocated before the capture */
	m->c[e.trace_order].freed++;
	m->c[e.trace_order].life_us[log2_bucket(now_us - e.pfn)]++;
}

static int mix_read(struct mix *m, const char *path)
{
	struct trace_reader *r;
	const char *line;
	char err[300];
	long n;

	if (trace_reader_open(&r, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "pagealloc mix: %s\n", err);
		return -EIO;
	}
	while ((n = trace_reader_next(r, &line)) >= 0) {
		struct trace_event ev;
		uint64_t lost;

		if (trace_parse_line(line, (size_t)n, &ev, &lost) != TL_EVENT)
			continue;
		if (!m->have_ts) {
			m->have_ts = true;
			m->first_ns = ev.ts_ns;
		}
		if (ev.ts_ns >= m->last_ns)
			m->last_ns = ev.ts_ns;
		if (ev.kind == TEV_ALLOC && !ev.failed)
			on_alloc(m, line, &ev);
		else if (ev.kind == TEV_FREE)
			on_free(m, &ev);
	}
	trace_reader_close(r);
	return n == -1 ? 0 : -EIO;
}

/* The lifetime below which a share q of the freed blocks died (upper
 * edge of its bucket, in microseconds). */
static uint64_t life_quantile(const struct mix_class_tally *c, double q)
{
	uint64_t want = (uint64_t)(q * (double)c->freed), seen = 0;

	for (unsigned b = 0; b < MIX_LIFE_BUCKETS; b++) {
		seen += c->life_us[b];
		if (seen > want)
			return 2ull << b;
	}
	return 0;
}

static void mix_print(struct mix *m)
{
	double secs = (double)(m->last_ns - m->first_ns) / 1e9;

	for (uint64_t j = 0; j <= m->live.mask; j++)
		if (m->live.slots[j].key != PFNMAP_EMPTY)
			m->c[m->live.slots[j].trace_order].outlived++;
	printf("trace span %.3f s\n", secs);
	printf("%-12s %10s %12s %9s  %-40s %10s %10s\n", "class", "allocs/s",
	       "pages/s", "outlived%", "order mix % (0 1 2 3 4 .. 9 10+)",
	       "life p50", "life p90");
	for (unsigned k = 0; k < MIX_NR; k++) {
		const struct mix_class_tally *c = &m->c[k];
		char orders[128];
		size_t o = 0;

		for (unsigned i = 0; i < MIX_ORDERS; i++)
			o += (size_t)snprintf(orders + o, sizeof(orders) - o, "%s%.1f",
					      i ? " " : "", c->allocs ? 100.0 *
					      (double)c->by_order[i] /
					      (double)c->allocs : 0.0);
		printf("%-12s %10.0f %12.0f %9.1f  %-40s %8" PRIu64 "us %8" PRIu64
		       "us\n", mix_names[k], secs > 0 ? (double)c->allocs / secs : 0,
		       secs > 0 ? (double)c->pages / secs : 0,
		       c->allocs ? 100.0 * (double)c->outlived / (double)c->allocs : 0,
		       orders, life_quantile(c, 0.5), life_quantile(c, 0.9));
	}
}

int cmd_mix(int argc, char **argv)
{
	struct mix m;
	int rc = 0;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fprintf(argc < 2 ? stderr : stdout,
			"usage: pagealloc mix TRACE...\n\n"
			"Per class (anonymous, page cache, reclaimable, unmovable):\n"
			"allocation rate, order mix, share outliving the trace and\n"
			"lifetime quantiles of the freed blocks (log2 buckets).\n");
		return argc < 2 ? 2 : 0;
	}
	memset(&m, 0, sizeof(m));
	if (pfnmap_init(&m.live) < 0) {
		fprintf(stderr, "pagealloc mix: out of memory\n");
		return 1;
	}
	for (int i = 1; i < argc && !rc; i++)
		rc = mix_read(&m, argv[i]);
	if (!rc)
		mix_print(&m);
	pfnmap_destroy(&m.live);
	return rc ? 2 : 0;
}
