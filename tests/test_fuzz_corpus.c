/* SPDX-License-Identifier: MIT */
/*
 * The fuzz target as a regression test: every input committed in
 * tests/fuzz/corpus (named seeds, what libFuzzer kept, the inputs of
 * every bug it found) replays through fuzz_zone_run() under every policy
 * the library accepts for the input's configuration.  fuzz_zone_run()
 * checks each call against the shadow model and pa_check() and abort()s
 * the process on any disagreement, naming the input and the policy.
 */
#include "fuzz/fuzz_zone.c"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

/* tests/fuzz/corpus, found from this source file's own path. */
static void corpus_dir(char *out, size_t len)
{
	const char *me = __FILE__;
	const char *slash = strrchr(me, '/');
	int dirlen = slash ? (int)(slash - me + 1) : 0;

	snprintf(out, len, "%.*sfuzz/corpus", dirlen, me);
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
	unsigned inputs = 0, runs = 0;
	DIR *d;
	struct dirent *e;

	corpus_dir(dir, sizeof(dir));
	d = opendir(dir);
	if (!d)
		fail_msg("cannot open the corpus %s", dir);
	while ((e = readdir(d)) != NULL) {
		char path[8192], label[8300];
		size_t len;
		uint8_t *buf;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		snprintf(label, sizeof(label), "input %s", path);
		buf = read_whole(path, &len);
		runs += fuzz_zone_run(buf, len, (int)th_policy(state), label) == 0;
		free(buf);
		inputs++;
	}
	closedir(d);
	print_message("fuzz_zone: replayed %u of %u inputs from %s under %s%s\n",
		      runs, inputs, dir, th_policy_str(state),
		      runs < inputs ? " (it rejects the others' configurations)"
				    : "");
	/* the committed corpus: 13 seeds and 163 inputs of the first target */
	assert_true(inputs >= 176);
	assert_true(runs >= 20);
}

/* Inputs too short to hold a configuration are accepted and do nothing. */
static void empty_and_short_inputs(void **state)
{
	static const uint8_t one[1] = { 0xff };

	(void)state;
	assert_int_equal(fuzz_zone_run(NULL, 0, -1, NULL), 0);
	assert_int_equal(fuzz_zone_run(one, sizeof(one), -1, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		th_policy_test(corpus_replays_clean),
		cmocka_unit_test(empty_and_short_inputs),
	};

	return th_run_policy_group("fuzz_corpus", tests);
}
