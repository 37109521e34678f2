/* SPDX-License-Identifier: GPL-2.0 */
/*
 * reorder.h - the reorder window on the analyzer's input: records of a log
 * come out in non-decreasing time order as long as none arrives more than
 * the window after a later one.
 *
 * A record waits until the newest time seen is more than window_ns after it
 * (or until nt_reorder_pop(flush)).  Records that arrive in order go to a
 * FIFO (O(1)); only those older than the FIFO's tail go to a small heap.
 * Memory is bounded by max_bytes: when it is full the oldest record leaves
 * early.  A record older than one already released cannot be put back in
 * place: it is released at once and counted as late (out of order beyond
 * the window).  Records without a time (ts_ns 0: chain definitions) pass
 * through at once.  Equal times keep their input order.
 */
#ifndef NT_REORDER_H
#define NT_REORDER_H

#include <stddef.h>
#include <stdint.h>

#define NT_REORDER_WINDOW_NS (1000ull * 1000 * 1000) /* 1 s */
#define NT_REORDER_MAX_BYTES (4u << 20)                /* 4 MiB of records */

struct nt_reorder;

struct nt_reorder_stats {
	uint64_t reordered;     /* records released before records that came in ahead of them */
	uint64_t late;          /* records older than one already released (window exceeded) */
	uint64_t max_late_ns;   /* by how much the latest late record was behind */
	uint64_t early;         /* records released before their window passed (max_bytes) */
	size_t max_bytes_used;
};

/* window_ns 0 = no reordering (records pass through); max_bytes 0 = default. */
struct nt_reorder *nt_reorder_new(uint64_t window_ns, size_t max_bytes);
void nt_reorder_free(struct nt_reorder *r);

/* Queue one record (copied; len >= 24).  0, or -ENOMEM (the record is lost:
 * the caller reports out of memory). */
int nt_reorder_push(struct nt_reorder *r, const void *rec, size_t len);

/* The next record that may leave (flush: every queued record, oldest first),
 * or NULL.  The pointer is valid until the next call. */
const void *nt_reorder_pop(struct nt_reorder *r, size_t *len, int flush);

const struct nt_reorder_stats *nt_reorder_stats(const struct nt_reorder *r);

#endif
