/* SPDX-License-Identifier: MIT */
/*
 * White-box: a pcpbuddy drain takes its chunks in the order its rule
 * states (src/pcpbuddy.c, drain_pick: the largest chunk that fits, cached
 * before owned, else the smallest), checked against a reference that
 * scans every list for every pick on a snapshot of the pageset.  The
 * drain resumes its scan instead of starting again for each chunk; this
 * is the test that the shortcut picks what the full scan would.
 * Each branch of the rule is counted, so the test fails if the random
 * pagesets stop exercising one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "helpers.h"
#include "zone.h" /* white-box: the pageset lists and the drain op */

#define MAXC 4096
#define NT PA_MT_PCPTYPES

struct chunk {
	uint32_t pfn;
	unsigned o, m;
	bool owned, gone;
};

/* A list's chunks in list order (head first), as indexes into ch[]. */
struct snap {
	struct chunk ch[MAXC];
	unsigned n;
	unsigned first[PA_ORDERS_MAX][NT], len[PA_ORDERS_MAX][NT];
};

static void take_snapshot(struct pa_zone *z, unsigned cpu, struct snap *s)
{
	const struct per_cpu_pages *pcp = &z->pcp[cpu];

	s->n = 0;
	for (unsigned o = 0; o <= z->pb_order; o++)
		for (unsigned m = 0; m < NT; m++) {
			const struct pfn_list *l = &pcp->lists[o][m];
			uint32_t pfn = l->head;

			s->first[o][m] = s->n;
			s->len[o][m] = 0;
			if (pfn_list_empty(l))
				continue;
			do {
				assert_true(s->n < MAXC);
				s->ch[s->n++] = (struct chunk){
					pfn, o, m,
					(page_flags(&z->pages[pfn]) & PG_PCPBUDDY) != 0,
					false };
				s->len[o][m]++;
				pfn = z->pages[pfn].next;
			} while (pfn != l->head);
		}
}

/* List (o, m)'s candidate of kind owned: its first live chunk if owned,
 * its last live one if cached, or -1. */
static int candidate(const struct snap *s, unsigned o, unsigned m, bool owned)
{
	int lo = (int)s->first[o][m], hi = lo + (int)s->len[o][m] - 1;

	while (lo <= hi && s->ch[lo].gone)
		lo++;
	while (hi >= lo && s->ch[hi].gone)
		hi--;
	if (lo > hi)
		return -1;
	return owned ? (s->ch[lo].owned ? lo : -1) : (s->ch[hi].owned ? -1 : hi);
}

/* The rule, scanning everything; *why: 0 cached fit, 1 owned fit, 2
 * smallest. */
static int ref_pick(const struct snap *s, unsigned pb_order, int count, int *why)
{
	for (int k = 0; k < 2; k++)
		for (int o = (int)pb_order; o >= 0; o--)
			for (unsigned m = 0; m < NT && (1 << o) <= count; m++) {
				int i = candidate(s, (unsigned)o, m, k == 1);

				if (i >= 0) {
					*why = k;
					return i;
				}
			}
	*why = 2;
	for (unsigned o = 0; o <= pb_order; o++)
		for (int k = 0; k < 2; k++)
			for (unsigned m = 0; m < NT; m++) {
				int i = candidate(s, o, m, k == 1);

				if (i >= 0)
					return i;
			}
	return -1;
}

static bool still_listed(const struct snap *after, const struct chunk *c)
{
	for (unsigned i = 0; i < after->n; i++)
		if (after->ch[i].pfn == c->pfn && after->ch[i].o == c->o)
			return true;
	return false;
}

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* pcpbuddy, or spb on top of it (both drain with pcpb_drain) */
static struct pa_zone *zone(enum pa_policy pol)
{
	/* 64 pageblocks of 16 pages, 2 CPUs; high so large that no drain
	 * happens but the test's */
	struct pa_config c = th_config(64, 4, 5, PA_CFG_NO_WATERMARKS, 2);

	c.policy = pol;
	c.pcp_batch = 8;
	c.pcp_high_min = c.pcp_high_max = 4096;
	struct pa_zone *z = pa_zone_create(&c);

	assert_non_null(z);
	return z;
}

/* Random allocations of orders 0-3 on both CPUs, a random share freed
 * on either (frees of another CPU's blocks go to its remote list). */
static void churn(struct pa_zone *z, uint64_t *rng)
{
	uint64_t live[512];
	unsigned ord[512], n = 0;

	for (unsigned i = 0; i < 400; i++) {
		unsigned cpu = (unsigned)(rnd(rng) & 1);

		if (n < 512 && (n == 0 || rnd(rng) % 3)) {
			unsigned o = (unsigned)(rnd(rng) % 4);
			unsigned gfp = rnd(rng) % 4 ? PA_GFP_MOVABLE : 0;
			uint64_t pfn = pa_alloc_cpu(z, cpu, o, gfp);

			if (pfn != PA_NO_PFN) {
				live[n] = pfn;
				ord[n++] = o;
			}
			continue;
		}
		unsigned k = (unsigned)(rnd(rng) % n);

		assert_int_equal(pa_free_cpu(z, cpu, live[k], ord[k]), 0);
		live[k] = live[--n];
		ord[k] = ord[n];
	}
}

static void drain_pick_under(enum pa_policy pol)
{
	static struct snap before, after;
	unsigned compared = 0, why_seen[3] = { 0, 0, 0 };
	uint64_t rng = 12345;

	for (unsigned round = 0; round < 300; round++) {
		struct pa_zone *z = zone(pol);

		churn(z, &rng);
		/* absorb remote frees and run the merge pass now, so the
		 * measured drain's own pass has nothing new to merge */
		assert_true(z->ops->pcp_drain(z, 0, 1, 0, false));
		take_snapshot(z, 0, &before);
		if (!z->pcp[0].count) {
			pa_zone_destroy(z);
			continue;
		}
		int count = 1 + (int)(rnd(&rng) % (uint64_t)z->pcp[0].count);

		assert_true(z->ops->pcp_drain(z, 0, count, 0, false));
		take_snapshot(z, 0, &after);
		assert_check(z);

		/* the reference's picks */
		int left = count, why;

		while (left > 0) {
			int i = ref_pick(&before, z->pb_order, left, &why);

			if (i < 0)
				break;
			before.ch[i].gone = true;
			left -= 1 << before.ch[i].o;
			why_seen[why]++;
		}
		for (unsigned i = 0; i < before.n; i++)
			if (before.ch[i].gone && still_listed(&after, &before.ch[i]))
				fail_msg("%s round %u: the drain of %d pages left the order-%u chunk at %u, which the rule takes",
					 pa_policy_name(pol), round, count,
					 before.ch[i].o, before.ch[i].pfn);
		for (unsigned i = 0; i < before.n; i++) /* and nothing else */
			if (!before.ch[i].gone && !still_listed(&after, &before.ch[i]))
				fail_msg("%s round %u: the drain of %d pages took the order-%u chunk at %u, which the rule leaves",
					 pa_policy_name(pol), round, count,
					 before.ch[i].o, before.ch[i].pfn);
		compared++;
		pa_zone_destroy(z);
	}
	/* every branch of the rule was taken, and most rounds compared */
	assert_true(compared > 200);
	for (int k = 0; k < 3; k++)
		if (why_seen[k] < 5)
			fail_msg("%s: branch %d of the rule taken %u times only",
				 pa_policy_name(pol), k, why_seen[k]);
}

static void drain_takes_what_the_full_scan_picks(void **state)
{
	(void)state;
	drain_pick_under(PA_POLICY_PCPBUDDY);
	drain_pick_under(PA_POLICY_SPB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(drain_takes_what_the_full_scan_picks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
