/* SPDX-License-Identifier: GPL-2.0 */
/*
 * btf_scan.h - find every function / tracepoint of a BTF object that takes an
 * skb, using only libbpf's btf API.
 *
 * Argument kinds (common/records.h NT_KIND_*), first match over args 1..5:
 *  NT_KIND_SKB      struct sk_buff * (through const / volatile / restrict / typedef / type tags)
 *  NT_KIND_SKB_PP   struct sk_buff ** (used only when no arg is a plain skb)
 *  NT_KIND_SKB_VIA  pointer to a struct of the via table (nft_pktinfo, nf_queue_entry)
 *                   whose member holds struct sk_buff * (used when no skb / skb_pp arg)
 *  NT_KIND_NFT_HOOK function named nft_do_chain or nft_do_chain_* with any of the above
 *                   (the arg / via still say where the skb is)
 *  NT_KIND_TRACEPOINT  typedef btf_trace_<event> (pointer to a proto whose first
 *                   param is the raw tracepoint context): skb or via arg among
 *                   params 2..6, reported as tracepoint arg 1..5
 */
#ifndef NT_BTF_SCAN_H
#define NT_BTF_SCAN_H

#include <stdint.h>

struct btf;

struct nt_btf_hit {
	const char *name;       /* function name, or event name for tracepoints */
	uint32_t btf_id;        /* FUNC id, or btf_trace_<event> typedef id */
	int kind;               /* NT_KIND_* */
	int arg;                /* 1-based */
	const char *via_struct; /* NULL unless the skb is reached through a struct */
	const char *via_member;
};

struct nt_btf_scan_stats {
	uint32_t funcs;         /* FUNC types looked at */
	uint32_t tracepoints;   /* btf_trace_* typedefs looked at */
	uint32_t hits;
};

/* Callback per hit; a negative return stops the scan and is returned. */
typedef int (*nt_btf_hit_fn)(const struct nt_btf_hit *hit, void *ctx);

/*
 * Scan the types of btf that it owns (for split BTF: the module's own ids, not
 * the base's), in id order.  want_tp: also scan btf_trace_* typedefs.
 * Returns 0 or the callback's negative value.
 */
int nt_btf_scan(const struct btf *btf, int want_tp, nt_btf_hit_fn cb, void *ctx,
		struct nt_btf_scan_stats *st);

/* Kind of one parameter type: NT_KIND_SKB / _SKB_PP / _SKB_VIA, or -1.
 * For _SKB_VIA, *via_struct / *via_member are set. */
int nt_btf_param_kind(const struct btf *btf, uint32_t type_id, const char **via_struct,
		      const char **via_member);

#endif /* NT_BTF_SCAN_H */
