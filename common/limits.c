// SPDX-License-Identifier: GPL-2.0
/* limits.c - the analyzer's limit table, flag parsing, messages (limits.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "common/limits.h"

const struct nt_limit_def nt_limit_defs[NT_LIM__N] = {
	[NT_LIM_OPEN_PACKETS] = { "open_packets", "open packets", "--max-open-packets", 0, 262144,
				  "%" PRIu64 " packets closed early as incomplete" },
	[NT_LIM_PACKET_RECORDS] = { "packet_records", "records per packet", "--max-packet-records", 0,
				    65536, "%" PRIu64 " records not kept for output" },
	[NT_LIM_KEPT_BYTES] = { "kept_bytes", "bytes of kept records", "--max-kept-bytes", 1,
				256ull << 20, "%" PRIu64 " records not kept for output" },
	[NT_LIM_META_BLOCKS] = { "meta_blocks", "metadata blocks per kind", "--max-meta-blocks", 0, 256,
				 "%" PRIu64 " metadata blocks skipped" },
	[NT_LIM_STRINGS] = { "strings", "string table bytes", "--max-strings", 1, 64ull << 20,
			     "%" PRIu64 " metadata blocks skipped" },
	[NT_LIM_CHAINS] = { "chains", "chain definitions", "--max-chains", 0, 65536,
			    "%" PRIu64 " chain definitions ignored" },
	[NT_LIM_RULE_TEXT] = { "rule_text", "rule text bytes printed", "--max-rule-text", 1, 4096,
			       "%" PRIu64 " rule texts cut" },
	[NT_LIM_SKBS] = { "skbs", "skbs followed", "--max-skbs", 0, 524288,
			  "%" PRIu64 " records of skbs not followed" },
	[NT_LIM_STACKS] = { "stacks", "kernel stacks", "--max-stacks", 0, 65536,
			    "%" PRIu64 " kernel stacks not kept" },
	[NT_LIM_CT_CONNS] = { "ct_conns", "conntrack connections followed", "--max-ct-conns", 0, 65536,
			      "%" PRIu64 " conntrack records of connections not followed" },
	[NT_LIM_OBSERVATIONS] = { "observations", "wire observations of all logs",
				  "--max-observations", 0, 4000000, "%" PRIu64 " packets not stitched" },
};

#define LIMIT_MAX (1ull << 40)

void nt_limits_init(struct nt_limits *l)
{
	memset(l, 0, sizeof(*l));
	for (int i = 0; i < NT_LIM__N; i++)
		l->max[i] = nt_limit_defs[i].def;
}

int nt_limit_by_flag(const char *flag)
{
	for (int i = 0; i < NT_LIM__N; i++)
		if (!strcmp(flag, nt_limit_defs[i].flag) || !strcmp(flag, nt_limit_defs[i].name))
			return i;
	return -1;
}

int nt_limits_set(struct nt_limits *l, enum nt_limit_id id, const char *value, char *err,
		  size_t errlen)
{
	const struct nt_limit_def *d = &nt_limit_defs[id];
	unsigned long long v;
	uint64_t mul = 1, unit = d->bytes ? 1024 : 1000;
	char *end;

	errno = 0;
	v = value[0] >= '0' && value[0] <= '9' ? strtoull(value, &end, 10) : 0;
	if (value[0] >= '0' && value[0] <= '9' && !errno) {
		switch (*end) {
		case 'k': case 'K': mul = unit; end++; break;
		case 'm': case 'M': mul = unit * unit; end++; break;
		case 'g': case 'G': mul = unit * unit * unit; end++; break;
		case 't': case 'T': mul = unit * unit * unit * unit; end++; break;
		}
		if (!*end && v && v <= LIMIT_MAX / mul) {
			l->max[id] = (uint64_t)v * mul;
			return 0;
		}
	}
	{
		char shown[64];

		nt_esc_str(NT_ESC_TEXT, shown, sizeof(shown), value);
		snprintf(err, errlen, "%s: expected a %s 1..2^40 (suffixes k M G T), got '%s'", d->flag,
			 d->bytes ? "size in bytes" : "count", shown);
	}
	return -1;
}

int nt_limits_reached(const struct nt_limits *l)
{
	int n = 0;

	for (int i = 0; i < NT_LIM__N; i++)
		n += l->hits[i] != 0;
	return n;
}

#define APPEND(...) do { \
	int _k = snprintf(buf + (n < len ? n : len), n < len ? len - n : 0, __VA_ARGS__); \
	if (_k > 0) n += (size_t)_k; } while (0)

size_t nt_limits_message(const struct nt_limits *l, char *buf, size_t len)
{
	size_t n = 0;
	int first = -1;

	if (len)
		buf[0] = 0;
	for (int i = 0; i < NT_LIM__N && first < 0; i++)
		if (l->hits[i])
			first = i;
	if (first < 0)
		return 0;
	APPEND("limit reached: %s (%" PRIu64 "): ", nt_limit_defs[first].what, l->max[first]);
	APPEND(nt_limit_defs[first].effect, l->hits[first]);
	APPEND("; raise it with %s N", nt_limit_defs[first].flag);
	for (int i = first + 1, k = 0; i < NT_LIM__N; i++) {
		if (!l->hits[i])
			continue;
		APPEND("%s%s (%s)", k++ ? ", " : "; also reached: ", nt_limit_defs[i].what,
		       nt_limit_defs[i].flag);
	}
	return n;
}

size_t nt_limits_json(const struct nt_limits *l, char *buf, size_t len)
{
	size_t n = 0;
	int k = 0;

	if (len)
		buf[0] = 0;
	APPEND("[");
	for (int i = 0; i < NT_LIM__N; i++) {
		if (!l->hits[i])
			continue;
		APPEND("%s{\"limit\":\"%s\",\"max\":%" PRIu64 ",\"count\":%" PRIu64 ",\"flag\":\"%s\"}",
		       k++ ? "," : "", nt_limit_defs[i].name, l->max[i], l->hits[i],
		       nt_limit_defs[i].flag);
	}
	APPEND("]");
	return n;
}
