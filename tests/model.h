/* SPDX-License-Identifier: MIT */
/*
 * model.h - a deliberately simple reference model of a zone, for tests.
 *
 * The model knows which pfns are allocated (one byte per pfn) and which
 * (pfn, order) pairs are live blocks.  It knows nothing about free lists,
 * per-CPU lists or migratetypes: it says what a correct allocator may hand
 * out and what a correct free must accept.  Plain C (no cmocka), so the
 * fuzz target links it too.
 */
#ifndef PA_TEST_MODEL_H
#define PA_TEST_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#define TM_NOT_HEAD 0xffu

struct tm_model {
	uint64_t npages;
	unsigned max_order;
	uint8_t *used;    /* 1 if the pfn belongs to a live block */
	uint8_t *head;    /* order of the live block starting here, or TM_NOT_HEAD */
	uint64_t *live;   /* pfns of live blocks (heads), unordered */
	uint64_t *live_pos; /* index of a head pfn in live[], per pfn */
	uint64_t nlive;
	uint64_t allocated_pages;
};

/* 0 or -1 (out of memory). */
int tm_init(struct tm_model *m, uint64_t npages, unsigned max_order);
void tm_fini(struct tm_model *m);

/* True if [pfn, pfn + 2^order) is inside the zone and entirely free. */
bool tm_range_free(const struct tm_model *m, uint64_t pfn, unsigned order);
/* True if (pfn, order) is exactly a live block. */
bool tm_is_live(const struct tm_model *m, uint64_t pfn, unsigned order);
/* Record an allocation; the caller has checked tm_range_free(). */
void tm_add(struct tm_model *m, uint64_t pfn, unsigned order);
/* Record a free; the caller has checked tm_is_live(). */
void tm_remove(struct tm_model *m, uint64_t pfn);
/* True if some aligned block of this order is entirely free; its first pfn
 * goes to *pfn when pfn is not NULL.  O(npages). */
bool tm_fits(const struct tm_model *m, unsigned order, uint64_t *pfn);
/* Order of the live block covering pfn, and its head in *headp; or -1. */
int tm_block_of(const struct tm_model *m, uint64_t pfn, uint64_t *headp);

#endif
