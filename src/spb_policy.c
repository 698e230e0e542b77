/* SPDX-License-Identifier: MIT */
/*
 * The spb policy's table: pcpbuddy's per-CPU pageblock buddy, with the
 * free lists partitioned per superpageblock and the zone's search steered
 * by superpageblock (spb_steer.h).  The pageset operations are pcpbuddy's,
 * reached through its table (their code lives in pcpbuddy.c alone).
 */
#include "zone.h"

#define PCPB pa_policy_pcpbuddy

static int spb_pol_init(struct pa_zone *z)
{
	return PCPB.init(z);
}

static void spb_pol_destroy(struct pa_zone *z)
{
	PCPB.destroy(z);
}

static uint64_t spb_pol_metadata_bytes(const struct pa_zone *z)
{
	return PCPB.metadata_bytes(z);
}

static uint32_t spb_pol_pcp_take(struct pa_zone *z, struct per_cpu_pages *pcp,
				 unsigned order, unsigned mt)
{
	return PCPB.pcp_take(z, pcp, order, mt);
}

static int spb_pol_pcp_refill(struct pa_zone *z, unsigned cpu, unsigned order,
			      unsigned mt, unsigned gfp, int batch)
{
	return PCPB.pcp_refill(z, cpu, order, mt, gfp, batch);
}

static bool spb_pol_pcp_drain(struct pa_zone *z, unsigned cpu, int count,
			      unsigned start, bool trylock)
{
	return PCPB.pcp_drain(z, cpu, count, start, trylock);
}

static void spb_pol_pcp_absorb(struct pa_zone *z, unsigned cpu)
{
	PCPB.pcp_absorb(z, cpu);
}

static void spb_pol_cpu_offline(struct pa_zone *z, unsigned cpu)
{
	PCPB.cpu_offline(z, cpu);
}

static const char *spb_pol_check(struct pa_zone *z, char *buf, size_t len,
				 uint64_t *pending)
{
	return PCPB.check(z, buf, len, pending);
}

const struct pa_policy_ops pa_policy_spb = {
	.name = "spb",
	.flags = POL_PCP_ALL_ORDERS | POL_OWNED_BLOCKS | POL_SPB_LISTS,
	.fa_part_shift = spb_part_shift,
	.init = spb_pol_init,
	.destroy = spb_pol_destroy,
	.metadata_bytes = spb_pol_metadata_bytes,
	.pcp_take = spb_pol_pcp_take,
	.pcp_refill = spb_pol_pcp_refill,
	.pcp_drain = spb_pol_pcp_drain,
	.pcp_absorb = spb_pol_pcp_absorb,
	.cpu_offline = spb_pol_cpu_offline,
	.zone_fallback = rmqueue_fallback,
	.zone_rmqueue = spb_rmqueue,
	.check = spb_pol_check,
};
