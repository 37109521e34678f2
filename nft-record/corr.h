/* SPDX-License-Identifier: GPL-2.0 */
/*
 * corr.h - turns nftables trace messages into NT_EV_NFT_RULE records and ties
 * each one to the skb of the packet it belongs to.
 *
 * Input, in the order of the BPF ring buffer (nearly time order; per CPU
 * exact): every BPF record (nt_corr_event: META, LINK, FREE, DROP, FUNC, DEV
 * ...) and every trace message, which the socket filter copied into the same
 * ring on the CPU that evaluated the rule (nt_corr_msg, bpf/nlmsg.bpf.h).
 *
 * Method (TRUTH-DESIGN §2):
 * - Packet incarnations: an skb address from its first META (or LINK) to its
 *   FREE / DROP (or the next first sight at that address), with its current
 *   header keys, first / last event time and the CPU of its latest event.
 * - Chain runs: the kernel dumps the packet (devices, headers) in the first
 *   message of every nft_do_chain() run; later messages of the run carry none.
 *   Runs on one CPU are sequential or nested (a reject's ICMP error runs the
 *   output hook inside the input run), so each CPU keeps a stack of open runs;
 *   a message without packet information belongs to the innermost open run of
 *   its CPU with the same namespace and trace id; a run ends at its terminal
 *   verdict (accept, drop, queue, stolen, stop; policy).
 * - A run's packet: among the incarnations alive at the message's time whose
 *   key equals the message's - the full key (addresses, protocol, ports /
 *   ICMP type+code+id, IPv4 id, TCP seq / ICMP seq, fragment, L4 checksum)
 *   first, then, for hooks after a translation, NAT-invariant keys (IPv4:
 *   protocol + IP id + seq + fragment; IPv6: protocol + the address NAT did
 *   not change + its port or ICMP type + seq), or an L3 key when the message
 *   has no transport header (bridge family) - prefer the one whose latest
 *   event was on the message's CPU, then the one this trace id (per namespace)
 *   pointed to last (a hint only: ids repeat when an skb address is reused by
 *   the same flow), then the first seen that has not had a run of this chain
 *   yet (FIFO: list receive handles identical packets in order), then the one
 *   last seen nearest in time.  Never an incarnation freed before the
 *   message, never a non-IP one.
 * - Locally generated packets reach their first tracepoint (net_dev_queue)
 *   after their output / postrouting runs: a run with no candidate waits up
 *   to the lookahead (100 ms) for a META with its key; the messages of
 *   pending runs, and everything after them, are held (nt_corr_hold() tells
 *   the merge how far it may write).
 * - An address seen with a new packet ends the old one with an inferred FREE
 *   (BPF, at the new packet's first sight); the new packet's output-hook
 *   steps may be older than that: with defer_inferred the correlation writes
 *   that FREE itself, just before the new packet's first step.
 * - Unmatched steps are written with skb 0 and NT_F_UNCORRELATED and counted
 *   (COUNT counter 1); a step is never given to another packet.
 * - Tables named nft_record_* belong to a recorder (this one or another one
 *   in the same namespace): their runs anchor trace ids, their steps are not
 *   recorded.
 *
 * Pure: no BPF, no kernel, no allocation after nt_corr_new() (fixed pools;
 * when one is full the oldest entry goes and is counted).  Unit-tested on
 * synthetic sequences (tests/unit/test_corr.c).
 */
#ifndef NT_CORR_H
#define NT_CORR_H

#include <stddef.h>
#include <stdint.h>
#include "common/records.h"
#include "nft-record/nftrace.h"

#define NT_CORR_LOOKAHEAD_NS (100ull * 1000 * 1000)

struct nt_corr;

/* Chain attributes for CHAINDEF records: fill hook/prio/policy/base of
 * (netns, family, table, chain); return 0 if known, -1 otherwise. */
typedef int (*nt_corr_chain_fn)(void *ctx, uint32_t netns, uint8_t family, const char *table,
				const char *chain, struct nt_ev_nft_chaindef *def);
typedef int (*nt_corr_emit_fn)(void *ctx, const void *rec, size_t len);
/* With a capture filter: does the run's first message (with headers) show a
 * packet the filter certainly left out?  (nt_capfilter_left_out) */
typedef int (*nt_corr_left_out_fn)(void *ctx, const struct nt_trace_msg *m);

struct nt_corr_opts {
	size_t sz;
	nt_corr_chain_fn chain;
	nt_corr_emit_fn emit;    /* NFT_CHAINDEF and NFT_RULE records, in message order */
	void *ctx;
	uint64_t lookahead_ns;   /* 0: NT_CORR_LOOKAHEAD_NS */
	int drop_unmatched;      /* with a capture filter: steps matched to no
				  * packet belong to packets BPF left out: not
				  * written, counted: filtered when left_out
				  * says so (or no left_out), else unmatched */
	nt_corr_left_out_fn left_out;
	void *left_out_ctx;
	int defer_inferred;      /* FREE records with NT_F_INFERRED are the
				  * correlation's to emit (the caller does not
				  * write them): placed before the first step of
				  * the packet that reused the address */
	uint32_t max_skbs;       /* packet incarnations kept; 0: 65536 */
};

struct nt_corr_stats {
	uint64_t msgs;           /* trace messages */
	uint64_t own;            /* of them from nft_record_* tables (not recorded) */
	uint64_t rules;          /* NFT_RULE records emitted */
	uint64_t correlated;     /* of them tied to a packet */
	uint64_t uncorrelated;   /* of them with skb 0 (matched to no packet) */
	uint64_t runs;           /* chain runs (first messages) */
	uint64_t runs_late;      /* of them matched by the lookahead (local packets) */
	uint64_t runs_unmatched; /* of them matched to no packet */
	uint64_t orphans;        /* messages of no open run (their run's first was lost) */
	uint64_t filtered;       /* steps not written: no packet, capture filter on, of a
				  * packet the filter left out */
	uint64_t unmatched;      /* steps not written: no packet, capture filter on, other */
	uint64_t evicted;        /* packet incarnations dropped from a full table */
	uint64_t queue_full;     /* messages resolved early: queue or run pool full */
};

int nt_corr_new(const struct nt_corr_opts *o, struct nt_corr **out);
void nt_corr_free(struct nt_corr *c);

/* One BPF record (any type; those that do not concern packets are ignored).
 * A META may resolve held messages: 0 or the emit callback's error. */
int nt_corr_event(struct nt_corr *c, const void *rec, size_t len);
/* One trace message (m->cpu = its CPU, 0xffff when unknown).  Returns 0 or the
 * emit callback's error. */
int nt_corr_msg(struct nt_corr *c, const struct nt_trace_msg *m);
/* Every source has delivered everything up to PROGRESS_NS: runs pending longer
 * than the lookahead are unmatched; old entries are purged.  0 or an emit error. */
int nt_corr_advance(struct nt_corr *c, uint64_t progress_ns);
/* Resolve and emit everything (end of the recording). */
int nt_corr_finish(struct nt_corr *c);
/* Time of the oldest message (or inferred FREE) not emitted yet (UINT64_MAX:
 * none): the merge writes nothing later than this before it is resolved. */
uint64_t nt_corr_hold(const struct nt_corr *c);
void nt_corr_get_stats(const struct nt_corr *c, struct nt_corr_stats *s);
/* The chain definitions emitted so far are forgotten: each is emitted again
 * at its next use (a new log file, nft-record --rotate). */
void nt_corr_forget_chains(struct nt_corr *c);

/* 64-bit key of a chain: FNV-1a of netns, family, table, chain. */
uint64_t nt_chain_key(uint32_t netns, uint8_t family, const char *table, const char *chain);

#endif
