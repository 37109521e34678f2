// SPDX-License-Identifier: GPL-2.0
/* test_corr.c - nft-record/corr.c on its own (no BPF, no kernel): nftrace
 * messages become NT_EV_NFT_RULE records tied to the skb of the BPF META
 * record of the same packet, per packet and exactly. */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "common/records.h"
#include "nft-record/corr.h"
#include "tests/unit/nt_test.h"

#define MAXREC 32

struct sink {
	uint8_t rec[MAXREC][176];
	size_t len[MAXREC];
	int n;
};

static int emit(void *ctx, const void *rec, size_t len)
{
	struct sink *s = ctx;

	if (s->n < MAXREC) {
		memcpy(s->rec[s->n], rec, len);
		s->len[s->n++] = len;
	}
	return 0;
}

/* filter input is a base chain (hook input), everything else regular */
static int chain(void *ctx, uint32_t netns, uint8_t family, const char *table, const char *chain,
		 struct nt_ev_nft_chaindef *def)
{
	if (strcmp(table, "t"))
		return -1;
	def->base = !strcmp(chain, "input");
	def->hook = def->base ? 1 : NT_HOOK_NONE;
	return 0;
}

static struct nt_corr *mk(struct sink *s)
{
	struct nt_corr_opts o = { .sz = sizeof(o), .own_table = "nft_record_1", .chain = chain,
				  .emit = emit, .ctx = s };
	struct nt_corr *c = NULL;

	memset(s, 0, sizeof(*s));
	return nt_corr_new(&o, &c) ? NULL : c;
}

static struct nt_ev_meta meta4(uint64_t skb, uint64_t ts, uint8_t a, uint8_t b, uint16_t sport,
			       uint16_t dport, uint16_t ip_id, uint32_t seq)
{
	struct nt_ev_meta m;

	memset(&m, 0, sizeof(m));
	m.h.type = NT_EV_META;
	m.h.skb = skb;
	m.h.ts_ns = ts;
	m.l3 = NT_L3_IPV4;
	m.l4proto = 6;
	m.saddr[0] = 10, m.saddr[3] = a;
	m.daddr[0] = 10, m.daddr[3] = b;
	m.sport = sport;
	m.dport = dport;
	m.ip_id = ip_id;
	m.l4_extra = seq;
	return m;
}

static struct nt_trace_msg msg(uint32_t id, uint64_t ts, const char *table, const char *ch,
			       uint64_t handle, int32_t verdict)
{
	struct nt_trace_msg t;

	memset(&t, 0, sizeof(t));
	t.id = id;
	t.ts_ns = ts;
	t.type = NT_RULE_KIND_RULE;
	t.verdict = verdict;
	t.rule_handle = handle;
	t.family = 2;
	t.netns = 4026531840u;
	snprintf(t.table, sizeof(t.table), "%s", table);
	snprintf(t.chain, sizeof(t.chain), "%s", ch);
	return t;
}

static void with_pkt(struct nt_trace_msg *t, const struct nt_ev_meta *m)
{
	t->flags |= NT_TRACE_HAS_PKT;
	t->l3 = m->l3;
	t->l4proto = m->l4proto;
	t->sport = m->sport;
	t->dport = m->dport;
	t->ip_id = m->ip_id;
	t->l4_extra = m->l4_extra;
	memcpy(t->saddr, m->saddr, 16);
	memcpy(t->daddr, m->daddr, 16);
}

static const struct nt_ev_nft_rule *rule_at(const struct sink *s, int i)
{
	return (const void *)s->rec[i];
}

TEST(same_headers_correlate_to_the_meta_skb)
{
	struct sink s;
	struct nt_corr *c = mk(&s);
	struct nt_ev_meta m = meta4(0xa1, 1000000000, 1, 2, 40000, 22, 7, 1234);
	struct nt_ev_meta other = meta4(0xb2, 1000000100, 3, 4, 40001, 80, 9, 99);
	struct nt_trace_msg t = msg(0x11, 1000000500, "t", "input", 4, NT_V_ACCEPT);
	struct nt_corr_stats st;

	CHECK(c);
	nt_corr_meta(c, &other);
	nt_corr_meta(c, &m);
	with_pkt(&t, &m);
	nt_corr_push(c, &t);
	CHECK_EQ_INT(nt_corr_flush(c, 0, 0, 1), 1);
	/* CHAINDEF of (netns, ip, t, input) first, then the rule */
	CHECK_EQ_INT(s.n, 2);
	CHECK_EQ_INT(s.rec[0][0], NT_EV_NFT_CHAINDEF);
	CHECK_EQ_INT(((const struct nt_ev_nft_chaindef *)s.rec[0])->chain_key,
		     nt_chain_key(4026531840u, 2, "t", "input"));
	CHECK_EQ_INT(rule_at(&s, 1)->h.type, NT_EV_NFT_RULE);
	CHECK_EQ_INT(rule_at(&s, 1)->h.skb, 0xa1);
	CHECK_EQ_INT(rule_at(&s, 1)->h.ts_ns, 1000000500);
	CHECK_EQ_INT(rule_at(&s, 1)->h.flags & NT_F_UNCORRELATED, 0);
	CHECK_EQ_INT(rule_at(&s, 1)->rule_handle, 4);
	CHECK_EQ_INT(rule_at(&s, 1)->verdict, NT_V_ACCEPT);
	CHECK_EQ_INT(rule_at(&s, 1)->trace_id, 0x11);
	CHECK_EQ_INT(rule_at(&s, 1)->hook, 1);
	CHECK_EQ_INT(rule_at(&s, 1)->depth, 0);
	nt_corr_get_stats(c, &st);
	CHECK_EQ_INT(st.msgs, 1);
	CHECK_EQ_INT(st.correlated, 1);
	CHECK_EQ_INT(st.uncorrelated, 0);
	nt_corr_free(c);
}

TEST(nat_changes_addresses_ip_id_and_seq_still_match)
{
	struct sink s;
	struct nt_corr *c = mk(&s);
	struct nt_ev_meta m = meta4(0xc3, 2000000000, 1, 2, 40000, 22, 77, 5555);
	struct nt_ev_meta natted = meta4(0, 0, 9, 2, 1024, 22, 77, 5555); /* SNAT: new source */
	struct nt_trace_msg t = msg(0x22, 2000000300, "t", "input", 5, NT_V_DROP);

	CHECK(c);
	nt_corr_meta(c, &m);
	with_pkt(&t, &natted);
	nt_corr_push(c, &t);
	nt_corr_flush(c, 0, 0, 1);
	CHECK_EQ_INT(s.n, 2);
	CHECK_EQ_INT(rule_at(&s, 1)->h.skb, 0xc3);
	CHECK_EQ_INT(rule_at(&s, 1)->verdict, NT_V_DROP);
	nt_corr_free(c);
}

TEST(no_match_is_uncorrelated_and_counted)
{
	struct sink s;
	struct nt_corr *c = mk(&s);
	struct nt_ev_meta m = meta4(0xd4, 3000000000, 1, 2, 40000, 22, 1, 1);
	struct nt_ev_meta far = meta4(0, 0, 5, 6, 1, 2, 3, 4);
	struct nt_trace_msg t = msg(0x33, 3000000001, "t", "input", 4, NT_V_ACCEPT);
	struct nt_corr_stats st;

	CHECK(c);
	nt_corr_meta(c, &m);
	with_pkt(&t, &far);
	nt_corr_push(c, &t);
	nt_corr_flush(c, 0, 0, 1);
	CHECK_EQ_INT(s.n, 2);
	CHECK_EQ_INT(rule_at(&s, 1)->h.skb, 0);
	CHECK(rule_at(&s, 1)->h.flags & NT_F_UNCORRELATED);
	nt_corr_get_stats(c, &st);
	CHECK_EQ_INT(st.uncorrelated, 1);
	CHECK_EQ_INT(st.correlated, 0);
	nt_corr_free(c);
}

static int left_out_port(void *ctx, const struct nt_trace_msg *m)
{
	return m->dport == *(const uint16_t *)ctx; /* "the filter left this port out" */
}

TEST(with_a_capture_filter_unmatched_steps_are_counted_not_written)
{
	struct sink s;
	struct nt_corr_opts o = { .sz = sizeof(o), .own_table = "nft_record_1", .chain = chain,
				  .emit = emit, .ctx = &s, .left_out = left_out_port };
	struct nt_corr *c = NULL;
	uint16_t out_port = 9;
	struct nt_ev_meta kept = meta4(0xa7, 3000000000, 1, 2, 40000, 22, 1, 1);
	struct nt_ev_meta left = meta4(0, 0, 1, 2, 40001, 9, 2, 2);
	struct nt_ev_meta unsure = meta4(0, 0, 1, 2, 40002, 7, 3, 3);
	struct nt_trace_msg a = msg(0x71, 3000000001, "t", "input", 4, NT_V_ACCEPT);
	struct nt_trace_msg b = msg(0x72, 3000000002, "t", "input", 4, NT_V_ACCEPT);
	struct nt_trace_msg b2 = msg(0x72, 3000000003, "t", "input", 5, NT_V_DROP);
	struct nt_trace_msg d = msg(0x73, 3000000004, "t", "input", 4, NT_V_ACCEPT);
	struct nt_trace_msg other = msg(0x74, 3000000005, "nft_record_99", "pre", 1, NT_V_CONTINUE);
	struct nt_corr_stats st;

	memset(&s, 0, sizeof(s));
	o.left_out_ctx = &out_port;
	CHECK(!nt_corr_new(&o, &c));
	nt_corr_meta(c, &kept);
	with_pkt(&a, &kept);
	with_pkt(&b, &left);
	with_pkt(&d, &unsure);
	nt_corr_push(c, &a);
	nt_corr_push(c, &b);
	nt_corr_push(c, &b2); /* same run as b: follows its decision */
	nt_corr_push(c, &d);
	nt_corr_push(c, &other); /* another recorder's table */
	nt_corr_flush(c, 0, 0, 1);
	CHECK_EQ_INT(s.n, 2); /* CHAINDEF + the kept packet's rule */
	CHECK_EQ_INT(rule_at(&s, 1)->h.skb, 0xa7);
	nt_corr_get_stats(c, &st);
	CHECK_EQ_INT(st.correlated, 1);
	CHECK_EQ_INT(st.uncorrelated, 0);
	CHECK_EQ_INT(st.filtered, 2);
	CHECK_EQ_INT(st.unmatched, 1);
	CHECK_EQ_INT(st.own, 1);
	nt_corr_free(c);
}

TEST(outside_the_2s_window_no_match)
{
	struct sink s;
	struct nt_corr *c = mk(&s);
	struct nt_ev_meta m = meta4(0xe5, 1000000000, 1, 2, 40000, 22, 1, 1);
	struct nt_trace_msg t = msg(0x44, 3000000001ull + 1000, "t", "input", 4, NT_V_ACCEPT);

	CHECK(c);
	nt_corr_meta(c, &m);
	with_pkt(&t, &m);
	nt_corr_push(c, &t);
	nt_corr_flush(c, 0, 0, 1);
	CHECK_EQ_INT(rule_at(&s, 1)->h.skb, 0);
	nt_corr_free(c);
}

TEST(later_messages_of_a_run_follow_the_trace_id_and_jump_depth)
{
	struct sink s;
	struct nt_corr *c = mk(&s);
	struct nt_ev_meta m = meta4(0xf6, 4000000000, 1, 2, 40000, 22, 1, 1);
	struct nt_trace_msg a = msg(0x55, 4000000010, "t", "input", 4, NT_V_JUMP);
	struct nt_trace_msg b = msg(0x55, 4000000020, "t", "sub", 9, NT_V_DROP);

	CHECK(c);
	snprintf(a.target, sizeof(a.target), "sub");
	nt_corr_meta(c, &m);
	with_pkt(&a, &m);
	nt_corr_push(c, &a);
	nt_corr_push(c, &b);
	CHECK_EQ_INT(nt_corr_flush(c, 0, 0, 1), 2);
	/* CHAINDEF input, CHAINDEF sub (jump target), RULE jump, CHAINDEF... no:
	 * sub is already defined by the target; RULE drop */
	CHECK_EQ_INT(s.n, 4);
	CHECK_EQ_INT(s.rec[0][0], NT_EV_NFT_CHAINDEF);
	CHECK_EQ_INT(s.rec[1][0], NT_EV_NFT_CHAINDEF);
	CHECK_EQ_INT(rule_at(&s, 2)->verdict, NT_V_JUMP);
	CHECK_EQ_INT(rule_at(&s, 2)->target_key, nt_chain_key(4026531840u, 2, "t", "sub"));
	CHECK_EQ_INT(rule_at(&s, 2)->depth, 0);
	CHECK_EQ_INT(rule_at(&s, 3)->h.skb, 0xf6);
	CHECK_EQ_INT(rule_at(&s, 3)->depth, 1);
	CHECK_EQ_INT(rule_at(&s, 3)->rule_handle, 9);
	nt_corr_free(c);
}

TEST(own_table_messages_are_not_recorded)
{
	struct sink s;
	struct nt_corr *c = mk(&s);
	struct nt_trace_msg t = msg(0x66, 5000000000, "nft_record_1", "pre", 2, NT_V_CONTINUE);
	struct nt_corr_stats st;

	CHECK(c);
	nt_corr_push(c, &t);
	nt_corr_flush(c, 0, 0, 1);
	CHECK_EQ_INT(s.n, 0);
	nt_corr_get_stats(c, &st);
	CHECK_EQ_INT(st.own, 1);
	CHECK_EQ_INT(st.rules, 0);
	nt_corr_free(c);
}

TEST(end_of_base_chain_marker_is_dropped_regular_chain_is_return)
{
	struct sink s;
	struct nt_corr *c = mk(&s);
	struct nt_trace_msg base = msg(0x77, 6000000000, "t", "input", 0, NT_V_CONTINUE);
	struct nt_trace_msg reg = msg(0x78, 6000000001, "t", "sub", 0, NT_V_CONTINUE);

	CHECK(c);
	nt_corr_push(c, &base);
	nt_corr_push(c, &reg);
	nt_corr_flush(c, 0, 0, 1);
	CHECK_EQ_INT(s.n, 2); /* CHAINDEF sub + RULE return */
	CHECK_EQ_INT(rule_at(&s, 1)->kind, NT_RULE_KIND_RETURN);
	nt_corr_free(c);
}

TEST(flush_waits_for_the_delay)
{
	struct sink s;
	struct nt_corr *c = mk(&s);
	struct nt_trace_msg t = msg(0x88, 7000000000, "t", "input", 4, NT_V_ACCEPT);
	struct timespec ts;
	uint64_t now;

	CHECK(c);
	nt_corr_push(c, &t);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	CHECK_EQ_INT(nt_corr_flush(c, now, 3600ull * 1000000000ull, 0), 0);
	CHECK_EQ_INT(s.n, 0);
	CHECK_EQ_INT(nt_corr_flush(c, now + NT_CORR_DELAY_NS, NT_CORR_DELAY_NS, 0), 1);
	CHECK_EQ_INT(s.n, 2);
	nt_corr_free(c);
}

int main(void)
{
	RUN(same_headers_correlate_to_the_meta_skb);
	RUN(nat_changes_addresses_ip_id_and_seq_still_match);
	RUN(no_match_is_uncorrelated_and_counted);
	RUN(with_a_capture_filter_unmatched_steps_are_counted_not_written);
	RUN(outside_the_2s_window_no_match);
	RUN(later_messages_of_a_run_follow_the_trace_id_and_jump_depth);
	RUN(own_table_messages_are_not_recorded);
	RUN(end_of_base_chain_marker_is_dropped_regular_chain_is_return);
	RUN(flush_waits_for_the_delay);
	TEST_EXIT();
}
