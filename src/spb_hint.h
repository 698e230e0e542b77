/* SPDX-License-Identifier: MIT */
/*
 * Pass 1's hint (the series' v2 31): per (order, migratetype), the SPB that
 * served Pass 1 last, so that the next request of that kind goes straight
 * to it instead of picking again.
 *
 * The hint is exact, not a guess: it is valid only while it is what the
 * pick itself would return, so a hinted search and a walk allocate the
 * same blocks.  The pick orders SPBs by a key: category rank (movable:
 * clean, then tainted; non-movable: tainted only), fullness bucket
 * (fullest first), index.  A valid hint h holds this invariant: no SPB
 * other than h that could serve the request has a smaller key.  It is kept
 * by the only two events that can lower an SPB's key or make it able to
 * serve:
 *   - a free list (j, o, mt) becoming non-empty (freearea_inline.h): the
 *     hints of mt at orders <= o are dropped if SPB j's key is smaller;
 *   - SPB j changing category or fullness bucket (superpageblock.c): the
 *     hints j now beats are dropped, and j's own if its key went up (it
 *     emptied or changed category; getting fuller keeps it first).
 * On use the hint is checked against h's own bits (h may have run out of
 * blocks: a stale hint costs that check, then the walk).  Cost when no
 * hint is valid (mainline, pcpbuddy, and spb before the first Pass 1):
 * one load per list that becomes non-empty.
 *
 * Everything under zone->lock.
 */
#ifndef PA_SPB_HINT_H
#define PA_SPB_HINT_H

#include <stdint.h>

struct pa_zone;

/* Hints are kept only on zones whose SPB bitmaps have at least this many
 * words (more than 64 SPBs): below, a pick reads one word per bucket and
 * a hint's upkeep costs more than it saves (docs/PERFORMANCE.md). */
#define SPB_HINT_MIN_WORDS 2

/* The hinted SPB for a Pass 1 request of order/mt (mt < PA_MT_PCPTYPES)
 * if it is valid and can serve it, else UINT64_MAX (pick instead). */
uint64_t spb_hint_get(const struct pa_zone *z, unsigned order, unsigned mt);
/* After a pick: SPB `spb` served order/mt (UINT64_MAX: nothing could). */
void spb_hint_set(struct pa_zone *z, unsigned order, unsigned mt,
		  uint64_t spb);

/* The two events (callers test that some hint of the type is valid). */
void spb_hint_list_filled(struct pa_zone *z, uint64_t spb, unsigned order,
			  unsigned mt);
void spb_hint_spb_changed(struct pa_zone *z, uint64_t spb);

/* Every hint invalid: the SPBs were resized (memory hotplug), which
 * changes keys without the two events. */
void spb_hint_drop_all(struct pa_zone *z);

#endif
