/* SPDX-License-Identifier: MIT */
/*
 * sim - the simulated machine the lab drives: one metadata-only zone per
 * policy, all fed the same allocations and frees in lockstep, each with its
 * own map from the caller's block keys (trace pfns, or a scenario's object
 * ids) to the block that policy handed out.  It samples the figures the
 * reports show over time and at the end.
 */
#ifndef PA_LAB_SIM_H
#define PA_LAB_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "lru.h"
#include "pagealloc.h"
#include "pfnmap.h"
#include "sim_reporting.h"
#include "slab.h"

struct vtime;
struct warm;
struct zoneinfo;
struct simq;

/* Time-series points kept per policy; when full, every other point is
 * dropped and the interval doubles, so memory stays constant. */
#define SIM_MAX_SAMPLES 256

/*
 * The figures that walk every pageblock (pa_frag(), pagetypeinfo) are
 * taken on the sampling grid only while each policy has spent fewer than
 * SIM_FRAG_PB_PER_EVENT pageblock visits per request applied so far (the
 * first and last samples always have them).  So their cost per request is
 * bounded whatever the machine size: on a 1 TiB machine (524,288
 * pageblocks) they come once per 65,536 requests, on 8 GiB once per 512.
 * The cheap figures (pa_stats, the per-order free counts and indexes)
 * are in every sample.
 */
#define SIM_FRAG_PB_PER_EVENT 8

/* The kernel-format reports kept at the end and at the peak. */
enum sim_report {
	SIM_BUDDYINFO,     /* PA_REPORT_BUDDYINFO */
	SIM_PAGETYPEINFO,  /* PA_REPORT_PAGETYPEINFO */
	SIM_EXTFRAG,       /* PA_REPORT_EXTFRAG_INDEX */
	SIM_UNUSABLE,      /* PA_REPORT_UNUSABLE_INDEX */
	SIM_NR_REPORTS
};
/* The pa_report() kind, and the file the kernel shows it in. */
enum pa_report sim_report_kind(enum sim_report r);
const char *sim_report_file(enum sim_report r);

struct sim_config {
	uint64_t bytes;          /* machine size */
	unsigned ncpus;
	unsigned pcp_batch, pcp_high_min, pcp_high_max; /* 0: kernel formula */
	uint64_t min_free_kbytes; /* 0: kernel formula */
	enum pa_policy policies[PA_POLICY_NR];
	unsigned npolicies;
	/* Starting state: pages on each CPU's pageset (movable, order 0), as
	 * the traced machine's zoneinfo "count:" shows; NULL: start empty.
	 * Counters are reset after the fill, so figures cover the replay. */
	const unsigned *pcp_fill;
	unsigned pcp_fill_n;
	/* The state inferred from the trace (lab/warm.h), applied after the
	 * zones are made, with the zoneinfo it was seen with (or NULL);
	 * NULL: no warm start.  Counters are reset after it too. */
	struct warm *warm;
	const struct zoneinfo *warm_zi;
	/* Virtual time (lab/vtime.h): requests are recorded instead of
	 * applied, and sim_finish() runs them per policy on N simulated
	 * CPUs.  NULL: the plain lockstep replay. */
	struct vtime *vt;
	/* Apply every request to every policy in the calling thread, in
	 * turn.  false (default): one thread per policy, fed in batches
	 * (lab/simqueue.h); the results are identical either way. */
	bool serial;
	bool compact;            /* --compact: proactive ticks */
	/* --pcp-decay grid: decay every pageset once a second of trace time
	 * even where the trace shows the kernel's vmstat work run; false
	 * (trace): that CPU's pageset decays there (sim_pcp_decay), the grid
	 * only for traces without it (docs/LAB.md) */
	bool pcp_decay_grid;
	/* --report-free ORDER: page reporting each simulated second
	 * (sim_reporting.h) */
	bool report_free;
	unsigned report_free_order;
	/* take the destructive end figures (compaction, 1 GiB contiguous
	 * allocations) even without --compact: the full-machine scenarios */
	bool measure_contig;
};

struct sim_sample {
	uint64_t t_ns;                    /* since the first event */
	uint64_t allocated;               /* pages */
	uint64_t zone_lock_pages;         /* cumulative pages moved under it */
	uint64_t zone_lock_acq;           /* cumulative acquisitions */
	/* buddyinfo: free blocks per order, and the kernel's indexes */
	uint64_t nr_free[PA_FRAG_ORDERS];
	int16_t extfrag_milli[PA_FRAG_ORDERS];
	int16_t unusable_milli[PA_FRAG_ORDERS];
	/* pageblock walk (see SIM_FRAG_PB_PER_EVENT): valid if has_frag */
	bool has_frag;
	uint64_t free_by_mt[PA_MT_TYPES]; /* free pages by pageblock type */
	uint64_t free_whole_pb;           /* free pages in whole pageblocks */
	uint64_t free_whole_spb;          /* entirely free superpageblocks */
	uint64_t tainted_spb;             /* holding unmovable/reclaimable */
	uint64_t clean_spb;               /* the rest: 1 GiB ranges contiguous
	                                   * allocation could have by moving
	                                   * movable pages (an upper bound) */
	uint64_t reclaimed;               /* cumulative pages reclaimed */
};

/* What happened to the requests, per policy. */
struct sim_counts {
	uint64_t events;         /* allocations + frees applied */
	uint64_t allocs, frees;  /* succeeded in our model */
	uint64_t failures;       /* allocations our model could not serve */
	uint64_t free_unknown;   /* frees of blocks not allocated in the run
	                          * (allocated before the capture, or failed
	                          * here) */
	uint64_t free_partial;   /* frees of part of a larger live block: the
	                          * whole block is freed at the first part */
	uint64_t free_partial_rest; /* later parts of such a block */
	uint64_t order_mismatch; /* freed with another order than allocated */
	uint64_t alloc_over_live; /* allocation of a key still live (a missed
	                          * free): the old block is freed first */
	uint64_t bad_frees;      /* rejected by the allocator: a lab bug */
	uint64_t live_blocks, live_pages; /* still allocated at the end */
};

/*
 * A tap on the lab's shrinkers (the LRU's, 0, and the slab's, 1): told
 * each count and scan with its result, and each block a scan freed, in
 * the order they happen.  Virtual time sets one to price reclaim's frees
 * and to record them for its measurement (lab/vt_reclaim.h).  Called
 * from inside the library's reclaim pass, on the reclaiming thread.
 */
struct sim_reclaim_tap {
	void (*counted)(void *arg, unsigned shrinker, uint64_t ret);
	void (*scanned)(void *arg, unsigned shrinker, uint64_t nr_scanned,
			uint64_t ret);
	void (*freed)(void *arg, unsigned cpu, uint32_t pfn, unsigned order);
	void *arg;
};

struct sim_policy;
/* What a registered shrinker's callbacks are handed: its policy and
 * which model it is (0 the LRU, 1 the slab). */
struct sim_shrinker {
	struct sim_policy *p;
	unsigned id;
};

struct sim_policy {
	enum pa_policy policy;
	struct pa_zone *zone;
	struct pfnmap map;
	struct sim_counts c;
	struct pa_stats stats;   /* at the end */
	struct pa_frag frag_end;
	struct pa_frag_index index_end;
	/* the sample with most pages allocated */
	uint64_t peak_allocated, peak_t_ns;
	struct pa_frag_index index_peak;
	/* the sample with the pageblock walk and most pages allocated (the
	 * same sample unless the walk's budget skipped that one) */
	uint64_t frag_peak_allocated, frag_peak_t_ns;
	struct pa_frag frag_peak;
	/* pa_report() texts at the end and at the peak (pagetypeinfo: at the
	 * walk's peak), NULL if they could not be made */
	char *report_end[SIM_NR_REPORTS];
	char *report_peak[SIM_NR_REPORTS];
	struct sim_sample samples[SIM_MAX_SAMPLES];
	unsigned nsamples;
	/* this policy's sampling grid and clock (from the first event) */
	bool started;
	uint64_t interval_ns, next_sample_ns, next_tick_ns;
	uint64_t ticks_skipped;  /* pcp ticks of long idle gaps not run (the
	                          * same for every policy) */
	uint64_t frag_pb_walked; /* pageblock visits spent on samples */
	/* zone->lock acquisitions the sampling itself made: taken out of
	 * `stats` and the samples' zone_lock_acq, which show the workload's */
	uint64_t sample_lock_acq;
	uint8_t *pb_map;         /* pa_pageblock_map() at the end */
	uint64_t nr_pageblocks;
	/* the last block freed by a partial free, to recognise its rest */
	uint64_t split_key, split_pages;
	int split_order;
	char first_error[160];
	/* compaction (sim_compact.c) */
	uint32_t *rev;           /* our pfn -> trace key + 1, movable blocks */
	uint64_t rev_n;          /* pfns rev covers */
	int movable_id;
	bool compact;            /* proactive ticks (sim_config.compact) */
	/* the pagesets decay where the trace's vmstat work ran, not on the
	 * grid: set by the first sim_pcp_decay unless
	 * sim_config.pcp_decay_grid */
	bool decay_from_trace;
	uint64_t trace_decays;   /* pa_pcp_tick_cpu calls from the trace */
	uint64_t compact_runs;   /* proactive ticks that compacted */
	double thp_allocatable_pct; /* free memory in pageblock blocks after
	                          * a full compaction at the end */
	uint64_t contig_1g;      /* 1 GiB ranges obtainable at the end */
	bool measure_contig;     /* sim_config.measure_contig */
	struct sim_reporting reporting; /* --report-free */
	uint64_t warm_held_pages; /* in use from the warm start's free-list
	                          * shaping (warm_free.c): no trace key */
	/* the memory model (lru.h, slab.h) and reclaim */
	struct sim_lru lru;
	struct sim_slab slab;
	int shrinker_id[2];      /* the LRU's and the slab's */
	struct sim_shrinker shr[2]; /* their callbacks' argument */
	const struct sim_reclaim_tap *tap; /* NULL: none */
	bool in_scan;            /* a shrinker's scan is running: its frees
	                          * go to the tap */
	unsigned cur_cpu;        /* CPU of the request being applied: where
	                          * the shrinkers free to */
	uint64_t reclaimed_pages; /* freed by the shrinkers (direct and
	                          * background reclaim) */
	uint64_t next_kswapd_ns; /* next pa_zone_tick on the sim clock */
	struct pa_tick_stats ticks; /* summed over pa_zone_tick calls */
	/* pa_zone_tick calls and their zone->lock acquisitions (kswapd,
	 * spb's worker; an idle tick takes none).  This
	 * traffic stays in `stats` and the samples: in the kernel kswapd's
	 * and the workers' zone->lock hold times are part of what a policy
	 * costs the allocating CPUs, unlike the lab's sampling.  Virtual
	 * time runs no pa_zone_tick. */
	uint64_t zone_ticks, tick_lock_acq;
	/* scenario demands for huge blocks (sim_demand): per phase (0 under
	 * load, 1 at rest) and size (0 pageblock order, 1 1 GiB) */
	uint64_t demand_tries[2][2], demand_ok[2][2];
	uint64_t *held_1g;       /* 1 GiB ranges the demand holds */
	unsigned nheld_1g, held_1g_cap;
	/* CPU time of this policy's thread (not a figure: it is no
	 * function of the seed): the replay (0 when serial) and the end
	 * figures (sim_finish) */
	uint64_t replay_cpu_ns, finish_cpu_ns;
};

struct sim {
	struct sim_config cfg;
	struct pa_config zcfg;   /* effective config of the first zone */
	struct sim_policy pol[PA_POLICY_NR];
	unsigned npol;
	unsigned max_order;
	uint64_t t0_ns, now_ns;  /* first event's time; current, from t0 */
	bool started;
	uint64_t cpu_clamped;    /* events on a CPU beyond ncpus (folded) */
	uint64_t queued;         /* requests handed to the policies */
	uint64_t feed_cpu_ns;    /* CPU time of the thread that fed them, over
	                          * the replay loop (replay_traces; not a
	                          * figure: no function of the input) */
	uint64_t reader_cpu_ns;  /* the same of the text readers' read-ahead
	                          * threads (0 for a .paev) */
	bool time_pending;       /* now_ns not yet handed to the threads */
	struct simq *q;          /* the policies' threads; NULL: serial */
};

/*
 * Create one zone per policy in cfg->policies.  Returns 0, or -EINVAL
 * (a policy pa_zone_create() refuses, e.g. not implemented yet, or a bad
 * size/CPU count) or -ENOMEM, with the reason in err.  On error nothing
 * is left to destroy.
 */
int sim_init(struct sim *s, const struct sim_config *cfg, char *err,
	     size_t len);

/* Advance simulated time to t_ns (absolute, e.g. a trace timestamp; never
 * goes backwards): runs the per-second pcp tick and takes samples.  Of a
 * gap longer than 128 s only 128 ticks run (the pagesets have settled by
 * then; the rest are counted in ticks_skipped), so a timestamp jump costs
 * no more than any other event. */
void sim_time(struct sim *s, uint64_t t_ns);

/* Allocate 2^order pages of migratetype mt (0..2; others count as
 * unmovable) on `cpu` in every policy and remember them under `key`. */
void sim_alloc(struct sim *s, unsigned cpu, uint64_t key, unsigned order,
	       int mt);

/* Free the block remembered under `key` in every policy (see sim_counts
 * for frees that do not match an allocation). */
void sim_free(struct sim *s, unsigned cpu, uint64_t key, unsigned order);
/* The trace shows the kernel's per-CPU vmstat work running on `cpu` now:
 * that CPU's pageset decays (pa_pcp_tick_cpu) here, and from now on the
 * pagesets decay only where the trace says so, not once a second.
 * Ignored with sim_config.pcp_decay_grid, and under virtual time, which
 * keeps its own per-second ticks. */
void sim_pcp_decay(struct sim *s, unsigned cpu);

/* Free the blocks remembered under keys[0..n-1] (trace orders orders[])
 * with one pa_free_bulk() per policy, as the kernel's free_unref_folios
 * frees a batch; keys that match no live block are handled as sim_free
 * does.  Under virtual time, recorded as n single frees; n <= SIM_BULK_MAX. */
#define SIM_BULK_MAX 64 /* blocks per sim_free_bulk call */
void sim_free_bulk(struct sim *s, unsigned cpu, const uint64_t *keys,
		   const unsigned *orders, unsigned n);

/*
 * The memory model's requests, each applied to every policy's own model
 * (lru.h, slab.h): what they free or refault depends on what that
 * policy's reclaim took.  Under virtual time a folio's add and free are
 * recorded as LRU requests (the engine runs them through the LRU, so
 * reclaim finds it), a slab object as a plain page request of its type,
 * and a touch as nothing (the LRU there ages first in, first out).
 */
void sim_lru_add(struct sim *s, unsigned cpu, uint64_t key, unsigned order,
		 enum lru_kind kind);
void sim_lru_touch(struct sim *s, unsigned cpu, uint64_t key, unsigned order,
		   enum lru_kind kind);
void sim_lru_free(struct sim *s, unsigned cpu, uint64_t key, unsigned order);
void sim_slab_alloc(struct sim *s, unsigned cpu, uint64_t key,
		    enum slab_cache_id id, bool shrinkable);
void sim_slab_free(struct sim *s, unsigned cpu, uint64_t key);

/* A demand for a huge block in `phase` (0 under load, 1 at rest),
 * counted per policy: order <= max_order is allocated (movable) under
 * `key` and freed with sim_free; a larger order is a pa_alloc_contig()
 * of 2^order pages held until sim_demand_release(). */
void sim_demand(struct sim *s, unsigned cpu, uint64_t key, unsigned order,
		unsigned phase);
void sim_demand_release(struct sim *s);

/* For the models, on one policy: allocate a block of 2^order pages of
 * type mt under `key` in p's map (movable ones registered for
 * compaction); false when the zone has none.  Free the block under key:
 * the pages freed, 0 if none is there.  Neither counts an event. */
bool sim_block_alloc(struct sim *s, struct sim_policy *p, unsigned cpu,
		     uint64_t key, unsigned order, int mt);
uint64_t sim_block_free(struct sim_policy *p, unsigned cpu, uint64_t key);

/* The gfp flags sim_alloc uses for migratetype mt. */
unsigned sim_gfp_of(int mt);

/* The same for one policy only (cpu already < ncpus): what sim_alloc and
 * sim_free do per policy, for the virtual-time model, which runs each
 * policy on its own timeline. */
void sim_alloc_one(struct sim *s, struct sim_policy *p, unsigned cpu,
		   uint64_t key, unsigned order, int mt);
void sim_free_one(struct sim *s, struct sim_policy *p, unsigned cpu,
		  uint64_t key, unsigned order);

/* Take the final sample, statistics, fragmentation and pageblock maps.
 * Waits for the policies' threads: afterwards every sim_policy field may
 * be read.  Before it, only `queued` may. */
void sim_finish(struct sim *s);

/* CPU time of the calling thread in ns (0 if the clock fails). */
uint64_t sim_thread_cpu_ns(void);

/* The simulated machine's memory in bytes: what the zones manage, which
 * --mem rounds down to whole pageblocks (3M is one 2 MiB pageblock). */
uint64_t sim_machine_bytes(const struct sim *s);

/* pa_check() every zone and verify the accounting: pages allocated by the
 * zone equal the live blocks the maps hold.  Returns 0 or -EUCLEAN with
 * the first problem in msg. */
int sim_check(struct sim *s, char *msg, size_t len);

/* Destroy the zones and maps. */
void sim_destroy(struct sim *s);

/* Parse "mainline,pcpbuddy" (or "all": every policy pa_zone_create()
 * accepts) into cfg->policies.  Returns 0, or -EINVAL with the reason for
 * an unknown, repeated or empty name ("mainline,") or a list over 255
 * characters. */
int sim_parse_policies(const char *list, struct sim_config *cfg, char *err,
		       size_t len);

/*
 * The options `replay` and `run` share: c is 'p' (--policy: *policies =
 * arg), 'm' (--mem SIZE), 'c' (--cpus N), 'C' (--compact, no
 * argument) or 'R' (--report-free ORDER).  Returns 0 or -EINVAL with a
 * message naming the option.
 */
int sim_parse_option(int c, const char *arg, struct sim_config *cfg,
		     const char **policies, char *err, size_t len);

#endif
