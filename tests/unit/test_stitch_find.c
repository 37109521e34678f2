// SPDX-License-Identifier: GPL-2.0
/* test_stitch_find.c - model/stitch_find.c (the windowed searches of
 * stitching) against the plain scans they replace, on random observations:
 * repeated keys across hosts and time, TCP ranges around the sequence
 * number's wrap, equal walls, windows of every pair, more candidates than
 * NT_ST_MAX_CAND; the same candidates in the same order, the same range
 * flag, the same ambiguous ingresses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/stitch_int.h"
#include "tests/unit/nt_test.h"

#define NH 4

static uint64_t rnd_state = 0x1234567887654321ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static int cmp_key_host(const void *a, const void *b)
{
	const struct obs *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->host != y->host)
		return x->host < y->host ? -1 : 1;
	return x->wall < y->wall ? -1 : x->wall > y->wall;
}

static const struct obs *sort_eg;

static int cmp_flow(const void *a, const void *b)
{
	const struct obs *x = &sort_eg[*(const uint32_t *)a], *y = &sort_eg[*(const uint32_t *)b];

	if (x->flow != y->flow)
		return x->flow < y->flow ? -1 : 1;
	if (x->host != y->host)
		return x->host < y->host ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->wall < y->wall ? -1 : x->wall > y->wall;
}

/* the scan stitch.c did before (every egress of the key, then of the flow) */
static int ref_candidates(const struct nt_st_find *f, const struct obs *r, uint32_t *cand, int *range)
{
	int n = 0;

	*range = 0;
	for (size_t e = 0; e < f->neg; e++) {
		const struct obs *x = &f->eg[e];
		size_t pi = x->host * (size_t)f->nhost + r->host;
		int64_t res;

		if (x->key != r->key || x->host == r->host || !f->have[pi])
			continue;
		res = r->wall - x->wall - f->theta[pi];
		if (res < f->lo[pi] || res > f->hi[pi])
			continue;
		if (n == NT_ST_MAX_CAND)
			return NT_ST_MAX_CAND + 1;
		cand[n++] = (uint32_t)e;
	}
	if (n || !r->flow)
		return n;
	for (size_t k = 0; k < f->neg; k++) {
		const struct obs *x = &f->eg[f->byflow[k]];
		size_t pi = x->host * (size_t)f->nhost + r->host;
		int64_t res;

		if (x->flow != r->flow || x->host == r->host || !f->have[pi] ||
		    (uint32_t)(r->seq - x->seq) >= x->end - x->seq)
			continue;
		res = r->wall - x->wall - f->theta[pi];
		if (res < f->lo[pi] || res > f->hi[pi])
			continue;
		if (n == NT_ST_MAX_CAND)
			return NT_ST_MAX_CAND + 1;
		cand[n++] = f->byflow[k];
		*range = 1;
	}
	return n;
}

static void rnd_obs(struct obs *o, int nkeys)
{
	static const uint32_t seq0[] = { 0, 1000, 0xfffff000u, 0x80000000u };

	memset(o, 0, sizeof(*o));
	o->key = 1 + rnd() % (uint64_t)nkeys;
	o->host = (uint32_t)(rnd() % NH);
	o->wall = 1000000000 + (int64_t)(rnd() % 20000000); /* 20 ms */
	if (rnd() % 8 == 0)
		o->wall = 1000000000 + (int64_t)(rnd() % 4) * 1000000; /* equal walls */
	o->flow = rnd() % 3 ? 0 : 1 + rnd() % 3;
	o->seq = seq0[rnd() % 4] + (uint32_t)(rnd() % 6000);
	if (rnd() % 4 == 0)
		o->seq = seq0[rnd() % 4]; /* equal seqs (pure ACKs) */
	o->len = (uint32_t)(rnd() % 3000);
	o->match = NT_ST_NONE;
}

TEST(candidates_equal_the_scan)
{
	enum { NEG = 3000, NIN = 3000 };
	struct obs *eg = calloc(NEG, sizeof(*eg)), *in = calloc(NIN, sizeof(*in));
	uint32_t *bf = calloc(NEG, sizeof(*bf));
	int64_t theta[NH * NH], lo[NH * NH], hi[NH * NH];
	uint8_t have[NH * NH];
	struct nt_st_find f = { 0 };
	int ranges = 0, over = 0, found = 0;

	CHECK(eg && in && bf);
	for (int round = 0; round < 6; round++) {
		int nkeys = round < 3 ? 5 : 400;

		for (int i = 0; i < NH * NH; i++) {
			theta[i] = (int64_t)(rnd() % 4000000) - 2000000;
			lo[i] = -(int64_t)(rnd() % 1000000) - 500000;
			hi[i] = (int64_t)(rnd() % 4000000) + 2000000;
			have[i] = rnd() % 5 != 0;
		}
		for (int i = 0; i < NEG; i++)
			rnd_obs(&eg[i], nkeys);
		for (int i = 0; i < NIN; i++)
			rnd_obs(&in[i], nkeys);
		qsort(eg, NEG, sizeof(*eg), cmp_key_host);
		for (uint32_t i = 0; i < NEG; i++)
			bf[i] = i;
		sort_eg = eg;
		qsort(bf, NEG, sizeof(*bf), cmp_flow);
		f = (struct nt_st_find){ .eg = eg, .neg = NEG, .byflow = bf, .nhost = NH, .theta = theta,
					 .lo = lo, .hi = hi, .have = have };
		for (size_t k = 0; k < NEG; k++) { /* as nt_stitch_solve() */
			struct obs *x = &eg[bf[k]];
			uint32_t end = x->seq + (x->len ? x->len : 1);

			if (k + 1 < NEG) {
				const struct obs *y = &eg[bf[k + 1]];

				if (y->flow == x->flow && y->host == x->host && y->seq != x->seq &&
				    (uint32_t)(y->seq - x->seq) < (uint32_t)(end - x->seq))
					end = y->seq;
			}
			x->end = end;
			if (x->flow && end - x->seq > f.lmax)
				f.lmax = end - x->seq;
		}
		for (int r = 0; r < NIN; r += 3) { /* at the edges of a range, the longest too */
			const struct obs *x = &eg[rnd() % NEG];

			if (r % 2)
				for (int i = 0; i < NEG; i++)
					if (eg[i].flow && eg[i].end - eg[i].seq == f.lmax)
						x = &eg[i];

			if (!x->flow)
				continue;
			in[r].flow = x->flow;
			in[r].seq = rnd() % 2 ? x->end - 1 : x->end;
			in[r].wall = x->wall + (int64_t)(rnd() % 3000000);
		}
		for (int r = 0; r < NIN; r++) {
			uint32_t c1[NT_ST_MAX_CAND], c2[NT_ST_MAX_CAND];
			int r1, r2, n1 = nt_st_candidates(&f, &in[r], c1, &r1),
				    n2 = ref_candidates(&f, &in[r], c2, &r2);

			CHECK_EQ_INT(n1, n2);
			CHECK_EQ_INT(r1, r2);
			if (n1 <= NT_ST_MAX_CAND)
				CHECK(!memcmp(c1, c2, (size_t)n1 * sizeof(*c1)));
			ranges += r1;
			over += n1 > NT_ST_MAX_CAND;
			found += n1 > 0;
		}
	}
	CHECK(ranges > 100 && over > 100 && found > 1000); /* every path taken */
	free(eg);
	free(in);
	free(bf);
}

/* the loop stitch.c ran before */
static void ref_dup(struct obs *in, size_t nin, const uint8_t *isrange)
{
	for (size_t r = 0; r < nin; r++) {
		if (in[r].match == NT_ST_NONE || isrange[r] || in[r].match == NT_ST_NONE - 1)
			continue;
		for (size_t q = r + 1; q < nin && in[q].key == in[r].key; q++)
			if ((in[q].match == in[r].match || in[q].match == NT_ST_NONE - 1) &&
			    in[q].host == in[r].host && !isrange[q])
				in[q].match = NT_ST_NONE - 1;
		for (size_t q = r + 1; q < nin && in[q].key == in[r].key; q++)
			if (in[q].match == NT_ST_NONE - 1 && in[q].host == in[r].host) {
				in[r].match = NT_ST_NONE - 1;
				break;
			}
	}
}

TEST(dup_matches_equal_the_scan)
{
	enum { NIN = 4000 };
	struct obs *a = calloc(NIN, sizeof(*a)), *b = calloc(NIN, sizeof(*b));
	uint8_t *isrange = calloc(NIN, 1);
	int amb = 0;

	CHECK(a && b && isrange);
	for (int round = 0; round < 20; round++) {
		int nkeys = round % 2 ? 30 : 3, nmatch = round % 4 < 2 ? 5 : 60;

		for (int i = 0; i < NIN; i++) {
			rnd_obs(&a[i], nkeys);
			a[i].match = rnd() % 4 ? (uint32_t)(rnd() % (uint64_t)nmatch) : NT_ST_NONE;
		}
		qsort(a, NIN, sizeof(*a), cmp_key_host);
		for (int i = 0; i < NIN; i++)
			isrange[i] = rnd() % 6 == 0;
		memcpy(b, a, NIN * sizeof(*a));
		CHECK_EQ_INT(nt_st_dup_matches(a, NIN, isrange), 0);
		ref_dup(b, NIN, isrange);
		for (int i = 0; i < NIN; i++) {
			CHECK_EQ_INT(a[i].match, b[i].match);
			amb += a[i].match == NT_ST_NONE - 1;
		}
	}
	CHECK(amb > 1000);
	free(a);
	free(b);
	free(isrange);
}

int main(void)
{
	RUN(candidates_equal_the_scan);
	RUN(dup_matches_equal_the_scan);
	TEST_EXIT();
}
