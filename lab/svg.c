/* SPDX-License-Identifier: MIT */
#include "svg.h"

#include <math.h>
#include <string.h>

#include "utf8.h"

#define FONT_W 7.0   /* px per character at 12 px, roomy for digits */
#define LEGEND_ROW 16
#define HEAT_LEVELS 20
/* On a log axis with zeros: the band between the bottom line (0) and
 * the lowest decade, where the axis is drawn broken */
#define FLOOR_PX 18

void svg_escape(FILE *f, const char *s)
{
	while (*s) {
		size_t n = utf8_len((const unsigned char *)s);

		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			/* the page says charset=utf-8: a file name that is not
			 * UTF-8 shows U+FFFD, as in the JSON */
			if (n)
				fwrite(s, 1, n, f);
			else
				fputs("&#xfffd;", f);
		}
		s += n ? n : 1;
	}
}

const char *svg_color(unsigned i)
{
	static const char *const pal[] = {
		"#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9",
		"#d55e00", "#f0e442", "#000000",
	};
	return pal[i % (sizeof(pal) / sizeof(pal[0]))];
}

const char *svg_ramp(unsigned i, unsigned n, char buf[8])
{
	/* dark blue -> teal -> yellow, a viridis-like path */
	static const double stop[3][3] = {
		{ 0x44, 0x01, 0x54 }, { 0x21, 0x91, 0x8c }, { 0xfd, 0xe7, 0x25 },
	};
	double t = n > 1 ? (double)i / (double)(n - 1) : 0, u;
	const double *a, *b;

	if (t < 0.5) {
		a = stop[0], b = stop[1], u = t * 2;
	} else {
		a = stop[1], b = stop[2], u = (t - 0.5) * 2;
	}
	snprintf(buf, 8, "#%02x%02x%02x", (unsigned)(a[0] + (b[0] - a[0]) * u),
		 (unsigned)(a[1] + (b[1] - a[1]) * u),
		 (unsigned)(a[2] + (b[2] - a[2]) * u));
	return buf;
}

double svg_text_width(const char *s)
{
	return FONT_W * (double)strlen(s);
}

void svg_tick(double v, char *buf, unsigned len)
{
	static const char suffix[] = "kMGTP";
	double a = fabs(v);
	int k = -1;

	if (a < 1000) {
		snprintf(buf, len, "%g", v);
		return;
	}
	while (a >= 1000 && k < 4) {
		a /= 1000;
		v /= 1000;
		k++;
	}
	snprintf(buf, len, "%g%c", round(v * 100) / 100, suffix[k]);
}

static void title_text(FILE *f, const char *title)
{
	fprintf(f, "<title>");
	svg_escape(f, title);
	fprintf(f, "</title><text x=\"0\" y=\"14\" class=\"ct\">");
	svg_escape(f, title);
	fprintf(f, "</text>\n");
}

/* Widen a drawing so its title (bold: a tenth wider) fits. */
static unsigned fit_width(unsigned width, const char *title)
{
	double w = svg_text_width(title) * 1.1 + 4;

	return w > width ? (unsigned)ceil(w) : width;
}

void svg_bars(FILE *f, const char *title, unsigned n,
	      const char *const *names, const double *values,
	      const char *const *labels, double ref, const char *ref_label,
	      unsigned width)
{
	unsigned bar = 18, gap = 6, top = 24;
	unsigned height = top + n * (bar + gap) + 6 + (ref_label ? 16 : 0);
	double max = ref_label && ref > 0 ? ref : 0, left = 40, right = 20;

	width = fit_width(width, title);
	for (unsigned i = 0; i < n; i++) {
		double wn = svg_text_width(names[i]) + 10;
		double wl = svg_text_width(labels[i]) + 8;

		if (values[i] > max)
			max = values[i];
		if (wn > left)
			left = wn;
		if (wl > right)
			right = wl;
	}
	fprintf(f, "<svg width=\"%u\" height=\"%u\" class=\"bars\" role=\"img\">",
		width, height);
	title_text(f, title);
	for (unsigned i = 0; i < n; i++) {
		double v = values[i] > 0 ? values[i] : 0;
		double w = max > 0 ? v / max * (width - left - right) : 0;
		unsigned y = top + i * (bar + gap);

		fprintf(f, "<text x=\"%.1f\" y=\"%u\" text-anchor=\"end\">",
			left - 6, y + bar - 5);
		svg_escape(f, names[i]);
		fprintf(f, "</text><rect x=\"%.1f\" y=\"%u\" width=\"%.1f\" "
			"height=\"%u\" fill=\"%s\"/>", left, y, w < 1 && v > 0 ? 1 : w,
			bar, svg_color(i));
		fprintf(f, "<text x=\"%.1f\" y=\"%u\">", left + w + 4, y + bar - 5);
		svg_escape(f, labels[i]);
		fprintf(f, "</text>\n");
	}
	if (ref_label && max > 0) {
		double x = left + (ref > 0 ? ref : 0) / max * (width - left - right);
		double tw = svg_text_width(ref_label);
		double tx = x + tw > width ? width - tw : x;

		fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%u\" y2=\"%u\" "
			"class=\"ref\"/><text x=\"%.1f\" y=\"%u\" class=\"reft\">",
			x, x, top - 4, height - 14, tx < 0 ? 0 : tx, height - 3);
		svg_escape(f, ref_label);
		fprintf(f, "</text>\n");
	}
	fprintf(f, "</svg>\n");
}

/* A round step for axis ticks covering `range` in about 5 steps. */
static double nice_step(double range)
{
	double raw = range / 5, p = pow(10, floor(log10(raw))), m = raw / p;

	return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

struct yaxis {
	bool log;
	bool floor;      /* log with zeros: 0 is the bottom line, below a
	                  * break in the axis, so a zero is neither left
	                  * out nor drawn as a small value */
	double lo, hi;   /* linear: values; log: log10 of them */
	double step;     /* between ticks (decades on a log axis) */
};

static struct yaxis y_axis(const struct svg_chart *c,
			   const struct svg_series *s, unsigned ns)
{
	double ymax = 0, ypos = INFINITY;
	struct yaxis a = { false, false, 0, 1, 1 };
	bool zero = c->ref_label && c->ref_y == 0;

	for (unsigned k = 0; k < ns; k++)
		for (unsigned i = 0; i < s[k].n; i++) {
			double y = s[k].y[i];

			if (y > ymax)
				ymax = y;
			if (y > 0 && y < ypos)
				ypos = y;
			zero |= y == 0;
		}
	if (c->ref_label && c->ref_y > ymax)
		ymax = c->ref_y;
	if (c->ref_label && c->ref_y > 0 && c->ref_y < ypos)
		ypos = c->ref_y;
	a.log = c->y_scale == SVG_LOG ||
		(c->y_scale == SVG_AUTO && ypos < INFINITY && ymax / ypos > 100);
	if (a.log && ypos < INFINITY) {
		a.floor = zero;
		a.lo = floor(log10(ypos));
		a.hi = ceil(log10(ymax));
		if (a.hi <= a.lo)
			a.hi = a.lo + 1;
		a.step = ceil((a.hi - a.lo) / 8);
		return a;
	}
	a.log = false;
	if (!(ymax > 0))
		ymax = 1;
	a.step = nice_step(ymax);
	a.hi = ceil(ymax / a.step) * a.step;
	return a;
}

/* Pixel row of value y (NAN when a log axis cannot show it: a negative
 * value, or 0 without a floor). */
static double y_px(const struct yaxis *a, double y, double top, double ph)
{
	double v, span = ph;

	if (a->log) {
		if (y == 0 && a->floor)
			return top + ph;
		if (!(y > 0))
			return NAN;
		v = log10(y);
		if (a->floor)
			span -= FLOOR_PX;
	} else {
		v = y;
	}
	return top + span - (v - a->lo) / (a->hi - a->lo) * span;
}

/* The floor's "0" on the bottom line and the axis broken just above it:
 * a white gap crossed by two slanted strokes, with a tooltip. */
static void draw_floor(FILE *f, double left, double top, double ph)
{
	double yb = top + ph - FLOOR_PX / 2.0;

	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">0</text>\n"
		"<g class=\"axisbreak\"><title>log axis broken: 0 is the bottom "
		"line, below this break</title><rect x=\"%.1f\" y=\"%.1f\" "
		"width=\"10\" height=\"5\" fill=\"#fff\"/><line x1=\"%.1f\" "
		"x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/><line "
		"x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>"
		"</g>\n", left - 4, top + ph + 4, left - 5, yb - 2.5, left - 5,
		left + 5, yb - 0.5, yb - 4.5, left - 5, left + 5, yb + 4.5, yb + 0.5);
}

static double y_ticks_width(const struct yaxis *a)
{
	double w = 0;
	char b[32];

	for (double v = a->lo; v <= a->hi + a->step / 2; v += a->step) {
		svg_tick(a->log ? pow(10, v) : v, b, sizeof(b));
		if (svg_text_width(b) > w)
			w = svg_text_width(b);
	}
	return w;
}

static void draw_y_ticks(FILE *f, const struct yaxis *a, double left,
			 double pw, double top, double ph)
{
	char b[32];

	for (double v = a->lo; v <= a->hi + a->step / 2; v += a->step) {
		double y = a->log ? pow(10, v) : v, py = y_px(a, y, top, ph);

		svg_tick(y, b, sizeof(b));
		fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
			"class=\"grid\"/><text x=\"%.1f\" y=\"%.1f\" "
			"text-anchor=\"end\">%s</text>\n", left, left + pw, py, py,
			left - 4, py + 4, b);
	}
}

static void draw_x_ticks(FILE *f, double xmin, double xmax, double left,
			 double pw, double ybase)
{
	double step = nice_step(xmax - xmin);
	char b[32];

	for (double x = ceil(xmin / step) * step; x <= xmax + step / 1e6; x += step) {
		double px = left + (x - xmin) / (xmax - xmin) * pw;

		svg_tick(x, b, sizeof(b));
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s"
			"</text>\n", px, ybase, b);
	}
}

/* Legend rows needed for the series names within `width`. */
static unsigned legend_rows(const struct svg_series *s, unsigned ns,
			    double left, double width)
{
	double x = left;
	unsigned rows = ns ? 1 : 0;

	for (unsigned k = 0; k < ns; k++) {
		double w = 16 + svg_text_width(s[k].name) + 14;

		if (x + w > width && x > left) {
			rows++;
			x = left;
		}
		x += w;
	}
	return rows;
}

static void draw_legend(FILE *f, const struct svg_series *s, unsigned ns,
			double left, double width, double y0)
{
	double x = left, y = y0;

	for (unsigned k = 0; k < ns; k++) {
		const char *col = s[k].color ? s[k].color : svg_color(k);
		double w = 16 + svg_text_width(s[k].name) + 14;

		if (x + w > width && x > left) {
			x = left;
			y += LEGEND_ROW;
		}
		if (s[k].dash) /* the swatch shows the line style */
			fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
				"y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\" "
				"stroke-dasharray=\"%s\"/>", x, x + 11, y - 4, y - 4,
				col, s[k].dash);
		else
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" "
				"height=\"10\" fill=\"%s\"/>", x, y - 9, col);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", x + 14, y);
		svg_escape(f, s[k].name);
		fprintf(f, "</text>\n");
		x += w;
	}
}

static void draw_series(FILE *f, const struct svg_series *s, unsigned k,
			const struct yaxis *a, double xmin, double xmax,
			double left, double pw, double top, double ph)
{
	const char *col = s->color ? s->color : svg_color(k);
	bool open = false;

	for (unsigned i = 0; i < s->n; i++) {
		double py = y_px(a, s->y[i], top, ph);
		double px = left + (s->x[i] - xmin) / (xmax - xmin) * pw;

		if (isnan(py)) {
			if (open)
				fprintf(f, "\"/>\n");
			open = false;
			continue;
		}
		if (!open) {
			fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" "
				"stroke-width=\"2\"", col);
			if (s->dash)
				fprintf(f, " stroke-dasharray=\"%s\"", s->dash);
			fprintf(f, " points=\"");
		}
		open = true;
		fprintf(f, "%.1f,%.1f ", px, py);
	}
	if (open)
		fprintf(f, "\"/>\n");
}

void svg_lines(FILE *f, const struct svg_chart *c, const struct svg_series *s,
	       unsigned ns)
{
	double xmin = INFINITY, xmax = -INFINITY;
	struct yaxis a = y_axis(c, s, ns);
	unsigned width = fit_width(c->width, c->title);
	double left = y_ticks_width(&a) + 26, right = 24, top = 30, bottom = 46;
	double pw, ph = c->height - top - bottom;
	unsigned rows;

	for (unsigned k = 0; k < ns; k++)
		for (unsigned i = 0; i < s[k].n; i++) {
			if (s[k].x[i] < xmin) xmin = s[k].x[i];
			if (s[k].x[i] > xmax) xmax = s[k].x[i];
		}
	if (!(xmax > xmin)) {
		xmin = 0;
		xmax = xmax > 0 ? xmax : 1;
	}
	pw = width - left - right;
	rows = legend_rows(s, ns, left, width);
	fprintf(f, "<svg width=\"%u\" height=\"%u\" class=\"lines\" role=\"img\">",
		width, c->height + rows * LEGEND_ROW);
	title_text(f, c->title);
	draw_y_ticks(f, &a, left, pw, top, ph);
	draw_x_ticks(f, xmin, xmax, left, pw, top + ph + 14);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
		left + pw / 2, top + ph + 30);
	svg_escape(f, c->x_unit);
	fprintf(f, "</text><text x=\"12\" y=\"%.1f\" transform=\"rotate(-90 12 "
		"%.1f)\" text-anchor=\"middle\">", top + ph / 2, top + ph / 2);
	svg_escape(f, c->y_unit);
	if (a.log)
		fprintf(f, " (log)");
	fprintf(f, "</text>\n<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
		"class=\"axis\"/><line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
		"y2=\"%.1f\" class=\"axis\"/>\n", left, left, top, top + ph, left,
		left + pw, top + ph, top + ph);
	if (a.floor) /* over the axis it breaks */
		draw_floor(f, left, top, ph);
	for (unsigned k = 0; k < ns; k++)
		draw_series(f, &s[k], k, &a, xmin, xmax, left, pw, top, ph);
	if (c->ref_label) {
		double py = y_px(&a, c->ref_y, top, ph);
		double tw = svg_text_width(c->ref_label);

		if (!isnan(py)) {
			fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
				"y2=\"%.1f\" class=\"ref\"/><text x=\"%.1f\" "
				"y=\"%.1f\" class=\"reft\">", left, left + pw, py, py,
				left + pw - tw, py - 4 < top + 10 ? py + 14 : py - 4);
			svg_escape(f, c->ref_label);
			fprintf(f, "</text>\n");
		}
	}
	draw_legend(f, s, ns, left, width, c->height - 3);
	fprintf(f, "</svg>\n");
}

static void heat_color(double v, char buf[8])
{
	/* white -> #b2182b in HEAT_LEVELS steps */
	double t = round(v * HEAT_LEVELS) / HEAT_LEVELS;

	snprintf(buf, 8, "#%02x%02x%02x", (unsigned)(255 - (255 - 0xb2) * t),
		 (unsigned)(255 - (255 - 0x18) * t),
		 (unsigned)(255 - (255 - 0x2b) * t));
}

static int heat_level(double v)
{
	return v < 0 ? -1 : (int)round((v > 1 ? 1 : v) * HEAT_LEVELS);
}

/* One row: runs of one shade drawn as one rect, with a tooltip. */
static void heat_row(FILE *f, const struct svg_heat *h, unsigned r,
		     double left, double cw, double y, double rh)
{
	const double *v = h->v + (size_t)r * h->ncols;

	for (unsigned c = 0; c < h->ncols;) {
		unsigned e = c + 1;
		int lv = heat_level(v[c]);
		double lo = v[c], hi = v[c];
		char col[8];

		while (e < h->ncols && heat_level(v[e]) == lv) {
			lo = v[e] < lo ? v[e] : lo;
			hi = v[e] > hi ? v[e] : hi;
			e++;
		}
		if (lv < 0)
			snprintf(col, sizeof(col), "#e8e8e8");
		else
			heat_color(v[c], col);
		fprintf(f, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" "
			"fill=\"%s\"><title>", left + c * cw, y, (e - c) * cw, rh, col);
		fprintf(f, "%s %u, %s %g..%g: ", h->row_unit, r, h->x_unit, h->x[c],
			h->x[e - 1]);
		if (lv < 0 && h->na_label)
			svg_escape(f, h->na_label);
		else
			fprintf(f, lo == hi ? "%.3f" : "%.3f..%.3f", lo, hi);
		fprintf(f, "</title></rect>");
		c = e;
	}
	fputc('\n', f);
}

static void heat_scale(FILE *f, const struct svg_heat *h, double left,
		       double y)
{
	char col[8];

	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">0</text>", left, y + 10);
	for (int i = 0; i <= HEAT_LEVELS; i++) {
		heat_color((double)i / HEAT_LEVELS, col);
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"5\" height=\"10\" "
			"fill=\"%s\"/>", left + 12 + i * 5, y, col);
	}
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">1</text>",
		left + 16 + (HEAT_LEVELS + 1) * 5, y + 10);
	if (h->na_label) {
		double x = left + 40 + (HEAT_LEVELS + 1) * 5;

		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" "
			"fill=\"#e8e8e8\" stroke=\"#bbb\"/><text x=\"%.1f\" y=\"%.1f\">",
			x, y, x + 14, y + 10);
		svg_escape(f, h->na_label);
		fprintf(f, "</text>");
	}
	fputc('\n', f);
}

void svg_heatmap(FILE *f, const struct svg_heat *h)
{
	char b[16];
	unsigned width = fit_width(h->width, h->title);
	double left = 56, right = 24, top = 24, bottom = 62;
	double pw = width - left - right, ph = h->height - top - bottom;
	double cw = h->ncols ? pw / h->ncols : pw, rh = h->nrows ? ph / h->nrows : ph;
	double xmin = h->ncols ? h->x[0] : 0, xmax = h->ncols ? h->x[h->ncols - 1] : 1;

	if (h->na_label && 40 + left + 26 * 5 + svg_text_width(h->na_label) > width)
		width = (unsigned)(40 + left + 26 * 5 + svg_text_width(h->na_label));
	fprintf(f, "<svg width=\"%u\" height=\"%u\" class=\"heat\" role=\"img\">",
		width, h->height);
	title_text(f, h->title);
	for (unsigned r = 0; r < h->nrows; r++) {
		double y = top + ph - (r + 1) * rh;

		heat_row(f, h, r, left, cw, y, rh);
		if (h->nrows <= 12 || r % 2 == 0) {
			snprintf(b, sizeof(b), "%u", r);
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
				"class=\"small\">%s</text>", left - 4, y + rh / 2 + 3, b);
		}
	}
	fprintf(f, "<text x=\"12\" y=\"%.1f\" transform=\"rotate(-90 12 %.1f)\" "
		"text-anchor=\"middle\">", top + ph / 2, top + ph / 2);
	svg_escape(f, h->row_unit);
	fprintf(f, "</text>\n");
	if (xmax > xmin)
		draw_x_ticks(f, xmin, xmax, left, pw - cw, top + ph + 14);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
		left + pw / 2, top + ph + 30);
	svg_escape(f, h->x_unit);
	fprintf(f, "</text>\n");
	heat_scale(f, h, left, top + ph + 40);
	fprintf(f, "</svg>\n");
}
