/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tests/pcapfilt/harness.h - run a translated filter block the two ways the
 * tests compare with libpcap:
 *   - in the interpreter (tests/pcapfilt/ebpf_interp.c), always;
 *   - in the kernel: a BPF_PROG_TYPE_RAW_TRACEPOINT program (the type of the
 *     recorder's tracepoint probes: no packet access, bpf_probe_read_kernel
 *     only) run with BPF_PROG_TEST_RUN; the packet sits in an array map whose
 *     address is handed to the block as a plain number, as the probes hand
 *     it skb->head + offset.  Needs root (CAP_BPF + CAP_PERFMON).
 * Both wrap the block in the same register set-up (pcapfilt/abi.h).
 */
#ifndef NT_TEST_PCAPF_HARNESS_H
#define NT_TEST_PCAPF_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>

#define NT_H_PKT_MAX 16384

struct nt_h_pkt {
	const uint8_t *data;
	unsigned int caplen;   /* bytes the block may read */
	unsigned int wirelen;
	int view;              /* NT_PCAPF_VIEW_* (r4) */
	uint32_t r5;           /* L2_VLAN: tpid << 16 | tci; L3: EtherType */
};

/* Interpreter: 0 and *ret, or -1 with err. */
int nt_h_interp(const struct bpf_insn *block, size_t bn, const struct nt_h_pkt *p, uint32_t *ret,
		char *err, size_t errlen);

/* Kernel: program handle. */
struct nt_h_kprog {
	int prog_fd;
	int map_fd;
};

/* 1 = kernel runs are possible here (root, raw_tp test_run), 0 = not (err says why). */
int nt_h_kernel_available(char *err, size_t errlen);

/* Load BLOCK (PADDED: inside a patched NT_PCAPF_SLOTS placeholder, as in the
 * probes).  0, or -1 with err (the verifier log's tail). */
int nt_h_kload(struct nt_h_kprog *kp, const struct bpf_insn *block, size_t bn, int padded,
	       char *err, size_t errlen);
int nt_h_krun(struct nt_h_kprog *kp, const struct nt_h_pkt *p, uint32_t *ret, char *err,
	      size_t errlen);
void nt_h_kclose(struct nt_h_kprog *kp);
/* Instructions of the loaded program after the verifier (dead code removed). */
unsigned int nt_h_kxlated(struct nt_h_kprog *kp);

#endif
