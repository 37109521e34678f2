/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mergeq.h - the recorder's merge queue: records reach the log in time order.
 *
 * Every record - BPF records as the ring buffer delivers them (per CPU in
 * order, interleaved across CPUs by reservation, not by time), the nftrace
 * steps resolved by the correlation, LOSS / COUNT snapshots - goes into one
 * min-heap keyed by (ts, arrival).  The recorder releases everything up to a
 * watermark that it derives from the sources' progress (record_loop.c);
 * nothing waits a fixed delay.  A record that arrives with a time below the
 * last one written cannot be placed any more: it is written at once (never
 * dropped) and counted as late (COUNT counter 2).  The queue is bounded
 * (cap records): when it is full its oldest record is written first, which
 * may make later arrivals late (counted).  No allocation after
 * nt_mergeq_init(); no BPF, no kernel: unit-tested (tests/unit/test_mergeq.c).
 */
#ifndef NT_MERGEQ_H
#define NT_MERGEQ_H

#include <stddef.h>
#include <stdint.h>

#define NT_MERGEQ_REC_MAX 304      /* largest record: NT_EV_BYTES of NT_BYTES_MAX bytes
				    * (NT_BYTES_RECLEN(256); checked in mergeq.c) */

/* Called for every record leaving the queue, in order (its result is ignored:
 * the callback counts its own errors). */
typedef int (*nt_mergeq_emit_fn)(void *ctx, const void *rec, size_t len);

struct nt_mergeq_ent {
	uint64_t ts, seq;
	uint32_t slot;
};

struct nt_mergeq {
	uint8_t (*slot)[NT_MERGEQ_REC_MAX];
	uint16_t *len;
	uint32_t *free_slots;        /* stack of free slot indexes */
	struct nt_mergeq_ent *heap;  /* min-heap by (ts, seq) */
	size_t cap, n, nfree;
	uint64_t seq;
	uint64_t last_ts;            /* time of the last record written */
	uint64_t late;               /* records written below last_ts */
	uint64_t forced;             /* records written early because the queue was full */
	nt_mergeq_emit_fn emit;
	void *ctx;
};

/* 0 or -ENOMEM (then nt_mergeq_free() is still safe). */
int nt_mergeq_init(struct nt_mergeq *m, size_t cap, nt_mergeq_emit_fn emit, void *ctx);
void nt_mergeq_free(struct nt_mergeq *m);
/* Queue a copy of REC (records longer than NT_MERGEQ_REC_MAX are dropped:
 * none exists).  Late or full: see above. */
void nt_mergeq_push(struct nt_mergeq *m, const void *rec, size_t len);
/* Write out, oldest first (ties: arrival order), every record with
 * ts_ns <= UPTO (UINT64_MAX: everything). */
void nt_mergeq_out(struct nt_mergeq *m, uint64_t upto);
/* Time of the oldest record queued (UINT64_MAX: empty). */
uint64_t nt_mergeq_oldest(const struct nt_mergeq *m);

#endif
