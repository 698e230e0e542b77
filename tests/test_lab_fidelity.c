/* SPDX-License-Identifier: MIT */
/*
 * Issue 13's fidelity target held by a test: with default options (the
 * warm start, no per-trace tuning) the mainline model moves the kernel's
 * zone->lock pages within +-15% on every capture here: ours in samples/
 * and the shared ones in ../shared/traces when present (skipped, saying
 * so, when not).  The same replay --cold misses on build-small (1.86x),
 * so the bound is one the default has to earn.  Every policy is replayed
 * for the accounting check; the bound is mainline's, the kernel's model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "replay.h"
#include "report.h"

#ifdef PA_SANITIZER
#define POLICIES "mainline"
#else
#define POLICIES "all"
#endif

static char top[4096];

static int find_top(void **state)
{
	FILE *p = popen("git rev-parse --show-toplevel 2>/dev/null", "r");
	(void)state;

	snprintf(top, sizeof(top), ".");
	if (p) {
		if (fgets(top, sizeof(top) - 64, p))
			top[strcspn(top, "\n")] = 0;
		pclose(p);
	}
	return 0;
}

/* The first readable of the candidates under the top directory, or NULL. */
static const char *find_trace(const char *const *rel, unsigned n)
{
	static char buf[4200];

	for (unsigned i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%s/%s", top, rel[i]);
		if (access(buf, R_OK) == 0)
			return buf;
	}
	return NULL;
}

/* Mainline's model / kernel zone->lock pages for the trace, replayed with
 * the default options (warm unless cold). */
static double mainline_ratio(const char *path, bool cold)
{
	const char *list[] = { path };
	struct replay_opts o = { .traces = list, .ntraces = 1, .cold = cold };
	struct trace_tally t;
	struct sim *s = NULL;
	char err[512];
	double el, ratio = -1;

	assert_int_equal(sim_parse_policies(POLICIES, &o.cfg, err,
					    sizeof(err)), 0);
	if (replay_traces(&o, &s, &t, &el, err, sizeof(err)) != 0)
		fail_msg("replay of %s: %s", path, err);
	assert_false(report_kernel_unreliable(&t));
	assert_true(report_kernel_zone_pages(&t) > 0);
	for (unsigned i = 0; i < s->npol; i++)
		if (s->pol[i].policy == PA_POLICY_MAINLINE)
			ratio = (double)report_model_zone_pages(&s->pol[i]) /
				(double)report_kernel_zone_pages(&t);
	if (sim_check(s, err, sizeof(err)) != 0)
		fail_msg("%s: %s", path, err);
	sim_destroy(s);
	free(s);
	assert_true(ratio >= 0);
	print_message("%s%s: model / kernel %.3f\n", path,
		      cold ? " --cold" : "", ratio);
	return ratio;
}

/* Replays the first of the two candidate paths present (skipping when
 * neither is) and fails unless mainline lands within +-15%. */
static const char *within_15_percent(const char *a, const char *b)
{
	const char *const rel[] = { a, b };
	const char *path = find_trace(rel, b ? 2 : 1);
	double r;

	if (!path) {
		print_message("skipping: %s is absent\n", a);
		skip();
	}
	r = mainline_ratio(path, false);
	if (r < 0.85 || r > 1.15)
		fail_msg("%s: model / kernel %.3f, outside 0.85..1.15", path, r);
	return path;
}

/* Ours, in the repository: a kernel build on a machine up for a while
 * (its pagesets full when the capture began). */
static void test_build_small_within_15_percent(void **state)
{
	const char *const rel[] = { "samples/build-small.trace.zst" };
	const char *path;
	double cold;
	(void)state;

	assert_non_null(find_trace(rel, 1)); /* in the repository: no skip */
	path = within_15_percent("samples/build-small.trace.zst", NULL);
	/* the bound can fail: the empty start misses it on this trace */
	cold = mainline_ratio(path, true);
	assert_true(cold < 0.85 || cold > 1.15);
}

static void test_shared_traces_within_15_percent(void **state)
{
	(void)state;
	within_15_percent("../shared/traces/build.trace.zst",
			  "../../shared/traces/build.trace.zst");
}

static void test_exit_avalanche_within_15_percent(void **state)
{
	(void)state;
	within_15_percent("../shared/traces/exit-avalanche-thp.trace.zst",
			  "../../shared/traces/exit-avalanche-thp.trace.zst");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_small_within_15_percent),
		cmocka_unit_test(test_shared_traces_within_15_percent),
		cmocka_unit_test(test_exit_avalanche_within_15_percent),
	};
	return cmocka_run_group_tests(tests, find_top, NULL);
}
