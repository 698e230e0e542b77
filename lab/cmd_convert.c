/* SPDX-License-Identifier: MIT */
/*
 * `pagealloc convert TRACE [-o FILE.paev]`: parse a trace once into the
 * binary event form (trace_bin.h) that replay reads without parsing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "outfile.h"
#include "trace_bin.h"
#include "zoneinfo.h"

static void convert_usage(FILE *f)
{
	fprintf(f,
"usage: pagealloc convert TRACE [-o FILE.paev]\n"
"\n"
"Parse a trace once into pagealloc's binary event form, which `pagealloc\n"
"replay` reads instead of the text: a capture replayed many times (other\n"
"policies, sizes, options) skips decompression and parsing.  Its replay\n"
"prints the same report as the trace's own (the JSON's inputs entry names\n"
"the trace it came from, with that trace's size and CRC-32).\n"
"\n"
"TRACE is anything replay reads (ftrace, trace-cmd or perf script text,\n"
"plain, zstd or gzip; a trace.dat; \"-\" for stdin).  The file keeps every\n"
"page event, the counts of the other lines (comments, other events, lost\n"
"events, malformed lines), and an XXH3-64 checksum; replay refuses a file\n"
"that fails its checks.\n"
"\n"
"  -o, --output FILE  where to write [TRACE's name with .trace.zst,\n"
"                  .trace.gz, .trace or .txt replaced by .paev]\n"
"\n"
"Replay looks for NAME.zoneinfo beside NAME.paev as beside a trace; when\n"
"it is elsewhere, give --zoneinfo.\n"
"\n"
"Exit status: 0 ok; 1 the output could not be written; 2 usage error, or an\n"
"input that is unreadable, corrupt, not a trace, or holds no page event.\n");
}

/* Say where the zoneinfo is when the replay of dst will not find it. */
static void zoneinfo_note(const char *src, const char *dst)
{
	char zs[4096], zd[4096];

	if (zoneinfo_beside(src, zs, sizeof(zs)) == 0 &&
	    zoneinfo_beside(dst, zd, sizeof(zd)) != 0)
		fprintf(stderr, "pagealloc convert: note: %s is not beside %s: "
			"replay it with --zoneinfo %s (or copy it there)\n", zs,
			dst, zs);
}

int cmd_convert(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct trace_bin_info info;
	char dflt[4096], err[700];
	const char *dst = NULL;
	bool out_failed;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': dst = optarg; break;
		case 'h': convert_usage(stdout); return 0;
		default: convert_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "pagealloc convert: %s\n", optind >= argc ?
			"no trace given" : "one trace at a time");
		convert_usage(stderr);
		return 2;
	}
	if (!dst) {
		if (!strcmp(argv[optind], "-")) {
			fprintf(stderr, "pagealloc convert: stdin needs -o FILE\n");
			return 2;
		}
		if (trace_stem(argv[optind], dflt, sizeof(dflt) - 5) < 0) {
			fprintf(stderr, "pagealloc convert: name too long\n");
			return 2;
		}
		strcat(dflt, ".paev");
		dst = dflt;
	}
	if (outfile_check_all("convert", (const char *[]){ dst }, 1))
		return 2;
	rc = trace_bin_convert(argv[optind], dst, &info, &out_failed, err,
			       sizeof(err));
	if (rc) {
		fprintf(stderr, "pagealloc convert: %s\n", err);
		return out_failed ? 1 : 2;
	}
	printf("%s: %llu events of %llu lines from %s\n", dst,
	       (unsigned long long)info.lines.events,
	       (unsigned long long)info.lines.lines, argv[optind]);
	zoneinfo_note(argv[optind], dst);
	return outfile_stdout_done("convert");
}
