// SPDX-License-Identifier: GPL-2.0
/* mergeq.c - the recorder's merge queue (mergeq.h): a bounded min-heap. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/records.h"
#include "nft-record/mergeq.h"

_Static_assert(NT_MERGEQ_REC_MAX >= NT_BYTES_RECLEN(NT_BYTES_MAX) &&
	       NT_MERGEQ_REC_MAX >= sizeof(struct nt_ev_nft_chaindef), "merge queue slot too small");

int nt_mergeq_init(struct nt_mergeq *m, size_t cap, nt_mergeq_emit_fn emit, void *ctx)
{
	memset(m, 0, sizeof(*m));
	m->slot = calloc(cap, NT_MERGEQ_REC_MAX);
	m->len = calloc(cap, sizeof(*m->len));
	m->free_slots = calloc(cap, sizeof(*m->free_slots));
	m->heap = calloc(cap, sizeof(*m->heap));
	m->emit = emit;
	m->ctx = ctx;
	if (!m->slot || !m->len || !m->free_slots || !m->heap || !cap)
		return -ENOMEM;
	m->cap = cap;
	for (size_t i = 0; i < cap; i++)
		m->free_slots[i] = (uint32_t)(cap - 1 - i);
	m->nfree = cap;
	return 0;
}

void nt_mergeq_free(struct nt_mergeq *m)
{
	free(m->slot);
	free(m->len);
	free(m->free_slots);
	free(m->heap);
	m->slot = NULL;
	m->len = NULL;
	m->free_slots = NULL;
	m->heap = NULL;
	m->n = m->cap = 0;
}

static int before(const struct nt_mergeq_ent *a, const struct nt_mergeq_ent *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

static void sift_up(struct nt_mergeq *m, size_t i)
{
	struct nt_mergeq_ent e = m->heap[i];

	while (i) {
		size_t p = (i - 1) / 2;

		if (!before(&e, &m->heap[p]))
			break;
		m->heap[i] = m->heap[p];
		i = p;
	}
	m->heap[i] = e;
}

static void sift_down(struct nt_mergeq *m, size_t i)
{
	struct nt_mergeq_ent e = m->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= m->n)
			break;
		if (c + 1 < m->n && before(&m->heap[c + 1], &m->heap[c]))
			c++;
		if (!before(&m->heap[c], &e))
			break;
		m->heap[i] = m->heap[c];
		i = c;
	}
	m->heap[i] = e;
}

static void write_rec(struct nt_mergeq *m, const void *rec, size_t len, uint64_t ts)
{
	if (ts < m->last_ts)
		m->late++;
	else
		m->last_ts = ts;
	m->emit(m->ctx, rec, len);
}

static void pop_write(struct nt_mergeq *m)
{
	struct nt_mergeq_ent e = m->heap[0];

	m->heap[0] = m->heap[--m->n];
	if (m->n)
		sift_down(m, 0);
	write_rec(m, m->slot[e.slot], m->len[e.slot], e.ts);
	m->free_slots[m->nfree++] = e.slot;
}

void nt_mergeq_out(struct nt_mergeq *m, uint64_t upto)
{
	while (m->n && m->heap[0].ts <= upto)
		pop_write(m);
}

uint64_t nt_mergeq_oldest(const struct nt_mergeq *m)
{
	return m->n ? m->heap[0].ts : UINT64_MAX;
}

void nt_mergeq_push(struct nt_mergeq *m, const void *rec, size_t len)
{
	const struct nt_ev_hdr *h = rec;
	uint32_t s;

	if (len > NT_MERGEQ_REC_MAX || len < sizeof(*h) || !m->cap)
		return;
	if (h->ts_ns < m->last_ts) {
		/* below what was written already: cannot be placed */
		write_rec(m, rec, len, h->ts_ns);
		return;
	}
	if (!m->nfree) {
		m->forced++;
		pop_write(m);
		if (h->ts_ns < m->last_ts) {
			write_rec(m, rec, len, h->ts_ns);
			return;
		}
	}
	s = m->free_slots[--m->nfree];
	memcpy(m->slot[s], rec, len);
	m->len[s] = (uint16_t)len;
	m->heap[m->n] = (struct nt_mergeq_ent){ .ts = h->ts_ns, .seq = m->seq++, .slot = s };
	sift_up(m, m->n++);
}
