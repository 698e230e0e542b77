/* SPDX-License-Identifier: MIT */
/* size - memory sizes on the command line ("256G", "1T", "512MiB"). */
#ifndef PA_LAB_SIZE_H
#define PA_LAB_SIZE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse a size: a number (decimal, fractions allowed) and an optional
 * binary suffix K, M, G, T (also KB/KiB/...; powers of 1024) or none for
 * bytes.  Returns 0, or -EINVAL for anything else, zero, or overflow.
 */
int size_parse(const char *s, uint64_t *bytes);

/* "4.88 GiB", "512 MiB", "4096 B" into buf; returns buf. */
char *size_format(uint64_t bytes, char *buf, size_t len);

#endif
