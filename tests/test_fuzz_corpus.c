/* SPDX-License-Identifier: MIT */
/*
 * The fuzz target as a regression test: every input in tests/fuzz/corpus
 * (seeds and what libFuzzer kept) replays through fuzz_api_run(), which
 * aborts on any disagreement with the model or pa_check.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "fuzz/fuzz_api.c"

static void corpus_replays_clean(void **state)
{
	(void)state;
	char dir[4096];
	const char *me = __FILE__;
	const char *slash = strrchr(me, '/');

	snprintf(dir, sizeof(dir), "%.*sfuzz/corpus", slash ? (int)(slash - me + 1) : 0, me);
	DIR *d = opendir(dir);

	if (!d)
		fail_msg("cannot open %s", dir);
	struct dirent *e;
	unsigned n = 0;

	while ((e = readdir(d))) {
		char path[8192];

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "rb");

		assert_non_null(f);
		uint8_t buf[65536];
		size_t len = fread(buf, 1, sizeof(buf), f);

		fclose(f);
		fuzz_api_run(buf, len);
		n++;
	}
	closedir(d);
	print_message("replayed %u corpus inputs from %s\n", n, dir);
	assert_true(n >= 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(corpus_replays_clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
