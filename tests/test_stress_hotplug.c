/* SPDX-License-Identifier: MIT */
/*
 * Memory hotplug under concurrency (TSan in CI): one thread shrinks the
 * zone by a few pageblocks and grows it back, again and again, while
 * threads allocate and free movable blocks through the test owner (every
 * page's contents checked as they migrate out of the offlined range) and
 * short-lived unmovable pages (which make some shrinks fail with -EBUSY),
 * and a reporter walks the free lists.  The zone is checked at the end.
 * Two seconds per policy; PA_STRESS_LONG=1 runs 20 s.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "helpers.h"
#include "owner.h"

#define SLOTS 128
#define PB_BYTES (64ull << 12)   /* pageblock order 6 */
#define ZONE_PB 64

struct shared {
	struct pa_zone *zone;
	struct th_owner *owner;
	uint64_t deadline_ns;
	uint64_t corrupt, bad, grows, shrinks, busy, reported;
};

static bool stopped(struct shared *s)
{
	return th_stress_stop(s->deadline_ns, th_load(&s->shrinks) > 0);
}

static void count(uint64_t *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static void *movable_user(void *arg)
{
	struct shared *s = arg;
	struct th_rng rng = { (uint64_t)(uintptr_t)&rng };
	uint32_t h[SLOTS];

	for (unsigned i = 0; i < SLOTS; i++)
		h[i] = TH_NO_HANDLE;
	while (!stopped(s)) {
		unsigned i = (unsigned)th_below(&rng, SLOTS);

		if (h[i] == TH_NO_HANDLE) {
			h[i] = th_owner_alloc(s->owner, (unsigned)th_below(&rng, 3));
			continue;
		}
		int r = th_owner_free(s->owner, h[i]);

		if (r && r != -EBUSY)
			count(&s->bad);
		if (!r)
			h[i] = TH_NO_HANDLE;
	}
	for (unsigned i = 0; i < SLOTS; i++)
		while (h[i] != TH_NO_HANDLE && th_owner_free(s->owner, h[i]) == -EBUSY)
			;
	return NULL;
}

/* Unmovable pages held for a moment. */
static void *unmovable_user(void *arg)
{
	struct shared *s = arg;
	uint64_t p[8];

	while (!stopped(s)) {
		for (unsigned i = 0; i < 8; i++)
			p[i] = pa_alloc(s->zone, 0, PA_GFP_NOWARN);
		for (unsigned i = 0; i < 8; i++)
			if (p[i] != PA_NO_PFN && pa_free(s->zone, p[i], 0))
				count(&s->bad);
	}
	return NULL;
}

static int any_block(void *arg, uint64_t pfn, unsigned order)
{
	(void)pfn;
	(void)order;
	count(&((struct shared *)arg)->reported);
	return 0;
}

static void *reporter(void *arg)
{
	struct shared *s = arg;

	while (!stopped(s))
		if (pa_report_free(s->zone, 0, any_block, s) < 0)
			count(&s->bad);
	return NULL;
}

static void *resizer(void *arg)
{
	struct shared *s = arg;
	struct th_rng rng = { 3 };

	while (!stopped(s)) {
		uint64_t pb = 1 + th_below(&rng, 8);
		int r = pa_zone_shrink(s->zone, pb * PB_BYTES);

		if (r == -EBUSY || r == -ENOMEM) {
			count(&s->busy);
			continue;
		}
		if (r) {
			count(&s->bad);
			continue;
		}
		count(&s->shrinks);
		if (pa_zone_grow(s->zone, pb * PB_BYTES))
			count(&s->bad);
		else
			count(&s->grows);
	}
	return NULL;
}

/* Errors the resizer's refused shrinks report are expected. */
static void quiet(void *arg, int err, const char *msg)
{
	(void)arg;
	(void)err;
	(void)msg;
}

static void run(enum pa_policy pol)
{
	struct shared *s = calloc(1, sizeof(*s));
	struct pa_config c = pa_config_default();
	const char *lng = getenv("PA_STRESS_LONG");
	uint64_t secs = lng && *lng == '1' ? 20 : 2;
	void *(*fns[])(void *) = { movable_user, movable_user, unmovable_user,
				   reporter, resizer };
	pthread_t t[5];

	assert_non_null(s);
	c.bytes = ZONE_PB * PB_BYTES;
	c.max_bytes = c.bytes;
	c.backing = PA_BACKING_ANON;
	c.ncpus = 2;
	c.policy = pol;
	c.pageblock_order = 6;
	c.max_order = 8;
	c.superpageblock_order = 8;
	c.flags = PA_CFG_NO_WATERMARKS;
	c.error_fn = quiet;
	s->zone = th_zone_create(&c);
	s->owner = th_owner_new(s->zone, 4 * SLOTS);
	assert_non_null(s->owner);
	s->deadline_ns = th_now_ns() + secs * 1000000000ull;
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(pthread_create(&t[i], NULL, fns[i], s), 0);
	for (unsigned i = 0; i < 5; i++)
		pthread_join(t[i], NULL);
	print_message("%s: %llu shrinks, %llu grows, %llu refused, %llu moved, %llu reported\n",
		      pa_policy_name(pol), (unsigned long long)s->shrinks,
		      (unsigned long long)s->grows, (unsigned long long)s->busy,
		      (unsigned long long)th_owner_moves(s->owner),
		      (unsigned long long)s->reported);
	assert_int_equal(th_owner_verify(s->owner), 0);
	assert_int_equal(s->bad, 0);
	assert_true(s->shrinks > 0);
	assert_int_equal(s->grows, s->shrinks);
	assert_int_equal(pa_managed_pages(s->zone), ZONE_PB * 64);
	assert_check(s->zone);
	th_owner_destroy(s->owner);
	th_zone_destroy(s->zone);
	free(s);
}

static void concurrent_resizes(void **state)
{
	(void)state;
	struct pa_config c = pa_config_default();

	c.bytes = ZONE_PB * PB_BYTES;
	c.pageblock_order = 6;
	c.max_order = 8;
	c.superpageblock_order = 8;
	th_each_policy(&c, run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(concurrent_resizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
