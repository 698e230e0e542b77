/* SPDX-License-Identifier: MIT */
/*
 * The simulator's movable owner (sim_compact.h).  The replay is single
 * threaded and compaction runs from its own calls, so the callbacks need
 * no lock: isolate always agrees, migrate moves the two map entries.
 */
#include <errno.h>
#include <stdlib.h>

#include "sim.h"
#include "sim_compact.h"

/* The reverse map, our pfn -> key + 1 (0: no movable block there), is a
 * flat array over the zone's pages: compaction and the 1 GiB allocations
 * at the end of a full 256 GiB run spent most of their time probing a
 * hash table here.  Keys from 2^32 - 1 up are not tracked, so those
 * blocks are never marked movable. */
static bool owner_isolate(void *arg, uint64_t pfn)
{
	struct sim_policy *p = arg;

	return pfn < p->rev_n && p->rev[pfn];
}

static int owner_migrate(void *arg, uint64_t dst, uint64_t src)
{
	struct sim_policy *p = arg;
	uint32_t v = src < p->rev_n ? p->rev[src] : 0;

	if (!v)
		return -EINVAL;
	if (dst >= p->rev_n)
		return -ENOMEM; /* a page onlined after the start: stays */
	p->rev[dst] = v;
	p->rev[src] = 0;
	struct pfnmap_entry *fwd = pfnmap_find(&p->map, v - 1);

	if (fwd)
		fwd->pfn = (uint32_t)dst;
	/* the copy makes the destination resident: the whole block */
	sim_reporting_touch(p, dst, fwd ? fwd->order : 0);
	return 0;
}

static void owner_putback(void *arg, uint64_t pfn)
{
	(void)arg;
	(void)pfn;
}

static const struct pa_movable_ops sim_owner_ops = {
	owner_isolate, owner_migrate, owner_putback,
};

int sim_owner_init(struct sim_policy *p)
{
	p->rev_n = pa_managed_pages(p->zone);
	/* calloc of this size maps zero pages: only touched ones cost */
	p->rev = calloc(p->rev_n ? p->rev_n : 1, sizeof(*p->rev));
	if (!p->rev)
		return -ENOMEM;
	p->movable_id = pa_register_movable_ops(p->zone, &sim_owner_ops, p);
	return p->movable_id < 0 ? p->movable_id : 0;
}

void sim_owner_destroy(struct sim_policy *p)
{
	free(p->rev);
	p->rev = NULL;
	p->rev_n = 0;
}

void sim_owner_track(struct sim_policy *p, uint64_t key, uint32_t pfn)
{
	if (p->movable_id <= 0 || key >= UINT32_MAX || pfn >= p->rev_n)
		return;
	p->rev[pfn] = (uint32_t)key + 1;
	pa_set_page_movable(p->zone, pfn, p->movable_id);
}

void sim_owner_forget(struct sim_policy *p, uint32_t pfn)
{
	if (pfn < p->rev_n)
		p->rev[pfn] = 0;
}

void sim_compact_tick(struct sim_policy *p)
{
	struct pa_compact_stats cs;

	if (pa_compact_proactive(p->zone, 20, &cs) == 1)
		p->compact_runs++;
}

uint64_t sim_contig_alloc(struct pa_zone *z, uint64_t nr)
{
	struct pa_stats st;

	/* as a hugetlb allocation does: reclaim first when the range's
	 * contents would have nowhere to go */
	pa_stats(z, &st);
	if (st.free_pages + st.pcp_pages < nr + st.wmark_high)
		pa_reclaim(z, nr + st.wmark_high - st.free_pages - st.pcp_pages,
			   NULL);
	return pa_alloc_contig(z, nr, PA_GFP_MOVABLE | PA_GFP_NOWARN);
}

/* 1 GiB ranges until one fails, then given back. */
static uint64_t count_contig_1g(struct pa_zone *z)
{
	struct pa_config c;

	pa_zone_config(z, &c);
	uint64_t nr = 1ull << (30 - c.page_shift), n = pa_managed_pages(z) / nr;
	uint64_t *got = malloc((n ? n : 1) * sizeof(*got)), k = 0;

	if (!got)
		return 0;
	while (k < n && (got[k] = sim_contig_alloc(z, nr)) != PA_NO_PFN)
		k++;
	for (uint64_t i = 0; i < k; i++)
		pa_free_contig(z, got[i], nr);
	free(got);
	return k;
}

void sim_compact_finish(struct sim_policy *p)
{
	struct pa_frag fr;

	pa_compact_proactive(p->zone, 100, NULL);
	if (pa_frag(p->zone, &fr) == 0 && fr.free_pages)
		p->thp_allocatable_pct = 100.0 * (double)fr.free_in_whole_pageblocks /
					 (double)fr.free_pages;
	p->contig_1g = count_contig_1g(p->zone);
}
