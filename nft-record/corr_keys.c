// SPDX-License-Identifier: GPL-2.0
/* corr_keys.c - the correlation's packet keys (full, NAT-invariant, datagram,
 * L3) and packet incarnations (one skb address from first sight to free),
 * indexed by key and by address (method: corr.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "nft-record/corr_int.h"

/* ---- hashing ---------------------------------------------------------------------------- */

uint64_t nt_chain_key(uint32_t netns, uint8_t family, const char *table, const char *chain)
{
	uint64_t h = NT_FNV_OFFSET;

	h = nt_fnv1a(h, &netns, 4);
	h = nt_fnv1a(h, &family, 1);
	h = nt_fnv1a(h, table, strlen(table) + 1);
	h = nt_fnv1a(h, chain, strlen(chain) + 1);
	return h ? h : 1;
}


static uint32_t pkt_seq(const struct pkt *p)
{
	if (p->l4proto == 1 || p->l4proto == 58)
		return p->l4_extra & 0xffff; /* the echo id may be rewritten by NAT */
	return p->l4_extra;
}

/* Port / ICMP type that NAT keeps on the side it does not translate. */
static uint16_t pkt_inv(const struct pkt *p, int src)
{
	if (p->l4proto == 1 || p->l4proto == 58)
		return p->sport; /* type << 8 | code */
	return src ? p->sport : p->dport;
}

void corr_pkt_keys(const struct pkt *p, uint64_t key[NKEY])
{
	size_t alen = p->l3 == NT_L3_IPV4 ? 4 : 16;
	uint32_t seq = pkt_seq(p);
	uint16_t zero = 0, inv;
	uint64_t h, l4;

	memset(key, 0, NKEY * sizeof(key[0]));
	if (p->l3 != NT_L3_IPV4 && p->l3 != NT_L3_IPV6)
		return;
	/* L4 fields (ports / ICMP, seq, TCP flags, checksum) */
	l4 = nt_fnv1a(NT_FNV_OFFSET ^ 0x14, &p->sport, 2);
	l4 = nt_fnv1a(l4, &p->dport, 2);
	l4 = nt_fnv1a(l4, &p->l4_extra, 4);
	l4 = nt_fnv1a(l4, &p->tcp_flags, 1);
	if (p->v6frag) {
		/* the message shows no fragment header: first / other + the
		 * first 12 bytes of the source */
		uint8_t first = !(p->frag & NT_FRAG_OFF_MASK);

		h = nt_fnv1a(NT_FNV_OFFSET ^ 0xf6, &first, 1);
		key[K_FULL] = nt_fnv1a(h, p->saddr, 12) | 1;
		if (!first || !p->l4proto || p->l4proto == 44)
			return;
		/* a META of a first fragment: the datagram's L4 header */
	} else {
		h = nt_fnv1a(NT_FNV_OFFSET, &p->l3, 1);
		h = nt_fnv1a(h, &p->l4proto, 1);
		h = nt_fnv1a(h, p->saddr, alen);
		h = nt_fnv1a(h, p->daddr, alen);
		h = nt_fnv1a(h, &p->ip_id, 2);
		h = nt_fnv1a(h, &p->frag, 2);
		/* L3 only: addresses + IPv4 id; without an id (DF packets) it
		 * would be every packet between the two addresses */
		if (p->ip_id || p->l3 != NT_L3_IPV4)
			key[K_L3] = h | 1;
		h = nt_fnv1a(h, &l4, 8);
		key[K_FULL] = nt_fnv1a(h, &p->l4_csum, 2) | 1;
		if (p->frag & NT_FRAG_OFF_MASK)
			goto nat; /* no L4 header: no datagram key */
	}
	h = nt_fnv1a(NT_FNV_OFFSET ^ 0xd6, &p->l3, 1);
	h = nt_fnv1a(h, &p->l4proto, 1);
	h = nt_fnv1a(h, p->saddr, alen);
	h = nt_fnv1a(h, p->daddr, alen);
	h = nt_fnv1a(h, p->l3 == NT_L3_IPV4 ? &p->ip_id : &zero, 2);
	h = nt_fnv1a(h, &l4, 8);
	key[K_DGRAM] = nt_fnv1a(h, &p->l4_csum, 2) | 1;
	if (p->v6frag)
		return;
nat:
	if (p->l3 == NT_L3_IPV4) {
		if (!p->ip_id && !seq)
			return;
		h = nt_fnv1a(NT_FNV_OFFSET ^ 0x5a, &p->l4proto, 1);
		h = nt_fnv1a(h, &p->ip_id, 2);
		h = nt_fnv1a(h, &p->frag, 2);
		h = nt_fnv1a(h, &p->tcp_flags, 1);
		key[K_NATA] = nt_fnv1a(h, &seq, 4) | 1;
		return;
	}
	/* IPv6: source NAT keeps the destination side, destination NAT the source */
	inv = pkt_inv(p, 1);
	h = nt_fnv1a(NT_FNV_OFFSET ^ 0xa5, &p->l4proto, 1);
	h = nt_fnv1a(h, p->saddr, 16);
	h = nt_fnv1a(h, &inv, 2);
	h = nt_fnv1a(h, &p->tcp_flags, 1);
	key[K_NATA] = nt_fnv1a(h, &seq, 4) | 1;
	inv = pkt_inv(p, 0);
	h = nt_fnv1a(NT_FNV_OFFSET ^ 0xb6, &p->l4proto, 1);
	h = nt_fnv1a(h, p->daddr, 16);
	h = nt_fnv1a(h, &inv, 2);
	h = nt_fnv1a(h, &p->tcp_flags, 1);
	key[K_NATB] = nt_fnv1a(h, &seq, 4) | 1;
}

/*
 * Identity of the datagram a packet belongs to, kept by fragmentation,
 * reassembly and NAT: IPv4 protocol + id; IPv6 (no id in a message)
 * protocol + source, protocol + destination.  Only a check of the trace-id
 * hint (a reassembled datagram goes on as the skb, and under the trace id, of
 * its last fragment, whose headers said "fragment").
 */
void corr_pkt_fid(const struct pkt *p, uint64_t fid[2])
{
	uint64_t h = nt_fnv1a(NT_FNV_OFFSET ^ 0xf1, &p->l3, 1);

	fid[0] = fid[1] = 0;
	if (p->l3 != NT_L3_IPV4 && p->l3 != NT_L3_IPV6)
		return;
	if (p->v6frag && !p->l4proto)
		return;
	h = nt_fnv1a(h, &p->l4proto, 1);
	if (p->l3 == NT_L3_IPV4) {
		fid[0] = nt_fnv1a(h, &p->ip_id, 2) | 1;
		return;
	}
	fid[0] = nt_fnv1a(h, p->saddr, 16) | 1;
	fid[1] = nt_fnv1a(h ^ 0xd, p->daddr, 16) | 1;
}

int corr_same_dgram(const uint64_t a[2], const uint64_t b[2])
{
	return (a[0] && a[0] == b[0]) || (a[1] && a[1] == b[1]);
}

void corr_meta_pkt(const struct nt_ev_meta *m, struct pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->l3 = m->l3;
	p->l4proto = m->l4proto;
	p->tcp_flags = m->l4proto == 6 ? (uint8_t)m->tcp_flags : 0;
	p->sport = m->sport;
	p->dport = m->dport;
	p->ip_id = m->ip_id;
	p->frag = m->frag;
	p->l4_csum = m->l4_csum;
	p->l4_extra = m->l4_extra;
	p->saddr = m->saddr;
	p->daddr = m->daddr;
	if (m->l3 == NT_L3_IPV6 && (m->frag & NT_FRAG_IS))
		p->v6frag = 1;
	if (m->l3 == NT_L3_IPV4 && (m->frag & NT_FRAG_OFF_MASK)) {
		/* no L4 header in a non-first fragment (the message's
		 * "transport header" is payload too) */
		p->sport = p->dport = 0;
		p->l4_extra = 0;
		p->l4_csum = 0;
		p->tcp_flags = 0;
	}
}

void corr_msg_pkt(const struct nt_trace_msg *m, struct pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->l3 = m->l3;
	p->l4proto = m->l4proto;
	p->tcp_flags = m->tcp_flags;
	p->sport = m->sport;
	p->dport = m->dport;
	p->ip_id = m->ip_id;
	p->frag = m->frag;
	p->l4_csum = m->l4_csum;
	p->l4_extra = m->l4_extra;
	p->saddr = m->saddr;
	p->daddr = m->daddr;
	p->v6frag = !!(m->flags & NT_TRACE_V6FRAG);
}

/* ---- packet incarnations ---------------------------------------------------------------- */

uint32_t corr_kbucket(uint64_t key)
{
	return (uint32_t)((key >> 17) ^ (key >> 41)) & ((1u << KEY_BITS) - 1);
}

static uint32_t sbucket(uint64_t skb)
{
	return (uint32_t)((skb >> 6) ^ (skb >> 23)) & ((1u << SKB_BITS) - 1);
}

static void key_link(struct nt_corr *c, uint32_t i, int k)
{
	struct ent *e = &c->ents[i];
	uint32_t *head;

	if (!e->key[k])
		return;
	head = &c->kb[k][corr_kbucket(e->key[k])];
	e->kprev[k] = 0;
	e->knext[k] = *head;
	if (*head)
		c->ents[*head].kprev[k] = i;
	*head = i;
}

static void key_unlink(struct nt_corr *c, uint32_t i, int k)
{
	struct ent *e = &c->ents[i];

	if (!e->key[k])
		return;
	if (e->kprev[k])
		c->ents[e->kprev[k]].knext[k] = e->knext[k];
	else
		c->kb[k][corr_kbucket(e->key[k])] = e->knext[k];
	if (e->knext[k])
		c->ents[e->knext[k]].kprev[k] = e->kprev[k];
	e->knext[k] = e->kprev[k] = 0;
}

void corr_keys_set(struct nt_corr *c, uint32_t i, const uint64_t key[NKEY])
{
	struct ent *e = &c->ents[i];

	for (int k = 0; k < NKEY; k++) {
		if (e->key[k] == key[k])
			continue;
		key_unlink(c, i, k);
		e->key[k] = key[k];
		key_link(c, i, k);
	}
}

static void lru_unlink(struct nt_corr *c, uint32_t i)
{
	struct ent *e = &c->ents[i];

	if (e->lprev)
		c->ents[e->lprev].lnext = e->lnext;
	else
		c->lru_head = e->lnext;
	if (e->lnext)
		c->ents[e->lnext].lprev = e->lprev;
	else
		c->lru_tail = e->lprev;
	e->lprev = e->lnext = 0;
}

static void lru_append(struct nt_corr *c, uint32_t i)
{
	struct ent *e = &c->ents[i];

	e->lnext = 0;
	e->lprev = c->lru_tail;
	if (c->lru_tail)
		c->ents[c->lru_tail].lnext = i;
	else
		c->lru_head = i;
	c->lru_tail = i;
}

static void skb_unlink(struct nt_corr *c, uint32_t i)
{
	struct ent *e = &c->ents[i];
	uint32_t *p = &c->sb[sbucket(e->skb)];

	if (!e->in_skb)
		return;
	while (*p && *p != i)
		p = &c->ents[*p].snext;
	if (*p)
		*p = e->snext;
	e->snext = 0;
	e->in_skb = 0;
}

void corr_ent_release(struct nt_corr *c, uint32_t i)
{
	struct ent *e = &c->ents[i];

	for (int k = 0; k < NKEY; k++)
		key_unlink(c, i, k);
	skb_unlink(c, i);
	lru_unlink(c, i);
	e->used = 0;
	e->gen++;
	e->lnext = c->free_ent;
	c->free_ent = i;
	c->used_ents--;
}

/* Current incarnation of SKB (0: none). */
uint32_t corr_ent_find(const struct nt_corr *c, uint64_t skb)
{
	uint32_t i = c->sb[sbucket(skb)];

	while (i && c->ents[i].skb != skb)
		i = c->ents[i].snext;
	return i;
}

/* New current incarnation of SKB at TS (the previous one, if any, ends). */
uint32_t corr_ent_new(struct nt_corr *c, uint64_t skb, uint64_t ts, uint16_t cpu)
{
	uint32_t old = corr_ent_find(c, skb), i;
	struct ent *e;
	uint32_t gen;

	if (old) {
		if (!c->ents[old].t_end)
			c->ents[old].t_end = ts;
		skb_unlink(c, old);
	}
	if (!c->free_ent) {
		/* full: the incarnation seen longest ago goes */
		corr_ent_release(c, c->lru_head);
		c->st.evicted++;
	}
	i = c->free_ent;
	e = &c->ents[i];
	c->free_ent = e->lnext;
	gen = e->gen;
	memset(e, 0, sizeof(*e));
	e->gen = gen;
	e->used = 1;
	e->skb = skb;
	e->t_first = e->t_last = ts;
	e->cpu = cpu;
	e->snext = c->sb[sbucket(skb)];
	c->sb[sbucket(skb)] = i;
	e->in_skb = 1;
	lru_append(c, i);
	c->used_ents++;
	return i;
}

void corr_ent_touch(struct nt_corr *c, uint32_t i, uint64_t ts, uint16_t cpu)
{
	struct ent *e = &c->ents[i];

	if (ts > e->t_last)
		e->t_last = ts;
	e->cpu = cpu;
	if (c->lru_tail != i) {
		lru_unlink(c, i);
		lru_append(c, i);
	}
}

int corr_ent_consumed(const struct ent *e, uint32_t chain)
{
	for (int i = 0; i < NCONS; i++)
		if (e->cons[i] == chain)
			return 1;
	return 0;
}

void corr_ent_consume(struct ent *e, uint32_t chain)
{
	if (corr_ent_consumed(e, chain))
		return;
	e->cons[e->ncons++ % NCONS] = chain;
}

