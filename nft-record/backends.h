/* SPDX-License-Identifier: GPL-2.0 */
/*
 * backends.h - the backend selection table of nft-record (backends.c).
 *
 * The tracepoint backend (nft-record/tracepoints.c) is always linked and always
 * attached: it carries the packet path tracepoints of every recording.  The
 * function-tracing backends (nft-record/attach_*.c) are weak: a build without
 * them still links and simply never selects them.
 */
#ifndef NT_BACKENDS_H
#define NT_BACKENDS_H

#include <stddef.h>
#include "backend.h"

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
