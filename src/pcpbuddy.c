/* SPDX-License-Identifier: MIT */
/*
 * pcpbuddy: the per-CPU pageblock buddy (Johannes Weiner's RFC) with the
 * split-path free of Rik van Riel's seed 000.
 *
 * A pageset claims whole pageblocks from the zone and splits them under its
 * own lock; it owns them (pageblock_data.owner = cpu + 1), so frees of their
 * pages come back to it from any CPU and merge with their buddies on its
 * lists (PG_PCPBUDDY) instead of under zone->lock.  A free from another CPU
 * never takes the owner's lock: it pushes the page onto the owner's
 * lock-free remote list, absorbed by the owner at its next allocation,
 * refill or drain.  Drains hand back whole blocks (disowned) or fragments;
 * the blocks whose fragments went back are remembered per migratetype so
 * refill Phase 0 recovers them before any new block is claimed.
 *
 * Refill phases: 0 recover own fragments from the zone (one block per
 * zone->lock hold, stopping at the pages needed); 1 claim whole free
 * pageblocks; 2 take sub-pageblock chunks of the same type, not owned and
 * not merged (movable only, under pcpbuddy); 3 the mainline path with
 * migratetype fallback.
 *
 * Ownership changes only while a block is entirely free (claimed whole in
 * the zone, or disowned when fully merged on the owner's list, or at CPU
 * offline), so a freer holding a page reads a stable owner.
 *
 * Locks: the owned lists and the link array are under zone->lock; a
 * pageset's lists under its pcp->lock; remote lists are lock-free.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buddy.h"
#include "llist.h"
#include "pcp.h"
#include "pcpbuddy.h"
#include "spb_steer.h"
#include "trace.h"
#include "spb_contig.h"
#include "spb_defrag.h"

struct pcp_owned {
	uint32_t head[PA_MT_PCPTYPES]; /* pageblock index, PA_NIL if empty */
	/* non-movable types another CPU ran out of (bit per migratetype,
	 * atomic): this CPU hands its cached pages of them back to the zone
	 * at its next refill or drain (return_wanted) */
	unsigned wanted;
};

static int pcpb_init(struct pa_zone *z)
{
	uint64_t room = z->max_pages >> z->pb_order; /* pa_zone_grow's too */

	z->pb_links = calloc(room, sizeof(*z->pb_links));
	if (!z->pb_links)
		return -ENOMEM;
	for (uint64_t b = 0; b < room; b++)
		z->pb_links[b].next = z->pb_links[b].prev = PA_NIL;
	for (unsigned c = 0; c < z->ncpus; c++) {
		struct pcp_owned *o = malloc(sizeof(*o));

		if (!o)
			return -ENOMEM;
		for (unsigned m = 0; m < PA_MT_PCPTYPES; m++)
			o->head[m] = PA_NIL;
		o->wanted = 0;
		z->pcp[c].owned = o;
	}
	return 0;
}

static void pcpb_destroy(struct pa_zone *z)
{
	for (unsigned c = 0; z->pcp && c < z->ncpus; c++)
		free(z->pcp[c].owned);
	free(z->pb_links);
	z->pb_links = NULL;
}

/* ---- owned-block lists (zone->lock) ---- */

/* The heads are written under zone->lock and read without it (a refill
 * looks before it locks), so both sides are atomic. */
static inline uint32_t owned_head(const struct pcp_owned *ow, unsigned mt)
{
	return __atomic_load_n(&ow->head[mt], __ATOMIC_RELAXED);
}

static inline void set_owned_head(struct pcp_owned *ow, unsigned mt,
				  uint32_t b)
{
	__atomic_store_n(&ow->head[mt], b, __ATOMIC_RELAXED);
}

static void owned_link(struct pa_zone *z, unsigned cpu, uint32_t b, unsigned mt)
{
	struct pb_link *l = &z->pb_links[b];
	struct pcp_owned *ow = z->pcp[cpu].owned;

	if (l->listed)
		return;
	l->listed = 1;
	l->cpu = (uint16_t)cpu;
	l->mt = (uint8_t)mt;
	if (owned_head(ow, mt) == PA_NIL) {
		l->next = l->prev = b;
		set_owned_head(ow, mt, b);
		return;
	}
	uint32_t first = owned_head(ow, mt), last = z->pb_links[first].prev;

	l->next = first;
	l->prev = last;
	z->pb_links[last].next = b;
	z->pb_links[first].prev = b;
}

static void owned_unlink(struct pa_zone *z, uint32_t b)
{
	struct pb_link *l = &z->pb_links[b];

	if (!l->listed)
		return;
	struct pcp_owned *ow = z->pcp[l->cpu].owned;

	if (l->next == b) {
		set_owned_head(ow, l->mt, PA_NIL);
	} else {
		z->pb_links[l->prev].next = l->next;
		z->pb_links[l->next].prev = l->prev;
		if (owned_head(ow, l->mt) == b)
			set_owned_head(ow, l->mt, l->next);
	}
	l->next = l->prev = PA_NIL;
	l->listed = 0;
}

static void disown(struct pa_zone *z, uint32_t b)
{
	owned_unlink(z, b);
	pb_set_owner(&z->pb[b], 0);
	zone_count(z, PCPB_BLOCKS_DISOWNED, 1);
}

/* Remember an owned block whose fragments went back to the zone, on its
 * owner's list for the block's type, for Phase 0.  Not a block that is no
 * longer ours (it merged whole in the zone) or of a type pagesets do not
 * cache (highatomic, isolated): those are not ours to recover. */
static void remember_fragments(struct pa_zone *z, unsigned cpu, uint32_t b)
{
	unsigned mt = pb_mt(&z->pb[b]);

	if (pb_owner(&z->pb[b]) == cpu + 1 && mt < PA_MT_PCPTYPES)
		owned_link(z, cpu, b, mt);
}

/* pageblock.c's hooks.  A pageblock that became entirely free in the zone
 * is nobody's any more (seed 000: a merge completing the block clears its
 * owner), so later frees of its pages never bypass the pagesets for a
 * dead owner.  A block whose type changed moves to its owner's list for
 * the new type, or off the lists when pagesets do not cache that type. */
static void pcpb_pageblock_whole(struct pa_zone *z, uint64_t b)
{
	if (pb_owner(&z->pb[b]))
		disown(z, (uint32_t)b);
}

static void pcpb_pageblock_retyped(struct pa_zone *z, uint64_t b)
{
	const struct pb_link *l = &z->pb_links[b];

	if (!l->listed)
		return;
	unsigned cpu = l->cpu;

	owned_unlink(z, (uint32_t)b);
	remember_fragments(z, cpu, (uint32_t)b);
}

/* ---- the pageset's lists ---- */

static inline unsigned pcp_mt(unsigned mt)
{
	return mt < PA_MT_PCPTYPES ? mt : PA_MT_MOVABLE;
}

#define enqueue pcp_enqueue

/*
 * One list of the merge pass: every chunk whose buddy is also an owned
 * chunk of this pageset merges with it, the pair going up one order (so
 * this list only shrinks).  The walk visits at most `limit` entries from
 * the head and ends after the list's last entry as it was at the start.
 * A buddy of the same type is later in the walk (it would have merged
 * when visited), so if it was the last entry the one before it becomes
 * the last.  The entries visited count as walked (MERGE_WALKED: what the
 * lab prices a pass by).  pcp->lock held; returns the merges.
 */
static uint64_t merge_list(struct pa_zone *z, struct per_cpu_pages *pcp,
			   unsigned o, unsigned m, uint64_t limit)
{
	struct pfn_list *l = &pcp->lists[o][m];
	const uint16_t want = PG_STATE(PG_PCP | PG_PCPBUDDY, o);
	uint64_t merges = 0, walked = 0;

	if (pfn_list_empty(l) || !limit)
		return 0;
	for (uint32_t pfn = l->head, last = z->pages[pfn].prev;;) {
		uint32_t next = z->pages[pfn].next;
		uint32_t buddy = pfn ^ (1u << o);
		bool done = pfn == last || !--limit;

		walked++;

		if (page_state(&z->pages[pfn]) == want &&
		    page_state(&z->pages[buddy]) == want) {
			unsigned bmt = page_mt(&z->pages[buddy]);

			if (bmt == m && pfn != last) {
				if (buddy == last) {
					last = z->pages[buddy].prev;
					done = done || last == pfn;
				}
				if (buddy == next)
					next = z->pages[buddy].next;
			}
			pfn_list_del(z->pages, &pcp->lists[o][bmt], buddy);
			pfn_list_del(z->pages, l, pfn);
			set_page_state(&z->pages[buddy], 0);
			set_page_state(&z->pages[pfn], 0);
			enqueue(z, pcp, pfn & buddy, o + 1, m, true);
			merges++;
		}
		if (done || pfn_list_empty(l)) {
			pcp_count(pcp, MERGE_WALKED, walked);
			return merges;
		}
		pfn = next;
	}
}

/* Among the first n entries of lists[o][m]: a chunk whose buddy is an
 * owned chunk of this pageset on another type's list (its block was
 * retyped between the two frees).  The entries looked at count as
 * walked, as merge_list's do. */
static bool window_pairs_across_types(const struct pa_zone *z,
				      struct per_cpu_pages *pcp,
				      unsigned o, unsigned m, uint32_t n)
{
	const struct pfn_list *l = &pcp->lists[o][m];
	const uint16_t want = PG_STATE(PG_PCP | PG_PCPBUDDY, o);
	uint32_t pfn = l->head, i = 0;
	bool across = false;

	while (i < n && pfn != PA_NIL && !across) {
		uint32_t buddy = pfn ^ (1u << o);

		i++;
		across = page_state(&z->pages[buddy]) == want &&
			 page_mt(&z->pages[buddy]) != m;
		pfn = z->pages[pfn].next;
		if (pfn == l->head)
			break;
	}
	pcp_count(pcp, MERGE_WALKED, i);
	return across;
}

/*
 * One order of the merge pass.  The last pass left no pair on the
 * pageset and only pcp_enqueue makes a chunk mergeable, at a list's
 * head: every pair now has a new chunk, and the new chunks are among
 * the first merge_new entries of their list.  So the walk stops there,
 * and merges the same pairs in the same order as a walk of the whole
 * list (whose later, older entries could only pair with new ones,
 * already merged) -- unless a pair spans two types' lists, where the
 * whole walk would meet the older chunk first: then the whole lists.
 * On a large pageset a whole walk on every drain was most of pcpbuddy's
 * time (512 GiB, 1 TiB).
 */
static uint64_t merge_order(struct pa_zone *z, struct per_cpu_pages *pcp,
			    unsigned o)
{
	uint32_t n[PA_MT_PCPTYPES], any = 0;
	bool across = false;
	uint64_t merges = 0;

	for (unsigned m = 0; m < PA_MT_PCPTYPES; m++) {
		n[m] = pcp->merge_new[o][m];
		pcp->merge_new[o][m] = 0; /* products go to o + 1 */
		any |= n[m];
	}
	if (!any)
		return 0;
	for (unsigned m = 0; m < PA_MT_PCPTYPES && !across; m++)
		across = window_pairs_across_types(z, pcp, o, m, n[m]);
	for (unsigned m = 0; m < PA_MT_PCPTYPES; m++)
		merges += merge_list(z, pcp, o, m, across ? UINT64_MAX : n[m]);
	return merges;
}

/* Bottom-up merge pass over the pageset, order by order up to the
 * pageblock (owned chunks of a block are only ever on its owner's
 * lists).  pcp->lock held. */
static void merge_pass(struct pa_zone *z, struct per_cpu_pages *pcp)
{
	uint64_t merges = 0;

	for (unsigned o = 0; o < z->pb_order; o++)
		merges += merge_order(z, pcp, o);
	if (merges)
		zone_count_shared(z, PCPB_MERGES, merges);
}

/* One chunk off the pageset into the zone, zone->lock held: a whole
 * owned block is disowned as it goes, an owned fragment leaves its block
 * remembered for Phase 0.  Returns the pages moved. */
static uint64_t drain_chunk(struct pa_zone *z, unsigned cpu, uint32_t pfn,
			    unsigned order, unsigned mt)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];
	bool owned = page_flags(&z->pages[pfn]) & PG_PCPBUDDY;
	uint32_t b = (uint32_t)pfn_to_pb(z, pfn);

	pfn_list_del(z->pages, &pcp->lists[order][mt], pfn);
	set_page_state(&z->pages[pfn], 0);
	pcp_add_count(pcp, -(1 << order));
	if (TRACING(z))
		trace_pcpu_drain(z, cpu, pfn, order, pb_mt(&z->pb[b]));
	if (owned && order == z->pb_order)
		disown(z, b);
	free_one_page(z, pfn, order);
	if (owned && order < z->pb_order)
		remember_fragments(z, cpu, b);
	return 1ull << order;
}

static bool pcp_holds_type(const struct pa_zone *z,
			   const struct per_cpu_pages *pcp, unsigned mt)
{
	for (unsigned o = 0; o <= z->pb_order; o++)
		if (!pfn_list_empty(&pcp->lists[o][mt]))
			return true;
	return false;
}

/*
 * A refill found none of its (non-movable) type in the zone (asked only
 * where the policy's refill parks the type on pagesets: asks_owners):
 * it must take another type's memory.  The pages it lacks are most likely
 * free on other pagesets: frees of a block's pages go to its owner
 * (seed 000), so a CPU that owns more of a type than it allocates keeps
 * collecting them while the others run dry.  Ask every other CPU to hand
 * its pages of the type back to the zone, where they merge and every
 * CPU's own-type phases find them, so the next refill does not fall back.
 * Lock-free: the owners act at their next refill or drain (as they absorb
 * remote frees), never by another CPU taking their lock.
 */
static void ask_owners_to_return(struct pa_zone *z, unsigned cpu, unsigned mt)
{
	if (mt == PA_MT_MOVABLE)
		return; /* movable fallbacks pin no block for good */
	for (unsigned c = 0; c < z->ncpus; c++)
		if (c != cpu)
			__atomic_fetch_or(&z->pcp[c].owned->wanted, 1u << mt,
					  __ATOMIC_RELAXED);
}

/* The owner's side, as it absorbs remote frees (its next allocation
 * that misses the lists, refill or drain): every cached chunk of a wanted
 * type goes back to the zone (merged first, so whole blocks leave
 * disowned), the fragments remembered for our Phase 0.  pcp->lock held.
 * zone->lock by trylock only, since absorb runs in nolock contexts too: a
 * busy zone leaves the request for next time. */
static void return_wanted(struct pa_zone *z, unsigned cpu)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];
	unsigned *wanted = &pcp->owned->wanted;
	unsigned want = __atomic_load_n(wanted, __ATOMIC_RELAXED), types = 0;

	if (!want)
		return;
	for (unsigned m = 0; m < PA_MT_PCPTYPES; m++)
		if ((want & (1u << m)) && pcp_holds_type(z, pcp, m))
			types |= 1u << m;
	if (types && !zone_trylock(z))
		return;
	__atomic_fetch_and(wanted, ~want, __ATOMIC_RELAXED);
	if (!types)
		return;
	merge_pass(z, pcp);
	uint64_t moved = 0;

	for (unsigned m = 0; m < PA_MT_PCPTYPES; m++)
		for (unsigned o = 0; (types & (1u << m)) && o <= z->pb_order; o++)
			while (!pfn_list_empty(&pcp->lists[o][m]))
				moved += drain_chunk(z, cpu,
						     pfn_list_first(&pcp->lists[o][m]),
						     o, m);
	zone_count(z, PAGES_DRAIN, moved);
	zone_count_moved(z, moved);
	zone_count(z, PCPB_RETURNED, moved);
	zone_unlock(z);
}

/* Pull in pages other CPUs freed to our blocks, after handing back what
 * other CPUs ran out of.  Cheap when neither has anything. */
static void pcpb_absorb(struct pa_zone *z, unsigned cpu)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];

	return_wanted(z, cpu);
	if (llist_empty(&pcp->remote_head))
		return;
	uint32_t chain = llist_take_all(&pcp->remote_head), pfn;
	uint64_t pages = 0;
	unsigned order;
	bool dead = pcp->flags & PCPF_DEAD;

	if (dead)
		zone_lock(z);
	uint32_t isolated = PA_NIL; /* chain of pages of isolated blocks */
	uint64_t to_zone = 0;

	while ((pfn = llist_pop(z->pages, &chain, &order)) != PA_NIL) {
		pages += 1ull << order;
		/* off the remote count before onto the pageset's, so a racing
		 * pa_stats() never counts a block twice */
		STAT_INC_SHARED(pcp->remote_pages, -(1ull << order));
		const struct pageblock_data *pb = pfn_pb(z, pfn);

		if (dead) {
			free_one_page(z, pfn, order);
		} else if (pb_mt(pb) == PA_MT_ISOLATE) {
			/* isolation keeps these out of every pageset */
			z->pages[pfn].lnext = isolated;
			z->pages[pfn].prev = order;
			isolated = pfn;
		} else {
			enqueue(z, pcp, pfn, order, pcp_mt(pb_mt(pb)),
				pb_owner(pb) == cpu + 1);
			pcp_add_count(pcp, 1 << order);
		}
	}
	if (isolated != PA_NIL) {
		zone_lock(z);
		for (pfn = isolated; pfn != PA_NIL; pfn = isolated) {
			isolated = z->pages[pfn].lnext;
			to_zone += 1ull << z->pages[pfn].prev;
			free_one_page(z, pfn, z->pages[pfn].prev);
		}
	}
	/* The frees themselves were counted when they were pushed; pages a
	 * dead CPU's list hands to the zone are drain traffic. */
	if (dead)
		to_zone = pages;
	if (dead || to_zone) {
		zone_count(z, PAGES_DRAIN, to_zone);
		zone_count_moved(z, to_zone);
		zone_unlock(z);
	}
	zone_count_shared(z, PCPB_REMOTE_ABSORBED, pages);
}

/* Whether this zone's refill spares its scarce types in the ways below
 * (the fallback taking only what the request needs, owners asked when a
 * refill comes up short, costly chunks kept): POL_SPARE_SCARCE, pcpbuddy's.
 * spb shares the refill but steers its fallbacks to tainted
 * superpageblocks, and there these changes raised its conversions from 24
 * to 70-84 (bench_antifrag --gib 16 --steps 2097152, medians of seeds
 * 0-2), so spb's table leaves the flag out and keeps the refill it had. */
static bool spares_scarce_types(const struct pa_zone *z)
{
	return z->pflags & POL_SPARE_SCARCE;
}

/* Whether a refill that found none of its non-movable type asks the
 * other pagesets for theirs before it falls back: where the refill parks
 * the type's free chunks on pagesets (spb's Phase 2 packs whole chunks).
 * pcpbuddy's non-movable refills take what they need and leave the rest
 * in the zone (phase2_takes_chunks), so the others hold little of it;
 * there the asking (also when a refill came up short) cost 5,000 more
 * pages through zone->lock on build.trace (31,694 vs 25,294 without it)
 * for at most 2 conversions fewer on bench_antifrag (docs/PCPBUDDY.md). */
static bool asks_owners(const struct pa_zone *z)
{
	return !spares_scarce_types(z);
}

/* The order from which a request is costly (the kernel's
 * PAGE_ALLOC_COSTLY_ORDER). */
#define PCPB_COSTLY_ORDER 3

/* A cached (not owned) chunk of a non-movable type, of a costly order,
 * is kept for a request of its size: a smaller one refills instead.
 * These types are scarce and their costly chunks rarer still; splitting
 * them for order-0 requests left order-3 requests none, and those
 * converted a fresh pageblock each (bench_antifrag fill98: 66 of 87
 * conversions were made by order-3 requests).  Owned chunks split freely:
 * their pieces merge back on this pageset. */
static bool keep_costly_chunk(const struct pa_zone *z, unsigned chunk_order,
			      unsigned order, unsigned mt, bool owned)
{
	return spares_scarce_types(z) && !owned && mt != PA_MT_MOVABLE &&
	       chunk_order >= PCPB_COSTLY_ORDER && chunk_order > order;
}

/* The chunk at pfn, first on its list of order o, off the lists and
 * split down to `order`: the pieces keep the chunk's ownership; their
 * buddies are the part being handed out, so nothing merges here. */
static uint32_t split_chunk(struct pa_zone *z, struct per_cpu_pages *pcp,
			    uint32_t pfn, unsigned o, unsigned order,
			    unsigned mt)
{
	bool owned = page_flags(&z->pages[pfn]) & PG_PCPBUDDY;

	pfn_list_del(z->pages, &pcp->lists[o][mt], pfn);
	set_page_state(&z->pages[pfn], 0);
	while (o > order) {
		o--;
		enqueue(z, pcp, pfn + (1u << o), o, mt, owned);
	}
	return pfn;
}

/* The order of the smallest chunk on the lists that may serve a request
 * of `order` (at least that order, and not kept for a costly request), or
 * -1.  The one test of what the lists can give: pcpb_take takes that
 * chunk, and a refill that finds one takes nothing from the zone. */
static int usable_chunk_order(struct pa_zone *z,
			      const struct per_cpu_pages *pcp, unsigned order,
			      unsigned mt)
{
	for (unsigned o = order; o <= z->pb_order; o++) {
		const struct pfn_list *l = &pcp->lists[o][mt];

		if (pfn_list_empty(l))
			continue;
		uint32_t pfn = pfn_list_first(l);

		if (!keep_costly_chunk(z, o, order, mt,
				       page_flags(&z->pages[pfn]) & PG_PCPBUDDY))
			return (int)o;
	}
	return -1;
}

/* The smallest usable chunk on the lists, split down to `order`. */
static uint32_t pcpb_take(struct pa_zone *z, struct per_cpu_pages *pcp,
			  unsigned order, unsigned mt)
{
	int o = usable_chunk_order(z, pcp, order, mt);

	if (o < 0)
		return PA_NIL;
	return split_chunk(z, pcp, pfn_list_first(&pcp->lists[o][mt]),
			   (unsigned)o, order, mt);
}

/* Phase 0 on one block: move its free fragments from the zone to our
 * lists, scanning at most 4 pfns per page wanted (seed 002: a bounded
 * scan; the block's free count ends it early too).  An owned block is
 * never entirely free in the zone (it is disowned when it merges whole),
 * so there is always something allocated to step over.  Returns pages
 * recovered; *useful gets those in chunks of at least `order`, the ones
 * that count towards `want` (fragments too small for the allocation are
 * ours all the same, but a refill of only those would send it to the
 * zone path, which falls back to another type); *done says the block has
 * nothing left for us. */
static uint64_t recover_block(struct pa_zone *z, struct per_cpu_pages *pcp,
			      uint32_t b, unsigned order, uint64_t want,
			      uint64_t *useful, bool *done)
{
	uint64_t start = (uint64_t)b << z->pb_order, end = start + pb_nr_pages(z);
	uint64_t got = 0, scanned = 0, budget = 4 * want;
	unsigned mt = pb_mt(&z->pb[b]);
	uint64_t pfn;

	*useful = 0;
	for (pfn = start; pfn < end && z->pb[b].nr_free && *useful < want &&
			  scanned < budget; scanned++) {
		uint16_t st = page_state(&z->pages[pfn]);

		if (!st) {
			pfn++;
			continue;
		}
		unsigned o = st >> 8;

		if ((st & 0xff) == PG_BUDDY) {
			fa_del(z, (uint32_t)pfn, o, mt);
			zone_count(z, BLOCKS_MOVED, 1);
			enqueue(z, pcp, (uint32_t)pfn, o, mt, true);
			got += 1ull << o;
			if (o >= order)
				*useful += 1ull << o;
		}
		pfn += 1ull << o;
	}
	*done = !z->pb[b].nr_free;
	pcp_add_count(pcp, (int)got);
	zone_count(z, PCPB_PHASE0_PAGES, got);
	zone_count(z, PCPB_PHASE0_SCANNED, scanned);
	return got;
}

/* Phase 1's pick: a whole free block holding a pageblock, of type
 * `from`, taken for mt.  Our own type: the smallest such block
 * (smallest fit).  A fallback type, only once nothing of our type is free
 * at any order (the kernel's order: own type first, fragments included):
 * the largest block, converted whole as the zone's fallback claims it, so
 * one conversion serves many later requests nearby.  zone->lock held. */
static uint32_t take_pageblock_from(struct pa_zone *z, unsigned cpu,
				    unsigned mt, unsigned from)
{
	for (unsigned step = 0; step <= z->max_order - z->pb_order; step++) {
		unsigned o = from == mt ? z->pb_order + step : z->max_order - step;
		uint32_t head = fa_first(z, o, from);

		if (head == PA_NIL)
			continue;
		claim_whole_block(z, head, o, from, mt, z->pb_order);
		if (from != mt) {
			zone_count(z, EXTFRAG_FALLBACKS, 1);
			if (TRACING(z))
				trace_extfrag(z, cpu, head, z->pb_order, o, mt,
					      from, true);
		}
		return head;
	}
	return PA_NIL;
}

/* pcpbuddy's pcp_take_pageblock: our own type, or the first fallback
 * type with a whole block. */
static uint32_t pcpb_take_pageblock(struct pa_zone *z, unsigned cpu,
				    unsigned mt, unsigned gfp, bool fallback)
{
	(void)gfp;
	if (!fallback)
		return take_pageblock_from(z, cpu, mt, mt);
	for (unsigned i = 0; i < PA_MT_NR_FALLBACKS; i++) {
		uint32_t head = take_pageblock_from(z, cpu, mt, mt_fallback(mt, i));

		if (head != PA_NIL)
			return head;
	}
	return PA_NIL;
}

/* Phase 1's claim: the policy's pick (pcpbuddy's above, spb's steered by
 * superpageblock), owned by this CPU.  zone->lock held. */
static uint32_t claim_pageblock(struct pa_zone *z, unsigned cpu, unsigned mt,
				unsigned gfp, bool fallback)
{
	uint32_t head = z->ops->pcp_take_pageblock(z, cpu, mt, gfp, fallback);

	if (head == PA_NIL)
		return PA_NIL;
	pb_set_owner(&z->pb[pfn_to_pb(z, head)], cpu + 1);
	pageblock_mark_content(z, head, z->pb_order, mt);
	zone_count(z, PCPB_BLOCKS_CLAIMED, 1);
	return head;
}

/* What one refill is after and what it got so far. */
struct refill {
	unsigned cpu, order, mt, gfp;
	uint64_t need, got;
};

/* The last resort before a small non-movable request takes another
 * type's memory: a costly chunk this pageset kept (keep_costly_chunk) is
 * split after all, a piece of the order left on the lists.  Not when the
 * refill brought a chunk the request can use.  True if it split one. */
static bool split_kept_chunk(struct pa_zone *z, struct per_cpu_pages *pcp,
			     const struct refill *r)
{
	if (!spares_scarce_types(z) || r->mt == PA_MT_MOVABLE ||
	    r->order >= PCPB_COSTLY_ORDER)
		return false;
	for (unsigned o = r->order; o < PCPB_COSTLY_ORDER; o++)
		if (!pfn_list_empty(&pcp->lists[o][r->mt]))
			return false;
	for (unsigned o = PCPB_COSTLY_ORDER; o <= z->pb_order; o++) {
		struct pfn_list *l = &pcp->lists[o][r->mt];

		if (pfn_list_empty(l))
			continue;
		uint32_t pfn = pfn_list_first(l);
		bool owned = page_flags(&z->pages[pfn]) & PG_PCPBUDDY;

		pfn = split_chunk(z, pcp, pfn, o, r->order, r->mt);
		enqueue(z, pcp, pfn, r->order, r->mt, owned);
		return true;
	}
	return false;
}

/* Free pieces already on the pageset may merge into what is wanted:
 * true if they did (nothing to take from the zone).  Only a chunk
 * pcpb_take will use counts: a kept costly chunk counted here sent the
 * allocation to the zone path, whose fallback converted a pageblock while
 * the pageset held the type's free pages (bench_antifrag fill85 seed 0:
 * 34 of 40 conversions). */
static bool refill_from_merges(struct pa_zone *z, struct per_cpu_pages *pcp,
			       struct refill *r)
{
	if (!r->order)
		return false;
	merge_pass(z, pcp);
	int o = usable_chunk_order(z, pcp, r->order, r->mt);

	if (o < 0)
		return false;
	r->got = 1ull << o;
	return true;
}

/* Phase 0: recover our fragments, one block per zone->lock hold, each
 * listed block visited at most once per refill (a block the bounded scan
 * could not finish goes to the tail for next time), at most
 * PHASE0_MAX_BLOCKS of them.  -EBUSY if nolock and zone->lock was busy. */
#define PHASE0_MAX_BLOCKS 16

/* Block b, ours and off the owned lists, gives the refill its free
 * fragments (counted as refilled pages under zone->lock); a block left
 * with fragments goes to the tail of our list for its type.  True when
 * the block gave all it had.  zone->lock held. */
static bool refill_from_owned(struct pa_zone *z, struct per_cpu_pages *pcp,
			      struct refill *r, uint32_t b)
{
	uint64_t useful;
	bool done;
	uint64_t n = recover_block(z, pcp, b, r->order, r->need - r->got,
				   &useful, &done);

	r->got += useful;
	zone_count(z, PAGES_REFILL, n);
	zone_count_moved(z, n);
	if (!done)
		owned_link(z, r->cpu, b, r->mt);
	return done;
}

static int refill_phase0(struct pa_zone *z, struct per_cpu_pages *pcp,
			 struct refill *r)
{
	struct pcp_owned *ow = pcp->owned;
	uint64_t before = r->got;
	uint32_t requeued = PA_NIL;

	for (unsigned visits = 0; r->got < r->need && visits < PHASE0_MAX_BLOCKS;
	     visits++) {
		uint32_t b = owned_head(ow, r->mt);

		if (b == PA_NIL || b == requeued)
			break;
		if (!zone_lock_gfp(z, r->gfp))
			return -EBUSY;
		b = owned_head(ow, r->mt);
		/* the list holds our blocks of this type only (pa_check) */
		if (b != PA_NIL && b != requeued) {
			owned_unlink(z, b);
			if (!refill_from_owned(z, pcp, r, b) && requeued == PA_NIL)
				requeued = b;
		}
		zone_unlock(z);
	}
	if (r->got > before)
		zone_count(z, PCPB_PHASE0, 1);
	return 0;
}

/* Non-movable refills pack: these types are scarce, and their free
 * memory is the fragments of blocks they already hold. */
static bool phase2_packs(const struct refill *r)
{
	return r->mt != PA_MT_MOVABLE;
}

/* Whether Phase 2 moves whole free chunks of our type from the zone to
 * this pageset.  Movable: yes.  A non-movable type, where the policy
 * spares scarce types (pcpbuddy): no; Phase 2 takes one block that covers
 * the batch (refill_phase2_cover) and Phase 3 blocks of the request's
 * order, each split off the smallest free chunk in the zone, the rest
 * left there for every CPU, as the kernel's rmqueue_bulk does: own type
 * first, then fallback.  Phase 2's whole chunks, the last one
 * overshooting the batch, parked the type's free memory on one pageset:
 * at each conversion on bench_antifrag fill95-slab the zone held 0-4
 * pages of the type while other pagesets cached 1,000-3,800 pages of it,
 * in chunks up to order 8.  spb keeps packing (skipping it there changed no
 * conversion count by more than one); see docs/PCPBUDDY.md. */
static bool phase2_takes_chunks(const struct pa_zone *z, const struct refill *r)
{
	return r->mt == PA_MT_MOVABLE || !spares_scarce_types(z);
}

/* Free chunks of our type below a pageblock, of at least the order
 * wanted: a non-movable refill packs into those (Phase 2) before it takes
 * a fresh pageblock (the RFC: pack next to existing allocations rather
 * than consume fresh blocks).  zone->lock held. */
static bool zone_has_fragments(struct pa_zone *z, const struct refill *r)
{
	for (unsigned o = r->order; o < z->pb_order; o++)
		if (!fa_empty(z, o, r->mt))
			return true;
	return false;
}

/* Whether Phase 1 runs for this refill: not for a non-movable type where
 * the policy spares scarce types (pcpbuddy).  There Phase 2 and Phase 3
 * take what the refill needs off the type's smallest free blocks, whole
 * pageblocks included, split in the zone, so a fresh pageblock of the
 * type adds nothing; Phase 1 only took zone->lock to find fragments of
 * the type and let go again, and Phase 2 took it once more
 * (exit-avalanche-thp: 25 unmovable refills, 49 acquisitions). */
static bool phase1_runs(const struct pa_zone *z, const struct refill *r)
{
	return !phase2_packs(r) || !spares_scarce_types(z);
}

/* Phase 1: whole pageblocks, only when no partial block of ours is
 * waiting and the pageset has room for a whole block; of our own type, or
 * (`fallback`) converted from another.  A non-movable type takes a fresh
 * block of its own only once no fragment of it is free in the zone. */
static int refill_phase1(struct pa_zone *z, struct per_cpu_pages *pcp,
			 struct refill *r, bool fallback)
{
	uint64_t before = r->got;

	while (phase1_runs(z, r) && r->got < r->need &&
	       owned_head(pcp->owned, r->mt) == PA_NIL &&
	       pcp->high - pcp->count >= (int)pb_nr_pages(z)) {
		if (!zone_lock_gfp(z, r->gfp))
			return -EBUSY;
		if (!fallback && phase2_packs(r) && zone_has_fragments(z, r)) {
			zone_unlock(z);
			break;
		}
		uint32_t head = claim_pageblock(z, r->cpu, r->mt, r->gfp, fallback);

		if (head != PA_NIL) {
			zone_count(z, PAGES_REFILL, pb_nr_pages(z));
			zone_count_moved(z, pb_nr_pages(z));
			if (fallback)
				zone_count(z, PCPB_FALLBACK_PHASE1, 1);
		}
		zone_unlock(z);
		if (head == PA_NIL)
			break;
		enqueue(z, pcp, head, z->pb_order, r->mt, true);
		pcp_add_count(pcp, (int)pb_nr_pages(z));
		r->got += pb_nr_pages(z);
	}
	if (r->got > before)
		zone_count(z, PCPB_PHASE1, 1);
	return 0;
}

/* Phase 2's first step where the policy adopts (pcp_adopt_pageblock,
 * spb's): a partly free pageblock of our type that nobody owns becomes
 * ours, its fragments recovered as Phase 0 recovers our own blocks (and
 * by Phase 0 later, if the bounded scan leaves some).  One per refill.
 * zone->lock held. */
static void refill_adopt(struct pa_zone *z, struct per_cpu_pages *pcp,
			 struct refill *r)
{
	if (!z->ops->pcp_adopt_pageblock || r->got >= r->need)
		return;
	uint32_t b = z->ops->pcp_adopt_pageblock(z, r->cpu, r->order, r->mt);

	if (b == PA_NIL)
		return;
	pb_set_owner(&z->pb[b], r->cpu + 1);
	refill_from_owned(z, pcp, r, b);
}

/* Phase 2 moved `got` pages to the pageset: counted as a refill's, and
 * the phase as having run when it moved any. */
static void phase2_counted(struct pa_zone *z, uint64_t got)
{
	zone_count(z, PAGES_REFILL, got);
	zone_count_moved(z, got);
	if (got)
		zone_count(z, PCPB_PHASE2, 1);
}

/* Phase 2 where the type's free chunks stay in the zone
 * (!phase2_takes_chunks): one block of the order that covers what the
 * refill still needs, split off the smallest free chunk of the type as
 * the zone's own search does, the rest of that chunk left in the zone;
 * on the pageset it is cut into blocks of the request's order.  A few
 * free-list operations per refill instead of one per block (Phase 3's
 * way, which takes what is left when no chunk covers the need).
 * zone->lock held. */
static void refill_phase2_cover(struct pa_zone *z, struct per_cpu_pages *pcp,
				struct refill *r)
{
	if (r->got >= r->need)
		return;
	unsigned k = r->order;

	while (k + 1 < z->pb_order && (1ull << k) < r->need - r->got)
		k++;
	uint32_t pfn = rmqueue_smallest(z, k, r->mt, r->cpu);

	if (pfn == PA_NIL)
		return;
	pageblock_mark_content(z, pfn, k, r->mt);
	for (uint32_t b = 0; b < 1u << (k - r->order); b++)
		enqueue(z, pcp, pfn + (b << r->order), r->order, r->mt, false);
	pcp_add_count(pcp, 1 << k);
	r->got += 1ull << k;
	phase2_counted(z, 1ull << k);
}

/* Phase 2: sub-pageblock chunks of our type, split later on the pageset.
 * Movable: largest first, from unowned blocks (a bounded walk skips at
 * most 64 fragments of owned blocks per order), so few chunks move.
 * Non-movable, where Phase 2 runs for it (phase2_takes_chunks: spb):
 * smallest first, from any block, as the zone's own search
 * takes them: these types are scarce and their free memory is the
 * fragments of blocks they already hold; largest-first split every
 * order-3 chunk for order-0 refills, so order-3 requests found none and
 * converted fresh blocks (fill85: 78 conversions while 1,500-12,800
 * pages of the type lay free in the zone below order 3).  zone->lock
 * held. */
static void refill_phase2(struct pa_zone *z, struct per_cpu_pages *pcp,
			  struct refill *r)
{
	uint64_t got = 0;
	bool pack = phase2_packs(r);

	if (!phase2_takes_chunks(z, r)) {
		refill_phase2_cover(z, pcp, r);
		return;
	}

	for (unsigned i = 0; r->order + i < z->pb_order && r->got < r->need; i++) {
		unsigned o = pack ? r->order + i : z->pb_order - 1 - i, seen = 0;

		for (uint32_t pfn = fa_first(z, o, r->mt);
		     pfn != PA_NIL && r->got < r->need && seen < 64; seen++) {
			uint32_t next = fa_next(z, pfn, o, r->mt);

			if (pack || pb_owner(pfn_pb(z, pfn)) == 0) {
				fa_del(z, pfn, o, r->mt);
				zone_count(z, BLOCKS_MOVED, 1);
				pageblock_mark_content(z, pfn, o, r->mt);
				enqueue(z, pcp, pfn, o, r->mt, false);
				pcp_add_count(pcp, 1 << o);
				r->got += 1ull << o;
				got += 1ull << o;
			}
			pfn = pack ? fa_first(z, o, r->mt) : next;
		}
	}
	phase2_counted(z, got);
}

/* Phase 3's take: the mainline path, our own type only or (`fallback`)
 * with the zone's migratetype fallback.  Returns blocks taken.
 * zone->lock held. */
static int phase3_take(struct pa_zone *z, struct per_cpu_pages *pcp,
		       struct refill *r, bool fallback)
{
	if (r->got >= r->need)
		return 0;
	int n = (int)((r->need - r->got) >> r->order);

	if (n < 1)
		n = 1;
	int g = rmqueue_bulk(z, r->cpu, r->order, n, &pcp->lists[r->order][r->mt],
			     r->mt, r->gfp, fallback);

	pcp_add_count(pcp, g << r->order);
	r->got += (uint64_t)g << r->order;
	return g;
}

/* Phase 3 of our own type.  zone->lock held. */
static void refill_phase3(struct pa_zone *z, struct per_cpu_pages *pcp,
			  struct refill *r)
{
	if (phase3_take(z, pcp, r, false))
		zone_count(z, PCPB_PHASE3, 1);
}

/* Phase 3 with the zone's fallback, for this allocation only: a block
 * stolen without claiming its pageblock serves nothing after it, so a
 * batch of such steals only spreads our type over more blocks (each one
 * a tainted pageblock; at 98% full one refill stole 1,178 pages from as
 * many movable fragments).  If the fallback claimed the block instead,
 * its pages are our type now and the rest of the batch comes from them.
 * zone->lock held. */
static void refill_phase3_fallback(struct pa_zone *z, struct per_cpu_pages *pcp,
				   struct refill *r)
{
	uint64_t need = r->need;

	r->need = r->got + (1ull << r->order);
	int g = phase3_take(z, pcp, r, true);

	r->need = need;
	if (!g)
		return;
	zone_count(z, PCPB_FALLBACK_PHASE3, 1);
	zone_count(z, PCPB_PHASE3, 1);
	phase3_take(z, pcp, r, false);
}

/* Whether a refill that must fall back takes a whole pageblock of
 * another type for this pageset (Phase 1): movable only.  A non-movable
 * one takes what the request needs (Phase 3's fallback, one block): when
 * that claims the pageblock, the rest stays in the zone, unowned, for
 * every CPU's own-type phases, as the zone's fallback leaves it under
 * mainline.  Owned by one pageset, a converted block served only that
 * CPU, and every other CPU short of the type converted one of its own
 * (fill98: 35 of 87 conversions were such Phase 1 fallbacks). */
static bool fallback_claims_whole(const struct pa_zone *z, unsigned mt)
{
	return mt == PA_MT_MOVABLE || !spares_scarce_types(z);
}

/* Blocks one refill takes.  A non-movable order-0 refill takes the plain
 * batch, not the batch scaled up while this CPU allocates without freeing
 * (alloc_factor): under pcpbuddy the frees of a block's pages go to its
 * owner, so the allocating CPU's factor rarely decays, and at 98% full a
 * scaled refill took 1,000-2,000 pages of a type whose whole free supply
 * in the zone was a few hundred; the other CPUs then found none and fell
 * back to another type's memory. */
static int refill_batch(const struct per_cpu_pages *pcp, unsigned order,
			unsigned mt, int batch)
{
	if (mt != PA_MT_MOVABLE && !order && batch > pcp->batch)
		return pcp->batch;
	return batch;
}

/* Fill the pageset for an allocation of `order`/`mt` that found nothing:
 * `batch` blocks of that order are wanted.  Under pcp->lock.  Returns
 * pages added, or -EBUSY if nolock and zone->lock was busy. */
static int pcpb_refill(struct pa_zone *z, unsigned cpu, unsigned order,
		       unsigned mt, unsigned gfp, int batch)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];
	struct refill r = { .cpu = cpu, .order = order, .mt = mt, .gfp = gfp,
			    .need = (uint64_t)refill_batch(pcp, order, mt, batch) << order };

	if (refill_from_merges(z, pcp, &r))
		return (int)r.got;
	/* our own type, everywhere it is free */
	if (refill_phase0(z, pcp, &r) || refill_phase1(z, pcp, &r, false))
		return r.got ? (int)r.got : -EBUSY;
	if (r.got >= r.need)
		return (int)r.got;
	if (!zone_lock_gfp(z, gfp))
		return r.got ? (int)r.got : -EBUSY;
	refill_adopt(z, pcp, &r);
	refill_phase2(z, pcp, &r);
	refill_phase3(z, pcp, &r);
	zone_unlock(z);
	/* pages made available: those taken, or the piece split off */
	if (split_kept_chunk(z, pcp, &r))
		return r.got ? (int)r.got : 1 << order;
	if (r.got)
		return (int)r.got;
	if (asks_owners(z))
		ask_owners_to_return(z, cpu, mt);
	/* then, and only then, another type's memory */
	if (fallback_claims_whole(z, mt) && refill_phase1(z, pcp, &r, true))
		return -EBUSY;
	if (r.got)
		return (int)r.got;
	if (!zone_lock_gfp(z, gfp))
		return -EBUSY;
	refill_phase3_fallback(z, pcp, &r);
	zone_unlock(z);
	return (int)r.got;
}

/*
 * Next chunk to drain, for `count` pages still to go: the largest chunk
 * that fits, cached (not owned) chunks before owned ones, since cached
 * pages belong to the zone anyway and an owned chunk going back either
 * disowns a block or leaves a partial one for Phase 0.  If nothing fits,
 * the smallest chunk, so a small drain never hands back a whole block
 * that the next refill would claim again.  Owned chunks sit at a list's
 * head, cached ones at its tail.
 *
 * A drain picks many chunks, and a scan of every list for each (its
 * candidates' metadata lines cold) was a tenth of slab-churn's time under
 * pcpbuddy.  The scan resumes instead: lists passed over stay passed over,
 * since `count` only falls and a drain changes no list but its own: a
 * chunk's ownership is its own page state, which nothing in a drain
 * touches but on the chunk drained (disown() and the zone's hooks move
 * blocks between owners' block lists, not chunks between pageset lists).
 */
struct drain_scan {
	int o[2];          /* per kind (0 cached, 1 owned): the list to */
	unsigned m[2];     /* resume at, in order then migratetype */
};

static void drain_scan_reset(const struct pa_zone *z, struct drain_scan *d)
{
	for (int k = 0; k < 2; k++) {
		d->o[k] = (int)z->pb_order;
		d->m[k] = 0;
	}
}

/* List (o, m)'s candidate of kind k (its tail if cached, head if owned),
 * or PA_NIL. */
static uint32_t drain_candidate(struct pa_zone *z, struct per_cpu_pages *pcp,
				int o, unsigned m, int k)
{
	struct pfn_list *l = &pcp->lists[o][m];
	uint32_t pfn;

	if (pfn_list_empty(l))
		return PA_NIL;
	pfn = k ? pfn_list_first(l) : pfn_list_last(z->pages, l);
	if (!(page_flags(&z->pages[pfn]) & PG_PCPBUDDY) != !k)
		return PA_NIL;
	return pfn;
}

/* The largest chunk of kind k that fits in count, resuming the scan. */
static uint32_t drain_fit(struct pa_zone *z, struct per_cpu_pages *pcp,
			  int count, int k, struct drain_scan *d,
			  unsigned *order, unsigned *mt)
{
	for (; d->o[k] >= 0; d->o[k]--, d->m[k] = 0) {
		if ((1 << d->o[k]) > count)
			continue;
		for (; d->m[k] < PA_MT_PCPTYPES; d->m[k]++) {
			uint32_t pfn = drain_candidate(z, pcp, d->o[k], d->m[k], k);

			if (pfn != PA_NIL) {
				*order = (unsigned)d->o[k];
				*mt = d->m[k];
				return pfn;
			}
		}
	}
	return PA_NIL;
}

/* Nothing fits: the smallest chunk, a cached one before an owned one of
 * its order. */
static uint32_t drain_smallest(struct pa_zone *z, struct per_cpu_pages *pcp,
			       unsigned *order, unsigned *mt)
{
	for (int o = 0; o <= (int)z->pb_order; o++)
		for (int k = 0; k < 2; k++)
			for (unsigned m = 0; m < PA_MT_PCPTYPES; m++) {
				uint32_t pfn = drain_candidate(z, pcp, o, m, k);

				if (pfn != PA_NIL) {
					*order = (unsigned)o;
					*mt = m;
					return pfn;
				}
			}
	return PA_NIL;
}

static uint32_t drain_pick(struct pa_zone *z, struct per_cpu_pages *pcp,
			   int count, struct drain_scan *d, unsigned *order,
			   unsigned *mt)
{
	uint32_t pfn = drain_fit(z, pcp, count, 0, d, order, mt);

	if (pfn == PA_NIL)
		pfn = drain_fit(z, pcp, count, 1, d, order, mt);
	if (pfn == PA_NIL)
		pfn = drain_smallest(z, pcp, order, mt);
	return pfn;
}

static bool pcpb_drain(struct pa_zone *z, unsigned cpu, int count,
		       unsigned start, bool trylock)
{
	(void)start; /* picks by size, not round-robin */
	struct per_cpu_pages *pcp = &z->pcp[cpu];

	pcpb_absorb(z, cpu);
	if (count > pcp->count)
		count = pcp->count;
	if (count <= 0)
		return true;
	merge_pass(z, pcp);
	if (!zone_lock_gfp(z, trylock ? PA_GFP_NOLOCK : 0))
		return false;
	uint64_t moved = 0;
	struct drain_scan scan;

	drain_scan_reset(z, &scan);
	while (count > 0) {
		unsigned order, mt;
		uint32_t pfn = drain_pick(z, pcp, count, &scan, &order, &mt);

		if (pfn == PA_NIL)
			break;
		count -= 1 << order;
		moved += drain_chunk(z, cpu, pfn, order, mt);
	}
	zone_count(z, PAGES_DRAIN, moved);
	zone_count_moved(z, moved);
	zone_unlock(z);
	pcp_count(pcp, DRAINS, 1);
	return true;
}

/*
 * Free routing.  Our own blocks and zone-owned pages go to our pageset
 * (trylock); another CPU's blocks go onto that CPU's remote list without
 * touching its lock.  -EAGAIN: the caller frees to the zone.
 */
int pcpb_push_remote(struct pa_zone *z, unsigned owner_cpu, uint32_t pfn,
		     unsigned order)
{
	struct per_cpu_pages *rp = &z->pcp[owner_cpu];

	if (__atomic_load_n(&rp->flags, __ATOMIC_ACQUIRE) & PCPF_DEAD)
		return -EAGAIN;
	llist_push(z->pages, &rp->remote_head, &rp->remote_pages, pfn, order);
	zone_count_shared(z, PCPB_REMOTE_PUSHED, 1ull << order);
	zone_count_shared(z, REMOTE_FREE_CALLS, 1); /* a free, done now */
	return 1; /* pushed */
}

/* CPU offline, after the pageset is drained: detach every owned-block
 * entry one by one (reinitialising a list head with entries still linked
 * would leave them pointing into a dead list) and disown those blocks, so
 * frees of their pages are cached by live pagesets.  A block of ours with
 * no free page anywhere is on no list: it stays ours until its pages come
 * back and it merges whole in the zone (pcpb_pageblock_whole), with no
 * walk over the zone here. */
static void pcpb_offline(struct pa_zone *z, unsigned cpu)
{
	struct pcp_owned *ow = z->pcp[cpu].owned;

	zone_lock(z);
	for (unsigned m = 0; m < PA_MT_PCPTYPES; m++)
		while (owned_head(ow, m) != PA_NIL)
			disown(z, owned_head(ow, m));
	zone_unlock(z);
}

/* Is chunk pfn among the first merge_new[o][m] entries of lists[o][m]? */
static bool in_merge_window(const struct pa_zone *z,
			    const struct per_cpu_pages *pcp, unsigned o,
			    unsigned m, uint32_t pfn)
{
	const struct pfn_list *l = &pcp->lists[o][m];
	uint32_t p = l->head;

	for (uint32_t i = 0; i < pcp->merge_new[o][m] && p != PA_NIL; i++) {
		if (p == pfn)
			return true;
		p = z->pages[p].next;
		if (p == l->head)
			break;
	}
	return false;
}

/*
 * One chunk on CPU c's lists[o][m]: a pcp-buddy chunk must be of a block
 * c owns; and what merge_order's window relies on, every pair of owned
 * buddies keeping a chunk among the first merge_new entries of its list
 * (a pair with both outside would never merge).  Pairs are disjoint and
 * each holds a new chunk, so the window test costs at most the windows
 * squared.
 */
static const char *check_pageset_chunk(const struct pa_zone *z, unsigned c,
				       unsigned o, unsigned m, uint32_t pfn,
				       char *buf, size_t len)
{
	const struct per_cpu_pages *pcp = &z->pcp[c];
	const uint16_t want = PG_STATE(PG_PCP | PG_PCPBUDDY, o);
	uint32_t buddy = pfn ^ (1u << o);

	if ((page_flags(&z->pages[pfn]) & PG_PCPBUDDY) &&
	    pb_owner(pfn_pb(z, pfn)) != c + 1) {
		snprintf(buf, len, "cpu %u caches pcp-buddy pfn %u of a block owned by %u",
			 c, pfn, pb_owner(pfn_pb(z, pfn)));
		return buf;
	}
	if (o < z->pb_order && pfn < buddy && buddy < z->nr_pages &&
	    page_state(&z->pages[pfn]) == want &&
	    page_state(&z->pages[buddy]) == want &&
	    !in_merge_window(z, pcp, o, m, pfn) &&
	    !in_merge_window(z, pcp, o, page_mt(&z->pages[buddy]), buddy)) {
		snprintf(buf, len, "cpu %u: buddies %u and %u (order %u) both outside the merge pass's window",
			 c, pfn, buddy, o);
		return buf;
	}
	return NULL;
}

/* No pageblock entirely free in the zone keeps an owner. */
static const char *check_free_owned(struct pa_zone *z, char *buf, size_t len)
{
	for (uint64_t b = 0; b < z->nr_pageblocks; b++)
		if (pb_owner(&z->pb[b]) && z->pb[b].nr_free == pb_nr_pages(z)) {
			snprintf(buf, len, "pageblock %llu is entirely free in the zone but owned by cpu %u",
				 (unsigned long long)b, pb_owner(&z->pb[b]) - 1);
			return buf;
		}
	return NULL;
}

/* CPU c's remote list: well formed, every entry on it, its count right;
 * its pages into *remote. */
static const char *check_remote_list(struct pa_zone *z, unsigned c, char *buf,
				     size_t len, uint64_t *remote)
{
	struct per_cpu_pages *pcp = &z->pcp[c];
	uint64_t n = 0, guard = z->nr_pages + 1;

	for (uint32_t pfn = pcp->remote_head; pfn != PA_NIL;
	     pfn = z->pages[pfn].lnext) {
		if (pfn >= z->nr_pages || !guard--) {
			snprintf(buf, len, "cpu %u: remote list corrupt", c);
			return buf;
		}
		if (page_flags(&z->pages[pfn]) != PG_LLIST) {
			snprintf(buf, len, "cpu %u: remote list pfn %u has state 0x%x",
				 c, pfn, page_state(&z->pages[pfn]));
			return buf;
		}
		n += 1ull << page_order(&z->pages[pfn]);
	}
	if (n != STAT_LOAD(pcp->remote_pages)) {
		snprintf(buf, len, "cpu %u: remote list holds %llu pages, counter %llu",
			 c, (unsigned long long)n,
			 (unsigned long long)STAT_LOAD(pcp->remote_pages));
		return buf;
	}
	*remote += n;
	return NULL;
}

/* CPU c's owned list of type m: a ring of pageblocks c owns, of type m. */
static const char *check_owned_list(struct pa_zone *z, unsigned c, unsigned m,
				    char *buf, size_t len)
{
	uint32_t b = owned_head(z->pcp[c].owned, m), first = b;
	uint64_t guard = z->nr_pageblocks + 1;

	if (b == PA_NIL)
		return NULL;
	do {
		const struct pb_link *l = &z->pb_links[b];

		if (!l->listed || l->cpu != c || l->mt != m || !guard--) {
			snprintf(buf, len, "cpu %u: owned list %u entry %u inconsistent",
				 c, m, b);
			return buf;
		}
		if (pb_owner(&z->pb[b]) != c + 1) {
			snprintf(buf, len, "cpu %u: owned list holds pageblock %u owned by %u",
				 c, b, pb_owner(&z->pb[b]));
			return buf;
		}
		if (pb_mt(&z->pb[b]) != m) {
			snprintf(buf, len, "cpu %u: owned %s list holds pageblock %u of type %s",
				 c, pa_migratetype_name(m), b,
				 pa_migratetype_name(pb_mt(&z->pb[b])));
			return buf;
		}
		b = l->next;
	} while (b != first);
	return NULL;
}

/* Every chunk on CPU c's pageset lists (check_pageset_chunk). */
static const char *check_pageset_lists(struct pa_zone *z, unsigned c,
				       char *buf, size_t len)
{
	for (unsigned o = 0; o <= z->pb_order; o++)
		for (unsigned m = 0; m < PA_MT_PCPTYPES; m++) {
			const struct pfn_list *l = &z->pcp[c].lists[o][m];
			uint32_t pfn = l->head;

			if (pfn_list_empty(l))
				continue;
			do {
				if (check_pageset_chunk(z, c, o, m, pfn, buf, len))
					return buf;
				pfn = z->pages[pfn].next;
			} while (pfn != l->head);
		}
	return NULL;
}

/* pa_check's part: owned lists, remote lists, PCPBUDDY ownership and
 * the merge window.  Returns a message or NULL; *remote gets pages on
 * remote lists. */
static const char *pcpb_check(struct pa_zone *z, char *buf, size_t len,
			      uint64_t *remote)
{
	const char *m;

	*remote = 0;
	if ((m = check_free_owned(z, buf, len)))
		return m;
	for (unsigned c = 0; c < z->ncpus; c++) {
		if ((m = check_remote_list(z, c, buf, len, remote)))
			return m;
		for (unsigned t = 0; t < PA_MT_PCPTYPES; t++)
			if ((m = check_owned_list(z, c, t, buf, len)))
				return m;
		if ((m = check_pageset_lists(z, c, buf, len)))
			return m;
	}
	return NULL;
}

/* pcp_release_range: the remote list first (absorb sends pages of
 * isolated blocks to the zone), then the pageset's own lists. */
static void pcpb_release_range(struct pa_zone *z, unsigned cpu, uint64_t start,
			       uint64_t end)
{
	pcpb_absorb(z, cpu);
	pcp_release_range_lists(z, cpu, start, end);
}

static uint64_t pcpb_metadata_bytes(const struct pa_zone *z)
{
	return (z->max_pages >> z->pb_order) * sizeof(struct pb_link);
}

/* What pcpbuddy and spb share: everything but the free-list layout, the
 * searches and spb's own state. */
#define PCPBUDDY_OPS \
	.pcp_take = pcpb_take, \
	.pcp_refill = pcpb_refill, \
	.pcp_drain = pcpb_drain, \
	.pcp_absorb = pcpb_absorb, \
	.cpu_offline = pcpb_offline, \
	.pcp_release_range = pcpb_release_range, \
	.pageblock_whole = pcpb_pageblock_whole, \
	.pageblock_retyped = pcpb_pageblock_retyped, \
	.zone_fallback = rmqueue_fallback, \
	.check = pcpb_check

const struct pa_policy_ops pa_policy_pcpbuddy = {
	.name = "pcpbuddy",
	.flags = POL_PCP_ALL_ORDERS | POL_OWNED_BLOCKS | POL_SPARE_SCARCE |
		 POL_FALLBACK_TAINTED,
	.fa_part_shift = fa_whole_zone,
	.pcp_take_pageblock = pcpb_take_pageblock,
	.init = pcpb_init,
	.destroy = pcpb_destroy,
	.metadata_bytes = pcpb_metadata_bytes,
	PCPBUDDY_OPS,
};

/* spb's state: pcpbuddy's, plus the defragmentation worker's. */
static int spb_policy_init(struct pa_zone *z)
{
	int r = pcpb_init(z);

	return r ? r : spb_defrag_init(z);
}

static void spb_policy_destroy(struct pa_zone *z)
{
	spb_defrag_destroy(z);
	pcpb_destroy(z);
}

static uint64_t spb_policy_metadata_bytes(const struct pa_zone *z)
{
	return pcpb_metadata_bytes(z) + spb_defrag_bytes(z);
}

/* spb (spb_steer.h): pcpbuddy with free lists per superpageblock, the
 * zone's search and Phase 1's pick steered by superpageblock. */
const struct pa_policy_ops pa_policy_spb = {
	.name = "spb",
	.flags = POL_PCP_ALL_ORDERS | POL_OWNED_BLOCKS | POL_SPB_LISTS |
		 POL_NOFRAG_RULE,
	.fa_part_shift = spb_part_shift,
	.pcp_take_pageblock = spb_take_pageblock,
	.pcp_adopt_pageblock = spb_adopt_pageblock,
	.zone_rmqueue = spb_rmqueue,
	.init = spb_policy_init,
	.destroy = spb_policy_destroy,
	.metadata_bytes = spb_policy_metadata_bytes,
	.evacuate_for_order = spb_evacuate_for_order,
	.background = spb_defrag_background,
	.contig_take = spb_contig_take,
	.contig_region = spb_contig_region,
	PCPBUDDY_OPS,
};
