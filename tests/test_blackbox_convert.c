/* SPDX-License-Identifier: MIT */
/*
 * test_blackbox_convert.c - black-box checks of `pagealloc convert` and of
 * replay's reading of .paev files, from `pagealloc convert --help` only:
 * "-" reads the trace from stdin; an output that cannot be written exits 1;
 * an empty, cut-short or re-converted .paev is refused with exit 2.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

static char dir[] = "/tmp/pa-bbconv-XXXXXX";
static char exe[PATH_MAX];

static int setup(void **state)
{
	(void)state;
	if (th_pagealloc_exe(exe, sizeof(exe)) != 0)
		return -1;
	return th_tmpdir_make(dir);
}

static int teardown(void **state)
{
	(void)state;
	return th_tmpdir_remove(dir);
}

/* `cd DIR && SHELL-COMMAND`, its exit status. */
static int in_dir(const char *what)
{
	char cmd[3 * PATH_MAX + 512];
	int st;

	(void)snprintf(cmd, sizeof(cmd), "cd '%s' && %s", dir, what);
	st = system(cmd);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/* `cd DIR && pagealloc ARGS`, its exit status. */
static int cli(const char *args)
{
	char cmd[2 * PATH_MAX + 512];

	(void)snprintf(cmd, sizeof(cmd), "'%s' %s >/dev/null 2>&1", exe, args);
	return in_dir(cmd);
}

static void write_trace(const char *name)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	for (unsigned i = 0; i < 200; i++) {
		fprintf(f, "  cc1-1 [000] ..... 1.%06u: mm_page_alloc: page=0 "
			"pfn=0x%x order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE\n",
			i * 10, 0x10000 + i);
		if (i % 2)
			fprintf(f, "  cc1-1 [000] ..... 1.%06u: mm_page_free: page=0 "
				"pfn=0x%x order=0\n", i * 10 + 5, 0x10000 + i);
	}
	fclose(f);
}

static void convert_stdin_and_refusals(void **state)
{
	(void)state;
	write_trace("t.trace");
	assert_int_equal(cli("convert t.trace -o t.paev"), 0);
	assert_int_equal(cli("replay t.paev --quiet --mem 64M"), 0);
	assert_int_equal(cli("convert - -o s.paev < t.trace"), 0);
	assert_int_equal(cli("replay s.paev --quiet --mem 64M"), 0);
	assert_int_equal(cli("convert t.trace -o /dev/full"), 1);
	assert_int_equal(in_dir(": > e.paev"), 0);
	assert_int_equal(cli("replay e.paev --quiet --mem 64M"), 2);
	assert_int_equal(cli("convert t.paev -o again.paev"), 2);
}

static void cut_short_paev_refused(void **state)
{
	char args[PATH_MAX];

	(void)state;
	write_trace("c.trace");
	assert_int_equal(cli("convert c.trace -o c.paev"), 0);
	for (unsigned n = 0; n < 4; n++) {
		snprintf(args, sizeof(args), "head -c %u c.paev > cut.paev",
			 10 + n * 300);
		assert_int_equal(in_dir(args), 0);
		assert_int_equal(cli("replay cut.paev --quiet --mem 64M"), 2);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(convert_stdin_and_refusals),
		cmocka_unit_test(cut_short_paev_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
