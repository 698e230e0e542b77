/* SPDX-License-Identifier: MIT */
/*
 * The measurement harness shared by the benchmarks: options, clocks, CPU
 * pinning and the result lines scripts/bench-report.py turns into tables.
 *
 * A benchmark binary prints one line per measurement, tab-separated:
 *   R <group> <row> <column> <value>    one measured value (one run)
 *   X ratio <group> <base column>       ask the report for base/other ratios
 *   X group <group>                     list groups in this order
 *   X min <group>                       also show each cell's best run
 *   S <column> <reason>                 a subject skipped, and why
 *   # free text                         context (allocator library, CPUs)
 * Medians are taken by the report over every run of every binary, so runs
 * of different processes (pagealloc and its peers) interleave in time.
 */
#ifndef PA_BENCH_HARNESS_H
#define PA_BENCH_HARNESS_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

struct bench_opts {
	unsigned runs;          /* repetitions of every measurement [5] */
	uint64_t ops;           /* operations per timed loop [2^20] */
	uint64_t budget_ns;     /* a loop stops early past this [300 ms] */
	uint64_t avalanche;     /* pages freed by the exit avalanche [2^20] */
	unsigned threads;       /* allocating threads in the avalanche [CPUs] */
	const char *only;       /* run only patterns/sizes containing this */
	const char *callgrind;  /* subject for the instruction-count mode */
	bool quick;             /* smaller sizes where a benchmark has them */
};

/* The CPUs this process may run on, for pinning thread i to cpu[i % n]. */
struct bench_cpus {
	unsigned n;
	unsigned cpu[CPU_SETSIZE];
};

/* Parse the common options; exits with a usage message on error. */
void bench_parse_opts(int argc, char **argv, const char *usage_extra,
		      struct bench_opts *o);

/* CLOCK_MONOTONIC in ns: read around loops, never per operation. */
uint64_t bench_now_ns(void);

void bench_cpus_init(struct bench_cpus *c);
/* Pin the calling thread to the idx-th allowed CPU (modulo); returns the
 * CPU number, or -1 if pinning failed (the run goes on unpinned). */
int bench_pin(const struct bench_cpus *c, unsigned idx);

/* The result lines described above; stdout is flushed after each so a
 * crash loses nothing already measured. */
void bench_result(const char *group, const char *row, const char *col,
		  double value);
void bench_ratio(const char *group, const char *base);
void bench_group(const char *group); /* place groups in this order */
void bench_min(const char *group);   /* also report the best run */
void bench_skip(const char *col, const char *reason);
void bench_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Start and join one thread, so every subject is measured in a process
 * that has been multi-threaded: glibc drops atomic instructions from its
 * locks and malloc while a process is single-threaded, which would favour
 * whichever subject runs before the first two-thread pattern.
 */
void bench_make_multithreaded(void);

/* Print the library that provides `fn` (which malloc is really in use). */
void bench_note_provider(const char *what, void *fn);

/* True when `name` passes the --only filter. */
bool bench_selected(const struct bench_opts *o, const char *name);

/* Keep the compiler from eliding an allocation whose result is unused
 * (GCC removes malloc/free pairs it can see through). */
static inline void bench_escape(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

#endif
