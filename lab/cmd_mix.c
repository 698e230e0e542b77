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
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "outfile.h"
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
	struct pfnmap live;   /* pfn -> allocation time (us in pfn), class */
	struct mix_class_tally c[MIX_NR];
	/* one clock over all traces, each starting where the previous one
	 * ended (the gap between captures is no time of the workload's) */
	uint64_t base_ns;     /* the traces before this one */
	uint64_t first_ns, last_ns; /* this trace's own timestamps */
	bool have_ts;
};

/* ts on the clock over all traces, in microseconds. */
static uint64_t mix_us(const struct mix *m, uint64_t ts_ns)
{
	return (m->base_ns + (ts_ns > m->first_ns ? ts_ns - m->first_ns : 0)) /
	       1000;
}

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
	uint64_t us = mix_us(m, ev->ts_ns);

	c->allocs++;
	c->pages += 1ull << ev->order;
	c->by_order[ev->order < MIX_ORDERS ? ev->order : MIX_ORDERS - 1]++;
	pfnmap_insert(&m->live, ev->pfn, (uint32_t)(us > UINT32_MAX ?
			UINT32_MAX : us), ev->order, k, NULL);
}

static void on_free(struct mix *m, const struct trace_event *ev)
{
	struct pfnmap_entry e;
	uint64_t now_us = mix_us(m, ev->ts_ns);

	if (!pfnmap_remove(&m->live, ev->pfn, &e))
		return; /* allocated before the capture */
	m->c[e.trace_order].freed++;
	/* CPUs' timestamps may step back a little: a lifetime is >= 0 */
	m->c[e.trace_order].life_us[log2_bucket(now_us > e.pfn ?
						 now_us - e.pfn : 0)]++;
}

/* Where a trace's reading stopped: a read or decompression error, text
 * with no line of a trace in it, or no page event at all (empty, as
 * replay refuses it) fails (2); a truncated one is warned about and
 * kept. */
static int mix_end(struct trace_reader *r, const char *path, long n,
		   uint64_t lines, uint64_t events, uint64_t malformed)
{
	if (n == -EIO) {
		fprintf(stderr, "pagealloc mix: %s: corrupt or unreadable: %s\n",
			path, trace_reader_error(r));
		return -EIO;
	}
	if (!events && malformed) {
		fprintf(stderr, "pagealloc mix: %s: not an ftrace text trace: "
			"none of its %llu lines is a trace event line\n", path,
			(unsigned long long)malformed);
		return -EPROTONOSUPPORT;
	}
	if (!events) {
		fprintf(stderr, "pagealloc mix: %s: empty input: no mm_page_* "
			"event in its %llu lines\n", path, (unsigned long long)lines);
		return -ENODATA;
	}
	if (malformed)
		fprintf(stderr, "pagealloc mix: warning: %s: %llu malformed "
			"lines skipped\n", path, (unsigned long long)malformed);
	if (trace_reader_truncated(r))
		fprintf(stderr, "pagealloc mix: warning: %s ends in the middle of "
			"a compressed frame (truncated file); read what was "
			"there\n", path);
	return 0;
}

static int mix_read(struct mix *m, const char *path)
{
	struct trace_reader *r;
	const char *line;
	char err[300];
	uint64_t lines = 0, events = 0, malformed = 0;
	long n;
	int rc;

	if (trace_reader_open(&r, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "pagealloc mix: %s\n", err);
		return -EIO;
	}
	m->have_ts = false;
	while ((n = trace_reader_next(r, &line)) >= 0) {
		struct trace_event ev;
		uint64_t lost;
		enum trace_line k = trace_parse_line(line, (size_t)n, &ev, &lost);

		lines++;
		malformed += k == TL_MALFORMED;
		if (k != TL_EVENT)
			continue;
		events++;
		if (!m->have_ts) {
			m->have_ts = true;
			m->first_ns = m->last_ns = ev.ts_ns;
		}
		if (ev.ts_ns >= m->last_ns)
			m->last_ns = ev.ts_ns;
		if (ev.kind == TEV_ALLOC && !ev.failed)
			on_alloc(m, line, &ev);
		else if (ev.kind == TEV_FREE)
			on_free(m, &ev);
	}
	rc = mix_end(r, path, n, lines, events, malformed);
	trace_reader_close(r);
	if (m->have_ts)
		m->base_ns += m->last_ns - m->first_ns;
	return rc;
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
	double secs = (double)m->base_ns / 1e9;

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

static void mix_usage(FILE *f)
{
	fprintf(f,
		"usage: pagealloc mix TRACE...\n\n"
		"Per class (anonymous, page cache, reclaimable, unmovable):\n"
		"allocation rate, order mix, share outliving the trace and\n"
		"lifetime quantiles of the freed blocks (log2 buckets).\n"
		"Several traces run on one clock, each starting where the\n"
		"previous one ended.  A TRACE may be \"-\" (stdin); one whose\n"
		"name starts with '-' follows \"--\".\n\n"
		"Exit status: 0 ok, 1 stdout cannot be written, 2 usage\n"
		"error or an input that is unreadable, corrupt, not a trace\n"
		"or holds no page event (empty).\n");
}

int cmd_mix(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mix m;
	int c, rc = 0;

	/* getopt, as every command: an unknown option is refused, not
	 * opened as a trace */
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': mix_usage(stdout); return 0;
		default: mix_usage(stderr); return 2;
		}
	}
	if (optind == argc) {
		mix_usage(stderr);
		return 2;
	}
	memset(&m, 0, sizeof(m));
	if (pfnmap_init(&m.live) < 0) {
		fprintf(stderr, "pagealloc mix: out of memory\n");
		return 1;
	}
	for (int i = optind; i < argc && !rc; i++)
		rc = mix_read(&m, argv[i]);
	if (!rc)
		mix_print(&m);
	pfnmap_destroy(&m.live);
	if (rc)
		return 2;
	if (outfile_stdout_done("mix"))
		return 1;
	return 0;
}
