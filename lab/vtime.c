/* SPDX-License-Identifier: MIT */
/*
 * The virtual-time engine: recording per-CPU request streams, and the
 * discrete-event loop that runs them, one policy at a time, on N clocks.
 *
 * Event order: a binary heap of CPUs keyed by the time their next request
 * is due (ties by CPU number, for determinism).  The popped request runs
 * for real in the policy's zone; its lock requests are served in the order
 * requests start, which is the order they reach zone->lock up to the
 * call's own few nanoseconds of work before the lock.  A call's drains of
 * other CPUs' pagesets come after it, arbitrarily later: they are events
 * of their own, so each pageset lock is asked for in time order.
 */
#include "vtime.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "calibrate.h"
#include "opcost.h"
#include "pfnmap.h"
#include "progress.h"
#include "sim.h"
#include "vt_cache.h"
#include "vt_reclaim.h"
#include "vt_resource.h"

#define NO_DEP UINT32_MAX
#define PA_NIL32 UINT32_MAX      /* no pfn (failed, or nothing freed) */
#define TICK_NS 1e9           /* the kernel's once-a-second pcp work */
#define MAX_KEY_ORDER 20      /* partial frees: larger blocks searched */
/* pa_zone_tick (kswapd, spb's worker) at most this often, as the plain
 * replay runs it on its clock: kswapd wakes within about a millisecond */
#define BG_NS 1e6

/* A pcp tick or background step of a measured run, replayed by
 * vtime_measure() before request `at` (in execution order). */
enum { TL_PCP, TL_ZONE };
struct vt_tick_log {
	uint64_t at;
	double now;
	unsigned kind;
};

struct vt_op {
	uint64_t key;
	double think;             /* ns of the CPU's own work before it */
	uint32_t dep;             /* the previous request on this key */
	uint16_t cpu;
	uint8_t order;
	uint8_t kind_mt;          /* kind << 4 | migratetype (VT_LRU_ADD:
	                           * lru_kind) */
};

/* A recorded pfn of a request that made no allocator call (an LRU add of
 * a resident folio: an access). */
#define VT_NO_CALL (PA_NIL32 - 1)

static enum vt_kind op_kind(const struct vt_op *op)
{
	return (enum vt_kind)(op->kind_mt >> 4);
}

/* Whether the request allocates (a page request, or an LRU folio's). */
static bool op_allocates(const struct vt_op *op)
{
	return op_kind(op) == VT_ALLOC || op_kind(op) == VT_LRU_ADD;
}

/* The migratetype it allocates: the LRU's folios are movable. */
static int op_mt(const struct vt_op *op)
{
	return op_kind(op) == VT_LRU_ADD ? PA_MT_MOVABLE : op->kind_mt & 0xf;
}

struct vtime {
	struct costmodel m;
	enum vt_think think_mode;
	struct vt_op *ops;
	size_t nops, cap;
	struct pfnmap last;       /* key -> index of its latest request */
	uint64_t now, start, last_any;
	bool have_time, failed;
	uint64_t last_cpu_t[PA_MAX_CPUS];
	bool cpu_seen[PA_MAX_CPUS];
	struct vt_result res[PA_POLICY_NR];
	unsigned nres;
	double warmup;            /* share of each CPU's requests not measured */
	bool measure;             /* record each call's pfn (pfns[policy]) */
	uint32_t *pfns[PA_POLICY_NR];
	struct vt_rlog *rlog[PA_POLICY_NR]; /* measuring: its reclaim */
	struct vt_tick_log *tlog[PA_POLICY_NR]; /* measuring: ticks run */
	size_t ntlog[PA_POLICY_NR], tlog_cap[PA_POLICY_NR];
	struct vt_irq_cfg irq;    /* interrupts (none by default) */
	bool no_bg;               /* no background step */
};

struct vt_ev {
	double t;
	uint32_t cpu;
};

#define DRAIN_PAGES (1u << 31) /* vt_drain.k: pages left that pageset */

/* A call's drains of other CPUs' pagesets, run one event each, so every
 * pcp->lock is asked for in time order, as its owner's calls ask. */
struct vt_drain {
	unsigned *k;              /* pagesets (| DRAIN_PAGES); ncpus long,
	                           * allocated at the CPU's first drain */
	unsigned n, next;         /* drains, and the next one to run */
	uint32_t req;             /* the request they belong to */
	uint64_t zone_left;       /* the call's zone->lock holds left */
	double work;              /* ... each of this work */
	bool measured;            /* past the CPU's warm-up */
};

/* One policy's run. */
struct vt_run {
	struct vtime *vt;
	struct sim *s;
	struct sim_policy *p;
	struct vt_result *r;      /* where figures go now: main or scratch */
	struct vt_result *main, scratch;
	unsigned ncpus;
	const uint32_t *idx, *start; /* requests by CPU (CSR) */
	uint32_t *pos;
	double *clock;            /* per CPU: when its last request ended */
	double *from;             /* per CPU: when its measured part began */
	uint32_t *warm_end;       /* per CPU: first measured request's pos */
	double *done_at;          /* per request; < 0 not yet run */
	int32_t *waiter_head;     /* per request: CPUs blocked on it */
	int32_t *wait_next;       /* per CPU: next in that list */
	struct vt_ev *heap;
	unsigned hn;
	struct vt_lock zl;
	struct vt_lock *pcpl;     /* per CPU: its pageset's pcp->lock */
	uint64_t *pcp_seen;       /* per CPU: its pcp->lock acquisitions
	                           * accounted for so far */
	uint64_t *pcp_pages;      /* per CPU: pages on its pageset then */
	struct vt_drain *dr;      /* per CPU: its call's remote drains */
	struct vt_fifo *remote;   /* per owner CPU */
	uint32_t *pfns;           /* measuring: each request's pfn, or NULL */
	struct vt_cache mc;       /* page metadata: lines and TLB pages */
	double next_tick, tick_cpu_ns;
	uint64_t *pcp_before;     /* per CPU: pageset pages before a tick */
	struct opcost *tick_due;  /* per CPU: tick drains it still owes */
	/* interrupts: heap entries ncpus + c; the background step: 2 ncpus */
	struct vt_irq irq;
	double *irq_busy;         /* per CPU: when its last handler ended */
	double *irq_off;          /* per CPU: end of its last zone->lock hold
	                           * (taken with interrupts off) */
	double *shift;            /* per CPU: handler time its task owes */
	bool *irq_pending;        /* per CPU: its next interrupt is queued */
	unsigned active;          /* CPUs with requests left */
	unsigned pol;             /* the policy's index in s->pol */
	uint64_t executed;        /* requests run so far (the tick log's) */
	/* reclaim's frees in the step being run, told by the tap */
	struct sim_reclaim_tap tap;
	struct vt_rlog *rlog;     /* measuring: where they are recorded */
	double reclaim_ns;        /* their price */
	bool in_bg;               /* the background step is running */
};

#define EV_IRQ(x, c) ((x)->ncpus + (c))
#define EV_BG(x) (2 * (x)->ncpus)
#define BG_HOLDER(x) ((int)(x)->ncpus + 1) /* zone->lock holder id */

struct vtime *vtime_create(const struct costmodel *m, enum vt_think think)
{
	struct vtime *vt = calloc(1, sizeof(*vt));

	if (!vt)
		return NULL;
	vt->m = *m;
	vt->think_mode = think;
	if (pfnmap_init(&vt->last) < 0) {
		free(vt);
		return NULL;
	}
	return vt;
}

void vtime_destroy(struct vtime *vt)
{
	if (!vt)
		return;
	pfnmap_destroy(&vt->last);
	for (unsigned i = 0; i < PA_POLICY_NR; i++) {
		free(vt->pfns[i]);
		free(vt->tlog[i]);
		vt_rlog_destroy(vt->rlog[i]);
	}
	free(vt->ops);
	free(vt);
}

void vtime_record_time(struct vtime *vt, uint64_t t_ns)
{
	if (!vt->have_time) {
		vt->have_time = true;
		vt->start = vt->last_any = t_ns;
	}
	if (t_ns > vt->now)
		vt->now = t_ns;
}

static double think_of(struct vtime *vt, unsigned cpu)
{
	uint64_t prev;

	if (vt->think_mode == VT_THINK_GLOBAL) {
		prev = vt->last_any;
		vt->last_any = vt->now;
	} else {
		prev = vt->cpu_seen[cpu] ? vt->last_cpu_t[cpu] : vt->start;
		vt->cpu_seen[cpu] = true;
		vt->last_cpu_t[cpu] = vt->now;
	}
	return vt->now > prev ? (double)(vt->now - prev) : 0.0;
}

/* The request this one must follow: the latest on its key, or for a free
 * of part of a larger block, the latest on that block. */
static uint32_t dep_of(struct vtime *vt, enum vt_kind kind, uint64_t key,
		       unsigned order, uint32_t self)
{
	struct pfnmap_entry *e = pfnmap_find(&vt->last, key);

	if (e || kind != VT_FREE)
		return e ? e->pfn : NO_DEP;
	for (unsigned o = order + 1; o <= MAX_KEY_ORDER; o++) {
		uint64_t base = key & ~((1ull << o) - 1);

		e = pfnmap_find(&vt->last, base);
		if (e) {
			uint32_t d = e->pfn;
			/* later requests on the block follow this free */
			if (pfnmap_insert(&vt->last, base, self, 0, 0, NULL) < 0)
				vt->failed = true;
			return d;
		}
	}
	return NO_DEP;
}

void vtime_record(struct vtime *vt, enum vt_kind kind, unsigned cpu,
		  uint64_t key, unsigned order, int mt)
{
	struct vt_op *op;

	if (vt->failed)
		return;
	if (vt->nops == vt->cap) {
		size_t cap = vt->cap ? vt->cap * 2 : 1 << 16;
		struct vt_op *n = cap < NO_DEP ?
				  realloc(vt->ops, cap * sizeof(*n)) : NULL;

		if (!n) {
			vt->failed = true;
			return;
		}
		vt->ops = n;
		vt->cap = cap;
	}
	op = &vt->ops[vt->nops];
	op->key = key;
	op->cpu = (uint16_t)cpu;
	op->order = (uint8_t)order;
	op->kind_mt = (uint8_t)(kind << 4 | ((unsigned)mt & 0xf));
	op->think = think_of(vt, cpu);
	op->dep = dep_of(vt, kind, key, order, (uint32_t)vt->nops);
	if (pfnmap_insert(&vt->last, key, (uint32_t)vt->nops, 0, 0, NULL) < 0)
		vt->failed = true;
	vt->nops++;
}

void vtime_set_irq(struct vtime *vt, const struct vt_irq_cfg *c)
{
	vt->irq = *c;
}

void vtime_set_background(struct vtime *vt, bool on)
{
	vt->no_bg = !on;
}

void vtime_set_measure(struct vtime *vt, bool on)
{
	vt->measure = on;
}

void vtime_set_warmup(struct vtime *vt, double share)
{
	vt->warmup = share < 0 ? 0 : share > 0.9 ? 0.9 : share;
}

uint64_t vtime_requests(const struct vtime *vt)
{
	return vt->nops;
}

bool vtime_failed(const struct vtime *vt)
{
	return vt->failed;
}

const struct vt_result *vtime_results(const struct vtime *vt, unsigned *n)
{
	*n = vt->nres;
	return vt->res;
}

/* ---- the event heap ---- */

static bool ev_before(const struct vt_ev *a, const struct vt_ev *b)
{
	return a->t < b->t || (a->t == b->t && a->cpu < b->cpu);
}

static void heap_push(struct vt_run *x, double t, unsigned cpu)
{
	unsigned i = x->hn++;

	x->heap[i] = (struct vt_ev){ t, cpu };
	while (i && ev_before(&x->heap[i], &x->heap[(i - 1) / 2])) {
		struct vt_ev tmp = x->heap[i];

		x->heap[i] = x->heap[(i - 1) / 2];
		x->heap[(i - 1) / 2] = tmp;
		i = (i - 1) / 2;
	}
}

static struct vt_ev heap_pop(struct vt_run *x)
{
	struct vt_ev top = x->heap[0];
	unsigned i = 0;

	x->heap[0] = x->heap[--x->hn];
	for (;;) {
		unsigned l = 2 * i + 1, r = l + 1, m = i;

		if (l < x->hn && ev_before(&x->heap[l], &x->heap[m]))
			m = l;
		if (r < x->hn && ev_before(&x->heap[r], &x->heap[m]))
			m = r;
		if (m == i)
			break;
		struct vt_ev tmp = x->heap[i];

		x->heap[i] = x->heap[m];
		x->heap[m] = tmp;
		i = m;
	}
	return top;
}

/* ---- the loop ---- */

/* Queue CPU c's next request, or park c on the request it must follow. */
static void schedule(struct vt_run *x, unsigned c)
{
	const struct vt_op *op;
	double t;

	if (x->pos[c] == x->start[c + 1])
		return;
	op = &x->vt->ops[x->idx[x->pos[c]]];
	if (op->dep != NO_DEP && x->done_at[op->dep] < 0) {
		x->wait_next[c] = x->waiter_head[op->dep];
		x->waiter_head[op->dep] = (int32_t)c;
		return;
	}
	t = x->clock[c] + op->think * x->vt->m.think_scale;
	if (op->dep != NO_DEP && x->done_at[op->dep] > t)
		t = x->done_at[op->dep];
	heap_push(x, t, c);
}

static void wake(struct vt_run *x, uint32_t i)
{
	int32_t c = x->waiter_head[i];

	x->waiter_head[i] = -1;
	while (c >= 0) {
		int32_t next = x->wait_next[c];

		schedule(x, (unsigned)c);
		c = next;
	}
}

/* The work of one of a call's zone->lock holds: its holds share its
 * pages, list operations, merges and split pieces. */
static double hold_work(const struct costmodel *m, const struct opcost *d)
{
	return m->lock_ns +
	       costmodel_zone_ns(m, 0, (double)d->zone_pages,
				 (double)d->zone_blocks,
				 (double)(d->merges + d->splits),
				 (double)d->pb_walked) /
		       (double)d->zone_acq;
}

/* One zone->lock hold in the figures: w spun, h held. */
static void zone_hold_count(struct vt_result *r, double w, double h)
{
	r->wait_ns += w;
	r->hold_ns += h;
	r->acquisitions++;
	r->contended += w > 0;
	vt_hist_add(&r->wait, w);
	vt_hist_add(&r->hold, h);
}

/* n zone->lock holds of `work` each, queued on the lock in turn. */
static double zone_holds(struct vt_run *x, int cpu, double t, uint64_t n,
			 double work)
{
	struct vt_result *r = x->r;

	for (uint64_t k = 0; k < n; k++) {
		double w, h;

		t = vt_lock_hold(&x->zl, cpu, t, work, &w, &h);
		zone_hold_count(r, w, h);
		if (cpu == (int)x->ncpus) {
			r->tick_holds++;
			x->tick_cpu_ns += w + h;
		}
	}
	if (n && cpu >= 0 && (unsigned)cpu < x->ncpus && x->irq_off)
		x->irq_off[cpu] = t; /* spin_lock_irqsave: interrupts wait */
	return t;
}

/* The zone->lock holds one call (or tick) made. */
static double lock_holds(struct vt_run *x, int cpu, double t,
			 const struct opcost *d)
{
	return zone_holds(x, cpu, t, d->zone_acq, hold_work(&x->vt->m, d));
}

/* CPU `cpu` asks for pageset k's lock at t; returns when its work under
 * the lock may start (the grant, plus a hand-off if the lock's lines are
 * in another CPU's cache). */
static double pcp_acquire(struct vt_run *x, unsigned k, unsigned cpu,
			  double t)
{
	struct vt_result *r = x->r;
	double w, start = vt_lock_acquire(&x->pcpl[k], (int)cpu, t, &w);

	r->pcp_wait_ns += w;
	r->pcp_acquisitions++;
	r->pcp_contended += w > 0;
	r->pcp_remote += k != cpu;
	vt_hist_add(&r->pcp_wait, w);
	return start;
}

static void pcp_release(struct vt_run *x, unsigned k, double end)
{
	x->r->pcp_hold_ns += vt_lock_release(&x->pcpl[k], end);
}

/* Every pageset's lock count and pages as the library has them now. */
static void pcp_sync_all(struct vt_run *x)
{
	for (unsigned k = 0; k < x->ncpus; k++) {
		x->pcp_seen[k] = opcost_pcp_acq(x->p->zone, k);
		x->pcp_pages[k] = opcost_pcp_pages(x->p->zone, k);
	}
}

/*
 * The other CPUs' pagesets call c locked (pa_drain, when a refill found
 * the zone dry: so only calls that took zone->lock are scanned), queued
 * in x->dr[c].  Every call syncs its own pageset and the tick syncs all,
 * so an acquisition not yet accounted on another pageset is this call's.
 * Returns the pagesets pages left, each given one of the call's
 * zone->lock holds; -ENOMEM (nothing queued) when the queue cannot be
 * allocated.
 */
static int64_t scan_drains(struct vt_run *x, unsigned c)
{
	struct vt_drain *dr = &x->dr[c];
	int64_t holds = 0;

	if (!dr->k && !(dr->k = malloc(x->ncpus * sizeof(*dr->k))))
		return -ENOMEM;
	dr->n = dr->next = 0;
	for (unsigned k = 0; k < x->ncpus; k++) {
		uint64_t acq = opcost_pcp_acq(x->p->zone, k), now;
		bool left;

		if (k == c || acq == x->pcp_seen[k])
			continue;
		x->pcp_seen[k] = acq;
		now = opcost_pcp_pages(x->p->zone, k);
		left = x->pcp_pages[k] > now;
		dr->k[dr->n++] = k | (left ? DRAIN_PAGES : 0);
		holds += left;
		x->pcp_pages[k] = now;
	}
	return holds;
}

/* CPU c's next queued drain, due at t: pageset k's lock, around a
 * zone->lock hold when pages left k (while the call has holds left).
 * Returns its end. */
static double drain_step(struct vt_run *x, unsigned c, double t)
{
	struct vt_drain *dr = &x->dr[c];
	unsigned k = dr->k[dr->next] & ~DRAIN_PAGES;

	x->r = dr->measured ? x->main : &x->scratch;
	t = pcp_acquire(x, k, c, t);
	if ((dr->k[dr->next++] & DRAIN_PAGES) && dr->zone_left) {
		t = zone_holds(x, (int)c, t, 1, dr->work);
		dr->zone_left--;
	}
	pcp_release(x, k, t);
	return t;
}

/* Split a tick's zone->lock work among the CPUs whose pagesets it
 * drained, in proportion to their pages: the kernel runs that work on each
 * CPU from its own timer, so each CPU pays its drain at its next request
 * instead of every drain landing on zone->lock at one instant. */
static void share_tick(struct vt_run *x, const struct opcost *d)
{
	uint64_t total = 0;

	for (unsigned c = 0; c < x->ncpus; c++) {
		uint64_t now = opcost_pcp_pages(x->p->zone, c);

		x->pcp_before[c] = x->pcp_before[c] > now ?
				   x->pcp_before[c] - now : 0;
		total += x->pcp_before[c];
	}
	if (!total) { /* nothing left a pageset: nobody's work */
		lock_holds(x, (int)x->ncpus, x->next_tick, d);
		return;
	}
	for (unsigned c = 0; c < x->ncpus; c++) {
		struct opcost *o = &x->tick_due[c];
		double share = (double)x->pcp_before[c] / (double)total;

		if (!x->pcp_before[c])
			continue;
		o->zone_acq++;
		o->zone_pages += x->pcp_before[c];
		o->zone_blocks += (uint64_t)((double)d->zone_blocks * share + 0.5);
		o->merges += (uint64_t)((double)d->merges * share + 0.5);
		o->splits += (uint64_t)((double)d->splits * share + 0.5);
		o->pb_walked += (uint64_t)((double)d->pb_walked * share + 0.5);
	}
}

/* Measuring: remember a tick, to run it at the same point again. */
static void tlog_add(struct vt_run *x, unsigned kind, double now)
{
	struct vtime *vt = x->vt;
	unsigned i = x->pol;

	if (!x->pfns)
		return;
	if (vt->ntlog[i] == vt->tlog_cap[i]) {
		size_t cap = vt->tlog_cap[i] ? 2 * vt->tlog_cap[i] : 64;
		struct vt_tick_log *n = realloc(vt->tlog[i], cap * sizeof(*n));

		if (!n) {
			vt->failed = true;
			return;
		}
		vt->tlog[i] = n;
		vt->tlog_cap[i] = cap;
	}
	vt->tlog[i][vt->ntlog[i]++] = (struct vt_tick_log){ x->executed, now,
							     kind };
}

/* pa_pcp_tick() once per virtual second (the kernel's vmstat work). */
static void run_ticks(struct vt_run *x, double t)
{
	while (t >= x->next_tick) {
		struct opcost a, b, d;

		for (unsigned c = 0; c < x->ncpus; c++)
			x->pcp_before[c] = opcost_pcp_pages(x->p->zone, c);
		opcost_read(x->p->zone, &b);
		pa_pcp_tick(x->p->zone);
		tlog_add(x, TL_PCP, x->next_tick);
		opcost_read(x->p->zone, &a);
		opcost_delta(&a, &b, &d);
		if (d.zone_acq)
			share_tick(x, &d);
		pcp_sync_all(x);
		x->next_tick += TICK_NS;
	}
}

/* CPU c's share of past ticks, held before its own request at t, under
 * its own pageset's lock as the tick drained it (a tick that drained
 * nothing costs one uncontended lock and unlock: not modelled). */
static double pay_tick(struct vt_run *x, unsigned c, double t)
{
	struct opcost *o = &x->tick_due[c];

	if (!o->zone_acq)
		return t;
	x->r->tick_holds += o->zone_acq;
	t = pcp_acquire(x, c, c, t);
	t = lock_holds(x, (int)c, t, o);
	pcp_release(x, c, t);
	*o = (struct opcost){ 0 };
	return t;
}

static double remote_use(struct vt_run *x, unsigned owner, double t)
{
	double w;

	t = vt_fifo_use(&x->remote[owner], t, x->vt->m.remote_ns, &w);
	x->r->remote_wait_ns += w;
	x->r->remote_ops++;
	return t;
}

/* The pfn a request allocated (now in the map) or freed (looked up
 * before the call). */
static uint32_t pfn_of(struct vt_run *x, const struct vt_op *op,
		       uint32_t freed)
{
	struct pfnmap_entry *e;

	if (!op_allocates(op))
		return freed;
	e = pfnmap_find(&x->p->map, op->key);
	return e ? e->pfn : PA_NIL32;
}

static double touch(struct vt_run *x, unsigned c, uint32_t pfn)
{
	double cost = 0;

	x->r->misses += vt_cache_touch(&x->mc, c, pfn / VT_PAGES_PER_LINE, &cost,
				     &x->r->tlb_misses, x->r->miss_w);
	return cost;
}

/* The tap on the lab's shrinkers (sim_reclaim_tap): the calls recorded
 * when measuring; each block freed priced as a free call, on the
 * reclaiming CPU with its metadata (kswapd's on no CPU's cache). */
static void tap_counted(void *arg, unsigned id, uint64_t ret)
{
	struct vt_run *x = arg;

	if (x->rlog)
		vt_rlog_count(x->rlog, id, ret);
}

static void tap_scanned(void *arg, unsigned id, uint64_t nr_scanned,
			uint64_t ret)
{
	struct vt_run *x = arg;

	if (x->rlog)
		vt_rlog_scan(x->rlog, id, nr_scanned, ret);
}

static void tap_freed(void *arg, unsigned cpu, uint32_t pfn, unsigned order)
{
	struct vt_run *x = arg;

	if (x->rlog)
		vt_rlog_free(x->rlog, pfn, order);
	x->r->reclaim_frees++;
	x->reclaim_ns += x->vt->m.call_ns;
	if (!x->in_bg && cpu < x->ncpus && vt_cache_live(&x->mc))
		x->reclaim_ns += touch(x, cpu, pfn);
}

/*
 * The time line of call c made at t, `call` ns of its own work, d what
 * it did: its own pageset's lock (if it took it) held from the start to
 * the end of the zone->lock holds and the remote-list swap inside it.
 * Returns its end; the other pagesets it drained are queued in x->dr[c],
 * to be locked in turn after it.
 */
static double timed_call(struct vt_run *x, unsigned c, double t,
			 double call, const struct opcost *d)
{
	uint64_t own = opcost_pcp_acq(x->p->zone, c) - x->pcp_seen[c];
	struct vt_drain *dr = &x->dr[c];
	int64_t drained = 0;
	uint64_t zone_own;
	double work = d->zone_acq ? hold_work(&x->vt->m, d) : 0;

	x->pcp_seen[c] += own;
	dr->n = dr->next = 0;
	if (d->zone_acq && (drained = scan_drains(x, c)) < 0) {
		x->vt->failed = true;
		drained = 0;
	}
	if ((uint64_t)drained > d->zone_acq)
		drained = (int64_t)d->zone_acq;
	dr->zone_left = (uint64_t)drained;
	dr->work = work;
	dr->measured = x->r == x->main;
	zone_own = d->zone_acq - (uint64_t)drained;
	if (own) {
		t = pcp_acquire(x, c, c, t);
		if (x->vt->irq.in_hold && !x->irq_pending[c]) {
			/* the forced case: an interrupt during every hold */
			x->irq_pending[c] = true;
			heap_push(x, t, EV_IRQ(x, c));
		}
	}
	t = zone_holds(x, (int)c, t + call, zone_own, work);
	if (d->remote_absorbed)
		t = remote_use(x, c, t);
	if (own)
		pcp_release(x, c, t);
	x->pcp_pages[c] = opcost_pcp_pages(x->p->zone, c);
	return t;
}

/* A call's merge passes over its pageset (pcpbuddy, spb): the list
 * entries they looked at (the library counts them: a pass walks the
 * chunks freed since the last one, whole lists when a pair spans two
 * types), and a drain's pass also the chunks it then moved to the zone.
 * Under its pcp->lock, so part of the call's work. */
struct pass_work {
	uint64_t passes;
	uint64_t walked;         /* list entries the passes looked at */
};

/* The chunks the passes walked, as the pageset's first `budget` chunks
 * from its lists' heads (where a pass's window is): their hops and
 * their metadata through the CPU's cache. */
struct walk_touch {
	struct vt_run *x;
	unsigned cpu;
	double ns;
	uint64_t prev;           /* the previous chunk's line + 1 (0: none) */
	uint64_t hops;           /* chunks not next to the previous one */
	uint64_t budget;         /* chunks still to touch */
};

/* A walked chunk: a hop when its line is not the previous chunk's or
 * one beside it (the pass's loads of it cannot be prefetched); its
 * metadata line and its buddy's through the CPU's metadata cache
 * (chunks scattered over the zone miss).  False once the budget is
 * spent: the walk stops there. */
static bool walk_chunk(void *arg, uint32_t pfn, unsigned order)
{
	struct walk_touch *w = arg;
	uint64_t line = pfn / VT_PAGES_PER_LINE;
	uint64_t buddy = (pfn ^ (1u << order)) / VT_PAGES_PER_LINE;
	struct vt_result *r = w->x->r;

	if (!w->budget)
		return false;
	w->budget--;
	/* prev - 1 is the previous line: a hop unless within one of it */
	if (w->prev && (line > w->prev || line + 2 < w->prev))
		w->hops++;
	w->prev = line + 1;
	if (!vt_cache_live(&w->x->mc))
		return true;
	r->walk_misses += vt_cache_touch(&w->x->mc, w->cpu, line, &w->ns,
					 &r->tlb_misses, r->miss_w);
	if (buddy != line)
		r->walk_misses += vt_cache_touch(&w->x->mc, w->cpu, buddy,
						 &w->ns, &r->tlb_misses,
						 r->miss_w);
	return true;
}

/* The passes' time: entries walked at walk_ns, those that hop at
 * walk_hop_ns (the touched chunks' share of hops, for passes that walked
 * more entries than the pageset has chunks), plus the cache misses. */
static double walk_cost(struct vt_run *x, unsigned c,
			const struct pass_work *pw, const struct opcost *d)
{
	struct walk_touch w = { x, c, 0, 0, 0, pw->walked };
	const struct costmodel *m = &x->vt->m;

	opcost_pcp_chunks(x->p->zone, c, walk_chunk, &w);
	uint64_t touched = pw->walked - w.budget;
	uint64_t hops = touched ? w.hops * pw->walked / touched : 0;
	uint64_t walked = pw->walked + d->zone_blocks;

	x->r->passes += pw->passes;
	x->r->walked += walked;
	x->r->walk_hops += hops;
	return (double)(walked - hops) * m->walk_ns +
	       (double)hops * m->walk_hop_ns + w.ns;
}

/* Request i of CPU c ended at t: its dependants may go, and c's next. */
static void finish_request(struct vt_run *x, unsigned c, uint32_t i,
			   double t)
{
	x->clock[c] = t;
	x->done_at[i] = t;
	if (x->pos[c] == x->start[c + 1])
		x->active--;
	wake(x, i);
	schedule(x, c);
}

/* Compaction's work in d outside zone->lock: its runs, its scanners'
 * steps and the blocks it moved. */
static double compaction_ns(const struct costmodel *m, const struct opcost *d)
{
	return (double)d->compact_runs * m->compact_ns +
	       (double)(d->scanned - d->free_scanned) * m->scan_ns +
	       (double)d->free_scanned * m->free_scan_ns +
	       (double)d->migrated_blocks * m->migrate_ns;
}

/* The measured figures of one request's zone work (d) besides time. */
static void count_zone_work(struct vt_result *r, const struct opcost *d)
{
	r->scanned += d->scanned;
	r->free_scanned += d->free_scanned;
	r->compact_runs += d->compact_runs;
	r->migrated += d->migrated;
	r->migrated_blocks += d->migrated_blocks;
	r->list_ops += d->zone_blocks;
	r->merges += d->merges;
	r->splits += d->splits;
	r->pb_walked += d->pb_walked;
}

/* A block the call's refill wrote: its metadata line now in the CPU's
 * cache (the writes are priced in the hold's per-page work, not here). */
struct refill_warm {
	struct vt_run *x;
	unsigned cpu;
};

static void warm_block(void *arg, uint32_t pfn)
{
	struct refill_warm *w = arg;
	double ignored = 0;
	uint64_t tlb = 0;

	vt_cache_touch(&w->x->mc, w->cpu, pfn / VT_PAGES_PER_LINE, &ignored,
		       &tlb, NULL);
}

/* The blocks an allocation's refill moved to the pageset: warm, so the
 * allocations that take them later do not miss on lines the refill just
 * wrote.  The block the call took is one of them when fewer are left on
 * the list than were moved. */
static void warm_refilled(struct vt_run *x, unsigned c, const struct vt_op *op,
			  uint32_t e_pfn, const struct opcost *d)
{
	struct refill_warm w = { x, c };
	int mt = op_mt(op);

	if (mt < 0 || !vt_cache_live(&x->mc))
		return;
	uint64_t left = opcost_pcp_refilled(x->p->zone, c, op->order,
					    (unsigned)mt, d->refilled,
					    warm_block, &w);

	if (e_pfn != PA_NIL32 && left < d->refilled >> op->order)
		warm_block(&w, e_pfn);
}

/* The CPU time of request i's call outside the zone->lock holds: the call,
 * its metadata misses, the owner's mark, compaction's scanners and moves
 * (outside the lock; their lock traffic is in d), the merge passes. */
static double call_cost(struct vt_run *x, unsigned c, const struct vt_op *op,
			uint32_t e_pfn, const struct pass_work *pw,
			const struct opcost *d)
{
	const struct costmodel *m = &x->vt->m;
	double call = m->call_ns;

	if (d->refilled && op_allocates(op))
		warm_refilled(x, c, op, e_pfn, d);
	if (e_pfn != PA_NIL32 && vt_cache_live(&x->mc))
		call += touch(x, c, e_pfn);
	if (op_allocates(op) && e_pfn != PA_NIL32 &&
	    opcost_page_marked(x->p->zone, e_pfn)) {
		call += m->owner_ns;
		x->r->marks++;
	}
	call += compaction_ns(m, d);
	if (pw->passes || pw->walked)
		call += walk_cost(x, c, pw, d);
	return call + x->reclaim_ns;
}

/* The request on policy p's models and zone. */
static void apply_op(struct vt_run *x, unsigned c, const struct vt_op *op)
{
	switch (op_kind(op)) {
	case VT_ALLOC:
		sim_alloc_one(x->s, x->p, c, op->key, op->order, op_mt(op));
		break;
	case VT_FREE:
		sim_free_one(x->s, x->p, c, op->key, op->order);
		break;
	case VT_LRU_ADD:
		lru_add(x->s, x->p, c, op->key, op->order,
			(enum lru_kind)(op->kind_mt & 0xf));
		break;
	case VT_LRU_FREE:
		lru_free(x->s, x->p, c, op->key, op->order);
		break;
	}
}

/* The request on the real zone: the counters' difference into d, the
 * merge passes it made, reclaim's frees priced into x->reclaim_ns;
 * returns its pfn (PA_NIL32 if none, VT_NO_CALL for an LRU add of a
 * resident folio).  *owner: the CPU owning a freed page's pageblock
 * before the free, or -1. */
static uint32_t apply(struct vt_run *x, unsigned c, const struct vt_op *op,
		      struct opcost *d, struct pass_work *pw, int *owner)
{
	struct pa_zone *z = x->p->zone;
	/* a free's block; whether an LRU add finds its folio resident */
	struct pfnmap_entry *e = op_kind(op) == VT_ALLOC ? NULL :
				 pfnmap_find(&x->p->map, op->key);
	uint32_t e_pfn = PA_NIL32;
	struct opcost a, b;

	*owner = -1;
	if (e && !op_allocates(op)) {
		*owner = opcost_owner(z, e->pfn);
		e_pfn = e->pfn;
	}
	if (e && op_kind(op) == VT_LRU_ADD)
		e_pfn = VT_NO_CALL; /* an access: lru_add touches it */
	x->reclaim_ns = 0;
	opcost_read(z, &b);
	pw->passes = opcost_pcp_passes(z, c, op->order > 0);
	pw->walked = opcost_pcp_walked(z, c);
	apply_op(x, c, op);
	opcost_read(z, &a);
	pw->passes = opcost_pcp_passes(z, c, op->order > 0) - pw->passes;
	pw->walked = opcost_pcp_walked(z, c) - pw->walked;
	opcost_delta(&a, &b, d);
	return e_pfn == VT_NO_CALL ? e_pfn : pfn_of(x, op, e_pfn);
}

/* Run CPU c's next request, due at t. */
static void execute(struct vt_run *x, unsigned c, double t)
{
	uint32_t i = x->idx[x->pos[c]++];
	const struct vt_op *op = &x->vt->ops[i];
	struct opcost d;
	uint32_t e_pfn;
	struct pass_work pw;
	int owner;

	/* the first requests of each CPU warm its pageset up: run, not
	 * measured */
	if (x->pos[c] - 1 == x->warm_end[c])
		x->from[c] = x->clock[c];
	x->r = x->pos[c] - 1 < x->warm_end[c] ? &x->scratch : x->main;
	run_ticks(x, t);
	t = pay_tick(x, c, t);
	e_pfn = apply(x, c, op, &d, &pw, &owner);
	if (x->pfns)
		x->pfns[i] = e_pfn;
	x->executed++;
	x->r->ops++;
	x->r->think_ns += op->think * x->vt->m.think_scale;
	count_zone_work(x->r, &d);

	double call = e_pfn == VT_NO_CALL ? 0 :
		      call_cost(x, c, op, e_pfn, &pw, &d);

	x->r->call_ns += call;
	t = timed_call(x, c, t, call, &d);
	if (d.remote_pushed && owner >= 0 && (unsigned)owner < x->ncpus) {
		t = remote_use(x, (unsigned)owner, t);
		x->pcp_pages[owner] = opcost_pcp_pages(x->p->zone,
						       (unsigned)owner);
	}
	if (x->dr[c].n) { /* its drains next, each at its own time */
		x->dr[c].req = i;
		heap_push(x, t, c);
		return;
	}
	finish_request(x, c, i, t);
}

/* CPU c's event at t: its next request, or the next drain of the one in
 * progress. */
static void step(struct vt_run *x, unsigned c, double t)
{
	struct vt_drain *dr = &x->dr[c];

	if (x->shift[c] > 0) {
		/* interrupts took this CPU's time meanwhile: its task is
		 * that much later */
		heap_push(x, t + x->shift[c], c);
		x->shift[c] = 0;
		return;
	}
	if (dr->next == dr->n) {
		execute(x, c, t);
		return;
	}
	t = drain_step(x, c, t);
	if (dr->next < dr->n)
		heap_push(x, t, c);
	else
		finish_request(x, c, dr->req, t);
}

/* The figures of an interrupt handler's run (r: its CPU's, main or
 * warm-up). */
static void irq_count(struct vt_result *r, const struct vt_irq_call *ic,
		      double w, double h, double busy)
{
	r->irqs++;
	r->irq_calls += ic->calls;
	r->irq_fallbacks += ic->fallbacks;
	r->irq_failed += ic->failed;
	r->irq_ns += busy;
	r->irq_zone_acq += ic->d.zone_acq;
	r->irq_zone_wait_ns += w;
	r->irq_zone_hold_ns += h;
	if (ic->fallbacks) {
		r->fb_zone_acq += ic->d.zone_acq;
		r->fb_zone_wait_ns += w;
		r->fb_zone_hold_ns += h;
	}
}

/*
 * The handler's time line from s: its own pageset's lock if it took it
 * (not when it was held: that trylock failed), its calls' work and
 * metadata lines, zone->lock holds, remote-free lists.  Returns its end.
 */
static double irq_timed(struct vt_run *x, unsigned c, double s, bool held,
			const struct vt_irq_call *ic)
{
	const struct costmodel *m = &x->vt->m;
	bool own = !held && ic->own_acq;
	double t = own ? pcp_acquire(x, c, c, s) : s;
	double call = ic->calls * m->call_ns;

	for (unsigned k = 0; k < 2; k++)
		if (ic->pfn[k] != VT_IRQ_NO_PAGE && vt_cache_live(&x->mc))
			call += touch(x, c, ic->pfn[k]);
	x->r->call_ns += call;
	t += call;
	if (ic->d.zone_acq)
		t = zone_holds(x, (int)c, t, ic->d.zone_acq,
			       hold_work(m, &ic->d));
	if (ic->d.remote_absorbed)
		t = remote_use(x, c, t);
	if (ic->d.remote_pushed) {
		/* another CPU's block to its owner; with the pageset busy,
		 * pcpbuddy queues even its own on its own list */
		unsigned to = ic->owner >= 0 && (unsigned)ic->owner < x->ncpus ?
			      (unsigned)ic->owner : c;

		t = remote_use(x, to, t);
		x->pcp_pages[to] = opcost_pcp_pages(x->p->zone, to);
	}
	if (own)
		pcp_release(x, c, t);
	/* the stand-in hold and the handler's own acquisitions */
	x->pcp_seen[c] = opcost_pcp_acq(x->p->zone, c);
	x->pcp_pages[c] = opcost_pcp_pages(x->p->zone, c);
	return t;
}

/* An interrupt on CPU c, arriving at t.  Handlers do not nest, and wait
 * while their CPU holds zone->lock (taken with interrupts off); the
 * pageset lock is taken without, so a handler arriving while it is held
 * (by c's task, or another CPU draining c's pageset) finds its trylock
 * failing.  The handler's time is taken from c's task. */
static void irq_step(struct vt_run *x, unsigned c, double t)
{
	struct vt_result *r = x->pos[c] > x->warm_end[c] ? x->main : &x->scratch;
	struct vt_irq_call ic;
	double s = t > x->irq_busy[c] ? t : x->irq_busy[c];
	bool held = x->pcpl[c].free_at > s;
	double w0 = r->wait_ns, h0 = r->hold_ns, end;

	x->irq_pending[c] = false;
	if (x->pos[c] == x->start[c + 1] && x->dr[c].next == x->dr[c].n)
		return; /* the CPU's work is done: so is its stream */
	if (s < x->irq_off[c])
		s = x->irq_off[c];
	vt_irq_run(&x->irq, x->p->zone, c, held, &ic);
	x->r = r;
	end = irq_timed(x, c, s, held, &ic);
	irq_count(r, &ic, r->wait_ns - w0, r->hold_ns - h0, end - s);
	x->irq_busy[c] = end;
	x->shift[c] += end - s;
	if (x->irq.cfg.rate_hz > 0) {
		x->irq_pending[c] = true;
		heap_push(x, t + vt_irq_gap(&x->irq, c), EV_IRQ(x, c));
	}
}

/*
 * The background step at t (pa_zone_tick, as the plain replay runs it):
 * on a simulated CPU of its own (the kernel's kswapd is a thread per node,
 * spb's worker a work item; neither runs in the allocating task), its
 * zone->lock holds queued like everyone's.  A step that did nothing costs
 * nothing (an idle kswapd sleeps); one that ran costs a call, one more
 * per page it reclaimed (a free), the pages it scanned and moved as the
 * slow path's compaction, and its holds.  Runs while some CPU still has
 * requests.
 */
static void bg_step(struct vt_run *x, double t)
{
	const struct costmodel *m = &x->vt->m;
	struct vt_result *r = x->main;
	struct pa_tick_stats ts = { 0 };
	struct opcost a, b, d;
	double w0 = r->wait_ns, h0 = r->hold_ns, end = t;
	uint64_t moved;

	if (!x->active)
		return;
	x->r = r;
	x->p->cur_cpu = 0;
	x->in_bg = true;
	x->reclaim_ns = 0;
	opcost_read(x->p->zone, &b);
	(void)pa_zone_tick(x->p->zone, (uint64_t)t, &ts);
	opcost_read(x->p->zone, &a);
	x->in_bg = false;
	opcost_delta(&a, &b, &d);
	tlog_add(x, TL_ZONE, t);
	pcp_sync_all(x);
	moved = ts.reclaimed + ts.compacted + ts.evacuated;
	if (ts.woken || d.zone_acq || moved || d.scanned) {
		/* a reclaimed block is a free (tap_freed); moved pages
		 * are priced as the slow path's */
		end += m->call_ns + x->reclaim_ns + compaction_ns(m, &d);
		if (d.zone_acq)
			end = zone_holds(x, BG_HOLDER(x), end, d.zone_acq,
					 hold_work(m, &d));
	}
	r->bg_ticks++;
	r->bg_holds += d.zone_acq;
	r->bg_pages += moved;
	r->bg_wait_ns += r->wait_ns - w0;
	r->bg_hold_ns += r->hold_ns - h0;
	r->bg_ns += end - t;
	x->p->zone_ticks++;
	x->p->tick_lock_acq += d.zone_acq;
	x->p->ticks.reclaimed += ts.reclaimed;
	x->p->ticks.compacted += ts.compacted;
	x->p->ticks.evacuated += ts.evacuated;
	x->p->ticks.woken |= ts.woken;
	heap_push(x, end > t + BG_NS ? end : t + BG_NS, EV_BG(x));
}

/* The heap's event e: a CPU's request or drain, an interrupt, or the
 * background step. */
static void dispatch(struct vt_run *x, const struct vt_ev *e)
{
	if (e->cpu < x->ncpus)
		step(x, e->cpu, e->t);
	else if (e->cpu < 2 * x->ncpus)
		irq_step(x, e->cpu - x->ncpus, e->t);
	else
		bg_step(x, e->t);
}

static void finish_result(struct vt_run *x)
{
	struct vt_result *r = x->main;
	double first = -1, last = 0;

	r->ncpus = x->ncpus;
	r->policy = x->p->policy;
	r->cpu_ns = x->tick_cpu_ns + r->bg_ns;
	for (unsigned c = 0; c < x->ncpus; c++) {
		if (x->warm_end[c] >= x->start[c + 1])
			continue; /* nothing measured on this CPU */
		x->clock[c] += x->shift[c]; /* a handler after its last call */
		r->cpu_ns += x->clock[c] - x->from[c];
		if (first < 0 || x->from[c] < first)
			first = x->from[c];
		if (x->clock[c] > last)
			last = x->clock[c];
	}
	r->makespan_ns = first < 0 ? 0 : last - first;
}

static void run_policy(struct vt_run *x)
{
	size_t n = x->vt->nops;

	for (size_t i = 0; i < n; i++) {
		x->done_at[i] = -1;
		x->waiter_head[i] = -1;
	}
	for (unsigned c = 0; c < x->ncpus; c++) {
		x->pos[c] = x->start[c];
		x->clock[c] = 0;
		x->wait_next[c] = -1;
		x->remote[c].free_at = 0;
		x->pcpl[c].last_cpu = (int)c; /* its lines start in c's cache */
		x->dr[c].n = x->dr[c].next = 0;
		x->tick_due[c] = (struct opcost){ 0 };
		x->from[c] = 0;
		x->warm_end[c] = x->start[c] + (uint32_t)(x->vt->warmup *
			(double)(x->start[c + 1] - x->start[c]));
	}
	x->r = x->main;
	x->hn = 0;
	x->next_tick = TICK_NS;
	x->tick_cpu_ns = 0;
	x->executed = 0;
	x->active = 0;
	pcp_sync_all(x);
	for (unsigned c = 0; c < x->ncpus; c++) {
		x->irq_busy[c] = x->irq_off[c] = x->shift[c] = 0;
		x->irq_pending[c] = false;
		if (x->start[c] == x->start[c + 1])
			continue;
		x->active++;
		if (x->irq.cfg.rate_hz > 0) {
			x->irq_pending[c] = true;
			heap_push(x, vt_irq_gap(&x->irq, c), EV_IRQ(x, c));
		}
	}
	if (!x->vt->no_bg)
		heap_push(x, BG_NS, EV_BG(x));
	x->tap = (struct sim_reclaim_tap){ tap_counted, tap_scanned, tap_freed,
					   x };
	x->p->tap = &x->tap;
	for (unsigned c = 0; c < x->ncpus; c++)
		schedule(x, c);
	while (x->hn) {
		struct vt_ev e = heap_pop(x);

		dispatch(x, &e);
	}
	vt_irq_free_all(&x->irq, x->p->zone);
	x->p->tap = NULL; /* the end figures' reclaim is not the run's */
	finish_result(x);
}

/* Requests grouped by CPU, in stream order within each (counting sort). */
static int index_by_cpu(const struct vtime *vt, unsigned ncpus,
			uint32_t **idx_out, uint32_t **start_out)
{
	uint32_t *start = calloc(ncpus + 1, sizeof(*start));
	uint32_t *idx = malloc((vt->nops ? vt->nops : 1) * sizeof(*idx));
	uint32_t *fill = calloc(ncpus, sizeof(*fill));

	if (!start || !idx || !fill) {
		free(start);
		free(idx);
		free(fill);
		return -ENOMEM;
	}
	for (size_t i = 0; i < vt->nops; i++)
		start[vt->ops[i].cpu + 1]++;
	for (unsigned c = 0; c < ncpus; c++)
		start[c + 1] += start[c];
	for (size_t i = 0; i < vt->nops; i++) {
		unsigned c = vt->ops[i].cpu;

		idx[start[c] + fill[c]++] = (uint32_t)i;
	}
	free(fill);
	*idx_out = idx;
	*start_out = start;
	return 0;
}

static int run_alloc(struct vt_run *x, size_t nops)
{
	size_t n = nops ? nops : 1;
	unsigned c = x->ncpus;

	x->pos = calloc(c, sizeof(*x->pos));
	x->clock = calloc(c, sizeof(*x->clock));
	x->wait_next = calloc(c, sizeof(*x->wait_next));
	x->remote = calloc(c, sizeof(*x->remote));
	x->heap = calloc(2 * c + 1, sizeof(*x->heap));
	x->irq_busy = calloc(c, sizeof(*x->irq_busy));
	x->irq_off = calloc(c, sizeof(*x->irq_off));
	x->shift = calloc(c, sizeof(*x->shift));
	x->irq_pending = calloc(c, sizeof(*x->irq_pending));
	x->pcp_before = calloc(c, sizeof(*x->pcp_before));
	x->from = calloc(c, sizeof(*x->from));
	x->warm_end = calloc(c, sizeof(*x->warm_end));
	x->tick_due = calloc(c, sizeof(*x->tick_due));
	x->pcp_seen = calloc(c, sizeof(*x->pcp_seen));
	x->pcp_pages = calloc(c, sizeof(*x->pcp_pages));
	x->dr = calloc(c, sizeof(*x->dr));
	x->done_at = malloc(n * sizeof(*x->done_at));
	x->waiter_head = malloc(n * sizeof(*x->waiter_head));
	if (!x->pos || !x->clock || !x->wait_next || !x->remote || !x->heap ||
	    !x->pcp_before || !x->tick_due || !x->from || !x->warm_end ||
	    !x->pcp_seen || !x->pcp_pages || !x->dr ||
	    !x->done_at || !x->waiter_head || !x->irq_busy || !x->irq_off ||
	    !x->shift || !x->irq_pending)
		return -ENOMEM;
	return 0;
}

static void pcp_locks_destroy(struct vt_run *x)
{
	for (unsigned c = 0; x->pcpl && c < x->ncpus; c++)
		vt_lock_destroy(&x->pcpl[c]);
	free(x->pcpl);
	x->pcpl = NULL;
}

/* One pcp->lock per CPU, with zone->lock's hand-off costs (the same
 * spinlock and the same kind of cache-line transfer). */
static int pcp_locks_init(struct vt_run *x, const struct costmodel *m)
{
	x->pcpl = calloc(x->ncpus, sizeof(*x->pcpl));
	if (!x->pcpl)
		return -ENOMEM;
	for (unsigned c = 0; c < x->ncpus; c++)
		if (vt_lock_init(&x->pcpl[c], x->ncpus, m->handoff_ns,
				 m->handoff_waiter_ns) < 0) {
			pcp_locks_destroy(x);
			return -ENOMEM;
		}
	return 0;
}

static void run_free(struct vt_run *x)
{
	free(x->pos);
	free(x->clock);
	free(x->wait_next);
	free(x->remote);
	free(x->heap);
	free(x->pcp_before);
	free(x->from);
	free(x->warm_end);
	free(x->tick_due);
	free(x->pcp_seen);
	free(x->pcp_pages);
	for (unsigned c = 0; x->dr && c < x->ncpus; c++)
		free(x->dr[c].k);
	free(x->dr);
	free(x->done_at);
	free(x->waiter_head);
	free(x->irq_busy);
	free(x->irq_off);
	free(x->shift);
	free(x->irq_pending);
}

void vtime_run(struct vtime *vt, struct sim *s)
{
	struct vt_run x = { .vt = vt, .s = s, .ncpus = s->cfg.ncpus };
	uint32_t *idx = NULL, *start = NULL;

	memset(vt->res, 0, sizeof(vt->res));
	vt->nres = 0;
	if (vt->failed || index_by_cpu(vt, x.ncpus, &idx, &start) < 0 ||
	    run_alloc(&x, vt->nops) < 0) {
		vt->failed = true;
		goto out;
	}
	x.idx = idx;
	x.start = start;
	for (unsigned i = 0; i < s->npol; i++) {
		if (vt_lock_init(&x.zl, x.ncpus, vt->m.handoff_ns,
				 vt->m.handoff_waiter_ns) < 0) {
			vt->failed = true;
			break;
		}
		if (pcp_locks_init(&x, &vt->m) < 0) {
			vt_lock_destroy(&x.zl);
			vt->failed = true;
			break;
		}
		x.p = &s->pol[i];
		x.pol = i;
		x.main = &vt->res[i];
		x.pfns = NULL;
		if (vt_cache_init(&x.mc, &vt->m, pa_managed_pages(x.p->zone),
				  x.ncpus) < 0 ||
		    vt_irq_init(&x.irq, x.ncpus, &vt->irq) < 0) {
			vt_cache_destroy(&x.mc);
			pcp_locks_destroy(&x);
			vt_lock_destroy(&x.zl);
			vt->failed = true;
			break;
		}
		vt->ntlog[i] = 0;
		x.rlog = NULL;
		if (vt->measure) {
			free(vt->pfns[i]);
			vt->pfns[i] = malloc((vt->nops ? vt->nops : 1) *
					     sizeof(uint32_t));
			vt_rlog_destroy(vt->rlog[i]);
			vt->rlog[i] = vt_rlog_create();
			if (!vt->pfns[i] || !vt->rlog[i])
				vt->failed = true;
			x.pfns = vt->pfns[i];
			x.rlog = vt->rlog[i];
		}
		run_policy(&x);
		vt_irq_destroy(&x.irq);
		vt_cache_destroy(&x.mc);
		pcp_locks_destroy(&x);
		vt_lock_destroy(&x.zl);
		vt->nres = i + 1;
	}
out:
	run_free(&x);
	free(idx);
	free(start);
}

void vtime_figures(const struct vt_result *r, struct vt_figures *f)
{
	memset(f, 0, sizeof(*f));
	if (r->cpu_ns > 0)
		f->wait_share = r->wait_ns / r->cpu_ns;
	if (r->makespan_ns > 0) {
		f->lock_util = r->hold_ns / r->makespan_ns;
		f->ops_per_s = (double)r->ops * 1e9 / r->makespan_ns;
	}
	if (r->acquisitions) {
		f->wait_mean_ns = r->wait_ns / (double)r->acquisitions;
		f->hold_mean_ns = r->hold_ns / (double)r->acquisitions;
		f->contended_share = (double)r->contended /
				     (double)r->acquisitions;
	}
	f->wait_p99_ns = vt_hist_quantile(&r->wait, 0.99);
	f->hold_p99_ns = vt_hist_quantile(&r->hold, 0.99);
	f->hold_max_ns = r->hold.max;
	if (r->cpu_ns > 0)
		f->pcp_wait_share = r->pcp_wait_ns / r->cpu_ns;
	if (r->pcp_acquisitions) {
		f->pcp_wait_mean_ns = r->pcp_wait_ns /
				      (double)r->pcp_acquisitions;
		f->pcp_contended_share = (double)r->pcp_contended /
					 (double)r->pcp_acquisitions;
	}
	f->pcp_wait_p99_ns = vt_hist_quantile(&r->pcp_wait, 0.99);
	if (r->irq_calls)
		f->irq_fallback_share = (double)r->irq_fallbacks /
					(double)r->irq_calls;
	if (r->makespan_ns > 0)
		f->bg_share = r->bg_ns / r->makespan_ns;
}

/* A toy closed system: n CPUs, each thinking think_ns then asking
 * serve() for one hold, `rounds` times; CPU time and makespan from their
 * clocks. */
typedef double toy_serve_fn(struct vt_run *x, void *lock, unsigned cpu,
			    double t);

static void toy_run(struct vt_run *x, unsigned rounds, double think_ns,
		    toy_serve_fn *serve, void *lock)
{
	struct vt_result *r = x->r;

	for (unsigned c = 0; c < x->ncpus; c++)
		heap_push(x, think_ns, c);
	while (x->hn) {
		struct vt_ev e = heap_pop(x);
		double end = serve(x, lock, e.cpu, e.t);

		r->ops++;
		r->think_ns += think_ns;
		x->clock[e.cpu] = end;
		if (++x->pos[e.cpu] < rounds)
			heap_push(x, end + think_ns, e.cpu);
	}
	for (unsigned c = 0; c < x->ncpus; c++) {
		r->cpu_ns += x->clock[c];
		if (x->clock[c] > r->makespan_ns)
			r->makespan_ns = x->clock[c];
	}
}

struct toy_hold {
	struct vt_lock l;
	double hold_ns;
};

static double toy_zone_serve(struct vt_run *x, void *lock, unsigned cpu,
			     double t)
{
	struct toy_hold *th = lock;
	double w, h, end = vt_lock_hold(&th->l, (int)cpu, t, th->hold_ns,
					&w, &h);

	zone_hold_count(x->r, w, h);
	return end;
}

void vtime_toy_closed(unsigned n, double think_ns, double hold_ns,
		      unsigned rounds, struct vt_result *r)
{
	struct toy_hold th = { .hold_ns = hold_ns };
	struct vt_run x = { .ncpus = n, .r = r };

	memset(r, 0, sizeof(*r));
	r->ncpus = n;
	if (run_alloc(&x, 1) < 0 || vt_lock_init(&th.l, n, 0, 0) < 0) {
		run_free(&x);
		return;
	}
	toy_run(&x, rounds, think_ns, toy_zone_serve, &th);
	vt_lock_destroy(&th.l);
	run_free(&x);
}

/* Pageset 0's lock, taken as the engine takes it. */
static double toy_pcp_serve(struct vt_run *x, void *hold, unsigned cpu,
			    double t)
{
	double end = pcp_acquire(x, 0, cpu, t) + *(const double *)hold;

	pcp_release(x, 0, end);
	return end;
}

void vtime_toy_pcp(unsigned n, double think_ns, double hold_ns,
		   double handoff_ns, unsigned rounds, struct vt_result *r)
{
	struct costmodel m = { .handoff_ns = handoff_ns };
	struct vt_run x = { .ncpus = n, .r = r };

	memset(r, 0, sizeof(*r));
	r->ncpus = n;
	if (run_alloc(&x, 1) < 0 || pcp_locks_init(&x, &m) < 0) {
		run_free(&x);
		return;
	}
	x.pcpl[0].last_cpu = 0;
	toy_run(&x, rounds, think_ns, toy_pcp_serve, &hold_ns);
	pcp_locks_destroy(&x);
	run_free(&x);
}

/* ---- --measure: the same calls, for real, timed ---- */

/* The run's ticks logged before request i (from *j on), again. */
static void replay_ticks(struct pa_zone *z, const struct vt_tick_log *log,
			 size_t n, size_t *j, uint64_t i)
{
	for (; *j < n && log[*j].at <= i; ++*j) {
		if (log[*j].kind == TL_PCP)
			pa_pcp_tick(z);
		else
			(void)pa_zone_tick(z, (uint64_t)log[*j].now, NULL);
	}
}

/* Requests per timed window of a measured pass: the stability rule
 * (docs/VTIME.md) takes each window's least over the passes, so a
 * preemption or another tenant's burst spoils one window of one pass,
 * not the figure. */
#define VT_MEASURE_WINDOW 4096u

static size_t measure_windows(const struct vtime *vt)
{
	return (vt->nops + VT_MEASURE_WINDOW - 1) / VT_MEASURE_WINDOW;
}

/* Window w's thread time of this pass into tw[w]: call at every request
 * i (the boundary work is two clock reads per window). */
static void window_mark(size_t i, size_t n, double *tw, double *t0)
{
	if ((i + 1) % VT_MEASURE_WINDOW == 0 || i + 1 == n) {
		double t = calibrate_thread_ns();

		tw[i / VT_MEASURE_WINDOW] = t - *t0;
		*t0 = t;
	}
}

/* One pass on a fresh zone, its metadata mapped in first (the library
 * maps it lazily; the kernel's struct pages exist from boot), timed per
 * window into tw; -EUCLEAN if a pfn differs. */
static int replay_calls(const struct vtime *vt, unsigned pol,
			const struct pa_config *cfg, double *tw)
{
	const uint32_t *pfns = vt->pfns[pol];
	struct pa_zone *z = pa_zone_create(cfg);
	double t0;
	size_t j = 0;
	int rc = 0, id;

	if (!z)
		return -ENOMEM;
	(void)opcost_prefault(z);
	id = pa_register_movable_ops(z, &calibrate_agreeing_owner, NULL);
	if (vt_rlog_attach(vt->rlog[pol], z) < 0)
		rc = -ENOMEM;
	/* the run's owner (lab/sim_compact.c) lets every block it marked be
	 * moved, so compaction moves the same blocks here; the recorded
	 * pfns of later frees are where they went */
	t0 = calibrate_thread_ns();
	for (size_t i = 0; i < vt->nops && !rc; i++) {
		const struct vt_op *op = &vt->ops[i];

		replay_ticks(z, vt->tlog[pol], vt->ntlog[pol], &j, i);

		if (pfns[i] == VT_NO_CALL) {
			/* no call in the run either */
		} else if (op_allocates(op)) {
			uint64_t pfn = pa_alloc_cpu(z, 0, op->order,
						    sim_gfp_of(op_mt(op)));

			if ((pfn == PA_NO_PFN ? PA_NIL32 : (uint32_t)pfn) != pfns[i])
				rc = -EUCLEAN;
			else if (pfn != PA_NO_PFN && id > 0 && op->key <= UINT32_MAX &&
				 op_mt(op) == PA_MT_MOVABLE)
				/* as the run's sim_owner_track() */
				(void)pa_set_page_movable(z, pfn, id);
		} else if (pfns[i] != PA_NIL32 &&
			   pa_free_cpu(z, 0, pfns[i], op->order) != 0) {
			rc = -EUCLEAN;
		}
		window_mark(i, vt->nops, tw, &t0);
	}
	if (!rc && vt_rlog_diverged(vt->rlog[pol]))
		rc = -EUCLEAN;
	pa_zone_destroy(z);
	return rc;
}

/* The replay loop's own work without the calls: the same reads of the
 * recorded requests and pfns (the record streams from memory: about 3
 * ns a request here, not the allocator's), timed per window as the
 * pass, taken out of it. */
static void dry_loop(const struct vtime *vt, unsigned pol, double *tw)
{
	const uint32_t *pfns = vt->pfns[pol];
	volatile uint64_t sink;
	uint64_t acc = 0;
	double t0 = calibrate_thread_ns();

	for (size_t i = 0; i < vt->nops; i++) {
		const struct vt_op *op = &vt->ops[i];

		acc += op_allocates(op) ?
		       (uint64_t)pfns[i] ^ op->key : (uint64_t)pfns[i] + op->order;
		window_mark(i, vt->nops, tw, &t0);
	}
	sink = acc;
	(void)sink;
}

/* Whether to make pass r: `runs` of them at least, then more until the
 * passes span VT_MEASURE_SPAN_S of wall time (the other tenants' bursts
 * last seconds and slow every pass made during one: the calibration's
 * interleaved runs span about ten), VT_MEASURE_MAX passes at most. */
#define VT_MEASURE_SPAN_S 4.0
#define VT_MEASURE_MAX 64u

static bool measure_more(unsigned r, unsigned runs, double start)
{
	return calibrate_more(r, runs, start, VT_MEASURE_SPAN_S, VT_MEASURE_MAX);
}

/* One policy's measured ns per request: a warm-up pass, then `runs`
 * passes and as many dry loops, interleaved, pass r pinned as the
 * calibration's run r; per window the least of each, the loop's taken
 * out of the calls'.  After each pass, on its CPU, a run of the miss
 * benchmark into cm (the machine's miss prices while the calls ran). */
static int measure_policy(const struct vtime *vt, unsigned pol,
			  const struct pa_config *cfg, unsigned runs,
			  const struct cal_pin *pin, double *buf, double *ns,
			  struct cal_miss *cm)
{
	size_t nw = measure_windows(vt);
	double *calls = buf, *dry = buf + nw, *x = buf + 2 * nw, sum = 0;
	int rc;

	double start = progress_now();

	calibrate_pin_run(pin, 0);
	rc = replay_calls(vt, pol, cfg, x); /* warm-up, not counted */
	for (unsigned r = 0; !rc && measure_more(r, runs, start); r++) {
		calibrate_pin_run(pin, r); /* as the calibration's runs */
		rc = replay_calls(vt, pol, cfg, x);
		calibrate_windows_least(calls, x, nw, r == 0);
		dry_loop(vt, pol, x);
		calibrate_windows_least(dry, x, nw, r == 0);
		cal_miss_run(cm);
	}
	for (size_t w = 0; w < nw; w++)
		sum += calls[w] - dry[w];
	*ns = sum / (double)vt->nops;
	return rc;
}

/* The zone configuration a policy's replay uses: its run's, with no
 * callbacks of the lab's. */
static void replay_config(const struct sim *s, unsigned pol,
			  struct pa_config *c)
{
	pa_zone_config(s->pol[pol].zone, c);
	c->error_fn = NULL;
	c->event_fn = NULL;
}

/* Whether policy pol's run recorded all a replay needs: 0, or -ENOMEM
 * (its pfns or its reclaim log could not be kept). */
static int replay_recorded(const struct vtime *vt, unsigned pol)
{
	return vt->pfns[pol] && vt->rlog[pol] && !vt_rlog_failed(vt->rlog[pol]) ?
	       0 : -ENOMEM;
}

int vtime_replay(struct vtime *vt, struct sim *s, unsigned pol)
{
	struct pa_config c;
	double *tw;
	int rc;

	if (!vt->measure || s->cfg.ncpus != 1 || pol >= vt->nres)
		return -EINVAL;
	if ((rc = replay_recorded(vt, pol)) < 0)
		return rc;
	tw = malloc(measure_windows(vt) * sizeof(*tw));
	if (!tw)
		return -ENOMEM;
	replay_config(s, pol, &c);
	rc = replay_calls(vt, pol, &c, tw);
	free(tw);
	return rc;
}

int vtime_measure(struct vtime *vt, struct sim *s, unsigned runs, double *ns,
		  double (*miss)[COSTMODEL_MISS_FIGS])
{
	struct cal_pin pin;
	struct cal_miss cm;
	double *buf;
	int rc = 0;

	if (!vt->measure || s->cfg.ncpus != 1 || vt->nres != s->npol ||
	    !vt->nops || runs < 1 || runs > 16 || vt->irq.in_hold ||
	    vt->irq.rate_hz > 0)
		return -EINVAL;
	buf = malloc(3 * measure_windows(vt) * sizeof(*buf));
	if (!buf || cal_miss_init(&cm) < 0) {
		free(buf);
		return -ENOMEM;
	}
	calibrate_pin_save(&pin);
	for (unsigned i = 0; i < s->npol && !rc; i++) {
		struct pa_config c;

		if ((rc = replay_recorded(vt, i)) < 0)
			break;
		replay_config(s, i, &c);
		memset(cm.n, 0, sizeof(cm.n)); /* this policy's passes only */
		rc = measure_policy(vt, i, &c, runs, &pin, buf, &ns[i], &cm);
		if (!rc)
			rc = cal_miss_figures(&cm, vt->m.call_ns, miss[i]);
	}
	calibrate_unpin(&pin);
	cal_miss_destroy(&cm);
	free(buf);
	return rc;
}
