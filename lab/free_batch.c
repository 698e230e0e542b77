/* SPDX-License-Identifier: MIT */
/* The kernel's free batches, replayed as batches (free_batch.h). */
#include "free_batch.h"

#include <string.h>

void free_batch_init(struct free_batch *fb)
{
	memset(fb, 0, sizeof(*fb));
}

static void run_flush(struct free_batch *fb, struct sim *s)
{
	if (!fb->nrun)
		return;
	sim_free_bulk(s, fb->run_cpu, fb->keys, fb->orders, fb->nrun);
	fb->runs++;
	fb->run_frees += fb->nrun;
	fb->nrun = 0;
}

static void apply(struct free_batch *fb, struct sim *s, const struct fb_event *e)
{
	if (e->kind == TEV_FREE_BATCHED) {
		if (!e->carries)
			return; /* its free was replayed alone: counted only */
		if (fb->nrun && (fb->run_cpu != e->cpu || fb->nrun == FB_RUN))
			run_flush(fb, s);
		if (!fb->nrun)
			sim_time(s, e->ts);
		fb->run_cpu = e->cpu;
		fb->keys[fb->nrun] = e->pfn;
		fb->orders[fb->nrun++] = e->order;
		return;
	}
	if (e->kind == TEV_FREE && e->deferred)
		return;
	run_flush(fb, s); /* any other request ends the run */
	sim_time(s, e->ts);
	if (e->kind == TEV_ALLOC)
		sim_alloc(s, e->cpu, e->pfn, e->order, e->mt);
	else if (e->kind == TEV_VMSTAT)
		sim_pcp_decay(s, e->cpu);
	else
		sim_free(s, e->cpu, e->pfn, e->order);
}

static unsigned slot_of(uint32_t cpu, uint64_t pfn)
{
	uint64_t h = (pfn ^ (uint64_t)cpu << 40) * 0x9e3779b97f4a7c15ull;

	return (unsigned)(h >> 56) & (FB_SLOTS - 1);
}

static bool pairs_with(const struct fb_event *e, const struct fb_event *b)
{
	return e->kind == TEV_FREE && !e->deferred && e->cpu == b->cpu &&
	       e->pfn == b->pfn;
}

static void defer(struct fb_event *e, struct fb_event *b)
{
	e->deferred = true;
	b->carries = true;
	b->order = e->order;
}

/* The held-back free the slot names, if it pairs with b (free_batch.h). */
static struct fb_event *hinted_free(struct free_batch *fb, struct fb_event *b,
				    unsigned slot)
{
	uint64_t seq = fb->newest_free[slot];
	struct fb_event *e;

	if (!seq-- || seq < fb->left || seq >= fb->left + fb->n)
		return NULL;
	e = &fb->win[(fb->head + (unsigned)(seq - fb->left)) % FB_WINDOW];
	return pairs_with(e, b) ? e : NULL;
}

/* A batched event: find its free, the newest still held back, and defer
 * it. */
static void pair(struct free_batch *fb, struct fb_event *b)
{
	unsigned slot = slot_of(b->cpu, b->pfn);
	struct fb_event *e = hinted_free(fb, b, slot);

	if (e) {
		fb->newest_free[slot] = 0;
		defer(e, b);
		return;
	}
	for (unsigned k = fb->n; k-- > 0;) {
		e = &fb->win[(fb->head + k) % FB_WINDOW];
		if (pairs_with(e, b)) {
			if (fb->newest_free[slot] == fb->left + k + 1)
				fb->newest_free[slot] = 0;
			defer(e, b);
			return;
		}
	}
}

void free_batch_feed(struct free_batch *fb, struct sim *s,
		     const struct trace_event *ev, uint64_t ts)
{
	if (ev->kind != TEV_ALLOC && ev->kind != TEV_FREE &&
	    ev->kind != TEV_FREE_BATCHED && ev->kind != TEV_VMSTAT)
		return;
	if (fb->n == FB_WINDOW) {
		apply(fb, s, &fb->win[fb->head]);
		fb->head = (fb->head + 1) % FB_WINDOW;
		fb->n--;
		fb->left++;
	}
	struct fb_event *e = &fb->win[(fb->head + fb->n) % FB_WINDOW];

	*e = (struct fb_event){ .pfn = ev->pfn, .ts = ts, .cpu = ev->cpu,
				.kind = (uint8_t)ev->kind,
				.order = (uint8_t)ev->order,
				.mt = (int8_t)ev->migratetype };
	if (ev->kind == TEV_FREE_BATCHED)
		pair(fb, e);
	else if (ev->kind == TEV_FREE)
		fb->newest_free[slot_of(e->cpu, e->pfn)] = fb->left + fb->n + 1;
	fb->n++;
}

void free_batch_flush(struct free_batch *fb, struct sim *s)
{
	while (fb->n) {
		apply(fb, s, &fb->win[fb->head]);
		fb->head = (fb->head + 1) % FB_WINDOW;
		fb->n--;
		fb->left++;
	}
	run_flush(fb, s);
}
