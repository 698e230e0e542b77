/* SPDX-License-Identifier: MIT */
/*
 * The cost model's figures: defaults, and the small text file
 * `pagealloc calibrate` writes.  A table maps each key to its field so
 * loading and writing cannot disagree.
 */
#include "costmodel.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct cm_key {
	const char *name;
	size_t off;
	const char *what;
};

#define K(f, w) { #f, offsetof(struct costmodel, f), w }
static const struct cm_key keys[] = {
	K(call_ns, "per alloc/free served by a per-CPU list"),
	K(lock_ns, "uncontended zone->lock acquire+release"),
	K(page_ns, "per page moved under zone->lock"),
	K(list_op_ns, "per free-list operation under zone->lock"),
	K(merge_ns, "per buddy merged, or split piece, under zone->lock"),
	K(pb_walk_ns, "per entry a fallback's pageblock walk looks at, under zone->lock"),
	K(handoff_ns, "zone->lock hand-off between two CPUs"),
	K(handoff_waiter_ns, "extra hand-off cost per spinning CPU (assumed)"),
	K(remote_ns, "push to / swap of a remote-free list"),
	K(think_scale, "multiplier on the workload's own time between calls"),
	K(miss_ns, "per call whose page metadata is not in the CPU's cache (16 MiB random, cold, remote)"),
	K(miss_1m_ns, "a miss on a line last touched at most 1 MiB of metadata ago"),
	K(miss_4m_ns, "a miss on a line last touched 4 MiB of metadata ago"),
	K(miss_64m_ns, "a miss on a line last touched 64 MiB of metadata ago or more"),
	K(cache_lines, "per-CPU cache for page metadata, 64-byte lines (assumed)"),
	K(walk_ns, "per list entry a pageset merge pass looks at (pcpbuddy, spb)"),
	K(walk_hop_ns, "per entry looked at that is not next to the previous one"),
	K(tlb_pages, "per-CPU TLB entries for page metadata, 4 KiB pages (assumed)"),
	K(tlb_miss_ns, "a touch whose metadata page is not in the TLB"),
	K(scan_ns, "per pfn compaction's migrate scanner steps on"),
	K(free_scan_ns, "per pfn compaction's free scanner steps on"),
	K(compact_ns, "per compaction run besides its steps and moves"),
	K(migrate_ns, "per block migrated, any order (compaction, evacuation)"),
	K(owner_ns, "per allocation marked movable (pa_set_page_movable)"),
};
#undef K
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static double *field(struct costmodel *m, const struct cm_key *k)
{
	return (double *)((char *)m + k->off);
}

struct costmodel costmodel_default(void)
{
	/* `pagealloc calibrate --runs 5` on the 2-core development VM
	 * (shared, load ~9: docs/VTIME.md); handoff_waiter_ns and
	 * cache_lines are the assumptions documented there. */
	return (struct costmodel){
		.call_ns = 25.2,
		.lock_ns = 61.4,
		.page_ns = 0.0,
		.list_op_ns = 56.8,
		/* 0: that calibration fitted list_op_ns with the merges and
		 * split pieces inside it (docs/VTIME.md) */
		.merge_ns = 0.0,
		/* median of six calibrate --runs 5, 2026-12-03 13:00-13:10
		 * (2.62-2.81: a sequential walk, steadier than the rest) */
		.pb_walk_ns = 2.7,
		.handoff_ns = 314.3,
		.handoff_waiter_ns = 4.0,
		.remote_ns = 157.1,
		.think_scale = 1.0,
		.miss_ns = 562.7,
		/* two later calibrations' ratios to their miss_ns (0.20,
		 * 0.67, 1.44), scaled to this one's */
		.miss_1m_ns = 114.0,
		.miss_4m_ns = 379.0,
		.miss_64m_ns = 811.0,
		/* 512 KiB: an L2 (re-touches within it are free; beyond,
		 * the calibrated curve: a share of LLC is in its 1 MiB
		 * point) */
		.cache_lines = 8192.0,
		/* per entry the library counts (pcpb_merge_walked): three
		 * calibrate runs, 2026-12-03 20:10 (2.11-2.58, 5.96-6.87) */
		.walk_ns = 2.4,
		.walk_hop_ns = 6.4,
		/* this EPYC's L2 data TLB (4 KiB entries): assumed */
		.tlb_pages = 2048.0,
		.tlb_miss_ns = 0.0,
		/* calibrate --runs 5, 2026-12-04 02:45, the four-term fit
		 * (docs/VTIME.md; the two-term fit gave 18.0 and 39.3 on
		 * 2026-12-02, the run's fixed cost inside them) */
		.scan_ns = 5.2,
		.free_scan_ns = 3.4,
		.compact_ns = 3270.0,
		.migrate_ns = 46.2,
		/* two calibrate --runs 5, 2026-12-02 13:42 (7.7, 6.7) */
		.owner_ns = 7.2,
	};
}

void costmodel_miss_figures(const struct costmodel *m,
			    double y[COSTMODEL_MISS_FIGS])
{
	y[0] = m->miss_1m_ns;
	y[1] = m->miss_4m_ns;
	y[2] = m->miss_ns;
	y[3] = m->miss_64m_ns;
}

void costmodel_miss_weights(const struct costmodel *m, double lines,
			    double w[COSTMODEL_MISS_FIGS])
{
	/* footprints of the calibration points, log2 bytes; point 0 is
	 * the cache's size, where a miss costs nothing */
	double at[COSTMODEL_MISS_FIGS + 1] = { 0, 20, 22, 24, 26 };
	double f = log2(lines * 64 > 1 ? lines * 64 : 1), t;
	unsigned k = 0;

	for (unsigned i = 0; i < COSTMODEL_MISS_FIGS; i++)
		w[i] = 0;
	if (m->miss_1m_ns == 0 && m->miss_4m_ns == 0 && m->miss_64m_ns == 0) {
		w[2] = 1; /* the flat model: miss_ns at any distance */
		return;
	}
	if (lines <= m->cache_lines)
		return;
	at[0] = log2(m->cache_lines * 64 > 1 ? m->cache_lines * 64 : 1);
	if (f >= at[COSTMODEL_MISS_FIGS]) {
		w[COSTMODEL_MISS_FIGS - 1] = 1;
		return;
	}
	if (at[0] >= at[1]) { /* a cache of 1 MiB or more: flat to 1 MiB */
		if (f <= at[1]) {
			w[0] = 1;
			return;
		}
		at[0] = at[1] - 1;
	}
	while (f > at[k + 1])
		k++;
	/* between point k and k + 1: figure k - 1 and figure k */
	t = (f - at[k]) / (at[k + 1] - at[k]);
	if (k > 0)
		w[k - 1] = 1 - t;
	w[k] = t;
}

double costmodel_miss_at(const struct costmodel *m, double lines)
{
	double w[COSTMODEL_MISS_FIGS], y[COSTMODEL_MISS_FIGS], c = 0;

	costmodel_miss_weights(m, lines, w);
	costmodel_miss_figures(m, y);
	for (unsigned i = 0; i < COSTMODEL_MISS_FIGS; i++)
		c += w[i] * y[i];
	return c;
}

double costmodel_zone_ns(const struct costmodel *m, double acq, double pages,
			 double list_ops, double merges, double pb_walked)
{
	return acq * m->lock_ns + pages * m->page_ns + list_ops * m->list_op_ns +
	       merges * m->merge_ns + pb_walked * m->pb_walk_ns;
}

double costmodel_tlb_share(const struct costmodel *m, double lines)
{
	double mapped = m->tlb_pages * 64; /* lines a TLB entry's page holds */

	return lines <= mapped ? 0 : 1 - mapped / lines;
}

double costmodel_line_miss_at(const struct costmodel *m, double lines)
{
	double c = costmodel_miss_at(m, lines) -
		   m->tlb_miss_ns * costmodel_tlb_share(m, lines);

	return c > 0 ? c : 0;
}

static int parse_line(struct costmodel *m, char *line, const char *path,
		      unsigned lineno, char *err, size_t len)
{
	char *hash = strchr(line, '#'), *eq, *end, *name;
	double v;

	if (hash)
		*hash = 0;
	name = line + strspn(line, " \t\r\n");
	if (!*name)
		return 0;
	eq = strchr(name, '=');
	if (!eq) {
		snprintf(err, len, "%s:%u: want \"key = value\"", path, lineno);
		return -EINVAL;
	}
	*eq = 0;
	name[strcspn(name, " \t")] = 0;
	v = strtod(eq + 1, &end);
	end += strspn(end, " \t\r\n");
	if (end == eq + 1 || *end || !isfinite(v) || v < 0) {
		snprintf(err, len, "%s:%u: %s: want a number >= 0", path,
			 lineno, name);
		return -EINVAL;
	}
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0) {
			*field(m, &keys[i]) = v;
			return 0;
		}
	snprintf(err, len, "%s:%u: unknown key \"%s\"", path, lineno, name);
	return -EINVAL;
}

int costmodel_load(struct costmodel *m, const char *path, char *err,
		   size_t len)
{
	FILE *f = fopen(path, "r");
	char line[256];
	unsigned n = 0;
	int rc = 0;

	if (!f) {
		rc = -errno;
		snprintf(err, len, "%s: %s", path, strerror(errno));
		return rc;
	}
	while (!rc && fgets(line, sizeof(line), f)) {
		size_t got = strlen(line);

		/* a line fgets cut short (a NUL byte) or could not hold: not a
		 * cost model (/dev/zero read on for ever as blank lines) */
		if ((got == 0 || line[got - 1] != '\n') && !feof(f)) {
			snprintf(err, len, "%s:%u: %s: not a cost model", path,
				 n + 1, got + 1 < sizeof(line) ?
				 "binary data (a NUL byte)" : "line too long");
			rc = -EINVAL;
			break;
		}
		rc = parse_line(m, line, path, ++n, err, len);
	}
	if (!rc && ferror(f)) {
		rc = errno ? -errno : -EIO; /* a directory: EISDIR */
		snprintf(err, len, "%s: %s", path, strerror(-rc));
	}
	fclose(f);
	return rc;
}

int costmodel_write(const struct costmodel *m, FILE *out)
{
	struct costmodel c = *m;

	fprintf(out, "# pagealloc cost model (docs/VTIME.md); ns unless noted\n");
	for (size_t i = 0; i < NKEYS; i++)
		fprintf(out, "%-18s = %.3f   # %s\n", keys[i].name,
			*field(&c, &keys[i]), keys[i].what);
	return ferror(out) ? -EIO : 0;
}
