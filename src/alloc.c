/* SPDX-License-Identifier: MIT */
/*
 * The public allocation and free entry points: validate, pick the per-CPU
 * path or the zone path, and keep the cheap always-on checks that make a bad
 * free an error instead of corruption.
 *
 * A free claims its block by compare-and-swap of the head page's state from
 * "allocated, this order" to "in transit", so a double free, a wrong order,
 * a tail pfn or a never-allocated pfn all fail that one check and change
 * nothing, even when two threads race to free the same block.
 */
#include <errno.h>
#include <string.h>

#include "alloc.h"
#include "buddy.h"
#include "cpu.h"
#include "error.h"
#include "highatomic.h"
#include "llist.h"
#include "watermark.h"

/* Under zone->lock: take a block straight from the free lists. */
uint32_t zone_alloc_locked(struct pa_zone *z, unsigned cpu, unsigned order,
			   unsigned mt, unsigned gfp)
{
	uint32_t pfn = PA_NIL;
	bool atomic_high = (gfp & PA_GFP_ATOMIC) && order > 0;

	if (atomic_high)
		pfn = rmqueue_smallest(z, order, PA_MT_HIGHATOMIC, cpu);
	if (pfn == PA_NIL)
		pfn = rmqueue_gfp(z, cpu, order, mt, gfp);
	if (pfn == PA_NIL && (gfp & PA_GFP_ATOMIC))
		pfn = rmqueue_smallest(z, order, PA_MT_HIGHATOMIC, cpu);
	if (pfn != PA_NIL) {
		struct pa_page *p = &z->pages[pfn];

		set_page_mt(p, mt);
		set_page_state(p, PG_STATE(PG_ALLOC, order));
		pageblock_mark_content(z, pfn, order, mt);
		zone_count(z, PAGES_DIRECT_ALLOC, 1ull << order);
		zone_count(z, DIRECT_ALLOC_CALLS, 1);
		zone_count_moved(z, 1ull << order);
	}
	return pfn;
}

static inline __attribute__((always_inline)) uint64_t
alloc_common(struct pa_zone *z, unsigned cpu, unsigned order, unsigned gfp,
	     enum pcp_lock_mode mode)
{
	if (gfp & ~PA_GFP_MASK) {
		/* garbage flags: the nolock bit among them means nothing */
		pa_err(z, -EINVAL, "pa_alloc: unknown gfp bits 0x%x",
		       gfp & ~PA_GFP_MASK);
		zone_count_shared(z, ALLOC_FAILED, 1);
		return PA_NO_PFN;
	}
	if (order > z->max_order || cpu >= z->ncpus) {
		pa_err(z, -EINVAL,
		       "pa_alloc: %s %u out of range (max %u)",
		       order > z->max_order ? "order" : "cpu",
		       order > z->max_order ? order : cpu,
		       order > z->max_order ? z->max_order : z->ncpus - 1);
		zone_count_shared(z, ALLOC_FAILED, 1);
		return PA_NO_PFN;
	}
	unsigned mt = gfp_migratetype(gfp);
	uint32_t pfn;
	int r = alloc_try_as(z, cpu, order, mt, gfp, &pfn, mode);

	if (__builtin_expect(r == 0 && pfn == PA_NIL && !nolock(gfp), 0))
		r = alloc_slowpath(z, cpu, order, mt, gfp, &pfn);
	if (pfn == PA_NIL) {
		zone_count_shared(z, ALLOC_FAILED, 1);
		if (r == -EBUSY)
			zone_count_shared(z, NOLOCK_ALLOC_FAILED, 1);
		else if (!(gfp & PA_GFP_NOWARN))
			REPORT(z, gfp, -ENOMEM,
			       "pa_alloc: order-%u %s allocation failed: %llu pages free, min watermark %llu",
			       order, pa_migratetype_name(mt),
			       (unsigned long long)STAT_LOAD(z->free_pages),
			       (unsigned long long)STAT_LOAD(z->wmark_min));
		return PA_NO_PFN;
	}
	alloc_finish(z, cpu, pfn, order, mt, gfp);
	return pfn;
}

static const char *why_not_allocated(uint16_t st, unsigned order,
				     char *buf, size_t len)
{
	unsigned flags = st & 0xff, have = st >> 8;

	if (flags & PG_ALLOC) {
		if (flags & PG_CONTIG)
			return "block is part of a pa_alloc_contig range (pa_free_contig frees it)";
		if (flags & PG_ISOLATED)
			return "block is isolated for migration";
		snprintf(buf, len, "block was allocated with order %u, not %u",
			 have, order);
		return buf;
	}
	if (flags & (PG_BUDDY | PG_PCP | PG_LLIST))
		return "block is already free (double free?)";
	return "pfn is not the start of an allocated block";
}

bool free_strict_ok(struct pa_zone *z, uint32_t pfn, unsigned order)
{
	for (uint64_t t = 1; t < (1ull << order); t++) {
		if (page_state(&z->pages[pfn + t])) {
			/* metadata corruption: give the block back its state */
			set_page_state(&z->pages[pfn], PG_STATE(PG_ALLOC, order));
			return false;
		}
	}
	return true;
}

int free_refuse(struct pa_zone *z, unsigned cpu, uint64_t pfn64,
		unsigned order, const char *fn)
{
	const char *why;
	char buf[80];
	uint16_t st = pfn64 < STAT_LOAD(z->nr_pages) ? page_state(&z->pages[pfn64]) : 0;

	if (order > z->max_order)
		why = "order above max_order";
	else if (pfn64 >= STAT_LOAD(z->nr_pages))
		why = "pfn out of range";
	else if (pfn64 & ((1ull << order) - 1))
		why = "pfn not aligned to its order";
	else if (cpu >= z->ncpus)
		why = "cpu out of range";
	else if (st == PG_STATE(PG_ALLOC, order))
		/* claimable, so free_strict_ok() refused it */
		why = "block overlaps another block (corrupt metadata)";
	else
		why = why_not_allocated(st, order, buf, sizeof(buf));
	zone_count_shared(z, BAD_FREES, 1);
	pa_err(z, -EINVAL, "%s: pfn %llu order %u: %s", fn,
	       (unsigned long long)pfn64, order, why);
	return -EINVAL;
}

/* The rest of a free once claimed: the pageset if it caches the order,
 * else (or if it is busy) the zone. */
static inline __attribute__((always_inline)) int
free_claimed(struct pa_zone *z, unsigned cpu, uint32_t pfn, unsigned order,
	     unsigned gfp, enum pcp_lock_mode mode)
{
	if (pcp_caches_free(z, order) &&
	    pcp_free_as(z, cpu, pfn, order, gfp, mode) == 0)
		return 0;
	if (nolock(gfp) && !zone_trylock(z)) {
		/* Defer: the next zone->lock holder merges it. */
		llist_push(z->pages, &z->llist_head, &z->llist_pages, pfn, order);
		zone_count_shared(z, NOLOCK_DEFERRED, 1);
		return 0;
	}
	if (!nolock(gfp))
		zone_lock(z);
	zone_free_locked(z, pfn, order);
	zone_unlock(z);
	return 0;
}

static inline __attribute__((always_inline)) int
free_common(struct pa_zone *z, unsigned cpu, uint64_t pfn64, unsigned order,
	    unsigned gfp, enum pcp_lock_mode mode)
{
	uint32_t pfn = (uint32_t)pfn64;

	if (free_claim(z, cpu, pfn64, order, "pa_free"))
		return -EINVAL;
	return free_claimed(z, cpu, pfn, order, gfp, mode);
}

#ifdef PA_HAVE_RSEQ_ASM
/* What a stack serves (rseq.h): a valid request of a cached order that
 * needs nothing beyond a block (no highatomic reserve, no trace event)
 * and passes the watermark check every pageset allocation makes. */
static inline bool stack_request(const struct pa_zone *z, unsigned order,
				 unsigned gfp)
{
	return !(gfp & ~PA_GFP_MASK) && order <= z->max_order &&
	       pcp_allowed_order(z, order) &&
	       !((gfp & PA_GFP_ATOMIC) && order) && !TRACING(z) &&
	       zone_watermark_ok(z, order, gfp);
}

/* The calling CPU's stack, else the usual way; after a miss, refill the
 * stack from the list the usual way just refilled. */
static inline __attribute__((always_inline)) uint64_t
alloc_stack(struct pa_zone *z, unsigned order, unsigned gfp)
{
	unsigned mt = gfp_migratetype(gfp), cpu;
	uint32_t pfn;
	int r = pcp_stack_alloc(z, order, mt, &pfn);

	if (__builtin_expect(r == STACK_TOOK, 1)) {
		alloc_zero(z, pfn, order, gfp);
		return pfn;
	}
	cpu = cpu_current(z);
	if (r == STACK_MISS && pcp_stack_refill(z, cpu, order, mt, gfp, &pfn) == 0) {
		alloc_zero(z, pfn, order, gfp);
		return pfn;
	}
	return alloc_common(z, cpu, order, gfp, PCP_LOCK_RSEQ);
}

/* The claim stays a compare-and-swap (docs/DESIGN.md "rseq fast path"
 * says why a plain store cannot be exact); the push is the sequence. */
static inline __attribute__((always_inline)) int
free_stack(struct pa_zone *z, uint64_t pfn64, unsigned order, unsigned gfp)
{
	/* the CPU only for the trace event here: the push finds its own */
	unsigned cpu = TRACING(z) ? cpu_current(z) : 0, mt;

	if (free_claim(z, cpu, pfn64, order, "pa_free"))
		return -EINVAL;
	if (!pcp_caches_free(z, order))
		return free_claimed(z, cpu_current(z), (uint32_t)pfn64, order,
				    gfp, PCP_LOCK_RSEQ);
	int r = pcp_stack_free(z, (uint32_t)pfn64, order, &mt);

	if (__builtin_expect(r == STACK_TOOK, 1))
		return 0;
	cpu = cpu_current(z);
	/* full: its blocks and this one go to the list, where `high`
	 * and drains count them */
	if (r == STACK_MISS &&
	    pcp_stack_spill(z, cpu, (uint32_t)pfn64, order, mt, gfp) == 0)
		return 0;
	return free_claimed(z, cpu, (uint32_t)pfn64, order, gfp, PCP_LOCK_RSEQ);
}
#endif

/* The calling thread's CPU: the stacks where the zone has them.  One
 * test of the fast path chosen, here, so the trylock fallback's body has
 * none left (pcp_lock_mode). */
static inline __attribute__((always_inline)) uint64_t
alloc_current(struct pa_zone *z, unsigned order, unsigned gfp)
{
#ifdef PA_HAVE_RSEQ_ASM
	if (z->fast_rseq) {
		if (z->fast_stacks && stack_request(z, order, gfp))
			return alloc_stack(z, order, gfp);
		return alloc_common(z, cpu_current(z), order, gfp,
				    PCP_LOCK_RSEQ);
	}
#endif
	return alloc_common(z, cpu_current(z), order, gfp, PCP_LOCK_PLAIN);
}

static inline __attribute__((always_inline)) int
free_current(struct pa_zone *z, uint64_t pfn, unsigned order, unsigned gfp)
{
#ifdef PA_HAVE_RSEQ_ASM
	if (z->fast_rseq) {
		if (z->fast_stacks)
			return free_stack(z, pfn, order, gfp);
		return free_common(z, cpu_current(z), pfn, order, gfp,
				   PCP_LOCK_RSEQ);
	}
#endif
	return free_common(z, cpu_current(z), pfn, order, gfp, PCP_LOCK_PLAIN);
}

/* The entry points share the bodies above, inlined into each. */
uint64_t pa_alloc_cpu(struct pa_zone *z, unsigned cpu, unsigned order,
		      unsigned gfp)
{
	return alloc_common(z, cpu, order, gfp, PCP_LOCK_ZONE);
}

int pa_free_cpu(struct pa_zone *z, unsigned cpu, uint64_t pfn, unsigned order)
{
	return free_common(z, cpu, pfn, order, 0, PCP_LOCK_ZONE);
}

uint64_t pa_alloc(struct pa_zone *z, unsigned order, unsigned gfp)
{
	return alloc_current(z, order, gfp);
}

int pa_free(struct pa_zone *z, uint64_t pfn, unsigned order)
{
	return free_current(z, pfn, order, 0);
}

uint64_t pa_alloc_nolock(struct pa_zone *z, unsigned order, unsigned gfp)
{
	return alloc_current(z, order, gfp | PA_GFP_NOLOCK);
}

int pa_free_nolock(struct pa_zone *z, uint64_t pfn, unsigned order)
{
	return free_current(z, pfn, order, PA_GFP_NOLOCK);
}

void *pa_alloc_pages(struct pa_zone *z, unsigned order, unsigned gfp)
{
	if (!z->mem) {
		REPORT(z, gfp, -EINVAL,
		       "pa_alloc_pages: zone %s has no memory behind it (PA_BACKING_NONE)",
		       z->name);
		zone_count_shared(z, ALLOC_FAILED, 1);
		errno = EINVAL;
		return NULL;
	}
	uint64_t pfn = pa_alloc(z, order, gfp);

	if (pfn == PA_NO_PFN) {
		errno = (gfp & ~PA_GFP_MASK) || order > z->max_order ? EINVAL
								       : ENOMEM;
		return NULL;
	}
	return z->mem + (pfn << z->page_shift);
}

int pa_free_pages(struct pa_zone *z, void *addr, unsigned order)
{
	uint64_t pfn = pa_addr_to_pfn(z, addr);

	/* inside the zone (the conversion's checks) and on a page start */
	if (pfn == PA_NO_PFN ||
	    (((uintptr_t)addr - (uintptr_t)z->mem) & ((1ull << z->page_shift) - 1))) {
		zone_count_shared(z, BAD_FREES, 1);
		pa_err(z, -EINVAL,
		       "pa_free_pages: %p is not a page address of zone %s", addr,
		       z->name);
		return -EINVAL;
	}
	return pa_free(z, pfn, order);
}

void *pa_pfn_to_addr(const struct pa_zone *z, uint64_t pfn)
{
	if (!z->mem || pfn >= STAT_LOAD(z->nr_pages))
		return NULL;
	return z->mem + (pfn << z->page_shift);
}

uint64_t pa_addr_to_pfn(const struct pa_zone *z, const void *addr)
{
	const char *a = addr;

	if (!z->mem || a < z->mem ||
	    (uint64_t)(a - z->mem) >= (STAT_LOAD(z->nr_pages) << z->page_shift))
		return PA_NO_PFN;
	return (uint64_t)(a - z->mem) >> z->page_shift;
}
