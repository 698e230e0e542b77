/* SPDX-License-Identifier: MIT */
/*
 * Free page reporting in the lab (--report-free ORDER): once per
 * simulated second each policy's zone hands its free blocks of order >=
 * ORDER that were not reported since they were last freed to a reporter
 * (pa_report_free), as a guest's free page reporting does for its
 * hypervisor.  The reporter remembers which pages it gave back; a page
 * the simulator allocates again is resident again.  So the figures are
 * the pages reported over the run and the would-be RSS drop: pages given
 * back and not allocated since, at the end and at its peak.  Not run
 * under virtual time (its replay makes no ticks).
 */
#ifndef PA_LAB_SIM_REPORTING_H
#define PA_LAB_SIM_REPORTING_H

#include <stdbool.h>
#include <stdint.h>

struct sim_policy;

struct sim_reporting {
	bool on;
	unsigned order;
	uint64_t *given_back;    /* one bit per page, made at the first tick */
	uint64_t nr_pages;       /* bits in given_back */
	uint64_t runs;           /* pa_report_free calls */
	uint64_t blocks, pages;  /* reported, over the run */
	uint64_t rss_drop;       /* pages given back and not used since */
	uint64_t rss_drop_peak;
	bool failed;             /* no memory for the map: figures stop */
};

/* One reporting pass of the policy's zone (a simulated second). */
void sim_reporting_tick(struct sim_policy *p);
/* The simulator allocated 2^order pages at pfn: resident again. */
void sim_reporting_touch(struct sim_policy *p, uint64_t pfn, unsigned order);
void sim_reporting_destroy(struct sim_policy *p);

#endif
