/* SPDX-License-Identifier: MIT */
/*
 * /proc/zoneinfo reader.  The file is a list of "Node N, zone NAME"
 * sections; inside, "key value" lines and a "pagesets" list of "cpu: N"
 * blocks.  Only the keys the replay needs are kept.
 */
#include "zoneinfo.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* Whether line is "KEY value"; a value that is not a decimal number alone
 * on its line (-5, 12kB) sets *bad to the key: a figure the kernel could
 * not have written is an error, not a line to skip (skipping "managed -5"
 * sized the machine from another zone). */
static bool key_value(const char *line, const char *key, uint64_t *v,
		      const char **bad)
{
	size_t n = strlen(key);
	char *end;

	while (*line == ' ' || *line == '\t')
		line++;
	if (strncmp(line, key, n) != 0 || (line[n] != ' ' && line[n] != ':'))
		return false;
	line += n;
	while (*line == ' ' || *line == ':')
		line++;
	if (*line < '0' || *line > '9') {
		*bad = key;
		return true;
	}
	errno = 0;
	*v = strtoull(line, &end, 10);
	if (errno == ERANGE)
		*v = UINT64_MAX; /* caught by check_ranges() */
	if (end[strspn(end, " \t\r\n")])
		*bad = key;
	return true;
}

/* A per-CPU figure kept in 32 bits: a larger one would wrap (batch
 * 4294967359 read as 63), so it is refused. */
static unsigned u32_of(uint64_t v, const char *key, const char **bad)
{
	if (v > UINT32_MAX) {
		*bad = key;
		return UINT32_MAX;
	}
	return (unsigned)v;
}

/* The kernel's own bounds, so a corrupt or foreign file cannot size a
 * machine of 2^64 pages or a pageset larger than the zone. */
static int check_ranges(const struct zoneinfo *z, char *err, size_t len)
{
	const char *what = NULL;

	if (z->managed > ZONEINFO_MAX_PAGES)
		what = "managed";
	else if (z->present && z->managed > z->present)
		what = "managed (above present)";
	else if (z->wmark_min > z->managed || z->wmark_low > z->managed ||
		 z->wmark_high > z->managed)
		what = "a watermark (above managed)";
	else if (z->ncpus > ZONEINFO_MAX_NCPUS)
		what = "the number of pagesets (cpu: entries)";
	else if (z->batch > z->managed || z->high_min > z->managed ||
		 z->high_max > z->managed)
		what = "a pageset's batch or high (above managed)";
	else if (z->high_max && z->high_min > z->high_max)
		what = "high_min (above high_max)";
	for (unsigned i = 0; !what && i < z->ncpus && i < ZONEINFO_MAX_CPUS; i++)
		if (z->pcp_count[i] > z->managed || z->pcp_high[i] > z->managed)
			what = "a pageset's count or high (above managed)";
	if (!what)
		return 0;
	if (err && len)
		snprintf(err, len, "zone %s: %s out of range (managed %llu): not "
			 "a zoneinfo this kernel could have written", z->zone, what,
			 (unsigned long long)z->managed);
	return -EINVAL;
}

/* One line of at most sizeof(buf)-1 bytes (longer lines are read in
 * pieces, which cannot match a key); false at end of input.  Binary input
 * (a NUL byte) and more than ZONEINFO_MAX_BYTES fail with *bad set. */
static bool next_line(FILE *f, char *buf, size_t size, uint64_t *total,
		      uint32_t *crc, const char **bad)
{
	size_t n;

	if (!fgets(buf, (int)size, f))
		return false;
	n = strlen(buf);
	/* fgets stops at '\n' or a full buffer: a shorter line without one
	 * ended early at a NUL byte, unless this is the end of the file */
	if (n + 1 < size && (n == 0 || buf[n - 1] != '\n') && !feof(f)) {
		*bad = "binary data (a NUL byte): not a zoneinfo";
		return false;
	}
	*total += n ? n : 1;
	*crc = (uint32_t)crc32(*crc, (const Bytef *)buf, (uInt)n);
	if (*total > ZONEINFO_MAX_BYTES) {
		*bad = "larger than any zoneinfo (" ZONEINFO_MAX_BYTES_STR "): not a zoneinfo";
		return false;
	}
	return true;
}

/* The reader's state over the whole file. */
struct zi_scan {
	const char *zone;            /* the zone asked for, or NULL */
	struct zoneinfo cur, best;   /* the zone being read, the pick */
	bool in_zone, have_best, any_zone, best_is_named;
	const char *bad;             /* the file as a whole is not one */
	const char *bad_key;         /* a key with an impossible value */
	char bad_zone[16], bad_line[64]; /* where bad_key was */
	uint64_t total;
	uint32_t crc;
};

/* The zone just read is the pick when it is the one named (without a
 * name: Normal with managed pages), else when nothing named was seen and
 * it manages the most pages. */
static void close_zone(struct zi_scan *z)
{
	bool named;

	if (!z->in_zone)
		return;
	named = z->zone ? strcmp(z->cur.zone, z->zone) == 0
			: strcmp(z->cur.zone, "Normal") == 0 && z->cur.managed > 0;
	if (named || (!z->zone && !z->best_is_named &&
		      z->cur.managed > z->best.managed)) {
		z->best = z->cur;
		z->have_best = true;
		z->best_is_named = named;
	}
}

static void open_zone(struct zi_scan *z, int node, const char *name)
{
	memset(&z->cur, 0, sizeof(z->cur));
	snprintf(z->cur.zone, sizeof(z->cur.zone), "%s", name);
	z->cur.node = node;
	z->in_zone = z->any_zone = true;
}

/* The zone's own figures; false when line is none of them. */
static bool zone_key(struct zoneinfo *cur, const char *line, const char **bad)
{
	if (key_value(line, "managed", &cur->managed, bad) ||
	    key_value(line, "present", &cur->present, bad) ||
	    key_value(line, "spanned", &cur->spanned, bad) ||
	    key_value(line, "start_pfn", &cur->start_pfn, bad))
		return true;
	/* watermarks come before the pagesets, whose "high" is the per-CPU
	 * limit */
	if (cur->ncpus == 0 &&
	    (key_value(line, "min", &cur->wmark_min, bad) ||
	     key_value(line, "low", &cur->wmark_low, bad) ||
	     key_value(line, "high", &cur->wmark_high, bad)))
		return true;
	return key_value(line, "pages free", &cur->free, bad);
}

/* The pagesets' figures: a "cpu: N" line opens each. */
static void pageset_key(struct zoneinfo *cur, const char *line,
			const char **bad)
{
	bool listed = cur->ncpus > 0 && cur->ncpus <= ZONEINFO_MAX_CPUS;
	uint64_t v = 0;

	if (key_value(line, "cpu", &v, bad)) {
		cur->ncpus++;
		return;
	}
	if (listed && key_value(line, "count", &v, bad)) {
		cur->pcp_count[cur->ncpus - 1] = u32_of(v, "count", bad);
		return;
	}
	if (listed && key_value(line, "high", &v, bad)) {
		cur->pcp_high[cur->ncpus - 1] = u32_of(v, "high", bad);
		return;
	}
	/* per-CPU values: keep the first CPU's */
	if (cur->ncpus == 1) {
		if (key_value(line, "batch", &v, bad))
			cur->batch = u32_of(v, "batch", bad);
		else if (key_value(line, "high_min", &v, bad))
			cur->high_min = u32_of(v, "high_min", bad);
		else if (key_value(line, "high_max", &v, bad))
			cur->high_max = u32_of(v, "high_max", bad);
	}
}

/* Where the impossible value was, for the message: its zone and line. */
static void note_bad_line(struct zi_scan *z, const char *line)
{
	const char *l = line + strspn(line, " \t");

	snprintf(z->bad_zone, sizeof(z->bad_zone), "%s", z->cur.zone);
	snprintf(z->bad_line, sizeof(z->bad_line), "%.*s",
		 (int)strcspn(l, "\r\n"), l);
}

/* The file read: its pick into *out, or why there is none. */
static int zi_result(struct zi_scan *z, struct zoneinfo *out, char *err,
		     size_t len)
{
	if (z->bad) {
		if (err && len)
			snprintf(err, len, "%s", z->bad);
		return -EINVAL;
	}
	if (z->bad_key) {
		if (err && len)
			snprintf(err, len, "zone %s: \"%s\" is not a figure this "
				 "kernel could have written (\"%s\"): not a zoneinfo",
				 z->bad_zone, z->bad_key, z->bad_line);
		return -EINVAL;
	}
	if (!z->any_zone) {
		if (err && len)
			snprintf(err, len, "not a /proc/zoneinfo (no \"Node N, zone NAME\" line)");
		return -EINVAL;
	}
	if (!z->have_best || (z->zone && !z->best_is_named) ||
	    z->best.managed == 0) {
		if (err && len)
			snprintf(err, len, "no zone %s with managed pages",
				 z->zone ? z->zone : "");
		return -ENOENT;
	}
	if (check_ranges(&z->best, err, len))
		return -EINVAL;
	z->best.bytes = z->total;
	z->best.crc32 = z->crc;
	*out = z->best;
	return 0;
}

int zoneinfo_parse(FILE *f, const char *zone, struct zoneinfo *out,
		   char *err, size_t len)
{
	struct zi_scan z;
	char line[512];

	memset(&z, 0, sizeof(z));
	z.zone = zone;
	z.crc = (uint32_t)crc32(0, Z_NULL, 0);
	for (;;) {
		bool eof;
		int node;
		char name[16];

		if (z.bad_key && !z.bad_line[0]) /* the line just read: named */
			note_bad_line(&z, line);
		eof = !next_line(f, line, sizeof(line), &z.total, &z.crc, &z.bad);
		if (eof || sscanf(line, "Node %d, zone %15s", &node, name) == 2) {
			close_zone(&z);
			if (eof)
				break;
			open_zone(&z, node, name);
			continue;
		}
		if (z.in_zone && !zone_key(&z.cur, line, &z.bad_key))
			pageset_key(&z.cur, line, &z.bad_key);
	}
	return zi_result(&z, out, err, len);
}

int zoneinfo_read(const char *path, const char *zone, struct zoneinfo *out,
		  char *err, size_t len)
{
	FILE *f = fopen(path, "r");
	char why[200];
	int rc;

	if (!f) {
		rc = -errno;
		if (err && len)
			snprintf(err, len, "%s: cannot open: %s", path,
				 strerror(errno));
		return rc;
	}
	rc = zoneinfo_parse(f, zone, out, why, sizeof(why));
	fclose(f);
	if (rc && err && len)
		snprintf(err, len, "%s: %s", path, why);
	return rc;
}

static bool strip(char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	if (n > m && strcmp(s + n - m, suffix) == 0) {
		s[n - m] = 0;
		return true;
	}
	return false;
}

int trace_stem(const char *trace, char *base, size_t len)
{
	if (strlen(trace) >= len)
		return -ENAMETOOLONG;
	snprintf(base, len, "%s", trace);
	if (strip(base, ".paev"))
		return 0;
	if (!strip(base, ".zst") && !strip(base, ".gz"))
		(void)0;
	if (!strip(base, ".trace"))
		strip(base, ".txt");
	return 0;
}

int zoneinfo_beside(const char *trace, char *out, size_t len)
{
	char base[4096];

	if (strlen(trace) + 16 > sizeof(base) ||
	    trace_stem(trace, base, sizeof(base)) < 0)
		return -ENAMETOOLONG;
	snprintf(out, len, "%s.zoneinfo", base);
	if (access(out, R_OK) == 0)
		return 0;
	snprintf(out, len, "%s.zoneinfo", trace);
	if (access(out, R_OK) == 0)
		return 0;
	return -ENOENT;
}
