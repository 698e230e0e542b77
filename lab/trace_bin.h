/* SPDX-License-Identifier: MIT */
/*
 * trace_bin - a trace's page events in a compact binary form (".paev"),
 * written by `pagealloc convert` and read by `pagealloc replay` instead of
 * the text: a capture replayed many times (policies, sizes, options) is
 * parsed once.  The file holds every event trace_parse_line() gave, in
 * trace order, and the counts of the other lines, so its replay is the
 * text's, report for report.
 *
 * Layout (little-endian):
 *   header   16 bytes: magic "\x89PAEV\r\n\x1a", u32 version (3), u32
 *            record size (24)
 *   records  24 bytes per event: u64 ts_ns; u64 pfn (bits 0-51) | kind
 *            (52-54) | has_cpu, failed, percpu_refill, fragmenting,
 *            change_ownership (55-59), bits 60-63 zero; u32 cpu; u8 order;
 *            u8 migratetype + 1; u8 fallback_order; u8
 *            fallback_migratetype + 1
 *   trailer  TRACE_BIN_TRAILER bytes: u64 events and the trace_lines
 *            counts, lines longer than the reader's limit, the source's
 *            bytes, zlib CRC-32, whether it was truncated and its path
 *            (trace_bin_info); zero padding; then a u64 XXH3-64 (seed 0,
 *            libxxhash) of every byte of the file before it.
 * Version 1 (a CRC-32C in the last four bytes) and version 2 (before the
 * kind TEV_VMSTAT, kind 6) are refused with the version's reason:
 * `pagealloc convert` makes a version 3 file again.
 * The reader refuses anything else: another magic or version, a size that
 * is not header + n records + trailer, a checksum mismatch, a count that
 * disagrees with the size, nonzero padding, or a record whose fields the
 * parser could not have produced.
 */
#ifndef PA_LAB_TRACE_BIN_H
#define PA_LAB_TRACE_BIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace_lines.h"
#include "trace_parse.h"

#define TRACE_BIN_MAGIC "\x89PAEV\r\n\x1a"
#define TRACE_BIN_MAGIC_LEN 8
#define TRACE_BIN_VERSION 3  /* 1: CRC-32C; 2: no vmstat_update kind: refused */
#define TRACE_BIN_HEADER 16
#define TRACE_BIN_RECORD 24
#define TRACE_BIN_TRAILER 384
#define TRACE_BIN_PATH_MAX 256

/* What the trailer records about the text the events came from. */
struct trace_bin_info {
	struct trace_lines lines;
	uint64_t overlong;       /* lines over the reader's limit, skipped */
	uint64_t source_bytes;   /* the source as stored (compressed) */
	uint32_t source_crc32;   /* zlib CRC-32 of those bytes */
	bool truncated;          /* its compressed stream ended mid-frame */
	char source[TRACE_BIN_PATH_MAX]; /* its path as given */
};

struct trace_bin;

/* Whether `path` is a regular file that starts with the magic. */
bool trace_bin_is(const char *path);

/*
 * Open and check a .paev file: mapped whole, its checksum and every record
 * verified before anything is returned.  Returns 0 and *out, or -errno
 * with a reason naming the file in err: -ENOENT/-EACCES/... unreadable;
 * -EPROTONOSUPPORT not a .paev, another version, or corrupt (the reason
 * says what); -ENOMEM.
 */
int trace_bin_open(struct trace_bin **out, const char *path, char *err,
		   size_t len);

/* The trailer's figures. */
const struct trace_bin_info *trace_bin_info(const struct trace_bin *b);

/* The next event into *ev: true, or false at the end. */
bool trace_bin_next(struct trace_bin *b, struct trace_event *ev);

/* Events returned so far and in all, for progress. */
void trace_bin_position(const struct trace_bin *b, uint64_t *done,
			uint64_t *total);

/* Back to the first event. */
void trace_bin_rewind(struct trace_bin *b);

/* Unmap and free; NULL is a no-op. */
void trace_bin_close(struct trace_bin *b);

/*
 * Convert the trace at `src` (anything trace_reader_open reads, "-" for
 * stdin) into `dst` (written through outfile.h: nothing is left behind on
 * failure).  *info (if not NULL) receives the trailer's figures.  Returns
 * 0; -errno of the input (as trace_reader_open, -EIO corrupt mid-way,
 * -ENODATA no page event in it) with the reason in err and *out_failed
 * false; or -errno of the output with *out_failed true.
 */
int trace_bin_convert(const char *src, const char *dst,
		      struct trace_bin_info *info, bool *out_failed,
		      char *err, size_t len);

#endif
