/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcapf.bpf.h - the pcap-filter part of --filter, run on an skb.
 *
 * nt_pcapf_skb() picks the view of the packet the filter reads and runs the
 * placeholder that user space fills with the translated filter before the
 * object is loaded (pcapfilt/abi.h: contract; pcapfilt/xlate.h: design).
 * Unpatched (no --filter, or only extras) the placeholder matches everything.
 *
 * View (where byte 0 of the classic program's Ethernet frame is; the program
 * is compiled for DLT_EN10MB and reads the same frame in every view):
 *   L2  the skb has an Ethernet-like MAC header in front of its network
 *       header (mac_header set, at least 14 bytes before network_header, the
 *       device is Ethernet or loopback, whose frames tcpdump reads as
 *       DLT_EN10MB): base = head + mac_header.  Also when skb->data has
 *       already moved to the network header (receive path after
 *       eth_type_trans, IP layer): the MAC header is still in the buffer.
 *       When VLAN offload took the 802.1Q tag out of the frame
 *       (skb->vlan_tci), view L2_VLAN: the block reads the frame with the
 *       tag put back, as tcpdump writes it.
 *   L3  otherwise (locally generated packets before the device layer,
 *       tunnels without a MAC header): base = head + network_header (or
 *       skb->data when unset); the block reads it behind a made-up Ethernet
 *       header, addresses zero, EtherType skb->protocol (or, when that is
 *       still 0, 0x0800 / 0x86dd by the IP version nibble).
 * caplen = bytes of linear data from base (skb->head + skb->tail - base);
 * wirelen = skb->len + bytes between base and skb->data.
 */
#ifndef NT_PCAPF_BPF_H
#define NT_PCAPF_BPF_H

#include "pcapfilt/abi.h"

#define NT_ARPHRD_ETHER 1
#define NT_ARPHRD_LOOPBACK 772

/* kernels < 6.2: the tag is valid only while this bit is set (vlan_proto /
 * vlan_tci may be stale after __vlan_hwaccel_clear_tag) */
struct sk_buff___nt_vlan_present {
	__u8 vlan_present : 1;
} __attribute__((preserve_access_index));

static __always_inline __u32 nt_pcapf_vlan(struct sk_buff *skb)
{
	__u16 proto = bpf_ntohs(BPF_CORE_READ(skb, vlan_proto));
	__u16 tci = BPF_CORE_READ(skb, vlan_tci);

	if (bpf_core_field_exists(((struct sk_buff___nt_vlan_present *)skb)->vlan_present)) {
		if (!BPF_CORE_READ_BITFIELD_PROBED((struct sk_buff___nt_vlan_present *)skb, vlan_present))
			return 0;
	} else if (!proto) {
		return 0;
	}
	return (__u32)proto << 16 | tci;
}

/* Run the placeholder: r0 != 0 = match. */
static __always_inline int nt_pcapf_run(__u64 base, __u64 caplen, __u64 wirelen, __u64 view, __u64 vlan)
{
	__u64 scratch[NT_PCAPF_SCRATCH / 8];
	register __u64 r0 asm("r0");
	register __u64 r1 asm("r1") = base;
	register __u64 r2 asm("r2") = caplen;
	register __u64 r3 asm("r3") = wirelen;
	register __u64 r4 asm("r4") = view;
	register __u64 r5 asm("r5") = vlan;
	register __u64 *r9 asm("r9") = scratch + NT_PCAPF_SCRATCH / 8;

	asm volatile(NT_PCAPF_PLACEHOLDER_ASM
		     : "=r"(r0), "+r"(r1), "+r"(r2), "+r"(r3), "+r"(r4), "+r"(r5)
		     : "r"(r9)
		     : "r6", "r7", "r8", "memory");
	return r0 != 0;
}

static __always_inline int nt_pcapf_skb(struct sk_buff *skb)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	unsigned char *data = BPF_CORE_READ(skb, data);
	unsigned char *end = head + BPF_CORE_READ(skb, tail);
	__u16 mh = BPF_CORE_READ(skb, mac_header);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u32 len = BPF_CORE_READ(skb, len);
	__u16 type = BPF_CORE_READ(skb, dev, type);
	unsigned char *base;
	__u64 view = NT_PCAPF_VIEW_L3, vlan = 0; /* vlan: r5 (abi.h) */

	if (mh != (__u16)~0U && nh != (__u16)~0U && (__u32)mh + 14 <= nh &&
	    (type == NT_ARPHRD_ETHER || type == NT_ARPHRD_LOOPBACK)) {
		base = head + mh;
		view = NT_PCAPF_VIEW_L2;
		vlan = nt_pcapf_vlan(skb);
		if (vlan)
			view = NT_PCAPF_VIEW_L2_VLAN;
	} else {
		base = nh != (__u16)~0U ? head + nh : data;
		vlan = bpf_ntohs(BPF_CORE_READ(skb, protocol)); /* r5: the EtherType */
		if (!vlan) {
			__u8 v = 0;

			bpf_probe_read_kernel(&v, 1, base);
			vlan = (v >> 4) == 4 ? 0x0800 : (v >> 4) == 6 ? 0x86dd : 0;
		}
	}
	if (end < base || data < base - 65535 || base > data + len)
		return 0; /* inconsistent offsets: nothing sensible to read */
	return nt_pcapf_run((__u64)base, end - base, len + (data - base), view, vlan);
}

#endif
