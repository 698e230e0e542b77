/* SPDX-License-Identifier: MIT */
/*
 * Keeping superpageblocks (SPBs) clean and whole under spb, on a tiny
 * geometry: pageblocks of 4 pages, SPBs of 32 pageblocks (128 pages, so the
 * tainted-SPB reserve is its minimum, 4 pageblocks: defragmentation starts
 * at <= 5 free pageblocks or < 24 free pages, stops at >= 6 or >= 28),
 * max_order 4, one CPU taken offline so every allocation takes the zone
 * path, anonymous backing so every moved page's contents are checked.
 * The worker is driven through ops->background with a made-up clock;
 * pa_check after each test.
 */
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "owner.h"
#include "zone.h"        /* white-box: summaries, the ops table */
#include "spb_defrag.h"
#include "buddy.h"       /* zone_lock */

#define PB 4u
#define PB_PER_SPB 32u
#define SPB_PAGES (PB * PB_PER_SPB)
#define SEC 1000000000ull

struct fx {
	struct pa_zone *z;
	struct th_owner *o;
	uint64_t nr_pages;
	uint32_t *at;            /* pfn -> handle, rebuilt by fx_map */
	uint32_t nr_handles;
	uint32_t *handles;
	char events[1 << 15];
	size_t events_len;
};

static void on_event(void *arg, const char *line)
{
	struct fx *f = arg;
	size_t n = strlen(line);

	if (!strstr(line, "spb_evacuate_for_order_done"))
		return;
	if (f->events_len + n + 2 < sizeof(f->events)) {
		memcpy(f->events + f->events_len, line, n);
		f->events_len += n;
		f->events[f->events_len++] = '\n';
		f->events[f->events_len] = 0;
	}
}

static struct pa_config tiny_config(unsigned nr_spb, enum pa_policy policy)
{
	struct pa_config c = th_config(nr_spb * PB_PER_SPB, 2, 4,
				       PA_CFG_NO_WATERMARKS, 1);

	c.policy = policy;
	c.superpageblock_order = 7;
	c.backing = PA_BACKING_ANON;
	return c;
}

static struct fx *fx_new(unsigned nr_spb)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pa_config c = tiny_config(nr_spb, PA_POLICY_SPB);

	assert_non_null(f);
	c.event_fn = on_event;
	c.event_arg = f;
	f->z = pa_zone_create(&c);
	assert_non_null(f->z);
	assert_int_equal(pa_cpu_offline(f->z, 0), 0);
	f->nr_pages = pa_managed_pages(f->z);
	f->o = th_owner_new(f->z, (uint32_t)f->nr_pages);
	assert_non_null(f->o);
	f->at = malloc(f->nr_pages * sizeof(*f->at));
	f->handles = malloc(f->nr_pages * sizeof(*f->handles));
	assert_non_null(f->at);
	assert_non_null(f->handles);
	return f;
}

static void fx_free(struct fx *f)
{
	assert_int_equal(th_owner_verify(f->o), 0);
	assert_check(f->z);
	th_owner_free_all(f->o);
	th_owner_destroy(f->o);
	pa_zone_destroy(f->z);
	free(f->at);
	free(f->handles);
	free(f);
}

/* Where every live handle is now. */
static void fx_map(struct fx *f)
{
	memset(f->at, 0xff, f->nr_pages * sizeof(*f->at));
	for (uint32_t i = 0; i < f->nr_handles; i++) {
		uint64_t pfn = th_owner_pfn(f->o, f->handles[i]);

		if (pfn != PA_NO_PFN)
			f->at[pfn] = f->handles[i];
	}
}

/* Fill the zone with movable order-0 blocks. */
static void fx_fill(struct fx *f)
{
	for (uint64_t i = 0; i < f->nr_pages; i++) {
		uint32_t h = th_owner_alloc(f->o, 0);

		assert_int_not_equal(h, TH_NO_HANDLE);
		f->handles[f->nr_handles++] = h;
	}
	fx_map(f);
}

static void free_pfn(struct fx *f, uint64_t pfn)
{
	assert_int_not_equal(f->at[pfn], TH_NO_HANDLE);
	assert_int_equal(th_owner_free(f->o, f->at[pfn]), 0);
	f->at[pfn] = TH_NO_HANDLE;
}

static void free_range(struct fx *f, uint64_t start, uint64_t n)
{
	for (uint64_t pfn = start; pfn < start + n; pfn++)
		free_pfn(f, pfn);
}

static uint64_t alloc_unmovable(struct fx *f, unsigned gfp)
{
	uint64_t pfn = pa_alloc(f->z, 0, gfp);

	assert_int_not_equal(pfn, PA_NO_PFN);
	return pfn;
}

static struct superpageblock spb_now(struct fx *f, uint64_t i)
{
	struct superpageblock s;

	zone_lock(f->z);
	s = *spb_get(f->z, i);
	zone_unlock(f->z);
	return s;
}

static struct pa_stats stats(struct fx *f)
{
	struct pa_stats s;

	pa_stats(f->z, &s);
	return s;
}

static struct pa_tick_stats tick(struct fx *f, uint64_t now_ns)
{
	struct pa_tick_stats t = { 0 };

	f->z->ops->background(f->z, now_ns, &t);
	return t;
}

/*
 * The zone full of movable pages, then SPB 0 tainted and full: its first
 * pageblock freed and taken by 4 unmovable pages (Pass 3 claims it, Pass 1
 * fills it).  SPB 2 emptied: the clean destination.  Returns with SPB 0 in
 * fullness bucket 0 (no free page), so its next free is a fullness change.
 */
static struct fx *fx_tainted_full(unsigned nr_spb)
{
	struct fx *f = fx_new(nr_spb);

	fx_fill(f);
	free_range(f, 0, PB);
	for (unsigned i = 0; i < PB; i++)
		assert_true(alloc_unmovable(f, 0) < PB);
	free_range(f, (nr_spb - 1) * (uint64_t)SPB_PAGES, SPB_PAGES);
	assert_int_equal(spb_now(f, 0).category, SPB_TAINTED);
	assert_int_equal(spb_now(f, 0).nr_free, 0);
	assert_int_equal(spb_now(f, 1).category, SPB_CLEAN);
	return f;
}

/* Two pages free in each of pageblocks 1..n of SPB 0. */
static void scatter_frees(struct fx *f, unsigned n)
{
	for (unsigned b = 1; b <= n; b++)
		free_range(f, b * PB, 2);
}

/* Start from nothing wanted: setting up a situation fires triggers of
 * its own (every tainted pass is one). */
static void forget_wanted(struct fx *f)
{
	struct spb_defrag *d = f->z->spb_defrag;

	zone_lock(f->z);
	for (uint64_t i = 0; i < f->z->nr_superpageblocks; i++)
		d->spb[i].want = 0;
	memset(d->wanted, 0, d->words * sizeof(uint64_t));
	d->nr_pending = d->ring_n;   /* the worker's lockless hint */
	zone_unlock(f->z);
}

static bool handle_in_spb(struct fx *f, uint32_t h, uint64_t spb)
{
	uint64_t pfn = th_owner_pfn(f->o, h);

	return pfn != PA_NO_PFN && pfn / SPB_PAGES == spb;
}

/* ---- thresholds and the reserve ---- */

static void reserve_is_3_percent_at_least_4(void **state)
{
	(void)state;
	assert_int_equal(spb_reserve_pageblocks(512), 16);
	assert_int_equal(spb_reserve_pageblocks(1000), 30);
	assert_int_equal(spb_reserve_pageblocks(32), 4);
	assert_int_equal(spb_reserve_pageblocks(134), 5);
	/* tiny or partial SPBs: at most half their pageblocks */
	assert_int_equal(spb_reserve_pageblocks(6), 3);
	assert_int_equal(spb_reserve_pageblocks(1), 0);
}

static void thresholds_include_the_reserve(void **state)
{
	struct fx *f = fx_new(2);
	struct superpageblock s = { .nr_pageblocks = PB_PER_SPB,
				    .category = SPB_TAINTED };

	(void)state;
	/* 5 free pageblocks: past the series' own start (<= 1) only with
	 * the reserve of 4 */
	s.nr_free_pb = 5;
	s.nr_free = 5 * PB;
	assert_true(spb_defrag_should_start(f->z, &s));
	s.nr_free_pb = 6;
	s.nr_free = 6 * PB;
	assert_true(spb_defrag_should_stop(f->z, &s));
	assert_false(spb_defrag_should_start(f->z, &s));
	/* no free pageblock but 28 free pages (3 + 4 pageblocks' worth) */
	s.nr_free_pb = 0;
	s.nr_free = 28;
	assert_true(spb_defrag_should_stop(f->z, &s));
	s.nr_free = 23;
	assert_true(spb_defrag_should_start(f->z, &s));
	s.category = SPB_CLEAN;
	assert_false(spb_defrag_should_start(f->z, &s));
	fx_free(f);
}

/* ---- the worker ---- */

static uint64_t zone_lock_acquisitions(struct fx *f)
{
	return stats(f).zone_lock.acquisitions;
}

/* Regression: the idle worker took zone->lock three times per tick (the
 * clock, the queue, the wanted map), so a lab ticking every simulated
 * millisecond counted thousands of acquisitions no request made.  Idle,
 * it takes none; with work it takes the lock and runs. */
static void idle_worker_takes_no_zone_lock(void **state)
{
	struct fx *f = fx_tainted_full(3);
	struct pa_tick_stats t;
	uint64_t before;

	(void)state;
	forget_wanted(f);
	assert_check(f->z);
	before = zone_lock_acquisitions(f);
	for (unsigned k = 1; k <= 10; k++) {
		assert_int_equal(pa_zone_tick(f->z, k * SEC, &t), 0);
		assert_int_equal(t.woken, 0);
	}
	assert_int_equal(zone_lock_acquisitions(f), before);
	scatter_frees(f, 8); /* a trigger: the worker has work again */
	before = zone_lock_acquisitions(f);
	assert_int_equal(pa_zone_tick(f->z, 11 * SEC, &t), 0);
	assert_true(t.woken & PA_TICK_DEFRAG);
	assert_true(zone_lock_acquisitions(f) > before);
	assert_check(f->z);
	/* done: idle again, lock-free again */
	before = zone_lock_acquisitions(f);
	assert_int_equal(pa_zone_tick(f->z, 12 * SEC, &t), 0);
	assert_int_equal(t.woken, 0);
	assert_int_equal(zone_lock_acquisitions(f), before);
	fx_free(f);
}

static void worker_frees_pageblocks_to_the_stop_threshold(void **state)
{
	struct fx *f = fx_tainted_full(3);

	(void)state;
	forget_wanted(f);
	assert_int_equal(tick(f, 1 * SEC).woken, 0); /* nothing wanted */
	scatter_frees(f, 8); /* 16 free pages, no free pageblock: start */
	assert_int_equal(spb_now(f, 0).nr_free_pb, 0);
	assert_true(stats(f).spb_defrag_wanted >= 1); /* fullness changed */

	struct pa_tick_stats t = tick(f, 2 * SEC);
	struct pa_stats s = stats(f);

	assert_true(t.woken & PA_TICK_DEFRAG);
	assert_int_equal(spb_now(f, 0).nr_free_pb, 6);  /* 2 + reserve */
	assert_int_equal(s.spb_defrag_runs, 1);
	assert_int_equal(s.spb_defrag_pageblocks_freed, 6);
	assert_int_equal(s.spb_defrag_pages, 12);        /* 2 per pageblock */
	assert_int_equal(t.evacuated, 12);
	assert_int_equal(s.spb_evacuated_pages, 12);
	assert_int_equal(s.spb_defrag_cooldowns, 0);
	assert_int_equal(s.pgmigrate_success, 12);
	/* moved out of SPB 0, into the clean SPB 2, contents intact */
	assert_int_equal(th_owner_verify(f->o), 0);
	assert_int_equal(th_owner_moves(f->o), 12);
	assert_int_equal(spb_now(f, 2).nr_free, SPB_PAGES - 12);
	assert_int_equal(spb_now(f, 2).category, SPB_CLEAN);
	assert_check(f->z);
	/* at the stop threshold, further ticks do nothing */
	assert_int_equal(tick(f, 3 * SEC).woken, 0);
	/* and the reports say so */
	char *vm = th_report(f->z, PA_REPORT_VMSTAT, NULL);
	char *zi = th_report(f->z, PA_REPORT_ZONEINFO, NULL);

	assert_non_null(strstr(vm, "\nspb_defrag_runs 1\n"));
	assert_non_null(strstr(vm, "\nspb_defrag_pages 12\n"));
	assert_non_null(strstr(vm, "\nspb_defrag_pageblocks_freed 6\n"));
	assert_non_null(strstr(zi, "      spb_defrag_cooling 0\n"));
	assert_non_null(strstr(zi, "      spb_reserve_pageblocks 4\n"));
	free(vm);
	free(zi);
	fx_free(f);
}

static void worker_stops_when_no_movable_page_is_left(void **state)
{
	struct fx *f = fx_new(3);
	uint64_t u[SPB_PAGES];

	(void)state;
	/* SPB 0 all unmovable: nothing in it can be moved */
	fx_fill(f);
	free_range(f, 0, SPB_PAGES);
	for (unsigned i = 0; i < SPB_PAGES; i++) {
		u[i] = alloc_unmovable(f, 0);
		assert_true(u[i] < SPB_PAGES);
	}
	free_range(f, 2 * SPB_PAGES, SPB_PAGES);
	pa_free(f->z, u[0], 0);
	pa_free(f->z, u[PB], 0);
	assert_true(stats(f).spb_defrag_wanted >= 1);
	tick(f, 1 * SEC);
	struct pa_stats s = stats(f);

	assert_int_equal(s.spb_defrag_runs, 1);
	assert_int_equal(s.spb_defrag_pages, 0);
	assert_int_equal(s.spb_defrag_cooldowns, 1);
	assert_int_equal(th_owner_moves(f->o), 0);
	for (unsigned i = 1; i < SPB_PAGES; i++)
		if (i != PB)
			pa_free(f->z, u[i], 0);
	fx_free(f);
}

static void pin_spb0(struct fx *f, bool pinned)
{
	for (uint64_t pfn = 0; pfn < SPB_PAGES; pfn++)
		if (f->at[pfn] != TH_NO_HANDLE)
			th_owner_pin(f->o, f->at[pfn], pinned);
}

/* A pass served from tainted SPB 0 (Pass 2d: a movable fragment). */
static uint64_t trigger_by_tainted_pass(struct fx *f)
{
	uint64_t before = stats(f).spb_defrag_wanted;
	uint64_t pfn = alloc_unmovable(f, 0);

	assert_true(pfn < SPB_PAGES);
	assert_int_equal(stats(f).spb_defrag_wanted, before + 1);
	return pfn;
}

static void cooldown_after_a_pass_that_freed_nothing(void **state)
{
	struct fx *f = fx_tainted_full(3);
	uint64_t t0 = 100 * SEC, u[2];

	(void)state;
	scatter_frees(f, 8);
	pin_spb0(f, true);          /* isolate refuses: nothing can move */
	tick(f, t0);
	assert_int_equal(stats(f).spb_defrag_runs, 1);
	assert_int_equal(stats(f).spb_defrag_cooldowns, 1);
	char *zi = th_report(f->z, PA_REPORT_ZONEINFO, NULL);

	assert_non_null(strstr(zi, "      spb_defrag_cooling 1\n"));
	free(zi);

	/* wanted again within 5 s: skipped */
	u[0] = trigger_by_tainted_pass(f);
	tick(f, t0 + 1 * SEC);
	assert_int_equal(stats(f).spb_defrag_runs, 1);
	assert_int_equal(stats(f).spb_defrag_skipped_cooldown, 1);
	u[1] = trigger_by_tainted_pass(f);
	tick(f, t0 + SPB_DEFRAG_COOLDOWN_NS - 1);
	assert_int_equal(stats(f).spb_defrag_runs, 1);
	assert_int_equal(stats(f).spb_defrag_skipped_cooldown, 2);

	/* after 5 s it runs again, and progress clears the cooldown */
	pin_spb0(f, false);
	pa_free(f->z, u[1], 0);     /* its pageblock can empty again */
	trigger_by_tainted_pass(f);
	tick(f, t0 + SPB_DEFRAG_COOLDOWN_NS);
	assert_int_equal(stats(f).spb_defrag_runs, 2);
	assert_true(stats(f).spb_defrag_pageblocks_freed > 0);
	assert_int_equal(f->z->spb_defrag->spb[0].cooldown_until_ns, 0);
	assert_int_equal(stats(f).spb_defrag_cooldowns, 1);
	assert_check(f->z);
	fx_free(f);
}

/*
 * bench_antifrag fill98's ping-pong: with no free pageblock in any clean
 * SPB, movable requests for whole pageblocks (THPs, pageset refills) take
 * a tainted SPB's free ones, so every pageblock the worker freed there
 * went straight back to movable use and the worker emptied it again.
 * Here SPB 2, the clean destination, has room only in fragments (2 free
 * pages in each pageblock): the pass does not run (cooldown, nothing
 * moved).  Once a clean SPB has a free pageblock of its own, it does.
 * Regression: the pass ran and moved 12 pages.
 */
static void worker_leaves_pageblocks_movable_would_take_back(void **state)
{
	struct fx *f = fx_new(3);

	(void)state;
	fx_fill(f);
	free_range(f, 0, PB);
	for (unsigned i = 0; i < PB; i++)
		assert_true(alloc_unmovable(f, 0) < PB);
	for (unsigned b = 0; b < PB_PER_SPB; b++)
		free_range(f, 2 * SPB_PAGES + b * PB, 2);
	assert_int_equal(spb_now(f, 2).category, SPB_CLEAN);
	assert_int_equal(spb_now(f, 2).nr_free_pb, 0);
	forget_wanted(f);
	scatter_frees(f, 8);
	assert_true(stats(f).spb_defrag_wanted >= 1);

	tick(f, 1 * SEC);
	assert_int_equal(stats(f).spb_defrag_runs, 0);
	assert_int_equal(stats(f).spb_defrag_cooldowns, 1);
	assert_int_equal(th_owner_moves(f->o), 0);
	assert_int_equal(spb_now(f, 0).nr_free_pb, 0);
	assert_check(f->z);

	/* a free pageblock in clean SPB 2: movable requests go there */
	free_range(f, 2 * SPB_PAGES + 2, 2);
	assert_int_equal(spb_now(f, 2).nr_free_pb, 1);
	trigger_by_tainted_pass(f);
	tick(f, 1 * SEC + SPB_DEFRAG_COOLDOWN_NS);
	assert_int_equal(stats(f).spb_defrag_runs, 1);
	assert_true(stats(f).spb_defrag_pageblocks_freed > 0);
	assert_true(th_owner_moves(f->o) > 0);
	assert_int_equal(th_owner_verify(f->o), 0);
	fx_free(f);
}

static void tainting_a_clean_spb_walks_the_tainted_ones_first(void **state)
{
	struct fx *f = fx_tainted_full(3);

	(void)state;
	forget_wanted(f);
	/* SPB 0 has no free page: Pass 3, before it taints a clean SPB,
	 * marks SPB 0 (short of free pageblocks) for the worker; called as
	 * pass3_taint_clean calls it (whether the request then taints or,
	 * under the no-fragmentation rule, first goes to the slow path) */
	zone_lock(f->z);
	spb_defrag_before_taint(f->z, 0);
	zone_unlock(f->z);
	assert_int_equal(f->z->spb_defrag->spb[0].want, SPB_WANT_DEFRAG);
	/* the worker then empties whole movable pageblocks out of it */
	tick(f, 1 * SEC);
	assert_int_equal(spb_now(f, 0).nr_free_pb, 6);
	assert_int_equal(stats(f).spb_defrag_pages, 6 * PB);
	fx_free(f);
}

static void clean_spbs_are_not_defragmented(void **state)
{
	struct fx *f = fx_new(3);
	struct spb_defrag *d = f->z->spb_defrag;

	(void)state;
	fx_fill(f);
	for (unsigned b = 0; b < 8; b++)
		free_range(f, b * PB, 2);  /* SPB 0 clean, scattered frees */
	free_range(f, 2 * SPB_PAGES, SPB_PAGES);
	assert_int_equal(stats(f).spb_defrag_wanted, 0);
	/* even marked by hand, a clean SPB is left alone */
	zone_lock(f->z);
	d->spb[0].want = SPB_WANT_DEFRAG | SPB_WANT_EVACUATE;
	d->wanted[0] |= 1;
	d->nr_pending++;
	zone_unlock(f->z);
	assert_check(f->z);
	tick(f, 1 * SEC);
	assert_int_equal(stats(f).spb_defrag_runs, 0);
	assert_int_equal(th_owner_moves(f->o), 0);
	assert_int_equal(spb_now(f, 0).nr_free_pb, 0);
	fx_free(f);
}

/* ---- evacuation scheduled by a claim, deferred evacuation ---- */

static void claim_schedules_evacuation_of_the_movable_pages_left(void **state)
{
	struct fx *f = fx_tainted_full(3);
	uint32_t left[PB - 1];

	(void)state;
	/* one free page in movable pageblock 5: an atomic request claims it
	 * (Pass 2b: no free unmovable page, no free pageblock) */
	free_pfn(f, 5 * PB);
	for (unsigned i = 0; i < PB - 1; i++)
		left[i] = f->at[5 * PB + 1 + i];
	assert_int_equal(alloc_unmovable(f, PA_GFP_ATOMIC), 5 * PB);
	assert_int_equal(pb_mt(&f->z->pb[5]), PA_MT_UNMOVABLE);
	assert_int_equal(stats(f).spb_evacuate_queued, 1);

	forget_wanted(f);  /* the queue alone */
	tick(f, 1 * SEC);
	for (unsigned i = 0; i < PB - 1; i++)
		assert_true(handle_in_spb(f, left[i], 2));
	assert_int_equal(f->z->pb[5].nr_free, PB - 1);
	/* the queue's share; the pages it freed then woke the worker for
	 * SPB 0 (a fullness change), which did the rest */
	assert_int_equal(stats(f).spb_evacuated_pages - stats(f).spb_defrag_pages,
			 PB - 1);
	assert_int_equal(th_owner_verify(f->o), 0);
	pa_free(f->z, 5 * PB, 0);
	fx_free(f);
}

static void atomic_taint_schedules_deferred_evacuation(void **state)
{
	struct fx *f = fx_tainted_full(3);
	uint64_t pfn;

	(void)state;
	/* 30 single free pages in SPB 0, no free pair: past the stop
	 * threshold (>= 28 free pages), so the worker is not wanted, but an
	 * atomic order-1 request finds nothing in the tainted SPB */
	for (unsigned b = 1; b <= 30; b++)
		free_pfn(f, b * PB);
	forget_wanted(f);
	pfn = pa_alloc(f->z, 1, PA_GFP_ATOMIC);
	assert_int_not_equal(pfn, PA_NO_PFN);
	assert_true(pfn >= SPB_PAGES);   /* a clean SPB got tainted */
	assert_int_equal(f->z->spb_defrag->spb[0].want, SPB_WANT_EVACUATE);

	/* the worker evacuates SPB 0 until it has 2 + reserve free
	 * pageblocks back: 6 pageblocks of 3 movable pages */
	tick(f, 1 * SEC);
	assert_int_equal(stats(f).spb_defrag_runs, 1);
	assert_int_equal(spb_now(f, 0).nr_free_pb, 6);
	assert_int_equal(stats(f).spb_defrag_pages, 18);
	assert_int_equal(th_owner_verify(f->o), 0);
	pa_free(f->z, pfn, 1);
	fx_free(f);
}

/* ---- the slow path's targeted evacuation ---- */

static unsigned count_event(const char *text, const char *needle)
{
	unsigned n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void targeted_evacuation_phase1_own_type_first(void **state)
{
	struct fx *f = fx_tainted_full(3);

	(void)state;
	/* movable pageblock 5 claimed for unmovable use, 3 movable pages
	 * left in it (as above), the queue not run */
	free_pfn(f, 5 * PB);
	assert_int_equal(alloc_unmovable(f, PA_GFP_ATOMIC), 5 * PB);
	free_range(f, 9 * PB, PB);   /* a movable pageblock phase 2 could take */
	/* the set-up's own slow paths may have run the hook already */
	uint64_t calls_before = stats(f).spb_evacuate_for_order;
	uint64_t pages_before = stats(f).spb_evacuate_for_order_pages;
	uint64_t moved = f->z->ops->evacuate_for_order(f->z, 1, PA_MT_UNMOVABLE);

	assert_int_equal(moved, PB - 1);
	assert_int_equal(f->z->pb[5].nr_free, PB - 1);
	assert_int_equal(f->z->pb[9].nr_free, PB); /* untouched */
	assert_int_equal(count_event(f->events,
				     "spb_evacuate_for_order_done: order=1 migratetype=0 phase1_attempts=1 phase2_attempts=0 evacuated=1"),
			 1);
	assert_int_equal(stats(f).spb_evacuate_for_order - calls_before, 1);
	assert_int_equal(stats(f).spb_evacuate_for_order_pages - pages_before,
			 PB - 1);
	/* the order-1 request is now served inside the tainted SPB */
	uint64_t pfn = pa_alloc(f->z, 1, 0);

	assert_true(pfn >= 5 * PB && pfn < 6 * PB);
	pa_free(f->z, pfn, 1);
	pa_free(f->z, 5 * PB, 0);
	fx_free(f);
}

static void targeted_evacuation_phase2_whole_movable_pageblock(void **state)
{
	struct fx *f = fx_tainted_full(3);

	(void)state;
	/* no unmovable pageblock holds movable pages; movable pageblock 3 of
	 * the tainted SPB is half free */
	free_range(f, 3 * PB, 2);
	uint64_t moved = f->z->ops->evacuate_for_order(f->z, 2, PA_MT_UNMOVABLE);

	assert_int_equal(moved, 2);
	assert_int_equal(f->z->pb[3].nr_free, PB);
	assert_int_equal(count_event(f->events,
				     "order=2 migratetype=0 phase1_attempts=0 phase2_attempts=1 evacuated=1"),
			 1);
	/* Pass 2 claims it: the clean SPBs stay clean */
	uint64_t pfn = pa_alloc(f->z, 2, 0);

	assert_int_equal(pfn, 3 * PB);
	assert_int_equal(spb_now(f, 1).category, SPB_CLEAN);
	assert_int_equal(spb_now(f, 2).category, SPB_CLEAN);
	pa_free(f->z, pfn, 2);
	fx_free(f);
}

static void targeted_evacuation_with_nothing_to_move(void **state)
{
	struct fx *f = fx_new(2);

	(void)state;
	assert_int_equal(f->z->ops->evacuate_for_order(f->z, 0, PA_MT_UNMOVABLE), 0);
	assert_int_equal(f->z->ops->evacuate_for_order(f->z, 0, PA_MT_MOVABLE), 0);
	assert_int_equal(count_event(f->events, "evacuated=0"), 1);
	fx_free(f);
}

/* ---- slab shrinking driven by SPB pressure ---- */

/* A slab cache of reclaimable pages that frees what a pass asks for in
 * its range, and remembers the last request. */
struct slab {
	struct pa_zone *z;
	uint64_t pfn[SPB_PAGES];
	unsigned n;
	struct pa_shrink_control last;
	unsigned calls;
};

static bool slab_match(const struct pa_shrink_control *sc, uint64_t pfn)
{
	return (sc->migratetype == -1 || sc->migratetype == PA_MT_RECLAIMABLE) &&
	       (sc->pfn_end <= sc->pfn_start ||
		(pfn >= sc->pfn_start && pfn < sc->pfn_end));
}

static uint64_t slab_count(void *arg, const struct pa_shrink_control *sc)
{
	struct slab *c = arg;
	uint64_t n = 0;

	for (unsigned i = 0; i < c->n; i++)
		n += c->pfn[i] != PA_NO_PFN && slab_match(sc, c->pfn[i]);
	return n;
}

static uint64_t slab_scan(void *arg, struct pa_shrink_control *sc)
{
	struct slab *c = arg;
	uint64_t freed = 0;

	c->last = *sc;
	c->calls++;
	for (unsigned i = 0; i < c->n && freed < sc->nr_to_scan; i++)
		if (c->pfn[i] != PA_NO_PFN && slab_match(sc, c->pfn[i])) {
			pa_free(c->z, c->pfn[i], 0);
			c->pfn[i] = PA_NO_PFN;
			freed++;
		}
	sc->nr_scanned = freed;
	return freed;
}

static void slab_free_all(struct slab *c)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->pfn[i] != PA_NO_PFN)
			pa_free(c->z, c->pfn[i], 0);
}

static void tainted_spb_short_of_pageblocks_shrinks_its_slabs(void **state)
{
	struct fx *f = fx_new(3);
	struct slab *c = calloc(1, sizeof(*c));
	struct pa_tick_stats t;
	int id;

	(void)state;
	assert_non_null(c);
	c->z = f->z;
	fx_fill(f);
	/* SPB 0: 8 pageblocks of slab, the rest movable */
	free_range(f, 0, 8 * PB);
	for (c->n = 0; c->n < 8 * PB; c->n++) {
		c->pfn[c->n] = pa_alloc(f->z, 0, PA_GFP_RECLAIMABLE);
		assert_true(c->pfn[c->n] < 8 * PB);
	}
	free_range(f, 2 * SPB_PAGES, SPB_PAGES);
	id = pa_register_shrinker(f->z, slab_count, slab_scan, c);
	assert_true(id > 0);
	/* SPB 0 is below its high water (2 x (2 + 4) = 12 free pageblocks)
	 * and holds reclaimable pageblocks */
	assert_int_equal(f->z->spb_defrag->spb[0].want & SPB_WANT_SHRINK,
			 SPB_WANT_SHRINK);
	assert_int_equal(pa_zone_tick(f->z, 1 * SEC, &t), 0);
	assert_true(t.woken & PA_TICK_DEFRAG);
	assert_int_equal(c->last.migratetype, PA_MT_RECLAIMABLE);
	assert_int_equal(c->last.pfn_start, 0);
	assert_int_equal(c->last.pfn_end, SPB_PAGES);
	assert_int_equal(stats(f).spb_shrink_calls, 1);
	assert_int_equal(stats(f).spb_shrink_pages, 8 * PB);
	assert_true(stats(f).slabs_scanned > 0);
	/* the slab's pageblocks are free again: no defragmentation needed */
	assert_int_equal(spb_now(f, 0).nr_free_pb, 8);
	assert_int_equal(stats(f).spb_defrag_runs, 0);
	assert_int_equal(th_owner_moves(f->o), 0);
	assert_int_equal(pa_unregister_shrinker(f->z, id), 0);
	slab_free_all(c);
	free(c);
	fx_free(f);
}

static void shrink_that_frees_nothing_cools_down(void **state)
{
	struct fx *f = fx_new(3);
	struct slab *c = calloc(1, sizeof(*c));
	uint64_t keep[PB];
	int id;

	(void)state;
	assert_non_null(c);
	c->z = f->z;
	fx_fill(f);
	/* reclaimable pages the slab does not own: nothing to shrink */
	free_range(f, 0, PB);
	for (unsigned i = 0; i < PB; i++)
		keep[i] = pa_alloc(f->z, 0, PA_GFP_RECLAIMABLE);
	id = pa_register_shrinker(f->z, slab_count, slab_scan, c);
	assert_true(id > 0);
	assert_int_equal(spb_shrink_one(f->z, 0, 10 * SEC), 0);
	assert_int_equal(stats(f).spb_shrink_calls, 1);
	/* within 5 s the SPB is not asked again */
	assert_int_equal(spb_shrink_one(f->z, 0, 11 * SEC), 0);
	assert_int_equal(stats(f).spb_shrink_calls, 1);
	assert_int_equal(spb_shrink_one(f->z, 0, 15 * SEC), 0);
	assert_int_equal(stats(f).spb_shrink_calls, 2);
	assert_int_equal(pa_unregister_shrinker(f->z, id), 0);
	for (unsigned i = 0; i < PB; i++)
		pa_free(f->z, keep[i], 0);
	free(c);
	fx_free(f);
}

/* ---- memory hotplug ---- */

static void superpageblocks_added_by_grow_are_defragmented(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pa_config c = tiny_config(2, PA_POLICY_SPB);

	(void)state;
	assert_non_null(f);
	c.max_bytes = c.bytes * 2;
	f->z = pa_zone_create(&c);
	assert_non_null(f->z);
	assert_int_equal(pa_cpu_offline(f->z, 0), 0);
	assert_int_equal(pa_zone_grow(f->z, c.bytes), 0);
	f->nr_pages = pa_managed_pages(f->z);
	assert_int_equal(f->nr_pages, 4 * SPB_PAGES);
	f->o = th_owner_new(f->z, (uint32_t)f->nr_pages);
	f->at = malloc(f->nr_pages * sizeof(*f->at));
	f->handles = malloc(f->nr_pages * sizeof(*f->handles));
	assert_non_null(f->o);
	/* SPB 3, added by the grow, tainted and full; SPB 2 the destination */
	fx_fill(f);
	free_range(f, 3 * SPB_PAGES, PB);
	for (unsigned i = 0; i < PB; i++)
		assert_true(alloc_unmovable(f, 0) >= 3 * SPB_PAGES);
	free_range(f, 2 * SPB_PAGES, SPB_PAGES);
	forget_wanted(f);
	for (unsigned b = 1; b <= 8; b++)
		free_range(f, 3 * SPB_PAGES + b * PB, 2);
	assert_int_equal(f->z->spb_defrag->spb[3].want, SPB_WANT_DEFRAG);
	tick(f, 1 * SEC);
	assert_int_equal(spb_now(f, 3).nr_free_pb, 6);
	assert_int_equal(th_owner_verify(f->o), 0);
	fx_free(f);
}

/* ---- other policies ---- */

static void other_policies_have_no_hooks(void **state)
{
	static const enum pa_policy others[] = { PA_POLICY_MAINLINE,
						 PA_POLICY_PCPBUDDY };

	(void)state;
	for (unsigned i = 0; i < 2; i++) {
		struct pa_config c = tiny_config(2, others[i]);
		struct pa_zone *z = pa_zone_create(&c);

		assert_non_null(z);
		assert_null(z->ops->background);
		assert_null(z->ops->evacuate_for_order);
		assert_null(z->spb_defrag);
		/* a tick has nothing of spb's to run */
		struct pa_tick_stats t;

		assert_int_equal(pa_zone_tick(z, 1 * SEC, &t), 0);
		assert_int_equal(t.woken & PA_TICK_DEFRAG, 0);
		assert_int_equal(t.evacuated, 0);
		char *vm = th_report(z, PA_REPORT_VMSTAT, NULL);

		assert_null(strstr(vm, "spb_"));
		free(vm);
		assert_check(z);
		pa_zone_destroy(z);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reserve_is_3_percent_at_least_4),
		cmocka_unit_test(thresholds_include_the_reserve),
		cmocka_unit_test(idle_worker_takes_no_zone_lock),
		cmocka_unit_test(worker_frees_pageblocks_to_the_stop_threshold),
		cmocka_unit_test(worker_stops_when_no_movable_page_is_left),
		cmocka_unit_test(cooldown_after_a_pass_that_freed_nothing),
		cmocka_unit_test(worker_leaves_pageblocks_movable_would_take_back),
		cmocka_unit_test(tainting_a_clean_spb_walks_the_tainted_ones_first),
		cmocka_unit_test(clean_spbs_are_not_defragmented),
		cmocka_unit_test(claim_schedules_evacuation_of_the_movable_pages_left),
		cmocka_unit_test(atomic_taint_schedules_deferred_evacuation),
		cmocka_unit_test(targeted_evacuation_phase1_own_type_first),
		cmocka_unit_test(targeted_evacuation_phase2_whole_movable_pageblock),
		cmocka_unit_test(targeted_evacuation_with_nothing_to_move),
		cmocka_unit_test(tainted_spb_short_of_pageblocks_shrinks_its_slabs),
		cmocka_unit_test(shrink_that_frees_nothing_cools_down),
		cmocka_unit_test(superpageblocks_added_by_grow_are_defragmented),
		cmocka_unit_test(other_policies_have_no_hooks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
