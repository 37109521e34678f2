/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcapsel.h - nft-analyze --filter EXPR: the language of nft-record --filter
 * (a pcap-filter(7) expression + netns NAME, iface NAME, mark VALUE[/MASK]),
 * evaluated after the fact on what the log recorded about each packet: its
 * first BYTES record when the log has packet bytes (exact where the
 * expression reads only the captured bytes), else its first packet metadata
 * record (where nft-record first saw it), through pcapfilt/offline.h.  A packet whose answer depends on something the log
 * does not hold (payload, TTL, MAC addresses, the length ...) is left out
 * and counted; at the end one line on stderr says how many and which field.
 */
#ifndef NT_PCAPSEL_H
#define NT_PCAPSEL_H

#include <stdint.h>
#include "model/model.h"
#include "model/walk.h"
#include "pcapfilt/compile.h"
#include "pcapfilt/extras.h"

struct nt_pcapsel {
	char expr[4096];
	char pcap[4096];             /* the pcap-filter part, "" = none */
	struct nt_pcapf_extras x;
	struct nt_cbpf prog;         /* DLT_EN10MB */
	const struct nt_walk *w;     /* the log's format version */
	uint64_t undecided;          /* packets left out: answer unknown */
	int why;                     /* frame offset of the first unknown field */
	char why_name[64];
	int netns_unknown;           /* netns NAME is not a namespace of the log */
	/* packets are asked once per record in `events`: answers of recent
	 * packet ids (direct mapped), and which ids were counted (1 bit each) */
	struct { uint64_t id; uint8_t answer; } memo[4096];
	uint8_t *counted;
	uint64_t counted_bits;
};

/* Parse and compile EXPR.  0, or -EINVAL / -ENOTSUP with one line in ERR. */
int nt_pcapsel_init(struct nt_pcapsel *s, const char *expr, char *err, size_t errlen);
void nt_pcapsel_free(struct nt_pcapsel *s);

/* The predicate of struct nt_select (ctx = struct nt_pcapsel). */
int nt_pcapsel_match(void *ctx, const struct nt_model *m, const struct nt_packet *p);

/* One line on stderr when packets were left out undecided. */
void nt_pcapsel_report(const struct nt_pcapsel *s);

#endif
