// SPDX-License-Identifier: GPL-2.0
/* model_acct.c - losses per source and CPU, COUNT counters, nft chain
 * definitions, and the idle sweep that completes packets gone quiet. */
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

void md_loss_update(struct nt_model *m, uint32_t src, uint32_t cpu, uint32_t id, uint64_t count,
			uint64_t *tot)
{
	uint64_t key = ((uint64_t)src << 56 | (uint64_t)cpu << 32 | id) + 1;
	uint32_t *v = map_find(&m->loss_map, key);

	if (!v) {
		if (m->nloss == m->loss_cap) {
			uint32_t cap = m->loss_cap ? m->loss_cap * 2 : 64;
			uint64_t *n;

			if (cap > (1u << 20))
				return;
			n = realloc(m->loss, cap * sizeof(*n));
			if (!n) {
				m->oom = 1;
				return;
			}
			m->loss = n;
			m->loss_cap = cap;
		}
		if (map_put(&m->loss_map, key, m->nloss)) {
			m->oom = 1;
			return;
		}
		m->loss[m->nloss] = 0;
		v = map_find(&m->loss_map, key);
		m->nloss++;
	}
	if (count > m->loss[*v]) { /* counters from a log: the sum saturates */
		nt_sat_acc(tot, count - m->loss[*v]);
		m->loss[*v] = count;
	}
}

/* NT_EV_LOSS / NT_EV_COUNT values are cumulative per (source, cpu, id):
 * ringbuf per CPU, netlink per network namespace (hdr.id, cpu 0xffff).  The
 * total is the sum over keys of the largest value seen. */
void md_loss_record(struct nt_model *m, const struct nt_ev_loss *l)
{
	uint64_t *tot;

	switch (l->source) {
	case NT_LOSS_RINGBUF: tot = &m->t.lost_ringbuf; break;
	case NT_LOSS_NETLINK: tot = &m->t.lost_netlink; break;
	case NT_LOSS_USER: tot = &m->t.lost_user; break;
	case NT_LOSS_NFTRACE_RING: tot = &m->t.lost_nftrace_ring; break;
	case NT_LOSS_STACK: tot = &m->t.lost_stack; break;
	case NT_LOSS_PROBE: tot = &m->t.lost_probe; break;
	default: return;
	}
	md_loss_update(m, l->source, l->h.cpu, l->h.id, l->count, tot);
}

void md_count_record(struct nt_model *m, const struct nt_ev_count *c)
{
	uint64_t *tot;

	switch (c->counter) {
	case NT_CNT_NFT_UNMATCHED: tot = &m->t.nft_unmatched; break;
	case NT_CNT_LATE: tot = &m->t.written_late; break;
	case NT_CNT_SHED: tot = &m->t.shed_packets; break;
	case NT_CNT_SHED_EVENTS: tot = &m->t.shed_events; break;
	case NT_CNT_KEEP_JCUT: /* the journey right after it (md_pkt_new) */
		m->jcut_skb = c->h.skb;
		m->jcut = c->value;
		return;
	default: return;
	}
	md_loss_update(m, 64 + c->counter, c->h.cpu, c->h.id, c->value, tot);
}

void md_chain_define(struct nt_model *m, const struct nt_ev_nft_chaindef *d)
{
	uint32_t *v = map_find(&m->chain_map, d->chain_key);
	struct nt_ev_nft_chaindef *c;

	if (!d->chain_key)
		return;
	m->rule_gen++; /* (rule texts are found through the chains' names) */
	if (v) {
		c = &m->chains[*v];
	} else {
		if (m->nchains >= m->lim.max[NT_LIM_CHAINS]) {
			nt_limit_hit(&m->lim, NT_LIM_CHAINS, 1);
			return;
		}
		if (m->nchains == m->chains_cap) {
			uint32_t cap = m->chains_cap ? m->chains_cap * 2 : 64;
			struct nt_ev_nft_chaindef *n = realloc(m->chains, cap * sizeof(*n));

			if (!n) {
				m->oom = 1;
				return;
			}
			m->chains = n;
			m->chains_cap = cap;
		}
		if (map_put(&m->chain_map, d->chain_key, m->nchains)) {
			m->oom = 1;
			return;
		}
		c = &m->chains[m->nchains++];
	}
	*c = *d;
	c->table[NT_NAME_LEN - 1] = 0;
	c->chain[NT_NAME_LEN - 1] = 0;
}

int md_cmp_slot_id(const void *a, const void *b, void *ctx)
{
	const struct nt_packet *pool = ctx;
	uint64_t x = pool[*(const uint32_t *)a].id, y = pool[*(const uint32_t *)b].id;

	return x < y ? -1 : x > y;
}

/* Complete packets idle for more than idle_ns before NOW as expired (their
 * waiting steps first); forget skbs with only waiting steps as old, and
 * flows without packets for FLOW_IDLE_MULT x idle_ns. */
void md_sweep(struct nt_model *m, uint64_t now)
{
	uint32_t n = 0, *exp;

	for (uint32_t j = 0; j <= m->skb_map.mask; j++) {
		struct skbst *s;

		if (!m->skb_map.keys[j])
			continue;
		s = &m->sk[m->skb_map.vals[j]];
		if (md_st_stale(m, s)) {
			s->pkt = NOPKT;
			md_st_drop(m, s);
			j--;
		} else if (s->pkt == NOPKT && now > s->last_ts && now - s->last_ts > m->idle_ns) {
			md_st_drop(m, s);
			j--; /* backward shift may have moved another entry here */
		}
	}
	m->nstale = 0;
	for (uint32_t i = 0; i < m->nflows; i++)
		if (m->flows[i].first_id && now > m->flows[i].last_ts &&
		    now - m->flows[i].last_ts > FLOW_IDLE_MULT * m->idle_ns)
			md_flow_free(m, i);
	if (!m->t.open)
		return;
	exp = malloc(m->pool_len * sizeof(*exp));
	if (!exp) {
		m->oom = 1;
		return;
	}
	for (uint32_t i = 0; i < m->pool_len; i++) {
		struct nt_packet *p = &m->pool[i];

		if (p->in_use && !p->lingering && (int64_t)i != m->pending_release && now > p->last_ts &&
		    now - p->last_ts > m->idle_ns) {
			p->expired = 1;
			exp[n++] = i;
		}
	}
	if (n) {
		/* every skb of the expired packets: waiting steps to the packet, forgotten */
		for (uint32_t j = 0; j <= m->skb_map.mask; j++) {
			struct skbst *s;

			if (!m->skb_map.keys[j])
				continue;
			s = &m->sk[m->skb_map.vals[j]];
			if (s->pkt != NOPKT && m->pool[s->pkt].expired) {
				md_flush_pending(m, s, &m->pool[s->pkt], SIZE_MAX);
				md_st_drop(m, s);
				j--;
			}
		}
		qsort_r(exp, n, sizeof(*exp), md_cmp_slot_id, m->pool);
		for (uint32_t i = 0; i < n; i++) {
			struct nt_packet *p = &m->pool[exp[i]];

			m->t.expired += !!p->id;
			p->live_skbs = 0;
			model_pkt_complete(m, p, 1);
			model_pkt_release(m, p->slot);
		}
	}
	free(exp);
}
