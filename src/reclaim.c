/* SPDX-License-Identifier: MIT */
/*
 * Reclaim passes over the zone's shrinkers (see reclaim.h for the locking
 * and recursion rules).  A pass asks every shrinker how much it could free
 * (count), divides what is still wanted between them in proportion, and
 * has each scan its share in batches of PA_SHRINK_BATCH objects.  It stops
 * at the target, after a round that freed nothing, or after
 * RECLAIM_MAX_ROUNDS rounds, so it always ends whatever the shrinkers say.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "zone.h"
#include "error.h"

int reclaim_init(struct pa_zone *z)
{
	struct zone_reclaim *r = &z->reclaim;

	if (pthread_mutex_init(&r->mutex, NULL))
		return -ENOMEM;
	if (pthread_mutex_init(&r->tick_mutex, NULL)) {
		pthread_mutex_destroy(&r->mutex);
		return -ENOMEM;
	}
	return 0;
}

void reclaim_destroy(struct pa_zone *z)
{
	pthread_mutex_destroy(&z->reclaim.tick_mutex);
	pthread_mutex_destroy(&z->reclaim.mutex);
}

bool reclaim_has_shrinkers(const struct pa_zone *z)
{
	return __atomic_load_n(&z->reclaim.nr_shrinkers, __ATOMIC_RELAXED);
}

bool reclaim_in_pass(const struct pa_zone *z)
{
	pid_t o = __atomic_load_n(&z->reclaim.owner, __ATOMIC_RELAXED);

	/* gettid() only when some pass runs: the common answer is free */
	return o && o == gettid();
}

/* ---- registration ---- */

int pa_register_shrinker(struct pa_zone *z, pa_shrink_count_fn count,
			 pa_shrink_scan_fn scan, void *arg)
{
	struct zone_reclaim *r = &z->reclaim;
	int id = -ENOSPC;

	if (!count || !scan) {
		pa_err(z, -EINVAL, "pa_register_shrinker: NULL %s callback",
		       count ? "scan" : "count");
		return -EINVAL;
	}
	if (reclaim_in_pass(z)) {
		pa_err(z, -EDEADLK, "pa_register_shrinker: called from a shrinker of zone %s",
		       z->name);
		return -EDEADLK;
	}
	pthread_mutex_lock(&r->mutex);
	for (unsigned i = 0; i < PA_MAX_SHRINKERS; i++) {
		if (r->slots[i].count)
			continue;
		r->slots[i] = (struct shrinker_slot){ count, scan, arg };
		__atomic_store_n(&r->nr_shrinkers, r->nr_shrinkers + 1,
				 __ATOMIC_RELAXED);
		id = (int)i + 1;
		break;
	}
	pthread_mutex_unlock(&r->mutex);
	if (id < 0)
		pa_err(z, -ENOSPC, "pa_register_shrinker: zone %s has %d shrinkers already",
		       z->name, PA_MAX_SHRINKERS);
	return id;
}

int pa_unregister_shrinker(struct pa_zone *z, int id)
{
	struct zone_reclaim *r = &z->reclaim;
	int err = 0;

	if (reclaim_in_pass(z)) {
		pa_err(z, -EDEADLK, "pa_unregister_shrinker: called from a shrinker of zone %s",
		       z->name);
		return -EDEADLK;
	}
	/* taking the mutex waits for a running pass */
	pthread_mutex_lock(&r->mutex);
	if (id < 1 || id > PA_MAX_SHRINKERS || !r->slots[id - 1].count) {
		err = -EINVAL;
	} else {
		memset(&r->slots[id - 1], 0, sizeof(r->slots[0]));
		__atomic_store_n(&r->nr_shrinkers, r->nr_shrinkers - 1,
				 __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&r->mutex);
	if (err)
		pa_err(z, err, "pa_unregister_shrinker: id %d is not registered", id);
	return err;
}

/* ---- the pass (r->mutex held) ---- */

struct reclaim_pass {
	struct pa_zone *z;
	struct pa_shrink_control req; /* as asked; copied for every call */
	uint64_t target, freed, scanned;
};

/* Objects of `count` to scan when `remaining` pages are wanted from
 * shrinkers holding `total` between them: the proportional share, rounded
 * up so that a small shrinker is asked for at least one. */
static uint64_t share_of(uint64_t remaining, uint64_t count, uint64_t total)
{
	unsigned __int128 s = (unsigned __int128)remaining * count;
	uint64_t share = (uint64_t)((s + total - 1) / total);

	return share < count ? share : count;
}

/* One scan call of at most one batch; the objects it looked at. */
static uint64_t scan_batch(struct reclaim_pass *p,
			   const struct shrinker_slot *s, uint64_t n)
{
	struct pa_shrink_control sc = p->req;

	sc.nr_to_scan = n;
	sc.nr_scanned = 0;
	p->freed += s->scan(s->arg, &sc);
	/* 0 means "as asked"; any answer moves the budget forward */
	uint64_t looked = sc.nr_scanned ? sc.nr_scanned : n;

	p->scanned += looked;
	return looked;
}

/* Scan up to `budget` objects of one shrinker, batch by batch, until the
 * pass has its target. */
static void scan_shrinker(struct reclaim_pass *p, const struct shrinker_slot *s,
			  uint64_t budget)
{
	while (budget && p->freed < p->target) {
		uint64_t n = budget < PA_SHRINK_BATCH ? budget : PA_SHRINK_BATCH;
		uint64_t looked = scan_batch(p, s, n);

		budget -= looked < budget ? looked : budget;
	}
}

/* One round: count every shrinker, share out what is still wanted.
 * Returns pages freed by the round. */
static uint64_t reclaim_round(struct reclaim_pass *p)
{
	struct zone_reclaim *r = &p->z->reclaim;
	uint64_t counts[PA_MAX_SHRINKERS], total = 0, before = p->freed;

	for (unsigned i = 0; i < PA_MAX_SHRINKERS; i++) {
		counts[i] = r->slots[i].count ?
			r->slots[i].count(r->slots[i].arg, &p->req) : 0;
		total += counts[i];
	}
	if (!total)
		return 0;
	uint64_t remaining = p->target - p->freed;

	for (unsigned i = 0; i < PA_MAX_SHRINKERS && p->freed < p->target; i++)
		if (counts[i])
			scan_shrinker(p, &r->slots[i],
				      share_of(remaining, counts[i], total));
	return p->freed - before;
}

static void reclaim_account(struct pa_zone *z, const struct reclaim_pass *p,
			    enum reclaim_kind kind)
{
	if (p->req.migratetype == PA_MT_RECLAIMABLE)
		zone_count_shared(z, SLABS_SCANNED, p->scanned);
	else if (kind == RECLAIM_KSWAPD)
		zone_count_shared(z, PGSCAN_KSWAPD, p->scanned);
	else
		zone_count_shared(z, PGSCAN_DIRECT, p->scanned);
	if (kind == RECLAIM_KSWAPD)
		zone_count_shared(z, PGSTEAL_KSWAPD, p->freed);
	else
		zone_count_shared(z, PGSTEAL_DIRECT, p->freed);
	if (p->freed)
		__atomic_store_n(&z->reclaim.kswapd_failures, 0,
				 __ATOMIC_RELAXED);
}

uint64_t reclaim_run(struct pa_zone *z, uint64_t nr_pages,
		     const struct pa_shrink_control *sc, enum reclaim_kind kind,
		     bool wait)
{
	struct zone_reclaim *r = &z->reclaim;
	struct reclaim_pass p = { .z = z, .target = nr_pages,
				  .req = { .migratetype = -1 } };

	if (!nr_pages || reclaim_in_pass(z) || !reclaim_has_shrinkers(z))
		return 0;
	if (sc)
		p.req = *sc;
	if (wait)
		pthread_mutex_lock(&r->mutex);
	else if (pthread_mutex_trylock(&r->mutex))
		return 0;
	__atomic_store_n(&r->owner, gettid(), __ATOMIC_RELAXED);
	for (unsigned round = 0; round < RECLAIM_MAX_ROUNDS &&
				 p.freed < p.target; round++)
		if (!reclaim_round(&p))
			break;
	__atomic_store_n(&r->owner, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&r->mutex);
	reclaim_account(z, &p, kind);
	return p.freed;
}

int64_t pa_reclaim(struct pa_zone *z, uint64_t nr_pages,
		   const struct pa_shrink_control *sc)
{
	if (sc && (sc->migratetype < -1 || sc->migratetype >= PA_MT_TYPES ||
		   sc->order > z->max_order)) {
		pa_err(z, -EINVAL, "pa_reclaim: %s %d out of range",
		       sc->order > z->max_order ? "order" : "migratetype",
		       sc->order > z->max_order ? (int)sc->order
						: sc->migratetype);
		return -EINVAL;
	}
	if (nr_pages > INT64_MAX) {
		pa_err(z, -EINVAL, "pa_reclaim: nr_pages %llu too large",
		       (unsigned long long)nr_pages);
		return -EINVAL;
	}
	return (int64_t)reclaim_run(z, nr_pages, sc, RECLAIM_DIRECT, true);
}
