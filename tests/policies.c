/* SPDX-License-Identifier: MIT */
#include "policies.h"

bool th_policy_accepts(const struct pa_config *cfg, enum pa_policy p)
{
	struct pa_config c = *cfg;

	c.policy = p;
	return pa_config_check(&c, NULL, 0) == 0;
}

enum pa_policy th_policy_next(const struct pa_config *cfg, int after)
{
	for (int p = after + 1; p < PA_POLICY_NR; p++)
		if (th_policy_accepts(cfg, (enum pa_policy)p))
			return (enum pa_policy)p;
	return PA_POLICY_NR;
}

unsigned th_policy_count(const struct pa_config *cfg)
{
	enum pa_policy p;
	unsigned n = 0;

	th_for_each_policy(p, cfg)
		n++;
	return n;
}

enum pa_policy th_policy_nth(const struct pa_config *cfg, unsigned k)
{
	unsigned n = th_policy_count(cfg);
	enum pa_policy p;

	if (!n)
		return PA_POLICY_NR;
	k %= n;
	th_for_each_policy(p, cfg)
		if (k-- == 0)
			break;
	return p;
}
