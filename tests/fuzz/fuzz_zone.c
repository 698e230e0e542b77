/* SPDX-License-Identifier: MIT */
/*
 * fuzz_zone: a tiny zone driven by arbitrary bytes, checked against the
 * shadow model of tests/model.h.
 *
 * Input: two configuration bytes (CPUs 1..4, one of a few small
 * geometries, watermarks on or off, per-CPU lists on or off, mainline or
 * pcpbuddy), then a stream of operations, each an opcode byte and a few
 * argument bytes (missing bytes read as 0):
 *   allocations of any order (max_order + 1 included), any gfp (unknown
 *   bits included) on any CPU slot (one past the last included), through
 *   pa_alloc, pa_alloc_cpu and pa_alloc_nolock; frees of live blocks through
 *   pa_free, pa_free_cpu and pa_free_nolock; bad frees (wrong order, tail
 *   pfn, double free, pfn out of range, unaligned pfn, order out of range);
 *   pa_drain, pa_drain_cpu, pa_cpu_offline/online, pa_pcp_tick,
 *   pa_pcp_fill, pa_stats_reset.
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
 *     for a bad CPU (pa_pcp_fill also for unknown gfp bits), pa_pcp_fill
 *     -ENODEV without per-CPU lists or on an offline CPU, else at most the
 *     pages asked for;
 *   - allocated pages in pa_stats equal the model's, and pa_check() is 0
 *     every 16 operations and at the end;
 *   - once every live block is freed and the pagesets drained, nothing
 *     is allocated and free + per-CPU == managed, per-CPU == 0.
 *
 * fuzz_zone_run() is plain C: tests/test_fuzz_zone_corpus.c replays the
 * committed corpus through it; with PA_LIBFUZZER this file is also the
 * libFuzzer target built by scripts/fuzz-zone.sh.
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../model.h"
#include "pagealloc.h"

int fuzz_zone_run(const uint8_t *data, size_t size);

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

	fprintf(stderr, "fuzz_zone: op %lu: ", s->op);
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
		 * only when no aligned block of its order is free. */
		if (valid && via != FZ_VIA_NOLOCK && !(gfp & PA_GFP_NOLOCK) &&
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
	default: /* anything at all: the model decides */
		pfn = ((uint64_t)a << 8 | b) % (s->managed + 4);
		order = (cb >> 4) % (max + 2);
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

static void fz_hotplug(struct fz_state *s, unsigned cb)
{
	unsigned cpu = fz_cpu(s, cb);
	bool was_online = fz_cpu_ok(s, cpu) && (s->online & (1u << cpu));
	int rc = was_online ? pa_cpu_offline(s->z, cpu)
			    : pa_cpu_online(s->z, cpu);

	if (!fz_cpu_ok(s, cpu)) {
		if (rc != -EINVAL)
			fz_die(s, "pa_cpu_o%sline(%u) = %d with %u CPUs",
			       was_online ? "ff" : "n", cpu, rc, s->cfg.ncpus);
		return;
	}
	if (rc != 0)
		fz_die(s, "pa_cpu_%s(%u) = %d", was_online ? "offline" : "online",
		       cpu, rc);
	s->online ^= 1u << cpu;
}

static void fz_fill(struct fz_state *s, unsigned cb, unsigned nb, unsigned gb)
{
	unsigned cpu = fz_cpu(s, cb);
	unsigned gfp = fz_gfp(gb);
	unsigned pages = nb % 40;
	int rc = pa_pcp_fill(s->z, cpu, pages, gfp);

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
	/* pcpbuddy claims whole pageblocks: up to one more than asked, as
	 * the header documents */
	if (s->cfg.policy == PA_POLICY_PCPBUDDY && rc > 0 &&
	    (unsigned)rc <= pages + (1u << s->cfg.pageblock_order))
		return;
	if (rc < 0 || (unsigned)rc > pages)
		fz_die(s, "pa_pcp_fill(cpu %u, %u pages) = %d", cpu, pages, rc);
}

/* ------------------------------------------------------------------ */
/* Setup and the interpreter                                           */
/* ------------------------------------------------------------------ */

/* pageblocks, pageblock_order, max_order: all tiny, some with a partial
 * max-order block at the end. */
static const unsigned fz_geometry[8][3] = {
	{ 1, 3, 3 }, { 2, 3, 4 }, { 4, 2, 4 }, { 3, 2, 3 },
	{ 4, 4, 6 }, { 5, 3, 5 }, { 8, 1, 3 }, { 2, 5, 5 },
};

static void fz_setup(struct fz_state *s, unsigned c0, unsigned c1)
{
	const unsigned *g = fz_geometry[c0 & 7];
	char msg[256] = "";

	s->cfg = pa_config_default();
	s->cfg.page_shift = 12;
	s->cfg.pageblock_order = g[1];
	s->cfg.max_order = g[2];
	s->cfg.superpageblock_order = g[2];
	s->cfg.bytes = ((uint64_t)g[0] << g[1]) << 12;
	s->cfg.ncpus = 1 + ((c0 >> 3) & 3);
	s->cfg.flags = (c0 & 0x20) ? 0 : PA_CFG_NO_WATERMARKS;
	if (c1 & 1)
		s->cfg.policy = PA_POLICY_PCPBUDDY;
	else if (c1 & 2)
		s->cfg.flags |= PA_CFG_NO_PCP;
	if (c1 & 4)
		s->cfg.flags |= PA_CFG_STRICT;
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
	pa_drain(s->z);
	fz_check(s);
	pa_stats(s->z, &st);
	if (st.pcp_pages != 0 || st.free_pages != s->managed)
		fz_die(s, "all freed and drained: free %" PRIu64 " pcp %" PRIu64
		       ", managed %" PRIu64, st.free_pages, st.pcp_pages,
		       s->managed);
}

int fuzz_zone_run(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, data + size };
	struct fz_state s;

	memset(&s, 0, sizeof(s));
	if (size < 2)
		return 0;
	unsigned c0 = fz_byte(&in), c1 = fz_byte(&in);

	fz_setup(&s, c0, c1);
	while (in.p < in.end) {
		unsigned op = fz_byte(&in);
		unsigned a = fz_byte(&in), b = fz_byte(&in), c = fz_byte(&in);

		s.op++;
		switch (op % 16) {
		case 0:
		case 1:
			fz_alloc(&s, FZ_VIA_CPU, a, b, c);
			break;
		case 2:
			fz_alloc(&s, FZ_VIA_PLAIN, a, b, c);
			break;
		case 3:
			fz_alloc(&s, FZ_VIA_NOLOCK, a, b, c);
			break;
		case 4:
		case 5:
			fz_free_live(&s, FZ_VIA_CPU, a, b, c);
			break;
		case 6:
			fz_free_live(&s, FZ_VIA_PLAIN, a, b, c);
			break;
		case 7:
			fz_free_live(&s, FZ_VIA_NOLOCK, a, b, c);
			break;
		case 8:
		case 9:
			fz_bad_free(&s, op >> 4,
				    (enum fz_via)((op & 1) + ((op >> 7) & 1)),
				    a, b, c);
			break;
		case 10:
			if (op & 0x10)
				pa_drain(s.z);
			else
				fz_drain_cpu(&s, a);
			break;
		case 11:
			fz_hotplug(&s, a);
			break;
		case 12:
			pa_pcp_tick(s.z);
			break;
		case 13:
			fz_fill(&s, a, b, c);
			break;
		case 14:
			pa_stats_reset(s.z);
			break;
		default:
			fz_alloc(&s, FZ_VIA_CPU, 0, a & PA_GFP_MASK, b);
			break;
		}
		if (s.op % 16 == 0)
			fz_check(&s);
	}
	fz_finish(&s);
	pa_zone_destroy(s.z);
	tm_fini(&s.m);
	return 0;
}

#ifdef PA_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_zone_run(data, size);
}
#endif
