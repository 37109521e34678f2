/* SPDX-License-Identifier: GPL-2.0 */
/*
 * output.h - JSON documents of nft-discover (field reference: README.md
 * "## nft-discover"): enhanced_skb_functions.json, trace_config.json, the
 * summary object, and the atomic file writer.
 */
#ifndef NT_DISCOVER_OUTPUT_H
#define NT_DISCOVER_OUTPUT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "nft-discover/discover.h"

/* What the summary reports besides the scan result itself. */
struct nt_summary_info {
	const char *btf;        /* --btf as given (or the default) */
	const char *kallsyms;
	double scan_ms;         /* nt_discover() */
	double total_ms;        /* whole run, set just before the files are written */
	size_t selected;        /* functions after --priority / --layers (in the functions file) */
	size_t config;          /* functions in trace_config.json */
	int max_priority;
	unsigned layer_mask;    /* 0 = all */
	size_t max_trace;
};

/* The summary object (caller frees with cJSON_Delete); NULL on ENOMEM. */
cJSON *nt_summary_json(const struct nt_funcs *f, const struct nt_summary_info *si);

/* One function as a JSON object (all fields). */
cJSON *nt_func_json(const struct nt_func *fn);

/* enhanced_skb_functions.json: {"version","generator","source","summary","functions":[...]}
 * holding f->v[idx[i]] for i < n.  0 or -errno (err set). */
int nt_write_functions_json(const char *path, const struct nt_funcs *f, const size_t *idx, size_t n,
			    const struct nt_summary_info *si, char *err, size_t errlen);

/* trace_config.json: {"version": "1.0", "generator", "functions": [{"name", "layer",
 * "priority", "enabled", "kind", "arg", "module"[, "via"]}]}.  0 or -errno. */
int nt_write_config_json(const char *path, const struct nt_funcs *f, const size_t *idx, size_t n,
			 char *err, size_t errlen);

/* Write data to path atomically: temp file in the same directory, mode 0644,
 * then rename().  0 or -errno (err: "cannot write PATH: reason"). */
int nt_write_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen);

#endif
