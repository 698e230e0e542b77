/* SPDX-License-Identifier: MIT */
#include "vt_irq.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#define IRQ_GFP (PA_GFP_ATOMIC | PA_GFP_NOLOCK | PA_GFP_NOWARN)

int vt_irq_init(struct vt_irq *q, unsigned ncpus, const struct vt_irq_cfg *c)
{
	*q = (struct vt_irq){ .cfg = *c, .ncpus = ncpus };
	q->cpu = calloc(ncpus ? ncpus : 1, sizeof(*q->cpu));
	if (!q->cpu)
		return -ENOMEM;
	for (unsigned i = 0; i < ncpus; i++) {
		/* one stream per CPU, the same whatever the CPU count */
		q->cpu[i].rng = (c->seed + 1) * 0x9e3779b97f4a7c15ull ^
				(i + 1) * 0xbf58476d1ce4e5b9ull;
		if (!q->cpu[i].rng)
			q->cpu[i].rng = 1;
	}
	return 0;
}

void vt_irq_destroy(struct vt_irq *q)
{
	free(q->cpu);
	q->cpu = NULL;
}

bool vt_irq_on(const struct vt_irq *q)
{
	return q->cfg.in_hold || q->cfg.rate_hz > 0;
}

/* xorshift64*: uniform in (0, 1] */
static double uniform(struct vt_irq_cpu *c)
{
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return (double)((c->rng * 0x2545f4914f6cdd1dull) >> 11 | 1) /
	       9007199254740992.0;
}

double vt_irq_gap(struct vt_irq *q, unsigned cpu)
{
	if (q->cfg.rate_hz <= 0)
		return INFINITY;
	return -log(uniform(&q->cpu[cpu])) * 1e9 / q->cfg.rate_hz;
}

void vt_irq_run(struct vt_irq *q, struct pa_zone *z, unsigned cpu, bool held,
		struct vt_irq_call *out)
{
	struct vt_irq_cpu *c = &q->cpu[cpu];
	struct opcost a, b;
	uint64_t fails = opcost_pcp_trylock_fails(z, cpu);
	uint64_t acq;
	uint64_t pfn;

	*out = (struct vt_irq_call){ .pfn = { VT_IRQ_NO_PAGE, VT_IRQ_NO_PAGE },
				     .owner = -1 };
	held = held && opcost_pcp_hold(z, cpu);
	acq = opcost_pcp_acq(z, cpu);
	opcost_read(z, &b);
	if (c->n == VT_IRQ_RING) {
		out->pfn[0] = c->ring[c->head];
		out->owner = opcost_owner(z, out->pfn[0]);
		/* a page the handler allocated: never refused */
		(void)pa_free_cpu(z, cpu, c->ring[c->head], 0);
		c->head = (c->head + 1) % VT_IRQ_RING;
		c->n--;
		out->calls++;
	}
	pfn = pa_alloc_cpu(z, cpu, 0, IRQ_GFP);
	out->calls++;
	if (pfn == PA_NO_PFN) {
		out->failed = true;
	} else {
		out->pfn[1] = (uint32_t)pfn;
		c->ring[(c->head + c->n) % VT_IRQ_RING] = (uint32_t)pfn;
		c->n++;
	}
	opcost_read(z, &a);
	opcost_delta(&a, &b, &out->d);
	out->own_acq = opcost_pcp_acq(z, cpu) - acq;
	if (held)
		opcost_pcp_unhold(z, cpu);
	out->fallbacks = (unsigned)(opcost_pcp_trylock_fails(z, cpu) - fails);
}

void vt_irq_free_all(struct vt_irq *q, struct pa_zone *z)
{
	for (unsigned i = 0; q->cpu && i < q->ncpus; i++) {
		struct vt_irq_cpu *c = &q->cpu[i];

		for (; c->n; c->n--, c->head = (c->head + 1) % VT_IRQ_RING)
			(void)pa_free_cpu(z, i, c->ring[c->head], 0);
	}
}
