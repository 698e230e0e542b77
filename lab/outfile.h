/* SPDX-License-Identifier: MIT */
/*
 * Output files of the lab (--json, --html, calibrate's FILE, capture's
 * trace): checked before a run spends its time, and written so that a
 * failed run never leaves half a file nor destroys the old one.
 *
 * A regular file (or a name that does not exist yet) is written to a
 * temporary file in the same directory and renamed onto the name when
 * every byte is out; a symlink to a regular file replaces the file it
 * points to.  Anything else - a character device such as /dev/full, a
 * FIFO, a terminal, a name under /dev/ or /proc/ (/dev/stdout) - is
 * written directly, and its write error is reported.
 *
 * Not thread-safe: outfile_open reads the process umask by setting it;
 * the lab calls it from its main thread only.
 */
#ifndef LAB_OUTFILE_H
#define LAB_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* One output being written.
 *   f     the stream to write to
 *   path  the name written at the end (the symlink's target resolved)
 *   tmp   the temporary file beside it, or NULL when written directly
 * Invariant: tmp != NULL exactly when the output will be renamed. */
struct outfile {
	FILE *f;
	char *path;
	char *tmp;
};

/* Whether `path` can be written, without writing it: not a directory,
 * its directory exists and a file can be created there, an existing
 * regular file is writable.  0, or -errno with a message naming the path
 * in err.  Call it for every output before the run starts. */
int outfile_check(const char *path, char *err, size_t len);

/* outfile_check for each of n paths (NULLs skipped); on the first that
 * fails prints "pagealloc CMD: ..." on stderr.  0 or 2 (the exit status
 * of a usage error). */
int outfile_check_all(const char *cmd, const char *const *paths, unsigned n);

/* Open `path` for writing as described above.  0, or -errno (o is then
 * empty).  ENOMEM, or the errors of open/mkstemp/realpath. */
int outfile_open(struct outfile *o, const char *path);

/* Flush and close; on success rename the temporary file onto the name.
 * On any error the temporary file is removed and the old file is left
 * as it was.  0, or -errno of the first failure (ENOSPC for a full
 * disk or /dev/full; EIO when the stream had an error without one). */
int outfile_commit(struct outfile *o);

/* Give up: close and remove the temporary file (the old file stays). */
void outfile_abort(struct outfile *o);

/* Flush stdout and report a write error as "pagealloc CMD: cannot write
 * to stdout: REASON".  0 or 1 (the exit status of a failed output). */
int outfile_stdout_done(const char *cmd);

#endif
