/* SPDX-License-Identifier: MIT */
/*
 * vtime_cmd - `--virtual-time` for `pagealloc run` and `replay`: the
 * options, the sweep over CPU counts, and its report (text, JSON, HTML).
 */
#ifndef PA_LAB_VTIME_CMD_H
#define PA_LAB_VTIME_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "costmodel.h"
#include "replay.h"
#include "scenario.h"
#include "vtime.h"

#define VT_MAX_SWEEP 16

/* Long-option codes; commands list VTIME_OPTIONS in their table and pass
 * these codes (and 'c', --cpus) to vtime_parse_option(). */
enum {
	VT_OPT_VIRTUAL = 0x1001,
	VT_OPT_COST,
	VT_OPT_BATCH,
	VT_OPT_HIGH,
	VT_OPT_NOAUTO,
	VT_OPT_WARMUP,
	VT_OPT_THINK,
	VT_OPT_MEASURE,
	VT_OPT_IRQ,
	VT_OPT_NO_BG,
	VT_OPT_LAST = VT_OPT_NO_BG,
};

#define VTIME_OPTIONS                                                    \
	{ "virtual-time", no_argument, NULL, VT_OPT_VIRTUAL },           \
	{ "cost-model", required_argument, NULL, VT_OPT_COST },          \
	{ "pcp-batch", required_argument, NULL, VT_OPT_BATCH },          \
	{ "pcp-high", required_argument, NULL, VT_OPT_HIGH },            \
	{ "no-pcp-autotune", no_argument, NULL, VT_OPT_NOAUTO },        \
	{ "warmup", required_argument, NULL, VT_OPT_WARMUP },            \
	{ "think-scale", required_argument, NULL, VT_OPT_THINK },        \
	{ "measure", no_argument, NULL, VT_OPT_MEASURE },                \
	{ "irq-rate", required_argument, NULL, VT_OPT_IRQ },             \
	{ "no-background", no_argument, NULL, VT_OPT_NO_BG }

/* The usage lines for those options. */
#define VTIME_USAGE                                                        \
"  --cpus LIST      with --virtual-time: a sweep, e.g. 8,32,112,224\n"      \
"  --virtual-time   run the CPUs concurrently in virtual time and predict\n" \
"                   zone->lock contention (docs/VTIME.md)\n"                 \
"  --cost-model F   cost figures from F (`pagealloc calibrate F`) [built in]\n" \
"  --pcp-batch N    per-CPU batch [kernel formula]\n"                       \
"  --pcp-high N     per-CPU high fixed at N (no auto-tuning)\n"             \
"  --no-pcp-autotune  high fixed at the formula's high_min\n"              \
"  --warmup F       leave each CPU's first F (0..0.9) of requests out of\n"  \
"                   the virtual-time figures [0]\n"                          \
"  --think-scale F  multiply the workload's time between requests [1]\n"   \
"  --measure        with --cpus 1: also time the same calls for real and\n" \
"                   print predicted against measured (metadata misses\n"   \
"                   priced at miss figures measured beside the calls)\n"   \
"  --irq-rate R     interrupts per CPU per virtual second allocating and\n" \
"                   freeing pages atomically (`hold`: one in every\n"      \
"                   pageset-lock hold) [0]\n"                              \
"  --no-background  no background step (kswapd, spb's worker) in virtual\n" \
"                   time\n"

struct vtime_opts {
	bool on;
	unsigned cpus[VT_MAX_SWEEP];  /* the sweep; empty: the command's */
	unsigned ncpus;
	const char *cost_file;
	bool no_autotune;
	double warmup;                /* vtime_set_warmup() */
	double think_scale;           /* overrides the model's if think_set */
	bool think_set;
	bool measure;                 /* --measure */
	double irq_rate;              /* --irq-rate: per CPU per second */
	bool irq_in_hold;             /* --irq-rate hold */
	bool no_background;           /* --no-background */
	uint64_t seed;                /* the interrupts' (run: the scenario's) */
	bool quiet;                   /* --quiet: no table, no timing line */
};

/* Is c one of the codes above? */
bool vtime_is_option(int c);

/*
 * Handle 'c' (--cpus N or a comma list) or a VT_OPT_* code.  Sets
 * cfg->ncpus to the first CPU count and the pcp sizes.  Returns 0 or
 * -EINVAL with a message naming the option.
 */
int vtime_parse_option(int c, const char *arg, struct vtime_opts *o,
		       struct sim_config *cfg, char *err, size_t len);

/* After parsing: a list, --irq-rate, --no-background, --cost-model,
 * --warmup, --think-scale or --no-pcp-autotune without --virtual-time,
 * --compact or --report-free (cfg) with it, or --measure with interrupts,
 * is an error (-EINVAL). */
int vtime_opts_check(const struct vtime_opts *o, const struct sim_config *cfg,
		     char *err, size_t len);

/* The sweep: per CPU count, per policy, the engine's result. */
struct vt_sweep {
	const char *what;               /* "run" or "replay" */
	char title[256];
	struct costmodel model;
	double warmup;                  /* share of requests not measured */
	char model_from[256];           /* file, or "built-in defaults" */
	unsigned n, npol;
	unsigned cpus[VT_MAX_SWEEP];
	unsigned batch[VT_MAX_SWEEP], high_min[VT_MAX_SWEEP],
		 high_max[VT_MAX_SWEEP];
	uint64_t requests[VT_MAX_SWEEP];
	double measured_ns[PA_POLICY_NR]; /* --measure: ns per request, real */
	/* --measure: the miss figures measured beside the timed passes */
	double measured_miss[PA_POLICY_NR][COSTMODEL_MISS_FIGS];
	bool measured;
	struct vt_result res[VT_MAX_SWEEP][PA_POLICY_NR];
};

/* `pagealloc run SCENARIO --virtual-time ...`: returns the exit status. */
int vtime_cmd_run(const struct scenario *sc, const struct sim_config *cfg,
		  const struct scenario_params *sp,
		  const struct vtime_opts *o, const char *html,
		  const char *json);

/* `pagealloc replay TRACE... --virtual-time ...`: the exit status; *tally
 * gets what the input held (lost events, malformed lines) for the
 * caller's warning and --strict. */
int vtime_cmd_replay(const struct replay_opts *ro,
		     const struct vtime_opts *o, const char *html,
		     const char *json, struct trace_tally *tally);

/* Outputs (vtime_report.c).  0 or -errno. */
int vtime_report_text(const struct vt_sweep *w, FILE *out);
int vtime_report_json(const struct vt_sweep *w, const char *path);
int vtime_report_html(const struct vt_sweep *w, const char *path);

#endif
