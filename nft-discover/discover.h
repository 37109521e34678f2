/* SPDX-License-Identifier: GPL-2.0 */
/*
 * discover.h - public API of nft-discover (libntdiscover.a).
 *
 * nt_discover() scans the kernel's BTF (vmlinux + every module's split BTF)
 * for every function / tracepoint that takes a struct sk_buff (directly,
 * through const/typedef/volatile, as sk_buff **, or through a small allow-list
 * of structs holding an skb such as struct nft_pktinfo), joins the result with
 * kallsyms (addresses, module) and the tracing blacklists, and classifies each
 * function into a layer (common/layers.h) with a priority 0 (critical) .. 3 (rare).
 *
 * The recorder uses it for run-time auto-discovery and to load --config files:
 *
 *	struct nt_discover_opts o = { .sz = sizeof(o) };   // all defaults: live host
 *	struct nt_funcs all = {0}, cfg = {0};
 *	char err[256];
 *	if (nt_discover(&o, &all, err, sizeof(err)) < 0) { fprintf(stderr, "%s\n", err); ... }
 *	n = nt_trace_config_load("trace_config.json", &all, &cfg, err, sizeof(err));
 *	...
 *	nt_funcs_free(&cfg); nt_funcs_free(&all);
 *
 * All functions return 0 (or a count) on success and a negative errno on error,
 * with one human-readable line (no trailing newline) in err.
 */
#ifndef NT_DISCOVER_H
#define NT_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/records.h" /* NT_KIND_* */

/* struct nt_func.flags */
#define NT_FN_NO_KSYM    (1u << 0) /* name not found in kallsyms (inlined, renamed .isra/.constprop ...) */
#define NT_FN_MULTI_ADDR (1u << 1) /* several kallsyms addresses for the name (duplicated static funcs) */
#define NT_FN_BLACKLIST  (1u << 2) /* listed in the kprobes blacklist */
#define NT_FN_NOTRACE    (1u << 3) /* absent from available_filter_functions (only when that file was read) */
#define NT_FN_NO_BTF     (1u << 4) /* module function without BTF (kernel < 5.11): kind / arg from the
				    * built-in table (modfuncs.h); kprobes only, no fentry */
#define NT_FN_PROBEABLE  (1u << 8) /* none of the above: safe to attach a probe by name */
#define NT_FN_ENABLED    (1u << 9) /* nt_trace_config_load: "enabled": true */

/*
 * One discovered function.  Strings are owned by the containing nt_funcs
 * (freed by nt_funcs_free), except layer, which points to a static string of
 * common/layers.c.
 *  name     function name; tracepoints are "category:event" ("net:netif_receive_skb")
 *  module   NULL for vmlinux, else the module name
 *  layer    "Device", "GRO", "Netfilter", ... (nt_layer_name())
 *  priority 0 critical path .. 3 rare
 *  kind     NT_KIND_SKB / _SKB_PP / _SKB_VIA / _NFT_HOOK / _TRACEPOINT (common/records.h)
 *  arg      1-based argument index (1..5) carrying the skb (or the via struct);
 *           for tracepoints, the index among the tracepoint's own arguments
 *           (the raw-tracepoint context pointer is not counted)
 *  btf_id   type id of the BTF FUNC (tracepoints: of the btf_trace_<name> typedef);
 *           ids of module functions are ids in the module's split BTF
 *  addrs    kallsyms addresses (text symbols of the right module), ascending;
 *           tracepoints: address of __traceiter_<event> (or __tracepoint_<event>)
 *  flags    NT_FN_*
 *  via      NULL, or "struct.member" through which the skb is reached (e.g. "nft_pktinfo.skb")
 *  alias    NULL, or (only with NT_FN_NO_KSYM) the compiler-renamed copy that kallsyms
 *           has instead ("__netif_receive_skb_core.constprop.0"); its arguments may
 *           differ from the BTF prototype, so it is not counted as probe-able
 */
struct nt_func {
	char *name;
	char *module;
	const char *layer;
	int priority;
	int kind;
	int arg;
	uint32_t btf_id;
	uint64_t *addrs;
	uint32_t naddrs;
	uint32_t flags;
	char *via;
	char *alias;
};

/*
 * A set of functions.  After nt_discover() the set is sorted by
 * (priority, layer order, name, module): the order trace_config.json uses.
 * The counters describe the scan (0 when the set came from a config file).
 */
struct nt_funcs {
	struct nt_func *v;
	size_t n;
	size_t btf_funcs;       /* BTF FUNC entries scanned (vmlinux + modules) */
	size_t btf_modules;     /* module BTF files scanned */
	size_t ksyms;           /* kallsyms lines parsed */
	int filter_funcs_read;  /* 1 if available_filter_functions was read (NT_FN_NOTRACE meaningful) */
	int blacklist_read;     /* 1 if the kprobes blacklist was read */
};

/*
 * Options; zero means default.  Set sz = sizeof(struct nt_discover_opts).
 *  btf_path       vmlinux BTF file, or a directory holding "vmlinux" and module
 *                 BTF files (as /sys/kernel/btf, or copied from another host).
 *                 Default /sys/kernel/btf.  With a plain file no module BTF is read.
 *  kallsyms_path  default /proc/kallsyms (any saved copy works)
 *  filter_funcs_path  available_filter_functions.  Default: live (btf_path unset or
 *                 /sys/kernel/btf): /sys/kernel/tracing/available_filter_functions;
 *                 offline with a directory: <dir>/available_filter_functions; offline
 *                 with a single file: not read.  "" = do not read.
 *                 Unreadable (EPERM here) is not an error: NT_FN_NOTRACE is then never set.
 *  blacklist_path kprobes blacklist, same defaults: /sys/kernel/debug/kprobes/blacklist
 *                 live, <dir>/kprobes_blacklist offline.  "" = do not read.  Unreadable is ok.
 *  tracefs_path   tracefs root, used to find the category of tracepoints
 *                 (events/<cat>/<name>); default /sys/kernel/tracing; "" = only
 *                 the built-in category table.
 *  no_modules     skip module BTF
 *  no_tracepoints skip btf_trace_* typedefs
 */
struct nt_discover_opts {
	size_t sz;
	const char *btf_path;
	const char *kallsyms_path;
	const char *filter_funcs_path;
	const char *blacklist_path;
	const char *tracefs_path;
	bool no_modules;
	bool no_tracepoints;
};

/*
 * Scan.  Returns 0 and fills out (caller frees with nt_funcs_free).
 * Errors (err gets one line):
 *  -ENOENT / -EACCES  BTF or kallsyms file missing / unreadable
 *  -EINVAL            corrupt BTF, or kallsyms without a single symbol
 *  -EPERM             kallsyms addresses are all zero (not root: run as root or pass --kallsyms FILE)
 *  -ENOMEM            out of memory
 * All errors except -ENOMEM are about the input files (nft-discover exits 2).
 */
int nt_discover(const struct nt_discover_opts *o, struct nt_funcs *out, char *err, size_t errlen);

/*
 * Load a trace_config.json ({"version": "1.0", "functions": [{"name", "layer",
 * "priority", "enabled", optional "kind", "arg", "module", "via"}]}).
 * Types are validated ("name" string, "layer" a known layer name, "priority"
 * integer 0..3, "enabled" boolean (default true), "arg" integer 1..5, "kind" one
 * of nt_kind_name()); a bad entry is an error (-EINVAL, err names the entry).
 * Only enabled entries are returned, in file order, with NT_FN_ENABLED set.
 * If known is not NULL, each name is looked up in it (same module when the
 * entry names one): found entries take kind/arg/btf_id/addrs/flags/via from
 * known (layer/priority from the file); names not in known are left out and
 * reported: the return value is the number of unknown names, and err lists
 * them ("3 functions not found on this kernel: a, b, c").
 * With known == NULL, entries carry what the file says (kind default skb,
 * arg default 1, no addresses, flags NT_FN_ENABLED).
 * Returns >= 0 on success, -ENOENT/-EACCES (unreadable), -EINVAL (bad JSON).
 */
int nt_trace_config_load(const char *path, const struct nt_funcs *known, struct nt_funcs *out,
			 char *err, size_t errlen);

/* Free every string/array of f and zero it (f itself is not freed). */
void nt_funcs_free(struct nt_funcs *f);

/* Find a function by name (and module, NULL = any); NULL when absent.  Linear. */
const struct nt_func *nt_funcs_find(const struct nt_funcs *f, const char *name, const char *module);

/* "skb", "skb_pp", "skb_via", "nft_hook", "tracepoint"; "?" for others. */
const char *nt_kind_name(int kind);
/* Inverse of nt_kind_name(); -1 when unknown. */
int nt_kind_parse(const char *s);

/*
 * Selection for trace_config.json: the first max (0 = no limit) probe-able
 * functions of f (already in priority order) with priority <= max_priority and
 * whose layer bit (1u << nt_layer index) is in layer_mask (0 = all layers).
 * Fills idx (caller-allocated, f->n entries) with indexes into f->v; returns the count.
 */
size_t nt_funcs_select(const struct nt_funcs *f, size_t max, int max_priority, uint32_t layer_mask,
		       bool probeable_only, size_t *idx);

#endif /* NT_DISCOVER_H */
