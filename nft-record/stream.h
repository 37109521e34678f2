/* SPDX-License-Identifier: GPL-2.0 */
/* stream.h - --stream: one live line per record on stdout, in the
 * prototype's format ("[   1] FUNC       Device     net:netif_receive_skb  a:p → b:q"). */
#ifndef NT_STREAM_H
#define NT_STREAM_H

#include <stddef.h>
#include <stdio.h>

struct nt_stream;

struct nt_stream *nt_stream_new(FILE *out);
void nt_stream_event(struct nt_stream *s, const void *rec, size_t len);
void nt_stream_flush(struct nt_stream *s);
void nt_stream_free(struct nt_stream *s);

#endif
