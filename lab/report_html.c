/* SPDX-License-Identifier: MIT */
/*
 * The HTML report: one self-contained page (inline CSS and SVG, no script,
 * nothing fetched) with the comparison table, a bar chart per headline
 * figure, the views MM developers know over the run (zone->lock traffic
 * against the real kernel's, allocated memory and 2 MiB availability, free
 * pages by order as buddyinfo shows them, the kernel's unusable and
 * fragmentation indexes per order), buddyinfo/pagetypeinfo/extfrag texts
 * at the peak and at the end, and a pageblock map that stays small up to
 * 2 TiB (report_pbmap.c).
 */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "outfile.h"
#include "size.h"
#include "svg.h"

#define CHART_W 640
#define CHART_H 300

static void fmt_value(const struct report_fig *f, double v, double mib,
		      char *buf, size_t len)
{
	switch (f->unit) {
	case FIG_PAGES_MIB: snprintf(buf, len, "%.1f MiB", v * mib); break;
	case FIG_PERCENT: snprintf(buf, len, "%.1f%%", v); break;
	case FIG_RATIO: snprintf(buf, len, "%.2fx", v); break;
	default: snprintf(buf, len, "%.0f", v); break;
	}
}

/* Scratch arrays for one chart's series: x and y per series. */
struct series_buf {
	double *x[PA_POLICY_NR + PA_FRAG_ORDERS];
	double *y[PA_POLICY_NR + PA_FRAG_ORDERS];
	struct svg_series s[PA_POLICY_NR + PA_FRAG_ORDERS];
	unsigned n;
};

static struct svg_series *series_add(struct series_buf *b, const char *name,
				     const char *color, const struct sim_policy *p)
{
	struct svg_series *s;

	if (b->n == sizeof(b->s) / sizeof(b->s[0]))
		return NULL;
	s = &b->s[b->n];
	b->x[b->n] = calloc(SIM_MAX_SAMPLES, sizeof(double));
	b->y[b->n] = calloc(SIM_MAX_SAMPLES, sizeof(double));
	if (!b->x[b->n] || !b->y[b->n])
		return NULL;
	for (unsigned k = 0; k < p->nsamples; k++)
		b->x[b->n][k] = (double)p->samples[k].t_ns / 1e9;
	*s = (struct svg_series){ name, color, b->x[b->n], b->y[b->n],
				  p->nsamples, NULL };
	b->n++;
	return s;
}

static void series_free(struct series_buf *b)
{
	for (unsigned i = 0; i < b->n; i++) {
		free(b->x[i]);
		free(b->y[i]);
	}
	b->n = 0;
}

/* Cumulative zone->lock pages per policy, the kernel's total drawn as the
 * yardstick: the curves should end near it. */
static int chart_zone_lock(FILE *f, const struct lab_report *r)
{
	const struct sim *s = r->sim;
	struct series_buf b = { .n = 0 };
	char ref[96], n[32];
	struct svg_chart c = { "zone->lock pages moved, cumulative (as the "
			       "kernel's events count them)", "trace time (s)",
			       "pages", CHART_W, CHART_H, SVG_LINEAR, NULL, 0 };

	for (unsigned i = 0; i < s->npol; i++) {
		const struct sim_policy *p = &s->pol[i];
		struct svg_series *x = series_add(&b, pa_policy_name(p->policy),
						  NULL, p);

		if (!x)
			goto nomem;
		for (unsigned k = 0; k < p->nsamples; k++)
			b.y[i][k] = (double)p->samples[k].zone_lock_pages;
	}
	if (r->tally) {
		c.ref_y = (double)report_kernel_zone_pages(r->tally);
		svg_tick(c.ref_y, n, sizeof(n));
		snprintf(ref, sizeof(ref), "real kernel, whole trace: %s", n);
		c.ref_label = ref;
	}
	svg_lines(f, &c, b.s, b.n);
	series_free(&b);
	return 0;
nomem:
	series_free(&b);
	return -ENOMEM;
}

/* Pages moved per sampling interval (spiky: log when it spans decades). */
static int chart_zone_lock_rate(FILE *f, const struct sim *s)
{
	struct series_buf b = { .n = 0 };
	struct svg_chart c = { "zone->lock pages moved per sampling interval",
			       "trace time (s)", "pages", CHART_W, CHART_H,
			       SVG_AUTO, NULL, 0 };

	for (unsigned i = 0; i < s->npol; i++) {
		const struct sim_policy *p = &s->pol[i];
		struct svg_series *x = series_add(&b, pa_policy_name(p->policy),
						  NULL, p);

		if (!x) {
			series_free(&b);
			return -ENOMEM;
		}
		for (unsigned k = 1; k < p->nsamples; k++)
			b.y[i][k - 1] = (double)(p->samples[k].zone_lock_pages -
						 p->samples[k - 1].zone_lock_pages);
		for (unsigned k = 1; k < p->nsamples; k++)
			b.x[i][k - 1] = b.x[i][k];
		x->n = p->nsamples ? p->nsamples - 1 : 0;
	}
	svg_lines(f, &c, b.s, b.n);
	series_free(&b);
	return 0;
}

/* 2 MiB blocks obtainable now: free blocks of the pageblock order or
 * above, from the buddyinfo counts of the sample. */
static double blocks_2m(const struct sim *s, const struct sim_sample *x)
{
	unsigned pb = s->zcfg.pageblock_order;
	double n = 0;

	for (unsigned o = pb; o <= s->max_order && o < PA_FRAG_ORDERS; o++)
		n += (double)(x->nr_free[o] << (o - pb));
	return n;
}

/* Allocated memory (solid), memory free as whole 2 MiB blocks (dashed,
 * every sample) and as whole free superpageblocks (dotted, the samples
 * that walk the pageblocks), per policy. */
static int chart_alloc_2m(FILE *f, const struct sim *s, double mib)
{
	struct series_buf b = { .n = 0 };
	char names[PA_POLICY_NR][3][64];
	double pb_mib = (double)(1ull << s->zcfg.pageblock_order) * mib;
	double spb_mib = (double)(1ull << s->zcfg.superpageblock_order) * mib;
	struct svg_chart c = { "allocated (solid), free in whole pageblocks "
			       "(dashed) and superpageblocks (dotted)",
			       "trace time (s)", "MiB",
			       CHART_W, CHART_H, SVG_AUTO, NULL, 0 };

	for (unsigned i = 0; i < s->npol; i++) {
		const struct sim_policy *p = &s->pol[i];
		const char *name = pa_policy_name(p->policy);
		struct svg_series *a, *h, *g;
		unsigned n = 0;

		snprintf(names[i][0], sizeof(names[i][0]), "%s allocated", name);
		snprintf(names[i][1], sizeof(names[i][1]), "%s in %.0f MiB blocks",
			 name, pb_mib);
		snprintf(names[i][2], sizeof(names[i][2]), "%s in %.0f MiB blocks",
			 name, spb_mib);
		a = series_add(&b, names[i][0], svg_color(i), p);
		h = series_add(&b, names[i][1], svg_color(i), p);
		g = series_add(&b, names[i][2], svg_color(i), p);
		if (!a || !h || !g) {
			series_free(&b);
			return -ENOMEM;
		}
		h->dash = "6 3";
		g->dash = "1 3";
		for (unsigned k = 0; k < p->nsamples; k++) {
			const struct sim_sample *x = &p->samples[k];

			b.y[b.n - 3][k] = (double)x->allocated * mib;
			b.y[b.n - 2][k] = blocks_2m(s, x) * pb_mib;
			if (!x->has_frag)
				continue;
			b.x[b.n - 1][n] = (double)x->t_ns / 1e9;
			b.y[b.n - 1][n++] = (double)x->free_whole_spb * spb_mib;
		}
		g->n = n;
	}
	svg_lines(f, &c, b.s, b.n);
	series_free(&b);
	return 0;
}

/* Superpageblocks holding unmovable or reclaimable memory (solid) and
 * the clean rest, the 1 GiB ranges contiguous allocation could have by
 * moving movable pages (dashed), per policy, on the pageblock-walk
 * samples. */
static int chart_spb(FILE *f, const struct sim *s)
{
	struct series_buf b = { .n = 0 };
	char names[PA_POLICY_NR][2][64];
	struct svg_chart c = { "tainted superpageblocks (solid) and clean ones, "
			       "1 GiB candidates (dashed)", "trace time (s)",
			       "superpageblocks", CHART_W, CHART_H, SVG_LINEAR,
			       NULL, 0 };

	for (unsigned i = 0; i < s->npol; i++) {
		const struct sim_policy *p = &s->pol[i];
		struct svg_series *t, *g;
		unsigned n = 0;

		snprintf(names[i][0], sizeof(names[i][0]), "%s tainted",
			 pa_policy_name(p->policy));
		snprintf(names[i][1], sizeof(names[i][1]), "%s clean",
			 pa_policy_name(p->policy));
		t = series_add(&b, names[i][0], svg_color(i), p);
		g = series_add(&b, names[i][1], svg_color(i), p);
		if (!t || !g) {
			series_free(&b);
			return -ENOMEM;
		}
		g->dash = "6 3";
		for (unsigned k = 0; k < p->nsamples; k++) {
			const struct sim_sample *x = &p->samples[k];

			if (!x->has_frag)
				continue;
			b.x[b.n - 2][n] = b.x[b.n - 1][n] = (double)x->t_ns / 1e9;
			b.y[b.n - 2][n] = (double)x->tainted_spb;
			b.y[b.n - 1][n++] = (double)x->clean_spb;
		}
		t->n = g->n = n;
	}
	svg_lines(f, &c, b.s, b.n);
	series_free(&b);
	return 0;
}

/* Free pages by order over time, one line per order (buddyinfo's counts
 * times 2^order), on a log axis: they span decades. */
static int chart_buddyinfo(FILE *f, const struct sim *s,
			   const struct sim_policy *p)
{
	struct series_buf b = { .n = 0 };
	char names[PA_FRAG_ORDERS][16], cols[PA_FRAG_ORDERS][8], title[96];
	unsigned n = s->max_order + 1;
	struct svg_chart c = { title, "trace time (s)", "free pages",
			       CHART_W, CHART_H, SVG_LOG, NULL, 0 };

	snprintf(title, sizeof(title), "%s: free pages by order (buddyinfo)",
		 pa_policy_name(p->policy));
	for (unsigned o = 0; o < n && o < PA_FRAG_ORDERS; o++) {
		snprintf(names[o], sizeof(names[o]), "order %u", o);
		if (!series_add(&b, names[o], svg_ramp(o, n, cols[o]), p)) {
			series_free(&b);
			return -ENOMEM;
		}
		for (unsigned k = 0; k < p->nsamples; k++)
			b.y[o][k] = (double)(p->samples[k].nr_free[o] << o);
	}
	svg_lines(f, &c, b.s, b.n);
	series_free(&b);
	return 0;
}

/* The kernel's index per order over time as a heat map. */
static int chart_index(FILE *f, const struct sim *s,
		       const struct sim_policy *p, bool extfrag)
{
	unsigned rows = s->max_order + 1, cols = p->nsamples;
	double *x = calloc(cols ? cols : 1, sizeof(double));
	double *v = calloc((size_t)rows * (cols ? cols : 1), sizeof(double));
	char title[128];
	struct svg_heat h = { title, "s", "order", rows, cols, x, v,
			      extfrag ? "-1: a free block of that order exists"
				      : NULL, CHART_W, 260 };

	if (!x || !v) {
		free(x);
		free(v);
		return -ENOMEM;
	}
	snprintf(title, sizeof(title), extfrag ?
		 "%s: fragmentation index per order (extfrag_index; near 1: "
		 "failures from fragmentation)" :
		 "%s: unusable free space index per order (unusable_index)",
		 pa_policy_name(p->policy));
	for (unsigned k = 0; k < cols; k++) {
		const struct sim_sample *q = &p->samples[k];

		x[k] = (double)q->t_ns / 1e9;
		for (unsigned o = 0; o < rows; o++)
			v[(size_t)o * cols + k] = (extfrag ? q->extfrag_milli[o] :
						   q->unusable_milli[o]) / 1000.0;
	}
	svg_heatmap(f, &h);
	free(x);
	free(v);
	return 0;
}

/* Free memory by pageblock type: only samples that walked the
 * pageblocks have it (see SIM_FRAG_PB_PER_EVENT). */
static int chart_free_by_mt(FILE *f, const struct sim_policy *p, double mib)
{
	struct series_buf b = { .n = 0 };
	char title[96];
	struct svg_chart c = { title, "trace time (s)", "MiB", CHART_W,
			       CHART_H, SVG_LINEAR, NULL, 0 };

	snprintf(title, sizeof(title), "%s: free memory by pageblock type",
		 pa_policy_name(p->policy));
	for (unsigned m = 0; m <= PA_MT_PCPTYPES; m++) {
		struct svg_series *x = series_add(&b, pa_migratetype_name(m),
						  report_mt_color(m), p);
		unsigned n = 0;

		if (!x) {
			series_free(&b);
			return -ENOMEM;
		}
		for (unsigned k = 0; k < p->nsamples; k++) {
			if (!p->samples[k].has_frag)
				continue;
			b.x[m][n] = (double)p->samples[k].t_ns / 1e9;
			b.y[m][n++] = (double)p->samples[k].free_by_mt[m] * mib;
		}
		x->n = n;
	}
	svg_lines(f, &c, b.s, b.n);
	series_free(&b);
	return 0;
}

static void pre(FILE *f, const char *what, const char *text)
{
	fprintf(f, "<p class=\"note\">%s</p><pre>", what);
	svg_escape(f, text ? text : "(not available)\n");
	fprintf(f, "</pre>\n");
}

/* The kernel-format texts at the peak and at the end, per policy. */
static void kernel_texts(FILE *f, const struct sim *s, double mib)
{
	for (unsigned i = 0; i < s->npol; i++) {
		const struct sim_policy *p = &s->pol[i];
		char what[256];

		fprintf(f, "<h3>%s</h3>\n<div class=\"texts\"><div>",
			pa_policy_name(p->policy));
		for (unsigned k = 0; k < SIM_NR_REPORTS; k++) {
			bool walk = k == SIM_PAGETYPEINFO;

			snprintf(what, sizeof(what), "%s at the peak (t = %.3f s, "
				 "%.1f MiB allocated)", sim_report_file(k),
				 (walk ? p->frag_peak_t_ns : p->peak_t_ns) / 1e9,
				 (double)(walk ? p->frag_peak_allocated :
					  p->peak_allocated) * mib);
			pre(f, what, p->report_peak[k]);
		}
		fprintf(f, "</div><div>");
		for (unsigned k = 0; k < SIM_NR_REPORTS; k++) {
			snprintf(what, sizeof(what), "%s at the end",
				 sim_report_file(k));
			pre(f, what, p->report_end[k]);
		}
		fprintf(f, "</div></div>\n");
	}
}

static void header(FILE *f, const struct lab_report *r)
{
	const struct sim *s = r->sim;
	const struct trace_tally *t = r->tally;
	char a[48];

	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<title>pagealloc %s: ", r->what);
	svg_escape(f, r->title);
	fprintf(f, "</title>\n<style>\n"
		"body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}\n"
		"h1{font-size:20px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ccc}\n"
		"table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right}\n"
		"td:first-child,th:first-child{text-align:left}tr.sec td{font-weight:bold;text-align:left;padding-top:8px}\n"
		"tbody tr:nth-child(even){background:#f4f4f4}\n"
		".grid{display:flex;flex-wrap:wrap;gap:18px}\n"
		".texts{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:0 24px}.texts>div{min-width:0}\n"
		"pre{font-size:10px;background:#f7f7f7;padding:6px;overflow-x:auto;margin-top:2px}.texts p{margin:8px 0 0}\n"
		"svg text{font:12px system-ui,sans-serif;fill:#222}svg text.ct{font-weight:bold}\n"
		"svg text.small{font-size:9px}line.grid{stroke:#e4e4e4}line.axis{stroke:#888}\n"
		"line.ref{stroke:#c00;stroke-width:1.5;stroke-dasharray:6 4}svg text.reft{fill:#c00}\n"
		".legend span{margin-right:14px;white-space:nowrap}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}\n"
		".note{color:#555}.warn{color:#a00;border:1px solid #a00;padding:6px}\n</style></head><body>\n");
	fprintf(f, "<h1>pagealloc %s: ", r->what);
	svg_escape(f, r->title);
	fprintf(f, "</h1>\n");
	if (r->description[0]) {
		fprintf(f, "<p>");
		svg_escape(f, r->description);
		fprintf(f, "</p>\n");
	}
	fprintf(f, "<p>Simulated machine: %s, %" PRIu64 " pageblocks of %u KiB, "
		"%u CPUs, per-CPU batch %u, high %u..%u. Policies: ",
		size_format(s->cfg.bytes, a, sizeof(a)), s->pol[0].stats.nr_pageblocks,
		(1u << s->zcfg.pageblock_order << s->zcfg.page_shift) >> 10,
		s->zcfg.ncpus, s->zcfg.pcp_batch, s->zcfg.pcp_high_min,
		s->zcfg.pcp_high_max);
	for (unsigned i = 0; i < s->npol; i++)
		fprintf(f, "%s<b>%s</b>", i ? ", " : "", pa_policy_name(s->pol[i].policy));
	fprintf(f, ".</p>\n");
	if (t) {
		fprintf(f, "<p>Trace: %" PRIu64 " lines over %.3f s; ", t->lines,
			(double)(t->last_ts - t->first_ts) / 1e9);
		for (int k = 0; k < TEV_NR; k++)
			fprintf(f, "%s %" PRIu64 "%s", trace_kind_name((enum trace_kind)k),
				t->events[k], k + 1 < TEV_NR ? ", " : ". ");
		fprintf(f, "Lost %" PRIu64 ", malformed %" PRIu64 ". The real kernel "
			"moved <b>%" PRIu64 "</b> pages under zone-&gt;lock "
			"(mm_page_alloc_zone_locked + mm_page_pcpu_drain).</p>\n",
			t->lost, t->malformed, report_kernel_zone_pages(t));
		if (report_kernel_unreliable(t)) {
			char why[300];
			report_unreliable_reason(t, why, sizeof(why));
			fprintf(f, "<p class=\"warn\"><b>The comparison with the "
				"kernel is unreliable:</b> %s.</p>\n", why);
		}
	}
}

static void comparison(FILE *f, const struct sim *s,
		       const struct report_fig *figs, unsigned n, double mib)
{
	const char *section = NULL;
	char a[48];

	fprintf(f, "<h2>Comparison</h2>\n<table><thead><tr><th></th>");
	for (unsigned i = 0; i < s->npol; i++)
		fprintf(f, "<th>%s</th>", pa_policy_name(s->pol[i].policy));
	fprintf(f, "</tr></thead><tbody>\n");
	for (unsigned j = 0; j < n; j++) {
		if (figs[j].section != section) {
			section = figs[j].section;
			fprintf(f, "<tr class=\"sec\"><td colspan=\"%u\">", s->npol + 1);
			svg_escape(f, section);
			fprintf(f, "</td></tr>\n");
		}
		fprintf(f, "<tr><td>");
		svg_escape(f, figs[j].label);
		fprintf(f, "</td>");
		for (unsigned i = 0; i < s->npol; i++) {
			fmt_value(&figs[j], figs[j].v[i], mib, a, sizeof(a));
			fprintf(f, "<td>%s</td>", a);
		}
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</tbody></table>\n");
}

/* One bar chart per headline figure; the kernel-comparable zone->lock
 * figure carries the real kernel's value as a reference line. */
static void bar_charts(FILE *f, const struct lab_report *r,
		       const struct report_fig *figs, unsigned n, double mib)
{
	const struct sim *s = r->sim;
	const char *names[PA_POLICY_NR], *labels[PA_POLICY_NR];
	char lbuf[PA_POLICY_NR][48], title[160], ref[64];

	for (unsigned i = 0; i < s->npol; i++) {
		names[i] = pa_policy_name(s->pol[i].policy);
		labels[i] = lbuf[i];
	}
	fprintf(f, "<h2>Per policy</h2>\n<div class=\"grid\">\n");
	for (unsigned j = 0; j < n; j++) {
		bool yard = r->tally &&
			    !strcmp(figs[j].key, "zone_pages_kernel_comparable");
		double k = yard ? (double)report_kernel_zone_pages(r->tally) : 0;

		if (!figs[j].chart)
			continue;
		for (unsigned i = 0; i < s->npol; i++)
			fmt_value(&figs[j], figs[j].v[i], mib, lbuf[i], sizeof(lbuf[i]));
		snprintf(title, sizeof(title), "%s: %s", figs[j].section,
			 figs[j].label);
		snprintf(ref, sizeof(ref), "real kernel %.0f", k);
		svg_bars(f, title, s->npol, names, figs[j].v, labels, k,
			 yard ? ref : NULL, 420);
	}
	fprintf(f, "</div>\n");
}

static int over_time(FILE *f, const struct lab_report *r, double mib)
{
	const struct sim *s = r->sim;
	int rc = 0;

	fprintf(f, "<h2>Over time</h2>\n<div class=\"grid\">\n");
	rc |= chart_zone_lock(f, r);
	rc |= chart_zone_lock_rate(f, s);
	rc |= chart_alloc_2m(f, s, mib);
	rc |= chart_spb(f, s);
	for (unsigned i = 0; i < s->npol; i++)
		rc |= chart_buddyinfo(f, s, &s->pol[i]);
	fprintf(f, "</div>\n<h2>The kernel's fragmentation indexes per order</h2>\n"
		"<p class=\"note\">As /sys/kernel/debug/extfrag shows them, from the "
		"free block counts of each sample. unusable_index: the share of free "
		"memory an allocation of that order cannot use. extfrag_index: why "
		"such an allocation would fail, near 0 for lack of memory, near 1 for "
		"fragmentation (compaction runs above 0.5).</p>\n<div class=\"grid\">\n");
	for (unsigned i = 0; i < s->npol; i++) {
		rc |= chart_index(f, s, &s->pol[i], false);
		rc |= chart_index(f, s, &s->pol[i], true);
	}
	fprintf(f, "</div>\n<div class=\"grid\">\n");
	for (unsigned i = 0; i < s->npol; i++)
		rc |= chart_free_by_mt(f, &s->pol[i], mib);
	fprintf(f, "</div>\n");
	return rc ? -ENOMEM : 0;
}

int report_html(const struct lab_report *r, const char *path)
{
	const struct sim *s = r->sim;
	struct report_fig figs[REPORT_MAX_FIGS];
	unsigned n = report_figures(r, figs);
	double mib = (double)(1ull << s->zcfg.page_shift) / 1048576.0;
	struct outfile o;
	int err = outfile_open(&o, path);
	FILE *f = o.f;

	if (err)
		return err;
	header(f, r);
	comparison(f, s, figs, n, mib);
	bar_charts(f, r, figs, n, mib);
	err = over_time(f, r, mib);
	fprintf(f, "<h2>Buddyinfo, pagetypeinfo and the indexes at the peak and "
		"at the end</h2>\n");
	kernel_texts(f, s, mib);
	report_pbmap_section(f, s);
	fprintf(f, "<p class=\"note\">Written by pagealloc %d.%d.</p>\n</body></html>\n",
		PA_VERSION_MAJOR, PA_VERSION_MINOR);
	if (err) {
		outfile_abort(&o);
		return err;
	}
	return outfile_commit(&o);
}
