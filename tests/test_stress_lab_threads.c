/* SPDX-License-Identifier: MIT */
/*
 * The lab's policies replayed on one thread each (lab/simqueue.c) give
 * exactly what the serial lockstep replay gives: the same counts, the same
 * zone statistics, the same samples, reports and pageblock maps, for every
 * built-in scenario on every policy the build has.  Under TSan (CI's
 * test-concurrency) this also checks the hand-over between the producer
 * and the policy threads.
 */
#include "helpers.h"

#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "sim.h"

static void run(const struct scenario *sc, bool serial, struct sim *s)
{
	struct sim_config cfg = { .bytes = 256ull << 20, .ncpus = 4,
				  .serial = serial };
	struct scenario_params sp = { .bytes = cfg.bytes, .ncpus = 4, .seed = 7,
				      .scale = th_sanitized() ? 0.005 : 0.02 };
	char err[256] = "";

	assert_int_equal(sim_parse_policies("all", &cfg, err, sizeof(err)), 0);
	assert_int_equal(sim_init(s, &cfg, err, sizeof(err)), 0);
	assert_true(serial ? s->q == NULL : s->q != NULL);
	scenario_run(sc, s, &sp);
	assert_null(s->q);
	assert_int_equal(sim_check(s, err, sizeof(err)), 0);
}

static void assert_same_policy(const struct sim_policy *a,
			       const struct sim_policy *b)
{
	struct pa_stats x = a->stats, y = b->stats;

	assert_memory_equal(&a->c, &b->c, sizeof(a->c));
	/* lock timings differ from run to run; counts must not */
	memset(&x.zone_lock, 0, sizeof(x.zone_lock));
	memset(&y.zone_lock, 0, sizeof(y.zone_lock));
	memset(&x.pcp_lock, 0, sizeof(x.pcp_lock));
	memset(&y.pcp_lock, 0, sizeof(y.pcp_lock));
	assert_memory_equal(&x, &y, sizeof(x));
	assert_int_equal(a->stats.zone_lock.acquisitions,
			 b->stats.zone_lock.acquisitions);
	assert_int_equal(a->nsamples, b->nsamples);
	for (unsigned k = 0; k < a->nsamples; k++) {
		const struct sim_sample *p = &a->samples[k], *q = &b->samples[k];

		assert_int_equal(p->t_ns, q->t_ns);
		assert_int_equal(p->allocated, q->allocated);
		assert_int_equal(p->zone_lock_pages, q->zone_lock_pages);
		assert_int_equal(p->has_frag, q->has_frag);
		assert_memory_equal(p->nr_free, q->nr_free, sizeof(p->nr_free));
		assert_memory_equal(p->free_by_mt, q->free_by_mt,
				    sizeof(p->free_by_mt));
	}
	assert_memory_equal(&a->frag_end, &b->frag_end, sizeof(a->frag_end));
	assert_memory_equal(&a->frag_peak, &b->frag_peak, sizeof(a->frag_peak));
	assert_memory_equal(&a->index_peak, &b->index_peak,
			    sizeof(a->index_peak));
	assert_int_equal(a->peak_t_ns, b->peak_t_ns);
	for (unsigned r = 0; r < SIM_NR_REPORTS; r++) {
		assert_non_null(a->report_end[r]);
		assert_non_null(a->report_peak[r]);
		assert_string_equal(a->report_end[r], b->report_end[r]);
		assert_string_equal(a->report_peak[r], b->report_peak[r]);
	}
	assert_int_equal(a->nr_pageblocks, b->nr_pageblocks);
	assert_memory_equal(a->pb_map, b->pb_map, a->nr_pageblocks);
}

static void test_threads_equal_serial(void **state)
{
	unsigned n;
	const struct scenario *tab = scenario_table(&n);
	(void)state;

	for (unsigned i = 0; i < n; i++) {
		struct sim *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));

		assert_non_null(a);
		assert_non_null(b);
		run(&tab[i], true, a);
		run(&tab[i], false, b);
		assert_int_equal(a->npol, b->npol);
		for (unsigned p = 0; p < a->npol; p++) {
			assert_check(b->pol[p].zone);
			assert_same_policy(&a->pol[p], &b->pol[p]);
		}
		sim_destroy(a);
		sim_destroy(b);
		free(a);
		free(b);
	}
}

/* Destroying a simulation that was never finished stops its threads. */
static void test_destroy_unfinished(void **state)
{
	struct sim_config cfg = { .bytes = 64ull << 20, .ncpus = 2 };
	struct sim *s = calloc(1, sizeof(*s));
	char err[256];
	(void)state;

	assert_non_null(s);
	assert_int_equal(sim_parse_policies("all", &cfg, err, sizeof(err)), 0);
	assert_int_equal(sim_init(s, &cfg, err, sizeof(err)), 0);
	assert_non_null(s->q);
	sim_time(s, 1000);
	for (uint64_t k = 0; k < 3 * 4096 + 5; k++)
		sim_alloc(s, (unsigned)(k & 1), k << 1, 0, PA_MT_MOVABLE);
	sim_destroy(s);
	assert_null(s->q);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads_equal_serial),
		cmocka_unit_test(test_destroy_unfinished),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
