/* SPDX-License-Identifier: MIT */
/*
 * Trace replay.  One pass over the trace text: each mm_page_alloc is
 * replayed as an allocation of the same order and migratetype on the CPU of
 * the line, each mm_page_free as a free of the block our allocator gave for
 * that trace pfn.  A run of consecutive mm_page_free_batched events of one
 * CPU is the kernel's free_unref_folios batch: its frees are replayed as
 * one pa_free_bulk() there (free_batch.h); the zone_locked/pcpu_drain
 * events are the kernel's own zone->lock traffic, tallied as the yardstick.
 */
#include "replay.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_shared.h"
#include "commands.h"
#include "free_batch.h"
#include "outfile.h"
#include "progress.h"
#include "trace_bin.h"
#include "trace_lines.h"
#include "trace_reader.h"
#include "trace_span.h"
#include "vtime_cmd.h"
#include "warm.h"
#include "zoneinfo.h"

/* One trace being replayed: its reader stays open from the first check to
 * the end, so stdin and pipes are read only once.  A converted trace
 * (trace_bin.h) is read from its events instead, r NULL. */
struct input {
	const char *path;
	struct trace_reader *r;
	struct trace_bin *b;
	struct trace_lines c;        /* this trace's lines, counted */
};

static void input_position(const struct input *in, uint64_t *done,
			   uint64_t *total)
{
	if (in->b)
		trace_bin_position(in->b, done, total);
	else
		trace_reader_position(in->r, done, total);
}

static int input_open(struct input *in, char *err, size_t len)
{
	if (strcmp(in->path, "-") != 0 && trace_bin_is(in->path))
		return trace_bin_open(&in->b, in->path, err, len);
	return trace_reader_open(&in->r, in->path, err, len);
}

/* Open every input before any work: unreadable or unknown input fails
 * first, with its reason.  "-" may be given once. */
static int open_inputs(const struct replay_opts *o, struct input *in,
		       uint64_t *total, char *err, size_t len)
{
	unsigned stdin_seen = 0;

	*total = 0;
	for (unsigned i = 0; i < o->ntraces; i++)
		if (strcmp(o->traces[i], "-") == 0 && stdin_seen++) {
			snprintf(err, len, "\"-\" (stdin) given twice");
			return -EINVAL;
		}
	for (unsigned i = 0; i < o->ntraces; i++) {
		uint64_t d, tot;
		int rc;

		in[i].path = o->traces[i];
		rc = input_open(&in[i], err, len);
		if (rc)
			return rc;
		input_position(&in[i], &d, &tot);
		*total += tot;
	}
	return 0;
}

static void close_inputs(struct input *in, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		trace_reader_close(in[i].r);
		trace_bin_close(in[i].b);
	}
}

/* The same machine?  Traces of two machines cannot share one zone. */
static bool same_machine(const struct zoneinfo *a, const struct zoneinfo *b)
{
	return a->managed == b->managed && a->ncpus == b->ncpus &&
	       a->batch == b->batch && a->high_min == b->high_min &&
	       a->high_max == b->high_max;
}

/*
 * The zoneinfo that sizes the machine: --zoneinfo for all traces, else the
 * one beside each trace.  Traces with different zoneinfos came from
 * different machines and are refused.  Returns 0 (t->have_zoneinfo says
 * whether one was found) or -errno.
 */
static int load_zoneinfo(const struct replay_opts *o, struct trace_tally *t,
			 char *err, size_t len)
{
	char zpath[512];

	if (o->zoneinfo) {
		int rc = zoneinfo_read(o->zoneinfo, NULL, &t->zi, err, len);
		if (rc)
			return rc == -EINVAL || rc == -ENOENT ? -EPROTONOSUPPORT : rc;
		t->have_zoneinfo = true;
		snprintf(t->zoneinfo_path, sizeof(t->zoneinfo_path), "%s", o->zoneinfo);
		return 0;
	}
	for (unsigned i = 0; i < o->ntraces; i++) {
		struct zoneinfo zi;
		int rc;

		if (zoneinfo_beside(o->traces[i], zpath, sizeof(zpath)) != 0)
			continue;
		rc = zoneinfo_read(zpath, NULL, &zi, err, len);
		if (rc)
			return rc == -EINVAL || rc == -ENOENT ? -EPROTONOSUPPORT : rc;
		if (!t->have_zoneinfo) {
			t->zi = zi;
			t->have_zoneinfo = true;
			snprintf(t->zoneinfo_path, sizeof(t->zoneinfo_path), "%s", zpath);
		} else if (!same_machine(&t->zi, &zi)) {
			snprintf(err, len, "%s and %s describe different machines "
				 "(%llu vs %llu managed pages, %u vs %u CPUs): replay "
				 "these traces separately, or give --zoneinfo",
				 t->zoneinfo_path, zpath,
				 (unsigned long long)t->zi.managed,
				 (unsigned long long)zi.managed, t->zi.ncpus, zi.ncpus);
			return -EINVAL;
		}
	}
	return 0;
}

/* The free lists captured with the zoneinfo (NAME.pagetypeinfo, else
 * NAME.buddyinfo), for the warm start of the traced machine's own size.
 * None is fine; an unreadable one is an input error. */
static int load_freeinfo(const struct trace_tally *t, struct warm *w,
			 char *err, size_t len)
{
	char pti[600], bi[600];
	bool have_pti = freeinfo_beside(t->zoneinfo_path, "pagetypeinfo",
					pti, sizeof(pti)) == 0;
	bool have_bi = freeinfo_beside(t->zoneinfo_path, "buddyinfo", bi,
				       sizeof(bi)) == 0;
	struct freeinfo fi;
	int rc;

	if (!have_pti && !have_bi)
		return 0;
	rc = freeinfo_read(have_pti ? pti : NULL, have_bi ? bi : NULL,
			   t->zi.zone, t->zi.node, &fi, err, len);
	if (rc)
		return -EPROTONOSUPPORT;
	warm_set_free(w, &fi);
	return 0;
}

static void config_from_zoneinfo(const struct replay_opts *o,
				 const struct trace_tally *t,
				 struct sim_config *cfg)
{
	if (!cfg->bytes)
		cfg->bytes = t->zi.managed * 4096;
	if (!cfg->ncpus)
		cfg->ncpus = t->zi.ncpus;
	if (!cfg->pcp_batch)
		cfg->pcp_batch = t->zi.batch;
	if (!cfg->pcp_high_min)
		cfg->pcp_high_min = t->zi.high_min;
	if (!cfg->pcp_high_max)
		cfg->pcp_high_max = t->zi.high_max;
	if (!cfg->min_free_kbytes)
		cfg->min_free_kbytes = t->zi.wmark_min * 4;
	/* The traced machine's pagesets were not empty when the capture
	 * began; on request, start ours the same way (the zoneinfo gives
	 * totals only, so the fill is movable order-0: see docs/LAB.md for
	 * what that does to fidelity). */
	if (o->prefill) {
		cfg->pcp_fill = t->zi.pcp_count;
		cfg->pcp_fill_n = t->zi.ncpus < ZONEINFO_MAX_CPUS ?
					  t->zi.ncpus : ZONEINFO_MAX_CPUS;
	}
}

/*
 * The pass before the replay, when the machine must be sized from the
 * trace (sp: pfn span and CPUs) or its starting state inferred from it
 * (w: the first trace only, whose start the zoneinfo describes).  A pipe
 * is first copied to a temporary file, so it can be read twice.
 */
static void prescan_event(struct trace_span *sp, struct warm *w,
			  const struct trace_event *ev)
{
	if (sp)
		trace_span_add(sp, ev);
	if (w)
		warm_feed(w, ev);
}

/* The same pass over a converted trace. */
static void prescan_bin(struct trace_bin *b, struct trace_span *sp,
			struct warm *w)
{
	struct trace_event ev;

	while (trace_bin_next(b, &ev))
		prescan_event(sp, w, &ev);
	trace_bin_rewind(b);
}

static int prescan(struct input *in, unsigned n, struct trace_span *sp,
		   struct warm *w, char *err, size_t len)
{
	int rc = 0;

	for (unsigned i = 0; i < n && !rc; i++) {
		struct warm *wi = i == 0 ? w : NULL;
		const char *line;
		long got;
		char why[300];

		if (!sp && !wi)
			break;
		if (in[i].b) {
			prescan_bin(in[i].b, sp, wi);
			continue;
		}
		rc = trace_reader_make_seekable(in[i].r, why, sizeof(why));
		if (rc) {
			snprintf(err, len, "%s: %s", in[i].path, why);
			break;
		}
		while ((got = trace_reader_next(in[i].r, &line)) >= 0) {
			struct trace_event ev;
			uint64_t lost;

			if (trace_parse_line(line, (size_t)got, &ev, &lost) == TL_EVENT)
				prescan_event(sp, wi, &ev);
		}
		if (got == -EIO) {
			snprintf(err, len, "%s: %s", in[i].path,
				 trace_reader_error(in[i].r));
			rc = -EIO;
		} else if ((rc = trace_reader_rewind(in[i].r)) != 0) {
			snprintf(err, len, "%s: cannot rewind: %s", in[i].path,
				 strerror(-rc));
		}
	}
	return rc;
}

/* Largest machine sized from pfns alone: the pfn map's limit (2^32 pages). */
#define SPAN_MAX_PAGES (1ull << 32)

/* Size the machine from the trace where neither the zoneinfo nor the
 * options did; w (or NULL) is the warm scan, done in the same pass. */
static int size_machine(const struct replay_opts *o, struct input *in,
			struct trace_tally *t, struct sim_config *cfg,
			struct warm *w, char *err, size_t len)
{
	bool need = !cfg->bytes || !cfg->ncpus;
	struct trace_span *sp = NULL;
	uint64_t span;
	unsigned cpus;
	int rc;

	if (!need && !w)
		return 0;
	if (need && !(sp = malloc(sizeof(*sp)))) {
		snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	if (sp)
		trace_span_init(sp);
	rc = prescan(in, o->ntraces, sp, w, err, len);
	if (sp && !rc)
		trace_span_result(sp, &span, &cpus, &t->pfn_outliers,
				  &t->cpu_outliers);
	free(sp);
	if (rc || !need)
		return rc;
	if (!cfg->bytes) {
		if (span > SPAN_MAX_PAGES) {
			snprintf(err, len, "the trace's pfns span %llu pages (%llu "
				 "GiB), beyond the %llu GiB a machine sized from pfns "
				 "may have: give --mem SIZE or --zoneinfo FILE",
				 (unsigned long long)span,
				 (unsigned long long)(span >> 18),
				 (unsigned long long)(SPAN_MAX_PAGES >> 18));
			return -EINVAL;
		}
		/* the span rounded up to whole 2 MiB pageblocks */
		cfg->bytes = ((span + 511) & ~511ull) * 4096;
		if (cfg->bytes < (2ull << 20))
			cfg->bytes = 2ull << 20;
	}
	if (!cfg->ncpus)
		cfg->ncpus = cpus;
	return 0;
}

static void tally_event(struct trace_tally *t, const struct trace_event *ev)
{
	if (ev->kind == TEV_VMSTAT) {
		t->vmstat_runs++;
		return;
	}
	t->events[ev->kind]++;
	t->pages[ev->kind] += 1ull << ev->order;
	if (ev->kind == TEV_EXTFRAG) {
		t->extfrag_fragmenting += ev->fragmenting;
		return;
	}
	if (ev->pfn && ev->pfn < t->min_pfn)
		t->min_pfn = ev->pfn;
	if (ev->pfn > t->max_pfn)
		t->max_pfn = ev->pfn;
	if (ev->cpu > t->max_cpu)
		t->max_cpu = ev->cpu;
}

/* Where one trace's clock lands on the replay's: each trace starts where
 * the previous one ended, so the gap between captures does not count. */
struct clock {
	bool started;                /* first event of this trace seen */
	uint64_t first;              /* its timestamp */
	uint64_t base;               /* replay time it maps to */
};

static uint64_t clock_map(struct clock *c, uint64_t ts)
{
	if (!c->started) {
		c->started = true;
		c->first = ts;
	}
	/* per-CPU buffers may interleave a little out of order */
	return ts >= c->first ? c->base + (ts - c->first) : c->base;
}

/* Allocations and frees go through the batcher, which replays each run
 * of mm_page_free_batched as one pa_free_bulk (free_batch.h). */
static void apply_event(struct sim *s, struct trace_tally *t,
			struct free_batch *fb, const struct trace_event *ev,
			uint64_t ts)
{
	if (ev->kind == TEV_ALLOC && ev->failed)
		t->kernel_failed++;
	else
		free_batch_feed(fb, s, ev, ts);
}

/* One page event of a trace, text or converted. */
static void replay_event(struct sim *s, struct trace_tally *t,
			 struct free_batch *fb, struct clock *clk,
			 uint64_t *last_ts, const struct trace_event *ev)
{
	uint64_t ts;

	tally_event(t, ev);
	ts = clock_map(clk, ev->ts_ns);
	if (!t->have_ts) {
		t->have_ts = true;
		t->first_ts = ts;
	}
	if (ts > *last_ts)
		*last_ts = ts;
	apply_event(s, t, fb, ev, ts);
}

/* An input with no page event (empty, or a capture without the kmem
 * events) has nothing to replay: an error, not a report of zeros. */
static int no_events(const struct input *in, uint64_t lines, uint64_t other,
		     char *err, size_t len)
{
	if (!lines)
		snprintf(err, len, "%s: empty input: no lines, nothing to "
			 "replay", in->path);
	else
		snprintf(err, len, "%s: no mm_page_* event in its %llu lines "
			 "(%llu other events): was the capture taken with the "
			 "kmem:mm_page_* events enabled?", in->path,
			 (unsigned long long)lines, (unsigned long long)other);
	return -ENODATA;
}

/* The text of one trace, line by line.  0 or -EIO with the reason. */
static int replay_text(struct sim *s, struct trace_tally *t, struct input *in,
		       struct free_batch *fb, struct clock *clk,
		       uint64_t *last_ts, struct progress *prog,
		       uint64_t done_before, char *err, size_t len)
{
	struct trace_event ev;
	const char *line;
	long n;

	while ((n = trace_reader_next(in->r, &line)) >= 0) {
		if (trace_lines_take(&in->c, line, (size_t)n, &ev))
			replay_event(s, t, fb, clk, last_ts, &ev);
		if (prog->enabled && (in->c.lines & 0xffff) == 0) {
			uint64_t d, tot;
			trace_reader_position(in->r, &d, &tot);
			progress_update(prog, s->queued, done_before + d);
		}
	}
	if (n == -EIO) {
		snprintf(err, len, "%s: corrupt or unreadable: %s", in->path,
			 trace_reader_error(in->r));
		return -EIO;
	}
	return 0;
}

/* A converted trace: its events, then its lines' counts as the text
 * gave them. */
static void replay_bin(struct sim *s, struct trace_tally *t, struct input *in,
		       struct free_batch *fb, struct clock *clk,
		       uint64_t *last_ts, struct progress *prog,
		       uint64_t done_before)
{
	struct trace_event ev;
	uint64_t k = 0;

	while (trace_bin_next(in->b, &ev)) {
		replay_event(s, t, fb, clk, last_ts, &ev);
		if (prog->enabled && (++k & 0xffff) == 0) {
			uint64_t d, tot;
			trace_bin_position(in->b, &d, &tot);
			progress_update(prog, s->queued, done_before + d);
		}
	}
	in->c = trace_bin_info(in->b)->lines;
}

/* A trace read to its end that holds nothing to replay: the reason. */
static int nothing_replayed(const struct input *in, char *err, size_t len)
{
	const struct trace_lines *c = &in->c;

	if (!c->other && !c->lost_unknown && !c->lost_markers && c->malformed) {
		/* text, but not a trace: nothing in it parsed */
		snprintf(err, len, "%s: not an ftrace text trace: none of its "
			 "%llu lines is a trace event line", in->path,
			 (unsigned long long)c->malformed);
		return -EPROTONOSUPPORT;
	}
	return no_events(in, c->lines, c->other, err, len);
}

/* What a trace read to its end adds to the tally: its lines, its record
 * for the JSON (a converted trace's is the text it came from), what was
 * lost or cut. */
static void tally_input(struct trace_tally *t, const struct input *in)
{
	const struct trace_bin_info *bi = in->b ? trace_bin_info(in->b) : NULL;
	bool truncated;

	t->lines += in->c.lines;
	t->comments += in->c.comments;
	t->other += in->c.other;
	t->malformed += in->c.malformed;
	t->lost_unknown += in->c.lost_unknown;
	t->lost += trace_lines_lost(&in->c);
	t->overlong += bi ? bi->overlong : trace_reader_overlong(in->r);
	if (t->ninputs < TALLY_MAX_INPUTS) {
		uint64_t d = 0, tot;

		if (bi)
			d = bi->source_bytes;
		else
			trace_reader_position(in->r, &d, &tot);
		snprintf(t->inputs[t->ninputs].path, sizeof(t->inputs[0].path),
			 "%s", bi ? bi->source : in->path);
		t->inputs[t->ninputs].bytes = d;
		t->inputs[t->ninputs++].crc32 = bi ? bi->source_crc32 :
					       trace_reader_crc32(in->r);
	}
	truncated = bi ? bi->truncated : trace_reader_truncated(in->r);
	if (truncated) {
		t->truncated_files++;
		fprintf(stderr, "pagealloc: warning: %s ends in the middle "
			"of a compressed frame (truncated file); replayed "
			"what was there\n", bi ? bi->source : in->path);
	}
}

/* Replay one trace to its end.  Returns 0 or -errno with the reason. */
static int replay_one(struct sim *s, struct trace_tally *t, struct input *in,
		      struct free_batch *fb, uint64_t *last_ts,
		      struct progress *prog, uint64_t done_before, char *err,
		      size_t len)
{
	struct clock clk = { .base = *last_ts };
	int rc = 0;

	memset(&in->c, 0, sizeof(in->c));
	if (in->b)
		replay_bin(s, t, in, fb, &clk, last_ts, prog, done_before);
	else
		rc = replay_text(s, t, in, fb, &clk, last_ts, prog, done_before,
				 err, len);
	if (rc)
		return rc;
	if (!in->c.events)
		return nothing_replayed(in, err, len);
	free_batch_flush(fb, s);
	tally_input(t, in);
	return 0;
}

/* The warm start's state (warm.h), or NULL when out of memory. */
static struct warm *warm_new(void)
{
	struct warm *w = malloc(sizeof(*w));

	if (!w || warm_init(w) < 0) {
		free(w);
		return NULL;
	}
	return w;
}

/* Open the traces and work out the machine they ran on: the zoneinfo,
 * the warm start (*warm, for the caller to free) and the size, into
 * *cfg; *total is the bytes to read.  Returns 0 or -errno with the
 * reason. */
static int plan_machine(const struct replay_opts *o, struct input *in,
			struct trace_tally *t, struct sim_config *cfg,
			struct warm **warm, uint64_t *total, char *err,
			size_t len)
{
	int rc = open_inputs(o, in, total, err, len);

	if (!rc)
		rc = load_zoneinfo(o, t, err, len);
	if (!rc && t->have_zoneinfo)
		config_from_zoneinfo(o, t, cfg);
	if (!rc && !o->cold && !o->prefill && !cfg->vt) {
		/* the default: start as the traced machine was (warm.h) */
		*warm = warm_new();
		if (!*warm) {
			snprintf(err, len, "out of memory");
			rc = -ENOMEM;
		}
	}
	if (!rc && *warm && t->have_zoneinfo && !o->cfg.bytes)
		rc = load_freeinfo(t, *warm, err, len);
	if (!rc)
		rc = size_machine(o, in, t, cfg, *warm, err, len);
	if (rc)
		return rc;
	if (*warm) {
		cfg->warm = *warm;
		cfg->warm_zi = t->have_zoneinfo ? &t->zi : NULL;
	}
	if (cfg->ncpus > PA_MAX_CPUS)
		cfg->ncpus = PA_MAX_CPUS;
	return 0;
}

/* The simulated machine; the warm start's figures go to the tally even
 * when it cannot be set up.  Returns 0 or -errno with the reason. */
static int new_sim(const struct sim_config *cfg, const struct warm *warm,
		   struct trace_tally *t, struct sim **out, char *err,
		   size_t len)
{
	struct sim *s = calloc(1, sizeof(*s));
	int rc;

	if (!s) {
		snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	rc = sim_init(s, cfg, err, len);
	if (warm)
		warm_tally(warm, t);
	if (rc) {
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* Every trace in turn, on one clock; stops at the first that fails.
 * Returns 0 or -errno with the reason. */
static int replay_inputs(const struct replay_opts *o, struct input *in,
			 struct sim *s, struct trace_tally *t,
			 struct free_batch *fb, struct progress *prog,
			 uint64_t *last_ts, char *err, size_t len)
{
	uint64_t done_before = 0;
	int rc = 0;

	for (unsigned i = 0; i < o->ntraces && !rc; i++) {
		uint64_t d, tot;

		rc = replay_one(s, t, &in[i], fb, last_ts, prog, done_before,
				err, len);
		if (in[i].r)
			s->reader_cpu_ns += trace_reader_ahead_cpu_ns(in[i].r);
		input_position(&in[i], &d, &tot);
		done_before += tot;
	}
	return rc;
}

int replay_traces(const struct replay_opts *o, struct sim **out,
		  struct trace_tally *t, double *elapsed, char *err,
		  size_t len)
{
	struct sim_config cfg = o->cfg;
	struct progress prog;
	struct input *in;
	struct sim *s = NULL;
	struct free_batch fb; /* about 11 KiB */
	struct warm *warm = NULL;
	uint64_t total = 0, last_ts = 0, cpu0;
	double t0;
	int rc;

	*out = NULL;
	memset(t, 0, sizeof(*t));
	t->min_pfn = UINT64_MAX;
	if (!o->ntraces) {
		snprintf(err, len, "no trace given");
		return -EINVAL;
	}
	in = calloc(o->ntraces, sizeof(*in));
	if (!in) {
		snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	rc = plan_machine(o, in, t, &cfg, &warm, &total, err, len);
	if (!rc)
		rc = new_sim(&cfg, warm, t, &s, err, len);
	if (rc)
		goto out;
	free_batch_init(&fb);
	progress_start(&prog, "replay", total, o->progress);
	t0 = progress_now();
	cpu0 = sim_thread_cpu_ns();
	rc = replay_inputs(o, in, s, t, &fb, &prog, &last_ts, err, len);
	progress_end(&prog);
	if (rc) {
		sim_destroy(s);
		free(s);
		goto out;
	}
	t->last_ts = last_ts;
	t->free_batched_runs = fb.runs;
	t->free_batched_frees = fb.run_frees;
	sim_finish(s);
	*elapsed = progress_now() - t0;
	s->feed_cpu_ns = sim_thread_cpu_ns() - cpu0;
	*out = s;
out:
	if (warm) {
		warm_destroy(warm);
		free(warm);
	}
	close_inputs(in, o->ntraces);
	free(in);
	return rc;
}

static void replay_usage(FILE *f)
{
	fprintf(f,
"usage: pagealloc replay TRACE... [--policy LIST] [--mem SIZE] [--cpus N]\n"
"                        [--zoneinfo FILE] [--cold|--prefill] [--strict]\n"
"                        [--pcp-decay trace|grid]\n"
"                        [--html FILE] [--json FILE] [--quiet]\n"
"\n"
"Replay kernel page-allocator traces through each policy on a simulated\n"
"machine and compare them with what the kernel recorded.  Several traces\n"
"are replayed one after another on one machine, each trace's clock starting\n"
"where the previous one ended.\n"
"\n"
"TRACE is ftrace text (tracefs trace/trace_pipe), `trace-cmd report` output\n"
"(also with -l) or `perf script` output (kmem:mm_page_* events); plain, zstd\n"
"or gzip, recognised by content, not name.  \"-\" is stdin; pipes and process\n"
"substitution work (copied to $TMPDIR when they must be read twice).  A\n"
"trace.dat file is read through libtracecmd; one on a pipe, a perf.data, and\n"
"xz, bzip2, lz4 or lzop files are refused with the command that converts\n"
"them (`perf script -i F > F.txt`, `xz -dc F > F.txt`, ...); any other\n"
"binary input with the offset of its first NUL byte.  A NAME.paev written\n"
"by `pagealloc convert` (a regular file) replays to the same report without\n"
"being parsed again: the fast form for replaying one capture many times.\n"
"\n"
"  --policy LIST   comma-separated policies, or \"all\" (default): every\n"
"                  policy this build implements\n"
"  --mem SIZE      machine size (256G, 1T, ...) [the trace's zoneinfo\n"
"                  \"managed\", else the pfn span of the trace, outliers\n"
"                  left out]\n"
"  --cpus N        CPUs, 1..%d [zoneinfo pagesets, else the highest CPU\n"
"                  seen + 1, outliers left out]\n"
"  --compact       proactive compaction once per second of trace time\n"
"  --report-free ORDER  free page reporting (blocks of ORDER and up) once per\n"
"                  second of trace time: pages reported, would-be RSS drop\n"
"  --zoneinfo FILE /proc/zoneinfo of the traced machine, for every trace\n"
"                  [NAME.zoneinfo beside each TRACE; traces whose zoneinfos\n"
"                  differ are refused]\n"
"  --cold          start from an empty zone and empty pagesets [warm: as\n"
"                  the traced machine was when the capture began, inferred\n"
"                  from the trace and its zoneinfo: memory in use before\n"
"                  it, each pageset's lists, count: and high:]\n"
"  --prefill       instead, fill each pageset with the zoneinfo's count:\n"
"                  pages, all movable order-0 (the old bracket); the zone\n"
"                  starts empty as with --cold (not to be given with it)\n"
"  --pcp-decay trace|grid  when the pagesets' `high` decays (the kernel's\n"
"                  per-CPU vmstat work) [trace: each CPU's where the trace\n"
"                  shows that work run (workqueue_execute_start of\n"
"                  vmstat_update, which `pagealloc capture` records), and\n"
"                  once a second of trace time for traces without it;\n"
"                  grid: every pageset once a second regardless]\n"
"  --strict        exit 1 when events were lost or lines were malformed,\n"
"                  overlong or cut (the report is still written)\n"
"  --html FILE     write a self-contained HTML report\n"
"  --json FILE     write the figures as JSON\n"
"  --quiet         no table on stdout, no progress or timing lines on stderr\n"
"                  (warnings and errors still): for --json/--html\n"
VTIME_USAGE
"\n"
"Lost events (\"CPU:N [LOST M EVENTS]\", trace-cmd's \"[M EVENTS DROPPED]\",\n"
"a pagealloc capture's lost_events trailer) and malformed lines are counted\n"
"exactly, reported on stderr, and mark the comparison with the kernel as\n"
"unreliable in every output.\n"
"\n"
"Exit status: 0 ok; 1 failure (an output cannot be written, an internal\n"
"check failed, or --strict and data was lost); 2 usage error, an output\n"
"file that cannot be created (checked before the replay), or an input that\n"
"is unreadable, corrupt, not a trace, or holds no page event (empty).\n", PA_MAX_CPUS);
}

/* Lost or damaged input: one warning on stderr, whatever the outputs. */
static bool warn_unreliable(const struct trace_tally *t)
{
	char why[300];

	if (!report_kernel_unreliable(t))
		return false;
	report_unreliable_reason(t, why, sizeof(why));
	fprintf(stderr, "pagealloc replay: warning: %s; the comparison with the "
		"kernel is unreliable\n", why);
	return true;
}

/* The input's damage, after the outputs (either mode): the warning, and
 * --strict's exit 1. */
static int unreliable_verdict(const struct trace_tally *t, bool strict, int rc)
{
	if (warn_unreliable(t) && strict && !rc) {
		fprintf(stderr, "pagealloc replay: --strict: exit 1\n");
		return 1;
	}
	return rc;
}

/* The speed line: every kmem event line is parsed; allocs and frees are
 * also applied to each policy's zone.  Each policy sees every event, so
 * its rate is events over the elapsed time; the total is that times the
 * number of policies (they run in parallel). */
static void print_speed(const struct sim *s, const struct trace_tally *t,
			double elapsed)
{
	uint64_t ev = 0, af = s->pol[0].c.events;
	double per = elapsed > 0 ? 1.0 / elapsed / 1e6 : 0;

	for (int k = 0; k < TEV_NR; k++)
		ev += t->events[k];
	fprintf(stderr, "pagealloc: replayed %llu trace events (%llu allocs "
		"and frees) through %u polic%s in %.3f s: %.2f M trace "
		"events/s, %.2f M allocs+frees/s per policy",
		(unsigned long long)ev, (unsigned long long)af, s->npol,
		s->npol == 1 ? "y" : "ies", elapsed, (double)ev * per,
		(double)af * per);
	if (s->npol > 1)
		fprintf(stderr, " (%.2f M events/s over all %u)",
			(double)ev * per * s->npol, s->npol);
	fputc('\n', stderr);
}

/* What `replay`'s command line asks for. */
struct replay_args {
	struct vtime_opts vo;
	struct replay_opts o;
	const char *policies, *html, *json;
	bool strict, quiet;
	char err[600];
};

/* The options.  Returns -1 to go on, else the exit status (--help is done
 * here). */
static int replay_options(int argc, char **argv, struct replay_args *a)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "mem", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "compact", no_argument, NULL, 'C' },
		{ "report-free", required_argument, NULL, 'R' },
		{ "zoneinfo", required_argument, NULL, 'z' },
		{ "html", required_argument, NULL, 'H' },
		{ "json", required_argument, NULL, 'J' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "prefill", no_argument, NULL, 'P' },
		{ "cold", no_argument, NULL, 'O' },
		{ "strict", no_argument, NULL, 'S' },
		{ "pcp-decay", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		VTIME_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:m:c:CR:z:H:J:qPOSD:h", opts, NULL)) != -1) {
		switch (c) {
		case 'z': a->o.zoneinfo = optarg; break;
		case 'H': a->html = optarg; break;
		case 'J': a->json = optarg; break;
		case 'q': a->o.progress = false; a->quiet = a->vo.quiet = true; break;
		case 'P': a->o.prefill = true; break;
		case 'O': a->o.cold = true; break;
		case 'S': a->strict = true; break;
		case 'D':
			if (strcmp(optarg, "trace") && strcmp(optarg, "grid")) {
				fprintf(stderr, "pagealloc replay: --pcp-decay: "
					"\"%s\" is neither trace nor grid\n", optarg);
				return 2;
			}
			a->o.cfg.pcp_decay_grid = strcmp(optarg, "grid") == 0;
			break;
		case 'h': replay_usage(stdout); return 0;
		default:
			rc = cmd_shared_option("replay", c, optarg, &a->o.cfg,
					       &a->vo, &a->policies, a->err,
					       sizeof(a->err));
			if (rc < 0) {
				replay_usage(stderr);
				return 2;
			}
			if (rc)
				return rc;
		}
	}
	return -1;
}

/* The options together and the traces named.  Returns -1 to go on, else
 * the exit status (2) after the message. */
static int replay_check_args(int argc, char **argv, struct replay_args *a)
{
	if (a->o.cold && a->o.prefill) {
		/* the usage's [--cold|--prefill]: each replaces the warm start,
		 * and --prefill already starts the zone empty */
		fprintf(stderr, "pagealloc replay: --cold and --prefill are "
			"alternatives (--prefill starts empty too, with the "
			"pagesets filled): give one\n");
		return 2;
	}
	if (optind >= argc) {
		fprintf(stderr, "pagealloc replay: no trace given\n");
		replay_usage(stderr);
		return 2;
	}
	if (sim_parse_policies(a->policies, &a->o.cfg, a->err, sizeof(a->err)) < 0) {
		fprintf(stderr, "pagealloc replay: %s\n", a->err);
		return 2;
	}
	a->o.traces = (const char *const *)argv + optind;
	a->o.ntraces = (unsigned)(argc - optind);
	if (vtime_opts_check(&a->vo, &a->o.cfg, a->err, sizeof(a->err)) < 0) {
		fprintf(stderr, "pagealloc replay: %s\n", a->err);
		return 2;
	}
	/* before the run: a bad output name must not cost a replay */
	if (outfile_check_all("replay", (const char *[]){ a->html, a->json }, 2))
		return 2;
	return -1;
}

/* The report's title: the traces' names, as many as fit. */
static void replay_title(char *title, size_t size, const struct replay_opts *o)
{
	size_t n = 0;

	for (unsigned i = 0; i < o->ntraces && n < size - 1; i++)
		n += (size_t)snprintf(title + n, size - n, "%s%s", i ? " " : "",
				      o->traces[i]);
}

/* The traces through every policy at once, then the report, the input's
 * damage and the internal check.  Returns the exit status. */
static int replay_policies(struct replay_args *a, struct trace_tally *tally,
			   int argc, char **argv)
{
	struct lab_report rep;
	struct sim *s;
	double elapsed;
	int rc = replay_traces(&a->o, &s, tally, &elapsed, a->err,
			       sizeof(a->err));

	if (rc) {
		fprintf(stderr, "pagealloc replay: %s\n", a->err);
		/* a corrupt or unreadable trace is bad input, as the help says */
		return rc == -ENOMEM ? 1 : 2;
	}
	report_init(&rep, "replay", s, argc, argv, a->quiet);
	replay_title(rep.title, sizeof(rep.title), &a->o);
	rep.tally = tally;
	rc = report_emit(&rep, a->html, a->json);
	if (!a->quiet)
		print_speed(s, tally, elapsed);
	rc = unreliable_verdict(tally, a->strict, rc);
	return cmd_shared_finish("replay", s, rc);
}

int cmd_replay(int argc, char **argv)
{
	struct replay_args a = { .o = { .progress = true }, .policies = "all" };
	struct trace_tally tally;
	int rc = replay_options(argc, argv, &a);

	if (rc < 0)
		rc = replay_check_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	memset(&tally, 0, sizeof(tally));
	if (a.vo.on) {
		rc = vtime_cmd_replay(&a.o, &a.vo, a.html, a.json, &tally);
		return unreliable_verdict(&tally, a.strict, rc);
	}
	return replay_policies(&a, &tally, argc, argv);
}
