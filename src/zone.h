/* SPDX-License-Identifier: MIT */
/*
 * The zone: geometry, page and pageblock metadata, free areas under
 * zone->lock, per-CPU pagesets, and the prototypes the allocator's files
 * share.  Internal: the public view is include/pagealloc.h.
 *
 * Lock order: pcp->lock -> zone->lock.  Never take a pcp->lock while
 * holding zone->lock.
 */
#ifndef PA_ZONE_H
#define PA_ZONE_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/rseq.h>

#include "pagealloc.h"
#include "lock.h"
#include "page.h"
#include "pageblock.h"
#include "pfnlist.h"
#include "freearea.h"
#include "policy.h"
#include "migratetype.h"
#include "counters.h"
#include "superpageblock.h"
#include "spb_steer.h"
#include "reclaim.h"
#include "slowpath.h"

#define PA_ORDERS_MAX 21          /* max_order is at most 20 */
#define PA_COSTLY_ORDER 3         /* orders cached per CPU: 0..3 and pageblock */
#define PA_PCP_BATCH_SCALE_MAX 5  /* refill/drain batches grow up to batch<<5 */
#define PA_CACHELINE 64

#define ZF_WMARK_CHECK 0x1u  /* free pages near the watermarks: full check */
#define ZF_BELOW_HIGH  0x2u  /* free pages below the high watermark */


/* Per-CPU pageset flags */
#define PCPF_DEAD 0x1u               /* CPU offline: no caching, frees to zone */
#define PCPF_PREV_FREE_HIGH_ORDER 0x2u

struct pcp_owned;

struct per_cpu_pages {
	struct pa_lock lock;
	unsigned flags;                /* PCPF_*; read racily by remote freers */
	int count;                     /* pages on the lists */
	int high, high_min, high_max;
	int batch;
	int free_count;                /* consecutive pages freed, for tuning */
	int alloc_factor;              /* refill batch scale (<< alloc_factor) */
	/* indexed by order: mainline uses 0..3 and the pageblock order,
	 * pcpbuddy every order up to the pageblock order (merged chunks) */
	struct pfn_list lists[PA_ORDERS_MAX][PA_MT_PCPTYPES];
	uint64_t pc[NR_PCP_COUNTERS];  /* counters.h: under the pageset lock */
	/* pcpbuddy: remote frees pushed lock-free by other CPUs (pfn stack) */
	uint32_t remote_head;          /* atomic */
	uint32_t remote_gate;          /* rseq.c: one swap locker at a time */
	uint64_t remote_pages;         /* atomic: pages sitting on remote_head */
	struct pcp_owned *owned;       /* pcpbuddy bookkeeping, NULL otherwise */
} __attribute__((aligned(PA_CACHELINE)));

/* count and high are written under pcp->lock and read without it by
 * reports and pa_stats: stores are atomic, so readers see whole values. */
static inline void pcp_add_count(struct per_cpu_pages *pcp, int n)
{
	__atomic_store_n(&pcp->count, pcp->count + n, __ATOMIC_RELAXED);
}

static inline int pcp_set_high(struct per_cpu_pages *pcp, int high)
{
	__atomic_store_n(&pcp->high, high, __ATOMIC_RELAXED);
	return high;
}

/* pcpbuddy: a pageblock's place on its owner's list of blocks whose
 * fragments went back to the zone (recoverable by refill Phase 0). */
struct pb_link {
	uint32_t next, prev;   /* pageblock indexes */
	uint16_t cpu;
	uint8_t mt;
	uint8_t listed;
};

struct movable_slot {
	const struct pa_movable_ops *ops;
	void *owner;
};

struct pa_zone {
	/* geometry, fixed after creation */
	struct pa_config cfg;          /* defaults resolved */
	char name[16];
	unsigned page_shift;
	unsigned pb_order, max_order, spb_order;
	uint64_t nr_pages;
	uint64_t nr_pageblocks;
	uint64_t nr_superpageblocks;   /* rounded up: the last may be partial */
	uint64_t max_pages;            /* room for pa_zone_grow (>= nr_pages):
	                                * metadata and backing mapped for it */
	struct pa_config asked;        /* cfg before sizing filled in the
	                                * derived values (resizes recompute) */
	unsigned ncpus;
	enum pa_policy policy;
	const struct pa_policy_ops *ops; /* the policy's decisions */
	unsigned pflags;               /* ops->flags, for inline fast paths */
	bool use_pcp;
	bool fast_rseq;                /* rseq.h: own-CPU pageset by rseq */
	unsigned hw_cpus;              /* the machine's CPUs (for fences) */
	struct pa_page *pages;
	struct pageblock_data *pb;
	size_t pages_map_bytes, pb_map_bytes;
	char *mem;                     /* PA_BACKING_ANON memory, else NULL */
	size_t mem_map_bytes;
	char *mem_map;                 /* the raw mapping (for munmap) */
	uint64_t t0_clock, t0_ns;      /* for tick -> ns conversion */

	/* watermarks (pages) */
	uint64_t wmark_min, wmark_low, wmark_high;
	uint64_t wmark_fast_ok;        /* above min + the whole highatomic
	                                * allowance, any request is fine */
	/* Read on every call, written only when zone->lock is dropped and a
	 * bit changes, so the line stays shared (unlike free_pages). */
	unsigned fast_flags;           /* ZF_*; atomic */
	uint64_t highatomic_max;       /* pages */

	/* ---- protected by zone->lock ---- */
	struct pa_lock lock __attribute__((aligned(PA_CACHELINE)));
	/* free lists: freearea.[ch] alone reads or writes these */
	struct fa_part *fa_parts;      /* fa_parts_n partitions, fa_stride apart */
	size_t fa_stride;
	unsigned fa_shift;             /* pfn >> fa_shift = partition */
	uint64_t fa_parts_n, fa_words;
	uint64_t *fa_bits;             /* non-empty bitmaps per (order, mt) */
	uint64_t fa_nr_free[PA_ORDERS_MAX][PA_MT_TYPES];
	uint64_t fa_deferred;          /* boot-time pages off the lists */
	/* superpageblock summaries: superpageblock.[ch] alone writes these */
	struct superpageblock *spb;    /* nr_superpageblocks; NULL until boot */
	uint64_t *spb_bits;            /* SPB_NR_MAPS bitmaps of spb_words */
	uint64_t spb_words;
	uint64_t spb_nr_in[SPB_NR_CATEGORIES][SPB_NR_FULLNESS]; /* SPBs per
	                                * (category, bucket): empty ones skipped */
	/* Pass 1's hints (spb_hint.h): spb_hint.c alone writes these */
	uint64_t spb_hint[PA_ORDERS_MAX][PA_MT_PCPTYPES];
	uint64_t spb_hint_key[PA_ORDERS_MAX][PA_MT_PCPTYPES]; /* its pick key */
	uint32_t spb_hint_valid[PA_MT_PCPTYPES]; /* bit o: spb_hint[o][mt] */
	bool spb_hint_off;             /* white-box tests: always walk */
	uint64_t free_pages;           /* atomic store, read racily */
	uint64_t nr_reserved_highatomic;
	uint64_t max_pages_per_hold, pages_this_hold;
	uint64_t zc[NR_ZONE_COUNTERS];  /* counters.h */
	uint64_t nr_isolated_pageblocks; /* MIGRATE_ISOLATE now (isolate.c) */
	uint64_t nr_reporting;         /* pages off the lists while a reporter
	                                * has them (page_reporting.c) */

	/* ---- lock-free deferred frees (nolock API) ---- */
	uint32_t llist_head __attribute__((aligned(PA_CACHELINE)));
	uint64_t llist_pages;          /* atomic */

	/* ---- shared atomics, rarely written ---- */
	uint64_t zs[NR_SHARED_COUNTERS]; /* counters.h: atomic adds */

	/* movable operations table, its own lock */
	struct pa_lock movable_lock;
	struct movable_slot movable[PA_MAX_MOVABLE_OPS + 1];
	unsigned movable_inflight[PA_MAX_MOVABLE_OPS + 1]; /* atomic: migrations
	                                * using the slot, waited for by unregister */

	/* one isolation at a time: contiguous allocations and their frees */
	struct pa_lock contig_lock;

	/* shrinkers, reclaim passes, background reclaim (reclaim.h) */
	struct zone_reclaim reclaim;
	struct compact_defer compact_defer; /* slowpath.h */

	struct per_cpu_pages *pcp;     /* ncpus entries */
	struct pb_link *pb_links;      /* pcpbuddy only; under zone->lock */
};

/* ---- error.c ---- */
void pa_err(const struct pa_zone *z, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- trace.c: ftrace-format events ---- */
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
#define TRACING(z) ((z)->cfg.event_fn != NULL)

/* ---- watermark.c ---- */
void zone_init_watermarks(struct pa_zone *z);
bool zone_watermark_ok_slow_(const struct pa_zone *z, unsigned order,
			     unsigned gfp);
/* Inline for the common case: plenty free, nothing reserved. */
static inline bool zone_watermark_ok(const struct pa_zone *z, unsigned order,
				     unsigned gfp)
{
	if (__builtin_expect(!(__atomic_load_n(&z->fast_flags, __ATOMIC_RELAXED) &
			       ZF_WMARK_CHECK) && order <= z->max_order, 1))
		return true;
	return zone_watermark_ok_slow_(z, order, gfp);
}

static inline bool zone_below_high(const struct pa_zone *z)
{
	return __atomic_load_n(&z->fast_flags, __ATOMIC_RELAXED) & ZF_BELOW_HIGH;
}

/* Recompute fast_flags from free_pages; zone->lock held. */
void zone_update_fast_flags(struct pa_zone *z);
void pcp_default_sizes(const struct pa_zone *z, int *batch, int *high_min,
		       int *high_max);

/* ---- buddy.c: all under zone->lock ---- */
void zone_lock(struct pa_zone *z);
bool zone_trylock(struct pa_zone *z);
/* zone_lock, or only a trylock when gfp has PA_GFP_NOLOCK: false then
 * means zone->lock was busy and nothing is held. */
bool zone_lock_gfp(struct pa_zone *z, unsigned gfp);
void zone_unlock(struct pa_zone *z);
void free_one_page(struct pa_zone *z, uint32_t pfn, unsigned order);
void move_freepages_block(struct pa_zone *z, uint64_t start, unsigned from,
			  unsigned to);
uint32_t rmqueue_smallest(struct pa_zone *z, unsigned order, unsigned mt,
			  unsigned cpu);
/* Take the free block (head, order `have`) off list mt, split down to the
 * block of `order` holding `want`, the rest back on mt's lists. */
void take_free_block(struct pa_zone *z, uint32_t head, unsigned have,
		     unsigned mt, uint32_t want, unsigned order);
/* Claim a whole free block of order >= pageblock order for type `to`: off
 * `from`'s list, every pageblock it covers converted, split down to
 * `order` (the first piece is returned, the rest go on `to`'s lists). */
uint32_t claim_whole_block(struct pa_zone *z, uint32_t head, unsigned have,
			   unsigned from, unsigned to, unsigned order);
/* The kernel's fallback: claim the largest block of another type, else
 * steal the smallest (mainline's and pcpbuddy's zone_fallback). */
uint32_t rmqueue_fallback(struct pa_zone *z, unsigned cpu, unsigned order,
			  unsigned start_mt);
uint32_t rmqueue(struct pa_zone *z, unsigned cpu, unsigned order,
		 unsigned mt);
/* rmqueue for a request with gfp flags (the policy may steer by them). */
uint32_t rmqueue_gfp(struct pa_zone *z, unsigned cpu, unsigned order,
		     unsigned mt, unsigned gfp);
/* Up to `count` blocks onto a pageset list (PG_PCP), own type only or
 * with the zone's fallback; returns how many. */
int rmqueue_bulk(struct pa_zone *z, unsigned cpu, unsigned order, int count,
		 struct pfn_list *list, unsigned mt, unsigned gfp,
		 bool fallback);
void zone_count_moved(struct pa_zone *z, uint64_t pages);
void zone_drain_llist(struct pa_zone *z);

/* ---- highatomic.c ---- */
/* Reserve the pageblock(s) of a successful high-order atomic allocation;
 * skipped when gfp has PA_GFP_NOLOCK and zone->lock is busy. */
void reserve_highatomic_pageblock(struct pa_zone *z, uint32_t pfn,
				  unsigned order, unsigned gfp);
bool unreserve_highatomic_pageblock(struct pa_zone *z, unsigned mt);

/* ---- pcp.c ---- */
int pcp_init(struct pa_zone *z);
void pcp_destroy(struct pa_zone *z);
/* The highest order a pageset caches: mainline caches 0..3 and the
 * pageblock order (which tiny geometries may put below 3); pcpbuddy
 * keeps everything up to its pageblock. */
static inline unsigned pcp_max_order(const struct pa_zone *z)
{
	if ((z->pflags & POL_PCP_ALL_ORDERS) || z->pb_order >= PA_COSTLY_ORDER)
		return z->pb_order;
	return PA_COSTLY_ORDER < z->max_order ? PA_COSTLY_ORDER : z->max_order;
}
static inline bool pcp_allowed_order(const struct pa_zone *z, unsigned order)
{
	return (order <= PA_COSTLY_ORDER || order == z->pb_order) &&
	       order <= pcp_max_order(z);
}
/* Lists per pageset: every order up to pcp_max_order, per type. */
static inline unsigned pcp_nr_lists(const struct pa_zone *z)
{
	return (pcp_max_order(z) + 1) * PA_MT_PCPTYPES;
}

/* Hand out a block taken from a pageset's list; pcp->lock kept. */
static inline void pcp_alloc_account(struct pa_zone *z,
				     struct per_cpu_pages *pcp, uint32_t pfn,
				     unsigned order, unsigned mt)
{
	struct pa_page *p = &z->pages[pfn];

	pcp_add_count(pcp, -(1 << order));
	set_page_mt(p, mt);
	set_page_state(p, PG_STATE(PG_ALLOC, order));
	pcp_count(pcp, ALLOC_HIT, 1);
	pcp_count(pcp, ALLOC_CALLS, 1);
	pcp_count(pcp, PGALLOC, 1ull << order);
}

/* The same, and drop pcp->lock (the single allocation). */
static inline void pcp_alloc_commit(struct pa_zone *z,
				    struct per_cpu_pages *pcp, uint32_t pfn,
				    unsigned order, unsigned mt)
{
	pcp_alloc_account(z, pcp, pfn, order, mt);
	pa_lock_release(&pcp->lock);
}
void pcp_drain_cpu(struct pa_zone *z, unsigned cpu);
int pcp_fill(struct pa_zone *z, unsigned cpu, unsigned pages, unsigned mt);
void pcp_tick(struct pa_zone *z);
int pcp_cpu_offline(struct pa_zone *z, unsigned cpu);
int pcp_cpu_online(struct pa_zone *z, unsigned cpu);

/* ---- alloc.c ---- */
int pa_free_cpu_gfp_(struct pa_zone *z, unsigned cpu, uint64_t pfn,
		     unsigned order, unsigned gfp);

/* Put a chunk on a pageset's lists.  Mainline: at the head, so the
 * hottest page goes out next and drains take the oldest from the tail.
 * pcpbuddy: owned chunks at the head, cached (zone-owned) ones at the tail
 * so drains give them back first.  No merging
 * here: a free followed by an allocation would merge and split again
 * every time; pcpbuddy's merge pass does it on drain and before refill. */
static inline void pcp_enqueue(struct pa_zone *z, struct per_cpu_pages *pcp,
			       uint32_t pfn, unsigned order, unsigned mt,
			       bool owned)
{
	struct pa_page *p = &z->pages[pfn];

	set_page_mt(p, mt);
	set_page_state(p, PG_STATE(PG_PCP | (owned ? PG_PCPBUDDY : 0), order));
	if (owned || !(z->pflags & POL_OWNED_BLOCKS))
		pfn_list_add(z->pages, &pcp->lists[order][mt], pfn);
	else
		pfn_list_add_tail(z->pages, &pcp->lists[order][mt], pfn);
}

/* ---- cpu.c ---- */
/* The calling thread's CPU slot: glibc's rseq area (one load), else
 * sched_getcpu().  Inline: it is on every pa_alloc/pa_free. */
static inline unsigned cpu_current(const struct pa_zone *z)
{
	int cpu = -1;

#if defined(__x86_64__) || defined(__aarch64__)
	if (__builtin_expect(__rseq_size >= 8, 1)) {
		const volatile struct rseq *rs =
			(const void *)((char *)__builtin_thread_pointer() +
				       __rseq_offset);

		cpu = (int)rs->cpu_id;
	}
#endif
	if (cpu < 0)
		cpu = sched_getcpu();
	if (cpu < 0)
		cpu = 0;
	return (unsigned)cpu < z->ncpus ? (unsigned)cpu : (unsigned)cpu % z->ncpus;
}

/* ---- helpers ---- */
static inline uint64_t pfn_to_pb(const struct pa_zone *z, uint64_t pfn)
{
	return pfn >> z->pb_order;
}
static inline struct pageblock_data *pfn_pb(const struct pa_zone *z,
					     uint64_t pfn)
{
	return &z->pb[pfn >> z->pb_order];
}
static inline uint64_t pb_nr_pages(const struct pa_zone *z)
{
	return 1ull << z->pb_order;
}

#endif
