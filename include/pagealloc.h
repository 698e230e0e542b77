/* SPDX-License-Identifier: MIT */
/*
 * pagealloc.h - the Linux page allocator in user space.
 *
 * A zone manages a range of page frames addressed by pfn (0 .. managed-1).
 * Pages are handed out in power-of-two blocks ("orders") by a buddy
 * allocator with migratetypes and pageblocks, fronted by per-CPU pagesets.
 * A zone either has no memory behind it (PA_BACKING_NONE: metadata only, for
 * simulating machines far larger than this one) or manages an anonymous
 * mapping (PA_BACKING_ANON), in which case the pointer API maps pfns to
 * addresses.  The allocator never touches the memory of free pages.
 *
 * Thread safety, in one place:
 *  - Every function taking a struct pa_zone * is thread-safe unless its
 *    comment says otherwise.  pa_zone_create()/pa_zone_destroy() are not:
 *    no other call may run on the zone during destroy.
 *  - Async-signal-safe: pa_alloc_nolock(), pa_free_nolock() and
 *    pa_alloc_cpu()/pa_alloc_bulk() with PA_GFP_NOLOCK only.  Everything else
 *    may spin on a lock that the interrupted thread holds.
 *  - Error and event hooks run in the calling thread, possibly with zone
 *    locks held: they must not call back into the zone.
 *
 * Errors: functions returning int return 0 or a negative errno value;
 * functions returning a pfn return PA_NO_PFN on failure.  Every rejected
 * call leaves the zone unchanged and, when the zone has an error hook,
 * passes it a one-line message saying why.  Exception: an allocation
 * failure for lack of memory under the nolock API is not reported (the
 * hook's formatting is not async-signal-safe); invalid arguments are.
 */
#ifndef PAGEALLOC_H
#define PAGEALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with hidden visibility: these are its exports. */
#pragma GCC visibility push(default)

#define PA_VERSION_MAJOR 0
#define PA_VERSION_MINOR 1

/* Returned by the pfn allocation functions on failure. */
#define PA_NO_PFN UINT64_MAX

/* ------------------------------------------------------------------ */
/* Allocation flags (gfp)                                              */
/* ------------------------------------------------------------------ */

/* Neither MOVABLE nor RECLAIMABLE means unmovable, as in the kernel. */
#define PA_GFP_MOVABLE     0x01u /* migratetype Movable */
#define PA_GFP_RECLAIMABLE 0x02u /* migratetype Reclaimable */
#define PA_GFP_ATOMIC      0x04u /* may go below the min watermark; high-order
                                  * atomic allocations use and grow the
                                  * highatomic reserve */
#define PA_GFP_ZERO        0x08u /* zero the memory (backed zones only;
                                  * ignored on metadata-only zones) */
#define PA_GFP_NOWARN      0x10u /* do not report failure to the error hook */
#define PA_GFP_NOLOCK      0x20u /* never spin on a lock: trylock only, fail
                                  * (alloc) or defer through a lock-free
                                  * list (free) instead.  Async-signal-safe. */
#define PA_GFP_NORETRY     0x40u /* the caller has a cheap fallback (several
                                  * smaller allocations would do): under
                                  * spb, fail rather than taint a clean
                                  * superpageblock or fragment a pageblock
                                  * for a non-movable request; other
                                  * policies ignore it */
#define PA_GFP_MASK        0x7fu /* every defined bit; others are EINVAL */

/* ------------------------------------------------------------------ */
/* Migratetypes (numbering as the kernel prints them without CMA)      */
/* ------------------------------------------------------------------ */

enum pa_migratetype {
	PA_MT_UNMOVABLE = 0,
	PA_MT_MOVABLE = 1,
	PA_MT_RECLAIMABLE = 2,
	PA_MT_PCPTYPES = 3, /* types cached on per-CPU lists: the three above */
	PA_MT_HIGHATOMIC = 3,
	PA_MT_ISOLATE = 4,
	PA_MT_TYPES = 5,
};

/* Name as /proc/pagetypeinfo prints it ("Unmovable", ...); "?" if unknown. */
const char *pa_migratetype_name(unsigned mt);

/* ------------------------------------------------------------------ */
/* Zone configuration                                                  */
/* ------------------------------------------------------------------ */

enum pa_backing {
	PA_BACKING_NONE = 0, /* metadata only: pfns have no memory behind them */
	PA_BACKING_ANON = 1, /* anonymous mmap(MAP_NORESERVE) of `bytes` */
};

enum pa_policy {
	PA_POLICY_MAINLINE = 0, /* Linux 6.x: buddy + per-CPU pagesets */
	PA_POLICY_PCPBUDDY = 1, /* per-CPU pageblock buddy + split-path free */
	PA_POLICY_SPB = 2,      /* pcpbuddy + 1 GB superpageblocks */
	PA_POLICY_NR
};

/* Name of a policy ("mainline", "pcpbuddy", "spb"), or NULL. */
const char *pa_policy_name(enum pa_policy policy);
/* Parse a policy name; returns 0 and sets *out, or -EINVAL. */
int pa_policy_parse(const char *name, enum pa_policy *out);

/* A formatted event line, ftrace text layout, without trailing newline. */
typedef void (*pa_event_fn)(void *arg, const char *line);
/* A one-line error message; err is the negative errno returned. */
typedef void (*pa_error_fn)(void *arg, int err, const char *msg);

/* pa_config.flags */
#define PA_CFG_NO_WATERMARKS 0x01u /* min/low/high = 0: tests may use every page */
#define PA_CFG_NO_PCP        0x02u /* no per-CPU lists: every call takes
                                    * zone->lock (the "zone path" baseline) */
#define PA_CFG_LOCK_TIMING   0x04u /* time pcp->lock holds too (zone->lock is
                                    * always timed); costs a few ns per call */
#define PA_CFG_STRICT        0x08u /* expensive checks on every free: every
                                    * page of the block is scanned, and a
                                    * block overlapping another (corrupt
                                    * metadata) is refused with -EINVAL */
#define PA_CFG_NO_RSEQ       0x10u /* per-CPU fast path by trylock even where
                                    * rseq works (as PA_FAST_PATH=trylock
                                    * in the environment does) */

/*
 * Zero in any numeric field means "the default" (in brackets).  Start from
 * pa_config_default() so fields added later keep their defaults.
 */
struct pa_config {
	uint64_t bytes;             /* memory to manage; rounded down to whole
	                             * pageblocks; must hold at least one */
	uint64_t max_bytes;         /* [bytes] the most pa_zone_grow() may bring
	                             * the zone to, rounded down to whole
	                             * pageblocks; metadata and backing are
	                             * reserved for it at creation (mapped
	                             * lazily, so unused room costs address
	                             * space only); 0 or bytes: no growth */
	enum pa_backing backing;    /* [PA_BACKING_NONE] */
	unsigned ncpus;             /* CPU slots [online CPUs], 1..PA_MAX_CPUS */
	enum pa_policy policy;      /* [PA_POLICY_MAINLINE] */
	unsigned page_shift;        /* [12]  12..21 */
	unsigned pageblock_order;   /* [9]   1..max_order */
	unsigned max_order;         /* [10]  inclusive, pageblock_order..20 */
	unsigned superpageblock_order; /* [18, or pageblock_order if larger]
	                             * pageblock_order..40; policy spb:
	                             * >= max_order (free lists per SPB);
	                             * EINVAL outside */
	uint64_t min_free_kbytes;   /* [kernel formula: sqrt(16 * KiB), clamped
	                             * to 128 KiB .. 256 MiB] the min watermark
	                             * in KiB, rounded down to pages and capped
	                             * at a quarter of the zone's pages (so a
	                             * small zone stays usable): a larger value
	                             * is taken without error, pa_zone_config()
	                             * reports it as given and pa_stats'
	                             * wmark_min the capped watermark in force */
	unsigned pcp_batch;         /* [kernel formula for the zone size] */
	unsigned pcp_high_min;      /* [kernel formula] */
	unsigned pcp_high_max;      /* [kernel formula] */
	unsigned flags;             /* PA_CFG_* */
	const char *name;           /* zone name in reports ["Normal"]; copied */
	pa_event_fn event_fn;       /* ftrace-format event sink [none] */
	void *event_arg;
	pa_error_fn error_fn;       /* error hook [none] */
	void *error_arg;
};

#define PA_MAX_CPUS 1024

/* A config with every field at its default and `bytes` = 0. */
struct pa_config pa_config_default(void);

/*
 * Validate a config without creating anything.  Returns 0 or -EINVAL and
 * writes a one-line reason into msg (if msg && len) either way ("" if ok).
 */
int pa_config_check(const struct pa_config *cfg, char *msg, size_t len);

/* ------------------------------------------------------------------ */
/* Zone lifetime                                                       */
/* ------------------------------------------------------------------ */

struct pa_zone;

/*
 * Create a zone.  Returns NULL with errno EINVAL (bad config; the reason
 * goes to cfg->error_fn and is available from pa_config_check()) or ENOMEM
 * (metadata or backing could not be mapped).  Metadata costs 16 bytes per
 * page plus 8 per pageblock (20 under pcpbuddy and spb) plus under 1 KiB per
 * superpageblock (free-list heads and summaries), is mapped lazily, and
 * boot-time free memory is put on the free lists only as it is needed, so
 * a metadata-only zone of 1 TiB is created in milliseconds.  A zone holds
 * at most 2^32 - 1 pages (16 TiB with 4 KiB pages): EINVAL beyond.
 * Not thread-safe with respect to the new zone (there is none yet).
 */
struct pa_zone *pa_zone_create(const struct pa_config *cfg);

/* Destroy a zone and unmap its memory.  Allocated pages are simply gone.
 * No other call on the zone may run concurrently.  NULL is a no-op. */
void pa_zone_destroy(struct pa_zone *zone);

/* The effective configuration (defaults resolved), as asked otherwise:
 * min_free_kbytes is the value given or the default even where the
 * watermark is capped (see struct pa_config; pa_stats() has wmark_min),
 * and bytes is the size now (pa_zone_grow/pa_zone_shrink change it). */
void pa_zone_config(const struct pa_zone *zone, struct pa_config *out);

/* Pages managed by the zone now (pa_zone_grow/pa_zone_shrink change it).
 * Thread-safe. */
uint64_t pa_managed_pages(const struct pa_zone *zone);

/* ------------------------------------------------------------------ */
/* Allocation by pfn                                                   */
/* ------------------------------------------------------------------ */

/*
 * Allocate 2^order contiguous pages, aligned to their size, on the calling
 * thread's CPU (rseq, else sched_getcpu(), modulo ncpus).
 * Returns the first pfn, or PA_NO_PFN when: order > max_order or gfp has an
 * unknown bit (EINVAL, reported to the error hook), or no memory is free
 * above the watermark (reported unless PA_GFP_NOWARN).
 */
uint64_t pa_alloc(struct pa_zone *zone, unsigned order, unsigned gfp);

/*
 * Free a block previously returned by an allocation function with the same
 * order.  Returns 0, or -EINVAL and changes nothing when: pfn is out of
 * range or not aligned to the order, order > max_order, the block is not
 * allocated (double free, never allocated, a tail of a larger block) or was
 * allocated with another order.
 */
int pa_free(struct pa_zone *zone, uint64_t pfn, unsigned order);

/* As pa_alloc()/pa_free() but on an explicit CPU slot (0..ncpus-1); the lab
 * uses these to replay what each CPU did.  cpu >= ncpus: EINVAL. */
uint64_t pa_alloc_cpu(struct pa_zone *zone, unsigned cpu, unsigned order,
		      unsigned gfp);
int pa_free_cpu(struct pa_zone *zone, unsigned cpu, uint64_t pfn,
		unsigned order);

/*
 * Async-signal-safe variants: never spin or block.  An allocation that
 * cannot take a lock immediately fails (PA_NO_PFN).  A free that cannot take
 * a lock is pushed onto a lock-free list of the zone and merged by the next
 * zone->lock holder; it is still validated first and returns -EINVAL on a
 * bad free.  Equivalent to passing PA_GFP_NOLOCK.
 */
uint64_t pa_alloc_nolock(struct pa_zone *zone, unsigned order, unsigned gfp);
int pa_free_nolock(struct pa_zone *zone, uint64_t pfn, unsigned order);

/* ------------------------------------------------------------------ */
/* Bulk allocation and free                                            */
/* ------------------------------------------------------------------ */

/* For the `cpu` argument of the bulk calls: the calling thread's CPU slot
 * (as pa_alloc() picks it). */
#define PA_CPU_CURRENT UINT32_MAX

/*
 * Allocate up to n blocks of 2^order pages on CPU slot `cpu` (or
 * PA_CPU_CURRENT) into pfns[0..], as the kernel's alloc_pages_bulk:
 * the pageset's lock is tried once and held for the whole call, refilling
 * from the zone in batches; if it is busy, or the order is not cached per
 * CPU, the rest comes from the zone under one zone->lock hold.  The
 * watermarks apply to every block as in pa_alloc().  Returns how many
 * were allocated (0..n; pfns[] past that is untouched).  Fewer than n
 * for lack of memory is not an error and is not reported; when nothing
 * at all could be allocated, the call behaves as one pa_alloc() (drain,
 * retry, report unless PA_GFP_NOWARN).  0 and a report to the error hook
 * (EINVAL) when gfp has an unknown bit, order > max_order, cpu is
 * neither < ncpus nor PA_CPU_CURRENT, or pfns is NULL with n > 0.
 * Thread-safe.  PA_GFP_NOLOCK is honoured: with it, no lock is waited
 * for (trylocks only; a busy zone->lock ends the call with what it has)
 * and the call is async-signal-safe like pa_alloc_nolock().
 */
unsigned pa_alloc_bulk(struct pa_zone *zone, unsigned cpu, unsigned order,
		       unsigned gfp, unsigned n, uint64_t *pfns);

/*
 * Free n blocks (pfns[i] of order orders[i]) from CPU slot `cpu` (or
 * PA_CPU_CURRENT), as the kernel's free_unref_folios: one pass that keeps
 * this CPU's pageset lock across consecutive entries it caches, hands
 * blocks owned by another CPU's pageset to that CPU's lock-free list
 * (pcpbuddy) without taking its lock, and drops the lock only where it
 * must (a drain when the pageset passes `high`, an entry for the zone).
 * Each entry is validated as by pa_free(): a bad one (double free, wrong
 * order, ...) is refused, reported to the error hook, counted in
 * bad_frees and leaves the zone unchanged; the others are still freed.
 * Returns the number of entries freed (0..n), or -EINVAL (nothing freed,
 * reported) when cpu is neither < ncpus nor PA_CPU_CURRENT, or pfns or
 * orders is NULL with n > 0.  Thread-safe.  Not async-signal-safe: there
 * is no gfp, PA_GFP_NOLOCK is not available here and the call may wait
 * for zone->lock; a signal handler frees with pa_free_nolock().
 */
int pa_free_bulk(struct pa_zone *zone, unsigned cpu, const uint64_t *pfns,
		 const unsigned *orders, unsigned n);

/* ------------------------------------------------------------------ */
/* Pointer API (PA_BACKING_ANON zones)                                 */
/* ------------------------------------------------------------------ */

/* Allocate and return the address, or NULL (errno ENOMEM, or EINVAL also
 * for a metadata-only zone).  PA_GFP_ZERO zeroes the block. */
void *pa_alloc_pages(struct pa_zone *zone, unsigned order, unsigned gfp);
/* Free by address; -EINVAL if addr is not the start of an allocated block
 * of this order in this zone. */
int pa_free_pages(struct pa_zone *zone, void *addr, unsigned order);
/* pfn <-> address; NULL / PA_NO_PFN when out of range or not backed. */
void *pa_pfn_to_addr(const struct pa_zone *zone, uint64_t pfn);
uint64_t pa_addr_to_pfn(const struct pa_zone *zone, const void *addr);

/* ------------------------------------------------------------------ */
/* Per-CPU pagesets and CPUs                                           */
/* ------------------------------------------------------------------ */

/* Return every page cached on per-CPU lists (all CPUs, or one) to the
 * zone.  Thread-safe; -EINVAL for a bad cpu. */
void pa_drain(struct pa_zone *zone);
int pa_drain_cpu(struct pa_zone *zone, unsigned cpu);

/* Take a CPU slot out of use: its pageset is drained (remote-free lists
 * included) and marked dead; frees aimed at it go to the zone.  Online
 * brings it back and absorbs pages that still reached it.  -EINVAL for a
 * bad cpu; offlining the last online CPU is allowed (all calls then use
 * the zone). */
int pa_cpu_offline(struct pa_zone *zone, unsigned cpu);
int pa_cpu_online(struct pa_zone *zone, unsigned cpu);

/*
 * The periodic per-CPU housekeeping the kernel does from vmstat refresh
 * (once a second): decay each pageset's auto-tuned `high` towards high_min
 * and drain what exceeds it.  Call it on a timer in long-running programs;
 * the lab calls it once per second of trace time.  Thread-safe.
 */
void pa_pcp_tick(struct pa_zone *zone);

/*
 * pa_pcp_tick() for CPU `cpu`'s pageset alone: what one run of the
 * kernel's per-CPU vmstat work does to it (the kernel runs it on each CPU
 * on its own timer, and not at all on an idle CPU).  The lab calls it
 * where a trace shows that work running.  Returns 0, or -EINVAL for a
 * bad cpu (reported to the error hook).  Thread-safe.
 */
int pa_pcp_tick_cpu(struct pa_zone *zone, unsigned cpu);

/*
 * Put up to `pages` order-0 pages of gfp's migratetype on CPU `cpu`'s
 * pageset, raising its `high` (up to high_max) so they stay: a starting
 * state like a running machine's, whose pagesets are rarely empty (the lab
 * uses the per-CPU `count:` of the traced machine's zoneinfo).  Returns
 * the pages added, at most high_max less the pages the pageset already
 * holds; fewer if the zone runs short; under pcpbuddy and spb, which claim
 * whole pageblocks, up to one pageblock more.  Policy spb fills a
 * non-movable (unmovable or reclaimable) pageset only from superpageblocks
 * that already hold non-movable memory, never tainting a clean one: on a
 * zone where no non-movable block was allocated yet, such a fill returns
 * 0 though memory is free (an allocation of that type opens one; fill
 * after it).  -EINVAL for a bad cpu or gfp, -ENODEV if the zone has no
 * per-CPU lists or the CPU is offline.  The pages moved count as refill
 * traffic; see pa_stats_reset().  Thread-safe.
 */
int pa_pcp_fill(struct pa_zone *zone, unsigned cpu, unsigned pages,
		unsigned gfp);

/*
 * As pa_pcp_fill(), with blocks of `order` (an order the per-CPU lists
 * cache: 0..3 and the pageblock order under mainline): up to `pages`
 * pages, whole blocks only, on the list of gfp's migratetype.  Returns the
 * pages added (fewer if the zone runs short; pcpbuddy and spb may add up
 * to a pageblock more; spb's non-movable fills as for pa_pcp_fill()),
 * -EINVAL for a bad cpu, gfp or an order not cached,
 * -ENODEV without per-CPU lists or for an offline CPU.  Thread-safe.
 */
int pa_pcp_fill_order(struct pa_zone *zone, unsigned cpu, unsigned order,
		      unsigned pages, unsigned gfp);

/*
 * Set CPU `cpu`'s pageset's current (auto-tuned) `high` to `high`, clamped
 * to high_min..high_max, and clear its streaks of refills and frees: the
 * state /proc/zoneinfo shows for a running machine's pageset ("high:").
 * Nothing is drained now; the next free or pa_pcp_tick() drains what
 * exceeds it.  Returns the high set, -EINVAL for a bad cpu, -ENODEV
 * without per-CPU lists or for an offline CPU.  Thread-safe.
 */
int pa_pcp_set_high(struct pa_zone *zone, unsigned cpu, unsigned high);

/* The CPU slot the calling thread would use now. */
unsigned pa_current_cpu(const struct pa_zone *zone);

/* ------------------------------------------------------------------ */
/* Movable pages and migration                                         */
/* ------------------------------------------------------------------ */

/*
 * A page owner (zsmalloc, for one) may make its allocated blocks movable,
 * of any order: the allocator (pa_migrate_page(), pa_compact(),
 * pa_alloc_contig()) can then move their contents to another block of the
 * same order.  The callbacks run without zone locks held, possibly from
 * several threads at once (for different pfns).
 *  isolate: claim the block for migration; false if it cannot move now.
 *           Between a true isolate and migrate/putback the owner must not
 *           free the block (a free meanwhile fails with -EINVAL).
 *  migrate: copy src's block to dst and switch every reference from src
 *           to dst; 0 on success, negative errno (block stays at src).
 *           dst is already allocated and marked movable with the same id:
 *           the owner may free it as soon as it is published.
 *  putback: migration failed after isolate: release the claim.
 */
struct pa_movable_ops {
	bool (*isolate)(void *owner, uint64_t pfn);
	int (*migrate)(void *owner, uint64_t dst_pfn, uint64_t src_pfn);
	void (*putback)(void *owner, uint64_t pfn);
};

#define PA_MAX_MOVABLE_OPS 15

/* Register an owner's operations; returns an id > 0, -ENOSPC when the table
 * is full, -EINVAL for NULL callbacks.  Thread-safe. */
int pa_register_movable_ops(struct pa_zone *zone,
			    const struct pa_movable_ops *ops, void *owner);
/* Unregister (no page may still be marked with id).  Waits for
 * migrations already using the owner's callbacks to finish, so the owner
 * may be freed when this returns.  -EINVAL if id is not registered. */
int pa_unregister_movable_ops(struct pa_zone *zone, int id);
/* Mark the allocated block whose head is pfn (any order) as movable
 * through ops `id`, or id 0 to unmark.  -EINVAL if pfn is not the head of
 * an allocated block (pa_alloc_contig pieces are not) or id is not
 * registered.  A free unmarks. */
int pa_set_page_movable(struct pa_zone *zone, uint64_t pfn, int id);

/*
 * Move one movable block: isolate, allocate a destination (same order and
 * migratetype, not in the same pageblock when possible), migrate, free the
 * source straight to the zone's free lists.  Returns 0 and stores the new
 * pfn in *new_pfn, -EINVAL (not a movable allocated block), -EBUSY
 * (isolate refused, or the block is being migrated already), -ENOMEM (no
 * destination), or the migrate callback's error.  Counted in vmstat
 * pgmigrate_success/fail (pages).
 */
int pa_migrate_page(struct pa_zone *zone, uint64_t pfn, uint64_t *new_pfn);

/*
 * Copy the contents of the block of 2^order pages at src_pfn to the one at
 * dst_pfn (PA_BACKING_ANON zones), for a migrate callback.  The stores
 * bypass the caches where the CPU has non-temporal stores (x86-64): a
 * migrated page is seldom read right after, and a cached store first
 * reads every destination line, a third of the memory traffic of a copy.
 * The stores are fenced before the return, so publishing dst afterwards
 * is ordered after its contents.  Returns 0, or -EINVAL (no backing,
 * either range beyond the zone or not aligned to 2^order, the ranges
 * overlap).  Thread-safe; the caller must own both blocks, as migrate
 * does.
 */
int pa_copy_block(struct pa_zone *zone, uint64_t dst_pfn, uint64_t src_pfn,
		  unsigned order);

/* ------------------------------------------------------------------ */
/* Compaction and contiguous allocation                                */
/* ------------------------------------------------------------------ */

/* What one compaction did. */
struct pa_compact_stats {
	uint64_t migrate_scanned;  /* pfns the migrate scanner looked at */
	uint64_t free_scanned;     /* pfns the free scanner looked at */
	uint64_t isolated;         /* pages isolated: sources and targets */
	uint64_t pages_migrated;   /* pages moved */
	uint64_t pages_failed;     /* pages that did not move */
	uint64_t score_before, score_after; /* pa_compact_proactive: the
	                            * fragmentation score, 0..100 */
};

/*
 * Compact the zone as the kernel's compact_zone does: a migrate scanner
 * from the zone's start moves movable blocks (pa_set_page_movable) of
 * pageblocks that can become entirely free to free pages that a free
 * scanner takes from Movable pageblocks at the zone's end, in batches of
 * 32, until a free block of `order` exists or the scanners meet.  Per-CPU
 * lists are drained first.  Returns 0 when a free block of that order
 * exists at the end (at once if one already did), -EAGAIN when compaction
 * could not make one or was skipped: too little free memory above the
 * watermark (min, or low for order > 3, plus 2^(order+1) pages), or, for
 * order > 3, a fragmentation index of at most 0.500 (the failure is lack
 * of memory; extfrag_threshold 500).  -EINVAL for order > max_order.
 * `out` (may be NULL) gets what was done.  Counted in vmstat compact_*
 * (stall, success, fail only when it ran) and pgmigrate_*.  Thread-safe;
 * calls the owners' callbacks in the calling thread without zone locks
 * held, so the thread must meet their requirements (zsmalloc: registered
 * with liburcu), as for pa_alloc_contig() and pa_compact_proactive().
 */
int pa_compact(struct pa_zone *zone, unsigned order,
	       struct pa_compact_stats *out);

/*
 * One proactive compaction tick (kcompactd every 500 ms, the lab once per
 * second of trace time): the zone's fragmentation score is the share of
 * free memory not in free pageblock-order blocks (0..100).  With
 * proactiveness p (the kernel's default is 20), the low mark is 100 - p
 * and the high mark low + min(10, low / 2): above the high mark, compact
 * until the score is at or below the low mark or the scanners meet.
 * Returns 1 if it compacted, 0 if not (score at or below the high mark,
 * or p == 0), -EINVAL for p > 100.  `out` as for pa_compact.  Thread-safe.
 */
int pa_compact_proactive(struct pa_zone *zone, unsigned proactiveness,
			 struct pa_compact_stats *out);

/*
 * Allocate nr_pages contiguous pages, naturally aligned (pfn a multiple of
 * nr_pages): any power of two from 1 to the zone's size, above max_order
 * too (2^18 pages = 1 GiB with 4 KiB pages).  A free block of the order is
 * taken if one exists; otherwise aligned candidates are walked (a few
 * with the most free pages by pageblock counts first, then from the
 * zone's start), those holding pages that cannot move rejected cheaply
 * (highatomic or isolated pageblocks, pageblocks not entirely free whose
 * content bits say they held unmovable or reclaimable memory, allocated
 * blocks not marked movable), and the first that may work is isolated
 * (MIGRATE_ISOLATE), its movable blocks migrated elsewhere, and taken.
 * Under spb a non-movable range first keeps the no-fragmentation rule:
 * free pageblocks of tainted superpageblocks, then candidates inside
 * tainted ones migrated empty, and only then a clean one (tainting it).
 * gfp: the migratetype the range counts as, PA_GFP_ZERO, PA_GFP_NOWARN.
 * Returns the first pfn, or PA_NO_PFN with errno EINVAL (nr_pages zero,
 * not a power of two or above the zone; unknown gfp bits or
 * PA_GFP_NOLOCK), ENOMEM (not enough free memory, or nowhere to migrate
 * to) or EBUSY (something would not move in every candidate).  On failure
 * the zone is as before: moved blocks intact at their new place, counts
 * unchanged (per-CPU pages may have gone back to the zone).  Waits for
 * other contiguous allocations and frees; may take long on a large zone.
 * Thread-safe.
 */
uint64_t pa_alloc_contig(struct pa_zone *zone, uint64_t nr_pages,
			 unsigned gfp);

/* Free a range pa_alloc_contig returned, with the same nr_pages.  -EINVAL
 * (and nothing changes) for anything else: a range not allocated that way,
 * freed twice, a part of one.  Pages of such a range cannot be freed with
 * pa_free (-EINVAL).  Thread-safe. */
int pa_free_contig(struct pa_zone *zone, uint64_t pfn, uint64_t nr_pages);

/* ------------------------------------------------------------------ */
/* Free page reporting                                                 */
/* ------------------------------------------------------------------ */

/*
 * A reporter: told that the 2^order pages from pfn are free and will stay
 * free until it returns (a hypervisor balloon, or pa_report_madvise
 * giving the memory back to the OS).  0 to go on; nonzero stops the walk
 * (this block then does not count as reported).  Runs without zone locks
 * held; it must not free or allocate these pages, and should not call
 * pa_report_free() on the same zone.
 */
typedef int (*pa_report_fn)(void *arg, uint64_t pfn, unsigned order);

/*
 * Hand every free block of order >= `order` that has not been reported
 * since it was last freed to fn, as the kernel's free page reporting does
 * for a hypervisor: a batch of up to 32 blocks is taken off the free lists
 * under zone->lock (isolated: no allocation can take them, and they are
 * not counted free meanwhile), fn is called for each with no lock held,
 * then they are put back (at the tail of their lists, merging with free
 * buddies) and marked reported; the next batch follows.  A later call
 * skips marked blocks; a block loses its mark when it leaves the free
 * lists (allocated, split, merged into a larger block, or taken by
 * isolation), as the kernel's PageReported.  Only blocks on the zone's
 * free lists are reported: pages cached on per-CPU lists are not, and
 * boot-time memory the allocator has not put on a list yet (never
 * touched by anyone) is not either.  Pages in isolated pageblocks are
 * skipped.  An allocated page is never reported.
 * Returns the blocks reported (fn returned 0), or -EINVAL (order above
 * max_order, fn NULL).  Counted in page_reporting_* of pa_stats.
 * Thread-safe: allocations and frees go on during the walk (the batch
 * being reported is briefly unavailable to them).
 */
int64_t pa_report_free(struct pa_zone *zone, unsigned order, pa_report_fn fn,
		       void *arg);

/*
 * The built-in reporter for PA_BACKING_ANON zones: `arg` is the zone;
 * madvise(MADV_DONTNEED) the block's memory, so the process's resident
 * set shrinks (the pages read as zeros when they are used again).  0, or
 * -EINVAL (the zone has no backing: the walk stops) or madvise's -errno.
 */
int pa_report_madvise(void *zone, uint64_t pfn, unsigned order);

/* ------------------------------------------------------------------ */
/* Memory hotplug                                                      */
/* ------------------------------------------------------------------ */

/*
 * Online `bytes` more memory at the top of the zone (pfns from the
 * current pa_managed_pages() on), up to the config's max_bytes: its
 * pageblocks become Movable and entirely free, their blocks join the free
 * lists (merging with free blocks below), the superpageblock summaries
 * cover them, and the watermarks and per-CPU batch/high are recomputed
 * for the new size (values the config gave stay as given).  Returns 0,
 * -EINVAL (bytes zero or not a multiple of the pageblock size) or
 * -ENOSPC (beyond max_bytes); nothing changes on an error.
 * Thread-safe: allocations, frees, compaction and reporting may run
 * meanwhile; grow, shrink and pa_alloc_contig() are serialised.
 */
int pa_zone_grow(struct pa_zone *zone, uint64_t bytes);

/*
 * Offline the top `bytes` of the zone, as memory offlining does: the
 * range is isolated (no allocation can land there), its per-CPU pages
 * pulled back, movable allocated blocks (pa_set_page_movable) migrated
 * out through their owners, and once every page of it is free it leaves
 * the zone; backed zones give its memory back to the OS (MADV_DONTNEED).
 * Watermarks and per-CPU batch/high are recomputed as for grow.
 * Returns 0, -EINVAL (bytes zero, not a multiple of the pageblock size,
 * or leaving less than one pageblock), -EBUSY (an allocated block in the
 * range is not movable, is part of a pa_alloc_contig range, an owner kept
 * refusing, or a pageblock is already isolated) or -ENOMEM (nowhere to
 * migrate to).  Highatomic pageblocks in the range are given back to
 * Movable first (the reserve is free memory, not unmovable content),
 * unless the range holds an unmovable block anyway.  On -EBUSY for an
 * unmovable block nothing has changed; after a migration failure the
 * blocks already moved stay at their new place, contents intact, and the
 * range's reserve stays given back.  The size is unchanged on any error.
 * Thread-safe as pa_zone_grow(); the owners' callbacks run in the calling
 * thread, as for pa_alloc_contig().
 */
int pa_zone_shrink(struct pa_zone *zone, uint64_t bytes);

/* ------------------------------------------------------------------ */
/* Reclaim and the zone's background step                              */
/* ------------------------------------------------------------------ */

/*
 * A shrinker gives memory back on request, as the kernel's shrinkers and
 * its LRU scan do: the owner of page cache, anonymous memory that can go
 * to swap, or a slab cache frees some of its objects, and with them pages
 * of this zone.
 *
 * What a reclaim pass asks for.  The shrinker should prefer objects whose
 * pages match: of migratetype `migratetype` (-1: any), and in the pfn
 * range [pfn_start, pfn_end) when pfn_end > pfn_start (targeted reclaim of
 * one superpageblock or range; objects elsewhere may still be freed).
 */
struct pa_shrink_control {
	unsigned order;        /* order of the allocation being served; 0 for
	                        * background reclaim */
	int migratetype;       /* PA_MT_* of the pages wanted back, or -1 */
	uint64_t pfn_start, pfn_end;
	uint64_t nr_to_scan;   /* in: objects to look at in this call */
	uint64_t nr_scanned;   /* out: objects looked at (0: as nr_to_scan) */
};

/* How many objects could be freed now (approximate is fine; 0 skips the
 * shrinker for this pass).  Must be cheap. */
typedef uint64_t (*pa_shrink_count_fn)(void *arg,
				       const struct pa_shrink_control *sc);
/* Look at up to sc->nr_to_scan objects, free what can go (with pa_free(),
 * pa_free_bulk() or pa_free_pages() on this zone) and return the pages
 * freed.  Set sc->nr_scanned. */
typedef uint64_t (*pa_shrink_scan_fn)(void *arg,
				      struct pa_shrink_control *sc);

/*
 * Register a shrinker; returns an id > 0, -EINVAL for NULL callbacks,
 * -ENOSPC when the zone's table (16 shrinkers) is full, -EDEADLK when
 * called from a callback of this zone's shrinkers.  The callbacks run
 * without zone locks held, in the thread that triggered reclaim (an
 * allocation that found too little free memory: direct reclaim; or
 * pa_reclaim()) or that called pa_zone_tick() (background reclaim), one
 * reclaim pass at a time per zone.  They may free to the zone and may
 * allocate from it (such an allocation never recurses into reclaim,
 * compaction or evacuation).  Direct reclaim does not wait for a pass
 * another thread runs, so a shrinker may take locks its owner holds while
 * allocating.  A pass asks each count, shares the target out in
 * proportion, scans in batches of at most 128 objects, and ends at the
 * target, after a round that freed nothing, or after 8 rounds.
 * Thread-safe.  docs/RECLAIM.md has the whole contract.
 */
int pa_register_shrinker(struct pa_zone *zone, pa_shrink_count_fn count,
			 pa_shrink_scan_fn scan, void *arg);
/* Unregister; waits for a pass using it to finish, so `arg` may be freed
 * when this returns.  -EINVAL if id is not registered, -EDEADLK from a
 * callback of this zone's shrinkers.  Thread-safe. */
int pa_unregister_shrinker(struct pa_zone *zone, int id);

/*
 * Reclaim about nr_pages pages now through the registered shrinkers, with
 * `sc` as the request (NULL: any type, anywhere; nr_to_scan and
 * nr_scanned are ignored).  Waits for a pass another thread runs.
 * Returns the pages freed (0 when nothing could be, or when called from a
 * shrinker of this zone), or -EINVAL (sc->migratetype not -1 or a PA_MT_*,
 * sc->order above max_order, nr_pages above INT64_MAX).  Counted in vmstat
 * pgsteal_direct and pgscan_direct (slabs_scanned when sc->migratetype is
 * PA_MT_RECLAIMABLE).  Thread-safe.
 */
int64_t pa_reclaim(struct pa_zone *zone, uint64_t nr_pages,
		   const struct pa_shrink_control *sc);

/* What one pa_zone_tick() did. */
struct pa_tick_stats {
	uint64_t reclaimed;     /* pages background reclaim freed */
	uint64_t compacted;     /* pages compaction / defragmentation moved */
	uint64_t evacuated;     /* pages moved out of tainted superpageblocks */
	unsigned woken;         /* PA_TICK_* bits: which steps ran */
	uint64_t zone_lock_acquisitions; /* zone->lock acquisitions while the
	                          * tick ran (by any thread: exact when no
	                          * other thread uses the zone meanwhile) */
};
#define PA_TICK_KSWAPD  0x1u /* background reclaim (free < low watermark) */
#define PA_TICK_DEFRAG  0x2u /* spb defragmentation / evacuation */

/*
 * The zone's background work, which the kernel runs in kswapd and in the
 * series' per-superpageblock defragmentation worker.  A library has no
 * threads of its own: call this from a timer, a thread of yours, or a
 * simulated clock.  now_ns is your monotonic clock (cooldowns are measured
 * on it; it must not go backwards).  Runs only the steps whose triggers
 * fired since the last call (an allocation that left free memory below the
 * low watermark wakes background reclaim, which reclaims to the high
 * watermark, in at most 16 passes; after 16 wakes in a row that freed
 * nothing, wakes are ignored until some reclaim frees pages), then the
 * policy's background step, so a tick with nothing to do is cheap.  `out`
 * may be NULL.  Returns 0, or -EINVAL for a NULL zone.  Thread-safe; one
 * tick runs at a time per zone (a concurrent call, or one from a shrinker
 * of this zone, returns 0 at once with out->woken = 0).  Counted in vmstat
 * pageoutrun, pgscan_kswapd, pgsteal_kswapd.
 */
int pa_zone_tick(struct pa_zone *zone, uint64_t now_ns,
		 struct pa_tick_stats *out);

/* ------------------------------------------------------------------ */
/* Checking, statistics, reports                                       */
/* ------------------------------------------------------------------ */

/*
 * Validate every invariant: free lists (links, orders, alignment, flags,
 * migratetype of the pageblock), buddies never both free, per-pageblock
 * free counts, per-CPU list contents and counts, ownership, accounting
 * (free + per-CPU + allocated == managed).  Takes every lock of the zone,
 * so it is exact only when no other thread changes the zone meanwhile.
 * Returns 0, or -EUCLEAN and reports the first violation to the error hook
 * and into msg (if msg && len).
 */
int pa_check(struct pa_zone *zone, char *msg, size_t len);

/* Lock statistics of one lock, in the spirit of /proc/lock_stat. */
struct pa_lock_stats {
	uint64_t acquisitions;   /* successful acquisitions, trylock included */
	uint64_t contentions;    /* acquisitions that had to wait */
	uint64_t trylock_fails;  /* trylocks that failed (caller fell back) */
	uint64_t wait_ns;        /* total time spent waiting */
	uint64_t hold_ns;        /* total time held (zone->lock always; pcp
	                          * locks with PA_CFG_LOCK_TIMING) */
	uint64_t hold_max_ns;
};

#define PA_SPB_NR_PASSES 9

struct pa_stats {
	uint64_t managed_pages;
	uint64_t free_pages;        /* in zone free lists (buddy) */
	uint64_t pcp_pages;         /* cached on per-CPU lists, remote-free lists
	                             * and frees the nolock API deferred incl. */
	uint64_t allocated_pages;   /* handed out and not yet freed */
	uint64_t metadata_bytes;    /* page, pageblock, free-list and
	                             * superpageblock metadata mapped */
	uint64_t nr_pageblocks;

	uint64_t alloc_calls;       /* successful allocations */
	uint64_t alloc_failed;      /* failed allocations (any reason) */
	uint64_t free_calls;        /* successful frees */
	uint64_t bad_frees;         /* frees rejected with -EINVAL */
	uint64_t pgalloc;           /* pages allocated (vmstat pgalloc_normal) */
	uint64_t pgfree;            /* pages freed (vmstat pgfree) */

	/* zone->lock traffic: the figure the seeds argue about */
	struct pa_lock_stats zone_lock;
	uint64_t zone_pages_refill; /* pages moved zone -> pcp under zone->lock */
	uint64_t zone_pages_bulk;   /* ... of which block by block onto the
	                             * tails of the pageset's lists (the
	                             * kernel's rmqueue_bulk): all of mainline's
	                             * refills, pcpbuddy's last phase */
	uint64_t zone_pages_drain;  /* pages moved pcp -> zone under zone->lock */
	uint64_t zone_pages_direct_alloc; /* pages allocated straight from the zone
	                             * (no pcp, pcp busy, or an uncached order) */
	uint64_t zone_pages_direct_free; /* pages freed straight to the zone */
	uint64_t zone_lock_max_pages; /* most pages moved in one hold */
	uint64_t zone_blocks_moved; /* free-list operations under zone->lock:
	                             * blocks taken from or given back to the
	                             * free lists, any order counting once
	                             * (chunky transfers show here) */
	uint64_t zone_buddy_merges; /* buddies merged in by frees: each one
	                             * read and unlinked from its list */
	uint64_t zone_split_pieces; /* pieces splits (the kernel's expand)
	                             * put back on the free lists */
	uint64_t zone_pb_walked;    /* pages and blocks a fallback's walks of
	                             * a pageblock looked at, one each (its
	                             * count of movable pages before a claim,
	                             * its move of the free blocks after) */

	/* per-CPU pagesets (summed over CPUs) */
	struct pa_lock_stats pcp_lock;
	uint64_t pcp_alloc_hit;     /* served from a per-CPU list */
	uint64_t pcp_alloc_miss;    /* needed a refill or the zone */
	uint64_t pcp_refills;
	uint64_t pcp_drains;        /* drain batches (high exceeded, pa_drain) */
	uint64_t pcp_trylock_fallback_alloc; /* pcp->lock busy: zone path */
	uint64_t pcp_trylock_fallback_free;
	uint64_t nolock_deferred_frees;      /* went onto the zone llist */
	uint64_t nolock_alloc_failed;

	/* migratetype fallback (mm_page_alloc_extfrag) */
	uint64_t extfrag_fallbacks; /* allocations that took another type */
	uint64_t extfrag_fragmenting; /* ... from a block they did not claim */
	uint64_t blocks_claimed;    /* pageblocks whose type changed */
	uint64_t highatomic_blocks; /* pageblocks reserved highatomic now */

	/* pcpbuddy (zero under mainline) */
	uint64_t pcpb_blocks_claimed;
	uint64_t pcpb_blocks_disowned;
	uint64_t pcpb_merges;
	uint64_t pcpb_merge_walked; /* list entries the merge passes looked
	                             * at (each reads its buddy's state) */
	uint64_t pcpb_remote_pushed;
	uint64_t pcpb_remote_absorbed;
	uint64_t pcpb_phase[4];     /* refills served by phase 0..3 */
	uint64_t pcpb_phase0_pages; /* pages recovered by phase 0 */
	uint64_t pcpb_phase0_scanned; /* pfns scanned by phase 0 */
	uint64_t pcpb_fallback[2];  /* refills that took another type's
	                             * memory in phase 1 (a whole block
	                             * converted) or phase 3 (one block) */
	uint64_t pcpb_returned;     /* pages a pageset gave back because
	                             * another CPU ran out of their type */

	/* spb: zone-path searches served by each pass, in the order 1, 2,
	 * 2b, 2c, 2d, 3, 4, zone fallback, none (failed); bitmap words read
	 * by the searches and by whole-pageblock refills (zero elsewhere) */
	uint64_t spb_pass[PA_SPB_NR_PASSES];
	uint64_t spb_words_visited;
	uint64_t spb_hint_hits;     /* Pass 1 served from its hint, no pick */
	uint64_t spb_pb_adopted;    /* partly free pageblocks a pageset's
	                             * refill adopted (Phase 2) */
	/* spb: keeping superpageblocks clean and whole (pa_zone_tick's
	 * defragmentation worker, evacuation; zero elsewhere) */
	uint64_t spb_defrag_wanted;     /* SPBs a trigger marked for the worker */
	uint64_t spb_defrag_runs;       /* worker passes over one SPB */
	uint64_t spb_defrag_pages;      /* pages the worker moved out */
	uint64_t spb_defrag_pageblocks_freed; /* pageblocks its passes freed */
	uint64_t spb_defrag_cooldowns;  /* passes that freed nothing: 5 s off */
	uint64_t spb_defrag_skipped_cooldown; /* wanted, skipped: cooling down */
	uint64_t spb_evacuated_pages;   /* pages moved out of tainted SPBs,
	                                 * by every kind of evacuation */
	uint64_t spb_evacuate_queued;   /* claimed pageblocks queued for
	                                 * evacuation of their movable pages */
	uint64_t spb_evacuate_dropped;  /* ... not queued: the queue was full */
	uint64_t spb_evacuate_for_order; /* slow-path targeted evacuations */
	uint64_t spb_evacuate_for_order_pages; /* pages they moved */
	uint64_t spb_shrink_calls;      /* slab shrinks for SPB pressure */
	uint64_t spb_shrink_pages;      /* pages they freed */

	/* migration (pages) */
	uint64_t pgmigrate_success;
	uint64_t pgmigrate_fail;
	uint64_t pgmigrate_blocks;  /* blocks those pages were in (a move's
	                             * bookkeeping is per block, any order) */
	/* compaction (vmstat compact_*) and isolation */
	uint64_t compact_migrate_scanned;
	uint64_t compact_free_scanned;
	uint64_t compact_isolated;
	uint64_t compact_stall;     /* pa_compact calls that compacted */
	uint64_t compact_runs;      /* compaction runs, pa_compact's and
	                             * proactive ones: each starts both
	                             * scanners from the zone's ends (not a
	                             * kernel vmstat name) */
	uint64_t compact_fail;
	uint64_t compact_success;
	uint64_t isolated_pageblocks; /* MIGRATE_ISOLATE now */

	/* free page reporting and memory hotplug (pa_report_free,
	 * pa_zone_grow, pa_zone_shrink) */
	uint64_t page_reporting_blocks;  /* blocks handed to a reporter */
	uint64_t page_reporting_pages;   /* ... their pages */
	uint64_t page_reporting_skipped; /* blocks passed over: still reported */
	uint64_t memory_onlined_pages;   /* pages pa_zone_grow added */
	uint64_t memory_offlined_pages;  /* pages pa_zone_shrink removed */
	uint64_t memory_offline_failed;  /* pa_zone_shrink calls that failed
	                                  * (-EBUSY, -ENOMEM) */

	/* reclaim (vmstat names): objects the shrinkers looked at and pages
	 * they freed, by background (pa_zone_tick) and direct (slow path,
	 * pa_reclaim) reclaim; a pass asking for PA_MT_RECLAIMABLE counts
	 * what it looked at in slabs_scanned instead of pgscan_* */
	uint64_t pgscan_kswapd, pgscan_direct;
	uint64_t pgsteal_kswapd, pgsteal_direct;
	uint64_t slabs_scanned;
	uint64_t allocstall;        /* slow paths that entered direct reclaim
	                             * (vmstat allocstall_normal) */
	uint64_t kswapd_wake;       /* ticks that ran background reclaim
	                             * (vmstat pageoutrun) */
	uint64_t highatomic_unreserved; /* highatomic pageblocks the slow
	                             * path gave back to ordinary requests (an
	                             * allocation that then succeeded may have) */

	/* watermarks in pages */
	uint64_t wmark_min, wmark_low, wmark_high;
};

/* Fill *out.  Counters are read without stopping the zone, so under
 * concurrent use they are each exact but not mutually consistent. */
void pa_stats(struct pa_zone *zone, struct pa_stats *out);

/*
 * Zero the event counters (calls, pages allocated and freed, lock
 * statistics, zone->lock traffic, fallbacks, pcpbuddy and migration
 * counters) so a measurement starts from here, as writing 0 to
 * /proc/lock_stat does.  State figures (free, per-CPU, allocated pages,
 * reserves, watermarks) are untouched.  Needs quiescence: call it when no
 * other thread uses the zone.
 */
void pa_stats_reset(struct pa_zone *zone);

/* Fragmentation, from the superpageblock summaries under zone->lock:
 * O(superpageblocks), no pageblock walk. */
struct pa_frag {
	uint64_t free_pages;              /* zone free lists only */
	uint64_t free_in_whole_pageblocks; /* pages in pageblocks entirely free */
	uint64_t free_whole_pageblocks;   /* count of such pageblocks */
	uint64_t free_whole_superpageblocks; /* superpageblocks entirely free */
	uint64_t nr_superpageblocks;
	uint64_t mixed_pageblocks;        /* hold allocations of >1 class
	                                   * (movable vs not) */
	uint64_t pageblocks_by_mt[PA_MT_TYPES];
	uint64_t tainted_superpageblocks; /* hold any unmovable/reclaimable */
	uint64_t free_by_mt[PA_MT_TYPES]; /* free pages by pageblock type */
	uint64_t largest_free_order;      /* -1 (UINT64_MAX) if nothing free */
};
/* Returns 0, or -EINVAL when out is NULL.  Thread-safe (takes zone->lock). */
int pa_frag(struct pa_zone *zone, struct pa_frag *out);

/*
 * The kernel's fragmentation indexes per order, from the free lists (pages
 * on per-CPU lists count as in use, as in the kernel), in thousandths as
 * debugfs computes them (integer arithmetic, truncated):
 *  unusable_milli[j]: share of free memory unusable for an order-j request,
 *    (free_pages - suitable_blocks(j) * 2^j) * 1000 / free_pages; 1000 when
 *    nothing is free.  0 = every free page is usable for order j.
 *  extfrag_milli[j]: why an order-j request would fail: -1000 when it would
 *    not (a free block of order >= j exists); 0 when nothing is free; else
 *    1000 - (1000 + free_pages * 1000 / 2^j) / free_blocks: near 0 lack of
 *    memory, near 1000 fragmentation (compaction's extfrag_threshold is
 *    500).  Below 0 when a single free block is smaller than 2^j pages (the
 *    kernel does not clamp either).
 *  nr_free[o]: free blocks of order o, the /proc/buddyinfo counts the
 *    indexes were computed from.
 * Entries 0..nr_orders-1 (= max_order) are filled, the rest zeroed.
 */
#define PA_FRAG_ORDERS 21 /* max_order is at most 20 */
struct pa_frag_index {
	unsigned nr_orders;
	int extfrag_milli[PA_FRAG_ORDERS];
	int unusable_milli[PA_FRAG_ORDERS];
	uint64_t nr_free[PA_FRAG_ORDERS];
};
/* Fill *out from one consistent snapshot of the free lists (taken under
 * zone->lock; cost O(max_order^2), independent of the zone's size).
 * Thread-safe.  Returns 0, or -EINVAL when zone or out is NULL. */
int pa_frag_index(struct pa_zone *zone, struct pa_frag_index *out);

/* One cell per pageblock for maps: */
#define PA_PB_FREE     0x10u /* entirely free in the zone */
#define PA_PB_OWNED    0x20u /* owned by a per-CPU pageset (pcpbuddy) */
#define PA_PB_MIXED    0x40u /* holds movable and non-movable allocations */
/* out[i] = migratetype (low 4 bits) | PA_PB_* ; returns pageblocks written.
 * Copies min(n, nr_pageblocks) cells from pageblock `first` on. */
uint64_t pa_pageblock_map(struct pa_zone *zone, uint64_t first, uint8_t *out,
			  uint64_t n);

enum pa_report {
	PA_REPORT_BUDDYINFO,   /* /proc/buddyinfo */
	PA_REPORT_PAGETYPEINFO,/* /proc/pagetypeinfo */
	PA_REPORT_VMSTAT,      /* /proc/vmstat subset */
	PA_REPORT_ZONEINFO,    /* /proc/zoneinfo: counters, watermarks, pagesets */
	PA_REPORT_LOCKSTAT,    /* lock statistics, /proc/lock_stat style */
	PA_REPORT_EXTFRAG_INDEX,  /* /sys/kernel/debug/extfrag/extfrag_index */
	PA_REPORT_UNUSABLE_INDEX, /* /sys/kernel/debug/extfrag/unusable_index */
	PA_REPORT_SPBINFO,     /* one line per superpageblock: category,
	                        * fullness, free pages and pageblocks,
	                        * pageblocks by type (docs/FORMATS.md) */
};
/* Write a report; -EINVAL for an unknown kind or a NULL stream, -EIO on a
 * write error (the stream is flushed, so a full device is reported here,
 * not at the caller's fclose).  Thread-safe. */
int pa_report(struct pa_zone *zone, enum pa_report what, FILE *out);

/* The reports that follow from a pa_frag_index() snapshot alone
 * (PA_REPORT_BUDDYINFO, PA_REPORT_EXTFRAG_INDEX, PA_REPORT_UNUSABLE_INDEX),
 * exactly as pa_report() printed them when the snapshot was taken: a caller
 * that keeps a past moment's state (the lab's peak) formats it once, later.
 * -EINVAL for another report, a NULL argument or a snapshot of more than
 * PA_FRAG_ORDERS orders; -EIO on a write error (the stream is flushed).
 * Thread-safe: reads only the zone's name. */
int pa_report_frag_index(struct pa_zone *zone, const struct pa_frag_index *fi,
			 enum pa_report what, FILE *out);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif /* PAGEALLOC_H */
