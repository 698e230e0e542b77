/* SPDX-License-Identifier: MIT */
/*
 * Our /proc-style reports against the kernel's layouts
 * (../shared/reference/kernel-formats.md): each line we print is parsed
 * for its numbers and rebuilt with the kernel's format strings, and the
 * two must be identical byte for byte; the numbers must agree with
 * pa_stats(), pa_frag() and pa_pageblock_map().
 */
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static char *next_line(char **p)
{
	char *l = *p, *nl;

	if (!l || !*l)
		return NULL;
	nl = strchr(l, '\n');
	if (nl) {
		*nl = 0;
		*p = nl + 1;
	} else {
		*p = l + strlen(l);
	}
	return l;
}

static const char *const types[] = { "Unmovable", "Movable", "Reclaimable",
				     "HighAtomic", "Isolate" };

/* Check buddyinfo and pagetypeinfo of a zone; returns nothing, fails the
 * test on any difference. */
static void check_reports(struct pa_zone *z)
{
	struct pa_config cfg;
	struct pa_stats st;
	char want[512], *bi, *pti, *p, *l;
	unsigned norders;
	uint64_t counts[32], sum = 0, type_sum[32] = { 0 };

	pa_zone_config(z, &cfg);
	pa_stats(z, &st);
	norders = cfg.max_order + 1;

	/* buddyinfo: "Node %d, zone %8s " then "%6lu " per order */
	bi = th_report(z, PA_REPORT_BUDDYINFO, NULL);
	assert_non_null(bi);
	assert_int_equal(th_parse_buddyinfo(bi, counts, 32), (int)norders);
	int n = snprintf(want, sizeof(want), "Node %d, zone %8s ", 0, cfg.name);

	for (unsigned o = 0; o < norders; o++) {
		n += snprintf(want + n, sizeof(want) - (size_t)n, "%6lu ",
			      (unsigned long)counts[o]);
		sum += counts[o] << o;
	}
	snprintf(want + n, sizeof(want) - (size_t)n, "\n");
	assert_string_equal(bi, want);
	assert_int_equal(sum, st.free_pages);

	/* pagetypeinfo */
	pti = th_report(z, PA_REPORT_PAGETYPEINFO, NULL);
	assert_non_null(pti);
	p = pti;
	l = next_line(&p);
	snprintf(want, sizeof(want), "Page block order: %u", cfg.pageblock_order);
	assert_string_equal(l, want);
	l = next_line(&p);
	snprintf(want, sizeof(want), "Pages per block:  %lu",
		 1ul << cfg.pageblock_order);
	assert_string_equal(l, want);
	l = next_line(&p);
	assert_string_equal(l, "");
	l = next_line(&p);
	n = snprintf(want, sizeof(want), "%-43s ",
		     "Free pages count per migrate type at order");
	for (unsigned o = 0; o < norders; o++)
		n += snprintf(want + n, sizeof(want) - (size_t)n, "%6d ", (int)o);
	assert_string_equal(l, want);
	for (unsigned t = 0; t < 5; t++) {
		char *q;

		l = next_line(&p);
		assert_non_null(l);
		n = snprintf(want, sizeof(want), "Node %4d, zone %8s, type %12s ",
			     0, cfg.name, types[t]);
		assert_memory_equal(l, want, (size_t)n);
		q = l + n;
		for (unsigned o = 0; o < norders; o++) {
			unsigned long v = strtoul(q, &q, 10);

			n += snprintf(want + n, sizeof(want) - (size_t)n, "%s%6lu ",
				      v >= 100000 ? ">" : "", v);
			type_sum[o] += v;
		}
		assert_string_equal(l, want);
	}
	for (unsigned o = 0; o < norders; o++)
		assert_int_equal(type_sum[o], counts[o]); /* rows add up */
	l = next_line(&p);
	assert_string_equal(l, "");
	l = next_line(&p);
	n = snprintf(want, sizeof(want), "%-23s", "Number of blocks type ");
	for (unsigned t = 0; t < 5; t++)
		n += snprintf(want + n, sizeof(want) - (size_t)n, "%12s ", types[t]);
	assert_string_equal(l, want);
	l = next_line(&p);
	n = snprintf(want, sizeof(want), "Node %d, zone %8s ", 0, cfg.name);
	assert_memory_equal(l, want, (size_t)n);

	uint8_t map[4096];
	uint64_t nb = pa_pageblock_map(z, 0, map, sizeof(map)), by_type[5] = { 0 };

	for (uint64_t b = 0; b < nb; b++)
		by_type[map[b] & 0x0f]++;
	char *q = l + n;
	uint64_t blocks = 0;

	for (unsigned t = 0; t < 5; t++) {
		unsigned long v = strtoul(q, &q, 10);

		n += snprintf(want + n, sizeof(want) - (size_t)n, "%12lu ", v);
		assert_int_equal(v, by_type[t]);
		blocks += v;
	}
	assert_string_equal(l, want);
	assert_int_equal(blocks, st.nr_pageblocks);
	assert_null(next_line(&p));
	free(bi);
	free(pti);
}

/* vmstat: "name value" lines with the names the reference lists. */
static void check_vmstat(struct pa_zone *z)
{
	static const char *const names[] = {
		"nr_free_pages", "pgalloc_normal", "pgfree", "pgmigrate_success",
		"pgmigrate_fail", "compact_migrate_scanned", "compact_free_scanned",
		"compact_isolated", "compact_stall", "compact_fail",
		"compact_success", "compact_daemon_wake",
	};
	struct pa_stats st;
	char *vm = th_report(z, PA_REPORT_VMSTAT, NULL), *p = vm, *l;
	unsigned found = 0;

	assert_non_null(vm);
	pa_stats(z, &st);
	while ((l = next_line(&p))) {
		char name[64];
		unsigned long long v;
		char rebuilt[128];

		assert_int_equal(sscanf(l, "%63s %llu", name, &v), 2);
		snprintf(rebuilt, sizeof(rebuilt), "%s %llu", name, v);
		assert_string_equal(l, rebuilt);
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			found += !strcmp(name, names[i]);
		if (!strcmp(name, "nr_free_pages"))
			assert_int_equal(v, st.free_pages);
		if (!strcmp(name, "pgalloc_normal"))
			assert_int_equal(v, st.pgalloc);
	}
	assert_int_equal(found, sizeof(names) / sizeof(names[0]));
	free(vm);
}

/* zoneinfo: watermarks, metadata figure, the pagesets section. */
static void check_zoneinfo(struct pa_zone *z)
{
	struct pa_config cfg;
	struct pa_stats st;
	char *zi = th_report(z, PA_REPORT_ZONEINFO, NULL), *p;

	assert_non_null(zi);
	pa_zone_config(z, &cfg);
	pa_stats(z, &st);
	unsigned long long v;
	double per_page;

	assert_non_null(p = strstr(zi, "        min      "));
	assert_int_equal(sscanf(p, " min %llu", &v), 1);
	assert_int_equal(v, st.wmark_min);
	assert_non_null(p = strstr(zi, "metadata_bytes_per_page "));
	assert_int_equal(sscanf(p, "metadata_bytes_per_page %lf", &per_page), 1);
	/* 16 bytes per page plus at most 20 per pageblock (pcpbuddy) */
	assert_true(per_page <= 16.0 + 20.0 / (double)(1u << cfg.pageblock_order) + 0.01);
	assert_non_null(p = strstr(zi, "page_metadata_bytes "));
	assert_int_equal(sscanf(p, "page_metadata_bytes %llu", &v), 1);
	assert_true(v <= 16);
	assert_non_null(p = strstr(zi, "  pagesets\n"));
	for (unsigned c = 0; c < cfg.ncpus; c++) {
		char want[64];
		unsigned count, high, batch, hmin, hmax;

		snprintf(want, sizeof(want), "    cpu: %u\n", c);
		assert_non_null(p = strstr(p, want));
		assert_int_equal(sscanf(p + strlen(want),
					"              count:    %u\n"
					"              high:     %u\n"
					"              batch:    %u\n"
					"              high_min: %u\n"
					"              high_max: %u",
					&count, &high, &batch, &hmin, &hmax), 5);
		assert_int_equal(batch, cfg.pcp_batch);
		assert_int_equal(hmin, cfg.pcp_high_min);
		assert_int_equal(hmax, cfg.pcp_high_max);
		assert_true(high >= hmin && high <= hmax);
	}
	free(zi);
	char *ls = th_report(z, PA_REPORT_LOCKSTAT, NULL);

	assert_non_null(ls);
	assert_non_null(strstr(ls, "lock_stat version"));
	assert_non_null(strstr(ls, "\nzone->lock "));
	free(ls);
}

static void workload(struct pa_zone *z, unsigned max_order, uint64_t seed)
{
	static const unsigned gfps[] = { 0, PA_GFP_MOVABLE, PA_GFP_RECLAIMABLE };
	uint64_t pfn[400];
	unsigned ord[400], n = 0;

	for (int i = 0; i < 400; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		unsigned o = (unsigned)(seed >> 60) % (max_order + 1);
		unsigned g = gfps[(seed >> 40) % 3] | PA_GFP_NOWARN |
			     ((seed >> 20) % 7 == 0 ? PA_GFP_ATOMIC : 0);
		uint64_t p = pa_alloc(z, o > 3 && (seed >> 30) % 3 ? 0 : o, g);

		if (p != PA_NO_PFN) {
			pfn[n] = p;
			ord[n++] = o > 3 && (seed >> 30) % 3 ? 0 : o;
		}
	}
	for (unsigned i = 0; i < n; i += 2)
		assert_int_equal(pa_free(z, pfn[i], ord[i]), 0);
}

static void run(struct pa_config c)
{
	struct pa_zone *z = pa_zone_create(&c);

	assert_non_null(z);
	check_reports(z);     /* fresh */
	check_vmstat(z);
	check_zoneinfo(z);
	workload(z, c.max_order, 42);
	check_reports(z);     /* busy */
	check_vmstat(z);
	check_zoneinfo(z);
	pa_drain(z);
	check_reports(z);     /* drained */
	assert_int_equal(pa_report(z, (enum pa_report)99, stdout), -22);
	pa_zone_destroy(z);
}

static void default_geometry(void **state)
{
	(void)state;
	struct pa_config c = pa_config_default();

	c.bytes = 1ull << 30; /* 1% is 512 pages: highatomic can appear */
	c.ncpus = 2;
	run(c);
}

static void small_geometry(void **state)
{
	(void)state;
	struct pa_config c = th_config(64, 4, 6, 0, 3);

	run(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_geometry),
		cmocka_unit_test(small_geometry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
