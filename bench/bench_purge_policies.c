/* SPDX-License-Identifier: MIT */
/*
 * The jemalloc purge pattern (allocate on CPU 0, free on CPU 1) through
 * mainline and pcpbuddy on a 5 GiB metadata-only zone: zone->lock pages
 * moved per 1000 operations, pcpbuddy counters, pa_check. Counts, not times.
 * Usage: bench_purge_policies [ROUNDS]  (512 allocs + 512 frees per round)
 */
#include <pagealloc.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
  for (int pol=0; pol<2; pol++){
    struct pa_config c = pa_config_default(); c.bytes = 5ull<<30; c.ncpus = 2; c.policy = pol;
    struct pa_zone *z = pa_zone_create(&c);
    enum {B=512}; uint64_t p[B];
    long rounds = argc>1? atol(argv[1]) : 20000;
    for (long r=0;r<rounds;r++){
      for(int i=0;i<B;i++){ p[i]=pa_alloc_cpu(z,0,0,PA_GFP_MOVABLE); if(p[i]==PA_NO_PFN){printf("fail\n");return 1;} }
      for(int i=0;i<B;i++) if(pa_free_cpu(z,1,p[i],0)) {printf("free fail\n");return 1;}
    }
    char msg[200]; pa_drain(z); int rc = pa_check(z,msg,sizeof msg);
    struct pa_stats s; pa_stats(z,&s);
    printf("%-9s check=%d ops=%ld zone->lock acq %llu pages moved %llu (refill %llu drain %llu direct %llu/%llu) per 1000 ops %.1f | claimed %llu disowned %llu remote pushed %llu absorbed %llu merges %llu phases %llu/%llu/%llu/%llu p0 pages %llu scanned %llu\n",
      pa_policy_name(pol), rc, rounds*B*2, (unsigned long long)s.zone_lock.acquisitions,
      (unsigned long long)(s.zone_pages_refill+s.zone_pages_drain+s.zone_pages_direct_alloc+s.zone_pages_direct_free),
      (unsigned long long)s.zone_pages_refill,(unsigned long long)s.zone_pages_drain,(unsigned long long)s.zone_pages_direct_alloc,(unsigned long long)s.zone_pages_direct_free,
      1000.0*(s.zone_pages_refill+s.zone_pages_drain+s.zone_pages_direct_alloc+s.zone_pages_direct_free)/(rounds*B*2.0),
      (unsigned long long)s.pcpb_blocks_claimed,(unsigned long long)s.pcpb_blocks_disowned,(unsigned long long)s.pcpb_remote_pushed,(unsigned long long)s.pcpb_remote_absorbed,(unsigned long long)s.pcpb_merges,
      (unsigned long long)s.pcpb_phase[0],(unsigned long long)s.pcpb_phase[1],(unsigned long long)s.pcpb_phase[2],(unsigned long long)s.pcpb_phase[3],(unsigned long long)s.pcpb_phase0_pages,(unsigned long long)s.pcpb_phase0_scanned);
    if (rc) printf("  %s\n", msg);
    pa_zone_destroy(z);
  }
  return 0;
}
