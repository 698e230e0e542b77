/* SPDX-License-Identifier: MIT */
/*
 * Error reporting (error.c): a message for the zone's error hook.
 */
#ifndef PA_ERROR_H
#define PA_ERROR_H

struct pa_zone;

/* Format a one-line message and hand it, with err, to the zone's
 * cfg.error_fn; nothing if z is NULL or has no hook.  Uses vsnprintf, so
 * not async-signal-safe (the nolock paths stay silent, alloc.h REPORT). */
void pa_err(const struct pa_zone *z, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
