/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nlmsg.bpf.h - nftables trace messages through the BPF ring buffer.
 *
 * nt_nlmsg is a socket filter (BPF_PROG_TYPE_SOCKET_FILTER) that user space
 * (nft-record/nftrace.c) attaches with SO_ATTACH_BPF to its NFNLGRP_NFTRACE
 * socket of each recorded namespace.  netlink_broadcast() runs socket filters
 * synchronously, so the program runs on the CPU and in the context that
 * evaluated the rule (nft_trace_notify()): it copies the whole message into
 * the ring buffer nt_events as an NT_EV_NLMSG record (common/records.h), with
 * bpf_ktime_get_ns() and the CPU, between the packet events that surround it,
 * then returns 0: the socket itself receives nothing (no socket buffer, no
 * overrun, no recvmsg).
 *
 * Losses are exact: a message that finds no room in the ring (or is longer
 * than NT_NLMSG_MAX, which nft_trace_notify() never builds: names <= 256,
 * headers <= 80 bytes) is counted in the per-CPU nt_nl_lost (LOSS source
 * nftrace_ring).  Ring records use size classes (128 .. 2048 bytes of
 * message) so a reservation has a constant size and a message wastes less
 * than half of its record.
 *
 * The namespace of the socket is not known to the program (the broadcast skb
 * has no socket yet): user space loads one clone per socket with the 64-bit
 * constant NT_NLC_MAGIC (one ld_imm64) replaced by
 * (socket index << 32 | namespace inode), the technique of tp.bpf.h.
 * The template itself is loaded (relocated, verified) but never attached.
 *
 * Helpers: bpf_ringbuf_* and bpf_ktime_get_ns are in bpf_base_func_proto
 * (every program type) since 5.8; bpf_skb_load_bytes is a socket filter
 * helper since 4.x.
 */
#ifndef NT_NLMSG_BPF_H
#define NT_NLMSG_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} nt_nl_lost SEC(".maps");

static __always_inline __u64 nt_nlc_conf(void)
{
	__u64 c;

	asm volatile("%0 = %1 ll" : "=r"(c) : "i"(NT_NLC_MAGIC));
	return c;
}

static __always_inline void nt_nl_count_loss(void)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&nt_nl_lost, &k);

	if (v)
		*v += 1; /* per-CPU slot */
}

/* One size class (SZ a power of 2): reserve 32 + SZ bytes, copy LEN (1..SZ)
 * message bytes.  The length is re-derived by masking so that the verifier
 * sees its bounds on the register passed to the helper (clang tests a copy). */
#define NT_NLMSG_CLASS(SZ)                                                              \
	if (len <= SZ) {                                                                \
		__u32 l = ((len - 1) & (SZ - 1)) + 1;                                   \
		struct {                                                                \
			struct nt_ev_nlmsg m;                                           \
			__u8 d[SZ];                                                     \
		} *r = bpf_ringbuf_reserve(&nt_events, sizeof(*r), 0);                  \
		if (!r)                                                                 \
			goto lost;                                                      \
		if (bpf_skb_load_bytes(skb, 0, r->d, l)) {                              \
			bpf_ringbuf_discard(r, BPF_RB_NO_WAKEUP);                                      \
			goto lost;                                                      \
		}                                                                       \
		nt_fill_hdr(&r->m.h, NT_EV_NLMSG, 0, (__u32)conf, conf >> 32);          \
		r->m.len = l;                                                           \
		r->m.pad = 0;                                                           \
		r->m.pad2 = 0;                                                          \
		bpf_ringbuf_submit(r, nt_rb_wake());                                   \
		return 0;                                                               \
	}

SEC("socket")
int nt_nlmsg(struct __sk_buff *skb)
{
	__u64 conf = nt_nlc_conf();
	__u32 len = skb->len;

	if (nt_off) /* recording stopped: not a loss */
		return 0;
	if (len < 1)
		return 0;
	NT_NLMSG_CLASS(128)
	NT_NLMSG_CLASS(256)
	NT_NLMSG_CLASS(512)
	NT_NLMSG_CLASS(1024)
	NT_NLMSG_CLASS(NT_NLMSG_MAX)
lost:
	nt_nl_count_loss();
	return 0;
}

#endif
