// SPDX-License-Identifier: MIT
/* zsmalloc pool statistics and the invariant checker. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zsmalloc/zs_internal.h"

int zs_pool_stats(struct zs_pool *pool, struct zs_pool_stats *out)
{
	if (!pool || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < ZS_SIZE_CLASSES; i++) {
		struct size_class *c = pool->size_class[i];
		if (c->index != i)
			continue;
		struct zs_class_stats *cs = &out->classes[out->nr_classes++];
		cs->size = c->size;
		cs->pages_per_zspage = c->pages_per_zspage;
		cs->objs_per_zspage = c->objs_per_zspage;
		cs->huge = c->huge;
		pthread_mutex_lock(&c->lock);
		uint64_t n = 0;
		for (unsigned fg = 0; fg < ZS_FULLNESS_GROUPS; fg++) {
			cs->zspages[fg] = c->nr_zspages[fg];
			n += c->nr_zspages[fg];
		}
		cs->objs_inuse = c->objs_inuse;
		pthread_mutex_unlock(&c->lock);
		cs->objs_allocated = n * c->objs_per_zspage;
		out->objs_allocated += cs->objs_allocated;
		out->objs_inuse += cs->objs_inuse;
	}
	out->pages_used = __atomic_load_n(&pool->pages_used, __ATOMIC_RELAXED);
	out->zspages = __atomic_load_n(&pool->nr_zspages, __ATOMIC_RELAXED);
	out->pages_compacted = __atomic_load_n(&pool->pages_compacted, __ATOMIC_RELAXED);
	out->pages_migrated = __atomic_load_n(&pool->pages_migrated, __ATOMIC_RELAXED);
	out->migrate_refused = __atomic_load_n(&pool->migrate_refused, __ATOMIC_RELAXED);
	out->handle_bytes = zs_handle_bytes(&pool->handles);
	out->metadata_bytes = out->zspages * sizeof(struct zspage) +
			      pool->nr_pfns * sizeof(struct zs_page);
	return 0;
}

struct checker {
	struct zs_pool *pool;
	char *msg;
	size_t len;
	int err;
};

static void fail(struct checker *ck, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void fail(struct checker *ck, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (ck->err)
		return; /* the first violation is the one worth reading */
	ck->err = -EUCLEAN;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (ck->msg && ck->len)
		snprintf(ck->msg, ck->len, "%s", buf);
	zs_report(ck->pool, -EUCLEAN, "zs_pool_check %s: %s", ck->pool->name, buf);
}

static void check_zspage(struct checker *ck, struct size_class *c,
			 struct zspage *z, int fg, uint64_t *pages)
{
	struct zs_pool *pool = ck->pool;
	unsigned objs = c->objs_per_zspage;

	if (z->fullness != fg || zs_fullness_group(c, z) != fg)
		fail(ck, "zspage of class %u with %u/%u in use is on list %d (says %d)",
		     c->size, z->inuse, objs, fg, z->fullness);
	if (z->nr_pages != c->pages_per_zspage || z->class_idx != c->index)
		fail(ck, "zspage shape %u pages, class %u; class %u wants %u pages",
		     z->nr_pages, z->class_idx, c->index, c->pages_per_zspage);
	for (unsigned i = 0; i < z->nr_pages && i < ZS_CHAIN_MAX; i++) {
		struct zs_page *pg = &pool->pages[z->pfn[i]];
		if (pg->zspage != z || pg->index != i)
			fail(ck, "pfn %llu (chain position %u) does not point back at its zspage",
			     (unsigned long long)z->pfn[i], i);
	}
	*pages += z->nr_pages;

	/* The free list: in range, no cycle, and exactly the free objects. */
	unsigned nfree = 0;
	char *seen = calloc(objs, 1);
	if (!seen) {
		fail(ck, "out of memory");
		return;
	}
	for (unsigned idx = z->freeobj; idx != ZS_NO_OBJ; nfree++) {
		if (idx >= objs || seen[idx] || nfree > objs) {
			fail(ck, "free list of a class-%u zspage is corrupt at object %u",
			     c->size, idx);
			break;
		}
		seen[idx] = 1;
		uint64_t word;
		zs_obj_copy_out(pool, c, z, idx, 0, &word, sizeof(word));
		if (!c->huge && (word & 1))
			fail(ck, "free object %u of a class-%u zspage carries the allocated tag",
			     idx, c->size);
		idx = (unsigned)(word >> 1);
	}
	if (nfree + z->inuse != objs)
		fail(ck, "class-%u zspage: %u free + %u in use != %u objects",
		     c->size, nfree, z->inuse, objs);

	/* Every live object's handle slot points back at it. */
	for (unsigned idx = 0; idx < objs; idx++) {
		if (seen[idx])
			continue;
		unsigned long h = zs_obj_handle(pool, c, z, idx);
		uint64_t *slot = h ? zs_handle_slot(&pool->handles, h) : NULL;
		unsigned page, off;
		zs_obj_location(c, idx, &page, &off);
		if (!slot || zs_slot_load(slot) != (zs_obj(z->pfn[page], idx) << 1 | 1))
			fail(ck, "class-%u object %u (pfn %llu) and its handle 0x%lx disagree",
			     c->size, idx, (unsigned long long)z->pfn[page], h);
	}
	free(seen);
}

int zs_pool_check(struct zs_pool *pool, char *msg, size_t len)
{
	struct checker ck = { .pool = pool, .msg = msg, .len = len };
	uint64_t pages = 0, zspages = 0;

	if (!pool)
		return -EINVAL;
	if (msg && len)
		msg[0] = '\0';
	pthread_rwlock_wrlock(&pool->lock);
	for (unsigned i = 0; i < ZS_SIZE_CLASSES; i++) {
		struct size_class *c = pool->size_class[i];
		if (c->index != i)
			continue;
		pthread_mutex_lock(&c->lock);
		uint64_t inuse = 0;
		for (unsigned fg = 0; fg < ZS_FULLNESS_GROUPS; fg++) {
			uint64_t n = 0;
			for (struct zspage *z = c->fullness_list[fg]; z; z = z->next) {
				check_zspage(&ck, c, z, (int)fg, &pages);
				inuse += z->inuse;
				n++;
			}
			if (n != c->nr_zspages[fg])
				fail(&ck, "class %u list %u holds %llu zspages, counted %llu",
				     c->size, fg, (unsigned long long)n,
				     (unsigned long long)c->nr_zspages[fg]);
			zspages += n;
		}
		if (inuse != c->objs_inuse)
			fail(&ck, "class %u: %llu objects in zspages, counter says %llu",
			     c->size, (unsigned long long)inuse,
			     (unsigned long long)c->objs_inuse);
		pthread_mutex_unlock(&c->lock);
	}
	/* Only at quiescence can the totals be compared with the lists. */
	if (pages != __atomic_load_n(&pool->pages_used, __ATOMIC_RELAXED))
		fail(&ck, "%llu pages in zspages, pages_used says %llu",
		     (unsigned long long)pages,
		     (unsigned long long)__atomic_load_n(&pool->pages_used, __ATOMIC_RELAXED));
	if (zspages != __atomic_load_n(&pool->nr_zspages, __ATOMIC_RELAXED))
		fail(&ck, "%llu zspages on lists, counter says %llu",
		     (unsigned long long)zspages,
		     (unsigned long long)__atomic_load_n(&pool->nr_zspages, __ATOMIC_RELAXED));
	pthread_rwlock_unlock(&pool->lock);
	return ck.err;
}
