/* SPDX-License-Identifier: MIT */
/*
 * Output files: checked before the run, written through a temporary file
 * in the same directory and renamed, so that a failed or interrupted run
 * keeps the old file whole (outfile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"

static int fail(char *err, size_t len, int e, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = (size_t)vsnprintf(err, len, fmt, ap);
	va_end(ap);
	if (n < len)
		snprintf(err + n, len - n, ": %s", strerror(e));
	return -e;
}

/* Devices and the kernel's files are written where they are: /dev/stdout
 * may resolve to a regular file that must not be replaced. */
static bool written_directly(const char *path, const struct stat *st)
{
	return !S_ISREG(st->st_mode) || !strncmp(path, "/dev/", 5) ||
	       !strncmp(path, "/proc/", 6);
}

/* "DIR/.BASE.XXXXXX" for mkstemp: the temporary file beside the target,
 * hidden, so a rename never crosses a file system.  NULL: no memory, or
 * errno EISDIR for a name ending in '/'. */
static char *tmp_name(const char *target)
{
	const char *slash = strrchr(target, '/');
	size_t dlen = slash ? (size_t)(slash - target) : 0;
	const char *base = slash ? slash + 1 : target;
	size_t n = dlen + strlen(base) + 16;
	char *t;

	if (!*base) {
		errno = EISDIR;
		return NULL;
	}
	t = malloc(n);
	if (!t)
		return NULL;
	if (slash)
		snprintf(t, n, "%.*s/.%s.XXXXXX", (int)dlen, target, base);
	else
		snprintf(t, n, ".%s.XXXXXX", base);
	return t;
}

/* A temporary file beside target, open for writing; -errno. */
static int make_tmp(const char *target, char **tmp)
{
	int fd;

	*tmp = tmp_name(target);
	if (!*tmp)
		return -errno;
	fd = mkostemp(*tmp, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		free(*tmp);
		*tmp = NULL;
		return -e;
	}
	return fd;
}

int outfile_check(const char *path, char *err, size_t len)
{
	struct stat st;
	char *tmp;
	int fd;

	if (!*path)
		return fail(err, len, ENOENT, "an empty output file name");
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return fail(err, len, EISDIR, "%s: want a file name", path);
		if (access(path, W_OK) != 0)
			return fail(err, len, errno, "%s", path);
		if (written_directly(path, &st))
			return 0;
	} else if (errno != ENOENT) {
		return fail(err, len, errno, "%s", path);
	}
	/* the file will be created beside it: try it now, not after the run */
	fd = make_tmp(path, &tmp);
	if (fd < 0)
		return fail(err, len, -fd, "%s: cannot create a file there", path);
	close(fd);
	unlink(tmp);
	free(tmp);
	return 0;
}

int outfile_check_all(const char *cmd, const char *const *paths, unsigned n)
{
	char err[600];

	for (unsigned i = 0; i < n; i++)
		if (paths[i] && outfile_check(paths[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "pagealloc %s: %s\n", cmd, err);
			return 2;
		}
	return 0;
}

/* The mode a new file would get from fopen: 0666 less the umask. */
static mode_t new_file_mode(void)
{
	mode_t mask = umask(0);

	umask(mask);
	return 0666 & ~mask;
}

int outfile_open(struct outfile *o, const char *path)
{
	struct stat st;
	bool exists = stat(path, &st) == 0;
	mode_t mode = exists ? st.st_mode & 07777 : new_file_mode();
	int fd, e;

	memset(o, 0, sizeof(*o));
	if (exists && written_directly(path, &st)) {
		o->path = strdup(path);
		o->f = o->path ? fopen(path, "w") : NULL;
		if (o->f)
			return 0;
		e = o->path ? errno : ENOMEM;
		free(o->path);
		o->path = NULL;
		return -e;
	}
	/* through a symlink: replace the file it names, keep the link */
	o->path = exists ? realpath(path, NULL) : strdup(path);
	if (!o->path)
		return -errno;
	fd = make_tmp(o->path, &o->tmp);
	if (fd < 0 || fchmod(fd, mode) != 0 || !(o->f = fdopen(fd, "w"))) {
		e = fd < 0 ? -fd : errno;
		if (fd >= 0)
			close(fd);
		outfile_abort(o);
		return -e;
	}
	return 0;
}

int outfile_commit(struct outfile *o)
{
	/* fflush first: a full disk says ENOSPC, not EIO */
	int err = fflush(o->f) != 0 ? -errno : ferror(o->f) ? -EIO : 0;

	if (fclose(o->f) != 0 && !err)
		err = -errno;
	o->f = NULL;
	if (!err && o->tmp && rename(o->tmp, o->path) != 0)
		err = -errno;
	if (err) {
		outfile_abort(o);
		return err;
	}
	free(o->tmp);
	free(o->path);
	o->tmp = o->path = NULL;
	return 0;
}

void outfile_abort(struct outfile *o)
{
	if (o->f)
		fclose(o->f);
	if (o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	memset(o, 0, sizeof(*o));
}

int outfile_stdout_done(const char *cmd)
{
	int e;

	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	/* a failed fflush sets errno; an earlier failed write left only the
	 * stream's error flag, and errno may not be its reason */
	e = errno;
	fprintf(stderr, "pagealloc %s: cannot write to stdout: %s\n", cmd,
		e ? strerror(e) : "a write failed");
	return 1;
}
