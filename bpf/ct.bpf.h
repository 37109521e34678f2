/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ct.bpf.h - conntrack of traced packets (nft-record --conntrack): at every
 * traced hit the skb's conntrack entry (skb->_nfct: struct nf_conn pointer |
 * ctinfo in the low 3 bits) is read with CO-RE (struct nf_conn: vmlinux or
 * the nf_conntrack module's BTF) and an NT_EV_CT record is emitted when the
 * packet is first seen with one and whenever entry, state, direction, status
 * or mark change (nt_cts, per skb address; forgotten when the address starts
 * a new packet or is freed).  Works in every mode, tracepoints included.
 * Untracked (notrack) gives state UNTRACKED.  An skb without conntrack
 * (_nfct 0) gives no record, unless conntrack has looked at it in its
 * namespace: a hit of nf_conntrack_in (nt_ct_in_func_id, traced functions
 * only) with _nfct 0 marks the skb, and at a later hit in the same namespace
 * of a function that runs after the conntrack hook (nt_ct_after: nft_do_chain,
 * ip_forward, ...) an skb still without an entry is INVALID to conntrack, as
 * nft's `ct state invalid` sees it (nf_conntrack_in left _nfct 0), once.
 */
#ifndef NT_CT_BPF_H
#define NT_CT_BPF_H

const volatile __u32 nt_ct_on = 0; /* --conntrack */
/* function ids (nft-record/attach_common.c; 0: not traced) of nf_conntrack_in
 * and of functions that run after the conntrack hook of their namespace */
#define NT_CT_AFTER_MAX 8
const volatile __u32 nt_ct_in_func_id = 0;
const volatile __u32 nt_ct_after[NT_CT_AFTER_MAX] = {};

#define NT_IP_CT_NEW 2
#define NT_IP_CT_IS_REPLY 3
#define NT_IP_CT_UNTRACKED 7
#define NT_NFCT_PTRMASK (~7UL)
#define NT_AF_INET 2
#define NT_AF_INET6 10

#define NT_CT_SEEN_IN 1      /* nf_conntrack_in had the skb without an entry */
#define NT_CT_SEEN_INVALID 2 /* its INVALID record is out */

struct nt_ct_seen {
	__u64 nfct;     /* skb->_nfct: entry and ctinfo */
	__u32 status;
	__u32 mark;
	__u32 netns;    /* _nfct 0: the namespace of nf_conntrack_in's hit */
	__u32 flags;    /* NT_CT_SEEN_* */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct nt_ct_seen);
} nt_cts SEC(".maps");

static __always_inline void nt_ct_forget(struct sk_buff *skb)
{
	__u64 key = (__u64)skb;

	if (nt_ct_on)
		bpf_map_delete_elem(&nt_cts, &key);
}

static __always_inline void nt_ct_tuple(struct nt_ev_ct_tuple *o, const struct nf_conntrack_tuple *t,
					__u8 l4proto)
{
	__builtin_memcpy(o->saddr, &t->src.u3, 16);
	__builtin_memcpy(o->daddr, &t->dst.u3, 16);
	if (l4proto == NT_IPPROTO_ICMP || l4proto == NT_IPPROTO_ICMPV6) {
		o->sport = (__u16)t->dst.u.icmp.type << 8 | t->dst.u.icmp.code;
		o->dport = bpf_ntohs(t->src.u.icmp.id);
	} else {
		o->sport = bpf_ntohs(t->src.u.all);
		o->dport = bpf_ntohs(t->dst.u.all);
	}
}

static __always_inline int nt_ct_is_after(__u32 func_id)
{
	for (int i = 0; i < NT_CT_AFTER_MAX; i++)
		if (nt_ct_after[i] && nt_ct_after[i] == func_id)
			return 1;
	return 0;
}

/* A CT record of skb KEY at function FUNC_ID, reserved, zeroed, its header
 * and state filled (the caller fills the state); NULL when the ring is full. */
static __always_inline struct nt_ev_ct *nt_ct_rec(__u64 key, __u32 func_id)
{
	struct nt_ev_ct *r = nt_reserve_ring_leaf(sizeof(*r));

	if (!r)
		return NULL;
	__builtin_memset(r, 0, sizeof(*r));
	nt_fill_hdr(&r->h, NT_EV_CT, 0, func_id, key);
	r->have = NT_CT_HAVE_STATE;
	return r;
}

/* A hit of SKB without conntrack (FUNC_ID): nf_conntrack_in marks it; a
 * function after the conntrack hook in the same namespace finds it INVALID. */
static __always_inline void nt_ct_none(struct sk_buff *skb, __u32 func_id)
{
	__u64 key = (__u64)skb;
	struct nt_ct_seen now = {}, *was;
	struct nt_ev_ct *r;
	__u32 ifindex;

	if (!func_id || (func_id != nt_ct_in_func_id && !nt_ct_is_after(func_id)))
		return;
	nt_skb_dev(skb, &ifindex, &now.netns);
	if (func_id == nt_ct_in_func_id) {
		now.flags = NT_CT_SEEN_IN;
		bpf_map_update_elem(&nt_cts, &key, &now, BPF_ANY);
		return;
	}
	was = bpf_map_lookup_elem(&nt_cts, &key);
	if (!was || was->nfct || was->flags != NT_CT_SEEN_IN || was->netns != now.netns)
		return;
	r = nt_ct_rec(key, func_id);
	if (!r)
		return;
	r->state = NT_CT_STATE_INVALID;
	bpf_ringbuf_submit(r, nt_rb_flags());
	now.flags = NT_CT_SEEN_INVALID;
	bpf_map_update_elem(&nt_cts, &key, &now, BPF_ANY);
}

/* At a traced hit of SKB (function FUNC_ID): a CT record if its conntrack
 * changed since the last one of this skb.  A subprogram (core.bpf.h). */
static __noinline int nt_ct_hit(struct sk_buff *skb, __u32 func_id)
{
	__u64 key = (__u64)skb, nfct;
	struct nt_ct_seen now = {}, *was;
	struct nf_conn *ct;
	struct nf_conntrack_tuple t;
	struct nt_ev_ct *r;
	__u32 ctinfo;

	if (!nt_ct_on)
		return 0;
	nfct = BPF_CORE_READ(skb, _nfct);
	if (!nfct) {
		nt_ct_none(skb, func_id);
		return 0;
	}
	ct = (struct nf_conn *)(nfct & NT_NFCT_PTRMASK);
	ctinfo = nfct & 7;
	now.nfct = nfct;
	if (ct) {
		now.status = (__u32)BPF_CORE_READ(ct, status);
		if (bpf_core_field_exists(ct->mark))
			now.mark = BPF_CORE_READ(ct, mark);
	}
	was = bpf_map_lookup_elem(&nt_cts, &key);
	if (was && was->nfct == now.nfct && was->status == now.status && was->mark == now.mark)
		return 0;
	r = nt_ct_rec(key, func_id);
	if (!r)
		return 0;
	if (ctinfo == NT_IP_CT_UNTRACKED || !ct) {
		r->state = NT_CT_STATE_UNTRACKED;
		goto out;
	}
	r->state = ctinfo == NT_IP_CT_NEW ? NT_CT_STATE_NEW :
		   (ctinfo % NT_IP_CT_IS_REPLY) == 1 ? NT_CT_STATE_RELATED : NT_CT_STATE_ESTABLISHED;
	r->dir = ctinfo >= NT_IP_CT_IS_REPLY ? NT_CT_DIR_REPLY : NT_CT_DIR_ORIGINAL;
	r->ct_addr = (__u64)ct;
	r->status = now.status & 0xffff;
	r->mark = now.mark;
	r->have |= NT_CT_HAVE_DIR | NT_CT_HAVE_STATUS | NT_CT_HAVE_ADDR;
	if (bpf_core_field_exists(ct->mark))
		r->have |= NT_CT_HAVE_MARK;
	if (bpf_core_field_exists(ct->zone)) {
		r->zone = BPF_CORE_READ(ct, zone.id);
		r->have |= NT_CT_HAVE_ZONE;
	}
	if (!bpf_core_read(&t, sizeof(t), &ct->tuplehash[0].tuple)) {
		r->l3 = t.src.l3num == NT_AF_INET ? NT_L3_IPV4 : t.src.l3num == NT_AF_INET6 ? NT_L3_IPV6 : 0;
		r->l4proto = t.dst.protonum;
		nt_ct_tuple(&r->orig, &t, r->l4proto);
		if (!bpf_core_read(&t, sizeof(t), &ct->tuplehash[1].tuple)) {
			nt_ct_tuple(&r->reply, &t, r->l4proto);
			r->have |= NT_CT_HAVE_TUPLES;
		}
	}
out:
	bpf_ringbuf_submit(r, nt_rb_flags());
	bpf_map_update_elem(&nt_cts, &key, &now, BPF_ANY);
	return 0;
}

#endif
