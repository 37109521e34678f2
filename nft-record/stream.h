/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stream.h - --stream: one live line per record on stdout, exactly as
 * `nft-analyze events` prints it (the analyzer's incremental model,
 * nft-analyze/model.h, fed with the same metadata blocks and records the log
 * gets).
 */
#ifndef NT_STREAM_H
#define NT_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct nt_stream;

struct nt_stream *nt_stream_new(FILE *out);
void nt_stream_meta(struct nt_stream *s, uint16_t type, const char *json, size_t len);
void nt_stream_event(struct nt_stream *s, const void *rec, size_t len);
/* Flush the lines; -EPIPE (or another -errno) once the reader went away. */
int nt_stream_flush(struct nt_stream *s);
void nt_stream_free(struct nt_stream *s);

#endif
