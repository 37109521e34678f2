/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nft.bpf.h - nftables verdicts from BPF (function-tracing backends only; they
 * need kprobes).  Enabled and attached by nft-record/attach_common.c.
 *
 *  kprobe/nft_do_chain, kretprobe/nft_do_chain
 *      NT_EV_NFT_CHAIN enter / exit of every base chain evaluation
 *      (nft_do_chain(pkt, priv): priv is the base chain's struct nft_chain);
 *      exit verdict = return value & NF_VERDICT_MASK.
 *  kprobe/__nft_trace_packet
 *      NT_EV_NFT_RULE for every trace step: the rule that issued the verdict
 *      (rule handle), jump/goto target, return, policy.  Only reached while the
 *      nft_trace_enabled static key is on, i.e. while any `meta nftrace set 1`
 *      rule exists (nft-record's own table has them).  The info->trace /
 *      nf_trace test is inside the function, so the probe sees every packet,
 *      nftrace-marked or not.  With --stack, a step that decides a drop is
 *      followed by a STACKREF: the kernel stack there (nft_do_chain, the hook).
 *
 * __nft_trace_packet layouts (nf_tables_core.c), told apart with CO-RE:
 *   <= 6.3 (Debian 6.1):  (struct nft_traceinfo *info, const struct nft_chain *chain,
 *                          enum nft_trace_types type); rule = info->rule
 *                          (struct nft_rule_dp *), verdict = info->verdict, pkt = info->pkt
 *   >= 6.4 (6.12, 6.18):  (const struct nft_pktinfo *pkt, const struct nft_verdict *verdict,
 *                          const struct nft_rule_dp *rule, struct nft_traceinfo *info,
 *                          enum nft_trace_types type); the chain is not passed:
 *                          as nft_trace_notify() does, walk the rule blob to the
 *                          trailing struct nft_rule_dp_last (is_last = 1), whose
 *                          ->chain is the chain; no rule (policy) -> info->basechain.
 * Rule handle: nft_rule_dp packs is_last:1, dlen:12, handle:42 in one u64
 * (read with BPF_CORE_READ_BITFIELD_PROBED); like nf_trace_fill_rule_info(), no
 * handle for the trailing rule or for an implicit return (type RETURN with
 * verdict CONTINUE).  An end-of-chain step that the kernel reports as type RULE
 * (6.12: NFT_CONTINUE & NF_VERDICT_MASK in __nft_trace_verdict) is recorded
 * as kind RETURN.  Trace id: byte-swapped info->skbid = the NFTA_TRACE_ID value
 * libnftnl / `nft monitor trace` show (checked on 6.1 and 6.12; skbid is
 * present in both Debian layouts).
 */
#ifndef NT_NFT_BPF_H
#define NT_NFT_BPF_H

#define NT_NF_VERDICT_MASK 0xff
#define NT_NF_DROP 0 /* uapi netfilter.h */
#define NT_NFT_LEVELS 4 /* nested nft_do_chain on one CPU (reject -> icmp_send -> output) */

/* Old (<= 6.3) layout of struct nft_traceinfo; CO-RE matches "nft_traceinfo". */
struct nft_traceinfo___v61 {
	const struct nft_pktinfo *pkt;
	const struct nft_base_chain *basechain;
	const struct nft_chain *chain;
	const struct nft_rule_dp *rule;
	const struct nft_verdict *verdict;
	u32 skbid;
} __attribute__((preserve_access_index));

/* function id used in the META records nft_do_chain emits (set by user space) */
const volatile __u32 nt_nft_func_id = 0;

/* one nft_do_chain evaluation in progress on this CPU */
struct nt_nft_level {
	__u64 chain;     /* base chain (struct nft_chain *) */
	__u64 skb;
	__u32 trace_id;
	__u8 traced;     /* the skb passes the filter */
	__u8 depth;      /* jump stack depth */
	__u8 family;
	__u8 hook;
};

struct nt_nft_cpu {
	__u32 cur;       /* number of evaluations in progress */
	__u32 pad;
	struct nt_nft_level lv[NT_NFT_LEVELS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nt_nft_cpu);
} nt_nft_state SEC(".maps");

/* chains already defined in the log: chain pointer -> identity (handles) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64);
} nt_nft_chains SEC(".maps");

static __always_inline struct nt_nft_cpu *nt_nft_cpu(void)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&nt_nft_state, &k);
}

static __always_inline __u8 nt_nft_hook(__u8 family, __u32 hooknum)
{
	if (family == NFPROTO_NETDEV)
		return hooknum == 0 ? NT_HOOK_INGRESS : NT_HOOK_EGRESS;
	return hooknum <= NT_HOOK_EGRESS ? hooknum : NT_HOOK_NONE;
}

/* Emit NT_EV_NFT_CHAINDEF for CHAIN unless already done for this identity. */
static __always_inline void nt_nft_chaindef(const struct nft_chain *chain, __u32 netns)
{
	__u64 key = (__u64)chain, ident;
	const struct nft_table *table;
	struct nt_ev_nft_chaindef *d;
	__u64 *seen;
	__u8 flags;

	if (!chain)
		return;
	table = BPF_CORE_READ(chain, table);
	ident = BPF_CORE_READ(chain, handle) << 20 ^ BPF_CORE_READ(table, handle) ^ netns;
	seen = bpf_map_lookup_elem(&nt_nft_chains, &key);
	if (seen && *seen == ident)
		return;
	d = nt_reserve_ring(sizeof(*d));
	if (!d)
		return; /* retried at the next sight */
	__builtin_memset(d, 0, sizeof(*d));
	nt_fill_hdr(&d->h, NT_EV_NFT_CHAINDEF, 0, 0, 0);
	d->chain_key = key;
	bpf_probe_read_kernel_str(d->table, sizeof(d->table), BPF_CORE_READ(table, name));
	bpf_probe_read_kernel_str(d->chain, sizeof(d->chain), BPF_CORE_READ(chain, name));
	d->family = BPF_CORE_READ_BITFIELD_PROBED(table, family);
	d->netns = netns;
	flags = BPF_CORE_READ_BITFIELD_PROBED(chain, flags);
	if (flags & NFT_CHAIN_BASE) {
		const struct nft_base_chain *base =
			(const void *)chain - bpf_core_field_offset(struct nft_base_chain, chain);

		d->base = 1;
		d->hook = nt_nft_hook(d->family, BPF_CORE_READ(base, ops.hooknum));
		d->prio = BPF_CORE_READ(base, ops.priority);
		d->policy = BPF_CORE_READ(base, policy);
	} else {
		d->hook = NT_HOOK_NONE;
	}
	bpf_ringbuf_submit(d, nt_rb_flags());
	bpf_map_update_elem(&nt_nft_chains, &key, &ident, BPF_ANY);
}

static __always_inline __u32 nt_pkt_netns(const struct nft_pktinfo *pkt)
{
	return BPF_CORE_READ(pkt, state, net, ns.inum);
}

SEC("kprobe/nft_do_chain")
int BPF_KPROBE(nt_nft_do_chain, struct nft_pktinfo *pkt, void *priv)
{
	const struct nft_chain *chain = priv;
	struct sk_buff *skb;
	struct nt_nft_cpu *c;
	struct nt_ev_nft_chain *e;
	struct nt_nft_level *lv;
	const struct nft_base_chain *base;
	const struct nft_table *table;
	__u32 i;

	if (nt_floor_stop(0)) /* nt_floor: bench (keep.bpf.h) */
		return 0;
	skb = BPF_CORE_READ(pkt, skb);
	c = nt_nft_cpu();
	if (!c)
		return 0;
	i = c->cur++;
	if (i >= NT_NFT_LEVELS) {
		/* deeper than any real nesting: return probes were missed
		 * (kretprobe maxactive); start over rather than stay stuck */
		c->cur = 1;
		i = 0;
	}
	lv = &c->lv[i];
	lv->chain = (__u64)chain;
	lv->skb = (__u64)skb;
	lv->trace_id = 0;
	lv->depth = 0;
	/* a packet's headers are complete in a hook: an skb left untraced for
	 * want of them earlier (nt_skb_state.nohdr) is looked at again */
	lv->traced = skb && nt_track(skb, nt_nft_func_id, NT_TRACK_HDRS);
	if (!lv->traced)
		return 0;
	base = (const void *)chain - bpf_core_field_offset(struct nft_base_chain, chain);
	table = BPF_CORE_READ(chain, table);
	lv->family = BPF_CORE_READ_BITFIELD_PROBED(table, family);
	lv->hook = nt_nft_hook(lv->family, BPF_CORE_READ(base, ops.hooknum));
	nt_nft_chaindef(chain, nt_pkt_netns(pkt));
	e = nt_reserve(sizeof(*e));
	if (!e)
		return 0;
	nt_fill_hdr(&e->h, NT_EV_NFT_CHAIN, 0, 0, (__u64)skb);
	e->chain_key = (__u64)chain;
	e->verdict = NT_V_NONE;
	e->phase = NT_CHAIN_ENTER;
	e->family = lv->family;
	e->hook = lv->hook;
	e->depth = 0;
	e->trace_id = 0;
	e->pad = 0;
	NT_SUBMIT(e);
	return 0;
}

SEC("kretprobe/nft_do_chain")
int BPF_KRETPROBE(nt_nft_do_chain_ret, unsigned int ret)
{
	struct nt_nft_cpu *c;
	struct nt_ev_nft_chain *e;
	struct nt_nft_level *lv;
	__u32 i;

	if (nt_floor_stop(0))
		return 0;
	c = nt_nft_cpu();
	if (!c || !c->cur)
		return 0;
	i = --c->cur;
	if (i >= NT_NFT_LEVELS)
		return 0;
	lv = &c->lv[i];
	if (!lv->traced)
		return 0;
	e = nt_reserve(sizeof(*e));
	if (!e)
		return 0;
	nt_fill_hdr(&e->h, NT_EV_NFT_CHAIN, 0, 0, lv->skb);
	e->chain_key = lv->chain;
	e->verdict = ret & NT_NF_VERDICT_MASK;
	e->phase = NT_CHAIN_EXIT;
	e->family = lv->family;
	e->hook = lv->hook;
	e->depth = 0;
	e->trace_id = lv->trace_id;
	e->pad = 0;
	NT_SUBMIT(e);
	return 0;
}

/* bpf_loop callback: advance to the trailing rule of the blob */
struct nt_rule_walk {
	const struct nft_rule_dp *rule;
	int found;
};

static long nt_rule_walk_step(__u32 i, void *arg)
{
	struct nt_rule_walk *w = arg;
	const struct nft_rule_dp *r = w->rule;

	if (BPF_CORE_READ_BITFIELD_PROBED(r, is_last)) {
		w->found = 1;
		return 1;
	}
	w->rule = (const void *)r + bpf_core_type_size(struct nft_rule_dp) +
		  BPF_CORE_READ_BITFIELD_PROBED(r, dlen);
	return 0;
}

static __always_inline const struct nft_chain *nt_chain_of_rule(const struct nft_rule_dp *rule)
{
	struct nt_rule_walk w = { .rule = rule };
	const struct nft_rule_dp_last *last;

	bpf_loop(1 << 16, nt_rule_walk_step, &w, 0);
	if (!w.found)
		return NULL;
	last = (const void *)w.rule;
	return BPF_CORE_READ(last, chain);
}

SEC("kprobe/__nft_trace_packet")
int nt_nft_trace_packet(struct pt_regs *ctx)
{
	struct nft_traceinfo___v61 *old = (void *)PT_REGS_PARM1(ctx);
	const struct nft_pktinfo *pkt;
	const struct nft_verdict *verdict;
	const struct nft_rule_dp *rule;
	const struct nft_chain *chain, *target = NULL;
	struct nft_traceinfo *info;
	struct nt_nft_cpu *c;
	struct nt_nft_level *lv;
	struct nt_ev_nft_rule *e;
	struct sk_buff *skb;
	__u32 type, code, trace_id, netns, i;
	__u64 handle = 0;
	int last;

	if (nt_floor_stop(0)) /* nt_floor: bench (keep.bpf.h) */
		return 0;
	if (bpf_core_field_exists(old->rule)) {
		info = (void *)old;
		chain = (void *)PT_REGS_PARM2(ctx);
		type = (__u32)PT_REGS_PARM3(ctx);
		pkt = BPF_CORE_READ(old, pkt);
		rule = BPF_CORE_READ(old, rule);
		verdict = BPF_CORE_READ(old, verdict);
		trace_id = __builtin_bswap32(BPF_CORE_READ(old, skbid));
	} else {
		pkt = (void *)PT_REGS_PARM1(ctx);
		verdict = (void *)PT_REGS_PARM2(ctx);
		rule = (void *)PT_REGS_PARM3(ctx);
		info = (void *)PT_REGS_PARM4(ctx);
		type = (__u32)PT_REGS_PARM5(ctx);
		trace_id = __builtin_bswap32(BPF_CORE_READ(info, skbid));
		if (rule)
			chain = nt_chain_of_rule(rule);
		else
			chain = (const void *)BPF_CORE_READ(info, basechain) +
				bpf_core_field_offset(struct nft_base_chain, chain);
	}
	skb = BPF_CORE_READ(pkt, skb);
	c = nt_nft_cpu();
	if (!c || !chain)
		return 0;
	i = c->cur - 1;
	if (i >= NT_NFT_LEVELS)
		return 0;
	lv = &c->lv[i];
	if (!lv->traced || lv->skb != (__u64)skb)
		return 0;
	lv->trace_id = trace_id;

	if (type == NFT_TRACETYPE_POLICY)
		code = BPF_CORE_READ(info, basechain, policy);
	else
		code = BPF_CORE_READ(verdict, code);
	last = rule && BPF_CORE_READ_BITFIELD_PROBED(rule, is_last);
	/* End of chain: some kernels (6.12's __nft_trace_verdict masks the
	 * negative NFT_CONTINUE with NF_VERDICT_MASK) report it as a RULE step
	 * of the trailing rule; it is a return. */
	if (type == NFT_TRACETYPE_RULE && last &&
	    (code == (__u32)NFT_CONTINUE || code == (__u32)NFT_RETURN))
		type = NFT_TRACETYPE_RETURN;
	if (rule && type != NFT_TRACETYPE_POLICY && !last &&
	    !(type == NFT_TRACETYPE_RETURN && code == (__u32)NFT_CONTINUE))
		handle = BPF_CORE_READ_BITFIELD_PROBED(rule, handle);
	netns = nt_pkt_netns(pkt);
	nt_nft_chaindef(chain, netns);
	if (code == (__u32)NFT_JUMP || code == (__u32)NFT_GOTO) {
		target = BPF_CORE_READ(verdict, chain);
		nt_nft_chaindef(target, netns);
	}

	e = nt_reserve(sizeof(*e));
	if (!e)
		goto depth;
	nt_fill_hdr(&e->h, NT_EV_NFT_RULE, 0, 0, (__u64)skb);
	e->chain_key = (__u64)chain;
	e->rule_handle = handle;
	e->target_key = (__u64)target;
	e->verdict = (__s32)code >= 0 ? (__s32)(code & NT_NF_VERDICT_MASK) : (__s32)code;
	e->trace_id = trace_id;
	e->kind = type;
	e->depth = lv->depth;
	e->family = lv->family;
	e->hook = lv->hook;
	e->pad = 0;
	NT_SUBMIT(e);
	/* --stack: the stack of the step that decides a drop (rule or policy;
	 * a reject's drop too): nft_do_chain and the hook that called it */
	if (nt_stack_mode != NT_STACK_OFF && (type == NFT_TRACETYPE_RULE || type == NFT_TRACETYPE_POLICY) &&
	    (__s32)code >= 0 && (code & NT_NF_VERDICT_MASK) == NT_NF_DROP)
		nt_stack_ref(ctx, (__u64)skb, 0);
depth:
	if (code == (__u32)NFT_JUMP && type == NFT_TRACETYPE_RULE)
		lv->depth++;
	else if (type == NFT_TRACETYPE_RETURN && (__u64)chain != lv->chain && lv->depth)
		lv->depth--;
	return 0;
}

#endif
