// SPDX-License-Identifier: GPL-2.0
/* model.c - following packets through the records (see model.h); the
 * metadata tables and lookups are in model_meta.c. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "common/hash.h"
#include "formats/ntlog.h"
#include "model/model_int.h"

const char *arena_strdup(struct arena_chunk **a, const char *s)
{
	size_t n = strlen(s) + 1;
	struct arena_chunk *c = *a;

	if (!c || c->cap - c->used < n) {
		size_t cap = n > 65536 ? n : 65536;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return "?";
		c->next = *a;
		c->used = 0;
		c->cap = cap;
		*a = c;
	}
	memcpy(c->data + c->used, s, n);
	c->used += n;
	return c->data + c->used - n;
}

int strs_add(struct nt_model *m, const char *s, uint32_t *idx)
{
	if (m->nstrs == m->strs_cap) {
		uint32_t cap = m->strs_cap ? m->strs_cap * 2 : 64;
		const char **n = realloc(m->strs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		m->strs = n;
		m->strs_cap = cap;
	}
	m->strs[m->nstrs] = arena_strdup(&m->arena, s);
	*idx = m->nstrs++;
	return 0;
}

struct nt_model *nt_model_new(const struct nt_model_opts *opts)
{
	struct nt_model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (opts)
		memcpy(&m->o, opts, opts->sz < sizeof(m->o) ? opts->sz : sizeof(m->o));
	m->pending_release = -1;
	m->cur = -1;
	m->unknown_slot = -1;
	m->dense_max = FUNC_DENSE_MIN;
	m->idle_ns = m->o.sz >= offsetof(struct nt_model_opts, idle_ns) + sizeof(uint64_t) && m->o.idle_ns ?
		     m->o.idle_ns : NT_MODEL_IDLE_NS;
	if (map_init(&m->loss_map, 64) || map_init(&m->chain_map, 256) || map_init(&m->rule_exact, 256) ||
	    map_init(&m->rule_loose, 256) || map_init(&m->ifmap, 64) ||
	    map_init(&m->skb_map, 4096) || map_init(&m->trace_map, 1024) ||
	    map_init(&m->func_sparse, 64)) {
		nt_model_free(m);
		return NULL;
	}
	return m;
}

void nt_model_free(struct nt_model *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; i < m->pool_len; i++)
		free(m->pool[i].ev);
	free(m->pool);
	free(m->free_slots);
	free(m->funcs);
	free(m->by_id);
	map_free(&m->func_sparse);
	free(m->chains);
	free(m->rule_texts);
	free(m->strs);
	free(m->loss);
	map_free(&m->loss_map);
	map_free(&m->chain_map);
	map_free(&m->rule_exact);
	map_free(&m->rule_loose);
	map_free(&m->ifmap);
	map_free(&m->skb_map);
	map_free(&m->trace_map);
	cJSON_Delete(m->header);
	while (m->arena) {
		struct arena_chunk *n = m->arena->next;

		free(m->arena);
		m->arena = n;
	}
	free(m);
}

/* ---- packets ---- */
static struct nt_packet *pkt_new(struct nt_model *m, uint64_t skb, uint64_t ts)
{
	struct nt_packet *p;
	uint32_t slot;

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
			if (!n || !f)
				return NULL;
			m->pool_cap = cap;
		}
		slot = m->pool_len++;
		m->pool[slot].ev = NULL;
		m->pool[slot].ev_cap = 0;
	}
	p = &m->pool[slot];
	{
		uint8_t *ev = p->ev;
		size_t cap = p->ev_cap;

		memset(p, 0, sizeof(*p));
		p->ev = ev;
		p->ev_cap = cap;
	}
	p->slot = slot;
	p->id = ++m->t.packets;
	p->skb = skb;
	p->first_ts = p->last_ts = ts;
	p->verdict = NT_V_NONE;
	p->last_layer = -1;
	m->t.open++;
	if (m->t.open > m->t.max_open)
		m->t.max_open = m->t.open;
	if (skb) {
		if (map_put(&m->skb_map, skb, slot)) {
			m->t.open--;
			m->t.packets--;
			m->free_slots[m->nfree++] = slot;
			return NULL;
		}
		p->live_skbs = 1;
	}
	return p;
}

static void pkt_release(struct nt_model *m, uint32_t slot)
{
	struct nt_packet *p = &m->pool[slot];

	for (uint32_t i = 0; i < p->n_trace_ids; i++) {
		uint32_t *v = map_find(&m->trace_map, p->trace_ids[i]);

		if (v && *v == slot)
			map_del(&m->trace_map, p->trace_ids[i]);
	}
	p->id = 0;
	p->ev_len = 0;
	m->free_slots[m->nfree++] = slot;
}

static void pkt_complete(struct nt_model *m, struct nt_packet *p, int incomplete)
{
	p->incomplete = incomplete;
	m->t.open--;
	if (incomplete)
		m->t.incomplete++;
	else
		m->t.completed++;
	if (m->o.on_packet)
		m->o.on_packet(m->o.ctx, p);
}

/* Unmap SKB from its packet; complete the packet when it was the last skb. */
static void skb_gone(struct nt_model *m, struct nt_packet *p, uint64_t skb)
{
	uint32_t *v = map_find(&m->skb_map, skb);

	if (v && *v == p->slot) {
		map_del(&m->skb_map, skb);
		if (p->live_skbs)
			p->live_skbs--;
	}
	if (!p->live_skbs) {
		pkt_complete(m, p, 0);
		m->pending_release = p->slot;
	}
}

static struct nt_packet *pkt_of_skb(struct nt_model *m, uint64_t skb, uint64_t ts, int create)
{
	uint32_t *v = map_find(&m->skb_map, skb);

	if (v) {
		struct nt_packet *p = &m->pool[*v];

		/* idle too long and this is its only skb: its free was missed */
		if (!(ts > p->last_ts && ts - p->last_ts > m->idle_ns && p->live_skbs == 1 &&
		      (int64_t)p->slot != m->pending_release))
			return p;
		map_del(&m->skb_map, skb);
		p->expired = 1;
		m->t.expired++;
		pkt_complete(m, p, 1);
		pkt_release(m, p->slot);
	}
	return create ? pkt_new(m, skb, ts) : NULL;
}

static inline int terminal(int32_t v)
{
	return v >= NT_V_DROP && v <= NT_V_STOP;
}

static void set_verdict(struct nt_packet *p, int32_t v, uint64_t chain, uint64_t rule, int kind)
{
	if (p->verdict == NT_V_DROP && v != NT_V_DROP)
		return;
	p->verdict = v;
	p->verdict_chain = chain;
	p->verdict_rule = rule;
	p->verdict_kind = kind;
}

static void trace_remember(struct nt_model *m, struct nt_packet *p, uint32_t tid)
{
	for (uint32_t i = 0; i < p->n_trace_ids; i++)
		if (p->trace_ids[i] == tid)
			return;
	if (p->n_trace_ids == NT_MODEL_MAX_TRACE_IDS) {
		uint32_t *v = map_find(&m->trace_map, p->trace_ids[0]);

		if (v && *v == p->slot)
			map_del(&m->trace_map, p->trace_ids[0]);
		memmove(p->trace_ids, p->trace_ids + 1, sizeof(uint32_t) * (NT_MODEL_MAX_TRACE_IDS - 1));
		p->n_trace_ids--;
	}
	p->trace_ids[p->n_trace_ids++] = tid;
	map_put(&m->trace_map, tid, p->slot);
}

static void keep(struct nt_packet *p, const void *rec, size_t len)
{
	if (p->ev_len + len > p->ev_cap) {
		size_t cap = p->ev_cap ? p->ev_cap * 2 : 1024;
		uint8_t *n;

		while (cap < p->ev_len + len)
			cap *= 2;
		n = realloc(p->ev, cap);
		if (!n)
			return;
		p->ev = n;
		p->ev_cap = cap;
	}
	memcpy(p->ev + p->ev_len, rec, len);
	p->ev_len += len;
}

/* NT_EV_LOSS counts are cumulative per (source, cpu, id): ringbuf per CPU,
 * netlink per network namespace (hdr.id, cpu 0xffff).  The total is the sum
 * over keys of the largest count seen. */
static void loss_update(struct nt_model *m, const struct nt_ev_loss *l)
{
	uint32_t src = l->source;
	uint64_t key = ((uint64_t)src << 56 | (uint64_t)l->h.cpu << 32 | l->h.id) + 1, *tot;
	uint32_t *v;

	if (src < NT_LOSS_RINGBUF || src > NT_LOSS_USER)
		return;
	tot = src == NT_LOSS_RINGBUF ? &m->t.lost_ringbuf :
	      src == NT_LOSS_NETLINK ? &m->t.lost_netlink : &m->t.lost_user;
	v = map_find(&m->loss_map, key);
	if (!v) {
		if (m->nloss == m->loss_cap) {
			uint32_t cap = m->loss_cap ? m->loss_cap * 2 : 64;
			uint64_t *n;

			if (cap > (1u << 20))
				return;
			n = realloc(m->loss, cap * sizeof(*n));
			if (!n)
				return;
			m->loss = n;
			m->loss_cap = cap;
		}
		if (map_put(&m->loss_map, key, m->nloss))
			return;
		m->loss[m->nloss] = 0;
		v = map_find(&m->loss_map, key);
		m->nloss++;
	}
	if (l->count > m->loss[*v]) {
		*tot += l->count - m->loss[*v];
		m->loss[*v] = l->count;
	}
}

static void chain_define(struct nt_model *m, const struct nt_ev_nft_chaindef *d)
{
	uint32_t *v = map_find(&m->chain_map, d->chain_key);
	struct nt_ev_nft_chaindef *c;

	if (!d->chain_key)
		return;
	if (v) {
		c = &m->chains[*v];
	} else {
		if (m->nchains == m->chains_cap) {
			uint32_t cap = m->chains_cap ? m->chains_cap * 2 : 64;
			struct nt_ev_nft_chaindef *n = realloc(m->chains, cap * sizeof(*n));

			if (!n)
				return;
			m->chains = n;
			m->chains_cap = cap;
		}
		if (map_put(&m->chain_map, d->chain_key, m->nchains))
			return;
		c = &m->chains[m->nchains++];
	}
	*c = *d;
	c->table[NT_NAME_LEN - 1] = 0;
	c->chain[NT_NAME_LEN - 1] = 0;
}

static int cmp_slot_id(const void *a, const void *b, void *ctx);

/* Complete packets idle for more than idle_ns before NOW as expired. */
static void sweep(struct nt_model *m, uint64_t now)
{
	uint32_t n = 0, *exp;

	if (!m->t.open)
		return;
	exp = malloc(m->pool_len * sizeof(*exp));
	if (!exp)
		return;
	for (uint32_t i = 0; i < m->pool_len; i++) {
		struct nt_packet *p = &m->pool[i];

		if (p->id && (int64_t)i != m->pending_release && now > p->last_ts &&
		    now - p->last_ts > m->idle_ns) {
			p->expired = 1;
			exp[n++] = i;
		}
	}
	if (n) {
		/* drop every skb of the expired packets from the map */
		for (uint32_t j = 0; j <= m->skb_map.mask; j++) {
			uint64_t key = m->skb_map.keys[j];

			if (key && m->pool[m->skb_map.vals[j]].expired) {
				map_del(&m->skb_map, key);
				j--; /* backward shift may have moved another entry here */
			}
		}
		qsort_r(exp, n, sizeof(*exp), cmp_slot_id, m->pool);
		for (uint32_t i = 0; i < n; i++) {
			struct nt_packet *p = &m->pool[exp[i]];

			m->t.expired++;
			pkt_complete(m, p, 1);
			pkt_release(m, p->slot);
		}
	}
	free(exp);
}

const struct nt_packet *nt_model_event(struct nt_model *m, const void *rec, size_t len)
{
	const struct nt_ev_hdr *h = rec;
	struct nt_packet *p = NULL;
	uint64_t ts;

	if (m->pending_release >= 0) {
		pkt_release(m, (uint32_t)m->pending_release);
		m->pending_release = -1;
	}
	m->cur = -1;
	if (len < sizeof(*h) || nt_ev_size(h->type) != len) {
		m->t.bad_records++;
		return NULL;
	}
	ts = h->ts_ns;
	m->t.events++;
	m->t.by_type[h->type]++;
	if (ts) {
		if (!m->t.first_ts || ts < m->t.first_ts)
			m->t.first_ts = ts;
		if (ts > m->t.last_ts)
			m->t.last_ts = ts;
		if (m->idle_ns != UINT64_MAX && ts >= m->next_sweep) {
			if (m->next_sweep)
				sweep(m, ts);
			m->next_sweep = ts + (m->idle_ns / 4 ? m->idle_ns / 4 : 1);
		}
	}
	switch (h->type) {
	case NT_EV_NFT_CHAINDEF:
		chain_define(m, rec);
		return NULL;
	case NT_EV_LOSS:
		loss_update(m, rec);
		return NULL;
	case NT_EV_LINK: {
		const struct nt_ev_link *l = rec;
		uint32_t *v;

		if (!h->skb || !l->parent) {
			m->t.uncorrelated++;
			return NULL;
		}
		p = pkt_of_skb(m, l->parent, ts, 1);
		if (!p)
			return NULL;
		v = map_find(&m->skb_map, h->skb);
		if (v && *v != p->slot) {
			/* the child had its own packet: it leaves it */
			struct nt_packet *q = &m->pool[*v];

			map_del(&m->skb_map, h->skb);
			if (q->live_skbs && !--q->live_skbs) {
				pkt_complete(m, q, 0);
				pkt_release(m, q->slot);
			}
			v = NULL;
		}
		if (!v && !map_put(&m->skb_map, h->skb, p->slot))
			p->live_skbs++;
		if (l->kind == NT_LINK_REALLOC && l->parent != h->skb) {
			uint32_t *pv = map_find(&m->skb_map, l->parent);

			if (pv && *pv == p->slot) {
				map_del(&m->skb_map, l->parent);
				p->live_skbs--;
			}
		} else {
			p->n_branches++;
		}
		break;
	}
	case NT_EV_NFT_CHAIN:
	case NT_EV_NFT_RULE: {
		uint32_t tid = h->type == NT_EV_NFT_CHAIN ? ((const struct nt_ev_nft_chain *)rec)->trace_id
							   : ((const struct nt_ev_nft_rule *)rec)->trace_id;

		if (h->skb) {
			p = pkt_of_skb(m, h->skb, ts, 1);
			if (p && tid)
				trace_remember(m, p, tid);
		} else if (tid) {
			uint32_t *v = map_find(&m->trace_map, tid);

			if (v)
				p = &m->pool[*v];
		}
		if (!p) {
			m->t.uncorrelated++;
			return NULL;
		}
		break;
	}
	default:
		if (!h->skb) {
			m->t.uncorrelated++;
			return NULL;
		}
		p = pkt_of_skb(m, h->skb, ts, 1);
		if (!p)
			return NULL;
		break;
	}

	/* time in layer: from a FUNC record of layer L to the packet's next record.
	 * An inferred FREE (NT_F_INFERRED: the free was not seen, the recorder
	 * noticed the address reused) carries the time of the reuse, not of the
	 * free: it neither ends a layer interval nor extends the packet. */
	if (h->type == NT_EV_FREE && (h->flags & NT_F_INFERRED)) {
		p->last_layer = -1;
	} else {
		if (p->last_layer >= 0 && ts >= p->last_func_ts)
			p->layer_ns[p->last_layer] += ts - p->last_func_ts;
		p->last_layer = -1;
		if (ts > p->last_ts)
			p->last_ts = ts;
	}
	p->n_events++;
	if (ts && (ts < p->first_ts || !p->first_ts))
		p->first_ts = ts;
	if (m->o.keep_events)
		keep(p, rec, len);
	m->cur = p->slot;

	switch (h->type) {
	case NT_EV_FUNC: {
		int layer = func_layer_of_record(m, h->id);

		p->n_funcs++;
		p->layer_seen |= 1u << layer;
		p->last_layer = layer;
		p->last_func_ts = ts;
		break;
	}
	case NT_EV_META:
		if (!p->has_meta) {
			p->meta = *(const struct nt_ev_meta *)rec;
			p->has_meta = 1;
		}
		break;
	case NT_EV_NFT_CHAIN: {
		const struct nt_ev_nft_chain *c = rec;

		if (c->phase == NT_CHAIN_ENTER)
			p->n_chains++;
		else if (c->depth == 0 && terminal(c->verdict) &&
			 !(p->verdict == c->verdict && p->verdict_chain && p->verdict_kind))
			/* a chain exit does not take the attribution from the rule /
			 * policy record that gave the same verdict */
			set_verdict(p, c->verdict, c->chain_key, 0, 0);
		break;
	}
	case NT_EV_NFT_RULE: {
		const struct nt_ev_nft_rule *r = rec;

		p->n_rules++;
		if (terminal(r->verdict))
			set_verdict(p, r->verdict, r->chain_key, r->kind == NT_RULE_KIND_RULE ? r->rule_handle : 0,
				    r->kind);
		break;
	}
	case NT_EV_DROP: {
		const struct nt_ev_drop *d = rec;

		func_layer_of_record(m, h->id);
		p->dropped = 1;
		p->drop_reason = d->reason;
		p->drop_func = h->id;
		p->drop_location = d->location;
		if (p->verdict != NT_V_DROP)
			set_verdict(p, NT_V_DROP, 0, 0, 0);
		skb_gone(m, p, h->skb);
		break;
	}
	case NT_EV_FREE:
		func_layer_of_record(m, h->id);
		skb_gone(m, p, h->skb);
		break;
	default:
		break;
	}
	return p;
}

static int cmp_slot_id(const void *a, const void *b, void *ctx)
{
	const struct nt_packet *pool = ctx;
	uint64_t x = pool[*(const uint32_t *)a].id, y = pool[*(const uint32_t *)b].id;

	return x < y ? -1 : x > y;
}

void nt_model_finish(struct nt_model *m)
{
	uint32_t *open, n = 0;

	if (m->pending_release >= 0) {
		pkt_release(m, (uint32_t)m->pending_release);
		m->pending_release = -1;
	}
	m->cur = -1;
	open = malloc((m->pool_len ? m->pool_len : 1) * sizeof(*open));
	if (!open)
		return;
	for (uint32_t i = 0; i < m->pool_len; i++) {
		if (m->pool[i].id)
			open[n++] = i;
	}
	qsort_r(open, n, sizeof(*open), cmp_slot_id, m->pool);
	for (uint32_t i = 0; i < n; i++) {
		struct nt_packet *p = &m->pool[open[i]];

		pkt_complete(m, p, 1);
		pkt_release(m, p->slot);
	}
	free(open);
	map_free(&m->skb_map);
	map_init(&m->skb_map, 4096);
}
