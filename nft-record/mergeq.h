/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mergeq.h - the recorder's merge queue: records are written to the log in
 * time order.  BPF records wait in one fixed ring (the recorder releases them
 * MERGE_DELAY_NS late) so that the nftrace records of the same moment, which
 * are resolved only after NT_CORR_DELAY_NS (corr.h), are merged in before
 * them: the analyzer then sees a packet's rule verdicts before its free /
 * drop.  No allocation after nt_mergeq_init(); no BPF, no kernel: unit-tested
 * on its own (tests/unit/test_mergeq.c).
 */
#ifndef NT_MERGEQ_H
#define NT_MERGEQ_H

#include <stddef.h>
#include <stdint.h>

#define NT_MERGEQ_REC_MAX 176      /* largest record (NT_EV_NFT_CHAINDEF) */

enum nt_mergeq_src { NT_MERGEQ_BPF, NT_MERGEQ_NFT };

/* Fixed ring of records. */
struct nt_mergeq_ring {
	uint8_t (*slot)[NT_MERGEQ_REC_MAX];
	uint16_t *len;
	size_t cap, head, n;
};

/* Called for every record leaving the queue, in order (its result is ignored:
 * the callback counts its own errors). */
typedef int (*nt_mergeq_emit_fn)(void *ctx, const void *rec, size_t len);

struct nt_mergeq {
	struct nt_mergeq_ring q[2];  /* by enum nt_mergeq_src */
	nt_mergeq_emit_fn emit;
	void *ctx;
};

/* 0 or -ENOMEM (then nt_mergeq_free() is still safe). */
int nt_mergeq_init(struct nt_mergeq *m, size_t bpf_cap, size_t nft_cap, nt_mergeq_emit_fn emit,
		   void *ctx);
void nt_mergeq_free(struct nt_mergeq *m);
/* Queue a copy of REC (records longer than NT_MERGEQ_REC_MAX are dropped).  A
 * full ring first writes out everything up to its oldest record (order may
 * suffer), then that record. */
void nt_mergeq_push(struct nt_mergeq *m, enum nt_mergeq_src src, const void *rec, size_t len);
/* Write out, oldest first (ties: nftrace first), every record with ts_ns <=
 * UPTO; UPTO = 0: everything. */
void nt_mergeq_out(struct nt_mergeq *m, uint64_t upto);

#endif
