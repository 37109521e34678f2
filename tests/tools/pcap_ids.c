/* pcap_ids.c - test-only: one line per packet of a pcap file (Ethernet), the
 * fields nft-record's packet metadata holds, as tests/tools/ntl_packets
 * prints them (without its netns column):
 *   L3 PROTO SRC DST SPORT DPORT IPID EXTRA
 * EXTRA: TCP sequence number, ICMP bytes 4..7, else 0.  Multicast
 * destinations (link noise: MLD, mDNS) are left out.  No filtering: the
 * tests let tcpdump filter (tcpdump -r in -w out EXPR) and compare.
 * Usage: pcap_ids FILE.pcap */
#include <arpa/inet.h>
#include <pcap.h>
#include <stdio.h>
#include <string.h>

static unsigned int be16(const u_char *p) { return (unsigned)p[0] << 8 | p[1]; }

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *f;
	pcap_t *p;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: pcap_ids FILE.pcap\n");
		return 2;
	}
	p = pcap_open_offline(argv[1], err);
	if (!p) {
		fprintf(stderr, "pcap_ids: %s\n", err);
		return 1;
	}
	while ((rc = pcap_next_ex(p, &h, &f)) == 1) {
		unsigned int cap = h->caplen, et, l4, proto, ipid = 0, frag = 0, sp = 0, dp = 0, extra = 0, l3;
		char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

		if (cap < 14)
			continue;
		et = be16(f + 12);
		if (et == 0x0800 && cap >= 34) {
			l3 = 4;
			l4 = 14 + (f[14] & 0xf) * 4;
			proto = f[23];
			ipid = be16(f + 18);
			frag = be16(f + 20) & 0x1fff;
			inet_ntop(AF_INET, f + 26, s, sizeof(s));
			inet_ntop(AF_INET, f + 30, d, sizeof(d));
			if (f[30] >= 224 && f[30] < 240)
				continue;
		} else if (et == 0x86dd && cap >= 54) {
			l3 = 6;
			l4 = 54;
			proto = f[20];
			inet_ntop(AF_INET6, f + 22, s, sizeof(s));
			inet_ntop(AF_INET6, f + 38, d, sizeof(d));
			if (f[38] == 0xff)
				continue;
		} else {
			continue;
		}
		if (!frag && (proto == 6 || proto == 17) && cap >= l4 + 4) {
			sp = be16(f + l4);
			dp = be16(f + l4 + 2);
			if (proto == 6 && cap >= l4 + 8)
				extra = (unsigned)be16(f + l4 + 4) << 16 | be16(f + l4 + 6);
		} else if (!frag && (proto == 1 || proto == 58) && cap >= l4 + 8) {
			sp = be16(f + l4);
			dp = be16(f + l4 + 4);
			extra = dp << 16 | be16(f + l4 + 6);
		}
		printf("%u %u %s %s %u %u %u %u\n", l3, proto, s, d, sp, dp, ipid, extra);
	}
	pcap_close(p);
	return rc == PCAP_ERROR ? 1 : 0;
}
