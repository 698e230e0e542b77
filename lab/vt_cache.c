/* SPDX-License-Identifier: MIT */
/*
 * The metadata cache of the virtual-time model: two levels, lines and
 * TLB-mapped metadata pages, with the same reuse-distance rule.
 */
#include "vt_cache.h"

#include <errno.h>
#include <stdlib.h>

static void level_free(struct vt_cache_level *l)
{
	free(l->cpu);
	free(l->stamp);
	free(l->acc);
	l->cpu = NULL;
	l->stamp = NULL;
	l->acc = NULL;
}

/* calloc: units never touched cost no memory */
static int level_alloc(struct vt_cache_level *l, uint64_t units,
		       unsigned ncpus)
{
	l->cpu = calloc(units, sizeof(*l->cpu));
	l->stamp = calloc(units, sizeof(*l->stamp));
	l->acc = calloc(ncpus ? ncpus : 1, sizeof(*l->acc));
	if (!l->cpu || !l->stamp || !l->acc) {
		level_free(l);
		return -ENOMEM;
	}
	return 0;
}

int vt_cache_init(struct vt_cache *vc, const struct costmodel *m,
		  uint64_t nr_pages, unsigned ncpus)
{
	uint64_t lines = nr_pages / VT_PAGES_PER_LINE + 1;

	vc->m = m;
	vc->ncpus = ncpus;
	if (level_alloc(&vc->line, lines, ncpus) < 0)
		return -ENOMEM;
	if (level_alloc(&vc->page, lines / VT_LINES_PER_MPAGE + 1, ncpus) < 0) {
		level_free(&vc->line);
		return -ENOMEM;
	}
	return 0;
}

void vt_cache_destroy(struct vt_cache *vc)
{
	level_free(&vc->line);
	level_free(&vc->page);
}

/* CPU c touches unit u of level l, which holds `size` units: whether it
 * missed (another CPU's, never touched, or more than `size` units came
 * in since), and how many came in since this CPU's last touch. */
static bool level_touch(struct vt_cache_level *l, unsigned c, uint64_t u,
			double size, bool *mine, double *since)
{
	bool miss;

	*mine = l->cpu[u] == c + 1;
	*since = (double)(l->acc[c] - l->stamp[u]);
	miss = !*mine || *since > size;
	if (miss)
		l->acc[c]++;
	l->cpu[u] = (uint16_t)(c + 1);
	l->stamp[u] = l->acc[c];
	return miss;
}

/* w += the weights of the four miss figures in a miss at `lines`. */
static void add_miss_weights(const struct costmodel *m, double lines,
			     double *w)
{
	double d[COSTMODEL_MISS_FIGS];

	costmodel_miss_weights(m, lines, d);
	for (unsigned i = 0; i < COSTMODEL_MISS_FIGS; i++)
		w[i] += d[i];
}

bool vt_cache_touch(struct vt_cache *vc, unsigned c, uint64_t line,
		    double *cost, uint64_t *tlb_misses, double *miss_w)
{
	const struct costmodel *m = vc->m;
	bool mine, lmiss;
	double since;

	lmiss = level_touch(&vc->line, c, line, m->cache_lines, &mine, &since);
	/* a line of ours that left costs a random access over that much
	 * metadata; another CPU's, or a first touch, the 16 MiB figure; in
	 * both the TLB's part is priced by the page level below */
	if (lmiss) {
		double at = mine ? since : COSTMODEL_MISS_NS_LINES;

		*cost += costmodel_line_miss_at(m, at);
		if (miss_w)
			add_miss_weights(m, at, miss_w);
	}
	if (m->tlb_miss_ns > 0 &&
	    level_touch(&vc->page, c, line / VT_LINES_PER_MPAGE, m->tlb_pages,
			&mine, &since)) {
		*cost += m->tlb_miss_ns;
		++*tlb_misses;
	}
	return lmiss;
}
