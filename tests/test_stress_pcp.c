/* SPDX-License-Identifier: MIT */
/*
 * Concurrency stress for the per-CPU pagesets: more threads than cores and
 * than CPU slots (so pcp trylocks really fail), random orders and
 * migratetypes, blocks freed by another thread than the one that allocated
 * them, CPU offline/online cycles, and a signal storm (a 5 kHz timer whose
 * handler allocates and frees with the nolock API) all at once.
 * At the end: every thread finished (no deadlock), pa_check is clean, the
 * accounting is exact and no call reported an error.  Every case runs
 * under every policy the library accepts (tests/factory.h).  Short by
 * default; PA_STRESS_LONG=1 for a soak.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

#define NTHREADS 6
#define RING 4096

/* Blocks handed from one thread to another, to be freed there. */
struct handoff {
	pthread_mutex_t lock;
	uint64_t pfn[RING];
	unsigned order[RING];
	unsigned head, n;
};

struct stress {
	struct pa_zone *zone;
	unsigned ncpus;
	double seconds;
	int stop;                 /* atomic */
	uint64_t signal_allocs;   /* atomic, written from the handler */
	uint64_t signal_alloc_fail;
	uint64_t bad_free_results; /* frees that unexpectedly failed */
	uint64_t cpu_cycles;
	struct handoff ho;
};

/* The signal handler needs its target: the one process-wide pointer this
 * test keeps (set before the timer starts, cleared after it stops). */
static struct stress *sig_target;

static void on_signal(int sig)
{
	(void)sig;
	struct stress *s = __atomic_load_n(&sig_target, __ATOMIC_ACQUIRE);
	int saved = errno;

	if (!s)
		return;
	unsigned order = (unsigned)(pa_current_cpu(s->zone) & 1);
	uint64_t pfn = pa_alloc_nolock(s->zone, order, PA_GFP_NOWARN);

	if (pfn == PA_NO_PFN) {
		__atomic_fetch_add(&s->signal_alloc_fail, 1, __ATOMIC_RELAXED);
	} else {
		__atomic_fetch_add(&s->signal_allocs, 1, __ATOMIC_RELAXED);
		if (pa_free_nolock(s->zone, pfn, order))
			__atomic_fetch_add(&s->bad_free_results, 1,
					   __ATOMIC_RELAXED);
	}
	errno = saved;
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void handoff_put(struct handoff *h, uint64_t pfn, unsigned order,
			struct stress *s)
{
	pthread_mutex_lock(&h->lock);
	if (h->n == RING) {
		/* full: free the oldest ourselves */
		unsigned i = h->head;

		if (pa_free(s->zone, h->pfn[i], h->order[i]))
			__atomic_fetch_add(&s->bad_free_results, 1, __ATOMIC_RELAXED);
		h->head = (h->head + 1) % RING;
		h->n--;
	}
	unsigned t = (h->head + h->n) % RING;

	h->pfn[t] = pfn;
	h->order[t] = order;
	h->n++;
	pthread_mutex_unlock(&h->lock);
}

static int handoff_get(struct handoff *h, uint64_t *pfn, unsigned *order)
{
	int got = 0;

	pthread_mutex_lock(&h->lock);
	if (h->n) {
		*pfn = h->pfn[h->head];
		*order = h->order[h->head];
		h->head = (h->head + 1) % RING;
		h->n--;
		got = 1;
	}
	pthread_mutex_unlock(&h->lock);
	return got;
}

struct worker {
	struct stress *s;
	unsigned id;
	pthread_t th;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;
	uint64_t rng = 0x9e3779b97f4a7c15ull * (w->id + 1);
	uint64_t mine[256];
	unsigned mine_order[256], n = 0;
	static const unsigned gfps[] = { 0, PA_GFP_MOVABLE, PA_GFP_RECLAIMABLE,
					 PA_GFP_MOVABLE };

	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		uint64_t r = xorshift(&rng);
		unsigned op = r % 100;

		if (op < 45 && n < 256) {
			unsigned order = (r >> 8) % 16 == 0 ? 9 : (r >> 12) % 4;
			unsigned gfp = gfps[(r >> 16) % 4] | PA_GFP_NOWARN;
			uint64_t pfn;

			if ((r >> 20) % 2)
				pfn = pa_alloc(s->zone, order, gfp);
			else
				pfn = pa_alloc_cpu(s->zone, (unsigned)((r >> 24) % s->ncpus),
						   order, gfp);
			if (pfn != PA_NO_PFN) {
				mine[n] = pfn;
				mine_order[n++] = order;
			}
		} else if (op < 70 && n) {
			/* hand one to another thread */
			n--;
			handoff_put(&s->ho, mine[n], mine_order[n], s);
		} else if (op < 85) {
			uint64_t pfn;
			unsigned order;

			if (handoff_get(&s->ho, &pfn, &order) &&
			    pa_free_cpu(s->zone, (unsigned)((r >> 28) % s->ncpus),
					pfn, order))
				__atomic_fetch_add(&s->bad_free_results, 1,
						   __ATOMIC_RELAXED);
		} else if (n) {
			n--;
			if (pa_free(s->zone, mine[n], mine_order[n]))
				__atomic_fetch_add(&s->bad_free_results, 1,
						   __ATOMIC_RELAXED);
		}
	}
	while (n) {
		n--;
		if (pa_free(s->zone, mine[n], mine_order[n]))
			__atomic_fetch_add(&s->bad_free_results, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *hotplug_main(void *arg)
{
	struct stress *s = arg;
	uint64_t rng = 12345;

	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		unsigned cpu = (unsigned)(xorshift(&rng) % s->ncpus);

		assert_int_equal(pa_cpu_offline(s->zone, cpu), 0);
		usleep(200);
		assert_int_equal(pa_cpu_online(s->zone, cpu), 0);
		if (xorshift(&rng) % 4 == 0)
			pa_drain(s->zone);
		if (xorshift(&rng) % 8 == 0)
			pa_pcp_tick(s->zone);
		__atomic_fetch_add(&s->cpu_cycles, 1, __ATOMIC_RELAXED);
		usleep(300);
	}
	return NULL;
}

static double stress_seconds(void)
{
	const char *l = getenv("PA_STRESS_LONG");

	return l && *l && strcmp(l, "0") ? 60.0 : 2.0;
}

static void run_stress(void **state, unsigned ncpus, unsigned flags)
{
	struct pa_config cfg = pa_config_default();
	struct pa_zone *z;
	struct stress *s;

	cfg.bytes = 32ull << 20;
	th_config_spb(&cfg, TH_SPB_PAGEBLOCKS); /* a few, not one partial */
	cfg.ncpus = ncpus;
	cfg.flags = flags;
	z = th_zone_or_skip(state, &cfg);
	s = calloc(1, sizeof(*s));
	assert_non_null(s);
	s->zone = z;
	s->ncpus = ncpus;
	s->seconds = stress_seconds();
	pthread_mutex_init(&s->ho.lock, NULL);

	/* the signal storm */
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
	__atomic_store_n(&sig_target, s, __ATOMIC_RELEASE);
	struct itimerval it = { { 0, 200 }, { 0, 200 } }; /* 5 kHz */
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);

	struct worker w[NTHREADS];
	pthread_t hp;

	for (unsigned i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ .s = s, .id = i };
		assert_int_equal(pthread_create(&w[i].th, NULL, worker_main, &w[i]), 0);
	}
	assert_int_equal(pthread_create(&hp, NULL, hotplug_main, s), 0);

	struct timespec ts = { (time_t)s->seconds,
			       (long)((s->seconds - (time_t)s->seconds) * 1e9) };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	/* the storm and the hotplug cycle asserted below, however slow the
	 * machine */
	for (uint64_t end = th_now_ns();
	     !th_stress_stop(end, th_load(&s->signal_allocs) + th_load(&s->signal_alloc_fail) &&
					  th_load(&s->cpu_cycles));)
		usleep(10000);
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_join(w[i].th, NULL), 0);
	assert_int_equal(pthread_join(hp, NULL), 0);

	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	__atomic_store_n(&sig_target, NULL, __ATOMIC_RELEASE);

	/* drain the handoff ring */
	uint64_t pfn;
	unsigned order;

	while (handoff_get(&s->ho, &pfn, &order))
		assert_int_equal(pa_free(s->zone, pfn, order), 0);

	assert_int_equal(s->bad_free_results, 0);
	for (unsigned c = 0; c < ncpus; c++)
		pa_cpu_online(s->zone, c);
	pa_drain(s->zone);
	assert_check(s->zone);

	struct pa_stats st;

	pa_stats(s->zone, &st);
	/* exact accounting: everything came back, and a zone->lock holder has
	 * merged the nolock frees it deferred */
	assert_int_equal(st.allocated_pages, 0);
	assert_int_equal(st.pcp_pages, 0);
	assert_int_equal(st.free_pages + st.pcp_pages, st.managed_pages);
	assert_int_equal(st.pgalloc, st.pgfree);
	print_message("stress %s %u cpus flags 0x%x: %.0f s, %llu allocs, %llu signal allocs (%llu failed), %llu hotplug cycles, trylock fallbacks alloc %llu free %llu, nolock deferred %llu, zone->lock contended %llu of %llu\n",
		      th_policy_str(state), ncpus, flags, s->seconds, (unsigned long long)st.alloc_calls,
		      (unsigned long long)s->signal_allocs,
		      (unsigned long long)s->signal_alloc_fail,
		      (unsigned long long)s->cpu_cycles,
		      (unsigned long long)st.pcp_trylock_fallback_alloc,
		      (unsigned long long)st.pcp_trylock_fallback_free,
		      (unsigned long long)st.nolock_deferred_frees,
		      (unsigned long long)st.zone_lock.contentions,
		      (unsigned long long)st.zone_lock.acquisitions);
	/* the storm must really have happened */
	assert_true(s->signal_allocs + s->signal_alloc_fail > 0);
	assert_true(s->cpu_cycles > 0);
	th_zone_destroy(s->zone);
	pthread_mutex_destroy(&s->ho.lock);
	free(s);
}

static void stress_2cpus(void **state)
{
	run_stress(state, 2, 0);
}

/* Cross-CPU frees (remote pushes under policies that own pageblocks)
 * while the hotplug thread takes CPUs offline and back; pcp->lock timed. */
static void stress_4cpus_timed(void **state)
{
	run_stress(state, 4, PA_CFG_LOCK_TIMING);
}

static void stress_zone_path(void **state)
{
	run_stress(state, 2, PA_CFG_NO_PCP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		th_policy_test(stress_2cpus),
		th_policy_test(stress_4cpus_timed),
		th_policy_test(stress_zone_path),
	};

	return th_run_policy_group("stress_pcp", tests);
}
