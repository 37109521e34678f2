/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpfstack.h - the combined stack of a BPF object's programs as a kernel's
 * verifier counts it, from the object alone (no kernel, no root).
 *
 * The kernel (check_max_stack_depth() in kernel/bpf/verifier.c) walks, from
 * a program's main function, every BPF-to-BPF call instruction (src_reg
 * BPF_PSEUDO_CALL) and every callback address (ld_imm64 with src_reg
 * BPF_PSEUDO_FUNC, e.g. bpf_loop's; not async callbacks: timers) of the code,
 * dead code included, and adds up each frame's stack depth rounded:
 *   rule "6.1"  round_up(max(depth, 1), 32): 5.10 .. 6.8, and any kernel
 *               without JIT (the interpreter's granularity); a subprogram
 *               with no stack still costs 32
 *   rule "6.12" round_up(depth, 16): 6.9+ with JIT (an empty frame costs 0);
 *               6.13+ may give tracing programs' subprograms private stacks,
 *               which only lowers what this rule counts
 * and refuses more than 512 bytes ("combined stack size of N calls is M.
 * Too large") or 8 frames.
 *
 * A frame's depth is what the verifier saw accessed below r10 on the paths
 * it explored (read-only configuration removes branches).  Here it is a
 * static bound over all the code: the deepest r10-relative offset any
 * instruction forms (rX = r10; rX += -K, or a load / store at r10 - K), and
 * with the --filter block (pcapfilt/abi.h) the NT_PCAPF_SCRATCH bytes below
 * the r9 the placeholder is handed.  So a pass here is a pass on every
 * configuration; a failure may be a configuration that no run has.
 */
#ifndef NT_BPFSTACK_H
#define NT_BPFSTACK_H

#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>

#define NT_BS_LIMIT 512      /* MAX_BPF_STACK */
#define NT_BS_MAX_FRAMES 8   /* MAX_CALL_FRAMES */
#define NT_BS_NAME 64

enum nt_bs_rule {
	NT_BS_RULE_61,  /* round_up(max(d, 1), 32) */
	NT_BS_RULE_612, /* round_up(d, 16) */
};

struct nt_bs_func {
	char name[NT_BS_NAME];
	char sec[NT_BS_NAME];    /* ELF section */
	int is_prog;             /* a program (not in .text) */
	size_t n;                /* instructions */
	int depth;               /* static depth, no filter block */
	int depth_filter;        /* static depth with the filter block's scratch */
	int *callee;             /* function indices, each once, first call first */
	int ncallee;
};

struct nt_bs_obj {
	struct nt_bs_func *f;
	int n;
};

/* What one function's instructions tell: its static depths and its
 * BPF-to-BPF call sites (instruction index and where they land: for a
 * relocated call the caller resolves the target).  Pure. */
struct nt_bs_scan {
	int depth, depth_filter;
	int placeholders;        /* --filter placeholders seen */
};
void nt_bs_scan_insns(const struct bpf_insn *insn, size_t n, struct nt_bs_scan *s);

/* 1 = insn[i] starts a BPF-to-BPF call in an object file (a call with
 * src_reg BPF_PSEUDO_CALL), 2 = a 16-byte ld_imm64 (may hold a callback's
 * address once relocated), 0 = neither. */
int nt_bs_insn_kind(const struct bpf_insn *insn);

int nt_bs_round(enum nt_bs_rule rule, int depth);
const char *nt_bs_rule_name(enum nt_bs_rule rule);

/* The deepest chain from function 'root': total (rounded, summed), frames
 * (function indices, root first) and each frame's rounded size.  depth[i]
 * is function i's depth (e.g. the static depths, or the verifier's).
 * Returns the total, or -1 when a chain is longer than NT_BS_MAX_FRAMES or
 * recursive (the kernel refuses both; c->nframes then holds the chain). */
struct nt_bs_chain {
	int total;
	int nframes;
	int frame[NT_BS_MAX_FRAMES + 1];
	int size[NT_BS_MAX_FRAMES + 1];
};
int nt_bs_worst(const struct nt_bs_obj *o, int root, enum nt_bs_rule rule, const int *depth,
		struct nt_bs_chain *c);

/* Read an ELF BPF object (clang -target bpf -c): its functions, their
 * static depths and call graph.  0, or -1 with a message in err. */
int nt_bs_open(const char *path, struct nt_bs_obj *o, char *err, size_t errlen);
int nt_bs_open_mem(const void *buf, size_t size, struct nt_bs_obj *o, char *err, size_t errlen);
void nt_bs_free(struct nt_bs_obj *o);
int nt_bs_find(const struct nt_bs_obj *o, const char *name);

/* "nt_tpg1 (320) > nt_bytes_hit (128) > nt_count_loss (32)" */
void nt_bs_chain_str(const struct nt_bs_obj *o, const struct nt_bs_chain *c, char *buf, size_t len);

#endif
