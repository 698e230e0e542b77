/* SPDX-License-Identifier: MIT */
/*
 * The locked half of the rseq stacks (rseq.h has the sequences).  A lock
 * holder from elsewhere (pcp_lock, a swap locker: drains, hotplug, tick,
 * pa_check, range release) first empties every stack onto the lists, so
 * it sees the pageset the trylock path has.  The CPU's own slow paths
 * (the sequence-taken lock) leave the other stacks alone: they only use
 * lists[] and pcp->count, which counts list pages alone.  pa_alloc
 * refills a stack from its list after a miss; pa_free spills a full one
 * onto its list before freeing the usual way, so drains see those pages.
 *
 * Blocks on a stack are free and belong to the pageset.  Their state is
 * PG_PCP (reloaded from a list) or 0 (pushed by a free, which claimed the
 * block by compare-and-swap and so keeps it off every other path): a
 * second free of either fails that claim.  The flush writes PG_PCP again.
 */
#include "pcp.h"

static unsigned slot_order(const struct pa_zone *z, unsigned slot)
{
	return slot <= PA_COSTLY_ORDER ? slot : z->pb_order;
}

/* Blocks on a stack word (the offline word holds none). */
static unsigned stack_blocks(uint64_t w)
{
	return (uint32_t)w == PA_NIL ? 0 : stack_count(w);
}

/* Since the holder's last reset (count `base`, pops 0): allocations are
 * the pops, frees the pops plus the growth. */
static void stack_traffic(uint64_t w, unsigned base, uint64_t *pops,
			  uint64_t *pushes)
{
	*pops = w == PCP_STACK_OFF ? 0 : w >> 48;
	*pushes = *pops + stack_blocks(w) - base;
}

/* The pageset counters the pops and pushes stand for, added to pc[]. */
static void traffic_counters(uint64_t *pc, unsigned order, uint64_t pops,
			     uint64_t pushes)
{
	pc[PC_ALLOC_HIT] += pops;
	pc[PC_ALLOC_CALLS] += pops;
	pc[PC_PGALLOC] += pops << order;
	pc[PC_FREE_CALLS] += pushes;
	pc[PC_PGFREE] += pushes << order;
}

static void stack_account(struct per_cpu_pages *pcp, unsigned order,
			  uint64_t pops, uint64_t pushes)
{
	int cap = pcp->batch << PA_PCP_BATCH_SCALE_MAX;
	uint64_t pc[NR_PCP_COUNTERS] = { 0 };

	traffic_counters(pc, order, pops, pushes);
	for (unsigned i = 0; i < NR_PCP_COUNTERS; i++)
		if (pc[i])
			counter_add(&pcp->pc[i], pc[i]);
	/* The tuning streaks see the net of the stack's traffic: its order
	 * of pops and pushes is not kept. */
	if (pushes > pops) {
		uint64_t add = (pushes - pops) << order;

		pcp->free_count = pcp->free_count + add > (uint64_t)cap ?
					  cap : pcp->free_count + (int)add;
		pcp->alloc_factor >>= 1;
	} else if (pops > pushes) {
		pcp->free_count >>= 1;
	}
}

static void stack_to_list(struct pa_zone *z, struct per_cpu_pages *pcp,
			  uint64_t w, unsigned order, unsigned mt)
{
	struct pfn_list tmp;
	unsigned n = stack_blocks(w);
	uint32_t pfn = (uint32_t)w;

	if (!n)
		return;
	pfn_list_init(&tmp);
	for (unsigned i = 0; i < n; i++) {
		struct pa_page *p = &z->pages[pfn];
		uint32_t next = p->next;

		set_page_mt(p, mt);
		set_page_state(p, PG_STATE(PG_PCP, order));
		pfn_list_add_tail(z->pages, &tmp, pfn);
		pfn = next;
	}
	/* in front: the stack's hottest blocks go out first again */
	pfn_list_splice_front(z->pages, &pcp->lists[order][mt], &tmp);
	pcp_add_count(pcp, (int)(n << order));
}

/* Fold one stack's statistics, move its blocks to the list and reset it
 * (offline: to the word that sends both sequences the locked way). */
static void stack_flush_one(struct pa_zone *z, struct per_cpu_pages *pcp,
			    unsigned slot, unsigned mt)
{
	uint64_t reset = (pcp->flags & PCPF_DEAD) ? PCP_STACK_OFF
						   : PCP_STACK_EMPTY;
	uint64_t w = __atomic_load_n(&pcp->stack[slot][mt], __ATOMIC_RELAXED);
	unsigned base = pcp->stack_base[slot][mt], order = slot_order(z, slot);
	uint64_t pops, pushes;

	if (w == reset && !base)
		return;
	stack_traffic(w, base, &pops, &pushes);
	stack_account(pcp, order, pops, pushes);
	stack_to_list(z, pcp, w, order, mt);
	__atomic_store_n(&pcp->stack[slot][mt], reset, __ATOMIC_RELAXED);
	__atomic_store_n(&pcp->stack_base[slot][mt], 0, __ATOMIC_RELAXED);
}

void pcp_stack_flush_(struct pa_zone *z, unsigned cpu)
{
	for (unsigned s = 0; s < PCP_STACK_SLOTS; s++)
		for (unsigned m = 0; m < PA_MT_PCPTYPES; m++)
			stack_flush_one(z, &z->pcp[cpu], s, m);
}

/* Detach up to `want` blocks from the front of `l` as a stack word
 * (pops 0); the blocks keep their PG_PCP state. */
static uint64_t list_take_front(struct pa_page *pages, struct pfn_list *l,
				unsigned want, unsigned *n)
{
	uint32_t first = l->head, last = first, rest;

	*n = 0;
	if (first == PA_NIL)
		return PCP_STACK_EMPTY;
	for (*n = 1; *n < want && pages[last].next != first; ++*n)
		last = pages[last].next;
	rest = pages[last].next;
	if (rest == first) {
		l->head = PA_NIL;
	} else {
		uint32_t tail = pages[first].prev;

		pages[rest].prev = tail;
		pages[tail].next = rest;
		l->head = rest;
	}
	pages[last].next = PA_NIL;
	return first | (uint64_t)*n << 32;
}

void pcp_stack_reload(struct pa_zone *z, unsigned cpu, unsigned order,
		      unsigned mt)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];
	unsigned slot = order <= PA_COSTLY_ORDER ? order : PA_COSTLY_ORDER + 1;
	unsigned want = pcp->stack_cap[slot] / 2, n;

	if (!pcp_trylock(z, cpu))
		return;
	/* empty, or its pop count about to wrap: fold and reset it first */
	stack_flush_one(z, pcp, slot, mt);
	if (!(pcp->flags & PCPF_DEAD)) {
		uint64_t w = list_take_front(z->pages, &pcp->lists[order][mt],
					     want ? want : 1, &n);

		pcp_add_count(pcp, -(int)(n << order));
		__atomic_store_n(&pcp->stack_base[slot][mt], (uint16_t)n,
				 __ATOMIC_RELAXED);
		/* the release below publishes it to the sequences */
		__atomic_store_n(&pcp->stack[slot][mt], w, __ATOMIC_RELAXED);
	}
	pa_lock_release(&pcp->lock);
}

void pcp_stack_spill(struct pa_zone *z, unsigned cpu, unsigned order,
		     unsigned mt)
{
	unsigned slot = order <= PA_COSTLY_ORDER ? order : PA_COSTLY_ORDER + 1;

	if (!pcp_trylock(z, cpu))
		return;
	stack_flush_one(z, &z->pcp[cpu], slot, mt);
	pa_lock_release(&z->pcp[cpu].lock);
}

void pcp_stack_set_off(struct pa_zone *z, unsigned cpu, bool off)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];

	/* the holder's acquisition flushed them: nothing to move */
	if (!z->fast_stacks)
		return;
	for (unsigned s = 0; s < PCP_STACK_SLOTS; s++)
		for (unsigned m = 0; m < PA_MT_PCPTYPES; m++)
			__atomic_store_n(&pcp->stack[s][m],
					 off ? PCP_STACK_OFF : PCP_STACK_EMPTY,
					 __ATOMIC_RELAXED);
}

uint64_t pcp_stack_pending(const struct pa_zone *z, unsigned cpu,
			   uint64_t *pc)
{
	const struct per_cpu_pages *pcp = &z->pcp[cpu];
	uint64_t pages = 0;

	if (!z->fast_stacks)
		return 0;
	for (unsigned s = 0; s < PCP_STACK_SLOTS; s++) {
		unsigned order = slot_order(z, s);

		for (unsigned m = 0; m < PA_MT_PCPTYPES; m++) {
			uint64_t w = __atomic_load_n(&pcp->stack[s][m],
						     __ATOMIC_RELAXED);
			unsigned base = __atomic_load_n(&pcp->stack_base[s][m],
							__ATOMIC_RELAXED);
			uint64_t pops, pushes;

			pages += (uint64_t)stack_blocks(w) << order;
			if (!pc)
				continue;
			/* a racy word and base can disagree: never negative */
			if (stack_blocks(w) + (w == PCP_STACK_OFF ? 0 : w >> 48) < base)
				continue;
			stack_traffic(w, base, &pops, &pushes);
			traffic_counters(pc, order, pops, pushes);
		}
	}
	return pages;
}
