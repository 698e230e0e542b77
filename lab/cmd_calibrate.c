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
	FILE *out = stdout;
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
	if (calibrate_run(&m, (unsigned)runs, stderr) < 0) {
		fprintf(stderr, "pagealloc calibrate: out of memory\n");
		return 1;
	}
	if (optind < argc && !(out = fopen(argv[optind], "w"))) {
		fprintf(stderr, "pagealloc calibrate: %s: %s\n", argv[optind],
			strerror(errno));
		return 1;
	}
	rc = costmodel_write(&m, out);
	if (out != stdout && fclose(out) != 0)
		rc = -EIO;
	if (rc) {
		fprintf(stderr, "pagealloc calibrate: write error\n");
		return 1;
	}
	if (out != stdout)
		fprintf(stderr, "pagealloc calibrate: cost model written to %s\n",
			argv[optind]);
	return 0;
}
