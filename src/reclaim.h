/* SPDX-License-Identifier: MIT */
/*
 * Reclaim: the zone's table of shrinkers and the pass that asks them for
 * memory back (direct reclaim from the allocation slow path, background
 * reclaim from pa_zone_tick, pa_reclaim on request).
 *
 * Why a per-zone mutex and not RCU: a pass is rare (the slow path, a
 * tick) and calls the owners' callbacks, which may sleep; holding one
 * mutex across the pass gives both "one pass at a time per zone" and
 * "unregister waits for a pass using the shrinker" with no grace period
 * and no requirement on the caller's threads (liburcu would need every
 * thread that reclaims to be registered with it).
 *
 * Recursion: the thread running a pass is recorded in the zone (its
 * kernel thread id), so an allocation a shrinker makes, which may fail and
 * enter the slow path, sees that it is inside reclaim and does not reclaim
 * again (the kernel's PF_MEMALLOC), without any global or thread-local
 * state.
 */
#ifndef PA_RECLAIM_H
#define PA_RECLAIM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "pagealloc.h"

#define PA_MAX_SHRINKERS 16   /* per zone: ids 1..16 */
#define PA_SHRINK_BATCH 128   /* objects per scan call (the kernel's
                               * SHRINK_BATCH) */
#define PA_SWAP_CLUSTER_MAX 32 /* pages direct reclaim asks for at least */
#define RECLAIM_MAX_ROUNDS 8  /* count-and-scan rounds per pass */

struct pa_zone;

struct shrinker_slot {
	pa_shrink_count_fn count;   /* NULL: slot free */
	pa_shrink_scan_fn scan;
	void *arg;
};

struct zone_reclaim {
	/* one pass at a time; the table changes under it too, so
	 * unregister returns only when no pass is using the slot */
	pthread_mutex_t mutex;
	pid_t owner;                /* atomic: thread running a pass, or 0 */
	unsigned nr_shrinkers;      /* atomic: registered now */
	struct shrinker_slot slots[PA_MAX_SHRINKERS];
	/* background reclaim */
	pthread_mutex_t tick_mutex; /* one pa_zone_tick at a time (trylock) */
	unsigned kswapd_wanted;     /* atomic: free fell below low */
	unsigned kswapd_failures;   /* atomic: wakes that freed nothing in a
	                             * row; at KSWAPD_MAX_FAILURES wakes are
	                             * ignored until some reclaim frees pages */
};

#define KSWAPD_MAX_FAILURES 16   /* the kernel's MAX_RECLAIM_RETRIES */

enum reclaim_kind { RECLAIM_DIRECT, RECLAIM_KSWAPD };

/* Set up and tear down the zone's reclaim state; 0 or -ENOMEM. */
int reclaim_init(struct pa_zone *z);
void reclaim_destroy(struct pa_zone *z);

/* Whether any shrinker is registered (a racy hint: skip a pass that
 * could not free anything). */
bool reclaim_has_shrinkers(const struct pa_zone *z);

/* Whether the calling thread is inside a reclaim pass of this zone. */
bool reclaim_in_pass(const struct pa_zone *z);

/*
 * One reclaim pass asking the shrinkers for about nr_pages pages with
 * `sc` as the request (order, migratetype, pfn range; nr_to_scan
 * ignored).  `wait`: wait for a pass running in another thread, else give
 * up at once (an allocating thread may hold locks that thread's shrinkers
 * need).  Returns pages freed; 0 inside a pass of this zone (no
 * recursion).  Counted by kind in pgscan_*, pgsteal_*, slabs_scanned.
 */
uint64_t reclaim_run(struct pa_zone *z, uint64_t nr_pages,
		     const struct pa_shrink_control *sc, enum reclaim_kind kind,
		     bool wait);

/* Ask for background reclaim (the kernel's wakeup_kswapd); cheap when
 * already asked.  Any context. */
static inline void reclaim_wake_kswapd(struct zone_reclaim *r)
{
	if (!__atomic_load_n(&r->kswapd_wanted, __ATOMIC_RELAXED))
		__atomic_store_n(&r->kswapd_wanted, 1, __ATOMIC_RELAXED);
}

#endif
