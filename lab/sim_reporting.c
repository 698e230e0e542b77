/* SPDX-License-Identifier: MIT */
/*
 * Free page reporting in the lab (sim_reporting.h).
 */
#include "sim_reporting.h"

#include <stdlib.h>

#include "sim.h"

/* Set (on) or clear the bits of [pfn, pfn + n): how many changed. */
static uint64_t mark_range(uint64_t *map, uint64_t pfn, uint64_t n, bool on)
{
	uint64_t changed = 0;

	for (uint64_t i = pfn; i < pfn + n;) {
		uint64_t bit = i & 63, k = 64 - bit < pfn + n - i ? 64 - bit : pfn + n - i;
		uint64_t mask = (k == 64 ? ~0ull : ((1ull << k) - 1)) << bit;
		uint64_t *w = &map[i >> 6];
		uint64_t flip = on ? mask & ~*w : mask & *w;

		changed += (uint64_t)__builtin_popcountll(flip);
		*w ^= flip;
		i += k;
	}
	return changed;
}

/* pa_report_fn: the block's memory goes back to the host. */
static int reporter(void *arg, uint64_t pfn, unsigned order)
{
	struct sim_reporting *r = arg;
	uint64_t n = 1ull << order;

	r->blocks++;
	r->pages += n;
	if (pfn + n > r->nr_pages)
		return 0; /* beyond the map: counted, not remembered */
	r->rss_drop += mark_range(r->given_back, pfn, n, true);
	return 0;
}

void sim_reporting_tick(struct sim_policy *p)
{
	struct sim_reporting *r = &p->reporting;

	if (!r->on || r->failed)
		return;
	if (!r->given_back) {
		r->nr_pages = pa_managed_pages(p->zone);
		r->given_back = calloc((r->nr_pages + 63) / 64, sizeof(uint64_t));
		if (!r->given_back) {
			r->failed = true;
			return;
		}
	}
	/* its zone->lock batches are the workload's traffic, as the
	 * kernel's reporting worker's are */
	if (pa_report_free(p->zone, r->order, reporter, r) < 0) {
		r->failed = true; /* order above max_order */
		return;
	}
	r->runs++;
	if (r->rss_drop > r->rss_drop_peak)
		r->rss_drop_peak = r->rss_drop;
}

void sim_reporting_touch(struct sim_policy *p, uint64_t pfn, unsigned order)
{
	struct sim_reporting *r = &p->reporting;
	uint64_t n = 1ull << order;

	if (r->given_back && r->rss_drop && pfn + n <= r->nr_pages)
		r->rss_drop -= mark_range(r->given_back, pfn, n, false);
}

void sim_reporting_destroy(struct sim_policy *p)
{
	free(p->reporting.given_back);
	p->reporting.given_back = NULL;
}
