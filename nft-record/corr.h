/* SPDX-License-Identifier: GPL-2.0 */
/*
 * corr.h - turns nftrace messages into NT_EV_NFT_RULE records and ties each to
 * the skb id of the BPF events of the same packet.
 *
 * Correlation method.  Every NT_EV_META record from BPF (first sight of an skb,
 * and again whenever its headers change, e.g. after NAT) is indexed under two
 * keys: the full packet key (L3 family, L4 protocol, addresses, ports / ICMP
 * type+code+id, IPv4 id, TCP sequence / ICMP id+seq) and a NAT-invariant key
 * (IPv4: protocol + IP id + TCP seq / ICMP id+seq; IPv6: protocol + source
 * address + TCP seq / ICMP id+seq).  The first trace message of every chain
 * run carries the packet's network and transport headers: the same fields are
 * extracted and looked up, full key first, then the NAT-invariant key; among
 * entries with the same key the one nearest in time wins (trace messages carry
 * kernel timestamps, nftrace.h), within 2 s.  The result is remembered per
 * trace id (NFTA_TRACE_ID) so the following messages of the run - which carry
 * no headers - get the same skb.  Messages are held CORR_DELAY_NS before they
 * are resolved, because the first BPF event of a locally generated packet
 * (net_dev_queue) comes after its output / postrouting chains.  Unmatched
 * messages are written with hdr.skb = 0 and NT_F_UNCORRELATED; with a capture
 * filter (opts left_out) they are counted and dropped instead: nftrace may
 * trace more packets than the BPF filter keeps.  Messages of the recorder's
 * table and of other recorders' tables (nft_record_*) are not recorded.
 */
#ifndef NT_CORR_H
#define NT_CORR_H

#include <stddef.h>
#include <stdint.h>
#include "common/records.h"
#include "nft-record/nftrace.h"

#define NT_CORR_DELAY_NS (150ull * 1000 * 1000)

struct nt_corr;

/* Chain attributes for CHAINDEF records: fill hook/prio/policy/base of
 * (netns, family, table, chain); return 0 if known, -1 otherwise. */
typedef int (*nt_corr_chain_fn)(void *ctx, uint32_t netns, uint8_t family, const char *table,
				const char *chain, struct nt_ev_nft_chaindef *def);
typedef int (*nt_corr_emit_fn)(void *ctx, const void *rec, size_t len);
/* With a capture filter (non-NULL): messages that match no recorded packet
 * are not written, only counted: as filtered when this says the packet of the
 * run (first message, with headers) is certainly one the filter left out,
 * else as unmatched.  NULL: they are written as uncorrelated. */
typedef int (*nt_corr_left_out_fn)(void *ctx, const struct nt_trace_msg *m);

struct nt_corr_opts {
	size_t sz;
	const char *own_table;   /* traces of this table are not recorded */
	nt_corr_chain_fn chain;
	nt_corr_emit_fn emit;
	void *ctx;
	nt_corr_left_out_fn left_out;
	void *left_out_ctx;
};

struct nt_corr_stats {
	uint64_t msgs, own, rules, correlated, uncorrelated, queue_full;
	uint64_t filtered;  /* capture filter: messages of packets it left out (not written) */
	uint64_t unmatched; /* capture filter: other messages matching no kept packet (not written) */
};

int nt_corr_new(const struct nt_corr_opts *o, struct nt_corr **out);
void nt_corr_free(struct nt_corr *c);

/* Index a packet metadata record of BPF. */
void nt_corr_meta(struct nt_corr *c, const struct nt_ev_meta *m);
/* Queue one trace message (copied). */
void nt_corr_push(struct nt_corr *c, const struct nt_trace_msg *m);
/* Resolve and emit the queued messages received before now - delay
 * (all of them when all != 0).  Returns the number emitted or <0 (emit error). */
int nt_corr_flush(struct nt_corr *c, uint64_t now_ns, uint64_t delay_ns, int all);
void nt_corr_get_stats(const struct nt_corr *c, struct nt_corr_stats *s);
/* The chain definitions emitted so far are forgotten: each is emitted again
 * at its next use (a new log file, nft-record --rotate). */
void nt_corr_forget_chains(struct nt_corr *c);

/* 64-bit key of a chain: FNV-1a of netns, family, table, chain. */
uint64_t nt_chain_key(uint32_t netns, uint8_t family, const char *table, const char *chain);

#endif
