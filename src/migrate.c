/* SPDX-License-Identifier: MIT */
/*
 * Movable pages: an owner (zsmalloc) registers isolate/migrate/putback
 * operations and marks its pages with the returned id; pa_migrate_page()
 * moves one such page.  The page's state gains PG_ISOLATED while it moves,
 * so a free of it meanwhile fails loudly instead of racing the copy; the
 * owner's isolate callback is where it stops its own users from freeing.
 */
#include <errno.h>

#include "zone.h"

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
		if (!z->movable[i].ops) {
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
	if (r)
		pa_err(z, r, "pa_unregister_movable_ops: id %d not registered", id);
	return r;
}

static bool lookup_ops(struct pa_zone *z, int id, struct movable_slot *out)
{
	bool ok = false;

	pa_lock_acquire(&z->movable_lock);
	if (id > 0 && id <= PA_MAX_MOVABLE_OPS && z->movable[id].ops) {
		*out = z->movable[id];
		ok = true;
	}
	pa_lock_release(&z->movable_lock);
	return ok;
}

int pa_set_page_movable(struct pa_zone *z, uint64_t pfn, int id)
{
	struct movable_slot slot;

	if (pfn >= z->nr_pages ||
	    page_state(&z->pages[pfn]) != PG_STATE(PG_ALLOC, 0)) {
		pa_err(z, -EINVAL,
		       "pa_set_page_movable: pfn %llu is not an allocated order-0 page",
		       (unsigned long long)pfn);
		return -EINVAL;
	}
	if (id != 0 && !lookup_ops(z, id, &slot)) {
		pa_err(z, -EINVAL, "pa_set_page_movable: id %d not registered", id);
		return -EINVAL;
	}
	__atomic_store_n(&z->pages[pfn].movable, (uint8_t)id, __ATOMIC_RELEASE);
	return 0;
}

int pa_migrate_page(struct pa_zone *z, uint64_t pfn, uint64_t *new_pfn)
{
	struct movable_slot slot;
	int id;

	if (pfn >= z->nr_pages ||
	    page_state(&z->pages[pfn]) != PG_STATE(PG_ALLOC, 0) ||
	    !(id = __atomic_load_n(&z->pages[pfn].movable, __ATOMIC_ACQUIRE)) ||
	    !lookup_ops(z, id, &slot)) {
		pa_err(z, -EINVAL,
		       "pa_migrate_page: pfn %llu is not an allocated movable page",
		       (unsigned long long)pfn);
		return -EINVAL;
	}
	struct pa_page *src = &z->pages[pfn];

	if (!slot.ops->isolate(slot.owner, pfn))
		return -EBUSY;
	if (!page_state_cas(src, PG_STATE(PG_ALLOC, 0),
			    PG_STATE(PG_ALLOC | PG_ISOLATED, 0))) {
		slot.ops->putback(slot.owner, pfn);
		return -EBUSY;
	}

	/* A destination outside the source's pageblock if the zone has one:
	 * moving within a block does nothing for fragmentation.  Failing
	 * that, any movable page. */
	unsigned cpu = cpu_current(z);
	uint64_t dst = PA_NO_PFN;

	if (zone_watermark_ok(z, 0, PA_GFP_MOVABLE)) {
		zone_lock(z);
		uint32_t d = zone_alloc_outside(z, cpu, PA_MT_MOVABLE,
						pfn_to_pb(z, pfn));
		zone_unlock(z);
		if (d != PA_NIL)
			dst = d;
	}
	if (dst == PA_NO_PFN)
		dst = pa_alloc_cpu(z, cpu, 0, PA_GFP_MOVABLE | PA_GFP_NOWARN);
	/* Mark dst before the owner sees it: once migrate returns, the owner
	 * may already have published and even freed it. */
	if (dst != PA_NO_PFN)
		__atomic_store_n(&z->pages[dst].movable, (uint8_t)id,
				 __ATOMIC_RELEASE);
	int rc = dst == PA_NO_PFN ? -ENOMEM
				  : slot.ops->migrate(slot.owner, dst, pfn);

	if (rc) {
		if (dst != PA_NO_PFN) {
			__atomic_store_n(&z->pages[dst].movable, 0, __ATOMIC_RELAXED);
			pa_free_cpu(z, cpu, dst, 0);
		}
		set_page_state(src, PG_STATE(PG_ALLOC, 0));
		slot.ops->putback(slot.owner, pfn);
		zone_count_shared(z, PGMIGRATE_FAIL, 1);
		return rc;
	}
	set_page_state(src, PG_STATE(PG_ALLOC, 0));
	pa_free_cpu(z, cpu, pfn, 0);
	zone_count_shared(z, PGMIGRATE_SUCCESS, 1);
	*new_pfn = dst;
	return 0;
}
