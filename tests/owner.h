/* SPDX-License-Identifier: MIT */
/*
 * owner.h - a movable owner for the tests: blocks allocated through it are
 * migratable (pa_set_page_movable), reached by a handle that follows them
 * when they move, and on PA_BACKING_ANON zones filled with a pattern that
 * names the handle and the page, so a test can check every page after any
 * amount of migration.  Thread-safe: one mutex guards the tables and the
 * copies (the migrate callback copies under it).
 */
#ifndef PA_TEST_OWNER_H
#define PA_TEST_OWNER_H

#include <stdbool.h>
#include <stdint.h>

#include "pagealloc.h"

#define TH_NO_HANDLE UINT32_MAX

struct th_owner;

/* Register on the zone; at most max_handles live blocks.  NULL on error. */
struct th_owner *th_owner_new(struct pa_zone *zone, uint32_t max_handles);
/* Unregister (waits for migrations in flight) and free.  Blocks still
 * live stay allocated. */
void th_owner_destroy(struct th_owner *o);
/* Allocate a movable block of `order`, fill it, mark it movable: its
 * handle, or TH_NO_HANDLE when the zone or the table is full. */
uint32_t th_owner_alloc(struct th_owner *o, unsigned order);
/* Free a handle's block: 0, -EBUSY while it is being migrated (try
 * again), -EINVAL if the handle is not live. */
int th_owner_free(struct th_owner *o, uint32_t h);
/* Free every live block (retrying busy ones); returns how many. */
uint32_t th_owner_free_all(struct th_owner *o);
/* Where a handle's block is now (PA_NO_PFN if not live). */
uint64_t th_owner_pfn(struct th_owner *o, uint32_t h);
/* Live handles. */
uint32_t th_owner_live(struct th_owner *o);
/* Pages of live blocks whose contents are wrong (backed zones: every
 * 8-byte word of every page is checked), plus handles whose tables
 * disagree.  0 when all is well. */
uint64_t th_owner_verify(struct th_owner *o);
/* Migrations the owner saw complete. */
uint64_t th_owner_moves(struct th_owner *o);
/* Pin (isolate refuses it) or unpin a handle's block. */
void th_owner_pin(struct th_owner *o, uint32_t h, bool pinned);

/* Run fn once per policy (factory.h's th_policies) that pa_config_check
 * accepts for cfg, at least two, naming each. */
void th_each_policy(const struct pa_config *cfg, void (*fn)(enum pa_policy));

#endif
