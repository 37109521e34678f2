// SPDX-License-Identifier: GPL-2.0
/* export.c - packets as ClickHouse rows (export.h).  Column order = the
 * CREATE TABLE order of formats/clickhouse.sql (TabSeparated is positional;
 * tests/golden/export.sh compares the two). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/escape.h"
#include "model/export.h"
#include "model/stats.h"

const char *const nt_xtable_names[NT_X__N] = { "packets", "hops", "nft_steps", "drops" };

struct xbuf {
	char *p;
	size_t n, cap;
};

struct nt_export {
	enum nt_xformat fmt;
	unsigned tables;
	nt_xrow_fn row;
	void *ctx;
	struct xbuf b;
	int oom, ncol;
	uint64_t rows[NT_X__N];
	char host[160], boot_id[40], recording[160];
	struct nt_clock clk;
	/* day cache: the UTC day of [day_lo, day_hi) seconds */
	int64_t day_lo, day_hi;
	char day[16];
};

static int xgrow(struct nt_export *x, size_t more)
{
	size_t cap;
	char *p;

	if (x->b.n + more <= x->b.cap)
		return 0;
	cap = x->b.cap ? x->b.cap : 4096;
	while (cap < x->b.n + more)
		cap *= 2;
	p = realloc(x->b.p, cap);
	if (!p) {
		x->oom = 1;
		return -ENOMEM;
	}
	x->b.p = p;
	x->b.cap = cap;
	return 0;
}

static inline void raw(struct nt_export *x, const char *s, size_t n)
{
	if (xgrow(x, n))
		return;
	memcpy(x->b.p + x->b.n, s, n);
	x->b.n += n;
}

#define LIT(x, s) raw((x), "" s, sizeof(s) - 1)

static inline void chr(struct nt_export *x, char c)
{
	if (x->b.n < x->b.cap || !xgrow(x, 1))
		x->b.p[x->b.n++] = c;
}

static void u64(struct nt_export *x, uint64_t v)
{
	char t[24];
	int i = sizeof(t);

	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	raw(x, t + i, sizeof(t) - (size_t)i);
}

/* S[0..N) as a JSON string body (common/escape: strict UTF-8, controls as
 * \u escapes) or a TabSeparated value / array element: ClickHouse's escapes
 * (\\b \\f \\r \\n \\t \\' \\\\), and every byte of another control (C0, DEL,
 * C1, bidi) as \\xHH, which ClickHouse reads back as that byte; invalid UTF-8
 * becomes U+FFFD (one per maximal ill-formed subpart) in both formats, as the
 * JSON form must: JSON and TSV loads hold the same String, the text is
 * terminal-safe. */
static void esc_n(struct nt_export *x, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	if (x->fmt == NT_XF_JSON) {
		while (n) {
			size_t used, k;

			if (xgrow(x, 256))
				return;
			k = nt_esc_chunk(NT_ESC_JSON, x->b.p + x->b.n, 256, (const char *)p, n, &used);
			x->b.n += k;
			p += used;
			n -= used;
		}
		return;
	}
	while (n) {
		uint32_t cp;
		size_t k;
		enum nt_cp_class c;

		if (*p >= 0x20 && *p < 0x7f && *p != '\\' && *p != '\'') { /* the common case */
			chr(x, (char)*p++);
			n--;
			continue;
		}
		k = nt_utf8_decode(p, n, &cp);
		if (cp == NT_UTF8_BAD) {
			LIT(x, "\xef\xbf\xbd");
			p += k;
			n -= k;
			continue;
		}
		c = nt_cp_class(cp);
		switch (cp) {
		case '\\': LIT(x, "\\\\"); break;
		case '\'': LIT(x, "\\'"); break;
		case '\t': LIT(x, "\\t"); break;
		case '\n': LIT(x, "\\n"); break;
		case '\r': LIT(x, "\\r"); break;
		case '\b': LIT(x, "\\b"); break;
		case '\f': LIT(x, "\\f"); break;
		default:
			if (c == NT_CP_C0 || c == NT_CP_DEL || c == NT_CP_C1 || c == NT_CP_BIDI) {
				for (size_t i = 0; i < k; i++) {
					char u[4] = { '\\', 'x', hex[p[i] >> 4], hex[p[i] & 15] };

					raw(x, u, 4);
				}
			} else {
				raw(x, (const char *)p, k);
			}
		}
		p += k;
		n -= k;
	}
}

static void esc(struct nt_export *x, const char *s)
{
	s = s ? s : "";
	esc_n(x, s, strlen(s));
}

/* ---- one row ---- */
static void row_begin(struct nt_export *x)
{
	x->b.n = 0;
	x->ncol = 0;
	if (x->fmt == NT_XF_JSON)
		chr(x, '{');
}

static void col(struct nt_export *x, const char *name)
{
	if (x->fmt == NT_XF_JSON) {
		if (x->ncol)
			chr(x, ',');
		chr(x, '"');
		raw(x, name, strlen(name));
		LIT(x, "\":");
	} else if (x->ncol) {
		chr(x, '\t');
	}
	x->ncol++;
}

static void c_u64(struct nt_export *x, const char *name, uint64_t v)
{
	col(x, name);
	u64(x, v);
}

static void c_str(struct nt_export *x, const char *name, const char *s)
{
	col(x, name);
	if (x->fmt == NT_XF_JSON)
		chr(x, '"');
	esc(x, s);
	if (x->fmt == NT_XF_JSON)
		chr(x, '"');
}

/* A rule text: at most the model's rule_text limit of it (--max-rule-text,
 * cut at a character boundary, counted), followed by "… (N bytes)" when cut,
 * so a long rule in many packets does not multiply its length. */
static void c_text(struct nt_export *x, const struct nt_model *m, const char *name, const char *s)
{
	struct nt_limits *l = nt_model_limits(m);
	size_t n = strlen(s ? s : ""), k = n;
	char tail[48];

	s = s ? s : "";
	if (n > l->max[NT_LIM_RULE_TEXT]) {
		nt_limit_hit(l, NT_LIM_RULE_TEXT, 1);
		k = nt_utf8_prefix(s, n, l->max[NT_LIM_RULE_TEXT]);
	}
	col(x, name);
	if (x->fmt == NT_XF_JSON)
		chr(x, '"');
	esc_n(x, s, k);
	if (k < n) {
		snprintf(tail, sizeof(tail), "\xe2\x80\xa6 (%zu bytes)", n);
		raw(x, tail, strlen(tail));
	}
	if (x->fmt == NT_XF_JSON)
		chr(x, '"');
}

static void arr_begin(struct nt_export *x, const char *name)
{
	col(x, name);
	chr(x, '[');
}

static void arr_str(struct nt_export *x, int i, const char *s)
{
	char q = x->fmt == NT_XF_JSON ? '"' : '\'';

	if (i)
		chr(x, ',');
	chr(x, q);
	esc(x, s);
	chr(x, q);
}

static void arr_u64(struct nt_export *x, int i, uint64_t v)
{
	if (i)
		chr(x, ',');
	u64(x, v);
}

static int row_end(struct nt_export *x, int table)
{
	if (x->fmt == NT_XF_JSON)
		chr(x, '}');
	chr(x, '\n');
	if (x->oom)
		return -ENOMEM;
	x->rows[table]++;
	return x->row(x->ctx, table, x->b.p, x->b.n);
}

/* ---- common columns ---- */
static const char *day_of(struct nt_export *x, uint64_t wall_ns)
{
	int64_t sec = (int64_t)(wall_ns / 1000000000ull);
	time_t t;
	struct tm tm;

	if (sec >= x->day_lo && sec < x->day_hi)
		return x->day;
	t = (time_t)sec;
	gmtime_r(&t, &tm);
	strftime(x->day, sizeof(x->day), "%Y-%m-%d", &tm);
	x->day_lo = sec - (tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec);
	x->day_hi = x->day_lo + 86400;
	return x->day;
}

static void addr(char *buf, size_t len, uint8_t l3, const uint8_t *a)
{
	if (l3 == NT_L3_IPV4)
		inet_ntop(AF_INET, a, buf, (socklen_t)len);
	else if (l3 == NT_L3_IPV6)
		inet_ntop(AF_INET6, a, buf, (socklen_t)len);
	else
		buf[0] = 0;
}

static int is_icmp(const struct nt_ev_meta *m)
{
	return m->l4proto == 1 || m->l4proto == 58;
}

/* day, ts_ns, host, boot_id, recording, packet, netns, l3, proto, src, dst, sport, dport */
static void head(struct nt_export *x, const struct nt_packet *p, uint64_t ts, uint32_t netns,
		 const char *src, const char *dst)
{
	uint64_t wall = nt_clock_wall(&x->clk, ts);
	const struct nt_ev_meta *m = &p->meta;

	row_begin(x);
	c_str(x, "day", wall ? day_of(x, wall) : "1970-01-01");
	c_u64(x, "ts_ns", wall);
	c_str(x, "host", x->host);
	c_str(x, "boot_id", x->boot_id);
	c_str(x, "recording", x->recording);
	c_u64(x, "packet", p->id);
	c_u64(x, "netns", netns);
	c_u64(x, "l3", p->has_meta ? m->l3 : 0);
	c_u64(x, "proto", p->has_meta ? m->l4proto : 0);
	c_str(x, "src", src);
	c_str(x, "dst", dst);
	c_u64(x, "sport", p->has_meta && !is_icmp(m) ? m->sport : 0);
	c_u64(x, "dport", p->has_meta && !is_icmp(m) ? m->dport : 0);
}

/* ---- API ---- */
struct nt_export *nt_export_new(enum nt_xformat fmt, unsigned tables, nt_xrow_fn row, void *ctx)
{
	struct nt_export *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->fmt = fmt;
	x->tables = tables;
	x->row = row;
	x->ctx = ctx;
	x->day_hi = -1;
	nt_clock_init(&x->clk);
	return x;
}

void nt_export_free(struct nt_export *x)
{
	if (!x)
		return;
	nt_clock_free(&x->clk);
	free(x->b.p);
	free(x);
}

void nt_export_source(struct nt_export *x, const char *host, const struct nt_ident *id,
		      const char *recording)
{
	snprintf(x->host, sizeof(x->host), "%s", host);
	snprintf(x->boot_id, sizeof(x->boot_id), "%s", id->boot_id);
	snprintf(x->recording, sizeof(x->recording), "%s", recording);
	nt_clock_free(&x->clk);
	nt_clock_init(&x->clk);
}

void nt_export_meta(struct nt_export *x, uint16_t type, const char *json, size_t len)
{
	if (nt_clock_meta(&x->clk, type, json, len))
		x->oom = 1;
}

uint64_t nt_export_rows(const struct nt_export *x, int table)
{
	return table >= 0 && table < NT_X__N ? x->rows[table] : 0;
}

#define FOREACH_REC(p, h) \
	for (size_t _off = 0; _off + sizeof(struct nt_ev_hdr) <= (p)->ev_len && \
	     ((h) = (const void *)((p)->ev + _off)) && nt_ev_size((h)->type); \
	     _off += nt_ev_size((h)->type))

static const char *step_kind(const struct nt_ev_hdr *h)
{
	if (h->type == NT_EV_NFT_CHAIN)
		return ((const struct nt_ev_nft_chain *)h)->phase == NT_CHAIN_EXIT ? "chain_exit" :
										      "chain_enter";
	switch (nt_rule_kind_shown((const struct nt_ev_nft_rule *)h)) {
	case NT_RULE_KIND_POLICY: return "policy";
	case NT_RULE_KIND_RETURN: return "return";
	default: return "rule";
	}
}

static int packet_row(struct nt_export *x, const struct nt_model *m, const struct nt_packet *p,
		      const char *src, const char *dst, const char *rule)
{
	const struct nt_ev_meta *mt = &p->meta;
	const struct nt_ev_nft_chaindef *d = nt_model_chain(m, p->verdict_chain);
	const char *reason = p->dropped ? nt_model_drop_reason(m, p->drop_reason) : "";
	char rb[32];
	int n = 0;

	if (p->dropped && !reason) {
		snprintf(rb, sizeof(rb), "reason %u", p->drop_reason);
		reason = rb;
	}
	head(x, p, p->first_ts, p->has_meta ? mt->netns : 0, src, dst);
	c_u64(x, "ifindex", p->has_meta ? mt->ifindex : 0);
	c_u64(x, "ip_id", p->has_meta ? mt->ip_id : 0);
	c_u64(x, "tcp_seq", p->has_meta && mt->l4proto == 6 ? mt->l4_extra : 0);
	c_u64(x, "tcp_flags", p->has_meta ? mt->tcp_flags : 0);
	c_u64(x, "icmp_type", p->has_meta && is_icmp(mt) ? mt->sport >> 8 : 0);
	c_u64(x, "icmp_code", p->has_meta && is_icmp(mt) ? mt->sport & 0xff : 0);
	c_u64(x, "icmp_id", p->has_meta && is_icmp(mt) ? mt->dport : 0);
	c_u64(x, "icmp_seq", p->has_meta && is_icmp(mt) ? mt->l4_extra & 0xffff : 0);
	c_u64(x, "len", p->has_meta ? mt->len : 0);
	c_u64(x, "duration_ns", p->last_ts >= p->first_ts ? p->last_ts - p->first_ts : 0);
	c_str(x, "verdict", nt_verdict_name(p->verdict));
	c_str(x, "rule", rule);
	c_str(x, "rule_family", d ? nt_family_name(d->family) : "");
	c_str(x, "rule_table", d ? d->table : "");
	c_str(x, "rule_chain", d ? d->chain : "");
	c_u64(x, "rule_handle", p->verdict_rule);
	c_text(x, m, "rule_text", p->verdict_rule ? nt_model_rule_text(m, p->verdict_chain, p->verdict_rule) : "");
	c_u64(x, "dropped", p->dropped ? 1 : 0);
	c_str(x, "drop_reason", reason);
	c_str(x, "drop_func", p->dropped ? nt_model_func(m, p->drop_func)->name : "");
	c_u64(x, "incomplete", p->incomplete ? 1 : 0);
	c_u64(x, "n_funcs", p->n_funcs);
	c_u64(x, "n_chains", p->n_chains);
	c_u64(x, "n_rules", p->n_rules);
	arr_begin(x, "layers");
	for (int l = 0; l < nt_model_layer_count(m) && l < NT_MODEL_MAX_LAYERS; l++)
		if (p->layer_seen & (1u << l))
			arr_str(x, n++, nt_model_layer_name(m, l));
	chr(x, ']');
	arr_begin(x, "layer_ns");
	n = 0;
	for (int l = 0; l < nt_model_layer_count(m) && l < NT_MODEL_MAX_LAYERS; l++)
		if (p->layer_seen & (1u << l))
			arr_u64(x, n++, p->layer_ns[l]);
	chr(x, ']');
	return row_end(x, NT_X_PACKETS);
}

static int drop_row(struct nt_export *x, const struct nt_model *m, const struct nt_packet *p,
		    const char *src, const char *dst, const char *rule)
{
	const char *reason = p->dropped ? nt_model_drop_reason(m, p->drop_reason) : "";
	char rb[32], loc[24];

	if (p->dropped && !reason) {
		snprintf(rb, sizeof(rb), "reason %u", p->drop_reason);
		reason = rb;
	}
	snprintf(loc, sizeof(loc), "0x%llx", (unsigned long long)p->drop_location);
	head(x, p, p->last_ts, p->has_meta ? p->meta.netns : 0, src, dst);
	c_str(x, "verdict", nt_verdict_name(p->verdict));
	c_str(x, "rule", rule);
	c_text(x, m, "rule_text", p->verdict_rule ? nt_model_rule_text(m, p->verdict_chain, p->verdict_rule) : "");
	c_u64(x, "dropped", p->dropped ? 1 : 0);
	c_str(x, "reason", reason);
	c_u64(x, "reason_code", p->dropped ? p->drop_reason : 0);
	c_str(x, "func", p->dropped ? nt_model_func(m, p->drop_func)->name : "");
	c_str(x, "location", p->dropped ? loc : "");
	return row_end(x, NT_X_DROPS);
}

int nt_export_packet(struct nt_export *x, const struct nt_model *m, const struct nt_packet *p)
{
	char src[48] = "", dst[48] = "", rule[256];
	const struct nt_ev_hdr *h, *prev = NULL;
	uint32_t netns = p->has_meta ? p->meta.netns : 0, seq = 0;
	int err = 0;

	if (x->oom)
		return -ENOMEM;
	if (p->has_meta) {
		addr(src, sizeof(src), p->meta.l3, p->meta.saddr);
		addr(dst, sizeof(dst), p->meta.l3, p->meta.daddr);
	}
	nt_stats_rule_label(rule, sizeof(rule), m, p);
	if ((x->tables & (1u << NT_X_PACKETS)) && (err = packet_row(x, m, p, src, dst, rule)))
		return err;
	if ((x->tables & (1u << NT_X_DROPS)) && (p->dropped || p->verdict == NT_V_DROP) &&
	    (err = drop_row(x, m, p, src, dst, rule)))
		return err;
	if (!(x->tables & (1u << NT_X_HOPS | 1u << NT_X_NFT_STEPS)))
		return 0;
	FOREACH_REC(p, h) {
		/* a hop's time: to the packet's next record */
		if (prev) {
			const struct nt_func_info *f = nt_model_func(m, prev->id);

			c_u64(x, "dur_ns", h->ts_ns >= prev->ts_ns ? h->ts_ns - prev->ts_ns : 0);
			if ((err = row_end(x, NT_X_HOPS)))
				return err;
			(void)f;
			prev = NULL;
		}
		if (h->type == NT_EV_META) {
			netns = ((const struct nt_ev_meta *)h)->netns ? ((const struct nt_ev_meta *)h)->netns : netns;
		} else if (h->type == NT_EV_DEV) {
			netns = ((const struct nt_ev_dev *)h)->netns ? ((const struct nt_ev_dev *)h)->netns : netns;
		} else if ((h->type == NT_EV_FUNC || h->type == NT_EV_DROP || h->type == NT_EV_FREE) &&
			   !(x->tables & (1u << NT_X_HOPS))) {
			seq++; /* seq numbers hops and nft_steps alike, whichever are written */
		} else if ((h->type == NT_EV_NFT_RULE || h->type == NT_EV_NFT_CHAIN) &&
			   !(x->tables & (1u << NT_X_NFT_STEPS))) {
			seq++;
		} else if (h->type == NT_EV_FUNC || h->type == NT_EV_DROP || h->type == NT_EV_FREE) {
			const struct nt_func_info *f = nt_model_func(m, h->id);

			head(x, p, h->ts_ns, netns, src, dst);
			c_u64(x, "seq", seq++);
			c_u64(x, "t_ns", h->ts_ns >= p->first_ts ? h->ts_ns - p->first_ts : 0);
			c_str(x, "func", f->name);
			c_str(x, "layer", f->layer_name);
			c_str(x, "kind", h->type == NT_EV_DROP ? "drop" : h->type != NT_EV_FREE ? "func" :
				  (h->flags & NT_F_SYNTH) ? "left" : "free");
			c_u64(x, "skb", h->skb);
			prev = h; /* dur_ns: at the next record */
		} else if (h->type == NT_EV_NFT_RULE || h->type == NT_EV_NFT_CHAIN) {
			const struct nt_ev_nft_rule *r = (const void *)h;
			const struct nt_ev_nft_chain *c = (const void *)h;
			uint64_t key = h->type == NT_EV_NFT_RULE ? r->chain_key : c->chain_key;
			const struct nt_ev_nft_chaindef *d = nt_model_chain(m, key), *t = NULL;
			int rule_rec = h->type == NT_EV_NFT_RULE;

			if (rule_rec && (r->verdict == NT_V_JUMP || r->verdict == NT_V_GOTO))
				t = nt_model_chain(m, r->target_key);
			/* the namespace of the chain (where the rule is) */
			head(x, p, h->ts_ns, d && d->netns ? d->netns : netns, src, dst);
			c_u64(x, "seq", seq++);
			c_u64(x, "t_ns", h->ts_ns >= p->first_ts ? h->ts_ns - p->first_ts : 0);
			c_str(x, "family", d ? nt_family_name(d->family) : "");
			c_str(x, "table", d ? d->table : "");
			c_str(x, "chain", d ? d->chain : "");
			c_str(x, "hook", d && d->base ? nt_hook_name(d->hook) : "");
			c_str(x, "kind", step_kind(h));
			c_u64(x, "handle", rule_rec ? r->rule_handle : 0);
			c_str(x, "verdict", rule_rec ? nt_verdict_name(r->verdict) :
				  c->phase == NT_CHAIN_EXIT ? nt_verdict_name(c->verdict) : "");
			c_str(x, "target", t ? t->chain : "");
			c_u64(x, "depth", rule_rec ? r->depth : c->depth);
			c_text(x, m, "text", rule_rec && nt_rule_kind_shown(r) == NT_RULE_KIND_RULE ?
				  nt_model_rule_text(m, r->chain_key, r->rule_handle) : "");
			if ((err = row_end(x, NT_X_NFT_STEPS)))
				return err;
		}
	}
	if (prev) { /* the packet's last record: no time after it */
		c_u64(x, "dur_ns", 0);
		err = row_end(x, NT_X_HOPS);
	}
	return err;
}
