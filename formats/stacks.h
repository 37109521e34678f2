/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stacks.h - the STACKS block (type 7) of a log: kernel stacks, each distinct
 * stack once, referenced by id from DROP.stack_id and NT_EV_STACKREF records
 * (byte layout: formats/FORMAT.md "STACKS").
 *
 *   u32 count
 *   count x { u32 stack_id (!= 0)  u16 nframes (1 .. NT_STACK_MAX_FRAMES)
 *             u16 flags (0)        u64 frame[nframes] (innermost first) }
 *
 * Writer side: ntl_stacks_init() + ntl_stacks_add() into a caller buffer,
 * then ntl_writer_meta(w, NTL_B_STACKS, buf, len).  Reader side: the payload
 * is hostile; ntl_stacks_next() checks every length before use.
 */
#ifndef NT_STACKS_H
#define NT_STACKS_H

#include <stddef.h>
#include <stdint.h>
#include "common/records.h"

/* Bytes one stack of N frames takes in the block. */
#define NTL_STACK_BYTES(n) (8 + 8 * (size_t)(n))

/* Start an empty block in BUF (CAP >= 4). */
void ntl_stacks_init(uint8_t *buf, size_t cap, size_t *len);
/* Append stack ID (!= 0) of N (1 .. NT_STACK_MAX_FRAMES) frames; 0, or
 * -ENOSPC (buffer full, nothing added) / -EINVAL. */
int ntl_stacks_add(uint8_t *buf, size_t cap, size_t *len, uint32_t id, const uint64_t *frames,
		   unsigned int n);
/* Number of stacks in a block built by ntl_stacks_add(). */
uint32_t ntl_stacks_count(const uint8_t *buf);

struct ntl_stacks_iter {
	const uint8_t *p, *end;
	uint32_t left;              /* stacks still announced by the count */
	char err[128];              /* why ntl_stacks_next() returned -1 */
};

/* Iterate a block payload of LEN bytes. */
void ntl_stacks_iter_init(struct ntl_stacks_iter *it, const void *payload, size_t len);
/* Next stack: 1 with *id, *n and FRAMES (n addresses copied out, FRAMES has
 * room for NT_STACK_MAX_FRAMES), 0 at the end of a well-formed block, -1 when
 * the block is malformed (it->err says how; the stacks before it are good). */
int ntl_stacks_next(struct ntl_stacks_iter *it, uint32_t *id, uint64_t *frames, unsigned int *n);

#endif
