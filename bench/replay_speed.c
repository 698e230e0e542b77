/* SPDX-License-Identifier: MIT */
/*
 * Replay speed of the lab at several machine sizes, threaded (one thread
 * per policy, the default) and serial (every policy in turn on the parsing
 * thread).  Rounds interleave every size and mode, so drift on a shared
 * machine hits all of them; the table shows medians and the range.  Time
 * is the replay loop that `pagealloc replay` reports (decompress, parse,
 * replay, sample, final figures), without zone creation and reports.
 *
 * usage: replay_speed [--rounds N] [--mem 8G,256G,1T] [--policy LIST]
 *                     [--no-serial] TRACE...
 *        replay_speed --parse-only [--rounds N] TRACE...
 *
 * TRACE may be a .paev (`pagealloc convert`): the replay without parsing.
 * Besides wall time, each row gives the CPU time per trace event of all
 * the replay's threads and of its longest one, and the rate those allow
 * on this machine's cores when idle (a bound from CPU time: on a shared
 * machine wall time also waits for cores others hold).
 *
 * --parse-only times the input side alone (trace_reader_next and
 * trace_parse_line over every line, nothing replayed): the parsing
 * thread's ceiling, and the loop to run under callgrind for instructions
 * per line.
 */
#include <getopt.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay.h"
#include "size.h"
#include "trace_parse.h"
#include "trace_reader.h"

#define MAX_MEMS 8
#define MAX_ROUNDS 101

struct cell {
	double t[MAX_ROUNDS];
	double cpu_all[MAX_ROUNDS];   /* s of CPU, every thread of the replay */
	double cpu_max[MAX_ROUNDS];   /* s of CPU, its longest thread */
	unsigned n;
	uint64_t events, reqs;
	unsigned npol;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* CPU time of the replay's threads: the feeder (which runs the policies
 * itself when serial, and the end figures when there is one policy), the
 * text reader's read-ahead thread, and each policy's worker with its end
 * figures. */
static void thread_cpu(const struct sim *s, double *all, double *longest)
{
	double feed = (double)s->feed_cpu_ns * 1e-9;
	double reader = (double)s->reader_cpu_ns * 1e-9;
	double sum = feed + reader, max = feed > reader ? feed : reader;

	for (unsigned i = 0; i < s->npol; i++) {
		const struct sim_policy *p = &s->pol[i];
		double w = (double)p->replay_cpu_ns * 1e-9 +
			   (s->npol > 1 ? (double)p->finish_cpu_ns * 1e-9 : 0);

		sum += w;
		if (w > max)
			max = w;
	}
	*all = sum;
	*longest = max;
}

static int one_run(const struct replay_opts *base, uint64_t bytes,
		   bool serial, struct cell *c)
{
	struct replay_opts o = *base;
	struct trace_tally t;
	struct sim *s;
	char err[600];
	double el;

	o.cfg.bytes = bytes;
	o.cfg.serial = serial;
	if (replay_traces(&o, &s, &t, &el, err, sizeof(err)) < 0) {
		fprintf(stderr, "replay_speed: %s\n", err);
		return -1;
	}
	c->events = 0;
	for (int k = 0; k < TEV_NR; k++)
		c->events += t.events[k];
	c->reqs = s->pol[0].c.events;
	c->npol = s->npol;
	thread_cpu(s, &c->cpu_all[c->n], &c->cpu_max[c->n]);
	c->t[c->n++] = el;
	sim_destroy(s);
	free(s);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Reader + parser over one trace; counts lines and kmem events. */
static int parse_one(const char *path, uint64_t *lines, uint64_t *events,
		     double *el)
{
	struct trace_reader *r;
	struct trace_event ev;
	const char *line;
	char err[600];
	uint64_t lost;
	double t0 = now_s();
	long n;

	if (trace_reader_open(&r, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "replay_speed: %s\n", err);
		return -1;
	}
	*lines = *events = 0;
	while ((n = trace_reader_next(r, &line)) >= 0) {
		(*lines)++;
		if (trace_parse_line(line, (size_t)n, &ev, &lost) == TL_EVENT)
			(*events)++;
	}
	trace_reader_close(r);
	*el = now_s() - t0;
	if (n != -1) {
		fprintf(stderr, "replay_speed: %s: read error\n", path);
		return -1;
	}
	return 0;
}

/* Medians of interleaved rounds over every trace. */
static int parse_only(char **paths, unsigned npath, unsigned rounds)
{
	printf("| trace | lines | kmem events | median parse time (min..max) | "
	       "lines/s | events/s |\n|---|---:|---:|---|---:|---:|\n");
	for (unsigned i = 0; i < npath; i++) {
		struct cell c = { .n = 0 };
		uint64_t lines = 0, events = 0;

		for (unsigned r = 0; r < rounds; r++)
			if (parse_one(paths[i], &lines, &events, &c.t[c.n++]) < 0)
				return 1;
		qsort(c.t, c.n, sizeof(double), cmp_double);
		printf("| %s | %llu | %llu | %.3f s (%.3f..%.3f) | %.2f M | %.2f M |\n",
		       paths[i], (unsigned long long)lines,
		       (unsigned long long)events, c.t[c.n / 2], c.t[0],
		       c.t[c.n - 1], (double)lines / c.t[c.n / 2] / 1e6,
		       (double)events / c.t[c.n / 2] / 1e6);
	}
	return 0;
}

/*
 * One row: wall time (median, range) and its rates, the best round's
 * rate, then CPU time per trace event (all threads; the longest thread)
 * and the rate those allow on `cores` idle cores: events over the larger
 * of the longest thread and all threads' CPU shared out.  That last is a
 * bound derived from CPU time, not a measurement: on a shared machine the
 * wall time waits for cores others use.
 */
static void print_row(const char *mem, const char *mode, struct cell *c,
		      unsigned cores)
{
	double med, all, mx, bound;

	qsort(c->t, c->n, sizeof(double), cmp_double);
	qsort(c->cpu_all, c->n, sizeof(double), cmp_double);
	qsort(c->cpu_max, c->n, sizeof(double), cmp_double);
	med = c->t[c->n / 2];
	all = c->cpu_all[c->n / 2];
	mx = c->cpu_max[c->n / 2];
	bound = all / cores > mx ? all / cores : mx;
	printf("| %s | %s | %u | %.3f s (%.3f..%.3f) | %.2f M | %.2f M | %.2f M "
	       "| %.0f / %.0f ns | %.2f M |\n", mem, mode, c->npol, med, c->t[0],
	       c->t[c->n - 1], (double)c->events / med / 1e6,
	       (double)c->reqs / med / 1e6, (double)c->events / c->t[0] / 1e6,
	       all * 1e9 / (double)c->events, mx * 1e9 / (double)c->events,
	       (double)c->events / bound / 1e6);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "mem", required_argument, NULL, 'm' },
		{ "policy", required_argument, NULL, 'p' },
		{ "no-serial", no_argument, NULL, 'S' },
		{ "parse-only", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	struct replay_opts o = { .progress = false };
	const char *mems = "8G,256G,1T", *policies = "all";
	char memlist[256], *save = NULL, err[256];
	char *names[MAX_MEMS];
	uint64_t bytes[MAX_MEMS];
	static struct cell cells[MAX_MEMS][2];
	unsigned nmem = 0, rounds = 7, modes = 2;
	unsigned cores = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	bool parse = false;
	int c;

	while ((c = getopt_long(argc, argv, "r:m:p:S", opts, NULL)) != -1) {
		switch (c) {
		case 'r': rounds = (unsigned)atoi(optarg); break;
		case 'm': mems = optarg; break;
		case 'p': policies = optarg; break;
		case 'S': modes = 1; break;
		case 'P': parse = true; break;
		default: return 2;
		}
	}
	if (optind >= argc || !rounds || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: replay_speed [--rounds 1..%d] [--mem LIST] "
			"[--policy LIST] [--no-serial] [--parse-only] TRACE...\n",
			MAX_ROUNDS);
		return 2;
	}
	if (parse)
		return parse_only(argv + optind, (unsigned)(argc - optind), rounds);
	if (sim_parse_policies(policies, &o.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "replay_speed: %s\n", err);
		return 2;
	}
	o.traces = (const char *const *)argv + optind;
	o.ntraces = (unsigned)(argc - optind);
	snprintf(memlist, sizeof(memlist), "%s", mems);
	for (char *tok = strtok_r(memlist, ",", &save); tok && nmem < MAX_MEMS;
	     tok = strtok_r(NULL, ",", &save)) {
		if (size_parse(tok, &bytes[nmem]) < 0) {
			fprintf(stderr, "replay_speed: bad size %s\n", tok);
			return 2;
		}
		names[nmem++] = tok;
	}
	for (unsigned r = 0; r < rounds; r++)
		for (unsigned m = 0; m < nmem; m++)
			for (unsigned k = 0; k < modes; k++)
				if (one_run(&o, bytes[m], k == 1, &cells[m][k]) < 0)
					return 1;
	printf("| machine | mode | policies | median replay time (min..max) | "
	       "trace events/s per policy | allocs+frees/s per policy | "
	       "events/s per policy, best round | CPU per event: all threads "
	       "/ longest | events/s per policy on %u idle cores (from CPU "
	       "time) |\n|---|---|---:|---|---:|---:|---:|---:|---:|\n", cores);
	for (unsigned m = 0; m < nmem; m++)
		for (unsigned k = 0; k < modes; k++)
			print_row(names[m], k ? "serial" : "threads", &cells[m][k],
				  cores);
	return 0;
}
