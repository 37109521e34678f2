// SPDX-License-Identifier: GPL-2.0
/* tests/pcapfilt/harness.c - see harness.h */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "pcapfilt/ebpf.h"
#include "pcapfilt/xlate.h"
#include "tests/pcapfilt/ebpf_interp.h"
#include "tests/pcapfilt/harness.h"

#define SCRATCH_FP_OFF (-64) /* r9 = r10 - 64; the block owns r9 - 128 .. r9 - 1 */
_Static_assert(-SCRATCH_FP_OFF + NT_PCAPF_SCRATCH <= 512, "stack");

int nt_h_interp(const struct bpf_insn *block, size_t bn, const struct nt_h_pkt *p, uint32_t *ret,
		char *err, size_t errlen)
{
	static struct bpf_insn prog[NT_PCAPF_SLOTS + 8];
	static uint8_t mem[NT_H_PKT_MAX + 64];
	struct nt_interp_mem m = { .pkt = mem, .pkt_size = sizeof(mem) };
	uint64_t args[5] = { NT_INTERP_PKT_ADDR, p->caplen, p->wirelen, (uint64_t)p->view, p->r5 };
	uint64_t r0;
	size_t n = 0;

	if (bn > NT_PCAPF_SLOTS || p->caplen > NT_H_PKT_MAX) {
		snprintf(err, errlen, "block or packet too large");
		return -1;
	}
	/* "kernel memory" past the packet: a pattern no correct load can see */
	memset(mem, 0xa5, sizeof(mem));
	memcpy(mem, p->data, p->caplen);
	prog[n++] = NT_MOV64_REG(9, 10);
	prog[n++] = NT_ALU64_IMM(BPF_ADD, 9, SCRATCH_FP_OFF);
	memcpy(prog + n, block, bn * sizeof(*block));
	n += bn;
	prog[n++] = NT_EXIT();
	if (nt_interp_run(prog, n, args, &m, &r0, err, errlen))
		return -1;
	*ret = (uint32_t)r0;
	if (r0 >> 32) {
		snprintf(err, errlen, "r0 0x%llx has upper bits", (unsigned long long)r0);
		return -1;
	}
	return 0;
}

/* map value: u32 caplen, u32 wirelen, u64 view, u64 vlan, bytes */
struct kval {
	uint32_t caplen;
	uint32_t wirelen;
	uint64_t view;
	uint64_t vlan;
	uint8_t data[NT_H_PKT_MAX];
};

static int build_prog(struct bpf_insn *out, int map_fd, const struct bpf_insn *block, size_t bn,
		      int padded)
{
	size_t n = 0;

	/* r6 = map value (array map, key 0) */
	out[n++] = NT_ST(BPF_W, 10, -4, 0);
	out[n++] = nt_bi(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, map_fd);
	out[n++] = nt_bi(0, 0, 0, 0, 0);
	out[n++] = NT_MOV64_REG(2, 10);
	out[n++] = NT_ALU64_IMM(BPF_ADD, 2, -4);
	out[n++] = NT_CALL(BPF_FUNC_map_lookup_elem);
	out[n++] = NT_JMP_IMM(BPF_JNE, 0, 0, 2);
	out[n++] = NT_MOV32_IMM(0, 0x7fffdead);
	out[n++] = NT_EXIT();
	out[n++] = NT_MOV64_REG(6, 0);
	/* base = &value->data, turned into a plain number (the probes compute
	 * it from skb->head, which the verifier sees as a number too) */
	out[n++] = NT_MOV64_REG(1, 6);
	out[n++] = NT_ALU64_IMM(BPF_ADD, 1, (int)offsetof(struct kval, data));
	out[n++] = NT_STX(BPF_DW, 10, 1, -16);
	out[n++] = NT_MOV64_REG(1, 10);
	out[n++] = NT_ALU64_IMM(BPF_ADD, 1, -24);
	out[n++] = NT_MOV64_IMM(2, 8);
	out[n++] = NT_MOV64_REG(3, 10);
	out[n++] = NT_ALU64_IMM(BPF_ADD, 3, -16);
	out[n++] = NT_CALL(BPF_FUNC_probe_read_kernel);
	out[n++] = NT_LDX(BPF_DW, 1, 10, -24);
	out[n++] = NT_LDX(BPF_W, 2, 6, (int)offsetof(struct kval, caplen));
	out[n++] = NT_LDX(BPF_W, 3, 6, (int)offsetof(struct kval, wirelen));
	out[n++] = NT_LDX(BPF_DW, 4, 6, (int)offsetof(struct kval, view));
	out[n++] = NT_LDX(BPF_DW, 5, 6, (int)offsetof(struct kval, vlan));
	out[n++] = NT_MOV64_REG(9, 10);
	out[n++] = NT_ALU64_IMM(BPF_ADD, 9, SCRATCH_FP_OFF);
	if (padded) {
		nt_pcapf_placeholder(out + n);
		if (nt_pcapf_patch(out + n, NT_PCAPF_SLOTS, block, bn) != 1)
			return -1;
		n += NT_PCAPF_SLOTS;
	} else {
		memcpy(out + n, block, bn * sizeof(*block));
		n += bn;
	}
	out[n++] = NT_EXIT();
	return (int)n;
}

int nt_h_kernel_available(char *err, size_t errlen)
{
	struct nt_h_kprog kp;
	struct bpf_insn block[1] = { NT_MOV32_IMM(0, 7) };
	struct nt_h_pkt p = { .data = (const uint8_t *)"x", .caplen = 1, .wirelen = 1 };
	uint32_t ret;

	if (geteuid() != 0) {
		snprintf(err, errlen, "not root");
		return 0;
	}
	if (nt_h_kload(&kp, block, 1, 0, err, errlen))
		return 0;
	if (nt_h_krun(&kp, &p, &ret, err, errlen)) {
		nt_h_kclose(&kp);
		return 0;
	}
	nt_h_kclose(&kp);
	if (ret != 7) {
		snprintf(err, errlen, "test run returned %u, expected 7", ret);
		return 0;
	}
	return 1;
}

int nt_h_kload(struct nt_h_kprog *kp, const struct bpf_insn *block, size_t bn, int padded,
	       char *err, size_t errlen)
{
	static struct bpf_insn prog[NT_PCAPF_SLOTS + 64];
	static char log[1 << 20];
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = sizeof(log), .log_level = 0);
	int n;

	kp->prog_fd = kp->map_fd = -1;
	kp->map_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "nt_pcapf_t", 4, sizeof(struct kval), 1, NULL);
	if (kp->map_fd < 0) {
		snprintf(err, errlen, "bpf_map_create: %s", strerror(errno));
		return -1;
	}
	n = build_prog(prog, kp->map_fd, block, bn, padded);
	if (n < 0) {
		snprintf(err, errlen, "placeholder patch failed");
		nt_h_kclose(kp);
		return -1;
	}
	log[0] = 0;
	kp->prog_fd = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "nt_pcapf_t", "GPL", prog, n, &opts);
	if (kp->prog_fd < 0) {
		int e = errno;

		/* again with the verifier's log for the message */
		opts.log_level = 1;
		log[0] = 0;
		kp->prog_fd = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "nt_pcapf_t", "GPL", prog, n,
					    &opts);
		if (kp->prog_fd >= 0) {
			close(kp->prog_fd);
			kp->prog_fd = -1;
		}
		{
			size_t l = strlen(log);
			const char *tail = l > 600 ? log + l - 600 : log;

			snprintf(err, errlen, "bpf_prog_load: %s; verifier: %s", strerror(e), tail);
		}
		nt_h_kclose(kp);
		return -1;
	}
	return 0;
}

int nt_h_krun(struct nt_h_kprog *kp, const struct nt_h_pkt *p, uint32_t *ret, char *err,
	      size_t errlen)
{
	static struct kval v;
	uint32_t key = 0;
	uint64_t args[2] = { 0, 0 };
	LIBBPF_OPTS(bpf_test_run_opts, topts, .ctx_in = args, .ctx_size_in = sizeof(args));

	if (p->caplen > NT_H_PKT_MAX) {
		snprintf(err, errlen, "packet too large");
		return -1;
	}
	memset(&v, 0xa5, sizeof(v));
	v.caplen = p->caplen;
	v.wirelen = p->wirelen;
	v.view = (uint64_t)p->view;
	v.vlan = p->r5;
	memcpy(v.data, p->data, p->caplen);
	if (bpf_map_update_elem(kp->map_fd, &key, &v, BPF_ANY)) {
		snprintf(err, errlen, "bpf_map_update_elem: %s", strerror(errno));
		return -1;
	}
	if (bpf_prog_test_run_opts(kp->prog_fd, &topts)) {
		snprintf(err, errlen, "BPF_PROG_TEST_RUN: %s", strerror(errno));
		return -1;
	}
	*ret = topts.retval;
	return 0;
}

void nt_h_kclose(struct nt_h_kprog *kp)
{
	if (kp->prog_fd >= 0)
		close(kp->prog_fd);
	if (kp->map_fd >= 0)
		close(kp->map_fd);
	kp->prog_fd = kp->map_fd = -1;
}

unsigned int nt_h_kxlated(struct nt_h_kprog *kp)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(kp->prog_fd, &info, &len))
		return 0;
	return info.xlated_prog_len / sizeof(struct bpf_insn);
}
