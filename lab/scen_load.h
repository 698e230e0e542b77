/* SPDX-License-Identifier: MIT */
/*
 * scen_load - the background load of a full server, shared by the
 * `server` and `hugepage-demand` scenarios: page cache read in (and
 * re-read) until reclaim keeps memory full, anonymous memory of services
 * with its page tables, short-lived network buffers, long-lived slab
 * objects of which a share is shrinkable, and bursts of THP-size movable
 * allocations.  The mix, orders and lifetimes are the ones measured with
 * `pagealloc mix` (docs/SCENARIOS.md).  One request per step, each
 * followed by the step's share of simulated time.
 */
#ifndef PA_LAB_SCEN_LOAD_H
#define PA_LAB_SCEN_LOAD_H

#include <stdint.h>

#include "objs.h"
#include "scenario.h"

struct load {
	uint64_t dt_ns;          /* simulated time per step */
	uint64_t anon_target;    /* anonymous pages the services keep */
	uint64_t slab_target;    /* slab objects kept */
	uint64_t file_keys_max;  /* files the workload remembers (the rest
	                          * are deleted: freed, or no-ops if reclaimed) */
	uint64_t net_max;        /* live network buffers (their lifetime) */
	uint64_t thp_max;        /* pages in live THP bursts */
	uint64_t steps, done;
	struct objs file, anon, pt, net, slab, thp;
};

/* Size the load for the machine: `seconds` of simulated time in `steps`
 * requests. */
void load_init(struct load *l, const struct scen *sc, uint64_t steps,
	       double seconds);
/* One request and its time. */
void load_step(struct scen *sc, struct load *l);
/* The services stop: anonymous memory, page tables, network buffers and
 * THPs are freed; page cache and slab stay. */
void load_quiesce(struct scen *sc, struct load *l);
/* Release the bookkeeping; what the load holds stays allocated (the end
 * figures are a full machine's). */
void load_finish(struct scen *sc, struct load *l);

#endif
