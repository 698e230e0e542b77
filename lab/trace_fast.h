/* SPDX-License-Identifier: MIT */
/*
 * trace_fast - the fast path of trace_parse_line(): one pass over a line
 * laid out exactly as tracefs prints the five kmem page events a replay
 * uses (mm_page_alloc, _free, _free_batched, _alloc_zone_locked,
 * _pcpu_drain), fields found in their printed order instead of by the
 * general key=value scan.  Anything else (other events, extfrag, perf
 * script and trace-cmd layouts, extra blanks, odd numbers, any corruption)
 * is declined and left to the general grammar, so the result of
 * trace_parse_line() is the general grammar's by construction
 * (tests/test_lab_parse.c checks both on mutated lines).
 */
#ifndef PA_LAB_TRACE_FAST_H
#define PA_LAB_TRACE_FAST_H

#include <stdbool.h>
#include <stddef.h>

#include "trace_parse.h"

/*
 * Parse `len` bytes of `line` (need not be NUL-terminated; never read past
 * line[len-1]).  Returns true and fills *ev exactly as
 * trace_parse_general() would for a TL_EVENT line; returns false, with *ev
 * unspecified, for every line it does not fully recognise.  Reentrant.
 */
bool trace_parse_fast(const char *line, size_t len, struct trace_event *ev);

#endif
