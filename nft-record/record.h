/* SPDX-License-Identifier: GPL-2.0 */
/* record.h - the recorder core of nft-record (record.c: one recording, by
 * phase; record_setup.c, record_meta.c, record_loop.c, mergeq.c). */
#ifndef NT_RECORD_H
#define NT_RECORD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/tool.h"   /* NT_EXIT_* (also in --help and README) */

#define NT_MAX_NETNS 16

struct nt_keep_expr;

/* Counters of a running recording (the status line's numbers). */
struct nt_record_progress {
	uint64_t events, packets;
	uint64_t lost_ringbuf;
	uint64_t lost_nftrace;      /* nftrace messages that found no room in the ring */
	uint64_t output_bytes;     /* complete blocks written so far */
	int done;                  /* last call: sources detached, log closed */
};

/* Consumers of a recording (nft-record --stream: stream.c, --serve: serve_feed.c).
 * Called from the thread running nt_record_run(); any member may be NULL.  The
 * recorder knows nothing else of them.  A nonzero return of event() or
 * progress() asks the recording to stop (as SIGINT: the log is closed whole). */
struct nt_record_hooks {
	void *ctx;
	/* every metadata block (TRAILER included) and record, in log order,
	 * right after it was written to the log */
	void (*meta)(void *ctx, uint16_t type, const char *json, size_t len);
	int (*event)(void *ctx, const void *rec, size_t len);
	/* sources attached: recording to OUTPUT with function backend BACKEND */
	void (*started)(void *ctx, const char *output, const char *backend);
	/* every second while recording, and once at the end (done = 1) */
	int (*progress)(void *ctx, const struct nt_record_progress *p);
};

struct nt_record_opts {
	const char *config;        /* trace_config.json, NULL = auto-discovery */
	int max_functions;         /* 0 = default (50) */
	double duration;           /* seconds, 0 = until SIGINT/SIGTERM */
	const char *output;        /* NULL = nft-trace-YYYYMMDD-HHMMSS.ntl */
	int force;
	const char *filter;
	const char *backend;       /* NULL = auto */
	const char *netns[NT_MAX_NETNS];
	int n_netns;
	size_t ringbuf_size;       /* bytes, 0 = 8 MiB */
	int verbose;
	int quiet;
	int no_nftrace;            /* do not add the nftrace table */
	int nftrace_netlink;       /* read nftables' netlink trace even when BPF
				    * nftables probes give the verdicts */
	unsigned nftrace_families; /* NT_NFTRACE_* (nftrace.h) of the owned tables, 0 = inet */
	int keep_caps;             /* keep every capability after attach (--serve
				    * starts further recordings); else they are dropped */
	const struct nt_keep_expr *keep; /* --keep (keep.h), NULL = every record */
	int keep_kernel;           /* --keep-kernel: discard in the kernel (bpf/keep.bpf.h) */
	uint64_t rotate_size;      /* --rotate bytes, 0 = none */
	uint64_t rotate_every_ns;  /* --rotate-every, 0 = none */
	uint32_t max_files;        /* --max-files, 0 = keep every file */
	uint64_t max_events_per_s; /* --max-events-per-s (safety valve), 0 = none */
	int no_status_line;        /* no live status line on a terminal's stderr */
	int stack_mode;            /* NT_STACK_* (common/bpf_shared.h): --stack */
	int conntrack;             /* --conntrack: CT records (bpf/ct.bpf.h) */
	int capture_bytes;         /* --capture-bytes N (0 off, 1 .. NT_BYTES_MAX) */
	/* consumers (NULL = none), and a stop request from another thread
	 * (checked like SIGINT; NULL = none) */
	const struct nt_record_hooks *hooks;
	const atomic_int *stop;
	/* host identity (HEADER "host", nft-record/hostid.h): label (NULL = the
	 * host name); host_netns: the recorded host is this namespace (one of
	 * netns[]): HEADER host.netns, the analyzer follows packets inside it */
	const char *host_label;
	const char *host_netns;
};

/* Run a recording; returns an NT_EXIT_* code (messages already printed). */
int nt_record_run(const struct nt_record_opts *o);

#endif
