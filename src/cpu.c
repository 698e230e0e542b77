/* SPDX-License-Identifier: MIT */
/*
 * Which CPU slot a thread uses, and CPU hotplug.  The CPU is read from the
 * rseq area glibc registers for every thread (a plain load), falling back
 * to sched_getcpu().  A thread may migrate right after reading it; the
 * pageset's lock makes that safe, only a little slower.
 */
#include <errno.h>
#include <sched.h>

#include "cpu.h"
#include "error.h"
#include "pcp.h"
#include "zone.h"

unsigned pa_current_cpu(const struct pa_zone *z)
{
	return cpu_current(z);
}

static int check_cpu(const struct pa_zone *z, unsigned cpu, const char *fn)
{
	if (cpu < z->ncpus)
		return 0;
	pa_err(z, -EINVAL, "%s: cpu %u out of range (zone has %u)", fn, cpu,
	       z->ncpus);
	return -EINVAL;
}

void pa_drain(struct pa_zone *z)
{
	if (!z->use_pcp)
		return;
	for (unsigned c = 0; c < z->ncpus; c++)
		pcp_drain_cpu(z, c);
}

int pa_drain_cpu(struct pa_zone *z, unsigned cpu)
{
	if (check_cpu(z, cpu, "pa_drain_cpu"))
		return -EINVAL;
	if (z->use_pcp)
		pcp_drain_cpu(z, cpu);
	return 0;
}

void pa_pcp_tick(struct pa_zone *z)
{
	if (z->use_pcp)
		pcp_tick(z);
}

int pa_pcp_tick_cpu(struct pa_zone *z, unsigned cpu)
{
	if (check_cpu(z, cpu, "pa_pcp_tick_cpu"))
		return -EINVAL;
	if (z->use_pcp)
		pcp_tick_cpu(z, cpu);
	return 0;
}

/* The checks both fills make; fn names the caller in the error. */
static int fill_check(struct pa_zone *z, unsigned cpu, unsigned order,
		      unsigned gfp, const char *fn)
{
	if (check_cpu(z, cpu, fn))
		return -EINVAL;
	if (gfp & ~PA_GFP_MASK) {
		pa_err(z, -EINVAL, "%s: unknown gfp bits 0x%x", fn,
		       gfp & ~PA_GFP_MASK);
		return -EINVAL;
	}
	if (!z->use_pcp)
		return -ENODEV;
	if (!pcp_allowed_order(z, order)) {
		pa_err(z, -EINVAL, "%s: order %u is not cached on per-CPU "
		       "lists", fn, order);
		return -EINVAL;
	}
	return 0;
}

int pa_pcp_fill(struct pa_zone *z, unsigned cpu, unsigned pages, unsigned gfp)
{
	int rc = fill_check(z, cpu, 0, gfp, "pa_pcp_fill");

	return rc ? rc : pcp_fill(z, cpu, pages, gfp_migratetype(gfp));
}

int pa_pcp_fill_order(struct pa_zone *z, unsigned cpu, unsigned order,
		      unsigned pages, unsigned gfp)
{
	int rc = fill_check(z, cpu, order, gfp, "pa_pcp_fill_order");

	return rc ? rc : pcp_fill_order(z, cpu, pages, order,
					gfp_migratetype(gfp));
}

int pa_pcp_set_high(struct pa_zone *z, unsigned cpu, unsigned high)
{
	if (check_cpu(z, cpu, "pa_pcp_set_high"))
		return -EINVAL;
	if (!z->use_pcp)
		return -ENODEV;
	return pcp_set_state(z, cpu, high);
}

int pa_cpu_offline(struct pa_zone *z, unsigned cpu)
{
	if (check_cpu(z, cpu, "pa_cpu_offline"))
		return -EINVAL;
	return z->use_pcp ? pcp_cpu_offline(z, cpu) : 0;
}

int pa_cpu_online(struct pa_zone *z, unsigned cpu)
{
	if (check_cpu(z, cpu, "pa_cpu_online"))
		return -EINVAL;
	return z->use_pcp ? pcp_cpu_online(z, cpu) : 0;
}
