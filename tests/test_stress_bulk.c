/* SPDX-License-Identifier: MIT */
/*
 * Concurrency stress for the bulk calls (CI runs it under TSan): worker
 * threads mixing pa_alloc_bulk/pa_free_bulk with single calls on random
 * CPU slots and PA_CPU_CURRENT (so frees cross CPUs and pageset trylocks
 * fail), a thread taking CPUs offline and online and draining, and a
 * 5 kHz timer whose handler allocates in bulk with PA_GFP_NOLOCK and frees
 * with pa_free_nolock.  At the end: no deadlock, no unexpected failure,
 * pa_check clean, everything back.  Every policy (tests/factory.h).
 * About a second per case; PA_STRESS_LONG=1 for a soak.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

#define NWORKERS 4
#define HOLD 256

struct stress {
	struct pa_zone *z;
	unsigned ncpus;
	int stop;                  /* atomic */
	uint64_t failures;         /* atomic: frees that failed */
	uint64_t sig_pages, cycles; /* atomic */
};

/* The handler's target: the one process-wide pointer (set before the
 * timer starts, cleared after it stops). */
static struct stress *sig_target;

static void on_signal(int sig)
{
	struct stress *s = __atomic_load_n(&sig_target, __ATOMIC_ACQUIRE);
	uint64_t p[4];
	int saved = errno;

	(void)sig;
	if (!s)
		return;
	unsigned got = pa_alloc_bulk(s->z, PA_CPU_CURRENT, 0,
				     PA_GFP_NOLOCK | PA_GFP_NOWARN, 4, p);

	for (unsigned i = 0; i < got; i++)
		if (pa_free_nolock(s->z, p[i], 0))
			__atomic_fetch_add(&s->failures, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->sig_pages, got, __ATOMIC_RELAXED);
	errno = saved;
}

struct worker {
	struct stress *s;
	unsigned id;
	pthread_t th;
	uint64_t p[HOLD];
	unsigned o[HOLD], n;
};

static unsigned pick_cpu(struct th_rng *r, unsigned ncpus)
{
	return th_below(r, 4) ? (unsigned)th_below(r, ncpus) : PA_CPU_CURRENT;
}

static void give_back(struct worker *w, struct th_rng *r, unsigned k)
{
	struct stress *s = w->s;

	if (th_below(r, 3)) {
		/* the newest k, in one batch */
		int rc = pa_free_bulk(s->z, pick_cpu(r, s->ncpus), w->p + w->n - k,
				      w->o + w->n - k, k);

		if (rc != (int)k)
			__atomic_fetch_add(&s->failures, 1, __ATOMIC_RELAXED);
		w->n -= k;
		return;
	}
	while (k--) {
		w->n--;
		if (pa_free_cpu(s->z, (unsigned)th_below(r, s->ncpus), w->p[w->n],
				w->o[w->n]))
			__atomic_fetch_add(&s->failures, 1, __ATOMIC_RELAXED);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;
	struct th_rng r = { 0x9e3779b97f4a7c15ull * (w->id + 1) };

	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		unsigned room = HOLD - w->n;

		if (th_below(&r, 2) && room) {
			unsigned order = th_below(&r, 8) ? (unsigned)th_below(&r, 4) : 5;
			unsigned want = 1 + (unsigned)th_below(&r, room < 32 ? room : 32);
			unsigned gfp = (th_below(&r, 2) ? PA_GFP_MOVABLE : 0) | PA_GFP_NOWARN;
			unsigned got = th_below(&r, 4) ?
				pa_alloc_bulk(s->z, pick_cpu(&r, s->ncpus), order, gfp,
					      want, w->p + w->n) :
				(w->p[w->n] = pa_alloc_cpu(s->z, (unsigned)th_below(&r, s->ncpus),
							   order, gfp)) != PA_NO_PFN;

			for (unsigned i = 0; i < got; i++)
				w->o[w->n + i] = order;
			w->n += got;
		} else if (w->n) {
			give_back(w, &r, 1 + (unsigned)th_below(&r, w->n));
		}
	}
	if (w->n)
		give_back(w, &r, w->n);
	return NULL;
}

static void *hotplug_main(void *arg)
{
	struct stress *s = arg;
	struct th_rng r = { 4242 };

	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		unsigned cpu = (unsigned)th_below(&r, s->ncpus);

		assert_int_equal(pa_cpu_offline(s->z, cpu), 0);
		usleep(100);
		assert_int_equal(pa_cpu_online(s->z, cpu), 0);
		if (th_below(&r, 2))
			pa_drain(s->z);
		else
			pa_drain_cpu(s->z, (unsigned)th_below(&r, s->ncpus));
		__atomic_fetch_add(&s->cycles, 1, __ATOMIC_RELAXED);
		usleep(200);
	}
	return NULL;
}

static void run(void **state, unsigned ncpus, unsigned high)
{
	struct pa_config c = th_config(128, 4, 6, 0, ncpus);
	struct stress s = { .ncpus = ncpus };
	struct worker *w = calloc(NWORKERS, sizeof(*w));
	const char *l = getenv("PA_STRESS_LONG");
	double secs = l && *l && strcmp(l, "0") ? 30.0 : 1.0;
	pthread_t hp;

	assert_non_null(w);
	if (high) { /* drains inside most batches */
		c.pcp_batch = 2;
		c.pcp_high_min = c.pcp_high_max = high;
	}
	s.z = th_zone_or_skip(state, &c);
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
	__atomic_store_n(&sig_target, &s, __ATOMIC_RELEASE);
	struct itimerval it = { { 0, 200 }, { 0, 200 } };

	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	for (unsigned i = 0; i < NWORKERS; i++) {
		w[i].s = &s;
		w[i].id = i;
		assert_int_equal(pthread_create(&w[i].th, NULL, worker_main, &w[i]), 0);
	}
	assert_int_equal(pthread_create(&hp, NULL, hotplug_main, &s), 0);
	struct timespec ts = { (time_t)secs, 0 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	/* the hotplug cycle asserted below, however slow the machine */
	for (uint64_t end = th_now_ns(); !th_stress_stop(end, th_load(&s.cycles) > 0);)
		usleep(10000);
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < NWORKERS; i++)
		assert_int_equal(pthread_join(w[i].th, NULL), 0);
	assert_int_equal(pthread_join(hp, NULL), 0);
	struct itimerval off = { { 0, 0 }, { 0, 0 } };

	setitimer(ITIMER_REAL, &off, NULL);
	__atomic_store_n(&sig_target, NULL, __ATOMIC_RELEASE);

	assert_int_equal(s.failures, 0);
	for (unsigned cpu = 0; cpu < ncpus; cpu++)
		pa_cpu_online(s.z, cpu);
	pa_drain(s.z);
	assert_check(s.z);
	struct pa_stats st;

	pa_stats(s.z, &st);
	assert_int_equal(st.allocated_pages, 0);
	assert_int_equal(st.free_pages, st.managed_pages);
	print_message("stress_bulk %s %u cpus: %llu allocs, %llu pages from signal handlers, %llu hotplug cycles, trylock fallbacks alloc %llu free %llu\n",
		      th_policy_str(state), ncpus, (unsigned long long)st.alloc_calls,
		      (unsigned long long)s.sig_pages, (unsigned long long)s.cycles,
		      (unsigned long long)st.pcp_trylock_fallback_alloc,
		      (unsigned long long)st.pcp_trylock_fallback_free);
	assert_true(s.cycles > 0);
	th_zone_destroy(s.z);
	free(w);
}

static void stress_bulk_2cpus(void **state)
{
	run(state, 2, 0);
}

static void stress_bulk_3cpus_tiny_pagesets(void **state)
{
	run(state, 3, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		th_policy_test(stress_bulk_2cpus),
		th_policy_test(stress_bulk_3cpus_tiny_pagesets),
	};

	return th_run_policy_group("stress_bulk", tests);
}
