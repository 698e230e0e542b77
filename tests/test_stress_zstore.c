/* SPDX-License-Identifier: MIT */
/*
 * zstore under concurrency: threads write, read and discard pages while
 * another compacts the pool.  Each thread owns a range of indexes (exact
 * contents checked) and all share another range (pages are
 * self-describing: index and a checksum of the body, so a torn or mixed
 * write is caught).  Run under TSan in CI; PA_STRESS_LONG=1 for a soak.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <urcu.h>

#include "pagealloc.h"
#include "zstore.h"

#define THREADS 3
#define OWN 256            /* indexes each thread owns */
#define SHARED 64          /* indexes every thread writes */
#define PG ZSTORE_PAGE_SIZE

struct shared {
	struct zstore *zs;
	int stop;              /* atomic */
	uint64_t errors;       /* atomic: content or return-code failures */
	uint64_t ops;          /* atomic */
	uint64_t compactions;  /* atomic */
};

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* A compressible page: words from a small vocabulary, seeded by version,
 * sometimes a zero page, sometimes incompressible. */
static void make_page(uint8_t *p, uint64_t index, uint64_t version)
{
	uint64_t x = index * 0x9e3779b97f4a7c15ull + version + 1;
	unsigned kind = (unsigned)(version % 8);

	if (kind == 0) {
		memset(p, 0, PG);
	} else if (kind == 1) {
		for (size_t i = 0; i < PG; i++)
			p[i] = (uint8_t)rnd(&x);
	} else {
		static const char *const words[] = { "page ", "buddy ", "zone ",
			"order ", "pcp ", "merge ", "split ", "lock " };
		size_t i = 0;

		while (i < PG) {
			const char *w = words[rnd(&x) % 8];

			for (size_t k = 0; w[k] && i < PG; k++)
				p[i++] = (uint8_t)w[k];
		}
	}
	if (kind != 0) {
		/* self-describing header: index, version, checksum of the rest */
		uint64_t sum = 0;

		for (size_t i = 24; i < PG; i++)
			sum = sum * 31 + p[i];
		memcpy(p, &index, 8);
		memcpy(p + 8, &version, 8);
		memcpy(p + 16, &sum, 8);
	}
}

static bool page_consistent(const uint8_t *p, uint64_t index)
{
	static const uint8_t zero[PG];

	if (!memcmp(p, zero, PG))
		return true;
	uint64_t idx, sum, s = 0;

	memcpy(&idx, p, 8);
	memcpy(&sum, p + 16, 8);
	for (size_t i = 24; i < PG; i++)
		s = s * 31 + p[i];
	return idx == index && s == sum;
}

struct worker {
	struct shared *s;
	unsigned id;
};

static void fail_count(struct shared *s)
{
	__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);
}

static void *worker(void *arg)
{
	struct worker *w = arg;
	struct shared *s = w->s;
	uint64_t seed = 77 + w->id, version[OWN] = { 0 };
	uint8_t *buf = malloc(PG), *want = malloc(PG);
	uint64_t base = SHARED + (uint64_t)w->id * OWN;

	rcu_register_thread();
	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		uint64_t r = rnd(&seed);
		bool shared = r % 4 == 0;
		uint64_t slot = (r >> 8) % (shared ? SHARED : OWN);
		uint64_t index = shared ? slot : base + slot;
		unsigned op = (unsigned)((r >> 20) % 10);

		if (op < 4) {
			uint64_t v = shared ? (r >> 24) : ++version[slot];

			make_page(buf, index, v);
			if (zstore_write(s->zs, index, buf))
				fail_count(s);
		} else if (op < 9) {
			int rc = zstore_read(s->zs, index, buf);

			if (shared) {
				if (rc == 0 && !page_consistent(buf, index))
					fail_count(s);
				else if (rc && rc != -2 /* -ENOENT */)
					fail_count(s);
			} else if (version[slot] == 0) {
				if (rc != -2)
					fail_count(s);
			} else {
				make_page(want, index, version[slot]);
				if (rc || memcmp(buf, want, PG))
					fail_count(s);
			}
		} else {
			if (zstore_discard(s->zs, index))
				fail_count(s);
			if (!shared)
				version[slot] = 0;
		}
		__atomic_fetch_add(&s->ops, 1, __ATOMIC_RELAXED);
	}
	rcu_unregister_thread();
	free(buf);
	free(want);
	return NULL;
}

/* operations the workers complete before they are stopped */
#define MIN_OPS 1000

static void *compactor(void *arg)
{
	struct shared *s = arg;

	rcu_register_thread();
	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		zstore_compact(s->zs);
		__atomic_fetch_add(&s->compactions, 1, __ATOMIC_RELAXED);
		usleep(1000);
	}
	rcu_unregister_thread();
	return NULL;
}

static void concurrent_writes_reads_discards_and_compaction(void **state)
{
	(void)state;
	const char *l = getenv("PA_STRESS_LONG");
	double secs = l && *l && strcmp(l, "0") ? 30.0 : 1.5;
	struct pa_config zc = pa_config_default();
	struct zstore_config cfg = { .nr_pages = SHARED + THREADS * OWN };
	struct shared s = { 0 };

	zc.bytes = 64ull << 20;
	zc.backing = PA_BACKING_ANON;
	zc.ncpus = 2;
	struct pa_zone *zone = pa_zone_create(&zc);

	assert_non_null(zone);
	s.zs = zstore_create(zone, &cfg);
	assert_non_null(s.zs);
	rcu_register_thread();

	pthread_t th[THREADS], ct;
	struct worker w[THREADS];

	for (unsigned i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ &s, i };
		assert_int_equal(pthread_create(&th[i], NULL, worker, &w[i]), 0);
	}
	assert_int_equal(pthread_create(&ct, NULL, compactor, &s), 0);
	struct timespec ts = { (time_t)secs, (long)((secs - (time_t)secs) * 1e9) };

	nanosleep(&ts, NULL);
	/* enough work to mean something however slow the machine (TSan under
	 * load made 736 in the time): wait for it rather than assert a rate */
	while (__atomic_load_n(&s.ops, __ATOMIC_RELAXED) < MIN_OPS)
		usleep(10000);
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	pthread_join(ct, NULL);
	print_message("zstore stress: %llu ops, %llu compactions, %llu errors\n",
		      (unsigned long long)s.ops, (unsigned long long)s.compactions,
		      (unsigned long long)s.errors);
	assert_int_equal(s.errors, 0);

	/* quiescent: every stored page reads back consistent */
	uint8_t *buf = malloc(PG);
	struct zstore_stats st;
	uint64_t present = 0;

	for (uint64_t i = 0; i < cfg.nr_pages; i++) {
		int rc = zstore_read(s.zs, i, buf);

		if (rc == 0) {
			present++;
			assert_true(page_consistent(buf, i));
		} else {
			assert_int_equal(rc, -2);
		}
	}
	zstore_stats(s.zs, &st);
	assert_int_equal(st.pages_stored, present);
	free(buf);
	rcu_unregister_thread();
	zstore_destroy(s.zs);
	char msg[256];

	if (pa_check(zone, msg, sizeof(msg)))
		fail_msg("pa_check: %s", msg);
	struct pa_stats ps;

	pa_drain(zone);
	pa_stats(zone, &ps);
	assert_int_equal(ps.allocated_pages, 0); /* the store gave every page back */
	pa_zone_destroy(zone);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(concurrent_writes_reads_discards_and_compaction),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
