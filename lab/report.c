/* SPDX-License-Identifier: MIT */
/*
 * The comparison's figures, computed once for the text, JSON and HTML
 * outputs so that they always agree.
 */
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "outfile.h"

uint64_t report_kernel_zone_pages(const struct trace_tally *t)
{
	return t->pages[TEV_ZONE_LOCKED] + t->pages[TEV_PCPU_DRAIN];
}

bool report_kernel_unreliable(const struct trace_tally *t)
{
	return t->lost || t->lost_unknown || t->malformed || t->overlong ||
	       t->truncated_files;
}

void report_unreliable_reason(const struct trace_tally *t, char *buf,
			      size_t len)
{
	const struct { uint64_t n; const char *what; } parts[] = {
		{ t->lost, "events lost in the kernel's ring buffer" },
		{ t->lost_unknown, "lost-event markers without a count" },
		{ t->malformed, "malformed lines" },
		{ t->overlong, "overlong lines skipped" },
		{ t->truncated_files, "truncated files" },
	};
	size_t o = 0;

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (!parts[i].n || o >= len)
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%s%llu %s", o ? ", " : "",
				      (unsigned long long)parts[i].n, parts[i].what);
	}
}

uint64_t report_model_zone_pages(const struct sim_policy *p)
{
	/* what the kernel's two events would have counted in our model:
	 * no event reports a direct free to the zone */
	return p->stats.zone_pages_refill + p->stats.zone_pages_direct_alloc +
	       p->stats.zone_pages_drain;
}

double report_pcp_hit_rate(const struct sim_policy *p)
{
	uint64_t n = p->stats.pcp_alloc_hit + p->stats.pcp_alloc_miss;

	return n ? (double)p->stats.pcp_alloc_hit / (double)n : 0.0;
}

struct figs {
	struct report_fig *out;
	unsigned n;
	const char *section;
};

static struct report_fig *add(struct figs *f, const char *key,
			      const char *label, enum fig_unit unit, bool chart)
{
	struct report_fig *r = &f->out[f->n++];

	memset(r, 0, sizeof(*r));
	r->key = key;
	r->label = label;
	r->section = f->section;
	r->unit = unit;
	r->chart = chart;
	return r;
}

#define EACH(r, expr)                                                        \
	do {                                                                 \
		for (unsigned _i = 0; _i < s->npol; _i++) {                  \
			const struct sim_policy *p = &s->pol[_i]; (void)p;  \
			(r)->v[_i] = (double)(expr);                         \
		}                                                            \
	} while (0)

static void frag_rows(struct figs *f, const struct sim *s, bool peak)
{
	struct report_fig *r;
#define FR(p) (peak ? &(p)->frag_peak : &(p)->frag_end)
	r = add(f, peak ? "peak_free_whole_pageblocks_mib" :
		"end_free_whole_pageblocks_mib",
		"free in whole pageblocks (MiB)", FIG_PAGES_MIB, true);
	EACH(r, FR(p)->free_in_whole_pageblocks);
	r = add(f, peak ? "peak_free_whole_pageblocks_pct" :
		"end_free_whole_pageblocks_pct",
		"  share of free memory (%)", FIG_PERCENT, false);
	EACH(r, FR(p)->free_pages ? 100.0 *
		(double)FR(p)->free_in_whole_pageblocks /
		(double)FR(p)->free_pages : 0);
	r = add(f, peak ? "peak_free_whole_superpageblocks" :
		"end_free_whole_superpageblocks",
		"whole free superpageblocks", FIG_COUNT, true);
	EACH(r, FR(p)->free_whole_superpageblocks);
	r = add(f, peak ? "peak_mixed_pageblocks" : "end_mixed_pageblocks",
		"mixed pageblocks", FIG_COUNT, true);
	EACH(r, FR(p)->mixed_pageblocks);
	r = add(f, peak ? "peak_unmovable_pageblocks" : "end_unmovable_pageblocks",
		"unmovable pageblocks", FIG_COUNT, !peak);
	EACH(r, FR(p)->pageblocks_by_mt[PA_MT_UNMOVABLE]);
	r = add(f, peak ? "peak_reclaimable_pageblocks" :
		"end_reclaimable_pageblocks",
		"reclaimable pageblocks", FIG_COUNT, !peak);
	EACH(r, FR(p)->pageblocks_by_mt[PA_MT_RECLAIMABLE]);
	r = add(f, peak ? "peak_tainted_superpageblocks" :
		"end_tainted_superpageblocks",
		"tainted superpageblocks", FIG_COUNT, false);
	EACH(r, FR(p)->tainted_superpageblocks);
#undef FR
}

static uint64_t spb_searches(const struct pa_stats *st)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < PA_SPB_NR_PASSES; i++)
		n += st->spb_pass[i];
	return n;
}

/* The spb policy's zone searches (zero under the others). */
static void spb_rows(struct figs *f, const struct sim *s)
{
	struct report_fig *r;

	r = add(f, "spb_searches", "zone searches", FIG_COUNT, false);
	EACH(r, spb_searches(&p->stats));
	r = add(f, "spb_words", "bitmap words read", FIG_COUNT, false);
	EACH(r, p->stats.spb_words_visited);
	r = add(f, "spb_pass1_pct", "  served by pass 1 (%)", FIG_PERCENT, false);
	EACH(r, spb_searches(&p->stats) ? 100.0 * (double)p->stats.spb_pass[0] /
		(double)spb_searches(&p->stats) : 0);
	r = add(f, "spb_pass3", "  tainted a clean SPB (pass 3)", FIG_COUNT, true);
	EACH(r, p->stats.spb_pass[5]);
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static bool any_reporting(const struct sim *s)
{
	for (unsigned i = 0; i < s->npol; i++)
		if (s->pol[i].reporting.on)
			return true;
	return false;
}

/* Pages reported over the run, and what a host would have had back. */
static void reporting_rows(struct figs *f, const struct sim *s)
{
	struct report_fig *r;

	r = add(f, "report_free_runs", "reporting passes", FIG_COUNT, false);
	EACH(r, p->reporting.runs);
	r = add(f, "reported_pages", "pages reported", FIG_COUNT, true);
	EACH(r, p->reporting.pages);
	r = add(f, "rss_drop_mib", "would-be RSS drop at the end (MiB)",
		FIG_PAGES_MIB, true);
	EACH(r, p->reporting.rss_drop);
	r = add(f, "rss_drop_peak_mib", "  at its peak (MiB)", FIG_PAGES_MIB,
		false);
	EACH(r, p->reporting.rss_drop_peak);
}

/* The LRU and slab models' reclaim (zero for a trace replay). */
static void reclaim_rows(struct figs *f, const struct sim *s)
{
	struct report_fig *r;

	r = add(f, "reclaimed_pages", "pages reclaimed (LRU and slab)",
		FIG_COUNT, true);
	EACH(r, p->reclaimed_pages);
	r = add(f, "reclaim_dropped_pages", "  page cache dropped", FIG_COUNT,
		false);
	EACH(r, p->lru.c.dropped_pages);
	r = add(f, "reclaim_swapped_pages", "  anon written to swap", FIG_COUNT,
		false);
	EACH(r, p->lru.c.swapped_pages);
	r = add(f, "reclaim_slab_pages", "  slab pages shrunk free", FIG_COUNT,
		false);
	EACH(r, p->slab.c_.shrunk_pages);
	r = add(f, "slab_objects_shrunk", "slab objects shrunk", FIG_COUNT, false);
	EACH(r, p->slab.c_.shrunk_objs);
	r = add(f, "refaults", "refaults (touch of a reclaimed folio)",
		FIG_COUNT, false);
	EACH(r, p->lru.c.refaults);
	r = add(f, "frees_of_reclaimed", "frees of reclaimed objects (no-ops)",
		FIG_COUNT, false);
	EACH(r, p->lru.c.free_reclaimed + p->slab.c_.free_shrunk);
	r = add(f, "peak_allocated_pct", "allocated at the peak (% of memory)",
		FIG_PERCENT, true);
	EACH(r, pct(p->peak_allocated, p->stats.managed_pages));
}

static bool any_demand(const struct sim *s)
{
	for (unsigned i = 0; i < s->npol; i++)
		if (s->pol[i].demand_tries[0][0] || s->pol[i].demand_tries[1][0] ||
		    s->pol[i].demand_tries[0][1] || s->pol[i].demand_tries[1][1])
			return true;
	return false;
}

/* hugepage-demand's successes per phase: 0 under load, 1 at rest. */
static void demand_rows(struct figs *f, const struct sim *s)
{
	struct report_fig *r;

	r = add(f, "thp_success_pct", "2 MiB demands served under load (%)",
		FIG_PERCENT, true);
	EACH(r, pct(p->demand_ok[0][0], p->demand_tries[0][0]));
	r = add(f, "thp_success_rest_pct", "2 MiB demands served at rest (%)",
		FIG_PERCENT, true);
	EACH(r, pct(p->demand_ok[1][0], p->demand_tries[1][0]));
	r = add(f, "thp_demands", "  2 MiB demands per phase", FIG_COUNT, false);
	EACH(r, p->demand_tries[0][0]);
	r = add(f, "contig_1g_success", "1 GiB demands served under load",
		FIG_COUNT, true);
	EACH(r, p->demand_ok[0][1]);
	r = add(f, "contig_1g_success_rest", "1 GiB demands served at rest",
		FIG_COUNT, true);
	EACH(r, p->demand_ok[1][1]);
	r = add(f, "contig_1g_demands", "  1 GiB demands per phase", FIG_COUNT,
		false);
	EACH(r, p->demand_tries[0][1]);
}

/* What the run asked for and what it left behind. */
static void request_rows(struct figs *f, const struct sim *s)
{
	struct report_fig *r;

	r = add(f, "events", "events replayed", FIG_COUNT, false);
	EACH(r, p->c.events);
	r = add(f, "failures", "failed allocations", FIG_COUNT, true);
	EACH(r, p->c.failures);
	r = add(f, "free_unknown", "frees of blocks not allocated in the run",
		FIG_COUNT, false);
	EACH(r, p->c.free_unknown);
	r = add(f, "free_partial", "frees of part of a block", FIG_COUNT, false);
	EACH(r, p->c.free_partial + p->c.free_partial_rest);
	r = add(f, "live_at_end_mib", "still allocated at the end (MiB)",
		FIG_PAGES_MIB, false);
	EACH(r, p->c.live_pages);
}

/* The model's count beside the kernel's, when a trace gave one. */
static void kernel_zone_rows(struct figs *f, const struct sim *s,
			     const struct trace_tally *t)
{
	uint64_t k = report_kernel_zone_pages(t);
	struct report_fig *r;

	r = add(f, "kernel_zone_pages", "  real kernel, same trace", FIG_COUNT,
		false);
	EACH(r, k);
	r = add(f, "ratio_to_kernel", report_kernel_unreliable(t) ?
		"  model / kernel (UNRELIABLE, see above)" : "  model / kernel",
		FIG_RATIO, false);
	EACH(r, k ? (double)report_model_zone_pages(p) / (double)k : 0);
}

static void zone_lock_rows(struct figs *f, const struct sim *s,
			   const struct trace_tally *t)
{
	struct report_fig *r;

	r = add(f, "zone_lock_acquisitions", "acquisitions", FIG_COUNT, true);
	EACH(r, p->stats.zone_lock.acquisitions);
	r = add(f, "zone_pages_refill", "pages moved: refill to pcp",
		FIG_COUNT, false);
	EACH(r, p->stats.zone_pages_refill);
	r = add(f, "zone_pages_drain", "pages moved: drain from pcp",
		FIG_COUNT, false);
	EACH(r, p->stats.zone_pages_drain);
	r = add(f, "zone_pages_direct_alloc", "pages allocated directly",
		FIG_COUNT, false);
	EACH(r, p->stats.zone_pages_direct_alloc);
	r = add(f, "zone_pages_direct_free", "pages freed directly",
		FIG_COUNT, false);
	EACH(r, p->stats.zone_pages_direct_free);
	r = add(f, "zone_pages_kernel_comparable",
		"pages as the kernel counts them", FIG_COUNT, true);
	EACH(r, report_model_zone_pages(p));
	if (t)
		kernel_zone_rows(f, s, t);
	r = add(f, "zone_blocks_moved",
		"free-list operations (blocks of any order)", FIG_COUNT, true);
	EACH(r, p->stats.zone_blocks_moved);
	r = add(f, "zone_lock_max_pages", "most pages in one hold", FIG_COUNT,
		false);
	EACH(r, p->stats.zone_lock_max_pages);
}

static void pcp_rows(struct figs *f, const struct sim *s)
{
	struct report_fig *r;

	r = add(f, "pcp_hit_rate_pct", "allocation hit rate (%)", FIG_PERCENT,
		true);
	EACH(r, 100.0 * report_pcp_hit_rate(p));
	r = add(f, "pcp_trylock_fallbacks", "trylock fallbacks", FIG_COUNT,
		false);
	EACH(r, p->stats.pcp_trylock_fallback_alloc +
		p->stats.pcp_trylock_fallback_free);
	r = add(f, "pcp_refills", "refills", FIG_COUNT, false);
	EACH(r, p->stats.pcp_refills);
	r = add(f, "pcp_drains", "drains", FIG_COUNT, false);
	EACH(r, p->stats.pcp_drains);
}

static void migratetype_rows(struct figs *f, const struct sim *s,
			     const struct trace_tally *t)
{
	struct report_fig *r;

	r = add(f, "fallbacks", "fallbacks to another type", FIG_COUNT, true);
	EACH(r, p->stats.extfrag_fallbacks);
	r = add(f, "fallbacks_fragmenting", "  of them fragmenting", FIG_COUNT,
		false);
	EACH(r, p->stats.extfrag_fragmenting);
	if (t) {
		/* the kernel traces each fallback it takes, as the model
		 * counts them above */
		r = add(f, "kernel_extfrag", "  real kernel (mm_page_alloc_extfrag)",
			FIG_COUNT, false);
		EACH(r, t->events[TEV_EXTFRAG]);
		r = add(f, "kernel_extfrag_fragmenting",
			"    of them fragmenting (kernel)", FIG_COUNT, false);
		EACH(r, t->extfrag_fragmenting);
	}
	r = add(f, "steals", "pageblocks stolen (type changed)", FIG_COUNT,
		true);
	EACH(r, p->stats.blocks_claimed);
}

static void compaction_rows(struct figs *f, const struct sim *s)
{
	struct report_fig *r;

	r = add(f, "pages_migrated", "pages migrated", FIG_COUNT, false);
	EACH(r, p->stats.pgmigrate_success);
	r = add(f, "compaction_runs", "proactive compaction runs (--compact)",
		FIG_COUNT, false);
	EACH(r, p->compact_runs);
	r = add(f, "thp_allocatable_pct", "free as pageblocks if compacted (%)",
		FIG_PERCENT, true);
	EACH(r, p->thp_allocatable_pct);
	r = add(f, "contig_1g_allocatable", "1 GiB ranges obtainable",
		FIG_COUNT, true);
	EACH(r, p->contig_1g);
}

unsigned report_figures(const struct lab_report *rep, struct report_fig *out)
{
	const struct sim *s = rep->sim;
	struct figs f = { out, 0, "requests" };
	struct report_fig *r;

	request_rows(&f, s);
	f.section = "zone->lock";
	zone_lock_rows(&f, s, rep->tally);
	f.section = "per-CPU pagesets";
	pcp_rows(&f, s);
	f.section = "migratetypes";
	migratetype_rows(&f, s, rep->tally);
	f.section = "compaction";
	compaction_rows(&f, s);
	if (any_reporting(s)) {
		f.section = "free page reporting (--report-free)";
		reporting_rows(&f, s);
	}
	f.section = "memory model and reclaim";
	reclaim_rows(&f, s);
	if (any_demand(s)) {
		f.section = "huge-block demand (under load / at rest)";
		demand_rows(&f, s);
	}
	f.section = "superpageblock search (spb)";
	spb_rows(&f, s);
	f.section = "fragmentation at the end";
	frag_rows(&f, s, false);
	f.section = "fragmentation at the peak";
	r = add(&f, "peak_allocated_mib", "allocated at the peak (MiB)",
		FIG_PAGES_MIB, false);
	EACH(r, p->peak_allocated);
	frag_rows(&f, s, true);
	return f.n;
}

void report_init(struct lab_report *r, const char *what, struct sim *s,
		 int argc, char **argv, bool quiet)
{
	memset(r, 0, sizeof(*r));
	r->what = what;
	r->sim = s;
	r->argc = argc;
	r->argv = argv;
	r->quiet = quiet;
}

int report_emit(const struct lab_report *r, const char *html, const char *json)
{
	int rc;

	/* flush now: a full disk or /dev/full shows only when the buffer is
	 * written, and must not exit 0 */
	if (!r->quiet)
		report_text(r, stdout);
	if (outfile_stdout_done(r->what))
		return 1;
	if (json && (rc = report_json(r, json)) < 0) {
		fprintf(stderr, "pagealloc: %s: %s\n", json, strerror(-rc));
		return 1;
	}
	if (html && (rc = report_html(r, html)) < 0) {
		fprintf(stderr, "pagealloc: %s: %s\n", html, strerror(-rc));
		return 1;
	}
	if (json && !r->quiet)
		fprintf(stderr, "pagealloc: JSON written to %s\n", json);
	if (html && !r->quiet)
		fprintf(stderr, "pagealloc: HTML report written to %s\n", html);
	return 0;
}
