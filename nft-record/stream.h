/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stream.h - --stream: one live line per record on stdout, exactly as
 * `nft-analyze events` prints it (the packet model, model/model.h, fed with
 * the same metadata blocks and records the log gets).  A consumer of the
 * recording like --serve: nt_stream_hooks() goes into nt_record_opts.hooks.
 * When the reader went away (| head: EPIPE) it asks the recording to stop.
 */
#ifndef NT_STREAM_H
#define NT_STREAM_H

#include <stdio.h>
#include "nft-record/record.h"

struct nt_stream;

/* quiet: no message when the reader went away.  NULL when out of memory. */
struct nt_stream *nt_stream_new(FILE *out, int quiet);
const struct nt_record_hooks *nt_stream_hooks(struct nt_stream *s);
/* Flushes the last lines. */
void nt_stream_free(struct nt_stream *s);

#endif
