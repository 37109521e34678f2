/* SPDX-License-Identifier: GPL-2.0 */
/*
 * attach.h - helpers shared by the function-tracing backends
 * (attach_kprobe_multi.c, attach_fentry.c, attach_kprobe.c; implemented in
 * attach_common.c).  Not used by the recorder core: it only sees the three
 * `const struct nt_backend` objects (backend.h).
 *
 * Every backend attaches, besides the traced functions:
 *  - the nftables verdict programs of bpf/nft.bpf.h (kprobes on nft_do_chain
 *    and __nft_trace_packet), when nf_tables is present;
 *  - the skb lineage programs of bpf/func.bpf.h (fexit when the kernel has BPF
 *    trampolines, else kprobe + kretprobe pairs).
 * Failures of those are reported on stderr, never fatal.
 */
#ifndef NT_ATTACH_H
#define NT_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nft-record/backend.h"

struct nt_func;
struct bpf_program;

#define NT_ATTACH_MAX_ARG 5

/* Attach cookie of function F with function id ID (layout: bpf/func.bpf.h). */
uint64_t nt_attach_cookie(const struct nt_func *f, uint32_t id);

/* Function id of the index-th function of the backend's list. */
uint32_t nt_attach_func_id(size_t index);

/*
 * Whether F can be probed by a function backend: kind is not a tracepoint,
 * 1 <= arg <= 5, the name is in kallsyms, not blacklisted, traceable.  On no,
 * why receives a short reason ("not in kallsyms").
 */
bool nt_attach_eligible(const struct nt_func *f, char *why, size_t whylen);

/* Count a failure in REP and append "name: reason" to first_failures (first few). */
void nt_attach_fail(struct nt_attach_report *rep, const char *name, const char *reason);

/* CLOCK_MONOTONIC in milliseconds. */
double nt_attach_now_ms(void);

/* Program of the skeleton by name (NULL when absent). */
struct bpf_program *nt_attach_prog(const struct nt_backend_args *a, const char *name);

/* 0 when the running kernel has kprobes for BPF; else <0 + why.  On success,
 * why (when not NULL) may receive a note on how they run here ("" if none). */
int nt_attach_probe_kprobe(char *why, size_t whylen);

/* 0 when the running kernel has BPF trampolines (fentry/fexit, >= 5.5 with
 * BTF); else <0 + why.  Cached. */
int nt_attach_probe_fentry(char *why, size_t whylen);

/* Attach cookies: tracing programs (fentry) from 6.0, kprobes from 5.15.
 * Without them (5.10), fentry loads one clone per function with its cookie
 * patched in, kprobes find it by the probed address (below).  Cached. */
bool nt_attach_fentry_cookies(void);
bool nt_attach_kprobe_cookies(void);

/* Kprobes without cookies (bpf/func.bpf.h nt_kpa<N>, map nt_kp_addrs).
 * Before load: size the map for every address of a->funcs, autoload nt_kpa<p>
 * for used[p] (p = 1..NT_ATTACH_MAX_ARG).  After load: put F's kallsyms
 * addresses -> COOKIE in the map and attach nt_kpa<F->arg> to F by name; NULL
 * + errno on failure (ENOENT: F has no kallsyms address). */
int nt_attach_kpa_prepare(const struct nt_backend_args *a, const bool *used);
struct bpf_link *nt_attach_kpa(const struct nt_backend_args *a, const struct nt_func *f,
			       uint64_t cookie);

/* Before load: enable the nftables + lineage programs (use_fexit: lineage by fexit). */
int nt_attach_extra_prepare(const struct nt_backend_args *a, bool use_fexit);
/* After load: attach them.  Prints one note per failure on stderr. */
void nt_attach_extra_attach(const struct nt_backend_args *a, bool use_fexit);
void nt_attach_extra_detach(void);
/* How many nftables verdict programs (nft_do_chain, __nft_trace_packet) are
 * attached: when > 0 the recorder takes rule verdicts from BPF, not netlink. */
uint32_t nt_attach_nft_links(void);
/* nf_tables' types are in the kernel's BTF: its verdict programs can load
 * (before the load; 5.10 has no module BTF) */
bool nt_attach_nft_btf(void);
/* After the load, before every other probe (with --keep-kernel, which judges
 * on their steps): the nftables programs attached, all or none.  0 (also
 * when they are not loaded), or -errno with which failed and why in WHY;
 * then they are left out (nt_attach_nft_off) and nftables' own trace
 * (netlink) gives the nft steps.  The caller keeps the programs quiet
 * (nt_off) until the others attach. */
int nt_attach_nft_now(struct nt_bpf *skel, char *why, size_t len);
/* The nftables programs are left out from now on (the next prepare does
 * not load them: one of them was refused).  -EALREADY when they were. */
int nt_attach_nft_off(void);
/* A new recording (--serve starts several): the nftables programs are tried
 * again. */
void nt_attach_nft_reset(void);

/* Stop recording before the detach: every probe returns at once (BPF nt_off). */
void nt_attach_quiesce(void);

/*
 * Detach helpers: close link fds / destroy links from up to 32 threads.
 * Unregistering one trampoline or kprobe waits for an RCU (tasks) grace period
 * (~0.1 s each on 6.1); concurrent waiters share grace periods, so detaching
 * a thousand probes takes seconds instead of minutes.  Arrays are not freed.
 */
void nt_attach_close_fds(int *fds, size_t n);
struct bpf_link;
void nt_attach_destroy_links(struct bpf_link **links, size_t n);
/* At most N detach threads (default 32).  The background detach of a CLI
 * recording uses 1: on 6.1 every fentry detach holds ftrace's direct_mutex
 * for its grace period, so 32 detaching threads queue ahead of a second
 * recording's attach (232 s for 93 functions behind 1,781 detaches), one
 * alternates with it. */
void nt_attach_set_detach_threads(size_t n);

/*
 * File descriptors: a backend holding one fd per function (fentry links,
 * kprobe perf events) raises RLIMIT_NOFILE (nt_attach_raise_nofile) and keeps
 * those fds above the first NT_FD_LOW numbers, so fds the recorder opens later
 * stay below FD_SETSIZE (libnftables uses select()).  nt_attach_fd_fill()
 * occupies every free fd below NT_FD_LOW (dups of one /dev/null fd) while a
 * library allocates the per-function fds; nt_attach_fd_unfill() frees them.
 */
#define NT_FD_LOW 4096
void nt_attach_raise_nofile(void);
void nt_attach_fd_fill(void);
void nt_attach_fd_unfill(void);

/* Final report line on stderr when verbose. */
void nt_attach_report_print(const struct nt_attach_report *rep);

#endif
