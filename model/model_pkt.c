// SPDX-License-Identifier: GPL-2.0
/* model_pkt.c - packets (open, complete, released; least recently active
 * first for the open_packets limit), the live skb states attached to them,
 * a packet's kept records, its verdict, and two packets found to be one. */
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

/* ---- open packets: least recently active first (open_packets limit):
 * md_lru_unlink() / md_lru_push(), model_ops.h ---- */

/* ---- packets ---- */

/* N skb states became stale: when they are a quarter of the map, one
 * pass over the skb map forgets them (amortized O(1) each; a log of
 * never-freed packets would else md_keep every one). */
void md_stale_add(struct nt_model *m, uint32_t n)
{
	m->nstale += n;
	if (m->nstale >= 4096 && m->nstale >= m->skb_map.count / 4)
		md_stale_purge(m);
}

/* Close the least recently active open packet as incomplete (the open_packets
 * limit) and free its slot at once: skb states still naming it are stale (the
 * slot's gen moved on), forgotten when next looked up (md_st_find) or scanned.
 * O(1): no pass over the skb map. */
void md_evict_one(struct nt_model *m)
{
	struct nt_packet *p;

	if (m->lru_head == NT_LRU_NONE)
		return;
	p = &m->pool[m->lru_head];
	p->evicted = 1;
	md_stale_add(m, p->live_skbs);
	p->live_skbs = 0;
	m->t.evicted++;
	nt_limit_hit(&m->lim, NT_LIM_OPEN_PACKETS, 1);
	model_pkt_complete(m, p, 1);
	model_pkt_release(m, p->slot);
}

struct nt_packet *md_pkt_new(struct nt_model *m, uint64_t skb, uint64_t ts)
{
	struct nt_packet *p;
	uint32_t slot;

	while (m->t.open >= m->lim.max[NT_LIM_OPEN_PACKETS] && m->lru_head != NT_LRU_NONE && !m->oom)
		md_evict_one(m);
	if (m->nfree) {
		slot = m->free_slots[--m->nfree];
	} else {
		if (m->pool_len == m->pool_cap) {
			uint32_t cap = m->pool_cap ? m->pool_cap * 2 : 256;
			struct nt_packet *n = realloc(m->pool, cap * sizeof(*n));
			uint32_t *f = realloc(m->free_slots, cap * sizeof(*f));

			if (n)
				m->pool = n;
			if (f)
				m->free_slots = f;
			if (!n || !f) {
				m->oom = 1;
				return NULL;
			}
			m->pool_cap = cap;
		}
		slot = m->pool_len++;
		m->pool[slot].ev = NULL;
		m->pool[slot].ev_cap = 0;
		m->pool[slot].skv = NULL;
		m->pool[slot].skv_cap = 0;
	}
	p = &m->pool[slot];
	{
		uint8_t *ev = p->ev;
		size_t cap = p->ev_cap;
		uint32_t gen = p->gen, *skv = p->skv, skv_cap = p->skv_cap;

		memset(p, 0, sizeof(*p));
		p->ev = ev;
		p->ev_cap = cap;
		p->gen = gen;
		p->skv = skv_cap <= 64 ? skv : (free(skv), NULL); /* a big one is not kept */
		p->skv_cap = skv_cap <= 64 ? skv_cap : 0;
	}
	p->slot = slot;
	p->in_use = 1;
	p->skb = skb;
	p->first_ts = p->last_ts = ts;
	p->verdict = NT_V_NONE;
	p->last_layer = -1;
	p->fate_func = p->hop_func = UINT32_MAX;
	if (m->jcut && skb == m->jcut_skb) { /* --keep logs: its cut records */
		p->keep_cut = m->jcut;
		m->jcut = 0;
	}
	m->t.open++;
	if (m->t.open > m->t.max_open)
		m->t.max_open = m->t.open;
	md_lru_push(m, p);
	return p;
}

void md_frag_keys_drop(struct nt_model *m, struct nt_packet *p)
{
	for (uint32_t i = 0; i < p->nfkeys; i++) {
		uint32_t *v = map_find(&m->frag_map, p->fkeys[i]);

		if (v && *v == p->slot)
			map_del(&m->frag_map, p->fkeys[i]);
	}
	p->nfkeys = 0;
}

/* A slot's record buffer: a big packet's is not kept for the next one. */
void md_ev_trim(struct nt_model *m, struct nt_packet *p)
{
	p->ev_len = 0;
	if (p->ev_cap > (16u << 10)) {
		m->kept_bytes -= p->ev_cap;
		free(p->ev);
		p->ev = NULL;
		p->ev_cap = 0;
	}
}

void model_pkt_release(struct nt_model *m, uint32_t slot)
{
	struct nt_packet *p = &m->pool[slot];

	if (m->o.on_record) /* its records may go */
		m->o.on_record(m->o.ctx, p, NULL, 0);
	md_lru_unlink(m, p);
	md_frag_keys_drop(m, p);
	p->in_use = 0;
	p->id = 0;
	p->gen++;	/* skb states still naming this life are stale */
	md_ev_trim(m, p);
	m->free_slots[m->nfree++] = slot;
}

void md_fate_decide(struct nt_packet *p, int incomplete)
{
	if (p->deliver_seen) {
		p->fate = NT_FATE_DELIVERED;
		p->fate_func = p->deliver_func;
		p->fate_ifindex = p->deliver_ifindex;
		p->fate_netns = p->deliver_netns;
	} else if (p->drop_seen) {
		p->fate = NT_FATE_DROPPED;
		p->fate_func = p->drop_func;
		p->fate_ifindex = p->drop_ifindex;
		p->fate_netns = p->drop_netns;
	} else if (p->hop_role == NT_FROLE_XMIT) {
		p->fate = NT_FATE_FORWARDED;
		p->fate_func = p->hop_func;
		p->fate_ifindex = p->hop_ifindex;
		p->fate_netns = p->hop_netns;
	} else if (!incomplete) {
		p->fate = NT_FATE_CONSUMED;
		p->fate_func = p->hop_func;
		p->fate_ifindex = p->hop_ifindex;
		p->fate_netns = p->hop_netns;
	} else {
		p->fate = NT_FATE_UNKNOWN;
	}
	p->dropped = p->fate == NT_FATE_DROPPED;
}

/* The packet is done: a journey goes to the callback; a packet that never
 * had IPv4 / IPv6 metadata is only counted. */
void model_pkt_complete(struct nt_model *m, struct nt_packet *p, int incomplete)
{
	md_lru_unlink(m, p);
	p->incomplete = incomplete;
	m->t.open--;
	if (!p->id) {
		m->t.not_ip++;
		return;
	}
	md_fate_decide(p, incomplete);
	if (incomplete)
		m->t.incomplete++;
	else
		m->t.completed++;
	if (m->o.on_packet)
		m->o.on_packet(m->o.ctx, p);
}

/* ---- skb states ---- */

/* md_st_find() (model_ops.h) of a stale state S: its packet was closed
 * early (open_packets limit): a new life */
struct skbst *md_st_find_stale(struct nt_model *m, struct skbst *s)
{
	if (m->nstale)
		m->nstale--;
	s->pkt = NOPKT;
	md_st_drop(m, s);
	return NULL;
}

struct skbst *md_st_new(struct nt_model *m, uint64_t skb)
{
	struct skbst *s;
	uint32_t i;

	if (m->skb_map.count >= m->lim.max[NT_LIM_SKBS]) {
		/* stale states first (no caller holds one); then the limit */
		if (m->nstale)
			md_stale_purge(m);
		if (m->skb_map.count >= m->lim.max[NT_LIM_SKBS]) {
			nt_limit_hit(&m->lim, NT_LIM_SKBS, 1);
			return NULL;
		}
	}
	if (m->sk_free) {
		i = m->sk_free - 1;
		m->sk_free = m->sk[i].pkt;
	} else {
		if (m->nsk == m->sk_cap) {
			uint32_t cap = m->sk_cap ? m->sk_cap * 2 : 256;
			struct skbst *n = realloc(m->sk, cap * sizeof(*n));

			if (!n) {
				m->oom = 1;
				return NULL;
			}
			m->sk = n;
			m->sk_cap = cap;
		}
		i = m->nsk++;
	}
	if (map_put(&m->skb_map, skb, i)) {
		m->sk[i].pkt = m->sk_free;
		m->sk_free = i + 1;
		m->oom = 1;
		return NULL;
	}
	s = &m->sk[i];
	memset(s, 0, sizeof(*s));
	s->skb = skb;
	s->pkt = NOPKT;
	return s;
}

/* Forget an skb (its waiting steps are counted as uncorrelated). */
void md_st_drop(struct nt_model *m, struct skbst *s)
{
	uint32_t i = (uint32_t)(s - m->sk);
	size_t off = 0;

	while (off + sizeof(struct nt_ev_hdr) <= s->pend_len) {
		const struct nt_ev_hdr *h = (const void *)(s->pend + off);

		m->t.uncorrelated++;
		off += nt_ev_len(h);
	}
	free(s->pend);
	map_del(&m->skb_map, s->skb);
	s->pend = NULL;
	s->pkt = m->sk_free;
	m->sk_free = i + 1;
}

void md_attach(struct nt_model *m, struct nt_packet *p, struct skbst *s)
{
	s->pkt = p->slot;
	s->pkt_gen = p->gen;
	p->live_skbs++;
	skv_add(m, p, (uint32_t)(s - m->sk));
}

/* SKB leaves its packet (freed, dropped, moved): the packet completes when it
 * was its last skb.  The skb state is forgotten unless keep_state. */
void md_skb_end(struct nt_model *m, struct skbst *s, int keep_state)
{
	struct nt_packet *p = s->pkt != NOPKT ? &m->pool[s->pkt] : NULL;

	s->pkt = NOPKT;
	if (!keep_state) {
		md_st_drop(m, s);
	} else { /* the address's next life: nothing known about it yet */
		s->ifindex = s->netns = 0;
		s->has_meta = s->is_frag = s->was_frag = 0;
	}
	if (p && p->live_skbs && !--p->live_skbs) {
		if (m->linger_ts && model_linger_start(m, p))
			return;
		model_pkt_complete(m, p, 0);
		if (m->pending_release >= 0 && m->pending_release != p->slot)
			model_pkt_release(m, (uint32_t)m->pending_release);
		m->pending_release = p->slot;
	}
}

/* Keep records REC[0..LEN) of P for output, within the packet_records and
 * kept_bytes limits (the records past them are counted, not kept). */
void md_keep(struct nt_model *m, struct nt_packet *p, const void *rec, size_t len)
{
	uint64_t nrec = 0;

	/* one record of its type's size (nearly always): what the loop counts */
	if (__builtin_expect(len >= sizeof(struct nt_ev_hdr) &&
			     nt_ev_size(((const struct nt_ev_hdr *)rec)->type) == len, 1))
		nrec = 1;
	else
		for (size_t off = 0; off + sizeof(struct nt_ev_hdr) <= len;) {
			size_t k = nt_ev_size(((const struct nt_ev_hdr *)((const uint8_t *)rec + off))->type);

			if (!k)
				break;
			nrec++;
			off += k;
		}
	if (p->n_kept + nrec > m->lim.max[NT_LIM_PACKET_RECORDS]) {
		p->not_kept += nrec;
		nt_limit_hit(&m->lim, NT_LIM_PACKET_RECORDS, nrec);
		return;
	}
	if (p->ev_len + len > p->ev_cap) {
		size_t cap = p->ev_cap ? p->ev_cap * 2 : 256;
		uint8_t *n;

		while (cap < p->ev_len + len)
			cap *= 2;
		if (m->kept_bytes - p->ev_cap + cap > m->lim.max[NT_LIM_KEPT_BYTES]) {
			p->not_kept += nrec;
			nt_limit_hit(&m->lim, NT_LIM_KEPT_BYTES, nrec);
			return;
		}
		n = realloc(p->ev, cap);
		if (!n) {
			m->oom = 1;
			return;
		}
		m->kept_bytes += cap - p->ev_cap;
		p->ev = n;
		p->ev_cap = cap;
	}
	switch (len) { /* the common sizes as fixed-size copies (no call) */
	case 24: memcpy(p->ev + p->ev_len, rec, 24); break;
	case 40: memcpy(p->ev + p->ev_len, rec, 40); break;
	case 48: memcpy(p->ev + p->ev_len, rec, 48); break;
	case 64: memcpy(p->ev + p->ev_len, rec, 64); break;
	case 88: memcpy(p->ev + p->ev_len, rec, 88); break;
	default: memcpy(p->ev + p->ev_len, rec, len); break;
	}
	p->ev_len += len;
	p->n_kept += nrec;
	if (((const struct nt_ev_hdr *)rec)->ts_ns > p->kept_last_ts) /* mergerec.c */
		p->kept_last_ts = ((const struct nt_ev_hdr *)rec)->ts_ns;
}


void md_set_verdict(struct nt_packet *p, int32_t v, uint64_t chain, uint64_t rule, int kind)
{
	if (p->verdict == NT_V_DROP && v != NT_V_DROP)
		return;
	p->verdict = v;
	p->verdict_chain = chain;
	p->verdict_rule = rule;
	p->verdict_kind = kind;
}

/* Packet Q (not a journey yet) joins journey P: its skbs, records, counts. */
void md_pkt_merge(struct nt_model *m, struct nt_packet *p, struct nt_packet *q)
{
	skv_move(m, p, q); /* its skb states, without a pass over the map */
	p->live_skbs += q->live_skbs;
	q->live_skbs = 0;
	if (m->o.keep_events)
		merge_records(m, p, q);
	p->not_kept += q->not_kept;
	p->n_events += q->n_events;
	p->n_funcs += q->n_funcs;
	p->n_chains += q->n_chains;
	p->n_rules += q->n_rules;
	p->n_rule_runs += q->n_rule_runs;
	p->n_branches += q->n_branches + 1;
	if (q->verdict != NT_V_NONE)
		md_set_verdict(p, q->verdict, q->verdict_chain, q->verdict_rule, q->verdict_kind);
	for (int l = 0; l < NT_MODEL_MAX_LAYERS; l++)
		nt_sat_acc(&p->layer_ns[l], q->layer_ns[l]);
	p->layer_seen |= q->layer_seen;
	if (q->first_ts && q->first_ts < p->first_ts)
		p->first_ts = q->first_ts;
	if (q->last_ts > p->last_ts)
		p->last_ts = q->last_ts;
	if (q->deliver_seen && !p->deliver_seen) {
		p->deliver_seen = 1;
		p->deliver_func = q->deliver_func;
		p->deliver_ifindex = q->deliver_ifindex;
		p->deliver_netns = q->deliver_netns;
	}
	m->t.open--;
	if (m->o.on_record) /* its slot is released (below) */
		m->o.on_record(m->o.ctx, q, NULL, 0);
	md_lru_unlink(m, q);
	md_frag_keys_drop(m, q);
	q->in_use = 0;
	md_ev_trim(m, q);
	m->free_slots[m->nfree++] = q->slot;
}

void md_stale_purge(struct nt_model *m)
{
	for (uint32_t j = 0; j <= m->skb_map.mask; j++) {
		struct skbst *s;

		if (!m->skb_map.keys[j])
			continue;
		s = &m->sk[m->skb_map.vals[j]];
		if (md_st_stale(m, s)) {
			s->pkt = NOPKT;
			md_st_drop(m, s);
			j--; /* backward shift may have moved another entry here */
		}
	}
	m->nstale = 0;
}
