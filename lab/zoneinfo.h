/* SPDX-License-Identifier: MIT */
/*
 * zoneinfo - the few figures of a /proc/zoneinfo the replay needs to size
 * its simulated machine like the traced one: the zone's managed pages and
 * its per-CPU pageset settings (batch, high_min, high_max) and CPU count.
 */
#ifndef PA_LAB_ZONEINFO_H
#define PA_LAB_ZONEINFO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct zoneinfo {
	char zone[16];       /* zone name, e.g. "Normal" */
	int node;
	uint64_t managed;    /* pages */
	uint64_t present, spanned, start_pfn;
	uint64_t free;       /* "pages free" when it was taken */
	uint64_t wmark_min, wmark_low, wmark_high;
	unsigned ncpus;      /* "cpu:" entries in its pagesets */
	unsigned batch, high_min, high_max; /* of its first CPU; 0 if absent */
	/* pages each CPU's pageset held ("count:"), for the first CPUs */
#define ZONEINFO_MAX_CPUS 256
	unsigned pcp_count[ZONEINFO_MAX_CPUS];
	/* and each one's auto-tuned high then ("high:"; 0 if absent) */
	unsigned pcp_high[ZONEINFO_MAX_CPUS];
	/* the whole text as read, for the JSON's record of its inputs */
	uint64_t bytes;
	uint32_t crc32;      /* zlib's */
};

/* Bounds a zoneinfo must respect (the reader stops beyond them, so
 * `--zoneinfo /dev/zero` or a huge file cannot hang it). */
#define ZONEINFO_MAX_BYTES (64ull << 20)
#define ZONEINFO_MAX_BYTES_STR "64 MiB"
#define ZONEINFO_MAX_PAGES (1ull << 32)  /* 16 TiB: the replay's zone limit */
#define ZONEINFO_MAX_NCPUS 8192u         /* the kernel's largest NR_CPUS */

/*
 * Parse a zoneinfo text and pick a zone: `zone` by name (e.g. "Normal"),
 * or when NULL the Normal zone if it manages pages, else the zone that
 * manages most.  Returns 0, -ENOENT when no such zone (or none manages any
 * page), -EINVAL when the text is not a zoneinfo (binary, larger than
 * ZONEINFO_MAX_BYTES, or a figure of the chosen zone out of the kernel's
 * range: managed above ZONEINFO_MAX_PAGES or present, a watermark, batch,
 * high or count above managed, more than ZONEINFO_MAX_NCPUS pagesets), or
 * when a key it reads has a value that is not a plain decimal number (-5,
 * 12kB) or a per-CPU figure above 2^32-1 in any zone; reason in err.
 */
int zoneinfo_parse(FILE *f, const char *zone, struct zoneinfo *out,
		   char *err, size_t len);

/* As zoneinfo_parse() on a file; -errno when it cannot be opened. */
int zoneinfo_read(const char *path, const char *zone, struct zoneinfo *out,
		  char *err, size_t len);

/*
 * The zoneinfo file that goes with a trace: for "DIR/NAME.trace.zst" (or
 * .trace.gz, .trace, .txt, and a converted DIR/NAME.paev) the first
 * existing of DIR/NAME.zoneinfo and TRACE.zoneinfo.  Returns 0 and writes
 * the path, or -ENOENT.
 */
int zoneinfo_beside(const char *trace, char *out, size_t len);

/* The DIR/NAME part of such a trace's path, which its companion files
 * share.  Returns 0, or -ENAMETOOLONG when out (len bytes) cannot hold it. */
int trace_stem(const char *trace, char *out, size_t len);

#endif
