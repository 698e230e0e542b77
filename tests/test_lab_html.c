/* SPDX-License-Identifier: MIT */
/*
 * The HTML report renders: it parses as HTML (python3's html.parser, with
 * every element closed), holds the bar charts, the time series and the
 * pageblock map, names every policy, and references nothing outside itself.
 * The JSON output parses and carries the same policies.
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
"        super().__init__(); s.stack=[]; s.c={'svg':0,'map':0,'bars':0,'lines':0,'external':0,'script':0,'bad':0}\n"
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

static void test_html_report_parses_and_is_self_contained(void **state)
{
	struct sim_config cfg = { .bytes = 2ull << 30, .ncpus = 2 };
	struct scenario_params sp = { .bytes = cfg.bytes, .ncpus = 2, .seed = 3,
				      .scale = 0.02 };
	char dir[] = "/tmp/pa_html.XXXXXX", html[64], json[64], py[64];
	char cmd[300], out[512] = "", *page;
	struct lab_report rep = { .what = "run" };
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
	assert_int_equal(count(out, "lines="), 1 + (int)s.npol);

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
	free(page);

	snprintf(cmd, sizeof(cmd), "python3 -c \"import json,sys; d=json.load(open('%s')); "
		 "sys.exit(0 if len(d['policies'])==%u and d['policies'][0]['series'] else 1)\"",
		 json, s.npol);
	assert_int_equal(system(cmd), 0);

	sim_destroy(&s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_report_parses_and_is_self_contained),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
