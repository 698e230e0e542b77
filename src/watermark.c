/* SPDX-License-Identifier: MIT */
/*
 * Watermarks and per-CPU pageset sizing, from the kernel's formulas for a
 * zone of this size, so a simulated 5 GiB zone behaves like a real one.
 *
 * min_free_kbytes = sqrt(16 * lowmem KiB) clamped to [128 KiB, 256 MiB].
 * (Kernels with THP raise it to 11 pageblocks per zone; the lab passes the
 * traced machine's own min watermark through pa_config.min_free_kbytes.)
 * low = min + max(min/4, managed * 10/10000); high = min + 2 * that step.
 */
#include <math.h>

#include "watermark.h"
#include "zone.h"

/* Stored atomically: allocations read them without zone->lock, and
 * memory hotplug recomputes them on a live zone. */
static void set_wmarks(struct pa_zone *z, uint64_t min, uint64_t low,
		       uint64_t high)
{
	__atomic_store_n(&z->wmark_min, min, __ATOMIC_RELAXED);
	__atomic_store_n(&z->wmark_low, low, __ATOMIC_RELAXED);
	__atomic_store_n(&z->wmark_high, high, __ATOMIC_RELAXED);
}

void zone_init_watermarks(struct pa_zone *z)
{
	uint64_t page_kb = (1ull << z->page_shift) / 1024;
	uint64_t managed = z->nr_pages;

	if (page_kb == 0)
		page_kb = 1;
	if (z->cfg.flags & PA_CFG_NO_WATERMARKS) {
		set_wmarks(z, 0, 0, 0);
	} else {
		uint64_t kb = z->cfg.min_free_kbytes;

		if (!kb) {
			kb = (uint64_t)sqrt((double)(managed * page_kb) * 16.0);
			if (kb < 128)
				kb = 128;
			if (kb > 262144)
				kb = 262144;
		}
		z->cfg.min_free_kbytes = kb;
		uint64_t min = kb / page_kb;

		if (min > managed / 4)
			min = managed / 4; /* tiny zones stay usable */
		uint64_t step = min / 4;

		if (managed * 10 / 10000 > step)
			step = managed * 10 / 10000;
		set_wmarks(z, min, min + step, min + 2 * step);
	}
	/* highatomic: one pageblock or ~1% of the zone, if that is at least
	 * a pageblock */
	uint64_t pct = managed / 100;

	__atomic_store_n(&z->highatomic_max, pct < pb_nr_pages(z) ? 0 :
			 (pct + pb_nr_pages(z) - 1) & ~(pb_nr_pages(z) - 1),
			 __ATOMIC_RELAXED);
	/* With more free than min + the largest possible reserve (one
	 * reservation may overshoot the cap by a max-order block), the full
	 * check cannot fail: skip it (see zone_watermark_ok). */
	z->wmark_fast_ok = z->wmark_min + z->highatomic_max +
			   (z->highatomic_max ? 1ull << z->max_order : 0);
}

/*
 * The free pages an allocation may not go below.  Atomic allocations may
 * use half of the min reserve and a quarter of the rest (the kernel's
 * ALLOC_MIN_RESERVE | ALLOC_NON_BLOCK); others must also leave the
 * highatomic reserve alone.
 */
bool zone_watermark_ok_slow_(const struct pa_zone *z, unsigned order,
			     unsigned gfp)
{
	if (z->cfg.flags & PA_CFG_NO_WATERMARKS)
		return true;
	int64_t free = (int64_t)STAT_LOAD(z->free_pages);
	int64_t min = (int64_t)STAT_LOAD(z->wmark_min);

	if (gfp & PA_GFP_ATOMIC) {
		min -= min / 2;
		min -= min / 4;
	} else {
		free -= (int64_t)STAT_LOAD(z->nr_reserved_highatomic);
	}
	free -= (1 << order) - 1;
	return free > min;
}

static int rounddown_pow2(int x)
{
	int r = 1;

	while (r * 2 <= x)
		r *= 2;
	return r;
}

/* batch ~ a quarter of a 1 MiB chunk (or managed/1024, if smaller), rounded
 * to 2^n - 1; high_min = low watermark / CPUs; high_max = managed / 8 /
 * CPUs; high never below 4 batches. */
void pcp_default_sizes(const struct pa_zone *z, int *batch, int *high_min,
		       int *high_max)
{
	uint64_t b = z->nr_pages / 1024;
	uint64_t cap = (1024 * 1024) >> z->page_shift;

	if (b > cap)
		b = cap;
	b /= 4;
	if (b < 1)
		b = 1;
	int bb = rounddown_pow2((int)(b + b / 2)) - 1;

	if (bb < 1)
		bb = 1;
	*batch = bb;
	uint64_t cpus = z->ncpus ? z->ncpus : 1;
	uint64_t hmin = z->wmark_low / cpus, hmax = z->nr_pages / 8 / cpus;

	if (z->cfg.flags & PA_CFG_NO_WATERMARKS) {
		/* no low watermark to size from: use what the default
		 * watermarks would have given */
		hmin = z->nr_pages / 160 / cpus;
	}
	if (hmin < (uint64_t)bb * 4)
		hmin = (uint64_t)bb * 4;
	if (hmax < (uint64_t)bb * 4)
		hmax = (uint64_t)bb * 4;
	if (hmin > INT32_MAX / 2)
		hmin = INT32_MAX / 2;
	if (hmax > INT32_MAX / 2)
		hmax = INT32_MAX / 2;
	*high_min = (int)hmin;
	*high_max = (int)hmax;
}
