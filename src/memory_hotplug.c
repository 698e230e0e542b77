/* SPDX-License-Identifier: MIT */
/*
 * Memory hotplug: pa_zone_grow onlines pageblocks at the top of the zone,
 * pa_zone_shrink offlines the top range as the kernel's offline_pages
 * does: isolate it, pull back what the pagesets hold of it, migrate its
 * movable blocks out, and once all of it is free take it off the lists
 * for good.  Room for growth is reserved at creation (metadata, free-list
 * partitions, superpageblock summaries and backing are sized for
 * max_pages, all mapped lazily), so a resize never moves anything.
 *
 * A resize holds contig_lock throughout (one isolation at a time, and
 * pa_alloc_contig walks the zone's size) and changes the size under
 * zone->lock; the sizes are stored atomically for the readers outside it.
 * Watermarks and per-CPU batch/high follow the new size afterwards.
 */
#include <errno.h>
#include <sched.h>
#include <sys/mman.h>

#include "buddy.h"
#include "cpu.h"
#include "error.h"
#include "highatomic.h"
#include "isolate.h"
#include "migrate.h"
#include "rseq.h"
#include "watermark.h"

#define OFFLINE_PASSES 5

static bool resize_bytes_ok(struct pa_zone *z, uint64_t bytes,
			    const char *what)
{
	uint64_t block = 1ull << (z->page_shift + z->pb_order);

	if (bytes && !(bytes & (block - 1)))
		return true;
	pa_err(z, -EINVAL, "%s: %llu bytes: need a positive multiple of the pageblock size (%llu bytes)",
	       what, (unsigned long long)bytes, (unsigned long long)block);
	return false;
}

/* The zone is now nr pages: sizes, config, summaries.  zone->lock. */
static void set_size(struct pa_zone *z, uint64_t nr)
{
	uint64_t old_spb = z->nr_superpageblocks;
	uint64_t spb = (nr + (1ull << z->spb_order) - 1) >> z->spb_order;

	__atomic_store_n(&z->nr_pageblocks, nr >> z->pb_order, __ATOMIC_RELAXED);
	__atomic_store_n(&z->nr_superpageblocks, spb, __ATOMIC_RELAXED);
	__atomic_store_n(&z->nr_pages, nr, __ATOMIC_RELAXED);
	z->cfg.bytes = nr << z->page_shift;
	spb_resize(z, old_spb);
}

/* Watermarks and per-CPU sizes for the new size, from what the caller's
 * config asked for (a value it gave stays; a default is recomputed). */
static void resize_tunables(struct pa_zone *z)
{
	int batch, hmin, hmax;

	zone_lock(z);
	z->cfg.min_free_kbytes = z->asked.min_free_kbytes;
	zone_init_watermarks(z);
	zone_unlock(z);
	if (!z->use_pcp)
		return;
	pcp_default_sizes(z, &batch, &hmin, &hmax);
	batch = z->asked.pcp_batch ? (int)z->asked.pcp_batch : batch;
	hmin = z->asked.pcp_high_min ? (int)z->asked.pcp_high_min : hmin;
	hmax = z->asked.pcp_high_max ? (int)z->asked.pcp_high_max : hmax;
	hmax = hmax < hmin ? hmin : hmax;
	z->cfg.pcp_batch = (unsigned)batch;
	z->cfg.pcp_high_min = (unsigned)hmin;
	z->cfg.pcp_high_max = (unsigned)hmax;
	for (unsigned c = 0; c < z->ncpus; c++) {
		struct per_cpu_pages *pcp = &z->pcp[c];

		pcp_lock(z, c);
		pcp->batch = batch;
		pcp->high_min = hmin;
		pcp->high_max = hmax;
		pcp_set_high(pcp, pcp->high < hmin ? hmin :
				  pcp->high > hmax ? hmax : pcp->high);
		pcp_unlock(z, c);
	}
}

/* ---- grow ---- */

/* [start, end) joins the free lists in the largest aligned blocks,
 * merging with free buddies below.  zone->lock held, size already set. */
static void online_pages(struct pa_zone *z, uint64_t start, uint64_t end)
{
	for (uint64_t b = start >> z->pb_order; b < end >> z->pb_order; b++)
		pageblock_online(z, b);
	set_size(z, end);
	for (uint64_t pfn = start; pfn < end;) {
		unsigned o = z->max_order;

		while ((pfn & ((1ull << o) - 1)) || pfn + (1ull << o) > end)
			o--;
		free_one_page(z, (uint32_t)pfn, o);
		pfn += 1ull << o;
	}
	zone_count(z, ONLINED_PAGES, end - start);
}

int pa_zone_grow(struct pa_zone *z, uint64_t bytes)
{
	if (!resize_bytes_ok(z, bytes, "pa_zone_grow"))
		return -EINVAL;
	uint64_t pages = bytes >> z->page_shift;
	int r = 0;

	pa_lock_acquire(&z->contig_lock);
	uint64_t start = z->nr_pages;

	if (pages > z->max_pages - start) {
		r = -ENOSPC;
	} else {
		zone_lock(z);
		online_pages(z, start, start + pages);
		zone_unlock(z);
		resize_tunables(z);
	}
	pa_lock_release(&z->contig_lock);
	if (r)
		pa_err(z, r, "pa_zone_grow: %llu pages more than the %llu max_bytes leaves room for",
		       (unsigned long long)pages,
		       (unsigned long long)(z->max_pages - start));
	return r;
}

/* ---- shrink ---- */

/* The next block head at or after *pfn, below end; its state in *st. */
static bool next_block(const struct pa_zone *z, uint64_t *pfn, uint64_t end,
		       uint16_t *st)
{
	for (; *pfn < end; (*pfn)++)
		if ((*st = page_state(&z->pages[*pfn])))
			return true;
	return false;
}

static bool head_pinned(const struct pa_zone *z, uint64_t pfn, uint16_t st)
{
	unsigned f = st & 0xffu;

	if (!(f & PG_ALLOC) || (f & PG_ISOLATED)) /* free, cached, moving */
		return false;
	return (f & PG_CONTIG) ||
	       !__atomic_load_n(&z->pages[pfn].movable, __ATOMIC_ACQUIRE);
}

/* Does an allocated block that will not move lie in [start, end)?  An
 * allocated block reaching into the range from below counts too: the
 * range cannot be cut out of it.  Racy reads; the range is isolated, so
 * no new allocation lands in it. */
static bool range_pinned(const struct pa_zone *z, uint64_t start, uint64_t end)
{
	uint64_t pfn = start & ~((1ull << z->max_order) - 1);
	uint16_t st;

	for (; next_block(z, &pfn, end, &st); pfn += 1ull << (st >> 8)) {
		bool straddles = pfn < start && pfn + (1ull << (st >> 8)) > start;

		if ((straddles && (st & PG_ALLOC)) ||
		    (pfn >= start && head_pinned(z, pfn, st)))
			return true;
	}
	return false;
}

/* migrate_target_fn: anywhere the allocator finds, which is below the
 * range: the range is on no list it takes from. */
static uint32_t target_below(struct pa_zone *z, void *arg, uint32_t src,
			     unsigned order)
{
	(void)arg;
	return rmqueue(z, cpu_current(z), order, page_mt(&z->pages[src]));
}

/* Move every movable block of the range out; true if a destination was
 * missing. */
static bool migrate_out_of(struct pa_zone *z, uint64_t start, uint64_t end)
{
	struct migrate_result res = { 0 };

	migrate_range(z, start, end, target_below, NULL, &res);
	return res.nomem != 0;
}

/* Entirely free (on the isolate lists): out of the zone.  zone->lock. */
static bool take_offline(struct pa_zone *z, struct pa_isolation *iso)
{
	unsigned o;

	/* every page free, and no free block reaching in from below */
	if (!isolate_range_free(z, iso->start, iso->end - iso->start) ||
	    free_block_covering(z, iso->start, &o) != iso->start)
		return false;
	isolate_release_locked(z, iso, iso->start, iso->end);
	set_size(z, iso->start);
	zone_count(z, OFFLINED_PAGES, iso->end - iso->start);
	return true;
}

/* The highatomic reserve is free memory held for atomic requests, not
 * content that pins the range (isolation refuses a highatomic pageblock):
 * unless something there will not move anyway, the range's reserved
 * pageblocks go back to Movable first, their free pages then isolated
 * with the rest. */
static void release_highatomic(struct pa_zone *z, uint64_t start, uint64_t end)
{
	if (!STAT_LOAD(z->nr_reserved_highatomic) || range_pinned(z, start, end))
		return;
	zone_lock(z);
	(void)unreserve_highatomic_range(z, start >> z->pb_order,
					 end >> z->pb_order, PA_MT_MOVABLE);
	zone_unlock(z);
}

/* Isolate, empty and take [start, end): 0, -EBUSY, -ENOMEM. */
static int offline_range(struct pa_zone *z, uint64_t start, uint64_t end)
{
	struct pa_isolation iso;
	int r;

	release_highatomic(z, start, end);
	r = isolate_range(z, &iso, start, end);

	if (r)
		return r;
	bool drained = false;

	for (unsigned pass = 0; pass < OFFLINE_PASSES; pass++) {
		bool done;

		zone_lock(z);
		done = take_offline(z, &iso);
		zone_unlock(z);
		if (done)
			return 0;
		if (range_pinned(z, start, end))
			break;
		if (migrate_out_of(z, start, end)) {
			/* destinations come from the zone's lists only: free
			 * pages cached on pagesets below the range count once
			 * they are back (the kernel drains before offlining) */
			if (drained || !z->use_pcp) {
				r = -ENOMEM;
				break;
			}
			pa_drain(z);
			drained = true;
		}
		/* frees that read the old type, a reporter's batch */
		isolate_pull_pcp(z, &iso);
		sched_yield();
	}
	isolate_undo(z, &iso);
	return r ? r : -EBUSY;
}

int pa_zone_shrink(struct pa_zone *z, uint64_t bytes)
{
	if (!resize_bytes_ok(z, bytes, "pa_zone_shrink"))
		return -EINVAL;
	uint64_t pages = bytes >> z->page_shift;
	int r;

	pa_lock_acquire(&z->contig_lock);
	uint64_t end = z->nr_pages;

	if (pages >= end) {
		r = -EINVAL;
	} else {
		r = offline_range(z, end - pages, end);
		/* nobody has these pages now: give the memory back */
		if (!r && z->mem)
			madvise(z->mem + ((end - pages) << z->page_shift),
				(size_t)pages << z->page_shift, MADV_DONTNEED);
		if (!r)
			resize_tunables(z);
	}
	pa_lock_release(&z->contig_lock);
	if (r) {
		zone_count_shared(z, OFFLINE_FAILED, r != -EINVAL);
		pa_err(z, r, "pa_zone_shrink: %llu of %llu pages: %s",
		       (unsigned long long)pages, (unsigned long long)end,
		       r == -EINVAL ? "would leave less than one pageblock" :
		       r == -ENOMEM ? "nowhere to migrate the range's pages to" :
				      "the range holds pages that will not move");
	}
	return r;
}
