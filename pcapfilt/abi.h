/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcapfilt/abi.h - the contract between the translated filter block
 * (pcapfilt/xlate.c) and the BPF programs that run it (bpf/, nft-record).
 * Plain #defines only: included by BPF C and by user space.
 *
 * THE PLACEHOLDER.  Every BPF program that applies the capture filter holds
 * NT_PCAPF_SLOTS instruction slots, emitted by an inline asm block
 * (NT_PCAPF_PLACEHOLDER_ASM below) where the filter runs:
 *
 *   slot 0-1   r0 = NT_PCAPF_MAGIC ll        marker user space looks for
 *   slot 2     if r0 != 0 goto +(SLOTS - 3)  always taken (r0 is a known constant)
 *   slot 3..   goto +0                       padding
 *
 * Unpatched it is a valid program fragment whose result r0 is non-zero: "no
 * filter, everything matches".  The verifier sees the always-taken branch,
 * so the padding is dead code that a privileged load removes in one piece
 * (opt_hard_wire_dead_code_branches + opt_remove_dead_code, kernel >= 5.1);
 * check_cfg() still finds every slot reachable, as it must.
 *
 * With --filter, user space replaces the slots in place, before the object is
 * loaded (bpf_program__set_insns(); same instruction count, so no relocation,
 * BTF line info or jump offset of the rest of the program moves) by the
 * translated block followed by the same "always-taken jump over padding".
 * Programs that nft-record clones after load (raw_tp, fentry) inherit it.
 * A translation longer than NT_PCAPF_SLOTS - NT_PCAPF_SLOTS_RESERVED does not
 * fit: the recorder refuses the expression with a message naming the limit.
 *
 * REGISTERS of the block:
 *   in   r1  base: kernel address of byte 0 of the packet view
 *        r2  caplen: bytes readable from base (the linear data: loads past
 *            it reject the packet, as a load past a pcap snapshot does)
 *        r3  wirelen: packet length on the wire (pcap `len`, `less`, `greater`)
 *        r4  view: NT_PCAPF_VIEW_L2 (base at the Ethernet header),
 *            NT_PCAPF_VIEW_L2_VLAN (Ethernet header whose 802.1Q tag VLAN
 *            offload took out of the frame: the block reads the frame with
 *            the tag put back, as tcpdump writes it to a file) or
 *            NT_PCAPF_VIEW_L3 (base at the network header, no MAC header:
 *            the block reads it behind a made-up Ethernet header)
 *        r5  L2_VLAN: tpid << 16 | tci; L3: the EtherType (skb->protocol);
 *            host order
 *        r9  scratch: 8-byte aligned pointer just past NT_PCAPF_SCRATCH bytes
 *            of stack the block owns (r9 - NT_PCAPF_SCRATCH .. r9 - 1)
 *   out  r0  the classic BPF return value: 0 = no match, else match
 *   r1..r8 are clobbered, r9 and r10 are preserved.  The block never exits
 *   the program: every cBPF `ret` jumps to its end.  It calls one helper,
 *   bpf_probe_read_kernel (kernel >= 5.5; libbpf turns it into
 *   bpf_probe_read on kernels without it).
 */
#ifndef NT_PCAPF_ABI_H
#define NT_PCAPF_ABI_H

#define NT_PCAPF_MAGIC 0x0a4650414350544e /* "NTPCAPF\n" in memory (little-endian) */
#define NT_PCAPF_SLOTS 4096
#define NT_PCAPF_SLOTS_RESERVED 4 /* the trailing "always-taken jump" and slack */
#define NT_PCAPF_SCRATCH 128

#define NT_PCAPF_VIEW_L3 0
#define NT_PCAPF_VIEW_L2 1
#define NT_PCAPF_VIEW_L2_VLAN 2

#define NT_PCAPF__STR(x) #x
#define NT_PCAPF_STR(x) NT_PCAPF__STR(x)

/* The placeholder as BPF assembler text (clang -target bpf inline asm). */
#define NT_PCAPF_PLACEHOLDER_ASM                                           \
	"r0 = " NT_PCAPF_STR(NT_PCAPF_MAGIC) " ll;"                       \
	"if r0 != 0 goto +" NT_PCAPF_STR(NT_PCAPF_PAD) ";"                \
	".rept " NT_PCAPF_STR(NT_PCAPF_PAD) ";"                           \
	"goto +0;"                                                         \
	".endr;"
#define NT_PCAPF_PAD 4093 /* NT_PCAPF_SLOTS - 3 (asm needs a literal) */

#endif
