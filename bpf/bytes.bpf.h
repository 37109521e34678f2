/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bytes.bpf.h - packet bytes (nft-record --capture-bytes N): the first N
 * bytes of a traced packet, from the MAC header when the skb has one before
 * its network header, else from the network header, as an NT_EV_BYTES record
 * right after the packet's META when it is first seen and after a META whose
 * headers (addresses, ports, protocol) or namespace changed: once per header
 * version, not per hop (nt_bsigs: the last version's signature per skb
 * address, forgotten when the address starts a new packet or is freed).
 * Linear data only (skb_headlen): a capture is cut there, origlen says how
 * long the packet was.  The ring record is always NT_BYTES_RECLEN(NT_BYTES_MAX)
 * long (a constant reservation); user space trims it to its caplen.
 */
#ifndef NT_BYTES_BPF_H
#define NT_BYTES_BPF_H

const volatile __u32 nt_capture_bytes = 0; /* --capture-bytes N (1 .. NT_BYTES_MAX), 0 = off */

struct nt_bsig {
	__u32 sig;      /* header fields of the last captured version */
	__u32 netns;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct nt_bsig);
} nt_bsigs SEC(".maps");

static __always_inline void nt_bytes_forget(struct sk_buff *skb)
{
	__u64 key = (__u64)skb;

	if (nt_capture_bytes)
		bpf_map_delete_elem(&nt_bsigs, &key);
}

/* Addresses, ports, protocols of META M (not device, namespace, length). */
static __always_inline __u32 nt_bytes_sig(const struct nt_ev_meta *m)
{
	const __u32 *w = (const void *)m->saddr;
	__u32 s = 2166136261u;

#pragma unroll
	for (int i = 0; i < 8; i++) /* saddr, daddr */
		s = (s ^ w[i]) * 16777619u;
	s = (s ^ ((__u32)m->sport << 16 | m->dport)) * 16777619u;
	s = (s ^ ((__u32)m->l3 << 8 | m->l4proto)) * 16777619u;
	return s | 1;
}

/* After a META of SKB was emitted (its header signature SIG, NETNS,
 * IFINDEX, function FUNC_ID): the packet's bytes if this version is new.
 * SIG 0 (nt_bytes_sig is never 0): after a DEV record, the version last
 * captured when NETNS is new to it. */
static __noinline int nt_bytes_hit(struct sk_buff *skb, __u32 func_id, __u32 sig, __u32 netns,
				   __u32 ifindex)
{
	__u64 key = (__u64)skb;
	struct nt_bsig now = { .netns = netns }, *was;
	struct nt_ev_bytes *b;
	unsigned char *head, *data, *start;
	__u16 nh, mh;
	__u32 len, data_len, headlen, before, cap;
	__u64 n;
	__u8 why = NT_BYTES_FIRST, link = NT_BYTES_NET;

	if (!nt_capture_bytes)
		return 0;
	was = bpf_map_lookup_elem(&nt_bsigs, &key);
	if (!sig) {
		if (!was || was->netns == netns)
			return 0;
		sig = was->sig;
	}
	now.sig = sig;
	if (was) {
		if (was->sig == sig && was->netns == netns)
			return 0;
		why = was->sig == sig ? NT_BYTES_NETNS : NT_BYTES_CHANGED;
	}
	bpf_map_update_elem(&nt_bsigs, &key, &now, BPF_ANY);
	b = nt_reserve_ring_leaf(NT_BYTES_RECLEN(NT_BYTES_MAX));
	if (!b)
		return 0;
	head = BPF_CORE_READ(skb, head);
	data = BPF_CORE_READ(skb, data);
	nh = BPF_CORE_READ(skb, network_header);
	mh = BPF_CORE_READ(skb, mac_header);
	len = BPF_CORE_READ(skb, len);
	data_len = BPF_CORE_READ(skb, data_len);
	headlen = len - data_len;
	start = data;
	if (nh != (__u16)~0U)
		start = head + nh;
	if (mh != (__u16)~0U && nh != (__u16)~0U && mh < nh && nh - mh <= 64) {
		start = head + mh;
		link = NT_BYTES_MAC;
	}
	/* bytes between start and data (headers already pulled) count too;
	 * start after data (headers not pulled yet): within the linear part */
	before = data - start;
	if (start > data + headlen || before > 256)
		before = 0, start = data, link = NT_BYTES_NET;
	cap = before + headlen;
	if (cap > nt_capture_bytes)
		cap = nt_capture_bytes;
	if (cap > NT_BYTES_MAX)
		cap = NT_BYTES_MAX;
	nt_fill_hdr(&b->h, NT_EV_BYTES, 0, func_id, key);
	b->reclen = NT_BYTES_RECLEN(NT_BYTES_MAX); /* user space trims it to caplen */
	b->origlen = before + len;
	b->link = link;
	b->why = why;
	b->ethertype = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	b->ifindex = ifindex;
	b->netns = netns;
	b->net_off = link == NT_BYTES_MAC ? nh - mh : 0;
	b->pad = 0;
	n = cap;
	asm volatile("%0 &= 0x1ff" : "+r"(n)); /* then the bound the verifier keeps: */
	if (n > NT_BYTES_MAX)
		n = NT_BYTES_MAX;
	if (n && bpf_probe_read_kernel(b->data, n, start))
		n = 0;
	b->caplen = n;
	bpf_ringbuf_submit(b, nt_rb_flags());
	return 0;
}

/* After a DEV record of SKB (device / namespace changed, headers not): the
 * bytes again when the namespace is new to this version.  Inline, the test
 * in nt_bytes_hit: no subprogram level between the program and nt_bytes_hit
 * (core.bpf.h nt_meta_emit: the combined stack). */
static __always_inline void nt_bytes_dev(__u64 skb, __u32 func_id, __u32 ifindex, __u32 netns)
{
	if (nt_capture_bytes)
		nt_bytes_hit((struct sk_buff *)skb, func_id, 0, netns, ifindex);
}

/* After META M of SKB went out (nt_meta_emit, core.bpf.h; M is the parse on
 * nt_track's stack): its bytes when the version is new. */
static __always_inline void nt_bytes_meta(struct sk_buff *skb, const struct nt_ev_meta *m)
{
	if (nt_capture_bytes)
		nt_bytes_hit(skb, m->h.id, nt_bytes_sig(m), m->netns, m->ifindex);
}

#endif
