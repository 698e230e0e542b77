/* SPDX-License-Identifier: MIT */
/*
 * /proc/pagetypeinfo and /proc/buddyinfo rows of one zone.  The rows look
 * like
 *   Node    0, zone   Normal, type    Unmovable      0     37    190 ...
 *   Node 0, zone   Normal           43          266           11 ...
 *   Node 0, zone   Normal    219    661   1236 ...            (buddyinfo)
 * and other zones, nodes and types (CMA, Isolate) are skipped.
 */
#include "freeinfo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "pagealloc.h"

#define COUNT_MAX (1ull << 40)

/* The kernel's names, which the library's are (pa_migratetype_name). */
static int mt_of(const char *name)
{
	for (int i = 0; i < FREEINFO_MTS; i++)
		if (strcmp(name, pa_migratetype_name((unsigned)i)) == 0)
			return i;
	return -1;
}

/* Counts after `p` into v[]; returns how many, or -1 on a bad one. */
static int counts(const char *p, uint64_t *v, unsigned max)
{
	unsigned n = 0;

	for (;;) {
		char *end;
		unsigned long long x;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '\n')
			return (int)n;
		x = strtoull(p, &end, 10);
		if (end == p || n == max || x > COUNT_MAX ||
		    (*end && *end != ' ' && *end != '\t' && *end != '\n'))
			return -1;
		v[n++] = x;
		p = end;
	}
}

/* "Node N, zone NAME" at the line's start: the rest after it, or NULL
 * when it is another zone or node. */
static const char *zone_row(const char *line, const char *zone, int node)
{
	char name[32];
	int nd, used = 0;

	if (sscanf(line, "Node %d, zone %31[^, \t\n]%n", &nd, name, &used) != 2 ||
	    nd != node || strcmp(name, zone) != 0)
		return NULL;
	return line + used;
}

struct parse {
	struct freeinfo *fi;
	const char *zone;
	int node;
	bool blocks_next;   /* after "Number of blocks type" */
	int block_cols[8];  /* type of each column of that table */
	unsigned nblock_cols;
	bool found;
};

/* "Number of blocks type     Unmovable      Movable ..." */
static void block_header(struct parse *ps, const char *p)
{
	char name[32];
	int used;

	ps->nblock_cols = 0;
	while (ps->nblock_cols < 8 && sscanf(p, "%31s%n", name, &used) == 1) {
		ps->block_cols[ps->nblock_cols++] = mt_of(name);
		p += used;
	}
	ps->blocks_next = true;
}

static int type_line(struct parse *ps, const char *line, char *err,
		     size_t len)
{
	const char *rest = zone_row(line, ps->zone, ps->node);
	uint64_t v[FREEINFO_ORDERS + 8];
	char tname[32];
	int n, used, mt;

	if (!rest)
		return 0;
	if (sscanf(rest, ", type %31s%n", tname, &used) == 1) {
		n = counts(rest + used, v, FREEINFO_ORDERS + 1);
		if (n < 0 || n > FREEINFO_ORDERS) {
			snprintf(err, len, "bad free counts for type %s", tname);
			return -EINVAL;
		}
		if ((mt = mt_of(tname)) >= 0) {
			memcpy(ps->fi->nr_free[mt], v, (size_t)n * sizeof(v[0]));
			if ((unsigned)n > ps->fi->nr_orders)
				ps->fi->nr_orders = (unsigned)n;
			ps->found = true;
		}
		return 0;
	}
	if (ps->blocks_next) {
		n = counts(rest, v, 8);
		if (n < 0) {
			snprintf(err, len, "bad pageblock counts");
			return -EINVAL;
		}
		for (int i = 0; i < n && (unsigned)i < ps->nblock_cols; i++)
			if (ps->block_cols[i] >= 0)
				ps->fi->blocks[ps->block_cols[i]] = v[i];
	}
	return 0;
}

static int read_pagetypeinfo(FILE *f, struct parse *ps, char *err, size_t len)
{
	char line[1024];
	unsigned pbo;

	while (fgets(line, sizeof(line), f)) {
		int rc;

		if (sscanf(line, "Page block order: %u", &pbo) == 1) {
			ps->fi->pageblock_order = pbo;
			continue;
		}
		if (strncmp(line, "Number of blocks type", 21) == 0) {
			block_header(ps, line + 21);
			continue;
		}
		if (strncmp(line, "Number of", 9) == 0) /* other tables */
			ps->blocks_next = false;
		if ((rc = type_line(ps, line, err, len)) < 0)
			return rc;
	}
	ps->fi->have_types = true;
	return 0;
}

static int read_buddyinfo(FILE *f, struct parse *ps, char *err, size_t len)
{
	char line[1024];

	while (fgets(line, sizeof(line), f)) {
		const char *rest = zone_row(line, ps->zone, ps->node);
		int n;

		if (!rest || ps->found)
			continue;
		n = counts(rest, ps->fi->nr_free[1], FREEINFO_ORDERS);
		if (n < 0) {
			snprintf(err, len, "bad free counts");
			return -EINVAL;
		}
		ps->fi->nr_orders = (unsigned)n;
		ps->found = true;
	}
	return 0;
}

/* The whole file into *buf (NUL-terminated), its size and CRC-32 into
 * out: read once, so the figures are of the bytes parsed.  A NUL byte or
 * more than FREEINFO_MAX_BYTES is no such file (a device such as
 * /dev/zero would otherwise never end a line); both are seen as the
 * chunks arrive, so such a device costs one chunk. */
static int slurp(FILE *f, char **buf, struct freeinfo *out, char *why,
		 size_t len)
{
	size_t cap = 1 << 16, n = 0, got;
	const char *bad = NULL;
	char *b = malloc(cap + 1), *nb;

	while (b && !bad && (got = fread(b + n, 1, cap - n, f)) > 0) {
		if (memchr(b + n, 0, got))
			bad = "binary data (a NUL byte): not a pagetypeinfo or buddyinfo";
		n += got;
		if (n > FREEINFO_MAX_BYTES)
			bad = "larger than any pagetypeinfo or buddyinfo (16 MiB)";
		if (n == cap && !bad) {
			if (!(nb = realloc(b, 2 * cap + 1)))
				free(b);
			b = nb;
			cap *= 2;
		}
	}
	if (!bad && (!b || ferror(f)))
		bad = b ? "read error" : "out of memory";
	if (bad) {
		int rc = !b ? -ENOMEM : ferror(f) ? -EIO : -EINVAL;

		snprintf(why, len, "%s", bad);
		free(b);
		return rc;
	}
	b[n] = 0;
	out->bytes = n;
	out->crc32 = (uint32_t)crc32(crc32(0, Z_NULL, 0), (const Bytef *)b,
				     (uInt)n);
	*buf = b;
	return 0;
}

static int parse(const char *text, size_t n, bool types, struct parse *ps,
		 char *why, size_t len)
{
	FILE *f = n ? fmemopen((void *)text, n, "r") : NULL;
	int rc;

	if (!n)
		return 0; /* an empty file: no row */
	if (!f) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	rc = types ? read_pagetypeinfo(f, ps, why, len) :
		     read_buddyinfo(f, ps, why, len);
	fclose(f);
	return rc;
}

int freeinfo_read(const char *pagetypeinfo, const char *buddyinfo,
		  const char *zone, int node, struct freeinfo *out, char *err,
		  size_t len)
{
	struct parse ps = { .fi = out, .zone = zone, .node = node };
	bool types = pagetypeinfo && access(pagetypeinfo, R_OK) == 0;
	const char *path = types ? pagetypeinfo : buddyinfo;
	char why[160] = "", *text = NULL;
	FILE *f;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!path || !(f = fopen(path, "r")))
		return -ENOENT;
	rc = slurp(f, &text, out, why, sizeof(why));
	fclose(f);
	if (!rc)
		rc = parse(text, out->bytes, types, &ps, why, sizeof(why));
	free(text);
	if (!rc && !ps.found) {
		snprintf(why, sizeof(why), "no row for node %d zone %s", node, zone);
		rc = -EINVAL;
	}
	if (rc) {
		if (err && len)
			snprintf(err, len, "%s: %s", path, why);
		memset(out, 0, sizeof(*out));
		return rc;
	}
	snprintf(out->path, sizeof(out->path), "%s", path);
	return 0;
}

int freeinfo_beside(const char *zoneinfo, const char *suffix, char *out,
		    size_t len)
{
	static const char ext[] = ".zoneinfo";
	size_t n = strlen(zoneinfo), e = sizeof(ext) - 1;

	if (n < e || strcmp(zoneinfo + n - e, ext) != 0)
		return -ENOENT;
	if (n - e + strlen(suffix) + 2 > len)
		return -ENAMETOOLONG;
	snprintf(out, len, "%.*s.%s", (int)(n - e), zoneinfo, suffix);
	return access(out, R_OK) == 0 ? 0 : -ENOENT;
}

uint64_t freeinfo_pages(const struct freeinfo *fi)
{
	uint64_t pages = 0;

	for (int mt = 0; mt < FREEINFO_MTS; mt++)
		for (unsigned o = 0; o < fi->nr_orders; o++)
			pages += fi->nr_free[mt][o] << o;
	return pages;
}
