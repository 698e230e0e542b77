/* SPDX-License-Identifier: MIT */
/*
 * The kernel's fragmentation indexes, per order, from the free block counts
 * of the zone's free lists (what /proc/buddyinfo shows), with the kernel's
 * integer arithmetic so the figures match what debugfs would print:
 *
 *  unusable(j): the share of free memory that cannot serve an order-j
 *    request, (free_pages - suitable * 2^j) / free_pages; 1 when nothing
 *    is free.
 *  extfrag(j): whether an order-j failure would be due to fragmentation
 *    (near 1) or lack of memory (near 0): 1 - (1 + free_pages / 2^j) /
 *    free_blocks; -1 when a suitable block exists, 0 when nothing is free.
 *
 * Pages on per-CPU lists are not on the free lists and count as in use, as
 * in the kernel.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "fragindex.h"
#include "buddy.h"
#include "error.h"
#include "zone.h"

_Static_assert(PA_FRAG_ORDERS >= PA_ORDERS_MAX,
	       "pa_frag_index holds every order a zone may have");

/*
 * Free blocks per order as buddyinfo counts them (fa_nr_free: deferred
 * max-order blocks included); zone->lock held.  The one place this file
 * reads the free areas.
 */
static void read_free_counts(struct pa_zone *z, uint64_t nr_free[PA_FRAG_ORDERS])
{
	for (unsigned o = 0; o <= z->max_order; o++) {
		uint64_t n = 0;

		for (unsigned m = 0; m < PA_MT_TYPES; m++)
			n += fa_nr_free(z, o, m);
		nr_free[o] = n;
	}
}

struct contig_info {
	uint64_t free_pages, free_blocks, suitable;
};

static struct contig_info contig_info(const uint64_t *nr_free,
				      unsigned nr_orders, unsigned order)
{
	struct contig_info c = { 0, 0, 0 };

	for (unsigned o = 0; o < nr_orders; o++) {
		c.free_blocks += nr_free[o];
		c.free_pages += nr_free[o] << o;
		if (o >= order)
			c.suitable += nr_free[o] << (o - order);
	}
	return c;
}

static int unusable_milli(const struct contig_info *c, unsigned order)
{
	if (!c->free_pages)
		return 1000;
	return (int)((c->free_pages - (c->suitable << order)) * 1000 /
		     c->free_pages);
}

static int extfrag_milli(const struct contig_info *c, unsigned order)
{
	if (!c->free_blocks)
		return 0;
	if (c->suitable)
		return -1000;
	/* negative when a lone block is smaller than the order: the kernel
	 * does not clamp, and neither do we */
	return 1000 - (int)((1000 + c->free_pages * 1000 / (1ull << order)) /
			    c->free_blocks);
}

static struct contig_info contig_info_locked(struct pa_zone *z, unsigned order)
{
	uint64_t nr_free[PA_FRAG_ORDERS];

	read_free_counts(z, nr_free);
	return contig_info(nr_free, z->max_order + 1, order);
}

int fragindex_extfrag_locked(struct pa_zone *z, unsigned order)
{
	struct contig_info c = contig_info_locked(z, order);

	return extfrag_milli(&c, order);
}

int fragindex_unusable_locked(struct pa_zone *z, unsigned order)
{
	struct contig_info c = contig_info_locked(z, order);

	return unusable_milli(&c, order);
}

int pa_frag_index(struct pa_zone *z, struct pa_frag_index *out)
{
	if (!z || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	zone_lock(z);
	read_free_counts(z, out->nr_free);
	zone_unlock(z);
	out->nr_orders = z->max_order + 1;
	for (unsigned j = 0; j < out->nr_orders; j++) {
		struct contig_info c = contig_info(out->nr_free, out->nr_orders, j);

		out->unusable_milli[j] = unusable_milli(&c, j);
		out->extfrag_milli[j] = extfrag_milli(&c, j);
	}
	return 0;
}

/* "Node 0, zone   Normal " then one value per order, each printed as the
 * kernel does: integer part and remainder of the x1000 value (so a
 * negative value above -1 prints as " 0.-500", as debugfs shows it). */
static void print_row(struct pa_zone *z, FILE *f, const int *milli,
		      unsigned n, bool padded)
{
	fprintf(f, "Node %d, zone %8s ", 0, z->name);
	for (unsigned j = 0; j < n; j++) {
		/* extfrag_index pads the integer part to two columns (room
		 * for "-1"), unusable_index does not */
		if (padded)
			fprintf(f, "%2d.%03d ", milli[j] / 1000, milli[j] % 1000);
		else
			fprintf(f, "%d.%03d ", milli[j] / 1000, milli[j] % 1000);
	}
	fputc('\n', f);
}

/* buddyinfo's row: free blocks per order, as the kernel pads them. */
static void print_counts(struct pa_zone *z, FILE *f, const uint64_t *nr_free,
			 unsigned n)
{
	fprintf(f, "Node %d, zone %8s ", 0, z->name);
	for (unsigned o = 0; o < n; o++)
		fprintf(f, "%6" PRIu64 " ", nr_free[o]);
	fputc('\n', f);
}

void fragindex_report_buddyinfo(struct pa_zone *z, FILE *f)
{
	struct pa_frag_index fi;

	pa_frag_index(z, &fi);
	print_counts(z, f, fi.nr_free, fi.nr_orders);
}

int pa_report_frag_index(struct pa_zone *z, const struct pa_frag_index *fi,
			 enum pa_report what, FILE *out)
{
	if (!z || !fi || !out || fi->nr_orders > PA_FRAG_ORDERS) {
		pa_err(z, -EINVAL, "pa_report_frag_index: NULL argument or "
		       "%u orders", fi ? fi->nr_orders : 0);
		return -EINVAL;
	}
	switch (what) {
	case PA_REPORT_BUDDYINFO:
		print_counts(z, out, fi->nr_free, fi->nr_orders);
		break;
	case PA_REPORT_EXTFRAG_INDEX:
		print_row(z, out, fi->extfrag_milli, fi->nr_orders, true);
		break;
	case PA_REPORT_UNUSABLE_INDEX:
		print_row(z, out, fi->unusable_milli, fi->nr_orders, false);
		break;
	default:
		pa_err(z, -EINVAL, "pa_report_frag_index: report %d is not "
		       "one of a snapshot's", (int)what);
		return -EINVAL;
	}
	return fflush(out) || ferror(out) ? -EIO : 0;
}

void fragindex_report_extfrag(struct pa_zone *z, FILE *f)
{
	struct pa_frag_index fi;

	pa_frag_index(z, &fi);
	print_row(z, f, fi.extfrag_milli, fi.nr_orders, true);
}

void fragindex_report_unusable(struct pa_zone *z, FILE *f)
{
	struct pa_frag_index fi;

	pa_frag_index(z, &fi);
	print_row(z, f, fi.unusable_milli, fi.nr_orders, false);
}
