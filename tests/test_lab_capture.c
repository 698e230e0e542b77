/* SPDX-License-Identifier: MIT */
/*
 * pagealloc capture against the running kernel: it needs root and tracefs,
 * so the tests skip (saying why) elsewhere.  A short command that faults
 * pages in is captured; the trace must parse, hold page-allocator events
 * with task names replaced, come with a zoneinfo, and every tracefs
 * setting the capture touched must be back as it was.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "commands.h"
#include "trace_parse.h"
#include "trace_reader.h"
#include "zoneinfo.h"

static const char *const events[] = {
	"mm_page_alloc", "mm_page_free", "mm_page_free_batched",
	"mm_page_alloc_zone_locked", "mm_page_pcpu_drain",
	"mm_page_alloc_extfrag",
};

static int read_small(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	size_t n = fread(buf, 1, len - 1, f);

	buf[n] = 0;
	fclose(f);
	return 0;
}

/* The settings capture changes, as one string to compare. */
static int tracing_state(char *out, size_t len)
{
	char path[256], v[64];

	out[0] = 0;
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		snprintf(path, sizeof(path),
			 "/sys/kernel/tracing/events/kmem/%s/enable", events[i]);
		if (read_small(path, v, sizeof(v)))
			return -1;
		strncat(out, v, len - strlen(out) - 1);
	}
	if (read_small("/sys/kernel/tracing/tracing_on", v, sizeof(v)))
		return -1;
	strncat(out, v, len - strlen(out) - 1);
	if (read_small("/sys/kernel/tracing/buffer_size_kb", v, sizeof(v)))
		return -1;
	strncat(out, v, len - strlen(out) - 1);
	return 0;
}

static bool tracefs_mounted(void)
{
	struct stat st;

	return stat("/sys/kernel/tracing/events/kmem/mm_page_alloc", &st) == 0;
}

/* The global buffer's `trace` holds this text. */
static bool global_has(const char *text)
{
	FILE *g = fopen("/sys/kernel/tracing/trace", "r");
	char buf[4096];
	bool found = false;

	assert_non_null(g);
	while (!found && fgets(buf, sizeof(buf), g))
		found = strstr(buf, text) != NULL;
	fclose(g);
	return found;
}

/* No event enabled in the global buffer (set_event empty). */
static bool global_quiet(void)
{
	char v[256] = "";

	return read_small("/sys/kernel/tracing/set_event", v, sizeof(v)) == 0 &&
	       v[0] == 0;
}

static void remove_dir(const char *d)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	assert_int_equal(system(cmd), 0);
}

/* Root, and a kernel with tracefs (mounted or mountable by capture). */
static bool can_capture(void)
{
	FILE *f = fopen("/proc/filesystems", "r");
	char line[128];
	bool has = false;

	if (geteuid() != 0 || !f) {
		if (f)
			fclose(f);
		return false;
	}
	while (fgets(line, sizeof(line), f))
		has |= strstr(line, "tracefs") != NULL;
	fclose(f);
	return has;
}

/* skip() leaves the test from here too (cmocka jumps back to its runner) */
static void need_capture(void)
{
	if (!can_capture()) {
		print_message("skipped: needs root and tracefs\n");
		skip();
	}
}

/* a fresh directory for one capture, OUT its trace inside */
static void capture_dir(char *dir, char *out, size_t len)
{
	assert_non_null(mkdtemp(dir));
	snprintf(out, len, "%s/t.trace.zst", dir);
}

static void capture_records_and_restores(void **state)
{
	(void)state;
	char before[512], after[512], dir[] = "/tmp/pa-capture-XXXXXX", out[300],
		zpath[300];

	if (!can_capture()) {
		print_message("skipped: needs root and a kernel with tracefs\n");
		skip();
	}
	/* capture mounts tracefs itself when it is not, and unmounts it
	 * again; when it is mounted, every setting must come back */
	bool mounted = tracefs_mounted();

	if (mounted)
		assert_int_equal(tracing_state(before, sizeof(before)), 0);
	capture_dir(dir, out, sizeof(out));
	snprintf(zpath, sizeof(zpath), "%s/t.zoneinfo", dir);
	/* fault in 32 MiB of anonymous memory, then exit */
	char *argv[] = { "capture", out, "--", "sh", "-c",
			 "head -c 33554432 /dev/zero | od > /dev/null", NULL };

	assert_int_equal(cmd_capture(7, argv), 0);
	assert_int_equal(tracefs_mounted(), mounted);
	if (mounted) {
		assert_int_equal(tracing_state(after, sizeof(after)), 0);
		assert_string_equal(before, after);
	}

	struct zoneinfo zi;
	char err[300];

	assert_int_equal(zoneinfo_read(zpath, NULL, &zi, err, sizeof(err)), 0);
	assert_true(zi.managed > 0);

	struct trace_reader *r;
	const char *line;
	long n;
	uint64_t allocs = 0, frees = 0, lines = 0, lost = 0;
	bool trailer = false;

	if (trace_reader_open(&r, out, err, sizeof(err)))
		fail_msg("%s", err);
	while ((n = trace_reader_next(r, &line)) >= 0) {
		struct trace_event ev;
		uint64_t l = 0;

		lines++;
		if (trace_parse_line(line, (size_t)n, &ev, &l) == TL_EVENT) {
			allocs += ev.kind == TEV_ALLOC;
			frees += ev.kind == TEV_FREE;
			/* task names and pids are replaced */
			assert_non_null(strstr(line, "task-0"));
		}
		lost += l;
		/* the lost-events count replay reads */
		trailer |= strncmp(line, "# pagealloc capture: lost_events=", 33) == 0;
	}
	assert_true(trailer);
	assert_int_equal(n, -1);
	trace_reader_close(r);
	print_message("captured %llu lines: %llu allocations, %llu frees, %llu lost\n",
		      (unsigned long long)lines, (unsigned long long)allocs,
		      (unsigned long long)frees, (unsigned long long)lost);
	/* 32 MiB went through the pipe: thousands of page allocations */
	assert_true(allocs > 1000);
	assert_true(frees > 0);
	/* the machine's state before and after */
	static const char *const snaps[] = { "zoneinfo", "buddyinfo", "pagetypeinfo",
					     "vmstat" };
	for (size_t i = 0; i < 4; i++) {
		char p[400];
		snprintf(p, sizeof(p), "%s/t.%s", dir, snaps[i]);
		assert_int_equal(access(p, R_OK), 0);
		strcat(p, ".after");
		assert_int_equal(access(p, R_OK), 0);
	}
	remove_dir(dir);
}

/* Its own instance: a marker in the global buffer survives the capture
 * (it used to clear the global buffer); -e adds an event; "-" streams the
 * trace to stdout. */
static void capture_own_instance_extra_event_stdout(void **state)
{
	char dir[] = "/tmp/pa-capture-XXXXXX", out[300], marker[64], cwd[4096];
	(void)state;

	if (!can_capture() || !tracefs_mounted()) {
		print_message("skipped: needs root and mounted tracefs\n");
		skip();
	}
	snprintf(marker, sizeof(marker), "pagealloc-test-marker-%d", (int)getpid());
	FILE *m = fopen("/sys/kernel/tracing/trace_marker", "w");
	assert_non_null(m);
	fputs(marker, m);
	fclose(m);
	/* Another program tracing in the global buffer (a consuming read of
	 * its trace_pipe, events overwriting old ones, a clear) can remove
	 * the marker: check it only while the global buffer is quiet. */
	bool check_marker = global_quiet() && global_has(marker);
	if (!check_marker)
		print_message("note: the global buffer is in use by another "
			      "tracer; the marker check is skipped\n");
	assert_non_null(mkdtemp(dir));
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0); /* "-": snapshots go to ./capture.* */
	snprintf(out, sizeof(out), "%s/stdout.trace.zst", dir);
	int saved = dup(1), fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fflush(stdout);
	dup2(fd, 1);
	close(fd);
	char *argv[] = { "capture", "-", "-e", "sched:sched_process_exit",
			 "--buffer-size", "2048", "--", "sh", "-c",
			 "head -c 4194304 /dev/zero | od > /dev/null", NULL };
	int rc = cmd_capture(10, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(rc, 0);

	struct trace_reader *r;
	const char *line;
	char err[300];
	long n;
	uint64_t allocs = 0, exits = 0;
	if (trace_reader_open(&r, out, err, sizeof(err)))
		fail_msg("%s", err);
	while ((n = trace_reader_next(r, &line)) >= 0) {
		struct trace_event ev;
		uint64_t l;
		if (trace_parse_line(line, (size_t)n, &ev, &l) == TL_EVENT)
			allocs += ev.kind == TEV_ALLOC;
		exits += strstr(line, "sched_process_exit") != NULL;
	}
	trace_reader_close(r);
	assert_true(allocs > 0);
	assert_true(exits > 0);
	/* the machine's state before and after, beside the trace */
	static const char *const snaps[][2] = {
		{ "zoneinfo", "Node 0, zone" }, { "buddyinfo", "Node 0" },
		{ "pagetypeinfo", "Page block order" }, { "vmstat", "nr_free_pages" },
	};
	for (size_t i = 0; i < 4; i++)
		for (int after = 0; after < 2; after++) {
			char snap[400], buf[256];

			snprintf(snap, sizeof(snap), "%s/capture.%s%s", dir,
				 snaps[i][0], after ? ".after" : "");
			if (read_small(snap, buf, sizeof(buf)) || !strstr(buf, snaps[i][1]))
				fail_msg("%s: missing or without \"%s\"", snap, snaps[i][1]);
		}

	/* the global buffer still holds the marker */
	if (check_marker && global_quiet())
		assert_true(global_has(marker));

	/* an event this kernel does not have fails the capture */
	char *bad[] = { "capture", out, "-e", "nosuch:event", "--", "true", NULL };
	assert_int_equal(cmd_capture(6, bad), 1);
	remove_dir(dir);
}

/* --cpus: the page events of other CPUs are not recorded.  The command
 * runs on CPU 1 and CPU 0 is captured, so what the trace holds is CPU 0's
 * (other tasks'), never CPU 1's. */
static void capture_cpu_filter(void **state)
{
	(void)state;
	char dir[] = "/tmp/pa-capture-XXXXXX", out[300], err[300];
	struct trace_reader *r;
	const char *line;
	uint64_t nev = 0, other_cpu = 0;
	long n;

	if (!can_capture() || sysconf(_SC_NPROCESSORS_ONLN) < 2 ||
	    system("command -v taskset >/dev/null") != 0) {
		print_message("skipped: needs root, tracefs, 2 CPUs and taskset\n");
		skip();
	}
	capture_dir(dir, out, sizeof(out));
	char *argv[] = { "capture", out, "--cpus", "0", "--", "taskset", "-c",
			 "1", "sh", "-c",
			 "head -c 16777216 /dev/zero | od > /dev/null", NULL };

	assert_int_equal(cmd_capture(11, argv), 0);
	if (trace_reader_open(&r, out, err, sizeof(err)))
		fail_msg("%s", err);
	while ((n = trace_reader_next(r, &line)) >= 0) {
		struct trace_event ev;
		uint64_t l = 0;

		if (trace_parse_line(line, (size_t)n, &ev, &l) != TL_EVENT)
			continue;
		nev++;
		other_cpu += ev.cpu != 0;
	}
	trace_reader_close(r);
	print_message("--cpus 0: %llu events, %llu of another CPU\n",
		      (unsigned long long)nev, (unsigned long long)other_cpu);
	assert_int_equal(other_cpu, 0);
	remove_dir(dir);
}

/* Pages the trace at `out` allocated (mm_page_alloc, 2^order each). */
static uint64_t alloc_pages_in(const char *out)
{
	struct trace_reader *r;
	const char *line;
	char err[300];
	uint64_t pages = 0;
	long n;

	if (trace_reader_open(&r, out, err, sizeof(err)))
		fail_msg("%s", err);
	while ((n = trace_reader_next(r, &line)) >= 0) {
		struct trace_event ev;
		uint64_t l = 0;

		if (trace_parse_line(line, (size_t)n, &ev, &l) == TL_EVENT &&
		    ev.kind == TEV_ALLOC && !ev.failed)
			pages += 1ull << ev.order;
	}
	trace_reader_close(r);
	return pages;
}

/* A child that waits for `go` to exist, then faults in and frees CHILD_MB
 * of small pages, and exits. */
#define CHILD_MB 16
static pid_t faulting_child(const char *go)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		size_t len = (size_t)CHILD_MB << 20;
		char *m;

		for (int i = 0; i < 20000 && access(go, F_OK) != 0; i++)
			usleep(1000);
		m = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			_exit(1);
		madvise(m, len, MADV_NOHUGEPAGE);
		for (size_t o = 0; o < len; o += 4096)
			m[o] = 1;
		munmap(m, len);
		_exit(0);
	}
	return pid;
}

/* --pid: only the listed pid's page events are recorded.  The traced
 * command writes 32 MiB into tmpfs (8192 pages of its own) while a child
 * of the test, the pid given, faults in 16 MiB (4096 pages): the trace
 * holds the child's pages and not the command's. */
static void capture_pid_filter(void **state)
{
	(void)state;
	char dir[] = "/tmp/pa-capture-XXXXXX", out[300], go[300], cmd[700];
	char pid[32];
	uint64_t pages;
	int status;
	pid_t child;

	if (!can_capture() || access("/dev/shm", W_OK) != 0) {
		print_message("skipped: needs root, tracefs and /dev/shm\n");
		skip();
	}
	capture_dir(dir, out, sizeof(out));
	snprintf(go, sizeof(go), "%s/go", dir);
	child = faulting_child(go);
	snprintf(pid, sizeof(pid), "%d", (int)child);
	snprintf(cmd, sizeof(cmd), "touch %s; dd if=/dev/zero of=/dev/shm/pa-pid-%d "
		 "bs=1M count=32 2>/dev/null; rm -f /dev/shm/pa-pid-%d; sleep 1",
		 go, (int)child, (int)child);
	char *argv[] = { "capture", out, "--pid", pid, "--", "sh", "-c", cmd, NULL };

	assert_int_equal(cmd_capture(8, argv), 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	pages = alloc_pages_in(out);
	print_message("--pid %s: %llu pages allocated in the trace (the pid's "
		      "own %u, the command's 8192 left out)\n", pid,
		      (unsigned long long)pages, CHILD_MB * 256);
	/* the child's pages (and its page tables), none of dd's */
	assert_true(pages >= CHILD_MB * 256);
	assert_true(pages < CHILD_MB * 256 + 1024);
	remove_dir(dir);
}

/* --buffer-size, --pid and -e as the traced command sees them: its parent
 * is the capture, whose instance is pagealloc-capture-PID.  (The tests
 * above only saw these options accepted.) */
static void capture_options_reach_the_instance(void **state)
{
	char dir[] = "/tmp/pa-capture-XXXXXX", out[300], seen[300], cmd[1200];
	char buf[4096];
	FILE *f;
	size_t n;
	(void)state;

	need_capture();
	capture_dir(dir, out, sizeof(out));
	snprintf(seen, sizeof(seen), "%s/seen", dir);
	snprintf(cmd, sizeof(cmd), "i=/sys/kernel/tracing/instances/"
		 "pagealloc-capture-$PPID; cat $i/buffer_size_kb $i/set_event_pid "
		 "$i/set_event $i/tracing_on > %s", seen);
	char *argv[] = { "capture", out, "--buffer-size", "3072", "--pid", "1",
			 "-e", "sched:sched_process_exit", "--", "sh", "-c", cmd, NULL };
	assert_int_equal(cmd_capture(12, argv), 0);
	f = fopen(seen, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	/* buffer_size_kb (the kernel rounds it up to whole pages and adds
	 * their headers: 3075 on 6.x; the default is 16384), the pid, the
	 * events (kmem's and -e's), tracing on */
	unsigned long kb = strtoul(buf, NULL, 10);
	if (kb < 3072 || kb >= 3072 + 64 || !strstr(buf, "\n1\n") ||
	    !strstr(buf, "kmem:mm_page_alloc\n") ||
	    !strstr(buf, "sched:sched_process_exit\n") ||
	    buf[n - 2] != '1')
		fail_msg("the instance as the command saw it:\n%s", buf);
	remove_dir(dir);
}

static void capture_usage_errors(void **state)
{
	(void)state;
	char *no_cmd[] = { "capture", "/tmp/x.trace.zst", NULL };
	char *no_sep[] = { "capture", "/tmp/x.trace.zst", "true", NULL };

	char *bad_size[] = { "capture", "/tmp/x.trace.zst", "--buffer-size", "-1",
			     "--", "true", NULL };
	char *no_out[] = { "capture", "--", "true", NULL };

	assert_int_equal(cmd_capture(2, no_cmd), 2);
	assert_int_equal(cmd_capture(3, no_sep), 2);
	assert_int_equal(cmd_capture(6, bad_size), 2);
	assert_int_equal(cmd_capture(3, no_out), 2);
}

/* A command that cannot start fails the capture (it used to record a
 * trace of nothing and exit 0), as do CPU and pid filters tracefs
 * refuses. */
static void capture_command_cannot_start(void **state)
{
	char dir[] = "/tmp/pa-capture-XXXXXX", out[300], zpath[300];
	(void)state;

	need_capture();
	capture_dir(dir, out, sizeof(out));
	snprintf(zpath, sizeof(zpath), "%s/t.zoneinfo", dir);
	char *argv[] = { "capture", out, "--", "/nonexistent/command", NULL };
	char old[64] = "";
	FILE *f = fopen(out, "w");

	/* and the trace it failed to write does not replace an old one */
	assert_non_null(f);
	fputs("an old trace\n", f);
	fclose(f);
	assert_int_equal(cmd_capture(4, argv), 1);
	assert_int_equal(read_small(out, old, sizeof(old)), 0);
	assert_string_equal(old, "an old trace\n");
	/* malformed filters are usage errors (2), refused before tracefs */
	char *cpus[] = { "capture", out, "--cpus", "99999", "--", "true", NULL };
	char *pids[] = { "capture", out, "--pid", "abc", "--", "true", NULL };
	assert_int_equal(cmd_capture(6, cpus), 2);
	assert_int_equal(cmd_capture(6, pids), 2);
	/* the help's comma list is what set_event_pid takes (it refused
	 * "1,2" as not a pid list: the kernel splits at blanks) */
	char *two[] = { "capture", out, "--pid", "1,2", "--", "true", NULL };
	assert_int_equal(cmd_capture(6, two), 0);
	/* a valid one records (init's events only, if any) */
	char *init[] = { "capture", out, "--pid", "1", "--cpus", "0", "--",
			 "true", NULL };
	assert_int_equal(cmd_capture(8, init), 0);
	assert_int_equal(access(out, R_OK), 0);
	(void)zpath;
	remove_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(capture_records_and_restores),
		cmocka_unit_test(capture_own_instance_extra_event_stdout),
		cmocka_unit_test(capture_cpu_filter),
		cmocka_unit_test(capture_pid_filter),
		cmocka_unit_test(capture_options_reach_the_instance),
		cmocka_unit_test(capture_usage_errors),
		cmocka_unit_test(capture_command_cannot_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
