/* SPDX-License-Identifier: MIT */
/*
 * The synthetic workloads.  Each is a small model of who allocates what,
 * on which CPU, for how long; sizes follow the machine (fractions of its
 * pages) and the request count follows --scale, so the suite can run each
 * on a small machine in milliseconds.
 */
#include <stdlib.h>
#include <string.h>

#include "objs.h"
#include "scenario.h"

/* Free element i on `cpu` (or its allocating CPU when cpu < 0). */
static void objs_free(struct scen *sc, struct objs *o, size_t i, int cpu)
{
	uint64_t key;
	unsigned order, c;

	objs_take(o, i, &key, &order, &c);
	scen_free(sc, cpu < 0 ? c : (unsigned)cpu, key, order);
}

/* Free the oldest element (a set used in age order: objs_shift) on cpu. */
static void objs_free_oldest(struct scen *sc, struct objs *o, unsigned cpu)
{
	uint64_t key;
	unsigned order, c;

	objs_shift(o, &key, &order, &c);
	scen_free(sc, cpu, key, order);
}

static void objs_free_random(struct scen *sc, struct objs *o, int cpu)
{
	if (o->n)
		objs_free(sc, o, scen_below(sc, o->n), cpu);
}

static unsigned cpu_any(struct scen *sc)
{
	return (unsigned)scen_below(sc, sc->p->ncpus);
}

/*
 * jemalloc-purge: application threads fault extents of pages in on some
 * CPUs; jemalloc's background purge (madvise DONTNEED) returns them from
 * other CPUs, so nearly every free is remote.
 */
void scen_jemalloc_purge(struct scen *sc)
{
	unsigned nc = sc->p->ncpus, faulters = nc > 1 ? (nc + 1) / 2 : 1;
	uint64_t rounds = scen_count(sc, 12000), target = sc->pages / 2;
	struct objs extents[64];
	size_t head = 0, tail = 0;

	memset(extents, 0, sizeof(extents));
	for (uint64_t r = 0; r < rounds; r++) {
		struct objs *e = &extents[tail % 64];
		unsigned cpu = (unsigned)scen_below(sc, faulters);
		uint64_t n = 16 + scen_below(sc, 240);

		if (tail - head == 64) { /* ring full: purge the oldest */
			struct objs *old = &extents[head++ % 64];
			unsigned pc = nc > 1 ? faulters + (unsigned)scen_below(sc, nc - faulters) : 0;
			while (old->n)
				objs_free(sc, old, old->n - 1, (int)pc);
		}
		for (uint64_t i = 0; i < n; i++) {
			objs_push(e, scen_alloc(sc, cpu, 0, 1), 0, cpu);
			scen_wait(sc, 500);
		}
		tail++;
		/* purge the oldest extents from a purging CPU */
		for (;;) {
			uint64_t live = 0;
			for (size_t k = head; k < tail; k++)
				live += extents[k % 64].pages;
			if (live <= target || head + 1 >= tail)
				break;
			struct objs *old = &extents[head++ % 64];
			unsigned pc = nc > 1 ? faulters + (unsigned)scen_below(sc, nc - faulters) : 0;
			while (old->n) {
				objs_free(sc, old, old->n - 1, (int)pc);
				scen_wait(sc, 200);
			}
		}
		/* a little kernel-side churn alongside */
		if (r % 8 == 0)
			scen_free(sc, cpu, scen_alloc(sc, cpu, 0, 0), 0);
	}
	for (unsigned i = 0; i < 64; i++)
		objs_release(&extents[i]);
}

/*
 * exit-avalanche: many processes fault in memory (some of it as 2 MiB
 * THPs, with page tables beside it), then exit at once; the frees arrive
 * interleaved from every CPU.  A few long-lived kernel objects stay.
 */
void scen_exit_avalanche(struct scen *sc)
{
	unsigned nc = sc->p->ncpus, procs = nc * 4;
	unsigned cycles = (unsigned)scen_count(sc, 4);
	struct objs *pr = calloc(procs, sizeof(*pr));
	struct objs kernel = { 0 };
	uint64_t per_proc = sc->pages * 6 / 10 / procs;

	if (!pr)
		abort();
	for (unsigned c = 0; c < cycles; c++) {
		for (unsigned p = 0; p < procs; p++) {
			unsigned cpu = p % nc;
			while (pr[p].pages < per_proc) {
				uint64_t x = scen_below(sc, 100);
				unsigned order = x < 8 ? 9 : 0;
				int mt = x < 95 ? 1 : 0;

				objs_push(&pr[p], scen_alloc(sc, cpu, order, mt),
					  order, cpu);
				scen_wait(sc, order ? 20000 : 300);
			}
			for (int k = 0; k < 4; k++)
				objs_push(&kernel, scen_alloc(sc, cpu, 0, k & 1 ? 2 : 0),
					  0, cpu);
		}
		scen_wait(sc, 200000000);
		/* the avalanche: every process exits, frees interleaved */
		for (;;) {
			bool any = false;
			for (unsigned p = 0; p < procs; p++)
				for (int k = 0; k < 32 && pr[p].n; k++) {
					objs_free(sc, &pr[p], pr[p].n - 1, -1);
					any = true;
				}
			scen_wait(sc, 1000);
			if (!any)
				break;
		}
		/* some kernel objects die with the processes */
		for (size_t k = kernel.n / 2; k > 0; k--)
			objs_free_random(sc, &kernel, (int)cpu_any(sc));
		scen_wait(sc, 500000000);
	}
	for (unsigned p = 0; p < procs; p++)
		objs_release(&pr[p]);
	objs_release(&kernel);
	free(pr);
}

/*
 * kernel-build: `make -jN` - short-lived compilers (anonymous memory, page
 * tables, a kernel stack), a growing page cache of sources and objects,
 * and slab objects (dentries, inodes) that outlive the compilers.
 *
 * A build server runs with its memory full: kswapd (here on CPU 0)
 * reclaims page cache as fast as the builds bring it in, and the slab
 * shrinkers free objects on any CPU, both the oldest first (the LRUs'
 * tails).  Filling 256 GiB before the first job would cost more than the
 * run, so the cache and the slab stop growing half way in (or at 40% and
 * 5% of memory if sooner), and each page they bring in after that is
 * matched by one reclaimed.  The oldest, not a random one: in virtual time
 * a free waits for its allocation, so freeing pages other CPUs allocated
 * moments ago ties every CPU's clock to the slowest's (a random pick from
 * a quarter way in doubled the run's virtual time; oldest-first from a
 * quarter left 3.2 of its 12.6 virtual CPU-seconds waiting on allocations,
 * from half way 0.7 of 11.1, at 224 CPUs).  Until 2026-12-03 only the
 * memory bounds existed and no run reached them (1,200 jobs bring in about
 * 60,000 cache pages; 40% of 4 GiB is 420,000): nothing was reclaimed.
 */
static void kb_reclaim(struct scen *sc, struct objs *cache, uint64_t cache_max,
		       struct objs *slab, uint64_t slab_max)
{
	/* kswapd, on CPU 0: the LRU's tail (none for an LRU the zone's
	 * own reclaim takes from: cache NULL) */
	while (cache && cache->pages > cache_max)
		objs_free_oldest(sc, cache, 0);
	while (slab->pages > slab_max) /* shrinkers, anywhere: the oldest */
		objs_free_oldest(sc, slab, cpu_any(sc));
}

/* One compiler job on `cpu`: its stack, anonymous memory and page
 * tables, the sources it reads and objects it writes (page cache: on
 * the LRU, or in `cache`), the dentries and inodes it leaves behind;
 * then its exit. */
static void kb_job(struct scen *sc, unsigned cpu, struct objs *job,
		   struct objs *cache, struct objs *slab)
{
	uint64_t anon = 64 + scen_below(sc, 1500);

	job->n = 0;
	job->pages = 0;
	objs_push(job, scen_alloc(sc, cpu, 2, 0), 2, cpu); /* stack */
	for (uint64_t i = 0; i < anon; i++) {
		if (i % 512 == 0)
			objs_push(job, scen_alloc(sc, cpu, 0, 0), 0, cpu);
		objs_push(job, scen_alloc(sc, cpu, 0, 1), 0, cpu);
		if (i % 16 == 0) { /* reads sources, writes objects */
			if (cache)
				objs_push(cache, scen_alloc(sc, cpu, 0, 1), 0, cpu);
			else
				(void)scen_lru_add(sc, cpu, 0, LRU_FILE);
			if (scen_below(sc, 4) == 0)
				objs_push(slab, scen_alloc(sc, cpu, 0,
					  scen_below(sc, 3) ? 2 : 0), 0, cpu);
		}
		scen_wait(sc, 2000);
	}
}

/* The jobs, round robin over the CPUs; `cache` NULL: the page cache goes
 * on the LRU, for the zone's reclaim to take. */
static void kb_run(struct scen *sc, struct objs *cache)
{
	unsigned nc = sc->p->ncpus;
	uint64_t jobs = scen_count(sc, 1200), cache_max = sc->pages * 4 / 10;
	uint64_t slab_max = sc->pages / 20;
	struct objs slab = { 0 }, job = { 0 };

	for (uint64_t j = 0; j < jobs; j++) {
		if (j == jobs / 2) { /* memory full from here on */
			uint64_t held = cache ? cache->pages : 0;

			cache_max = held < cache_max ? held : cache_max;
			slab_max = slab.pages < slab_max ? slab.pages : slab_max;
		}
		kb_job(sc, (unsigned)(j % nc), &job, cache, &slab);
		kb_reclaim(sc, cache, cache_max, &slab, slab_max);
		while (job.n) /* exit */
			objs_free(sc, &job, job.n - 1, -1);
	}
	objs_release(&slab);
	objs_release(&job);
}

void scen_kernel_build(struct scen *sc)
{
	struct objs cache = { 0 };

	kb_run(sc, &cache);
	objs_release(&cache);
}

/*
 * build-server: the kernel-build jobs on a machine whose memory is full
 * of page cache, as a build server's is after a day of builds (0-Day's
 * kbuild servers, the setting of the pcp auto-tuning figures: issue 15).
 * The old cache is read in first, in 2 MiB folios (large-folio page
 * cache; order 0 would cost 512 times the requests to fill 256 GiB), on
 * every CPU in turn; the jobs' own cache goes on the same LRU, order 0.
 * Nothing here frees cache: the zone's reclaim does, kswapd in the
 * background step and direct reclaim in the allocating call, through the
 * lab's LRU (oldest first), so the zone runs at its watermarks, with
 * reclaim active, as a full machine's does (the LRU counts a folio as
 * one object, so a scan batch of these folios frees more than asked and
 * can leave the zone above high for a while: docs/SCENARIOS.md).
 */
void scen_build_server(struct scen *sc)
{
	unsigned nc = sc->p->ncpus;
	uint64_t folios = sc->pages >> 9;

	for (uint64_t i = 0; i < folios; i++) {
		(void)scen_lru_add(sc, (unsigned)(i % nc), 9, LRU_FILE);
		scen_wait(sc, 1000);
	}
	kb_run(sc, NULL);
}

/*
 * slab-churn (seed 001): dense reclaimable slab pages churning, with
 * sparse long-lived unmovable allocations among them; at the end a
 * shrinker frees most reclaimable memory.  How many pageblocks stay pinned
 * by the few unmovable pages is the question.
 */
void scen_slab_churn(struct scen *sc)
{
	uint64_t target = sc->pages * 6 / 10, ops = scen_count(sc, 1500000);
	struct objs recl = { 0 }, unmov = { 0 };

	for (uint64_t i = 0; i < ops; i++) {
		unsigned cpu = cpu_any(sc);

		if (recl.pages < target || scen_below(sc, 2)) {
			unsigned order = scen_below(sc, 8) == 0 ? 1 : 0;
			objs_push(&recl, scen_alloc(sc, cpu, order, 2), order, cpu);
		} else {
			objs_free_random(sc, &recl, (int)cpu);
		}
		if (scen_below(sc, 64) == 0)
			objs_push(&unmov, scen_alloc(sc, cpu, 0, 0), 0, cpu);
		if (unmov.n && scen_below(sc, 256) == 0)
			objs_free_random(sc, &unmov, (int)cpu);
		scen_wait(sc, 1000);
	}
	/* the shrinker */
	for (size_t k = recl.n * 9 / 10; k > 0; k--) {
		objs_free_random(sc, &recl, (int)cpu_any(sc));
		scen_wait(sc, 100);
	}
	objs_release(&recl);
	objs_release(&unmov);
}

/*
 * page-fault1 (will-it-scale): every CPU runs a process that maps 128 MiB
 * of private anonymous memory, touches each page (a fault: one order-0
 * movable page, zeroed) and unmaps it (the pages freed), in a loop.  The
 * total fault count is fixed, so more CPUs share the same work.  Requests
 * are interleaved CPU by CPU; the waits are each fault's and each unmapped
 * page's own kernel work besides the allocator (docs/VTIME.md says where
 * the figures come from).
 */
#define PF1_FAULT_NS 800    /* fault entry, clear_page, memcg, LRU, pte */
#define PF1_UNMAP_NS 200    /* zap the pte, TLB batch, release the page */
#define PF1_REGION 32768    /* 128 MiB of 4 KiB pages */

static void pf1_round(struct scen *sc, struct objs *mine, unsigned nc,
		      uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		for (unsigned c = 0; c < nc; c++) {
			scen_wait(sc, PF1_FAULT_NS);
			objs_push(&mine[c], scen_alloc(sc, c, 0, 1), 0, c);
		}
	for (uint64_t i = 0; i < n; i++)
		for (unsigned c = 0; c < nc; c++) {
			scen_wait(sc, PF1_UNMAP_NS);
			objs_free(sc, &mine[c], mine[c].n - 1, -1);
		}
}

void scen_page_fault1(struct scen *sc)
{
	unsigned nc = sc->p->ncpus;
	uint64_t per_cpu = scen_count(sc, 500000) / nc + 1;
	uint64_t region = sc->pages * 6 / 10 / nc;
	struct objs *mine = calloc(nc, sizeof(*mine));

	if (!mine)
		abort();
	if (region > PF1_REGION)
		region = PF1_REGION;
	if (!region)
		region = 1;
	while (per_cpu) {
		uint64_t n = per_cpu < region ? per_cpu : region;

		pf1_round(sc, mine, nc, n);
		per_cpu -= n;
	}
	for (unsigned c = 0; c < nc; c++)
		objs_release(&mine[c]);
	free(mine);
}
