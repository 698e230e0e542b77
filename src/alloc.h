/* SPDX-License-Identifier: MIT */
/*
 * What the allocation and free entry points share, single and bulk alike
 * (alloc.c, bulk.c): the validation and compare-and-swap claim of a free,
 * the zone path of one block each way, and the finishing touches of an
 * allocation.  Inline where the single paths run them on every call.
 */
#ifndef PA_ALLOC_H
#define PA_ALLOC_H

#include <string.h>

#include "buddy.h"
#include "error.h"
#include "highatomic.h"
#include "pcp.h"
#include "trace.h"

static inline bool nolock(unsigned gfp)
{
	return gfp & PA_GFP_NOLOCK;
}

/* Error messages are formatted with vsnprintf, which is not
 * async-signal-safe: the nolock API stays silent about running out of
 * memory.  Invalid arguments are programming errors and always reported. */
#define REPORT(z, gfp, err, ...)                        \
	do {                                            \
		if (!nolock(gfp))                       \
			pa_err((z), (err), __VA_ARGS__); \
	} while (0)

/* zone->lock held: one block of order/mt from the free lists (with the
 * highatomic reserve for atomic requests), or PA_NIL. */
uint32_t zone_alloc_locked(struct pa_zone *z, unsigned cpu, unsigned order,
			   unsigned mt, unsigned gfp);

/* zone->lock held: give one claimed block straight back to the zone. */
static inline void zone_free_locked(struct pa_zone *z, uint32_t pfn,
				    unsigned order)
{
	free_one_page(z, pfn, order);
	zone_count(z, PAGES_DIRECT_FREE, 1ull << order);
	zone_count(z, DIRECT_FREE_CALLS, 1);
	zone_count_moved(z, 1ull << order);
}

/* One attempt: per-CPU list if the order is cached there, else (or if the
 * pageset is busy) the zone.  -EBUSY: nolock and a lock was busy. */
static inline __attribute__((always_inline)) int
alloc_try_as(struct pa_zone *z, unsigned cpu, unsigned order, unsigned mt,
	     unsigned gfp, uint32_t *out, enum pcp_lock_mode mode)
{
	*out = PA_NIL;
	if (!zone_watermark_ok(z, order, gfp))
		return 0;
	if (z->use_pcp && pcp_allowed_order(z, order)) {
		int r = pcp_alloc_as(z, cpu, order, mt, gfp, out, mode);

		if (r == 0 || r == -EBUSY)
			return r;
		/* -EAGAIN: pageset busy or CPU offline, use the zone */
	}
	if (!zone_lock_gfp(z, gfp))
		return -EBUSY;
	*out = zone_alloc_locked(z, cpu, order, mt, gfp);
	zone_unlock(z);
	return 0;
}

static inline __attribute__((always_inline)) int
alloc_try(struct pa_zone *z, unsigned cpu, unsigned order, unsigned mt,
	  unsigned gfp, uint32_t *out)
{
	return alloc_try_as(z, cpu, order, mt, gfp, out, PCP_LOCK_ZONE);
}

/* slowpath.c: what an allocation does when its first attempt found
 * nothing (never for PA_GFP_NOLOCK): drain, reclaim, compact, evacuate,
 * and only then drop the policy's no-fragmentation rule.  Returns as
 * alloc_try; *out is PA_NIL if every step failed. */
int alloc_slowpath(struct pa_zone *z, unsigned cpu, unsigned order,
		   unsigned mt, unsigned gfp, uint32_t *out);

/* Out of line: say why a free is refused (error hook, bad_frees);
 * -EINVAL.  `fn` names the entry point in the message. */
int free_refuse(struct pa_zone *z, unsigned cpu, uint64_t pfn64,
		unsigned order, const char *fn);
/* PA_CFG_STRICT: every page of the claimed block must be a plain tail;
 * false (claim undone) if not. */
bool free_strict_ok(struct pa_zone *z, uint32_t pfn, unsigned order);

/*
 * Validate a free and claim its block: in range, aligned, the head of an
 * allocated block of this order, taken by one CAS so that two racing
 * frees of one block cannot both win.  0: the block is ours to free;
 * -EINVAL: refused and reported, the zone unchanged.
 */
/* A free's pfn, order <= max_order known: in range and aligned. */
static inline __attribute__((always_inline)) bool
free_pfn_ok(const struct pa_zone *z, uint64_t pfn64, unsigned order)
{
	return pfn64 < STAT_LOAD(z->nr_pages) && !(pfn64 & ((1ull << order) - 1));
}

/* The claim itself, the pfn checked (p its head page): the head of an
 * allocated block of this order, taken by one CAS.  true: the block is
 * ours; false: nothing changed. */
static inline __attribute__((always_inline)) bool
free_take_block(struct pa_page *p, unsigned order)
{
	return page_state_cas(p, PG_STATE(PG_ALLOC, order), 0);
}

/* A claimed block is no longer a migration candidate. */
static inline void free_clear_movable(struct pa_page *p)
{
	if (__atomic_load_n(&p->movable, __ATOMIC_RELAXED))
		__atomic_store_n(&p->movable, 0, __ATOMIC_RELAXED);
}

static inline __attribute__((always_inline)) int
free_claim(struct pa_zone *z, unsigned cpu, uint64_t pfn64, unsigned order,
	   const char *fn)
{
	uint32_t pfn = (uint32_t)pfn64;

	if (__builtin_expect(order > z->max_order || cpu >= z->ncpus ||
				     !free_pfn_ok(z, pfn64, order) ||
				     !free_take_block(&z->pages[pfn], order),
			     0))
		return free_refuse(z, cpu, pfn64, order, fn);
	if ((z->cfg.flags & PA_CFG_STRICT) && !free_strict_ok(z, pfn, order))
		return free_refuse(z, cpu, pfn64, order, fn);
	free_clear_movable(&z->pages[pfn]);
	if (TRACING(z))
		trace_page_free(z, cpu, pfn, order);
	return 0;
}

/* Whether a free of this order may go to a pageset: the orders an
 * allocation takes from one, under every policy (the kernel's
 * pcp_allowed_order on both sides).  Orders between the costly order and
 * the pageblock's are allocated from the zone, so their frees go there
 * too: cached on a pageset (pcpbuddy did), every one hid from the next
 * request of its order, which found the zone short, reclaimed and then
 * drained every pageset (the 256 GiB server: 10.5x mainline's pages
 * under zone->lock). */
static inline bool pcp_caches_free(const struct pa_zone *z, unsigned order)
{
	return z->use_pcp && pcp_allowed_order(z, order);
}

/* After a block was handed out: the highatomic reservation of a
 * high-order atomic request, zeroing, the trace event. */
/* PA_GFP_ZERO: clear the block's memory (if the zone has some). */
static inline void alloc_zero(struct pa_zone *z, uint32_t pfn, unsigned order,
			      unsigned gfp)
{
	if ((gfp & PA_GFP_ZERO) && z->mem)
		memset(z->mem + ((uint64_t)pfn << z->page_shift), 0,
		       (size_t)1 << (order + z->page_shift));
}

static inline void alloc_finish(struct pa_zone *z, unsigned cpu, uint32_t pfn,
				unsigned order, unsigned mt, unsigned gfp)
{
	if ((gfp & PA_GFP_ATOMIC) && order > 0 &&
	    pb_mt(pfn_pb(z, pfn)) != PA_MT_HIGHATOMIC)
		reserve_highatomic_pageblock(z, pfn, order, gfp);
	alloc_zero(z, pfn, order, gfp);
	if (TRACING(z))
		trace_page_alloc(z, cpu, pfn, order, mt, gfp);
}

#endif
