/* SPDX-License-Identifier: MIT */
/*
 * `pagealloc compare A.json B.json`: two results of `replay --json` or
 * `run --json` side by side, figure by figure, with the ratio B / A, for
 * every policy both hold.  The JSON is read with jansson.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "outfile.h"

static void compare_usage(FILE *f)
{
	fprintf(f,
"usage: pagealloc compare A.json B.json [--policy NAME]\n"
"       (either file may be \"-\": stdin)\n"
"\n"
"Put two results of `pagealloc replay --json` or `pagealloc run --json`\n"
"side by side: for every policy in both (or only NAME), every figure of A\n"
"with B's value and the ratio B / A (\"-\" when A is 0).  Above the table:\n"
"each file's version, title, inputs (size and CRC-32) and whether its\n"
"comparison with the kernel was reliable.\n"
"\n"
"Exit status: 0 ok, 1 stdout cannot be written, 2 usage error, a file that\n"
"is unreadable or not such a result, or no policy in common.\n");
}

/* "-" is stdin; a directory is named as such (jansson would read it as
 * an empty file: "'[' or '{' expected near end of file"). */
static json_t *load(const char *path)
{
	json_error_t e;
	struct stat st;
	json_t *j;

	if (strcmp(path, "-") && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		fprintf(stderr, "pagealloc compare: %s: a directory, want a result of "
			"--json\n", path);
		return NULL;
	}
	j = strcmp(path, "-") ? json_load_file(path, 0, &e) : json_loadf(stdin, 0, &e);
	if (!j) {
		if (e.line < 1) /* not a syntax error: no position to give */
			fprintf(stderr, "pagealloc compare: %s\n", e.text);
		else
			fprintf(stderr, "pagealloc compare: %s: line %d: %s\n",
				path, e.line, e.text);
		return NULL;
	}
	if (!json_is_array(json_object_get(j, "policies"))) {
		fprintf(stderr, "pagealloc compare: %s: not a pagealloc result (no "
			"\"policies\" array)\n", path);
		json_decref(j);
		return NULL;
	}
	return j;
}

static const char *str_or(json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : dflt;
}

static void describe(const char *tag, const char *path, json_t *j)
{
	json_t *t = json_object_get(j, "trace"), *in, *rel;
	size_t i;

	printf("%s: %s (%s, %s: %s)\n", tag, path, str_or(j, "version", "version ?"),
	       str_or(j, "what", "?"), str_or(j, "title", "?"));
	if (!t)
		return;
	json_array_foreach(json_object_get(t, "inputs"), i, in)
		printf("   input %s, %lld bytes, crc32 %lld\n", str_or(in, "path", "?"),
		       json_integer_value(json_object_get(in, "bytes")),
		       json_integer_value(json_object_get(in, "crc32")));
	rel = json_object_get(t, "kernel_comparison_reliable");
	if (json_is_false(rel))
		printf("   UNRELIABLE comparison with the kernel: %s\n",
		       str_or(t, "unreliable_because", "?"));
}

static json_t *policy(json_t *j, const char *name)
{
	json_t *p;
	size_t i;

	json_array_foreach(json_object_get(j, "policies"), i, p)
		if (!strcmp(str_or(p, "name", ""), name))
			return json_object_get(p, "figures");
	return NULL;
}

static void table(const char *name, json_t *fa, json_t *fb)
{
	const char *key;
	json_t *va;

	printf("\n%-44s %14s %14s %9s\n", name, "A", "B", "B / A");
	json_object_foreach(fa, key, va) {
		json_t *vb = json_object_get(fb, key);
		double a = json_number_value(va), b = json_number_value(vb);
		char ratio[32];

		if (!json_is_number(va) || !json_is_number(vb))
			continue;
		if (a != 0)
			snprintf(ratio, sizeof(ratio), "%.3fx", b / a);
		else
			snprintf(ratio, sizeof(ratio), "%s", b == 0 ? "=" : "-");
		printf("  %-42s %14.6g %14.6g %9s\n", key, a, b, ratio);
	}
}

int cmd_compare(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *only = NULL;
	json_t *a, *b, *p;
	unsigned common = 0;
	size_t i;
	int c, rc = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': only = optarg; break;
		case 'h': compare_usage(stdout); return 0;
		default: compare_usage(stderr); return 2;
		}
	}
	if (argc - optind != 2) {
		compare_usage(stderr);
		return 2;
	}
	if (!strcmp(argv[optind], "-") && !strcmp(argv[optind + 1], "-")) {
		fprintf(stderr, "pagealloc compare: stdin (\"-\") can be only one of "
			"the two\n");
		return 2;
	}
	a = load(argv[optind]);
	b = a ? load(argv[optind + 1]) : NULL;
	if (!a || !b) {
		json_decref(a);
		return 2;
	}
	describe("A", argv[optind], a);
	describe("B", argv[optind + 1], b);
	json_array_foreach(json_object_get(a, "policies"), i, p) {
		const char *name = str_or(p, "name", "");
		json_t *fb = policy(b, name);

		if ((only && strcmp(only, name)) || !fb)
			continue;
		table(name, json_object_get(p, "figures"), fb);
		common++;
	}
	if (!common) {
		fprintf(stderr, "pagealloc compare: no policy%s%s in both files\n",
			only ? " " : "", only ? only : "");
		rc = 2;
	}
	if (outfile_stdout_done("compare"))
		rc = 1;
	json_decref(a);
	json_decref(b);
	return rc;
}
