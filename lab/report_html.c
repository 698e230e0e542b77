/* SPDX-License-Identifier: MIT */
/*
 * The HTML report: one self-contained page (inline CSS and SVG, no script,
 * nothing fetched) with the comparison table, a bar chart per headline
 * figure, time series over the run, and a map of every pageblock at the
 * end, one row per superpageblock.
 */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "size.h"
#include "svg.h"

static const char *const mt_color[PA_MT_TYPES] = {
	"#d55e00", /* Unmovable */
	"#009e73", /* Movable */
	"#0072b2", /* Reclaimable */
	"#e69f00", /* HighAtomic */
	"#777777", /* Isolate */
};
static const char *const mt_free_color[PA_MT_TYPES] = {
	"#f6d2bb", "#c8ecdf", "#bcd9ef", "#f8e3b3", "#dddddd",
};
#define MIXED_COLOR "#6a3d9a"
#define OWNED_COLOR "#222222"

static const char *cell_color(uint8_t c)
{
	unsigned mt = c & 0x0f;

	if (mt >= PA_MT_TYPES)
		mt = PA_MT_ISOLATE;
	if (c & PA_PB_FREE)
		return mt_free_color[mt];
	if (c & PA_PB_MIXED)
		return MIXED_COLOR;
	return mt_color[mt];
}

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

/* The map: one row per superpageblock, consecutive cells of one colour
 * drawn as one rectangle so a 1 TiB machine stays a small file. */
static void pageblock_map(FILE *f, const struct sim *s,
			  const struct sim_policy *p)
{
	unsigned spb_shift = s->zcfg.superpageblock_order - s->zcfg.pageblock_order;
	uint64_t per_row = 1ull << spb_shift, rows, n = p->nr_pageblocks;
	unsigned width = 1024, rowh;
	double cw;

	if (!n || !p->pb_map)
		return;
	rows = (n + per_row - 1) / per_row;
	rowh = rows > 200 ? 3 : rows > 60 ? 6 : 14;
	cw = (double)width / (double)per_row;
	fprintf(f, "<svg width=\"%u\" height=\"%" PRIu64 "\" class=\"map\" "
		"role=\"img\"><title>pageblock map, %s</title>\n", width + 70,
		rows * (rowh + 1) + 2, pa_policy_name(p->policy));
	for (uint64_t r = 0; r < rows; r++) {
		uint64_t first = r * per_row, last = first + per_row;
		double y = (double)r * (rowh + 1) + 1;

		if (last > n)
			last = n;
		for (uint64_t i = first; i < last;) {
			uint64_t j = i + 1;
			const char *col = cell_color(p->pb_map[i]);

			while (j < last && cell_color(p->pb_map[j]) == col &&
			       !((p->pb_map[j] ^ p->pb_map[i]) & PA_PB_OWNED))
				j++;
			fprintf(f, "<rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" "
				"height=\"%u\" fill=\"%s\"%s/>", 60 + (double)(i - first) * cw,
				y, (double)(j - i) * cw, rowh, col,
				(p->pb_map[i] & PA_PB_OWNED) ?
				" stroke=\"" OWNED_COLOR "\" stroke-width=\"0.5\"" : "");
			i = j;
		}
		if (rows <= 64 || r % 16 == 0)
			fprintf(f, "<text x=\"56\" y=\"%.0f\" text-anchor=\"end\" "
				"class=\"small\">%" PRIu64 " GiB</text>",
				y + rowh - 1,
				(first << s->zcfg.pageblock_order
				 << s->zcfg.page_shift) >> 30);
		fputc('\n', f);
	}
	fprintf(f, "</svg>\n");
}

static void legend(FILE *f)
{
	fprintf(f, "<p class=\"legend\">");
	for (int m = 0; m < PA_MT_PCPTYPES + 1; m++)
		fprintf(f, "<span><i style=\"background:%s\"></i>%s in use</span>"
			"<span><i style=\"background:%s\"></i>%s, free</span>",
			mt_color[m], pa_migratetype_name((unsigned)m),
			mt_free_color[m], pa_migratetype_name((unsigned)m));
	fprintf(f, "<span><i style=\"background:%s\"></i>mixed (movable and "
		"not)</span><span><i style=\"border:1px solid %s\"></i>owned by "
		"a CPU</span></p>\n", MIXED_COLOR, OWNED_COLOR);
}

int report_html(const struct lab_report *r, const char *path)
{
	const struct sim *s = r->sim;
	const struct trace_tally *t = r->tally;
	struct report_fig figs[REPORT_MAX_FIGS];
	unsigned n = report_figures(r, figs);
	double mib = (double)(1ull << s->zcfg.page_shift) / 1048576.0;
	const char *names[PA_POLICY_NR], *labels[PA_POLICY_NR];
	char lbuf[PA_POLICY_NR][48], a[48];
	const char *section = NULL;
	FILE *f = fopen(path, "w");
	int err;

	if (!f)
		return -errno;
	for (unsigned i = 0; i < s->npol; i++) {
		names[i] = pa_policy_name(s->pol[i].policy);
		labels[i] = lbuf[i];
	}
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
		"svg text{font:12px system-ui,sans-serif;fill:#222}svg text.ct{font-weight:bold}\n"
		"svg text.small{font-size:9px}line.grid{stroke:#e4e4e4}line.axis{stroke:#888}\n"
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
		fprintf(f, "%s<b>%s</b>", i ? ", " : "", names[i]);
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

	fprintf(f, "<h2>Comparison</h2>\n<table><thead><tr><th></th>");
	for (unsigned i = 0; i < s->npol; i++)
		fprintf(f, "<th>%s</th>", names[i]);
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

	fprintf(f, "<h2>Per policy</h2>\n<div class=\"grid\">\n");
	for (unsigned j = 0; j < n; j++) {
		char title[160];

		if (!figs[j].chart)
			continue;
		for (unsigned i = 0; i < s->npol; i++)
			fmt_value(&figs[j], figs[j].v[i], mib, lbuf[i], sizeof(lbuf[i]));
		snprintf(title, sizeof(title), "%s: %s", figs[j].section,
			 figs[j].label);
		svg_bars(f, title, s->npol, names, figs[j].v, labels, 420);
	}
	fprintf(f, "</div>\n");

	fprintf(f, "<h2>Over time</h2>\n<div class=\"grid\">\n");
	{
		/* zone->lock pages per sampling interval, one line per policy */
		struct svg_series ser[PA_POLICY_NR];
		double *buf = calloc((size_t)s->npol * SIM_MAX_SAMPLES * 2, sizeof(double));

		if (!buf) {
			fclose(f);
			return -ENOMEM;
		}
		for (unsigned i = 0; i < s->npol; i++) {
			const struct sim_policy *p = &s->pol[i];
			double *x = buf + (size_t)i * SIM_MAX_SAMPLES * 2;
			double *y = x + SIM_MAX_SAMPLES;
			unsigned m = 0;

			for (unsigned k = 1; k < p->nsamples; k++, m++) {
				x[m] = (double)p->samples[k].t_ns / 1e9;
				y[m] = (double)(p->samples[k].zone_lock_pages -
						p->samples[k - 1].zone_lock_pages);
			}
			ser[i] = (struct svg_series){ names[i], NULL, x, y, m };
		}
		svg_lines(f, "zone->lock pages moved per interval", "trace time (s)",
			  "pages", ser, s->npol, 640, 300);
		/* free memory by pageblock migratetype, one chart per policy */
		for (unsigned i = 0; i < s->npol; i++) {
			const struct sim_policy *p = &s->pol[i];
			struct svg_series ms[PA_MT_PCPTYPES + 1];
			double *mb = calloc((size_t)(PA_MT_PCPTYPES + 2) * SIM_MAX_SAMPLES,
					    sizeof(double));
			char title[96];

			if (!mb)
				continue;
			for (unsigned k = 0; k < p->nsamples; k++)
				mb[k] = (double)p->samples[k].t_ns / 1e9;
			for (unsigned m = 0; m <= PA_MT_PCPTYPES; m++) {
				double *y = mb + (size_t)(m + 1) * SIM_MAX_SAMPLES;
				for (unsigned k = 0; k < p->nsamples; k++)
					y[k] = (double)p->samples[k].free_by_mt[m] * mib;
				ms[m] = (struct svg_series){ pa_migratetype_name(m),
					mt_color[m], mb, y, p->nsamples };
			}
			snprintf(title, sizeof(title), "%s: free memory by pageblock type",
				 names[i]);
			svg_lines(f, title, "trace time (s)", "MiB", ms,
				  PA_MT_PCPTYPES + 1, 640, 300);
			free(mb);
		}
		free(buf);
	}
	fprintf(f, "</div>\n");

	fprintf(f, "<h2>Pageblock map at the end</h2>\n<p class=\"note\">One cell per "
		"pageblock (%u KiB), one row per superpageblock (%" PRIu64 " MiB).</p>\n",
		(1u << s->zcfg.pageblock_order << s->zcfg.page_shift) >> 10,
		(uint64_t)((1ull << s->zcfg.superpageblock_order << s->zcfg.page_shift) >> 20));
	legend(f);
	for (unsigned i = 0; i < s->npol; i++) {
		fprintf(f, "<h3>%s</h3>\n", names[i]);
		pageblock_map(f, s, &s->pol[i]);
	}
	fprintf(f, "<p class=\"note\">Written by pagealloc %d.%d.</p>\n</body></html>\n",
		PA_VERSION_MAJOR, PA_VERSION_MINOR);
	err = ferror(f) ? -EIO : 0;
	if (fclose(f) != 0 && !err)
		err = -errno;
	return err;
}
