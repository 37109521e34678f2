/* SPDX-License-Identifier: GPL-2.0 */
/*
 * layers.h - network stack layers and the one classification table
 * (common/layers.c) that maps a kernel function / tracepoint name to a layer
 * and a priority: 0 = critical path (every packet passes), 1 = important,
 * 2 = common helper, 3 = rare.
 */
#ifndef NT_LAYERS_H
#define NT_LAYERS_H

#include <stdint.h>

#include "common/bpf_shared.h" /* NT_ROLE_* */

/* Order is the display order (and the tie-break of trace_config.json). */
enum nt_layer {
	NT_LAYER_DEVICE,
	NT_LAYER_GRO,
	NT_LAYER_NETFILTER,
	NT_LAYER_IPV4,
	NT_LAYER_IPV6,
	NT_LAYER_TCP,
	NT_LAYER_UDP,
	NT_LAYER_ROUTING,
	NT_LAYER_XMIT,
	NT_LAYER_SOFTIRQ,
	NT_LAYER_BRIDGE,
	NT_LAYER_SOCKET,
	NT_LAYER_OTHER,
	NT_LAYER__COUNT
};

#define NT_PRIO_MAX 3

/* "Device", "GRO", ...; NULL when out of range. */
const char *nt_layer_name(int layer);

/* Case-insensitive name -> enum nt_layer; -1 when unknown. */
int nt_layer_parse(const char *name);

/* Comma/space separated list -> bit mask (1u << layer); -1 (and *bad = the
 * offending token, pointing into s) if a name is unknown. */
int64_t nt_layers_parse_list(const char *s, const char **bad, int *badlen);

/*
 * Classify a function name (for tracepoints pass the event name without the
 * category, e.g. "netif_receive_skb", and is_tp = 1).  Returns the layer and
 * stores the priority (0..3) in *prio.  Never fails: unknown names are
 * NT_LAYER_OTHER, priority 3.  rule, if not NULL, receives the index of the
 * matching table rule (-1 for the default), for tests and --verbose.
 */
int nt_layer_classify(const char *name, int is_tp, int *prio, int *rule);

/* Number of rules in the table, and a rule's pattern (for tests / docs). */
int nt_layer_rule_count(void);
const char *nt_layer_rule_pattern(int rule);

/*
 * Role of a traced function (is_tp = 0) or tracepoint (is_tp = 1, "cat:name"
 * or "name") for a packet's identity and fate: NT_ROLE_* of
 * common/bpf_shared.h (alloc, free, drop, deliver, xmit), NT_ROLE_NONE (0).
 */
int nt_func_role(const char *name, int is_tp);

/* "alloc", "free", "drop", "deliver", "xmit"; NULL for NT_ROLE_NONE / unknown. */
const char *nt_role_name(int role);

#endif /* NT_LAYERS_H */
