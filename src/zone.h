/* SPDX-License-Identifier: MIT */
/*
 * The zone's structures: geometry, page and pageblock metadata, free areas
 * under zone->lock, per-CPU pagesets, and the few accessors that belong to
 * the structures themselves.  Each module's functions are in the header
 * named after its file (buddy.h, pcp.h, watermark.h, ...), which includes
 * this one; this one includes no module header, so no include cycle can
 * pass through it (scripts/check_includes.py keeps that true).
 * Internal: the public view is include/pagealloc.h.
 *
 * Lock order: pcp->lock -> zone->lock.  Never take a pcp->lock while
 * holding zone->lock.
 */
#ifndef PA_ZONE_H
#define PA_ZONE_H

#include <stdbool.h>
#include <stdint.h>

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
#include "reclaim.h"   /* struct zone_reclaim */
#include "slowpath.h"  /* struct compact_defer */

#define PA_ORDERS_MAX 21          /* max_order is at most 20 */
#define PA_COSTLY_ORDER 3         /* orders cached per CPU: 0..3 and pageblock */
#define PA_PCP_BATCH_SCALE_MAX 5  /* refill/drain batches grow up to batch<<5 */
#define PA_CACHELINE 64
/* rseq.h's stacks: one per cached order (0..3, pageblock) and type */
#define PCP_STACK_SLOTS (PA_COSTLY_ORDER + 2)
/* PA_MT_PCPTYPES rounded up to a power of two: a sequence finds stack
 * (slot, mt) at index slot * 4 + mt, one lea (rseq.h) */
#define PCP_STACK_TYPES 4

#define ZF_WMARK_CHECK 0x1u  /* free pages near the watermarks: full check */
#define ZF_BELOW_HIGH  0x2u  /* free pages below the high watermark */
#define ZF_RECLAIM_ACTIVE 0x4u /* kswapd's time: from free pages below the
                                * low watermark until back at the high */


/* Per-CPU pageset flags */
#define PCPF_DEAD 0x1u               /* CPU offline: no caching, frees to zone */
#define PCPF_PREV_FREE_HIGH_ORDER 0x2u

struct pcp_owned;
struct spb_defrag;

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
	/* pcpbuddy: owned chunks put on lists[o][m] (always at the head)
	 * since the last merge pass; only they can have formed a pair, and
	 * they are all among that many entries from the head */
	uint32_t merge_new[PA_ORDERS_MAX][PA_MT_PCPTYPES];
	/* pcpbuddy: remote frees pushed lock-free by other CPUs (pfn stack) */
	uint32_t remote_head;          /* atomic */
	uint32_t remote_gate;          /* rseq.c: one swap locker at a time */
	uint64_t rseq_fences;          /* rseq.c: membarrier fences of this
	                                * CPU, written with the gate held */
	uint64_t remote_pages;         /* atomic: pages sitting on remote_head */
	struct pcp_owned *owned;       /* pcpbuddy bookkeeping, NULL otherwise */
	/* rseq.h: stacks of blocks in front of lists[] (rseq zones with
	 * mainline pagesets).  While lock.locked is 0 only this CPU's
	 * restartable sequences write them; a lock holder flushes them to
	 * lists[] first.  Word: head pfn | room << 32 | pops << 48, where
	 * room is stack_resv less the blocks on it (0: full, or offline). */
	uint64_t stack[PCP_STACK_SLOTS][PCP_STACK_TYPES];
	uint16_t stack_base[PCP_STACK_SLOTS][PA_MT_PCPTYPES]; /* holder's
	                                * count at its last reset: stats */
	/* Each stack's share of `high`, in blocks (its blocks plus its
	 * room), given by the holder that last installed it (rseq_stack.c);
	 * stack_pages is their sum in pages, so the checks against `high`
	 * (pcp_held) need no walk.  Both 0 once a holder from elsewhere
	 * flushed the stacks, and on every zone without them. */
	uint16_t stack_resv[PCP_STACK_SLOTS][PA_MT_PCPTYPES];
	int stack_pages;
} __attribute__((aligned(PA_CACHELINE)));

/* count and high are written under pcp->lock and read without it by
 * reports and pa_stats: stores are atomic, so readers see whole values. */
static inline void pcp_add_count(struct per_cpu_pages *pcp, int n)
{
	__atomic_store_n(&pcp->count, pcp->count + n, __ATOMIC_RELAXED);
}

/* Pages the pageset holds on its lists or has promised its stacks (which
 * may hold up to that many): what `high` bounds. */
static inline int pcp_held(const struct per_cpu_pages *pcp)
{
	return pcp->count + pcp->stack_pages;
}

static inline int pcp_set_high(struct per_cpu_pages *pcp, int high)
{
	__atomic_store_n(&pcp->high, high, __ATOMIC_RELAXED);
	return high;
}

struct pa_zone;
#ifdef PA_DEBUG_LISTS
/* check.c (`make stress-lists`): aborts, saying why, if a list of the
 * pageset is not as pa_check wants.  Its lock held. */
void pcp_debug_check_lists(const struct pa_zone *z,
			   const struct per_cpu_pages *pcp);
#endif

/* Drop a pageset's lock (every holder but the rseq sequences, which
 * release in place). */
static inline void pcp_lock_release(const struct pa_zone *z,
				    struct per_cpu_pages *pcp)
{
#ifdef PA_DEBUG_LISTS
	pcp_debug_check_lists(z, pcp);
#else
	(void)z;
#endif
	pa_lock_release(&pcp->lock);
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
	bool fast_stacks;              /* rseq.h: and its stacks (implies
	                                * fast_rseq) */
	unsigned hw_cpus;              /* the machine's CPUs (for fences) */
	long rseq_off;                 /* rseq.h: glibc's __rseq_offset, one
	                                * load from here instead of two */
	/* rseq.h: bit `order` set if pa_alloc (pa_free) of that order may
	 * use the stacks with no further test of the zone (a cached order,
	 * no trace hook; frees also not PA_CFG_STRICT); 0 without stacks */
	uint32_t stack_alloc_orders, stack_free_orders;
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
	uint8_t spb_buckets[SPB_NR_CATEGORIES]; /* bit b: spb_nr_in[c][b] > 0 */
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
	struct spb_defrag *spb_defrag; /* spb only (spb_defrag.h) */
};

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
/* SPB summary bitmap m (SPB_MAP_*), spb_words words: superpageblock.c
 * keeps it, spb_pick.c reads it inline on every zone-path search. */
static inline uint64_t *spb_map_at(const struct pa_zone *z, unsigned m)
{
	return z->spb_bits + (uint64_t)m * z->spb_words;
}

#endif
