// SPDX-License-Identifier: MIT
/*
 * `pagealloc zram`: load files' pages into a zstore, read every page back
 * and compare, and print zram-style figures (ratio, zsmalloc overhead).
 * Files are streamed twice (store, then verify) instead of kept in memory,
 * so the corpus can be larger than what fits beside the store.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <urcu.h>

#include "commands.h"
#include "optparse.h"
#include "outfile.h"
#include "pagealloc.h"
#include "zstore.h"

#define PG ZSTORE_PAGE_SIZE

static const char zram_help[] =
"usage: pagealloc zram FILE|DIR... [--algo lz4|zstd] [--chain N] [--level N]\n"
"                      [--limit MIB] [--quiet]\n"
"\n"
"Store the pages of FILEs (directories are walked recursively) in a\n"
"compressed page store over zsmalloc - what zram does with swapped-out\n"
"pages - then read every page back and compare it with the file.\n"
"Each file is cut into 4 KiB pages; the last page is zero-padded.\n"
"\n"
"options:\n"
"  --algo lz4|zstd  compressor (default lz4; zram's usual choices)\n"
"  --level N        zstd level (default 3) or lz4 acceleration (default 1)\n"
"  --chain N        zsmalloc pages per zspage, 4..16 (default 8; the kernel\n"
"                   used 4 before 6.3)\n"
"  --limit MIB      stop after this much input (default 1024)\n"
"  --quiet          print only the summary line\n"
"\n"
"output (zram's mm_stat names):\n"
"  orig_data_size   bytes of pages stored\n"
"  compr_data_size  bytes after compression (a page that does not compress\n"
"                   below the huge threshold is stored raw, 4096 bytes)\n"
"  mem_used_total   bytes of pages the zsmalloc pool holds\n"
"  same_pages       pages of one repeated 8-byte word (zero pages): no memory\n"
"  huge_pages       pages stored raw\n"
"  ratio            orig_data_size / mem_used_total: the memory saved\n"
"  overhead         (mem_used_total - compr_data_size) / compr_data_size:\n"
"                   what zsmalloc costs over the compressed bytes (the kernel\n"
"                   documents 4.3% with chain 4 and 2.2% with chain 8 for a\n"
"                   kernel build on zram)\n"
"\n"
"exit status: 0 every page read back identical, 1 a page differed,\n"
"2 usage error or unreadable input (a file that cannot be read is named\n"
"on stderr and its pages are left out).\n"
"\n"
"example: pagealloc zram /usr/bin /usr/share/doc --algo zstd --chain 4\n";

struct file_ent {
	char *path;
	uint64_t pages;
	bool bad;             /* could not be read: left out */
};

struct corpus {
	struct file_ent *files;
	size_t nfiles, cap;
	uint64_t pages, limit_pages;
	int unreadable;
};

static void add_file(struct corpus *c, const char *path, uint64_t size)
{
	if (c->pages >= c->limit_pages || size == 0)
		return;
	uint64_t pages = (size + PG - 1) / PG;
	if (pages > c->limit_pages - c->pages)
		pages = c->limit_pages - c->pages;
	if (c->nfiles == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->files = realloc(c->files, c->cap * sizeof(*c->files));
	}
	c->files[c->nfiles++] = (struct file_ent){ strdup(path), pages, false };
	c->pages += pages;
}

/* Walk a directory with fts(3), which keeps its state on the heap: a tree
 * thousands of levels deep cannot overflow the stack.  Unreadable entries
 * inside it are skipped quietly (a system tree has some); only named
 * arguments must be readable. */
static void walk(struct corpus *c, const char *dir)
{
	char *roots[] = { (char *)dir, NULL };
	FTS *fts = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
	FTSENT *e;

	if (!fts)
		return;
	while ((e = fts_read(fts)) && c->pages < c->limit_pages)
		if (e->fts_info == FTS_F && access(e->fts_accpath, R_OK) == 0)
			add_file(c, e->fts_path, (uint64_t)e->fts_statp->st_size);
	fts_close(fts);
}

static int add_arg(struct corpus *c, const char *path)
{
	struct stat st;

	if (stat(path, &st) || access(path, R_OK)) {
		fprintf(stderr, "pagealloc zram: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		walk(c, path);
		return 0;
	}
	/* a FIFO, device or <(...) has no size to plan the corpus by; it was
	 * dropped, and only "the files hold no data" was said */
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "pagealloc zram: %s: not a regular file or a "
			"directory\n", path);
		return -1;
	}
	add_file(c, path, (uint64_t)st.st_size);
	return 0;
}

/* Read the next page of an open file into buf (zero-padded).  Returns 1,
 * 0 at end of file, or -errno: a read error is not a page of zeros. */
static int read_page(int fd, uint8_t *buf)
{
	size_t got = 0;

	while (got < PG) {
		ssize_t n = read(fd, buf + got, PG - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (!got)
		return 0;
	memset(buf + got, 0, PG - got);
	return 1;
}

/* A file that cannot be opened or read: said once, its pages left out of
 * the comparison, and the exit status is 2 (unreadable input). */
static void unreadable(struct corpus *c, struct file_ent *fe, int err)
{
	if (fe->bad)
		return;
	fe->bad = true;
	c->unreadable++;
	fprintf(stderr, "pagealloc zram: %s: cannot read: %s\n", fe->path,
		strerror(err));
}

/* One page of a file, both passes. */
static void page_op(struct zstore *zs, struct file_ent *fe, const uint8_t *buf,
		    uint64_t index, uint64_t p, bool verify, uint64_t *mismatch,
		    uint64_t *failed)
{
	uint8_t out[PG];

	if (!verify) {
		if (zstore_write(zs, index, buf))
			(*failed)++;
	} else if (zstore_read(zs, index, out) || memcmp(out, buf, PG)) {
		if (*mismatch < 5)
			fprintf(stderr, "pagealloc zram: %s page %llu differs\n",
				fe->path, (unsigned long long)p);
		(*mismatch)++;
	}
}

/* Pass over every page: store (verify == false) or compare. */
static uint64_t pass(struct zstore *zs, struct corpus *c, bool verify,
		     uint64_t *mismatch, uint64_t *failed)
{
	uint8_t buf[PG];
	uint64_t index = 0;

	for (size_t f = 0; f < c->nfiles; f++) {
		struct file_ent *fe = &c->files[f];
		int fd = fe->bad ? -1 : open(fe->path, O_RDONLY | O_CLOEXEC);

		if (fd < 0 && !fe->bad)
			unreadable(c, fe, errno);
		for (uint64_t p = 0; p < fe->pages; p++, index++) {
			int rc = fd < 0 ? 0 : read_page(fd, buf);

			if (rc < 0) {
				unreadable(c, fe, -rc);
				close(fd);
				fd = -1;
			}
			if (fe->bad)
				continue;
			if (rc == 0)
				memset(buf, 0, PG); /* shrank meanwhile: still a page */
			page_op(zs, fe, buf, index, p, verify, mismatch, failed);
		}
		if (fd >= 0)
			close(fd);
	}
	return index;
}

static double secs_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void print_stats(const struct zstore_stats *st)
{
	printf("  orig_data_size   %12llu\n", (unsigned long long)st->orig_data_size);
	printf("  compr_data_size  %12llu\n", (unsigned long long)st->compr_data_size);
	printf("  mem_used_total   %12llu\n", (unsigned long long)st->mem_used_total);
	printf("  mem_used_max     %12llu\n", (unsigned long long)st->mem_used_max);
	printf("  same_pages       %12llu\n", (unsigned long long)st->same_pages);
	printf("  huge_pages       %12llu\n", (unsigned long long)st->huge_pages);
	printf("  pages_compacted  %12llu\n", (unsigned long long)st->pages_compacted);
}

static double overhead_pct(const struct zstore_stats *st)
{
	return st->compr_data_size
		? 100.0 * ((double)st->mem_used_total - (double)st->compr_data_size) /
			  (double)st->compr_data_size
		: 0.0;
}

static double ratio_of(const struct zstore_stats *st)
{
	return st->mem_used_total ?
		       (double)st->orig_data_size / (double)st->mem_used_total : 0.0;
}

/* A zone with room for every page stored raw plus partial zspages of
 * every class (MAP_NORESERVE: unused room costs nothing), and the store. */
static struct zstore *store_create(const struct corpus *c, enum zstore_algo algo,
				   unsigned chain, int level,
				   struct pa_zone **zonep)
{
	struct pa_config zc = pa_config_default();
	uint64_t bytes = c->pages * PG + (64ull << 20);

	zc.bytes = (bytes + (2ull << 20) - 1) & ~((2ull << 20) - 1);
	zc.backing = PA_BACKING_ANON;
	zc.flags = PA_CFG_NO_WATERMARKS;
	zc.ncpus = 1;
	struct pa_zone *zone = pa_zone_create(&zc);

	if (!zone) {
		fprintf(stderr, "pagealloc zram: cannot create a %llu MiB zone: %s\n",
			(unsigned long long)(zc.bytes >> 20), strerror(errno));
		return NULL;
	}
	struct zstore_config cfg = { .nr_pages = c->pages, .algo = algo,
				     .chain = chain, .level = level };
	struct zstore *zs = zstore_create(zone, &cfg);

	if (!zs) {
		fprintf(stderr, "pagealloc zram: cannot create the store: %s\n", strerror(errno));
		pa_zone_destroy(zone);
	}
	*zonep = zone;
	return zs;
}

static void print_store(const struct corpus *c, enum zstore_algo algo,
			unsigned chain, const struct zstore_stats *st,
			double t_store, double t_verify)
{
	printf("zram: %llu pages (%.1f MiB) from %zu files, %s, chain %u\n",
	       (unsigned long long)c->pages, (double)c->pages * PG / 1048576.0,
	       c->nfiles, zstore_algo_name(algo), chain);
	print_stats(st);
	printf("  ratio            %12.2f  (orig / mem_used_total; compression alone %.2f)\n",
	       ratio_of(st),
	       st->compr_data_size ? (double)st->orig_data_size / (double)st->compr_data_size : 0.0);
	printf("  overhead         %11.2f%%  (zsmalloc over compressed bytes)\n",
	       overhead_pct(st));
	printf("  store %.0f MB/s, verify %.0f MB/s\n",
	       (double)st->orig_data_size / 1e6 / t_store,
	       (double)st->orig_data_size / 1e6 / t_verify);
}

/* Compaction matters after frees; a fresh store has little to gain, so
 * show it on the store with every other page discarded. */
static void show_compaction(struct zstore *zs, const struct corpus *c, bool quiet)
{
	struct zstore_stats half, after;
	struct timespec t0;

	for (uint64_t i = 1; i < c->pages; i += 2)
		zstore_discard(zs, i);
	zstore_stats(zs, &half);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint64_t freed = zstore_compact(zs);
	double t_compact = secs_since(&t0);

	zstore_stats(zs, &after);
	if (!quiet)
		printf("  half discarded: mem_used_total %llu, overhead %.2f%%; compaction freed %llu pages in %.3f s -> overhead %.2f%%\n",
		       (unsigned long long)half.mem_used_total, overhead_pct(&half),
		       (unsigned long long)freed, t_compact, overhead_pct(&after));
}

static int run(struct corpus *c, enum zstore_algo algo, unsigned chain, int level,
	       bool quiet)
{
	struct pa_zone *zone;
	struct zstore *zs = store_create(c, algo, chain, level, &zone);
	struct timespec t0;
	struct zstore_stats st;
	uint64_t mismatch = 0, failed = 0;

	if (!zs)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pass(zs, c, false, &mismatch, &failed);
	double t_store = secs_since(&t0);

	zstore_stats(zs, &st);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pass(zs, c, true, &mismatch, &failed);
	double t_verify = secs_since(&t0);

	if (!quiet)
		print_store(c, algo, chain, &st, t_store, t_verify);
	show_compaction(zs, c, quiet);
	printf("zram %s chain %u: %llu pages, ratio %.2f, overhead %.2f%%, %s\n",
	       zstore_algo_name(algo), chain, (unsigned long long)c->pages,
	       ratio_of(&st), overhead_pct(&st),
	       mismatch ? "MISMATCH" : failed ? "STORE FAILED" :
	       c->unreadable ? "UNREADABLE FILES left out" : "all pages identical");
	if (mismatch)
		fprintf(stderr, "pagealloc zram: %llu pages differ\n", (unsigned long long)mismatch);
	zstore_destroy(zs);
	pa_zone_destroy(zone);
	if (outfile_stdout_done("zram"))
		return 1;
	return mismatch || failed ? 1 : c->unreadable ? 2 : 0;
}

struct zram_opts {
	enum zstore_algo algo;
	unsigned chain;
	int level;
	uint64_t limit_mib;
	bool quiet;
};

/* zstd levels may be negative (its fast levels). */
static int parse_level(const char *arg, int *level, char *err, size_t len)
{
	uint64_t v;
	bool neg = arg[0] == '-';

	if (opt_u64("--level", arg + neg, 0, neg ? 131072 : 65537, &v, err, len))
		return -1;
	*level = neg ? -(int)v : (int)v;
	return 0;
}

/* One option; 0, or the exit code (0 for --help is returned as -1). */
static int zram_option(int o, struct zram_opts *z)
{
	char err[200] = "";

	switch (o) {
	case 'a':
		if (zstore_algo_parse(optarg, &z->algo))
			snprintf(err, sizeof(err), "--algo must be lz4 or zstd");
		break;
	case 'c':
		opt_uint("--chain", optarg, ZS_CHAIN_MIN, ZS_CHAIN_MAX,
			 &z->chain, err, sizeof(err));
		break;
	case 'l':
		parse_level(optarg, &z->level, err, sizeof(err));
		break;
	case 'm':
		/* MiB; the bound keeps the page count from wrapping */
		opt_u64("--limit", optarg, 1, 1ull << 40, &z->limit_mib,
			err, sizeof(err));
		break;
	case 'q':
		z->quiet = true;
		break;
	case 'h':
		fputs(zram_help, stdout);
		return -1;
	default:
		fputs(zram_help, stderr);
		return 2;
	}
	if (err[0]) {
		fprintf(stderr, "pagealloc zram: %s\n", err);
		return 2;
	}
	return 0;
}

int cmd_zram(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "algo", required_argument, NULL, 'a' },
		{ "chain", required_argument, NULL, 'c' },
		{ "level", required_argument, NULL, 'l' },
		{ "limit", required_argument, NULL, 'm' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct zram_opts z = { .algo = ZSTORE_LZ4, .chain = ZS_CHAIN_DEFAULT,
			       .limit_mib = 1024 };
	int o, rc;

	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		if ((rc = zram_option(o, &z)))
			return rc < 0 ? 0 : rc;
	if (optind >= argc) {
		fprintf(stderr, "pagealloc zram: no FILE given\n\n%s", zram_help);
		return 2;
	}
	struct corpus c = { .limit_pages = z.limit_mib * (1048576 / PG) };

	rc = 0;
	for (int i = optind; i < argc; i++)
		if (add_arg(&c, argv[i]))
			rc = 2;
	if (!rc && !c.pages) {
		fprintf(stderr, "pagealloc zram: the files hold no data\n");
		rc = 2;
	}
	if (!rc) {
		rcu_register_thread(); /* zsmalloc's RCU needs registered threads */
		rc = run(&c, z.algo, z.chain, z.level, z.quiet);
		rcu_unregister_thread();
	}
	for (size_t f = 0; f < c.nfiles; f++)
		free(c.files[f].path);
	free(c.files);
	return rc;
}
