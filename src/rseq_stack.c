/* SPDX-License-Identifier: MIT */
/*
 * The locked half of the rseq stacks (rseq.h has the sequences).  A lock
 * holder from elsewhere (pcp_lock, a swap locker: drains, hotplug, tick,
 * pa_check, range release) first empties every stack onto the lists, so
 * it sees the pageset the trylock path has.  The CPU's own slow paths
 * (the sequence-taken lock) leave the other stacks alone: they only use
 * lists[] and pcp->count, which counts list pages alone.  pa_alloc
 * refills a stack from its list after a miss, in the hold that hands out
 * the block; pa_free spills a full one onto its list with the block it
 * frees, in one hold, so `high` and drains see those pages.
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

/* Since the holder's last reset (count `base`, pops 0): allocations are
 * the pops, frees the pops plus the growth. */
static void stack_traffic(uint64_t w, unsigned cap, unsigned base,
			  uint64_t *pops, uint64_t *pushes)
{
	*pops = w >> 48;
	*pushes = *pops + stack_blocks(w, cap) - base;
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

/* The stack's chain (through .next, hottest first) becomes a circular
 * list in place: one pass writes each block's prev, type and state, then
 * the chain is closed and spliced in front of the list, so the stack's
 * hottest blocks go out first again. */
static void stack_to_list(struct pa_zone *z, struct per_cpu_pages *pcp,
			  uint64_t w, unsigned n, unsigned order, unsigned mt)
{
	struct pa_page *pages = z->pages;
	uint32_t first = (uint32_t)w, last = first, pfn = first;
	uint16_t state = PG_STATE(PG_PCP, order);
	struct pfn_list tmp = { .head = first };

	if (!n)
		return;
	for (unsigned i = 0; i < n; i++) {
		struct pa_page *p = &pages[pfn];

		set_page_mt(p, mt);
		set_page_state(p, state);
		p->prev = last;
		last = pfn;
		pfn = p->next;
	}
	pages[last].next = first;
	pages[first].prev = last;
	pfn_list_splice_front(pages, &pcp->lists[order][mt], &tmp);
	pcp_add_count(pcp, (int)(n << order));
}

/* Fold one stack's statistics, move its blocks to the list and reset it
 * (offline: to the word that sends both sequences the locked way). */
static void stack_flush_one(struct pa_zone *z, struct per_cpu_pages *pcp,
			    unsigned slot, unsigned mt)
{
	unsigned cap = pcp->stack_cap[slot];
	uint64_t reset = (pcp->flags & PCPF_DEAD) ? PCP_STACK_OFF
						   : PCP_STACK_EMPTY(cap);
	uint64_t w = __atomic_load_n(&pcp->stack[slot][mt], __ATOMIC_RELAXED);
	unsigned base = pcp->stack_base[slot][mt], order = slot_order(z, slot);
	uint64_t pops, pushes;

	if (w == reset && !base)
		return;
	stack_traffic(w, cap, base, &pops, &pushes);
	stack_account(pcp, order, pops, pushes);
	stack_to_list(z, pcp, w, stack_blocks(w, cap), order, mt);
	__atomic_store_n(&pcp->stack[slot][mt], reset, __ATOMIC_RELAXED);
	__atomic_store_n(&pcp->stack_base[slot][mt], 0, __ATOMIC_RELAXED);
}

void pcp_stack_flush_(struct pa_zone *z, unsigned cpu)
{
	for (unsigned s = 0; s < PCP_STACK_SLOTS; s++)
		for (unsigned m = 0; m < PA_MT_PCPTYPES; m++)
			stack_flush_one(z, &z->pcp[cpu], s, m);
}

/* Detach up to `want` blocks from the front of `l` as the word of a
 * stack of cap `cap` (pops 0); the blocks keep their PG_PCP state. */
static uint64_t list_take_front(struct pa_page *pages, struct pfn_list *l,
				unsigned want, unsigned cap, unsigned *n)
{
	uint32_t first = l->head, last = first, rest;

	*n = 0;
	if (first == PA_NIL)
		return PCP_STACK_EMPTY(cap);
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
	return first | PCP_STACK_ROOM(cap - *n);
}

/* The calling CPU's pageset by its sequence-taken lock word, alive;
 * false (lock dropped) otherwise, also if the thread now runs on another
 * CPU (PCP_LOCK_OWN: only such a holder fills a stack).  No fallback is
 * counted: the caller then takes the usual way, which counts its own. */
static bool stack_lock_own(struct pa_zone *z, unsigned cpu)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];

	if (!pcp_trylock_as(z, cpu, PCP_LOCK_OWN))
		return false;
	if (pcp->flags & PCPF_DEAD) {
		pa_lock_release(&pcp->lock);
		return false;
	}
	return true;
}

int pcp_stack_refill(struct pa_zone *z, unsigned cpu, unsigned order,
		     unsigned mt, unsigned gfp, uint32_t *out)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];
	unsigned slot = pcp_stack_slot(order), n;
	int r;

	if (!stack_lock_own(z, cpu))
		return -EAGAIN;
	/* empty, or its pop count about to wrap: fold and reset it first */
	stack_flush_one(z, pcp, slot, mt);
	pcp->free_count >>= 1;
	*out = pcp_take_or_refill(z, cpu, order, mt, gfp, &r);
	if (*out == PA_NIL) {
		pa_lock_release(&pcp->lock);
		return r == -EBUSY ? -EBUSY : -EAGAIN;
	}
	pcp_alloc_account(z, pcp, *out, order, mt);
	/* cap - 1: the free that follows still fits (a pair never spills) */
	uint64_t w = list_take_front(z->pages, &pcp->lists[order][mt],
				     pcp->stack_cap[slot] - 1u,
				     pcp->stack_cap[slot], &n);

	pcp_add_count(pcp, -(int)(n << order));
	__atomic_store_n(&pcp->stack_base[slot][mt], (uint16_t)n,
			 __ATOMIC_RELAXED);
	/* the release below publishes it to the sequences */
	__atomic_store_n(&pcp->stack[slot][mt], w, __ATOMIC_RELAXED);
	pa_lock_release(&pcp->lock);
	return 0;
}

int pcp_stack_spill(struct pa_zone *z, unsigned cpu, uint32_t pfn,
		    unsigned order, unsigned mt, unsigned gfp)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];
	bool free_high;

	if (!stack_lock_own(z, cpu))
		return -EAGAIN;
	stack_flush_one(z, pcp, pcp_stack_slot(order), mt);
	if (pcp_free_commit(z, pcp, pfn, order, mt, false, &free_high))
		pcp_free_slow(z, cpu, order, mt, gfp, free_high);
	else
		pa_lock_release(&pcp->lock);
	return 0;
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
					 off ? PCP_STACK_OFF :
					       PCP_STACK_EMPTY(pcp->stack_cap[s]),
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
		unsigned order = slot_order(z, s), cap = pcp->stack_cap[s];

		for (unsigned m = 0; m < PA_MT_PCPTYPES; m++) {
			uint64_t w = __atomic_load_n(&pcp->stack[s][m],
						     __ATOMIC_RELAXED);
			unsigned base = __atomic_load_n(&pcp->stack_base[s][m],
							__ATOMIC_RELAXED);
			uint64_t pops, pushes;

			pages += (uint64_t)stack_blocks(w, cap) << order;
			if (!pc)
				continue;
			/* a racy word and base can disagree: never negative */
			if (stack_blocks(w, cap) + (w >> 48) < base)
				continue;
			stack_traffic(w, cap, base, &pops, &pushes);
			traffic_counters(pc, order, pops, pushes);
		}
	}
	return pages;
}
