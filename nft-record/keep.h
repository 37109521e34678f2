/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keep.h - tail-based keep (`nft-record --keep EXPR`) in user space: every
 * packet's records are held in a bounded per-packet buffer until the packet
 * ends; a packet that ends matching EXPR is written whole (its records from
 * the first, in time order), the others cost nothing in the log.
 *
 * EXPR: one or more predicates separated by commas, a packet is kept when ANY
 * matches:
 *   drop                        the packet was dropped (kfree_skb with a reason,
 *                               or an nft drop / reject)
 *   verdict=V                   its nft verdict: accept, drop, stolen, queue, none
 *   rule=[NETNS:]FAMILY/TABLE/CHAIN/HANDLE
 *                               an nft rule it hit (NETNS: an `ip netns` name,
 *                               resolved by the caller, else any namespace)
 *   slow=DURATION               first to last record longer than DURATION (ns,
 *                               us, ms, s; time in the Socket layer, the socket
 *                               queue wait, excluded)
 *   func=NAME                   it passed through function / tracepoint NAME
 *
 * Packets are the analyzer's (model/: skb trees, LINK, FREE / DROP end them,
 * idle expiry).  Memory: at most max_open packet buffers of at most
 * pkt_bytes each (the newest records are kept, the cut ones counted; the
 * packet's first META is always kept), and total_bytes in all.  Records that
 * belong to no packet: chain definitions, LOSS and COUNT are passed through at
 * once; nft steps tied to no packet are dropped.
 */
#ifndef NT_KEEP_H
#define NT_KEEP_H

#include <stddef.h>
#include <stdint.h>

#define NT_KEEP_MAX_PRED 16

enum nt_keep_kind { NT_KEEP_DROP = 1, NT_KEEP_VERDICT, NT_KEEP_RULE, NT_KEEP_SLOW, NT_KEEP_FUNC };

struct nt_keep_pred {
	int kind;                /* enum nt_keep_kind */
	int32_t verdict;         /* NT_V_* (NT_KEEP_VERDICT) */
	uint64_t slow_ns;
	/* rule: netns name ("" = any) -> netns (inode, set by the caller; 0 = any) */
	char netns_name[64];
	uint32_t netns;
	uint8_t family;          /* NFPROTO_* */
	char table[64], chain[64];
	uint64_t handle;
	char func[128];
};

struct nt_keep_expr {
	int n;
	struct nt_keep_pred p[NT_KEEP_MAX_PRED];
	char text[512];          /* as given, for the HEADER */
};

/* Parse EXPR into *E: 0, or -EINVAL with a one-line reason in ERR
 * ("--keep: 'slow=5': expected a duration like 10ms"). */
int nt_keep_parse(struct nt_keep_expr *e, const char *expr, char *err, size_t errlen);
/* DURATION: "250us", "10ms", "1.5s", "100ns" (a unit is required) -> ns; -EINVAL. */
int nt_keep_parse_duration(const char *s, uint64_t *ns);

/* Counters (NT_CNT_KEEP_* of the log) */
struct nt_keep_stats {
	uint64_t seen;       /* packets that ended (or were still open at the end) */
	uint64_t kept;       /* written */
	uint64_t discarded;  /* ended without matching: not written */
	uint64_t cut;        /* records of kept and discarded packets dropped by a full buffer */
	uint64_t open;       /* packets buffered now */
	uint64_t bytes;      /* bytes buffered now */
};

/* Output of the engine: a record to write (REC, LEN), and, for the cut
 * counter, the cumulative value before a journey that lost records. */
typedef int (*nt_keep_write_fn)(void *ctx, const void *rec, size_t len);

struct nt_keep_opts {
	size_t sz;
	const struct nt_keep_expr *expr;
	size_t pkt_bytes;        /* per packet (default 16 KiB) */
	size_t total_bytes;      /* all buffers (default 64 MiB) */
	uint32_t max_open;       /* packet buffers (default 65536) */
	uint64_t idle_ns;        /* model idle expiry (default: the model's) */
	nt_keep_write_fn write;
	void *ctx;
};

struct nt_keep;
struct nt_keep *nt_keep_new(const struct nt_keep_opts *o);
void nt_keep_free(struct nt_keep *k);
/* A metadata block (FUNCS: function names for func=; others ignored). */
void nt_keep_meta(struct nt_keep *k, uint16_t type, const char *json, size_t len);
/* One record, in time order.  Returns the first nonzero value of write(). */
int nt_keep_record(struct nt_keep *k, const void *rec, size_t len);
/* The end: packets still open are decided on what they have. */
int nt_keep_finish(struct nt_keep *k);
const struct nt_keep_stats *nt_keep_stats(const struct nt_keep *k);

/* What the kernel-side keep (--keep-kernel, bpf/keep.bpf.h) depends on: it
 * judges a packet on the records the BPF programs give it, so every
 * predicate's records must come from BPF, the nftables steps included. */
struct nt_keep_kfacts {
	int keep_kernel;         /* --keep-kernel */
	int functions;           /* function mode (else tracepoint mode) */
	int nft_btf;             /* nf_tables' types in the kernel's BTF */
	const char *nft_failed;  /* the nftables probes failed to load or attach:
				  * which and why (NULL: they did not) */
	int bytes_ct_stack;      /* --capture-bytes, --conntrack or --stack */
	int env_user;            /* NT_KEEP_USER is set */
	/* func=NAME: is NAME traced by a function probe */
	int (*traced)(const void *ctx, const char *name);
	const void *ctx;
};

/* Can the kernel side decide E (it discards only what surely does not
 * match)?  NULL, or why not (in BUF or a constant), for the recorder's one
 * line "decided in user space (WHY)". */
const char *nt_keep_kernel_why_not(const struct nt_keep_expr *e, const struct nt_keep_kfacts *f,
				   char *buf, size_t len);

#endif
