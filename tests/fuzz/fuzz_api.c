/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the input is a zone configuration and a sequence of API
 * calls (allocations of any order, type, CPU and gfp, valid gfp or not;
 * frees of live blocks; every kind of bad free; nolock calls; drains,
 * ticks, fills, counter resets, CPU hotplug) run against a shadow model
 * (tests/model.h).  Any disagreement aborts: a block that is not free in
 * the model or misaligned, a bad free that succeeds or a good one that
 * fails, pa_check failing (every 16 calls and at the end), pages missing
 * once everything is freed.
 *
 * fuzz_api_run() is plain C so the corpus replays as a regression test
 * (tests/test_fuzz_corpus.c); with PA_LIBFUZZER it is a libFuzzer target
 * (scripts/fuzz.sh).
 */
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../model.h"
#include "pagealloc.h"

struct fz {
	const uint8_t *p, *end;
};

static unsigned byte(struct fz *f)
{
	return f->p < f->end ? *f->p++ : 0;
}

static void die(struct pa_zone *z, const char *what, unsigned long long a,
		unsigned long long b)
{
	char msg[256] = "";

	if (z)
		pa_check(z, msg, sizeof(msg));
	fprintf(stderr, "fuzz_api: %s (%llu, %llu); pa_check: %s\n", what, a, b,
		msg[0] ? msg : "clean");
	abort();
}

static void check(struct pa_zone *z)
{
	char msg[256];

	if (pa_check(z, msg, sizeof(msg))) {
		fprintf(stderr, "fuzz_api: pa_check: %s\n", msg);
		abort();
	}
}

int fuzz_api_run(const uint8_t *data, size_t size);
int fuzz_api_run(const uint8_t *data, size_t size)
{
	static const unsigned geo[4][3] = {
		/* pageblocks, pageblock order, max order: 128 pages each */
		{ 16, 3, 4 }, { 32, 2, 5 }, { 8, 4, 6 }, { 4, 5, 5 },
	};
	struct fz f = { data, data + size };
	unsigned a = byte(&f), b = byte(&f);
	cpu_set_t one;

	/* The nolock calls use the caller's CPU: the input pins it (bit 4 of
	 * its second byte), so an input means the same run every time and
	 * the corpus is a regression test. */
	CPU_ZERO(&one);
	CPU_SET((b & 0x10) ? 1 : 0, &one);
	if (sched_setaffinity(0, sizeof(one), &one)) {
		CPU_ZERO(&one);
		CPU_SET(0, &one);
		sched_setaffinity(0, sizeof(one), &one);
	}
	const unsigned *g = geo[a & 3];
	struct pa_config c = pa_config_default();
	struct tm_model m;

	c.pageblock_order = g[1];
	c.max_order = g[2];
	c.superpageblock_order = g[2];
	c.bytes = ((uint64_t)g[0] << g[1]) << 12;
	c.ncpus = 1 + ((a >> 2) & 3);
	c.flags = (a & 0x10) ? 0 : PA_CFG_NO_WATERMARKS;
	if (b & 1)
		c.policy = PA_POLICY_PCPBUDDY;
	else if (b & 2)
		c.flags |= PA_CFG_NO_PCP;
	if (b & 4)
		c.flags |= PA_CFG_STRICT;
	struct pa_zone *z = pa_zone_create(&c);

	if (!z)
		die(NULL, "zone creation failed", c.bytes, c.flags);
	if (tm_init(&m, pa_managed_pages(z), c.max_order))
		abort();
	unsigned ops = 0;

	while (f.p < f.end) {
		unsigned op = byte(&f), x = byte(&f), y = byte(&f);
		unsigned cpu = x % (c.ncpus + 1); /* one past the end: invalid */
		uint64_t pfn;
		unsigned order;

		switch (op % 12) {
		case 0: case 1: case 2: { /* allocation */
			static const unsigned gfps[] = { 0, PA_GFP_MOVABLE,
				PA_GFP_RECLAIMABLE, PA_GFP_ATOMIC,
				PA_GFP_MOVABLE | PA_GFP_ZERO, PA_GFP_NOLOCK, 0x40,
				PA_GFP_ATOMIC | PA_GFP_RECLAIMABLE };
			unsigned gfp = gfps[y & 7] | PA_GFP_NOWARN;
			bool nl = op % 12 == 2;

			order = (y >> 3) % 8; /* some above max_order */
			bool bad = (gfp & ~PA_GFP_MASK) || order > c.max_order ||
				   (!nl && cpu >= c.ncpus);

			pfn = nl ? pa_alloc_nolock(z, order, gfp)
				 : pa_alloc_cpu(z, cpu, order, gfp);
			if (pfn == PA_NO_PFN)
				break;
			if (bad)
				die(z, "invalid allocation succeeded", order, gfp);
			if ((pfn & ((1ull << order) - 1)) || !tm_range_free(&m, pfn, order))
				die(z, "block not free in the model", pfn, order);
			tm_add(&m, pfn, order);
			break;
		}
		case 3: case 4: case 5: /* free a live block */
			if (!m.nlive)
				break;
			pfn = m.live[((unsigned)x << 8 | y) % m.nlive];
			order = m.head[pfn];
			if (cpu >= c.ncpus)
				cpu = 0;
			if ((op % 12 == 5 ? pa_free_nolock(z, pfn, order)
					  : pa_free_cpu(z, cpu, pfn, order)) != 0)
				die(z, "free of a live block failed", pfn, order);
			tm_remove(&m, pfn);
			break;
		case 6: { /* bad free: must be refused */
			uint64_t n = pa_managed_pages(z);

			switch (y % 5) {
			case 0:
				pfn = n + x;
				order = 0;
				break;
			case 1:
				pfn = (x % n) | 1;
				order = 1 + y % 3;
				break;
			case 2:
				if (!m.nlive)
					goto skip;
				pfn = m.live[x % m.nlive];
				order = m.head[pfn] + 1;
				break;
			case 3:
				if (!m.nlive)
					goto skip;
				pfn = m.live[x % m.nlive];
				if (!m.head[pfn])
					goto skip;
				pfn++;
				order = 0;
				break;
			default:
				pfn = x % n;
				order = y % (c.max_order + 2);
				if (tm_is_live(&m, pfn, order))
					goto skip;
				break;
			}
			if (pa_free_cpu(z, cpu < c.ncpus ? cpu : 0, pfn, order) != -22)
				die(z, "bad free accepted", pfn, order);
skip:
			break;
		}
		case 7:
			if (x & 1)
				pa_drain(z);
			else if (pa_drain_cpu(z, cpu) != (cpu < c.ncpus ? 0 : -22))
				die(z, "pa_drain_cpu result", cpu, 0);
			break;
		case 8:
			if ((x & 1 ? pa_cpu_offline(z, cpu) : pa_cpu_online(z, cpu)) !=
			    (cpu < c.ncpus ? 0 : -22))
				die(z, "hotplug result", cpu, x & 1);
			break;
		case 9:
			pa_pcp_tick(z);
			break;
		case 10: {
			int r = pa_pcp_fill(z, cpu, y, PA_GFP_MOVABLE);

			if (cpu >= c.ncpus ? r != -22 : r < -19)
				die(z, "pa_pcp_fill result", cpu, (unsigned long long)r);
			break;
		}
		default:
			pa_stats_reset(z);
			break;
		}
		if (++ops % 16 == 0) {
			struct pa_stats s;

			check(z);
			pa_stats(z, &s);
			if (s.allocated_pages != m.allocated_pages)
				die(z, "allocated pages differ from the model",
				    s.allocated_pages, m.allocated_pages);
		}
	}
	check(z);
	while (m.nlive) {
		uint64_t pfn = m.live[0];

		if (pa_free(z, pfn, m.head[pfn]) != 0)
			die(z, "final free failed", pfn, m.head[pfn]);
		tm_remove(&m, pfn);
	}
	for (unsigned cpu = 0; cpu < c.ncpus; cpu++)
		pa_cpu_online(z, cpu);
	pa_drain(z);
	check(z);
	struct pa_stats s;

	pa_stats(z, &s);
	if (s.free_pages != s.managed_pages)
		die(z, "pages missing at the end", s.free_pages, s.managed_pages);
	tm_fini(&m);
	pa_zone_destroy(z);
	return 0;
}

#ifdef PA_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_api_run(data, size);
}
#endif
