/* SPDX-License-Identifier: GPL-2.0 */
/*
 * detail.h - what was in a packet and why the kernel did what it did, beyond
 * its path: conntrack snapshots (NT_EV_CT), captured bytes (NT_EV_BYTES) and
 * kernel stacks (DROP.stack_id, NT_EV_STACKREF; frames named from the log's
 * KSYMS).  Journey sections (text and JSON), event lines and JSON events.
 */
#ifndef NT_DETAIL_H
#define NT_DETAIL_H

#include <stddef.h>
#include <stdint.h>
#include "model/model.h"
#include "model/output.h"

/* "new", "established", "related", "invalid", "untracked", "none" */
const char *nt_ct_state_name(unsigned int state);
/* "CONFIRMED|SRC_NAT|SRC_NAT_DONE" ("-" for none; unknown bits as "bit17") */
void nt_fmt_ct_status(char *buf, size_t len, uint32_t status);
/* NT_CT_NAT_* bits: what the tuples say was translated (needs NT_CT_HAVE_TUPLES) */
#define NT_CT_NAT_SRC 1   /* replies go to another address / port than orig came from */
#define NT_CT_NAT_DST 2   /* replies come from another address / port than orig went to */
int nt_ct_nat(const struct nt_ev_ct *c);
/* One tuple "10.0.0.1:40000 → 10.0.0.2:80" (nt_fmt_flow) */
void nt_fmt_ct_tuple(char *buf, size_t len, const struct nt_ev_ct *c, const struct nt_ev_ct_tuple *t);
/* A whole snapshot on one line: "new original orig A → B reply C → D status S zone Z
 * mark 0xM" (fields the source did not give: "(zone, mark, tuples not available)") */
void nt_fmt_ct(char *buf, size_t len, const struct nt_ev_ct *c);
/* "first sight" / "headers changed" / "new namespace" */
const char *nt_bytes_why(unsigned int why);

/* Journey text: the Conntrack, Captured bytes and Stacks sections of P
 * (nothing when it has none of those records). */
void nt_detail_text(struct nt_tb *b, const struct nt_model *m, const struct nt_packet *p);
/* Under the journey's "Dropped:" line: the kernel stack of the drop and, when
 * nftables dropped it, the stack taken at the deciding rule. */
void nt_detail_text_drop(struct nt_tb *b, const struct nt_model *m, const struct nt_packet *p);
/* Stack id of the STACKREF right after P's deciding rule record (same skb),
 * 0 = none; RULE (LEN bytes, may be NULL) gets "rule inet filter input #8: DROP". */
uint32_t nt_detail_verdict_stack(const struct nt_packet *p, char *rule, size_t len,
				 const struct nt_model *m);
/* Lines "INDENT frame" of stack ID (or "INDENT stack N: not in the log's STACKS blocks"). */
void nt_detail_text_stack(struct nt_tb *b, const struct nt_model *m, uint32_t id, const char *indent);
/* Journey JSON members of P, each only when P has such records: "ct_states",
 * "ct", "ct_nat" (CT), "captures" (BYTES), "stacks" (STACKREF: "at" the record it
 * belongs to), "drop_stack_id" / "drop_stack" (a drop with a stack),
 * "verdict_stack_id" / "verdict_stack" (nftables dropped it: the stack at the
 * deciding rule). */
void nt_detail_json(struct nt_jw *w, const struct nt_model *m, const struct nt_packet *p);
/* The record types P holds (bit T: a record of type T, T < 32), and the two
 * above given them (a printer that has walked P's records already). */
uint32_t nt_detail_types(const struct nt_packet *p);
void nt_detail_text_of(struct nt_tb *b, const struct nt_model *m, const struct nt_packet *p, uint32_t types);
void nt_detail_json_of(struct nt_jw *w, const struct nt_model *m, const struct nt_packet *p, uint32_t types);
/* KEY: ["sym+0xoff", ...] of stack ID, null when the log does not define it. */
void nt_jw_stack(struct nt_jw *w, const char *key, const struct nt_model *m, uint32_t id);

/* Event line NAME and suffix of a CT / BYTES / STACKREF record; 0 when H is
 * none of those. */
int nt_detail_event_line(char *name, size_t nlen, char *sfx, size_t slen, const struct nt_model *m,
			 const struct nt_ev_hdr *h);
/* JSON event members of a CT / BYTES / STACKREF record. */
void nt_detail_jw_event(struct nt_jw *w, const struct nt_model *m, const struct nt_ev_hdr *h);

#endif
