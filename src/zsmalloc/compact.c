// SPDX-License-Identifier: MIT
/*
 * Compaction: per class, move live objects from the sparsest zspage into
 * the densest non-full one until no whole zspage's worth of free slots is
 * left, and give every zspage so emptied back to the zone.
 *
 * Runs under pool->lock (write: handles change zspage; zs_free's locked
 * path and migration take it) and class->lock.  Readers take neither,
 * only the zspage's read lock, so both the source's and the
 * destination's write locks are held while objects move; they are only
 * tried, so a zspage with an open read section is left alone.  The
 * locks are dropped between source zspages so allocation, free and reads
 * keep going during a long compaction.
 */
#include "zsmalloc/zs_internal.h"

/* Pages compaction could free in this class now. */
static uint64_t can_compact(const struct size_class *class)
{
	uint64_t zspages = 0;

	for (unsigned fg = 0; fg < ZS_FULLNESS_GROUPS; fg++)
		zspages += class->nr_zspages[fg];
	uint64_t free_slots = zspages * class->objs_per_zspage - class->objs_inuse;
	return free_slots / class->objs_per_zspage * class->pages_per_zspage;
}

static struct zspage *densest(struct size_class *class)
{
	for (int fg = ZS_FG_FULL - 1; fg > ZS_FG_EMPTY; fg--)
		if (class->fullness_list[fg])
			return class->fullness_list[fg];
	return NULL;
}

static struct zspage *sparsest(struct size_class *class, struct zspage *not)
{
	for (int fg = ZS_FG_EMPTY + 1; fg < ZS_FG_FULL; fg++)
		for (struct zspage *z = class->fullness_list[fg]; z; z = z->next)
			if (z != not)
				return z;
	return NULL;
}

/* Move objects from src to dst until src is empty or dst is full. */
static void move_objects(struct zs_pool *pool, struct size_class *class,
			 struct zspage *src, struct zspage *dst)
{
	char buf[ZS_PAGE_SIZE];
	size_t len = class->size - ZS_HANDLE_SIZE; /* huge classes never get here */

	for (unsigned idx = 0; idx < class->objs_per_zspage; idx++) {
		if (!src->inuse || dst->freeobj == ZS_NO_OBJ)
			break;
		unsigned long h = zs_obj_handle(pool, class, src, idx);
		if (!h)
			continue;
		unsigned page, off;
		zs_obj_location(class, idx, &page, &off);
		uint64_t old = zs_obj(src->pfn[page], idx);
		uint64_t *slot = zs_handle_slot(&pool->handles, h);

		zs_obj_copy_out(pool, class, src, idx, ZS_HANDLE_SIZE, buf, len);
		uint64_t obj = zs_obj_malloc(pool, class, dst, h, slot);
		zs_obj_copy_in(pool, class, dst, zs_obj_idx(obj), ZS_HANDLE_SIZE, buf, len);
		zs_obj_free(pool, class, src, old);
	}
}

static uint64_t compact_class(struct zs_pool *pool, struct size_class *class)
{
	uint64_t freed = 0;

	if (class->huge)
		return 0; /* one object per zspage: nothing to merge */
	pthread_rwlock_wrlock(&pool->lock);
	pthread_mutex_lock(&class->lock);
	while (can_compact(class)) {
		struct zspage *dst = densest(class);
		struct zspage *src = sparsest(class, dst);
		if (!dst || !src)
			break;
		if (pthread_rwlock_trywrlock(&src->lock))
			break; /* being read: try again at the next compaction */
		/* dst too: a moved object's handle points into dst before
		 * its bytes are copied there, and readers do not take the
		 * pool lock, so only dst's lock keeps them off a half-copied
		 * object. */
		if (pthread_rwlock_trywrlock(&dst->lock)) {
			pthread_rwlock_unlock(&src->lock);
			break;
		}
		zs_remove_zspage(class, src);
		zs_remove_zspage(class, dst);
		move_objects(pool, class, src, dst);
		pthread_rwlock_unlock(&dst->lock);
		pthread_rwlock_unlock(&src->lock);
		zs_insert_zspage(class, dst, zs_fullness_group(class, dst));
		if (src->inuse == 0) {
			zs_zspage_free(pool, class, src);
			freed += class->pages_per_zspage;
		} else {
			zs_insert_zspage(class, src, zs_fullness_group(class, src));
		}
		pthread_mutex_unlock(&class->lock);
		pthread_rwlock_unlock(&pool->lock);
		pthread_rwlock_wrlock(&pool->lock);
		pthread_mutex_lock(&class->lock);
	}
	pthread_mutex_unlock(&class->lock);
	pthread_rwlock_unlock(&pool->lock);
	return freed;
}

uint64_t zs_compact(struct zs_pool *pool)
{
	uint64_t freed = 0;

	if (!pool)
		return 0;
	/* One compaction at a time, as the kernel does: a second caller has
	 * nothing to add. */
	if (__atomic_exchange_n(&pool->compacting, 1, __ATOMIC_ACQUIRE))
		return 0;
	for (unsigned i = 0; i < ZS_SIZE_CLASSES; i++) {
		struct size_class *c = pool->size_class[i];
		if (c->index == i)
			freed += compact_class(pool, c);
	}
	__atomic_add_fetch(&pool->pages_compacted, freed, __ATOMIC_RELAXED);
	__atomic_store_n(&pool->compacting, 0, __ATOMIC_RELEASE);
	return freed;
}
