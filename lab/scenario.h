/* SPDX-License-Identifier: MIT */
/*
 * scenario - built-in synthetic workloads for `pagealloc run`, modelled on
 * the situations the seeds describe.  Deterministic: the same name, size,
 * CPU count and seed give the same request sequence.
 */
#ifndef PA_LAB_SCENARIO_H
#define PA_LAB_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

#include "progress.h"
#include "sim.h"

struct scenario_params {
	uint64_t bytes;    /* machine size */
	unsigned ncpus;
	uint64_t seed;
	double scale;      /* request count multiplier (1 = default) */
	bool progress;     /* a progress line on stderr (if a terminal) */
};

/* A generator's running state: the simulation it feeds, its random
 * stream, its clock and key counter. */
struct scen {
	struct sim *sim;
	const struct scenario_params *p;
	uint64_t rng;
	uint64_t next_key;
	uint64_t t_ns;
	uint64_t pages;    /* machine pages */
	uint64_t end_ns;   /* 0, or the simulated time the generator expects
	                    * to reach (for the progress bar) */
	uint64_t waits;
	struct progress prog;
};

struct scenario {
	const char *name;
	const char *summary;      /* one line for --list */
	uint64_t default_bytes;
	unsigned default_cpus;
	void (*run)(struct scen *sc);
	bool full_machine;        /* keeps memory full: the end figures
	                           * include compaction and 1 GiB ranges
	                           * (sim_config.measure_contig) */
};

/* The table of scenarios (constant), and its length. */
const struct scenario *scenario_table(unsigned *n);
/* Look a scenario up by name; NULL if none. */
const struct scenario *scenario_find(const char *name);

/*
 * Run `sc` on an initialised simulation (its size and CPUs as in `p`) and
 * finish it (sim_finish).  Cannot fail: requests the model cannot serve are
 * counted as failures in the simulation.
 */
void scenario_run(const struct scenario *sc, struct sim *s,
		  const struct scenario_params *p);

/* Helpers for the generators (scenarios.c). */
uint64_t scen_rand(struct scen *sc);             /* 64 random bits */
uint64_t scen_below(struct scen *sc, uint64_t n); /* uniform 0..n-1 */
/* A fresh key for a block of 2^order pages. */
uint64_t scen_key(struct scen *sc, unsigned order);
/* A new LRU folio or slab object on cpu (sim.h); returns its key, for
 * sim_lru_touch/sim_lru_free or sim_slab_free. */
uint64_t scen_lru_add(struct scen *sc, unsigned cpu, unsigned order,
		      enum lru_kind kind);
uint64_t scen_slab_alloc(struct scen *sc, unsigned cpu, enum slab_cache_id id,
			 bool shrinkable);
/* Allocate on cpu; returns the key to free it with. */
uint64_t scen_alloc(struct scen *sc, unsigned cpu, unsigned order, int mt);
void scen_free(struct scen *sc, unsigned cpu, uint64_t key, unsigned order);
/* Let dt_ns of simulated time pass. */
void scen_wait(struct scen *sc, uint64_t dt_ns);
/* Requests to issue, scaled: n * p->scale, at least 1. */
uint64_t scen_count(const struct scen *sc, double n);

/* The generators (scenarios.c). */
void scen_jemalloc_purge(struct scen *sc);
void scen_exit_avalanche(struct scen *sc);
void scen_kernel_build(struct scen *sc);
void scen_build_server(struct scen *sc);
void scen_slab_churn(struct scen *sc);
void scen_hugepage_demand(struct scen *sc);
void scen_server(struct scen *sc);
void scen_page_fault1(struct scen *sc);

#endif
