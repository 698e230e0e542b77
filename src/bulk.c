/* SPDX-License-Identifier: MIT */
/*
 * Bulk allocation and free: the kernel's alloc_pages_bulk and
 * free_unref_folios.  The point of both is lock traffic: one pageset lock
 * hold for many blocks instead of one per block, one zone->lock hold for a
 * run of blocks the pageset cannot take.
 *
 * The free pass caches which lock it holds (this CPU's pageset, or the
 * zone) across entries.  Seed 003's crash came from exactly such a cache
 * outliving the lock it described, so every place that drops a lock goes
 * through bf_drop(), which forgets both, and nothing else reads the locks'
 * state.  Lock order as everywhere: pcp->lock before zone->lock; the pass
 * never holds both itself (a drain at `high` takes zone->lock inside the
 * pageset lock, and drops the pageset lock on its way out).
 */
#include <errno.h>

#include "alloc.h"
#include "buddy.h"
#include "cpu.h"
#include "error.h"
#include "pcp.h"
#include "watermark.h"

/* ---- allocation ---- */

/* From this CPU's pageset under one hold of its lock, refilling a batch at
 * a time through the policy.  Returns blocks taken (0 if the lock was busy
 * or the CPU offline: the zone serves the rest). */
static unsigned bulk_from_pcp(struct pa_zone *z, unsigned cpu, unsigned order,
			      unsigned mt, unsigned gfp, unsigned n,
			      uint64_t *pfns)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];
	unsigned got = 0;

	if (!pcp_trylock(z, cpu)) {
		pcp_count_shared(pcp, FALLBACK_ALLOC, 1);
		return 0;
	}
	if (pcp->flags & PCPF_DEAD) {
		pcp_lock_release(z, pcp);
		return 0;
	}
	pcp_absorb(z, cpu);
	while (got < n && zone_watermark_ok(z, order, gfp)) {
		/* per block, as n single allocations would: the free-side
		 * tuning (free_high, drain sizes) must see the same history */
		pcp->free_count >>= 1;
		uint32_t pfn = z->ops->pcp_take(z, pcp, order, mt);

		if (pfn == PA_NIL) {
			if (pcp_refill(z, cpu, order, mt, gfp) <= 0)
				break;
			pfn = z->ops->pcp_take(z, pcp, order, mt);
			if (pfn == PA_NIL)
				break;
			pcp_count(pcp, ALLOC_HIT, -1ull); /* it was a miss */
		}
		pcp_alloc_account(z, pcp, pfn, order, mt);
		pfns[got++] = pfn;
	}
	pcp_lock_release(z, pcp);
	return got;
}

/* From the zone's free lists under one zone->lock hold; the watermark is
 * checked exactly (free_pages moves under us) before every block. */
static unsigned bulk_from_zone(struct pa_zone *z, unsigned cpu, unsigned order,
			       unsigned mt, unsigned gfp, unsigned n,
			       uint64_t *pfns)
{
	unsigned got = 0;

	if (!zone_lock_gfp(z, gfp))
		return 0;
	while (got < n && zone_watermark_ok_slow_(z, order, gfp)) {
		uint32_t pfn = zone_alloc_locked(z, cpu, order, mt, gfp);

		if (pfn == PA_NIL)
			break;
		pfns[got++] = pfn;
	}
	zone_unlock(z);
	return got;
}

/* The pageset if it caches the order, the zone for what it did not give;
 * the blocks finished (reserve, zeroing, trace) after the locks are gone. */
static unsigned bulk_round(struct pa_zone *z, unsigned cpu, unsigned order,
			   unsigned gfp, unsigned n, uint64_t *pfns)
{
	unsigned mt = gfp_migratetype(gfp), got = 0;

	if (z->use_pcp && pcp_allowed_order(z, order))
		got = bulk_from_pcp(z, cpu, order, mt, gfp, n, pfns);
	if (got < n)
		got += bulk_from_zone(z, cpu, order, mt, gfp, n - got, pfns + got);
	for (unsigned i = 0; i < got; i++)
		alloc_finish(z, cpu, (uint32_t)pfns[i], order, mt, gfp);
	return got;
}

/* cpu as given or PA_CPU_CURRENT; false (reported) if neither. */
static bool bulk_cpu(struct pa_zone *z, unsigned *cpu, const char *fn)
{
	if (*cpu == PA_CPU_CURRENT)
		*cpu = cpu_current(z);
	else if (*cpu >= z->ncpus) {
		pa_err(z, -EINVAL, "%s: cpu %u out of range (zone has %u)", fn,
		       *cpu, z->ncpus);
		return false;
	}
	return true;
}

unsigned pa_alloc_bulk(struct pa_zone *z, unsigned cpu, unsigned order,
		       unsigned gfp, unsigned n, uint64_t *pfns)
{
	if (gfp & ~PA_GFP_MASK) {
		pa_err(z, -EINVAL, "pa_alloc_bulk: unknown gfp bits 0x%x",
		       gfp & ~PA_GFP_MASK);
		zone_count_shared(z, ALLOC_FAILED, 1);
		return 0;
	}
	if (order > z->max_order || (n && !pfns)) {
		pa_err(z, -EINVAL, "pa_alloc_bulk: %s", n && !pfns ?
		       "pfns is NULL" : "order above max_order");
		zone_count_shared(z, ALLOC_FAILED, 1);
		return 0;
	}
	if (!bulk_cpu(z, &cpu, "pa_alloc_bulk")) {
		zone_count_shared(z, ALLOC_FAILED, 1);
		return 0;
	}
	if (!n)
		return 0;
	unsigned got = bulk_round(z, cpu, order, gfp, n, pfns);

	/* Short: the single path's slow path (drain every pageset, release
	 * the highatomic reserve, retry) for one block, reported as one
	 * pa_alloc() when nothing came at all; if it found memory, the
	 * drained pagesets may serve the rest in bulk again.  The kernel's
	 * bulk allocator falls back the same way. */
	while (got < n && !nolock(gfp)) {
		uint64_t pfn = pa_alloc_cpu(z, cpu, order,
					    gfp | (got ? PA_GFP_NOWARN : 0));

		if (pfn == PA_NO_PFN)
			break;
		pfns[got++] = pfn;
		got += bulk_round(z, cpu, order, gfp, n - got, pfns + got);
	}
	if (!got && nolock(gfp)) {
		zone_count_shared(z, ALLOC_FAILED, 1);
		zone_count_shared(z, NOLOCK_ALLOC_FAILED, 1);
	}
	return got;
}

/* ---- free ---- */

/* The pass's one piece of cached state: which lock it holds. */
struct bulk_free {
	struct pa_zone *z;
	unsigned cpu;
	struct per_cpu_pages *pcp;
	bool pcp_held;   /* this CPU's pageset lock */
	bool zone_held;  /* zone->lock */
};

/* Drop whatever is held and forget it. */
static void bf_drop(struct bulk_free *b)
{
	if (b->pcp_held)
		pcp_lock_release(b->z, b->pcp);
	if (b->zone_held)
		zone_unlock(b->z);
	b->pcp_held = b->zone_held = false;
}

/* A claimed block for the zone: under zone->lock, kept for the next
 * zone entry. */
static void bf_to_zone(struct bulk_free *b, uint32_t pfn, unsigned order)
{
	if (b->pcp_held)
		bf_drop(b);
	if (!b->zone_held) {
		zone_lock(b->z);
		b->zone_held = true;
	}
	zone_free_locked(b->z, pfn, order);
}

enum bf_lock { BF_LOCKED, BF_BUSY, BF_DEAD };

/* Hold this CPU's pageset lock (trylock, as the single free). */
static enum bf_lock bf_lock_pcp(struct bulk_free *b)
{
	if (b->pcp_held)
		return BF_LOCKED;
	if (b->zone_held)
		bf_drop(b); /* lock order: never pcp->lock under zone->lock */
	if (!pcp_trylock(b->z, b->cpu))
		return BF_BUSY;
	if (b->pcp->flags & PCPF_DEAD) {
		pcp_lock_release(b->z, b->pcp);
		return BF_DEAD;
	}
	b->pcp_held = true;
	return BF_LOCKED;
}

/* One claimed block of this CPU's pageset. */
static void bf_local(struct bulk_free *b, uint32_t pfn, unsigned order,
		     unsigned mt, bool owned)
{
	bool free_high;

	switch (bf_lock_pcp(b)) {
	case BF_BUSY:
		if (!pcp_free_busy(b->z, b->pcp, b->cpu, pfn, order))
			bf_to_zone(b, pfn, order);
		return;
	case BF_DEAD:
		bf_to_zone(b, pfn, order);
		return;
	case BF_LOCKED:
		break;
	}
	if (pcp_free_commit(b->z, b->pcp, pfn, order, mt, owned, &free_high)) {
		/* tuning or a drain at high: it drops the lock */
		pcp_free_slow(b->z, b->cpu, order, mt, 0, free_high);
		b->pcp_held = false;
	}
}

/* One claimed block, routed as pa_free() routes it. */
static void bf_entry(struct bulk_free *b, uint32_t pfn, unsigned order)
{
	unsigned mt = 0;
	bool owned;

	if (!pcp_caches_free(b->z, order)) {
		bf_to_zone(b, pfn, order);
		return;
	}
	switch (pcp_free_route(b->z, b->cpu, pfn, order, &mt, &owned)) {
	case PCP_ROUTE_ZONE:
		bf_to_zone(b, pfn, order);
		return;
	case PCP_ROUTE_PUSHED: /* lock-free: whatever we hold stays held */
		return;
	case PCP_ROUTE_LOCAL:
		bf_local(b, pfn, order, mt, owned);
		return;
	}
}

int pa_free_bulk(struct pa_zone *z, unsigned cpu, const uint64_t *pfns,
		 const unsigned *orders, unsigned n)
{
	if (n && (!pfns || !orders)) {
		pa_err(z, -EINVAL, "pa_free_bulk: %s is NULL",
		       pfns ? "orders" : "pfns");
		return -EINVAL;
	}
	if (!bulk_cpu(z, &cpu, "pa_free_bulk"))
		return -EINVAL;
	struct bulk_free b = { .z = z, .cpu = cpu, .pcp = &z->pcp[cpu] };
	int freed = 0;

	for (unsigned i = 0; i < n; i++) {
		/* validated and claimed as by pa_free(); a refused entry
		 * changes nothing, and the pass goes on */
		if (free_claim(z, cpu, pfns[i], orders[i], "pa_free_bulk"))
			continue;
		bf_entry(&b, (uint32_t)pfns[i], orders[i]);
		freed++;
	}
	bf_drop(&b);
	return freed;
}
