// SPDX-License-Identifier: GPL-2.0
/* journey.c - PACKET TRACE blocks and journey JSON (journey.h). */
#include <inttypes.h>
#include <string.h>

#include "model/journey.h"

#define FOREACH_REC(p, h) \
	for (size_t _off = 0; _off + sizeof(struct nt_ev_hdr) <= (p)->ev_len && \
	     ((h) = (const void *)((p)->ev + _off)); _off += nt_ev_size((h)->type))

static int rec_layer(const struct nt_model *m, const struct nt_ev_hdr *h)
{
	if (h->type != NT_EV_FUNC && h->type != NT_EV_DROP && h->type != NT_EV_FREE)
		return -1;
	return nt_model_func(m, h->id)->layer;
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
	return n;
}

static const char *link_kind(uint32_t k)
{
	return k == NT_LINK_CLONE ? "clone" : k == NT_LINK_COPY ? "copy" :
	       k == NT_LINK_REALLOC ? "realloc" : "link";
}

static inline void rel_us(struct nt_tb *b, const struct nt_packet *p, uint64_t ts)
{
	nt_tb_lit(b, "  [");
	nt_tb_us(b, ts >= p->first_ts ? ts - p->first_ts : 0);
	nt_tb_lit(b, "\xc2\xb5s] "); /* "µs] " */
}

/* "  [   1.234µs] ip_rcv (drop)  [skb 0x...]" of a function record */
static void func_line(struct nt_tb *b, const struct nt_model *m, const struct nt_packet *p,
		      const struct nt_ev_hdr *h, const struct nt_func_info *f)
{
	rel_us(b, p, h->ts_ns);
	nt_tb_str(b, f->name);
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
	nt_tb_chr(b, '\n');
}

/* Function records of a packet grouped by layer in one pass when there are
 * at most this many of them (else one pass over the records per layer). */
#define JT_FAST_FUNCS 512

void nt_journey_print_text(FILE *out, const struct nt_model *m, const struct nt_packet *p)
{
	static const char sep[] = "================================================================================\n";
	const struct nt_ev_hdr *h;
	struct nt_tb b;
	uint32_t fo[JT_FAST_FUNCS];   /* offsets of the function records */
	uint8_t fl[JT_FAST_FUNCS];    /* and their layers */
	int order[NT_MODEL_MAX_LAYERS], nl = 0, nf = 0, many = 0;
	uint32_t seen = 0, types = 0;

	nt_tb_init(&b, out);
	/* one pass: layer order, function records by layer, record types present */
	FOREACH_REC(p, h) {
		int l;

		types |= 1u << (h->type & 31);
		l = rec_layer(m, h);
		if (l < 0 || l >= NT_MODEL_MAX_LAYERS)
			continue;
		if (!(seen & (1u << l))) {
			seen |= 1u << l;
			order[nl++] = l;
		}
		if (nf < JT_FAST_FUNCS && _off <= UINT32_MAX) { /* (a packet of > 4 GiB: not grouped) */
			fo[nf] = (uint32_t)_off;
			fl[nf++] = (uint8_t)l;
		} else {
			many = 1;
		}
	}

	nt_tb_mem(&b, sep, sizeof(sep) - 1);
	nt_tb_lit(&b, "PACKET TRACE: 0x");
	nt_tb_hex(&b, p->skb);
	nt_tb_lit(&b, " (packet ");
	nt_tb_u64(&b, p->id);
	nt_tb_lit(&b, ")\n");
	nt_tb_mem(&b, sep, sizeof(sep) - 1);
	nt_tb_chr(&b, '[');
	nt_tb_str(&b, p->has_meta && (p->meta.l3 == NT_L3_IPV4 || p->meta.l3 == NT_L3_IPV6) ?
			nt_proto_name(p->meta.l4proto) : "?");
	nt_tb_lit(&b, "] ");
	nt_tb_flow(&b, p->has_meta ? &p->meta : NULL);
	nt_tb_lit(&b, " | Functions: ");
	nt_tb_u64(&b, p->n_funcs);
	nt_tb_lit(&b, ", NFT Chains: ");
	nt_tb_u64(&b, p->n_chains);
	nt_tb_lit(&b, ", Rules: ");
	nt_tb_u64(&b, p->n_rules);
	nt_tb_lit(&b, " | Verdict: ");
	nt_tb_str(&b, nt_verdict_name(p->verdict));
	if (p->incomplete)
		nt_tb_lit(&b, " (incomplete)");
	nt_tb_chr(&b, '\n');

	for (int i = 0; i < nl; i++) {
		nt_tb_chr(&b, '\n');
		nt_tb_str(&b, nt_model_layer_name(m, order[i]));
		nt_tb_lit(&b, " Layer:\n");
		if (!many) {
			for (int j = 0; j < nf; j++) {
				if (fl[j] != order[i])
					continue;
				h = (const void *)(p->ev + fo[j]);
				func_line(&b, m, p, h, nt_model_func(m, h->id));
			}
			continue;
		}
		FOREACH_REC(p, h) {
			if (rec_layer(m, h) == order[i])
				func_line(&b, m, p, h, nt_model_func(m, h->id));
		}
	}

	if (types & (1u << NT_EV_NFT_CHAIN)) {
		nt_tb_lit(&b, "\nNFT Chains:\n");
		FOREACH_REC(p, h) {
			const struct nt_ev_nft_chain *c = (const void *)h;
			const struct nt_ev_nft_chaindef *d;

			if (h->type != NT_EV_NFT_CHAIN)
				continue;
			d = nt_model_chain(m, c->chain_key);
			rel_us(&b, p, h->ts_ns);
			nt_tb_chain(&b, m, c->chain_key);
			if (d && d->base) {
				nt_tb_lit(&b, " (hook ");
				nt_tb_str(&b, nt_hook_name(d->hook));
				nt_tb_lit(&b, ", prio ");
				nt_tb_i64(&b, d->prio);
				nt_tb_chr(&b, ')');
			}
			if (c->phase == NT_CHAIN_EXIT) {
				nt_tb_lit(&b, ": ");
				nt_tb_str(&b, nt_verdict_name(c->verdict));
				nt_tb_chr(&b, '\n');
			} else {
				nt_tb_lit(&b, ": enter\n");
			}
		}
	}

	if (types & (1u << NT_EV_NFT_RULE)) {
		nt_tb_lit(&b, "\nNFT Rules Evaluated:\n");
		FOREACH_REC(p, h) {
			const struct nt_ev_nft_rule *r = (const void *)h;
			const char *text;

			if (h->type != NT_EV_NFT_RULE)
				continue;
			rel_us(&b, p, h->ts_ns);
			nt_tb_chain(&b, m, r->chain_key);
			if (r->kind == NT_RULE_KIND_POLICY) {
				nt_tb_lit(&b, " policy: ");
			} else if (r->kind == NT_RULE_KIND_RETURN) {
				nt_tb_lit(&b, " return: ");
			} else {
				nt_tb_lit(&b, " #");
				nt_tb_u64(&b, r->rule_handle);
				nt_tb_lit(&b, ": ");
			}
			nt_tb_str(&b, nt_verdict_name(r->verdict));
			if (r->verdict == NT_V_JUMP || r->verdict == NT_V_GOTO) {
				const struct nt_ev_nft_chaindef *t = nt_model_chain(m, r->target_key);

				nt_tb_chr(&b, ' ');
				if (t) {
					nt_tb_str(&b, t->chain);
				} else {
					nt_tb_lit(&b, "0x");
					nt_tb_hex(&b, r->target_key);
				}
			}
			if (r->kind != NT_RULE_KIND_POLICY && r->kind != NT_RULE_KIND_RETURN &&
			    (text = nt_model_rule_text(m, r->chain_key, r->rule_handle))) {
				nt_tb_lit(&b, "  \"");
				nt_tb_str(&b, text);
				nt_tb_chr(&b, '"');
			}
			nt_tb_chr(&b, '\n');
		}
	}

	if (types & (1u << NT_EV_LINK)) {
		nt_tb_lit(&b, "\nBranches:\n");
		FOREACH_REC(p, h) {
			const struct nt_ev_link *l = (const void *)h;

			if (h->type != NT_EV_LINK)
				continue;
			rel_us(&b, p, h->ts_ns);
			nt_tb_str(&b, link_kind(l->kind));
			nt_tb_lit(&b, " 0x");
			nt_tb_hex(&b, h->skb);
			nt_tb_lit(&b, " of 0x");
			nt_tb_hex(&b, l->parent);
			nt_tb_chr(&b, '\n');
		}
	}

	if (p->dropped) {
		const char *rn = nt_model_drop_reason(m, p->drop_reason);

		nt_tb_lit(&b, "\nDropped: ");
		nt_tb_str(&b, rn ? rn : "?");
		nt_tb_lit(&b, " (reason ");
		nt_tb_u64(&b, p->drop_reason);
		nt_tb_lit(&b, ") at ");
		nt_tb_str(&b, nt_model_func(m, p->drop_func)->name);
		nt_tb_chr(&b, '\n');
	}
	nt_tb_chr(&b, '\n');
	nt_tb_flush(&b);
}

void nt_journey_json(struct nt_jw *w, const struct nt_model *m, const struct nt_packet *p)
{
	nt_journey_json_key(w, NULL, m, p);
}

void nt_journey_json_key(struct nt_jw *w, const char *key, const struct nt_model *m,
			 const struct nt_packet *p)
{
	const struct nt_ev_hdr *h;
	int order[NT_MODEL_MAX_LAYERS], nl;

	nt_jw_obj(w, key);
	nt_jw_packet_fields(w, m, p);

	nt_jw_arr(w, "layers");
	nl = layer_order(m, p, order);
	for (int i = 0; i < nl; i++) {
		nt_jw_obj(w, NULL);
		nt_jw_str(w, "layer", nt_model_layer_name(m, order[i]));
		nt_jw_u64(w, "time_ns", p->layer_ns[order[i]]);
		nt_jw_end(w);
	}
	nt_jw_end(w);

	nt_jw_arr(w, "path");
	FOREACH_REC(p, h) {
		const struct nt_func_info *f;

		if (rec_layer(m, h) < 0)
			continue;
		f = nt_model_func(m, h->id);
		nt_jw_obj(w, NULL);
		nt_jw_u64(w, "t_ns", h->ts_ns >= p->first_ts ? h->ts_ns - p->first_ts : 0);
		nt_jw_str(w, "func", f->name);
		nt_jw_str(w, "layer", f->layer_name);
		nt_jw_str(w, "type", h->type == NT_EV_DROP ? "drop" : h->type != NT_EV_FREE ? "func" :
				      (h->flags & NT_F_INFERRED) ? "free_inferred" : "free");
		nt_jw_hex(w, "skb", h->skb);
		nt_jw_end(w);
	}
	nt_jw_end(w);

	nt_jw_arr(w, "nft");
	FOREACH_REC(p, h) {
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
					      r->kind == NT_RULE_KIND_RETURN ? "return" : "rule");
			nt_jw_u64(w, "handle", r->rule_handle);
			nt_jw_str(w, "verdict", nt_verdict_name(r->verdict));
			if (r->verdict == NT_V_JUMP || r->verdict == NT_V_GOTO)
				nt_jw_str(w, "target", t ? t->chain : NULL);
			nt_jw_u64(w, "depth", r->depth);
			nt_jw_str(w, "text", nt_model_rule_text(m, r->chain_key, r->rule_handle));
		}
		nt_jw_end(w);
	}
	nt_jw_end(w);

	nt_jw_arr(w, "branches");
	FOREACH_REC(p, h) {
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
	nt_jw_end(w);
}
