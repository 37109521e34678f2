// SPDX-License-Identifier: GPL-2.0
/* journey.c - PACKET TRACE blocks and journey JSON (journey.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "model/detail.h"
#include "model/fmtmemo.h"
#include "model/journey.h"
#include "model/journey_where.h"
#include "model/natrule.h"

#define FOREACH_REC(p, h) \
	for (size_t _off = 0; _off + sizeof(struct nt_ev_hdr) <= (p)->ev_len && \
	     ((h) = (const void *)((p)->ev + _off)); _off += nt_ev_len(h))

static int rec_layer(const struct nt_model *m, const struct nt_ev_hdr *h)
{
	if (h->type != NT_EV_FUNC && h->type != NT_EV_DROP && h->type != NT_EV_FREE)
		return -1;
	return nt_model_func(m, h->id)->layer;
}

/* ---- where each skb of a packet is: replayed from its META / DEV records ---- */
#define HOP_SKBS 64

struct hopskb {
	uint64_t skb;
	uint32_t ifindex, netns;
	int has_meta;
	struct nt_ev_meta meta;
};

struct hops {
	struct hopskb s[HOP_SKBS];
	int n, next;
	/* the nftables step before a translation: its rule when it is a NAT rule */
	const struct nt_ev_nft_rule *nat_rule;
	const struct nt_ev_hdr *last_nft;
};

/* hop_of() initializes each entry it hands out: only the counters need it */
static inline void hops_init(struct hops *hs)
{
	hs->n = 0;
	hs->next = 0;
	hs->nat_rule = NULL;
	hs->last_nft = NULL;
}

static struct hopskb *hop_of(struct hops *hs, uint64_t skb, uint64_t parent)
{
	struct hopskb *s, *par = NULL;

	for (int i = 0; i < hs->n; i++)
		if (hs->s[i].skb == skb)
			return &hs->s[i];
	for (int i = 0; parent && i < hs->n; i++)
		if (hs->s[i].skb == parent)
			par = &hs->s[i];
	if (hs->n < HOP_SKBS) {
		s = &hs->s[hs->n++];
	} else { /* a packet of more skbs: the oldest entries are reused */
		s = &hs->s[hs->next];
		hs->next = (hs->next + 1) % HOP_SKBS;
	}
	if (par && par != s)
		*s = *par;
	else
		memset(s, 0, sizeof(*s));
	s->skb = skb;
	return s;
}

/* Follow record H: returns its skb's state (after a META / DEV: the new one). */
static struct hopskb *hop_step(struct hops *hs, const struct nt_model *m, const struct nt_ev_hdr *h)
{
	struct hopskb *s;

	if (h->type == NT_EV_NFT_RULE || h->type == NT_EV_NFT_CHAIN) {
		hs->last_nft = h;
		if (h->type == NT_EV_NFT_RULE &&
		    nt_rule_text_nat(nt_model_rule_text(m, ((const struct nt_ev_nft_rule *)h)->chain_key,
						((const struct nt_ev_nft_rule *)h)->rule_handle)))
			hs->nat_rule = (const void *)h;
	}
	if (!h->skb)
		return NULL;
	s = hop_of(hs, h->skb, h->type == NT_EV_LINK ? ((const struct nt_ev_link *)h)->parent : 0);
	if (h->type == NT_EV_META) {
		const struct nt_ev_meta *mm = (const void *)h;

		s->ifindex = mm->ifindex;
		if (mm->netns)
			s->netns = mm->netns;
	} else if (h->type == NT_EV_DEV) {
		const struct nt_ev_dev *d = (const void *)h;

		s->ifindex = d->ifindex;
		if (d->netns)
			s->netns = d->netns;
	}
	return s;
}

/* End of a "Fragments:" line: the skb of META MM and where it was. */
static void tb_frag_end(struct nt_tb *b, const struct nt_model *m, const struct nt_ev_meta *mm)
{
	nt_tb_lit(b, "  [skb 0x");
	nt_tb_hex(b, mm->h.skb);
	nt_tb_chr(b, ']');
	nt_jr_tb_where(b, m, mm->ifindex, mm->netns);
	nt_tb_chr(b, '\n');
}

/* Layers of P's function records, in order of first appearance. */
static int layer_order(const struct nt_model *m, const struct nt_packet *p, int *order)
{
	const struct nt_ev_hdr *h;
	uint32_t seen = 0;
	int n = 0;

	FOREACH_REC(p, h) {
		int l = rec_layer(m, h);

		if (l < 0 || l >= NT_MODEL_MAX_LAYERS || (seen & (1u << l)))
			continue;
		seen |= 1u << l;
		order[n++] = l;
	}
	/* time-only layers (the socket queue) last */
	for (int l = 0; l < NT_MODEL_MAX_LAYERS && n < NT_MODEL_MAX_LAYERS; l++)
		if ((p->layer_seen & (1u << l)) && !(seen & (1u << l))) {
			seen |= 1u << l;
			order[n++] = l;
		}
	return n;
}

static const char *link_kind(uint32_t k)
{
	return k == NT_LINK_CLONE ? "clone" : k == NT_LINK_COPY ? "copy" :
	       k == NT_LINK_REALLOC ? "realloc" : k == NT_LINK_HEAD ? "head" : "link";
}

static inline void rel_us(struct nt_tb *b, const struct nt_packet *p, uint64_t ts)
{
	nt_tb_lit(b, "  [");
	nt_tb_us(b, ts >= p->first_ts ? ts - p->first_ts : 0);
	nt_tb_lit(b, "\xc2\xb5s] "); /* "µs] " */
}

/* "  [   1.234µs] ip_rcv (drop)  [skb 0x...]  [dev rc1, netns r]" of a function record */
static void func_line(struct nt_tb *b, const struct nt_model *m, const struct nt_packet *p,
		      const struct nt_ev_hdr *h, const struct nt_func_info *f, uint32_t ifindex,
		      uint32_t netns)
{
	uint64_t rel = h->ts_ns >= p->first_ts ? h->ts_ns - p->first_ts : 0;
	const char *fn, *ws;
	size_t fl, wl;

	/* the common line (a function of the packet's own skb, under 10 ms, the
	 * place of the line before, a memoized name) in one go, as below */
	if (h->type == NT_EV_FUNC && h->skb == p->skb && rel < 10000000 && (ifindex || netns) &&
	    (ws = nt_jr_tb_where_memo(m, ifindex, netns, &wl)) && (fn = nt_func_name_text(m, f, &fl)) &&
	    b->cap - b->len >= fl + wl + 32) {
		char *o = b->p + b->len;

		memcpy(o, "  [", 3);
		nt_us8_put(o + 3, rel);
		memcpy(o + 11, "\xc2\xb5s] ", 5);
		o += 16;
		memcpy(o, fn, fl);
		o += fl;
		memcpy(o, ws, wl);
		o += wl;
		*o++ = '\n';
		b->len = (size_t)(o - b->p);
		return;
	}
	rel_us(b, p, h->ts_ns);
	nt_tb_func_name(b, m, f);
	if (h->type == NT_EV_DROP)
		nt_tb_lit(b, " (drop)");
	else if (h->type == NT_EV_FREE && (h->flags & NT_F_INFERRED))
		nt_tb_lit(b, " (free, inferred)");
	else if (h->type == NT_EV_FREE)
		nt_tb_lit(b, " (free)");
	if (h->skb != p->skb) {
		nt_tb_lit(b, "  [skb 0x");
		nt_tb_hex(b, h->skb);
		nt_tb_chr(b, ']');
	}
	nt_jr_tb_where(b, m, ifindex, netns);
	nt_tb_chr(b, '\n');
}

static int same_flow_text(const struct nt_ev_meta *a, const struct nt_ev_meta *b)
{
	char x[160], y[160];

	nt_fmt_flow(x, sizeof(x), a);
	nt_fmt_flow(y, sizeof(y), b);
	return !strcmp(x, y);
}

/* A META that translated the addresses / ports of its skb (NAT). */
static int is_nat(const struct hopskb *s, const struct nt_ev_meta *mm)
{
	unsigned alen;

	if (!s->has_meta || s->meta.l3 != mm->l3 || (mm->l3 != NT_L3_IPV4 && mm->l3 != NT_L3_IPV6))
		return 0;
	alen = mm->l3 == NT_L3_IPV6 ? 16 : 4;
	if (memcmp(s->meta.saddr, mm->saddr, alen) || memcmp(s->meta.daddr, mm->daddr, alen))
		return 1;
	if ((s->meta.frag & NT_FRAG_IS && (s->meta.frag & NT_FRAG_OFF_MASK)) ||
	    (mm->frag & NT_FRAG_IS && (mm->frag & NT_FRAG_OFF_MASK)))
		return 0; /* no ports in fragments past the first */
	return s->meta.l4proto == mm->l4proto && !same_flow_text(&s->meta, mm);
}

/* "after ip nat post #2 \"masquerade\"": the NAT rule step before the
 * translation was seen (none: conntrack translated a reply, or the rule's
 * chain was not traced) */
static void tb_nat_cause(struct nt_tb *b, const struct nt_model *m, const struct hops *hs)
{
	if (hs->nat_rule) {
		const char *t = nt_model_rule_text(m, hs->nat_rule->chain_key, hs->nat_rule->rule_handle);

		nt_tb_lit(b, " after ");
		nt_tb_chain(b, m, hs->nat_rule->chain_key);
		nt_tb_lit(b, " #");
		nt_tb_u64(b, hs->nat_rule->rule_handle);
		nt_tb_lit(b, " \"");
		if (t)
			nt_tb_rule_text(b, m, t);
		else
			nt_tb_chr(b, '?');
		nt_tb_chr(b, '"');
	}
}

static void tb_fate(struct nt_tb *b, const struct nt_model *m, const struct nt_packet *p)
{
	char sym[192], a[32], c[32];

	nt_tb_lit(b, "\nFate: ");
	nt_tb_str(b, nt_fate_name(p->fate));
	switch (p->fate) {
	case NT_FATE_DELIVERED:
		nt_tb_lit(b, " to a socket at ");
		nt_tb_esc(b, nt_model_func(m, p->fate_func)->name);
		break;
	case NT_FATE_DROPPED: {
		const char *rn = nt_model_drop_reason(m, p->drop_reason);

		nt_tb_lit(b, ": ");
		nt_tb_esc(b, rn ? rn : "?");
		nt_tb_lit(b, " (reason ");
		nt_tb_u64(b, p->drop_reason);
		nt_tb_lit(b, ") at ");
		nt_tb_esc(b, nt_model_symbolize(m, p->drop_location, sym, sizeof(sym)));
		nt_tb_lit(b, " (");
		nt_tb_esc(b, nt_model_func(m, p->drop_func)->name);
		nt_tb_chr(b, ')');
		break;
	}
	case NT_FATE_FORWARDED:
		nt_tb_lit(b, " out of ");
		nt_tb_esc(b, p->fate_ifindex ? nt_jr_dev_label(m, p->fate_netns, p->fate_ifindex, a, sizeof(a)) : "?");
		nt_tb_lit(b, " at ");
		nt_tb_esc(b, nt_model_func(m, p->fate_func)->name);
		break;
	case NT_FATE_CONSUMED:
		nt_tb_lit(b, " (freed)");
		if (p->fate_func != UINT32_MAX) {
			nt_tb_lit(b, " after ");
			nt_tb_esc(b, nt_model_func(m, p->fate_func)->name);
		}
		break;
	default:
		nt_tb_lit(b, " (still open at the end of the log)");
		break;
	}
	nt_jr_tb_where(b, m, p->fate == NT_FATE_FORWARDED ? 0 : p->fate_ifindex, p->fate_netns);
	(void)c;
	nt_tb_chr(b, '\n');
}

/* Function records of a packet grouped by layer in one pass when there are
 * at most this many of them (else one pass over the records per layer). */
#define JT_FAST_FUNCS 512

void nt_journey_print_text(FILE *out, const struct nt_model *m, const struct nt_packet *p)
{
	struct nt_tb b;

	nt_tb_init(&b, out);
	nt_journey_text(&b, m, p);
	nt_tb_flush(&b);
}

void nt_journey_text(struct nt_tb *b, const struct nt_model *m, const struct nt_packet *p)
{
	static const char sep[] = "================================================================================\n";
	struct hops hs;
	const struct nt_ev_hdr *h;
	uint32_t fo[JT_FAST_FUNCS];   /* offsets of the function records */
	uint32_t fdev[JT_FAST_FUNCS], fns[JT_FAST_FUNCS]; /* where they were */
	uint16_t fnext[JT_FAST_FUNCS]; /* the next of the same layer (a list per layer) */
	int lfirst[NT_MODEL_MAX_LAYERS], llast[NT_MODEL_MAX_LAYERS];
	int order[NT_MODEL_MAX_LAYERS], nl = 0, nf = 0, many = 0, nnat = 0, nfrag = 0;
	uint32_t seen = 0, types = 0, dtypes = 0; /* (dtypes: nt_detail_types()) */

	nt_jr_where_reset(0);
	/* one pass: layer order, function records by layer, record types present */
	hops_init(&hs);
	FOREACH_REC(p, h) {
		struct hopskb *s;
		int l;

		types |= 1u << (h->type & 31);
		dtypes |= h->type < 32 ? 1u << h->type : 0;
		if (h->type == NT_EV_META && (s = hop_of(&hs, h->skb, 0))) {
			const struct nt_ev_meta *mm = (const void *)h;

			nnat += is_nat(s, mm);
			nfrag += (mm->frag & NT_FRAG_IS) || (s->has_meta && (s->meta.frag & NT_FRAG_IS));
			s->meta = *mm;
			s->has_meta = 1;
		}
		s = hop_step(&hs, m, h);
		l = rec_layer(m, h);
		if (l < 0 || l >= NT_MODEL_MAX_LAYERS)
			continue;
		if (!(seen & (1u << l))) {
			seen |= 1u << l;
			order[nl++] = l;
			lfirst[l] = -1;
		}
		if (nf < JT_FAST_FUNCS && _off <= UINT32_MAX) { /* (a packet of > 4 GiB: not grouped) */
			fo[nf] = (uint32_t)_off;
			fdev[nf] = s ? s->ifindex : 0;
			fns[nf] = s ? s->netns : 0;
			if (lfirst[l] < 0)
				lfirst[l] = nf;
			else
				fnext[llast[l]] = (uint16_t)nf;
			llast[l] = nf++;
		} else {
			many = 1;
		}
	}

	nt_tb_mem(b, sep, sizeof(sep) - 1);
	nt_tb_lit(b, "PACKET TRACE: 0x");
	nt_tb_hex(b, p->skb);
	nt_tb_lit(b, " (packet ");
	nt_tb_u64(b, p->id);
	nt_tb_lit(b, ")\n");
	nt_tb_mem(b, sep, sizeof(sep) - 1);
	nt_tb_chr(b, '[');
	nt_tb_str(b, p->has_meta && (p->meta.l3 == NT_L3_IPV4 || p->meta.l3 == NT_L3_IPV6) ?
			nt_proto_name(p->meta.l4proto) : "?");
	nt_tb_lit(b, "] ");
	nt_tb_flow(b, p->has_meta ? &p->meta : NULL);
	nt_tb_lit(b, " | Functions: ");
	nt_tb_u64(b, p->n_funcs);
	nt_tb_lit(b, ", NFT Chains: ");
	nt_tb_u64(b, nt_packet_chains(p));
	nt_tb_lit(b, ", Rules: ");
	nt_tb_u64(b, p->n_rules);
	nt_tb_lit(b, " | Verdict: ");
	nt_tb_str(b, nt_verdict_name(p->verdict));
	nt_tb_lit(b, " | Fate: ");
	nt_tb_str(b, nt_fate_name(p->fate));
	if (p->incomplete)
		nt_tb_lit(b, " (incomplete)");
	nt_tb_chr(b, '\n');
	if (p->keep_cut) {
		nt_tb_lit(b, "Cut: its oldest ");
		nt_tb_u64(b, p->keep_cut);
		nt_tb_lit(b, " records (--keep's per-packet buffer was full; the first META is kept)\n");
	}
	if (p->flow_packet && p->flow_packet != p->id) {
		nt_tb_str(b, p->reply ? "Flow: reply to packet " : "Flow: after packet ");
		nt_tb_u64(b, p->flow_packet);
		nt_tb_str(b, p->reply ? " (the other direction of its flow)\n" : " (same flow)\n");
	}

	for (int i = 0; i < nl; i++) {
		nt_tb_chr(b, '\n');
		nt_tb_esc(b, nt_model_layer_name(m, order[i]));
		nt_tb_lit(b, " Layer:\n");
		if (!many) {
			for (int j = lfirst[order[i]]; j >= 0; j = j == llast[order[i]] ? -1 : fnext[j]) {
				h = (const void *)(p->ev + fo[j]);
				func_line(b, m, p, h, nt_model_func(m, h->id), fdev[j], fns[j]);
			}
			continue;
		}
		hops_init(&hs);
		FOREACH_REC(p, h) {
			struct hopskb *s = hop_step(&hs, m, h);

			if (rec_layer(m, h) == order[i])
				func_line(b, m, p, h, nt_model_func(m, h->id), s ? s->ifindex : 0,
					  s ? s->netns : 0);
		}
	}

	if (nnat) {
		nt_tb_lit(b, "\nNAT:\n");
		hops_init(&hs);
		FOREACH_REC(p, h) {
			struct hopskb *s;

			if (h->type != NT_EV_META) {
				hop_step(&hs, m, h);
				continue;
			}
			s = hop_of(&hs, h->skb, 0);
			if (is_nat(s, (const void *)h)) {
				rel_us(b, p, h->ts_ns);
				nt_tb_flow(b, &s->meta);
				nt_tb_lit(b, "  =>  ");
				nt_tb_flow(b, (const void *)h);
				nt_tb_lit(b, "  seen at ");
				nt_tb_esc(b, nt_model_func(m, h->id)->name);
				nt_jr_tb_where(b, m, ((const struct nt_ev_meta *)h)->ifindex,
					 ((const struct nt_ev_meta *)h)->netns);
				tb_nat_cause(b, m, &hs);
				nt_tb_chr(b, '\n');
			}
			s->meta = *(const struct nt_ev_meta *)h;
			s->has_meta = 1;
			hop_step(&hs, m, h);
			hs.nat_rule = NULL;
			hs.last_nft = NULL;
		}
	}

	if (nfrag) {
		nt_tb_lit(b, "\nFragments:\n");
		hops_init(&hs);
		FOREACH_REC(p, h) {
			const struct nt_ev_meta *mm = (const void *)h;
			struct hopskb *s;
			int was;

			if (h->type != NT_EV_META)
				continue;
			s = hop_of(&hs, h->skb, 0);
			was = s->has_meta && (s->meta.frag & NT_FRAG_IS);
			if ((mm->frag & NT_FRAG_IS) && (!was || (s->meta.frag & ~NT_FRAG_MF) != (mm->frag & ~NT_FRAG_MF) ||
							 s->meta.frag_id != mm->frag_id)) {
				rel_us(b, p, h->ts_ns);
				nt_tb_lit(b, "fragment id ");
				nt_tb_u64(b, mm->frag_id);
				nt_tb_lit(b, " offset ");
				nt_tb_u64(b, (uint64_t)(mm->frag & NT_FRAG_OFF_MASK) * 8);
				if (mm->frag & NT_FRAG_MF)
					nt_tb_lit(b, " (more)");
				nt_tb_lit(b, " len ");
				nt_tb_u64(b, mm->len);
				tb_frag_end(b, m, mm);
			} else if (was && !(mm->frag & NT_FRAG_IS)) {
				rel_us(b, p, h->ts_ns);
				nt_tb_lit(b, "reassembled, len ");
				nt_tb_u64(b, mm->len);
				tb_frag_end(b, m, mm);
			}
			s->meta = *mm;
			s->has_meta = 1;
		}
	}

	if (types & (1u << NT_EV_NFT_CHAIN)) {
		nt_tb_lit(b, "\nNFT Chains:\n");
		FOREACH_REC(p, h) {
			const struct nt_ev_nft_chain *c = (const void *)h;
			const struct nt_ev_nft_chaindef *d;

			if (h->type != NT_EV_NFT_CHAIN)
				continue;
			d = nt_model_chain(m, c->chain_key);
			rel_us(b, p, h->ts_ns);
			nt_tb_chain(b, m, c->chain_key);
			if (d && d->base) {
				nt_tb_lit(b, " (hook ");
				nt_tb_str(b, nt_hook_name(d->hook));
				nt_tb_lit(b, ", prio ");
				nt_tb_i64(b, d->prio);
				nt_tb_chr(b, ')');
			}
			if (c->phase == NT_CHAIN_EXIT) {
				nt_tb_lit(b, ": ");
				nt_tb_str(b, nt_verdict_name(c->verdict));
				nt_tb_chr(b, '\n');
			} else {
				nt_tb_lit(b, ": enter\n");
			}
		}
	}

	if (types & (1u << NT_EV_NFT_RULE)) {
		nt_tb_lit(b, "\nNFT Rules Evaluated:\n");
		FOREACH_REC(p, h) {
			const struct nt_ev_nft_rule *r = (const void *)h;
			const char *text;

			if (h->type != NT_EV_NFT_RULE)
				continue;
			rel_us(b, p, h->ts_ns);
			nt_tb_chain(b, m, r->chain_key);
			if (r->kind == NT_RULE_KIND_POLICY) {
				nt_tb_lit(b, " policy: ");
			} else if (nt_rule_kind_shown(r) == NT_RULE_KIND_RETURN) {
				nt_tb_lit(b, " return: ");
			} else {
				nt_tb_lit(b, " #");
				nt_tb_u64(b, r->rule_handle);
				nt_tb_lit(b, ": ");
			}
			nt_tb_str(b, nt_verdict_name(r->verdict));
			if (r->verdict == NT_V_JUMP || r->verdict == NT_V_GOTO) {
				const struct nt_ev_nft_chaindef *t = nt_model_chain(m, r->target_key);

				nt_tb_chr(b, ' ');
				if (t) {
					nt_tb_esc_n(b, t->chain, strnlen(t->chain, NT_NAME_LEN));
				} else {
					nt_tb_lit(b, "0x");
					nt_tb_hex(b, r->target_key);
				}
			}
			if (nt_rule_kind_shown(r) == NT_RULE_KIND_RULE &&
			    (text = nt_model_rule_text_at(m, r->chain_key, r->rule_handle, r->h.ts_ns))) {
				nt_tb_lit(b, "  \"");
				nt_tb_rule_text(b, m, text);
				nt_tb_chr(b, '"');
			}
			nt_tb_chr(b, '\n');
		}
	}

	if (types & (1u << NT_EV_LINK)) {
		nt_tb_lit(b, "\nBranches:\n");
		FOREACH_REC(p, h) {
			const struct nt_ev_link *l = (const void *)h;

			if (h->type != NT_EV_LINK)
				continue;
			rel_us(b, p, h->ts_ns);
			nt_tb_str(b, link_kind(l->kind));
			nt_tb_lit(b, " 0x");
			nt_tb_hex(b, h->skb);
			nt_tb_lit(b, " of 0x");
			nt_tb_hex(b, l->parent);
			nt_tb_chr(b, '\n');
		}
	}

	nt_detail_text_of(b, m, p, dtypes);
	tb_fate(b, m, p);
	nt_detail_text_drop(b, m, p);
	if (p->not_kept) {
		nt_tb_lit(b, "\n(");
		nt_tb_u64(b, p->not_kept);
		nt_tb_lit(b, " more records of this packet not kept: limit --max-packet-records / --max-kept-bytes)\n");
	}
	nt_tb_chr(b, '\n');
}

void nt_journey_json(struct nt_jw *w, const struct nt_model *m, const struct nt_packet *p)
{
	nt_journey_json_key(w, NULL, m, p);
}

static void jw_flow_text(struct nt_jw *w, const char *key, const struct nt_ev_meta *mm)
{
	char f[160];

	nt_fmt_flow(f, sizeof(f), mm);
	nt_jw_str(w, key, f);
}

void nt_journey_json_key(struct nt_jw *w, const char *key, const struct nt_model *m,
			 const struct nt_packet *p)
{
	struct hops hs;
	const struct nt_ev_hdr *h;
	int order[NT_MODEL_MAX_LAYERS], nl;
	struct {
		const char *type;
		uint64_t skb;
		uint32_t ifindex, netns;
		int len;
		char s[1200]; /* > the where memo's 1024 + type and skb */
	} sfx;
	uint32_t types = 0, nmeta = 0; /* record types of the packet (nt_detail_types()), its META records */

	nt_jr_where_reset(1);
	nt_jw_obj(w, key);
	nt_jw_packet_fields(w, m, p);
	if (p->not_kept) /* the lists below stop at the kept records */
		nt_jw_u64(w, "records_not_kept", p->not_kept);
	if (p->keep_cut) /* the recorder's --keep buffer lost its oldest records */
		nt_jw_u64(w, "records_cut", p->keep_cut);

	nt_jw_arr(w, "layers");
	nl = layer_order(m, p, order);
	for (int i = 0; i < nl; i++)
		nt_jw_layer_time(w, m, order[i], p->layer_ns[order[i]]);
	nt_jw_end(w);

	nt_jw_arr(w, "path");
	hops_init(&hs);
	/* the element's bytes after "func" / "layer": built once for the
	 * records of the same type, skb and place (most of a packet's) */
	sfx.len = -1;
	FOREACH_REC(p, h) {
		const struct nt_func_info *f;
		struct hopskb *s = hop_step(&hs, m, h);

		types |= h->type < 32 ? 1u << h->type : 0;
		nmeta += h->type == NT_EV_META;
		if (rec_layer(m, h) < 0)
			continue;
		const char *type = h->type == NT_EV_DROP ? "drop" : h->type != NT_EV_FREE ? "func" :
				   (h->flags & NT_F_INFERRED) ? "free_inferred" : "free";
		uint64_t t = h->ts_ns >= p->first_ts ? h->ts_ns - p->first_ts : 0;
		uint32_t ifindex = s ? s->ifindex : 0, netns = s ? s->netns : 0;
		const char *ws;
		size_t wl;

		f = nt_model_func(m, h->id);
		if (sfx.len < 0 || type != sfx.type || h->skb != sfx.skb || ifindex != sfx.ifindex ||
		    netns != sfx.netns) {
			sfx.type = type;
			sfx.skb = h->skb;
			sfx.ifindex = ifindex;
			sfx.netns = netns;
			sfx.len = (ws = nt_jr_jw_where_text(w, m, ifindex, netns, &wl)) ?
				  nt_jw_path_sfx(sfx.s, sizeof(sfx.s), type, h->skb, ws, wl, 3) : -1;
		}
		if (sfx.len >= 0 && !nt_jw_path_entry_sfx(w, m, t, f, sfx.s, (size_t)sfx.len))
			continue;
		if ((ws = nt_jr_jw_where_text(w, m, ifindex, netns, &wl))) {
			nt_jw_path_entry(w, m, t, f, type, h->skb, ws, wl, 3);
			continue;
		}
		nt_jw_path_head(w, m, t, f, type, h->skb);
		nt_jr_jw_where_long(w, m, ifindex, netns);
		nt_jw_end(w);
	}
	nt_jw_end(w);

	/* the passes below find nothing in a packet without their record
	 * types (a NAT needs a second META of an skb) */
	nt_jw_arr(w, "nat");
	hops_init(&hs);
	if (nmeta > 1) FOREACH_REC(p, h) {
		const struct nt_ev_meta *mm = (const void *)h;
		struct hopskb *s;

		if (h->type != NT_EV_META) {
			hop_step(&hs, m, h);
			continue;
		}
		s = hop_of(&hs, h->skb, 0);
		if (is_nat(s, mm)) {
			nt_jw_obj(w, NULL);
			nt_jw_u64(w, "t_ns", h->ts_ns >= p->first_ts ? h->ts_ns - p->first_ts : 0);
			jw_flow_text(w, "before", &s->meta);
			jw_flow_text(w, "after", mm);
			nt_jw_str(w, "func", nt_model_func(m, h->id)->name);
			nt_jr_jw_where(w, m, mm->ifindex, mm->netns);
			if (hs.nat_rule) {
				char ch[900];

				nt_fmt_chain(ch, sizeof(ch), m, hs.nat_rule->chain_key);
				nt_jw_str(w, "chain", ch);
				nt_jw_u64(w, "handle", hs.nat_rule->rule_handle);
				nt_jw_rule_text_as(w, m, "rule", nt_model_rule_text(m, hs.nat_rule->chain_key,
										    hs.nat_rule->rule_handle));
			}
			nt_jw_end(w);
		}
		s->meta = *mm;
		s->has_meta = 1;
		hop_step(&hs, m, h);
		hs.nat_rule = NULL;
		hs.last_nft = NULL;
	}
	nt_jw_end(w);

	nt_jw_arr(w, "fragments");
	hops_init(&hs);
	if (nmeta) FOREACH_REC(p, h) {
		const struct nt_ev_meta *mm = (const void *)h;
		struct hopskb *s;
		int was;

		if (h->type != NT_EV_META)
			continue;
		s = hop_of(&hs, h->skb, 0);
		was = s->has_meta && (s->meta.frag & NT_FRAG_IS);
		if ((mm->frag & NT_FRAG_IS) && (!was || (s->meta.frag & ~NT_FRAG_MF) != (mm->frag & ~NT_FRAG_MF) ||
						 s->meta.frag_id != mm->frag_id)) {
			nt_jw_obj(w, NULL);
			nt_jw_u64(w, "t_ns", h->ts_ns >= p->first_ts ? h->ts_ns - p->first_ts : 0);
			nt_jw_hex(w, "skb", h->skb);
			nt_jw_u64(w, "id", mm->frag_id);
			nt_jw_u64(w, "offset", (uint64_t)(mm->frag & NT_FRAG_OFF_MASK) * 8);
			nt_jw_bool(w, "more", !!(mm->frag & NT_FRAG_MF));
			nt_jw_u64(w, "len", mm->len);
			nt_jr_jw_where(w, m, mm->ifindex, mm->netns);
			nt_jw_end(w);
		} else if (was && !(mm->frag & NT_FRAG_IS)) {
			nt_jw_obj(w, NULL);
			nt_jw_u64(w, "t_ns", h->ts_ns >= p->first_ts ? h->ts_ns - p->first_ts : 0);
			nt_jw_hex(w, "skb", h->skb);
			nt_jw_bool(w, "reassembled", 1);
			nt_jw_u64(w, "len", mm->len);
			nt_jr_jw_where(w, m, mm->ifindex, mm->netns);
			nt_jw_end(w);
		}
		s->meta = *mm;
		s->has_meta = 1;
	}
	nt_jw_end(w);

	nt_jw_arr(w, "nft");
	if (types & (1u << NT_EV_NFT_RULE | 1u << NT_EV_NFT_CHAIN)) FOREACH_REC(p, h) {
		const struct nt_ev_nft_chaindef *d;
		uint64_t key;

		if (h->type != NT_EV_NFT_RULE && h->type != NT_EV_NFT_CHAIN)
			continue;
		key = h->type == NT_EV_NFT_RULE ? ((const struct nt_ev_nft_rule *)h)->chain_key
						: ((const struct nt_ev_nft_chain *)h)->chain_key;
		d = nt_model_chain(m, key);
		nt_jw_obj(w, NULL);
		nt_jw_u64(w, "t_ns", h->ts_ns >= p->first_ts ? h->ts_ns - p->first_ts : 0);
		if (d) {
			nt_jw_str(w, "family", nt_family_name(d->family));
			nt_jw_str(w, "table", d->table);
			nt_jw_str(w, "chain", d->chain);
		} else {
			nt_jw_hex(w, "chain_key", key);
		}
		if (h->type == NT_EV_NFT_CHAIN) {
			const struct nt_ev_nft_chain *c = (const void *)h;

			nt_jw_str(w, "kind", c->phase == NT_CHAIN_EXIT ? "chain_exit" : "chain_enter");
			if (d && d->base) {
				nt_jw_str(w, "hook", nt_hook_name(d->hook));
				nt_jw_i64(w, "prio", d->prio);
			}
			if (c->phase == NT_CHAIN_EXIT)
				nt_jw_str(w, "verdict", nt_verdict_name(c->verdict));
		} else {
			const struct nt_ev_nft_rule *r = (const void *)h;
			const struct nt_ev_nft_chaindef *t = nt_model_chain(m, r->target_key);

			nt_jw_str(w, "kind", r->kind == NT_RULE_KIND_POLICY ? "policy" :
					      nt_rule_kind_shown(r) == NT_RULE_KIND_RETURN ? "return" : "rule");
			nt_jw_u64(w, "handle", r->rule_handle);
			nt_jw_str(w, "verdict", nt_verdict_name(r->verdict));
			if (r->verdict == NT_V_JUMP || r->verdict == NT_V_GOTO)
				nt_jw_str(w, "target", t ? t->chain : NULL);
			nt_jw_u64(w, "depth", r->depth);
			nt_jw_rule_text(w, m, nt_model_rule_text_at(m, r->chain_key, r->rule_handle,
								    r->h.ts_ns));
		}
		nt_jw_end(w);
	}
	nt_jw_end(w);

	nt_jw_arr(w, "branches");
	if (types & (1u << NT_EV_LINK)) FOREACH_REC(p, h) {
		const struct nt_ev_link *l = (const void *)h;

		if (h->type != NT_EV_LINK)
			continue;
		nt_jw_obj(w, NULL);
		nt_jw_u64(w, "t_ns", h->ts_ns >= p->first_ts ? h->ts_ns - p->first_ts : 0);
		nt_jw_str(w, "kind", link_kind(l->kind));
		nt_jw_hex(w, "skb", h->skb);
		nt_jw_hex(w, "parent", l->parent);
		nt_jw_end(w);
	}
	nt_jw_end(w);
	nt_detail_json_of(w, m, p, types);
	nt_jw_end(w);
}
