/* SPDX-License-Identifier: MIT */
/*
 * /proc-style reports in the kernel's own layouts (buddyinfo,
 * pagetypeinfo, vmstat, zoneinfo's counters and pagesets) so existing
 * scripts and habits work on our output, plus a lock_stat-like table.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "buddy.h"
#include "error.h"
#include "fragindex.h"
#include "rseq.h"
#include "spb_defrag.h"

#define PAGETYPE_CAP 100000

static void snapshot_free_area(struct pa_zone *z,
			       uint64_t counts[PA_ORDERS_MAX][PA_MT_TYPES])
{
	zone_lock(z);
	for (unsigned o = 0; o <= z->max_order; o++)
		for (unsigned m = 0; m < PA_MT_TYPES; m++)
			counts[o][m] = fa_nr_free(z, o, m);
	zone_unlock(z);
}

static void pagetypeinfo(struct pa_zone *z, FILE *f)
{
	uint64_t c[PA_ORDERS_MAX][PA_MT_TYPES];
	struct spb_totals t;

	snapshot_free_area(z, c);
	zone_lock(z);
	spb_totals(z, &t); /* block counts without a pageblock walk */
	zone_unlock(z);
	fprintf(f, "Page block order: %u\n", z->pb_order);
	fprintf(f, "Pages per block:  %llu\n\n", (unsigned long long)pb_nr_pages(z));
	fprintf(f, "%-43s ", "Free pages count per migrate type at order");
	for (unsigned o = 0; o <= z->max_order; o++)
		fprintf(f, "%6u ", o);
	fputc('\n', f);
	for (unsigned m = 0; m < PA_MT_TYPES; m++) {
		fprintf(f, "Node %4d, zone %8s, type %12s ", 0, z->name,
			pa_migratetype_name(m));
		for (unsigned o = 0; o <= z->max_order; o++) {
			uint64_t n = c[o][m];
			bool over = n >= PAGETYPE_CAP;

			fprintf(f, "%s%6" PRIu64 " ", over ? ">" : "",
				over ? (uint64_t)PAGETYPE_CAP : n);
		}
		fputc('\n', f);
	}
	fputc('\n', f);
	fprintf(f, "%-23s", "Number of blocks type ");
	for (unsigned m = 0; m < PA_MT_TYPES; m++)
		fprintf(f, "%12s ", pa_migratetype_name(m));
	fputc('\n', f);
	fprintf(f, "Node %d, zone %8s ", 0, z->name);
	for (unsigned m = 0; m < PA_MT_TYPES; m++)
		fprintf(f, "%12" PRIu64 " ", t.by_mt[m]);
	fputc('\n', f);
}

/* spb's defragmentation and evacuation (zones without its worker print
 * none of these). */
static void vmstat_spb(const struct pa_zone *z, const struct pa_stats *s,
		       FILE *f)
{
	const struct { const char *name; uint64_t v; } spb[] = {
		{ "spb_defrag_wanted", s->spb_defrag_wanted },
		{ "spb_defrag_runs", s->spb_defrag_runs },
		{ "spb_defrag_pages", s->spb_defrag_pages },
		{ "spb_defrag_pageblocks_freed", s->spb_defrag_pageblocks_freed },
		{ "spb_defrag_cooldowns", s->spb_defrag_cooldowns },
		{ "spb_defrag_skipped_cooldown", s->spb_defrag_skipped_cooldown },
		{ "spb_evacuated_pages", s->spb_evacuated_pages },
		{ "spb_evacuate_queued", s->spb_evacuate_queued },
		{ "spb_evacuate_dropped", s->spb_evacuate_dropped },
		{ "spb_evacuate_for_order", s->spb_evacuate_for_order },
		{ "spb_evacuate_for_order_pages", s->spb_evacuate_for_order_pages },
		{ "spb_shrink_calls", s->spb_shrink_calls },
		{ "spb_shrink_pages", s->spb_shrink_pages },
	};

	if (!z->spb_defrag)
		return;
	for (size_t i = 0; i < sizeof(spb) / sizeof(spb[0]); i++)
		fprintf(f, "%s %" PRIu64 "\n", spb[i].name, spb[i].v);
}

static void vmstat(struct pa_zone *z, FILE *f)
{
	struct pa_stats s;

	pa_stats(z, &s);
	fprintf(f, "nr_free_pages %" PRIu64 "\n", s.free_pages);
	fprintf(f, "nr_free_pcp %" PRIu64 "\n", s.pcp_pages);
	fprintf(f, "pgalloc_normal %" PRIu64 "\n", s.pgalloc);
	fprintf(f, "pgfree %" PRIu64 "\n", s.pgfree);
	fprintf(f, "pgmigrate_success %" PRIu64 "\n", s.pgmigrate_success);
	fprintf(f, "pgmigrate_fail %" PRIu64 "\n", s.pgmigrate_fail);
	const struct { const char *name; uint64_t v; } events[] = {
		{ "compact_migrate_scanned", s.compact_migrate_scanned },
		{ "compact_free_scanned", s.compact_free_scanned },
		{ "compact_isolated", s.compact_isolated },
		{ "compact_stall", s.compact_stall },
		{ "compact_fail", s.compact_fail },
		{ "compact_success", s.compact_success },
		{ "compact_daemon_wake", 0 }, /* no kcompactd: ticks are the caller's */
		{ "pgsteal_kswapd", s.pgsteal_kswapd },
		{ "pgsteal_direct", s.pgsteal_direct },
		{ "pgscan_kswapd", s.pgscan_kswapd },
		{ "pgscan_direct", s.pgscan_direct },
		{ "slabs_scanned", s.slabs_scanned },
		{ "pageoutrun", s.kswapd_wake },
		{ "allocstall_normal", s.allocstall },
	};
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		fprintf(f, "%s %" PRIu64 "\n", events[i].name, events[i].v);
	fprintf(f, "page_reporting_pages %" PRIu64 "\n", s.page_reporting_pages);
	fprintf(f, "memory_onlined_pages %" PRIu64 "\n", s.memory_onlined_pages);
	fprintf(f, "memory_offlined_pages %" PRIu64 "\n", s.memory_offlined_pages);
	vmstat_spb(z, &s, f);
}

static void zoneinfo(struct pa_zone *z, FILE *f)
{
	struct pa_stats s;

	pa_stats(z, &s);
	fprintf(f, "Node 0, zone %8s\n", z->name);
	fprintf(f, "  pages free     %" PRIu64 "\n", s.free_pages);
	fprintf(f, "        boost    0\n");
	fprintf(f, "        min      %" PRIu64 "\n", s.wmark_min);
	fprintf(f, "        low      %" PRIu64 "\n", s.wmark_low);
	fprintf(f, "        high     %" PRIu64 "\n", s.wmark_high);
	fprintf(f, "        spanned  %" PRIu64 "\n", s.managed_pages);
	fprintf(f, "        present  %" PRIu64 "\n", s.managed_pages);
	fprintf(f, "        managed  %" PRIu64 "\n", s.managed_pages);
	fprintf(f, "        cma      0\n");
	fprintf(f, "      nr_free_pages %" PRIu64 "\n", s.free_pages);
	fprintf(f, "      nr_zone_allocated %" PRIu64 "\n", s.allocated_pages);
	fprintf(f, "      nr_highatomic_blocks %" PRIu64 "\n", s.highatomic_blocks);
	fprintf(f, "      metadata_bytes %" PRIu64 "\n", s.metadata_bytes);
	fprintf(f, "      metadata_bytes_per_page %.2f\n",
		(double)s.metadata_bytes / (double)s.managed_pages);
	fprintf(f, "      page_metadata_bytes %zu\n", sizeof(struct pa_page));
	fprintf(f, "      pageblock_metadata_bytes %zu\n",
		sizeof(struct pageblock_data));
	fprintf(f, "      policy %s\n", pa_policy_name(z->policy));
	if (z->use_pcp)
		fprintf(f, "      fast_path %s\n", pcp_fast_path_name(z));
	spb_defrag_zoneinfo(z, f);
	fprintf(f, "  pagesets\n");
	for (unsigned c = 0; z->use_pcp && c < z->ncpus; c++) {
		const struct per_cpu_pages *p = &z->pcp[c];

		fprintf(f, "    cpu: %u\n", c);
		fprintf(f, "              count:    %d\n", STAT_LOAD(p->count));
		fprintf(f, "              high:     %d\n", STAT_LOAD(p->high));
		fprintf(f, "              batch:    %d\n", p->batch);
		fprintf(f, "              high_min: %d\n", p->high_min);
		fprintf(f, "              high_max: %d\n", p->high_max);
		fprintf(f, "  vm stats threshold: 0\n");
	}
}

static void lockstat_row(FILE *f, const char *name,
			 const struct pa_lock_stats *l, uint64_t pages)
{
	fprintf(f, "%-24s %14" PRIu64 " %12" PRIu64 " %12" PRIu64
		" %14.3f %14.3f %12.3f %14" PRIu64 "\n",
		name, l->acquisitions, l->contentions, l->trylock_fails,
		l->wait_ns / 1e6, l->hold_ns / 1e6, l->hold_max_ns / 1e3, pages);
}

static void lockstat(struct pa_zone *z, FILE *f)
{
	struct pa_stats s;
	char name[32];
	double npt = pa_clock_ns_per_tick(z->t0_clock, z->t0_ns);

	pa_stats(z, &s);
	fprintf(f, "lock_stat version 0.4 (pagealloc)\n");
	fprintf(f, "%-24s %14s %12s %12s %14s %14s %12s %14s\n", "class name",
		"acquisitions", "contentions", "trylock-fail", "waittime-ms",
		"holdtime-ms", "holdmax-us", "pages-moved");
	lockstat_row(f, "zone->lock", &s.zone_lock,
		     s.zone_pages_refill + s.zone_pages_drain +
			     s.zone_pages_direct_alloc + s.zone_pages_direct_free);
	for (unsigned c = 0; z->use_pcp && c < z->ncpus; c++) {
		struct pa_lock_stats l;

		pa_lock_read(&z->pcp[c].lock, npt, &l);
		snprintf(name, sizeof(name), "pcp[%u]->lock", c);
		lockstat_row(f, name, &l, 0);
	}
	fprintf(f, "\nzone->lock pages moved: refill %" PRIu64 " drain %" PRIu64
		" direct-alloc %" PRIu64 " direct-free %" PRIu64
		" max-per-hold %" PRIu64 " free-list-ops %" PRIu64 "\n",
		s.zone_pages_refill, s.zone_pages_drain, s.zone_pages_direct_alloc,
		s.zone_pages_direct_free, s.zone_lock_max_pages,
		s.zone_blocks_moved);
	fprintf(f, "pcp: hit %" PRIu64 " miss %" PRIu64 " refills %" PRIu64
		" drains %" PRIu64 " trylock-fallback alloc %" PRIu64
		" free %" PRIu64 " nolock deferred %" PRIu64 "\n",
		s.pcp_alloc_hit, s.pcp_alloc_miss, s.pcp_refills, s.pcp_drains,
		s.pcp_trylock_fallback_alloc, s.pcp_trylock_fallback_free,
		s.nolock_deferred_frees);
}

int pa_report(struct pa_zone *z, enum pa_report what, FILE *out)
{
	if (!out) {
		pa_err(z, -EINVAL, "pa_report: no output stream (NULL)");
		return -EINVAL;
	}
	switch (what) {
	case PA_REPORT_BUDDYINFO:
		fragindex_report_buddyinfo(z, out);
		break;
	case PA_REPORT_PAGETYPEINFO:
		pagetypeinfo(z, out);
		break;
	case PA_REPORT_VMSTAT:
		vmstat(z, out);
		break;
	case PA_REPORT_ZONEINFO:
		zoneinfo(z, out);
		break;
	case PA_REPORT_LOCKSTAT:
		lockstat(z, out);
		break;
	case PA_REPORT_EXTFRAG_INDEX:
		fragindex_report_extfrag(z, out);
		break;
	case PA_REPORT_UNUSABLE_INDEX:
		fragindex_report_unusable(z, out);
		break;
	case PA_REPORT_SPBINFO:
		spb_report(z, out);
		break;
	default:
		pa_err(z, -EINVAL, "pa_report: unknown report %d", (int)what);
		return -EINVAL;
	}
	/* a full device fails only when stdio writes its buffer: flush so
	 * the error reaches the caller now, not at their fclose */
	if (fflush(out) || ferror(out))
		return -EIO;
	return 0;
}
