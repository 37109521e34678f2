/* test_output_hostile.c - nft-analyze's hand-written text output (nt_tb_*
 * builder, flow text, PACKET TRACE blocks) on the most hostile inputs a log
 * can carry, each checked byte for byte against a plain printf()
 * implementation of the same text:
 *   - FUNCS names and layer names of 0, 8191, 8192, 8193 and 100000 bytes,
 *     more layers than the model holds, record ids missing from FUNCS, sparse
 *     ids and UINT32_MAX, records of cloned skbs;
 *   - chain definitions whose names fill their 64-byte fields without a NUL,
 *     rule texts of 30000 bytes, jumps to undefined chains, drop reasons of
 *     10000 bytes;
 *   - packets of 1 .. 3000 function records (around the 512 records that
 *     journey.c groups in one pass) plus chain, rule and branch records;
 *   - flows of every IP protocol and ICMP type with the longest IPv6 / IPv4
 *     addresses, into buffers of every size (exact-size heap buffers: ASan
 *     catches a byte written past them);
 *   - the text builder driven by random operations around its 8192-byte
 *     buffer, against a reference string.
 * Meant for the sanitizer build too (tests/run.sh group san). */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tests/unit/nt_test.h"
#include "formats/ntlog.h"
#include "model/fmtmemo.h"
#include "model/journey.h"
#include "model/model.h"
#include "model/output.h"
#include "model/stats.h"

/* ---- a growing string (the test's own output for the references) ---- */
struct str {
	char *s;
	size_t len, cap;
};

static void str_add(struct str *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->s = realloc(b->s, cap);
		if (!b->s)
			abort();
		b->cap = cap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = 0;
}

static void str_printf(struct str *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void str_printf(struct str *b, const char *fmt, ...)
{
	va_list ap;
	char *t = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&t, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	str_add(b, t, (size_t)n);
	free(t);
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memset(s, c, n);
	s[n] = 0;
	return s;
}

/* ---- reference flow text: snprintf() as nft-analyze printed it first ---- */
static const char *ref_icmp_name(int v6, unsigned type)
{
	static const char *v4[13] = { [0] = "echo-reply", [3] = "destination-unreachable",
				      [5] = "redirect", [8] = "echo-request", [11] = "time-exceeded",
				      [12] = "parameter-problem" };

	if (!v6)
		return type < 13 ? v4[type] : NULL;
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
	return NULL;
}

static void ref_flow(struct str *o, const struct nt_ev_meta *m)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int v6;

	if (!m || (m->l3 != NT_L3_IPV4 && m->l3 != NT_L3_IPV6)) {
		if (m && m->ethertype)
			str_printf(o, "ethertype 0x%04x", m->ethertype);
		else
			str_printf(o, "-");
		return;
	}
	v6 = m->l3 == NT_L3_IPV6;
	inet_ntop(v6 ? AF_INET6 : AF_INET, m->saddr, a, sizeof(a));
	inet_ntop(v6 ? AF_INET6 : AF_INET, m->daddr, b, sizeof(b));
	if (m->l4proto == 1 || m->l4proto == 58) {
		unsigned type = m->sport >> 8, code = m->sport & 0xff;
		const char *tn = ref_icmp_name(v6, type);

		if (tn && (type == 0 || type == 8 || type == 128 || type == 129))
			str_printf(o, "%s → %s %s id %u", a, b, tn, m->dport);
		else if (tn)
			str_printf(o, "%s → %s %s code %u", a, b, tn, code);
		else
			str_printf(o, "%s → %s %s type %u code %u", a, b, nt_proto_name(m->l4proto), type, code);
	} else if (m->l4proto == 6 || m->l4proto == 17 || m->l4proto == 132 || m->l4proto == 136) {
		if (v6)
			str_printf(o, "[%s]:%u → [%s]:%u", a, m->sport, b, m->dport);
		else
			str_printf(o, "%s:%u → %s:%u", a, m->sport, b, m->dport);
	} else {
		str_printf(o, "%s → %s %s", a, b, nt_proto_name(m->l4proto));
	}
}

/* The longest texts inet_ntop() gives: 39 (IPv6) and 15 (IPv4) characters,
 * plus a v4-mapped IPv6 address (mixed notation). */
static const char *const addrs6[] = { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
				      "1111:2222:3333:4444:5555:6666:7777:8888", "::ffff:255.255.255.255",
				      "::", "::1" };
static const char *const addrs4[] = { "255.255.255.255", "0.0.0.0", "100.10.1.199" };

TEST(flows_of_every_protocol_match_snprintf)
{
	struct nt_ev_meta m;
	struct str want = { 0 };
	char buf[512];
	int n = 0;

	for (int v6 = 0; v6 < 2; v6++) {
		const char *const *as = v6 ? addrs6 : addrs4;
		int na = v6 ? 5 : 3;

		for (int ai = 0; ai < na; ai++) {
			for (unsigned proto = 0; proto < 256; proto++) {
				for (unsigned type = 0; type < 256; type++) {
					/* every ICMP type; a few ports for the others */
					if (proto != 1 && proto != 58 && type > 2)
						break;
					memset(&m, 0, sizeof(m));
					m.l3 = v6 ? NT_L3_IPV6 : NT_L3_IPV4;
					inet_pton(v6 ? AF_INET6 : AF_INET, as[ai], m.saddr);
					inet_pton(v6 ? AF_INET6 : AF_INET, as[(ai + 1) % na], m.daddr);
					m.l4proto = (uint8_t)proto;
					m.sport = (uint16_t)(type == 2 ? 65535 : type << 8 | 255);
					m.dport = (uint16_t)(type == 1 ? 0 : 65535);
					want.len = 0;
					ref_flow(&want, &m);
					memset(buf, 'x', sizeof(buf));
					nt_fmt_flow(buf, sizeof(buf), &m);
					CHECK_EQ_STR(buf, want.s);
					n++;
				}
			}
		}
	}
	for (unsigned et = 0; et < 0x10000; et += 0x1111) {
		memset(&m, 0, sizeof(m));
		m.l3 = (uint8_t)(et & 0xff); /* not 4 or 6 */
		m.ethertype = (uint16_t)et;
		want.len = 0;
		ref_flow(&want, &m);
		nt_fmt_flow(buf, sizeof(buf), &m);
		CHECK_EQ_STR(buf, want.s);
	}
	CHECK_EQ_INT(n, (3 + 5) * (254 * 3 + 2 * 256));
	free(want.s);
}

/* The longest flows, into heap buffers of exactly LEN bytes (0 .. 170):
 * truncated like snprintf(), never a byte past LEN. */
TEST(longest_flows_into_every_buffer_size)
{
	struct nt_ev_meta ms[4];
	struct str want = { 0 };

	memset(ms, 0, sizeof(ms));
	for (int i = 0; i < 4; i++) {
		ms[i].l3 = i < 3 ? NT_L3_IPV6 : NT_L3_IPV4;
		inet_pton(i < 3 ? AF_INET6 : AF_INET, i < 3 ? addrs6[0] : addrs4[0], ms[i].saddr);
		inet_pton(i < 3 ? AF_INET6 : AF_INET, i < 3 ? addrs6[1] : addrs4[0], ms[i].daddr);
	}
	ms[0].l4proto = 58; /* ICMPv6 of an unknown type: "ICMPv6 type 255 code 255" */
	ms[0].sport = 0xffff;
	ms[1].l4proto = 58; /* the longest ICMPv6 type name */
	ms[1].sport = 136 << 8 | 255;
	ms[2].l4proto = 132;
	ms[2].sport = ms[2].dport = 65535;
	ms[3].l4proto = 1;
	ms[3].sport = 3 << 8 | 255;
	for (int i = 0; i < 4; i++) {
		want.len = 0;
		ref_flow(&want, &ms[i]);
		if (i == 0)
			CHECK_EQ_STR(want.s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff → "
					     "1111:2222:3333:4444:5555:6666:7777:8888 ICMPv6 type 255 code 255");
		for (size_t len = 0; len <= 170; len++) {
			char *buf = malloc(len ? len : 1), *exp = malloc(len ? len : 1);

			if (!buf || !exp)
				abort();
			memset(buf, 'x', len);
			if (len)
				snprintf(exp, len, "%s", want.s);
			nt_fmt_flow(buf, len, &ms[i]);
			CHECK(!len || !strcmp(buf, exp));
			free(buf);
			free(exp);
		}
		/* the builder: the whole text */
		{
			char *s = NULL;
			size_t n = 0;
			FILE *f = open_memstream(&s, &n);
			struct nt_tb b;

			nt_tb_init(&b, f);
			nt_tb_flow(&b, &ms[i]);
			nt_tb_flush(&b);
			fclose(f);
			CHECK_EQ_STR(s, want.s);
			free(s);
		}
	}
	free(want.s);
}

/* ---- text builder against a reference, random operations ---- */
static uint64_t rnd_state = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

TEST(text_builder_random_operations)
{
	static char big[3 * 8192 + 7];
	struct str want = { 0 };
	char *s = NULL, num[32];
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	struct nt_tb b;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	nt_tb_init(&b, f);
	for (int i = 0; i < 20000; i++) {
		uint64_t r = rnd(), v = rnd() >> (r % 64);
		size_t n;

		switch (r % 8) {
		case 0: /* lengths around the buffer size and the room left in it */
			n = (r >> 8) % 4 == 0 ? sizeof(b.buf) - b.len + (r >> 16) % 3 - 1 :
			    (r >> 8) % 4 == 1 ? sizeof(b.buf) + (r >> 16) % 3 - 1 : (r >> 16) % 300;
			if (n > sizeof(big))
				n = sizeof(big);
			nt_tb_mem(&b, big, n);
			str_add(&want, big, n);
			break;
		case 1:
			nt_tb_chr(&b, (char)('A' + r % 26));
			num[0] = (char)('A' + r % 26);
			str_add(&want, num, 1);
			break;
		case 2:
			nt_tb_u64(&b, v);
			str_printf(&want, "%" PRIu64, v);
			break;
		case 3:
			nt_tb_i64(&b, (int64_t)v);
			str_printf(&want, "%" PRId64, (int64_t)v);
			break;
		case 4:
			nt_tb_hex(&b, v);
			str_printf(&want, "%" PRIx64, v);
			break;
		case 5:
			nt_tb_us(&b, v);
			/* %8.3f of v / 1000 in integers (doubles round large values) */
			snprintf(num, sizeof(num), "%" PRIu64 ".%03u", v / 1000, (unsigned)(v % 1000));
			str_printf(&want, "%8s", num);
			break;
		case 6:
			nt_tb_lit(&b, "\xc2\xb5s] ");
			str_add(&want, "\xc2\xb5s] ", 5);
			break;
		case 7:
			nt_tb_str(&b, "");
			if (r % 97 == 0) {
				nt_tb_flush(&b);
				CHECK_EQ_INT(b.len, 0);
			}
			break;
		}
		CHECK(b.len <= sizeof(b.buf));
	}
	nt_tb_u64(&b, UINT64_MAX);
	nt_tb_i64(&b, INT64_MIN);
	nt_tb_hex(&b, UINT64_MAX);
	nt_tb_us(&b, UINT64_MAX);
	str_printf(&want, "%" PRIu64 "%" PRId64 "%" PRIx64 "18446744073709551.615", UINT64_MAX, INT64_MIN,
		   UINT64_MAX);
	nt_tb_flush(&b);
	fclose(f);
	CHECK_EQ_INT(len, want.len);
	CHECK(!memcmp(s, want.s, len));
	free(s);
	free(want.s);
}

/* ---- PACKET TRACE blocks against a printf() reference ---- */
#define FOREACH(p, h) \
	for (size_t _o = 0; _o + sizeof(struct nt_ev_hdr) <= (p)->ev_len && \
	     ((h) = (const void *)((p)->ev + _o)); _o += nt_ev_len(h))

static int ref_layer(const struct nt_model *m, const struct nt_ev_hdr *h)
{
	if (h->type != NT_EV_FUNC && h->type != NT_EV_DROP && h->type != NT_EV_FREE)
		return -1;
	return nt_model_func(m, h->id)->layer;
}

static void ref_chain(struct str *o, const struct nt_model *m, uint64_t key)
{
	const struct nt_ev_nft_chaindef *c = nt_model_chain(m, key);

	if (c)
		str_printf(o, "%s %s %s", nt_family_name(c->family), c->table, c->chain);
	else
		str_printf(o, "chain 0x%" PRIx64, key);
}

static void ref_us(struct str *o, const struct nt_packet *p, uint64_t ts)
{
	uint64_t d = ts >= p->first_ts ? ts - p->first_ts : 0;
	char num[32];

	snprintf(num, sizeof(num), "%" PRIu64 ".%03u", d / 1000, (unsigned)(d % 1000));
	str_printf(o, "  [%8sµs] ", num);
}

static void ref_journey(struct str *o, const struct nt_model *m, const struct nt_packet *p)
{
	static const char sep[] = "================================================================================";
	const struct nt_ev_hdr *h;
	int order[64], nl = 0, any;
	uint64_t seen = 0;

	str_printf(o, "%s\nPACKET TRACE: 0x%" PRIx64 " (packet %" PRIu64 ")\n%s\n", sep, p->skb, p->id, sep);
	str_printf(o, "[%s] ", p->has_meta && (p->meta.l3 == NT_L3_IPV4 || p->meta.l3 == NT_L3_IPV6) ?
				      nt_proto_name(p->meta.l4proto) : "?");
	ref_flow(o, p->has_meta ? &p->meta : NULL);
	str_printf(o, " | Functions: %u, NFT Chains: %u, Rules: %u | Verdict: %s | Fate: %s%s\n", p->n_funcs,
		   nt_packet_chains(p), p->n_rules, nt_verdict_name(p->verdict), nt_fate_name(p->fate),
		   p->incomplete ? " (incomplete)" : "");
	if (p->flow_packet && p->flow_packet != p->id)
		str_printf(o, "Flow: %s packet %" PRIu64 " %s\n", p->reply ? "reply to" : "after",
			   p->flow_packet, p->reply ? "(the other direction of its flow)" : "(same flow)");
	FOREACH(p, h) {
		int l = ref_layer(m, h);

		if (l >= 0 && l < NT_MODEL_MAX_LAYERS && !(seen >> l & 1)) {
			seen |= 1ull << l;
			order[nl++] = l;
		}
	}
	for (int i = 0; i < nl; i++) {
		str_printf(o, "\n%s Layer:\n", nt_model_layer_name(m, order[i]));
		FOREACH(p, h) {
			if (ref_layer(m, h) != order[i])
				continue;
			ref_us(o, p, h->ts_ns);
			str_printf(o, "%s", nt_model_func(m, h->id)->name);
			if (h->type == NT_EV_DROP)
				str_printf(o, " (drop)");
			else if (h->type == NT_EV_FREE)
				str_printf(o, (h->flags & NT_F_INFERRED) ? " (free, inferred)" : " (free)");
			if (h->skb != p->skb)
				str_printf(o, "  [skb 0x%" PRIx64 "]", h->skb);
			str_printf(o, "\n");
		}
	}
	any = 0;
	FOREACH(p, h) {
		const struct nt_ev_nft_chain *c = (const void *)h;
		const struct nt_ev_nft_chaindef *d;

		if (h->type != NT_EV_NFT_CHAIN)
			continue;
		if (!any++)
			str_printf(o, "\nNFT Chains:\n");
		ref_us(o, p, h->ts_ns);
		ref_chain(o, m, c->chain_key);
		d = nt_model_chain(m, c->chain_key);
		if (d && d->base)
			str_printf(o, " (hook %s, prio %d)", nt_hook_name(d->hook), d->prio);
		str_printf(o, ": %s\n", c->phase == NT_CHAIN_EXIT ? nt_verdict_name(c->verdict) : "enter");
	}
	any = 0;
	FOREACH(p, h) {
		const struct nt_ev_nft_rule *r = (const void *)h;
		const char *text = NULL;
		struct str v = { 0 };

		if (h->type != NT_EV_NFT_RULE)
			continue;
		if (!any++)
			str_printf(o, "\nNFT Rules Evaluated:\n");
		str_printf(&v, "%s", nt_verdict_name(r->verdict));
		if (r->verdict == NT_V_JUMP || r->verdict == NT_V_GOTO) {
			const struct nt_ev_nft_chaindef *t = nt_model_chain(m, r->target_key);

			if (t)
				str_printf(&v, " %s", t->chain);
			else
				str_printf(&v, " 0x%" PRIx64, r->target_key);
		}
		ref_us(o, p, h->ts_ns);
		ref_chain(o, m, r->chain_key);
		if (r->kind == NT_RULE_KIND_POLICY)
			str_printf(o, " policy: %s\n", v.s);
		else if (r->kind == NT_RULE_KIND_RETURN && !r->rule_handle) /* 6.1: a return rule's step carries its handle */
			str_printf(o, " return: %s\n", v.s);
		else if ((text = nt_model_rule_text(m, r->chain_key, r->rule_handle)))
			str_printf(o, " #%" PRIu64 ": %s  \"%s\"\n", r->rule_handle, v.s, text);
		else
			str_printf(o, " #%" PRIu64 ": %s\n", r->rule_handle, v.s);
		free(v.s);
	}
	any = 0;
	FOREACH(p, h) {
		const struct nt_ev_link *l = (const void *)h;

		if (h->type != NT_EV_LINK)
			continue;
		if (!any++)
			str_printf(o, "\nBranches:\n");
		ref_us(o, p, h->ts_ns);
		str_printf(o, "%s 0x%" PRIx64 " of 0x%" PRIx64 "\n",
			   l->kind == NT_LINK_CLONE ? "clone" : l->kind == NT_LINK_COPY ? "copy" :
			   l->kind == NT_LINK_REALLOC ? "realloc" : l->kind == NT_LINK_HEAD ? "head" : "link",
			   h->skb, l->parent);
	}
	/* (the hostile logs' META has no device / namespace: no "[dev ..., netns ...]") */
	if (p->dropped) {
		const char *rn = nt_model_drop_reason(m, p->drop_reason);

		str_printf(o, "\nFate: dropped: %s (reason %u) at 0x%" PRIx64 " (%s)\n", rn ? rn : "?",
			   p->drop_reason, p->drop_location, nt_model_func(m, p->drop_func)->name);
	} else if (p->fate == NT_FATE_UNKNOWN) {
		str_printf(o, "\nFate: unknown (still open at the end of the log)\n");
	} else {
		str_printf(o, "\nFate: %s\n", nt_fate_name(p->fate));
	}
	str_printf(o, "\n");
}

struct jctx {
	struct nt_model *m;
	int packets, mismatches;
	size_t longest;           /* longest block compared */
	char first_diff[160];
	struct nt_stats *st;
};

static void on_packet_compare(void *ctx, const struct nt_packet *p)
{
	struct jctx *c = ctx;
	struct str want = { 0 };
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	nt_journey_print_text(f, c->m, p);
	fclose(f);
	ref_journey(&want, c->m, p);
	c->packets++;
	if (len > c->longest)
		c->longest = len;
	if (len != want.len || memcmp(s, want.s, len)) {
		size_t i = 0;

		while (i < len && i < want.len && s[i] == want.s[i])
			i++;
		if (!c->mismatches++)
			snprintf(c->first_diff, sizeof(c->first_diff), "packet %" PRIu64 ": byte %zu of %zu/%zu",
				 p->id, i, len, want.len);
	}
	if (c->st)
		nt_stats_packet(c->st, c->m, p);
	free(s);
	free(want.s);
}

/* FUNCS with hostile names and layers; returns the JSON (caller frees) */
static char *hostile_funcs(void)
{
	static const size_t lens[] = { 100000, 8192, 0, 8191, 8193, 1, 16383, 65 };
	struct str j = { 0 };

	str_printf(&j, "{\"functions\":[");
	for (int i = 0; i < 8; i++) {
		char *name = repeat((char)('a' + i), lens[i]), *layer = repeat((char)('K' + i), 10 * lens[i] / 7);

		str_printf(&j, "%s{\"id\":%d,\"name\":\"%s\",\"layer\":\"%s\"}", i ? "," : "", i, name, layer);
		free(name);
		free(layer);
	}
	/* 40 more layers than the model holds, one function each (ids 8 .. 47) */
	for (int i = 0; i < 40; i++)
		str_printf(&j, ",{\"id\":%d,\"name\":\"fn_%d\",\"layer\":\"Layer%02d\"}", 8 + i, i, i);
	/* sparse ids (hash, not the direct table) */
	str_printf(&j, ",{\"id\":1000000,\"name\":\"sparse_%s\",\"layer\":\"Sparse\"}", "x");
	str_printf(&j, ",{\"id\":524288,\"name\":\"half\",\"layer\":\"Sparse\"}");
	str_printf(&j, "]}");
	return j.s;
}

static const uint32_t rec_ids[] = { 0, 1, 2, 3, 4, 5, 6, 7, 9, 30, 47, 1000000, 524288, 5000, 70000,
				    UINT32_MAX, 123456789, 12, 8 };
#define NRECIDS (sizeof(rec_ids) / sizeof(rec_ids[0]))

static int hostile_model(struct jctx *c, int nfuncs)
{
	struct nt_model_opts o = { .sz = sizeof(o), .keep_events = 1, .on_packet = on_packet_compare, .ctx = c };
	char *funcs = hostile_funcs(), *ruletext = repeat('r', 30000), *reason = repeat('R', 10000);
	struct str rs = { 0 }, dr = { 0 };
	struct nt_ev_nft_chaindef d = { .h = { .type = NT_EV_NFT_CHAINDEF }, .family = 1, .hook = 1,
					.base = 1, .prio = INT32_MIN };
	struct nt_ev_meta meta = { .h = { .type = NT_EV_META, .ts_ns = 900, .skb = 0x1000 },
				   .ethertype = 0x86dd, .l3 = NT_L3_IPV6, .l4proto = 58, .sport = 0xfeff, .dport = 65535 };
	uint64_t ts = 1000;
	int ret = -1;

	c->m = nt_model_new(&o);
	if (!c->m)
		goto out;
	/* rule text for table TTTT... chain CCCC... handle 7 (64-byte names: cut to 63) */
	{
		char *t = repeat('T', 63), *ch = repeat('C', 63);

		str_printf(&rs, "{\"tables\":[{\"family\":\"inet\",\"name\":\"%s\",\"handle\":1,\"chains\":"
				"[{\"name\":\"%s\",\"handle\":1,\"rules\":[{\"handle\":7,\"text\":\"%s\"}]}]}]}",
			   t, ch, ruletext);
		free(t);
		free(ch);
	}
	str_printf(&dr, "{\"reasons\":[{\"value\":77,\"name\":\"%s\"}]}", reason);
	if (nt_model_meta(c->m, NTL_B_FUNCS, funcs, strlen(funcs)) ||
	    nt_model_meta(c->m, NTL_B_RULESET, rs.s, rs.len) ||
	    nt_model_meta(c->m, NTL_B_DROP_REASONS, dr.s, dr.len))
		goto out;
	/* chain 1: names fill the fields, no NUL; chain 2: regular, empty names */
	memset(d.table, 'T', sizeof(d.table));
	memset(d.chain, 'C', sizeof(d.chain));
	d.chain_key = 1;
	nt_model_event(c->m, &d, sizeof(d));
	memset(&d, 0, sizeof(d));
	d.h.type = NT_EV_NFT_CHAINDEF;
	d.chain_key = 2;
	d.family = 7;
	d.hook = NT_HOOK_NONE;
	memset(d.chain, 'G', sizeof(d.chain) - 1);
	nt_model_event(c->m, &d, sizeof(d));

	inet_pton(AF_INET6, addrs6[0], meta.saddr);
	inet_pton(AF_INET6, addrs6[1], meta.daddr);
	nt_model_event(c->m, &meta, sizeof(meta));
	{
		struct nt_ev_link l = { .h = { .type = NT_EV_LINK, .ts_ns = 950, .skb = 0x2000 },
					.parent = 0x1000, .kind = 99 };
		nt_model_event(c->m, &l, sizeof(l));
	}
	for (int i = 0; i < nfuncs; i++) {
		struct nt_ev_func ev = { .h = { .type = NT_EV_FUNC, .id = rec_ids[i % NRECIDS], .ts_ns = ts,
						.skb = i % 5 == 4 ? 0x2000 : 0x1000 } };

		ts += (uint64_t)(i % 1000) * 977 + 1; /* within the idle time */
		nt_model_event(c->m, &ev, sizeof(ev));
		if (i % 7 == 3) {
			struct nt_ev_nft_chain ch = { .h = { .type = NT_EV_NFT_CHAIN, .ts_ns = ts, .skb = 0x1000 },
						      .chain_key = (uint64_t)(i % 3) + 1, .verdict = i % 2 ? 1 : NT_V_NONE,
						      .phase = (uint8_t)(i % 2) };
			struct nt_ev_nft_rule r = { .h = { .type = NT_EV_NFT_RULE, .ts_ns = ts, .skb = 0x1000 },
						    .chain_key = (uint64_t)(i % 4) + 1, .rule_handle = i % 2 ? 7 : UINT64_MAX,
						    .target_key = (uint64_t)(i % 3), .verdict = -3 - i % 2,
						    .kind = (uint8_t)(1 + i % 3) };
			nt_model_event(c->m, &ch, sizeof(ch));
			nt_model_event(c->m, &r, sizeof(r));
		}
	}
	{
		struct nt_ev_drop dd = { .h = { .type = NT_EV_DROP, .id = 0, .ts_ns = ts + 5, .skb = 0x2000 },
					 .reason = 77 };
		struct nt_ev_free fr = { .h = { .type = NT_EV_FREE, .id = 7, .flags = NT_F_INFERRED,
						.ts_ns = ts + 9, .skb = 0x1000 } };

		nt_model_event(c->m, &dd, sizeof(dd));
		nt_model_event(c->m, &fr, sizeof(fr));
	}
	nt_model_finish(c->m);
	ret = 0;
out:
	free(funcs);
	free(ruletext);
	free(reason);
	free(rs.s);
	free(dr.s);
	return ret;
}

TEST(journeys_of_hostile_logs_match_printf)
{
	static const int counts[] = { 0, 1, 19, 511, 512, 513, 700, 1100, 3000 };

	for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		struct jctx c = { 0 };

		CHECK_EQ_INT(hostile_model(&c, counts[k]), 0);
		if (c.mismatches)
			printf("# %d function records: %s\n", counts[k], c.first_diff);
		CHECK_EQ_INT(c.mismatches, 0);
		CHECK_EQ_INT(c.packets, 1);
		/* the 100000-byte name was printed whole */
		CHECK(counts[k] == 0 || c.longest > 100000);
		CHECK_EQ_INT(nt_model_layer_count(c.m), NT_MODEL_MAX_LAYERS);
		nt_model_free(c.m);
	}
}

/* the names themselves: whole, and the layer overflow goes to "Other" */
TEST(hostile_names_printed_whole)
{
	struct jctx c = { 0 };
	const struct nt_func_info *f;

	CHECK_EQ_INT(hostile_model(&c, 40), 0);
	f = nt_model_func(c.m, 0);
	CHECK_EQ_INT(strlen(f->name), 100000);
	CHECK_EQ_INT(strlen(f->layer_name), 142857);
	CHECK_EQ_INT(strlen(nt_model_func(c.m, 2)->name), 0);
	CHECK_EQ_STR(nt_model_func(c.m, 1000000)->name, "sparse_x");
	CHECK_EQ_STR(nt_model_func(c.m, 524288)->name, "half");
	CHECK_EQ_STR(nt_model_func(c.m, 5000)->name, "func#5000");
	CHECK_EQ_STR(nt_model_func(c.m, UINT32_MAX)->name, "func#?");
	/* 8 + 40 layers declared, 32 held: the last one is "Other", which takes the rest */
	CHECK_EQ_STR(nt_model_layer_name(c.m, NT_MODEL_MAX_LAYERS - 1), "Other");
	CHECK_EQ_STR(nt_model_layer_name(c.m, NT_MODEL_MAX_LAYERS - 2), "Layer22");
	CHECK_EQ_INT(nt_model_func(c.m, 8 + 22)->layer, NT_MODEL_MAX_LAYERS - 2);
	CHECK_EQ_INT(nt_model_func(c.m, 8 + 23)->layer, NT_MODEL_MAX_LAYERS - 1);
	CHECK_EQ_INT(nt_model_func(c.m, 47)->layer, NT_MODEL_MAX_LAYERS - 1);
	CHECK_EQ_STR(nt_model_chain(c.m, 1)->table, "TTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTT");
	nt_model_free(c.m);
}

/* Live lines and statistics of the same log: fixed-size fields, no overrun;
 * long names cut at the line's 199-byte name field. */
TEST(event_lines_and_stats_of_hostile_logs)
{
	struct jctx c = { 0 };
	struct nt_stats_out so = { .top = 100 };
	char *s = NULL, *line;
	size_t len = 0, na = 0;
	FILE *f;
	struct nt_ev_func ev = { .h = { .type = NT_EV_FUNC, .id = 0, .ts_ns = 5, .skb = 0x77 } };
	struct nt_ev_nft_rule r = { .h = { .type = NT_EV_NFT_RULE, .ts_ns = 6, .skb = 0x77 }, .chain_key = 1,
				    .rule_handle = UINT64_MAX, .target_key = 1, .verdict = NT_V_GOTO,
				    .kind = NT_RULE_KIND_RULE };

	c.st = nt_stats_new();
	CHECK(c.st != NULL);
	CHECK_EQ_INT(hostile_model(&c, 700), 0);
	CHECK_EQ_INT(c.mismatches, 0);
	f = open_memstream(&s, &len);
	nt_fmt_event_line_p(f, c.m, NULL, &ev.h, UINT64_MAX);
	nt_fmt_event_line_p(f, c.m, NULL, &r.h, 1);
	for (size_t i = 0; i < NRECIDS; i++) {
		ev.h.id = rec_ids[i];
		nt_stats_event(c.st, c.m, NULL, &ev.h);
	}
	nt_stats_print_text(f, c.st, c.m, &so);
	fclose(f);
	/* first line: the name cut to the 199 bytes of its field, then the flow */
	line = strchr(s, '\n');
	CHECK(line != NULL);
	CHECK(!strncmp(s, "[18446744073709551615] FUNC       ", 34));
	for (char *q = s; q < line; q++)
		na += *q == 'a';
	CHECK_EQ_INT(na, 199);
	CHECK(!strncmp(line - 202, " aaaa", 5) && !strncmp(line - 2, " -", 2));
	/* second line: the whole 63-byte names (no field cut) */
	{
		char *c63 = repeat('C', 63), want[256];

		snprintf(want, sizeof(want), "#18446744073709551615 - [GOTO %s]\nTRACE STATISTICS\n", c63);
		CHECK(strstr(s, want) == strchr(line + 1, '\n') + 1 - (strlen(want) - 17));
		free(c63);
	}
	CHECK(strstr(s, "TRACE STATISTICS\n") != NULL);
	free(s);
	nt_stats_free(c.st);
	nt_model_free(c.m);
}

/* Records of more unknown function ids than the model names (4096): they
 * share "func#?", which is in layer "Other" in journeys and statistics like
 * every other unnamed function (not in layer 0, not missing from the layer
 * totals).  DROP / FREE records of unknown ids too. */
static char *bucket_text;

static void on_packet_bucket(void *ctx, const struct nt_packet *p)
{
	struct jctx *c = ctx;
	size_t len = 0;
	FILE *f = open_memstream(&bucket_text, &len);

	nt_journey_print_text(f, c->m, p);
	fclose(f);
	nt_stats_packet(c->st, c->m, p);
}

TEST(unnamed_functions_past_the_named_ones_are_in_layer_other)
{
	static const char *funcs = "{\"functions\":[{\"id\":0,\"name\":\"ip_rcv\",\"layer\":\"IPv4\"}]}";
	struct jctx c = { 0 };
	struct nt_model_opts o = { .sz = sizeof(o), .keep_events = 1, .on_packet = on_packet_bucket, .ctx = &c };
	struct nt_stats_out so = { .top = 3 };
	char *s = NULL, *ip, *other;
	size_t len = 0;
	FILE *f;

	c.m = nt_model_new(&o);
	c.st = nt_stats_new();
	CHECK(c.m && c.st);
	CHECK_EQ_INT(nt_model_meta(c.m, NTL_B_FUNCS, funcs, strlen(funcs)), 0);
	{
		struct nt_ev_meta mm = { .h = { .type = NT_EV_META, .ts_ns = 1000, .skb = 0x1000 },
					 .ethertype = 0x0800, .l3 = NT_L3_IPV4, .l4proto = 17 };

		nt_model_event(c.m, &mm, sizeof(mm));
	}
	for (uint32_t i = 0; i < 5002; i++) {
		struct nt_ev_func ev = { .h = { .type = NT_EV_FUNC, .ts_ns = 1000 + 1000 * (uint64_t)i, .skb = 0x1000,
						.id = i == 0 ? 0 : i == 5001 ? UINT32_MAX : 900000 - i } };

		nt_model_event(c.m, &ev, sizeof(ev));
		nt_stats_event(c.st, c.m, nt_model_current(c.m), &ev.h);
	}
	{
		struct nt_ev_drop d = { .h = { .type = NT_EV_DROP, .id = 77777, .ts_ns = 6000000, .skb = 0x1000 },
					.reason = 2 };

		nt_model_event(c.m, &d, sizeof(d));
		nt_stats_event(c.st, c.m, nt_model_current(c.m), &d.h);
	}
	CHECK(bucket_text != NULL);
	if (getenv("DUMP")) fputs(bucket_text, stderr);
	ip = strstr(bucket_text, "\nIPv4 Layer:\n  [   0.000\xc2\xb5s] ip_rcv\n\nOther Layer:\n");
	other = strstr(bucket_text, "\nOther Layer:\n");
	CHECK(ip != NULL);
	CHECK(strstr(other, "  [4097.000\xc2\xb5s] func#?\n") != NULL);
	CHECK(strstr(other, "  [5001.000\xc2\xb5s] func#?\n") != NULL);
	CHECK(strstr(other, "  [5999.000\xc2\xb5s] func#? (drop)\n") != NULL);
	CHECK(strstr(bucket_text, "\nFate: dropped: ? (reason 2) at 0x0 (func#?)\n") != NULL);
	f = open_memstream(&s, &len);
	nt_stats_print_text(f, c.st, c.m, &so);
	fclose(f);
	/* 4096 named "func#N" + 905 in "func#?" + the drop point (its own name) */
	CHECK(strstr(s, "Events by Layer:\n  Other          :   5002\n  IPv4           :      1\n") != NULL);
	CHECK(strstr(s, "Events by Function (top 3):\n  func#?                          :    906\n") != NULL);
	free(s);
	free(bucket_text);
	nt_stats_free(c.st);
	nt_model_free(c.m);
}

/* Names with quotes, backslashes and control characters (FUNCS JSON escapes)
 * in the journey JSON: valid JSON that gives the names back. */
static char *json_text;

static void on_packet_json(void *ctx, const struct nt_packet *p)
{
	struct jctx *c = ctx;
	struct nt_jw w;
	size_t len = 0;
	FILE *f = open_memstream(&json_text, &len);

	nt_jw_init_buffered(&w, f);
	nt_journey_json(&w, c->m, p);
	nt_jw_newline(&w);
	nt_jw_free(&w);
	fclose(f);
}

TEST(journey_json_of_hostile_names_is_valid)
{
	static const char *funcs = "{\"functions\":[{\"id\":0,\"name\":\"a\\\"b\\\\c\\u0001d\\n\\u001b[31m\",\"layer\":\"L\\\"\"},"
				   "{\"id\":1,\"name\":\"\\u00e9\\ud83d\\ude00\",\"layer\":\"\\t\"}]}";
	struct jctx c = { 0 };
	struct nt_model_opts o = { .sz = sizeof(o), .keep_events = 1, .on_packet = on_packet_json, .ctx = &c };
	struct nt_ev_func ev = { .h = { .type = NT_EV_FUNC, .ts_ns = 1000, .skb = 0x1000 } };
	struct nt_ev_free fr = { .h = { .type = NT_EV_FREE, .id = 1, .ts_ns = 2000, .skb = 0x1000 } };
	struct nt_ev_meta mm = { .h = { .type = NT_EV_META, .ts_ns = 1000, .skb = 0x1000 },
				 .ethertype = 0x0800, .l3 = NT_L3_IPV4, .l4proto = 17 };
	cJSON *root;
	int found = 0;

	c.m = nt_model_new(&o);
	CHECK(c.m != NULL);
	CHECK_EQ_INT(nt_model_meta(c.m, NTL_B_FUNCS, funcs, strlen(funcs)), 0);
	CHECK_EQ_STR(nt_model_func(c.m, 0)->name, "a\"b\\c\001d\n\033[31m");
	nt_model_event(c.m, &mm, sizeof(mm));
	nt_model_event(c.m, &ev, sizeof(ev));
	nt_model_event(c.m, &fr, sizeof(fr));
	CHECK(json_text != NULL);
	root = cJSON_Parse(json_text);
	if (!root)
		printf("# %s\n", json_text);
	CHECK(root != NULL);
	/* every string member anywhere: the names come back */
	for (cJSON *stack[16], **sp = stack, *n = root; n;) {
		if (cJSON_IsString(n) && !strcmp(n->valuestring, "a\"b\\c\001d\n\033[31m"))
			found |= 1;
		if (cJSON_IsString(n) && !strcmp(n->valuestring, "\xc3\xa9\xf0\x9f\x98\x80"))
			found |= 2;
		if (n->child && sp < stack + 16) {
			*sp++ = n->next;
			n = n->child;
			continue;
		}
		n = n->next;
		while (!n && sp > stack)
			n = *--sp;
	}
	CHECK_EQ_INT(found, 3);
	cJSON_Delete(root);
	free(json_text);
	nt_model_free(c.m);
}

/* journeys --ndjson's path elements from a suffix built once
 * (nt_jw_path_sfx + nt_jw_path_entry_sfx) against the element written
 * whole (nt_jw_path_entry), byte for byte: hostile and too-long names,
 * every type, skbs, times, places, JSON and HTML-safe JSON, a writer
 * flushed every few elements. */
TEST(path_elements_from_a_suffix_match_whole_ones)
{
	static const char *types[] = { "func", "drop", "free", "free_inferred" };
	static const char *tails[] = { "", "\"dev\":\"eth0\",\"netns\":4026531840,\"ns\":null",
				       "\"dev\":\"a\\\"b\",\"netns\":1,\"ns\":\"x\"" };
	char funcs[4096], longname[400];
	struct nt_model_opts o = { .sz = sizeof(o) };
	struct nt_model *m;
	unsigned seed = 23;
	int fast = 0;

	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	snprintf(funcs, sizeof(funcs), "{\"functions\":[{\"id\":0,\"name\":\"ip_rcv\",\"layer\":\"IPv4\"},"
		 "{\"id\":1,\"name\":\"a\\\"b</script>\\u0001\",\"layer\":\"L\\\"\"},"
		 "{\"id\":2,\"name\":\"%s\",\"layer\":\"Other\"},"
		 "{\"id\":3,\"name\":\"\\u00e9\",\"layer\":\"%s\"}]}", longname, longname);
	m = nt_model_new(&o);
	CHECK(m != NULL);
	CHECK_EQ_INT(nt_model_meta(m, NTL_B_FUNCS, funcs, strlen(funcs)), 0);
	for (int html = 0; html < 2; html++) {
		char *ta = NULL, *tb = NULL;
		size_t la = 0, lb = 0;
		FILE *fa = open_memstream(&ta, &la), *fb = open_memstream(&tb, &lb);
		struct nt_jw a, b;

		nt_jw_init_buffered(&a, fa);
		nt_jw_init_buffered(&b, fb);
		a.html = b.html = html;
		nt_jw_obj(&a, NULL);
		nt_jw_obj(&b, NULL);
		nt_jw_arr(&a, "path");
		nt_jw_arr(&b, "path");
		for (int i = 0; i < 20000; i++) {
			const struct nt_func_info *f;
			const char *type, *tail;
			uint64_t skb, t;
			char sfx[1200];
			int n, k;

			seed = seed * 1103515245u + 12345u;
			f = nt_model_func(m, (seed >> 8) % 5); /* 4: unnamed */
			type = types[(seed >> 12) & 3];
			tail = tails[(seed >> 14) % 3];
			k = tail[0] ? 3 : 0;
			skb = (seed >> 16) & 1 ? 0xffff888100000000ull + (seed >> 20) : (seed >> 20);
			t = (seed >> 24) & 1 ? UINT64_MAX - (seed & 0xffff) : (seed & 0xfffff);
			nt_jw_path_entry(&a, m, t, f, type, skb, tail, strlen(tail), k);
			n = nt_jw_path_sfx(sfx, sizeof(sfx), type, skb, tail, strlen(tail), k);
			CHECK(n > 0);
			if (nt_jw_path_entry_sfx(&b, m, t, f, sfx, (size_t)n) == 0)
				fast++;
			else
				nt_jw_path_entry(&b, m, t, f, type, skb, tail, strlen(tail), k);
			if (i % 97 == 0) {
				nt_jw_flush(&a);
				nt_jw_flush(&b);
			}
		}
		nt_jw_end(&a);
		nt_jw_end(&b);
		nt_jw_end(&a);
		nt_jw_end(&b);
		nt_jw_free(&a);
		nt_jw_free(&b);
		fclose(fa);
		fclose(fb);
		CHECK_EQ_INT((int)(la == lb), 1);
		CHECK(la == lb && !memcmp(ta, tb, la));
		free(ta);
		free(tb);
	}
	CHECK(fast > 20000); /* most by the suffix (not the long name) */
	/* the "layers" elements: from the layer memo against the generic writer */
	for (int html = 0; html < 2; html++) {
		char *ta = NULL, *tb = NULL;
		size_t la = 0, lb = 0;
		FILE *fa = open_memstream(&ta, &la), *fb = open_memstream(&tb, &lb);
		struct nt_jw a, b;

		nt_jw_init_buffered(&a, fa);
		nt_jw_init_buffered(&b, fb);
		a.html = b.html = html;
		nt_jw_arr(&a, NULL);
		nt_jw_arr(&b, NULL);
		for (int i = 0; i < 5000; i++) {
			int l = i % (nt_model_layer_count(m) + 3) - 1; /* -1 .. past the last */
			uint64_t ns = i & 1 ? UINT64_MAX - (uint64_t)i : (uint64_t)i * 977;

			nt_jw_obj(&a, NULL);
			nt_jw_str(&a, "layer", nt_model_layer_name(m, l));
			nt_jw_u64(&a, "time_ns", ns);
			nt_jw_end(&a);
			nt_jw_layer_time(&b, m, l, ns);
			if (i % 89 == 0) {
				nt_jw_flush(&a);
				nt_jw_flush(&b);
			}
		}
		nt_jw_end(&a);
		nt_jw_end(&b);
		nt_jw_free(&a);
		nt_jw_free(&b);
		fclose(fa);
		fclose(fb);
		CHECK(la == lb && !memcmp(ta, tb, la));
		free(ta);
		free(tb);
	}
	nt_model_free(m);
}

int main(void)
{
	RUN(flows_of_every_protocol_match_snprintf);
	RUN(longest_flows_into_every_buffer_size);
	RUN(text_builder_random_operations);
	RUN(journeys_of_hostile_logs_match_printf);
	RUN(hostile_names_printed_whole);
	RUN(event_lines_and_stats_of_hostile_logs);
	RUN(unnamed_functions_past_the_named_ones_are_in_layer_other);
	RUN(journey_json_of_hostile_names_is_valid);
	RUN(path_elements_from_a_suffix_match_whole_ones);
	TEST_EXIT();
}
