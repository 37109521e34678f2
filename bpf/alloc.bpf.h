/* SPDX-License-Identifier: GPL-2.0 */
/*
 * alloc.bpf.h - where a packet starts in function mode: the skb allocators.
 *
 * An skb address is reused as soon as the skb is freed, and not every free
 * path has a tracepoint (TCP's __kfree_skb, GRO's stolen heads, the per-CPU
 * NAPI skb cache), so a locally built skb would carry on the packet that last
 * used its memory until its headers show another identity (at ip_output).
 * The allocators' return (fexit, or kretprobe without trampolines) ends
 * whatever was still traced at the returned address (FREE with
 * NT_F_INFERRED): the next sight of that skb is a new packet.  Functions that
 * take the skb being built as an argument (__build_skb_around ...) and the
 * functions that free one (kfree_skbmem, __kfree_skb ...) are ordinary
 * traced functions whose cookie carries the role (func.bpf.h).
 *
 * One fexit program per allocator (a trampoline's target is fixed at load;
 * the arity of each is the same from 5.10 to 6.18); user space enables those
 * the kernel's BTF has (nft-record/attach_common.c).  nt_krp_alloc is the
 * same as a kretprobe, attached per allocator.
 */
#ifndef NT_ALLOC_BPF_H
#define NT_ALLOC_BPF_H

/* Function id of the FREE records these probes emit (FUNCS entry "skb
 * allocation", set by user space). */
const volatile __u32 nt_alloc_func_id = 0;

static __always_inline void nt_alloc_ret(struct sk_buff *skb)
{
	if (nt_off || !skb || nt_floor == NT_FLOOR_ATTACH || nt_floor == NT_FLOOR_LOOKUP)
		return;
	nt_end(skb, nt_alloc_func_id, NT_F_INFERRED);
}

SEC("fexit/__alloc_skb")
int BPF_PROG(nt_fx_alloc_skb, unsigned int size, gfp_t gfp, int flags, int node,
	     struct sk_buff *ret)
{
	nt_alloc_ret(ret);
	return 0;
}

SEC("fexit/__netdev_alloc_skb")
int BPF_PROG(nt_fx_netdev_alloc_skb, struct net_device *dev, unsigned int len, gfp_t gfp,
	     struct sk_buff *ret)
{
	nt_alloc_ret(ret);
	return 0;
}

SEC("fexit/__napi_alloc_skb") /* <= 6.12 */
int BPF_PROG(nt_fx___napi_alloc_skb, struct napi_struct *napi, unsigned int len, gfp_t gfp,
	     struct sk_buff *ret)
{
	nt_alloc_ret(ret);
	return 0;
}

SEC("fexit/napi_alloc_skb") /* >= 6.13 (an inline wrapper before) */
int BPF_PROG(nt_fx_napi_alloc_skb, struct napi_struct *napi, unsigned int len,
	     struct sk_buff *ret)
{
	nt_alloc_ret(ret);
	return 0;
}

SEC("fexit/napi_build_skb")
int BPF_PROG(nt_fx_napi_build_skb, void *data, unsigned int frag_size, struct sk_buff *ret)
{
	nt_alloc_ret(ret);
	return 0;
}

SEC("fexit/build_skb")
int BPF_PROG(nt_fx_build_skb, void *data, unsigned int frag_size, struct sk_buff *ret)
{
	nt_alloc_ret(ret);
	return 0;
}

SEC("fexit/__build_skb")
int BPF_PROG(nt_fx___build_skb, void *data, unsigned int frag_size, struct sk_buff *ret)
{
	nt_alloc_ret(ret);
	return 0;
}

SEC("fexit/slab_build_skb") /* >= 6.3 */
int BPF_PROG(nt_fx_slab_build_skb, void *data, struct sk_buff *ret)
{
	nt_alloc_ret(ret);
	return 0;
}

SEC("fexit/build_skb_around")
int BPF_PROG(nt_fx_build_skb_around, struct sk_buff *skb, void *data, unsigned int frag_size,
	     struct sk_buff *ret)
{
	nt_alloc_ret(ret);
	return 0;
}

SEC("kretprobe")
int nt_krp_alloc(struct pt_regs *ctx)
{
	nt_alloc_ret((struct sk_buff *)PT_REGS_RC(ctx));
	return 0;
}

#endif
