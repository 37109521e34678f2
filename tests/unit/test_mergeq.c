// SPDX-License-Identifier: GPL-2.0
/* test_mergeq.c - nft-record/mergeq.c on its own: records leave the merge
 * queue in time order (arrival order on ties), exactly once each, up to the
 * watermark; late arrivals are written at once and counted; a full queue
 * writes its oldest first. */
#include <stdint.h>
#include <string.h>

#include "common/records.h"
#include "nft-record/mergeq.h"
#include "tests/unit/nt_test.h"

struct out {
	uint64_t ts[256];
	uint32_t id[256];
	int n;
};

static int emit(void *ctx, const void *rec, size_t len)
{
	struct out *o = ctx;
	const struct nt_ev_hdr *h = rec;

	if (o->n < 256 && len >= sizeof(*h)) {
		o->ts[o->n] = h->ts_ns;
		o->id[o->n++] = h->id;
	}
	return 0;
}

static void push(struct nt_mergeq *m, uint64_t ts, uint32_t id, size_t len)
{
	uint8_t buf[NT_MERGEQ_REC_MAX];
	struct nt_ev_hdr *h = (void *)buf;

	memset(buf, 0, sizeof(buf));
	h->type = NT_EV_FREE;
	h->ts_ns = ts;
	h->id = id;
	nt_mergeq_push(m, buf, len);
}

TEST(time_order_ties_in_arrival_order)
{
	struct nt_mergeq m;
	struct out o = { 0 };

	CHECK_EQ_INT(nt_mergeq_init(&m, 16, emit, &o), 0);
	/* two CPUs' records interleaved by reservation, not by time */
	push(&m, 10, 1, 24);
	push(&m, 30, 2, 24);
	push(&m, 20, 3, 64);
	push(&m, 30, 4, 176);
	push(&m, 15, 5, 24);
	push(&m, 40, 6, 24);
	nt_mergeq_out(&m, UINT64_MAX);
	CHECK_EQ_INT(o.n, 6);
	CHECK_EQ_INT(o.id[0], 1);
	CHECK_EQ_INT(o.id[1], 5);
	CHECK_EQ_INT(o.id[2], 3);
	CHECK_EQ_INT(o.id[3], 2);
	CHECK_EQ_INT(o.id[4], 4);
	CHECK_EQ_INT(o.id[5], 6);
	CHECK_EQ_INT(m.late, 0);
	nt_mergeq_free(&m);
}

TEST(watermark_holds_later_records)
{
	struct nt_mergeq m;
	struct out o = { 0 };

	CHECK_EQ_INT(nt_mergeq_init(&m, 16, emit, &o), 0);
	push(&m, 100, 1, 24);
	push(&m, 300, 2, 24);
	push(&m, 200, 3, 24);
	nt_mergeq_out(&m, 250);
	CHECK_EQ_INT(o.n, 2);
	CHECK_EQ_INT(o.ts[1], 200);
	CHECK_EQ_INT(nt_mergeq_oldest(&m), 300);
	/* above the watermark: placed in order */
	push(&m, 260, 4, 24);
	nt_mergeq_out(&m, UINT64_MAX);
	CHECK_EQ_INT(o.n, 4);
	CHECK_EQ_INT(o.ts[2], 260);
	CHECK_EQ_INT(o.ts[3], 300);
	CHECK_EQ_INT(nt_mergeq_oldest(&m), UINT64_MAX);
	nt_mergeq_free(&m);
}

TEST(late_record_written_and_counted)
{
	struct nt_mergeq m;
	struct out o = { 0 };

	CHECK_EQ_INT(nt_mergeq_init(&m, 16, emit, &o), 0);
	push(&m, 100, 1, 24);
	push(&m, 200, 2, 24);
	nt_mergeq_out(&m, 200);
	push(&m, 150, 3, 24); /* below what was written */
	CHECK_EQ_INT(o.n, 3);
	CHECK_EQ_INT(o.id[2], 3);
	CHECK_EQ_INT(m.late, 1);
	push(&m, 200, 4, 24); /* equal is not late */
	nt_mergeq_out(&m, UINT64_MAX);
	CHECK_EQ_INT(m.late, 1);
	CHECK_EQ_INT(o.n, 4);
	nt_mergeq_free(&m);
}

TEST(full_queue_writes_oldest_first)
{
	struct nt_mergeq m;
	struct out o = { 0 };

	CHECK_EQ_INT(nt_mergeq_init(&m, 4, emit, &o), 0);
	for (int i = 0; i < 4; i++)
		push(&m, 100 + (uint64_t)i * 10, (uint32_t)i, 24);
	push(&m, 105, 9, 24); /* full: 100 goes first, 105 still in place */
	CHECK_EQ_INT(o.n, 1);
	CHECK_EQ_INT(o.ts[0], 100);
	CHECK_EQ_INT(m.forced, 1);
	push(&m, 101, 10, 24); /* full: 105 goes, 101 is then late */
	CHECK_EQ_INT(o.n, 3);
	CHECK_EQ_INT(o.ts[1], 105);
	CHECK_EQ_INT(o.ts[2], 101);
	CHECK_EQ_INT(m.late, 1);
	nt_mergeq_out(&m, UINT64_MAX);
	CHECK_EQ_INT(o.n, 6);
	for (int i = 4; i < 6; i++)
		CHECK(o.ts[i] >= o.ts[i - 1]);
	/* records longer than the largest one are refused */
	nt_mergeq_free(&m);
}

TEST(many_records_stay_sorted)
{
	static struct out o;
	struct nt_mergeq m;
	uint32_t x = 12345;

	memset(&o, 0, sizeof(o));
	CHECK_EQ_INT(nt_mergeq_init(&m, 256, emit, &o), 0);
	for (int i = 0; i < 200; i++) {
		x = x * 1103515245u + 12345u;
		push(&m, 1000 + (x >> 16) % 500, (uint32_t)i, 24);
	}
	nt_mergeq_out(&m, UINT64_MAX);
	CHECK_EQ_INT(o.n, 200);
	for (int i = 1; i < 200; i++)
		CHECK(o.ts[i] >= o.ts[i - 1]);
	CHECK_EQ_INT(m.late, 0);
	nt_mergeq_free(&m);
}

int main(void)
{
	RUN(time_order_ties_in_arrival_order);
	RUN(watermark_holds_later_records);
	RUN(late_record_written_and_counted);
	RUN(full_queue_writes_oldest_first);
	RUN(many_records_stay_sorted);
	TEST_EXIT();
}
