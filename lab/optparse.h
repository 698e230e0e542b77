/* SPDX-License-Identifier: MIT */
/*
 * optparse - strict number parsing for command-line option values, in one
 * place for every subcommand.  strtoul() alone accepts "-1" (as ULONG_MAX),
 * leading blanks and values that wrap when stored in a narrower type; these
 * helpers accept only what they say and name the option in the reason.
 */
#ifndef PA_LAB_OPTPARSE_H
#define PA_LAB_OPTPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * An unsigned integer in [lo, hi]: decimal, or hex with 0x; no sign, no
 * blanks, no trailing characters.  Returns 0 and sets *out, or -EINVAL
 * with "OPT: want LO..HI, got \"ARG\"" (or "not a number") in err.
 * Pure function; thread-safe.
 */
int opt_u64(const char *opt, const char *arg, uint64_t lo, uint64_t hi,
	    uint64_t *out, char *err, size_t len);

/* opt_u64() into an unsigned (hi is clipped to UINT_MAX). */
int opt_uint(const char *opt, const char *arg, unsigned lo, unsigned hi,
	     unsigned *out, char *err, size_t len);

/* A finite number in (lo, hi] (strtod syntax, no trailing characters).
 * Returns 0 or -EINVAL with the reason. */
int opt_double(const char *opt, const char *arg, double lo, double hi,
	       double *out, char *err, size_t len);

/*
 * A list of unsigned integers, each in [lo, hi], separated by commas:
 * "123,456"; with ranges true also "N-M" (N <= M) items: "0-3,8".  Each
 * number as opt_u64() takes it (decimal only).  Returns 0, or -EINVAL
 * with "OPT: ..." naming the first bad item in err.  Nothing is stored:
 * the caller hands the checked text on (a tracefs file takes it as is).
 * Pure function; thread-safe.
 */
int opt_id_list(const char *opt, const char *arg, uint64_t lo, uint64_t hi,
		bool ranges, char *err, size_t len);

#endif
