// SPDX-License-Identifier: GPL-2.0
/* test_layers.c - the layer classification table (common/layers.c) on its own. */
#include "common/layers.h"
#include "tests/unit/nt_test.h"

struct expect {
	const char *name;
	int is_tp;
	const char *layer;
	int prio;
};

static const struct expect known[] = {
	/* the critical path users know */
	{ "ip_rcv", 0, "IPv4", 0 },
	{ "ip_rcv_finish", 0, "IPv4", 0 },
	{ "ip_local_deliver", 0, "IPv4", 0 },
	{ "ip_forward", 0, "IPv4", 0 },
	{ "ip_output", 0, "IPv4", 0 },
	{ "ip_finish_output2", 0, "IPv4", 0 },
	{ "__netif_receive_skb_core", 0, "Device", 0 },
	{ "netif_receive_skb", 0, "Device", 0 },
	{ "nft_do_chain", 0, "Netfilter", 0 },
	{ "nf_hook_slow", 0, "Netfilter", 0 },
	{ "tcp_v4_rcv", 0, "TCP", 0 },
	{ "tcp_v6_rcv", 0, "TCP", 0 },
	{ "ipv6_rcv", 0, "IPv6", 0 },
	{ "ip6_output", 0, "IPv6", 0 },
	{ "dev_queue_xmit", 0, "Xmit", 0 },
	{ "__dev_queue_xmit", 0, "Xmit", 0 },
	{ "dev_hard_start_xmit", 0, "Xmit", 0 },
	{ "kfree_skb_reason", 0, "Other", 0 },
	{ "sk_skb_reason_drop", 0, "Other", 0 },
	{ "udp_rcv", 0, "UDP", 0 },
	{ "napi_gro_receive", 0, "GRO", 0 },
	{ "gro_receive_skb", 0, "GRO", 0 },
	{ "net_rx_action", 0, "SoftIRQ", 0 },
	{ "br_handle_frame", 0, "Bridge", 0 },
	{ "ip_route_input_noref", 0, "Routing", 0 },
	/* important */
	{ "icmp_rcv", 0, "IPv4", 1 },
	{ "icmpv6_rcv", 0, "IPv6", 1 },
	{ "nft_do_chain_ipv4", 0, "Netfilter", 1 },
	{ "nft_immediate_eval", 0, "Netfilter", 1 },
	{ "__nft_trace_packet", 0, "Netfilter", 1 },
	{ "fib_validate_source", 0, "Routing", 1 },
	{ "inet_gro_receive", 0, "GRO", 1 },
	{ "tcp4_gro_receive", 0, "GRO", 1 },
	{ "neigh_resolve_output", 0, "Xmit", 1 },
	{ "consume_skb", 0, "Other", 1 },
	{ "kfree_skb", 0, "Other", 1 },
	{ "net_tx_action", 0, "SoftIRQ", 1 },
	{ "sock_queue_rcv_skb_reason", 0, "Socket", 1 },
	/* prefixes: specific before generic */
	{ "fib_table_lookup", 0, "Routing", 2 },
	{ "ip_route_output_key_hash", 0, "Routing", 2 },
	{ "ip_tunnel_xmit", 0, "Device", 2 },
	{ "udp_tunnel_xmit_skb", 0, "Device", 2 },
	{ "br_nf_pre_routing", 0, "Bridge", 2 },
	{ "nf_conntrack_in", 0, "Netfilter", 1 },
	{ "nf_nat_inet_fn", 0, "Netfilter", 2 },
	{ "ipv4_conntrack_defrag", 0, "Netfilter", 1 },
	{ "ipv4_mtu", 0, "IPv4", 2 },
	{ "tcp_sendmsg_locked", 0, "TCP", 2 },
	{ "udp_gro_receive", 0, "GRO", 2 },
	{ "tcp_gso_segment", 0, "GRO", 3 },
	{ "udp_queue_rcv_skb", 0, "UDP", 1 },
	{ "veth_xmit", 0, "Device", 2 },
	{ "e1000_xmit_frame", 0, "Xmit", 2 },
	{ "pfifo_fast_enqueue", 0, "Xmit", 2 },
	{ "dev_forward_skb", 0, "Device", 2 },
	{ "napi_consume_skb", 0, "SoftIRQ", 2 },
	{ "packet_rcv", 0, "Socket", 2 },
	{ "netlink_unicast", 0, "Socket", 3 },
	{ "xt_match_foo", 0, "Netfilter", 3 },
	{ "arp_rcv", 0, "IPv4", 2 },
	{ "ndisc_rcv", 0, "IPv6", 2 },
	{ "some_driver_poll", 0, "Other", 3 },
	{ "ip_set_test", 0, "Netfilter", 3 },
	{ "ctnetlink_dump_tuples", 0, "Netfilter", 3 },
	{ "ipmr_cache_report", 0, "Routing", 3 },
	{ "seg6_do_srh_inline", 0, "IPv6", 3 },
	{ "netdev_core_pick_tx", 0, "Device", 2 },
	{ "cookie_v4_check", 0, "TCP", 3 },
	{ "skb_put", 0, "Other", 3 },
	/* tracepoints (event names) */
	{ "kfree_skb", 1, "Other", 0 },
	{ "consume_skb", 1, "Other", 1 },
	{ "netif_receive_skb", 1, "Device", 0 },
	{ "net_dev_queue", 1, "Xmit", 0 },
	{ "net_dev_xmit", 1, "Xmit", 1 },
	{ "napi_gro_receive_entry", 1, "GRO", 1 },
	{ "qdisc_dequeue", 1, "Xmit", 2 },
	{ "tcp_retransmit_skb", 1, "TCP", 2 },
	{ "skb_copy_datagram_iovec", 1, "Socket", 3 },
	{ "icmp_send", 1, "IPv4", 2 },
};

TEST(known_functions)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		int prio = -1, rule;
		int l = nt_layer_classify(known[i].name, known[i].is_tp, &prio, &rule);
		if (strcmp(nt_layer_name(l), known[i].layer) || prio != known[i].prio) {
			printf("FAIL: known_functions: %s%s -> %s p%d (rule '%s'), expected %s p%d\n",
			       known[i].is_tp ? "tp:" : "", known[i].name, nt_layer_name(l), prio,
			       rule >= 0 ? nt_layer_rule_pattern(rule) : "default", known[i].layer,
			       known[i].prio);
			nt__case_failed = 1;
		}
	}
}

TEST(default_rule)
{
	int prio = -1, rule = 5;

	CHECK_EQ_INT(nt_layer_classify("totally_unknown_fn", 0, &prio, &rule), NT_LAYER_OTHER);
	CHECK_EQ_INT(prio, 3);
	CHECK_EQ_INT(rule, -1);
	/* NULL out-params are allowed */
	CHECK_EQ_INT(nt_layer_classify("ip_rcv", 0, NULL, NULL), NT_LAYER_IPV4);
}

/* Every exact-name rule must be reachable (not shadowed by an earlier prefix). */
TEST(exact_rules_reachable)
{
	int n = nt_layer_rule_count();

	CHECK(n > 100);
	for (int i = 0; i < n; i++) {
		const char *p = nt_layer_rule_pattern(i);
		int r0 = -2, r1 = -2;
		if (strchr(p, '*'))
			continue;
		nt_layer_classify(p, 0, NULL, &r0);
		nt_layer_classify(p, 1, NULL, &r1);
		if (r0 != i && r1 != i) {
			printf("FAIL: exact_rules_reachable: rule %d '%s' is shadowed by rule %d '%s'\n", i, p,
			       r0, nt_layer_rule_pattern(r0));
			nt__case_failed = 1;
		}
	}
	CHECK(nt_layer_rule_pattern(n) == NULL);
	CHECK(nt_layer_rule_pattern(-1) == NULL);
}

TEST(layer_names)
{
	static const char *const names[] = { "Device", "GRO", "Netfilter", "IPv4", "IPv6", "TCP", "UDP",
					     "Routing", "Xmit", "SoftIRQ", "Bridge", "Socket", "Other" };

	CHECK_EQ_INT(NT_LAYER__COUNT, 13);
	for (int i = 0; i < NT_LAYER__COUNT; i++) {
		CHECK_EQ_STR(nt_layer_name(i), names[i]);
		CHECK_EQ_INT(nt_layer_parse(names[i]), i);
	}
	CHECK_EQ_INT(nt_layer_parse("ipv4"), NT_LAYER_IPV4);
	CHECK_EQ_INT(nt_layer_parse("NETFILTER"), NT_LAYER_NETFILTER);
	CHECK_EQ_INT(nt_layer_parse("Core"), -1);
	CHECK_EQ_INT(nt_layer_parse(""), -1);
	CHECK(nt_layer_name(-1) == NULL);
	CHECK(nt_layer_name(NT_LAYER__COUNT) == NULL);
}

TEST(layer_lists)
{
	const char *bad = NULL;
	int badlen = 0;

	CHECK_EQ_INT(nt_layers_parse_list("Netfilter", NULL, NULL), 1 << NT_LAYER_NETFILTER);
	CHECK_EQ_INT(nt_layers_parse_list("Netfilter,IPv4 tcp", NULL, NULL),
		     (1 << NT_LAYER_NETFILTER) | (1 << NT_LAYER_IPV4) | (1 << NT_LAYER_TCP));
	CHECK_EQ_INT(nt_layers_parse_list(" ,Other,, ", NULL, NULL), 1 << NT_LAYER_OTHER);
	CHECK_EQ_INT(nt_layers_parse_list("", NULL, NULL), 0);
	CHECK_EQ_INT(nt_layers_parse_list("IPv4,Bogus,TCP", &bad, &badlen), -1);
	CHECK_EQ_INT(badlen, 5);
	CHECK(!strncmp(bad, "Bogus", 5));
	CHECK_EQ_INT(nt_layers_parse_list("averyveryveryveryveryverylonglayername", &bad, &badlen), -1);
	CHECK_EQ_INT(badlen, 38);
}

TEST(func_roles)
{
	CHECK_EQ_INT(nt_func_role("kfree_skbmem", 0), NT_ROLE_FREE);
	CHECK_EQ_INT(nt_func_role("__kfree_skb", 0), NT_ROLE_FREE);
	CHECK_EQ_INT(nt_func_role("__alloc_skb", 0), NT_ROLE_ALLOC);
	CHECK_EQ_INT(nt_func_role("__build_skb_around", 0), NT_ROLE_ALLOC);
	CHECK_EQ_INT(nt_func_role("kfree_skb_reason", 0), NT_ROLE_DROP);
	CHECK_EQ_INT(nt_func_role("skb:kfree_skb", 1), NT_ROLE_DROP);
	CHECK_EQ_INT(nt_func_role("skb:consume_skb", 1), NT_ROLE_FREE);
	CHECK_EQ_INT(nt_func_role("skb:skb_copy_datagram_iovec", 1), NT_ROLE_DELIVER);
	CHECK_EQ_INT(nt_func_role("net:net_dev_xmit", 1), NT_ROLE_XMIT);
	CHECK_EQ_INT(nt_func_role("tcp_queue_rcv", 0), NT_ROLE_DELIVER);
	CHECK_EQ_INT(nt_func_role("tcp:tcp_probe", 1), NT_ROLE_DELIVER);
	CHECK_EQ_INT(nt_func_role("tcp_probe", 0), NT_ROLE_NONE); /* a function of that name is not the tracepoint */
	/* conditional frees are not "free": their tracepoints tell */
	CHECK_EQ_INT(nt_func_role("consume_skb", 0), NT_ROLE_NONE);
	CHECK_EQ_INT(nt_func_role("kfree_skb", 0), NT_ROLE_NONE);
	CHECK_EQ_INT(nt_func_role("skb_attempt_defer_free", 0), NT_ROLE_NONE);
	CHECK_EQ_INT(nt_func_role("ip_rcv", 0), NT_ROLE_NONE);
	CHECK_EQ_STR(nt_role_name(NT_ROLE_DELIVER), "deliver");
	CHECK(nt_role_name(NT_ROLE_NONE) == NULL);
}

int main(void)
{
	RUN(known_functions);
	RUN(default_rule);
	RUN(exact_rules_reachable);
	RUN(layer_names);
	RUN(layer_lists);
	RUN(func_roles);
	TEST_EXIT();
}
