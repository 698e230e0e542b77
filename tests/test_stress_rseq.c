/* SPDX-License-Identifier: MIT */
/*
 * The per-CPU fast path under everything that can stop it: 4 threads per
 * CPU on a zone with one slot per CPU, each moved between CPUs by
 * sched_setaffinity every few operations, signals whose handlers use the
 * nolock API, and a thread taking CPUs offline and online and draining.
 * Accounting must stay exact and pa_check clean.  And two threads on two
 * CPUs racing to free one block: exactly one free wins, every round.
 *
 * Plain and ASan builds run it on the rseq path; TSan does not model rseq
 * aborts, so its builds choose the trylock fallback (zoneinfo says which;
 * the line printed below too).
 */
#include "helpers.h"

#include <pthread.h>
#include <stdbool.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>

#define BATCH 8

struct shared {
	struct pa_zone *z;
	unsigned ncpus;
	unsigned long ops;
	int stop;              /* atomic */
};

struct worker {
	struct shared *sh;
	pthread_t t;
	unsigned id;
	int failed;
};

/* The handler's zone: signal handlers get no argument, and the test's one
 * zone is set before any signal is sent (test-local, not library state). */
static struct pa_zone *handler_zone;

static void on_signal(int sig)
{
	(void)sig;
	struct pa_zone *z = __atomic_load_n(&handler_zone, __ATOMIC_ACQUIRE);
	uint64_t p = pa_alloc_nolock(z, 0, PA_GFP_MOVABLE | PA_GFP_NOWARN);

	if (p != PA_NO_PFN && pa_free_nolock(z, p, 0))
		abort(); /* a nolock free of our own block cannot be bad */
}

static void move_to(unsigned cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	uint64_t p[BATCH];

	for (unsigned long i = 0; i < sh->ops; i++) {
		unsigned order = (i % 5 == 4) ? 3 : 0;

		if (i % 16 == 0)
			move_to((w->id + (unsigned)(i / 16)) % sh->ncpus);
		for (int k = 0; k < BATCH; k++)
			p[k] = pa_alloc(sh->z, order, PA_GFP_MOVABLE | PA_GFP_NOWARN);
		for (int k = 0; k < BATCH; k++)
			if (p[k] != PA_NO_PFN && pa_free(sh->z, p[k], order))
				w->failed = 1;
	}
	return NULL;
}

static void *hotplug(void *arg)
{
	struct shared *sh = arg;

	for (unsigned i = 0; !__atomic_load_n(&sh->stop, __ATOMIC_RELAXED); i++) {
		unsigned cpu = i % sh->ncpus;

		pa_cpu_offline(sh->z, cpu);
		sched_yield();
		pa_cpu_online(sh->z, cpu);
		if (i % 8 == 0)
			pa_drain(sh->z);

	}
	return NULL;
}

static void shares(struct pa_zone *z)
{
	struct pa_stats s;
	int rc;
	char *info = th_report(z, PA_REPORT_ZONEINFO, &rc);
	const char *fp = info ? strstr(info, "fast_path ") : NULL;

	pa_stats(z, &s);
	print_message("%.*s: %llu frees, %llu found the pageset busy, %.2f%% of pages freed straight to the zone\n",
		      fp ? (int)strcspn(fp, "\n") : 0, fp ? fp : "",
		      (unsigned long long)s.free_calls,
		      (unsigned long long)s.pcp_trylock_fallback_free,
		      s.pgfree ? 100.0 * (double)s.zone_pages_direct_free / (double)s.pgfree : 0);
	free(info);
}

/* env: PA_FAST_PATH for the zone's creation (NULL: the default). */
static void run_env(unsigned flags, bool with_hotplug, const char *env)
{
	unsigned ncpus = (unsigned)get_nprocs_conf(), n = 4 * ncpus;
	struct pa_config c = th_config(32, 9, 10, flags, ncpus);
	struct shared sh = { .ncpus = ncpus, .ops = th_sanitized() ? 3000 : 20000 };

	/* a batch the size of a real machine's (this zone would get 3), so
	 * the stacks hold what a pageset hands out between slow paths */
	c.pcp_batch = 31;
	c.pcp_high_min = 4 * 31;
	struct worker *w = calloc(n, sizeof(*w));
	pthread_t hp;
	struct pa_stats s;

	assert_non_null(w);
	if (env)
		assert_int_equal(setenv("PA_FAST_PATH", env, 1), 0);
	sh.z = pa_zone_create(&c);
	unsetenv("PA_FAST_PATH");
	assert_non_null(sh.z);
	__atomic_store_n(&handler_zone, sh.z, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < n; i++) {
		w[i] = (struct worker){ .sh = &sh, .id = i };
		assert_int_equal(pthread_create(&w[i].t, NULL, work, &w[i]), 0);
	}
	if (with_hotplug)
		assert_int_equal(pthread_create(&hp, NULL, hotplug, &sh), 0);
	for (unsigned i = 0; i < 200; i++) {
		pthread_kill(w[i % n].t, SIGUSR1);
		sched_yield();
	}
	for (unsigned i = 0; i < n; i++) {
		pthread_join(w[i].t, NULL);
		assert_false(w[i].failed);
	}
	__atomic_store_n(&sh.stop, 1, __ATOMIC_RELAXED);
	if (with_hotplug)
		pthread_join(hp, NULL);
	for (unsigned cpu = 0; cpu < ncpus; cpu++)
		pa_cpu_online(sh.z, cpu);
	shares(sh.z);
	pa_drain(sh.z);
	assert_check(sh.z);
	pa_stats(sh.z, &s);
	assert_int_equal(s.free_pages, s.managed_pages);
	assert_int_equal(s.pgalloc, s.pgfree);
	pa_zone_destroy(sh.z);
	free(w);
}

static void run(unsigned flags, bool with_hotplug)
{
	run_env(flags, with_hotplug, NULL);
}

static void default_path(void **state)
{
	(void)state;
	run(0, true);
}

static void forced_fallback(void **state)
{
	(void)state;
	run(PA_CFG_NO_RSEQ, true);
}

/* Without hotplug and drains only the threads sharing each CPU make a
 * pageset busy: the share the two paths print is the figure. */
static void shared_cpus_only(void **state)
{
	(void)state;
	run(0, false);
	run_env(0, false, "lockword"); /* the sequence-taken lock alone */
	run(PA_CFG_NO_RSEQ, false);
}

/* Two racers, one per CPU where there are two: one allocates a block
 * and publishes it, then both free it at once. */
struct race {
	struct pa_zone *z;
	unsigned rounds;
	uint64_t pfn;          /* atomic */
	unsigned ready;        /* atomic: the round whose block is published */
	unsigned seen;         /* atomic: the round the other racer saw */
	unsigned done;         /* atomic: frees finished, 2 per round */
	unsigned wins[2];
	unsigned odd[2];       /* neither 0 nor -EINVAL */
};

struct racer {
	struct race *r;
	pthread_t t;
	unsigned side;
};

/* Spin (both racers should be running when the block appears), but
 * yield now and then: the machine may have fewer free CPUs than us. */
static void wait_for(const unsigned *v, unsigned at_least)
{
	for (unsigned spins = 0; __atomic_load_n(v, __ATOMIC_ACQUIRE) < at_least;)
		if (++spins % 4096 == 0)
			sched_yield();
}

static void *race_free(void *arg)
{
	struct racer *a = arg;
	struct race *r = a->r;

	move_to(a->side % (unsigned)get_nprocs_conf());
	for (unsigned i = 1; i <= r->rounds; i++) {
		if (a->side == i % 2) { /* the allocator alternates */
			__atomic_store_n(&r->pfn, pa_alloc(r->z, 0, PA_GFP_MOVABLE),
					 __ATOMIC_RELAXED);
			__atomic_store_n(&r->ready, i, __ATOMIC_RELEASE);
			wait_for(&r->seen, i); /* both running: now race */
		} else {
			wait_for(&r->ready, i);
			__atomic_store_n(&r->seen, i, __ATOMIC_RELEASE);
		}
		int rc = pa_free(r->z, __atomic_load_n(&r->pfn, __ATOMIC_RELAXED), 0);

		if (rc == 0)
			r->wins[a->side]++;
		else if (rc != -EINVAL)
			r->odd[a->side]++;
		__atomic_fetch_add(&r->done, 1, __ATOMIC_ACQ_REL);
		wait_for(&r->done, 2 * i);
	}
	return NULL;
}

static void quiet(void *arg, int err, const char *msg)
{
	(void)arg;
	(void)err;
	(void)msg;
}

static void racing_double_frees(void **state)
{
	(void)state;
	unsigned ncpus = (unsigned)get_nprocs_conf();
	struct pa_config c = th_config(32, 9, 10, 0, ncpus);
	struct race r = { .rounds = th_sanitized() ? 300 : 3000 };
	struct racer a[2];
	struct pa_stats s;

	c.error_fn = quiet;
	r.z = pa_zone_create(&c);
	assert_non_null(r.z);
	for (unsigned i = 0; i < 2; i++) {
		a[i] = (struct racer){ .r = &r, .side = i };
		assert_int_equal(pthread_create(&a[i].t, NULL, race_free, &a[i]), 0);
	}
	for (unsigned i = 0; i < 2; i++)
		pthread_join(a[i].t, NULL);
	print_message("racing double frees: %u rounds, side 0 won %u, side 1 won %u\n",
		      r.rounds, r.wins[0], r.wins[1]);
	assert_int_equal(r.wins[0] + r.wins[1], r.rounds);
	assert_int_equal(r.odd[0] + r.odd[1], 0);
	pa_stats(r.z, &s);
	assert_int_equal(s.bad_frees, r.rounds);
	pa_drain(r.z);
	assert_check(r.z);
	pa_stats(r.z, &s);
	assert_int_equal(s.free_pages, s.managed_pages);
	pa_zone_destroy(r.z);
}

/*
 * The explicit-CPU API beside the CPUs' own users: a thread pinned to each
 * CPU allocates and frees through pa_alloc/pa_free (the stacks, or the
 * sequence-taken lock) while a mixer thread, moved between CPUs, calls
 * pa_alloc_cpu/pa_free_cpu on random slots, so every slot is in turn its
 * own CPU's and another's, its lock word fenced, parked and unparked.
 * Every page handed out is stamped with its holder: a block handed out
 * twice (a locker from elsewhere and a sequence both believing they hold a
 * pageset) fails the stamp.  Every policy.
 */
struct mix {
	struct pa_zone *z;
	unsigned ncpus;
	unsigned long ops;
	uint8_t *owner;        /* per page: 0, or the holder's id; atomic */
	uint64_t pages;        /* the zone's span */
	uint64_t seed;
};

struct mixer {
	struct mix *m;
	pthread_t t;
	unsigned id;           /* 1..ncpus: CPU id - 1's user; ncpus + 1: mixer */
	int failed;
};

static void stamp(struct mixer *w, uint64_t pfn, unsigned order)
{
	if (pfn + (1ull << order) > w->m->pages) {
		w->failed = 1;
		return;
	}
	for (uint64_t p = pfn; p < pfn + (1ull << order); p++) {
		uint8_t none = 0;

		if (!__atomic_compare_exchange_n(&w->m->owner[p], &none,
						 (uint8_t)w->id, 0,
						 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			w->failed = 1;
	}
}

static void unstamp(struct mixer *w, uint64_t pfn, unsigned order)
{
	for (uint64_t p = pfn; p < pfn + (1ull << order); p++)
		if (__atomic_exchange_n(&w->m->owner[p], 0, __ATOMIC_RELAXED) !=
		    (uint8_t)w->id)
			w->failed = 1;
}

static void *mix_work(void *arg)
{
	struct mixer *w = arg;
	struct mix *m = w->m;
	bool explicit = w->id > m->ncpus;
	struct th_rng rng = { m->seed + w->id };
	uint64_t p[BATCH];
	unsigned o[BATCH];

	if (!explicit)
		move_to(w->id - 1);
	for (unsigned long i = 0; i < m->ops; i++) {
		if (explicit && i % 16 == 0)
			move_to((unsigned)th_below(&rng, m->ncpus));
		for (int k = 0; k < BATCH; k++) {
			o[k] = th_below(&rng, 4) ? 0 : 3;
			p[k] = explicit ? pa_alloc_cpu(m->z, (unsigned)th_below(&rng, m->ncpus),
						       o[k], PA_GFP_MOVABLE | PA_GFP_NOWARN)
					: pa_alloc(m->z, o[k], PA_GFP_MOVABLE | PA_GFP_NOWARN);
			if (p[k] != PA_NO_PFN)
				stamp(w, p[k], o[k]);
		}
		for (int k = 0; k < BATCH; k++) {
			if (p[k] == PA_NO_PFN)
				continue;
			unstamp(w, p[k], o[k]);
			if ((explicit ? pa_free_cpu(m->z, (unsigned)th_below(&rng, m->ncpus),
						    p[k], o[k])
				      : pa_free(m->z, p[k], o[k])) != 0)
				w->failed = 1;
		}
	}
	return NULL;
}

static void explicit_cpu_beside_rseq_users(void **state)
{
	(void)state;
	unsigned ncpus = (unsigned)get_nprocs_conf();
	struct pa_config c = th_config(32, 9, 10, 0, ncpus);
	struct mixer w[PA_MAX_CPUS + 1];
	enum pa_policy pol;

	assert_true(ncpus + 1 <= 255 && ncpus <= PA_MAX_CPUS);
	th_for_each_policy(pol, &c) {
		struct mix m = { .ncpus = ncpus, .ops = th_sanitized() ? 1000 : 10000,
				 .seed = th_seed("explicit_cpu_beside_rseq_users") };
		struct pa_config pc = c;
		struct pa_stats s;

		pc.policy = pol;
		m.z = pa_zone_create(&pc);
		assert_non_null(m.z);
		m.pages = 32ull << 9; /* th_config's pageblocks */
		m.owner = calloc(m.pages, 1);
		assert_non_null(m.owner);
		for (unsigned i = 0; i <= ncpus; i++) {
			w[i] = (struct mixer){ .m = &m, .id = i + 1 };
			assert_int_equal(pthread_create(&w[i].t, NULL, mix_work, &w[i]), 0);
		}
		for (unsigned i = 0; i <= ncpus; i++) {
			pthread_join(w[i].t, NULL);
			assert_false(w[i].failed);
		}
		shares(m.z);
		pa_drain(m.z);
		assert_check(m.z);
		pa_stats(m.z, &s);
		assert_int_equal(s.allocated_pages, 0);
		assert_int_equal(s.free_pages, s.managed_pages);
		free(m.owner);
		pa_zone_destroy(m.z);
	}
}

int main(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_path),
		cmocka_unit_test(forced_fallback),
		cmocka_unit_test(shared_cpus_only),
		cmocka_unit_test(racing_double_frees),
		cmocka_unit_test(explicit_cpu_beside_rseq_users),
	};

	return cmocka_run_group_tests_name("stress_rseq", tests, NULL, NULL);
}
