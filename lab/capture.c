/* SPDX-License-Identifier: MIT */
/*
 * `pagealloc capture OUT [OPTIONS] -- CMD [ARGS]`: record the running
 * kernel's kmem page events while CMD runs.  The events go to a tracefs
 * instance of its own (libtracefs), so the global ring buffer and its
 * settings are neither cleared nor changed and two captures do not disturb
 * each other.  Events are streamed from the instance's trace_pipe (a
 * consuming read, so the ring buffer never has to hold the whole capture),
 * task names and pids are replaced by "task-0" so a trace can be shared,
 * and the text is zstd-compressed as it arrives.  The instance is removed
 * at the end, also on Ctrl-C; tracefs is unmounted again if this command
 * mounted it.
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
#include <tracefs.h>
#include <zstd.h>

#include "commands.h"
#include "optparse.h"
#include "outfile.h"
#include "trace_parse.h"

static const char *const events[] = {
	"mm_page_alloc", "mm_page_free", "mm_page_free_batched",
	"mm_page_alloc_zone_locked", "mm_page_pcpu_drain",
	"mm_page_alloc_extfrag",
};
#define NEVENTS (sizeof(events) / sizeof(events[0]))
#define BUFFER_KB 16384 /* per CPU while capturing: bursts outrun reads */
#define MAX_EXTRA 32     /* -e EVENT options */
#define PID_LIST_MAX 4194303u /* pids are below pid_max, at most 2^22 (64-bit) */

/* What the command line asked for. */
struct capture_opts {
	const char *out;           /* path, or "-" for stdout */
	unsigned buffer_kb;        /* per CPU */
	const char *extra[MAX_EXTRA]; /* -e SYSTEM:EVENT or EVENT */
	unsigned nextra;
	const char *cpus;          /* --cpus LIST (tracing_cpumask) */
	const char *pids;          /* --pid LIST (set_event_pid) */
	char **cmd;
};

struct capture {
	char root[64];             /* tracefs mount point */
	bool mounted;              /* we mounted it */
	struct tracefs_instance *inst;
	FILE *out;
	struct outfile of;	/* the trace file, renamed into place at the end */
	bool out_is_stdout;
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

/* Remove the instance (its buffer and event settings go with it) and
 * unmount tracefs if we mounted it. */
static void restore(struct capture *c)
{
	if (c->inst) {
		tracefs_trace_off(c->inst);
		if (tracefs_instance_destroy(c->inst) < 0)
			fprintf(stderr, "pagealloc capture: warning: cannot remove "
				"the tracefs instance %s\n",
				tracefs_instance_get_name(c->inst));
		tracefs_instance_free(c->inst);
		c->inst = NULL;
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

/* Ring-buffer overruns of the instance, summed over its CPUs. */
static uint64_t overruns(struct tracefs_instance *inst)
{
	uint64_t total = 0;

	for (int cpu = 0; cpu < 8192; cpu++) {
		char rel[64], *text, *p;

		snprintf(rel, sizeof(rel), "per_cpu/cpu%d/stats", cpu);
		if (!tracefs_file_exists(inst, rel))
			break;
		text = tracefs_instance_file_read(inst, rel, NULL);
		if (!text)
			continue;
		p = strstr(text, "overrun:");
		if (p)
			total += strtoull(p + 8, NULL, 10);
		free(text);
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
"usage: pagealloc capture OUT [--buffer-size KB] [-e EVENT]... [--cpus LIST]\n"
"                         [--pid LIST] -- CMD [ARGS]\n"
"\n"
"Record the kernel's page-allocator events (kmem: mm_page_alloc,\n"
"mm_page_free, mm_page_free_batched, mm_page_alloc_zone_locked,\n"
"mm_page_pcpu_drain, mm_page_alloc_extfrag), and the kernel's per-CPU\n"
"vmstat work that decays the pagesets (workqueue_execute_start filtered to\n"
"vmstat_update: `replay --pcp-decay trace`), while CMD runs, in a tracefs\n"
"instance of its own: the global trace buffer and its settings are left\n"
"alone.  Writes OUT (zstd-compressed ftrace text, task names and pids\n"
"replaced by task-0; name it NAME.trace.zst; \"-\" writes to stdout) and,\n"
"beside it, NAME.zoneinfo, NAME.buddyinfo, NAME.pagetypeinfo, NAME.vmstat\n"
"(taken before) and the same with .after (taken after); with \"-\" they are\n"
"capture.* in the current directory.  Needs root; mounts tracefs if needed.\n"
"\n"
"  --buffer-size KB  ring buffer per CPU [%u]\n"
"  -e EVENT          also record EVENT (SYSTEM:NAME or NAME of kmem), e.g.\n"
"                    compaction:mm_compaction_begin, vmscan:*, lock:*\n"
"  --cpus LIST       only these CPUs (\"0-3,8\": tracing_cpumask), each\n"
"                    below the number of CPUs configured [%ld]\n"
"  --pid LIST        only events of these pids (\"123,456\": set_event_pid;\n"
"                    the page events of other tasks, and the vmstat work\n"
"                    of the kernel's workers, are then missing), each\n"
"                    at most %u\n"
"\n"
"The events lost (the larger of the ring buffer's overrun count and the\n"
"[LOST N EVENTS] markers, which report the same events) are printed and\n"
"written into the trace as a last comment line that replay reads.\n"
"Exit status: CMD's failure is reported but the capture is kept (0);\n"
"1 capture failed or CMD cannot be started, 2 usage error (also a\n"
"malformed --cpus or --pid list, checked before tracefs is touched).\n",
		BUFFER_KB, sysconf(_SC_NPROCESSORS_CONF), PID_LIST_MAX);
}

/* OUT without ".trace.zst" / ".zst" / ".trace": where the snapshots go. */
static void snapshot_base(const char *out, char *buf, size_t len)
{
	size_t n;

	snprintf(buf, len, "%s", strcmp(out, "-") ? out : "capture");
	n = strlen(buf);
	if (n > 4 && strcmp(buf + n - 4, ".zst") == 0)
		buf[n -= 4] = 0;
	if (n > 6 && strcmp(buf + n - 6, ".trace") == 0)
		buf[n - 6] = 0;
}

/* /proc/zoneinfo, buddyinfo, pagetypeinfo, vmstat as BASE.NAME (before)
 * or BASE.NAME.after: the machine's state around the capture. */
static void snapshot(const char *base, bool after)
{
	/* zoneinfo last: its pageset counts start the replay, and every
	 * page the pagesets move between it and tracing_on is unseen */
	static const char *const files[] = { "buddyinfo", "pagetypeinfo",
					     "vmstat", "zoneinfo" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char from[64], to[4200];

		snprintf(from, sizeof(from), "/proc/%s", files[i]);
		snprintf(to, sizeof(to), "%s.%s%s", base, files[i],
			 after ? ".after" : "");
		if (copy_file(from, to) < 0)
			fprintf(stderr, "pagealloc capture: warning: cannot save "
				"%s as %s\n", from, to);
	}
}

/* --cpus and --pid checked as the help states them, before anything asks
 * the kernel: a malformed list or a CPU this machine does not have is a
 * usage error (2), not a failed capture.  0 or -EINVAL (said). */
static int check_filters(const struct capture_opts *o)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	char err[300];

	if (o->cpus && opt_id_list("--cpus", o->cpus, 0,
				   ncpu > 0 ? (uint64_t)ncpu - 1 : 0, true, err,
				   sizeof(err)))
		goto bad;
	if (o->pids && opt_id_list("--pid", o->pids, 0, PID_LIST_MAX, false, err,
				   sizeof(err)))
		goto bad;
	return 0;
bad:
	fprintf(stderr, "pagealloc capture: %s\n", err);
	return -EINVAL;
}

static int parse_args(int argc, char **argv, struct capture_opts *o)
{
	static const struct option opts[] = {
		{ "buffer-size", required_argument, NULL, 'b' },
		{ "event", required_argument, NULL, 'e' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "pid", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[200];
	int c;

	memset(o, 0, sizeof(*o));
	o->buffer_kb = BUFFER_KB;
	optind = 1;
	/* "+": getopt stops at the first non-option (OUT: taken, then on)
	 * and after "--" (the command follows) */
	for (;;) {
		c = getopt_long(argc, argv, "+b:e:c:p:h", opts, NULL);
		if (c == -1) {
			if (strcmp(argv[optind - 1], "--") == 0 || o->out ||
			    optind >= argc)
				break;
			o->out = argv[optind++];
			continue;
		}
		switch (c) {
		case 'h':
			capture_usage(stdout);
			return 1;
		case 'b':
			if (opt_uint("--buffer-size", optarg, 4, 4u << 20,
				     &o->buffer_kb, err, sizeof(err))) {
				fprintf(stderr, "pagealloc capture: %s\n", err);
				return 2;
			}
			break;
		case 'e':
			if (o->nextra == MAX_EXTRA) {
				fprintf(stderr, "pagealloc capture: at most %d -e\n", MAX_EXTRA);
				return 2;
			}
			o->extra[o->nextra++] = optarg;
			break;
		case 'c': o->cpus = optarg; break;
		case 'p': o->pids = optarg; break;
		default:
			capture_usage(stderr);
			return 2;
		}
	}
	if (check_filters(o))
		return 2;
	if (!o->out || optind >= argc || strcmp(argv[optind - 1], "--")) {
		capture_usage(stderr);
		return 2;
	}
	o->cmd = argv + optind;
	return 0;
}

/* "SYSTEM:EVENT" or "EVENT" (of kmem) enabled in the instance. */
static int enable_event(struct tracefs_instance *inst, const char *spec)
{
	char sys[128], *ev;

	snprintf(sys, sizeof(sys), "%s", spec);
	ev = strchr(sys, ':');
	if (ev)
		*ev++ = 0;
	if (tracefs_event_enable(inst, ev ? sys : "kmem", ev ? ev : sys) < 0) {
		fprintf(stderr, "pagealloc capture: no trace event \"%s\" in this "
			"kernel (see %s/available_events)\n", spec,
			tracefs_tracing_dir());
		return -ENOENT;
	}
	return 0;
}

/* vmstat_update's address from /proc/kallsyms, 0 if unknown (hidden by
 * kptr_restrict, or no such symbol). */
static unsigned long long vmstat_update_addr(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[256];
	unsigned long long a = 0;

	if (!f)
		return 0;
	while (!a && fgets(line, sizeof(line), f)) {
		unsigned long long v;
		char type, name[128];

		if (sscanf(line, "%llx %c %127s", &v, &type, name) == 3 &&
		    strcmp(name, "vmstat_update") == 0)
			a = v;
	}
	fclose(f);
	return a;
}

/*
 * The kernel's per-CPU vmstat work (workqueue_execute_start of
 * vmstat_update), which decays that CPU's pageset `high`: the replay
 * decays each pageset where it ran instead of once a second.  Filtered
 * to that function when its address is known, so other work is not
 * recorded.  A kernel without the event only loses that timing (said).
 */
static void enable_vmstat_work(struct tracefs_instance *inst)
{
	unsigned long long a = vmstat_update_addr();
	char filter[64];

	if (tracefs_event_enable(inst, "workqueue", "workqueue_execute_start") < 0) {
		fprintf(stderr, "pagealloc capture: warning: no workqueue_execute_start "
			"event: the replay will decay the pagesets once a second\n");
		return;
	}
	snprintf(filter, sizeof(filter), "function == 0x%llx", a);
	if (!a || tracefs_event_file_write(inst, "workqueue", "workqueue_execute_start",
					   "filter", filter) < 0)
		fprintf(stderr, "pagealloc capture: note: vmstat_update's address is "
			"unknown, so every workqueue_execute_start is recorded\n");
}

/* The help's "123,456" as set_event_pid takes it: the kernel splits the
 * list at blanks, and a comma made the whole list invalid. */
static int write_pids(struct tracefs_instance *inst, const char *pids)
{
	char *list = strdup(pids);
	int rc;

	if (!list)
		return -1;
	for (char *p = list; (p = strchr(p, ',')); )
		*p = ' ';
	rc = tracefs_instance_file_write(inst, "set_event_pid", list);
	free(list);
	return rc;
}

/* Create the instance and set it up as asked.  Returns 0 or -1 (said). */
static int setup_instance(struct capture *c, const struct capture_opts *o)
{
	char name[64];

	snprintf(name, sizeof(name), "pagealloc-capture-%d", (int)getpid());
	c->inst = tracefs_instance_create(name);
	if (!c->inst) {
		fprintf(stderr, "pagealloc capture: cannot create the tracefs "
			"instance %s: %s\n", name, strerror(errno));
		return -1;
	}
	tracefs_trace_off(c->inst);
	if (tracefs_instance_set_buffer_size(c->inst, o->buffer_kb, -1) < 0)
		fprintf(stderr, "pagealloc capture: warning: cannot set the buffer "
			"to %u KiB per CPU\n", o->buffer_kb);
	for (size_t i = 0; i < NEVENTS; i++)
		if (tracefs_event_enable(c->inst, "kmem", events[i]) < 0)
			fprintf(stderr, "pagealloc capture: warning: cannot enable %s\n",
				events[i]);
	enable_vmstat_work(c->inst);
	for (unsigned i = 0; i < o->nextra; i++)
		if (enable_event(c->inst, o->extra[i]) < 0)
			return -1;
	if (o->cpus && tracefs_instance_set_affinity(c->inst, o->cpus) < 0) {
		fprintf(stderr, "pagealloc capture: --cpus \"%s\": not a CPU list "
			"of this machine\n", o->cpus);
		return -1;
	}
	if (o->pids && write_pids(c->inst, o->pids) < 0) {
		fprintf(stderr, "pagealloc capture: --pid \"%s\": not a pid list\n",
			o->pids);
		return -1;
	}
	return 0;
}

static int open_output(struct capture *c, const struct capture_opts *o)
{
	if (strcmp(o->out, "-") == 0) {
		c->out = stdout;
		c->out_is_stdout = true;
	} else {
		int e = outfile_open(&c->of, o->out);

		if (e) {
			fprintf(stderr, "pagealloc capture: %s: %s\n", o->out,
				strerror(-e));
			return -1;
		}
		c->out = c->of.f;
	}
	c->zc = ZSTD_createCStream();
	c->zbuf_len = ZSTD_CStreamOutSize();
	c->zbuf = malloc(c->zbuf_len);
	if (!c->zc || !c->zbuf) {
		fprintf(stderr, "pagealloc capture: out of memory\n");
		return -1;
	}
	ZSTD_CCtx_setParameter(c->zc, ZSTD_c_compressionLevel, 9);
	return 0;
}

/* Reads of trace_pipe between two checks of CMD and of signals. */
#define STREAM_READS_PER_ROUND 64

/* Stream trace_pipe until CMD has exited and the pipe is drained.
 * Returns 0 or -1; *status is CMD's wait status. */
static int stream(struct capture *c, int pipefd, pid_t child, int *status)
{
	char buf[65536];
	bool done = false;

	while (!done) {
		struct pollfd pfd = { pipefd, POLLIN, 0 };
		ssize_t n;

		if (interrupted) {
			kill(child, SIGTERM);
			interrupted = 0;
		}
		if (waitpid(child, status, WNOHANG) == child)
			done = true;
		poll(&pfd, 1, 100);
		/* A bounded number of reads per round: on a busy machine the
		 * pipe never runs dry, and an unbounded loop never saw CMD
		 * exit nor a SIGINT (the capture ran on for ever). */
		for (int k = 0; k < STREAM_READS_PER_ROUND &&
				(n = read(pipefd, buf, sizeof(buf))) > 0; k++)
			if (consume(c, buf, (size_t)n) < 0)
				return -1;
	}
	tracefs_trace_off(c->inst);
	/* whatever is still buffered */
	for (int idle = 0; idle < 3;) {
		ssize_t n = read(pipefd, buf, sizeof(buf));
		if (n > 0) {
			if (consume(c, buf, (size_t)n) < 0)
				return -1;
			idle = 0;
		} else {
			idle++;
			usleep(20000);
		}
	}
	if (c->npending && emit_line(c, c->pending, c->npending) < 0)
		return -1;
	return 0;
}

/* The lost-events trailer and the end of the zstd frame. */
static int finish(struct capture *c, uint64_t over, uint64_t *lost)
{
	char line[200];

	/* The ring buffer's overrun counter and trace_pipe's "[LOST N
	 * EVENTS]" lines report the same events: adding them counted each
	 * loss twice.  The larger is the count; it goes into the trace as a
	 * trailer so that replay reports the same number. */
	*lost = over > c->lost_lines_events ? over : c->lost_lines_events;
	snprintf(line, sizeof(line), "# pagealloc capture: lost_events=%llu "
		 "(ring-buffer overruns %llu, [LOST] markers %llu)\n",
		 (unsigned long long)*lost, (unsigned long long)over,
		 (unsigned long long)c->lost_lines_events);
	if (zwrite(c, line, strlen(line), ZSTD_e_continue) < 0 ||
	    zwrite(c, "", 0, ZSTD_e_end) < 0)
		return -1;
	return 0;
}

static void report_child(const char *cmd, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status))
		fprintf(stderr, "pagealloc capture: note: %s exited with status %d\n",
			cmd, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		fprintf(stderr, "pagealloc capture: note: %s was killed by signal %d\n",
			cmd, WTERMSIG(status));
}

/* A failed capture keeps the old file: the new one is only renamed into
 * place when complete. */
static int close_output(struct capture *c, const char *path, bool complete)
{
	int bad = 0, e;

	if (c->out && c->out_is_stdout) {
		bad = complete && outfile_stdout_done("capture");
	} else if (c->out && !complete) {
		outfile_abort(&c->of);
	} else if (c->out && (e = outfile_commit(&c->of)) < 0) {
		fprintf(stderr, "pagealloc capture: cannot write %s: %s\n", path,
			strerror(-e));
		bad = 1;
	}
	ZSTD_freeCStream(c->zc);
	free(c->zbuf);
	return bad ? -1 : 0;
}

/* The instance's trace_pipe, non-blocking; -1 (said) if it will not open. */
static int open_pipe(struct capture *c)
{
	char *path = tracefs_instance_get_file(c->inst, "trace_pipe");
	int fd = path ? open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1;

	if (fd < 0)
		fprintf(stderr, "pagealloc capture: %s: %s\n",
			path ? path : "trace_pipe", strerror(errno));
	tracefs_put_tracing_file(path);
	return fd;
}

/* Tracing on, the command run and streamed to the output until it exits
 * (or SIGINT/SIGTERM); 0, or 1 (said). */
static int record(struct capture *c, const struct capture_opts *o, int pipefd,
		  const char *base)
{
	uint64_t over0 = overruns(c->inst), lost;
	struct sigaction sa;
	int status = 0;
	pid_t child;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	tracefs_trace_on(c->inst);
	child = start_command(o->cmd);
	if (child < 0)
		return 1;
	fprintf(stderr, "pagealloc capture: recording while %s runs (pid %d)\n",
		o->cmd[0], (int)child);
	if (stream(c, pipefd, child, &status) < 0 ||
	    finish(c, overruns(c->inst) - over0, &lost) < 0) {
		fprintf(stderr, "pagealloc capture: cannot write %s\n", o->out);
		return 1;
	}
	snapshot(base, true);
	fprintf(stderr, "pagealloc capture: %llu lines (%llu bytes of text) in %s, "
		"snapshots in %s.*; lost events: %llu%s\n",
		(unsigned long long)c->lines, (unsigned long long)c->bytes_in, o->out,
		base, (unsigned long long)lost,
		lost ? " (raise --buffer-size or capture a shorter run)" : "");
	report_child(o->cmd[0], status);
	return 0;
}

int cmd_capture(int argc, char **argv)
{
	struct capture_opts o;
	struct capture c;
	char base[4096];
	int pipefd = -1, rc;

	rc = parse_args(argc, argv, &o);
	if (rc)
		return rc == 1 ? 0 : rc;
	memset(&c, 0, sizeof(c));
	if (strcmp(o.out, "-") && outfile_check_all("capture", &o.out, 1))
		return 2;
	if (geteuid() != 0) {
		fprintf(stderr, "pagealloc capture: needs root to read the "
			"kernel's trace events (tracefs)\n");
		return 1;
	}
	if (find_tracefs(&c) < 0)
		return 1;
	rc = 1;
	if (setup_instance(&c, &o) < 0)
		goto out;
	if (open_output(&c, &o) < 0) {
		rc = 2;
		goto out;
	}
	snapshot_base(o.out, base, sizeof(base));
	snapshot(base, false);
	if ((pipefd = open_pipe(&c)) >= 0)
		rc = record(&c, &o, pipefd, base);
out:
	if (pipefd >= 0)
		close(pipefd);
	restore(&c);
	if (close_output(&c, o.out, rc == 0) < 0 && rc == 0)
		rc = 1;
	return rc;
}
