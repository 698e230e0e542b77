/* SPDX-License-Identifier: MIT */
/*
 * hugepage-demand, in the spirit of mmtests' thpchallenge and the older
 * stress-highalloc: the server's background load fills the machine, then
 * goes on while a demand for 2 MiB blocks (one every DEMAND_EVERY
 * requests, held up to a fifth of memory) and for 1 GiB ranges
 * (pa_alloc_contig, evenly spread) arrives at a fixed rate; then the
 * services stop and the same demand comes at rest.  Each policy counts
 * its successes per phase (thp_success_pct, contig_1g_success).
 */
#include "scen_load.h"

#define FILL_SECONDS 1200.0
#define FILL_STEPS_PER_PAGE 0.4
#define LOAD_STEPS_PER_PAGE 0.1
#define DEMAND_EVERY 64          /* load requests per 2 MiB demand */
#define DEMAND_HELD_PCT 20       /* of memory the 2 MiB demand keeps */
#define REST_HELD_PCT 50         /* ... and at rest */
#define REST_WAIT_NS 30000000000ull /* the machine settles after the load */
#define REST_STEP_NS 1000000ull  /* between demands at rest */

struct demand {
	struct objs thp;
	uint64_t held_max;
	unsigned thp_order, big_order;
};

static void demand_thp(struct scen *sc, struct demand *d, unsigned phase)
{
	unsigned cpu = (unsigned)scen_below(sc, sc->p->ncpus);
	uint64_t key = scen_key(sc, d->thp_order), k;
	unsigned o, c;

	sim_demand(sc->sim, cpu, key, d->thp_order, phase);
	objs_push(&d->thp, key, d->thp_order, cpu);
	while (d->thp.pages > d->held_max) {
		objs_take(&d->thp, scen_below(sc, d->thp.n), &k, &o, &c);
		scen_free(sc, c, k, o); /* a no-op where it failed: counted */
	}
}

static void demand_release(struct scen *sc, struct demand *d)
{
	uint64_t k;
	unsigned o, c;

	while (d->thp.n) {
		objs_take(&d->thp, d->thp.n - 1, &k, &o, &c);
		scen_free(sc, c, k, o);
	}
	sim_demand_release(sc->sim);
}

/* The demand during the load: 2 MiB every DEMAND_EVERY requests, 1 GiB
 * every `every_1g`. */
static void under_load(struct scen *sc, struct load *l, struct demand *d,
		       uint64_t steps, uint64_t n1g)
{
	uint64_t every_1g = steps / (n1g + 1) + 1;

	d->held_max = sc->pages * DEMAND_HELD_PCT / 100;
	for (uint64_t i = 1; i <= steps; i++) {
		load_step(sc, l);
		if (i % DEMAND_EVERY == 0)
			demand_thp(sc, d, 0);
		if (i % every_1g == 0)
			sim_demand(sc->sim, 0, 0, d->big_order, 0);
	}
	demand_release(sc, d);
}

static void at_rest(struct scen *sc, struct demand *d, uint64_t nthp,
		    uint64_t n1g)
{
	d->held_max = sc->pages * REST_HELD_PCT / 100;
	if (nthp > d->held_max >> d->thp_order)
		nthp = d->held_max >> d->thp_order;
	for (uint64_t i = 0; i < nthp; i++) {
		demand_thp(sc, d, 1);
		scen_wait(sc, REST_STEP_NS);
	}
	demand_release(sc, d);
	for (uint64_t i = 0; i < n1g; i++) {
		sim_demand(sc->sim, 0, 0, d->big_order, 1);
		scen_wait(sc, REST_STEP_NS);
	}
	sim_demand_release(sc->sim);
}

void scen_hugepage_demand(struct scen *sc)
{
	uint64_t fill = scen_count(sc, FILL_STEPS_PER_PAGE * (double)sc->pages);
	uint64_t steps = scen_count(sc, LOAD_STEPS_PER_PAGE * (double)sc->pages);
	struct demand d = { .thp_order = 9 };
	struct pa_config zc;
	struct load l;
	uint64_t n1g;

	pa_zone_config(sc->sim->pol[0].zone, &zc);
	d.thp_order = zc.pageblock_order;
	d.big_order = 30 - zc.page_shift;
	/* a sixteenth of the machine's 1 GiB ranges, at least one */
	n1g = (sc->pages >> d.big_order) / 16 + 1;
	load_init(&l, sc, fill + steps, FILL_SECONDS);
	sc->end_ns = (uint64_t)(FILL_SECONDS * 1e9) + REST_WAIT_NS;
	for (uint64_t i = 0; i < fill; i++)
		load_step(sc, &l);
	under_load(sc, &l, &d, steps, n1g);
	load_quiesce(sc, &l);
	scen_wait(sc, REST_WAIT_NS);
	at_rest(sc, &d, steps / DEMAND_EVERY, n1g);
	load_finish(sc, &l);
	objs_release(&d.thp);
}
