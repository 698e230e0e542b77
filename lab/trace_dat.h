/* SPDX-License-Identifier: MIT */
/*
 * trace_dat - a trace-cmd trace.dat read through Debian's libtracecmd and
 * turned back into ftrace text lines, so the one text parser reads it: the
 * page events' fields are read by name from each record (not printed
 * through the events' print formats), every other event becomes a line
 * the parser counts as another event, and dropped events become
 * trace-cmd's "CPU:N [M EVENTS DROPPED]" marker.  Records come in
 * timestamp order across CPUs; timestamps in microseconds, as
 * `trace-cmd report` prints them.  Not thread-safe per reader.
 */
#ifndef PA_LAB_TRACE_DAT_H
#define PA_LAB_TRACE_DAT_H

#include <stddef.h>

struct trace_dat;

/* Open a trace.dat (a regular file: libtracecmd seeks in it).  Returns 0
 * and *out, or -EPROTONOSUPPORT (libtracecmd cannot read it), -ENOMEM,
 * with the reason in err. */
int trace_dat_open(struct trace_dat **out, const char *path, char *err,
		   size_t len);

/* Write the next line with its '\n' into buf (cap >= 512; a longer line
 * is cut to cap - 1 bytes and still ends in '\n').  Returns its length,
 * or 0 after the last record. */
size_t trace_dat_line(struct trace_dat *d, char *buf, size_t cap);

/* Close; NULL is a no-op. */
void trace_dat_close(struct trace_dat *d);

#endif
