/* SPDX-License-Identifier: MIT */
/*
 * The simulator's movable owner and compaction: every movable block a
 * replay or scenario allocates is registered with a built-in owner, so
 * compaction and contiguous allocation can move it; the owner keeps the
 * pfn map pointing at the block's new place so later trace frees find it.
 * --compact runs a proactive compaction tick once per simulated second
 * and, after every end figure is taken, a full compaction that measures
 * the share of free memory obtainable as pageblock-order blocks, then
 * counts 1 GiB contiguous allocations until one fails (freed again).
 */
#ifndef PA_LAB_SIM_COMPACT_H
#define PA_LAB_SIM_COMPACT_H

#include <stdint.h>

struct sim_policy;

/* Register the owner on the policy's zone.  0 or a negative errno. */
int sim_owner_init(struct sim_policy *p);
void sim_owner_destroy(struct sim_policy *p);
/* A movable block was allocated at pfn for trace key `key`. */
void sim_owner_track(struct sim_policy *p, uint64_t key, uint32_t pfn);
/* The block at pfn is about to be freed. */
void sim_owner_forget(struct sim_policy *p, uint32_t pfn);
struct pa_zone;
/* pa_alloc_contig() of nr movable pages, after reclaiming what the
 * range's contents need to move into (hugetlb's allocations reclaim):
 * the first pfn or PA_NO_PFN. */
uint64_t sim_contig_alloc(struct pa_zone *z, uint64_t nr);
/* One proactive tick (proactiveness 20, the kernel's default). */
void sim_compact_tick(struct sim_policy *p);
/* The end-of-run measurements (thp_allocatable_pct, contig_1g). */
void sim_compact_finish(struct sim_policy *p);

#endif
