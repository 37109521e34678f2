/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stack.bpf.h - kernel stacks (nft-record --stack drop): the stack of a drop
 * is taken into a BPF stack map, which keeps each distinct stack once under
 * an id; the DROP record carries that id + 1 (0 = none).  User space
 * (nft-record/kstacks.c) copies every new id's frames into the log's STACKS
 * block.  Entries are never deleted nor replaced (no BPF_F_REUSE_STACKID):
 * an id means the same stack for the whole recording.  A stack that cannot
 * be stored (its bucket holds another stack, or the unwinder failed) is
 * counted in nt_stack_lost, per CPU.
 */
#ifndef NT_STACK_BPF_H
#define NT_STACK_BPF_H

/* NT_STACK_OFF / NT_STACK_DROP (common/bpf_shared.h), set by user space */
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

#endif
