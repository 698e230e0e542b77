/* SPDX-License-Identifier: MIT */
/*
 * factory.h - the one way tests build zones, and run cases per policy.
 *
 *   th_config()        a small metadata-only configuration (config.h);
 *   th_zone_create()   create it, failing the test (with the policy and
 *                      pa_config_check()'s reason) if that fails, with an
 *                      error hook that records unexpected errors;
 *   th_zone_destroy()  pa_check(), the accounting check, no unexpected
 *                      error, then destroy;
 *   th_run_policy_tests() runs each case marked th_policy_test() once per
 *                      policy the library accepts, named "case [policy]";
 *                      the case reads its policy with th_policy(state) and
 *                      makes zones with th_zone_for(state, &cfg).
 * Call these from the case's own thread (they may fail it).  The error hook
 * the factory installs may run in any thread (it counts atomically and
 * formats only the first message); like the library's own message
 * formatting it calls snprintf, so it is not async-signal-safe.
 * Include helpers.h, which includes this.
 */
#ifndef PA_TEST_FACTORY_H
#define PA_TEST_FACTORY_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "pagealloc.h"
#include "policies.h"

/*
 * Create a zone from cfg (its policy as given).  Fails the test if
 * pa_zone_create() fails.  When cfg has no error hook, installs one that
 * records every message: th_zone_destroy() fails the test if any arrived
 * that th_zone_errors_take() did not collect.
 */
struct pa_zone *th_zone_create(const struct pa_config *cfg);
/* Error messages the factory hook received since the last call (and the
 * first of them into msg, if msg && len); resets the count.  0 if the zone
 * has its own hook. */
unsigned th_zone_errors_take(struct pa_zone *zone, char *msg, size_t len);
/* assert_check(), assert_accounting(), no unexpected error, destroy.
 * NULL is a no-op. */
void th_zone_destroy(struct pa_zone *zone);

/* Mark a case to run once per policy: in a table given to
 * th_run_policy_tests().  Unmarked cases run once, with a NULL state. */
extern const char th_per_policy_mark;
#define th_policy_test(f) { #f, f, NULL, NULL, (void *)&th_per_policy_mark }

/* The policies a per-policy case runs under: those accepted for the
 * reference zone th_config(8, 3, 5, 0, 2).  Returns how many, written to
 * out[0..PA_POLICY_NR-1]. */
unsigned th_policies(enum pa_policy out[PA_POLICY_NR]);

/* Run the table (cmocka group `group`), marked cases once per policy. */
int th_run_policy_tests(const char *group, const struct CMUnitTest *tests,
			size_t n);
#define th_run_policy_group(group, tests)                                    \
	th_run_policy_tests((group), (tests), sizeof(tests) / sizeof((tests)[0]))

/* The policy of a per-policy case (fails the test in an unmarked one). */
enum pa_policy th_policy(void **state);
/* Its name, for messages. */
const char *th_policy_str(void **state);

/*
 * th_zone_create() of cfg under the case's policy.  If that policy does
 * not accept cfg (e.g. PA_CFG_NO_PCP under a policy that needs per-CPU
 * lists) returns NULL: the runs of the policies that do accept it cover
 * it.  Fails the test if no policy accepts cfg.
 */
struct pa_zone *th_zone_for(void **state, const struct pa_config *cfg);
/* th_zone_for(), but a config the case's policy rejects skips the rest of
 * the case (cmocka skip()): create no other zone before it that is still
 * alive, it would leak. */
struct pa_zone *th_zone_or_skip(void **state, const struct pa_config *cfg);

#endif
