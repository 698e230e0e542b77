/* SPDX-License-Identifier: MIT */
/*
 * Circular doubly-linked lists of page blocks threaded through the page
 * metadata by pfn.  A list is just the pfn of its first entry; the last
 * entry is first->prev.  Used for zone free lists and per-CPU lists alike.
 * The caller holds whatever lock protects the list.
 */
#ifndef PA_PFNLIST_H
#define PA_PFNLIST_H

#include "page.h"

struct pfn_list {
	uint32_t head;
};

static inline void pfn_list_init(struct pfn_list *l)
{
	l->head = PA_NIL;
}

static inline int pfn_list_empty(const struct pfn_list *l)
{
	return l->head == PA_NIL;
}

static inline uint32_t pfn_list_first(const struct pfn_list *l)
{
	return l->head;
}

static inline uint32_t pfn_list_last(const struct pa_page *pages,
				     const struct pfn_list *l)
{
	return l->head == PA_NIL ? PA_NIL : pages[l->head].prev;
}

static inline void pfn_list_insert_(struct pa_page *pages, struct pfn_list *l,
				    uint32_t pfn, int at_head)
{
	struct pa_page *p = &pages[pfn];

	if (l->head == PA_NIL) {
		p->next = p->prev = pfn;
		l->head = pfn;
		return;
	}
	uint32_t first = l->head, last = pages[first].prev;

	p->next = first;
	p->prev = last;
	pages[last].next = pfn;
	pages[first].prev = pfn;
	if (at_head)
		l->head = pfn;
}

static inline void pfn_list_add(struct pa_page *pages, struct pfn_list *l,
				uint32_t pfn)
{
	pfn_list_insert_(pages, l, pfn, 1);
}

static inline void pfn_list_add_tail(struct pa_page *pages, struct pfn_list *l,
				     uint32_t pfn)
{
	pfn_list_insert_(pages, l, pfn, 0);
}

/* Entries on the list (a walk: for passes that delete as they go). */
static inline uint64_t pfn_list_count(const struct pa_page *pages,
				      const struct pfn_list *l)
{
	uint64_t n = 0;
	uint32_t pfn = l->head;

	if (pfn == PA_NIL)
		return 0;
	do {
		n++;
		pfn = pages[pfn].next;
	} while (pfn != l->head);
	return n;
}

static inline void pfn_list_del(struct pa_page *pages, struct pfn_list *l,
				uint32_t pfn)
{
	struct pa_page *p = &pages[pfn];

	if (p->next == pfn) {
		l->head = PA_NIL;
	} else {
		pages[p->prev].next = p->next;
		pages[p->next].prev = p->prev;
		if (l->head == pfn)
			l->head = p->next;
	}
	p->next = p->prev = PA_NIL;
}

/* Put every entry of `tmp` (non-empty, a list of the caller's own) in
 * front of `l`, in tmp's order; tmp is left stale. */
static inline void pfn_list_splice_front(struct pa_page *pages,
					 struct pfn_list *l,
					 const struct pfn_list *tmp)
{
	uint32_t t = tmp->head, h = l->head;

	if (h != PA_NIL) {
		uint32_t tl = pages[t].prev, hl = pages[h].prev;

		pages[tl].next = h;
		pages[h].prev = tl;
		pages[hl].next = t;
		pages[t].prev = hl;
	}
	l->head = t;
}

#endif
