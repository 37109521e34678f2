/* SPDX-License-Identifier: GPL-2.0 */
/* filters.h - analysis-side filters of nft-analyze:
 *   record level:  --since/--until (seconds from log start), --func on events
 *   packet level:  --packet ID, --verdict V, --func NAME (packet hit it),
 *                  --host/--src/--dst ADDR, --port/--sport/--dport N, --proto P */
#ifndef NT_FILTERS_H
#define NT_FILTERS_H

#include <stdint.h>
#include "nft-analyze/model.h"

struct nt_filter {
	uint64_t packet;         /* 0 = any */
	int has_verdict;
	int32_t verdict;
	const char *func;        /* exact function name, NULL = any */
	int has_host, has_src, has_dst;
	uint8_t host_l3, src_l3, dst_l3;
	uint8_t host[16], src[16], dst[16];
	int port, sport, dport;  /* -1 = any */
	int proto;               /* -1 = any */
	double since, until;     /* seconds from log start; until < 0 = open */
	/* derived */
	uint64_t since_ns, until_ns;
	int window;
};

void nt_filter_init(struct nt_filter *f);
/* Parse helpers: 0 or -EINVAL (message printed by the caller). */
int nt_filter_set_verdict(struct nt_filter *f, const char *s);
int nt_filter_set_addr(uint8_t *addr, uint8_t *l3, const char *s);
int nt_filter_set_proto(struct nt_filter *f, const char *s);
/* Whether any packet-level filter is set. */
int nt_filter_packet_level(const struct nt_filter *f);
/* Whether the flow / id / verdict criteria match packet P (func excluded). */
int nt_filter_match_packet(const struct nt_filter *f, const struct nt_model *m,
			   const struct nt_packet *p);
/* Whether P's stored records (keep_events) contain a hit of f->func. */
int nt_filter_packet_has_func(const struct nt_filter *f, const struct nt_model *m,
			      const struct nt_packet *p);
/* Set the log start once known; then nt_filter_in_window() works. */
void nt_filter_set_start(struct nt_filter *f, uint64_t start_ns);
static inline int nt_filter_in_window(const struct nt_filter *f, uint64_t ts)
{
	return !f->window || (ts >= f->since_ns && ts <= f->until_ns);
}
/* Whether record H is a function record of f->func. */
int nt_filter_record_func(const struct nt_filter *f, const struct nt_model *m,
			  const struct nt_ev_hdr *h);

#endif
