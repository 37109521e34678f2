/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nftrace.h - nftables' own trace infrastructure, per network namespace.
 *
 * nt_nftrace_open() adds ONE table to the namespace, "inet nft_record_<pid>"
 * (plus "bridge nft_record_<pid>" with NT_NFTRACE_BRIDGE)
 * with flag owner (the kernel deletes it when the owning netlink socket
 * closes, i.e. when the recorder exits or is killed), holding base chains at
 * priority -2147483648 with the rules "<filter match> meta nftrace set 1
 * accept" (nftrace_table.h: at the entry hooks only without a filter).  It then
 * joins NFNLGRP_NFTRACE on a NETLINK_NETFILTER socket of that namespace and
 * attaches a socket filter that copies each trace message into the BPF ring
 * buffer (bpf/nlmsg.bpf.h, nt_nftrace_attach_ring): the messages arrive in
 * the ring between the packet events of the same CPU, with the kernel's
 * CLOCK_MONOTONIC time and CPU, and the socket itself receives nothing (no
 * socket buffer, no overrun).  nt_nftrace_parse*() parse one message in
 * place (libmnl attributes, no allocation) into a struct nt_trace_msg.
 *
 * Kernels without owner tables (before 5.12: "flags owner" is refused with
 * EINVAL) get the same table without the flag.  It is then removed by
 * nt_nftrace_close(), or - when the recorder dies without closing (kill -9) -
 * by a guard process forked when the table is added: it waits on a pipe whose
 * only writer is the recorder and, at EOF, sends the prepared
 * NFT_MSG_DELTABLE batch from a netlink socket of that namespace and exits.
 * Tables left by a recorder killed together with its guard are removed by the
 * next recording in that namespace (nft_record_<pid> of a pid that is gone).
 */
#ifndef NT_NFTRACE_H
#define NT_NFTRACE_H

#include <stddef.h>
#include <stdint.h>

#include "common/records.h"
#include "nft-record/netns.h"
#include "nft-record/capfilter.h"
#include "nft-record/nftrace_table.h"

#define NT_TRACE_TABLE_PREFIX "nft_record_"

#define NT_TRACE_HAS_PKT 0x2  /* IPv4 / IPv6 packet headers parsed into the packet fields */
#define NT_TRACE_FIRST   0x4  /* first message of a chain run: carries the packet
			       * information (devices, headers) that the kernel dumps
			       * once per nft_do_chain() */
#define NT_TRACE_NO_L4   0x10 /* IP headers without the transport header (bridge
			       * family: the kernel copies only 40 bytes from the
			       * network header; IPv4 shows its L4 within them) */
#define NT_TRACE_V6FRAG  0x8  /* IPv6 fragment whose headers the message cannot
			       * show (fragment header not copied): only l3 / addresses
			       * (non-first: saddr's first 12 bytes) are known */

/* One parsed trace message (fixed size, no pointers). */
struct nt_trace_msg {
	uint64_t ts_ns;           /* CLOCK_MONOTONIC */
	uint32_t flags;           /* NT_TRACE_* */
	uint16_t cpu;             /* CPU that evaluated the rule (0xffff: unknown) */
	uint16_t frag;            /* packet: NT_FRAG_* as in struct nt_ev_meta */
	uint32_t id;              /* NFTA_TRACE_ID */
	uint32_t type;            /* NFT_TRACETYPE_* (= NT_RULE_KIND_*) */
	int32_t verdict;          /* rule / return verdict, or policy */
	uint64_t rule_handle;     /* 0 when none */
	uint32_t family;          /* table family (NFPROTO_*) */
	uint32_t nfproto;         /* packet family */
	uint32_t iif, oif, mark;
	uint32_t netns;           /* inode of the namespace the message came from */
	int ns_index;             /* index of the nt_nftrace it came from */
	char table[NT_NAME_LEN];
	char chain[NT_NAME_LEN];
	char target[NT_NAME_LEN]; /* jump / goto target, "" when none */
	/* packet (valid with NT_TRACE_HAS_PKT), encoded like struct nt_ev_meta */
	uint8_t l3, l4proto;
	uint16_t sport, dport, ip_id;
	uint32_t l4_extra;
	uint16_t l4_csum;
	uint8_t tcp_flags;
	uint8_t pad;
	uint8_t saddr[16], daddr[16];
};

struct nft_ctx;
struct mnl_socket;

struct nt_nftrace {
	const struct nt_netns *ns;
	int index;
	struct nft_ctx *own;      /* owns the table: kept open for the whole recording */
	struct mnl_socket *nl;
	int progfd;               /* the ring-copy socket filter, -1 when none */
	char table[NT_NAME_LEN];
	unsigned families;        /* NT_NFTRACE_* of the tables added */
	int unowned;              /* kernel without owner tables: guard process below */
	int guard_fd;             /* write end of the guard's pipe, -1 when none */
	int guard_pid;
};

/*
 * Set up tracing in NS: when LISTEN, open and join the trace group and attach
 * the ring copy (nt_nftrace_attach_ring with TMPL, N) — both before the owned
 * table exists, so no trace message is made that the ring does not see —, then
 * add the owned table (rules from flt->nft, or match-all).  Without LISTEN the table
 * only keeps the kernel's nft_trace_enabled static key on for the BPF
 * nftables probes: with no NFNLGRP_NFTRACE listener the kernel builds no trace
 * message (nft_trace_notify returns early), so rule verdicts cost no netlink
 * traffic and are not recorded twice.  Returns 0 or -errno with one line in err.
 */
int nt_nftrace_open(struct nt_nftrace *t, const struct nt_netns *ns, int index,
		    const struct nt_capfilter *flt, unsigned families, int listen,
		    const void *tmpl, size_t n, char *err, size_t errlen);

/*
 * Attach a clone of the socket filter template
 * TMPL (N relocated instructions of the loaded skeleton program nt_nlmsg) to
 * the trace socket, its constant set to (t->index << 32 | namespace inode).
 * From then on every trace message of the namespace arrives in the BPF ring
 * buffer (NT_EV_NLMSG) and the socket receives nothing.  0 or -errno + err.
 */
int nt_nftrace_attach_ring(struct nt_nftrace *t, const void *tmpl, size_t n, char *err,
			   size_t errlen);

/*
 * Parse one trace message copied into the ring (R, RECLEN bytes of ring
 * record) into M: time, CPU, namespace index and inode from the record
 * header.  Returns 0 for a trace message, 1 for another nftables message
 * (ignored), -1 when malformed.  No allocation.
 */
int nt_nftrace_parse_rec(const struct nt_ev_nlmsg *r, size_t reclen, struct nt_trace_msg *m);

/* The same for a bare netlink message BUF of LEN bytes (the fields that come
 * from the record header are left as they are in M). */
int nt_nftrace_parse(const void *buf, size_t len, struct nt_trace_msg *m);

/* Remove the table and close everything. Safe on a zeroed / half-open t. */
void nt_nftrace_close(struct nt_nftrace *t);

/* Run an nft command in NS through a short-lived libnftables context and
 * return its output (malloc'ed, caller frees) - used for ruleset snapshots.
 * json: JSON output.  NULL on error (err filled). */
char *nt_nft_list(const struct nt_netns *ns, const char *cmd, int json, char *err, size_t errlen);

#endif
