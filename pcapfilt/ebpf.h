/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcapfilt/ebpf.h - eBPF instruction constructors (struct bpf_insn of
 * <linux/bpf.h>) for the translator and its tests.  Only what pcapfilt emits.
 */
#ifndef NT_PCAPF_EBPF_H
#define NT_PCAPF_EBPF_H

#include <linux/bpf.h>

static inline struct bpf_insn nt_bi(__u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm)
{
	struct bpf_insn i = { .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };

	return i;
}

/* 32-bit ALU (results zero-extended to 64 bits), 64-bit ALU */
#define NT_ALU32_IMM(op, dst, imm) nt_bi(BPF_ALU | BPF_OP(op) | BPF_K, dst, 0, 0, imm)
#define NT_ALU32_REG(op, dst, src) nt_bi(BPF_ALU | BPF_OP(op) | BPF_X, dst, src, 0, 0)
#define NT_ALU64_IMM(op, dst, imm) nt_bi(BPF_ALU64 | BPF_OP(op) | BPF_K, dst, 0, 0, imm)
#define NT_ALU64_REG(op, dst, src) nt_bi(BPF_ALU64 | BPF_OP(op) | BPF_X, dst, src, 0, 0)
#define NT_MOV32_IMM(dst, imm) NT_ALU32_IMM(BPF_MOV, dst, imm)
#define NT_MOV32_REG(dst, src) NT_ALU32_REG(BPF_MOV, dst, src)
#define NT_MOV64_IMM(dst, imm) NT_ALU64_IMM(BPF_MOV, dst, imm)
#define NT_MOV64_REG(dst, src) NT_ALU64_REG(BPF_MOV, dst, src)
#define NT_NEG32(dst) nt_bi(BPF_ALU | BPF_NEG, dst, 0, 0, 0)
/* network (big-endian) to host order of the low 16 / 32 bits, zero-extended */
#define NT_BE(dst, bits) nt_bi(BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, bits)

/* memory: size BPF_B / BPF_H / BPF_W / BPF_DW */
#define NT_LDX(size, dst, src, off) nt_bi(BPF_LDX | BPF_MEM | (size), dst, src, off, 0)
#define NT_STX(size, dst, src, off) nt_bi(BPF_STX | BPF_MEM | (size), dst, src, off, 0)
#define NT_ST(size, dst, off, imm) nt_bi(BPF_ST | BPF_MEM | (size), dst, 0, off, imm)

/* jumps: offsets are filled in later by the emitter's fixups */
#define NT_JA(off) nt_bi(BPF_JMP | BPF_JA, 0, 0, off, 0)
#define NT_JMP_IMM(op, dst, imm, off) nt_bi(BPF_JMP | BPF_OP(op) | BPF_K, dst, 0, off, imm)
#define NT_JMP_REG(op, dst, src, off) nt_bi(BPF_JMP | BPF_OP(op) | BPF_X, dst, src, off, 0)
#define NT_JMP32_IMM(op, dst, imm, off) nt_bi(BPF_JMP32 | BPF_OP(op) | BPF_K, dst, 0, off, imm)
#define NT_JMP32_REG(op, dst, src, off) nt_bi(BPF_JMP32 | BPF_OP(op) | BPF_X, dst, src, off, 0)
#define NT_CALL(helper) nt_bi(BPF_JMP | BPF_CALL, 0, 0, 0, helper)
#define NT_EXIT() nt_bi(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* 64-bit immediate: two slots */
#define NT_LD_IMM64_LO(dst, v) nt_bi(BPF_LD | BPF_DW | BPF_IMM, dst, 0, 0, (__s32)(__u32)(v))
#define NT_LD_IMM64_HI(v) nt_bi(0, 0, 0, 0, (__s32)(__u32)((__u64)(v) >> 32))

#endif
