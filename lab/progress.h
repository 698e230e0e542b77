/* SPDX-License-Identifier: MIT */
/*
 * progress - one self-overwriting status line on stderr (events, rate,
 * ETA) while a long replay runs, only when stderr is a terminal.
 */
#ifndef PA_LAB_PROGRESS_H
#define PA_LAB_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
	bool enabled;
	double start, last;  /* monotonic seconds */
	uint64_t total;      /* input bytes, 0 if unknown */
	const char *what;
};

/* Start; enabled only if stderr is a terminal (and `allow`). */
void progress_start(struct progress *p, const char *what, uint64_t total,
		    bool allow);
/* Report `events` done and `done` of `total` input bytes; prints at most
 * a few times a second, cheap to call often. */
void progress_update(struct progress *p, uint64_t events, uint64_t done);
/* Clear the line. */
void progress_end(struct progress *p);

/* Monotonic time in seconds. */
double progress_now(void);

#endif
