/* SPDX-License-Identifier: MIT */
/*
 * trace_lines - what the lines of one trace were, counted: the replay and
 * `pagealloc convert` (trace_bin.h) classify every line the same way, so a
 * converted trace replays with the very counts its text gives.
 */
#ifndef PA_LAB_TRACE_LINES_H
#define PA_LAB_TRACE_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace_parse.h"

/* One trace's lines by kind (trace_parse_line's classes). */
struct trace_lines {
	uint64_t lines;          /* every line read */
	uint64_t events;         /* TL_EVENT */
	uint64_t comments, other, malformed;
	uint64_t lost_unknown;   /* lost-event markers without a count */
	uint64_t lost_markers;   /* events the in-stream markers say were lost */
	uint64_t lost_trailer;   /* the largest capture trailer's lost_events */
};

/* Parse and count one line of `n` bytes; true (with *ev filled) when it is
 * a page event.  Thread-compatible: c is the caller's. */
bool trace_lines_take(struct trace_lines *c, const char *line, size_t n,
		      struct trace_event *ev);

/* Events the trace says were lost: the larger of its markers and its
 * capture trailer (a trailer counts what the markers count, and more). */
static inline uint64_t trace_lines_lost(const struct trace_lines *c)
{
	return c->lost_markers > c->lost_trailer ? c->lost_markers :
						   c->lost_trailer;
}

#endif
