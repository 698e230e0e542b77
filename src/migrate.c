/* SPDX-License-Identifier: MIT */
/*
 * Movable blocks and their migration.  An owner (zsmalloc, the lab)
 * registers isolate/migrate/putback operations and marks its allocated
 * blocks, of any order, with the returned id.  A block being moved carries
 * PG_ISOLATED, so a free of it meanwhile fails loudly instead of racing the
 * copy; the owner's isolate callback is where it stops its own users from
 * freeing.  Each migration holds a reference on its owner's slot, and
 * unregistering waits for those to drop.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "migrate.h"
#include "buddy.h"
#include "cpu.h"
#include "error.h"

int pa_register_movable_ops(struct pa_zone *z, const struct pa_movable_ops *ops,
			    void *owner)
{
	if (!ops || !ops->isolate || !ops->migrate || !ops->putback) {
		pa_err(z, -EINVAL, "pa_register_movable_ops: NULL callback");
		return -EINVAL;
	}
	int id = -ENOSPC;

	pa_lock_acquire(&z->movable_lock);
	for (int i = 1; i <= PA_MAX_MOVABLE_OPS; i++) {
		if (!z->movable[i].ops &&
		    !__atomic_load_n(&z->movable_inflight[i], __ATOMIC_ACQUIRE)) {
			z->movable[i] = (struct movable_slot){ ops, owner };
			id = i;
			break;
		}
	}
	pa_lock_release(&z->movable_lock);
	if (id < 0)
		pa_err(z, id, "pa_register_movable_ops: all %d slots in use",
		       PA_MAX_MOVABLE_OPS);
	return id;
}

int pa_unregister_movable_ops(struct pa_zone *z, int id)
{
	int r = -EINVAL;

	pa_lock_acquire(&z->movable_lock);
	if (id > 0 && id <= PA_MAX_MOVABLE_OPS && z->movable[id].ops) {
		z->movable[id] = (struct movable_slot){ 0 };
		r = 0;
	}
	pa_lock_release(&z->movable_lock);
	if (r) {
		pa_err(z, r, "pa_unregister_movable_ops: id %d not registered", id);
		return r;
	}
	/* migrations that found the slot before it was cleared */
	while (__atomic_load_n(&z->movable_inflight[id], __ATOMIC_ACQUIRE))
		sched_yield();
	return 0;
}

/* Copy the slot and take a reference on it: false if id is not
 * registered. */
static bool slot_get(struct pa_zone *z, int id, struct movable_slot *out)
{
	bool ok = false;

	pa_lock_acquire(&z->movable_lock);
	if (id > 0 && id <= PA_MAX_MOVABLE_OPS && z->movable[id].ops) {
		*out = z->movable[id];
		__atomic_fetch_add(&z->movable_inflight[id], 1, __ATOMIC_RELAXED);
		ok = true;
	}
	pa_lock_release(&z->movable_lock);
	return ok;
}

static void slot_put(struct pa_zone *z, int id)
{
	__atomic_fetch_sub(&z->movable_inflight[id], 1, __ATOMIC_RELEASE);
}

static bool slot_registered(struct pa_zone *z, int id)
{
	bool ok;

	pa_lock_acquire(&z->movable_lock);
	ok = id > 0 && id <= PA_MAX_MOVABLE_OPS && z->movable[id].ops;
	pa_lock_release(&z->movable_lock);
	return ok;
}

/* Head of an allocated block that is not isolated or a contiguous piece. */
static bool plain_allocated_head(const struct pa_zone *z, uint64_t pfn)
{
	return pfn < STAT_LOAD(z->nr_pages) &&
	       (page_flags(&z->pages[pfn]) & ~PG_ALLOC) == 0 &&
	       (page_flags(&z->pages[pfn]) & PG_ALLOC);
}

int pa_set_page_movable(struct pa_zone *z, uint64_t pfn, int id)
{
	if (!plain_allocated_head(z, pfn)) {
		pa_err(z, -EINVAL,
		       "pa_set_page_movable: pfn %llu is not the head of an allocated block",
		       (unsigned long long)pfn);
		return -EINVAL;
	}
	if (id != 0 && !slot_registered(z, id)) {
		pa_err(z, -EINVAL, "pa_set_page_movable: id %d not registered", id);
		return -EINVAL;
	}
	__atomic_store_n(&z->pages[pfn].movable, (uint8_t)id, __ATOMIC_RELEASE);
	return 0;
}

/* ---- copying for owners ---- */

/* bytes: a multiple of 64, both addresses 16-byte aligned (pages are). */
static void copy_streaming(char *dst, const char *src, size_t bytes)
{
#if defined(__SSE2__)
	__m128i *d = (__m128i *)(void *)dst;
	const __m128i *s = (const __m128i *)(const void *)src;

	for (size_t i = 0; i < bytes / sizeof(*d); i += 4) {
		__m128i a = _mm_load_si128(s + i), b = _mm_load_si128(s + i + 1);
		__m128i c = _mm_load_si128(s + i + 2), e = _mm_load_si128(s + i + 3);

		_mm_stream_si128(d + i, a);
		_mm_stream_si128(d + i + 1, b);
		_mm_stream_si128(d + i + 2, c);
		_mm_stream_si128(d + i + 3, e);
	}
	/* streaming stores are weakly ordered: before dst is published */
	_mm_sfence();
#else
	memcpy(dst, src, bytes);
#endif
}

int pa_copy_block(struct pa_zone *z, uint64_t dst, uint64_t src, unsigned order)
{
	uint64_t n = order < 32 ? 1ull << order : 0, pages = STAT_LOAD(z->nr_pages);

	if (!z->mem || !n || (dst | src) & (n - 1) || dst >= pages ||
	    src >= pages || n > pages - dst || n > pages - src ||
	    (dst < src + n && src < dst + n)) {
		pa_err(z, -EINVAL,
		       "pa_copy_block: pfn %llu -> %llu, order %u: need two disjoint aligned blocks of a backed zone",
		       (unsigned long long)src, (unsigned long long)dst, order);
		return -EINVAL;
	}
	copy_streaming(z->mem + (dst << z->page_shift),
		       z->mem + (src << z->page_shift),
		       (size_t)n << z->page_shift);
	return 0;
}

/* ---- the batch ---- */

/* slot_get, without the table lock when the batch already holds a
 * reference on this owner (unregister cannot finish while it does). */
static bool batch_slot_get(struct pa_zone *z, const struct migrate_batch *b,
			   int id, struct movable_slot *out)
{
	for (unsigned i = b->n; i-- > 0;)
		if (b->it[i].id == id) {
			*out = b->it[i].slot;
			__atomic_fetch_add(&z->movable_inflight[id], 1,
					   __ATOMIC_RELAXED);
			return true;
		}
	return slot_get(z, id, out);
}

int migrate_batch_add(struct pa_zone *z, struct migrate_batch *b, uint64_t pfn)
{
	if (b->n == MIGRATE_BATCH)
		return -ENOSPC;
	struct pa_page *p = &z->pages[pfn];
	uint16_t st = page_state(p);
	int id = __atomic_load_n(&p->movable, __ATOMIC_ACQUIRE);
	struct migrate_item *it = &b->it[b->n];

	if (st != PG_STATE(PG_ALLOC, st >> 8) || !id)
		return -EINVAL;
	if (!batch_slot_get(z, b, id, &it->slot))
		return -EINVAL;
	if (!it->slot.ops->isolate(it->slot.owner, pfn)) {
		slot_put(z, id);
		return -EBUSY;
	}
	/* the block may have been freed and reused since we read it */
	if (!page_state_cas(p, st, st | PG_ISOLATED) ||
	    __atomic_load_n(&p->movable, __ATOMIC_ACQUIRE) != id) {
		if (page_state(p) == (st | PG_ISOLATED))
			set_page_state(p, st);
		it->slot.ops->putback(it->slot.owner, pfn);
		slot_put(z, id);
		return -EBUSY;
	}
	it->src = (uint32_t)pfn;
	it->dst = PA_NIL;
	it->order = (uint8_t)(st >> 8);
	it->mt = (uint8_t)page_mt(p);
	it->id = (uint8_t)id;
	b->n++;
	return 0;
}

/* One zone->lock hold: a destination for every item, allocated. */
static void take_destinations(struct pa_zone *z, struct migrate_batch *b,
			      migrate_target_fn target, void *arg)
{
	uint64_t pages = 0;

	zone_lock(z);
	for (unsigned i = 0; i < b->n; i++) {
		struct migrate_item *it = &b->it[i];

		it->dst = target(z, arg, it->src, it->order);
		if (it->dst == PA_NIL)
			continue;
		set_page_mt(&z->pages[it->dst], it->mt);
		set_page_state(&z->pages[it->dst], PG_STATE(PG_ALLOC, it->order));
		pageblock_mark_content(z, it->dst, it->order, it->mt);
		pages += 1ull << it->order;
	}
	zone_count_moved(z, pages);
	zone_unlock(z);
}

/* The owner copies, no zone lock held.  The destination is marked before
 * the owner sees it: once migrate returns, the owner may already have
 * published and even freed it.  0, or -ENOMEM (no destination), or the
 * owner's error. */
static int copy_one(struct pa_zone *z, struct migrate_item *it)
{
	if (it->dst == PA_NIL)
		return -ENOMEM;
	__atomic_store_n(&z->pages[it->dst].movable, it->id, __ATOMIC_RELEASE);
	return it->slot.ops->migrate(it->slot.owner, it->dst, it->src);
}

/* Second hold: sources of moved blocks and destinations of failed ones
 * go straight back to the zone's free lists. */
static void free_leftovers(struct pa_zone *z, struct migrate_batch *b,
			   const int *rc)
{
	uint64_t pages = 0;

	zone_lock(z);
	for (unsigned i = 0; i < b->n; i++) {
		struct migrate_item *it = &b->it[i];
		uint32_t pfn = rc[i] ? it->dst : it->src;

		if (rc[i])
			set_page_state(&z->pages[it->src],
				       PG_STATE(PG_ALLOC, it->order));
		if (pfn == PA_NIL)
			continue;
		__atomic_store_n(&z->pages[pfn].movable, 0, __ATOMIC_RELAXED);
		set_page_state(&z->pages[pfn], 0);
		free_one_page(z, pfn, it->order);
		pages += 1ull << it->order;
	}
	zone_count(z, PAGES_DIRECT_FREE, pages);
	zone_count_moved(z, pages);
	zone_unlock(z);
}

void migrate_batch_run(struct pa_zone *z, struct migrate_batch *b,
		       migrate_target_fn target, void *arg,
		       struct migrate_result *res)
{
	int rc[MIGRATE_BATCH];
	uint64_t ok = 0, bad = 0;

	if (!b->n)
		return;
	take_destinations(z, b, target, arg);
	for (unsigned i = 0; i < b->n; i++) {
		rc[i] = copy_one(z, &b->it[i]);
		if (rc[i] == -ENOMEM && b->it[i].dst == PA_NIL)
			res->nomem += 1ull << b->it[i].order;
		else if (rc[i])
			res->last_err = rc[i];
	}
	free_leftovers(z, b, rc);
	for (unsigned i = 0; i < b->n; i++) {
		struct migrate_item *it = &b->it[i];

		if (rc[i]) {
			it->slot.ops->putback(it->slot.owner, it->src);
			bad += 1ull << it->order;
		} else {
			ok += 1ull << it->order;
		}
		slot_put(z, it->id);
	}
	zone_count_shared(z, PGMIGRATE_SUCCESS, ok);
	zone_count_shared(z, PGMIGRATE_FAIL, bad);
	zone_count_shared(z, PGMIGRATE_BLOCKS, b->n);
	res->moved += ok;
	res->failed += bad;
	b->n = 0;
}

/* ---- pa_migrate_page: one block, somewhere else ---- */

/* A free block of mt outside src's pageblock (moving within a block does
 * nothing for fragmentation), at most 64 list entries looked at per
 * order; failing that, anything the zone's allocator gives. */
static uint32_t target_elsewhere(struct pa_zone *z, void *arg, uint32_t src,
				 unsigned order)
{
	unsigned mt = *(const unsigned *)arg;
	uint64_t avoid = pfn_to_pb(z, src);

	for (unsigned o = order; o <= z->max_order; o++) {
		uint32_t pfn = fa_first(z, o, mt);

		for (unsigned seen = 0; pfn != PA_NIL && seen < 64; seen++) {
			if (o >= z->pb_order || pfn_to_pb(z, pfn) != avoid) {
				take_free_block(z, pfn, o, mt, pfn, order);
				return pfn;
			}
			pfn = fa_next(z, pfn, o, mt);
		}
	}
	return rmqueue(z, cpu_current(z), order, mt);
}

int pa_migrate_page(struct pa_zone *z, uint64_t pfn, uint64_t *new_pfn)
{
	struct migrate_batch b = { 0 };
	struct migrate_result res = { 0 };
	int r = pfn < STAT_LOAD(z->nr_pages) ? migrate_batch_add(z, &b, pfn) : -EINVAL;

	if (r == -EINVAL)
		pa_err(z, r,
		       "pa_migrate_page: pfn %llu is not an allocated movable block",
		       (unsigned long long)pfn);
	if (r)
		return r;
	unsigned mt = b.it[0].mt;

	migrate_batch_run(z, &b, target_elsewhere, &mt, &res);
	if (!res.moved)
		return res.nomem ? -ENOMEM : res.last_err;
	*new_pfn = b.it[0].dst;
	return 0;
}

void migrate_range(struct pa_zone *z, uint64_t start, uint64_t end,
		   migrate_target_fn target, void *arg,
		   struct migrate_result *res)
{
	struct migrate_batch b = { 0 };

	for (uint64_t pfn = start; pfn < end;) {
		uint16_t st = page_state(&z->pages[pfn]);

		if (!st) {
			pfn++;
			continue;
		}
		if ((st & 0xff) == PG_ALLOC)
			(void)migrate_batch_add(z, &b, pfn);
		if (b.n == MIGRATE_BATCH)
			migrate_batch_run(z, &b, target, arg, res);
		pfn += 1ull << (st >> 8);
	}
	migrate_batch_run(z, &b, target, arg, res);
}
