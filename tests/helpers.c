/* SPDX-License-Identifier: MIT */
#include "helpers.h"

#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <inttypes.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void th_errlog_fn(void *arg, int err, const char *msg)
{
	struct th_errlog *l = arg;

	l->count++;
	l->last_err = err;
	snprintf(l->last, sizeof(l->last), "%s", msg ? msg : "(null)");
}

int th_write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	bool ok = f && fwrite(data, 1, n, f) == n;

	if (f && fclose(f) != 0)
		ok = false;
	return ok ? 0 : -1;
}

char *th_report(struct pa_zone *zone, enum pa_report what, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r;

	if (!f) {
		if (rc)
			*rc = -1;
		return NULL;
	}
	r = pa_report(zone, what, f);
	if (fclose(f) != 0 && r == 0)
		r = -1;
	if (rc)
		*rc = r;
	if (r != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int th_parse_buddyinfo(const char *text, uint64_t *counts, unsigned n)
{
	int node, used = 0;
	char name[64];
	const char *p;
	unsigned k = 0;

	if (sscanf(text, "Node %d, zone %63s %n", &node, name, &used) < 2 ||
	    used == 0)
		return -1;
	p = text + used;
	while (*p && *p != '\n') {
		char *end;
		unsigned long long v = strtoull(p, &end, 10);

		if (end == p)
			return -1;
		if (k < n)
			counts[k] = v;
		k++;
		p = end;
		while (*p == ' ')
			p++;
	}
	if (*p != '\n' || p[1] != '\0')
		return -1;
	return (int)k;
}

void th_snapshot_take(struct pa_zone *zone, struct th_snapshot *s)
{
	pa_stats(zone, &s->st);
	s->buddyinfo = th_report(zone, PA_REPORT_BUDDYINFO, NULL);
	s->pagetypeinfo = th_report(zone, PA_REPORT_PAGETYPEINFO, NULL);
	s->spbinfo = th_report(zone, PA_REPORT_SPBINFO, NULL);
	assert_non_null(s->buddyinfo);
	assert_non_null(s->pagetypeinfo);
	assert_non_null(s->spbinfo);
}

void th_snapshot_free(struct th_snapshot *s)
{
	free(s->buddyinfo);
	free(s->pagetypeinfo);
	free(s->spbinfo);
	s->buddyinfo = s->pagetypeinfo = s->spbinfo = NULL;
}

#define TH_SAME(field)                                                        \
	do {                                                                  \
		if (now.field != s->st.field)                                 \
			fail_msg("%s changed " #field ": %" PRIu64            \
				 " -> %" PRIu64, what, s->st.field,           \
				 now.field);                                  \
	} while (0)

void th_snapshot_assert_same(struct pa_zone *zone, const struct th_snapshot *s,
			     const char *what)
{
	struct pa_stats now;
	char *bi, *pti;

	pa_stats(zone, &now);
	TH_SAME(managed_pages);
	TH_SAME(free_pages);
	TH_SAME(pcp_pages);
	TH_SAME(allocated_pages);
	TH_SAME(alloc_calls);
	TH_SAME(free_calls);
	TH_SAME(pgalloc);
	TH_SAME(pgfree);
	TH_SAME(nr_pageblocks);
	TH_SAME(pgmigrate_success);
	bi = th_report(zone, PA_REPORT_BUDDYINFO, NULL);
	pti = th_report(zone, PA_REPORT_PAGETYPEINFO, NULL);
	assert_non_null(bi);
	assert_non_null(pti);
	if (strcmp(bi, s->buddyinfo) != 0)
		fail_msg("%s changed buddyinfo:\n%s---\n%s", what, s->buddyinfo,
			 bi);
	if (strcmp(pti, s->pagetypeinfo) != 0)
		fail_msg("%s changed pagetypeinfo:\n%s---\n%s", what,
			 s->pagetypeinfo, pti);
	free(bi);
	free(pti);
	bi = th_report(zone, PA_REPORT_SPBINFO, NULL);
	assert_non_null(bi);
	if (strcmp(bi, s->spbinfo) != 0)
		fail_msg("%s changed spbinfo:\n%s---\n%s", what, s->spbinfo, bi);
	free(bi);
}

uint64_t th_next(struct th_rng *r)
{
	uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

uint64_t th_below(struct th_rng *r, uint64_t n)
{
	return n ? th_next(r) % n : 0;
}

uint64_t th_seed(const char *what)
{
	const char *env = getenv("PA_SEED");
	uint64_t seed;

	if (env && *env) {
		seed = strtoull(env, NULL, 0);
	} else {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * UINT64_C(1000000007) ^
		       (uint64_t)ts.tv_nsec;
	}
	print_message("%s: seed %" PRIu64 " (reproduce with PA_SEED=%" PRIu64
		      ")\n", what, seed, seed);
	return seed;
}

int th_sanitized(void)
{
#ifdef PA_SANITIZER
	return 1;
#else
	return 0;
#endif
}

static void th_on_alarm(int sig)
{
	static const char msg[] = "nolock call blocked on a lock (alarm)\n";

	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(3);
}

void th_install_nolock_signals(void (*on_usr1)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
	sa.sa_handler = th_on_alarm;
	assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
}

uint64_t th_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool th_stress_stop(uint64_t deadline_ns, bool work_done)
{
	uint64_t now = th_now_ns();

	if (now <= deadline_ns)
		return false;
	return work_done || now - deadline_ns > TH_STRESS_GRACE_S * 1000000000ull;
}

const char *th_top_dir(void)
{
	static char top[4096];
	FILE *p;

	if (top[0])
		return top;
	snprintf(top, sizeof(top), ".");
	p = popen("git rev-parse --show-toplevel 2>/dev/null", "r");
	if (p) {
		if (!fgets(top, sizeof(top), p) || top[0] == '\n')
			snprintf(top, sizeof(top), ".");
		top[strcspn(top, "\n")] = 0;
		pclose(p);
	}
	return top;
}

int th_pagealloc_exe(char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return -1;
	self[n] = '\0';
	snprintf(out, len, "%s/../pagealloc", dirname(self));
	return access(out, X_OK) == 0 ? 0 : -1;
}

int th_tmpdir_make(char *tmpl)
{
	return mkdtemp(tmpl) ? 0 : -1;
}

static int remove_entry(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

int th_tmpdir_remove(const char *dir)
{
	return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

/* Point fd `which` (1 or 2) at path; the saved descriptor, or -1. */
static int redirect(int which, const char *path)
{
	int saved, fd;

	if (!path)
		return -2;      /* nothing to restore */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	saved = fd >= 0 ? dup(which) : -1;
	if (saved < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fflush(which == 1 ? stdout : stderr);
	dup2(fd, which);
	close(fd);
	return saved;
}

static void restore(int which, int saved)
{
	FILE *f = which == 1 ? stdout : stderr;

	if (saved < 0)
		return;
	fflush(f);
	clearerr(f);
	dup2(saved, which);
	close(saved);
}

int th_run_redirected(int (*fn)(int, char **), int argc, char **argv,
		      const char *out_path, const char *err_path)
{
	int out = redirect(1, out_path), err, rc;

	if (out == -1)
		return -1;
	err = redirect(2, err_path);
	if (err == -1) {
		restore(1, out);
		return -1;
	}
	rc = fn(argc, argv);
	restore(2, err);
	restore(1, out);
	return rc;
}

char *th_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

uint64_t th_tainted_spbs(struct pa_zone *z)
{
	struct pa_frag f;

	assert_int_equal(pa_frag(z, &f), 0);
	return f.tainted_superpageblocks;
}
