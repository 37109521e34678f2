/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpf_shared.h - configuration shared by the BPF object (bpf/nt.bpf.c) and the
 * recorder: in-kernel filter, fixed tracepoint function ids.  Not part of the
 * log format (records.h is).
 */
#ifndef NT_BPF_SHARED_H
#define NT_BPF_SHARED_H

#include "common/records.h"

/*
 * The packet path tracepoints get the first function ids of every recording's
 * function table (FUNCS block), in this order; traced kernel functions follow
 * from NT_TP__COUNT on, and every other skb-carrying tracepoint that the
 * kernel has (found at run time, nft-record/tracepoints.c) gets an id after
 * the functions.  Names: NT_TP_NAMES below; the FUNCS block names every id.
 */
enum nt_tp_id {
	NT_TP_NETIF_RECEIVE_SKB = 0,  /* net:netif_receive_skb */
	NT_TP_NETIF_RX,               /* net:netif_rx */
	NT_TP_NAPI_GRO_RECEIVE,       /* net:napi_gro_receive_entry */
	NT_TP_NET_DEV_QUEUE,          /* net:net_dev_queue */
	NT_TP_NET_DEV_START_XMIT,     /* net:net_dev_start_xmit */
	NT_TP_NET_DEV_XMIT,           /* net:net_dev_xmit */
	NT_TP_KFREE_SKB,              /* skb:kfree_skb */
	NT_TP_CONSUME_SKB,            /* skb:consume_skb */
	NT_TP__COUNT
};

#define NT_TP_NAMES { "net:netif_receive_skb", "net:netif_rx", "net:napi_gro_receive_entry", \
	"net:net_dev_queue", "net:net_dev_start_xmit", "net:net_dev_xmit", "skb:kfree_skb", \
	"skb:consume_skb" }
#define NT_TP_LAYERS { "Device", "Device", "GRO", "Xmit", "Xmit", "Xmit", "Drop", "Free" }

/*
 * Generic raw tracepoint programs (bpf/tp.bpf.h nt_tpg<N>): user space clones
 * the template of the skb argument position per tracepoint and replaces the
 * 64-bit constant NT_TPC_MAGIC (one ld_imm64) with the tracepoint's
 * configuration: function id in bits 0..31, plus these flags.
 */
#define NT_TPC_MAGIC 0x4e5454504346470aULL /* "NTTPCFG\n" */
#define NT_TPC_RECHECK (1ULL << 32)  /* re-parse headers (packet path points) */
#define NT_TPC_IP_ONLY (1ULL << 33)  /* only skbs with skb->protocol IPv4 / IPv6 */
#define NT_TPC_TRACKED (1ULL << 34)  /* only skbs already traced (no first sight) */

/* nt_stack_mode (bpf/stack.bpf.h, nft-record --stack) */
#define NT_STACK_OFF 0
#define NT_STACK_DROP 1   /* the kernel stack of every traced drop (DROP.stack_id) and, in
			   * function mode, of the nftables step that decided a drop (STACKREF) */
#define NT_STACK_ALL 2    /* these and a stack at every traced hit (STACKREF after its FUNC) */

/*
 * nftrace socket filter (bpf/nlmsg.bpf.h nt_nlmsg): user space loads one clone
 * per trace socket with this constant (one ld_imm64) replaced by
 * (socket index << 32 | namespace inode).
 */
#define NT_NLC_MAGIC 0x4e544e4c4d534743ULL /* "NTNLMSGC" */

/*
 * Roles of traced functions for packet identity, in bits 57..59 of the
 * function probes' attach cookie (bpf/func.bpf.h); from common/layers.c
 * (nt_func_role), also named in the FUNCS block ("role").
 */
#define NT_COOKIE_ROLE_SHIFT 57
#define NT_ROLE_NONE 0
#define NT_ROLE_ALLOC 1   /* the skb argument is being (re)built: a new packet starts there */
#define NT_ROLE_FREE 2    /* the skb argument is freed */
#define NT_ROLE_DROP 3    /* FUNCS only: frees the skb as a drop (kfree_skb_reason ...) */
#define NT_ROLE_DELIVER 4 /* FUNCS only: the skb reached a socket (queued / copied to user) */
#define NT_ROLE_XMIT 5    /* FUNCS only: the skb left through a device */
/* bit 60 of the same cookie: the skb's IP headers are complete at this
 * function (netfilter hook, IP local output), see NT_TRACK_HDRS */
#define NT_COOKIE_HDRS (1ULL << 60)

/* nt_filter.flags: which checks apply.  All must match (AND). */
#define NT_FLT_IFINDEX 0x0100  /* device ifindex (--filter iface NAME) */
#define NT_FLT_NETNS   0x0200  /* namespace inode (--filter netns NAME) */
#define NT_FLT_MARK    0x0400  /* (mark & mark_mask) == mark_value */
#define NT_FLT_PCAP    0x0800  /* the pcap-filter part: the programs' filter slot
				* (bpf/pcapf.bpf.h, pcapfilt/abi.h) */

/* In-kernel filter, applied where an skb is first seen and where its headers
 * change (pwru-style: a packet that matched stays tracked through NAT). */
struct nt_filter {
	nt_u32 flags;
	nt_u32 ifindex;
	nt_u32 netns;
	nt_u32 mark_value;
	nt_u32 mark_mask;
};

#endif
