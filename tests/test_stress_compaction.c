/* SPDX-License-Identifier: MIT */
/*
 * Compaction and contiguous allocation under concurrency (TSan in CI):
 * threads allocate, free and migrate movable blocks through a test owner
 * and keep zsmalloc objects they read back; one thread compacts (direct
 * and proactive) and another allocates and frees contiguous ranges.  Every
 * owner page and every zsmalloc object is checked during and after; the
 * zone is checked at the end.  Two seconds per policy; PA_STRESS_LONG=1
 * runs 20 s.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <urcu.h>

#include "helpers.h"
#include "owner.h"
#include "zs_testutil.h"

#define SLOTS 512

struct shared {
	struct pa_zone *zone;
	struct th_owner *owner;
	struct zs_pool *pool;
	uint64_t deadline_ns;
	/* failures, checked by the main thread */
	uint64_t corrupt, bad_contig, bad_free;
	/* work done, to show the run exercised what it claims */
	uint64_t compactions, contigs, migrated, zs_verified;
};

static bool stopped(struct shared *s)
{
	/* a page migrated by hand makes pgmigrate_success certain too */
	return th_stress_stop(s->deadline_ns, th_load(&s->compactions) &&
					      th_load(&s->contigs) &&
					      th_load(&s->migrated) &&
					      th_load(&s->zs_verified));
}

static void count(uint64_t *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

/* Movable blocks of orders 0..2 come and go; some are migrated by hand. */
static void *churner(void *arg)
{
	struct shared *s = arg;
	struct th_rng rng = { 77 };
	uint32_t h[SLOTS];

	for (unsigned i = 0; i < SLOTS; i++)
		h[i] = TH_NO_HANDLE;
	while (!stopped(s)) {
		unsigned i = (unsigned)th_below(&rng, SLOTS);
		uint64_t np;

		if (h[i] == TH_NO_HANDLE) {
			h[i] = th_owner_alloc(s->owner, (unsigned)th_below(&rng, 3));
		} else if (th_below(&rng, 3) == 0) {
			uint64_t pfn = th_owner_pfn(s->owner, h[i]);

			if (pfn != PA_NO_PFN && pa_migrate_page(s->zone, pfn, &np) == 0)
				count(&s->migrated);
		} else {
			int r = th_owner_free(s->owner, h[i]);

			if (r && r != -EBUSY)
				count(&s->bad_free);
			if (!r)
				h[i] = TH_NO_HANDLE;
		}
	}
	if (th_owner_verify(s->owner))
		count(&s->corrupt);
	return NULL;
}

/* zsmalloc objects written, read back and freed. */
static void *zs_user(void *arg)
{
	struct shared *s = arg;
	uint64_t key = 1;
	unsigned long hs[SLOTS] = { 0 };
	size_t lens[SLOTS];
	uint64_t keys[SLOTS];
	uint8_t buf[ZS_MAX_ALLOC_SIZE];
	struct th_rng rng = { 99 };

	while (!stopped(s)) {
		unsigned i = (unsigned)th_below(&rng, SLOTS);

		if (!hs[i]) {
			lens[i] = 1 + th_below(&rng, 3000);
			hs[i] = zs_malloc(s->pool, lens[i], PA_GFP_NOWARN);
			if (!hs[i])
				continue;
			keys[i] = ++key;
			zt_fill(buf, lens[i], keys[i]);
			zs_obj_write(s->pool, hs[i], buf, lens[i]);
			continue;
		}
		if (zt_check_object(s->pool, hs[i], lens[i], keys[i]))
			count(&s->corrupt);
		count(&s->zs_verified);
		if (th_below(&rng, 2)) {
			zs_free(s->pool, hs[i]);
			hs[i] = 0;
		}
	}
	for (unsigned i = 0; i < SLOTS; i++)
		if (hs[i]) {
			if (zt_check_object(s->pool, hs[i], lens[i], keys[i]))
				count(&s->corrupt);
			zs_free(s->pool, hs[i]);
		}
	return NULL;
}

static void *compactor(void *arg)
{
	struct shared *s = arg;
	unsigned order = 2;

	while (!stopped(s)) {
		int r = pa_compact(s->zone, order, NULL);

		if (r == 0 || r == -EAGAIN)
			count(&s->compactions);
		(void)pa_compact_proactive(s->zone, 100, NULL);
		order = order == 10 ? 2 : order + 1;
	}
	return NULL;
}

static void *contiguous(void *arg)
{
	struct shared *s = arg;
	struct th_rng rng = { 5 };

	while (!stopped(s)) {
		uint64_t nr = 1ull << (6 + th_below(&rng, 6));
		uint64_t pfn = pa_alloc_contig(s->zone, nr, PA_GFP_NOWARN);

		if (pfn == PA_NO_PFN) {
			if (errno != EBUSY && errno != ENOMEM)
				count(&s->bad_contig);
			continue;
		}
		count(&s->contigs);
		if ((pfn & (nr - 1)) || pa_free_contig(s->zone, pfn, nr))
			count(&s->bad_contig);
	}
	return NULL;
}

/* Every thread may run zsmalloc's migrate callback (compaction and
 * contiguous allocation move its pages): liburcu wants it registered. */
struct thread_fn {
	void *(*fn)(void *);
	struct shared *s;
};

static void *rcu_thread(void *arg)
{
	struct thread_fn *t = arg;

	rcu_register_thread();
	t->fn(t->s);
	rcu_unregister_thread();
	return NULL;
}

static void run(enum pa_policy pol)
{
	struct shared *s = calloc(1, sizeof(*s));
	struct pa_config c = pa_config_default();
	const char *lng = getenv("PA_STRESS_LONG");
	uint64_t secs = lng && *lng == '1' ? 20 : 2;
	void *(*fns[])(void *) = { churner, churner, zs_user, compactor,
				   contiguous };
	pthread_t t[5];
	struct thread_fn tf[5];

	c.bytes = 32ull << 20;
	c.backing = PA_BACKING_ANON;
	c.ncpus = 2;
	c.policy = pol;
	c.flags = PA_CFG_NO_WATERMARKS;
	s->zone = pa_zone_create(&c);
	assert_non_null(s->zone);
	s->owner = th_owner_new(s->zone, 2 * SLOTS);
	assert_non_null(s->owner);
	s->pool = zs_create_pool("stress", s->zone, NULL);
	assert_non_null(s->pool);
	s->deadline_ns = th_now_ns() + secs * 1000000000ull;
	rcu_register_thread();
	for (unsigned i = 0; i < 5; i++) {
		tf[i] = (struct thread_fn){ fns[i], s };
		pthread_create(&t[i], NULL, rcu_thread, &tf[i]);
	}
	for (unsigned i = 0; i < 5; i++)
		pthread_join(t[i], NULL);

	assert_int_equal(s->corrupt, 0);
	assert_int_equal(s->bad_contig, 0);
	assert_int_equal(s->bad_free, 0);
	assert_int_equal(th_owner_verify(s->owner), 0);
	assert_true(s->compactions > 0);
	assert_true(s->contigs > 0);
	assert_true(s->zs_verified > 0);
	struct pa_stats st;

	pa_stats(s->zone, &st);
	assert_true(st.pgmigrate_success > 0);
	assert_int_equal(st.isolated_pageblocks, 0);
	print_message("    %llu compactions, %llu contiguous ranges, %llu pages migrated\n",
		      (unsigned long long)s->compactions,
		      (unsigned long long)s->contigs,
		      (unsigned long long)st.pgmigrate_success);
	th_owner_free_all(s->owner);
	assert_int_equal(zs_destroy_pool(s->pool), 0);
	th_owner_destroy(s->owner);
	assert_check(s->zone);
	pa_zone_destroy(s->zone);
	free(s);
	rcu_unregister_thread();
}

static void test_compaction_contig_under_load(void **state)
{
	struct pa_config c = pa_config_default();

	(void)state;
	c.bytes = 32ull << 20;
	c.backing = PA_BACKING_ANON;
	th_each_policy(&c, run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compaction_contig_under_load),
	};

	return cmocka_run_group_tests_name("stress_compaction", tests, NULL, NULL);
}
