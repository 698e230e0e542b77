/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU pagesets (mainline): lists per cached order and migratetype in
 * front of the zone, refilled `batch` pages at a time under one zone->lock
 * hold and drained in batches when they grow past `high`.  `high` tunes
 * itself between high_min and high_max as Linux 6.7+ does: it grows while a
 * CPU keeps refilling or freeing in bulk and decays on pa_pcp_tick().
 *
 * pcp->lock is only ever taken with trylock on the alloc and free paths
 * (seed 003): failure means another context holds it (a preempted thread of
 * this CPU slot, a signal handler, a drain), and the caller then uses the
 * zone directly.  Drains from pa_drain() and CPU hotplug wait for it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcp.h"
#include "buddy.h"
#include "trace.h"
#include "watermark.h"

#define NR_PCP_LISTS pcp_nr_lists(z)

int pcp_init(struct pa_zone *z)
{
	size_t sz = sizeof(struct per_cpu_pages) * z->ncpus;
	int batch, hmin, hmax;

	z->pcp = aligned_alloc(PA_CACHELINE, (sz + PA_CACHELINE - 1) &
					     ~(size_t)(PA_CACHELINE - 1));
	if (!z->pcp)
		return -ENOMEM;
	memset(z->pcp, 0, sz);
	pcp_default_sizes(z, &batch, &hmin, &hmax);
	if (z->cfg.pcp_batch)
		batch = (int)z->cfg.pcp_batch;
	if (z->cfg.pcp_high_min)
		hmin = (int)z->cfg.pcp_high_min;
	if (z->cfg.pcp_high_max)
		hmax = (int)z->cfg.pcp_high_max;
	if (hmax < hmin)
		hmax = hmin;
	z->cfg.pcp_batch = (unsigned)batch;
	z->cfg.pcp_high_min = (unsigned)hmin;
	z->cfg.pcp_high_max = (unsigned)hmax;
	for (unsigned c = 0; c < z->ncpus; c++) {
		struct per_cpu_pages *pcp = &z->pcp[c];

		pa_lock_init(&pcp->lock, z->cfg.flags & PA_CFG_LOCK_TIMING);
		pcp->batch = batch;
		pcp->high_min = hmin;
		pcp->high_max = hmax;
		pcp_set_high(pcp, hmin);
		pcp->remote_head = PA_NIL;
		for (unsigned i = 0; i < PA_ORDERS_MAX; i++)
			for (unsigned m = 0; m < PA_MT_PCPTYPES; m++)
				pfn_list_init(&pcp->lists[i][m]);
	}
	return z->ops->init ? z->ops->init(z) : 0;
}

void pcp_destroy(struct pa_zone *z)
{
	if (z->pcp && z->ops->destroy)
		z->ops->destroy(z);
	free(z->pcp);
	z->pcp = NULL;
}

static inline int clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}


/* How many to take from the zone: a batch, scaled up while this CPU keeps
 * allocating without freeing, and `high` grows so the pages can stay. */
static int nr_pcp_alloc(struct per_cpu_pages *pcp, const struct pa_zone *z,
			unsigned order)
{
	int high = pcp_set_high(pcp, clampi(pcp->high, pcp->high_min, pcp->high_max));
	int base = pcp->batch, batch;

	if (high < base)
		return 1;
	batch = order ? base : base << pcp->alloc_factor;
	if (pcp->high_min != pcp->high_max && !zone_below_high(z))
		high = pcp_set_high(pcp, (high + batch < pcp->high_max) ?
					   high + batch : pcp->high_max);
	if (!order) {
		int max_nr = high - pcp_held(pcp) - base;

		if (max_nr < base)
			max_nr = base;
		if (batch <= max_nr && pcp->alloc_factor < PA_PCP_BATCH_SCALE_MAX)
			pcp->alloc_factor++;
		if (batch > max_nr)
			batch = max_nr;
	}
	if (batch > 1) {
		batch >>= order;
		if (batch < 2)
			batch = 2;
	}
	return batch;
}

/* high lowered by `by`, not below high_min: the new high. */
static int lower_high(struct per_cpu_pages *pcp, int high, int by)
{
	int h = high - by;

	return pcp_set_high(pcp, h > pcp->high_min ? h : pcp->high_min);
}

/* The count above which a free drains; adjusts `high` for bulk frees. */
static int nr_pcp_high(struct per_cpu_pages *pcp, const struct pa_zone *z,
		       bool free_high)
{
	int high = pcp_set_high(pcp, clampi(pcp->high, pcp->high_min, pcp->high_max));
	int batch = pcp->batch;
	/* the frees in a row, at least a batch: what pressure takes off */
	int streak = pcp->free_count > batch ? pcp->free_count : batch;

	if (!high)
		return 0;
	if (free_high) {
		lower_high(pcp, high, batch << PA_PCP_BATCH_SCALE_MAX);
		return 0;
	}
	/* reclaim at work: the pagesets keep little, so the pages it frees
	 * reach the zone (Linux 5.16+; with or without auto-tuning) */
	if (zone_reclaim_active(z)) {
		int h = lower_high(pcp, high, streak);

		return h < batch << 2 ? h : batch << 2;
	}
	if (pcp->high_min == pcp->high_max)
		return high;
	if (zone_below_high(z)) {
		lower_high(pcp, high, streak);
		high = pcp_held(pcp) > pcp->high_min ? pcp_held(pcp) : pcp->high_min;
	} else if (pcp_held(pcp) >= high) {
		int need = pcp->free_count + batch;

		if (pcp->high < need)
			pcp_set_high(pcp, clampi(need, pcp->high_min, pcp->high_max));
	}
	return high;
}

static int nr_pcp_free(const struct per_cpu_pages *pcp, int high,
		       bool free_high)
{
	int batch = pcp->batch;

	if (free_high) {
		int m = batch << PA_PCP_BATCH_SCALE_MAX;

		return pcp->count < m ? pcp->count : m;
	}
	if (high < batch)
		return 1;
	/* Free as many as were freed in a row, leaving at least a batch. */
	return clampi(pcp->free_count, batch, high - batch > batch ? high - batch : batch);
}

/*
 * Return `count` pages from the pageset to the zone under one zone->lock
 * hold, taking the oldest entry of each list round-robin, starting after
 * `start` so the list just freed to is drained first.  Called with
 * pcp->lock held; returns false if `trylock` was asked and zone->lock busy.
 */
static bool free_pcppages_bulk(struct pa_zone *z, unsigned cpu,
			       struct per_cpu_pages *pcp, int count,
			       unsigned start, bool trylock)
{
	if (count > pcp->count)
		count = pcp->count;
	if (count <= 0)
		return true;
	if (!zone_lock_gfp(z, trylock ? PA_GFP_NOLOCK : 0))
		return false;
	unsigned li = start;
	uint64_t moved = 0;

	while (count > 0) {
		struct pfn_list *l;

		do {
			li = (li + 1) % NR_PCP_LISTS;
			l = &pcp->lists[li / PA_MT_PCPTYPES][li % PA_MT_PCPTYPES];
		} while (pfn_list_empty(l));
		unsigned order = li / PA_MT_PCPTYPES;

		do {
			uint32_t pfn = pfn_list_last(z->pages, l);

			pfn_list_del(z->pages, l, pfn);
			set_page_state(&z->pages[pfn], 0);
			count -= 1 << order;
			pcp_add_count(pcp, -(1 << order));
			moved += 1ull << order;
			if (TRACING(z))
				trace_pcpu_drain(z, cpu, pfn, order,
						 pb_mt(pfn_pb(z, pfn)));
			free_one_page(z, pfn, order);
		} while (count > 0 && !pfn_list_empty(l));
	}
	zone_count(z, PAGES_DRAIN, moved);
	zone_count_moved(z, moved);
	zone_unlock(z);
	pcp_count(pcp, DRAINS, 1);
	return true;
}

/* Mainline's pcp_drain: round-robin over the lists, oldest first. */
bool pcp_drain_mainline(struct pa_zone *z, unsigned cpu, int count,
			unsigned start, bool trylock)
{
	return free_pcppages_bulk(z, cpu, &z->pcp[cpu], count, start, trylock);
}

/* Mainline's pcp_take: the list of exactly this order and type. */
uint32_t pcp_take_mainline(struct pa_zone *z, struct per_cpu_pages *pcp,
			   unsigned order, unsigned mt)
{
	struct pfn_list *l = &pcp->lists[order][mt];
	uint32_t pfn = pfn_list_first(l);

	if (pfn != PA_NIL)
		pfn_list_del(z->pages, l, pfn);
	return pfn;
}

/* Mainline's pcp_refill: `batch` blocks under one zone->lock hold. */
int pcp_refill_mainline(struct pa_zone *z, unsigned cpu, unsigned order,
			unsigned mt, unsigned gfp, int batch)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];

	if (!zone_lock_gfp(z, gfp))
		return -EBUSY;
	int got = rmqueue_bulk(z, cpu, order, batch, &pcp->lists[order][mt], mt,
			       gfp, true);

	zone_unlock(z);
	pcp_add_count(pcp, got << order);
	return got << order;
}

/* Move the blocks of one list that lie in [start, end) to the zone;
 * returns pages moved.  pcp->lock and zone->lock held. */
static uint64_t release_list_range(struct pa_zone *z, struct pfn_list *l,
				   unsigned order, uint64_t start, uint64_t end)
{
	uint64_t moved = 0, left = pfn_list_count(z->pages, l);

	for (uint32_t pfn = l->head; left--;) {
		uint32_t next = z->pages[pfn].next;

		if (pfn >= start && pfn < end) {
			pfn_list_del(z->pages, l, pfn);
			set_page_state(&z->pages[pfn], 0);
			free_one_page(z, pfn, order);
			moved += 1ull << order;
		}
		pfn = next;
	}
	return moved;
}

/* Mainline's pcp_release_range (pcpbuddy's after its remote list): every
 * list walked under one zone->lock hold.  pcp->lock held. */
void pcp_release_range_lists(struct pa_zone *z, unsigned cpu, uint64_t start,
			     uint64_t end)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];
	uint64_t moved = 0;

	if (!pcp->count)
		return;
	zone_lock(z);
	for (unsigned o = 0; o <= pcp_max_order(z); o++)
		for (unsigned m = 0; m < PA_MT_PCPTYPES; m++)
			moved += release_list_range(z, &pcp->lists[o][m], o,
						    start, end);
	pcp_add_count(pcp, -(int)moved);
	zone_count(z, PAGES_DRAIN, moved);
	zone_count_moved(z, moved);
	zone_unlock(z);
}

void pcp_absorb(struct pa_zone *z, unsigned cpu)
{
	if (z->ops->pcp_absorb)
		z->ops->pcp_absorb(z, cpu);
}

static bool drain_some(struct pa_zone *z, unsigned cpu, int count,
		       unsigned start, bool trylock)
{
	return z->ops->pcp_drain(z, cpu, count, start, trylock);
}

int pcp_refill(struct pa_zone *z, unsigned cpu, unsigned order, unsigned mt,
	       unsigned gfp)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];

	pcp_count(pcp, ALLOC_MISS, 1);
	int r = z->ops->pcp_refill(z, cpu, order, mt, gfp,
				   nr_pcp_alloc(pcp, z, order));

	if (r != -EBUSY)
		pcp_count(pcp, REFILLS, 1);
	return r;
}

/*
 * The per-CPU allocation beyond a plain list hit (pcp.h has the hit):
 * absorb frees other CPUs left here, take from the lists as the policy
 * does, else refill through the policy and take again.  Entered with
 * pcp->lock held and the CPU alive; always drops the lock.  -EAGAIN:
 * nothing of this order and type came (the zone path, with its fallback,
 * gives the real answer, as the kernel's rmqueue falls through to the
 * buddy lists); -EBUSY: nolock and zone->lock busy.
 */
uint32_t pcp_take_or_refill(struct pa_zone *z, unsigned cpu, unsigned order,
			    unsigned mt, unsigned gfp, int *r)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];
	const struct pa_policy_ops *ops = z->ops;

	*r = 0;
	pcp_absorb(z, cpu);
	uint32_t pfn = ops->pcp_take(z, pcp, order, mt);

	if (pfn != PA_NIL)
		return pfn;
	*r = pcp_refill(z, cpu, order, mt, gfp);
	if (*r == -EBUSY)
		return PA_NIL;
	pfn = ops->pcp_take(z, pcp, order, mt);
	if (pfn != PA_NIL)
		pcp_count(pcp, ALLOC_HIT, -1ull); /* the account counts a hit */
	return pfn;
}

int pcp_alloc_slow(struct pa_zone *z, unsigned cpu, unsigned order,
		   unsigned mt, unsigned gfp, uint32_t *out)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];
	int r;

	*out = pcp_take_or_refill(z, cpu, order, mt, gfp, &r);
	if (*out == PA_NIL) {
		pcp_lock_release(z, pcp);
		return r == -EBUSY ? -EBUSY : -EAGAIN;
	}
	pcp_alloc_commit(z, pcp, *out, order, mt);
	return 0;
}

void pcp_free_tune(struct pa_zone *z, unsigned cpu, unsigned order,
		   unsigned mt, unsigned gfp, bool free_high)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];
	int high = nr_pcp_high(pcp, z, free_high);

	if (pcp_held(pcp) >= high)
		drain_some(z, cpu, nr_pcp_free(pcp, high, free_high),
			   order * PA_MT_PCPTYPES + mt + NR_PCP_LISTS - 1,
			   gfp & PA_GFP_NOLOCK);
}

void pcp_free_slow(struct pa_zone *z, unsigned cpu, unsigned order,
		   unsigned mt, unsigned gfp, bool free_high)
{
	pcp_free_tune(z, cpu, order, mt, gfp, free_high);
	pcp_lock_release(z, &z->pcp[cpu]);
}

int pcp_fill(struct pa_zone *z, unsigned cpu, unsigned pages, unsigned mt)
{
	return pcp_fill_order(z, cpu, pages, 0, mt);
}

int pcp_fill_order(struct pa_zone *z, unsigned cpu, unsigned pages,
		   unsigned order, unsigned mt)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];
	int added = 0;

	pcp_lock(z, cpu);
	if (pcp->flags & PCPF_DEAD) {
		pcp_lock_release(z, pcp);
		return -ENODEV;
	}
	int want = pcp->count + (int)(pages > (unsigned)pcp->high_max ?
					      (unsigned)pcp->high_max : pages);

	if (want > pcp->high_max)
		want = pcp->high_max;
	if (pcp->high < want)
		pcp_set_high(pcp, want);
	/* whole blocks only: stop before the one that would pass `want` */
	while (pcp->count + (1 << order) <= want) {
		int n = (want - pcp->count) >> order, got, before = pcp->count;

		if (n > (pcp->batch << PA_PCP_BATCH_SCALE_MAX) >> order)
			n = (pcp->batch << PA_PCP_BATCH_SCALE_MAX) >> order;
		if (n < 1)
			n = 1;
		got = z->ops->pcp_refill(z, cpu, order, mt, 0, n);
		/* pcpbuddy may serve a refill from blocks the pageset already
		 * held (its merged fragments): nothing new, so stop */
		if (got <= 0 || pcp->count <= before)
			break;
		added += pcp->count - before;
	}
	pcp_lock_release(z, pcp);
	return added;
}

int pcp_set_state(struct pa_zone *z, unsigned cpu, unsigned high)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];
	int h;

	pcp_lock(z, cpu);
	if (pcp->flags & PCPF_DEAD) {
		pcp_lock_release(z, pcp);
		return -ENODEV;
	}
	h = clampi(high > (unsigned)pcp->high_max ? pcp->high_max : (int)high,
		   pcp->high_min, pcp->high_max);
	pcp_set_high(pcp, h);
	/* the kernel shows neither: a freshly observed pageset has no
	 * streak of refills or frees behind it */
	pcp->free_count = pcp->alloc_factor = 0;
	pcp_lock_release(z, pcp);
	return h;
}

void pcp_drain_cpu(struct pa_zone *z, unsigned cpu)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];

	/* In batches, cycling both locks, so a big pageset does not hold
	 * zone->lock for long. */
	for (;;) {
		pcp_lock(z, cpu);
		pcp_absorb(z, cpu);
		int n = pcp->count;

		if (n > pcp->batch << PA_PCP_BATCH_SCALE_MAX)
			n = pcp->batch << PA_PCP_BATCH_SCALE_MAX;
		if (n > 0)
			drain_some(z, cpu, n, NR_PCP_LISTS - 1, false);
		bool more = pcp->count > 0;

		pcp_lock_release(z, pcp);
		if (!more)
			break;
	}
}

void pcp_tick_cpu(struct pa_zone *z, unsigned c)
{
	struct per_cpu_pages *pcp = &z->pcp[c];

	pcp_lock(z, c);
	if (pcp->high > pcp->high_min) {
		/* Decay by an eighth, but keep high near count so one tick
		 * does not drain too much at once.  pcpbuddy can hold more
		 * than high_max (a whole claimed block on a small pageset),
		 * so clamp: decay never exceeds high_max. */
		int a = pcp->count - (pcp->batch << PA_PCP_BATCH_SCALE_MAX);
		int b = pcp->high - (pcp->high >> 3);

		pcp_set_high(pcp, clampi(a > b ? a : b, pcp->high_min, pcp->high_max));
	}
	if (pcp->count > pcp->high)
		drain_some(z, c, pcp->count - pcp->high, NR_PCP_LISTS - 1,
			   false);
	pcp_lock_release(z, pcp);
}

void pcp_tick(struct pa_zone *z)
{
	for (unsigned c = 0; c < z->ncpus; c++)
		pcp_tick_cpu(z, c);
}

int pcp_cpu_offline(struct pa_zone *z, unsigned cpu)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];

	pcp_lock(z, cpu);
	__atomic_store_n(&pcp->flags, pcp->flags | PCPF_DEAD, __ATOMIC_RELEASE);
	pcp_stack_set_off(z, cpu, true);
	/* the pageset, remote frees included, goes back to the zone */
	pcp_absorb(z, cpu);
	if (pcp->count)
		drain_some(z, cpu, pcp->count, NR_PCP_LISTS - 1, false);
	if (z->ops->cpu_offline)
		z->ops->cpu_offline(z, cpu);
	pcp_absorb(z, cpu); /* frees that raced with the dead flag */
	pcp_set_high(pcp, pcp->high_min);
	pcp->free_count = pcp->alloc_factor = 0;
	pcp_lock_release(z, pcp);
	return 0;
}

int pcp_cpu_online(struct pa_zone *z, unsigned cpu)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];

	pcp_lock(z, cpu);
	/* pages that reached the remote list while we were dead */
	pcp_absorb(z, cpu);
	__atomic_store_n(&pcp->flags, pcp->flags & ~PCPF_DEAD, __ATOMIC_RELEASE);
	pcp_stack_set_off(z, cpu, false);
	pcp_lock_release(z, pcp);
	return 0;
}
