/* SPDX-License-Identifier: MIT */
/*
 * free_batch - replay the kernel's batched frees as batches.
 *
 * free_unref_folios() prints mm_page_free for each folio of a batch as it
 * prepares it, then mm_page_free_batched for each as it puts it on the
 * pageset, all under one pageset lock.  The replay holds back a short
 * window of events: a mm_page_free whose mm_page_free_batched (same CPU
 * and pfn) arrives within the window is not replayed on its own; each run
 * of consecutive mm_page_free_batched events of one CPU is replayed as one
 * pa_free_bulk() call (sim_free_bulk) at the place of the run.  Everything
 * else is replayed in trace order, one event at a time.
 */
#ifndef PA_LAB_FREE_BATCH_H
#define PA_LAB_FREE_BATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "sim.h"
#include "trace_parse.h"

/* More than a folio batch's 31 frees and 31 batched events. */
#define FB_WINDOW 128
#define FB_RUN SIM_BULK_MAX

/* A held-back event: the fields the replay applies, not the whole parsed
 * line (copied in and out of the window for every event). */
struct fb_event {
	uint64_t pfn;
	uint64_t ts;
	uint32_t cpu;
	uint8_t kind;       /* enum trace_kind: alloc, free or free_batched */
	uint8_t order;      /* the event's; a carrier's: its free's (batched
	                     * events print 0) */
	int8_t mt;          /* an allocation's migratetype */
	bool deferred;      /* a free its batched event replays */
	bool carries;       /* a batched event that replays a free */
};

/* Slots of the table that finds a batched event's free (a power of 2). */
#define FB_SLOTS 256

struct free_batch {
	struct fb_event win[FB_WINDOW];
	unsigned head, n;
	uint64_t left;      /* events that have left the window */
	/* By hash of (cpu, pfn): 1 + the sequence number of the newest
	 * mm_page_free of that hash to enter the window (0: none), cleared
	 * when that free is deferred.  A hint checked against the window:
	 * when it names a held-back, undeferred free of the same cpu and
	 * pfn, no newer free of that cpu and pfn entered since (it would
	 * have taken the slot), so it is the one the search from the newest
	 * would find; anything else falls back to that search. */
	uint64_t newest_free[FB_SLOTS];
	unsigned run_cpu, nrun;
	uint64_t keys[FB_RUN];
	unsigned orders[FB_RUN];
	uint64_t runs, run_frees;  /* replayed through pa_free_bulk */
};

void free_batch_init(struct free_batch *fb);
/* One alloc/free/free_batched event (ts: the replay's clock); others are
 * ignored.  Applies what leaves the window to `s`. */
void free_batch_feed(struct free_batch *fb, struct sim *s,
		     const struct trace_event *ev, uint64_t ts);
/* Apply everything held back (at the end of a trace). */
void free_batch_flush(struct free_batch *fb, struct sim *s);

#endif
