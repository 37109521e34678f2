/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tracepoints.h - the tracepoints the "tracepoint" backend (tracepoints.c)
 * records, for the recorder's function table (FUNCS block).
 *
 * After nt_backend_tracepoint.prepare(): the eight packet path tracepoints of
 * common/bpf_shared.h (fixed ids NT_TP_*), then every other tracepoint with an
 * skb argument that the running kernel has (found in its BTF by nt_discover()),
 * with ids NT_TP__COUNT + number of traced functions + k.
 */
#ifndef NT_TRACEPOINTS_H
#define NT_TRACEPOINTS_H

#include <stddef.h>
#include <stdint.h>

struct nt_tp_desc {
	uint32_t id;        /* function id of its records */
	const char *name;   /* "category:event" ("skb:skb_copy_datagram_iovec") */
	const char *layer;  /* "Device", "TCP", ... */
	int priority;       /* 0..3 */
	int arg;            /* 1-based tracepoint argument holding the skb */
};

/* The tracepoints of the last prepare(); *v stays valid until the next one. */
size_t nt_tp_list(const struct nt_tp_desc **v);

/* Replace every ld_imm64 of NT_TPC_MAGIC (bpf/tp.bpf.h nt_tp_conf()) in the N
 * instructions of BUF with CONF; returns how many.  Also used for the fentry
 * clones of kernels without attach cookies (attach_fentry.c). */
struct bpf_insn;
size_t nt_tp_patch_conf(struct bpf_insn *buf, size_t n, uint64_t conf);

#endif
