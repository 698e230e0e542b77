/* SPDX-License-Identifier: MIT */
/*
 * The per-CPU fast paths, inline because every pa_alloc/pa_free runs them:
 * a trylock, a list operation, a few counters.  Refill, drain, high tuning
 * and everything pcpbuddy does beyond routing live in pcp.c/pcpbuddy.c.
 */
#ifndef PA_PCP_H
#define PA_PCP_H

#include <errno.h>

#include "pcpbuddy.h"
#include "rseq.h"
#include "watermark.h"
#include "zone.h"

/* At zone creation: allocate and size the pagesets, then the policy's own
 * state (ops->init); 0 or -ENOMEM.  pcp_destroy frees both. */
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
	pcp_lock_release(z, pcp);
}
/* The pageset operations behind cpu.c's public calls; each takes the
 * pageset lock(s) itself (pcp_lock: waits), so no lock may be held.
 * Empty CPU cpu's pageset into the zone, in batches. */
void pcp_drain_cpu(struct pa_zone *z, unsigned cpu);
/* Refill CPU cpu's pageset with up to `pages` order-0 pages of type mt
 * (capped at high_max); pages added, or -ENODEV if the CPU is offline. */
int pcp_fill(struct pa_zone *z, unsigned cpu, unsigned pages, unsigned mt);
/* Decay every pageset's high and drain what is above it; or CPU c's. */
void pcp_tick(struct pa_zone *z);
void pcp_tick_cpu(struct pa_zone *z, unsigned c);
/* Mark the CPU dead and give its pageset (and the policy's per-CPU state)
 * back to the zone; online makes it cache again.  Both return 0. */
int pcp_cpu_offline(struct pa_zone *z, unsigned cpu);
int pcp_cpu_online(struct pa_zone *z, unsigned cpu);

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
	if (owned)
		pcp->merge_new[order][mt]++;
	if (owned || !(z->pflags & POL_OWNED_BLOCKS))
		pfn_list_add(z->pages, &pcp->lists[order][mt], pfn);
	else
		pfn_list_add_tail(z->pages, &pcp->lists[order][mt], pfn);
}

/* Mainline's pageset operations (its policy table is in policy.c). */
uint32_t pcp_take_mainline(struct pa_zone *z, struct per_cpu_pages *pcp,
			   unsigned order, unsigned mt);
int pcp_refill_mainline(struct pa_zone *z, unsigned cpu, unsigned order,
			unsigned mt, unsigned gfp, int batch);
bool pcp_drain_mainline(struct pa_zone *z, unsigned cpu, int count,
			unsigned start, bool trylock);

void pcp_release_range_lists(struct pa_zone *z, unsigned cpu, uint64_t start,
			     uint64_t end);

int pcp_alloc_slow(struct pa_zone *z, unsigned cpu, unsigned order,
		   unsigned mt, unsigned gfp, uint32_t *out);
/* pcp_alloc_slow's search without its accounting, for callers that hand
 * out more in the same hold (the rseq stack refill): absorb, take as the
 * policy does, else refill and take again.  pcp->lock held, the CPU
 * alive; the lock stays held.  The block, or PA_NIL with *r the refill's
 * answer (-EBUSY: nolock and zone->lock busy). */
uint32_t pcp_take_or_refill(struct pa_zone *z, unsigned cpu, unsigned order,
			    unsigned mt, unsigned gfp, int *r);
/* pcp->lock held: pull in frees other CPUs left for this pageset. */
void pcp_absorb(struct pa_zone *z, unsigned cpu);
/* pcp->lock held, nothing of order/mt on the lists: refill a batch
 * through the policy.  Pages added, or -EBUSY (nolock, zone->lock busy). */
int pcp_refill(struct pa_zone *z, unsigned cpu, unsigned order, unsigned mt,
	       unsigned gfp);
/* pcp_fill() with blocks of `order` (a cached order): up to `pages`
 * pages, whole blocks only.  Returns pages added or -ENODEV (dead CPU). */
int pcp_fill_order(struct pa_zone *z, unsigned cpu, unsigned pages,
		   unsigned order, unsigned mt);
/* Set the pageset's current `high` (clamped to high_min..high_max) and
 * forget its refill/free streaks.  Returns the high set, or -ENODEV. */
int pcp_set_state(struct pa_zone *z, unsigned cpu, unsigned high);
/* After a free was queued (pcp_free_commit said so): tune `high` and
 * drain if what the pageset holds (pcp_held) reached it.  pcp->lock held;
 * pcp_free_tune keeps it, pcp_free_slow drops it. */
void pcp_free_tune(struct pa_zone *z, unsigned cpu, unsigned order,
		   unsigned mt, unsigned gfp, bool free_high);
void pcp_free_slow(struct pa_zone *z, unsigned cpu, unsigned order,
		   unsigned mt, unsigned gfp, bool free_high);

/*
 * 0 with *out = pfn (or PA_NIL: out of memory), -EAGAIN: pageset busy or
 * CPU offline (use the zone), -EBUSY: nolock and zone->lock busy.
 */
static inline __attribute__((always_inline)) int
pcp_alloc_as(struct pa_zone *z, unsigned cpu, unsigned order, unsigned mt,
	     unsigned gfp, uint32_t *out, enum pcp_lock_mode mode)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];

	if (__builtin_expect(!pcp_trylock_as(z, cpu, mode), 0)) {
		pcp_count_shared(pcp, FALLBACK_ALLOC, 1);
		return -EAGAIN;
	}
	if (__builtin_expect(pcp->flags & PCPF_DEAD, 0)) {
		pcp_lock_release(z, pcp);
		return -EAGAIN;
	}
	pcp->free_count >>= 1;
	struct pfn_list *l = &pcp->lists[order][mt];

	/* pcpbuddy's hit is the same when no remote frees wait: chunks on
	 * lists[order] are exactly the size asked for */
	if (__builtin_expect(pfn_list_empty(l) ||
				     ((z->pflags & POL_OWNED_BLOCKS) &&
				      __atomic_load_n(&pcp->remote_head,
						      __ATOMIC_RELAXED) != PA_NIL),
			     0))
		return pcp_alloc_slow(z, cpu, order, mt, gfp, out);
	uint32_t pfn = pfn_list_first(l);

	pfn_list_del(z->pages, l, pfn);
	pcp_alloc_commit(z, pcp, pfn, order, mt);
	*out = pfn;
	return 0;
}

static inline int pcp_alloc(struct pa_zone *z, unsigned cpu, unsigned order,
			    unsigned mt, unsigned gfp, uint32_t *out)
{
	return pcp_alloc_as(z, cpu, order, mt, gfp, out, PCP_LOCK_ZONE);
}

/* The pcp type a free of pfn goes to, or PA_MT_ISOLATE (not cacheable):
 * the pageblock's, highatomic cached as movable. */
static inline unsigned pcp_free_mt(const struct pa_zone *z, uint32_t pfn)
{
	unsigned mt = pb_mt(pfn_pb(z, pfn));

	if (__builtin_expect(mt >= PA_MT_PCPTYPES, 0) && mt != PA_MT_ISOLATE)
		return PA_MT_MOVABLE;
	return mt;
}

#ifdef PA_HAVE_RSEQ_ASM
/* pa_alloc on a zone with stacks (rseq.h): pop the calling CPU's stack;
 * on STACK_TOOK *out is allocated (a plain store: the popped block is
 * ours alone, and a racing bad free only reads its state and fails). */
static inline __attribute__((always_inline)) int
pcp_stack_alloc(struct pa_zone *z, unsigned order, unsigned mt, uint64_t *out)
{
	struct pa_page *p;
	int r = rseq_stack_pop(z, pcp_stack_index(order, mt), &p);

	if (__builtin_expect(r == STACK_TOOK, 1)) {
		set_page_mt(p, mt);
		set_page_state(p, PG_STATE(PG_ALLOC, order));
		*out = (uint64_t)(p - z->pages);
	}
	return r;
}

/* pa_free on a zone with stacks: push claimed block pfn (metadata p) of
 * a cached order on the calling CPU's stack of its pageblock's type.
 * STACK_MISS: full (or offline); STACK_BUSY: busy or not cacheable (an
 * isolated pageblock).  Both leave the block to the caller. */
static inline __attribute__((always_inline)) int
pcp_stack_free(struct pa_zone *z, uint64_t pfn, struct pa_page *p,
	       unsigned order)
{
	unsigned mt = pcp_free_mt(z, (uint32_t)pfn);

	if (__builtin_expect(mt == PA_MT_ISOLATE, 0))
		return STACK_BUSY;
	return rseq_stack_push(z, pcp_stack_index(order, mt), pfn, p);
}
#endif

/* Where a free goes (pa_free and pa_free_bulk share this routing). */
enum pcp_route {
	PCP_ROUTE_LOCAL,  /* this CPU's pageset: take its lock */
	PCP_ROUTE_ZONE,   /* not cacheable (isolated, dead owner): the zone */
	PCP_ROUTE_PUSHED, /* handed to its owner's lock-free list: done */
};

static inline enum pcp_route pcp_free_route(struct pa_zone *z, unsigned cpu,
					    uint32_t pfn, unsigned order,
					    unsigned *mtp, bool *owned)
{
	unsigned mt = pcp_free_mt(z, pfn);

	*owned = false;
	if (__builtin_expect(mt == PA_MT_ISOLATE, 0))
		return PCP_ROUTE_ZONE;
	*mtp = mt;
	if (z->pflags & POL_OWNED_BLOCKS) {
		/* seed 000's split path: another CPU's block goes onto that
		 * CPU's lock-free list, never through its lock */
		unsigned owner = pb_owner(pfn_pb(z, pfn));

		*owned = owner == cpu + 1;
		if (owner && !*owned)
			return pcpb_push_remote(z, owner - 1, pfn, order) < 0 ?
				       PCP_ROUTE_ZONE : PCP_ROUTE_PUSHED;
	}
	return PCP_ROUTE_LOCAL;
}

/* The local pageset's trylock failed: true if the block was queued
 * anyway, false if it goes to the zone. */
static inline bool pcp_free_busy(struct pa_zone *z, struct per_cpu_pages *pcp,
				 unsigned cpu, uint32_t pfn, unsigned order)
{
	pcp_count_shared(pcp, FALLBACK_FREE, 1);
	/* Another context of this CPU holds the pageset.  With lock-free
	 * lists, queue the block on our own: absorbed at the next allocation
	 * or drain, never a zone->lock storm (seed 000).  Mainline keeps
	 * seed 003's zone fallback. */
	return (z->pflags & POL_OWNED_BLOCKS) &&
	       pcpb_push_remote(z, cpu, pfn, order) > 0;
}

/*
 * Queue a block on the pageset, pcp->lock held (and kept).  Returns true
 * when `high` tuning or a drain is due: the caller then runs
 * pcp_free_slow() with *free_high, which drops the lock.
 */
static inline bool pcp_free_commit(struct pa_zone *z, struct per_cpu_pages *pcp,
				   uint32_t pfn, unsigned order, unsigned mt,
				   bool owned, bool *free_high)
{
	pcp->alloc_factor >>= 1;
	pcp_enqueue(z, pcp, pfn, order, mt, owned);
	pcp_add_count(pcp, 1 << order);
	pcp_count(pcp, FREE_CALLS, 1);
	pcp_count(pcp, PGFREE, 1ull << order);

	/* Bulk frees of small high orders (not THP) fragment the zone if
	 * they sit on the lists: drain them harder, once the CPU has freed
	 * half of high_min more than a batch in a row (Linux 6.10+; since
	 * free_count stops at batch << PA_PCP_BATCH_SCALE_MAX, a pageset
	 * with a large high_min never does).  flags are read by remote
	 * freers (the dead bit), so they change atomically. */
	bool fh = false;

	if (order && order <= PA_COSTLY_ORDER) {
		fh = pcp->free_count >= pcp->batch + (pcp->high_min >> 1) &&
		     (pcp->flags & PCPF_PREV_FREE_HIGH_ORDER) &&
		     pcp->count >= pcp->batch;
		if (!(pcp->flags & PCPF_PREV_FREE_HIGH_ORDER))
			__atomic_fetch_or(&pcp->flags, PCPF_PREV_FREE_HIGH_ORDER,
					  __ATOMIC_RELAXED);
	} else if (pcp->flags & PCPF_PREV_FREE_HIGH_ORDER) {
		__atomic_fetch_and(&pcp->flags, ~PCPF_PREV_FREE_HIGH_ORDER,
				   __ATOMIC_RELAXED);
	}
	if (pcp->free_count < (pcp->batch << PA_PCP_BATCH_SCALE_MAX))
		pcp->free_count += 1 << order;
	*free_high = fh;
	/* Tuning changes nothing while the list is below high and the zone
	 * is not short of memory: skip it on that (common) path.  Reclaim
	 * at work limits every pageset (nr_pcp_high), auto-tuned or not. */
	if (__builtin_expect(fh || pcp_held(pcp) >= pcp->high, 0))
		return true;
	unsigned tune = ZF_RECLAIM_ACTIVE |
			(pcp->high_min != pcp->high_max ? ZF_BELOW_HIGH : 0);

	return __builtin_expect(__atomic_load_n(&z->fast_flags,
						__ATOMIC_RELAXED) & tune, 0);
}

/* 0: cached or handed to its owner; -EAGAIN: free it to the zone.
 * always_inline: out of line (gcc's choice once pa_free_bulk shared it)
 * the single free paid a call frame, 6 instructions a pair more. */
static inline __attribute__((always_inline)) int
pcp_free_as(struct pa_zone *z, unsigned cpu, uint32_t pfn, unsigned order,
	    unsigned gfp, enum pcp_lock_mode mode)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];
	unsigned mt = 0;
	bool owned, free_high;

	switch (pcp_free_route(z, cpu, pfn, order, &mt, &owned)) {
	case PCP_ROUTE_ZONE:
		return -EAGAIN;
	case PCP_ROUTE_PUSHED:
		return 0;
	case PCP_ROUTE_LOCAL:
		break;
	}
	if (__builtin_expect(!pcp_trylock_as(z, cpu, mode), 0))
		return pcp_free_busy(z, pcp, cpu, pfn, order) ? 0 : -EAGAIN;
	if (__builtin_expect(pcp->flags & PCPF_DEAD, 0)) {
		pcp_lock_release(z, pcp);
		return -EAGAIN;
	}
	if (pcp_free_commit(z, pcp, pfn, order, mt, owned, &free_high))
		pcp_free_slow(z, cpu, order, mt, gfp, free_high);
	else
		pcp_lock_release(z, pcp);
	return 0;
}

static inline __attribute__((always_inline)) int
pcp_free(struct pa_zone *z, unsigned cpu, uint32_t pfn, unsigned order,
	 unsigned gfp)
{
	return pcp_free_as(z, cpu, pfn, order, gfp, PCP_LOCK_ZONE);
}

#endif
