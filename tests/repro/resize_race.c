/* SPDX-License-Identifier: MIT */
/*
 * Reproducer of an open bug (2026-12-03): a mainline zone with room to
 * grow, two threads allocating and freeing orders 0-2 with pa_alloc and
 * pa_free, and this thread growing and shrinking the zone by a pageblock,
 * stopping the two at the top of their loop and running pa_check after
 * every resize.  Within a few thousand resizes pa_check fails in some
 * runs (free blocks left on the isolate lists after a shrink, misaligned
 * blocks on the pagesets' lists, pages on no list), and the same race
 * makes test_stress_blackbox_newapis fail about once in 50-300 runs.
 * Not part of the suite: `make repro-resize` builds and runs it ten times
 * (docs/DESIGN.md, "Known bug: resizing a mainline zone beside its users").
 * Usage: [NORSEQ=1] resize_race [WORKERS [ITERATIONS]] (NORSEQ: the
 * trylock fast path instead of rseq).  Exit 0, or abort with the
 * failing check and the last resizes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pagealloc.h"

static struct pa_zone *z;
static atomic_int pause_req, paused, stop;

static void *worker(void *arg)
{
	uint64_t held[64]; unsigned ord[64], n = 0;
	uint64_t seed = (uintptr_t)arg * 7919 + 1;
	while (!atomic_load(&stop)) {
		if (atomic_load(&pause_req)) {
			atomic_fetch_add(&paused, 1);
			while (atomic_load(&pause_req)) ;
			atomic_fetch_sub(&paused, 1);
		}
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		unsigned o = (unsigned)(seed >> 60) % 3;
		if (n < 64 && ((seed >> 40) & 1)) {
			uint64_t p = pa_alloc(z, o, PA_GFP_MOVABLE | PA_GFP_NOWARN);
			if (p != PA_NO_PFN) { held[n] = p; ord[n++] = o; }
		} else if (n) {
			n--;
			if (pa_free(z, held[n], ord[n])) { fprintf(stderr, "free failed\n"); abort(); }
		}
	}
	while (n) { n--; pa_free(z, held[n], ord[n]); }
	return NULL;
}

int main(int argc, char **argv)
{
	int nw = argc > 1 ? atoi(argv[1]) : 2;
	long iters = argc > 2 ? atol(argv[2]) : 20000;
	struct pa_config c = pa_config_default();
	c.page_shift = 12; c.pageblock_order = 3; c.max_order = 5; c.superpageblock_order = 5;
	c.bytes = 16ull * 8 * 4096; c.max_bytes = 2 * c.bytes; c.ncpus = 2;
	c.policy = PA_POLICY_MAINLINE; if (getenv("NORSEQ")) c.flags |= PA_CFG_NO_RSEQ;
	z = pa_zone_create(&c);
	if (!z) { perror("create"); return 1; }
	pthread_t t[4];
	for (int i = 0; i < nw; i++) pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(i + 1));
	char log[64][64]; int li = 0;
	for (long it = 0; it < iters; it++) {
		for (int op = 0; op < 2; op++) {
			int r = op ? pa_zone_shrink(z, 8 * 4096) : pa_zone_grow(z, 8 * 4096);
			snprintf(log[li++ % 64], 64, "it %ld %s %d pages %llu", it, op ? "shrink" : "grow", r,
				 (unsigned long long)pa_managed_pages(z));
			atomic_store(&pause_req, 1);
			while (atomic_load(&paused) < nw) ;
			char m[256];
			if (pa_check(z, m, sizeof(m))) {
				fprintf(stderr, "pa_check after it %ld: %s\n", it, m);
				for (int k = li - 6; k < li; k++) if (k >= 0) fprintf(stderr, "  %s\n", log[k % 64]);
				abort();
			}
			atomic_store(&pause_req, 0);
		}
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < nw; i++) pthread_join(t[i], NULL);
	printf("ok\n");
	return 0;
}
