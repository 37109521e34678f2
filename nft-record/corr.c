// SPDX-License-Identifier: GPL-2.0
/* corr.c - nftrace message -> NT_EV_NFT_RULE with the skb of its packet
 * (method: corr.h).  No allocation after nt_corr_new(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/hash.h"
#include "nft-record/corr.h"

#define NKEY 5
/* full: every header field we have; NATA / NATB: fields NAT keeps (source
 * NAT, destination NAT); DGRAM: the datagram as before fragmentation (first
 * fragment's L4 fields, no fragment fields: a local or refragmented datagram
 * is first seen as fragments, a reassembled one is only known by its first
 * fragment); L3: addresses, protocol, IPv4 id (no transport header). */
enum { K_FULL, K_NATA, K_NATB, K_DGRAM, K_L3 };

#define KEY_BITS 16               /* buckets per key index */
#define SKB_BITS 17               /* buckets of the skb address index */
#define DEF_MAX_SKBS 32768        /* packet incarnations */
#define RUNS_MAX 16384            /* chain runs referenced at once */
#define NLANES 1025               /* per-CPU run stacks (CPU & 1023; last: unknown CPU) */
#define LANE_DEPTH 8
#define NCONS 8                   /* chains a packet had runs of (FIFO) */
#define HINT_BITS 14              /* (netns, trace id) -> last packet */
#define DEF_BITS 12               /* defined chain keys */
#define QUEUE_LEN 32768           /* messages held at most */
#define PURGE_NS (2ull * 1000 * 1000 * 1000) /* ended incarnations kept this long */

#define OWN_PREFIX NT_TRACE_TABLE_PREFIX

/* A packet incarnation: one skb address from first sight to free. */
struct ent {
	uint64_t skb;
	uint64_t t_first, t_end, t_last; /* t_end 0: alive */
	uint64_t key[NKEY];              /* 0: none */
	uint64_t fid[2];                 /* datagram identity (same_dgram()) */
	uint32_t knext[NKEY], kprev[NKEY];
	uint32_t snext;                  /* skb index chain (current incarnations only) */
	uint32_t lprev, lnext;           /* LRU list by t_last */
	uint32_t cons[NCONS];            /* chains it had runs of (hashes) */
	uint32_t gen;
	uint32_t netns;                  /* namespace it is in (META, DEV; 0 unknown) */
	uint16_t cpu;                    /* CPU of its latest event */
	uint8_t ncons, l3, used, in_skb;
};

enum { R_FREE, R_PENDING, R_MATCHED, R_UNMATCHED };
#define Q_V6FRAG 1
#define Q_NOL4 2

struct run {
	uint64_t t_start;
	uint64_t skb;
	uint64_t key[NKEY];
	uint64_t fid[2];
	uint32_t ent, ent_gen;
	uint32_t chain;                  /* hash of the base chain (FIFO consumption) */
	uint32_t netns, trace_id;
	uint32_t refs;
	uint32_t pprev, pnext;           /* pending list; free list (pnext) */
	uint16_t cpu;
	uint8_t state, depth, hook, own, qmode, l3;
	uint8_t out;                     /* capture filter: its packet was left out */
};

struct lane {
	uint32_t run[LANE_DEPTH];
	uint32_t n;
};

/* A message waiting to be written (its run may still be pending). */
struct qmsg {
	uint64_t ts;
	uint64_t chain_key, target_key, rule_handle;
	int32_t verdict;
	uint32_t id;
	uint32_t run;                    /* 0: no run (orphan) */
	uint16_t cpu;
	uint8_t kind, depth, family, hook;
};

struct hint {
	uint64_t key;                    /* netns << 32 | trace id, + 1 */
	uint32_t ent, gen;
};

/* A FREE with NT_F_INFERRED of BPF (an address seen with a new packet): held
 * until the new packet's META is in, because the new packet's first steps may
 * come before that META (output hook of a local packet) and the FREE must come
 * before them. */
#define NDEFER 64
struct defer {
	struct nt_ev_free f;
	int used;
};

struct nt_corr {
	struct nt_corr_opts o;
	struct defer defer[NDEFER];
	int ndefer;
	uint64_t lookahead;
	struct ent *ents;                /* [1 .. nents] */
	uint32_t nents, free_ent, lru_head, lru_tail, used_ents;
	uint32_t kb[NKEY][1u << KEY_BITS];
	uint32_t sb[1u << SKB_BITS];
	struct run *runs;                /* [1 .. RUNS_MAX - 1] */
	uint32_t free_run, pend_head, pend_tail;
	struct lane *lanes;
	struct hint hints[1u << HINT_BITS];
	uint64_t defined[1u << DEF_BITS];
	struct qmsg *q;
	size_t qhead, qlen;
	uint64_t progress;
	struct nt_corr_stats st;
	int debug;
};

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

/* Header fields of a META or a trace message. */
struct pkt {
	uint8_t l3, l4proto, tcp_flags;
	uint16_t sport, dport, ip_id, frag, l4_csum;
	uint32_t l4_extra;
	const uint8_t *saddr, *daddr;
	int v6frag;                      /* IPv6 fragment: only the fragment key */
};

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

static void pkt_keys(const struct pkt *p, uint64_t key[NKEY])
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
static void pkt_fid(const struct pkt *p, uint64_t fid[2])
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

static int same_dgram(const uint64_t a[2], const uint64_t b[2])
{
	return (a[0] && a[0] == b[0]) || (a[1] && a[1] == b[1]);
}

static void meta_pkt(const struct nt_ev_meta *m, struct pkt *p)
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

static void msg_pkt(const struct nt_trace_msg *m, struct pkt *p)
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

static uint32_t kbucket(uint64_t key)
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
	head = &c->kb[k][kbucket(e->key[k])];
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
		c->kb[k][kbucket(e->key[k])] = e->knext[k];
	if (e->knext[k])
		c->ents[e->knext[k]].kprev[k] = e->kprev[k];
	e->knext[k] = e->kprev[k] = 0;
}

static void keys_set(struct nt_corr *c, uint32_t i, const uint64_t key[NKEY])
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

static void ent_release(struct nt_corr *c, uint32_t i)
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
static uint32_t ent_find(const struct nt_corr *c, uint64_t skb)
{
	uint32_t i = c->sb[sbucket(skb)];

	while (i && c->ents[i].skb != skb)
		i = c->ents[i].snext;
	return i;
}

/* New current incarnation of SKB at TS (the previous one, if any, ends). */
static uint32_t ent_new(struct nt_corr *c, uint64_t skb, uint64_t ts, uint16_t cpu)
{
	uint32_t old = ent_find(c, skb), i;
	struct ent *e;
	uint32_t gen;

	if (old) {
		if (!c->ents[old].t_end)
			c->ents[old].t_end = ts;
		skb_unlink(c, old);
	}
	if (!c->free_ent) {
		/* full: the incarnation seen longest ago goes */
		ent_release(c, c->lru_head);
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

static void ent_touch(struct nt_corr *c, uint32_t i, uint64_t ts, uint16_t cpu)
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

static int ent_consumed(const struct ent *e, uint32_t chain)
{
	for (int i = 0; i < NCONS; i++)
		if (e->cons[i] == chain)
			return 1;
	return 0;
}

static void ent_consume(struct ent *e, uint32_t chain)
{
	if (ent_consumed(e, chain))
		return;
	e->cons[e->ncons++ % NCONS] = chain;
}

/* ---- runs ------------------------------------------------------------------------------- */

static void run_unref(struct nt_corr *c, uint32_t r)
{
	struct run *x = &c->runs[r];

	if (!r || --x->refs)
		return;
	x->state = R_FREE;
	x->pnext = c->free_run;
	c->free_run = r;
}

static void pend_unlink(struct nt_corr *c, uint32_t r)
{
	struct run *x = &c->runs[r];

	if (x->pprev)
		c->runs[x->pprev].pnext = x->pnext;
	else
		c->pend_head = x->pnext;
	if (x->pnext)
		c->runs[x->pnext].pprev = x->pprev;
	else
		c->pend_tail = x->pprev;
	x->pprev = x->pnext = 0;
}

static void pend_append(struct nt_corr *c, uint32_t r)
{
	struct run *x = &c->runs[r];

	x->pnext = 0;
	x->pprev = c->pend_tail;
	if (c->pend_tail)
		c->runs[c->pend_tail].pnext = r;
	else
		c->pend_head = r;
	c->pend_tail = r;
	x->refs++;
}

static struct lane *lane_of(struct nt_corr *c, uint16_t cpu)
{
	return &c->lanes[cpu == 0xffff ? NLANES - 1 : (cpu & 1023)];
}

static void lane_pop_to(struct nt_corr *c, struct lane *l, uint32_t n)
{
	while (l->n > n)
		run_unref(c, l->run[--l->n]);
}

static void lane_push(struct nt_corr *c, struct lane *l, uint32_t r)
{
	if (l->n == LANE_DEPTH) {
		/* deeper than any real nesting: the oldest never ended */
		run_unref(c, l->run[0]);
		memmove(l->run, l->run + 1, (LANE_DEPTH - 1) * sizeof(l->run[0]));
		l->n--;
	}
	l->run[l->n++] = r;
	c->runs[r].refs++;
}

static void run_match(struct nt_corr *c, uint32_t r, uint32_t i, int late)
{
	struct run *x = &c->runs[r];
	struct ent *e = &c->ents[i];
	struct hint *h;
	uint64_t hk = ((uint64_t)x->netns << 32 | x->trace_id) + 1;

	x->state = R_MATCHED;
	x->skb = e->skb;
	x->ent = i;
	x->ent_gen = e->gen;
	ent_consume(e, x->chain);
	h = &c->hints[(x->trace_id ^ x->netns * 2654435761u) & ((1u << HINT_BITS) - 1)];
	h->key = hk;
	h->ent = i;
	h->gen = e->gen;
	if (late)
		c->st.runs_late++;
}

/* A message of a chain of one namespace is never about an skb that is in
 * another one (its device's namespace, where both are known). */
static int other_ns(const struct ent *e, const struct run *x)
{
	return e->netns && x->netns && e->netns != x->netns;
}

/* Keys that other packets may share (NAT-invariant, datagram, L3): a
 * candidate found by one must not have had a run of this chain already. */
static int weak_key(int k)
{
	return k != K_FULL;
}

/* Best incarnation for run R among those with key type K: alive at TS, or
 * (LATER) first seen within the lookahead after TS. */
static uint32_t pick(struct nt_corr *c, const struct run *x, int k, uint64_t ts, int later)
{
	uint64_t key = x->key[k], hk = ((uint64_t)x->netns << 32 | x->trace_id) + 1;
	const struct hint *h = &c->hints[(x->trace_id ^ x->netns * 2654435761u) &
					 ((1u << HINT_BITS) - 1)];
	uint32_t hint = h->key == hk && h->ent && c->ents[h->ent].gen == h->gen ? h->ent : 0;
	uint32_t best = 0;
	int bs = -1;
	uint64_t bfirst = 0, bdist = 0;

	if (!key)
		return 0;
	for (uint32_t i = c->kb[k][kbucket(key)]; i; i = c->ents[i].knext[k]) {
		const struct ent *e = &c->ents[i];
		uint64_t dist;
		int s;

		if (e->key[k] != key || (e->t_end && e->t_end < ts) || other_ns(e, x))
			continue;
		if (later ? e->t_first <= ts || e->t_first > ts + c->lookahead : e->t_first > ts)
			continue;
		s = (e->cpu == x->cpu) << 2 | (i == hint) << 1 | !ent_consumed(e, x->chain);
		if (weak_key(k) && !(s & 1))
			continue;
		dist = ts > e->t_last ? ts - e->t_last : e->t_last - ts;
		if (s > bs || (s == bs && ((s & 1) ? e->t_first < bfirst : dist < bdist))) {
			best = i;
			bs = s;
			bfirst = e->t_first;
			bdist = dist;
		}
	}
	return best;
}

/* The incarnation this trace id pointed to last, when it is alive and of the
 * same datagram (a reassembled datagram, the skb of its last fragment). */
static uint32_t hint_dgram(struct nt_corr *c, const struct run *x)
{
	uint64_t hk = ((uint64_t)x->netns << 32 | x->trace_id) + 1;
	const struct hint *h = &c->hints[(x->trace_id ^ x->netns * 2654435761u) &
					 ((1u << HINT_BITS) - 1)];
	const struct ent *e;

	if (h->key != hk || !h->ent)
		return 0;
	e = &c->ents[h->ent];
	if (!e->used || e->gen != h->gen || e->t_first > x->t_start ||
	    (e->t_end && e->t_end < x->t_start) || !same_dgram(e->fid, x->fid))
		return 0;
	return h->ent;
}

/* Query order of a run's keys. */
static int run_keys(const struct run *x, int order[NKEY])
{
	int n = 0;

	if (x->qmode & Q_V6FRAG) {
		order[n++] = K_FULL;
	} else if (x->qmode & Q_NOL4) {
		order[n++] = K_L3;
	} else {
		order[n++] = K_FULL;
		order[n++] = K_NATA;
		order[n++] = K_NATB;
		order[n++] = K_DGRAM;
		if (x->l3 == NT_L3_IPV4)
			order[n++] = K_L3;
	}
	return n;
}

static void run_resolve(struct nt_corr *c, uint32_t r)
{
	struct run *x = &c->runs[r];
	int order[NKEY], n = run_keys(x, order);
	uint32_t i;

	for (int later = 0; later < 2; later++) {
		for (int j = 0; j < n; j++) {
			i = pick(c, x, order[j], x->t_start, later);
			if (i) {
				run_match(c, r, i, later);
				return;
			}
		}
		if (!later && (i = hint_dgram(c, x))) {
			run_match(c, r, i, 0);
			return;
		}
	}
	if (x->l3 != NT_L3_IPV4 && x->l3 != NT_L3_IPV6) {
		x->state = R_UNMATCHED;
		c->st.runs_unmatched++;
		return;
	}
	/* a locally generated packet is first seen after its output runs */
	x->state = R_PENDING;
	pend_append(c, r);
}

/* A META of incarnation I at TS: pending runs with its key end here. */
static uint64_t pend_check(struct nt_corr *c, uint32_t i, uint64_t ts)
{
	const struct ent *e = &c->ents[i];
	uint32_t r = c->pend_head;
	uint64_t first = UINT64_MAX;

	while (r) {
		struct run *x = &c->runs[r];
		uint32_t next = x->pnext;
		int order[NKEY], n = run_keys(x, order), hit = 0;

		if (x->t_start <= ts && ts <= x->t_start + c->lookahead && !other_ns(e, x))
			for (int j = 0; j < n && !hit; j++)
				hit = x->key[order[j]] && x->key[order[j]] == e->key[order[j]] &&
				      !(weak_key(order[j]) && ent_consumed(e, x->chain));
		if (hit) {
			if (x->t_start < first)
				first = x->t_start;
			pend_unlink(c, r);
			run_match(c, r, i, 1);
			run_unref(c, r);
		}
		r = next;
	}
	return first;
}

/* ---- output ----------------------------------------------------------------------------- */

static int emit_chaindef(struct nt_corr *c, uint64_t key, uint64_t ts, uint16_t cpu,
			 uint32_t netns, uint8_t family, const char *table, const char *chain)
{
	uint64_t *slot = &c->defined[(key >> 3) & ((1u << DEF_BITS) - 1)];
	struct nt_ev_nft_chaindef d;

	if (*slot == key)
		return 0;
	memset(&d, 0, sizeof(d));
	d.h.type = NT_EV_NFT_CHAINDEF;
	d.h.cpu = cpu;
	d.h.ts_ns = ts; /* = the record that needs it: keeps time order */
	d.chain_key = key;
	snprintf(d.table, sizeof(d.table), "%s", table);
	snprintf(d.chain, sizeof(d.chain), "%s", chain);
	d.family = family;
	d.netns = netns;
	d.hook = NT_HOOK_NONE;
	d.policy = 1;
	if (c->o.chain)
		c->o.chain(c->o.ctx, netns, family, table, chain, &d);
	*slot = key;
	return c->o.emit(c->o.ctx, &d, sizeof(d));
}

static int q_emit(struct nt_corr *c, const struct qmsg *q)
{
	const struct run *x = q->run ? &c->runs[q->run] : NULL;
	uint64_t skb = x && x->state == R_MATCHED ? x->skb : 0;
	struct nt_ev_nft_rule r;

	if (!skb && c->o.drop_unmatched) {
		/* with a capture filter: most likely a packet BPF left out */
		if (!c->o.left_out || (x && x->out))
			c->st.filtered++;
		else
			c->st.unmatched++;
		return 0;
	}
	memset(&r, 0, sizeof(r));
	r.h.type = NT_EV_NFT_RULE;
	r.h.flags = NT_F_SYNTH | (skb ? 0 : NT_F_UNCORRELATED);
	r.h.cpu = q->cpu;
	r.h.ts_ns = q->ts;
	r.h.skb = skb;
	r.chain_key = q->chain_key;
	r.rule_handle = q->rule_handle;
	r.target_key = q->target_key;
	r.verdict = q->verdict;
	r.trace_id = q->id;
	r.kind = q->kind;
	r.depth = q->depth;
	r.family = q->family;
	r.hook = q->hook;
	c->st.rules++;
	if (skb)
		c->st.correlated++;
	else
		c->st.uncorrelated++;
	return c->o.emit(c->o.ctx, &r, sizeof(r));
}

/* Write the held messages whose run is resolved, in order. */
static int drain(struct nt_corr *c)
{
	while (c->qlen) {
		struct qmsg *q = &c->q[c->qhead];
		int err;

		if (q->run && c->runs[q->run].state == R_PENDING)
			break;
		err = q_emit(c, q);
		run_unref(c, q->run);
		c->qhead = (c->qhead + 1) % QUEUE_LEN;
		c->qlen--;
		if (err)
			return err;
	}
	return 0;
}

/* Emit the deferred FREE of SKB, placed before FIRST (the first step of the
 * packet that reuses the address) when that is earlier.  0 or emit error. */
static int defer_emit(struct nt_corr *c, uint64_t skb, uint64_t first)
{
	for (int j = 0; j < NDEFER && c->ndefer; j++) {
		struct defer *d = &c->defer[j];

		if (!d->used || (skb && d->f.h.skb != skb))
			continue;
		if (first != UINT64_MAX && first && first - 1 < d->f.h.ts_ns)
			d->f.h.ts_ns = first - 1;
		d->used = 0;
		c->ndefer--;
		return c->o.emit(c->o.ctx, &d->f, sizeof(d->f));
	}
	return 0;
}

static int defer_put(struct nt_corr *c, const struct nt_ev_free *f)
{
	int err;

	for (int j = 0; j < NDEFER; j++)
		if (!c->defer[j].used) {
			c->defer[j].f = *f;
			c->defer[j].used = 1;
			c->ndefer++;
			return 0;
		}
	/* full (METAs lost): the oldest goes as it is */
	err = defer_emit(c, 0, UINT64_MAX);
	return err ? err : defer_put(c, f);
}

/* Give up on the oldest pending run (queue or run pool full). */
static void pend_expire_oldest(struct nt_corr *c)
{
	uint32_t r = c->pend_head;

	if (!r)
		return;
	pend_unlink(c, r);
	c->runs[r].state = R_UNMATCHED;
	c->st.runs_unmatched++;
	run_unref(c, r);
}

/* ---- API -------------------------------------------------------------------------------- */

int nt_corr_new(const struct nt_corr_opts *o, struct nt_corr **out)
{
	struct nt_corr *c = calloc(1, sizeof(*c));
	uint32_t n;

	if (!c)
		return -ENOMEM;
	c->o = *o;
	c->lookahead = o->lookahead_ns ? o->lookahead_ns : NT_CORR_LOOKAHEAD_NS;
	n = o->max_skbs ? o->max_skbs : DEF_MAX_SKBS;
	c->ents = calloc(n + 1, sizeof(*c->ents));
	c->runs = calloc(RUNS_MAX, sizeof(*c->runs));
	c->lanes = calloc(NLANES, sizeof(*c->lanes));
	c->q = malloc(QUEUE_LEN * sizeof(*c->q));
	if (!c->ents || !c->runs || !c->lanes || !c->q) {
		nt_corr_free(c);
		return -ENOMEM;
	}
	c->nents = n;
	for (uint32_t i = n; i >= 1; i--) {
		c->ents[i].lnext = c->free_ent;
		c->free_ent = i;
	}
	for (uint32_t r = RUNS_MAX - 1; r >= 1; r--) {
		c->runs[r].pnext = c->free_run;
		c->free_run = r;
	}
	c->debug = getenv("NT_DEBUG_CORR") != NULL;
	*out = c;
	return 0;
}

void nt_corr_free(struct nt_corr *c)
{
	if (!c)
		return;
	free(c->ents);
	free(c->runs);
	free(c->lanes);
	free(c->q);
	free(c);
}

int nt_corr_event(struct nt_corr *c, const void *rec, size_t len)
{
	const struct nt_ev_hdr *h = rec;
	uint32_t i;

	if (len < sizeof(*h) || !h->skb)
		return 0;
	/* the next record of an address whose inferred FREE waits: not the
	 * first sight of a packet with early steps, the FREE goes as it is */
	if (c->ndefer && h->type != NT_EV_META && !(h->type == NT_EV_FREE && (h->flags & NT_F_INFERRED))) {
		int e = defer_emit(c, h->skb, UINT64_MAX);

		if (e)
			return e;
	}
	switch (h->type) {
	case NT_EV_META: {
		const struct nt_ev_meta *m = rec;
		uint64_t key[NKEY], first;
		struct pkt p;
		int e;

		if (len < sizeof(*m))
			return 0;
		i = ent_find(c, h->skb);
		if (!i || c->ents[i].t_end)
			i = ent_new(c, h->skb, h->ts_ns, h->cpu);
		else
			ent_touch(c, i, h->ts_ns, h->cpu);
		meta_pkt(m, &p);
		pkt_keys(&p, key);
		keys_set(c, i, key);
		pkt_fid(&p, c->ents[i].fid);
		c->ents[i].l3 = m->l3;
		if (m->netns)
			c->ents[i].netns = m->netns;
		if (c->debug)
			fprintf(stderr, "corr: meta %llx ts %llu cpu %u l3 %u p %u %u>%u ipid %u x %08x frag %x csum %04x\n",
				(unsigned long long)h->skb, (unsigned long long)h->ts_ns, h->cpu, m->l3,
				m->l4proto, m->sport, m->dport, m->ip_id, m->l4_extra, m->frag,
				m->l4_csum);
		first = c->pend_head && key[K_FULL] ? pend_check(c, i, h->ts_ns) : UINT64_MAX;
		if ((e = defer_emit(c, h->skb, first)))
			return e;
		if (first != UINT64_MAX)
			return drain(c);
		break;
	}
	case NT_EV_LINK: {
		const struct nt_ev_link *l = rec;
		uint32_t p;

		if (len < sizeof(*l))
			return 0;
		p = ent_find(c, l->parent);
		i = ent_new(c, h->skb, h->ts_ns, h->cpu);
		if (p && p != i) {
			keys_set(c, i, c->ents[p].key);
			memcpy(c->ents[i].fid, c->ents[p].fid, sizeof(c->ents[i].fid));
			c->ents[i].l3 = c->ents[p].l3;
			c->ents[i].netns = c->ents[p].netns;
		}
		break;
	}
	case NT_EV_FREE:
		if ((h->flags & NT_F_INFERRED) && len == sizeof(struct nt_ev_free) &&
		    c->o.defer_inferred) {
			int e = defer_put(c, rec);

			if (e)
				return e;
		}
		/* fall through */
	case NT_EV_DROP:
		i = ent_find(c, h->skb);
		if (i && !c->ents[i].t_end) {
			ent_touch(c, i, h->ts_ns, h->cpu);
			c->ents[i].t_end = h->ts_ns;
		}
		break;
	case NT_EV_DEV:
		i = ent_find(c, h->skb);
		if (i && !c->ents[i].t_end && len >= sizeof(struct nt_ev_dev) &&
		    ((const struct nt_ev_dev *)rec)->netns)
			c->ents[i].netns = ((const struct nt_ev_dev *)rec)->netns;
		/* fall through */
	case NT_EV_FUNC:
	case NT_EV_NFT_CHAIN:
	case NT_EV_NFT_RULE:
		i = ent_find(c, h->skb);
		if (i && !c->ents[i].t_end)
			ent_touch(c, i, h->ts_ns, h->cpu);
		break;
	default:
		break;
	}
	return 0;
}

static int is_own(const char *table)
{
	return !strncmp(table, OWN_PREFIX, sizeof(OWN_PREFIX) - 1);
}

static int chain_info(struct nt_corr *c, const struct nt_trace_msg *m, const char *chain,
		      struct nt_ev_nft_chaindef *d)
{
	memset(d, 0, sizeof(*d));
	d->hook = NT_HOOK_NONE;
	return c->o.chain ? c->o.chain(c->o.ctx, m->netns, m->family, m->table, chain, d) : -1;
}

/* Hook of the base chain a run starts in. */
static uint8_t run_hook(struct nt_corr *c, const struct nt_trace_msg *m, int own)
{
	static const char *const hooks[] = { "prerouting", "input", "forward", "output",
					     "postrouting" };
	struct nt_ev_nft_chaindef d;

	if (own) { /* the recorders' tables: one base chain per hook, named after it */
		for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++)
			if (!strcmp(m->chain, hooks[i]))
				return (uint8_t)i;
		return NT_HOOK_NONE;
	}
	if (!chain_info(c, m, m->chain, &d) && d.base)
		return d.hook;
	return NT_HOOK_NONE;
}

static uint32_t run_new(struct nt_corr *c, const struct nt_trace_msg *m, int own)
{
	struct run *x;
	struct pkt p;
	uint64_t ck;
	uint32_t r;

	if (!c->free_run) {
		c->st.queue_full++;
		pend_expire_oldest(c);
		drain(c);
		if (!c->free_run)
			return 0;
	}
	r = c->free_run;
	x = &c->runs[r];
	c->free_run = x->pnext;
	memset(x, 0, sizeof(*x));
	x->t_start = m->ts_ns;
	x->cpu = m->cpu;
	x->netns = m->netns;
	x->trace_id = m->id;
	x->own = own;
	x->hook = run_hook(c, m, own);
	ck = nt_chain_key(m->netns, m->family, m->table, m->chain);
	x->chain = (uint32_t)(ck ^ ck >> 32) | 1;
	x->l3 = m->l3;
	if (m->flags & NT_TRACE_V6FRAG)
		x->qmode |= Q_V6FRAG;
	else if (m->flags & NT_TRACE_NO_L4)
		x->qmode |= Q_NOL4;
	msg_pkt(m, &p);
	pkt_keys(&p, x->key);
	pkt_fid(&p, x->fid);
	if (c->o.left_out && (m->flags & NT_TRACE_HAS_PKT))
		x->out = !!c->o.left_out(c->o.left_out_ctx, m);
	return r;
}

static int terminal(const struct nt_trace_msg *m)
{
	if (m->type == NT_RULE_KIND_POLICY)
		return 1;
	return m->type == NT_RULE_KIND_RULE && m->verdict >= 0; /* accept, drop, stolen, queue ... */
}

int nt_corr_msg(struct nt_corr *c, const struct nt_trace_msg *m)
{
	struct lane *l = lane_of(c, m->cpu);
	int own = is_own(m->table), kind = m->type;
	uint32_t r = 0;
	struct run *x;
	struct qmsg *q;
	int err;

	c->st.msgs++;
	if (m->flags & NT_TRACE_FIRST) {
		/* a new chain run; an open run of the same packet on this CPU
		 * ended without a terminal message we saw */
		for (uint32_t j = l->n; j-- > 0;) {
			const struct run *o = &c->runs[l->run[j]];

			if (o->netns == m->netns && o->trace_id == m->id) {
				lane_pop_to(c, l, j);
				break;
			}
		}
		r = run_new(c, m, own);
		if (r) {
			c->st.runs++;
			lane_push(c, l, r);
			run_resolve(c, r);
			if (c->debug)
				fprintf(stderr, "corr: run %s/%s id %08x ts %llu cpu %u l3 %u p %u %u>%u ipid %u x %08x frag %x csum %04x -> %s %llx\n",
					m->table, m->chain, m->id, (unsigned long long)m->ts_ns, m->cpu,
					m->l3, m->l4proto, m->sport, m->dport, m->ip_id, m->l4_extra,
					m->frag, m->l4_csum,
					c->runs[r].state == R_MATCHED ? "skb" :
					c->runs[r].state == R_PENDING ? "pending" : "none",
					(unsigned long long)c->runs[r].skb);
		}
	} else {
		for (uint32_t j = l->n; j-- > 0;) {
			const struct run *o = &c->runs[l->run[j]];

			if (o->netns == m->netns && o->trace_id == m->id) {
				r = l->run[j];
				break;
			}
		}
		if (!r)
			c->st.orphans++;
	}
	x = r ? &c->runs[r] : NULL;
	if (own) {
		c->st.own++;
		goto done;
	}
	/*
	 * A RULE message without a rule handle is the kernel's "end of the
	 * chain reached" (the rule blob's last-rule marker).  In a regular chain
	 * it is the implicit return (recorded as kind return); in a base chain
	 * the policy message that follows says everything (not recorded).  nft
	 * monitor trace prints neither.
	 */
	if (m->type == NT_RULE_KIND_RULE && !m->rule_handle) {
		struct nt_ev_nft_chaindef d;

		if (!chain_info(c, m, m->chain, &d) && d.base)
			goto done;
		kind = NT_RULE_KIND_RETURN;
	}
	if (c->qlen == QUEUE_LEN) {
		c->st.queue_full++;
		pend_expire_oldest(c);
		if ((err = drain(c)))
			return err;
		while (c->qlen == QUEUE_LEN) {
			pend_expire_oldest(c);
			if ((err = drain(c)))
				return err;
		}
	}
	q = &c->q[(c->qhead + c->qlen) % QUEUE_LEN];
	memset(q, 0, sizeof(*q));
	q->ts = m->ts_ns;
	q->cpu = m->cpu;
	q->chain_key = nt_chain_key(m->netns, m->family, m->table, m->chain);
	q->rule_handle = m->rule_handle;
	q->verdict = m->verdict;
	q->id = m->id;
	q->kind = (uint8_t)kind;
	q->family = (uint8_t)m->family;
	q->depth = x ? x->depth : 0;
	q->hook = x ? x->hook : NT_HOOK_NONE;
	q->run = r;
	if (r)
		x->refs++;
	err = emit_chaindef(c, q->chain_key, m->ts_ns, m->cpu, m->netns, m->family, m->table,
			    m->chain);
	if (!err && m->target[0]) {
		q->target_key = nt_chain_key(m->netns, m->family, m->table, m->target);
		err = emit_chaindef(c, q->target_key, m->ts_ns, m->cpu, m->netns, m->family,
				    m->table, m->target);
	}
	c->qlen++;
	if (err)
		return err;
done:
	if (x) {
		/* jump stack depth for the next message of this run */
		if (kind == NT_RULE_KIND_RULE && m->verdict == NT_V_JUMP)
			x->depth++;
		else if ((kind == NT_RULE_KIND_RETURN ||
			  (kind == NT_RULE_KIND_RULE && m->verdict == NT_V_RETURN)) && x->depth)
			x->depth--;
		if (terminal(m)) {
			for (uint32_t j = l->n; j-- > 0;)
				if (l->run[j] == r) {
					lane_pop_to(c, l, j);
					break;
				}
		}
	}
	return drain(c);
}

int nt_corr_advance(struct nt_corr *c, uint64_t progress_ns)
{
	int err;

	if (progress_ns > c->progress)
		c->progress = progress_ns;
	/* a deferred FREE whose META never came (filtered out, lost) */
	for (int j = 0; j < NDEFER && c->ndefer; j++)
		if (c->defer[j].used && c->defer[j].f.h.ts_ns + c->lookahead < c->progress &&
		    (err = defer_emit(c, c->defer[j].f.h.skb, UINT64_MAX)))
			return err;
	while (c->pend_head && c->runs[c->pend_head].t_start + c->lookahead < c->progress)
		pend_expire_oldest(c);
	/* ended incarnations no message can name any more */
	while (c->lru_head) {
		const struct ent *e = &c->ents[c->lru_head];

		if (e->t_last + PURGE_NS >= c->progress)
			break;
		ent_release(c, c->lru_head);
	}
	return drain(c);
}

int nt_corr_finish(struct nt_corr *c)
{
	int err;

	while (c->pend_head)
		pend_expire_oldest(c);
	while (c->ndefer)
		if ((err = defer_emit(c, 0, UINT64_MAX)))
			return err;
	return drain(c);
}

uint64_t nt_corr_hold(const struct nt_corr *c)
{
	uint64_t t = c->qlen ? c->q[c->qhead].ts : UINT64_MAX;

	for (int j = 0; j < NDEFER && c->ndefer; j++)
		if (c->defer[j].used && c->defer[j].f.h.ts_ns < t)
			t = c->defer[j].f.h.ts_ns;
	return t;
}

void nt_corr_forget_chains(struct nt_corr *c)
{
	memset(c->defined, 0, sizeof(c->defined));
}

void nt_corr_get_stats(const struct nt_corr *c, struct nt_corr_stats *s)
{
	*s = c->st;
}
