/* SPDX-License-Identifier: MIT */
/*
 * Counters and fragmentation figures.  Counters are per-CPU or zone-level,
 * each written under the lock that protects it and read here with relaxed
 * loads, so pa_stats never stops the allocator.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "buddy.h"
#include "error.h"
#include "rseq.h"
#include "zone.h"

static uint64_t pcp_total_pages(const struct pa_zone *z)
{
	uint64_t n = 0;

	for (unsigned c = 0; z->use_pcp && c < z->ncpus; c++)
		n += (uint64_t)STAT_LOAD(z->pcp[c].count) +
		     STAT_LOAD(z->pcp[c].remote_pages) +
		     pcp_stack_pending(z, c, NULL);
	return n;
}

/* Where each counter lands in pa_stats: counters.h's tables turned into
 * word offsets of a pa_stats followed by a spare word for `none`.  A
 * second field is spelled SECOND_<field> so that `none` can be one too;
 * a new second field needs its line here. */
struct stats_sink {
	struct pa_stats s;
	uint64_t none;
};
#define AT_(f) offsetof(struct stats_sink, s.f) / sizeof(uint64_t)
#define SECOND_none offsetof(struct stats_sink, none) / sizeof(uint64_t)
#define SECOND_pgalloc AT_(pgalloc)
#define SECOND_pgfree AT_(pgfree)
#define TARGET_(id, f1, f2) { AT_(f1), SECOND_##f2 },

static const size_t zone_targets[][2] = { PA_ZONE_COUNTERS(TARGET_) };
static const size_t shared_targets[][2] = { PA_SHARED_COUNTERS(TARGET_) };
static const size_t pcp_targets[][2] = { PA_PCP_COUNTERS(TARGET_) };

_Static_assert(sizeof(struct pa_stats) % sizeof(uint64_t) == 0,
	       "pa_stats is an array of uint64_t with lock structs inside");

static void sink(uint64_t *out, const size_t (*targets)[2], const uint64_t *c,
		 unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t v = counter_read(&c[i]);

		out[targets[i][0]] += v;
		out[targets[i][1]] += v;
	}
}

void pa_stats(struct pa_zone *z, struct pa_stats *s)
{
	double npt = pa_clock_ns_per_tick(z->t0_clock, z->t0_ns);
	struct stats_sink out;
	uint64_t *o = (uint64_t *)&out;

	memset(&out, 0, sizeof(out));
	sink(o, zone_targets, z->zc, NR_ZONE_COUNTERS);
	sink(o, shared_targets, z->zs, NR_SHARED_COUNTERS);
	for (unsigned c = 0; z->use_pcp && c < z->ncpus; c++) {
		struct pa_lock_stats ls;

		uint64_t stacked[NR_PCP_COUNTERS] = { 0 };

		sink(o, pcp_targets, z->pcp[c].pc, NR_PCP_COUNTERS);
		pcp_stack_pending(z, c, stacked); /* rseq.h: not folded yet */
		sink(o, pcp_targets, stacked, NR_PCP_COUNTERS);
		pa_lock_read(&z->pcp[c].lock, npt, &ls);
		pa_lock_stats_add(&out.s.pcp_lock, &ls);
	}
	*s = out.s;
	s->managed_pages = STAT_LOAD(z->nr_pages);
	s->free_pages = STAT_LOAD(z->free_pages);
	/* frees the nolock API deferred are free, waiting for zone->lock */
	s->pcp_pages = pcp_total_pages(z) + STAT_LOAD(z->llist_pages);
	uint64_t used = s->free_pages + s->pcp_pages;

	s->allocated_pages = used > STAT_LOAD(z->nr_pages) ? 0 : STAT_LOAD(z->nr_pages) - used;
	s->metadata_bytes = z->pages_map_bytes + z->pb_map_bytes +
			    fa_metadata_bytes(z) + spb_metadata_bytes(z);
	if (z->use_pcp && z->ops->metadata_bytes)
		s->metadata_bytes += z->ops->metadata_bytes(z);
	s->nr_pageblocks = STAT_LOAD(z->nr_pageblocks);
	pa_lock_read(&z->lock, npt, &s->zone_lock);
	s->zone_lock_max_pages = STAT_LOAD(z->max_pages_per_hold);
	s->highatomic_blocks = STAT_LOAD(z->nr_reserved_highatomic) >> z->pb_order;
	s->isolated_pageblocks = STAT_LOAD(z->nr_isolated_pageblocks);
	s->wmark_min = STAT_LOAD(z->wmark_min);
	s->wmark_low = STAT_LOAD(z->wmark_low);
	s->wmark_high = STAT_LOAD(z->wmark_high);
}

static void zero(uint64_t *c, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		__atomic_store_n(&c[i], 0, __ATOMIC_RELAXED);
}

void pa_stats_reset(struct pa_zone *z)
{
	pa_lock_stats_reset(&z->lock);
	__atomic_store_n(&z->max_pages_per_hold, 0, __ATOMIC_RELAXED);
	zero(z->zc, NR_ZONE_COUNTERS);
	zero(z->zs, NR_SHARED_COUNTERS);
	for (unsigned c = 0; z->use_pcp && c < z->ncpus; c++) {
		if (z->fast_stacks) {
			/* fold the stacks' traffic first, so it is reset too */
			pcp_lock(z, c);
			pcp_lock_release(z, &z->pcp[c]);
		}
		pa_lock_stats_reset(&z->pcp[c].lock);
		zero(z->pcp[c].pc, NR_PCP_COUNTERS);
	}
}

static bool pb_mixed(const struct pageblock_data *pb)
{
	unsigned c = __atomic_load_n(&pb->content, __ATOMIC_RELAXED);

	return (c & PB_HAS_MOVABLE) &&
	       (c & (PB_HAS_UNMOVABLE | PB_HAS_RECLAIMABLE));
}

/* From the superpageblock summaries: O(nr_spb), no pageblock walk
 * (pa_check verifies the summaries against one). */
int pa_frag(struct pa_zone *z, struct pa_frag *f)
{
	if (!f) {
		pa_err(z, -EINVAL, "pa_frag: no output (NULL)");
		return -EINVAL;
	}
	struct spb_totals t;

	memset(f, 0, sizeof(*f));
	zone_lock(z);
	spb_totals(z, &t);
	f->nr_superpageblocks = z->nr_superpageblocks;
	for (unsigned m = 0; m < PA_MT_TYPES; m++) {
		f->pageblocks_by_mt[m] = t.by_mt[m];
		f->free_by_mt[m] = t.free_by_mt[m];
	}
	f->free_whole_pageblocks = t.free_pb;
	f->free_in_whole_pageblocks = t.free_pb << z->pb_order;
	f->mixed_pageblocks = t.mixed;
	f->tainted_superpageblocks = t.tainted;
	f->free_whole_superpageblocks = t.whole_free;
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
	if (first >= STAT_LOAD(z->nr_pageblocks))
		return 0;
	if (n > STAT_LOAD(z->nr_pageblocks) - first)
		n = STAT_LOAD(z->nr_pageblocks) - first;
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
