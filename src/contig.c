/* SPDX-License-Identifier: MIT */
/*
 * Contiguous allocation of any power of two up to the zone's size, above
 * max_order too (alloc_contig_pages): walk naturally aligned candidates
 * (of a pageblock or more: the few with the most free pages by the
 * pageblock counts first, where the kernel takes the zone's first that
 * works), reject cheaply those holding blocks that cannot move (pageblock
 * types and content bits, then the block heads), isolate the pageblocks around
 * the first that may work, migrate its movable blocks out (destinations
 * come from the ordinary free lists, which the isolated range is not on),
 * and take it.  Any failure undoes the isolation: every moved block's
 * contents are intact at its new place and the accounting is unchanged.
 *
 * A range is handed out as pieces of at most max_order pages, each an
 * allocated head with PG_CONTIG (so pa_free refuses them), the first
 * piece's lnext holding CONTIG_TAG | log2(pages) so pa_free_contig can
 * tell a range's start from a piece inside it.
 */
#include <errno.h>
#include <string.h>

#include "buddy.h"
#include "cpu.h"
#include "error.h"
#include "isolate.h"
#include "migrate.h"

#define CONTIG_TAG 0xc0de0000u
#define CONTIG_PASSES 5
#define CONTIG_BEST_TRIES 4   /* emptiest candidates tried before the walk */

struct contig_try {
	uint64_t pfn, nr;             /* the candidate */
	unsigned order, mt, cpu;
	bool nomem;                   /* a destination could not be found */
	uint64_t dst_part;            /* free-list partition of the last
	                               * destination the allocator chose */
	bool has_dst_part;
};

static unsigned ilog2_u64(uint64_t v)
{
	return 63u - (unsigned)__builtin_clzll(v);
}

static unsigned piece_order(const struct pa_zone *z, unsigned order)
{
	return order < z->max_order ? order : z->max_order;
}

/* ---- cheap rejection ---- */

/* By pageblock: highatomic and isolated blocks are never taken, and a
 * block not entirely free that has held unmovable or reclaimable memory
 * since it was last free probably still does (content bits are
 * conservative: such a candidate is skipped even if those pages are gone).
 * The candidate's free pages by its pageblocks' counts (racy, a ranking
 * only; a sub-pageblock candidate gets its pageblock's), or -1 if one of
 * them rejects it. */
static int64_t candidate_blocks_free(const struct pa_zone *z, uint64_t pfn,
				     uint64_t nr)
{
	uint64_t first = pfn >> z->pb_order;
	uint64_t last = (pfn + nr - 1) >> z->pb_order;
	int64_t free_pages = 0;

	for (uint64_t b = first; b <= last; b++) {
		const struct pageblock_data *pb = &z->pb[b];
		unsigned mt = pb_mt(pb);
		uint32_t nr_free = STAT_LOAD(pb->nr_free);

		if (mt == PA_MT_HIGHATOMIC || mt == PA_MT_ISOLATE)
			return -1;
		if (nr_free != pb_nr_pages(z) &&
		    (__atomic_load_n(&pb->content, __ATOMIC_RELAXED) &
		     (PB_HAS_UNMOVABLE | PB_HAS_RECLAIMABLE)))
			return -1;
		free_pages += nr_free;
	}
	return free_pages;
}

/* The head of the block holding pfn, whatever its state, or PA_NIL. */
static uint64_t block_head(const struct pa_zone *z, uint64_t pfn)
{
	for (unsigned o = 0; o <= z->max_order; o++) {
		uint64_t head = pfn & ~((1ull << o) - 1);
		uint16_t st = page_state(&z->pages[head]);

		if (st)
			return head + (1ull << (st >> 8)) > pfn ? head : PA_NO_PFN;
	}
	return PA_NO_PFN;
}

/* Is a block head allocated and immovable (not movable-marked, or a
 * contiguous piece)?  Free, cached and in-flight blocks may go. */
static bool head_pins(const struct pa_zone *z, uint64_t pfn)
{
	const struct pa_page *p = &z->pages[pfn];
	unsigned f = page_flags(p);

	if (!(f & PG_ALLOC))
		return false;
	return (f & PG_CONTIG) || !__atomic_load_n(&p->movable, __ATOMIC_RELAXED);
}

/* By block heads, racily: any allocated block that will not move. */
static bool candidate_pages_ok(const struct pa_zone *z, uint64_t pfn,
			       uint64_t nr)
{
	uint64_t head = block_head(z, pfn);

	if (head != PA_NO_PFN && head < pfn && head_pins(z, head))
		return false;
	for (uint64_t p = pfn; p < pfn + nr;) {
		uint16_t st = page_state(&z->pages[p]);

		if (!st) {
			p++;
			continue;
		}
		if (head_pins(z, p))
			return false;
		p += 1ull << (st >> 8);
	}
	return true;
}

/* ---- migrating a candidate empty ---- */

/* migrate_target_fn: a block of the source's order and type from the
 * free-list partition the allocator chose for the previous destination
 * (one list look-up: under spb the full steered search costs three times
 * what the rest of a page's move does, and would choose the same
 * superpageblock again), else the zone's allocator, fallback included.
 * The isolated range is on no list either takes from. */
static uint32_t target_anywhere(struct pa_zone *z, void *arg, uint32_t src,
				unsigned order)
{
	struct contig_try *t = arg;
	unsigned mt = page_mt(&z->pages[src]);
	uint32_t pfn = t->has_dst_part ?
		       fa_part_first(z, t->dst_part, order, mt) : PA_NIL;

	if (pfn != PA_NIL) {
		take_free_block(z, pfn, order, mt, pfn, order);
		return pfn;
	}
	pfn = rmqueue(z, t->cpu, order, mt);
	if (pfn != PA_NIL) {
		t->dst_part = fa_part_of(z, pfn);
		t->has_dst_part = true;
	}
	return pfn;
}

/* One pass over the candidate: every movable block in it, in batches. */
static void migrate_out(struct pa_zone *z, struct contig_try *t)
{
	struct migrate_result res = { 0 };
	uint64_t head = block_head(z, t->pfn), p = t->pfn;

	if (head != PA_NO_PFN && head < t->pfn)
		p = head;
	migrate_range(z, p, t->pfn + t->nr, target_anywhere, t, &res);
	if (res.nomem)
		t->nomem = true;
}

/* Mark the taken range allocated.  Whole pageblocks it covers take the
 * range's migratetype, so that a piece spanning several is of one type
 * when it is freed (free-list hygiene).  zone->lock held. */
static void take_pieces(struct pa_zone *z, const struct contig_try *t)
{
	unsigned po = piece_order(z, t->order);

	if (t->nr >= pb_nr_pages(z))
		for (uint64_t b = t->pfn >> z->pb_order;
		     b < (t->pfn + t->nr) >> z->pb_order; b++)
			pageblock_set_type(z, b, t->mt);

	for (uint64_t p = t->pfn; p < t->pfn + t->nr; p += 1ull << po) {
		set_page_mt(&z->pages[p], t->mt);
		z->pages[p].movable = 0;
		z->pages[p].lnext = PA_NIL;
		set_page_state(&z->pages[p], PG_STATE(PG_ALLOC | PG_CONTIG, po));
		pageblock_mark_content(z, p, po, t->mt);
	}
	z->pages[t->pfn].lnext = CONTIG_TAG | t->order;
	/* SPBs handed out whole leave every SPB search until freed */
	spb_set_contig(z, t->pfn, t->nr, true);
	zone_count(z, PAGES_DIRECT_ALLOC, t->nr);
	zone_count(z, DIRECT_ALLOC_CALLS, 1);
	zone_count_moved(z, t->nr);
}

/* Isolate, migrate out (a few passes: frees racing the isolation may
 * have cached pages, owners may refuse for a moment), take or undo.
 * The caller has just found the pages movable (candidate_pages_ok).
 * 0, -EBUSY, -ENOMEM. */
static int try_candidate(struct pa_zone *z, struct contig_try *t)
{
	struct pa_isolation iso;
	uint64_t start = t->pfn & ~(pb_nr_pages(z) - 1);
	uint64_t end = (t->pfn + t->nr + pb_nr_pages(z) - 1) & ~(pb_nr_pages(z) - 1);
	int r = isolate_range(z, &iso, start, end);

	if (r)
		return r;
	for (unsigned pass = 0; pass < CONTIG_PASSES; pass++) {
		bool done;

		zone_lock(z);
		done = isolate_range_free(z, t->pfn, t->nr);
		if (done) {
			isolate_release_locked(z, &iso, t->pfn, t->pfn + t->nr);
			take_pieces(z, t);
		}
		zone_unlock(z);
		if (done)
			return 0;
		/* the caller checked the pages just before the first pass */
		if ((pass && !candidate_pages_ok(z, t->pfn, t->nr)) || t->nomem)
			break;
		migrate_out(z, t);
		isolate_pull_pcp(z, &iso);
	}
	isolate_undo(z, &iso);
	return t->nomem ? -ENOMEM : -EBUSY;
}

/* Without migration: a free block of the order straight off the lists,
 * under gfp's rule. */
static bool take_free_block_of_order(struct pa_zone *z, struct contig_try *t,
				     unsigned gfp)
{
	if (t->order > z->max_order)
		return false;
	zone_lock(z);
	uint32_t pfn = rmqueue_gfp(z, t->cpu, t->order, t->mt, gfp);

	if (pfn != PA_NIL) {
		t->pfn = pfn;
		take_pieces(z, t);
	}
	zone_unlock(z);
	return pfn != PA_NIL;
}

/* The policy's own first choice (contig_take), if it has one. */
static bool take_from_policy(struct pa_zone *z, struct contig_try *t,
			     unsigned gfp)
{
	uint32_t pfn = PA_NIL;

	if (!z->ops->contig_take)
		return false;
	zone_lock(z);
	pfn = z->ops->contig_take(z, t->order, t->mt, gfp);
	if (pfn != PA_NIL) {
		t->pfn = pfn;
		take_pieces(z, t);
	}
	zone_unlock(z);
	return pfn != PA_NIL;
}

/* A free range under gfp's rule, without migrating anything. */
static bool take_free(struct pa_zone *z, struct contig_try *t, unsigned gfp)
{
	return take_from_policy(z, t, gfp) || take_free_block_of_order(z, t, gfp);
}

struct candidate_walk {
	uint64_t start, end;                /* aligned to the request */
	uint64_t tried[CONTIG_BEST_TRIES];  /* by the best-first round */
	unsigned nr_tried;
	int err;                            /* -EBUSY, or -ENOMEM seen */
};

static bool walk_tried(const struct candidate_walk *w, uint64_t pfn)
{
	for (unsigned k = 0; k < w->nr_tried; k++)
		if (w->tried[k] == pfn)
			return true;
	return false;
}

/* The candidate passing the page checks, isolated, migrated empty and
 * taken?  Remembers an -ENOMEM. */
static bool try_at(struct pa_zone *z, struct contig_try *t,
		   struct candidate_walk *w, uint64_t pfn)
{
	if (!candidate_pages_ok(z, pfn, t->nr))
		return false;
	t->pfn = pfn;
	t->nomem = false;
	int r = try_candidate(z, t);

	if (r == -ENOMEM)
		w->err = r;
	return !r;
}

/* The untried candidate of at least a pageblock with the most free pages
 * by the pageblock counts (the fewest to migrate), lowest first among
 * equals; PA_NO_PFN when every one is rejected. */
static uint64_t emptiest_candidate(const struct pa_zone *z,
				   const struct contig_try *t,
				   const struct candidate_walk *w)
{
	uint64_t best = PA_NO_PFN;
	int64_t best_free = -1;

	for (uint64_t pfn = w->start; pfn + t->nr <= w->end; pfn += t->nr) {
		int64_t f = candidate_blocks_free(z, pfn, t->nr);

		if (f > best_free && !walk_tried(w, pfn)) {
			best = pfn;
			best_free = f;
		}
	}
	return best;
}

/* The aligned candidates in [start, end), cheap rejections first: a few
 * emptiest first when they are pageblocks or more (a free or nearly free
 * range elsewhere beats migrating the zone's first candidate empty), then
 * the rest in order.  0, or -EBUSY / -ENOMEM (seen in some candidate). */
static int walk_candidates(struct pa_zone *z, struct contig_try *t,
			   uint64_t start, uint64_t end)
{
	struct candidate_walk w = { .start = (start + t->nr - 1) & ~(t->nr - 1),
				    .end = end, .err = -EBUSY };

	while (t->nr >= pb_nr_pages(z) && w.nr_tried < CONTIG_BEST_TRIES) {
		uint64_t pfn = emptiest_candidate(z, t, &w);

		if (pfn == PA_NO_PFN)
			break;
		if (try_at(z, t, &w, pfn))
			return 0;
		w.tried[w.nr_tried++] = pfn;
	}
	for (uint64_t pfn = w.start; pfn + t->nr <= w.end; pfn += t->nr) {
		if (candidate_blocks_free(z, pfn, t->nr) < 0) {
			/* a smaller candidate: the rest of its pageblock too */
			if (t->nr < pb_nr_pages(z))
				pfn = (pfn | (pb_nr_pages(z) - 1)) + 1 - t->nr;
			continue;
		}
		if (!walk_tried(&w, pfn) && try_at(z, t, &w, pfn))
			return 0;
	}
	return w.err;
}

/* The policy's preferred regions (contig_region), each walked in turn. */
static int walk_policy_regions(struct pa_zone *z, struct contig_try *t)
{
	int err = -EBUSY;

	if (!z->ops->contig_region)
		return err;
	for (uint64_t from = 0, start, end = 0;; from = end) {
		zone_lock(z);
		start = z->ops->contig_region(z, t->order, t->mt, from, &end);
		zone_unlock(z);
		if (start == PA_NO_PFN)
			return err;
		int r = walk_candidates(z, t, start, end);

		if (!r)
			return 0;
		if (r == -ENOMEM)
			err = r;
	}
}

/* Under a policy with a no-fragmentation rule, a non-movable request
 * first keeps it: free ranges the rule allows, then ranges migrated
 * empty where the policy prefers; only then free ranges anywhere and the
 * zone-wide walk. */
static int contig_search(struct pa_zone *z, struct contig_try *t)
{
	bool rule = nofrag_rule_binds(z->pflags, t->mt);
	int err = -EBUSY, r;

	if (rule && take_free(z, t, 0))
		return 0;
	if (!(r = walk_policy_regions(z, t)))
		return 0;
	if (r == -ENOMEM)
		err = r;
	if (take_free(z, t, GFP_MAY_FRAGMENT))
		return 0;
	if (!(r = walk_candidates(z, t, 0, STAT_LOAD(z->nr_pages))))
		return 0;
	return r == -ENOMEM ? r : err;
}

static bool contig_args_ok(const struct pa_zone *z, uint64_t nr_pages)
{
	return nr_pages && !(nr_pages & (nr_pages - 1)) && nr_pages <= STAT_LOAD(z->nr_pages);
}

uint64_t pa_alloc_contig(struct pa_zone *z, uint64_t nr_pages, unsigned gfp)
{
	if (!contig_args_ok(z, nr_pages) || (gfp & ~PA_GFP_MASK) ||
	    (gfp & PA_GFP_NOLOCK)) {
		pa_err(z, -EINVAL,
		       "pa_alloc_contig: %llu pages, gfp 0x%x: need a power of two up to %llu pages, no PA_GFP_NOLOCK",
		       (unsigned long long)nr_pages, gfp,
		       (unsigned long long)STAT_LOAD(z->nr_pages));
		errno = EINVAL;
		return PA_NO_PFN;
	}
	struct contig_try t = { .nr = nr_pages, .order = ilog2_u64(nr_pages),
				.mt = gfp_migratetype(gfp), .cpu = cpu_current(z) };
	int r = -ENOMEM;

	/* pages on per-CPU lists count once they are back in the zone */
	if (STAT_LOAD(z->free_pages) < nr_pages && z->use_pcp)
		pa_drain(z);
	pa_lock_acquire(&z->contig_lock);
	if (STAT_LOAD(z->free_pages) >= nr_pages)
		r = contig_search(z, &t);
	pa_lock_release(&z->contig_lock);
	if (r) {
		zone_count_shared(z, ALLOC_FAILED, 1);
		if (!(gfp & PA_GFP_NOWARN))
			pa_err(z, r, "pa_alloc_contig: no %llu-page range: %s",
			       (unsigned long long)nr_pages,
			       r == -ENOMEM ? "not enough free memory to migrate into"
					    : "every candidate holds pages that will not move");
		errno = -r;
		return PA_NO_PFN;
	}
	if ((gfp & PA_GFP_ZERO) && z->mem)
		memset(z->mem + (t.pfn << z->page_shift), 0,
		       (size_t)nr_pages << z->page_shift);
	return t.pfn;
}

/* Every piece of [pfn, pfn + nr) a live contiguous allocation's? */
static bool contig_range_live(const struct pa_zone *z, uint64_t pfn,
			      uint64_t nr)
{
	unsigned order = ilog2_u64(nr), po = piece_order(z, order);

	if (z->pages[pfn].lnext != (CONTIG_TAG | order))
		return false;
	for (uint64_t p = pfn; p < pfn + nr; p += 1ull << po)
		if (page_state(&z->pages[p]) != PG_STATE(PG_ALLOC | PG_CONTIG, po))
			return false;
	return true;
}

int pa_free_contig(struct pa_zone *z, uint64_t pfn, uint64_t nr_pages)
{
	int r = 0;

	if (!contig_args_ok(z, nr_pages) || pfn >= STAT_LOAD(z->nr_pages) ||
	    (pfn & (nr_pages - 1)) || pfn + nr_pages > STAT_LOAD(z->nr_pages)) {
		r = -EINVAL;
	} else {
		unsigned po = piece_order(z, ilog2_u64(nr_pages));

		pa_lock_acquire(&z->contig_lock);
		if (!contig_range_live(z, pfn, nr_pages)) {
			r = -EINVAL;
		} else {
			zone_lock(z);
			z->pages[pfn].lnext = PA_NIL;
			spb_set_contig(z, pfn, nr_pages, false);
			for (uint64_t p = pfn; p < pfn + nr_pages; p += 1ull << po) {
				set_page_state(&z->pages[p], 0);
				free_one_page(z, (uint32_t)p, po);
			}
			zone_count(z, PAGES_DIRECT_FREE, nr_pages);
			zone_count(z, DIRECT_FREE_CALLS, 1);
			zone_count_moved(z, nr_pages);
			zone_unlock(z);
		}
		pa_lock_release(&z->contig_lock);
	}
	if (r) {
		zone_count_shared(z, BAD_FREES, 1);
		pa_err(z, r, "pa_free_contig: pfn %llu, %llu pages: not a range pa_alloc_contig returned",
		       (unsigned long long)pfn, (unsigned long long)nr_pages);
	}
	return r;
}
