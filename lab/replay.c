/* SPDX-License-Identifier: MIT */
/*
 * Trace replay.  One pass over the trace text: each mm_page_alloc is
 * replayed as an allocation of the same order and migratetype on the CPU of
 * the line, each mm_page_free as a free of the block our allocator gave for
 * that trace pfn.  mm_page_free_batched repeats an earlier mm_page_free and
 * is only counted; the zone_locked/pcpu_drain events are the kernel's own
 * zone->lock traffic, tallied as the yardstick.
 */
#include "replay.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "progress.h"
#include "trace_reader.h"
#include "vtime_cmd.h"
#include "zoneinfo.h"

/* Without a zoneinfo: read the traces once to learn pfn span and CPUs. */
static int prescan(const struct replay_opts *o, uint64_t *span,
		   unsigned *cpus, char *err, size_t len)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	unsigned maxcpu = 0;

	for (unsigned i = 0; i < o->ntraces; i++) {
		struct trace_reader *r;
		const char *line;
		long n;
		int rc = trace_reader_open(&r, o->traces[i], err, len);

		if (rc)
			return rc;
		while ((n = trace_reader_next(r, &line)) >= 0) {
			struct trace_event ev;
			uint64_t lost;

			if (trace_parse_line(line, (size_t)n, &ev, &lost) != TL_EVENT ||
			    ev.kind != TEV_ALLOC || ev.failed)
				continue;
			if (ev.pfn < lo)
				lo = ev.pfn;
			if (ev.pfn + (1ull << ev.order) > hi)
				hi = ev.pfn + (1ull << ev.order);
			if (ev.cpu > maxcpu)
				maxcpu = ev.cpu;
		}
		trace_reader_close(r);
		if (n == -EIO) {
			snprintf(err, len, "%s: %s", o->traces[i],
				 trace_reader_error(r));
			return -EIO;
		}
	}
	*span = hi > lo ? hi - lo : 0;
	*cpus = maxcpu + 1;
	return 0;
}

static void tally_event(struct trace_tally *t, const struct trace_event *ev)
{
	t->events[ev->kind]++;
	t->pages[ev->kind] += 1ull << ev->order;
	if (ev->kind == TEV_EXTFRAG)
		return;
	if (ev->pfn && ev->pfn < t->min_pfn)
		t->min_pfn = ev->pfn;
	if (ev->pfn > t->max_pfn)
		t->max_pfn = ev->pfn;
	if (ev->cpu > t->max_cpu)
		t->max_cpu = ev->cpu;
}

int replay_traces(const struct replay_opts *o, struct sim **out,
		  struct trace_tally *t, double *elapsed, char *err,
		  size_t len)
{
	struct sim_config cfg = o->cfg;
	struct progress prog;
	struct sim *s;
	uint64_t total = 0, done_before = 0, ts_offset = 0, last_ts = 0;
	char zpath[512];
	double t0;
	int rc;

	*out = NULL;
	memset(t, 0, sizeof(*t));
	t->min_pfn = UINT64_MAX;
	if (!o->ntraces) {
		snprintf(err, len, "no trace given");
		return -EINVAL;
	}
	/* every input readable and a trace, before any work */
	for (unsigned i = 0; i < o->ntraces; i++) {
		struct trace_reader *r;
		uint64_t d, tot;

		rc = trace_reader_open(&r, o->traces[i], err, len);
		if (rc)
			return rc;
		trace_reader_position(r, &d, &tot);
		total += tot;
		trace_reader_close(r);
	}
	if (o->zoneinfo || zoneinfo_beside(o->traces[0], zpath, sizeof(zpath)) == 0) {
		const char *zp = o->zoneinfo ? o->zoneinfo : zpath;

		rc = zoneinfo_read(zp, NULL, &t->zi, err, len);
		if (rc)
			return rc == -EINVAL || rc == -ENOENT ? -EPROTONOSUPPORT : rc;
		t->have_zoneinfo = true;
		snprintf(t->zoneinfo_path, sizeof(t->zoneinfo_path), "%s", zp);
		if (!cfg.bytes)
			cfg.bytes = t->zi.managed * 4096;
		if (!cfg.ncpus)
			cfg.ncpus = t->zi.ncpus;
		if (!cfg.pcp_batch)
			cfg.pcp_batch = t->zi.batch;
		if (!cfg.pcp_high_min)
			cfg.pcp_high_min = t->zi.high_min;
		if (!cfg.pcp_high_max)
			cfg.pcp_high_max = t->zi.high_max;
		if (!cfg.min_free_kbytes)
			cfg.min_free_kbytes = t->zi.wmark_min * 4;
		/* The traced machine's pagesets were not empty when the
		 * capture began; on request, start ours the same way (the
		 * zoneinfo gives totals only, so the fill is movable order-0:
		 * see docs/LAB.md for what that does to fidelity). */
		if (o->prefill) {
			cfg.pcp_fill = t->zi.pcp_count;
			cfg.pcp_fill_n = t->zi.ncpus < ZONEINFO_MAX_CPUS ?
						 t->zi.ncpus : ZONEINFO_MAX_CPUS;
		}
	}
	if (!cfg.bytes || !cfg.ncpus) {
		uint64_t span;
		unsigned cpus;

		rc = prescan(o, &span, &cpus, err, len);
		if (rc)
			return rc;
		if (!cfg.bytes) {
			/* the span rounded up to whole 2 MiB pageblocks */
			cfg.bytes = ((span + 511) & ~511ull) * 4096;
			if (cfg.bytes < (2ull << 20))
				cfg.bytes = 2ull << 20;
		}
		if (!cfg.ncpus)
			cfg.ncpus = cpus;
	}
	if (cfg.ncpus > PA_MAX_CPUS)
		cfg.ncpus = PA_MAX_CPUS;

	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	rc = sim_init(s, &cfg, err, len);
	if (rc) {
		free(s);
		return rc;
	}

	progress_start(&prog, "replay", total, o->progress);
	t0 = progress_now();
	for (unsigned i = 0; i < o->ntraces; i++) {
		struct trace_reader *r;
		const char *line;
		long n;
		bool first = true;
		uint64_t good0 = t->other + t->lost, bad0 = t->malformed;
		uint64_t ev0 = 0;

		for (int k = 0; k < TEV_NR; k++)
			ev0 += t->events[k];

		rc = trace_reader_open(&r, o->traces[i], err, len);
		if (rc)
			goto fail;
		while ((n = trace_reader_next(r, &line)) >= 0) {
			struct trace_event ev;
			uint64_t lost = 0, ts;

			t->lines++;
			switch (trace_parse_line(line, (size_t)n, &ev, &lost)) {
			case TL_EVENT:
				break;
			case TL_LOST:
				t->lost += lost;
				continue;
			case TL_COMMENT:
				t->comments++;
				continue;
			case TL_OTHER:
				t->other++;
				continue;
			default:
				t->malformed++;
				continue;
			}
			tally_event(t, &ev);
			/* later files continue the clock of earlier ones */
			if (first && i > 0 && ev.ts_ns < last_ts)
				ts_offset = last_ts - ev.ts_ns;
			first = false;
			ts = ev.ts_ns + ts_offset;
			if (!t->first_ts && !t->last_ts)
				t->first_ts = ts;
			if (ts > last_ts)
				last_ts = ts;
			if (ev.kind == TEV_ALLOC) {
				sim_time(s, ts);
				if (ev.failed)
					t->kernel_failed++;
				else
					sim_alloc(s, ev.cpu, ev.pfn, ev.order,
						  ev.migratetype);
			} else if (ev.kind == TEV_FREE) {
				sim_time(s, ts);
				sim_free(s, ev.cpu, ev.pfn, ev.order);
			}
			if (prog.enabled && (t->lines & 0xffff) == 0) {
				uint64_t d, tot;
				trace_reader_position(r, &d, &tot);
				progress_update(&prog, s->queued,
						done_before + d);
			}
		}
		if (n == -EIO) {
			snprintf(err, len, "%s: %s", o->traces[i],
				 trace_reader_error(r));
			trace_reader_close(r);
			rc = -EIO;
			goto fail;
		}
		{
			/* text, but not a trace: nothing in it parsed */
			uint64_t ev = 0;
			for (int k = 0; k < TEV_NR; k++)
				ev += t->events[k];
			if (ev == ev0 && t->other + t->lost == good0 &&
			    t->malformed > bad0) {
				snprintf(err, len, "%s: not an ftrace text trace: none "
					 "of its %llu lines is a trace event line",
					 o->traces[i], (unsigned long long)
					 (t->malformed - bad0));
				trace_reader_close(r);
				rc = -EPROTONOSUPPORT;
				goto fail;
			}
		}
		t->overlong += trace_reader_overlong(r);
		if (trace_reader_truncated(r)) {
			t->truncated_files++;
			fprintf(stderr, "pagealloc: warning: %s ends in the middle "
				"of a compressed frame (truncated file); replayed "
				"what was there\n", o->traces[i]);
		}
		{
			uint64_t d, tot;
			trace_reader_position(r, &d, &tot);
			done_before += tot;
		}
		trace_reader_close(r);
	}
	t->last_ts = last_ts;
	sim_finish(s);
	*elapsed = progress_now() - t0;
	progress_end(&prog);
	*out = s;
	return 0;
fail:
	progress_end(&prog);
	sim_destroy(s);
	free(s);
	return rc;
}

static void replay_usage(FILE *f)
{
	fprintf(f,
"usage: pagealloc replay TRACE... [--policy LIST] [--mem SIZE] [--cpus N]\n"
"                        [--zoneinfo FILE] [--prefill] [--html FILE]\n"
"                        [--json FILE] [--quiet]\n"
"\n"
"Replay kernel page-allocator traces (ftrace text or `trace-cmd report`\n"
"output; plain, .zst or .gz) through each policy on a simulated machine and\n"
"compare them with what the kernel recorded.  Several traces are replayed\n"
"one after another on one machine.\n"
"\n"
"  --policy LIST   comma-separated policies, or \"all\" (default): every\n"
"                  policy this build implements\n"
"  --mem SIZE      machine size (256G, 1T, ...) [the trace's zoneinfo\n"
"                  \"managed\", else the pfn span of the trace]\n"
"  --cpus N        CPUs [zoneinfo pagesets, else the highest CPU seen + 1]\n"
"  --zoneinfo FILE /proc/zoneinfo of the traced machine [TRACE's NAME.zoneinfo]\n"
"  --prefill       start each CPU's pageset with the pages the zoneinfo's\n"
"                  per-CPU count: shows (movable order-0) [start empty]\n"
"  --html FILE     write a self-contained HTML report\n"
"  --json FILE     write the figures as JSON\n"
"  --quiet         no progress line\n"
VTIME_USAGE
"\n"
"Exit status: 0 ok, 1 failure, 2 usage error or unreadable input.\n");
}

int cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "mem", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "zoneinfo", required_argument, NULL, 'z' },
		{ "html", required_argument, NULL, 'H' },
		{ "json", required_argument, NULL, 'J' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "prefill", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		VTIME_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct vtime_opts vo = { 0 };
	struct replay_opts o = { .progress = true };
	const char *policies = "all", *html = NULL, *json = NULL;
	struct trace_tally tally;
	struct lab_report rep;
	struct sim *s;
	char err[600];
	double elapsed;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:m:c:z:H:J:qPh", opts, NULL)) != -1) {
		switch (c) {
		case 'z': o.zoneinfo = optarg; break;
		case 'H': html = optarg; break;
		case 'J': json = optarg; break;
		case 'q': o.progress = false; break;
		case 'P': o.prefill = true; break;
		case 'h': replay_usage(stdout); return 0;
		case 'p': case 'm':
			if (sim_parse_option(c, optarg, &o.cfg, &policies, err,
					     sizeof(err)) < 0) {
				fprintf(stderr, "pagealloc replay: %s\n", err);
				return 2;
			}
			break;
		default:
			if ((c == 'c' || vtime_is_option(c)) &&
			    vtime_parse_option(c, optarg, &vo, &o.cfg, err,
					       sizeof(err)) == 0)
				break;
			if (c == 'c' || vtime_is_option(c)) {
				fprintf(stderr, "pagealloc replay: %s\n", err);
				return 2;
			}
			replay_usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "pagealloc replay: no trace given\n");
		replay_usage(stderr);
		return 2;
	}
	if (sim_parse_policies(policies, &o.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "pagealloc replay: %s\n", err);
		return 2;
	}
	o.traces = (const char *const *)argv + optind;
	o.ntraces = (unsigned)(argc - optind);
	if (vtime_opts_check(&vo, err, sizeof(err)) < 0) {
		fprintf(stderr, "pagealloc replay: %s\n", err);
		return 2;
	}
	if (vo.on)
		return vtime_cmd_replay(&o, &vo, html, json);
	rc = replay_traces(&o, &s, &tally, &elapsed, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "pagealloc replay: %s\n", err);
		return rc == -EIO || rc == -ENOMEM ? 1 : 2;
	}
	memset(&rep, 0, sizeof(rep));
	rep.what = "replay";
	{
		size_t n = 0;
		for (unsigned i = 0; i < o.ntraces && n < sizeof(rep.title) - 1; i++)
			n += (size_t)snprintf(rep.title + n, sizeof(rep.title) - n,
					      "%s%s", i ? " " : "", o.traces[i]);
	}
	rep.sim = s;
	rep.tally = &tally;
	rc = report_emit(&rep, html, json);
	fflush(stdout);
	{
		/* every kmem event line is parsed; allocs and frees are also
		 * applied to each policy's zone */
		uint64_t ev = 0, af = s->pol[0].c.events;
		double per = elapsed > 0 ? (double)s->npol / elapsed / 1e6 : 0;

		for (int k = 0; k < TEV_NR; k++)
			ev += tally.events[k];
		fprintf(stderr, "pagealloc: replayed %llu trace events (%llu allocs "
			"and frees) through %u polic%s in %.3f s: %.2f M trace "
			"events/s, %.2f M allocs+frees/s per policy\n",
			(unsigned long long)ev, (unsigned long long)af, s->npol,
			s->npol == 1 ? "y" : "ies", elapsed, (double)ev * per,
			(double)af * per);
	}
	if (!rc) {
		char msg[300];
		if (sim_check(s, msg, sizeof(msg)) < 0) {
			fprintf(stderr, "pagealloc replay: internal check failed: %s\n", msg);
			rc = 1;
		}
	}
	sim_destroy(s);
	free(s);
	return rc;
}
