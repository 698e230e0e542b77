/* SPDX-License-Identifier: MIT */
/*
 * vt_resource - the queueing resources of the virtual-time model.  Requests
 * must arrive in nondecreasing time (the engine's event order), and are
 * served first come, first served.
 *
 * vt_lock is zone->lock, and each pageset's pcp->lock: a spinning lock
 * whose holder pays a hand-off (the lock's and the protected data's cache
 * lines moving from the previous holder's CPU) that grows with the CPUs
 * queued on it when the hand-off happens, because every spinner shares
 * those lines.  vt_fifo is a plain single server (a
 * remote-free list's head: one contended atomic per use).
 */
#ifndef PA_LAB_VT_RESOURCE_H
#define PA_LAB_VT_RESOURCE_H

struct vt_lock {
	double free_at;        /* when the last granted hold ends */
	double granted_at;     /* the hold in progress (acquire..release) */
	int last_cpu;          /* its holder; -1: nobody yet */
	double handoff_ns, per_waiter_ns;
	double *rel;           /* release times of holds not yet over, FIFO */
	unsigned head, tail, mask;
};

/* Returns 0 or -ENOMEM.  ncpus bounds the queue (one hold per CPU, plus
 * the tick's).  The first holder pays no hand-off; set last_cpu after
 * init to say whose cache the lock starts in (a pageset's: its CPU's). */
int vt_lock_init(struct vt_lock *l, unsigned ncpus, double handoff_ns,
		 double per_waiter_ns);
void vt_lock_destroy(struct vt_lock *l);

/*
 * `cpu` (-1: the per-second tick, nobody's) asks at time t for a hold
 * doing `work` ns.  Returns the release time; *wait is the time spun
 * before the grant, *hold the time held (work plus any hand-off).
 */
double vt_lock_hold(struct vt_lock *l, int cpu, double t, double work,
		    double *wait, double *hold);

/*
 * The same in two halves, for a hold whose length is known only once it
 * ends (a pcp->lock held across the zone->lock holds inside it):
 * vt_lock_acquire() returns when the holder's own work may start (the
 * grant plus any hand-off), *wait the time spun; vt_lock_release() ends
 * that hold at `end` (>= the start returned) and returns the time held.
 * Exactly one release per acquire, before the next acquire of that lock.
 */
double vt_lock_acquire(struct vt_lock *l, int cpu, double t, double *wait);
double vt_lock_release(struct vt_lock *l, double end);

struct vt_fifo {
	double free_at;
};

/* Use the server at t for `service` ns; returns the end, *wait set. */
double vt_fifo_use(struct vt_fifo *f, double t, double service,
		   double *wait);

#endif
