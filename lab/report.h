/* SPDX-License-Identifier: MIT */
/*
 * report - what a replay or scenario run produced, and the three ways of
 * showing it: a terminal table (report_text.c), JSON for scripts
 * (report_json.c) and a self-contained HTML page (report_html.c).  All
 * three show the same figures, computed once in report_figures().
 */
#ifndef PA_LAB_REPORT_H
#define PA_LAB_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim.h"
#include "trace_parse.h"
#include "zoneinfo.h"

/* What the trace itself recorded (policy-independent). */
struct trace_tally {
	uint64_t lines;
	uint64_t events[TEV_NR];     /* per kind */
	uint64_t pages[TEV_NR];      /* sum of 2^order per kind */
	uint64_t vmstat_runs;        /* TEV_VMSTAT: the kernel's pageset
	                              * decay, replayed where it ran */
	uint64_t kernel_failed;      /* mm_page_alloc of no page */
	uint64_t extfrag_fragmenting; /* mm_page_alloc_extfrag fragmenting=1 */
	uint64_t lost;               /* events the kernel reported lost: per
	                              * trace the larger of its in-stream
	                              * markers and its capture trailer */
	uint64_t lost_unknown;       /* lost-event markers without a count */
	uint64_t free_batched_runs;  /* batches replayed via pa_free_bulk */
	uint64_t free_batched_frees; /* the frees in them */
	uint64_t malformed, comments, other, overlong;
	uint64_t pfn_outliers, cpu_outliers; /* left out of the size */
	unsigned truncated_files;
	uint64_t first_ts, last_ts;  /* ns, on the replay's clock */
	bool have_ts;                /* first_ts is set */
	uint64_t min_pfn, max_pfn;
	unsigned max_cpu;
	/* each input as read, for the JSON's record (the first few) */
#define TALLY_MAX_INPUTS 16
	struct {
		char path[256];
		uint64_t bytes;
		uint32_t crc32;
	} inputs[TALLY_MAX_INPUTS];
	unsigned ninputs;
	bool have_zoneinfo;
	struct zoneinfo zi;
	/* the warm start (lab/warm.h), when there was one */
	bool warm;
	bool warm_high;              /* pagesets' high from the zoneinfo */
	uint64_t warm_pre_blocks;    /* in use before the capture */
	uint64_t warm_pcp_seen;      /* pages on the pagesets the trace saw */
	uint64_t warm_pcp_rest;      /* the rest up to count: */
	bool warm_free;              /* free lists from pagetypeinfo/buddyinfo */
	uint64_t warm_free_wanted;   /* free blocks to place (with the
	                              * pagesets' share) */
	uint64_t warm_free_placed;   /* of them placed */
	/* the pagetypeinfo (warm_free_types) or buddyinfo read for it, when
	 * one was: path, size, CRC-32 (recorded like the zoneinfo's) */
	bool warm_free_types;
	char warm_free_path[512];
	uint64_t warm_free_bytes;
	uint32_t warm_free_crc32;
	char zoneinfo_path[512];
};

struct lab_report {
	const char *what;            /* "replay" or "scenario" */
	char title[256];             /* trace file(s) or scenario name */
	char description[512];       /* scenario description, or "" */
	struct sim *sim;
	const struct trace_tally *tally; /* NULL for scenarios */
	char **argv;                 /* the command line, recorded in the JSON */
	int argc;                    /* (0: none) */
	bool quiet;                  /* no table on stdout, no notes */
};

/* One figure of the comparison, per policy. */
enum fig_unit {
	FIG_COUNT,   /* integer */
	FIG_PAGES_MIB, /* pages shown as MiB */
	FIG_PERCENT, /* 0..100 */
	FIG_RATIO,   /* e.g. 1.07x */
};

struct report_fig {
	const char *key;      /* JSON name */
	const char *label;    /* table label */
	const char *section;  /* heading it is listed under */
	enum fig_unit unit;
	bool chart;           /* drawn as a bar chart in the HTML report */
	double v[PA_POLICY_NR];
};

#define REPORT_MAX_FIGS 72

/* Compute the comparison rows (the same for every output).  Returns the
 * number of rows written to out (at most REPORT_MAX_FIGS). */
unsigned report_figures(const struct lab_report *r, struct report_fig *out);

/* True when events are known to be missing from the trace (lost, cut,
 * malformed or overlong lines, a truncated file): the comparison with the
 * kernel's figures is then unreliable, and every output says so. */
bool report_kernel_unreliable(const struct trace_tally *t);

/* Why it is unreliable, one line ("" when it is not), e.g. "1,204 events
 * lost in the kernel, 3 malformed lines". */
void report_unreliable_reason(const struct trace_tally *t, char *buf,
			      size_t len);

/* Kernel's zone->lock pages (mm_page_alloc_zone_locked + pcpu_drain). */
uint64_t report_kernel_zone_pages(const struct trace_tally *t);
/* Our model's comparable figure: refill + direct alloc + drain. */
uint64_t report_model_zone_pages(const struct sim_policy *p);
/* Per-CPU hit rate in [0,1] (0 when nothing was allocated). */
double report_pcp_hit_rate(const struct sim_policy *p);

/* The colour the HTML report gives a migratetype's pageblocks in use. */
const char *report_mt_color(unsigned mt);
/* The HTML report's pageblock map section (report_pbmap.c). */
void report_pbmap_section(FILE *f, const struct sim *s);

/* Write the terminal table.  Returns 0 or -EIO. */
int report_text(const struct lab_report *r, FILE *out);
/* Write JSON.  Returns 0 or -errno (the file cannot be written). */
int report_json(const struct lab_report *r, const char *path);
/* Write the HTML page.  Returns 0 or -errno. */
int report_html(const struct lab_report *r, const char *path);

/* A report of what ran on s, for the command line argc/argv (recorded in
 * the JSON); the other fields zero, for the caller to fill. */
void report_init(struct lab_report *r, const char *what, struct sim *s,
		 int argc, char **argv, bool quiet);

/*
 * Print the table on stdout and write the --html/--json files (NULL: not
 * asked).  Returns the exit status: 0, or 1 with a message on stderr when
 * something cannot be written.
 */
int report_emit(const struct lab_report *r, const char *html,
		const char *json);

#endif
