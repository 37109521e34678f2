/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcapfilt/xlate.h - classic BPF (from libpcap) to an eBPF block that runs
 * inside the recorder's probes (kprobe, fentry, raw tracepoint programs),
 * plus the patcher that puts the block into a program's placeholder.
 *
 * The contract of the block (registers, scratch stack, placeholder) is
 * pcapfilt/abi.h.  Design:
 *
 * - Packet bytes are read with bpf_probe_read_kernel() from base + offset
 *   into a stack slot, one call per classic load: tracing programs have no
 *   direct packet access, and a helper read needs no verifier-visible bounds.
 *   The cBPF bounds rule is kept exactly: a load whose last byte is past
 *   caplen rejects the packet (return 0), as libpcap's bpf_filter does; a
 *   failed read (fault) rejects it too.
 * - Classic registers: A = w6, X = w7 (32-bit ALU ops, so the upper halves
 *   stay zero); base = r8; caplen, wirelen and M[0..15] live in the scratch
 *   stack below r9.  r6..r9 survive the helper calls.
 * - Jumps: cBPF has only forward jumps (a backward one is refused by
 *   pcapfilt/compile.c), so the block is loop-free and the verifier walks
 *   it once per path with pruning; comparisons of A use JMP32 (kernel >=
 *   5.1) so that constants >= 2^31 compare as unsigned 32-bit values.
 * - ALU: division / modulo by X == 0 rejects the packet (libpcap's rule;
 *   eBPF would yield 0 / A); shifts by X >= 32 give 0 (libpcap's rule; eBPF
 *   masks the count); by a constant >= 32 or division by constant 0 libpcap
 *   never emits (it refuses such expressions) and we reject the packet.
 * - `ret` sets r0 and jumps to the end of the block.
 * - One program, compiled by libpcap for DLT_EN10MB, for every view (r4):
 *   L2       the bytes at base are the frame;
 *   L2_VLAN  the frame with the 802.1Q tag of r5 put back at offset 12, as
 *            tcpdump writes a frame whose tag VLAN offload took out;
 *   L3       no MAC header: the frame is a made-up Ethernet header
 *            (addresses 00:00:00:00:00:00, EtherType r5 = skb->protocol)
 *            followed by the bytes at base.
 *   The set-up of the last two builds bytes 0..19 of that frame in the
 *   scratch stack and moves the base back by the bytes put in front; loads
 *   that end within those 20 bytes read there, the others at base + offset
 *   (for L2 both addresses are the base).  So `ip`, `tcp port 80` or `arp`
 *   mean the same in every view, and `ether host X` / `vlan` are false where
 *   the probe sees no MAC header / no tag.  caplen and wirelen grow with the
 *   header put in front, as on the wire (`greater 100` counts the 14 bytes of
 *   the Ethernet header in every view, as tcpdump on the device does).
 * - Loads are planned per program: a constant-offset load whose value an
 *   earlier load of the same bytes already fetched on every path to it
 *   reads a cached copy in the scratch stack (libpcap reloads the EtherType
 *   and protocol bytes for every term of an `or`), and the caplen check of a
 *   load goes when an earlier load on every path already ended as far.
 *
 * Size: about 11 eBPF instructions per classic load (15 for X-relative
 * loads, 1 for a cached one), 1-3 per other instruction, and 60 for the
 * views' set-up.  The budget is the placeholder: NT_PCAPF_SLOTS -
 * NT_PCAPF_SLOTS_RESERVED.
 */
#ifndef NT_PCAPF_XLATE_H
#define NT_PCAPF_XLATE_H

#include <stddef.h>
#include <linux/bpf.h>
#include "pcapfilt/compile.h"

#define NT_PCAPF_BUDGET (NT_PCAPF_SLOTS - NT_PCAPF_SLOTS_RESERVED)

/* Translate P (DLT_EN10MB, pcapfilt/compile.h) into OUT (capacity MAX
 * instructions); *N = instructions used.  0, or -E2BIG (does not fit: ERR
 * names the budget and the size needed), -EINVAL (a classic instruction we
 * cannot translate: ERR names it). */
int nt_pcapf_xlate(const struct nt_cbpf *p, struct bpf_insn *out, size_t max, size_t *n, char *err,
		   size_t errlen);

/* Is INSNS[i..] an unpatched placeholder (abi.h)? */
int nt_pcapf_is_placeholder(const struct bpf_insn *insns, size_t n, size_t i);

/* Replace every placeholder of the program INSNS[0..N) by BLOCK (BN <=
 * NT_PCAPF_BUDGET instructions) padded to NT_PCAPF_SLOTS, in place.  Returns
 * the number of placeholders patched (0: the program has none), or -E2BIG. */
int nt_pcapf_patch(struct bpf_insn *insns, size_t n, const struct bpf_insn *block, size_t bn);

/* The whole placeholder (NT_PCAPF_SLOTS instructions) as the BPF compiler
 * emits it from NT_PCAPF_PLACEHOLDER_ASM: for tests and for programs built
 * in user space. */
void nt_pcapf_placeholder(struct bpf_insn *out);

#endif
