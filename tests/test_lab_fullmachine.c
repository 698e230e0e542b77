/* SPDX-License-Identifier: MIT */
/*
 * The simulator's memory model (lab/lru.h, lab/slab.h) and the full-machine
 * scenarios: reclaimed keys freed later are no-ops, touches refault, the
 * shrinkers honour the migratetype and the pfn range, slab shrinking frees
 * only empty slab pages, no page is ever lost (sim_check, pa_check), and
 * `server` / `hugepage-demand` fill the machine with reclaim active, repeat
 * themselves for a seed and carry their figures in the JSON.
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

#include "report.h"
#include "helpers.h"
#include "scenario.h"

#define MiB (1ull << 20)

/* A serial simulation: requests apply at once, so each policy's model
 * can be looked at between them. */
static struct sim *serial_sim(uint64_t bytes)
{
	struct sim_config cfg = { .bytes = bytes, .ncpus = 2, .serial = true };
	struct sim *s = calloc(1, sizeof(*s));
	char err[300];

	assert_non_null(s);
	assert_int_equal(sim_parse_policies("all", &cfg, err, sizeof(err)), 0);
	if (sim_init(s, &cfg, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	sim_time(s, 0);
	return s;
}

static void check_clean(struct sim *s)
{
	char msg[300];

	if (sim_check(s, msg, sizeof(msg)) != 0)
		fail_msg("%s", msg);
}

static void done(struct sim *s)
{
	sim_destroy(s);
	free(s);
}

static uint64_t scan(struct sim_policy *p, uint64_t n, int mt,
		     uint64_t start, uint64_t end,
		     uint64_t (*fn)(void *, struct pa_shrink_control *))
{
	struct pa_shrink_control sc = { .migratetype = mt, .pfn_start = start,
					.pfn_end = end, .nr_to_scan = n };

	return fn(p, &sc);
}

/* Reclaimed folios: a free is a no-op counted, a touch refaults. */
static void test_reclaimed_key_free_is_noop(void **state)
{
	struct sim *s = serial_sim(64 * MiB);
	(void)state;

	for (uint64_t k = 1; k <= 100; k++)
		sim_lru_add(s, 0, k, 0, k % 2 ? LRU_FILE : LRU_ANON);
	for (unsigned i = 0; i < s->npol; i++) {
		struct sim_policy *p = &s->pol[i];
		struct pa_stats before, after;

		pa_stats(p->zone, &before);
		/* the oldest of each queue go, keys 1 (file) and 2 (anon) among
		 * them */
		assert_int_equal(scan(p, 10, -1, 0, 0, lru_shrink_scan), 10);
		pa_stats(p->zone, &after);
		assert_int_equal(before.allocated_pages - after.allocated_pages, 10);
		assert_int_equal(p->reclaimed_pages, 10);
		assert_int_equal(p->lru.c.dropped_pages + p->lru.c.swapped_pages, 10);
		assert_int_equal(lru_pages(&p->lru), 90);
	}
	check_clean(s);
	sim_lru_free(s, 1, 1, 0);      /* reclaimed: nothing to free */
	sim_lru_touch(s, 1, 2, 0, LRU_ANON); /* reclaimed: refaults */
	sim_lru_free(s, 1, 50, 0);     /* resident: freed */
	for (unsigned i = 0; i < s->npol; i++) {
		struct sim_policy *p = &s->pol[i];

		assert_int_equal(p->lru.c.free_reclaimed, 1);
		assert_int_equal(p->lru.c.refaults, 1);
		assert_int_equal(p->c.free_unknown, 0);
		assert_int_equal(p->c.bad_frees, 0);
		assert_int_equal(lru_pages(&p->lru), 90);
		assert_non_null(pfnmap_find(&p->map, 2));
		assert_null(pfnmap_find(&p->map, 50));
	}
	/* the refaulted key is freed for real now */
	sim_lru_free(s, 1, 2, 0);
	assert_int_equal(s->pol[0].lru.c.free_reclaimed, 1);
	assert_int_equal(lru_pages(&s->pol[0].lru), 89);
	check_clean(s);
	done(s);
}

/* A serial simulation with page-cache folios under keys 1..n, oldest
 * first. */
static struct sim *with_files(uint64_t n)
{
	struct sim *s = serial_sim(64 * MiB);

	for (uint64_t k = 1; k <= n; k++)
		sim_lru_add(s, 0, k, 0, LRU_FILE);
	return s;
}

/* A folio touched since it was queued survives one pass. */
static void test_touched_folio_gets_second_chance(void **state)
{
	struct sim *s = with_files(8);
	(void)state;

	sim_lru_touch(s, 0, 1, 0, LRU_FILE);
	for (unsigned i = 0; i < s->npol; i++) {
		struct sim_policy *p = &s->pol[i];

		/* two looked at: key 1 rotated, key 2 dropped */
		assert_int_equal(scan(p, 2, -1, 0, 0, lru_shrink_scan), 1);
		assert_non_null(pfnmap_find(&p->map, 1));
		assert_null(pfnmap_find(&p->map, 2));
		assert_int_equal(p->lru.c.rotated, 1);
	}
	check_clean(s);
	done(s);
}

/* The LRU serves movable requests only; with a pfn range, the folio
 * inside it goes first whatever its age. */
static void test_lru_honours_type_and_range(void **state)
{
	struct sim *s = with_files(64);
	(void)state;

	for (unsigned i = 0; i < s->npol; i++) {
		struct sim_policy *p = &s->pol[i];
		struct pa_shrink_control unmov = { .migratetype = PA_MT_UNMOVABLE };
		uint32_t pfn = pfnmap_find(&p->map, 40)->pfn;

		assert_int_equal(lru_shrink_count(p, &unmov), 0);
		assert_int_equal(scan(p, 8, PA_MT_UNMOVABLE, 0, 0, lru_shrink_scan), 0);
		assert_int_equal(lru_shrink_count(p, NULL), 64);
		/* without the range keys 1..8 would go */
		assert_int_equal(scan(p, 8, PA_MT_MOVABLE, pfn, pfn + 1,
				      lru_shrink_scan), 8);
		assert_null(pfnmap_find(&p->map, 40));
		assert_null(pfnmap_find(&p->map, 7));
		assert_non_null(pfnmap_find(&p->map, 8));
	}
	check_clean(s);
	done(s);
}

/* Shrinking frees a slab page only when its last object goes. */
static void test_slab_shrink_frees_only_empty_pages(void **state)
{
	struct sim *s = serial_sim(64 * MiB);
	unsigned per = slab_spec(SLAB_DENTRY)->objs_per_slab;
	(void)state;

	/* two slab pages, every other object shrinkable */
	for (uint64_t k = 1; k <= 2 * per; k++)
		sim_slab_alloc(s, 0, k, SLAB_DENTRY, k % 2 == 0);
	sim_slab_alloc(s, 0, 1000, SLAB_KMALLOC_1K, false);
	for (unsigned i = 0; i < s->npol; i++) {
		struct sim_policy *p = &s->pol[i];
		struct pa_shrink_control unmov = { .migratetype = PA_MT_UNMOVABLE };

		assert_int_equal(slab_pages(&p->slab), 2 + 2);
		assert_int_equal(slab_shrink_count(p, NULL), per);
		assert_int_equal(slab_shrink_count(p, &unmov), 0);
		/* every shrinkable object goes, no page empties */
		assert_int_equal(scan(p, 4 * per, PA_MT_RECLAIMABLE, 0, 0,
				      slab_shrink_scan), 0);
		assert_int_equal(p->slab.c_.shrunk_objs, per);
		assert_int_equal(slab_pages(&p->slab), 4);
	}
	check_clean(s);
	/* the pinned objects go: the pages with them; shrunk ones are no-ops */
	for (uint64_t k = 1; k <= 2 * per; k++)
		sim_slab_free(s, 1, k);
	for (unsigned i = 0; i < s->npol; i++) {
		struct sim_policy *p = &s->pol[i];

		assert_int_equal(slab_pages(&p->slab), 2); /* kmalloc-1k's */
		assert_int_equal(p->slab.c_.free_shrunk, per);
		assert_int_equal(p->c.free_unknown, 0);
	}
	check_clean(s);
	done(s);
}

/* A scenario run, its JSON written to path. */
static struct sim *run_to_json(const char *name, uint64_t bytes, double scale,
			       uint64_t seed, const char *path)
{
	struct sim_config cfg = { .bytes = bytes, .ncpus = 4,
				  .measure_contig = true };
	struct scenario_params sp = { .bytes = bytes, .ncpus = 4, .seed = seed,
				      .scale = scale };
	struct lab_report rep = { .what = "run" };
	struct sim *s = calloc(1, sizeof(*s));
	char err[300];

	assert_non_null(s);
	assert_int_equal(sim_parse_policies("all", &cfg, err, sizeof(err)), 0);
	if (sim_init(s, &cfg, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	scenario_run(scenario_find(name), s, &sp);
	snprintf(rep.title, sizeof(rep.title), "%s", name);
	rep.sim = s;
	assert_int_equal(report_json(&rep, path), 0);
	return s;
}

static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* server fills the machine with reclaim active, the same for a seed */
static void test_server_full_and_deterministic(void **state)
{
	char a[] = "/tmp/pa_fm_a.XXXXXX", b[] = "/tmp/pa_fm_b.XXXXXX";
	const char *keys[] = { "\"peak_allocated_mib\"", "\"reclaimed_pages\"",
			       "\"end_tainted_superpageblocks\"",
			       "\"contig_1g_allocatable\"",
			       "\"thp_allocatable_pct\"" };
	struct sim *s1, *s2;
	char *ja, *jb;
	(void)state;

	close(mkstemp(a));
	close(mkstemp(b));
	s1 = run_to_json("server", 512 * MiB, 0.25, 5, a);
	s2 = run_to_json("server", 512 * MiB, 0.25, 5, b);
	check_clean(s1);
	for (unsigned i = 0; i < s1->npol; i++) {
		const struct sim_policy *p = &s1->pol[i];

		assert_true(p->reclaimed_pages > 0);
		assert_true(p->lru.c.dropped_pages > 0);
		/* within the watermarks of full */
		assert_true(p->peak_allocated * 100 >= p->stats.managed_pages * 95);
		assert_int_equal(p->c.bad_frees, 0);
	}
	ja = th_slurp(a, NULL);
	jb = th_slurp(b, NULL);
	assert_string_equal(ja, jb);
	for (unsigned k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		assert_int_equal(count(ja, keys[k]), s1->npol);
	free(ja);
	free(jb);
	unlink(a);
	unlink(b);
	done(s1);
	done(s2);
}

/* hugepage-demand: every policy sees the same demands; its figures are
 * in the JSON */
static void test_hugepage_demand_figures(void **state)
{
	char a[] = "/tmp/pa_fm_h.XXXXXX";
	struct sim *s;
	char *j;
	(void)state;

	close(mkstemp(a));
	s = run_to_json("hugepage-demand", 1024 * MiB, 0.3, 3, a);
	check_clean(s);
	for (unsigned i = 0; i < s->npol; i++) {
		const struct sim_policy *p = &s->pol[i];

		for (unsigned ph = 0; ph < 2; ph++)
			for (unsigned big = 0; big < 2; big++) {
				assert_true(p->demand_tries[ph][big] > 0);
				assert_int_equal(p->demand_tries[ph][big],
						 s->pol[0].demand_tries[ph][big]);
				assert_true(p->demand_ok[ph][big] <=
					    p->demand_tries[ph][big]);
			}
		assert_int_equal(p->nheld_1g, 0); /* all given back */
	}
	j = th_slurp(a, NULL);
	assert_int_equal(count(j, "\"thp_success_pct\""), s->npol);
	assert_int_equal(count(j, "\"contig_1g_success\""), s->npol);
	assert_int_equal(count(j, "\"tainted_superpageblocks\""),
			 count(j, "\"clean_superpageblocks\""));
	free(j);
	unlink(a);
	done(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reclaimed_key_free_is_noop),
		cmocka_unit_test(test_touched_folio_gets_second_chance),
		cmocka_unit_test(test_lru_honours_type_and_range),
		cmocka_unit_test(test_slab_shrink_frees_only_empty_pages),
		cmocka_unit_test(test_server_full_and_deterministic),
		cmocka_unit_test(test_hugepage_demand_figures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
