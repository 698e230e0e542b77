/* SPDX-License-Identifier: MIT */
/*
 * svg - inline SVG charts for the HTML report: no scripts, no external
 * references, so the page works offline and from a mail attachment.
 */
#ifndef PA_LAB_SVG_H
#define PA_LAB_SVG_H

#include <stdio.h>

/* Write s with &, <, >, " escaped. */
void svg_escape(FILE *f, const char *s);

/* A colour for series i (a fixed, colour-blind-friendly palette). */
const char *svg_color(unsigned i);

/*
 * A horizontal bar chart, one bar per name, with each value's label (e.g.
 * "1,234" or "99.1%") printed at the bar's end.  Negative values draw as
 * zero.  width in pixels; the height follows the bar count.
 */
void svg_bars(FILE *f, const char *title, unsigned n,
	      const char *const *names, const double *values,
	      const char *const *labels, unsigned width);

/* One line series for svg_lines(). */
struct svg_series {
	const char *name;
	const char *color;     /* NULL: svg_color(index) */
	const double *x, *y;
	unsigned n;
};

/* A line chart of several series on shared axes, with a legend.  x_unit
 * and y_unit label the axes (e.g. "s", "MiB"). */
void svg_lines(FILE *f, const char *title, const char *x_unit,
	       const char *y_unit, const struct svg_series *s, unsigned ns,
	       unsigned width, unsigned height);

#endif
