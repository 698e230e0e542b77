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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "replay.h"
#include "report.h"

#ifdef PA_SANITIZER
#define POLICIES "mainline"
#else
#define POLICIES "all"
#endif

/* The first readable of the candidates under the top directory, or NULL. */
static const char *find_trace(const char *const *rel, unsigned n)
{
	static char buf[4200];

	for (unsigned i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%s/%s", th_top_dir(), rel[i]);
		if (access(buf, R_OK) == 0)
			return buf;
	}
	return NULL;
}

/* Replays the trace through every policy (8 MiB when bytes is set, else
 * sized from its zoneinfo) and checks the accounting. */
static struct sim *replay(const char *path, bool cold, uint64_t bytes,
			  struct trace_tally *t, bool grid)
{
	const char *list[] = { path };
	struct replay_opts o = { .traces = list, .ntraces = 1, .cold = cold };

	o.cfg.pcp_decay_grid = grid;
	struct sim *s = NULL;
	char err[512];
	double el;

	assert_int_equal(sim_parse_policies(POLICIES, &o.cfg, err,
					    sizeof(err)), 0);
	o.cfg.bytes = bytes;
	if (replay_traces(&o, &s, t, &el, err, sizeof(err)) != 0)
		fail_msg("replay of %s: %s", path, err);
	if (sim_check(s, err, sizeof(err)) != 0)
		fail_msg("%s: %s", path, err);
	return s;
}

/* Mainline's model / kernel zone->lock pages for the trace, replayed with
 * the default options (warm unless cold; the decay where the trace ran it
 * unless grid). */
static double mainline_ratio(const char *path, bool cold, bool grid)
{
	struct trace_tally t;
	struct sim *s = replay(path, cold, 0, &t, grid);
	double ratio = -1;

	assert_false(report_kernel_unreliable(&t));
	assert_true(report_kernel_zone_pages(&t) > 0);
	for (unsigned i = 0; i < s->npol; i++)
		if (s->pol[i].policy == PA_POLICY_MAINLINE)
			ratio = (double)report_model_zone_pages(&s->pol[i]) /
				(double)report_kernel_zone_pages(&t);
	sim_destroy(s);
	free(s);
	assert_true(ratio >= 0);
	print_message("%s%s%s: model / kernel %.3f\n", path,
		      cold ? " --cold" : "", grid ? " --pcp-decay grid" : "", ratio);
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
	r = mainline_ratio(path, false, false);
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
	cold = mainline_ratio(path, true, false);
	assert_true(cold < 0.85 || cold > 1.15);
}

/* Ours, in the repository: rounds of THPs on CPU 1 (scripts/thp-rounds.py)
 * with the kernel's vmstat work recorded.  Its pageset decays where the
 * trace shows that work; on the once-a-second grid the same replay misses
 * (0.50x when captured), so the bound can fail. */
static void test_thp_decay_within_15_percent(void **state)
{
	const char *const rel[] = { "samples/thp-decay.trace.zst" };
	const char *path;
	double grid;
	(void)state;

	assert_non_null(find_trace(rel, 1)); /* in the repository: no skip */
	path = within_15_percent("samples/thp-decay.trace.zst", NULL);
	grid = mainline_ratio(path, false, true);
	assert_true(grid < 0.85 || grid > 1.15);
}

/* Ours, in the repository: THP rounds on both CPUs at once, warm pagesets
 * and free lists shaped from the capture.  The shaping once left every
 * block it touched owned by one CPU under pcpbuddy and spb, whose pageset
 * then refilled from their fragments while the THPs cycled through the
 * zone (226x and 250x the kernel's zone->lock pages); now within 3x. */
static void test_two_cpu_thp_rounds(void **state)
{
	const char *const rel[] = { "samples/thp-two-cpus.trace.zst" };
	const char *path = find_trace(rel, 1);
	struct trace_tally t;
	struct sim *s;
	(void)state;

	assert_non_null(path); /* in the repository: no skip */
	path = within_15_percent("samples/thp-two-cpus.trace.zst", NULL);
	s = replay(path, false, 0, &t, false);
	for (unsigned i = 0; i < s->npol; i++) {
		double r = (double)report_model_zone_pages(&s->pol[i]) /
			   (double)report_kernel_zone_pages(&t);

		print_message("%s: %s model / kernel %.3f\n", path,
			      pa_policy_name(s->pol[i].policy), r);
		assert_true(r < 3.0);
	}
	sim_destroy(s);
	free(s);
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

/* The report puts the kernel's migratetype fallbacks (its
 * mm_page_alloc_extfrag events, and those of them that were fragmenting)
 * beside the model's, for every policy, in every output (text, JSON and
 * HTML share report_figures). */
static void test_extfrag_beside_the_models_fallbacks(void **state)
{
	static const char text[] =
		"  cc1-1 [000] ..... 1.000001: mm_page_alloc: page=x pfn=0x100 "
		"order=0 migratetype=0 gfp_flags=GFP_KERNEL\n"
		"  cc1-1 [000] ..... 1.000002: mm_page_alloc_extfrag: page=x "
		"pfn=0x200 alloc_order=0 fallback_order=9 pageblock_order=9 "
		"alloc_migratetype=0 fallback_migratetype=1 fragmenting=0 "
		"change_ownership=1\n"
		"  cc1-1 [001] ..... 1.000003: mm_page_alloc_extfrag: page=x "
		"pfn=0x300 alloc_order=0 fallback_order=2 pageblock_order=9 "
		"alloc_migratetype=0 fallback_migratetype=1 fragmenting=1 "
		"change_ownership=0\n"
		"  cc1-1 [001] ..... 1.000004: mm_page_alloc_extfrag: page=x "
		"pfn=0x304 alloc_order=0 fallback_order=2 pageblock_order=9 "
		"alloc_migratetype=0 fallback_migratetype=1 fragmenting=1 "
		"change_ownership=0\n"
		"  cc1-1 [000] ..... 1.000005: mm_page_free: page=x pfn=0x100 "
		"order=0\n";
	char path[] = "/tmp/pa_extfrag.XXXXXX";
	struct report_fig figs[REPORT_MAX_FIGS];
	struct lab_report rep = { .what = "replay" };
	struct trace_tally t;
	int fd = mkstemp(path);
	bool kernel = false, frag = false;
	(void)state;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), sizeof(text) - 1);
	assert_int_equal(close(fd), 0);
	rep.sim = replay(path, false, 8u << 20, &t, false);
	rep.tally = &t;
	unlink(path);
	assert_int_equal(t.events[TEV_EXTFRAG], 3);
	assert_int_equal(t.extfrag_fragmenting, 2);
	for (unsigned n = report_figures(&rep, figs), i = 0; i < n; i++) {
		bool k = strcmp(figs[i].key, "kernel_extfrag") == 0;
		bool f = strcmp(figs[i].key, "kernel_extfrag_fragmenting") == 0;

		if (!k && !f)
			continue;
		assert_string_equal(figs[i].section, "migratetypes");
		/* right after the model's own two rows */
		assert_string_equal(figs[i - (k ? 1 : 2)].key,
				    "fallbacks_fragmenting");
		for (unsigned p = 0; p < rep.sim->npol; p++)
			assert_true(figs[i].v[p] == (k ? 3.0 : 2.0));
		kernel |= k;
		frag |= f;
	}
	assert_true(kernel && frag);
	sim_destroy(rep.sim);
	free(rep.sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_small_within_15_percent),
		cmocka_unit_test(test_thp_decay_within_15_percent),
		cmocka_unit_test(test_two_cpu_thp_rounds),
		cmocka_unit_test(test_shared_traces_within_15_percent),
		cmocka_unit_test(test_exit_avalanche_within_15_percent),
		cmocka_unit_test(test_extfrag_beside_the_models_fallbacks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
