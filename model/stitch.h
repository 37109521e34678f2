/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stitch.h - one journey from the parts of a packet that several hosts'
 * logs hold (issue #20).  Only what is on the wire is compared, never skb
 * addresses (they mean nothing across machines):
 *
 *  - each completed packet of each log gives observations: "ingress" when it
 *    entered the host from a device (its first receive-path record comes
 *    before any transmit record), "egress" for every skb of it whose last
 *    transmit record is not followed by a receive record (it left the host);
 *    the key of an observation is the packet's headers at that point (as
 *    translated): addresses, protocol, ports, IPv4 id when not 0, TCP
 *    sequence number, ICMP type / code / id / sequence, fragment id and
 *    offset; TCP also by segment range (GSO / GRO cut segments differently
 *    on both ends: a received segment starting inside a sent one);
 *  - clock offsets, per pair of hosts, from the matches themselves: anchors
 *    are keys that one host sent exactly once and the other received exactly
 *    once; d = receive wall time - send wall time; with anchors both ways the
 *    offset is (d_ab - d_ba) / 2 (the lowest 5 % of each, NTP's symmetric
 *    delay assumption), one way only: d_ab (a delay of 0).  A log's clock
 *    reference (or none at all) only places the first guess;
 *  - an ingress matches the egresses of other hosts with its key (else its
 *    TCP range) whose one-way delay after the offset lies in the pair's
 *    window [-max(0.5 ms, spread), max(2 ms, 4 x spread)] (spread: 5th to
 *    95th percentile of the anchors' delays); candidates upstream of another
 *    candidate (their packet already continued into that one's host) are
 *    dropped; exactly one left: stitched.  Several: ambiguous (counted, the
 *    part stays a journey of its own).  Two ingresses of one host matched
 *    by key to one egress: both ambiguous (a TCP range may feed several);
 *  - the stitched packets form journeys (connected parts).
 *
 * Memory: one observation (48 bytes) per ingress / egress of every packet,
 * and one packet entry (~60 bytes with its map slot) per packet observed;
 * bounded by nt_stitch_set_max() (--max-observations, common/limits.h): once
 * a packet's observations would pass it, that packet and every later one are
 * not observed (journeys of one host), counted in not_observed.
 */
#ifndef NT_STITCH_H
#define NT_STITCH_H

#include <stdint.h>
#include "model/ident.h"
#include "model/model.h"

struct nt_stitch;

struct nt_stitch_counts {
	uint64_t packets;        /* packets observed */
	uint64_t ingress, egress;
	uint64_t matched;        /* ingresses stitched to an egress */
	uint64_t by_range;       /* of which by TCP segment range */
	uint64_t ambiguous;      /* ingresses with several candidates (left alone) */
	uint64_t journeys;       /* stitched journeys (2 parts or more) */
	uint64_t parts;          /* packets in them */
	uint64_t not_observed;   /* packets past the observation limit (not stitched) */
};

/* Pair of hosts whose offset was estimated (host b's clock - host a's). */
struct nt_stitch_pair {
	int a, b;
	int64_t offset_ns;
	uint64_t anchors_ab, anchors_ba;
	int64_t delay_lo_ns, delay_hi_ns; /* the window of one-way delays accepted */
};

/* SRC_HOST[i]: host index of source i (0 .. NHOST - 1). */
struct nt_stitch *nt_stitch_new(int nsrc, const int *src_host, int nhost);
void nt_stitch_free(struct nt_stitch *s);
/* At most MAX observations (ingresses + egresses) of all sources together
 * (default: no bound). */
void nt_stitch_set_max(struct nt_stitch *s, uint64_t max);
/* Pass 1: completed packet P of source SRC (its records kept), wall clock C.
 * 0 or -ENOMEM. */
int nt_stitch_packet(struct nt_stitch *s, int src, const struct nt_model *m,
		     const struct nt_clock *c, const struct nt_packet *p);
/* After every source: offsets, matches, journeys.  0 or -ENOMEM. */
int nt_stitch_solve(struct nt_stitch *s);

/* Pass 2: the journey of packet ID of source SRC, 0 when it is not stitched
 * (a journey of its own); its parts; host H's clock offset to the reference
 * (the first host of the largest connected group): reference time = wall -
 * offset. */
uint32_t nt_stitch_journey(const struct nt_stitch *s, int src, uint64_t id);
uint32_t nt_stitch_parts(const struct nt_stitch *s, uint32_t journey);
int64_t nt_stitch_host_offset(const struct nt_stitch *s, int host);
const struct nt_stitch_counts *nt_stitch_counts(const struct nt_stitch *s);
int nt_stitch_pairs(const struct nt_stitch *s, const struct nt_stitch_pair **pairs);

#endif
