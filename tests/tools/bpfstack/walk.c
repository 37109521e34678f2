// SPDX-License-Identifier: GPL-2.0
/*
 * walk.c - a function's static stack depth from its instructions, and the
 * verifier's walk of the call chains (bpfstack.h).  Pure: no ELF, no kernel.
 */
#include <stdio.h>
#include <string.h>

#include "pcapfilt/abi.h"
#include "tests/tools/bpfstack/bpfstack.h"

/* Registers are tracked in instruction order: "holds r10 + k" or unknown.
 * Control flow is not followed: clang forms every stack address as
 * "rX = r10; rX += -K" next to each other, so the deepest address formed is
 * seen wherever it is used; a pointer is only moved up into its object. */
struct regs {
	int known[11];
	int64_t k[11];
};

static void note(struct nt_bs_scan *s, int64_t k)
{
	if (k < 0 && -k > s->depth)
		s->depth = (int)(-k > 1 << 20 ? 1 << 20 : -k);
}

static void forget(struct regs *r, int reg)
{
	if (reg >= 0 && reg < 10)
		r->known[reg] = 0;
}

static int base(const struct regs *r, int reg, int64_t *k)
{
	if (reg == BPF_REG_10) {
		*k = 0;
		return 1;
	}
	if (reg < 0 || reg > 9 || !r->known[reg])
		return 0;
	*k = r->k[reg];
	return 1;
}

int nt_bs_insn_kind(const struct bpf_insn *insn)
{
	if (insn->code == (BPF_JMP | BPF_CALL) && insn->src_reg == BPF_PSEUDO_CALL)
		return 1;
	if (insn->code == (BPF_LD | BPF_IMM | BPF_DW))
		return 2;
	return 0;
}

void nt_bs_scan_insns(const struct bpf_insn *insn, size_t n, struct nt_bs_scan *s)
{
	struct regs r;
	int filter = 0; /* deepest byte the filter block may touch */

	memset(&r, 0, sizeof(r));
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < n; i++) {
		const struct bpf_insn *in = &insn[i];
		int cls = BPF_CLASS(in->code), dst = in->dst_reg, src = in->src_reg;
		int64_t k;

		switch (cls) {
		case BPF_ALU64:
			if (BPF_OP(in->code) == BPF_MOV && BPF_SRC(in->code) == BPF_X && base(&r, src, &k)) {
				r.known[dst] = 1;
				r.k[dst] = k;
			} else if ((BPF_OP(in->code) == BPF_ADD || BPF_OP(in->code) == BPF_SUB) &&
				   BPF_SRC(in->code) == BPF_K && dst < 10 && r.known[dst]) {
				r.k[dst] += BPF_OP(in->code) == BPF_ADD ? (int64_t)in->imm : -(int64_t)in->imm;
				note(s, r.k[dst]);
			} else {
				forget(&r, dst);
			}
			break;
		case BPF_ALU:
			forget(&r, dst);
			break;
		case BPF_LD:
			if (in->code == (BPF_LD | BPF_IMM | BPF_DW) && i + 1 < n) {
				uint64_t v = (uint32_t)in->imm | (uint64_t)(uint32_t)in[1].imm << 32;

				/* the --filter placeholder: the block owns NT_PCAPF_SCRATCH
				 * bytes below r9 (pcapfilt/abi.h) */
				if (v == NT_PCAPF_MAGIC && dst == BPF_REG_0) {
					s->placeholders++;
					if (base(&r, BPF_REG_9, &k) && -(k - NT_PCAPF_SCRATCH) > filter)
						filter = (int)-(k - NT_PCAPF_SCRATCH);
				}
				i++;
			}
			forget(&r, dst);
			break;
		case BPF_LDX:
			if (base(&r, src, &k))
				note(s, k + in->off);
			forget(&r, dst);
			break;
		case BPF_ST:
		case BPF_STX:
			if (base(&r, dst, &k))
				note(s, k + in->off);
			if (cls == BPF_STX && BPF_MODE(in->code) == BPF_ATOMIC) {
				if (in->imm == BPF_CMPXCHG)
					forget(&r, BPF_REG_0);
				else if (in->imm & BPF_FETCH)
					forget(&r, src);
			}
			break;
		case BPF_JMP:
		case BPF_JMP32:
			if (BPF_OP(in->code) == BPF_CALL)
				for (int reg = 0; reg <= 5; reg++)
					forget(&r, reg);
			break;
		}
	}
	s->depth_filter = filter > s->depth ? filter : s->depth;
}

const char *nt_bs_rule_name(enum nt_bs_rule rule)
{
	return rule == NT_BS_RULE_61 ? "6.1" : "6.12";
}

int nt_bs_round(enum nt_bs_rule rule, int depth)
{
	if (rule == NT_BS_RULE_61)
		return ((depth < 1 ? 1 : depth) + 31) / 32 * 32;
	return (depth + 15) / 16 * 16;
}

struct walk {
	const struct nt_bs_obj *o;
	enum nt_bs_rule rule;
	const int *depth;
	int path[NT_BS_MAX_FRAMES + 1];
	int bad; /* a chain too long or recursive */
	struct nt_bs_chain *best;
};

/* depth-first over the call graph: every chain, as the kernel walks them */
static void visit(struct walk *w, int f, int nframes, int sum)
{
	const struct nt_bs_func *fn = &w->o->f[f];

	for (int i = 0; i < nframes; i++)
		if (w->path[i] == f)
			w->bad = 1; /* recursion (check_cfg refuses it) */
	w->path[nframes++] = f;
	sum += nt_bs_round(w->rule, w->depth[f]);
	if (nframes > NT_BS_MAX_FRAMES)
		w->bad = 1;
	if (w->bad || sum > w->best->total) {
		w->best->total = sum;
		w->best->nframes = nframes;
		for (int i = 0; i < nframes; i++) {
			w->best->frame[i] = w->path[i];
			w->best->size[i] = nt_bs_round(w->rule, w->depth[w->path[i]]);
		}
	}
	for (int i = 0; i < fn->ncallee && !w->bad; i++)
		visit(w, fn->callee[i], nframes, sum);
}

int nt_bs_worst(const struct nt_bs_obj *o, int root, enum nt_bs_rule rule, const int *depth,
		struct nt_bs_chain *c)
{
	struct walk w = { .o = o, .rule = rule, .depth = depth, .best = c };

	memset(c, 0, sizeof(*c));
	c->total = -1;
	visit(&w, root, 0, 0);
	return w.bad ? -1 : c->total;
}

void nt_bs_chain_str(const struct nt_bs_obj *o, const struct nt_bs_chain *c, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = 0;
	for (int i = 0; i < c->nframes && at < len; i++) {
		int k = snprintf(buf + at, len - at, "%s%s (%d)", i ? " > " : "", o->f[c->frame[i]].name,
				 c->size[i]);

		if (k < 0)
			break;
		at += (size_t)k;
	}
}
