/* SPDX-License-Identifier: MIT */
/*
 * zsmalloc internals shared by the pool, zspage, compaction and migration
 * files.
 *
 * Locks, outermost first (as the kernel layers them):
 *   pool->lock   rwlock: write for migration and compaction, which change
 *                handle -> zspage; read for zs_free's kernel-style lookup
 *                (ZS_POOL_FREE_LOCKED).  The default paths look up under
 *                RCU and confirm under the class or zspage lock instead.
 *   class->lock  mutex: fullness lists, object alloc/free, counters, and
 *                the liveness of every zspage of the class.
 *   zspage->lock rwlock: read while a caller reads/writes an object of the
 *                zspage; write (trylock only, under pool->lock and
 *                class->lock) to move its objects or pages.
 * RCU (liburcu): page -> zspage is published with rcu_assign_pointer once
 * the zspage is complete and cleared before the zspage is freed with
 * call_rcu, so a lockless reader (migration, the RCU free path) may
 * dereference what it finds and then confirm it under class->lock.
 */
#ifndef ZS_INTERNAL_H
#define ZS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <urcu.h>

#include "zsmalloc.h"
#include "zsmalloc/handle.h"

/* obj = pfn << ZS_OBJ_INDEX_BITS | object index within its zspage. */
#define ZS_OBJ_INDEX_BITS 12u
#define ZS_OBJ_INDEX_MASK ((1ull << ZS_OBJ_INDEX_BITS) - 1)
#define ZS_NO_OBJ 0xffffu /* end of a zspage's free list */

/* zspage->fullness when on no list */
#define ZS_FG_NONE   (-1) /* being built, or isolated by compaction */
#define ZS_FG_DEAD   (-2) /* freed: its pages are gone */
#define ZS_FG_EMPTY  0
#define ZS_FG_FULL   ((int)ZS_FULLNESS_GROUPS - 1)

struct zspage {
	struct rcu_head rcu;
	struct zs_pool *pool;       /* for the RCU callback's accounting */
	struct zspage *prev, *next; /* fullness list, under class->lock */
	pthread_rwlock_t lock;
	unsigned readers;           /* open zs_obj_read_begin sections, atomic:
	                             * an end without a begin is refused */
	unsigned class_idx;         /* immutable once published */
	int fullness;               /* ZS_FG_*, under class->lock */
	unsigned inuse;             /* live objects, under class->lock */
	unsigned freeobj;           /* first free object index or ZS_NO_OBJ */
	unsigned nr_pages;
	uint64_t pfn[ZS_CHAIN_MAX]; /* the page chain, in object order */
};

/* Per pfn of the zone, kept by the pool (the allocator's page metadata is
 * its own). */
struct zs_page {
	struct zspage *zspage;      /* RCU-published owner, NULL when free */
	uint64_t handle;            /* huge classes: the object's handle, 0 if
	                             * the object is free (no room for a header) */
	uint32_t index;             /* position in the chain */
	uint32_t isolated;          /* ZS_PAGE_*, atomic */
};

/*
 * zs_page.isolated.  The zone refuses to free a page that pa_migrate_page
 * has isolated, so isolation and freeing hand the page over explicitly:
 * a zspage freed while one of its pages is isolated marks that page
 * ORPHAN and leaves it; migration of an orphan fails and putback frees it.
 */
#define ZS_PAGE_IDLE     0u
#define ZS_PAGE_ISOLATED 1u
#define ZS_PAGE_ORPHAN   2u

struct size_class {
	pthread_mutex_t lock;
	unsigned index;             /* nominal index of this class */
	unsigned size;
	unsigned pages_per_zspage;
	unsigned objs_per_zspage;
	bool huge;
	struct zspage *fullness_list[ZS_FULLNESS_GROUPS];
	uint64_t nr_zspages[ZS_FULLNESS_GROUPS];
	uint64_t objs_inuse;
};

struct zs_pool {
	char name[32];
	struct pa_zone *zone;
	unsigned chain;
	unsigned flags;
	pa_error_fn error_fn;
	void *error_arg;
	int movable_id;
	char *base;                 /* address of pfn 0 */
	uint64_t nr_pfns;
	size_t huge_class_size;

	pthread_rwlock_t lock;      /* pool->lock */
	struct size_class *size_class[ZS_SIZE_CLASSES]; /* merged share */
	struct zs_page *pages;      /* nr_pfns entries */
	struct zs_handle_cache handles;

	/* Pool-wide counters, atomic. */
	uint64_t pages_used;
	uint64_t nr_zspages;
	uint64_t pages_compacted;
	uint64_t pages_migrated;
	uint64_t migrate_refused;
	uint32_t compacting;        /* one compaction at a time */
	uint64_t rcu_pending;       /* zspages queued for call_rcu, not freed */
};

/* ---- RCU publication ------------------------------------------------ */

/*
 * liburcu is not built with ThreadSanitizer, so TSan cannot see the
 * ordering that rcu_assign_pointer/rcu_dereference and grace periods give.
 * These annotations state exactly those guarantees to TSan and nothing
 * more; they compile to nothing otherwise.
 */
#if defined(__SANITIZE_THREAD__)
#define ZS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ZS_TSAN 1
#endif
#endif
#ifdef ZS_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define zs_tsan_acquire(p) __tsan_acquire((void *)(p))
#define zs_tsan_release(p) __tsan_release((void *)(p))
#else
#define zs_tsan_acquire(p) ((void)(p))
#define zs_tsan_release(p) ((void)(p))
#endif

/* Publish page -> zspage.  Everything written to z before is visible to a
 * reader that finds z through zs_page_zspage(). */
static inline void zs_publish(struct zs_page *pg, struct zspage *z)
{
	if (z)
		zs_tsan_release(z);
	rcu_assign_pointer(pg->zspage, z);
}

/* Look page -> zspage up.  Lockless callers must hold rcu_read_lock();
 * the result may be a zspage on its way to being freed: confirm it under
 * class->lock (zs_zspage_live()). */
static inline struct zspage *zs_page_zspage(struct zs_page *pg)
{
	struct zspage *z = rcu_dereference(pg->zspage);
	if (z)
		zs_tsan_acquire(z);
	return z;
}

/* Leave an RCU read section in which z was looked at. */
static inline void zs_rcu_unlock(struct zspage *z)
{
	if (z)
		zs_tsan_release(z); /* ordered before the call_rcu free of z */
	rcu_read_unlock();
}

/* ---- small helpers -------------------------------------------------- */

static inline uint64_t zs_obj(uint64_t pfn, unsigned idx)
{
	return pfn << ZS_OBJ_INDEX_BITS | idx;
}
static inline uint64_t zs_obj_pfn(uint64_t obj)
{
	return obj >> ZS_OBJ_INDEX_BITS;
}
static inline unsigned zs_obj_idx(uint64_t obj)
{
	return (unsigned)(obj & ZS_OBJ_INDEX_MASK);
}

static inline char *zs_pfn_addr(const struct zs_pool *pool, uint64_t pfn)
{
	return pool->base + (pfn << 12);
}

static inline struct size_class *zs_zspage_class(const struct zs_pool *pool,
						 const struct zspage *z)
{
	return pool->size_class[z->class_idx];
}

/* Under class->lock: z is on a fullness list or isolated, not freed. */
static inline bool zs_zspage_live(const struct zspage *z)
{
	return z->fullness != ZS_FG_DEAD;
}

void zs_report(struct zs_pool *pool, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- zspage.c -------------------------------------------------------- */

/* Allocate the pages of a new zspage, build the chain and free list, then
 * publish page -> zspage.  NULL on failure (nothing held). */
struct zspage *zs_zspage_alloc(struct zs_pool *pool, struct size_class *class,
			       unsigned gfp);
/* Unpublish, unmark and free the pages, free z after a grace period.
 * Under class->lock; z is on no list and empty (or the pool is going). */
void zs_zspage_free(struct zs_pool *pool, struct size_class *class,
		    struct zspage *z);
/* Make the pages of a listed zspage movable.  Under class->lock. */
void zs_zspage_set_movable(struct zs_pool *pool, struct zspage *z);

int zs_fullness_group(const struct size_class *class, const struct zspage *z);
void zs_insert_zspage(struct size_class *class, struct zspage *z, int fg);
void zs_remove_zspage(struct size_class *class, struct zspage *z);
/* Move z to the list its use now calls for; returns the group. */
int zs_fix_fullness(struct size_class *class, struct zspage *z);

/* Take a free object of z for `handle` and bind the handle's slot to it.
 * Under class->lock; z has a free object. */
uint64_t zs_obj_malloc(struct zs_pool *pool, struct size_class *class,
		       struct zspage *z, unsigned long handle, uint64_t *slot);
/* Put object `obj` of z back on its free list.  Under class->lock. */
void zs_obj_free(struct zs_pool *pool, struct size_class *class,
		 struct zspage *z, uint64_t obj);

/* Where object idx of z starts: page position and offset in it. */
static inline void zs_obj_location(const struct size_class *class,
				   unsigned idx, unsigned *page, unsigned *off)
{
	uint64_t at = (uint64_t)idx * class->size;
	*page = (unsigned)(at >> 12);
	*off = (unsigned)(at & (ZS_PAGE_SIZE - 1));
}

/* Copy between an object's bytes [from, from+len) and a buffer, across a
 * page boundary when the object straddles. */
void zs_obj_copy_out(const struct zs_pool *pool, const struct size_class *class,
		     const struct zspage *z, unsigned idx, size_t from,
		     void *dst, size_t len);
void zs_obj_copy_in(const struct zs_pool *pool, const struct size_class *class,
		    const struct zspage *z, unsigned idx, size_t from,
		    const void *src, size_t len);

/* The handle of live object idx of z, or 0 if the object is free. */
unsigned long zs_obj_handle(const struct zs_pool *pool,
			    const struct size_class *class,
			    const struct zspage *z, unsigned idx);

/* ---- migrate.c ------------------------------------------------------- */

extern const struct pa_movable_ops zs_movable_ops;

#endif
