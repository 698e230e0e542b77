// SPDX-License-Identifier: MIT
/*
 * zsmalloc compaction and page migration, single-threaded: contents survive
 * (checked object by object), handles stay valid, pages go back to the
 * zone, and the seed's free-while-isolated case ends with the page freed.
 */
#include <errno.h>
#include <stdlib.h>
#include <urcu.h>

#include "helpers.h"
#include "zs_testutil.h"
#include "zsmalloc/zs_internal.h"

#define NOBJ 20000

struct obj {
	unsigned long h;
	size_t len;
	uint64_t key;
};

struct fixture {
	struct pa_zone *zone;
	struct zs_pool *pool;
	struct obj *o;
	unsigned n;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	rcu_register_thread();
	f->zone = zt_zone(128, 2);
	f->pool = zs_create_pool("compact", f->zone, NULL);
	f->o = calloc(2 * NOBJ, sizeof(*f->o)); /* room for refills */
	*state = f;
	return f->pool ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	for (unsigned i = 0; i < f->n; i++)
		if (f->o[i].h)
			zs_free(f->pool, f->o[i].h);
	assert_int_equal(zs_destroy_pool(f->pool), 0);
	pa_zone_destroy(f->zone);
	free(f->o);
	free(f);
	rcu_unregister_thread();
	return 0;
}

#define assert_pool_ok(pool)                                                 \
	do {                                                                 \
		char m_[512];                                                \
		if (zs_pool_check((pool), m_, sizeof(m_)))                   \
			fail_msg("zs_pool_check: %s", m_);                   \
	} while (0)

/* Sizes shaped like compressed pages: mostly 200..3000 bytes. */
static void fill(struct fixture *f, unsigned n, unsigned seed)
{
	uint8_t buf[ZS_MAX_ALLOC_SIZE];

	srand(seed);
	for (unsigned i = 0; i < n; i++) {
		struct obj *o = &f->o[f->n++];
		o->len = 1 + (size_t)rand() % 3200;
		o->key = (uint64_t)seed << 32 | i;
		o->h = zs_malloc(f->pool, o->len, 0);
		assert_true(o->h != 0);
		zt_fill(buf, o->len, o->key);
		assert_int_equal(zs_obj_write(f->pool, o->h, buf, o->len), 0);
	}
}

static void verify_all(struct fixture *f)
{
	for (unsigned i = 0; i < f->n; i++) {
		struct obj *o = &f->o[i];
		if (o->h && zt_check_object(f->pool, o->h, o->len, o->key))
			fail_msg("object %u (len %zu) corrupt", i, o->len);
	}
}

static void free_fraction(struct fixture *f, unsigned pct)
{
	for (unsigned i = 0; i < f->n; i++) {
		if (f->o[i].h && (unsigned)rand() % 100 < pct) {
			assert_int_equal(zs_free(f->pool, f->o[i].h), 0);
			f->o[i].h = 0;
		}
	}
}

static void test_compaction_frees_pages_keeps_contents(void **state)
{
	struct fixture *f = *state;
	struct zs_pool_stats *st = malloc(sizeof(*st));

	fill(f, NOBJ, 1);
	free_fraction(f, 70);
	uint64_t before = zs_get_total_pages(f->pool);
	uint64_t freed = zs_compact(f->pool);

	assert_true(freed > 0);
	assert_int_equal(zs_get_total_pages(f->pool), before - freed);
	zs_pool_stats(f->pool, st);
	assert_int_equal(st->pages_compacted, freed);
	/* Done means no class has a whole zspage of free slots left. */
	for (unsigned i = 0; i < st->nr_classes; i++) {
		struct zs_class_stats *c = &st->classes[i];
		if (!c->huge)
			assert_true(c->objs_allocated - c->objs_inuse < c->objs_per_zspage);
	}
	assert_int_equal(zs_compact(f->pool), 0);
	assert_pool_ok(f->pool);
	verify_all(f);
	assert_check(f->zone);

	/* The pool keeps working on compacted zspages. */
	fill(f, 2000, 2);
	free_fraction(f, 50);
	zs_compact(f->pool);
	assert_pool_ok(f->pool);
	verify_all(f);
	free(st);
}

/* A zspage with an open read section is not moved; its reader's pointer
 * stays good. */
static void test_compaction_skips_zspage_being_read(void **state)
{
	struct fixture *f = *state;
	uint8_t copy[ZS_MAX_ALLOC_SIZE];

	/* One class, two sparse zspages. */
	for (unsigned i = 0; i < 200; i++) {
		struct obj *o = &f->o[f->n++];
		o->len = 500;
		o->key = 1000 + i;
		o->h = zs_malloc(f->pool, o->len, 0);
		zt_fill(copy, o->len, o->key);
		zs_obj_write(f->pool, o->h, copy, o->len);
	}
	for (unsigned i = 0; i < 200; i++)
		if (i % 4) {
			zs_free(f->pool, f->o[i].h);
			f->o[i].h = 0;
		}
	/* Hold every remaining object open: nothing can move. */
	const void *p[200];
	for (unsigned i = 0; i < 200; i += 4)
		p[i] = zs_obj_read_begin(f->pool, f->o[i].h, 500, copy + 0);
	uint64_t pages = zs_get_total_pages(f->pool);
	assert_int_equal(zs_compact(f->pool), 0);
	assert_int_equal(zs_get_total_pages(f->pool), pages);
	for (unsigned i = 0; i < 200; i += 4) {
		if (p[i] != copy) /* in-place pointers still show the object */
			assert_int_equal(zt_verify(p[i], 500, f->o[i].key), 0);
		zs_obj_read_end(f->pool, f->o[i].h, p[i]);
	}
	assert_true(zs_compact(f->pool) > 0);
	verify_all(f);
	assert_pool_ok(f->pool);
}

/* Every page of the pool migrated once through the zone. */
static void test_migrate_every_page(void **state)
{
	struct fixture *f = *state;
	struct zs_pool_stats *st = malloc(sizeof(*st));
	uint64_t nr = pa_managed_pages(f->zone), moved = 0, newpfn;
	uint8_t *was_pool = calloc(nr, 1);
	struct pa_stats zs0, zs1;

	fill(f, 5000, 3);
	free_fraction(f, 30);
	for (uint64_t pfn = 0; pfn < nr; pfn++)
		was_pool[pfn] = f->pool->pages[pfn].zspage != NULL;
	uint64_t pages = zs_get_total_pages(f->pool);
	pa_stats(f->zone, &zs0);
	for (uint64_t pfn = 0; pfn < nr; pfn++) {
		if (!was_pool[pfn])
			continue;
		int rc = pa_migrate_page(f->zone, pfn, &newpfn);
		assert_int_equal(rc, 0);
		assert_true(newpfn != pfn);
		moved++;
	}
	assert_int_equal(moved, pages);
	pa_stats(f->zone, &zs1);
	assert_int_equal(zs1.pgmigrate_success - zs0.pgmigrate_success, moved);
	zs_pool_stats(f->pool, st);
	assert_int_equal(st->pages_migrated, moved);
	assert_int_equal(zs_get_total_pages(f->pool), pages);
	assert_pool_ok(f->pool);
	verify_all(f);
	assert_check(f->zone);
	/* Pages that are not the pool's are refused. */
	for (uint64_t pfn = 0; pfn < nr; pfn++)
		if (!f->pool->pages[pfn].zspage && !was_pool[pfn]) {
			assert_int_equal(pa_migrate_page(f->zone, pfn, &newpfn), -EINVAL);
			break;
		}
	/* Free everything: migrated pages go back like the others. */
	free_fraction(f, 100);
	assert_int_equal(zs_get_total_pages(f->pool), 0);
	free(was_pool);
	free(st);
}

/* A read section blocks migration of its page (-EBUSY), not the reader;
 * an unmatched end is refused. */
static void test_migrate_refused_while_read(void **state)
{
	struct fixture *f = *state;
	uint8_t copy[64];
	uint64_t newpfn;

	fill(f, 1, 4);
	unsigned long h = f->o[0].h;
	uint64_t pfn = zs_obj_pfn(*zs_handle_slot(&f->pool->handles, h) >> 1);
	const void *p = zs_obj_read_begin(f->pool, h, 8, copy);
	assert_int_equal(pa_migrate_page(f->zone, pfn, &newpfn), -EBUSY);
	assert_int_equal(zs_obj_read_end(f->pool, h, p), 0);
	assert_int_equal(pa_migrate_page(f->zone, pfn, &newpfn), 0);
	verify_all(f);
	assert_pool_ok(f->pool);

	/* Regression: an end without a begin unlocked a read lock nobody
	 * held, and migration of the page then failed forever.  Refused. */
	pfn = newpfn;
	assert_int_equal(zs_obj_read_end(f->pool, h, copy), -EINVAL);
	p = zs_obj_read_begin(f->pool, h, 8, copy);
	assert_non_null(p);
	assert_int_equal(zs_obj_read_end(f->pool, h, p), 0);
	assert_int_equal(zs_obj_read_end(f->pool, h, p), -EINVAL);
	assert_int_equal(pa_migrate_page(f->zone, pfn, &newpfn), 0);
	verify_all(f);
	assert_pool_ok(f->pool);
}

/*
 * The seed's race, made deterministic: the page is isolated for migration,
 * then its zspage's last object is freed.  The free must not touch the
 * isolated page (the zone refuses such frees); migration then fails on the
 * dead zspage, and putback hands the page back to the zone.
 */
static void test_free_while_isolated(void **state)
{
	struct fixture *f = *state;
	struct pa_stats s0, s1;
	const struct pa_movable_ops *ops = &zs_movable_ops;

	pa_drain(f->zone);
	pa_stats(f->zone, &s0);
	unsigned long h = zs_malloc(f->pool, 3900, 0); /* huge: 1-page zspage */
	uint64_t pfn = zs_obj_pfn(*zs_handle_slot(&f->pool->handles, h) >> 1);
	uint64_t dst = pa_alloc(f->zone, 0, PA_GFP_MOVABLE);

	assert_true(ops->isolate(f->pool, pfn));
	assert_false(ops->isolate(f->pool, pfn)); /* one migration at a time */
	assert_int_equal(zs_free(f->pool, h), 0);
	assert_int_equal(zs_get_total_pages(f->pool), 0);
	/* Unpublished before the free returned: nobody can find it. */
	assert_null(f->pool->pages[pfn].zspage);
	assert_int_equal(ops->migrate(f->pool, dst, pfn), -EAGAIN);
	ops->putback(f->pool, pfn);
	assert_int_equal(pa_free(f->zone, dst, 0), 0);
	pa_drain(f->zone);
	pa_stats(f->zone, &s1);
	assert_int_equal(s1.allocated_pages, s0.allocated_pages);
	assert_check(f->zone);
	/* An isolate that comes after the free finds nothing. */
	assert_false(ops->isolate(f->pool, pfn));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_compaction_frees_pages_keeps_contents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compaction_skips_zspage_being_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_every_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_refused_while_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_while_isolated, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
