// SPDX-License-Identifier: GPL-2.0
/* stream.c - live event lines (see stream.h).  Allocation free per record. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stream.h"
#include "common/bpf_shared.h"

#define META_BITS 12
#define CHAIN_BITS 10

struct nt_stream {
	FILE *out;
	uint64_t n;
	struct nt_ev_meta meta[1u << META_BITS];            /* last META per skb (direct mapped) */
	struct nt_ev_nft_chaindef chains[1u << CHAIN_BITS];
};

static const char *const tp_names[] = NT_TP_NAMES;
static const char *const tp_layers[] = NT_TP_LAYERS;

struct nt_stream *nt_stream_new(FILE *out)
{
	struct nt_stream *s = calloc(1, sizeof(*s));

	if (s)
		s->out = out;
	return s;
}

void nt_stream_free(struct nt_stream *s)
{
	if (s)
		fflush(s->out);
	free(s);
}

void nt_stream_flush(struct nt_stream *s)
{
	fflush(s->out);
}

static const char *verdict_name(int v)
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
	default: return "?";
	}
}

static void tuple(const struct nt_ev_meta *m, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?", b[INET6_ADDRSTRLEN] = "?";
	int af = m->l3 == NT_L3_IPV6 ? AF_INET6 : AF_INET;

	if (m->l3 != NT_L3_IPV4 && m->l3 != NT_L3_IPV6) {
		snprintf(buf, len, "-");
		return;
	}
	inet_ntop(af, m->saddr, a, sizeof(a));
	inet_ntop(af, m->daddr, b, sizeof(b));
	if (af == AF_INET6)
		snprintf(buf, len, "[%s]:%u → [%s]:%u", a, m->sport, b, m->dport);
	else
		snprintf(buf, len, "%s:%u → %s:%u", a, m->sport, b, m->dport);
}

void nt_stream_event(struct nt_stream *s, const void *rec, size_t len)
{
	const struct nt_ev_hdr *h = rec;
	struct nt_ev_meta *m = &s->meta[(h->skb >> 8) & ((1u << META_BITS) - 1)];
	char tup[128] = "-", name[160];
	const char *kind = NULL, *layer = "?";

	if (h->skb && m->h.skb == h->skb)
		tuple(m, tup, sizeof(tup));
	switch (h->type) {
	case NT_EV_META:
		*m = *(const struct nt_ev_meta *)rec;
		return;
	case NT_EV_NFT_CHAINDEF: {
		const struct nt_ev_nft_chaindef *d = rec;

		s->chains[(d->chain_key >> 3) & ((1u << CHAIN_BITS) - 1)] = *d;
		return;
	}
	case NT_EV_FUNC:
	case NT_EV_DROP:
	case NT_EV_FREE:
		kind = h->type == NT_EV_FUNC ? "FUNC" : h->type == NT_EV_DROP ? "DROP" : "FREE";
		if (h->id < NT_TP__COUNT) {
			snprintf(name, sizeof(name), "%s", tp_names[h->id]);
			layer = tp_layers[h->id];
		} else {
			snprintf(name, sizeof(name), "func#%u", h->id);
		}
		if (h->type == NT_EV_DROP)
			snprintf(name + strlen(name), sizeof(name) - strlen(name), " reason=%u",
				 ((const struct nt_ev_drop *)rec)->reason);
		break;
	case NT_EV_NFT_RULE: {
		const struct nt_ev_nft_rule *r = rec;
		const struct nt_ev_nft_chaindef *d =
			&s->chains[(r->chain_key >> 3) & ((1u << CHAIN_BITS) - 1)];

		kind = "NFT_RULE";
		layer = "Netfilter";
		if (d->chain_key == r->chain_key)
			snprintf(name, sizeof(name), "%s %s #%llu", d->table, d->chain,
				 (unsigned long long)r->rule_handle);
		else
			snprintf(name, sizeof(name), "chain %llx #%llu",
				 (unsigned long long)r->chain_key, (unsigned long long)r->rule_handle);
		fprintf(s->out, "[%4llu] %-10s %-10s %-30s %s [%s%s]\n",
			(unsigned long long)++s->n, kind, layer, name, tup,
			r->kind == NT_RULE_KIND_POLICY ? "POLICY " : "", verdict_name(r->verdict));
		return;
	}
	default:
		return;
	}
	fprintf(s->out, "[%4llu] %-10s %-10s %-30s %s\n", (unsigned long long)++s->n, kind, layer,
		name, tup);
}
