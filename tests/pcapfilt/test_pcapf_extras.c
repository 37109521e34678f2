// SPDX-License-Identifier: GPL-2.0
/* tests/pcapfilt/test_pcapf_extras.c - --filter: pcap text vs our extras
 * (pcapfilt/extras.c), and the old private forms' messages. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pcapfilt/compile.h"
#include "pcapfilt/extras.h"
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

int main(void)
{
	RUN(empty_and_pcap_only);
	RUN(extras_at_the_top_level);
	RUN(extras_elsewhere_are_refused);
	RUN(old_private_forms_name_their_pcap_equivalent);
	RUN(pcap_part_compiles);
	RUN(messages_are_one_printable_line);
	TEST_EXIT();
}
