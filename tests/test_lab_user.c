/* SPDX-License-Identifier: MIT */
/*
 * The lab as a new user drives it, round 2 (issue 13): inputs that hung
 * or were read wrong without a word, options accepted and then ignored,
 * outputs that were not what they claim.  Each case is one defect found
 * by using the command; the files are written here, small.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "commands.h"
#include "costmodel.h"
#include "helpers.h"
#include "outfile.h"
#include "pagealloc.h"
#include "sim.h"
#include "zoneinfo.h"

static char dir[] = "/tmp/pa-labuser-XXXXXX";

static const char *path_of(const char *name)
{
	static char buf[2][256];
	static int k;

	k ^= 1;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static void write_text(const char *name, const char *text)
{
	FILE *f = fopen(path_of(name), "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* --cost-model /dev/zero read NUL bytes as blank lines for ever; a
 * directory said only "read error". */
static void test_cost_model_binary_and_directory(void **state)
{
	struct costmodel m = costmodel_default();
	char err[300];
	(void)state;

	alarm(20); /* the old reader never returned */
	assert_int_equal(costmodel_load(&m, "/dev/zero", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "NUL"));
	alarm(0);
	assert_true(costmodel_load(&m, dir, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, strerror(EISDIR)));
	write_text("cm", "call_ns = 30\n");
	assert_int_equal(costmodel_load(&m, path_of("cm"), err, sizeof(err)), 0);
	assert_true(m.call_ns == 30.0);
}

/* A zoneinfo figure that is not a number was skipped ("managed -5" then
 * sized the machine from DMA32) and per-CPU figures wrapped at 32 bits
 * (batch 4294967359 read as 63): both are refused now. */
static void test_zoneinfo_bad_figures(void **state)
{
	static const char *const bad[] = {
		"        managed  -5\n", "        managed  4096kB\n",
		"              batch:    4294967359\n",
		"              count:    4294967297\n",
		"              count:    -3\n",
	};
	static const char head[] =
		"Node 0, zone    DMA32\n        managed  2048\n"
		"Node 0, zone   Normal\n        present  8192\n";
	static const char good_managed[] = "        managed  4096\n";
	static const char pagesets[] = "  pagesets\n    cpu: 0\n";
	static const char good_cpu[] =
		"              count:    3\n              batch:    63\n";
	struct zoneinfo zi;
	char text[512], err[300];
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool per_cpu = strstr(bad[i], "managed") == NULL;

		snprintf(text, sizeof(text), "%s%s%s%s", head,
			 per_cpu ? good_managed : bad[i], pagesets,
			 per_cpu ? bad[i] : good_cpu);
		write_text("zi", text);
		assert_int_equal(zoneinfo_read(path_of("zi"), NULL, &zi, err,
					       sizeof(err)), -EINVAL);
		if (!strstr(err, "zone Normal"))
			fail_msg("case %zu: %s", i, err);
	}
	snprintf(text, sizeof(text), "%s%s%s%s", head, good_managed, pagesets,
		 good_cpu);
	write_text("zi", text);
	assert_int_equal(zoneinfo_read(path_of("zi"), NULL, &zi, err, sizeof(err)), 0);
	assert_int_equal(zi.managed, 4096);
	assert_int_equal(zi.batch, 63);
	assert_int_equal(zi.pcp_count[0], 3);
}

/* --report-free above the zone's max order was accepted and reported
 * nothing (every pass refused): a usage error now. */
static void test_report_free_order_bound(void **state)
{
	char max[16], above[16];
	char *run[] = { "run", "exit-avalanche", "--mem", "64M", "--scale",
			"0.01", "--policy", "mainline", "--quiet",
			"--report-free", NULL, NULL };
	(void)state;

	snprintf(max, sizeof(max), "%u", pa_config_default().max_order);
	snprintf(above, sizeof(above), "%u", pa_config_default().max_order + 1);
	run[10] = above;
	assert_int_equal(cmd_run(11, run), 2);
	run[10] = max;
	assert_int_equal(cmd_run(11, run), 0);
}

/* A policy list with an empty name ("mainline,", "a,,b") is a typo the
 * user must hear about; strtok skipped the empty names and ran the rest */
static void test_policy_list_empty_names(void **state)
{
	static const char *const bad[] = { "mainline,", ",mainline",
					   "mainline,,spb", ",", "" };
	struct sim_config cfg;
	char err[256], big[400];
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&cfg, 0, sizeof(cfg));
		err[0] = 0;
		if (sim_parse_policies(bad[i], &cfg, err, sizeof(err)) != -EINVAL)
			fail_msg("policy list \"%s\" accepted", bad[i]);
		assert_true(err[0] != 0);
	}
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_int_equal(sim_parse_policies(big, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "longer"));
	assert_int_equal(sim_parse_policies("mainline,spb", &cfg, err,
					    sizeof(err)), 0);
	assert_int_equal(cfg.npolicies, 2);
	assert_int_equal(cfg.policies[0], PA_POLICY_MAINLINE);
	assert_int_equal(cfg.policies[1], PA_POLICY_SPB);
}

/* Run fn with its stdout (which 1) or stderr (2) on path; its exit
 * status. */
static int to_fd(int (*fn)(int, char **), int argc, char **argv,
		 const char *path, int which)
{
	FILE *std = which == 1 ? stdout : stderr;
	int saved = dup(which), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), rc;

	assert_true(saved >= 0 && fd >= 0);
	fflush(std);
	dup2(fd, which);
	close(fd);
	rc = fn(argc, argv);
	fflush(std);
	clearerr(std); /* a full device's error is the command's to see */
	dup2(saved, which);
	close(saved);
	return rc;
}

static int to_file(int (*fn)(int, char **), int argc, char **argv,
		   const char *path)
{
	return to_fd(fn, argc, argv, path, 1);
}

/* n alloc/free pairs from second t0, one per millisecond, 100 us apart. */
static void write_pairs(const char *name, unsigned n, unsigned t0)
{
	char line[512], *text = calloc(n, 2 * 160);
	size_t len = 0;

	assert_non_null(text);
	for (unsigned i = 0; i < n; i++) {
		len += (size_t)snprintf(line, sizeof(line),
			"  t-1 [000] ..... %u.%06u: mm_page_alloc: page=0 pfn=0x%x "
			"order=0 migratetype=0 gfp_flags=GFP_KERNEL\n"
			"  t-1 [000] ..... %u.%06u: mm_page_free: page=0 pfn=0x%x order=0\n",
			t0 + i / 1000, i % 1000 * 1000, 0x1000 + i,
			t0 + i / 1000, i % 1000 * 1000 + 100, 0x1000 + i);
		strcat(text, line);
	}
	assert_true(len < (size_t)n * 320);
	write_text(name, text);
	free(text);
}

static void read_back(const char *name, char *buf, size_t size)
{
	FILE *f = fopen(path_of(name), "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = 0;
	fclose(f);
}

/* mix: a corrupt input exited 2 without a word, text that is no trace
 * and a full stdout exited 0, and two captures 5000 s apart were one
 * clock (rates over the gap). */
static void test_mix_errors_and_clock(void **state)
{
	static const unsigned char bad_zstd[] = {
		0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x58, 0x45, 0x00, 0x00, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	char a[256], b[256], out[4096];
	FILE *f;
	(void)state;

	write_pairs("a.trace", 1000, 1);     /* 1.0 .. 2.0 s */
	write_pairs("b.trace", 1000, 5000);  /* 5000 s later */
	snprintf(a, sizeof(a), "%s", path_of("a.trace"));
	snprintf(b, sizeof(b), "%s", path_of("b.trace"));
	char *two[] = { "mix", a, b, NULL };
	assert_int_equal(to_file(cmd_mix, 3, two, path_of("mix.out")), 0);
	read_back("mix.out", out, sizeof(out));
	/* 0.9991 s each: far from 4999 s */
	if (!strstr(out, "trace span 1.998 s"))
		fail_msg("want two traces' own spans, got: %.80s", out);
	assert_int_equal(to_file(cmd_mix, 3, two, "/dev/full"), 1);

	f = fopen(path_of("bad.zst"), "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(bad_zstd, 1, sizeof(bad_zstd), f), sizeof(bad_zstd));
	fclose(f);
	write_text("notrace", "{\"policies\": []}\n");
	char *bad[] = { "mix", (char *)path_of("bad.zst"), NULL };
	assert_int_equal(to_fd(cmd_mix, 2, bad, path_of("mix.err"), 2), 2);
	read_back("mix.err", out, sizeof(out));
	if (!strstr(out, "bad.zst") || !strstr(out, "corrupt"))
		fail_msg("want the file and its error named, got: %s", out);
	char *text[] = { "mix", (char *)path_of("notrace"), NULL };
	assert_int_equal(cmd_mix(2, text), 2);
}

/* The HTML report says charset=utf-8 but copied a file name's bytes as
 * they were: a name that is not UTF-8 made the page invalid.  Such bytes
 * are U+FFFD now, as in the JSON. */
static void test_html_non_utf8_name(void **state)
{
	char name[300], html[300], buf[1 << 16];
	(void)state;

	write_pairs("x", 50, 1);
	snprintf(name, sizeof(name), "%s/bad\xff\xc3(.trace", dir);
	assert_int_equal(rename(path_of("x"), name), 0);
	snprintf(html, sizeof(html), "%s/bad.html", dir);
	char *argv[] = { "replay", name, "--quiet", "--policy", "mainline",
			 "--html", html, NULL };
	assert_int_equal(to_file(cmd_replay, 7, argv, path_of("r.out")), 0);
	read_back("bad.html", buf, sizeof(buf));
	assert_null(memchr(buf, 0xff, strlen(buf)));
	assert_non_null(strstr(buf, "bad&#xfffd;&#xfffd;("));
}

/* zram --help printed "4.3%%": the text goes out with fputs, not printf. */
static void test_zram_help_percent(void **state)
{
	char buf[8192];
	char *argv[] = { "zram", "--help", NULL };
	(void)state;

	assert_int_equal(to_file(cmd_zram, 2, argv, path_of("help")), 0);
	read_back("help", buf, sizeof(buf));
	assert_non_null(strstr(buf, "4.3% with chain 4"));
	assert_null(strstr(buf, "%%"));
}

/* zram on a FIFO (or /dev/zero, or <(cat f)) dropped it and said only
 * "the files hold no data": it names the file and what it is not. */
static void test_zram_names_non_regular_file(void **state)
{
	char buf[1024], fifo[256];
	char *argv[] = { "zram", fifo, NULL };
	(void)state;

	snprintf(fifo, sizeof(fifo), "%s", path_of("fifo"));
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(to_fd(cmd_zram, 2, argv, path_of("zram-fifo.err"), 2), 2);
	read_back("zram-fifo.err", buf, sizeof(buf));
	assert_non_null(strstr(buf, "not a regular file"));
	assert_non_null(strstr(buf, fifo));
	unlink(fifo);
}

/* --mem 3M made a 2 MiB zone but the machine line (and JSON bytes) said
 * 3 MiB: the size shown is what the zone manages, the rounding said. */
static void test_machine_line_is_the_real_size(void **state)
{
	char buf[4096], json[256];
	char *argv[] = { "run", "exit-avalanche", "--mem", "3M", "--scale",
			 "0.01", "--policy", "mainline", "--json", json, NULL };
	(void)state;

	snprintf(json, sizeof(json), "%s", path_of("m3.json"));
	assert_int_equal(to_file(cmd_run, 10, argv, path_of("m3.txt")), 0);
	read_back("m3.txt", buf, sizeof(buf));
	assert_non_null(strstr(buf, "machine: 2 MiB (512 pages, 1 pageblocks)"));
	assert_non_null(strstr(buf, "3 MiB asked for, rounded down"));
	read_back("m3.json", buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"machine\": {\"bytes\": 2097152,"));
}

/* --json/--html on a full disk said "Input/output error": the reports
 * are flushed before their error is read, so it says the disk is full. */
static void test_full_disk_named(void **state)
{
	static const char *const opt[][3] = { { "--json", "/dev/full" },
					      { "--html", "/dev/full" } };
	char buf[1024];
	(void)state;

	for (size_t i = 0; i < 2; i++) {
		static const char *const base[] = { "run", "kernel-build", "--mem",
			"64M", "--scale", "0.002", "--policy", "mainline", "--quiet" };
		char *argv[12];
		int n = 0;

		for (size_t k = 0; k < 9; k++)
			argv[n++] = (char *)base[k];
		argv[n++] = (char *)opt[i][0];
		argv[n++] = (char *)opt[i][1];
		argv[n] = NULL;
		assert_int_equal(to_fd(cmd_run, n, argv, path_of("full.err"), 2), 1);
		read_back("full.err", buf, sizeof(buf));
		if (!strstr(buf, strerror(ENOSPC)))
			fail_msg("%s /dev/full: %s", opt[i][0], buf);
	}
}

/* A small kernel-build run with the options in extra (NULL-ended),
 * in virtual time on 2 CPUs if vt; a fresh argv each time, as getopt
 * permutes it. */
static int run_with(bool vt, const char *const extra[3])
{
	static const char *const base[] = { "run", "kernel-build", "--mem",
		"64M", "--scale", "0.002", "--policy", "mainline", "--quiet" };
	static const char *const vt_args[] = { "--virtual-time", "--cpus", "2" };
	char *argv[20];
	int n = 0;

	for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
		argv[n++] = (char *)base[i];
	for (size_t i = 0; vt && i < 3; i++)
		argv[n++] = (char *)vt_args[i];
	for (size_t i = 0; i < 3 && extra[i]; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	return cmd_run(n, argv);
}

/* Options of one mode given in the other were accepted and ignored:
 * --cost-model (even of a missing file), --warmup, --think-scale and
 * --no-pcp-autotune without --virtual-time; --compact and --report-free
 * with it (virtual time runs no ticks).  Usage errors now. */
static void test_options_of_the_other_mode(void **state)
{
	static const char *const need_vt[][3] = {
		{ "--cost-model", "/nonexistent" }, { "--warmup", "0.5" },
		{ "--think-scale", "2" }, { "--no-pcp-autotune" },
	};
	static const char *const not_vt[][3] = {
		{ "--compact" }, { "--report-free", "9" },
	};
	static const char *const vt_ok[3] = { "--warmup", "0.5" };
	(void)state;

	for (size_t i = 0; i < 4; i++)
		if (run_with(false, need_vt[i]) != 2)
			fail_msg("%s without --virtual-time accepted", need_vt[i][0]);
	for (size_t i = 0; i < 2; i++)
		if (run_with(true, not_vt[i]) != 2)
			fail_msg("%s with --virtual-time accepted", not_vt[i][0]);
	assert_int_equal(run_with(true, vt_ok), 0);
}

/* Files in dir whose name starts with '.': the temporary outputs. */
static unsigned hidden_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] == '.' && strcmp(e->d_name, ".") &&
		     strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* A bad output name (a directory, a missing directory, a path through a
 * file) was found only after the whole run, then exit 1.  Now every
 * command refuses it first: exit 2, the path named, no work done. */
static void test_outputs_checked_before_the_run(void **state)
{
	char trace[256], file_dir[256], missing[256], errf[256];
	const char *bad[3];
	char buf[2048];
	(void)state;

	write_pairs("ok.trace", 200, 1);
	write_text("plain", "x\n");
	snprintf(trace, sizeof(trace), "%s", path_of("ok.trace"));
	snprintf(file_dir, sizeof(file_dir), "%s", path_of("plain/x.json"));
	snprintf(missing, sizeof(missing), "%s", path_of("no/such/x.json"));
	snprintf(errf, sizeof(errf), "%s", path_of("chk.err"));
	bad[0] = dir;
	bad[1] = file_dir;
	bad[2] = missing;
	for (unsigned k = 0; k < 3; k++) {
		for (unsigned v = 0; v < 6; v++) {
			char *argv[20];
			int n = 0;
			int (*fn)(int, char **) = v < 2 ? cmd_replay :
						  v < 5 ? cmd_run : cmd_calibrate;

			if (v < 2) {
				argv[n++] = "replay";
				argv[n++] = trace;
			} else if (v < 5) {
				static char *const run[] = { "run", "kernel-build",
					"--mem", "64M", "--scale", "0.002" };
				for (int i = 0; i < 6; i++)
					argv[n++] = run[i];
			} else {
				argv[n++] = "calibrate";
			}
			if (v == 1 || v == 4) {
				argv[n++] = "--virtual-time";
				argv[n++] = "--cpus";
				argv[n++] = "2";
			}
			if (v < 5)
				argv[n++] = v == 3 ? "--html" : "--json";
			argv[n++] = (char *)bad[k];
			argv[n] = NULL;
			if (th_run_redirected(fn, n, argv, "/dev/null", errf) != 2)
				fail_msg("%s %s %s: not refused", argv[0],
					 argv[n - 2], bad[k]);
			read_back("chk.err", buf, sizeof(buf));
			/* refused first: no speed line, no calibration */
			if (!strstr(buf, bad[k]) || strstr(buf, "replayed") ||
			    strstr(buf, "calibrating") || strstr(buf, "virtual time:"))
				fail_msg("%s ... %s: %s", argv[0], bad[k], buf);
		}
	}
	assert_int_equal(hidden_files(), 0);
}

/* A report that fails half-way (here: the file size limit, a real write
 * error on a regular file) used to leave half a file in place of the old
 * one.  The old file stays whole, no temporary file is left, exit 1. */
static void test_failed_output_keeps_old_file(void **state)
{
	static const char *const opt[] = { "--json", "--html" };
	struct rlimit saved, small;
	char out[256], errf[256], buf[2048];
	(void)state;

	snprintf(out, sizeof(out), "%s", path_of("keep.out"));
	snprintf(errf, sizeof(errf), "%s", path_of("keep.err"));
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
	small = (struct rlimit){ 4096, saved.rlim_max }; /* soft: raised after */
	signal(SIGXFSZ, SIG_IGN); /* the write fails with EFBIG instead */
	for (unsigned i = 0; i < 2; i++) {
		char *argv[] = { "run", "kernel-build", "--mem", "64M", "--scale",
				 "0.002", "--policy", "mainline", "--quiet",
				 (char *)opt[i], out, NULL };

		write_text("keep.out", "the old report\n");
		assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
		int rc = th_run_redirected(cmd_run, 11, argv, "/dev/null", errf);
		assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
		assert_int_equal(rc, 1);
		read_back("keep.err", buf, sizeof(buf));
		if (!strstr(buf, strerror(EFBIG)))
			fail_msg("%s: want the write error named: %s", opt[i], buf);
		read_back("keep.out", buf, sizeof(buf));
		assert_string_equal(buf, "the old report\n");
		assert_int_equal(hidden_files(), 0);
		/* and without the limit it is replaced, whole */
		assert_int_equal(th_run_redirected(cmd_run, 11, argv, "/dev/null", errf), 0);
		read_back("keep.out", buf, sizeof(buf));
		assert_true(buf[0] == (i ? '<' : '{'));
	}
	signal(SIGXFSZ, SIG_DFL);
}

/* outfile: a replaced file keeps its mode and a symlink stays a link to
 * the new file; abort keeps the old file; devices are written directly
 * and their error comes back (ENOSPC from /dev/full). */
static void test_outfile_replace_abort_device(void **state)
{
	struct outfile o;
	struct stat st;
	char target[256], link[256], buf[256];
	(void)state;

	snprintf(target, sizeof(target), "%s", path_of("t.txt"));
	snprintf(link, sizeof(link), "%s", path_of("l.txt"));
	write_text("t.txt", "old\n");
	assert_int_equal(chmod(target, 0640), 0);
	assert_int_equal(symlink("t.txt", link), 0);

	assert_int_equal(outfile_open(&o, link), 0);
	fputs("aborted\n", o.f);
	outfile_abort(&o);
	read_back("t.txt", buf, sizeof(buf));
	assert_string_equal(buf, "old\n");

	assert_int_equal(outfile_open(&o, link), 0);
	assert_non_null(o.tmp);
	fputs("new\n", o.f);
	assert_int_equal(outfile_commit(&o), 0);
	read_back("t.txt", buf, sizeof(buf));
	assert_string_equal(buf, "new\n");
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(hidden_files(), 0);

	assert_int_equal(outfile_open(&o, "/dev/full"), 0);
	assert_null(o.tmp);
	fputs("x\n", o.f);
	assert_int_equal(outfile_commit(&o), -ENOSPC);
	unlink(link);
}

/* stdout on a full device: every command exits 1 and says why. */
static void test_stdout_full_named(void **state)
{
	char trace[256], a[256], errf[256], buf[2048];
	(void)state;

	write_pairs("s.trace", 200, 1);
	snprintf(trace, sizeof(trace), "%s", path_of("s.trace"));
	snprintf(a, sizeof(a), "%s", path_of("s.json"));
	snprintf(errf, sizeof(errf), "%s", path_of("s.err"));
	char *mk[] = { "run", "kernel-build", "--mem", "64M", "--scale", "0.002",
		       "--policy", "mainline", "--quiet", "--json", a, NULL };
	assert_int_equal(th_run_redirected(cmd_run, 11, mk, "/dev/null", errf), 0);

	char *rep[] = { "replay", trace, NULL };
	char *run[] = { "run", "kernel-build", "--mem", "64M", "--scale", "0.002",
			"--policy", "mainline", NULL };
	char *vt[] = { "run", "kernel-build", "--mem", "64M", "--scale", "0.002",
		       "--policy", "mainline", "--virtual-time", "--cpus", "2", NULL };
	char *zram[] = { "zram", trace, NULL };
	char *mix[] = { "mix", trace, NULL };
	char *cmp[] = { "compare", a, a, NULL };
	struct { int (*fn)(int, char **); int argc; char **argv; } c[] = {
		{ cmd_replay, 2, rep }, { cmd_run, 8, run }, { cmd_run, 11, vt },
		{ cmd_zram, 2, zram }, { cmd_mix, 2, mix }, { cmd_compare, 3, cmp },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (th_run_redirected(c[i].fn, c[i].argc, c[i].argv, "/dev/full", errf) != 1)
			fail_msg("%s > /dev/full: not exit 1", c[i].argv[0]);
		read_back("s.err", buf, sizeof(buf));
		if (!strstr(buf, "stdout") || !strstr(buf, strerror(ENOSPC)))
			fail_msg("%s > /dev/full: %s", c[i].argv[0], buf);
	}
}

/* replay --quiet only hid the progress line (the table was printed, the
 * speed line too) while run --quiet printed no table.  Both mean the
 * same now: no table, no progress or timing line, the JSON still
 * written; warnings still on stderr.  In virtual time too. */
static void test_quiet_means_the_same(void **state)
{
	char trace[256], out[256], errf[256], json[256], buf[4096];
	struct stat st;
	(void)state;

	write_pairs("q.trace", 200, 1);
	snprintf(trace, sizeof(trace), "%s", path_of("q.trace"));
	snprintf(out, sizeof(out), "%s", path_of("q.out"));
	snprintf(errf, sizeof(errf), "%s", path_of("q.err"));
	snprintf(json, sizeof(json), "%s", path_of("q.json"));
	for (unsigned v = 0; v < 4; v++) {
		for (unsigned quiet = 0; quiet < 2; quiet++) {
			char *argv[20];
			int n = 0;

			if (v < 2) {
				argv[n++] = "replay";
				argv[n++] = trace;
				argv[n++] = "--policy";
				argv[n++] = "mainline";
			} else {
				static char *const run[] = { "run", "kernel-build",
					"--mem", "64M", "--scale", "0.002", "--policy",
					"mainline" };
				for (int i = 0; i < 8; i++)
					argv[n++] = run[i];
			}
			if (v % 2) {
				argv[n++] = "--virtual-time";
				argv[n++] = "--cpus";
				argv[n++] = "2";
			}
			argv[n++] = "--json";
			argv[n++] = json;
			if (quiet)
				argv[n++] = "--quiet";
			argv[n] = NULL;
			unlink(json);
			assert_int_equal(th_run_redirected(v < 2 ? cmd_replay : cmd_run, n,
						    argv, out, errf), 0);
			assert_int_equal(stat(out, &st), 0);
			if (quiet ? st.st_size != 0 : st.st_size == 0)
				fail_msg("case %u quiet %u: %lld bytes on stdout", v,
					 quiet, (long long)st.st_size);
			read_back("q.err", buf, sizeof(buf));
			if (quiet && buf[0])
				fail_msg("case %u --quiet: stderr: %s", v, buf);
			assert_int_equal(stat(json, &st), 0);
			assert_true(st.st_size > 0);
		}
	}
}

static int setup(void **state)
{
	(void)state;
	return th_tmpdir_make(dir);
}

static int teardown(void **state)
{
	(void)state;
	return th_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cost_model_binary_and_directory),
		cmocka_unit_test(test_zoneinfo_bad_figures),
		cmocka_unit_test(test_report_free_order_bound),
		cmocka_unit_test(test_policy_list_empty_names),
		cmocka_unit_test(test_mix_errors_and_clock),
		cmocka_unit_test(test_options_of_the_other_mode),
		cmocka_unit_test(test_html_non_utf8_name),
		cmocka_unit_test(test_zram_help_percent),
		cmocka_unit_test(test_zram_names_non_regular_file),
		cmocka_unit_test(test_machine_line_is_the_real_size),
		cmocka_unit_test(test_full_disk_named),
		cmocka_unit_test(test_outputs_checked_before_the_run),
		cmocka_unit_test(test_failed_output_keeps_old_file),
		cmocka_unit_test(test_outfile_replace_abort_device),
		cmocka_unit_test(test_stdout_full_named),
		cmocka_unit_test(test_quiet_means_the_same),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
