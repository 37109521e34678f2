// SPDX-License-Identifier: GPL-2.0
/* detail.c - conntrack, captured bytes and kernel stacks of a packet (detail.h). */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "model/detail.h"

#define ARROW " \xe2\x86\x92 "   /* " → " */
#define MAX_LINES 64             /* per section of one journey; the rest is counted */

#define FOREACH_REC(p, h) \
	for (size_t _off = 0; _off + sizeof(struct nt_ev_hdr) <= (p)->ev_len && \
	     ((h) = (const void *)((p)->ev + _off)) && nt_ev_len(h); _off += nt_ev_len(h))

static const char *const ct_status_names[NT_CT_S_NBITS] = {
	"EXPECTED", "SEEN_REPLY", "ASSURED", "CONFIRMED", "SRC_NAT", "DST_NAT", "SEQ_ADJUST",
	"SRC_NAT_DONE", "DST_NAT_DONE", "DYING", "FIXED_TIMEOUT", "TEMPLATE", "NAT_CLASH",
	"HELPER", "OFFLOAD", "HW_OFFLOAD",
};

const char *nt_ct_state_name(unsigned int state)
{
	switch (state) {
	case NT_CT_STATE_NEW: return "new";
	case NT_CT_STATE_ESTABLISHED: return "established";
	case NT_CT_STATE_RELATED: return "related";
	case NT_CT_STATE_INVALID: return "invalid";
	case NT_CT_STATE_UNTRACKED: return "untracked";
	default: return "none";
	}
}

const char *nt_bytes_why(unsigned int why)
{
	switch (why) {
	case NT_BYTES_FIRST: return "first sight";
	case NT_BYTES_CHANGED: return "headers changed";
	case NT_BYTES_NETNS: return "new namespace";
	default: return "captured";
	}
}

void nt_fmt_ct_status(char *buf, size_t len, uint32_t status)
{
	size_t o = 0;

	if (!len)
		return;
	buf[0] = 0;
	if (!status) {
		snprintf(buf, len, "-");
		return;
	}
	for (unsigned int i = 0; i < 32 && o < len; i++) {
		int n;

		if (!(status & (1u << i)))
			continue;
		if (i < NT_CT_S_NBITS)
			n = snprintf(buf + o, len - o, "%s%s", o ? "|" : "", ct_status_names[i]);
		else
			n = snprintf(buf + o, len - o, "%sbit%u", o ? "|" : "", i);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

static int tuple_eq_rev(const struct nt_ev_ct *c, const uint8_t *a, uint16_t ap, const uint8_t *b,
			uint16_t bp, int icmp)
{
	size_t alen = c->l3 == NT_L3_IPV6 ? 16 : 4;

	return !memcmp(a, b, alen) && (icmp || ap == bp);
}

int nt_ct_nat(const struct nt_ev_ct *c)
{
	int icmp = c->l4proto == 1 || c->l4proto == 58, nat = 0;

	if (!(c->have & NT_CT_HAVE_TUPLES) || (c->l3 != NT_L3_IPV4 && c->l3 != NT_L3_IPV6))
		return 0;
	/* no NAT: reply = orig reversed (ICMP: same echo id, types differ) */
	if (!tuple_eq_rev(c, c->reply.daddr, c->reply.dport, c->orig.saddr, c->orig.sport, icmp) ||
	    (icmp && c->reply.dport != c->orig.dport))
		nat |= NT_CT_NAT_SRC;
	if (!tuple_eq_rev(c, c->reply.saddr, c->reply.sport, c->orig.daddr, c->orig.dport, icmp))
		nat |= NT_CT_NAT_DST;
	return nat;
}

void nt_fmt_ct_tuple(char *buf, size_t len, const struct nt_ev_ct *c, const struct nt_ev_ct_tuple *t)
{
	struct nt_ev_meta mm;

	memset(&mm, 0, sizeof(mm));
	mm.l3 = c->l3;
	mm.l4proto = c->l4proto;
	memcpy(mm.saddr, t->saddr, 16);
	memcpy(mm.daddr, t->daddr, 16);
	mm.sport = t->sport;
	mm.dport = t->dport;
	nt_fmt_flow(buf, len, &mm);
}

void nt_fmt_ct(char *buf, size_t len, const struct nt_ev_ct *c)
{
	char o[160], r[160], st[300], na[80];
	size_t n = 0;

#define PUT(...) do { int _k = snprintf(buf + n, n < len ? len - n : 0, __VA_ARGS__); \
		if (_k > 0) n += (size_t)_k; } while (0)
	if (!len)
		return;
	buf[0] = 0;
	PUT("%s", c->have & NT_CT_HAVE_STATE ? nt_ct_state_name(c->state) : "state not available");
	if (c->have & NT_CT_HAVE_DIR)
		PUT(" %s", c->dir == NT_CT_DIR_REPLY ? "reply" : "original");
	if (c->have & NT_CT_HAVE_TUPLES) {
		nt_fmt_ct_tuple(o, sizeof(o), c, &c->orig);
		nt_fmt_ct_tuple(r, sizeof(r), c, &c->reply);
		PUT("  orig %s  reply %s", o, r);
	}
	if (c->have & NT_CT_HAVE_STATUS) {
		nt_fmt_ct_status(st, sizeof(st), c->status);
		PUT("  status %s", st);
	}
	if (c->have & NT_CT_HAVE_ZONE)
		PUT("  zone %u", c->zone);
	if (c->have & NT_CT_HAVE_MARK)
		PUT("  mark 0x%x", c->mark);
	if (c->have & NT_CT_HAVE_ID)
		PUT("  id 0x%08x", c->ct_id);
	na[0] = 0;
	{
		static const struct { uint16_t bit; const char *name; } f[] = {
			{ NT_CT_HAVE_TUPLES, "tuples" }, { NT_CT_HAVE_ZONE, "zone" },
			{ NT_CT_HAVE_MARK, "mark" }, { NT_CT_HAVE_STATUS, "status" },
		};
		size_t k = 0;

		for (unsigned int i = 0; i < sizeof(f) / sizeof(f[0]); i++)
			if (!(c->have & f[i].bit) && (c->have & NT_CT_HAVE_STATE) &&
			    c->state != NT_CT_STATE_INVALID && c->state != NT_CT_STATE_UNTRACKED)
				k += (size_t)snprintf(na + k, sizeof(na) - k, "%s%s", k ? ", " : "", f[i].name);
		if (k)
			PUT("  (%s not available)", na);
	}
#undef PUT
}

/* ---- journey text ---- */
static inline void rel_us(struct nt_tb *b, const struct nt_packet *p, uint64_t ts)
{
	nt_tb_lit(b, "  [");
	nt_tb_us(b, ts >= p->first_ts ? ts - p->first_ts : 0);
	nt_tb_lit(b, "\xc2\xb5s] "); /* "µs] " */
}

static void more_lines(struct nt_tb *b, unsigned int n)
{
	if (n > MAX_LINES) {
		nt_tb_lit(b, "  ... ");
		nt_tb_u64(b, n - MAX_LINES);
		nt_tb_lit(b, " more\n");
	}
}

void nt_detail_text_stack(struct nt_tb *b, const struct nt_model *m, uint32_t id, const char *indent)
{
	uint32_t n;
	const uint64_t *fr = nt_model_stack(m, id, &n);
	char sym[300];

	if (!fr) {
		nt_tb_str(b, indent);
		nt_tb_lit(b, "stack ");
		nt_tb_u64(b, id);
		nt_tb_lit(b, ": not in the log's STACKS blocks\n");
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		nt_tb_str(b, indent);
		nt_tb_esc(b, nt_model_symbolize(m, fr[i], sym, sizeof(sym)));
		nt_tb_chr(b, '\n');
	}
}

/* The connection's states across packets (nt_model_ct_history) when other
 * packets than P showed some: N states into ST/PK, from P's last CT record
 * that names its connection; 0 otherwise. */
static int ct_conn(const struct nt_model *m, const struct nt_packet *p, uint8_t *st, uint64_t *pk, int max)
{
	const struct nt_ev_hdr *h;
	const struct nt_ev_ct *last = NULL;
	int n;

	FOREACH_REC(p, h)
		if (h->type == NT_EV_CT &&
		    (((const struct nt_ev_ct *)h)->have & (NT_CT_HAVE_ADDR | NT_CT_HAVE_ID)))
			last = (const void *)h;
	if (!last || (n = nt_model_ct_history(m, last, st, pk, max)) <= 0)
		return 0;
	for (int i = 0; i < n; i++)
		if (pk[i] != p->id)
			return n;
	return 0;
}

static void text_ct(struct nt_tb *b, const struct nt_model *m, const struct nt_packet *p)
{
	const struct nt_ev_hdr *h;
	const struct nt_ev_ct *nat = NULL;
	unsigned int lines = 0, nstates = 0;
	int last = -1;
	char buf[800];

	nt_tb_lit(b, "\nConntrack:\n  ct: ");
	FOREACH_REC(p, h) {
		const struct nt_ev_ct *c = (const void *)h;

		if (h->type != NT_EV_CT || !(c->have & NT_CT_HAVE_STATE) || c->state == last)
			continue;
		if (nstates++ < MAX_LINES) {
			if (last >= 0)
				nt_tb_lit(b, ARROW);
			nt_tb_str(b, nt_ct_state_name(c->state));
		}
		last = c->state;
	}
	if (!nstates)
		nt_tb_lit(b, "state not available");
	else if (nstates > MAX_LINES)
		nt_tb_lit(b, ARROW "...");
	nt_tb_chr(b, '\n');
	{
		uint8_t st[8];
		uint64_t pk[8];
		int n = ct_conn(m, p, st, pk, 8);

		if (n) {
			nt_tb_lit(b, "  connection: ");
			for (int i = 0; i < n; i++) {
				if (i)
					nt_tb_lit(b, ARROW);
				nt_tb_str(b, nt_ct_state_name(st[i]));
				snprintf(buf, sizeof(buf), " (packet %" PRIu64 ")", pk[i]);
				nt_tb_str(b, buf);
			}
			nt_tb_chr(b, '\n');
		}
	}
	FOREACH_REC(p, h) {
		const struct nt_ev_ct *c = (const void *)h;

		if (h->type != NT_EV_CT)
			continue;
		if (nt_ct_nat(c))
			nat = c;
		if (lines++ >= MAX_LINES)
			continue;
		rel_us(b, p, h->ts_ns);
		nt_fmt_ct(buf, sizeof(buf), c);
		nt_tb_str(b, buf);
		if (h->flags & NT_F_SYNTH) {
			nt_tb_lit(b, "  (nftrace)\n");
			continue;
		}
		nt_tb_lit(b, "  at ");
		nt_tb_esc(b, nt_model_func(m, h->id)->name);
		nt_tb_chr(b, '\n');
	}
	more_lines(b, lines);
	if (nat) {
		int k = nt_ct_nat(nat);

		nt_tb_lit(b, "  NAT (");
		nt_tb_str(b, k == (NT_CT_NAT_SRC | NT_CT_NAT_DST) ? "source and destination" :
			     k == NT_CT_NAT_SRC ? "source" : "destination");
		nt_tb_lit(b, "): orig ");
		nt_fmt_ct_tuple(buf, sizeof(buf), nat, &nat->orig);
		nt_tb_str(b, buf);
		nt_tb_lit(b, ", reply ");
		nt_fmt_ct_tuple(buf, sizeof(buf), nat, &nat->reply);
		nt_tb_str(b, buf);
		nt_tb_chr(b, '\n');
	}
}

static void text_bytes(struct nt_tb *b, const struct nt_model *m, const struct nt_packet *p)
{
	const struct nt_ev_hdr *h;
	unsigned int lines = 0;

	nt_tb_lit(b, "\nCaptured bytes:\n");
	FOREACH_REC(p, h) {
		const struct nt_ev_bytes *c = (const void *)h;
		const char *ifn;

		if (h->type != NT_EV_BYTES || lines++ >= MAX_LINES)
			continue;
		rel_us(b, p, h->ts_ns);
		nt_tb_u64(b, c->caplen);
		nt_tb_lit(b, " of ");
		nt_tb_u64(b, c->origlen);
		nt_tb_str(b, c->link == NT_BYTES_MAC ? " bytes from the MAC header at " :
			     " bytes from the network header at ");
		nt_tb_esc(b, nt_model_func(m, h->id)->name);
		nt_tb_lit(b, " on ");
		ifn = nt_model_ifname(m, c->netns, c->ifindex);
		if (ifn) {
			nt_tb_esc(b, ifn);
		} else {
			nt_tb_lit(b, "if");
			nt_tb_u64(b, c->ifindex);
		}
		nt_tb_lit(b, ": ");
		nt_tb_str(b, nt_bytes_why(c->why));
		nt_tb_chr(b, '\n');
	}
	more_lines(b, lines);
}

/* The record before each STACKREF of the same skb (a stack belongs to it):
 * one pass over a packet's records, remembering the last record of up to
 * PREV_SKBS skbs. */
#define PREV_SKBS 16
struct prev_recs {
	uint64_t skb[PREV_SKBS];
	const struct nt_ev_hdr *rec[PREV_SKBS];
	unsigned int n, next;
};

static const struct nt_ev_hdr *prev_get(const struct prev_recs *pr, uint64_t skb)
{
	for (unsigned int i = 0; i < pr->n; i++)
		if (pr->skb[i] == skb)
			return pr->rec[i];
	return NULL;
}

static void prev_put(struct prev_recs *pr, const struct nt_ev_hdr *h)
{
	unsigned int i;

	for (i = 0; i < pr->n && pr->skb[i] != h->skb; i++)
		;
	if (i == pr->n) {
		if (pr->n < PREV_SKBS)
			pr->n++;
		else
			i = pr->next++ % PREV_SKBS;
	}
	pr->skb[i] = h->skb;
	pr->rec[i] = h;
}

/* "at ip_rcv", "after inet filter input #8: DROP" ... of the record a stack
 * was taken at. */
static void what(char *buf, size_t len, const struct nt_model *m, const struct nt_ev_hdr *h)
{
	char ch[200];

	if (!h) {
		snprintf(buf, len, "?");
		return;
	}
	switch (h->type) {
	case NT_EV_NFT_RULE: {
		const struct nt_ev_nft_rule *r = (const void *)h;

		nt_fmt_chain(ch, sizeof(ch), m, r->chain_key);
		if (nt_rule_kind_shown(r) == NT_RULE_KIND_RULE)
			snprintf(buf, len, "rule %s #%" PRIu64 ": %s", ch, r->rule_handle, nt_verdict_name(r->verdict));
		else
			snprintf(buf, len, "%s %s: %s", ch, r->kind == NT_RULE_KIND_POLICY ? "policy" : "return",
				 nt_verdict_name(r->verdict));
		break;
	}
	case NT_EV_NFT_CHAIN: {
		const struct nt_ev_nft_chain *c = (const void *)h;

		nt_fmt_chain(ch, sizeof(ch), m, c->chain_key);
		snprintf(buf, len, "chain %s %s", ch, c->phase == NT_CHAIN_EXIT ? nt_verdict_name(c->verdict) : "enter");
		break;
	}
	case NT_EV_FUNC: case NT_EV_DROP: case NT_EV_FREE: case NT_EV_META: case NT_EV_DEV:
		snprintf(buf, len, "%s", nt_esc_t(nt_model_func(m, h->id)->name));
		break;
	default:
		snprintf(buf, len, "record type %u", h->type);
		break;
	}
}

static int rule_decided(const struct nt_packet *p, const struct nt_ev_hdr *h)
{
	const struct nt_ev_nft_rule *r = (const void *)h;

	return h && h->type == NT_EV_NFT_RULE && r->verdict == p->verdict && r->chain_key == p->verdict_chain &&
	       (r->kind == NT_RULE_KIND_RULE ? r->rule_handle : 0) == p->verdict_rule;
}

uint32_t nt_detail_verdict_stack(const struct nt_packet *p, char *rule, size_t len,
				 const struct nt_model *m)
{
	const struct nt_ev_hdr *h;
	struct prev_recs pr = { .n = 0 };
	uint32_t id = 0;

	if (!p->verdict_chain)
		return 0;
	FOREACH_REC(p, h) {
		if (h->type == NT_EV_STACKREF) {
			const struct nt_ev_hdr *before = prev_get(&pr, h->skb);

			if (rule_decided(p, before)) {
				id = ((const struct nt_ev_stackref *)h)->stack_id;
				if (rule)
					what(rule, len, m, before);
			}
			continue;
		}
		prev_put(&pr, h);
	}
	return id;
}

static void text_stacks(struct nt_tb *b, const struct nt_model *m, const struct nt_packet *p)
{
	const struct nt_ev_hdr *h;
	struct prev_recs pr = { .n = 0 };
	uint32_t shown[MAX_LINES];
	unsigned int lines = 0, nshown = 0;
	char buf[300];

	nt_tb_lit(b, "\nStacks:\n");
	FOREACH_REC(p, h) {
		const struct nt_ev_stackref *s = (const void *)h;
		unsigned int i;

		if (h->type != NT_EV_STACKREF) {
			prev_put(&pr, h);
			continue;
		}
		if (lines++ >= MAX_LINES)
			continue;
		rel_us(b, p, h->ts_ns);
		what(buf, sizeof(buf), m, prev_get(&pr, h->skb));
		nt_tb_str(b, buf);
		nt_tb_lit(b, ": stack ");
		nt_tb_u64(b, s->stack_id);
		for (i = 0; i < nshown && shown[i] != s->stack_id; i++)
			;
		if (i < nshown) {
			nt_tb_lit(b, " (as above)\n");
			continue;
		}
		shown[nshown++] = s->stack_id;
		nt_tb_chr(b, '\n');
		nt_detail_text_stack(b, m, s->stack_id, "      ");
	}
	more_lines(b, lines);
}

void nt_detail_text_drop(struct nt_tb *b, const struct nt_model *m, const struct nt_packet *p)
{
	char rule[300];
	uint32_t vs;

	if (p->drop_stack) {
		nt_tb_lit(b, "  kernel stack ");
		nt_tb_u64(b, p->drop_stack);
		nt_tb_lit(b, ":\n");
		nt_detail_text_stack(b, m, p->drop_stack, "    ");
	}
	if (p->verdict == NT_V_DROP && (vs = nt_detail_verdict_stack(p, rule, sizeof(rule), m))) {
		nt_tb_lit(b, "  nftables verdict stack ");
		nt_tb_u64(b, vs);
		nt_tb_lit(b, " (");
		nt_tb_str(b, rule);
		nt_tb_lit(b, "):\n");
		nt_detail_text_stack(b, m, vs, "    ");
	}
}

uint32_t nt_detail_types(const struct nt_packet *p)
{
	const struct nt_ev_hdr *h;
	uint32_t types = 0;

	FOREACH_REC(p, h)
		types |= h->type < 32 ? 1u << h->type : 0;
	return types;
}

void nt_detail_text(struct nt_tb *b, const struct nt_model *m, const struct nt_packet *p)
{
	nt_detail_text_of(b, m, p, nt_detail_types(p));
}

void nt_detail_text_of(struct nt_tb *b, const struct nt_model *m, const struct nt_packet *p, uint32_t types)
{
	int ct = !!(types & 1u << NT_EV_CT), bytes = !!(types & 1u << NT_EV_BYTES),
	    stacks = !!(types & 1u << NT_EV_STACKREF);

	if (ct)
		text_ct(b, m, p);
	if (bytes)
		text_bytes(b, m, p);
	if (stacks)
		text_stacks(b, m, p);
}

/* ---- JSON ---- */
static void jw_addr(struct nt_jw *w, const char *key, uint8_t l3, const uint8_t *a)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(l3 == NT_L3_IPV6 ? AF_INET6 : AF_INET, a, buf, sizeof(buf));
	nt_jw_str(w, key, buf);
}

static void jw_tuple(struct nt_jw *w, const char *key, const struct nt_ev_ct *c,
		     const struct nt_ev_ct_tuple *t)
{
	char flow[160];

	nt_jw_obj(w, key);
	jw_addr(w, "src", c->l3, t->saddr);
	jw_addr(w, "dst", c->l3, t->daddr);
	if (c->l4proto == 1 || c->l4proto == 58) {
		nt_jw_u64(w, "icmp_type", t->sport >> 8);
		nt_jw_u64(w, "icmp_code", t->sport & 0xff);
		nt_jw_u64(w, "icmp_id", t->dport);
	} else {
		nt_jw_u64(w, "sport", t->sport);
		nt_jw_u64(w, "dport", t->dport);
	}
	nt_fmt_ct_tuple(flow, sizeof(flow), c, t);
	nt_jw_str(w, "flow", flow);
	nt_jw_end(w);
}

static void jw_ct_fields(struct nt_jw *w, const struct nt_ev_ct *c)
{
	nt_jw_str(w, "state", c->have & NT_CT_HAVE_STATE ? nt_ct_state_name(c->state) : NULL);
	if (c->have & NT_CT_HAVE_DIR)
		nt_jw_str(w, "dir", c->dir == NT_CT_DIR_REPLY ? "reply" : "original");
	if (c->have & NT_CT_HAVE_STATUS) {
		nt_jw_u64(w, "status_value", c->status);
		nt_jw_arr(w, "status");
		for (unsigned int i = 0; i < NT_CT_S_NBITS; i++)
			if (c->status & (1u << i))
				nt_jw_str(w, NULL, ct_status_names[i]);
		nt_jw_end(w);
	}
	if (c->have & NT_CT_HAVE_ID)
		nt_jw_hex(w, "id", c->ct_id);
	if (c->have & NT_CT_HAVE_ADDR)
		nt_jw_hex(w, "conn", c->ct_addr);
	if (c->have & NT_CT_HAVE_ZONE)
		nt_jw_u64(w, "zone", c->zone);
	if (c->have & NT_CT_HAVE_MARK)
		nt_jw_u64(w, "mark", c->mark);
	if (c->have & NT_CT_HAVE_TUPLES) {
		nt_jw_str(w, "proto", nt_proto_name(c->l4proto));
		jw_tuple(w, "orig", c, &c->orig);
		jw_tuple(w, "reply", c, &c->reply);
	}
	nt_jw_arr(w, "not_available");
	if (!(c->have & NT_CT_HAVE_TUPLES))
		nt_jw_str(w, NULL, "tuples");
	if (!(c->have & NT_CT_HAVE_ZONE))
		nt_jw_str(w, NULL, "zone");
	if (!(c->have & NT_CT_HAVE_MARK))
		nt_jw_str(w, NULL, "mark");
	if (!(c->have & NT_CT_HAVE_STATUS))
		nt_jw_str(w, NULL, "status");
	if (!(c->have & NT_CT_HAVE_ID))
		nt_jw_str(w, NULL, "id");
	nt_jw_end(w);
}

static void jw_hexdata(struct nt_jw *w, const char *key, const uint8_t *d, unsigned int n)
{
	static const char hx[] = "0123456789abcdef";
	char buf[2 * NT_BYTES_MAX + 1];

	if (n > NT_BYTES_MAX)
		n = NT_BYTES_MAX;
	for (unsigned int i = 0; i < n; i++) {
		buf[2 * i] = hx[d[i] >> 4];
		buf[2 * i + 1] = hx[d[i] & 15];
	}
	buf[2 * n] = 0;
	nt_jw_str(w, key, buf);
}

static void jw_bytes_fields(struct nt_jw *w, const struct nt_model *m, const struct nt_ev_bytes *c)
{
	nt_jw_str(w, "why", nt_bytes_why(c->why));
	nt_jw_str(w, "link", c->link == NT_BYTES_MAC ? "mac" : "network");
	nt_jw_u64(w, "caplen", c->caplen);
	nt_jw_u64(w, "origlen", c->origlen);
	nt_jw_u64(w, "ethertype", c->ethertype);
	nt_jw_u64(w, "ifindex", c->ifindex);
	nt_jw_str(w, "ifname", nt_model_ifname(m, c->netns, c->ifindex));
	nt_jw_u64(w, "netns", c->netns);
	jw_hexdata(w, "data", c->data, c->caplen);
}

void nt_jw_stack(struct nt_jw *w, const char *key, const struct nt_model *m, uint32_t id)
{
	uint32_t n;
	const uint64_t *fr = nt_model_stack(m, id, &n);
	char sym[300];

	if (!fr) {
		nt_jw_str(w, key, NULL);
		return;
	}
	nt_jw_arr(w, key);
	for (uint32_t i = 0; i < n; i++)
		nt_jw_str(w, NULL, nt_model_symbolize(m, fr[i], sym, sizeof(sym)));
	nt_jw_end(w);
}

static void json_ct(struct nt_jw *w, const struct nt_model *m, const struct nt_packet *p)
{
	const struct nt_ev_hdr *h;
	const struct nt_ev_ct *nat = NULL;
	int last = -1;

	nt_jw_arr(w, "ct_states");
	FOREACH_REC(p, h) {
		const struct nt_ev_ct *c = (const void *)h;

		if (h->type != NT_EV_CT || !(c->have & NT_CT_HAVE_STATE) || c->state == last)
			continue;
		nt_jw_str(w, NULL, nt_ct_state_name(c->state));
		last = c->state;
	}
	nt_jw_end(w);
	{
		uint8_t st[8];
		uint64_t pk[8];
		int n = ct_conn(m, p, st, pk, 8);

		nt_jw_arr(w, "ct_connection");
		for (int i = 0; i < n; i++) {
			nt_jw_obj(w, NULL);
			nt_jw_str(w, "state", nt_ct_state_name(st[i]));
			nt_jw_u64(w, "packet", pk[i]);
			nt_jw_end(w);
		}
		nt_jw_end(w);
	}
	nt_jw_arr(w, "ct");
	FOREACH_REC(p, h) {
		const struct nt_ev_ct *c = (const void *)h;

		if (h->type != NT_EV_CT)
			continue;
		if (nt_ct_nat(c))
			nat = c;
		nt_jw_obj(w, NULL);
		nt_jw_u64(w, "t_ns", h->ts_ns >= p->first_ts ? h->ts_ns - p->first_ts : 0);
		nt_jw_str(w, "func", h->flags & NT_F_SYNTH ? NULL : nt_model_func(m, h->id)->name);
		nt_jw_str(w, "source", h->flags & NT_F_SYNTH ? "nftrace" : "kernel");
		jw_ct_fields(w, c);
		nt_jw_end(w);
	}
	nt_jw_end(w);
	if (nat) {
		int k = nt_ct_nat(nat);

		nt_jw_obj(w, "ct_nat");
		nt_jw_bool(w, "source", k & NT_CT_NAT_SRC);
		nt_jw_bool(w, "destination", k & NT_CT_NAT_DST);
		jw_tuple(w, "orig", nat, &nat->orig);
		jw_tuple(w, "reply", nat, &nat->reply);
		nt_jw_end(w);
	} else {
		nt_jw_str(w, "ct_nat", NULL);
	}
}

void nt_detail_json(struct nt_jw *w, const struct nt_model *m, const struct nt_packet *p)
{
	nt_detail_json_of(w, m, p, nt_detail_types(p));
}

void nt_detail_json_of(struct nt_jw *w, const struct nt_model *m, const struct nt_packet *p, uint32_t types)
{
	const struct nt_ev_hdr *h;
	struct prev_recs pr = { .n = 0 };
	int ct = !!(types & 1u << NT_EV_CT), bytes = !!(types & 1u << NT_EV_BYTES),
	    stacks = !!(types & 1u << NT_EV_STACKREF);
	uint32_t vs;

	if (ct)
		json_ct(w, m, p);
	if (bytes)
		nt_jw_arr(w, "captures");
	/* (the passes below write nothing without their records) */
	if (bytes) FOREACH_REC(p, h) {
		if (h->type != NT_EV_BYTES)
			continue;
		nt_jw_obj(w, NULL);
		nt_jw_u64(w, "t_ns", h->ts_ns >= p->first_ts ? h->ts_ns - p->first_ts : 0);
		nt_jw_str(w, "func", nt_model_func(m, h->id)->name);
		nt_jw_hex(w, "skb", h->skb);
		jw_bytes_fields(w, m, (const void *)h);
		nt_jw_end(w);
	}
	if (bytes)
		nt_jw_end(w);
	if (stacks)
		nt_jw_arr(w, "stacks");
	if (stacks) FOREACH_REC(p, h) {
		const struct nt_ev_stackref *s = (const void *)h;
		char at[300];

		if (h->type != NT_EV_STACKREF) {
			prev_put(&pr, h);
			continue;
		}
		nt_jw_obj(w, NULL);
		nt_jw_u64(w, "t_ns", h->ts_ns >= p->first_ts ? h->ts_ns - p->first_ts : 0);
		what(at, sizeof(at), m, prev_get(&pr, h->skb));
		nt_jw_str(w, "at", at);
		nt_jw_u64(w, "stack_id", s->stack_id);
		nt_jw_stack(w, "frames", m, s->stack_id);
		nt_jw_end(w);
	}
	if (stacks)
		nt_jw_end(w);
	if (p->drop_stack) {
		nt_jw_u64(w, "drop_stack_id", p->drop_stack);
		nt_jw_stack(w, "drop_stack", m, p->drop_stack);
	}
	if (p->verdict == NT_V_DROP && (vs = nt_detail_verdict_stack(p, NULL, 0, m))) {
		nt_jw_u64(w, "verdict_stack_id", vs);
		nt_jw_stack(w, "verdict_stack", m, vs);
	}
}

/* ---- records ---- */
int nt_detail_event_line(char *name, size_t nlen, char *sfx, size_t slen, const struct nt_model *m,
			 const struct nt_ev_hdr *h)
{
	switch (h->type) {
	case NT_EV_CT: {
		const struct nt_ev_ct *c = (const void *)h;
		char st[300];

		snprintf(name, nlen, "%s%s%s", c->have & NT_CT_HAVE_STATE ? nt_ct_state_name(c->state) : "ct",
			 c->have & NT_CT_HAVE_DIR ? " " : "",
			 c->have & NT_CT_HAVE_DIR ? (c->dir == NT_CT_DIR_REPLY ? "reply" : "original") : "");
		nt_fmt_ct_status(st, sizeof(st), c->status);
		snprintf(sfx, slen, " [%s]", c->have & NT_CT_HAVE_STATUS ? st : "status not available");
		return 1;
	}
	case NT_EV_BYTES: {
		const struct nt_ev_bytes *c = (const void *)h;

		snprintf(name, nlen, "%u of %u bytes (%s)", c->caplen, c->origlen,
			 c->link == NT_BYTES_MAC ? "mac" : "network");
		snprintf(sfx, slen, " [%s at %s]", nt_bytes_why(c->why), nt_esc_t(nt_model_func(m, h->id)->name));
		return 1;
	}
	case NT_EV_STACKREF: {
		const struct nt_ev_stackref *s = (const void *)h;
		uint32_t n;

		snprintf(name, nlen, "stack %u", s->stack_id);
		if (nt_model_stack(m, s->stack_id, &n))
			snprintf(sfx, slen, " [%u frames]", n);
		else
			snprintf(sfx, slen, " [not in the log]");
		return 1;
	}
	default:
		return 0;
	}
}

void nt_detail_jw_event(struct nt_jw *w, const struct nt_model *m, const struct nt_ev_hdr *h)
{
	switch (h->type) {
	case NT_EV_CT:
		nt_jw_str(w, "func", nt_model_func(m, h->id)->name);
		jw_ct_fields(w, (const void *)h);
		break;
	case NT_EV_BYTES:
		nt_jw_str(w, "func", nt_model_func(m, h->id)->name);
		jw_bytes_fields(w, m, (const void *)h);
		break;
	case NT_EV_STACKREF:
		nt_jw_u64(w, "stack_id", ((const struct nt_ev_stackref *)h)->stack_id);
		nt_jw_stack(w, "frames", m, ((const struct nt_ev_stackref *)h)->stack_id);
		break;
	default:
		break;
	}
}
