/* SPDX-License-Identifier: MIT */
/*
 * CPU slots (cpu.c implements the public CPU calls: pa_current_cpu, drain,
 * hotplug): which slot the calling thread is on.
 */
#ifndef PA_CPU_H
#define PA_CPU_H

#include <sched.h>
#include <sys/rseq.h>

#include "zone.h"

#ifdef PA_RSEQ_COUNT
#define PA_RSEQ_COUNT_BUILD 1
#else
#define PA_RSEQ_COUNT_BUILD 0
#endif

/* The calling thread's CPU slot: glibc's rseq area (one load), else
 * sched_getcpu().  Inline: it is on every pa_alloc/pa_free. */
static inline unsigned cpu_current(const struct pa_zone *z)
{
	int cpu = -1;

#if defined(__x86_64__) || defined(__aarch64__)
	/* PA_RSEQ_COUNT: rseq.c wrote the area's cpu_id itself */
	if (__builtin_expect(__rseq_size >= 8, 1) || PA_RSEQ_COUNT_BUILD) {
		const volatile struct rseq *rs =
			(const void *)((char *)__builtin_thread_pointer() +
				       __rseq_offset);

		cpu = (int)rs->cpu_id;
	}
#endif
	if (cpu < 0)
		cpu = sched_getcpu();
	if (cpu < 0)
		cpu = 0;
	return (unsigned)cpu < z->ncpus ? (unsigned)cpu : (unsigned)cpu % z->ncpus;
}

#endif
