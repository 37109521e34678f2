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
#include "common/sat.h"
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

/* ---- open packets: least recently active first (open_packets limit) ---- */
static void lru_unlink(struct nt_model *m, struct nt_packet *p)
{
	if (!p->in_lru)
		return;
	if (p->lru_prev != NT_LRU_NONE)
		m->pool[p->lru_prev].lru_next = p->lru_next;
	else
		m->lru_head = p->lru_next;
	if (p->lru_next != NT_LRU_NONE)
		m->pool[p->lru_next].lru_prev = p->lru_prev;
	else
		m->lru_tail = p->lru_prev;
	p->in_lru = 0;
}

static void lru_push(struct nt_model *m, struct nt_packet *p)
{
	p->lru_prev = m->lru_tail;
	p->lru_next = NT_LRU_NONE;
	if (m->lru_tail != NT_LRU_NONE)
		m->pool[m->lru_tail].lru_next = p->slot;
	else
		m->lru_head = p->slot;
	m->lru_tail = p->slot;
	p->in_lru = 1;
}

static inline void lru_touch(struct nt_model *m, struct nt_packet *p)
{
	if (p->in_lru && m->lru_tail != p->slot) {
		lru_unlink(m, p);
		lru_push(m, p);
	}
}

/* ---- packets ---- */
#define FLOW_IDLE_MULT 3 /* a flow without packets for 3 x idle_ns is forgotten */

/* IPv4 / IPv6 metadata: the address family and the skb's protocol agree (a
 * recorder that parses an skb that is no IP packet, e.g. a netlink message,
 * gives an address family with protocol 0: no journey) */
static inline int is_ip(const struct nt_ev_meta *mm)
{
	uint16_t e = mm->ethertype;

	if (e == 0x8100 || e == 0x88a8) /* VLAN: the header parsed is behind the tag */
		return mm->l3 == NT_L3_IPV4 || mm->l3 == NT_L3_IPV6;
	return (mm->l3 == NT_L3_IPV4 && e == 0x0800) || (mm->l3 == NT_L3_IPV6 && e == 0x86dd);
}

static inline int is_frag(const struct nt_ev_meta *mm)
{
	return (mm->frag & NT_FRAG_IS) != 0;
}

/* The META carries the transport header (ports, ICMP type): not a fragment
 * past the first one. */
static inline int has_l4(const struct nt_ev_meta *mm)
{
	return !is_frag(mm) || !(mm->frag & NT_FRAG_OFF_MASK);
}

static inline int terminal(int32_t v)
{
	return v >= NT_V_DROP && v <= NT_V_STOP;
}

void model_pkt_complete(struct nt_model *m, struct nt_packet *p, int incomplete);
static void frag_keys_drop(struct nt_model *m, struct nt_packet *p);
void model_pkt_release(struct nt_model *m, uint32_t slot);
static void stale_purge(struct nt_model *m);

/* N skb states became stale: when they are a quarter of the map, one
 * pass over the skb map forgets them (amortized O(1) each; a log of
 * never-freed packets would else keep every one). */
static void stale_add(struct nt_model *m, uint32_t n)
{
	m->nstale += n;
	if (m->nstale >= 4096 && m->nstale >= m->skb_map.count / 4)
		stale_purge(m);
}

/* Close the least recently active open packet as incomplete (the open_packets
 * limit) and free its slot at once: skb states still naming it are stale (the
 * slot's gen moved on), forgotten when next looked up (st_find) or scanned.
 * O(1): no pass over the skb map. */
static void evict_one(struct nt_model *m)
{
	struct nt_packet *p;

	if (m->lru_head == NT_LRU_NONE)
		return;
	p = &m->pool[m->lru_head];
	p->evicted = 1;
	stale_add(m, p->live_skbs);
	p->live_skbs = 0;
	m->t.evicted++;
	nt_limit_hit(&m->lim, NT_LIM_OPEN_PACKETS, 1);
	model_pkt_complete(m, p, 1);
	model_pkt_release(m, p->slot);
}

static struct nt_packet *pkt_new(struct nt_model *m, uint64_t skb, uint64_t ts)
{
	struct nt_packet *p;
	uint32_t slot;

	while (m->t.open >= m->lim.max[NT_LIM_OPEN_PACKETS] && m->lru_head != NT_LRU_NONE && !m->oom)
		evict_one(m);
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
	m->t.open++;
	if (m->t.open > m->t.max_open)
		m->t.max_open = m->t.open;
	lru_push(m, p);
	return p;
}

static void frag_keys_drop(struct nt_model *m, struct nt_packet *p)
{
	for (uint32_t i = 0; i < p->nfkeys; i++) {
		uint32_t *v = map_find(&m->frag_map, p->fkeys[i]);

		if (v && *v == p->slot)
			map_del(&m->frag_map, p->fkeys[i]);
	}
	p->nfkeys = 0;
}

/* A slot's record buffer: a big packet's is not kept for the next one. */
static void ev_trim(struct nt_model *m, struct nt_packet *p)
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

	lru_unlink(m, p);
	frag_keys_drop(m, p);
	p->in_use = 0;
	p->id = 0;
	p->gen++;	/* skb states still naming this life are stale */
	ev_trim(m, p);
	m->free_slots[m->nfree++] = slot;
}

static void fate_decide(struct nt_packet *p, int incomplete)
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
	lru_unlink(m, p);
	p->incomplete = incomplete;
	m->t.open--;
	if (!p->id) {
		m->t.not_ip++;
		return;
	}
	fate_decide(p, incomplete);
	if (incomplete)
		m->t.incomplete++;
	else
		m->t.completed++;
	if (m->o.on_packet)
		m->o.on_packet(m->o.ctx, p);
}

/* ---- skb states ---- */
static void st_drop(struct nt_model *m, struct skbst *s);

/* S names a packet slot whose life it was attached to has ended (closed early
 * by the open_packets limit, or discarded): the packet is gone. */
static inline int st_stale(const struct nt_model *m, const struct skbst *s)
{
	return s->pkt != NOPKT && m->pool[s->pkt].gen != s->pkt_gen;
}

static struct skbst *st_find(struct nt_model *m, uint64_t skb)
{
	uint32_t *v = map_find(&m->skb_map, skb);
	struct skbst *s;

	if (!v)
		return NULL;
	s = &m->sk[*v];
	if (st_stale(m, s)) {
		/* its packet was closed early (open_packets limit): a new life */
		if (m->nstale)
			m->nstale--;
		s->pkt = NOPKT;
		st_drop(m, s);
		return NULL;
	}
	return s;
}

static struct skbst *st_new(struct nt_model *m, uint64_t skb)
{
	struct skbst *s;
	uint32_t i;

	if (m->skb_map.count >= m->lim.max[NT_LIM_SKBS]) {
		/* stale states first (no caller holds one); then the limit */
		if (m->nstale)
			stale_purge(m);
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
static void st_drop(struct nt_model *m, struct skbst *s)
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

static void attach(struct nt_model *m, struct nt_packet *p, struct skbst *s)
{
	s->pkt = p->slot;
	s->pkt_gen = p->gen;
	p->live_skbs++;
	skv_add(m, p, (uint32_t)(s - m->sk));
}

/* SKB leaves its packet (freed, dropped, moved): the packet completes when it
 * was its last skb.  The skb state is forgotten unless keep_state. */
static void skb_end(struct nt_model *m, struct skbst *s, int keep_state)
{
	struct nt_packet *p = s->pkt != NOPKT ? &m->pool[s->pkt] : NULL;

	s->pkt = NOPKT;
	if (!keep_state) {
		st_drop(m, s);
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

/* ---- flows: a packet's flow, replies tied to it ---- */
/* A 64-bit key of an address: the 16 bytes (IPv4: the first 4, the rest 0)
 * folded with a multiply-xorshift; fast, not cryptographic (keys of the
 * model's own tables). */
static inline uint64_t addr_fold(const uint8_t *a, int v6)
{
	uint64_t x, y = 0;

	memcpy(&x, a, 8);
	if (v6)
		memcpy(&y, a + 8, 8);
	else
		x &= 0xffffffffull;
	return mix64(x ^ mix64(y + 0x9e3779b97f4a7c15ull));
}

static uint64_t tuple_key(const struct nt_ev_meta *mm, int reverse)
{
	int v6 = mm->l3 == NT_L3_IPV6;
	const uint8_t *a = reverse ? mm->daddr : mm->saddr, *b = reverse ? mm->saddr : mm->daddr;
	uint64_t pa = reverse ? mm->dport : mm->sport, pb = reverse ? mm->sport : mm->dport, h;

	if (mm->l4proto == 1 || mm->l4proto == 58) { /* echo: id both ways */
		unsigned t = mm->sport >> 8;

		if (!(t == 0 || t == 8 || t == 128 || t == 129))
			return 0;
		pa = pb = mm->dport;
	}
	h = mix64(addr_fold(a, v6) * 31 + addr_fold(b, v6));
	h = mix64(h ^ (pa << 40 | pb << 24 | (uint64_t)mm->l4proto << 8 | mm->l3));
	return h ? h : 1;
}

static void flow_key_add(struct nt_model *m, uint32_t fi, uint64_t key, int dir)
{
	struct flow *f = &m->flows[fi];

	if (!key || map_find(&m->flow_map, key) || f->nkeys == FLOW_KEYS)
		return;
	if (!map_put(&m->flow_map, key, fi << 1 | (dir & 1)))
		f->keys[f->nkeys++] = key;
}

static void flow_free(struct nt_model *m, uint32_t fi)
{
	struct flow *f = &m->flows[fi];

	for (uint32_t i = 0; i < f->nkeys; i++) {
		uint32_t *v = map_find(&m->flow_map, f->keys[i]);

		if (v && *v >> 1 == fi)
			map_del(&m->flow_map, f->keys[i]);
	}
	f->first_id = 0;
	f->nkeys = 0;
	f->next_free = m->flow_free;
	m->flow_free = fi + 1;
}

/* The packet's flow from its first META: the flow whose tuple (or a
 * translation of it) it has, or whose reverse it has; else a new flow. */
static void flow_join(struct nt_model *m, struct nt_packet *p, uint64_t ts)
{
	uint64_t k = tuple_key(&p->meta, 0), rk = tuple_key(&p->meta, 1);
	uint32_t *v = k ? map_find(&m->flow_map, k) : NULL, fi;

	p->flow_packet = p->id;
	if (!k)
		return;
	if (v) {
		fi = *v >> 1;
		p->reply = *v & 1;
	} else if ((v = map_find(&m->flow_map, rk))) {
		fi = *v >> 1;
		p->reply = !(*v & 1);
	} else {
		if (m->flow_free) {
			fi = m->flow_free - 1;
			m->flow_free = m->flows[fi].next_free;
		} else {
			if (m->nflows == m->flows_cap) {
				uint32_t cap = m->flows_cap ? m->flows_cap * 2 : 256;
				struct flow *n;

				if (cap > (1u << 30))
					return;
				n = realloc(m->flows, cap * sizeof(*n));
				if (!n)
					return;
				m->flows = n;
				m->flows_cap = cap;
			}
			fi = m->nflows++;
		}
		memset(&m->flows[fi], 0, sizeof(m->flows[fi]));
		m->flows[fi].first_id = p->id;
		flow_key_add(m, fi, k, 0);
	}
	p->flow_packet = m->flows[fi].first_id;
	m->flows[fi].last_ts = ts;
}

/* A translated tuple of packet P (NAT): replies to it belong to its flow. */
static void flow_translated(struct nt_model *m, struct nt_packet *p, const struct nt_ev_meta *mm,
			   uint64_t ts)
{
	uint64_t k0 = tuple_key(&p->meta, 0), k = tuple_key(mm, 0);
	uint32_t *v = k0 ? map_find(&m->flow_map, k0) : NULL;

	if (!v || !k)
		return;
	flow_key_add(m, *v >> 1, k, p->reply);
	m->flows[*v >> 1].last_ts = ts;
}

/* ---- fragments: one datagram, one packet ---- */
/* Keys of a META's fragment group: protocol + fragment id + the source, and
 * the same with the destination (NAT changes only one of them).  IPv4
 * datagrams that are not fragments register theirs too (their fragments
 * carry the same id); IPv6 ones have no id before fragmentation. */
static int frag_keys(const struct nt_ev_meta *mm, uint64_t k[2])
{
	uint32_t id = mm->frag_id;
	int v6 = mm->l3 == NT_L3_IPV6;

	if (mm->l3 == NT_L3_IPV4 && !id)
		id = mm->ip_id;
	if (!id || !is_ip(mm) || (v6 && !is_frag(mm)))
		return 0;
	for (int d = 0; d < 2; d++) {
		uint64_t h = mix64(addr_fold(d ? mm->daddr : mm->saddr, v6) ^
				   ((uint64_t)id << 24 | (uint64_t)mm->l4proto << 16 | mm->l3 << 8 | (d ? 'D' : 'S')));

		k[d] = h ? h : 1;
	}
	return 2;
}

static void frag_register(struct nt_model *m, struct nt_packet *p, const struct nt_ev_meta *mm)
{
	uint64_t k[2];
	int n = frag_keys(mm, k);

	for (int i = 0; i < n; i++) {
		uint32_t *v = map_find(&m->frag_map, k[i]);
		int known = 0;

		if (v && *v == p->slot)
			continue;
		for (uint32_t j = 0; j < p->nfkeys; j++)
			known |= p->fkeys[j] == k[i];
		if (p->nfkeys == sizeof(p->fkeys) / sizeof(p->fkeys[0]) && !known)
			continue;
		if (!map_put(&m->frag_map, k[i], p->slot) && !known)
			p->fkeys[p->nfkeys++] = k[i];
	}
}

/* The open journey of a fragment's datagram, NULL if none. */
static struct nt_packet *frag_group(struct nt_model *m, const struct nt_ev_meta *mm)
{
	uint64_t k[2];
	int n = is_frag(mm) ? frag_keys(mm, k) : 0;

	for (int i = 0; i < n; i++) {
		uint32_t *v = map_find(&m->frag_map, k[i]);

		if (v && m->pool[*v].in_use && m->pool[*v].id)
			return &m->pool[*v];
	}
	return NULL;
}

/* Keep records REC[0..LEN) of P for output, within the packet_records and
 * kept_bytes limits (the records past them are counted, not kept). */
static void keep(struct nt_model *m, struct nt_packet *p, const void *rec, size_t len)
{
	uint64_t nrec = 0;

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
	memcpy(p->ev + p->ev_len, rec, len);
	p->ev_len += len;
	p->n_kept += nrec;
	if (((const struct nt_ev_hdr *)rec)->ts_ns > p->kept_last_ts) /* mergerec.c */
		p->kept_last_ts = ((const struct nt_ev_hdr *)rec)->ts_ns;
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

/* Packet Q (not a journey yet) joins journey P: its skbs, records, counts. */
static void pkt_merge(struct nt_model *m, struct nt_packet *p, struct nt_packet *q)
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
		set_verdict(p, q->verdict, q->verdict_chain, q->verdict_rule, q->verdict_kind);
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
	lru_unlink(m, q);
	frag_keys_drop(m, q);
	q->in_use = 0;
	ev_trim(m, q);
	m->free_slots[m->nfree++] = q->slot;
}

/* Layer index of the socket queue row of the time per layer. */
static int sockq_layer(struct nt_model *m)
{
	if (m->sockq_layer < 0)
		m->sockq_layer = model_layer_intern(m, "Socket queue");
	return m->sockq_layer;
}

static int hook_rank(uint8_t hook)
{
	switch (hook) {
	case NT_HOOK_INGRESS: return 0;
	case NT_HOOK_PREROUTING: case NT_HOOK_OUTPUT: return 1;
	case NT_HOOK_INPUT: case NT_HOOK_FORWARD: return 2;
	case NT_HOOK_POSTROUTING: return 3;
	default: return -1;
	}
}

static uint8_t nft_hook_of(const struct nt_ev_hdr *h)
{
	return h->type == NT_EV_NFT_RULE ? ((const struct nt_ev_nft_rule *)h)->hook :
	       h->type == NT_EV_NFT_CHAIN ? ((const struct nt_ev_nft_chain *)h)->hook : NT_HOOK_NONE;
}

static int is_copy_to_user(const struct nt_func_info *f)
{
	return strstr(f->name, "copy_datagram") != NULL;
}

/* Apply one record to packet P (its skb state S). */
static void apply(struct nt_model *m, struct nt_packet *p, struct skbst *s, const void *rec, size_t len)
{
	const struct nt_ev_hdr *h = rec;
	uint64_t ts = h->ts_ns;
	const struct nt_func_info *f = NULL;
	int first_copy = 0;

	if (h->type == NT_EV_FUNC) {
		f = nt_model_func(m, h->id);
		if (f->layer < 0) {
			func_layer_of_record(m, h->id);
			f = nt_model_func(m, h->id);
		}
		if (f->role == NT_FROLE_DELIVER && !p->deliver_seen && is_copy_to_user(f))
			first_copy = 1;
	}
	/* time in layer: from a FUNC record of layer L to the packet's next
	 * record.  From its delivery to a socket on, the time is the socket
	 * queue's (a copy to the user as first sign of delivery: the wait
	 * before it too).  An inferred FREE (NT_F_INFERRED: the free was not
	 * seen, the recorder noticed the address reused) carries the time of
	 * the reuse, not of the free: it neither ends a layer interval nor
	 * extends the packet. */
	if (h->type == NT_EV_FREE && (h->flags & NT_F_INFERRED)) {
		p->last_layer = -1;
	} else {
		if (p->last_layer >= 0 && ts >= p->last_func_ts) {
			int l = first_copy ? sockq_layer(m) : p->last_layer;

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
	if (m->o.keep_events)
		keep(m, p, rec, len);
	lru_touch(m, p);
	if (s && ts > s->last_ts)
		s->last_ts = ts;

	switch (h->type) {
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
			layer = sockq_layer(m);
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
		else if (c->depth == 0 && terminal(c->verdict) &&
			 !(p->verdict == c->verdict && p->verdict_chain && p->verdict_kind))
			/* a chain exit does not take the attribution from the rule /
			 * policy record that gave the same verdict */
			set_verdict(p, c->verdict, c->chain_key, 0, 0);
		break;
	}
	case NT_EV_CT:
		ctconn_note(m, p, rec);
		break;
	case NT_EV_NFT_RULE: {
		const struct nt_ev_nft_rule *r = rec;

		p->n_rules++;
		if (r->kind == NT_RULE_KIND_POLICY || (r->kind == NT_RULE_KIND_RULE && terminal(r->verdict)))
			p->n_rule_runs++;
		if (terminal(r->verdict))
			set_verdict(p, r->verdict, r->chain_key, r->kind == NT_RULE_KIND_RULE ? r->rule_handle : 0,
				    r->kind);
		break;
	}
	default:
		break;
	}
}

/* A step of a chain of another namespace than the one the skb is in: the
 * skb cannot have left it without a kernel record, so the step is another
 * packet's (the recorder matched it to the wrong skb). */
static int step_elsewhere(const struct nt_model *m, const struct skbst *s, const struct nt_ev_hdr *h)
{
	uint64_t key = h->type == NT_EV_NFT_RULE ? ((const struct nt_ev_nft_rule *)h)->chain_key :
		       h->type == NT_EV_NFT_CHAIN ? ((const struct nt_ev_nft_chain *)h)->chain_key : 0;
	const struct nt_ev_nft_chaindef *d = key ? nt_model_chain(m, key) : NULL;

	return s->netns && d && d->netns && d->netns != s->netns;
}

/* The skb's waiting nftables trace records go to packet P (in time order,
 * before the record that confirms them). */
static void flush_pending(struct nt_model *m, struct skbst *s, struct nt_packet *p, size_t upto)
{
	size_t off = 0;

	if (!s->pend_len)
		return;
	if (upto > s->pend_len)
		upto = s->pend_len;
	while (off + sizeof(struct nt_ev_hdr) <= upto) {
		const struct nt_ev_hdr *h = (const void *)(s->pend + off);
		size_t len = nt_ev_len(h);

		if (p && !step_elsewhere(m, s, h))
			apply(m, p, s, h, len);
		else
			m->t.uncorrelated++;
		off += len;
	}
	memmove(s->pend, s->pend + off, s->pend_len - off);
	s->pend_len -= (uint32_t)off;
}

static int pend_add(struct skbst *s, const void *rec, size_t len)
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
static size_t pend_split(const struct skbst *s)
{
	size_t off = 0, split = SIZE_MAX, first = 1;
	int prev = -1;

	while (off + sizeof(struct nt_ev_hdr) <= s->pend_len) {
		const struct nt_ev_hdr *h = (const void *)(s->pend + off);
		uint8_t hook = nft_hook_of(h);
		int r = hook_rank(hook);

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
static struct nt_packet *pkt_for(struct nt_model *m, struct skbst *s, uint64_t ts)
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
		p = pkt_new(m, s->skb, ts);
		if (!p)
			return NULL;
		attach(m, p, s);
	}
	return p;
}

static int same_tuple(const struct nt_ev_meta *a, const struct nt_ev_meta *b)
{
	unsigned alen = a->l3 == NT_L3_IPV6 ? 16 : 4;

	if (a->l3 != b->l3 || a->l4proto != b->l4proto || memcmp(a->saddr, b->saddr, alen) ||
	    memcmp(a->daddr, b->daddr, alen))
		return 0;
	if (!has_l4(a) || !has_l4(b))
		return 1;
	if (a->l4proto == 1 || a->l4proto == 58)
		return a->dport == b->dport; /* echo id */
	return a->sport == b->sport && a->dport == b->dport;
}

/* A META of skb S in packet P. */
static struct nt_packet *on_meta(struct nt_model *m, struct skbst *s, struct nt_packet *p,
				 const struct nt_ev_meta *mm)
{
	int was_frag = s->has_meta && s->is_frag;

	s->ifindex = mm->ifindex;
	if (mm->netns) /* 0: not known there (socket level): still where it was */
		s->netns = mm->netns;
	if (!is_ip(mm)) {
		s->meta = *mm;
		s->has_meta = 1;
		s->is_frag = 0;
		return p;
	}
	if (is_frag(mm) && !p->id) {
		/* a fragment of a datagram whose journey is open: it joins it */
		struct nt_packet *g = frag_group(m, mm);

		if (g && g != p) {
			pkt_merge(m, g, p);
			s->pkt = g->slot;
			s->pkt_gen = g->gen;
			p = g;
		}
	}
	if (!p->id) {
		p->id = ++m->t.packets;
		p->meta = p->last_meta = *mm;
		p->has_meta = 1;
		flow_join(m, p, mm->h.ts_ns);
	} else if (s->has_meta && is_ip(&s->meta) && !same_tuple(&s->meta, mm)) {
		p->n_nat++;
		flow_translated(m, p, mm, mm->h.ts_ns);
	}
	if (p->has_meta && !has_l4(&p->meta) && has_l4(mm) && same_tuple(&p->meta, mm))
		p->meta = *mm; /* the first META was a fragment without ports */
	if (has_l4(mm) || !same_tuple(&p->last_meta, mm))
		p->last_meta = *mm;
	if (is_frag(mm) && !s->was_frag) {
		p->n_frags++;
		s->was_frag = 1;
	}
	if (was_frag && !is_frag(mm))
		p->reassembled = 1;
	frag_register(m, p, mm);
	s->meta = *mm;
	s->has_meta = 1;
	s->is_frag = is_frag(mm);
	return p;
}

/* A DROP that is no drop of the packet: an skb freed with the skb it was
 * chained to (skb_release_data frees the fragment list of a reassembled
 * datagram or a GRO packet with the head's reason, NOT_SPECIFIED for
 * __kfree_skb); known by the location's symbol, or for a fragment of a
 * reassembled datagram by the reason. */
static int frag_release(struct nt_model *m, const struct nt_packet *p, const struct skbst *s,
			const struct nt_ev_drop *d)
{
	const char *rn = nt_model_drop_reason(m, d->reason);
	char sym[160];

	if (!strncmp(nt_model_symbolize(m, d->location, sym, sizeof(sym)), "skb_release_data+", 17))
		return 1; /* (whatever chained it: the head's own record tells) */
	return s->is_frag && p->reassembled && rn && !strcmp(rn, "NOT_SPECIFIED");
}

static void drop_seen(struct nt_packet *p, struct skbst *s, const struct nt_ev_drop *d)
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

static void loss_update(struct nt_model *m, uint32_t src, uint32_t cpu, uint32_t id, uint64_t count,
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
static void loss_record(struct nt_model *m, const struct nt_ev_loss *l)
{
	uint64_t *tot;

	switch (l->source) {
	case NT_LOSS_RINGBUF: tot = &m->t.lost_ringbuf; break;
	case NT_LOSS_NETLINK: tot = &m->t.lost_netlink; break;
	case NT_LOSS_USER: tot = &m->t.lost_user; break;
	case NT_LOSS_NFTRACE_RING: tot = &m->t.lost_nftrace_ring; break;
	default: return;
	}
	loss_update(m, l->source, l->h.cpu, l->h.id, l->count, tot);
}

static void count_record(struct nt_model *m, const struct nt_ev_count *c)
{
	uint64_t *tot;

	switch (c->counter) {
	case NT_CNT_NFT_UNMATCHED: tot = &m->t.nft_unmatched; break;
	case NT_CNT_LATE: tot = &m->t.written_late; break;
	default: return;
	}
	loss_update(m, 64 + c->counter, c->h.cpu, c->h.id, c->value, tot);
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

static int cmp_slot_id(const void *a, const void *b, void *ctx)
{
	const struct nt_packet *pool = ctx;
	uint64_t x = pool[*(const uint32_t *)a].id, y = pool[*(const uint32_t *)b].id;

	return x < y ? -1 : x > y;
}

/* Complete packets idle for more than idle_ns before NOW as expired (their
 * waiting steps first); forget skbs with only waiting steps as old, and
 * flows without packets for FLOW_IDLE_MULT x idle_ns. */
static void sweep(struct nt_model *m, uint64_t now)
{
	uint32_t n = 0, *exp;

	for (uint32_t j = 0; j <= m->skb_map.mask; j++) {
		struct skbst *s;

		if (!m->skb_map.keys[j])
			continue;
		s = &m->sk[m->skb_map.vals[j]];
		if (st_stale(m, s)) {
			s->pkt = NOPKT;
			st_drop(m, s);
			j--;
		} else if (s->pkt == NOPKT && now > s->last_ts && now - s->last_ts > m->idle_ns) {
			st_drop(m, s);
			j--; /* backward shift may have moved another entry here */
		}
	}
	m->nstale = 0;
	for (uint32_t i = 0; i < m->nflows; i++)
		if (m->flows[i].first_id && now > m->flows[i].last_ts &&
		    now - m->flows[i].last_ts > FLOW_IDLE_MULT * m->idle_ns)
			flow_free(m, i);
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
				flush_pending(m, s, &m->pool[s->pkt], SIZE_MAX);
				st_drop(m, s);
				j--;
			}
		}
		qsort_r(exp, n, sizeof(*exp), cmp_slot_id, m->pool);
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

/* A record of the nftables trace (NT_F_SYNTH): waits for the skb's next
 * record from the kernel.  Returns the packet the skb is in now. */
static const struct nt_packet *nft_synth(struct nt_model *m, const struct nt_ev_hdr *h, size_t len)
{
	struct skbst *s = st_find(m, h->skb);

	if (!s && !(s = st_new(m, h->skb))) {
		m->t.uncorrelated++;
		return NULL;
	}
	if (pend_add(s, h, len)) {
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
static struct nt_packet *on_link(struct nt_model *m, const struct nt_ev_link *l, size_t len)
{
	const struct nt_ev_hdr *h = &l->h;
	struct skbst *ps = st_find(m, l->parent), *cs;
	struct nt_packet *p;

	p = l->kind == NT_LINK_HEAD ? model_linger_find(m, l->parent, h->ts_ns) : NULL;
	cs = st_find(m, h->skb);
	if (p || (!ps && !cs)) {
		/* the parent was freed: a clone no probe saw (ping / raw socket)
		 * joins the packet lingering for it (even when the address has a
		 * new packet already; an old life of the clone's address whose
		 * free was not seen ends); else it is a packet of its own (the
		 * parent's address is not brought back to life) */
		if (cs && cs->pkt != NOPKT) {
			flush_pending(m, cs, &m->pool[cs->pkt], SIZE_MAX);
			skb_end(m, cs, 1);
		}
		if (!cs && !(cs = st_new(m, h->skb)))
			return NULL;
		if (p) {
			const struct freed *f = &m->freed[*map_find(&m->freed_map, l->parent)];

			p->lingering = 0;
			attach(m, p, cs);
			cs->meta = f->meta;
			cs->has_meta = f->has_meta;
			cs->ifindex = f->meta.ifindex;
			cs->netns = f->meta.netns;
			p->n_branches++;
		} else if (!(p = pkt_for(m, cs, h->ts_ns))) {
			return NULL;
		}
		apply(m, p, cs, l, len);
		return p;
	}
	if (!ps && !(ps = st_new(m, l->parent)))
		return NULL;
	p = pkt_for(m, ps, h->ts_ns);
	if (!p)
		return NULL;
	flush_pending(m, ps, p, SIZE_MAX);
	cs = l->parent == h->skb ? ps : st_find(m, h->skb);
	if (cs && cs != ps && cs->pkt != p->slot) {
		/* the child had a packet of its own: it leaves it */
		if (cs->pkt != NOPKT) {
			struct nt_packet *q = &m->pool[cs->pkt];

			flush_pending(m, cs, q, SIZE_MAX);
			skb_end(m, cs, 1);
		}
		/* steps that waited for it are the parent packet's */
		flush_pending(m, cs, p, SIZE_MAX);
	}
	if (!cs && !(cs = st_new(m, h->skb)))
		return NULL;
	ps = st_find(m, l->parent); /* st_new may have moved the table */
	if (cs != ps && cs->pkt != p->slot) {
		attach(m, p, cs);
		cs->ifindex = ps->ifindex;
		cs->netns = ps->netns;
		cs->meta = ps->meta;
		cs->has_meta = ps->has_meta;
		cs->is_frag = ps->is_frag;
	}
	apply(m, p, cs, l, len);
	if (l->kind == NT_LINK_REALLOC && l->parent != h->skb) {
		if (ps->pkt == p->slot)
			p->live_skbs--;
		ps->pkt = NOPKT;
		st_drop(m, ps);
	} else if (cs != ps) {
		p->n_branches++;
	}
	return p;
}

/* Remember skb S freed at TS (with its identity). */
static void freed_add(struct nt_model *m, const struct skbst *s, uint64_t ts)
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
	f->has_meta = s->has_meta;
	f->meta = s->meta;
	f->slot = s->pkt;
	f->id = s->pkt != NOPKT ? m->pool[s->pkt].id : 0;
	if (map_put(&m->freed_map, s->skb, m->freed_next))
		f->skb = 0;
	m->freed_next = (m->freed_next + 1) % FREED_RING;
}

/* A record of an skb freed less than FREED_NS ago that belongs to that
 * free (not a new packet): every record but a META of another packet, an
 * allocator, or nftables' steps (which wait anyway). */
static int after_free(struct nt_model *m, const struct nt_ev_hdr *h, int role)
{
	uint32_t *v = map_find(&m->freed_map, h->skb);
	const struct freed *f;

	if (!v)
		return 0;
	f = &m->freed[*v];
	if (f->skb != h->skb || h->ts_ns < f->ts || h->ts_ns - f->ts > FREED_NS || role == NT_FROLE_ALLOC ||
	    h->type == NT_EV_NFT_RULE || h->type == NT_EV_NFT_CHAIN)
		return 0;
	if (h->type == NT_EV_META) {
		const struct nt_ev_meta *mm = (const void *)h;

		if (!f->has_meta || !is_ip(mm) || !same_tuple(&f->meta, mm) || f->meta.ip_id != mm->ip_id ||
		    (has_l4(mm) && has_l4(&f->meta) && f->meta.l4_extra != mm->l4_extra))
			return 0; /* another packet on the address */
	}
	return 1;
}

/* The new META of a fragment's skb after an inferred free is the same
 * datagram again (refragmented: a new IPv6 fragment id, NAT on one address)
 * rather than another packet on the reused address: same protocol, one
 * address equal, and where both carry it the same transport identity (TCP
 * sequence, ICMP id and sequence) and IPv4 id. */
static int same_datagram(const struct nt_ev_meta *a, const struct nt_ev_meta *b)
{
	unsigned alen = a->l3 == NT_L3_IPV6 ? 16 : 4;

	if (!is_ip(a) || a->l3 != b->l3 || a->l4proto != b->l4proto)
		return 0;
	if (!is_frag(a) && !is_frag(b))
		return 0;
	if (memcmp(a->saddr, b->saddr, alen) && memcmp(a->daddr, b->daddr, alen))
		return 0;
	if (a->l3 == NT_L3_IPV4 && a->ip_id != b->ip_id)
		return 0;
	if (has_l4(a) && has_l4(b) && a->l4_extra != b->l4_extra)
		return 0;
	return 1;
}

/* End S's packet at an inferred free REC (the address was reused): the
 * steps waiting since its last kernel record that start the new life stay. */
static void reuse_end(struct nt_model *m, struct skbst *s, const void *rec)
{
	struct nt_packet *p = &m->pool[s->pkt];

	flush_pending(m, s, p, pend_split(s));
	apply(m, p, s, rec, sizeof(struct nt_ev_free));
	skb_end(m, s, 1);
}

const struct nt_packet *nt_model_event(struct nt_model *m, const void *rec, size_t len)
{
	const struct nt_ev_hdr *h = rec;
	struct nt_packet *p = NULL;
	struct skbst *s;
	uint64_t ts;
	int role;

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
				sweep(m, ts);
			/* saturating: near 2^64 the deadline would wrap to the past and
			 * the sweep run on every record */
			m->next_sweep = nt_sat_add(ts, m->idle_ns / 4 ? m->idle_ns / 4 : 1);
		}
	}
	switch (h->type) {
	case NT_EV_NFT_CHAINDEF:
		chain_define(m, rec);
		return NULL;
	case NT_EV_LOSS:
		loss_record(m, rec);
		return NULL;
	case NT_EV_COUNT:
		count_record(m, rec);
		return NULL;
	case NT_EV_LINK:
		if (!h->skb || !((const struct nt_ev_link *)rec)->parent) {
			m->t.uncorrelated++;
			return NULL;
		}
		p = on_link(m, rec, len);
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
			return nft_synth(m, h, len);
		break;
	case NT_EV_CT:
		/* conntrack from a trace message: waits for the skb like its steps */
		if (h->skb && (h->flags & NT_F_SYNTH))
			return nft_synth(m, h, len);
		break;
	default:
		if (!h->skb) {
			m->t.uncorrelated += h->type == NT_EV_NFT_RULE;
			return NULL;
		}
		break;
	}

	if (h->type == NT_EV_FUNC || h->type == NT_EV_DROP || h->type == NT_EV_FREE)
		func_layer_of_record(m, h->id); /* named ("func#N") at its first record */
	role = h->type == NT_EV_FUNC ? nt_model_func(m, h->id)->role : NT_FROLE_NONE;
	s = st_find(m, h->skb);
	if (!s && after_free(m, h, role)) {
		m->t.after_free++;
		return NULL;
	}
	/* the end of an skb nobody followed: nothing to end */
	if (!s && (h->type == NT_EV_FREE || h->type == NT_EV_DROP || role == NT_FROLE_FREE))
		return NULL;
	if (!s && !(s = st_new(m, h->skb)))
		return NULL;

	if (h->type == NT_EV_FREE && (h->flags & NT_F_DISCARD)) {
		/* the capture filter rejected the packet: drop it silently */
		p = s->pkt != NOPKT ? &m->pool[s->pkt] : NULL;
		s->pend_len = 0;
		st_drop(m, s);
		if (p) {
			/* its other skbs (clones), if any, are stale once the slot is
			 * released: forgotten when next seen (no pass over the map per
			 * discarded packet, which a log of many made quadratic) */
			m->t.discarded++;
			m->t.open--;
			if (p->live_skbs > 1)
				stale_add(m, p->live_skbs - 1);
			model_pkt_release(m, p->slot);
		}
		return NULL;
	}
	if (s->reuse) {
		/* an inferred free waits for the skb's next record: a META of the
		 * same datagram (refragmented with a new IPv6 id, NATed) cancels it */
		s->reuse = 0;
		if (h->type == NT_EV_META && s->pkt != NOPKT &&
		    same_datagram(&s->meta, (const struct nt_ev_meta *)rec)) {
			m->t.reuse_cancelled++;
		} else if (s->pkt != NOPKT) {
			reuse_end(m, s, &s->reuse_rec);
			s = st_find(m, h->skb);
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
		reuse_end(m, s, rec);
		return p;
	}
	if (role == NT_FROLE_ALLOC && s->pkt != NOPKT) {
		/* an allocator returned this address: whatever it was is over */
		struct nt_packet *q = &m->pool[s->pkt];

		if (q->n_funcs != q->n_events || q->hop_role != NT_FROLE_ALLOC) {
			flush_pending(m, s, q, SIZE_MAX);
			skb_end(m, s, 1);
		}
	}

	p = pkt_for(m, s, ts);
	if (!p)
		return NULL;
	flush_pending(m, s, p, SIZE_MAX);
	if (h->type == NT_EV_META) {
		p = on_meta(m, s, p, rec);
	} else if (h->type == NT_EV_DEV) {
		const struct nt_ev_dev *d = rec;

		s->ifindex = d->ifindex;
		if (d->netns)
			s->netns = d->netns;
	}
	apply(m, p, s, rec, len);
	m->cur = p->slot;
	if (h->type == NT_EV_FUNC && role == NT_FROLE_ALLOC && p->n_events == p->n_funcs)
		p->hop_role = NT_FROLE_ALLOC;
	if (h->type == NT_EV_DROP) {
		if (!frag_release(m, p, s, rec))
			drop_seen(p, s, rec);
		freed_add(m, s, ts);
		m->linger_ts = h->flags & NT_F_SHARED ? ts : 0;
		skb_end(m, s, 0);
		m->linger_ts = 0;
	} else if (h->type == NT_EV_FREE || role == NT_FROLE_FREE) {
		p->free_seen = 1;
		freed_add(m, s, ts);
		m->linger_ts = h->type == NT_EV_FREE && (h->flags & NT_F_SHARED) ? ts : 0;
		skb_end(m, s, 0);
		m->linger_ts = 0;
	}
	return p;
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
		flush_pending(m, s, s->pkt != NOPKT && !st_stale(m, s) ? &m->pool[s->pkt] : NULL, SIZE_MAX);
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
	qsort_r(open, n, sizeof(*open), cmp_slot_id, m->pool);
	for (uint32_t i = 0; i < n; i++) {
		struct nt_packet *p = &m->pool[open[i]];

		p->live_skbs = 0;
		model_pkt_complete(m, p, 1);
		model_pkt_release(m, p->slot);
	}
	free(open);
	for (uint32_t j = 0; j <= m->skb_map.mask; j++)
		if (m->skb_map.keys[j]) {
			st_drop(m, &m->sk[m->skb_map.vals[j]]);
			j--;
		}
}

static void stale_purge(struct nt_model *m)
{
	for (uint32_t j = 0; j <= m->skb_map.mask; j++) {
		struct skbst *s;

		if (!m->skb_map.keys[j])
			continue;
		s = &m->sk[m->skb_map.vals[j]];
		if (st_stale(m, s)) {
			s->pkt = NOPKT;
			st_drop(m, s);
			j--; /* backward shift may have moved another entry here */
		}
	}
	m->nstale = 0;
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
