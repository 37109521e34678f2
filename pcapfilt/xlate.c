// SPDX-License-Identifier: GPL-2.0
/* pcapfilt/xlate.c - classic BPF -> eBPF block (design: xlate.h, abi.h). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapfilt/ebpf.h"
#include "pcapfilt/xlate.h"

/* Registers */
enum { R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 };
#define RA R6     /* classic A */
#define RX R7     /* classic X */
#define RBASE R8  /* base address of the view (L2_VLAN: base - 4) */
#define RFP R9    /* scratch frame (abi.h) */

/* Scratch slots, offsets from r9 (NT_PCAPF_SCRATCH bytes below it) */
#define S_BUF (-8)          /* probe_read destination */
#define S_CAPLEN (-16)      /* u64 */
#define S_WIRELEN (-24)     /* u64 */
#define S_SEG0ADDR (-32)    /* L2_VLAN: address of S_SEG0 as a scalar */
#define S_SEG0 (-56)        /* L2_VLAN: bytes 0..19 of the frame with its tag */
#define SEG0_LEN 20
/* u32 words below S_SEG0, down to the end of the scratch area: the classic
 * scratch memory words the program uses and the load cache, per view */
#define S_WORD(i) (S_SEG0 - 4 * ((i) + 1))
#define NWORDS ((NT_PCAPF_SCRATCH + S_SEG0) / 4)
_Static_assert(NWORDS >= 16, "scratch layout: room for M[0..15]");

#define HELPER_PROBE_READ_KERNEL 113 /* BPF_FUNC_probe_read_kernel */
#define NT_BPF_MEMWORDS 16

/* labels */
enum { L_END = 0, L_FIRST_FREE = 1 };

struct fixup {
	size_t at;
	int label;
};

struct em {
	struct bpf_insn *buf;
	size_t n, cap;
	int *label_pos; /* -1 = not placed */
	size_t nlabels, caplabels;
	struct fixup *fix;
	size_t nfix, capfix;
	int oom;
	/* current variant */
	int l_rej;
	int rej_used;
	int l_insn0; /* label of classic instruction 0 */
	int mem_word[NT_BPF_MEMWORDS]; /* scratch word of M[i] */
	/* per classic instruction of the view (loads): */
	signed char *cache;  /* word caching this load's value, -1 none */
	unsigned char *hit;  /* 1: the value is in the cache already */
	unsigned char *nochk; /* 1: an earlier load checked caplen for this one */
	char *err;
	size_t errlen;
};

static void emit(struct em *e, struct bpf_insn in)
{
	if (e->n == e->cap) {
		size_t nc = e->cap ? e->cap * 2 : 256;
		struct bpf_insn *nb = realloc(e->buf, nc * sizeof(*nb));

		if (!nb) {
			e->oom = 1;
			return;
		}
		e->buf = nb;
		e->cap = nc;
	}
	e->buf[e->n++] = in;
}

static int new_label(struct em *e)
{
	if (e->nlabels == e->caplabels) {
		size_t nc = e->caplabels ? e->caplabels * 2 : 64;
		int *np = realloc(e->label_pos, nc * sizeof(*np));

		if (!np) {
			e->oom = 1;
			return 0;
		}
		e->label_pos = np;
		e->caplabels = nc;
	}
	e->label_pos[e->nlabels] = -1;
	return (int)e->nlabels++;
}

static void place(struct em *e, int label)
{
	if (!e->oom)
		e->label_pos[label] = (int)e->n;
}

/* Emit a jump instruction IN whose target is LABEL. */
static void emit_jmp(struct em *e, struct bpf_insn in, int label)
{
	if (e->nfix == e->capfix) {
		size_t nc = e->capfix ? e->capfix * 2 : 256;
		struct fixup *nf = realloc(e->fix, nc * sizeof(*nf));

		if (!nf) {
			e->oom = 1;
			return;
		}
		e->fix = nf;
		e->capfix = nc;
	}
	e->fix[e->nfix].at = e->n;
	e->fix[e->nfix].label = label;
	if (label == e->l_rej)
		e->rej_used = 1;
	e->nfix++;
	emit(e, in);
}

static void emit_ja(struct em *e, int label)
{
	emit_jmp(e, NT_JA(0), label);
}

static int bad_insn(struct em *e, const struct nt_cbpf_insn *in, unsigned int i, const char *why)
{
	snprintf(e->err, e->errlen,
		 "--filter: classic BPF instruction %u (code 0x%04x, k %u) cannot be translated: %s",
		 i, in->code, in->k, why);
	return -EINVAL;
}

/* One helper read of SIZE bytes from the address in r3 into dst. */
static void emit_read(struct em *e, int size, int dst)
{
	static const int ldsz[5] = { 0, BPF_B, BPF_H, 0, BPF_W };

	emit(e, NT_MOV64_REG(R1, RFP));
	emit(e, NT_ALU64_IMM(BPF_ADD, R1, S_BUF));
	emit(e, NT_MOV64_IMM(R2, size));
	emit(e, NT_CALL(HELPER_PROBE_READ_KERNEL));
	emit_jmp(e, NT_JMP_IMM(BPF_JNE, R0, 0, 0), e->l_rej);
	emit(e, NT_LDX(ldsz[size], dst, RFP, S_BUF));
	if (size > 1)
		emit(e, NT_BE(dst, size * 8));
}

/* Classic load of SIZE bytes at K (BPF_ABS) or X + K (BPF_IND) into DST,
 * rejecting the packet when it ends past caplen (libpcap's bounds rule, in
 * unbounded arithmetic: no 32-bit wrap). */
static void emit_load(struct em *e, int size, int mode, uint32_t k, int dst, int check)
{
	if (mode == BPF_ABS) {
		uint64_t end = (uint64_t)k + size;

		if (end > INT32_MAX) { /* no packet has 2 GiB of linear data */
			emit_ja(e, e->l_rej);
			return;
		}
		if (check) {
			emit(e, NT_LDX(BPF_DW, R1, RFP, S_CAPLEN));
			emit_jmp(e, NT_JMP_IMM(BPF_JLT, R1, (int32_t)end, 0), e->l_rej);
		}
		if (end <= SEG0_LEN) /* emit_prefix */
			emit(e, NT_LDX(BPF_DW, R3, RFP, S_SEG0ADDR));
		else
			emit(e, NT_MOV64_REG(R3, RBASE));
		if (k)
			emit(e, NT_ALU64_IMM(BPF_ADD, R3, (int32_t)k));
	} else {
		if (k > INT32_MAX - 8) {
			emit_ja(e, e->l_rej);
			return;
		}
		emit(e, NT_MOV64_REG(R3, RX)); /* X, zero-extended */
		if (k)
			emit(e, NT_ALU64_IMM(BPF_ADD, R3, (int32_t)k));
		emit(e, NT_MOV64_REG(R2, R3));
		emit(e, NT_ALU64_IMM(BPF_ADD, R2, size));
		emit(e, NT_LDX(BPF_DW, R1, RFP, S_CAPLEN));
		emit_jmp(e, NT_JMP_REG(BPF_JGT, R2, R1, 0), e->l_rej);
		{ /* bytes 0..19 at S_SEG0ADDR (emit_prefix), the others at r8 */
			int l_far = new_label(e), l_go = new_label(e);

			emit_jmp(e, NT_JMP_IMM(BPF_JGT, R2, SEG0_LEN, 0), l_far);
			emit(e, NT_LDX(BPF_DW, R1, RFP, S_SEG0ADDR));
			emit(e, NT_ALU64_REG(BPF_ADD, R3, R1));
			emit_ja(e, l_go);
			place(e, l_far);
			emit(e, NT_ALU64_REG(BPF_ADD, R3, RBASE));
			place(e, l_go);
		}
	}
	emit_read(e, size, dst);
}

/*
 * The frame the program reads (DLT_EN10MB) is not always the bytes at base:
 *   L2       it is: S_SEG0ADDR = base, loads read at base + offset.
 *   L2_VLAN  VLAN offload took the 802.1Q tag out of the frame: it is put
 *            back at offset 12 (r5 = tpid << 16 | tci), as tcpdump writes it.
 *   L3       no MAC header: a 14-byte Ethernet header is put in front,
 *            addresses 00:00:00:00:00:00, EtherType r5 (skb->protocol).
 * For the last two, bytes 0..19 of that frame are built in S_SEG0 and
 * S_SEG0ADDR points there; base moves back by the bytes put in front (4 or
 * 14), so that a load at offset >= 20 - size reads base + offset; caplen and
 * wirelen grow by the same.  Loads ending within byte 20 read at S_SEG0ADDR.
 */
static void emit_read_into(struct em *e, int seg0_off, int size, int base_off)
{
	emit(e, NT_MOV64_REG(R1, RFP));
	emit(e, NT_ALU64_IMM(BPF_ADD, R1, S_SEG0 + seg0_off));
	emit(e, NT_MOV64_IMM(R2, size));
	emit(e, NT_MOV64_REG(R3, RBASE));
	if (base_off)
		emit(e, NT_ALU64_IMM(BPF_ADD, R3, base_off));
	emit(e, NT_CALL(HELPER_PROBE_READ_KERNEL)); /* a failed read leaves zeroes */
}

static void emit_grow(struct em *e, int by)
{
	emit(e, NT_LDX(BPF_DW, R1, RFP, S_CAPLEN));
	emit(e, NT_ALU64_IMM(BPF_ADD, R1, by));
	emit(e, NT_STX(BPF_DW, RFP, R1, S_CAPLEN));
	emit(e, NT_LDX(BPF_DW, R1, RFP, S_WIRELEN));
	emit(e, NT_ALU64_IMM(BPF_ADD, R1, by));
	emit(e, NT_STX(BPF_DW, RFP, R1, S_WIRELEN));
}

static void emit_prefix(struct em *e)
{
	int l_plain = new_label(e), l_vlan = new_label(e), l_seg = new_label(e), l_go = new_label(e);

	emit_jmp(e, NT_JMP_IMM(BPF_JEQ, R4, NT_PCAPF_VIEW_L2, 0), l_plain);
	emit_jmp(e, NT_JMP_IMM(BPF_JEQ, R4, NT_PCAPF_VIEW_L2_VLAN, 0), l_vlan);
	/* L3 (and any other value): a made-up Ethernet header */
	emit(e, NT_MOV32_REG(R1, R5)); /* r5 is gone after the first call */
	emit(e, NT_BE(R1, 16));
	emit(e, NT_STX(BPF_H, RFP, R1, S_SEG0 + 12));
	emit(e, NT_ST(BPF_DW, RFP, S_SEG0, 0));
	emit(e, NT_ST(BPF_W, RFP, S_SEG0 + 8, 0));
	emit_grow(e, 14);
	emit_read_into(e, 14, 6, 0);
	emit(e, NT_ALU64_IMM(BPF_ADD, RBASE, -14));
	emit_ja(e, l_seg);
	/* L2_VLAN: the tag back at 12 */
	place(e, l_vlan);
	emit(e, NT_MOV32_REG(R1, R5));
	emit(e, NT_BE(R1, 32));
	emit(e, NT_STX(BPF_W, RFP, R1, S_SEG0 + 12));
	emit_grow(e, 4);
	emit_read_into(e, 0, 12, 0);
	emit_read_into(e, 16, 4, 12);
	emit(e, NT_ALU64_IMM(BPF_ADD, RBASE, -4));
	/* S_SEG0ADDR = r9 + S_SEG0 as a plain number (copied through a helper
	 * read: the verifier allows no arithmetic that mixes a stack pointer
	 * with a variable offset on older kernels) */
	place(e, l_seg);
	emit(e, NT_MOV64_REG(R1, RFP));
	emit(e, NT_ALU64_IMM(BPF_ADD, R1, S_SEG0));
	emit(e, NT_STX(BPF_DW, RFP, R1, S_BUF));
	emit(e, NT_MOV64_REG(R1, RFP));
	emit(e, NT_ALU64_IMM(BPF_ADD, R1, S_SEG0ADDR));
	emit(e, NT_MOV64_IMM(R2, 8));
	emit(e, NT_MOV64_REG(R3, RFP));
	emit(e, NT_ALU64_IMM(BPF_ADD, R3, S_BUF));
	emit(e, NT_CALL(HELPER_PROBE_READ_KERNEL));
	emit_ja(e, l_go);
	place(e, l_plain);
	emit(e, NT_STX(BPF_DW, RFP, RBASE, S_SEG0ADDR));
	place(e, l_go);
}

static int jmp_op_inverse(int op)
{
	switch (op) {
	case BPF_JEQ: return BPF_JNE;
	case BPF_JGT: return BPF_JLE;
	case BPF_JGE: return BPF_JLT;
	default: return -1; /* JSET */
	}
}

static int emit_alu(struct em *e, const struct nt_cbpf_insn *in, unsigned int i)
{
	int op = BPF_OP(in->code);
	int src_x = BPF_SRC(in->code) == BPF_X;

	switch (op) {
	case BPF_ADD: case BPF_SUB: case BPF_MUL: case BPF_OR: case BPF_AND: case BPF_XOR:
		emit(e, src_x ? NT_ALU32_REG(op, RA, RX) : NT_ALU32_IMM(op, RA, (int32_t)in->k));
		return 0;
	case BPF_DIV: case BPF_MOD:
		if (src_x) {
			emit_jmp(e, NT_JMP32_IMM(BPF_JEQ, RX, 0, 0), e->l_rej);
			emit(e, NT_ALU32_REG(op, RA, RX));
		} else if (in->k == 0) {
			emit_ja(e, e->l_rej);
		} else {
			emit(e, NT_ALU32_IMM(op, RA, (int32_t)in->k));
		}
		return 0;
	case BPF_LSH: case BPF_RSH:
		if (src_x) {
			/* if (X < 32) A op= X; else A = 0; */
			emit(e, NT_JMP32_IMM(BPF_JLT, RX, 32, 2));
			emit(e, NT_MOV32_IMM(RA, 0));
			emit(e, NT_JA(1));
			emit(e, NT_ALU32_REG(op, RA, RX));
		} else if (in->k >= 32) {
			emit(e, NT_MOV32_IMM(RA, 0));
		} else {
			emit(e, NT_ALU32_IMM(op, RA, (int32_t)in->k));
		}
		return 0;
	case BPF_NEG:
		emit(e, NT_NEG32(RA));
		return 0;
	}
	return bad_insn(e, in, i, "unknown ALU operation");
}

static int emit_jump(struct em *e, const struct nt_cbpf *p, unsigned int i)
{
	const struct nt_cbpf_insn *in = &p->insns[i];
	int op = BPF_OP(in->code);
	int src_x = BPF_SRC(in->code) == BPF_X;
	unsigned int t, f;
	int inv;

	if (op == BPF_JA) {
		if ((int32_t)in->k < 0)
			return bad_insn(e, in, i, "backward jump (a loop)");
		if ((uint64_t)i + 1 + in->k >= p->len)
			return bad_insn(e, in, i, "jump past the end of the program");
		if (in->k)
			emit_ja(e, e->l_insn0 + (int)(i + 1 + in->k));
		return 0;
	}
	if (op != BPF_JEQ && op != BPF_JGT && op != BPF_JGE && op != BPF_JSET)
		return bad_insn(e, in, i, "unknown jump");
	t = i + 1 + in->jt;
	f = i + 1 + in->jf;
	if (t >= p->len || f >= p->len)
		return bad_insn(e, in, i, "jump past the end of the program");
#define COND(o, off) (src_x ? NT_JMP32_REG(o, RA, RX, off) : NT_JMP32_IMM(o, RA, (int32_t)in->k, off))
	if (t == f) {
		if (in->jt)
			emit_ja(e, e->l_insn0 + (int)t);
		return 0;
	}
	if (in->jt == 0) { /* true falls through: branch on the inverse */
		inv = jmp_op_inverse(op);
		if (inv >= 0) {
			emit_jmp(e, COND(inv, 0), e->l_insn0 + (int)f);
		} else {
			emit(e, COND(op, 1));
			emit_ja(e, e->l_insn0 + (int)f);
		}
		return 0;
	}
	emit_jmp(e, COND(op, 0), e->l_insn0 + (int)t);
	if (in->jf)
		emit_ja(e, e->l_insn0 + (int)f);
#undef COND
	return 0;
}

static int emit_insn(struct em *e, const struct nt_cbpf *p, unsigned int i)
{
	const struct nt_cbpf_insn *in = &p->insns[i];
	int cls = BPF_CLASS(in->code);
	static const int cbpf_size[4] = { 4, 2, 1, -1 }; /* BPF_W, BPF_H, BPF_B >> 3 */

	switch (cls) {
	case BPF_LD:
	case BPF_LDX: {
		int dst = cls == BPF_LD ? RA : RX;
		int mode = BPF_MODE(in->code);

		switch (mode) {
		case BPF_IMM:
			emit(e, NT_MOV32_IMM(dst, (int32_t)in->k));
			return 0;
		case BPF_MEM:
			if (in->k >= NT_BPF_MEMWORDS)
				return bad_insn(e, in, i, "scratch memory index past M[15]");
			emit(e, NT_LDX(BPF_W, dst, RFP, S_WORD(e->mem_word[in->k])));
			return 0;
		case BPF_LEN:
			emit(e, NT_LDX(BPF_W, dst, RFP, S_WIRELEN));
			return 0;
		case BPF_ABS:
		case BPF_IND:
		case BPF_MSH:
			if (mode == BPF_MSH ? cls != BPF_LDX :
			    cls == BPF_LDX || cbpf_size[BPF_SIZE(in->code) >> 3] < 0)
				return bad_insn(e, in, i, "invalid load");
			if (e->hit[i]) { /* loaded on every path here: the cached value */
				emit(e, NT_LDX(BPF_W, dst, RFP, S_WORD(e->cache[i])));
				return 0;
			}
			if (mode == BPF_MSH) {
				emit_load(e, 1, BPF_ABS, in->k, RX, !e->nochk[i]);
				emit(e, NT_ALU32_IMM(BPF_AND, RX, 0xf));
				emit(e, NT_ALU32_IMM(BPF_LSH, RX, 2));
			} else {
				emit_load(e, cbpf_size[BPF_SIZE(in->code) >> 3], mode, in->k, RA,
					  mode == BPF_IND || !e->nochk[i]);
			}
			if (e->cache[i] >= 0)
				emit(e, NT_STX(BPF_W, RFP, dst, S_WORD(e->cache[i])));
			return 0;
		}
		return bad_insn(e, in, i, "unknown load mode");
	}
	case BPF_ST:
	case BPF_STX:
		if (in->k >= NT_BPF_MEMWORDS)
			return bad_insn(e, in, i, "scratch memory index past M[15]");
		emit(e, NT_STX(BPF_W, RFP, cls == BPF_ST ? RA : RX, S_WORD(e->mem_word[in->k])));
		return 0;
	case BPF_ALU:
		return emit_alu(e, in, i);
	case BPF_JMP:
		return emit_jump(e, p, i);
	case BPF_RET:
		if (NT_CBPF_RVAL(in->code) == BPF_K)
			emit(e, NT_MOV32_IMM(R0, (int32_t)in->k));
		else if (NT_CBPF_RVAL(in->code) == NT_CBPF_RET_A)
			emit(e, NT_MOV32_REG(R0, RA));
		else
			return bad_insn(e, in, i, "unknown return");
		emit_ja(e, L_END);
		return 0;
	case BPF_MISC:
		if (NT_CBPF_MISCOP(in->code) == NT_CBPF_TAX)
			emit(e, NT_MOV32_REG(RX, RA));
		else if (NT_CBPF_MISCOP(in->code) == NT_CBPF_TXA)
			emit(e, NT_MOV32_REG(RA, RX));
		else
			return bad_insn(e, in, i, "unknown misc operation");
		return 0;
	}
	return bad_insn(e, in, i, "unknown instruction class");
}

/* Does classic instruction IN always reject (emitted as a plain jump to the
 * reject path, so that nothing after it is reachable)? */
static int always_rejects(const struct nt_cbpf_insn *in)
{
	int cls = BPF_CLASS(in->code), mode = BPF_MODE(in->code);
	static const int cbpf_size[4] = { 4, 2, 1, 0 };

	if (cls == BPF_LD && mode == BPF_ABS)
		return (uint64_t)in->k + cbpf_size[BPF_SIZE(in->code) >> 3] > INT32_MAX;
	if (cls == BPF_LDX && mode == BPF_MSH)
		return (uint64_t)in->k + 1 > INT32_MAX;
	if (cls == BPF_LD && mode == BPF_IND)
		return in->k > INT32_MAX - 8;
	if (cls == BPF_ALU && BPF_SRC(in->code) == BPF_K &&
	    (BPF_OP(in->code) == BPF_DIV || BPF_OP(in->code) == BPF_MOD))
		return in->k == 0;
	return 0;
}

/* Mark the classic instructions reachable from 0 (the verifier refuses
 * unreachable eBPF instructions, so dead classic code is not emitted).
 * Jump targets are checked by emit_jump; out-of-range ones are not followed. */
static void reachable(const struct nt_cbpf *p, unsigned char *reach)
{
	unsigned int i;

	memset(reach, 0, p->len);
	reach[0] = 1;
	for (i = 0; i < p->len; i++) { /* forward jumps only: one pass */
		const struct nt_cbpf_insn *in = &p->insns[i];
		int cls = BPF_CLASS(in->code), op = BPF_OP(in->code);

		if (!reach[i] || cls == BPF_RET || always_rejects(in))
			continue;
		if (cls == BPF_JMP && op == BPF_JA) {
			if ((int32_t)in->k >= 0 && (uint64_t)i + 1 + in->k < p->len)
				reach[i + 1 + in->k] = 1;
			else
				reach[i] = 2; /* emit_jump reports it */
			continue;
		}
		if (cls == BPF_JMP) {
			if (i + 1 + in->jt < p->len)
				reach[i + 1 + in->jt] = 1;
			if (i + 1 + in->jf < p->len)
				reach[i + 1 + in->jf] = 1;
			continue;
		}
		if (i + 1 < p->len)
			reach[i + 1] = 1;
	}
}

/* Constant-offset loads (ABS, MSH) are the same on every run of a view: a
 * key per distinct (code, k). */
static int load_key(const struct nt_cbpf_insn *in)
{
	int cls = BPF_CLASS(in->code), mode = BPF_MODE(in->code);

	return (cls == BPF_LD && mode == BPF_ABS) || (cls == BPF_LDX && mode == BPF_MSH);
}

static uint64_t load_end(const struct nt_cbpf_insn *in)
{
	static const int sz[4] = { 4, 2, 1, 0 };

	return (uint64_t)in->k + (BPF_MODE(in->code) == BPF_MSH ? 1 : sz[BPF_SIZE(in->code) >> 3]);
}

/*
 * Scratch words for M[] and the load cache, and per load: is its value
 * already loaded on every path that reaches it (then it comes from the
 * cache), has caplen already been checked for its end on every path (then
 * the check goes).  Forward "available loads" dataflow over the classic
 * program, whose jumps all go forward: instruction order is a topological
 * order.
 */
static int plan_view(struct em *e, const struct nt_cbpf *p, const unsigned char *reach)
{
	unsigned int len = p->len, nkeys = 0, key_of_n = 0;
	int nwords = 0, ret = -ENOMEM;
	int *key = NULL, kcount[32];
	uint32_t kcode[32], kk[32], *avail = NULL;
	uint64_t *checked = NULL;
	unsigned char *seen = NULL;
	signed char kword[32];
	unsigned char mem_used[NT_BPF_MEMWORDS] = { 0 };

	(void)key_of_n;
	key = malloc(len * sizeof(*key));
	avail = calloc(len, sizeof(*avail));
	checked = calloc(len, sizeof(*checked));
	seen = calloc(len, 1);
	e->cache = malloc(len);
	e->hit = calloc(len, 1);
	e->nochk = calloc(len, 1);
	if (!key || !avail || !checked || !seen || !e->cache || !e->hit || !e->nochk)
		goto out;
	memset(e->cache, -1, len);
	for (unsigned int i = 0; i < len; i++) {
		const struct nt_cbpf_insn *in = &p->insns[i];
		int cls = BPF_CLASS(in->code);

		key[i] = -1;
		if (!reach[i])
			continue;
		if ((cls == BPF_ST || cls == BPF_STX ||
		     ((cls == BPF_LD || cls == BPF_LDX) && BPF_MODE(in->code) == BPF_MEM)) &&
		    in->k < NT_BPF_MEMWORDS)
			mem_used[in->k] = 1;
		if (!load_key(in))
			continue;
		for (unsigned int k = 0; k < nkeys; k++)
			if (kcode[k] == in->code && kk[k] == in->k)
				key[i] = (int)k;
		if (key[i] < 0 && nkeys < 32) {
			kcode[nkeys] = in->code;
			kk[nkeys] = in->k;
			kcount[nkeys] = 0;
			key[i] = (int)nkeys++;
		}
		if (key[i] >= 0)
			kcount[key[i]]++;
	}
	for (int m = 0; m < NT_BPF_MEMWORDS; m++)
		e->mem_word[m] = mem_used[m] ? nwords++ : 0;
	/* cache words for keys loaded more than once, most loaded first */
	memset(kword, -1, sizeof(kword));
	for (;;) {
		int best = -1;

		for (unsigned int k = 0; k < nkeys; k++)
			if (kword[k] < 0 && kcount[k] > 1 && (best < 0 || kcount[k] > kcount[best]))
				best = (int)k;
		if (best < 0 || nwords == NWORDS)
			break;
		kword[best] = (signed char)nwords++;
	}
	/* dataflow: avail = cached keys loaded on every path; checked = the
	 * largest load end known to be within caplen on every path */
	seen[0] = 1;
	for (unsigned int i = 0; i < len; i++) {
		const struct nt_cbpf_insn *in = &p->insns[i];
		uint32_t a = avail[i];
		uint64_t c = checked[i];
		int cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
		unsigned int succ[2], ns = 0;

		if (!reach[i] || !seen[i])
			continue;
		if (key[i] >= 0) {
			if (kword[key[i]] >= 0) {
				e->cache[i] = kword[key[i]];
				e->hit[i] = (a >> kword[key[i]]) & 1;
				a |= 1u << kword[key[i]];
			}
			e->nochk[i] = load_end(in) <= c;
			if (load_end(in) > c && load_end(in) <= INT32_MAX)
				c = load_end(in);
		}
		if (cls == BPF_RET || always_rejects(in))
			continue;
		if (cls == BPF_JMP && op == BPF_JA) {
			if ((int32_t)in->k >= 0 && (uint64_t)i + 1 + in->k < len)
				succ[ns++] = i + 1 + in->k;
		} else if (cls == BPF_JMP) {
			if (i + 1 + in->jt < len)
				succ[ns++] = i + 1 + in->jt;
			if (i + 1 + in->jf < len)
				succ[ns++] = i + 1 + in->jf;
		} else if (i + 1 < len) {
			succ[ns++] = i + 1;
		}
		for (unsigned int j = 0; j < ns; j++) {
			unsigned int t = succ[j];

			if (!seen[t]) {
				seen[t] = 1;
				avail[t] = a;
				checked[t] = c;
			} else {
				avail[t] &= a;
				if (c < checked[t])
					checked[t] = c;
			}
		}
	}
	ret = 0;
out:
	free(key);
	free(avail);
	free(checked);
	free(seen);
	return ret;
}

static void plan_free(struct em *e)
{
	free(e->cache);
	free(e->hit);
	free(e->nochk);
	e->cache = NULL;
	e->hit = e->nochk = NULL;
}

/* One view's code, starting at LABEL. */
static int emit_view(struct em *e, int label, const struct nt_cbpf *p)
{
	unsigned char mem_read[NT_BPF_MEMWORDS] = { 0 }, *reach = NULL;
	unsigned int last = 0;
	int ret;

	place(e, label);
	if (!p || p->len == 0 || p->len > NT_PCAPF_CBPF_MAX) {
		snprintf(e->err, e->errlen, "--filter: classic BPF program of %u instructions", p ? p->len : 0);
		return -EINVAL;
	}
	e->l_rej = new_label(e);
	e->l_insn0 = (int)e->nlabels;
	for (unsigned int i = 0; i < p->len; i++)
		new_label(e);
	if (e->oom)
		return -ENOMEM;
	reach = malloc(p->len);
	if (!reach)
		return -ENOMEM;
	reachable(p, reach);
	ret = plan_view(e, p, reach);
	if (ret) {
		free(reach);
		return ret;
	}
	/* A = X = 0 and the scratch words read anywhere start at 0, as in
	 * libpcap (the verifier refuses reads of unwritten stack anyway) */
	emit(e, NT_MOV32_IMM(RA, 0));
	emit(e, NT_MOV32_IMM(RX, 0));
	for (unsigned int i = 0; i < p->len; i++) {
		const struct nt_cbpf_insn *in = &p->insns[i];

		if (reach[i] && (in->code == (BPF_LD | BPF_MEM) || in->code == (BPF_LDX | BPF_MEM)) &&
		    in->k < NT_BPF_MEMWORDS)
			mem_read[in->k] = 1;
	}
	for (int m = 0; m < NT_BPF_MEMWORDS; m++)
		if (mem_read[m])
			emit(e, NT_ST(BPF_W, RFP, S_WORD(e->mem_word[m]), 0));
	emit_prefix(e);
	e->rej_used = 0;
	for (unsigned int i = 0; i < p->len; i++) {
		if (!reach[i])
			continue;
		place(e, e->l_insn0 + (int)i);
		ret = emit_insn(e, p, i);
		if (ret) {
			free(reach);
			plan_free(e);
			return ret;
		}
		last = i;
	}
	plan_free(e);
	/* the last instruction falls off the end of the program (libpcap:
	 * return 0) unless it is a return, a jump or an always-reject */
	{
		const struct nt_cbpf_insn *in = &p->insns[last];

		if (BPF_CLASS(in->code) != BPF_RET && BPF_CLASS(in->code) != BPF_JMP && !always_rejects(in))
			e->rej_used = 1;
	}
	free(reach);
	if (e->rej_used) {
		place(e, e->l_rej);
		emit(e, NT_MOV32_IMM(R0, 0));
		emit_ja(e, L_END);
	}
	return 0;
}

int nt_pcapf_xlate(const struct nt_cbpf *p, struct bpf_insn *out, size_t max, size_t *n, char *err,
		   size_t errlen)
{
	struct em e = { .err = err, .errlen = errlen, .l_rej = -1 };
	int ret;
	char dummy[8];

	if (!err || !errlen) {
		e.err = dummy;
		e.errlen = sizeof(dummy);
	}
	new_label(&e); /* L_END */
	/* prologue: inputs to the scratch frame */
	emit(&e, NT_STX(BPF_DW, RFP, R2, S_CAPLEN));
	emit(&e, NT_STX(BPF_DW, RFP, R3, S_WIRELEN));
	emit(&e, NT_MOV64_REG(RBASE, R1));
	ret = emit_view(&e, new_label(&e), p);
	place(&e, L_END);
	if (!ret && e.oom)
		ret = -ENOMEM;
	if (ret)
		goto out;
	/* The block ends at L_END: drop a final "goto L_END" (a no-op). */
	while (e.nfix && e.fix[e.nfix - 1].at == e.n - 1 && e.fix[e.nfix - 1].label == L_END) {
		e.n--;
		e.nfix--;
		e.label_pos[L_END] = (int)e.n;
		for (size_t l = 0; l < e.nlabels; l++)
			if (e.label_pos[l] > (int)e.n)
				e.label_pos[l] = (int)e.n;
	}
	if (e.n > max) {
		snprintf(err, errlen,
			 "--filter: the translated filter needs %zu eBPF instructions, more than the "
			 "%zu of the probes' filter slot (NT_PCAPF_SLOTS); use a shorter expression",
			 e.n, max);
		ret = -E2BIG;
		goto out;
	}
	for (size_t f = 0; f < e.nfix; f++) {
		int pos = e.label_pos[e.fix[f].label];
		long off = (long)pos - (long)(e.fix[f].at + 1);

		if (pos < 0 || off < 0 || off > INT16_MAX) {
			snprintf(err, errlen, "--filter: internal error: jump %zu to label %d", e.fix[f].at,
				 e.fix[f].label);
			ret = -EINVAL;
			goto out;
		}
		e.buf[e.fix[f].at].off = (int16_t)off;
	}
	memcpy(out, e.buf, e.n * sizeof(*out));
	*n = e.n;
out:
	free(e.buf);
	free(e.label_pos);
	free(e.fix);
	return ret;
}

void nt_pcapf_placeholder(struct bpf_insn *out)
{
	out[0] = NT_LD_IMM64_LO(R0, NT_PCAPF_MAGIC);
	out[1] = NT_LD_IMM64_HI(NT_PCAPF_MAGIC);
	out[2] = NT_JMP_IMM(BPF_JNE, R0, 0, NT_PCAPF_PAD);
	for (int i = 3; i < NT_PCAPF_SLOTS; i++)
		out[i] = NT_JA(0);
}

_Static_assert(NT_PCAPF_PAD == NT_PCAPF_SLOTS - 3, "abi.h: NT_PCAPF_PAD");

int nt_pcapf_is_placeholder(const struct bpf_insn *in, size_t n, size_t i)
{
	if (i + NT_PCAPF_SLOTS > n)
		return 0;
	return in[i].code == (BPF_LD | BPF_DW | BPF_IMM) && in[i].dst_reg == R0 &&
	       in[i].src_reg == 0 && (uint32_t)in[i].imm == (uint32_t)NT_PCAPF_MAGIC &&
	       (uint32_t)in[i + 1].imm == (uint32_t)((uint64_t)NT_PCAPF_MAGIC >> 32) &&
	       in[i + 2].code == (BPF_JMP | BPF_JNE | BPF_K) && in[i + 2].dst_reg == R0 &&
	       in[i + 2].imm == 0 && in[i + 2].off == NT_PCAPF_PAD;
}

int nt_pcapf_patch(struct bpf_insn *insns, size_t n, const struct bpf_insn *block, size_t bn)
{
	int patched = 0;

	if (bn > NT_PCAPF_BUDGET)
		return -E2BIG;
	for (size_t i = 0; i + NT_PCAPF_SLOTS <= n; i++) {
		size_t j;

		if (!nt_pcapf_is_placeholder(insns, n, i))
			continue;
		memcpy(&insns[i], block, bn * sizeof(*block));
		/* r1 = 0; if r1 == 0 goto past the slots: always taken, so the
		 * padding is dead code the verifier removes */
		j = i + bn;
		insns[j] = NT_MOV64_IMM(R1, 0);
		insns[j + 1] = NT_JMP_IMM(BPF_JEQ, R1, 0, (int16_t)(NT_PCAPF_SLOTS - bn - 2));
		for (j += 2; j < i + NT_PCAPF_SLOTS; j++)
			insns[j] = NT_JA(0);
		patched++;
		i += NT_PCAPF_SLOTS - 1;
	}
	return patched;
}
