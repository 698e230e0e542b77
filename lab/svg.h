/* SPDX-License-Identifier: MIT */
/*
 * svg - inline SVG charts for the HTML report: no scripts, no external
 * references, so the page works offline and from a mail attachment.
 * Every text is placed from an estimate of its width (svg_text_width), and
 * margins, bar lengths and legends make room for it, so labels never run
 * off the drawing.
 */
#ifndef PA_LAB_SVG_H
#define PA_LAB_SVG_H

#include <stdbool.h>
#include <stdio.h>

/* Write s with &, <, >, " escaped and each byte that is not part of
 * well-formed UTF-8 as U+FFFD. */
void svg_escape(FILE *f, const char *s);

/* A colour for series i (a fixed, colour-blind-friendly palette). */
const char *svg_color(unsigned i);
/* Colour i of n along a sequential ramp (dark blue .. yellow), for
 * ordered series such as orders 0..10; into buf (8 bytes). */
const char *svg_ramp(unsigned i, unsigned n, char buf[8]);

/* Width in pixels of s in the report's 12 px sans-serif (an upper
 * estimate, so layouts err on the roomy side). */
double svg_text_width(const char *s);

/* A compact tick label: 0, 0.25, 950, 12k, 1.5M, 3G, 1e+15. */
void svg_tick(double v, char *buf, unsigned len);

/*
 * A horizontal bar chart, one bar per name, with each value's label (e.g.
 * "1,234" or "99.1%") printed at the bar's end.  Negative values draw as
 * zero.  ref_label non-NULL: a dashed line at value `ref` across the bars,
 * labelled (the real kernel's figure beside the models').  width in pixels;
 * the height follows the bar count.
 */
void svg_bars(FILE *f, const char *title, unsigned n,
	      const char *const *names, const double *values,
	      const char *const *labels, double ref, const char *ref_label,
	      unsigned width);

/* One line series for svg_lines(). */
struct svg_series {
	const char *name;
	const char *color;     /* NULL: svg_color(index) */
	const double *x, *y;
	unsigned n;
	const char *dash;      /* stroke-dasharray ("5 3"), NULL: solid */
};

enum svg_scale { SVG_AUTO, SVG_LINEAR, SVG_LOG };

struct svg_chart {
	const char *title;
	const char *x_unit, *y_unit;   /* axis labels, e.g. "s", "MiB" */
	unsigned width, height;        /* of the plot and its axes; the
	                                * legend adds rows below */
	enum svg_scale y_scale;        /* AUTO: log when the positive values
	                                * span more than two decades */
	const char *ref_label;         /* non-NULL: a dashed horizontal line
	                                * at ref_y, labelled */
	double ref_y;
};

/* A line chart of several series on shared axes, with a legend.  On a log
 * axis, a 0 is drawn on the bottom line, labelled "0" and set off from the
 * lowest decade by a break in the axis (only when some value is 0); a
 * negative value is left out (the line breaks there). */
void svg_lines(FILE *f, const struct svg_chart *c, const struct svg_series *s,
	       unsigned ns);

/*
 * A heat map: rows (e.g. orders, row 0 at the bottom) by columns (time
 * points x[0..ncols-1]); v[r * ncols + c] in [0, 1] shades white .. dark
 * red, a value below 0 is drawn light grey ("n/a", e.g. extfrag's -1 when
 * a block is free).  Each cell has a tooltip: "row label, x: value".
 */
struct svg_heat {
	const char *title, *x_unit, *row_unit; /* row_unit e.g. "order" */
	unsigned nrows, ncols;
	const double *x;        /* ncols column positions (times) */
	const double *v;        /* nrows * ncols */
	const char *na_label;   /* legend text for values below 0, or NULL */
	unsigned width, height;
};
void svg_heatmap(FILE *f, const struct svg_heat *h);

#endif
