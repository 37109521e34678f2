/* SPDX-License-Identifier: GPL-2.0 */
/*
 * meta.bpf.h - what a packet is, read from its skb: device and namespace,
 * the META record's fields (addresses, ports, fragment, mark, length), the
 * capture filter's decision, and the hashes that tell the same packet from
 * a new one (header signature, identity kept by NAT, datagram identity).
 * Included by core.bpf.h after its maps and read-only configuration.
 */
#ifndef NT_META_BPF_H
#define NT_META_BPF_H

#define NT_AF_INET 2
#define NT_AF_INET6 10
#define NT_IPPROTO_FRAGMENT 44

/* Device and namespace of SKB: skb->dev, or the socket's namespace (ifindex
 * 0) when there is no device.  netns 0: not readable (e.g. skb->dev is
 * UDP's dev_scratch in a socket queue). */
static __always_inline void nt_skb_dev(struct sk_buff *skb, __u32 *ifindex, __u32 *netns)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);

	if (dev) {
		*ifindex = BPF_CORE_READ(dev, ifindex);
		*netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
	} else {
		struct sock *sk = BPF_CORE_READ(skb, sk);

		*ifindex = 0;
		*netns = sk ? BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum) : 0;
	}
}

/* Address family of the skb's socket (0: none). */
static __always_inline __u16 nt_skb_family(struct sk_buff *skb)
{
	struct sock *sk = BPF_CORE_READ(skb, sk);

	return sk ? BPF_CORE_READ(sk, __sk_common.skc_family) : 0;
}

/* The sk_buff fields the parse reads.  They lie within NT_SKB_WIN bytes (from
 * len to data: 104 bytes on 6.x) on the kernels we know: one
 * bpf_probe_read_kernel of that window instead of one helper call per field
 * (a raw tracepoint reads every field through the helper; 7 calls were ~1/5
 * of a packet path program's run).  The offsets are CO-RE constants, so the
 * layout test is decided at load.  The window is a per-CPU buffer, not
 * stack (the programs' frames with a --filter slot are near the verifier's
 * 512 bytes); a run that finds it in use by another on the same CPU (busy:
 * that run's mark), a kernel whose layout does not fit, or a failed read:
 * field by field. */
#define NT_SKB_WIN 128
struct nt_skb_win {
	__u64 busy;
	__u64 w[NT_SKB_WIN / 8];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nt_skb_win);
} nt_skbwin SEC(".maps");

struct nt_skb_fields {
	unsigned char *head, *data;
	__u32 len, mark;
	__u16 proto, nh, mh; /* protocol: network byte order */
};

#define NT_SKB_OFF(fld) ((__u32)bpf_core_field_offset(struct sk_buff, fld))
#define NT_SKB_IN(fld, lo)                                                              \
	(NT_SKB_OFF(fld) >= (lo) && NT_SKB_OFF(fld) + bpf_core_field_size(struct sk_buff, fld) <= \
					   (lo) + NT_SKB_WIN)
#define NT_SKB_AT(w, fld, lo, type) (*(type *)((__u8 *)(w) + (NT_SKB_OFF(fld) - (lo))))

static __always_inline void nt_skb_fields_read(struct sk_buff *skb, struct nt_skb_fields *f,
					       __u64 tok)
{
	__u32 k = 0, lo = NT_SKB_OFF(len) & ~7u; /* 8-aligned: the loads below are aligned */
	struct nt_skb_win *v = bpf_map_lookup_elem(&nt_skbwin, &k);

	/* TOK (nonzero, this run's own) marks the buffer taken; a run that
	 * finds it taken reads field by field.  Checked again after the
	 * fields are taken: a run on the same CPU that came in between (an
	 * interrupt, or a preemption of a program that only disables
	 * migration: fentry) and wrote the buffer has replaced or cleared
	 * the mark, and its fields are not used.  No atomics (5.10). */
	if (v && !v->busy && NT_SKB_IN(len, lo) && NT_SKB_IN(mark, lo) && NT_SKB_IN(protocol, lo) &&
	    NT_SKB_IN(network_header, lo) && NT_SKB_IN(mac_header, lo) && NT_SKB_IN(head, lo) &&
	    NT_SKB_IN(data, lo)) {
		v->busy = tok;
		if (!bpf_probe_read_kernel(v->w, sizeof(v->w), (__u8 *)skb + lo)) {
			f->len = NT_SKB_AT(v->w, len, lo, __u32);
			f->mark = NT_SKB_AT(v->w, mark, lo, __u32);
			f->proto = NT_SKB_AT(v->w, protocol, lo, __u16);
			f->nh = NT_SKB_AT(v->w, network_header, lo, __u16);
			f->mh = NT_SKB_AT(v->w, mac_header, lo, __u16);
			f->head = NT_SKB_AT(v->w, head, lo, unsigned char *);
			f->data = NT_SKB_AT(v->w, data, lo, unsigned char *);
			if (*(volatile __u64 *)&v->busy == tok) {
				v->busy = 0;
				return;
			}
		} else if (v->busy == tok) {
			v->busy = 0;
		}
	}
	f->len = BPF_CORE_READ(skb, len);
	f->mark = BPF_CORE_READ(skb, mark);
	f->proto = BPF_CORE_READ(skb, protocol);
	f->nh = BPF_CORE_READ(skb, network_header);
	f->mh = BPF_CORE_READ(skb, mac_header);
	f->head = BPF_CORE_READ(skb, head);
	f->data = BPF_CORE_READ(skb, data);
}

/*
 * Parse the packet headers of SKB into M (M->h must be filled by the caller).
 * L3 at the network header when it is set, else after the MAC header, else
 * skb->data; with skb->protocol 0 (a locally built skb before the IP layer
 * set it) only at a set network header: a fresh skb's network_header is 0
 * and head[0] is uninitialised headroom.  Fragments: IPv4 frag_off / MF, the
 * IPv6 Fragment header right after the fixed header; l4proto is then the
 * fragmented packet's protocol and the L4 header is read for offset 0 only.
 * A subprogram: its many paths end in one return, so the verifier follows
 * what comes after it once, not once per header kind.  Returns M->l3.
 */
static __noinline int nt_skb_meta_fill(struct sk_buff *skb, struct nt_ev_meta *m)
{
	struct nt_skb_fields f;
	unsigned char *head;
	__u16 nh, mh, proto;
	unsigned char *l3;
	__u8 l4proto = 0;
	unsigned char *l4 = 0;

	/* the run's mark: its time stamp and skb (another run on this CPU
	 * has a later stamp) */
	nt_skb_fields_read(skb, &f, (m->h.ts_ns ^ (__u64)skb) | 1);
	head = f.head;
	nh = f.nh;
	mh = f.mh;
	proto = bpf_ntohs(f.proto);
	m->len = f.len;
	m->mark = f.mark;
	m->ethertype = proto;
	nt_skb_dev(skb, &m->ifindex, &m->netns);

	if (nh != (__u16)~0U && (nh || proto))
		l3 = head + nh;
	else if (!proto)
		goto out;
	else if (mh != (__u16)~0U)
		l3 = head + mh + 14;
	else
		l3 = f.data;

	if (proto == NT_ETH_P_IP || proto == 0) {
		struct iphdr ip;
		__u16 fo;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), l3))
			goto out;
		if (ip.version != 4) {
			if (ip.version != 6)
				goto out;
			goto v6;
		}
		if (ip.ihl < 5)
			goto out;
		/* skb->protocol 0: a header being built (ip_append_data set the
		 * network header before the IP layer wrote it); complete once
		 * its length is the skb's (__ip_local_out) */
		if (!proto && bpf_ntohs(ip.tot_len) != m->len)
			goto out;
		m->l3 = NT_L3_IPV4;
		__builtin_memcpy(m->saddr, &ip.saddr, 4);
		__builtin_memcpy(m->daddr, &ip.daddr, 4);
		m->ip_id = bpf_ntohs(ip.id);
		l4proto = ip.protocol;
		fo = bpf_ntohs(ip.frag_off);
		if (fo & 0x3fff) {
			m->frag_id = m->ip_id;
			m->frag = NT_FRAG_IS | (fo & 0x2000 ? NT_FRAG_MF : 0) | (fo & NT_FRAG_OFF_MASK);
			/* fragments other than the first carry no L4 header */
			if (fo & NT_FRAG_OFF_MASK) {
				m->l4proto = l4proto;
				goto out;
			}
		}
		l4 = l3 + (ip.ihl & 0xf) * 4;
		goto l4;
	}
	if (proto != NT_ETH_P_IPV6)
		goto out;
v6: {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), l3))
			goto out;
		if (ip6.version != 6)
			goto out;
		if (!proto && bpf_ntohs(ip6.payload_len) + sizeof(ip6) != m->len)
			goto out;
		m->l3 = NT_L3_IPV6;
		__builtin_memcpy(m->saddr, &ip6.saddr, 16);
		__builtin_memcpy(m->daddr, &ip6.daddr, 16);
		l4proto = ip6.nexthdr; /* other extension headers: reported as the L4 proto */
		l4 = l3 + sizeof(ip6);
		if (l4proto == NT_IPPROTO_FRAGMENT) {
			__u8 fh[8];
			__u16 fo;

			if (bpf_probe_read_kernel(fh, sizeof(fh), l4))
				goto l4;
			fo = (__u16)fh[2] << 8 | fh[3];
			l4proto = fh[0];
			l4 += 8;
			if (fo & 0xfff9) { /* offset or M: a fragment (else "atomic") */
				m->frag_id = (__u32)fh[4] << 24 | (__u32)fh[5] << 16 |
					     (__u32)fh[6] << 8 | fh[7];
				m->frag = NT_FRAG_IS | (fo & 1 ? NT_FRAG_MF : 0) | (fo >> 3);
				if (fo >> 3) {
					m->l4proto = l4proto;
					goto out;
				}
			}
		}
	}
l4:
	m->l4proto = l4proto;
	if (l4proto == NT_IPPROTO_TCP) {
		struct tcphdr th;

		if (bpf_probe_read_kernel(&th, sizeof(th), l4))
			goto out;
		m->sport = bpf_ntohs(th.source);
		m->dport = bpf_ntohs(th.dest);
		m->l4_extra = bpf_ntohl(th.seq);
		m->tcp_flags = ((unsigned char *)&th)[13];
		m->l4_csum = bpf_ntohs(th.check);
	} else if (l4proto == NT_IPPROTO_UDP) {
		struct udphdr uh;

		if (bpf_probe_read_kernel(&uh, sizeof(uh), l4))
			goto out;
		m->sport = bpf_ntohs(uh.source);
		m->dport = bpf_ntohs(uh.dest);
		m->l4_csum = bpf_ntohs(uh.check);
	} else if (l4proto == NT_IPPROTO_ICMP || l4proto == NT_IPPROTO_ICMPV6) {
		__u8 b[8];

		if (bpf_probe_read_kernel(b, sizeof(b), l4))
			goto out;
		m->sport = (__u16)b[0] << 8 | b[1];          /* type << 8 | code */
		m->dport = (__u16)b[4] << 8 | b[5];          /* echo id */
		m->l4_extra = (__u32)m->dport << 16 | ((__u16)b[6] << 8 | b[7]);
		m->l4_csum = (__u16)b[2] << 8 | b[3];
	}
out:
	/* read back, not the constant just stored: the verifier then returns
	 * the same unknown value on every path */
	return *(volatile __u8 *)&m->l3;
}

/* The capture filter (--filter): extras from read-only data, then the
 * pcap-filter part in the programs' filter slot (pcapf.bpf.h).  Called from
 * one place only (nt_track): one filter slot per program. */
static __always_inline int nt_filter_match(struct sk_buff *skb, const struct nt_ev_meta *m)
{
	__u32 f = nt_cfg.flags;

	if (!f)
		return 1;
	if ((f & NT_FLT_IFINDEX) && m->ifindex != nt_cfg.ifindex)
		return 0;
	if ((f & NT_FLT_NETNS) && m->netns != nt_cfg.netns)
		return 0;
	if ((f & NT_FLT_MARK) && (m->mark & nt_cfg.mark_mask) != nt_cfg.mark_value)
		return 0;
	if ((f & NT_FLT_PCAP) && !nt_pcapf_skb(skb))
		return 0;
	return 1;
}

/* Hash of the headers (not the device / namespace: DEV records tell those,
 * not the length). */
static __always_inline __u32 nt_meta_sig(const struct nt_ev_meta *m)
{
	const __u32 *w = (const void *)m->saddr;
	__u32 s = 2166136261u;

	/* saddr, daddr, ports, ethertype/l4/l3 */
#pragma unroll
	for (int i = 0; i < 10; i++)
		s = (s ^ w[i]) * 16777619u;
	s = (s ^ m->mark) * 16777619u;
	s = (s ^ m->ip_id) * 16777619u;
	s = (s ^ m->frag_id) * 16777619u;
	s = (s ^ ((__u32)m->frag << 16 | m->l4_csum)) * 16777619u;
	return s;
}

/* The three hashes of one META (nt_track computes them once). */
struct nt_meta_ids {
	__u32 sig, ident, dident;
};

/*
 * Identity of a packet: fields that NAT and header rewrites keep (IPv4 id, TCP
 * sequence number, ICMP echo sequence, protocol, fragment id and offset).
 * When a re-check finds the same skb address with another identity, the
 * address was freed without a probe seeing it (e.g. __kfree_skb after TCP
 * consumed the data, in tracepoint mode) and reused for a new packet.
 */
static __always_inline __u32 nt_meta_ident(const struct nt_ev_meta *m)
{
	__u32 x = m->l4_extra;

	if (m->l4proto == NT_IPPROTO_ICMP || m->l4proto == NT_IPPROTO_ICMPV6)
		x &= 0xffff; /* echo id may be rewritten by NAT, the sequence is not */
	return (x * 2654435761u) ^ ((__u32)m->ip_id << 8) ^ m->l4proto ^ ((__u32)m->l3 << 24) ^
	       ((m->frag_id ^ m->frag) * 40503u);
}

/* The datagram's identity (the same before fragmentation and in its first
 * fragment): nt_meta_ident without the fragment fields. */
static __always_inline __u32 nt_dgram_ident(const struct nt_ev_meta *m)
{
	__u32 x = m->l4_extra;

	if (m->l4proto == NT_IPPROTO_ICMP || m->l4proto == NT_IPPROTO_ICMPV6)
		x &= 0xffff;
	return (x * 2654435761u) ^ ((__u32)m->ip_id << 8) ^ m->l4proto ^ ((__u32)m->l3 << 24);
}

#endif /* NT_META_BPF_H */
