/* SPDX-License-Identifier: MIT */
/*
 * Page-sized blocks, pagealloc against the allocators a user would pick
 * instead (issue 3).  Built once plain (the pagealloc policies, pointer and
 * pfn API) and once per peer with -DPEER='"name"' and that peer's malloc
 * linked in (bench/peers.mk): a peer replaces the global malloc, so each
 * needs a process of its own.  Peers allocate with
 * aligned_alloc(4096 << order, 4096 << order).
 *
 * No benchmark writes to a block: pagealloc never touches the memory it
 * manages and aligned_alloc need not either, so only the allocators' own
 * work is timed (a peer may still write its headers or free-list links
 * into blocks; that is its cost).
 *
 * Every figure is ns per alloc+free pair (or per page for the avalanche)
 * measured with CLOCK_MONOTONIC around loops of --ops pairs, read every 4096
 * pairs so a slow subject stops at --budget-ms instead of running minutes.
 */
#include "harness.h"
#include "spsc_ring.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef PEER
#include <dlfcn.h>
#include <gnu/libc-version.h>
#else
#include "pagealloc.h"
#endif

#define CHUNK 4096u      /* pairs between clock reads */
#define BATCH 1024u      /* the "1024 then 1024" pattern */
#define MAX_SUBJECTS 16
#define SENTINEL UINT64_MAX /* ends a handoff: neither a pfn nor a pointer */
/* K_CPU's slot: from the first CPU the patterns pin to, another CPU's
 * pageset (the lab's calls on a slot that is also a real CPU) */
#define EXPLICIT_CPU 1u

#define G_ST "single thread: ns per alloc+free pair"
#define G_MT "two threads: ns per block (handoff) or per pair per thread (both)"
#define G_AV "exit avalanche: ns per page (alloc: all threads' wall time / pages)"
#define G_AVN "exit avalanche: pages the threads allocated within 10x the loop budget"
#define G_PFN "pagealloc pointer API vs pfn API: ns per pair (per page: avalanche)"
#define G_ZL "pagealloc zone->lock pages moved per 1000 calls (refill+drain+direct)"

enum kind {
	K_PTR,  /* pa_alloc_pages / pa_free_pages */
	K_PFN,  /* pa_alloc / pa_free */
	K_CPU,  /* pa_alloc_cpu / pa_free_cpu on slot EXPLICIT_CPU */
	K_PEER, /* aligned_alloc / free */
};

struct subject {
	char name[40];
	enum kind kind;
	struct pa_zone *zone; /* NULL for a peer */
	bool zl_report;       /* report zone->lock traffic for this one */
};

/* zone->lock pages moved so far, for deltas around a timed region. */
struct probe {
	uint64_t moved;
};

struct bench {
	struct bench_opts o;
	struct bench_cpus cpus;
	struct subject subj[MAX_SUBJECTS];
	unsigned nsubj;
	uint64_t *blocks;     /* avalanche and batch storage */
	char last_error[256]; /* last message from a zone's error hook */
};

static void die(const char *what, const struct subject *s)
{
	fprintf(stderr, "bench_pages: %s failed for %s\n", what, s->name);
	exit(1);
}

/* ---- the allocator calls, specialised per kind by always_inline ---- */

#define HOT static inline __attribute__((always_inline))

HOT uint64_t s_alloc(const struct subject *s, enum kind k, unsigned order)
{
	uint64_t v = 0;
	switch (k) {
#ifndef PEER
	case K_PTR:
		v = (uint64_t)(uintptr_t)pa_alloc_pages(s->zone, order, 0);
		if (__builtin_expect(v == 0, 0))
			die("pa_alloc_pages", s);
		break;
	case K_PFN:
		v = pa_alloc(s->zone, order, 0);
		if (__builtin_expect(v == PA_NO_PFN, 0))
			die("pa_alloc", s);
		break;
	case K_CPU:
		v = pa_alloc_cpu(s->zone, EXPLICIT_CPU, order, 0);
		if (__builtin_expect(v == PA_NO_PFN, 0))
			die("pa_alloc_cpu", s);
		break;
	case K_PEER:
		break;
#else
	case K_PTR:
	case K_PFN:
	case K_CPU:
		break;
	case K_PEER: {
		void *p = aligned_alloc(4096ul << order, 4096ul << order);
		if (__builtin_expect(!p, 0))
			die("aligned_alloc", s);
		bench_escape(p);
		v = (uint64_t)(uintptr_t)p;
		break;
	}
#endif
	}
	return v;
}

HOT void s_free(const struct subject *s, enum kind k, uint64_t v,
		unsigned order)
{
	switch (k) {
#ifndef PEER
	case K_PTR:
		if (__builtin_expect(pa_free_pages(s->zone, (void *)(uintptr_t)v, order) != 0, 0))
			die("pa_free_pages", s);
		break;
	case K_PFN:
		if (__builtin_expect(pa_free(s->zone, v, order) != 0, 0))
			die("pa_free", s);
		break;
	case K_CPU:
		if (__builtin_expect(pa_free_cpu(s->zone, EXPLICIT_CPU, v, order) != 0, 0))
			die("pa_free_cpu", s);
		break;
	case K_PEER:
		break;
#else
	case K_PTR:
	case K_PFN:
	case K_CPU:
		(void)s;
		(void)order;
		break;
	case K_PEER:
		free((void *)(uintptr_t)v);
		break;
#endif
	}
}

/* Instantiate `fn` once per kind this binary has, so the hot loops call
 * the allocator directly instead of through a pointer. */
#ifdef PEER
#define DISPATCH(fn, s, ...) fn((s), K_PEER, __VA_ARGS__)
#else
#define DISPATCH(fn, s, ...)                                       \
	((s)->kind == K_PTR ? fn((s), K_PTR, __VA_ARGS__) :       \
	 (s)->kind == K_PFN ? fn((s), K_PFN, __VA_ARGS__) :         \
			      fn((s), K_CPU, __VA_ARGS__))
#endif

static void probe_read(const struct subject *s, struct probe *p)
{
	p->moved = 0;
#ifndef PEER
	if (s->zone) {
		struct pa_stats st;
		pa_stats(s->zone, &st);
		p->moved = st.zone_pages_refill + st.zone_pages_drain +
			   st.zone_pages_direct_alloc + st.zone_pages_direct_free;
	}
#else
	(void)s;
#endif
}

/* One measurement: ns per unit, and allocator calls (alloc + free) made
 * in the timed region with the zone->lock pages moved meanwhile. */
struct meas {
	double ns;
	uint64_t calls;
	uint64_t moved;
};

/* ---- single thread ---- */

HOT uint64_t pair_loop(const struct subject *s, enum kind k, unsigned order,
		       uint64_t pairs, uint64_t budget_ns, uint64_t t0)
{
	uint64_t done = 0;
	while (done < pairs) {
		for (unsigned i = 0; i < CHUNK; i++)
			s_free(s, k, s_alloc(s, k, order), order);
		done += CHUNK;
		if (budget_ns && bench_now_ns() - t0 > budget_ns)
			break;
	}
	return done;
}

HOT struct meas st_pair(const struct subject *s, enum kind k, unsigned order,
			const struct bench_opts *o)
{
	struct probe a, b;
	pair_loop(s, k, order, o->ops / 16, o->budget_ns / 8, bench_now_ns());
	probe_read(s, &a);
	uint64_t t0 = bench_now_ns();
	uint64_t n = pair_loop(s, k, order, o->ops, o->budget_ns, t0);
	uint64_t t1 = bench_now_ns();
	probe_read(s, &b);
	return (struct meas){ (double)(t1 - t0) / (double)n, 2 * n, b.moved - a.moved };
}

HOT uint64_t batch_loop(const struct subject *s, enum kind k, uint64_t *blk,
			uint64_t pairs, uint64_t budget_ns, uint64_t t0)
{
	uint64_t done = 0;
	while (done < pairs) {
		for (unsigned r = 0; r < CHUNK / BATCH; r++) {
			for (unsigned i = 0; i < BATCH; i++)
				blk[i] = s_alloc(s, k, 0);
			/* Freed in allocation order, as a queue of objects. */
			for (unsigned i = 0; i < BATCH; i++)
				s_free(s, k, blk[i], 0);
		}
		done += CHUNK;
		if (budget_ns && bench_now_ns() - t0 > budget_ns)
			break;
	}
	return done;
}

HOT struct meas st_batch(const struct subject *s, enum kind k, uint64_t *blk,
			 const struct bench_opts *o)
{
	struct probe a, b;
	batch_loop(s, k, blk, o->ops / 16, o->budget_ns / 8, bench_now_ns());
	probe_read(s, &a);
	uint64_t t0 = bench_now_ns();
	uint64_t n = batch_loop(s, k, blk, o->ops, o->budget_ns, t0);
	uint64_t t1 = bench_now_ns();
	probe_read(s, &b);
	return (struct meas){ (double)(t1 - t0) / (double)n, 2 * n, b.moved - a.moved };
}

/* ---- two threads ---- */

/*
 * Threads meet at two barriers (with the main thread) between the warm-up
 * and the timed phase, so the main thread reads the zone->lock counters
 * while nobody allocates.
 */
struct duo {
	const struct subject *s;
	const struct bench_cpus *cpus;
	const struct bench_opts *o;
	pthread_barrier_t bar;
	struct spsc_ring *ring;
	uint64_t pairs[2];   /* timed pairs per thread (both) or blocks (handoff) */
	uint64_t t0[2], t1[2];
};

struct duo_arg {
	struct duo *d;
	unsigned idx;
};

HOT uint64_t produce(const struct subject *s, enum kind k, struct spsc_ring *r,
		     uint64_t n, uint64_t budget_ns, uint64_t t0)
{
	uint64_t done = 0;
	while (done < n) {
		for (unsigned i = 0; i < CHUNK; i++)
			spsc_ring_push(r, s_alloc(s, k, 0));
		done += CHUNK;
		if (budget_ns && bench_now_ns() - t0 > budget_ns)
			break;
	}
	spsc_ring_push(r, SENTINEL);
	return done;
}

HOT uint64_t consume(const struct subject *s, enum kind k, struct spsc_ring *r,
		     uint64_t unused)
{
	uint64_t v, n = 0;
	(void)unused;
	while ((v = spsc_ring_pop(r)) != SENTINEL) {
		s_free(s, k, v, 0);
		n++;
	}
	return n;
}

static void *handoff_thread(void *arg)
{
	struct duo_arg *a = arg;
	struct duo *d = a->d;
	const struct subject *s = d->s;
	bench_pin(d->cpus, a->idx);
	if (a->idx == 0) { /* allocates */
		DISPATCH(produce, s, d->ring, d->o->ops / 16, d->o->budget_ns / 8,
			 bench_now_ns());
		pthread_barrier_wait(&d->bar);
		pthread_barrier_wait(&d->bar);
		d->t0[0] = bench_now_ns();
		d->pairs[0] = DISPATCH(produce, s, d->ring, d->o->ops,
				       d->o->budget_ns, d->t0[0]);
		d->t1[0] = bench_now_ns();
	} else { /* frees */
		DISPATCH(consume, s, d->ring, 0);
		pthread_barrier_wait(&d->bar);
		pthread_barrier_wait(&d->bar);
		d->pairs[1] = DISPATCH(consume, s, d->ring, 0);
		d->t1[1] = bench_now_ns();
	}
	return NULL;
}

static void *both_thread(void *arg)
{
	struct duo_arg *a = arg;
	struct duo *d = a->d;
	const struct subject *s = d->s;
	bench_pin(d->cpus, a->idx);
	DISPATCH(pair_loop, s, 0, d->o->ops / 16, d->o->budget_ns / 8,
		 bench_now_ns());
	pthread_barrier_wait(&d->bar);
	pthread_barrier_wait(&d->bar);
	d->t0[a->idx] = bench_now_ns();
	d->pairs[a->idx] = DISPATCH(pair_loop, s, 0, d->o->ops, d->o->budget_ns,
				    d->t0[a->idx]);
	d->t1[a->idx] = bench_now_ns();
	return NULL;
}

static struct meas run_duo(struct bench *b, const struct subject *s,
			   void *(*fn)(void *))
{
	struct duo d = { .s = s, .cpus = &b->cpus, .o = &b->o };
	struct duo_arg arg[2] = { { &d, 0 }, { &d, 1 } };
	pthread_t th[2];
	struct probe p0, p1;
	struct spsc_ring *ring = aligned_alloc(64, sizeof(*ring));
	if (!ring)
		die("ring allocation", s);
	spsc_ring_init(ring);
	d.ring = ring;
	pthread_barrier_init(&d.bar, NULL, 3);
	for (unsigned i = 0; i < 2; i++)
		if (pthread_create(&th[i], NULL, fn, &arg[i]))
			die("pthread_create", s);
	pthread_barrier_wait(&d.bar);
	probe_read(s, &p0);
	pthread_barrier_wait(&d.bar);
	for (unsigned i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	probe_read(s, &p1);
	pthread_barrier_destroy(&d.bar);
	free(ring);
	struct meas m = { .moved = p1.moved - p0.moved };
	if (fn == handoff_thread) {
		/* A block is done when the freeing thread has freed it. */
		m.ns = (double)(d.t1[1] - d.t0[0]) / (double)d.pairs[0];
		m.calls = 2 * d.pairs[0];
	} else {
		m.ns = ((double)(d.t1[0] - d.t0[0]) / (double)d.pairs[0] +
			(double)(d.t1[1] - d.t0[1]) / (double)d.pairs[1]) / 2;
		m.calls = 2 * (d.pairs[0] + d.pairs[1]);
	}
	return m;
}

/* ---- exit avalanche ---- */

struct aval {
	const struct subject *s;
	const struct bench_cpus *cpus;
	uint64_t *blocks;
	uint64_t per_thread;
	uint64_t budget_ns;
	uint64_t got[64];  /* pages each thread allocated */
	pthread_barrier_t bar;
	uint64_t t0, t1;   /* first start, last end */
	pthread_mutex_t mu;
};

struct aval_arg {
	struct aval *a;
	unsigned idx;
};

HOT uint64_t fill(const struct subject *s, enum kind k, uint64_t *blk,
		  uint64_t n, uint64_t budget_ns, uint64_t t0)
{
	uint64_t i = 0;
	while (i < n) {
		uint64_t end = i + CHUNK < n ? i + CHUNK : n;
		for (; i < end; i++)
			blk[i] = s_alloc(s, k, 0);
		if (bench_now_ns() - t0 > budget_ns)
			break;
	}
	return i;
}

HOT void drain_all(const struct subject *s, enum kind k, uint64_t *blk,
		   uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		s_free(s, k, blk[i], 0);
}

static void *aval_thread(void *arg)
{
	struct aval_arg *x = arg;
	struct aval *a = x->a;
	bench_pin(a->cpus, x->idx);
	pthread_barrier_wait(&a->bar);
	uint64_t t0 = bench_now_ns();
	a->got[x->idx] = DISPATCH(fill, a->s, a->blocks + x->idx * a->per_thread,
				  a->per_thread, a->budget_ns, t0);
	uint64_t t1 = bench_now_ns();
	pthread_mutex_lock(&a->mu);
	if (!a->t0 || t0 < a->t0)
		a->t0 = t0;
	if (t1 > a->t1)
		a->t1 = t1;
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* "Several": one per allowed CPU, at least two, at most 64. */
static unsigned avalanche_threads(const struct bench *b)
{
	unsigned nt = b->o.threads ? b->o.threads : b->cpus.n;
	return nt < 2 ? 2 : nt > 64 ? 64 : nt;
}

/*
 * Several threads allocate (each on its CPU, round robin), then the main
 * thread alone frees everything: out[0] alloc phase, out[1] free phase.
 * A subject too slow to allocate its share within 10x the loop budget
 * stops there (glibc needs tens of seconds for a million pages); the pages
 * it did allocate are freed and timed, and G_AVN says how many.
 */
static void avalanche(struct bench *b, const struct subject *s,
		      struct meas out[2])
{
	unsigned nt = avalanche_threads(b);
	struct aval a = { .s = s, .cpus = &b->cpus, .blocks = b->blocks,
			  .per_thread = b->o.avalanche / nt,
			  .budget_ns = 10 * b->o.budget_ns };
	uint64_t total = 0;
	struct aval_arg arg[64];
	pthread_t th[64];
	struct probe p0, p1, p2;
	pthread_mutex_init(&a.mu, NULL);
	pthread_barrier_init(&a.bar, NULL, nt + 1);
	probe_read(s, &p0);
	for (unsigned i = 0; i < nt; i++) {
		arg[i] = (struct aval_arg){ &a, i };
		if (pthread_create(&th[i], NULL, aval_thread, &arg[i]))
			die("pthread_create", s);
	}
	pthread_barrier_wait(&a.bar);
	for (unsigned i = 0; i < nt; i++)
		pthread_join(th[i], NULL);
	probe_read(s, &p1);
	for (unsigned i = 0; i < nt; i++)
		total += a.got[i];
	bench_result(G_AVN, "pages allocated, K", s->name, (double)(total >> 10));
	bench_pin(&b->cpus, 0);
	uint64_t t0 = bench_now_ns();
	for (unsigned i = 0; i < nt; i++)
		DISPATCH(drain_all, s, b->blocks + i * a.per_thread, a.got[i]);
	uint64_t t1 = bench_now_ns();
	probe_read(s, &p2);
	pthread_barrier_destroy(&a.bar);
	pthread_mutex_destroy(&a.mu);
	out[0] = (struct meas){ (double)(a.t1 - a.t0) / (double)total, total,
				p1.moved - p0.moved };
	out[1] = (struct meas){ (double)(t1 - t0) / (double)total, total,
				p2.moved - p1.moved };
}

/* ---- reporting ---- */

static void report(const struct subject *s, const char *group,
		   const char *row, const struct meas *m)
{
	bench_result(group, row, s->name, m->ns);
#ifndef PEER
	/* The pfn group holds the pointer API too, for a side-by-side view. */
	if (strcmp(group, G_PFN))
		bench_result(G_PFN, row, s->name, m->ns);
	if (s->zl_report)
		bench_result(G_ZL, row, s->name,
			     m->calls ? 1000.0 * (double)m->moved / (double)m->calls : 0);
#endif
}

static void run_subject(struct bench *b, const struct subject *s)
{
	const struct bench_opts *o = &b->o;
	/* Pointer-API and peer figures go in the main groups; pfn and
	 * explicit-CPU ones only in G_PFN. */
	bool side = s->kind == K_PFN || s->kind == K_CPU;
	const char *st = side ? G_PFN : G_ST;
	const char *mt = side ? G_PFN : G_MT;
	const char *av = side ? G_PFN : G_AV;
	struct meas m, am[2];
	char row[64];

	bench_pin(&b->cpus, 0);
	if (bench_selected(o, "o0 pair")) {
		m = DISPATCH(st_pair, s, 0, o);
		report(s, st, "o0 pair", &m);
	}
	if (bench_selected(o, "o0 1024 then 1024")) {
		m = DISPATCH(st_batch, s, b->blocks, o);
		report(s, st, "o0 1024 then 1024", &m);
	}
	if (bench_selected(o, "o3 pair")) {
		m = DISPATCH(st_pair, s, 3, o);
		report(s, st, "o3 pair", &m);
	}
	if (bench_selected(o, "o9 pair")) {
		m = DISPATCH(st_pair, s, 9, o);
		report(s, st, "o9 pair", &m);
	}
	if (bench_selected(o, "o0 handoff A->B")) {
		m = run_duo(b, s, handoff_thread);
		report(s, mt, "o0 handoff A->B", &m);
	}
	if (bench_selected(o, "o0 pairs on both")) {
		m = run_duo(b, s, both_thread);
		report(s, mt, "o0 pairs on both", &m);
	}
	if (bench_selected(o, "avalanche")) {
		/* Timed once per run: a process already warmed by the
		 * patterns above allocates fresh memory and exits. */
		avalanche(b, s, am);
		snprintf(row, sizeof(row), "avalanche alloc, %u threads",
			 avalanche_threads(b));
		report(s, av, row, &am[0]);
		report(s, av, "avalanche free, 1 thread", &am[1]);
	}
	/* Leave the pinning of later subjects to themselves. */
	bench_pin(&b->cpus, 0);
}

/* The instruction-count mode: warm, then exactly --ops pairs in a function
 * of its own that valgrind --toggle-collect can single out. */
__attribute__((noinline)) void bench_callgrind_pairs(const struct subject *s,
						      uint64_t pairs);
__attribute__((noinline)) void bench_callgrind_pairs(const struct subject *s,
						      uint64_t pairs)
{
	DISPATCH(pair_loop, s, 0, pairs, 0, 0);
}

/* The same for the "o0 1024 then 1024" burst (--callgrind with --only
 * 1024): `pairs` allocations and frees, rounded up to whole chunks. */
__attribute__((noinline)) uint64_t bench_callgrind_bursts(const struct subject *s,
							   uint64_t *blk, uint64_t pairs);
__attribute__((noinline)) uint64_t bench_callgrind_bursts(const struct subject *s,
							   uint64_t *blk, uint64_t pairs)
{
	return DISPATCH(batch_loop, s, blk, pairs, 0, 0);
}

/* ---- subjects ---- */

#ifndef PEER
static void on_error(void *arg, int err, const char *msg)
{
	struct bench *b = arg;
	snprintf(b->last_error, sizeof(b->last_error), "%s (%s)", msg,
		 strerrorname_np(-err) ? strerrorname_np(-err) : "?");
}

static void add_pagealloc(struct bench *b, const char *name,
			  enum pa_policy policy, unsigned flags)
{
	struct pa_config cfg = pa_config_default();
	/* Room for the avalanche twice over; MAP_NORESERVE and never
	 * touched, so the size costs address space only. */
	uint64_t bytes = b->o.avalanche * 4096 * 2;
	cfg.bytes = bytes < (8ull << 30) ? (8ull << 30) : bytes;
	cfg.backing = PA_BACKING_ANON;
	cfg.policy = policy;
	cfg.flags = flags;
	cfg.error_fn = on_error;
	cfg.error_arg = b;
	b->last_error[0] = '\0';
	errno = 0;
	struct pa_zone *z = pa_zone_create(&cfg);
	if (!z) {
		char why[400];
		/* The library's own reason says "not implemented" when so. */
		snprintf(why, sizeof(why), "pa_zone_create: %s", b->last_error[0] ?
			 b->last_error : strerror(errno));
		bench_skip(name, why);
		return;
	}
	struct subject *s = &b->subj[b->nsubj++];
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->kind = K_PTR;
	s->zone = z;
	s->zl_report = true;
	s = &b->subj[b->nsubj++];
	snprintf(s->name, sizeof(s->name), "%s/pfn", name);
	s->kind = K_PFN;
	s->zone = z;
	s->zl_report = false;
	if (policy != PA_POLICY_MAINLINE || (flags & PA_CFG_NO_PCP))
		return;
	s = &b->subj[b->nsubj++];
	snprintf(s->name, sizeof(s->name), "%s/cpu%u", name, EXPLICIT_CPU);
	s->kind = K_CPU;
	s->zone = z;
	s->zl_report = false;
}

static void setup_subjects(struct bench *b)
{
	add_pagealloc(b, "pa-mainline", PA_POLICY_MAINLINE, 0);
	add_pagealloc(b, "pa-zone", PA_POLICY_MAINLINE, PA_CFG_NO_PCP);
	add_pagealloc(b, "pa-pcpbuddy", PA_POLICY_PCPBUDDY, 0);
	add_pagealloc(b, "pa-spb", PA_POLICY_SPB, 0);
	for (unsigned i = 0; i < b->nsubj; i++)
		if (b->subj[i].kind == K_PTR) {
			struct pa_config cfg;
			pa_zone_config(b->subj[i].zone, &cfg);
			bench_note("%s: %u CPU slots, pcp batch %u high %u..%u, %llu MiB",
				   b->subj[i].name, cfg.ncpus, cfg.pcp_batch,
				   cfg.pcp_high_min, cfg.pcp_high_max,
				   (unsigned long long)(cfg.bytes >> 20));
		}
}

static void teardown_subjects(struct bench *b)
{
	for (unsigned i = 0; i < b->nsubj; i++)
		if (b->subj[i].kind == K_PTR)
			pa_zone_destroy(b->subj[i].zone);
}
#else
static void note_peer_version(void)
{
	void *f;
	bench_note("glibc %s", gnu_get_libc_version());
	if ((f = dlsym(RTLD_DEFAULT, "mallctl"))) {
		int (*ctl)(const char *, void *, size_t *, void *, size_t) =
			(int (*)(const char *, void *, size_t *, void *, size_t))f;
		const char *v;
		size_t sz = sizeof(v);
		if (ctl("version", &v, &sz, NULL, 0) == 0)
			bench_note("jemalloc %s", v);
	}
	if ((f = dlsym(RTLD_DEFAULT, "mi_version")))
		bench_note("mimalloc %d", ((int (*)(void))f)());
	if ((f = dlsym(RTLD_DEFAULT, "tc_version")))
		bench_note("tcmalloc %s",
			   ((const char *(*)(int *, int *, const char **))f)(NULL, NULL, NULL));
}

static void setup_subjects(struct bench *b)
{
	struct subject *s = &b->subj[b->nsubj++];
	snprintf(s->name, sizeof(s->name), "%s", PEER);
	s->kind = K_PEER;
	bench_note_provider("aligned_alloc", (void *)&aligned_alloc);
	bench_note_provider("free", (void *)&free);
	note_peer_version();
}

static void teardown_subjects(struct bench *b)
{
	(void)b;
}
#endif

int main(int argc, char **argv)
{
	struct bench *b = calloc(1, sizeof(*b));
	if (!b)
		return 1;
	bench_parse_opts(argc, argv, " [--callgrind SUBJECT]", &b->o);
	bench_cpus_init(&b->cpus);
	bench_make_multithreaded();
	b->blocks = calloc(b->o.avalanche > BATCH ? b->o.avalanche : BATCH,
			   sizeof(*b->blocks));
	if (!b->blocks)
		return 1;
	setup_subjects(b);

	if (b->o.callgrind) {
		for (unsigned i = 0; i < b->nsubj; i++) {
			const struct subject *s = &b->subj[i];
			if (strcmp(s->name, b->o.callgrind))
				continue;
			uint64_t n = b->o.ops;

			if (b->o.only && strstr(b->o.only, "1024")) {
				DISPATCH(batch_loop, s, b->blocks, 65536, 0, 0);
				n = bench_callgrind_bursts(s, b->blocks, n);
			} else {
				DISPATCH(pair_loop, s, 0, 65536, 0, 0);
				bench_callgrind_pairs(s, n);
			}
			bench_note("callgrind %s %llu pairs", s->name,
				   (unsigned long long)n);
			teardown_subjects(b);
			return 0;
		}
		fprintf(stderr, "bench_pages: no subject %s here\n", b->o.callgrind);
		return 2;
	}

	bench_note("pinned: single-thread patterns on CPU %u; two-thread on CPUs %u and %u; "
		   "%u allowed CPUs", b->cpus.cpu[0], b->cpus.cpu[0],
		   b->cpus.cpu[1 % b->cpus.n], b->cpus.n);
	bench_group(G_ST);
	bench_group(G_MT);
	bench_group(G_AV);
	bench_group(G_AVN);
	bench_group(G_ZL);
	bench_group(G_PFN);
	bench_min(G_ST);
	bench_ratio(G_ST, "pa-mainline,pa-zone");
	bench_ratio(G_MT, "pa-mainline,pa-zone");
	bench_ratio(G_AV, "pa-mainline,pa-zone");
	for (unsigned r = 0; r < b->o.runs; r++)
		for (unsigned i = 0; i < b->nsubj; i++)
			run_subject(b, &b->subj[i]);
	teardown_subjects(b);
	free(b->blocks);
	free(b);
	return 0;
}
