/* SPDX-License-Identifier: MIT */
/*
 * The locked half of the rseq stacks (rseq.h has the sequences).  A lock
 * holder from elsewhere (pcp_lock, a swap locker: drains, hotplug, tick,
 * pa_check, range release) first empties every stack onto the lists, so
 * it sees the pageset the trylock path has.  The CPU's own slow paths
 * (the sequence-taken lock) leave the other stacks alone: they use
 * lists[], pcp->count (list pages) and the stacks' shares of `high`
 * (pcp_held).  pa_alloc refills a stack from its list after a miss, in
 * the hold that hands out the block; pa_free spills a full one onto its
 * list with the block it frees, in one hold, so drains see those pages.
 *
 * `high` bounds the stacks too: whoever installs a stack (the refill,
 * the spill) gives it a share of what the pageset may still hold, and
 * the share (its blocks plus its room) counts in pcp_held until the
 * stack is flushed.  Half of what is left, so stacks of several types
 * each get some; a burst within that share never takes the lock.
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

/* Install word w on stack (slot, mt), holding `base` blocks out of a
 * share of `resv` (the release that follows publishes it). */
static void stack_set(struct pa_zone *z, struct per_cpu_pages *pcp,
		      unsigned slot, unsigned mt, uint64_t w, unsigned base,
		      unsigned resv)
{
	int delta = (int)resv - (int)pcp->stack_resv[slot][mt];

	pcp->stack_pages += delta * (1 << slot_order(z, slot));
	__atomic_store_n(&pcp->stack_resv[slot][mt], (uint16_t)resv,
			 __ATOMIC_RELAXED); /* pcp_stack_pending reads it */
	__atomic_store_n(&pcp->stack_base[slot][mt], (uint16_t)base,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&pcp->stack[slot][mt], w, __ATOMIC_RELAXED);
}

/* Fold one stack's statistics, move its blocks to the list and reset it
 * with no share (full and empty at once: its next pop or push installs
 * it again; offline: the word that sends both sequences the locked way). */
static void stack_flush_one(struct pa_zone *z, struct per_cpu_pages *pcp,
			    unsigned slot, unsigned mt)
{
	unsigned cap = pcp->stack_resv[slot][mt];
	uint64_t reset = (pcp->flags & PCPF_DEAD) ? PCP_STACK_OFF
						   : PCP_STACK_EMPTY(0);
	uint64_t w = __atomic_load_n(&pcp->stack[slot][mt], __ATOMIC_RELAXED);
	unsigned base = pcp->stack_base[slot][mt], order = slot_order(z, slot);
	uint64_t pops, pushes;

	if (w == reset && !base && !cap)
		return;
	stack_traffic(w, cap, base, &pops, &pushes);
	stack_account(pcp, order, pops, pushes);
	stack_to_list(z, pcp, w, stack_blocks(w, cap), order, mt);
	stack_set(z, pcp, slot, mt, reset, 0, 0);
}

/* The share of `high` for a stack about to hold n blocks, the pageset
 * lock held and the stack flushed: n plus half of what the pageset may
 * still hold (high less pcp_held and the n), at least n + 1 and 2 (so
 * the free of a pair that follows a refill fits, and a pair loop never
 * meets a full or empty stack), at most what the room field counts. */
static unsigned stack_share(const struct pa_zone *z,
			    const struct per_cpu_pages *pcp, unsigned slot,
			    unsigned n)
{
	unsigned order = slot_order(z, slot);
	int left = pcp->high - pcp_held(pcp) - (int)(n << order);
	unsigned share = n + (left > 0 ? ((unsigned)left >> 1) >> order : 0);
	unsigned lo = n + 1 > 2 ? n + 1 : 2;

	return share < lo ? lo : share > PCP_STACK_CAP_MAX ? PCP_STACK_CAP_MAX
							    : share;
}

/* Install stack (slot, mt) with the n-block chain at `head` (PA_NIL: none)
 * and its share of `high`. */
static void stack_install(struct pa_zone *z, struct per_cpu_pages *pcp,
			  unsigned slot, unsigned mt, uint32_t head, unsigned n)
{
	unsigned resv = stack_share(z, pcp, slot, n);

	stack_set(z, pcp, slot, mt, head | PCP_STACK_ROOM(resv - n), n, resv);
}

void pcp_stack_flush_(struct pa_zone *z, unsigned cpu)
{
	for (unsigned s = 0; s < PCP_STACK_SLOTS; s++)
		for (unsigned m = 0; m < PA_MT_PCPTYPES; m++)
			stack_flush_one(z, &z->pcp[cpu], s, m);
}

/* Detach up to `want` blocks from the front of `l` as a chain through
 * .next ending in PA_NIL; its head (PA_NIL if l is empty), *n blocks.
 * The blocks keep their PG_PCP state. */
static uint32_t list_take_front(struct pa_page *pages, struct pfn_list *l,
				unsigned want, unsigned *n)
{
	uint32_t first = l->head, last = first, rest;

	*n = 0;
	if (first == PA_NIL)
		return PA_NIL;
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
	return first;
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
		pcp_lock_release(z, pcp);
		return false;
	}
	return true;
}

/* Blocks a refill moves from the list onto the stack: the largest batch
 * a refill brings (a bigger list is the pageset's to keep, and the walk
 * is paid per block), and room for the free that follows. */
static unsigned stack_refill_want(const struct per_cpu_pages *pcp,
				  unsigned order)
{
	unsigned want = ((unsigned)pcp->batch << PA_PCP_BATCH_SCALE_MAX) >> order;

	return want < 1 ? 1 : want < PCP_STACK_CAP_MAX ? want
						       : PCP_STACK_CAP_MAX - 1;
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
		pcp_lock_release(z, pcp);
		return r == -EBUSY ? -EBUSY : -EAGAIN;
	}
	pcp_alloc_account(z, pcp, *out, order, mt);
	uint32_t head = list_take_front(z->pages, &pcp->lists[order][mt],
					stack_refill_want(pcp, order), &n);

	pcp_add_count(pcp, -(int)(n << order));
	stack_install(z, pcp, slot, mt, head, n);
	pcp_lock_release(z, pcp);
	return 0;
}

int pcp_stack_spill(struct pa_zone *z, unsigned cpu, uint32_t pfn,
		    unsigned order, unsigned mt, unsigned gfp)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];
	unsigned slot = pcp_stack_slot(order);
	bool free_high;

	/* mt was read after the push missed: the pageblock may have been
	 * isolated since, and an isolated type indexes no list or stack */
	if (mt >= PA_MT_PCPTYPES || !stack_lock_own(z, cpu))
		return -EAGAIN;
	stack_flush_one(z, pcp, slot, mt);
	if (pcp_free_commit(z, pcp, pfn, order, mt, false, &free_high))
		pcp_free_tune(z, cpu, order, mt, gfp, free_high);
	/* after the drain, so the new share sees what is left */
	stack_install(z, pcp, slot, mt, PA_NIL, 0);
	pcp_lock_release(z, pcp);
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
			stack_set(z, pcp, s, m,
				  off ? PCP_STACK_OFF : PCP_STACK_EMPTY(0), 0, 0);
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
			unsigned cap = __atomic_load_n(&pcp->stack_resv[s][m],
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
