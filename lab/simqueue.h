/* SPDX-License-Identifier: MIT */
/*
 * simqueue - the simulated machine's requests broadcast in batches to one
 * worker thread per policy.  The policies' zones are independent, so each
 * thread replays the identical sequence on its own zone while the caller
 * goes on parsing: the parse and every policy run at once.
 *
 * One producer (the thread that calls simq_op_slot/simq_flush/simq_stop),
 * any number of workers up to SIMQ_MAX_WORKERS.  A worker sees every batch
 * in order; a batch is reused only when every worker has applied it.
 */
#ifndef PA_LAB_SIMQUEUE_H
#define PA_LAB_SIMQUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

enum simq_kind { SIMQ_ALLOC, SIMQ_FREE, SIMQ_TIME,
		 SIMQ_FREE_BULK, /* consecutive ones of a CPU: one batch */
		 /* the memory model (sim.h): mt is the LRU kind or the slab
		  * cache (| SIMQ_SLAB_SHRINKABLE), order the demand's phase
		  * in mt */
		 SIMQ_LRU_ADD, SIMQ_LRU_TOUCH, SIMQ_LRU_FREE, SIMQ_SLAB_ALLOC,
		 SIMQ_SLAB_FREE, SIMQ_DEMAND, SIMQ_DEMAND_RELEASE,
		 SIMQ_PCP_DECAY /* the kernel's vmstat work on cpu */ };
#define SIMQ_SLAB_SHRINKABLE 0x40
/* In kind: the clock moves to t_ns before this op (a request carries the
 * time that preceded it, so the common case is one op per request). */
#define SIMQ_F_TIME 0x80u

struct simq_op {
	uint64_t arg;      /* block key */
	uint64_t t_ns;     /* with SIMQ_F_TIME: time since the start */
	uint16_t cpu;
	uint8_t kind;      /* enum simq_kind | SIMQ_F_TIME */
	uint8_t order;
	int8_t mt;
};

#define SIMQ_BATCH 4096       /* ops per batch: a few hand-overs per ms */
#define SIMQ_RING 8           /* batches in flight */
#define SIMQ_MAX_WORKERS 8

/* Applies ops[0..n-1] for worker `worker`; runs on that worker's thread. */
typedef void (*simq_apply_fn)(void *arg, unsigned worker,
			      const struct simq_op *ops, unsigned n);

struct simq_batch {
	struct simq_op op[SIMQ_BATCH];
	unsigned n;
	unsigned pending;  /* workers yet to apply it; under lock */
};

struct simq;

/* Start `nworkers` threads (1..SIMQ_MAX_WORKERS).  Returns 0 and *out,
 * or -ENOMEM / -EAGAIN (no thread could be started; nothing to stop). */
int simq_start(struct simq **out, unsigned nworkers, simq_apply_fn apply,
	       void *arg);

/* The slot for the next op, to fill in; a full batch is handed to the
 * workers first (waiting while every batch is still in use). */
struct simq_op *simq_op_slot(struct simq *q);

/* Hand over the partial batch and wait until every worker applied
 * everything: afterwards the workers' state may be read. */
void simq_flush(struct simq *q);

/* Flush, stop and join the workers, free the queue.  NULL is a no-op. */
void simq_stop(struct simq *q);

#endif
