// SPDX-License-Identifier: MIT
/*
 * zsmalloc: class table, every object size, allocation policy, bad input,
 * teardown.
 */
#include <errno.h>
#include <stdlib.h>
#include <urcu.h>

#include "helpers.h"
#include "zs_testutil.h"

struct fixture {
	struct pa_zone *zone;
	struct zs_pool *pool;
	struct th_errlog log;
	uint64_t zone_allocated0;
};

static uint64_t zone_allocated(struct pa_zone *zone)
{
	struct pa_stats s;

	pa_drain(zone);
	pa_stats(zone, &s);
	return s.allocated_pages;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct zs_pool_config cfg = zs_pool_config_default();

	rcu_register_thread();
	f->zone = zt_zone(64, 2);
	if (!f->zone)
		return -1;
	f->zone_allocated0 = zone_allocated(f->zone);
	cfg.error_fn = th_errlog_fn;
	cfg.error_arg = &f->log;
	f->pool = zs_create_pool("test", f->zone, &cfg);
	*state = f;
	return f->pool ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	zs_destroy_pool(f->pool);
	pa_zone_destroy(f->zone);
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

/* The kernel's figures (see the notes): 123 distinct classes with chain
 * 8, 69 with chain 4; the largest class that still packs several objects
 * per zspage is 3632 B with chain 8 and 3264 B with chain 4. */
static void test_class_table_matches_kernel(void **state)
{
	(void)state;
	struct zs_class_info t[ZS_SIZE_CLASSES];
	const struct { unsigned chain; int distinct; unsigned largest_nonhuge; } want[] = {
		{ 8, 123, 3632 },
		{ 4, 69, 3264 },
	};

	for (unsigned w = 0; w < 2; w++) {
		int n = zs_class_table(want[w].chain, t);
		assert_int_equal(n, want[w].distinct);
		unsigned largest = 0;
		int counted = 0;
		for (unsigned i = 0; i < ZS_SIZE_CLASSES; i++) {
			unsigned nominal = ZS_MIN_ALLOC_SIZE + i * ZS_SIZE_CLASS_DELTA;
			if (nominal > ZS_MAX_ALLOC_SIZE)
				nominal = ZS_MAX_ALLOC_SIZE;
			/* A merged class serves sizes up to its own, with
			 * the same zspage shape. */
			assert_true(t[i].size >= nominal);
			assert_true(t[i].index >= i);
			assert_int_equal(t[t[i].index].size, t[i].size);
			assert_true(t[i].pages_per_zspage >= 1 &&
				    t[i].pages_per_zspage <= want[w].chain);
			assert_int_equal(t[i].objs_per_zspage,
					 t[i].pages_per_zspage * ZS_PAGE_SIZE / t[i].size);
			assert_int_equal(t[i].huge, t[i].objs_per_zspage == 1);
			if (t[i].index == i)
				counted++;
			if (!t[i].huge && t[i].size > largest)
				largest = t[i].size;
			/* Adjacent distinct classes differ in shape, else
			 * they would have been merged. */
			if (i > 0 && t[i - 1].index != t[i].index)
				assert_false(t[i - 1].pages_per_zspage == t[i].pages_per_zspage &&
					     t[i - 1].objs_per_zspage == t[i].objs_per_zspage);
		}
		assert_int_equal(counted, want[w].distinct);
		assert_int_equal(largest, want[w].largest_nonhuge);
	}
	assert_int_equal(zs_class_table(3, t), -EINVAL);
	assert_int_equal(zs_class_table(17, t), -EINVAL);
}

/* zs_huge_class_size() is where objects start to go huge (no header,
 * one per page): the pool's classes must agree with it. */
static void test_huge_threshold_in_pool(void **state)
{
	struct fixture *f = *state;
	size_t huge = zs_huge_class_size(f->pool);
	struct zs_pool_stats *st = malloc(sizeof(*st));

	assert_int_equal(huge, 3632 - ZS_HANDLE_SIZE + 1);
	unsigned long below = zs_malloc(f->pool, huge - 1, 0);
	unsigned long at = zs_malloc(f->pool, huge, 0);
	assert_true(below && at);
	assert_int_equal(zs_pool_stats(f->pool, st), 0);
	unsigned huge_objs = 0, small_objs = 0;
	for (unsigned i = 0; i < st->nr_classes; i++) {
		if (st->classes[i].huge)
			huge_objs += (unsigned)st->classes[i].objs_inuse;
		else
			small_objs += (unsigned)st->classes[i].objs_inuse;
	}
	assert_int_equal(huge_objs, 1);
	assert_int_equal(small_objs, 1);
	/* capacity: a huge object has the whole class, others lose the header */
	assert_true(zs_obj_capacity(f->pool, below) >= huge - 1);
	assert_true(zs_obj_capacity(f->pool, at) >= huge);
	assert_int_equal(zs_free(f->pool, below), 0);
	assert_int_equal(zs_free(f->pool, at), 0);
	free(st);
}

/* Every size 1..4096: allocate, write, read back; straddling objects come
 * back through the caller's buffer, the others in place. */
static void test_every_size_round_trip(void **state)
{
	struct fixture *f = *state;
	unsigned long *h = calloc(ZS_MAX_ALLOC_SIZE + 1, sizeof(*h));
	uint8_t buf[ZS_MAX_ALLOC_SIZE], copy[ZS_MAX_ALLOC_SIZE];
	unsigned copied = 0, direct = 0;

	for (size_t size = 1; size <= ZS_MAX_ALLOC_SIZE; size++) {
		h[size] = zs_malloc(f->pool, size, 0);
		assert_true(h[size] != 0);
		assert_true(zs_obj_capacity(f->pool, h[size]) >= size);
		zt_fill(buf, size, size);
		assert_int_equal(zs_obj_write(f->pool, h[size], buf, size), 0);
	}
	assert_pool_ok(f->pool);
	for (size_t size = 1; size <= ZS_MAX_ALLOC_SIZE; size++) {
		const void *p = zs_obj_read_begin(f->pool, h[size], size, copy);
		assert_non_null(p);
		if (p == copy)
			copied++;
		else
			direct++;
		assert_int_equal(zt_verify(p, size, size), 0);
		assert_int_equal(zs_obj_read_end(f->pool, h[size], p), 0);
	}
	/* With objects packed back to back, some must straddle pages. */
	assert_true(copied > 0);
	assert_true(direct > 0);
	for (size_t size = 1; size <= ZS_MAX_ALLOC_SIZE; size++)
		assert_int_equal(zs_free(f->pool, h[size]), 0);
	assert_pool_ok(f->pool);
	/* No deferred free: every page is back in the zone at once. */
	assert_int_equal(zs_get_total_pages(f->pool), 0);
	assert_int_equal(zone_allocated(f->zone), f->zone_allocated0);
	free(h);
}

/* A read of part of an object copies only that part. */
static void test_partial_read(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[3000], copy[16];

	zt_fill(buf, sizeof(buf), 7);
	unsigned long hs[8];
	for (int i = 0; i < 8; i++) {
		hs[i] = zs_malloc(f->pool, sizeof(buf), 0);
		assert_int_equal(zs_obj_write(f->pool, hs[i], buf, sizeof(buf)), 0);
	}
	for (int i = 0; i < 8; i++) {
		memset(copy, 0, sizeof(copy));
		const uint8_t *p = zs_obj_read_begin(f->pool, hs[i], sizeof(copy), copy);
		assert_non_null(p);
		assert_memory_equal(p, buf, sizeof(copy));
		zs_obj_read_end(f->pool, hs[i], p);
		zs_free(f->pool, hs[i]);
	}
}

/* Allocation goes to the fullest zspage that has room. */
static void test_alloc_from_fullest(void **state)
{
	struct fixture *f = *state;
	struct zs_pool_stats *st = malloc(sizeof(*st));
	const size_t size = 100;

	/* Find the class and its zspage capacity. */
	unsigned long probe = zs_malloc(f->pool, size, 0);
	zs_pool_stats(f->pool, st);
	unsigned ci = 0;
	while (!st->classes[ci].objs_inuse)
		ci++;
	unsigned n = st->classes[ci].objs_per_zspage;
	assert_true(n >= 20);
	zs_free(f->pool, probe);

	/* Two full zspages: objects 0..n-1 in A, n..2n-1 in B. */
	unsigned long *h = calloc(2 * n, sizeof(*h));
	for (unsigned i = 0; i < 2 * n; i++)
		h[i] = zs_malloc(f->pool, size, 0);
	zs_pool_stats(f->pool, st);
	assert_int_equal(st->classes[ci].zspages[ZS_FULLNESS_GROUPS - 1], 2);
	/* A keeps 1 object; B keeps just under 90%. */
	unsigned keep_b = (9 * n + 9) / 10 - 1;
	for (unsigned i = 1; i < n; i++)
		zs_free(f->pool, h[i]);
	for (unsigned i = n + keep_b; i < 2 * n; i++)
		zs_free(f->pool, h[i]);
	zs_pool_stats(f->pool, st);
	unsigned gb = keep_b * 100 / n / 10 + 1;
	assert_int_equal(st->classes[ci].zspages[1], 1);  /* A: 0-9% */
	assert_int_equal(st->classes[ci].zspages[gb], 1); /* B */
	unsigned long x = zs_malloc(f->pool, size, 0);
	zs_pool_stats(f->pool, st);
	/* B grew into the 90% group; A did not move. */
	assert_int_equal(st->classes[ci].zspages[1], 1);
	assert_int_equal(st->classes[ci].zspages[gb], 0);
	assert_int_equal(st->classes[ci].zspages[10], 1);
	zs_free(f->pool, x);
	zs_free(f->pool, h[0]);
	for (unsigned i = n; i < n + keep_b; i++)
		zs_free(f->pool, h[i]);
	assert_int_equal(zs_get_total_pages(f->pool), 0);
	free(h);
	free(st);
}

static void stats_snapshot(struct zs_pool *pool, uint64_t out[3])
{
	struct zs_pool_stats *st = malloc(sizeof(*st));

	zs_pool_stats(pool, st);
	out[0] = st->pages_used;
	out[1] = st->objs_inuse;
	out[2] = st->objs_allocated;
	free(st);
}

/* Bad sizes and handles: refused with a reason, nothing changes. */
static void test_bad_input_rejected(void **state)
{
	struct fixture *f = *state;
	uint64_t before[3], after[3];
	uint8_t buf[64] = { 0 };

	unsigned long live = zs_malloc(f->pool, 40, 0);
	zt_fill(buf, 40, 99);
	zs_obj_write(f->pool, live, buf, 40);
	unsigned long dead = zs_malloc(f->pool, 40, 0);
	assert_int_equal(zs_free(f->pool, dead), 0);
	stats_snapshot(f->pool, before);
	unsigned errs = f->log.count;

	errno = 0;
	assert_int_equal(zs_malloc(f->pool, 0, 0), 0);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(zs_malloc(f->pool, ZS_MAX_ALLOC_SIZE + 1, 0), 0);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(zs_malloc(f->pool, 64, 0x8000), 0);

	assert_int_equal(zs_free(f->pool, dead), -EINVAL);        /* double free */
	assert_int_equal(zs_free(f->pool, 0), -EINVAL);
	assert_int_equal(zs_free(f->pool, 12345), -EINVAL);       /* never returned */
	assert_int_equal(zs_free(f->pool, live + 1000000), -EINVAL);
	assert_int_equal(zs_free(f->pool, ~0ul), -EINVAL);
	assert_null(zs_obj_read_begin(f->pool, dead, 8, buf));
	assert_int_equal(zs_obj_write(f->pool, dead, buf, 8), -EINVAL);
	assert_int_equal(zs_obj_capacity(f->pool, dead), 0);
	/* A length beyond the object. */
	assert_int_equal(zs_obj_write(f->pool, live, buf, ZS_MAX_ALLOC_SIZE), -EINVAL);
	assert_null(zs_obj_read_begin(f->pool, live, ZS_MAX_ALLOC_SIZE, buf));

	/* Another pool's handle is not ours. */
	struct zs_pool *other = zs_create_pool("other", f->zone, NULL);
	unsigned long foreign = zs_malloc(other, 40, 0);
	assert_int_equal(zs_free(f->pool, foreign), -EINVAL);
	assert_int_equal(zs_free(other, foreign), 0);
	assert_int_equal(zs_destroy_pool(other), 0);

	assert_true(f->log.count >= errs + 12);
	stats_snapshot(f->pool, after);
	assert_memory_equal(before, after, sizeof(before));
	/* The live object is untouched by all that. */
	assert_int_equal(zt_check_object(f->pool, live, 40, 99), 0);
	assert_pool_ok(f->pool);
	zs_free(f->pool, live);
}

/* Regression: the slot of a freed handle is reused by the next zs_malloc;
 * the stale handle must not reach the new object. */
static void test_stale_handle_after_reuse(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[64], copy[64];

	unsigned long old = zs_malloc(f->pool, 40, 0);
	assert_int_equal(zs_free(f->pool, old), 0);
	unsigned long h = zs_malloc(f->pool, 40, 0);
	assert_true(h != 0);
	assert_true(h != old);
	zt_fill(buf, 40, 7);
	assert_int_equal(zs_obj_write(f->pool, h, buf, 40), 0);

	assert_null(zs_obj_read_begin(f->pool, old, 8, copy));
	assert_int_equal(zs_obj_write(f->pool, old, buf, 8), -EINVAL);
	assert_int_equal(zs_obj_capacity(f->pool, old), 0);
	assert_int_equal(zs_free(f->pool, old), -EINVAL);       /* double free */
	/* the new object is untouched and still freeable once */
	assert_int_equal(zt_check_object(f->pool, h, 40, 7), 0);
	assert_pool_ok(f->pool);
	assert_int_equal(zs_free(f->pool, h), 0);
	assert_int_equal(zs_free(f->pool, h), -EINVAL);
	/* many rounds through one slot stay distinct */
	unsigned long prev = 0;
	for (int i = 0; i < 1000; i++) {
		unsigned long x = zs_malloc(f->pool, 40, 0);
		assert_true(x != prev);
		if (prev)
			assert_int_equal(zs_free(f->pool, prev), -EINVAL);
		assert_int_equal(zs_free(f->pool, x), 0);
		prev = x;
	}
	assert_pool_ok(f->pool);
}

static void test_create_errors(void **state)
{
	(void)state;
	struct pa_config mc = pa_config_default();
	struct th_errlog log = { 0 };
	struct zs_pool_config cfg = zs_pool_config_default();

	cfg.error_fn = th_errlog_fn;
	cfg.error_arg = &log;
	mc.bytes = 64ull << 20; /* metadata only */
	struct pa_zone *meta = pa_zone_create(&mc);
	assert_non_null(meta);
	errno = 0;
	assert_null(zs_create_pool("m", meta, &cfg));
	assert_int_equal(errno, EINVAL);
	assert_true(log.count == 1 && strstr(log.last, "PA_BACKING_ANON"));
	pa_zone_destroy(meta);

	struct pa_zone *zone = zt_zone(8, 1);
	cfg.chain = 3;
	assert_null(zs_create_pool("c", zone, &cfg));
	cfg.chain = 17;
	assert_null(zs_create_pool("c", zone, &cfg));
	cfg.chain = 8;
	cfg.flags = 0x100;
	assert_null(zs_create_pool("c", zone, &cfg));
	assert_null(zs_create_pool("c", NULL, NULL));
	assert_int_equal(log.count, 4);
	/* chain 4 works and reports its own threshold */
	cfg.flags = 0;
	cfg.chain = 4;
	struct zs_pool *p4 = zs_create_pool("c4", zone, &cfg);
	assert_non_null(p4);
	assert_int_equal(zs_huge_class_size(p4), 3264 - ZS_HANDLE_SIZE + 1);
	zs_destroy_pool(p4);
	pa_zone_destroy(zone);
}

/* Destroying a pool with live objects reports them and still gives every
 * page back. */
static void test_teardown_reports_live(void **state)
{
	(void)state;
	struct pa_zone *zone = zt_zone(16, 1);
	struct th_errlog log = { 0 };
	struct zs_pool_config cfg = zs_pool_config_default();
	uint64_t base = zone_allocated(zone);

	cfg.error_fn = th_errlog_fn;
	cfg.error_arg = &log;
	struct zs_pool *pool = zs_create_pool("leaky", zone, &cfg);
	for (int i = 0; i < 777; i++)
		assert_true(zs_malloc(pool, 50 + (size_t)i * 5 % 4000, 0) != 0);
	assert_true(zone_allocated(zone) > base);
	assert_int_equal(zs_destroy_pool(pool), 777);
	assert_int_equal(log.count, 1);
	assert_non_null(strstr(log.last, "777 objects"));
	assert_int_equal(zone_allocated(zone), base);
	assert_check(zone);

	/* An empty pool is destroyed silently. */
	log.count = 0;
	pool = zs_create_pool("clean", zone, &cfg);
	zs_free(pool, zs_malloc(pool, 10, 0));
	assert_int_equal(zs_destroy_pool(pool), 0);
	assert_int_equal(log.count, 0);
	pa_zone_destroy(zone);
}

/* A full zone: zs_malloc fails with ENOMEM and the pool stays usable. */
static void test_out_of_pages(void **state)
{
	(void)state;
	struct pa_zone *zone = zt_zone(2, 1);
	struct zs_pool *pool = zs_create_pool("small", zone, NULL);
	unsigned long *h = calloc(4096, sizeof(*h));
	unsigned n = 0;

	for (;;) {
		errno = 0;
		unsigned long x = zs_malloc(pool, 4000, PA_GFP_NOWARN);
		if (!x)
			break;
		assert_true(n < 4096);
		h[n++] = x;
	}
	assert_int_equal(errno, ENOMEM);
	assert_true(n > 100);
	assert_int_equal(zs_free(pool, h[0]), 0);
	h[0] = zs_malloc(pool, 4000, 0);
	assert_true(h[0] != 0);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(zs_free(pool, h[i]), 0);
	assert_int_equal(zs_destroy_pool(pool), 0);
	free(h);
	pa_zone_destroy(zone);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_class_table_matches_kernel),
		cmocka_unit_test_setup_teardown(test_huge_threshold_in_pool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_size_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_from_fullest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_handle_after_reuse, setup, teardown),
		cmocka_unit_test(test_create_errors),
		cmocka_unit_test(test_teardown_reports_live),
		cmocka_unit_test(test_out_of_pages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
