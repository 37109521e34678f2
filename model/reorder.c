// SPDX-License-Identifier: GPL-2.0
/* reorder.c - the reorder window on the analyzer's input (reorder.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/records.h"
#include "model/reorder.h"
#include "model/reorder_in.h"

struct nt_reorder *nt_reorder_new(uint64_t window_ns, size_t max_bytes)
{
	struct nt_reorder *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->window = window_ns;
	r->max_bytes = max_bytes ? max_bytes : NT_REORDER_MAX_BYTES;
	r->imm_below = 1;
	return r;
}

void nt_reorder_free(struct nt_reorder *r)
{
	if (!r)
		return;
	free(r->last);
	for (size_t i = 0; i < r->nheap; i++)
		free(r->heap[i]);
	for (size_t i = r->immhead; i < r->nimm; i++)
		free(r->imm[i]);
	free(r->heap);
	free(r->imm);
	free(r->ring);
	free(r);
}

static struct nt_rq *qrec_new(const void *rec, size_t len, uint64_t ts, uint64_t seq)
{
	struct nt_rq *q = malloc(NT_RQ_HDR + len);

	if (!q)
		return NULL;
	q->ts = ts;
	q->seq = seq;
	q->len = (uint32_t)len;
	memcpy(q->data, rec, len);
	return q;
}

static int imm_push(struct nt_reorder *r, struct nt_rq *q)
{
	if (r->immhead && r->immhead == r->nimm)
		r->immhead = r->nimm = 0;
	if (r->nimm == r->capimm) {
		size_t cap = r->capimm ? r->capimm * 2 : 16;
		struct nt_rq **n = realloc(r->imm, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		r->imm = n;
		r->capimm = cap;
	}
	r->imm[r->nimm++] = q;
	return 0;
}

static int heap_push(struct nt_reorder *r, struct nt_rq *q)
{
	size_t i;

	if (r->nheap == r->capheap) {
		size_t cap = r->capheap ? r->capheap * 2 : 64;
		struct nt_rq **n = realloc(r->heap, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		r->heap = n;
		r->capheap = cap;
	}
	i = r->nheap++;
	while (i && nt_rq_before(q, r->heap[(i - 1) / 2])) {
		r->heap[i] = r->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	r->heap[i] = q;
	return 0;
}

static struct nt_rq *heap_pop(struct nt_reorder *r)
{
	struct nt_rq *top = r->heap[0], *x = r->heap[--r->nheap];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= r->nheap)
			break;
		if (c + 1 < r->nheap && nt_rq_before(r->heap[c + 1], r->heap[c]))
			c++;
		if (!nt_rq_before(r->heap[c], x))
			break;
		r->heap[i] = r->heap[c];
		i = c;
	}
	if (r->nheap)
		r->heap[i] = x;
	return top;
}

/* Where a slot of N bytes goes at the ring's tail: 0 at the tail, 1 at
 * offset 0 after a wrap mark; grows the ring when neither fits (-ENOMEM).
 * A slot at the tail always leaves room for a wrap mark after it. */
static int ring_room(struct nt_reorder *r, size_t n)
{
	size_t cap, off = 0, pos;
	unsigned char *n2;

	if (!r->nfifo) {
		if (r->cap >= n + NT_RQ_HDR)
			return 0;
	} else if (r->tail > r->head) {
		if (r->cap - r->tail >= n + NT_RQ_HDR)
			return 0;
		if (r->head > n)
			return 1;
	} else if (r->tail < r->head && r->head - r->tail > n) {
		return 0;
	}
	/* grow: the queued slots in order into a new ring */
	cap = r->cap ? r->cap * 2 : 65536;
	while (cap < r->fifo_bytes + n + 2 * NT_RQ_HDR)
		cap *= 2;
	n2 = malloc(cap);
	if (!n2)
		return -ENOMEM;
	pos = r->head;
	for (size_t k = 0; k < r->nfifo; k++) {
		struct nt_rq *q = (struct nt_rq *)(r->ring + pos);
		size_t s;

		if (q->len == NT_RQ_WRAP) {
			pos = 0;
			q = (struct nt_rq *)r->ring;
		}
		s = nt_rq_slot(q->len);
		memcpy(n2 + off, q, s);
		off += s;
		pos += s;
	}
	free(r->ring);
	r->ring = n2;
	r->cap = cap;
	r->head = 0;
	r->tail = off;
	return 0;
}

/* a record that leaves at once: no time, late, or no window (slow path) */
static int push_imm(struct nt_reorder *r, const void *rec, size_t len, uint64_t ts, uint64_t seq)
{
	struct nt_rq *q;

	if (ts && r->window) {
		r->st.late++;
		r->st.max_late_ns = r->released - ts;
	}
	q = qrec_new(rec, len, ts, seq);
	if (!q || imm_push(r, q)) {
		free(q);
		return -ENOMEM;
	}
	return 0;
}

/* a record older than the FIFO's tail: into the heap (slow path) */
static int push_heap(struct nt_reorder *r, const void *rec, size_t len, uint64_t ts, uint64_t seq)
{
	struct nt_rq *q;

	r->st.reordered++;
	q = qrec_new(rec, len, ts, seq);
	if (!q || heap_push(r, q)) {
		free(q);
		return -ENOMEM;
	}
	r->bytes += NT_RQ_HDR + len;
	if (r->bytes > r->st.max_bytes_used)
		r->st.max_bytes_used = r->bytes;
	return 0;
}

int nt_reorder_push(struct nt_reorder *r, const void *rec, size_t len)
{
	return nt_reorder_push_in(r, rec, len);
}

/* nt_reorder_push() past its common case (reorder_in.h): the same steps in full */
int nt_reorder_push_slow(struct nt_reorder *r, const void *rec, size_t len)
{
	const struct nt_ev_hdr *h = rec;
	uint64_t ts = h->ts_ns, seq = r->seq++;
	size_t s = nt_rq_slot(len);
	int w;

	if (__builtin_expect(r->last != NULL, 0)) { /* (no call into free() per record: most pops are FIFO slots) */
		free(r->last);
		r->last = NULL;
	}
	/* imm_below: 1 (ts 0 leaves at once), then the last released time
	 * (older is late): one test for both */
	if (__builtin_expect(ts < r->imm_below, 0) || __builtin_expect(!r->window, 0))
		return push_imm(r, rec, len, ts, seq);
	if (ts > r->newest)
		r->newest = ts;
	if (__builtin_expect(ts < r->tail_ts, 0)) /* (tail_ts is 0 while the FIFO is empty) */
		return push_heap(r, rec, len, ts, seq);
	/* the common case: room at the tail of a ring that has not wrapped */
	if (__builtin_expect(r->tail >= r->head && r->cap - r->tail >= s + NT_RQ_HDR, 1)) {
		w = 0;
	} else {
		w = ring_room(r, s);
		if (w < 0)
			return -ENOMEM;
		if (w == 1) {
			((struct nt_rq *)(r->ring + r->tail))->len = NT_RQ_WRAP;
			r->tail = 0;
		}
	}
	nt_rq_append(r, rec, len, ts, seq, s);
	return 0;
}

static struct nt_rq *fifo_head(struct nt_reorder *r)
{
	struct nt_rq *q;

	if (!r->nfifo)
		return NULL;
	q = (struct nt_rq *)(r->ring + r->head);
	if (q->len == NT_RQ_WRAP) {
		r->head = 0;
		q = (struct nt_rq *)r->ring;
	}
	return q;
}

/* nt_reorder_pop() with records in the heap, or to leave at once, or one
 * of those to free */
const void *nt_reorder_pop_slow(struct nt_reorder *r, size_t *len, int flush)
{
	struct nt_rq *f, *hp, *q;
	int early;

	if (r->last) {
		free(r->last);
		r->last = NULL;
	}
	if (r->immhead < r->nimm) {
		q = r->imm[r->immhead++];
		r->last = q;
		*len = q->len;
		return q->data;
	}
	f = fifo_head(r);
	hp = r->nheap ? r->heap[0] : NULL;
	if (!f && !hp)
		return NULL;
	q = !f ? hp : !hp ? f : nt_rq_before(hp, f) ? hp : f;
	early = r->bytes > r->max_bytes;
	if (!flush && !early && !(r->any_released && q->ts <= r->released) &&
	    q->ts + r->window >= r->newest)
		return NULL;
	if (early && !flush && q->ts + r->window >= r->newest)
		r->st.early++;
	if (q != hp)
		return nt_rq_release(r, q, len);
	r->released = q->ts;
	r->imm_below = q->ts;
	r->any_released = 1;
	*len = q->len;
	heap_pop(r);
	r->bytes -= NT_RQ_HDR + q->len;
	r->last = q;
	return q->data;
}

const void *nt_reorder_pop(struct nt_reorder *r, size_t *len, int flush)
{
	return nt_reorder_pop_in(r, len, flush);
}

const struct nt_reorder_stats *nt_reorder_stats(const struct nt_reorder *r)
{
	return &r->st;
}
