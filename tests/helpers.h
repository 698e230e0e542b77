/* SPDX-License-Identifier: MIT */
/*
 * helpers.h - shared helpers for the cmocka test binaries.
 * Linked into every tests/test_*.c binary.  Include after <cmocka.h>'s
 * prerequisites; this header includes them itself.
 */
#ifndef PA_TEST_HELPERS_H
#define PA_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "pagealloc.h"
#include "factory.h"

/* Fail the current test with pa_check()'s message unless the zone is
 * consistent. */
#define assert_check(zone)                                                   \
	do {                                                                 \
		char th_msg_[512] = "";                                      \
		int th_rc_ = pa_check((zone), th_msg_, sizeof(th_msg_));     \
		if (th_rc_ != 0)                                             \
			fail_msg("pa_check() = %d: %s", th_rc_, th_msg_);   \
	} while (0)

/* free + per-CPU + allocated == managed, read from pa_stats(). */
#define assert_accounting(zone)                                              \
	do {                                                                 \
		struct pa_stats th_s_;                                       \
		pa_stats((zone), &th_s_);                                    \
		if (th_s_.free_pages + th_s_.pcp_pages +                     \
			    th_s_.allocated_pages != th_s_.managed_pages)    \
			fail_msg("accounting: free %llu + pcp %llu + "       \
				 "allocated %llu != managed %llu",           \
				 (unsigned long long)th_s_.free_pages,       \
				 (unsigned long long)th_s_.pcp_pages,        \
				 (unsigned long long)th_s_.allocated_pages,  \
				 (unsigned long long)th_s_.managed_pages);   \
	} while (0)

/* The zone is consistent, and a rejected call left a message in the
 * factory's error hook (th_zone_create). */
#define assert_rejected(zone)                                                \
	do {                                                                 \
		assert_check(zone);                                          \
		assert_accounting(zone);                                     \
		assert_true(th_zone_errors_take((zone), NULL, 0) >= 1);      \
	} while (0)

/* Everything an error hook received. */
struct th_errlog {
	unsigned count;
	int last_err;
	char last[512];
};
void th_errlog_fn(void *arg, int err, const char *msg);

/* Write n bytes to a new file at path: 0, or -1 on any failure. */
int th_write_file(const char *path, const void *data, size_t n);

/* A report as a malloc()ed NUL-terminated string (NULL on failure, with
 * the pa_report() return value in *rc when rc is not NULL). */
char *th_report(struct pa_zone *zone, enum pa_report what, int *rc);

/*
 * Parse the single buddyinfo line; counts[0..n-1] get the per-order free
 * block counts.  Returns the number of orders found, or -1 if the text is
 * not one "Node N, zone NAME c0 c1 ...\n" line.
 */
int th_parse_buddyinfo(const char *text, uint64_t *counts, unsigned n);

/* What a bad call must leave unchanged: the counters a bad call must not
 * move, and the free-area reports. */
struct th_snapshot {
	struct pa_stats st;
	char *buddyinfo;
	char *pagetypeinfo;
	char *spbinfo;      /* every superpageblock's summary */
};
void th_snapshot_take(struct pa_zone *zone, struct th_snapshot *s);
void th_snapshot_free(struct th_snapshot *s);
/* Fail the test if the zone differs from the snapshot in anything but
 * bad_frees/alloc_failed and the lock statistics. */
void th_snapshot_assert_same(struct pa_zone *zone, const struct th_snapshot *s,
			     const char *what);

/* splitmix64 */
struct th_rng {
	uint64_t s;
};
uint64_t th_next(struct th_rng *r);
/* Uniform in [0, n); n > 0. */
uint64_t th_below(struct th_rng *r, uint64_t n);
/* The seed: $PA_SEED if set, else from the clock; printed either way with
 * the test's name so that a failure can be reproduced. */
uint64_t th_seed(const char *what);

/* CLOCK_MONOTONIC in ns, for the stress tests' deadlines (never asserted). */
uint64_t th_now_ns(void);

/* Seconds a stress loop runs past its deadline waiting for work_done. */
#define TH_STRESS_GRACE_S 120

/*
 * Should a stress test's threads stop?  Once deadline_ns has passed and
 * work_done (the work the test asserts happened) holds, however slow the
 * machine (TSan under load starved threads for the whole run); or
 * TH_STRESS_GRACE_S later regardless, so that work which cannot happen
 * fails its assertion instead of hanging.
 */
bool th_stress_stop(uint64_t deadline_ns, bool work_done);

/* A work counter of a stress test, read atomically. */
static inline uint64_t th_load(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/*
 * For tests that interrupt a lock holder with a signal: SIGUSR1 runs
 * on_usr1, and SIGALRM (armed by the test with alarm()) reports that a
 * nolock call blocked and ends the process with status 3, so a deadlock is
 * a failure instead of a hang.
 */
void th_install_nolock_signals(void (*on_usr1)(int));

/* Nonzero when the suite runs under a sanitizer (PA_SANITIZER builds). */
int th_sanitized(void);

/* The repository's top directory (git rev-parse --show-toplevel, else
 * "."), looked up once; for inputs kept in the repository or beside it. */
const char *th_top_dir(void);

/* A suite's scratch directory: th_tmpdir_make fills a mkdtemp template
 * ("/tmp/pa-NAME-XXXXXX") in place, th_tmpdir_remove deletes it with
 * everything under it (symlinks not followed).  Both return 0 or -1, the
 * shape a cmocka group setup/teardown returns. */
int th_tmpdir_make(char *tmpl);
int th_tmpdir_remove(const char *dir);

/* The pagealloc command built beside this test (build/tests/test_x ->
 * build/pagealloc) into out: 0, or -1 when it is missing or not executable. */
int th_pagealloc_exe(char *out, size_t len);

/* Run a command's entry point (cmd_replay, ...) with its stdout on
 * out_path and its stderr on err_path (files created or truncated; NULL
 * leaves that stream alone).  The streams' error flags are cleared after:
 * a full device's error is the command's to see.  Its exit status, or -1
 * when a file cannot be opened. */
int th_run_redirected(int (*fn)(int, char **), int argc, char **argv,
		      const char *out_path, const char *err_path);

/* The whole file at path, NUL-terminated, its size into *len (unless
 * NULL); the caller frees.  Fails the test if it cannot be read. */
char *th_slurp(const char *path, size_t *len);

/* The zone's tainted superpageblocks, from pa_frag (takes zone->lock);
 * fails the test if pa_frag fails. */
uint64_t th_tainted_spbs(struct pa_zone *z);

#endif
