/* SPDX-License-Identifier: MIT */
/*
 * The virtual-time model: deterministic for a seed; every page accounted
 * at the end as in the plain replay; the queueing resource against the
 * closed-form results of a closed system with fixed think and service
 * times; with one CPU, the same allocator decisions as the plain replay;
 * cross-CPU frees kept causal; the cost model's file round-trips.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "calibrate.h"
#include "commands.h"
#include "opcost.h"
#include "progress.h"
#include "scenario.h"
#include "vt_cache.h"
#include "vt_resource.h"
#include "vtime.h"
#include "vtime_cmd.h"

/* How a virtual-time run is set up besides its workload. */
struct vt_setup {
	struct vt_irq_cfg irq;   /* interrupts [none] */
	bool no_bg;              /* no background step */
	bool measure;            /* record for vtime_replay */
	double scale;            /* of the scenario's length [0.01] */
};

static struct sim *run_setup(const char *name, uint64_t bytes, unsigned ncpus,
			     uint64_t seed, const struct vt_setup *su,
			     struct vtime **vt_out);

/* Run scenario `name` on a machine of `bytes`, at scale 0.01; with vt (a
 * fresh recorder is attached and handed back in *vt_out) or plain (vt_out
 * NULL). */
static struct sim *run_on(const char *name, uint64_t bytes, unsigned ncpus,
			  uint64_t seed, struct vtime **vt_out)
{
	static const struct vt_setup plain;

	return run_setup(name, bytes, ncpus, seed, &plain, vt_out);
}

static struct sim *run_setup(const char *name, uint64_t bytes, unsigned ncpus,
			     uint64_t seed, const struct vt_setup *su,
			     struct vtime **vt_out)
{
	const struct scenario *sc = scenario_find(name);
	struct sim_config cfg = { .bytes = bytes, .ncpus = ncpus };
	struct scenario_params p = { .bytes = cfg.bytes, .ncpus = ncpus,
				     .seed = seed,
				     .scale = su->scale > 0 ? su->scale : 0.01 };
	struct costmodel m = costmodel_default();
	struct sim *s = calloc(1, sizeof(*s));
	char err[300];

	assert_non_null(sc);
	assert_non_null(s);
	assert_int_equal(sim_parse_policies("all", &cfg, err, sizeof(err)), 0);
	if (vt_out) {
		*vt_out = vtime_create(&m, VT_THINK_GLOBAL);
		assert_non_null(*vt_out);
		vtime_set_irq(*vt_out, &su->irq);
		vtime_set_background(*vt_out, !su->no_bg);
		vtime_set_measure(*vt_out, su->measure);
		cfg.vt = *vt_out;
	}
	if (sim_init(s, &cfg, err, sizeof(err)) != 0)
		fail_msg("%s: %s", name, err);
	scenario_run(sc, s, &p);
	if (sim_check(s, err, sizeof(err)) != 0)
		fail_msg("%s: %s", name, err);
	if (vt_out)
		assert_false(vtime_failed(*vt_out));
	return s;
}

/* run_on a 64 MiB machine */
static struct sim *run_small(const char *name, unsigned ncpus, uint64_t seed,
			     struct vtime **vt_out)
{
	return run_on(name, 64ull << 20, ncpus, seed, vt_out);
}

static void done(struct sim *s, struct vtime *vt)
{
	sim_destroy(s);
	free(s);
	vtime_destroy(vt);
}

static void test_deterministic_for_a_seed(void **state)
{
	struct vtime *va, *vb, *vc;
	struct sim *a = run_small("slab-churn", 8, 7, &va);
	struct sim *b = run_small("slab-churn", 8, 7, &vb);
	struct sim *c = run_small("slab-churn", 8, 8, &vc);
	const struct vt_result *ra, *rb, *rc;
	unsigned na, nb, nc;
	(void)state;

	ra = vtime_results(va, &na);
	rb = vtime_results(vb, &nb);
	rc = vtime_results(vc, &nc);
	assert_int_equal(na, a->npol);
	assert_int_equal(na, nb);
	assert_memory_equal(ra, rb, na * sizeof(*ra));
	for (unsigned k = 0; k < a->npol; k++) {
		assert_memory_equal(&a->pol[k].c, &b->pol[k].c, sizeof(a->pol[k].c));
		assert_memory_equal(a->pol[k].pb_map, b->pol[k].pb_map,
				    a->pol[k].nr_pageblocks);
		assert_true(ra[k].ops > 100);
		assert_true(ra[k].acquisitions > 0);
		assert_true(ra[k].pcp_acquisitions > 0);
	}
	/* another seed is another workload, so another timeline */
	assert_int_equal(nc, na);
	assert_true(ra[0].makespan_ns != rc[0].makespan_ns ||
		    ra[0].wait_ns != rc[0].wait_ns);
	done(a, va);
	done(b, vb);
	done(c, vc);
}

/* Each policy's zone under virtual time ends with the pages the plain
 * replay ends with: the same requests, all served, none lost. */
static void test_conservation_as_plain_replay(void **state)
{
	static const char *const names[] = { "kernel-build", "jemalloc-purge",
					     "exit-avalanche" };
	(void)state;

	for (unsigned n = 0; n < 3; n++) {
		struct vtime *vt;
		struct sim *v = run_small(names[n], 6, 3, &vt);
		struct sim *p = run_small(names[n], 6, 3, NULL);

		for (unsigned k = 0; k < v->npol; k++) {
			const struct sim_counts *cv = &v->pol[k].c, *cp = &p->pol[k].c;

			assert_int_equal(cv->events, cp->events);
			assert_int_equal(cv->bad_frees, 0);
			assert_int_equal(cv->failures, cp->failures);
			assert_int_equal(cv->live_pages, cp->live_pages);
			assert_int_equal(cv->live_blocks, cp->live_blocks);
			assert_int_equal(v->pol[k].stats.allocated_pages,
					 p->pol[k].stats.allocated_pages);
			assert_int_equal(v->pol[k].stats.free_pages +
					 v->pol[k].stats.pcp_pages +
					 v->pol[k].stats.allocated_pages,
					 v->pol[k].stats.managed_pages);
		}
		done(v, vt);
		done(p, NULL);
	}
}

/* Frees from other CPUs wait for their allocation: no free ever finds
 * its block missing, none reallocates a live key. */
static void test_cross_cpu_frees_stay_causal(void **state)
{
	struct vtime *vt;
	struct sim *s = run_small("jemalloc-purge", 8, 1, &vt);
	(void)state;

	for (unsigned k = 0; k < s->npol; k++) {
		assert_int_equal(s->pol[k].c.free_unknown, 0);
		assert_int_equal(s->pol[k].c.alloc_over_live, 0);
		assert_true(s->pol[k].c.frees > 1000);
	}
	done(s, vt);
}

/* One CPU: the requests run in the workload's order, so every policy
 * makes the same decisions as the plain replay (the run is shorter than
 * a second of either clock, so no pcp tick runs).  A scenario of plain
 * page requests: the memory model's (hugepage-demand, server) reclaim at
 * times of their own clock, so their decisions follow the clocks, not
 * the workload alone (test_lru_reclaims_in_virtual_time).  Both run the
 * background step (pa_zone_tick) each millisecond of their own clock:
 * here it must change nothing (no page reclaimed, compacted or moved),
 * and the zone->lock acquisitions it made (spb's defrag worker checking
 * the SPBs its triggers marked; an idle tick takes none) are the only
 * difference. */
static void test_one_cpu_same_decisions(void **state)
{
	struct vtime *vt;
	struct sim *v = run_small("slab-churn", 1, 5, &vt);
	struct sim *p = run_small("slab-churn", 1, 5, NULL);
	(void)state;

	for (unsigned k = 0; k < v->npol; k++) {
		const struct pa_stats *sv = &v->pol[k].stats, *sp = &p->pol[k].stats;

		assert_memory_equal(&v->pol[k].c, &p->pol[k].c, sizeof(v->pol[k].c));
		assert_int_equal(p->pol[k].ticks.reclaimed, 0);
		assert_int_equal(p->pol[k].ticks.compacted, 0);
		assert_int_equal(p->pol[k].ticks.evacuated, 0);
		assert_int_equal(v->pol[k].ticks.reclaimed, 0);
		assert_int_equal(v->pol[k].ticks.compacted, 0);
		assert_int_equal(v->pol[k].ticks.evacuated, 0);
		assert_true(v->pol[k].zone_ticks > 0);
		/* the lab takes its own sampling's acquisitions out of the
		 * figure (sim_policy.sample_lock_acq); the background steps
		 * ran on two clocks, so their checks differ in number */
		assert_int_equal(sv->zone_lock.acquisitions -
				 v->pol[k].tick_lock_acq,
				 sp->zone_lock.acquisitions -
				 p->pol[k].tick_lock_acq);
		assert_int_equal(sv->zone_pages_refill, sp->zone_pages_refill);
		assert_int_equal(sv->zone_pages_drain, sp->zone_pages_drain);
		assert_int_equal(sv->zone_blocks_moved, sp->zone_blocks_moved);
		assert_int_equal(sv->pcp_alloc_hit, sp->pcp_alloc_hit);
		assert_int_equal(sv->extfrag_fallbacks, sp->extfrag_fallbacks);
		assert_memory_equal(&v->pol[k].frag_end, &p->pol[k].frag_end,
				    sizeof(v->pol[k].frag_end));
		assert_int_equal(v->pol[k].nr_pageblocks, p->pol[k].nr_pageblocks);
		assert_memory_equal(v->pol[k].pb_map, p->pol[k].pb_map,
				    v->pol[k].nr_pageblocks);
	}
	/* and the one CPU never waits for zone->lock: only the background
	 * step, on a CPU of its own, may queue behind its holds (spb's
	 * worker does here) */
	{
		unsigned n;
		const struct vt_result *r = vtime_results(vt, &n);

		for (unsigned k = 0; k < n; k++) {
			assert_true(r[k].acquisitions > 0);
			assert_true(r[k].wait_ns == r[k].bg_wait_ns);
			assert_true(r[k].pcp_acquisitions > 0);
			assert_true(r[k].pcp_wait_ns == 0);
			assert_int_equal(r[k].pcp_remote, 0);
		}
	}
	done(v, vt);
	done(p, NULL);
}

/* The LRU model runs under virtual time: a full machine's folios are
 * reclaimed by the library's reclaim (direct, and kswapd in the
 * background step) through the lab's shrinkers, as in the plain replay,
 * instead of its allocations failing; every page is accounted at the
 * end. */
static void test_lru_reclaims_in_virtual_time(void **state)
{
	const struct vt_setup full = { .scale = 1 }; /* memory fills */
	struct vtime *vt;
	struct sim *v = run_setup("hugepage-demand", 64ull << 20, 4, 3, &full,
				  &vt);
	struct sim *p = run_setup("hugepage-demand", 64ull << 20, 4, 3, &full,
				  NULL);
	const struct vt_result *r;
	unsigned n;
	(void)state;

	r = vtime_results(vt, &n);
	for (unsigned k = 0; k < n; k++) {
		const struct sim_policy *pv = &v->pol[k];

		assert_true(r[k].reclaim_frees > 0);
		assert_true(pv->lru.c.dropped_pages + pv->lru.c.swapped_pages > 0);
		assert_true(p->pol[k].lru.c.dropped_pages + p->pol[k].lru.c.swapped_pages > 0);
		/* every recorded request ran (the plain replay's count also
		 * has the touches, which virtual time does not record); few
		 * of them fail */
		assert_int_equal(pv->c.events, vtime_requests(vt));
		assert_true(pv->c.events < p->pol[k].c.events);
		assert_true(pv->c.failures * 100 <= pv->c.allocs);
		assert_int_equal(pv->stats.allocated_pages, pv->c.live_pages +
				 pv->warm_held_pages);
		assert_int_equal(pv->stats.free_pages + pv->stats.pcp_pages +
				 pv->stats.allocated_pages,
				 pv->stats.managed_pages);
	}
	done(v, vt);
	done(p, NULL);
}

/* --measure makes a one-CPU run's calls again on a fresh zone: the run's
 * reclaim is replayed with them (each shrinker answer and the blocks
 * freed), or the zone would take other pfns and the replay fail. */
static void test_measure_replays_reclaim(void **state)
{
	const struct vt_setup meas = { .measure = true, .scale = 1 };
	struct vtime *vt;
	struct sim *s = run_setup("hugepage-demand", 64ull << 20, 1, 3, &meas,
				  &vt);
	const struct vt_result *r;
	unsigned n;
	(void)state;

	r = vtime_results(vt, &n);
	for (unsigned k = 0; k < n; k++) {
		assert_true(r[k].reclaim_frees > 0);
		assert_int_equal(vtime_replay(vt, s, k), 0);
		assert_int_equal(vtime_replay(vt, s, k), 0); /* repeatable */
	}
	assert_int_equal(vtime_replay(vt, s, n), -EINVAL);
	done(s, vt);
}

/* The library's own count of pageset trylocks that failed and sent the
 * caller elsewhere, over the run. */
static uint64_t lib_fallbacks(const struct sim_policy *p)
{
	return p->stats.pcp_trylock_fallback_alloc +
	       p->stats.pcp_trylock_fallback_free;
}

/* An interrupt in every pageset-lock hold: every handler call finds the
 * lock taken, and the library's own trylock fallback runs.  Mainline's
 * goes to the zone (seed 003: one zone->lock acquisition per fallback);
 * pcpbuddy queues a busy free on its own lock-free list instead (seed
 * 000), so fewer of its fallbacks take zone->lock.  Deterministic, and
 * every handler page is given back (the accounting holds). */
static void test_irq_forced_fallbacks(void **state)
{
	const struct vt_setup su = { .irq = { .in_hold = true, .seed = 3 } };
	struct vtime *va, *vb;
	struct sim *a = run_setup("kernel-build", 64ull << 20, 4, 3, &su, &va);
	struct sim *b = run_setup("kernel-build", 64ull << 20, 4, 3, &su, &vb);
	struct sim *p = run_small("kernel-build", 4, 3, NULL);
	const struct vt_result *ra, *rb;
	unsigned n, nb;
	bool saw_pcpbuddy = false;
	(void)state;

	ra = vtime_results(va, &n);
	rb = vtime_results(vb, &nb);
	assert_int_equal(n, nb);
	assert_memory_equal(ra, rb, n * sizeof(*ra));
	for (unsigned k = 0; k < n; k++) {
		const struct vt_result *r = &ra[k];

		assert_true(r->irqs > 100);
		assert_int_equal(r->irq_failed, 0);
		/* every handler call tried the held lock and failed; under
		 * spb but a free of a page whose pageblock another CPU adopted
		 * meanwhile (refill Phase 2), which goes to that CPU's
		 * lock-free list and tries no lock */
		if (r->policy == PA_POLICY_SPB)
			assert_true(r->irq_fallbacks <= r->irq_calls);
		else
			assert_int_equal(r->irq_fallbacks, r->irq_calls);
		assert_int_equal(lib_fallbacks(&a->pol[k]), r->irq_fallbacks);
		assert_true(r->fb_zone_acq <= r->irq_zone_acq);
		assert_true(r->irq_zone_acq <= r->acquisitions);
		assert_true(r->irq_ns > 0 && r->irq_ns < r->cpu_ns);
		if (r->policy == PA_POLICY_MAINLINE)
			assert_int_equal(r->fb_zone_acq, r->irq_fallbacks);
		if (r->policy == PA_POLICY_PCPBUDDY) {
			saw_pcpbuddy = true;
			assert_true(r->fb_zone_acq < r->irq_fallbacks);
		}
		/* the workload's own pages as in the plain replay */
		assert_int_equal(a->pol[k].c.live_pages, p->pol[k].c.live_pages);
		assert_int_equal(a->pol[k].stats.allocated_pages,
				 p->pol[k].stats.allocated_pages);
	}
	assert_true(saw_pcpbuddy);
	done(a, va);
	done(b, vb);
	done(p, NULL);
}

/* Rate 0: no interrupt, no fallback, and the same figures as a run that
 * never heard of interrupts.  A rate: about rate x CPU time of them
 * (Poisson arrivals), some of which land in holds. */
static void test_irq_rate(void **state)
{
	const struct vt_setup zero = { .irq = { .rate_hz = 0, .seed = 9 } };
	const struct vt_setup some = { .irq = { .rate_hz = 2e5, .seed = 9 } };
	struct vtime *vz, *vn, *vs;
	struct sim *z = run_setup("kernel-build", 64ull << 20, 4, 5, &zero, &vz);
	struct sim *n0 = run_small("kernel-build", 4, 5, &vn);
	struct sim *s = run_setup("kernel-build", 64ull << 20, 4, 5, &some, &vs);
	const struct vt_result *rz, *rn, *rs;
	unsigned n, nn, ns;
	(void)state;

	rz = vtime_results(vz, &n);
	rn = vtime_results(vn, &nn);
	rs = vtime_results(vs, &ns);
	assert_int_equal(n, nn);
	assert_memory_equal(rz, rn, n * sizeof(*rz));
	for (unsigned k = 0; k < n; k++) {
		double busy = (rs[k].cpu_ns - rs[k].bg_ns) / 1e9;
		double want = some.irq.rate_hz * busy;

		assert_int_equal(rz[k].irqs, 0);
		assert_int_equal(rz[k].irq_fallbacks, 0);
		assert_int_equal(lib_fallbacks(&z->pol[k]), 0);
		assert_true(want > 400);
		assert_true(rs[k].irqs > 0.8 * want && rs[k].irqs < 1.2 * want);
		assert_true(rs[k].irq_fallbacks < rs[k].irq_calls);
		assert_int_equal(lib_fallbacks(&s->pol[k]), rs[k].irq_fallbacks);
	}
	done(z, vz);
	done(n0, vn);
	done(s, vs);
}

/* The background step in virtual time: its zone->lock holds are the
 * ones the library's tick made (spb's defragmentation worker checking
 * SPBs here), counted among everyone's and priced on its own CPU; turned
 * off, no step runs. */
static void test_background_step(void **state)
{
	const struct vt_setup off = { .no_bg = true };
	struct vtime *vt, *vo;
	struct sim *s = run_small("slab-churn", 2, 5, &vt);
	struct sim *o = run_setup("slab-churn", 64ull << 20, 2, 5, &off, &vo);
	const struct vt_result *r, *ro;
	unsigned n, no;
	uint64_t holds = 0;
	(void)state;

	r = vtime_results(vt, &n);
	ro = vtime_results(vo, &no);
	assert_int_equal(n, no);
	for (unsigned k = 0; k < n; k++) {
		assert_true(r[k].bg_ticks > 0);
		assert_int_equal(r[k].bg_ticks, s->pol[k].zone_ticks);
		assert_int_equal(r[k].bg_holds, s->pol[k].tick_lock_acq);
		assert_true(r[k].bg_holds <= r[k].acquisitions);
		assert_true(!r[k].bg_holds || r[k].bg_hold_ns > 0);
		assert_true(r[k].bg_ns >= r[k].bg_wait_ns + r[k].bg_hold_ns);
		holds += r[k].bg_holds;
		assert_int_equal(ro[k].bg_ticks, 0);
		assert_int_equal(o->pol[k].zone_ticks, 0);
		assert_true(ro[k].bg_ns == 0);
	}
	assert_true(holds > 0); /* some policy's step took the lock */
	done(s, vt);
	done(o, vo);
}

static double rel_err(double got, double want)
{
	double d = got > want ? got - want : want - got;
	return want != 0 ? d / want : d;
}

/*
 * n CPUs, think Z, service S, deterministic: a closed system whose cycle
 * is max(Z + S, n S) once the initial convoy has dispersed.  Utilisation
 * n S / cycle, mean wait cycle - Z - S.  The first round's convoy adds
 * (n-1)/2 S per CPU once, so a mean wait may exceed the formula by that
 * over the rounds.  Fails the test with `what` when r disagrees.
 */
static void check_closed_form(const char *what, unsigned n, double z,
			      double s, unsigned rounds, double busy_ns,
			      double wait_ns, uint64_t acquisitions,
			      const struct vt_result *r)
{
	double cyc = n * s > z + s ? n * s : z + s, util = n * s / cyc;
	double wait = cyc - z - s, got_util = busy_ns / r->makespan_ns;
	double got_wait = wait_ns / (double)acquisitions;

	assert_int_equal(r->ops, (uint64_t)n * rounds);
	if (rel_err(got_util, util) > 0.02)
		fail_msg("%s n=%u: utilisation %.4f, formula %.4f", what, n,
			 got_util, util);
	if (rel_err(got_wait, wait) > 0.02 &&
	    got_wait - wait > (n - 1) * s / 2 / rounds + 1e-9)
		fail_msg("%s n=%u: mean wait %.2f ns, formula %.2f", what, n,
			 got_wait, wait);
	assert_true(wait_ns <= r->cpu_ns);
}

static void test_closed_system_formula(void **state)
{
	static const struct { unsigned n; double z, s; } cases[] = {
		{ 1, 1000, 100 }, { 4, 1000, 100 }, { 11, 1000, 100 },
		{ 16, 1000, 100 }, { 64, 1000, 100 }, { 200, 5000, 80 },
	};
	const unsigned rounds = 4000;
	(void)state;

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vt_result r;

		vtime_toy_closed(cases[i].n, cases[i].z, cases[i].s, rounds, &r);
		check_closed_form("zone->lock", cases[i].n, cases[i].z,
				  cases[i].s, rounds, r.hold_ns, r.wait_ns,
				  r.acquisitions, &r);
	}
}

/*
 * CPUs hammering one pageset through the engine's pcp->lock path: CPU 0
 * its owner, the others draining it.  Holds alternate between CPUs, so
 * each pays the hand-off H (but the owner's very first): the closed
 * system of test_closed_system_formula with service S + H.  One CPU
 * alone never waits and never pays a hand-off.
 */
static void test_pcp_lock_shared_pageset(void **state)
{
	static const struct { unsigned n; double z, s, h; } cases[] = {
		{ 2, 50, 100, 300 }, { 2, 2000, 100, 300 }, { 2, 600, 100, 300 },
		{ 4, 100, 100, 300 }, { 16, 3000, 50, 200 },
	};
	const unsigned rounds = 4000;
	struct vt_result r;
	(void)state;

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned n = cases[i].n;
		double sh = cases[i].s + cases[i].h;

		vtime_toy_pcp(n, cases[i].z, cases[i].s, cases[i].h, rounds, &r);
		assert_int_equal(r.pcp_acquisitions, (uint64_t)n * rounds);
		assert_int_equal(r.pcp_remote, (uint64_t)(n - 1) * rounds);
		assert_true(rel_err(r.pcp_hold_ns / (double)r.pcp_acquisitions,
				    sh) < 1e-3);
		check_closed_form("pcp->lock", n, cases[i].z, sh, rounds,
				  r.pcp_hold_ns, r.pcp_wait_ns,
				  r.pcp_acquisitions, &r);
		/* zone->lock is not involved */
		assert_int_equal(r.acquisitions, 0);
	}
	vtime_toy_pcp(1, 10, 100, 300, rounds, &r);
	assert_true(r.pcp_wait_ns == 0);
	assert_true(r.pcp_hold_ns == 100.0 * rounds);
	assert_int_equal(r.pcp_remote, 0);
}

/*
 * The real engine: when the zone runs dry, an allocation drains every
 * pageset (pa_drain), taking the other CPU's pcp->lock, which then
 * waits and is waited for.  With one CPU the same workload drains only
 * its own pageset and never waits.  exit-avalanche on 8 MiB: its burst
 * runs the zone dry with both CPUs busy.  (server was the workload once;
 * on the full-machine model its requests are spread over the trace's
 * idle time, so its drains seldom meet the owner's calls.)
 */
static void test_pcp_lock_remote_drains(void **state)
{
	struct vtime *v1, *v2;
	struct sim *s1 = run_on("exit-avalanche", 8ull << 20, 1, 3, &v1);
	struct sim *s2 = run_on("exit-avalanche", 8ull << 20, 2, 3, &v2);
	const struct vt_result *r1, *r2;
	unsigned n1, n2;
	(void)state;

	r1 = vtime_results(v1, &n1);
	r2 = vtime_results(v2, &n2);
	assert_int_equal(n1, n2);
	for (unsigned k = 0; k < n1; k++) {
		struct vt_figures f;

		assert_true(r1[k].pcp_acquisitions > r1[k].ops / 2);
		assert_true(r1[k].pcp_wait_ns == 0);
		assert_int_equal(r1[k].pcp_remote, 0);
		assert_true(r2[k].pcp_remote > 0);
		assert_true(r2[k].pcp_contended > 0);
		assert_true(r2[k].pcp_contended <= r2[k].pcp_acquisitions);
		vtime_figures(&r2[k], &f);
		assert_true(f.pcp_wait_share > 0 && f.pcp_wait_share < 1);
		assert_true(f.pcp_wait_p99_ns >= 0);
		assert_true(r2[k].pcp_hold_ns <= r2[k].cpu_ns);
	}
	done(s1, v1);
	done(s2, v2);
}

/* Run slab-churn small on `ncpus` with this metadata cache; result 0.
 * Mainline only, on purpose: the check below is that a call costs
 * call_ns and its misses and nothing else, and pcpbuddy's and spb's calls
 * also pay their merge passes (priced by the cost model). */
static struct vt_result run_cache_of(const char *name, const char *policy,
				     unsigned ncpus, double lines);

static struct vt_result run_cache(unsigned ncpus, double lines)
{
	struct vt_result r = run_cache_of("slab-churn", "mainline", ncpus,
					  lines);

	/* every call pays call_ns, and miss_ns per miss, nothing else */
	assert_true(rel_err(r.call_ns, (double)r.ops *
				       costmodel_default().call_ns +
			    (double)r.misses * 100.0) < 1e-9);
	return r;
}

/* Scenario `name` under `policy` at scale 0.01 on 64 MiB, a metadata
 * cache of `lines` lines, misses at a flat 100 ns. */
static struct vt_result run_cache_of(const char *name, const char *policy,
				     unsigned ncpus, double lines)
{
	const struct scenario *sc = scenario_find(name);
	struct sim_config cfg = { .bytes = 64ull << 20, .ncpus = ncpus };
	struct scenario_params p = { .bytes = cfg.bytes, .ncpus = ncpus,
				     .seed = 2, .scale = 0.01 };
	struct costmodel m = costmodel_default();
	struct sim *s = calloc(1, sizeof(*s));
	struct vt_result r;
	char err[300];
	unsigned n;

	assert_non_null(s);
	assert_non_null(sc);
	assert_int_equal(sim_parse_policies(policy, &cfg, err, sizeof(err)), 0);
	m.miss_ns = 100;
	m.miss_1m_ns = m.miss_4m_ns = m.miss_64m_ns = 0; /* flat */
	m.cache_lines = lines;
	cfg.vt = vtime_create(&m, VT_THINK_GLOBAL);
	assert_non_null(cfg.vt);
	assert_int_equal(sim_init(s, &cfg, err, sizeof(err)), 0);
	scenario_run(sc, s, &p);
	r = vtime_results(cfg.vt, &n)[0];
	assert_int_equal(n, 1);
	done(s, cfg.vt);
	return r;
}

/* A line that left the cache costs what a random access over that much
 * metadata costs: the calibration points, interpolated in log2 between
 * them, flat outside, never decreasing with the distance; all three
 * distance figures 0 is the flat model. */
static void test_miss_by_distance(void **state)
{
	struct costmodel m = costmodel_default();
	const double mib = (1 << 20) / 64.0; /* lines in 1 MiB */
	double prev = 0;
	(void)state;

	m.miss_1m_ns = 100, m.miss_4m_ns = 300, m.miss_ns = 500,
	m.miss_64m_ns = 900;
	m.cache_lines = 1024; /* 64 KiB */
	assert_true(costmodel_miss_at(&m, 1024) == 0);
	assert_true(fabs(costmodel_miss_at(&m, 4096) - 50) < 1e-9);
	assert_true(fabs(costmodel_miss_at(&m, mib) - 100) < 1e-9);
	assert_true(fabs(costmodel_miss_at(&m, 4 * mib) - 300) < 1e-9);
	assert_true(fabs(costmodel_miss_at(&m, 2 * mib) - 200) < 1e-9);
	assert_true(fabs(costmodel_miss_at(&m, 16 * mib) - 500) < 1e-9);
	assert_true(fabs(costmodel_miss_at(&m, 32 * mib) - 700) < 1e-9);
	assert_true(costmodel_miss_at(&m, 1e12) == 900);
	for (double l = 1; l < 1e9; l *= 1.7) {
		double c = costmodel_miss_at(&m, l);

		assert_true(c >= prev);
		prev = c;
	}
	m.cache_lines = 1e9; /* a cache larger than 1 MiB: from 1 MiB on */
	assert_true(costmodel_miss_at(&m, 2e9) == 900);
	m.miss_1m_ns = m.miss_4m_ns = m.miss_64m_ns = 0;
	assert_true(costmodel_miss_at(&m, 1) == 500);
	assert_true(costmodel_miss_at(&m, 1e12) == 500);
}

/* The page level's share of the calibrated misses: none while the
 * footprint fits the TLB's reach, 1 - reach / footprint beyond; the line's
 * part is the rest, never below 0, and all of it with tlb_miss_ns 0. */
static void test_tlb_share(void **state)
{
	struct costmodel m = costmodel_default();
	const double reach = 16 * 64.0; /* lines 16 TLB entries map */
	(void)state;

	m.tlb_pages = 16;
	m.tlb_miss_ns = 40;
	assert_true(costmodel_tlb_share(&m, reach) == 0);
	assert_true(fabs(costmodel_tlb_share(&m, 2 * reach) - 0.5) < 1e-12);
	assert_true(fabs(costmodel_tlb_share(&m, 4 * reach) - 0.75) < 1e-12);
	for (double l = 1e4; l < 1e8; l *= 3)
		assert_true(fabs(costmodel_line_miss_at(&m, l) -
				 fmax(0, costmodel_miss_at(&m, l) -
					 40 * costmodel_tlb_share(&m, l))) < 1e-9);
	m.tlb_miss_ns = 1e9;
	assert_true(costmodel_line_miss_at(&m, 1e8) == 0);
	m.tlb_miss_ns = 0;
	assert_true(costmodel_line_miss_at(&m, 1e8) == costmodel_miss_at(&m, 1e8));
}

/* The page level: a 4 KiB page of metadata (64 lines) misses on its
 * first touch and when more pages than the TLB holds came in since, or
 * another CPU touched it last; each page miss costs tlb_miss_ns on top of
 * the line's part; with tlb_miss_ns 0 there is no page level. */
static void test_tlb_level(void **state)
{
	struct costmodel m = costmodel_default();
	struct vt_cache vc;
	uint64_t tlb = 0;
	double cost = 0, line0;
	(void)state;

	m.cache_lines = 1e12; /* every line stays: only pages miss again */
	m.miss_ns = 100;
	m.miss_1m_ns = m.miss_4m_ns = m.miss_64m_ns = 0;
	m.tlb_pages = 2;
	m.tlb_miss_ns = 7;
	assert_int_equal(vt_cache_init(&vc, &m, 1 << 20, 2), 0);
	assert_true(vt_cache_touch(&vc, 0, 0, &cost, &tlb, NULL));
	line0 = costmodel_line_miss_at(&m, COSTMODEL_MISS_NS_LINES);
	assert_true(fabs(cost - (line0 + 7)) < 1e-9);
	assert_true(tlb == 1);
	/* another line of the same page: the line misses, the page not */
	cost = 0;
	assert_true(vt_cache_touch(&vc, 0, 1, &cost, &tlb, NULL));
	assert_true(tlb == 1 && fabs(cost - line0) < 1e-9);
	/* four pages in turn through two entries: every page touch of the
	 * second round misses, no line does */
	for (uint64_t p = 1; p < 4; p++)
		(void)vt_cache_touch(&vc, 0, p * 64, &cost, &tlb, NULL);
	assert_true(tlb == 4);
	cost = 0;
	for (uint64_t p = 0; p < 4; p++)
		assert_false(vt_cache_touch(&vc, 0, p * 64, &cost, &tlb, NULL));
	assert_true(tlb == 8 && fabs(cost - 4 * 7) < 1e-9);
	/* the last page again at once: a hit */
	(void)vt_cache_touch(&vc, 0, 3 * 64 + 5, &cost, &tlb, NULL);
	assert_true(tlb == 8);
	/* another CPU's touch: a miss there and then here */
	(void)vt_cache_touch(&vc, 1, 3 * 64, &cost, &tlb, NULL);
	assert_true(tlb == 9);
	assert_true(vt_cache_touch(&vc, 0, 3 * 64, &cost, &tlb, NULL));
	assert_true(tlb == 10);
	vt_cache_destroy(&vc);
	vt_cache_destroy(&vc); /* safe twice */
	/* no page level */
	m.tlb_miss_ns = 0;
	assert_int_equal(vt_cache_init(&vc, &m, 1 << 20, 1), 0);
	cost = 0;
	for (uint64_t l = 0; l < 4096; l += 64)
		(void)vt_cache_touch(&vc, 0, l, &cost, &tlb, NULL);
	assert_true(tlb == 10 && fabs(cost - 64 * m.miss_ns) < 1e-9);
	vt_cache_destroy(&vc);
}

/* Run scenario `name` small (64 MiB, at `scale`) under `policy` priced
 * by *m, on one CPU (the order of requests, and so what the allocator
 * does, cannot depend on the costs); result 0. */
static struct vt_result run_priced_at(const char *name, const char *policy,
				      const struct costmodel *m, double scale)
{
	const struct scenario *sc = scenario_find(name);
	struct sim_config cfg = { .bytes = 64ull << 20, .ncpus = 1 };
	struct scenario_params p = { .bytes = cfg.bytes, .ncpus = 1,
				     .seed = 3, .scale = scale };
	struct sim *s = calloc(1, sizeof(*s));
	struct vt_result r;
	char err[300];
	unsigned n;

	assert_non_null(s);
	assert_int_equal(sim_parse_policies(policy, &cfg, err, sizeof(err)), 0);
	cfg.vt = vtime_create(m, VT_THINK_GLOBAL);
	assert_non_null(cfg.vt);
	assert_int_equal(sim_init(s, &cfg, err, sizeof(err)), 0);
	scenario_run(sc, s, &p);
	r = vtime_results(cfg.vt, &n)[0];
	assert_int_equal(n, 1);
	assert_int_equal(pa_check(s->pol[0].zone, err, sizeof(err)), 0);
	done(s, cfg.vt);
	return r;
}

static struct vt_result run_priced_as(const char *name, const char *policy,
				      const struct costmodel *m)
{
	return run_priced_at(name, policy, m, 0.01);
}

/* run_priced_as under pcpbuddy (slab-churn: its merge passes) */
static struct vt_result run_priced(const char *name,
				   const struct costmodel *m)
{
	return run_priced_as(name, "pcpbuddy", m);
}

/* run_priced with the defaults but this per-hop figure: kernel-build,
 * whose passes hop at this size (slab-churn's windows are chunks freed
 * in pfn order, next to each other) */
static struct vt_result run_walk(double hop_ns)
{
	struct costmodel m = costmodel_default();

	m.walk_hop_ns = hop_ns;
	return run_priced("kernel-build", &m);
}

/* The misses' weights price a run again exactly: the same run at other
 * miss figures makes the same calls and misses, and its call time moves
 * by the weights times the figures' change (what --measure does with the
 * figures measured beside its passes); weights of one miss sum to at
 * most 1 and give costmodel_miss_at. */
static void test_miss_weights_reprice(void **state)
{
	static const char *const pols[] = { "mainline", "pcpbuddy", "spb" };
	struct costmodel a = costmodel_default(), b;
	double wa[COSTMODEL_MISS_FIGS], ya[COSTMODEL_MISS_FIGS],
	       yb[COSTMODEL_MISS_FIGS];
	(void)state;

	a.cache_lines = 256;
	a.miss_1m_ns = 10, a.miss_4m_ns = 30, a.miss_ns = 100;
	a.miss_64m_ns = 300;
	b = a;
	b.miss_1m_ns = 25, b.miss_4m_ns = 40, b.miss_ns = 170;
	b.miss_64m_ns = 260;
	costmodel_miss_figures(&a, ya);
	costmodel_miss_figures(&b, yb);
	for (double l = 1; l < 1e9; l *= 1.9) {
		double c = 0, sum = 0;

		costmodel_miss_weights(&a, l, wa);
		for (unsigned k = 0; k < COSTMODEL_MISS_FIGS; k++) {
			assert_true(wa[k] >= 0 && wa[k] <= 1);
			sum += wa[k], c += wa[k] * ya[k];
		}
		assert_true(sum <= 1 + 1e-12);
		assert_true(fabs(c - costmodel_miss_at(&a, l)) < 1e-9);
	}
	for (unsigned i = 0; i < 3; i++) {
		struct vt_result ra = run_priced_as("slab-churn", pols[i], &a),
				 rb = run_priced_as("slab-churn", pols[i], &b);
		double moved = 0, w = 0;

		assert_true(ra.misses + ra.walk_misses > 100);
		assert_true(ra.ops == rb.ops);
		assert_true(ra.misses == rb.misses);
		assert_true(ra.walk_misses == rb.walk_misses);
		for (unsigned k = 0; k < COSTMODEL_MISS_FIGS; k++) {
			moved += ra.miss_w[k] * (yb[k] - ya[k]);
			w += ra.miss_w[k];
			assert_true(fabs(ra.miss_w[k] - rb.miss_w[k]) < 1e-6);
		}
		assert_true(w > 0 && w <= (double)(ra.misses + ra.walk_misses) + 1e-6);
		assert_true(rel_err(rb.call_ns - ra.call_ns, moved) < 1e-6);
	}
}

/* Merge passes: a chunk not beside the previous one in its list is a hop
 * and costs walk_hop_ns instead of walk_ns, so raising the hop figure
 * adds exactly the difference per hop, and the walks themselves (the
 * allocator's decisions) do not change. */
static void test_walk_hops(void **state)
{
	struct costmodel d = costmodel_default();
	struct vt_result a = run_walk(d.walk_ns), b = run_walk(d.walk_ns + 10);
	(void)state;

	assert_true(a.passes > 0);
	assert_true(a.walk_hops > 0);
	assert_true(a.walk_hops <= a.walked);
	assert_true(a.walked == b.walked && a.walk_hops == b.walk_hops);
	assert_true(a.ops == b.ops && a.misses == b.misses);
	assert_true(rel_err(b.call_ns - a.call_ns, 10.0 * (double)a.walk_hops) <
		    1e-6);
}

/* The built-in model prices a hop above a prefetched neighbour, as its
 * calibration measured (it once shipped walk_hop_ns = 0: every hop free,
 * pcpbuddy's slab-churn predicted at a tenth of its measured time). */
static void test_default_hop_price(void **state)
{
	struct costmodel d = costmodel_default();
	(void)state;

	assert_true(d.walk_hop_ns > d.walk_ns);
	assert_true(run_walk(d.walk_hop_ns).call_ns >
		    run_walk(d.walk_ns).call_ns);
}

/* An allocation its caller marks movable (the lab's owner, on every
 * movable page: kernel-build's anonymous memory and page cache) costs
 * owner_ns more: raising it adds exactly that per mark; only movable
 * allocations are marked (not its slab), and the decisions do not
 * change. */
static void test_owner_marks(void **state)
{
	struct costmodel m = costmodel_default();
	struct vt_result a, b;
	(void)state;

	m.owner_ns = 0;
	a = run_priced("kernel-build", &m);
	m.owner_ns = 10;
	b = run_priced("kernel-build", &m);
	assert_true(a.marks > 0);
	assert_true(a.marks < a.ops); /* frees and unmovable allocations */
	assert_true(a.marks == b.marks && a.ops == b.ops &&
		    a.walked == b.walked && a.misses == b.misses);
	assert_true(rel_err(b.call_ns - a.call_ns, 10.0 * (double)a.marks) <
		    1e-6);
}

/* Compaction is priced per run, per step of each scanner and per block
 * moved (the calibration's four-term fit): raising the run's and the
 * free scanner's prices adds exactly runs x and steps x the difference,
 * the decisions unchanged, under every policy.  hugepage-demand's 2 MiB
 * demands compact. */
static void test_compaction_price(void **state)
{
	static const char *const policies[] = { "mainline", "pcpbuddy", "spb" };
	(void)state;

	for (unsigned k = 0; k < 3; k++) {
		struct costmodel m = costmodel_default();
		struct vt_result a, b;

		m.compact_ns = 0;
		m.free_scan_ns = 0;
		a = run_priced_at("hugepage-demand", policies[k], &m, 1);
		m.compact_ns = 1000;
		m.free_scan_ns = 2;
		b = run_priced_at("hugepage-demand", policies[k], &m, 1);
		if (!a.compact_runs || !a.free_scanned ||
		    a.free_scanned >= a.scanned)
			fail_msg("%s: %llu runs, %llu of %llu steps the free "
				 "scanner's", policies[k],
				 (unsigned long long)a.compact_runs,
				 (unsigned long long)a.free_scanned,
				 (unsigned long long)a.scanned);
		assert_true(a.compact_runs == b.compact_runs &&
			    a.free_scanned == b.free_scanned &&
			    a.scanned == b.scanned && a.ops == b.ops &&
			    a.migrated_blocks == b.migrated_blocks);
		assert_true(rel_err(b.call_ns - a.call_ns,
				    1000.0 * (double)a.compact_runs +
				    2.0 * (double)a.free_scanned) < 1e-6);
	}
}

/* A zone->lock price raised from 0 to 10 ns (the figure at knob in m):
 * the two runs' decisions and counts are the same, only time moves. */
static void priced_at_0_and_10(const char *scen, struct costmodel *m,
			       double *knob, struct vt_result *a,
			       struct vt_result *b)
{
	*knob = 0;
	*a = run_priced_as(scen, "mainline", m);
	*knob = 10;
	*b = run_priced_as(scen, "mainline", m);
	assert_true(a->merges == b->merges && a->splits == b->splits &&
		    a->pb_walked == b->pb_walked && a->list_ops == b->list_ops &&
		    a->ops == b->ops && a->acquisitions == b->acquisitions);
}

/* Buddy merges and split pieces under zone->lock cost merge_ns each:
 * raising it adds exactly that per merge and piece to the hold time
 * (slab-churn under mainline: its refills split blocks and its drains
 * merge them). */
static void test_merge_price(void **state)
{
	struct costmodel m = costmodel_default();
	struct vt_result a, b;
	(void)state;

	priced_at_0_and_10("slab-churn", &m, &m.merge_ns, &a, &b);
	assert_true(a.merges > 0 && a.splits > 0 && a.list_ops > 0);
	assert_true(rel_err(b.hold_ns - a.hold_ns,
			    10.0 * (double)(a.merges + a.splits)) < 1e-6);
}

/* A fallback's pageblock walks under zone->lock cost pb_walk_ns per
 * entry: raising it adds exactly that per entry walked to the hold time
 * (server under mainline on 64 MiB: its unmovable allocations fall back
 * into movable pageblocks). */
static void test_pb_walk_price(void **state)
{
	struct costmodel m = costmodel_default();
	struct vt_result a, b;
	(void)state;

	priced_at_0_and_10("server", &m, &m.pb_walk_ns, &a, &b);
	assert_true(a.pb_walked > 0);
	assert_true(rel_err(b.hold_ns - a.hold_ns, 10.0 * (double)a.pb_walked) <
		    1e-6);
}

/* The metadata cache: with room for everything a line misses at most on
 * its first touch (one CPU: never, its blocks come warm from refills); a
 * smaller cache misses more; more CPUs sharing the pages (remote frees,
 * other CPUs' lines) miss more again. */
static void test_metadata_misses(void **state)
{
	uint64_t lines = (64ull << 20) / 4096 / 4 + 1;
	struct vt_result all = run_cache(1, 1e12), small = run_cache(1, 64),
			 many = run_cache(8, 1e12);
	(void)state;

	assert_true(all.misses <= lines);
	assert_true(small.misses > all.misses);
	assert_true(small.misses <= small.ops);
	assert_true(many.misses > all.misses);
}

/* The blocks opcost_pcp_refilled gave. */
struct refilled_seen {
	uint64_t *pfn;
	uint64_t n, cap;
};

static void refilled_note(void *arg, uint32_t pfn)
{
	struct refilled_seen *s = arg;

	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->pfn = realloc(s->pfn, s->cap * sizeof(*s->pfn));
		assert_non_null(s->pfn);
	}
	s->pfn[s->n++] = pfn;
}

/* A refill writes every block it moves, so their lines are warm when
 * the allocations take them: page-fault1 on one CPU under mainline, with
 * room for everything, allocates only refilled blocks and frees only its
 * own, so it never misses (without the warming every line missed once). */
static void test_refill_warms_its_blocks(void **state)
{
	struct vt_result r = run_cache_of("page-fault1", "mainline", 1, 1e12);
	(void)state;

	assert_true(r.ops > 1000);
	assert_true(r.misses == 0);
}

/* Right after a refill, opcost_pcp_refilled gives the blocks it put on
 * the list, under every policy: distinct, at most as many as it moved,
 * not the one the call took; under mainline all the others. */
static void test_refilled_blocks(void **state)
{
	static const char *const pols[] = { "mainline", "pcpbuddy", "spb" };
	(void)state;

	for (unsigned k = 0; k < 3; k++) {
		struct pa_config c = pa_config_default();
		struct opcost a, b, d;
		struct refilled_seen seen = { 0 };
		char err[256];

		c.bytes = 64ull << 20;
		c.ncpus = 1;
		assert_int_equal(pa_policy_parse(pols[k], &c.policy), 0);
		struct pa_zone *z = pa_zone_create(&c);

		assert_non_null(z);
		opcost_read(z, &b);
		uint64_t got = PA_NO_PFN;

		/* allocate until a refill happens */
		for (unsigned i = 0; i < 100000 && got == PA_NO_PFN; i++) {
			uint64_t p = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);

			if (p == PA_NO_PFN)
				break; /* full: pcpbuddy never bulk-refilled */
			opcost_read(z, &a);
			opcost_delta(&a, &b, &d);
			if (d.refilled)
				got = p;
			b = a;
		}
		assert_true(got != PA_NO_PFN);
		uint64_t n = opcost_pcp_refilled(z, 0, 0, PA_MT_MOVABLE,
						 d.refilled, refilled_note,
						 &seen);

		assert_true(n == seen.n);
		assert_true(n <= d.refilled);
		for (uint64_t i = 0; i < seen.n; i++) {
			assert_true(seen.pfn[i] != got);
			for (uint64_t j = 0; j < i; j++)
				assert_true(seen.pfn[i] != seen.pfn[j]);
		}
		if (k == 0) /* all but the one the call took */
			assert_true(n == d.refilled - 1);
		assert_int_equal(opcost_pcp_refilled(z, 0, 0, PA_MT_PCPTYPES,
						     d.refilled, refilled_note,
						     &seen), 0);
		assert_int_equal(pa_check(z, err, sizeof(err)), 0);
		pa_zone_destroy(z);
		free(seen.pfn);
	}
}

/* The hand-off: paid only when the lock changes CPU, growing with the
 * CPUs queued behind it. */
static void test_lock_handoff(void **state)
{
	struct vt_lock l;
	double w, h, end;
	(void)state;

	assert_int_equal(vt_lock_init(&l, 4, 50, 10), 0);
	end = vt_lock_hold(&l, 0, 0, 100, &w, &h);
	assert_true(w == 0 && h == 100 && end == 100);
	/* same CPU again: its cache still has the lines */
	end = vt_lock_hold(&l, 0, 200, 100, &w, &h);
	assert_true(w == 0 && h == 100 && end == 300);
	/* CPU 1 arrives while CPU 0 holds: waits, then pays the hand-off
	 * with one CPU (the holder) ahead of it */
	end = vt_lock_hold(&l, 1, 250, 100, &w, &h);
	assert_true(w == 50);
	assert_true(h == 100 + 50 + 10 * 1);
	/* CPU 2 at the same instant: two ahead */
	vt_lock_hold(&l, 2, 250, 100, &w, &h);
	assert_true(w == end - 250);
	assert_true(h == 100 + 50 + 10 * 2);
	vt_lock_destroy(&l);
}

static void test_hist_quantiles(void **state)
{
	struct vt_hist h;
	(void)state;

	memset(&h, 0, sizeof(h));
	for (int i = 0; i < 990; i++)
		vt_hist_add(&h, 0);
	for (int i = 0; i < 10; i++)
		vt_hist_add(&h, 5000);
	assert_true(vt_hist_quantile(&h, 0.5) == 0);
	assert_true(vt_hist_quantile(&h, 0.99) == 0);
	assert_true(rel_err(vt_hist_quantile(&h, 0.995), 5000) < 1.0 / VT_HIST_SUB);
	assert_true(h.max == 5000);
}

static void test_costmodel_file(void **state)
{
	char path[] = "/tmp/test_vtime_cmXXXXXX", err[300];
	struct costmodel a = costmodel_default(), b = costmodel_default();
	int fd = mkstemp(path);
	FILE *f;
	(void)state;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	a.page_ns = 7.25;
	a.handoff_ns = 123;
	assert_int_equal(costmodel_write(&a, f), 0);
	fclose(f);
	assert_int_equal(costmodel_load(&b, path, err, sizeof(err)), 0);
	assert_true(b.page_ns == 7.25 && b.handoff_ns == 123);
	assert_memory_equal(&a, &b, sizeof(a));
	f = fopen(path, "w");
	fprintf(f, "page_ns = 3\nno_such_key = 1\n");
	fclose(f);
	assert_int_equal(costmodel_load(&b, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":2:"));
	f = fopen(path, "w");
	fprintf(f, "page_ns = -1\n");
	fclose(f);
	assert_int_equal(costmodel_load(&b, path, err, sizeof(err)), -EINVAL);
	unlink(path);
	assert_true(costmodel_load(&b, path, err, sizeof(err)) == -ENOENT);
}

/* The calibration's fit recovers known figures from exact samples, and
 * never returns a negative one. */
static void test_calibration_fit(void **state)
{
	struct cal_sample smp[4] = {
		{ "a", 0, 1000, 1000, 1000, 1000 },
		{ "b", 0, 1000, 1000, 8000, 1000 },
		{ "c", 0, 1000, 1000, 512000, 1000 },
		{ "d", 0, 1000, 10, 1000, 1000 },
	};
	struct costmodel m = costmodel_default();
	(void)state;

	m.call_ns = 10;
	for (unsigned i = 0; i < 4; i++)
		smp[i].ns = smp[i].calls * 10 + smp[i].acq * 20 +
			    smp[i].pages * 0.5 + smp[i].blocks * 7;
	assert_int_equal(calibrate_fit(smp, 4, &m), 0);
	assert_true(rel_err(m.lock_ns, 20) < 1e-6);
	assert_true(rel_err(m.page_ns, 0.5) < 1e-6);
	assert_true(rel_err(m.list_op_ns, 7) < 1e-6);
	/* times below the calls' own cost: no negative figure comes out */
	for (unsigned i = 0; i < 4; i++)
		smp[i].ns = smp[i].calls * 10 + smp[i].blocks * 3 -
			    smp[i].pages * 0.001;
	if (calibrate_fit(smp, 4, &m) == 0)
		assert_true(m.lock_ns >= 0 && m.page_ns >= 0 && m.list_op_ns >= 0);
	assert_int_equal(calibrate_fit(smp, 2, &m), -EINVAL);
}

/* With merges and split pieces in the samples (the zone-path pairs: 10,
 * 7 and 1 a call for orders 0, 3 and 9), the fit recovers merge_ns
 * beside the other three. */
static void test_calibration_fit_merges(void **state)
{
	struct cal_sample smp[5] = {
		{ "o0", 0, 1000, 1000, 1000, 1000, 10000 },
		{ "o3", 0, 1000, 1000, 8000, 1000, 7000 },
		{ "o9", 0, 1000, 1000, 512000, 1000, 1000 },
		{ "burst", 0, 1000, 10, 1000, 1000, 1000 },
		{ "hits", 0, 1000, 0, 0, 0, 0 },
	};
	struct costmodel m = costmodel_default();
	(void)state;

	m.call_ns = 10;
	for (unsigned i = 0; i < 5; i++)
		smp[i].ns = smp[i].calls * 10 + smp[i].acq * 20 +
			    smp[i].pages * 0.5 + smp[i].blocks * 7 +
			    smp[i].merges * 4;
	assert_int_equal(calibrate_fit(smp, 5, &m), 0);
	assert_true(rel_err(m.lock_ns, 20) < 1e-6);
	assert_true(rel_err(m.page_ns, 0.5) < 1e-6);
	assert_true(rel_err(m.list_op_ns, 7) < 1e-6);
	assert_true(rel_err(m.merge_ns, 4) < 1e-6);
}

/* The stability rule: the least of the runs, the runs counted out. */
static void test_stability_rule(void **state)
{
	const double v[5] = { 30, 12.5, 40, 12.75, 99 };
	double now = progress_now();
	(void)state;

	assert_true(calibrate_least(v, 5) == 12.5);
	assert_true(calibrate_least(v, 1) == 30);
	assert_true(v[0] == 30 && v[4] == 99); /* not reordered */
	assert_true(calibrate_more(4, 5, now, 0, 64)); /* the runs asked */
	assert_false(calibrate_more(5, 5, now, 0, 64)); /* span over */
	assert_true(calibrate_more(5, 5, now, 3600, 64)); /* span not over */
	assert_false(calibrate_more(64, 5, now, 3600, 64)); /* at most max */
}

/* Run r is pinned to the (r mod n)-th allowed CPU; the mask comes back. */
static void test_pin_turn_about(void **state)
{
	struct cal_pin pin;
	cpu_set_t now;
	(void)state;

	calibrate_pin_save(&pin);
	assert_true(pin.ncpus >= 1);
	for (unsigned r = 0; r < 2 * pin.ncpus; r++) {
		unsigned k = r % pin.ncpus;
		int want = -1;

		for (int c = 0; c < CPU_SETSIZE && want < 0; c++)
			if (CPU_ISSET(c, &pin.old) && k-- == 0)
				want = c;
		calibrate_pin_run(&pin, r);
		assert_int_equal(sched_getaffinity(0, sizeof(now), &now), 0);
		assert_int_equal(CPU_COUNT(&now), 1);
		assert_true(CPU_ISSET(want, &now));
	}
	calibrate_unpin(&pin);
	assert_int_equal(sched_getaffinity(0, sizeof(now), &now), 0);
	assert_true(CPU_EQUAL(&now, &pin.old));
}

/* Mapping a zone's metadata in changes nothing the zone holds. */
static void test_prefault_keeps_zone(void **state)
{
	struct pa_config c = pa_config_default();
	struct pa_stats a, b;
	struct pa_zone *z;
	uint64_t pfn[64];
	char err[256];
	int rc;
	(void)state;

	c.bytes = 64ull << 20;
	c.ncpus = 1;
	z = pa_zone_create(&c);
	assert_non_null(z);
	for (unsigned i = 0; i < 64; i++)
		pfn[i] = pa_alloc_cpu(z, 0, i % 4, PA_GFP_MOVABLE);
	for (unsigned i = 0; i < 64; i += 2)
		if (pfn[i] != PA_NO_PFN)
			pa_free_cpu(z, 0, pfn[i], i % 4);
	pa_stats(z, &a);
	rc = opcost_prefault(z);
	assert_true(rc == 0 || rc == -EINVAL); /* -EINVAL: before 5.14 */
	pa_stats(z, &b);
	assert_true(a.free_pages == b.free_pages);
	assert_int_equal(pa_check(z, err, sizeof(err)), 0);
	for (unsigned i = 1; i < 64; i += 2)
		if (pfn[i] != PA_NO_PFN)
			assert_int_equal(pa_free_cpu(z, 0, pfn[i], i % 4), 0);
	assert_int_equal(pa_check(z, err, sizeof(err)), 0);
	pa_zone_destroy(z);
}

static void test_command_options(void **state)
{
	char *list_plain[] = { "run", "slab-churn", "--cpus", "2,4", NULL };
	char *bad_list[] = { "run", "slab-churn", "--virtual-time", "--cpus",
			     "2,0", NULL };
	char *bad_warm[] = { "run", "slab-churn", "--virtual-time", "--warmup",
			     "2", NULL };
	char *irq_plain[] = { "run", "slab-churn", "--irq-rate", "100", NULL };
	char *bad_irq[] = { "run", "slab-churn", "--virtual-time", "--irq-rate",
			    "-1", NULL };
	char *irq_measure[] = { "run", "slab-churn", "--virtual-time", "--cpus",
				"1", "--measure", "--irq-rate", "hold", NULL };
	char *ok[] = { "run", "slab-churn", "--virtual-time", "--cpus", "1,3",
		       "--mem", "64M", "--scale", "0.002", "--warmup", "0.1",
		       NULL };
	char *ok_irq[] = { "run", "slab-churn", "--virtual-time", "--cpus", "2",
			   "--mem", "64M", "--scale", "0.002", "--irq-rate",
			   "hold", NULL };
	(void)state;

	assert_int_equal(cmd_run(4, list_plain), 2);
	assert_int_equal(cmd_run(5, bad_list), 2);
	assert_int_equal(cmd_run(5, bad_warm), 2);
	assert_int_equal(cmd_run(11, ok), 0);
	assert_int_equal(cmd_run(4, irq_plain), 2);
	assert_int_equal(cmd_run(5, bad_irq), 2);
	assert_int_equal(cmd_run(8, irq_measure), 2);
	assert_int_equal(cmd_run(11, ok_irq), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deterministic_for_a_seed),
		cmocka_unit_test(test_conservation_as_plain_replay),
		cmocka_unit_test(test_cross_cpu_frees_stay_causal),
		cmocka_unit_test(test_one_cpu_same_decisions),
		cmocka_unit_test(test_irq_forced_fallbacks),
		cmocka_unit_test(test_irq_rate),
		cmocka_unit_test(test_background_step),
		cmocka_unit_test(test_lru_reclaims_in_virtual_time),
		cmocka_unit_test(test_measure_replays_reclaim),
		cmocka_unit_test(test_closed_system_formula),
		cmocka_unit_test(test_lock_handoff),
		cmocka_unit_test(test_pcp_lock_shared_pageset),
		cmocka_unit_test(test_pcp_lock_remote_drains),
		cmocka_unit_test(test_metadata_misses),
		cmocka_unit_test(test_refill_warms_its_blocks),
		cmocka_unit_test(test_refilled_blocks),
		cmocka_unit_test(test_miss_by_distance),
		cmocka_unit_test(test_miss_weights_reprice),
		cmocka_unit_test(test_tlb_share),
		cmocka_unit_test(test_tlb_level),
		cmocka_unit_test(test_walk_hops),
		cmocka_unit_test(test_default_hop_price),
		cmocka_unit_test(test_owner_marks),
		cmocka_unit_test(test_compaction_price),
		cmocka_unit_test(test_merge_price),
		cmocka_unit_test(test_pb_walk_price),
		cmocka_unit_test(test_hist_quantiles),
		cmocka_unit_test(test_costmodel_file),
		cmocka_unit_test(test_calibration_fit),
		cmocka_unit_test(test_calibration_fit_merges),
		cmocka_unit_test(test_stability_rule),
		cmocka_unit_test(test_pin_turn_about),
		cmocka_unit_test(test_prefault_keeps_zone),
		cmocka_unit_test(test_command_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
