/* SPDX-License-Identifier: MIT */
/*
 * calibrate - measure the cost model's figures on this machine with the
 * library's own operations (`pagealloc calibrate`): per-CPU hits, zone
 * path and burst workloads fitted to the engine's cost formula, and a
 * zone->lock hand-off between two real CPUs.
 */
#ifndef PA_LAB_CALIBRATE_H
#define PA_LAB_CALIBRATE_H

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
	double ns;                 /* median wall time */
	double calls, acq, pages, blocks;
};

/*
 * Fit lock_ns, page_ns and list_op_ns (>= 0, least squares on relative
 * error) so that ns = calls * m->call_ns + acq * lock_ns + pages * page_ns
 * + blocks * list_op_ns over the samples; m->call_ns must be set.  Returns
 * 0, or -EINVAL when no fit exists (fewer than 3 samples, all zero).
 */
int calibrate_fit(const struct cal_sample *s, unsigned n,
		  struct costmodel *m);

/*
 * Run every measurement (median of `runs`, interleaved) and fill *m
 * (fields not measured keep their defaults).  Progress and raw figures go
 * to `log`.  Returns 0, or -ENOMEM.  Takes a few seconds; not
 * thread-safe.
 */
int calibrate_run(struct costmodel *m, unsigned runs, FILE *log);

/* The calling thread's CPU time, ns (what the measurements read). */
double calibrate_thread_ns(void);
/* The median of v[0..n-1], n >= 1 (v is sorted in place). */
double calibrate_median(double *v, unsigned n);

#endif
