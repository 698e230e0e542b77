/* SPDX-License-Identifier: MIT */
/*
 * The lab's small parts: the trace-pfn map (against a plain array model),
 * size parsing for --mem, and the /proc/zoneinfo reader on the traced
 * machine's real file.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "objs.h"
#include "pfnmap.h"
#include "size.h"
#include "zoneinfo.h"

#include <zlib.h>

/* Random inserts and removes over clustered keys, checked against an
 * array model after every step: lookups never lose or invent a key. */
static void test_pfnmap_matches_model(void **state)
{
	enum { RANGE = 20000 };
	static int32_t model[RANGE];
	struct pfnmap m;
	unsigned seed = 7;
	uint64_t live = 0;
	(void)state;

	memset(model, 0xff, sizeof(model));
	assert_int_equal(pfnmap_init(&m), 0);
	for (int i = 0; i < 400000; i++) {
		unsigned k = (unsigned)rand_r(&seed) % RANGE;
		uint64_t key = 0x100000ull + k * 8; /* clustered, aligned */
		struct pfnmap_entry e, *f;

		if (rand_r(&seed) % 3) {
			int rc = pfnmap_insert(&m, key, (uint32_t)i, 3, 2, &e);
			assert_int_equal(rc, model[k] >= 0 ? 1 : 0);
			if (rc == 1)
				assert_int_equal(e.pfn, (uint32_t)model[k]);
			else
				live++;
			model[k] = i;
		} else {
			bool had = pfnmap_remove(&m, key, &e);
			assert_int_equal(had, model[k] >= 0);
			if (had) {
				assert_int_equal(e.pfn, (uint32_t)model[k]);
				live--;
			}
			model[k] = -1;
		}
		if (i % 50000 == 0)
			for (unsigned j = 0; j < RANGE; j++) {
				f = pfnmap_find(&m, 0x100000ull + j * 8);
				if (model[j] < 0)
					assert_null(f);
				else {
					assert_non_null(f);
					assert_int_equal(f->pfn, (uint32_t)model[j]);
					assert_int_equal(f->order, 3);
					assert_int_equal(f->trace_order, 2);
				}
			}
		assert_int_equal(m.count, live);
	}
	assert_true(m.peak >= m.count);
	pfnmap_destroy(&m);
}

static void test_size_parse(void **state)
{
	uint64_t b;
	char buf[32];
	(void)state;

	assert_int_equal(size_parse("256G", &b), 0);
	assert_int_equal(b, 256ull << 30);
	assert_int_equal(size_parse("1T", &b), 0);
	assert_int_equal(b, 1ull << 40);
	assert_int_equal(size_parse("512MiB", &b), 0);
	assert_int_equal(b, 512ull << 20);
	assert_int_equal(size_parse("1.5g", &b), 0);
	assert_int_equal(b, 3ull << 29);
	assert_int_equal(size_parse("4096", &b), 0);
	assert_int_equal(b, 4096);
	assert_int_equal(size_parse("", &b), -EINVAL);
	assert_int_equal(size_parse("G", &b), -EINVAL);
	assert_int_equal(size_parse("12Q", &b), -EINVAL);
	assert_int_equal(size_parse("0", &b), -EINVAL);
	assert_int_equal(size_parse("-1G", &b), -EINVAL);
	assert_int_equal(size_parse("99999999P", &b), -EINVAL);
	assert_string_equal(size_format(256ull << 30, buf, sizeof(buf)), "256 GiB");
	assert_string_equal(size_format(3ull << 29, buf, sizeof(buf)), "1.50 GiB");
}

static const char *traces_dir(void)
{
	static char dir[4096];
	FILE *p = popen("git rev-parse --show-toplevel 2>/dev/null", "r");

	dir[0] = 0;
	if (p) {
		if (fgets(dir, sizeof(dir) - 32, p))
			dir[strcspn(dir, "\n")] = 0;
		pclose(p);
	}
	strcat(dir, dir[0] ? "/../shared/traces" : "../shared/traces");
	return dir;
}

static void test_zoneinfo_of_traced_machine(void **state)
{
	struct zoneinfo zi;
	char path[4200], err[256], beside[4200];
	(void)state;

	snprintf(path, sizeof(path), "%s/build.zoneinfo", traces_dir());
	if (access(path, R_OK) != 0)
		skip();
	/* the Normal zone, as the file says */
	assert_int_equal(zoneinfo_read(path, NULL, &zi, err, sizeof(err)), 0);
	assert_string_equal(zi.zone, "Normal");
	assert_int_equal(zi.managed, 1277952);
	assert_int_equal(zi.ncpus, 2);
	assert_int_equal(zi.batch, 63);
	assert_int_equal(zi.high_min, 6568);
	assert_int_equal(zi.high_max, 79872);
	assert_int_equal(zi.wmark_min, 10509);
	assert_int_equal(zi.wmark_high, 15763);
	assert_int_equal(zi.start_pfn, 1048576);
	/* another zone by name */
	assert_int_equal(zoneinfo_read(path, "DMA32", &zi, err, sizeof(err)), 0);
	assert_int_equal(zi.managed, 772808);
	assert_int_equal(zi.high_min, 3971);
	assert_int_equal(zoneinfo_read(path, "HighMem", &zi, err, sizeof(err)),
			 -ENOENT);
	/* found beside its trace */
	snprintf(path, sizeof(path), "%s/build.trace.zst", traces_dir());
	assert_int_equal(zoneinfo_beside(path, beside, sizeof(beside)), 0);
	assert_non_null(strstr(beside, "build.zoneinfo"));
}

/* The reader records the size and zlib CRC-32 of the whole text it read
 * (the JSON's record of the replay's inputs): a change anywhere in the
 * file, also in a zone it did not pick, changes the CRC. */
static void test_zoneinfo_bytes_and_crc32(void **state)
{
	char text[] = "Node 0, zone   Normal\n"
		      "  pages free     100\n"
		      "        managed  2048\n"
		      "Node 0, zone  Movable\n"
		      "        managed  0\n";
	struct zoneinfo a, b;
	char err[256];
	FILE *f;
	(void)state;

	f = fmemopen(text, strlen(text), "r");
	assert_int_equal(zoneinfo_parse(f, NULL, &a, err, sizeof(err)), 0);
	fclose(f);
	assert_int_equal(a.bytes, strlen(text));
	assert_int_equal(a.crc32, crc32(crc32(0, Z_NULL, 0),
					(const Bytef *)text, (uInt)strlen(text)));
	text[strlen(text) - 2] = '1';   /* the Movable zone's managed */
	f = fmemopen(text, strlen(text), "r");
	assert_int_equal(zoneinfo_parse(f, NULL, &b, err, sizeof(err)), 0);
	fclose(f);
	assert_int_equal(b.managed, a.managed);
	assert_int_equal(b.bytes, a.bytes);
	assert_true(b.crc32 != a.crc32);
}

static void test_zoneinfo_rejects_other_text(void **state)
{
	struct zoneinfo zi;
	char err[256];
	char text[] = "MemTotal: 1000 kB\nMemFree: 10 kB\n";
	FILE *f = fmemopen(text, strlen(text), "r");
	(void)state;

	assert_int_equal(zoneinfo_parse(f, NULL, &zi, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "zoneinfo"));
	fclose(f);
	assert_true(zoneinfo_read("/nonexistent/zoneinfo", NULL, &zi, err,
				  sizeof(err)) == -ENOENT);
}

/* objs_shift takes the oldest, in push order, across the array's growth
 * and the move to the front that a push after shifts makes; objs_take
 * still addresses the live elements; the page count follows both. */
static void test_objs_shift_in_age_order(void **state)
{
	struct objs o = { 0 };
	uint64_t next = 0, key, pages = 0;
	unsigned order, cpu;
	(void)state;

	for (unsigned round = 0; round < 4; round++) {
		for (unsigned i = 0; i < 1500 + 700 * round; i++) {
			objs_push(&o, 1000 + o.n + next, i % 3, i % 7);
			pages += 1ull << (i % 3);
		}
		/* the oldest left is key 1000 + next (keys grow by one) */
		for (unsigned i = 0; i < 1200; i++, next++) {
			objs_shift(&o, &key, &order, &cpu);
			assert_int_equal(key, 1000 + next);
			pages -= 1ull << order;
			assert_int_equal(o.pages, pages);
		}
	}
	objs_take(&o, 0, &key, &order, &cpu); /* the oldest, by index */
	assert_int_equal(key, 1000 + next);
	pages -= 1ull << order;
	while (o.n) {
		objs_take(&o, o.n - 1, &key, &order, &cpu);
		pages -= 1ull << order;
	}
	assert_int_equal(o.pages, 0);
	assert_int_equal(pages, 0);
	objs_release(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pfnmap_matches_model),
		cmocka_unit_test(test_objs_shift_in_age_order),
		cmocka_unit_test(test_size_parse),
		cmocka_unit_test(test_zoneinfo_of_traced_machine),
		cmocka_unit_test(test_zoneinfo_bytes_and_crc32),
		cmocka_unit_test(test_zoneinfo_rejects_other_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
