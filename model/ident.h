/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ident.h - who recorded a log and its wall clock, as the analyzer reads them
 * (formats/FORMAT.md: HEADER "host", "clock_ref", CLOCK blocks; issue #20).
 * Logs of older writers have no identity: label "unknown".
 */
#ifndef NT_IDENT_H
#define NT_IDENT_H

#include <stddef.h>
#include <stdint.h>

struct nt_ident {
	char label[64];            /* "unknown" when the log does not say */
	char hostname[256];
	char machine_id_hash[33];
	char boot_id[40];
	char kernel[128];
	char rot_set[80];          /* HEADER rotation.set ("" = not a rotation file) */
	uint64_t rot_seq;
	uint64_t start_mono_ns;
	uint32_t netns;            /* host scope (host.netns), 0 = none */
	int known;                 /* the HEADER had a "host" object */
};

/* Identity of a HEADER block's JSON (unusable JSON: "unknown"). */
void nt_ident_parse(struct nt_ident *id, const char *json, size_t len);

/* Wall clock of one log: the clock references seen (HEADER clock_ref, CLOCK
 * blocks), else HEADER boot_time_ns. */
struct nt_clock_ref {
	uint64_t mono, real;
};
struct nt_clock {
	struct nt_clock_ref *ref;  /* ascending mono */
	size_t n, cap;
	uint64_t boot_time_ns;     /* 0 = unknown */
};

void nt_clock_init(struct nt_clock *c);
void nt_clock_free(struct nt_clock *c);
/* A metadata block: HEADER (clock_ref, boot_time_ns) or CLOCK; others ignored.
 * 0, or -ENOMEM. */
int nt_clock_meta(struct nt_clock *c, uint16_t type, const char *json, size_t len);
/* Wall-clock ns (CLOCK_REALTIME) of monotonic TS: the latest reference at or
 * before TS (the first one before it); 0 when the log has no clock. */
uint64_t nt_clock_wall(const struct nt_clock *c, uint64_t ts);

/* A decimal string or a number of a JSON member, as u64 (0 when absent). */
struct cJSON;
uint64_t nt_json_u64(const struct cJSON *obj, const char *key);

#endif
