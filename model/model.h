/* SPDX-License-Identifier: GPL-2.0 */
/*
 * model.h - the analysis model: ingests a log's metadata blocks and records
 * (from a file or live from the recorder) and follows packets.
 *
 *  - Function table (FUNCS), chain definitions (NT_EV_NFT_CHAINDEF records),
 *    ruleset snapshot (RULESET: rule text by netns/family/table/chain/handle),
 *    interfaces, drop reason names, kallsyms.
 *  - Packets ("journeys"): a packet is a tree of skbs.  It starts at the
 *    first record of an skb id; NT_EV_LINK (clone, copy, head: a new skb on
 *    the same data buffer) puts the new skb into its parent's packet (a
 *    branch), realloc moves it to the new address; IPv4 / IPv6 fragments of
 *    one datagram (same protocol and fragment id, same source or same
 *    destination: NAT changes one of them) join one packet while it is open,
 *    and so do the reassembled skb and refragmented output.  The packet
 *    completes when the last of its skbs is freed (NT_EV_FREE) or dropped
 *    (NT_EV_DROP); an skb id seen again after its free, or at an allocator
 *    (FUNCS role alloc), starts a new packet.  Only packets with IPv4 / IPv6
 *    metadata (META) are journeys: they get ids 1, 2, ... in order of their
 *    first such META; the others (no META, ARP ...) are counted
 *    (totals.not_ip).  A FREE with NT_F_DISCARD drops its packet silently
 *    (the recorder's capture filter rejected it late; totals.discarded).
 *  - nftables records with skb == 0 (the recorder could not tie them to an
 *    skb) are counted as uncorrelated, never attached.  Records the recorder
 *    made from nftables' trace (NT_F_SYNTH) wait for the skb's next record of
 *    the kernel: an inferred FREE (the address was reused by a new packet)
 *    passes the waiting steps of the new life to the new packet.
 *    nt_model_finish() completes the still-open packets as "incomplete"; so
 *    does a sweep (every idle_ns / 4 of record time) for packets idle longer
 *    than opts.idle_ns ("expired"), and a record for an skb whose single-skb
 *    packet has been idle longer than idle_ns.
 *  - Two things per packet, never mixed (nt_packet):
 *    verdict: what nftables decided: DROP if any rule / policy / base chain
 *    exit in any chain dropped it; otherwise the last terminal verdict
 *    (ACCEPT, STOLEN, QUEUE ...); NT_V_NONE if nftables never decided.
 *    fate: what became of it (NT_FATE_*): delivered to a socket (any skb of
 *    the packet, e.g. a raw / ping socket's clone); else dropped (the first
 *    NT_EV_DROP of the packet, kernel reason and location); else forwarded
 *    (its last hop left through a device); else consumed (freed); unknown
 *    while incomplete.  Function roles come from FUNCS ("role") or, for logs
 *    without them, from the function names (model_meta.c).
 *
 * Memory is bounded by the packets still open (and, with keep_events, by
 * their records).  Not thread-safe.  Usage:
 *     m = nt_model_new(&opts);
 *     nt_model_meta(m, type, json, len);          for each metadata block
 *     p = nt_model_event(m, rec, len);             for each record
 *     nt_fmt_event_line(stdout, m, rec, seq);      optional, right after
 *     nt_model_finish(m); nt_model_free(m);
 */
#ifndef NT_MODEL_H
#define NT_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "common/nftables.h"  /* nt_family_name(), nt_hook_name() */
#include "common/limits.h"
#include "common/records.h"

#define NT_MODEL_MAX_LAYERS 32
#define NT_MODEL_MAX_TRACE_IDS 4

struct nt_model;

struct nt_func_info {
	const char *name;       /* never NULL ("func#N" when the table lacks it) */
	const char *layer_name; /* "Device", ... ("Other" when unknown) */
	int layer;              /* model's layer index: < nt_model_layer_count() */
	int priority;
	int kind;               /* NT_KIND_* */
	int role;               /* NT_FROLE_* */
	uint32_t id;            /* function id of the records (UINT32_MAX: the shared "func#?") */
	uint32_t slot;          /* index: 0 .. nt_model_func_count() - 1 */
};

/* Function roles (FUNCS "role"; values of common/bpf_shared.h NT_ROLE_*) */
#define NT_FROLE_NONE 0
#define NT_FROLE_ALLOC 1     /* the skb is being built: a new packet starts */
#define NT_FROLE_FREE 2      /* the skb is freed */
#define NT_FROLE_DROP 3      /* the skb is freed as a drop */
#define NT_FROLE_DELIVER 4   /* the skb reached a socket (queued / copied to user) */
#define NT_FROLE_XMIT 5      /* the skb left through a device */

/* Fate of a packet */
#define NT_FATE_UNKNOWN 0    /* still open at the end of the log / expired */
#define NT_FATE_DELIVERED 1  /* an skb of it reached a socket */
#define NT_FATE_DROPPED 2    /* freed as a drop (kernel reason, location) */
#define NT_FATE_FORWARDED 3  /* its last hop left through a device */
#define NT_FATE_CONSUMED 4   /* freed without a drop, a socket or a device */

/* A packet (journey). Read-only for callers. */
struct nt_packet {
	uint64_t id;            /* 1, 2, ... in order of first IPv4/IPv6 META; 0: not a journey (yet) */
	uint64_t skb;           /* skb id of the first record */
	uint64_t first_ts, last_ts;
	struct nt_ev_meta meta; /* first IPv4 / IPv6 NT_EV_META (has_meta) */
	struct nt_ev_meta last_meta; /* the latest one (after NAT ...) */
	int has_meta;
	int32_t verdict;        /* nftables' verdict: NT_V_*, NT_V_NONE */
	uint64_t verdict_chain; /* chain key of the deciding rule / policy / chain (0 = none) */
	uint64_t verdict_rule;  /* rule handle of the deciding rule (0 = policy / chain) */
	int verdict_kind;       /* NT_RULE_KIND_* of the deciding record, 0 = chain exit */
	int fate;               /* NT_FATE_* (known when the packet completes) */
	uint32_t fate_func;     /* function id where the fate was seen (UINT32_MAX: none) */
	uint32_t fate_ifindex, fate_netns; /* device / namespace there (0: none / unknown) */
	int dropped;            /* fate == NT_FATE_DROPPED */
	uint32_t drop_reason;   /* of the deciding NT_EV_DROP */
	uint32_t drop_func;     /* function id of the drop point */
	uint64_t drop_location; /* kernel address that freed it (nt_model_symbolize) */
	uint32_t drop_stack;    /* kernel stack of that drop (nt_model_stack), 0 = none */
	uint32_t n_events, n_funcs, n_chains, n_rules, n_branches;
	uint32_t n_rule_runs;   /* chain runs ended by a rule record (policy, terminal verdict) */
	uint32_t n_frags;       /* skbs that were IPv4 / IPv6 fragments */
	uint32_t n_nat;         /* address / port translations seen (META changes) */
	int reassembled;        /* a fragment skb of it became the whole datagram */
	uint64_t flow_packet;   /* id of the first packet of its flow (its own id for the first) */
	int reply;              /* it goes the other way than flow_packet */
	uint32_t live_skbs;     /* skbs of this packet not freed yet */
	int incomplete;         /* completed by nt_model_finish() or expired */
	int expired;            /* completed because idle longer than opts.idle_ns */
	/* time in layer L (ns): sum over FUNC records of layer L of the time to
	 * the packet's next record; layer_seen: bit mask of layers with records */
	uint64_t layer_ns[NT_MODEL_MAX_LAYERS];
	uint32_t layer_seen;
	int32_t last_layer;     /* layer of the previous FUNC record (-1: none) */
	uint64_t last_func_ts;
	/* keep_events: the packet's records back to back (absolute ts_ns), at
	 * most the packet_records limit (and the model's kept_bytes); the
	 * records past it are counted in not_kept (counters and times above
	 * still see them) */
	uint8_t *ev;
	size_t ev_len, ev_cap;
	uint64_t n_kept, not_kept;
	uint64_t keep_cut;      /* its oldest records cut by nft-record --keep's per-packet
				 * buffer (COUNT NT_CNT_KEEP_JCUT before it in the log) */
	int evicted;            /* closed early by the open_packets limit (incomplete) */
	/* private */
	uint32_t slot;
	int in_use;
	int deliver_seen, drop_seen, free_seen; /* fate evidence so far */
	uint32_t deliver_func, deliver_ifindex, deliver_netns;
	uint32_t drop_ifindex, drop_netns;
	uint32_t hop_func, hop_ifindex, hop_netns; /* last hop (FUNC record) */
	int hop_role;
	int socket_wait;        /* after the first delivery: time is socket queue time */
	int lingering;          /* all skbs freed, a clone may still join (model_int.h) */
	uint32_t nfkeys;
	uint64_t fkeys[8];      /* fragment group keys registered for it */
	uint32_t gen;           /* the slot's life: bumped at each release, so an skb state
				 * naming an older life (a packet closed early) is stale */
	uint32_t lru_prev, lru_next;   /* open packets, least recently active first */
	int in_lru;
	uint32_t *skv;          /* its skb states (skbvec.c) */
	uint32_t nskv, skv_cap;
	int skv_over;           /* more than skbvec.c keeps: a move scans the map */
	uint64_t kept_last_ts;  /* latest ts among the kept records (mergerec.c) */
};

/* NFT Chains of a packet: chain evaluations from either source (BPF chain
 * records or nftables' trace steps, whichever saw more). */
/* The kind an NFT_RULE step is shown as (text, JSON, HTML, timeline, flame,
 * diff, export).  6.1's nftables reports a chain left by an explicit `return`
 * rule as a RETURN-type trace message carrying that rule's handle (logged as
 * kind return with the handle); 6.12 reports the same step as the rule's own
 * RULE-type message (kind rule).  Both are that rule's step and are shown as
 * one.  Kind return without a handle is the end of a chain. */
static inline uint8_t nt_rule_kind_shown(const struct nt_ev_nft_rule *r)
{
	return r->kind == NT_RULE_KIND_RETURN && r->rule_handle ? NT_RULE_KIND_RULE : r->kind;
}

static inline uint32_t nt_packet_chains(const struct nt_packet *p)
{
	return p->n_chains > p->n_rule_runs ? p->n_chains : p->n_rule_runs;
}

/* Called when a packet completes; the packet is released after it returns. */
typedef void (*nt_packet_cb)(void *ctx, const struct nt_packet *p);

struct nt_model_opts {
	size_t sz;              /* sizeof(struct nt_model_opts) */
	int keep_events;        /* store every packet's records (journeys) */
	nt_packet_cb on_packet;
	void *ctx;
	/* A packet without a record for this long (record time) is completed as
	 * incomplete ("expired"): its free was not seen (lost event, untraced
	 * free path), and its skb address may be reused by another packet.
	 * 0 = default NT_MODEL_IDLE_NS, UINT64_MAX = never. */
	uint64_t idle_ns;
	/* limits in force (common/limits.h); NULL = the defaults */
	const struct nt_limits *limits;
	/* Called for every record applied to packet P, in the order the model
	 * applies them (records it held for an skb until it knew the packet
	 * come when it knows it; P's id is 0 until its first IPv4 / IPv6 META:
	 * P->slot and P->gen name it for its whole life), and with REC NULL
	 * when P's slot is released (after on_packet, or without it: no IP
	 * META, merged into another packet, discarded); NULL = none
	 * (nft-record's --keep buffers each packet's records with it) */
	void (*on_record)(void *ctx, const struct nt_packet *p, const void *rec, size_t len);
};
#define NT_MODEL_IDLE_NS (10ull * 1000000000ull)

struct nt_model_totals {
	uint64_t events;        /* records ingested */
	uint64_t by_type[NT_EV__MAX];
	uint64_t packets;       /* packets started */
	uint64_t completed, incomplete; /* incomplete includes expired */
	uint64_t expired;
	uint64_t open, max_open;
	uint64_t uncorrelated;  /* NFT records attached to no packet (skb 0, or an skb never seen) */
	uint64_t not_ip;        /* skbs / packets without IPv4 / IPv6 metadata: not journeys */
	uint64_t discarded;     /* packets dropped by NT_F_DISCARD (capture filter, late) */
	uint64_t lost_ringbuf, lost_netlink, lost_user; /* from NT_EV_LOSS (max per cpu, summed) */
	uint64_t lost_nftrace_ring; /* NT_LOSS_NFTRACE_RING */
	uint64_t lost_probe;    /* NT_LOSS_PROBE: probe runs the kernel skipped (an upper bound of hops lost) */
	uint64_t lost_stack;    /* NT_LOSS_STACK: kernel stacks not taken (the records have none) */
	uint64_t nft_unmatched; /* COUNT counter 1: the recorder's unmatched nft steps */
	uint64_t written_late;  /* COUNT counter 2: records the recorder wrote out of order */
	uint64_t shed_packets;  /* COUNT counter 7: packets the safety valve shed (not recorded) */
	uint64_t shed_events;   /* COUNT counter 8: probe hits of those packets */
	uint64_t reuse_cancelled; /* inferred frees of a fragment's skb that was refragmented */
	uint64_t after_free;    /* records of an skb's own freeing after its free record */
	uint64_t reordered;     /* records the reorder window put back in time order */
	uint64_t late;          /* records older than the reorder window (processed out of order) */
	uint64_t max_late_ns;   /* by how much the latest such record was late */
	uint64_t first_ts, last_ts; /* ts range of records with ts != 0 */
	uint64_t bad_records;   /* records of wrong size (ignored) */
	uint64_t evicted;       /* open packets closed early (open_packets limit), in incomplete */
	uint64_t stacks_dropped; /* STACKS entries past the model's bounds (ignored) */
	uint64_t ct_untracked;  /* connections past the model's bound (their history not kept) */
};

struct nt_model *nt_model_new(const struct nt_model_opts *opts);
void nt_model_free(struct nt_model *m);

/* Metadata block (NTL_B_*; JSON text).  Returns 0 or -EINVAL when the JSON
 * is unusable (the block is then ignored; the model still works). */
int nt_model_meta(struct nt_model *m, uint16_t type, const char *json, size_t len);

/* One record (ts_ns absolute).  Returns the packet it was attached to (valid
 * until the next call: a packet completed by this record is released at the
 * next call), or NULL (CHAINDEF, LOSS, uncorrelated, bad record). */
const struct nt_packet *nt_model_event(struct nt_model *m, const void *rec, size_t len);

/* Complete every open packet as incomplete (callbacks in packet id order). */
void nt_model_finish(struct nt_model *m);

/* Counts of the reorder window in front of the model (model/reorder.h). */
void nt_model_note_order(struct nt_model *m, uint64_t reordered, uint64_t late,
			 uint64_t max_late_ns);

/* ---- lookups ---- */
const struct nt_model_totals *nt_model_totals(const struct nt_model *m);
/* A number no other model of the process had or will have: strings the model
 * handed out (function, layer names) stay at their address, unchanged, while
 * it lives, so (serial, pointer) names a string for good (model/fmtmemo.c). */
uint64_t nt_model_serial(const struct nt_model *m);
/* Function of record id ID ("func#?" in layer 0 when the log never named it). */
const struct nt_func_info *nt_model_func(const struct nt_model *m, uint32_t id);
/* Functions known to the model, by slot 0 .. nt_model_func_count() - 1: the
 * FUNCS block's entries, then "func#N" for ids only seen in records (at most
 * 4096; records of further unknown ids share one "func#?" entry).  Memory
 * grows with the FUNCS block and the records, never with the ids' values. */
uint32_t nt_model_func_count(const struct nt_model *m);
const struct nt_func_info *nt_model_func_at(const struct nt_model *m, uint32_t slot);
/* Slot of function id ID, UINT32_MAX when the model has no entry for it. */
uint32_t nt_model_func_slot(const struct nt_model *m, uint32_t id);
int nt_model_layer_count(const struct nt_model *m);
const char *nt_model_layer_name(const struct nt_model *m, int layer);
/* Chain definition by key, NULL if never defined. */
const struct nt_ev_nft_chaindef *nt_model_chain(const struct nt_model *m, uint64_t key);
/* Rule text from the RULESET snapshot, NULL if unknown. */
const char *nt_model_rule_text(const struct nt_model *m, uint64_t chain_key, uint64_t handle);
/* The text in force at TS (the RULESET snapshots' "mono_ns"); the function
 * above gives the newest. */
const char *nt_model_rule_text_at(const struct nt_model *m, uint64_t chain_key, uint64_t handle,
				  uint64_t ts);
/* Drop reason name ("NOT_SPECIFIED"), NULL if unknown. */
const char *nt_model_drop_reason(const struct nt_model *m, uint32_t reason);
/* Interface name, NULL if unknown. */
const char *nt_model_ifname(const struct nt_model *m, uint32_t netns, uint32_t ifindex);
/* Name of network namespace INUM as the recorder called it (HEADER
 * options.netns), NULL if the log does not say. */
const char *nt_model_netns_name(const struct nt_model *m, uint32_t inum);
/* "ping_rcv+0xb3" for a kernel address from the log's KSYMS blocks (the
 * symbol at or below it, within its "size" when the block gives one, else
 * within 1 MiB), "0xffffffff820c7153" when none; returns BUF. */
const char *nt_model_symbolize(const struct nt_model *m, uint64_t addr, char *buf, size_t len);
/* Latest META of skb SKB while the model follows it, NULL if none. */
const struct nt_ev_meta *nt_model_skb_meta(const struct nt_model *m, uint64_t skb);
/* Role of function id ID (NT_FROLE_*): FUNCS "role", else from its name. */
int nt_model_func_role(const struct nt_model *m, uint32_t id);
/* Frames (innermost first) of kernel stack ID from the log's STACKS blocks;
 * NULL (*n = 0) when no block defined it. */
const uint64_t *nt_model_stack(const struct nt_model *m, uint32_t id, uint32_t *n);
/* Conntrack states of the connection of CT record C (the nf_conn, or the
 * trace message's conntrack id), in the order the packets recorded so far
 * showed them, each with the packet that first did: up to MAX into STATES
 * (NT_CT_STATE_*) and PACKETS; returns how many (0: not followed). */
int nt_model_ct_history(const struct nt_model *m, const struct nt_ev_ct *c, uint8_t *states,
			uint64_t *packets, int max);
/* Offset from record time (CLOCK_MONOTONIC ns) to wall-clock ns since the
 * epoch, from the HEADER's "clock_ref" (realtime_ns - mono_ns) or
 * "boot_time_ns": 1, or 0 (*off = 0) when the log has neither. */
int nt_model_wall_offset(const struct nt_model *m, uint64_t *off);
/* Inode of the recorded namespace NAME (HEADER options.netns), 0 = unknown. */
uint32_t nt_model_netns_inum(const struct nt_model *m, const char *name);
/* HEADER block field (string), NULL if absent. */
const char *nt_model_header_str(const struct nt_model *m, const char *field);
/* Packet of the last nt_model_event() call (NULL if none). */
const struct nt_packet *nt_model_current(const struct nt_model *m);
/* The limits in force and what reached them (common/limits.h).  Writable
 * through a const model: output code counts the rule texts it cuts. */
struct nt_limits *nt_model_limits(const struct nt_model *m);
/* An allocation failed: the model's results are incomplete (never print them
 * as if whole: exit 1). */
int nt_model_oom(const struct nt_model *m);

/* ---- formatting (output.c) ---- */
const char *nt_verdict_name(int32_t v);      /* "ACCEPT", "DROP", ... "NONE" */
const char *nt_fate_name(int fate);          /* "delivered", ... "unknown" */
const char *nt_proto_name(uint8_t l4proto);  /* "TCP", "UDP", "ICMP", "ICMPv6", "proto 47" */
/* "10.0.0.1:54321 → 10.0.0.2:443", "[2001:db8::1]:80 → ...", ICMP with type */
void nt_fmt_flow(char *buf, size_t len, const struct nt_ev_meta *m);
/* The prototype's live line for REC (call right after nt_model_event(REC)):
 * "[   1] FUNC       Device     __netif_receive_skb_core       a:p → b:q" */
void nt_fmt_event_line(FILE *out, const struct nt_model *m, const struct nt_ev_hdr *rec,
		       uint64_t seq);

#endif
