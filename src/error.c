/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>

#include "error.h"
#include "zone.h"

/* Hand a one-line message to the zone's error hook, if it has one. */
void pa_err(const struct pa_zone *z, int err, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!z || !z->cfg.error_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	z->cfg.error_fn(z->cfg.error_arg, err, msg);
}
