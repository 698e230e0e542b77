/* SPDX-License-Identifier: MIT */
/*
 * warm - the traced machine's state when its capture began, inferred from
 * the trace itself (and its zoneinfo), so a replay starts warm as the
 * kernel did instead of from an empty zone.
 *
 * A running machine's pagesets hold pages and memory is in use before the
 * first event.  Two things in the trace show that state exactly:
 *  - a block whose first event is mm_page_alloc (no zone_locked before it)
 *    or mm_page_pcpu_drain was on that CPU's pageset, in the list of its
 *    order and migratetype, when the capture began;
 *  - a block whose first event is mm_page_free was allocated before the
 *    capture; its migratetype is that of the list it is later drained
 *    from or allocated again for (the pageset lists are per type).
 * The zoneinfo's per-CPU count: says how many pages each pageset held.
 * The pages the trace never touches sat in lists the trace never emptied:
 * a list that is refilled (zone_locked with percpu_refill) was empty then,
 * so all its initial blocks were taken or drained before, and are known.
 * The rest is put in the first list of that CPU the trace never refills,
 * where, as in the kernel, no allocation reaches it, but drains and the
 * decay of `high` (taken from the zoneinfo's high:) do.
 */
#ifndef PA_LAB_WARM_H
#define PA_LAB_WARM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "freeinfo.h"
#include "pagealloc.h"
#include "pfnmap.h"
#include "trace_parse.h"
#include "zoneinfo.h"

struct sim;
struct trace_tally;

/* The pageset lists a trace can show: orders 0..3 and the pageblock
 * order (9, the kernel's THP list), for the three pcp migratetypes. */
#define WARM_ORDERS 5
#define WARM_MTS 3
#define WARM_LISTS (WARM_ORDERS * WARM_MTS)
#define WARM_PB_ORDER 9
#define WARM_MAX_CPUS ZONEINFO_MAX_CPUS

/* A block in use before the capture (freed during it). */
struct warm_block {
	uint64_t key;       /* trace pfn */
	uint8_t order;
	int8_t mt;          /* -1 until the trace shows it (then movable) */
	uint16_t cpu;       /* the CPU that freed it */
};

struct warm {
	/* built by warm_feed() */
	struct pfnmap seen;            /* every pfn the trace touched */
	struct warm_block *pre;        /* in use before the capture */
	size_t npre, cap;
	uint32_t taken[WARM_MAX_CPUS][WARM_LISTS]; /* initial blocks seen */
	bool refilled[WARM_MAX_CPUS][WARM_LISTS];
	unsigned ncpus;                /* highest CPU seen + 1 (<= max) */
	bool nomem;                    /* a table could not grow: no warm
	                                * start (the replay says so) */
	/* what warm_apply() put on the pagesets, for the report */
	uint64_t seeded_known, seeded_rest, pre_blocks;
	bool have_high;
	/* the captured free lists (warm_set_free), when there are */
	bool have_free;
	struct freeinfo free;
	uint64_t free_wanted, free_placed; /* blocks, first policy's zone */
};

/* Start empty.  Returns 0 or -ENOMEM. */
int warm_init(struct warm *w);
void warm_destroy(struct warm *w);

/* One parsed event, in trace order (all traces of a replay in turn). */
void warm_feed(struct warm *w, const struct trace_event *ev);

/*
 * Put the state on every policy's zone of `s` (before the replay's first
 * event; the sim's threads not started): allocate the blocks in use
 * before the capture (remembered under their trace pfns), drain, fill each
 * CPU's pageset lists as inferred (up to the zoneinfo's count: when zi is
 * not NULL, else the blocks seen), set each pageset's high to the
 * zoneinfo's, then reset every counter so the figures cover the replay.
 */
void warm_apply(struct warm *w, struct sim *s, const struct zoneinfo *zi);

/* Shape the buddy free lists and pageblock types after *fi too (copied)
 * in warm_apply(); for the traced machine's own size only. */
void warm_set_free(struct warm *w, const struct freeinfo *fi);

/*
 * Shape zone z's buddy free lists after fi (lab/warm_free.c says how):
 * its free memory is allocated, then freed again as fi's free blocks per
 * migratetype and order, plus extra[mt][order] blocks that the pagesets
 * take afterwards.  Returns 0 (*wanted_blocks and *placed_blocks say how
 * much of it fitted) or -1 when out of memory (then the zone holds what
 * was shaped so far, still consistent).  The zone must be quiescent.
 */
int warm_free_shape(struct pa_zone *z, const struct freeinfo *fi,
		    const uint64_t extra[PA_MT_PCPTYPES][FREEINFO_ORDERS],
		    uint64_t *wanted_blocks, uint64_t *placed_blocks);

/* What warm_apply() did, for the report. */
void warm_tally(const struct warm *w, struct trace_tally *t);

#endif
