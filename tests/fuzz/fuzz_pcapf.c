// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_pcapf.c - libFuzzer target: the --filter input of nft-record and
 * nft-analyze (nt_capfilter_parse: extras split, old forms, nft match,
 * libpcap compile, eBPF translation) on arbitrary text, with the oracles of
 * tests/pcapfilt/ as assertions:
 *   - an error is one line without control characters;
 *   - the nft matches (pasted into the recorder's nft script) hold no
 *     control character, backslash or unbalanced quote, and outside quotes
 *     no ';' or '#';
 *   - the translated block fits the slot and gives, in the interpreter of
 *     tests/pcapfilt/ebpf_interp.c, libpcap's verdict (pcap_offline_filter)
 *     on every frame of tests/pcapfilt/pktgen.c in the L2 and L3 views;
 *   - nft-analyze's offline answer (pcapfilt/offline.c), when YES or NO, is
 *     libpcap's on the headers it lays out, whatever the unknown bits hold,
 *     and on recorded bytes (a frame, whole or cut), libpcap's on the frame.
 * Host names are never resolved (getaddrinfo below: numeric only), so an
 * input costs no DNS query.
 */
#include <dlfcn.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/records.h"
#include "nft-record/capfilter.h"
#include "pcapfilt/abi.h"
#include "pcapfilt/offline.h"
#include "pcapfilt/xlate.h"
#include "tests/pcapfilt/harness.h"
#include "tests/pcapfilt/pktgen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libpcap resolves `host NAME` with getaddrinfo: numeric addresses only */
int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	static int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
	struct addrinfo h = { 0 };

	if (!real)
		real = (int (*)(const char *, const char *, const struct addrinfo *,
				struct addrinfo **))dlsym(RTLD_NEXT, "getaddrinfo");
	if (!real)
		abort();
	if (hints)
		h = *hints;
	h.ai_flags |= AI_NUMERICHOST;
	return real(node, service, &h, res);
}

struct hostent *gethostbyname(const char *name)
{
	return NULL;
}

static const char *cur; /* the expression, for the message before abort() */

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_pcapf: '%s': %s: %s\n", cur, what, detail ? detail : "");
	abort();
}

static void one_line(const char *what, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			fail(what, "control character in the message");
}

static void nft_safe(const char *s)
{
	int q = 0;

	if (!*s)
		fail("nft match", "empty");
	one_line("nft match", s);
	for (; *s; s++) {
		q ^= *s == '"';
		if ((!q && (*s == ';' || *s == '#')) || *s == '\\')
			fail("nft match", s);
	}
	if (q)
		fail("nft match", "unbalanced quote");
}

/* ---- translator against libpcap on the generated frames ---- */

static void check_frames(const struct nt_capfilter *f)
{
	static const struct nt_pg_frame *fr;
	static int nfr;
	static uint8_t l3buf[NT_PG_FRAME_MAX + 14];
	char err[700];
	uint32_t got;

	if (!fr && (nfr = nt_pg_build(&fr)) < 50)
		fail("pktgen", "too few frames");
	for (int i = 0; i < nfr; i++) {
		const struct nt_pg_frame *g = &fr[i];
		struct nt_h_pkt p = { g->data, g->caplen, g->wirelen, NT_PCAPF_VIEW_L2, 0 };
		unsigned int want = nt_pcapf_run_libpcap(&f->prog, g->data, g->caplen, g->wirelen);

		if (nt_h_interp(f->block, f->block_n, &p, &got, err, sizeof(err)))
			fail(g->desc, err);
		if (got != want) {
			snprintf(err, sizeof(err), "view L2: eBPF %u, libpcap %u", got, want);
			fail(g->desc, err);
		}
		/* nft-analyze on recorded bytes: the whole frame, and cut at 40 */
		for (unsigned int cap = g->caplen, k = 0; k < 2; k++, cap = cap < 40 ? cap : 40) {
			enum nt_pcapf_answer a = nt_pcapf_offline_eval_frame(&f->prog, g->data, cap, g->wirelen, NULL);

			if (a != NT_PCAPF_UNKNOWN && (a == NT_PCAPF_YES) != !!want)
				fail(g->desc, k ? "offline on 40 recorded bytes: not libpcap's answer" :
						  "offline on the recorded frame: not libpcap's answer");
		}
		if (g->l3off < 0 || g->caplen <= (unsigned int)g->l3off)
			continue;
		/* view L3: from the IP header, EtherType in r5; libpcap sees a
		 * made-up Ethernet header with zero addresses */
		p.data = g->data + g->l3off;
		p.caplen = g->caplen - g->l3off;
		p.wirelen = g->wirelen - g->l3off;
		p.view = NT_PCAPF_VIEW_L3;
		p.r5 = (uint32_t)g->data[g->l3off - 2] << 8 | g->data[g->l3off - 1];
		memset(l3buf, 0, 12);
		l3buf[12] = g->data[g->l3off - 2];
		l3buf[13] = g->data[g->l3off - 1];
		memcpy(l3buf + 14, p.data, p.caplen);
		want = nt_pcapf_run_libpcap(&f->prog, l3buf, p.caplen + 14, p.wirelen + 14);
		if (nt_h_interp(f->block, f->block_n, &p, &got, err, sizeof(err)))
			fail(g->desc, err);
		if (got != want) {
			snprintf(err, sizeof(err), "view L3: eBPF %u, libpcap %u", got, want);
			fail(g->desc, err);
		}
	}
}

/* ---- offline answers against libpcap on the laid-out headers ---- */

static void meta_v4(struct nt_pcapf_meta *m, uint8_t proto)
{
	static const uint8_t s[4] = { 10, 0, 0, 1 }, d[4] = { 10, 0, 1, 7 };

	m->l3 = NT_L3_IPV4;
	m->ethertype = 0x0800;
	m->l4proto = proto;
	memcpy(m->saddr, s, 4);
	memcpy(m->daddr, d, 4);
	m->ip_id = 0x1234;
}

static void check_offline(const struct nt_capfilter *f)
{
	static const uint8_t s6[16] = { 0xfd, 0, 0, 1, [15] = 1 }, d6[16] = { 0xfd, 0, 0, 2, [15] = 1 };
	static const uint8_t fills[] = { 0x00, 0xff, 0x5a };
	struct nt_pcapf_meta m[7];
	struct nt_pcapf_syn s;
	uint8_t frame[NT_PCAPF_SYN_MAX];
	char d[96];

	memset(m, 0, sizeof(m));
	meta_v4(&m[0], 6); /* TCP SYN 40000 -> 80 */
	m[0].sport = 40000, m[0].dport = 80, m[0].tcp_flags = 0x02, m[0].l4_extra = 7;
	meta_v4(&m[1], 17); /* UDP 5353 -> 53 */
	m[1].sport = 5353, m[1].dport = 53;
	meta_v4(&m[2], 1); /* ICMP echo request id 9 seq 1 */
	m[2].sport = 8 << 8, m[2].l4_extra = 9 << 16 | 1;
	meta_v4(&m[3], 17); /* v2: a later fragment of a UDP datagram */
	m[3].has_frag = 1, m[3].frag = 0x8000 | 185;
	m[4].l3 = NT_L3_IPV6; /* TCP over IPv6, flags unknown (nftrace) */
	m[4].ethertype = 0x86dd, m[4].l4proto = 6, m[4].sport = 443, m[4].dport = 50000;
	m[4].no_tcp_flags = 1;
	memcpy(m[4].saddr, s6, 16), memcpy(m[4].daddr, d6, 16);
	m[5] = m[4]; /* ICMPv6 echo request */
	m[5].l4proto = 58, m[5].sport = 128 << 8, m[5].dport = 0, m[5].no_tcp_flags = 0;
	m[6].ethertype = 0x0806; /* ARP */
	for (unsigned int i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		enum nt_pcapf_answer a = nt_pcapf_offline_eval(&f->prog, &m[i], NULL);

		if (a == NT_PCAPF_UNKNOWN)
			continue;
		nt_pcapf_synthesize(&m[i], &s);
		for (unsigned int k = 0; k < sizeof(fills); k++) {
			for (unsigned int j = 0; j < s.len; j++)
				frame[j] = (uint8_t)((s.b[j] & s.known[j]) | (fills[k] & ~s.known[j]));
			/* the IPv4 header length is the recorder's: no options (offline.h) */
			if (s.l3off && (frame[s.l3off] >> 4) == 4)
				frame[s.l3off] = 0x45;
			/* the length is never known: any wire length at or past the headers */
			if (!!nt_pcapf_run_libpcap(&f->prog, frame, s.len, s.len + 100 * k) != (a == NT_PCAPF_YES)) {
				snprintf(d, sizeof(d), "meta %u, unknown bits 0x%02x: offline %s, libpcap the other",
					 i, fills[k], a == NT_PCAPF_YES ? "YES" : "NO");
				fail("offline", d);
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nt_capfilter f;
	char expr[1024], err[512];
	size_t n = size < sizeof(expr) - 1 ? size : sizeof(expr) - 1;
	int rc;

	memcpy(expr, data, n);
	expr[n] = 0;
	cur = expr;
	err[0] = 0;
	rc = nt_capfilter_parse(expr, &f, err, sizeof(err));
	if (rc < 0) {
		if (!err[0])
			fail("error", "no message");
		one_line("error", err);
		return 0;
	}
	if (rc > 0)
		fail("parse", "positive return");
	for (int i = 0; i < f.nft.n; i++)
		nft_safe(f.nft.match[i]);
	if (f.nft.n < 0 || f.nft.n > NT_PCAPF_NFT_MAX)
		fail("nft match", "count out of range");
	one_line("nft why", f.nft.why);
	if (f.pcap[0]) {
		if (!f.block || !f.block_n || f.block_n > NT_PCAPF_BUDGET || !f.prog.len)
			fail("translation", "no block, or over the budget");
		check_frames(&f);
		check_offline(&f);
	}
	nt_capfilter_free(&f);
	return 0;
}
