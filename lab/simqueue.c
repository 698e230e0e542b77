/* SPDX-License-Identifier: MIT */
/*
 * The batch ring.  Batches are large, so hand-overs are rare and a mutex
 * with two condition variables is all the synchronisation needed: it also
 * orders a batch's contents before its publication for every worker.
 */
#include "simqueue.h"

#include <errno.h>
#include <stdlib.h>

struct simq_worker {
	struct simq *q;
	unsigned index;
	pthread_t thread;
};

struct simq {
	struct simq_batch ring[SIMQ_RING];
	uint64_t published;        /* batches handed over; under lock */
	unsigned filling;          /* ops in the batch being filled */
	bool stop;                 /* under lock */
	pthread_mutex_t lock;
	pthread_cond_t more;       /* a batch was published, or stop */
	pthread_cond_t room;       /* a batch was applied by every worker */
	simq_apply_fn apply;
	void *arg;
	unsigned nworkers;
	struct simq_worker w[SIMQ_MAX_WORKERS];
};

static void *worker_main(void *arg)
{
	struct simq_worker *w = arg;
	struct simq *q = w->q;
	uint64_t next = 0;

	for (;;) {
		struct simq_batch *b;

		pthread_mutex_lock(&q->lock);
		while (next == q->published && !q->stop)
			pthread_cond_wait(&q->more, &q->lock);
		if (next == q->published) {
			pthread_mutex_unlock(&q->lock);
			return NULL;
		}
		pthread_mutex_unlock(&q->lock);
		b = &q->ring[next % SIMQ_RING];
		q->apply(q->arg, w->index, b->op, b->n);
		pthread_mutex_lock(&q->lock);
		if (--b->pending == 0)
			pthread_cond_broadcast(&q->room);
		pthread_mutex_unlock(&q->lock);
		next++;
	}
}

int simq_start(struct simq **out, unsigned nworkers, simq_apply_fn apply,
	       void *arg)
{
	struct simq *q;

	*out = NULL;
	if (!nworkers || nworkers > SIMQ_MAX_WORKERS)
		return -EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->more, NULL);
	pthread_cond_init(&q->room, NULL);
	q->apply = apply;
	q->arg = arg;
	for (unsigned i = 0; i < nworkers; i++) {
		q->w[i] = (struct simq_worker){ q, i, 0 };
		if (pthread_create(&q->w[i].thread, NULL, worker_main, &q->w[i])) {
			q->nworkers = i;
			simq_stop(q);
			return -EAGAIN;
		}
		q->nworkers = i + 1;
	}
	*out = q;
	return 0;
}

static struct simq_batch *filling_batch(struct simq *q)
{
	/* the producer alone writes published, so reading it is safe */
	return &q->ring[q->published % SIMQ_RING];
}

/* Hand the batch being filled to the workers and wait until the next one
 * is free to fill. */
static void publish(struct simq *q)
{
	struct simq_batch *b = filling_batch(q);

	pthread_mutex_lock(&q->lock);
	b->n = q->filling;
	b->pending = q->nworkers;
	q->published++;
	pthread_cond_broadcast(&q->more);
	b = filling_batch(q);
	while (b->pending)
		pthread_cond_wait(&q->room, &q->lock);
	pthread_mutex_unlock(&q->lock);
	q->filling = 0;
}

struct simq_op *simq_op_slot(struct simq *q)
{
	if (q->filling == SIMQ_BATCH)
		publish(q);
	return &filling_batch(q)->op[q->filling++];
}

void simq_flush(struct simq *q)
{
	if (q->filling)
		publish(q);
	pthread_mutex_lock(&q->lock);
	for (unsigned i = 0; i < SIMQ_RING; i++)
		while (q->ring[i].pending)
			pthread_cond_wait(&q->room, &q->lock);
	pthread_mutex_unlock(&q->lock);
}

void simq_stop(struct simq *q)
{
	if (!q)
		return;
	simq_flush(q);
	pthread_mutex_lock(&q->lock);
	q->stop = true;
	pthread_cond_broadcast(&q->more);
	pthread_mutex_unlock(&q->lock);
	for (unsigned i = 0; i < q->nworkers; i++)
		pthread_join(q->w[i].thread, NULL);
	pthread_cond_destroy(&q->room);
	pthread_cond_destroy(&q->more);
	pthread_mutex_destroy(&q->lock);
	free(q);
}
