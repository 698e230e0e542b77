/* SPDX-License-Identifier: MIT */
/*
 * The allocation slow path (the kernel's __alloc_pages_slowpath, reduced
 * to what a region allocator can do), as named steps in this order:
 *
 *   1. wake background reclaim; retry
 *   2. direct reclaim through the shrinkers (allocstall), about
 *      max(2^order, SWAP_CLUSTER_MAX) pages; retry; then (or when the
 *      request cannot wait, or reclaim freed nothing) drain every pageset
 *      and release the highatomic reserve to ordinary requests; retry.
 *      As in the kernel, draining comes after reclaim: it walks every
 *      CPU's pageset, which on a full machine cost more than reclaim.
 *      A request with a fragmenting attempt still ahead (step 4) keeps
 *      the reserve until that attempt failed too: the kernel gives the
 *      reserve back only once its fallback, which may fragment, found
 *      nothing, and the rule moved that fallback to the end, not after
 *      the reserve
 *   3. order > 0: direct compaction (deferred after failures); retry
 *   4. a non-movable request under a policy with a no-fragmentation rule
 *      (POL_NOFRAG_RULE): the policy's evacuation (ops->evacuate_for_order);
 *      retry; then one last attempt that may fragment (GFP_MAY_FRAGMENT);
 *      if that fails, the highatomic reserve step 2 kept, and once more
 *   5. failure
 *
 * Every attempt before the last keeps the rule, so reclaim and compaction
 * are preferred over tainting a clean superpageblock; for a policy without
 * the rule, steps 1-3 are all there is.  Atomic requests neither reclaim,
 * compact nor evacuate (they cannot wait); an allocation made from inside
 * a reclaim pass of the zone (a shrinker's) does none of them either, so
 * reclaim never recurses.  PA_GFP_NOLOCK requests never get here.
 */
#include "alloc.h"

struct slow_alloc {
	struct pa_zone *z;
	unsigned cpu, order, mt, gfp;
	uint32_t pfn;
	int r;
	bool drained;
};

/* One more attempt with these flags; true if it found a block. */
static bool attempt(struct slow_alloc *a, unsigned gfp)
{
	a->r = alloc_try(a->z, a->cpu, a->order, a->mt, gfp, &a->pfn);
	return a->pfn != PA_NIL;
}

static bool rule_applies(const struct slow_alloc *a)
{
	return nofrag_rule_binds(a->z->pflags, a->mt);
}

/* Will the slow path end with an attempt that may fragment (step 4)? */
static bool fragmenting_attempt_ahead(const struct slow_alloc *a)
{
	return rule_applies(a) && !(a->gfp & PA_GFP_NORETRY);
}

/* One highatomic pageblock opened to a request that may not use it;
 * true if one was given back. */
static bool give_back_reserve(struct slow_alloc *a)
{
	struct pa_zone *z = a->z;

	if ((a->gfp & PA_GFP_ATOMIC) || !STAT_LOAD(z->nr_reserved_highatomic))
		return false;
	zone_lock(z);
	bool given = unreserve_highatomic_pageblock(z, a->mt);
	zone_unlock(z);
	zone_count_shared(z, HIGHATOMIC_UNRESERVED, given);
	return given;
}

/* Pages cached on every CPU back to the zone; the highatomic reserve
 * too, unless a fragmenting attempt is still ahead (it comes first). */
static void drain_and_unreserve(struct slow_alloc *a)
{
	a->drained = true;
	if (a->z->use_pcp)
		pa_drain(a->z);
	if (!fragmenting_attempt_ahead(a))
		give_back_reserve(a);
}

/* Whether this request may wait for reclaim, compaction, evacuation. */
static bool may_wait(const struct slow_alloc *a)
{
	return !(a->gfp & PA_GFP_ATOMIC) && !reclaim_in_pass(a->z);
}

/* Reclaim about max(2^order, SWAP_CLUSTER_MAX) pages and retry; if that
 * fails, the freed pages may sit on pagesets (where they cannot merge into
 * a high-order block): drain them, release highatomic, and retry once
 * more, as the kernel's direct reclaim does. */
static bool direct_reclaim(struct slow_alloc *a)
{
	struct pa_shrink_control sc = { .order = a->order, .migratetype = -1 };
	uint64_t want = 1ull << a->order;

	if (!reclaim_has_shrinkers(a->z))
		return false;
	if (want < PA_SWAP_CLUSTER_MAX)
		want = PA_SWAP_CLUSTER_MAX;
	zone_count_shared(a->z, ALLOCSTALL, 1);
	if (!reclaim_run(a->z, want, &sc, RECLAIM_DIRECT, false))
		return false;
	if (attempt(a, a->gfp))
		return true;
	drain_and_unreserve(a);
	return attempt(a, a->gfp);
}

/* ---- compaction deferral (slowpath.h) ---- */

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

static bool compaction_deferred(struct compact_defer *d, unsigned order)
{
	unsigned considered = LOAD(d->considered) + 1;

	if (order < LOAD(d->order_failed))
		return false;
	if (considered >= 1u << LOAD(d->defer_shift)) {
		STORE(d->considered, 1u << LOAD(d->defer_shift));
		return false;
	}
	STORE(d->considered, considered);
	return true;
}

static void compaction_failed(struct compact_defer *d, unsigned order)
{
	STORE(d->considered, 0);
	if (LOAD(d->defer_shift) < COMPACT_MAX_DEFER_SHIFT)
		STORE(d->defer_shift, LOAD(d->defer_shift) + 1);
	if (order < LOAD(d->order_failed))
		STORE(d->order_failed, order);
}

static void compaction_succeeded(struct compact_defer *d, unsigned order)
{
	STORE(d->considered, 0);
	STORE(d->defer_shift, 0);
	if (order >= LOAD(d->order_failed))
		STORE(d->order_failed, order + 1);
}

static void direct_compact(struct slow_alloc *a)
{
	struct compact_defer *d = &a->z->compact_defer;

	if (!a->order || compaction_deferred(d, a->order))
		return;
	if (pa_compact(a->z, a->order, NULL) == 0)
		compaction_succeeded(d, a->order);
	else
		compaction_failed(d, a->order);
}

/* ---- the policy's no-fragmentation rule ---- */

/* The last attempt, the rule dropped: one block from the zone path, not a
 * pageset batch, so fragmenting takes no more than the request needs. */
static void attempt_fragmenting(struct slow_alloc *a)
{
	a->r = 0;
	a->pfn = PA_NIL;
	if (!zone_watermark_ok(a->z, a->order, a->gfp))
		return;
	zone_lock(a->z);
	a->pfn = zone_alloc_locked(a->z, a->cpu, a->order, a->mt,
				   a->gfp | GFP_MAY_FRAGMENT);
	zone_unlock(a->z);
}

static void evacuate(struct slow_alloc *a)
{
	if (a->z->ops->evacuate_for_order)
		a->z->ops->evacuate_for_order(a->z, a->order, a->mt);
}

int alloc_slowpath(struct pa_zone *z, unsigned cpu, unsigned order,
		   unsigned mt, unsigned gfp, uint32_t *out)
{
	struct slow_alloc a = { .z = z, .cpu = cpu, .order = order, .mt = mt,
				.gfp = gfp, .pfn = PA_NIL };
	bool wait = may_wait(&a);

	reclaim_wake_kswapd(&z->reclaim);
	if (attempt(&a, gfp))
		goto done;
	if (wait && direct_reclaim(&a))
		goto done;
	if (!a.drained) {
		drain_and_unreserve(&a);
		if (attempt(&a, gfp))
			goto done;
	}
	if (wait) {
		direct_compact(&a);
		if (attempt(&a, gfp))
			goto done;
	}
	if (rule_applies(&a)) {
		if (wait) {
			evacuate(&a);
			if (attempt(&a, gfp))
				goto done;
		}
		if (fragmenting_attempt_ahead(&a)) {
			attempt_fragmenting(&a);
			if (a.pfn == PA_NIL && give_back_reserve(&a))
				attempt_fragmenting(&a);
		}
	}
done:
	*out = a.pfn;
	return a.r;
}
