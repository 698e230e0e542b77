/* SPDX-License-Identifier: MIT */
/*
 * Reclaim of a measured run, recorded and replayed (vt_reclaim.h).  The
 * log is two arrays: the shrinker calls in order, and the blocks the
 * scans freed, each call pointing at its run of blocks.
 */
#include "vt_reclaim.h"

#include <errno.h>
#include <stdlib.h>

struct rlog_call {
	uint64_t ret;            /* count: objects; scan: pages freed */
	uint64_t scanned;        /* scan: nr_scanned it set */
	uint64_t first;          /* scan: its first block in frees[] */
	uint32_t nfree;          /* scan: its blocks */
	uint8_t id;              /* 0 the LRU's shrinker, 1 the slab's */
	bool scan;
};

/* What a replay shrinker is handed. */
struct rlog_slot {
	struct vt_rlog *l;
	unsigned id;
};

struct vt_rlog {
	struct rlog_call *call;
	size_t ncall, call_cap;
	uint64_t *frees;         /* pfn << 8 | order */
	size_t nfree, free_cap;
	size_t logged;           /* frees already given to a scan */
	bool failed;
	/* the replay */
	struct pa_zone *z;
	struct rlog_slot slot[2];
	size_t pos;
	bool diverged;
};

struct vt_rlog *vt_rlog_create(void)
{
	return calloc(1, sizeof(struct vt_rlog));
}

void vt_rlog_destroy(struct vt_rlog *l)
{
	if (!l)
		return;
	free(l->call);
	free(l->frees);
	free(l);
}

/* Room for one more element of an array of `size`-byte ones. */
static bool grow(void **a, size_t n, size_t *cap, size_t size)
{
	size_t c = *cap ? *cap * 2 : 1024;
	void *p;

	if (n < *cap)
		return true;
	p = realloc(*a, c * size);
	if (!p)
		return false;
	*a = p;
	*cap = c;
	return true;
}

static void add_call(struct vt_rlog *l, const struct rlog_call *c)
{
	if (l->failed || !grow((void **)&l->call, l->ncall, &l->call_cap,
			       sizeof(*l->call))) {
		l->failed = true;
		return;
	}
	l->call[l->ncall++] = *c;
}

void vt_rlog_count(struct vt_rlog *l, unsigned id, uint64_t ret)
{
	add_call(l, &(struct rlog_call){ .ret = ret, .id = (uint8_t)id });
}

void vt_rlog_scan(struct vt_rlog *l, unsigned id, uint64_t nr_scanned,
		  uint64_t ret)
{
	add_call(l, &(struct rlog_call){
		.ret = ret, .scanned = nr_scanned, .first = l->logged,
		.nfree = (uint32_t)(l->nfree - l->logged), .id = (uint8_t)id,
		.scan = true });
	l->logged = l->nfree;
}

void vt_rlog_free(struct vt_rlog *l, uint32_t pfn, unsigned order)
{
	if (l->failed || !grow((void **)&l->frees, l->nfree, &l->free_cap,
			       sizeof(*l->frees))) {
		l->failed = true;
		return;
	}
	l->frees[l->nfree++] = (uint64_t)pfn << 8 | order;
}

bool vt_rlog_failed(const struct vt_rlog *l)
{
	return l->failed;
}

/* The log's next call if it is this one; else the replay diverged. */
static const struct rlog_call *next_call(struct vt_rlog *l, unsigned id,
					 bool scan)
{
	const struct rlog_call *c;

	if (l->diverged || l->pos == l->ncall)
		goto diverged;
	c = &l->call[l->pos];
	if (c->id != id || c->scan != scan)
		goto diverged;
	l->pos++;
	return c;
diverged:
	l->diverged = true;
	return NULL;
}

static uint64_t replay_count(void *arg, const struct pa_shrink_control *sc)
{
	const struct rlog_slot *s = arg;
	const struct rlog_call *c = next_call(s->l, s->id, false);

	(void)sc;
	return c ? c->ret : 0;
}

static uint64_t replay_scan(void *arg, struct pa_shrink_control *sc)
{
	const struct rlog_slot *s = arg;
	struct vt_rlog *l = s->l;
	const struct rlog_call *c = next_call(l, s->id, true);

	sc->nr_scanned = 0;
	if (!c)
		return 0;
	for (uint32_t k = 0; k < c->nfree; k++) {
		uint64_t f = l->frees[c->first + k];

		if (pa_free_cpu(l->z, 0, f >> 8, (unsigned)(f & 0xff)) != 0)
			l->diverged = true;
	}
	sc->nr_scanned = c->scanned;
	return c->ret;
}

int vt_rlog_attach(struct vt_rlog *l, struct pa_zone *z)
{
	l->z = z;
	l->pos = 0;
	l->diverged = false;
	for (unsigned k = 0; k < 2; k++) {
		int id;

		l->slot[k] = (struct rlog_slot){ l, k };
		id = pa_register_shrinker(z, replay_count, replay_scan,
					  &l->slot[k]);
		if (id < 0)
			return id;
	}
	return 0;
}

bool vt_rlog_diverged(const struct vt_rlog *l)
{
	return l->diverged || l->pos != l->ncall;
}
