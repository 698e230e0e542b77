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

/* The calling thread's CPU without the stacks: one test of the fast
 * path chosen, here, so the trylock fallback's body has none left
 * (pcp_lock_mode).  Inlined into the entry points' out-of-line paths,
 * and out of line itself for the stack paths' jumps. */
static inline __attribute__((always_inline)) uint64_t
alloc_calling_cpu(struct pa_zone *z, unsigned order, unsigned gfp)
{
#ifdef PA_HAVE_RSEQ_ASM
	if (z->fast_rseq)
		return alloc_common(z, cpu_current(z), order, gfp,
				    PCP_LOCK_RSEQ);
#endif
	return alloc_common(z, cpu_current(z), order, gfp, PCP_LOCK_PLAIN);
}

static inline __attribute__((always_inline)) int
free_calling_cpu(struct pa_zone *z, uint64_t pfn, unsigned order, unsigned gfp)
{
#ifdef PA_HAVE_RSEQ_ASM
	if (z->fast_rseq)
		return free_common(z, cpu_current(z), pfn, order, gfp,
				   PCP_LOCK_RSEQ);
#endif
	return free_common(z, cpu_current(z), pfn, order, gfp, PCP_LOCK_PLAIN);
}

static __attribute__((noinline)) uint64_t
alloc_current(struct pa_zone *z, unsigned order, unsigned gfp)
{
	return alloc_calling_cpu(z, order, gfp);
}

static __attribute__((noinline)) int
free_current(struct pa_zone *z, uint64_t pfn, unsigned order, unsigned gfp)
{
	return free_calling_cpu(z, pfn, order, gfp);
}

/* Bit `order` of a zone's stack_*_orders (zone.h; 0 without stacks). */
static inline bool stack_order(uint32_t orders, unsigned order)
{
	return order < 32 && (orders & (1u << order));
}

#ifdef PA_HAVE_RSEQ_ASM

/* What a stack serves (rseq.h): a request of an order the zone's stacks
 * serve that needs nothing beyond a block (valid flags, no zeroing, no
 * highatomic reserve) while the zone is above its reserves (the
 * watermark flag: near them, the usual way makes the full check every
 * pageset allocation makes). */
static inline __attribute__((always_inline)) bool
stack_request(const struct pa_zone *z, unsigned order, unsigned gfp)
{
	unsigned refused = ~PA_GFP_MASK | PA_GFP_ZERO |
			   (order ? PA_GFP_ATOMIC : 0);

	return stack_order(z->stack_alloc_orders, order) && !(gfp & refused) &&
	       !zone_watermark_check(z);
}

/* The push missed (full: its blocks and this one go to the list, where
 * `high` and drains count them) or the pageset is busy: block pfn is
 * claimed, free it the usual way. */
static __attribute__((noinline)) int
free_stack_slow(struct pa_zone *z, uint32_t pfn, unsigned order, unsigned gfp,
		int r)
{
	unsigned cpu = cpu_current(z);

	/* a miss is the push's: the type is cacheable */
	if (r == STACK_MISS &&
	    pcp_stack_spill(z, cpu, pfn, order, pcp_free_mt(z, pfn), gfp) == 0)
		return 0;
	return free_claimed(z, cpu, pfn, order, gfp, PCP_LOCK_RSEQ);
}
#endif

/*
 * The stack paths' bodies: the calling CPU's stack, inlined with nothing
 * else into the entry points, whose every other way is a jump out of
 * line; the sequences keep the zone's fields in memory operands, so a
 * pop or a push saves no register.  The entry points test z->fast_stacks
 * first, so the trylock fallback pays one flag test and a jump.  The free
 * keeps its compare-and-swap claim (docs/DESIGN.md "rseq fast path" says
 * why a plain store cannot be exact); the push is the sequence.
 *
 * alloc_pop: STACK_TOOK with *pfn allocated, else what the stack said,
 * or STACK_NONE if no stack serves the request.
 */
static inline __attribute__((always_inline)) int
alloc_pop(struct pa_zone *z, unsigned order, unsigned gfp, uint64_t *pfn)
{
#ifdef PA_HAVE_RSEQ_ASM
	if (__builtin_expect(stack_request(z, order, gfp), 1))
		return pcp_stack_alloc(z, order, gfp_migratetype(gfp), pfn);
#else
	(void)z, (void)order, (void)gfp, (void)pfn;
#endif
	return STACK_NONE;
}

/* The rest of an allocation after alloc_pop() missed or found the
 * pageset busy: refill a missed stack from the list the usual way
 * refills, else the usual way. */
static __attribute__((noinline)) uint64_t
alloc_slow(struct pa_zone *z, unsigned order, unsigned gfp, int r)
{
#ifdef PA_HAVE_RSEQ_ASM
	uint32_t pfn;

	if (r == STACK_MISS &&
	    pcp_stack_refill(z, cpu_current(z), order, gfp_migratetype(gfp), gfp,
			     &pfn) == 0)
		return pfn;
#else
	(void)r;
#endif
	return alloc_current(z, order, gfp);
}

/* pa_alloc and pa_alloc_nolock. */
static inline __attribute__((always_inline)) uint64_t
alloc_stacks(struct pa_zone *z, unsigned order, unsigned gfp)
{
	uint64_t pfn;
	int r = alloc_pop(z, order, gfp, &pfn);

	if (__builtin_expect(r == STACK_TOOK, 1))
		return pfn;
	if (r == STACK_NONE)
		return alloc_current(z, order, gfp);
	return alloc_slow(z, order, gfp, r);
}

/* The stack free of a block of an order the stacks serve, its pfn
 * checked (free_pfn_ok). */
static inline __attribute__((always_inline)) int
free_stack_push(struct pa_zone *z, uint64_t pfn, unsigned order, unsigned gfp)
{
#ifdef PA_HAVE_RSEQ_ASM
	struct pa_page *p = &z->pages[pfn];
	int r;

	if (__builtin_expect(!free_take_block(p, order), 0))
		return free_refuse(z, 0, pfn, order, "pa_free");
	free_clear_movable(p);
	r = pcp_stack_free(z, pfn, p, order);
	if (__builtin_expect(r == STACK_TOOK, 1))
		return 0;
	return free_stack_slow(z, (uint32_t)pfn, order, gfp, r);
#else
	(void)z, (void)pfn, (void)order, (void)gfp;
	return -EINVAL; /* no stacks: never called */
#endif
}

/* pa_free and pa_free_nolock.  A pfn in range is all the stack free
 * checks before its claim: the claim wants the head of an allocated
 * block of exactly this order, and such a head is aligned to its order
 * (every block comes from the buddy lists), so a misaligned pfn fails
 * the claim and free_refuse() names it. */
static inline __attribute__((always_inline)) int
free_stacks(struct pa_zone *z, uint64_t pfn64, unsigned order, unsigned gfp)
{
	if (__builtin_expect(stack_order(z->stack_free_orders, order), 1)) {
		if (__builtin_expect(pfn64 >= STAT_LOAD(z->nr_pages), 0))
			return free_refuse(z, 0, pfn64, order, "pa_free");
		return free_stack_push(z, pfn64, order, gfp);
	}
	return free_current(z, pfn64, order, gfp);
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
	return z->fast_stacks ? alloc_stacks(z, order, gfp)
			      : alloc_current(z, order, gfp);
}

int pa_free(struct pa_zone *z, uint64_t pfn, unsigned order)
{
	return z->fast_stacks ? free_stacks(z, pfn, order, 0)
			      : free_current(z, pfn, order, 0);
}

uint64_t pa_alloc_nolock(struct pa_zone *z, unsigned order, unsigned gfp)
{
	return z->fast_stacks ? alloc_stacks(z, order, gfp | PA_GFP_NOLOCK)
			      : alloc_current(z, order, gfp | PA_GFP_NOLOCK);
}

int pa_free_nolock(struct pa_zone *z, uint64_t pfn, unsigned order)
{
	return z->fast_stacks ? free_stacks(z, pfn, order, PA_GFP_NOLOCK)
			      : free_current(z, pfn, order, PA_GFP_NOLOCK);
}

/* pa_alloc_pages past its pop (which did not take a block): the
 * allocation, and its address. */
static __attribute__((noinline)) void *
alloc_pages_slow(struct pa_zone *z, unsigned order, unsigned gfp, int r)
{
	uint64_t got = r == STACK_NONE ? alloc_calling_cpu(z, order, gfp)
				       : alloc_slow(z, order, gfp, r);

	if (got == PA_NO_PFN) {
		errno = (gfp & ~PA_GFP_MASK) || order > z->max_order ? EINVAL
								       : ENOMEM;
		return NULL;
	}
	return z->mem + (got << z->page_shift);
}

static __attribute__((noinline)) void *alloc_pages_nomem(struct pa_zone *z,
							 unsigned gfp)
{
	REPORT(z, gfp, -EINVAL,
	       "pa_alloc_pages: zone %s has no memory behind it (PA_BACKING_NONE)",
	       z->name);
	zone_count_shared(z, ALLOC_FAILED, 1);
	errno = EINVAL;
	return NULL;
}

void *pa_alloc_pages(struct pa_zone *z, unsigned order, unsigned gfp)
{
	uint64_t pfn;
	int r;

	if (__builtin_expect(!z->mem, 0))
		return alloc_pages_nomem(z, gfp);
	if (!z->fast_stacks)
		return alloc_pages_slow(z, order, gfp, STACK_NONE);
	r = alloc_pop(z, order, gfp, &pfn);
	if (__builtin_expect(r == STACK_TOOK, 1))
		return z->mem + (pfn << z->page_shift);
	return alloc_pages_slow(z, order, gfp, r);
}

/* pa_free_pages off its fast path: a page address of the zone, else
 * refused as such; then the way without the stacks. */
static __attribute__((noinline)) int free_pages_other(struct pa_zone *z,
						      void *addr, unsigned order)
{
	uint64_t pfn = pa_addr_to_pfn(z, addr);

	if (pfn == PA_NO_PFN ||
	    (((uintptr_t)addr - (uintptr_t)z->mem) & ((1ull << z->page_shift) - 1))) {
		zone_count_shared(z, BAD_FREES, 1);
		pa_err(z, -EINVAL,
		       "pa_free_pages: %p is not a page address of zone %s", addr,
		       z->name);
		return -EINVAL;
	}
	/* not a stack order, or not aligned to it (refused there) */
	return free_calling_cpu(z, pfn, order, 0);
}

/* pa_free_pages on a zone with stacks. */
static inline __attribute__((always_inline)) int
free_pages_stacks(struct pa_zone *z, void *addr, unsigned order)
{
	/* below the zone wraps around to far above it */
	uint64_t off = (uintptr_t)addr - (uintptr_t)z->mem;
	unsigned shift = z->page_shift;
	/* rotated, an address inside a page has its offset in the top bits:
	 * the range test refuses it too */
	uint64_t pfn = off >> shift | off << (-shift & 63);

	/* a stack order, a page start inside the zone (alignment to the
	 * order: the claim's, as in free_stacks) */
	if (__builtin_expect(z->mem && stack_order(z->stack_free_orders, order) &&
				     pfn < STAT_LOAD(z->nr_pages),
			     1))
		return free_stack_push(z, pfn, order, 0);
	return free_pages_other(z, addr, order);
}

int pa_free_pages(struct pa_zone *z, void *addr, unsigned order)
{
	return z->fast_stacks ? free_pages_stacks(z, addr, order)
			      : free_pages_other(z, addr, order);
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
