/* SPDX-License-Identifier: MIT */
/*
 * The terminal table: one column per policy, figures grouped as in
 * report_figures(), and above it what the machine and the trace were.
 */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "size.h"

/* 1234567 -> "1,234,567": long counts are read at a glance. */
static const char *grouped(uint64_t v, char *buf, size_t len)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%" PRIu64, v), o = 0;

	for (int i = 0; i < n && (size_t)o + 2 < len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = 0;
	return buf;
}

static void cell(const struct report_fig *f, double v, uint64_t page_bytes,
		 char *buf, size_t len)
{
	switch (f->unit) {
	case FIG_PAGES_MIB:
		snprintf(buf, len, "%.1f", v * (double)page_bytes / 1048576.0);
		break;
	case FIG_PERCENT:
		snprintf(buf, len, "%.1f", v);
		break;
	case FIG_RATIO:
		snprintf(buf, len, "%.2fx", v);
		break;
	default:
		grouped((uint64_t)v, buf, len);
		break;
	}
}

/* The simulated machine as the kernel's files would show it, at the
 * peak and at the end, per policy. */
static void kernel_views(FILE *out, const struct sim *s)
{
	double mib = (double)(1ull << s->zcfg.page_shift) / 1048576.0;

	for (unsigned i = 0; i < s->npol; i++) {
		const struct sim_policy *p = &s->pol[i];

		for (int end = 0; end < 2; end++)
			for (unsigned k = 0; k < SIM_NR_REPORTS; k++) {
				bool walk = k == SIM_PAGETYPEINFO;
				const char *text = end ? p->report_end[k] :
						   p->report_peak[k];

				fprintf(out, "\n%s: %s ", pa_policy_name(p->policy),
					sim_report_file((enum sim_report)k));
				if (end)
					fprintf(out, "at the end\n");
				else
					fprintf(out, "at the peak (t = %.3f s, %.1f "
						"MiB allocated)\n", (walk ?
						p->frag_peak_t_ns : p->peak_t_ns) / 1e9,
						(double)(walk ? p->frag_peak_allocated :
							 p->peak_allocated) * mib);
				fputs(text ? text : "(not available)\n", out);
			}
	}
}

/* The simulated machine, with what was asked when it was rounded. */
static void machine_lines(FILE *out, const struct sim *s)
{
	char a[48], b[48], c[48];

	fprintf(out, "machine: %s (%s pages, %s pageblocks), %u CPUs, pcp batch %u "
		"high %u..%u\n", size_format(sim_machine_bytes(s), a, sizeof(a)),
		grouped(pa_managed_pages(s->pol[0].zone), b, sizeof(b)),
		grouped(s->pol[0].stats.nr_pageblocks, c, sizeof(c)),
		s->zcfg.ncpus, s->zcfg.pcp_batch, s->zcfg.pcp_high_min,
		s->zcfg.pcp_high_max);
	if (s->cfg.bytes != sim_machine_bytes(s))
		fprintf(out, "  (%s asked for, rounded down to whole pageblocks)\n",
			size_format(s->cfg.bytes, a, sizeof(a)));
}

/* Where a replay's machine came from: the zoneinfo or the trace, and the
 * warm start. */
static void sizing_lines(FILE *out, const struct sim *s,
			 const struct trace_tally *t)
{
	char a[48], b[48], c[48];

	if (t->have_zoneinfo) {
		fprintf(out, "  sized from %s (zone %s, managed %s pages)\n",
			t->zoneinfo_path, t->zi.zone,
			grouped(t->zi.managed, a, sizeof(a)));
		if (s->cfg.pcp_fill) {
			fprintf(out, "  pagesets start filled as the traced machine's (count:");
			for (unsigned k = 0; k < s->cfg.pcp_fill_n && k < 8; k++)
				fprintf(out, " %s", grouped(s->cfg.pcp_fill[k], a, sizeof(a)));
			fprintf(out, "%s; --prefill)\n",
				s->cfg.pcp_fill_n > 8 ? " ..." : "");
		}
	}
	else
		fprintf(out, "  sized from the trace's pfn span and CPUs "
			"(no zoneinfo beside the trace)\n");
	if (!t->warm)
		return;
	fprintf(out, "  warm start (--cold: empty): %s blocks in use "
		"before the capture,", grouped(t->warm_pre_blocks, a, sizeof(a)));
	fprintf(out, " pagesets %s pages seen in the trace + %s "
		"untouched%s\n", grouped(t->warm_pcp_seen, b, sizeof(b)),
		grouped(t->warm_pcp_rest, c, sizeof(c)),
		t->warm_high ? ", high: as the zoneinfo's" : "");
	if (t->warm_free)
		fprintf(out, "  free lists as %s: %s of %s free blocks "
			"placed\n", t->warm_free_path,
			grouped(t->warm_free_placed, a, sizeof(a)),
			grouped(t->warm_free_wanted, b, sizeof(b)));
}

/* What the trace held: its events by kind, what was lost or damaged,
 * and the kernel's own zone->lock figure. */
static void trace_summary(FILE *out, const struct trace_tally *t)
{
	char a[48], b[48];

	fprintf(out, "trace: %s lines, %.3f s of trace time\n",
		grouped(t->lines, a, sizeof(a)),
		(double)(t->last_ts - t->first_ts) / 1e9);
	for (int k = 0; k < TEV_NR; k++)
		fprintf(out, "  %-26s %12s events %12s pages\n",
			trace_kind_name((enum trace_kind)k),
			grouped(t->events[k], a, sizeof(a)),
			grouped(t->pages[k], b, sizeof(b)));
	fprintf(out, "  lost %" PRIu64 "%s, malformed %" PRIu64
		", overlong %" PRIu64 ", other events %" PRIu64
		", failed in the kernel %" PRIu64 "%s\n", t->lost,
		t->lost_unknown ? " (+ markers without a count)" : "",
		t->malformed, t->overlong, t->other, t->kernel_failed,
		t->truncated_files ? ", TRUNCATED file" : "");
	if (t->vmstat_runs)
		fprintf(out, "  vmstat_update: %s runs of the kernel's per-CPU "
			"vmstat work (the pageset decay: replayed where "
			"they ran, unless --pcp-decay grid)\n",
			grouped(t->vmstat_runs, a, sizeof(a)));
	if (t->free_batched_runs)
		fprintf(out, "  mm_page_free_batched: %s runs (%s frees) "
			"replayed through pa_free_bulk, as the kernel "
			"batches them\n",
			grouped(t->free_batched_runs, a, sizeof(a)),
			grouped(t->free_batched_frees, b, sizeof(b)));
	fprintf(out, "kernel zone->lock pages (alloc_zone_locked + "
		"pcpu_drain): %s\n",
		grouped(report_kernel_zone_pages(t), a, sizeof(a)));
	if (report_kernel_unreliable(t)) {
		char why[300];
		report_unreliable_reason(t, why, sizeof(why));
		fprintf(out, "WARNING: the comparison with the kernel is "
			"unreliable: %s\n", why);
	}
	if (t->pfn_outliers || t->cpu_outliers)
		fprintf(out, "  sizing left out %" PRIu64 " allocations at "
			"outlying pfns and %" PRIu64 " on outlying CPU ids "
			"(corrupt values?); they are still replayed\n",
			t->pfn_outliers, t->cpu_outliers);
}

/* The comparison: a column per policy, a row per figure under its
 * section's heading. */
static void figure_table(FILE *out, const struct lab_report *r)
{
	const struct sim *s = r->sim;
	struct report_fig figs[REPORT_MAX_FIGS];
	unsigned n = report_figures(r, figs);
	uint64_t page = 1ull << s->zcfg.page_shift;
	const char *section = NULL;
	char a[48];

	fprintf(out, "\n%-44s", "");
	for (unsigned i = 0; i < s->npol; i++)
		fprintf(out, " %14s", pa_policy_name(s->pol[i].policy));
	fputc('\n', out);
	for (unsigned j = 0; j < n; j++) {
		const struct report_fig *f = &figs[j];

		if (f->section != section) {
			section = f->section;
			fprintf(out, "%s\n", section);
		}
		fprintf(out, "  %-42s", f->label);
		for (unsigned i = 0; i < s->npol; i++) {
			cell(f, f->v[i], page, a, sizeof(a));
			fprintf(out, " %14s", a);
		}
		fputc('\n', out);
	}
}

/* What the replay had to bend: missed frees, folded CPUs, skipped
 * ticks.  The per-policy notes come before the kernel views. */
static void policy_notes(FILE *out, const struct sim *s)
{
	for (unsigned i = 0; i < s->npol; i++)
		if (s->pol[i].c.alloc_over_live || s->pol[i].c.order_mismatch)
			fprintf(out, "note: %s: %" PRIu64 " allocations of a pfn "
				"still live (missed free), %" PRIu64 " frees with "
				"another order\n", pa_policy_name(s->pol[i].policy),
				s->pol[i].c.alloc_over_live,
				s->pol[i].c.order_mismatch);
}

static void machine_notes(FILE *out, const struct sim *s)
{
	if (s->cpu_clamped)
		fprintf(out, "note: %" PRIu64 " requests on CPUs beyond %u were "
			"folded onto CPU (cpu %% %u)\n", s->cpu_clamped,
			s->cfg.ncpus, s->cfg.ncpus);
	if (s->pol[0].ticks_skipped)
		fprintf(out, "note: %" PRIu64 " pcp ticks of idle gaps (or timestamp "
			"jumps) were skipped after 128 each\n", s->pol[0].ticks_skipped);
}

int report_text(const struct lab_report *r, FILE *out)
{
	const struct sim *s = r->sim;
	const struct trace_tally *t = r->tally;

	fprintf(out, "pagealloc %s: %s\n", r->what, r->title);
	if (r->description[0])
		fprintf(out, "  %s\n", r->description);
	machine_lines(out, s);
	if (t) {
		sizing_lines(out, s, t);
		trace_summary(out, t);
	}
	figure_table(out, r);
	policy_notes(out, s);
	kernel_views(out, s);
	machine_notes(out, s);
	return ferror(out) ? -EIO : 0;
}
