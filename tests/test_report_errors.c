/* SPDX-License-Identifier: MIT */
/*
 * Reports refuse what they cannot do: a NULL stream or output is -EINVAL
 * (it crashed), and a full device is -EIO for every report kind even when
 * the text fits in stdio's buffer (it returned 0).
 */
#include "helpers.h"

#include <errno.h>

static void null_outputs_are_einval(void **state)
{
	struct th_errlog log = { 0 };
	struct pa_config c = th_config(4, 4, 6, 0, 1);

	(void)state;
	c.error_fn = th_errlog_fn;
	c.error_arg = &log;
	struct pa_zone *z = pa_zone_create(&c);

	assert_non_null(z);
	for (int r = PA_REPORT_BUDDYINFO; r <= PA_REPORT_LOCKSTAT; r++)
		assert_int_equal(pa_report(z, (enum pa_report)r, NULL), -EINVAL);
	assert_int_equal(pa_frag(z, NULL), -EINVAL);
	assert_true(log.count >= 6);
	assert_check(z);
	pa_zone_destroy(z);
}

static void full_device_is_eio(void **state)
{
	struct pa_config c = th_config(4, 4, 6, 0, 1);
	FILE *full = fopen("/dev/full", "w");

	(void)state;
	if (!full)
		skip();
	struct pa_zone *z = pa_zone_create(&c);

	assert_non_null(z);
	for (int r = PA_REPORT_BUDDYINFO; r <= PA_REPORT_LOCKSTAT; r++) {
		clearerr(full);
		assert_int_equal(pa_report(z, (enum pa_report)r, full), -EIO);
	}
	fclose(full);
	pa_zone_destroy(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(null_outputs_are_einval),
		cmocka_unit_test(full_device_is_eio),
	};

	return cmocka_run_group_tests_name("report_errors", tests, NULL, NULL);
}
