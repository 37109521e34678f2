/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tests/pcapfilt/ebpf_interp.h - an eBPF interpreter for the instructions
 * pcapfilt/xlate.c emits (and the test prologues around them), so the
 * translation can be checked without root or a kernel.  Strict where the
 * verifier would be: stack reads of unwritten bytes, unaligned stack access,
 * memory access outside the stack (packet bytes only through the helper),
 * unknown opcodes or helpers are errors, not results.
 */
#ifndef NT_TEST_EBPF_INTERP_H
#define NT_TEST_EBPF_INTERP_H

#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>

#define NT_INTERP_STACK_TOP 0x7ff000000000ULL
#define NT_INTERP_PKT_ADDR 0x100000000ULL

struct nt_interp_mem {
	const uint8_t *pkt;   /* readable by bpf_probe_read_kernel at NT_INTERP_PKT_ADDR */
	size_t pkt_size;      /* bytes mapped (may exceed caplen: "kernel memory" past it) */
};

/* Run INSNS from 0 with r1..r5 = ARGS[0..4], r10 = stack top.  0 and *R0,
 * or -1 with ERR set (a fault the verifier or the kernel would not allow). */
int nt_interp_run(const struct bpf_insn *insns, size_t n, const uint64_t args[5],
		  const struct nt_interp_mem *mem, uint64_t *r0, char *err, size_t errlen);

#endif
