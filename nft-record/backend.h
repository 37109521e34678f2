/* SPDX-License-Identifier: GPL-2.0 */
/*
 * backend.h - attach backends of nft-record.
 *
 * One BPF object (bpf/nt.bpf.c, skeleton build/nt.skel.h) holds every program;
 * the recorder core opens it, sets rodata (filter) and map sizes, asks each
 * selected backend to pick its programs (autoload) before load, loads, then
 * asks the backends to attach.  All probes are BPF links owned by the process:
 * they vanish with it (kill -9 included); nothing is pinned.
 *
 * Backends: "tracepoint" (raw tracepoints: always on, the only one on kernels
 * without kprobes/fentry), "kprobe-multi", "fentry", "kprobe" (function
 * tracing of trace_config.json functions).  --backend auto picks the first
 * function backend whose probe() succeeds, in that order.
 *
 * Selection table (backend.c): the tracepoint backend (tracepoints.c) is always
 * linked and always attached: it carries the packet path tracepoints of every
 * recording.  The function-tracing backends (attach_*.c) are weak: a build
 * without them still links and simply never selects them.
 */
#ifndef NT_BACKEND_H
#define NT_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nt_bpf;     /* struct nt_bpf from build/nt.skel.h */
struct nt_funcs;   /* nft-discover/discover.h */

/* What a backend reports after attach (printed by the recorder, stored in the
 * log header). */
struct nt_attach_report {
	const char *backend;
	uint32_t requested;     /* functions asked for */
	uint32_t attached;
	uint32_t failed;
	uint32_t fallback;      /* of attached: by a classic kprobe because the backend
				 * could not take them (fentry: too many arguments) */
	char first_failures[512]; /* "name: reason; name: reason ..." (truncated) */
	double attach_ms;
};

struct nt_backend_args {
	struct nt_bpf *skel;
	const struct nt_funcs *funcs;  /* functions to trace; function id = NT_TP__COUNT + index */
	int verbose;
};

struct nt_backend {
	const char *name;
	/* one link for all functions: attach and detach of thousands take about
	 * a second (kprobe-multi); else one link per function (slow detach) */
	bool one_link;
	/* 0 if usable on the running kernel; else <0 and a one-line reason */
	int (*probe)(char *why, size_t whylen);
	/* before load: enable the programs this backend needs (autoload, attach
	 * targets, per-program config) */
	int (*prepare)(const struct nt_backend_args *a);
	/* after load: attach; fill the report.  <0 only when nothing attached. */
	int (*attach)(const struct nt_backend_args *a, struct nt_attach_report *rep);
	/* destroy links (also done implicitly at process exit) */
	void (*detach)(void);
};

/* ---- selection (backend.c) ---- */
extern const struct nt_backend nt_backend_tracepoint;

/* NULL when NAME is unknown or its backend is not linked in. */
const struct nt_backend *nt_backend_find(const char *name);

/*
 * Choose the function backend for WANT ("auto", "tracepoint", "kprobe-multi",
 * "fentry", "kprobe").  *out = the function backend, or NULL for tracepoint-only
 * mode.  why receives one line saying what was chosen and why ("kprobes
 * unavailable on this kernel: tracepoint + nftrace mode").
 * Returns 0, -EINVAL (unknown name) or -ENOTSUP (the named backend cannot run
 * here; why says why).  with_funcs = 0: no function is to be traced (e.g. the
 * function table is empty), auto then picks tracepoint-only.
 */
int nt_backend_select(const char *want, int with_funcs, const struct nt_backend **out, char *why,
		      size_t whylen);

/* "auto|tracepoint|kprobe-multi|fentry|kprobe" */
#define NT_BACKEND_NAMES "auto|tracepoint|kprobe-multi|fentry|kprobe"

#endif
