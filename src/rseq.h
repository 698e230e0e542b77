/* SPDX-License-Identifier: MIT */
/*
 * The rseq fast path: the calling thread takes its own CPU's pageset lock
 * with a restartable sequence whose commit is a plain store, so pa_alloc
 * and pa_free on the current CPU pay no lock-prefixed instruction for the
 * pageset.  Everyone else (another CPU's slot, drains, hotplug, pa_check,
 * tick) takes the same lock word by compare-and-swap and then fences the
 * pageset's CPU with membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ), which
 * aborts a sequence that read the word as free before the swap; see
 * docs/DESIGN.md "rseq fast path" for why this is enough.
 *
 * Chosen once per zone (z->fast_rseq) at creation; the trylock path of
 * lock.h is used everywhere else.  PA_CFG_NO_RSEQ or PA_FAST_PATH=trylock
 * in the environment force the fallback.
 */
#ifndef PA_RSEQ_H
#define PA_RSEQ_H

#include <sys/rseq.h>

#include "zone.h"

/* pcp->lock.locked on an rseq zone: who holds the word */
#define PCP_HELD_RSEQ   1u  /* a sequence on the pageset's own CPU */
#define PCP_HELD_REMOTE 2u  /* a compare-and-swap locker, after its fence */

/* At zone creation, after the pagesets: set z->fast_rseq (and the CPU
 * count fences need).  Returns NULL if rseq was chosen, else why not. */
const char *pcp_fast_path_select(struct pa_zone *z);
/* "rseq" or "trylock": the fast path the zone chose (zoneinfo). */
const char *pcp_fast_path_name(const struct pa_zone *z);

/* Out-of-line halves of pcp_trylock (rseq.c). */
bool pcp_trylock_remote_(struct pa_zone *z, unsigned cpu);

/* Take pageset `cpu`'s lock, waiting; from any thread. */
void pcp_lock(struct pa_zone *z, unsigned cpu);
static inline void pcp_unlock(struct pa_zone *z, unsigned cpu)
{
	pa_lock_release(&z->pcp[cpu].lock);
}

#if defined(__x86_64__) && !defined(PA_NO_RSEQ_ASM)
#define PA_HAVE_RSEQ_ASM 1
enum { RSEQ_TOOK, RSEQ_BUSY, RSEQ_OTHER_CPU };

/*
 * One restartable sequence: if this thread runs on `cpu` and *word is 0,
 * store PCP_HELD_RSEQ there.  The store is the commit: preemption, a
 * signal or migration before it sends the kernel to the abort label,
 * which starts again from the top (it never spins: each restart follows
 * a kernel event).  The descriptor and the abort stub, with the signature
 * glibc registered in the four bytes before it, live in their own sections.
 */
static inline __attribute__((always_inline)) int
rseq_take_word(uint32_t *word, unsigned cpu)
{
	struct rseq *rs = (struct rseq *)((char *)__builtin_thread_pointer() +
					  __rseq_offset);

restart:
	__asm__ goto(
		".pushsection __rseq_cs, \"aw\"\n\t"
		".balign 32\n\t"
		"771:\n\t"
		".long 0, 0\n\t"
		".quad 772f, 773f - 772f, 774f\n\t"
		".popsection\n\t"
		".pushsection __rseq_failure, \"ax\"\n\t"
		".long %c[sig]\n\t"
		"774:\n\t"
		"jmp %l[restart]\n\t"
		".popsection\n\t"
		"leaq 771b(%%rip), %%rax\n\t"
		"movq %%rax, %[cs]\n\t"
		"772:\n\t"
		"cmpl %[cpu], %[cpu_id]\n\t"
		"jne %l[other_cpu]\n\t"
		"cmpl $0, %[word]\n\t"
		"jne %l[busy]\n\t"
		"movl %[held], %[word]\n\t"
		"773:\n\t"
		:
		: [cs] "m"(rs->rseq_cs), [cpu_id] "m"(rs->cpu_id),
		  [cpu] "r"(cpu), [word] "m"(*word), [sig] "i"(RSEQ_SIG),
		  [held] "i"(PCP_HELD_RSEQ)
		: "memory", "cc", "rax"
		: restart, other_cpu, busy);
	return RSEQ_TOOK;
other_cpu:
	return RSEQ_OTHER_CPU;
busy:
	return RSEQ_BUSY;
}
#endif

/*
 * The fast paths' pageset trylock: an rseq zone takes the calling CPU's
 * own pageset with rseq_take_word and anyone else's by compare-and-swap
 * plus fence; otherwise lock.h's trylock.  Never waits (the nolock API
 * relies on it).
 */
static inline __attribute__((always_inline)) bool
pcp_trylock(struct pa_zone *z, unsigned cpu)
{
	struct pa_lock *l = &z->pcp[cpu].lock;

#ifdef PA_HAVE_RSEQ_ASM
	if (z->fast_rseq) {
		int r = rseq_take_word(&l->locked, cpu);

		if (__builtin_expect(r == RSEQ_TOOK, 1)) {
			/* the holder alone writes the statistics */
			STAT_ADD(l->acquisitions, 1);
			if (l->timed)
				l->t_acquired = pa_clock();
			return true;
		}
		if (r == RSEQ_OTHER_CPU)
			return pcp_trylock_remote_(z, cpu);
		pa_lock_try_failed_(l);
		return false;
	}
#endif
	return pa_lock_try(l);
}

#endif
