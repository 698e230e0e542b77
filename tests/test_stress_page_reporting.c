/* SPDX-License-Identifier: MIT */
/*
 * Free page reporting under concurrency (TSan in CI): worker threads
 * allocate blocks of orders 0..3, mark every page in a table of allocated
 * pages, fill the memory with a pattern, check it and unmark before they
 * free; one thread drains pagesets now and then; a reporter walks the
 * zone again and again from varying orders with a callback that fails the
 * test if any page of a block it is handed is marked allocated, then gives
 * the memory back (MADV_DONTNEED), so a wrongly reported allocated block
 * would also lose its pattern.  The zone is checked at the end.  Two
 * seconds per policy; PA_STRESS_LONG=1 runs 20 s.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "helpers.h"
#include "owner.h" /* th_each_policy */

#define SLOTS 256
#define WORKERS 3

struct shared {
	struct pa_zone *zone;
	uint64_t nr_pages;
	uint8_t *allocated;       /* per page, atomic */
	uint64_t deadline_ns;
	/* failures */
	uint64_t reported_allocated, corrupt, bad_free;
	/* work done */
	uint64_t reported, walks, allocs;
};

static bool stopped(struct shared *s)
{
	return th_stress_stop(s->deadline_ns,
			      th_load(&s->reported) && th_load(&s->allocs));
}

static void count(uint64_t *c, uint64_t n)
{
	__atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

static void mark(struct shared *s, uint64_t pfn, unsigned order, uint8_t v)
{
	for (uint64_t p = pfn; p < pfn + (1ull << order); p++)
		__atomic_store_n(&s->allocated[p], v, __ATOMIC_RELEASE);
}

static uint64_t *word(struct shared *s, uint64_t pfn)
{
	return pa_pfn_to_addr(s->zone, pfn);
}

/* First word of every page: its pfn, so a zeroed page shows. */
static void fill(struct shared *s, uint64_t pfn, unsigned order)
{
	for (uint64_t p = pfn; p < pfn + (1ull << order); p++)
		*word(s, p) = p + 1;
}

static bool intact(struct shared *s, uint64_t pfn, unsigned order)
{
	for (uint64_t p = pfn; p < pfn + (1ull << order); p++)
		if (*word(s, p) != p + 1)
			return false;
	return true;
}

struct slot {
	uint64_t pfn;
	unsigned order;
};

static void release(struct shared *s, struct slot *b)
{
	if (!intact(s, b->pfn, b->order))
		count(&s->corrupt, 1);
	mark(s, b->pfn, b->order, 0);
	if (pa_free(s->zone, b->pfn, b->order))
		count(&s->bad_free, 1);
	b->pfn = PA_NO_PFN;
}

static void *worker(void *arg)
{
	struct shared *s = arg;
	struct th_rng rng = { (uint64_t)(uintptr_t)&rng };
	struct slot b[SLOTS];

	for (unsigned i = 0; i < SLOTS; i++)
		b[i].pfn = PA_NO_PFN;
	while (!stopped(s)) {
		struct slot *x = &b[th_below(&rng, SLOTS)];

		if (x->pfn != PA_NO_PFN) {
			release(s, x);
			continue;
		}
		x->order = (unsigned)th_below(&rng, 4);
		x->pfn = pa_alloc(s->zone, x->order, PA_GFP_MOVABLE | PA_GFP_NOWARN);
		if (x->pfn == PA_NO_PFN)
			continue;
		mark(s, x->pfn, x->order, 1);
		fill(s, x->pfn, x->order);
		count(&s->allocs, 1);
	}
	for (unsigned i = 0; i < SLOTS; i++)
		if (b[i].pfn != PA_NO_PFN)
			release(s, &b[i]);
	return NULL;
}

static void *drainer(void *arg)
{
	struct shared *s = arg;

	while (!stopped(s)) {
		pa_drain(s->zone);
		struct timespec ts = { 0, 2000000 };

		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* The reporter's callback: no page of the block may be allocated. */
static int check_free(void *arg, uint64_t pfn, unsigned order)
{
	struct shared *s = arg;

	for (uint64_t p = pfn; p < pfn + (1ull << order); p++)
		if (__atomic_load_n(&s->allocated[p], __ATOMIC_ACQUIRE)) {
			count(&s->reported_allocated, 1);
			return 1;
		}
	count(&s->reported, 1);
	return pa_report_madvise(s->zone, pfn, order);
}

static void *reporter(void *arg)
{
	struct shared *s = arg;
	unsigned order = 0;

	while (!stopped(s)) {
		if (pa_report_free(s->zone, order, check_free, s) < 0)
			count(&s->reported_allocated, 1);
		count(&s->walks, 1);
		order = (order + 1) % 6;
	}
	return NULL;
}

static void run(enum pa_policy pol)
{
	struct shared *s = calloc(1, sizeof(*s));
	struct pa_config c = pa_config_default();
	const char *lng = getenv("PA_STRESS_LONG");
	uint64_t secs = lng && *lng == '1' ? 20 : 2;
	pthread_t t[WORKERS + 2];
	unsigned nt = 0;

	assert_non_null(s);
	c.bytes = 16ull << 20;
	c.backing = PA_BACKING_ANON;
	c.ncpus = 2;
	c.policy = pol;
	c.pageblock_order = 6;
	c.max_order = 8;
	c.superpageblock_order = 8;
	c.flags = PA_CFG_NO_WATERMARKS;
	s->zone = th_zone_create(&c);
	s->nr_pages = pa_managed_pages(s->zone);
	s->allocated = calloc(s->nr_pages, 1);
	assert_non_null(s->allocated);
	s->deadline_ns = th_now_ns() + secs * 1000000000ull;
	for (unsigned i = 0; i < WORKERS; i++)
		assert_int_equal(pthread_create(&t[nt++], NULL, worker, s), 0);
	assert_int_equal(pthread_create(&t[nt++], NULL, drainer, s), 0);
	assert_int_equal(pthread_create(&t[nt++], NULL, reporter, s), 0);
	for (unsigned i = 0; i < nt; i++)
		pthread_join(t[i], NULL);
	print_message("%s: %llu allocations, %llu walks, %llu blocks reported\n",
		      pa_policy_name(pol), (unsigned long long)s->allocs,
		      (unsigned long long)s->walks,
		      (unsigned long long)s->reported);
	assert_int_equal(s->reported_allocated, 0);
	assert_int_equal(s->corrupt, 0);
	assert_int_equal(s->bad_free, 0);
	assert_true(s->reported > 0);
	assert_true(s->allocs > 0);
	assert_check(s->zone);
	th_zone_destroy(s->zone);
	free(s->allocated);
	free(s);
}

static void concurrent_reporting(void **state)
{
	(void)state;
	struct pa_config c = pa_config_default();

	c.bytes = 16ull << 20;
	c.pageblock_order = 6;
	c.max_order = 8;
	c.superpageblock_order = 8;
	th_each_policy(&c, run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(concurrent_reporting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
