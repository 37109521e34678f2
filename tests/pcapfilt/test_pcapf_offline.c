// SPDX-License-Identifier: GPL-2.0
/*
 * tests/pcapfilt/test_pcapf_offline.c - --filter on recorded metadata
 * (pcapfilt/offline.c) against libpcap.
 *
 * For every untagged frame of tests/pcapfilt/pktgen.c, the META record the
 * recorder would write is derived (as bpf/core.bpf.h nt_skb_meta_fill parses
 * a packet), in its v1 and v2 forms.  For every expression of exprs.h the
 * offline answer must be:
 *   - YES / NO: equal to pcap_offline_filter on the original frame and on 24
 *     random packets that fit the metadata (unknown bits, the bytes after the
 *     headers, caplen and wirelen random);
 *   - UNKNOWN: only where the expression reads something the metadata does
 *     not hold; expressions over header fields the metadata has (addresses,
 *     ports, protocols, TCP flags, ICMP type) must never be UNKNOWN on v2
 *     records of IP packets without IPv6 extension headers (libpcap's `tcp`
 *     looks behind an IPv6 fragment header; `host` also matches ARP
 *     addresses, which META does not hold).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/records.h"
#include "pcapfilt/compile.h"
#include "pcapfilt/offline.h"
#include "tests/pcapfilt/exprs.h"
#include "tests/pcapfilt/pktgen.h"
#include "tests/unit/nt_test.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static unsigned int be16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }
static uint32_t be32(const uint8_t *p) { return (uint32_t)be16(p) << 16 | be16(p + 2); }

/* The recorder's META of frame F (untagged, full capture), v1 or v2 fields. */
static int meta_of(const struct nt_pg_frame *f, int v2, struct nt_pcapf_meta *m)
{
	const uint8_t *d = f->data, *l4 = NULL;
	unsigned int et;

	memset(m, 0, sizeof(*m));
	if (f->tagged || f->caplen != f->wirelen || f->caplen < 14)
		return -1;
	et = be16(d + 12);
	m->ethertype = (uint16_t)et;
	if (et == 0x0800 && f->caplen >= 34) {
		unsigned int fo = be16(d + 20);

		m->l3 = NT_L3_IPV4;
		memcpy(m->saddr, d + 26, 4);
		memcpy(m->daddr, d + 30, 4);
		m->ip_id = (uint16_t)be16(d + 18);
		m->l4proto = d[23];
		if (v2) {
			m->has_frag = 1;
			m->frag = (uint16_t)((fo & 0x1fff) | ((fo >> 13) & 1) << 13 |
					     ((fo & 0x3fff) ? 0x8000 : 0));
		}
		if (!(fo & 0x1fff))
			l4 = d + 14 + (d[14] & 0xf) * 4;
	} else if (et == 0x86dd && f->caplen >= 54) {
		m->l3 = NT_L3_IPV6;
		memcpy(m->saddr, d + 22, 16);
		memcpy(m->daddr, d + 38, 16);
		m->l4proto = d[20];
		l4 = d + 54;
		if (v2 && d[20] == 44 && f->caplen >= 62) { /* records.h v2: a fragment */
			unsigned int fo = be16(d + 56);

			m->has_frag = 1;
			m->frag = (uint16_t)((fo >> 3) | (fo & 1 ? NT_FRAG_MF : 0) |
					     ((fo & 0xfff9) ? NT_FRAG_IS : 0));
			m->l4proto = d[54];
			l4 = (fo >> 3) ? NULL : d + 62;
		}
	}
	if (l4 && l4 + 8 <= d + f->caplen) {
		if (m->l4proto == 6 && l4 + 20 <= d + f->caplen) {
			m->sport = (uint16_t)be16(l4);
			m->dport = (uint16_t)be16(l4 + 2);
			m->l4_extra = be32(l4 + 4);
			m->tcp_flags = l4[13];
			if (v2)
				m->has_l4_csum = 1, m->l4_csum = (uint16_t)be16(l4 + 16);
		} else if (m->l4proto == 17) {
			m->sport = (uint16_t)be16(l4);
			m->dport = (uint16_t)be16(l4 + 2);
			if (v2)
				m->has_l4_csum = 1, m->l4_csum = (uint16_t)be16(l4 + 6);
		} else if (m->l4proto == 1 || m->l4proto == 58) {
			m->sport = (uint16_t)be16(l4);
			m->dport = (uint16_t)be16(l4 + 4);
			m->l4_extra = (uint32_t)m->dport << 16 | be16(l4 + 6);
			if (v2)
				m->has_l4_csum = 1, m->l4_csum = (uint16_t)be16(l4 + 2);
		}
	}
	return 0;
}

/* A random packet that fits M: the layout with its unknown bits random,
 * random bytes after it, caplen >= the layout, wirelen >= caplen. */
static unsigned int completion(const struct nt_pcapf_meta *m, uint8_t *buf, unsigned int *wirelen)
{
	struct nt_pcapf_syn s;
	unsigned int cap;

	nt_pcapf_synthesize(m, &s);
	for (unsigned int i = 0; i < s.len; i++)
		buf[i] = (uint8_t)((s.b[i] & s.known[i]) | (rnd() & (uint8_t)~s.known[i]));
	/* the layout's L4 header is where a 20-byte IPv4 header ends: packets
	 * with options fit the metadata too, but are built differently (the
	 * original frames include some) */
	if (s.l3off && (buf[s.l3off] >> 4) == 4)
		buf[s.l3off] = 0x45;
	cap = s.len + rnd() % 64;
	for (unsigned int i = s.len; i < cap; i++)
		buf[i] = (uint8_t)rnd();
	*wirelen = cap + (rnd() % 3 ? 0 : rnd() % 1500);
	return cap;
}

/* expressions that read only what META holds: never UNKNOWN on IP / ARP frames */
static const char *const DECIDED[] = {
	"ip", "ip6", "tcp", "udp or icmp", "host 10.0.0.1", "src host 10.0.0.1 and dst port 80",
	"tcp port 80 or tcp port 443", "not tcp", "host 10.0.0.1 and (tcp port 80 or udp)",
	"tcp[13] = 2", "tcp[tcpflags] & tcp-syn != 0", "icmp[icmptype] = icmp-echo",
	"net 192.168.0.0/16", "portrange 5000-5010", "ip6 and tcp dst port 443", "ip6 host 2001:db8::1",
	"icmp6[icmp6type] = icmp6-neighborsolicit", "port domain", "arp", "ip6 multicast or ip multicast",
	NULL,
};

static int must_decide(const char *e)
{
	for (int i = 0; DECIDED[i]; i++)
		if (!strcmp(DECIDED[i], e))
			return 1;
	return 0;
}

static void offline_case(const char *expr, const struct nt_pg_frame *fr, int nfr)
{
	struct nt_cbpf p;
	char err[300];
	int dec = 0, unk = 0, yes = 0;
	uint8_t buf[NT_PCAPF_SYN_MAX + 64];

	if (nt_pcapf_compile(expr, NT_PCAPF_VIEW_L2, &p, err, sizeof(err))) {
		printf("FAIL: offline '%s': %s\n", expr, err);
		nt__failed_cases++;
		return;
	}
	for (int i = 0; i < nfr; i++)
		for (int v2 = 0; v2 < 2; v2++) {
			struct nt_pcapf_meta m;
			int why;
			enum nt_pcapf_answer a;

			if (meta_of(&fr[i], v2, &m))
				continue;
			a = nt_pcapf_offline_eval(&p, &m, &why);
			if (a == NT_PCAPF_UNKNOWN) {
				unk++;
				/* v2, IP, no IPv6 extension header (libpcap looks behind a
				 * fragment header, which META does not hold) */
				if (must_decide(expr) && v2 && m.l3 &&
				    !(m.l3 == NT_L3_IPV6 && (m.l4proto == 0 || m.l4proto == 43 || m.l4proto == 44 ||
							     m.l4proto == 60 || (m.frag & NT_FRAG_IS)))) {
					printf("FAIL: offline '%s': frame %d (%s) v%d: UNKNOWN (%s)\n", expr, i,
					       fr[i].desc, v2 + 1, nt_pcapf_field_name(&m, why));
					nt__failed_cases++;
					goto out;
				}
				continue;
			}
			dec++;
			yes += a == NT_PCAPF_YES;
			/* the original frame */
			if (!!nt_pcapf_run_libpcap(&p, fr[i].data, fr[i].caplen, fr[i].wirelen) != (a == NT_PCAPF_YES)) {
				printf("FAIL: offline '%s': frame %d (%s) v%d: offline %s, libpcap on the frame %s\n",
				       expr, i, fr[i].desc, v2 + 1, a == NT_PCAPF_YES ? "YES" : "NO",
				       a == NT_PCAPF_YES ? "no" : "yes");
				nt__failed_cases++;
				goto out;
			}
			for (int k = 0; k < 24; k++) {
				unsigned int wl, cap = completion(&m, buf, &wl);

				if (!!nt_pcapf_run_libpcap(&p, buf, cap, wl) != (a == NT_PCAPF_YES)) {
					printf("FAIL: offline '%s': frame %d (%s) v%d: offline %s, libpcap on a packet "
					       "that fits the metadata %s\n", expr, i, fr[i].desc, v2 + 1,
					       a == NT_PCAPF_YES ? "YES" : "NO", a == NT_PCAPF_YES ? "no" : "yes");
					nt__failed_cases++;
					goto out;
				}
			}
		}
	printf("PASS: offline '%s' (%d decided: %d yes; %d unknown)\n", expr, dec, yes, unk);
out:
	nt_cbpf_free(&p);
}

static enum nt_pcapf_answer answer(const char *expr, const struct nt_pcapf_meta *m, const char **field)
{
	struct nt_cbpf p;
	char err[300];
	int why = -2;
	enum nt_pcapf_answer a;

	if (nt_pcapf_compile(expr, NT_PCAPF_VIEW_L2, &p, err, sizeof(err)))
		return (enum nt_pcapf_answer)99;
	a = nt_pcapf_offline_eval(&p, m, &why);
	*field = nt_pcapf_field_name(m, why);
	nt_cbpf_free(&p);
	return a;
}

TEST(unknown_fields_are_named)
{
	struct nt_pcapf_meta m = { .l3 = NT_L3_IPV4, .l4proto = 6, .sport = 40000, .dport = 80,
				   .l4_extra = 5, .tcp_flags = 0x02, .saddr = { 10, 0, 0, 1 },
				   .daddr = { 10, 0, 0, 2 } };
	const char *f;

	CHECK_EQ_INT(answer("ip[8] < 64", &m, &f), NT_PCAPF_UNKNOWN);
	CHECK_EQ_STR(f, "IPv4 TTL");
	CHECK_EQ_INT(answer("less 100", &m, &f), NT_PCAPF_UNKNOWN);
	CHECK_EQ_STR(f, "packet length (len / less / greater)");
	CHECK_EQ_INT(answer("ether host 02:00:00:00:00:01", &m, &f), NT_PCAPF_UNKNOWN);
	CHECK(strstr(f, "Ethernet"));
	CHECK_EQ_INT(answer("tcp[20] = 0x47", &m, &f), NT_PCAPF_UNKNOWN);
	CHECK_EQ_STR(f, "TCP options / payload");
	CHECK_EQ_INT(answer("tcp[8:4] = 0", &m, &f), NT_PCAPF_UNKNOWN);
	CHECK_EQ_STR(f, "TCP acknowledgment number");
	CHECK_EQ_INT(answer("ip[0] & 0xf > 5", &m, &f), NT_PCAPF_UNKNOWN);
	CHECK_EQ_STR(f, "IPv4 header length");
	/* decided although an unknown field is read on a path not taken */
	CHECK_EQ_INT(answer("tcp port 80 or ip[8] < 64", &m, &f), NT_PCAPF_YES);
	CHECK_EQ_INT(answer("udp and ip[8] < 64", &m, &f), NT_PCAPF_NO);
	/* bits that are known inside a partly known byte */
	CHECK_EQ_INT(answer("ip[6:2] & 0x1fff = 0", &m, &f), NT_PCAPF_YES);
	CHECK_EQ_INT(answer("ip[6:2] & 0x2000 = 0", &m, &f), NT_PCAPF_UNKNOWN);
	CHECK_EQ_STR(f, "IPv4 flags (DF)");
}

TEST(v2_fragment_fields_decide_fragment_filters)
{
	struct nt_pcapf_meta m = { .l3 = NT_L3_IPV4, .l4proto = 17, .saddr = { 10, 0, 0, 1 },
				   .daddr = { 10, 0, 0, 2 }, .has_frag = 1, .frag = 0x8000 | 1 << 13 | 185 };
	const char *f;

	CHECK_EQ_INT(answer("ip[6:2] & 0x1fff != 0", &m, &f), NT_PCAPF_YES);
	CHECK_EQ_INT(answer("ip[6] & 0x20 != 0", &m, &f), NT_PCAPF_YES); /* MF */
	CHECK_EQ_INT(answer("udp port 53", &m, &f), NT_PCAPF_NO);  /* libpcap: not on fragments */
	CHECK_EQ_INT(answer("udp[0:2] = 53", &m, &f), NT_PCAPF_NO);
	m.has_frag = 0; /* v1: no L4 fields recorded, offset unknown */
	CHECK_EQ_INT(answer("ip[6:2] & 0x1fff != 0", &m, &f), NT_PCAPF_UNKNOWN);
	CHECK_EQ_STR(f, "IPv4 flags (DF)");
}

TEST(meta_records_of_both_format_versions)
{
	struct nt_ev_meta ev;
	struct nt_pcapf_meta m;
	const char *f;

	memset(&ev, 0, sizeof(ev));
	ev.l3 = NT_L3_IPV4;
	ev.l4proto = 17;
	ev.ethertype = 0x0800;
	ev.saddr[0] = 10;
	ev.daddr[0] = 10;
	ev.frag = NT_FRAG_IS | NT_FRAG_MF | 185;
	nt_pcapf_meta_from_ev(&ev, 1, &m);
	CHECK(!m.has_frag && !m.has_l4_csum);
	CHECK_EQ_INT(answer("ip[6:2] & 0x1fff != 0", &m, &f), NT_PCAPF_UNKNOWN);
	nt_pcapf_meta_from_ev(&ev, 2, &m);
	CHECK(m.has_frag && !m.has_l4_csum);
	CHECK_EQ_INT(answer("ip[6:2] & 0x1fff != 0", &m, &f), NT_PCAPF_YES);
	CHECK_EQ_INT(answer("net 10.0.0.0/8 and udp port 53", &m, &f), NT_PCAPF_NO);
	ev.frag = 0;
	ev.sport = 5000;
	ev.dport = 53;
	ev.l4_csum = 0xabcd;
	nt_pcapf_meta_from_ev(&ev, 2, &m);
	CHECK(m.has_l4_csum);
	CHECK_EQ_INT(answer("udp[6:2] = 0xabcd and udp dst port 53", &m, &f), NT_PCAPF_YES);
	nt_pcapf_meta_from_ev(&ev, 1, &m);
	CHECK_EQ_INT(answer("udp[6:2] = 0xabcd", &m, &f), NT_PCAPF_UNKNOWN);
	CHECK_EQ_STR(f, "UDP checksum");
}

/* Recorded bytes (nft-analyze --filter on a log with BYTES records): the
 * first CAP bytes of each frame; YES / NO must be libpcap's on the whole
 * frame, UNKNOWN only when the program reads past CAP (then libpcap on the
 * cut frame rejects: it cannot have read only the captured bytes). */
static void frame_case(const char *expr, const struct nt_pg_frame *fr, int nfr)
{
	static const unsigned int caps[] = { 14, 34, 40, 54, 60, 96, 128, NT_PCAPF_SYN_MAX };
	struct nt_cbpf p;
	char err[300];
	int dec = 0, unk = 0;

	if (nt_pcapf_compile(expr, NT_PCAPF_VIEW_L2, &p, err, sizeof(err))) {
		printf("FAIL: offline_bytes '%s': %s\n", expr, err);
		nt__failed_cases++;
		return;
	}
	for (int i = 0; i < nfr; i++)
		for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
			const struct nt_pg_frame *f = &fr[i];
			unsigned int cap = caps[c] < f->caplen ? caps[c] : f->caplen;
			unsigned int want = !!nt_pcapf_run_libpcap(&p, f->data, f->caplen, f->wirelen);
			enum nt_pcapf_answer a = nt_pcapf_offline_eval_frame(&p, f->data, cap, f->wirelen, NULL);

			if (a == NT_PCAPF_UNKNOWN) {
				unk++;
				if (cap == f->caplen && f->caplen == f->wirelen) {
					printf("FAIL: offline_bytes '%s': frame %d (%s): UNKNOWN on the whole packet\n",
					       expr, i, f->desc);
					nt__failed_cases++;
					goto out;
				}
				continue;
			}
			dec++;
			if (want != (a == NT_PCAPF_YES)) {
				printf("FAIL: offline_bytes '%s': frame %d (%s), %u of %u bytes: %s, libpcap %s\n",
				       expr, i, f->desc, cap, f->wirelen, a == NT_PCAPF_YES ? "YES" : "NO",
				       want ? "yes" : "no");
				nt__failed_cases++;
				goto out;
			}
		}
	printf("PASS: offline_bytes '%s' (%d decided, %d read past the capture)\n", expr, dec, unk);
out:
	nt_cbpf_free(&p);
}

int main(void)
{
	const struct nt_pg_frame *fr;
	int nfr = nt_pg_build(&fr);

	RUN(unknown_fields_are_named);
	RUN(v2_fragment_fields_decide_fragment_filters);
	RUN(meta_records_of_both_format_versions);
	for (size_t i = 0; i < sizeof(EXPRS) / sizeof(EXPRS[0]); i++)
		offline_case(EXPRS[i], fr, nfr);
	for (size_t i = 0; i < sizeof(EXPRS) / sizeof(EXPRS[0]); i++)
		frame_case(EXPRS[i], fr, nfr);
	TEST_EXIT();
}
