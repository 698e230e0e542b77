/* SPDX-License-Identifier: MIT */
/* Compression backends for zstore: one page in, one buffer out. */
#ifndef ZSTORE_COMPRESS_H
#define ZSTORE_COMPRESS_H

#include <stddef.h>

#include "zstore.h"

/* Per-thread-of-use working state: contexts and the output buffer. */
struct zcomp_ctx {
	struct zcomp_ctx *next;   /* free list of the owning store */
	void *cctx, *dctx;        /* zstd contexts (NULL for lz4) */
	char out[2 * ZSTORE_PAGE_SIZE]; /* above any page's compress bound */
	char bounce[ZSTORE_PAGE_SIZE];  /* straddling objects read into here */
};

struct zcomp_ctx *zcomp_ctx_new(enum zstore_algo algo);
void zcomp_ctx_free(struct zcomp_ctx *c);

/* Compress one page into c->out; returns the size, or 0 if it does not
 * fit below `limit` bytes. */
size_t zcomp_compress(enum zstore_algo algo, int level, struct zcomp_ctx *c,
		      const void *page, size_t limit);
/* Decompress src into a page; 0, or -EIO unless it yields exactly a page. */
int zcomp_decompress(enum zstore_algo algo, struct zcomp_ctx *c,
		     const void *src, size_t len, void *page);

#endif
