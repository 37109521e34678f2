// SPDX-License-Identifier: GPL-2.0
/* output_fmt.c - names (verdicts, protocols, ICMP types, fates), flows,
 * chains and rules, event lines (text) and events / packets as JSON. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sat.h"
#include "model/detail.h"
#include "model/output.h"

/* ---- names ---- */
const char *nt_verdict_name(int32_t v)
{
	switch (v) {
	case NT_V_DROP: return "DROP";
	case NT_V_ACCEPT: return "ACCEPT";
	case NT_V_STOLEN: return "STOLEN";
	case NT_V_QUEUE: return "QUEUE";
	case NT_V_REPEAT: return "REPEAT";
	case NT_V_STOP: return "STOP";
	case NT_V_CONTINUE: return "CONTINUE";
	case NT_V_BREAK: return "BREAK";
	case NT_V_JUMP: return "JUMP";
	case NT_V_GOTO: return "GOTO";
	case NT_V_RETURN: return "RETURN";
	case NT_V_NONE: return "NONE";
	default: return "UNKNOWN";
	}
}

const char *nt_proto_name(uint8_t p)
{
	static __thread char buf[16];

	switch (p) {
	case 1: return "ICMP";
	case 6: return "TCP";
	case 17: return "UDP";
	case 58: return "ICMPv6";
	case 132: return "SCTP";
	case 136: return "UDPLite";
	case 2: return "IGMP";
	case 47: return "GRE";
	case 50: return "ESP";
	default:
		snprintf(buf, sizeof(buf), "proto %u", p);
		return buf;
	}
}

static const char *icmp_type_name(int v6, unsigned type)
{
	if (!v6) {
		switch (type) {
		case 0: return "echo-reply";
		case 3: return "destination-unreachable";
		case 5: return "redirect";
		case 8: return "echo-request";
		case 11: return "time-exceeded";
		case 12: return "parameter-problem";
		}
	} else {
		switch (type) {
		case 1: return "destination-unreachable";
		case 2: return "packet-too-big";
		case 3: return "time-exceeded";
		case 4: return "parameter-problem";
		case 128: return "echo-request";
		case 129: return "echo-reply";
		case 133: return "nd-router-solicit";
		case 134: return "nd-router-advert";
		case 135: return "nd-neighbor-solicit";
		case 136: return "nd-neighbor-advert";
		}
	}
	return NULL;
}

static void addr_str(char *buf, size_t len, const struct nt_ev_meta *m, const uint8_t *a)
{
	if (m->l3 == NT_L3_IPV6)
		inet_ntop(AF_INET6, a, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET, a, buf, (socklen_t)len);
}

/* Appending to a buffer known to be large enough (NT_FLOW_MAX). */
static inline char *put_str(char *o, const char *s)
{
	size_t n = strlen(s);

	memcpy(o, s, n);
	return o + n;
}

static inline char *put_u32(char *o, uint32_t v)
{
	char buf[12], *p = nt_u64_digits(buf + sizeof(buf), v);
	size_t n = (size_t)(buf + sizeof(buf) - p);

	memcpy(o, p, n);
	return o + n;
}

/* inet_ntop(AF_INET) */
static inline char *put_ipv4(char *o, const uint8_t *a)
{
	for (int i = 0; i < 4; i++) {
		if (i)
			*o++ = '.';
		if (a[i] >= 100)
			*o++ = (char)('0' + a[i] / 100);
		if (a[i] >= 10)
			*o++ = (char)('0' + a[i] / 10 % 10);
		*o++ = (char)('0' + a[i] % 10);
	}
	return o;
}

static inline char *put_addr(char *o, const struct nt_ev_meta *m, const uint8_t *a)
{
	char buf[INET6_ADDRSTRLEN];

	if (m->l3 != NT_L3_IPV6)
		return put_ipv4(o, a);
	inet_ntop(AF_INET6, a, buf, sizeof(buf));
	return put_str(o, buf);
}

#define ARROW " \xe2\x86\x92 " /* " → " */
#define NT_FLOW_MAX 160 /* longest flow text + NUL is well below this */

/* nt_fmt_flow() into BUF of NT_FLOW_MAX bytes; returns the text length. */
static size_t fmt_flow(char *buf, const struct nt_ev_meta *m)
{
	static const char hex[] = "0123456789abcdef";
	char *o = buf;
	int v6;

	if (!m || (m->l3 != NT_L3_IPV4 && m->l3 != NT_L3_IPV6)) {
		if (m && m->ethertype) { /* "ethertype 0x%04x" */
			o = put_str(o, "ethertype 0x");
			for (int sh = 12; sh >= 0; sh -= 4)
				*o++ = hex[(m->ethertype >> sh) & 15];
		} else {
			*o++ = '-';
		}
		*o = 0;
		return (size_t)(o - buf);
	}
	v6 = m->l3 == NT_L3_IPV6;
	if ((m->frag & NT_FRAG_IS) && (m->frag & NT_FRAG_OFF_MASK)) {
		/* a fragment past the first: no transport header */
		o = put_addr(o, m, m->saddr);
		o = put_str(o, ARROW);
		o = put_addr(o, m, m->daddr);
		*o++ = ' ';
		o = put_str(o, nt_proto_name(m->l4proto));
		o = put_str(o, " fragment");
		*o = 0;
		return (size_t)(o - buf);
	}
	if (m->l4proto == 6 || m->l4proto == 17 || m->l4proto == 132 || m->l4proto == 136) {
		/* "a:p → b:q", "[a]:p → [b]:q" */
		if (v6)
			*o++ = '[';
		o = put_addr(o, m, m->saddr);
		o = put_str(o, v6 ? "]:" : ":");
		o = put_u32(o, m->sport);
		o = put_str(o, v6 ? ARROW "[" : ARROW);
		o = put_addr(o, m, m->daddr);
		o = put_str(o, v6 ? "]:" : ":");
		o = put_u32(o, m->dport);
	} else {
		o = put_addr(o, m, m->saddr);
		o = put_str(o, ARROW);
		o = put_addr(o, m, m->daddr);
		*o++ = ' ';
		if (m->l4proto == 1 || m->l4proto == 58) {
			unsigned type = m->sport >> 8, code = m->sport & 0xff;
			const char *tn = icmp_type_name(v6, type);

			if (tn && (type == 0 || type == 8 || type == 128 || type == 129)) {
				o = put_str(o, tn);
				o = put_str(o, " id ");
				o = put_u32(o, m->dport);
			} else if (tn) {
				o = put_str(o, tn);
				o = put_str(o, " code ");
				o = put_u32(o, code);
			} else {
				o = put_str(o, nt_proto_name(m->l4proto));
				o = put_str(o, " type ");
				o = put_u32(o, type);
				o = put_str(o, " code ");
				o = put_u32(o, code);
			}
		} else {
			o = put_str(o, nt_proto_name(m->l4proto));
		}
	}
	*o = 0;
	return (size_t)(o - buf);
}

void nt_fmt_flow(char *buf, size_t len, const struct nt_ev_meta *m)
{
	char tmp[NT_FLOW_MAX];
	size_t n;

	if (len >= NT_FLOW_MAX) {
		fmt_flow(buf, m);
		return;
	}
	if (!len)
		return;
	n = fmt_flow(tmp, m); /* truncated like snprintf() */
	if (n >= len)
		n = len - 1;
	memcpy(buf, tmp, n);
	buf[n] = 0;
}

void nt_tb_flow(struct nt_tb *b, const struct nt_ev_meta *m)
{
	char tmp[NT_FLOW_MAX];

	nt_tb_mem(b, tmp, fmt_flow(tmp, m));
}

void nt_fmt_chain(char *buf, size_t len, const struct nt_model *m, uint64_t chain_key)
{
	const struct nt_ev_nft_chaindef *c = nt_model_chain(m, chain_key);
	size_t n;

	if (!len)
		return;
	if (!c) {
		snprintf(buf, len, "chain 0x%" PRIx64, chain_key);
		return;
	}
	/* names escaped, cut at unit boundaries when BUF is short */
	n = (size_t)snprintf(buf, len, "%s ", nt_family_name(c->family));
	if (n >= len)
		return;
	n += nt_esc_buf(NT_ESC_TEXT, buf + n, len - n, c->table, strnlen(c->table, NT_NAME_LEN));
	if (n + 1 >= len)
		return;
	buf[n++] = ' ';
	nt_esc_buf(NT_ESC_TEXT, buf + n, len - n, c->chain, strnlen(c->chain, NT_NAME_LEN));
}

void nt_tb_chain(struct nt_tb *b, const struct nt_model *m, uint64_t chain_key)
{
	const struct nt_ev_nft_chaindef *c = nt_model_chain(m, chain_key);

	if (c) {
		nt_tb_str(b, nt_family_name(c->family));
		nt_tb_chr(b, ' ');
		nt_tb_esc_n(b, c->table, strnlen(c->table, NT_NAME_LEN));
		nt_tb_chr(b, ' ');
		nt_tb_esc_n(b, c->chain, strnlen(c->chain, NT_NAME_LEN));
	} else {
		nt_tb_lit(b, "chain 0x");
		nt_tb_hex(b, chain_key);
	}
}

/* a jump / goto target: its raw name (JSON), or "0x..." when not defined */
static const char *chain_name(const struct nt_model *m, uint64_t key, char *buf, size_t len)
{
	const struct nt_ev_nft_chaindef *c = nt_model_chain(m, key);

	if (c)
		return c->chain;
	snprintf(buf, len, "0x%" PRIx64, key);
	return buf;
}

void nt_fmt_rule_verdict(char *buf, size_t len, const struct nt_model *m,
			 const struct nt_ev_nft_rule *r)
{
	char tmp[24];
	size_t n;

	if (!len)
		return;
	n = (size_t)snprintf(buf, len, "%s", nt_verdict_name(r->verdict));
	if ((r->verdict == NT_V_JUMP || r->verdict == NT_V_GOTO) && n + 1 < len) {
		const char *t = chain_name(m, r->target_key, tmp, sizeof(tmp));

		buf[n++] = ' ';
		nt_esc_buf(NT_ESC_TEXT, buf + n, len - n, t, strnlen(t, NT_NAME_LEN));
	}
}

static const char *loss_source(uint32_t s)
{
	return s == NT_LOSS_RINGBUF ? "ringbuf" : s == NT_LOSS_NETLINK ? "netlink" :
	       s == NT_LOSS_USER ? "user" : s == NT_LOSS_NFTRACE_RING ? "nftrace_ring" :
	       s == NT_LOSS_STACK ? "stack" : s == NT_LOSS_PROBE ? "probe" : "unknown";
}

static const char *count_name(uint32_t c)
{
	static const char *const n[] = { "other", "nft_unmatched", "written_late", "keep_seen",
					 "keep_kept", "keep_discarded", "keep_cut", "shed",
					 "shed_events", "keep_journey_cut" };
	return c < sizeof(n) / sizeof(n[0]) ? n[c] : "other";
}

const char *nt_fate_name(int fate)
{
	switch (fate) {
	case NT_FATE_DELIVERED: return "delivered";
	case NT_FATE_DROPPED: return "dropped";
	case NT_FATE_FORWARDED: return "forwarded";
	case NT_FATE_CONSUMED: return "consumed";
	default: return "unknown";
	}
}

static const char *type_name(unsigned t)
{
	static const char *n[] = { "?", "FUNC", "META", "NFT_CHAIN", "NFT_RULE", "CHAINDEF", "DROP",
				   "LINK", "LOSS", "FREE", "DEV", "CT", "BYTES", "STACKREF", "COUNT" };

	return t < sizeof(n) / sizeof(n[0]) ? n[t] : "?";
}

static const char *link_kind(uint32_t k)
{
	return k == NT_LINK_CLONE ? "clone" : k == NT_LINK_COPY ? "copy" :
	       k == NT_LINK_REALLOC ? "realloc" : k == NT_LINK_HEAD ? "head" : "link";
}

/* The flow of record H's skb: its latest META, else its packet's. */
static const struct nt_ev_meta *rec_meta(const struct nt_model *m, const struct nt_packet *p,
					 const struct nt_ev_hdr *h)
{
	const struct nt_ev_meta *mm = h->skb ? nt_model_skb_meta(m, h->skb) : NULL;

	if (mm && (mm->l3 == NT_L3_IPV4 || mm->l3 == NT_L3_IPV6))
		return mm;
	return p && p->has_meta ? &p->last_meta : NULL;
}

void nt_fmt_event_line_p(FILE *out, const struct nt_model *m, const struct nt_packet *p,
			 const struct nt_ev_hdr *h, uint64_t seq)
{
	/* every name escaped (nt_esc_t, nt_fmt_chain): one line per record, whatever the log holds */
	char flow[160], name[1400], sfx[1200];
	const char *kind = type_name(h->type), *layer = "-";
	const struct nt_func_info *f;

	sfx[0] = 0;
	name[0] = 0;
	if (h->type == NT_EV_META)
		nt_fmt_flow(flow, sizeof(flow), (const struct nt_ev_meta *)h);
	else
		nt_fmt_flow(flow, sizeof(flow), rec_meta(m, p, h));
	switch (h->type) {
	case NT_EV_FUNC:
	case NT_EV_DROP:
	case NT_EV_FREE:
		f = nt_model_func(m, h->id);
		layer = nt_esc_t(f->layer_name);
		/* the name field holds at most 199 bytes (cut at a character / escape) */
		nt_esc_buf(NT_ESC_TEXT, name, 200, f->name, strlen(f->name));
		if (h->type == NT_EV_FREE && (h->flags & NT_F_INFERRED))
			snprintf(sfx, sizeof(sfx), " [inferred]");
		if (h->type == NT_EV_DROP) {
			const struct nt_ev_drop *d = (const void *)h;
			const char *rn = nt_model_drop_reason(m, d->reason);

			if (rn)
				snprintf(sfx, sizeof(sfx), " [%s]", nt_esc_t(rn));
			else
				snprintf(sfx, sizeof(sfx), " [reason %u]", d->reason);
		}
		break;
	case NT_EV_META: {
		const struct nt_ev_meta *mm = (const void *)h;
		const char *ifn = nt_model_ifname(m, mm->netns, mm->ifindex);

		if (ifn)
			snprintf(name, sizeof(name), "%s len %u", nt_esc_t(ifn), mm->len);
		else
			snprintf(name, sizeof(name), "if%u len %u", mm->ifindex, mm->len);
		if (mm->mark)
			snprintf(sfx, sizeof(sfx), " [mark 0x%x]", mm->mark);
		break;
	}
	case NT_EV_NFT_CHAIN: {
		const struct nt_ev_nft_chain *c = (const void *)h;

		layer = "Netfilter";
		nt_fmt_chain(name, sizeof(name), m, c->chain_key);
		if (c->phase == NT_CHAIN_EXIT)
			snprintf(sfx, sizeof(sfx), " [%s]", nt_verdict_name(c->verdict));
		break;
	}
	case NT_EV_NFT_RULE: {
		const struct nt_ev_nft_rule *r = (const void *)h;
		char ch[900], v[500];
		size_t n;

		layer = "Netfilter";
		nt_fmt_chain(ch, sizeof(ch), m, r->chain_key);
		n = strlen(ch);
		if (r->kind == NT_RULE_KIND_POLICY)
			snprintf(name, sizeof(name), "%.*s policy", (int)n, ch);
		else if (nt_rule_kind_shown(r) == NT_RULE_KIND_RETURN)
			snprintf(name, sizeof(name), "%.*s return", (int)n, ch);
		else
			snprintf(name, sizeof(name), "%.*s #%" PRIu64, (int)n, ch, r->rule_handle);
		nt_fmt_rule_verdict(v, sizeof(v), m, r);
		snprintf(sfx, sizeof(sfx), " [%s]", v);
		break;
	}
	case NT_EV_LINK: {
		const struct nt_ev_link *l = (const void *)h;

		snprintf(name, sizeof(name), "%s of 0x%" PRIx64, link_kind(l->kind), l->parent);
		break;
	}
	case NT_EV_DEV: {
		const struct nt_ev_dev *d = (const void *)h;
		const char *ifn = nt_model_ifname(m, d->netns, d->ifindex), *ns = nt_model_netns_name(m, d->netns);

		if (ifn)
			snprintf(name, sizeof(name), "%s", nt_esc_t(ifn));
		else
			snprintf(name, sizeof(name), "if%u", d->ifindex);
		if (ns)
			snprintf(sfx, sizeof(sfx), " [netns %s]", nt_esc_t(ns));
		else
			snprintf(sfx, sizeof(sfx), " [netns %u]", d->netns);
		break;
	}
	case NT_EV_COUNT: {
		const struct nt_ev_count *c = (const void *)h;

		if (h->cpu == 0xffff)
			snprintf(name, sizeof(name), "%s all cpus", count_name(c->counter));
		else
			snprintf(name, sizeof(name), "%s cpu %u", count_name(c->counter), h->cpu);
		snprintf(flow, sizeof(flow), "%" PRIu64, c->value);
		break;
	}
	case NT_EV_LOSS: {
		const struct nt_ev_loss *l = (const void *)h;

		if (h->cpu == 0xffff)
			snprintf(name, sizeof(name), "%s all cpus", loss_source(l->source));
		else
			snprintf(name, sizeof(name), "%s cpu %u", loss_source(l->source), h->cpu);
		snprintf(flow, sizeof(flow), "%" PRIu64 " lost", l->count);
		break;
	}
	default:
		if (!nt_detail_event_line(name, sizeof(name), sfx, sizeof(sfx), m, h))
			return;
		break;
	}
	fprintf(out, "[%4" PRIu64 "] %-10s %-10s %-30s %s%s\n", seq, kind, layer, name, flow, sfx);
}

void nt_fmt_event_line(FILE *out, const struct nt_model *m, const struct nt_ev_hdr *rec,
		       uint64_t seq)
{
	nt_fmt_event_line_p(out, m, nt_model_current(m), rec, seq);
}

/* ---- JSON objects ---- */
static void jw_flow_members(struct nt_jw *w, const struct nt_ev_meta *mm)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], flow[160];

	if (mm->l3 != NT_L3_IPV4 && mm->l3 != NT_L3_IPV6) {
		nt_jw_str(w, "family", "other");
		nt_jw_u64(w, "ethertype", mm->ethertype);
		return;
	}
	if (mm->l3 == NT_L3_IPV4) { /* inet_ntop(AF_INET) without sprintf */
		*put_ipv4(a, mm->saddr) = 0;
		*put_ipv4(b, mm->daddr) = 0;
	} else {
		addr_str(a, sizeof(a), mm, mm->saddr);
		addr_str(b, sizeof(b), mm, mm->daddr);
	}
	nt_jw_str(w, "family", mm->l3 == NT_L3_IPV6 ? "ipv6" : "ipv4");
	nt_jw_str(w, "proto", nt_proto_name(mm->l4proto));
	nt_jw_str(w, "src", a);
	nt_jw_str(w, "dst", b);
	if (mm->l4proto == 1 || mm->l4proto == 58) {
		nt_jw_u64(w, "icmp_type", mm->sport >> 8);
		nt_jw_u64(w, "icmp_code", mm->sport & 0xff);
		nt_jw_u64(w, "icmp_id", mm->dport);
	} else {
		nt_jw_u64(w, "sport", mm->sport);
		nt_jw_u64(w, "dport", mm->dport);
	}
	nt_fmt_flow(flow, sizeof(flow), mm);
	nt_jw_str(w, "flow", flow);
}

/* The flow members of a META as JSON text, remembered by the fields they
 * are made of (a log's packets repeat a few flows): direct-mapped. */
#define FLOW_MEMO_N 32
#define FLOW_KEY 40 /* saddr, daddr, sport, dport, ethertype, l4proto, l3: contiguous */
_Static_assert(offsetof(struct nt_ev_meta, l3) + 1 - offsetof(struct nt_ev_meta, saddr) == FLOW_KEY,
	       "the flow's fields are contiguous");
static __thread struct {
	unsigned char key[FLOW_KEY];
	uint16_t frag;
	int8_t state;      /* 0 empty, 1 JSON, 2 HTML-safe JSON */
	uint8_t count;     /* members */
	uint16_t len;
	/* the members' longest text: family, proto (16), src and dst (45 each),
	 * three numbers, the flow (159 bytes, each escaped to at most 6) < 1,200 */
	char s[1280];
} flow_memo[FLOW_MEMO_N];

static void jw_flow(struct nt_jw *w, const struct nt_ev_meta *mm)
{
	const unsigned char *k = mm->saddr;
	uint64_t x[FLOW_KEY / 8], hsh = 0;
	struct nt_jw mw;
	int state = w->html ? 2 : 1;
	unsigned i;

	if (mm->l3 != NT_L3_IPV4 && mm->l3 != NT_L3_IPV6) {
		jw_flow_members(w, mm);
		return;
	}
	memcpy(x, k, FLOW_KEY);
	for (i = 0; i < FLOW_KEY / 8; i++)
		hsh = (hsh ^ x[i]) * 0x9e3779b97f4a7c15ull;
	i = (unsigned)(hsh >> 59) % FLOW_MEMO_N;
	if (flow_memo[i].state != state || flow_memo[i].frag != mm->frag ||
	    memcmp(flow_memo[i].key, k, FLOW_KEY)) {
		nt_jw_init_mem(&mw, flow_memo[i].s, sizeof(flow_memo[i].s), w->html);
		jw_flow_members(&mw, mm);
		memcpy(flow_memo[i].key, k, FLOW_KEY);
		flow_memo[i].frag = mm->frag;
		flow_memo[i].state = (int8_t)state;
		flow_memo[i].count = (uint8_t)mw.n[0];
		flow_memo[i].len = (uint16_t)mw.len;
	}
	nt_jw_members_raw(w, flow_memo[i].s, flow_memo[i].len, flow_memo[i].count);
}

void nt_jw_packet_fields(struct nt_jw *w, const struct nt_model *m, const struct nt_packet *p)
{
	char sym[192];

	nt_jw_u64(w, "packet", p->id);
	nt_jw_hex(w, "skb", p->skb);
	if (p->has_meta) {
		const char *ifn = nt_model_ifname(m, p->meta.netns, p->meta.ifindex);

		jw_flow(w, &p->meta);
		nt_jw_u64(w, "ifindex", p->meta.ifindex);
		nt_jw_str(w, "ifname", ifn);
		nt_jw_u64(w, "netns", p->meta.netns);
		nt_jw_str(w, "ns", nt_model_netns_name(m, p->meta.netns));
		nt_jw_u64(w, "len", p->meta.len);
		nt_jw_u64(w, "mark", p->meta.mark);
		if (p->n_nat) {
			char f[160];

			nt_fmt_flow(f, sizeof(f), &p->last_meta);
			nt_jw_str(w, "flow_translated", f);
		}
	}
	nt_jw_u64(w, "flow_packet", p->flow_packet);
	nt_jw_str(w, "direction", p->reply ? "reply" : "original");
	nt_jw_str(w, "verdict", nt_verdict_name(p->verdict));
	nt_jw_str(w, "fate", nt_fate_name(p->fate));
	nt_jw_str(w, "fate_function", p->fate_func != UINT32_MAX && p->fate != NT_FATE_UNKNOWN ?
				      nt_model_func(m, p->fate_func)->name : NULL);
	nt_jw_str(w, "fate_dev", p->fate_ifindex ? nt_model_ifname(m, p->fate_netns, p->fate_ifindex) : NULL);
	nt_jw_u64(w, "fate_netns", p->fate_netns);
	nt_jw_bool(w, "dropped", p->dropped);
	if (p->dropped) {
		nt_jw_u64(w, "drop_reason_value", p->drop_reason);
		nt_jw_str(w, "drop_reason", nt_model_drop_reason(m, p->drop_reason));
		nt_jw_str(w, "drop_function", nt_model_func(m, p->drop_func)->name);
		nt_jw_str(w, "drop_location", nt_model_symbolize(m, p->drop_location, sym, sizeof(sym)));
		nt_jw_hex(w, "drop_address", p->drop_location);
	}
	nt_jw_u64(w, "functions", p->n_funcs);
	nt_jw_u64(w, "nft_chains", nt_packet_chains(p));
	nt_jw_u64(w, "nft_rules", p->n_rules);
	nt_jw_u64(w, "branch_count", p->n_branches);
	nt_jw_u64(w, "fragment_skbs", p->n_frags);
	nt_jw_bool(w, "reassembled", p->reassembled);
	nt_jw_u64(w, "nat_count", p->n_nat);
	nt_jw_u64(w, "events", p->n_events);
	nt_jw_u64(w, "first_ts_ns", p->first_ts);
	nt_jw_u64(w, "duration_ns", nt_sat_sub(p->last_ts, p->first_ts));
	nt_jw_bool(w, "incomplete", p->incomplete);
}

static void jw_chain(struct nt_jw *w, const struct nt_model *m, uint64_t key)
{
	const struct nt_ev_nft_chaindef *c = nt_model_chain(m, key);

	if (c) {
		nt_jw_str(w, "family", nt_family_name(c->family));
		nt_jw_str(w, "table", c->table);
		nt_jw_str(w, "chain", c->chain);
		if (c->base)
			nt_jw_str(w, "hook", nt_hook_name(c->hook));
	} else {
		nt_jw_hex(w, "chain_key", key);
	}
}

void nt_jw_event(struct nt_jw *w, const struct nt_model *m, const struct nt_packet *p,
		 const struct nt_ev_hdr *h, uint64_t seq)
{
	const struct nt_func_info *f;

	nt_jw_obj(w, NULL);
	nt_jw_u64(w, "seq", seq);
	nt_jw_str(w, "type", type_name(h->type));
	nt_jw_u64(w, "ts_ns", h->ts_ns);
	nt_jw_u64(w, "cpu", h->cpu);
	nt_jw_hex(w, "skb", h->skb);
	if (p)
		nt_jw_u64(w, "packet", p->id);
	else
		nt_jw_str(w, "packet", NULL);
	switch (h->type) {
	case NT_EV_FUNC:
	case NT_EV_DROP:
	case NT_EV_FREE:
		f = nt_model_func(m, h->id);
		nt_jw_str(w, "func", f->name);
		nt_jw_str(w, "layer", f->layer_name);
		if (h->type == NT_EV_FREE)
			nt_jw_bool(w, "inferred", !!(h->flags & NT_F_INFERRED));
		if (h->type == NT_EV_DROP) {
			const struct nt_ev_drop *d = (const void *)h;
			char sym[192];

			nt_jw_u64(w, "reason_value", d->reason);
			nt_jw_str(w, "reason", nt_model_drop_reason(m, d->reason));
			nt_jw_str(w, "location", nt_model_symbolize(m, d->location, sym, sizeof(sym)));
			nt_jw_hex(w, "address", d->location);
		}
		break;
	case NT_EV_META: {
		const struct nt_ev_meta *mm = (const void *)h;

		jw_flow(w, mm);
		nt_jw_u64(w, "ifindex", mm->ifindex);
		nt_jw_str(w, "ifname", nt_model_ifname(m, mm->netns, mm->ifindex));
		nt_jw_u64(w, "netns", mm->netns);
		nt_jw_u64(w, "len", mm->len);
		nt_jw_u64(w, "mark", mm->mark);
		break;
	}
	case NT_EV_NFT_CHAIN: {
		const struct nt_ev_nft_chain *c = (const void *)h;

		jw_chain(w, m, c->chain_key);
		nt_jw_str(w, "phase", c->phase == NT_CHAIN_EXIT ? "exit" : "enter");
		if (c->phase == NT_CHAIN_EXIT)
			nt_jw_str(w, "verdict", nt_verdict_name(c->verdict));
		nt_jw_u64(w, "depth", c->depth);
		break;
	}
	case NT_EV_NFT_RULE: {
		const struct nt_ev_nft_rule *r = (const void *)h;
		char tmp[24];

		jw_chain(w, m, r->chain_key);
		nt_jw_str(w, "kind", r->kind == NT_RULE_KIND_POLICY ? "policy" :
				      nt_rule_kind_shown(r) == NT_RULE_KIND_RETURN ? "return" : "rule");
		nt_jw_u64(w, "handle", r->rule_handle);
		nt_jw_str(w, "verdict", nt_verdict_name(r->verdict));
		if (r->verdict == NT_V_JUMP || r->verdict == NT_V_GOTO)
			nt_jw_str(w, "target", chain_name(m, r->target_key, tmp, sizeof(tmp)));
		nt_jw_u64(w, "depth", r->depth);
		nt_jw_u64(w, "trace_id", r->trace_id);
		nt_jw_rule_text(w, m, nt_model_rule_text_at(m, r->chain_key, r->rule_handle, r->h.ts_ns));
		break;
	}
	case NT_EV_LINK: {
		const struct nt_ev_link *l = (const void *)h;

		nt_jw_str(w, "kind", link_kind(l->kind));
		nt_jw_hex(w, "parent", l->parent);
		break;
	}
	case NT_EV_LOSS: {
		const struct nt_ev_loss *l = (const void *)h;

		nt_jw_str(w, "source", loss_source(l->source));
		nt_jw_u64(w, "count", l->count);
		break;
	}
	case NT_EV_DEV: {
		const struct nt_ev_dev *d = (const void *)h;

		nt_jw_u64(w, "ifindex", d->ifindex);
		nt_jw_str(w, "ifname", nt_model_ifname(m, d->netns, d->ifindex));
		nt_jw_u64(w, "netns", d->netns);
		nt_jw_str(w, "ns", nt_model_netns_name(m, d->netns));
		break;
	}
	case NT_EV_COUNT: {
		const struct nt_ev_count *c = (const void *)h;

		nt_jw_str(w, "counter", count_name(c->counter));
		nt_jw_u64(w, "value", c->value);
		break;
	}
	default:
		nt_detail_jw_event(w, m, h);
		break;
	}
	nt_jw_end(w);
}

void nt_jw_limits(struct nt_jw *w, const struct nt_model *m)
{
	nt_jw_limits_of(w, nt_model_limits(m));
}

void nt_jw_limits_of(struct nt_jw *w, const struct nt_limits *l)
{
	if (!nt_limits_reached(l))
		return;
	nt_jw_arr(w, "limits_hit");
	for (int i = 0; i < NT_LIM__N; i++) {
		if (!l->hits[i])
			continue;
		nt_jw_obj(w, NULL);
		nt_jw_str(w, "limit", nt_limit_defs[i].name);
		nt_jw_u64(w, "max", l->max[i]);
		nt_jw_u64(w, "count", l->hits[i]);
		nt_jw_str(w, "flag", nt_limit_defs[i].flag);
		nt_jw_end(w);
	}
	nt_jw_end(w);
}

void nt_jw_log_fields(struct nt_jw *w, const struct nt_model *m, const char *file)
{
	nt_jw_str(w, "file", file);
	nt_jw_str(w, "hostname", nt_model_header_str(m, "hostname"));
	nt_jw_str(w, "kernel", nt_model_header_str(m, "kernel"));
	nt_jw_str(w, "backend", nt_model_header_str(m, "backend"));
	nt_jw_str(w, "start_time", nt_model_header_str(m, "start_time"));
}
