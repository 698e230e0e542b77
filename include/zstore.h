/* SPDX-License-Identifier: MIT */
/*
 * zstore.h - a compressed page store over zsmalloc, in the manner of zram.
 *
 * A store holds up to nr_pages 4 KiB pages, each under an index.  A page is
 * compressed with the store's algorithm (lz4 or zstd); if the result is not
 * below the store's threshold the page is stored raw ("huge"), and a page
 * filled with one repeated 8-byte word (zero pages, most often) is stored
 * as that word and a flag, taking no pool memory at all.
 *
 * Thread safety: every function taking a struct zstore * is thread-safe
 * except zstore_destroy().  Operations on the same index are serialized.
 * The store calls zsmalloc, so calling threads must be registered with
 * liburcu (rcu_register_thread(); see zsmalloc.h).
 *
 * Errors: negative errno, the store unchanged; reasons go to the error hook.
 */
#ifndef ZSTORE_H
#define ZSTORE_H

#include <stdint.h>

#include "pagealloc.h"
#include "zsmalloc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with hidden visibility: these are its exports. */
#pragma GCC visibility push(default)

#define ZSTORE_PAGE_SIZE 4096u

enum zstore_algo {
	ZSTORE_LZ4 = 0,
	ZSTORE_ZSTD = 1,
};

/* "lz4", "zstd"; NULL for an unknown value. */
const char *zstore_algo_name(enum zstore_algo algo);
/* Parse an algorithm name: 0, or -EINVAL. */
int zstore_algo_parse(const char *name, enum zstore_algo *out);

struct zstore_config {
	uint64_t nr_pages;      /* capacity in pages (the "disk size"); > 0 */
	enum zstore_algo algo;  /* [ZSTORE_LZ4] */
	int level;              /* zstd level [3]; lz4 acceleration [1] */
	unsigned chain;         /* zsmalloc pages per zspage [8] */
	unsigned pool_flags;    /* ZS_POOL_* */
	size_t huge_threshold;  /* compressed sizes >= this are stored raw
	                         * [zs_huge_class_size(): what would land in
	                         * a huge class anyway, as zram does] */
	pa_error_fn error_fn;
	void *error_arg;
};

struct zstore;

/* Create a store on a backed zone.  NULL with errno EINVAL (bad config,
 * the reason to the hook) or ENOMEM. */
struct zstore *zstore_create(struct pa_zone *zone, const struct zstore_config *cfg);
/* Free everything.  Not thread-safe.  NULL is a no-op. */
void zstore_destroy(struct zstore *zs);

/* Store a page (ZSTORE_PAGE_SIZE bytes) at index, replacing what was
 * there.  0, -EINVAL (index out of range, NULL page) or -ENOMEM (the
 * pool has no page: what was stored at index is kept). */
int zstore_write(struct zstore *zs, uint64_t index, const void *page);
/* Load the page at index into page.  0, -ENOENT (nothing stored there),
 * -EINVAL (bad index or buffer), -EIO (stored data does not decompress to
 * a whole page: corruption). */
int zstore_read(struct zstore *zs, uint64_t index, void *page);
/* Drop the page at index (nothing stored is fine).  0 or -EINVAL. */
int zstore_discard(struct zstore *zs, uint64_t index);
/* Compact the pool; returns pages given back to the zone. */
uint64_t zstore_compact(struct zstore *zs);

/* In the spirit of zram's mm_stat. */
struct zstore_stats {
	uint64_t orig_data_size;  /* bytes of pages stored (same pages incl.) */
	uint64_t compr_data_size; /* bytes of compressed data; a raw page
	                           * counts its 4096 */
	uint64_t mem_used_total;  /* bytes of pool pages */
	uint64_t mem_used_max;    /* high-water mark of mem_used_total */
	uint64_t pages_stored;    /* indexes holding a page */
	uint64_t same_pages;      /* of which stored as a repeated word */
	uint64_t huge_pages;      /* of which stored raw */
	uint64_t pages_compacted; /* pool pages freed by compaction, ever */
	uint64_t failed_writes;   /* writes refused for lack of memory */
};
void zstore_stats(struct zstore *zs, struct zstore_stats *out);

/* The store's pool, for zs_pool_stats() and friends. */
struct zs_pool *zstore_pool(struct zstore *zs);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif /* ZSTORE_H */
