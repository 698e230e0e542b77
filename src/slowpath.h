/* SPDX-License-Identifier: MIT */
/*
 * The allocation slow path's per-zone state: when direct compaction is
 * deferred after failing (the kernel's defer_compaction), so a zone where
 * compaction cannot help does not scan itself on every failed high-order
 * allocation.  Written racily by concurrent slow paths (relaxed atomics):
 * it is a heuristic, as in the kernel.
 */
#ifndef PA_SLOWPATH_H
#define PA_SLOWPATH_H

#define COMPACT_MAX_DEFER_SHIFT 6 /* skip at most 63 of 64 attempts */

struct compact_defer {
	unsigned considered;   /* attempts since the last failure */
	unsigned defer_shift;  /* skip 2^shift - 1 attempts */
	unsigned order_failed; /* lowest order that failed; 0: none */
};

#endif
