/* SPDX-License-Identifier: MIT */
/*
 * The least-squares fit of the zone->lock figures: every subset of the
 * four unknowns is solved by its normal equations and the best fit with
 * no negative figure kept (a tiny non-negative least squares).
 */
#include <errno.h>
#include <math.h>

#include "calibrate.h"

#define NU 4 /* lock_ns, page_ns, list_op_ns, merge_ns */

static double feature(const struct cal_sample *s, unsigned j)
{
	const double f[NU] = { s->acq, s->pages, s->blocks, s->merges };

	return f[j];
}

_Static_assert(NU <= CAL_SOLVE_MAX, "the fit's unknowns fit the solver");

int calibrate_solve(double a[CAL_SOLVE_MAX][CAL_SOLVE_MAX + 1], unsigned k,
		    double *x)
{
	for (unsigned c = 0; c < k; c++) {
		unsigned p = c;

		for (unsigned r = c + 1; r < k; r++)
			if (fabs(a[r][c]) > fabs(a[p][c]))
				p = r;
		if (fabs(a[p][c]) < 1e-12)
			return -EINVAL;
		for (unsigned j = 0; j <= k; j++) {
			double t = a[c][j];
			a[c][j] = a[p][j];
			a[p][j] = t;
		}
		for (unsigned r = 0; r < k; r++) {
			double f = a[r][c] / a[c][c];

			if (r == c)
				continue;
			for (unsigned j = c; j <= k; j++)
				a[r][j] -= f * a[c][j];
		}
	}
	for (unsigned c = 0; c < k; c++)
		x[c] = a[c][k] / a[c][c];
	return 0;
}

/* Fit the unknowns in `mask`; returns the squared relative residual, or
 * -1 when singular or some figure comes out negative. */
static double fit_subset(const struct cal_sample *s, unsigned n,
			 double call_ns, unsigned mask, double *out)
{
	unsigned idx[NU], k = 0;
	double a[CAL_SOLVE_MAX][CAL_SOLVE_MAX + 1] = { { 0 } }, x[NU], res = 0;

	for (unsigned j = 0; j < NU; j++)
		if (mask & (1u << j))
			idx[k++] = j;
	for (unsigned i = 0; i < n; i++) {
		double w = s[i].ns > 0 ? 1.0 / s[i].ns : 0;
		double y = (s[i].ns - s[i].calls * call_ns) * w;

		for (unsigned r = 0; r < k; r++) {
			for (unsigned c = 0; c < k; c++)
				a[r][c] += feature(&s[i], idx[r]) * w *
					   feature(&s[i], idx[c]) * w;
			a[r][k] += feature(&s[i], idx[r]) * w * y;
		}
	}
	if (calibrate_solve(a, k, x) < 0)
		return -1;
	for (unsigned j = 0; j < NU; j++)
		out[j] = 0;
	for (unsigned r = 0; r < k; r++) {
		if (x[r] < 0)
			return -1;
		out[idx[r]] = x[r];
	}
	for (unsigned i = 0; i < n; i++) {
		double pred = s[i].calls * call_ns;

		for (unsigned j = 0; j < NU; j++)
			pred += feature(&s[i], j) * out[j];
		res += pow((s[i].ns - pred) / s[i].ns, 2);
	}
	return res;
}

int calibrate_fit(const struct cal_sample *s, unsigned n,
		  struct costmodel *m)
{
	double best = -1, x[NU], bx[NU] = { 0 };

	if (n < NU)
		return -EINVAL;
	for (unsigned mask = 1; mask < (1u << NU); mask++) {
		double r = fit_subset(s, n, m->call_ns, mask, x);

		if (r >= 0 && (best < 0 || r < best - 1e-12)) {
			best = r;
			for (unsigned j = 0; j < NU; j++)
				bx[j] = x[j];
		}
	}
	if (best < 0)
		return -EINVAL;
	m->lock_ns = bx[0];
	m->page_ns = bx[1];
	m->list_op_ns = bx[2];
	m->merge_ns = bx[3];
	return 0;
}
