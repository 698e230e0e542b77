/* SPDX-License-Identifier: MIT */
/*
 * The `pagealloc` command: the lab.  Dispatches to one subcommand per file
 * (commands.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "pagealloc.h"

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{ "capture", cmd_capture,
	  "record the running kernel's page-allocator events (root)" },
	{ "replay", cmd_replay,
	  "replay traces through the policies and compare them" },
	{ "run", cmd_run, "run a built-in synthetic scenario (--list)" },
	{ "zram", cmd_zram, "compressed page store over zsmalloc" },
	{ "calibrate", cmd_calibrate,
	  "measure the virtual-time cost model on this machine" },
	{ "compare", cmd_compare, "two --json results side by side, with ratios" },
	{ "mix", cmd_mix, "a trace's allocation rates, order mix and lifetimes by class" },
	{ "convert", cmd_convert,
	  "parse a trace once into the binary form replay reads fast" },
};

#define NCMDS (sizeof(subcommands) / sizeof(subcommands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: pagealloc [--version] [--help] COMMAND [ARGS]\n\n"
		"The Linux page allocator in user space: try allocator policies on\n"
		"real kernel traces and synthetic workloads.\n\ncommands:\n");
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  %-8s %s\n", subcommands[i].name,
			subcommands[i].summary);
	fprintf(f, "\n`pagealloc help COMMAND` or `pagealloc COMMAND --help` for "
		"its options.\nExit status: 0 ok, 1 failure, 2 usage error or "
		"unreadable input.\n");
}

static const struct subcommand *find(const char *name)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (strcmp(subcommands[i].name, name) == 0)
			return &subcommands[i];
	return NULL;
}

/* Help, --version and --list print and return 0 without looking at
 * stdout: on a full device that was a silent success with nothing shown. */
static int stdout_verdict(int rc)
{
	int err = fflush(stdout) ? errno : 0;

	if (rc != 0 || (!err && !ferror(stdout)))
		return rc;
	fprintf(stderr, "pagealloc: cannot write to stdout: %s\n",
		err ? strerror(err) : "a write failed");
	return 1;
}

static int dispatch(int argc, char **argv)
{
	const struct subcommand *c;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("pagealloc %d.%d\n", PA_VERSION_MAJOR, PA_VERSION_MINOR);
		return 0;
	}
	if (!strcmp(argv[1], "help")) {
		char *hargv[] = { NULL, "--help", NULL };

		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		c = find(argv[2]);
		if (!c) {
			fprintf(stderr, "pagealloc: no command \"%s\"\n", argv[2]);
			return 2;
		}
		hargv[0] = argv[2];
		return c->fn(2, hargv);
	}
	c = find(argv[1]);
	if (!c) {
		fprintf(stderr, "pagealloc: unknown command \"%s\"\n\n", argv[1]);
		usage(stderr);
		return 2;
	}
	return c->fn(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	return stdout_verdict(dispatch(argc, argv));
}
