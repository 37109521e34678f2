// SPDX-License-Identifier: GPL-2.0
/*
 * tests/pcapfilt/test_pcapf_xlate.c - the translator against libpcap, exactly.
 *
 * Every verdict of the eBPF that pcapfilt/xlate.c generates is compared with
 * libpcap's pcap_offline_filter() on the same bytes (the value, not only
 * match / no match):
 *   - per classic opcode class: hand-written classic programs;
 *   - per pcap-filter expression (EXPRS below, >= 30): compiled by libpcap
 *     for Ethernet and raw IP, run over every frame of tests/pcapfilt/pktgen.c
 *     in the three views: L2 (the frame), L3 (from the IP header, the raw-IP
 *     program), L2_VLAN (tagged frames with the outer tag taken out, as VLAN
 *     offload does, against libpcap on the tagged frame).
 * Each verdict is computed twice: by the interpreter of tests/pcapfilt/
 * ebpf_interp.c and, when run as root, by the kernel (a raw tracepoint
 * program holding the block inside a patched placeholder, BPF_PROG_TEST_RUN),
 * which also proves that the verifier of this kernel accepts every block.
 *   --pcap FILE    write the frames (tcpdump -r FILE EXPR is the outside oracle)
 *   --counts FILE  write "COUNT\tEXPR" per expression (matches in the L2 view)
 *   NT_PCAPF_NO_KERNEL=1  interpreter only
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapfilt/compile.h"
#include "pcapfilt/ebpf.h"
#include "pcapfilt/xlate.h"
#include "tests/pcapfilt/ebpf_interp.h"
#include "tests/pcapfilt/harness.h"
#include "tests/pcapfilt/pktgen.h"
#include "tests/unit/nt_test.h"

static int kernel_ok;
static char kernel_why[256];
static FILE *counts_out;
static long n_interp_runs, n_kernel_runs, n_kernel_loads;

static struct bpf_insn block[NT_PCAPF_SLOTS];

/* ---- one block, one packet: interpreter + kernel must both equal WANT ---- */

struct runner {
	size_t bn;
	struct nt_h_kprog kp;
	int loaded;
};

static int runner_init(struct runner *r, const struct nt_cbpf *p, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	if (nt_pcapf_xlate(p, block, NT_PCAPF_BUDGET, &r->bn, err, errlen))
		return -1;
	if (kernel_ok) {
		if (nt_h_kload(&r->kp, block, r->bn, 1, err, errlen))
			return -1;
		r->loaded = 1;
		n_kernel_loads++;
	}
	return 0;
}

static void runner_free(struct runner *r)
{
	if (r->loaded)
		nt_h_kclose(&r->kp);
}

/* 0 = agrees; else err says how */
static int runner_check(struct runner *r, const struct nt_h_pkt *p, unsigned int want, char *err,
			size_t errlen)
{
	uint32_t got;
	char e[700];

	if (nt_h_interp(block, r->bn, p, &got, e, sizeof(e))) {
		snprintf(err, errlen, "interpreter: %s", e);
		return -1;
	}
	n_interp_runs++;
	if (got != want) {
		snprintf(err, errlen, "interpreter returned %u, libpcap %u", got, want);
		return -1;
	}
	if (r->loaded) {
		if (nt_h_krun(&r->kp, p, &got, e, sizeof(e))) {
			snprintf(err, errlen, "kernel: %s", e);
			return -1;
		}
		n_kernel_runs++;
		if (got != want) {
			snprintf(err, errlen, "kernel returned %u, libpcap %u", got, want);
			return -1;
		}
	}
	return 0;
}

/* ---- per opcode class: hand-written classic programs ---- */

#define C(code, jt, jf, k) { (code), (jt), (jf), (k) }

static const uint8_t P1[] = { 0x45, 0x00, 0x00, 0x54, 0xab, 0xcd, 0x40, 0x00, 0x40, 0x01, 0x12, 0x34,
			      10, 0, 0, 1, 10, 0, 0, 2, 0x08, 0x00, 0xff, 0xfe, 0x80, 0x00, 0x00, 0x07 };

/* A frame as the L3 view presents it: 14 bytes in front, addresses zero. */
static unsigned int l3_frame(uint8_t *out, const uint8_t *l3, unsigned int caplen, uint16_t ethertype)
{
	memset(out, 0, 12);
	out[12] = ethertype >> 8;
	out[13] = ethertype & 0xff;
	memcpy(out + 14, l3, caplen);
	return caplen + 14;
}

/* Run PROG (classic) over P1 at every caplen 0..sizeof(P1), wirelens caplen
 * and 1500, against libpcap: P1 as a frame (view L2) and as an IPv4 packet
 * (view L3, the frame libpcap sees has the made-up Ethernet header). */
static int check_classic(const struct nt_cbpf_insn *insns, unsigned int len, char *why, size_t wl)
{
	struct nt_cbpf p = { (struct nt_cbpf_insn *)insns, len };
	struct runner r;
	char err[800];
	uint8_t fr[sizeof(P1) + 14];
	int bad = 0;

	if (runner_init(&r, &p, err, sizeof(err))) {
		snprintf(why, wl, "%s", err);
		return -1;
	}
	for (unsigned int cap = 0; cap <= sizeof(P1) && !bad; cap++)
		for (int w = 0; w < 2 && !bad; w++) {
			unsigned int wire = w ? 1500 : cap;
			struct nt_h_pkt l2 = { P1, cap, wire, NT_PCAPF_VIEW_L2, 0 };
			struct nt_h_pkt l3 = { P1, cap, wire, NT_PCAPF_VIEW_L3, 0x0800 };
			unsigned int want2 = nt_pcapf_run_libpcap(&p, P1, cap, wire);
			unsigned int fl = l3_frame(fr, P1, cap, 0x0800);
			unsigned int want3 = nt_pcapf_run_libpcap(&p, fr, fl, wire + 14);

			if (runner_check(&r, &l2, want2, err, sizeof(err))) {
				snprintf(why, wl, "L2 caplen %u wirelen %u: %s", cap, wire, err);
				bad = 1;
			} else if (runner_check(&r, &l3, want3, err, sizeof(err))) {
				snprintf(why, wl, "L3 caplen %u wirelen %u: %s", cap, wire, err);
				bad = 1;
			}
		}
	runner_free(&r);
	return bad ? -1 : 0;
}

/* Result of a classic program on P1 (interpreter and kernel must agree);
 * -1 on failure. */
static long run_only(const struct nt_cbpf_insn *insns, unsigned int len)
{
	struct nt_cbpf p = { (struct nt_cbpf_insn *)insns, len };
	struct nt_h_pkt pk = { P1, sizeof(P1), sizeof(P1), NT_PCAPF_VIEW_L2, 0 };
	struct runner r;
	char err[800];
	uint32_t got, kgot = 0;

	if (runner_init(&r, &p, err, sizeof(err)) || nt_h_interp(block, r.bn, &pk, &got, err, sizeof(err))) {
		printf("# %s\n", err);
		return -1;
	}
	if (r.loaded && (nt_h_krun(&r.kp, &pk, &kgot, err, sizeof(err)) || kgot != got)) {
		printf("# kernel %u interpreter %u %s\n", kgot, got, err);
		got = 0xffffffff;
	}
	runner_free(&r);
	return got == 0xffffffff ? -1 : (long)got;
}

#define CLASSIC(...) do { \
	static const struct nt_cbpf_insn prog[] = { __VA_ARGS__ }; \
	char why[900]; \
	if (check_classic(prog, sizeof(prog) / sizeof(prog[0]), why, sizeof(why))) { \
		printf("FAIL: %s: %s:%d: %s\n", nt__case, __FILE__, __LINE__, why); \
		nt__case_failed = 1; return; } } while (0)

TEST(class_ld_abs_w_h_b)
{
	CLASSIC(C(BPF_LD | BPF_W | BPF_ABS, 0, 0, 12), C(BPF_RET | NT_CBPF_RET_A, 0, 0, 0));
	CLASSIC(C(BPF_LD | BPF_H | BPF_ABS, 0, 0, 26), C(BPF_RET | NT_CBPF_RET_A, 0, 0, 0));
	CLASSIC(C(BPF_LD | BPF_B | BPF_ABS, 0, 0, 27), C(BPF_RET | NT_CBPF_RET_A, 0, 0, 0));
	CLASSIC(C(BPF_LD | BPF_B | BPF_ABS, 0, 0, 0), C(BPF_RET | NT_CBPF_RET_A, 0, 0, 0));
	/* offsets no packet reaches, including 2^31 and past 2^32 - size */
	CLASSIC(C(BPF_LD | BPF_W | BPF_ABS, 0, 0, 0x7ffffffe), C(BPF_RET | BPF_K, 0, 0, 1));
	CLASSIC(C(BPF_LD | BPF_H | BPF_ABS, 0, 0, 0xffffffff), C(BPF_RET | BPF_K, 0, 0, 1));
	CLASSIC(C(BPF_LD | BPF_B | BPF_ABS, 0, 0, 0x80000000), C(BPF_RET | BPF_K, 0, 0, 1));
}

TEST(class_ld_ind)
{
	/* X = 20 (IHL), then loads at X + k */
	CLASSIC(C(BPF_LDX | BPF_MSH | BPF_B, 0, 0, 0), C(BPF_LD | BPF_H | BPF_IND, 0, 0, 2),
		C(BPF_RET | NT_CBPF_RET_A, 0, 0, 0));
	CLASSIC(C(BPF_LDX | BPF_IMM, 0, 0, 24), C(BPF_LD | BPF_W | BPF_IND, 0, 0, 0),
		C(BPF_RET | NT_CBPF_RET_A, 0, 0, 0));
	CLASSIC(C(BPF_LDX | BPF_IMM, 0, 0, 3), C(BPF_LD | BPF_B | BPF_IND, 0, 0, 24),
		C(BPF_RET | NT_CBPF_RET_A, 0, 0, 0));
	/* X + k past 2^32 must not wrap around to a small offset */
	CLASSIC(C(BPF_LDX | BPF_IMM, 0, 0, 0xfffffff0), C(BPF_LD | BPF_B | BPF_IND, 0, 0, 0x14),
		C(BPF_RET | BPF_K, 0, 0, 9));
	CLASSIC(C(BPF_LDX | BPF_IMM, 0, 0, 0x14), C(BPF_LD | BPF_H | BPF_IND, 0, 0, 0xfffffff0),
		C(BPF_RET | BPF_K, 0, 0, 9));
	CLASSIC(C(BPF_LDX | BPF_IMM, 0, 0, 0x7fffffff), C(BPF_LD | BPF_W | BPF_IND, 0, 0, 0x7fffffff),
		C(BPF_RET | BPF_K, 0, 0, 9));
}

TEST(class_ldx_msh_len_imm_mem)
{
	CLASSIC(C(BPF_LDX | BPF_MSH | BPF_B, 0, 0, 0), C(BPF_MISC | NT_CBPF_TXA, 0, 0, 0),
		C(BPF_RET | NT_CBPF_RET_A, 0, 0, 0));
	CLASSIC(C(BPF_LDX | BPF_MSH | BPF_B, 0, 0, 27), C(BPF_MISC | NT_CBPF_TXA, 0, 0, 0),
		C(BPF_RET | NT_CBPF_RET_A, 0, 0, 0));
	CLASSIC(C(BPF_LD | BPF_W | BPF_LEN, 0, 0, 0), C(BPF_RET | NT_CBPF_RET_A, 0, 0, 0));
	CLASSIC(C(BPF_LDX | BPF_W | BPF_LEN, 0, 0, 0), C(BPF_MISC | NT_CBPF_TXA, 0, 0, 0),
		C(BPF_RET | NT_CBPF_RET_A, 0, 0, 0));
	CLASSIC(C(BPF_LD | BPF_IMM, 0, 0, 0xfffffffe), C(BPF_RET | NT_CBPF_RET_A, 0, 0, 0));
	CLASSIC(C(BPF_LDX | BPF_IMM, 0, 0, 0x80000001), C(BPF_MISC | NT_CBPF_TXA, 0, 0, 0),
		C(BPF_RET | NT_CBPF_RET_A, 0, 0, 0));
}

TEST(class_st_stx_scratch_memory)
{
	/* every scratch word written and read back, A and X paths */
	CLASSIC(C(BPF_LD | BPF_IMM, 0, 0, 11), C(BPF_ST, 0, 0, 0), C(BPF_LD | BPF_IMM, 0, 0, 22),
		C(BPF_ST, 0, 0, 15), C(BPF_LDX | BPF_IMM, 0, 0, 33), C(BPF_STX, 0, 0, 7),
		C(BPF_LD | BPF_MEM, 0, 0, 0), C(BPF_LDX | BPF_MEM, 0, 0, 15),
		C(BPF_ALU | BPF_ADD | BPF_X, 0, 0, 0), C(BPF_LDX | BPF_MEM, 0, 0, 7),
		C(BPF_ALU | BPF_MUL | BPF_X, 0, 0, 0), C(BPF_RET | NT_CBPF_RET_A, 0, 0, 0));
	CLASSIC(C(BPF_LD | BPF_B | BPF_ABS, 0, 0, 9), C(BPF_ST, 0, 0, 3), C(BPF_LD | BPF_IMM, 0, 0, 0),
		C(BPF_LDX | BPF_MEM, 0, 0, 3), C(BPF_MISC | NT_CBPF_TXA, 0, 0, 0), C(BPF_RET | NT_CBPF_RET_A, 0, 0, 0));
}

TEST(class_alu_k)
{
	static const int ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_MOD, BPF_AND, BPF_OR, BPF_XOR,
				   BPF_LSH, BPF_RSH };
	static const uint32_t ks[] = { 0, 1, 3, 31, 32, 0x7fffffff, 0x80000000, 0xffffffff };
	char why[900];

	for (unsigned int o = 0; o < sizeof(ops) / sizeof(ops[0]); o++)
		for (unsigned int k = 0; k < sizeof(ks) / sizeof(ks[0]); k++) {
			struct nt_cbpf_insn prog[] = {
				C(BPF_LD | BPF_W | BPF_ABS, 0, 0, 12),
				C(BPF_ALU | ops[o] | BPF_K, 0, 0, ks[k]),
				C(BPF_RET | NT_CBPF_RET_A, 0, 0, 0),
			};

			/* libpcap never emits these (it refuses the expression), and
			 * 1.10's interpreter divides by zero / shifts past 31 in C:
			 * checked below against the rule of newer libpcap instead */
			if (((ops[o] == BPF_DIV || ops[o] == BPF_MOD) && ks[k] == 0) ||
			    ((ops[o] == BPF_LSH || ops[o] == BPF_RSH) && ks[k] >= 32))
				continue;
			if (check_classic(prog, 3, why, sizeof(why))) {
				printf("FAIL: %s: op 0x%x k 0x%x: %s\n", nt__case, ops[o], ks[k], why);
				nt__case_failed = 1;
				return;
			}
		}
	CLASSIC(C(BPF_LD | BPF_W | BPF_ABS, 0, 0, 12), C(BPF_ALU | BPF_NEG, 0, 0, 0),
		C(BPF_RET | NT_CBPF_RET_A, 0, 0, 0));
	/* division by constant 0 rejects the packet; a constant shift >= 32 gives 0 */
	CHECK_EQ_INT(run_only((struct nt_cbpf_insn[]){ C(BPF_LD | BPF_IMM, 0, 0, 7),
		C(BPF_ALU | BPF_DIV | BPF_K, 0, 0, 0), C(BPF_RET | BPF_K, 0, 0, 5) }, 3), 0);
	CHECK_EQ_INT(run_only((struct nt_cbpf_insn[]){ C(BPF_LD | BPF_IMM, 0, 0, 7),
		C(BPF_ALU | BPF_MOD | BPF_K, 0, 0, 0), C(BPF_RET | BPF_K, 0, 0, 5) }, 3), 0);
	CHECK_EQ_INT(run_only((struct nt_cbpf_insn[]){ C(BPF_LD | BPF_IMM, 0, 0, 7),
		C(BPF_ALU | BPF_LSH | BPF_K, 0, 0, 32), C(BPF_ALU | BPF_ADD | BPF_K, 0, 0, 9),
		C(BPF_RET | NT_CBPF_RET_A, 0, 0, 0) }, 4), 9);
	CHECK_EQ_INT(run_only((struct nt_cbpf_insn[]){ C(BPF_LD | BPF_IMM, 0, 0, 7),
		C(BPF_ALU | BPF_RSH | BPF_K, 0, 0, 0xffffffff), C(BPF_ALU | BPF_ADD | BPF_K, 0, 0, 9),
		C(BPF_RET | NT_CBPF_RET_A, 0, 0, 0) }, 4), 9);
}

TEST(class_alu_x_including_div_by_zero_and_wide_shifts)
{
	static const int ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_MOD, BPF_AND, BPF_OR, BPF_XOR,
				   BPF_LSH, BPF_RSH };
	/* X from the packet: byte 27 is 7, byte 1 is 0 (div by zero), byte 5 0xcd */
	static const uint32_t xoff[] = { 27, 1, 5, 23 };
	char why[900];

	for (unsigned int o = 0; o < sizeof(ops) / sizeof(ops[0]); o++)
		for (unsigned int x = 0; x < sizeof(xoff) / sizeof(xoff[0]); x++) {
			struct nt_cbpf_insn prog[] = {
				C(BPF_LD | BPF_B | BPF_ABS, 0, 0, xoff[x]),
				C(BPF_MISC | NT_CBPF_TAX, 0, 0, 0),
				C(BPF_LD | BPF_W | BPF_ABS, 0, 0, 12),
				C(BPF_ALU | ops[o] | BPF_X, 0, 0, 0),
				C(BPF_RET | NT_CBPF_RET_A, 0, 0, 0),
			};

			if (check_classic(prog, 5, why, sizeof(why))) {
				printf("FAIL: %s: op 0x%x x@%u: %s\n", nt__case, ops[o], xoff[x], why);
				nt__case_failed = 1;
				return;
			}
		}
	/* shift by X >= 32: libpcap gives 0 where eBPF would mask the count */
	CLASSIC(C(BPF_LDX | BPF_IMM, 0, 0, 33), C(BPF_LD | BPF_IMM, 0, 0, 0xf0f0), 
		C(BPF_ALU | BPF_LSH | BPF_X, 0, 0, 0), C(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
		C(BPF_RET | BPF_K, 0, 0, 5), C(BPF_RET | NT_CBPF_RET_A, 0, 0, 0));
	CLASSIC(C(BPF_LDX | BPF_IMM, 0, 0, 0xffffffff), C(BPF_LD | BPF_IMM, 0, 0, 0xf0f0),
		C(BPF_ALU | BPF_RSH | BPF_X, 0, 0, 0), C(BPF_RET | NT_CBPF_RET_A, 0, 0, 0));
}

TEST(class_jmp_k_x_ja)
{
	static const int ops[] = { BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET };
	static const uint32_t ks[] = { 0, 0x45, 0x46, 0x44, 0x80000000, 0xffffffff, 0x0a000001 };
	char why[900];

	for (unsigned int o = 0; o < 4; o++)
		for (unsigned int k = 0; k < sizeof(ks) / sizeof(ks[0]); k++)
			for (int shape = 0; shape < 4; shape++) {
				/* jt/jf: both taken, true falls through, false falls through, equal */
				static const uint8_t jt[] = { 1, 0, 2, 1 }, jf[] = { 2, 2, 0, 1 };
				struct nt_cbpf_insn progk[] = {
					C(BPF_LD | BPF_B | BPF_ABS, 0, 0, 0),
					C(BPF_LDX | BPF_IMM, 0, 0, ks[k]),
					C(BPF_JMP | ops[o] | BPF_K, jt[shape], jf[shape], ks[k]),
					C(BPF_RET | BPF_K, 0, 0, 100),
					C(BPF_RET | BPF_K, 0, 0, 200),
					C(BPF_RET | BPF_K, 0, 0, 300),
				};
				struct nt_cbpf_insn progx[6];

				memcpy(progx, progk, sizeof(progx));
				progx[2].code = BPF_JMP | ops[o] | BPF_X;
				if (check_classic(progk, 6, why, sizeof(why)) ||
				    check_classic(progx, 6, why, sizeof(why))) {
					printf("FAIL: %s: op 0x%x k 0x%x shape %d: %s\n", nt__case, ops[o], ks[k],
					       shape, why);
					nt__case_failed = 1;
					return;
				}
			}
	/* 32-bit loads compared with constants >= 2^31 (JMP32, no sign extension) */
	CLASSIC(C(BPF_LD | BPF_IMM, 0, 0, 0xfffffffe), C(BPF_JMP | BPF_JGT | BPF_K, 0, 1, 0x7fffffff),
		C(BPF_RET | BPF_K, 0, 0, 1), C(BPF_RET | BPF_K, 0, 0, 2));
	CLASSIC(C(BPF_JMP | BPF_JA, 0, 0, 2), C(BPF_RET | BPF_K, 0, 0, 1), C(BPF_RET | BPF_K, 0, 0, 2),
		C(BPF_RET | BPF_K, 0, 0, 3));
	CLASSIC(C(BPF_JMP | BPF_JA, 0, 0, 0), C(BPF_RET | BPF_K, 0, 0, 4));
}

TEST(class_ret_misc)
{
	CLASSIC(C(BPF_RET | BPF_K, 0, 0, 0));
	CLASSIC(C(BPF_RET | BPF_K, 0, 0, 0xffffffff));
	CLASSIC(C(BPF_LD | BPF_IMM, 0, 0, 0x80000000), C(BPF_RET | NT_CBPF_RET_A, 0, 0, 0));
	CLASSIC(C(BPF_LD | BPF_IMM, 0, 0, 5), C(BPF_MISC | NT_CBPF_TAX, 0, 0, 0), C(BPF_LD | BPF_IMM, 0, 0, 6),
		C(BPF_MISC | NT_CBPF_TXA, 0, 0, 0), C(BPF_RET | NT_CBPF_RET_A, 0, 0, 0));
}

TEST(untranslatable_classic_is_refused_with_the_instruction)
{
	static const struct nt_cbpf_insn back[] = { C(BPF_LD | BPF_IMM, 0, 0, 5), C(BPF_JMP | BPF_JA, 0, 0, 0xfffffffe),
						    C(BPF_RET | BPF_K, 0, 0, 1) };
	static const struct nt_cbpf_insn mem[] = { C(BPF_LD | BPF_MEM, 0, 0, 16), C(BPF_RET | NT_CBPF_RET_A, 0, 0, 0) };
	struct nt_cbpf p = { (struct nt_cbpf_insn *)back, 3 };
	size_t n;
	char err[300];

	CHECK_EQ_INT(nt_pcapf_xlate(&p, block, NT_PCAPF_BUDGET, &n, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "instruction 1") && strstr(err, "backward jump"));
	p.insns = (struct nt_cbpf_insn *)mem;
	p.len = 2;
	CHECK_EQ_INT(nt_pcapf_xlate(&p, block, NT_PCAPF_BUDGET, &n, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "M[15]"));
}

/* ---- pcap-filter expressions over the generated frames ---- */

#include "tests/pcapfilt/exprs.h"

/* The frame from its IP header on (view L3), r5 = its EtherType; FR gets the
 * frame libpcap sees then (made-up Ethernet header). */
static unsigned int frame_l3(const struct nt_pg_frame *f, struct nt_h_pkt *p, uint8_t *fr, unsigned int *frlen)
{
	uint16_t et;

	if (f->l3off < 0 || f->caplen <= (unsigned int)f->l3off)
		return 0;
	et = (uint16_t)(f->data[f->l3off - 2] << 8 | f->data[f->l3off - 1]);
	p->data = f->data + f->l3off;
	p->caplen = f->caplen - f->l3off;
	p->wirelen = f->wirelen - f->l3off;
	p->view = NT_PCAPF_VIEW_L3;
	p->r5 = et;
	*frlen = l3_frame(fr, p->data, p->caplen, et);
	return 1;
}

/* The tagged frame with its outer tag taken out (VLAN offload). */
static unsigned int frame_offload(const struct nt_pg_frame *f, uint8_t *buf, struct nt_h_pkt *p)
{
	if (!f->tagged || f->caplen < 16)
		return 0;
	memcpy(buf, f->data, 12);
	memcpy(buf + 12, f->data + 16, f->caplen - 16);
	p->data = buf;
	p->caplen = f->caplen - 4;
	p->wirelen = f->wirelen - 4;
	p->view = NT_PCAPF_VIEW_L2_VLAN;
	p->r5 = (uint32_t)f->data[12] << 24 | (uint32_t)f->data[13] << 16 | (uint32_t)f->data[14] << 8 |
		  f->data[15];
	return 1;
}

static void expression_case(const char *expr, const struct nt_pg_frame *fr, int nfr)
{
	struct nt_cbpf l2;
	struct runner r;
	char err[900];
	int matched = 0, checks = 0;
	static uint8_t obuf[NT_PG_FRAME_MAX], l3buf[NT_PG_FRAME_MAX + 14];

	nt__case = expr;
	nt__case_failed = 0;
	if (nt_pcapf_compile(expr, NT_PCAPF_VIEW_L2, &l2, err, sizeof(err))) {
		printf("FAIL: xlate_oracle '%s': %s\n", expr, err);
		nt__failed_cases++;
		return;
	}
	if (runner_init(&r, &l2, err, sizeof(err))) {
		printf("FAIL: xlate_oracle '%s': %s\n", expr, err);
		nt__failed_cases++;
		goto out;
	}
	for (int i = 0; i < nfr; i++) {
		const struct nt_pg_frame *f = &fr[i];
		struct nt_h_pkt p = { f->data, f->caplen, f->wirelen, NT_PCAPF_VIEW_L2, 0 };
		unsigned int want = nt_pcapf_run_libpcap(&l2, f->data, f->caplen, f->wirelen), l3len;
		const char *view = "L2";

		matched += want != 0;
		if (runner_check(&r, &p, want, err, sizeof(err)))
			goto bad;
		checks++;
		if (frame_l3(f, &p, l3buf, &l3len)) {
			view = "L3";
			want = nt_pcapf_run_libpcap(&l2, l3buf, l3len, p.wirelen + 14);
			if (runner_check(&r, &p, want, err, sizeof(err)))
				goto bad;
			checks++;
		}
		if (frame_offload(f, obuf, &p)) {
			view = "L2_VLAN";
			want = nt_pcapf_run_libpcap(&l2, f->data, f->caplen, f->wirelen);
			if (runner_check(&r, &p, want, err, sizeof(err)))
				goto bad;
			checks++;
		}
		continue;
bad:
		printf("FAIL: xlate_oracle '%s': frame %d (%s), view %s: %s\n", expr, i, f->desc, view, err);
		nt__failed_cases++;
		runner_free(&r);
		goto out;
	}
	if (r.loaded && nt_h_kxlated(&r.kp) > r.bn + 64) {
		printf("FAIL: xlate_oracle '%s': %u instructions after the verifier for a %zu-instruction block: "
		       "the padding was not removed\n", expr, nt_h_kxlated(&r.kp), r.bn);
		nt__failed_cases++;
		runner_free(&r);
		goto out;
	}
	runner_free(&r);
	if (matched == 0 || matched == nfr) {
		printf("FAIL: xlate_oracle '%s': matches %d of %d frames: the corpus does not exercise it\n",
		       expr, matched, nfr);
		nt__failed_cases++;
		goto out;
	}
	if (counts_out)
		fprintf(counts_out, "%d\t%s\n", matched, expr);
	printf("PASS: xlate_oracle '%s' (%d of %d frames match; %d verdicts equal libpcap; %zu insns)\n",
	       expr, matched, nfr, checks, r.bn);
out:
	nt_cbpf_free(&l2);
}

/* ---- errors, limits, the placeholder ---- */

TEST(bad_expression_gives_libpcaps_message_with_the_expression)
{
	struct nt_cbpf p;
	char err[300];

	CHECK_EQ_INT(nt_pcapf_compile("tcp port", NT_PCAPF_VIEW_L2, &p, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "'tcp port'") && strstr(err, "syntax error"));
	CHECK_EQ_INT(nt_pcapf_compile("host 300.1.2.3", NT_PCAPF_VIEW_L2, &p, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "300.1.2.3"));
	CHECK_EQ_INT(nt_pcapf_compile("port nosuchservice", NT_PCAPF_VIEW_L2, &p, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "nosuchservice"));
	/* control characters of the expression never reach the message */
	CHECK_EQ_INT(nt_pcapf_compile("tcp\n\033[31m", NT_PCAPF_VIEW_L2, &p, err, sizeof(err)), -EINVAL);
	CHECK(!strchr(err, '\n') && !strchr(err, '\033'));
}

TEST(link_layer_expressions_have_no_raw_ip_program)
{
	struct nt_cbpf p;
	char err[300];

	CHECK_EQ_INT(nt_pcapf_compile("vlan", NT_PCAPF_VIEW_L3, &p, err, sizeof(err)), -ENOTSUP);
	CHECK(strstr(err, "VLAN"));
	CHECK_EQ_INT(nt_pcapf_compile("ether host 1:2:3:4:5:6", NT_PCAPF_VIEW_L3, &p, err, sizeof(err)), -ENOTSUP);
	CHECK_EQ_INT(nt_pcapf_compile("ether host 1:2:3:4:5:6", NT_PCAPF_VIEW_L2, &p, err, sizeof(err)), 0);
	nt_cbpf_free(&p);
}

TEST(protochain_and_socket_metadata_are_refused_by_name)
{
	struct nt_cbpf p;
	char err[300];

	CHECK_EQ_INT(nt_pcapf_compile("ip6 protochain 6", NT_PCAPF_VIEW_L2, &p, err, sizeof(err)), -ENOTSUP);
	CHECK(strstr(err, "protochain") && strstr(err, "loop"));
	CHECK_EQ_INT(nt_pcapf_compile("inbound", NT_PCAPF_VIEW_L2, &p, err, sizeof(err)), -ENOTSUP);
	CHECK(strstr(err, "inbound"));
}

TEST(over_the_budget_names_the_limit)
{
	static char expr[40000];
	struct nt_cbpf p;
	size_t n, len = 0;
	char err[400];

	for (int i = 0; i < 400; i++)
		len += (size_t)snprintf(expr + len, sizeof(expr) - len, "%s(tcp[%d:2] = %d and ip[%d] = %d)",
					i ? " or " : "", i % 50, i, i % 40 + 1, i % 256);
	CHECK_EQ_INT(nt_pcapf_compile(expr, NT_PCAPF_VIEW_L2, &p, err, sizeof(err)), 0);
	CHECK_EQ_INT(nt_pcapf_xlate(&p, block, NT_PCAPF_BUDGET, &n, err, sizeof(err)), -E2BIG);
	CHECK(strstr(err, "NT_PCAPF_SLOTS") && strstr(err, "4092"));
	nt_cbpf_free(&p);
}

TEST(placeholder_patch_in_place)
{
	static struct bpf_insn prog[NT_PCAPF_SLOTS * 2 + 10];
	struct bpf_insn blk[3] = { NT_MOV32_IMM(0, 1), NT_MOV32_IMM(0, 2), NT_MOV32_IMM(0, 3) };
	static struct bpf_insn big[NT_PCAPF_BUDGET + 1];

	for (int i = 0; i < 5; i++)
		prog[i] = NT_MOV64_IMM(1, i);
	nt_pcapf_placeholder(prog + 5);
	prog[5 + NT_PCAPF_SLOTS] = NT_MOV64_IMM(2, 0);
	nt_pcapf_placeholder(prog + 6 + NT_PCAPF_SLOTS);
	CHECK(nt_pcapf_is_placeholder(prog, sizeof(prog) / sizeof(prog[0]), 5));
	CHECK(!nt_pcapf_is_placeholder(prog, sizeof(prog) / sizeof(prog[0]), 4));
	CHECK_EQ_INT(nt_pcapf_patch(prog, sizeof(prog) / sizeof(prog[0]), big, NT_PCAPF_BUDGET + 1), -E2BIG);
	CHECK_EQ_INT(nt_pcapf_patch(prog, sizeof(prog) / sizeof(prog[0]), blk, 3), 2);
	CHECK_EQ_INT(prog[5].imm, 1);
	CHECK_EQ_INT(prog[7].imm, 3);
	CHECK_EQ_INT(prog[9].code, BPF_JMP | BPF_JEQ | BPF_K);
	CHECK_EQ_INT(9 + 1 + prog[9].off, 5 + NT_PCAPF_SLOTS); /* right after the slots */
	CHECK_EQ_INT(prog[5 + NT_PCAPF_SLOTS].code, BPF_ALU64 | BPF_MOV | BPF_K);
	CHECK_EQ_INT(prog[6 + NT_PCAPF_SLOTS].imm, 1);
	CHECK_EQ_INT(nt_pcapf_patch(prog, sizeof(prog) / sizeof(prog[0]), blk, 3), 0);
}

TEST(unpatched_placeholder_matches_everything)
{
	struct nt_h_pkt p = { P1, sizeof(P1), sizeof(P1), NT_PCAPF_VIEW_L2, 0 };
	uint32_t got;
	char err[700];
	struct nt_h_kprog kp;

	static struct bpf_insn prog[NT_PCAPF_SLOTS + 1];
	struct nt_interp_mem m = { P1, sizeof(P1) };
	uint64_t args[5] = { NT_INTERP_PKT_ADDR, sizeof(P1), sizeof(P1), NT_PCAPF_VIEW_L2, 0 }, r0 = 0;

	nt_pcapf_placeholder(prog);
	prog[NT_PCAPF_SLOTS] = NT_EXIT();
	CHECK(nt_interp_run(prog, NT_PCAPF_SLOTS + 1, args, &m, &r0, err, sizeof(err)) == 0 ||
	      !printf("%s\n", err));
	CHECK(r0 != 0);
	(void)p;
	(void)got;
	if (kernel_ok) {
		/* the kernel accepts the unpatched slots as they come out of the compiler */
		static struct bpf_insn none[1];

		unsigned int x;

		CHECK(nt_h_kload(&kp, none, 0, 1, err, sizeof(err)) == 0 || !printf("%s\n", err));
		x = nt_h_kxlated(&kp);
		nt_h_kclose(&kp);
		/* the verifier dropped the padding: a few dozen instructions remain */
		printf("# unpatched placeholder: %u of %d slots left after the verifier\n", x, NT_PCAPF_SLOTS);
		CHECK(x > 0 && x < 100);
	}
}

int main(int argc, char **argv)
{
	const struct nt_pg_frame *fr;
	int nfr = nt_pg_build(&fr);

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--pcap") && nt_pg_write_pcap(argv[i + 1])) {
			printf("FAIL: pcap_write: %s\n", argv[i + 1]);
			return 1;
		}
		if (!strcmp(argv[i], "--counts"))
			counts_out = fopen(argv[i + 1], "w");
	}
	if (getenv("NT_PCAPF_NO_KERNEL") && *getenv("NT_PCAPF_NO_KERNEL") == '1')
		snprintf(kernel_why, sizeof(kernel_why), "NT_PCAPF_NO_KERNEL=1");
	else
		kernel_ok = nt_h_kernel_available(kernel_why, sizeof(kernel_why));
	if (!kernel_ok)
		printf("SKIP: xlate_kernel_runs: %s (interpreter only)\n", kernel_why);

	RUN(class_ld_abs_w_h_b);
	RUN(class_ld_ind);
	RUN(class_ldx_msh_len_imm_mem);
	RUN(class_st_stx_scratch_memory);
	RUN(class_alu_k);
	RUN(class_alu_x_including_div_by_zero_and_wide_shifts);
	RUN(class_jmp_k_x_ja);
	RUN(class_ret_misc);
	RUN(untranslatable_classic_is_refused_with_the_instruction);
	RUN(bad_expression_gives_libpcaps_message_with_the_expression);
	RUN(link_layer_expressions_have_no_raw_ip_program);
	RUN(protochain_and_socket_metadata_are_refused_by_name);
	RUN(over_the_budget_names_the_limit);
	RUN(placeholder_patch_in_place);
	RUN(unpatched_placeholder_matches_everything);
	for (size_t i = 0; i < sizeof(EXPRS) / sizeof(EXPRS[0]); i++)
		expression_case(EXPRS[i], fr, nfr);
	if (counts_out)
		fclose(counts_out);
	printf("# %d frames, %zu expressions, %ld interpreter runs, %ld kernel runs of %ld loaded programs\n",
	       nfr, sizeof(EXPRS) / sizeof(EXPRS[0]), n_interp_runs, n_kernel_runs, n_kernel_loads);
	TEST_EXIT();
}
