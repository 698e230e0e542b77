/* SPDX-License-Identifier: MIT */
/*
 * `pagealloc calibrate [FILE]`: measure the virtual-time cost model on
 * this machine and write it where `--cost-model FILE` reads it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calibrate.h"
#include "commands.h"
#include "outfile.h"

static void calibrate_usage(FILE *f)
{
	fprintf(f,
"usage: pagealloc calibrate [FILE] [--runs N]\n"
"\n"
"Measure the virtual-time cost model (docs/VTIME.md) with the library's own\n"
"operations on this machine and write it to FILE (default: stdout), for\n"
"`pagealloc run|replay ... --virtual-time --cost-model FILE`.  A few seconds.\n"
"\n"
"  --runs N   interleaved repetitions, medians taken [5]\n");
}

int cmd_calibrate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "runs", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct costmodel m = costmodel_default();
	unsigned long runs = 5;
	char *end;
	const char *file;
	struct outfile out;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			runs = strtoul(optarg, &end, 10);
			if (*end || !runs || runs > 15) {
				fprintf(stderr, "pagealloc calibrate: --runs: want 1..15\n");
				return 2;
			}
			break;
		case 'h': calibrate_usage(stdout); return 0;
		default: calibrate_usage(stderr); return 2;
		}
	}
	if (argc - optind > 1) {
		calibrate_usage(stderr);
		return 2;
	}
	file = optind < argc ? argv[optind] : NULL;
	if (file && outfile_check_all("calibrate", &file, 1))
		return 2;
	if (calibrate_run(&m, (unsigned)runs, stderr) < 0) {
		fprintf(stderr, "pagealloc calibrate: out of memory\n");
		return 1;
	}
	if (!file) {
		costmodel_write(&m, stdout);
		return outfile_stdout_done("calibrate");
	}
	rc = outfile_open(&out, file);
	if (!rc) {
		costmodel_write(&m, out.f);
		rc = outfile_commit(&out);
	}
	if (rc) {
		fprintf(stderr, "pagealloc calibrate: %s: %s\n", file, strerror(-rc));
		return 1;
	}
	fprintf(stderr, "pagealloc calibrate: cost model written to %s\n", file);
	return 0;
}
