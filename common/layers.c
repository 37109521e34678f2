// SPDX-License-Identifier: GPL-2.0
/*
 * layers.c - THE table of layer classification rules.
 *
 * Each rule is {pattern, layer, priority, scope}.  Patterns:
 *   "name"    exact match
 *   "pre*"    prefix
 *   "*suf"    suffix
 *   "*mid*"   substring
 * Rules are tried top to bottom, the first match wins, so exact names of the
 * critical path come first, then specific prefixes, then generic ones.
 * scope: ANY (functions and tracepoints), FN (functions only), TP (tracepoint
 * event names only, without their "category:").
 * Priorities: 0 critical path (every packet of that kind passes), 1 important
 * (common branches, drop/verdict points), 2 helpers, 3 rare.
 * Unmatched names: Other, priority 3.
 */
#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "common/layers.h"
#include "common/bpf_shared.h"

enum { ANY, FN, TP };

struct layer_rule {
	const char *pat;
	unsigned char layer;
	unsigned char prio;
	unsigned char scope;
};

#define R(p, l, pr) { p, NT_LAYER_##l, pr, ANY }
#define RF(p, l, pr) { p, NT_LAYER_##l, pr, FN }
#define RT(p, l, pr) { p, NT_LAYER_##l, pr, TP }

static const struct layer_rule rules[] = {
	/* ---- tracepoints (event names) ---- */
	RT("kfree_skb", OTHER, 0),               /* skb:kfree_skb: every drop, with reason */
	RT("consume_skb", OTHER, 1),
	RT("netif_receive_skb", DEVICE, 0),
	RT("netif_receive_skb_entry", DEVICE, 1),
	RT("netif_rx", DEVICE, 1),
	RT("netif_rx_entry", DEVICE, 1),
	RT("napi_gro_receive_entry", GRO, 1),
	RT("napi_gro_frags_entry", GRO, 2),
	RT("net_dev_queue", XMIT, 0),
	RT("net_dev_start_xmit", XMIT, 1),
	RT("net_dev_xmit", XMIT, 1),
	RT("qdisc_*", XMIT, 2),
	RT("skb_copy_datagram_iovec", SOCKET, 3),

	/* ---- drop / free points ---- */
	R("kfree_skb_reason", OTHER, 0),
	R("sk_skb_reason_drop", OTHER, 0),
	R("kfree_skb", OTHER, 1),
	R("kfree_skb_list_reason", OTHER, 1),
	R("consume_skb", OTHER, 1),
	R("__kfree_skb", OTHER, 2),
	R("kfree_skbmem", OTHER, 2),
	R("skb_clone", OTHER, 2),
	R("skb_copy", OTHER, 2),
	R("pskb_copy", OTHER, 2),
	R("pskb_expand_head", OTHER, 2),

	/* ---- Device: receive entry points ---- */
	R("__netif_receive_skb_core", DEVICE, 0),
	R("__netif_receive_skb", DEVICE, 0),
	R("__netif_receive_skb_one_core", DEVICE, 0),
	R("netif_receive_skb", DEVICE, 0),
	R("netif_receive_skb_internal", DEVICE, 0),
	R("__netif_receive_skb_list_core", DEVICE, 1),
	R("netif_receive_skb_list_internal", DEVICE, 1),
	R("netif_rx", DEVICE, 1),
	R("netif_rx_internal", DEVICE, 1),
	R("__netif_rx", DEVICE, 1),
	R("enqueue_to_backlog", DEVICE, 1),
	R("eth_type_trans", DEVICE, 1),
	R("deliver_skb", DEVICE, 2),
	R("do_xdp_generic", DEVICE, 1),
	R("netif_receive_generic_xdp", DEVICE, 2),
	R("xdp_*", DEVICE, 2),
	R("*generic_xdp*", DEVICE, 2),

	/* ---- SoftIRQ ---- */
	R("net_rx_action", SOFTIRQ, 0),          /* takes no skb: classified, never discovered */
	R("net_tx_action", SOFTIRQ, 1),
	R("process_backlog", SOFTIRQ, 1),
	R("__napi_poll", SOFTIRQ, 1),
	R("napi_poll", SOFTIRQ, 1),

	/* ---- GRO ---- */
	R("napi_gro_receive", GRO, 0),
	R("gro_receive_skb", GRO, 0),
	R("dev_gro_receive", GRO, 1),
	R("napi_gro_frags", GRO, 1),
	R("inet_gro_receive", GRO, 1),
	R("ipv6_gro_receive", GRO, 1),
	R("tcp4_gro_receive", GRO, 1),
	R("tcp6_gro_receive", GRO, 1),
	R("napi_gro_*", GRO, 2),
	R("gro_*", GRO, 2),
	R("*_gro_receive*", GRO, 2),
	R("*_gro_complete*", GRO, 2),
	R("*_gso_segment*", GRO, 3),
	R("skb_gro_*", GRO, 2),
	R("skb_gso_*", GRO, 3),
	R("napi_*", SOFTIRQ, 2),

	/* ---- Netfilter ---- */
	R("nf_hook_slow", NETFILTER, 0),
	R("nft_do_chain", NETFILTER, 0),
	R("nf_hook_slow_list", NETFILTER, 1),
	R("nft_do_chain_*", NETFILTER, 1),
	R("nft_immediate_eval", NETFILTER, 1),
	R("__nft_trace_packet", NETFILTER, 1),
	R("nf_conntrack_in", NETFILTER, 1),
	R("nf_conntrack_confirm", NETFILTER, 1),
	R("__nf_conntrack_confirm", NETFILTER, 1),
	R("ipv4_conntrack_*", NETFILTER, 1),
	R("ipv6_conntrack_*", NETFILTER, 1),
	R("nf_nat_ipv4_*", NETFILTER, 1),
	R("nf_nat_ipv6_*", NETFILTER, 1),
	R("ipt_do_table", NETFILTER, 1),
	R("ip6t_do_table", NETFILTER, 1),
	R("nf_queue", NETFILTER, 1),
	R("nf_reinject", NETFILTER, 1),
	R("nft_*", NETFILTER, 2),
	R("nf_*", NETFILTER, 2),
	R("__nf_*", NETFILTER, 2),
	R("nfqnl_*", NETFILTER, 2),
	R("nfulnl_*", NETFILTER, 3),
	R("xt_*", NETFILTER, 3),
	R("ipt_*", NETFILTER, 2),
	R("ip6t_*", NETFILTER, 2),
	R("arpt_*", NETFILTER, 3),
	R("ebt_*", NETFILTER, 3),
	R("ip_vs_*", NETFILTER, 3),
	R("*conntrack*", NETFILTER, 2),
	R("ip_set_*", NETFILTER, 3),           /* ipset (before ip_*) */
	R("ctnetlink_*", NETFILTER, 3),
	R("nfnetlink_*", NETFILTER, 3),
	R("nfnl_*", NETFILTER, 3),
	R("cttimeout_*", NETFILTER, 3),
	R("synproxy_*", NETFILTER, 3),
	R("connmark_*", NETFILTER, 3),
	R("hashlimit_*", NETFILTER, 3),
	R("tcpmss_*", NETFILTER, 3),
	R("tproxy_*", NETFILTER, 3),
	R("nfqueue_*", NETFILTER, 3),

	/* ---- Bridge (before IPv4: br_nf_* are bridge netfilter glue) ---- */
	R("br_handle_frame", BRIDGE, 0),
	R("br_handle_frame_finish", BRIDGE, 1),
	R("br_forward", BRIDGE, 1),
	R("__br_forward", BRIDGE, 1),
	R("br_pass_frame_up", BRIDGE, 1),
	R("br_dev_xmit", BRIDGE, 1),
	R("br_*", BRIDGE, 2),
	R("__br_*", BRIDGE, 2),
	R("nbp_*", BRIDGE, 3),

	/* ---- Routing (before IPv4/IPv6 generic prefixes) ---- */
	R("ip_route_input_noref", ROUTING, 0),
	R("ip_route_input_slow", ROUTING, 1),
	R("ip_route_input_rcu", ROUTING, 1),
	R("ip_route_use_hint", ROUTING, 1),
	R("ip6_route_input", ROUTING, 1),
	R("fib_validate_source", ROUTING, 1),
	R("ip_route_*", ROUTING, 2),
	R("ip6_route_*", ROUTING, 2),
	R("fib_*", ROUTING, 2),
	R("fib4_*", ROUTING, 2),
	R("fib6_*", ROUTING, 2),
	R("__fib_*", ROUTING, 2),
	R("rt6_*", ROUTING, 2),
	R("ip6_pol_route*", ROUTING, 2),
	R("ip_mkroute_*", ROUTING, 2),
	R("neigh_resolve_output", XMIT, 1),
	R("neigh_*", ROUTING, 2),
	R("__neigh_*", ROUTING, 2),
	R("ipmr_*", ROUTING, 3),
	R("ip6mr_*", ROUTING, 3),
	R("lwtunnel_*", ROUTING, 3),
	R("neightbl_*", ROUTING, 3),
	R("dst_*", ROUTING, 3),
	R("ipv4_dst_*", ROUTING, 3),
	R("ip6_dst_*", ROUTING, 3),

	/* ---- Tunnels: virtual devices (before ip_/udp_) ---- */
	R("ip_tunnel_*", DEVICE, 2),
	R("ip6_tnl_*", DEVICE, 2),
	R("iptunnel_*", DEVICE, 2),
	R("udp_tunnel*", DEVICE, 2),
	R("vxlan_*", DEVICE, 2),
	R("geneve_*", DEVICE, 2),
	R("gre_*", DEVICE, 2),
	R("ipgre_*", DEVICE, 2),
	R("ip6gre_*", DEVICE, 2),
	R("ipip_*", DEVICE, 3),
	R("ipip6_*", DEVICE, 3),
	R("wg_*", DEVICE, 3),
	R("veth_*", DEVICE, 2),
	R("loopback_*", DEVICE, 2),
	R("tun_*", DEVICE, 3),
	R("macvlan_*", DEVICE, 3),
	R("ipvlan_*", DEVICE, 3),
	R("vlan_*", DEVICE, 2),
	R("skb_vlan_*", DEVICE, 3),
	R("bond_*", DEVICE, 3),
	R("virtnet_*", DEVICE, 2),
	R("virtio_net_*", DEVICE, 3),
	R("dummy_*", DEVICE, 3),
	R("netdev_*", DEVICE, 2),

	/* ---- IPv4 ---- */
	R("ip_rcv", IPV4, 0),
	R("ip_rcv_finish", IPV4, 0),
	R("ip_local_deliver", IPV4, 0),
	R("ip_local_deliver_finish", IPV4, 0),
	R("ip_forward", IPV4, 0),
	R("ip_output", IPV4, 0),
	R("ip_finish_output", IPV4, 0),
	R("ip_finish_output2", IPV4, 0),
	R("ip_local_out", IPV4, 0),
	R("ip_rcv_core", IPV4, 1),
	R("ip_list_rcv", IPV4, 1),
	R("ip_sublist_rcv", IPV4, 1),
	R("ip_rcv_finish_core", IPV4, 1),
	R("ip_protocol_deliver_rcu", IPV4, 1),
	R("ip_forward_finish", IPV4, 1),
	R("__ip_finish_output", IPV4, 1),
	R("__ip_local_out", IPV4, 1),
	R("ip_queue_xmit", IPV4, 1),
	R("__ip_queue_xmit", IPV4, 1),
	R("ip_send_skb", IPV4, 1),
	R("ip_mc_output", IPV4, 1),
	R("ip_mc_input", IPV4, 1),
	R("icmp_rcv", IPV4, 1),
	R("icmp_*", IPV4, 2),
	R("__icmp_*", IPV4, 2),
	R("ip_*", IPV4, 2),
	R("__ip_*", IPV4, 2),
	R("ipv4_*", IPV4, 2),
	R("igmp_*", IPV4, 3),
	R("arp_*", IPV4, 2),
	R("raw_local_deliver", IPV4, 2),

	/* ---- IPv6 ---- */
	R("ipv6_rcv", IPV6, 0),
	R("ip6_rcv_finish", IPV6, 0),
	R("ip6_input", IPV6, 0),
	R("ip6_input_finish", IPV6, 0),
	R("ip6_forward", IPV6, 0),
	R("ip6_output", IPV6, 0),
	R("ip6_finish_output", IPV6, 0),
	R("ip6_finish_output2", IPV6, 0),
	R("ip6_rcv_core", IPV6, 1),
	R("ipv6_list_rcv", IPV6, 1),
	R("ip6_sublist_rcv", IPV6, 1),
	R("ip6_protocol_deliver_rcu", IPV6, 1),
	R("ip6_forward_finish", IPV6, 1),
	R("ip6_xmit", IPV6, 1),
	R("ip6_local_out", IPV6, 1),
	R("__ip6_local_out", IPV6, 1),
	R("ip6_send_skb", IPV6, 1),
	R("icmpv6_rcv", IPV6, 1),
	R("icmpv6_*", IPV6, 2),
	R("icmp6_*", IPV6, 2),
	R("ndisc_*", IPV6, 2),
	R("mld_*", IPV6, 3),
	R("ip6_*", IPV6, 2),
	R("__ip6_*", IPV6, 2),
	R("ipv6_*", IPV6, 2),
	R("seg6_*", IPV6, 3),
	R("ioam6_*", IPV6, 3),
	R("ip6addrlbl_*", IPV6, 3),
	R("rawv6_*", SOCKET, 2),

	/* ---- TCP ---- */
	R("tcp_v4_rcv", TCP, 0),
	R("tcp_v6_rcv", TCP, 0),
	R("tcp_v4_do_rcv", TCP, 0),
	R("tcp_v6_do_rcv", TCP, 0),
	R("tcp_rcv_established", TCP, 0),
	R("tcp_rcv_state_process", TCP, 1),
	R("tcp_v4_send_reset", TCP, 1),
	R("tcp_v6_send_reset", TCP, 1),
	R("__tcp_transmit_skb", TCP, 1),
	R("tcp_transmit_skb", TCP, 1),
	R("tcp_data_queue", TCP, 1),
	R("tcp_ack", TCP, 1),
	R("tcp_add_backlog", TCP, 1),
	R("tcp_filter", TCP, 1),
	R("tcp_*", TCP, 2),
	R("__tcp_*", TCP, 2),
	R("tcp4_*", TCP, 2),
	R("tcp6_*", TCP, 2),
	R("inet_csk_*", TCP, 3),
	R("mptcp_*", TCP, 3),
	R("subflow_*", TCP, 3),              /* MPTCP subflows */
	R("cookie_*", TCP, 3),               /* SYN cookies */

	/* ---- UDP ---- */
	R("udp_rcv", UDP, 0),
	R("udpv6_rcv", UDP, 0),
	R("__udp4_lib_rcv", UDP, 0),
	R("__udp6_lib_rcv", UDP, 1),
	R("udp_queue_rcv_skb", UDP, 1),
	R("udp_queue_rcv_one_skb", UDP, 1),
	R("udpv6_queue_rcv_skb", UDP, 1),
	R("udp_unicast_rcv_skb", UDP, 1),
	R("udp_send_skb", UDP, 1),
	R("udp_*", UDP, 2),
	R("__udp_*", UDP, 2),
	R("udp4_*", UDP, 2),
	R("udp6_*", UDP, 2),
	R("udpv6_*", UDP, 2),
	R("__udp4_*", UDP, 2),
	R("__udp6_*", UDP, 2),
	R("udplite_*", UDP, 3),

	/* ---- Xmit (device transmit + qdisc) ---- */
	R("dev_queue_xmit", XMIT, 0),
	R("__dev_queue_xmit", XMIT, 0),
	R("dev_hard_start_xmit", XMIT, 0),
	R("__dev_xmit_skb", XMIT, 1),
	R("sch_direct_xmit", XMIT, 1),
	R("validate_xmit_skb", XMIT, 1),
	R("validate_xmit_skb_list", XMIT, 2),
	R("xmit_one", XMIT, 1),
	R("dev_queue_xmit_nit", XMIT, 2),
	R("qdisc_*", XMIT, 2),
	R("__qdisc_*", XMIT, 2),
	R("sch_*", XMIT, 2),
	R("pfifo_*", XMIT, 2),
	R("bfifo_*", XMIT, 3),
	R("fq_*", XMIT, 2),
	R("htb_*", XMIT, 3),
	R("tbf_*", XMIT, 3),
	R("netem_*", XMIT, 3),
	R("tcf_*", XMIT, 2),
	R("tc_*", XMIT, 2),
	R("cls_*", XMIT, 3),
	R("*_xmit", XMIT, 2),
	R("*_xmit_*", XMIT, 2),
	R("dev_*", DEVICE, 2),
	R("__dev_*", DEVICE, 2),
	R("netif_*", DEVICE, 2),
	R("__netif_*", DEVICE, 2),
	R("eth_*", DEVICE, 2),

	/* ---- Socket ---- */
	R("sock_queue_rcv_skb", SOCKET, 1),
	R("__sock_queue_rcv_skb", SOCKET, 1),
	R("sock_queue_rcv_skb_reason", SOCKET, 1),
	R("sk_filter_trim_cap", SOCKET, 1),
	R("sock_*", SOCKET, 2),
	R("__sock_*", SOCKET, 2),
	R("sk_*", SOCKET, 2),
	R("__sk_*", SOCKET, 2),
	R("inet_*", SOCKET, 2),
	R("inet6_*", SOCKET, 2),
	R("raw_*", SOCKET, 2),
	R("ping_*", SOCKET, 2),
	R("packet_*", SOCKET, 2),
	R("tpacket_*", SOCKET, 3),
	R("skb_recv_*", SOCKET, 2),
	R("__skb_recv_*", SOCKET, 2),
	R("skb_copy_datagram_*", SOCKET, 2),
	R("skb_consume_udp", SOCKET, 2),
	R("unix_*", SOCKET, 3),
	R("netlink_*", SOCKET, 3),
	R("__netlink_*", SOCKET, 3),
};

#define NRULES ((int)(sizeof(rules) / sizeof(rules[0])))

static const char *const layer_names[NT_LAYER__COUNT] = {
	[NT_LAYER_DEVICE] = "Device",
	[NT_LAYER_GRO] = "GRO",
	[NT_LAYER_NETFILTER] = "Netfilter",
	[NT_LAYER_IPV4] = "IPv4",
	[NT_LAYER_IPV6] = "IPv6",
	[NT_LAYER_TCP] = "TCP",
	[NT_LAYER_UDP] = "UDP",
	[NT_LAYER_ROUTING] = "Routing",
	[NT_LAYER_XMIT] = "Xmit",
	[NT_LAYER_SOFTIRQ] = "SoftIRQ",
	[NT_LAYER_BRIDGE] = "Bridge",
	[NT_LAYER_SOCKET] = "Socket",
	[NT_LAYER_OTHER] = "Other",
};

const char *nt_layer_name(int layer)
{
	if (layer < 0 || layer >= NT_LAYER__COUNT)
		return NULL;
	return layer_names[layer];
}

int nt_layer_parse(const char *name)
{
	for (int i = 0; i < NT_LAYER__COUNT; i++)
		if (!strcasecmp(name, layer_names[i]))
			return i;
	return -1;
}

int64_t nt_layers_parse_list(const char *s, const char **bad, int *badlen)
{
	int64_t mask = 0;
	char tok[32];

	while (*s) {
		size_t n = strcspn(s, ", \t");
		if (n) {
			int l = -1;
			if (n < sizeof(tok)) {
				memcpy(tok, s, n);
				tok[n] = 0;
				l = nt_layer_parse(tok);
			}
			if (l < 0) {
				if (bad)
					*bad = s;
				if (badlen)
					*badlen = (int)n;
				return -1;
			}
			mask |= (int64_t)1 << l;
		}
		s += n;
		if (*s)
			s++;
	}
	return mask;
}

/* Glob with '*' only at the start and/or the end. */
static int pat_match(const char *pat, const char *name)
{
	size_t pl = strlen(pat), nl;
	int lead = pat[0] == '*';
	int trail = pl > 1 && pat[pl - 1] == '*';

	if (!lead && !trail)
		return !strcmp(pat, name);
	if (!lead) /* prefix */
		return !strncmp(pat, name, pl - 1);
	nl = strlen(name);
	if (!trail) { /* suffix */
		pl--;
		return nl >= pl && !memcmp(name + nl - pl, pat + 1, pl);
	}
	/* substring */
	char mid[64];
	size_t ml = pl - 2;
	if (ml >= sizeof(mid))
		return 0;
	memcpy(mid, pat + 1, ml);
	mid[ml] = 0;
	return strstr(name, mid) != NULL;
}

int nt_layer_classify(const char *name, int is_tp, int *prio, int *rule)
{
	for (int i = 0; i < NRULES; i++) {
		const struct layer_rule *r = &rules[i];
		if (r->scope == (is_tp ? FN : TP))
			continue;
		if (pat_match(r->pat, name)) {
			if (prio)
				*prio = r->prio;
			if (rule)
				*rule = i;
			return r->layer;
		}
	}
	if (prio)
		*prio = NT_PRIO_MAX;
	if (rule)
		*rule = -1;
	return NT_LAYER_OTHER;
}

int nt_layer_rule_count(void)
{
	return NRULES;
}

const char *nt_layer_rule_pattern(int rule)
{
	return rule >= 0 && rule < NRULES ? rules[rule].pat : NULL;
}

/*
 * Roles of functions and tracepoints for a packet's identity and fate
 * (NT_ROLE_*, common/bpf_shared.h): the recorder puts alloc / free into the
 * probes' cookies (a packet starts where its skb is built, ends where it is
 * freed) and every role into the FUNCS block, where the analyzer reads a
 * packet's fate (dropped, delivered to a socket, sent out of a device).
 * Only functions that always do what their role says are listed: consume_skb
 * or kfree_skb free only the last reference (their tracepoints fire when they
 * do), skb_attempt_defer_free frees later on another CPU.
 */
static const struct {
	const char *name;
	unsigned char role;
	unsigned char scope;
} roles[] = {
	/* the skb argument is being (re)built */
	{ "__build_skb_around", NT_ROLE_ALLOC, FN },
	{ "__finalize_skb_around", NT_ROLE_ALLOC, FN },
	{ "build_skb_around", NT_ROLE_ALLOC, FN },
	/* allocators (probed on return, alloc.bpf.h) */
	{ "__alloc_skb", NT_ROLE_ALLOC, FN },
	{ "__netdev_alloc_skb", NT_ROLE_ALLOC, FN },
	{ "__napi_alloc_skb", NT_ROLE_ALLOC, FN },
	{ "napi_alloc_skb", NT_ROLE_ALLOC, FN },
	{ "napi_build_skb", NT_ROLE_ALLOC, FN },
	{ "build_skb", NT_ROLE_ALLOC, FN },
	{ "__build_skb", NT_ROLE_ALLOC, FN },
	{ "slab_build_skb", NT_ROLE_ALLOC, FN },
	/* the skb is freed (unconditionally) */
	{ "kfree_skbmem", NT_ROLE_FREE, FN },
	{ "__kfree_skb", NT_ROLE_FREE, FN },
	{ "kfree_skb_partial", NT_ROLE_FREE, FN },
	{ "napi_skb_free_stolen_head", NT_ROLE_FREE, FN },
	{ "napi_skb_cache_put", NT_ROLE_FREE, FN },
	{ "__napi_kfree_skb", NT_ROLE_FREE, FN },
	{ "consume_skb", NT_ROLE_FREE, TP },
	/* freed as a drop, with a reason */
	{ "kfree_skb", NT_ROLE_DROP, TP },
	{ "kfree_skb_reason", NT_ROLE_DROP, FN },
	{ "sk_skb_reason_drop", NT_ROLE_DROP, FN },
	{ "kfree_skb_list_reason", NT_ROLE_DROP, FN },
	/* reached a socket: queued for it or copied to the user */
	{ "sock_queue_rcv_skb_reason", NT_ROLE_DELIVER, FN },
	{ "__sock_queue_rcv_skb", NT_ROLE_DELIVER, FN },
	{ "sock_queue_rcv_skb", NT_ROLE_DELIVER, FN },
	{ "tcp_queue_rcv", NT_ROLE_DELIVER, FN },
	{ "__udp_enqueue_schedule_skb", NT_ROLE_DELIVER, FN },
	{ "raw_rcv_skb", NT_ROLE_DELIVER, FN },
	{ "rawv6_rcv_skb", NT_ROLE_DELIVER, FN },
	{ "ping_queue_rcv_skb", NT_ROLE_DELIVER, FN },
	{ "skb_copy_datagram_iter", NT_ROLE_DELIVER, FN },
	{ "skb_copy_datagram_iovec", NT_ROLE_DELIVER, TP },
	/* tcp_rcv_established: the segment reached its (established) socket */
	{ "tcp_probe", NT_ROLE_DELIVER, TP },
	/* left through a device */
	{ "dev_hard_start_xmit", NT_ROLE_XMIT, FN },
	{ "xmit_one", NT_ROLE_XMIT, FN },
	{ "net_dev_start_xmit", NT_ROLE_XMIT, TP },
	{ "net_dev_xmit", NT_ROLE_XMIT, TP },
};

int nt_func_role(const char *name, int is_tp)
{
	const char *c;

	if (!name)
		return NT_ROLE_NONE;
	if (is_tp && (c = strchr(name, ':')))
		name = c + 1;
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (roles[i].scope == (is_tp ? TP : FN) && !strcmp(roles[i].name, name))
			return roles[i].role;
	return NT_ROLE_NONE;
}

const char *nt_role_name(int role)
{
	static const char *const names[] = { NULL, "alloc", "free", "drop", "deliver", "xmit" };

	return role > 0 && role < (int)(sizeof(names) / sizeof(names[0])) ? names[role] : NULL;
}
