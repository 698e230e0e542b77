/* SPDX-License-Identifier: MIT */
/*
 * replay - feed kernel page-allocator traces to the policies on a simulated
 * machine sized like the traced one.  `pagealloc replay` (cmd_replay) is the
 * command; replay_traces() the engine, also used by the tests.
 */
#ifndef PA_LAB_REPLAY_H
#define PA_LAB_REPLAY_H

#include <stdbool.h>
#include <stddef.h>

#include "report.h"
#include "sim.h"

struct replay_opts {
	const char *const *traces;   /* replayed one after another */
	unsigned ntraces;
	struct sim_config cfg;       /* policies; bytes/ncpus 0: from the
	                              * trace's zoneinfo or pfn span */
	const char *zoneinfo;        /* NULL: the file beside the first trace */
	bool progress;               /* progress line if stderr is a tty */
	bool cold;                   /* start empty, not as the trace shows
	                              * the machine was (lab/warm.h) */
	bool prefill;                /* start with pagesets filled to the
	                              * zoneinfo's per-CPU counts, the zone
	                              * otherwise empty (implies cold) */
};

/*
 * Replay.  On success returns 0 with *out a finished simulation (the
 * caller sim_destroy()s and free()s it) and *tally filled.  Errors:
 * -ENOENT/-EACCES/-EPROTONOSUPPORT/... an input cannot be read or is not
 * a trace (the reason names the file), -EINVAL bad options, -EIO a read
 * error mid-way, -ENOMEM.  The reason goes to err.
 */
int replay_traces(const struct replay_opts *o, struct sim **out,
		  struct trace_tally *tally, double *elapsed, char *err,
		  size_t len);

#endif
