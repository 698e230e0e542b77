/* SPDX-License-Identifier: MIT */
/*
 * No nolock path may spin on any lock.  A signal handler interrupts a
 * thread while it holds zone->lock (the event hook, which runs under
 * zone->lock for mm_page_alloc_zone_locked, raises the signal) and makes a
 * high-order atomic allocation through the nolock API that the pageset can
 * serve: a success there reserves a highatomic pageblock, which used to
 * take zone->lock unconditionally and hang forever.  An alarm turns a hang
 * into a failure.  Runs under every policy the library accepts.
 *
 * `armed` is the one piece of mutable global state: a signal handler can
 * reach its job only through a global.
 */
#include "helpers.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

struct job {
	struct pa_zone *z;
	volatile sig_atomic_t fired;
	uint64_t pfn;
};

static struct job *volatile armed;

static void on_usr1(int sig)
{
	struct job *j = armed;

	(void)sig;
	if (!j)
		return;
	j->fired = 1;
	j->pfn = pa_alloc_cpu(j->z, 0, 1, PA_GFP_ATOMIC | PA_GFP_NOLOCK |
				      PA_GFP_NOWARN);
}

static void ev_hook(void *arg, const char *line)
{
	struct job *j = arg;

	if (j == armed && !j->fired && strstr(line, "mm_page_alloc_zone_locked:"))
		raise(SIGUSR1);
}

static void atomic_high_order_under_zone_lock(void **state)
{
	/* 2048 pages: big enough for a highatomic reserve (1%) */
	struct pa_config c = th_config(128, 4, 6, 0, 2);
	struct job j;

	memset(&j, 0, sizeof(j));
	c.event_fn = ev_hook;
	c.event_arg = &j;
	j.z = th_zone_or_skip(state, &c);
	th_install_nolock_signals(on_usr1);
	/* an order-1 unmovable block cached on CPU 0's pageset */
	uint64_t cached = pa_alloc_cpu(j.z, 0, 1, 0);

	assert_int_not_equal(cached, PA_NO_PFN);
	assert_int_equal(pa_free_cpu(j.z, 0, cached, 1), 0);

	/* order 5 is cached by no pageset: the zone path, under zone->lock */
	alarm(10);
	armed = &j;
	uint64_t outer = pa_alloc_cpu(j.z, 1, 5, PA_GFP_MOVABLE);
	armed = NULL;
	alarm(0);
	assert_int_not_equal(outer, PA_NO_PFN);
	if (!j.fired)
		fail_msg("%s: the interruption was not placed", th_policy_str(state));
	if (j.pfn == PA_NO_PFN)
		fail_msg("%s: the cached order-1 block was not handed out",
			 th_policy_str(state));
	assert_check(j.z);
	assert_int_equal(pa_free_cpu(j.z, 0, j.pfn, 1), 0);
	assert_int_equal(pa_free_cpu(j.z, 1, outer, 5), 0);
	th_zone_destroy(j.z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		th_policy_test(atomic_high_order_under_zone_lock),
	};

	return th_run_policy_group("nolock_never_spins", tests);
}
