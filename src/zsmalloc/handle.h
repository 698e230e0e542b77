/* SPDX-License-Identifier: MIT */
/*
 * Handle cache: the 8-byte slots behind zsmalloc handles.
 *
 * A handle names a slot by index (with a per-pool salt in the high bits so
 * a handle of another pool is very likely rejected), never by address, so
 * any value a caller passes can be validated without dereferencing it.  A
 * live slot holds (obj << 1) | 1; a free slot holds the index of the next
 * free slot shifted left (low bit 0), forming an in-place free list.
 *
 * Each slot also has a generation, bumped when the slot is freed and
 * carried in the handle: a slot is reused at once, so without it a stale
 * handle would name the next object stored there.
 *
 *   handle = salt << 49 | generation << 29 | (index + 1)
 */
#ifndef ZS_HANDLE_H
#define ZS_HANDLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define ZS_HANDLE_CHUNK_SHIFT 12u  /* 4096 slots (32 KiB) per chunk */
#define ZS_HANDLE_MAX_CHUNKS  (1u << 16)
#define ZS_HANDLE_INDEX_BITS  29u  /* index + 1 <= 2^28 slots */
#define ZS_HANDLE_GEN_BITS    19u  /* a slot is reused 2^19 times before a
                                    * stale handle can match again */
#define ZS_HANDLE_SALT_SHIFT  (ZS_HANDLE_INDEX_BITS + ZS_HANDLE_GEN_BITS)

/* Slot value while allocated but not yet bound to an object. */
#define ZS_SLOT_RESERVED UINT64_MAX

struct zs_handle_cache {
	pthread_mutex_t lock;       /* free list and growth */
	uint64_t **chunks;          /* ZS_HANDLE_MAX_CHUNKS entries, atomic */
	unsigned nr_chunks;         /* under lock */
	uint64_t free_head;         /* index + 1 of the first free slot, 0 none */
	uint64_t salt;              /* 1..0x7fff, fixed per pool */
	uint64_t live;              /* allocated slots, under lock */
};

int zs_handle_cache_init(struct zs_handle_cache *hc, uint64_t salt);
void zs_handle_cache_destroy(struct zs_handle_cache *hc);

/* A new handle whose slot holds ZS_SLOT_RESERVED, or 0 (no memory). */
unsigned long zs_handle_alloc(struct zs_handle_cache *hc);
/* Return a slot; the caller has validated the handle. */
void zs_handle_free(struct zs_handle_cache *hc, unsigned long handle);

/* The slot of a handle this cache handed out, or NULL when the value is
 * not one (wrong salt, index out of range, or the slot was freed since:
 * generation mismatch).  Says nothing about whether
 * the slot is live: read it with zs_slot_load(). */
uint64_t *zs_handle_slot(struct zs_handle_cache *hc, unsigned long handle);

/* Bytes of slot memory held. */
uint64_t zs_handle_bytes(struct zs_handle_cache *hc);

/* Slots are read without locks (RCU free path, validation) while
 * compaction and migration rewrite them: always atomic. */
static inline uint64_t zs_slot_load(const uint64_t *slot)
{
	return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
}

static inline void zs_slot_store(uint64_t *slot, uint64_t v)
{
	__atomic_store_n(slot, v, __ATOMIC_RELEASE);
}

static inline bool zs_slot_live(uint64_t v)
{
	return (v & 1) && v != ZS_SLOT_RESERVED;
}

#endif
