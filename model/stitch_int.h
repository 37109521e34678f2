/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stitch_int.h - private to model/stitch*.c: the wire observations and the
 * searches over them (stitch_find.c) that keep stitching near-linear in the
 * number of observations: an ingress looks only at the egresses of its key
 * (or TCP flow) from each other host inside the pair's window of one-way
 * delays (binary / galloping searches over the sorted arrays), never at the
 * whole run of a key that repeats all through a log (IPv6 without an IP id,
 * pure ACKs).
 */
#ifndef NT_STITCH_INT_H
#define NT_STITCH_INT_H

#include <stddef.h>
#include <stdint.h>

#define NT_ST_MAX_CAND 8
#define NT_ST_NONE UINT32_MAX

struct obs {
	uint64_t key;       /* exact wire key */
	uint64_t flow;      /* TCP: the 5-tuple's hash (0: not TCP) */
	int64_t wall;       /* ns (the log's wall clock, or its monotonic time) */
	uint32_t seq, end;  /* TCP: sequence number; egress: end of its range */
	uint32_t len;       /* skb->len: an upper bound of the payload */
	uint32_t pk;        /* index into pk[] */
	uint32_t host;
	uint32_t match;     /* ingress: the egress index it is stitched to (NONE) */
};

/* What the candidate search reads: the egresses sorted by (key, host, wall),
 * BYFLOW their indexes sorted by (flow, host, seq, wall), LMAX the longest
 * TCP range (end - seq) of any egress, the pairs' offsets and windows. */
struct nt_st_find {
	const struct obs *eg;
	size_t neg;
	const uint32_t *byflow;
	uint32_t lmax;
	int nhost;
	const int64_t *theta, *lo, *hi;
	const uint8_t *have;
};

/* The candidates of ingress R (egress indexes, in the egresses' order), as
 * many as there are up to NT_ST_MAX_CAND, NT_ST_MAX_CAND + 1 when more;
 * *RANGE = 1 when they were found by TCP range (none by key). */
int nt_st_candidates(const struct nt_st_find *f, const struct obs *r, uint32_t *cand, int *range);

/* Ingresses IN (sorted by key, host, wall) of one host and one key matched
 * by key (ISRANGE 0) to one egress: all of them, and every other ingress
 * matched by key that lies between the first and the last of such a group
 * in its (key, host) run, get match NT_ST_NONE - 1 (ambiguous).  0 or
 * -ENOMEM. */
int nt_st_dup_matches(struct obs *in, size_t nin, const uint8_t *isrange);

#endif
