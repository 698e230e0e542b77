/* SPDX-License-Identifier: MIT */
/*
 * pa_check: every invariant of the zone, verified from scratch.
 *
 * With every pageset lock and zone->lock held, walk the pfn range block by
 * block (each head page says what its block is), walk every list, and
 * compare what the lists, the counters and the pageblock data claim with
 * what the walk found.  Cost is linear in the zone size: meant for tests.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "buddy.h"
#include "error.h"
#include "pcp.h"
#include "rseq.h"

struct checker {
	struct pa_zone *z;
	char *msg;
	size_t len;
	int failed;
};

static int fail(struct checker *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int fail(struct checker *c, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (c->failed)
		return -EUCLEAN;
	c->failed = 1;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (c->msg && c->len)
		snprintf(c->msg, c->len, "%s", buf);
	pa_err(c->z, -EUCLEAN, "pa_check: %s", buf);
	return -EUCLEAN;
}

/* Walk one list: entries must carry `flags` and `order`; returns entries or
 * -1 on a broken list. */
static int64_t walk_list(struct checker *c, const struct pfn_list *l,
			 unsigned flags, unsigned optional, unsigned order,
			 const char *what)
{
	const struct pa_zone *z = c->z;
	uint32_t pfn = l->head, first = l->head;
	uint64_t n = 0, limit = (z->nr_pages >> order) + 1;

	if (pfn == PA_NIL)
		return 0;
	do {
		if (pfn >= z->nr_pages)
			return fail(c, "%s: link to pfn %u out of range", what, pfn), -1;
		const struct pa_page *p = &z->pages[pfn];

		if ((page_state(p) & ~optional) != PG_STATE(flags, order))
			return fail(c, "%s: pfn %u has state 0x%x, expected 0x%x",
				    what, pfn, page_state(p),
				    PG_STATE(flags, order)), -1;
		if (z->pages[p->next].prev != pfn)
			return fail(c, "%s: pfn %u: next->prev does not point back",
				    what, pfn), -1;
		if (++n > limit)
			return fail(c, "%s: list does not terminate", what), -1;
		pfn = p->next;
	} while (pfn != first);
	return (int64_t)n;
}

/* Every list of every partition: links, states, alignment, the partition
 * and pageblock type of each block, and the list counts. */
static int check_free_list(struct checker *c, uint64_t part, unsigned o,
			   unsigned m, uint64_t *free_pages)
{
	struct pa_zone *z = c->z;
	const struct pfn_list *l = fa_list(z, part, o, m);
	char what[80];

	snprintf(what, sizeof(what), "free list %llu order %u %s",
		 (unsigned long long)part, o, pa_migratetype_name(m));
	int64_t n = walk_list(c, l, PG_BUDDY, 0, o, what);

	if (n < 0)
		return -EUCLEAN;
	uint64_t have = fa_list_count(z, part, o, m);

	if ((uint64_t)n != have)
		return fail(c, "%s: %lld entries, nr_free says %llu", what,
			    (long long)n, (unsigned long long)have);
	*free_pages += (uint64_t)n << o;
	if (!n)
		return 0;
	uint32_t pfn = l->head;

	do {
		if (pfn & ((1u << o) - 1))
			return fail(c, "%s: pfn %u not aligned", what, pfn);
		if (fa_part_of(z, pfn) != part)
			return fail(c, "%s: pfn %u belongs to partition %llu", what,
				    pfn, (unsigned long long)fa_part_of(z, pfn));
		uint64_t nb = o > z->pb_order ? 1ull << (o - z->pb_order) : 1;

		for (uint64_t i = 0; i < nb; i++)
			if (pb_mt(&z->pb[pfn_to_pb(z, pfn) + i]) != m)
				return fail(c, "%s: pfn %u lies in a %s pageblock",
					    what, pfn,
					    pa_migratetype_name(pb_mt(&z->pb[pfn_to_pb(z, pfn) + i])));
		pfn = z->pages[pfn].next;
	} while (pfn != l->head);
	return 0;
}

static int check_free_lists(struct checker *c, uint64_t *free_pages)
{
	struct pa_zone *z = c->z;
	char buf[200];
	const char *m;

	*free_pages = 0;
	if ((m = fa_check(z, buf, sizeof(buf))))
		return fail(c, "%s", m);
	for (uint64_t p = 0; p < fa_nr_parts(z); p++)
		for (unsigned o = 0; o <= z->max_order; o++)
			for (unsigned t = 0; t < PA_MT_TYPES; t++)
				if (check_free_list(c, p, o, t, free_pages))
					return -EUCLEAN;
	return 0;
}

/* CPU cpu's lists: links and states; the pages on them into *pages. */
static int check_pcp_lists(struct checker *c, unsigned cpu, uint64_t *pages)
{
	const struct pa_zone *z = c->z;
	const struct per_cpu_pages *pcp = &z->pcp[cpu];
	char what[64];

	*pages = 0;
	for (unsigned order = 0; order <= pcp_max_order(z); order++)
		for (unsigned m = 0; m < PA_MT_PCPTYPES; m++) {
			snprintf(what, sizeof(what), "cpu %u pcp list order %u mt %u",
				 cpu, order, m);
			int64_t e = walk_list(c, &pcp->lists[order][m], PG_PCP,
					      (z->pflags & POL_OWNED_BLOCKS) ?
						      PG_PCPBUDDY : 0,
					      order, what);

			if (e < 0)
				return -EUCLEAN;
			*pages += (uint64_t)e << order;
		}
	return 0;
}

static int check_pcp(struct checker *c, uint64_t *pcp_pages)
{
	struct pa_zone *z = c->z;

	*pcp_pages = 0;
	for (unsigned cpu = 0; z->use_pcp && cpu < z->ncpus; cpu++) {
		struct per_cpu_pages *pcp = &z->pcp[cpu];
		uint64_t n;

		if (check_pcp_lists(c, cpu, &n))
			return -EUCLEAN;
		if (n != (uint64_t)pcp->count)
			return fail(c, "cpu %u: pcp count %d but lists hold %llu pages",
				    cpu, pcp->count, (unsigned long long)n);
		/* pcp_lock flushed the stacks: no shares of high are left */
		if (pcp->stack_pages || pcp_stack_pending(z, cpu, NULL))
			return fail(c, "cpu %u: stacks hold %llu pages (shares %d) after the flush",
				    cpu, (unsigned long long)pcp_stack_pending(z, cpu, NULL),
				    pcp->stack_pages);
		if ((pcp->flags & PCPF_DEAD) && n)
			return fail(c, "cpu %u is offline but caches %llu pages", cpu,
				    (unsigned long long)n);
		if (pcp->count < 0 || pcp->high < pcp->high_min ||
		    pcp->high > pcp->high_max)
			return fail(c, "cpu %u: count %d high %d outside [%d, %d]",
				    cpu, pcp->count, pcp->high, pcp->high_min,
				    pcp->high_max);
		*pcp_pages += n;
	}
	return 0;
}

/* The pfn walk: every position is a head (with a state) or a tail inside
 * the previous head's block. */
/* What the pfn walk found, in pages. */
struct walk_totals {
	uint64_t alloc, buddy, pcp, llist, reporting;
};

/* A deferred range [pfn, end) is free, untouched and on no list. */
static int walk_deferred(struct checker *c, uint64_t pfn, uint64_t end,
			 uint32_t *pb_free)
{
	struct pa_zone *z = c->z;

	for (uint64_t d = pfn; d < end; d++)
		if (page_state(&z->pages[d]))
			return fail(c, "pfn %llu lies in a deferred range but has state 0x%x",
				    (unsigned long long)d, page_state(&z->pages[d]));
	for (uint64_t b = pfn >> z->pb_order; b < end >> z->pb_order; b++)
		pb_free[b] += (uint32_t)pb_nr_pages(z);
	return 0;
}

/* The head page at pfn: an order that fits its position, a tail clear. */
static int check_block_shape(struct checker *c, uint64_t pfn, uint16_t st)
{
	struct pa_zone *z = c->z;
	unsigned order = st >> 8;

	if (!st)
		return fail(c, "pfn %llu belongs to no block (free, cached or allocated)",
			    (unsigned long long)pfn);
	if (order > z->max_order || (pfn & ((1ull << order) - 1)) ||
	    pfn + (1ull << order) > z->nr_pages)
		return fail(c, "pfn %llu: bad order %u for its position",
			    (unsigned long long)pfn, order);
	for (uint64_t t = 1; t < (1ull << order); t++)
		if (page_state(&z->pages[pfn + t]))
			return fail(c, "pfn %llu is inside the order-%u block at %llu but has state 0x%x",
				    (unsigned long long)(pfn + t), order,
				    (unsigned long long)pfn,
				    page_state(&z->pages[pfn + t]));
	return 0;
}

/* A free buddy block: its pages into pb_free, and no unmerged twin. */
static int check_buddy_block(struct checker *c, uint64_t pfn, uint16_t st,
			     uint32_t *pb_free)
{
	struct pa_zone *z = c->z;
	unsigned order = st >> 8;
	uint64_t n = 1ull << order, b = pfn ^ n;

	if (order >= z->pb_order)
		for (uint64_t i = 0; i < (n >> z->pb_order); i++)
			pb_free[pfn_to_pb(z, pfn) + i] += (uint32_t)pb_nr_pages(z);
	else
		pb_free[pfn_to_pb(z, pfn)] += (uint32_t)n;
	if (order >= z->max_order || b >= z->nr_pages ||
	    page_state(&z->pages[b]) != st)
		return 0;
	/* two free buddies of one order should have merged, unless they are
	 * whole pageblocks of types that must not */
	unsigned m1 = pb_mt(pfn_pb(z, pfn)), m2 = pb_mt(pfn_pb(z, b));

	if (order < z->pb_order || m1 == m2 ||
	    (mt_mergeable(m1) && mt_mergeable(m2)))
		return fail(c, "free buddies %llu and %llu of order %u were not merged",
			    (unsigned long long)pfn, (unsigned long long)b, order);
	return 0;
}

/* The block whose head is pfn, counted by what its state says it is. */
static int count_block(struct checker *c, uint64_t pfn, struct walk_totals *t,
		       uint32_t *pb_free)
{
	const struct pa_page *p = &c->z->pages[pfn];
	uint16_t st = page_state(p);
	uint64_t n = 1ull << (st >> 8);

	switch ((st & 0xff) & ~(unsigned)PG_PCPBUDDY) {
	case PG_BUDDY:
		t->buddy += n;
		return check_buddy_block(c, pfn, st, pb_free);
	case PG_PCP:
		t->pcp += n;
		return 0;
	case PG_ALLOC:
	case PG_ALLOC | PG_ISOLATED:
	case PG_ALLOC | PG_CONTIG:
		t->alloc += n;
		if (page_mt(p) >= PA_MT_PCPTYPES)
			return fail(c, "allocated pfn %llu has migratetype %u",
				    (unsigned long long)pfn, page_mt(p));
		return 0;
	case PG_LLIST:
		t->llist += n;
		return 0;
	case PG_REPORTING:
		t->reporting += n;
		return 0;
	default:
		return fail(c, "pfn %llu has invalid state 0x%x",
			    (unsigned long long)pfn, st);
	}
}

/* Every block of the zone, head by head; free pages per pageblock. */
static int walk_pfns(struct checker *c, struct walk_totals *t,
		     uint32_t *pb_free)
{
	struct pa_zone *z = c->z;
	int r;

	*t = (struct walk_totals){ 0 };
	for (uint64_t pfn = 0; pfn < z->nr_pages;) {
		uint64_t end = fa_skip_deferred(z, pfn);
		uint16_t st = page_state(&z->pages[pfn]);

		if (end != pfn) {
			if ((r = walk_deferred(c, pfn, end, pb_free)))
				return r;
			pfn = end;
			continue;
		}
		if ((r = check_block_shape(c, pfn, st)) ||
		    (r = count_block(c, pfn, t, pb_free)))
			return r;
		pfn += 1ull << (st >> 8);
	}
	return 0;
}

/* The counters and the lists against what the walk found. */
static int check_totals(struct checker *c, const struct walk_totals *t,
			uint64_t list_free, uint64_t pcp_pages)
{
	struct pa_zone *z = c->z;
	uint64_t deferred = fa_deferred_pages(z);
	uint64_t llist_pages = STAT_LOAD(z->llist_pages), remote = 0;

	if (t->reporting != z->nr_reporting)
		return fail(c, "%llu pages are being reported, the count says %llu",
			    (unsigned long long)t->reporting,
			    (unsigned long long)z->nr_reporting);
	if (t->buddy != list_free)
		return fail(c, "%llu pages are marked free but the free lists hold %llu",
			    (unsigned long long)t->buddy, (unsigned long long)list_free);
	if (list_free + deferred != z->free_pages)
		return fail(c, "free_pages counter %llu, free lists hold %llu + %llu deferred",
			    (unsigned long long)z->free_pages,
			    (unsigned long long)list_free, (unsigned long long)deferred);
	if (t->pcp != pcp_pages)
		return fail(c, "%llu pages are marked per-CPU but the lists hold %llu",
			    (unsigned long long)t->pcp, (unsigned long long)pcp_pages);
	if (z->use_pcp && z->ops->check) {
		char buf[200];
		const char *m = z->ops->check(z, buf, sizeof(buf), &remote);

		if (m)
			return fail(c, "%s", m);
	}
	llist_pages += remote;
	if (t->llist != llist_pages)
		return fail(c, "deferred-free and remote lists hold %llu pages, counters say %llu",
			    (unsigned long long)t->llist,
			    (unsigned long long)llist_pages);
	if (t->alloc + t->buddy + deferred + t->pcp + t->llist + t->reporting !=
	    z->nr_pages)
		return fail(c, "accounting: allocated %llu + free %llu + per-CPU %llu + deferred-free lists %llu + being reported %llu != managed %llu",
			    (unsigned long long)t->alloc,
			    (unsigned long long)(t->buddy + deferred),
			    (unsigned long long)t->pcp, (unsigned long long)t->llist,
			    (unsigned long long)t->reporting,
			    (unsigned long long)z->nr_pages);
	return 0;
}

/* Each pageblock's data against the walk; the reserve and isolation
 * counts against the pageblocks. */
static int check_pageblocks(struct checker *c, const uint32_t *pb_free)
{
	struct pa_zone *z = c->z;
	uint64_t ha = 0, iso = 0;

	for (uint64_t b = 0; b < z->nr_pageblocks; b++) {
		const struct pageblock_data *pb = &z->pb[b];

		if (pb->nr_free != pb_free[b])
			return fail(c, "pageblock %llu: nr_free %u, actually %u",
				    (unsigned long long)b, pb->nr_free, pb_free[b]);
		if (pb->nr_free == pb_nr_pages(z) && pb->content)
			return fail(c, "pageblock %llu is entirely free but has content bits 0x%x",
				    (unsigned long long)b, pb->content);
		if (pb_mt(pb) >= PA_MT_TYPES)
			return fail(c, "pageblock %llu has migratetype %u",
				    (unsigned long long)b, pb_mt(pb));
		if (!(z->pflags & POL_OWNED_BLOCKS) && pb_owner(pb))
			return fail(c, "pageblock %llu has an owner under a policy without ownership",
				    (unsigned long long)b);
		ha += pb_mt(pb) == PA_MT_HIGHATOMIC ? pb_nr_pages(z) : 0;
		iso += pb_mt(pb) == PA_MT_ISOLATE;
	}
	if (ha != z->nr_reserved_highatomic)
		return fail(c, "highatomic reserve counts %llu pages, pageblocks hold %llu",
			    (unsigned long long)z->nr_reserved_highatomic,
			    (unsigned long long)ha);
	if (iso != z->nr_isolated_pageblocks)
		return fail(c, "%llu pageblocks are isolated, the isolation count says %llu",
			    (unsigned long long)iso,
			    (unsigned long long)z->nr_isolated_pageblocks);
	return 0;
}

/* The superpageblocks' own invariants (spb_check: NULL when clean). */
static int check_spb(struct checker *c)
{
	char sbuf[256];
	const char *sm = spb_check(c->z, sbuf, sizeof(sbuf));

	return sm ? fail(c, "%s", sm) : 0;
}

#ifdef PA_DEBUG_LISTS
/* `make stress-lists`: the free lists as pa_check sees them, at every
 * zone->lock release (zone_unlock), so a corruption stops the program in
 * the hold that made it rather than wherever it is met later (the
 * isolated-type spill of 2026-12-03 was found this way). */
void zone_debug_check_lists(struct pa_zone *z)
{
	char msg[256];
	struct checker c = { .z = z, .msg = msg, .len = sizeof(msg) };
	uint64_t free_pages;

	if (check_free_lists(&c, &free_pages)) {
		fprintf(stderr, "PA_DEBUG_LISTS: at a zone->lock release: %s\n", msg);
		abort();
	}
}

void pcp_debug_check_lists(const struct pa_zone *z,
			   const struct per_cpu_pages *pcp)
{
	char msg[256];
	struct checker c = { .z = (struct pa_zone *)z, .msg = msg,
			     .len = sizeof(msg) };
	uint64_t pages;

	if (check_pcp_lists(&c, (unsigned)(pcp - z->pcp), &pages)) {
		fprintf(stderr, "PA_DEBUG_LISTS: at a pageset lock release: %s\n", msg);
		abort();
	}
}
#endif

int pa_check(struct pa_zone *z, char *msg, size_t len)
{
	struct checker c = { .z = z, .msg = msg, .len = len };
	struct walk_totals t;
	uint64_t list_free, pcp_pages;
	/* sized for the largest the zone may grow to: a pa_zone_grow between
	 * here and the locks below made the walk write past the array */
	uint64_t max_pbs = z->max_pages >> z->pb_order;
	uint32_t *pb_free = calloc(max_pbs ? max_pbs : 1, sizeof(*pb_free));
	int r;

	if (msg && len)
		msg[0] = 0;
	if (!pb_free)
		return -ENOMEM;
	for (unsigned cpu = 0; z->use_pcp && cpu < z->ncpus; cpu++)
		pcp_lock(z, cpu);
	pa_lock_acquire(&z->lock);  /* not zone_lock(): leave the llist be */
	if (!(r = check_free_lists(&c, &list_free)) &&
	    !(r = check_pcp(&c, &pcp_pages)) &&
	    !(r = walk_pfns(&c, &t, pb_free)) &&
	    !(r = check_totals(&c, &t, list_free, pcp_pages)) &&
	    !(r = check_pageblocks(&c, pb_free)))
		r = check_spb(&c);
	pa_lock_release(&z->lock);
	for (unsigned cpu = z->use_pcp ? z->ncpus : 0; cpu-- > 0;)
		pcp_unlock(z, cpu);
	free(pb_free);
	return r;
}
