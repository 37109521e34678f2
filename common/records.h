/* SPDX-License-Identifier: GPL-2.0 */
/*
 * records.h - every on-wire record of nft-tracer, shared by the BPF programs
 * (bpf/nt.bpf.c, compiled with clang -target bpf against vmlinux.h) and by the
 * user-space tools (recorder, log codec, analyzer).
 *
 * The same fixed-size structs travel through the BPF ring buffer and are stored
 * in the EVENTS blocks of the log (formats/FORMAT.md), so the layout below *is*
 * the file format: change it only together with NT_FORMAT_VERSION.
 * All integers are little-endian on disk (the log header records the byte order
 * of the writer; only little-endian writers exist today).
 */
#ifndef NT_RECORDS_H
#define NT_RECORDS_H

#ifdef __BPF__
/* BPF side: types come from vmlinux.h, included before this header. */
typedef __u8 nt_u8;
typedef __u16 nt_u16;
typedef __u32 nt_u32;
typedef __s32 nt_s32;
typedef __u64 nt_u64;
#else
#include <stdint.h>
typedef uint8_t nt_u8;
typedef uint16_t nt_u16;
typedef uint32_t nt_u32;
typedef int32_t nt_s32;
typedef uint64_t nt_u64;
#endif

/* Log format major version written by this tree (formats/FORMAT.md).  Readers
 * accept every major version from 1 up to this one: v1 records are converted
 * to the structs below when read (new fields zero). */
#define NT_FORMAT_VERSION 2

/* Record types (nt_ev_hdr.type). Values are part of the file format. */
enum nt_ev_type {
	NT_EV_FUNC = 1,       /* a traced function / tracepoint was hit by an skb */
	NT_EV_META = 2,       /* packet metadata: first sight of an skb or a change */
	NT_EV_NFT_CHAIN = 3,  /* base chain evaluation enter / exit (nft_do_chain) */
	NT_EV_NFT_RULE = 4,   /* one nftables trace step: rule verdict / return / policy */
	NT_EV_NFT_CHAINDEF = 5, /* defines a chain key: table/chain names, hook, prio */
	NT_EV_DROP = 6,       /* skb freed as a drop, with kernel drop reason */
	NT_EV_LINK = 7,       /* clone / copy / realloc: new skb id derived from parent */
	NT_EV_LOSS = 8,       /* loss counter snapshot of one CPU / source */
	NT_EV_FREE = 9,       /* skb freed normally (consume_skb / kfree_skbmem) */
	/* ---- format version 2 ---- */
	NT_EV_DEV = 10,       /* the skb is now on this device / network namespace */
	NT_EV_CT = 11,        /* conntrack snapshot of the skb: first sight and changes */
	NT_EV_BYTES = 12,     /* packet bytes (variable size): first sight, header changes */
	NT_EV_STACKREF = 13,  /* kernel stack (STACKS block id) of the skb's previous record */
	NT_EV_COUNT = 14,     /* cumulative counter that is not a loss (NT_CNT_*) */
	NT_EV__MAX,
	/* Types >= NT_EV_INTERNAL only travel through the BPF ring buffer between
	 * the kernel and the recorder; they are never written to a log. */
	NT_EV_INTERNAL = 64,
	NT_EV_NLMSG = 64,     /* a raw nftrace netlink message (struct nt_ev_nlmsg) */
};

/* nt_ev_hdr.flags */
#define NT_F_RET        0x01 /* NT_EV_FUNC: function return (fexit / kretprobe) */
#define NT_F_SYNTH      0x02 /* produced by user space (netlink nftrace), not BPF */
#define NT_F_UNCORRELATED 0x04 /* user-space record whose skb could not be matched */
#define NT_F_INFERRED   0x08 /* NT_EV_FREE: not observed; the skb address was seen again
				 * with another packet identity (freed without a tracepoint) */
#define NT_F_DISCARD    0x10 /* NT_EV_FREE: the packet did not pass the capture filter
				 * once its headers were known: drop what was recorded of
				 * it ("pending" records before its first IP META) */
#define NT_F_SHARED     0x20 /* NT_EV_DROP / NT_EV_FREE: another skb still holds this skb's
				 * data buffer (a clone no probe saw, e.g. a ping or raw
				 * socket's): it may still show up, linked to this skb by
				 * NT_EV_LINK kind HEAD */

/*
 * Common header of every record: 24 bytes.
 *  ts_ns  CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns); the log header gives
 *         the offset to wall-clock time.  In EVENTS blocks on disk the value is
 *         delta-coded against the previous record of the block (FORMAT.md).
 *  skb    skb id: the kernel address of the struct sk_buff (0 = unknown).
 *  id     NT_EV_FUNC / NT_EV_META / NT_EV_DROP / NT_EV_FREE: function id (index in
 *         the log's function table); other types: see the record.
 */
struct nt_ev_hdr {
	nt_u8 type;
	nt_u8 flags;
	nt_u16 cpu;
	nt_u32 id;
	nt_u64 ts_ns;
	nt_u64 skb;
};

/* NT_EV_FUNC: hdr only. */
struct nt_ev_func {
	struct nt_ev_hdr h;
};

/* Address family of nt_ev_meta.l3 */
#define NT_L3_NONE 0
#define NT_L3_IPV4 4
#define NT_L3_IPV6 6

/*
 * NT_EV_META (96 bytes; 88 in format version 1, without the last three
 * fields): packet metadata, emitted the first time an skb is seen and whenever
 * one of its fields changes (NAT, reallocation ...).
 * IPv4 addresses use the first 4 bytes of saddr/daddr.
 * For ICMP / ICMPv6, sport = type << 8 | code and dport = echo id.
 * l4_extra: TCP sequence number, ICMP echo id << 16 | seq, else 0.
 * frag_id / frag: fragment identity.  frag_id = IPv4 identification or IPv6
 * Fragment header identification; frag = NT_FRAG_* bits and the fragment
 * offset in 8-byte units (bits 0..12); 0 when the packet is not a fragment.
 * For a fragment, l4proto is the protocol of the fragmented packet.
 * l4_csum: TCP / UDP / ICMP checksum as on the wire (tells packets with
 * otherwise equal headers apart), 0 when unknown.
 */
#define NT_FRAG_OFF_MASK 0x1fff
#define NT_FRAG_MF 0x2000      /* more fragments follow */
#define NT_FRAG_IS 0x8000      /* the packet is a fragment (offset != 0 or MF) */

struct nt_ev_meta {
	struct nt_ev_hdr h;
	nt_u8 saddr[16];
	nt_u8 daddr[16];
	nt_u16 sport;
	nt_u16 dport;
	nt_u16 ethertype;   /* host byte order, e.g. 0x0800 */
	nt_u8 l4proto;      /* IPPROTO_* */
	nt_u8 l3;           /* NT_L3_* */
	nt_u32 ifindex;
	nt_u32 netns;       /* network namespace inode number */
	nt_u32 mark;
	nt_u32 len;         /* skb->len */
	nt_u16 ip_id;       /* IPv4 identification (host order), 0 for IPv6 */
	nt_u16 tcp_flags;   /* TCP flags byte (FIN=1 ... CWR=0x80), 0 otherwise */
	nt_u32 l4_extra;
	/* format version 2 */
	nt_u32 frag_id;
	nt_u16 frag;        /* NT_FRAG_* | offset / 8 */
	nt_u16 l4_csum;
};

/* nftables hooks (NF_INET_*), stored in chain records */
#define NT_HOOK_PREROUTING 0
#define NT_HOOK_INPUT 1
#define NT_HOOK_FORWARD 2
#define NT_HOOK_OUTPUT 3
#define NT_HOOK_POSTROUTING 4
#define NT_HOOK_INGRESS 5
#define NT_HOOK_EGRESS 6
#define NT_HOOK_NONE 0xff

/*
 * Verdict codes are the kernel's: NF_DROP 0, NF_ACCEPT 1, NF_STOLEN 2, NF_QUEUE 3,
 * NF_REPEAT 4, NF_STOP 5, NFT_CONTINUE -1, NFT_BREAK -2, NFT_JUMP -3,
 * NFT_GOTO -4, NFT_RETURN -5.  NF_QUEUE's queue number is masked off.
 */
#define NT_V_DROP 0
#define NT_V_ACCEPT 1
#define NT_V_STOLEN 2
#define NT_V_QUEUE 3
#define NT_V_REPEAT 4
#define NT_V_STOP 5
#define NT_V_CONTINUE (-1)
#define NT_V_BREAK (-2)
#define NT_V_JUMP (-3)
#define NT_V_GOTO (-4)
#define NT_V_RETURN (-5)
#define NT_V_NONE (-100) /* not known (e.g. chain enter) */

/* nt_ev_nft_chain.phase */
#define NT_CHAIN_ENTER 0
#define NT_CHAIN_EXIT 1

/*
 * NT_EV_NFT_CHAIN (48 bytes): a base chain evaluation.  hdr.id unused (0).
 * chain_key refers to an NT_EV_NFT_CHAINDEF record seen earlier in the log.
 */
struct nt_ev_nft_chain {
	struct nt_ev_hdr h;
	nt_u64 chain_key;
	nt_s32 verdict;     /* NT_CHAIN_EXIT: verdict returned; else NT_V_NONE */
	nt_u8 phase;        /* NT_CHAIN_* */
	nt_u8 family;       /* NFPROTO_* */
	nt_u8 hook;         /* NT_HOOK_* */
	nt_u8 depth;
	nt_u32 trace_id;    /* nftrace id when known, else 0 */
	nt_u32 pad;
};

/* nt_ev_nft_rule.kind: NFT_TRACETYPE_* of the kernel */
#define NT_RULE_KIND_RULE 3    /* a rule issued the verdict */
#define NT_RULE_KIND_RETURN 2  /* fell off the end of a non-base chain */
#define NT_RULE_KIND_POLICY 1  /* base chain policy */

/*
 * NT_EV_NFT_RULE (64 bytes): one nftables trace step.  hdr.id unused (0).
 * rule_handle is the rule's handle as `nft -a list ruleset` prints it
 * (0 for policy / return).  target_key: chain key of a jump / goto target.
 */
struct nt_ev_nft_rule {
	struct nt_ev_hdr h;
	nt_u64 chain_key;
	nt_u64 rule_handle;
	nt_u64 target_key;
	nt_s32 verdict;
	nt_u32 trace_id;
	nt_u8 kind;         /* NT_RULE_KIND_* */
	nt_u8 depth;        /* jump stack depth, 0 = base chain */
	nt_u8 family;       /* NFPROTO_* */
	nt_u8 hook;         /* NT_HOOK_* */
	nt_u32 pad;
};

#define NT_NAME_LEN 64

/*
 * NT_EV_NFT_CHAINDEF (176 bytes): defines chain_key.  Emitted once per key,
 * before the first record that uses it.  hdr.ts_ns/skb/cpu may be 0.
 * Names longer than NT_NAME_LEN - 1 are truncated (NUL terminated).
 */
struct nt_ev_nft_chaindef {
	struct nt_ev_hdr h;
	nt_u64 chain_key;
	char table[NT_NAME_LEN];
	char chain[NT_NAME_LEN];
	nt_u8 family;       /* NFPROTO_* */
	nt_u8 hook;         /* NT_HOOK_*, NT_HOOK_NONE for regular chains */
	nt_u8 policy;       /* NF_DROP / NF_ACCEPT for base chains */
	nt_u8 base;         /* 1 = base chain */
	nt_s32 prio;
	nt_u32 netns;
	nt_u32 pad;
};

/*
 * NT_EV_DROP (40 bytes): skb dropped.  hdr.id = function id of the drop point
 * (e.g. the skb:kfree_skb tracepoint).  reason is the kernel's
 * enum skb_drop_reason value; names come from the log's DROP_REASONS block.
 * stack_id (format version 2; v1: padding, 0): kernel stack of the drop in
 * the log's STACKS block, 0 = none.
 */
struct nt_ev_drop {
	struct nt_ev_hdr h;
	nt_u64 location;    /* kernel address that freed the skb */
	nt_u32 reason;
	nt_u32 stack_id;
};

/* nt_ev_link.kind */
#define NT_LINK_CLONE 1
#define NT_LINK_COPY 2
#define NT_LINK_REALLOC 3 /* same packet, new skb address */
#define NT_LINK_HEAD 4    /* new skb address sharing the data buffer (skb->head) of
			   * a traced packet: a clone whose creation was not seen */

/* NT_EV_LINK (40 bytes): hdr.skb = new skb, parent = the skb it came from. */
struct nt_ev_link {
	struct nt_ev_hdr h;
	nt_u64 parent;
	nt_u32 kind;        /* NT_LINK_* */
	nt_u32 pad;
};

/* nt_ev_loss.source */
#define NT_LOSS_RINGBUF 1  /* BPF ring buffer reservation failures */
#define NT_LOSS_NETLINK 2  /* NFNLGRP_NFTRACE socket overruns (ENOBUFS) */
#define NT_LOSS_USER 3     /* dropped by user space (writer back-pressure) */
#define NT_LOSS_NFTRACE_RING 4 /* nftrace messages whose copy found no room in the ring */
#define NT_LOSS_STACK 5    /* kernel stacks BPF could not store (--stack): the record has none */
#define NT_LOSS_PROBE 6    /* runs of our BPF programs the kernel skipped (recursion_misses, all CPUs) */

/* NT_EV_LOSS (40 bytes): cumulative counter; hdr.cpu = CPU (0xffff = all). */
struct nt_ev_loss {
	struct nt_ev_hdr h;
	nt_u64 count;
	nt_u32 source;      /* NT_LOSS_* */
	nt_u32 pad;
};

/* NT_EV_FREE: hdr only (hdr.id = function id of the free point). */
struct nt_ev_free {
	struct nt_ev_hdr h;
};

/*
 * NT_EV_DEV (32 bytes, format version 2): from this record on, skb hdr.skb is
 * on device ifindex of network namespace netns (inode number).  Emitted when
 * that changes, right before the record of the hop where it was seen
 * (hdr.id = that hop's function id).  ifindex 0: no device (socket level).
 */
struct nt_ev_dev {
	struct nt_ev_hdr h;
	nt_u32 ifindex;
	nt_u32 netns;
};

/* nt_ev_count.counter */
#define NT_CNT_NFT_UNMATCHED 1 /* nft trace steps tied to no packet (written with skb 0) */
#define NT_CNT_LATE 2          /* records that arrived after later ones were written:
				* written out of time order */
/* always-on (issue #19), cumulative per file: */
#define NT_CNT_KEEP_SEEN 3      /* --keep: packets that ended */
#define NT_CNT_KEEP_KEPT 4      /* --keep: ... written (matched) */
#define NT_CNT_KEEP_DISCARDED 5 /* --keep: ... not written (no match) */
#define NT_CNT_KEEP_CUT 6       /* --keep: records dropped by a full per-packet buffer (newest
				 * kept); written right before the journey that lost records,
				 * hdr.skb = its skb */
#define NT_CNT_SHED 7           /* --max-events-per-s: packets not traced (sampled out) */
#define NT_CNT_SHED_EVENTS 8    /* --max-events-per-s: probe hits of those packets (each
				 * would have written at least one record) */
#define NT_CNT_KEEP_JCUT 9      /* --keep: records cut from the journey that follows, its own
				 * count (not cumulative): the oldest, by the per-packet buffer
				 * in the kernel and / or the recorder's; written right before
				 * that journey, hdr.skb = its skb, hdr.ts_ns = its first
				 * record's (logs before it: counter 6 only) */

/*
 * NT_EV_COUNT (40 bytes, format version 2): cumulative value of a counter that
 * is not a loss; hdr.cpu = CPU or 0xffff, hdr.id = namespace inode or 0.
 */
struct nt_ev_count {
	struct nt_ev_hdr h;
	nt_u64 value;
	nt_u32 counter;     /* NT_CNT_* */
	nt_u32 pad;
};

/* ---- conntrack (NT_EV_CT) ---- */

/* nt_ev_ct.state: the packet's conntrack state as nft `ct state` sees it */
#define NT_CT_STATE_NONE 0        /* not available (see nt_ev_ct.have) */
#define NT_CT_STATE_NEW 1
#define NT_CT_STATE_ESTABLISHED 2
#define NT_CT_STATE_RELATED 3
#define NT_CT_STATE_INVALID 4     /* no conntrack entry: the packet is invalid to conntrack */
#define NT_CT_STATE_UNTRACKED 5   /* notrack */

/* nt_ev_ct.dir */
#define NT_CT_DIR_ORIGINAL 0
#define NT_CT_DIR_REPLY 1

/* nt_ev_ct.have: the fields the source could give (the others are 0) */
#define NT_CT_HAVE_STATE 0x0001
#define NT_CT_HAVE_DIR 0x0002
#define NT_CT_HAVE_STATUS 0x0004
#define NT_CT_HAVE_ID 0x0008      /* ct_id (ctnetlink / nftrace conntrack id) */
#define NT_CT_HAVE_ADDR 0x0010    /* ct_addr (kernel address of the nf_conn) */
#define NT_CT_HAVE_ZONE 0x0020
#define NT_CT_HAVE_MARK 0x0040
#define NT_CT_HAVE_TUPLES 0x0080  /* l3, l4proto, orig, reply */

/* nt_ev_ct.status bits: the kernel's enum ip_conntrack_status
 * (include/uapi/linux/netfilter/nf_conntrack_common.h), IPS_*_BIT */
#define NT_CT_S_EXPECTED (1u << 0)
#define NT_CT_S_SEEN_REPLY (1u << 1)
#define NT_CT_S_ASSURED (1u << 2)
#define NT_CT_S_CONFIRMED (1u << 3)
#define NT_CT_S_SRC_NAT (1u << 4)       /* the connection needs source NAT */
#define NT_CT_S_DST_NAT (1u << 5)
#define NT_CT_S_SEQ_ADJUST (1u << 6)
#define NT_CT_S_SRC_NAT_DONE (1u << 7)  /* the source NAT binding is set up */
#define NT_CT_S_DST_NAT_DONE (1u << 8)
#define NT_CT_S_DYING (1u << 9)
#define NT_CT_S_FIXED_TIMEOUT (1u << 10)
#define NT_CT_S_TEMPLATE (1u << 11)
#define NT_CT_S_NAT_CLASH (1u << 12)
#define NT_CT_S_HELPER (1u << 13)
#define NT_CT_S_OFFLOAD (1u << 14)
#define NT_CT_S_HW_OFFLOAD (1u << 15)
#define NT_CT_S_NBITS 16

/* One direction of a conntrack entry (nf_conntrack_tuple): addresses as in
 * nt_ev_meta (IPv4 in the first 4 bytes), ports in host order; ICMP / ICMPv6:
 * sport = type << 8 | code, dport = echo id (as in nt_ev_meta). */
struct nt_ev_ct_tuple {
	nt_u8 saddr[16];
	nt_u8 daddr[16];
	nt_u16 sport;
	nt_u16 dport;
};

/*
 * NT_EV_CT (128 bytes, format version 2): the conntrack entry attached to
 * skb hdr.skb, emitted when the packet is first seen with one and whenever
 * state, status, mark, zone or the tuples change.  hdr.id = function id where
 * it was read.  `have` says which fields the source could give: function
 * mode reads nf_conn itself (everything but ct_id); the nftrace message
 * (tracepoint mode, kernels 6.7+) only gives state, dir, status and ct_id.
 * orig is the tuple of the first packet of the connection, reply the tuple
 * its replies carry: with NAT, reply is not orig reversed (both are shown).
 */
struct nt_ev_ct {
	struct nt_ev_hdr h;
	nt_u64 ct_addr;     /* kernel address of the struct nf_conn (identity), 0 unknown */
	nt_u32 ct_id;       /* conntrack id as ctnetlink / nftrace give it, 0 unknown */
	nt_u32 status;      /* NT_CT_S_* bits */
	nt_u32 mark;        /* ct mark */
	nt_u16 zone;        /* ct zone id */
	nt_u16 have;        /* NT_CT_HAVE_* */
	nt_u8 state;        /* NT_CT_STATE_* */
	nt_u8 dir;          /* NT_CT_DIR_*: direction of this packet */
	nt_u8 l3;           /* NT_L3_* of the tuples */
	nt_u8 l4proto;      /* IPPROTO_* of the tuples */
	nt_u32 pad;
	struct nt_ev_ct_tuple orig;
	struct nt_ev_ct_tuple reply;
};

/* ---- packet bytes (NT_EV_BYTES) ---- */

#define NT_BYTES_MAX 256          /* largest caplen (nft-record --capture-bytes) */
#define NT_BYTES_RECLEN(caplen) ((48u + (unsigned int)(caplen) + 7u) & ~7u)

/* nt_ev_bytes.link: where data[0] is */
#define NT_BYTES_NET 0            /* the network header (IPv4 / IPv6 ...) */
#define NT_BYTES_MAC 1            /* the MAC header (Ethernet); net_off = its length */

/* nt_ev_bytes.why */
#define NT_BYTES_FIRST 1          /* first sight of the packet */
#define NT_BYTES_CHANGED 2        /* its headers changed (NAT, decapsulation ...) */
#define NT_BYTES_NETNS 3          /* it entered another network namespace */

/*
 * NT_EV_BYTES (variable size, format version 2): the first caplen bytes of the
 * packet, from the header `link` says, as skb hdr.skb carried them at the
 * function hdr.id (first sight, and once after each change of its headers).
 * reclen is the record's total length (its bytes 24..25: the length of every
 * variable-size record): NT_BYTES_RECLEN(caplen), 48 + caplen rounded up to a
 * multiple of 8 (zero padding), so records stored back to back stay aligned.
 * origlen: the packet's length from data[0] on (caplen < origlen: cut).
 */
struct nt_ev_bytes {
	struct nt_ev_hdr h;
	nt_u16 reclen;      /* NT_BYTES_RECLEN(caplen) */
	nt_u16 caplen;      /* bytes in data, <= NT_BYTES_MAX */
	nt_u32 origlen;
	nt_u8 link;         /* NT_BYTES_NET / NT_BYTES_MAC */
	nt_u8 why;          /* NT_BYTES_FIRST ... */
	nt_u16 ethertype;   /* skb->protocol, host byte order */
	nt_u32 ifindex;     /* device the skb was on, 0 = none */
	nt_u32 netns;       /* network namespace inode */
	nt_u16 net_off;     /* offset of the network header in data (0 with NT_BYTES_NET) */
	nt_u16 pad;
	nt_u8 data[];
};

/* ---- kernel stacks (NT_EV_STACKREF, STACKS block) ---- */

#define NT_STACK_MAX_FRAMES 127   /* PERF_MAX_STACK_DEPTH */

/*
 * NT_EV_STACKREF (32 bytes, format version 2): the kernel stack taken at the
 * previous record of skb hdr.skb (a function hit, or the nftables rule step
 * that decided a drop), by its id in the log's STACKS blocks (each distinct
 * stack is stored once).  hdr.id: that record's function id, 0 for an
 * nftables step.  A DROP record carries its stack in DROP.stack_id instead.
 */
struct nt_ev_stackref {
	struct nt_ev_hdr h;
	nt_u32 stack_id;    /* != 0 */
	nt_u32 pad;
};

/*
 * NT_EV_NLMSG (internal, BPF ring buffer only, never in a log): one nftables
 * trace message (NFNLGRP_NFTRACE) as netlink_broadcast() hands it to the
 * recorder's trace socket, copied by the socket filter (bpf/nlmsg.bpf.h) in
 * the context that evaluated the rule.  hdr.ts_ns / hdr.cpu: that moment and
 * CPU; hdr.skb: index of the recorder's trace socket (its namespace),
 * hdr.id: that namespace's inode.  The ring record is 32 + a size class >=
 * len bytes: the message follows the struct; bytes past len are garbage.
 */
#define NT_NLMSG_MAX 2048 /* longest message copied; longer ones are counted as lost */

struct nt_ev_nlmsg {
	struct nt_ev_hdr h;
	nt_u16 len;         /* message bytes in data[] (= the netlink message length) */
	nt_u16 pad;
	nt_u32 pad2;
	/* followed by the message bytes */
};

#define NT_ASSERT_SIZE(t, n) _Static_assert(sizeof(t) == (n), #t " must be " #n " bytes")
NT_ASSERT_SIZE(struct nt_ev_hdr, 24);
NT_ASSERT_SIZE(struct nt_ev_func, 24);
NT_ASSERT_SIZE(struct nt_ev_meta, 96);
NT_ASSERT_SIZE(struct nt_ev_nft_chain, 48);
NT_ASSERT_SIZE(struct nt_ev_nft_rule, 64);
NT_ASSERT_SIZE(struct nt_ev_nft_chaindef, 176);
NT_ASSERT_SIZE(struct nt_ev_drop, 40);
NT_ASSERT_SIZE(struct nt_ev_link, 40);
NT_ASSERT_SIZE(struct nt_ev_loss, 40);
NT_ASSERT_SIZE(struct nt_ev_free, 24);
NT_ASSERT_SIZE(struct nt_ev_dev, 32);
NT_ASSERT_SIZE(struct nt_ev_count, 40);
NT_ASSERT_SIZE(struct nt_ev_ct_tuple, 36);
NT_ASSERT_SIZE(struct nt_ev_ct, 128);
NT_ASSERT_SIZE(struct nt_ev_bytes, 48);
_Static_assert(NT_BYTES_RECLEN(0) == sizeof(struct nt_ev_bytes), "BYTES fixed part");
NT_ASSERT_SIZE(struct nt_ev_stackref, 32);
NT_ASSERT_SIZE(struct nt_ev_nlmsg, 32);

/* Size of a record of the given type (current format version), 0 if unknown
 * (or an internal ring-buffer type); for a variable-size type (nt_ev_is_var)
 * the size of its fixed part, the least a record of it has: the length of one
 * record is nt_ev_len().  Usable in BPF and C. */
static inline unsigned int nt_ev_size(unsigned int type)
{
	switch (type) {
	case NT_EV_FUNC: return sizeof(struct nt_ev_func);
	case NT_EV_META: return sizeof(struct nt_ev_meta);
	case NT_EV_NFT_CHAIN: return sizeof(struct nt_ev_nft_chain);
	case NT_EV_NFT_RULE: return sizeof(struct nt_ev_nft_rule);
	case NT_EV_NFT_CHAINDEF: return sizeof(struct nt_ev_nft_chaindef);
	case NT_EV_DROP: return sizeof(struct nt_ev_drop);
	case NT_EV_LINK: return sizeof(struct nt_ev_link);
	case NT_EV_LOSS: return sizeof(struct nt_ev_loss);
	case NT_EV_FREE: return sizeof(struct nt_ev_free);
	case NT_EV_DEV: return sizeof(struct nt_ev_dev);
	case NT_EV_CT: return sizeof(struct nt_ev_ct);
	case NT_EV_BYTES: return sizeof(struct nt_ev_bytes);
	case NT_EV_STACKREF: return sizeof(struct nt_ev_stackref);
	case NT_EV_COUNT: return sizeof(struct nt_ev_count);
	default: return 0;
	}
}

/* Variable-size record types (NT_EV_BYTES): bytes 24..25 of such a record
 * hold its total length, nt_ev_size(type) .. 65535. */
#define NT_EV_SIZE_VAR 0xffffu
static inline int nt_ev_is_var(unsigned int type)
{
	return type == NT_EV_BYTES;
}

/* Length of the record at REC (its first 26 bytes readable): the size of its
 * type, or the total length a variable-size record holds; 0 when the type is
 * unknown or the length is less than the type's fixed part.  Walking records
 * stored back to back: off += nt_ev_len(rec), stop at 0. */
static inline unsigned int nt_ev_len(const void *rec)
{
	const nt_u8 *p = (const nt_u8 *)rec;
	unsigned int fixed = nt_ev_size(p[0]), len;

	if (!nt_ev_is_var(p[0]))
		return fixed;
	len = (unsigned int)p[24] | (unsigned int)p[25] << 8;
	return len >= fixed ? len : 0;
}

/* Whether REC (LEN bytes) is a whole record of a type this tree knows: the
 * size of its type, or for a variable-size one its own length field equal to
 * LEN and, for BYTES, caplen <= NT_BYTES_MAX with LEN = NT_BYTES_RECLEN(caplen). */
static inline int nt_ev_valid(const void *rec, unsigned long len)
{
	const struct nt_ev_hdr *h = (const struct nt_ev_hdr *)rec;
	const struct nt_ev_bytes *b = (const struct nt_ev_bytes *)rec;

	if (len < sizeof(*h) || !nt_ev_size(h->type))
		return 0;
	if (!nt_ev_is_var(h->type))
		return nt_ev_size(h->type) == len;
	if (len < nt_ev_size(h->type) || nt_ev_len(rec) != len)
		return 0;
	return h->type != NT_EV_BYTES ||
	       (b->caplen <= NT_BYTES_MAX && NT_BYTES_RECLEN(b->caplen) == len);
}

/* Function kinds (function table "kind" field, discover's "kind"). */
#define NT_KIND_SKB 0         /* takes struct sk_buff * */
#define NT_KIND_SKB_PP 1      /* takes struct sk_buff ** */
#define NT_KIND_SKB_VIA 2     /* reaches the skb through another struct (nft_pktinfo *) */
#define NT_KIND_NFT_HOOK 3    /* nftables evaluation hook (nft_do_chain ...) */
#define NT_KIND_TRACEPOINT 4  /* a tracepoint with an skb argument */

#endif /* NT_RECORDS_H */
