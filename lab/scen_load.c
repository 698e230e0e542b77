/* SPDX-License-Identifier: MIT */
/*
 * The full server's background load (scen_load.h).  Shares of the
 * requests and the orders are docs/SCENARIOS.md's, from `pagealloc mix`
 * on the shared build trace: per CPU-second 12,400 anonymous pages,
 * 2,900 page-cache pages, 800 unmovable pages (97% order 0, 3% order 1,
 * living 65 ms at the median) and a few reclaimable ones that outlive
 * the trace.
 */
#include "scen_load.h"

#include <stdlib.h>
#include <string.h>

/* Requests out of 1000, in this order. */
#define W_FILE_NEW   250  /* read a new file extent into the page cache */
#define W_FILE_TOUCH 120  /* re-read: a hit, or a refault if reclaimed */
#define W_ANON_NEW   330  /* a service faults anonymous memory in */
#define W_ANON_TOUCH  60  /* ... and uses it again (swap-in if swapped) */
#define W_NET        120  /* a network buffer, unmovable, short-lived */
#define W_SLAB       120  /* a slab object, long-lived */
/* the remaining 0: pairs with the lifetimes below */

/* Page-cache folio orders out of 100: the trace's kernel reads in order
 * 0 only; a server filesystem with large folios reads ahead in larger
 * ones (docs/SCENARIOS.md says why these). */
#define FILE_O0 40
#define FILE_O2 30    /* the rest order 4 */
#define NET_O1_PER_1000 32 /* unmovable order-1 share (measured 3.2%) */
#define NET_LIFE_NS 65000000ull /* measured median unmovable lifetime */
#define PT_PER_ANON 512 /* a page-table page maps 512 pages */
/* slab: reclaimable share and the shrinkable share of it (unused
 * dentries and inodes), out of 100 */
#define SLAB_RECL_PCT 60
#define SLAB_SHRINKABLE_PCT 70
#define THP_BURST 16     /* order-9 faults of a starting process */
#define THP_EVERY 20000  /* steps between bursts */

void load_init(struct load *l, const struct scen *sc, uint64_t steps,
	       double seconds)
{
	double net_rate;

	memset(l, 0, sizeof(*l));
	l->steps = steps ? steps : 1;
	l->dt_ns = (uint64_t)(seconds * 1e9 / (double)l->steps);
	if (!l->dt_ns)
		l->dt_ns = 1;
	l->anon_target = sc->pages * 35 / 100;
	/* 3% of memory in slab, objects of about a fifth of a page (slab.c's
	 * caches in the mix below) */
	l->slab_target = sc->pages * 3 / 100 * 5;
	l->file_keys_max = sc->pages * 12 / 10 / 6; /* folios of ~6 pages */
	net_rate = (double)W_NET / 1000.0 / ((double)l->dt_ns / 1e9);
	l->net_max = (uint64_t)(net_rate * (double)NET_LIFE_NS / 1e9) + 16;
	l->thp_max = sc->pages * 5 / 100;
}

/* A random element of o (n > 0), drawn one pick ahead: on a large
 * machine the sets are far larger than the caches and a pick waiting for
 * its element was most of the generator's time, so the next pick's
 * element is prefetched now. */
static size_t pick(struct scen *sc, struct objs *o)
{
	size_t i = o->ahead < o->n ? o->ahead : o->n - 1;

	o->ahead = (size_t)scen_below(sc, o->n);
	__builtin_prefetch(&o->e[o->first + o->ahead]);
	return i;
}

static unsigned cpu_any(struct scen *sc)
{
	return (unsigned)scen_below(sc, sc->p->ncpus);
}

static unsigned file_order(struct scen *sc)
{
	uint64_t x = scen_below(sc, 100);

	return x < FILE_O0 ? 0 : x < FILE_O0 + FILE_O2 ? 2 : 4;
}

static void file_new(struct scen *sc, struct load *l, unsigned cpu)
{
	unsigned order = file_order(sc);

	objs_push(&l->file, scen_lru_add(sc, cpu, order, LRU_FILE), order, cpu);
	if (l->file.n > l->file_keys_max) { /* a file deleted */
		uint64_t key;
		unsigned o, c;

		objs_take(&l->file, pick(sc, &l->file), &key, &o, &c);
		sim_lru_free(sc->sim, cpu, key, o);
	}
}

static void touch(struct scen *sc, struct objs *o, enum lru_kind kind,
		  unsigned cpu)
{
	size_t i;

	if (!o->n)
		return;
	i = pick(sc, o);
	sim_lru_touch(sc->sim, cpu, o->e[o->first + i].key,
		      o->e[o->first + i].order, kind);
}

/* Anonymous memory above the target is unmapped (freed, or forgotten in
 * swap); page tables follow. */
static void anon_trim(struct scen *sc, struct load *l, unsigned cpu)
{
	uint64_t key;
	unsigned o, c;

	while (l->anon.pages > l->anon_target) {
		objs_take(&l->anon, pick(sc, &l->anon), &key, &o, &c);
		sim_lru_free(sc->sim, cpu, key, o);
	}
	while (l->pt.n > l->anon.n / PT_PER_ANON + 1) {
		objs_take(&l->pt, pick(sc, &l->pt), &key, &o, &c);
		scen_free(sc, cpu, key, o);
	}
}

static void anon_new(struct scen *sc, struct load *l, unsigned cpu)
{
	objs_push(&l->anon, scen_lru_add(sc, cpu, 0, LRU_ANON), 0, cpu);
	if (l->anon.n % PT_PER_ANON == 0)
		objs_push(&l->pt, scen_alloc(sc, cpu, 0, PA_MT_UNMOVABLE), 0, cpu);
	anon_trim(sc, l, cpu);
}

static void net(struct scen *sc, struct load *l, unsigned cpu)
{
	unsigned order = scen_below(sc, 1000) < NET_O1_PER_1000 ? 1 : 0;
	uint64_t key;
	unsigned o, c;

	objs_push(&l->net, scen_alloc(sc, cpu, order, PA_MT_UNMOVABLE), order,
		  cpu);
	while (l->net.n > l->net_max) { /* freed on the CPU that sent it */
		objs_take(&l->net, pick(sc, &l->net), &key, &o, &c);
		scen_free(sc, c, key, o);
	}
}

static void slab(struct scen *sc, struct load *l, unsigned cpu)
{
	bool recl = scen_below(sc, 100) < SLAB_RECL_PCT;
	enum slab_cache_id id = recl ? (scen_below(sc, 3) ? SLAB_INODE :
					 SLAB_DENTRY) :
				(scen_below(sc, 3) ? SLAB_KMALLOC_1K : SLAB_SKBUFF);
	bool shrinkable = recl && scen_below(sc, 100) < SLAB_SHRINKABLE_PCT;
	uint64_t key;
	unsigned o, c;

	objs_push(&l->slab, scen_slab_alloc(sc, cpu, id, shrinkable), 0, cpu);
	if (l->slab.n > l->slab_target) {
		objs_take(&l->slab, pick(sc, &l->slab), &key, &o, &c);
		sim_slab_free(sc->sim, cpu, key);
	}
}

static void thp_burst(struct scen *sc, struct load *l)
{
	unsigned cpu = cpu_any(sc);
	uint64_t key;
	unsigned o, c;

	for (unsigned i = 0; i < THP_BURST; i++)
		objs_push(&l->thp, scen_alloc(sc, cpu, 9, PA_MT_MOVABLE), 9, cpu);
	while (l->thp.pages > l->thp_max) { /* an older process exits */
		objs_take(&l->thp, pick(sc, &l->thp), &key, &o, &c);
		scen_free(sc, c, key, o);
	}
}

void load_step(struct scen *sc, struct load *l)
{
	unsigned cpu = cpu_any(sc);
	uint64_t x = scen_below(sc, 1000);

	if (x < W_FILE_NEW)
		file_new(sc, l, cpu);
	else if (x < W_FILE_NEW + W_FILE_TOUCH)
		touch(sc, &l->file, LRU_FILE, cpu);
	else if (x < W_FILE_NEW + W_FILE_TOUCH + W_ANON_NEW)
		anon_new(sc, l, cpu);
	else if (x < W_FILE_NEW + W_FILE_TOUCH + W_ANON_NEW + W_ANON_TOUCH)
		touch(sc, &l->anon, LRU_ANON, cpu);
	else if (x < W_FILE_NEW + W_FILE_TOUCH + W_ANON_NEW + W_ANON_TOUCH + W_NET)
		net(sc, l, cpu);
	else
		slab(sc, l, cpu);
	if (++l->done % THP_EVERY == 0)
		thp_burst(sc, l);
	scen_wait(sc, l->dt_ns);
}

void load_quiesce(struct scen *sc, struct load *l)
{
	uint64_t key;
	unsigned o, c;

	while (l->anon.n) {
		objs_take(&l->anon, l->anon.n - 1, &key, &o, &c);
		sim_lru_free(sc->sim, c, key, o);
	}
	while (l->pt.n) {
		objs_take(&l->pt, l->pt.n - 1, &key, &o, &c);
		scen_free(sc, c, key, o);
	}
	while (l->net.n) {
		objs_take(&l->net, l->net.n - 1, &key, &o, &c);
		scen_free(sc, c, key, o);
	}
	while (l->thp.n) {
		objs_take(&l->thp, l->thp.n - 1, &key, &o, &c);
		scen_free(sc, c, key, o);
	}
}

void load_finish(struct scen *sc, struct load *l)
{
	(void)sc;
	objs_release(&l->file);
	objs_release(&l->anon);
	objs_release(&l->pt);
	objs_release(&l->net);
	objs_release(&l->slab);
	objs_release(&l->thp);
}
