/* SPDX-License-Identifier: MIT */
/*
 * `pagealloc capture OUT -- CMD [ARGS]`: record the running kernel's kmem
 * page events system-wide while CMD runs.  Events are streamed from
 * trace_pipe (a consuming read, so the ring buffer never has to hold the
 * whole capture), task names and pids are replaced by "task-0" so a trace
 * can be shared, and the text is zstd-compressed as it arrives.  Every
 * tracefs setting changed is put back, and tracefs is unmounted again if
 * this command mounted it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include "commands.h"
#include "trace_parse.h"

static const char *const events[] = {
	"mm_page_alloc", "mm_page_free", "mm_page_free_batched",
	"mm_page_alloc_zone_locked", "mm_page_pcpu_drain",
	"mm_page_alloc_extfrag",
};
#define NEVENTS (sizeof(events) / sizeof(events[0]))
#define BUFFER_KB 16384 /* per CPU while capturing: bursts outrun reads */

struct capture {
	char root[64];             /* tracefs mount point */
	bool mounted;              /* we mounted it */
	char old_enable[NEVENTS];  /* '0'/'1', 0 if unknown */
	char old_on;
	char old_buffer_kb[64];
	FILE *out;
	ZSTD_CStream *zc;
	char *zbuf;
	size_t zbuf_len;
	uint64_t lines, lost_lines_events, bytes_in;
	char pending[8192];        /* partial line between reads */
	size_t npending;
};

/* Set by SIGINT/SIGTERM: stop capturing, restore, exit.  A signal handler
 * can only reach static storage. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int read_small(const char *root, const char *rel, char *buf, size_t len)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int write_small(const char *root, const char *rel, const char *val)
{
	char path[256];
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int find_tracefs(struct capture *c)
{
	static const char *const roots[] = { "/sys/kernel/tracing",
					     "/sys/kernel/debug/tracing" };
	struct stat st;

	for (size_t i = 0; i < 2; i++) {
		char p[96];
		snprintf(p, sizeof(p), "%s/trace_pipe", roots[i]);
		if (stat(p, &st) == 0) {
			snprintf(c->root, sizeof(c->root), "%s", roots[i]);
			return 0;
		}
	}
	if (geteuid() != 0) {
		fprintf(stderr, "pagealloc capture: tracefs is not mounted and "
			"mounting it needs root (run as root, or: mount -t tracefs "
			"nodev /sys/kernel/tracing)\n");
		return -EPERM;
	}
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) != 0) {
		fprintf(stderr, "pagealloc capture: cannot mount tracefs on "
			"/sys/kernel/tracing: %s (is CONFIG_TRACING enabled?)\n",
			strerror(errno));
		return -errno;
	}
	snprintf(c->root, sizeof(c->root), "/sys/kernel/tracing");
	c->mounted = true;
	return 0;
}

static void restore(struct capture *c)
{
	char rel[128];

	if (c->old_on)
		write_small(c->root, "tracing_on", c->old_on == '1' ? "1" : "0");
	for (size_t i = 0; i < NEVENTS; i++) {
		if (!c->old_enable[i])
			continue;
		snprintf(rel, sizeof(rel), "events/kmem/%s/enable", events[i]);
		write_small(c->root, rel, c->old_enable[i] == '1' ? "1" : "0");
	}
	if (c->old_buffer_kb[0]) {
		/* "7 (expanded: 1408)": the buffer was not allocated yet and
		 * would have grown to 1408 on first use, so that is the size
		 * to give back */
		const char *e = strstr(c->old_buffer_kb, "expanded:");
		char v[32];
		snprintf(v, sizeof(v), "%ld",
			 strtol(e ? e + 9 : c->old_buffer_kb, NULL, 10));
		write_small(c->root, "buffer_size_kb", v);
	}
	if (c->mounted && umount("/sys/kernel/tracing") != 0)
		fprintf(stderr, "pagealloc capture: warning: cannot unmount "
			"tracefs: %s\n", strerror(errno));
}

static int zwrite(struct capture *c, const void *data, size_t n,
		  ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = { data, n, 0 };

	for (;;) {
		ZSTD_outBuffer out = { c->zbuf, c->zbuf_len, 0 };
		size_t rem = ZSTD_compressStream2(c->zc, &out, &in, mode);

		if (ZSTD_isError(rem)) {
			fprintf(stderr, "pagealloc capture: zstd: %s\n",
				ZSTD_getErrorName(rem));
			return -EIO;
		}
		if (out.pos && fwrite(c->zbuf, 1, out.pos, c->out) != out.pos)
			return -EIO;
		if (mode == ZSTD_e_end ? rem == 0 : in.pos == in.size)
			return 0;
	}
}

/* One line: task-pid replaced, then compressed. */
static int emit_line(struct capture *c, const char *line, size_t n)
{
	static const char prefix[] = "          task-0     ";
	struct trace_event ev;
	uint64_t lost = 0;
	const char *b = line;
	int rc;

	c->lines++;
	if (trace_parse_line(line, n, &ev, &lost) == TL_LOST)
		c->lost_lines_events += lost;
	/* the CPU field starts the part we keep */
	while ((b = memchr(b, '[', (size_t)(line + n - b)))) {
		const char *d = b + 1;
		while (d < line + n && *d >= '0' && *d <= '9')
			d++;
		if (d > b + 1 && d < line + n && *d == ']' &&
		    (b == line || b[-1] == ' '))
			break;
		b++;
	}
	if (b && line[0] != 'C') {
		if ((rc = zwrite(c, prefix, sizeof(prefix) - 1, ZSTD_e_continue)))
			return rc;
		n -= (size_t)(b - line);
		line = b;
	}
	if ((rc = zwrite(c, line, n, ZSTD_e_continue)))
		return rc;
	return zwrite(c, "\n", 1, ZSTD_e_continue);
}

static int consume(struct capture *c, const char *buf, size_t n)
{
	c->bytes_in += n;
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n' || c->npending == sizeof(c->pending)) {
			int rc = emit_line(c, c->pending, c->npending);
			c->npending = 0;
			if (rc)
				return rc;
			if (buf[i] == '\n')
				continue;
		}
		c->pending[c->npending++] = buf[i];
	}
	return 0;
}

static uint64_t overruns(const char *root)
{
	uint64_t total = 0;

	for (int cpu = 0; cpu < 4096; cpu++) {
		char rel[64], path[160], line[128];
		FILE *f;

		snprintf(rel, sizeof(rel), "per_cpu/cpu%d/stats", cpu);
		snprintf(path, sizeof(path), "%s/%s", root, rel);
		f = fopen(path, "r");
		if (!f)
			break;
		while (fgets(line, sizeof(line), f))
			if (strncmp(line, "overrun:", 8) == 0)
				total += strtoull(line + 8, NULL, 10);
		fclose(f);
	}
	return total;
}

static int copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "r"), *out;
	char buf[8192];
	size_t n;

	if (!in)
		return -errno;
	out = fopen(to, "w");
	if (!out) {
		fclose(in);
		return -errno;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	return fclose(out) == 0 ? 0 : -errno;
}

/* fork + exec CMD.  A close-on-exec pipe tells whether exec worked, so a
 * command that cannot start fails the capture (instead of a trace of
 * nothing and exit 0).  Returns the child's pid or -1 (said on stderr). */
static pid_t start_command(char **cmd)
{
	int p[2], err = 0;
	pid_t child;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) < 0) {
		fprintf(stderr, "pagealloc capture: pipe: %s\n", strerror(errno));
		return -1;
	}
	child = fork();
	if (child < 0) {
		fprintf(stderr, "pagealloc capture: fork: %s\n", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (child == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		close(p[0]);
		execvp(cmd[0], cmd);
		err = errno;
		if (write(p[1], &err, sizeof(err)) < 0)
			_exit(126);
		_exit(127);
	}
	close(p[1]);
	do
		n = read(p[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n == (ssize_t)sizeof(err)) {
		fprintf(stderr, "pagealloc capture: cannot run %s: %s\n", cmd[0],
			strerror(err));
		waitpid(child, NULL, 0);
		return -1;
	}
	return child;
}

static void capture_usage(FILE *f)
{
	fprintf(f,
"usage: pagealloc capture OUT -- CMD [ARGS]\n"
"\n"
"Record the kernel's page-allocator events (kmem: mm_page_alloc,\n"
"mm_page_free, mm_page_free_batched, mm_page_alloc_zone_locked,\n"
"mm_page_pcpu_drain, mm_page_alloc_extfrag) system-wide while CMD runs.\n"
"Writes OUT (zstd-compressed ftrace text, task names and pids replaced by\n"
"task-0; name it NAME.trace.zst) and NAME.zoneinfo (/proc/zoneinfo taken\n"
"before the capture) beside it.  Needs root; mounts tracefs if needed.\n"
"The events lost (the larger of the ring buffer's overrun count and the\n"
"[LOST N EVENTS] markers, which report the same events) are printed and\n"
"written into the trace as a last comment line that replay reads.\n"
"Exit status: CMD's failure is reported but the capture is kept (0);\n"
"1 capture failed or CMD cannot be started, 2 usage error.\n");
}

static void zoneinfo_name(const char *out, char *buf, size_t len)
{
	size_t n;

	snprintf(buf, len, "%s", out);
	n = strlen(buf);
	if (n > 4 && strcmp(buf + n - 4, ".zst") == 0)
		buf[n -= 4] = 0;
	if (n > 6 && strcmp(buf + n - 6, ".trace") == 0)
		buf[n - 6] = 0;
	strncat(buf, ".zoneinfo", len - strlen(buf) - 1);
}

int cmd_capture(int argc, char **argv)
{
	struct capture c;
	char zpath[4096], val[64], rel[128], buf[65536];
	const char *outpath;
	uint64_t over0, over1, lost;
	struct sigaction sa;
	int pipefd = -1, status = 0, rc = 1;
	pid_t child;
	bool done = false;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		capture_usage(stdout);
		return 0;
	}
	if (argc < 4 || strcmp(argv[2], "--") != 0) {
		capture_usage(stderr);
		return 2;
	}
	outpath = argv[1];
	memset(&c, 0, sizeof(c));
	if (geteuid() != 0) {
		fprintf(stderr, "pagealloc capture: needs root to read the "
			"kernel's trace events (tracefs)\n");
		return 1;
	}
	if (find_tracefs(&c) < 0)
		return 1;
	{
		char p[160];
		snprintf(p, sizeof(p), "%s/events/kmem/mm_page_alloc/enable", c.root);
		if (access(p, W_OK) != 0) {
			fprintf(stderr, "pagealloc capture: %s: %s (kernel without "
				"kmem trace events?)\n", p, strerror(errno));
			restore(&c);
			return 1;
		}
	}
	c.out = fopen(outpath, "wb");
	if (!c.out) {
		fprintf(stderr, "pagealloc capture: %s: %s\n", outpath, strerror(errno));
		restore(&c);
		return 2;
	}
	zoneinfo_name(outpath, zpath, sizeof(zpath));
	if (copy_file("/proc/zoneinfo", zpath) < 0)
		fprintf(stderr, "pagealloc capture: warning: cannot save %s\n", zpath);
	c.zc = ZSTD_createCStream();
	c.zbuf_len = ZSTD_CStreamOutSize();
	c.zbuf = malloc(c.zbuf_len);
	if (!c.zc || !c.zbuf) {
		fprintf(stderr, "pagealloc capture: out of memory\n");
		goto out;
	}
	ZSTD_CCtx_setParameter(c.zc, ZSTD_c_compressionLevel, 9);

	/* remember, then change, the tracing state */
	if (read_small(c.root, "tracing_on", val, sizeof(val)) == 0)
		c.old_on = val[0];
	read_small(c.root, "buffer_size_kb", c.old_buffer_kb, sizeof(c.old_buffer_kb));
	for (size_t i = 0; i < NEVENTS; i++) {
		snprintf(rel, sizeof(rel), "events/kmem/%s/enable", events[i]);
		if (read_small(c.root, rel, val, sizeof(val)) == 0)
			c.old_enable[i] = val[0];
	}
	write_small(c.root, "tracing_on", "0");
	snprintf(val, sizeof(val), "%d", BUFFER_KB);
	write_small(c.root, "buffer_size_kb", val);
	write_small(c.root, "trace", ""); /* drop stale events */
	for (size_t i = 0; i < NEVENTS; i++) {
		snprintf(rel, sizeof(rel), "events/kmem/%s/enable", events[i]);
		if (c.old_enable[i] && write_small(c.root, rel, "1") < 0)
			fprintf(stderr, "pagealloc capture: warning: cannot enable %s\n",
				events[i]);
	}
	snprintf(rel, sizeof(rel), "%s/trace_pipe", c.root);
	pipefd = open(rel, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (pipefd < 0) {
		fprintf(stderr, "pagealloc capture: %s: %s\n", rel, strerror(errno));
		goto out;
	}
	over0 = overruns(c.root);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	write_small(c.root, "tracing_on", "1");
	child = start_command(argv + 3);
	if (child < 0)
		goto out;
	fprintf(stderr, "pagealloc capture: recording while %s runs (pid %d)\n",
		argv[3], (int)child);
	while (!done) {
		struct pollfd pfd = { pipefd, POLLIN, 0 };
		ssize_t n;

		if (interrupted) {
			kill(child, SIGTERM);
			interrupted = 0;
		}
		if (waitpid(child, &status, WNOHANG) == child)
			done = true;
		poll(&pfd, 1, 100);
		while ((n = read(pipefd, buf, sizeof(buf))) > 0)
			if (consume(&c, buf, (size_t)n) < 0)
				goto out;
	}
	write_small(c.root, "tracing_on", "0");
	/* whatever is still buffered */
	for (int idle = 0; idle < 3;) {
		ssize_t n = read(pipefd, buf, sizeof(buf));
		if (n > 0) {
			if (consume(&c, buf, (size_t)n) < 0)
				goto out;
			idle = 0;
		} else {
			idle++;
			usleep(20000);
		}
	}
	if (c.npending && emit_line(&c, c.pending, c.npending) < 0)
		goto out;
	over1 = overruns(c.root);
	/* The ring buffer's overrun counter and trace_pipe's "[LOST N
	 * EVENTS]" lines report the same events: adding them counted each
	 * loss twice.  The larger is the count; it goes into the trace as a
	 * trailer so that replay reports the same number. */
	lost = over1 - over0 > c.lost_lines_events ? over1 - over0 :
						     c.lost_lines_events;
	snprintf(buf, sizeof(buf), "# pagealloc capture: lost_events=%llu "
		 "(ring-buffer overruns %llu, [LOST] markers %llu)\n",
		 (unsigned long long)lost, (unsigned long long)(over1 - over0),
		 (unsigned long long)c.lost_lines_events);
	if (zwrite(&c, buf, strlen(buf), ZSTD_e_continue) < 0 ||
	    zwrite(&c, "", 0, ZSTD_e_end) < 0)
		goto out;
	rc = 0;
	fprintf(stderr, "pagealloc capture: %llu lines (%llu bytes of text) in %s, "
		"zoneinfo in %s; lost events: %llu%s\n",
		(unsigned long long)c.lines, (unsigned long long)c.bytes_in, outpath,
		zpath, (unsigned long long)lost,
		lost ? " (raise buffer_size_kb or capture a shorter run)" : "");
	if (WIFEXITED(status) && WEXITSTATUS(status))
		fprintf(stderr, "pagealloc capture: note: %s exited with status %d\n",
			argv[3], WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		fprintf(stderr, "pagealloc capture: note: %s was killed by signal %d\n",
			argv[3], WTERMSIG(status));
out:
	if (pipefd >= 0)
		close(pipefd);
	restore(&c);
	if (c.out && fclose(c.out) != 0)
		rc = 1;
	ZSTD_freeCStream(c.zc);
	free(c.zbuf);
	return rc;
}
