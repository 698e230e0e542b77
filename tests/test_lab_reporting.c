/* SPDX-License-Identifier: MIT */
/*
 * Free page reporting in the lab (--report-free, sim_reporting.h): a pass
 * reports the free blocks of the order and up that were not reported yet
 * and agrees with the library's own counters; the pages it gave back are
 * never under a live block (allocating a page makes it resident again),
 * so the would-be RSS drop falls as memory is used and never exceeds the
 * free memory; a second pass reports only what was freed since; the
 * option parses.  Every accepted policy, sim_check at the end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "sim.h"
#include "sim_reporting.h"

#define NKEYS 16384u
#define KEY(k) (1000000u + (k))

static struct sim *reporting_sim(void)
{
	struct sim_config cfg = { 0 };
	char err[300];
	struct sim *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	cfg.bytes = 64ull << 20;
	cfg.ncpus = 2;
	cfg.serial = true; /* the test calls into the zones between requests */
	assert_int_equal(sim_parse_option('R', "9", &cfg, NULL, err, sizeof(err)), 0);
	assert_true(cfg.report_free);
	assert_int_equal(cfg.report_free_order, 9);
	assert_int_equal(sim_parse_policies("all", &cfg, err, sizeof(err)), 0);
	assert_int_equal(sim_init(s, &cfg, err, sizeof(err)), 0);
	return s;
}

static bool given_back(const struct sim_reporting *r, uint64_t pfn)
{
	return (r->given_back[pfn >> 6] >> (pfn & 63)) & 1;
}

/* No page given back lies under a live block of the run's keys. */
static void assert_live_resident(const struct sim_policy *p)
{
	for (uint64_t k = 0; k < NKEYS; k++) {
		const struct pfnmap_entry *e = pfnmap_find(&p->map, KEY(k));

		for (uint64_t i = 0; e && i < (1ull << e->order); i++)
			assert_false(given_back(&p->reporting, e->pfn + i));
	}
}

static uint64_t free_pages(struct pa_zone *z)
{
	struct pa_stats st;

	pa_stats(z, &st);
	return st.free_pages + st.pcp_pages;
}

static void tick_all(struct sim *s)
{
	for (unsigned i = 0; i < s->npol; i++) {
		pa_drain(s->pol[i].zone);
		sim_reporting_tick(&s->pol[i]);
	}
}

static void test_report_then_use(void **state)
{
	struct sim *s = reporting_sim();
	uint64_t first[PA_POLICY_NR];

	(void)state;
	for (uint64_t k = 0; k < NKEYS; k++)
		sim_alloc(s, 0, KEY(k), 0, PA_MT_MOVABLE);
	for (uint64_t k = 0; k < NKEYS; k++)
		sim_free(s, k & 1, KEY(k), 0);
	tick_all(s);
	for (unsigned i = 0; i < s->npol; i++) {
		struct sim_policy *p = &s->pol[i];
		struct pa_stats st;

		pa_stats(p->zone, &st);
		assert_int_equal(p->reporting.runs, 1);
		assert_true(p->reporting.pages >= (32ull << 20) >> 12);
		assert_int_equal(p->reporting.pages, st.page_reporting_pages);
		assert_int_equal(p->reporting.blocks, st.page_reporting_blocks);
		/* nothing was allocated since: all of it is still given back */
		assert_int_equal(p->reporting.rss_drop, p->reporting.pages);
		assert_int_equal(p->reporting.rss_drop_peak, p->reporting.rss_drop);
		first[i] = p->reporting.pages;
	}
	/* half the memory used again: resident again, never given back */
	for (uint64_t k = 0; k < NKEYS / 2; k++)
		sim_alloc(s, 0, KEY(k), 0, PA_MT_MOVABLE);
	for (unsigned i = 0; i < s->npol; i++) {
		struct sim_policy *p = &s->pol[i];

		assert_live_resident(p);
		assert_true(p->reporting.rss_drop < first[i]);
		assert_true(p->reporting.rss_drop <= free_pages(p->zone));
	}
	/* a second pass: only blocks freed or merged since are new */
	for (uint64_t k = 0; k < NKEYS / 2; k += 2)
		sim_free(s, 0, KEY(k), 0);
	tick_all(s);
	for (unsigned i = 0; i < s->npol; i++) {
		struct sim_policy *p = &s->pol[i];

		assert_int_equal(p->reporting.runs, 2);
		assert_true(p->reporting.pages - first[i] < first[i]);
		assert_true(p->reporting.rss_drop <= free_pages(p->zone));
		assert_true(p->reporting.rss_drop_peak >= p->reporting.rss_drop);
		assert_live_resident(p);
	}
	for (uint64_t k = 0; k < NKEYS / 2; k++)
		if (k & 1)
			sim_free(s, 1, KEY(k), 0);
	sim_finish(s);
	char err[300];

	assert_int_equal(sim_check(s, err, sizeof(err)), 0);
	sim_destroy(s);
	free(s);
}

static void test_option_errors(void **state)
{
	struct sim_config cfg = { 0 };
	char err[300];

	(void)state;
	assert_int_equal(sim_parse_option('R', "99", &cfg, NULL, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "--report-free"));
	assert_int_equal(sim_parse_option('R', "x", &cfg, NULL, err, sizeof(err)),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_then_use),
		cmocka_unit_test(test_option_errors),
	};

	return cmocka_run_group_tests_name("lab_reporting", tests, NULL, NULL);
}
