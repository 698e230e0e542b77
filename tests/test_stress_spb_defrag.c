/* SPDX-License-Identifier: MIT */
/*
 * The spb defragmentation worker and evacuation under concurrency (TSan in
 * CI): two threads keep the zone nearly full of movable blocks through a
 * test owner (anonymous backing: every page's pattern is checked), one
 * allocates and frees unmovable and reclaimable blocks (some atomic) so
 * that superpageblocks get tainted and short of free pageblocks, one ticks
 * the policy's background step on a made-up clock (a second per tick, so
 * cooldowns expire; pa_zone_tick runs the worker) and runs the slow
 * path's targeted evacuation (through the policy's hook).  Two
 * seconds; PA_STRESS_LONG=1 runs 20 s.  pa_check at the end.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "helpers.h"
#include "owner.h"
#include "zone.h"  /* white-box: the policy's evacuate_for_order hook */
#include "spb_defrag.h"

#define SLOTS 2048
#define NONMOV 256

struct shared {
	struct pa_zone *zone;
	struct th_owner *owner;
	uint64_t deadline_ns;
	uint64_t corrupt, bad_free, bad_tick; /* failures */
	uint64_t ticks, evacuations, moved;  /* work done */
};

static bool stopped(struct shared *s)
{
	return th_stress_stop(s->deadline_ns, th_load(&s->moved) &&
					      th_load(&s->ticks) &&
					      th_load(&s->evacuations));
}

static void add(uint64_t *c, uint64_t v)
{
	__atomic_add_fetch(c, v, __ATOMIC_RELAXED);
}

/* Movable blocks of order 0 and 1: mostly kept, some replaced. */
static void *movable_churner(void *arg)
{
	struct shared *s = arg;
	struct th_rng rng = { (uint64_t)pthread_self() | 1 };
	uint32_t h[SLOTS];

	for (unsigned i = 0; i < SLOTS; i++)
		h[i] = TH_NO_HANDLE;
	while (!stopped(s)) {
		unsigned i = (unsigned)th_below(&rng, SLOTS);

		if (h[i] == TH_NO_HANDLE) {
			h[i] = th_owner_alloc(s->owner, (unsigned)th_below(&rng, 2));
			continue;
		}
		if (th_below(&rng, 4))
			continue;
		int r = th_owner_free(s->owner, h[i]);

		if (r && r != -EBUSY)
			add(&s->bad_free, 1);
		if (!r)
			h[i] = TH_NO_HANDLE;
	}
	if (th_owner_verify(s->owner))
		add(&s->corrupt, 1);
	return NULL;
}

static unsigned nonmovable_gfp(struct th_rng *rng)
{
	unsigned gfp = th_below(rng, 2) ? PA_GFP_RECLAIMABLE : 0;

	return gfp | (th_below(rng, 4) ? 0 : PA_GFP_ATOMIC) | PA_GFP_NOWARN;
}

static void *nonmovable_churner(void *arg)
{
	struct shared *s = arg;
	struct th_rng rng = { 41 };
	uint64_t pfn[NONMOV];
	uint8_t order[NONMOV];

	for (unsigned i = 0; i < NONMOV; i++)
		pfn[i] = PA_NO_PFN;
	while (!stopped(s)) {
		unsigned i = (unsigned)th_below(&rng, NONMOV);

		if (pfn[i] == PA_NO_PFN) {
			order[i] = (uint8_t)th_below(&rng, 2);
			pfn[i] = pa_alloc(s->zone, order[i], nonmovable_gfp(&rng));
		} else if (th_below(&rng, 3) == 0) {
			if (pa_free(s->zone, pfn[i], order[i]))
				add(&s->bad_free, 1);
			pfn[i] = PA_NO_PFN;
		}
	}
	for (unsigned i = 0; i < NONMOV; i++)
		if (pfn[i] != PA_NO_PFN && pa_free(s->zone, pfn[i], order[i]))
			add(&s->bad_free, 1);
	return NULL;
}

static void *ticker(void *arg)
{
	struct shared *s = arg;
	struct pa_zone *z = s->zone;
	struct th_rng rng = { 3 };
	uint64_t now = 0;

	while (!stopped(s)) {
		struct pa_tick_stats st = { 0 };

		now += 1000000000ull;
		if (pa_zone_tick(z, now, &st))
			add(&s->bad_tick, 1);
		add(&s->ticks, 1);
		add(&s->moved, st.evacuated);
		if (s->ticks % 4 == 0) {
			add(&s->moved, z->ops->evacuate_for_order(z, 1, PA_MT_UNMOVABLE));
			add(&s->evacuations, 1);
		}
		/* and one pageblock emptied whatever the triggers said, so
		 * migration races the churners even when none fired */
		add(&s->moved, spb_evacuate_pageblock(z, (uint64_t)th_below(&rng, z->nr_pageblocks)));
	}
	return NULL;
}

static void defrag_under_load(void **state)
{
	struct shared *s = calloc(1, sizeof(*s));
	/* pageblocks of 16 pages, superpageblocks of 32 of them, 16 SPBs */
	struct pa_config c = th_config(16 * 32, 4, 6, PA_CFG_NO_WATERMARKS, 2);
	const char *lng = getenv("PA_STRESS_LONG");
	uint64_t secs = lng && *lng == '1' ? 20 : 2;
	void *(*fns[])(void *) = { movable_churner, movable_churner,
				   nonmovable_churner, ticker };
	pthread_t t[4];
	struct pa_stats st;

	(void)state;
	assert_non_null(s);
	c.policy = PA_POLICY_SPB;
	c.superpageblock_order = 9;
	c.backing = PA_BACKING_ANON;
	s->zone = pa_zone_create(&c);
	assert_non_null(s->zone);
	s->owner = th_owner_new(s->zone, 2 * SLOTS);
	assert_non_null(s->owner);
	s->deadline_ns = th_now_ns() + secs * 1000000000ull;
	for (unsigned i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, fns[i], s);
	for (unsigned i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(s->corrupt, 0);
	assert_int_equal(s->bad_free, 0);
	assert_int_equal(s->bad_tick, 0);
	assert_true(s->moved > 0);
	assert_int_equal(th_owner_verify(s->owner), 0);
	assert_true(s->ticks > 0);
	assert_true(s->evacuations > 0);
	pa_stats(s->zone, &st);
	/* the churners' own slow paths run the hook too */
	assert_true(st.spb_evacuate_for_order >= s->evacuations);
	print_message("    %llu ticks, %llu worker passes, %llu pages moved (%llu by the worker), %llu pageblocks freed, %llu cooldowns\n",
		      (unsigned long long)s->ticks,
		      (unsigned long long)st.spb_defrag_runs,
		      (unsigned long long)st.spb_evacuated_pages,
		      (unsigned long long)st.spb_defrag_pages,
		      (unsigned long long)st.spb_defrag_pageblocks_freed,
		      (unsigned long long)st.spb_defrag_cooldowns);
	th_owner_free_all(s->owner);
	th_owner_destroy(s->owner);
	assert_check(s->zone);
	pa_zone_destroy(s->zone);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defrag_under_load),
	};

	return cmocka_run_group_tests_name("stress_spb_defrag", tests, NULL, NULL);
}
