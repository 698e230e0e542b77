/* SPDX-License-Identifier: MIT */
/*
 * Zone lifetime: resolve and validate the configuration, map the metadata
 * (lazily, MAP_NORESERVE, so a 1 TiB metadata-only zone costs only what it
 * touches), map the memory for backed zones, and hand every page to the
 * free lists as the kernel does at boot: largest aligned blocks, all
 * pageblocks Movable.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "buddy.h"
#include "pcp.h"
#include "rseq.h"
#include "watermark.h"

static const char *const mt_names[PA_MT_TYPES] = {
	"Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate",
};
static const char *const policy_names[PA_POLICY_NR] = {
	"mainline", "pcpbuddy", "spb",
};

const char *pa_migratetype_name(unsigned mt)
{
	return mt < PA_MT_TYPES ? mt_names[mt] : "?";
}

const char *pa_policy_name(enum pa_policy policy)
{
	return (unsigned)policy < PA_POLICY_NR ? policy_names[policy] : NULL;
}

int pa_policy_parse(const char *name, enum pa_policy *out)
{
	for (unsigned i = 0; name && i < PA_POLICY_NR; i++) {
		if (!strcmp(name, policy_names[i])) {
			*out = (enum pa_policy)i;
			return 0;
		}
	}
	return -EINVAL;
}

struct pa_config pa_config_default(void)
{
	return (struct pa_config){
		.backing = PA_BACKING_NONE,
		.policy = PA_POLICY_MAINLINE,
		.page_shift = 12,
		.pageblock_order = 9,
		.max_order = 10,
		.superpageblock_order = 18,
		.name = "Normal",
	};
}

static int bad(char *msg, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (msg && len) {
		va_start(ap, fmt);
		vsnprintf(msg, len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

#define PA_CFG_KNOWN (PA_CFG_NO_WATERMARKS | PA_CFG_NO_PCP | \
		      PA_CFG_LOCK_TIMING | PA_CFG_STRICT | PA_CFG_NO_RSEQ)

/* Fill in defaults and validate; *out gets the resolved config. */
/* The defaults of every field left 0. */
static void config_defaults(struct pa_config *c)
{
	if (!c->page_shift)
		c->page_shift = 12;
	if (!c->max_order)
		c->max_order = 10;
	if (!c->pageblock_order)
		c->pageblock_order = c->max_order < 9 ? c->max_order : 9;
	if (!c->superpageblock_order)
		c->superpageblock_order = 18 > c->pageblock_order ?
						  18 : c->pageblock_order;
	if (!c->ncpus) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		c->ncpus = n > 0 ? (unsigned)n : 1;
		if (c->ncpus > PA_MAX_CPUS)
			c->ncpus = PA_MAX_CPUS;
	}
	if (!c->name || !c->name[0])
		c->name = "Normal";
}

/* Page, block and superpageblock orders, CPUs, backing. */
static int check_geometry(const struct pa_config *c, char *msg, size_t len)
{
	if (c->page_shift < 12 || c->page_shift > 21)
		return bad(msg, len, "page_shift %u out of range 12..21",
			   c->page_shift);
	if (c->max_order > 20)
		return bad(msg, len, "max_order %u above 20", c->max_order);
	if (c->pageblock_order < 1 || c->pageblock_order > c->max_order)
		return bad(msg, len,
			   "pageblock_order %u must be 1..max_order (%u)",
			   c->pageblock_order, c->max_order);
	if (c->superpageblock_order < c->pageblock_order ||
	    c->superpageblock_order > 40)
		return bad(msg, len,
			   "superpageblock_order %u must be pageblock_order (%u)..40",
			   c->superpageblock_order, c->pageblock_order);
	if (c->ncpus > PA_MAX_CPUS)
		return bad(msg, len, "ncpus %u above %u", c->ncpus,
			   PA_MAX_CPUS);
	if ((unsigned)c->backing > PA_BACKING_ANON)
		return bad(msg, len, "unknown backing %d", (int)c->backing);
	return 0;
}

/* The policy exists and the rest of the config gives it what it needs. */
static int check_policy(const struct pa_config *c, char *msg, size_t len)
{
	const struct pa_policy_ops *ops;

	if ((unsigned)c->policy >= PA_POLICY_NR)
		return bad(msg, len, "unknown policy %d", (int)c->policy);
	if (!(ops = policy_ops(c->policy)))
		return bad(msg, len, "policy %s is not implemented yet",
			   pa_policy_name(c->policy));
	if ((ops->flags & POL_OWNED_BLOCKS) && (c->flags & PA_CFG_NO_PCP))
		return bad(msg, len, "policy %s needs per-CPU lists (PA_CFG_NO_PCP given)",
			   pa_policy_name(c->policy));
	if ((ops->flags & POL_SPB_LISTS) &&
	    c->superpageblock_order < c->max_order)
		return bad(msg, len, "policy %s needs superpageblock_order (%u) >= max_order (%u)",
			   pa_policy_name(c->policy), c->superpageblock_order,
			   c->max_order);
	if (c->flags & ~PA_CFG_KNOWN)
		return bad(msg, len, "unknown flags 0x%x",
			   c->flags & ~PA_CFG_KNOWN);
	return 0;
}

static int check_pcp_tunables(const struct pa_config *c, char *msg,
			      size_t len)
{
	if (c->pcp_high_min && c->pcp_high_max &&
	    c->pcp_high_min > c->pcp_high_max)
		return bad(msg, len, "pcp_high_min %u above pcp_high_max %u",
			   c->pcp_high_min, c->pcp_high_max);
	if (c->pcp_high_max > INT32_MAX / 4 || c->pcp_high_min > INT32_MAX / 4 ||
	    c->pcp_batch > INT32_MAX / 256)
		return bad(msg, len, "per-CPU batch/high values too large");
	return 0;
}

/* bytes and max_bytes (0: bytes): a pageblock at least, the room for
 * growth addressable. */
static int resolve_size(struct pa_config *c, char *msg, size_t len)
{
	uint64_t block = 1ull << (c->page_shift + c->pageblock_order);

	if (c->bytes < block)
		return bad(msg, len,
			   "bytes %llu do not hold one pageblock (%llu bytes)",
			   (unsigned long long)c->bytes,
			   (unsigned long long)block);
	if (c->max_bytes && c->max_bytes < c->bytes)
		return bad(msg, len, "max_bytes %llu below bytes %llu",
			   (unsigned long long)c->max_bytes,
			   (unsigned long long)c->bytes);
	if (!c->max_bytes)
		c->max_bytes = c->bytes;
	/* the room for growth is what has to fit */
	uint64_t pages = (c->max_bytes / block) << c->pageblock_order;

	if (pages >= PA_NIL)
		return bad(msg, len,
			   "%llu pages exceed the 2^32-1 pages a zone can address",
			   (unsigned long long)pages);
	if (c->backing == PA_BACKING_ANON && (c->max_bytes >> 40) >= 64)
		return bad(msg, len, "backed zone of %llu bytes is too large",
			   (unsigned long long)c->max_bytes);
	return 0;
}

static int resolve(const struct pa_config *in, struct pa_config *out,
		   char *msg, size_t len)
{
	int r;

	if (msg && len)
		msg[0] = 0;
	if (!in)
		return bad(msg, len, "config is NULL");
	*out = *in;
	config_defaults(out);
	if ((r = check_geometry(out, msg, len)) ||
	    (r = check_policy(out, msg, len)) ||
	    (r = check_pcp_tunables(out, msg, len)))
		return r;
	return resolve_size(out, msg, len);
}

int pa_config_check(const struct pa_config *cfg, char *msg, size_t len)
{
	struct pa_config out;

	return resolve(cfg, &out, msg, len);
}

static void *map_anon(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* The zone's sizes and choices, from a resolved config. */
static void zone_geometry(struct pa_zone *z, const struct pa_config *rc)
{
	z->cfg = *rc;
	snprintf(z->name, sizeof(z->name), "%s", rc->name);
	z->cfg.name = z->name;
	z->page_shift = rc->page_shift;
	z->pb_order = rc->pageblock_order;
	z->max_order = rc->max_order;
	z->spb_order = rc->superpageblock_order;
	z->nr_pageblocks = (rc->bytes >> (rc->page_shift + rc->pageblock_order));
	z->nr_pages = z->nr_pageblocks << z->pb_order;
	z->max_pages = (rc->max_bytes >> (rc->page_shift + rc->pageblock_order))
		       << z->pb_order;
	z->asked = z->cfg;
	z->nr_superpageblocks =
		(z->nr_pages + (1ull << z->spb_order) - 1) >> z->spb_order;
	z->ncpus = rc->ncpus;
	z->policy = rc->policy;
	z->ops = policy_ops(rc->policy);
	z->pflags = z->ops->flags;
	z->use_pcp = !(rc->flags & PA_CFG_NO_PCP);
	z->t0_clock = pa_clock();
	z->t0_ns = pa_now_ns();
	z->llist_head = PA_NIL;
}

/* The metadata, and the memory of a backed zone, for the largest the zone
 * may grow to: mapped lazily, so only what is touched costs. */
static int zone_map(struct pa_zone *z)
{
	z->pages_map_bytes = z->max_pages * sizeof(struct pa_page);
	z->pb_map_bytes = (z->max_pages >> z->pb_order) *
			  sizeof(struct pageblock_data);
	z->pages = map_anon(z->pages_map_bytes);
	z->pb = map_anon(z->pb_map_bytes);
	if (!z->pages || !z->pb)
		return -ENOMEM;
	if (z->cfg.backing == PA_BACKING_ANON) {
		/* Align the region to the largest block so every block is
		 * naturally aligned in the address space too (THP-friendly). */
		size_t bytes = (size_t)z->max_pages << z->page_shift;
		size_t align = (size_t)1 << (z->max_order + z->page_shift);

		z->mem_map_bytes = bytes + align;
		z->mem_map = map_anon(z->mem_map_bytes);
		if (!z->mem_map)
			return -ENOMEM;
		z->mem = (char *)(((uintptr_t)z->mem_map + align - 1) &
				  ~(uintptr_t)(align - 1));
	}
	return 0;
}

/* Watermarks, free lists, pagesets and superpageblocks, in that order
 * (each reads what the one before set up). */
static int zone_init_lists(struct pa_zone *z)
{
	zone_init_watermarks(z);
	if (fa_init(z, z->ops->fa_part_shift(z)))
		return -ENOMEM;
	if (z->use_pcp && pcp_init(z))
		return -ENOMEM;
	if (z->use_pcp)
		pcp_fast_path_select(z);
	fa_boot(z);
	if (spb_init(z))
		return -ENOMEM;
	zone_update_fast_flags(z);
	return 0;
}

struct pa_zone *pa_zone_create(const struct pa_config *cfg)
{
	struct pa_config rc;
	char msg[200];

	if (resolve(cfg, &rc, msg, sizeof(msg))) {
		if (cfg && cfg->error_fn)
			cfg->error_fn(cfg->error_arg, -EINVAL, msg);
		errno = EINVAL;
		return NULL;
	}
	struct pa_zone *z = aligned_alloc(PA_CACHELINE,
					  (sizeof(*z) + PA_CACHELINE - 1) &
						  ~(size_t)(PA_CACHELINE - 1));

	if (!z)
		goto nomem;
	memset(z, 0, sizeof(*z));
	zone_geometry(z, &rc);
	pa_lock_init(&z->lock, true);
	pa_lock_init(&z->movable_lock, false);
	pa_lock_init(&z->contig_lock, false);
	if (reclaim_init(z)) {
		free(z);
		goto nomem;
	}
	if (zone_map(z) || zone_init_lists(z)) {
		pa_zone_destroy(z);
		goto nomem;
	}
	return z;

nomem:
	if (cfg->error_fn)
		cfg->error_fn(cfg->error_arg, -ENOMEM,
			      "pa_zone_create: cannot map metadata or memory");
	errno = ENOMEM;
	return NULL;
}

void pa_zone_destroy(struct pa_zone *z)
{
	if (!z)
		return;
	if (z->pages)
		munmap(z->pages, z->pages_map_bytes);
	if (z->pb)
		munmap(z->pb, z->pb_map_bytes);
	if (z->mem_map)
		munmap(z->mem_map, z->mem_map_bytes);
	pcp_destroy(z);
	spb_destroy(z);
	fa_destroy(z);
	reclaim_destroy(z);
	free(z);
}

void pa_zone_config(const struct pa_zone *z, struct pa_config *out)
{
	*out = z->cfg;
}

uint64_t pa_managed_pages(const struct pa_zone *z)
{
	return STAT_LOAD(z->nr_pages);
}
