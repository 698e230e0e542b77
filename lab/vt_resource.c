/* SPDX-License-Identifier: MIT */
#include "vt_resource.h"

#include <errno.h>
#include <stdlib.h>

int vt_lock_init(struct vt_lock *l, unsigned ncpus, double handoff_ns,
		 double per_waiter_ns)
{
	unsigned cap = 64;

	while (cap < 4 * ncpus + 64)
		cap *= 2;
	*l = (struct vt_lock){ .last_cpu = -1, .handoff_ns = handoff_ns,
			       .per_waiter_ns = per_waiter_ns,
			       .mask = cap - 1 };
	l->rel = calloc(cap, sizeof(*l->rel));
	return l->rel ? 0 : -ENOMEM;
}

void vt_lock_destroy(struct vt_lock *l)
{
	free(l->rel);
	l->rel = NULL;
}

/* Holds granted and not yet released at time t: the CPUs ahead of an
 * arrival at t (the holder and the queue). */
static unsigned queued_at(struct vt_lock *l, double t)
{
	while (l->head != l->tail && l->rel[l->head & l->mask] <= t)
		l->head++;
	return l->tail - l->head;
}

double vt_lock_acquire(struct vt_lock *l, int cpu, double t, double *wait)
{
	unsigned ahead = queued_at(l, t);
	double grant = t > l->free_at ? t : l->free_at;

	*wait = grant - t;
	l->granted_at = grant;
	/* the lines come from the previous holder's cache; every CPU still
	 * spinning on them makes the transfer slower */
	if (l->last_cpu >= 0 && l->last_cpu != cpu)
		grant += l->handoff_ns + l->per_waiter_ns * ahead;
	l->last_cpu = cpu;
	return grant;
}

double vt_lock_release(struct vt_lock *l, double end)
{
	if (l->tail - l->head > l->mask) /* cannot happen: bounded above */
		l->head++;
	l->rel[l->tail++ & l->mask] = end;
	l->free_at = end;
	return end - l->granted_at;
}

double vt_lock_hold(struct vt_lock *l, int cpu, double t, double work,
		    double *wait, double *hold)
{
	double start = vt_lock_acquire(l, cpu, t, wait);

	*hold = vt_lock_release(l, start + work);
	return start + work;
}

double vt_fifo_use(struct vt_fifo *f, double t, double service, double *wait)
{
	double start = t > f->free_at ? t : f->free_at;

	*wait = start - t;
	f->free_at = start + service;
	return f->free_at;
}
