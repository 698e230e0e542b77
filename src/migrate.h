/* SPDX-License-Identifier: MIT */
/*
 * Batched migration: up to MIGRATE_BATCH movable blocks (any order) are
 * claimed from their owners, given destinations under one zone->lock hold,
 * copied by the owners' callbacks with no zone lock held, and their sources
 * freed straight to the zone under a second hold.  Where destinations come
 * from is the caller's: compaction's free scanner, contiguous allocation's
 * "anywhere outside the isolated range", pa_migrate_page's "another
 * pageblock".
 */
#ifndef PA_MIGRATE_H
#define PA_MIGRATE_H

#include <stdint.h>

#include "zone.h"

#define MIGRATE_BATCH 32

struct migrate_item {
	uint32_t src, dst;
	uint8_t order, mt, id;
	struct movable_slot slot;
};

struct migrate_batch {
	unsigned n;
	struct migrate_item it[MIGRATE_BATCH];
};

/* What a run did, in pages; nomem counts sources left for lack of a
 * destination. */
struct migrate_result {
	uint64_t moved, failed, nomem;
	int last_err;                  /* an owner's error, if any */
};

/* A free block of `order` taken off the lists for the block at src, or
 * PA_NIL.  zone->lock held. */
typedef uint32_t (*migrate_target_fn)(struct pa_zone *z, void *arg,
				      uint32_t src, unsigned order);

/* Claim the allocated movable block at pfn into the batch (owner's
 * isolate, then PG_ISOLATED).  0; -EINVAL not a movable block head;
 * -EBUSY the owner or a racing free/migration refused; -ENOSPC full. */
int migrate_batch_add(struct pa_zone *z, struct migrate_batch *b, uint64_t pfn);
/* Move every block of the batch, which is empty afterwards.  No lock held
 * by the caller. */
void migrate_batch_run(struct pa_zone *z, struct migrate_batch *b,
		       migrate_target_fn target, void *arg,
		       struct migrate_result *res);
/* Every allocated block with its head in [start, end) (start a block head
 * or a pfn no block straddles), claimed and moved in batches; blocks that
 * will not move are skipped.  Adds to *res.  No lock held by the caller. */
void migrate_range(struct pa_zone *z, uint64_t start, uint64_t end,
		   migrate_target_fn target, void *arg,
		   struct migrate_result *res);

#endif
