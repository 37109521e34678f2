/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stack.bpf.h - kernel stacks (nft-record --stack drop|all): the stack of a
 * drop (DROP.stack_id), of the nftables step that decided one (function mode:
 * a STACKREF after the NFT_RULE) and, with all, of every traced hit (a
 * STACKREF after its FUNC) is taken into a BPF stack map, which keeps each distinct stack once under
 * an id; the DROP record carries that id + 1 (0 = none).  User space
 * (nft-record/kstacks.c) copies every new id's frames into the log's STACKS
 * block.  Entries are never deleted nor replaced (no BPF_F_REUSE_STACKID):
 * an id means the same stack for the whole recording.  A stack that cannot
 * be stored (its bucket holds another stack, or the unwinder failed) is
 * counted in nt_stack_lost, per CPU.
 */
#ifndef NT_STACK_BPF_H
#define NT_STACK_BPF_H

/* NT_STACK_OFF / NT_STACK_DROP / NT_STACK_ALL (common/bpf_shared.h), set by user space */
const volatile __u32 nt_stack_mode = 0;

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1);           /* user space sizes it (--stack) */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, NT_STACK_MAX_FRAMES * sizeof(__u64)); /* <= perf_event_max_stack */
} nt_stackmap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} nt_stack_lost SEC(".maps");

/* The kernel stack of the program's context CTX as a log stack id (map id +
 * 1), 0 when stacks are off or it could not be stored (counted). */
static __always_inline __u32 nt_stack_take(void *ctx)
{
	long id;
	__u32 k = 0;
	__u64 *v;

	if (nt_stack_mode == NT_STACK_OFF)
		return 0;
	id = bpf_get_stackid(ctx, &nt_stackmap, 0);
	if (id >= 0)
		return (__u32)id + 1;
	v = bpf_map_lookup_elem(&nt_stack_lost, &k);
	if (v)
		*v += 1; /* per-CPU slot */
	return 0;
}

/* NT_EV_STACKREF: the kernel stack of CTX as the stack of the record just
 * emitted for SKB (hdr.id FUNC_ID: its function id, 0 for an nftables step);
 * none when the stack could not be stored (counted in nt_stack_lost). */
static __noinline int nt_stack_ref(void *ctx, __u64 skb, __u32 func_id)
{
	/* the record first: a stack is only taken (or counted lost) for a
	 * record that can carry it (none once stopped, ring losses counted) */
	struct nt_ev_stackref *s = nt_reserve_ring(sizeof(*s));
	__u32 id;

	if (!s)
		return 0;
	id = nt_stack_take(ctx);
	if (!id) {
		bpf_ringbuf_discard(s, BPF_RB_NO_WAKEUP);
		return 0;
	}
	nt_fill_hdr(&s->h, NT_EV_STACKREF, 0, func_id, skb);
	s->stack_id = id;
	s->pad = 0;
	bpf_ringbuf_submit(s, nt_rb_flags());
	return 0;
}

/* --stack all: the stack of a traced hit of SKB (its FUNC just emitted) */
static __always_inline void nt_stack_hit(void *ctx, __u64 skb, __u32 func_id)
{
	if (nt_stack_mode == NT_STACK_ALL)
		nt_stack_ref(ctx, skb, func_id);
}

#endif
