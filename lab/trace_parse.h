/* SPDX-License-Identifier: MIT */
/*
 * trace_parse - one ftrace text line (as tracefs `trace`/`trace_pipe` write
 * it, as `trace-cmd report` prints it, also with -l, or as `perf script`
 * prints it with the "kmem:" prefix) into a kmem page event.
 * Hand-written and allocation-free: the replay parses millions of lines a
 * second.  Formats: ../docs/LAB.md and the kernel's kmem trace events.
 */
#ifndef PA_LAB_TRACE_PARSE_H
#define PA_LAB_TRACE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum trace_kind {
	TEV_ALLOC,          /* mm_page_alloc */
	TEV_FREE,           /* mm_page_free */
	TEV_FREE_BATCHED,   /* mm_page_free_batched (also reported as free) */
	TEV_ZONE_LOCKED,    /* mm_page_alloc_zone_locked */
	TEV_PCPU_DRAIN,     /* mm_page_pcpu_drain */
	TEV_EXTFRAG,        /* mm_page_alloc_extfrag */
	TEV_NR,             /* the page events above: tallies count these */
	/* workqueue_execute_start of vmstat_update: the kernel's per-CPU
	 * vmstat work, which decays that CPU's pageset `high`, ran on
	 * ev->cpu at ev->ts_ns (no page: pfn and order 0) */
	TEV_VMSTAT = TEV_NR,
};

/* Event name as the kernel prints it ("mm_page_alloc", ...;
 * "vmstat_update" for TEV_VMSTAT). */
const char *trace_kind_name(enum trace_kind kind);

/* Latest timestamp accepted, in seconds (317 years of uptime; its ns fit
 * 64 bits): a later one is a malformed line. */
#define TRACE_TS_MAX_S 10000000000ull

/* Highest pfn accepted: 64-bit physical addresses of 4 KiB pages. */
#define TRACE_PFN_MAX ((1ull << 52) - 1)

struct trace_event {
	enum trace_kind kind;
	unsigned cpu;          /* the [NNN] field; 0 when the line has none */
	bool has_cpu;
	uint64_t ts_ns;        /* timestamp in ns (0 when absent) */
	uint64_t pfn;
	unsigned order;        /* order, or alloc_order for extfrag */
	int migratetype;       /* -1 when neither migratetype= nor gfp_flags= */
	bool failed;           /* mm_page_alloc of no page (pfn 0 / page (nil)) */
	bool percpu_refill;    /* mm_page_alloc_zone_locked */
	/* mm_page_alloc_extfrag */
	unsigned fallback_order;
	int fallback_migratetype;
	bool fragmenting;
	bool change_ownership;
};

enum trace_line {
	TL_EVENT,      /* *ev filled */
	TL_OTHER,      /* a well-formed event line of another event: ignored */
	TL_COMMENT,    /* blank, '#' header, trace-cmd preamble ("cpus=2",
	                * "CPU 0 is empty", "version = 6") */
	TL_LOST,       /* "CPU:N [LOST M EVENTS]" (ftrace) or "CPU:N [M EVENTS
	                * DROPPED]" (trace-cmd): *lost = M */
	TL_LOST_UNKNOWN, /* the same markers without a count ("[LOST EVENTS]",
	                * "[EVENTS DROPPED]"): events were lost, how many is
	                * unknown */
	TL_MALFORMED,  /* cut or corrupt: skipped, the caller counts it */
};

/*
 * Parse one line of `len` bytes (need not be NUL-terminated).  Returns the
 * kind of line; only TL_EVENT fills *ev and only TL_LOST sets *lost.  Never
 * reads beyond line[len-1]; any byte sequence is safe.
 */
enum trace_line trace_parse_line(const char *line, size_t len,
				 struct trace_event *ev, uint64_t *lost);

/*
 * The same grammar without the fast path for tracefs' own layout
 * (trace_fast.h): what trace_parse_line() returns for every line, and the
 * reference the fast path is tested against.  Same contract; slower.
 */
enum trace_line trace_parse_general(const char *line, size_t len,
				    struct trace_event *ev, uint64_t *lost);

/*
 * Migratetype implied by a gfp_flags value as printed: symbolic names
 * ("GFP_HIGHUSER_MOVABLE|__GFP_COMP": Movable if a MOVABLE flag is named,
 * Reclaimable if RECLAIMABLE is) or a hex mask (kernel bit values of
 * __GFP_MOVABLE 0x08 and __GFP_RECLAIMABLE 0x10).  Returns 0..2.
 */
int trace_gfp_migratetype(const char *s, size_t len);

#endif
