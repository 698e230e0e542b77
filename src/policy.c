/* SPDX-License-Identifier: MIT */
/*
 * The policies the library builds, and mainline's table: the kernel's
 * per-CPU pagesets in front of the kernel's buddy allocator.
 */
#include "buddy.h"
#include "pcp.h"

const struct pa_policy_ops pa_policy_mainline = {
	.name = "mainline",
	.flags = 0,
	.fa_part_shift = fa_whole_zone,
	.pcp_take = pcp_take_mainline,
	.pcp_refill = pcp_refill_mainline,
	.pcp_drain = pcp_drain_mainline,
	.pcp_release_range = pcp_release_range_lists,
	.zone_fallback = rmqueue_fallback,
};

const struct pa_policy_ops *policy_ops(unsigned policy)
{
	switch (policy) {
	case PA_POLICY_MAINLINE:
		return &pa_policy_mainline;
	case PA_POLICY_PCPBUDDY:
		return &pa_policy_pcpbuddy;
	case PA_POLICY_SPB:
		return &pa_policy_spb;
	default:
		return NULL;
	}
}
