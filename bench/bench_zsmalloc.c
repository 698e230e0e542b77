/* SPDX-License-Identifier: MIT */
/*
 * zsmalloc (issue 6): operation costs, the two zs_free lookup paths,
 * compaction speed, and density on real data beside malloc per object.
 *
 *  - ns per zs_malloc+zs_free pair and per read/write section, 1 and 2
 *    threads, on a pool pre-filled with 64K objects of compressed-page
 *    sizes; zs_free under RCU (default) vs under pool->lock (kernel).
 *  - compaction: ms per MB of pool memory after freeing half the objects.
 *  - density: the pages of a /usr corpus compressed with lz4 (as zram
 *    does; same-filled pages skipped, incompressible ones raw) stored in
 *    zsmalloc with chain 4 and 8, and with glibc malloc and jemalloc one
 *    allocation per object.  Overhead = memory used / compressed bytes - 1.
 *
 * This binary links jemalloc (bench/zsmalloc.mk), so malloc() is
 * jemalloc's; glibc's allocator is reached through __libc_malloc.
 */
#include "harness.h"
#include "pagealloc.h"
#include "zsmalloc.h"

#include <dirent.h>
#include <fcntl.h>
#include <jemalloc/jemalloc.h>
#include <lz4.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <urcu.h>

#define PG 4096u
#define NOBJ 65536u

#define G_OPS "zsmalloc operations (64K live objects, compressed-page sizes): ns per op"
#define G_CMP "zsmalloc compaction after freeing half the objects"
#define G_DEN "density on a /usr corpus compressed with lz4: overhead over the compressed bytes, %"
#define G_CHURN "density after churn (3 rounds: free a random half, store as many again): overhead over the live compressed bytes, %"

/* glibc's allocator, bypassing the interposed jemalloc. */
extern void *__libc_malloc(size_t size);
extern void __libc_free(void *p);

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Sizes like lz4-compressed pages: mostly 500..3500 bytes. */
static size_t object_size(uint64_t *seed)
{
	return 200 + rnd(seed) % 3300;
}

static struct pa_zone *make_zone(uint64_t mib)
{
	struct pa_config cfg = pa_config_default();

	cfg.bytes = mib << 20;
	cfg.backing = PA_BACKING_ANON;
	cfg.flags = PA_CFG_NO_WATERMARKS;
	cfg.ncpus = 2;
	struct pa_zone *z = pa_zone_create(&cfg);
	if (!z) {
		perror("pa_zone_create");
		exit(1);
	}
	return z;
}

/* ------------------------------------------------------------------ */

enum op { OP_PAIR, OP_READ, OP_WRITE };

struct worker {
	struct zs_pool *pool;
	enum op op;
	uint64_t iters, budget_ns, seed;
	unsigned long h[NOBJ / 2];
	size_t len[NOBJ / 2];
	double ns_per_op;
	pthread_barrier_t *bar;
};

static void *run_worker(void *arg)
{
	struct worker *w = arg;
	uint8_t buf[PG], copy[PG];

	rcu_register_thread();
	memset(buf, 0x5a, sizeof(buf));
	for (unsigned i = 0; i < NOBJ / 2; i++) {
		w->len[i] = object_size(&w->seed);
		w->h[i] = zs_malloc(w->pool, w->len[i], 0);
		zs_obj_write(w->pool, w->h[i], buf, w->len[i]);
	}
	pthread_barrier_wait(w->bar);
	uint64_t t0 = bench_now_ns(), done = 0;
	while (done < w->iters && bench_now_ns() - t0 < w->budget_ns) {
		for (unsigned k = 0; k < 1024; k++, done++) {
			unsigned i = (unsigned)(rnd(&w->seed) % (NOBJ / 2));
			if (w->op == OP_PAIR) {
				zs_free(w->pool, w->h[i]);
				w->len[i] = object_size(&w->seed);
				w->h[i] = zs_malloc(w->pool, w->len[i], 0);
			} else if (w->op == OP_READ) {
				const void *p = zs_obj_read_begin(w->pool, w->h[i], w->len[i], copy);
				bench_escape(p);
				zs_obj_read_end(w->pool, w->h[i], p);
			} else {
				zs_obj_write(w->pool, w->h[i], buf, w->len[i]);
			}
		}
	}
	w->ns_per_op = (double)(bench_now_ns() - t0) / (double)done;
	for (unsigned i = 0; i < NOBJ / 2; i++)
		zs_free(w->pool, w->h[i]);
	rcu_unregister_thread();
	return NULL;
}

static double measure(enum op op, unsigned flags, unsigned nthreads,
		      const struct bench_opts *o, const struct bench_cpus *cpus)
{
	struct pa_zone *zone = make_zone(1024);
	struct zs_pool_config cfg = zs_pool_config_default();
	cfg.flags = flags;
	struct zs_pool *pool = zs_create_pool("bench", zone, &cfg);
	struct worker *w = calloc(nthreads, sizeof(*w));
	pthread_t t[2];
	pthread_barrier_t bar;
	double sum = 0;

	pthread_barrier_init(&bar, NULL, nthreads);
	for (unsigned i = 0; i < nthreads; i++) {
		w[i] = (struct worker){ .pool = pool, .op = op, .iters = o->ops,
					.budget_ns = o->budget_ns, .seed = 77 + i, .bar = &bar };
		pthread_create(&t[i], NULL, run_worker, &w[i]);
	}
	(void)cpus;
	for (unsigned i = 0; i < nthreads; i++) {
		pthread_join(t[i], NULL);
		sum += w[i].ns_per_op;
	}
	pthread_barrier_destroy(&bar);
	free(w);
	zs_destroy_pool(pool);
	pa_zone_destroy(zone);
	return sum / nthreads; /* ns per op as each thread sees it */
}

static void bench_ops(const struct bench_opts *o, const struct bench_cpus *cpus)
{
	static const struct { const char *row; enum op op; } rows[] = {
		{ "zs_malloc+zs_free", OP_PAIR },
		{ "read_begin+end", OP_READ },
		{ "zs_obj_write", OP_WRITE },
	};
	bench_group(G_OPS);
	for (unsigned r = 0; r < 3; r++) {
		for (unsigned nt = 1; nt <= 2; nt++) {
			char row[64];
			snprintf(row, sizeof(row), "%s, %u thread%s", rows[r].row, nt, nt > 1 ? "s" : "");
			if (!bench_selected(o, row) && !bench_selected(o, "ops"))
				continue;
			for (unsigned run = 0; run < o->runs; run++) {
				bench_result(G_OPS, row, "free under RCU",
					     measure(rows[r].op, 0, nt, o, cpus));
				if (rows[r].op == OP_PAIR)
					bench_result(G_OPS, row, "free under pool->lock",
						     measure(rows[r].op, ZS_POOL_FREE_LOCKED, nt, o, cpus));
			}
		}
	}
	bench_ratio(G_OPS, "free under RCU");
}

/* ------------------------------------------------------------------ */

static void bench_compaction(const struct bench_opts *o)
{
	uint64_t mib = o->quick ? 64 : 256;
	bench_group(G_CMP);
	for (unsigned run = 0; run < o->runs; run++) {
		struct pa_zone *zone = make_zone(mib + 64);
		struct zs_pool *pool = zs_create_pool("compact", zone, NULL);
		uint64_t seed = 5, n = 0;
		uint64_t cap = (mib << 20) / 1000;
		unsigned long *h = malloc(cap * sizeof(*h));
		uint8_t buf[PG];
		memset(buf, 0x33, sizeof(buf));
		while (n < cap && zs_get_total_pages(pool) * PG < (mib << 20)) {
			size_t len = object_size(&seed);
			h[n] = zs_malloc(pool, len, 0);
			zs_obj_write(pool, h[n], buf, len);
			n++;
		}
		for (uint64_t i = 0; i < n; i++)
			if (rnd(&seed) & 1)
				zs_free(pool, h[i]);
		uint64_t before = zs_get_total_pages(pool);
		uint64_t t0 = bench_now_ns();
		uint64_t freed = zs_compact(pool);
		double ms = (double)(bench_now_ns() - t0) / 1e6;
		bench_result(G_CMP, "ms per MB of pool memory", "zsmalloc",
			     ms / ((double)before * PG / 1048576.0));
		bench_result(G_CMP, "ms per MB freed", "zsmalloc",
			     ms / ((double)freed * PG / 1048576.0));
		bench_result(G_CMP, "pages freed, % of pool", "zsmalloc",
			     100.0 * (double)freed / (double)before);
		zs_destroy_pool(pool);
		pa_zone_destroy(zone);
		free(h);
	}
}

/* ------------------------------------------------------------------ */

struct objects {
	uint8_t *data;   /* compressed objects back to back */
	size_t *len;
	uint64_t n, bytes, cap_n, cap_bytes;
	uint64_t pages_seen, same_pages;
};

static bool same_filled(const uint8_t *p)
{
	const uint64_t *w = (const uint64_t *)(const void *)p;
	for (unsigned i = 1; i < PG / 8; i++)
		if (w[i] != w[0])
			return false;
	return true;
}

static void add_page(struct objects *ob, const uint8_t *page, size_t huge)
{
	char out[PG * 2];

	ob->pages_seen++;
	if (same_filled(page)) {
		ob->same_pages++;
		return;
	}
	int n = LZ4_compress_default((const char *)page, out, PG, (int)huge - 1);
	size_t len = n > 0 ? (size_t)n : PG;
	const void *src = n > 0 ? (const void *)out : (const void *)page;
	if (ob->n == ob->cap_n) {
		ob->cap_n = ob->cap_n ? 2 * ob->cap_n : 4096;
		ob->len = realloc(ob->len, ob->cap_n * sizeof(*ob->len));
	}
	if (ob->bytes + len > ob->cap_bytes) {
		ob->cap_bytes = ob->cap_bytes ? 2 * ob->cap_bytes : (16u << 20);
		ob->data = realloc(ob->data, ob->cap_bytes);
	}
	memcpy(ob->data + ob->bytes, src, len);
	ob->len[ob->n++] = len;
	ob->bytes += len;
}

static void walk(struct objects *ob, const char *dir, uint64_t limit, size_t huge)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	uint8_t page[PG];

	if (!d)
		return;
	while ((de = readdir(d)) && ob->pages_seen < limit) {
		if (de->d_name[0] == '.')
			continue;
		char path[4096];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			walk(ob, path, limit, huge);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		ssize_t r;
		while (ob->pages_seen < limit && (r = read(fd, page, PG)) > 0) {
			memset(page + r, 0, PG - (size_t)r);
			add_page(ob, page, huge);
		}
		close(fd);
	}
	closedir(d);
}

static uint64_t je_stat(const char *name)
{
	uint64_t epoch = 1, v = 0;
	size_t sz = sizeof(epoch);
	mallctl("epoch", &epoch, &sz, &epoch, sz);
	sz = sizeof(v);
	size_t vv = 0;
	sz = sizeof(vv);
	if (mallctl(name, &vv, &sz, NULL, 0) == 0)
		v = vv;
	return v;
}

/*
 * Churn: a store that lives long frees and stores all the time.  Three
 * rounds of freeing a random half of the objects and storing as many
 * again (objects drawn from the corpus at random), then the memory held
 * against the bytes live.  The store interface is two callbacks so the
 * same sequence runs on zsmalloc and on malloc.
 */
struct churn_store {
	void *ctx;
	void *(*put)(void *ctx, const uint8_t *data, size_t len);
	void (*drop)(void *ctx, void *obj, size_t len);
};

static uint64_t churn(const struct objects *ob, const struct churn_store *st,
		      void **obj, size_t *len, uint64_t seed)
{
	uint64_t *off = malloc(ob->n * sizeof(*off)), o = 0, live = 0;

	for (uint64_t i = 0; i < ob->n; i++) {
		off[i] = o;
		o += ob->len[i];
	}
	for (uint64_t i = 0; i < ob->n; i++) {
		len[i] = ob->len[i];
		obj[i] = st->put(st->ctx, ob->data + off[i], len[i]);
		live += len[i];
	}
	for (int round = 0; round < 3; round++) {
		for (uint64_t i = 0; i < ob->n; i++)
			if (rnd(&seed) & 1) {
				st->drop(st->ctx, obj[i], len[i]);
				live -= len[i];
				obj[i] = NULL;
			}
		for (uint64_t i = 0; i < ob->n; i++)
			if (!obj[i]) {
				uint64_t k = rnd(&seed) % ob->n;

				len[i] = ob->len[k];
				obj[i] = st->put(st->ctx, ob->data + off[k], len[i]);
				live += len[i];
			}
	}
	free(off);
	return live;
}

struct zs_churn {
	struct zs_pool *pool;
	size_t huge;
};

static void *zs_put(void *ctx, const uint8_t *data, size_t len)
{
	struct zs_churn *c = ctx;
	unsigned long h = zs_malloc(c->pool, len >= c->huge ? PG : len, 0);

	zs_obj_write(c->pool, h, data, len);
	return (void *)h;
}

static void zs_drop(void *ctx, void *obj, size_t len)
{
	struct zs_churn *c = ctx;

	(void)len;
	zs_free(c->pool, (unsigned long)obj);
}

static void *libc_put(void *ctx, const uint8_t *data, size_t len)
{
	(void)ctx;
	void *p = __libc_malloc(len);

	memcpy(p, data, len);
	return p;
}

static void libc_drop(void *ctx, void *obj, size_t len)
{
	(void)ctx;
	(void)len;
	__libc_free(obj);
}

static void *je_put(void *ctx, const uint8_t *data, size_t len)
{
	(void)ctx;
	void *p = malloc(len);

	memcpy(p, data, len);
	return p;
}

static void je_drop(void *ctx, void *obj, size_t len)
{
	(void)ctx;
	(void)len;
	free(obj);
}

static void bench_churn(const struct objects *ob, unsigned runs)
{
	void **obj = malloc(ob->n * sizeof(*obj));
	size_t *len = malloc(ob->n * sizeof(*len));

	bench_group(G_CHURN);
	for (unsigned run = 0; run < runs; run++) {
		for (unsigned chain = 4; chain <= 8; chain += 4) {
			struct pa_zone *zone = make_zone((ob->pages_seen * PG >> 20) + 256);
			struct zs_pool_config cfg = zs_pool_config_default();

			cfg.chain = chain;
			struct zs_churn c = { zs_create_pool("churn", zone, &cfg), 0 };

			c.huge = zs_huge_class_size(c.pool);
			struct churn_store st = { &c, zs_put, zs_drop };
			uint64_t live = 0;

			churn(ob, &st, obj, len, 42 + run);
			/* live bytes as zsmalloc stores them (raw above huge) */
			for (uint64_t i = 0; i < ob->n; i++)
				live += len[i] >= c.huge ? PG : len[i];
			char col[48];
			double before = (double)zs_get_total_pages(c.pool) * PG;

			snprintf(col, sizeof(col), "zsmalloc chain %u", chain);
			bench_result(G_CHURN, "held / live - 1, before compaction", col,
				     100.0 * (before / (double)live - 1.0));
			zs_compact(c.pool);
			double after = (double)zs_get_total_pages(c.pool) * PG;

			bench_result(G_CHURN, "held / live - 1, after zs_compact", col,
				     100.0 * (after / (double)live - 1.0));
			zs_destroy_pool(c.pool);
			pa_zone_destroy(zone);
		}
		struct churn_store gl = { NULL, libc_put, libc_drop };
		uint64_t live = churn(ob, &gl, obj, len, 42 + run);
		struct mallinfo2 m1 = mallinfo2();
		/* Absolute, not deltas: only these objects live in glibc's
		 * heap here (the benchmark's own arrays go through jemalloc),
		 * and an earlier phase's growth would make a delta meaningless.
		 * Held from the system (heap + mmapped chunks; glibc cannot move
		 * chunks, so holes stay held), and in chunks only. */
		double sys = (double)m1.arena + (double)m1.hblkhd;
		double inuse = (double)m1.uordblks + (double)m1.hblkhd;

		bench_result(G_CHURN, "held / live - 1, before compaction", "glibc malloc",
			     100.0 * (sys / (double)live - 1.0));
		bench_result(G_CHURN, "in-use chunks / live - 1", "glibc malloc",
			     100.0 * (inuse / (double)live - 1.0));
		for (uint64_t i = 0; i < ob->n; i++)
			__libc_free(obj[i]);

		uint64_t a0 = je_stat("stats.active");
		struct churn_store je = { NULL, je_put, je_drop };

		live = churn(ob, &je, obj, len, 42 + run);
		uint64_t a1 = je_stat("stats.active");

		bench_result(G_CHURN, "held / live - 1, before compaction", "jemalloc",
			     100.0 * ((double)(a1 - a0) / (double)live - 1.0));
		for (uint64_t i = 0; i < ob->n; i++)
			free(obj[i]);
	}
	free(obj);
	free(len);
}

static void bench_density(const struct bench_opts *o)
{
	/* BENCH_ZS_CORPUS_MIB: the kernel's figures come from ~1.7 GB of
	 * input; small corpora inflate zsmalloc's share of partly filled
	 * zspages (up to one per class). */
	const char *env = getenv("BENCH_ZS_CORPUS_MIB");
	uint64_t mib = env ? strtoull(env, NULL, 10) : o->quick ? 64 : 256;
	uint64_t limit = mib << 20 >> 12;
	struct objects ob = { 0 };
	const char *dirs[] = { "/usr/include", "/usr/share/doc", "/usr/lib/x86_64-linux-gnu",
			       "/usr/bin", "/usr/share" };

	/* Objects are compressed once, against chain 8's huge threshold (zram
	 * stores anything at or above it raw); chain 4 stores the 3257..3624
	 * byte ones in its huge classes, one per page, as its table says. */
	size_t huge = 3625;
	for (unsigned i = 0; i < 5 && ob.pages_seen < limit; i++)
		walk(&ob, dirs[i], limit, huge);
	bench_note("density corpus: %llu pages (%.0f MiB) of /usr, %llu same-filled, %llu objects, %.1f MiB compressed (ratio %.2f)",
		   (unsigned long long)ob.pages_seen, (double)ob.pages_seen * PG / 1048576.0,
		   (unsigned long long)ob.same_pages, (unsigned long long)ob.n,
		   (double)ob.bytes / 1048576.0,
		   (double)(ob.pages_seen - ob.same_pages) * PG / (double)ob.bytes);
	bench_group(G_DEN);
	unsigned long *h = malloc(ob.n * sizeof(*h));
	void **ptr = malloc(ob.n * sizeof(*ptr));

	for (unsigned run = 0; run < o->runs; run++) {
		for (unsigned chain = 4; chain <= 8; chain += 4) {
			struct pa_zone *zone = make_zone((ob.pages_seen * PG >> 20) + 128);
			struct zs_pool_config cfg = zs_pool_config_default();
			cfg.chain = chain;
			struct zs_pool *pool = zs_create_pool("density", zone, &cfg);
			/* As zram: what does not compress below this pool's huge
			 * threshold is stored raw and counts as a whole page. */
			size_t pool_huge = zs_huge_class_size(pool);
			uint64_t off = 0, compr = 0;
			for (uint64_t i = 0; i < ob.n; i++) {
				size_t len = ob.len[i] >= pool_huge ? PG : ob.len[i];
				h[i] = zs_malloc(pool, len, 0);
				zs_obj_write(pool, h[i], ob.data + off, ob.len[i]);
				off += ob.len[i];
				compr += len;
			}
			double used = (double)zs_get_total_pages(pool) * PG;
			char col[32];
			snprintf(col, sizeof(col), "zsmalloc chain %u", chain);
			bench_result(G_DEN, "pool pages / compressed bytes - 1", col,
				     100.0 * (used / (double)compr - 1.0));
			zs_destroy_pool(pool);
			pa_zone_destroy(zone);
		}
		/* glibc: bytes in use by chunks (headers and rounding), not
		 * counting free-list fragmentation, so a lower bound. */
		struct mallinfo2 m0 = mallinfo2();
		uint64_t off = 0;
		for (uint64_t i = 0; i < ob.n; i++) {
			ptr[i] = __libc_malloc(ob.len[i]);
			memcpy(ptr[i], ob.data + off, ob.len[i]);
			off += ob.len[i];
		}
		struct mallinfo2 m1 = mallinfo2();
		/* From the system (heap + mmapped chunks), and in chunks only
		 * (headers and rounding: a lower bound). */
		double sys = (double)(m1.arena - m0.arena) + (double)(m1.hblkhd - m0.hblkhd);
		double inuse = (double)(m1.uordblks - m0.uordblks) + (double)(m1.hblkhd - m0.hblkhd);
		bench_result(G_DEN, "pool pages / compressed bytes - 1", "glibc malloc",
			     100.0 * (sys / (double)ob.bytes - 1.0));
		bench_result(G_DEN, "in-use chunks / compressed bytes - 1", "glibc malloc",
			     100.0 * (inuse / (double)ob.bytes - 1.0));
		for (uint64_t i = 0; i < ob.n; i++)
			__libc_free(ptr[i]);

		/* jemalloc: pages backing live allocations (stats.active). */
		uint64_t a0 = je_stat("stats.active");
		off = 0;
		for (uint64_t i = 0; i < ob.n; i++) {
			ptr[i] = malloc(ob.len[i]);
			memcpy(ptr[i], ob.data + off, ob.len[i]);
			off += ob.len[i];
		}
		uint64_t a1 = je_stat("stats.active");
		bench_result(G_DEN, "pool pages / compressed bytes - 1", "jemalloc",
			     100.0 * ((double)(a1 - a0) / (double)ob.bytes - 1.0));
		for (uint64_t i = 0; i < ob.n; i++)
			free(ptr[i]);
	}
	free(h);
	free(ptr);
	if (bench_selected(o, "churn"))
		bench_churn(&ob, o->runs);
	free(ob.data);
	free(ob.len);
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	struct bench_cpus cpus;

	bench_parse_opts(argc, argv, "", &o);
	bench_cpus_init(&cpus);
	bench_make_multithreaded();
	rcu_register_thread();
	bench_note_provider("malloc", (void *)malloc);
	if (bench_selected(&o, "ops") || bench_selected(&o, "zs_"))
		bench_ops(&o, &cpus);
	if (bench_selected(&o, "compaction"))
		bench_compaction(&o);
	if (bench_selected(&o, "density") || bench_selected(&o, "churn"))
		bench_density(&o);
	rcu_unregister_thread();
	return 0;
}
