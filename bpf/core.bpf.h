/* SPDX-License-Identifier: GPL-2.0 */
/*
 * core.bpf.h - maps, configuration and the event emitters shared by every
 * program of bpf/nt.bpf.c (tracepoints, function probes, nftables probes).
 *
 * Per event: one LRU lookup of the skb (needed: first sight emits the packet
 * metadata and applies the filter), one ring buffer reservation.  No string
 * copies on the hot path.
 */
#ifndef NT_CORE_BPF_H
#define NT_CORE_BPF_H

#define NT_ETH_P_IP 0x0800
#define NT_ETH_P_IPV6 0x86DD
#define NT_IPPROTO_ICMP 1
#define NT_IPPROTO_TCP 6
#define NT_IPPROTO_UDP 17
#define NT_IPPROTO_ICMPV6 58

/* Set by user space before load (skeleton rodata). */
const volatile struct nt_filter nt_cfg = {};
const volatile __u32 nt_tracked_max = 0; /* unused hint */

/* Events to user space.  Size set by user space (bpf_map__set_max_entries). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} nt_events SEC(".maps");

/* Ring buffer reservation failures, per CPU (read by user space, stored as
 * NT_EV_LOSS records). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} nt_lost SEC(".maps");

/* State per tracked skb address. */
struct nt_skb_state {
	__u32 sig;      /* hash of the metadata last emitted */
	__u32 ident;    /* packet identity (nt_meta_ident) */
	__u8 match;     /* 1 = passes the filter (traced), 0 = filtered out */
	__u8 pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct nt_skb_state);
} nt_skbs SEC(".maps");

static __always_inline void nt_count_loss(void)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&nt_lost, &k);

	if (v)
		*v += 1; /* per-CPU slot: no atomics needed */
}

/* Ring buffer notification: user space polls the ring every 20 ms anyway
 * (nft-record/record.c), so a record only wakes it up when the ring holds more
 * than nt_wakeup_bytes (set by user space to a quarter of the ring).  A wakeup
 * per record (flags 0 when the reader keeps up) costs an irq_work and a
 * context switch per event. */
const volatile __u64 nt_wakeup_bytes = 0;

static __always_inline __u64 nt_rb_flags(void)
{
	if (!nt_wakeup_bytes)
		return 0;
	return bpf_ringbuf_query(&nt_events, BPF_RB_AVAIL_DATA) >= nt_wakeup_bytes ?
		       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/* Set by user space when the recording stops (nft-record/record.c): from then
 * on nothing is recorded, so the log can be drained and closed at once while
 * the probes are detached afterwards (minutes for thousands of fentry
 * trampolines on 6.1: one ftrace RCU-tasks grace period each). */
volatile __u32 nt_off = 0;

static __always_inline void *nt_reserve(__u32 size)
{
	void *p;

	if (nt_off)
		return NULL; /* stopped: not a loss */
	p = bpf_ringbuf_reserve(&nt_events, size, 0);

	if (!p)
		nt_count_loss();
	return p;
}

static __always_inline void nt_fill_hdr(struct nt_ev_hdr *h, __u8 type, __u8 flags, __u32 id,
					__u64 skb)
{
	h->type = type;
	h->flags = flags;
	h->cpu = bpf_get_smp_processor_id();
	h->id = id;
	h->ts_ns = bpf_ktime_get_ns();
	h->skb = skb;
}

/* Parse the packet headers of SKB into M (M->h must be filled by the caller). */
static __always_inline void nt_skb_meta_fill(struct sk_buff *skb, struct nt_ev_meta *m)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u16 mh = BPF_CORE_READ(skb, mac_header);
	__u16 proto = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	unsigned char *l3;
	__u8 l4proto = 0;
	unsigned char *l4 = 0;
	struct net_device *dev;

	m->len = BPF_CORE_READ(skb, len);
	m->mark = BPF_CORE_READ(skb, mark);
	m->ethertype = proto;
	dev = BPF_CORE_READ(skb, dev);
	if (dev) {
		m->ifindex = BPF_CORE_READ(dev, ifindex);
		m->netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
	} else {
		struct sock *sk = BPF_CORE_READ(skb, sk);

		if (sk)
			m->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	}

	/* L3 offset: network header when set, else right after the MAC header,
	 * else skb->data (rx path before the stack reset the headers). */
	if (nh != (__u16)~0U)
		l3 = head + nh;
	else if (mh != (__u16)~0U)
		l3 = head + mh + 14;
	else
		l3 = BPF_CORE_READ(skb, data);

	if (proto == NT_ETH_P_IP || proto == 0) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), l3))
			return;
		if (ip.version != 4) {
			if (ip.version != 6)
				return;
			goto v6;
		}
		m->l3 = NT_L3_IPV4;
		__builtin_memcpy(m->saddr, &ip.saddr, 4);
		__builtin_memcpy(m->daddr, &ip.daddr, 4);
		m->ip_id = bpf_ntohs(ip.id);
		l4proto = ip.protocol;
		/* fragments other than the first carry no L4 header */
		if (ip.frag_off & bpf_htons(0x1fff))
			goto out;
		l4 = l3 + (ip.ihl & 0xf) * 4;
		goto l4;
	}
	if (proto != NT_ETH_P_IPV6)
		return;
v6: {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), l3))
			return;
		if (ip6.version != 6)
			return;
		m->l3 = NT_L3_IPV6;
		__builtin_memcpy(m->saddr, &ip6.saddr, 16);
		__builtin_memcpy(m->daddr, &ip6.daddr, 16);
		l4proto = ip6.nexthdr; /* extension headers: reported as the L4 proto */
		l4 = l3 + sizeof(ip6);
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
	} else if (l4proto == NT_IPPROTO_UDP) {
		struct udphdr uh;

		if (bpf_probe_read_kernel(&uh, sizeof(uh), l4))
			goto out;
		m->sport = bpf_ntohs(uh.source);
		m->dport = bpf_ntohs(uh.dest);
	} else if (l4proto == NT_IPPROTO_ICMP || l4proto == NT_IPPROTO_ICMPV6) {
		__u8 b[8];

		if (bpf_probe_read_kernel(b, sizeof(b), l4))
			goto out;
		m->sport = (__u16)b[0] << 8 | b[1];          /* type << 8 | code */
		m->dport = (__u16)b[4] << 8 | b[5];          /* echo id */
		m->l4_extra = (__u32)m->dport << 16 | ((__u16)b[6] << 8 | b[7]);
	}
out:
	return;
}

/* The capture filter (--filter): extras from read-only data, then the
 * pcap-filter part in the programs' filter slot (pcapf.bpf.h). */
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

static __always_inline __u32 nt_meta_sig(const struct nt_ev_meta *m)
{
	const __u32 *w = (const void *)m->saddr;
	__u32 s = 2166136261u;

	/* saddr, daddr, ports, ethertype/l4/l3, ifindex, netns, mark (not len) */
#pragma unroll
	for (int i = 0; i < 13; i++)
		s = (s ^ w[i]) * 16777619u;
	return s;
}

/*
 * Identity of a packet: fields that NAT and header rewrites keep (IPv4 id, TCP
 * sequence number, ICMP echo sequence, protocol).  When a re-check finds the
 * same skb address with another identity, the address was freed without a
 * tracepoint (e.g. __kfree_skb after TCP consumed the data) and reused for a
 * new packet.
 */
static __always_inline __u32 nt_meta_ident(const struct nt_ev_meta *m)
{
	__u32 x = m->l4_extra;

	if (m->l4proto == NT_IPPROTO_ICMP || m->l4proto == NT_IPPROTO_ICMPV6)
		x &= 0xffff; /* echo id may be rewritten by NAT, the sequence is not */
	return (x * 2654435761u) ^ ((__u32)m->ip_id << 8) ^ m->l4proto ^ ((__u32)m->l3 << 24);
}

/* conntrack of traced packets (ct.bpf.h, --conntrack) */
static __always_inline void nt_ct_hit(struct sk_buff *skb, __u32 func_id);
static __always_inline void nt_ct_forget(struct sk_buff *skb);

/* nt_track flags */
#define NT_TRACK_RECHECK 1 /* re-parse headers; emit META again if they changed */

/*
 * Look SKB up; on first sight parse it, apply the filter and emit NT_EV_META.
 * Returns 1 when the skb is traced (caller emits its record), 0 otherwise.
 */
static __always_inline int nt_track(struct sk_buff *skb, __u32 func_id, __u32 flags)
{
	__u64 key = (__u64)skb;
	struct nt_skb_state *st, nst = {};
	struct nt_ev_meta *m;
	__u32 sig, ident, was = 0, reused = 0, match;

	st = bpf_map_lookup_elem(&nt_skbs, &key);
	/* untraced skbs are rechecked too: an address freed without a free
	 * tracepoint (TCP) and reused by a packet the filter wants must not
	 * stay filtered out */
	if (st && !(flags & NT_TRACK_RECHECK))
		return st->match;

	m = nt_reserve(sizeof(*m));
	if (!m)
		return st ? st->match : 1;
	__builtin_memset(m, 0, sizeof(*m));
	nt_fill_hdr(&m->h, NT_EV_META, 0, func_id, key);
	nt_skb_meta_fill(skb, m);
	sig = nt_meta_sig(m);
	ident = nt_meta_ident(m);
	if (st) { /* recheck */
		if (st->sig == sig) {
			bpf_ringbuf_discard(m, 0);
			return st->match;
		}
		was = st->match;
		reused = st->ident != ident;
		if (was && !reused) { /* a traced packet's headers changed (NAT): it stays traced */
			st->sig = sig;
			bpf_ringbuf_submit(m, nt_rb_flags());
			return 1;
		}
	}
	/* first sight, an address reused by a new packet, or an untraced
	 * packet whose headers changed (NAT, another namespace): the filter
	 * decides (its only call: one filter slot per program) */
	match = nt_filter_match(skb, m);
	nt_ct_forget(skb); /* conntrack (ct.bpf.h): a new packet here */
	if (!st) {
		nst.match = match;
		nst.sig = sig;
		nst.ident = ident;
		bpf_map_update_elem(&nt_skbs, &key, &nst, BPF_ANY);
	} else {
		st->ident = ident;
		st->sig = sig;
		st->match = match;
		if (reused && was) {
			/* address reused by a new packet: end the old one (FREE before
			 * the new META in ring order) */
			struct nt_ev_hdr *f = nt_reserve(sizeof(*f));
			struct nt_ev_meta *m2;

			if (f) {
				nt_fill_hdr(f, NT_EV_FREE, NT_F_INFERRED, func_id, key);
				f->ts_ns = m->h.ts_ns - 1;
				bpf_ringbuf_submit(f, nt_rb_flags());
			}
			m2 = match ? nt_reserve(sizeof(*m2)) : 0;
			if (m2) {
				__builtin_memcpy(m2, m, sizeof(*m2));
				bpf_ringbuf_submit(m2, nt_rb_flags());
			}
			bpf_ringbuf_discard(m, 0);
			return match;
		}
	}
	if (!match) {
		bpf_ringbuf_discard(m, 0);
		return 0;
	}
	bpf_ringbuf_submit(m, nt_rb_flags());
	return 1;
}

/* Forget SKB (freed): its address may be reused by another packet. */
static __always_inline void nt_untrack(struct sk_buff *skb)
{
	__u64 key = (__u64)skb;

	bpf_map_delete_elem(&nt_skbs, &key);
}

/* Emit a header-only record (NT_EV_FUNC / NT_EV_FREE). */
static __always_inline void nt_emit_simple(__u8 type, __u8 flags, __u32 id, __u64 skb)
{
	struct nt_ev_hdr *h = nt_reserve(sizeof(*h));

	if (!h)
		return;
	nt_fill_hdr(h, type, flags, id, skb);
	bpf_ringbuf_submit(h, nt_rb_flags());
}

/* The common path of every skb probe: track (filter, metadata) then FUNC. */
static __always_inline void nt_hit(struct sk_buff *skb, __u32 func_id, __u32 track_flags)
{
	if (!skb)
		return;
	if (!nt_track(skb, func_id, track_flags))
		return;
	nt_emit_simple(NT_EV_FUNC, 0, func_id, (__u64)skb);
	nt_ct_hit(skb, func_id);
}

#endif
