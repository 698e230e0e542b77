/* SPDX-License-Identifier: MIT */
/*
 * The spb policy's first choice for a contiguous allocation (policy op
 * contig_take, the series' v2 17): a naturally aligned range found in the
 * superpageblock summaries instead of by scanning memory, taken without
 * migrating anything.
 *
 *  - 2^order >= one SPB: a run of 2^(order - spb_order) aligned SPBs, each
 *    whole (not the zone's partial last one), clean and entirely free (no
 *    highatomic or isolated pageblock), found by AND + scan over the
 *    clean and empty bitmaps: nr_spb / 64 words.
 *  - max_order < 2^order < one SPB: an aligned run of entirely free
 *    pageblocks inside one SPB: tainted SPBs first (the range cannot move
 *    while it is held, so it belongs with the memory that cannot either),
 *    emptied ones next, then clean ones, fullest first in each, so that empty SPBs stay whole for
 *    requests of a whole SPB; at most SPB_CONTIG_SCAN_SPBS SPBs' pageblocks
 *    are read.  A non-movable request under the no-fragmentation rule
 *    looks in tainted and emptied SPBs only: taking pageblocks of a clean
 *    SPB for it would taint that SPB.
 *  - smaller requests: PA_NIL (a free block of the order comes off the
 *    ordinary lists, steered by the passes).
 *
 * contig_region (spb_contig_region): for a non-movable request smaller
 * than an SPB, the tainted and emptied SPBs, lowest first, are where contig.c isolates
 * and migrates a candidate empty before it drops the rule: evacuating
 * movable pages out of an SPB that is tainted already costs no clean one.
 *
 * On PA_NIL the caller falls back to the classic walk of candidates with
 * isolation and migration (contig.c).  The SPBs a range covers whole are
 * marked (spb_set_contig) by the caller once it took them, which keeps
 * them out of every pick until pa_free_contig.  Under zone->lock.
 */
#ifndef PA_SPB_CONTIG_H
#define PA_SPB_CONTIG_H

#include <stdint.h>

struct pa_zone;

/* SPBs whose pageblocks one sub-SPB request reads, at most. */
#define SPB_CONTIG_SCAN_SPBS 64

/* policy op contig_take: the range's first pfn, its free blocks off the
 * lists with no page state (the caller marks the pieces), or PA_NIL. */
uint32_t spb_contig_take(struct pa_zone *z, unsigned order, unsigned mt,
			 unsigned gfp);
/* policy op contig_region: for a non-movable mt and 2^order below one
 * SPB, the first tainted or emptied SPB (not handed out whole) at or after pfn
 * `from`: its part from `from` returned, its end in *end; PA_NO_PFN when
 * none is left, or for a movable mt or an order of whole SPBs (a tainted
 * SPB holds memory that will not move). */
uint64_t spb_contig_region(struct pa_zone *z, unsigned order, unsigned mt,
			   uint64_t from, uint64_t *end);

#endif
