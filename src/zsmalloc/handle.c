// SPDX-License-Identifier: MIT
/*
 * Handle cache.  Slots come from pool-owned chunks that are never freed
 * before the pool, so a slot address computed from a valid-looking handle
 * always points at slot memory.  A chunk is SLOTS_PER_CHUNK slots followed
 * by as many 32-bit generations; a handle is accepted only while its
 * generation is the slot's, so a freed handle stays refused after the slot
 * is handed out again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "zsmalloc/handle.h"

#define SLOTS_PER_CHUNK (1u << ZS_HANDLE_CHUNK_SHIFT)
#define INDEX_MASK ((1ull << ZS_HANDLE_INDEX_BITS) - 1)
#define GEN_MASK   ((1u << ZS_HANDLE_GEN_BITS) - 1)
#define CHUNK_BYTES (SLOTS_PER_CHUNK * (sizeof(uint64_t) + sizeof(uint32_t)))

_Static_assert((uint64_t)ZS_HANDLE_MAX_CHUNKS << ZS_HANDLE_CHUNK_SHIFT <= INDEX_MASK,
	       "every slot index + 1 fits the handle's index field");
_Static_assert(ZS_HANDLE_SALT_SHIFT + 15 <= 63,
	       "salt 1..0x7fff fits, and the object header keeps handle << 1");

int zs_handle_cache_init(struct zs_handle_cache *hc, uint64_t salt)
{
	hc->chunks = calloc(ZS_HANDLE_MAX_CHUNKS, sizeof(*hc->chunks));
	if (!hc->chunks)
		return -ENOMEM;
	pthread_mutex_init(&hc->lock, NULL);
	hc->nr_chunks = 0;
	hc->free_head = 0;
	hc->salt = salt;
	hc->live = 0;
	return 0;
}

void zs_handle_cache_destroy(struct zs_handle_cache *hc)
{
	for (unsigned i = 0; i < hc->nr_chunks; i++)
		free(hc->chunks[i]);
	free(hc->chunks);
	hc->chunks = NULL;
	pthread_mutex_destroy(&hc->lock);
}

static uint64_t *slot_at(struct zs_handle_cache *hc, uint64_t index)
{
	uint64_t *chunk = __atomic_load_n(&hc->chunks[index >> ZS_HANDLE_CHUNK_SHIFT],
					  __ATOMIC_ACQUIRE);
	return chunk ? &chunk[index & (SLOTS_PER_CHUNK - 1)] : NULL;
}

/* The generation word of a slot: after the chunk's slot array. */
static uint32_t *gen_of(uint64_t *slot, uint64_t index)
{
	uint64_t *chunk = slot - (index & (SLOTS_PER_CHUNK - 1));
	return (uint32_t *)(chunk + SLOTS_PER_CHUNK) + (index & (SLOTS_PER_CHUNK - 1));
}

/* Add a chunk and thread its slots onto the free list.  Under hc->lock. */
static int grow(struct zs_handle_cache *hc)
{
	if (hc->nr_chunks == ZS_HANDLE_MAX_CHUNKS)
		return -ENOMEM;
	uint64_t *chunk = malloc(CHUNK_BYTES);
	if (!chunk)
		return -ENOMEM;
	memset(chunk + SLOTS_PER_CHUNK, 0, SLOTS_PER_CHUNK * sizeof(uint32_t));
	uint64_t base = (uint64_t)hc->nr_chunks << ZS_HANDLE_CHUNK_SHIFT;
	for (unsigned i = 0; i < SLOTS_PER_CHUNK; i++) {
		/* next free = base + i + 1, stored as index + 1 (0 ends) */
		uint64_t next = i + 1 < SLOTS_PER_CHUNK ? base + i + 2 : hc->free_head;
		chunk[i] = next << 1;
	}
	hc->free_head = base + 1;
	/* Release: a lockless reader that sees the chunk sees its slots. */
	__atomic_store_n(&hc->chunks[hc->nr_chunks], chunk, __ATOMIC_RELEASE);
	hc->nr_chunks++;
	return 0;
}

unsigned long zs_handle_alloc(struct zs_handle_cache *hc)
{
	pthread_mutex_lock(&hc->lock);
	if (!hc->free_head && grow(hc)) {
		pthread_mutex_unlock(&hc->lock);
		return 0;
	}
	uint64_t index = hc->free_head - 1;
	uint64_t *slot = slot_at(hc, index);
	hc->free_head = zs_slot_load(slot) >> 1;
	zs_slot_store(slot, ZS_SLOT_RESERVED);
	uint64_t gen = __atomic_load_n(gen_of(slot, index), __ATOMIC_RELAXED);
	hc->live++;
	pthread_mutex_unlock(&hc->lock);
	return (unsigned long)((hc->salt << ZS_HANDLE_SALT_SHIFT) |
			       (gen << ZS_HANDLE_INDEX_BITS) | (index + 1));
}

void zs_handle_free(struct zs_handle_cache *hc, unsigned long handle)
{
	uint64_t index = (handle & INDEX_MASK) - 1;
	uint64_t *slot = slot_at(hc, index);
	uint32_t *gen = gen_of(slot, index);

	pthread_mutex_lock(&hc->lock);
	/* Before the slot can be reused: from here the old handle is stale. */
	__atomic_store_n(gen, (__atomic_load_n(gen, __ATOMIC_RELAXED) + 1) & GEN_MASK,
			 __ATOMIC_RELEASE);
	zs_slot_store(slot, hc->free_head << 1);
	hc->free_head = index + 1;
	hc->live--;
	pthread_mutex_unlock(&hc->lock);
}

uint64_t *zs_handle_slot(struct zs_handle_cache *hc, unsigned long handle)
{
	uint64_t h = handle;
	if ((h >> ZS_HANDLE_SALT_SHIFT) != hc->salt)
		return NULL;
	uint64_t index1 = h & INDEX_MASK;
	if (index1 == 0)
		return NULL;
	uint64_t index = index1 - 1;
	if ((index >> ZS_HANDLE_CHUNK_SHIFT) >= ZS_HANDLE_MAX_CHUNKS)
		return NULL;
	uint64_t *slot = slot_at(hc, index);
	if (!slot)
		return NULL;
	uint32_t gen = (uint32_t)(h >> ZS_HANDLE_INDEX_BITS) & GEN_MASK;
	if (__atomic_load_n(gen_of(slot, index), __ATOMIC_ACQUIRE) != gen)
		return NULL;
	return slot;
}

uint64_t zs_handle_bytes(struct zs_handle_cache *hc)
{
	pthread_mutex_lock(&hc->lock);
	uint64_t n = (uint64_t)hc->nr_chunks * CHUNK_BYTES;
	pthread_mutex_unlock(&hc->lock);
	return n;
}
