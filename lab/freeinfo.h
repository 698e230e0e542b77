/* SPDX-License-Identifier: MIT */
/*
 * freeinfo - a captured machine's buddy free lists and pageblock types,
 * read from /proc/pagetypeinfo (free blocks per migratetype and order, and
 * pageblocks per migratetype) or, without it, /proc/buddyinfo (free blocks
 * per order only), for one zone of one node.  `pagealloc capture` saves
 * both beside the trace (NAME.pagetypeinfo, NAME.buddyinfo); the warm start
 * (warm.h) shapes the simulated zone's free lists after them.
 */
#ifndef PA_LAB_FREEINFO_H
#define PA_LAB_FREEINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FREEINFO_ORDERS 21  /* the library's max_order is at most 20 */
/* Unmovable, Movable, Reclaimable, HighAtomic: the PA_MT_* values. */
#define FREEINFO_MTS 4

struct freeinfo {
	unsigned nr_orders;                   /* order columns read */
	bool have_types;                      /* from pagetypeinfo */
	/* free blocks per order; without types all are counted Movable */
	uint64_t nr_free[FREEINFO_MTS][FREEINFO_ORDERS];
	uint64_t blocks[FREEINFO_MTS];        /* pageblocks per type (types) */
	unsigned pageblock_order;             /* "Page block order:" or 0 */
	/* the file read, as the JSON records it beside the zoneinfo */
	char path[512];
	uint64_t bytes;
	uint32_t crc32;                       /* zlib's, of every byte */
};

/* Larger than any pagetypeinfo (a few KiB per node): not one. */
#define FREEINFO_MAX_BYTES (16u << 20)

/*
 * Read the rows of zone `zone` (e.g. "Normal") of node `node` from a
 * pagetypeinfo file at `pagetypeinfo` if it is not NULL and exists, else
 * from the buddyinfo file at `buddyinfo`, and that file's path, size and
 * CRC-32.  Returns 0, -ENOENT when neither file exists, -EINVAL (reason in
 * err) when the file has no row for the zone, a count above 2^40, more
 * than FREEINFO_ORDERS orders, a NUL byte or more than FREEINFO_MAX_BYTES
 * (so a device such as /dev/zero is refused, not read forever), -EIO or
 * -ENOMEM (reason in err).  Reentrant.
 */
int freeinfo_read(const char *pagetypeinfo, const char *buddyinfo,
		  const char *zone, int node, struct freeinfo *out, char *err,
		  size_t len);

/*
 * The file `suffix` ("pagetypeinfo", "buddyinfo") that goes with the
 * zoneinfo at `zoneinfo`: NAME.zoneinfo -> NAME.SUFFIX.  Returns 0 and
 * writes the path, -ENOENT when there is no such file or the zoneinfo's
 * name does not end in ".zoneinfo", -ENAMETOOLONG.
 */
int freeinfo_beside(const char *zoneinfo, const char *suffix, char *out,
		    size_t len);

/* Free pages in out's lists (all types and orders). */
uint64_t freeinfo_pages(const struct freeinfo *fi);

#endif
