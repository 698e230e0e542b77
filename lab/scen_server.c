/* SPDX-License-Identifier: MIT */
/*
 * server: a long-running mixed server with memory kept full - the
 * background load of scen_load.h for two simulated hours, page cache
 * growing until reclaim holds free memory between the watermarks.
 * Requests scale with the machine (so any size fills and turns its memory
 * over about twice) and with --scale.
 */
#include "scen_load.h"

#define SERVER_SECONDS 7200.0
#define SERVER_STEPS_PER_PAGE 0.6
/* at least this many, so a small machine turns its memory over a few
 * times (before --scale) */
#define SERVER_MIN_STEPS 1000000.0

void scen_server(struct scen *sc)
{
	struct load l;
	double want = SERVER_STEPS_PER_PAGE * (double)sc->pages;
	uint64_t steps = scen_count(sc, want > SERVER_MIN_STEPS ? want :
					SERVER_MIN_STEPS);

	load_init(&l, sc, steps, SERVER_SECONDS);
	sc->end_ns = (uint64_t)(SERVER_SECONDS * 1e9);
	for (uint64_t i = 0; i < steps; i++)
		load_step(sc, &l);
	load_finish(sc, &l);
}
