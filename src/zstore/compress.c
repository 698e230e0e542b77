// SPDX-License-Identifier: MIT
/* lz4 and zstd behind one small interface, with reusable contexts
 * (a zstd context costs far more to create than a page costs to
 * compress). */
#include <errno.h>
#include <lz4.h>
#include <stdlib.h>
#include <zstd.h>

#include "zstore/compress.h"

struct zcomp_ctx *zcomp_ctx_new(enum zstore_algo algo)
{
	struct zcomp_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (algo == ZSTORE_ZSTD) {
		c->cctx = ZSTD_createCCtx();
		c->dctx = ZSTD_createDCtx();
		if (!c->cctx || !c->dctx) {
			zcomp_ctx_free(c);
			return NULL;
		}
	}
	return c;
}

void zcomp_ctx_free(struct zcomp_ctx *c)
{
	if (!c)
		return;
	ZSTD_freeCCtx(c->cctx);
	ZSTD_freeDCtx(c->dctx);
	free(c);
}

size_t zcomp_compress(enum zstore_algo algo, int level, struct zcomp_ctx *c,
		      const void *page, size_t limit)
{
	if (limit > sizeof(c->out))
		limit = sizeof(c->out);
	if (algo == ZSTORE_LZ4) {
		/* lz4 stops, returning 0, as soon as the output would not fit. */
		int n = LZ4_compress_fast(page, c->out, ZSTORE_PAGE_SIZE,
					  (int)limit - 1, level > 0 ? level : 1);
		return n > 0 ? (size_t)n : 0;
	}
	size_t n = ZSTD_compressCCtx(c->cctx, c->out, sizeof(c->out), page,
				     ZSTORE_PAGE_SIZE, level ? level : 3);
	return ZSTD_isError(n) || n >= limit ? 0 : n;
}

int zcomp_decompress(enum zstore_algo algo, struct zcomp_ctx *c,
		     const void *src, size_t len, void *page)
{
	if (algo == ZSTORE_LZ4) {
		int n = LZ4_decompress_safe(src, page, (int)len, ZSTORE_PAGE_SIZE);
		return n == (int)ZSTORE_PAGE_SIZE ? 0 : -EIO;
	}
	size_t n = ZSTD_decompressDCtx(c->dctx, page, ZSTORE_PAGE_SIZE, src, len);
	return !ZSTD_isError(n) && n == ZSTORE_PAGE_SIZE ? 0 : -EIO;
}
