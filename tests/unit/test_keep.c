// SPDX-License-Identifier: GPL-2.0
/* test_keep.c - nft-record/keep.c on its own: --keep parsing (one-line
 * errors), and the engine over samples/basic.ntl (8 known packets, 3 dropped):
 * the kept records are exactly the whole journeys of the matching packets (as
 * the analyzer's model collects them from the full log), counters seen / kept
 * / discarded / cut, a full per-packet buffer keeps the newest records and the
 * first META, chain definitions and losses pass through. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/records.h"
#include "formats/logr.h"
#include "model/model.h"
#include "nft-record/keep.h"
#include "tests/unit/nt_test.h"

#define LOG "samples/basic.ntl"

struct buf {
	uint8_t *d;
	size_t len, cap;
	int nrec, npass, ncount;
	int njcut;            /* COUNT NT_CNT_KEEP_JCUT written */
	uint64_t jcut[8], jcut_skb[8];
	size_t jcut_at[8];    /* output offset (the journey's records follow) */
};

static void put(struct buf *b, const void *rec, size_t len)
{
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2 + 4096;
		b->d = realloc(b->d, b->cap);
	}
	memcpy(b->d + b->len, rec, len);
	b->len += len;
	b->nrec++;
}

/* the engine's output, without the pass-through records (CHAINDEF, LOSS) */
static int on_write(void *ctx, const void *rec, size_t len)
{
	struct buf *b = ctx;
	const struct nt_ev_hdr *h = rec;

	if (h->type == NT_EV_NFT_CHAINDEF || h->type == NT_EV_LOSS) {
		b->npass++;
		return 0;
	}
	if (h->type == NT_EV_COUNT && ((const struct nt_ev_count *)rec)->counter == NT_CNT_KEEP_JCUT) {
		if (b->njcut < 8) {
			b->jcut[b->njcut] = ((const struct nt_ev_count *)rec)->value;
			b->jcut_skb[b->njcut] = h->skb;
			b->jcut_at[b->njcut] = b->len;
		}
		b->njcut++;
		return 0;
	}
	if (h->type == NT_EV_COUNT) {
		b->ncount++;
		return 0;
	}
	put(b, rec, len);
	return 0;
}

/* Run the keep engine with EXPR (and per-packet bytes PB) over the sample. */
static struct nt_keep *run(const char *expr, size_t pb, struct buf *out)
{
	static struct nt_keep_expr e;
	char err[256];
	struct ntl_reader *rd;
	struct ntl_item it;
	struct nt_keep *k;

	if (nt_keep_parse(&e, expr, err, sizeof(err)) || ntl_reader_open(&rd, LOG, NULL))
		return NULL;
	k = nt_keep_new(&(struct nt_keep_opts){ .sz = sizeof(struct nt_keep_opts), .expr = &e,
						.pkt_bytes = pb, .write = on_write, .ctx = out });
	while (k && ntl_reader_next(rd, &it) == NTL_OK) {
		if (it.kind == NTL_ITEM_META)
			nt_keep_meta(k, it.type, it.data, it.len);
		else
			nt_keep_record(k, it.data, it.len);
	}
	if (k)
		nt_keep_finish(k);
	ntl_reader_close(rd);
	return k;
}

/* The records of the packets whose VERDICT (or drop) matches, from the full log,
 * in order of completion: what the analyzer's model collects. */
static struct buf *want_drop;
static void want_cb(void *ctx, const struct nt_packet *p)
{
	if (p->dropped || p->verdict == NT_V_DROP)
		put(want_drop, p->ev, p->ev_len);
	(void)ctx;
}

static void expected(struct buf *w)
{
	struct ntl_reader *rd;
	struct ntl_item it;
	struct nt_model *m = nt_model_new(&(struct nt_model_opts){
		.sz = sizeof(struct nt_model_opts), .keep_events = 1, .on_packet = want_cb });

	want_drop = w;
	ntl_reader_open(&rd, LOG, NULL);
	while (ntl_reader_next(rd, &it) == NTL_OK) {
		if (it.kind == NTL_ITEM_META)
			nt_model_meta(m, it.type, it.data, it.len);
		else
			nt_model_event(m, it.data, it.len);
	}
	nt_model_finish(m);
	nt_model_free(m);
	ntl_reader_close(rd);
}

TEST(parse_predicates)
{
	struct nt_keep_expr e;
	char err[256];

	CHECK_EQ_INT(nt_keep_parse(&e, "drop,verdict=accept,rule=web:inet/filter/input/7,slow=1.5ms,func=ip_rcv",
				   err, sizeof(err)), 0);
	CHECK_EQ_INT(e.n, 5);
	CHECK_EQ_INT(e.p[0].kind, NT_KEEP_DROP);
	CHECK_EQ_INT(e.p[1].verdict, NT_V_ACCEPT);
	CHECK_EQ_STR(e.p[2].netns_name, "web");
	CHECK_EQ_STR(e.p[2].table, "filter");
	CHECK_EQ_STR(e.p[2].chain, "input");
	CHECK_EQ_INT(e.p[2].handle, 7);
	CHECK_EQ_INT(e.p[2].family, 1); /* NFPROTO_INET */
	CHECK_EQ_INT(e.p[3].slow_ns, 1500000);
	CHECK_EQ_STR(e.p[4].func, "ip_rcv");
	CHECK_EQ_INT(nt_keep_parse(&e, "rule=inet/filter/input/7", err, sizeof(err)), 0);
	CHECK_EQ_STR(e.p[0].netns_name, "");
}

TEST(parse_errors_one_line)
{
	struct nt_keep_expr e;
	char err[256];

	CHECK(nt_keep_parse(&e, "slow=5", err, sizeof(err)) < 0);
	CHECK_EQ_STR(err, "--keep: 'slow=5': expected a duration like 500us, 10ms or 1s");
	CHECK(nt_keep_parse(&e, "verdict=maybe", err, sizeof(err)) < 0);
	CHECK_EQ_STR(err, "--keep: 'verdict=maybe': expected a verdict: accept, drop, stolen, queue, repeat, stop or none");
	CHECK(nt_keep_parse(&e, "rule=filter/input/7", err, sizeof(err)) < 0);
	CHECK_EQ_STR(err, "--keep: 'rule=filter/input/7': expected [NETNS:]FAMILY/TABLE/CHAIN/HANDLE, e.g. inet/filter/input/7");
	CHECK(nt_keep_parse(&e, "dropped", err, sizeof(err)) < 0);
	CHECK_EQ_STR(err, "--keep: unknown predicate 'dropped' (drop, verdict=V, rule=[NETNS:]FAMILY/TABLE/CHAIN/HANDLE, slow=DURATION, func=NAME)");
	CHECK(nt_keep_parse(&e, "", err, sizeof(err)) < 0);
	CHECK(strchr(err, '\n') == NULL);
}

TEST(keep_drop_writes_exactly_the_dropped_journeys)
{
	struct buf out = { 0 }, want = { 0 };
	struct nt_keep *k = run("drop", 0, &out);
	const struct nt_keep_stats *st;

	CHECK(k);
	expected(&want);
	st = nt_keep_stats(k);
	CHECK_EQ_INT(st->seen, 8);
	CHECK_EQ_INT(st->kept, 3);
	CHECK_EQ_INT(st->discarded, 5);
	CHECK_EQ_INT(st->cut, 0);
	CHECK_EQ_INT(st->open, 0);
	CHECK_EQ_INT(st->bytes, 0);
	CHECK(want.len > 0);
	CHECK_EQ_INT(out.len, want.len);
	CHECK(!memcmp(out.d, want.d, want.len));
	CHECK(out.npass >= 2); /* chain definitions, losses */
	CHECK_EQ_INT(out.ncount, 0);
	nt_keep_free(k);
	free(out.d);
	free(want.d);
}

TEST(keep_other_predicates)
{
	struct buf out = { 0 };
	struct nt_keep *k;

	k = run("verdict=accept", 0, &out);      /* packets 1, 3, 4, 7 */
	CHECK(k);
	CHECK_EQ_INT(nt_keep_stats(k)->kept, 4);
	nt_keep_free(k);
	k = run("func=udp_rcv", 0, &out);        /* packets 3, 8 */
	CHECK_EQ_INT(nt_keep_stats(k)->kept, 2);
	nt_keep_free(k);
	k = run("rule=inet/filter/input/8", 0, &out); /* packet 5 */
	CHECK_EQ_INT(nt_keep_stats(k)->kept, 1);
	nt_keep_free(k);
	k = run("rule=inet/filter/input/9", 0, &out);
	CHECK_EQ_INT(nt_keep_stats(k)->kept, 0);
	nt_keep_free(k);
	k = run("slow=19us", 0, &out);            /* packet 1: 20 µs; 8: inferred free 30 µs */
	CHECK(nt_keep_stats(k)->kept >= 1);
	CHECK_EQ_INT(nt_keep_stats(k)->seen, 8);
	nt_keep_free(k);
	k = run("slow=1s", 0, &out);
	CHECK_EQ_INT(nt_keep_stats(k)->kept, 0);
	nt_keep_free(k);
	free(out.d);
}

TEST(full_buffer_keeps_newest_and_first_meta)
{
	struct buf out = { 0 };
	struct nt_keep *k = run("drop", 2 + 96 + 3 * 26, &out); /* the META and 2 more records */
	const struct nt_ev_hdr *h;
	int metas = 0, last_drop = 0;

	CHECK(k);
	CHECK_EQ_INT(nt_keep_stats(k)->kept, 3);
	CHECK(nt_keep_stats(k)->cut > 0);
	CHECK_EQ_INT(out.ncount, 3); /* one cut counter before each cut journey */
	CHECK_EQ_INT(out.njcut, 3);  /* and its own count */
	CHECK(out.jcut[0] && out.jcut[1] && out.jcut[2]); /* the kept ones' share of the cut */
	CHECK(out.jcut[0] + out.jcut[1] + out.jcut[2] <= nt_keep_stats(k)->cut);
	for (size_t o = 0; o < out.len; o += nt_ev_size(h->type)) {
		h = (const void *)(out.d + o);
		metas += h->type == NT_EV_META;
		last_drop = h->type == NT_EV_DROP;
	}
	CHECK_EQ_INT(metas, 3);    /* every kept journey still names its flow */
	CHECK(last_drop);          /* the newest record (the drop) is kept */
	nt_keep_free(k);
	free(out.d);
}


/* Records the model holds until it knows their packet, then gives it: the
 * META and hop of a locally built skb before its IP header, an nft chain's
 * exit after the chain freed the dropped skb (6.12: the dropped packet's
 * after-free record, in no journey).  The kept journeys are the model's, record
 * for record (on_record), and a packet without IP metadata leaves nothing. */
static void held_put(struct buf *b, int type, uint64_t ts, uint64_t skb, int l3, uint16_t ip_id)
{
	union {
		struct nt_ev_hdr h;
		struct nt_ev_meta m;
		struct nt_ev_drop d;
		struct nt_ev_nft_chain c;
	} r;
	size_t len = sizeof(r.h);

	memset(&r, 0, sizeof(r));
	r.h.type = (uint8_t)type;
	r.h.ts_ns = ts;
	r.h.skb = skb;
	if (type == NT_EV_META) {
		r.m.l3 = (uint8_t)l3;
		if (l3 == NT_L3_IPV4) {
			r.m.ethertype = 0x0800;
			r.m.l4proto = 1;
			r.m.saddr[0] = 10, r.m.daddr[0] = 10, r.m.daddr[3] = 2;
			r.m.ip_id = ip_id;
		}
		r.m.len = 84;
		len = sizeof(r.m);
	} else if (type == NT_EV_DROP) {
		r.d.reason = 2;
		len = sizeof(r.d);
	} else if (type == NT_EV_NFT_CHAIN) {
		r.c.chain_key = 0x1234;
		r.c.verdict = NT_V_STOLEN;
		r.c.phase = NT_CHAIN_EXIT;
		len = sizeof(r.c);
	}
	put(b, &r, len);
}

static struct buf held_want;
static void held_cb(void *ctx, const struct nt_packet *p)
{
	if (p->dropped || p->verdict == NT_V_DROP)
		put(&held_want, p->ev, p->ev_len);
	(void)ctx;
}

TEST(keep_takes_records_the_model_held)
{
	static struct nt_keep_expr e;
	struct buf in = { 0 }, out = { 0 };
	const uint64_t X = 0xffff888000001000ull, Y = 0xffff888000002000ull;
	char err[256];
	struct nt_keep *k;
	struct nt_model *m;
	size_t off;

	held_put(&in, NT_EV_META, 1000, Y, NT_L3_NONE, 0); /* not IP: no journey */
	held_put(&in, NT_EV_FUNC, 1100, Y, 0, 0);
	held_put(&in, NT_EV_FREE, 1200, Y, 0, 0);
	held_put(&in, NT_EV_META, 2000, X, NT_L3_NONE, 0); /* before its IP header */
	held_put(&in, NT_EV_FUNC, 2100, X, 0, 0);
	held_put(&in, NT_EV_META, 2200, X, NT_L3_IPV4, 1);
	held_put(&in, NT_EV_FUNC, 2300, X, 0, 0);
	held_put(&in, NT_EV_DROP, 2400, X, 0, 0);
	held_put(&in, NT_EV_NFT_CHAIN, 2500, X, 0, 0); /* after its free */
	held_put(&in, NT_EV_META, 3000, X, NT_L3_IPV4, 2);
	held_put(&in, NT_EV_FUNC, 3100, X, 0, 0);
	held_put(&in, NT_EV_DROP, 3200, X, 0, 0);
	CHECK(!nt_keep_parse(&e, "drop", err, sizeof(err)));
	k = nt_keep_new(&(struct nt_keep_opts){ .sz = sizeof(struct nt_keep_opts), .expr = &e,
						.write = on_write, .ctx = &out });
	m = nt_model_new(&(struct nt_model_opts){ .sz = sizeof(struct nt_model_opts), .keep_events = 1,
						  .on_packet = held_cb });
	CHECK(k && m);
	for (off = 0; off < in.len; off += nt_ev_len((const void *)(in.d + off))) {
		nt_keep_record(k, in.d + off, nt_ev_len((const void *)(in.d + off)));
		nt_model_event(m, in.d + off, nt_ev_len((const void *)(in.d + off)));
	}
	nt_keep_finish(k);
	nt_model_finish(m);
	CHECK_EQ_INT(nt_keep_stats(k)->kept, 2);
	CHECK_EQ_INT(nt_keep_stats(k)->open, 0);
	CHECK_EQ_INT(nt_keep_stats(k)->bytes, 0);
	/* the model's journeys: 5 records, then 3 (the chain exit after the
	 * first one's free is in neither) */
	CHECK_EQ_INT(held_want.nrec, 2);
	CHECK_EQ_INT(out.nrec, 8);
	CHECK_EQ_INT(out.len, held_want.len);
	CHECK(!memcmp(out.d, held_want.d, held_want.len));
	nt_keep_free(k);
	nt_model_free(m);
	free(in.d);
	free(out.d);
	free(held_want.d);
}

/* A COUNT NT_CNT_KEEP_JCUT given to the engine (the recorder's replay of a
 * kernel buffer that lost records) goes to that skb's packet: its journey is
 * written with one JCUT of that count (plus the engine's own cuts, none
 * here) right before it; the analyzer's model reads it back into that packet
 * only (nt_packet.keep_cut); a discarded packet's count writes nothing. */
static uint64_t jcut_seen[4];
static int njcut_seen;
static void jcut_cb(void *ctx, const struct nt_packet *p)
{
	if (njcut_seen < 4)
		jcut_seen[njcut_seen++] = p->keep_cut;
	(void)ctx;
}

TEST(kernel_cut_count_reaches_its_journey)
{
	static struct nt_keep_expr e;
	struct buf in = { 0 }, out = { 0 };
	const uint64_t X = 0xffff888000001000ull, Y = 0xffff888000002000ull, Z = 0xffff888000003000ull;
	struct nt_ev_count c = { .h = { .type = NT_EV_COUNT, .cpu = 0xffff }, .counter = NT_CNT_KEEP_JCUT };
	char err[256];
	struct nt_keep *k;
	struct nt_model *m;
	size_t off;

	held_put(&in, NT_EV_META, 1000, X, NT_L3_IPV4, 1);
	c.h.ts_ns = 1000, c.h.skb = X, c.value = 40;
	put(&in, &c, sizeof(c));
	held_put(&in, NT_EV_FUNC, 1100, X, 0, 0);
	held_put(&in, NT_EV_META, 1150, Z, NT_L3_IPV4, 3); /* discarded, cut 5 */
	c.h.ts_ns = 1150, c.h.skb = Z, c.value = 5;
	put(&in, &c, sizeof(c));
	held_put(&in, NT_EV_FREE, 1160, Z, 0, 0);
	held_put(&in, NT_EV_DROP, 1200, X, 0, 0);
	held_put(&in, NT_EV_META, 2000, Y, NT_L3_IPV4, 2); /* kept, not cut */
	held_put(&in, NT_EV_DROP, 2100, Y, 0, 0);
	CHECK(!nt_keep_parse(&e, "drop", err, sizeof(err)));
	k = nt_keep_new(&(struct nt_keep_opts){ .sz = sizeof(struct nt_keep_opts), .expr = &e,
						.write = on_write, .ctx = &out });
	CHECK(k);
	for (off = 0; off < in.len; off += nt_ev_len((const void *)(in.d + off)))
		nt_keep_record(k, in.d + off, nt_ev_len((const void *)(in.d + off)));
	nt_keep_finish(k);
	CHECK_EQ_INT(nt_keep_stats(k)->kept, 2);
	CHECK_EQ_INT(nt_keep_stats(k)->discarded, 1);
	CHECK_EQ_INT(out.njcut, 1);
	CHECK_EQ_INT(out.jcut[0], 40);
	CHECK_EQ_INT(out.jcut_skb[0], X);
	CHECK_EQ_INT(out.jcut_at[0], 0); /* before X's journey, the first written */
	CHECK_EQ_INT(out.nrec, 5);       /* META FUNC DROP, META DROP: no COUNT among them */
	/* the analyzer's model over what was written, the JCUT before its journey */
	m = nt_model_new(&(struct nt_model_opts){ .sz = sizeof(struct nt_model_opts), .on_packet = jcut_cb });
	CHECK(m);
	c.h.ts_ns = 1000, c.h.skb = X, c.value = 40;
	nt_model_event(m, &c, sizeof(c));
	for (off = 0; off < out.len; off += nt_ev_len((const void *)(out.d + off)))
		nt_model_event(m, out.d + off, nt_ev_len((const void *)(out.d + off)));
	nt_model_finish(m);
	CHECK_EQ_INT(njcut_seen, 2);
	CHECK_EQ_INT(jcut_seen[0], 40);
	CHECK_EQ_INT(jcut_seen[1], 0);
	nt_keep_free(k);
	nt_model_free(m);
	free(in.d);
	free(out.d);
}

static int traced_icmp(const void *ctx, const char *name)
{
	(void)ctx;
	return !strcmp(name, "icmp_rcv");
}

/* Where the packets are judged (nt_keep_kernel_why_not): the kernel only
 * when every predicate's records come from BPF, the nftables steps included:
 * not on a kernel whose nf_tables has no BTF (5.10), nor when the nftables
 * probes failed to load or attach on one that has it (nft steps from
 * netlink: the kernel would judge rule= / verdict= on nothing and hand over
 * journeys without their nft steps) */
TEST(kernel_or_user_decision)
{
	struct nt_keep_expr e;
	struct nt_keep_kfacts f = { .keep_kernel = 1, .functions = 1, .nft_btf = 1,
				    .traced = traced_icmp };
	char err[256], buf[300];
	const char *why;

	CHECK_EQ_INT(nt_keep_parse(&e, "rule=inet/t/in/7,verdict=drop,func=icmp_rcv", err, sizeof(err)), 0);
	CHECK(nt_keep_kernel_why_not(&e, &f, buf, sizeof(buf)) == NULL);
	f.nft_failed = "nt_nft_do_chain not attached: Operation not supported";
	why = nt_keep_kernel_why_not(&e, &f, buf, sizeof(buf));
	CHECK_EQ_STR(why, "the nftables probes failed: nt_nft_do_chain not attached: Operation not "
			  "supported; nft steps come from netlink");
	/* the same for any EXPR: drop (nft drop) too */
	CHECK_EQ_INT(nt_keep_parse(&e, "drop", err, sizeof(err)), 0);
	CHECK(nt_keep_kernel_why_not(&e, &f, buf, sizeof(buf)) != NULL);
	f.nft_failed = NULL;
	CHECK(nt_keep_kernel_why_not(&e, &f, buf, sizeof(buf)) == NULL);
	f.nft_btf = 0;
	CHECK_EQ_STR(nt_keep_kernel_why_not(&e, &f, buf, sizeof(buf)),
		     "nf_tables has no BTF on this kernel: nft steps come from netlink");
	f.nft_btf = 1;
	f.functions = 0;
	CHECK_EQ_STR(nt_keep_kernel_why_not(&e, &f, buf, sizeof(buf)),
		     "tracepoint mode: nft steps come from netlink");
	f.functions = 1;
	f.env_user = 1;
	CHECK_EQ_STR(nt_keep_kernel_why_not(&e, &f, buf, sizeof(buf)), "NT_KEEP_USER is set");
	f.env_user = 0;
	CHECK_EQ_INT(nt_keep_parse(&e, "func=tcp_v4_rcv", err, sizeof(err)), 0);
	CHECK_EQ_STR(nt_keep_kernel_why_not(&e, &f, buf, sizeof(buf)),
		     "func= names a function not traced by a probe");
	CHECK_EQ_INT(nt_keep_parse(&e, "verdict=none", err, sizeof(err)), 0);
	CHECK_EQ_STR(nt_keep_kernel_why_not(&e, &f, buf, sizeof(buf)), "verdict=none");
	f.keep_kernel = 0;
	CHECK_EQ_STR(nt_keep_kernel_why_not(&e, &f, buf, sizeof(buf)),
		     "the kernel-side keep is off: --keep-kernel");
}

int main(void)
{
	RUN(parse_predicates);
	RUN(parse_errors_one_line);
	RUN(keep_drop_writes_exactly_the_dropped_journeys);
	RUN(keep_other_predicates);
	RUN(full_buffer_keeps_newest_and_first_meta);
	RUN(keep_takes_records_the_model_held);
	RUN(kernel_cut_count_reaches_its_journey);
	RUN(kernel_or_user_decision);
	TEST_EXIT();
}
