// SPDX-License-Identifier: GPL-2.0
/* test_bpfstack.c - the combined stack of the BPF programs by the kernels'
 * rules (tests/tools/bpfstack/): the rounding of 6.1 and 6.12, the chain
 * walk (dead calls, frame limit, recursion), the static depth of a function
 * from its instructions (stack addresses, the --filter block's scratch), and
 * the built $O/nt.bpf.o: every program within 512 bytes by both rules, with
 * the filter block (an upper bound of every configuration: bpfstack.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapfilt/abi.h"
#include "tests/tools/bpfstack/bpfstack.h"
#include "tests/unit/nt_test.h"

#define I(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MOV_X(d, s) I(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define ADD_K(d, k) I(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, k)
#define STX_DW(d, s, o) I(BPF_STX | BPF_MEM | BPF_DW, d, s, o, 0)
#define LDX_W(d, s, o) I(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define CALL(h) I(BPF_JMP | BPF_CALL, 0, 0, 0, h)
#define EXIT() I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* a chain of functions 0 > 1 > ... > n-1 with the given depths */
static struct nt_bs_func fs[12];
static int callee[12];

static struct nt_bs_obj chain_of(const char *const *names, int n)
{
	memset(fs, 0, sizeof(fs));
	for (int i = 0; i < n; i++) {
		snprintf(fs[i].name, sizeof(fs[i].name), "%s", names[i]);
		fs[i].is_prog = i == 0;
		callee[i] = i + 1;
		fs[i].callee = &callee[i];
		fs[i].ncallee = i + 1 < n;
	}
	return (struct nt_bs_obj){ .f = fs, .n = n };
}

TEST(rounding_per_rule)
{
	CHECK_EQ_INT(nt_bs_round(NT_BS_RULE_61, 0), 32); /* never explored: still 32 */
	CHECK_EQ_INT(nt_bs_round(NT_BS_RULE_61, 1), 32);
	CHECK_EQ_INT(nt_bs_round(NT_BS_RULE_61, 320), 320);
	CHECK_EQ_INT(nt_bs_round(NT_BS_RULE_61, 321), 352);
	CHECK_EQ_INT(nt_bs_round(NT_BS_RULE_612, 0), 0);
	CHECK_EQ_INT(nt_bs_round(NT_BS_RULE_612, 8), 16);
	CHECK_EQ_INT(nt_bs_round(NT_BS_RULE_612, 120), 128);
}

/* 6.1's refusal of the tracepoint template (session 8): 320 + 32 + 32 +
 * 128 + 32 = 544 > 512 on 6.1; 496 on 6.12 */
TEST(the_refused_chain_of_6_1)
{
	static const char *const n[] = { "nt_tpg1", "nt_meta_emit", "nt_meta_submit", "nt_bytes_hit",
					 "nt_count_loss" };
	struct nt_bs_obj o = chain_of(n, 5);
	int depth[] = { 320, 8, 8, 120, 8 };
	struct nt_bs_chain c;
	char s[512];

	CHECK_EQ_INT(nt_bs_worst(&o, 0, NT_BS_RULE_61, depth, &c), 544);
	CHECK_EQ_INT(c.nframes, 5);
	nt_bs_chain_str(&o, &c, s, sizeof(s));
	CHECK_EQ_STR(s, "nt_tpg1 (320) > nt_meta_emit (32) > nt_meta_submit (32) > nt_bytes_hit (128) > "
			"nt_count_loss (32)");
	CHECK_EQ_INT(nt_bs_worst(&o, 0, NT_BS_RULE_612, depth, &c), 496);
	/* the fix: two levels gone */
	depth[1] = depth[2] = 0;
	o.f[0].callee = &callee[2];
	CHECK_EQ_INT(nt_bs_worst(&o, 0, NT_BS_RULE_61, depth, &c), 320 + 128 + 32);
}

TEST(the_deepest_of_several_callees)
{
	static const char *const n[] = { "main", "a", "b" };
	struct nt_bs_obj o = chain_of(n, 3);
	int two[] = { 2, 1 }, depth[] = { 100, 200, 40 };
	struct nt_bs_chain c;

	fs[0].callee = two; /* main calls b, then a; a calls b */
	fs[0].ncallee = 2;
	CHECK_EQ_INT(nt_bs_worst(&o, 0, NT_BS_RULE_61, depth, &c), 128 + 224 + 64);
	CHECK_EQ_INT(c.frame[1], 1);
	/* an empty callee (dead code the verifier never explored) */
	depth[1] = 0;
	CHECK_EQ_INT(nt_bs_worst(&o, 0, NT_BS_RULE_61, depth, &c), 128 + 32 + 64);
	CHECK_EQ_INT(nt_bs_worst(&o, 0, NT_BS_RULE_612, depth, &c), 112 + 0 + 48);
}

TEST(too_many_frames_or_recursion)
{
	static const char *const n[] = { "f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8" };
	struct nt_bs_obj o = chain_of(n, 9);
	int depth[9] = { 0 };
	struct nt_bs_chain c;

	CHECK_EQ_INT(nt_bs_worst(&o, 0, NT_BS_RULE_612, depth, &c), -1); /* 9 frames */
	CHECK_EQ_INT(nt_bs_worst(&o, 1, NT_BS_RULE_612, depth, &c), 0);  /* 8 */
	o = chain_of(n, 3);
	callee[2] = 1;
	fs[2].ncallee = 1; /* f2 calls f1 */
	CHECK_EQ_INT(nt_bs_worst(&o, 0, NT_BS_RULE_61, depth, &c), -1);
}

TEST(static_depth_of_stack_addresses)
{
	struct bpf_insn p[] = {
		STX_DW(BPF_REG_10, BPF_REG_1, -8),
		MOV_X(BPF_REG_1, BPF_REG_10), ADD_K(BPF_REG_1, -152), CALL(113),
		MOV_X(BPF_REG_2, BPF_REG_10), ADD_K(BPF_REG_2, -64), MOV_X(BPF_REG_3, BPF_REG_2),
		LDX_W(BPF_REG_4, BPF_REG_3, 4),
		EXIT(),
	};
	struct bpf_insn clobbered[] = {
		MOV_X(BPF_REG_1, BPF_REG_10), ADD_K(BPF_REG_1, -16), CALL(1),
		ADD_K(BPF_REG_1, -400), /* r1 is no stack address after a call */
		MOV_X(BPF_REG_6, BPF_REG_10), I(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_6, 0, 0, 0),
		ADD_K(BPF_REG_6, -300), /* nor after a constant */
		EXIT(),
	};
	struct nt_bs_scan s;

	nt_bs_scan_insns(p, sizeof(p) / sizeof(p[0]), &s);
	CHECK_EQ_INT(s.depth, 152);
	CHECK_EQ_INT(s.depth_filter, 152);
	CHECK_EQ_INT(s.placeholders, 0);
	nt_bs_scan_insns(clobbered, sizeof(clobbered) / sizeof(clobbered[0]), &s);
	CHECK_EQ_INT(s.depth, 16);
}

/* the --filter block owns NT_PCAPF_SCRATCH bytes below the r9 it is given */
TEST(the_filter_scratch_below_r9)
{
	uint64_t m = NT_PCAPF_MAGIC;
	struct bpf_insn p[] = {
		STX_DW(BPF_REG_10, BPF_REG_1, -40),
		MOV_X(BPF_REG_9, BPF_REG_10), ADD_K(BPF_REG_9, -24),
		I(BPF_LD | BPF_IMM | BPF_DW, BPF_REG_0, 0, 0, (int32_t)(uint32_t)m),
		I(0, 0, 0, 0, (int32_t)(uint32_t)(m >> 32)),
		EXIT(),
	};
	struct nt_bs_scan s;

	nt_bs_scan_insns(p, sizeof(p) / sizeof(p[0]), &s);
	CHECK_EQ_INT(s.placeholders, 1);
	CHECK_EQ_INT(s.depth, 40);
	CHECK_EQ_INT(s.depth_filter, 24 + NT_PCAPF_SCRATCH);
}

/* Known refusals, each pinned to its exact count (any other count fails):
 * a SKIP line names it.  Remove an entry when its fix lands. */
static const struct {
	const char *prog;
	enum nt_bs_rule rule;
	int total;
	const char *why;
} known[] = {
	/* none today (branch stack-bpf's fix, nt_keep_put inlined into
	 * nt_submit, took nt_nft_do_chain from 544 to 512 with --filter and
	 * the kernel keep); the sentinel ends the list */
	{ NULL, NT_BS_RULE_61, 0, NULL },
};

static int is_known(const char *prog, enum nt_bs_rule rule, int total)
{
	for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
		if (known[k].prog && !strcmp(known[k].prog, prog) && known[k].rule == rule && known[k].total == total) {
			printf("SKIP: bpfstack_%s_%s: %d > %d, known: %s\n", prog, nt_bs_rule_name(rule), total,
			       NT_BS_LIMIT, known[k].why);
			return 1;
		}
	return 0;
}

/* The built object: every program within 512 bytes by 6.1's and 6.12's
 * rules, each frame at its static depth with the filter block. */
TEST(built_object_within_512)
{
	const char *o_dir = getenv("O") ? getenv("O") : "build";
	char path[512], err[512], chain[1024];
	struct nt_bs_obj o;
	int *depth, progs = 0, over = 0;

	snprintf(path, sizeof(path), "%s/nt.bpf.o", o_dir);
	if (nt_bs_open(path, &o, err, sizeof(err))) {
		printf("bpfstack: %s\n", err);
		CHECK(0);
	}
	depth = calloc(o.n, sizeof(*depth));
	CHECK(depth);
	for (int i = 0; i < o.n; i++)
		depth[i] = o.f[i].depth_filter;
	for (int i = 0; i < o.n; i++) {
		struct nt_bs_chain c;
		int t[2];

		/* every subprogram is called from somewhere (else a call was missed) */
		if (!o.f[i].is_prog) {
			int called = 0;

			for (int j = 0; j < o.n; j++)
				for (int k = 0; k < o.f[j].ncallee; k++)
					called |= o.f[j].callee[k] == i;
			if (!called)
				printf("bpfstack: subprogram %s is called by nothing\n", o.f[i].name), over++;
			continue;
		}
		progs++;
		for (int r = 0; r < 2; r++) {
			enum nt_bs_rule rule = r ? NT_BS_RULE_612 : NT_BS_RULE_61;

			t[r] = nt_bs_worst(&o, i, rule, depth, &c);
			nt_bs_chain_str(&o, &c, chain, sizeof(chain));
			if (t[r] > NT_BS_LIMIT && is_known(o.f[i].name, rule, t[r])) {
				continue;
			} else if (t[r] < 0 || t[r] > NT_BS_LIMIT) {
				printf("bpfstack: %s: %d bytes by %s's rule (limit %d): %s\n", o.f[i].name, t[r],
				       nt_bs_rule_name(rule), NT_BS_LIMIT, chain);
				over++;
			} else if (r == 0) {
				printf("bpfstack: %s 6.1=%d: %s\n", o.f[i].name, t[r], chain);
			}
		}
	}
	free(depth);
	nt_bs_free(&o);
	CHECK(progs > 10);
	CHECK_EQ_INT(over, 0);
}

int main(void)
{
	RUN(rounding_per_rule);
	RUN(the_refused_chain_of_6_1);
	RUN(the_deepest_of_several_callees);
	RUN(too_many_frames_or_recursion);
	RUN(static_depth_of_stack_addresses);
	RUN(the_filter_scratch_below_r9);
	RUN(built_object_within_512);
	TEST_EXIT();
}
