/* SPDX-License-Identifier: MIT */
/*
 * Model-based randomized test of the bulk calls mixed with the single
 * ones, against tests/model.h's reference (which blocks are live).
 *
 * The target is seed 003's bug class: a bulk pass caches which lock it
 * holds across entries, and Hugh Dickins' crash was that cache surviving
 * a path that dropped the lock.  So every way a pass can lose or change
 * its lock is driven, inside single batches: drains at `high` (a tiny
 * pageset), entries for the zone (orders no pageset caches, CPUs taken
 * offline), remote owners, refused entries (double frees within the same
 * batch, wrong orders, tails, out of range, unaligned), and a pageset held
 * by "another context" (the test takes its lock, as a preempted thread or
 * signal handler of that slot would hold it), including a context that
 * grabs a pageset lock in the middle of a bulk free (from the event hook,
 * at an entry's mm_page_free event) the moment the pass has let it go:
 * a pass that still believed it held that lock would then commit under
 * someone else's lock and release it.  After every bulk call:
 *  - what it handed out is aligned, in the zone, free in the model and
 *    distinct; what it freed is exactly the batch's good entries;
 *  - the zone's allocated pages equal the model's, one error message per
 *    refused entry and no other;
 *  - no lock of the zone is left held, and a pageset lock the test held
 *    is still held (a pass never releases what it did not take);
 * and pa_check() every CHECK_EVERY operations.  Without watermarks an
 * allocation that returns nothing must mean the model has no free block.
 * Every case runs under every policy (tests/factory.h).  PA_SEED=n
 * reproduces a run.
 */
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "model.h"
#include "rseq.h" /* white-box: lock states, and holding a pageset lock */

#define CHECK_EVERY 2000
#define MAXB 48

struct run {
	struct pa_zone *z;
	struct tm_model m;
	struct th_rng rng;
	unsigned ncpus;
	int held;                 /* pageset lock the test holds, or -1 */
	bool in_free;             /* inside pa_free_bulk: the hook may steal */
	uint64_t steals;
	uint64_t bulk_allocs, bulk_frees, bad, singles, busy;
};

static uint64_t rnd(struct run *r, uint64_t n)
{
	return th_below(&r->rng, n);
}

/* Mostly cached orders, some above the pageblock (the zone's). */
static unsigned pick_order(struct run *r)
{
	unsigned x = (unsigned)rnd(r, 100);

	return x < 60 ? 0 : x < 85 ? 1 + (unsigned)rnd(r, 3) :
	       x < 95 ? 4 : 5 + (unsigned)rnd(r, 2);
}

static unsigned pick_cpu(struct run *r)
{
	return rnd(r, 8) ? (unsigned)rnd(r, r->ncpus) : PA_CPU_CURRENT;
}

static unsigned gfp_of(struct run *r)
{
	static const unsigned t[] = { 0, PA_GFP_MOVABLE, PA_GFP_RECLAIMABLE };

	return t[rnd(r, 3)] | PA_GFP_NOWARN |
	       (r->held >= 0 ? PA_GFP_NOLOCK : 0); /* we hold a lock: never wait */
}

static void assert_no_lock_left(struct run *r)
{
	if (__atomic_load_n(&r->z->lock.locked, __ATOMIC_RELAXED))
		fail_msg("zone->lock left held by a bulk call");
	for (unsigned c = 0; c < r->ncpus; c++) {
		unsigned want = (int)c == r->held;

		/* a parked word (rseq.h) is free */
		if ((__atomic_load_n(&r->z->pcp[c].lock.locked, __ATOMIC_RELAXED) &
		     PA_LOCK_HELD) != want)
			fail_msg("cpu %u's pageset lock %s after a bulk call", c,
				 want ? "released (not ours)" : "left held");
	}
}

static void assert_matches(struct run *r, unsigned bad)
{
	struct pa_stats s;

	pa_stats(r->z, &s);
	if (s.allocated_pages != r->m.allocated_pages)
		fail_msg("allocated pages %llu, model %llu",
			 (unsigned long long)s.allocated_pages,
			 (unsigned long long)r->m.allocated_pages);
	unsigned errs = th_zone_errors_take(r->z, NULL, 0);

	if (errs != bad)
		fail_msg("%u error messages for %u refused entries", errs, bad);
	assert_no_lock_left(r);
}

static void take(struct run *r, uint64_t pfn, unsigned order)
{
	if (pfn & ((1ull << order) - 1))
		fail_msg("pfn %llu not aligned to order %u",
			 (unsigned long long)pfn, order);
	if (!tm_range_free(&r->m, pfn, order))
		fail_msg("order-%u block at %llu overlaps a live block or leaves the zone",
			 order, (unsigned long long)pfn);
	tm_add(&r->m, pfn, order);
}

static void do_bulk_alloc(struct run *r)
{
	uint64_t p[MAXB];
	unsigned order = pick_order(r), n = 1 + (unsigned)rnd(r, MAXB);
	unsigned gfp = gfp_of(r);
	unsigned got = pa_alloc_bulk(r->z, pick_cpu(r), order, gfp, n, p);

	if (got > n)
		fail_msg("pa_alloc_bulk returned %u for %u", got, n);
	for (unsigned i = 0; i < got; i++)
		take(r, p[i], order);
	if (!got && !(gfp & PA_GFP_NOLOCK) && tm_fits(&r->m, order, NULL))
		fail_msg("bulk order-%u allocation got nothing but the model has a free block",
			 order);
	r->bulk_allocs++;
	assert_matches(r, 0);
}

/* A batch of live blocks (distinct) with bad entries among them. */
static void do_bulk_free(struct run *r)
{
	uint64_t p[2 * MAXB];
	unsigned o[2 * MAXB], n = 0, good = 0, bad = 0;
	unsigned want = 1 + (unsigned)rnd(r, MAXB);

	while (n < want && r->m.nlive) {
		uint64_t pfn = r->m.live[rnd(r, r->m.nlive)];
		unsigned order = r->m.head[pfn];

		p[n] = pfn;
		o[n++] = order;
		tm_remove(&r->m, pfn); /* the bulk call must free it */
		good++;
		switch (rnd(r, 10)) {
		case 0: /* the same block again, later in the batch */
			p[n] = pfn, o[n++] = order, bad++;
			break;
		case 1: /* wrong order */
			p[n] = pfn, o[n++] = order ? order - 1 : 1, bad++;
			break;
		case 2: /* out of range, or unaligned */
			if (rnd(r, 2))
				p[n] = r->m.npages + rnd(r, 64), o[n] = 0;
			else
				p[n] = pfn | 1, o[n] = 1 + (unsigned)rnd(r, 2);
			n++, bad++;
			break;
		default:
			break;
		}
	}
	/* a tail of a block still live */
	if (r->m.nlive && rnd(r, 4) == 0) {
		uint64_t h = r->m.live[rnd(r, r->m.nlive)];

		if (r->m.head[h]) {
			p[n] = h + 1, o[n++] = 0, bad++;
		}
	}
	r->in_free = true;
	int rc = pa_free_bulk(r->z, pick_cpu(r), p, o, n);

	r->in_free = false;

	if (rc != (int)good)
		fail_msg("pa_free_bulk freed %d of %u good entries (%u bad)", rc,
			 good, bad);
	r->bulk_frees++;
	r->bad += bad;
	assert_matches(r, bad);
}

static void do_single(struct run *r)
{
	if (rnd(r, 2) && r->m.nlive) {
		uint64_t pfn = r->m.live[rnd(r, r->m.nlive)];
		unsigned order = r->m.head[pfn];

		if (pa_free_cpu(r->z, (unsigned)rnd(r, r->ncpus), pfn, order))
			fail_msg("single free of live block %llu failed",
				 (unsigned long long)pfn);
		tm_remove(&r->m, pfn);
	} else {
		unsigned order = pick_order(r);
		unsigned gfp = gfp_of(r);
		uint64_t pfn = pa_alloc_cpu(r->z, (unsigned)rnd(r, r->ncpus), order, gfp);

		if (pfn != PA_NO_PFN)
			take(r, pfn, order);
	}
	r->singles++;
}

/* At an entry of a bulk free: now and then another context takes a
 * pageset lock that is free at this moment (never waits). */
static void on_event(void *arg, const char *line)
{
	struct run *r = arg;

	if (!r->in_free || r->held >= 0 || !strstr(line, " mm_page_free:") ||
	    rnd(r, 16))
		return;
	unsigned c = (unsigned)rnd(r, r->ncpus);

	if (pa_lock_try(&r->z->pcp[c].lock)) {
		r->held = (int)c;
		r->steals++;
	}
}

/* Another context of a slot holds its pageset, or lets it go. */
static void toggle_busy(struct run *r)
{
	if (r->held >= 0) {
		pcp_unlock(r->z, (unsigned)r->held);
		r->held = -1;
		return;
	}
	r->held = (int)rnd(r, r->ncpus);
	if (!pcp_trylock(r->z, (unsigned)r->held))
		fail_msg("pageset lock of cpu %d busy in a single-threaded test",
			 r->held);
	r->busy++;
}

static void housekeeping(struct run *r)
{
	unsigned cpu = (unsigned)rnd(r, r->ncpus);

	if (r->held >= 0) /* these wait for pageset locks */
		toggle_busy(r);
	switch (rnd(r, 4)) {
	case 0:
		pa_drain(r->z);
		break;
	case 1:
		pa_pcp_tick(r->z);
		break;
	default:
		assert_int_equal(rnd(r, 2) ? pa_cpu_offline(r->z, cpu)
					   : pa_cpu_online(r->z, cpu), 0);
		break;
	}
}

static void checkpoint(struct run *r)
{
	if (r->held >= 0)
		toggle_busy(r);
	assert_check(r->z);
	assert_accounting(r->z);
	assert_matches(r, 0);
}

static void run_model(void **state, int high, unsigned ncpus, uint64_t ops)
{
	struct run r = { .ncpus = ncpus, .held = -1 };
	struct pa_config c = th_config(64, 4, 6, PA_CFG_NO_WATERMARKS, ncpus);

	r.rng.s = th_seed("bulk_model");
	c.event_fn = on_event;
	c.event_arg = &r;
	if (high) {
		/* a tiny pageset: drains at high inside most batches */
		c.pcp_batch = 2;
		c.pcp_high_min = c.pcp_high_max = (unsigned)high;
	}
#ifdef PA_SANITIZER
	ops /= 4;
#endif
	r.z = th_zone_or_skip(state, &c);
	assert_int_equal(tm_init(&r.m, pa_managed_pages(r.z), c.max_order), 0);
	for (uint64_t i = 1; i <= ops; i++) {
		unsigned op = (unsigned)rnd(&r, 100);

		if (op < 25)
			do_bulk_alloc(&r);
		else if (op < 55)
			do_bulk_free(&r);
		else if (op < 88)
			do_single(&r);
		else if (op < 94)
			toggle_busy(&r);
		else
			housekeeping(&r);
		if (i % CHECK_EVERY == 0)
			checkpoint(&r);
	}
	checkpoint(&r);
	/* everything back, in bulk */
	while (r.m.nlive)
		do_bulk_free(&r);
	if (r.held >= 0) /* the hook's last steal: online waits for it */
		toggle_busy(&r);
	for (unsigned cpu = 0; cpu < ncpus; cpu++)
		pa_cpu_online(r.z, cpu);
	pa_drain(r.z);
	checkpoint(&r);
	struct pa_stats s;

	pa_stats(r.z, &s);
	assert_int_equal(s.free_pages, s.managed_pages);
	print_message("  %llu bulk allocations, %llu bulk frees (%llu refused entries), %llu single calls, %llu busy-pageset windows (%llu taken mid-batch)\n",
		      (unsigned long long)r.bulk_allocs,
		      (unsigned long long)r.bulk_frees, (unsigned long long)r.bad,
		      (unsigned long long)r.singles, (unsigned long long)r.busy,
		      (unsigned long long)r.steals);
	assert_true(r.bulk_frees > ops / 5 && r.bad > ops / 10 && r.busy > 0 &&
		    r.steals > 0);
	tm_fini(&r.m);
	th_zone_destroy(r.z);
}

static void model_tiny_pageset_3cpus(void **state)
{
	run_model(state, 6, 3, 40000);
}

static void model_default_pageset_2cpus(void **state)
{
	run_model(state, 0, 2, 40000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		th_policy_test(model_tiny_pageset_3cpus),
		th_policy_test(model_default_pageset_2cpus),
	};

	return th_run_policy_group("bulk_model", tests);
}
