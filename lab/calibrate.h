/* SPDX-License-Identifier: MIT */
/*
 * calibrate - measure the cost model's figures on this machine with the
 * library's own operations (`pagealloc calibrate`): per-CPU hits, zone
 * path and burst workloads fitted to the engine's cost formula, and a
 * zone->lock hand-off between two real CPUs.
 */
#ifndef PA_LAB_CALIBRATE_H
#define PA_LAB_CALIBRATE_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "costmodel.h"
#include "pagealloc.h"

/* A movable-page owner that agrees to every isolation and move and keeps
 * nothing (the lab's pages carry no data): the compaction calibration's,
 * and --measure's, so compaction moves what the run moved.  Stateless. */
extern const struct pa_movable_ops calibrate_agreeing_owner;

/* One workload's measurement: time and what its calls did. */
struct cal_sample {
	const char *name;
	double ns;                 /* the least thread CPU time of the runs */
	double calls, acq, pages, blocks;
	double merges;             /* buddy merges and split pieces */
};

/*
 * Fit lock_ns, page_ns, list_op_ns and merge_ns (>= 0, least squares on
 * relative error) so that ns = calls * m->call_ns + acq * lock_ns + pages
 * * page_ns + blocks * list_op_ns + merges * merge_ns over the samples;
 * m->call_ns must be set.  A figure whose feature is 0 in every sample
 * comes out 0.  Returns 0, or -EINVAL when no fit exists (fewer than 3
 * samples, all zero).
 */
int calibrate_fit(const struct cal_sample *s, unsigned n,
		  struct costmodel *m);

/*
 * Run every measurement (the least of `runs`, interleaved; the
 * single-thread ones pinned to one CPU) and fill *m
 * (fields not measured keep their defaults).  Progress and raw figures go
 * to `log`.  Returns 0, or -ENOMEM.  Takes a few seconds; not
 * thread-safe.
 */
int calibrate_run(struct costmodel *m, unsigned runs, FILE *log);

/* Solve the k x k system a[][0..k-1] x = a[][k] in place (Gaussian
 * elimination with partial pivoting), k <= CAL_SOLVE_MAX: 0, or -EINVAL
 * when a pivot is (nearly) zero. */
#define CAL_SOLVE_MAX 4
int calibrate_solve(double a[CAL_SOLVE_MAX][CAL_SOLVE_MAX + 1], unsigned k,
		    double *x);

/* The calling thread's CPU time, ns (what the measurements read). */
double calibrate_thread_ns(void);
/*
 * The stability rule (docs/VTIME.md), the calibration's and --measure's
 * alike: a piece of work timed in several runs costs the least of them
 * (on a shared machine noise only adds time: preemption's cold caches,
 * the other tenants' cache and memory traffic).  n >= 1.
 */
double calibrate_least(const double *v, unsigned n);
/* The same rule per window of a run: least[w] = min(least[w], x[w]) for
 * the n windows (first: a copy, the first run). */
void calibrate_windows_least(double *least, const double *x, size_t n,
			     bool first);

/* Whether a measurement whose runs began at `start` (progress_now())
 * makes run r: `runs` of them at least, then more until they span span_s
 * seconds of wall time, `max` runs at most (the other tenants' bursts
 * last seconds and slow every run made during one). */
bool calibrate_more(unsigned r, unsigned runs, double start, double span_s,
		    unsigned max);

/* The CPUs the calling thread may use, saved by calibrate_pin_save(). */
struct cal_pin {
	cpu_set_t old;
	unsigned ncpus;          /* 0: unknown, nothing pinned */
};

/*
 * The stability rule's placement: run r of a measurement is pinned to
 * the (r mod n)-th of the n CPUs allowed at calibrate_pin_save(), so a
 * migration cannot bring cold caches into a run and the least of the
 * runs is the quietest CPU's (on this VM one vCPU measured 1.7x the
 * other's time for the same calls, for minutes).  calibrate_unpin()
 * restores the saved mask.  Best effort: a failed pin leaves the mask.
 */
void calibrate_pin_save(struct cal_pin *p);
void calibrate_pin_run(const struct cal_pin *p, unsigned r);
void calibrate_unpin(const struct cal_pin *p);

/*
 * The metadata-miss benchmark (random frees over 1, 4, 16 and 64 MiB of
 * page metadata, each allocated straight back), run by run, so its runs
 * can be spread among other timed work: the calibration's miss figures,
 * and --measure's taken beside its timed passes.  Not thread-safe.
 */
#define CAL_MISS_MAX_RUNS 64
struct cal_miss {
	uint64_t *pfn;           /* the benchmark's live pages */
	double v[COSTMODEL_MISS_FIGS][CAL_MISS_MAX_RUNS];
	unsigned n[COSTMODEL_MISS_FIGS];
};
/* 0, or -ENOMEM. */
int cal_miss_init(struct cal_miss *cm);
void cal_miss_destroy(struct cal_miss *cm);
/* One run of each of the four sizes, on the calling thread's CPU (runs
 * past CAL_MISS_MAX_RUNS are not kept). */
void cal_miss_run(struct cal_miss *cm);
/* The four figures (costmodel_miss_figures' order), each the least pair
 * of its runs less the pair's two calls at call_ns; 0, or -ENOMEM when a
 * size has no run (its zone could not be made). */
int cal_miss_figures(const struct cal_miss *cm, double call_ns,
		     double y[COSTMODEL_MISS_FIGS]);

/* The median of v[0..n-1], n >= 1 (v is sorted in place). */
double calibrate_median(double *v, unsigned n);

#endif
