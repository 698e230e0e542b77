/* SPDX-License-Identifier: MIT */
/* Size-class geometry: which zspage shape serves which object size. */
#ifndef ZS_SIZE_CLASS_H
#define ZS_SIZE_CLASS_H

#include <stddef.h>

#include "zsmalloc.h"

/* Nominal class index for an object of `size` bytes, header included. */
static inline unsigned zs_class_index(size_t size)
{
	if (size <= ZS_MIN_ALLOC_SIZE)
		return 0;
	size_t idx = (size - ZS_MIN_ALLOC_SIZE + ZS_SIZE_CLASS_DELTA - 1) /
		     ZS_SIZE_CLASS_DELTA;
	return idx < ZS_SIZE_CLASSES ? (unsigned)idx : ZS_SIZE_CLASSES - 1;
}

/* Pages per zspage for class `size`: the chain length in 1..chain that
 * wastes the smallest share of the zspage. */
unsigned zs_pages_per_zspage(unsigned size, unsigned chain);

/* The user size from which objects land in a huge class, for this table
 * (as zs_huge_class_size()). */
size_t zs_table_huge_size(const struct zs_class_info *table);

#endif
