/* SPDX-License-Identifier: GPL-2.0 */
/*
 * logset.h - the files of one rotation set (nft-record --rotate) read as one
 * log.  Each file of a set is a complete log (its own HEADER, snapshots and
 * counters from 0); HEADER "rotation": {"set": ID, "seq": N} names the set and
 * the file's place in it.  Given several files, the set:
 *   - takes them in seq order, whatever order they were given in;
 *   - refuses a file of another set (or of none) and a seq given twice
 *     (nt_logset_open fails, one line naming the file);
 *   - reads them one after the other, giving the model the FIRST file's
 *     HEADER only (later ones are the same recording) and every other block;
 *   - turns the per-file cumulative counters (NT_EV_LOSS, NT_EV_COUNT) into
 *     counters of the whole set (each file's last value added to the next
 *     file's), so the model counts what one long recording would have;
 *   - reports a file missing inside the sequence (seq 3 then 5), and a damaged
 *     file, as a damage of the log: every readable file is still read, the
 *     status at the end is NTL_E_TRUNCATED / NTL_E_CORRUPT and
 *     nt_logset_strerror() says which (the first such problem).
 * Missing files before the first (removed by --max-files) are no gap.
 * With one file the set is that file (stdin "-" included), read unchanged.
 * Mirrors formats/logr.h's reader API, so model/walk.c reads either alike.
 */
#ifndef NT_LOGSET_H
#define NT_LOGSET_H

#include <stddef.h>
#include <stdint.h>
#include "formats/logr.h"

struct nt_logset;

/* Open the N files PATHS (kept by the caller until nt_logset_close()).
 * Returns 0 or an ntl_status < 0 (*s NULL); *msg then says why in one line
 * (valid until the next call of this function in the thread). */
int nt_logset_open(struct nt_logset **s, const char *const *paths, int n, const char **msg);
/* Next item of the set: NTL_OK, NTL_END, or a negative ntl_status once every
 * file was read (or at once for out of memory / an unreadable single file). */
int nt_logset_next(struct nt_logset *s, struct ntl_item *it);
/* The reader of a set of one file, whose records nt_logset_next() returns
 * as that reader gives them (a caller may take them with
 * ntl_reader_next_row() and call nt_logset_next() for anything else), or
 * NULL for a set of several files. */
struct ntl_reader *nt_logset_single(const struct nt_logset *s);
const char *nt_logset_strerror(const struct nt_logset *s);
/* Every file had its TRAILER (with one file: that file did). */
int nt_logset_complete(const struct nt_logset *s);
/* Format version of the (first) file: what ntl_reader_version() gives. */
uint32_t nt_logset_version(const struct nt_logset *s);
/* Whether the HEADER read so far says "mode": "keep" (nft-record --keep):
 * whole journeys in order of their end, no reorder window needed. */
int nt_logset_keep_mode(const struct nt_logset *s);
/* Files in the set as opened, and the seq range (0, 0 without rotation). */
int nt_logset_files(const struct nt_logset *s, uint64_t *first_seq, uint64_t *last_seq);
void nt_logset_close(struct nt_logset *s);

/* Parse the "rotation" object of a HEADER block's JSON: 0 and *set (copied,
 * NUL-terminated, at most SETLEN-1 bytes) / *seq, or -1 when absent / invalid. */
int nt_logset_header_rotation(const char *json, size_t len, char *set, size_t setlen, uint64_t *seq);

#endif
