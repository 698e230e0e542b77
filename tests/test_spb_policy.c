/* SPDX-License-Identifier: MIT */
/*
 * The spb policy as a whole, with its pagesets: bad frees leave every SPB
 * counter and bitmap bit unchanged, CPU offline/online and drains keep the
 * summaries exact (pa_check) and give every page back, and a mixed random
 * workload on many small SPBs packs non-movable memory into few of them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "zone.h" /* white-box: compare the summaries byte for byte */

/* SPBs of 4 pageblocks of 16 pages; max_order 6 (one SPB). */
static struct pa_zone *spb_zone(unsigned nr_spb, unsigned ncpus)
{
	struct pa_config c = th_config(nr_spb * 4, 4, 6, PA_CFG_NO_WATERMARKS,
				       ncpus);

	c.policy = PA_POLICY_SPB;
	c.superpageblock_order = 6;
	struct pa_zone *z = pa_zone_create(&c);

	assert_non_null(z);
	return z;
}

struct spb_copy {
	struct superpageblock *spb;
	uint64_t *bits;
	size_t spb_bytes, bits_bytes;
};

static void copy_take(struct pa_zone *z, struct spb_copy *c)
{
	c->spb_bytes = z->nr_superpageblocks * sizeof(*z->spb);
	c->bits_bytes = SPB_NR_MAPS * z->spb_words * sizeof(uint64_t);
	c->spb = malloc(c->spb_bytes);
	c->bits = malloc(c->bits_bytes);
	assert_non_null(c->spb);
	assert_non_null(c->bits);
	memcpy(c->spb, z->spb, c->spb_bytes);
	memcpy(c->bits, z->spb_bits, c->bits_bytes);
}

static void copy_assert_same(struct pa_zone *z, const struct spb_copy *c)
{
	assert_memory_equal(c->spb, z->spb, c->spb_bytes);
	assert_memory_equal(c->bits, z->spb_bits, c->bits_bytes);
}

static void copy_free(struct spb_copy *c)
{
	free(c->spb);
	free(c->bits);
}

/* Every kind of bad free on a zone with tainted and clean SPBs. */
static void bad_frees_change_nothing(void **state)
{
	struct pa_zone *z = spb_zone(4, 2);
	struct th_snapshot snap;
	struct spb_copy copy;

	(void)state;
	uint64_t m = pa_alloc_cpu(z, 0, 2, PA_GFP_MOVABLE);
	uint64_t u = pa_alloc_cpu(z, 1, 0, 0);
	uint64_t r = pa_alloc_cpu(z, 0, 5, PA_GFP_RECLAIMABLE);
	uint64_t gone = pa_alloc_cpu(z, 1, 1, 0);

	assert_int_not_equal(m, PA_NO_PFN);
	assert_int_not_equal(u, PA_NO_PFN);
	assert_int_not_equal(r, PA_NO_PFN);
	assert_int_not_equal(gone, PA_NO_PFN);
	assert_int_equal(pa_free_cpu(z, 0, gone, 1), 0);
	th_snapshot_take(z, &snap);
	copy_take(z, &copy);
	assert_int_equal(pa_free(z, gone, 1), -EINVAL);      /* double free */
	assert_int_equal(pa_free(z, m, 3), -EINVAL);         /* wrong order */
	assert_int_equal(pa_free(z, r + 1, 0), -EINVAL);     /* a tail */
	assert_int_equal(pa_free(z, u, 1), -EINVAL);         /* wrong order */
	assert_int_equal(pa_free(z, 1ull << 40, 0), -EINVAL); /* out of range */
	assert_int_equal(pa_free_cpu(z, 1, m + 2, 1), -EINVAL);
	assert_int_equal(pa_free_nolock(z, r, 4), -EINVAL);
	copy_assert_same(z, &copy);
	th_snapshot_assert_same(z, &snap, "bad free under spb");
	assert_check(z);
	copy_free(&copy);
	th_snapshot_free(&snap);
	assert_int_equal(pa_free(z, m, 2), 0);
	assert_int_equal(pa_free(z, u, 0), 0);
	assert_int_equal(pa_free(z, r, 5), 0);
	pa_zone_destroy(z);
}

#define LIVE 128

struct work {
	uint64_t pfn[LIVE];
	unsigned order[LIVE];
};

static void work_churn(struct pa_zone *z, struct work *w, struct th_rng *r,
		       unsigned ncpus, unsigned steps)
{
	static const unsigned gfp[] = { 0, PA_GFP_MOVABLE, PA_GFP_RECLAIMABLE,
					PA_GFP_MOVABLE, PA_GFP_MOVABLE };

	for (unsigned s = 0; s < steps; s++) {
		unsigned i = (unsigned)th_below(r, LIVE);
		unsigned cpu = (unsigned)th_below(r, ncpus);

		if (w->pfn[i] != PA_NO_PFN) {
			assert_int_equal(pa_free_cpu(z, cpu, w->pfn[i], w->order[i]), 0);
			w->pfn[i] = PA_NO_PFN;
			continue;
		}
		w->order[i] = (unsigned)th_below(r, 6);
		w->pfn[i] = pa_alloc_cpu(z, cpu, w->order[i],
					 gfp[th_below(r, 5)] | PA_GFP_NOWARN);
	}
}

static void work_init(struct work *w)
{
	for (unsigned i = 0; i < LIVE; i++)
		w->pfn[i] = PA_NO_PFN;
}

static void work_free_all(struct pa_zone *z, struct work *w)
{
	for (unsigned i = 0; i < LIVE; i++)
		if (w->pfn[i] != PA_NO_PFN) {
			assert_int_equal(pa_free(z, w->pfn[i], w->order[i]), 0);
			w->pfn[i] = PA_NO_PFN;
		}
}

/* All free again: every SPB clean, entirely free, whole. */
static void assert_all_free(struct pa_zone *z, unsigned nr_spb)
{
	struct pa_frag f;
	struct pa_stats s;

	assert_check(z);
	pa_stats(z, &s);
	assert_int_equal(s.free_pages, s.managed_pages);
	assert_int_equal(pa_frag(z, &f), 0);
	assert_int_equal(f.tainted_superpageblocks, 0);
	assert_int_equal(f.free_whole_superpageblocks, nr_spb);
}

/* Offline a CPU whose pageset owns blocks and has remote frees waiting,
 * bring it back, drain: the summaries stay exact throughout. */
static void offline_online_and_drains(void **state)
{
	struct pa_zone *z = spb_zone(8, 3);
	struct th_rng r = { th_seed("spb offline/online") };
	struct work w;

	(void)state;
	work_init(&w);
	work_churn(z, &w, &r, 3, 2000);
	assert_check(z);
	assert_int_equal(pa_cpu_offline(z, 1), 0);
	assert_check(z);
	work_churn(z, &w, &r, 3, 2000); /* frees aimed at cpu 1 go to the zone */
	assert_check(z);
	assert_int_equal(pa_cpu_online(z, 1), 0);
	work_churn(z, &w, &r, 3, 2000);
	assert_check(z);
	assert_int_equal(pa_drain_cpu(z, 2), 0);
	assert_check(z);
	pa_drain(z);
	assert_check(z);
	work_free_all(z, &w);
	pa_drain(z);
	assert_all_free(z, 8);
	pa_zone_destroy(z);
}

/* Every CPU offline, then all back: the zone path alone, then pagesets. */
static void all_cpus_offline(void **state)
{
	struct pa_zone *z = spb_zone(6, 2);
	struct th_rng r = { th_seed("spb all offline") };
	struct work w;

	(void)state;
	work_init(&w);
	work_churn(z, &w, &r, 2, 1000);
	assert_int_equal(pa_cpu_offline(z, 0), 0);
	assert_int_equal(pa_cpu_offline(z, 1), 0);
	assert_check(z);
	work_churn(z, &w, &r, 2, 2000);
	assert_check(z);
	assert_int_equal(pa_cpu_online(z, 0), 0);
	assert_int_equal(pa_cpu_online(z, 1), 0);
	work_churn(z, &w, &r, 2, 1000);
	work_free_all(z, &w);
	pa_drain(z);
	assert_all_free(z, 6);
	pa_zone_destroy(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_frees_change_nothing),
		cmocka_unit_test(offline_online_and_drains),
		cmocka_unit_test(all_cpus_offline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
