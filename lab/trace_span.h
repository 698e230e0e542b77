/* SPDX-License-Identifier: MIT */
/*
 * trace_span - how big the traced machine was, judged from its events
 * alone (when no zoneinfo came with the trace): the pfn span and the CPU
 * count, robust to a few corrupt values.  pfns are grouped into 1 GiB
 * regions and CPUs counted one by one; regions and CPUs with almost no
 * events (under one in TRACE_SPAN_OUTLIER of the allocations) are taken for
 * corruption and left out of the size, so one stray pfn cannot make the
 * machine 16 TiB nor one stray CPU id 1024 CPUs.  The events themselves
 * are still replayed (the pfns are only keys).
 */
#ifndef PA_LAB_TRACE_SPAN_H
#define PA_LAB_TRACE_SPAN_H

#include <stdint.h>

#include "pagealloc.h"
#include "trace_parse.h"

#define TRACE_SPAN_OUTLIER 10000u     /* below 1/10000 of the events */
#define TRACE_SPAN_REGIONS 4096u      /* 1 GiB regions tracked (4 TiB of
                                       * distinct regions); more count as
                                       * outliers */

struct trace_span_region {
	uint64_t id;                  /* pfn >> 18; UINT64_MAX: free slot */
	uint64_t events, lo, hi;      /* hi: one past the last page */
};

struct trace_span {
	struct trace_span_region region[TRACE_SPAN_REGIONS];
	uint64_t cpu_events[PA_MAX_CPUS];
	uint64_t events;              /* allocations seen */
	uint64_t untracked;           /* in regions beyond the table */
	uint64_t cpu_beyond;          /* on CPU ids >= PA_MAX_CPUS */
};

/* Empty the span. */
void trace_span_init(struct trace_span *s);

/* Count one allocation (failed ones are ignored). */
void trace_span_add(struct trace_span *s, const struct trace_event *ev);

/*
 * The result: *pages the pfn span of the regions kept (0 when no event),
 * *cpus the highest CPU kept + 1 (at least 1), *pfn_outliers and
 * *cpu_outliers the allocations whose pfn or CPU was left out of the size
 * as an outlier.  Pure function of the events added.
 */
void trace_span_result(const struct trace_span *s, uint64_t *pages,
		       unsigned *cpus, uint64_t *pfn_outliers,
		       uint64_t *cpu_outliers);

#endif
