/* SPDX-License-Identifier: GPL-2.0 */
/*
 * func.bpf.h - function probes of the function-tracing backends
 * (nft-record/attach_kprobe_multi.c, attach_fentry.c, attach_kprobe.c).
 *
 * One program per skb argument position 1..5 and per attach type; which
 * function was hit comes from the attach cookie (bpf_get_attach_cookie), set
 * per function by user space:
 *
 *   bits  0..31  function id (NT_TP__COUNT + index in the recorder's list)
 *   bits 32..39  kind: NT_KIND_SKB (argument is the skb), NT_KIND_SKB_PP
 *                (struct sk_buff **), NT_KIND_SKB_VIA / NT_KIND_NFT_HOOK
 *                (pointer to a struct holding the skb pointer)
 *   bits 40..55  byte offset of the skb pointer in that struct (VIA kinds)
 *   bit  56      NT_COOKIE_RECHECK: re-parse headers (NAT / reroute points)
 *   bit  60      NT_COOKIE_HDRS (bpf_shared.h): the headers are complete here
 *                (NT_TRACK_HDRS)
 *   bits 57..59  role of the function for packet identity (NT_ROLE_*, from
 *                common/layers.c): free = the skb is freed here (FREE, the
 *                address may be reused), alloc = the skb is (re)built here
 *                (what was traced at that address ended: inferred FREE)
 *
 * kprobe.multi: one link for all functions of one position (cookies array).
 * kprobe: one perf-event link per function (bpf_cookie).
 * fentry: a program's attach target is fixed at load, so user space loads one
 * clone of nt_fe<N> per function (same instructions, own attach_btf_id) and
 * links it with the cookie (kernel >= 6.0 for fentry cookies; older kernels:
 * nt_fel / nt_kpa below).  The argument
 * is read with bpf_get_func_arg(): a direct ctx load of a `struct sk_buff **`
 * argument is refused by the verifier ("is not a struct", EACCES).
 *
 * skb lineage (NT_EV_LINK): fexit programs on the functions that return a new
 * skb derived from another one; the child inherits the parent's "traced" state.
 */
#ifndef NT_FUNC_BPF_H
#define NT_FUNC_BPF_H

#define NT_COOKIE_ID(c) ((__u32)(c))
#define NT_COOKIE_KIND(c) ((__u32)((c) >> 32) & 0xff)
#define NT_COOKIE_OFF(c) ((__u32)((c) >> 40) & 0xffff)
#define NT_COOKIE_RECHECK (1ULL << 56)
#define NT_COOKIE_ROLE(c) ((__u32)((c) >> NT_COOKIE_ROLE_SHIFT) & 7)

/* Resolve the skb from the probed argument according to the cookie's kind. */
static __always_inline struct sk_buff *nt_cookie_skb(__u64 arg, __u64 cookie)
{
	__u32 kind = NT_COOKIE_KIND(cookie);
	struct sk_buff *skb = (struct sk_buff *)arg;

	if (!arg)
		return NULL;
	if (kind == NT_KIND_SKB_PP) {
		if (bpf_probe_read_kernel(&skb, sizeof(skb), (void *)arg))
			return NULL;
	} else if (kind == NT_KIND_SKB_VIA || kind == NT_KIND_NFT_HOOK) {
		if (bpf_probe_read_kernel(&skb, sizeof(skb), (void *)(arg + NT_COOKIE_OFF(cookie))))
			return NULL;
	}
	return skb;
}

static __always_inline void nt_func_hit(void *ctx, __u64 arg, __u64 cookie)
{
	struct sk_buff *skb;

	if (nt_off || nt_floor == NT_FLOOR_ATTACH) /* stopped (core.bpf.h), bench (keep.bpf.h) */
		return;
	skb = nt_cookie_skb(arg, cookie);
	if (!skb)
		return;
	switch (NT_COOKIE_ROLE(cookie)) {
	case NT_ROLE_FREE:
		nt_end(skb, NT_COOKIE_ID(cookie), 0);
		return;
	case NT_ROLE_ALLOC:
		nt_end(skb, NT_COOKIE_ID(cookie), NT_F_INFERRED);
		return;
	}
	nt_hit(ctx, skb, NT_COOKIE_ID(cookie),
	       ((cookie & NT_COOKIE_RECHECK) ? NT_TRACK_RECHECK : 0) |
	       ((cookie & NT_COOKIE_HDRS) ? NT_TRACK_HDRS : 0));
}

/* ---- kprobe.multi (BPF_TRACE_KPROBE_MULTI), kernel >= 5.18 with fprobe ---- */
#define NT_KPM(n, PARM)                                                         \
	SEC("kprobe.multi")                                                     \
	int nt_kpm##n(struct pt_regs *ctx)                                      \
	{                                                                       \
		nt_func_hit(ctx, (__u64)PARM(ctx), bpf_get_attach_cookie(ctx)); \
		return 0;                                                       \
	}
NT_KPM(1, PT_REGS_PARM1)
NT_KPM(2, PT_REGS_PARM2)
NT_KPM(3, PT_REGS_PARM3)
NT_KPM(4, PT_REGS_PARM4)
NT_KPM(5, PT_REGS_PARM5)

/* ---- classic kprobes, one per function ---- */
#define NT_KP(n, PARM)                                                          \
	SEC("kprobe")                                                           \
	int nt_kp##n(struct pt_regs *ctx)                                       \
	{                                                                       \
		nt_func_hit(ctx, (__u64)PARM(ctx), bpf_get_attach_cookie(ctx)); \
		return 0;                                                       \
	}
NT_KP(1, PT_REGS_PARM1)
NT_KP(2, PT_REGS_PARM2)
NT_KP(3, PT_REGS_PARM3)
NT_KP(4, PT_REGS_PARM4)
NT_KP(5, PT_REGS_PARM5)

/* ---- fentry templates (cloned per function by user space) ---- */
#define NT_FE(n)                                                                \
	SEC("fentry")                                                           \
	int nt_fe##n(__u64 *ctx)                                                \
	{                                                                       \
		__u64 arg = 0;                                                  \
									\
		bpf_get_func_arg(ctx, n - 1, &arg);                             \
		nt_func_hit(ctx, arg, bpf_get_attach_cookie(ctx));              \
		return 0;                                                       \
	}
NT_FE(1)
NT_FE(2)
NT_FE(3)
NT_FE(4)
NT_FE(5)

/*
 * ---- kernels without attach cookies (fentry < 6.0, kprobe < 5.15; 5.10) ----
 *
 * fentry: one clone of nt_fel<N> per function, as for the raw tracepoints
 * (tp.bpf.h): user space patches the clone's one ld_imm64 of NT_TPC_MAGIC
 * (nt_tp_conf()) with the function's cookie value.  bpf_get_func_arg() is
 * 5.17+, and a direct context load is typed by the verifier from the target's
 * BTF (refused for struct sk_buff **), so the argument is copied from the
 * trampoline's context with bpf_probe_read_kernel().
 *
 * kprobe: one program per position, nt_kpa<N>; the cookie comes from the
 * probed address: the kprobe (int3 or ftrace-based) reports
 * regs->ip = address + 1, looked up in nt_kp_addrs (filled by user space with
 * every kallsyms address of every function before attaching).
 */
#define NT_FEL(n)                                                               \
	SEC("fentry")                                                           \
	int nt_fel##n(__u64 *ctx)                                               \
	{                                                                       \
		__u64 arg = 0;                                                  \
									\
		bpf_probe_read_kernel(&arg, sizeof(arg), &ctx[n - 1]);          \
		nt_func_hit(ctx, arg, nt_tp_conf());                            \
		return 0;                                                       \
	}
NT_FEL(1)
NT_FEL(2)
NT_FEL(3)
NT_FEL(4)
NT_FEL(5)

/* probed address -> cookie; size set by user space before load */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u64);
	__type(value, __u64);
} nt_kp_addrs SEC(".maps");

#define NT_KPA(n, PARM)                                                         \
	SEC("kprobe")                                                           \
	int nt_kpa##n(struct pt_regs *ctx)                                      \
	{                                                                       \
		__u64 ip = PT_REGS_IP(ctx) - 1, *c;                             \
									\
		c = bpf_map_lookup_elem(&nt_kp_addrs, &ip);                     \
		if (c)                                                          \
			nt_func_hit(ctx, (__u64)PARM(ctx), *c);                 \
		return 0;                                                       \
	}
NT_KPA(1, PT_REGS_PARM1)
NT_KPA(2, PT_REGS_PARM2)
NT_KPA(3, PT_REGS_PARM3)
NT_KPA(4, PT_REGS_PARM4)
NT_KPA(5, PT_REGS_PARM5)

/* ---- skb lineage ---- */

/* Function ids of the lineage probes: set by user space (rodata); 0 = the
 * tracked child gets LINK records with id 0. */
const volatile __u32 nt_link_func_id = 0;

static __always_inline void nt_link(struct sk_buff *parent, struct sk_buff *child, __u32 kind)
{
	__u64 pkey = (__u64)parent, ckey = (__u64)child;
	struct nt_skb_state *st, nst = {};
	struct nt_ev_link *l;

	if (!parent || !child || parent == child || nt_floor == NT_FLOOR_ATTACH ||
	    nt_floor == NT_FLOOR_LOOKUP)
		return;
	/* whatever was traced at the child's address ended before */
	nt_end(child, nt_link_func_id, NT_F_INFERRED);
	st = bpf_map_lookup_elem(&nt_skbs, &pkey);
	if (st && st->shed && !st->hdrless) {
		/* a copy of a shed packet is shed with it (valve.bpf.h) */
		nst = *st;
		nst.head = (__u64)BPF_CORE_READ(child, head);
		bpf_map_update_elem(&nt_skbs, &ckey, &nst, BPF_ANY);
		nt_shed_event();
		return;
	}
	/* a header-less parent (TCP's write queue skb) is no packet on the wire:
	 * each clone of it sent is one, seen on its own */
	if (!st || !st->match || st->hdrless)
		return;
	nst = *st;
	nst.head = (__u64)BPF_CORE_READ(child, head);
	bpf_map_update_elem(&nt_skbs, &ckey, &nst, BPF_ANY);
	l = nt_reserve(sizeof(*l));
	if (!l)
		return;
	nt_fill_hdr(&l->h, NT_EV_LINK, 0, nt_link_func_id, ckey);
	l->parent = pkey;
	l->kind = kind;
	l->pad = 0;
	NT_SUBMIT(l);
}

SEC("fexit/skb_clone")
int BPF_PROG(nt_fx_skb_clone, struct sk_buff *skb, gfp_t pri, struct sk_buff *ret)
{
	nt_link(skb, ret, NT_LINK_CLONE);
	return 0;
}

SEC("fexit/skb_copy")
int BPF_PROG(nt_fx_skb_copy, const struct sk_buff *skb, gfp_t pri, struct sk_buff *ret)
{
	nt_link((struct sk_buff *)skb, ret, NT_LINK_COPY);
	return 0;
}

SEC("fexit/__pskb_copy_fclone")
int BPF_PROG(nt_fx_pskb_copy_fclone, struct sk_buff *skb, int headroom, gfp_t gfp, bool fclone,
	     struct sk_buff *ret)
{
	nt_link(skb, ret, NT_LINK_COPY);
	return 0;
}

SEC("fexit/skb_copy_expand")
int BPF_PROG(nt_fx_skb_copy_expand, const struct sk_buff *skb, int newheadroom, int newtailroom,
	     gfp_t gfp, struct sk_buff *ret)
{
	nt_link((struct sk_buff *)skb, ret, NT_LINK_COPY);
	return 0;
}

SEC("fexit/skb_realloc_headroom")
int BPF_PROG(nt_fx_skb_realloc_headroom, struct sk_buff *skb, unsigned int headroom,
	     struct sk_buff *ret)
{
	nt_link(skb, ret, NT_LINK_REALLOC);
	return 0;
}

/* Same lineage through kprobe + kretprobe pairs, for kernels without fentry:
 * the entry stores the parent per task, the return links it to the result. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);   /* pid_tgid */
	__type(value, __u64); /* parent skb */
} nt_link_arg SEC(".maps");

static __always_inline void nt_link_enter(struct sk_buff *skb)
{
	__u64 k = bpf_get_current_pid_tgid(), v = (__u64)skb;

	bpf_map_update_elem(&nt_link_arg, &k, &v, BPF_ANY);
}

static __always_inline void nt_link_exit(struct sk_buff *ret, __u32 kind)
{
	__u64 k = bpf_get_current_pid_tgid(), *v;

	v = bpf_map_lookup_elem(&nt_link_arg, &k);
	if (!v)
		return;
	nt_link((struct sk_buff *)*v, ret, kind);
	bpf_map_delete_elem(&nt_link_arg, &k);
}

/* attached by user space to skb_clone, skb_copy, ... (see attach_common.c) */
SEC("kprobe")
int nt_kp_link(struct pt_regs *ctx)
{
	nt_link_enter((struct sk_buff *)PT_REGS_PARM1(ctx));
	return 0;
}

SEC("kretprobe")
int nt_krp_link(struct pt_regs *ctx)
{
	nt_link_exit((struct sk_buff *)PT_REGS_RC(ctx), (__u32)bpf_get_attach_cookie(ctx));
	return 0;
}

#endif
