// SPDX-License-Identifier: GPL-2.0
/* model.c - following packets through the records (see model.h): the model's
 * life, one record at a time (nt_model_event), its end.  Packets and skb
 * states are in model_pkt.c, flows and fragment keys in model_flow.c, what a
 * record does to its packet in model_apply.c, losses / counters / chains and
 * the idle sweep in model_acct.c; metadata tables and lookups in model_meta.c. */
#include <errno.h>
#include <stdatomic.h>
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

const char *arena_strdup(struct arena_chunk **a, const char *s)
{
	size_t n = strlen(s) + 1;
	struct arena_chunk *c = *a;

	if (!c || c->cap - c->used < n) {
		size_t cap = n > 65536 ? n : 65536;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = *a;
		c->used = 0;
		c->cap = cap;
		*a = c;
	}
	memcpy(c->data + c->used, s, n);
	c->used += n;
	return c->data + c->used - n;
}

void arena_free(struct arena_chunk **a)
{
	while (*a) {
		struct arena_chunk *n = (*a)->next;

		free(*a);
		*a = n;
	}
}

const char *model_strdup(struct nt_model *m, struct arena_chunk **a, const char *s)
{
	const char *r = arena_strdup(a, s);

	if (r)
		return r;
	m->oom = 1;
	return "?";
}

int strs_add(struct nt_model *m, const char *s, uint32_t *idx)
{
	if (m->nstrs == m->strs_cap) {
		uint32_t cap = m->strs_cap ? m->strs_cap * 2 : 64;
		const char **n = realloc(m->strs, cap * sizeof(*n));

		if (!n) {
			m->oom = 1;
			return -ENOMEM;
		}
		m->strs = n;
		m->strs_cap = cap;
	}
	m->strs[m->nstrs] = model_strdup(m, &m->arena, s);
	*idx = m->nstrs++;
	return 0;
}

static _Atomic uint64_t model_serials;

uint64_t nt_model_serial(const struct nt_model *m)
{
	return m->serial;
}

struct nt_model *nt_model_new(const struct nt_model_opts *opts)
{
	struct nt_model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (opts)
		memcpy(&m->o, opts, opts->sz < sizeof(m->o) ? opts->sz : sizeof(m->o));
	m->pending_release = -1;
	m->serial = atomic_fetch_add(&model_serials, 1) + 1;
	m->cur = -1;
	m->unknown_slot = -1;
	m->lru_head = m->lru_tail = NT_LRU_NONE;
	if (m->o.sz >= offsetof(struct nt_model_opts, limits) + sizeof(m->o.limits) && m->o.limits)
		m->lim = *m->o.limits;
	else
		nt_limits_init(&m->lim);
	m->dense_max = FUNC_DENSE_MIN;
	m->sockq_layer = -1;
	m->idle_ns = m->o.sz >= offsetof(struct nt_model_opts, idle_ns) + sizeof(uint64_t) && m->o.idle_ns ?
		     m->o.idle_ns : NT_MODEL_IDLE_NS;
	if (map_init(&m->loss_map, 64) || map_init(&m->chain_map, 256) || map_init(&m->rule_exact, 256) ||
	    map_init(&m->rule_loose, 256) || map_init(&m->ifmap, 64) ||
	    map_init(&m->skb_map, 4096) || map_init(&m->frag_map, 256) ||
	    map_init(&m->flow_map, 1024) || map_init(&m->nsmap, 16) || map_init(&m->freed_map, 8192) ||
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
		free(m->pool[i].ev), free(m->pool[i].skv);
	free(m->pool);
	free(m->free_slots);
	free(m->funcs);
	free(m->by_id);
	map_free(&m->func_sparse);
	free(m->chains);
	free(m->rule_texts);
	free(m->rule_from);
	free(m->rule_prev);
	free(m->strs);
	free(m->ifn);
	free(m->loss);
	map_free(&m->loss_map);
	map_free(&m->chain_map);
	map_free(&m->rule_exact);
	map_free(&m->rule_loose);
	map_free(&m->ifmap);
	for (uint32_t j = 0; m->skb_map.keys && j <= m->skb_map.mask; j++)
		if (m->skb_map.keys[j])
			free(m->sk[m->skb_map.vals[j]].pend);
	map_free(&m->skb_map);
	free(m->sk);
	map_free(&m->frag_map);
	map_free(&m->flow_map);
	free(m->flows);
	map_free(&m->nsmap);
	map_free(&m->freed_map);
	free(m->freed);
	free(m->linger);
	free(m->ksyms);
	stacks_free(m);
	ctconn_free(m);
	cJSON_Delete(m->header);
	arena_free(&m->arena);
	arena_free(&m->rs_arena);
	arena_free(&m->if_arena);
	free(m);
}

/* A record of the nftables trace (NT_F_SYNTH): waits for the skb's next
 * record from the kernel.  Returns the packet the skb is in now. */
const struct nt_packet *md_nft_synth(struct nt_model *m, const struct nt_ev_hdr *h, size_t len)
{
	struct skbst *s = md_st_find(m, h->skb);

	if (!s && !(s = md_st_new(m, h->skb))) {
		m->t.uncorrelated++;
		return NULL;
	}
	if (md_pend_add(s, h, len)) {
		m->t.uncorrelated++;
		return NULL;
	}
	if (h->ts_ns > s->last_ts)
		s->last_ts = h->ts_ns;
	if (s->pkt == NOPKT)
		return NULL;
	m->cur = s->pkt;
	return &m->pool[s->pkt];
}

/* NT_EV_LINK: the new skb joins its parent's packet (realloc: replaces it). */
struct nt_packet *md_on_link(struct nt_model *m, const struct nt_ev_link *l, size_t len)
{
	const struct nt_ev_hdr *h = &l->h;
	struct skbst *ps = md_st_find(m, l->parent), *cs;
	struct nt_packet *p;

	p = l->kind == NT_LINK_HEAD ? model_linger_find(m, l->parent, h->ts_ns) : NULL;
	cs = md_st_find(m, h->skb);
	if (p || (!ps && !cs)) {
		/* the parent was freed: a clone no probe saw (ping / raw socket)
		 * joins the packet lingering for it (even when the address has a
		 * new packet already; an old life of the clone's address whose
		 * free was not seen ends); else it is a packet of its own (the
		 * parent's address is not brought back to life) */
		if (cs && cs->pkt != NOPKT) {
			md_flush_pending(m, cs, &m->pool[cs->pkt], SIZE_MAX);
			md_skb_end(m, cs, 1);
		}
		if (!cs && !(cs = md_st_new(m, h->skb)))
			return NULL;
		if (p) {
			const struct freed *f = &m->freed[*map_find(&m->freed_map, l->parent)];

			p->lingering = 0;
			md_attach(m, p, cs);
			cs->meta = f->meta;
			cs->has_meta = f->has_meta;
			cs->ifindex = f->meta.ifindex;
			cs->netns = f->meta.netns;
			p->n_branches++;
		} else if (!(p = md_pkt_for(m, cs, h->ts_ns))) {
			return NULL;
		}
		md_apply(m, p, cs, l, len);
		return p;
	}
	if (!ps && !(ps = md_st_new(m, l->parent)))
		return NULL;
	p = md_pkt_for(m, ps, h->ts_ns);
	if (!p)
		return NULL;
	md_flush_pending(m, ps, p, SIZE_MAX);
	cs = l->parent == h->skb ? ps : md_st_find(m, h->skb);
	if (cs && cs != ps && cs->pkt != p->slot) {
		/* the child had a packet of its own: it leaves it */
		if (cs->pkt != NOPKT) {
			struct nt_packet *q = &m->pool[cs->pkt];

			md_flush_pending(m, cs, q, SIZE_MAX);
			md_skb_end(m, cs, 1);
		}
		/* steps that waited for it are the parent packet's */
		md_flush_pending(m, cs, p, SIZE_MAX);
	}
	if (!cs && !(cs = md_st_new(m, h->skb)))
		return NULL;
	ps = md_st_find(m, l->parent); /* md_st_new may have moved the table */
	if (cs != ps && cs->pkt != p->slot) {
		md_attach(m, p, cs);
		cs->ifindex = ps->ifindex;
		cs->netns = ps->netns;
		cs->meta = ps->meta;
		cs->has_meta = ps->has_meta;
		cs->is_frag = ps->is_frag;
	}
	md_apply(m, p, cs, l, len);
	if (l->kind == NT_LINK_REALLOC && l->parent != h->skb) {
		if (ps->pkt == p->slot)
			p->live_skbs--;
		ps->pkt = NOPKT;
		md_st_drop(m, ps);
	} else if (cs != ps) {
		p->n_branches++;
	}
	return p;
}

/* REC is kfree_skbmem's (the skb's memory freed): a FREE or FUNC record. */
int md_is_skbmem(struct nt_model *m, const struct nt_ev_hdr *h)
{
	return m->skbmem_traced && (h->type == NT_EV_FREE || h->type == NT_EV_FUNC) && h->id == m->skbmem_id;
}

/* Remember skb S freed at TS (with its identity); DYING: its memory is not
 * free yet (DYING_NS). */
void md_freed_add(struct nt_model *m, const struct skbst *s, uint64_t ts, int dying)
{
	struct freed *f;

	if (!m->freed && !(m->freed = calloc(FREED_RING, sizeof(*m->freed))))
		return;
	f = &m->freed[m->freed_next];
	if (f->skb) {
		uint32_t *v = map_find(&m->freed_map, f->skb);

		if (v && *v == m->freed_next)
			map_del(&m->freed_map, f->skb);
	}
	f->skb = s->skb;
	f->ts = ts;
	f->dying = dying && m->skbmem_traced;
	f->has_meta = s->has_meta;
	f->meta = s->meta;
	f->slot = s->pkt;
	f->id = s->pkt != NOPKT ? m->pool[s->pkt].id : 0;
	if (map_put(&m->freed_map, s->skb, m->freed_next))
		f->skb = 0;
	m->freed_next = (m->freed_next + 1) % FREED_RING;
}

/* A record of an skb freed less than FREED_NS ago (DYING_NS while its
 * kfree_skbmem record is still to come) that belongs to that free (not a new
 * packet): every record but a META of another packet, an allocator, or
 * nftables' steps (which wait anyway) other than a chain's exit.  A chain's
 * exit at an address with nothing open is the freed packet's: on 6.12 and
 * later nft_do_chain() frees a dropped skb itself and its exit (NF_STOLEN)
 * comes after the DROP record; a new packet on the address enters a chain
 * before it leaves one (given to the next packet, a dropped ping's exit
 * landed in the journey of the ping after it). */
int md_after_free(struct nt_model *m, const struct nt_ev_hdr *h, int role)
{
	uint32_t *v = map_find(&m->freed_map, h->skb);
	struct freed *f;

	if (!v)
		return 0;
	f = &m->freed[*v];
	if (f->skb != h->skb || h->ts_ns < f->ts || h->ts_ns - f->ts > (f->dying ? DYING_NS : FREED_NS) ||
	    role == NT_FROLE_ALLOC || h->type == NT_EV_NFT_RULE ||
	    (h->type == NT_EV_NFT_CHAIN && ((const struct nt_ev_nft_chain *)h)->phase != NT_CHAIN_EXIT))
		return 0;
	if (md_is_skbmem(m, h))
		f->dying = 0; /* the memory is free now: the next record is a new life */
	if (h->type == NT_EV_META) {
		const struct nt_ev_meta *mm = (const void *)h;

		if (!f->has_meta || !md_is_ip(mm) || !md_same_tuple(&f->meta, mm) || f->meta.ip_id != mm->ip_id ||
		    (md_has_l4(mm) && md_has_l4(&f->meta) && f->meta.l4_extra != mm->l4_extra))
			return 0; /* another packet on the address */
	}
	return 1;
}

/* The new META of a fragment's skb after an inferred free is the same
 * datagram again (refragmented: a new IPv6 fragment id, NAT on one address)
 * rather than another packet on the reused address: same protocol, one
 * address equal, and where both carry it the same transport identity (TCP
 * sequence, ICMP id and sequence) and IPv4 id. */
int md_same_datagram(const struct nt_ev_meta *a, const struct nt_ev_meta *b)
{
	unsigned alen = a->l3 == NT_L3_IPV6 ? 16 : 4;

	if (!md_is_ip(a) || a->l3 != b->l3 || a->l4proto != b->l4proto)
		return 0;
	if (!md_is_frag(a) && !md_is_frag(b))
		return 0;
	if (memcmp(a->saddr, b->saddr, alen) && memcmp(a->daddr, b->daddr, alen))
		return 0;
	if (a->l3 == NT_L3_IPV4 && a->ip_id != b->ip_id)
		return 0;
	if (md_has_l4(a) && md_has_l4(b) && a->l4_extra != b->l4_extra)
		return 0;
	return 1;
}

/* End S's packet at an inferred free REC (the address was reused): the
 * steps waiting since its last kernel record that start the new life stay. */
void md_reuse_end(struct nt_model *m, struct skbst *s, const void *rec)
{
	struct nt_packet *p = &m->pool[s->pkt];

	md_flush_pending(m, s, p, md_pend_split(s));
	md_apply(m, p, s, rec, sizeof(struct nt_ev_free));
	md_skb_end(m, s, 1);
}

/* nt_model_event() past its counts, for every record but the common one
 * (md_func_fast): out of line, so that the common record's path saves no
 * registers for it. */
static __attribute__((noinline)) const struct nt_packet *
model_event_rest(struct nt_model *m, const void *rec, size_t len, uint64_t ts)
{
	const struct nt_ev_hdr *h = rec;
	struct nt_packet *p = NULL;
	struct skbst *s;
	int role;

	switch (h->type) {
	case NT_EV_NFT_CHAINDEF:
		md_chain_define(m, rec);
		return NULL;
	case NT_EV_LOSS:
		md_loss_record(m, rec);
		return NULL;
	case NT_EV_COUNT:
		md_count_record(m, rec);
		return NULL;
	case NT_EV_LINK:
		if (!h->skb || !((const struct nt_ev_link *)rec)->parent) {
			m->t.uncorrelated++;
			return NULL;
		}
		p = md_on_link(m, rec, len);
		if (p)
			m->cur = p->slot;
		return p;
	case NT_EV_NFT_CHAIN:
	case NT_EV_NFT_RULE:
		if (!h->skb) {
			m->t.uncorrelated++;
			return NULL;
		}
		if (h->flags & NT_F_SYNTH)
			return md_nft_synth(m, h, len);
		break;
	case NT_EV_CT:
		/* conntrack from a trace message: waits for the skb like its steps */
		if (h->skb && (h->flags & NT_F_SYNTH))
			return md_nft_synth(m, h, len);
		break;
	default:
		if (!h->skb) {
			m->t.uncorrelated += h->type == NT_EV_NFT_RULE;
			return NULL;
		}
		break;
	}

	if (h->type == NT_EV_FUNC || h->type == NT_EV_DROP || h->type == NT_EV_FREE) {
		const struct nt_func_info *f = md_func_placed(m, h->id);

		if (!f) {
			func_layer_of_record(m, h->id); /* named ("func#N") at its first record */
			f = nt_model_func(m, h->id);
		}
		role = h->type == NT_EV_FUNC ? f->role : NT_FROLE_NONE;
	} else {
		role = NT_FROLE_NONE;
	}
	s = md_st_find(m, h->skb);
	if (!s && md_after_free(m, h, role)) {
		m->t.after_free++;
		return NULL;
	}
	/* the end of an skb nobody followed: nothing to end */
	if (!s && (h->type == NT_EV_FREE || h->type == NT_EV_DROP || role == NT_FROLE_FREE))
		return NULL;
	if (!s && !(s = md_st_new(m, h->skb)))
		return NULL;

	if (h->type == NT_EV_FREE && (h->flags & NT_F_DISCARD)) {
		/* the capture filter rejected the packet: drop it silently */
		p = s->pkt != NOPKT ? &m->pool[s->pkt] : NULL;
		s->pend_len = 0;
		md_st_drop(m, s);
		if (p) {
			/* its other skbs (clones), if any, are stale once the slot is
			 * released: forgotten when next seen (no pass over the map per
			 * discarded packet, which a log of many made quadratic) */
			m->t.discarded++;
			m->t.open--;
			if (p->live_skbs > 1)
				md_stale_add(m, p->live_skbs - 1);
			model_pkt_release(m, p->slot);
		}
		return NULL;
	}
	if (s->reuse) {
		/* an inferred free waits for the skb's next record: a META of the
		 * same datagram (refragmented with a new IPv6 id, NATed) cancels it */
		s->reuse = 0;
		if (h->type == NT_EV_META && s->pkt != NOPKT &&
		    md_same_datagram(&s->meta, (const struct nt_ev_meta *)rec)) {
			m->t.reuse_cancelled++;
		} else if (s->pkt != NOPKT) {
			md_reuse_end(m, s, &s->reuse_rec);
			s = md_st_find(m, h->skb);
		}
	}
	if (h->type == NT_EV_FREE && (h->flags & NT_F_INFERRED)) {
		/* the address came back with another packet: the steps waiting
		 * since its last kernel record that start the new life stay */
		p = s->pkt != NOPKT ? &m->pool[s->pkt] : NULL;
		if (!p || !p->id) /* nothing with an identity to end */
			return NULL;
		m->cur = p->slot;
		if (p->n_frags && s->has_meta) { /* a fragment: decided by the next META */
			s->reuse = 1;
			s->reuse_rec = *(const struct nt_ev_free *)rec;
			return p;
		}
		md_reuse_end(m, s, rec);
		return p;
	}
	if (role == NT_FROLE_ALLOC && s->pkt != NOPKT) {
		/* an allocator returned this address: whatever it was is over */
		struct nt_packet *q = &m->pool[s->pkt];

		if (q->n_funcs != q->n_events || q->hop_role != NT_FROLE_ALLOC) {
			md_flush_pending(m, s, q, SIZE_MAX);
			md_skb_end(m, s, 1);
		}
	}

	p = md_pkt_for(m, s, ts);
	if (!p)
		return NULL;
	md_flush_pending(m, s, p, SIZE_MAX);
	if (h->type == NT_EV_META) {
		p = md_on_meta(m, s, p, rec);
	} else if (h->type == NT_EV_DEV) {
		const struct nt_ev_dev *d = rec;

		s->ifindex = d->ifindex;
		if (d->netns)
			s->netns = d->netns;
	}
	md_apply(m, p, s, rec, len);
	m->cur = p->slot;
	if (h->type == NT_EV_FUNC && role == NT_FROLE_ALLOC && p->n_events == p->n_funcs)
		p->hop_role = NT_FROLE_ALLOC;
	if (h->type == NT_EV_DROP) {
		if (!md_frag_release(m, p, s, rec))
			md_drop_seen(p, s, rec);
		md_freed_add(m, s, ts, 1);
		m->linger_ts = h->flags & NT_F_SHARED ? ts : 0;
		md_skb_end(m, s, 0);
		m->linger_ts = 0;
	} else if (h->type == NT_EV_FREE || role == NT_FROLE_FREE) {
		p->free_seen = 1;
		md_freed_add(m, s, ts, !md_is_skbmem(m, h));
		m->linger_ts = h->type == NT_EV_FREE && (h->flags & NT_F_SHARED) ? ts : 0;
		md_skb_end(m, s, 0);
		m->linger_ts = 0;
	}
	return p;
}

const struct nt_packet *nt_model_event(struct nt_model *m, const void *rec, size_t len)
{
	const struct nt_ev_hdr *h = rec;
	struct nt_packet *p;
	uint64_t ts;

	if (m->pending_release >= 0) {
		model_pkt_release(m, (uint32_t)m->pending_release);
		m->pending_release = -1;
	}
	m->cur = -1;
	if (!nt_ev_valid(rec, len)) {
		m->t.bad_records++;
		return NULL;
	}
	ts = h->ts_ns;
	/* chain definitions are applied when read, ahead of the reorder
	 * window: their time says nothing about the packets' */
	if (m->linger_n && ts && h->type != NT_EV_NFT_CHAINDEF)
		model_linger_expire(m, ts);
	m->t.events++;
	m->t.by_type[h->type]++;
	if (ts) {
		if (!m->t.first_ts || ts < m->t.first_ts)
			m->t.first_ts = ts;
		if (ts > m->t.last_ts)
			m->t.last_ts = ts;
		if (m->idle_ns != UINT64_MAX && ts >= m->next_sweep) {
			if (m->next_sweep)
				md_sweep(m, ts);
			/* saturating: near 2^64 the deadline would wrap to the past and
			 * the md_sweep run on every record */
			m->next_sweep = nt_sat_add(ts, m->idle_ns / 4 ? m->idle_ns / 4 : 1);
		}
	}
	if (h->type == NT_EV_FUNC && (p = md_func_fast(m, h, len)))
		return p;
	return model_event_rest(m, rec, len, ts);
}

void nt_model_finish(struct nt_model *m)
{
	uint32_t *open, n = 0;

	if (m->pending_release >= 0) {
		model_pkt_release(m, (uint32_t)m->pending_release);
		m->pending_release = -1;
	}
	m->cur = -1;
	model_linger_expire(m, 0);
	/* waiting steps: to their packet, or uncorrelated */
	for (uint32_t j = 0; j <= m->skb_map.mask; j++) {
		struct skbst *s;

		if (!m->skb_map.keys[j])
			continue;
		s = &m->sk[m->skb_map.vals[j]];
		md_flush_pending(m, s, s->pkt != NOPKT && !md_st_stale(m, s) ? &m->pool[s->pkt] : NULL, SIZE_MAX);
	}
	open = malloc((m->pool_len ? m->pool_len : 1) * sizeof(*open));
	if (!open) {
		m->oom = 1;
		return;
	}
	for (uint32_t i = 0; i < m->pool_len; i++) {
		if (m->pool[i].in_use)
			open[n++] = i;
	}
	qsort_r(open, n, sizeof(*open), md_cmp_slot_id, m->pool);
	for (uint32_t i = 0; i < n; i++) {
		struct nt_packet *p = &m->pool[open[i]];

		p->live_skbs = 0;
		model_pkt_complete(m, p, 1);
		model_pkt_release(m, p->slot);
	}
	free(open);
	for (uint32_t j = 0; j <= m->skb_map.mask; j++)
		if (m->skb_map.keys[j]) {
			md_st_drop(m, &m->sk[m->skb_map.vals[j]]);
			j--;
		}
}

void nt_model_note_order(struct nt_model *m, uint64_t reordered, uint64_t late, uint64_t max_late_ns)
{
	m->t.reordered = reordered;
	m->t.late = late;
	m->t.max_late_ns = max_late_ns;
}

const struct nt_ev_meta *nt_model_skb_meta(const struct nt_model *m, uint64_t skb)
{
	const uint32_t *v = map_find(&m->skb_map, skb);

	return v && m->sk[*v].has_meta ? &m->sk[*v].meta : NULL;
}
