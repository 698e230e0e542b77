/* SPDX-License-Identifier: MIT */
/*
 * Exit avalanche, counted: CPUs 1..3 each fault in a share of N order-0
 * movable pages, then CPU 0 frees them all (a process exit).  Reports the
 * pages moved under zone->lock per 1000 operations for mainline and
 * pcpbuddy on a 5 GiB metadata-only zone, and checks the zone afterwards.
 * Usage: bench_avalanche_policies [N]   (default 1,000,000 pages)
 */
#include <stdio.h>
#include <stdlib.h>

#include "pagealloc.h"

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	uint64_t *p = malloc(sizeof(*p) * (size_t)n);

	if (!p)
		return 1;
	for (int pol = 0; pol < 2; pol++) {
		struct pa_config c = pa_config_default();
		struct pa_stats s;
		char msg[200];

		c.bytes = 5ull << 30;
		c.ncpus = 4;
		c.policy = (enum pa_policy)pol;
		struct pa_zone *z = pa_zone_create(&c);

		if (!z)
			return 1;
		for (long i = 0; i < n; i++) {
			p[i] = pa_alloc_cpu(z, 1 + (unsigned)(i / 64 % 3), 0,
					    PA_GFP_MOVABLE);
			if (p[i] == PA_NO_PFN)
				return 1;
		}
		pa_stats(z, &s);
		uint64_t before = s.zone_pages_refill + s.zone_pages_drain +
				  s.zone_pages_direct_alloc + s.zone_pages_direct_free;
		uint64_t acq_before = s.zone_lock.acquisitions;
		uint64_t ops_before = s.zone_blocks_moved;

		for (long i = 0; i < n; i++)
			if (pa_free_cpu(z, 0, p[i], 0))
				return 1;
		pa_drain(z);
		int rc = pa_check(z, msg, sizeof(msg));

		pa_stats(z, &s);
		uint64_t after = s.zone_pages_refill + s.zone_pages_drain +
				 s.zone_pages_direct_alloc + s.zone_pages_direct_free;
		printf("%-9s check=%d free phase: zone->lock pages moved %llu (%.1f per 1000 frees, incl. the final drain), free-list operations %llu (%.1f per 1000 frees), acquisitions %llu; whole run %.1f pages per 1000 ops\n",
		       pa_policy_name((enum pa_policy)pol), rc,
		       (unsigned long long)(after - before),
		       1000.0 * (double)(after - before) / (double)n,
		       (unsigned long long)(s.zone_blocks_moved - ops_before),
		       1000.0 * (double)(s.zone_blocks_moved - ops_before) / (double)n,
		       (unsigned long long)(s.zone_lock.acquisitions - acq_before),
		       1000.0 * (double)after / (2.0 * (double)n));
		pa_zone_destroy(z);
	}
	free(p);
	return 0;
}
