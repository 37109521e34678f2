/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kstacks.h - kernel stacks of a recording (nft-record --stack): the BPF
 * stack map (bpf/stack.bpf.h) keeps each distinct stack once under an id; a
 * record carries that id + 1.  The first time an id appears in a record, its
 * frames are copied from the map into the pending STACKS block (formats/
 * stacks.h), written before that record leaves the merge queue; each frame's
 * symbol goes to the KSYMS snapshot (callback), so the log names its own
 * frames offline.  Bounded: a bitmap over the map's ids and one block buffer.
 */
#ifndef NT_KSTACKS_H
#define NT_KSTACKS_H

#include <stddef.h>
#include <stdint.h>

struct ntl_writer;

struct nt_kstacks {
	int fd;                   /* BPF stack map; -1: --stack off */
	uint32_t max;             /* ids 0 .. max-1 */
	uint8_t *seen;            /* bitmap: id already in a STACKS block */
	uint8_t *buf;             /* pending STACKS block */
	size_t len, cap;
	uint64_t stored;          /* distinct stacks written to the log */
	uint64_t unreadable;      /* ids the map did not give back (records keep 0) */
	uint64_t write_errors;
};

/* Callbacks for a new stack: SKIP says whether a leading frame is the
 * tracing machinery (the BPF program, bpf_trace_run<N>), not kept; SYM gets
 * each frame kept (the KSYMS snapshot). */
typedef int (*nt_kstacks_skip_fn)(void *ctx, uint64_t addr);
typedef void (*nt_kstacks_sym_fn)(void *ctx, uint64_t addr);

/* FD < 0: off (every call below then does nothing; so does a zeroed K).
 * 0 or -ENOMEM. */
int nt_kstacks_init(struct nt_kstacks *k, int fd, uint32_t max);
void nt_kstacks_free(struct nt_kstacks *k);
/* A record carries stack ID (log id: map id + 1, 0 = none).  Returns the id
 * the record keeps: ID, or 0 when its frames could not be read (counted).
 * The pending block is written to W first when it is full. */
uint32_t nt_kstacks_note(struct nt_kstacks *k, struct ntl_writer *w, uint32_t id,
			 nt_kstacks_skip_fn skip, nt_kstacks_sym_fn sym, void *ctx);
/* Write the pending STACKS block (if any) to W: 0 or the writer's error. */
int nt_kstacks_flush(struct nt_kstacks *k, struct ntl_writer *w);

#endif
