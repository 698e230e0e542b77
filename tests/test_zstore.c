// SPDX-License-Identifier: MIT
/*
 * zstore: real pages from /usr (binaries and text) stored with lz4 and
 * zstd and read back identical; same-filled and incompressible pages;
 * overwrite, discard, compaction; bad input.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <urcu.h>

#include "helpers.h"
#include "zs_testutil.h"
#include "zstore.h"

#define PG ZSTORE_PAGE_SIZE

struct corpus {
	uint8_t *data;
	uint64_t pages, cap;
};

/* Up to max_pages pages of the regular files of dir (not recursive). */
static void load_dir(struct corpus *c, const char *dir, uint64_t max_pages)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	uint64_t limit = c->pages + max_pages;

	if (!d)
		return;
	while ((de = readdir(d)) && c->pages < limit) {
		char path[4096];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) || !S_ISREG(st.st_mode) || st.st_size == 0)
			continue;
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		for (;;) {
			if (c->pages == limit)
				break;
			if (c->pages == c->cap) {
				c->cap = c->cap ? 2 * c->cap : 256;
				c->data = realloc(c->data, c->cap * PG);
			}
			uint8_t *p = c->data + c->pages * PG;
			ssize_t n = read(fd, p, PG);
			if (n <= 0)
				break;
			memset(p + n, 0, PG - (size_t)n); /* a file's tail, zero-padded */
			c->pages++;
		}
		close(fd);
	}
	closedir(d);
}

static struct corpus usr_corpus(uint64_t pages_per_dir)
{
	struct corpus c = { 0 };

	load_dir(&c, "/usr/bin", pages_per_dir);
	load_dir(&c, "/usr/lib/x86_64-linux-gnu", pages_per_dir);
	load_dir(&c, "/usr/include", pages_per_dir);
	load_dir(&c, "/usr/share/common-licenses", pages_per_dir);
	return c;
}

static int setup(void **state)
{
	(void)state;
	rcu_register_thread();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rcu_unregister_thread();
	return 0;
}

static void round_trip(enum zstore_algo algo, uint64_t pages_per_dir)
{
	struct corpus c = usr_corpus(pages_per_dir);
	struct pa_zone *zone = zt_zone(128, 2);
	struct zstore_config cfg = { .nr_pages = c.pages, .algo = algo };
	uint8_t out[PG];

	assert_true(c.pages > 1000); /* /usr must give us real data */
	struct zstore *zs = zstore_create(zone, &cfg);
	assert_non_null(zs);
	for (uint64_t i = 0; i < c.pages; i++)
		assert_int_equal(zstore_write(zs, i, c.data + i * PG), 0);
	uint64_t bad = 0;
	for (uint64_t i = 0; i < c.pages; i++) {
		assert_int_equal(zstore_read(zs, i, out), 0);
		if (memcmp(out, c.data + i * PG, PG))
			bad++;
	}
	assert_int_equal(bad, 0);

	struct zstore_stats st;
	zstore_stats(zs, &st);
	assert_int_equal(st.pages_stored, c.pages);
	assert_int_equal(st.orig_data_size, c.pages * PG);
	assert_true(st.compr_data_size < st.orig_data_size);
	/* The pool holds at least the compressed bytes, and with the data
	 * compressing at all, less than the original. */
	assert_true(st.mem_used_total >= st.compr_data_size);
	assert_true(st.mem_used_total < st.orig_data_size);
	assert_true(st.huge_pages <= c.pages);
	print_message("  %s: %llu pages, ratio %.2f, pool overhead %.1f%%, %llu same, %llu raw\n",
		      zstore_algo_name(algo), (unsigned long long)c.pages,
		      (double)st.orig_data_size / (double)st.mem_used_total,
		      100.0 * ((double)st.mem_used_total - (double)st.compr_data_size) /
			      (double)st.compr_data_size,
		      (unsigned long long)st.same_pages, (unsigned long long)st.huge_pages);
	char msg[256];
	if (zs_pool_check(zstore_pool(zs), msg, sizeof(msg)))
		fail_msg("%s", msg);
	zstore_destroy(zs);
	assert_check(zone);
	pa_zone_destroy(zone);
	free(c.data);
}

static void test_usr_round_trip_lz4(void **state)
{
	(void)state;
	round_trip(ZSTORE_LZ4, 1500);
}

static void test_usr_round_trip_zstd(void **state)
{
	(void)state;
	round_trip(ZSTORE_ZSTD, 700);
}

static void test_same_and_raw_pages(void **state)
{
	(void)state;
	struct pa_zone *zone = zt_zone(8, 1);
	struct zstore_config cfg = { .nr_pages = 16, .algo = ZSTORE_LZ4 };
	struct zstore *zs = zstore_create(zone, &cfg);
	uint8_t page[PG], out[PG];
	struct zstore_stats st;

	memset(page, 0, PG);
	assert_int_equal(zstore_write(zs, 0, page), 0);
	for (size_t i = 0; i < PG; i += 8)
		memcpy(page + i, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_int_equal(zstore_write(zs, 1, page), 0);
	zstore_stats(zs, &st);
	assert_int_equal(st.same_pages, 2);
	assert_int_equal(st.mem_used_total, 0); /* no object for either */
	assert_int_equal(zstore_read(zs, 1, out), 0);
	assert_memory_equal(out, page, PG);
	memset(page, 0, PG);
	assert_int_equal(zstore_read(zs, 0, out), 0);
	assert_memory_equal(out, page, PG);

	zt_fill(page, PG, 42); /* pseudo-random: does not compress */
	assert_int_equal(zstore_write(zs, 2, page), 0);
	zstore_stats(zs, &st);
	assert_int_equal(st.huge_pages, 1);
	assert_int_equal(st.compr_data_size, PG);
	assert_int_equal(zstore_read(zs, 2, out), 0);
	assert_memory_equal(out, page, PG);

	/* Overwrite the raw page with a same page: the object goes. */
	memset(page, 0xab, PG);
	assert_int_equal(zstore_write(zs, 2, page), 0);
	zstore_stats(zs, &st);
	assert_int_equal(st.huge_pages, 0);
	assert_int_equal(st.compr_data_size, 0);
	assert_int_equal(st.pages_stored, 3);
	assert_int_equal(zs_get_total_pages(zstore_pool(zs)), 0);
	zstore_destroy(zs);
	pa_zone_destroy(zone);
}

static void test_discard_compact_bad_input(void **state)
{
	(void)state;
	struct corpus c = usr_corpus(300);
	struct pa_zone *zone = zt_zone(32, 1);
	struct th_errlog log = { 0 };
	struct zstore_config cfg = { .nr_pages = c.pages, .algo = ZSTORE_ZSTD,
				     .error_fn = th_errlog_fn, .error_arg = &log };
	uint8_t out[PG];

	struct zstore *zs = zstore_create(zone, &cfg);
	assert_non_null(zs);
	for (uint64_t i = 0; i < c.pages; i++)
		assert_int_equal(zstore_write(zs, i, c.data + i * PG), 0);
	/* Discard two thirds: holes everywhere in the zspages. */
	for (uint64_t i = 0; i < c.pages; i++)
		if (i % 3)
			assert_int_equal(zstore_discard(zs, i), 0);
	assert_int_equal(zstore_read(zs, 1, out), -ENOENT);
	assert_int_equal(zstore_discard(zs, 1), 0); /* again: fine */
	uint64_t before = zs_get_total_pages(zstore_pool(zs));
	uint64_t freed = zstore_compact(zs);
	assert_true(freed > 0);
	assert_int_equal(zs_get_total_pages(zstore_pool(zs)), before - freed);
	for (uint64_t i = 0; i < c.pages; i += 3) {
		assert_int_equal(zstore_read(zs, i, out), 0);
		assert_memory_equal(out, c.data + i * PG, PG);
	}
	struct zstore_stats st;
	zstore_stats(zs, &st);
	assert_int_equal(st.pages_compacted, freed);
	assert_int_equal(st.pages_stored, (c.pages + 2) / 3);

	unsigned errs = log.count;
	assert_int_equal(zstore_write(zs, c.pages, c.data), -EINVAL);
	assert_int_equal(zstore_read(zs, c.pages, out), -EINVAL);
	assert_int_equal(zstore_discard(zs, c.pages), -EINVAL);
	assert_int_equal(zstore_write(zs, 0, NULL), -EINVAL);
	assert_true(log.count > errs);
	zstore_destroy(zs);

	struct zstore_config bad = { .nr_pages = 0 };
	errno = 0;
	assert_null(zstore_create(zone, &bad));
	assert_int_equal(errno, EINVAL);
	bad.nr_pages = 1;
	bad.algo = (enum zstore_algo)7;
	assert_null(zstore_create(zone, &bad));
	enum zstore_algo a;
	assert_int_equal(zstore_algo_parse("zstd", &a), 0);
	assert_int_equal(a, ZSTORE_ZSTD);
	assert_int_equal(zstore_algo_parse("lzo", &a), -EINVAL);
	pa_zone_destroy(zone);
	free(c.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usr_round_trip_lz4),
		cmocka_unit_test(test_usr_round_trip_zstd),
		cmocka_unit_test(test_same_and_raw_pages),
		cmocka_unit_test(test_discard_compact_bad_input),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
