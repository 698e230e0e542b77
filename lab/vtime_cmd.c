/* SPDX-License-Identifier: MIT */
/*
 * `--virtual-time`: parse its options, run the workload once per CPU
 * count of the sweep (each run records the workload for that CPU count
 * and replays it per policy in virtual time), and report.
 */
#include "vtime_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outfile.h"
#include "progress.h"

bool vtime_is_option(int c)
{
	return c >= VT_OPT_VIRTUAL && c <= VT_OPT_LAST;
}

static int parse_uint(const char *arg, unsigned lo, unsigned hi,
		      unsigned *out)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (end == arg || *end || v < lo || v > hi)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static int parse_cpus(const char *arg, struct vtime_opts *o,
		      struct sim_config *cfg, char *err, size_t len)
{
	char buf[256], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", arg);
	o->ncpus = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (o->ncpus == VT_MAX_SWEEP ||
		    parse_uint(tok, 1, PA_MAX_CPUS, &o->cpus[o->ncpus]) < 0) {
			snprintf(err, len, "--cpus: want N or a list of at most "
				 "%d counts in 1..%d, got \"%s\"", VT_MAX_SWEEP,
				 PA_MAX_CPUS, arg);
			return -EINVAL;
		}
		o->ncpus++;
	}
	if (!o->ncpus) {
		snprintf(err, len, "--cpus: empty list");
		return -EINVAL;
	}
	cfg->ncpus = o->cpus[0];
	return 0;
}

static int parse_fraction(int c, const char *arg, struct vtime_opts *o,
			  char *err, size_t len)
{
	char *end;
	double v = strtod(arg, &end);
	bool warm = c == VT_OPT_WARMUP;

	if (end == arg || *end || !(v >= 0) || v > (warm ? 0.9 : 1000)) {
		snprintf(err, len, "--%s: want a number in %s, got \"%s\"",
			 warm ? "warmup" : "think-scale",
			 warm ? "[0, 0.9]" : "[0, 1000]", arg);
		return -EINVAL;
	}
	if (warm)
		o->warmup = v;
	else
		o->think_scale = v, o->think_set = true;
	return 0;
}

/* --irq-rate R (interrupts per CPU per second) or "hold". */
static int parse_irq(const char *arg, struct vtime_opts *o, char *err,
		     size_t len)
{
	char *end;
	double v;

	if (!strcmp(arg, "hold")) {
		o->irq_in_hold = true;
		return 0;
	}
	v = strtod(arg, &end);
	if (end == arg || *end || !(v >= 0) || v > 1e8) {
		snprintf(err, len, "--irq-rate: want interrupts per CPU per "
			 "second in [0, 1e8] or \"hold\", got \"%s\"", arg);
		return -EINVAL;
	}
	o->irq_rate = v;
	o->irq_in_hold = false;
	return 0;
}

int vtime_parse_option(int c, const char *arg, struct vtime_opts *o,
		       struct sim_config *cfg, char *err, size_t len)
{
	unsigned v;

	switch (c) {
	case 'c':
		return parse_cpus(arg, o, cfg, err, len);
	case VT_OPT_VIRTUAL:
		o->on = true;
		return 0;
	case VT_OPT_COST:
		o->cost_file = arg;
		return 0;
	case VT_OPT_NOAUTO:
		o->no_autotune = true;
		return 0;
	case VT_OPT_MEASURE:
		o->measure = true;
		return 0;
	case VT_OPT_NO_BG:
		o->no_background = true;
		return 0;
	case VT_OPT_IRQ:
		return parse_irq(arg, o, err, len);
	case VT_OPT_WARMUP:
	case VT_OPT_THINK:
		return parse_fraction(c, arg, o, err, len);
	case VT_OPT_BATCH:
	case VT_OPT_HIGH:
		if (parse_uint(arg, 1, 1u << 24, &v) < 0) {
			snprintf(err, len, "--%s: want a page count, got \"%s\"",
				 c == VT_OPT_BATCH ? "pcp-batch" : "pcp-high", arg);
			return -EINVAL;
		}
		if (c == VT_OPT_BATCH)
			cfg->pcp_batch = v;
		else
			cfg->pcp_high_min = cfg->pcp_high_max = v;
		return 0;
	}
	snprintf(err, len, "unknown option");
	return -EINVAL;
}

/* The option that only virtual time reads, given without it (it was
 * accepted and ignored, even --cost-model of a missing file), or NULL. */
static const char *vtime_only_option(const struct vtime_opts *o)
{
	if (o->irq_rate > 0 || o->irq_in_hold)
		return "irq-rate";
	if (o->no_background)
		return "no-background";
	if (o->cost_file)
		return "cost-model";
	if (o->warmup > 0)
		return "warmup";
	if (o->think_set)
		return "think-scale";
	if (o->no_autotune)
		return "no-pcp-autotune";
	return NULL;
}

int vtime_opts_check(const struct vtime_opts *o, const struct sim_config *cfg,
		     char *err, size_t len)
{
	const char *only = vtime_only_option(o);

	if (o->on && (cfg->compact || cfg->report_free)) {
		/* virtual time runs no ticks: they were silently not run */
		snprintf(err, len, "--%s: not run under --virtual-time",
			 cfg->compact ? "compact" : "report-free");
		return -EINVAL;
	}
	if (only && !o->on) {
		snprintf(err, len, "--%s: needs --virtual-time", only);
		return -EINVAL;
	}
	if (o->ncpus > 1 && !o->on) {
		snprintf(err, len, "--cpus: a list of CPU counts needs "
			 "--virtual-time");
		return -EINVAL;
	}
	if (o->measure && (!o->on || o->ncpus != 1 || o->cpus[0] != 1)) {
		snprintf(err, len, "--measure: needs --virtual-time --cpus 1");
		return -EINVAL;
	}
	if (o->measure && (o->irq_rate > 0 || o->irq_in_hold)) {
		snprintf(err, len, "--measure: the real calls have no "
			 "interrupts; leave --irq-rate out");
		return -EINVAL;
	}
	return 0;
}

/* The formula's high_min for this machine, fixed as high_max too: the
 * kernel before high auto-tuning (Linux 6.6). */
static void fix_high(struct sim_config *cfg)
{
	struct pa_config c = pa_config_default(), eff;
	struct pa_zone *z;

	c.bytes = cfg->bytes;
	c.ncpus = cfg->ncpus;
	c.pcp_batch = cfg->pcp_batch;
	c.pcp_high_min = cfg->pcp_high_min;
	z = pa_zone_create(&c);
	if (!z)
		return; /* sim_init will say why */
	pa_zone_config(z, &eff);
	pa_zone_destroy(z);
	cfg->pcp_high_min = cfg->pcp_high_max = eff.pcp_high_min;
}

/* --measure: the same calls for real, on fresh zones. */
static int measure(struct vt_sweep *w, struct vtime *vt, struct sim *s,
		   char *err, size_t len)
{
	int rc = vtime_measure(vt, s, 5, w->measured_ns, w->measured_miss);

	if (rc == -EUCLEAN)
		snprintf(err, len, "--measure: the replayed calls took other "
			 "decisions than the model's run (a tick ran?)");
	else if (rc)
		snprintf(err, len, "--measure: out of memory");
	w->measured = !rc;
	return rc;
}

/* Produces one finished simulation for cfg (with cfg->vt attached). */
typedef int (*vt_produce)(void *arg, const struct sim_config *cfg,
			  struct sim **out, char *err, size_t len);

static int sweep_one(struct vt_sweep *w, unsigned k, struct sim_config cfg,
		     const struct vtime_opts *o, enum vt_think think,
		     vt_produce fn, void *arg, char *err, size_t len)
{
	struct vtime *vt = vtime_create(&w->model, think);
	const struct vt_result *res;
	struct sim *s = NULL;
	unsigned n;
	int rc;

	if (!vt) {
		snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	vtime_set_warmup(vt, o->warmup);
	vtime_set_measure(vt, o->measure);
	vtime_set_background(vt, !o->no_background);
	vtime_set_irq(vt, &(struct vt_irq_cfg){ .rate_hz = o->irq_rate,
						.in_hold = o->irq_in_hold,
						.seed = o->seed });
	cfg.vt = vt;
	rc = fn(arg, &cfg, &s, err, len);
	if (!rc && vtime_failed(vt)) {
		snprintf(err, len, "out of memory recording the workload");
		rc = -ENOMEM;
	}
	if (!rc && sim_check(s, err, len) < 0)
		rc = -EUCLEAN;
	if (!rc) {
		res = vtime_results(vt, &n);
		w->npol = n;
		memcpy(w->res[k], res, n * sizeof(*res));
		w->cpus[k] = s->cfg.ncpus;
		w->batch[k] = s->zcfg.pcp_batch;
		w->high_min[k] = s->zcfg.pcp_high_min;
		w->high_max[k] = s->zcfg.pcp_high_max;
		w->requests[k] = vtime_requests(vt);
		if (o->measure)
			rc = measure(w, vt, s, err, len);
	}
	if (s) {
		sim_destroy(s);
		free(s);
	}
	vtime_destroy(vt);
	return rc;
}

static int sweep(struct vt_sweep *w, const struct vtime_opts *o,
		 struct sim_config cfg, enum vt_think think, vt_produce fn,
		 void *arg, const char *html, const char *json)
{
	char err[600];
	unsigned n = o->ncpus ? o->ncpus : 1;
	double t0 = progress_now();
	int rc;

	w->model = costmodel_default();
	snprintf(w->model_from, sizeof(w->model_from), "built-in defaults");
	if (o->cost_file) {
		if (costmodel_load(&w->model, o->cost_file, err, sizeof(err)) < 0) {
			fprintf(stderr, "pagealloc %s: %s\n", w->what, err);
			return 2;
		}
		snprintf(w->model_from, sizeof(w->model_from), "%s", o->cost_file);
	}
	if (o->think_set)
		w->model.think_scale = o->think_scale;
	w->warmup = o->warmup;
	for (unsigned k = 0; k < n; k++) {
		struct sim_config c = cfg;

		if (o->ncpus)
			c.ncpus = o->cpus[k];
		if (o->no_autotune)
			fix_high(&c);
		rc = sweep_one(w, k, c, o, think, fn, arg, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "pagealloc %s: %s\n", w->what, err);
			return rc == -ENOMEM || rc == -EUCLEAN || rc == -EIO ? 1 : 2;
		}
		w->n = k + 1;
	}
	if (!o->quiet)
		vtime_report_text(w, stdout);
	if (outfile_stdout_done(w->what))
		return 1;
	if (!o->quiet)
		fprintf(stderr, "pagealloc: virtual time: %u CPU count%s x %u "
			"polic%s in %.2f s\n", w->n, w->n == 1 ? "" : "s", w->npol,
			w->npol == 1 ? "y" : "ies", progress_now() - t0);
	if (json && (rc = vtime_report_json(w, json)) < 0) {
		fprintf(stderr, "pagealloc: %s: %s\n", json, strerror(-rc));
		return 1;
	}
	if (html && (rc = vtime_report_html(w, html)) < 0) {
		fprintf(stderr, "pagealloc: %s: %s\n", html, strerror(-rc));
		return 1;
	}
	return 0;
}

struct run_arg {
	const struct scenario *sc;
	struct scenario_params sp;
};

static int produce_run(void *arg, const struct sim_config *cfg,
		       struct sim **out, char *err, size_t len)
{
	struct run_arg *a = arg;
	struct sim *s = calloc(1, sizeof(*s));
	int rc;

	if (!s) {
		snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	rc = sim_init(s, cfg, err, len);
	if (rc) {
		free(s);
		return rc;
	}
	a->sp.ncpus = cfg->ncpus;
	scenario_run(a->sc, s, &a->sp);
	*out = s;
	return 0;
}

int vtime_cmd_run(const struct scenario *sc, const struct sim_config *cfg,
		  const struct scenario_params *sp,
		  const struct vtime_opts *o, const char *html,
		  const char *json)
{
	struct vt_sweep *w = calloc(1, sizeof(*w));
	struct run_arg a = { .sc = sc, .sp = *sp };
	struct vtime_opts oo = *o;
	int rc;

	if (!w)
		return 1;
	oo.seed = sp->seed;
	o = &oo;
	w->what = "run";
	snprintf(w->title, sizeof(w->title), "%s (seed %llu, scale %g)",
		 sc->name, (unsigned long long)sp->seed, sp->scale);
	rc = sweep(w, o, *cfg, VT_THINK_GLOBAL, produce_run, &a, html, json);
	free(w);
	return rc;
}

struct replay_arg {
	const struct replay_opts *ro;
	struct trace_tally *tally;  /* the last replay's: the same input each */
};

static int produce_replay(void *arg, const struct sim_config *cfg,
			  struct sim **out, char *err, size_t len)
{
	struct replay_arg *a = arg;
	struct replay_opts ro = *a->ro;
	double elapsed;

	ro.cfg = *cfg;
	ro.progress = false;
	return replay_traces(&ro, out, a->tally, &elapsed, err, len);
}

int vtime_cmd_replay(const struct replay_opts *ro,
		     const struct vtime_opts *o, const char *html,
		     const char *json, struct trace_tally *tally)
{
	struct vt_sweep *w = calloc(1, sizeof(*w));
	struct replay_arg a = { .ro = ro, .tally = tally };
	size_t n = 0;
	int rc;

	if (!w)
		return 1;
	w->what = "replay";
	for (unsigned i = 0; i < ro->ntraces && n < sizeof(w->title) - 1; i++)
		n += (size_t)snprintf(w->title + n, sizeof(w->title) - n, "%s%s",
				      i ? " " : "", ro->traces[i]);
	rc = sweep(w, o, ro->cfg, VT_THINK_PER_CPU, produce_replay, &a, html,
		   json);
	free(w);
	return rc;
}
