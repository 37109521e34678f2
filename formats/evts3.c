// SPDX-License-Identifier: GPL-2.0
/* evts3.c - the tick period of a block's clock (EVENTS coding 3, FORMAT.md
 * "EVENTS coding 3").  Some clocks count in steps of several nanoseconds (a
 * virtual machine's kvm-clock here: ~10.015 ns); their deltas are whole
 * ticks, and ~3 of their low bits carry nothing.  The period is searched in
 * the histogram of the small deltas (where the deltas cluster at multiples
 * of it), refined by least squares on the deltas up to 64 µs, and kept only
 * when nearly every delta is a whole number of ticks.  Any period decodes
 * the same deltas: a wrong one only costs bytes. */
#include <math.h>
#include <string.h>

#include "formats/evts3.h"

#define HBINS 512            /* histogram of the deltas 1 .. 511 ns */
#define PMIN 3.0
#define PMAX 64.0
#define PSTEP 8e-4           /* relative step of the coarse scan */
#define NCAND 4000           /* > ln(PMAX / PMIN) / PSTEP */
#define NSAMP 4096           /* deltas below 64 µs used */

/* |mean of e^(2 pi i x / p)| over the histogram */
static double coherence(const uint32_t *h, double n, double p)
{
	double wr = cos(2 * M_PI / p), wi = sin(2 * M_PI / p), zr = 1, zi = 0, sr = 0, si = 0;

	for (unsigned int x = 1; x < HBINS; x++) {
		double t = zr * wr - zi * wi;

		zi = zr * wi + zi * wr;
		zr = t;
		sr += h[x] * zr;
		si += h[x] * zi;
	}
	return sqrt(sr * sr + si * si) / n;
}

/* least squares period through the origin of the samples below LIM ns */
static double refine(const uint32_t *s, size_t n, double p, double lim)
{
	double kd = 0, kk = 0;

	for (size_t i = 0; i < n; i++) {
		double k;

		if (s[i] >= lim)
			continue;
		k = floor(s[i] / p + 0.5);
		kd += k * s[i];
		kk += k * k;
	}
	return kk > 0 ? kd / kk : p;
}

/* fixed-point period Q (32.32) if nearly every sample is a whole number of ticks */
static int whole_ticks(const uint32_t *s, size_t n, uint64_t q)
{
	double p = (double)q / NTL_TS3_ONE;
	int64_t tol = (int64_t)(p / 6);
	size_t good = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t k = (uint64_t)(s[i] / p + 0.5);
		int64_t r = (int64_t)s[i] - (int64_t)((k * q + NTL_TS3_ONE / 2) >> 32);

		good += r >= -tol && r <= tol;
	}
	return good * 4 >= n * 3 && good > n * ((2.0 * tol + 1) / p + 0.3);
}

/* The period to the precision the phase needs (~1e-8): the timestamps in
 * runs of rising ones less than 20 µs apart are counted in ticks of P (each
 * delta rounds to the right tick count), and the least squares slope of ns
 * over ticks within every run (Welford's sums: runs span up to ~1 s) is the
 * period. */
static double slope(const uint64_t *ts, size_t n, double p)
{
	double sxx = 0, sxy = 0, mt = 0, my = 0, cnt = 0;
	uint64_t t0 = 0, tick = 0, prev = 0;

	for (size_t i = 0; i <= n; i++) {
		uint64_t d = i < n ? ts[i] - prev : 0;
		double dt, dy;

		if (i == n || !prev || !ts[i] || ts[i] < prev || d > 20000) {
			cnt = 0; /* a new run */
			if (i < n && ts[i]) {
				t0 = ts[i];
				tick = 0;
				cnt = 1;
				mt = 0;
				my = 0;
			}
			prev = i < n ? ts[i] : 0;
			continue;
		}
		tick += (uint64_t)(d / p + 0.5);
		prev = ts[i];
		cnt++;
		dt = (double)tick - mt;
		dy = (double)(ts[i] - t0) - my;
		mt += dt / cnt;
		my += dy / cnt;
		sxx += dt * ((double)tick - mt);
		sxy += dt * ((double)(ts[i] - t0) - my);
	}
	return sxx > 0 ? sxy / sxx : p;
}

uint64_t ntl_ts3_period(const uint64_t *ts, size_t n)
{
	uint32_t h[HBINS] = { 0 }, samp[NSAMP];
	float coh[NCAND];
	double hn = 0, smax = 0, p;
	size_t ns = 0, nc = 0;

	for (size_t i = 1; i < n; i++) {
		uint64_t d = ts[i] - ts[i - 1];

		if (d && d < HBINS) {
			h[d]++;
			hn++;
		}
		if (d && d < 65536 && ns < NSAMP)
			samp[ns++] = (uint32_t)d;
	}
	if (hn < 256 || ns < 512)
		return NTL_TS3_P1;
	for (p = PMAX; p >= PMIN && nc < NCAND; p *= 1 - PSTEP) {
		coh[nc] = (float)coherence(h, hn, p);
		if (coh[nc] > smax)
			smax = coh[nc];
		nc++;
	}
	if (smax < 0.3)
		return NTL_TS3_P1;
	/* local maxima from the longest period down: a period's fractions
	 * (p/2, p/3) fit as well, its multiples do not */
	p = PMAX;
	for (size_t j = 0; j < nc; j++, p *= 1 - PSTEP) {
		double r;
		uint64_t q;

		if (coh[j] < 0.5 * smax || (j && coh[j - 1] > coh[j]) ||
		    (j + 1 < nc && coh[j + 1] > coh[j]))
			continue;
		r = refine(samp, ns, p, 64 * p);
		r = refine(samp, ns, r, 65536);
		if (r < 1.5 || r > 200)
			continue;
		q = (uint64_t)(r * NTL_TS3_ONE + 0.5);
		if (!whole_ticks(samp, ns, q))
			continue;
		r = slope(ts, n, r);
		r = slope(ts, n, r);
		if (r < 1.5 || r > 200)
			continue;
		return (uint64_t)(r * NTL_TS3_ONE + 0.5);
	}
	return NTL_TS3_P1;
}
