/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tp.bpf.h - raw tracepoint programs (BPF_PROG_TYPE_RAW_TRACEPOINT), attached by
 * every backend of nft-record.  Function ids are the fixed NT_TP_* ids of
 * common/bpf_shared.h.
 *
 * Raw tracepoints see the tracepoint's TP_PROTO arguments (not the formatted
 * entry), the same on 6.1 and 6.18 for the arguments used here:
 *   net:netif_receive_skb(skb)  net:netif_rx(skb)  net:napi_gro_receive_entry(skb)
 *   net:net_dev_queue(skb)  net:net_dev_start_xmit(skb, dev)
 *   net:net_dev_xmit(skb, rc, dev, skb_len)
 *   skb:kfree_skb(skb, location, reason[, rx_sk])   (reason: 5.17+)
 *   skb:consume_skb(skb[, location])
 * tp_btf would give typed arguments but needs the "tracing" program type, which
 * is not available everywhere (e.g. kernels without fentry support).
 */
#ifndef NT_TP_BPF_H
#define NT_TP_BPF_H

/* Only for skbs that are already tracked (no header parsing: at net_dev_xmit
 * and consume_skb the skb may already be handed over or being torn down). */
static __always_inline int nt_is_tracked(struct sk_buff *skb)
{
	__u64 key = (__u64)skb;
	struct nt_skb_state *st = bpf_map_lookup_elem(&nt_skbs, &key);

	return st && st->match;
}

SEC("raw_tp/netif_receive_skb")
int BPF_PROG(nt_tp_netif_receive_skb, struct sk_buff *skb)
{
	nt_hit(skb, NT_TP_NETIF_RECEIVE_SKB, NT_TRACK_RECHECK);
	return 0;
}

SEC("raw_tp/netif_rx")
int BPF_PROG(nt_tp_netif_rx, struct sk_buff *skb)
{
	nt_hit(skb, NT_TP_NETIF_RX, NT_TRACK_RECHECK);
	return 0;
}

SEC("raw_tp/napi_gro_receive_entry")
int BPF_PROG(nt_tp_napi_gro_receive_entry, struct sk_buff *skb)
{
	nt_hit(skb, NT_TP_NAPI_GRO_RECEIVE, NT_TRACK_RECHECK);
	return 0;
}

SEC("raw_tp/net_dev_queue")
int BPF_PROG(nt_tp_net_dev_queue, struct sk_buff *skb)
{
	nt_hit(skb, NT_TP_NET_DEV_QUEUE, NT_TRACK_RECHECK);
	return 0;
}

SEC("raw_tp/net_dev_start_xmit")
int BPF_PROG(nt_tp_net_dev_start_xmit, struct sk_buff *skb)
{
	nt_hit(skb, NT_TP_NET_DEV_START_XMIT, NT_TRACK_RECHECK);
	return 0;
}

SEC("raw_tp/net_dev_xmit")
int BPF_PROG(nt_tp_net_dev_xmit, struct sk_buff *skb)
{
	if (skb && nt_is_tracked(skb))
		nt_emit_simple(NT_EV_FUNC, 0, NT_TP_NET_DEV_XMIT, (__u64)skb);
	return 0;
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(nt_tp_kfree_skb, struct sk_buff *skb, void *location, int reason)
{
	struct nt_ev_drop *d;
	__u16 proto;

	if (!skb)
		return 0;
	/* An skb never seen before is only reported when it is an IP packet
	 * (drops before the first packet tracepoint, e.g. in the IP layer of a
	 * locally generated packet); netlink / unix skbs are not packets. */
	if (!nt_is_tracked(skb)) {
		proto = bpf_ntohs(BPF_CORE_READ(skb, protocol));
		if (proto != NT_ETH_P_IP && proto != NT_ETH_P_IPV6)
			goto out;
	}
	if (!nt_track(skb, NT_TP_KFREE_SKB, 0))
		goto out;
	d = nt_reserve(sizeof(*d));
	if (d) {
		nt_fill_hdr(&d->h, NT_EV_DROP, 0, NT_TP_KFREE_SKB, (__u64)skb);
		d->location = (__u64)location;
		d->reason = (__u32)reason;
		d->pad = 0;
		bpf_ringbuf_submit(d, nt_rb_flags());
	}
out:
	nt_untrack(skb);
	return 0;
}

SEC("raw_tp/consume_skb")
int BPF_PROG(nt_tp_consume_skb, struct sk_buff *skb)
{
	if (!skb)
		return 0;
	if (nt_is_tracked(skb))
		nt_emit_simple(NT_EV_FREE, 0, NT_TP_CONSUME_SKB, (__u64)skb);
	nt_untrack(skb);
	return 0;
}

#endif
