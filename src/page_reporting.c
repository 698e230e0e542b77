/* SPDX-License-Identifier: MIT */
/*
 * Free page reporting (pa_report_free), in the spirit of the kernel's
 * page_reporting for virtio-balloon: free blocks of a given order and up
 * are handed to a reporter in batches.  A batch is taken off the free
 * lists under zone->lock into state PG_REPORTING, so no allocation can
 * have them and no buddy merges into them while the reporter, called with
 * no lock held, gives their memory away; then each goes back through
 * free_one_page (merging as any free does) and, if it came back as the
 * same block, to the tail of its list with the reported mark
 * (freearea.h).  A block that leaves the lists for any other reason comes
 * back unmarked, so the next walk reports it again.
 *
 * A walk visits one list at a time, lowest order first (a block that
 * merged on its way back is seen again at its new order), and resumes
 * after each batch at the block it would have looked at next, if that is
 * still listed; otherwise at the list's start.  A budget of entries per
 * list bounds the walk while other threads keep freeing.
 */
#include <errno.h>
#include <sys/mman.h>

#include "buddy.h"
#include "error.h"
#include "isolate.h"
#include "zone.h"

#define REPORT_BATCH 32    /* blocks off the lists at a time */
#define REPORT_SCAN 1024   /* list entries looked at per zone->lock hold */

struct report_batch {
	unsigned n;
	uint32_t pfn[REPORT_BATCH];
	bool ok[REPORT_BATCH];    /* the reporter had it */
};

/* Where the walk of one list (order, mt) stands. */
struct report_cursor {
	unsigned order, mt;
	uint32_t next;            /* block to look at next; PA_NIL: the start */
	uint64_t budget;          /* entries still to look at */
	bool done;
};

struct report_walk {
	struct pa_zone *z;
	pa_report_fn fn;
	void *arg;
	int64_t reported;
	bool stopped;             /* the reporter said stop */
};

/* Off its list into the reporter's hands.  zone->lock held. */
static void report_isolate(struct pa_zone *z, uint32_t pfn, unsigned order,
			   unsigned mt)
{
	fa_del(z, pfn, order, mt);
	set_page_state(&z->pages[pfn], PG_STATE(PG_REPORTING, order));
	z->nr_reporting += 1ull << order;
}

/* Back to the free lists; marked if the reporter had it and it did not
 * merge into a larger block (which nobody has reported).  A block whose
 * pageblocks no longer share a type goes back a pageblock at a time, so
 * that each piece lands on its own type's list.  zone->lock held. */
static void report_return(struct pa_zone *z, uint32_t pfn, unsigned order,
			  bool reported)
{
	set_page_state(&z->pages[pfn], 0);
	z->nr_reporting -= 1ull << order;
	if (reported) {
		zone_count(z, REPORTED_BLOCKS, 1);
		zone_count(z, REPORTED_PAGES, 1ull << order);
	}
	if (!block_one_type(z, pfn, order)) { /* an isolation began inside */
		for (uint64_t p = pfn; p < pfn + (1ull << order); p += pb_nr_pages(z))
			free_one_page(z, (uint32_t)p, z->pb_order);
		return;
	}
	free_one_page(z, pfn, order);
	if (!reported)
		return;
	unsigned mt = pb_mt(pfn_pb(z, pfn));

	if (!fa_listed(z, pfn, order, mt))
		return;
	/* last in line: allocations take blocks whose memory is still there */
	fa_move(z, pfn, order, mt, mt);
	fa_mark_reported(z, pfn);
}

static void put_back(struct report_walk *w, unsigned order,
		     struct report_batch *b)
{
	for (unsigned i = 0; i < b->n; i++)
		report_return(w->z, b->pfn[i], order, b->ok[i]);
	b->n = 0;
}

/* Take up to REPORT_BATCH unreported blocks of the cursor's list, looking
 * at no more than REPORT_SCAN entries.  zone->lock held. */
static void fill_batch(struct pa_zone *z, struct report_cursor *c,
		       struct report_batch *b)
{
	uint32_t pfn = c->next;

	if (pfn == PA_NIL || !fa_listed(z, pfn, c->order, c->mt))
		pfn = fa_first(z, c->order, c->mt);
	for (unsigned scanned = 0; pfn != PA_NIL && b->n < REPORT_BATCH &&
				   scanned < REPORT_SCAN && c->budget;
	     scanned++, c->budget--) {
		uint32_t next = fa_next(z, pfn, c->order, c->mt);

		if (fa_reported(z, pfn)) {
			zone_count(z, REPORT_SKIPPED, 1);
		} else {
			report_isolate(z, pfn, c->order, c->mt);
			b->pfn[b->n++] = pfn;
		}
		pfn = next;
	}
	c->next = pfn;
	c->done = pfn == PA_NIL || !c->budget;
}

/* The reporter, no lock held.  After a nonzero return it is not called
 * again. */
static void call_reporter(struct report_walk *w, unsigned order,
			  struct report_batch *b)
{
	for (unsigned i = 0; i < b->n; i++) {
		b->ok[i] = !w->stopped && w->fn(w->arg, b->pfn[i], order) == 0;
		if (!b->ok[i])
			w->stopped = true;
		else
			w->reported++;
	}
}

static void report_list(struct report_walk *w, unsigned order, unsigned mt)
{
	struct pa_zone *z = w->z;
	struct report_cursor c = { .order = order, .mt = mt, .next = PA_NIL };
	struct report_batch b = { .n = 0 };

	zone_lock(z);
	c.budget = 2 * fa_nr_free(z, order, mt) + REPORT_BATCH;
	for (;;) {
		/* the last batch back and the next one out in one hold */
		put_back(w, order, &b);
		if (c.done || w->stopped)
			break;
		fill_batch(z, &c, &b);
		zone_unlock(z);
		call_reporter(w, order, &b);
		zone_lock(z);
	}
	zone_unlock(z);
}

int64_t pa_report_free(struct pa_zone *z, unsigned order, pa_report_fn fn,
		       void *arg)
{
	if (order > z->max_order || !fn) {
		pa_err(z, -EINVAL,
		       "pa_report_free: order %u (max_order %u), reporter %s",
		       order, z->max_order, fn ? "given" : "NULL");
		return -EINVAL;
	}
	struct report_walk w = { .z = z, .fn = fn, .arg = arg };

	for (unsigned o = order; o <= z->max_order && !w.stopped; o++)
		for (unsigned mt = 0; mt < PA_MT_TYPES && !w.stopped; mt++)
			if (mt != PA_MT_ISOLATE)
				report_list(&w, o, mt);
	return w.reported;
}

int pa_report_madvise(void *zone, uint64_t pfn, unsigned order)
{
	struct pa_zone *z = zone;

	if (!z || !z->mem || order > z->max_order ||
	    pfn + (1ull << order) > STAT_LOAD(z->nr_pages))
		return -EINVAL;
	if (madvise(z->mem + (pfn << z->page_shift),
		    (size_t)1 << (order + z->page_shift), MADV_DONTNEED))
		return -errno;
	return 0;
}
