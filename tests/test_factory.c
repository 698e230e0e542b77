/* SPDX-License-Identifier: MIT */
/*
 * The test infrastructure itself (tests/policies.h, tests/factory.h,
 * tests/config.h): the policy iterator yields exactly what
 * pa_config_check() accepts, the factory's error hook counts what it
 * receives, th_config() builds what it says, and a per-policy case really
 * gets each policy.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>

/* Iterating agrees with asking pa_config_check() about each policy. */
static void iterator_is_pa_config_check(void **state)
{
	struct pa_config cfgs[3] = {
		th_config(8, 3, 5, 0, 2),
		th_config(8, 3, 5, PA_CFG_NO_PCP, 2),
		th_config(1, 1, 1, PA_CFG_NO_WATERMARKS, 1),
	};

	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		enum pa_policy p;
		int want = -1;
		unsigned n = 0;

		th_for_each_policy(p, &cfgs[i]) {
			struct pa_config c = cfgs[i];

			/* the next policy pa_config_check() accepts */
			for (want++; want < PA_POLICY_NR; want++) {
				c.policy = (enum pa_policy)want;
				if (pa_config_check(&c, NULL, 0) == 0)
					break;
			}
			assert_int_equal(p, want);
			assert_int_equal(th_policy_nth(&cfgs[i], n), p);
			n++;
		}
		assert_int_equal(n, th_policy_count(&cfgs[i]));
		/* the default policy takes every valid config */
		assert_true(n >= 1);
		assert_int_equal(th_policy_nth(&cfgs[i], 0), PA_POLICY_MAINLINE);
		assert_int_equal(th_policy_nth(&cfgs[i], n), PA_POLICY_MAINLINE);
	}
	/* a config nothing accepts */
	cfgs[0].max_order = 21;
	assert_int_equal(th_policy_count(&cfgs[0]), 0);
	assert_int_equal(th_policy_next(&cfgs[0], -1), PA_POLICY_NR);
	assert_int_equal(th_policy_nth(&cfgs[0], 3), PA_POLICY_NR);
}

static void config_is_what_it_says(void **state)
{
	struct pa_config c = th_config(6, 3, 5, PA_CFG_STRICT, 3);
	struct pa_zone *z;

	(void)state;
	assert_int_equal(c.superpageblock_order, 5); /* 4 pageblocks */
	th_config_spb(&c, 8);
	assert_int_equal(c.superpageblock_order, 6);
	th_config_spb(&c, 1); /* never below a max_order block */
	assert_int_equal(c.superpageblock_order, 5);
	z = th_zone_create(&c);
	assert_int_equal(pa_managed_pages(z), 6u << 3);
	th_zone_destroy(z);
}

/* The hook counts; th_zone_errors_take() hands the count over. */
static void errors_are_counted_and_taken(void **state)
{
	struct pa_config c = th_config(4, 3, 5, 0, 1);
	struct pa_zone *z = th_zone_for(state, &c);
	char first[256];

	assert_non_null(z);
	assert_int_equal(th_zone_errors_take(z, first, sizeof(first)), 0);
	assert_string_equal(first, "");
	assert_int_equal(pa_free(z, 1, 1), -EINVAL);
	assert_int_equal(pa_drain_cpu(z, 5), -EINVAL);
	assert_int_equal(th_zone_errors_take(z, first, sizeof(first)), 2);
	assert_non_null(strstr(first, "pa_free"));
	assert_int_equal(th_zone_errors_take(z, NULL, 0), 0);
	th_zone_destroy(z);
}

/* Each run of a per-policy case gets one of th_policies(), and its zones
 * that policy. */
static void case_sees_its_policy(void **state)
{
	enum pa_policy pols[PA_POLICY_NR];
	unsigned n = th_policies(pols);
	enum pa_policy p = th_policy(state);
	struct pa_config c = th_config(4, 3, 5, 0, 1), e;
	struct pa_zone *z = th_zone_for(state, &c);
	unsigned i;

	for (i = 0; i < n && pols[i] != p; i++)
		;
	assert_true(i < n);
	assert_non_null(z);
	pa_zone_config(z, &e);
	assert_int_equal(e.policy, p);
	th_zone_destroy(z);
	/* a config this policy rejects, if any: NULL, not a failure */
	c.flags |= PA_CFG_NO_PCP;
	z = th_zone_for(state, &c);
	assert_true(th_policy_accepts(&c, p) ? z != NULL : z == NULL);
	th_zone_destroy(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(iterator_is_pa_config_check),
		cmocka_unit_test(config_is_what_it_says),
		th_policy_test(errors_are_counted_and_taken),
		th_policy_test(case_sees_its_policy),
	};

	return th_run_policy_group("factory", tests);
}
