// SPDX-License-Identifier: MIT
/*
 * Page migration: the movable operations the pool registers with its zone.
 *
 * This is the seed's design.  The callbacks get only a pfn, and the zspage
 * owning it may be freed at any moment by zs_free on another thread (no
 * page lock pins it, and there is no deferred-free worker to defer to).  So
 * the zspage is looked up under rcu_read_lock - zspages are freed with
 * call_rcu, so what we find stays dereferenceable - and confirmed under
 * pool->lock and class->lock to still own the page and still be on a
 * fullness list; a zspage that is being freed is refused (-EAGAIN: the page
 * is about to be free, not worth moving).  Once confirmed, class->lock
 * keeps it alive and the RCU section can end.
 */
#include <errno.h>
#include <string.h>

#include "zsmalloc/zs_internal.h"

static bool zs_page_isolate(void *owner, uint64_t pfn)
{
	struct zs_pool *pool = owner;
	bool ok = false;

	if (pfn >= pool->nr_pfns)
		return false;
	struct zs_page *pg = &pool->pages[pfn];
	rcu_read_lock();
	struct zspage *z = zs_page_zspage(pg);
	uint32_t idle = ZS_PAGE_IDLE;
	if (z)
		ok = __atomic_compare_exchange_n(&pg->isolated, &idle,
						 ZS_PAGE_ISOLATED, false,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	zs_rcu_unlock(z);
	if (!ok)
		__atomic_add_fetch(&pool->migrate_refused, 1, __ATOMIC_RELAXED);
	return ok;
}

static void zs_page_putback(void *owner, uint64_t pfn)
{
	struct zs_pool *pool = owner;

	if (pfn >= pool->nr_pfns)
		return;
	/* The zspage was freed while this page was isolated: the page was
	 * left to us (see zs_zspage_free). */
	if (__atomic_exchange_n(&pool->pages[pfn].isolated, ZS_PAGE_IDLE,
				__ATOMIC_ACQ_REL) == ZS_PAGE_ORPHAN) {
		pa_set_page_movable(pool->zone, pfn, 0);
		int err = pa_free(pool->zone, pfn, 0);
		if (err)
			zs_report(pool, err, "zsmalloc %s: zone refused to free orphaned pfn %llu",
				  pool->name, (unsigned long long)pfn);
	}
}

/* Point the handles of the objects that start in chain page i at dst. */
static void rewrite_handles(struct zs_pool *pool, struct size_class *class,
			    struct zspage *z, unsigned i, uint64_t dst)
{
	uint64_t start = (uint64_t)i * ZS_PAGE_SIZE;
	unsigned idx = (unsigned)((start + class->size - 1) / class->size);

	for (; idx < class->objs_per_zspage &&
	       (uint64_t)idx * class->size < start + ZS_PAGE_SIZE; idx++) {
		unsigned long h = zs_obj_handle(pool, class, z, idx);
		if (h)
			zs_slot_store(zs_handle_slot(&pool->handles, h),
				      zs_obj(dst, idx) << 1 | 1);
	}
}

static int zs_page_migrate(void *owner, uint64_t dst, uint64_t src)
{
	struct zs_pool *pool = owner;

	if (src >= pool->nr_pfns || dst >= pool->nr_pfns || src == dst)
		return -EINVAL;
	struct zs_page *sp = &pool->pages[src], *dp = &pool->pages[dst];

	rcu_read_lock();
	struct zspage *z = zs_page_zspage(sp);
	if (!z) {
		rcu_read_unlock();
		__atomic_add_fetch(&pool->migrate_refused, 1, __ATOMIC_RELAXED);
		return -EAGAIN; /* freed since isolation */
	}
	struct size_class *class = zs_zspage_class(pool, z);
	pthread_rwlock_wrlock(&pool->lock);
	pthread_mutex_lock(&class->lock);
	/* On a fullness list and still the page's owner: alive for as long
	 * as we hold class->lock. */
	bool live = z->fullness >= 0 && zs_page_zspage(sp) == z;
	zs_rcu_unlock(z);
	int err = live ? 0 : -EAGAIN;
	/* Readers in a section hold the zspage's read lock; do not wait for
	 * them under the pool lock. */
	if (!err && pthread_rwlock_trywrlock(&z->lock))
		err = -EBUSY;
	if (err) {
		pthread_mutex_unlock(&class->lock);
		pthread_rwlock_unlock(&pool->lock);
		__atomic_add_fetch(&pool->migrate_refused, 1, __ATOMIC_RELAXED);
		return err;
	}

	unsigned i = sp->index;
	memcpy(zs_pfn_addr(pool, dst), zs_pfn_addr(pool, src), ZS_PAGE_SIZE);
	rewrite_handles(pool, class, z, i, dst);
	dp->handle = sp->handle;
	dp->index = i;
	__atomic_store_n(&dp->isolated, ZS_PAGE_IDLE, __ATOMIC_RELAXED);
	z->pfn[i] = dst;
	zs_publish(dp, z);
	zs_publish(sp, NULL);
	sp->handle = 0;
	/* src is the zone's again (it frees it after we return). */
	__atomic_store_n(&sp->isolated, ZS_PAGE_IDLE, __ATOMIC_RELEASE);
	/* The destination belongs to the pool now: keep it movable. */
	int merr = pa_set_page_movable(pool->zone, dst, pool->movable_id);
	if (merr)
		zs_report(pool, merr, "zsmalloc %s: migrated page %llu cannot be made movable",
			  pool->name, (unsigned long long)dst);

	pthread_rwlock_unlock(&z->lock);
	pthread_mutex_unlock(&class->lock);
	pthread_rwlock_unlock(&pool->lock);
	__atomic_add_fetch(&pool->pages_migrated, 1, __ATOMIC_RELAXED);
	return 0;
}

const struct pa_movable_ops zs_movable_ops = {
	.isolate = zs_page_isolate,
	.migrate = zs_page_migrate,
	.putback = zs_page_putback,
};
