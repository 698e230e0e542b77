/* SPDX-License-Identifier: MIT */
/*
 * pcpbuddy's entry points outside its operations table: the free path's
 * push onto an owner's remote list (inline in pcp.h).
 */
#ifndef PA_PCPBUDDY_H
#define PA_PCPBUDDY_H

#include <stdint.h>

struct pa_zone;

/* Push a block onto its owner's lock-free remote list: 1 pushed,
 * -EAGAIN the owner is offline (free to the zone). */
int pcpb_push_remote(struct pa_zone *z, unsigned owner_cpu, uint32_t pfn,
		     unsigned order);

#endif
