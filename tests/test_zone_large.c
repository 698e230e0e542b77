/* SPDX-License-Identifier: MIT */
/*
 * A metadata-only zone of 1 TiB, the size the lab simulates: creating it
 * is cheap (metadata is mapped lazily), metadata stays within the header's
 * 16 bytes per page plus 8 per pageblock, every order can be allocated and
 * freed, and the reports' numbers hold at this scale (64-bit counts, the
 * kernel's 100000 cap in pagetypeinfo).  pa_check() is not run here: it
 * walks 2^28 pages (about 20 s on a 2-CPU machine); the smaller zones of
 * the other tests check every invariant.  So the zone is made with
 * pa_zone_create(), not the factory (whose destroy runs pa_check), under
 * each policy the library accepts in turn, one fresh zone per case.
 */
#include "helpers.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define TIB (UINT64_C(1) << 40)

struct large {
	struct pa_zone *z;
	struct pa_config cfg; /* effective */
};

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			v = atol(line + 6);
	fclose(f);
	return v;
}

/* The case's 1 TiB zone, under its policy. */
static void large_open(void **state, struct large *l)
{
	struct pa_config c = pa_config_default();
	long before = rss_kib();

	c.bytes = TIB;
	c.backing = PA_BACKING_NONE;
	c.policy = th_policy(state);
	l->z = pa_zone_create(&c);
	if (!l->z) {
		char msg[256] = "";

		pa_config_check(&c, msg, sizeof(msg));
		fail_msg("1 TiB %s zone not created: errno %d %s",
			 th_policy_str(state), errno, msg);
	}
	pa_zone_config(l->z, &l->cfg);
	print_message("1 TiB metadata-only %s zone: resident memory +%ld KiB "
		      "after create\n", th_policy_str(state), rss_kib() - before);
}

static void large_close(struct large *l)
{
	pa_zone_destroy(l->z);
}

/* Geometry and metadata size. */
static void geometry(void **state)
{
	struct large lz, *l = &lz;
	struct pa_stats st;
	uint64_t n = TIB >> 12;

	large_open(state, l);

	assert_int_equal(pa_managed_pages(l->z), n);
	pa_stats(l->z, &st);
	assert_int_equal(st.managed_pages, n);
	assert_int_equal(st.nr_pageblocks, n >> 9);
	assert_int_equal(st.allocated_pages, 0);
	assert_int_equal(st.free_pages + st.pcp_pages, n);
	/* at most 16 bytes per page plus one pageblock record (8 bytes, 20
	 * with pcpbuddy's owner links) per pageblock plus 1 KiB per
	 * superpageblock (1 GiB): pagealloc.h's figures */
	uint64_t pb_bytes = l->cfg.policy == PA_POLICY_MAINLINE ? 8 : 20;

	assert_true(st.metadata_bytes > 0);
	if (st.metadata_bytes > 16 * n + pb_bytes * (n >> 9) + 1024 * (n >> 18))
		fail_msg("metadata %" PRIu64 " bytes for %" PRIu64
			 " pages: %.3f bytes per page, above 16 + %" PRIu64
			 "/512 + 1024/2^18",
			 st.metadata_bytes, n, (double)st.metadata_bytes / n,
			 pb_bytes);
	print_message("metadata: %" PRIu64 " bytes, %.4f per page\n",
		      st.metadata_bytes, (double)st.metadata_bytes / n);
	large_close(l);
}

/* One pagetypeinfo count: a number, or ">100000" at the kernel's cap. */
static const char *ptype_cell(const char *p, uint64_t *v, int *capped)
{
	char *end;

	*capped = 0;
	if (*p == '>') {
		*capped = 1;
		p++;
	}
	*v = strtoull(p, &end, 10);
	if (end == p || *end != ' ')
		fail_msg("bad pagetypeinfo cell at \"%.20s\"", p);
	if (*capped && *v != 100000)
		fail_msg("capped cell shows %" PRIu64 ", not 100000", *v);
	if (!*capped && *v >= 100000)
		fail_msg("count %" PRIu64 " printed without the cap", *v);
	return end + 1;
}

/*
 * The free-count rows of pagetypeinfo, checked against buddyinfo: at each
 * order the uncapped cells add up to buddyinfo's count unless a cell is
 * capped, in which case they add up to less.
 */
static void check_pagetypeinfo_against(struct large *l, const uint64_t *bi,
				       unsigned norders, uint64_t rows[][32],
				       int caps[][32])
{
	char *pti = th_report(l->z, PA_REPORT_PAGETYPEINFO, NULL);
	char head[128];
	const char *p;
	uint64_t sum[32] = { 0 };
	int anycap[32] = { 0 };

	assert_non_null(pti);
	for (unsigned t = 0; t < PA_MT_TYPES; t++) {
		snprintf(head, sizeof(head), "Node %4d, zone %8s, type %12s ", 0,
			 l->cfg.name, pa_migratetype_name(t));
		p = strstr(pti, head);
		if (!p)
			fail_msg("no row \"%s\" in:\n%s", head, pti);
		p += strlen(head);
		for (unsigned o = 0; o < norders; o++) {
			p = ptype_cell(p, &rows[t][o], &caps[t][o]);
			sum[o] += rows[t][o];
			anycap[o] |= caps[t][o];
		}
		assert_int_equal(*p, '\n');
	}
	for (unsigned o = 0; o < norders; o++) {
		if (anycap[o])
			assert_true(sum[o] <= bi[o] || bi[o] >= 100000);
		else if (sum[o] != bi[o])
			fail_msg("order %u: pagetypeinfo rows add to %" PRIu64
				 ", buddyinfo says %" PRIu64, o, sum[o], bi[o]);
	}
	free(pti);
}

static void buddyinfo(struct large *l, uint64_t *bi, unsigned norders)
{
	char *s = th_report(l->z, PA_REPORT_BUDDYINFO, NULL);
	struct pa_stats st;
	uint64_t pages = 0;

	assert_non_null(s);
	if (th_parse_buddyinfo(s, bi, norders) != (int)norders)
		fail_msg("buddyinfo does not have %u orders: %s", norders, s);
	for (unsigned o = 0; o < norders; o++)
		pages += bi[o] << o;
	pa_stats(l->z, &st);
	assert_int_equal(pages, st.free_pages);
	free(s);
}

/*
 * The fresh zone: all free memory is in max-order blocks; buddyinfo shows
 * all 2^18 of them (no cap there), and pagetypeinfo shows the row of the
 * type every pageblock has (from pa_frag) at ">100000".
 */
static void fresh_reports(void **state)
{
	struct large lz, *l = &lz;

	large_open(state, l);
	unsigned mo = l->cfg.max_order, norders = mo + 1;
	uint64_t bi[32], rows[PA_MT_TYPES][32];
	int caps[PA_MT_TYPES][32];
	struct pa_stats st;
	struct pa_frag fr;
	int only = -1;

	pa_drain(l->z);
	pa_stats(l->z, &st);
	assert_int_equal(st.allocated_pages, 0);
	buddyinfo(l, bi, norders);
	for (unsigned o = 0; o < mo; o++)
		assert_int_equal(bi[o], 0);
	assert_int_equal(bi[mo], st.managed_pages >> mo);

	assert_int_equal(pa_frag(l->z, &fr), 0);
	assert_int_equal(fr.free_pages, st.managed_pages);
	assert_int_equal(fr.free_whole_pageblocks, st.nr_pageblocks);
	assert_int_equal(fr.nr_superpageblocks,
			 st.managed_pages >> l->cfg.superpageblock_order);
	assert_int_equal(fr.free_whole_superpageblocks, fr.nr_superpageblocks);
	assert_int_equal(fr.largest_free_order, mo);
	for (unsigned t = 0; t < PA_MT_TYPES; t++)
		if (fr.pageblocks_by_mt[t] == st.nr_pageblocks)
			only = (int)t;
	assert_true(only >= 0);

	check_pagetypeinfo_against(l, bi, norders, rows, caps);
	for (unsigned t = 0; t < PA_MT_TYPES; t++)
		for (unsigned o = 0; o < norders; o++) {
			if ((int)t == only && o == mo) {
				if (!caps[t][o])
					fail_msg("%s order %u: %" PRIu64
						 " free blocks printed without "
						 "the 100000 cap",
						 pa_migratetype_name(t), o,
						 st.managed_pages >> mo);
			} else {
				assert_int_equal(rows[t][o], 0);
			}
		}
	large_close(l);
}

/* A few blocks of every order and type, all distinct and aligned; the
 * numbers add up; after freeing them everything merges back. */
static void every_order(void **state)
{
	static const unsigned gfp[3] = { 0, PA_GFP_MOVABLE, PA_GFP_RECLAIMABLE };
	struct large lz, *l = &lz;

	large_open(state, l);
	unsigned mo = l->cfg.max_order, norders = mo + 1, nb = 0;
	uint64_t blk[3 * 32][2], pages = 0, n = pa_managed_pages(l->z);
	uint64_t bi[32], rows[PA_MT_TYPES][32];
	int caps[PA_MT_TYPES][32];
	struct pa_stats st;
	struct pa_frag fr;

	for (unsigned o = 0; o <= mo; o++) {
		for (unsigned i = 0; i < 3; i++) {
			unsigned cpu = (o + i) % l->cfg.ncpus;
			uint64_t p = pa_alloc_cpu(l->z, cpu, o, gfp[i]);

			if (p == PA_NO_PFN)
				fail_msg("order %u type %u failed on 1 TiB", o, i);
			if (p % (UINT64_C(1) << o) || p + (UINT64_C(1) << o) > n)
				fail_msg("order %u at pfn %" PRIu64, o, p);
			for (unsigned k = 0; k < nb; k++) {
				uint64_t lo = blk[k][0];
				uint64_t hi = lo + (UINT64_C(1) << blk[k][1]);

				if (!(hi <= p || lo >= p + (UINT64_C(1) << o)))
					fail_msg("order %u at %" PRIu64
						 " overlaps order %" PRIu64
						 " at %" PRIu64,
						 o, p, blk[k][1], lo);
			}
			blk[nb][0] = p;
			blk[nb++][1] = o;
			pages += UINT64_C(1) << o;
		}
	}
	pa_stats(l->z, &st);
	assert_int_equal(st.allocated_pages, pages);
	assert_int_equal(st.free_pages + st.pcp_pages + st.allocated_pages, n);
	buddyinfo(l, bi, norders);
	check_pagetypeinfo_against(l, bi, norders, rows, caps);
	assert_int_equal(pa_frag(l->z, &fr), 0);
	assert_int_equal(fr.free_pages, st.free_pages);
	assert_int_equal(fr.largest_free_order, mo);
	{
		uint64_t blocks = 0;

		for (unsigned t = 0; t < PA_MT_TYPES; t++)
			blocks += fr.pageblocks_by_mt[t];
		assert_int_equal(blocks, st.nr_pageblocks);
	}

	/* bad frees are refused at this scale too */
	assert_int_equal(pa_free(l->z, n, 0), -EINVAL);
	assert_int_equal(pa_free(l->z, n - 1, 0), -EINVAL);
	assert_int_equal(pa_free(l->z, blk[nb - 1][0], (unsigned)blk[nb - 1][1] - 1),
			 -EINVAL);

	while (nb--)
		assert_int_equal(pa_free_cpu(l->z, nb % l->cfg.ncpus, blk[nb][0],
					     (unsigned)blk[nb][1]), 0);
	pa_drain(l->z);
	pa_stats(l->z, &st);
	assert_int_equal(st.allocated_pages, 0);
	assert_int_equal(st.pcp_pages, 0);
	assert_int_equal(st.free_pages, n);
	buddyinfo(l, bi, norders);
	for (unsigned o = 0; o < mo; o++)
		assert_int_equal(bi[o], 0);
	assert_int_equal(bi[mo], n >> mo);
	assert_int_equal(pa_frag(l->z, &fr), 0);
	assert_int_equal(fr.free_whole_superpageblocks, fr.nr_superpageblocks);
	large_close(l);
}

/* The zoneinfo report prints the metadata cost per page: at most 16. */
static void zoneinfo_metadata(void **state)
{
	struct large lz, *l = &lz;

	large_open(state, l);
	char *zi = th_report(l->z, PA_REPORT_ZONEINFO, NULL);
	const char *p;
	double per_page = -1;
	double pb_bytes = l->cfg.policy == PA_POLICY_MAINLINE ? 8 : 20;

	assert_non_null(zi);
	p = strstr(zi, "metadata_bytes_per_page ");
	if (!p)
		fail_msg("zoneinfo has no metadata_bytes_per_page:\n%s", zi);
	assert_int_equal(sscanf(p, "metadata_bytes_per_page %lf", &per_page), 1);
	assert_true(per_page > 0);
	/* printed rounded; plus 1 KiB per 1 GiB superpageblock */
	assert_true(per_page <= 16.0 + pb_bytes / 512 + 1024.0 / 262144 + 0.005);
	free(zi);
	large_close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		th_policy_test(geometry),
		th_policy_test(fresh_reports),
		th_policy_test(every_order),
		th_policy_test(zoneinfo_metadata),
	};

	return th_run_policy_group("zone_large", tests);
}
