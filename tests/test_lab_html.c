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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_report_parses_and_is_self_contained),
		cmocka_unit_test(test_map_scales_to_2tib),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
