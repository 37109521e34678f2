/* SPDX-License-Identifier: GPL-2.0 */
/* corr_int.h - the correlation's state, shared by corr.c (runs, messages,
 * output) and corr_keys.c (packet keys, packet incarnations).  Private to
 * nft-record/corr*.c. */
#ifndef NT_CORR_INT_H
#define NT_CORR_INT_H

#include <stdint.h>

#include "nft-record/corr.h"

#define NKEY 5
/* full: every header field we have; NATA / NATB: fields NAT keeps (source
 * NAT, destination NAT); DGRAM: the datagram as before fragmentation (first
 * fragment's L4 fields, no fragment fields: a local or refragmented datagram
 * is first seen as fragments, a reassembled one is only known by its first
 * fragment); L3: addresses, protocol, IPv4 id (no transport header). */
enum { K_FULL, K_NATA, K_NATB, K_DGRAM, K_L3 };

#define KEY_BITS 16               /* buckets per key index */
#define SKB_BITS 17               /* buckets of the skb address index */
#define DEF_MAX_SKBS 32768        /* packet incarnations */
#define RUNS_MAX 16384            /* chain runs referenced at once */
#define NLANES 1025               /* per-CPU run stacks (CPU & 1023; last: unknown CPU) */
#define LANE_DEPTH 8
#define NCONS 8                   /* chains a packet had runs of (FIFO) */
#define HINT_BITS 14              /* (netns, trace id) -> last packet */
#define DEF_BITS 12               /* defined chain keys */
#define QUEUE_LEN 32768           /* messages held at most */
#define PURGE_NS (2ull * 1000 * 1000 * 1000) /* ended incarnations kept this long */

#define OWN_PREFIX NT_TRACE_TABLE_PREFIX

/* A packet incarnation: one skb address from first sight to free. */
struct ent {
	uint64_t skb;
	uint64_t t_first, t_end, t_last; /* t_end 0: alive */
	uint64_t key[NKEY];              /* 0: none */
	uint64_t fid[2];                 /* datagram identity (same_dgram()) */
	uint32_t knext[NKEY], kprev[NKEY];
	uint32_t snext;                  /* skb index chain (current incarnations only) */
	uint32_t lprev, lnext;           /* LRU list by t_last */
	uint32_t cons[NCONS];            /* chains it had runs of (hashes) */
	uint32_t gen;
	uint32_t netns;                  /* namespace it is in (META, DEV; 0 unknown) */
	uint16_t cpu;                    /* CPU of its latest event */
	uint8_t ncons, l3, used, in_skb;
};

enum { R_FREE, R_PENDING, R_MATCHED, R_UNMATCHED };
#define Q_V6FRAG 1
#define Q_NOL4 2

struct run {
	uint64_t t_start;
	uint64_t skb;
	uint64_t key[NKEY];
	uint64_t fid[2];
	uint32_t ent, ent_gen;
	uint32_t chain;                  /* hash of the base chain (FIFO consumption) */
	uint32_t netns, trace_id;
	uint32_t refs;
	uint32_t pprev, pnext;           /* pending list; free list (pnext) */
	uint16_t cpu;
	uint8_t state, depth, hook, own, qmode, l3;
	uint8_t out;                     /* capture filter: its packet was left out */
};

struct lane {
	uint32_t run[LANE_DEPTH];
	uint32_t n;
};

/* A message waiting to be written (its run may still be pending). */
struct qmsg {
	uint64_t ts;
	uint64_t chain_key, target_key, rule_handle;
	int32_t verdict;
	uint32_t id;
	uint32_t run;                    /* 0: no run (orphan) */
	uint16_t cpu;
	uint8_t kind, depth, family, hook;
};

struct hint {
	uint64_t key;                    /* netns << 32 | trace id, + 1 */
	uint32_t ent, gen;
};

/* A FREE with NT_F_INFERRED of BPF (an address seen with a new packet): held
 * until the new packet's META is in, because the new packet's first steps may
 * come before that META (output hook of a local packet) and the FREE must come
 * before them. */
#define NDEFER 64
struct defer {
	struct nt_ev_free f;
	int used;
};

struct nt_corr {
	struct nt_corr_opts o;
	struct defer defer[NDEFER];
	int ndefer;
	uint64_t lookahead;
	struct ent *ents;                /* [1 .. nents] */
	uint32_t nents, free_ent, lru_head, lru_tail, used_ents;
	uint32_t kb[NKEY][1u << KEY_BITS];
	uint32_t sb[1u << SKB_BITS];
	struct run *runs;                /* [1 .. RUNS_MAX - 1] */
	uint32_t free_run, pend_head, pend_tail;
	struct lane *lanes;
	struct hint hints[1u << HINT_BITS];
	uint64_t defined[1u << DEF_BITS];
	struct qmsg *q;
	size_t qhead, qlen;
	uint64_t progress;
	struct nt_corr_stats st;
	int debug;
};


/* Header fields of a META or a trace message. */
struct pkt {
	uint8_t l3, l4proto, tcp_flags;
	uint16_t sport, dport, ip_id, frag, l4_csum;
	uint32_t l4_extra;
	const uint8_t *saddr, *daddr;
	int v6frag;                      /* IPv6 fragment: only the fragment key */
};

/* corr_keys.c */
void corr_pkt_keys(const struct pkt *p, uint64_t key[NKEY]);
void corr_pkt_fid(const struct pkt *p, uint64_t fid[2]);
int corr_same_dgram(const uint64_t a[2], const uint64_t b[2]);
void corr_meta_pkt(const struct nt_ev_meta *m, struct pkt *p);
void corr_msg_pkt(const struct nt_trace_msg *m, struct pkt *p);
uint32_t corr_kbucket(uint64_t key);
void corr_keys_set(struct nt_corr *c, uint32_t i, const uint64_t key[NKEY]);
void corr_ent_release(struct nt_corr *c, uint32_t i);
uint32_t corr_ent_find(const struct nt_corr *c, uint64_t skb);
uint32_t corr_ent_new(struct nt_corr *c, uint64_t skb, uint64_t ts, uint16_t cpu);
void corr_ent_touch(struct nt_corr *c, uint32_t i, uint64_t ts, uint16_t cpu);
int corr_ent_consumed(const struct ent *e, uint32_t chain);
void corr_ent_consume(struct ent *e, uint32_t chain);

#endif
