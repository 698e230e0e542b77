/* SPDX-License-Identifier: MIT */
/*
 * Lock-free stacks of blocks threaded through page metadata (pa_page.lnext):
 * the zone's deferred-free list (nolock API) and pcpbuddy's remote-free
 * lists.  Pushed by compare-and-swap from any context, signal handlers
 * included; taken whole by one exchange, so there is no ABA problem.
 */
#ifndef PA_LLIST_H
#define PA_LLIST_H

#include <stdbool.h>
#include <stdint.h>

#include "page.h"

/* Mark the block PG_LLIST of its order and push it; `pages` counts the
 * pages sitting on the list (atomic). */
static inline void llist_push(struct pa_page *pages, uint32_t *head,
			      uint64_t *nr_pages, uint32_t pfn, unsigned order)
{
	struct pa_page *p = &pages[pfn];
	uint32_t old = __atomic_load_n(head, __ATOMIC_RELAXED);

	set_page_state(p, PG_STATE(PG_LLIST, order));
	__atomic_fetch_add(nr_pages, 1ull << order, __ATOMIC_RELAXED);
	do {
		p->lnext = old;
	} while (!__atomic_compare_exchange_n(head, &old, pfn, 1,
					      __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

static inline bool llist_empty(const uint32_t *head)
{
	return __atomic_load_n(head, __ATOMIC_RELAXED) == PA_NIL;
}

/* Take every entry; walk them with llist_pop. */
static inline uint32_t llist_take_all(uint32_t *head)
{
	return __atomic_exchange_n(head, PA_NIL, __ATOMIC_ACQUIRE);
}

/* Pop the first of a taken chain: its pfn (state cleared, *order set),
 * *chain advanced; PA_NIL when the chain is empty. */
static inline uint32_t llist_pop(struct pa_page *pages, uint32_t *chain,
				 unsigned *order)
{
	uint32_t pfn = *chain;

	if (pfn == PA_NIL)
		return PA_NIL;
	*chain = pages[pfn].lnext;
	*order = page_order(&pages[pfn]);
	set_page_state(&pages[pfn], 0);
	return pfn;
}

#endif
