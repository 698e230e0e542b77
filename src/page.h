/* SPDX-License-Identifier: MIT */
/*
 * Per-page metadata: 16 bytes per page frame, kept apart from the memory it
 * describes (like the kernel's mem_map) so free memory is never touched.
 * Links are pfn-indexed 32-bit values, not pointers, which is what keeps a
 * page at 16 bytes and caps a zone at 2^32 - 1 pages (16 TiB with 4 KiB).
 */
#ifndef PA_PAGE_H
#define PA_PAGE_H

#include <stdint.h>

#define PA_NIL UINT32_MAX

/*
 * Page state lives in one 16-bit word, flags in the low byte and order in
 * the high byte, so that a free can check "allocated head of this order"
 * and claim the page in one compare-and-swap: two racing frees of the same
 * block cannot both succeed.  Only head pages carry a state; tail pages of
 * free or allocated blocks have state 0.
 */
enum {
	PG_BUDDY = 0x01,     /* head of a free block on a zone free list */
	PG_PCP = 0x02,       /* head of a block on a per-CPU list */
	PG_ALLOC = 0x04,     /* head of an allocated block */
	PG_PCPBUDDY = 0x08,  /* pcpbuddy: on its owner's lists, may merge there */
	PG_LLIST = 0x10,     /* on a lock-free deferred-free list */
	PG_ISOLATED = 0x20,  /* allocated and isolated for migration */
	PG_CONTIG = 0x40,    /* allocated piece of a pa_alloc_contig range */
	PG_REPORTING = 0x80, /* free, off the lists while a reporter has it
	                      * (page_reporting.c) */
};

struct pa_page {
	uint32_t next;     /* list link (pfn) while on a free or per-CPU list */
	uint32_t prev;
	uint16_t state;    /* flags | order << 8; accessed atomically */
	uint8_t mt;        /* migratetype of the allocation / per-CPU list */
	uint8_t movable;   /* movable-ops id, 0 = not movable */
	uint32_t lnext;    /* lock-free list link (pfn) */
};

_Static_assert(sizeof(struct pa_page) == 16, "page metadata must stay 16 bytes");

#define PG_STATE(flags, order) ((uint16_t)((flags) | ((unsigned)(order) << 8)))

static inline uint16_t page_state(const struct pa_page *p)
{
	return __atomic_load_n(&p->state, __ATOMIC_RELAXED);
}

static inline void set_page_state(struct pa_page *p, uint16_t s)
{
	__atomic_store_n(&p->state, s, __ATOMIC_RELAXED);
}

static inline unsigned page_flags(const struct pa_page *p)
{
	return page_state(p) & 0xffu;
}

static inline unsigned page_order(const struct pa_page *p)
{
	return page_state(p) >> 8;
}

/* The allocation's migratetype: written when a block is handed out, read
 * racily by the block-claim heuristic (as the kernel reads page flags). */
static inline unsigned page_mt(const struct pa_page *p)
{
	return __atomic_load_n(&p->mt, __ATOMIC_RELAXED);
}

static inline void set_page_mt(struct pa_page *p, unsigned mt)
{
	__atomic_store_n(&p->mt, (uint8_t)mt, __ATOMIC_RELAXED);
}

/* Claim a page whose state is exactly `from` by moving it to `to`. */
static inline int page_state_cas(struct pa_page *p, uint16_t from, uint16_t to)
{
	return __atomic_compare_exchange_n(&p->state, &from, to, 0,
					   __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

#endif
