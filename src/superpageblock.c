/* SPDX-License-Identifier: MIT */
/*
 * Superpageblock summaries (layout and invariants in superpageblock.h):
 * kept in step with pageblock_data from pageblock.c's setters, read by
 * pa_frag, the spbinfo report and SPB-steered searches, verified by
 * spb_check.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "buddy.h"
#include "cpu.h"
#include "spb_defrag.h"
#include "spb_hint.h"
#include "trace.h"
#include "zone.h"

#define SPB_REPORT_CHUNK 64   /* SPBs copied per zone->lock hold */

static inline unsigned spb_pb_shift(const struct pa_zone *z)
{
	return z->spb_order - z->pb_order;
}

static inline uint64_t spb_of_pb(const struct pa_zone *z, uint64_t b)
{
	return b >> spb_pb_shift(z);
}

uint64_t spb_of_pfn(const struct pa_zone *z, uint64_t pfn)
{
	return pfn >> z->spb_order;
}

const uint64_t *spb_map(const struct pa_zone *z, unsigned map)
{
	return spb_map_at(z, map);
}

uint64_t spb_nr_words(const struct pa_zone *z)
{
	return z->spb_words;
}

uint64_t spb_count(const struct pa_zone *z, unsigned cat, unsigned bucket)
{
	return z->spb_nr_in[cat][bucket];
}

const struct superpageblock *spb_get(const struct pa_zone *z, uint64_t spb)
{
	return &z->spb[spb];
}

static inline void map_set(const struct pa_zone *z, unsigned m, uint64_t i)
{
	spb_map_at(z, m)[i >> 6] |= 1ull << (i & 63);
}

static inline void map_clear(const struct pa_zone *z, unsigned m, uint64_t i)
{
	spb_map_at(z, m)[i >> 6] &= ~(1ull << (i & 63));
}

static inline bool map_test(const struct pa_zone *z, unsigned m, uint64_t i)
{
	return spb_map_at(z, m)[i >> 6] & (1ull << (i & 63));
}

/* ---- derived state ---- */

/* SPBs in (category, bucket) and the bucket's bit in spb_buckets. */
static inline void nr_in_add(struct pa_zone *z, unsigned c, unsigned b, int d)
{
	z->spb_nr_in[c][b] += (uint64_t)(int64_t)d;
	if (z->spb_nr_in[c][b])
		z->spb_buckets[c] |= (uint8_t)(1u << b);
	else
		z->spb_buckets[c] &= (uint8_t)~(1u << b);
}

/* An SPB changed category or bucket: Pass 1's hints may no longer hold. */
static inline void hints_see_change(struct pa_zone *z, uint64_t i)
{
	if (z->spb_hint_valid[PA_MT_UNMOVABLE] | z->spb_hint_valid[PA_MT_MOVABLE] |
	    z->spb_hint_valid[PA_MT_RECLAIMABLE])
		spb_hint_spb_changed(z, i);
}

static inline unsigned content_index(unsigned bit)
{
	return (unsigned)__builtin_ctz(bit);
}

static inline bool content_mixed(unsigned c)
{
	return (c & PB_HAS_MOVABLE) &&
	       (c & (PB_HAS_UNMOVABLE | PB_HAS_RECLAIMABLE));
}

/* What the SPB holds: unmovable or reclaimable content (pa_frag's
 * "tainted", the spbinfo report's category). */
static bool holds_nonmovable(const struct superpageblock *s)
{
	return s->nr_has[content_index(PB_HAS_UNMOVABLE)] ||
	       s->nr_has[content_index(PB_HAS_RECLAIMABLE)];
}

/* Quarters of free pages; a whole SPB divides by a shift, only the
 * partial last one needs a division. */
static unsigned fullness_of(const struct pa_zone *z,
			    const struct superpageblock *s)
{
	uint64_t pages = (uint64_t)s->nr_pageblocks << z->pb_order;

	if (!s->nr_free)
		return SPB_FULLNESS_FULL;
	if (s->nr_free == pages)
		return SPB_FULLNESS_EMPTY;
	if (s->nr_pageblocks == 1ull << spb_pb_shift(z))
		return 1 + (unsigned)(((uint64_t)s->nr_free << 2) >> z->spb_order);
	return 1 + (unsigned)(((uint64_t)s->nr_free << 2) / pages);
}

/* Tainted while it holds non-movable content, emptied after that while a
 * pageblock keeps a non-movable type (superpageblock.h). */
static unsigned category_of(const struct superpageblock *s)
{
	if (holds_nonmovable(s))
		return SPB_TAINTED;
	return s->nr_by_mt[PA_MT_UNMOVABLE] || s->nr_by_mt[PA_MT_RECLAIMABLE]
		       ? SPB_EMPTIED : SPB_CLEAN;
}

static void refresh_category(struct pa_zone *z, uint64_t i)
{
	struct superpageblock *s = &z->spb[i];
	unsigned c = category_of(s);

	if (c == s->category)
		return;
	map_clear(z, s->category, i);
	map_set(z, c, i);
	nr_in_add(z, s->category, s->fullness, -1);
	nr_in_add(z, c, s->fullness, 1);
	s->category = (uint8_t)c;
	hints_see_change(z, i);
}

static void refresh_fullness(struct pa_zone *z, uint64_t i)
{
	struct superpageblock *s = &z->spb[i];
	unsigned f = fullness_of(z, s);

	if (f == s->fullness)
		return;
	map_clear(z, SPB_MAP_FULLNESS(s->fullness), i);
	map_set(z, SPB_MAP_FULLNESS(f), i);
	nr_in_add(z, s->category, s->fullness, -1);
	nr_in_add(z, s->category, f, 1);
	s->fullness = (uint8_t)f;
	/* the worker's triggers look at tainted SPBs only */
	if (s->category == SPB_TAINTED)
		spb_defrag_fullness_changed(z, i);
	hints_see_change(z, i);
}

/* ---- lifetime ---- */

static void boot_one(struct pa_zone *z, uint64_t i)
{
	struct superpageblock *s = &z->spb[i];
	uint64_t per = 1ull << spb_pb_shift(z), first = i * per;
	uint64_t n = z->nr_pageblocks - first < per ? z->nr_pageblocks - first : per;

	s->nr_pageblocks = (uint32_t)n;
	s->nr_free_pb = (uint32_t)n;
	s->nr_free = (uint32_t)(n << z->pb_order);
	s->nr_by_mt[PA_MT_MOVABLE] = (uint32_t)n;
	s->free_by_mt[PA_MT_MOVABLE] = s->nr_free;
	s->category = SPB_CLEAN;
	s->fullness = SPB_FULLNESS_EMPTY;
	map_set(z, SPB_MAP_CLEAN, i);
	map_set(z, SPB_MAP_FULLNESS(SPB_FULLNESS_EMPTY), i);
	nr_in_add(z, SPB_CLEAN, SPB_FULLNESS_EMPTY, 1);
}

/* SPBs of the largest size pa_zone_grow may reach. */
static uint64_t spb_room(const struct pa_zone *z)
{
	return (z->max_pages + (1ull << z->spb_order) - 1) >> z->spb_order;
}

int spb_init(struct pa_zone *z)
{
	uint64_t n = z->nr_superpageblocks, room = spb_room(z);

	z->spb_words = (room + 63) / 64;
	z->spb_bits = calloc(SPB_NR_MAPS * z->spb_words, sizeof(uint64_t));
	z->spb = calloc(room, sizeof(*z->spb));
	if (!z->spb || !z->spb_bits) {
		spb_destroy(z);
		return -ENOMEM;
	}
	for (uint64_t i = 0; i < n; i++)
		boot_one(z, i);
	return 0;
}

void spb_destroy(struct pa_zone *z)
{
	free(z->spb);
	free(z->spb_bits);
	z->spb = NULL;
	z->spb_bits = NULL;
}

/* ---- updates from pageblock.c ---- */

void spb_pb_type_changed(struct pa_zone *z, uint64_t b, unsigned old_mt)
{
	struct superpageblock *s = &z->spb[spb_of_pb(z, b)];
	unsigned mt = pb_mt(&z->pb[b]);
	uint32_t free = z->pb[b].nr_free;

	s->nr_by_mt[old_mt]--;
	s->nr_by_mt[mt]++;
	s->free_by_mt[old_mt] -= free;
	s->free_by_mt[mt] += free;
	if (old_mt == PA_MT_UNMOVABLE || old_mt == PA_MT_RECLAIMABLE ||
	    mt == PA_MT_UNMOVABLE || mt == PA_MT_RECLAIMABLE)
		refresh_category(z, spb_of_pb(z, b));
	spb_defrag_pb_retyped(z, b, old_mt);
}

void spb_pb_free_changed(struct pa_zone *z, uint64_t b, uint32_t old_free)
{
	uint64_t i = spb_of_pb(z, b);
	struct superpageblock *s = &z->spb[i];
	uint32_t now = z->pb[b].nr_free, whole = (uint32_t)pb_nr_pages(z);

	s->nr_free += now - old_free;
	s->free_by_mt[pb_mt(&z->pb[b])] += now - old_free;
	s->nr_free_pb += (uint32_t)(now == whole) - (uint32_t)(old_free == whole);
	refresh_fullness(z, i);
}

/* spb_pb_taint for each content bit that changed (the series' event, on
 * every change, not only when a pass taints a clean SPB). */
static void trace_content_bits(struct pa_zone *z, uint64_t b, unsigned old,
			       unsigned now)
{
	const struct superpageblock *s = &z->spb[spb_of_pb(z, b)];

	for (unsigned k = 0; k < SPB_NR_CONTENT; k++) {
		bool was = (old >> k) & 1u, is = (now >> k) & 1u;
		unsigned mt = k == content_index(PB_HAS_UNMOVABLE) ? PA_MT_UNMOVABLE :
			      k == content_index(PB_HAS_MOVABLE) ? PA_MT_MOVABLE :
								   PA_MT_RECLAIMABLE;

		if (was != is)
			trace_spb_pb_content(z, cpu_current(z), spb_of_pb(z, b),
					     b << z->pb_order, mt, is,
					     s->nr_has[k] == (is ? 1u : 0u));
	}
}

void spb_pb_content_changed(struct pa_zone *z, uint64_t b, unsigned old)
{
	uint64_t i = spb_of_pb(z, b);
	struct superpageblock *s = &z->spb[i];
	unsigned now = __atomic_load_n(&z->pb[b].content, __ATOMIC_RELAXED);

	for (unsigned diff = (old ^ now) & PB_HAS_MASK; diff; diff &= diff - 1) {
		unsigned k = (unsigned)__builtin_ctz(diff);

		s->nr_has[k] += (now >> k) & 1u ? 1u : (uint32_t)-1;
	}
	s->nr_mixed += (uint32_t)content_mixed(now) - (uint32_t)content_mixed(old);
	refresh_category(z, i);
	if (TRACING(z))
		trace_content_bits(z, b, old, now);
}

/* ---- contiguous allocations ---- */

void spb_set_contig(struct pa_zone *z, uint64_t pfn, uint64_t nr, bool on)
{
	uint64_t per = 1ull << z->spb_order;
	uint64_t first = (pfn + per - 1) >> z->spb_order;

	if (!z->spb)
		return;
	for (uint64_t i = first; (i + 1) * per <= pfn + nr; i++) {
		if (on)
			map_set(z, SPB_MAP_CONTIG, i);
		else
			map_clear(z, SPB_MAP_CONTIG, i);
	}
}

bool spb_is_contig(const struct pa_zone *z, uint64_t spb)
{
	return z->spb && map_test(z, SPB_MAP_CONTIG, spb);
}

/* ---- readers ---- */

uint64_t spb_metadata_bytes(const struct pa_zone *z)
{
	return z->nr_superpageblocks * sizeof(*z->spb) +
	       SPB_NR_MAPS * z->spb_words * sizeof(uint64_t);
}

void spb_totals(const struct pa_zone *z, struct spb_totals *t)
{
	uint64_t whole = 1ull << spb_pb_shift(z);

	memset(t, 0, sizeof(*t));
	for (uint64_t i = 0; i < z->nr_superpageblocks; i++) {
		const struct superpageblock *s = &z->spb[i];

		for (unsigned m = 0; m < PA_MT_TYPES; m++) {
			t->by_mt[m] += s->nr_by_mt[m];
			t->free_by_mt[m] += s->free_by_mt[m];
		}
		t->free_pb += s->nr_free_pb;
		t->mixed += s->nr_mixed;
		t->tainted += s->category == SPB_TAINTED;
		/* a partial last superpageblock never counts as whole */
		t->whole_free += s->nr_pageblocks == whole &&
				 s->nr_free_pb == whole;
	}
}

/* ---- checking ---- */

/* A contig-marked SPB: whole, nothing free, every max_order step an
 * allocated contiguous piece. */
static const char *check_contig(const struct pa_zone *z, uint64_t i,
				const struct superpageblock *s, char *buf,
				size_t len)
{
	uint64_t start = i << z->spb_order, step = 1ull << z->max_order;

	if (!map_test(z, SPB_MAP_CONTIG, i))
		return NULL;
	if (s->nr_free || s->nr_pageblocks != 1ull << spb_pb_shift(z))
		goto bad;
	for (uint64_t p = start; p < start + (1ull << z->spb_order); p += step)
		if ((page_flags(&z->pages[p]) & (PG_ALLOC | PG_CONTIG)) !=
		    (PG_ALLOC | PG_CONTIG))
			goto bad;
	return NULL;
bad:
	snprintf(buf, len, "superpageblock %" PRIu64 " is marked handed out whole but is partial, has free pages (%u) or holds a block that is not a contiguous piece",
		 i, s->nr_free);
	return buf;
}

/* What the pageblocks of SPB i say its summary should be. */
static void spb_from_walk(const struct pa_zone *z, uint64_t i,
			  struct superpageblock *w)
{
	uint64_t per = 1ull << spb_pb_shift(z), first = i * per;
	uint64_t end = first + per < z->nr_pageblocks ? first + per
						      : z->nr_pageblocks;

	memset(w, 0, sizeof(*w));
	w->nr_pageblocks = (uint32_t)(end - first);
	for (uint64_t b = first; b < end; b++) {
		const struct pageblock_data *pb = &z->pb[b];
		unsigned c = __atomic_load_n(&pb->content, __ATOMIC_RELAXED);

		w->nr_free += pb->nr_free;
		w->nr_free_pb += pb->nr_free == pb_nr_pages(z);
		w->nr_mixed += content_mixed(c);
		w->nr_by_mt[pb_mt(pb)]++;
		w->free_by_mt[pb_mt(pb)] += pb->nr_free;
		for (unsigned k = 0; k < SPB_NR_CONTENT; k++)
			w->nr_has[k] += (c >> k) & 1u;
	}
	w->category = (uint8_t)category_of(w);
	w->fullness = (uint8_t)fullness_of(z, w);
}

static const char *check_bits(const struct pa_zone *z, uint64_t i,
			      const struct superpageblock *s, char *buf,
			      size_t len)
{
	for (unsigned m = 0; m < SPB_MAP_CONTIG; m++) {
		bool want = m < SPB_NR_CATEGORIES ? s->category == m :
			    m == SPB_MAP_FULLNESS(s->fullness);

		if (map_test(z, m, i) != want) {
			snprintf(buf, len, "superpageblock %" PRIu64 ": bitmap %u bit is %d, its state says %d",
				 i, m, !want, want);
			return buf;
		}
	}
	return NULL;
}

static const char *check_tail_bits(const struct pa_zone *z, char *buf,
				   size_t len)
{
	uint64_t n = z->nr_superpageblocks;

	if (!(n & 63))
		return NULL;
	for (unsigned m = 0; m < SPB_NR_MAPS; m++)
		if (spb_map_at(z, m)[n >> 6] & (~0ull << (n & 63))) {
			snprintf(buf, len, "superpageblock bitmap %u has bits past the last SPB", m);
			return buf;
		}
	return NULL;
}

static const char *check_counts(const struct pa_zone *z,
				const uint64_t n[SPB_NR_CATEGORIES][SPB_NR_FULLNESS],
				char *buf, size_t len)
{
	for (unsigned c = 0; c < SPB_NR_CATEGORIES; c++)
		for (unsigned f = 0; f < SPB_NR_FULLNESS; f++)
			if (n[c][f] != z->spb_nr_in[c][f] ||
			    !n[c][f] != !(z->spb_buckets[c] & (1u << f))) {
				snprintf(buf, len, "%" PRIu64 " SPBs are %s in bucket %u, the count says %" PRIu64,
					 n[c][f], c == SPB_TAINTED ? "tainted" : c ? "emptied" : "clean", f,
					 z->spb_nr_in[c][f]);
				return buf;
			}
	return NULL;
}

const char *spb_check(const struct pa_zone *z, char *buf, size_t len)
{
	uint64_t free = 0, n[SPB_NR_CATEGORIES][SPB_NR_FULLNESS] = { { 0 } };
	const char *m;

	if (!z->spb)
		return NULL;
	for (uint64_t i = 0; i < z->nr_superpageblocks; i++) {
		const struct superpageblock *s = &z->spb[i];
		struct superpageblock w;

		spb_from_walk(z, i, &w);
		if (memcmp(s, &w, sizeof(w))) {
			snprintf(buf, len, "superpageblock %" PRIu64 ": summary (free %u, free pageblocks %u, mixed %u, category %u, fullness %u) disagrees with its pageblocks (%u, %u, %u, %u, %u) or in a per-type count",
				 i, s->nr_free, s->nr_free_pb, s->nr_mixed,
				 s->category, s->fullness, w.nr_free,
				 w.nr_free_pb, w.nr_mixed, w.category, w.fullness);
			return buf;
		}
		if ((m = check_bits(z, i, s, buf, len)) ||
		    (m = check_contig(z, i, s, buf, len)))
			return m;
		free += s->nr_free;
		n[s->category][s->fullness]++;
	}
	if ((m = check_counts(z, n, buf, len)))
		return m;
	if (free != z->free_pages) {
		snprintf(buf, len, "superpageblocks hold %" PRIu64 " free pages, the zone counts %" PRIu64,
			 free, z->free_pages);
		return buf;
	}
	if ((m = check_tail_bits(z, buf, len)))
		return m;
	return spb_defrag_check(z, buf, len);
}

/* ---- report ---- */

/* an emptied SPB holds nothing non-movable: clean, as pa_frag counts it */
static const char *const category_names[SPB_NR_CATEGORIES] = {
	"clean", "tainted", "clean",
};

static void report_line(const struct pa_zone *z, FILE *f, uint64_t i,
			const struct superpageblock *s)
{
	fprintf(f, "Node %d, zone %8s, spb %6" PRIu64 ", %-7s, fullness %u, free_pages %10u, free_pageblocks %6u, pageblocks %6u",
		0, z->name, i, category_names[s->category], s->fullness,
		s->nr_free, s->nr_free_pb, s->nr_pageblocks);
	for (unsigned m = 0; m < PA_MT_TYPES; m++)
		fprintf(f, ", %s %6u", pa_migratetype_name(m), s->nr_by_mt[m]);
	fputc('\n', f);
}

void spb_report(struct pa_zone *z, FILE *f)
{
	struct superpageblock copy[SPB_REPORT_CHUNK];

	for (uint64_t i = 0; i < z->nr_superpageblocks; i += SPB_REPORT_CHUNK) {
		uint64_t n = z->nr_superpageblocks - i;

		if (n > SPB_REPORT_CHUNK)
			n = SPB_REPORT_CHUNK;
		zone_lock(z);
		memcpy(copy, &z->spb[i], n * sizeof(copy[0]));
		zone_unlock(z);
		for (uint64_t k = 0; k < n; k++)
			report_line(z, f, i + k, &copy[k]);
	}
}

/* ---- resizing (memory hotplug) ---- */

static void spb_unlist(struct pa_zone *z, uint64_t i)
{
	struct superpageblock *s = &z->spb[i];

	map_clear(z, s->category, i);
	map_clear(z, SPB_MAP_FULLNESS(s->fullness), i);
	nr_in_add(z, s->category, s->fullness, -1);
	memset(s, 0, sizeof(*s));
}

static void spb_list(struct pa_zone *z, uint64_t i)
{
	struct superpageblock *s = &z->spb[i];

	spb_from_walk(z, i, s);
	map_set(z, s->category, i);
	map_set(z, SPB_MAP_FULLNESS(s->fullness), i);
	nr_in_add(z, s->category, s->fullness, 1);
}

void spb_resize(struct pa_zone *z, uint64_t old_nr_spb)
{
	uint64_t now = z->nr_superpageblocks;
	uint64_t kept = old_nr_spb < now ? old_nr_spb : now;
	/* the last SPB both sizes have may have changed its span */
	uint64_t first = kept ? kept - 1 : 0;

	if (!z->spb)
		return;
	spb_hint_drop_all(z);
	for (uint64_t i = first; i < old_nr_spb; i++)
		spb_unlist(z, i);
	for (uint64_t i = first; i < now; i++)
		spb_list(z, i);
}
