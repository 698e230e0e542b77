/* SPDX-License-Identifier: MIT */
/*
 * The one place the lab reads the zone's internals (src/zone.h): the
 * counters a call changes, so the virtual-time model knows what it did.
 */
#include "opcost.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "policy.h"
#include "zone.h"

void opcost_read(const struct pa_zone *z, struct opcost *o)
{
	o->zone_acq = STAT_LOAD(z->lock.acquisitions);
	o->refilled = counter_read(&z->zc[ZC_PAGES_BULK]);
	o->zone_pages = counter_read(&z->zc[ZC_PAGES_REFILL]) +
			counter_read(&z->zc[ZC_PAGES_DRAIN]) +
			counter_read(&z->zc[ZC_PAGES_DIRECT_ALLOC]) +
			counter_read(&z->zc[ZC_PAGES_DIRECT_FREE]);
	o->zone_blocks = counter_read(&z->zc[ZC_BLOCKS_MOVED]);
	o->merges = counter_read(&z->zc[ZC_BUDDY_MERGES]);
	o->splits = counter_read(&z->zc[ZC_SPLIT_PIECES]);
	o->pb_walked = counter_read(&z->zc[ZC_PB_WALKED]);
	o->remote_pushed = counter_read(&z->zs[ZS_PCPB_REMOTE_PUSHED]);
	o->remote_absorbed = counter_read(&z->zs[ZS_PCPB_REMOTE_ABSORBED]);
	o->free_scanned = counter_read(&z->zs[ZS_COMPACT_FREE_SCANNED]);
	o->compact_runs = counter_read(&z->zs[ZS_COMPACT_RUNS]);
	o->scanned = counter_read(&z->zs[ZS_COMPACT_MIGRATE_SCANNED]) +
		     o->free_scanned;
	o->migrated = counter_read(&z->zs[ZS_PGMIGRATE_SUCCESS]) +
		      counter_read(&z->zs[ZS_PGMIGRATE_FAIL]);
	o->migrated_blocks = counter_read(&z->zs[ZS_PGMIGRATE_BLOCKS]);
}

void opcost_delta(const struct opcost *a, const struct opcost *b,
		  struct opcost *d)
{
	d->zone_acq = a->zone_acq - b->zone_acq;
	d->zone_pages = a->zone_pages - b->zone_pages;
	d->refilled = a->refilled - b->refilled;
	d->zone_blocks = a->zone_blocks - b->zone_blocks;
	d->merges = a->merges - b->merges;
	d->splits = a->splits - b->splits;
	d->pb_walked = a->pb_walked - b->pb_walked;
	d->remote_pushed = a->remote_pushed - b->remote_pushed;
	d->remote_absorbed = a->remote_absorbed - b->remote_absorbed;
	d->scanned = a->scanned - b->scanned;
	d->free_scanned = a->free_scanned - b->free_scanned;
	d->compact_runs = a->compact_runs - b->compact_runs;
	d->migrated = a->migrated - b->migrated;
	d->migrated_blocks = a->migrated_blocks - b->migrated_blocks;
}

bool opcost_page_marked(const struct pa_zone *z, uint64_t pfn)
{
	return pfn < z->nr_pages &&
	       __atomic_load_n(&z->pages[pfn].movable, __ATOMIC_RELAXED) != 0;
}

int opcost_owner(const struct pa_zone *z, uint64_t pfn)
{
	if (pfn >= z->nr_pages)
		return -1;
	return (int)pb_owner(pfn_pb(z, pfn)) - 1;
}

uint64_t opcost_pcp_pages(const struct pa_zone *z, unsigned cpu)
{
	if (!z->use_pcp || cpu >= z->ncpus)
		return 0;
	return (uint64_t)STAT_LOAD(z->pcp[cpu].count) +
	       STAT_LOAD(z->pcp[cpu].remote_pages);
}

uint64_t opcost_pcp_acq(const struct pa_zone *z, unsigned cpu)
{
	if (!z->use_pcp || cpu >= z->ncpus)
		return 0;
	return STAT_LOAD(z->pcp[cpu].lock.acquisitions);
}

uint64_t opcost_pcp_trylock_fails(const struct pa_zone *z, unsigned cpu)
{
	if (!z->use_pcp || cpu >= z->ncpus)
		return 0;
	return __atomic_load_n(&z->pcp[cpu].lock.trylock_fails,
			       __ATOMIC_RELAXED);
}

bool opcost_pcp_hold(struct pa_zone *z, unsigned cpu)
{
	if (!z->use_pcp || cpu >= z->ncpus)
		return false;
	pa_lock_acquire(&z->pcp[cpu].lock);
	return true;
}

void opcost_pcp_unhold(struct pa_zone *z, unsigned cpu)
{
	if (z->use_pcp && cpu < z->ncpus)
		pa_lock_release(&z->pcp[cpu].lock);
}

uint64_t opcost_pcp_passes(const struct pa_zone *z, unsigned cpu,
			   bool order_refills)
{
	const struct per_cpu_pages *pcp;

	if (!z->use_pcp || cpu >= z->ncpus || !(z->pflags & POL_OWNED_BLOCKS))
		return 0;
	pcp = &z->pcp[cpu];
	return counter_read(&pcp->pc[PC_DRAINS]) +
	       (order_refills ? counter_read(&pcp->pc[PC_ALLOC_MISS]) : 0);
}

uint64_t opcost_pcp_walked(const struct pa_zone *z, unsigned cpu)
{
	if (!z->use_pcp || cpu >= z->ncpus || !(z->pflags & POL_OWNED_BLOCKS))
		return 0;
	return counter_read(&z->pcp[cpu].pc[PC_MERGE_WALKED]);
}

uint64_t opcost_pcp_chunks(const struct pa_zone *z, unsigned cpu,
			   bool (*fn)(void *arg, uint32_t pfn, unsigned order),
			   void *arg)
{
	uint64_t n = 0;

	if (!z->use_pcp || cpu >= z->ncpus || !(z->pflags & POL_OWNED_BLOCKS))
		return 0;
	for (unsigned o = 0; o < z->pb_order; o++)
		for (unsigned m = 0; m < PA_MT_PCPTYPES; m++) {
			const struct pfn_list *l = &z->pcp[cpu].lists[o][m];
			uint32_t pfn = l->head;

			if (pfn == PA_NIL)
				continue;
			do {
				n++;
				if (fn && !fn(arg, pfn, o))
					return n;
				pfn = z->pages[pfn].next;
			} while (pfn != l->head);
		}
	return n;
}

uint64_t opcost_pcp_refilled(const struct pa_zone *z, unsigned cpu,
			     unsigned order, unsigned mt, uint64_t pages,
			     void (*fn)(void *arg, uint32_t pfn), void *arg)
{
	if (!z->use_pcp || cpu >= z->ncpus || order >= PA_ORDERS_MAX ||
	    mt >= PA_MT_PCPTYPES)
		return 0;
	const struct pfn_list *l = &z->pcp[cpu].lists[order][mt];
	uint64_t want = pages >> order, n = 0;

	for (uint32_t pfn = pfn_list_last(z->pages, l);
	     n < want && pfn != PA_NIL; n++) {
		if (page_flags(&z->pages[pfn]) & PG_PCPBUDDY)
			break;
		fn(arg, pfn);
		pfn = pfn == l->head ? PA_NIL : z->pages[pfn].prev;
	}
	return n;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

int opcost_prefault(struct pa_zone *z)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t meta = (z->nr_pages * sizeof(struct pa_page) + page - 1) &
		      ~(page - 1);
	size_t pb = (((z->nr_pages >> z->pb_order) + 1) * sizeof(*z->pb) +
		     page - 1) & ~(page - 1);

	if (meta > z->pages_map_bytes)
		meta = z->pages_map_bytes;
	if (pb > z->pb_map_bytes)
		pb = z->pb_map_bytes;
	(void)madvise(z->pages, meta, MADV_HUGEPAGE);
	(void)madvise(z->pb, pb, MADV_HUGEPAGE);
	if (madvise(z->pages, meta, MADV_POPULATE_WRITE) < 0 ||
	    madvise(z->pb, pb, MADV_POPULATE_WRITE) < 0)
		return -errno;
	return 0;
}
