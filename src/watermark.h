/* SPDX-License-Identifier: MIT */
/*
 * Watermarks (watermark.c): the min/low/high free-page levels, the checks
 * allocations make against them, and the default pageset sizes derived
 * from the zone's size.  The checks read z->fast_flags (atomic) and may be
 * called without any lock.
 */
#ifndef PA_WATERMARK_H
#define PA_WATERMARK_H

#include <stdbool.h>

#include "zone.h"

/* At zone creation: min/low/high and the highatomic allowance from the
 * zone's size and cfg (watermark.c says how). */
void zone_init_watermarks(struct pa_zone *z);
/* The full check: would an allocation of order with gfp leave the zone
 * above its reserves?  Reads free_pages racily. */
bool zone_watermark_ok_slow_(const struct pa_zone *z, unsigned order,
			     unsigned gfp);
/* Free pages are near the watermarks: an allocation needs the full
 * check (zone_watermark_ok's fast test is this flag and the order). */
static inline bool zone_watermark_check(const struct pa_zone *z)
{
	return __atomic_load_n(&z->fast_flags, __ATOMIC_RELAXED) & ZF_WMARK_CHECK;
}

/* Inline for the common case: plenty free, nothing reserved. */
static inline bool zone_watermark_ok(const struct pa_zone *z, unsigned order,
				     unsigned gfp)
{
	if (__builtin_expect(!zone_watermark_check(z) && order <= z->max_order, 1))
		return true;
	return zone_watermark_ok_slow_(z, order, gfp);
}

/* Free pages are below the high watermark (pageset high tuning). */
static inline bool zone_below_high(const struct pa_zone *z)
{
	return __atomic_load_n(&z->fast_flags, __ATOMIC_RELAXED) & ZF_BELOW_HIGH;
}

/* Background reclaim's time (the kernel's ZONE_RECLAIM_ACTIVE): free
 * pages fell below the low watermark and are not back at the high. */
static inline bool zone_reclaim_active(const struct pa_zone *z)
{
	return __atomic_load_n(&z->fast_flags, __ATOMIC_RELAXED) &
	       ZF_RECLAIM_ACTIVE;
}

/* The default pageset batch and high bounds for this zone's size and CPU
 * count. */
void pcp_default_sizes(const struct pa_zone *z, int *batch, int *high_min,
		       int *high_max);

#endif
