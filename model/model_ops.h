/* SPDX-License-Identifier: GPL-2.0 */
/* model_ops.h - the functions the model's files (model.c, model_pkt.c,
 * model_flow.c, model_apply.c, model_acct.c) call across each other, and
 * their small inline helpers.  Private to model/. */
#ifndef NT_MODEL_OPS_H
#define NT_MODEL_OPS_H

#include <stdint.h>
#include <string.h>

#include "common/hash.h"
#include "model/model_int.h"

const struct nt_packet *md_nft_synth(struct nt_model *m, const struct nt_ev_hdr *h, size_t len);
struct nt_packet *md_on_link(struct nt_model *m, const struct nt_ev_link *l, size_t len);
void md_freed_add(struct nt_model *m, const struct skbst *s, uint64_t ts, int dying);
int md_after_free(struct nt_model *m, const struct nt_ev_hdr *h, int role);
int md_is_skbmem(struct nt_model *m, const struct nt_ev_hdr *h);
int md_same_datagram(const struct nt_ev_meta *a, const struct nt_ev_meta *b);
void md_reuse_end(struct nt_model *m, struct skbst *s, const void *rec);
void md_stale_add(struct nt_model *m, uint32_t n);
void md_evict_one(struct nt_model *m);
struct nt_packet *md_pkt_new(struct nt_model *m, uint64_t skb, uint64_t ts);
void md_frag_keys_drop(struct nt_model *m, struct nt_packet *p);
void md_ev_trim(struct nt_model *m, struct nt_packet *p);
void md_fate_decide(struct nt_packet *p, int incomplete);
struct skbst *md_st_find_stale(struct nt_model *m, struct skbst *s);
struct skbst *md_st_new(struct nt_model *m, uint64_t skb);
void md_st_drop(struct nt_model *m, struct skbst *s);
void md_attach(struct nt_model *m, struct nt_packet *p, struct skbst *s);
void md_skb_end(struct nt_model *m, struct skbst *s, int keep_state);
void md_keep(struct nt_model *m, struct nt_packet *p, const void *rec, size_t len);
void md_set_verdict(struct nt_packet *p, int32_t v, uint64_t chain, uint64_t rule, int kind);
void md_pkt_merge(struct nt_model *m, struct nt_packet *p, struct nt_packet *q);
void md_stale_purge(struct nt_model *m);
uint64_t md_tuple_key(const struct nt_ev_meta *mm, int reverse);
void md_flow_key_add(struct nt_model *m, uint32_t fi, uint64_t key, int dir);
void md_flow_free(struct nt_model *m, uint32_t fi);
void md_flow_join(struct nt_model *m, struct nt_packet *p, uint64_t ts);
void md_flow_translated(struct nt_model *m, struct nt_packet *p, const struct nt_ev_meta *mm,
		    uint64_t ts);
int md_frag_keys(const struct nt_ev_meta *mm, uint64_t k[2]);
void md_frag_register(struct nt_model *m, struct nt_packet *p, const struct nt_ev_meta *mm);
struct nt_packet *md_frag_group(struct nt_model *m, const struct nt_ev_meta *mm);
int md_sockq_layer(struct nt_model *m);
int md_hook_rank(uint8_t hook);
uint8_t md_nft_hook_of(const struct nt_ev_hdr *h);
int md_is_copy_to_user(const struct nt_func_info *f);
void md_apply(struct nt_model *m, struct nt_packet *p, struct skbst *s, const void *rec, size_t len);
int md_step_elsewhere(const struct nt_model *m, const struct skbst *s, const struct nt_ev_hdr *h);
void md_flush_pending_run(struct nt_model *m, struct skbst *s, struct nt_packet *p, size_t upto);
/* S's records held until its packet was known, up to byte UPTO, applied to P
 * (most skbs hold none: no call) */
static inline void md_flush_pending(struct nt_model *m, struct skbst *s, struct nt_packet *p, size_t upto)
{
	if (s->pend_len)
		md_flush_pending_run(m, s, p, upto);
}
int md_pend_add(struct skbst *s, const void *rec, size_t len);
size_t md_pend_split(const struct skbst *s);
struct nt_packet *md_pkt_for(struct nt_model *m, struct skbst *s, uint64_t ts);
int md_same_tuple(const struct nt_ev_meta *a, const struct nt_ev_meta *b);
struct nt_packet *md_on_meta(struct nt_model *m, struct skbst *s, struct nt_packet *p,
		  const struct nt_ev_meta *mm);
int md_frag_release(struct nt_model *m, const struct nt_packet *p, const struct skbst *s,
		 const struct nt_ev_drop *d);
void md_drop_seen(struct nt_packet *p, struct skbst *s, const struct nt_ev_drop *d);
void md_loss_update(struct nt_model *m, uint32_t src, uint32_t cpu, uint32_t id, uint64_t count,
		 uint64_t *tot);
void md_loss_record(struct nt_model *m, const struct nt_ev_loss *l);
void md_count_record(struct nt_model *m, const struct nt_ev_count *c);
void md_chain_define(struct nt_model *m, const struct nt_ev_nft_chaindef *d);
int md_cmp_slot_id(const void *a, const void *b, void *ctx);
void md_sweep(struct nt_model *m, uint64_t now);

/* the LRU of open packets (inline: md_lru_touch() runs for every record) */
static inline void md_lru_unlink(struct nt_model *m, struct nt_packet *p)
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

static inline void md_lru_push(struct nt_model *m, struct nt_packet *p)
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

#define FLOW_IDLE_MULT 3 /* a flow without packets for 3 x idle_ns is forgotten */

/* P becomes the most recently active open packet: moved to the list's tail
 * (in the list and not its tail: the list has a tail and P a next). */
static inline void md_lru_touch(struct nt_model *m, struct nt_packet *p)
{
	if (p->in_lru && m->lru_tail != p->slot) {
		m->pool[p->lru_next].lru_prev = p->lru_prev;
		if (p->lru_prev != NT_LRU_NONE)
			m->pool[p->lru_prev].lru_next = p->lru_next;
		else
			m->lru_head = p->lru_next;
		p->lru_prev = m->lru_tail;
		p->lru_next = NT_LRU_NONE;
		m->pool[m->lru_tail].lru_next = p->slot;
		m->lru_tail = p->slot;
	}
}

/* IPv4 / IPv6 metadata: the address family and the skb's protocol agree (a
 * recorder that parses an skb that is no IP packet, e.g. a netlink message,
 * gives an address family with protocol 0: no journey) */
static inline int md_is_ip(const struct nt_ev_meta *mm)
{
	uint16_t e = mm->ethertype;

	if (e == 0x8100 || e == 0x88a8) /* VLAN: the header parsed is behind the tag */
		return mm->l3 == NT_L3_IPV4 || mm->l3 == NT_L3_IPV6;
	return (mm->l3 == NT_L3_IPV4 && e == 0x0800) || (mm->l3 == NT_L3_IPV6 && e == 0x86dd);
}

static inline int md_is_frag(const struct nt_ev_meta *mm)
{
	return (mm->frag & NT_FRAG_IS) != 0;
}

/* The META carries the transport header (ports, ICMP type): not a fragment
 * past the first one. */
static inline int md_has_l4(const struct nt_ev_meta *mm)
{
	return !md_is_frag(mm) || !(mm->frag & NT_FRAG_OFF_MASK);
}

static inline int md_terminal(int32_t v)
{
	return v >= NT_V_DROP && v <= NT_V_STOP;
}

/* S names a packet slot whose life it was attached to has ended (closed early
 * by the open_packets limit, or discarded): the packet is gone. */
static inline int md_st_stale(const struct nt_model *m, const struct skbst *s)
{
	return s->pkt != NOPKT && m->pool[s->pkt].gen != s->pkt_gen;
}

/* The state of SKB, or NULL (none, or a stale one, then forgotten:
 * md_st_find_stale()); inline: every record looks its skb up */
static inline struct skbst *md_st_find(struct nt_model *m, uint64_t skb)
{
	uint32_t *v = map_find(&m->skb_map, skb);
	struct skbst *s;

	if (!v)
		return NULL;
	s = &m->sk[*v];
	if (__builtin_expect(md_st_stale(m, s), 0))
		return md_st_find_stale(m, s);
	return s;
}

/* A 64-bit key of an address: the 16 bytes (IPv4: the first 4, the rest 0)
 * folded with a multiply-xorshift; fast, not cryptographic (keys of the
 * model's own tables). */
static inline uint64_t md_addr_fold(const uint8_t *a, int v6)
{
	uint64_t x, y = 0;

	memcpy(&x, a, 8);
	if (v6)
		memcpy(&y, a + 8, 8);
	else
		x &= 0xffffffffull;
	return mix64(x ^ mix64(y + 0x9e3779b97f4a7c15ull));
}

#endif
