/* SPDX-License-Identifier: MIT */
/*
 * The simulated machine.  Every request goes to every policy's zone, so
 * one pass over the input (one decompression of a trace) feeds all
 * policies the identical sequence: by default through simqueue to one
 * thread per policy, with cfg.serial in turn in the caller's thread.  Time
 * only moves forward; each policy samples on a trace-time grid whose step
 * doubles whenever the sample array fills, which keeps memory constant for
 * any trace length.
 */
#include "sim.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "optparse.h"
#include "simqueue.h"
#include "sim_compact.h"
#include "size.h"
#include "vtime.h"
#include "warm.h"

#define FIRST_INTERVAL_NS 1000000ull  /* 1 ms */
#define TICK_NS 1000000000ull         /* the kernel's once-a-second pcp work */
/* Ticks run for one gap between events: a tick cuts high by an eighth, so
 * 128 bring any high_max down to high_min (ratios up to 2.6e7) */
#define IDLE_TICKS_MAX 128u
#define SIM_PREFETCH 16               /* requests ahead (about a miss's time) */
/* pa_zone_tick (kswapd, the background step) at most this often on the
 * simulated clock: kswapd wakes within about a millisecond */
#define KSWAPD_NS 1000000ull

static void apply_batch(void *arg, unsigned worker, const struct simq_op *ops,
			unsigned n);
static void apply_ops(struct sim *s, struct sim_policy *p,
		      const struct simq_op *ops, unsigned n);

static void on_error(void *arg, int err, const char *msg)
{
	struct sim_policy *p = arg;

	(void)err;
	if (!p->first_error[0])
		snprintf(p->first_error, sizeof(p->first_error), "%s", msg);
}

int sim_parse_policies(const char *list, struct sim_config *cfg, char *err,
		       size_t len)
{
	char buf[256], *save = NULL, *tok;

	cfg->npolicies = 0;
	if (strcmp(list, "all") == 0) {
		/* every policy the allocator accepts; probed by creating a
		 * tiny zone, since later policies arrive over time */
		for (int p = 0; p < PA_POLICY_NR; p++) {
			struct pa_config c = pa_config_default();
			struct pa_zone *z;

			c.bytes = 8ull << 20;
			c.ncpus = 1;
			c.policy = (enum pa_policy)p;
			z = pa_zone_create(&c);
			if (z) {
				cfg->policies[cfg->npolicies++] = (enum pa_policy)p;
				pa_zone_destroy(z);
			}
		}
		if (!cfg->npolicies) {
			snprintf(err, len, "no policy can be created");
			return -EINVAL;
		}
		return 0;
	}
	if (strlen(list) >= sizeof(buf)) {
		snprintf(err, len, "policy list longer than %zu characters",
			 sizeof(buf) - 1);
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", list);
	/* strsep, not strtok: "mainline," or "a,,b" is a typo to report,
	 * not a list to shorten silently */
	for (save = buf; (tok = strsep(&save, ",")) != NULL;) {
		enum pa_policy p;

		if (!*tok) {
			snprintf(err, len, "empty policy name in \"%s\"", list);
			return -EINVAL;
		}
		if (pa_policy_parse(tok, &p) < 0) {
			snprintf(err, len, "unknown policy \"%s\" (known: "
				 "mainline, pcpbuddy, spb, all)", tok);
			return -EINVAL;
		}
		for (unsigned i = 0; i < cfg->npolicies; i++)
			if (cfg->policies[i] == p) {
				snprintf(err, len, "policy \"%s\" given twice", tok);
				return -EINVAL;
			}
		if (cfg->npolicies == PA_POLICY_NR)
			break;
		cfg->policies[cfg->npolicies++] = p;
	}
	if (!cfg->npolicies) {
		snprintf(err, len, "empty policy list");
		return -EINVAL;
	}
	return 0;
}

uint64_t sim_machine_bytes(const struct sim *s)
{
	return pa_managed_pages(s->pol[0].zone) << s->zcfg.page_shift;
}

/* Policy p's zone, from the machine the config describes. */
static int policy_zone(struct sim_policy *p, const struct sim_config *cfg,
		       char *err, size_t len)
{
	struct pa_config c = pa_config_default();
	char why[200] = "";

	c.bytes = cfg->bytes;
	c.backing = PA_BACKING_NONE;
	c.ncpus = cfg->ncpus;
	c.policy = p->policy;
	c.pcp_batch = cfg->pcp_batch;
	c.pcp_high_min = cfg->pcp_high_min;
	c.pcp_high_max = cfg->pcp_high_max;
	c.min_free_kbytes = cfg->min_free_kbytes;
	/* The lab only calls the explicit-CPU API on simulated slots, which
	 * never use the rseq stacks; with them on, every access to a slot
	 * that is also a real CPU fences that CPU with membarrier (most of
	 * the replay's time). */
	c.flags |= PA_CFG_NO_RSEQ;
	c.error_fn = on_error;
	c.error_arg = p;
	p->zone = pa_zone_create(&c);
	if (p->zone)
		return 0;

	int e = errno == ENOMEM ? -ENOMEM : -EINVAL;

	pa_config_check(&c, why, sizeof(why));
	snprintf(err, len, "policy %s: cannot create the zone: %s",
		 pa_policy_name(p->policy),
		 why[0] ? why : e == -ENOMEM ? "out of memory" :
		 "policy not available in this build");
	return e;
}

/* The lab's shrinkers: each model's count and scan, through the tap
 * when one is set (sim_reclaim_tap). */
static const struct {
	pa_shrink_count_fn count;
	pa_shrink_scan_fn scan;
} shrink_models[2] = {
	{ lru_shrink_count, lru_shrink_scan },
	{ slab_shrink_count, slab_shrink_scan },
};

static uint64_t shrink_count(void *arg, const struct pa_shrink_control *sc)
{
	const struct sim_shrinker *h = arg;
	uint64_t n = shrink_models[h->id].count(h->p, sc);

	if (h->p->tap)
		h->p->tap->counted(h->p->tap->arg, h->id, n);
	return n;
}

static uint64_t shrink_scan(void *arg, struct pa_shrink_control *sc)
{
	const struct sim_shrinker *h = arg;
	uint64_t n;

	h->p->in_scan = true;
	n = shrink_models[h->id].scan(h->p, sc);
	h->p->in_scan = false;
	if (h->p->tap)
		h->p->tap->scanned(h->p->tap->arg, h->id, sc->nr_scanned, n);
	return n;
}

/* The lab's models around policy p's zone: the pfn map, the movable
 * owner, the LRU and slab with their shrinkers. */
static int policy_models(struct sim_policy *p, char *err, size_t len)
{
	if (pfnmap_init(&p->map) < 0 || sim_owner_init(p) < 0 ||
	    lru_init(&p->lru) < 0 || slab_init(&p->slab) < 0) {
		snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	for (unsigned k = 0; k < 2; k++) {
		p->shr[k] = (struct sim_shrinker){ p, k };
		p->shrinker_id[k] = pa_register_shrinker(p->zone, shrink_count,
							 shrink_scan, &p->shr[k]);
		if (p->shrinker_id[k] < 0) {
			snprintf(err, len, "cannot set the memory model up");
			return -ENOMEM;
		}
	}
	return 0;
}

/* Policy p's options and clocks, and the pagesets filled as captured. */
static void policy_start(struct sim_policy *p, const struct sim_config *cfg)
{
	p->compact = cfg->compact;
	p->reporting.on = cfg->report_free;
	p->reporting.order = cfg->report_free_order;
	p->measure_contig = cfg->measure_contig;
	p->split_order = -1;
	p->interval_ns = FIRST_INTERVAL_NS;
	p->next_tick_ns = TICK_NS;
	for (unsigned k = 0; cfg->pcp_fill && k < cfg->pcp_fill_n &&
			     k < cfg->ncpus; k++)
		if (cfg->pcp_fill[k])
			pa_pcp_fill(p->zone, k, cfg->pcp_fill[k], PA_GFP_MOVABLE);
	if (cfg->pcp_fill)
		pa_stats_reset(p->zone);
}

int sim_init(struct sim *s, const struct sim_config *cfg, char *err,
	     size_t len)
{
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	for (unsigned i = 0; i < cfg->npolicies; i++) {
		struct sim_policy *p = &s->pol[i];
		int r;

		p->policy = cfg->policies[i];
		if ((r = policy_zone(p, cfg, err, len))) {
			sim_destroy(s);
			return r;
		}
		s->npol = i + 1;
		if ((r = policy_models(p, err, len))) {
			sim_destroy(s);
			return r;
		}
		policy_start(p, cfg);
		if (i == 0)
			pa_zone_config(p->zone, &s->zcfg);
	}
	s->max_order = s->zcfg.max_order;
	if (cfg->warm)
		warm_apply(cfg->warm, s, cfg->warm_zi);
	/* without threads the replay is the same, only slower */
	if (!cfg->serial && !cfg->vt &&
	    simq_start(&s->q, s->npol, apply_batch, s) < 0)
		s->q = NULL;
	return 0;
}

/* The pageblock walk is due when this policy's budget covers it. */
static bool frag_due(const struct sim_policy *p, bool force)
{
	uint64_t cost = p->stats.nr_pageblocks;

	return force || p->frag_pb_walked + cost <=
			cost + SIM_FRAG_PB_PER_EVENT * p->c.events;
}

static const struct {
	enum pa_report kind;
	const char *file;
} sim_reports[SIM_NR_REPORTS] = {
	[SIM_BUDDYINFO] = { PA_REPORT_BUDDYINFO, "/proc/buddyinfo" },
	[SIM_PAGETYPEINFO] = { PA_REPORT_PAGETYPEINFO, "/proc/pagetypeinfo" },
	[SIM_EXTFRAG] = { PA_REPORT_EXTFRAG_INDEX,
			  "/sys/kernel/debug/extfrag/extfrag_index" },
	[SIM_UNUSABLE] = { PA_REPORT_UNUSABLE_INDEX,
			   "/sys/kernel/debug/extfrag/unusable_index" },
};

enum pa_report sim_report_kind(enum sim_report r)
{
	return sim_reports[r].kind;
}

const char *sim_report_file(enum sim_report r)
{
	return sim_reports[r].file;
}

/* A report as pa_report() writes it, or NULL. */
static char *report_text_of(struct pa_zone *z, enum pa_report what)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (pa_report(z, what, f) < 0) {
		fclose(f);
		free(buf);
		return NULL;
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void keep_report(char **slot, struct pa_zone *z, enum sim_report r)
{
	free(slot[r]);
	slot[r] = report_text_of(z, sim_reports[r].kind);
}

/* The peak's buddyinfo and indexes, from the snapshot kept at the peak
 * (index_peak): formatted once at the end, not at every new peak (a
 * replay's memory grows for most of its samples). */
static void keep_peak_reports(struct sim_policy *p)
{
	static const enum sim_report from_index[] = {
		SIM_BUDDYINFO, SIM_EXTFRAG, SIM_UNUSABLE,
	};

	for (unsigned i = 0; i < sizeof(from_index) / sizeof(from_index[0]); i++) {
		enum sim_report r = from_index[i];
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		free(p->report_peak[r]);
		p->report_peak[r] = NULL;
		if (!f)
			continue;
		if (pa_report_frag_index(p->zone, &p->index_peak,
					 sim_reports[r].kind, f) < 0) {
			fclose(f);
			free(buf);
			continue;
		}
		p->report_peak[r] = fclose(f) == 0 ? buf : NULL;
		if (!p->report_peak[r])
			free(buf);
	}
}

static void sample_frag(struct sim_policy *p, struct sim_sample *x)
{
	struct pa_frag fr;

	pa_frag(p->zone, &fr);
	p->frag_pb_walked += p->stats.nr_pageblocks;
	x->has_frag = true;
	memcpy(x->free_by_mt, fr.free_by_mt, sizeof(x->free_by_mt));
	x->free_whole_pb = fr.free_in_whole_pageblocks;
	x->free_whole_spb = fr.free_whole_superpageblocks;
	x->tainted_spb = fr.tainted_superpageblocks;
	x->clean_spb = fr.nr_superpageblocks - fr.tainted_superpageblocks;
	if (x->allocated > p->frag_peak_allocated ||
	    !p->report_peak[SIM_PAGETYPEINFO]) {
		p->frag_peak_allocated = x->allocated;
		p->frag_peak_t_ns = x->t_ns;
		p->frag_peak = fr;
		keep_report(p->report_peak, p->zone, SIM_PAGETYPEINFO);
		p->frag_pb_walked += p->stats.nr_pageblocks;
	}
}

static void take_sample(struct sim_policy *p, uint64_t t, bool force_frag)
{
	struct sim_sample *x;
	struct pa_frag_index fi;
	struct pa_stats st, after;

	if (p->nsamples == SIM_MAX_SAMPLES) {
		/* keep the even points: the grid now has twice the step */
		for (unsigned i = 0; i < SIM_MAX_SAMPLES / 2; i++)
			p->samples[i] = p->samples[2 * i];
		p->nsamples = SIM_MAX_SAMPLES / 2;
		p->interval_ns *= 2;
	}
	pa_stats(p->zone, &st);
	pa_frag_index(p->zone, &fi);
	p->stats.nr_pageblocks = st.nr_pageblocks;
	x = &p->samples[p->nsamples++];
	memset(x, 0, sizeof(*x));
	x->t_ns = t;
	x->allocated = st.allocated_pages;
	x->reclaimed = p->reclaimed_pages;
	x->zone_lock_pages = st.zone_pages_refill + st.zone_pages_drain +
			     st.zone_pages_direct_alloc +
			     st.zone_pages_direct_free;
	x->zone_lock_acq = st.zone_lock.acquisitions - p->sample_lock_acq;
	for (unsigned o = 0; o < PA_FRAG_ORDERS; o++) {
		x->nr_free[o] = fi.nr_free[o];
		x->extfrag_milli[o] = (int16_t)fi.extfrag_milli[o];
		x->unusable_milli[o] = (int16_t)fi.unusable_milli[o];
	}
	if (st.allocated_pages > p->peak_allocated || p->nsamples == 1) {
		p->peak_allocated = st.allocated_pages;
		p->peak_t_ns = t;
		p->index_peak = fi; /* its reports: keep_peak_reports() */
	}
	if (frag_due(p, force_frag))
		sample_frag(p, x);
	/* what the figures above cost in zone->lock acquisitions (pa_stats
	 * itself takes no lock) */
	pa_stats(p->zone, &after);
	p->sample_lock_acq += after.zone_lock.acquisitions -
			      st.zone_lock.acquisitions;
}

/* The zone's background step (kswapd, spb's worker), a modelled kernel
 * activity: its zone->lock traffic is the policy's, so it stays in the
 * figures (unlike the sampling's), and is also kept apart in
 * tick_lock_acq (an idle tick takes none: test_spb_defrag), as the tick
 * counts them: a pa_stats() around every tick cost half of a 16 GiB
 * `server` run's CPU. */
static void zone_tick(struct sim_policy *p, uint64_t t)
{
	struct pa_tick_stats ts;

	p->cur_cpu = 0; /* kswapd's */
	p->zone_ticks++;
	if (pa_zone_tick(p->zone, t, &ts))
		return;
	p->tick_lock_acq += ts.zone_lock_acquisitions;
	p->ticks.reclaimed += ts.reclaimed;
	p->ticks.compacted += ts.compacted;
	p->ticks.evacuated += ts.evacuated;
	p->ticks.woken |= ts.woken;
}

/* One policy's clock: the per-second pcp tick and the sampling grid.
 * t is the time since the first event. */
static void sim_time_one(struct sim_policy *p, uint64_t t)
{
	if (!p->started) {
		p->started = true;
		take_sample(p, 0, true);
		p->next_sample_ns = p->interval_ns;
		return;
	}
	for (unsigned n = 0; t >= p->next_tick_ns; n++) {
		if (n == IDLE_TICKS_MAX) {
			/* An idle gap (or a timestamp jump): its pagesets have
			 * long settled, so skip the remaining ticks instead of
			 * running one per second of the gap. */
			uint64_t left = (t - p->next_tick_ns) / TICK_NS + 1;

			p->ticks_skipped += left;
			p->next_tick_ns += left * TICK_NS;
			break;
		}
		if (!p->decay_from_trace)
			pa_pcp_tick(p->zone);
		if (p->compact)
			sim_compact_tick(p);
		sim_reporting_tick(p);
		p->next_tick_ns += TICK_NS;
	}
	if (t >= p->next_kswapd_ns) {
		zone_tick(p, t);
		p->next_kswapd_ns = t + KSWAPD_NS;
	}
	if (t >= p->next_sample_ns) {
		take_sample(p, t, false);
		/* next grid point after t (the step may have doubled) */
		p->next_sample_ns = (t / p->interval_ns + 1) * p->interval_ns;
	}
}

/* Hand an op to the threads, with the clock's move if one is pending. */
static void queue_op(struct sim *s, unsigned kind, unsigned cpu,
		     uint64_t arg, unsigned order, int mt)
{
	struct simq_op *op = simq_op_slot(s->q);

	if (s->time_pending)
		kind |= SIMQ_F_TIME;
	s->time_pending = false;
	*op = (struct simq_op){ arg, s->now_ns, (uint16_t)cpu, (uint8_t)kind,
				(uint8_t)order, (int8_t)mt };
}

void sim_time(struct sim *s, uint64_t t_ns)
{
	if (s->cfg.vt) {
		/* the engine keeps its own clocks and ticks per policy */
		vtime_record_time(s->cfg.vt, t_ns);
		return;
	}
	if (!s->started) {
		s->started = true;
		s->t0_ns = t_ns;
	} else if (t_ns < s->t0_ns + s->now_ns) {
		return; /* never backwards */
	}
	if (s->q) {
		/* two moves in a row: the first may take a sample */
		if (s->time_pending)
			queue_op(s, SIMQ_TIME, 0, 0, 0, 0);
		s->now_ns = t_ns - s->t0_ns;
		s->time_pending = true;
		return;
	}
	s->now_ns = t_ns - s->t0_ns;
	for (unsigned i = 0; i < s->npol; i++)
		sim_time_one(&s->pol[i], s->now_ns);
}

unsigned sim_gfp_of(int mt)
{
	return PA_GFP_NOWARN | (mt == PA_MT_MOVABLE ? PA_GFP_MOVABLE :
				mt == PA_MT_RECLAIMABLE ? PA_GFP_RECLAIMABLE : 0);
}

static void free_block(struct sim_policy *p, unsigned cpu,
		       const struct pfnmap_entry *e)
{
	sim_owner_forget(p, e->pfn);
	if (p->in_scan && p->tap)
		p->tap->freed(p->tap->arg, cpu, e->pfn, e->order);
	if (pa_free_cpu(p->zone, cpu, e->pfn, e->order) == 0)
		p->c.frees++;
	else
		p->c.bad_frees++;
}

static inline unsigned fold_cpu(struct sim *s, unsigned cpu)
{
	if (cpu < s->cfg.ncpus)
		return cpu;
	s->cpu_clamped++;
	return cpu % s->cfg.ncpus;
}

bool sim_block_alloc(struct sim *s, struct sim_policy *p, unsigned cpu,
		     uint64_t key, unsigned order, int mt)
{
	uint64_t pfn;

	p->cur_cpu = cpu; /* direct reclaim frees where it allocates */
	pfn = order <= s->max_order ?
	      pa_alloc_cpu(p->zone, cpu, order, sim_gfp_of(mt)) : PA_NO_PFN;
	if (pfn == PA_NO_PFN)
		return false;
	if (pfnmap_insert(&p->map, key, (uint32_t)pfn, order, order,
			  NULL) < 0) {
		/* no memory to remember it: give it back */
		pa_free_cpu(p->zone, cpu, pfn, order);
		return false;
	}
	if (mt == PA_MT_MOVABLE)
		sim_owner_track(p, key, (uint32_t)pfn);
	sim_reporting_touch(p, pfn, order);
	return true;
}

uint64_t sim_block_free(struct sim_policy *p, unsigned cpu, uint64_t key)
{
	struct pfnmap_entry e;

	if (!pfnmap_remove(&p->map, key, &e))
		return 0;
	free_block(p, cpu, &e);
	return 1ull << e.order;
}

void sim_alloc_one(struct sim *s, struct sim_policy *p, unsigned cpu,
		   uint64_t key, unsigned order, int mt)
{
	struct pfnmap_entry old;

	p->c.events++;
	if (pfnmap_remove(&p->map, key, &old)) {
		p->c.alloc_over_live++;
		free_block(p, cpu, &old);
	}
	if (sim_block_alloc(s, p, cpu, key, order, mt))
		p->c.allocs++;
	else
		p->c.failures++;
}

void sim_alloc(struct sim *s, unsigned cpu, uint64_t key, unsigned order,
	       int mt)
{
	cpu = fold_cpu(s, cpu);
	s->queued++;
	if (s->cfg.vt) {
		vtime_record(s->cfg.vt, VT_ALLOC, cpu, key, order, mt);
		return;
	}
	if (s->q) {
		queue_op(s, SIMQ_ALLOC, cpu, key, order, mt);
		return;
	}
	for (unsigned i = 0; i < s->npol; i++)
		sim_alloc_one(s, &s->pol[i], cpu, key, order, mt);
}

void sim_free_one(struct sim *s, struct sim_policy *p, unsigned cpu,
		  uint64_t key, unsigned order)
{
	struct pfnmap_entry e;
	bool found = false;

	p->c.events++;
	if (pfnmap_remove(&p->map, key, &e)) {
		if (e.trace_order != order)
			p->c.order_mismatch++;
		free_block(p, cpu, &e);
		return;
	}
	/* part of a block already freed by an earlier partial free? */
	if (p->split_order >= 0 &&
	    (key & ~((1ull << p->split_order) - 1)) == p->split_key) {
		p->c.free_partial_rest++;
		return;
	}
	/* a piece of a larger live block (the kernel split it) */
	for (unsigned o = order + 1; o <= s->max_order && !found; o++) {
		uint64_t base = key & ~((1ull << o) - 1);
		struct pfnmap_entry *b = pfnmap_find(&p->map, base);

		if (b && b->trace_order >= o) {
			e = *b;
			pfnmap_remove(&p->map, base, NULL);
			free_block(p, cpu, &e);
			p->c.free_partial++;
			p->split_key = base;
			p->split_order = e.trace_order;
			found = true;
		}
	}
	if (!found)
		p->c.free_unknown++;
}

void sim_free(struct sim *s, unsigned cpu, uint64_t key, unsigned order)
{
	cpu = fold_cpu(s, cpu);
	s->queued++;
	if (s->cfg.vt) {
		vtime_record(s->cfg.vt, VT_FREE, cpu, key, order, 0);
		return;
	}
	if (s->q) {
		queue_op(s, SIMQ_FREE, cpu, key, order, 0);
		return;
	}
	for (unsigned i = 0; i < s->npol; i++)
		sim_free_one(s, &s->pol[i], cpu, key, order);
}

static void sim_free_bulk_one(struct sim *s, struct sim_policy *p,
			      unsigned cpu, const uint64_t *keys,
			      const unsigned *orders, unsigned n)
{
	uint64_t pfns[SIM_BULK_MAX];
	unsigned ords[SIM_BULK_MAX], k = 0;

	for (unsigned i = 0; i < n && i < SIM_BULK_MAX; i++) {
		struct pfnmap_entry e;

		if (!pfnmap_remove(&p->map, keys[i], &e)) {
			/* not a live block: what a single free makes of it */
			sim_free_one(s, p, cpu, keys[i], orders[i]);
			continue;
		}
		p->c.events++;
		if (e.trace_order != orders[i])
			p->c.order_mismatch++;
		pfns[k] = e.pfn;
		ords[k++] = e.order;
	}
	int rc = pa_free_bulk(p->zone, cpu, pfns, ords, k);

	rc = rc < 0 ? 0 : rc;
	p->c.frees += (uint64_t)rc;
	p->c.bad_frees += k - (unsigned)rc;
}

void sim_free_bulk(struct sim *s, unsigned cpu, const uint64_t *keys,
		   const unsigned *orders, unsigned n)
{
	cpu = fold_cpu(s, cpu);
	s->queued += n;
	for (unsigned i = 0; i < n; i++) {
		if (s->cfg.vt)
			vtime_record(s->cfg.vt, VT_FREE, cpu, keys[i], orders[i], 0);
		else if (s->q)
			queue_op(s, SIMQ_FREE_BULK, cpu, keys[i], orders[i], 0);
	}
	if (s->cfg.vt || s->q)
		return;
	for (unsigned i = 0; i < s->npol; i++)
		sim_free_bulk_one(s, &s->pol[i], cpu, keys, orders, n);
}

/* A queued batch of frees (SIMQ_FREE_BULK ops of one CPU, in a row; a
 * batch the queue's hand-over split is freed in two calls).  Returns the
 * ops used. */
static unsigned apply_bulk_run(struct sim *s, struct sim_policy *p,
			       const struct simq_op *ops, unsigned n)
{
	uint64_t keys[SIM_BULK_MAX];
	unsigned orders[SIM_BULK_MAX], k = 0;

	while (k < n && k < SIM_BULK_MAX &&
	       (ops[k].kind & ~SIMQ_F_TIME) == SIMQ_FREE_BULK &&
	       ops[k].cpu == ops[0].cpu && (!k || !(ops[k].kind & SIMQ_F_TIME))) {
		keys[k] = ops[k].arg;
		orders[k] = ops[k].order;
		k++;
	}
	sim_free_bulk_one(s, p, ops[0].cpu, keys, orders, k);
	return k;
}

/* A held 1 GiB range goes back. */
static void release_1g(struct sim *s, struct sim_policy *p)
{
	uint64_t nr = 1ull << (30 - s->zcfg.page_shift);

	for (unsigned i = 0; i < p->nheld_1g; i++)
		pa_free_contig(p->zone, p->held_1g[i], nr);
	p->nheld_1g = 0;
}

static void demand_one(struct sim *s, struct sim_policy *p, unsigned cpu,
		       uint64_t key, unsigned order, unsigned phase)
{
	bool big = order > s->max_order, ok;

	p->c.events++;
	phase = phase ? 1 : 0;
	p->demand_tries[phase][big]++;
	if (!big) {
		ok = sim_block_alloc(s, p, cpu, key, order, PA_MT_MOVABLE);
	} else {
		uint64_t pfn;

		p->cur_cpu = cpu;
		pfn = sim_contig_alloc(p->zone, 1ull << order);
		ok = pfn != PA_NO_PFN;
		if (ok)
			sim_reporting_touch(p, pfn, order);
		if (ok && p->nheld_1g == p->held_1g_cap) {
			unsigned cap = p->held_1g_cap ? p->held_1g_cap * 2 : 16;
			uint64_t *h = realloc(p->held_1g, cap * sizeof(*h));

			if (!h) {
				pa_free_contig(p->zone, pfn, 1ull << order);
				ok = false;
			} else {
				p->held_1g = h;
				p->held_1g_cap = cap;
			}
		}
		if (ok)
			p->held_1g[p->nheld_1g++] = pfn;
	}
	if (ok) {
		p->demand_ok[phase][big]++;
		p->c.allocs++;
	}
}

/* The kernel's vmstat work ran on cpu: its pageset decays now, and the
 * grid's decay of every pageset stops (the trace says where it runs). */
static void pcp_decay_one(const struct sim *s, struct sim_policy *p,
			  unsigned cpu)
{
	if (s->cfg.pcp_decay_grid)
		return;
	p->decay_from_trace = true;
	if (pa_pcp_tick_cpu(p->zone, cpu) == 0)
		p->trace_decays++;
}

/* One memory-model request on one policy. */
static void apply_model_op(struct sim *s, struct sim_policy *p, unsigned kind,
			   unsigned cpu, uint64_t key, unsigned order, int mt)
{
	switch (kind) {
	case SIMQ_LRU_ADD:
		lru_add(s, p, cpu, key, order, (enum lru_kind)mt);
		break;
	case SIMQ_LRU_TOUCH:
		lru_touch(s, p, cpu, key, order, (enum lru_kind)mt);
		break;
	case SIMQ_LRU_FREE:
		lru_free(s, p, cpu, key, order);
		break;
	case SIMQ_SLAB_ALLOC:
		slab_alloc(s, p, cpu, key,
			   (enum slab_cache_id)(mt & ~SIMQ_SLAB_SHRINKABLE),
			   (mt & SIMQ_SLAB_SHRINKABLE) != 0);
		break;
	case SIMQ_SLAB_FREE:
		slab_free(s, p, cpu, key);
		break;
	case SIMQ_DEMAND:
		demand_one(s, p, cpu, key, order, (unsigned)mt);
		break;
	case SIMQ_DEMAND_RELEASE:
		release_1g(s, p);
		break;
	case SIMQ_PCP_DECAY:
		pcp_decay_one(s, p, cpu);
		break;
	}
}

/* Hand a model request to every policy (queued, or in turn). */
static void model_op(struct sim *s, unsigned kind, unsigned cpu, uint64_t key,
		     unsigned order, int mt)
{
	cpu = fold_cpu(s, cpu);
	s->queued++;
	if (s->q) {
		queue_op(s, kind, cpu, key, order, mt);
		return;
	}
	for (unsigned i = 0; i < s->npol; i++)
		apply_model_op(s, &s->pol[i], kind, cpu, key, order, mt);
}

/* Under virtual time a model request is recorded (sim.h). */
static bool vt_plain(struct sim *s, enum vt_kind kind, unsigned cpu,
		     uint64_t key, unsigned order, int mt)
{
	if (!s->cfg.vt)
		return false;
	s->queued++;
	vtime_record(s->cfg.vt, kind, fold_cpu(s, cpu), key, order, mt);
	return true;
}

void sim_lru_add(struct sim *s, unsigned cpu, uint64_t key, unsigned order,
		 enum lru_kind kind)
{
	if (!vt_plain(s, VT_LRU_ADD, cpu, key, order, (int)kind))
		model_op(s, SIMQ_LRU_ADD, cpu, key, order, (int)kind);
}

void sim_lru_touch(struct sim *s, unsigned cpu, uint64_t key, unsigned order,
		   enum lru_kind kind)
{
	if (!s->cfg.vt)
		model_op(s, SIMQ_LRU_TOUCH, cpu, key, order, (int)kind);
}

void sim_lru_free(struct sim *s, unsigned cpu, uint64_t key, unsigned order)
{
	if (!vt_plain(s, VT_LRU_FREE, cpu, key, order, 0))
		model_op(s, SIMQ_LRU_FREE, cpu, key, order, 0);
}

void sim_slab_alloc(struct sim *s, unsigned cpu, uint64_t key,
		    enum slab_cache_id id, bool shrinkable)
{
	if (!vt_plain(s, VT_ALLOC, cpu, key, 0, slab_spec(id)->mt))
		model_op(s, SIMQ_SLAB_ALLOC, cpu, key, 0,
			 (int)id | (shrinkable ? SIMQ_SLAB_SHRINKABLE : 0));
}

void sim_slab_free(struct sim *s, unsigned cpu, uint64_t key)
{
	if (!vt_plain(s, VT_FREE, cpu, key, 0, 0))
		model_op(s, SIMQ_SLAB_FREE, cpu, key, 0, 0);
}

void sim_demand(struct sim *s, unsigned cpu, uint64_t key, unsigned order,
		unsigned phase)
{
	if (order <= s->max_order &&
	    vt_plain(s, VT_ALLOC, cpu, key, order, PA_MT_MOVABLE))
		return;
	if (!s->cfg.vt)
		model_op(s, SIMQ_DEMAND, cpu, key, order, (int)phase);
}

void sim_pcp_decay(struct sim *s, unsigned cpu)
{
	if (!s->cfg.vt)
		model_op(s, SIMQ_PCP_DECAY, cpu, 0, 0, 0);
}

void sim_demand_release(struct sim *s)
{
	if (!s->cfg.vt)
		model_op(s, SIMQ_DEMAND_RELEASE, 0, 0, 0, 0);
}

/* A worker thread's share of a batch: everything, on its own policy. */
static void apply_batch(void *arg, unsigned worker, const struct simq_op *ops,
			unsigned n)
{
	struct sim *s = arg;
	struct sim_policy *p = &s->pol[worker];

	apply_ops(s, p, ops, n);
	p->replay_cpu_ns = sim_thread_cpu_ns();
}

static void apply_ops(struct sim *s, struct sim_policy *p,
		      const struct simq_op *ops, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const struct simq_op *op = &ops[i];

		/* the map misses the cache on nearly every request: start
		 * loading the slot of a request a little ahead */
		if (i + SIM_PREFETCH < n)
			pfnmap_prefetch(&p->map, ops[i + SIM_PREFETCH].arg);
		if (op->kind & SIMQ_F_TIME)
			sim_time_one(p, op->t_ns);
		switch (op->kind & ~SIMQ_F_TIME) {
		case SIMQ_ALLOC:
			sim_alloc_one(s, p, op->cpu, op->arg, op->order, op->mt);
			break;
		case SIMQ_FREE:
			sim_free_one(s, p, op->cpu, op->arg, op->order);
			break;
		case SIMQ_FREE_BULK:
			i += apply_bulk_run(s, p, op, n - i) - 1;
			break;
		case SIMQ_TIME:
			break;
		default:
			apply_model_op(s, p, op->kind & ~SIMQ_F_TIME, op->cpu,
				       op->arg, op->order, op->mt);
			break;
		}
	}
}

/* The end of one policy's run: last sample and the end figures. */
static void finish_one(struct sim *s, struct sim_policy *p)
{
	release_1g(s, p);
	take_sample(p, s->now_ns, true);
	pa_stats(p->zone, &p->stats);
	p->stats.zone_lock.acquisitions -= p->sample_lock_acq;
	pa_frag(p->zone, &p->frag_end);
	pa_frag_index(p->zone, &p->index_end);
	for (unsigned r = 0; r < SIM_NR_REPORTS; r++)
		keep_report(p->report_end, p->zone, (enum sim_report)r);
	keep_peak_reports(p);
	p->c.live_blocks = p->map.count;
	p->c.live_pages = 0;
	for (uint64_t j = 0; j <= p->map.mask; j++)
		if (p->map.slots[j].key != PFNMAP_EMPTY)
			p->c.live_pages += 1ull << p->map.slots[j].order;
	p->nr_pageblocks = p->stats.nr_pageblocks;
	free(p->pb_map);
	p->pb_map = malloc(p->nr_pageblocks ? p->nr_pageblocks : 1);
	if (p->pb_map)
		p->nr_pageblocks = pa_pageblock_map(p->zone, 0, p->pb_map,
						    p->nr_pageblocks);
	else
		p->nr_pageblocks = 0;
	/* destructive (it compacts and allocates): only when asked, after
	 * every end figure is taken */
	if (p->compact || p->measure_contig) {
		/* the measurement reclaims too: the figures stay the run's */
		struct lru_counts lc = p->lru.c;
		struct slab_counts sc = p->slab.c_;
		uint64_t reclaimed = p->reclaimed_pages;

		sim_compact_finish(p);
		p->lru.c = lc;
		p->slab.c_ = sc;
		p->reclaimed_pages = reclaimed;
	}
}

uint64_t sim_thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct finish_arg {
	struct sim *s;
	struct sim_policy *p;
};

static void *finish_thread(void *arg)
{
	struct finish_arg *a = arg;
	uint64_t t0 = sim_thread_cpu_ns();

	finish_one(a->s, a->p);
	a->p->finish_cpu_ns = sim_thread_cpu_ns() - t0;
	return NULL;
}

/* The end figures of every policy at once, one thread each (the zones
 * are independent): on a full 256 GiB machine each policy's compaction
 * and 1 GiB allocations take minutes.  In turn if a thread cannot
 * start; the figures are the same either way. */
static void finish_all(struct sim *s)
{
	struct finish_arg a[PA_POLICY_NR];
	pthread_t t[PA_POLICY_NR];
	bool started[PA_POLICY_NR] = { false };

	for (unsigned i = 0; i < s->npol; i++) {
		a[i] = (struct finish_arg){ s, &s->pol[i] };
		started[i] = s->npol > 1 &&
			     pthread_create(&t[i], NULL, finish_thread, &a[i]) == 0;
	}
	for (unsigned i = 0; i < s->npol; i++) {
		if (started[i])
			pthread_join(t[i], NULL);
		else
			finish_thread(&a[i]);
	}
}

void sim_finish(struct sim *s)
{
	if (s->q && s->time_pending)
		queue_op(s, SIMQ_TIME, 0, 0, 0, 0);
	/* the threads are done with the zones once stopped */
	simq_stop(s->q);
	s->q = NULL;
	if (s->cfg.vt)
		vtime_run(s->cfg.vt, s);
	finish_all(s);
}

int sim_check(struct sim *s, char *msg, size_t len)
{
	for (unsigned i = 0; i < s->npol; i++) {
		struct sim_policy *p = &s->pol[i];
		struct pa_stats st;
		uint64_t live = p->warm_held_pages;
		char why[200];

		if (pa_check(p->zone, why, sizeof(why)) < 0) {
			snprintf(msg, len, "%s: pa_check: %s",
				 pa_policy_name(p->policy), why);
			return -EUCLEAN;
		}
		pa_stats(p->zone, &st);
		for (uint64_t j = 0; j <= p->map.mask; j++)
			if (p->map.slots[j].key != PFNMAP_EMPTY)
				live += 1ull << p->map.slots[j].order;
		if (st.allocated_pages != live) {
			snprintf(msg, len, "%s: zone says %llu pages allocated, "
				 "the replay holds %llu", pa_policy_name(p->policy),
				 (unsigned long long)st.allocated_pages,
				 (unsigned long long)live);
			return -EUCLEAN;
		}
		if (st.free_pages + st.pcp_pages + st.allocated_pages !=
		    st.managed_pages) {
			snprintf(msg, len, "%s: free %llu + pcp %llu + allocated "
				 "%llu != managed %llu", pa_policy_name(p->policy),
				 (unsigned long long)st.free_pages,
				 (unsigned long long)st.pcp_pages,
				 (unsigned long long)st.allocated_pages,
				 (unsigned long long)st.managed_pages);
			return -EUCLEAN;
		}
		if (lru_check(p, why, sizeof(why)) < 0 ||
		    slab_check(p, why, sizeof(why)) < 0) {
			snprintf(msg, len, "%s: %s", pa_policy_name(p->policy), why);
			return -EUCLEAN;
		}
		if (p->c.bad_frees) {
			snprintf(msg, len, "%s: %llu frees rejected (%s)",
				 pa_policy_name(p->policy),
				 (unsigned long long)p->c.bad_frees, p->first_error);
			return -EUCLEAN;
		}
	}
	if (msg && len)
		msg[0] = 0;
	return 0;
}

void sim_destroy(struct sim *s)
{
	simq_stop(s->q);
	s->q = NULL;
	for (unsigned i = 0; i < s->npol; i++) {
		struct sim_policy *p = &s->pol[i];

		for (unsigned k = 0; k < 2; k++)
			if (p->zone && p->shrinker_id[k] > 0)
				pa_unregister_shrinker(p->zone, p->shrinker_id[k]);
		pa_zone_destroy(p->zone);
		pfnmap_destroy(&p->map);
		sim_owner_destroy(p);
		sim_reporting_destroy(p);
		lru_destroy(&p->lru);
		slab_destroy(&p->slab);
		free(p->held_1g);
		p->held_1g = NULL;
		free(p->pb_map);
		for (unsigned r = 0; r < SIM_NR_REPORTS; r++) {
			free(p->report_end[r]);
			free(p->report_peak[r]);
			p->report_end[r] = p->report_peak[r] = NULL;
		}
		p->zone = NULL;
		p->pb_map = NULL;
	}
	s->npol = 0;
}

int sim_parse_option(int c, const char *arg, struct sim_config *cfg,
		     const char **policies, char *err, size_t len)
{
	switch (c) {
	case 'p':
		*policies = arg;
		return 0;
	case 'm':
		if (size_parse(arg, &cfg->bytes) < 0) {
			snprintf(err, len, "--mem: bad size \"%s\" (e.g. 4G, 256G, 1T)", arg);
			return -EINVAL;
		}
		return 0;
	case 'C':
		cfg->compact = true;
		return 0;
	case 'R':
		cfg->report_free = true;
		/* above the zones' max order pa_report_free() refuses every
		 * pass: the report said 0 passes without a word */
		return opt_uint("--report-free", arg, 0,
				pa_config_default().max_order,
				&cfg->report_free_order, err, len);
	case 'c':
		return opt_uint("--cpus", arg, 1, PA_MAX_CPUS, &cfg->ncpus, err, len);
	}
	snprintf(err, len, "unknown option");
	return -EINVAL;
}

