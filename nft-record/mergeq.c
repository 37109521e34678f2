// SPDX-License-Identifier: GPL-2.0
/* mergeq.c - the recorder's merge queue (mergeq.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/records.h"
#include "nft-record/mergeq.h"

static int ring_init(struct nt_mergeq_ring *q, size_t cap)
{
	q->slot = calloc(cap, NT_MERGEQ_REC_MAX);
	q->len = calloc(cap, sizeof(*q->len));
	q->cap = cap;
	q->head = q->n = 0;
	return q->slot && q->len ? 0 : -ENOMEM;
}

static void ring_free(struct nt_mergeq_ring *q)
{
	free(q->slot);
	free(q->len);
	q->slot = NULL;
	q->len = NULL;
}

static const struct nt_ev_hdr *ring_head(const struct nt_mergeq_ring *q)
{
	return q->n ? (const void *)q->slot[q->head] : NULL;
}

int nt_mergeq_init(struct nt_mergeq *m, size_t bpf_cap, size_t nft_cap, nt_mergeq_emit_fn emit,
		   void *ctx)
{
	int a = ring_init(&m->q[NT_MERGEQ_BPF], bpf_cap), b = ring_init(&m->q[NT_MERGEQ_NFT], nft_cap);

	m->emit = emit;
	m->ctx = ctx;
	return a || b ? -ENOMEM : 0;
}

void nt_mergeq_free(struct nt_mergeq *m)
{
	ring_free(&m->q[NT_MERGEQ_BPF]);
	ring_free(&m->q[NT_MERGEQ_NFT]);
}

static void pop_write(struct nt_mergeq *m, struct nt_mergeq_ring *q)
{
	m->emit(m->ctx, q->slot[q->head], q->len[q->head]);
	q->head = (q->head + 1) % q->cap;
	q->n--;
}

void nt_mergeq_out(struct nt_mergeq *m, uint64_t upto)
{
	struct nt_mergeq_ring *bq = &m->q[NT_MERGEQ_BPF], *nq = &m->q[NT_MERGEQ_NFT];

	for (;;) {
		const struct nt_ev_hdr *b = ring_head(bq), *n = ring_head(nq);
		struct nt_mergeq_ring *q;

		if (!b && !n)
			return;
		if (b && n)
			q = n->ts_ns <= b->ts_ns ? nq : bq;
		else
			q = b ? bq : nq;
		if (upto && ring_head(q)->ts_ns > upto)
			return;
		pop_write(m, q);
	}
}

void nt_mergeq_push(struct nt_mergeq *m, enum nt_mergeq_src src, const void *rec, size_t len)
{
	struct nt_mergeq_ring *q = &m->q[src];
	size_t i;

	if (len > NT_MERGEQ_REC_MAX)
		return;
	if (q->n == q->cap) /* full: write the oldest now, order may suffer */
		nt_mergeq_out(m, ring_head(q)->ts_ns);
	if (q->n == q->cap)
		pop_write(m, q);
	i = (q->head + q->n) % q->cap;
	memcpy(q->slot[i], rec, len);
	q->len[i] = len;
	q->n++;
}
