// SPDX-License-Identifier: GPL-2.0
/* stitch_find.c - the searches of stitching over the sorted observations
 * (stitch_int.h): each costs O(log n) plus what it finds, so a key or a TCP
 * flow seen all through the logs costs no more than a unique one. */
#include <errno.h>
#include <stdlib.h>

#include "model/stitch_int.h"

/* RES = the first index I in [LO, N) where COND (an expression of I) is
 * false, COND being true on a prefix of [LO, N): galloping from LO (runs
 * are mostly short), then binary. */
#define FIRST_FALSE(res, lo_, n_, COND)                         \
	do {                                                    \
		size_t a_ = (lo_), b_ = (n_), st_ = 1;          \
		while (a_ < b_) {                               \
			size_t i = a_ + st_ - 1;                \
			if (i >= b_)                            \
				break;                          \
			if (!(COND)) {                          \
				b_ = i;                         \
				break;                          \
			}                                       \
			a_ = i + 1;                             \
			st_ *= 2;                               \
		}                                               \
		while (a_ < b_) {                               \
			size_t i = a_ + (b_ - a_) / 2;          \
			if (COND)                               \
				a_ = i + 1;                     \
			else                                    \
				b_ = i;                         \
		}                                               \
		(res) = a_;                                     \
	} while (0)

static int64_t sat_sub(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_sub_overflow(a, b, &r))
		return b < 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/* the egress walls W of the pair (egress host, R's host) that may hold a
 * candidate: R->wall - W - theta in [lo, hi] */
static void wall_window(const struct nt_st_find *f, size_t pi, const struct obs *r, int64_t *wlo,
			int64_t *whi)
{
	int64_t base = sat_sub(r->wall, f->theta[pi]);

	*wlo = sat_sub(base, f->hi[pi]);
	*whi = sat_sub(base, f->lo[pi]);
}

/* the check of a candidate, as it always was (the window above only
 * narrows where it is looked for) */
static int in_window(const struct nt_st_find *f, size_t pi, const struct obs *r, const struct obs *x)
{
	int64_t res = r->wall - x->wall - f->theta[pi];

	return res >= f->lo[pi] && res <= f->hi[pi];
}

/* the egresses [*at, gend) of one sequence number in BYFLOW order, by wall */
static int range_group(const struct nt_st_find *f, const struct obs *r, size_t pi, size_t p,
		       size_t gend, int64_t wlo, int64_t whi, uint32_t *cand, int *n)
{
	const struct obs *eg = f->eg;
	const uint32_t *bf = f->byflow;
	size_t k;

	FIRST_FALSE(k, p, gend, eg[bf[i]].wall < wlo);
	for (; k < gend && eg[bf[k]].wall <= whi; k++) {
		const struct obs *x = &eg[bf[k]];

		if ((uint32_t)(r->seq - x->seq) >= x->end - x->seq || !in_window(f, pi, r, x))
			continue;
		if (*n == NT_ST_MAX_CAND)
			return -1;
		cand[(*n)++] = bf[k];
	}
	return 0;
}

/* TCP: the egresses of R's flow whose range [seq, end) holds R's first byte;
 * a range is at most LMAX long, so their seq lies in [R->seq - LMAX + 1,
 * R->seq] (modulo 2^32: one interval, or two when it wraps, in the order of
 * the array) */
static int by_range(const struct nt_st_find *f, const struct obs *r, uint32_t *cand)
{
	const struct obs *eg = f->eg;
	const uint32_t *bf = f->byflow;
	uint32_t span = f->lmax ? f->lmax - 1 : 0, slo[2], shi[2];
	size_t lo, end;
	int n = 0, nint;

	if (r->seq >= span) {
		nint = 1;
		slo[0] = r->seq - span;
		shi[0] = r->seq;
	} else {
		nint = 2;
		slo[0] = 0;
		shi[0] = r->seq;
		slo[1] = r->seq - span; /* wraps: above r->seq */
		shi[1] = UINT32_MAX;
	}
	FIRST_FALSE(lo, 0, f->neg, eg[bf[i]].flow < r->flow);
	FIRST_FALSE(end, lo, f->neg, eg[bf[i]].flow == r->flow);
	for (size_t h = lo; h < end;) {
		uint32_t host = eg[bf[h]].host;
		size_t hend, pi = host * (size_t)f->nhost + r->host;
		int64_t wlo, whi;

		FIRST_FALSE(hend, h, end, eg[bf[i]].host == host);
		if (host == r->host || !f->have[pi]) {
			h = hend;
			continue;
		}
		wall_window(f, pi, r, &wlo, &whi);
		for (int t = 0; t < nint; t++) {
			size_t p;

			FIRST_FALSE(p, h, hend, eg[bf[i]].seq < slo[t]);
			while (p < hend && eg[bf[p]].seq <= shi[t]) {
				uint32_t sq = eg[bf[p]].seq;
				size_t gend;

				FIRST_FALSE(gend, p, hend, eg[bf[i]].seq == sq);
				if (range_group(f, r, pi, p, gend, wlo, whi, cand, &n))
					return NT_ST_MAX_CAND + 1;
				p = gend;
			}
		}
		h = hend;
	}
	return n;
}

int nt_st_candidates(const struct nt_st_find *f, const struct obs *r, uint32_t *cand, int *range)
{
	const struct obs *eg = f->eg;
	size_t lo, end;
	int n = 0;

	*range = 0;
	FIRST_FALSE(lo, 0, f->neg, eg[i].key < r->key);
	FIRST_FALSE(end, lo, f->neg, eg[i].key == r->key);
	for (size_t h = lo; h < end;) { /* the run of the key, by host, then wall */
		uint32_t host = eg[h].host;
		size_t hend, e, pi = host * (size_t)f->nhost + r->host;
		int64_t wlo, whi;

		FIRST_FALSE(hend, h, end, eg[i].host == host);
		if (host == r->host || !f->have[pi]) {
			h = hend;
			continue;
		}
		wall_window(f, pi, r, &wlo, &whi);
		FIRST_FALSE(e, h, hend, eg[i].wall < wlo);
		for (; e < hend && eg[e].wall <= whi; e++) {
			if (!in_window(f, pi, r, &eg[e]))
				continue;
			if (n == NT_ST_MAX_CAND)
				return NT_ST_MAX_CAND + 1;
			cand[n++] = (uint32_t)e;
		}
		h = hend;
	}
	if (n || !r->flow)
		return n;
	n = by_range(f, r, cand);
	*range = n > 0;
	return n;
}

/* ---- two ingresses of one host by key from one egress ---- */
struct dm {
	uint32_t match, at; /* at: index among the run's key matches */
};

static int cmp_dm(const void *a, const void *b)
{
	const struct dm *x = a, *y = b;

	if (x->match != y->match)
		return x->match < y->match ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

/* RUN: the indexes (into IN) of one (key, host) run's key matches, in
 * order; DM, COVER: room for N entries (N + 1) */
static void dup_run(struct obs *in, const uint32_t *run, size_t n, struct dm *dm, int *cover)
{
	for (size_t k = 0; k < n; k++)
		dm[k] = (struct dm){ in[run[k]].match, (uint32_t)k };
	qsort(dm, n, sizeof(*dm), cmp_dm);
	for (size_t k = 0; k <= n; k++)
		cover[k] = 0;
	for (size_t g = 0; g < n;) {
		size_t e = g + 1;

		while (e < n && dm[e].match == dm[g].match)
			e++;
		if (e - g > 1) { /* a group: its members, and those strictly between its first and last */
			cover[dm[g].at + 1]++;
			cover[dm[e - 1].at]--;
			for (size_t k = g; k < e; k++)
				dm[k].match = NT_ST_NONE - 1;
		}
		g = e;
	}
	/* dm[] is sorted by match: mark the group members through it, then the
	 * ones covered */
	for (size_t k = 0; k < n; k++)
		if (dm[k].match == NT_ST_NONE - 1)
			in[run[dm[k].at]].match = NT_ST_NONE - 1;
	long c = 0;

	for (size_t k = 0; k < n; k++) {
		c += cover[k];
		if (c)
			in[run[k]].match = NT_ST_NONE - 1;
	}
}

int nt_st_dup_matches(struct obs *in, size_t nin, const uint8_t *isrange)
{
	uint32_t *run = NULL;
	struct dm *dm = NULL;
	int *cover = NULL;
	size_t cap = 0;

	for (size_t r = 0; r < nin;) {
		size_t end, n = 0;

		FIRST_FALSE(end, r, nin, in[i].key == in[r].key && in[i].host == in[r].host);
		if (end - r < 2) {
			r = end;
			continue;
		}
		for (size_t q = r; q < end; q++)
			n += in[q].match != NT_ST_NONE && !isrange[q];
		if (n > cap) {
			size_t c = n > 2 * cap ? n : 2 * cap;
			uint32_t *nr = realloc(run, c * sizeof(*run));
			struct dm *nd = nr ? realloc(dm, c * sizeof(*dm)) : NULL;
			int *nc = nd ? realloc(cover, (c + 1) * sizeof(*cover)) : NULL;

			if (nr)
				run = nr;
			if (nd)
				dm = nd;
			if (!nc) {
				free(run);
				free(dm);
				free(cover);
				return -ENOMEM;
			}
			cover = nc;
			cap = c;
		}
		n = 0;
		for (size_t q = r; q < end; q++)
			if (in[q].match != NT_ST_NONE && !isrange[q])
				run[n++] = (uint32_t)q;
		if (n > 1)
			dup_run(in, run, n, dm, cover);
		r = end;
	}
	free(run);
	free(dm);
	free(cover);
	return 0;
}
