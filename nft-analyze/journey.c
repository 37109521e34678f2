// SPDX-License-Identifier: GPL-2.0
/* journey.c - PACKET TRACE blocks and journey JSON (journey.h). */
#include <inttypes.h>
#include <string.h>

#include "nft-analyze/journey.h"

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

/* µs offset of TS from the packet's first record, as "%8.3f" */
static const char *rel_us(char buf[32], const struct nt_packet *p, uint64_t ts)
{
	nt_fmt_us(buf, ts >= p->first_ts ? ts - p->first_ts : 0);
	return buf;
}

static const char *link_kind(uint32_t k)
{
	return k == NT_LINK_CLONE ? "clone" : k == NT_LINK_COPY ? "copy" :
	       k == NT_LINK_REALLOC ? "realloc" : "link";
}

void nt_journey_print_text(FILE *out, const struct nt_model *m, const struct nt_packet *p)
{
	const struct nt_ev_hdr *h;
	char sep[81], flow[160], us[32];
	int order[NT_MODEL_MAX_LAYERS], nl, any;

	memset(sep, '=', 80);
	sep[80] = 0;
	nt_fmt_flow(flow, sizeof(flow), p->has_meta ? &p->meta : NULL);
	fprintf(out, "%s\nPACKET TRACE: 0x%" PRIx64 " (packet %" PRIu64 ")\n%s\n", sep, p->skb, p->id, sep);
	fprintf(out, "[%s] %s | Functions: %u, NFT Chains: %u, Rules: %u | Verdict: %s%s\n",
		p->has_meta && (p->meta.l3 == NT_L3_IPV4 || p->meta.l3 == NT_L3_IPV6) ?
			nt_proto_name(p->meta.l4proto) : "?",
		flow, p->n_funcs, p->n_chains, p->n_rules, nt_verdict_name(p->verdict),
		p->incomplete ? " (incomplete)" : "");

	nl = layer_order(m, p, order);
	for (int i = 0; i < nl; i++) {
		fprintf(out, "\n%s Layer:\n", nt_model_layer_name(m, order[i]));
		FOREACH_REC(p, h) {
			if (rec_layer(m, h) != order[i])
				continue;
			fprintf(out, "  [%sµs] %s", rel_us(us, p, h->ts_ns), nt_model_func(m, h->id)->name);
			if (h->type == NT_EV_DROP)
				fprintf(out, " (drop)");
			else if (h->type == NT_EV_FREE)
				fprintf(out, (h->flags & NT_F_INFERRED) ? " (free, inferred)" : " (free)");
			if (h->skb != p->skb)
				fprintf(out, "  [skb 0x%" PRIx64 "]", h->skb);
			fputc('\n', out);
		}
	}

	any = 0;
	FOREACH_REC(p, h) {
		const struct nt_ev_nft_chain *c = (const void *)h;
		const struct nt_ev_nft_chaindef *d;
		char ch[160];

		if (h->type != NT_EV_NFT_CHAIN)
			continue;
		if (!any++)
			fprintf(out, "\nNFT Chains:\n");
		nt_fmt_chain(ch, sizeof(ch), m, c->chain_key);
		d = nt_model_chain(m, c->chain_key);
		fprintf(out, "  [%sµs] %s", rel_us(us, p, h->ts_ns), ch);
		if (d && d->base)
			fprintf(out, " (hook %s, prio %d)", nt_hook_name(d->hook), d->prio);
		if (c->phase == NT_CHAIN_EXIT)
			fprintf(out, ": %s\n", nt_verdict_name(c->verdict));
		else
			fprintf(out, ": enter\n");
	}

	any = 0;
	FOREACH_REC(p, h) {
		const struct nt_ev_nft_rule *r = (const void *)h;
		const char *text;
		char ch[160], v[100];

		if (h->type != NT_EV_NFT_RULE)
			continue;
		if (!any++)
			fprintf(out, "\nNFT Rules Evaluated:\n");
		nt_fmt_chain(ch, sizeof(ch), m, r->chain_key);
		nt_fmt_rule_verdict(v, sizeof(v), m, r);
		fprintf(out, "  [%sµs] %s", rel_us(us, p, h->ts_ns), ch);
		if (r->kind == NT_RULE_KIND_POLICY)
			fprintf(out, " policy: %s\n", v);
		else if (r->kind == NT_RULE_KIND_RETURN)
			fprintf(out, " return: %s\n", v);
		else if ((text = nt_model_rule_text(m, r->chain_key, r->rule_handle)))
			fprintf(out, " #%" PRIu64 ": %s  \"%s\"\n", r->rule_handle, v, text);
		else
			fprintf(out, " #%" PRIu64 ": %s\n", r->rule_handle, v);
	}

	any = 0;
	FOREACH_REC(p, h) {
		const struct nt_ev_link *l = (const void *)h;

		if (h->type != NT_EV_LINK)
			continue;
		if (!any++)
			fprintf(out, "\nBranches:\n");
		fprintf(out, "  [%sµs] %s 0x%" PRIx64 " of 0x%" PRIx64 "\n", rel_us(us, p, h->ts_ns),
			link_kind(l->kind), h->skb, l->parent);
	}

	if (p->dropped) {
		const char *rn = nt_model_drop_reason(m, p->drop_reason);

		fprintf(out, "\nDropped: %s (reason %u) at %s\n", rn ? rn : "?", p->drop_reason,
			nt_model_func(m, p->drop_func)->name);
	}
	fputc('\n', out);
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
