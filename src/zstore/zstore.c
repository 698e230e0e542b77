// SPDX-License-Identifier: MIT
/*
 * zstore: zram's page table over a zsmalloc pool.  Each index has an entry
 * with the object's handle and size, or a flag saying the page is one
 * repeated word (kept in the entry, no object at all) or stored raw.
 * Entries are locked one by one with a bit in their flags word, so
 * different indexes never contend.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zstore/compress.h"

#define E_LOCK   0x80000000u
#define E_STORED 0x40000000u /* holds a page */
#define E_SAME   0x20000000u /* page is `word` repeated */
#define E_HUGE   0x10000000u /* stored raw, 4096 bytes */
#define E_SIZE   0x0000ffffu /* object size */

struct zstore_entry {
	uint32_t flags;          /* E_*, atomic (the lock bit) */
	unsigned long handle;
	uint64_t word;           /* the fill word of an E_SAME page */
};

struct zstore {
	struct zs_pool *pool;
	enum zstore_algo algo;
	int level;
	size_t threshold;
	uint64_t nr_pages;
	struct zstore_entry *table;
	pa_error_fn error_fn;
	void *error_arg;

	pthread_mutex_t ctx_lock;  /* the free list of contexts */
	struct zcomp_ctx *ctx_free;

	/* atomic counters */
	uint64_t compr_bytes, same_pages, huge_pages, stored;
	uint64_t mem_used_max, failed_writes;
};

const char *zstore_algo_name(enum zstore_algo algo)
{
	switch (algo) {
	case ZSTORE_LZ4: return "lz4";
	case ZSTORE_ZSTD: return "zstd";
	}
	return NULL;
}

int zstore_algo_parse(const char *name, enum zstore_algo *out)
{
	if (name && !strcmp(name, "lz4")) {
		*out = ZSTORE_LZ4;
		return 0;
	}
	if (name && !strcmp(name, "zstd")) {
		*out = ZSTORE_ZSTD;
		return 0;
	}
	return -EINVAL;
}

static void report(pa_error_fn fn, void *arg, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void report(pa_error_fn fn, void *arg, int err, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fn(arg, err, msg);
}

struct zstore *zstore_create(struct pa_zone *zone, const struct zstore_config *cfg)
{
	if (!cfg || !cfg->nr_pages || (cfg->algo != ZSTORE_LZ4 && cfg->algo != ZSTORE_ZSTD) ||
	    cfg->huge_threshold > ZSTORE_PAGE_SIZE) {
		if (cfg)
			report(cfg->error_fn, cfg->error_arg, -EINVAL,
			       "zstore_create: need nr_pages > 0, algo lz4|zstd, threshold <= 4096");
		errno = EINVAL;
		return NULL;
	}
	struct zstore *zs = calloc(1, sizeof(*zs));
	if (!zs) {
		errno = ENOMEM;
		return NULL;
	}
	struct zs_pool_config pc = zs_pool_config_default();
	if (cfg->chain)
		pc.chain = cfg->chain;
	pc.flags = cfg->pool_flags;
	pc.error_fn = cfg->error_fn;
	pc.error_arg = cfg->error_arg;
	zs->pool = zs_create_pool("zstore", zone, &pc);
	zs->table = calloc(cfg->nr_pages, sizeof(*zs->table));
	if (!zs->pool || !zs->table) {
		int err = zs->pool ? ENOMEM : errno;
		zs_destroy_pool(zs->pool);
		free(zs->table);
		free(zs);
		errno = err;
		return NULL;
	}
	zs->algo = cfg->algo;
	zs->level = cfg->level;
	zs->nr_pages = cfg->nr_pages;
	zs->threshold = cfg->huge_threshold ? cfg->huge_threshold
					    : zs_huge_class_size(zs->pool);
	zs->error_fn = cfg->error_fn;
	zs->error_arg = cfg->error_arg;
	pthread_mutex_init(&zs->ctx_lock, NULL);
	return zs;
}

void zstore_destroy(struct zstore *zs)
{
	if (!zs)
		return;
	for (uint64_t i = 0; i < zs->nr_pages; i++)
		if ((zs->table[i].flags & E_STORED) && zs->table[i].handle)
			zs_free(zs->pool, zs->table[i].handle);
	zs_destroy_pool(zs->pool);
	while (zs->ctx_free) {
		struct zcomp_ctx *c = zs->ctx_free;
		zs->ctx_free = c->next;
		zcomp_ctx_free(c);
	}
	pthread_mutex_destroy(&zs->ctx_lock);
	free(zs->table);
	free(zs);
}

struct zs_pool *zstore_pool(struct zstore *zs)
{
	return zs ? zs->pool : NULL;
}

static struct zcomp_ctx *get_ctx(struct zstore *zs)
{
	pthread_mutex_lock(&zs->ctx_lock);
	struct zcomp_ctx *c = zs->ctx_free;
	if (c)
		zs->ctx_free = c->next;
	pthread_mutex_unlock(&zs->ctx_lock);
	return c ? c : zcomp_ctx_new(zs->algo);
}

static void put_ctx(struct zstore *zs, struct zcomp_ctx *c)
{
	pthread_mutex_lock(&zs->ctx_lock);
	c->next = zs->ctx_free;
	zs->ctx_free = c;
	pthread_mutex_unlock(&zs->ctx_lock);
}

static uint32_t lock_entry(struct zstore_entry *e)
{
	for (;;) {
		uint32_t f = __atomic_fetch_or(&e->flags, E_LOCK, __ATOMIC_ACQUIRE);
		if (!(f & E_LOCK))
			return f;
		sched_yield();
	}
}

static void unlock_entry(struct zstore_entry *e, uint32_t flags)
{
	__atomic_store_n(&e->flags, flags & ~E_LOCK, __ATOMIC_RELEASE);
}

static bool same_filled(const void *page, uint64_t *word)
{
	const uint64_t *w = page;

	for (size_t i = 1; i < ZSTORE_PAGE_SIZE / sizeof(uint64_t); i++)
		if (w[i] != w[0])
			return false;
	*word = w[0];
	return true;
}

/* Forget what the (locked) entry holds. */
static void drop(struct zstore *zs, struct zstore_entry *e, uint32_t flags)
{
	if (!(flags & E_STORED))
		return;
	if (flags & E_SAME) {
		__atomic_sub_fetch(&zs->same_pages, 1, __ATOMIC_RELAXED);
	} else {
		zs_free(zs->pool, e->handle);
		__atomic_sub_fetch(&zs->compr_bytes, flags & E_SIZE, __ATOMIC_RELAXED);
		if (flags & E_HUGE)
			__atomic_sub_fetch(&zs->huge_pages, 1, __ATOMIC_RELAXED);
	}
	__atomic_sub_fetch(&zs->stored, 1, __ATOMIC_RELAXED);
	e->handle = 0;
}

static void note_mem(struct zstore *zs)
{
	uint64_t used = zs_get_total_pages(zs->pool) * ZS_PAGE_SIZE;
	uint64_t max = __atomic_load_n(&zs->mem_used_max, __ATOMIC_RELAXED);

	while (used > max &&
	       !__atomic_compare_exchange_n(&zs->mem_used_max, &max, used, true,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

int zstore_write(struct zstore *zs, uint64_t index, const void *page)
{
	if (!zs || !page || index >= zs->nr_pages) {
		if (zs)
			report(zs->error_fn, zs->error_arg, -EINVAL,
			       "zstore_write: index %llu out of range (%llu pages) or no page",
			       (unsigned long long)index, (unsigned long long)zs->nr_pages);
		return -EINVAL;
	}
	struct zstore_entry *e = &zs->table[index];
	uint64_t word;

	if (same_filled(page, &word)) {
		uint32_t f = lock_entry(e);
		drop(zs, e, f);
		e->word = word;
		__atomic_add_fetch(&zs->same_pages, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&zs->stored, 1, __ATOMIC_RELAXED);
		unlock_entry(e, E_STORED | E_SAME);
		return 0;
	}

	struct zcomp_ctx *c = get_ctx(zs);
	if (!c)
		return -ENOMEM;
	/* Compress and store before taking the entry: only the swap of
	 * handles happens under its lock. */
	size_t len = zcomp_compress(zs->algo, zs->level, c, page, zs->threshold);
	const void *src = len ? (const void *)c->out : page;
	uint32_t nf = E_STORED;
	if (!len) {
		len = ZSTORE_PAGE_SIZE;
		nf |= E_HUGE;
	}
	unsigned long h = zs_malloc(zs->pool, len, PA_GFP_NOWARN);
	if (!h) {
		put_ctx(zs, c);
		__atomic_add_fetch(&zs->failed_writes, 1, __ATOMIC_RELAXED);
		report(zs->error_fn, zs->error_arg, -ENOMEM,
		       "zstore_write: no memory for index %llu (%zu bytes)",
		       (unsigned long long)index, len);
		return -ENOMEM;
	}
	zs_obj_write(zs->pool, h, src, len);
	put_ctx(zs, c);

	uint32_t f = lock_entry(e);
	drop(zs, e, f);
	e->handle = h;
	__atomic_add_fetch(&zs->compr_bytes, len, __ATOMIC_RELAXED);
	if (nf & E_HUGE)
		__atomic_add_fetch(&zs->huge_pages, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&zs->stored, 1, __ATOMIC_RELAXED);
	unlock_entry(e, nf | (uint32_t)len);
	note_mem(zs);
	return 0;
}

int zstore_read(struct zstore *zs, uint64_t index, void *page)
{
	if (!zs || !page || index >= zs->nr_pages)
		return -EINVAL;
	struct zstore_entry *e = &zs->table[index];
	uint32_t f = lock_entry(e);
	int err = 0;

	if (!(f & E_STORED)) {
		err = -ENOENT;
	} else if (f & E_SAME) {
		uint64_t *w = page;
		for (size_t i = 0; i < ZSTORE_PAGE_SIZE / sizeof(uint64_t); i++)
			w[i] = e->word;
	} else {
		size_t len = f & E_SIZE;
		if (f & E_HUGE) {
			/* Raw: read straight into the caller's page. */
			const void *p = zs_obj_read_begin(zs->pool, e->handle, len, page);
			if (!p) {
				err = -EIO;
			} else {
				if (p != page)
					memcpy(page, p, len);
				zs_obj_read_end(zs->pool, e->handle, p);
			}
		} else {
			struct zcomp_ctx *c = get_ctx(zs);
			if (!c) {
				err = -ENOMEM;
			} else {
				const void *p = zs_obj_read_begin(zs->pool, e->handle, len, c->bounce);
				if (!p) {
					err = -EIO;
				} else {
					err = zcomp_decompress(zs->algo, c, p, len, page);
					zs_obj_read_end(zs->pool, e->handle, p);
				}
				put_ctx(zs, c);
			}
		}
		if (err == -EIO)
			report(zs->error_fn, zs->error_arg, -EIO,
			       "zstore_read: index %llu does not decompress to a page",
			       (unsigned long long)index);
	}
	unlock_entry(e, f);
	return err;
}

int zstore_discard(struct zstore *zs, uint64_t index)
{
	if (!zs || index >= zs->nr_pages)
		return -EINVAL;
	struct zstore_entry *e = &zs->table[index];
	uint32_t f = lock_entry(e);
	drop(zs, e, f);
	unlock_entry(e, 0);
	return 0;
}

uint64_t zstore_compact(struct zstore *zs)
{
	return zs ? zs_compact(zs->pool) : 0;
}

void zstore_stats(struct zstore *zs, struct zstore_stats *out)
{
	struct zs_pool_stats *ps = malloc(sizeof(*ps));

	memset(out, 0, sizeof(*out));
	if (!zs || !ps) {
		free(ps);
		return;
	}
	zs_pool_stats(zs->pool, ps);
	out->pages_stored = __atomic_load_n(&zs->stored, __ATOMIC_RELAXED);
	out->orig_data_size = out->pages_stored * ZSTORE_PAGE_SIZE;
	out->compr_data_size = __atomic_load_n(&zs->compr_bytes, __ATOMIC_RELAXED);
	out->mem_used_total = ps->pages_used * ZS_PAGE_SIZE;
	out->mem_used_max = __atomic_load_n(&zs->mem_used_max, __ATOMIC_RELAXED);
	out->same_pages = __atomic_load_n(&zs->same_pages, __ATOMIC_RELAXED);
	out->huge_pages = __atomic_load_n(&zs->huge_pages, __ATOMIC_RELAXED);
	out->pages_compacted = ps->pages_compacted;
	out->failed_writes = __atomic_load_n(&zs->failed_writes, __ATOMIC_RELAXED);
	free(ps);
}
