/* SPDX-License-Identifier: MIT */
/*
 * Slab shrinking driven by superpageblock (SPB) pressure, with a proactive
 * high-water trigger (the series' v1 30, 32): a tainted SPB that holds
 * reclaimable pageblocks and has fewer free pageblocks than its high water
 * (twice the defragmentation stop threshold, so shrinking starts before
 * defragmentation has to) asks the shrinkers for reclaimable pages in its
 * own pfn range, enough to get back to the high water.  A shrink that
 * freed nothing waits out the same 5 s cooldown as the worker.
 */
#include "spb_defrag.h"
#include "buddy.h"
#include "zone.h"

uint32_t spb_shrink_high_water(const struct superpageblock *s)
{
	uint32_t hw = 2 * (2 + spb_reserve_pageblocks(s->nr_pageblocks));

	return hw < s->nr_pageblocks ? hw : s->nr_pageblocks;
}

bool spb_shrink_wanted(const struct superpageblock *s)
{
	return s->category == SPB_TAINTED &&
	       s->nr_has[__builtin_ctz(PB_HAS_RECLAIMABLE)] &&
	       s->nr_free_pb < spb_shrink_high_water(s);
}

/* The request for SPB i: pages short of the high water and its range.
 * false when it is no longer wanted or cools down.  zone->lock held. */
static bool shrink_request(struct pa_zone *z, uint64_t i, uint64_t now_ns,
			   uint64_t *pages, struct pa_shrink_control *sc)
{
	const struct superpageblock *s = spb_get(z, i);
	uint64_t start = i << z->spb_order;

	if (!spb_shrink_wanted(s) ||
	    now_ns < z->spb_defrag->spb[i].shrink_until_ns)
		return false;
	*pages = (uint64_t)(spb_shrink_high_water(s) - s->nr_free_pb) << z->pb_order;
	sc->migratetype = PA_MT_RECLAIMABLE;
	sc->pfn_start = start;
	sc->pfn_end = start + ((uint64_t)s->nr_pageblocks << z->pb_order);
	return true;
}

uint64_t spb_shrink_one(struct pa_zone *z, uint64_t i, uint64_t now_ns)
{
	struct pa_shrink_control sc = { 0 };
	uint64_t pages = 0;
	int64_t got;
	bool go;

	if (!reclaim_has_shrinkers(z))
		return 0;
	zone_lock(z);
	go = shrink_request(z, i, now_ns, &pages, &sc);
	zone_unlock(z);
	if (!go)
		return 0;
	got = pa_reclaim(z, pages, &sc);
	if (got < 0)
		got = 0;
	zone_count_shared(z, SPB_SHRINK_CALLS, 1);
	zone_count_shared(z, SPB_SHRINK_PAGES, (uint64_t)got);
	zone_lock(z);
	z->spb_defrag->spb[i].shrink_until_ns =
		got ? 0 : now_ns + SPB_DEFRAG_COOLDOWN_NS;
	zone_unlock(z);
	return (uint64_t)got;
}
