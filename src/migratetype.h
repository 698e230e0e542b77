/* SPDX-License-Identifier: MIT */
/*
 * Migratetypes: which a request gets, which may merge, and who may take
 * from whom when a type runs out (one table for the zone's fallback and
 * pcpbuddy's whole-pageblock claim alike).
 */
#ifndef PA_MIGRATETYPE_H
#define PA_MIGRATETYPE_H

#include <stdbool.h>

#include "pagealloc.h"

/* Movable wins over reclaimable: one table load, no branch (every
 * allocation asks). */
static inline unsigned gfp_migratetype(unsigned gfp)
{
	static const unsigned char mt[4] = {
		[0] = PA_MT_UNMOVABLE,
		[PA_GFP_MOVABLE] = PA_MT_MOVABLE,
		[PA_GFP_RECLAIMABLE] = PA_MT_RECLAIMABLE,
		[PA_GFP_MOVABLE | PA_GFP_RECLAIMABLE] = PA_MT_MOVABLE,
	};
	_Static_assert((PA_GFP_MOVABLE | PA_GFP_RECLAIMABLE) == 3,
		       "the table is indexed by the two type bits");

	return mt[gfp & 3];
}

/* Ordinary types merge across pageblocks; highatomic and isolated do not. */
static inline bool mt_mergeable(unsigned mt)
{
	return mt < PA_MT_PCPTYPES;
}

#define PA_MT_NR_FALLBACKS 2

/* The i-th type an ordinary type `mt` falls back to, in order. */
static inline unsigned mt_fallback(unsigned mt, unsigned i)
{
	static const unsigned char order[PA_MT_PCPTYPES][PA_MT_NR_FALLBACKS] = {
		[PA_MT_UNMOVABLE] = { PA_MT_RECLAIMABLE, PA_MT_MOVABLE },
		[PA_MT_MOVABLE] = { PA_MT_RECLAIMABLE, PA_MT_UNMOVABLE },
		[PA_MT_RECLAIMABLE] = { PA_MT_UNMOVABLE, PA_MT_MOVABLE },
	};
	return order[mt][i];
}

#endif
