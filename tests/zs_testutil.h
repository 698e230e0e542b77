/* SPDX-License-Identifier: MIT */
/* Helpers shared by the zsmalloc and zstore tests (header only). */
#ifndef ZS_TESTUTIL_H
#define ZS_TESTUTIL_H

#include <stdint.h>
#include <string.h>

#include "pagealloc.h"
#include "zsmalloc.h"

/* A backed zone of `mib` MiB with every page usable. */
static inline struct pa_zone *zt_zone(unsigned mib, unsigned ncpus)
{
	struct pa_config cfg = pa_config_default();

	cfg.bytes = (uint64_t)mib << 20;
	cfg.backing = PA_BACKING_ANON;
	cfg.ncpus = ncpus;
	cfg.flags = PA_CFG_NO_WATERMARKS;
	return pa_zone_create(&cfg);
}

/* Deterministic contents for an object: a function of (key, offset), so a
 * moved or mixed-up object is caught. */
static inline void zt_fill(void *buf, size_t len, uint64_t key)
{
	uint8_t *p = buf;
	uint64_t x = key * 0x9e3779b97f4a7c15ull + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)x;
	}
}

/* 0 if buf holds zt_fill(key) contents, else 1 + the first bad offset. */
static inline size_t zt_verify(const void *buf, size_t len, uint64_t key)
{
	uint8_t want[ZS_MAX_ALLOC_SIZE];
	size_t n = len < sizeof(want) ? len : sizeof(want);

	zt_fill(want, n, key);
	for (size_t i = 0; i < n; i++)
		if (((const uint8_t *)buf)[i] != want[i])
			return i + 1;
	return 0;
}

/* Read an object through the public read section and check it. */
static inline size_t zt_check_object(struct zs_pool *pool, unsigned long h,
				     size_t len, uint64_t key)
{
	uint8_t copy[ZS_MAX_ALLOC_SIZE];
	const void *p = zs_obj_read_begin(pool, h, len, copy);

	if (!p)
		return (size_t)-1;
	size_t bad = zt_verify(p, len, key);
	zs_obj_read_end(pool, h, p);
	return bad;
}

#endif
