/* SPDX-License-Identifier: MIT */
/*
 * pageblock_data: 8 bytes per pageblock (4 KiB per GiB with 2 MiB blocks),
 * replacing the kernel's flags bitmap as RFC 1/2 of the pcp-buddy series
 * does.  The migratetype and owner are read without zone->lock on the free
 * path, so they are accessed atomically; the rest is under zone->lock.
 */
#ifndef PA_PAGEBLOCK_H
#define PA_PAGEBLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* content bits: which kinds of allocation the block has held since it was
 * last entirely free (the superpageblock work's PB_has_<type>) */
#define PB_HAS_UNMOVABLE   0x01u
#define PB_HAS_MOVABLE     0x02u
#define PB_HAS_RECLAIMABLE 0x04u
#define PB_HAS_MASK        0x07u

struct pageblock_data {
	uint8_t mt;        /* migratetype; atomic */
	uint8_t content;   /* PB_HAS_* */
	uint16_t owner;    /* pcpbuddy: owning cpu + 1, 0 = zone; atomic */
	uint32_t nr_free;  /* pages of this block in the zone free lists */
};

_Static_assert(sizeof(struct pageblock_data) == 8, "pageblock_data is 8 bytes");

static inline unsigned pb_mt(const struct pageblock_data *pb)
{
	return __atomic_load_n(&pb->mt, __ATOMIC_RELAXED);
}

/* Raw store: only pageblock.c calls it (pageblock_set_type keeps the
 * superpageblock summaries in step). */
static inline void pb_store_mt_(struct pageblock_data *pb, unsigned mt)
{
	__atomic_store_n(&pb->mt, (uint8_t)mt, __ATOMIC_RELAXED);
}

static inline unsigned pb_owner(const struct pageblock_data *pb)
{
	return __atomic_load_n(&pb->owner, __ATOMIC_RELAXED);
}

static inline void pb_set_owner(struct pageblock_data *pb, unsigned owner)
{
	__atomic_store_n(&pb->owner, (uint16_t)owner, __ATOMIC_RELAXED);
}

static inline unsigned pb_content_bit(unsigned mt)
{
	return mt == 1 ? PB_HAS_MOVABLE :
	       mt == 2 ? PB_HAS_RECLAIMABLE : PB_HAS_UNMOVABLE;
}

/*
 * Every change of a pageblock's type, free count or content goes through
 * these (pageblock.c), so summaries built on pageblocks (superpageblocks)
 * see each change once.  Under zone->lock.
 */
struct pa_zone;
void pageblock_set_type(struct pa_zone *z, uint64_t b, unsigned mt);
/* Every pageblock a block of `order` at pfn covers (at least one). */
void pageblock_set_range_type(struct pa_zone *z, uint64_t pfn, unsigned order,
			      unsigned mt);
void pageblock_set_free(struct pa_zone *z, uint64_t b, uint32_t nr_free);
/* n whole pageblocks from `first` become entirely free (free) or taken:
 * one call for a block of pageblock order or more. */
void pageblock_set_free_range(struct pa_zone *z, uint64_t first, uint64_t n,
			      bool free);
void pageblock_clear_content(struct pa_zone *z, uint64_t b);
/* Memory hotplug: pageblock b, outside the zone (b >= nr_pageblocks, so
 * no summary counts it), starts afresh: Movable, no pages free, no
 * content, no owner. */
void pageblock_online(struct pa_zone *z, uint64_t b);
/* Note that an allocation (or a pageset) of type mt now holds the block
 * at pfn of `order`: sets PB_HAS_<mt> on each pageblock it covers. */
void pageblock_mark_content(struct pa_zone *z, uint64_t pfn, unsigned order,
			    unsigned mt);

#endif
