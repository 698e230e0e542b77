/* SPDX-License-Identifier: MIT */
/* The benchmark harness: see harness.h. */
#include "harness.h"

#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(const char *prog, const char *extra)
{
	fprintf(stderr,
		"usage: %s [--runs N] [--ops N] [--budget-ms N] [--avalanche PAGES]\n"
		"          [--threads N] [--only SUBSTRING] [--quick]%s\n"
		"Prints tab-separated result lines; scripts/bench-report.py makes tables.\n",
		prog, extra ? extra : "");
	exit(2);
}

static uint64_t parse_u64(const char *prog, const char *extra, const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		usage(prog, extra);
	return v;
}

void bench_parse_opts(int argc, char **argv, const char *usage_extra,
		      struct bench_opts *o)
{
	static const struct option longopts[] = {
		{ "runs", required_argument, NULL, 'r' },
		{ "ops", required_argument, NULL, 'n' },
		{ "budget-ms", required_argument, NULL, 'b' },
		{ "avalanche", required_argument, NULL, 'a' },
		{ "threads", required_argument, NULL, 't' },
		{ "only", required_argument, NULL, 'o' },
		{ "callgrind", required_argument, NULL, 'c' },
		{ "quick", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	*o = (struct bench_opts){
		.runs = 5,
		.ops = 1u << 20,
		.budget_ns = 300 * 1000000ull,
		.avalanche = 1u << 20,
	};
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': o->runs = (unsigned)parse_u64(argv[0], usage_extra, optarg); break;
		case 'n': o->ops = parse_u64(argv[0], usage_extra, optarg); break;
		case 'b': o->budget_ns = parse_u64(argv[0], usage_extra, optarg) * 1000000ull; break;
		case 'a': o->avalanche = parse_u64(argv[0], usage_extra, optarg); break;
		case 't': o->threads = (unsigned)parse_u64(argv[0], usage_extra, optarg); break;
		case 'o': o->only = optarg; break;
		case 'c': o->callgrind = optarg; break;
		case 'q': o->quick = true; break;
		default: usage(argv[0], usage_extra);
		}
	}
	if (optind != argc || o->runs == 0 || o->ops < 4096 || o->avalanche == 0)
		usage(argv[0], usage_extra);
	/* Loops run in chunks of 4096 between clock reads. */
	o->ops = (o->ops + 4095) & ~4095ull;
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void bench_cpus_init(struct bench_cpus *c)
{
	cpu_set_t set;
	c->n = 0;
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		for (unsigned i = 0; i < CPU_SETSIZE; i++)
			if (CPU_ISSET(i, &set))
				c->cpu[c->n++] = i;
	}
	if (c->n == 0) { /* unknown: pinning becomes a no-op on CPU 0 */
		c->cpu[0] = 0;
		c->n = 1;
	}
}

int bench_pin(const struct bench_cpus *c, unsigned idx)
{
	cpu_set_t set;
	unsigned cpu = c->cpu[idx % c->n];
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		return -1;
	return (int)cpu;
}

void bench_result(const char *group, const char *row, const char *col,
		  double value)
{
	printf("R\t%s\t%s\t%s\t%.6g\n", group, row, col, value);
	fflush(stdout);
}

void bench_ratio(const char *group, const char *base)
{
	printf("X\tratio\t%s\t%s\n", group, base);
	fflush(stdout);
}

void bench_group(const char *group)
{
	printf("X\tgroup\t%s\n", group);
	fflush(stdout);
}

void bench_min(const char *group)
{
	printf("X\tmin\t%s\n", group);
	fflush(stdout);
}

void bench_skip(const char *col, const char *reason)
{
	printf("S\t%s\t%s\n", col, reason);
	fflush(stdout);
}

void bench_note(const char *fmt, ...)
{
	va_list ap;
	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void bench_note_provider(const char *what, void *fn)
{
	Dl_info info;
	if (dladdr(fn, &info) && info.dli_fname)
		bench_note("%s comes from %s", what, info.dli_fname);
	else
		bench_note("%s: provider unknown", what);
}

bool bench_selected(const struct bench_opts *o, const char *name)
{
	return !o->only || strstr(name, o->only);
}

static void *noop_thread(void *arg)
{
	return arg;
}

void bench_make_multithreaded(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, noop_thread, NULL) == 0)
		pthread_join(t, NULL);
}
