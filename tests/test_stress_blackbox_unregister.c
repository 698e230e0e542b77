/* SPDX-License-Identifier: MIT */
/*
 * test_stress_blackbox_unregister.c - black-box check of
 * pa_unregister_shrinker()'s promise in include/pagealloc.h: it "waits for
 * a pass using it to finish, so `arg` may be freed when this returns".  A
 * thread reclaims through a slow shrinker; the main thread unregisters it
 * while its scan runs: when unregister returns, the scan must be over and
 * never run again.  Under every policy.
 */
#include <pthread.h>
#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>
#include "helpers.h"

struct bb_slow {
	atomic_int in_scan;
	atomic_int entered;
	atomic_int after_unregister; /* scans that began after unregister */
	atomic_int unregistered;
};

static uint64_t bb_count(void *arg, const struct pa_shrink_control *sc)
{
	(void)arg;
	(void)sc;
	return 1000;
}

static uint64_t bb_scan(void *arg, struct pa_shrink_control *sc)
{
	struct bb_slow *s = arg;

	if (atomic_load(&s->unregistered))
		atomic_fetch_add(&s->after_unregister, 1);
	atomic_store(&s->in_scan, 1);
	atomic_fetch_add(&s->entered, 1);
	usleep(20000); /* widen the window the unregister must wait through */
	atomic_store(&s->in_scan, 0);
	sc->nr_scanned = sc->nr_to_scan;
	return 0;
}

struct bb_args {
	struct pa_zone *zone;
	atomic_int stop;
};

static void *bb_reclaimer(void *arg)
{
	struct bb_args *a = arg;

	while (!atomic_load(&a->stop))
		assert_true(pa_reclaim(a->zone, 8, NULL) >= 0);
	return NULL;
}

static void unregister_waits_for_scan(void **state)
{
	struct pa_config cfg = th_config(8, 3, 5, 0, 2);
	struct bb_args a = { 0 };
	struct bb_slow s = { 0 };
	pthread_t t;
	int id;

	a.zone = th_zone_or_skip(state, &cfg);
	id = pa_register_shrinker(a.zone, bb_count, bb_scan, &s);
	assert_true(id > 0);
	assert_int_equal(pthread_create(&t, NULL, bb_reclaimer, &a), 0);
	while (!atomic_load(&s.entered))
		usleep(100);
	assert_int_equal(pa_unregister_shrinker(a.zone, id), 0);
	atomic_store(&s.unregistered, 1);
	assert_int_equal(atomic_load(&s.in_scan), 0);
	usleep(50000);
	atomic_store(&a.stop, 1);
	pthread_join(t, NULL);
	assert_int_equal(atomic_load(&s.after_unregister), 0);
	assert_int_equal(pa_unregister_shrinker(a.zone, id), -EINVAL);
	th_zone_errors_take(a.zone, NULL, 0);
	assert_check(a.zone);
	assert_accounting(a.zone);
	th_zone_destroy(a.zone);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		th_policy_test(unregister_waits_for_scan),
	};
	return th_run_policy_group("stress_blackbox_unregister", tests);
}
