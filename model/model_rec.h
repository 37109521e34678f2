/* SPDX-License-Identifier: GPL-2.0 */
/* model_rec.h - what one record does to its packet, inline: md_apply()
 * (model_apply.c) and nt_model_event()'s path for the common record
 * (model.c) share it.  Private to model/. */
#ifndef NT_MODEL_REC_H
#define NT_MODEL_REC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/sat.h"
#include "formats/ntlog.h"
#include "model/model_int.h"
#include "model/model_ops.h"

/* md_keep() of one FUNC record REC (one record: counted 1) when it is within
 * the packet_records limit and P's buffer has room: a fixed-size copy, no
 * call; else md_keep() decides (limits, growth). */
static inline __attribute__((always_inline)) void
md_keep_func(struct nt_model *m, struct nt_packet *p, const void *rec)
{
	const struct nt_ev_hdr *h = rec;

	if (p->n_kept + 1 > m->lim.max[NT_LIM_PACKET_RECORDS] ||
	    p->ev_len + sizeof(struct nt_ev_func) > p->ev_cap) {
		md_keep(m, p, rec, sizeof(struct nt_ev_func));
		return;
	}
	memcpy(p->ev + p->ev_len, rec, sizeof(struct nt_ev_func));
	p->ev_len += sizeof(struct nt_ev_func);
	p->n_kept++;
	if (h->ts_ns > p->kept_last_ts) /* mergerec.c */
		p->kept_last_ts = h->ts_ns;
}

/* Apply one record to packet P (its skb state S); F: the record's function
 * (TYPE NT_EV_FUNC, found by the caller), TYPE: the record's type (a
 * constant where the caller knows it: the tests of other types fold away). */
static inline __attribute__((always_inline)) void
apply_rec(struct nt_model *m, struct nt_packet *p, struct skbst *s, const void *rec, size_t len,
	  const struct nt_func_info *f, uint8_t type)
{
	const struct nt_ev_hdr *h = rec;
	uint64_t ts = h->ts_ns;
	int first_copy = 0;

	if (type == NT_EV_FUNC && f->role == NT_FROLE_DELIVER && !p->deliver_seen && md_is_copy_to_user(f))
		first_copy = 1;
	/* time in layer: from a FUNC record of layer L to the packet's next
	 * record.  From its delivery to a socket on, the time is the socket
	 * queue's (a copy to the user as first sign of delivery: the wait
	 * before it too).  An inferred FREE (NT_F_INFERRED: the free was not
	 * seen, the recorder noticed the address reused) carries the time of
	 * the reuse, not of the free: it neither ends a layer interval nor
	 * extends the packet. */
	if (type == NT_EV_FREE && (h->flags & NT_F_INFERRED)) {
		p->last_layer = -1;
	} else {
		if (p->last_layer >= 0 && ts >= p->last_func_ts) {
			int l = first_copy ? md_sockq_layer(m) : p->last_layer;

			if (l >= 0 && l < NT_MODEL_MAX_LAYERS) {
				nt_sat_acc(&p->layer_ns[l], ts - p->last_func_ts);
				p->layer_seen |= 1u << l;
			}
		}
		p->last_layer = -1;
		if (ts > p->last_ts)
			p->last_ts = ts;
		/* the packet spans its records' times (an inferred free's time is the
		 * address reuse: not the packet's); a first record at ts 0 gives way */
		if (ts && (ts < p->first_ts || !p->first_ts))
			p->first_ts = ts;
		if (p->first_ts > p->last_ts)
			p->last_ts = p->first_ts;
	}
	p->n_events++;
	if (m->o.keep_events) {
		if (type == NT_EV_FUNC && len == sizeof(struct nt_ev_func))
			md_keep_func(m, p, rec);
		else
			md_keep(m, p, rec, len);
	}
	if (m->o.on_record)
		m->o.on_record(m->o.ctx, p, rec, len);
	md_lru_touch(m, p);
	if (s && ts > s->last_ts)
		s->last_ts = ts;

	switch (type) {
	case NT_EV_FUNC: {
		int layer = f->layer;

		p->n_funcs++;
		if (f->role == NT_FROLE_DELIVER) {
			if (!p->deliver_seen) {
				p->deliver_seen = 1;
				p->deliver_func = h->id;
				p->deliver_ifindex = s ? s->ifindex : 0;
				p->deliver_netns = s ? s->netns : 0;
			}
			p->socket_wait = 1;
		}
		if (p->socket_wait)
			layer = md_sockq_layer(m);
		else
			p->layer_seen |= 1u << layer;
		if (layer >= 0 && layer < NT_MODEL_MAX_LAYERS) {
			p->last_layer = layer;
			p->last_func_ts = ts;
		}
		if (f->role != NT_FROLE_FREE && f->role != NT_FROLE_DROP) {
			p->hop_role = f->role;
			p->hop_func = h->id;
			p->hop_ifindex = s ? s->ifindex : 0;
			p->hop_netns = s ? s->netns : 0;
		}
		break;
	}
	case NT_EV_NFT_CHAIN: {
		const struct nt_ev_nft_chain *c = rec;

		if (c->phase == NT_CHAIN_ENTER)
			p->n_chains++;
		else if (c->depth == 0 && md_terminal(c->verdict) &&
			 !(p->verdict == c->verdict && p->verdict_chain && p->verdict_kind))
			/* a chain exit does not take the attribution from the rule /
			 * policy record that gave the same verdict */
			md_set_verdict(p, c->verdict, c->chain_key, 0, 0);
		break;
	}
	case NT_EV_CT:
		ctconn_note(m, p, rec);
		break;
	case NT_EV_NFT_RULE: {
		const struct nt_ev_nft_rule *r = rec;

		p->n_rules++;
		if (r->kind == NT_RULE_KIND_POLICY || (r->kind == NT_RULE_KIND_RULE && md_terminal(r->verdict)))
			p->n_rule_runs++;
		if (md_terminal(r->verdict))
			md_set_verdict(p, r->verdict, r->chain_key, r->kind == NT_RULE_KIND_RULE ? r->rule_handle : 0,
				    r->kind);
		break;
	}
	default:
		break;
	}
}

/* nt_model_event()'s common record, after its counts: a FUNC record of a
 * placed function that neither allocates nor frees, on a known skb whose
 * packet is live (not stale, not idle past opts.idle_ns) with no steps
 * waiting: what the general path does to it, without its other tests and
 * calls.  NULL: not such a record, nothing done (the general path decides). */
static inline __attribute__((always_inline)) struct nt_packet *
md_func_fast(struct nt_model *m, const struct nt_ev_hdr *h, size_t len)
{
	const struct nt_func_info *f = md_func_placed(m, h->id);
	const uint32_t *v;
	struct nt_packet *p;
	struct skbst *s;

	if (!f || f->role == NT_FROLE_ALLOC || f->role == NT_FROLE_FREE)
		return NULL;
	v = map_find(&m->skb_map, h->skb);
	if (!v)
		return NULL;
	s = &m->sk[*v];
	if (s->pkt == NOPKT || s->reuse || s->pend_len)
		return NULL;
	p = &m->pool[s->pkt];
	if (p->gen != s->pkt_gen) /* stale: md_st_find() forgets it */
		return NULL;
	if (h->ts_ns > p->last_ts && h->ts_ns - p->last_ts > m->idle_ns && p->live_skbs == 1 &&
	    (int64_t)p->slot != m->pending_release) /* expires: md_pkt_for() */
		return NULL;
	apply_rec(m, p, s, h, len, f, NT_EV_FUNC);
	m->cur = p->slot;
	return p;
}

#endif
