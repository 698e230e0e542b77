/* SPDX-License-Identifier: MIT */
/*
 * config.h - small zone configurations for tests.  Plain C (no cmocka),
 * so the fuzz target builds its zones the same way.
 */
#ifndef PA_TEST_CONFIG_H
#define PA_TEST_CONFIG_H

#include <stdint.h>

#include "pagealloc.h"

/* Pageblocks per superpageblock in th_config() zones: several, so a
 * superpageblock policy has something to group even on a tiny zone. */
#define TH_SPB_PAGEBLOCKS 4u

/*
 * A small zone: `pageblocks` pageblocks of 2^pageblock_order pages of
 * 4 KiB, metadata only, one CPU unless ncpus says otherwise, the given
 * PA_CFG_* flags, the default policy, superpageblocks of
 * TH_SPB_PAGEBLOCKS pageblocks (at least one max_order block).
 */
struct pa_config th_config(uint64_t pageblocks, unsigned pageblock_order,
			   unsigned max_order, unsigned flags, unsigned ncpus);
/* Superpageblocks of `pageblocks` pageblocks (rounded up to a power of
 * two), at least one max_order block.  Reads cfg's pageblock_order and
 * max_order: set them first (pa_config_default() does). */
void th_config_spb(struct pa_config *cfg, unsigned pageblocks);

#endif
