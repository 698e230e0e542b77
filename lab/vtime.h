/* SPDX-License-Identifier: MIT */
/*
 * vtime - N simulated CPUs in virtual time.  A workload (scenario or
 * trace) is recorded as per-CPU request streams; then, per policy, a
 * discrete-event loop runs the CPUs on their own clocks: the CPU whose
 * next request is due first executes it for real in that policy's zone
 * (the library decides what it does), the counter deltas say what it did
 * (opcost.h), and the cost model (costmodel.h) says how long that took.
 * zone->lock and each CPU's pageset lock (pcp->lock) are FIFO resources
 * whose hand-off cost grows with the CPUs queued on them; remote-free
 * lists are FIFO resources per owner CPU.  A
 * request that frees (or reallocates) a key waits until the request before
 * it on that key has run, so cross-CPU frees stay causal.  Deterministic:
 * no wall-clock time enters the results.  docs/VTIME.md has the model.
 *
 * Not thread-safe; one vtime per simulation.
 */
#ifndef PA_LAB_VTIME_H
#define PA_LAB_VTIME_H

#include <stdbool.h>
#include <stdint.h>

#include "costmodel.h"
#include "vt_irq.h"
#include "pagealloc.h"

struct sim;

/* A recorded request: a page request, or one of the LRU model's (an
 * added folio, mt its lru_kind, or a freed one), which runs through the
 * policy's LRU so the library's reclaim finds folios to take. */
enum vt_kind { VT_ALLOC, VT_FREE, VT_LRU_ADD, VT_LRU_FREE };

/* Where a request's think time (the CPU's own work before it) comes
 * from. */
enum vt_think {
	VT_THINK_GLOBAL,  /* the workload's time since the previous request,
	                   * whatever its CPU (scenarios: the generator's
	                   * waits are the issuing CPU's work) */
	VT_THINK_PER_CPU, /* since the previous request on the same CPU
	                   * (traces: real concurrent time) */
};

#define VT_HIST_SUB 8                 /* sub-buckets per power of two */
#define VT_HIST_BUCKETS (48 * VT_HIST_SUB)

/* A log-linear histogram of durations (ns), for percentiles. */
struct vt_hist {
	uint64_t n;
	double sum, max;
	uint64_t b[VT_HIST_BUCKETS];
};

/* What one policy did on N CPUs, in virtual time. */
struct vt_result {
	enum pa_policy policy;
	unsigned ncpus;
	uint64_t ops;            /* requests executed */
	double makespan_ns;      /* the last CPU's finish time */
	double cpu_ns;           /* CPU time: every CPU from 0 to its last
	                          * request's end, think time included */
	double think_ns;         /* of which the workload's own work */
	double call_ns;          /* ... allocator work outside zone->lock */
	double wait_ns;          /* ... spinning for zone->lock */
	double hold_ns;          /* ... holding it (hand-offs included) */
	double remote_wait_ns;   /* ... waiting for a remote-free list */
	uint64_t acquisitions, contended; /* zone->lock */
	uint64_t remote_ops;     /* remote-free list pushes and swaps */
	uint64_t tick_holds;     /* zone->lock holds by the per-second tick */
	uint64_t misses;         /* calls whose page metadata was not in
	                          * their CPU's cache (costmodel miss_ns) */
	uint64_t scanned, migrated; /* pfns compaction's scanners stepped
	                          * on, pages moved, by calls (not the
	                          * background) */
	uint64_t free_scanned;   /* of `scanned`, the free scanner's */
	uint64_t compact_runs;   /* compaction runs by calls */
	uint64_t migrated_blocks; /* the blocks those pages were in
	                          * (costmodel migrate_ns) */
	uint64_t list_ops;       /* free-list operations under zone->lock by
	                          * calls (costmodel list_op_ns) */
	uint64_t merges, splits; /* buddies their frees merged in, pieces
	                          * their splits put on lists */
	uint64_t pb_walked;      /* entries their fallbacks' pageblock walks
	                          * looked at (costmodel pb_walk_ns) */
	uint64_t passes, walked; /* pageset merge passes, chunks they walked
	                          * (costmodel walk_ns) */
	uint64_t walk_misses;    /* metadata lines those walks missed */
	uint64_t walk_hops;      /* chunks walked not next to the previous */
	uint64_t tlb_misses;     /* metadata pages calls and walks missed in
	                          * the TLB */
	/* those line misses as weights on the four calibrated miss figures
	 * (costmodel_miss_weights): their price is w . figures, so the run
	 * can be priced again at other figures without running it again */
	double miss_w[COSTMODEL_MISS_FIGS];
	uint64_t marks;          /* allocations their caller marked movable
	                          * (costmodel owner_ns) */
	struct vt_hist wait, hold; /* per acquisition */
	/* pcp->lock: one hold per call on its own pageset (from its start
	 * to the end of the zone->lock holds inside it), and one per other
	 * pageset it drained (pa_drain) */
	double pcp_wait_ns;      /* spinning for a pcp->lock */
	double pcp_hold_ns;      /* holding one (hand-offs included) */
	uint64_t pcp_acquisitions, pcp_contended;
	uint64_t pcp_remote;     /* holds on another CPU's pageset */
	struct vt_hist pcp_wait; /* per pcp->lock acquisition */
	/* interrupts (vt_irq.h): handlers run, their allocator calls, the
	 * calls whose pageset trylock failed (the lock was held: by the
	 * interrupted task, or a drainer), allocations that found no page,
	 * and the CPU time in handlers (part of cpu_ns) */
	uint64_t irqs, irq_calls, irq_fallbacks, irq_failed;
	double irq_ns;
	/* zone->lock holds by handlers (in acquisitions, wait, hold above),
	 * and of those, the holds of handlers that fell back */
	uint64_t irq_zone_acq, fb_zone_acq;
	double irq_zone_wait_ns, irq_zone_hold_ns;
	double fb_zone_wait_ns, fb_zone_hold_ns;
	/* the background step (pa_zone_tick: kswapd's reclaim, spb's
	 * defragmentation worker), on a simulated CPU of its own once per
	 * virtual millisecond: ticks, its zone->lock holds (in the figures
	 * above), pages it reclaimed or moved, its busy time (in cpu_ns),
	 * and of that, spinning and holding zone->lock */
	uint64_t bg_ticks, bg_holds, bg_pages;
	/* blocks the lab's shrinkers freed for the library's reclaim, in
	 * calls (direct reclaim) and in the background step (kswapd) */
	uint64_t reclaim_frees;
	double bg_ns, bg_wait_ns, bg_hold_ns;
};

/* The figures derived from a result (what the reports print). */
struct vt_figures {
	double wait_share;       /* wait_ns / cpu_ns, 0..1 */
	double lock_util;        /* zone->lock busy share of the makespan */
	double wait_mean_ns, wait_p99_ns;
	double hold_mean_ns, hold_p99_ns, hold_max_ns;
	double ops_per_s;        /* per virtual second, all CPUs */
	double contended_share;  /* acquisitions that waited */
	double pcp_wait_share;   /* pcp_wait_ns / cpu_ns, 0..1 */
	double pcp_wait_mean_ns, pcp_wait_p99_ns;
	double pcp_contended_share;
	double irq_fallback_share; /* handler calls whose trylock failed */
	double bg_share;         /* background CPU busy share of makespan */
};

struct vtime;

/*
 * A recorder/engine for one simulation.  Returns NULL on ENOMEM.  The
 * cost model is copied.
 */
struct vtime *vtime_create(const struct costmodel *m, enum vt_think think);
void vtime_destroy(struct vtime *vt);

/* Recording (sim.c calls these instead of applying requests).  Out of
 * memory is remembered and reported by vtime_failed(). */
void vtime_record(struct vtime *vt, enum vt_kind kind, unsigned cpu,
		  uint64_t key, unsigned order, int mt);
/* The workload's clock (trace timestamp, scenario time), ns. */
void vtime_record_time(struct vtime *vt, uint64_t t_ns);

/* Leave each CPU's first `share` (0..0.9) of requests out of the figures:
 * they run, warming the pagesets up, but are not measured [0]. */
void vtime_set_warmup(struct vtime *vt, double share);

/* Interrupts on every simulated CPU (vt_irq.h) in the next runs [none]. */
void vtime_set_irq(struct vtime *vt, const struct vt_irq_cfg *c);

/* Run the background step (pa_zone_tick) on a CPU of its own once per
 * virtual millisecond, as the plain replay does on its clock [on]. */
void vtime_set_background(struct vtime *vt, bool on);

/* Remember every call's pfn in the next run, for vtime_measure(). */
void vtime_set_measure(struct vtime *vt, bool on);

/*
 * After a one-CPU run with measuring on: make the same calls again,
 * in order, on a fresh zone per policy (its metadata mapped in first),
 * with the run's pcp ticks and background steps at the same points, and
 * store ns per request in ns[policy index].  The stability rule
 * (docs/VTIME.md): after an untimed warm-up pass, at least `runs`
 * passes and more until they span 4 s of wall time (64 at most), pass
 * r pinned to the CPU the calibration's run r uses; each window of 4096
 * requests costs the least thread CPU time any pass took for it, less
 * the least of the same loop's pass without the calls.
 * The run's reclaim is replayed with it: its shrinkers' answers and the
 * blocks they freed, at the same points (vt_reclaim.h).  After each pass
 * a run of the calibration's miss benchmark (cal_miss_run); miss[policy
 * index] gets the four miss figures it gave over that policy's passes
 * (costmodel_miss_figures' order), the machine's while the calls ran.
 * Returns 0, -EINVAL (not a one-CPU measured run, or one with
 * interrupts), -EUCLEAN (a call returned another pfn than in the run,
 * or the zone's reclaim asked other questions), or -ENOMEM.
 */
int vtime_measure(struct vtime *vt, struct sim *s, unsigned runs,
		  double *ns, double (*miss)[COSTMODEL_MISS_FIGS]);

/* One untimed pass of vtime_measure()'s replay for policy index pol:
 * the same calls, ticks and reclaim on a fresh zone, every pfn checked.
 * 0, -EINVAL (not a one-CPU measured run, pol out of range), -EUCLEAN
 * (a pfn or a reclaim question differed) or -ENOMEM (the run could not
 * keep its record, or no memory now). */
int vtime_replay(struct vtime *vt, struct sim *s, unsigned pol);

/* Run every policy of s on s->cfg.ncpus CPUs (sim_finish calls it). */
void vtime_run(struct vtime *vt, struct sim *s);

/* Results of the last run, in s->pol order; *n set to their count. */
const struct vt_result *vtime_results(const struct vtime *vt, unsigned *n);
/* Requests recorded. */
uint64_t vtime_requests(const struct vtime *vt);
/* True if recording or running ran out of memory (results incomplete). */
bool vtime_failed(const struct vtime *vt);

/* Derive the report figures. */
void vtime_figures(const struct vt_result *r, struct vt_figures *f);
/* The p-quantile (0..1) of a histogram, ns (bucket midpoint). */
double vt_hist_quantile(const struct vt_hist *h, double p);
void vt_hist_add(struct vt_hist *h, double ns);

/* ---- toy queueing check (the tests' closed-form comparisons) ---- */

/*
 * A closed system: n CPUs, each repeatedly thinking think_ns then holding
 * one lock for hold_ns (no hand-off cost), for `rounds` rounds each, on
 * the same FIFO lock resource the engine uses.  Fills *r (ops = holds).
 */
void vtime_toy_closed(unsigned n, double think_ns, double hold_ns,
		      unsigned rounds, struct vt_result *r);

/*
 * Two or more CPUs on one pageset: n CPUs each repeatedly thinking
 * think_ns then holding CPU 0's pcp->lock for hold_ns, through the
 * engine's own pcp->lock path (CPU 0 is the owner, the others drain it
 * remotely), with a hand-off of handoff_ns whenever the holder changes
 * (no per-waiter term).  Fills the pcp_* figures of *r (ops = holds).
 */
void vtime_toy_pcp(unsigned n, double think_ns, double hold_ns,
		   double handoff_ns, unsigned rounds, struct vt_result *r);

#endif
