/* SPDX-License-Identifier: MIT */
/*
 * costmodel - what an allocator operation costs in virtual time.  The
 * allocator itself decides what each call does (how many zone->lock holds,
 * pages and free-list operations); this says how long that takes on the
 * machine being predicted.  The figures come from `pagealloc calibrate`
 * (a benchmark of the library's own operations on this machine) written to
 * a file, or from the defaults compiled in.  docs/VTIME.md has the model.
 */
#ifndef PA_LAB_COSTMODEL_H
#define PA_LAB_COSTMODEL_H

#include <stddef.h>
#include <stdio.h>

struct costmodel {
	double call_ns;          /* one alloc or free served by a per-CPU
	                          * list: entry, pcp lock, list op, counters */
	double lock_ns;          /* an uncontended zone->lock acquire+release
	                          * with the line already in this CPU's cache */
	double page_ns;          /* per page moved under zone->lock */
	double list_op_ns;       /* per free-list operation under zone->lock
	                          * (a block of any order taken or given) */
	double merge_ns;         /* per buddy a free merges in, and per piece
	                          * a split puts back, under zone->lock: one
	                          * more piece's state and list link each */
	double pb_walk_ns;       /* per entry (page or free block) a
	                          * fallback's walk of a pageblock looks at,
	                          * under zone->lock: counting its movable
	                          * pages before a claim, moving its free
	                          * blocks after one */
	double handoff_ns;       /* zone->lock and its data moving from one
	                          * CPU's cache to another's (measured between
	                          * two real CPUs) */
	double handoff_waiter_ns; /* extra per CPU spinning at a hand-off: the
	                          * line is shared by every waiter (not
	                          * measurable on 2 CPUs: an assumption) */
	double remote_ns;        /* a push to / swap of a remote-free list:
	                          * one contended atomic on another CPU's line */
	double think_scale;      /* multiplies the workload's own time between
	                          * calls (1: as generated or traced) */
	double miss_ns;          /* a call whose page metadata is not in this
	                          * CPU's cache: another CPU's line, a first
	                          * touch, or a line last touched 16 MiB of
	                          * metadata ago (random frees over 4 GiB) */
	double miss_1m_ns;       /* ... last touched at most 1 MiB ago; 0
	                          * with the 4m and 64m ones 0: every miss
	                          * costs miss_ns */
	double miss_4m_ns;       /* ... 4 MiB ago */
	double miss_64m_ns;      /* ... 64 MiB ago or more */
	double cache_lines;      /* per-CPU cache for page metadata, 64-byte
	                          * lines (4 pages each): an assumption */
	double walk_ns;          /* per list entry a pageset merge pass
	                          * looks at (pcpbuddy, spb: before each
	                          * drain and each refill above order 0;
	                          * the library's pcpb_merge_walked) when
	                          * it is next to the previous one */
	double walk_hop_ns;      /* ... instead, per entry that is not next
	                          * to the previous one in the list (not
	                          * the same or the next metadata line): a
	                          * dependent load not prefetched */
	double tlb_pages;        /* per-CPU TLB entries for page metadata
	                          * (4 KiB pages of it, 256 pages of memory
	                          * each): an assumption */
	double tlb_miss_ns;      /* a touch whose metadata page is not in
	                          * the CPU's TLB, beyond the line's cost */
	double scan_ns;          /* per pfn compaction's migrate scanner
	                          * steps on (a block's head: a free or
	                          * allocated block is one step) */
	double compact_ns;       /* per compaction run, besides its steps
	                          * and moves: the pagesets drained, the
	                          * suitability checks, a lock round trip
	                          * per pageblock the migrate scanner
	                          * visits */
	double free_scan_ns;     /* per pfn its free scanner steps on,
	                          * looking for a free block to move into:
	                          * a read down a mostly allocated pageblock,
	                          * cheaper than a migrate scanner's step */
	double migrate_ns;       /* per block moved (compaction, evacuation),
	                          * any order: isolate, destination, move,
	                          * free (the lab's pages carry no data) */
	double owner_ns;         /* an allocation its caller marks movable
	                          * (pa_set_page_movable: the lab's owner,
	                          * as anonymous memory is the kernel's) */
};

/* The compiled-in defaults (a calibration of this machine, see
 * docs/VTIME.md).  Never fails. */
struct costmodel costmodel_default(void);

/*
 * Read "key = value" lines (keys as the struct fields; '#' comments) over
 * *m, so a file may set only some figures.  Returns 0, -errno when the
 * file cannot be read, or -EINVAL for an unknown key, a value that is
 * not a finite number >= 0, binary data (a NUL byte) or a line longer
 * than 255 bytes, with the reason (file and line) in err.
 */
int costmodel_load(struct costmodel *m, const char *path, char *err,
		   size_t len);

/*
 * What a miss costs when the line was last touched by this CPU `lines`
 * metadata lines ago: nothing within m->cache_lines; beyond, the
 * calibrated costs of random accesses over 1, 4, 16 and 64 MiB of
 * metadata, interpolated in log2 of the footprint between them (and from
 * nothing at the cache's size up to the 1 MiB figure), flat past 64 MiB;
 * m->miss_ns whatever the distance when miss_1m_ns, miss_4m_ns and
 * miss_64m_ns are all 0.  Never fails.
 */
double costmodel_miss_at(const struct costmodel *m, double lines);

/* The four calibrated miss figures, in this order in the weights below:
 * miss_1m_ns, miss_4m_ns, miss_ns (16 MiB), miss_64m_ns. */
#define COSTMODEL_MISS_FIGS 4

/*
 * costmodel_miss_at(m, lines) as weights on the four miss figures: it is
 * their sum weighted by w (set here; each in 0..1, summing to at most 1),
 * so a priced miss can be priced again at other figures (--measure
 * prices misses at figures measured beside the timed calls).  Never
 * fails.
 */
void costmodel_miss_weights(const struct costmodel *m, double lines,
			    double w[COSTMODEL_MISS_FIGS]);

/* The four miss figures of m, in the weights' order. */
void costmodel_miss_figures(const struct costmodel *m,
			    double y[COSTMODEL_MISS_FIGS]);

/* The reuse distance, in lines, at which costmodel_miss_at() gives
 * miss_ns: 16 MiB of metadata. */
#define COSTMODEL_MISS_NS_LINES (16.0 * 1024 * 1024 / 64)

/*
 * The share of random accesses over `lines` metadata lines whose 4 KiB
 * metadata page the TLB does not map: 0 while the footprint fits in
 * m->tlb_pages pages, else 1 - mapped / footprint.  Never fails.
 */
double costmodel_tlb_share(const struct costmodel *m, double lines);

/*
 * The line's part of costmodel_miss_at(): the calibrated random accesses
 * missed the TLB too, as often as costmodel_tlb_share() says, so that
 * share of m->tlb_miss_ns is taken out (the engine prices page misses on
 * their own); never below 0.  Equal to costmodel_miss_at() when
 * tlb_miss_ns is 0.  Never fails.
 */
double costmodel_line_miss_at(const struct costmodel *m, double lines);

/*
 * The zone->lock work, ns, of `acq` holds moving `pages` pages in
 * `list_ops` free-list operations with `merges` buddy merges and split
 * pieces and `pb_walked` entries of fallbacks' pageblock walks: what the
 * engine charges and what the calibration fits.  Never fails.
 */
double costmodel_zone_ns(const struct costmodel *m, double acq, double pages,
			 double list_ops, double merges, double pb_walked);

/* Write every figure in the format costmodel_load() reads.  Returns 0 or
 * -EIO. */
int costmodel_write(const struct costmodel *m, FILE *out);

#endif
