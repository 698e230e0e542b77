// SPDX-License-Identifier: MIT
/*
 * zspages: a chain of order-0 pages holding the objects of one size class
 * back to back, their in-place free list, and the fullness lists.
 *
 * Lifecycle and the seed's ordering bug: a zspage is built completely -
 * pages allocated, chain recorded, free list threaded through the pages,
 * per-page info filled - and only then published page by page with
 * rcu_assign_pointer.  The upstream RCU patch moved the chain construction
 * after the free-list setup, which walked a chain that did not exist yet;
 * here the free list is written through z->pfn[], which is complete before
 * the first object is touched, and nothing can find the zspage before
 * zs_publish().  Pages become movable only once the zspage is on a
 * fullness list, so migration never sees a zspage under construction.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "zsmalloc/zs_internal.h"

static uint64_t *obj_word(const struct zs_pool *pool,
			  const struct size_class *class,
			  const struct zspage *z, unsigned idx)
{
	unsigned page, off;

	zs_obj_location(class, idx, &page, &off);
	/* off is a multiple of 16, so the word never crosses a page. */
	return (uint64_t *)(void *)(zs_pfn_addr(pool, z->pfn[page]) + off);
}

static void init_free_list(struct zs_pool *pool, struct size_class *class,
			   struct zspage *z)
{
	for (unsigned i = 0; i < class->objs_per_zspage; i++) {
		unsigned next = i + 1 < class->objs_per_zspage ? i + 1 : ZS_NO_OBJ;
		*obj_word(pool, class, z, i) = (uint64_t)next << 1;
	}
	z->freeobj = 0;
	z->inuse = 0;
}

struct zspage *zs_zspage_alloc(struct zs_pool *pool, struct size_class *class,
			       unsigned gfp)
{
	struct zspage *z = calloc(1, sizeof(*z));
	if (!z)
		return NULL;
	pthread_rwlock_init(&z->lock, NULL);
	z->pool = pool;
	z->class_idx = class->index;
	z->fullness = ZS_FG_NONE;

	/* 1. the chain */
	for (unsigned i = 0; i < class->pages_per_zspage; i++) {
		uint64_t pfn = pa_alloc(pool->zone, 0, gfp | PA_GFP_MOVABLE);
		if (pfn == PA_NO_PFN) {
			while (i--)
				pa_free(pool->zone, z->pfn[i], 0);
			pthread_rwlock_destroy(&z->lock);
			free(z);
			return NULL;
		}
		z->pfn[i] = pfn;
	}
	z->nr_pages = class->pages_per_zspage;

	/* 2. the objects, through the finished chain */
	init_free_list(pool, class, z);

	/* 3. per-page info, then publication: last, so a lockless reader
	 * that finds z finds it whole. */
	for (unsigned i = 0; i < z->nr_pages; i++) {
		struct zs_page *pg = &pool->pages[z->pfn[i]];
		pg->index = i;
		pg->handle = 0;
		__atomic_store_n(&pg->isolated, ZS_PAGE_IDLE, __ATOMIC_RELAXED);
	}
	for (unsigned i = 0; i < z->nr_pages; i++)
		zs_publish(&pool->pages[z->pfn[i]], z);

	__atomic_add_fetch(&pool->pages_used, z->nr_pages, __ATOMIC_RELAXED);
	__atomic_add_fetch(&pool->nr_zspages, 1, __ATOMIC_RELAXED);
	return z;
}

void zs_zspage_set_movable(struct zs_pool *pool, struct zspage *z)
{
	for (unsigned i = 0; i < z->nr_pages; i++) {
		int err = pa_set_page_movable(pool->zone, z->pfn[i], pool->movable_id);
		if (err)
			zs_report(pool, err, "zsmalloc %s: pfn %llu cannot be made movable",
				  pool->name, (unsigned long long)z->pfn[i]);
	}
}

static void free_zspage_rcu(struct rcu_head *head)
{
	struct zspage *z = caa_container_of(head, struct zspage, rcu);

	zs_tsan_acquire(z); /* after every reader that could still see z */
	struct zs_pool *pool = z->pool;
	pthread_rwlock_destroy(&z->lock);
	free(z);
	/* Last touch of the pool: zs_destroy_pool waits for this to reach 0
	 * (with release/acquire that sanitizers see, unlike rcu_barrier). */
	__atomic_sub_fetch(&pool->rcu_pending, 1, __ATOMIC_RELEASE);
}

void zs_zspage_free(struct zs_pool *pool, struct size_class *class,
		    struct zspage *z)
{
	(void)class;
	/* Lockless finders that already hold z will see it dead under
	 * class->lock and back off; new ones will not find it. */
	z->fullness = ZS_FG_DEAD;
	for (unsigned i = 0; i < z->nr_pages; i++) {
		uint64_t pfn = z->pfn[i];
		struct zs_page *pg = &pool->pages[pfn];
		zs_publish(pg, NULL);
		/* After unpublishing: an isolate that comes later finds no
		 * zspage; one that came earlier owns the page now. */
		if (__atomic_exchange_n(&pg->isolated, ZS_PAGE_ORPHAN,
					__ATOMIC_ACQ_REL) == ZS_PAGE_ISOLATED)
			continue; /* zs_page_putback frees it */
		pa_set_page_movable(pool->zone, pfn, 0);
		int err = pa_free(pool->zone, pfn, 0);
		if (err)
			zs_report(pool, err, "zsmalloc %s: zone refused to free pfn %llu",
				  pool->name, (unsigned long long)pfn);
	}
	__atomic_sub_fetch(&pool->pages_used, z->nr_pages, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&pool->nr_zspages, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&pool->rcu_pending, 1, __ATOMIC_RELAXED);
	zs_tsan_release(z);
	call_rcu(&z->rcu, free_zspage_rcu);
}

int zs_fullness_group(const struct size_class *class, const struct zspage *z)
{
	if (z->inuse == 0)
		return ZS_FG_EMPTY;
	if (z->inuse >= class->objs_per_zspage)
		return ZS_FG_FULL;
	return (int)(z->inuse * 100 / class->objs_per_zspage / 10) + 1;
}

void zs_insert_zspage(struct size_class *class, struct zspage *z, int fg)
{
	struct zspage *head = class->fullness_list[fg];

	z->prev = NULL;
	z->next = head;
	if (head)
		head->prev = z;
	class->fullness_list[fg] = z;
	class->nr_zspages[fg]++;
	z->fullness = fg;
}

void zs_remove_zspage(struct size_class *class, struct zspage *z)
{
	int fg = z->fullness;

	if (z->prev)
		z->prev->next = z->next;
	else
		class->fullness_list[fg] = z->next;
	if (z->next)
		z->next->prev = z->prev;
	z->prev = z->next = NULL;
	class->nr_zspages[fg]--;
	z->fullness = ZS_FG_NONE;
}

int zs_fix_fullness(struct size_class *class, struct zspage *z)
{
	int fg = zs_fullness_group(class, z);

	if (fg != z->fullness) {
		zs_remove_zspage(class, z);
		zs_insert_zspage(class, z, fg);
	}
	return fg;
}

uint64_t zs_obj_malloc(struct zs_pool *pool, struct size_class *class,
		       struct zspage *z, unsigned long handle, uint64_t *slot)
{
	unsigned idx = z->freeobj, page, off;
	uint64_t *word = obj_word(pool, class, z, idx);

	zs_obj_location(class, idx, &page, &off);
	z->freeobj = (unsigned)(*word >> 1);
	if (class->huge)
		pool->pages[z->pfn[page]].handle = handle;
	else
		*word = (uint64_t)handle << 1 | 1; /* header: who owns me */
	z->inuse++;
	class->objs_inuse++;

	uint64_t obj = zs_obj(z->pfn[page], idx);
	zs_slot_store(slot, obj << 1 | 1);
	return obj;
}

void zs_obj_free(struct zs_pool *pool, struct size_class *class,
		 struct zspage *z, uint64_t obj)
{
	unsigned idx = zs_obj_idx(obj);

	*obj_word(pool, class, z, idx) = (uint64_t)z->freeobj << 1;
	if (class->huge)
		pool->pages[zs_obj_pfn(obj)].handle = 0;
	z->freeobj = idx;
	z->inuse--;
	class->objs_inuse--;
}

unsigned long zs_obj_handle(const struct zs_pool *pool,
			    const struct size_class *class,
			    const struct zspage *z, unsigned idx)
{
	if (class->huge)
		return (unsigned long)pool->pages[z->pfn[0]].handle;
	uint64_t word = *obj_word(pool, class, z, idx);
	return (word & 1) ? (unsigned long)(word >> 1) : 0;
}

void zs_obj_copy_out(const struct zs_pool *pool, const struct size_class *class,
		     const struct zspage *z, unsigned idx, size_t from,
		     void *dst, size_t len)
{
	unsigned page, off;

	zs_obj_location(class, idx, &page, &off);
	size_t pos = off + from;
	page += (unsigned)(pos >> 12);
	pos &= ZS_PAGE_SIZE - 1;
	size_t first = ZS_PAGE_SIZE - pos < len ? ZS_PAGE_SIZE - pos : len;
	memcpy(dst, zs_pfn_addr(pool, z->pfn[page]) + pos, first);
	if (first < len)
		memcpy((char *)dst + first, zs_pfn_addr(pool, z->pfn[page + 1]),
		       len - first);
}

void zs_obj_copy_in(const struct zs_pool *pool, const struct size_class *class,
		    const struct zspage *z, unsigned idx, size_t from,
		    const void *src, size_t len)
{
	unsigned page, off;

	zs_obj_location(class, idx, &page, &off);
	size_t pos = off + from;
	page += (unsigned)(pos >> 12);
	pos &= ZS_PAGE_SIZE - 1;
	size_t first = ZS_PAGE_SIZE - pos < len ? ZS_PAGE_SIZE - pos : len;
	memcpy(zs_pfn_addr(pool, z->pfn[page]) + pos, src, first);
	if (first < len)
		memcpy(zs_pfn_addr(pool, z->pfn[page + 1]), (const char *)src + first,
		       len - first);
}
