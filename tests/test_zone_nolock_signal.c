/* SPDX-License-Identifier: MIT */
/*
 * The nolock API's promise, made deterministic: a signal handler that
 * interrupts a thread *while it holds zone->lock* can still free (the free
 * is validated, then deferred onto the zone's lock-free list and merged by
 * the next lock holder) and can try to allocate (it fails or succeeds,
 * but never waits).  The interruption is placed exactly: the event hook,
 * which runs under zone->lock for mm_page_alloc_zone_locked, raises the
 * signal.  A deadlock trips an alarm and fails the test.
 *
 * A signal handler can only reach its state through a global: `armed`
 * below is the one piece of mutable global state, set and cleared by each
 * test around the call it interrupts.  Every case runs under every policy
 * the library accepts (tests/factory.h).
 */
#include "helpers.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sigjob {
	struct pa_zone *z;
	uint64_t free_pfn;      /* a live block the handler frees */
	unsigned free_order;
	uint64_t bad_pfn;       /* a block the handler frees twice */
	volatile sig_atomic_t fired;
	int free_rc, double_rc;
	uint64_t alloc_pfn;
};

static struct sigjob *volatile armed;

static void on_usr1(int sig)
{
	struct sigjob *j = armed;

	(void)sig;
	if (!j)
		return;
	j->fired = 1;
	j->free_rc = pa_free_nolock(j->z, j->free_pfn, j->free_order);
	/* the same block again: still validated, refused */
	j->double_rc = pa_free_nolock(j->z, j->free_pfn, j->free_order);
	j->alloc_pfn = pa_alloc_nolock(j->z, 0, PA_GFP_NOWARN);
}

/* Under zone->lock: interrupt ourselves once. */
static void ev_hook(void *arg, const char *line)
{
	struct sigjob *j = arg;

	if (j == armed && !j->fired && strstr(line, "mm_page_alloc_zone_locked:"))
		raise(SIGUSR1);
}

static void run(void **state, unsigned flags)
{
	struct sigjob j;
	struct pa_config c = th_config(8, 4, 6, flags | PA_CFG_NO_WATERMARKS, 2);
	struct pa_stats st0, st;
	uint64_t outer, n, got = 0;

	memset(&j, 0, sizeof(j));
	c.event_fn = ev_hook;
	c.event_arg = &j;
	j.z = th_zone_or_skip(state, &c);
	n = pa_managed_pages(j.z);
	th_install_nolock_signals(on_usr1);

	j.free_order = 2;
	j.free_pfn = pa_alloc_cpu(j.z, 0, j.free_order, PA_GFP_MOVABLE);
	assert_int_not_equal(j.free_pfn, PA_NO_PFN);
	pa_drain(j.z);
	pa_stats(j.z, &st0);

	/* an allocation that has to go to the zone free lists */
	alarm(10);
	armed = &j;
	outer = pa_alloc_cpu(j.z, 1, 5, PA_GFP_MOVABLE);
	armed = NULL;
	alarm(0);
	assert_int_not_equal(outer, PA_NO_PFN);
	if (!j.fired)
		fail_msg("no mm_page_alloc_zone_locked event: the interruption "
			 "was not placed");
	assert_int_equal(j.free_rc, 0);
	assert_int_equal(j.double_rc, -EINVAL);
	pa_stats(j.z, &st);
	if (flags & PA_CFG_NO_PCP)
		/* no per-CPU list to take it: zone->lock was held */
		assert_int_equal(st.nolock_deferred_frees,
				 st0.nolock_deferred_frees + 1);
	assert_int_equal(st.bad_frees, st0.bad_frees + 1);
	/* the handler's double free is reported even under nolock */
	assert_int_equal(th_zone_errors_take(j.z, NULL, 0), 1);

	/* quiescent again: every invariant holds, deferred pages included */
	assert_accounting(j.z);
	assert_check(j.z);
	assert_int_equal(pa_free_cpu(j.z, 0, outer, 5), 0);
	if (j.alloc_pfn != PA_NO_PFN)
		assert_int_equal(pa_free(j.z, j.alloc_pfn, 0), 0);
	/* the block freed in the handler is really back: the whole zone can
	 * be allocated again */
	pa_drain(j.z);
	while (pa_alloc_cpu(j.z, 0, 0, PA_GFP_NOWARN) != PA_NO_PFN)
		got++;
	assert_int_equal(got, n);
	th_zone_destroy(j.z);
}

static void zone_path(void **state)
{
	run(state, PA_CFG_NO_PCP);
}

static void pcp(void **state)
{
	run(state, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		th_policy_test(zone_path),
		th_policy_test(pcp),
	};

	return th_run_policy_group("zone_nolock_signal", tests);
}
