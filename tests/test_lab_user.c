/* SPDX-License-Identifier: MIT */
/*
 * The lab as a new user drives it, round 2 (issue 13): inputs that hung
 * or were read wrong without a word, options accepted and then ignored,
 * outputs that were not what they claim.  Each case is one defect found
 * by using the command; the files are written here, small.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "commands.h"
#include "costmodel.h"
#include "pagealloc.h"
#include "zoneinfo.h"

static char dir[] = "/tmp/pa-labuser-XXXXXX";

static const char *path_of(const char *name)
{
	static char buf[2][256];
	static int k;

	k ^= 1;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static void write_text(const char *name, const char *text)
{
	FILE *f = fopen(path_of(name), "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* --cost-model /dev/zero read NUL bytes as blank lines for ever; a
 * directory said only "read error". */
static void test_cost_model_binary_and_directory(void **state)
{
	struct costmodel m = costmodel_default();
	char err[300];
	(void)state;

	alarm(20); /* the old reader never returned */
	assert_int_equal(costmodel_load(&m, "/dev/zero", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "NUL"));
	alarm(0);
	assert_true(costmodel_load(&m, dir, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, strerror(EISDIR)));
	write_text("cm", "call_ns = 30\n");
	assert_int_equal(costmodel_load(&m, path_of("cm"), err, sizeof(err)), 0);
	assert_true(m.call_ns == 30.0);
}

/* A zoneinfo figure that is not a number was skipped ("managed -5" then
 * sized the machine from DMA32) and per-CPU figures wrapped at 32 bits
 * (batch 4294967359 read as 63): both are refused now. */
static void test_zoneinfo_bad_figures(void **state)
{
	static const char *const bad[] = {
		"        managed  -5\n", "        managed  4096kB\n",
		"              batch:    4294967359\n",
		"              count:    4294967297\n",
		"              count:    -3\n",
	};
	static const char head[] =
		"Node 0, zone    DMA32\n        managed  2048\n"
		"Node 0, zone   Normal\n        present  8192\n";
	static const char good_managed[] = "        managed  4096\n";
	static const char pagesets[] = "  pagesets\n    cpu: 0\n";
	static const char good_cpu[] =
		"              count:    3\n              batch:    63\n";
	struct zoneinfo zi;
	char text[512], err[300];
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool per_cpu = strstr(bad[i], "managed") == NULL;

		snprintf(text, sizeof(text), "%s%s%s%s", head,
			 per_cpu ? good_managed : bad[i], pagesets,
			 per_cpu ? bad[i] : good_cpu);
		write_text("zi", text);
		assert_int_equal(zoneinfo_read(path_of("zi"), NULL, &zi, err,
					       sizeof(err)), -EINVAL);
		if (!strstr(err, "zone Normal"))
			fail_msg("case %zu: %s", i, err);
	}
	snprintf(text, sizeof(text), "%s%s%s%s", head, good_managed, pagesets,
		 good_cpu);
	write_text("zi", text);
	assert_int_equal(zoneinfo_read(path_of("zi"), NULL, &zi, err, sizeof(err)), 0);
	assert_int_equal(zi.managed, 4096);
	assert_int_equal(zi.batch, 63);
	assert_int_equal(zi.pcp_count[0], 3);
}

/* --report-free above the zone's max order was accepted and reported
 * nothing (every pass refused): a usage error now. */
static void test_report_free_order_bound(void **state)
{
	char max[16], above[16];
	char *run[] = { "run", "exit-avalanche", "--mem", "64M", "--scale",
			"0.01", "--policy", "mainline", "--quiet",
			"--report-free", NULL, NULL };
	(void)state;

	snprintf(max, sizeof(max), "%u", pa_config_default().max_order);
	snprintf(above, sizeof(above), "%u", pa_config_default().max_order + 1);
	run[10] = above;
	assert_int_equal(cmd_run(11, run), 2);
	run[10] = max;
	assert_int_equal(cmd_run(11, run), 0);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];
	(void)state;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cost_model_binary_and_directory),
		cmocka_unit_test(test_zoneinfo_bad_figures),
		cmocka_unit_test(test_report_free_order_bound),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
