/* SPDX-License-Identifier: MIT */
#include "factory.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

const char th_per_policy_mark;

/* ------------------------------------------------------------------ */
/* Zones                                                               */
/* ------------------------------------------------------------------ */

/* What the factory's error hook saw.  Hooks run in the calling thread,
 * possibly with zone locks held (stress tests: several threads), so it
 * only counts and keeps the first message; th_zone_destroy() fails. */
struct th_zone_errs {
	unsigned count;
	char first[256];
};

static void th_zone_errhook(void *arg, int err, const char *msg)
{
	struct th_zone_errs *e = arg;

	if (__atomic_fetch_add(&e->count, 1, __ATOMIC_RELAXED) == 0)
		snprintf(e->first, sizeof(e->first), "%d: %s", err,
			 msg ? msg : "(null)");
}

static struct th_zone_errs *th_zone_errs_of(const struct pa_zone *zone)
{
	struct pa_config c;

	pa_zone_config(zone, &c);
	return c.error_fn == th_zone_errhook ? c.error_arg : NULL;
}

struct pa_zone *th_zone_create(const struct pa_config *cfg)
{
	struct pa_config c = *cfg;
	struct th_zone_errs *errs = NULL;
	struct pa_zone *z;

	if (!c.error_fn) {
		errs = calloc(1, sizeof(*errs));
		assert_non_null(errs);
		c.error_fn = th_zone_errhook;
		c.error_arg = errs;
	}
	z = pa_zone_create(&c);
	if (!z) {
		char msg[256] = "";
		int err = errno;

		free(errs);
		pa_config_check(&c, msg, sizeof(msg));
		fail_msg("pa_zone_create (policy %s) failed: errno %d: %s",
			 pa_policy_name(c.policy) ? pa_policy_name(c.policy)
						  : "?", err, msg);
	}
	return z;
}

unsigned th_zone_errors_take(struct pa_zone *zone, char *msg, size_t len)
{
	struct th_zone_errs *e = th_zone_errs_of(zone);
	unsigned n;

	if (!e)
		return 0;
	n = __atomic_exchange_n(&e->count, 0, __ATOMIC_RELAXED);
	if (msg && len)
		snprintf(msg, len, "%s", n ? e->first : "");
	return n;
}

void th_zone_destroy(struct pa_zone *zone)
{
	struct th_zone_errs *e;
	struct pa_config c;
	char first[sizeof(e->first)];
	unsigned n;

	if (!zone)
		return;
	assert_check(zone);
	assert_accounting(zone);
	e = th_zone_errs_of(zone);
	pa_zone_config(zone, &c);
	n = e ? e->count : 0;
	if (n)
		memcpy(first, e->first, sizeof(first));
	pa_zone_destroy(zone);
	free(e);
	if (n)
		fail_msg("policy %s: %u unexpected error message(s), the first: %s",
			 pa_policy_name(c.policy), n, first);
}

/* ------------------------------------------------------------------ */
/* Cases per policy                                                    */
/* ------------------------------------------------------------------ */

unsigned th_policies(enum pa_policy out[PA_POLICY_NR])
{
	struct pa_config ref = th_config(8, 3, 5, 0, 2);
	enum pa_policy p;
	unsigned n = 0;

	th_for_each_policy(p, &ref)
		out[n++] = p;
	return n;
}

/* Every case of tests[], the marked ones once per policy; names and
 * states point into names[] and pols[]. */
static size_t th_expand(const struct CMUnitTest *tests, size_t n,
			const enum pa_policy *pols, unsigned np,
			struct CMUnitTest *out, char (*names)[128])
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (tests[i].initial_state != &th_per_policy_mark) {
			out[k++] = tests[i];
			continue;
		}
		for (unsigned j = 0; j < np; j++, k++) {
			out[k] = tests[i];
			snprintf(names[k], sizeof(names[k]), "%s [%s]",
				 tests[i].name, pa_policy_name(pols[j]));
			out[k].name = names[k];
			out[k].initial_state = (void *)&pols[j];
		}
	}
	return k;
}

int th_run_policy_tests(const char *group, const struct CMUnitTest *tests,
			size_t n)
{
	enum pa_policy pols[PA_POLICY_NR];
	unsigned np = th_policies(pols);
	size_t cap = n * (np ? np : 1);
	struct CMUnitTest *all = calloc(cap, sizeof(*all));
	char (*names)[128] = calloc(cap, sizeof(*names));
	int rc;

	if (!all || !names || !np) {
		fprintf(stderr, "%s: %s\n", group,
			np ? "out of memory" : "no policy accepts the reference zone");
		free(all);
		free(names);
		return 1;
	}
	rc = _cmocka_run_group_tests(group, all,
				     th_expand(tests, n, pols, np, all, names),
				     NULL, NULL);
	free(all);
	free(names);
	return rc;
}

enum pa_policy th_policy(void **state)
{
	const enum pa_policy *p = state ? *state : NULL;

	if (!p || (const void *)p == &th_per_policy_mark)
		fail_msg("th_policy() in a case not run by th_run_policy_tests()");
	return *p;
}

const char *th_policy_str(void **state)
{
	return pa_policy_name(th_policy(state));
}

struct pa_zone *th_zone_for(void **state, const struct pa_config *cfg)
{
	struct pa_config c = *cfg;
	char msg[256] = "";

	c.policy = th_policy(state);
	if (th_policy_accepts(&c, c.policy))
		return th_zone_create(&c);
	if (th_policy_count(&c) == 0) {
		pa_config_check(&c, msg, sizeof(msg));
		fail_msg("no policy accepts the test's config: %s", msg);
	}
	return NULL;
}

struct pa_zone *th_zone_or_skip(void **state, const struct pa_config *cfg)
{
	struct pa_zone *z = th_zone_for(state, cfg);

	if (!z) {
		print_message("policy %s does not accept this config: skipped\n",
			      th_policy_str(state));
		skip();
	}
	return z;
}
