// SPDX-License-Identifier: GPL-2.0
/* model_apply.c - what one record does to its packet (layers, hops, nft
 * steps, verdict, fate), nft steps that wait for their skb's next record,
 * a packet's metadata (META) and drops. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "common/hash.h"
#include "common/sat.h"
#include "formats/ntlog.h"
#include "model/model_int.h"
#include "model/model_ops.h"
#include "model/model_rec.h"

/* Layer index of the socket queue row of the time per layer. */
int md_sockq_layer(struct nt_model *m)
{
	if (m->sockq_layer < 0)
		m->sockq_layer = model_layer_intern(m, "Socket queue");
	return m->sockq_layer;
}

int md_hook_rank(uint8_t hook)
{
	switch (hook) {
	case NT_HOOK_INGRESS: return 0;
	case NT_HOOK_PREROUTING: case NT_HOOK_OUTPUT: return 1;
	case NT_HOOK_INPUT: case NT_HOOK_FORWARD: return 2;
	case NT_HOOK_POSTROUTING: return 3;
	default: return -1;
	}
}

uint8_t md_nft_hook_of(const struct nt_ev_hdr *h)
{
	return h->type == NT_EV_NFT_RULE ? ((const struct nt_ev_nft_rule *)h)->hook :
	       h->type == NT_EV_NFT_CHAIN ? ((const struct nt_ev_nft_chain *)h)->hook : NT_HOOK_NONE;
}

int md_is_copy_to_user(const struct nt_func_info *f)
{
	return strstr(f->name, "copy_datagram") != NULL;
}

/* Apply one record to packet P (its skb state S). */
void md_apply(struct nt_model *m, struct nt_packet *p, struct skbst *s, const void *rec, size_t len)
{
	const struct nt_ev_hdr *h = rec;
	const struct nt_func_info *f = NULL;

	if (h->type == NT_EV_FUNC) {
		f = md_func_placed(m, h->id);
		if (!f) {
			f = nt_model_func(m, h->id);
			if (f->layer < 0) {
				func_layer_of_record(m, h->id);
				f = nt_model_func(m, h->id);
			}
		}
	}
	apply_rec(m, p, s, rec, len, f, h->type);
}

/* A step of a chain of another namespace than the one the skb is in: the
 * skb cannot have left it without a kernel record, so the step is another
 * packet's (the recorder matched it to the wrong skb). */
int md_step_elsewhere(const struct nt_model *m, const struct skbst *s, const struct nt_ev_hdr *h)
{
	uint64_t key = h->type == NT_EV_NFT_RULE ? ((const struct nt_ev_nft_rule *)h)->chain_key :
		       h->type == NT_EV_NFT_CHAIN ? ((const struct nt_ev_nft_chain *)h)->chain_key : 0;
	const struct nt_ev_nft_chaindef *d = key ? nt_model_chain(m, key) : NULL;

	return s->netns && d && d->netns && d->netns != s->netns;
}

/* The skb's waiting nftables trace records go to packet P (in time order,
 * before the record that confirms them). */
void md_flush_pending_run(struct nt_model *m, struct skbst *s, struct nt_packet *p, size_t upto)
{
	size_t off = 0;

	if (!s->pend_len)
		return;
	if (upto > s->pend_len)
		upto = s->pend_len;
	while (off + sizeof(struct nt_ev_hdr) <= upto) {
		const struct nt_ev_hdr *h = (const void *)(s->pend + off);
		size_t len = nt_ev_len(h);

		if (p && !md_step_elsewhere(m, s, h))
			md_apply(m, p, s, h, len);
		else
			m->t.uncorrelated++;
		off += len;
	}
	memmove(s->pend, s->pend + off, s->pend_len - off);
	s->pend_len -= (uint32_t)off;
}

int md_pend_add(struct skbst *s, const void *rec, size_t len)
{
	if (s->pend_len + len > s->pend_cap) {
		uint32_t cap = s->pend_cap ? s->pend_cap * 2 : 512;
		uint8_t *n;

		while (cap < s->pend_len + len)
			cap *= 2;
		if (cap > (64u << 20))
			return -ENOMEM;
		n = realloc(s->pend, cap);
		if (!n)
			return -ENOMEM;
		s->pend = n;
		s->pend_cap = cap;
	}
	memcpy(s->pend + s->pend_len, rec, len);
	s->pend_len += (uint32_t)len;
	return 0;
}

/* Offset in S's waiting records where a new life of the address starts:
 * after the last step whose hook comes before the previous step's (a new
 * chain sequence: prerouting / output again); with none, 0 when the first
 * step is at the output hook (a locally built packet), else all of them
 * belong to the old packet. */
size_t md_pend_split(const struct skbst *s)
{
	size_t off = 0, split = SIZE_MAX, first = 1;
	int prev = -1;

	while (off + sizeof(struct nt_ev_hdr) <= s->pend_len) {
		const struct nt_ev_hdr *h = (const void *)(s->pend + off);
		uint8_t hook = md_nft_hook_of(h);
		int r = md_hook_rank(hook);

		if (first && hook == NT_HOOK_OUTPUT)
			split = 0;
		if (r >= 0 && prev >= 0 && r < prev)
			split = off;
		if (r >= 0)
			prev = r;
		first = 0;
		off += nt_ev_len(h);
	}
	return split == SIZE_MAX ? s->pend_len : split;
}

/* Packet of skb state S for a record at TS: its packet, unless that packet
 * was idle too long with this as its only skb (its free was missed: it
 * expires); else a new one. */
struct nt_packet *md_pkt_for(struct nt_model *m, struct skbst *s, uint64_t ts)
{
	struct nt_packet *p = s->pkt != NOPKT ? &m->pool[s->pkt] : NULL;

	if (p && ts > p->last_ts && ts - p->last_ts > m->idle_ns && p->live_skbs == 1 &&
	    (int64_t)p->slot != m->pending_release) {
		s->pkt = NOPKT;
		p->live_skbs = 0;
		p->expired = 1;
		m->t.expired += !!p->id;
		model_pkt_complete(m, p, 1);
		model_pkt_release(m, p->slot);
		p = NULL;
	}
	if (!p) {
		p = md_pkt_new(m, s->skb, ts);
		if (!p)
			return NULL;
		md_attach(m, p, s);
	}
	return p;
}

int md_same_tuple(const struct nt_ev_meta *a, const struct nt_ev_meta *b)
{
	unsigned alen = a->l3 == NT_L3_IPV6 ? 16 : 4;

	if (a->l3 != b->l3 || a->l4proto != b->l4proto || memcmp(a->saddr, b->saddr, alen) ||
	    memcmp(a->daddr, b->daddr, alen))
		return 0;
	if (!md_has_l4(a) || !md_has_l4(b))
		return 1;
	if (a->l4proto == 1 || a->l4proto == 58)
		return a->dport == b->dport; /* echo id */
	return a->sport == b->sport && a->dport == b->dport;
}

/* A META of skb S in packet P. */
struct nt_packet *md_on_meta(struct nt_model *m, struct skbst *s, struct nt_packet *p,
				 const struct nt_ev_meta *mm)
{
	int was_frag = s->has_meta && s->is_frag;

	s->ifindex = mm->ifindex;
	if (mm->netns) /* 0: not known there (socket level): still where it was */
		s->netns = mm->netns;
	if (!md_is_ip(mm)) {
		s->meta = *mm;
		s->has_meta = 1;
		s->is_frag = 0;
		return p;
	}
	if (md_is_frag(mm) && !p->id) {
		/* a fragment of a datagram whose journey is open: it joins it */
		struct nt_packet *g = md_frag_group(m, mm);

		if (g && g != p) {
			md_pkt_merge(m, g, p);
			s->pkt = g->slot;
			s->pkt_gen = g->gen;
			p = g;
		}
	}
	if (!p->id) {
		p->id = ++m->t.packets;
		p->meta = p->last_meta = *mm;
		p->has_meta = 1;
		md_flow_join(m, p, mm->h.ts_ns);
	} else if (s->has_meta && md_is_ip(&s->meta) && !md_same_tuple(&s->meta, mm)) {
		p->n_nat++;
		md_flow_translated(m, p, mm, mm->h.ts_ns);
	}
	if (p->has_meta && !md_has_l4(&p->meta) && md_has_l4(mm) && md_same_tuple(&p->meta, mm))
		p->meta = *mm; /* the first META was a fragment without ports */
	if (md_has_l4(mm) || !md_same_tuple(&p->last_meta, mm))
		p->last_meta = *mm;
	if (md_is_frag(mm) && !s->was_frag) {
		p->n_frags++;
		s->was_frag = 1;
	}
	if (was_frag && !md_is_frag(mm))
		p->reassembled = 1;
	md_frag_register(m, p, mm);
	s->meta = *mm;
	s->has_meta = 1;
	s->is_frag = md_is_frag(mm);
	return p;
}

/* A DROP that is no drop of the packet: an skb freed with the skb it was
 * chained to (skb_release_data frees the fragment list of a reassembled
 * datagram or a GRO packet with the head's reason, NOT_SPECIFIED for
 * __kfree_skb); known by the location's symbol, or for a fragment of a
 * reassembled datagram by the reason. */
int md_frag_release(struct nt_model *m, const struct nt_packet *p, const struct skbst *s,
			const struct nt_ev_drop *d)
{
	const char *rn = nt_model_drop_reason(m, d->reason);
	char sym[160];

	if (!strncmp(nt_model_symbolize(m, d->location, sym, sizeof(sym)), "skb_release_data+", 17))
		return 1; /* (whatever chained it: the head's own record tells) */
	return s->is_frag && p->reassembled && rn && !strcmp(rn, "NOT_SPECIFIED");
}

void md_drop_seen(struct nt_packet *p, struct skbst *s, const struct nt_ev_drop *d)
{
	if (p->drop_seen)
		return;
	p->drop_seen = 1;
	p->drop_reason = d->reason;
	p->drop_func = d->h.id;
	p->drop_location = d->location;
	p->drop_stack = d->stack_id;
	p->drop_ifindex = s->ifindex;
	p->drop_netns = s->netns;
}
