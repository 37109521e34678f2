/* SPDX-License-Identifier: GPL-2.0 */
/* logw.h - writer of .ntl logs (see FORMAT.md). Not thread-safe: one writer per thread. */
#ifndef NT_LOGW_H
#define NT_LOGW_H

#include <stddef.h>
#include <stdint.h>
#include "formats/ntlog.h"

struct ntl_writer;

struct ntl_writer_opts {
	size_t sz;                 /* sizeof(struct ntl_writer_opts) */
	int zstd_level;            /* 0 = default (3) */
	uint32_t block_bytes;      /* raw bytes per EVENTS block, 0 = default (1 MiB) */
	uint64_t block_ns;         /* max age of an open EVENTS block, 0 = default (1 s) */
	int force;                 /* overwrite an existing file */
	int fsync;                 /* fdatasync after every block */
	int coding;                /* EVENTS coding: 0 = default (3, format 2.2), 2 = format 2.1's, 1 = format 2.0's */
};

/* Open PATH for writing ("-" = stdout). Created 0600, O_EXCL unless opts->force,
 * never follows a symlink (O_NOFOLLOW). Returns 0 or -errno; then ntl_writer_open_error()
 * (or ntl_writer_strerror(NULL)) names the problem in one line. */
int ntl_writer_open(struct ntl_writer **w, const char *path, const struct ntl_writer_opts *opts);

/* Write a metadata block (JSON text, NTL_B_HEADER ... NTL_B_DROP_REASONS,
 * NTL_B_TRAILER). Any open EVENTS block is flushed first. */
int ntl_writer_meta(struct ntl_writer *w, uint16_t type, const char *json, size_t len);

/* Append one record (len must equal nt_ev_size(type)). Allocation free; flushes
 * the current EVENTS block when it is full or older than block_ns (by record
 * timestamps). */
int ntl_writer_event(struct ntl_writer *w, const void *rec, size_t len);

/* Flush the open EVENTS block (if any) as a complete frame. */
int ntl_writer_flush(struct ntl_writer *w);

/* Bytes written to the file so far (complete blocks only). */
uint64_t ntl_writer_bytes(const struct ntl_writer *w);
uint64_t ntl_writer_events(const struct ntl_writer *w);

/* Flush, write the trailer JSON (may be NULL), close. Frees w. */
int ntl_writer_close(struct ntl_writer *w, const char *trailer_json);

/* Close without trailer (error paths). Frees w. */
void ntl_writer_abort(struct ntl_writer *w);

/* Last error text of the writer (never NULL).  w == NULL: the reason the last
 * ntl_writer_open() / ntl_writer_close() of this thread failed. */
const char *ntl_writer_strerror(const struct ntl_writer *w);
const char *ntl_writer_open_error(void);

#endif
