/* SPDX-License-Identifier: MIT */
/*
 * Tracepoints (trace.c): events in the ftrace text layout of the kernel's
 * kmem tracepoints (and the superpageblock series' own), handed to the
 * zone's cfg.event_fn.  Callers test TRACING(z) first: formatting costs,
 * and most zones have no hook.  Each runs in its caller's locking context;
 * it formats a line and calls the hook, nothing else.
 */
#ifndef PA_TRACE_H
#define PA_TRACE_H

#include <stdbool.h>
#include <stdint.h>

struct pa_zone;

/* The zone has an event hook (needs zone.h's struct pa_zone). */
#define TRACING(z) ((z)->cfg.event_fn != NULL)

void trace_page_alloc(struct pa_zone *z, unsigned cpu, uint64_t pfn,
		      unsigned order, unsigned mt, unsigned gfp);
void trace_page_free(struct pa_zone *z, unsigned cpu, uint64_t pfn,
		     unsigned order);
void trace_zone_locked(struct pa_zone *z, unsigned cpu, uint64_t pfn,
		       unsigned order, unsigned mt, bool refill);
void trace_pcpu_drain(struct pa_zone *z, unsigned cpu, uint64_t pfn,
		      unsigned order, unsigned mt);
void trace_extfrag(struct pa_zone *z, unsigned cpu, uint64_t pfn,
		   unsigned order, unsigned fallback_order, unsigned alloc_mt,
		   unsigned fallback_mt, bool claimed);
void trace_spb_alloc_walk(struct pa_zone *z, unsigned cpu, unsigned order,
			  unsigned mt, unsigned gfp, const char *pass,
			  int64_t spb, uint64_t words);
void trace_spb_pb_taint(struct pa_zone *z, unsigned cpu, uint64_t spb,
			uint64_t pfn, unsigned mt, const char *why);
/* A pageblock's content bit for mt set or cleared (pageblock.c, through
 * the summaries); edge: the SPB's first such pageblock (set) or its last
 * (clear). */
void trace_spb_pb_content(struct pa_zone *z, unsigned cpu, uint64_t spb,
			  uint64_t pfn, unsigned mt, bool set, bool edge);
void trace_spb_claim_refused(struct pa_zone *z, unsigned cpu, uint64_t pfn,
			     unsigned mt, unsigned block_mt, const char *why);
void trace_spb_fall_through(struct pa_zone *z, unsigned cpu, unsigned order,
			    unsigned mt, uint64_t tainted,
			    uint64_t tainted_full);

#endif
