/* SPDX-License-Identifier: GPL-2.0 */
/* ntlog.h - constants of the .ntl log container shared by logw.c and logr.c.
 * The byte layout is specified in formats/FORMAT.md. */
#ifndef NT_NTLOG_H
#define NT_NTLOG_H

#include <stdint.h>
#include "common/records.h"

#define NTL_FILE_MAGIC "NTLOG\x00\r\n"   /* 8 bytes, first bytes of the file */
#define NTL_BLOCK_MAGIC 0x4b42544eu      /* "NTBK" little-endian */

/* Block types.  Unknown types are skipped by length (forward compatible). */
enum ntl_block_type {
	NTL_B_HEADER = 1,       /* JSON: host, kernel, clock, options */
	NTL_B_FUNCS = 2,        /* JSON: traced function table (id -> name, layer ...) */
	NTL_B_KSYMS = 3,        /* JSON: kallsyms snapshot (addr -> name, module) */
	NTL_B_RULESET = 4,      /* JSON: nft ruleset snapshot with rule text */
	NTL_B_IFACES = 5,       /* JSON: ifindex -> name per netns */
	NTL_B_DROP_REASONS = 6, /* JSON: enum skb_drop_reason value -> name */
	NTL_B_STACKS = 7,       /* binary: kernel stacks by id (formats/stacks.h) */
	NTL_B_CLOCK = 8,        /* JSON: clock reference {"mono_ns", "realtime_ns"} (periodic) */
	NTL_B_EVENTS = 16,      /* binary: records of common/records.h */
	NTL_B_TRAILER = 17,     /* JSON: totals, loss counters, clean shutdown */
};

/* Limits: every length read from a file is checked against these first. */
#define NTL_MAX_BLOCK_STORED (64u << 20)  /* compressed payload */
#define NTL_MAX_BLOCK_RAW    (64u << 20)  /* decompressed payload */
#define NTL_MAX_META_RAW     (64u << 20)

#endif
