/* SPDX-License-Identifier: GPL-2.0 */
/* reorder_in.h - the reorder window's state (reorder.h) and the common
 * cases of nt_reorder_push() / nt_reorder_pop(), inlined in the walks'
 * loops (walk.c, walkpipe.c): a record that arrives in order and fits at
 * the ring's tail, the FIFO's head leaving or staying.  Everything else
 * calls reorder.c.  Private to model/. */
#ifndef NT_REORDER_IN_H
#define NT_REORDER_IN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/records.h"
#include "model/reorder.h"

/* A queued record: header + the record's bytes (8-byte aligned in the ring). */
struct nt_rq {
	uint64_t ts, seq;
	uint32_t len, pad;
	unsigned char data[];
};

#define NT_RQ_HDR sizeof(struct nt_rq)
#define NT_RQ_WRAP UINT32_MAX /* len of a ring slot that says "continue at 0" */

struct nt_reorder {
	uint64_t window;
	size_t max_bytes, bytes;   /* bytes queued (records + headers) */
	uint64_t seq, newest, released; /* newest ts pushed, ts of the last record released */
	uint64_t imm_below;        /* a record older leaves at once: 1 (ts 0) before any release,
				    * then the last released time */
	int any_released;
	/* FIFO of in-order records: a byte ring that grows up to max_bytes.
	 * (No two fields that push or pop update lie side by side: gcc made
	 * one 16-byte load + store of such a pair, which waited for the two
	 * 8-byte stores of the call before to retire — a store-forwarding
	 * stall per record.  Fields the FIFO path does not write go between.) */
	size_t nfifo;
	size_t cap;
	size_t head;
	unsigned char *ring;
	size_t tail;
	struct nt_rq **heap;       /* heap of records that came older than the FIFO's tail (malloc'd each) */
	size_t fifo_bytes;
	struct nt_rq **imm;        /* records that leave at once: no time, or late (FIFO of pointers) */
	uint64_t tail_ts;
	size_t nheap, capheap;
	size_t nimm, capimm, immhead;
	struct nt_rq *last;        /* returned by the previous pop (freed at the next call) */
	struct nt_reorder_stats st;
};

/* reorder.c: nt_reorder_push() / nt_reorder_pop() past their common case */
int nt_reorder_push_slow(struct nt_reorder *r, const void *rec, size_t len);
const void *nt_reorder_pop_slow(struct nt_reorder *r, size_t *len, int flush);

static inline size_t nt_rq_slot(size_t len)
{
	return (NT_RQ_HDR + len + 7) & ~(size_t)7;
}

static inline int nt_rq_before(const struct nt_rq *a, const struct nt_rq *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

/* a record's bytes into its slot: the records' common sizes as fixed-size
 * copies (no call into memcpy) */
static inline void nt_rq_copy(unsigned char *dst, const void *src, size_t len)
{
	switch (len) {
	case 24: memcpy(dst, src, 24); break;
	case 40: memcpy(dst, src, 40); break;
	case 48: memcpy(dst, src, 48); break;
	case 64: memcpy(dst, src, 64); break;
	case 88: memcpy(dst, src, 88); break;
	default: memcpy(dst, src, len); break;
	}
}

/* A record of LEN bytes (slot size S) at the ring's tail, where the caller
 * made room: the FIFO's accounting with it (the fast push and the slow one) */
static inline void nt_rq_append(struct nt_reorder *r, const void *rec, size_t len, uint64_t ts,
				uint64_t seq, size_t s)
{
	struct nt_rq *q = (struct nt_rq *)(r->ring + r->tail);

	q->ts = ts;
	q->seq = seq;
	q->len = (uint32_t)len;
	nt_rq_copy(q->data, rec, len);
	r->tail += s;
	r->nfifo++;
	r->fifo_bytes += s;
	r->tail_ts = ts;
	r->bytes += s;
	if (r->bytes > r->st.max_bytes_used)
		r->st.max_bytes_used = r->bytes;
}

/* nt_reorder_push(), inlined */
static inline __attribute__((always_inline)) int nt_reorder_push_in(struct nt_reorder *r, const void *rec,
								     size_t len)
{
	const struct nt_ev_hdr *h = rec;
	uint64_t ts = h->ts_ns;
	size_t s = nt_rq_slot(len);

	/* the common case: nothing to free, in order (imm_below: 1 for ts 0,
	 * then the last released time), not older than the FIFO's tail (0
	 * while it is empty), room at the ring's tail: before its end with
	 * room for a wrap mark after it, or (wrapped) before its head */
	if (__builtin_expect(r->last != NULL || ts < r->imm_below || !r->window || ts < r->tail_ts ||
			     (r->tail >= r->head ? r->cap - r->tail < s + NT_RQ_HDR : r->head - r->tail <= s), 0))
		return nt_reorder_push_slow(r, rec, len);
	if (ts > r->newest)
		r->newest = ts;
	nt_rq_append(r, rec, len, ts, r->seq++, s);
	return 0;
}

/* Release Q, the FIFO's head: the slot stays valid until the next push
 * overwrites it; the caller is done with it before its next call. */
static inline const void *nt_rq_release(struct nt_reorder *r, struct nt_rq *q, size_t *len)
{
	size_t s = nt_rq_slot(q->len);

	r->released = q->ts;
	r->imm_below = q->ts;
	r->any_released = 1;
	*len = q->len;
	r->head += s;
	r->fifo_bytes -= s;
	r->bytes -= s;
	if (!--r->nfifo)
		r->head = r->tail = r->tail_ts = 0;
	return q->data;
}

/* nt_reorder_pop(), inlined */
static inline __attribute__((always_inline)) const void *nt_reorder_pop_in(struct nt_reorder *r, size_t *len,
									    int flush)
{
	struct nt_rq *q;

	if (__builtin_expect(r->last || r->immhead < r->nimm, 0))
		return nt_reorder_pop_slow(r, len, flush);
	if (!r->nfifo)
		return r->nheap ? nt_reorder_pop_slow(r, len, flush) : NULL;
	q = (struct nt_rq *)(r->ring + r->head);
	if (q->len == NT_RQ_WRAP) {
		r->head = 0;
		q = (struct nt_rq *)r->ring;
	}
	if (r->nheap && nt_rq_before(r->heap[0], q))
		return nt_reorder_pop_slow(r, len, flush);
	/* the FIFO's head is the oldest record */
	if (!flush) {
		int late_window = q->ts + r->window < r->newest;

		if (r->bytes > r->max_bytes) {
			if (!late_window)
				r->st.early++;
		} else if (!late_window && !(r->any_released && q->ts <= r->released)) {
			return NULL;
		}
	}
	return nt_rq_release(r, q, len);
}

#endif
