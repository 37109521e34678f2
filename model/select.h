/* SPDX-License-Identifier: GPL-2.0 */
/* select.h - analysis selection (which records / packets a command shows;
 * not the capture filter of nft-record, common/bpf_shared.h):
 *   record level:  --since/--until (seconds from log start), --func on events
 *   packet level:  --packet ID, --verdict V (nftables'), --fate F, --func NAME
 *                  (packet hit it), --host/--src/--dst ADDR, --port/--sport/--dport N,
 *                  --proto P; addresses and ports match the packet's first
 *                  or latest metadata (before / after NAT) */
#ifndef NT_SELECT_H
#define NT_SELECT_H

#include <stdint.h>
#include "model/model.h"

struct nt_select {
	uint64_t packet;         /* 0 = any */
	int has_verdict;
	int32_t verdict;
	int has_fate;
	int fate;                /* NT_FATE_* */
	const char *func;        /* exact function name, NULL = any */
	int has_host, has_src, has_dst;
	uint8_t host_l3, src_l3, dst_l3;
	uint8_t host[16], src[16], dst[16];
	int port, sport, dport;  /* -1 = any */
	int proto;               /* -1 = any */
	double since, until;     /* seconds from log start; until < 0 = open */
	/* one more packet-level predicate (nft-analyze --filter), NULL = none */
	int (*pred)(void *ctx, const struct nt_model *m, const struct nt_packet *p);
	void *pred_ctx;
	/* derived */
	uint64_t since_ns, until_ns;
	int window;
};

void nt_select_init(struct nt_select *f);
/* Parse helpers: 0 or -EINVAL (message printed by the caller). */
int nt_select_set_verdict(struct nt_select *f, const char *s);
int nt_select_set_fate(struct nt_select *f, const char *s);
int nt_select_set_addr(uint8_t *addr, uint8_t *l3, const char *s);
int nt_select_set_proto(struct nt_select *f, const char *s);
/* Whether any packet-level filter is set. */
int nt_select_packet_level(const struct nt_select *f);
/* Whether the flow / id / verdict criteria match packet P (func excluded). */
int nt_select_match_packet(const struct nt_select *f, const struct nt_model *m,
			   const struct nt_packet *p);
/* Whether P's stored records (keep_events) contain a hit of f->func. */
int nt_select_packet_has_func(const struct nt_select *f, const struct nt_model *m,
			      const struct nt_packet *p);
/* Set the log start once known; then nt_select_in_window() works. */
void nt_select_set_start(struct nt_select *f, uint64_t start_ns);
static inline int nt_select_in_window(const struct nt_select *f, uint64_t ts)
{
	return !f->window || (ts >= f->since_ns && ts <= f->until_ns);
}
/* Whether record H is a function record of f->func ("kfree_skb" also names
 * the tracepoint "skb:kfree_skb"). */
int nt_select_record_func(const struct nt_select *f, const struct nt_model *m,
			  const struct nt_ev_hdr *h);

#endif
