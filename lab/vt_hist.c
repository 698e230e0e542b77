/* SPDX-License-Identifier: MIT */
/*
 * Log-linear duration histograms: VT_HIST_SUB buckets per power of two,
 * so a percentile is within 1/VT_HIST_SUB of the truth, in constant
 * memory and deterministically.
 */
#include <math.h>

#include "vtime.h"

static unsigned bucket_of(double ns)
{
	int e;
	double m;
	unsigned idx;

	if (!(ns >= 1.0))
		return 0;
	m = frexp(ns, &e);  /* ns = m * 2^e, m in [0.5, 1) */
	idx = (unsigned)(e - 1) * VT_HIST_SUB +
	      (unsigned)((2.0 * m - 1.0) * VT_HIST_SUB);
	return idx < VT_HIST_BUCKETS ? idx : VT_HIST_BUCKETS - 1;
}

static double bucket_mid(unsigned idx)
{
	unsigned e = idx / VT_HIST_SUB, sub = idx % VT_HIST_SUB;

	if (!idx)
		return 0; /* under 1.125 ns: an uncontended acquisition */
	return ldexp(1.0 + (sub + 0.5) / VT_HIST_SUB, (int)e);
}

void vt_hist_add(struct vt_hist *h, double ns)
{
	h->n++;
	h->sum += ns;
	if (ns > h->max)
		h->max = ns;
	h->b[bucket_of(ns)]++;
}

double vt_hist_quantile(const struct vt_hist *h, double p)
{
	uint64_t want, seen = 0;

	if (!h->n)
		return 0;
	want = (uint64_t)ceil(p * (double)h->n);
	if (want < 1)
		want = 1;
	for (unsigned i = 0; i < VT_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= want) {
			double v = bucket_mid(i);
			return v < h->max ? v : h->max;
		}
	}
	return h->max;
}
