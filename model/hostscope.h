/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hostscope.h - a log whose recorded host is one network namespace (HEADER
 * host.netns: nft-record --host-netns, hosts emulated by namespaces) read as
 * that host's log (formats/FORMAT.md "Host scope").  A veth hands the same
 * skb to the next namespace, and the recorder keeps an skb it first saw in
 * its namespace: its records after the skb left belong to another "host".
 * Per skb the scope keeps its latest namespace (META, DEV; LINK: the
 * parent's): a record of an skb outside the host is skipped, and when the
 * skb leaves, its packet ends there with a FREE of skb:consume_skb
 * (NT_F_SYNTH), as a real host frees a transmitted skb.  An skb that comes
 * back starts a new packet (the model: a record after the free).
 * Memory: one map entry per skb seen and not freed (at most 4 M, then the map
 * is emptied and counted).
 */
#ifndef NT_HOSTSCOPE_H
#define NT_HOSTSCOPE_H

#include <stddef.h>
#include <stdint.h>
#include "common/records.h"

struct nt_scope;

#define NT_SCOPE_PASS 1   /* give the record to the model */
#define NT_SCOPE_SYNTH 2  /* give *synth to the model first */

/* A scope for namespace NETNS (inode); NULL when out of memory. */
struct nt_scope *nt_scope_new(uint32_t netns);
void nt_scope_free(struct nt_scope *s);
/* host.netns of a HEADER block's JSON, 0 when absent. */
uint32_t nt_scope_header_netns(const char *json, size_t len);
/* What to do with record REC (NT_SCOPE_* bits). */
int nt_scope_record(struct nt_scope *s, const void *rec, size_t len, struct nt_ev_free *synth);
/* Records skipped, packets ended where their skb left, map resets. */
void nt_scope_counts(const struct nt_scope *s, uint64_t *skipped, uint64_t *left,
		     uint64_t *resets);

#endif
