// SPDX-License-Identifier: GPL-2.0
/* test_bounds.c - the model tables bounded by the limits table
 * (common/limits.h) past the per-packet ones: kernel stacks (--max-stacks,
 * model/stacks.c) and conntrack histories (--max-ct-conns, model/ctconn.c),
 * each exactly at its bound and one past it: what is kept, what is counted,
 * the stderr line and the JSON "limits_hit". */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/limits.h"
#include "common/records.h"
#include "formats/ntlog.h"
#include "formats/stacks.h"
#include "model/model.h"
#include "tests/unit/nt_test.h"

static struct nt_model *mk(struct nt_limits *lim)
{
	struct nt_model_opts o = { .sz = sizeof(o), .keep_events = 1, .limits = lim };

	return nt_model_new(&o);
}

/* a block of stacks 1 .. N, stack i of I frames (1 .. NT_STACK_MAX_FRAMES) */
static size_t stacks_block(uint8_t *blk, size_t cap, uint32_t from, uint32_t n)
{
	uint64_t fr[NT_STACK_MAX_FRAMES];
	size_t len;

	for (unsigned int i = 0; i < NT_STACK_MAX_FRAMES; i++)
		fr[i] = 0xffffffff81000000ull + i;
	ntl_stacks_init(blk, cap, &len);
	for (uint32_t i = from; i < from + n; i++)
		if (ntl_stacks_add(blk, cap, &len, i, fr, 1 + (i - 1) % NT_STACK_MAX_FRAMES))
			return 0;
	return len;
}

TEST(stacks_exactly_at_the_limit)
{
	static uint8_t blk[1 << 20];
	struct nt_limits lim;
	struct nt_model *m;
	char buf[512];
	size_t len;
	uint32_t n;

	nt_limits_init(&lim);
	CHECK_EQ_INT(lim.max[NT_LIM_STACKS], 65536);
	CHECK_EQ_INT(nt_limits_set(&lim, NT_LIM_STACKS, "100", buf, sizeof(buf)), 0);
	/* 100 stacks with 100 allowed: all kept, nothing reached */
	m = mk(&lim);
	CHECK(m && (len = stacks_block(blk, sizeof(blk), 1, 100)));
	CHECK_EQ_INT(nt_model_meta(m, NTL_B_STACKS, (const char *)blk, len), 0);
	CHECK_EQ_INT(nt_limits_reached(nt_model_limits(m)), 0);
	CHECK(nt_model_stack(m, 100, &n) && n == 1 + 99 % NT_STACK_MAX_FRAMES);
	/* a redefinition is not a new stack: still nothing reached */
	CHECK_EQ_INT(nt_model_meta(m, NTL_B_STACKS, (const char *)blk, len), 0);
	CHECK_EQ_INT(nt_limits_reached(nt_model_limits(m)), 0);
	/* 3 more in a later block: 3 counted, the first 100 stay */
	CHECK((len = stacks_block(blk, sizeof(blk), 101, 3)));
	CHECK_EQ_INT(nt_model_meta(m, NTL_B_STACKS, (const char *)blk, len), 0);
	CHECK(nt_model_stack(m, 101, &n) == NULL && n == 0);
	CHECK(nt_model_stack(m, 1, &n) && n == 1);
	CHECK_EQ_INT(nt_model_totals(m)->stacks_dropped, 3);
	CHECK_EQ_INT(nt_model_limits(m)->hits[NT_LIM_STACKS], 3);
	nt_limits_message(nt_model_limits(m), buf, sizeof(buf));
	CHECK_EQ_STR(buf, "limit reached: kernel stacks (100): 3 kernel stacks not kept; raise it with "
			  "--max-stacks N");
	nt_limits_json(nt_model_limits(m), buf, sizeof(buf));
	CHECK_EQ_STR(buf, "[{\"limit\":\"stacks\",\"max\":100,\"count\":3,\"flag\":\"--max-stacks\"}]");
	nt_model_free(m);

	/* one past it inside one block (not a power of two: the array's
	 * capacity is larger than the limit) */
	lim.max[NT_LIM_STACKS] = 5;
	m = mk(&lim);
	CHECK(m && (len = stacks_block(blk, sizeof(blk), 1, 6)));
	CHECK_EQ_INT(nt_model_meta(m, NTL_B_STACKS, (const char *)blk, len), 0);
	CHECK(nt_model_stack(m, 5, &n) != NULL);
	CHECK(nt_model_stack(m, 6, &n) == NULL);
	CHECK_EQ_INT(nt_model_limits(m)->hits[NT_LIM_STACKS], 1);
	nt_model_free(m);

	/* the frames' bound: 64 per stack on average (max 2 stacks: 128
	 * frames); two stacks of 127 frames do not fit, the second is counted */
	lim.max[NT_LIM_STACKS] = 2;
	m = mk(&lim);
	CHECK(m);
	{
		uint64_t fr[NT_STACK_MAX_FRAMES] = { 0 };

		ntl_stacks_init(blk, sizeof(blk), &len);
		CHECK_EQ_INT(ntl_stacks_add(blk, sizeof(blk), &len, 1, fr, 100), 0);
		CHECK_EQ_INT(ntl_stacks_add(blk, sizeof(blk), &len, 2, fr, 100), 0);
	}
	CHECK_EQ_INT(nt_model_meta(m, NTL_B_STACKS, (const char *)blk, len), 0);
	CHECK(nt_model_stack(m, 1, &n) && n == 100);
	CHECK(nt_model_stack(m, 2, &n) == NULL);
	CHECK_EQ_INT(nt_model_limits(m)->hits[NT_LIM_STACKS], 1);
	nt_model_free(m);
}

static const struct nt_packet *meta(struct nt_model *m, uint64_t skb, uint64_t ts)
{
	struct nt_ev_meta mm = { .h = { .type = NT_EV_META, .ts_ns = ts, .skb = skb },
				 .ethertype = 0x0800, .l3 = NT_L3_IPV4, .l4proto = 6, .sport = 1000, .dport = 80,
				 .saddr = { 10, 0, 0, 1 }, .daddr = { 10, 0, 0, 2 } };

	return nt_model_event(m, &mm, sizeof(mm));
}

static void ct(struct nt_model *m, uint64_t skb, uint64_t ts, uint64_t conn, uint8_t state)
{
	struct nt_ev_ct c = { .h = { .type = NT_EV_CT, .ts_ns = ts, .skb = skb, .id = 1 },
			      .ct_addr = conn, .have = NT_CT_HAVE_ADDR | NT_CT_HAVE_STATE, .state = state };

	nt_model_event(m, &c, sizeof(c));
}

TEST(ct_conns_exactly_at_the_limit)
{
	struct nt_ev_ct q = { .have = NT_CT_HAVE_ADDR | NT_CT_HAVE_STATE };
	uint8_t st[8];
	uint64_t pk[8];
	struct nt_limits lim;
	struct nt_model *m;
	char buf[512];

	nt_limits_init(&lim);
	CHECK_EQ_INT(lim.max[NT_LIM_CT_CONNS], 65536);
	lim.max[NT_LIM_CT_CONNS] = 300; /* past the first allocation (256), not a power of two */
	m = mk(&lim);
	CHECK(m && meta(m, 0x1000, 1000));
	for (uint64_t i = 0; i < 300; i++)
		ct(m, 0x1000, 1001 + i, 0xffff888000000000ull + i * 256, NT_CT_STATE_NEW);
	/* a known connection's later states are kept at the limit */
	ct(m, 0x1000, 2000, 0xffff888000000000ull, NT_CT_STATE_ESTABLISHED);
	CHECK_EQ_INT(nt_limits_reached(nt_model_limits(m)), 0);
	q.ct_addr = 0xffff888000000000ull;
	CHECK_EQ_INT(nt_model_ct_history(m, &q, st, pk, 8), 2);
	CHECK(st[0] == NT_CT_STATE_NEW && st[1] == NT_CT_STATE_ESTABLISHED);
	/* connection 301: its two records are counted, it has no history */
	ct(m, 0x1000, 2001, 0xffff888100000000ull, NT_CT_STATE_NEW);
	ct(m, 0x1000, 2002, 0xffff888100000000ull, NT_CT_STATE_ESTABLISHED);
	q.ct_addr = 0xffff888100000000ull;
	CHECK_EQ_INT(nt_model_ct_history(m, &q, st, pk, 8), 0);
	q.ct_addr = 0xffff888000000000ull + 299 * 256;
	CHECK_EQ_INT(nt_model_ct_history(m, &q, st, pk, 8), 1);
	CHECK_EQ_INT(nt_model_totals(m)->ct_untracked, 2);
	CHECK_EQ_INT(nt_model_limits(m)->hits[NT_LIM_CT_CONNS], 2);
	nt_limits_message(nt_model_limits(m), buf, sizeof(buf));
	CHECK_EQ_STR(buf, "limit reached: conntrack connections followed (300): 2 conntrack records of "
			  "connections not followed; raise it with --max-ct-conns N");
	nt_limits_json(nt_model_limits(m), buf, sizeof(buf));
	CHECK_EQ_STR(buf, "[{\"limit\":\"ct_conns\",\"max\":300,\"count\":2,\"flag\":\"--max-ct-conns\"}]");
	nt_model_free(m);
}

TEST(new_rows_in_the_table)
{
	struct nt_limits l;
	char err[256];

	nt_limits_init(&l);
	CHECK_EQ_INT(l.max[NT_LIM_OBSERVATIONS], 4000000);
	CHECK_EQ_INT(nt_limit_by_flag("--max-stacks"), NT_LIM_STACKS);
	CHECK_EQ_INT(nt_limit_by_flag("--max-ct-conns"), NT_LIM_CT_CONNS);
	CHECK_EQ_INT(nt_limit_by_flag("--max-observations"), NT_LIM_OBSERVATIONS);
	CHECK_EQ_INT(nt_limits_set(&l, NT_LIM_OBSERVATIONS, "2M", err, sizeof(err)), 0);
	CHECK_EQ_INT(l.max[NT_LIM_OBSERVATIONS], 2000000);
	CHECK_EQ_INT(nt_limits_set(&l, NT_LIM_CT_CONNS, "0", err, sizeof(err)), -1);
	CHECK_EQ_STR(err, "--max-ct-conns: expected a count 1..2^40 (suffixes k M G T), got '0'");
}

int main(void)
{
	RUN(stacks_exactly_at_the_limit);
	RUN(ct_conns_exactly_at_the_limit);
	RUN(new_rows_in_the_table);
	TEST_EXIT();
}
