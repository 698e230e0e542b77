/* SPDX-License-Identifier: MIT */
#include "size.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int size_parse(const char *s, uint64_t *bytes)
{
	static const char units[] = "KMGTP";
	char *end;
	double v;
	int shift = 0;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	v = strtod(s, &end);
	if (*end) {
		const char *u = strchr(units, toupper((unsigned char)*end));
		if (!u || !*u)
			return -EINVAL;
		shift = 10 * (int)(u - units + 1);
		end++;
		if (*end && strcasecmp(end, "B") && strcasecmp(end, "iB"))
			return -EINVAL;
	}
	v = ldexp(v, shift);
	if (!(v >= 1) || v >= 18446744073709551616.0)
		return -EINVAL;
	*bytes = (uint64_t)v;
	return 0;
}

char *size_format(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	unsigned u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0 || v == floor(v))
		snprintf(buf, len, "%.0f %s", v, units[u]);
	else
		snprintf(buf, len, "%.2f %s", v, units[u]);
	return buf;
}
