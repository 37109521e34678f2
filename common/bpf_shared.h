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

/* nt_filter.flags: which fields are set.  All set fields must match (AND). */
#define NT_FLT_L3      0x0001  /* l3 == NT_L3_IPV4 / NT_L3_IPV6 */
#define NT_FLT_PROTO   0x0002  /* l4proto */
#define NT_FLT_HOST    0x0004  /* saddr or daddr within addr/prefix */
#define NT_FLT_SRC     0x0008  /* saddr within src/src_prefix */
#define NT_FLT_DST     0x0010  /* daddr within dst/dst_prefix */
#define NT_FLT_PORT    0x0020  /* sport or dport == port */
#define NT_FLT_SPORT   0x0040
#define NT_FLT_DPORT   0x0080
#define NT_FLT_IFINDEX 0x0100
#define NT_FLT_NETNS   0x0200
#define NT_FLT_MARK    0x0400  /* (mark & mark_mask) == mark_value */

/* In-kernel part of the capture filter (nft-record --filter, parsed by
 * nft-record/capfilter.c; the name is the BPF object's), applied when an skb is
 * first seen (pwru-style: a packet that matched stays tracked through NAT and
 * header changes).  Not the analyzer's selection (model/select.h). */
struct nt_filter {
	nt_u32 flags;
	nt_u8 l3;            /* NT_L3_* (host/src/dst imply it) */
	nt_u8 l4proto;
	nt_u8 host_prefix;   /* bits */
	nt_u8 src_prefix;
	nt_u8 dst_prefix;
	nt_u8 pad[3];
	nt_u8 host[16];
	nt_u8 src[16];
	nt_u8 dst[16];
	nt_u16 port;         /* host byte order */
	nt_u16 sport;
	nt_u16 dport;
	nt_u16 pad2;
	nt_u32 ifindex;
	nt_u32 netns;
	nt_u32 mark_value;
	nt_u32 mark_mask;
};

#endif
