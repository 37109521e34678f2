// SPDX-License-Identifier: GPL-2.0
/* test_capfilter.c - nft-record/capfilter.c on its own: the --filter
 * expression into the in-kernel struct nt_filter and the nft match strings of
 * the nftrace rules, field by field; bad expressions give one line. */
#include <string.h>

#include "nft-record/capfilter.h"
#include "tests/unit/nt_test.h"

TEST(empty_filter_matches_everything)
{
	struct nt_capfilter f;
	char err[256];

	CHECK_EQ_INT(nt_capfilter_parse(NULL, &f, err, sizeof(err)), 0);
	CHECK_EQ_INT(f.bpf.flags, 0);
	CHECK_EQ_INT(f.n_nft, 0);
	CHECK_EQ_INT(nt_capfilter_parse("", &f, err, sizeof(err)), 0);
	CHECK_EQ_INT(f.n_nft, 0);
}

TEST(host_tcp_port_fields_and_nft_alternatives)
{
	struct nt_capfilter f;
	char err[256];

	CHECK_EQ_INT(nt_capfilter_parse("host 10.0.0.1 and tcp and port 80", &f, err, sizeof(err)), 0);
	CHECK_EQ_INT(f.bpf.flags, NT_FLT_HOST | NT_FLT_PROTO | NT_FLT_PORT);
	CHECK_EQ_INT(f.bpf.l3, NT_L3_IPV4);
	CHECK_EQ_INT(f.bpf.host[0], 10);
	CHECK_EQ_INT(f.bpf.host[3], 1);
	CHECK_EQ_INT(f.bpf.host_prefix, 32);
	CHECK_EQ_INT(f.bpf.l4proto, 6);
	CHECK_EQ_INT(f.bpf.port, 80);
	/* (saddr | daddr) x (sport | dport) */
	CHECK_EQ_INT(f.n_nft, 4);
	CHECK_EQ_STR(f.nft[0], "ip saddr 10.0.0.1/32 meta l4proto 6 meta l4proto { tcp, udp, sctp, dccp } th sport 80");
	CHECK_EQ_STR(f.nft[3], "ip daddr 10.0.0.1/32 meta l4proto 6 meta l4proto { tcp, udp, sctp, dccp } th dport 80");
}

TEST(ipv6_net_src_dst_iface_netns_mark)
{
	struct nt_capfilter f;
	char err[256];

	CHECK_EQ_INT(nt_capfilter_parse("src 2001:db8::/32 && iface veth0 and netns blue and mark 0x10/0xf0",
					&f, err, sizeof(err)), 0);
	CHECK_EQ_INT(f.bpf.flags, NT_FLT_SRC | NT_FLT_IFINDEX | NT_FLT_NETNS | NT_FLT_MARK);
	CHECK_EQ_INT(f.bpf.l3, NT_L3_IPV6);
	CHECK_EQ_INT(f.bpf.src[0], 0x20);
	CHECK_EQ_INT(f.bpf.src[1], 0x01);
	CHECK_EQ_INT(f.bpf.src_prefix, 32);
	CHECK_EQ_STR(f.iface, "veth0");
	CHECK_EQ_STR(f.netns, "blue");
	CHECK_EQ_INT(f.bpf.mark_value, 0x10);
	CHECK_EQ_INT(f.bpf.mark_mask, 0xf0);
	CHECK_EQ_INT(f.n_nft, 2); /* iifname | oifname */
	CHECK_EQ_STR(f.nft[0], "ip6 saddr 2001:db8::/32 iifname \"veth0\" meta mark & 0xf0 == 0x10");
	CHECK_EQ_STR(f.nft[1], "ip6 saddr 2001:db8::/32 oifname \"veth0\" meta mark & 0xf0 == 0x10");
}

TEST(bad_expressions_one_line_each)
{
	static const struct { const char *expr, *want; } bad[] = {
		{ "host 10.0.0.1 or port 80", "--filter: 'or' is not supported: predicates can only be joined with 'and'" },
		{ "host", "--filter: 'host' needs a value" },
		{ "port 70000", "--filter: 'port 70000': port must be 0..65535" },
		{ "ip and host 2001:db8::1", "--filter: 'ip and host 2001:db8::1' mixes IPv4 and IPv6" },
		{ "proto bogus", "--filter: unknown protocol 'bogus' (use tcp, udp, icmp, icmp6 or a number)" },
		{ "frobnicate", "--filter: unknown word 'frobnicate' (see nft-record --help for the syntax)" },
		{ "host 1.2.3.4 and port 1 and iface a and host 1.2.3.5",
		  "--filter: expression too long or too many alternatives (max 8 nft rules)" },
	};
	struct nt_capfilter f;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		CHECK_EQ_INT(nt_capfilter_parse(bad[i].expr, &f, err, sizeof(err)), -22);
		CHECK_EQ_STR(err, bad[i].want);
		CHECK(!strchr(err, '\n'));
	}
}

int main(void)
{
	RUN(empty_filter_matches_everything);
	RUN(host_tcp_port_fields_and_nft_alternatives);
	RUN(ipv6_net_src_dst_iface_netns_mark);
	RUN(bad_expressions_one_line_each);
	TEST_EXIT();
}
