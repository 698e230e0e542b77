/* SPDX-License-Identifier: MIT */
/*
 * Model-based randomized test: over a million operations through the
 * public API (allocations of every order and type on random CPU slots,
 * frees from any CPU, every kind of bad free, nolock calls, drains, CPU
 * hotplug, ticks), each checked against a deliberately simple reference
 * (tests/model.h: which pfns are allocated, which blocks are live).
 *
 *  - every block handed out is aligned, inside the zone and free in the
 *    model; every free of a live block succeeds; every bad free fails
 *    with -EINVAL and changes nothing;
 *  - without watermarks (and no highatomic reserve on this zone size), an
 *    ordinary allocation fails only when the model has no aligned free
 *    block of that order: nothing is lost to caching or fragmentation
 *    that a drain and merging would not recover;
 *  - pa_check() every 10,000 operations, allocated pages equal to the
 *    model's at every check, one error message per bad free and no other,
 *    and everything free again at the end.
 *
 * Every case runs under every policy the library accepts (tests/factory.h).
 *
 * Seeded: PA_SEED=n reproduces a run (the seed is printed).
 */
#include <stdlib.h>
#include <sys/sysinfo.h>
#include <string.h>

#include "helpers.h"
#include "model.h"

#define CHECK_EVERY 10000
#define RECENT 64

struct run {
	struct pa_zone *z;
	struct tm_model m;
	uint64_t rng;
	unsigned ncpus;
	bool own_cpu;                /* pa_alloc/pa_free: the caller's CPU
	                              * (the rseq fast path where chosen) */
	bool strict;                 /* no watermarks: failures must be real */
	uint64_t recent_pfn[RECENT]; /* blocks freed lately, for double frees */
	unsigned recent_order[RECENT], nrecent;
	uint64_t allocs, fails, frees, bad, nolock;
	uint64_t bad_reported;       /* bad frees the error hook has seen */
};

static uint64_t rnd(struct run *r);

static uint64_t model_alloc(struct run *r, unsigned cpu, unsigned order,
			    unsigned gfp)
{
	return r->own_cpu ? pa_alloc(r->z, order, gfp)
			  : pa_alloc_cpu(r->z, cpu, order, gfp);
}

static int model_free(struct run *r, uint64_t pfn, unsigned order)
{
	return r->own_cpu ? pa_free(r->z, pfn, order)
			  : pa_free_cpu(r->z, (unsigned)(rnd(r) % r->ncpus),
					pfn, order);
}

static uint64_t rnd(struct run *r)
{
	r->rng ^= r->rng << 13;
	r->rng ^= r->rng >> 7;
	r->rng ^= r->rng << 17;
	return r->rng;
}

static unsigned pick_order(struct run *r)
{
	unsigned x = (unsigned)(rnd(r) % 100);

	if (x < 70)
		return 0;
	if (x < 85)
		return 1 + (unsigned)(rnd(r) % 3);
	if (x < 95)
		return 4 + (unsigned)(rnd(r) % 5);
	return 9 + (unsigned)(rnd(r) % 2);
}

static void do_alloc(struct run *r)
{
	static const unsigned types[] = { 0, PA_GFP_MOVABLE, PA_GFP_RECLAIMABLE,
					  PA_GFP_MOVABLE };
	unsigned order = pick_order(r);
	unsigned gfp = types[rnd(r) % 4] | PA_GFP_NOWARN;
	bool atomic = rnd(r) % 20 == 0, nl = rnd(r) % 33 == 0;
	unsigned cpu = (unsigned)(rnd(r) % r->ncpus);
	uint64_t pfn;

	if (atomic)
		gfp |= PA_GFP_ATOMIC;
	if (nl) {
		pfn = pa_alloc_nolock(r->z, order, gfp);
		r->nolock++;
	} else {
		pfn = model_alloc(r, cpu, order, gfp);
	}
	if (pfn == PA_NO_PFN) {
		r->fails++;
		struct pa_stats s;

		pa_stats(r->z, &s);
		if (r->strict && !nl && s.highatomic_blocks == 0 &&
		    tm_fits(&r->m, order, NULL))
			fail_msg("order-%u allocation failed but the model has an aligned free block (op %llu)",
				 order, (unsigned long long)(r->allocs + r->frees));
		return;
	}
	if (pfn & ((1ull << order) - 1))
		fail_msg("pfn %llu not aligned to order %u", (unsigned long long)pfn, order);
	if (!tm_range_free(&r->m, pfn, order))
		fail_msg("order-%u block at pfn %llu overlaps a live block or leaves the zone",
			 order, (unsigned long long)pfn);
	tm_add(&r->m, pfn, order);
	r->allocs++;
}

static void do_free(struct run *r)
{
	if (!r->m.nlive)
		return;
	uint64_t pfn = r->m.live[rnd(r) % r->m.nlive];
	unsigned order = r->m.head[pfn];
	int rc = rnd(r) % 33 == 0 ? pa_free_nolock(r->z, pfn, order)
				  : model_free(r, pfn, order);

	if (rc != 0)
		fail_msg("free of live block pfn %llu order %u returned %d",
			 (unsigned long long)pfn, order, rc);
	tm_remove(&r->m, pfn);
	r->recent_pfn[r->nrecent % RECENT] = pfn;
	r->recent_order[r->nrecent % RECENT] = order;
	r->nrecent++;
	r->frees++;
}

/* A free the allocator must refuse; the model says why. */
static void do_bad_free(struct run *r)
{
	uint64_t pfn = 0;
	unsigned order = 0, kind = (unsigned)(rnd(r) % 5);
	uint64_t n = r->m.npages;

	switch (kind) {
	case 0: /* double free: a block freed lately and not live again */
		if (!r->nrecent)
			return;
		pfn = r->recent_pfn[rnd(r) % (r->nrecent < RECENT ? r->nrecent : RECENT)];
		order = r->recent_order[rnd(r) % (r->nrecent < RECENT ? r->nrecent : RECENT)];
		if (pfn & ((1ull << order) - 1))
			order = 0;
		if (tm_is_live(&r->m, pfn, order))
			return; /* reallocated since: not a bad free */
		break;
	case 1: /* wrong order for a live block */
		if (!r->m.nlive)
			return;
		pfn = r->m.live[rnd(r) % r->m.nlive];
		order = r->m.head[pfn] + 1 + (unsigned)(rnd(r) % 2);
		if (order > r->m.max_order)
			order = r->m.head[pfn] ? r->m.head[pfn] - 1 : 1;
		break;
	case 2: /* a tail page of a live block */
		if (!r->m.nlive)
			return;
		pfn = r->m.live[rnd(r) % r->m.nlive];
		if (!r->m.head[pfn])
			return;
		pfn += 1;
		order = 0;
		break;
	case 3: /* out of range */
		pfn = n + rnd(r) % 1000;
		order = 0;
		break;
	default: /* not aligned to its order */
		pfn = (rnd(r) % (n / 2)) | 1;
		order = 1 + (unsigned)(rnd(r) % 3);
		break;
	}
	uint64_t before = r->m.allocated_pages;
	struct pa_stats s;
	int rc = model_free(r, pfn, order);

	if (rc != -22)
		fail_msg("bad free (kind %u) of pfn %llu order %u returned %d",
			 kind, (unsigned long long)pfn, order, rc);
	pa_stats(r->z, &s);
	if (s.allocated_pages != before)
		fail_msg("bad free changed allocated pages: %llu -> %llu",
			 (unsigned long long)before,
			 (unsigned long long)s.allocated_pages);
	r->bad++;
}

static void checkpoint(struct run *r)
{
	struct pa_stats s;

	assert_check(r->z);
	pa_stats(r->z, &s);
	if (s.allocated_pages != r->m.allocated_pages)
		fail_msg("allocated pages %llu, model %llu",
			 (unsigned long long)s.allocated_pages,
			 (unsigned long long)r->m.allocated_pages);
	assert_accounting(r->z);
	char first[256];
	unsigned errs = th_zone_errors_take(r->z, first, sizeof(first));

	if (errs != r->bad - r->bad_reported)
		fail_msg("%u error messages for %llu bad frees (first: %s)", errs,
			 (unsigned long long)(r->bad - r->bad_reported), first);
	r->bad_reported = r->bad;
}

static void run_model_on(void **state, unsigned flags, unsigned ncpus,
			 uint64_t ops, bool own_cpu)
{
	struct run r = { .ncpus = ncpus, .own_cpu = own_cpu };
	struct pa_config c = pa_config_default();
	const char *seed = getenv("PA_SEED");
	enum pa_policy pol = th_policy(state);

	r.rng = seed ? strtoull(seed, NULL, 0) : 0x5eed0001ull + pol * 7 + flags;
	if (!r.rng)
		r.rng = 1;
	print_message("model: policy %s flags 0x%x cpus %u ops %llu seed 0x%llx\n",
		      pa_policy_name(pol), flags, ncpus, (unsigned long long)ops,
		      (unsigned long long)r.rng);
#ifdef PA_SANITIZER
	ops /= 4;
#endif
	c.bytes = 16ull << 20; /* 4096 pages: 1% is under one pageblock */
	th_config_spb(&c, TH_SPB_PAGEBLOCKS); /* a few, not one partial */
	c.ncpus = ncpus;
	c.flags = flags;
	r.strict = flags & PA_CFG_NO_WATERMARKS;
	r.z = th_zone_or_skip(state, &c);
	assert_int_equal(tm_init(&r.m, pa_managed_pages(r.z), c.max_order), 0);

	for (uint64_t i = 1; i <= ops; i++) {
		unsigned op = (unsigned)(rnd(&r) % 100);

		if (op < 45)
			do_alloc(&r);
		else if (op < 85)
			do_free(&r);
		else if (op < 95)
			do_bad_free(&r);
		else if (op < 97)
			rnd(&r) & 1 ? pa_drain(r.z)
				    : (void)pa_drain_cpu(r.z, (unsigned)(rnd(&r) % ncpus));
		else if (op < 98)
			pa_pcp_tick(r.z);
		else {
			unsigned cpu = (unsigned)(rnd(&r) % ncpus);

			assert_int_equal(rnd(&r) & 1 ? pa_cpu_offline(r.z, cpu)
						     : pa_cpu_online(r.z, cpu), 0);
		}
		if (i % CHECK_EVERY == 0)
			checkpoint(&r);
	}
	checkpoint(&r);
	while (r.m.nlive)
		do_free(&r);
	for (unsigned cpu = 0; cpu < ncpus; cpu++)
		pa_cpu_online(r.z, cpu);
	pa_drain(r.z);
	checkpoint(&r);
	struct pa_stats s;

	pa_stats(r.z, &s);
	assert_int_equal(s.free_pages, s.managed_pages);
	print_message("  %llu allocations (%llu failed), %llu frees, %llu bad frees refused, %llu nolock allocations\n",
		      (unsigned long long)r.allocs, (unsigned long long)r.fails,
		      (unsigned long long)r.frees, (unsigned long long)r.bad,
		      (unsigned long long)r.nolock);
	assert_true(r.allocs > ops / 4 && r.bad > ops / 20);
	tm_fini(&r.m);
	th_zone_destroy(r.z);
}

static void run_model(void **state, unsigned flags, unsigned ncpus,
		      uint64_t ops)
{
	run_model_on(state, flags, ncpus, ops, false);
}

/* The calling thread's CPU, one slot per CPU: where rseq works, every
 * allocation and free here runs the restartable sequence (zoneinfo's
 * fast_path line says which path the zone chose). */
static void model_own_cpu(void **state)
{
	run_model_on(state, PA_CFG_NO_WATERMARKS, (unsigned)get_nprocs_conf(),
		     300000, true);
}

/* No watermarks: an allocation may fail only when nothing fits. */
static void model_strict_3cpus(void **state)
{
	run_model(state, PA_CFG_NO_WATERMARKS, 3, 600000);
}

static void model_strict_4cpus(void **state)
{
	run_model(state, PA_CFG_NO_WATERMARKS, 4, 400000);
}

/* Watermarks and the highatomic reserve; PA_CFG_STRICT's scans. */
static void model_watermarks(void **state)
{
	run_model(state, PA_CFG_STRICT, 2, 300000);
}

/* No per-CPU lists: under the policies that accept that. */
static void model_zone_path(void **state)
{
	run_model(state, PA_CFG_NO_WATERMARKS | PA_CFG_NO_PCP, 2, 300000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		th_policy_test(model_strict_3cpus),
		th_policy_test(model_strict_4cpus),
		th_policy_test(model_watermarks),
		th_policy_test(model_zone_path),
		th_policy_test(model_own_cpu),
	};

	return th_run_policy_group("zone_model", tests);
}
