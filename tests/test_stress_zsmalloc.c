// SPDX-License-Identifier: MIT
/*
 * zsmalloc under concurrency (run under ThreadSanitizer in CI): threads
 * allocate, write, read back and free objects while another migrates the
 * pool's pages through pa_migrate_page() and another compacts and checks
 * that every zspage it can find locklessly is complete (the seed's
 * publication ordering).  Every object is checked byte for byte, during
 * and after.  A few seconds; PA_STRESS_LONG=1 runs it for 30 s.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <urcu.h>

#include "helpers.h"
#include "zs_testutil.h"
#include "zsmalloc/zs_internal.h"

#define WORKERS 2
#define SLOTS 1500

struct obj {
	unsigned long h;
	size_t len;
	uint64_t key;
};

struct shared {
	struct pa_zone *zone;
	struct zs_pool *pool;
	uint64_t deadline_ns;
	uint32_t stop;
	/* failures seen by threads, checked by the main thread */
	uint64_t corrupt, alloc_fail, free_fail, incomplete_zspage;
	/* work done, to show the test exercised what it claims */
	uint64_t migrated, compacted, freed, verified, zspages_seen;
	struct obj objs[WORKERS][SLOTS];
};

static bool stopped(struct shared *s)
{
	return __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE) ||
	       th_stress_stop(s->deadline_ns, th_load(&s->migrated) &&
						  th_load(&s->freed) &&
						  th_load(&s->zspages_seen));
}

static void count(uint64_t *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

struct worker_arg {
	struct shared *s;
	unsigned id;
};

static void *worker(void *arg)
{
	struct worker_arg *wa = arg;
	struct shared *s = wa->s;
	struct obj *objs = s->objs[wa->id];
	uint64_t seed = 0x1234567 + wa->id, serial = (uint64_t)wa->id << 40;
	uint8_t buf[ZS_MAX_ALLOC_SIZE];

	rcu_register_thread();
	while (!stopped(s)) {
		struct obj *o = &objs[rnd(&seed) % SLOTS];
		unsigned op = (unsigned)(rnd(&seed) % 4);
		if (!o->h) {
			/* mostly compressed-page sizes, some tiny and huge */
			size_t len = 1 + rnd(&seed) % (op ? 3000 : ZS_MAX_ALLOC_SIZE);
			o->h = zs_malloc(s->pool, len, PA_GFP_NOWARN);
			if (!o->h) {
				count(&s->alloc_fail);
				continue;
			}
			o->len = len;
			o->key = ++serial;
			zt_fill(buf, len, o->key);
			zs_obj_write(s->pool, o->h, buf, len);
		} else if (op < 2) {
			if (zt_check_object(s->pool, o->h, o->len, o->key))
				count(&s->corrupt);
			count(&s->verified);
		} else {
			if (zt_check_object(s->pool, o->h, o->len, o->key))
				count(&s->corrupt);
			if (zs_free(s->pool, o->h))
				count(&s->free_fail);
			o->h = 0;
			count(&s->freed);
		}
	}
	rcu_unregister_thread();
	return NULL;
}

static void *migrator(void *arg)
{
	struct shared *s = arg;
	uint64_t nr = pa_managed_pages(s->zone), seed = 99, newpfn;

	rcu_register_thread();
	while (!stopped(s)) {
		uint64_t pfn = rnd(&seed) % nr;
		/* Aim at the pool's pages: most of the zone is free. */
		rcu_read_lock();
		bool ours = zs_page_zspage(&s->pool->pages[pfn]) != NULL;
		rcu_read_unlock();
		if (ours && pa_migrate_page(s->zone, pfn, &newpfn) == 0)
			count(&s->migrated);
	}
	rcu_unregister_thread();
	return NULL;
}

/*
 * Lockless finders must only ever see complete zspages: the fields a
 * finder reads before taking a lock are written before publication and
 * never after (TSan would flag a later write; a zspage published before
 * its chain was built - the upstream bug - shows a wrong page count).
 */
static void *compactor(void *arg)
{
	struct shared *s = arg;
	uint64_t nr = pa_managed_pages(s->zone);

	rcu_register_thread();
	while (!stopped(s)) {
		if (zs_compact(s->pool))
			count(&s->compacted);
		for (uint64_t pfn = 0; pfn < nr && !stopped(s); pfn++) {
			rcu_read_lock();
			struct zspage *z = zs_page_zspage(&s->pool->pages[pfn]);
			if (z) {
				count(&s->zspages_seen);
				const struct size_class *c =
					z->class_idx < ZS_SIZE_CLASSES
						? s->pool->size_class[z->class_idx] : NULL;
				if (!c || c->index != z->class_idx ||
				    z->nr_pages != c->pages_per_zspage)
					count(&s->incomplete_zspage);
			}
			zs_rcu_unlock(z);
		}
	}
	rcu_unregister_thread();
	return NULL;
}

static void run(unsigned pool_flags)
{
	struct shared *s = calloc(1, sizeof(*s));
	struct zs_pool_config cfg = zs_pool_config_default();
	const char *lng = getenv("PA_STRESS_LONG");
	uint64_t secs = lng && *lng == '1' ? 30 : 2;
	pthread_t t[WORKERS + 2];
	struct worker_arg wa[WORKERS];

	rcu_register_thread();
	s->zone = zt_zone(64, 4);
	cfg.flags = pool_flags;
	s->pool = zs_create_pool("stress", s->zone, &cfg);
	assert_non_null(s->pool);
	s->deadline_ns = th_now_ns() + secs * 1000000000ull;
	for (unsigned i = 0; i < WORKERS; i++) {
		wa[i] = (struct worker_arg){ s, i };
		pthread_create(&t[i], NULL, worker, &wa[i]);
	}
	pthread_create(&t[WORKERS], NULL, migrator, s);
	pthread_create(&t[WORKERS + 1], NULL, compactor, s);
	for (unsigned i = 0; i < WORKERS + 2; i++)
		pthread_join(t[i], NULL);

	assert_int_equal(s->corrupt, 0);
	assert_int_equal(s->free_fail, 0);
	assert_int_equal(s->alloc_fail, 0);
	assert_int_equal(s->incomplete_zspage, 0);
	/* The run did what it is about. */
	assert_true(s->migrated > 0);
	assert_true(s->freed > 0);
	assert_true(s->zspages_seen > 0);

	char msg[512];
	if (zs_pool_check(s->pool, msg, sizeof(msg)))
		fail_msg("zs_pool_check: %s", msg);
	for (unsigned w = 0; w < WORKERS; w++)
		for (unsigned i = 0; i < SLOTS; i++) {
			struct obj *o = &s->objs[w][i];
			if (!o->h)
				continue;
			assert_int_equal(zt_check_object(s->pool, o->h, o->len, o->key), 0);
			assert_int_equal(zs_free(s->pool, o->h), 0);
		}
	assert_int_equal(zs_get_total_pages(s->pool), 0);
	assert_int_equal(zs_destroy_pool(s->pool), 0);
	assert_check(s->zone);
	print_message("  migrated %llu pages, %llu compactions freed pages, %llu objects freed, %llu verified\n",
		      (unsigned long long)s->migrated, (unsigned long long)s->compacted,
		      (unsigned long long)s->freed, (unsigned long long)s->verified);
	pa_zone_destroy(s->zone);
	free(s);
	rcu_unregister_thread();
}

static void test_migrate_compact_while_reading_and_freeing_rcu(void **state)
{
	(void)state;
	run(0);
}

static void test_migrate_compact_while_reading_and_freeing_locked(void **state)
{
	(void)state;
	run(ZS_POOL_FREE_LOCKED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate_compact_while_reading_and_freeing_rcu),
		cmocka_unit_test(test_migrate_compact_while_reading_and_freeing_locked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
