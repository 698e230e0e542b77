/* SPDX-License-Identifier: MIT */
/*
 * pfnmap - the replay's translation from a trace pfn to the block our
 * allocator handed out for it (pfn and order).  An open-addressing hash
 * table whose size follows the number of live allocations, not the trace
 * length: a block leaves the map when it is freed.
 */
#ifndef PA_LAB_PFNMAP_H
#define PA_LAB_PFNMAP_H

#include <stdbool.h>
#include <stdint.h>

struct pfnmap_entry {
	uint64_t key;      /* trace pfn; PFNMAP_EMPTY marks a free slot */
	uint32_t pfn;      /* our pfn (zones of up to 2^32 pages: 16 TiB) */
	uint8_t order;     /* order of our block */
	uint8_t trace_order; /* order the trace allocated */
	uint16_t tag;      /* the owner's (the LRU: kind, referenced bit,
	                    * generation); 0 on insert */
};

#define PFNMAP_EMPTY UINT64_MAX

struct pfnmap {
	struct pfnmap_entry *slots;
	uint64_t mask;     /* capacity - 1 (capacity a power of two) */
	uint64_t count;
	uint64_t peak;     /* most entries at once */
};

/* The slot a key's probe starts at (trace pfns are clustered: the bits
 * are mixed by a 64-bit finaliser). */
static inline uint64_t pfnmap_hash(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

/* A hint that `key` will be looked up soon: the table outgrows the caches
 * on long traces, and a replay knows its next requests in advance. */
static inline void pfnmap_prefetch(const struct pfnmap *m, uint64_t key)
{
	__builtin_prefetch(&m->slots[pfnmap_hash(key) & m->mask], 1);
}

/* Initialise an empty map.  Returns 0 or -ENOMEM. */
int pfnmap_init(struct pfnmap *m);
/* Free the table; the map is empty and unusable until pfnmap_init(). */
void pfnmap_destroy(struct pfnmap *m);

/* The entry for trace pfn `key`, or NULL.  Valid until the next insert or
 * remove. */
struct pfnmap_entry *pfnmap_find(const struct pfnmap *m, uint64_t key);

/*
 * Insert or overwrite the entry for `key` (key != PFNMAP_EMPTY).  Returns
 * 0, 1 when an existing entry was overwritten (*old receives it if old is
 * not NULL), -ENOMEM (map unchanged) when the table cannot grow, or -EINVAL
 * for key PFNMAP_EMPTY (trace pfns never reach it: the parser refuses pfns
 * above TRACE_PFN_MAX).
 */
int pfnmap_insert(struct pfnmap *m, uint64_t key, uint32_t pfn,
		  unsigned order, unsigned trace_order,
		  struct pfnmap_entry *old);

/* Remove `key`; returns true and copies the entry into *out (if out) when
 * it was present. */
bool pfnmap_remove(struct pfnmap *m, uint64_t key, struct pfnmap_entry *out);

#endif
