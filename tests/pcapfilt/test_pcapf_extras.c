// SPDX-License-Identifier: GPL-2.0
/* tests/pcapfilt/test_pcapf_extras.c - --filter: pcap text vs our extras
 * (pcapfilt/extras.c), and the old private forms' messages. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pcapfilt/compile.h"
#include "pcapfilt/extras.h"
#include "pcapfilt/nftmatch.h"
#include "tests/unit/nt_test.h"

static char pcap[4096], err[512];
static struct nt_pcapf_extras x;

static int split(const char *e)
{
	err[0] = 0;
	return nt_pcapf_split(e, pcap, sizeof(pcap), &x, err, sizeof(err));
}

TEST(empty_and_pcap_only)
{
	CHECK_EQ_INT(split(NULL), 0);
	CHECK_EQ_STR(pcap, "");
	CHECK_EQ_INT(split("   "), 0);
	CHECK_EQ_STR(pcap, "");
	CHECK_EQ_INT(split("host 10.0.0.1 and (tcp port 80 or udp)"), 0);
	CHECK_EQ_STR(pcap, "host 10.0.0.1 and (tcp port 80 or udp)");
	CHECK(!x.netns[0] && !x.iface[0] && !x.has_mark);
	CHECK_EQ_INT(split("tcp[(tcp[12]&0xf0)>>2:4] = 0x47455420 or not (udp or icmp)"), 0);
	CHECK_EQ_STR(pcap, "tcp[(tcp[12]&0xf0)>>2:4] = 0x47455420 or not (udp or icmp)");
}

TEST(extras_at_the_top_level)
{
	CHECK_EQ_INT(split("host 10.0.0.1 and (tcp port 80 or udp) and netns web and iface veth0 and mark 0x10/0xff"), 0);
	CHECK_EQ_STR(pcap, "host 10.0.0.1 and (tcp port 80 or udp)");
	CHECK_EQ_STR(x.netns, "web");
	CHECK_EQ_STR(x.iface, "veth0");
	CHECK(x.has_mark && x.mark_value == 0x10 && x.mark_mask == 0xff);
	CHECK_EQ_INT(split("netns web and tcp"), 0);
	CHECK_EQ_STR(pcap, "tcp");
	CHECK_EQ_INT(split("netns web"), 0);
	CHECK_EQ_STR(pcap, "");
	CHECK_EQ_INT(split("tcp and netns web and udp"), 0);
	CHECK_EQ_STR(pcap, "tcp and udp");
	/* pcap groups from the left: (tcp or udp) and netns web */
	CHECK_EQ_INT(split("tcp or udp and netns web"), 0);
	CHECK_EQ_STR(pcap, "tcp or udp");
	CHECK_EQ_INT(split("tcp or udp and netns web and port 53"), 0);
	CHECK_EQ_STR(pcap, "tcp or udp and port 53");
	CHECK_EQ_INT(split("tcp&&iface eth0"), 0);
	CHECK_EQ_STR(pcap, "tcp");
	CHECK_EQ_STR(x.iface, "eth0");
	CHECK_EQ_INT(split("mark 7"), 0);
	CHECK(x.has_mark && x.mark_value == 7 && x.mark_mask == 0xffffffffu);
	CHECK_EQ_INT(split("mark 0x1ff/0xff"), 0);
	CHECK(x.mark_value == 0xff);
}

TEST(extras_elsewhere_are_refused)
{
	CHECK_EQ_INT(split("netns web and tcp or udp"), -EINVAL);
	CHECK(strstr(err, "'netns web'") && strstr(err, "and"));
	CHECK_EQ_INT(split("tcp and netns web or udp"), -EINVAL);
	CHECK_EQ_INT(split("not netns web"), -EINVAL);
	CHECK(strstr(err, "terms of their own"));
	CHECK_EQ_INT(split("(netns web) and tcp"), -EINVAL);
	CHECK_EQ_INT(split("tcp and (udp or netns web)"), -EINVAL);
	CHECK_EQ_INT(split("netns a and netns b"), -EINVAL);
	CHECK(strstr(err, "twice"));
	CHECK_EQ_INT(split("netns a/b"), -EINVAL);
	CHECK_EQ_INT(split("netns .."), -EINVAL);
	CHECK_EQ_INT(split("iface abcdefghijklmnopq"), -EINVAL);
	CHECK_EQ_INT(split("iface"), -EINVAL);
	CHECK_EQ_INT(split("mark x"), -EINVAL);
	CHECK(strstr(err, "VALUE/MASK"));
	CHECK_EQ_INT(split("mark 1/2/3"), -EINVAL);
	CHECK_EQ_INT(split("mark 0x100000000"), -EINVAL);
}

TEST(old_private_forms_name_their_pcap_equivalent)
{
	CHECK_EQ_INT(split("udp and sport 53"), -EINVAL);
	CHECK(strstr(err, "use 'src port 53'"));
	CHECK_EQ_INT(split("dport 80"), -EINVAL);
	CHECK(strstr(err, "use 'dst port 80'"));
	CHECK_EQ_INT(split("proto tcp"), -EINVAL);
	CHECK(strstr(err, "use 'tcp'"));
	CHECK_EQ_INT(split("proto icmp6 and host ::1"), -EINVAL);
	CHECK(strstr(err, "use 'icmp6'"));
	CHECK_EQ_INT(split("host 10.0.0.0/24"), -EINVAL);
	CHECK(strstr(err, "use 'net 10.0.0.0/24'"));
	CHECK_EQ_INT(split("src 10.0.0.0/8"), -EINVAL);
	CHECK(strstr(err, "use 'src net 10.0.0.0/8'"));
	CHECK_EQ_INT(split("dev eth0"), -EINVAL);
	CHECK(strstr(err, "use 'iface eth0'"));
	/* pcap's own forms stay */
	CHECK_EQ_INT(split("src net 10.0.0.0/8 and proto 6 and ip proto \\tcp"), 0);
	CHECK_EQ_STR(pcap, "src net 10.0.0.0/8 and proto 6 and ip proto \\tcp");
}

TEST(pcap_part_compiles)
{
	struct nt_cbpf p;
	char e2[300];

	CHECK_EQ_INT(split("host 10.0.0.1 and (tcp port 80 or udp) and netns web"), 0);
	CHECK_EQ_INT(nt_pcapf_compile(pcap, NT_PCAPF_VIEW_L2, &p, e2, sizeof(e2)), 0);
	nt_cbpf_free(&p);
}

TEST(messages_are_one_printable_line)
{
	CHECK_EQ_INT(split("netns \033[31mx\n and tcp or udp"), -EINVAL);
	CHECK(!strchr(err, '\033') && !strchr(err, '\n'));
}

static struct nt_pcapf_nft nm;
static FILE *nft_out;

static int nft(const char *e)
{
	if (split(e))
		return -1;
	nt_pcapf_nft_match(pcap, &x, &nm);
	if (nft_out)
		for (int i = 0; i < nm.n; i++)
			fprintf(nft_out, "\t\t%s meta nftrace set 1\n", nm.match[i]);
	return nm.n;
}

TEST(simple_conjunctions_become_superset_nft_matches)
{
	CHECK_EQ_INT(nft(""), 0);
	CHECK_EQ_STR(nm.why, "");
	CHECK_EQ_INT(nft("ip and tcp and dst port 80"), 1);
	CHECK_EQ_STR(nm.match[0], "meta protocol ip meta l4proto 6 meta l4proto { tcp, udp, sctp } th dport 80");
	CHECK_EQ_INT(nft("host 10.0.0.1 and tcp port 443"), 4);
	CHECK_EQ_STR(nm.match[0], "ip saddr 10.0.0.1/32 meta l4proto tcp th sport 443");
	CHECK_EQ_STR(nm.match[3], "ip daddr 10.0.0.1/32 meta l4proto tcp th dport 443");
	CHECK_EQ_INT(nft("src net 10.0.0.0/8 && dst net 192.168.0.0 mask 255.255.0.0 and udp dst portrange 5005-5000"), 1);
	CHECK_EQ_STR(nm.match[0], "ip saddr 10.0.0.0/8 ip daddr 192.168.0.0/16 meta l4proto udp th dport 5000-5005");
	CHECK_EQ_INT(nft("ip6 host 2001:db8::1 and icmp6"), 2);
	CHECK_EQ_STR(nm.match[1], "ip6 daddr 2001:db8::1/128 meta l4proto 58");
	CHECK_EQ_INT(nft("ip proto \\gre and src 10.1.1.1"), 1);
	CHECK_EQ_STR(nm.match[0], "meta protocol ip meta l4proto 47 ip saddr 10.1.1.1/32");
	CHECK_EQ_INT(nft("tcp and iface veth0 and mark 0x10/0xf0 and netns web"), 2);
	CHECK_EQ_STR(nm.match[1], "meta l4proto 6 oifname \"veth0\" meta mark & 0xf0 == 0x10");
	CHECK_EQ_INT(nft("iface veth0"), 2);
}

TEST(other_shapes_trace_every_packet_and_say_why)
{
	CHECK_EQ_INT(nft("tcp port 80 or udp"), 0);
	CHECK(strstr(nm.why, "'tcp port 80 or udp'"));
	CHECK_EQ_INT(nft("not tcp"), 0);
	CHECK_EQ_INT(nft("tcp[13] = 2"), 0);
	CHECK(strstr(nm.why, "conjunction"));
	CHECK_EQ_INT(nft("port http"), 0); /* names: libpcap's service lookup may differ */
	CHECK_EQ_INT(nft("vlan and tcp"), 0);
	CHECK_EQ_INT(nft("host 10.0.0.1 and host 10.0.0.2 and port 80 and port 443"), 0);
	CHECK(strstr(nm.why, "more than 8"));
	CHECK_EQ_INT(nft("net 10"), 0);
	CHECK_EQ_INT(nft("ether host 1:2:3:4:5:6"), 0);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--nft-rules"))
		nft_out = fopen(argv[2], "w");
	RUN(empty_and_pcap_only);
	RUN(extras_at_the_top_level);
	RUN(extras_elsewhere_are_refused);
	RUN(old_private_forms_name_their_pcap_equivalent);
	RUN(pcap_part_compiles);
	RUN(messages_are_one_printable_line);
	RUN(simple_conjunctions_become_superset_nft_matches);
	RUN(other_shapes_trace_every_packet_and_say_why);
	if (nft_out)
		fclose(nft_out);
	TEST_EXIT();
}
