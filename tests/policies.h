/* SPDX-License-Identifier: MIT */
/*
 * policies.h - every allocation policy the library accepts, for tests.
 *
 * Tests never list policies by name: they ask pa_config_check() which of
 * 0..PA_POLICY_NR-1 it accepts for a configuration, so a policy the
 * library enables later is tested by every suite with no test edits.
 * Plain C (no cmocka), so the fuzz target links it too.
 */
#ifndef PA_TEST_POLICIES_H
#define PA_TEST_POLICIES_H

#include <stdbool.h>

#include "pagealloc.h"

/* True if pa_config_check() accepts cfg with its policy set to p. */
bool th_policy_accepts(const struct pa_config *cfg, enum pa_policy p);

/* The first policy after `after` (-1: from the start) accepted for cfg,
 * or PA_POLICY_NR when there is none. */
enum pa_policy th_policy_next(const struct pa_config *cfg, int after);

/* for each policy p accepted for cfg, in enum order */
#define th_for_each_policy(p, cfg)                                           \
	for ((p) = th_policy_next((cfg), -1); (p) < PA_POLICY_NR;            \
	     (p) = th_policy_next((cfg), (int)(p)))

/* How many policies are accepted for cfg. */
unsigned th_policy_count(const struct pa_config *cfg);

/* The k-th accepted policy for cfg, k taken modulo the count; PA_POLICY_NR
 * if no policy accepts cfg.  For inputs that choose a policy by number. */
enum pa_policy th_policy_nth(const struct pa_config *cfg, unsigned k);

#endif
