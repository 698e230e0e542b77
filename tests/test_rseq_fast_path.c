/* SPDX-License-Identifier: MIT */
/*
 * The rseq fast path (src/rseq.h): chosen at zone creation and shown in
 * zoneinfo, forced off by PA_CFG_NO_RSEQ and PA_FAST_PATH=trylock; on
 * the calling thread's CPU it takes the pageset without a trylock failure
 * and keeps bad frees exact; remote lockers (explicit CPU, drain, hotplug)
 * still exclude it.  Cases needing rseq skip where glibc did not register
 * it (valgrind, TSan builds).
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/rseq.h>
#include <sys/sysinfo.h>

#include "helpers.h"
#include "zone.h" /* white-box: a pageset's fence count */
#include "isolate.h"
#include "pcp.h"
#include "rseq.h"

static struct pa_config cfg(unsigned flags)
{
	struct pa_config c = th_config(16, 9, 10, 0, 1);

	c.ncpus = (unsigned)get_nprocs_conf();
	c.flags |= flags;
	return c;
}

static bool shows(struct pa_zone *z, const char *line)
{
	int rc;
	char *text = th_report(z, PA_REPORT_ZONEINFO, &rc);
	bool found = text && strstr(text, line);

	assert_int_equal(rc, 0);
	free(text);
	return found;
}

#if defined(__SANITIZE_THREAD__)
#define TSAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TSAN_BUILD 1
#endif
#endif

/* What the library must choose here: rseq if glibc registered it and the
 * build is not TSan's (x86-64 only for now); mainline pagesets get the
 * stacks on top. */
static bool rseq_expected(void)
{
#if defined(TSAN_BUILD) || !defined(__x86_64__)
	return false;
#else
	return __rseq_size >= 20;
#endif
}

static void choice_shown_in_zoneinfo(void **state)
{
	(void)state;
	struct pa_config c = cfg(0);
	struct pa_zone *z = pa_zone_create(&c);

	assert_non_null(z);
	assert_true(shows(z, rseq_expected() ? "      fast_path rseq-stack\n"
					     : "      fast_path trylock\n"));
	pa_zone_destroy(z);
	/* pcpbuddy routes frees by owner: the sequence-taken lock only */
	c.policy = PA_POLICY_PCPBUDDY;
	z = pa_zone_create(&c);
	assert_non_null(z);
	assert_true(shows(z, rseq_expected() ? "      fast_path rseq\n"
					     : "      fast_path trylock\n"));
	pa_zone_destroy(z);
	/* and PA_FAST_PATH=lockword asks for that on mainline too */
	c = cfg(0);
	assert_int_equal(setenv("PA_FAST_PATH", "lockword", 1), 0);
	z = pa_zone_create(&c);
	unsetenv("PA_FAST_PATH");
	assert_non_null(z);
	assert_true(shows(z, rseq_expected() ? "      fast_path rseq\n"
					     : "      fast_path trylock\n"));
	pa_zone_destroy(z);
}

static void forced_fallback(void **state)
{
	(void)state;
	struct pa_config c = cfg(PA_CFG_NO_RSEQ);
	struct pa_zone *z = pa_zone_create(&c);

	assert_non_null(z);
	assert_true(shows(z, "      fast_path trylock\n"));
	pa_zone_destroy(z);

	c = cfg(0);
	assert_int_equal(setenv("PA_FAST_PATH", "trylock", 1), 0);
	z = pa_zone_create(&c);
	unsetenv("PA_FAST_PATH");
	assert_non_null(z);
	assert_true(shows(z, "      fast_path trylock\n"));
	/* the fallback still allocates and frees on the pageset */
	uint64_t p = pa_alloc(z, 0, PA_GFP_MOVABLE);

	assert_int_not_equal(p, PA_NO_PFN);
	assert_int_equal(pa_free(z, p, 0), 0);
	assert_check(z);
	pa_zone_destroy(z);
}

static void fewer_slots_than_cpus_falls_back(void **state)
{
	(void)state;
	if (get_nprocs_conf() < 2)
		skip();
	struct pa_config c = cfg(0);

	c.ncpus = 1;
	struct pa_zone *z = pa_zone_create(&c);

	assert_non_null(z);
	assert_true(shows(z, "      fast_path trylock\n"));
	pa_zone_destroy(z);
}

static void pin(unsigned cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	assert_int_equal(sched_setaffinity(0, sizeof(set), &set), 0);
}

static void unpin(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (int i = 0; i < get_nprocs_conf(); i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* The end of every case: consistent, and after a drain all memory is
 * free again (nothing lost on a stack or a list). */
static void drained_and_destroyed(struct pa_zone *z)
{
	struct pa_stats s;

	assert_check(z);
	pa_drain(z);
	pa_stats(z, &s);
	assert_int_equal(s.free_pages, s.managed_pages);
	pa_zone_destroy(z);
}

/* A zone for the stack cases, or skip where they cannot run. */
static struct pa_zone *stack_zone(struct pa_config *c)
{
	if (!rseq_expected())
		skip();
	struct pa_zone *z = pa_zone_create(c);

	assert_non_null(z);
	return z;
}

/* Own CPU: every pair is a pageset hit on the stacks, nothing goes to
 * the zone, the pageset lock is hardly taken, and the statistics count
 * every allocation and free the stacks served. */
static void own_cpu_pairs_stay_on_pageset(void **state)
{
	(void)state;
	if (!rseq_expected())
		skip();
	struct pa_config c = cfg(0);
	struct pa_zone *z = pa_zone_create(&c);
	struct pa_stats s0, s1;
	const unsigned orders[] = { 0, 3, 9 };

	assert_non_null(z);
	pin(0);
	for (unsigned o = 0; o < 3; o++) { /* warm: refill each list */
		uint64_t p = pa_alloc(z, orders[o], PA_GFP_MOVABLE);

		assert_int_equal(pa_free(z, p, orders[o]), 0);
	}
	pa_stats(z, &s0);
	for (int i = 0; i < 3000; i++) {
		unsigned o = orders[i % 3];
		uint64_t p = pa_alloc(z, o, PA_GFP_MOVABLE);

		assert_int_not_equal(p, PA_NO_PFN);
		assert_int_equal(pa_free(z, p, o), 0);
	}
	pa_stats(z, &s1);
	unpin();
	assert_int_equal(s1.zone_pages_direct_free, s0.zone_pages_direct_free);
	assert_int_equal(s1.zone_pages_direct_alloc, s0.zone_pages_direct_alloc);
	/* the warm-up left each stack with a block: no refill needed */
	assert_true(s1.pcp_lock.acquisitions - s0.pcp_lock.acquisitions < 60);
	assert_int_equal(s1.pgalloc - s0.pgalloc, 1000ull * (1 + 8 + 512));
	assert_int_equal(s1.pgfree - s0.pgfree, 1000ull * (1 + 8 + 512));
	assert_int_equal(s1.pcp_pages, s0.pcp_pages);
	assert_check(z);
	pa_stats(z, &s1); /* pa_check flushed the stacks: nothing lost */
	assert_int_equal(s1.pgalloc - s0.pgalloc, 1000ull * (1 + 8 + 512));
	assert_int_equal(s1.pcp_pages, s0.pcp_pages);
	pa_zone_destroy(z);
}

/* Bad frees through the rseq path: exact, and nothing changes. */
static void bad_frees_exact(void **state)
{
	(void)state;
	struct th_errlog log = { 0 };
	struct pa_config c = cfg(0);

	c.error_fn = th_errlog_fn;
	c.error_arg = &log;
	struct pa_zone *z = pa_zone_create(&c);
	struct pa_stats s;

	assert_non_null(z);
	pin(0);
	uint64_t p = pa_alloc(z, 0, PA_GFP_MOVABLE);
	uint64_t q = pa_alloc(z, 3, PA_GFP_MOVABLE);

	assert_int_equal(pa_free(z, p, 0), 0);
	assert_int_equal(pa_free(z, p, 0), -EINVAL);     /* double free */
	assert_int_equal(pa_free(z, q, 2), -EINVAL);     /* wrong order */
	assert_int_equal(pa_free(z, q + 1, 0), -EINVAL); /* tail page */
	assert_int_equal(pa_free(z, q, 3), 0);
	assert_int_equal(pa_free(z, q, 3), -EINVAL);
	unpin();
	pa_stats(z, &s);
	assert_int_equal(s.bad_frees, 4);
	assert_int_equal(s.pgalloc, s.pgfree);
	drained_and_destroyed(z);
}

/* The stack frees check a pfn's range and leave its alignment to the
 * claim (the head of an allocated block is aligned to its order), and
 * the pointer free finds an address inside a page by a rotation: each
 * such free is refused, says why, and changes nothing, on both APIs. */
static void misaligned_frees_refused(void **state)
{
	(void)state;
	struct th_errlog log = { 0 };
	struct pa_config c = cfg(0);

	c.backing = PA_BACKING_ANON;
	c.error_fn = th_errlog_fn;
	c.error_arg = &log;
	struct pa_zone *z = stack_zone(&c);
	uint64_t blk[8], odd = PA_NO_PFN;
	struct pa_stats s;

	pin(0);
	/* an order-0 block at an odd pfn: the head of an allocated block,
	 * misaligned for order 1 */
	for (unsigned i = 0; i < 8; i++) {
		blk[i] = pa_alloc(z, 0, PA_GFP_MOVABLE);
		if (blk[i] & 1)
			odd = blk[i];
	}
	assert_true(odd != PA_NO_PFN);
	assert_int_equal(pa_free(z, odd, 1), -EINVAL);
	assert_non_null(strstr(log.last, "not aligned"));
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(pa_free(z, blk[i], 0), 0);

	char *a = pa_alloc_pages(z, 1, PA_GFP_MOVABLE);
	size_t page = (size_t)1 << c.page_shift;

	assert_non_null(a);
	assert_int_equal(pa_free_pages(z, a + 1, 1), -EINVAL);
	assert_non_null(strstr(log.last, "not a page address"));
	assert_int_equal(pa_free_pages(z, a + page - 1, 0), -EINVAL);
	assert_int_equal(pa_free_pages(z, a + page, 1), -EINVAL); /* tail */
	assert_non_null(strstr(log.last, "not aligned"));
	assert_int_equal(pa_free_pages(z, a + page, 0), -EINVAL);
	assert_int_equal(pa_free_pages(z, a - page, 0), -EINVAL); /* below */
	assert_int_equal(pa_free_pages(z, a, 1), 0);
	assert_int_equal(pa_free_pages(z, a, 1), -EINVAL);       /* double */
	unpin();
	pa_stats(z, &s);
	assert_int_equal(s.bad_frees, 7);
	assert_int_equal(log.count, 7);
	assert_int_equal(s.pgalloc, s.pgfree);
	drained_and_destroyed(z);
}

/* 70000 pairs with no lock taken in between would wrap the stack's
 * 16-bit pop count: the pop before the wrap takes the locked way, which
 * folds and resets it, so the statistics stay exact. */
static void pop_count_never_wraps(void **state)
{
	(void)state;
	struct pa_config c = cfg(0);
	struct pa_zone *z = stack_zone(&c);
	struct pa_stats s0, s1;
	const unsigned pairs = 70000;

	pin(0);
	assert_int_equal(pa_free(z, pa_alloc(z, 0, PA_GFP_MOVABLE), 0), 0);
	pa_stats(z, &s0);
	for (unsigned i = 0; i < pairs; i++)
		assert_int_equal(pa_free(z, pa_alloc(z, 0, PA_GFP_MOVABLE), 0), 0);
	pa_stats(z, &s1);
	unpin();
	assert_int_equal(s1.pgalloc - s0.pgalloc, pairs);
	assert_int_equal(s1.pgfree - s0.pgfree, pairs);
	assert_true(s1.pcp_lock.acquisitions > s0.pcp_lock.acquisitions);
	assert_check(z);
	pa_zone_destroy(z);
}

/* Bad frees of blocks sitting on a stack: pushed there by a free (state
 * 0) or moved there from a list by a refill (state per-CPU).  Each is
 * refused and changes nothing. */
static void bad_frees_of_stacked_blocks(void **state)
{
	(void)state;
	struct th_errlog log = { 0 };
	struct pa_config c = cfg(0);

	c.error_fn = th_errlog_fn;
	c.error_arg = &log;
	struct pa_zone *z = stack_zone(&c);
	struct pa_stats s0, s1;
	uint64_t p[4];

	pin(0);
	for (int i = 0; i < 4; i++)
		p[i] = pa_alloc(z, 0, PA_GFP_MOVABLE);
	/* p[0], p[1] pushed; the refill after the first miss left more of
	 * the list on the stack below them */
	assert_int_equal(pa_free(z, p[0], 0), 0);
	assert_int_equal(pa_free(z, p[1], 0), 0);
	uint64_t reloaded = pa_alloc(z, 0, PA_GFP_MOVABLE); /* p[1] again */

	assert_int_equal(reloaded, p[1]);
	pa_stats(z, &s0);
	assert_int_equal(pa_free(z, p[0], 0), -EINVAL);     /* pushed */
	assert_int_equal(pa_free_cpu(z, 1 % c.ncpus, p[0], 0), -EINVAL);
	assert_int_equal(pa_free(z, p[0], 1), -EINVAL);     /* and order */
	pa_stats(z, &s1);
	unpin();
	assert_int_equal(s1.bad_frees - s0.bad_frees, 3);
	assert_int_equal(s1.pcp_pages, s0.pcp_pages);
	assert_int_equal(s1.free_pages, s0.free_pages);
	assert_check(z);
	/* after pa_check's flush p[0] is on a list: still refused */
	assert_int_equal(pa_free(z, p[0], 0), -EINVAL);
	assert_int_equal(pa_free(z, reloaded, 0), 0);
	for (int i = 2; i < 4; i++)
		assert_int_equal(pa_free(z, p[i], 0), 0);
	drained_and_destroyed(z);
}

/* Bursts of allocations, then as many frees, well within `high`: the
 * first round installs the stack with its share of high (half of what
 * the pageset may still hold), which the burst then never leaves, so
 * later rounds take the pageset lock not once.  Blocks left on the
 * stack or spilled to the list are still exact for bad frees, and
 * nothing is lost. */
static void bursts_within_high_stay_on_the_stack(void **state)
{
	(void)state;
	struct pa_config c = cfg(0);
	struct pa_stats s0, s1, s2;
	enum { ROUNDS = 8 };

	c.pcp_batch = 31;
	c.pcp_high_min = c.pcp_high_max = 1024;
	struct pa_zone *z = stack_zone(&c);
	unsigned n = c.pcp_high_min / 8;
	uint64_t *blk = calloc(n, sizeof(*blk));

	assert_non_null(blk);
	pin(0);
	pa_stats(z, &s0);
	for (int r = 0; r < ROUNDS; r++) {
		if (r == 1)
			pa_stats(z, &s1);
		for (unsigned i = 0; i < n; i++) {
			blk[i] = pa_alloc(z, 0, PA_GFP_MOVABLE);
			assert_int_not_equal(blk[i], PA_NO_PFN);
		}
		for (unsigned i = 0; i < n; i++)
			assert_int_equal(pa_free(z, blk[i], 0), 0);
	}
	/* both ends of the last round are on the stack */
	assert_int_equal(pa_free(z, blk[0], 0), -EINVAL);
	assert_int_equal(pa_free(z, blk[n - 1], 0), -EINVAL);
	pa_stats(z, &s2);
	unpin();
	free(blk);
	assert_int_equal(s2.pgalloc - s0.pgalloc, (uint64_t)ROUNDS * n);
	assert_int_equal(s2.pgfree - s0.pgfree, (uint64_t)ROUNDS * n);
	assert_int_equal(s2.bad_frees, 2);
	print_message("pageset holds: %llu in the first round, %llu after\n",
		      (unsigned long long)(s1.pcp_lock.acquisitions -
					   s0.pcp_lock.acquisitions),
		      (unsigned long long)(s2.pcp_lock.acquisitions -
					   s1.pcp_lock.acquisitions));
	assert_true(s1.pcp_lock.acquisitions > s0.pcp_lock.acquisitions);
	assert_int_equal(s2.pcp_lock.acquisitions, s1.pcp_lock.acquisitions);
	drained_and_destroyed(z);
}

/* `high` bounds the stacks too: freeing many times high on the own CPU,
 * what the pageset holds (lists plus stacks, pa_stats' pcp_pages) never
 * passes high after a free returns, as a kernel pageset's count never
 * does; the rest went to the zone in drains. */
static void stacks_count_against_high(void **state)
{
	(void)state;
	struct pa_config c = cfg(0);
	struct pa_stats s;
	const unsigned orders[] = { 0, 2 };

	c.pcp_batch = 31;
	c.pcp_high_min = c.pcp_high_max = 256;
	struct pa_zone *z = stack_zone(&c);
	unsigned n = 8 * c.pcp_high_min;
	uint64_t *blk = calloc(n, sizeof(*blk));

	assert_non_null(blk);
	pin(0);
	for (unsigned k = 0; k < 2; k++) {
		unsigned o = orders[k], nb = n >> o;
		uint64_t most = 0;

		for (unsigned i = 0; i < nb; i++) {
			blk[i] = pa_alloc(z, o, i & 1 ? PA_GFP_MOVABLE : 0);
			assert_int_not_equal(blk[i], PA_NO_PFN);
		}
		for (unsigned i = 0; i < nb; i++) {
			assert_int_equal(pa_free(z, blk[i], o), 0);
			pa_stats(z, &s);
			most = s.pcp_pages > most ? s.pcp_pages : most;
		}
		print_message("order %u: at most %llu pages held, high %u\n", o,
			      (unsigned long long)most, c.pcp_high_min);
		assert_true(most <= c.pcp_high_min);
		assert_true(most >= c.pcp_high_min / 2); /* and they are used */
		assert_check(z);
	}
	unpin();
	free(blk);
	drained_and_destroyed(z);
}

/* Regression: a free whose stack push missed reads its pageblock's type
 * again for the spill, and the pageblock may have been isolated in
 * between.  The spill took PA_MT_ISOLATE as a list index, which is
 * lists[order + 1][1]: a later walk of that list freed the block at the
 * wrong order, leaving its buddy on the isolate list after a shrink
 * (the resize stress test's corruption).  The spill must refuse it. */
static void spill_refuses_isolated_block(void **state)
{
	(void)state;
	struct pa_config c = cfg(0);
	struct pa_zone *z = stack_zone(&c);
	struct pa_isolation iso;

	assert_true(z->fast_stacks);
	pin(0);
	uint64_t p = pa_alloc(z, 0, PA_GFP_MOVABLE);
	uint64_t start = p & ~(pb_nr_pages(z) - 1);

	assert_int_not_equal(p, PA_NO_PFN);
	assert_int_equal(isolate_range(z, &iso, start, start + pb_nr_pages(z)), 0);
	/* claimed, as pa_free claims it before the push */
	assert_true(page_state_cas(&z->pages[p], PG_STATE(PG_ALLOC, 0), 0));
	assert_int_equal(pcp_free_mt(z, (uint32_t)p), PA_MT_ISOLATE);
	assert_int_equal(pcp_stack_spill(z, 0, (uint32_t)p, 0, PA_MT_ISOLATE, 0),
			 -EAGAIN);
	set_page_state(&z->pages[p], PG_STATE(PG_ALLOC, 0));
	assert_int_equal(pa_free(z, p, 0), 0); /* to the zone: isolated */
	isolate_undo(z, &iso);
	unpin();
	drained_and_destroyed(z);
}

/* Offline with blocks on the stacks: they go back to the zone, the dead
 * CPU's pa_alloc/pa_free use the zone, and online caches again. */
static void offline_empties_stacks(void **state)
{
	(void)state;
	struct pa_config c = cfg(0);
	struct pa_zone *z = stack_zone(&c);
	struct pa_stats s0, s1;
	uint64_t p[8];

	pin(0);
	for (int i = 0; i < 8; i++)
		p[i] = pa_alloc(z, 0, PA_GFP_MOVABLE);
	for (int i = 0; i < 8; i++)
		assert_int_equal(pa_free(z, p[i], 0), 0);
	assert_int_equal(pa_cpu_offline(z, 0), 0);
	pa_stats(z, &s0);
	for (int i = 0; i < 8; i++)
		p[i] = pa_alloc(z, 0, PA_GFP_MOVABLE);
	for (int i = 0; i < 8; i++)
		assert_int_equal(pa_free(z, p[i], 0), 0);
	pa_stats(z, &s1);
	assert_int_equal(s1.zone_pages_direct_alloc - s0.zone_pages_direct_alloc, 8);
	assert_int_equal(s1.zone_pages_direct_free - s0.zone_pages_direct_free, 8);
	assert_int_equal(s1.pcp_pages, s0.pcp_pages);
	assert_check(z);
	assert_int_equal(pa_cpu_online(z, 0), 0);
	pa_stats(z, &s0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(pa_free(z, pa_alloc(z, 0, PA_GFP_MOVABLE), 0), 0);
	pa_stats(z, &s1);
	unpin();
	assert_int_equal(s1.zone_pages_direct_free, s0.zone_pages_direct_free);
	drained_and_destroyed(z);
}

/* Explicit CPU and drains are the remote lockers: they must see and
 * drain exactly what the rseq path cached. */
static void remote_lockers_see_rseq_pages(void **state)
{
	(void)state;
	struct pa_config c = cfg(0);
	struct pa_zone *z = pa_zone_create(&c);
	uint64_t p[64];
	struct pa_stats s;

	assert_non_null(z);
	pin(0);
	for (int i = 0; i < 64; i++)
		p[i] = pa_alloc(z, 0, PA_GFP_MOVABLE);
	unpin();
	for (int i = 0; i < 64; i++) /* from wherever we run now */
		assert_int_equal(pa_free_cpu(z, 0, p[i], 0), 0);
	assert_int_equal(pa_cpu_offline(z, 0), 0);
	pa_stats(z, &s);
	assert_check(z);
	assert_int_equal(pa_cpu_online(z, 0), 0);
	pa_drain(z);
	pa_stats(z, &s);
	assert_int_equal(s.free_pages, s.managed_pages);
	assert_check(z);
	pa_zone_destroy(z);
}

static uint64_t fences(const struct pa_zone *z, unsigned cpu)
{
	return __atomic_load_n(&z->pcp[cpu].rseq_fences, __ATOMIC_RELAXED);
}

/* n explicit-CPU pairs on slot `cpu`. */
static void explicit_pairs(struct pa_zone *z, unsigned cpu, int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t p = pa_alloc_cpu(z, cpu, i % 3 ? 0 : 3, PA_GFP_MOVABLE);

		assert_int_not_equal(p, PA_NO_PFN);
		assert_int_equal(pa_free_cpu(z, cpu, p, i % 3 ? 0 : 3), 0);
	}
}

/* A slot that is also a real CPU, used from another CPU (the lab's
 * explicit-CPU calls, drains): the first lock fences that CPU and leaves
 * its word parked, so the next ones need no fence; the CPU's own user
 * unparks it, and only then does a call from elsewhere fence again.
 * Every rseq policy (stacks or the lock word alone). */
static void explicit_cpu_fences_only_after_own_use(void **state)
{
	(void)state;
	if (!rseq_expected() || get_nprocs_conf() < 2)
		skip();
	struct pa_config c = cfg(0);
	enum pa_policy pol;

	th_for_each_policy(pol, &c) {
		struct pa_config pc = c;

		pc.policy = pol;
		struct pa_zone *z = pa_zone_create(&pc);
		uint64_t f0;

		assert_non_null(z);
		pin(0);
		f0 = fences(z, 1);
		explicit_pairs(z, 1, 999);
		assert_int_equal(fences(z, 1) - f0, 1);
		pin(1); /* slot 1's own user: its slow path unparks the word */
		for (int i = 0; i < 100; i++) {
			uint64_t p = pa_alloc(z, 0, PA_GFP_MOVABLE);

			assert_int_not_equal(p, PA_NO_PFN);
			assert_int_equal(pa_free(z, p, 0), 0);
		}
		explicit_pairs(z, 1, 99); /* its own slot: no fence either */
		assert_int_equal(fences(z, 1) - f0, 1);
		pin(0);
		explicit_pairs(z, 1, 99);
		assert_int_equal(fences(z, 1) - f0, 2);
		unpin();
		drained_and_destroyed(z);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(choice_shown_in_zoneinfo),
		cmocka_unit_test(forced_fallback),
		cmocka_unit_test(fewer_slots_than_cpus_falls_back),
		cmocka_unit_test(own_cpu_pairs_stay_on_pageset),
		cmocka_unit_test(bad_frees_exact),
		cmocka_unit_test(misaligned_frees_refused),
		cmocka_unit_test(remote_lockers_see_rseq_pages),
		cmocka_unit_test(explicit_cpu_fences_only_after_own_use),
		cmocka_unit_test(pop_count_never_wraps),
		cmocka_unit_test(bad_frees_of_stacked_blocks),
		cmocka_unit_test(offline_empties_stacks),
		cmocka_unit_test(spill_refuses_isolated_block),
		cmocka_unit_test(bursts_within_high_stay_on_the_stack),
		cmocka_unit_test(stacks_count_against_high),
	};

	return cmocka_run_group_tests_name("rseq_fast_path", tests, NULL, NULL);
}
