/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hist.h - the log-linear histogram of the statistics (time per layer per
 * packet).  Values below 64 have a bucket each; above, 32 sub-buckets per
 * power of two (a bucket spans at most 1/32 of its values).  A percentile p
 * is the largest value seen in the bucket holding rank r = ceil(p/100 * n)
 * (1-based, r >= 1) of the n values: a real sample x with
 * x_(r) <= x < x_(r) * (1 + 1/32), exact below 64 ns (README: Definitions).
 * Histograms of several logs merge exactly (hist_merge).  Private to model/.
 */
#ifndef NT_HIST_H
#define NT_HIST_H

#include <stdint.h>

#define HBUCKETS 1920

struct hist {
	uint64_t n, max;
	uint32_t b[HBUCKETS];
	uint64_t bmax[HBUCKETS]; /* largest value seen in each bucket */
};

static inline unsigned hidx(uint64_t v)
{
	unsigned msb, shift;

	if (v < 64)
		return (unsigned)v;
	msb = 63 - (unsigned)__builtin_clzll(v);
	shift = msb - 5;
	return 32 * shift + (unsigned)(v >> shift);
}

static inline void hist_add(struct hist *h, uint64_t v)
{
	unsigned i = hidx(v);

	h->n++;
	if (v > h->max)
		h->max = v;
	h->b[i]++;
	if (v > h->bmax[i])
		h->bmax[i] = v;
}

static inline uint64_t hist_pct(const struct hist *h, double pct)
{
	uint64_t want, acc = 0;

	if (!h->n)
		return 0;
	want = (uint64_t)(pct / 100.0 * (double)h->n + 0.999999);
	if (want < 1)
		want = 1;
	for (unsigned i = 0; i < HBUCKETS; i++) {
		acc += h->b[i];
		if (acc >= want)
			return h->bmax[i];
	}
	return h->max;
}

/* Add SRC's values to DST. */
static inline void hist_merge(struct hist *dst, const struct hist *src)
{
	dst->n += src->n;
	if (src->max > dst->max)
		dst->max = src->max;
	for (unsigned i = 0; i < HBUCKETS; i++) {
		dst->b[i] += src->b[i];
		if (src->bmax[i] > dst->bmax[i])
			dst->bmax[i] = src->bmax[i];
	}
}

#endif
