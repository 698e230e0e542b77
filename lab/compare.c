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
#include <stdbool.h>
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
"each file's version, title, inputs (the traces, the zoneinfo and the\n"
"pagetypeinfo or buddyinfo of the warm start, with size and CRC-32), a\n"
"line \"DIFFERENT INPUTS: ...\" naming those that differ (or \"same\n"
"inputs\") and whether each comparison with the kernel was reliable.\n"
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

/* The files beside the traces that shaped the start, by JSON key. */
static const char *const side_inputs[] = { "zoneinfo", "pagetypeinfo",
					   "buddyinfo" };

static void describe(const char *tag, const char *path, json_t *j)
{
	json_t *t = json_object_get(j, "trace"), *in, *rel;
	char key[32];
	size_t i;

	printf("%s: %s (%s, %s: %s)\n", tag, path, str_or(j, "version", "version ?"),
	       str_or(j, "what", "?"), str_or(j, "title", "?"));
	if (!t)
		return;
	json_array_foreach(json_object_get(t, "inputs"), i, in)
		printf("   input %s, %lld bytes, crc32 %lld\n", str_or(in, "path", "?"),
		       json_integer_value(json_object_get(in, "bytes")),
		       json_integer_value(json_object_get(in, "crc32")));
	for (i = 0; i < sizeof(side_inputs) / sizeof(side_inputs[0]); i++) {
		const char *k = side_inputs[i], *p = str_or(t, k, NULL);

		if (!p)
			continue;
		snprintf(key, sizeof(key), "%s_bytes", k);
		printf("   %s %s, %lld bytes", k, p,
		       json_integer_value(json_object_get(t, key)));
		snprintf(key, sizeof(key), "%s_crc32", k);
		printf(", crc32 %lld\n", json_integer_value(json_object_get(t, key)));
	}
	rel = json_object_get(t, "kernel_comparison_reliable");
	if (json_is_false(rel))
		printf("   UNRELIABLE comparison with the kernel: %s\n",
		       str_or(t, "unreliable_because", "?"));
}

/* The CRC-32s of the traces, in order, as one comparable string. */
static void trace_crcs(json_t *t, char *buf, size_t len)
{
	json_t *in;
	size_t i, n = 0;

	buf[0] = 0;
	json_array_foreach(json_object_get(t, "inputs"), i, in)
		if (n < len)
			n += (size_t)snprintf(buf + n, len - n, "%lld ",
				json_integer_value(json_object_get(in, "crc32")));
}

/* Whether A and B read the same input KEY: both without it, or both
 * with the same CRC-32 and size. */
static bool same_side_input(json_t *ta, json_t *tb, const char *k)
{
	char key[32];
	bool ha = str_or(ta, k, NULL) != NULL, hb = str_or(tb, k, NULL) != NULL;

	if (ha != hb)
		return false;
	for (int f = 0; ha && f < 2; f++) {
		snprintf(key, sizeof(key), "%s_%s", k, f ? "crc32" : "bytes");
		if (json_integer_value(json_object_get(ta, key)) !=
		    json_integer_value(json_object_get(tb, key)))
			return false;
	}
	return true;
}

/* One line saying whether the two results replayed the same inputs (by
 * CRC-32 and size, not name): if not, their differences may come from
 * the inputs rather than from the options or the version. */
static void same_inputs(json_t *a, json_t *b)
{
	json_t *ta = json_object_get(a, "trace"), *tb = json_object_get(b, "trace");
	char ca[512], cb[512], diff[128] = "";
	size_t n = 0;

	if (!ta || !tb)
		return;
	trace_crcs(ta, ca, sizeof(ca));
	trace_crcs(tb, cb, sizeof(cb));
	if (strcmp(ca, cb))
		n += (size_t)snprintf(diff, sizeof(diff), " traces");
	for (size_t i = 0; i < sizeof(side_inputs) / sizeof(side_inputs[0]); i++)
		if (!same_side_input(ta, tb, side_inputs[i]) && n < sizeof(diff))
			n += (size_t)snprintf(diff + n, sizeof(diff) - n, " %s",
					      side_inputs[i]);
	if (n)
		printf("DIFFERENT INPUTS:%s (A and B did not read the same files)\n",
		       diff);
	else
		printf("same inputs (traces, zoneinfo, pagetypeinfo, buddyinfo by "
		       "CRC-32 and size)\n");
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

/* Whether A's policy p is one to show: in B too, and NAME when one was
 * given.  Its figures in B, or NULL. */
static json_t *shown(json_t *p, json_t *b, const char *only)
{
	const char *name = str_or(p, "name", "");

	if (only && strcmp(only, name))
		return NULL;
	return policy(b, name);
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
		else	/* the help's promise: "-" whenever A is 0, B too */
			snprintf(ratio, sizeof(ratio), "-");
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
	/* count before printing: an error leaves stdout empty */
	json_array_foreach(json_object_get(a, "policies"), i, p)
		common += shown(p, b, only) != NULL;
	if (!common) {
		fprintf(stderr, "pagealloc compare: no policy%s%s in both files\n",
			only ? " " : "", only ? only : "");
		json_decref(a);
		json_decref(b);
		return 2;
	}
	describe("A", argv[optind], a);
	describe("B", argv[optind + 1], b);
	same_inputs(a, b);
	json_array_foreach(json_object_get(a, "policies"), i, p) {
		json_t *fb = shown(p, b, only);

		if (fb)
			table(str_or(p, "name", ""), json_object_get(p, "figures"), fb);
	}
	if (outfile_stdout_done("compare"))
		rc = 1;
	json_decref(a);
	json_decref(b);
	return rc;
}
