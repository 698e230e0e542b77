// SPDX-License-Identifier: MIT
/*
 * zsmalloc pool: creation, allocation, free, object access.
 *
 * zs_free has two lookup paths.  The kernel's takes pool->lock for reading
 * so that migration cannot change handle -> zspage under it.  The default
 * one here takes no pool lock: it finds the zspage under rcu_read_lock
 * (zspages are freed with call_rcu, so the pointer stays dereferenceable),
 * locks the class, and then confirms that the handle still names that
 * zspage; migration and compaction change handle -> zspage only under the
 * same class lock, so a confirmed lookup is stable until it is dropped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zsmalloc/size_class.h"
#include "zsmalloc/zs_internal.h"

#define ZS_GFP_ALLOWED (PA_GFP_ATOMIC | PA_GFP_NOWARN | PA_GFP_NOLOCK | PA_GFP_MOVABLE)

static void report_to(pa_error_fn fn, void *arg, int err, const char *fmt,
		      va_list ap)
{
	char msg[256];

	if (!fn)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	fn(arg, err, msg);
}

void zs_report(struct zs_pool *pool, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_to(pool->error_fn, pool->error_arg, err, fmt, ap);
	va_end(ap);
}

static void cfg_report(const struct zs_pool_config *cfg, int err,
		       const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cfg_report(const struct zs_pool_config *cfg, int err,
		       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_to(cfg->error_fn, cfg->error_arg, err, fmt, ap);
	va_end(ap);
}

struct zs_pool_config zs_pool_config_default(void)
{
	struct zs_pool_config cfg = { .chain = ZS_CHAIN_DEFAULT };
	return cfg;
}

const char *zs_pool_name(const struct zs_pool *pool)
{
	return pool ? pool->name : "";
}

size_t zs_huge_class_size(const struct zs_pool *pool)
{
	return pool ? pool->huge_class_size : 0;
}

static struct zs_pool *create_fail(const struct zs_pool_config *cfg, int err,
				   const char *why)
{
	cfg_report(cfg, -err, "zs_create_pool: %s", why);
	errno = err;
	return NULL;
}

static void free_classes(struct zs_pool *pool)
{
	for (unsigned i = 0; i < ZS_SIZE_CLASSES; i++) {
		struct size_class *c = pool->size_class[i];
		if (c && c->index == i) {
			pthread_mutex_destroy(&c->lock);
			free(c);
		}
	}
}

/* Why cfg and zone cannot make a pool, or NULL: the errno is EINVAL. */
static const char *pool_refusal(const struct zs_pool_config *cfg,
				struct pa_zone *zone)
{
	struct pa_config zc;

	if (!zone)
		return "no zone";
	if (cfg->chain < ZS_CHAIN_MIN || cfg->chain > ZS_CHAIN_MAX)
		return "chain must be 4..16 pages";
	if (cfg->flags & ~ZS_POOL_FREE_LOCKED)
		return "unknown flag";
	pa_zone_config(zone, &zc);
	if (zc.backing != PA_BACKING_ANON)
		return "the zone has no memory (metadata-only); zsmalloc needs PA_BACKING_ANON";
	if (zc.page_shift != 12)
		return "zsmalloc needs 4 KiB pages";

	uint64_t nr = pa_managed_pages(zone);
	char *base = pa_pfn_to_addr(zone, 0);

	/* Objects are addressed as base + pfn * 4096: one mapping. */
	if (!nr || !base || pa_pfn_to_addr(zone, nr - 1) != base + ((nr - 1) << 12))
		return "zone memory is not one mapping";
	return NULL;
}

/* One size_class per distinct class of the chain's table; the merged
 * ones point at the class they merge into.  -ENOMEM, partly made. */
static int pool_classes_init(struct zs_pool *pool)
{
	struct zs_class_info table[ZS_SIZE_CLASSES];

	zs_class_table(pool->chain, table);
	pool->huge_class_size = zs_table_huge_size(table);
	for (int i = (int)ZS_SIZE_CLASSES - 1; i >= 0; i--) {
		if (table[i].index != (unsigned)i) {
			pool->size_class[i] = pool->size_class[table[i].index];
			continue;
		}
		struct size_class *c = calloc(1, sizeof(*c));

		if (!c)
			return -ENOMEM;
		pthread_mutex_init(&c->lock, NULL);
		c->index = (unsigned)i;
		c->size = table[i].size;
		c->pages_per_zspage = table[i].pages_per_zspage;
		c->objs_per_zspage = table[i].objs_per_zspage;
		c->huge = table[i].huge;
		pool->size_class[i] = c;
	}
	return 0;
}

/* A pool whose handle cache was made, its classes in any state. */
static void pool_free(struct zs_pool *pool)
{
	free_classes(pool);
	zs_handle_cache_destroy(&pool->handles);
	free(pool->pages);
	pthread_rwlock_destroy(&pool->lock);
	free(pool);
}

/* The pool's own memory: the per-pfn table, the handles, the classes. */
static struct zs_pool *pool_alloc(const char *name, struct pa_zone *zone,
				  const struct zs_pool_config *cfg)
{
	struct zs_pool *pool = calloc(1, sizeof(*pool));

	if (!pool)
		return NULL;
	snprintf(pool->name, sizeof(pool->name), "%s", name ? name : "");
	pool->zone = zone;
	pool->chain = cfg->chain;
	pool->flags = cfg->flags;
	pool->error_fn = cfg->error_fn;
	pool->error_arg = cfg->error_arg;
	pool->base = pa_pfn_to_addr(zone, 0);
	pool->nr_pfns = pa_managed_pages(zone);
	pthread_rwlock_init(&pool->lock, NULL);
	/* calloc of a large array is mapped lazily: a page of the table is
	 * committed only when a pool page in its range is used. */
	pool->pages = calloc(pool->nr_pfns, sizeof(*pool->pages));
	/* Salt handles with the pool's address so another pool's handles
	 * (and small integers) are rejected. */
	uint64_t salt = (((uintptr_t)pool >> 4) * 0x9e3779b97f4a7c15ull) >> 49;

	if (!pool->pages || zs_handle_cache_init(&pool->handles, salt ? salt : 1)) {
		free(pool->pages);
		pthread_rwlock_destroy(&pool->lock);
		free(pool);
		return NULL;
	}
	if (pool_classes_init(pool)) {
		pool_free(pool);
		return NULL;
	}
	return pool;
}

struct zs_pool *zs_create_pool(const char *name, struct pa_zone *zone,
			       const struct zs_pool_config *user_cfg)
{
	struct zs_pool_config cfg = user_cfg ? *user_cfg : zs_pool_config_default();
	const char *why;

	if (!cfg.chain)
		cfg.chain = ZS_CHAIN_DEFAULT;
	if ((why = pool_refusal(&cfg, zone)))
		return create_fail(&cfg, EINVAL, why);

	struct zs_pool *pool = pool_alloc(name, zone, &cfg);

	if (!pool)
		return create_fail(&cfg, ENOMEM, "out of memory");

	int id = pa_register_movable_ops(zone, &zs_movable_ops, pool);

	if (id < 0) {
		pool_free(pool);
		return create_fail(&cfg, -id, "the zone refused the movable operations");
	}
	pool->movable_id = id;
	return pool;
}

uint64_t zs_destroy_pool(struct zs_pool *pool)
{
	uint64_t live = 0, zspages = 0;

	if (!pool)
		return 0;
	for (unsigned i = 0; i < ZS_SIZE_CLASSES; i++) {
		struct size_class *c = pool->size_class[i];
		if (c->index != i)
			continue;
		pthread_mutex_lock(&c->lock);
		for (unsigned fg = 0; fg < ZS_FULLNESS_GROUPS; fg++) {
			struct zspage *z;
			while ((z = c->fullness_list[fg])) {
				live += z->inuse;
				zspages++;
				zs_remove_zspage(c, z);
				zs_zspage_free(pool, c, z);
			}
		}
		pthread_mutex_unlock(&c->lock);
	}
	if (live)
		zs_report(pool, -EBUSY,
			  "zs_destroy_pool %s: %llu objects still allocated in %llu zspages, freed with the pool",
			  pool->name, (unsigned long long)live,
			  (unsigned long long)zspages);
	/* Zspages freed so far may still be queued for call_rcu, and their
	 * callbacks touch the pool. */
	while (__atomic_load_n(&pool->rcu_pending, __ATOMIC_ACQUIRE)) {
		struct timespec ts = { 0, 200000 };
		nanosleep(&ts, NULL);
	}
	pa_unregister_movable_ops(pool->zone, pool->movable_id);
	pool_free(pool);
	return live;
}

unsigned long zs_malloc(struct zs_pool *pool, size_t size, unsigned gfp)
{
	if (!pool) {
		errno = EINVAL;
		return 0;
	}
	if (size == 0 || size > ZS_MAX_ALLOC_SIZE) {
		zs_report(pool, -EINVAL, "zs_malloc %s: size %zu outside 1..%u",
			  pool->name, size, ZS_MAX_ALLOC_SIZE);
		errno = EINVAL;
		return 0;
	}
	if (gfp & ~ZS_GFP_ALLOWED) {
		zs_report(pool, -EINVAL, "zs_malloc %s: gfp 0x%x has unsupported bits",
			  pool->name, gfp);
		errno = EINVAL;
		return 0;
	}
	unsigned long handle = zs_handle_alloc(&pool->handles);
	if (!handle) {
		zs_report(pool, -ENOMEM, "zs_malloc %s: no memory for a handle", pool->name);
		errno = ENOMEM;
		return 0;
	}
	uint64_t *slot = zs_handle_slot(&pool->handles, handle);
	struct size_class *class = pool->size_class[zs_class_index(size + ZS_HANDLE_SIZE)];

	pthread_mutex_lock(&class->lock);
	/* The fullest zspage that has room: keeps sparse zspages draining. */
	for (int fg = ZS_FG_FULL - 1; fg > ZS_FG_EMPTY; fg--) {
		struct zspage *z = class->fullness_list[fg];
		if (z) {
			zs_obj_malloc(pool, class, z, handle, slot);
			zs_fix_fullness(class, z);
			pthread_mutex_unlock(&class->lock);
			return handle;
		}
	}
	pthread_mutex_unlock(&class->lock);

	/* Build the new zspage without the class lock: page allocation may
	 * take the zone's locks. */
	struct zspage *z = zs_zspage_alloc(pool, class, gfp & ~PA_GFP_MOVABLE);
	if (!z) {
		zs_handle_free(&pool->handles, handle);
		if (!(gfp & PA_GFP_NOWARN))
			zs_report(pool, -ENOMEM, "zs_malloc %s: no page for a %u-page zspage",
				  pool->name, class->pages_per_zspage);
		errno = ENOMEM;
		return 0;
	}
	pthread_mutex_lock(&class->lock);
	zs_obj_malloc(pool, class, z, handle, slot);
	zs_insert_zspage(class, z, zs_fullness_group(class, z));
	zs_zspage_set_movable(pool, z);
	pthread_mutex_unlock(&class->lock);
	return handle;
}

/* Decode a handle's slot into (obj, zspage); the caller holds whatever
 * keeps the answer stable (pool->lock, class->lock, RCU plus a recheck, or
 * the zspage's read lock).  -EINVAL for a bad or dead handle. */
static int lookup(struct zs_pool *pool, unsigned long handle, uint64_t **slotp,
		  uint64_t *valp, struct zspage **zp)
{
	uint64_t *slot = zs_handle_slot(&pool->handles, handle);
	if (!slot)
		return -EINVAL;
	uint64_t v = zs_slot_load(slot);
	if (!zs_slot_live(v))
		return -EINVAL;
	uint64_t pfn = zs_obj_pfn(v >> 1);
	if (pfn >= pool->nr_pfns)
		return -EINVAL;
	struct zspage *z = zs_page_zspage(&pool->pages[pfn]);
	if (!z)
		return -EAGAIN; /* the page is being swapped by migration */
	*slotp = slot;
	*valp = v;
	*zp = z;
	return 0;
}

static int bad_handle(struct zs_pool *pool, const char *fn, unsigned long handle)
{
	zs_report(pool, -EINVAL, "%s %s: handle 0x%lx is not a live object of this pool",
		  fn, pool->name, handle);
	return -EINVAL;
}

/* The class lock of the handle's zspage, found and confirmed without the
 * pool lock (see the top of the file). */
/* lookup() inside an RCU read-side section, retried while the handle is
 * mid-update (-EAGAIN).  On success the section stays open: the caller
 * confirms what it found under a lock, then leaves with zs_rcu_unlock(). */
static int lookup_rcu(struct zs_pool *pool, unsigned long handle,
		      uint64_t **slotp, uint64_t *valp, struct zspage **zp)
{
	for (;;) {
		rcu_read_lock();
		int err = lookup(pool, handle, slotp, valp, zp);

		if (!err)
			return 0;
		rcu_read_unlock();
		if (err != -EAGAIN)
			return err;
	}
}

static int lock_class_rcu(struct zs_pool *pool, unsigned long handle,
			  uint64_t **slotp, uint64_t *valp, struct zspage **zp,
			  struct size_class **classp)
{
	for (;;) {
		uint64_t *slot, v;
		struct zspage *z;
		int err = lookup_rcu(pool, handle, &slot, &v, &z);

		if (err)
			return err;
		struct size_class *class = zs_zspage_class(pool, z);
		pthread_mutex_lock(&class->lock);
		bool same = zs_slot_load(slot) == v && zs_zspage_live(z) &&
			    zs_page_zspage(&pool->pages[zs_obj_pfn(v >> 1)]) == z;
		zs_rcu_unlock(z);
		if (same) {
			*slotp = slot;
			*valp = v;
			*zp = z;
			*classp = class;
			return 0;
		}
		pthread_mutex_unlock(&class->lock);
	}
}

static int lock_class_locked(struct zs_pool *pool, unsigned long handle,
			     uint64_t **slotp, uint64_t *valp, struct zspage **zp,
			     struct size_class **classp)
{
	pthread_rwlock_rdlock(&pool->lock);
	int err = lookup(pool, handle, slotp, valp, zp);
	if (err) {
		pthread_rwlock_unlock(&pool->lock);
		return -EINVAL; /* -EAGAIN cannot happen under pool->lock */
	}
	*classp = zs_zspage_class(pool, *zp);
	pthread_mutex_lock(&(*classp)->lock);
	pthread_rwlock_unlock(&pool->lock);
	return 0;
}

int zs_free(struct zs_pool *pool, unsigned long handle)
{
	uint64_t *slot, v;
	struct zspage *z;
	struct size_class *class;

	if (!pool)
		return -EINVAL;
	int err = (pool->flags & ZS_POOL_FREE_LOCKED)
		? lock_class_locked(pool, handle, &slot, &v, &z, &class)
		: lock_class_rcu(pool, handle, &slot, &v, &z, &class);
	if (err)
		return bad_handle(pool, "zs_free", handle);

	zs_obj_free(pool, class, z, v >> 1);
	/* Dead at once: a racing second free of this handle is refused. */
	zs_slot_store(slot, ZS_SLOT_RESERVED);
	if (zs_fix_fullness(class, z) == ZS_FG_EMPTY) {
		zs_remove_zspage(class, z);
		zs_zspage_free(pool, class, z);
	}
	pthread_mutex_unlock(&class->lock);
	zs_handle_free(&pool->handles, handle);
	return 0;
}

/*
 * Pin the handle's zspage against migration and compaction, which move
 * objects only under the zspage's write lock: find the zspage under RCU,
 * take its read lock, and confirm the handle still points into it.  No
 * pool lock, so read sections nest freely and readers do not share a
 * cache line with each other (the kernel takes pool->lock here).
 */
static int pin_object(struct zs_pool *pool, unsigned long handle,
		      struct zspage **zp, struct size_class **classp,
		      unsigned *idxp)
{
	for (;;) {
		uint64_t *slot, v;
		struct zspage *z;
		int err = lookup_rcu(pool, handle, &slot, &v, &z);

		if (err)
			return err;
		/* z cannot be freed before rcu_read_unlock, nor its lock
		 * destroyed. */
		pthread_rwlock_rdlock(&z->lock);
		bool same = zs_slot_load(slot) == v &&
			    zs_page_zspage(&pool->pages[zs_obj_pfn(v >> 1)]) == z;
		if (!same) {
			/* The object moved meanwhile: z may be on its way to
			 * call_rcu, so drop its lock while RCU still keeps z
			 * alive, then look again. */
			pthread_rwlock_unlock(&z->lock);
			zs_rcu_unlock(z);
			continue;
		}
		/* A live object we hold read-locked keeps z alive from here:
		 * zs_free of it is the caller's, migration and compaction
		 * need z's write lock. */
		zs_rcu_unlock(z);
		*zp = z;
		*classp = zs_zspage_class(pool, z);
		*idxp = zs_obj_idx(v >> 1);
		return 0;
	}
}

static size_t capacity(const struct size_class *class)
{
	return class->huge ? class->size : class->size - ZS_HANDLE_SIZE;
}

static size_t payload(const struct size_class *class)
{
	return class->huge ? 0 : ZS_HANDLE_SIZE;
}

const void *zs_obj_read_begin(struct zs_pool *pool, unsigned long handle,
			      size_t len, void *local_copy)
{
	struct zspage *z;
	struct size_class *class;
	unsigned idx, page, off;

	if (!pool || pin_object(pool, handle, &z, &class, &idx)) {
		if (pool)
			bad_handle(pool, "zs_obj_read_begin", handle);
		errno = EINVAL;
		return NULL;
	}
	if (len > capacity(class) || (!local_copy && len)) {
		pthread_rwlock_unlock(&z->lock);
		zs_report(pool, -EINVAL, "zs_obj_read_begin %s: len %zu exceeds the object (%zu) or no buffer",
			  pool->name, len, capacity(class));
		errno = EINVAL;
		return NULL;
	}
	__atomic_add_fetch(&z->readers, 1, __ATOMIC_RELAXED);
	zs_obj_location(class, idx, &page, &off);
	size_t start = off + payload(class);
	if (start + len <= ZS_PAGE_SIZE)
		return zs_pfn_addr(pool, z->pfn[page]) + start;
	zs_obj_copy_out(pool, class, z, idx, payload(class), local_copy, len);
	return local_copy;
}

int zs_obj_read_end(struct zs_pool *pool, unsigned long handle, const void *mem)
{
	uint64_t *slot, v;
	struct zspage *z;

	(void)mem;
	if (!pool)
		return -EINVAL;
	/* The read lock we hold keeps handle -> zspage fixed. */
	if (lookup(pool, handle, &slot, &v, &z))
		return bad_handle(pool, "zs_obj_read_end", handle);
	/* Unlocking a read lock nobody holds would corrupt it (and migration
	 * would wait on it forever): refuse an end without its begin. */
	unsigned n = __atomic_load_n(&z->readers, __ATOMIC_RELAXED);
	do {
		if (n == 0) {
			zs_report(pool, -EINVAL, "zs_obj_read_end %s: handle 0x%lx has no "
				  "open read section", pool->name, handle);
			return -EINVAL;
		}
	} while (!__atomic_compare_exchange_n(&z->readers, &n, n - 1, false,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	pthread_rwlock_unlock(&z->lock);
	return 0;
}

int zs_obj_write(struct zs_pool *pool, unsigned long handle, const void *src,
		 size_t len)
{
	struct zspage *z;
	struct size_class *class;
	unsigned idx;

	if (!pool)
		return -EINVAL;
	if (pin_object(pool, handle, &z, &class, &idx))
		return bad_handle(pool, "zs_obj_write", handle);
	if (len > capacity(class) || (!src && len)) {
		pthread_rwlock_unlock(&z->lock);
		zs_report(pool, -EINVAL, "zs_obj_write %s: len %zu exceeds the object (%zu) or no source",
			  pool->name, len, capacity(class));
		return -EINVAL;
	}
	zs_obj_copy_in(pool, class, z, idx, payload(class), src, len);
	pthread_rwlock_unlock(&z->lock);
	return 0;
}

size_t zs_obj_capacity(struct zs_pool *pool, unsigned long handle)
{
	struct zspage *z;
	struct size_class *class;
	unsigned idx;

	if (!pool || pin_object(pool, handle, &z, &class, &idx))
		return 0;
	pthread_rwlock_unlock(&z->lock);
	return capacity(class);
}

uint64_t zs_get_total_pages(struct zs_pool *pool)
{
	return pool ? __atomic_load_n(&pool->pages_used, __ATOMIC_RELAXED) : 0;
}
