/* SPDX-License-Identifier: MIT */
/*
 * vt_reclaim - reclaim in a measured virtual-time run, recorded and
 * replayed.  --measure times the run's calls again on a fresh zone that
 * has no lab models behind it; when the run reclaimed (the library's
 * reclaim pass called the lab's LRU and slab shrinkers, and they freed
 * blocks), the fresh zone must see the same: this log keeps every count
 * and scan in order, with each scan's result and the blocks it freed,
 * and replay shrinkers registered on the fresh zone answer the same
 * calls with the same results and free the same blocks.  The zone's own
 * decisions are deterministic, so it asks the same questions in the same
 * order; when it does not, the replay says so (the measurement is then
 * not of the same calls).
 *
 * Record: vt_rlog_count / vt_rlog_scan / vt_rlog_free as the run's tap
 * sees them (sim_reclaim_tap).  Replay: vt_rlog_attach on each fresh
 * zone, then vt_rlog_diverged at its end.  Not thread-safe.
 */
#ifndef PA_LAB_VT_RECLAIM_H
#define PA_LAB_VT_RECLAIM_H

#include <stdbool.h>
#include <stdint.h>

#include "pagealloc.h"

struct vt_rlog;

/* An empty log, or NULL without memory. */
struct vt_rlog *vt_rlog_create(void);
void vt_rlog_destroy(struct vt_rlog *l);

/* Recording, in the order the run makes them: shrinker `id` (0 or 1)
 * counted ret objects; scanned nr_scanned and freed ret pages, the
 * blocks vt_rlog_free gave since the previous scan being its frees.  A
 * log that ran out of memory stays failed (vt_rlog_failed). */
void vt_rlog_count(struct vt_rlog *l, unsigned id, uint64_t ret);
void vt_rlog_scan(struct vt_rlog *l, unsigned id, uint64_t nr_scanned,
		  uint64_t ret);
void vt_rlog_free(struct vt_rlog *l, uint32_t pfn, unsigned order);
bool vt_rlog_failed(const struct vt_rlog *l);

/*
 * Register the replay's two shrinkers on zone z (in the run's order: the
 * LRU's, then the slab's) and start from the log's first call; their
 * frees go to CPU 0's pageset, as a one-CPU run's do.  0, or the error
 * of pa_register_shrinker().  z must outlive the replay; one zone at a
 * time.
 */
int vt_rlog_attach(struct vt_rlog *l, struct pa_zone *z);

/* Whether the replay on the attached zone asked other calls than the
 * run, or fewer (call at its end), or a free of it failed. */
bool vt_rlog_diverged(const struct vt_rlog *l);

#endif
