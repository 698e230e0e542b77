/* SPDX-License-Identifier: MIT */
/*
 * The rseq fast path's slow half (rseq.h has the sequence): choosing it
 * at zone creation, and the compare-and-swap lockers that must stop the
 * pageset's own CPU from taking the word behind their back.
 *
 * A locker from elsewhere swaps the word 0 -> PCP_HELD_REMOTE, then fences
 * the pageset's CPU.  A sequence there that read 0 before the swap has
 * either committed before the fence returned (it overwrote the word with
 * PCP_HELD_RSEQ: the locker sees that on its re-read and lost) or is
 * aborted by the fence and re-reads a busy word on restart.  The re-read
 * can only be trusted if no other swap locker can have written
 * PCP_HELD_REMOTE meanwhile, so swap lockers go through pcp->remote_gate
 * one at a time for the swap-fence-check step (not for the hold).
 *
 * Such a locker's release leaves the word PCP_PARKED, not 0: still busy
 * to the sequences, so none can have read it as free since the fence,
 * and the next locker from elsewhere takes it by one compare-and-swap
 * without a fence (nor the gate: no swap can run on a word that is not
 * 0).  The CPU's own sequence finds it busy and its slow path takes it
 * PARKED -> PCP_HELD_RSEQ; that release stores 0, so fences happen only
 * when the CPU's own users and lockers from elsewhere alternate, not on
 * every call from elsewhere (the explicit-CPU API, the lab).
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "pcp.h"
#include "rseq.h"
#include "trace.h"

static int membarrier(int cmd, unsigned flags, int cpu)
{
	return (int)syscall(__NR_membarrier, cmd, flags, cpu);
}

#if defined(__SANITIZE_THREAD__)
#define PA_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PA_TSAN 1
#endif
#endif

#ifdef PA_HAVE_RSEQ_ASM
static const char *fallback_forced(const struct pa_zone *z)
{
	const char *env = getenv("PA_FAST_PATH");

	if (z->cfg.flags & PA_CFG_NO_RSEQ)
		return "PA_CFG_NO_RSEQ";
	if (env && !strcmp(env, "trylock"))
		return "PA_FAST_PATH=trylock";
	return NULL;
}
#endif

#ifdef PA_RSEQ_COUNT
/*
 * A build for counting instructions under valgrind only
 * (EXTRA_CFLAGS=-DPA_RSEQ_COUNT, scripts/bench-rseq-callgrind.sh):
 * valgrind cannot register rseq, but glibc still reserves the area, so
 * write the calling thread's CPU into its cpu_id and run the real
 * sequences.  Nothing registered means nothing aborts and no fence
 * (fence_cpu), so such a build is correct for ONE thread pinned to one
 * CPU: never for tests or real use.
 */
static void count_build_cpu(void)
{
	struct rseq *rs = rseq_area();
	int cpu = sched_getcpu();

	if (__rseq_size == 0)
		rs->cpu_id = rs->cpu_id_start = cpu < 0 ? 0 : (uint32_t)cpu;
}
#endif

static const char *rseq_unusable(const struct pa_zone *z)
{
#ifndef PA_HAVE_RSEQ_ASM
	(void)z;
	return "no rseq sequence for this architecture";
#else
	const char *forced = fallback_forced(z);

#ifdef PA_RSEQ_COUNT
	count_build_cpu(); /* the fallback's cpu_current() reads it too */
#endif
	if (forced)
		return forced;
#ifdef PA_TSAN
	return "ThreadSanitizer does not model rseq aborts";
#endif
#ifdef PA_RSEQ_COUNT
	return NULL;
#endif
	/* 0: not registered; 20 is the original ABI, which has cpu_id and
	 * rseq_cs, all the sequence uses */
	if (__rseq_size < 20)
		return "glibc did not register rseq (valgrind, seccomp, old kernel)";
	/* A slot must be exactly one CPU, or two CPUs' sequences would
	 * share a pageset. */
	if (z->ncpus < z->hw_cpus)
		return "fewer CPU slots than CPUs";
	/* Registration is per process and idempotent. */
	if (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0) ||
	    membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ,
		       MEMBARRIER_CMD_FLAG_CPU, 0))
		return "membarrier rseq fence unavailable";
	return NULL;
#endif
}

/* Every stack starts with no share of `high` (rseq_stack.c): full and
 * empty at once, so its first pop or push installs it. */
static void stacks_init(struct pa_zone *z)
{
	for (unsigned c = 0; c < z->ncpus; c++)
		for (unsigned s = 0; s < PCP_STACK_SLOTS; s++)
			for (unsigned m = 0; m < PA_MT_PCPTYPES; m++)
				z->pcp[c].stack[s][m] = PCP_STACK_EMPTY(0);
}

/* What the entry points' one mask test stands for (zone.h). */
static void stack_orders_init(struct pa_zone *z)
{
	uint32_t cached = 0;

	for (unsigned o = 0; o <= z->max_order && o < 32; o++)
		if (z->use_pcp && pcp_allowed_order(z, o))
			cached |= 1u << o;
	if (TRACING(z))
		cached = 0;
	z->stack_alloc_orders = cached;
	z->stack_free_orders = (z->cfg.flags & PA_CFG_STRICT) ? 0 : cached;
}

const char *pcp_fast_path_select(struct pa_zone *z)
{
	z->hw_cpus = (unsigned)get_nprocs_conf();
	const char *why = rseq_unusable(z);
	const char *env = getenv("PA_FAST_PATH");

	z->fast_rseq = why == NULL;
#ifdef PA_HAVE_RSEQ_ASM
	z->rseq_off = (long)__rseq_offset;
#endif
	/* pcpbuddy's pagesets route frees by block owner and merge on
	 * their lists: they keep the sequence-taken lock word */
	z->fast_stacks = z->fast_rseq && !(z->pflags & POL_OWNED_BLOCKS) &&
			 !(env && !strcmp(env, "lockword"));
	if (z->fast_stacks) {
		stacks_init(z);
		stack_orders_init(z);
	}
	return why;
}

const char *pcp_fast_path_name(const struct pa_zone *z)
{
	return z->fast_stacks ? "rseq-stack" : z->fast_rseq ? "rseq" : "trylock";
}

/* Every sequence on `cpu` that started before this call is over when it
 * returns.  Slots past the machine's CPUs never run a sequence.  The
 * gate held (the count's one writer). */
static void fence_cpu(const struct pa_zone *z, struct per_cpu_pages *pcp,
		      unsigned cpu)
{
#ifdef PA_RSEQ_COUNT
	cpu = z->hw_cpus; /* one thread, and nothing aborts: no fence */
#endif
	if (cpu >= z->hw_cpus)
		return;
	STAT_ADD(pcp->rseq_fences, 1);
	if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ,
		       MEMBARRIER_CMD_FLAG_CPU, (int)cpu) == 0)
		return;
	/* EINVAL: the CPU is offline, so it runs no sequence.  Anything
	 * else (the fence worked at zone creation): fence every CPU, and
	 * if even that fails the lock cannot be made safe. */
	if (errno != EINVAL &&
	    membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 0, 0))
		abort();
}

static bool gate_try(uint32_t *gate)
{
	uint32_t zero = 0;

	return __atomic_compare_exchange_n(gate, &zero, 1, 0, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static void gate_open(uint32_t *gate)
{
	__atomic_store_n(gate, 0, __ATOMIC_RELEASE);
}

/* One swap-fence-check round with the gate held: true if the word is ours. */
static bool swap_and_fence(const struct pa_zone *z, struct per_cpu_pages *pcp,
			   unsigned cpu)
{
	uint32_t zero = 0;

	if (!__atomic_compare_exchange_n(&pcp->lock.locked, &zero,
					 PCP_HELD_REMOTE, 0, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return false;
	fence_cpu(z, pcp, cpu);
	return __atomic_load_n(&pcp->lock.locked, __ATOMIC_ACQUIRE) ==
	       PCP_HELD_REMOTE;
}

static void acquired(struct pa_lock *l)
{
	STAT_ADD(l->acquisitions, 1);
	if (l->timed)
		l->t_acquired = pa_clock();
}

/* How a try at the word from elsewhere went. */
enum remote_took {
	REMOTE_BUSY,
	REMOTE_PARKED, /* no sequence ran since the last such holder, who
	                * flushed the stacks: nothing to flush */
	REMOTE_FENCED, /* the stacks may hold blocks: flush them */
};

/* One try: a parked word by one compare-and-swap, a free one by swap,
 * fence and check, gate held. */
static enum remote_took remote_take(const struct pa_zone *z,
				    struct per_cpu_pages *pcp, unsigned cpu)
{
	uint32_t w = __atomic_load_n(&pcp->lock.locked, __ATOMIC_RELAXED);
	bool took;

	if (w == PCP_PARKED)
		return __atomic_compare_exchange_n(&pcp->lock.locked, &w,
						   PCP_HELD_REMOTE, 0,
						   __ATOMIC_ACQUIRE,
						   __ATOMIC_RELAXED) ?
			       REMOTE_PARKED : REMOTE_BUSY;
	if (w != 0 || !gate_try(&pcp->remote_gate))
		return REMOTE_BUSY;
	took = swap_and_fence(z, pcp, cpu);
	gate_open(&pcp->remote_gate);
	return took ? REMOTE_FENCED : REMOTE_BUSY;
}

/* The word just taken from elsewhere: the holder sees lists[] only. */
static void remote_acquired(struct pa_zone *z, unsigned cpu,
			    enum remote_took how)
{
	acquired(&z->pcp[cpu].lock);
	if (z->fast_stacks && how == REMOTE_FENCED)
		pcp_stack_flush_(z, cpu);
}

bool pcp_trylock_remote_(struct pa_zone *z, unsigned cpu)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];
	enum remote_took how = remote_take(z, pcp, cpu);

	if (how == REMOTE_BUSY) {
		pa_lock_try_failed_(&pcp->lock);
		return false;
	}
	remote_acquired(z, cpu, how);
	return true;
}

bool pcp_trylock_busy_(struct pa_zone *z, unsigned cpu)
{
	struct pa_lock *l = &z->pcp[cpu].lock;
	uint32_t w = PCP_PARKED;

	/* held as the CPU's own sequence holds it, so the release unparks;
	 * the stacks are as the last holder from elsewhere left them, empty */
	if (__atomic_compare_exchange_n(&l->locked, &w, PCP_HELD_RSEQ, 0,
					__ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		acquired(l);
		return true;
	}
	pa_lock_try_failed_(l);
	return false;
}

static void relax(unsigned *spins)
{
	if (++*spins < 128)
		__asm__ __volatile__("" ::: "memory");
	else
		sched_yield();
}

void pcp_lock(struct pa_zone *z, unsigned cpu)
{
	struct per_cpu_pages *pcp = &z->pcp[cpu];
	unsigned spins = 0;

	if (!z->fast_rseq) {
		pa_lock_acquire(&pcp->lock);
		return;
	}
	enum remote_took how;

	while ((how = remote_take(z, pcp, cpu)) == REMOTE_BUSY)
		relax(&spins);
	if (spins)
		STAT_ADD(pcp->lock.contentions, 1);
	remote_acquired(z, cpu, how);
}
