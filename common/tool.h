/* SPDX-License-Identifier: GPL-2.0 */
/* tool.h - what the three binaries share: version string and exit codes
 * (README "Exit codes" has the table). */
#ifndef NT_TOOL_H
#define NT_TOOL_H

#define NT_VERSION "0.1.0"

/* Every binary */
#define NT_EXIT_OK 0
#define NT_EXIT_RUNTIME 1   /* runtime error: out of memory, I/O, attach ... */
#define NT_EXIT_USAGE 2     /* bad option / input: flag, filter, config, path, unusable log */
/* nft-record */
#define NT_EXIT_PRIV 3      /* not root / missing CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN */
#define NT_EXIT_KERNEL 4    /* kernel lacks a feature: BTF, raw tracepoints, nftables */
/* nft-analyze (not diff) */
#define NT_EXIT_PARTIAL 3   /* log truncated / corrupt: results of everything before the damage */
/* nft-analyze diff: cmp(1) style, 2 or more = trouble */
#define NT_EXIT_DIFF_SAME 0
#define NT_EXIT_DIFF_DIFFERENT 1
#define NT_EXIT_DIFF_BAD_INPUT 2 /* usage error / unusable log */
#define NT_EXIT_DIFF_RUNTIME 3   /* out of memory, write error */

#endif
