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

int zoneinfo_parse(FILE *f, const char *zone, struct zoneinfo *out,
		   char *err, size_t len)
{
	struct zoneinfo cur, best;
	bool in_zone = false, have_best = false, any_zone = false;
	bool best_is_named = false;
	char line[512];
	const char *bad = NULL, *bad_key = NULL;
	char bad_zone[16] = "", bad_line[64] = "";
	uint64_t total = 0;
	uint32_t crc = (uint32_t)crc32(0, Z_NULL, 0);

	memset(&best, 0, sizeof(best));
	memset(&cur, 0, sizeof(cur));
	for (;;) {
		bool eof;
		int node;
		char name[16];
		uint64_t v = 0;

		if (bad_key && !bad_line[0]) { /* the line just read: named */
			const char *l = line + strspn(line, " \t");

			snprintf(bad_zone, sizeof(bad_zone), "%s", cur.zone);
			snprintf(bad_line, sizeof(bad_line), "%.*s",
				 (int)strcspn(l, "\r\n"), l);
		}
		eof = !next_line(f, line, sizeof(line), &total, &crc, &bad);

		if (eof || sscanf(line, "Node %d, zone %15s", &node, name) == 2) {
			/* close the previous zone */
			if (in_zone) {
				bool named = zone ? strcmp(cur.zone, zone) == 0
						  : strcmp(cur.zone, "Normal") == 0 &&
						    cur.managed > 0;
				if (named || (!zone && !best_is_named &&
					      cur.managed > best.managed)) {
					best = cur;
					have_best = true;
					best_is_named = named;
				}
			}
			if (eof)
				break;
			memset(&cur, 0, sizeof(cur));
			snprintf(cur.zone, sizeof(cur.zone), "%s", name);
			cur.node = node;
			in_zone = any_zone = true;
			continue;
		}
		if (!in_zone)
			continue;
		if (key_value(line, "managed", &cur.managed, &bad_key) ||
		    key_value(line, "present", &cur.present, &bad_key) ||
		    key_value(line, "spanned", &cur.spanned, &bad_key) ||
		    key_value(line, "start_pfn", &cur.start_pfn, &bad_key))
			continue;
		/* watermarks come before the pagesets, whose "high" is the
		 * per-CPU limit */
		if (cur.ncpus == 0 &&
		    (key_value(line, "min", &cur.wmark_min, &bad_key) ||
		     key_value(line, "low", &cur.wmark_low, &bad_key) ||
		     key_value(line, "high", &cur.wmark_high, &bad_key)))
			continue;
		if (key_value(line, "pages free", &cur.free, &bad_key))
			continue;
		if (key_value(line, "cpu", &v, &bad_key)) {
			cur.ncpus++;
			continue;
		}
		if (cur.ncpus > 0 && cur.ncpus <= ZONEINFO_MAX_CPUS &&
		    key_value(line, "count", &v, &bad_key)) {
			cur.pcp_count[cur.ncpus - 1] = u32_of(v, "count", &bad_key);
			continue;
		}
		if (cur.ncpus > 0 && cur.ncpus <= ZONEINFO_MAX_CPUS &&
		    key_value(line, "high", &v, &bad_key)) {
			cur.pcp_high[cur.ncpus - 1] = u32_of(v, "high", &bad_key);
			continue;
		}
		/* per-CPU values: keep the first CPU's */
		if (cur.ncpus == 1) {
			if (key_value(line, "batch", &v, &bad_key))
				cur.batch = u32_of(v, "batch", &bad_key);
			else if (key_value(line, "high_min", &v, &bad_key))
				cur.high_min = u32_of(v, "high_min", &bad_key);
			else if (key_value(line, "high_max", &v, &bad_key))
				cur.high_max = u32_of(v, "high_max", &bad_key);
		}
	}
	if (bad) {
		if (err && len)
			snprintf(err, len, "%s", bad);
		return -EINVAL;
	}
	if (bad_key) {
		if (err && len)
			snprintf(err, len, "zone %s: \"%s\" is not a figure this "
				 "kernel could have written (\"%s\"): not a zoneinfo",
				 bad_zone, bad_key, bad_line);
		return -EINVAL;
	}
	if (!any_zone) {
		if (err && len)
			snprintf(err, len, "not a /proc/zoneinfo (no \"Node N, zone NAME\" line)");
		return -EINVAL;
	}
	if (!have_best || (zone && !best_is_named) || best.managed == 0) {
		if (err && len)
			snprintf(err, len, "no zone %s with managed pages",
				 zone ? zone : "");
		return -ENOENT;
	}
	if (check_ranges(&best, err, len))
		return -EINVAL;
	best.bytes = total;
	best.crc32 = crc;
	*out = best;
	return 0;
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
