/* SPDX-License-Identifier: MIT */
/*
 * The lab's movable owner: movable blocks the simulator allocates move
 * under compaction and the pfn map follows them, so later frees by trace
 * key still find their blocks (no unknown or rejected frees, sim_check
 * holds); the end-of-run figures are filled in.  Every accepted policy.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "sim.h"
#include "sim_compact.h"

static void test_frees_follow_moved_pages(void **state)
{
	struct sim_config cfg = { 0 };
	char err[300];

	(void)state;
	cfg.bytes = 64ull << 20;
	cfg.ncpus = 2;
	cfg.compact = true;
	cfg.serial = true; /* the test calls into the zones between requests */
	assert_int_equal(sim_parse_policies("all", &cfg, err, sizeof(err)), 0);
	struct sim *s = calloc(1, sizeof(*s));

	assert_int_equal(sim_init(s, &cfg, err, sizeof(err)), 0);
	uint64_t n = 16384;

	/* as many movable pages as the zone gives (the watermark stops a
	 * few), trace keys far from our pfns, then three in four freed:
	 * every pageblock a quarter full, the score above the high mark */
	for (uint64_t k = 0; k < n; k++)
		sim_alloc(s, 0, 1000000 + k, 0, PA_MT_MOVABLE);
	for (uint64_t k = 0; k < n; k++)
		if (k % 4 != 3)
			sim_free(s, 0, 1000000 + k, 0);
	for (unsigned i = 0; i < s->npol; i++) {
		pa_drain(s->pol[i].zone);
		sim_compact_tick(&s->pol[i]);
		assert_int_equal(s->pol[i].compact_runs, 1);
		struct pa_stats st;

		pa_stats(s->pol[i].zone, &st);
		assert_true(st.pgmigrate_success > 0);
	}
	for (uint64_t k = 3; k < n; k += 4)
		sim_free(s, 1, 1000000 + k, 0);
	sim_finish(s);
	for (unsigned i = 0; i < s->npol; i++) {
		const struct sim_policy *p = &s->pol[i];

		/* only the keys the zone could not allocate */
		assert_int_equal(p->c.free_unknown, p->c.failures);
		assert_int_equal(p->c.bad_frees, 0);
		assert_int_equal(p->c.live_pages, 0);
		assert_true(p->thp_allocatable_pct > 99.0);
		assert_int_equal(p->contig_1g, 0); /* 64 MiB holds none */
	}
	assert_int_equal(sim_check(s, err, sizeof(err)), 0);
	sim_destroy(s);
	free(s);
}

/* Regression: the simulator's zones ran with the rseq stacks on, so every
 * pa_alloc_cpu/pa_free_cpu on a slot that is also a real CPU fenced that
 * CPU with membarrier, 25x slower replays.  The lab only uses simulated
 * slots: its zones must be on the trylock path. */
static void test_sim_zones_skip_rseq(void **state)
{
	struct sim_config cfg = { 0 };
	char err[300];
	struct sim *s = calloc(1, sizeof(*s));

	(void)state;
	cfg.bytes = 64ull << 20;
	cfg.ncpus = 4;
	cfg.serial = true;
	assert_int_equal(sim_parse_policies("all", &cfg, err, sizeof(err)), 0);
	assert_int_equal(sim_init(s, &cfg, err, sizeof(err)), 0);
	for (unsigned i = 0; i < s->npol; i++) {
		struct pa_config zc;

		pa_zone_config(s->pol[i].zone, &zc);
		assert_true(zc.flags & PA_CFG_NO_RSEQ);
	}
	sim_destroy(s);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frees_follow_moved_pages),
		cmocka_unit_test(test_sim_zones_skip_rseq),
	};

	return cmocka_run_group_tests_name("lab_compact", tests, NULL, NULL);
}
