/* SPDX-License-Identifier: MIT */
/*
 * Counters and fragmentation figures.  Counters are per-CPU or zone-level,
 * each written under the lock that protects it and read here with relaxed
 * loads, so pa_stats never stops the allocator.
 */
#include <string.h>

#include "zone.h"

static uint64_t pcp_total_pages(const struct pa_zone *z)
{
	uint64_t n = 0;

	for (unsigned c = 0; z->use_pcp && c < z->ncpus; c++)
		n += (uint64_t)STAT_LOAD(z->pcp[c].count) +
		     STAT_LOAD(z->pcp[c].remote_pages);
	return n;
}

void pa_stats(struct pa_zone *z, struct pa_stats *s)
{
	double npt = pa_clock_ns_per_tick(z->t0_clock, z->t0_ns);

	memset(s, 0, sizeof(*s));
	s->managed_pages = z->nr_pages;
	s->free_pages = STAT_LOAD(z->free_pages);
	/* frees the nolock API deferred are free, waiting for zone->lock */
	s->pcp_pages = pcp_total_pages(z) + STAT_LOAD(z->llist_pages);
	uint64_t used = s->free_pages + s->pcp_pages;

	s->allocated_pages = used > z->nr_pages ? 0 : z->nr_pages - used;
	s->metadata_bytes = z->pages_map_bytes + z->pb_map_bytes +
			    fa_metadata_bytes(z);
	if (z->use_pcp && z->ops->metadata_bytes)
		s->metadata_bytes += z->ops->metadata_bytes(z);
	s->nr_pageblocks = z->nr_pageblocks;

	pa_lock_read(&z->lock, npt, &s->zone_lock);
	s->zone_pages_refill = STAT_LOAD(z->pages_refill);
	s->zone_pages_drain = STAT_LOAD(z->pages_drain);
	s->zone_pages_direct_alloc = STAT_LOAD(z->pages_direct_alloc);
	s->zone_pages_direct_free = STAT_LOAD(z->pages_direct_free);
	s->zone_lock_max_pages = STAT_LOAD(z->max_pages_per_hold);
	s->zone_blocks_moved = STAT_LOAD(z->blocks_moved);
	s->alloc_failed = STAT_LOAD(z->alloc_failed);
	s->bad_frees = STAT_LOAD(z->bad_frees);
	s->nolock_deferred_frees = STAT_LOAD(z->nolock_deferred);
	s->nolock_alloc_failed = STAT_LOAD(z->nolock_alloc_failed);

	/* pages allocated = handed out by per-CPU lists + straight from the
	 * zone; the zone's direct counts include the llist drains (frees). */
	s->pgalloc = s->zone_pages_direct_alloc;
	s->pgfree = s->zone_pages_direct_free;
	for (unsigned c = 0; z->use_pcp && c < z->ncpus; c++) {
		const struct per_cpu_pages *pcp = &z->pcp[c];
		struct pa_lock_stats ls;

		pa_lock_read(&pcp->lock, npt, &ls);
		pa_lock_stats_add(&s->pcp_lock, &ls);
		s->pcp_alloc_hit += STAT_LOAD(pcp->st.alloc_hit);
		s->pcp_alloc_miss += STAT_LOAD(pcp->st.alloc_miss);
		s->pcp_refills += STAT_LOAD(pcp->st.refills);
		s->pcp_drains += STAT_LOAD(pcp->st.drains);
		s->pcp_trylock_fallback_alloc += STAT_LOAD(pcp->st.fallback_alloc);
		s->pcp_trylock_fallback_free += STAT_LOAD(pcp->st.fallback_free);
		s->pgalloc += STAT_LOAD(pcp->st.pgalloc);
		s->pgfree += STAT_LOAD(pcp->st.pgfree);
		s->alloc_calls += STAT_LOAD(pcp->st.alloc_calls);
		s->free_calls += STAT_LOAD(pcp->st.free_calls);
	}
	s->alloc_calls += STAT_LOAD(z->direct_alloc_calls);
	s->free_calls += STAT_LOAD(z->direct_free_calls);
	/* a free pushed to its owner's remote list is done when pushed */
	s->free_calls += STAT_LOAD(z->remote_free_calls);
	s->pgfree += STAT_LOAD(z->pcpb_remote_pushed);

	s->extfrag_fallbacks = STAT_LOAD(z->extfrag_fallbacks);
	s->extfrag_fragmenting = STAT_LOAD(z->extfrag_fragmenting);
	s->blocks_claimed = STAT_LOAD(z->blocks_claimed);
	s->highatomic_blocks = STAT_LOAD(z->nr_reserved_highatomic) >> z->pb_order;
	s->pcpb_blocks_claimed = STAT_LOAD(z->pcpb_blocks_claimed);
	s->pcpb_blocks_disowned = STAT_LOAD(z->pcpb_blocks_disowned);
	s->pcpb_merges = STAT_LOAD(z->pcpb_merges);
	s->pcpb_remote_pushed = STAT_LOAD(z->pcpb_remote_pushed);
	s->pcpb_remote_absorbed = STAT_LOAD(z->pcpb_remote_absorbed);
	for (int i = 0; i < 4; i++)
		s->pcpb_phase[i] = STAT_LOAD(z->pcpb_phase[i]);
	s->pcpb_phase0_pages = STAT_LOAD(z->pcpb_phase0_pages);
	s->pcpb_phase0_scanned = STAT_LOAD(z->pcpb_phase0_scanned);
	s->pgmigrate_success = STAT_LOAD(z->pgmigrate_success);
	s->pgmigrate_fail = STAT_LOAD(z->pgmigrate_fail);
	s->wmark_min = z->wmark_min;
	s->wmark_low = z->wmark_low;
	s->wmark_high = z->wmark_high;
}

#define ZERO(x) __atomic_store_n(&(x), 0, __ATOMIC_RELAXED)

void pa_stats_reset(struct pa_zone *z)
{
	pa_lock_stats_reset(&z->lock);
	ZERO(z->pages_refill);
	ZERO(z->pages_drain);
	ZERO(z->pages_direct_alloc);
	ZERO(z->pages_direct_free);
	ZERO(z->max_pages_per_hold);
	ZERO(z->direct_alloc_calls);
	ZERO(z->direct_free_calls);
	ZERO(z->blocks_moved);
	ZERO(z->extfrag_fallbacks);
	ZERO(z->extfrag_fragmenting);
	ZERO(z->blocks_claimed);
	ZERO(z->pgmigrate_success);
	ZERO(z->pgmigrate_fail);
	ZERO(z->pcpb_blocks_claimed);
	ZERO(z->pcpb_blocks_disowned);
	for (int i = 0; i < 4; i++)
		ZERO(z->pcpb_phase[i]);
	ZERO(z->pcpb_phase0_pages);
	ZERO(z->pcpb_phase0_scanned);
	ZERO(z->alloc_failed);
	ZERO(z->bad_frees);
	ZERO(z->nolock_alloc_failed);
	ZERO(z->nolock_deferred);
	ZERO(z->pcpb_merges);
	ZERO(z->pcpb_remote_pushed);
	ZERO(z->pcpb_remote_absorbed);
	ZERO(z->remote_free_calls);
	for (unsigned c = 0; z->use_pcp && c < z->ncpus; c++) {
		struct per_cpu_pages *pcp = &z->pcp[c];

		pa_lock_stats_reset(&pcp->lock);
		memset(&pcp->st, 0, sizeof(pcp->st));
	}
}

static bool pb_mixed(const struct pageblock_data *pb)
{
	unsigned c = __atomic_load_n(&pb->content, __ATOMIC_RELAXED);

	return (c & PB_HAS_MOVABLE) &&
	       (c & (PB_HAS_UNMOVABLE | PB_HAS_RECLAIMABLE));
}

int pa_frag(struct pa_zone *z, struct pa_frag *f)
{
	memset(f, 0, sizeof(*f));
	zone_lock(z);
	uint64_t per_spb = 1ull << (z->spb_order - z->pb_order);
	uint64_t spb_free = 0, spb_tainted = 0, spb_seen = 0;

	f->nr_superpageblocks = z->nr_superpageblocks;
	for (uint64_t b = 0; b < z->nr_pageblocks; b++) {
		const struct pageblock_data *pb = &z->pb[b];
		unsigned mt = pb_mt(pb);
		unsigned c = __atomic_load_n(&pb->content, __ATOMIC_RELAXED);

		f->pageblocks_by_mt[mt]++;
		f->free_by_mt[mt] += pb->nr_free;
		if (pb->nr_free == pb_nr_pages(z)) {
			f->free_whole_pageblocks++;
			f->free_in_whole_pageblocks += pb->nr_free;
			spb_free++;
		}
		if (pb_mixed(pb))
			f->mixed_pageblocks++;
		if (c & (PB_HAS_UNMOVABLE | PB_HAS_RECLAIMABLE))
			spb_tainted = 1;
		if (++spb_seen == per_spb || b + 1 == z->nr_pageblocks) {
			/* a partial last superpageblock never counts as whole */
			if (spb_free == per_spb)
				f->free_whole_superpageblocks++;
			f->tainted_superpageblocks += spb_tainted;
			spb_free = spb_tainted = spb_seen = 0;
		}
	}
	f->free_pages = z->free_pages;
	f->largest_free_order = UINT64_MAX;
	for (int o = (int)z->max_order; o >= 0; o--) {
		uint64_t n = 0;

		for (unsigned m = 0; m < PA_MT_TYPES; m++)
			n += fa_nr_free(z, (unsigned)o, m);
		if (n) {
			f->largest_free_order = (uint64_t)o;
			break;
		}
	}
	zone_unlock(z);
	return 0;
}

uint64_t pa_pageblock_map(struct pa_zone *z, uint64_t first, uint8_t *out,
			  uint64_t n)
{
	if (first >= z->nr_pageblocks)
		return 0;
	if (n > z->nr_pageblocks - first)
		n = z->nr_pageblocks - first;
	zone_lock(z);
	for (uint64_t i = 0; i < n; i++) {
		const struct pageblock_data *pb = &z->pb[first + i];
		uint8_t cell = (uint8_t)pb_mt(pb);

		if (pb->nr_free == pb_nr_pages(z))
			cell |= PA_PB_FREE;
		if (pb_owner(pb))
			cell |= PA_PB_OWNED;
		if (pb_mixed(pb))
			cell |= PA_PB_MIXED;
		out[i] = cell;
	}
	zone_unlock(z);
	return n;
}
