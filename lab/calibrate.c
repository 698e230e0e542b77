/* SPDX-License-Identifier: MIT */
/*
 * The calibration benchmark.  Workloads of the library's own operations on
 * a metadata-only zone, each timed whole (never per call) and described
 * by its counter deltas; the least of interleaved runs (the stability
 * rule, docs/VTIME.md: on a shared machine noise only adds time).  The hand-off is two threads on two real CPUs taking turns on
 * one of the library's locks.
 */
#include "calibrate.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lock.h"
#include "opcost.h"
#include "progress.h"

#define CAL_BYTES (1ull << 30)
#define CAL_PAIRS (1u << 19)
#define CAL_BURST 8192u
#define CAL_WIN_CALLS 4096u  /* pairs (or burst calls) per timed window */
#define CAL_MAX_WIN (CAL_PAIRS / CAL_WIN_CALLS)
#define CAL_MAX_ASKED 15     /* --runs at most */
#define CAL_MAX_RUNS 48      /* runs of one measurement at most */
#define CAL_SPAN_S 2.0       /* wall time a measurement's runs span */
#define CAL_HANDOFFS 262144u
#define CAL_WINDOW 1024u      /* turns per timed window */
#define CAL_NWIN (CAL_HANDOFFS / CAL_WINDOW)

#if defined(__x86_64__) || defined(__i386__)
#define cal_relax() __builtin_ia32_pause()
#else
#define cal_relax() __asm__ __volatile__("" ::: "memory")
#endif

struct cal_work {
	const char *name;
	unsigned flags;          /* PA_CFG_* of its zone */
	unsigned order;
	unsigned burst;          /* 0: alloc+free pairs; else this many
	                          * allocations, then their frees */
};

static const struct cal_work works[] = {
	{ "per-CPU hits (bursts of 64 order-0)", 0, 0, 64 },
	{ "per-CPU hits (order-0 pairs)", 0, 0, 0 },
	{ "zone path order-0 pairs", PA_CFG_NO_PCP, 0, 0 },
	{ "zone path order-3 pairs", PA_CFG_NO_PCP, 3, 0 },
	{ "zone path order-9 pairs", PA_CFG_NO_PCP, 9, 0 },
	{ "bursts of 8192 order-0 (refill/drain)", 0, 0, CAL_BURST },
};
#define NWORKS (sizeof(works) / sizeof(works[0]))

/* The calling thread's CPU time: the machine is shared, and time spent
 * preempted is not the library's. */
double calibrate_thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Every calibration zone, its metadata mapped in as --measure's zones
 * (opcost_prefault: no page faults inside a timed run, the kernel's huge
 * vmemmap mappings). */
static struct pa_zone *cal_zone_create(const struct pa_config *c)
{
	struct pa_zone *z = pa_zone_create(c);

	if (z)
		(void)opcost_prefault(z);
	return z;
}

static struct pa_zone *cal_zone(const struct cal_work *w)
{
	struct pa_config c = pa_config_default();

	c.bytes = CAL_BYTES;
	c.ncpus = 1;
	c.flags = w->flags | PA_CFG_NO_WATERMARKS;
	if (w->burst == CAL_BURST) /* high below the burst: refills, drains */
		c.pcp_high_min = c.pcp_high_max = CAL_BURST / 16;
	return cal_zone_create(&c);
}

static void do_pairs(struct pa_zone *z, unsigned order, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t pfn = pa_alloc_cpu(z, 0, order, PA_GFP_MOVABLE);

		if (pfn != PA_NO_PFN)
			pa_free_cpu(z, 0, pfn, order);
	}
}

static void do_bursts(struct pa_zone *z, uint64_t *pfn, unsigned burst,
		      unsigned n)
{
	for (unsigned r = 0; r < n / burst; r++) {
		for (unsigned i = 0; i < burst; i++)
			pfn[i] = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);
		for (unsigned i = burst; i-- > 0;)
			if (pfn[i] != PA_NO_PFN)
				pa_free_cpu(z, 0, pfn[i], 0);
	}
}

static void do_work(const struct cal_work *w, struct pa_zone *z,
		    uint64_t *buf, unsigned n)
{
	if (w->burst)
		do_bursts(z, buf, w->burst, n);
	else
		do_pairs(z, w->order, n);
}

/* A workload's timed window: CAL_WIN_CALLS pairs, or whole bursts. */
static unsigned win_calls(const struct cal_work *w)
{
	return w->burst > CAL_WIN_CALLS ? w->burst : CAL_WIN_CALLS;
}

/* The windows of one run of the workload. */
static unsigned win_count(const struct cal_work *w)
{
	return CAL_PAIRS / win_calls(w);
}

/* One timed run of a workload on a fresh zone (warmed up first), each
 * window's thread CPU time into win[] (the stability rule, as
 * --measure's windows: a preemption spoils one window of one run, and
 * the least over the runs drops it). */
static int measure(const struct cal_work *w, uint64_t *buf,
		   struct cal_sample *out, double *win)
{
	struct pa_zone *z = cal_zone(w);
	unsigned per = win_calls(w);
	struct opcost a, b;

	if (!z)
		return -ENOMEM;
	do_work(w, z, buf, CAL_PAIRS / 8);
	opcost_read(z, &b);
	for (unsigned k = 0; k < win_count(w); k++) {
		double t0 = calibrate_thread_ns();

		do_work(w, z, buf, per);
		win[k] = calibrate_thread_ns() - t0;
	}
	opcost_read(z, &a);
	pa_zone_destroy(z);
	out->name = w->name;
	out->ns = 0;
	out->calls = 2.0 * (w->burst ? CAL_PAIRS / w->burst * w->burst :
				       CAL_PAIRS);
	out->acq = (double)(a.zone_acq - b.zone_acq);
	out->pages = (double)(a.zone_pages - b.zone_pages);
	out->blocks = (double)(a.zone_blocks - b.zone_blocks);
	out->merges = (double)(a.merges - b.merges + a.splits - b.splits);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double calibrate_least(const double *v, unsigned n)
{
	double m = v[0];

	for (unsigned i = 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

void calibrate_windows_least(double *least, const double *x, size_t n,
			     bool first)
{
	for (size_t w = 0; w < n; w++)
		if (first || x[w] < least[w])
			least[w] = x[w];
}

bool calibrate_more(unsigned r, unsigned runs, double start, double span_s,
		    unsigned max)
{
	return r < runs || (r < max && progress_now() - start < span_s);
}

/* Whether to make a calibration measurement's run r (its runs began at
 * `start`). */
static bool cal_more(unsigned r, unsigned runs, double start)
{
	return calibrate_more(r, runs, start, CAL_SPAN_S, CAL_MAX_RUNS);
}

void calibrate_pin_save(struct cal_pin *p)
{
	p->ncpus = 0;
	if (sched_getaffinity(0, sizeof(p->old), &p->old) == 0)
		p->ncpus = (unsigned)CPU_COUNT(&p->old);
}

void calibrate_pin_run(const struct cal_pin *p, unsigned r)
{
	unsigned k = p->ncpus ? r % p->ncpus : 0;
	cpu_set_t one;

	for (int c = 0; p->ncpus && c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &p->old) && k-- == 0) {
			CPU_ZERO(&one);
			CPU_SET(c, &one);
			(void)sched_setaffinity(0, sizeof(one), &one);
			return;
		}
}

void calibrate_unpin(const struct cal_pin *p)
{
	if (p->ncpus)
		(void)sched_setaffinity(0, sizeof(p->old), &p->old);
}

double calibrate_median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- the hand-off: two CPUs taking turns on one lock ---- */

struct pingpong {
	struct pa_lock lock;
	unsigned turn __attribute__((aligned(64)));
	int cpu[2];
	double win[CAL_NWIN];   /* thread 0: wall ns per window of turns */
};

struct pp_arg {
	struct pingpong *pp;
	unsigned me;
};

static void *pp_thread(void *arg)
{
	struct pp_arg *a = arg;
	struct pingpong *pp = a->pp;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(pp->cpu[a->me], &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	double t0 = progress_now();

	for (unsigned i = 0; i < CAL_HANDOFFS; i++) {
		while (__atomic_load_n(&pp->turn, __ATOMIC_ACQUIRE) != a->me)
			cal_relax();
		pa_lock_acquire(&pp->lock);
		__atomic_store_n(&pp->turn, 1 - a->me, __ATOMIC_RELEASE);
		pa_lock_release(&pp->lock);
		if (a->me == 0 && (i + 1) % CAL_WINDOW == 0) {
			double t1 = progress_now();

			pp->win[i / CAL_WINDOW] = (t1 - t0) * 1e9;
			t0 = t1;
		}
	}
	return NULL;
}

/* ns per turn (median window), or -1 when fewer than two CPUs are
 * allowed. */
static double handoff_once(void)
{
	struct pingpong *pp = aligned_alloc(64, sizeof(*pp));
	struct pp_arg a[2] = { { pp, 0 }, { pp, 1 } };
	pthread_t t[2];
	cpu_set_t set;
	unsigned n = 0;
	double r = -1;

	if (!pp)
		return -1;
	memset(pp, 0, sizeof(*pp));
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		goto out;
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			pp->cpu[n++] = c;
	if (n < 2)
		goto out;
	pa_lock_init(&pp->lock, false);
	if (pthread_create(&t[0], NULL, pp_thread, &a[0]) != 0)
		goto out;
	if (pthread_create(&t[1], NULL, pp_thread, &a[1]) != 0) {
		/* let the first finish alone: take its turns for it */
		for (unsigned i = 0; i < CAL_HANDOFFS; i++) {
			while (__atomic_load_n(&pp->turn, __ATOMIC_ACQUIRE) != 1)
				cal_relax();
			__atomic_store_n(&pp->turn, 0, __ATOMIC_RELEASE);
		}
		pthread_join(t[0], NULL);
		goto out;
	}
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	/* a window is 2 * CAL_WINDOW turns (both threads'); the median
	 * window is one where neither thread was preempted, on a machine
	 * not oversubscribed */
	r = calibrate_median(pp->win, CAL_NWIN) / (2.0 * CAL_WINDOW);
out:
	free(pp);
	return r;
}

/* ---- a metadata miss: frees of random pages across a large zone ---- */

/* Zones of 256 MiB, 1, 4 and 16 GiB: 1, 4, 16 and 64 MiB of page
 * metadata (16 bytes a page), half of their pages kept allocated. */
#define MISS_SIZES COSTMODEL_MISS_FIGS
#define MISS_MAX_LIVE (1u << 21)

/* The benchmark's own part of a pair: the same random picks, touching
 * the same array of pfns (its misses are not the library's), ns in all. */
static double random_touch_ns(uint64_t *pfn, unsigned live)
{
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	double t0 = calibrate_thread_ns();

	for (unsigned i = 0; i < CAL_PAIRS; i++) {
		unsigned j;

		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		j = (unsigned)(rng % live);
		__atomic_store_n(&pfn[j], pfn[j] + 1, __ATOMIC_RELAXED);
	}
	return calibrate_thread_ns() - t0;
}

/* A one-CPU zone of `bytes` with the defaults, no watermarks; NULL
 * without memory. */
static struct pa_zone *cal_plain_zone(uint64_t bytes)
{
	struct pa_config c = pa_config_default();

	c.bytes = bytes;
	c.ncpus = 1;
	c.flags = PA_CFG_NO_WATERMARKS;
	return cal_zone_create(&c);
}

/* ns per free+alloc pair where the free's page is random over a zone of
 * `bytes` (a miss) and the allocation gets that page straight back (a
 * hit), the benchmark's own array accesses taken out. */
static double miss_pair_ns(uint64_t *pfn, uint64_t bytes)
{
	const unsigned live = (unsigned)(bytes / 4096 / 2);
	struct pa_zone *z = cal_plain_zone(bytes);
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	double t0, t1;

	if (!z)
		return -1;
	for (unsigned i = 0; i < live; i++)
		pfn[i] = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);
	t0 = calibrate_thread_ns();
	for (unsigned i = 0; i < CAL_PAIRS; i++) {
		unsigned j;

		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		j = (unsigned)(rng % live);
		if (pfn[j] != PA_NO_PFN)
			pa_free_cpu(z, 0, pfn[j], 0);
		pfn[j] = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);
	}
	t1 = calibrate_thread_ns();
	pa_zone_destroy(z);
	return (t1 - t0 - random_touch_ns(pfn, live)) / CAL_PAIRS;
}

static const unsigned miss_mib[MISS_SIZES] = { 1, 4, 16, 64 };

int cal_miss_init(struct cal_miss *cm)
{
	*cm = (struct cal_miss){ .pfn = malloc(MISS_MAX_LIVE * sizeof(uint64_t)) };
	return cm->pfn ? 0 : -ENOMEM;
}

void cal_miss_destroy(struct cal_miss *cm)
{
	free(cm->pfn);
	cm->pfn = NULL;
}

void cal_miss_run(struct cal_miss *cm)
{
	for (unsigned k = 0; k < MISS_SIZES; k++) {
		double t = miss_pair_ns(cm->pfn, (uint64_t)miss_mib[k] << 28);

		if (t > 0 && cm->n[k] < CAL_MISS_MAX_RUNS)
			cm->v[k][cm->n[k]++] = t;
	}
}

int cal_miss_figures(const struct cal_miss *cm, double call_ns,
		     double y[COSTMODEL_MISS_FIGS])
{
	for (unsigned k = 0; k < MISS_SIZES; k++) {
		if (!cm->n[k])
			return -ENOMEM;
		y[k] = calibrate_least(cm->v[k], cm->n[k]) - 2 * call_ns;
		if (y[k] < 0)
			y[k] = 0;
	}
	return 0;
}

static int measure_miss(struct costmodel *m, unsigned runs,
			const struct cal_pin *pin, FILE *log)
{
	double *out[MISS_SIZES] = { &m->miss_1m_ns, &m->miss_4m_ns,
				    &m->miss_ns, &m->miss_64m_ns };
	double start = progress_now(), y[MISS_SIZES];
	struct cal_miss cm;
	int rc = cal_miss_init(&cm);

	for (unsigned r = 0; !rc && cal_more(r, runs, start); r++) {
		calibrate_pin_run(pin, r); /* the sizes interleaved */
		cal_miss_run(&cm);
	}
	if (!rc)
		rc = cal_miss_figures(&cm, m->call_ns, y);
	for (unsigned k = 0; !rc && k < MISS_SIZES; k++) {
		*out[k] = y[k];
		fprintf(log, "  random frees over %u MiB of metadata: %.2f ns "
			"per pair (least of %u)\n", miss_mib[k],
			y[k] + 2 * m->call_ns, cm.n[k]);
	}
	cal_miss_destroy(&cm);
	return rc;
}

/* ---- a pageset merge pass (pcpbuddy): chunks walked per drain ---- */

#define WALK_FREES 8192u          /* timed frees per run */
#define WALK_HIGH_SMALL 512u      /* the two pageset sizes compared */
#define WALK_HIGH_LARGE 16384u

/* Where a walk run's chunks lie: every `stride`-th page (stride 2:
 * even pfns, each buddy allocated), at a random 4-page line within
 * each stride when `scatter` (so strided lines do not share cache
 * sets), freed in a random order when `shuffle` (list order is then not
 * pfn order, as on a pageset in use). */
struct walk_layout {
	unsigned high;           /* the pageset's chunks, and its high */
	unsigned stride;         /* pages between chunks (even) */
	bool scatter, shuffle;
	uint64_t bytes;          /* the zone */
	unsigned frees;          /* timed frees past high (and the one reaching it) */
};

/* What a run of frees onto a pcpbuddy pageset of `high` unmergeable
 * order-0 chunks cost and did: every batch of frees past high drains,
 * and each drain's merge pass first walks the chunks freed since the
 * last pass -- at the first drain, all `high` the untimed frees put
 * there.  So a large pageset's run walks more than a small one's, by
 * their difference in chunks, with the same frees and drains. */
struct walk_run {
	double ns, walked;
	struct opcost d;
};

static uint64_t walk_rng(uint64_t *s)
{
	*s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
	return *s;
}

/* The chunks of a layout, in free order, into pfn[0..total) (every pfn
 * below is allocated first, so each chunk's buddy stays allocated). */
static void walk_chunks(const struct walk_layout *w, uint64_t *pfn,
			unsigned total)
{
	uint64_t rng = 0x2545f4914f6cdd1dull;

	for (unsigned i = 0; i < total; i++) {
		uint64_t off = w->scatter ? 4 * (walk_rng(&rng) %
						 (w->stride / 4)) : 0;

		pfn[i] = (uint64_t)i * w->stride + off;
	}
	for (unsigned i = total; w->shuffle && i > 1; i--) {
		unsigned j = (unsigned)(walk_rng(&rng) % i);
		uint64_t t = pfn[i - 1];

		pfn[i - 1] = pfn[j];
		pfn[j] = t;
	}
}

static int walk_run(const struct walk_layout *w, uint64_t *pfn,
		    struct walk_run *out)
{
	struct pa_config c = pa_config_default();
	const unsigned total = w->high + w->frees;
	uint64_t walked, span = (uint64_t)total * w->stride, got = 0;
	struct opcost a, b;
	struct pa_zone *z;
	double t0;

	c.bytes = w->bytes;
	c.ncpus = 1;
	c.policy = PA_POLICY_PCPBUDDY;
	c.flags = PA_CFG_NO_WATERMARKS;
	c.pcp_high_min = c.pcp_high_max = w->high;
	z = cal_zone_create(&c);
	if (!z)
		return -ENOMEM;
	/* a fresh zone gives its lowest pages first: take them all (the
	 * pageset emptied of what the refills left), then give back the
	 * chunks, one short of high: no drain yet, so no pass */
	while (got < span && pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE) != PA_NO_PFN)
		got++;
	pa_drain(z);
	walk_chunks(w, pfn, total);
	for (unsigned i = 0; i + 1 < w->high; i++)
		pa_free_cpu(z, 0, pfn[i], 0);
	opcost_read(z, &b);
	walked = opcost_pcp_walked(z, 0);
	t0 = calibrate_thread_ns();
	for (unsigned i = w->high - 1; i < total; i++)
		pa_free_cpu(z, 0, pfn[i], 0);
	out->ns = calibrate_thread_ns() - t0;
	opcost_read(z, &a);
	opcost_delta(&a, &b, &out->d);
	/* as the engine counts them (vtime.c walk_cost) */
	out->walked = (double)(opcost_pcp_walked(z, 0) - walked) +
		      (double)out->d.zone_blocks;
	pa_zone_destroy(z);
	return got == span ? 0 : -ENOMEM;
}

/* A run's zone->lock work with the fitted figures, as the engine
 * prices it. */
static double zone_ns(const struct costmodel *m, const struct opcost *d)
{
	return costmodel_zone_ns(m, (double)d->zone_acq, (double)d->zone_pages,
				 (double)d->zone_blocks,
				 (double)(d->merges + d->splits),
				 (double)d->pb_walked);
}

/* Run a's time minus run b's, their zone->lock work taken out with the
 * fitted figures, per chunk a walked more, into *out.  False when a
 * walked no more. */
static bool walk_diff(const struct costmodel *m, const struct walk_run *a,
		      const struct walk_run *b, double *out)
{
	double dw = a->walked - b->walked;
	double dt = a->ns - b->ns - zone_ns(m, &a->d) + zone_ns(m, &b->d);

	if (dw <= 0)
		return false;
	*out = dt / dw;
	return true;
}

/* The least-time one of `runs` runs of a layout into *out (the runs'
 * counts are the same: the calls are). */
static bool walk_least(const struct walk_layout *w, uint64_t *pfn,
		       unsigned runs, const struct cal_pin *pin,
		       struct walk_run *out)
{
	double start = progress_now();

	for (unsigned r = 0; cal_more(r, runs, start); r++) {
		struct walk_run x;

		calibrate_pin_run(pin, r);
		if (walk_run(w, pfn, &x) < 0)
			return false;
		if (r == 0 || x.ns < out->ns)
			*out = x;
	}
	return runs > 0;
}

/* walk_ns: the large pageset's runs against the small one's, the same
 * frees, their zone->lock work taken out with the fitted figures, per
 * chunk walked more. */
static int measure_walk(struct costmodel *m, unsigned runs,
			const struct cal_pin *pin, FILE *log)
{
	static const struct walk_layout small = {
		WALK_HIGH_SMALL, 2, false, false, CAL_BYTES, WALK_FREES
	}, large = { WALK_HIGH_LARGE, 2, false, false, CAL_BYTES, WALK_FREES };
	uint64_t *pfn = malloc((WALK_HIGH_LARGE + WALK_FREES) * sizeof(*pfn));
	struct walk_run s, l;
	bool ok = pfn && walk_least(&small, pfn, runs, pin, &s) &&
		  walk_least(&large, pfn, runs, pin, &l) &&
		  walk_diff(m, &l, &s, &m->walk_ns);

	free(pfn);
	if (!ok)
		return -ENOMEM;
	if (m->walk_ns < 0)
		m->walk_ns = 0;
	fprintf(log, "  pageset merge pass (pcpbuddy, %u against %u chunks): "
		"%.2f ns per chunk walked\n", WALK_HIGH_LARGE, WALK_HIGH_SMALL,
		m->walk_ns);
	return 0;
}

/*
 * walk_hop_ns, and a candidate for tlb_miss_ns.  A merge pass over a
 * pageset whose list order is not pfn order: TLB_HIGH chunks, one per metadata line (they
 * fit the cache), freed in a random order, so every step of the pass's
 * two walks of each list (its count, then the merge) is a dependent load
 * the prefetcher cannot guess: packed into TLB_HIGH / 64 metadata pages,
 * its time per chunk walked is walk_hop_ns; spread over TLB_HIGH pages
 * (more than the TLB maps: every chunk walked is a page miss, as the
 * engine counts it), what it takes more would be tlb_miss_ns.  Each is
 * a large pageset's run against a small one's with the same layout, so
 * the frees' and drains' own misses cancel out.
 */
#define TLB_HIGH 4096u
#define TLB_SMALL 64u
#define TLB_STRIDE 256u           /* pages of memory per metadata page */
#define TLB_BYTES (1ull << 34)

static bool tlb_walk_ns(const struct costmodel *m, unsigned stride,
			uint64_t *pfn, unsigned runs, const struct cal_pin *pin,
			double *out)
{
	const struct walk_layout large = {
		TLB_HIGH, stride, stride > 4, true, TLB_BYTES, WALK_FREES
	}, small = { TLB_SMALL, stride, stride > 4, true, TLB_BYTES,
		     WALK_FREES };
	struct walk_run l, s;

	return walk_least(&large, pfn, runs, pin, &l) &&
	       walk_least(&small, pfn, runs, pin, &s) &&
	       walk_diff(m, &l, &s, out);
}

static int measure_hops(struct costmodel *m, unsigned runs,
			const struct cal_pin *pin, FILE *log)
{
	uint64_t *pfn = malloc((TLB_HIGH + WALK_FREES) * sizeof(*pfn));
	double spread;
	bool ok = pfn && tlb_walk_ns(m, 4, pfn, runs, pin, &m->walk_hop_ns) &&
		  tlb_walk_ns(m, TLB_STRIDE, pfn, runs, pin, &spread);

	free(pfn);
	if (!ok)
		return -ENOMEM;
	if (m->walk_hop_ns < 0)
		m->walk_hop_ns = 0;
	/* logged, not written: on this VM it moved from 160 to 1040 ns
	 * between runs, and beside the miss curve it would make random
	 * frees over 16 MiB cost more than measured (docs/VTIME.md); the
	 * page level stays as the file or the defaults set it */
	fprintf(log, "  merge pass over a shuffled pageset (%u chunks, one per "
		"line, in %u metadata pages): %.2f ns per chunk walked; spread "
		"over %u pages: %.2f ns more (tlb_miss_ns not written)\n",
		TLB_HIGH, TLB_HIGH / 64, m->walk_hop_ns, TLB_HIGH,
		spread - m->walk_hop_ns);
	return 0;
}

/* ---- compaction: runs, scanner steps, pages migrated ---- */

/*
 * A 256 MiB zone full of movable order-0 pages (an owner that agrees to
 * every move: the lab's pages carry no data), some freed in a shape,
 * then pa_compact() for a pageblock again and again, each block it frees
 * taken, until it fails: the time of the compactions against their runs,
 * the steps of their two scanners and the pages they moved.  Each run
 * has a fixed cost (pagesets drained, suitability checks, a lock round
 * trip per pageblock visited) and starts both scanners from the zone's
 * ends again, so in an evenly thinned zone the free scanner's steps are
 * about as many as the migrate scanner's whatever the density; shapes
 * whose upper half stays nearly full make it walk far for each page
 * moved.  Six shapes, four unknowns (compact_ns, scan_ns, free_scan_ns,
 * migrate_ns), fitted by least squares: a fit without the per-run term
 * put it inside the per-step prices (16 and 9 ns a step against 5 and 3).
 */
#define COMPACT_BYTES (256ull << 20)
#define COMPACT_SHAPES 6
#define COMPACT_TERMS 4

static bool cal_isolate(void *owner, uint64_t pfn)
{
	(void)owner;
	(void)pfn;
	return true;
}

static int cal_migrate(void *owner, uint64_t dst, uint64_t src)
{
	(void)owner;
	(void)dst;
	(void)src;
	return 0;
}

static void cal_putback(void *owner, uint64_t pfn)
{
	(void)owner;
	(void)pfn;
}

const struct pa_movable_ops calibrate_agreeing_owner = {
	cal_isolate, cal_migrate, cal_putback,
};

/* A shape's totals: x[] in the order of the terms, and the time. */
struct compact_run {
	double x[COMPACT_TERMS]; /* runs, migrate steps, free steps, moved */
	double ns;
};

/* Which pages of n stay allocated in a shape: one of `keep`; with
 * `free_every`, in the upper half all but one of free_every. */
struct compact_shape {
	unsigned keep, free_every;
};

static bool shape_keeps(const struct compact_shape *sh, unsigned i,
			unsigned n)
{
	if (sh->free_every && i >= n / 2)
		return i % sh->free_every != 0;
	return i % sh->keep == 0;
}

static int compact_run(const struct compact_shape *sh, uint64_t *pfn,
		       struct compact_run *out)
{
	struct pa_config c = pa_config_default();
	const unsigned n = (unsigned)(COMPACT_BYTES / 4096);
	unsigned order;
	struct pa_zone *z;
	int id;

	c.bytes = COMPACT_BYTES;
	c.ncpus = 1;
	c.flags = PA_CFG_NO_WATERMARKS;
	order = c.pageblock_order ? c.pageblock_order : 9;
	z = cal_zone_create(&c);
	if (!z)
		return -ENOMEM;
	id = pa_register_movable_ops(z, &calibrate_agreeing_owner, NULL);
	for (unsigned i = 0; i < n; i++) {
		pfn[i] = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);
		if (id > 0 && pfn[i] != PA_NO_PFN)
			(void)pa_set_page_movable(z, pfn[i], id);
	}
	for (unsigned i = 0; i < n; i++)
		if (pfn[i] != PA_NO_PFN && !shape_keeps(sh, (unsigned)pfn[i], n))
			pa_free_cpu(z, 0, pfn[i], 0);
	*out = (struct compact_run){ { 0 }, 0 };
	for (unsigned k = 0; k < n >> order; k++) {
		struct pa_compact_stats st = { 0 };
		double t0 = calibrate_thread_ns();
		int rc = pa_compact(z, order, &st);

		out->ns += calibrate_thread_ns() - t0;
		out->x[0] += 1;
		out->x[1] += (double)st.migrate_scanned;
		out->x[2] += (double)st.free_scanned;
		out->x[3] += (double)(st.pages_migrated + st.pages_failed);
		if (rc || pa_alloc_cpu(z, 0, order, PA_GFP_MOVABLE) == PA_NO_PFN)
			break;
	}
	pa_zone_destroy(z);
	return id > 0 ? 0 : -ENOMEM;
}

/* Least squares of ns = sum x[t] * price[t] over the runs: the normal
 * equations, solved; false when singular. */
static bool compact_fit(const struct compact_run *r, unsigned n, double *price)
{
	double a[CAL_SOLVE_MAX][CAL_SOLVE_MAX + 1] = { { 0 } };
	const unsigned m = COMPACT_TERMS;

	_Static_assert(COMPACT_TERMS <= CAL_SOLVE_MAX, "the solver's size");
	for (unsigned k = 0; k < n; k++)
		for (unsigned i = 0; i < m; i++) {
			for (unsigned j = 0; j < m; j++)
				a[i][j] += r[k].x[i] * r[k].x[j];
			a[i][m] += r[k].x[i] * r[k].ns;
		}
	return calibrate_solve(a, m, price) == 0;
}

static int measure_compaction(struct costmodel *m, unsigned runs,
			      const struct cal_pin *pin, FILE *log)
{
	static const struct compact_shape shapes[COMPACT_SHAPES] = {
		{ 4, 0 }, { 16, 0 }, { 64, 64 }, { 64, 16 }, { 8, 64 },
		{ 64, 256 },
	};
	uint64_t *pfn = malloc(COMPACT_BYTES / 4096 * sizeof(*pfn));
	struct compact_run best[COMPACT_SHAPES];
	double price[COMPACT_TERMS];
	bool ok = pfn != NULL;
	unsigned n = 0;

	for (double start = progress_now(); ok && cal_more(n, runs, start);
	     n++) { /* interleaved */
		calibrate_pin_run(pin, n);
		for (unsigned k = 0; k < COMPACT_SHAPES && ok; k++) {
			struct compact_run r;

			ok = compact_run(&shapes[k], pfn, &r) == 0;
			if (ok && (n == 0 || r.ns < best[k].ns))
				best[k] = r;
		}
	}
	free(pfn);
	if (!ok || !n || !compact_fit(best, COMPACT_SHAPES, price))
		return -ENOMEM;
	m->compact_ns = price[0] > 0 ? price[0] : 0;
	m->scan_ns = price[1] > 0 ? price[1] : 0;
	m->free_scan_ns = price[2] > 0 ? price[2] : 0;
	m->migrate_ns = price[3] > 0 ? price[3] : 0;
	fprintf(log, "  compaction: %.0f ns per run, %.2f per migrate-scanner "
		"step, %.2f per free-scanner step, %.2f per page migrated (least "
		"of %u)\n", m->compact_ns, m->scan_ns, m->free_scan_ns,
		m->migrate_ns, n);
	for (unsigned k = 0; k < COMPACT_SHAPES; k++) {
		char top[48] = "";

		if (shapes[k].free_every)
			snprintf(top, sizeof(top), ", the top all but 1 of %u",
				 shapes[k].free_every);
		fprintf(log, "    keep 1 of %u%s: %.0f runs, %.0f + %.0f steps, "
			"%.0f moved in %.0f ns\n", shapes[k].keep, top,
			best[k].x[0], best[k].x[1], best[k].x[2], best[k].x[3],
			best[k].ns);
	}
	return 0;
}

/* Run every workload `runs` times, interleaved; each sample's time is
 * the sum over its windows of each window's least over the runs. */
static int measure_all(struct cal_sample *smp, unsigned runs,
		       const struct cal_pin *pin, FILE *log)
{
	static const unsigned nw = NWORKS;
	double least[NWORKS][CAL_MAX_WIN], win[CAL_MAX_WIN];
	uint64_t *buf = malloc(CAL_BURST * sizeof(*buf));
	double start = progress_now();
	unsigned r;

	if (!buf)
		return -ENOMEM;
	for (r = 0; cal_more(r, runs, start); r++)
		for (unsigned w = 0; w < nw; w++) {
			calibrate_pin_run(pin, r);
			if (measure(&works[w], buf, &smp[w], win) < 0) {
				free(buf);
				return -ENOMEM;
			}
			calibrate_windows_least(least[w], win,
						win_count(&works[w]), r == 0);
		}
	free(buf);
	for (unsigned w = 0; w < nw; w++) {
		for (unsigned k = 0; k < win_count(&works[w]); k++)
			smp[w].ns += least[w][k];
		fprintf(log, "  %-40s %8.2f ns/call  (zone->lock per call: %.4f "
			"acq, %.3f pages, %.3f list ops, %.3f merges and split "
			"pieces)\n", smp[w].name, smp[w].ns / smp[w].calls,
			smp[w].acq / smp[w].calls, smp[w].pages / smp[w].calls,
			smp[w].blocks / smp[w].calls, smp[w].merges / smp[w].calls);
	}
	return 0;
}

/* ---- a fallback's pageblock walks (pb_walk_ns) ---- */

/* Unmovable allocations falling back into movable pageblocks a quarter
 * free (every fourth page free, so nothing merges): each one's claim
 * counts the block's movable pages, an entry per page, finds it under
 * half free and steals a page instead; the frees put the pages back.  A
 * zone without pagesets, so every call is on the zone path the fit
 * priced. */
#define PBW_BYTES (64ull << 20)
#define PBW_BURST 1024u
#define PBW_ROUNDS 16u

struct pbw_run {
	double ns, calls;
	struct opcost d;
};

static int pbw_run(uint64_t *pfn, struct pbw_run *out)
{
	struct pa_config c = pa_config_default();
	const unsigned n = (unsigned)(PBW_BYTES / 4096);
	uint64_t *u = pfn + n;
	struct opcost a, b;
	struct pa_zone *z;
	double t0;

	c.bytes = PBW_BYTES;
	c.ncpus = 1;
	c.flags = PA_CFG_NO_PCP | PA_CFG_NO_WATERMARKS;
	z = cal_zone_create(&c);
	if (!z)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++)
		pfn[i] = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);
	for (unsigned i = 0; i < n; i++)
		if (pfn[i] != PA_NO_PFN && pfn[i] % 4 == 0)
			pa_free_cpu(z, 0, pfn[i], 0);
	opcost_read(z, &b);
	t0 = calibrate_thread_ns();
	for (unsigned r = 0; r < PBW_ROUNDS; r++) {
		for (unsigned i = 0; i < PBW_BURST; i++)
			u[i] = pa_alloc_cpu(z, 0, 0, 0);
		for (unsigned i = PBW_BURST; i-- > 0;)
			if (u[i] != PA_NO_PFN)
				pa_free_cpu(z, 0, u[i], 0);
	}
	out->ns = calibrate_thread_ns() - t0;
	opcost_read(z, &a);
	pa_zone_destroy(z);
	opcost_delta(&a, &b, &out->d);
	out->calls = 2.0 * PBW_ROUNDS * PBW_BURST;
	return 0;
}

/* pb_walk_ns: the least run's time less its calls and zone->lock work
 * at the fitted figures, per entry walked. */
static int measure_pb_walk(struct costmodel *m, unsigned runs,
			   const struct cal_pin *pin, FILE *log)
{
	uint64_t *pfn = malloc((PBW_BYTES / 4096 + PBW_BURST) * sizeof(*pfn));
	struct pbw_run best = { 0 }, one;
	double start = progress_now();
	unsigned r;

	if (!pfn)
		return -ENOMEM;
	for (r = 0; cal_more(r, runs, start); r++) {
		calibrate_pin_run(pin, r);
		if (pbw_run(pfn, &one) < 0) {
			free(pfn);
			return -ENOMEM;
		}
		if (r == 0 || one.ns < best.ns)
			best = one;
	}
	free(pfn);
	if (!best.d.pb_walked)
		return -EINVAL; /* the workload did not fall back: a bug */
	m->pb_walk_ns = 0;
	m->pb_walk_ns = (best.ns - best.calls * m->call_ns - zone_ns(m, &best.d)) /
			(double)best.d.pb_walked;
	if (m->pb_walk_ns < 0)
		m->pb_walk_ns = 0;
	fprintf(log, "  fallback pageblock walks: %.2f ns per entry (%.0f "
		"entries an allocation, least of %u)\n", m->pb_walk_ns,
		(double)best.d.pb_walked / (best.calls / 2), r);
	return 0;
}

/* ---- marking allocations movable (pa_set_page_movable) ---- */

/* Bursts of 64 order-0 allocations, then their frees, on a fresh zone
 * with an owner registered; every allocation marked movable when `mark`
 * (its free clears the mark).  Thread ns per burst pair. */
static double owner_run(bool mark, uint64_t *pfn)
{
	struct pa_zone *z = cal_plain_zone(CAL_BYTES);
	double t0, t;
	int id;

	if (!z)
		return -1;
	id = pa_register_movable_ops(z, &calibrate_agreeing_owner, NULL);
	do_bursts(z, pfn, 64, CAL_PAIRS / 8); /* warm up, as measure() */
	t0 = calibrate_thread_ns();
	for (unsigned r = 0; r < CAL_PAIRS / 64; r++) {
		for (unsigned i = 0; i < 64; i++) {
			pfn[i] = pa_alloc_cpu(z, 0, 0, PA_GFP_MOVABLE);
			if (mark && id > 0 && pfn[i] != PA_NO_PFN)
				(void)pa_set_page_movable(z, pfn[i], id);
		}
		for (unsigned i = 64; i-- > 0;)
			if (pfn[i] != PA_NO_PFN)
				pa_free_cpu(z, 0, pfn[i], 0);
	}
	t = calibrate_thread_ns() - t0;
	pa_zone_destroy(z);
	return id > 0 ? t : -1;
}

/* owner_ns: marked bursts against plain ones, per allocation marked
 * (the mark, and its free clearing it). */
static int measure_owner(struct costmodel *m, unsigned runs,
			 const struct cal_pin *pin, FILE *log)
{
	uint64_t pfn[64];
	double plain[CAL_MAX_RUNS], marked[CAL_MAX_RUNS], start = progress_now();
	unsigned r;

	for (r = 0; cal_more(r, runs, start); r++) { /* interleaved */
		calibrate_pin_run(pin, r);
		plain[r] = owner_run(false, pfn);
		marked[r] = owner_run(true, pfn);
		if (plain[r] < 0 || marked[r] < 0)
			return -ENOMEM;
	}
	m->owner_ns = (calibrate_least(marked, r) - calibrate_least(plain, r)) /
		      (double)(CAL_PAIRS / 64 * 64);
	if (m->owner_ns < 0)
		m->owner_ns = 0;
	fprintf(log, "  allocations marked movable: %.2f ns more each (least "
		"of %u)\n", m->owner_ns, r);
	return 0;
}

static void measure_handoff(struct costmodel *m, unsigned runs, FILE *log)
{
	double v[CAL_MAX_RUNS];
	unsigned n = 0;

	for (unsigned r = 0; r < runs; r++) {
		double t = handoff_once();

		if (t > 0)
			v[n++] = t;
	}
	if (!n) {
		fprintf(log, "  hand-off: fewer than two CPUs allowed: default "
			"%.1f ns kept\n", m->handoff_ns);
		return;
	}
	/* a turn moves the lock's line and the turn's line: two transfers,
	 * like a zone->lock hand-off moving the lock and the zone's lines */
	m->handoff_ns = calibrate_median(v, n) - m->lock_ns;
	if (m->handoff_ns < 0)
		m->handoff_ns = 0;
	m->remote_ns = m->handoff_ns / 2;
	fprintf(log, "  hand-off between two CPUs: %.1f ns per turn (median of "
		"%u)\n", calibrate_median(v, n), n);
}

/* Every single-thread measurement, pinned (calibrate_run). */
static int calibrate_single(struct costmodel *m, struct cal_sample *smp,
			    unsigned runs, const struct cal_pin *pin, FILE *log)
{
	int rc = measure_all(smp, runs, pin, log);

	if (rc)
		return rc;
	/* the hits take zone->lock almost never: their time is the call.
	 * Bursts, not pairs on one page: a real pageset cycles through
	 * many pages (the pairs are the benchmark the model is checked
	 * against, docs/LAB.md) */
	m->call_ns = smp[0].ns / smp[0].calls;
	if (calibrate_fit(smp, NWORKS, m) < 0)
		fprintf(log, "  no fit for the zone->lock figures: defaults kept\n");
	rc = measure_miss(m, runs, pin, log);
	if (!rc)
		rc = measure_walk(m, runs, pin, log);
	if (!rc)
		rc = measure_hops(m, runs, pin, log);
	if (!rc)
		rc = measure_compaction(m, runs, pin, log);
	if (!rc)
		rc = measure_owner(m, runs, pin, log);
	if (!rc)
		rc = measure_pb_walk(m, runs, pin, log);
	return rc;
}

int calibrate_run(struct costmodel *m, unsigned runs, FILE *log)
{
	struct cal_sample smp[NWORKS];
	struct cal_pin pin;
	int rc;

	if (runs < 1)
		runs = 1;
	if (runs > CAL_MAX_ASKED)
		runs = CAL_MAX_ASKED;
	fprintf(log, "calibrating (the least of at least %u interleaved runs "
		"spanning %.0f s, each pinned, turn about on every CPU "
		"allowed):\n", runs, CAL_SPAN_S);
	calibrate_pin_save(&pin);
	rc = calibrate_single(m, smp, runs, &pin, log);
	calibrate_unpin(&pin); /* the hand-off takes two CPUs */
	if (rc)
		return rc;
	measure_handoff(m, runs, log);
	return 0;
}
