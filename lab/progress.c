/* SPDX-License-Identifier: MIT */
#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

double progress_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void progress_start(struct progress *p, const char *what, uint64_t total,
		    bool allow)
{
	p->enabled = allow && isatty(STDERR_FILENO);
	p->start = p->last = progress_now();
	p->total = total;
	p->what = what;
}

void progress_update(struct progress *p, uint64_t events, uint64_t done)
{
	double now, el;

	if (!p->enabled)
		return;
	now = progress_now();
	if (now - p->last < 0.25)
		return;
	p->last = now;
	el = now - p->start;
	fprintf(stderr, "\r%s: %.2fM events, %.2fM/s", p->what,
		(double)events / 1e6, el > 0 ? (double)events / el / 1e6 : 0.0);
	if (p->total && done && done <= p->total) {
		double frac = (double)done / (double)p->total;
		fprintf(stderr, ", %3.0f%%, ETA %.0fs", frac * 100,
			el / frac - el);
	}
	fprintf(stderr, "   ");
	fflush(stderr);
}

void progress_end(struct progress *p)
{
	if (p->enabled)
		fprintf(stderr, "\r%60s\r", "");
}
