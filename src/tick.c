/* SPDX-License-Identifier: MIT */
/*
 * The zone's background step, pa_zone_tick(): what the kernel's kswapd
 * does when an allocation left the zone below its low watermark (reclaim
 * until free pages reach the high watermark), then the policy's own
 * background work (ops->background: spb's defragmentation worker).
 *
 * The wake-up is a flag the zone sets when it drops zone->lock with free
 * pages below the low watermark (zone_update_fast_flags) and the slow path
 * sets on entry; the tick consumes it.  Like the kernel's kswapd, a run of
 * KSWAPD_MAX_FAILURES wakes that freed nothing stops further wakes until
 * some reclaim frees pages again, so a zone with nothing reclaimable does
 * not scan its shrinkers on every tick.
 */
#include <errno.h>
#include <string.h>

#include "zone.h"

#define KSWAPD_MAX_PASSES 16 /* reclaim passes per wake */

static uint64_t zone_free_now(const struct pa_zone *z)
{
	return STAT_LOAD(z->free_pages);
}

/* Consume the wake-up: true if background reclaim should run now. */
static bool kswapd_woken(struct pa_zone *z)
{
	struct zone_reclaim *r = &z->reclaim;

	if (!__atomic_exchange_n(&r->kswapd_wanted, 0, __ATOMIC_RELAXED))
		return false;
	if (!reclaim_has_shrinkers(z) || zone_free_now(z) >= STAT_LOAD(z->wmark_high))
		return false;
	return __atomic_load_n(&r->kswapd_failures, __ATOMIC_RELAXED) <
	       KSWAPD_MAX_FAILURES;
}

/* Reclaim until free pages reach the high watermark, a pass frees
 * nothing, or KSWAPD_MAX_PASSES passes ran.  Pages freed. */
static uint64_t kswapd_balance(struct pa_zone *z)
{
	struct pa_shrink_control sc = { .order = 0, .migratetype = -1 };
	uint64_t reclaimed = 0;

	for (unsigned i = 0; i < KSWAPD_MAX_PASSES; i++) {
		/* read atomically: memory hotplug moves the watermarks */
		uint64_t free = zone_free_now(z), high = STAT_LOAD(z->wmark_high);

		if (free >= high)
			break;
		uint64_t want = high - free;
		uint64_t got = reclaim_run(z, want < PA_SWAP_CLUSTER_MAX ?
					   PA_SWAP_CLUSTER_MAX : want, &sc,
					   RECLAIM_KSWAPD, true);

		reclaimed += got;
		if (!got)
			break;
	}
	if (!reclaimed)
		__atomic_fetch_add(&z->reclaim.kswapd_failures, 1,
				   __ATOMIC_RELAXED);
	return reclaimed;
}

int pa_zone_tick(struct pa_zone *z, uint64_t now_ns, struct pa_tick_stats *out)
{
	struct pa_tick_stats st;

	memset(&st, 0, sizeof(st));
	if (!z) {
		if (out)
			*out = st;
		return -EINVAL;
	}
	/* another tick runs, or a shrinker of ours called us: nothing */
	if (reclaim_in_pass(z) || pthread_mutex_trylock(&z->reclaim.tick_mutex)) {
		if (out)
			*out = st;
		return 0;
	}
	uint64_t acq = STAT_LOAD(z->lock.acquisitions);

	if (kswapd_woken(z)) {
		st.woken |= PA_TICK_KSWAPD;
		zone_count_shared(z, KSWAPD_WAKE, 1);
		st.reclaimed = kswapd_balance(z);
	}
	if (z->ops->background)
		z->ops->background(z, now_ns, &st);
	st.zone_lock_acquisitions = STAT_LOAD(z->lock.acquisitions) - acq;
	pthread_mutex_unlock(&z->reclaim.tick_mutex);
	if (out)
		*out = st;
	return 0;
}
