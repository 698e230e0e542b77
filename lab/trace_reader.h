/* SPDX-License-Identifier: MIT */
/*
 * trace_reader - a line reader over plain, zstd or gzip text, or a
 * trace-cmd trace.dat (trace_dat.h), streaming in constant memory.  The
 * format is recognised by its magic bytes, not by the file name, so a
 * renamed file still reads.  "-" reads stdin.  zstd frame checksums are not
 * verified (the parser checks every line; a corrupt block still fails to
 * decode).  One reader is used by one thread at a time.
 *
 * A regular file is read ahead by a thread the reader starts at the first
 * trace_reader_next() and joins at the end of the input, on rewind and on
 * close: it decompresses and splits lines while the caller parses them.
 * While it runs, the figures below (position, CRC, truncated, overlong)
 * are those of the end of the chunk of lines being returned (a few
 * thousand lines ahead); once trace_reader_next() has returned -1 or
 * -EIO, they are exact.
 */
#ifndef PA_LAB_TRACE_READER_H
#define PA_LAB_TRACE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest line returned; a longer line (no kmem event is) is skipped whole
 * and counted in trace_reader_overlong(), never returned cut. */
#define TRACE_LINE_MAX 4096

enum trace_compression {
	TRACE_PLAIN,
	TRACE_ZSTD,
	TRACE_GZIP,
	TRACE_DAT,            /* trace-cmd's trace.dat, through libtracecmd */
};

struct trace_reader;

/*
 * Open `path` ("-" for stdin).  Returns 0 and sets *out, or a negative
 * errno with a one-line reason naming the file in err (if err && len):
 *   -ENOENT/-EACCES/-EISDIR/... the file cannot be opened or read;
 *   -EPROTONOSUPPORT the content is not text, zstd, gzip or a trace-cmd
 *   trace.dat in a regular file (a trace.dat on a pipe, one libtracecmd
 *   cannot read, or a perf.data is recognised and the reason gives the
 *   exact command that converts it: `trace-cmd report -i F`,
 *   `perf script -i F`);
 *   -ENOMEM no memory for the buffers.
 */
int trace_reader_open(struct trace_reader **out, const char *path,
		      char *err, size_t len);

/*
 * Next line, without its newline and NUL-terminated; a last line without
 * newline is returned too.  Returns the length (>= 0) and sets *line to a
 * buffer valid until the next call, or -1 at end of input, or -EIO on a
 * read or decompression error (the reason in trace_reader_error()).  A
 * compressed stream that ends early (truncated file) ends the input after
 * its last whole line and sets trace_reader_truncated().
 */
long trace_reader_next(struct trace_reader *r, const char **line);

/*
 * Make a second pass possible: a regular file is rewound to its start; a
 * pipe, FIFO or terminal (stdin, process substitution) is first copied
 * whole into an unlinked temporary file in $TMPDIR (default /tmp) and read
 * from there.  Call it before the first trace_reader_next().  Returns 0, or
 * -errno (no room for the copy, read error) with the reason in err.
 */
int trace_reader_make_seekable(struct trace_reader *r, char *err, size_t len);

/* Start again from the beginning of a seekable input (see above): decoder
 * state and the overlong count are reset.  Returns 0 or -errno (-ESPIPE for
 * a pipe). */
int trace_reader_rewind(struct trace_reader *r);

/* Compressed bytes consumed so far and the file size (0 when unknown,
 * e.g. a pipe), for progress and ETA. */
void trace_reader_position(const struct trace_reader *r, uint64_t *done,
			   uint64_t *total);

/* CRC-32 (zlib's) of the input bytes read so far, as stored (compressed;
 * a trace.dat's whole file from the start, as libtracecmd reads it itself);
 * at the end of input, the file's checksum: `python3 -c 'import zlib,sys;
 * print(zlib.crc32(open(sys.argv[1],"rb").read()))' FILE` gives the same. */
uint32_t trace_reader_crc32(const struct trace_reader *r);

enum trace_compression trace_reader_compression(const struct trace_reader *r);
/* True when the compressed stream ended in the middle of a frame. */
bool trace_reader_truncated(const struct trace_reader *r);
/* Lines longer than TRACE_LINE_MAX (skipped). */
uint64_t trace_reader_overlong(const struct trace_reader *r);
/* Reason of the last -EIO ("" if none). */
const char *trace_reader_error(const struct trace_reader *r);
/* Name of the compression ("plain", "zstd", "gzip"). */
const char *trace_compression_name(enum trace_compression c);

/* CPU time in ns of the read-ahead thread of the last pass, once it was
 * joined (at the end of the input, a rewind or close); 0 when none ran. */
uint64_t trace_reader_ahead_cpu_ns(const struct trace_reader *r);

/* Close and free; NULL is a no-op. */
void trace_reader_close(struct trace_reader *r);

#endif
