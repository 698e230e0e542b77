/* SPDX-License-Identifier: MIT */
/*
 * utf8 - well-formed UTF-8 for the reports: file names need not be UTF-8,
 * but the JSON and HTML files that carry them must be.
 */
#ifndef PA_LAB_UTF8_H
#define PA_LAB_UTF8_H

#include <stddef.h>

/* Length of the well-formed UTF-8 sequence at s (1..4), or 0 when the
 * bytes there are not one (stray continuation, overlong, surrogate, cut
 * by the terminating NUL).  s points at a NUL-terminated string. */
size_t utf8_len(const unsigned char *s);

#endif
