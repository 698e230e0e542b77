/* SPDX-License-Identifier: MIT */
/*
 * Robust machine size from a trace's allocations.  Regions live in a small
 * open-addressing table; the threshold for an outlier is relative to the
 * trace's length, so a short trace keeps everything it has.
 */
#include "trace_span.h"

#include <string.h>

#define REGION_SHIFT 18u /* 1 GiB of 4 KiB pages */

void trace_span_init(struct trace_span *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < TRACE_SPAN_REGIONS; i++)
		s->region[i].id = UINT64_MAX;
}

static struct trace_span_region *region_of(struct trace_span *s, uint64_t id)
{
	uint64_t h = id * 0x9e3779b97f4a7c15ull;

	for (unsigned k = 0; k < TRACE_SPAN_REGIONS; k++) {
		struct trace_span_region *r =
			&s->region[(h + k) & (TRACE_SPAN_REGIONS - 1)];
		if (r->id == id)
			return r;
		if (r->id == UINT64_MAX) {
			r->id = id;
			return r;
		}
	}
	return NULL;
}

void trace_span_add(struct trace_span *s, const struct trace_event *ev)
{
	struct trace_span_region *r;
	uint64_t end;

	if (ev->kind != TEV_ALLOC || ev->failed)
		return;
	s->events++;
	if (ev->cpu < PA_MAX_CPUS)
		s->cpu_events[ev->cpu]++;
	else
		s->cpu_beyond++;
	r = region_of(s, ev->pfn >> REGION_SHIFT);
	if (!r) {
		s->untracked++;
		return;
	}
	/* pfns are at most TRACE_PFN_MAX, so this cannot wrap */
	end = ev->pfn + (1ull << ev->order);
	if (!r->events || ev->pfn < r->lo)
		r->lo = ev->pfn;
	if (end > r->hi)
		r->hi = end;
	r->events++;
}

void trace_span_result(const struct trace_span *s, uint64_t *pages,
		       unsigned *cpus, uint64_t *pfn_outliers,
		       uint64_t *cpu_outliers)
{
	uint64_t min = s->events / TRACE_SPAN_OUTLIER + 1;
	uint64_t lo = UINT64_MAX, hi = 0, dropped = s->untracked;
	uint64_t cdropped = s->cpu_beyond;
	unsigned maxcpu = 0;

	/* a region or CPU needs more than 1/TRACE_SPAN_OUTLIER of the
	 * events, but never more than one event */
	if (s->events < TRACE_SPAN_OUTLIER)
		min = 1;
	for (unsigned i = 0; i < TRACE_SPAN_REGIONS; i++) {
		const struct trace_span_region *r = &s->region[i];

		if (r->id == UINT64_MAX || !r->events)
			continue;
		if (r->events < min) {
			dropped += r->events;
			continue;
		}
		if (r->lo < lo)
			lo = r->lo;
		if (r->hi > hi)
			hi = r->hi;
	}
	for (unsigned c = 0; c < PA_MAX_CPUS; c++) {
		if (s->cpu_events[c] >= min)
			maxcpu = c;
	}
	for (unsigned c = maxcpu + 1; c < PA_MAX_CPUS; c++)
		cdropped += s->cpu_events[c];
	*pages = hi > lo ? hi - lo : 0;
	*cpus = maxcpu + 1;
	*pfn_outliers = dropped;
	*cpu_outliers = cdropped;
}
