// SPDX-License-Identifier: GPL-2.0
/*
 * test_corr.c - nftrace correlation (nft-record/corr.c) on synthetic
 * sequences of BPF records and trace messages, as the ring buffer delivers
 * them: identical packets received as a list, NAT, locally generated packets
 * (lookahead, expiry), reuse of an skb address by the same flow (same trace
 * id), two CPUs interleaved, a reject's nested run, other recorders' tables,
 * runs whose first message was lost, the bridge family (no transport header),
 * IPv6 fragments.  Every emitted step is checked for its skb, in order.
 */
#include <stdio.h>
#include <string.h>

#include "common/records.h"
#include "nft-record/corr.h"
#include "tests/unit/nt_test.h"

#define MS 1000000ull

static struct nt_ev_nft_rule out[256];
static int nout, ndef;
static struct nt_ev_free frees[16];
static int nfree, seq_rule_first_free = -1;

static int emit_cb(void *ctx, const void *rec, size_t len)
{
	const struct nt_ev_hdr *h = rec;

	(void)ctx;
	if (h->type == NT_EV_NFT_CHAINDEF) {
		ndef++;
		return 0;
	}
	if (h->type == NT_EV_FREE && nfree < 16) {
		if (seq_rule_first_free < 0)
			seq_rule_first_free = nout; /* rules emitted before the first FREE */
		memcpy(&frees[nfree++], rec, sizeof(frees[0]));
		return 0;
	}
	if (h->type == NT_EV_NFT_RULE && len == sizeof(out[0]) && nout < 256)
		memcpy(&out[nout++], rec, len);
	return 0;
}

/* base chains: filter/<hook name>, nat/<hook name> */
static int chain_cb(void *ctx, uint32_t netns, uint8_t family, const char *table, const char *chain,
		    struct nt_ev_nft_chaindef *d)
{
	static const char *const hooks[] = { "prerouting", "input", "forward", "output",
					     "postrouting" };

	(void)ctx;
	(void)netns;
	(void)family;
	(void)table;
	for (int i = 0; i < 5; i++)
		if (!strcmp(chain, hooks[i])) {
			d->base = 1;
			d->hook = (uint8_t)i;
			return 0;
		}
	return strcmp(chain, "audit") ? -1 : 0;
}

static struct nt_corr *mk(void)
{
	struct nt_corr_opts o = { .sz = sizeof(o), .chain = chain_cb, .emit = emit_cb };
	struct nt_corr *c = NULL;

	nout = ndef = 0;
	if (nt_corr_new(&o, &c))
		return NULL;
	return c;
}

/* packet headers shared by META and messages */
struct hdrs {
	uint8_t l3, proto;
	const char *src, *dst; /* "a.b.c.d" or ipv6 */
	uint16_t sport, dport, ip_id, frag, csum;
	uint32_t x;
};

static void addr(uint8_t l3, const char *s, uint8_t *a)
{
	memset(a, 0, 16);
	if (l3 == NT_L3_IPV4) {
		unsigned b[4];

		sscanf(s, "%u.%u.%u.%u", &b[0], &b[1], &b[2], &b[3]);
		for (int i = 0; i < 4; i++)
			a[i] = (uint8_t)b[i];
	} else { /* "fdXX::N": enough for tests */
		unsigned hi, lo;

		sscanf(s, "fd%x::%x", &hi, &lo);
		a[0] = 0xfd;
		a[1] = (uint8_t)hi;
		a[15] = (uint8_t)lo;
	}
}

static uint32_t meta_ns; /* netns of the next META (0: unknown) */

static void meta(struct nt_corr *c, uint64_t skb, uint64_t ts, uint16_t cpu, const struct hdrs *h)
{
	struct nt_ev_meta m;

	memset(&m, 0, sizeof(m));
	m.netns = meta_ns;
	m.h.type = NT_EV_META;
	m.h.skb = skb;
	m.h.ts_ns = ts;
	m.h.cpu = cpu;
	m.l3 = h->l3;
	m.l4proto = h->proto;
	addr(h->l3, h->src, m.saddr);
	addr(h->l3, h->dst, m.daddr);
	m.sport = h->sport;
	m.dport = h->dport;
	m.ip_id = h->ip_id;
	m.frag = h->frag;
	m.l4_csum = h->csum;
	m.l4_extra = h->x;
	nt_corr_event(c, &m, sizeof(m));
}

static void simple(struct nt_corr *c, uint8_t type, uint64_t skb, uint64_t ts, uint16_t cpu)
{
	struct nt_ev_hdr h = { .type = type, .cpu = cpu, .ts_ns = ts, .skb = skb };

	nt_corr_event(c, &h, sizeof(h));
}

static void link_ev(struct nt_corr *c, uint64_t child, uint64_t parent, uint64_t ts, uint16_t cpu)
{
	struct nt_ev_link l = { .h = { .type = NT_EV_LINK, .cpu = cpu, .ts_ns = ts, .skb = child },
				.parent = parent, .kind = NT_LINK_HEAD };

	nt_corr_event(c, &l, sizeof(l));
}

/* one trace message; h: headers (first message of a run) or NULL */
static void msg(struct nt_corr *c, uint64_t ts, uint16_t cpu, uint32_t id, const char *table,
		const char *chain, int type, int verdict, uint64_t handle, const struct hdrs *h)
{
	struct nt_trace_msg m;

	memset(&m, 0, sizeof(m));
	m.ts_ns = ts;
	m.cpu = cpu;
	m.id = id;
	m.netns = 4026531840u;
	m.family = 1; /* inet */
	m.type = (uint32_t)type;
	m.verdict = verdict;
	m.rule_handle = handle;
	snprintf(m.table, sizeof(m.table), "%s", table);
	snprintf(m.chain, sizeof(m.chain), "%s", chain);
	if (h) {
		m.flags = NT_TRACE_FIRST | NT_TRACE_HAS_PKT;
		m.l3 = h->l3;
		m.l4proto = h->proto;
		addr(h->l3, h->src, m.saddr);
		addr(h->l3, h->dst, m.daddr);
		m.sport = h->sport;
		m.dport = h->dport;
		m.ip_id = h->ip_id;
		m.frag = h->frag;
		m.l4_csum = h->csum;
		m.l4_extra = h->x;
	}
	nt_corr_msg(c, &m);
}

#define RULE NT_RULE_KIND_RULE
#define POLICY NT_RULE_KIND_POLICY
#define ACCEPT NT_V_ACCEPT
#define DROPV NT_V_DROP

/* a whole run of one rule: first message with headers, accept */
static void run1(struct nt_corr *c, uint64_t ts, uint16_t cpu, uint32_t id, const char *table,
		 const char *chain, uint64_t handle, const struct hdrs *h)
{
	msg(c, ts, cpu, id, table, chain, RULE, ACCEPT, handle, h);
}

static const struct hdrs ping = { NT_L3_IPV4, 1, "10.0.1.2", "10.0.2.2", 0x0800, 7, 100, 0, 0x1234,
				  7u << 16 | 1 };

TEST(list_receive_identical_packets_fifo)
{
	struct nt_corr *c = mk();
	struct hdrs u = { NT_L3_IPV4, 17, "10.0.1.2", "10.0.2.2", 4000, 5001, 0, 0, 0xbeef, 0 };

	CHECK(c);
	/* three identical UDP datagrams (IP id 0, same payload) seen as a list */
	meta(c, 0xa00, 1 * MS, 0, &u);
	meta(c, 0xb00, 1 * MS + 10, 0, &u);
	meta(c, 0xc00, 1 * MS + 20, 0, &u);
	/* each goes through all prerouting chains before the next one */
	for (int i = 0; i < 3; i++) {
		uint64_t t = 2 * MS + (uint64_t)i * 1000;

		msg(c, t, 0, 0x100 + i, "nft_record_1", "prerouting", POLICY, ACCEPT, 0, &u);
		run1(c, t + 100, 0, 0x100 + i, "filter", "prerouting", 5, &u);
	}
	CHECK_EQ_INT(nout, 3);
	CHECK_EQ_INT(out[0].h.skb, 0xa00);
	CHECK_EQ_INT(out[1].h.skb, 0xb00);
	CHECK_EQ_INT(out[2].h.skb, 0xc00);
	/* then input, in order again, without the trace id (fresh ids) */
	for (int i = 0; i < 3; i++)
		run1(c, 3 * MS + (uint64_t)i * 1000, 0, 0x200 + i, "filter", "input", 6, &u);
	CHECK_EQ_INT(nout, 6);
	CHECK_EQ_INT(out[3].h.skb, 0xa00);
	CHECK_EQ_INT(out[4].h.skb, 0xb00);
	CHECK_EQ_INT(out[5].h.skb, 0xc00);
	CHECK_EQ_INT(out[3].hook, NT_HOOK_INPUT);
	nt_corr_free(c);
}

TEST(nat_translated_headers_find_the_skb)
{
	struct nt_corr *c = mk();
	struct hdrs pre = ping, post = ping;

	CHECK(c);
	/* masquerade: source 10.0.1.2 -> 10.0.2.1, echo id 7 -> 9, checksum changes */
	post.src = "10.0.2.1";
	post.dport = 9;
	post.x = 9u << 16 | 1;
	post.csum = 0x4321;
	meta(c, 0xa00, 1 * MS, 1, &pre);
	msg(c, 2 * MS, 1, 0x55, "nft_record_1", "prerouting", POLICY, ACCEPT, 0, &pre);
	run1(c, 3 * MS, 1, 0x55, "filter", "forward", 3, &pre);
	/* postrouting after the nat chain: translated headers, META not yet */
	run1(c, 4 * MS, 1, 0x55, "filter", "postrouting", 4, &post);
	CHECK_EQ_INT(nout, 2);
	CHECK_EQ_INT(out[0].h.skb, 0xa00);
	CHECK_EQ_INT(out[1].h.skb, 0xa00);
	/* the translated packet's META arrives; the reply comes back */
	meta(c, 0xa00, 5 * MS, 1, &post);
	{
		struct hdrs rep = { NT_L3_IPV4, 1, "10.0.2.2", "10.0.2.1", 0x0000, 9, 555, 0, 0x9999,
				    9u << 16 | 1 };
		struct hdrs rep2 = rep;

		rep2.dst = "10.0.1.2";
		rep2.dport = 7;
		rep2.x = 7u << 16 | 1;
		rep2.csum = 0x8888;
		meta(c, 0xd00, 6 * MS, 0, &rep);
		/* de-NATed at prerouting: filter forward sees the client address */
		run1(c, 7 * MS, 0, 0x66, "filter", "forward", 3, &rep2);
		CHECK_EQ_INT(nout, 3);
		CHECK_EQ_INT(out[2].h.skb, 0xd00);
	}
	nt_corr_free(c);
}

TEST(local_output_waits_for_first_sight)
{
	struct nt_corr *c = mk();
	struct nt_corr_stats s;

	CHECK(c);
	/* output and postrouting runs of a local packet before its net_dev_queue */
	msg(c, 1 * MS, 0, 0x77, "nft_record_1", "output", POLICY, ACCEPT, 0, &ping);
	run1(c, 1 * MS + 100, 0, 0x77, "filter", "output", 2, &ping);
	msg(c, 1 * MS + 200, 0, 0x77, "nft_record_1", "postrouting", POLICY, ACCEPT, 0, &ping);
	run1(c, 1 * MS + 300, 0, 0x77, "nat", "postrouting", 3, &ping);
	CHECK_EQ_INT(nout, 0);
	CHECK_EQ_INT(nt_corr_hold(c), 1 * MS + 100);
	/* an unrelated packet's run meanwhile: held behind (order kept) */
	meta(c, 0xe00, 1 * MS + 350, 1, &(struct hdrs){ NT_L3_IPV4, 6, "1.1.1.1", "2.2.2.2", 1, 2,
						       3, 0, 4, 5 });
	run1(c, 1 * MS + 360, 1, 0x88, "filter", "input", 7,
	     &(struct hdrs){ NT_L3_IPV4, 6, "1.1.1.1", "2.2.2.2", 1, 2, 3, 0, 4, 5 });
	CHECK_EQ_INT(nout, 0);
	meta(c, 0xf00, 1 * MS + 400, 0, &ping);
	CHECK_EQ_INT(nout, 3);
	CHECK_EQ_INT(out[0].h.skb, 0xf00);
	CHECK_EQ_INT(out[0].hook, NT_HOOK_OUTPUT);
	CHECK_EQ_INT(out[1].h.skb, 0xf00);
	CHECK_EQ_INT(out[1].hook, NT_HOOK_POSTROUTING);
	CHECK_EQ_INT(out[2].h.skb, 0xe00);
	CHECK_EQ_INT(nt_corr_hold(c), UINT64_MAX);
	nt_corr_get_stats(c, &s);
	CHECK_EQ_INT(s.runs_late, 4);
	CHECK_EQ_INT(s.uncorrelated, 0);

	/* no first sight within the lookahead: unmatched, counted, in order */
	run1(c, 10 * MS, 0, 0x99, "filter", "output", 2, &(struct hdrs){ NT_L3_IPV4, 17, "9.9.9.9",
									 "8.8.8.8", 1, 2, 3, 0, 4, 0 });
	CHECK_EQ_INT(nout, 3);
	nt_corr_advance(c, 10 * MS + NT_CORR_LOOKAHEAD_NS / 2);
	CHECK_EQ_INT(nout, 3);
	nt_corr_advance(c, 10 * MS + NT_CORR_LOOKAHEAD_NS + 1);
	CHECK_EQ_INT(nout, 4);
	CHECK_EQ_INT(out[3].h.skb, 0);
	CHECK(out[3].h.flags & NT_F_UNCORRELATED);
	nt_corr_get_stats(c, &s);
	CHECK_EQ_INT(s.uncorrelated, 1);
	CHECK_EQ_INT(s.runs_unmatched, 1);
	nt_corr_free(c);
}

TEST(reused_address_same_trace_id_is_a_hint_only)
{
	struct nt_corr *c = mk();
	struct hdrs other = ping;

	CHECK(c);
	other.x = 7u << 16 | 2;
	other.ip_id = 101;
	other.csum = 0x1233;
	/* P1 at X: run with id 0x42, freed */
	meta(c, 0x1000, 1 * MS, 0, &ping);
	run1(c, 2 * MS, 0, 0x42, "filter", "input", 2, &ping);
	simple(c, NT_EV_FREE, 0x1000, 3 * MS, 0);
	/* P3 reuses X with other headers (same flow: same trace id);
	 * P2 at Y is identical to P1 */
	meta(c, 0x1000, 4 * MS, 0, &other);
	meta(c, 0x2000, 4 * MS + 10, 1, &ping);
	/* a run with P1's key and id 0x42: the hint points at the ended P1 */
	run1(c, 5 * MS, 0, 0x42, "filter", "input", 2, &ping);
	/* P3's run, id 0x42 again */
	run1(c, 6 * MS, 0, 0x42, "filter", "input", 2, &other);
	CHECK_EQ_INT(nout, 3);
	CHECK_EQ_INT(out[0].h.skb, 0x1000);
	CHECK_EQ_INT(out[1].h.skb, 0x2000);
	CHECK_EQ_INT(out[2].h.skb, 0x1000);
	/* a freed packet is never matched: P2 freed, P1 key again */
	simple(c, NT_EV_FREE, 0x2000, 7 * MS, 1);
	run1(c, 8 * MS, 0, 0x43, "filter", "input", 2, &ping);
	nt_corr_finish(c);
	CHECK_EQ_INT(nout, 4);
	CHECK_EQ_INT(out[3].h.skb, 0);
	nt_corr_free(c);
}

TEST(two_cpus_interleaved)
{
	struct nt_corr *c = mk();

	CHECK(c);
	/* identical packets A (CPU 0) and B (CPU 1) */
	meta(c, 0xa000, 1 * MS, 0, &ping);
	meta(c, 0xb000, 1 * MS + 5, 1, &ping);
	/* B's run first, then A's; their continuation messages interleave */
	msg(c, 2 * MS, 1, 0xb, "filter", "input", RULE, NT_V_JUMP, 4, &ping);
	msg(c, 2 * MS + 1, 0, 0xa, "filter", "input", RULE, NT_V_JUMP, 4, &ping);
	msg(c, 2 * MS + 2, 1, 0xb, "filter", "audit", RULE, NT_V_CONTINUE, 9, NULL);
	msg(c, 2 * MS + 3, 0, 0xa, "filter", "audit", RULE, NT_V_CONTINUE, 9, NULL);
	msg(c, 2 * MS + 4, 0, 0xa, "filter", "audit", NT_RULE_KIND_RETURN, NT_V_CONTINUE, 0, NULL);
	msg(c, 2 * MS + 5, 1, 0xb, "filter", "audit", NT_RULE_KIND_RETURN, NT_V_CONTINUE, 0, NULL);
	msg(c, 2 * MS + 6, 1, 0xb, "filter", "input", RULE, DROPV, 5, NULL);
	msg(c, 2 * MS + 7, 0, 0xa, "filter", "input", RULE, ACCEPT, 6, NULL);
	CHECK_EQ_INT(nout, 8);
	for (int i = 0; i < 8; i++) {
		uint64_t want = out[i].h.cpu ? 0xb000 : 0xa000;

		CHECK_EQ_INT(out[i].h.skb, want);
	}
	/* depths: jump 0, audit 1, audit 1, return 1, input 0 */
	CHECK_EQ_INT(out[0].depth, 0);
	CHECK_EQ_INT(out[2].depth, 1);
	CHECK_EQ_INT(out[4].depth, 1);
	CHECK_EQ_INT(out[6].depth, 0);
	CHECK_EQ_INT(out[6].verdict, DROPV);
	nt_corr_free(c);
}

TEST(reject_nested_run)
{
	struct nt_corr *c = mk();
	struct hdrs err = { NT_L3_IPV4, 1, "10.0.2.2", "10.0.1.2", 0x0303, 0, 900, 0, 0x2222, 0 };

	CHECK(c);
	meta(c, 0xa00, 1 * MS, 0, &ping);
	msg(c, 3 * MS, 0, 0x2, "filter", "input", RULE, NT_V_CONTINUE, 3, &ping);
	/* reject: icmp_send runs the output hook inside the input run */
	msg(c, 3 * MS + 10, 0, 0x3, "filter", "output", POLICY, ACCEPT, 0, &err);
	meta(c, 0xc00, 3 * MS + 20, 0, &err);
	msg(c, 3 * MS + 30, 0, 0x2, "filter", "input", RULE, DROPV, 4, NULL);
	CHECK_EQ_INT(nout, 3);
	CHECK_EQ_INT(out[0].h.skb, 0xa00);
	CHECK_EQ_INT(out[1].h.skb, 0xc00);
	CHECK_EQ_INT(out[2].h.skb, 0xa00);
	CHECK_EQ_INT(out[2].verdict, DROPV);
	nt_corr_free(c);
}

TEST(recorder_tables_and_orphans)
{
	struct nt_corr *c = mk();
	struct nt_corr_stats s;

	CHECK(c);
	meta(c, 0xa00, 1 * MS, 0, &ping);
	msg(c, 2 * MS, 0, 0x5, "nft_record_1", "prerouting", POLICY, ACCEPT, 0, &ping);
	msg(c, 2 * MS + 1, 0, 0x5, "nft_record_4242", "prerouting", POLICY, ACCEPT, 0, &ping);
	/* a run whose first message was lost: its steps are unmatched */
	msg(c, 3 * MS, 0, 0x6, "filter", "input", RULE, ACCEPT, 2, NULL);
	nt_corr_get_stats(c, &s);
	CHECK_EQ_INT(nout, 1);
	CHECK_EQ_INT(out[0].h.skb, 0);
	CHECK(out[0].h.flags & NT_F_UNCORRELATED);
	CHECK_EQ_INT(s.own, 2);
	CHECK_EQ_INT(s.orphans, 1);
	CHECK_EQ_INT(s.uncorrelated, 1);
	nt_corr_free(c);
}

TEST(bridge_family_without_transport_header)
{
	struct nt_corr *c = mk();
	struct nt_trace_msg m;

	CHECK(c);
	meta(c, 0xa00, 1 * MS, 0, &ping);
	meta(c, 0xb00, 1 * MS + 1, 0, &(struct hdrs){ NT_L3_IPV4, 1, "10.0.1.2", "10.0.2.2", 0x0800, 7,
						      101, 0, 0x1111, 7u << 16 | 2 });
	memset(&m, 0, sizeof(m));
	m.ts_ns = 2 * MS;
	m.cpu = 0;
	m.id = 0x9;
	m.family = 7; /* bridge */
	m.type = RULE;
	m.verdict = DROPV;
	m.rule_handle = 2;
	snprintf(m.table, sizeof(m.table), "filter");
	snprintf(m.chain, sizeof(m.chain), "forward");
	m.flags = NT_TRACE_FIRST | NT_TRACE_HAS_PKT | NT_TRACE_NO_L4;
	m.l3 = NT_L3_IPV4;
	m.l4proto = 1;
	addr(NT_L3_IPV4, "10.0.1.2", m.saddr);
	addr(NT_L3_IPV4, "10.0.2.2", m.daddr);
	m.ip_id = 101;
	nt_corr_msg(c, &m);
	CHECK_EQ_INT(nout, 1);
	CHECK_EQ_INT(out[0].h.skb, 0xb00);
	nt_corr_free(c);
}

TEST(ipv6_fragments_and_head_link)
{
	struct nt_corr *c = mk();
	struct hdrs f1 = { NT_L3_IPV6, 58, "fd01::2", "fd02::2", 0x8000, 5, 0,
			   NT_FRAG_IS | NT_FRAG_MF, 0x7777, 5u << 16 | 1 };
	struct hdrs f2 = { NT_L3_IPV6, 58, "fd01::2", "fd02::2", 0, 0, 0, NT_FRAG_IS | 181, 0, 0 };
	struct hdrs m1 = f1, m2 = f2;

	CHECK(c);
	meta(c, 0xa00, 1 * MS, 0, &f1);
	meta(c, 0xb00, 1 * MS + 1, 0, &f2);
	/* the messages show no fragment header: first / other fragment only */
	m1.proto = 44;
	m1.frag = NT_FRAG_IS;
	m2.proto = 44;
	m2.frag = NT_FRAG_IS | 1;
	{
		struct nt_trace_msg m;

		for (int i = 0; i < 2; i++) {
			const struct hdrs *h = i ? &m2 : &m1;

			memset(&m, 0, sizeof(m));
			m.ts_ns = 2 * MS + (uint64_t)i;
			m.id = 0x10 + i;
			m.family = 1;
			m.type = POLICY;
			m.verdict = ACCEPT;
			snprintf(m.table, sizeof(m.table), "filter");
			snprintf(m.chain, sizeof(m.chain), "prerouting");
			m.flags = NT_TRACE_FIRST | NT_TRACE_V6FRAG;
			m.l3 = NT_L3_IPV6;
			m.l4proto = 44;
			m.frag = h->frag;
			addr(NT_L3_IPV6, h->src, m.saddr);
			if (!i)
				addr(NT_L3_IPV6, h->dst, m.daddr);
			else
				memset(m.saddr + 12, 0, 4); /* 12 bytes only */
			nt_corr_msg(c, &m);
		}
	}
	CHECK_EQ_INT(nout, 2);
	CHECK_EQ_INT(out[0].h.skb, 0xa00);
	CHECK_EQ_INT(out[1].h.skb, 0xb00);
	/* a clone made unseen (LINK head) carries its packet's keys */
	simple(c, NT_EV_FREE, 0xa00, 3 * MS, 0);
	link_ev(c, 0xc00, 0xa00, 4 * MS, 0);
	{
		struct nt_trace_msg m;

		memset(&m, 0, sizeof(m));
		m.ts_ns = 5 * MS;
		m.id = 0x20;
		m.family = 1;
		m.type = POLICY;
		m.verdict = ACCEPT;
		snprintf(m.table, sizeof(m.table), "filter");
		snprintf(m.chain, sizeof(m.chain), "input");
		m.flags = NT_TRACE_FIRST | NT_TRACE_V6FRAG;
		m.l3 = NT_L3_IPV6;
		m.l4proto = 44;
		m.frag = NT_FRAG_IS;
		addr(NT_L3_IPV6, "fd01::2", m.saddr);
		nt_corr_msg(c, &m);
	}
	CHECK_EQ_INT(nout, 3);
	CHECK_EQ_INT(out[2].h.skb, 0xc00);
	nt_corr_free(c);
}

TEST(end_of_chain_marker_base_dropped_regular_is_return)
{
	struct nt_corr *c = mk();

	CHECK(c);
	meta(c, 0xa00, 1 * MS, 0, &ping);
	msg(c, 2 * MS, 0, 0x7, "filter", "input", RULE, NT_V_JUMP, 4, &ping);
	/* end of the regular chain reached: rule message without a handle */
	msg(c, 2 * MS + 1, 0, 0x7, "filter", "audit", RULE, NT_V_CONTINUE, 0, NULL);
	/* end of the base chain: not recorded (the policy says it) */
	msg(c, 2 * MS + 2, 0, 0x7, "filter", "input", RULE, NT_V_CONTINUE, 0, NULL);
	msg(c, 2 * MS + 3, 0, 0x7, "filter", "input", POLICY, ACCEPT, 0, NULL);
	CHECK_EQ_INT(nout, 3);
	CHECK_EQ_INT(out[1].kind, NT_RULE_KIND_RETURN);
	CHECK_EQ_INT(out[1].depth, 1);
	CHECK_EQ_INT(out[2].kind, POLICY);
	CHECK_EQ_INT(out[2].depth, 0);
	for (int i = 0; i < 3; i++)
		CHECK_EQ_INT(out[i].h.skb, 0xa00);
	nt_corr_free(c);
}

TEST(reused_address_local_packet_free_before_its_steps)
{
	struct nt_corr_opts o = { .sz = sizeof(o), .chain = chain_cb, .emit = emit_cb,
				  .defer_inferred = 1 };
	struct nt_corr *c = NULL;
	struct hdrs seg2 = ping;
	struct nt_ev_free f = { .h = { .type = NT_EV_FREE, .flags = NT_F_INFERRED, .cpu = 0,
				       .ts_ns = 5 * MS - 1, .skb = 0x1000 } };

	nout = nfree = 0;
	seq_rule_first_free = -1;
	CHECK(!nt_corr_new(&o, &c));
	/* P1 at X, freed unseen (TCP); P2 built at X: output runs first */
	meta(c, 0x1000, 1 * MS, 0, &ping);
	run1(c, 2 * MS, 0, 0x42, "filter", "input", 2, &ping);
	seg2.ip_id = 555;
	seg2.x = 7u << 16 | 9;
	seg2.csum = 0x4444;
	run1(c, 4 * MS, 0, 0x42, "filter", "output", 2, &seg2);
	CHECK_EQ_INT(nout, 1);
	/* its first sight: BPF ends P1 (inferred) right before P2's META */
	nt_corr_event(c, &f, sizeof(f));
	CHECK_EQ_INT(nfree, 0); /* held */
	meta(c, 0x1000, 5 * MS, 0, &seg2);
	CHECK_EQ_INT(nfree, 1);
	CHECK_EQ_INT(frees[0].h.ts_ns, 4 * MS - 1); /* before P2's first step */
	CHECK_EQ_INT(seq_rule_first_free, 1);
	CHECK_EQ_INT(nout, 2);
	CHECK_EQ_INT(out[1].h.skb, 0x1000);
	CHECK_EQ_INT(out[1].h.ts_ns, 4 * MS);
	/* an inferred FREE without a META after it goes out by itself */
	f.h.skb = 0x2000;
	f.h.ts_ns = 6 * MS;
	nt_corr_event(c, &f, sizeof(f));
	CHECK_EQ_INT(nt_corr_hold(c), 6 * MS); /* the merge waits for it */
	nt_corr_advance(c, 6 * MS + NT_CORR_LOOKAHEAD_NS + 1);
	CHECK_EQ_INT(nfree, 2);
	CHECK_EQ_INT(frees[1].h.ts_ns, 6 * MS);
	/* ... and at the next record of that address (an allocator's inferred
	 * FREE, function mode): as it is */
	f.h.skb = 0x3000;
	f.h.ts_ns = 7 * MS;
	nt_corr_event(c, &f, sizeof(f));
	simple(c, NT_EV_FUNC, 0x3000, 7 * MS + 5, 0);
	CHECK_EQ_INT(nfree, 3);
	CHECK_EQ_INT(frees[2].h.ts_ns, 7 * MS);
	CHECK_EQ_INT(nt_corr_hold(c), UINT64_MAX);
	nt_corr_free(c);
}

TEST(reassembled_datagram_follows_the_last_fragment)
{
	struct nt_corr *c = mk();
	struct hdrs f1 = { NT_L3_IPV4, 1, "10.0.1.2", "10.0.2.2", 0x0800, 7, 300,
			   NT_FRAG_IS | NT_FRAG_MF, 0x5555, 7u << 16 | 1 };
	struct hdrs f2 = { NT_L3_IPV4, 1, "10.0.1.2", "10.0.2.2", 0, 0, 300, NT_FRAG_IS | 185, 0, 0 };
	struct hdrs whole = { NT_L3_IPV4, 1, "10.0.1.2", "10.0.2.2", 0x0800, 7, 300, 0, 0x5555,
			      7u << 16 | 1 };

	CHECK(c);
	meta(c, 0xa00, 1 * MS, 0, &f1);
	meta(c, 0xb00, 1 * MS + 1, 0, &f2);
	run1(c, 2 * MS, 0, 0x11, "filter", "prerouting", 1, &f1);
	run1(c, 2 * MS + 1, 0, 0x22, "filter", "prerouting", 1, &f2);
	/* defrag: the first fragment's skb is consumed, the last one becomes
	 * the datagram (same skb, same trace id, no new META) */
	simple(c, NT_EV_FREE, 0xa00, 3 * MS, 0);
	run1(c, 4 * MS, 0, 0x22, "filter", "forward", 3, &whole);
	CHECK_EQ_INT(nout, 3);
	CHECK_EQ_INT(out[0].h.skb, 0xa00);
	CHECK_EQ_INT(out[1].h.skb, 0xb00);
	CHECK_EQ_INT(out[2].h.skb, 0xb00);
	nt_corr_free(c);
}

TEST(full_table_evicts_oldest)
{
	struct nt_corr_opts o = { .sz = sizeof(o), .chain = chain_cb, .emit = emit_cb, .max_skbs = 4 };
	struct nt_corr *c = NULL;
	struct nt_corr_stats s;

	nout = 0;
	CHECK(!nt_corr_new(&o, &c));
	for (int i = 0; i < 10; i++) {
		struct hdrs h = ping;

		h.ip_id = (uint16_t)(200 + i);
		meta(c, 0x10000 + (uint64_t)i * 0x100, (uint64_t)(i + 1) * MS, 0, &h);
	}
	nt_corr_get_stats(c, &s);
	CHECK_EQ_INT(s.evicted, 6);
	{
		struct hdrs h = ping;

		h.ip_id = 209;
		run1(c, 20 * MS, 0, 1, "filter", "input", 2, &h);
		h.ip_id = 200; /* evicted */
		run1(c, 21 * MS, 0, 2, "filter", "input", 2, &h);
	}
	nt_corr_finish(c);
	CHECK_EQ_INT(nout, 2);
	CHECK_EQ_INT(out[0].h.skb, 0x10900);
	CHECK_EQ_INT(out[1].h.skb, 0);
	nt_corr_free(c);
}

static int left_out_port(void *ctx, const struct nt_trace_msg *m)
{
	return m->dport == *(const uint16_t *)ctx; /* "the filter left this port out" */
}

/* With a capture filter, steps matched to no packet are not written: counted
 * as filtered when the filter certainly left their packet out (left_out on
 * the run's first message; later messages follow their run), else unmatched. */
TEST(with_a_capture_filter_unmatched_steps_are_counted_not_written)
{
	uint16_t out_port = 9;
	struct nt_corr_opts o = { .sz = sizeof(o), .chain = chain_cb, .emit = emit_cb,
				  .drop_unmatched = 1, .left_out = left_out_port, .left_out_ctx = &out_port };
	struct nt_corr *c = NULL;
	struct nt_corr_stats s;
	struct hdrs kept = ping, left = ping, unsure = ping;

	nout = 0;
	CHECK(!nt_corr_new(&o, &c));
	left.dport = 9;
	left.ip_id = 201;
	unsure.ip_id = 202;
	unsure.dport = 8;
	meta(c, 0xa00, 1 * MS, 0, &kept);
	run1(c, 2 * MS, 0, 0x71, "filter", "input", 2, &kept);
	msg(c, 3 * MS, 0, 0x72, "filter", "input", RULE, NT_V_CONTINUE, 4, &left);
	msg(c, 3 * MS + 1, 0, 0x72, "filter", "input", RULE, DROPV, 5, NULL); /* same run */
	run1(c, 4 * MS, 0, 0x73, "filter", "input", 2, &unsure);
	msg(c, 4 * MS + 1, 0, 0x74, "nft_record_99", "prerouting", POLICY, ACCEPT, 0, &kept);
	nt_corr_finish(c);
	CHECK_EQ_INT(nout, 1);
	CHECK_EQ_INT(out[0].h.skb, 0xa00);
	nt_corr_get_stats(c, &s);
	CHECK_EQ_INT(s.uncorrelated, 0);
	CHECK_EQ_INT(s.filtered, 2);
	CHECK_EQ_INT(s.unmatched, 1);
	CHECK_EQ_INT(s.own, 1);
	nt_corr_free(c);
}

/* A reset the router sends (output hook, first seen after it): an skb alive
 * in another namespace with the same addresses (a SYN-ACK never freed by a
 * tracepoint) is not it, nor one in the same namespace that shares only the
 * addresses (IPv4 id 0: no L3 key). */
TEST(local_reset_not_on_a_stale_skb)
{
	struct nt_corr *c = mk();
	const struct hdrs synack = { NT_L3_IPV4, 6, "10.0.2.2", "10.0.1.2", 80, 40080, 0, 0, 0x1111,
				     123456 };
	const struct hdrs rst = { NT_L3_IPV4, 6, "10.0.2.2", "10.0.1.2", 7, 40007, 0, 0, 0x2222, 0 };

	CHECK(c);
	meta_ns = 4026531999u; /* another namespace than the messages' */
	meta(c, 0xa00, 1 * MS, 0, &synack);
	meta_ns = 4026531840u;
	meta(c, 0xc00, 2 * MS, 0, &synack);
	run1(c, 200 * MS, 0, 0x55, "filter", "output", 2, &rst);
	CHECK_EQ_INT(nout, 0); /* waits for the reset's first sight */
	meta(c, 0xb00, 200 * MS + 50000, 0, &rst);
	CHECK_EQ_INT(nout, 1);
	CHECK_EQ_INT(out[0].h.skb, 0xb00);
	meta_ns = 0;
	nt_corr_free(c);
}

int main(void)
{
	RUN(list_receive_identical_packets_fifo);
	RUN(nat_translated_headers_find_the_skb);
	RUN(local_output_waits_for_first_sight);
	RUN(reused_address_same_trace_id_is_a_hint_only);
	RUN(two_cpus_interleaved);
	RUN(reject_nested_run);
	RUN(recorder_tables_and_orphans);
	RUN(bridge_family_without_transport_header);
	RUN(ipv6_fragments_and_head_link);
	RUN(end_of_chain_marker_base_dropped_regular_is_return);
	RUN(reused_address_local_packet_free_before_its_steps);
	RUN(reassembled_datagram_follows_the_last_fragment);
	RUN(full_table_evicts_oldest);
	RUN(local_reset_not_on_a_stale_skb);
	RUN(with_a_capture_filter_unmatched_steps_are_counted_not_written);
	TEST_EXIT();
}
