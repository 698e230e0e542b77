/* SPDX-License-Identifier: MIT */
/*
 * A trace.dat read through libtracecmd gives the same events, and the same
 * replay report, as its `trace-cmd report` text.  The trace.dat is made
 * here from a tracefs instance of the test's own (the page events of a
 * small workload, then `trace-cmd extract`), so the test is skipped where
 * tracefs instances cannot be created or trace-cmd is not installed (no
 * root, a container without tracefs).  A trace.dat on a pipe is refused
 * with the conversion command everywhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "commands.h"
#include "helpers.h"
#include "trace_parse.h"
#include "trace_reader.h"

#define TRACEFS "/sys/kernel/tracing/instances"

static char dir[] = "/tmp/pa-trace-dat-XXXXXX";

/* libtraceevent 1.7 leaks 8 bytes parsing the kmem event formats while
 * libtracecmd opens a trace.dat (not ours to free), which LeakSanitizer
 * reports: under ASan the trace.dat comparison is skipped. */
#if defined(__SANITIZE_ADDRESS__)
#define LIB_LEAKS_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LIB_LEAKS_UNDER_ASAN 1
#endif
#endif

static const char *const page_events[] = {
	"mm_page_alloc", "mm_page_free", "mm_page_free_batched",
	"mm_page_alloc_zone_locked", "mm_page_pcpu_drain",
};

static bool write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	bool ok = fd >= 0 && write(fd, s, strlen(s)) == (ssize_t)strlen(s);

	if (fd >= 0)
		close(fd);
	return ok;
}

/* Record the page events of a small workload in an instance of our own
 * and extract them into path.  False when this machine cannot. */
static bool make_trace_dat(const char *path)
{
	char inst[128], f[256], cmd[512];
	bool ok = true;

	if (system("command -v trace-cmd > /dev/null 2>&1") != 0)
		return false;
	snprintf(inst, sizeof(inst), "pa_test_dat_%d", (int)getpid());
	snprintf(f, sizeof(f), TRACEFS "/%s", inst);
	if (mkdir(f, 0700) != 0)
		return false;
	for (size_t i = 0; ok && i < sizeof(page_events) / sizeof(page_events[0]); i++) {
		snprintf(f, sizeof(f), TRACEFS "/%s/events/kmem/%s/enable", inst,
			 page_events[i]);
		ok = write_str(f, "1");
	}
	/* the kernel's vmstat work too (it runs about once a second: the
	 * sleep lets it), and with it every other work item, which must
	 * stay other events in both forms */
	snprintf(f, sizeof(f), TRACEFS "/%s/events/workqueue/workqueue_execute_start/enable",
		 inst);
	ok = ok && write_str(f, "1");
	snprintf(f, sizeof(f), TRACEFS "/%s/tracing_on", inst);
	ok = ok && write_str(f, "1");
	if (ok && system("ls -R /usr/lib/python3* > /dev/null 2>&1; sleep 1.2") == -1)
		ok = false;
	write_str(f, "0");
	snprintf(cmd, sizeof(cmd), "trace-cmd extract -B %s -o '%s' > /dev/null 2>&1",
		 inst, path);
	ok = ok && system(cmd) == 0;
	/* extract removes the instance; make sure of it either way */
	snprintf(f, sizeof(f), TRACEFS "/%s", inst);
	rmdir(f);
	return ok;
}

/* Every page event of a trace, in order. */
static struct trace_event *events_of(const char *path, size_t *n)
{
	struct trace_reader *r;
	struct trace_event ev, *v = NULL;
	const char *line;
	char err[600];
	size_t cap = 0;
	uint64_t lost;
	long len;

	assert_int_equal(trace_reader_open(&r, path, err, sizeof(err)), 0);
	*n = 0;
	while ((len = trace_reader_next(r, &line)) >= 0) {
		if (trace_parse_line(line, (size_t)len, &ev, &lost) != TL_EVENT)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 4096;
			v = realloc(v, cap * sizeof(*v));
			assert_non_null(v);
		}
		v[(*n)++] = ev;
	}
	assert_int_equal(len, -1);
	trace_reader_close(r);
	return v;
}

/* A replay's text report without the lines that name the input or count
 * its lines (trace-cmd report adds a "cpus=N" header line). */
static char *report_of(const char *trace, const char *out)
{
	char *argv[] = { "replay", (char *)trace, "--policy", "all", NULL };
	int saved = dup(1), fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	char *text, line[4096];
	size_t n = 0;
	FILE *f;

	assert_true(saved >= 0 && fd >= 0);
	fflush(stdout);
	dup2(fd, 1);
	close(fd);
	assert_int_equal(cmd_replay(4, argv), 0);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	f = fopen(out, "r");
	assert_non_null(f);
	text = calloc(1, 1 << 20);
	assert_non_null(text);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "pagealloc replay:", 17) &&
		    strncmp(line, "trace:", 6) && n + strlen(line) < (1u << 20) - 1)
			n += (size_t)sprintf(text + n, "%s", line);
	fclose(f);
	return text;
}

static void test_dat_matches_report_text(void **state)
{
	char dat[300], txt[300], cmd[700], out[300];
	struct trace_event *a, *b;
	size_t na, nb;
	char *ra, *rb;
	(void)state;

	snprintf(dat, sizeof(dat), "%s/t.dat", dir);
	snprintf(txt, sizeof(txt), "%s/t.txt", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
#ifdef LIB_LEAKS_UNDER_ASAN
	skip();
#endif
	if (!make_trace_dat(dat))
		skip();
	snprintf(cmd, sizeof(cmd), "trace-cmd report -i '%s' > '%s' 2>/dev/null",
		 dat, txt);
	assert_int_equal(system(cmd), 0);

	a = events_of(dat, &na);
	b = events_of(txt, &nb);
	assert_true(na > 0);
	assert_int_equal(na, nb);
	size_t vmstat = 0;

	for (size_t i = 0; i < na; i++)
		vmstat += a[i].kind == TEV_VMSTAT;
	print_message("trace.dat: %zu events, %zu vmstat_update runs\n", na, vmstat);
	for (size_t i = 0; i < na; i++) {
		assert_int_equal(a[i].kind, b[i].kind);
		assert_int_equal(a[i].cpu, b[i].cpu);
		assert_int_equal(a[i].ts_ns, b[i].ts_ns);
		assert_int_equal(a[i].pfn, b[i].pfn);
		assert_int_equal(a[i].order, b[i].order);
		assert_int_equal(a[i].migratetype, b[i].migratetype);
		assert_int_equal(a[i].failed, b[i].failed);
		assert_int_equal(a[i].percpu_refill, b[i].percpu_refill);
	}
	free(a);
	free(b);

	ra = report_of(dat, out);
	rb = report_of(txt, out);
	assert_string_equal(ra, rb);
	free(ra);
	free(rb);
}

/* libtracecmd seeks in the file: on a pipe the reader says how to convert. */
static void test_dat_on_pipe_refused(void **state)
{
	static const char head[] = "\027\010Dtracing6";
	struct trace_reader *r = NULL;
	char err[600];
	int p[2], saved;
	(void)state;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], head, sizeof(head) - 1), (ssize_t)sizeof(head) - 1);
	close(p[1]);
	saved = dup(0);
	dup2(p[0], 0);
	close(p[0]);
	assert_int_equal(trace_reader_open(&r, "-", err, sizeof(err)),
			 -EPROTONOSUPPORT);
	dup2(saved, 0);
	close(saved);
	assert_null(r);
	assert_non_null(strstr(err, "trace-cmd report -i"));
}

static int setup(void **state)
{
	(void)state;
	return th_tmpdir_make(dir);
}

static int teardown(void **state)
{
	(void)state;
	return th_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dat_matches_report_text),
		cmocka_unit_test(test_dat_on_pipe_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
