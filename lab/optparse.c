/* SPDX-License-Identifier: MIT */
#include "optparse.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int opt_u64(const char *opt, const char *arg, uint64_t lo, uint64_t hi,
	    uint64_t *out, char *err, size_t len)
{
	unsigned long long v;
	char *end;

	/* strtoull would take a sign or leading blanks: refuse them */
	if (!arg || !isdigit((unsigned char)arg[0])) {
		snprintf(err, len, "%s: not a number: \"%s\"", opt, arg ? arg : "");
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(arg, &end, 0);
	if (*end || end == arg) {
		snprintf(err, len, "%s: not a number: \"%s\"", opt, arg);
		return -EINVAL;
	}
	if (errno == ERANGE || v < lo || v > hi) {
		snprintf(err, len, "%s: want %llu..%llu, got \"%s\"", opt,
			 (unsigned long long)lo, (unsigned long long)hi, arg);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int opt_uint(const char *opt, const char *arg, unsigned lo, unsigned hi,
	     unsigned *out, char *err, size_t len)
{
	uint64_t v;
	int rc = opt_u64(opt, arg, lo, hi < UINT_MAX ? hi : UINT_MAX, &v, err, len);

	if (!rc)
		*out = (unsigned)v;
	return rc;
}

int opt_double(const char *opt, const char *arg, double lo, double hi,
	       double *out, char *err, size_t len)
{
	char *end;
	double v;

	if (!arg || !*arg || isspace((unsigned char)arg[0])) {
		snprintf(err, len, "%s: not a number: \"%s\"", opt, arg ? arg : "");
		return -EINVAL;
	}
	v = strtod(arg, &end);
	if (*end || !isfinite(v) || !(v > lo) || v > hi) {
		snprintf(err, len, "%s: want a number in (%g, %g], got \"%s\"",
			 opt, lo, hi, arg);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* One decimal number of a list, *p on it; moves *p past it.  0 or
 * -EINVAL (not digits, or beyond hi, or below lo). */
static int list_number(const char **p, uint64_t lo, uint64_t hi,
		       uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)**p))
		return -EINVAL;
	errno = 0;
	v = strtoull(*p, &end, 10);
	if (errno == ERANGE || v < lo || v > hi)
		return -EINVAL;
	*p = end;
	*out = v;
	return 0;
}

int opt_id_list(const char *opt, const char *arg, uint64_t lo, uint64_t hi,
		bool ranges, char *err, size_t len)
{
	const char *p = arg ? arg : "";

	for (;;) {
		const char *item = p;
		uint64_t a, b;
		int bad = list_number(&p, lo, hi, &a);

		if (!bad && ranges && *p == '-') {
			p++;
			bad = list_number(&p, lo, hi, &b) || b < a;
		}
		if (bad || (*p && *p != ',')) {
			int n = (int)strcspn(item, ",");

			snprintf(err, len, "%s: want %s of %llu..%llu, got \"%.*s\" "
				 "in \"%s\"", opt, ranges ? "numbers or N-M ranges" :
				 "numbers", (unsigned long long)lo,
				 (unsigned long long)hi, n, item, arg ? arg : "");
			return -EINVAL;
		}
		if (!*p++)
			return 0;
	}
}
