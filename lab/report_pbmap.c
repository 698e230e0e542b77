/* SPDX-License-Identifier: MIT */
/*
 * The pageblock map of the HTML report: one row per superpageblock (1 GiB
 * by default), several side by side on large machines, each cell one or
 * more pageblocks.  A cell's colour is the migratetype most of its
 * pageblocks in use have (or "mixed"), its shade how many of them are in
 * use (occupancy), and its tooltip the exact counts.  Neighbouring cells
 * of the same composition are drawn as one rectangle, so the page stays
 * small: a 2 TiB machine is 2048 rows of 16 cells, 8 to a line.
 */
#include "report.h"

#include <inttypes.h>
#include <string.h>

#include "svg.h"

#define MAP_W 1024      /* pixels for the whole map */
#define MAX_CELLS 32768 /* cells per policy at most */
#define MAX_COLS 8
#define CLASS_MIXED PA_MT_TYPES
#define NCLASS (PA_MT_TYPES + 1)

static const char *const mt_color[PA_MT_TYPES] = {
	"#d55e00", /* Unmovable */
	"#009e73", /* Movable */
	"#0072b2", /* Reclaimable */
	"#e69f00", /* HighAtomic */
	"#777777", /* Isolate */
};
static const char *const mt_free_color[PA_MT_TYPES] = {
	"#f6d2bb", "#c8ecdf", "#bcd9ef", "#f8e3b3", "#dddddd",
};
#define MIXED_COLOR "#6a3d9a"
#define OWNED_COLOR "#222222"

const char *report_mt_color(unsigned mt)
{
	return mt_color[mt < PA_MT_TYPES ? mt : PA_MT_ISOLATE];
}

struct cell {
	uint32_t used[NCLASS];   /* pageblocks in use by class */
	uint32_t free[PA_MT_TYPES]; /* entirely free pageblocks by type */
	uint32_t owned;          /* owned by a CPU (pcpbuddy) */
	uint32_t n;
};

/* Rows of the drawing: one superpageblock each up to ROWS_MAX, else
 * `per_line` of them side by side (a small gap between), so the map keeps
 * its width and a sane height; one label column at the left. */
struct layout {
	uint64_t per_row, rows, lines;
	unsigned per_line, cells, rowh;
	uint64_t agg;            /* pageblocks per cell */
	double seg_w, label_w, cell_w;
};

#define ROWS_MAX 256
#define SEG_GAP 4.0

static struct layout plan(const struct sim *s, uint64_t n)
{
	struct layout l;
	unsigned spb = s->zcfg.superpageblock_order - s->zcfg.pageblock_order;

	l.per_row = 1ull << spb;
	l.rows = (n + l.per_row - 1) / l.per_row;
	l.per_line = 1;
	while (l.per_line < MAX_COLS && l.rows > (uint64_t)l.per_line * ROWS_MAX)
		l.per_line *= 2;
	l.lines = (l.rows + l.per_line - 1) / l.per_line;
	l.label_w = 58;
	l.seg_w = (MAP_W - l.label_w - (l.per_line - 1) * SEG_GAP) / l.per_line;
	l.cells = (unsigned)(l.per_row < MAP_W ? l.per_row : MAP_W);
	while (l.cells > 1 && (l.seg_w / l.cells < 2 ||
			       l.rows * l.cells > MAX_CELLS))
		l.cells /= 2;
	l.agg = l.per_row / l.cells;
	l.cell_w = l.seg_w / l.cells;
	l.rowh = l.lines > 128 ? 3 : l.lines > 60 ? 5 : l.lines > 16 ? 8 : 14;
	return l;
}

static void count(struct cell *c, const uint8_t *map, uint64_t from,
		  uint64_t to)
{
	memset(c, 0, sizeof(*c));
	for (uint64_t i = from; i < to; i++) {
		unsigned mt = map[i] & 0x0f;

		if (mt >= PA_MT_TYPES)
			mt = PA_MT_ISOLATE;
		if (map[i] & PA_PB_FREE)
			c->free[mt]++;
		else
			c->used[map[i] & PA_PB_MIXED ? CLASS_MIXED : mt]++;
		c->owned += !!(map[i] & PA_PB_OWNED);
		c->n++;
	}
}

static unsigned argmax(const uint32_t *v, unsigned n)
{
	unsigned best = 0;

	for (unsigned i = 1; i < n; i++)
		if (v[i] > v[best])
			best = i;
	return best;
}

static uint32_t sum(const uint32_t *v, unsigned n)
{
	uint32_t t = 0;

	for (unsigned i = 0; i < n; i++)
		t += v[i];
	return t;
}

static void tooltip(FILE *f, const struct sim *s, const struct cell *c,
		    uint64_t first, uint64_t last)
{
	static const char *const cls[NCLASS] = {
		"unmovable", "movable", "reclaimable", "highatomic", "isolate",
		"mixed",
	};
	uint64_t mib = (first << s->zcfg.pageblock_order << s->zcfg.page_shift) >> 20;

	fprintf(f, "<title>%" PRIu64 " MiB, pageblocks %" PRIu64 "-%" PRIu64
		": %u in use", mib, first, last - 1, sum(c->used, NCLASS));
	for (unsigned k = 0; k < NCLASS; k++)
		if (c->used[k])
			fprintf(f, ", %s %u", cls[k], c->used[k]);
	fprintf(f, "; %u free", sum(c->free, PA_MT_TYPES));
	if (c->owned)
		fprintf(f, "; %u owned by a CPU", c->owned);
	fprintf(f, "</title>");
}

/* One rectangle for cells [first, last) of identical composition. */
static void draw_run(FILE *f, const struct sim *s, const struct cell *c,
		     uint64_t first, uint64_t last, double x, double w,
		     double y, unsigned h)
{
	uint32_t used = sum(c->used, NCLASS);
	const char *col;
	double op = 1;

	if (!used) {
		col = mt_free_color[argmax(c->free, PA_MT_TYPES)];
	} else {
		unsigned k = argmax(c->used, NCLASS);

		col = k == CLASS_MIXED ? MIXED_COLOR : mt_color[k];
		op = 0.3 + 0.7 * (double)used / (double)c->n;
	}
	fprintf(f, "<rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" height=\"%u\" "
		"fill=\"%s\" fill-opacity=\"%.2f\"%s>", x, y, w, h, col, op,
		c->owned ? " stroke=\"" OWNED_COLOR "\" stroke-width=\"0.5\"" : "");
	tooltip(f, s, c, first, last);
	fprintf(f, "</rect>");
}

static void draw_row(FILE *f, const struct sim *s, const struct sim_policy *p,
		     const struct layout *l, uint64_t r)
{
	uint64_t line = r / l->per_line, seg = r % l->per_line;
	double x0 = l->label_w + (double)seg * (l->seg_w + SEG_GAP);
	double y = (double)line * (l->rowh + 1) + 1;
	uint64_t first = r * l->per_row, end = first + l->per_row;
	uint64_t spb_bytes = l->per_row << s->zcfg.pageblock_order
				<< s->zcfg.page_shift;
	struct cell run, c;
	uint64_t run_from = first, i;

	if (end > p->nr_pageblocks)
		end = p->nr_pageblocks;
	count(&run, p->pb_map, first, first + l->agg < end ? first + l->agg : end);
	for (i = first + l->agg; i < end; i += l->agg) {
		count(&c, p->pb_map, i, i + l->agg < end ? i + l->agg : end);
		if (memcmp(&c, &run, sizeof(c)) == 0)
			continue;
		draw_run(f, s, &run, run_from, i,
			 x0 + (double)(run_from - first) / l->agg * l->cell_w,
			 (double)(i - run_from) / l->agg * l->cell_w, y, l->rowh);
		run = c;
		run_from = i;
	}
	draw_run(f, s, &run, run_from, end,
		 x0 + (double)(run_from - first) / l->agg * l->cell_w,
		 (double)(end - run_from) / l->agg * l->cell_w, y, l->rowh);
	if (seg == 0 && (l->rowh >= 8 || line % 16 == 0)) {
		uint64_t off = r * spb_bytes;

		fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"end\" "
			"class=\"small\">", l->label_w - 4,
			y + (l->rowh >= 8 ? l->rowh - 1 : 6));
		if (spb_bytes >= (1ull << 30))
			fprintf(f, "%" PRIu64 " GiB", off >> 30);
		else
			fprintf(f, "%" PRIu64 " MiB", off >> 20);
		fprintf(f, "</text>");
	}
	fputc('\n', f);
}

static void pageblock_map(FILE *f, const struct sim *s,
			  const struct sim_policy *p)
{
	struct layout l;

	if (!p->nr_pageblocks || !p->pb_map)
		return;
	l = plan(s, p->nr_pageblocks);
	fprintf(f, "<p class=\"note\">%" PRIu64 " rows of %" PRIu64 " pageblocks"
		"%s; a cell is %" PRIu64 " pageblock%s.</p>\n", l.rows, l.per_row,
		l.per_line > 1 ? ", drawn side by side" : "", l.agg,
		l.agg == 1 ? "" : "s (shade: how many are in use)");
	fprintf(f, "<svg width=\"%u\" height=\"%" PRIu64 "\" class=\"map\" "
		"role=\"img\"><title>pageblock map, %s</title>\n", MAP_W + 8,
		l.lines * (l.rowh + 1) + 8, pa_policy_name(p->policy));
	for (uint64_t r = 0; r < l.rows; r++)
		draw_row(f, s, p, &l, r);
	fprintf(f, "</svg>\n");
}

static void legend(FILE *f)
{
	fprintf(f, "<p class=\"legend\">");
	for (int m = 0; m < PA_MT_PCPTYPES + 1; m++)
		fprintf(f, "<span><i style=\"background:%s\"></i>%s in use</span>"
			"<span><i style=\"background:%s\"></i>%s, free</span>",
			mt_color[m], pa_migratetype_name((unsigned)m),
			mt_free_color[m], pa_migratetype_name((unsigned)m));
	fprintf(f, "<span><i style=\"background:%s\"></i>mixed (movable and "
		"not)</span><span><i style=\"border:1px solid %s\"></i>owned by "
		"a CPU</span></p>\n", MIXED_COLOR, OWNED_COLOR);
}

void report_pbmap_section(FILE *f, const struct sim *s)
{
	fprintf(f, "<h2>Pageblock map at the end</h2>\n<p class=\"note\">One row per "
		"superpageblock (%" PRIu64 " MiB) of pageblocks (%u KiB); hover a cell "
		"for its counts.</p>\n",
		(uint64_t)((1ull << s->zcfg.superpageblock_order << s->zcfg.page_shift) >> 20),
		(1u << s->zcfg.pageblock_order << s->zcfg.page_shift) >> 10);
	legend(f);
	for (unsigned i = 0; i < s->npol; i++) {
		fprintf(f, "<h3>%s</h3>\n", pa_policy_name(s->pol[i].policy));
		pageblock_map(f, s, &s->pol[i]);
	}
}
