/* SPDX-License-Identifier: MIT */
/*
 * Pass 1's hint (spb_hint.h) is exact: a zone that uses it and one that
 * always picks (white-box spb_hint_off) given the same random sequence of
 * allocations, frees and contiguous allocations on the same CPUs return
 * the same pfn every time, while the first is served from its hint at
 * times; a stale hint (its SPB out of blocks) still finds a block,
 * the one the pick finds.  pa_check on both zones along the way.
 */
#include <stdlib.h>
#include <string.h>

#include "buddy.h"
#include "helpers.h"
#include "spb_hint.h"
#include "zone.h" /* white-box: the hint and its switch */

#define NR_SPB 130       /* three bitmap words */
#define NR_OPS 20000
#define MAX_LIVE 4096

/* SPBs of 4 pageblocks of 16 pages, max_order 6 (one SPB). */
static struct pa_zone *hint_zone(bool hint_off)
{
	struct pa_config c = th_config(NR_SPB * 4, 4, 6, PA_CFG_NO_WATERMARKS, 2);

	c.policy = PA_POLICY_SPB;
	c.superpageblock_order = 6;
	struct pa_zone *z = th_zone_create(&c);

	z->spb_hint_off = hint_off;
	return z;
}

struct live {
	uint64_t pfn[MAX_LIVE];
	unsigned order[MAX_LIVE], cpu[MAX_LIVE];
	bool contig[MAX_LIVE];
	unsigned n;
};

static unsigned random_order(struct th_rng *r)
{
	static const unsigned orders[] = { 0, 0, 0, 0, 1, 2, 3, 4, 4, 5, 6 };

	return orders[th_below(r, sizeof(orders) / sizeof(orders[0]))];
}

static unsigned random_gfp(struct th_rng *r)
{
	static const unsigned types[] = { PA_GFP_MOVABLE, PA_GFP_MOVABLE, 0,
					  PA_GFP_RECLAIMABLE };
	unsigned gfp = types[th_below(r, 4)] | PA_GFP_NOWARN;

	if (!th_below(r, 16))
		gfp |= PA_GFP_ATOMIC;
	return gfp;
}

/* One allocation on both zones: the same answer. */
static void alloc_both(struct pa_zone *a, struct pa_zone *b, struct live *l,
		       struct th_rng *r)
{
	unsigned cpu = (unsigned)th_below(r, 2), gfp = random_gfp(r);
	bool contig = !th_below(r, 64);
	unsigned order = contig ? 6 : random_order(r);
	uint64_t pa, pb;

	if (contig) {
		pa = pa_alloc_contig(a, 1ull << order, gfp & ~PA_GFP_ATOMIC);
		pb = pa_alloc_contig(b, 1ull << order, gfp & ~PA_GFP_ATOMIC);
	} else {
		pa = pa_alloc_cpu(a, cpu, order, gfp);
		pb = pa_alloc_cpu(b, cpu, order, gfp);
	}
	if (pa != pb)
		fail_msg("order %u gfp 0x%x cpu %u%s: hinted zone gave %llu, the pick %llu",
			 order, gfp, cpu, contig ? " (contig)" : "",
			 (unsigned long long)pa, (unsigned long long)pb);
	if (pa == PA_NO_PFN)
		return;
	l->pfn[l->n] = pa;
	l->order[l->n] = order;
	l->cpu[l->n] = cpu;
	l->contig[l->n++] = contig;
}

static void free_both(struct pa_zone *a, struct pa_zone *b, struct live *l,
		      struct th_rng *r)
{
	unsigned i = (unsigned)th_below(r, l->n);

	if (l->contig[i]) {
		assert_int_equal(pa_free_contig(a, l->pfn[i], 1ull << l->order[i]), 0);
		assert_int_equal(pa_free_contig(b, l->pfn[i], 1ull << l->order[i]), 0);
	} else {
		assert_int_equal(pa_free_cpu(a, l->cpu[i], l->pfn[i], l->order[i]), 0);
		assert_int_equal(pa_free_cpu(b, l->cpu[i], l->pfn[i], l->order[i]), 0);
	}
	l->n--;
	l->pfn[i] = l->pfn[l->n];
	l->order[i] = l->order[l->n];
	l->cpu[i] = l->cpu[l->n];
	l->contig[i] = l->contig[l->n];
}

static void test_same_blocks_as_the_pick(void **state)
{
	struct pa_zone *a = hint_zone(false), *b = hint_zone(true);
	struct th_rng r = { th_seed("spb hint model") };
	struct live *l = calloc(1, sizeof(*l));
	struct pa_stats sa, sb;

	(void)state;
	assert_non_null(l);
	for (unsigned op = 0; op < NR_OPS; op++) {
		/* phases of growth and shrinking, so SPBs fill and empty */
		bool grow = (op / 2500) % 2 == 0;

		if (l->n < MAX_LIVE && (!l->n || th_below(&r, 10) < (grow ? 7u : 3u)))
			alloc_both(a, b, l, &r);
		else
			free_both(a, b, l, &r);
		if (op % 2000 == 0) {
			assert_check(b);
			assert_check(a);
		}
	}
	pa_stats(a, &sa);
	pa_stats(b, &sb);
	assert_int_equal(sb.spb_hint_hits, 0);
	/* the hint served (on these 64-page SPBs buckets change every few
	 * allocations, so not often) and saved the picks it replaced */
	assert_true(sa.spb_hint_hits > 0);
	assert_true(sa.spb_words_visited < sb.spb_words_visited);
	while (l->n)
		free_both(a, b, l, &r);
	free(l);
	th_zone_destroy(a);
	th_zone_destroy(b);
}

/* A hint whose SPB has run out of the type's blocks: the pick runs and
 * finds what it finds without a hint. */
static void test_stale_hint_still_finds(void **state)
{
	struct pa_zone *a = hint_zone(false), *b = hint_zone(true);
	uint64_t first = pa_alloc_cpu(a, 0, 6, PA_GFP_MOVABLE);

	(void)state;
	assert_int_equal(pa_alloc_cpu(b, 0, 6, PA_GFP_MOVABLE), first);
	/* SPB 0 is all allocated: a hint for it can serve nothing */
	zone_lock(a);
	spb_hint_set(a, 0, PA_MT_MOVABLE, first >> a->spb_order);
	assert_int_equal(spb_hint_get(a, 0, PA_MT_MOVABLE), UINT64_MAX);
	zone_unlock(a);
	uint64_t pa = pa_alloc_cpu(a, 1, 0, PA_GFP_MOVABLE);

	assert_int_not_equal(pa, PA_NO_PFN);
	assert_int_equal(pa_alloc_cpu(b, 1, 0, PA_GFP_MOVABLE), pa);
	assert_false(pa >> a->spb_order == first >> a->spb_order);
	assert_check(a);
	assert_int_equal(pa_free_cpu(a, 1, pa, 0), 0);
	assert_int_equal(pa_free_cpu(b, 1, pa, 0), 0);
	assert_int_equal(pa_free_cpu(a, 0, first, 6), 0);
	assert_int_equal(pa_free_cpu(b, 0, first, 6), 0);
	th_zone_destroy(a);
	th_zone_destroy(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_blocks_as_the_pick),
		cmocka_unit_test(test_stale_hint_still_finds),
	};

	return cmocka_run_group_tests_name("spb_hint", tests, NULL, NULL);
}
