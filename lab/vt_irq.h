/* SPDX-License-Identifier: MIT */
/*
 * vt_irq - interrupts in virtual time: per simulated CPU, a stream of
 * interrupts (network receive, say) that allocate and free pages
 * atomically on the CPU they arrive on.  On a real machine the interrupt
 * may land while that CPU's task holds its pageset lock (pcp->lock is
 * taken without disabling interrupts); the handler's pageset trylock then
 * fails and the page goes to or comes from the zone under zone->lock
 * (seed 003: the kernel's pcp_spin_trylock failing in IRQ context).  This
 * file is the library side: the arrival times (Poisson, rate per CPU,
 * deterministic for a seed), each CPU's ring of pages the handler keeps
 * (a receive ring: every interrupt frees the oldest buffer once the ring
 * is full and allocates a fresh one), and the calls, made for real with
 * the CPU's pageset lock held when the task holds it, so the library's
 * own trylock fails and its own fallback runs.  The engine (vtime.c) says
 * when and prices the time.
 *
 * Not thread-safe; one per policy run.
 */
#ifndef PA_LAB_VT_IRQ_H
#define PA_LAB_VT_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#include "opcost.h"
#include "pagealloc.h"

#define VT_IRQ_RING 16   /* pages each CPU's handler keeps */
#define VT_IRQ_NO_PAGE UINT32_MAX /* vt_irq_call.pfn: none */

/* What the interrupt stream is. */
struct vt_irq_cfg {
	double rate_hz;          /* interrupts per CPU per virtual second;
	                          * 0: none */
	bool in_hold;            /* instead of a rate: one interrupt at the
	                          * start of every call that holds its own
	                          * pageset's lock (every trylock fails) */
	uint64_t seed;
};

struct vt_irq_cpu {
	uint64_t rng;
	uint32_t ring[VT_IRQ_RING]; /* pfns, oldest at head */
	unsigned head, n;
};

struct vt_irq {
	struct vt_irq_cfg cfg;
	unsigned ncpus;
	struct vt_irq_cpu *cpu;
};

/* What one interrupt did. */
struct vt_irq_call {
	struct opcost d;         /* zone->lock traffic, pages, lists */
	unsigned calls;          /* allocator calls made (1 or 2) */
	unsigned fallbacks;      /* of which the pageset trylock failed */
	uint64_t own_acq;        /* pageset lock acquisitions the calls made
	                          * (not the stand-in hold) */
	uint32_t pfn[2];         /* pages freed, allocated (VT_IRQ_NO_PAGE) */
	int owner;               /* pcpbuddy owner CPU of the page freed, or
	                          * -1 (its free may be a remote push) */
	bool failed;             /* the allocation found no page */
};

/* Returns 0 or -ENOMEM.  Nothing is allocated in a zone yet. */
int vt_irq_init(struct vt_irq *q, unsigned ncpus, const struct vt_irq_cfg *c);
void vt_irq_destroy(struct vt_irq *q);

/* True if the configuration makes interrupts at all. */
bool vt_irq_on(const struct vt_irq *q);

/* The time from one interrupt on cpu to its next (exponential with mean
 * 1 / rate), ns; the stream is the same for the same seed and CPU. */
double vt_irq_gap(struct vt_irq *q, unsigned cpu);

/*
 * One interrupt on cpu in zone z: free the ring's oldest page when the
 * ring is full, then allocate one order-0 unmovable page atomically
 * (PA_GFP_ATOMIC | PA_GFP_NOLOCK: a handler neither reclaims nor drains).
 * With `held`, cpu's pageset lock is held across both calls (the
 * interrupted task's), so each trylock of it fails.  Fills *out.
 */
void vt_irq_run(struct vt_irq *q, struct pa_zone *z, unsigned cpu, bool held,
		struct vt_irq_call *out);

/* Free every page the handlers still keep (at the end of a run, so the
 * zone's accounting matches the workload's own). */
void vt_irq_free_all(struct vt_irq *q, struct pa_zone *z);

#endif
