/* SPDX-License-Identifier: MIT */
/*
 * fragindex.h - the kernel's extfrag and unusable indexes: the layouts of
 * /sys/kernel/debug/extfrag/{extfrag_index,unusable_index}, for report.c,
 * and one order's values under zone->lock, for compaction.c.
 * The values themselves are public: pa_frag_index() in pagealloc.h.
 */
#ifndef PA_FRAGINDEX_H
#define PA_FRAGINDEX_H

#include <stdio.h>

#include "pagealloc.h"

/* One order's indexes x1000 from the free lists, as pa_frag_index()
 * computes them (extfrag: -1000 when a block of the order is free, 0 when
 * nothing is; unusable: 0..1000), for callers that hold zone->lock
 * (compaction's "can compaction help?" decision).  O(max_order). */
int fragindex_extfrag_locked(struct pa_zone *z, unsigned order);
int fragindex_unusable_locked(struct pa_zone *z, unsigned order);

/* pa_report()'s rows of these (and buddyinfo's counts, which the
 * indexes derive from), for report.c. */
void fragindex_report_buddyinfo(struct pa_zone *z, FILE *f);
void fragindex_report_extfrag(struct pa_zone *z, FILE *f);
void fragindex_report_unusable(struct pa_zone *z, FILE *f);

#endif
