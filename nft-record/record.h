/* SPDX-License-Identifier: GPL-2.0 */
/* record.h - the recorder core of nft-record (record.c). */
#ifndef NT_RECORD_H
#define NT_RECORD_H

#include <stddef.h>

/* Exit codes of nft-record (also in --help and README). */
#define NT_EXIT_OK 0
#define NT_EXIT_RUNTIME 1   /* runtime error (attach, I/O ...) */
#define NT_EXIT_USAGE 2     /* bad option / filter / config / output path */
#define NT_EXIT_PRIV 3      /* not root / missing CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN */
#define NT_EXIT_KERNEL 4    /* kernel lacks a feature: BTF, raw tracepoints, nftables */

#define NT_MAX_NETNS 16

struct nt_record_opts {
	const char *config;        /* trace_config.json, NULL = auto-discovery */
	int max_functions;         /* 0 = default (50) */
	double duration;           /* seconds, 0 = until SIGINT/SIGTERM */
	const char *output;        /* NULL = nft-trace-YYYYMMDD-HHMMSS.ntl */
	int force;
	int stream;
	const char *filter;
	const char *backend;       /* NULL = auto */
	const char *netns[NT_MAX_NETNS];
	int n_netns;
	size_t ringbuf_size;       /* bytes, 0 = 8 MiB */
	int verbose;
	int quiet;
	int no_nftrace;            /* do not add the nftrace table */
};

/* Run a recording; returns an NT_EXIT_* code (messages already printed). */
int nt_record_run(const struct nt_record_opts *o);

#endif
