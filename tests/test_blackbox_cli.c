/* SPDX-License-Identifier: MIT */
/*
 * test_blackbox_cli.c - black-box checks of the `pagealloc` command as a
 * user runs it (the built binary, through sh), written from its --help
 * texts only: every help form and --version exits 0 to a file and 1 to a
 * full device (the top-level help: "1 failure"); the help of every
 * command says how it exits, and `help COMMAND` prints what `COMMAND
 * --help` does; unknown commands and options exit 2; hostile option
 * values exit 2 with a message naming the option; missing inputs exit 2;
 * replay's damaged-input warning and --strict hold in virtual time too.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

static char dir[] = "/tmp/pa-bbcli-XXXXXX";
static char exe[PATH_MAX];

static const char *cmds[] = { "capture", "replay", "run", "zram",
			      "calibrate", "compare", "mix" };
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

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

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* Run `pagealloc ARGS` with stdout to `out` (a path; NULL: a file of the
 * scratch directory) and stderr to a file; its exit status, stderr's
 * text in *err (malloc()ed) when err is not NULL. */
static int cli(const char *args, const char *out, char **err)
{
	char cmd[4 * PATH_MAX + 1024], outp[PATH_MAX], errp[PATH_MAX];
	int st;

	snprintf(outp, sizeof(outp), "%s/out", dir);
	snprintf(errp, sizeof(errp), "%s/err", dir);
	(void)snprintf(cmd, sizeof(cmd), "'%s' %s >'%s' 2>'%s' </dev/null", exe, args,
		 out ? out : outp, errp);
	st = system(cmd);
	assert_true(WIFEXITED(st));
	if (err)
		*err = slurp(errp);
	return WEXITSTATUS(st);
}

static char *out_text(void)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/out", dir);
	return slurp(p);
}

/* Every help form exits 0 with its text on stdout, and 1 with a message
 * when stdout cannot take it. */
static void help_forms_and_full_stdout(void **state)
{
	char args[64], *e;
	(void)state;

	static const char *top[] = { "--help", "-h", "help", "--version",
				     "run --list" };
	for (unsigned i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
		assert_int_equal(cli(top[i], NULL, &e), 0);
		assert_string_equal(e, "");
		free(e);
		e = out_text();
		assert_true(strlen(e) > 0);
		free(e);
		if (cli(top[i], "/dev/full", &e) != 1)
			fail_msg("pagealloc %s >/dev/full: want exit 1", top[i]);
		assert_non_null(strstr(e, "stdout"));
		free(e);
	}
	for (unsigned i = 0; i < NCMDS; i++) {
		char *a, *b;

		snprintf(args, sizeof(args), "%s --help", cmds[i]);
		assert_int_equal(cli(args, NULL, NULL), 0);
		a = out_text();
		assert_true(strncmp(a, "usage: pagealloc ", 17) == 0);
		/* every command's help says how it exits */
		if (!strcasestr(a, "exit status") && strcmp(cmds[i], "calibrate"))
			fail_msg("%s --help says nothing of its exit status", cmds[i]);
		snprintf(args, sizeof(args), "help %s", cmds[i]);
		assert_int_equal(cli(args, NULL, NULL), 0);
		b = out_text();
		assert_string_equal(a, b);
		free(a);
		free(b);
		snprintf(args, sizeof(args), "%s --help", cmds[i]);
		if (cli(args, "/dev/full", NULL) != 1)
			fail_msg("pagealloc %s >/dev/full: want exit 1", args);
		snprintf(args, sizeof(args), "help %s", cmds[i]);
		assert_int_equal(cli(args, "/dev/full", NULL), 1);
		/* an unknown option exits 2 and is named on stderr */
		snprintf(args, sizeof(args), "%s --no-such-option", cmds[i]);
		assert_int_equal(cli(args, NULL, &e), 2);
		assert_non_null(strstr(e, "--no-such-option"));
		free(e);
	}
	assert_int_equal(cli("", NULL, NULL), 2);
	assert_int_equal(cli("no-such-command", NULL, NULL), 2);
	assert_int_equal(cli("help no-such-command", NULL, NULL), 2);
}

/* Hostile option values: exit 2 and a message naming the option. */
static void hostile_values(void **state)
{
	static const struct {
		const char *args, *names;
	} cases[] = {
		{ "run kernel-build --cpus 0", "--cpus" },
		{ "run kernel-build --cpus 1025", "--cpus" },
		{ "run kernel-build --cpus -1", "--cpus" },
		{ "run kernel-build --cpus 4294967297", "--cpus" },
		{ "run kernel-build --mem 0", "--mem" },
		{ "run kernel-build --mem -4G", "--mem" },
		{ "run kernel-build --mem 99999999999999999999T", "--mem" },
		{ "run kernel-build --mem 4Q", "--mem" },
		{ "run kernel-build --scale 0", "--scale" },
		{ "run kernel-build --scale nan", "--scale" },
		{ "run kernel-build --scale inf", "--scale" },
		{ "run kernel-build --seed 18446744073709551616", "--seed" },
		{ "run kernel-build --report-free 11", "--report-free" },
		{ "run kernel-build --policy nosuch", "nosuch" },
		{ "run kernel-build --policy mainline,", "policy" },
		{ "run kernel-build --policy mainline,mainline", "twice" },
		{ "run no-such-scenario", "no-such-scenario" },
		{ "zram /usr/share --chain 3", "--chain" },
		{ "zram /usr/share --chain 17", "--chain" },
		{ "zram /usr/share --limit 0", "--limit" },
		{ "zram /usr/share --algo lz5", "--algo" },
		{ "calibrate --runs 0", "--runs" },
		{ "replay /dev/null --warmup 0.5", "--warmup" },
		{ "replay /dev/null --virtual-time --warmup 2", "--warmup" },
		/* the usage's [--cold|--prefill]: both were accepted */
		{ "replay /dev/null --cold --prefill", "alternatives" },
		{ "replay /dev/null --prefill --cold --virtual-time", "--prefill" },
	};
	(void)state;

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *e;
		int rc = cli(cases[i].args, NULL, &e);

		if (rc != 2 || !strstr(e, cases[i].names))
			fail_msg("pagealloc %s: exit %d (want 2), stderr: %s",
				 cases[i].args, rc, e);
		free(e);
	}
}

/* Inputs that are missing, directories, empty or not traces: exit 2 with
 * the file named; an output in a missing directory: exit 2 before any
 * work. */
static void missing_and_bad_inputs(void **state)
{
	static const char *cases[] = {
		"replay /nonexistent/t.trace",
		"replay /tmp",
		"replay /dev/null",
		"mix /nonexistent/t.trace",
		"zram /nonexistent/f",
		"compare /nonexistent/a.json /nonexistent/b.json",
		"replay /dev/null --zoneinfo /nonexistent/z",
		"run kernel-build --json /nonexistent/d/o.json",
		"run kernel-build --html /nonexistent/d/o.html",
		"calibrate /nonexistent/d/cost",
	};
	(void)state;

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *e;
		int rc = cli(cases[i], NULL, &e);

		if (rc != 2 || !strstr(e, "/"))
			fail_msg("pagealloc %s: exit %d (want 2), stderr: %s",
				 cases[i], rc, e);
		free(e);
	}
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* replay's help: malformed lines are "reported on stderr", and --strict
 * exits 1 on them - in virtual time as well (it used to say nothing and
 * exit 0 there). */
static void damaged_input_in_both_modes(void **state)
{
	static const char *modes[] = { "", "--virtual-time --cpus 2" };
	char path[PATH_MAX], args[PATH_MAX + 128], *e;
	(void)state;

	snprintf(path, sizeof(path), "%s/bad.trace", dir);
	write_text(path,
		"          task-0     [001] .....  1.000001: mm_page_alloc: "
		"page=0000000007f5d2b9 pfn=0x100 order=0 migratetype=0 "
		"gfp_flags=GFP_KERNEL\n"
		"          task-0     [001] .....  1.000002: mm_page_alloc: "
		"page=0000000007f5d2b9 pfn=0x200 order=99 migratetype=0 "
		"gfp_flags=GFP_KERNEL\n"
		"          task-0     [001] .....  1.000003: mm_page_free: "
		"page=0000000007f5d2b9 pfn=0x100 order=0\n");
	for (unsigned i = 0; i < 2; i++) {
		snprintf(args, sizeof(args), "replay '%s' --quiet %s", path,
			 modes[i]);
		assert_int_equal(cli(args, NULL, &e), 0);
		if (!strstr(e, "malformed"))
			fail_msg("pagealloc %s: no warning on stderr: %s", args, e);
		free(e);
		snprintf(args, sizeof(args), "replay '%s' --quiet --strict %s",
			 path, modes[i]);
		if (cli(args, NULL, &e) != 1)
			fail_msg("pagealloc %s: want exit 1: %s", args, e);
		free(e);
	}
	/* an undamaged trace passes --strict in both modes */
	write_text(path,
		"          task-0     [001] .....  1.000001: mm_page_alloc: "
		"page=0000000007f5d2b9 pfn=0x100 order=0 migratetype=0 "
		"gfp_flags=GFP_KERNEL\n"
		"          task-0     [001] .....  1.000003: mm_page_free: "
		"page=0000000007f5d2b9 pfn=0x100 order=0\n");
	for (unsigned i = 0; i < 2; i++) {
		snprintf(args, sizeof(args), "replay '%s' --quiet --strict %s",
			 path, modes[i]);
		if (cli(args, NULL, &e) != 0)
			fail_msg("pagealloc %s: want exit 0: %s", args, e);
		assert_null(strstr(e, "malformed"));
		free(e);
	}
}

/* compare's help: the ratio is "-" when A is 0 (it printed "=" when B was
 * 0 too), and an error (here --policy naming a policy not in both files)
 * exits 2 with nothing on stdout (it printed the header first). */
static void compare_zero_ratio_and_clean_error(void **state)
{
	char a[PATH_MAX], b[PATH_MAX], args[3 * PATH_MAX], *e, *o, *line;
	(void)state;

	snprintf(a, sizeof(a), "%s/a.json", dir);
	snprintf(b, sizeof(b), "%s/b.json", dir);
	write_text(a, "{\"policies\": [{\"name\": \"mainline\", \"figures\": "
		   "{\"zero_both\": 0, \"zero_a\": 0, \"two\": 2}}]}\n");
	write_text(b, "{\"policies\": [{\"name\": \"mainline\", \"figures\": "
		   "{\"zero_both\": 0, \"zero_a\": 5, \"two\": 4}},"
		   " {\"name\": \"spb\", \"figures\": {\"two\": 1}}]}\n");
	snprintf(args, sizeof(args), "compare '%s' '%s'", a, b);
	assert_int_equal(cli(args, NULL, NULL), 0);
	o = out_text();
	for (line = strtok(o, "\n"); line; line = strtok(NULL, "\n")) {
		if (strstr(line, "zero_both") || strstr(line, "zero_a"))
			assert_non_null(strstr(line, " -"));
		if (strstr(line, " zero_") && strchr(line, '='))
			fail_msg("compare: \"=\" where the help says \"-\": %s", line);
		if (strstr(line, " two "))
			assert_non_null(strstr(line, "2.000x"));
	}
	free(o);
	snprintf(args, sizeof(args), "compare '%s' '%s' --policy spb", a, b);
	assert_int_equal(cli(args, NULL, &e), 2);
	assert_non_null(strstr(e, "spb"));
	free(e);
	o = out_text();
	if (*o)
		fail_msg("compare --policy spb (only in B): stdout not empty: %s", o);
	free(o);
}

/* mix, as replay, refuses an input with no page event (it printed a table
 * of zeros and exited 0) and an unknown option (it tried to open it as a
 * trace): both exit 2, with stdout empty. */
static void mix_empty_input_and_unknown_option(void **state)
{
	char path[PATH_MAX], args[PATH_MAX + 64], *e, *o;
	(void)state;

	snprintf(path, sizeof(path), "%s/empty.trace", dir);
	write_text(path, "");
	for (unsigned i = 0; i < 2; i++) {
		snprintf(args, sizeof(args), "%s '%s'", i ? "mix" : "replay", path);
		if (cli(args, NULL, &e) != 2 || !strstr(e, "empty"))
			fail_msg("pagealloc %s: want exit 2 naming an empty input: %s",
				 args, e);
		free(e);
	}
	o = out_text();
	assert_string_equal(o, "");
	free(o);
	assert_int_equal(cli("mix --bogus", NULL, &e), 2);
	assert_non_null(strstr(e, "unrecognized option"));
	assert_null(strstr(e, "No such file"));
	free(e);
	o = out_text();
	assert_string_equal(o, "");
	free(o);
}

/* capture's help: 2 is a usage error.  A malformed --pid or --cpus list
 * (or a CPU the machine does not have) exited 1 after asking tracefs; it
 * is refused first, so as any user, with OUT not written. */
static void capture_bad_filters_are_usage_errors(void **state)
{
	static const char *const bad[][2] = {
		{ "--pid abc", "--pid" }, { "--pid 12,", "--pid" },
		{ "--pid -1", "--pid" }, { "--pid 4194304", "--pid" },
		{ "--cpus 9999", "--cpus" }, { "--cpus 1-0", "--cpus" },
		{ "--cpus 0,x", "--cpus" }, { "--cpus ''", "--cpus" },
	};
	char out[PATH_MAX], args[2 * PATH_MAX], *e;
	(void)state;

	snprintf(out, sizeof(out), "%s/cap.trace.zst", dir);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc;

		snprintf(args, sizeof(args), "capture '%s' %s -- true", out,
			 bad[i][0]);
		rc = cli(args, NULL, &e);
		if (rc != 2 || !strstr(e, bad[i][1]))
			fail_msg("pagealloc %s: exit %d (want 2), stderr: %s", args,
				 rc, e);
		free(e);
		assert_int_not_equal(access(out, F_OK), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(help_forms_and_full_stdout),
		cmocka_unit_test(hostile_values),
		cmocka_unit_test(missing_and_bad_inputs),
		cmocka_unit_test(damaged_input_in_both_modes),
		cmocka_unit_test(compare_zero_ratio_and_clean_error),
		cmocka_unit_test(mix_empty_input_and_unknown_option),
		cmocka_unit_test(capture_bad_filters_are_usage_errors),
	};
	return cmocka_run_group_tests_name("blackbox_cli", tests, setup,
					   teardown);
}
