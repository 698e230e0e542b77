/* SPDX-License-Identifier: MIT */
/*
 * The virtual-time sweep's report: a table (one row per CPU count and
 * policy), the same figures in JSON, and an HTML page with the scaling
 * charts.  No wall-clock figure appears, so reruns write identical files.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "outfile.h"
#include "svg.h"
#include "vtime_cmd.h"

static void model_line(const struct vt_sweep *w, FILE *f, const char *pre)
{
	const struct costmodel *m = &w->model;

	fprintf(f, "%scost model (%s): call %.1f ns, zone->lock %.1f ns + %.2f "
		"ns/page + %.2f ns/list op + %.2f ns/merge or split piece + "
		"%.2f ns/pageblock entry walked, hand-off %.1f ns + %.2f ns per "
		"waiter, remote list %.1f ns, metadata miss %.1f ns (cache %.0f "
		"lines), think x%g; warm-up %g\n", pre, w->model_from, m->call_ns,
		m->lock_ns, m->page_ns, m->list_op_ns, m->merge_ns,
		m->pb_walk_ns, m->handoff_ns, m->handoff_waiter_ns, m->remote_ns,
		m->miss_ns, m->cache_lines, m->think_scale, w->warmup);
}

/* ns per request of a one-CPU run: its makespan and its background
 * step's CPU time (which works for the same calls), with its line misses
 * priced at the figures y instead of the cost model's m. */
static double one_cpu_ns(const struct vt_result *r, const struct costmodel *m,
			 const double y[COSTMODEL_MISS_FIGS])
{
	double was[COSTMODEL_MISS_FIGS], ns = r->makespan_ns + r->bg_ns;

	if (!r->ops)
		return 0;
	costmodel_miss_figures(m, was);
	for (unsigned k = 0; k < COSTMODEL_MISS_FIGS; k++)
		ns += r->miss_w[k] * (y[k] - was[k]);
	return ns / (double)r->ops;
}

/* --measure: the one-CPU prediction beside the same calls timed, priced
 * at the cost model's miss figures and at those measured beside. */
static void measured_lines(const struct vt_sweep *w, FILE *f)
{
	double model[COSTMODEL_MISS_FIGS];

	if (!w->measured || !w->n)
		return;
	costmodel_miss_figures(&w->model, model);
	fprintf(f, "\nsingle CPU, predicted against measured (the same calls "
		"on a fresh zone, thread CPU time less the replay loop's own, "
		"least per window of passes spanning 4 s; the prediction with "
		"its metadata misses priced at the miss figures measured beside "
		"those passes, and at the cost model's):\n");
	for (unsigned i = 0; i < w->npol; i++) {
		const struct vt_result *r = &w->res[0][i];
		const double *y = w->measured_miss[i];
		double at_model = one_cpu_ns(r, &w->model, model);
		double pred = one_cpu_ns(r, &w->model, y), real = w->measured_ns[i];

		fprintf(f, "  %-10s miss figures beside: %.1f / %.1f / %.1f / "
			"%.1f ns (1, 4, 16, 64 MiB; cost model %.1f / %.1f / %.1f "
			"/ %.1f): predicted %.2f ns/request at the cost model's\n",
			pa_policy_name(r->policy), y[0], y[1], y[2], y[3],
			model[0], model[1], model[2], model[3], at_model);
		fprintf(f, "  %-10s predicted %7.2f ns/request, measured %7.2f: "
			"predicted/measured %.2f\n", pa_policy_name(r->policy),
			pred, real, real > 0 ? pred / real : 0);
	}
}

/* Did any run have interrupts, a background step that worked, or
 * reclaim? */
static bool has_extra(const struct vt_sweep *w)
{
	for (unsigned k = 0; k < w->n; k++)
		for (unsigned i = 0; i < w->npol; i++)
			if (w->res[k][i].irqs || w->res[k][i].bg_ns > 0 ||
			    w->res[k][i].reclaim_frees)
				return true;
	return false;
}

/* Interrupts (trylock fallbacks and their zone->lock cost) and the
 * background step, per CPU count and policy. */
static void extra_lines(const struct vt_sweep *w, FILE *f)
{
	if (!has_extra(w))
		return;
	fprintf(f, "\n%5s %-10s %10s %10s %10s %6s %9s %9s %7s %8s %9s %8s "
		"%7s %9s %10s\n", "cpus", "policy", "irqs", "irq calls",
		"fallbacks", "fb%", "fb zacq", "fb w+h ns", "irq%", "bg ticks",
		"bg holds", "bg pages", "bg%", "bg wait", "reclaimed");
	for (unsigned k = 0; k < w->n; k++)
		for (unsigned i = 0; i < w->npol; i++) {
			const struct vt_result *r = &w->res[k][i];
			struct vt_figures g;

			vtime_figures(r, &g);
			fprintf(f, "%5u %-10s %10" PRIu64 " %10" PRIu64 " %10"
				PRIu64 " %6.2f %9" PRIu64 " %9.1f %7.3f %8" PRIu64
				" %9" PRIu64 " %8" PRIu64 " %7.3f %9.1f %10"
				PRIu64 "\n",
				r->ncpus, pa_policy_name(r->policy), r->irqs,
				r->irq_calls, r->irq_fallbacks,
				100 * g.irq_fallback_share, r->fb_zone_acq,
				r->fb_zone_acq ? (r->fb_zone_wait_ns +
						  r->fb_zone_hold_ns) /
						 (double)r->fb_zone_acq : 0,
				r->cpu_ns > 0 ? 100 * r->irq_ns / r->cpu_ns : 0,
				r->bg_ticks, r->bg_holds, r->bg_pages,
				100 * g.bg_share,
				r->bg_holds ? r->bg_wait_ns / (double)r->bg_holds : 0,
				r->reclaim_frees);
		}
	fprintf(f, "irqs: interrupts handled; fallbacks: handler calls whose "
		"pageset trylock failed (fb%% of handler calls); fb zacq, fb "
		"w+h ns: zone->lock acquisitions of those handlers, mean wait "
		"plus hold; irq%%: CPU time in handlers; bg: the background "
		"step (pa_zone_tick) on its own CPU: ticks, zone->lock holds, "
		"pages reclaimed or moved, busy share of the run, mean wait "
		"per hold; reclaimed: blocks reclaim freed (the lab's LRU and "
		"slab, direct and in the background step)\n");
}

int vtime_report_text(const struct vt_sweep *w, FILE *f)
{
	fprintf(f, "pagealloc %s: %s, in virtual time\n", w->what, w->title);
	model_line(w, f, "");
	fprintf(f, "\n%5s %-10s %5s %11s %7s %7s %9s %9s %9s %9s %7s %12s "
		"%7s %9s %9s %10s\n",
		"cpus", "policy", "batch", "high", "wait%", "lock%", "wait ns",
		"wait p99", "hold ns", "hold p99", "cont%", "acquisitions",
		"pcpw%", "pcp ns", "pcp p99", "Mops/s");
	for (unsigned k = 0; k < w->n; k++)
		for (unsigned i = 0; i < w->npol; i++) {
			const struct vt_result *r = &w->res[k][i];
			struct vt_figures g;
			char high[32];

			vtime_figures(r, &g);
			snprintf(high, sizeof(high), "%u..%u", w->high_min[k],
				 w->high_max[k]);
			fprintf(f, "%5u %-10s %5u %11s %7.2f %7.2f %9.1f %9.1f "
				"%9.1f %9.1f %7.2f %12" PRIu64 " %7.2f %9.1f "
				"%9.1f %10.3f\n",
				r->ncpus, pa_policy_name(r->policy), w->batch[k],
				high, 100 * g.wait_share, 100 * g.lock_util,
				g.wait_mean_ns, g.wait_p99_ns, g.hold_mean_ns,
				g.hold_p99_ns, 100 * g.contended_share,
				r->acquisitions, 100 * g.pcp_wait_share,
				g.pcp_wait_mean_ns, g.pcp_wait_p99_ns,
				g.ops_per_s / 1e6);
		}
	extra_lines(w, f);
	measured_lines(w, f);
	fprintf(f, "\nwait%%: share of CPU time spinning on zone->lock; lock%%: "
		"share of virtual time zone->lock is held; cont%%: "
		"acquisitions that waited; pcpw%%, pcp ns, pcp p99: share of "
		"CPU time spinning on a pcp->lock, mean and p99 wait per "
		"pcp->lock acquisition; Mops/s: requests per virtual "
		"second, all CPUs (docs/VTIME.md)\n");
	return ferror(f) ? -EIO : 0;
}

static void json_result(FILE *f, const struct vt_result *r)
{
	struct vt_figures g;

	vtime_figures(r, &g);
	fprintf(f, "{\"policy\": \"%s\", \"requests\": %" PRIu64
		", \"wait_share\": %.6g, \"lock_utilisation\": %.6g"
		", \"wait_mean_ns\": %.6g, \"wait_p99_ns\": %.6g"
		", \"hold_mean_ns\": %.6g, \"hold_p99_ns\": %.6g"
		", \"hold_max_ns\": %.6g, \"contended_share\": %.6g"
		", \"acquisitions\": %" PRIu64 ", \"tick_holds\": %" PRIu64
		", \"remote_ops\": %" PRIu64 ", \"remote_wait_ns\": %.6g"
		", \"metadata_misses\": %" PRIu64 ", \"compaction_scanned\": %"
		PRIu64 ", \"compaction_free_scanned\": %" PRIu64
		", \"compaction_runs\": %" PRIu64
		", \"migrated\": %" PRIu64 ", \"migrated_blocks\": %" PRIu64
		", \"zone_list_ops\": %" PRIu64 ", \"buddy_merges\": %" PRIu64
		", \"split_pieces\": %" PRIu64 ", \"pb_walked\": %" PRIu64
		", \"merge_passes\": %" PRIu64
		", \"chunks_walked\": %" PRIu64 ", \"walk_hops\": %" PRIu64 ", \"walk_misses\": %" PRIu64
		", \"tlb_misses\": %" PRIu64 ", \"movable_marks\": %" PRIu64
		", \"ops_per_virtual_s\": %.6g, \"makespan_ns\": %.6g"
		", \"cpu_ns\": %.6g, \"think_ns\": %.6g, \"call_ns\": %.6g"
		", \"wait_ns\": %.6g, \"hold_ns\": %.6g",
		pa_policy_name(r->policy), r->ops, g.wait_share, g.lock_util,
		g.wait_mean_ns, g.wait_p99_ns, g.hold_mean_ns, g.hold_p99_ns,
		g.hold_max_ns, g.contended_share, r->acquisitions, r->tick_holds,
		r->remote_ops, r->remote_wait_ns, r->misses, r->scanned,
		r->free_scanned, r->compact_runs, r->migrated, r->migrated_blocks, r->list_ops, r->merges,
		r->splits, r->pb_walked, r->passes, r->walked, r->walk_hops, r->walk_misses,
		r->tlb_misses, r->marks, g.ops_per_s, r->makespan_ns,
		r->cpu_ns, r->think_ns, r->call_ns, r->wait_ns, r->hold_ns);
	fprintf(f, ", \"pcp_lock\": {\"wait_share\": %.6g, \"wait_mean_ns\": "
		"%.6g, \"wait_p99_ns\": %.6g, \"contended_share\": %.6g, "
		"\"acquisitions\": %" PRIu64 ", \"remote_acquisitions\": %"
		PRIu64 ", \"wait_ns\": %.6g, \"hold_ns\": %.6g}",
		g.pcp_wait_share, g.pcp_wait_mean_ns, g.pcp_wait_p99_ns,
		g.pcp_contended_share, r->pcp_acquisitions, r->pcp_remote,
		r->pcp_wait_ns, r->pcp_hold_ns);
	fprintf(f, ", \"irq\": {\"interrupts\": %" PRIu64 ", \"calls\": %"
		PRIu64 ", \"trylock_fallbacks\": %" PRIu64 ", \"failed\": %"
		PRIu64 ", \"cpu_ns\": %.6g, \"zone_acquisitions\": %" PRIu64
		", \"zone_wait_ns\": %.6g, \"zone_hold_ns\": %.6g, "
		"\"fallback_zone_acquisitions\": %" PRIu64 ", "
		"\"fallback_zone_wait_ns\": %.6g, \"fallback_zone_hold_ns\": "
		"%.6g}, \"background\": {\"ticks\": %" PRIu64 ", \"holds\": %"
		PRIu64 ", \"pages\": %" PRIu64 ", \"busy_ns\": %.6g, "
		"\"busy_share\": %.6g, \"wait_ns\": %.6g, \"hold_ns\": %.6g}, "
		"\"reclaim_frees\": %" PRIu64 "}",
		r->irqs, r->irq_calls, r->irq_fallbacks, r->irq_failed, r->irq_ns,
		r->irq_zone_acq, r->irq_zone_wait_ns, r->irq_zone_hold_ns,
		r->fb_zone_acq, r->fb_zone_wait_ns, r->fb_zone_hold_ns,
		r->bg_ticks, r->bg_holds, r->bg_pages, r->bg_ns, g.bg_share,
		r->bg_wait_ns, r->bg_hold_ns, r->reclaim_frees);
}

int vtime_report_json(const struct vt_sweep *w, const char *path)
{
	const struct costmodel *m = &w->model;
	struct outfile o;
	int err = outfile_open(&o, path);
	FILE *f = o.f;

	if (err)
		return err;
	fprintf(f, "{\n  \"what\": \"%s\", \"virtual_time\": true,\n  \"title\": ",
		w->what);
	fputc('"', f);
	for (const char *c = w->title; *c; c++)
		fprintf(f, *c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
	fprintf(f, "\",\n  \"cost_model\": {\"call_ns\": %g, \"lock_ns\": %g, "
		"\"page_ns\": %g, \"list_op_ns\": %g, \"merge_ns\": %g, "
		"\"pb_walk_ns\": %g, \"handoff_ns\": %g, "
		"\"handoff_waiter_ns\": %g, \"remote_ns\": %g, \"think_scale\": "
		"%g, \"miss_ns\": %g, \"cache_lines\": %g},\n  \"warmup\": %g,\n  \"sweep\": [", m->call_ns, m->lock_ns,
		m->page_ns, m->list_op_ns, m->merge_ns, m->pb_walk_ns,
		m->handoff_ns, m->handoff_waiter_ns,
		m->remote_ns, m->think_scale, m->miss_ns, m->cache_lines, w->warmup);
	for (unsigned k = 0; k < w->n; k++) {
		fprintf(f, "%s\n    {\"cpus\": %u, \"pcp_batch\": %u, "
			"\"pcp_high_min\": %u, \"pcp_high_max\": %u, "
			"\"policies\": [", k ? "," : "", w->cpus[k], w->batch[k],
			w->high_min[k], w->high_max[k]);
		for (unsigned i = 0; i < w->npol; i++) {
			fprintf(f, "%s\n      ", i ? "," : "");
			json_result(f, &w->res[k][i]);
		}
		fprintf(f, "]}");
	}
	fprintf(f, "\n  ]\n}\n");
	return outfile_commit(&o);
}

/* One line per policy of figure `which` over the CPU counts. */
static void chart(FILE *f, const struct vt_sweep *w, const char *title,
		  const char *unit, int which)
{
	double x[PA_POLICY_NR][VT_MAX_SWEEP], y[PA_POLICY_NR][VT_MAX_SWEEP];
	struct svg_series s[PA_POLICY_NR];
	struct svg_chart c = { title, "CPUs", unit, 640, 300, SVG_LINEAR, NULL, 0 };

	for (unsigned i = 0; i < w->npol; i++) {
		for (unsigned k = 0; k < w->n; k++) {
			struct vt_figures g;

			vtime_figures(&w->res[k][i], &g);
			x[i][k] = w->cpus[k];
			y[i][k] = which == 0 ? 100 * g.wait_share :
				  which == 1 ? g.ops_per_s / 1e6 : g.wait_p99_ns;
		}
		s[i] = (struct svg_series){ .name = pa_policy_name(w->res[0][i].policy),
					    .x = x[i], .y = y[i], .n = w->n };
	}
	svg_lines(f, &c, s, w->npol);
}

static void html_table(FILE *f, const struct vt_sweep *w)
{
	fprintf(f, "<table><tr><th>CPUs</th><th>policy</th><th>batch</th>"
		"<th>high</th><th>wait %% of CPU</th><th>lock busy %%</th>"
		"<th>wait mean ns</th><th>wait p99 ns</th><th>hold mean ns</th>"
		"<th>hold p99 ns</th><th>acquisitions</th><th>pcp-&gt;lock wait "
		"%% of CPU</th><th>pcp wait mean ns</th><th>pcp wait p99 ns</th>"
		"<th>Mops/s</th></tr>\n");
	for (unsigned k = 0; k < w->n; k++)
		for (unsigned i = 0; i < w->npol; i++) {
			const struct vt_result *r = &w->res[k][i];
			struct vt_figures g;

			vtime_figures(r, &g);
			fprintf(f, "<tr><td>%u</td><td>%s</td><td>%u</td>"
				"<td>%u..%u</td><td>%.2f</td><td>%.2f</td>"
				"<td>%.1f</td><td>%.1f</td><td>%.1f</td><td>%.1f</td>"
				"<td>%" PRIu64 "</td><td>%.2f</td><td>%.1f</td>"
				"<td>%.1f</td><td>%.3f</td></tr>\n",
				r->ncpus, pa_policy_name(r->policy), w->batch[k],
				w->high_min[k], w->high_max[k], 100 * g.wait_share,
				100 * g.lock_util, g.wait_mean_ns, g.wait_p99_ns,
				g.hold_mean_ns, g.hold_p99_ns, r->acquisitions,
				100 * g.pcp_wait_share, g.pcp_wait_mean_ns,
				g.pcp_wait_p99_ns, g.ops_per_s / 1e6);
		}
	fprintf(f, "</table>\n");
}

int vtime_report_html(const struct vt_sweep *w, const char *path)
{
	struct outfile o;
	int err = outfile_open(&o, path);
	FILE *f = o.f;

	if (err)
		return err;
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<title>pagealloc %s in virtual time: ", w->what);
	svg_escape(f, w->title);
	fprintf(f, "</title>\n<style>body{font:14px/1.4 system-ui,sans-serif;"
		"margin:24px;color:#222;max-width:1400px}table{border-collapse:"
		"collapse}td,th{padding:2px 8px;text-align:right;border-bottom:1px "
		"solid #ddd}.ct{font-weight:bold}.small{font-size:10px}text{font-size:12px}"
		"</style></head><body>\n<h1>zone-&gt;lock in virtual time: ");
	svg_escape(f, w->title);
	fprintf(f, "</h1>\n<p>");
	model_line(w, f, "");
	fprintf(f, "</p>\n");
	chart(f, w, "share of CPU time spinning on zone->lock", "%", 0);
	chart(f, w, "throughput (requests per virtual second, all CPUs)",
	      "M/s", 1);
	chart(f, w, "p99 wait per zone->lock acquisition", "ns", 2);
	html_table(f, w);
	fprintf(f, "<p>Model and assumptions: docs/VTIME.md.</p></body></html>\n");
	return outfile_commit(&o);
}
