/* SPDX-License-Identifier: MIT */
/*
 * The HTML report renders: it parses as HTML (python3's html.parser, with
 * every element closed), holds the bar charts, the time series, the index
 * heat maps and the pageblock map, names every policy, and references
 * nothing outside itself.  The JSON output parses and carries the same
 * policies and the per-order series.  In headless Chromium (when
 * installed), no text of any chart leaves its drawing, measured with the
 * browser's own font metrics.  The pageblock map of a 2 TiB machine stays
 * small: one row per 1 GiB superpageblock, aggregated cells with tooltips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "report.h"
#include "scenario.h"
#include "svg.h"

/* Parses the page; prints "svg=N map=N bars=N lines=N external=N
 * unclosed=N" on success. */
static const char checker[] =
"import sys, html.parser\n"
"class P(html.parser.HTMLParser):\n"
"    def __init__(s):\n"
"        super().__init__(); s.stack=[]; s.c={'svg':0,'map':0,'bars':0,'lines':0,'heat':0,'external':0,'script':0,'bad':0}\n"
"    def handle_starttag(s, tag, attrs):\n"
"        a=dict(attrs)\n"
"        if tag=='script': s.c['script']+=1\n"
"        for k,v in attrs:\n"
"            if v and k in ('src','href','xlink:href','data') and ':' in v.split('/')[0]: s.c['external']+=1\n"
"            if v and 'url(' in v: s.c['external']+=1\n"
"        if tag=='svg':\n"
"            s.c['svg']+=1; cl=a.get('class','')\n"
"            if cl in s.c: s.c[cl]+=1\n"
"        if tag not in ('meta','br','rect','line','polyline','img','i','link'): s.stack.append(tag)\n"
"    def handle_startendtag(s, tag, attrs):\n"
"        s.handle_starttag(tag, attrs)\n"
"        if tag not in ('meta','br','rect','line','polyline','img','i','link'): s.stack.pop()\n"
"    def handle_endtag(s, tag):\n"
"        if tag in ('rect','line','polyline','i'): return\n"
"        if not s.stack or s.stack[-1]!=tag: s.c['bad']+=1\n"
"        else: s.stack.pop()\n"
"p=P(); t=open(sys.argv[1]).read(); p.feed(t); p.close()\n"
"if 'http://' in t or 'https://' in t or '@import' in t: p.c['external']+=1\n"
"print(' '.join('%s=%d'%(k,v) for k,v in p.c.items()), 'unclosed=%d'%len(p.stack))\n";

static int count(const char *out, const char *key)
{
	const char *p = strstr(out, key);
	return p ? atoi(p + strlen(key)) : -1;
}

/* Injected into a copy of the page (the report itself has no script):
 * every svg text's box against its svg's, with the browser's metrics. */
static const char clip_probe[] =
"<script>(function(){var bad=[],n=0;"
"document.querySelectorAll('svg').forEach(function(svg){"
"var r=svg.getBoundingClientRect();"
"svg.querySelectorAll('text').forEach(function(t){var b=t.getBoundingClientRect();"
"if(!b.width)return;n++;"
"if(b.left<r.left-0.5||b.right>r.right+0.5||b.top<r.top-0.5||b.bottom>r.bottom+0.5)"
"bad.push(t.textContent.slice(0,40));});});"
"document.body.setAttribute('data-clip','texts='+n+' clipped='+bad.length+' '+bad.slice(0,4).join('|'));"
"})();</script></body>";

/* Chromium's name on Debian, or NULL when it is not installed. */
static const char *chromium(void)
{
	if (system("command -v chromium >/dev/null 2>&1") == 0)
		return "chromium";
	return NULL;
}

static void assert_no_clipping(const char *html, const char *dir)
{
	const char *browser = chromium();
	char probe[128], cmd[512], out[4096] = "", *page, *body;
	FILE *f;
	long n;

	if (!browser) {
		print_message("no chromium: label clipping not measured\n");
		return;
	}
	f = fopen(html, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	page = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(page, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	body = strstr(page, "</body>");
	assert_non_null(body);
	*body = 0;
	snprintf(probe, sizeof(probe), "%s/probe.html", dir);
	f = fopen(probe, "w");
	assert_non_null(f);
	fputs(page, f);
	fputs(clip_probe, f);
	fputs("</html>\n", f);
	fclose(f);
	free(page);
	snprintf(cmd, sizeof(cmd), "%s --headless --no-sandbox --disable-gpu "
		 "--window-size=1400,900 --dump-dom 'file://%s' 2>/dev/null | "
		 "grep -o 'data-clip=\"[^\"]*\"'", browser, probe);
	f = popen(cmd, "r");
	assert_non_null(f);
	if (!fgets(out, sizeof(out), f))
		out[0] = 0;
	pclose(f);
	if (!out[0]) {
		print_message("chromium did not render the page: not measured\n");
		return;
	}
	print_message("chromium: %s\n", out);
	if (count(out, "texts=") < 50 || count(out, "clipped=") != 0)
		fail_msg("labels outside their chart: %s", out);
}

static void test_html_report_parses_and_is_self_contained(void **state)
{
	struct sim_config cfg = { .bytes = 2ull << 30, .ncpus = 2 };
	struct scenario_params sp = { .bytes = cfg.bytes, .ncpus = 2, .seed = 3,
				      .scale = 0.02 };
	char dir[] = "/tmp/pa_html.XXXXXX", html[64], json[64], py[64];
	char cmd[600], out[512] = "", *page;
	struct lab_report rep = { .what = "run" };
	struct trace_tally tally = { .lines = 0 };
	struct sim s;
	FILE *f;
	long n;
	(void)state;

	if (system("python3 -c 'import html.parser' 2>/dev/null") != 0) {
		print_message("skipping: python3 is not installed\n");
		skip();
	}
	assert_non_null(mkdtemp(dir));
	snprintf(html, sizeof(html), "%s/r.html", dir);
	snprintf(json, sizeof(json), "%s/r.json", dir);
	snprintf(py, sizeof(py), "%s/check.py", dir);
	assert_int_equal(sim_parse_policies("all", &cfg, out, sizeof(out)), 0);
	assert_int_equal(sim_init(&s, &cfg, out, sizeof(out)), 0);
	scenario_run(scenario_find("hugepage-demand"), &s, &sp);
	snprintf(rep.title, sizeof(rep.title), "hugepage-demand <&> \"quoted\"");
	rep.sim = &s;
	/* a trace's tally, so the real kernel's yardstick lines are drawn
	 * (and measured for clipping) too */
	tally.pages[TEV_ZONE_LOCKED] = 987654;
	tally.lines = 1;
	rep.tally = &tally;
	assert_int_equal(report_html(&rep, html), 0);
	assert_int_equal(report_json(&rep, json), 0);

	f = fopen(py, "w");
	fputs(checker, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "python3 %s %s", py, html);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(out, sizeof(out), f));
	assert_int_equal(pclose(f), 0);

	assert_int_equal(count(out, "bad="), 0);
	assert_int_equal(count(out, "unclosed="), 0);
	assert_int_equal(count(out, "external="), 0);
	assert_int_equal(count(out, "script="), 0);
	/* one map per policy, bar charts, time series (lock traffic and one
	 * free-memory chart per policy) */
	assert_int_equal(count(out, "map="), (int)s.npol);
	assert_true(count(out, "bars=") >= 8);
	/* zone->lock cumulative and per interval, allocated and 2 MiB blocks,
	 * tainted and clean superpageblocks, then per policy free pages by
	 * order and by pageblock type */
	assert_int_equal(count(out, "lines="), 4 + 2 * (int)s.npol);
	/* unusable and extfrag index per policy */
	assert_int_equal(count(out, "heat="), 2 * (int)s.npol);
	assert_no_clipping(html, dir);

	f = fopen(html, "r");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	page = malloc((size_t)n + 1);
	assert_int_equal(fread(page, 1, (size_t)n, f), (size_t)n);
	page[n] = 0;
	fclose(f);
	for (unsigned i = 0; i < s.npol; i++) {
		char th[64];
		snprintf(th, sizeof(th), "<th>%s</th>", pa_policy_name(s.pol[i].policy));
		assert_non_null(strstr(page, th));
	}
	/* the title was escaped, not injected */
	assert_non_null(strstr(page, "&lt;&amp;&gt; &quot;quoted&quot;"));
	/* free pages by order span decades: a log axis; the kernel's texts */
	assert_non_null(strstr(page, "free pages (log)"));
	assert_non_null(strstr(page, "/sys/kernel/debug/extfrag/unusable_index at the peak"));
	assert_non_null(strstr(page, "Free pages count per migrate type at order"));
	assert_non_null(strstr(page, "real kernel, whole trace: 987.65k"));
	free(page);

	snprintf(cmd, sizeof(cmd), "python3 -c \"import json,sys; d=json.load(open('%s')); "
		 "p=d['policies'][0]; x=p['series'][-1]; "
		 "sys.exit(0 if len(d['policies'])==%u and len(x['buddyinfo'])==%u "
		 "and len(x['unusable_index'])==%u and x['free_by_mt'] is not None "
		 "and p['end_reports']['/proc/buddyinfo'].startswith('Node 0') else 1)\"",
		 json, s.npol, s.max_order + 1, s.max_order + 1);
	assert_int_equal(system(cmd), 0);

	sim_destroy(&s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* 2 TiB: 2048 superpageblocks of 512 pageblocks.  The map has a row for
 * each, cells that aggregate pageblocks, a tooltip per drawn cell, and
 * stays a few MB at most; a fully free row is one rectangle. */
static void test_map_scales_to_2tib(void **state)
{
	struct sim_config cfg = { .bytes = 2ull << 40, .ncpus = 2 };
	char dir[] = "/tmp/pa_html2t.XXXXXX", html[64], err[256];
	struct lab_report rep = { .what = "run" };
	struct sim *s = calloc(1, sizeof(*s));
	char *page, *map, *p;
	long n, rows = 0, rects = 0, tips = 0;
	FILE *f;
	(void)state;

	assert_non_null(s);
	assert_non_null(mkdtemp(dir));
	snprintf(html, sizeof(html), "%s/r.html", dir);
	/* one policy: the pageblock map's drawing is policy-independent */
	assert_int_equal(sim_parse_policies("mainline", &cfg, err, sizeof(err)), 0);
	assert_int_equal(sim_init(s, &cfg, err, sizeof(err)), 0);
	sim_time(s, 0);
	/* something in use in the first and the last GiB */
	for (uint64_t k = 0; k < 2048; k++)
		sim_alloc(s, 0, k << 9, 9, k & 1 ? PA_MT_UNMOVABLE : PA_MT_MOVABLE);
	/* 16 more pageblocks: half of a cell (of 32) in use */
	for (uint64_t k = 2048; k < 2048 + 16; k++)
		sim_alloc(s, 0, k << 9, 9, PA_MT_MOVABLE);
	sim_time(s, 1000000);
	sim_finish(s);
	rep.sim = s;
	snprintf(rep.title, sizeof(rep.title), "2 TiB");
	assert_int_equal(report_html(&rep, html), 0);
	f = fopen(html, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	assert_true(n < 8l << 20);
	page = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(page, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	map = strstr(page, "2048 rows of 512 pageblocks, drawn side by side; a cell is");
	assert_non_null(map);
	map = strstr(map, "class=\"map\"");
	assert_non_null(map);
	for (p = map; (p = strstr(p, " GiB</text>")); p++)
		rows++;
	for (p = map; (p = strstr(p, "<rect ")); p++)
		rects++;
	for (p = map; (p = strstr(p, "<title>")); p++)
		tips++;
	/* 8 superpageblocks to a line, every 16th line labelled; one tooltip
	 * per rect plus the svg's own title; a free row is one rect, so
	 * 2048 rows need at least 2048 and at most 16 each */
	assert_int_equal(rows, 2048 / 8 / 16);
	assert_non_null(strstr(map, ">1920 GiB</text>")); /* line 240 */
	assert_true(rects >= 2048 && rects < 2048 * 16);
	assert_int_equal(tips, rects + 1);
	assert_non_null(strstr(map, "pageblocks 0-"));
	/* shaded by occupancy: full cells opaque, the half-used one at
	 * 0.3 + 0.7 / 2, its tooltip giving the counts */
	assert_non_null(strstr(map, "fill-opacity=\"1.00\"><title>0 MiB, "
			       "pageblocks 0-511: 32 in use,"));
	p = strstr(map, "fill-opacity=\"0.65\"><title>");
	assert_non_null(p);
	p[strcspn(p, "/")] = 0;   /* the title only */
	assert_non_null(strstr(p, ": 16 in use, movable 16; 16 free"));
	free(page);
	sim_destroy(s);
	free(s);
	snprintf(err, sizeof(err), "rm -rf '%s'", dir);
	assert_int_equal(system(err), 0);
}

/* svg_lines() into a string. */
static char *lines_svg(const double *y, unsigned n, enum svg_scale scale)
{
	static const double x[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	struct svg_chart c = { "t", "s", "pages", 500, 240, scale, NULL, 0 };
	struct svg_series sr = { "a", NULL, x, y, n, NULL };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_true(n <= 8);
	svg_lines(f, &c, &sr, 1);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static unsigned occurrences(const char *s, const char *key)
{
	unsigned n = 0;

	for (const char *p = s; (p = strstr(p, key)); p += strlen(key))
		n++;
	return n;
}

/* The y of each point of the first polyline into py[]; how many. */
static unsigned points_y(const char *svg, double *py, unsigned max)
{
	const char *p = strstr(svg, "points=\"");
	unsigned n = 0;
	double x, y;
	int used;

	assert_non_null(p);
	p += 8;
	while (n < max && sscanf(p, "%lf,%lf %n", &x, &y, &used) == 2) {
		py[n++] = y;
		p += used;
	}
	return n;
}

/* The horizontal axis: the axis line whose two ends share a y. */
static double bottom_line(const char *svg)
{
	for (const char *p = svg; (p = strstr(p, "<line ")); p++) {
		double x1, x2, y1, y2;
		char cls[16];

		if (sscanf(p, "<line x1=\"%lf\" x2=\"%lf\" y1=\"%lf\" y2=\"%lf\" "
			   "class=\"%15[a-z]\"", &x1, &x2, &y1, &y2, cls) == 5 &&
		    !strcmp(cls, "axis") && y1 == y2)
			return y1;
	}
	fail_msg("no horizontal axis in %s", svg);
	return 0;
}

/* A log axis with intervals of 0 pages draws them on the bottom line,
 * labelled "0", below a break in the axis: the line runs through them,
 * neither a silent gap nor a made-up small value.  Without a zero there
 * is no floor; a negative value still breaks the line. */
static void test_log_axis_draws_zeros(void **state)
{
	static const double with_zeros[] = { 10, 0, 1000, 0, 100, 0 };
	static const double positive[] = { 10, 20, 1000, 3, 100, 5 };
	static const double negative[] = { 10, 20, -1, 3, 100, 5 };
	double py[8], base;
	char *svg;
	(void)state;

	svg = lines_svg(with_zeros, 6, SVG_LOG);
	assert_non_null(strstr(svg, "pages (log)"));
	assert_int_equal(occurrences(svg, "<polyline"), 1);
	assert_int_equal(points_y(svg, py, 8), 6);
	base = bottom_line(svg);
	/* every 0 on the bottom line, the smallest value (10) clearly above
	 * it, beyond the break */
	assert_true(py[1] == base && py[3] == base && py[5] == base);
	assert_true(py[0] < base - 9);
	assert_true(py[4] < py[0] && py[2] < py[4]);
	assert_non_null(strstr(svg, "text-anchor=\"end\">0</text>"));
	assert_int_equal(occurrences(svg, "class=\"axisbreak\""), 1);
	free(svg);

	svg = lines_svg(positive, 6, SVG_LOG);
	assert_int_equal(occurrences(svg, "<polyline"), 1);
	assert_null(strstr(svg, "axisbreak"));
	assert_null(strstr(svg, "text-anchor=\"end\">0</text>"));
	free(svg);

	/* the same data with its zeros on a linear axis: no floor there */
	svg = lines_svg(with_zeros, 6, SVG_LINEAR);
	assert_null(strstr(svg, "axisbreak"));
	assert_int_equal(points_y(svg, py, 8), 6);
	assert_true(py[1] == bottom_line(svg));
	free(svg);

	svg = lines_svg(negative, 6, SVG_LOG);
	assert_int_equal(occurrences(svg, "<polyline"), 2);
	assert_null(strstr(svg, "axisbreak"));
	free(svg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_report_parses_and_is_self_contained),
		cmocka_unit_test(test_map_scales_to_2tib),
		cmocka_unit_test(test_log_axis_draws_zeros),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
