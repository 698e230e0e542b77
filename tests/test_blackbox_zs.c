/* SPDX-License-Identifier: MIT */
/*
 * test_blackbox_zs.c - black-box checks of zsmalloc and zstore, written from
 * include/zsmalloc.h and include/zstore.h only: every documented error
 * (handles of another pool, stale and forged handles, sizes and lengths at
 * and past the bounds, gfp bits outside the documented set, a read end
 * without its begin), the movable-ops table filling up, leaks counted at
 * destroy, zstore's bounds, -ENOMEM keeping the old page, and the zone
 * coming back whole (pa_check clean) after every pool is gone, under every
 * policy.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <urcu.h>

#include "helpers.h"
#include "zs_testutil.h"
#include "zsmalloc.h"
#include "zstore.h"

struct zs_errs {
	unsigned count;
	int last;
};

static void zs_errhook(void *arg, int err, const char *msg)
{
	struct zs_errs *e = arg;

	assert_non_null(msg);
	assert_true(msg[0] != '\0');
	e->count++;
	e->last = err;
}

/* A backed zone of `pages` 4 KiB pages, every page usable. */
static struct pa_zone *zs_zone(void **state, uint64_t pbs)
{
	struct pa_config cfg = th_config(pbs, 3, 5, PA_CFG_NO_WATERMARKS, 2);

	cfg.backing = PA_BACKING_ANON;
	return th_zone_for(state, &cfg);
}

static void assert_zone_empty(struct pa_zone *z)
{
	struct pa_stats st;

	pa_drain(z);
	pa_stats(z, &st);
	assert_int_equal(st.allocated_pages, 0);
	assert_int_equal(st.free_pages, st.managed_pages);
	assert_check(z);
}

static void assert_pool_ok(struct zs_pool *p)
{
	char msg[256] = "";

	if (zs_pool_check(p, msg, sizeof(msg)) != 0)
		fail_msg("zs_pool_check: %s", msg);
}

static void pool_create_errors(void **state)
{
	struct pa_config mcfg = th_config(8, 3, 5, PA_CFG_NO_WATERMARKS, 1);
	struct zs_pool_config pc = zs_pool_config_default();
	struct zs_pool *pools[PA_MAX_MOVABLE_OPS + 1];
	struct zs_class_info tbl[ZS_SIZE_CLASSES];
	struct pa_zone *meta, *z;
	unsigned n;

	assert_int_equal(pc.chain, ZS_CHAIN_DEFAULT);
	errno = 0;
	assert_null(zs_create_pool("x", NULL, NULL));
	assert_int_equal(errno, EINVAL);
	meta = th_zone_for(state, &mcfg);
	if (!meta) {
			return;
	}
	errno = 0;
	assert_null(zs_create_pool("x", meta, NULL));
	assert_int_equal(errno, EINVAL);
	th_zone_errors_take(meta, NULL, 0);
	th_zone_destroy(meta);

	z = zs_zone(state, 8);
	pc.chain = ZS_CHAIN_MIN - 1;
	errno = 0;
	assert_null(zs_create_pool("x", z, &pc));
	assert_int_equal(errno, EINVAL);
	pc.chain = ZS_CHAIN_MAX + 1;
	assert_null(zs_create_pool("x", z, &pc));
	pc.chain = ZS_CHAIN_MAX;
	pc.flags = 0x80;
	errno = 0;
	assert_null(zs_create_pool("x", z, &pc));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(zs_class_table(ZS_CHAIN_MIN - 1, tbl), -EINVAL);
	assert_int_equal(zs_class_table(ZS_CHAIN_MAX + 1, tbl), -EINVAL);
	assert_true(zs_class_table(ZS_CHAIN_MIN, tbl) > 0);
	assert_true(zs_class_table(ZS_CHAIN_MAX, tbl) > 0);
	th_zone_errors_take(z, NULL, 0);

	/* the zone's movable-ops table holds PA_MAX_MOVABLE_OPS owners */
	for (n = 0; n < PA_MAX_MOVABLE_OPS; n++) {
		pools[n] = zs_create_pool(n ? "p" : NULL, z, NULL);
		assert_non_null(pools[n]);
	}
	errno = 0;
	assert_null(zs_create_pool("one too many", z, NULL));
	assert_int_equal(errno, ENOSPC);
	th_zone_errors_take(z, NULL, 0);
	assert_string_equal(zs_pool_name(pools[0]), "");
	assert_string_equal(zs_pool_name(pools[1]), "p");
	for (n = 0; n < PA_MAX_MOVABLE_OPS; n++)
		assert_int_equal(zs_destroy_pool(pools[n]), 0);
	/* the slots are free again */
	pools[0] = zs_create_pool("again", z, NULL);
	assert_non_null(pools[0]);
	assert_int_equal(zs_destroy_pool(pools[0]), 0);
	assert_int_equal(zs_destroy_pool(NULL), 0);
	assert_zone_empty(z);
	th_zone_destroy(z);
}

static void handle_errors(void **state)
{
	struct zs_errs ea = { 0 }, eb = { 0 };
	struct zs_pool_config pc = zs_pool_config_default();
	struct zs_pool *a, *b;
	struct pa_zone *z;
	unsigned long ha, hb, hh;
	char buf[ZS_MAX_ALLOC_SIZE + 16];
	const void *m;
	size_t cap;

	z = zs_zone(state, 16);
	if (!z) {
			return;
	}
	pc.error_fn = zs_errhook;
	pc.error_arg = &ea;
	a = zs_create_pool("a", z, &pc);
	pc.error_arg = &eb;
	b = zs_create_pool("b", z, &pc);
	assert_non_null(a);
	assert_non_null(b);

	/* sizes */
	errno = 0;
	assert_int_equal(zs_malloc(a, 0, 0), 0);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(zs_malloc(a, ZS_MAX_ALLOC_SIZE + 1, 0), 0);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(zs_malloc(a, SIZE_MAX, 0), 0);
	assert_int_equal(errno, EINVAL);
	/* gfp outside ATOMIC | NOWARN | NOLOCK | MOVABLE */
	errno = 0;
	assert_int_equal(zs_malloc(a, 100, PA_GFP_MASK + 1), 0);
	assert_int_equal(errno, EINVAL);
	assert_true(ea.count >= 4);
	assert_int_equal(ea.last, -EINVAL);

	ha = zs_malloc(a, 1, PA_GFP_MOVABLE | PA_GFP_ATOMIC | PA_GFP_NOWARN);
	assert_int_not_equal(ha, 0);
	cap = zs_obj_capacity(a, ha);
	assert_true(cap >= 1);
	hb = zs_malloc(b, 200, 0);
	assert_int_not_equal(hb, 0);
	hh = zs_malloc(a, ZS_MAX_ALLOC_SIZE, 0);
	assert_int_not_equal(hh, 0);
	assert_int_equal(zs_obj_capacity(a, hh), ZS_MAX_ALLOC_SIZE);

	/* a handle of pool b is not pool a's */
	ea.count = 0;
	assert_int_equal(zs_obj_capacity(a, hb), 0);
	assert_int_equal(zs_obj_write(a, hb, buf, 1), -EINVAL);
	errno = 0;
	assert_null(zs_obj_read_begin(a, hb, 1, buf));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(zs_obj_read_end(a, hb, buf), -EINVAL);
	assert_int_equal(zs_free(a, hb), -EINVAL);
	assert_true(ea.count >= 4);
	assert_pool_ok(a);
	assert_pool_ok(b);
	/* forged handles */
	assert_int_equal(zs_free(a, 0), -EINVAL);
	assert_int_equal(zs_free(a, ~0ul), -EINVAL);
	assert_int_equal(zs_free(a, ha + 100000), -EINVAL); /* a slot never used */
	assert_int_equal(zs_free(a, ha ^ (1ul << 40)), -EINVAL);
	assert_int_equal(zs_obj_capacity(a, 0), 0);
	assert_int_equal(zs_obj_capacity(a, ~0ul), 0);

	/* lengths */
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(zs_obj_write(a, ha, buf, cap + 1), -EINVAL);
	assert_int_equal(zs_obj_write(a, ha, buf, cap), 0);
	assert_int_equal(zs_obj_write(a, ha, buf, 0), 0);
	errno = 0;
	assert_null(zs_obj_read_begin(a, ha, cap + 1, buf));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(zs_obj_write(a, hh, buf, ZS_MAX_ALLOC_SIZE + 1), -EINVAL);
	assert_int_equal(zs_obj_write(a, hh, buf, ZS_MAX_ALLOC_SIZE), 0);

	/* read end without begin; begin/end nest */
	ea.count = 0;
	assert_int_equal(zs_obj_read_end(a, ha, buf), -EINVAL);
	assert_int_equal(ea.count, 1);
	m = zs_obj_read_begin(a, ha, cap, buf + 8);
	assert_non_null(m);
	{
		const void *m2 = zs_obj_read_begin(a, ha, cap, buf + 8);

		assert_non_null(m2);
		assert_int_equal(zs_obj_read_end(a, ha, m2), 0);
	}
	assert_int_equal(zs_obj_read_end(a, ha, m), 0);
	assert_int_equal(zs_obj_read_end(a, ha, m), -EINVAL);
	assert_pool_ok(a);

	/* free, then every use of the stale handle is refused */
	assert_int_equal(zs_free(a, ha), 0);
	assert_int_equal(zs_free(a, ha), -EINVAL);
	assert_int_equal(zs_obj_capacity(a, ha), 0);
	assert_int_equal(zs_obj_write(a, ha, buf, 1), -EINVAL);
	assert_null(zs_obj_read_begin(a, ha, 1, buf));
	assert_pool_ok(a);

	/* destroy counts what is still allocated and tells the hook */
	ea.count = 0;
	assert_int_equal(zs_destroy_pool(a), 1);
	assert_true(ea.count >= 1);
	assert_int_equal(zs_free(b, hb), 0);
	assert_int_equal(zs_destroy_pool(b), 0);
	assert_zone_empty(z);
	th_zone_destroy(z);
}

/* Fill the zone through the pool: ENOMEM, nothing lost, all comes back. */
static void pool_out_of_pages(void **state)
{
	struct zs_pool *p;
	struct pa_zone *z;
	unsigned long *h;
	unsigned n = 0, cap = 4096;
	struct zs_pool_stats st;

	z = zs_zone(state, 4); /* 32 pages */
	if (!z) {
			return;
	}
	p = zs_create_pool("full", z, NULL);
	assert_non_null(p);
	h = calloc(cap, sizeof(*h));
	for (;;) {
		unsigned long x = zs_malloc(p, 4000, PA_GFP_NOWARN); /* huge: 1 page */

		if (!x) {
			assert_int_equal(errno, ENOMEM);
			break;
		}
		assert_true(n < cap);
		assert_int_equal(zs_obj_write(p, x, &n, sizeof(n)), 0);
		h[n++] = x;
	}
	assert_true(n >= 1);
	assert_int_equal(zs_get_total_pages(p), pa_managed_pages(z));
	assert_pool_ok(p);
	assert_int_equal(zs_pool_stats(p, &st), 0);
	assert_int_equal(st.objs_inuse, n);
	assert_int_equal(st.pages_used, pa_managed_pages(z));
	assert_int_equal(zs_pool_stats(NULL, &st), -EINVAL);
	assert_int_equal(zs_pool_stats(p, NULL), -EINVAL);
	for (unsigned i = 0; i < n; i++) {
		unsigned v = 0;
		const unsigned *r = zs_obj_read_begin(p, h[i], sizeof(v), &v);

		assert_non_null(r);
		assert_int_equal(*r, i);
		assert_int_equal(zs_obj_read_end(p, h[i], r), 0);
	}
	/* free every other object, compact, the rest still reads back */
	for (unsigned i = 0; i < n; i += 2)
		assert_int_equal(zs_free(p, h[i]), 0);
	(void)zs_compact(p);
	assert_pool_ok(p);
	for (unsigned i = 1; i < n; i += 2) {
		unsigned v = 0;
		const unsigned *r = zs_obj_read_begin(p, h[i], sizeof(v), &v);

		assert_non_null(r);
		assert_int_equal(*r, i);
		assert_int_equal(zs_obj_read_end(p, h[i], r), 0);
		assert_int_equal(zs_free(p, h[i]), 0);
	}
	assert_int_equal(zs_get_total_pages(p), 0);
	assert_int_equal(zs_destroy_pool(p), 0);
	free(h);
	assert_zone_empty(z);
	th_zone_destroy(z);
}

static void zstore_errors(void **state)
{
	struct zstore_config zc = { .nr_pages = 8 };
	struct zs_errs e = { 0 };
	struct zstore_stats st;
	enum zstore_algo al = ZSTORE_ZSTD;
	struct pa_zone *z, *meta;
	struct pa_config mcfg = th_config(8, 3, 5, PA_CFG_NO_WATERMARKS, 1);
	struct zstore *zs;
	uint8_t page[ZSTORE_PAGE_SIZE], back[ZSTORE_PAGE_SIZE];

	assert_null(zstore_algo_name((enum zstore_algo)7));
	assert_string_equal(zstore_algo_name(ZSTORE_LZ4), "lz4");
	assert_int_equal(zstore_algo_parse("lz5", &al), -EINVAL);
	assert_int_equal(al, ZSTORE_ZSTD);
	assert_int_equal(zstore_algo_parse("lz4", &al), 0);
	assert_int_equal(al, ZSTORE_LZ4);
	meta = th_zone_for(state, &mcfg);
	if (!meta) {
			return;
	}
	errno = 0;
	assert_null(zstore_create(meta, &zc));
	assert_int_equal(errno, EINVAL);
	th_zone_errors_take(meta, NULL, 0);
	th_zone_destroy(meta);

	z = zs_zone(state, 4);
	zc.error_fn = zs_errhook;
	zc.error_arg = &e;
	zc.nr_pages = 0;
	errno = 0;
	assert_null(zstore_create(z, &zc));
	assert_int_equal(errno, EINVAL);
	zc.nr_pages = 8;
	zc.algo = (enum zstore_algo)5;
	assert_null(zstore_create(z, &zc));
	zc.algo = ZSTORE_LZ4;
	zc.chain = 99;
	assert_null(zstore_create(z, &zc));
	zc.chain = 0;
	assert_null(zstore_create(z, NULL));
	assert_true(e.count >= 3);
	th_zone_errors_take(z, NULL, 0);
	zstore_destroy(NULL);

	zs = zstore_create(z, &zc);
	assert_non_null(zs);
	assert_int_equal(zstore_write(zs, 8, page), -EINVAL);
	assert_int_equal(zstore_write(zs, UINT64_MAX, page), -EINVAL);
	assert_int_equal(zstore_write(zs, 0, NULL), -EINVAL);
	assert_int_equal(zstore_read(zs, 8, back), -EINVAL);
	assert_int_equal(zstore_read(zs, 0, NULL), -EINVAL);
	assert_int_equal(zstore_read(zs, 0, back), -ENOENT);
	assert_int_equal(zstore_discard(zs, 8), -EINVAL);
	assert_int_equal(zstore_discard(zs, 7), 0);
	zstore_stats(zs, &st);
	assert_int_equal(st.pages_stored, 0);
	assert_int_equal(st.orig_data_size, 0);

	/* one of each kind, at the first and last index */
	memset(page, 0, sizeof(page));
	assert_int_equal(zstore_write(zs, 0, page), 0);
	for (unsigned i = 0; i < sizeof(page); i++)
		page[i] = (uint8_t)(i * 2654435761u >> 13);
	assert_int_equal(zstore_write(zs, 7, page), 0);
	zstore_stats(zs, &st);
	assert_int_equal(st.pages_stored, 2);
	assert_int_equal(st.same_pages, 1);
	assert_int_equal(st.orig_data_size, 2 * ZSTORE_PAGE_SIZE);
	assert_int_equal(zstore_read(zs, 7, back), 0);
	assert_memory_equal(back, page, sizeof(page));
	assert_int_equal(zstore_read(zs, 0, back), 0);
	for (unsigned i = 0; i < sizeof(back); i++)
		assert_int_equal(back[i], 0);
	/* replace a stored page with a same page and back */
	memset(page, 0x11, sizeof(page));
	assert_int_equal(zstore_write(zs, 7, page), 0);
	zstore_stats(zs, &st);
	assert_int_equal(st.pages_stored, 2);
	assert_int_equal(st.same_pages, 2);
	assert_int_equal(st.huge_pages, 0);
	assert_int_equal(zstore_discard(zs, 7), 0);
	assert_int_equal(zstore_discard(zs, 7), 0);
	assert_int_equal(zstore_read(zs, 7, back), -ENOENT);
	assert_int_equal(zstore_discard(zs, 0), 0);
	zstore_stats(zs, &st);
	assert_int_equal(st.pages_stored, 0);
	assert_int_equal(st.same_pages, 0);
	assert_int_equal(st.orig_data_size, 0);
	assert_int_equal(st.compr_data_size, 0);
	zstore_destroy(zs);
	assert_zone_empty(z);
	th_zone_destroy(z);
}

/* A store larger than its zone: writes fail with -ENOMEM once the zone is
 * full, and a failed write keeps what the index held. */
static void zstore_enomem_keeps_old(void **state)
{
	struct zstore_config zc = { .nr_pages = 256, .algo = ZSTORE_LZ4 };
	struct zstore_stats st;
	struct pa_zone *z;
	struct zstore *zs;
	uint8_t page[ZSTORE_PAGE_SIZE], back[ZSTORE_PAGE_SIZE];
	struct th_rng r = { 42 };
	uint64_t ok = 0, failed = 0;

	z = zs_zone(state, 2); /* 16 pages */
	if (!z) {
			return;
	}
	zs = zstore_create(z, &zc);
	assert_non_null(zs);
	for (uint64_t i = 0; i < zc.nr_pages; i++) {
		int rc;

		for (unsigned k = 0; k < sizeof(page); k += 8) {
			uint64_t v = th_next(&r);
			memcpy(page + k, &v, 8);
		}
		page[0] = (uint8_t)i;
		rc = zstore_write(zs, i, page);
		if (rc == 0) {
			ok++;
			continue;
		}
		assert_int_equal(rc, -ENOMEM);
		failed++;
		assert_int_equal(zstore_read(zs, i, back), -ENOENT);
	}
	assert_true(ok >= 1);
	assert_true(failed >= 1);
	zstore_stats(zs, &st);
	assert_int_equal(st.failed_writes, failed);
	assert_int_equal(st.pages_stored, ok);
	/* overwrite index 0 with incompressible data while full: the old
	 * page stays */
	assert_int_equal(zstore_read(zs, 0, page), 0);
	memcpy(back, page, sizeof(back));
	for (unsigned k = 0; k < sizeof(page); k++)
		page[k] ^= 0xff;
	{
		int rc = zstore_write(zs, 0, page);

		if (rc == -ENOMEM) {
			assert_int_equal(zstore_read(zs, 0, page), 0);
			assert_memory_equal(page, back, sizeof(page));
		} else {
			assert_int_equal(rc, 0);
		}
	}
	assert_int_equal(pa_check(z, NULL, 0), 0);
	zstore_destroy(zs);
	assert_zone_empty(z);
	th_zone_destroy(z);
}

/* A page of kind 0 (zero), 1 (one repeated word), 2 (compressible) or 3
 * (random: stored raw). */
static void make_page(uint8_t *p, unsigned kind, uint64_t key,
		      struct th_rng *r)
{
	switch (kind) {
	case 0:
		memset(p, 0, ZSTORE_PAGE_SIZE);
		break;
	case 1:
		for (unsigned i = 0; i < ZSTORE_PAGE_SIZE; i += 8)
			memcpy(p + i, &key, 8);
		break;
	case 2:
		for (unsigned i = 0; i < ZSTORE_PAGE_SIZE; i++)
			p[i] = (uint8_t)(i / 64 + key);
		break;
	default:
		for (unsigned i = 0; i < ZSTORE_PAGE_SIZE; i += 8) {
			uint64_t v = th_next(r);
			memcpy(p + i, &v, 8);
		}
	}
}

/* zstore_stats after every write (some failing for lack of memory) and
 * discard, against a model of what each index holds; every page reads
 * back as last written. */
static void zstore_stats_follow_model(void **state)
{
	enum { N = 48 };
	struct th_rng r = { th_seed("zstore_stats_follow_model") };
	uint8_t (*want)[ZSTORE_PAGE_SIZE] = calloc(N, ZSTORE_PAGE_SIZE);
	uint8_t page[ZSTORE_PAGE_SIZE];
	unsigned kind[N];
	bool stored[N] = { false };
	uint64_t failed = 0;
	struct pa_zone *z;

	assert_non_null(want);
	z = zs_zone(state, 1); /* 8 pages: random pages fill it */
	if (!z) {
		free(want);
		return;
	}
	for (unsigned algo = 0; algo < 2; algo++) {
		struct zstore_config zc = { .nr_pages = N, .algo = algo };
		struct zstore *zs = zstore_create(z, &zc);

		assert_non_null(zs);
		memset(stored, 0, sizeof(stored));
		failed = 0;
		for (unsigned op = 0; op < 1500; op++) {
			unsigned i = (unsigned)th_below(&r, N);
			struct zstore_stats st;
			uint64_t n = 0, same = 0;

			if (th_below(&r, 4)) {
				unsigned k = (unsigned)th_below(&r, 4);
				int rc;

				make_page(page, k, th_next(&r), &r);
				rc = zstore_write(zs, i, page);
				if (rc == 0) {
					stored[i] = true;
					kind[i] = k;
					memcpy(want[i], page, sizeof(page));
				} else {
					assert_int_equal(rc, -ENOMEM);
					failed++;
				}
			} else {
				assert_int_equal(zstore_discard(zs, i), 0);
				stored[i] = false;
			}
			for (unsigned j = 0; j < N; j++) {
				n += stored[j];
				same += stored[j] && kind[j] <= 1;
			}
			zstore_stats(zs, &st);
			assert_int_equal(st.pages_stored, n);
			assert_int_equal(st.orig_data_size, n * ZSTORE_PAGE_SIZE);
			assert_int_equal(st.same_pages, same);
			assert_int_equal(st.failed_writes, failed);
			assert_true(st.huge_pages <= n - same);
			assert_true(st.compr_data_size <= (n - same) * ZSTORE_PAGE_SIZE);
			assert_int_equal(st.mem_used_total,
					 zs_get_total_pages(zstore_pool(zs)) *
						 ZSTORE_PAGE_SIZE);
			assert_true(st.mem_used_max >= st.mem_used_total);
			if (op % 100 == 0)
				(void)zstore_compact(zs);
		}
		for (unsigned j = 0; j < N; j++) {
			int rc = zstore_read(zs, j, page);

			if (!stored[j]) {
				assert_int_equal(rc, -ENOENT);
				continue;
			}
			assert_int_equal(rc, 0);
			assert_memory_equal(page, want[j], sizeof(page));
		}
		assert_true(failed >= 1);
		{
			char msg[256] = "";

			if (zs_pool_check(zstore_pool(zs), msg, sizeof(msg)))
				fail_msg("zs_pool_check: %s", msg);
		}
		zstore_destroy(zs);
		assert_zone_empty(z);
	}
	free(want);
	th_zone_destroy(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		th_policy_test(pool_create_errors),
		th_policy_test(handle_errors),
		th_policy_test(pool_out_of_pages),
		th_policy_test(zstore_errors),
		th_policy_test(zstore_enomem_keeps_old),
		th_policy_test(zstore_stats_follow_model),
	};
	int rc;

	/* once for the whole run: a failing case longjmps out of its body */
	rcu_register_thread();
	rc = th_run_policy_group("blackbox_zs", tests);
	rcu_unregister_thread();
	return rc;
}
