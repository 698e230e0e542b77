/* SPDX-License-Identifier: MIT */
/*
 * Pageblock isolation (src/isolate.c), white-box: while a range is
 * isolated its free pages are on no list an allocation takes from, pages
 * freed into it stay out, what pagesets and pcpbuddy's remote lists held
 * of it comes back to the zone, and pa_check counts the isolated
 * pageblocks; undo restores types and free lists.  Every case runs once
 * per policy the library accepts (factory.h's th_run_policy_group);
 * PA_CFG_NO_PCP is dropped for a policy that needs pagesets.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buddy.h"
#include "helpers.h"
#include "owner.h"
#include "isolate.h"
#include "zone.h"

static struct pa_config zone_cfg(enum pa_policy pol, unsigned flags)
{
	struct pa_config c = th_config(8, 9, 10, flags | PA_CFG_NO_WATERMARKS, 2);

	c.policy = pol;
	if (pa_config_check(&c, NULL, 0))
		c.flags &= ~PA_CFG_NO_PCP;
	return c;
}

static uint64_t isolated_blocks(struct pa_zone *z)
{
	struct pa_stats s;

	pa_stats(z, &s);
	return s.isolated_pageblocks;
}

/* The range [1024, 2048): pageblocks 2 and 3. */
#define LO 1024u
#define HI 2048u

static void isolate_and_undo(enum pa_policy pol)
{
	struct pa_config c = zone_cfg(pol, 0);
	struct pa_zone *z = th_zone_create(&c);
	uint64_t total, *p, n = 0, in_range = 0;
	struct pa_isolation iso;

	total = pa_managed_pages(z);
	p = calloc(2 * total, sizeof(*p));
	/* everything allocated, then every other page freed on both CPUs:
	 * some of the range's free pages sit on pagesets (and, under
	 * pcpbuddy, on another CPU's remote list) */
	while ((p[n] = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE | PA_GFP_NOWARN)) !=
	       PA_NO_PFN)
		n++;
	for (uint64_t i = 0; i < n; i += 2)
		assert_int_equal(pa_free_cpu(z, (unsigned)(i / 2) % 2, p[i], 0), 0);
	for (uint64_t i = 1; i < n; i += 2)
		in_range += p[i] >= LO && p[i] < HI;
	assert_check(z);

	pa_drain(z);
	/* cache some pages of the range again, on both CPUs */
	for (uint64_t i = 1; i < n; i += 2)
		if (p[i] >= LO && p[i] < LO + 64) {
			assert_int_equal(pa_free_cpu(z, (unsigned)p[i] % 2, p[i], 0), 0);
			p[i] = PA_NO_PFN;
			in_range--;
		}
	assert_int_equal(isolate_range(z, &iso, LO, HI), 0);
	assert_int_equal(isolated_blocks(z), 2);
	assert_int_equal(pb_mt(&z->pb[2]), PA_MT_ISOLATE);
	assert_check(z);
	/* nothing of the range is cached, or allocatable */
	struct pa_stats s;

	pa_stats(z, &s);
	assert_int_equal(z->pb[2].nr_free + z->pb[3].nr_free,
			 (HI - LO) - in_range);
	uint64_t got = 0, q;

	while ((q = pa_alloc(z, 0, PA_GFP_MOVABLE | PA_GFP_NOWARN)) != PA_NO_PFN) {
		assert_false(q >= LO && q < HI);
		p[n + got++] = q;
	}
	/* a free into the range stays out of the lists allocations use */
	for (uint64_t i = 1; i < n; i += 2)
		if (p[i] >= LO && p[i] < HI) {
			assert_int_equal(pa_free(z, p[i], 0), 0);
			p[i] = PA_NO_PFN;
			break;
		}
	assert_int_equal(pa_alloc(z, 0, PA_GFP_MOVABLE | PA_GFP_NOWARN), PA_NO_PFN);
	assert_check(z);
	/* a second isolation of an isolated range is refused */
	struct pa_isolation again;

	assert_int_equal(isolate_range(z, &again, LO, LO + 512), -EBUSY);
	isolate_undo(z, &iso);
	assert_int_equal(isolated_blocks(z), 0);
	assert_int_equal(pb_mt(&z->pb[2]), PA_MT_MOVABLE);
	assert_check(z);
	for (uint64_t i = 0; i < got; i++)
		assert_int_equal(pa_free(z, p[n + i], 0), 0);
	for (uint64_t i = 1; i < n; i += 2)
		if (p[i] != PA_NO_PFN)
			assert_int_equal(pa_free(z, p[i], 0), 0);
	pa_drain(z);
	pa_stats(z, &s);
	assert_int_equal(s.free_pages, total);
	assert_check(z);
	free(p);
	th_zone_destroy(z);
}

static void test_isolate_and_undo(void **state)
{
	isolate_and_undo(th_policy(state));
}

/* Undo of an untouched isolation leaves the free lists as they were,
 * straddling free blocks (split at the range's ends) merged again. */
static void undo_restores(enum pa_policy pol)
{
	struct pa_config c = zone_cfg(pol, PA_CFG_NO_PCP);
	struct pa_zone *z = th_zone_create(&c);
	struct th_snapshot snap;
	struct pa_isolation iso;
	uint64_t a = pa_alloc(z, 0, PA_GFP_MOVABLE);
	uint64_t u = pa_alloc(z, 0, 0);

	assert_int_not_equal(a, PA_NO_PFN);
	assert_int_not_equal(u, PA_NO_PFN);
	pa_drain(z);
	th_snapshot_take(z, &snap);
	/* one pageblock in the middle of a free max-order block */
	assert_int_equal(isolate_range(z, &iso, 3 * 512, 4 * 512), 0);
	assert_check(z);
	assert_int_equal(isolated_blocks(z), 1);
	isolate_undo(z, &iso);
	assert_check(z);
	th_snapshot_assert_same(z, &snap, "isolate + undo");
	th_snapshot_free(&snap);
	/* a highatomic pageblock is not isolated */
	pageblock_set_type(z, 5, PA_MT_HIGHATOMIC);
	assert_int_equal(isolate_range(z, &iso, 4 * 512, 6 * 512), -EBUSY);
	pageblock_set_type(z, 5, PA_MT_MOVABLE);
	assert_int_equal(isolated_blocks(z), 0);
	assert_int_equal(pa_free(z, a, 0), 0);
	assert_int_equal(pa_free(z, u, 0), 0);
	assert_check(z);
	th_zone_destroy(z);
}

static void test_undo_restores(void **state)
{
	undo_restores(th_policy(state));
}

/* pa_check catches an isolation count that disagrees with the types. */
static void test_check_counts_isolation(void **state)
{
	struct pa_config c = zone_cfg(th_policy(state), PA_CFG_NO_PCP);
	struct pa_zone *z = th_zone_create(&c);
	struct pa_isolation iso;
	char msg[256];

	assert_int_equal(isolate_range(z, &iso, 0, 512), 0);
	assert_check(z);
	z->nr_isolated_pageblocks++;
	assert_int_equal(pa_check(z, msg, sizeof(msg)), -EUCLEAN);
	assert_non_null(strstr(msg, "isolat"));
	assert_int_equal(th_zone_errors_take(z, NULL, 0), 1);
	z->nr_isolated_pageblocks--;
	isolate_undo(z, &iso);
	assert_check(z);
	th_zone_destroy(z);
}

static bool nop_isolate(void *o, uint64_t p)
{
	(void)o;
	(void)p;
	return true;
}

static int nop_migrate(void *o, uint64_t d, uint64_t s)
{
	(void)o;
	(void)d;
	(void)s;
	return 0;
}

static void nop_putback(void *o, uint64_t p)
{
	(void)o;
	(void)p;
}

/* Every page allocated, then pageblock 2 retyped Unmovable (it holds no
 * free block then). */
static struct pa_zone *two_types(enum pa_policy pol, uint64_t **pages)
{
	struct pa_config c = zone_cfg(pol, PA_CFG_NO_PCP);
	struct pa_zone *z = th_zone_create(&c);
	uint64_t total = pa_managed_pages(z), n = 0, pfn;

	*pages = calloc(total, sizeof(**pages));
	while ((pfn = pa_alloc(z, 0, PA_GFP_MOVABLE | PA_GFP_NOWARN)) != PA_NO_PFN)
		(*pages)[n++] = pfn;
	assert_int_equal(n, total);
	zone_lock(z);
	pageblock_set_type(z, 2, PA_MT_UNMOVABLE);
	zone_unlock(z);
	return z;
}

/* Regression: pages freed into an isolated range merged across two
 * pageblocks whose original types differ; undo put the merged block on
 * the first one's list (free-list hygiene broken). */
static void test_undo_splits_mixed_types(void **state)
{
	uint64_t *p;
	struct pa_zone *z = two_types(th_policy(state), &p);
	struct pa_isolation iso;

	assert_int_equal(isolate_range(z, &iso, LO, HI), 0);
	for (uint64_t pfn = LO; pfn < HI; pfn++)
		assert_int_equal(pa_free(z, pfn, 0), 0);
	assert_check(z);
	isolate_undo(z, &iso);
	assert_check(z);
	free(p);
	th_zone_destroy(z);
}

/* Regression: a contiguous range taken over pageblocks of two types was
 * freed as one max-order block onto the first one's list. */
static void test_contig_range_one_type(void **state)
{
	uint64_t *p;
	struct pa_zone *z = two_types(th_policy(state), &p);
	struct pa_movable_ops ops = { nop_isolate, nop_migrate, nop_putback };
	int id = pa_register_movable_ops(z, &ops, NULL);

	for (uint64_t pfn = LO; pfn < HI; pfn++)
		if (pfn != 1536)
			assert_int_equal(pa_free(z, pfn, 0), 0);
	/* room to migrate into: pageblock 7 */
	for (uint64_t pfn = 7 * 512; pfn < 8 * 512; pfn++)
		assert_int_equal(pa_free(z, pfn, 0), 0);
	assert_int_equal(pa_set_page_movable(z, 1536, id), 0);
	assert_int_equal(pb_mt(&z->pb[2]), PA_MT_UNMOVABLE);
	uint64_t r = pa_alloc_contig(z, 1024, PA_GFP_MOVABLE);

	assert_int_equal(r, LO);
	assert_check(z);
	assert_int_equal(pa_free_contig(z, r, 1024), 0);
	assert_check(z);
	free(p);
	th_zone_destroy(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		th_policy_test(test_isolate_and_undo),
		th_policy_test(test_undo_restores),
		th_policy_test(test_check_counts_isolation),
		th_policy_test(test_undo_splits_mixed_types),
		th_policy_test(test_contig_range_one_type),
	};

	return th_run_policy_group("isolate", tests);
}
