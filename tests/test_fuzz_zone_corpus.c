/* SPDX-License-Identifier: MIT */
/*
 * The fuzz_zone target as a regression test: every input committed in
 * tests/fuzz/corpus-zone replays through fuzz_zone_run(), which checks
 * each call against the shadow model and pa_check() and abort()s the
 * process on any disagreement (which fails this test binary).
 */
#include "fuzz/fuzz_zone.c"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

/* tests/fuzz/corpus-zone, found from this source file's own path. */
static void corpus_dir(char *out, size_t len)
{
	const char *me = __FILE__;
	const char *slash = strrchr(me, '/');
	int dirlen = slash ? (int)(slash - me + 1) : 0;

	snprintf(out, len, "%.*sfuzz/corpus-zone", dirlen, me);
}

static uint8_t *read_whole(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;

	assert_non_null(f);
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (got == 0)
			break;
	}
	assert_int_equal(ferror(f), 0);
	fclose(f);
	*len = n;
	return buf;
}

static void corpus_replays_clean(void **state)
{
	char dir[4096];
	unsigned runs = 0;
	DIR *d;
	struct dirent *e;

	(void)state;
	corpus_dir(dir, sizeof(dir));
	d = opendir(dir);
	if (!d)
		fail_msg("cannot open the corpus %s", dir);
	while ((e = readdir(d)) != NULL) {
		char path[8192];
		size_t len;
		uint8_t *buf;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		buf = read_whole(path, &len);
		assert_int_equal(fuzz_zone_run(buf, len), 0);
		free(buf);
		runs++;
	}
	closedir(d);
	print_message("fuzz_zone: replayed %u inputs from %s\n", runs, dir);
	assert_true(runs >= 5);
}

/* Inputs too short to hold a configuration are accepted and do nothing. */
static void empty_and_short_inputs(void **state)
{
	static const uint8_t one[1] = { 0xff };

	(void)state;
	assert_int_equal(fuzz_zone_run(NULL, 0), 0);
	assert_int_equal(fuzz_zone_run(one, sizeof(one)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(corpus_replays_clean),
		cmocka_unit_test(empty_and_short_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
