/* SPDX-License-Identifier: MIT */
/*
 * fuzz_zone: the fuzz target.  A tiny zone driven by arbitrary bytes,
 * checked against the shadow model of tests/model.h, under the policy the
 * input picks among those the library accepts (or one the caller forces:
 * the corpus replay runs every input under every policy).
 *
 * Input: two configuration bytes, then a stream of operations, each an
 * opcode byte and three argument bytes (missing bytes read as 0).
 *   c0: bits 0-2 geometry (bit 6 set: one of four 128-page geometries
 *       instead), bits 3-4 CPUs 1..4, bit 5 watermarks on;
 *   c1: bit 1 no per-CPU lists (unless bit 0), bit 2 PA_CFG_STRICT, bit 4
 *       the CPU the process runs on (0 or 1: the nolock calls and
 *       pa_alloc/pa_free use it, so an input means the same run every
 *       time), bits 0, 6, 7 the policy: the k-th accepted one, modulo.
 * Operations: allocations of any order (max_order + 1 included), any gfp
 * (unknown bits included) on any CPU slot (one past the last included),
 * through pa_alloc, pa_alloc_cpu and pa_alloc_nolock; frees of live blocks
 * through pa_free, pa_free_cpu and pa_free_nolock; bad frees (wrong order,
 * tail pfn, double free, pfn out of range, unaligned pfn, order out of
 * range, anything the model says is not a live block); pa_drain,
 * pa_drain_cpu, pa_cpu_offline/online (toggling, or repeating a state),
 * pa_pcp_tick, pa_pcp_fill, pa_stats_reset.
 *
 * What include/pagealloc.h promises and this target asserts (abort() on a
 * violation, after printing what went wrong):
 *   - a returned block is aligned to its order and entirely free in the
 *     model; an invalid order, gfp or CPU never yields a block; without
 *     watermarks, an allocation that may take locks fails only if the
 *     model has no aligned free block of its order;
 *   - a free of exactly a live block on a valid CPU returns 0, any other
 *     free returns -EINVAL, passes one line to the error hook and leaves
 *     the page counts unchanged;
 *   - pa_drain_cpu, pa_cpu_offline/online and pa_pcp_fill return -EINVAL
 *     for a bad CPU (pa_pcp_fill also for unknown gfp bits), hotplug 0 for
 *     a good one whatever its state, pa_pcp_fill -ENODEV without per-CPU
 *     lists or on an offline CPU, else at most the pages asked for (one
 *     pageblock more once the zone has blocks owned by a pageset);
 *   - every error message is one non-empty line;
 *   - allocated pages in pa_stats equal the model's, free + per-CPU +
 *     allocated == managed, and pa_check() is 0 every 16 operations and at
 *     the end;
 *   - once every live block is freed, every CPU online again and the
 *     pagesets drained, nothing is allocated or cached and every page is
 *     free in the zone.
 *
 * fuzz_zone_run() is plain C: tests/test_fuzz_corpus.c replays the
 * committed corpus (tests/fuzz/corpus) through it under every policy; with
 * PA_LIBFUZZER this file is also the libFuzzer target (scripts/fuzz.sh).
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../config.h"
#include "../model.h"
#include "../policies.h"
#include "pagealloc.h"

/*
 * Run one input.  policy < 0: the input picks it; else that policy, and
 * an input whose configuration it does not accept is not run (returns 1).
 * label (may be NULL) starts every failure message.  Returns 0 when the
 * input ran clean; abort()s on a violation.
 */
int fuzz_zone_run(const uint8_t *data, size_t size, int policy,
		  const char *label);

/* Cursor over the input; reads past the end give 0. */
struct fz_in {
	const uint8_t *p, *end;
};

/* Error hook bookkeeping: how many messages, and whether each was one
 * non-empty line. */
struct fz_errs {
	unsigned long count;
	unsigned long malformed;
	int last_err;
};

/* Recently freed blocks, for double frees. */
#define FZ_FREED_RING 8

struct fz_state {
	struct pa_zone *z;
	struct tm_model m;
	struct pa_config cfg;
	struct fz_errs errs;
	uint64_t managed;
	unsigned online; /* bitmask of online CPU slots */
	uint64_t freed_pfn[FZ_FREED_RING];
	unsigned freed_order[FZ_FREED_RING];
	unsigned nfreed;
	unsigned long op; /* operation number, for messages */
	const char *label;
	bool owns_blocks; /* see fz_owns_blocks() */
};

static unsigned fz_byte(struct fz_in *in)
{
	return in->p < in->end ? *in->p++ : 0;
}

static void fz_error_hook(void *arg, int err, const char *msg)
{
	struct fz_errs *e = arg;

	e->count++;
	e->last_err = err;
	if (!msg || !msg[0] || strchr(msg, '\n'))
		e->malformed++;
}

static void fz_die(struct fz_state *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static void fz_die(struct fz_state *s, const char *fmt, ...)
{
	char msg[512] = "";
	va_list ap;

	fprintf(stderr, "fuzz_zone: %s%spolicy %s, op %lu: ",
		s->label ? s->label : "", s->label ? ": " : "",
		pa_policy_name(s->cfg.policy) ? pa_policy_name(s->cfg.policy)
					      : "?", s->op);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (s->z) {
		int rc = pa_check(s->z, msg, sizeof(msg));

		fprintf(stderr, "\nfuzz_zone: pa_check = %d %s\n", rc, msg);
	} else {
		fputc('\n', stderr);
	}
	abort();
}

static void fz_check(struct fz_state *s)
{
	char msg[512] = "";
	struct pa_stats st;

	if (pa_check(s->z, msg, sizeof(msg)) != 0)
		fz_die(s, "pa_check failed: %s", msg);
	pa_stats(s->z, &st);
	if (st.allocated_pages != s->m.allocated_pages)
		fz_die(s, "allocated_pages %" PRIu64 ", model %" PRIu64,
		       st.allocated_pages, s->m.allocated_pages);
	if (st.free_pages + st.pcp_pages + st.allocated_pages != s->managed)
		fz_die(s, "free %" PRIu64 " + pcp %" PRIu64 " + allocated %" PRIu64
		       " != managed %" PRIu64, st.free_pages, st.pcp_pages,
		       st.allocated_pages, s->managed);
	if (s->errs.malformed)
		fz_die(s, "%lu error messages were not one non-empty line",
		       s->errs.malformed);
}

static bool fz_cpu_ok(const struct fz_state *s, unsigned cpu)
{
	return cpu < s->cfg.ncpus;
}

/* A CPU slot from a byte: mostly valid, sometimes one or more past the end. */
static unsigned fz_cpu(const struct fz_state *s, unsigned b)
{
	if (b >= 0xf0)
		return s->cfg.ncpus + (b & 0x0f);
	return b % s->cfg.ncpus;
}

/* A gfp from a byte: the six defined bits, or one unknown bit with them. */
static unsigned fz_gfp(unsigned b)
{
	unsigned gfp = b & PA_GFP_MASK;

	if (b & 0x80)
		gfp |= 0x40u << ((b >> 6) & 1) << (b & 7);
	return gfp;
}

/* ------------------------------------------------------------------ */
/* Allocation                                                          */
/* ------------------------------------------------------------------ */

enum fz_via { FZ_VIA_PLAIN, FZ_VIA_CPU, FZ_VIA_NOLOCK };

static void fz_alloc(struct fz_state *s, enum fz_via via, unsigned ob,
		     unsigned gb, unsigned cb)
{
	unsigned order = ob % (s->cfg.max_order + 2); /* one too large too */
	unsigned gfp = fz_gfp(gb);
	unsigned cpu = fz_cpu(s, cb);
	bool valid = order <= s->cfg.max_order && !(gfp & ~PA_GFP_MASK);
	uint64_t pfn;

	switch (via) {
	case FZ_VIA_CPU:
		valid = valid && fz_cpu_ok(s, cpu);
		pfn = pa_alloc_cpu(s->z, cpu, order, gfp);
		break;
	case FZ_VIA_NOLOCK:
		pfn = pa_alloc_nolock(s->z, order, gfp);
		break;
	default:
		pfn = pa_alloc(s->z, order, gfp);
		break;
	}
	if (pfn == PA_NO_PFN) {
		/* Without watermarks a valid allocation that may take locks
		 * (the allocator drains the pagesets before failing) fails
		 * only when no aligned block of its order is free; under spb
		 * a non-movable PA_GFP_NORETRY one may also refuse to taint a
		 * clean superpageblock. */
		bool may_refuse = s->cfg.policy == PA_POLICY_SPB &&
				  (gfp & PA_GFP_NORETRY) && !(gfp & PA_GFP_MOVABLE);

		if (valid && via != FZ_VIA_NOLOCK && !(gfp & PA_GFP_NOLOCK) &&
		    !may_refuse &&
		    (s->cfg.flags & PA_CFG_NO_WATERMARKS) &&
		    tm_fits(&s->m, order, NULL))
			fz_die(s, "alloc order %u gfp %#x cpu %u (via %d) failed "
			       "with an aligned block free (%" PRIu64 " of %"
			       PRIu64 " pages allocated)", order, gfp, cpu,
			       (int)via, s->m.allocated_pages, s->managed);
		return;
	}
	if (!valid)
		fz_die(s, "alloc order %u gfp %#x cpu %u (via %d) is invalid "
		       "but returned pfn %" PRIu64, order, gfp, cpu, (int)via, pfn);
	if (pfn & ((UINT64_C(1) << order) - 1))
		fz_die(s, "alloc order %u returned unaligned pfn %" PRIu64,
		       order, pfn);
	if (!tm_range_free(&s->m, pfn, order))
		fz_die(s, "alloc order %u returned pfn %" PRIu64
		       " which is outside the zone or not free in the model",
		       order, pfn);
	tm_add(&s->m, pfn, order);
}

/* ------------------------------------------------------------------ */
/* Frees, good and bad                                                 */
/* ------------------------------------------------------------------ */

static int fz_do_free(struct fz_state *s, enum fz_via via, unsigned cpu,
		      uint64_t pfn, unsigned order)
{
	switch (via) {
	case FZ_VIA_CPU:
		return pa_free_cpu(s->z, cpu, pfn, order);
	case FZ_VIA_NOLOCK:
		return pa_free_nolock(s->z, pfn, order);
	default:
		return pa_free(s->z, pfn, order);
	}
}

static void fz_remember_freed(struct fz_state *s, uint64_t pfn, unsigned order)
{
	unsigned i = s->nfreed++ % FZ_FREED_RING;

	s->freed_pfn[i] = pfn;
	s->freed_order[i] = order;
}

/*
 * Free (pfn, order) and hold the result to what the model says: 0 exactly
 * when it is a live block and the CPU (if any) is valid, else -EINVAL with
 * an error message and unchanged page counts.
 */
static void fz_free(struct fz_state *s, enum fz_via via, unsigned cpu,
		    uint64_t pfn, unsigned order)
{
	/* tm_is_live() alone would match order TM_NOT_HEAD on any free pfn. */
	bool legit = order <= s->cfg.max_order && tm_is_live(&s->m, pfn, order) &&
		     (via != FZ_VIA_CPU || fz_cpu_ok(s, cpu));
	struct pa_stats before, after;
	unsigned long errs = s->errs.count;
	int rc;

	if (!legit)
		pa_stats(s->z, &before);
	rc = fz_do_free(s, via, cpu, pfn, order);
	if (legit) {
		if (rc != 0)
			fz_die(s, "free of live block pfn %" PRIu64 " order %u "
			       "(via %d, cpu %u) returned %d", pfn, order,
			       (int)via, cpu, rc);
		tm_remove(&s->m, pfn);
		fz_remember_freed(s, pfn, order);
		return;
	}
	if (rc != -EINVAL)
		fz_die(s, "bad free pfn %" PRIu64 " order %u (via %d, cpu %u) "
		       "returned %d, expected -EINVAL", pfn, order, (int)via,
		       cpu, rc);
	if (s->errs.count == errs)
		fz_die(s, "bad free pfn %" PRIu64 " order %u (via %d) was not "
		       "reported to the error hook", pfn, order, (int)via);
	pa_stats(s->z, &after);
	if (after.free_pages != before.free_pages ||
	    after.pcp_pages != before.pcp_pages ||
	    after.allocated_pages != before.allocated_pages)
		fz_die(s, "bad free pfn %" PRIu64 " order %u changed the zone: "
		       "free %" PRIu64 "->%" PRIu64 " pcp %" PRIu64 "->%" PRIu64
		       " allocated %" PRIu64 "->%" PRIu64, pfn, order,
		       before.free_pages, after.free_pages, before.pcp_pages,
		       after.pcp_pages, before.allocated_pages,
		       after.allocated_pages);
}

static uint64_t fz_pick_live(const struct fz_state *s, unsigned hi, unsigned lo)
{
	return s->m.live[((hi << 8) | lo) % s->m.nlive];
}

static void fz_free_live(struct fz_state *s, enum fz_via via, unsigned pb_hi,
			 unsigned pb_lo, unsigned cb)
{
	if (!s->m.nlive)
		return;
	uint64_t pfn = fz_pick_live(s, pb_hi, pb_lo);

	fz_free(s, via, fz_cpu(s, cb), pfn, s->m.head[pfn]);
}

/* A bad free chosen as tests/fuzz/fuzz_api.c did (x, y its bytes): past
 * the end, unaligned, wrong order, a tail page, or any block not live.
 * False when the choice is not a bad free (nothing to do). */
static bool fz_bad_free_classic(const struct fz_state *s, unsigned x,
				unsigned y, uint64_t *pfn, unsigned *order)
{
	uint64_t n = s->managed;

	switch (y % 5) {
	case 0:
		*pfn = n + x;
		*order = 0;
		return true;
	case 1:
		*pfn = (x % n) | 1;
		*order = 1 + y % 3;
		return true;
	case 2:
		if (!s->m.nlive)
			return false;
		*pfn = s->m.live[x % s->m.nlive];
		*order = s->m.head[*pfn] + 1u;
		return true;
	case 3:
		if (!s->m.nlive)
			return false;
		*pfn = s->m.live[x % s->m.nlive];
		if (!s->m.head[*pfn])
			return false;
		*pfn += 1;
		*order = 0;
		return true;
	default:
		*pfn = x % n;
		*order = y % (s->cfg.max_order + 2);
		return !tm_is_live(&s->m, *pfn, *order);
	}
}

static void fz_bad_free(struct fz_state *s, unsigned kind, enum fz_via via,
			unsigned a, unsigned b, unsigned cb)
{
	unsigned cpu = fz_cpu(s, cb);
	unsigned max = s->cfg.max_order;
	uint64_t pfn = 0;
	unsigned order = 0;

	switch (kind & 7) {
	case 0: /* live block, wrong order */
		if (!s->m.nlive)
			return;
		pfn = fz_pick_live(s, a, 0);
		order = s->m.head[pfn];
		order = (b & 1) ? order + 1 + b % 3 : (order ? order - 1 : 1);
		break;
	case 1: /* a tail page of a live block */
		if (!s->m.nlive)
			return;
		pfn = fz_pick_live(s, a, 0);
		order = s->m.head[pfn];
		if (!order)
			return;
		pfn += 1 + b % ((UINT64_C(1) << order) - 1);
		order = b & 0x80 ? 0 : order;
		break;
	case 2: /* double free (or a block since reallocated: the model says) */
		if (!s->nfreed)
			return;
		pfn = s->freed_pfn[a % (s->nfreed < FZ_FREED_RING
					       ? s->nfreed : FZ_FREED_RING)];
		order = s->freed_order[a % (s->nfreed < FZ_FREED_RING
						    ? s->nfreed : FZ_FREED_RING)];
		break;
	case 3: /* out of range */
		order = b % (max + 1);
		if (a & 0x80)
			pfn = UINT64_MAX - (a & 0x7f);
		else
			pfn = (s->managed + ((uint64_t)a << order)) &
			      ~((UINT64_C(1) << order) - 1);
		if (pfn < s->managed)
			pfn = s->managed;
		break;
	case 4: /* unaligned */
		order = 1 + b % max;
		pfn = (((uint64_t)a << order) | (1u + b % ((1u << order) - 1))) %
		      s->managed;
		break;
	case 5: /* order out of range */
		pfn = s->m.nlive ? fz_pick_live(s, a, 0) : a % s->managed;
		order = max + 1 + (b & 0x80 ? b : b % 4);
		break;
	case 6: /* anything at all: the model decides */
		pfn = ((uint64_t)a << 8 | b) % (s->managed + 4);
		order = (cb >> 4) % (max + 2);
		break;
	default: /* the first fuzz target's kinds, which its corpus uses */
		if (!fz_bad_free_classic(s, a, b, &pfn, &order))
			return;
		break;
	}
	fz_free(s, via, cpu, pfn, order);
}

/* ------------------------------------------------------------------ */
/* Per-CPU pagesets and CPUs                                           */
/* ------------------------------------------------------------------ */

static void fz_drain_cpu(struct fz_state *s, unsigned cb)
{
	unsigned cpu = fz_cpu(s, cb);
	int rc = pa_drain_cpu(s->z, cpu);

	if (fz_cpu_ok(s, cpu) ? rc != 0 : rc != -EINVAL)
		fz_die(s, "pa_drain_cpu(%u) = %d with %u CPUs", cpu, rc,
		       s->cfg.ncpus);
}

/* Toggle a CPU, or with `set` put it in state `online` whatever it was:
 * offlining an offline CPU (or onlining an online one) is allowed too. */
static void fz_hotplug(struct fz_state *s, unsigned cb, bool set, bool online)
{
	unsigned cpu = fz_cpu(s, cb);
	bool was_online = fz_cpu_ok(s, cpu) && (s->online & (1u << cpu));
	bool to_online = set ? online : !was_online;
	int rc = to_online ? pa_cpu_online(s->z, cpu) : pa_cpu_offline(s->z, cpu);

	if (!fz_cpu_ok(s, cpu)) {
		if (rc != -EINVAL)
			fz_die(s, "pa_cpu_o%sline(%u) = %d with %u CPUs",
			       to_online ? "n" : "ff", cpu, rc, s->cfg.ncpus);
		return;
	}
	if (rc != 0)
		fz_die(s, "pa_cpu_%s(%u) = %d (was %s)",
		       to_online ? "online" : "offline", cpu, rc,
		       was_online ? "online" : "offline");
	if (to_online)
		s->online |= 1u << cpu;
	else
		s->online &= ~(1u << cpu);
}

/*
 * Has this zone shown that its policy refills per-CPU pagesets by whole
 * pageblocks (as pcpbuddy does)?  Public signs: a pageblock owned in the
 * map, or pageblocks claimed or refills served by the pcpbuddy phases in
 * pa_stats (zero under mainline).  Sticky: a reset or a disown later does
 * not change what the policy is.
 */
static bool fz_owns_blocks(struct fz_state *s)
{
	uint64_t n = s->managed >> s->cfg.pageblock_order;
	struct pa_stats st;
	uint8_t map[64];

	if (s->owns_blocks)
		return true;
	pa_stats(s->z, &st);
	if (st.pcpb_blocks_claimed)
		s->owns_blocks = true;
	for (unsigned i = 0; i < sizeof(st.pcpb_phase) / sizeof(st.pcpb_phase[0]); i++)
		if (st.pcpb_phase[i])
			s->owns_blocks = true;
	for (uint64_t first = 0; first < n && !s->owns_blocks;
	     first += sizeof(map)) {
		uint64_t got = pa_pageblock_map(s->z, first, map, sizeof(map));

		for (uint64_t i = 0; i < got; i++)
			if (map[i] & PA_PB_OWNED)
				s->owns_blocks = true;
	}
	return s->owns_blocks;
}

static void fz_fill(struct fz_state *s, unsigned cb, unsigned pages,
		    unsigned gb)
{
	unsigned cpu = fz_cpu(s, cb);
	unsigned gfp = fz_gfp(gb);
	int rc;

	fz_owns_blocks(s); /* before a pa_stats_reset() could hide it */
	rc = pa_pcp_fill(s->z, cpu, pages, gfp);
	if (!fz_cpu_ok(s, cpu) || (gfp & ~PA_GFP_MASK)) {
		if (rc != -EINVAL)
			fz_die(s, "pa_pcp_fill(cpu %u, gfp %#x) = %d, expected "
			       "-EINVAL", cpu, gfp, rc);
		return;
	}
	if ((s->cfg.flags & PA_CFG_NO_PCP) || !(s->online & (1u << cpu))) {
		if (rc != -ENODEV)
			fz_die(s, "pa_pcp_fill(cpu %u) without a pageset = %d, "
			       "expected -ENODEV", cpu, rc);
		return;
	}
	/* a policy that claims whole pageblocks may add up to one more than
	 * asked, as the header documents */
	if (rc > 0 && (unsigned)rc > pages &&
	    (unsigned)rc <= pages + (1u << s->cfg.pageblock_order) &&
	    fz_owns_blocks(s))
		return;
	if (rc < 0 || (unsigned)rc > pages)
		fz_die(s, "pa_pcp_fill(cpu %u, %u pages) = %d", cpu, pages, rc);
}

/* ------------------------------------------------------------------ */
/* Setup and the interpreter                                           */
/* ------------------------------------------------------------------ */

/* pageblocks, pageblock_order, max_order: all tiny, some with a partial
 * max-order block at the end; then four of 128 pages (c0 bit 6). */
static const unsigned fz_geometry[12][3] = {
	{ 1, 3, 3 }, { 2, 3, 4 }, { 4, 2, 4 }, { 3, 2, 3 },
	{ 4, 4, 6 }, { 5, 3, 5 }, { 8, 1, 3 }, { 2, 5, 5 },
	{ 16, 3, 4 }, { 32, 2, 5 }, { 8, 4, 6 }, { 4, 5, 5 },
};

static const unsigned *fz_geometry_of(unsigned c0)
{
	return fz_geometry[(c0 & 0x40) ? 8 + (c0 & 3) : c0 & 7];
}

/* The configuration c0 and c1 describe, policy not yet chosen. */
static struct pa_config fz_config(unsigned c0, unsigned c1)
{
	const unsigned *g = fz_geometry_of(c0);
	struct pa_config c = th_config(g[0], g[1], g[2], 0, 1 + ((c0 >> 3) & 3));

	c.flags = (c0 & 0x20) ? 0 : PA_CFG_NO_WATERMARKS;
	if ((c1 & 2) && !(c1 & 1))
		c.flags |= PA_CFG_NO_PCP;
	if (c1 & 4)
		c.flags |= PA_CFG_STRICT;
	return c;
}

/* Run on CPU 0 or 1 (CPU 0 if there is no second one). */
static void fz_pin(unsigned cpu)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one)) {
		CPU_ZERO(&one);
		CPU_SET(0, &one);
		sched_setaffinity(0, sizeof(one), &one);
	}
}

/* False if `policy` (>= 0) does not accept the input's configuration. */
static bool fz_setup(struct fz_state *s, unsigned c0, unsigned c1, int policy)
{
	const unsigned *g = fz_geometry_of(c0);
	char msg[256] = "";

	s->cfg = fz_config(c0, c1);
	if (policy >= 0) {
		if (!th_policy_accepts(&s->cfg, (enum pa_policy)policy))
			return false;
		s->cfg.policy = (enum pa_policy)policy;
	} else {
		s->cfg.policy = th_policy_nth(&s->cfg, (c1 & 1) |
						       ((c1 >> 5) & 6));
	}
	fz_pin((c1 >> 4) & 1);
	s->cfg.error_fn = fz_error_hook;
	s->cfg.error_arg = &s->errs;
	if (pa_config_check(&s->cfg, msg, sizeof(msg)) != 0)
		fz_die(s, "config rejected: %s", msg);
	s->z = pa_zone_create(&s->cfg);
	if (!s->z)
		fz_die(s, "pa_zone_create failed, errno %d", errno);
	s->managed = pa_managed_pages(s->z);
	if (s->managed != (uint64_t)g[0] << g[1])
		fz_die(s, "managed %" PRIu64 ", expected %u", s->managed,
		       g[0] << g[1]);
	if (tm_init(&s->m, s->managed, s->cfg.max_order))
		abort();
	s->online = (1u << s->cfg.ncpus) - 1;
	return true;
}

static void fz_finish(struct fz_state *s)
{
	struct pa_stats st;

	fz_check(s);
	while (s->m.nlive) {
		uint64_t pfn = s->m.live[s->m.nlive - 1];
		unsigned order = s->m.head[pfn];
		int rc = pa_free(s->z, pfn, order);

		if (rc != 0)
			fz_die(s, "final free pfn %" PRIu64 " order %u = %d", pfn,
			       order, rc);
		tm_remove(&s->m, pfn);
	}
	fz_check(s);
	pa_stats(s->z, &st);
	if (st.allocated_pages != 0 || st.free_pages + st.pcp_pages != s->managed)
		fz_die(s, "all freed: allocated %" PRIu64 ", free %" PRIu64
		       " + pcp %" PRIu64 " != managed %" PRIu64,
		       st.allocated_pages, st.free_pages, st.pcp_pages,
		       s->managed);
	/* onlining absorbs what still reached an offline pageset */
	for (unsigned cpu = 0; cpu < s->cfg.ncpus; cpu++)
		if (pa_cpu_online(s->z, cpu) != 0)
			fz_die(s, "final pa_cpu_online(%u) failed", cpu);
	fz_check(s);
	pa_drain(s->z);
	fz_check(s);
	pa_stats(s->z, &st);
	if (st.pcp_pages != 0 || st.free_pages != s->managed)
		fz_die(s, "all freed and drained: free %" PRIu64 " pcp %" PRIu64
		       ", managed %" PRIu64, st.free_pages, st.pcp_pages,
		       s->managed);
}

/* One operation: opcode op, argument bytes a, b, c. */
static void fz_op(struct fz_state *s, unsigned op, unsigned a, unsigned b,
		  unsigned c)
{
	/* opcodes 0-3 allocate, 4-7 free, through these entry points */
	static const enum fz_via via[4] = { FZ_VIA_CPU, FZ_VIA_CPU,
					    FZ_VIA_PLAIN, FZ_VIA_NOLOCK };

	switch (op % 16) {
	case 0: case 1: case 2: case 3:
		fz_alloc(s, via[op % 4], a, b, c);
		break;
	case 4: case 5: case 6: case 7:
		fz_free_live(s, via[op % 4], a, b, c);
		break;
	case 8:
	case 9:
		fz_bad_free(s, op >> 4, (enum fz_via)((op & 1) + ((op >> 7) & 1)),
			    a, b, c);
		break;
	case 10:
		if (op & 0x10)
			pa_drain(s->z);
		else
			fz_drain_cpu(s, a);
		break;
	case 11:
		fz_hotplug(s, a, op & 0x10, !(op & 0x20));
		break;
	case 12:
		pa_pcp_tick(s->z);
		break;
	case 13:
		fz_fill(s, a, (op & 0x10) ? b : b % 40, c);
		break;
	case 14:
		fz_owns_blocks(s);
		pa_stats_reset(s->z);
		break;
	default:
		fz_alloc(s, FZ_VIA_CPU, 0, a & PA_GFP_MASK, b);
		break;
	}
}

int fuzz_zone_run(const uint8_t *data, size_t size, int policy,
		  const char *label)
{
	struct fz_in in = { data, data + size };
	struct fz_state s;
	cpu_set_t was;
	bool pinned_was = sched_getaffinity(0, sizeof(was), &was) == 0;

	memset(&s, 0, sizeof(s));
	s.label = label;
	if (size < 2)
		return 0;
	unsigned c0 = fz_byte(&in), c1 = fz_byte(&in);

	if (!fz_setup(&s, c0, c1, policy))
		return 1;
	while (in.p < in.end) {
		unsigned op = fz_byte(&in);
		unsigned a = fz_byte(&in), b = fz_byte(&in), c = fz_byte(&in);

		s.op++;
		fz_op(&s, op, a, b, c);
		if (s.op % 16 == 0)
			fz_check(&s);
	}
	fz_finish(&s);
	pa_zone_destroy(s.z);
	tm_fini(&s.m);
	if (pinned_was)
		sched_setaffinity(0, sizeof(was), &was);
	return 0;
}

#ifdef PA_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_zone_run(data, size, -1, NULL);
	return 0;
}
#endif
