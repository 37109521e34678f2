// SPDX-License-Identifier: GPL-2.0
/* test_mergeq.c - nft-record/mergeq.c on its own: records leave the merge
 * queue in time order (nftrace first on ties), exactly once each. */
#include <stdint.h>
#include <string.h>

#include "common/records.h"
#include "nft-record/mergeq.h"
#include "tests/unit/nt_test.h"

struct out {
	uint64_t ts[64];
	uint8_t type[64];
	int n;
};

static int emit(void *ctx, const void *rec, size_t len)
{
	struct out *o = ctx;
	const struct nt_ev_hdr *h = rec;

	if (o->n < 64 && len == sizeof(struct nt_ev_free)) {
		o->ts[o->n] = h->ts_ns;
		o->type[o->n++] = h->type;
	}
	return 0;
}

static void push(struct nt_mergeq *m, enum nt_mergeq_src src, uint64_t ts)
{
	struct nt_ev_free r;

	memset(&r, 0, sizeof(r));
	r.h.type = src == NT_MERGEQ_BPF ? NT_EV_FREE : NT_EV_NFT_RULE; /* a tag only */
	r.h.ts_ns = ts;
	nt_mergeq_push(m, src, &r, sizeof(r));
}

TEST(merge_in_time_order_nftrace_first_on_ties)
{
	struct nt_mergeq m;
	struct out o = { 0 };

	CHECK_EQ_INT(nt_mergeq_init(&m, 8, 8, emit, &o), 0);
	push(&m, NT_MERGEQ_BPF, 10);
	push(&m, NT_MERGEQ_BPF, 30);
	push(&m, NT_MERGEQ_NFT, 20);
	push(&m, NT_MERGEQ_NFT, 30);
	push(&m, NT_MERGEQ_BPF, 40);
	nt_mergeq_out(&m, 0);
	CHECK_EQ_INT(o.n, 5);
	CHECK_EQ_INT(o.ts[0], 10);
	CHECK_EQ_INT(o.ts[1], 20);
	CHECK_EQ_INT(o.ts[2], 30);
	CHECK_EQ_INT(o.type[2], NT_EV_NFT_RULE);
	CHECK_EQ_INT(o.ts[3], 30);
	CHECK_EQ_INT(o.type[3], NT_EV_FREE);
	CHECK_EQ_INT(o.ts[4], 40);
	nt_mergeq_free(&m);
}

TEST(out_upto_keeps_later_records)
{
	struct nt_mergeq m;
	struct out o = { 0 };

	CHECK_EQ_INT(nt_mergeq_init(&m, 8, 8, emit, &o), 0);
	push(&m, NT_MERGEQ_BPF, 100);
	push(&m, NT_MERGEQ_BPF, 300);
	push(&m, NT_MERGEQ_NFT, 200);
	nt_mergeq_out(&m, 200);
	CHECK_EQ_INT(o.n, 2);
	CHECK_EQ_INT(o.ts[1], 200);
	push(&m, NT_MERGEQ_NFT, 250); /* arrives later, still before the held 300 */
	nt_mergeq_out(&m, 0);
	CHECK_EQ_INT(o.n, 4);
	CHECK_EQ_INT(o.ts[2], 250);
	CHECK_EQ_INT(o.ts[3], 300);
	nt_mergeq_free(&m);
}

TEST(full_ring_writes_its_oldest_first_nothing_lost)
{
	struct nt_mergeq m;
	struct out o = { 0 };

	CHECK_EQ_INT(nt_mergeq_init(&m, 4, 4, emit, &o), 0);
	push(&m, NT_MERGEQ_NFT, 5);
	for (uint64_t t = 10; t <= 60; t += 10) /* 6 into a ring of 4 */
		push(&m, NT_MERGEQ_BPF, t);
	/* the first overflow wrote nft 5 and bpf 10, the second bpf 20 */
	CHECK_EQ_INT(o.n, 3);
	CHECK_EQ_INT(o.ts[0], 5);
	CHECK_EQ_INT(o.ts[1], 10);
	CHECK_EQ_INT(o.ts[2], 20);
	nt_mergeq_out(&m, 0);
	CHECK_EQ_INT(o.n, 7);
	for (int i = 1; i < o.n; i++)
		CHECK(o.ts[i] > o.ts[i - 1]);
	nt_mergeq_free(&m);
}

TEST(oversized_record_is_refused)
{
	struct nt_mergeq m;
	struct out o = { 0 };
	uint8_t big[NT_MERGEQ_REC_MAX + 8];

	memset(big, 0, sizeof(big));
	CHECK_EQ_INT(nt_mergeq_init(&m, 4, 4, emit, &o), 0);
	nt_mergeq_push(&m, NT_MERGEQ_BPF, big, sizeof(big));
	CHECK_EQ_INT(m.q[NT_MERGEQ_BPF].n, 0);
	nt_mergeq_free(&m);
}

int main(void)
{
	RUN(merge_in_time_order_nftrace_first_on_ties);
	RUN(out_upto_keeps_later_records);
	RUN(full_ring_writes_its_oldest_first_nothing_lost);
	RUN(oversized_record_is_refused);
	TEST_EXIT();
}
