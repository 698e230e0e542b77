/* SPDX-License-Identifier: MIT */
/*
 * The rseq fast path.  On zones with mainline pagesets the calling
 * thread's pa_alloc/pa_free pop and push per-CPU stacks of blocks in front
 * of the pageset lists, each with one restartable sequence whose commit is
 * the single store of the stack's word: no lock, no atomic
 * read-modify-write (rseq_stack.c has the locked half).  Otherwise, and on
 * every slow path, the calling CPU's pageset lock is taken with a sequence
 * whose commit is a plain store.  Everyone else (another CPU's slot,
 * drains, hotplug, pa_check, tick) takes the same lock word by
 * compare-and-swap and then fences the pageset's CPU with
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ), which aborts a
 * sequence that read the word as free before the swap; its release parks
 * the word, so the next such locker needs no fence until the CPU's own
 * busy path unparks it; see docs/DESIGN.md "rseq fast path" for why this
 * is enough.
 *
 * Chosen once per zone (z->fast_rseq, z->fast_stacks) at creation; the
 * trylock path of lock.h is used everywhere else.  PA_CFG_NO_RSEQ or
 * PA_FAST_PATH=trylock in the environment force the fallback,
 * PA_FAST_PATH=lockword the lock word without the stacks.
 *
 * Every sequence is `asm volatile goto`: GCC 12 does not treat an asm goto
 * with outputs as volatile, and deleted the push (whose outputs are
 * unused) as dead code.
 */
#ifndef PA_RSEQ_H
#define PA_RSEQ_H

#include <stddef.h>
#include <sys/rseq.h>

#include "zone.h"

/* pcp->lock.locked on an rseq zone: who holds the word, and whether it
 * is parked (rseq.c): free to lockers, busy to the sequences, and no
 * sequence has read it as 0 since its last fence, so the next locker
 * from elsewhere needs no fence. */
#define PCP_HELD_RSEQ   PA_LOCK_HELD /* the CPU's own: a sequence, or
                                      * its busy path unparking */
#define PCP_HELD_REMOTE (PA_LOCK_HELD | PA_LOCK_PARKED) /* a locker from
                                      * elsewhere; release parks */
#define PCP_PARKED      PA_LOCK_PARKED

/* At zone creation, after the pagesets: set z->fast_rseq (and the CPU
 * count fences need).  Returns NULL if rseq was chosen, else why not. */
const char *pcp_fast_path_select(struct pa_zone *z);
/* "rseq" or "trylock": the fast path the zone chose (zoneinfo). */
const char *pcp_fast_path_name(const struct pa_zone *z);

/* Out-of-line halves of pcp_trylock (rseq.c): another CPU's pageset,
 * and the own CPU's when its sequence found the word busy (parked: take
 * it by compare-and-swap, and the release unparks it). */
bool pcp_trylock_remote_(struct pa_zone *z, unsigned cpu);
bool pcp_trylock_busy_(struct pa_zone *z, unsigned cpu);

/* Take pageset `cpu`'s lock, waiting; from any thread. */
void pcp_lock(struct pa_zone *z, unsigned cpu);
static inline void pcp_unlock(struct pa_zone *z, unsigned cpu)
{
	pcp_lock_release(z, &z->pcp[cpu]);
}

/* pcp->stack words (the sequences below; rseq_stack.c the locked half):
 * head pfn | room << 32 | pops << 48.  Room (the stack's share of `high`,
 * pcp->stack_resv, less its blocks) counts down, so a push tests the word
 * alone for full. */
#define PCP_STACK_ROOM(cap) ((uint64_t)(cap) << 32)
#define PCP_STACK_EMPTY(cap) ((uint64_t)PA_NIL | PCP_STACK_ROOM(cap))
/* Offline CPU: empty to a pop and full (no room) to a push, so both
 * take the locked way, which sees PCPF_DEAD. */
#define PCP_STACK_OFF ((uint64_t)PA_NIL)
/* the push's room test is a sign test of its 16 bits less one */
#define PCP_STACK_CAP_MAX 0x7fffu

/* Blocks on a stack word of share `cap` (the offline word holds none;
 * nor does a word read racily with another share). */
static inline unsigned stack_blocks(uint64_t w, unsigned cap)
{
	unsigned room = (unsigned)(w >> 32) & 0xffffu;

	return (uint32_t)w == PA_NIL || room > cap ? 0 : cap - room;
}

/* The stack slot of a cached order: 0..3, then the pageblock's (a
 * size_t: the sequences index by it, with no zero-extension). */
static inline size_t pcp_stack_slot(unsigned order)
{
	size_t o = order;

	return o <= PA_COSTLY_ORDER ? o : PA_COSTLY_ORDER + 1;
}

/* Index of stack (order, mt) in a pageset's stack words; order cached. */
static inline size_t pcp_stack_index(unsigned order, unsigned mt)
{
	_Static_assert(PCP_STACK_TYPES >= PA_MT_PCPTYPES, "a stack per type");
	return pcp_stack_slot(order) * PCP_STACK_TYPES + mt;
}

enum { RSEQ_TOOK, RSEQ_BUSY, RSEQ_OTHER_CPU };
/* STACK_NONE: alloc.c's, a request no stack serves (nothing tried) */
enum { STACK_TOOK, STACK_MISS, STACK_BUSY, STACK_NONE };

#if defined(__x86_64__) && !defined(PA_NO_RSEQ_ASM)
#define PA_HAVE_RSEQ_ASM 1

static inline struct rseq *rseq_area(void)
{
	return (struct rseq *)((char *)__builtin_thread_pointer() +
			       __rseq_offset);
}

/* The descriptor (start 772, commit end 773, abort 774) and the abort
 * stub, with the signature glibc registered in the four bytes before it,
 * in their own sections; the stub restarts from the top.  Then point
 * the thread's rseq_cs at the descriptor: `area` (a scratch register)
 * gets the rseq area's offset from the thread pointer (z->rseq_off, the
 * %fs-relative address of the area), `tmp` the descriptor's address. */
#define RSEQ_CS_ENTER(tmp, area)                                \
	".pushsection __rseq_cs, \"aw\"\n\t"                    \
	".balign 32\n\t"                                        \
	"771:\n\t"                                              \
	".long 0, 0\n\t"                                        \
	".quad 772f, 773f - 772f, 774f\n\t"                     \
	".popsection\n\t"                                       \
	".pushsection __rseq_failure, \"ax\"\n\t"               \
	".long %c[sig]\n\t"                                     \
	"774:\n\t"                                              \
	"jmp %l[restart]\n\t"                                   \
	".popsection\n\t"                                       \
	"movq %[rseq_off], " area "\n\t"                        \
	"leaq 771b(%%rip), " tmp "\n\t"                         \
	"movq " tmp ", %%fs:%c[cs_at](" area ")\n\t"            \
	"772:\n\t"

#define RSEQ_AREA_INPUTS(z)                                         \
	[rseq_off] "m"(z->rseq_off), [sig] "i"(RSEQ_SIG),           \
		[cs_at] "i"(offsetof(struct rseq, rseq_cs)),        \
		[cpu_at] "i"(offsetof(struct rseq, cpu_id))

/*
 * One restartable sequence: if this thread runs on `cpu` and *word is 0,
 * store PCP_HELD_RSEQ there.  The store is the commit: preemption, a
 * signal or migration before it sends the kernel to the abort label,
 * which starts again from the top (it never spins: each restart follows
 * a kernel event).
 */
static inline __attribute__((always_inline)) int
rseq_take_word(const struct pa_zone *z, uint32_t *word, unsigned cpu)
{
	uint64_t tmp, area;

restart:
	__asm__ __volatile__ goto(
		RSEQ_CS_ENTER("%[tmp]", "%[area]")
		"cmpl %[cpu], %%fs:%c[cpu_at](%[area])\n\t"
		"jne %l[other_cpu]\n\t"
		"cmpl $0, %[word]\n\t"
		"jne %l[busy]\n\t"
		"movl %[held], %[word]\n\t"
		"773:\n\t"
		: [tmp] "=&r"(tmp), [area] "=&r"(area)
		: RSEQ_AREA_INPUTS(z), [cpu] "r"(cpu), [word] "m"(*word),
		  [held] "i"(PCP_HELD_RSEQ)
		: "memory", "cc"
		: restart, other_cpu, busy);
	return RSEQ_TOOK;
other_cpu:
	return RSEQ_OTHER_CPU;
busy:
	return RSEQ_BUSY;
}

/*
 * The stacks (pcp->stack[slot][mt], one 64-bit word each): a singly
 * linked stack of blocks through pages[].next, its head pfn, its room
 * and the pops since the lock holder last reset it.  A pop or a push is
 * one restartable sequence on the CPU the thread runs on, whose single
 * commit is the store of the new word; everything before it only reads,
 * or writes the `next` of a block nobody else can reach.  The sequence
 * first checks that the pageset's lock word is 0: a lock holder (swap +
 * fence, rseq.c) therefore has the stacks to itself.  Every zone field
 * is a memory operand, so a sequence holds no more than its own few
 * registers and the entry points save none.
 */
_Static_assert(offsetof(struct pa_page, next) == 0,
	       "the stack sequences read pages[pfn].next at offset 0");
_Static_assert(sizeof(struct pa_page) == 16,
	       "the stack sequences index pages by pfn << 4");

/* Both sequences start alike: the pageset of the CPU we run on (busy if
 * it has no slot), busy if its lock word is taken, then load the word. */
#define RSEQ_STACK_ENTER                                        \
	RSEQ_CS_ENTER("%[word]", "%[pcp]")                      \
	"movl %%fs:%c[cpu_at](%[pcp]), %k[pcp]\n\t"             \
	"cmpl %[ncpus], %k[pcp]\n\t"                            \
	"jae %l[busy]\n\t"                                      \
	"imulq %[stride], %[pcp], %[pcp]\n\t"                   \
	"addq %[pcps], %[pcp]\n\t"                              \
	"cmpl $0, %c[lockoff](%[pcp])\n\t"                      \
	"jne %l[busy]\n\t"                                      \
	"movq %c[stacks](%[pcp],%[idx],8), %[word]\n\t"

/* The labels both sequences leave by, after their STACK_TOOK return. */
#define RSEQ_STACK_OUTCOMES \
busy:                       \
	return STACK_BUSY;  \
miss:                       \
	return STACK_MISS

#define RSEQ_STACK_INPUTS(z, idx)                                          \
	RSEQ_AREA_INPUTS(z), [ncpus] "m"(z->ncpus), [pcps] "m"(z->pcp),    \
		[idx] "r"(idx),                                             \
		[stacks] "i"(offsetof(struct per_cpu_pages, stack)),        \
		[stride] "i"(sizeof(struct per_cpu_pages)),                 \
		[lockoff] "i"(offsetof(struct per_cpu_pages, lock.locked))

/*
 * Pop the calling CPU's stack `idx` (pcp_stack_index): STACK_TOOK with *pagep (the
 * block is ours: its state still says per-CPU, nobody else can reach
 * it), STACK_MISS if it is empty or its pop count would wrap (the locked
 * way resets it), STACK_BUSY if the pageset is locked or the CPU has no
 * slot.  Room and pop count move together: (pops << 16 | room) + 0x10001
 * is one more of each, with a carry out exactly when pops would wrap
 * (room stays below 0x8000).
 */
static inline __attribute__((always_inline)) int
rseq_stack_pop(const struct pa_zone *z, size_t idx, struct pa_page **pagep)
{
	uint64_t word, next, pcp, page;

restart:
	__asm__ __volatile__ goto(
		RSEQ_STACK_ENTER
		"cmpl $-1, %k[word]\n\t"
		"je %l[miss]\n\t"
		"movl %k[word], %k[page]\n\t"
		"shlq $4, %[page]\n\t"
		"addq %[pages], %[page]\n\t"
		"movl (%[page]), %k[next]\n\t"
		"shrq $32, %[word]\n\t"
		"addl $0x10001, %k[word]\n\t"
		"jc %l[miss]\n\t"
		"shlq $32, %[word]\n\t"
		"orq %[next], %[word]\n\t"
		"movq %[word], %c[stacks](%[pcp],%[idx],8)\n\t"
		"773:\n\t"
		: [word] "=&r"(word), [next] "=&r"(next), [pcp] "=&r"(pcp),
		  [page] "=&r"(page)
		: RSEQ_STACK_INPUTS(z, idx), [pages] "m"(z->pages)
		: "memory", "cc"
		: restart, busy, miss);
	*pagep = (struct pa_page *)page;
	return STACK_TOOK;
	RSEQ_STACK_OUTCOMES;
}

/*
 * Push block `pfn` (its metadata `page`, claimed by the caller: state 0,
 * so nobody else writes it) on the calling CPU's stack `idx` if the
 * stack has room: STACK_TOOK, STACK_MISS (full, or the CPU is offline),
 * STACK_BUSY as for the pop.  page->next = old head is written before
 * the room test and the commit: harmless if either fails, the block is
 * ours.
 */
static inline __attribute__((always_inline)) int
rseq_stack_push(const struct pa_zone *z, size_t idx, uint64_t pfn,
		struct pa_page *page)
{
	uint64_t word, pcp;

restart:
	__asm__ __volatile__ goto(
		RSEQ_STACK_ENTER
		"movl %k[word], (%[page])\n\t"
		"shrq $32, %[word]\n\t"
		"decw %w[word]\n\t"
		"js %l[miss]\n\t"
		"shlq $32, %[word]\n\t"
		"orq %[pfn], %[word]\n\t"
		"movq %[word], %c[stacks](%[pcp],%[idx],8)\n\t"
		"773:\n\t"
		: [word] "=&r"(word), [pcp] "=&r"(pcp)
		: RSEQ_STACK_INPUTS(z, idx), [pfn] "r"(pfn), [page] "r"(page)
		: "memory", "cc"
		: restart, busy, miss);
	return STACK_TOOK;
	RSEQ_STACK_OUTCOMES;
}
#endif

/* pcp->lock just taken by a remote or waiting locker on a zone with
 * stacks: fold the stacks' statistics into the pageset's and move their
 * blocks onto lists[], hottest first, so the holder sees lists[] only. */
void pcp_stack_flush_(struct pa_zone *z, unsigned cpu);
/* After pa_alloc missed the calling CPU's stack (order, mt): take the
 * pageset (trylock: never waits, signal-safe), fold and reset the stack,
 * hand out *out from the list (refilled through the policy if empty) and
 * move up to a stack less one of the list's blocks onto the stack, all
 * in one hold.  0; -EAGAIN: busy, offline or nothing came (the caller
 * takes the usual way, which gives the real answer); -EBUSY: nolock and
 * zone->lock busy.  Any thread. */
int pcp_stack_refill(struct pa_zone *z, unsigned cpu, unsigned order,
		     unsigned mt, unsigned gfp, uint32_t *out);
/* pa_free found stack (order, mt) full with claimed block pfn in hand:
 * in one hold of the pageset (trylock), the whole stack onto its list and
 * pfn freed there, where `high` and drains see them all.  0, or -EAGAIN
 * (busy, offline, or mt not a pageset type, PA_MT_ISOLATE: the caller
 * frees pfn the usual way, which sends an isolated block to the zone). */
int pcp_stack_spill(struct pa_zone *z, unsigned cpu, uint32_t pfn,
		    unsigned order, unsigned mt, unsigned gfp);
/* pcp->lock held, PCPF_DEAD just set or cleared: stacks off or on. */
void pcp_stack_set_off(struct pa_zone *z, unsigned cpu, bool off);
/* Without a lock, racily (pa_stats): blocks on CPU cpu's stacks in pages,
 * and if `pc` is not NULL the statistics not yet folded, added to it. */
uint64_t pcp_stack_pending(const struct pa_zone *z, unsigned cpu,
			   uint64_t *pc);

/* How pcp_trylock_as picks its lock: from z->fast_rseq at run time, or
 * fixed by a caller that tested it already (a constant once inlined, so
 * the trylock fallback pays one test per call at the entry point). */
enum pcp_lock_mode {
	PCP_LOCK_ZONE,
	PCP_LOCK_RSEQ,
	PCP_LOCK_PLAIN,
	/* rseq zones: only as the pageset's own CPU (fails if the thread
	 * runs elsewhere), so the holder may fill the stacks: a holder from
	 * elsewhere parks the word, which says the stacks are flushed */
	PCP_LOCK_OWN,
};

/*
 * The fast paths' pageset trylock: an rseq zone takes the calling CPU's
 * own pageset with rseq_take_word and anyone else's by compare-and-swap
 * plus fence; otherwise lock.h's trylock.  Never waits (the nolock API
 * relies on it).  `mode` must be PCP_LOCK_ZONE or match z->fast_rseq.
 * From the CPU's own sequence path a parked word is taken too (and the
 * release unparks it).
 */
static inline __attribute__((always_inline)) bool
pcp_trylock_as(struct pa_zone *z, unsigned cpu, enum pcp_lock_mode mode)
{
	struct pa_lock *l = &z->pcp[cpu].lock;

#ifdef PA_HAVE_RSEQ_ASM
	if (mode == PCP_LOCK_RSEQ || mode == PCP_LOCK_OWN ||
	    (mode == PCP_LOCK_ZONE && z->fast_rseq)) {
		int r = rseq_take_word(z, &l->locked, cpu);

		if (__builtin_expect(r == RSEQ_TOOK, 1)) {
			/* the holder alone writes the statistics */
			STAT_ADD(l->acquisitions, 1);
			if (l->timed)
				l->t_acquired = pa_clock();
			return true;
		}
		if (r == RSEQ_OTHER_CPU)
			return mode != PCP_LOCK_OWN && pcp_trylock_remote_(z, cpu);
		return pcp_trylock_busy_(z, cpu);
	}
#else
	(void)mode;
#endif
	return pa_lock_try(l);
}

static inline __attribute__((always_inline)) bool
pcp_trylock(struct pa_zone *z, unsigned cpu)
{
	return pcp_trylock_as(z, cpu, PCP_LOCK_ZONE);
}

#endif
