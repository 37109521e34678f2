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
 * - Three views, each its own copy of the code, picked by r4 at run time:
 *   L3 (DLT_RAW program), L2 (DLT_EN10MB program), L2_VLAN (the DLT_EN10MB
 *   program again, with loads that see the 802.1Q tag of r5 re-inserted at
 *   offset 12: the frame as tcpdump would have written it).  A view without
 *   a program returns the caller's constant (e.g. 0: an `ether host` filter
 *   never matches where no MAC header exists).
 *
 * Size: about 12 eBPF instructions per classic load, 1-3 per other
 * instruction, times the views used.  The budget is the placeholder:
 * NT_PCAPF_SLOTS - NT_PCAPF_SLOTS_RESERVED instructions.
 */
#ifndef NT_PCAPF_XLATE_H
#define NT_PCAPF_XLATE_H

#include <stddef.h>
#include <linux/bpf.h>
#include "pcapfilt/compile.h"

#define NT_PCAPF_BUDGET (NT_PCAPF_SLOTS - NT_PCAPF_SLOTS_RESERVED)

struct nt_pcapf_views {
	const struct nt_cbpf *l2;    /* DLT_EN10MB program, or NULL */
	const struct nt_cbpf *l3;    /* DLT_RAW program, or NULL */
	unsigned int l2_none;        /* r0 for view L2 / L2_VLAN when l2 is NULL */
	unsigned int l3_none;        /* r0 for view L3 when l3 is NULL */
	int vlan;                    /* emit the L2_VLAN view (else it runs the L2 code) */
};

/* Translate into OUT (capacity MAX instructions); *N = instructions used.
 * 0, or -E2BIG (does not fit: ERR names the budget and the size needed),
 * -EINVAL (a classic instruction we cannot translate: ERR names it). */
int nt_pcapf_xlate(const struct nt_pcapf_views *v, struct bpf_insn *out, size_t max, size_t *n,
		   char *err, size_t errlen);

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
