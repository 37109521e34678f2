/* SPDX-License-Identifier: GPL-2.0 */
/*
 * limits.h - the one table of the analyzer's resource limits (issue #16).
 *
 * A log comes from another machine; its content decides how many packets are
 * open at once, how long a packet is, how many metadata blocks there are and
 * how long a rule text is.  Every table the analyzer fills from a log is
 * bounded by one row below.  Each row has a documented default and a flag of
 * every nft-analyze command that raises (or lowers) it.
 *
 * Reaching a limit is never silent:
 *  - the analysis goes on in the documented degraded way (column "when reached");
 *  - stderr gets ONE line at the end (nt_limits_message()), e.g.
 *      nft-analyze: cap.ntl: limit reached: open packets (262144): 1523 packets
 *      closed early as incomplete; raise it with --max-open-packets N
 *    (more limits reached: "; also reached: rule text (--max-rule-text), ...");
 *  - every JSON document carries "limits_hit": [{"limit": "open_packets",
 *    "max": 262144, "count": 1523, "flag": "--max-open-packets"}] (empty array
 *    when none; NDJSON: one last line {"limits_hit": [...]} when not empty);
 *  - the exit code is 3, as for a damaged log: partial results were printed.
 *    (A damaged log and a limit together: the damage's line first, exit 3.)
 *
 *  limit          default   flag                   when reached
 *  -------------  --------  ---------------------  -----------------------------------------
 *  open_packets   262144    --max-open-packets     the least recently active open packet is
 *                                                  closed as incomplete ("evicted"), counted
 *  packet_records 65536     --max-packet-records   journeys / report / timeline / events
 *                                                  --verdict keep the first N records of a
 *                                                  packet; the rest are counted (the packet's
 *                                                  counters and times still see them) and the
 *                                                  journey says "N more records not kept"
 *  kept_bytes     256 MiB   --max-kept-bytes       records kept across all open packets: a
 *                                                  packet that would pass it keeps no more
 *                                                  records (as packet_records)
 *  meta_blocks    256       --max-meta-blocks      metadata blocks of one kind (RULESET,
 *                                                  IFACES, KSYMS, ...) after the first N are
 *                                                  skipped (a re-snapshot replaces the
 *                                                  previous one, so memory is one block's)
 *  strings        64 MiB    --max-strings          bytes of names and rule texts kept from
 *                                                  metadata (function, interface, chain,
 *                                                  drop reason names, rule texts); a block
 *                                                  whose strings would pass it is skipped
 *  chains         65536     --max-chains           chain definitions (NT_EV_NFT_CHAINDEF);
 *                                                  later keys print as "chain#KEY"
 *  rule_text      4096      --max-rule-text        bytes of a rule text printed per rule step
 *                                                  (journeys, events, timeline, flame, report):
 *                                                  cut at a character boundary and followed
 *                                                  by "… (N bytes)"; stats / by_rule print
 *                                                  it once per rule, cut the same way
 *  skbs           524288    --max-skbs             skb addresses followed at once (a packet's
 *                                                  own, its clones, skbs with waiting nft
 *                                                  steps); a record of a new address past it
 *                                                  is counted ("records of skbs not
 *                                                  followed"), not attached to a packet
 *  stacks         65536     --max-stacks           distinct kernel stacks (STACKS blocks),
 *                                                  with 64 frames each on average (32 MiB);
 *                                                  a stack past it is not kept, counted, and
 *                                                  prints as "not in the log's STACKS blocks"
 *  ct_conns       65536     --max-ct-conns         connections whose conntrack history is
 *                                                  kept (journeys' "ct: new -> established");
 *                                                  CT records of further connections are
 *                                                  counted, shown without a history
 *  observations   4000000   --max-observations     journeys of several logs: wire
 *                                                  observations (a packet's ingress and
 *                                                  egresses, ~100 bytes each) of all logs
 *                                                  together; the packets past it are not
 *                                                  stitched (journeys of one host), counted
 *
 * Flags take a count with an optional k / M / G suffix (powers of 1024 for
 * bytes, of 1000 for counts): --max-open-packets 1M, --max-strings 512M;
 * 0 is refused (use a large value): "--max-open-packets: expected a count
 * 1..2^40, got '0'" (exit 2).
 *
 * Memory: with the defaults the analyzer's peak RSS stays under
 * NT_LIMITS_RSS_MB whatever the log (tests/e2e/analyze_hostile.sh checks it
 * on every class of tests/tools/mkhostile): open packets x ~600 bytes,
 * kept_bytes, strings, one metadata block (64 MiB) and its parse tree.
 *
 * Out of memory anywhere in the analyzer is not a limit: ONE line
 * "nft-analyze: FILE: out of memory (WHAT): try lower --max-* limits" and exit 1,
 * never partial results with exit 0.
 *
 * Arithmetic on values read from a log (deadlines, durations, loss totals,
 * counters) saturates (common/sat.h): a hostile timestamp near 2^64 or a
 * counter of 2^64 - 1 gives 2^64 - 1 (or 0), never a wrapped value.
 */
#ifndef NT_LIMITS_H
#define NT_LIMITS_H

#include <stddef.h>
#include <stdint.h>

enum nt_limit_id {
	NT_LIM_OPEN_PACKETS = 0,
	NT_LIM_PACKET_RECORDS,
	NT_LIM_KEPT_BYTES,
	NT_LIM_META_BLOCKS,
	NT_LIM_STRINGS,
	NT_LIM_CHAINS,
	NT_LIM_RULE_TEXT,
	NT_LIM_SKBS,
	NT_LIM_STACKS,
	NT_LIM_CT_CONNS,
	NT_LIM_OBSERVATIONS,
	NT_LIM__N
};

/* Peak RSS of nft-analyze with the default limits, on any log (MiB). */
#define NT_LIMITS_RSS_MB 1024

struct nt_limit_def {
	const char *name;       /* JSON "limit": "open_packets" */
	const char *what;       /* message: "open packets" */
	const char *flag;       /* "--max-open-packets" */
	int bytes;              /* value in bytes (k/M/G = 1024) rather than a count */
	uint64_t def;           /* default */
	const char *effect;     /* "%llu packets closed early as incomplete" (count of nt_limits.hits) */
};

extern const struct nt_limit_def nt_limit_defs[NT_LIM__N];

struct nt_limits {
	uint64_t max[NT_LIM__N];  /* in force */
	uint64_t hits[NT_LIM__N]; /* what was affected (packets, records, blocks, ...) */
};

/* Defaults into L. */
void nt_limits_init(struct nt_limits *l);

/* Limit of FLAG ("--max-open-packets" or its name "open_packets"), -1 if none. */
int nt_limit_by_flag(const char *flag);

/* Parse VALUE for limit ID ("262144", "1M", "512M"): 0, or -1 with the one-line
 * message (without "nft-analyze: ") in ERR. */
int nt_limits_set(struct nt_limits *l, enum nt_limit_id id, const char *value, char *err,
		  size_t errlen);

/* Record that limit ID was reached, affecting N things (saturating). */
static inline void nt_limit_hit(struct nt_limits *l, enum nt_limit_id id, uint64_t n)
{
	uint64_t h = l->hits[id] + (n ? n : 1);

	l->hits[id] = h < l->hits[id] ? UINT64_MAX : h;
}

/* Number of limits reached. */
int nt_limits_reached(const struct nt_limits *l);

/* The stderr line (without "nft-analyze: FILE: " and without newline):
 * "limit reached: open packets (262144): 1523 packets closed early as
 * incomplete; raise it with --max-open-packets N[; also reached: ...]".
 * Returns its length (snprintf semantics); "" when no limit was reached. */
size_t nt_limits_message(const struct nt_limits *l, char *buf, size_t len);

/* The JSON value of "limits_hit" ("[]" when none) into BUF (snprintf
 * semantics; names and flags are program constants: no escaping needed). */
size_t nt_limits_json(const struct nt_limits *l, char *buf, size_t len);

#endif
