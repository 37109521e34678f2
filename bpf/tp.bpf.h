/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tp.bpf.h - raw tracepoint programs (BPF_PROG_TYPE_RAW_TRACEPOINT), attached by
 * every backend of nft-record (nft-record/tracepoints.c).
 *
 * Raw tracepoints see the tracepoint's TP_PROTO arguments (not the formatted
 * entry).  tp_btf would give typed arguments but needs the "tracing" program
 * type, which is not available everywhere (e.g. kernels without fentry).
 *
 * Generic programs nt_tpg1..nt_tpg5: one template per skb argument position.
 * Raw tracepoints have no attach cookie before 6.10 and bpf_get_func_ip() does
 * not serve them, so user space loads one clone of the template per
 * tracepoint (same instructions) after patching the 64-bit constant that
 * nt_tp_conf() loads (NT_TPC_MAGIC, one ld_imm64) with that tracepoint's
 * configuration:
 *
 *   bits  0..31  function id (fixed NT_TP_* id, or one after the functions)
 *   bit  32      NT_TPC_RECHECK: re-parse the headers (packet path points)
 *   bit  33      NT_TPC_IP_ONLY: only skbs whose skb->protocol is IPv4 / IPv6
 *                (socket-level tracepoints also see unix and netlink skbs)
 *   bit  34      NT_TPC_TRACKED: only skbs already traced (seen on the packet
 *                path), or a copy of a traced packet's skb that no probe saw
 *                being made (same data buffer skb->head, same identity: the
 *                clone a raw / ping socket queued): LINK kind HEAD to the
 *                packet, never a packet of its own
 *
 * The templates themselves are loaded (so that libbpf relocates maps and CO-RE
 * once) but never attached.
 *
 * Special programs, with arguments beyond the skb:
 *   net:net_dev_xmit(skb, rc, dev, skb_len)       only already tracked skbs
 *   skb:kfree_skb(skb, location, reason[, rx_sk]) drop reason (5.17+);
 *                                 before 5.17 (skb, location): nt_tp_kfree_skb_noreason
 *   skb:consume_skb(skb[, location])              end of the packet
 */
#ifndef NT_TP_BPF_H
#define NT_TP_BPF_H

/* NT_TPC_MAGIC, NT_TPC_RECHECK, NT_TPC_IP_ONLY: common/bpf_shared.h */

/* Only for skbs that are already tracked (no header parsing: at net_dev_xmit
 * and consume_skb the skb may already be handed over or being torn down). */
static __always_inline int nt_is_tracked(struct sk_buff *skb)
{
	__u64 key = (__u64)skb;
	struct nt_skb_state *st = bpf_map_lookup_elem(&nt_skbs, &key);

	return st && st->match;
}

/* The same, counting a hit of a shed packet (valve.bpf.h). */
static __always_inline int nt_is_tracked_hit(struct sk_buff *skb)
{
	__u64 key = (__u64)skb;
	struct nt_skb_state *st = bpf_map_lookup_elem(&nt_skbs, &key);

	if (st && st->shed)
		nt_shed_event();
	return st && st->match;
}

/* The data buffer of SKB belongs to a traced packet (nt_heads). */
static __always_inline int nt_head_known(struct sk_buff *skb)
{
	__u64 head = (__u64)BPF_CORE_READ(skb, head);

	return head && bpf_map_lookup_elem(&nt_heads, &head);
}

static __always_inline int nt_is_ip(struct sk_buff *skb)
{
	__u16 proto = bpf_ntohs(BPF_CORE_READ(skb, protocol));

	return proto == NT_ETH_P_IP || proto == NT_ETH_P_IPV6;
}

/* The per-clone constant: exactly one ld_imm64 of NT_TPC_MAGIC. */
static __always_inline __u64 nt_tp_conf(void)
{
	__u64 c;

	asm volatile("%0 = %1 ll" : "=r"(c) : "i"(NT_TPC_MAGIC));
	return c;
}

static __always_inline void nt_tp_hit(void *ctx, struct sk_buff *skb, __u64 conf)
{
	__u32 flags = 0;

	if (!skb || nt_floor_stop(skb)) /* nt_floor: bench (keep.bpf.h) */
		return;
	/* socket-level tracepoints also see unix / netlink skbs, and such an
	 * skb may reuse the address of a tracked packet freed without a free
	 * tracepoint (TCP): skb->protocol tells them apart */
	if ((conf & NT_TPC_IP_ONLY) && !nt_is_ip(skb))
		return;
	if (conf & NT_TPC_TRACKED) {
		/* socket level: a traced skb, or a copy of one whose creation
		 * no probe saw (the clone a raw / ping socket queued) */
		if (!nt_is_tracked(skb) && !nt_head_known(skb))
			return;
		flags = NT_TRACK_HEAD | NT_TRACK_LINKONLY;
	}
	/* one nt_hit: CONF is a constant of each clone, the verifier follows
	 * only its own flags (two inlined copies doubled the program) */
	nt_hit(ctx, skb, (__u32)conf, flags | ((conf & NT_TPC_RECHECK) ? NT_TRACK_RECHECK : 0));
}

#define NT_TPG(n)                                                               \
	SEC("raw_tp")                                                           \
	int nt_tpg##n(struct bpf_raw_tracepoint_args *ctx)                      \
	{                                                                       \
		nt_tp_hit(ctx, (struct sk_buff *)ctx->args[n - 1], nt_tp_conf()); \
		return 0;                                                       \
	}
NT_TPG(1)
NT_TPG(2)
NT_TPG(3)
NT_TPG(4)
NT_TPG(5)

SEC("raw_tp/net_dev_xmit")
int BPF_PROG(nt_tp_net_dev_xmit, struct sk_buff *skb)
{
	if (nt_floor_stop(skb))
		return 0;
	if (skb && nt_is_tracked_hit(skb))
		nt_emit_simple(NT_EV_FUNC, 0, NT_TP_NET_DEV_XMIT, (__u64)skb);
	return 0;
}

/* skb_release_data's text [lo, hi) (user space, from kallsyms; 0 when unknown):
 * where the members of a freed skb's frag_list are freed */
const volatile __u64 nt_srd_lo = 0, nt_srd_hi = 0;

static __always_inline void nt_kfree(void *ctx, struct sk_buff *skb, void *location, __u32 reason)
{
	struct nt_ev_drop *d;
	__u32 stack_id;

	if (!skb || nt_floor_stop(skb))
		return;
	/* An skb never seen before is only reported when it is an IP packet
	 * (drops before the first packet tracepoint, e.g. in the IP layer of a
	 * locally generated packet); netlink / unix skbs are not packets. */
	if (!nt_is_tracked(skb) && !nt_is_ip(skb))
		goto out;
	/* A member of a freed skb's frag_list (a GRO segment, an IP fragment
	 * merged by reassembly) never seen on its own is part of that packet,
	 * not a packet of its own */
	if ((__u64)location >= nt_srd_lo && (__u64)location < nt_srd_hi && !nt_is_tracked(skb))
		goto out;
	/* re-parsed: a fragment may have become the reassembled packet */
	if (!nt_track(skb, NT_TP_KFREE_SKB, NT_TRACK_RECHECK | NT_TRACK_HEAD))
		goto out;
	nt_ct_hit(skb, NT_TP_KFREE_SKB); /* --conntrack: the entry at the drop */
	d = nt_reserve(sizeof(*d));
	if (d) {
		/* --stack (stack.bpf.h): taken for a record that can carry it */
		stack_id = nt_stack_take(ctx);
		nt_fill_hdr(&d->h, NT_EV_DROP, nt_shared_flag(skb), NT_TP_KFREE_SKB, (__u64)skb);
		d->location = (__u64)location;
		d->reason = reason;
		d->stack_id = stack_id;
		NT_SUBMIT(d);
	}
out:
	nt_untrack(skb);
	nt_forget(skb);
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(nt_tp_kfree_skb, struct sk_buff *skb, void *location, int reason)
{
	nt_kfree(ctx, skb, location, (__u32)reason);
	return 0;
}

/* Kernels before 5.17: kfree_skb(skb, location), no drop reason.  A raw
 * tracepoint program must not read past the tracepoint's arguments (attach:
 * EINVAL), so this one reads two; reason 0 = none. */
SEC("raw_tp/kfree_skb")
int BPF_PROG(nt_tp_kfree_skb_noreason, struct sk_buff *skb, void *location)
{
	nt_kfree(ctx, skb, location, 0);
	return 0;
}

SEC("raw_tp/consume_skb")
int BPF_PROG(nt_tp_consume_skb, struct sk_buff *skb)
{
	if (!skb || nt_floor_stop(skb))
		return 0;
	if (nt_is_tracked_hit(skb))
		nt_emit_simple(NT_EV_FREE, nt_shared_flag(skb), NT_TP_CONSUME_SKB, (__u64)skb);
	nt_untrack(skb);
	nt_forget(skb);
	return 0;
}

#endif
