// SPDX-License-Identifier: GPL-2.0
/* output.c - streaming JSON writer, names, flow and event line formatting. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sat.h"
#include "model/detail.h"
#include "model/output.h"

/* ---- JSON writer ---- */
void nt_jw_init(struct nt_jw *w, FILE *f)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
}

void nt_jw_init_buffered(struct nt_jw *w, FILE *f)
{
	nt_jw_init(w, f);
	w->buf = malloc(1 << 16);
	if (w->buf)
		w->cap = 1 << 16;
}

void nt_jw_flush(struct nt_jw *w)
{
	if (w->buf && w->len) {
		fwrite_unlocked(w->buf, 1, w->len, w->f);
		w->len = 0;
	}
}

void nt_jw_free(struct nt_jw *w)
{
	nt_jw_flush(w);
	free(w->buf);
	w->buf = NULL;
	w->cap = 0;
}

static inline void jw_write(struct nt_jw *w, const void *p, size_t n)
{
	if (!w->buf) {
		fwrite_unlocked(p, 1, n, w->f);
		return;
	}
	if (w->len + n > w->cap) {
		nt_jw_flush(w);
		if (n > w->cap) {
			fwrite_unlocked(p, 1, n, w->f);
			return;
		}
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static inline void jw_putc(struct nt_jw *w, char c)
{
	if (!w->buf)
		putc_unlocked(c, w->f);
	else if (w->len < w->cap)
		w->buf[w->len++] = c;
	else
		jw_write(w, &c, 1);
}

static inline void jw_puts(struct nt_jw *w, const char *s)
{
	jw_write(w, s, strlen(s));
}

static void member(struct nt_jw *w, const char *key);

/* A JSON string of S[0..N): common/escape.h writes straight into the buffer. */
static void put_escaped_n(struct nt_jw *w, const char *s, size_t n)
{
	enum nt_esc_mode mode = w->html ? NT_ESC_JSON_HTML : NT_ESC_JSON;

	jw_putc(w, '"');
	while (n) {
		size_t used, k;

		if (w->buf) {
			if (w->cap - w->len < NT_ESC_UNIT_MAX)
				nt_jw_flush(w);
			k = nt_esc_chunk(mode, w->buf + w->len, w->cap - w->len, s, n, &used);
			w->len += k;
		} else {
			char tmp[512];

			k = nt_esc_chunk(mode, tmp, sizeof(tmp), s, n, &used);
			fwrite_unlocked(tmp, 1, k, w->f);
		}
		s += used;
		n -= used;
	}
	jw_putc(w, '"');
}

static void put_escaped(struct nt_jw *w, const char *s)
{
	put_escaped_n(w, s, strlen(s));
}

/* "%8.3f" of NS / 1000 without floating point: "   2.500"; returns strlen(buf) */
static size_t nt_fmt_us_len(char buf[32], uint64_t ns)
{
	char tmp[32], *e = tmp + sizeof(tmp), *p = e;
	uint64_t whole = ns / 1000, frac = ns % 1000;
	size_t n;

	*--p = 0;
	*--p = (char)('0' + frac % 10);
	*--p = (char)('0' + frac / 10 % 10);
	*--p = (char)('0' + frac / 100);
	*--p = '.';
	do {
		*--p = (char)('0' + whole % 10);
		whole /= 10;
	} while (whole);
	while (e - p - 1 < 8)
		*--p = ' ';
	n = (size_t)(e - p);
	memcpy(buf, p, n);
	return n - 1;
}

void nt_fmt_us(char buf[32], uint64_t ns)
{
	nt_fmt_us_len(buf, ns);
}

/* Decimal digits of V into the end of BUF; returns the first digit. */
static char *u64_digits(char *end, uint64_t v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

/* ---- text builder ---- */
void nt_tb_flush(struct nt_tb *b)
{
	if (b->len)
		fwrite_unlocked(b->buf, 1, b->len, b->f);
	b->len = 0;
}

void nt_tb_mem_slow(struct nt_tb *b, const void *p, size_t n)
{
	nt_tb_flush(b);
	if (n > sizeof(b->buf)) {
		fwrite_unlocked(p, 1, n, b->f);
		return;
	}
	memcpy(b->buf, p, n);
	b->len = n;
}

void nt_tb_esc_n(struct nt_tb *b, const char *s, size_t n)
{
	while (n) {
		size_t used, k;

		if (sizeof(b->buf) - b->len < NT_ESC_UNIT_MAX)
			nt_tb_flush(b);
		k = nt_esc_chunk(NT_ESC_TEXT, b->buf + b->len, sizeof(b->buf) - b->len, s, n, &used);
		b->len += k;
		s += used;
		n -= used;
	}
}

#define ESC_T_BUFS 8
#define ESC_T_LEN 4200
static __thread char esc_t_buf[ESC_T_BUFS][ESC_T_LEN];
static __thread unsigned esc_t_next;

const char *nt_esc_t(const char *s)
{
	char *buf = esc_t_buf[esc_t_next++ % ESC_T_BUFS];
	size_t n = strlen(s ? s : ""), used, k;

	k = nt_esc_chunk(NT_ESC_TEXT, buf, ESC_T_LEN - 4, s ? s : "", n, &used);
	if (used < n) {
		memcpy(buf + k, "\xe2\x80\xa6", 3); /* "…" */
		k += 3;
	}
	buf[k] = 0;
	return buf;
}

/* Length of TEXT printed for a step: the whole, or the rule_text limit (cut at
 * a character boundary, counted). */
static size_t rule_text_len(const struct nt_model *m, const char *text, size_t n, int *cut)
{
	struct nt_limits *l = nt_model_limits(m);

	*cut = n > l->max[NT_LIM_RULE_TEXT];
	if (!*cut)
		return n;
	nt_limit_hit(l, NT_LIM_RULE_TEXT, 1);
	return nt_utf8_prefix(text, n, l->max[NT_LIM_RULE_TEXT]);
}

void nt_tb_rule_text(struct nt_tb *b, const struct nt_model *m, const char *text)
{
	size_t n = strlen(text);
	int cut;
	size_t k = rule_text_len(m, text, n, &cut);

	nt_tb_esc_n(b, text, k);
	if (cut) {
		nt_tb_lit(b, "\xe2\x80\xa6 (");
		nt_tb_u64(b, n);
		nt_tb_lit(b, " bytes)");
	}
}

static __thread char rule_t_buf[4][4500];
static __thread unsigned rule_t_next;

const char *nt_rule_text_t(const struct nt_model *m, const char *text)
{
	char *buf = rule_t_buf[rule_t_next++ % 4];
	size_t n = strlen(text), used, k;
	int cut;
	size_t keep = rule_text_len(m, text, n, &cut);
	const size_t room = sizeof(rule_t_buf[0]) - 40;

	k = nt_esc_chunk(NT_ESC_TEXT, buf, room, text, keep, &used);
	if (cut || used < keep)
		k += (size_t)snprintf(buf + k, sizeof(rule_t_buf[0]) - k, "\xe2\x80\xa6 (%zu bytes)", n);
	buf[k] = 0;
	return buf;
}

void nt_jw_rule_text_as(struct nt_jw *w, const struct nt_model *m, const char *key, const char *text)
{
	char bytes_key[40];
	size_t n;
	int cut;

	if (!text) {
		nt_jw_str(w, key, NULL);
		return;
	}
	n = strlen(text);
	member(w, key);
	put_escaped_n(w, text, rule_text_len(m, text, n, &cut));
	if (cut) { /* keys are program constants */
		snprintf(bytes_key, sizeof(bytes_key), "%s_bytes", key);
		nt_jw_u64(w, bytes_key, n);
	}
}

void nt_jw_rule_text(struct nt_jw *w, const struct nt_model *m, const char *text)
{
	nt_jw_rule_text_as(w, m, "text", text);
}

void nt_tb_u64(struct nt_tb *b, uint64_t v)
{
	char buf[24], *p = u64_digits(buf + sizeof(buf), v);

	nt_tb_mem(b, p, (size_t)(buf + sizeof(buf) - p));
}

void nt_tb_i64(struct nt_tb *b, int64_t v)
{
	if (v < 0) {
		nt_tb_chr(b, '-');
		nt_tb_u64(b, -(uint64_t)v);
	} else {
		nt_tb_u64(b, (uint64_t)v);
	}
}

void nt_tb_hex(struct nt_tb *b, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";
	char buf[16], *p = buf + sizeof(buf);

	do {
		*--p = hex[v & 15];
		v >>= 4;
	} while (v);
	nt_tb_mem(b, p, (size_t)(buf + sizeof(buf) - p));
}

void nt_tb_us(struct nt_tb *b, uint64_t ns)
{
	char buf[32];

	nt_tb_mem(b, buf, nt_fmt_us_len(buf, ns));
}

static void member(struct nt_jw *w, const char *key)
{
	if (w->depth > 0 && w->n[w->depth - 1]++)
		jw_putc(w, ',');
	if (key) { /* keys are program constants: no escaping needed */
		jw_putc(w, '"');
		jw_puts(w, key);
		jw_write(w, "\":", 2);
	}
}

static void open_(struct nt_jw *w, const char *key, char c)
{
	member(w, key);
	jw_putc(w, c);
	if (w->depth < NT_JW_MAX_DEPTH) {
		w->n[w->depth] = 0;
		w->kind[w->depth] = c;
		w->depth++;
	}
}

void nt_jw_obj(struct nt_jw *w, const char *key) { open_(w, key, '{'); }
void nt_jw_arr(struct nt_jw *w, const char *key) { open_(w, key, '['); }

void nt_jw_end(struct nt_jw *w)
{
	if (w->depth <= 0)
		return;
	w->depth--;
	jw_putc(w, w->kind[w->depth] == '[' ? ']' : '}');
}

void nt_jw_str(struct nt_jw *w, const char *key, const char *v)
{
	member(w, key);
	if (v)
		put_escaped(w, v);
	else
		jw_write(w, "null", 4);
}

void nt_jw_u64(struct nt_jw *w, const char *key, uint64_t v)
{
	char buf[24], *p = u64_digits(buf + sizeof(buf), v);

	member(w, key);
	jw_write(w, p, (size_t)(buf + sizeof(buf) - p));
}

void nt_jw_i64(struct nt_jw *w, const char *key, int64_t v)
{
	char buf[32];

	member(w, key);
	jw_write(w, buf, (size_t)snprintf(buf, sizeof(buf), "%" PRId64, v));
}

void nt_jw_dbl(struct nt_jw *w, const char *key, double v, int decimals)
{
	char buf[64];
	int n;

	member(w, key);
	n = snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	jw_write(w, buf, n < 0 ? 0 : (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

void nt_jw_bool(struct nt_jw *w, const char *key, int v)
{
	member(w, key);
	jw_puts(w, v ? "true" : "false");
}

void nt_jw_hex(struct nt_jw *w, const char *key, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";
	char buf[24], *p = buf + sizeof(buf);

	*--p = '"';
	do {
		*--p = hex[v & 15];
		v >>= 4;
	} while (v);
	*--p = 'x';
	*--p = '0';
	*--p = '"';
	member(w, key);
	jw_write(w, p, (size_t)(buf + sizeof(buf) - p));
}

void nt_jw_newline(struct nt_jw *w)
{
	jw_putc(w, '\n');
}

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
	char buf[12], *p = u64_digits(buf + sizeof(buf), v);
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
	       s == NT_LOSS_USER ? "user" : s == NT_LOSS_NFTRACE_RING ? "nftrace_ring" : "unknown";
}

static const char *count_name(uint32_t c)
{
	static const char *const n[] = { "other", "nft_unmatched", "written_late", "keep_seen",
					 "keep_kept", "keep_discarded", "keep_cut", "shed" };
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
		else if (r->kind == NT_RULE_KIND_RETURN)
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
static void jw_flow(struct nt_jw *w, const struct nt_ev_meta *mm)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], flow[160];

	if (mm->l3 != NT_L3_IPV4 && mm->l3 != NT_L3_IPV6) {
		nt_jw_str(w, "family", "other");
		nt_jw_u64(w, "ethertype", mm->ethertype);
		return;
	}
	addr_str(a, sizeof(a), mm, mm->saddr);
	addr_str(b, sizeof(b), mm, mm->daddr);
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
				      r->kind == NT_RULE_KIND_RETURN ? "return" : "rule");
		nt_jw_u64(w, "handle", r->rule_handle);
		nt_jw_str(w, "verdict", nt_verdict_name(r->verdict));
		if (r->verdict == NT_V_JUMP || r->verdict == NT_V_GOTO)
			nt_jw_str(w, "target", chain_name(m, r->target_key, tmp, sizeof(tmp)));
		nt_jw_u64(w, "depth", r->depth);
		nt_jw_u64(w, "trace_id", r->trace_id);
		nt_jw_rule_text(w, m, nt_model_rule_text(m, r->chain_key, r->rule_handle));
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
	const struct nt_limits *l = nt_model_limits(m);

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
