/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringrd.h - reader of the BPF ring buffer (BPF_MAP_TYPE_RINGBUF) nt_events.
 *
 * libbpf's ring_buffer__consume() cannot say why it stopped: because the ring
 * was empty, or at a record still being written (reserved, not committed).
 * The recorder's watermark needs that difference (record_loop.c: an empty
 * ring means every CPU has delivered everything up to the moment the drain
 * began), so it reads the ring itself: the kernel's ABI of consumer page,
 * producer page and the data area mapped twice (linux/bpf.h ringbuf), as
 * libbpf does.  Records are handed out in ring order, each exactly once.
 */
#ifndef NT_RINGRD_H
#define NT_RINGRD_H

#include <stddef.h>
#include <stdint.h>

struct nt_ringrd;

typedef int (*nt_ringrd_fn)(void *ctx, void *data, size_t size);

/* MAP_FD: the ringbuf map, SIZE its max_entries.  0 or -errno. */
int nt_ringrd_open(int map_fd, size_t size, struct nt_ringrd **out);
void nt_ringrd_close(struct nt_ringrd *r);
/* The fd to poll (EPOLLIN when the kernel notifies new data). */
int nt_ringrd_fd(const struct nt_ringrd *r);
/* Hand the committed records to CB in ring order, up to the producer position
 * read on entry.  Returns the number of records; *EMPTY = 1 when it got
 * there (everything reserved before the call is consumed), 0 when it stopped
 * at a record still being written (or CB returned nonzero). */
long nt_ringrd_consume(struct nt_ringrd *r, nt_ringrd_fn cb, void *ctx, int *empty);

#endif
