/* SPDX-License-Identifier: MIT */
#include "svg.h"

#include <math.h>
#include <string.h>

void svg_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
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

void svg_bars(FILE *f, const char *title, unsigned n,
	      const char *const *names, const double *values,
	      const char *const *labels, unsigned width)
{
	unsigned bar = 18, gap = 6, left = 90, top = 24;
	unsigned height = top + n * (bar + gap) + 6;
	double max = 0;

	for (unsigned i = 0; i < n; i++)
		if (values[i] > max)
			max = values[i];
	fprintf(f, "<svg width=\"%u\" "
		"height=\"%u\" class=\"bars\" role=\"img\"><title>", width, height);
	svg_escape(f, title);
	fprintf(f, "</title><text x=\"0\" y=\"14\" class=\"ct\">");
	svg_escape(f, title);
	fprintf(f, "</text>\n");
	for (unsigned i = 0; i < n; i++) {
		double v = values[i] > 0 ? values[i] : 0;
		double w = max > 0 ? v / max * (width - left - 80) : 0;
		unsigned y = top + i * (bar + gap);

		fprintf(f, "<text x=\"%u\" y=\"%u\" text-anchor=\"end\">", left - 6,
			y + bar - 5);
		svg_escape(f, names[i]);
		fprintf(f, "</text><rect x=\"%u\" y=\"%u\" width=\"%.1f\" "
			"height=\"%u\" fill=\"%s\"/>", left, y, w < 1 && v > 0 ? 1 : w,
			bar, svg_color(i));
		fprintf(f, "<text x=\"%.1f\" y=\"%u\">", left + w + 4, y + bar - 5);
		svg_escape(f, labels[i]);
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

void svg_lines(FILE *f, const char *title, const char *x_unit,
	       const char *y_unit, const struct svg_series *s, unsigned ns,
	       unsigned width, unsigned height)
{
	double xmin = INFINITY, xmax = -INFINITY, ymax = 0, step;
	unsigned left = 70, right = 20, top = 30, bottom = 46;
	double pw = width - left - right, ph = height - top - bottom;

	for (unsigned k = 0; k < ns; k++)
		for (unsigned i = 0; i < s[k].n; i++) {
			if (s[k].x[i] < xmin) xmin = s[k].x[i];
			if (s[k].x[i] > xmax) xmax = s[k].x[i];
			if (s[k].y[i] > ymax) ymax = s[k].y[i];
		}
	if (!(xmax > xmin)) {
		xmin = 0;
		xmax = 1;
	}
	if (!(ymax > 0))
		ymax = 1;
	step = nice_step(ymax);
	ymax = ceil(ymax / step) * step;
	fprintf(f, "<svg width=\"%u\" "
		"height=\"%u\" class=\"lines\" role=\"img\"><title>", width, height);
	svg_escape(f, title);
	fprintf(f, "</title><text x=\"0\" y=\"14\" class=\"ct\">");
	svg_escape(f, title);
	fprintf(f, "</text>\n");
	for (double y = 0; y <= ymax + step / 2; y += step) {
		double py = top + ph - y / ymax * ph;
		fprintf(f, "<line x1=\"%u\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
			"class=\"grid\"/><text x=\"%u\" y=\"%.1f\" "
			"text-anchor=\"end\">%g</text>\n", left, left + pw, py, py,
			left - 4, py + 4, y);
	}
	step = nice_step(xmax - xmin);
	for (double x = ceil(xmin / step) * step; x <= xmax; x += step) {
		double px = left + (x - xmin) / (xmax - xmin) * pw;
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g"
			"</text>\n", px, top + ph + 14, x);
	}
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
		left + pw / 2, top + ph + 30);
	svg_escape(f, x_unit);
	fprintf(f, "</text><text x=\"12\" y=\"%.1f\" transform=\"rotate(-90 12 "
		"%.1f)\" text-anchor=\"middle\">", top + ph / 2, top + ph / 2);
	svg_escape(f, y_unit);
	fprintf(f, "</text>\n<line x1=\"%u\" x2=\"%u\" y1=\"%u\" y2=\"%.1f\" "
		"class=\"axis\"/><line x1=\"%u\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
		"class=\"axis\"/>\n", left, left, top, top + ph, left, left + pw,
		top + ph, top + ph);
	for (unsigned k = 0; k < ns; k++) {
		const char *col = s[k].color ? s[k].color : svg_color(k);

		fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
			"points=\"", col);
		for (unsigned i = 0; i < s[k].n; i++)
			fprintf(f, "%.1f,%.1f ",
				left + (s[k].x[i] - xmin) / (xmax - xmin) * pw,
				top + ph - s[k].y[i] / ymax * ph);
		fprintf(f, "\"/>\n<rect x=\"%.1f\" y=\"%u\" width=\"10\" height=\"10\" "
			"fill=\"%s\"/><text x=\"%.1f\" y=\"%u\">",
			left + 10 + k * 120.0, height - 12, col,
			left + 24 + k * 120.0, height - 3);
		svg_escape(f, s[k].name);
		fprintf(f, "</text>\n");
	}
	fprintf(f, "</svg>\n");
}
