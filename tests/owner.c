/* SPDX-License-Identifier: MIT */
#include "helpers.h"
#include "owner.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

struct th_block {
	uint64_t pfn;        /* PA_NO_PFN when the handle is not live */
	uint8_t order;
	uint8_t busy;        /* isolated for migration */
	uint8_t pinned;      /* isolate refuses */
};

struct th_owner {
	struct pa_zone *zone;
	pthread_mutex_t lock;
	int id;
	uint64_t nr_pages, moves, live;
	uint32_t max, next_free;
	uint32_t *by_pfn;    /* pfn -> handle */
	struct th_block *blk;
	unsigned page_shift;
};

static uint64_t pattern(uint32_t h, uint64_t page, uint64_t word)
{
	return ((uint64_t)h << 40) ^ (page << 20) ^ word ^ 0x5a5a5a5a5a5aull;
}

static void fill(struct th_owner *o, uint32_t h)
{
	uint64_t *w = pa_pfn_to_addr(o->zone, o->blk[h].pfn);
	uint64_t words = (1ull << o->page_shift) / 8;

	if (!w)
		return;
	for (uint64_t p = 0; p < (1ull << o->blk[h].order); p++)
		for (uint64_t i = 0; i < words; i++)
			w[p * words + i] = pattern(h, p, i);
}

static uint64_t bad_pages(struct th_owner *o, uint32_t h)
{
	const uint64_t *w = pa_pfn_to_addr(o->zone, o->blk[h].pfn);
	uint64_t words = (1ull << o->page_shift) / 8, bad = 0;

	if (!w)
		return 0;
	for (uint64_t p = 0; p < (1ull << o->blk[h].order); p++)
		for (uint64_t i = 0; i < words; i++)
			if (w[p * words + i] != pattern(h, p, i)) {
				bad++;
				break;
			}
	return bad;
}

static bool cb_isolate(void *arg, uint64_t pfn)
{
	struct th_owner *o = arg;
	bool ok = false;

	pthread_mutex_lock(&o->lock);
	uint32_t h = pfn < o->nr_pages ? o->by_pfn[pfn] : TH_NO_HANDLE;

	if (h != TH_NO_HANDLE && !o->blk[h].busy && !o->blk[h].pinned) {
		o->blk[h].busy = 1;
		ok = true;
	}
	pthread_mutex_unlock(&o->lock);
	return ok;
}

static int cb_migrate(void *arg, uint64_t dst, uint64_t src)
{
	struct th_owner *o = arg;

	pthread_mutex_lock(&o->lock);
	uint32_t h = o->by_pfn[src];

	/* the library's copy, so every contents check covers it */
	if (pa_pfn_to_addr(o->zone, src) &&
	    pa_copy_block(o->zone, dst, src, o->blk[h].order)) {
		pthread_mutex_unlock(&o->lock);
		return -EIO;
	}
	o->by_pfn[src] = TH_NO_HANDLE;
	o->by_pfn[dst] = h;
	o->blk[h].pfn = dst;
	o->blk[h].busy = 0;
	o->moves++;
	pthread_mutex_unlock(&o->lock);
	return 0;
}

static void cb_putback(void *arg, uint64_t pfn)
{
	struct th_owner *o = arg;

	pthread_mutex_lock(&o->lock);
	o->blk[o->by_pfn[pfn]].busy = 0;
	pthread_mutex_unlock(&o->lock);
}

static const struct pa_movable_ops th_ops = { cb_isolate, cb_migrate,
					      cb_putback };

struct th_owner *th_owner_new(struct pa_zone *zone, uint32_t max_handles)
{
	struct th_owner *o = calloc(1, sizeof(*o));
	struct pa_config c;

	if (!o)
		return NULL;
	pa_zone_config(zone, &c);
	o->zone = zone;
	o->page_shift = c.page_shift;
	o->nr_pages = pa_managed_pages(zone);
	o->max = max_handles;
	o->by_pfn = malloc(o->nr_pages * sizeof(*o->by_pfn));
	o->blk = malloc(max_handles * sizeof(*o->blk));
	if (!o->by_pfn || !o->blk) {
		free(o->by_pfn);
		free(o->blk);
		free(o);
		return NULL;
	}
	memset(o->by_pfn, 0xff, o->nr_pages * sizeof(*o->by_pfn));
	for (uint32_t h = 0; h < max_handles; h++)
		o->blk[h] = (struct th_block){ .pfn = PA_NO_PFN };
	pthread_mutex_init(&o->lock, NULL);
	o->id = pa_register_movable_ops(zone, &th_ops, o);
	if (o->id <= 0) {
		th_owner_destroy(o);
		return NULL;
	}
	return o;
}

void th_owner_destroy(struct th_owner *o)
{
	if (!o)
		return;
	if (o->id > 0)
		pa_unregister_movable_ops(o->zone, o->id);
	pthread_mutex_destroy(&o->lock);
	free(o->by_pfn);
	free(o->blk);
	free(o);
}

/* A free handle slot, or TH_NO_HANDLE.  o->lock held. */
static uint32_t free_slot(struct th_owner *o)
{
	for (uint32_t i = 0; i < o->max; i++) {
		uint32_t h = (o->next_free + i) % o->max;

		if (o->blk[h].pfn == PA_NO_PFN) {
			o->next_free = h + 1;
			return h;
		}
	}
	return TH_NO_HANDLE;
}

uint32_t th_owner_alloc(struct th_owner *o, unsigned order)
{
	uint64_t pfn = pa_alloc(o->zone, order, PA_GFP_MOVABLE | PA_GFP_NOWARN);

	if (pfn == PA_NO_PFN)
		return TH_NO_HANDLE;
	pthread_mutex_lock(&o->lock);
	uint32_t h = free_slot(o);

	if (h != TH_NO_HANDLE) {
		o->blk[h] = (struct th_block){ .pfn = pfn, .order = (uint8_t)order };
		o->by_pfn[pfn] = h;
		o->live++;
		fill(o, h);
		pa_set_page_movable(o->zone, pfn, o->id);
	}
	pthread_mutex_unlock(&o->lock);
	if (h == TH_NO_HANDLE)
		pa_free(o->zone, pfn, order);
	return h;
}

int th_owner_free(struct th_owner *o, uint32_t h)
{
	uint64_t pfn;
	unsigned order;

	pthread_mutex_lock(&o->lock);
	if (h >= o->max || o->blk[h].pfn == PA_NO_PFN) {
		pthread_mutex_unlock(&o->lock);
		return -EINVAL;
	}
	if (o->blk[h].busy) {
		pthread_mutex_unlock(&o->lock);
		return -EBUSY;
	}
	pfn = o->blk[h].pfn;
	order = o->blk[h].order;
	o->by_pfn[pfn] = TH_NO_HANDLE;
	o->blk[h].pfn = PA_NO_PFN;
	o->live--;
	pthread_mutex_unlock(&o->lock);
	/* isolate refuses the pfn from here on: nothing can move it */
	return pa_free(o->zone, pfn, order);
}

uint32_t th_owner_free_all(struct th_owner *o)
{
	uint32_t n = 0;

	for (uint32_t h = 0; h < o->max; h++) {
		int r;

		while ((r = th_owner_free(o, h)) == -EBUSY)
			sched_yield();
		n += r == 0;
	}
	return n;
}

uint64_t th_owner_pfn(struct th_owner *o, uint32_t h)
{
	uint64_t pfn;

	pthread_mutex_lock(&o->lock);
	pfn = h < o->max ? o->blk[h].pfn : PA_NO_PFN;
	pthread_mutex_unlock(&o->lock);
	return pfn;
}

/* A counter read under the lock. */
static uint64_t read_locked(struct th_owner *o, const uint64_t *v)
{
	uint64_t n;

	pthread_mutex_lock(&o->lock);
	n = *v;
	pthread_mutex_unlock(&o->lock);
	return n;
}

uint32_t th_owner_live(struct th_owner *o)
{
	return (uint32_t)read_locked(o, &o->live);
}

uint64_t th_owner_verify(struct th_owner *o)
{
	uint64_t bad = 0;

	pthread_mutex_lock(&o->lock);
	for (uint32_t h = 0; h < o->max; h++) {
		if (o->blk[h].pfn == PA_NO_PFN)
			continue;
		if (o->by_pfn[o->blk[h].pfn] != h)
			bad++;
		bad += bad_pages(o, h);
	}
	pthread_mutex_unlock(&o->lock);
	return bad;
}

uint64_t th_owner_moves(struct th_owner *o)
{
	return read_locked(o, &o->moves);
}

void th_owner_pin(struct th_owner *o, uint32_t h, bool pinned)
{
	pthread_mutex_lock(&o->lock);
	if (h < o->max)
		o->blk[h].pinned = pinned;
	pthread_mutex_unlock(&o->lock);
}

void th_each_policy(const struct pa_config *cfg, void (*fn)(enum pa_policy))
{
	enum pa_policy pols[PA_POLICY_NR];
	unsigned n = th_policies(pols), ran = 0;

	for (unsigned i = 0; i < n; i++) {
		struct pa_config c = *cfg;

		c.policy = pols[i];
		if (pa_config_check(&c, NULL, 0))
			continue;
		print_message("  policy %s\n", pa_policy_name(pols[i]));
		fn(pols[i]);
		ran++;
	}
	assert_true(ran >= 2);
}
