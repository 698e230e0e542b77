/* SPDX-License-Identifier: MIT */
/*
 * The warm start's free lists (lab/freeinfo.[ch], lab/warm_free.c): a
 * synthetic pagetypeinfo and buddyinfo read back, and a zone of every
 * policy shaped after them, its buddyinfo and pageblock types checked
 * against the capture's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "commands.h"
#include "freeinfo.h"
#include "helpers.h"
#include "replay.h"
#include "warm.h"

/* Orders 0..5, pageblock order 3: 64 pageblocks of 8 pages. */
static const char pagetypeinfo_text[] =
	"Page block order: 3\n"
	"Pages per block:  8\n"
	"\n"
	"Free pages count per migrate type at order       0      1      2      3      4      5 \n"
	"Node    0, zone      DMA, type    Unmovable      9      9      9      9      9      9 \n"
	"Node    0, zone   Normal, type    Unmovable      3      2      1      1      0      0 \n"
	"Node    0, zone   Normal, type      Movable      7      5      3      4      2      1 \n"
	"Node    0, zone   Normal, type  Reclaimable      1      1      0      0      0      0 \n"
	"Node    0, zone   Normal, type   HighAtomic      0      0      0      0      0      0 \n"
	"Node    0, zone   Normal, type      Isolate      0      0      0      0      0      0 \n"
	"Node    1, zone   Normal, type      Movable     99     99     99     99     99     99 \n"
	"\n"
	"Number of blocks type     Unmovable      Movable  Reclaimable   HighAtomic      Isolate \n"
	"Node 0, zone      DMA            1            7            0            0            0 \n"
	"Node 0, zone   Normal            6           55            3            0            0 \n";

static const char buddyinfo_text[] =
	"Node 0, zone      DMA      1      1      1      1      1      1 \n"
	"Node 0, zone   Normal     11      8      4      5      2      1 \n";

static char dir[64];

static const char *path(const char *name)
{
	static char buf[2][128];
	static int k;

	k ^= 1;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static void write_text(const char *name, const char *text)
{
	FILE *f = fopen(path(name), "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/pa_freeinfo.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	write_text("m.pagetypeinfo", pagetypeinfo_text);
	write_text("m.buddyinfo", buddyinfo_text);
	write_text("m.zoneinfo", "");
	write_text("b.buddyinfo", buddyinfo_text);
	write_text("b.zoneinfo", "");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_read_pagetypeinfo(void **state)
{
	struct freeinfo fi;
	char err[256];
	(void)state;

	assert_int_equal(freeinfo_read(path("m.pagetypeinfo"), path("m.buddyinfo"),
				       "Normal", 0, &fi, err, sizeof(err)), 0);
	assert_true(fi.have_types);
	assert_int_equal(fi.nr_orders, 6);
	assert_int_equal(fi.pageblock_order, 3);
	assert_int_equal(fi.nr_free[PA_MT_UNMOVABLE][0], 3);
	assert_int_equal(fi.nr_free[PA_MT_MOVABLE][3], 4);
	assert_int_equal(fi.nr_free[PA_MT_MOVABLE][5], 1);
	assert_int_equal(fi.nr_free[PA_MT_RECLAIMABLE][1], 1);
	assert_int_equal(fi.blocks[PA_MT_UNMOVABLE], 6);
	assert_int_equal(fi.blocks[PA_MT_MOVABLE], 55);
	assert_int_equal(fi.blocks[PA_MT_RECLAIMABLE], 3);
	/* 3+4+4+8 + 7+10+12+32+32+32 + 1+2 */
	assert_int_equal(freeinfo_pages(&fi), 147);
}

static void test_read_buddyinfo_and_errors(void **state)
{
	struct freeinfo fi;
	char err[256], p[256];
	(void)state;

	/* without pagetypeinfo: buddyinfo, every block counted Movable */
	assert_int_equal(freeinfo_read(NULL, path("m.buddyinfo"), "Normal", 0,
				       &fi, err, sizeof(err)), 0);
	assert_false(fi.have_types);
	assert_int_equal(fi.nr_free[PA_MT_MOVABLE][0], 11);
	assert_int_equal(fi.nr_free[PA_MT_MOVABLE][5], 1);
	assert_int_equal(fi.nr_free[PA_MT_UNMOVABLE][0], 0);
	assert_int_equal(freeinfo_read(NULL, path("m.buddyinfo"), "Movable", 0,
				       &fi, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no row"));
	assert_int_equal(freeinfo_read(NULL, path("none"), "Normal", 0, &fi,
				       err, sizeof(err)), -ENOENT);
	write_text("bad.buddyinfo", "Node 0, zone   Normal     11 x8\n");
	assert_int_equal(freeinfo_read(NULL, path("bad.buddyinfo"), "Normal", 0,
				       &fi, err, sizeof(err)), -EINVAL);
	write_text("big.buddyinfo", "Node 0, zone   Normal 99999999999999999\n");
	assert_int_equal(freeinfo_read(NULL, path("big.buddyinfo"), "Normal", 0,
				       &fi, err, sizeof(err)), -EINVAL);
	/* the files beside a capture's zoneinfo */
	assert_int_equal(freeinfo_beside(path("m.zoneinfo"), "pagetypeinfo", p,
					 sizeof(p)), 0);
	assert_string_equal(p, path("m.pagetypeinfo"));
	assert_int_equal(freeinfo_beside(path("b.zoneinfo"), "pagetypeinfo", p,
					 sizeof(p)), -ENOENT);
	assert_int_equal(freeinfo_beside(path("b.zoneinfo"), "buddyinfo", p,
					 sizeof(p)), 0);
	assert_int_equal(freeinfo_beside(path("m.pagetypeinfo"), "buddyinfo", p,
					 sizeof(p)), -ENOENT);
}

/*
 * A zone of 64 pageblocks shaped after the pagetypeinfo: every free block
 * placed, the zone's buddyinfo then has at least the capture's blocks per
 * order and its free pages exceed the capture's by no more than what the
 * watermarks keep free, the pageblocks of each type are as many as the
 * capture's (one more where a pageset refill claimed one; spb and pcpbuddy
 * place them their own way: at least as many non-movable), and the zone
 * passes pa_check().
 */
static void test_shape_free_lists(void **state)
{
	struct pa_config cfg = th_config(64, 3, 5, 0, 1);
	uint64_t extra[PA_MT_PCPTYPES][FREEINFO_ORDERS] = { { 0 } };
	struct pa_frag_index fx;
	struct pa_frag fr;
	struct pa_stats st;
	struct freeinfo fi;
	uint64_t wanted, placed, want_pages, free_pages = 0;
	struct pa_zone *z;
	char err[256];

	assert_int_equal(freeinfo_read(path("m.pagetypeinfo"), NULL, "Normal",
				       0, &fi, err, sizeof(err)), 0);
	z = th_zone_for(state, &cfg);
	if (!z)
		return;
	extra[PA_MT_MOVABLE][0] = 2; /* what the pagesets will take */
	assert_int_equal(warm_free_shape(z, &fi, extra, &wanted, &placed), 0);
	assert_int_equal(wanted, 3 + 2 + 1 + 1 + 7 + 2 + 5 + 3 + 4 + 2 + 1 + 1 + 1);
	assert_int_equal(placed, wanted);
	assert_check(z);
	assert_int_equal(pa_frag_index(z, &fx), 0);
	pa_stats(z, &st);
	want_pages = freeinfo_pages(&fi) + 2;
	for (unsigned o = 0; o < fi.nr_orders; o++) {
		uint64_t n = 0;

		for (unsigned mt = 0; mt < PA_MT_PCPTYPES; mt++)
			n += fi.nr_free[mt][o] + extra[mt][o];
		if (fx.nr_free[o] < n)
			fail_msg("[%s] order %u: %llu free blocks, want >= %llu",
				 th_policy_str(state), o,
				 (unsigned long long)fx.nr_free[o],
				 (unsigned long long)n);
		free_pages += fx.nr_free[o] << o;
	}
	assert_int_equal(free_pages, st.free_pages);
	if (free_pages > want_pages + st.wmark_min + 8)
		fail_msg("[%s] %llu pages free, want %llu + the watermark's %llu",
			 th_policy_str(state), (unsigned long long)free_pages,
			 (unsigned long long)want_pages,
			 (unsigned long long)st.wmark_min);
	assert_int_equal(pa_frag(z, &fr), 0);
	if (th_policy(state) == PA_POLICY_MAINLINE) {
		/* a pageset refill may claim one block more than asked */
		assert_in_range(fr.pageblocks_by_mt[PA_MT_UNMOVABLE], 6, 7);
		assert_in_range(fr.pageblocks_by_mt[PA_MT_RECLAIMABLE], 3, 4);
	} else {
		assert_true(fr.pageblocks_by_mt[PA_MT_UNMOVABLE] +
			    fr.pageblocks_by_mt[PA_MT_RECLAIMABLE] >= 6 + 3);
	}
	th_zone_destroy(z);
}

/* A 16 MiB machine of one CPU whose pageset held 40 pages, and a trace. */
static const char zoneinfo_16m[] =
	"Node 0, zone   Normal\n"
	"  pages free     900\n"
	"        min      16\n"
	"        low      20\n"
	"        high     24\n"
	"        spanned  4096\n"
	"        present  4096\n"
	"        managed  4096\n"
	"  pagesets\n"
	"    cpu: 0\n"
	"              count:    40\n"
	"              high:     256\n"
	"              batch:    8\n"
	"              high_min: 64\n"
	"              high_max: 512\n"
	"  start_pfn:           0\n";

static const char trace_16m[] =
	"  t-1 [000] ..... 2.000000: mm_page_alloc: page=x pfn=0x100 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE\n"
	"  t-1 [000] ..... 2.000001: mm_page_free: page=x pfn=0x100 order=0\n";

/* 8 pageblocks, 3 of them unmovable; 3 + 4 + 4 + 8 + 512 + 1024 free. */
static const char pagetypeinfo_16m[] =
	"Page block order: 9\n"
	"Free pages count per migrate type at order       0      1      2      3      4      5      6      7      8      9     10\n"
	"Node    0, zone   Normal, type    Unmovable      3      2      1      0      0      0      0      0      0      0      0\n"
	"Node    0, zone   Normal, type      Movable      0      0      0      1      0      0      0      0      0      1      1\n"
	"Number of blocks type     Unmovable      Movable  Reclaimable   HighAtomic      Isolate\n"
	"Node 0, zone   Normal            3            5            0            0            0\n";

static struct sim *replay_16m(struct trace_tally *t)
{
	static const char *list[1];
	struct replay_opts o = { .traces = list, .ntraces = 1 };
	struct sim *s = NULL;
	char err[512];
	double el;

	list[0] = path("r.trace");
	o.cfg.serial = true;
	assert_int_equal(sim_parse_policies("all", &o.cfg, err, sizeof(err)), 0);
	if (replay_traces(&o, &s, t, &el, err, sizeof(err)) != 0)
		fail_msg("replay: %s", err);
	return s;
}

/* The replay finds NAME.pagetypeinfo beside NAME.zoneinfo and starts
 * every policy's free lists from it (the pageset's 40 pages kept apart
 * for it); without the file, as before. */
static void test_replay_starts_from_pagetypeinfo(void **state)
{
	struct trace_tally t;
	struct sim *s;
	(void)state;

	write_text("r.trace", trace_16m);
	write_text("r.zoneinfo", zoneinfo_16m);
	s = replay_16m(&t);
	assert_true(t.warm);
	assert_false(t.warm_free);
	sim_destroy(s);
	free(s);

	write_text("r.pagetypeinfo", pagetypeinfo_16m);
	s = replay_16m(&t);
	assert_true(t.warm_free);
	/* the file read is recorded with its size and CRC, like the zoneinfo */
	assert_true(t.warm_free_types);
	assert_string_equal(t.warm_free_path, path("r.pagetypeinfo"));
	assert_int_equal(t.warm_free_bytes, strlen(pagetypeinfo_16m));
	assert_int_equal(t.warm_free_crc32,
			 crc32(crc32(0, Z_NULL, 0), (const Bytef *)pagetypeinfo_16m,
			       (uInt)strlen(pagetypeinfo_16m)));
	assert_true(t.warm_free_wanted > 3 + 2 + 1 + 1 + 1 + 1);
	assert_int_equal(t.warm_free_placed, t.warm_free_wanted);
	assert_int_equal(t.warm_pcp_rest + t.warm_pcp_seen, 40);
	for (unsigned i = 0; i < s->npol; i++) {
		struct pa_stats st;

		assert_check(s->pol[i].zone);
		pa_stats(s->pol[i].zone, &st);
		/* the memory the machine had in use stays in use */
		assert_true(st.allocated_pages > 4096 - 1560 - 16 - 40 - 64);
	}
	/* and the replay's own books agree with the zone's: that memory has
	 * no trace key (every capture with a pagetypeinfo exited 1 here) */
	{
		char msg[300];

		if (sim_check(s, msg, sizeof(msg)) != 0)
			fail_msg("sim_check: %s", msg);
	}
	sim_destroy(s);
	free(s);
	/* one without the zoneinfo's zone is an input error, not ignored */
	write_text("r.pagetypeinfo", "Node 0, zone DMA, type Movable 1 2\n");
	{
		static const char *list[1];
		struct replay_opts o = { .traces = list, .ntraces = 1 };
		char err[512];
		double el;

		list[0] = path("r.trace");
		assert_int_equal(sim_parse_policies("mainline", &o.cfg, err,
						    sizeof(err)), 0);
		assert_int_equal(replay_traces(&o, &s, &t, &el, err, sizeof(err)),
				 -EPROTONOSUPPORT);
		assert_non_null(strstr(err, "r.pagetypeinfo"));
	}
	unlink(path("r.pagetypeinfo"));
}

static char *slurp_file(const char *name)
{
	return th_slurp(path(name), NULL);
}

/* `replay --json NAME` of r.trace (mainline). */
static void replay_json(const char *name)
{
	char json[160];
	char *argv[] = { "replay", (char *)path("r.trace"), "--policy",
			 "mainline", "--quiet", "--json", json, NULL };

	snprintf(json, sizeof(json), "%s", path(name));
	assert_int_equal(th_run_redirected(cmd_replay, 7, argv, "/dev/null",
					   "/dev/null"), 0);
}

/* NAME as text with the last character of `at` (found in it) set to c. */
static void write_edited(const char *name, const char *text, const char *at,
			 char c)
{
	char *copy = strdup(text), *p = strstr(copy, at);

	assert_non_null(p);
	p[strlen(at) - 1] = c;
	write_text(name, copy);
	free(copy);
}

/* What `compare A B` prints (the caller frees). */
static char *compare(const char *a, const char *b)
{
	char pa[160], pb[160], out[160];
	char *argv[] = { "compare", pa, pb, NULL };

	snprintf(pa, sizeof(pa), "%s", path(a));
	snprintf(pb, sizeof(pb), "%s", path(b));
	snprintf(out, sizeof(out), "%s", path("cmp.txt"));
	assert_int_equal(th_run_redirected(cmd_compare, 3, argv, out,
					   "/dev/null"), 0);
	return slurp_file("cmp.txt");
}

/* The pagetypeinfo or buddyinfo read for the warm start is an input like
 * the zoneinfo: the JSON records its path, size and CRC-32, and compare
 * prints them and says when two results read different files. */
static void test_warm_inputs_recorded_and_compared(void **state)
{
	char want[160], *text;
	(void)state;

	write_text("r.trace", trace_16m);
	write_text("r.zoneinfo", zoneinfo_16m);
	write_text("r.pagetypeinfo", pagetypeinfo_16m);
	replay_json("a.json");
	text = slurp_file("a.json");
	snprintf(want, sizeof(want), "\"pagetypeinfo_bytes\": %zu, "
		 "\"pagetypeinfo_crc32\": %lu", strlen(pagetypeinfo_16m),
		 crc32(0, (const Bytef *)pagetypeinfo_16m,
		       (uInt)strlen(pagetypeinfo_16m)));
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(text, "\"buddyinfo\": null"));
	snprintf(want, sizeof(want), "\"zoneinfo_bytes\": %zu",
		 strlen(zoneinfo_16m));
	assert_non_null(strstr(text, want));
	free(text);

	/* the same inputs: said so, and each printed with its CRC */
	replay_json("a2.json");
	text = compare("a.json", "a2.json");
	assert_non_null(strstr(text, "same inputs"));
	assert_null(strstr(text, "DIFFERENT INPUTS"));
	snprintf(want, sizeof(want), "pagetypeinfo %s, %zu bytes, crc32 %lu",
		 path("r.pagetypeinfo"), strlen(pagetypeinfo_16m),
		 crc32(0, (const Bytef *)pagetypeinfo_16m,
		       (uInt)strlen(pagetypeinfo_16m)));
	assert_non_null(strstr(text, want));
	snprintf(want, sizeof(want), "zoneinfo %s, %zu bytes, crc32",
		 path("r.zoneinfo"), strlen(zoneinfo_16m));
	assert_non_null(strstr(text, want));
	free(text);

	/* one free count changed, same name: a different input */
	write_edited("r.pagetypeinfo", pagetypeinfo_16m, "Unmovable      3", '2');
	replay_json("b.json");
	text = compare("a.json", "b.json");
	assert_non_null(strstr(text, "DIFFERENT INPUTS: pagetypeinfo ("));
	free(text);

	/* buddyinfo instead of pagetypeinfo */
	unlink(path("r.pagetypeinfo"));
	write_text("r.buddyinfo", "Node 0, zone   Normal      3      2      1      1"
		   "      0      0      0      0      0      1      1\n");
	replay_json("c.json");
	text = slurp_file("c.json");
	assert_non_null(strstr(text, "\"pagetypeinfo\": null"));
	assert_non_null(strstr(text, "\"buddyinfo_crc32\": "));
	free(text);
	text = compare("a.json", "c.json");
	assert_non_null(strstr(text, "DIFFERENT INPUTS: pagetypeinfo buddyinfo ("));
	free(text);

	/* and a different zoneinfo (one more free page) */
	unlink(path("r.buddyinfo"));
	replay_json("d.json");
	write_edited("r.zoneinfo", zoneinfo_16m, "free     900", '1');
	replay_json("e.json");
	text = compare("d.json", "e.json");
	assert_non_null(strstr(text, "DIFFERENT INPUTS: zoneinfo ("));
	free(text);
	write_text("r.zoneinfo", zoneinfo_16m);
}

/* A pagetypeinfo that is a device (here /dev/zero, which ends no line)
 * is refused as binary, not read forever. */
static void test_device_refused(void **state)
{
	struct freeinfo fi;
	char err[256];
	(void)state;

	assert_int_equal(freeinfo_read("/dev/zero", NULL, "Normal", 0, &fi, err,
				       sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "NUL"));
	assert_int_equal(fi.bytes, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_pagetypeinfo),
		cmocka_unit_test(test_read_buddyinfo_and_errors),
		th_policy_test(test_shape_free_lists),
		cmocka_unit_test(test_replay_starts_from_pagetypeinfo),
		cmocka_unit_test(test_warm_inputs_recorded_and_compared),
		cmocka_unit_test(test_device_refused),
	};
	int rc;

	if (setup(NULL))
		return 1;
	rc = th_run_policy_group("lab_freeinfo", tests);
	teardown(NULL);
	return rc;
}
