// SPDX-License-Identifier: GPL-2.0
/* kstacks.c - kernel stacks of a recording (kstacks.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "formats/logw.h"
#include "formats/ntlog.h"
#include "formats/stacks.h"
#include "nft-record/kstacks.h"

#define KSTACKS_BLOCK (64u << 10)  /* pending block; written when full */

int nt_kstacks_init(struct nt_kstacks *k, int fd, uint32_t max)
{
	memset(k, 0, sizeof(*k));
	k->fd = -1;
	if (fd < 0 || !max)
		return 0;
	k->seen = calloc((max + 7) / 8, 1);
	k->buf = malloc(KSTACKS_BLOCK);
	if (!k->seen || !k->buf) {
		nt_kstacks_free(k);
		return -ENOMEM;
	}
	k->fd = fd;
	k->max = max;
	k->cap = KSTACKS_BLOCK;
	ntl_stacks_init(k->buf, k->cap, &k->len);
	return 0;
}

void nt_kstacks_free(struct nt_kstacks *k)
{
	free(k->seen);
	free(k->buf);
	k->seen = k->buf = NULL;
	k->fd = -1;
}

int nt_kstacks_flush(struct nt_kstacks *k, struct ntl_writer *w)
{
	int err;

	if (!k->buf || !ntl_stacks_count(k->buf))
		return 0;
	err = ntl_writer_meta(w, NTL_B_STACKS, (const char *)k->buf, k->len);
	if (err)
		k->write_errors++;
	ntl_stacks_init(k->buf, k->cap, &k->len);
	return err;
}

uint32_t nt_kstacks_note(struct nt_kstacks *k, struct ntl_writer *w, uint32_t id,
			 nt_kstacks_skip_fn skip, nt_kstacks_sym_fn sym, void *ctx)
{
	uint64_t frames[NT_STACK_MAX_FRAMES];
	uint32_t key = id - 1;
	unsigned int n = 0, s = 0;
	int err;

	if (!id || !k->buf)
		return 0;
	if (key >= k->max) {
		k->unreadable++;
		return 0;
	}
	if (k->seen[key / 8] & (1u << key % 8))
		return id;
	/* the map's value: NT_STACK_MAX_FRAMES slots, zero after the last frame
	 * (a smaller value size when perf_event_max_stack is lower: zeroed) */
	memset(frames, 0, sizeof(frames));
	if (bpf_map_lookup_elem(k->fd, &key, frames)) {
		k->unreadable++;
		return 0;
	}
	while (n < NT_STACK_MAX_FRAMES && frames[n])
		n++;
	if (!n) {
		k->unreadable++;
		return 0;
	}
	while (skip && s < n - 1 && skip(ctx, frames[s]))
		s++;
	n -= s;
	err = ntl_stacks_add(k->buf, k->cap, &k->len, id, frames + s, n);
	if (err == -ENOSPC) {
		nt_kstacks_flush(k, w);
		err = ntl_stacks_add(k->buf, k->cap, &k->len, id, frames + s, n);
	}
	if (err) {
		k->unreadable++;
		return 0;
	}
	for (unsigned int i = 0; sym && i < n; i++)
		sym(ctx, frames[s + i]);
	k->seen[key / 8] |= 1u << key % 8;
	k->stored++;
	return id;
}
