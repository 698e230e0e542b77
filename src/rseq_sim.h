/* SPDX-License-Identifier: MIT */
/*
 * rseq.h's three sequences as plain C, for counting instructions only.
 * Valgrind cannot register rseq, so under callgrind the real sequences
 * never run; a build with EXTRA_CFLAGS=-DPA_RSEQ_SIM runs these instead
 * (the same loads, tests and single committing store) with the calling
 * thread's CPU from sched_getcpu(), as cpu_current() reads it there.
 * Nothing here restarts and the remote fence is skipped (rseq.c), so such
 * a build is correct for ONE thread only: the single-thread loops of
 * scripts/bench-rseq-callgrind.sh.  Never for tests or real use.
 */
#ifndef PA_RSEQ_SIM_H
#define PA_RSEQ_SIM_H

#include <sched.h>

static inline unsigned rseq_sim_cpu(void)
{
	int cpu = sched_getcpu();

	return cpu < 0 ? 0 : (unsigned)cpu;
}

static inline int rseq_take_word(uint32_t *word, unsigned cpu)
{
	if (rseq_sim_cpu() != cpu)
		return RSEQ_OTHER_CPU;
	if (*word)
		return RSEQ_BUSY;
	*word = PCP_HELD_RSEQ;
	return RSEQ_TOOK;
}

/* The pageset of the CPU we run on, NULL (busy) if it has none or its
 * lock word is taken. */
static inline uint64_t *rseq_sim_stack(const struct pa_zone *z, size_t off)
{
	unsigned cpu = rseq_sim_cpu();

	if (cpu >= z->ncpus || z->pcp[cpu].lock.locked)
		return NULL;
	return (uint64_t *)((char *)&z->pcp[cpu] + off);
}

static inline int rseq_stack_pop(const struct pa_zone *z, size_t off,
				 uint32_t *pfn)
{
	uint64_t *w = rseq_sim_stack(z, off);
	uint32_t hi, head;

	if (!w)
		return STACK_BUSY;
	head = (uint32_t)*w;
	if (head == PA_NIL)
		return STACK_MISS;
	/* one less block, one more pop; a carry out is a pop count wrap */
	hi = (uint32_t)(*w >> 32) + 0xffffu;
	if (hi < 0xffffu)
		return STACK_MISS;
	*w = (uint64_t)hi << 32 | z->pages[head].next;
	*pfn = head;
	return STACK_TOOK;
}

static inline int rseq_stack_push(const struct pa_zone *z, size_t off,
				  uint32_t pfn, unsigned cap)
{
	uint64_t *w = rseq_sim_stack(z, off);

	if (!w)
		return STACK_BUSY;
	if (stack_count(*w) >= cap)
		return STACK_MISS;
	z->pages[pfn].next = (uint32_t)*w;
	*w = (uint64_t)((uint32_t)(*w >> 32) + 1) << 32 | pfn;
	return STACK_TOOK;
}

#endif
