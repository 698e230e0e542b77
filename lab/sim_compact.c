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

static bool owner_isolate(void *arg, uint64_t pfn)
{
	struct sim_policy *p = arg;

	return pfnmap_find(&p->rev, pfn) != NULL;
}

/* The reverse map holds our pfn -> trace key (keys above 2^32 are not
 * tracked, so those blocks are never marked movable). */
static int owner_migrate(void *arg, uint64_t dst, uint64_t src)
{
	struct sim_policy *p = arg;
	struct pfnmap_entry e;

	if (!pfnmap_remove(&p->rev, src, &e))
		return -EINVAL;
	if (pfnmap_insert(&p->rev, dst, e.pfn, e.order, e.order, NULL) < 0) {
		pfnmap_insert(&p->rev, src, e.pfn, e.order, e.order, NULL);
		return -ENOMEM;
	}
	struct pfnmap_entry *fwd = pfnmap_find(&p->map, e.pfn);

	if (fwd)
		fwd->pfn = (uint32_t)dst;
	/* the copy makes the destination resident */
	sim_reporting_touch(p, dst, e.order);
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
	int r = pfnmap_init(&p->rev);

	if (r < 0)
		return r;
	p->movable_id = pa_register_movable_ops(p->zone, &sim_owner_ops, p);
	return p->movable_id < 0 ? p->movable_id : 0;
}

void sim_owner_destroy(struct sim_policy *p)
{
	pfnmap_destroy(&p->rev);
}

void sim_owner_track(struct sim_policy *p, uint64_t key, uint32_t pfn)
{
	if (p->movable_id <= 0 || key > UINT32_MAX)
		return;
	if (pfnmap_insert(&p->rev, pfn, (uint32_t)key, 0, 0, NULL) < 0)
		return;
	pa_set_page_movable(p->zone, pfn, p->movable_id);
}

void sim_owner_forget(struct sim_policy *p, uint32_t pfn)
{
	pfnmap_remove(&p->rev, pfn, NULL);
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
