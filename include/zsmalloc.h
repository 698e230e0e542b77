/* SPDX-License-Identifier: MIT */
/*
 * zsmalloc.h - dense storage of small variable-sized objects (typically
 * compressed pages) in order-0 pages of a pagealloc zone, after the Linux
 * kernel's zsmalloc.
 *
 * Objects live in "zspages": chains of 1..chain order-0 pages packed back to
 * back with no gaps, so an object may straddle two pages.  Objects are
 * grouped in size classes 16 bytes apart (32 .. 4096 bytes, 255 nominal
 * classes; classes whose zspages have the same shape are merged).  The pool
 * hands out opaque handles, never pointers: compaction and page migration
 * move objects and rewrite only the pool's handle slot, so a handle stays
 * valid for the object's life.  Access goes through zs_obj_read_begin()/
 * zs_obj_read_end() and zs_obj_write().
 *
 * The pool's pages are movable: the pool registers movable operations with
 * the zone, and pa_migrate_page() on one of its pages moves it while other
 * threads keep using the pool.
 *
 * Zones: the zone must be backed (PA_BACKING_ANON) with 4 KiB pages.  Each
 * pool allocates order-0 PA_GFP_MOVABLE pages from it and gives them back
 * when a zspage empties (there is no deferred free).
 *
 * Thread safety and RCU registration (read this):
 *  - Every function taking a struct zs_pool * is thread-safe, except
 *    zs_destroy_pool(), which must not run concurrently with any other call
 *    on the pool nor with pa_migrate_page() on its zone.
 *  - The pool uses liburcu (the default "memb" flavour, -lurcu) to free
 *    zspages without holding page locks: a zspage is freed with call_rcu()
 *    and migration looks it up under rcu_read_lock().  liburcu requires
 *    every thread that does either to be registered: call
 *    rcu_register_thread() (from <urcu.h>) in each thread before its first
 *    call into a pool - or to pa_migrate_page(), pa_compact(),
 *    pa_compact_proactive() or pa_alloc_contig() on a zone that has a pool -
 *    and rcu_unregister_thread() before the thread exits.  An unregistered
 *    thread is not seen by the grace-period machinery: zspage memory may
 *    then be freed under its feet.  Threads must not call into the pool
 *    from inside their own rcu_read_lock() section (zs_destroy_pool waits
 *    for grace periods).
 *  - Not async-signal-safe.
 *
 * Errors: functions returning int return 0 or a negative errno; zs_malloc()
 * returns 0 and sets errno.  A rejected call leaves the pool unchanged and
 * passes a one-line reason to the pool's error hook when it has one.
 * Handles are validated: a value the pool never returned, or one already
 * freed, is rejected with -EINVAL, also after its slot has been reused by a
 * later zs_malloc() (handles carry a 19-bit generation: a stale handle could
 * match again only after its slot is reused 2^19 times).  (Two threads freeing the same handle at
 * the same moment is a caller bug the pool does not promise to catch.)
 */
#ifndef ZSMALLOC_H
#define ZSMALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pagealloc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with hidden visibility: these are its exports. */
#pragma GCC visibility push(default)

/* Geometry (4 KiB pages). */
#define ZS_PAGE_SIZE        4096u
#define ZS_MIN_ALLOC_SIZE   32u   /* smallest class (header included) */
#define ZS_MAX_ALLOC_SIZE   4096u /* largest object a caller may ask for */
#define ZS_SIZE_CLASS_DELTA 16u   /* ZS_PAGE_SIZE >> 8 */
#define ZS_SIZE_CLASSES     255u  /* nominal classes, 32 .. 4096 step 16 */
#define ZS_HANDLE_SIZE      8u    /* header in front of non-huge objects */
#define ZS_CHAIN_MIN        4u    /* pages per zspage, configurable range */
#define ZS_CHAIN_MAX        16u
#define ZS_CHAIN_DEFAULT    8u

/*
 * Fullness groups: 0 = empty, 1..10 = in use 0-9%, 10-19%, ... 90-99%,
 * 11 = full.  Allocation takes a zspage from the fullest non-full group.
 */
#define ZS_FULLNESS_GROUPS 12u

/* zs_pool_config.flags */
#define ZS_POOL_FREE_LOCKED 0x1u /* zs_free() looks the handle's zspage up
                                  * under pool->lock like the kernel, instead
                                  * of under RCU (kept for comparison) */

struct zs_pool_config {
	unsigned chain;       /* max pages per zspage, 4..16 [8] */
	unsigned flags;       /* ZS_POOL_* */
	pa_error_fn error_fn; /* one-line reasons for rejected calls [none] */
	void *error_arg;
};

/* A config with every field at its default. */
struct zs_pool_config zs_pool_config_default(void);

struct zs_pool;

/*
 * Create a pool named `name` (copied; may be NULL) drawing pages from
 * `zone`.  cfg NULL means defaults.  Returns NULL and sets errno to EINVAL
 * (zone NULL or metadata-only, page size not 4 KiB, chain out of range,
 * unknown flag), ENOSPC (the zone's movable-ops table is full) or ENOMEM.
 */
struct zs_pool *zs_create_pool(const char *name, struct pa_zone *zone,
			       const struct zs_pool_config *cfg);

/*
 * Destroy the pool: every page goes back to the zone, the movable
 * operations are unregistered, and pending RCU frees are waited for.
 * Returns the number of objects still allocated (leaked by the caller);
 * when it is not 0 the error hook is told.  NULL: returns 0.
 * Not thread-safe: see above.
 */
uint64_t zs_destroy_pool(struct zs_pool *pool);

/* The pool's name ("" when created without one). */
const char *zs_pool_name(const struct zs_pool *pool);

/*
 * Allocate an object of `size` bytes (1..ZS_MAX_ALLOC_SIZE).  gfp: flags
 * for the zone's page allocation, from PA_GFP_ATOMIC, PA_GFP_NOWARN,
 * PA_GFP_NOLOCK and PA_GFP_MOVABLE (pool pages are always movable).
 * Returns a handle (never 0), or 0 with errno EINVAL (size 0 or too big,
 * unknown gfp bit) or ENOMEM (no page in the zone, or no memory for
 * metadata).  The object's contents are undefined until written.
 */
unsigned long zs_malloc(struct zs_pool *pool, size_t size, unsigned gfp);

/*
 * Free an object.  Returns 0, or -EINVAL (handle never returned by this
 * pool, or already freed): nothing changes.  When the object was the last
 * in its zspage, the zspage's pages go back to the zone at once and its
 * descriptor is freed after an RCU grace period.
 */
int zs_free(struct zs_pool *pool, unsigned long handle);

/*
 * Start reading `len` bytes of an object.  Returns a pointer to them: into
 * the pool's page when the object lies in one page, else a copy into
 * `local_copy` (which must hold len bytes).  Until zs_obj_read_end() the
 * object does not move (migration and compaction of its zspage wait or skip
 * it), so keep the section short.  Returns NULL and sets errno EINVAL for a
 * bad handle or a len larger than the object's capacity
 * (zs_obj_capacity()).  Sections nest and many threads may read at once.
 */
const void *zs_obj_read_begin(struct zs_pool *pool, unsigned long handle,
			      size_t len, void *local_copy);
/* End a read section started on `handle`; mem is what begin returned.
 * Returns 0, or -EINVAL (bad handle, or no read section is open on the
 * handle's zspage: an end without its begin is refused, nothing unlocked). */
int zs_obj_read_end(struct zs_pool *pool, unsigned long handle,
		    const void *mem);

/*
 * Copy len bytes from src to the start of the object.  Returns 0, or
 * -EINVAL for a bad handle or len above zs_obj_capacity().  Concurrent
 * writes/reads of the same object are the caller's to order.
 */
int zs_obj_write(struct zs_pool *pool, unsigned long handle, const void *src,
		 size_t len);

/* Bytes the object can hold: at least the size it was allocated with
 * (the class size minus the header); 0 for a bad handle. */
size_t zs_obj_capacity(struct zs_pool *pool, unsigned long handle);

/*
 * Compact every class: move live objects from the sparsest zspages into
 * the densest until no more zspages can be emptied, and return the emptied
 * pages to the zone.  Returns the pages freed by this call (also added to
 * zs_pool_stats.pages_compacted).  Zspages being read at the time are
 * skipped.  Thread-safe; allocation and free continue meanwhile.
 */
uint64_t zs_compact(struct zs_pool *pool);

/* Pages the pool holds now. */
uint64_t zs_get_total_pages(struct zs_pool *pool);

/* The smallest size zs_malloc() stores in a "huge" class (one object per
 * page, no header): 3625 with chain 8, 3257 with chain 4. */
size_t zs_huge_class_size(const struct zs_pool *pool);

/* ------------------------------------------------------------------ */
/* Size classes                                                        */
/* ------------------------------------------------------------------ */

struct zs_class_info {
	unsigned size;             /* class object size, header included */
	unsigned pages_per_zspage;
	unsigned objs_per_zspage;
	bool huge;                 /* one object per page, no header */
	unsigned index;            /* nominal index of the class serving this
	                            * one: merged classes share the index of
	                            * the largest size in the run */
};

/*
 * The class table a pool with this chain uses.  out must hold
 * ZS_SIZE_CLASSES entries; out[i] describes nominal class i (size
 * 32 + 16 i, clamped to 4096) after merging.  Returns the number of
 * distinct classes, or -EINVAL for a chain outside 4..16.  Pure function.
 */
int zs_class_table(unsigned chain, struct zs_class_info *out);

/* ------------------------------------------------------------------ */
/* Statistics and checking                                             */
/* ------------------------------------------------------------------ */

struct zs_class_stats {
	unsigned size;
	unsigned pages_per_zspage;
	unsigned objs_per_zspage;
	bool huge;
	uint64_t zspages[ZS_FULLNESS_GROUPS]; /* zspages per fullness group */
	uint64_t objs_allocated;   /* object slots in this class's zspages */
	uint64_t objs_inuse;
};

struct zs_pool_stats {
	uint64_t pages_used;       /* pages held (== zs_get_total_pages) */
	uint64_t zspages;
	uint64_t objs_allocated;   /* object slots in all zspages */
	uint64_t objs_inuse;       /* live objects */
	uint64_t pages_compacted;  /* pages freed by compaction, ever */
	uint64_t pages_migrated;   /* pages moved by pa_migrate_page() */
	uint64_t migrate_refused;  /* migrations refused (page being freed or
	                            * read, isolate refused) */
	uint64_t handle_bytes;     /* memory held by the handle cache */
	uint64_t metadata_bytes;   /* zspage descriptors + per-page table
	                            * (committed part is smaller: it is
	                            * mapped lazily) */
	unsigned nr_classes;       /* distinct classes in classes[] */
	struct zs_class_stats classes[ZS_SIZE_CLASSES]; /* by size */
};

/* Fill *out.  Each class is read under its lock: exact per class, not
 * across classes under concurrent use.  -EINVAL for NULL arguments. */
int zs_pool_stats(struct zs_pool *pool, struct zs_pool_stats *out);

/*
 * Validate every invariant: fullness groups and counts, in-place free
 * lists, object headers against handle slots, the page -> zspage table
 * against the chains, page accounting.  Takes every pool lock.  Returns 0,
 * or -EUCLEAN with the first violation in msg (if msg && len) and the error
 * hook.
 */
int zs_pool_check(struct zs_pool *pool, char *msg, size_t len);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif /* ZSMALLOC_H */
