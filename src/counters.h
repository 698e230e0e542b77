/* SPDX-License-Identifier: MIT */
/*
 * Event counters, each defined once here.  Three arrays, by who writes
 * them: zone_counter under zone->lock, shared_counter from any context
 * (atomic adds, their own cache line), pcp_counter under a pageset's lock
 * (or atomically for the trylock failures, which happen without it).
 * Each entry names the pa_stats fields it feeds: pa_stats(), vmstat and
 * pa_stats_reset() walk these tables, so adding a counter is one line.
 *
 *   X(ID, first pa_stats field, second field or `none`)
 */
#ifndef PA_COUNTERS_H
#define PA_COUNTERS_H

#include <stdint.h>

#define PA_ZONE_COUNTERS(X)                                          \
	X(PAGES_REFILL, zone_pages_refill, none)                     \
	X(PAGES_BULK, zone_pages_bulk, none)                         \
	X(PAGES_DRAIN, zone_pages_drain, none)                       \
	X(PAGES_DIRECT_ALLOC, zone_pages_direct_alloc, pgalloc)      \
	X(PAGES_DIRECT_FREE, zone_pages_direct_free, pgfree)         \
	X(DIRECT_ALLOC_CALLS, alloc_calls, none)                     \
	X(DIRECT_FREE_CALLS, free_calls, none)                       \
	X(BLOCKS_MOVED, zone_blocks_moved, none)                     \
	X(BUDDY_MERGES, zone_buddy_merges, none)                     \
	X(SPLIT_PIECES, zone_split_pieces, none)                     \
	X(PB_WALKED, zone_pb_walked, none)                           \
	X(EXTFRAG_FALLBACKS, extfrag_fallbacks, none)                \
	X(EXTFRAG_FRAGMENTING, extfrag_fragmenting, none)            \
	X(BLOCKS_CLAIMED, blocks_claimed, none)                      \
	X(PCPB_BLOCKS_CLAIMED, pcpb_blocks_claimed, none)            \
	X(PCPB_BLOCKS_DISOWNED, pcpb_blocks_disowned, none)          \
	X(PCPB_PHASE0, pcpb_phase[0], none)                          \
	X(PCPB_PHASE1, pcpb_phase[1], none)                          \
	X(PCPB_PHASE2, pcpb_phase[2], none)                          \
	X(PCPB_PHASE3, pcpb_phase[3], none)                          \
	X(PCPB_PHASE0_PAGES, pcpb_phase0_pages, none)                \
	X(PCPB_PHASE0_SCANNED, pcpb_phase0_scanned, none)            \
	X(PCPB_FALLBACK_PHASE1, pcpb_fallback[0], none)              \
	X(PCPB_FALLBACK_PHASE3, pcpb_fallback[1], none)              \
	X(PCPB_RETURNED, pcpb_returned, none)                        \
	X(SPB_PASS_1, spb_pass[0], none)                             \
	X(SPB_PASS_2, spb_pass[1], none)                             \
	X(SPB_PASS_2B, spb_pass[2], none)                            \
	X(SPB_PASS_2C, spb_pass[3], none)                            \
	X(SPB_PASS_2D, spb_pass[4], none)                            \
	X(SPB_PASS_3, spb_pass[5], none)                             \
	X(SPB_PASS_4, spb_pass[6], none)                             \
	X(SPB_PASS_ZONE, spb_pass[7], none)                          \
	X(SPB_PASS_NONE, spb_pass[8], none)                          \
	X(SPB_WORDS, spb_words_visited, none)                        \
	X(SPB_HINT_HITS, spb_hint_hits, none)                        \
	X(SPB_PB_ADOPTED, spb_pb_adopted, none)                      \
	X(REPORTED_BLOCKS, page_reporting_blocks, none)              \
	X(REPORTED_PAGES, page_reporting_pages, none)                \
	X(REPORT_SKIPPED, page_reporting_skipped, none)              \
	X(ONLINED_PAGES, memory_onlined_pages, none)                 \
	X(OFFLINED_PAGES, memory_offlined_pages, none)               \
	X(SPB_DEFRAG_WANTED, spb_defrag_wanted, none)                \
	X(SPB_EVACUATE_QUEUED, spb_evacuate_queued, none)            \
	X(SPB_EVACUATE_DROPPED, spb_evacuate_dropped, none)

#define PA_SHARED_COUNTERS(X)                                        \
	X(ALLOC_FAILED, alloc_failed, none)                          \
	X(BAD_FREES, bad_frees, none)                                \
	X(NOLOCK_ALLOC_FAILED, nolock_alloc_failed, none)            \
	X(NOLOCK_DEFERRED, nolock_deferred_frees, none)              \
	X(PCPB_MERGES, pcpb_merges, none)                            \
	X(PCPB_REMOTE_PUSHED, pcpb_remote_pushed, pgfree)            \
	X(PCPB_REMOTE_ABSORBED, pcpb_remote_absorbed, none)          \
	X(REMOTE_FREE_CALLS, free_calls, none) /* done when pushed */ \
	X(PGMIGRATE_SUCCESS, pgmigrate_success, none)                \
	X(PGMIGRATE_FAIL, pgmigrate_fail, none)                      \
	X(PGMIGRATE_BLOCKS, pgmigrate_blocks, none)                  \
	X(COMPACT_MIGRATE_SCANNED, compact_migrate_scanned, none)    \
	X(COMPACT_FREE_SCANNED, compact_free_scanned, none)          \
	X(COMPACT_ISOLATED, compact_isolated, none)                  \
	X(COMPACT_STALL, compact_stall, none)                        \
	X(COMPACT_RUNS, compact_runs, none)                          \
	X(COMPACT_FAIL, compact_fail, none)                          \
	X(COMPACT_SUCCESS, compact_success, none)                    \
	X(OFFLINE_FAILED, memory_offline_failed, none)               \
	X(SPB_DEFRAG_RUNS, spb_defrag_runs, none)                    \
	X(SPB_DEFRAG_PAGES, spb_defrag_pages, none)                  \
	X(SPB_DEFRAG_PAGEBLOCKS, spb_defrag_pageblocks_freed, none)  \
	X(SPB_DEFRAG_COOLDOWNS, spb_defrag_cooldowns, none)          \
	X(SPB_DEFRAG_SKIPPED, spb_defrag_skipped_cooldown, none)     \
	X(SPB_EVACUATED_PAGES, spb_evacuated_pages, none)            \
	X(SPB_EVACUATE_FOR_ORDER, spb_evacuate_for_order, none)      \
	X(SPB_EVACUATE_FOR_ORDER_PAGES, spb_evacuate_for_order_pages, none) \
	X(SPB_SHRINK_CALLS, spb_shrink_calls, none)                  \
	X(SPB_SHRINK_PAGES, spb_shrink_pages, none)                  \
	X(PGSCAN_KSWAPD, pgscan_kswapd, none)                        \
	X(PGSCAN_DIRECT, pgscan_direct, none)                        \
	X(PGSTEAL_KSWAPD, pgsteal_kswapd, none)                      \
	X(PGSTEAL_DIRECT, pgsteal_direct, none)                      \
	X(SLABS_SCANNED, slabs_scanned, none)                        \
	X(ALLOCSTALL, allocstall, none)                              \
	X(KSWAPD_WAKE, kswapd_wake, none)                            \
	X(HIGHATOMIC_UNRESERVED, highatomic_unreserved, none)

#define PA_PCP_COUNTERS(X)                                           \
	X(ALLOC_HIT, pcp_alloc_hit, none)                            \
	X(ALLOC_MISS, pcp_alloc_miss, none)                          \
	X(REFILLS, pcp_refills, none)                                \
	X(DRAINS, pcp_drains, none)                                  \
	X(FALLBACK_ALLOC, pcp_trylock_fallback_alloc, none)          \
	X(FALLBACK_FREE, pcp_trylock_fallback_free, none)            \
	X(PGALLOC, pgalloc, none)                                    \
	X(PGFREE, pgfree, none)                                      \
	X(ALLOC_CALLS, alloc_calls, none)                            \
	X(FREE_CALLS, free_calls, none)                              \
	X(MERGE_WALKED, pcpb_merge_walked, none)

enum zone_counter_id {
#define ZC_(id, f1, f2) ZC_##id,
	PA_ZONE_COUNTERS(ZC_)
#undef ZC_
	NR_ZONE_COUNTERS
};
enum shared_counter_id {
#define ZS_(id, f1, f2) ZS_##id,
	PA_SHARED_COUNTERS(ZS_)
#undef ZS_
	NR_SHARED_COUNTERS
};
enum pcp_counter_id {
#define PC_(id, f1, f2) PC_##id,
	PA_PCP_COUNTERS(PC_)
#undef PC_
	NR_PCP_COUNTERS
};

/* Relaxed load + store: one writer at a time (the lock holder), readers
 * anywhere see a whole value. */
static inline void counter_add(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + v,
			 __ATOMIC_RELAXED);
}

/* Atomic add: writers race. */
static inline void counter_add_shared(uint64_t *c, uint64_t v)
{
	__atomic_fetch_add(c, v, __ATOMIC_RELAXED);
}

static inline uint64_t counter_read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

#define zone_count(z, id, v) counter_add(&(z)->zc[ZC_##id], (v))
#define zone_count_shared(z, id, v) counter_add_shared(&(z)->zs[ZS_##id], (v))
#define pcp_count(pcp, id, v) counter_add(&(pcp)->pc[PC_##id], (v))
#define pcp_count_shared(pcp, id, v) counter_add_shared(&(pcp)->pc[PC_##id], (v))

#endif
