// SPDX-License-Identifier: MIT
/*
 * The size-class table.  A class is defined by its object size; its zspage
 * length is chosen to waste the least of the zspage, measured in whole
 * percent as the kernel does (the rounding matters: it decides which
 * classes end up with identical shapes and so merge, and the kernel's class
 * counts - 123 with chain 8, 69 with chain 4 - follow from it).
 */
#include <errno.h>

#include "zsmalloc/size_class.h"

unsigned zs_pages_per_zspage(unsigned size, unsigned chain)
{
	unsigned best_pct = 0, best = 1;

	for (unsigned n = 1; n <= chain; n++) {
		unsigned span = n * ZS_PAGE_SIZE;
		unsigned used_pct = (span - span % size) * 100 / span;

		/* Strictly better only: ties keep the shorter chain, which
		 * costs fewer pages per zspage allocation. */
		if (used_pct > best_pct) {
			best_pct = used_pct;
			best = n;
		}
	}
	return best;
}

int zs_class_table(unsigned chain, struct zs_class_info *out)
{
	if (chain < ZS_CHAIN_MIN || chain > ZS_CHAIN_MAX || !out)
		return -EINVAL;

	int distinct = 0;
	/* From the largest class down, so a run of same-shaped classes is
	 * served by its largest member (which fits every smaller size). */
	for (int i = (int)ZS_SIZE_CLASSES - 1; i >= 0; i--) {
		unsigned size = ZS_MIN_ALLOC_SIZE + (unsigned)i * ZS_SIZE_CLASS_DELTA;
		if (size > ZS_MAX_ALLOC_SIZE)
			size = ZS_MAX_ALLOC_SIZE;
		unsigned ppz = zs_pages_per_zspage(size, chain);
		unsigned objs = ppz * ZS_PAGE_SIZE / size;
		struct zs_class_info *c = &out[i];

		if (i + 1 < (int)ZS_SIZE_CLASSES) {
			const struct zs_class_info *up = &out[i + 1];
			if (up->pages_per_zspage == ppz &&
			    up->objs_per_zspage == objs) {
				*c = *up;
				continue;
			}
		}
		c->size = size;
		c->pages_per_zspage = ppz;
		c->objs_per_zspage = objs;
		c->huge = ppz == 1 && objs == 1;
		c->index = (unsigned)i;
		distinct++;
	}
	return distinct;
}

size_t zs_table_huge_size(const struct zs_class_info *table)
{
	/* The largest non-huge class bounds what still gets a header; one
	 * byte more than fits there (header included) goes huge. */
	for (int i = (int)ZS_SIZE_CLASSES - 1; i >= 0; i--) {
		if (!table[i].huge)
			return table[i].size - ZS_HANDLE_SIZE + 1;
	}
	return ZS_MIN_ALLOC_SIZE;
}
