/* SPDX-License-Identifier: MIT */
/*
 * Events in the ftrace text layout of the kernel's kmem tracepoints, so the
 * lab replays our own traces with the same parser as the kernel's.  The
 * task field is "pagealloc-0", the timestamp is seconds since the zone was
 * created, and page= carries the pfn (there is no struct page to hash).
 */
#include <stdio.h>

#include "trace.h"
#include "zone.h"
#include "spb_defrag.h"

static void emit(struct pa_zone *z, unsigned cpu, const char *event,
		 const char *fields)
{
	char line[320];
	uint64_t ns = pa_now_ns() - z->t0_ns;

	snprintf(line, sizeof(line),
		 "     pagealloc-0       [%03u] ..... %5llu.%06llu: %s: %s", cpu,
		 (unsigned long long)(ns / 1000000000ull),
		 (unsigned long long)(ns / 1000ull % 1000000ull), event, fields);
	z->cfg.event_fn(z->cfg.event_arg, line);
}

static const char *gfp_name(unsigned gfp)
{
	if (gfp & PA_GFP_ATOMIC)
		return "GFP_ATOMIC";
	if (gfp & PA_GFP_MOVABLE)
		return "GFP_HIGHUSER_MOVABLE";
	if (gfp & PA_GFP_RECLAIMABLE)
		return "GFP_KERNEL|__GFP_RECLAIMABLE";
	return "GFP_KERNEL";
}

void trace_page_alloc(struct pa_zone *z, unsigned cpu, uint64_t pfn,
		      unsigned order, unsigned mt, unsigned gfp)
{
	char f[200];

	snprintf(f, sizeof(f),
		 "page=%016llx pfn=0x%llx order=%u migratetype=%u gfp_flags=%s%s",
		 (unsigned long long)pfn, (unsigned long long)pfn, order, mt,
		 gfp_name(gfp), (gfp & PA_GFP_ZERO) ? "|__GFP_ZERO" : "");
	emit(z, cpu, "mm_page_alloc", f);
}

void trace_page_free(struct pa_zone *z, unsigned cpu, uint64_t pfn,
		     unsigned order)
{
	char f[120];

	snprintf(f, sizeof(f), "page=%016llx pfn=0x%llx order=%u",
		 (unsigned long long)pfn, (unsigned long long)pfn, order);
	emit(z, cpu, "mm_page_free", f);
}

void trace_zone_locked(struct pa_zone *z, unsigned cpu, uint64_t pfn,
		       unsigned order, unsigned mt, bool refill)
{
	char f[160];

	snprintf(f, sizeof(f),
		 "page=%016llx pfn=0x%llx order=%u migratetype=%u percpu_refill=%d",
		 (unsigned long long)pfn, (unsigned long long)pfn, order, mt,
		 refill ? 1 : 0);
	emit(z, cpu, "mm_page_alloc_zone_locked", f);
}

void trace_pcpu_drain(struct pa_zone *z, unsigned cpu, uint64_t pfn,
		      unsigned order, unsigned mt)
{
	char f[140];

	snprintf(f, sizeof(f), "page=%016llx pfn=0x%llx order=%u migratetype=%u",
		 (unsigned long long)pfn, (unsigned long long)pfn, order, mt);
	emit(z, cpu, "mm_page_pcpu_drain", f);
}

void trace_extfrag(struct pa_zone *z, unsigned cpu, uint64_t pfn,
		   unsigned order, unsigned fallback_order, unsigned alloc_mt,
		   unsigned fallback_mt, bool claimed)
{
	char f[260];

	snprintf(f, sizeof(f),
		 "page=%016llx pfn=0x%llx alloc_order=%u fallback_order=%u pageblock_order=%u alloc_migratetype=%u fallback_migratetype=%u fragmenting=%d change_ownership=%d",
		 (unsigned long long)pfn, (unsigned long long)pfn, order,
		 fallback_order, z->pb_order, alloc_mt, fallback_mt,
		 fallback_order < z->pb_order ? 1 : 0, claimed ? 1 : 0);
	emit(z, cpu, "mm_page_alloc_extfrag", f);
}

/* The superpageblock events, named and laid out like the series'
 * tracepoints (spb-notes.md). */
void trace_spb_alloc_walk(struct pa_zone *z, unsigned cpu, unsigned order,
			  unsigned mt, unsigned gfp, const char *pass,
			  int64_t spb, uint64_t words)
{
	char f[200];

	snprintf(f, sizeof(f),
		 "order=%u migratetype=%u gfp_flags=%s pass=%s spb=%lld words=%llu",
		 order, mt, gfp_name(gfp), pass, (long long)spb,
		 (unsigned long long)words);
	emit(z, cpu, "spb_alloc_walk", f);
}

void trace_spb_pb_taint(struct pa_zone *z, unsigned cpu, uint64_t spb,
			uint64_t pfn, unsigned mt, const char *why)
{
	char f[200];

	snprintf(f, sizeof(f), "spb=%llu pfn=0x%llx migratetype=%u reason=\"%s\"",
		 (unsigned long long)spb, (unsigned long long)pfn, mt, why);
	emit(z, cpu, "spb_pb_taint", f);
}

void trace_spb_pb_content(struct pa_zone *z, unsigned cpu, uint64_t spb,
			  uint64_t pfn, unsigned mt, bool set, bool edge)
{
	char f[200];

	snprintf(f, sizeof(f), "spb=%llu pfn=0x%llx migratetype=%u change=%s spb_%s=%d",
		 (unsigned long long)spb, (unsigned long long)pfn, mt,
		 set ? "set" : "clear", set ? "first" : "last", edge);
	emit(z, cpu, "spb_pb_taint", f);
}

void trace_spb_claim_refused(struct pa_zone *z, unsigned cpu, uint64_t pfn,
			     unsigned mt, unsigned block_mt, const char *why)
{
	char f[200];

	snprintf(f, sizeof(f),
		 "pfn=0x%llx migratetype=%u block_migratetype=%u reason=\"%s\"",
		 (unsigned long long)pfn, mt, block_mt, why);
	emit(z, cpu, "spb_claim_block_refused", f);
}

void trace_spb_fall_through(struct pa_zone *z, unsigned cpu, unsigned order,
			    unsigned mt, uint64_t tainted,
			    uint64_t tainted_full)
{
	char f[160];

	snprintf(f, sizeof(f),
		 "order=%u migratetype=%u tainted=%llu tainted_full=%llu",
		 order, mt, (unsigned long long)tainted,
		 (unsigned long long)tainted_full);
	emit(z, cpu, "spb_alloc_fall_through", f);
}

void trace_spb_evacuate_for_order_done(struct pa_zone *z, unsigned cpu,
				       unsigned order, unsigned mt,
				       unsigned phase1_tries,
				       unsigned phase2_tries, bool evacuated)
{
	char f[160];

	snprintf(f, sizeof(f),
		 "order=%u migratetype=%u phase1_attempts=%u phase2_attempts=%u evacuated=%d",
		 order, mt, phase1_tries, phase2_tries, evacuated ? 1 : 0);
	emit(z, cpu, "spb_evacuate_for_order_done", f);
}
