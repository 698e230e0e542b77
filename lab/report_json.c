/* SPDX-License-Identifier: MIT */
/*
 * JSON output for scripts: the same figures as the table (by key), the
 * trace's own counts, and the time series.  No timings, so two runs on the
 * same input produce identical files.
 */
#include "outfile.h"
#include "report.h"
#include "utf8.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* A JSON string.  File names need not be UTF-8: a byte that is not part
 * of a well-formed sequence becomes U+FFFD, so the file stays valid JSON. */
static void jstr(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	while (*s) {
		size_t n = utf8_len(s);

		if (n == 0) {
			fputs("\\ufffd", f);
			s++;
		} else if (*s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s++);
		} else if (*s < 0x20) {
			fprintf(f, "\\u%04x", *s++);
		} else {
			fwrite(s, 1, n, f);
			s += n;
		}
	}
	fputc('"', f);
}

static void jnum(FILE *f, const struct report_fig *fig, double v)
{
	if (fig->unit == FIG_COUNT)
		fprintf(f, "%.0f", v);
	else if (fig->unit == FIG_PAGES_MIB)
		fprintf(f, "%.3f", v);
	else if (isfinite(v))
		fprintf(f, "%.6g", v);
	else
		fprintf(f, "null");
}

static void json_u64s(FILE *f, const char *key, const uint64_t *v, unsigned n)
{
	fprintf(f, ", \"%s\": [", key);
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "%s%" PRIu64, i ? ", " : "", v[i]);
	fprintf(f, "]");
}

static void json_milli(FILE *f, const char *key, const int16_t *v, unsigned n)
{
	fprintf(f, ", \"%s\": [", key);
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "%s%.3f", i ? ", " : "", v[i] / 1000.0);
	fprintf(f, "]");
}

/* One sample: the cheap figures always, the pageblock walk's when the
 * sample has them (null otherwise). */
static void json_sample(FILE *f, const struct sim *s, const struct sim_sample *x,
			unsigned k)
{
	unsigned orders = s->max_order + 1;

	fprintf(f, "%s\n       {\"t_ns\": %" PRIu64 ", \"allocated\": %" PRIu64
		", \"reclaimed\": %" PRIu64 ", \"zone_lock_pages\": %" PRIu64,
		k ? "," : "", x->t_ns, x->allocated, x->reclaimed,
		x->zone_lock_pages);
	json_u64s(f, "buddyinfo", x->nr_free, orders);
	json_milli(f, "unusable_index", x->unusable_milli, orders);
	json_milli(f, "extfrag_index", x->extfrag_milli, orders);
	if (x->has_frag) {
		fprintf(f, ", \"free_whole_pageblocks\": %" PRIu64
			", \"free_whole_superpageblocks\": %" PRIu64
			", \"tainted_superpageblocks\": %" PRIu64
			", \"clean_superpageblocks\": %" PRIu64, x->free_whole_pb,
			x->free_whole_spb, x->tainted_spb, x->clean_spb);
		json_u64s(f, "free_by_mt", x->free_by_mt, PA_MT_TYPES);
	} else {
		fprintf(f, ", \"free_whole_pageblocks\": null, "
			"\"free_whole_superpageblocks\": null, "
			"\"tainted_superpageblocks\": null, "
			"\"clean_superpageblocks\": null, \"free_by_mt\": null");
	}
	fprintf(f, "}");
}

/* The kernel-format texts by file name. */
static void json_reports(FILE *f, char *const *texts)
{
	fprintf(f, "{");
	for (unsigned k = 0; k < SIM_NR_REPORTS; k++) {
		fprintf(f, "%s", k ? ", " : "");
		jstr(f, sim_report_file((enum sim_report)k));
		fprintf(f, ": ");
		if (texts[k])
			jstr(f, texts[k]);
		else
			fprintf(f, "null");
	}
	fprintf(f, "}");
}

/* ", KEY: path, KEY_bytes: n, KEY_crc32: c" for an input file the run
 * read, or ", KEY: null". */
static void json_input(FILE *f, const char *key, const char *path,
		       uint64_t bytes, uint32_t crc)
{
	fprintf(f, ", \"%s\": ", key);
	if (!path) {
		fprintf(f, "null");
		return;
	}
	jstr(f, path);
	fprintf(f, ", \"%s_bytes\": %" PRIu64 ", \"%s_crc32\": %" PRIu32, key,
		bytes, key, crc);
}

/* The warm start's free lists came from one of the two files. */
static void json_warm_free(FILE *f, const struct trace_tally *t)
{
	const char *path = t->warm_free_path[0] ? t->warm_free_path : NULL;

	json_input(f, "pagetypeinfo", t->warm_free_types ? path : NULL,
		   t->warm_free_bytes, t->warm_free_crc32);
	json_input(f, "buddyinfo", t->warm_free_types ? NULL : path,
		   t->warm_free_bytes, t->warm_free_crc32);
}

/* What ran and how: the version, the title and the command line. */
static void json_header(FILE *f, const struct lab_report *r)
{
	fprintf(f, "{\n  \"version\": \"pagealloc %d.%d\",\n  \"what\": ",
		PA_VERSION_MAJOR, PA_VERSION_MINOR);
	jstr(f, r->what);
	fprintf(f, ",\n  \"title\": ");
	jstr(f, r->title);
	fprintf(f, ",\n  \"description\": ");
	jstr(f, r->description);
	/* the options, exactly as given: the run can be repeated */
	fprintf(f, ",\n  \"argv\": [\"pagealloc\"");
	for (int i = 0; i < r->argc; i++) {
		fprintf(f, ", ");
		jstr(f, r->argv[i]);
	}
	fprintf(f, "]");
}

static void json_machine(FILE *f, const struct sim *s)
{
	fprintf(f, ",\n  \"machine\": {\"bytes\": %" PRIu64 ", \"pages\": %" PRIu64
		", \"pageblocks\": %" PRIu64 ", \"pageblock_order\": %u, "
		"\"superpageblock_order\": %u, \"cpus\": %u, \"pcp_batch\": %u, "
		"\"pcp_high_min\": %u, \"pcp_high_max\": %u}",
		sim_machine_bytes(s), pa_managed_pages(s->pol[0].zone),
		s->pol[0].stats.nr_pageblocks, s->zcfg.pageblock_order,
		s->zcfg.superpageblock_order, s->zcfg.ncpus, s->zcfg.pcp_batch,
		s->zcfg.pcp_high_min, s->zcfg.pcp_high_max);
}

/* "NAME": v, ... for each trace event kind. */
static void json_per_kind(FILE *f, const uint64_t *v)
{
	for (int k = 0; k < TEV_NR; k++)
		fprintf(f, "%s\"%s\": %" PRIu64, k ? ", " : "",
			trace_kind_name((enum trace_kind)k), v[k]);
}

/* The files the replay read, as the JSON records them. */
static void json_trace_inputs(FILE *f, const struct trace_tally *t)
{
	json_input(f, "zoneinfo", t->have_zoneinfo ? t->zoneinfo_path : NULL,
		   t->zi.bytes, t->zi.crc32);
	json_warm_free(f, t);
	fprintf(f, ", \"inputs\": [");
	for (unsigned i = 0; i < t->ninputs; i++) {
		fprintf(f, "%s{\"path\": ", i ? ", " : "");
		jstr(f, t->inputs[i].path);
		fprintf(f, ", \"bytes\": %" PRIu64 ", \"crc32\": %" PRIu32 "}",
			t->inputs[i].bytes, t->inputs[i].crc32);
	}
	fprintf(f, "]");
}

/* What the trace itself recorded, and how far it can be trusted. */
static void json_trace(FILE *f, const struct trace_tally *t)
{
	char why[300];

	fprintf(f, ",\n  \"trace\": {\"lines\": %" PRIu64 ", \"events\": {",
		t->lines);
	json_per_kind(f, t->events);
	fprintf(f, "}, \"pages\": {");
	json_per_kind(f, t->pages);
	report_unreliable_reason(t, why, sizeof(why));
	fprintf(f, "}, \"lost\": %" PRIu64 ", \"lost_markers_without_count\": %"
		PRIu64 ", \"malformed\": %" PRIu64 ", \"overlong\": %" PRIu64
		", \"other\": %" PRIu64 ", \"vmstat_runs\": %" PRIu64
		", \"kernel_failed\": %" PRIu64
		", \"truncated_files\": %u, \"duration_ns\": %" PRIu64
		", \"kernel_zone_lock_pages\": %" PRIu64
		", \"kernel_comparison_reliable\": %s, \"unreliable_because\": ",
		t->lost, t->lost_unknown, t->malformed, t->overlong, t->other,
		t->vmstat_runs, t->kernel_failed, t->truncated_files,
		t->last_ts - t->first_ts, report_kernel_zone_pages(t),
		report_kernel_unreliable(t) ? "false" : "true");
	jstr(f, why);
	fprintf(f, ", \"sizing_outliers\": {\"pfn\": %" PRIu64 ", \"cpu\": %"
		PRIu64 "}", t->pfn_outliers, t->cpu_outliers);
	json_trace_inputs(f, t);
	fprintf(f, "}");
}

/* Policy i: its figures (MiB where the table shows MiB), its time
 * series, and the kernel-format texts at the peak and at the end. */
static void json_policy(FILE *f, const struct sim *s, unsigned i,
			const struct report_fig *figs, unsigned n)
{
	const struct sim_policy *p = &s->pol[i];
	double mib = (double)(1ull << s->zcfg.page_shift) / 1048576.0;

	fprintf(f, "%s\n    {\"name\": \"%s\",\n     \"figures\": {",
		i ? "," : "", pa_policy_name(p->policy));
	for (unsigned j = 0; j < n; j++) {
		fprintf(f, "%s\"%s\": ", j ? ", " : "", figs[j].key);
		jnum(f, &figs[j], figs[j].unit == FIG_PAGES_MIB ?
		     figs[j].v[i] * mib : figs[j].v[i]);
	}
	fprintf(f, "},\n     \"series\": [");
	for (unsigned k = 0; k < p->nsamples; k++)
		json_sample(f, s, &p->samples[k], k);
	fprintf(f, "],\n     \"peak\": {\"t_ns\": %" PRIu64 ", \"allocated\": %"
		PRIu64 ", \"walk_t_ns\": %" PRIu64 ", \"walk_allocated\": %"
		PRIu64 ",\n       \"reports\": ", p->peak_t_ns,
		p->peak_allocated, p->frag_peak_t_ns, p->frag_peak_allocated);
	json_reports(f, p->report_peak);
	fprintf(f, "},\n     \"end_reports\": ");
	json_reports(f, p->report_end);
	fprintf(f, "}");
}

int report_json(const struct lab_report *r, const char *path)
{
	const struct sim *s = r->sim;
	struct report_fig figs[REPORT_MAX_FIGS];
	unsigned n = report_figures(r, figs);
	struct outfile o;
	int err = outfile_open(&o, path);
	FILE *f = o.f;

	if (err)
		return err;
	json_header(f, r);
	json_machine(f, s);
	if (r->tally)
		json_trace(f, r->tally);
	fprintf(f, ",\n  \"policies\": [");
	for (unsigned i = 0; i < s->npol; i++)
		json_policy(f, s, i, figs, n);
	fprintf(f, "\n  ]\n}\n");
	return outfile_commit(&o);
}
