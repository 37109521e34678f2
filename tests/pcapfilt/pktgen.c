// SPDX-License-Identifier: GPL-2.0
/* tests/pcapfilt/pktgen.c - see pktgen.h */
#include <arpa/inet.h>
#include <pcap.h>
#include <stdio.h>
#include <string.h>

#include "tests/pcapfilt/pktgen.h"

#define MAXF 320
static struct nt_pg_frame F[MAXF];
static int nf;

struct b {
	uint8_t *p;
	unsigned int n;
};

static void put8(struct b *b, unsigned int v) { b->p[b->n++] = (uint8_t)v; }
static void put16(struct b *b, unsigned int v) { put8(b, v >> 8); put8(b, v); }
static void put32(struct b *b, uint32_t v) { put16(b, v >> 16); put16(b, v & 0xffff); }
static void putn(struct b *b, const void *d, unsigned int n) { memcpy(b->p + b->n, d, n); b->n += n; }
static void fill(struct b *b, unsigned int n, uint8_t seed)
{
	for (unsigned int i = 0; i < n; i++)
		put8(b, (uint8_t)(seed + i * 7));
}

static uint16_t csum(const uint8_t *d, unsigned int n)
{
	uint32_t s = 0;

	for (unsigned int i = 0; i + 1 < n; i += 2)
		s += (uint32_t)d[i] << 8 | d[i + 1];
	if (n & 1)
		s += (uint32_t)d[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static const uint8_t MAC_A[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t MAC_B[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t MAC_BC[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MAC_MC[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };

struct l2 {
	const uint8_t *dst, *src;
	uint16_t tag_tpid[2]; /* 0 = none */
	uint16_t tag_tci[2];
};

static const struct l2 L2_PLAIN = { MAC_B, MAC_A, { 0, 0 }, { 0, 0 } };

/* Ethernet header (+ tags); returns the frame, cursor after the ethertype */
static struct nt_pg_frame *frame_begin(struct b *b, const struct l2 *l, uint16_t ethertype,
				       const char *desc)
{
	struct nt_pg_frame *f = &F[nf++];

	memset(f, 0, sizeof(*f));
	snprintf(f->desc, sizeof(f->desc), "%s", desc);
	b->p = f->data;
	b->n = 0;
	putn(b, l->dst, 6);
	putn(b, l->src, 6);
	for (int i = 0; i < 2 && l->tag_tpid[i]; i++) {
		put16(b, l->tag_tpid[i]);
		put16(b, l->tag_tci[i]);
		f->tagged = 1;
	}
	put16(b, ethertype);
	f->l3off = (ethertype == 0x0800 || ethertype == 0x86dd) ? (int)b->n : -1;
	return f;
}

static void frame_end(struct nt_pg_frame *f, struct b *b, unsigned int cut)
{
	f->wirelen = b->n;
	f->caplen = cut && cut < b->n ? cut : b->n;
}

struct ip4 {
	const char *src, *dst;
	uint8_t proto, ttl, tos;
	uint16_t id, frag; /* frag: flags << 13 | offset */
	unsigned int optlen; /* bytes of options (multiple of 4) */
};

/* IPv4 header; the length is fixed up by ip4_end */
static unsigned int ip4_begin(struct b *b, const struct ip4 *h)
{
	unsigned int at = b->n;
	struct in_addr a;

	put8(b, 0x40 | (5 + h->optlen / 4));
	put8(b, h->tos);
	put16(b, 0);
	put16(b, h->id);
	put16(b, h->frag);
	put8(b, h->ttl ? h->ttl : 64);
	put8(b, h->proto);
	put16(b, 0);
	inet_pton(AF_INET, h->src, &a);
	putn(b, &a, 4);
	inet_pton(AF_INET, h->dst, &a);
	putn(b, &a, 4);
	for (unsigned int i = 0; i < h->optlen; i++)
		put8(b, i + 1 == h->optlen ? 0 : 1); /* NOPs, then end of options */
	return at;
}

static void ip4_end(struct b *b, unsigned int at)
{
	unsigned int hl = (b->p[at] & 0xf) * 4;
	uint16_t c;

	b->p[at + 2] = (uint8_t)((b->n - at) >> 8);
	b->p[at + 3] = (uint8_t)(b->n - at);
	c = csum(b->p + at, hl);
	b->p[at + 10] = c >> 8;
	b->p[at + 11] = c & 0xff;
}

static unsigned int ip6_begin(struct b *b, const char *src, const char *dst, uint8_t nh, uint8_t hlim,
			      uint8_t tclass)
{
	unsigned int at = b->n;
	struct in6_addr a;

	put32(b, 0x60000000u | (uint32_t)tclass << 20 | 0x12345);
	put16(b, 0);
	put8(b, nh);
	put8(b, hlim ? hlim : 64);
	inet_pton(AF_INET6, src, &a);
	putn(b, &a, 16);
	inet_pton(AF_INET6, dst, &a);
	putn(b, &a, 16);
	return at;
}

static void ip6_end(struct b *b, unsigned int at)
{
	unsigned int pl = b->n - at - 40;

	b->p[at + 4] = (uint8_t)(pl >> 8);
	b->p[at + 5] = (uint8_t)pl;
}

static void tcp(struct b *b, uint16_t sp, uint16_t dp, uint32_t seq, uint8_t flags, unsigned int optlen,
		const char *payload, unsigned int plen)
{
	put16(b, sp);
	put16(b, dp);
	put32(b, seq);
	put32(b, flags & 0x10 ? seq ^ 0x5a5a5a5a : 0);
	put8(b, (uint8_t)((5 + optlen / 4) << 4));
	put8(b, flags);
	put16(b, 64240);
	put16(b, 0xbeef); /* checksum: not checked by filters */
	put16(b, 0);
	for (unsigned int i = 0; i < optlen; i++)
		put8(b, 1);
	if (payload)
		putn(b, payload, plen);
	else
		fill(b, plen, (uint8_t)sp);
}

static void udp(struct b *b, uint16_t sp, uint16_t dp, unsigned int plen)
{
	put16(b, sp);
	put16(b, dp);
	put16(b, 8 + plen);
	put16(b, 0xcafe);
	fill(b, plen, (uint8_t)dp);
}

static void icmp(struct b *b, uint8_t type, uint8_t code, uint16_t id, uint16_t seq, unsigned int plen)
{
	put8(b, type);
	put8(b, code);
	put16(b, 0x1234);
	put16(b, id);
	put16(b, seq);
	fill(b, plen, type);
}

/* ---- frame families ---- */

static void v4_tcp(const struct l2 *l, const char *s, const char *d, uint16_t sp, uint16_t dp,
		   uint8_t flags, unsigned int plen, const char *payload, unsigned int cut)
{
	struct b b;
	struct ip4 h = { s, d, 6, 64, 0, (uint16_t)(0x100 + nf), 0x4000, 0 };
	struct nt_pg_frame *f = frame_begin(&b, l, 0x0800, "v4 tcp");
	unsigned int at = ip4_begin(&b, &h);

	tcp(&b, sp, dp, 1000u * (unsigned)nf, flags, 0, payload, plen);
	ip4_end(&b, at);
	frame_end(f, &b, cut);
	snprintf(f->desc, sizeof(f->desc), "v4 tcp %s:%u>%s:%u f%02x len %u cut %u", s, sp, d, dp,
		 flags, plen, cut);
}

static void v4_udp(const struct l2 *l, const char *s, const char *d, uint16_t sp, uint16_t dp,
		   unsigned int plen, uint8_t ttl, uint8_t tos)
{
	struct b b;
	struct ip4 h = { s, d, 17, ttl, tos, (uint16_t)(0x200 + nf), 0, 0 };
	struct nt_pg_frame *f = frame_begin(&b, l, 0x0800, "v4 udp");
	unsigned int at = ip4_begin(&b, &h);

	udp(&b, sp, dp, plen);
	ip4_end(&b, at);
	frame_end(f, &b, 0);
	snprintf(f->desc, sizeof(f->desc), "v4 udp %s:%u>%s:%u len %u ttl %u tos %u", s, sp, d, dp, plen,
		 ttl, tos);
}

static void v4_icmp(const struct l2 *l, const char *s, const char *d, uint8_t type, uint8_t code,
		    unsigned int optlen)
{
	struct b b;
	struct ip4 h = { s, d, 1, 64, 0, (uint16_t)(0x300 + nf), 0, optlen };
	struct nt_pg_frame *f = frame_begin(&b, l, 0x0800, "v4 icmp");
	unsigned int at = ip4_begin(&b, &h);

	icmp(&b, type, code, 0x4242, (uint16_t)nf, 56);
	ip4_end(&b, at);
	frame_end(f, &b, 0);
	snprintf(f->desc, sizeof(f->desc), "v4 icmp %s>%s type %u code %u opt %u", s, d, type, code,
		 optlen);
}

/* IPv4 with options carrying TCP (the L4 header moves) */
static void v4_tcp_opts(const char *s, const char *d, uint16_t sp, uint16_t dp, unsigned int optlen)
{
	struct b b;
	struct ip4 h = { s, d, 6, 64, 0, (uint16_t)(0x400 + nf), 0, optlen };
	struct nt_pg_frame *f = frame_begin(&b, &L2_PLAIN, 0x0800, "");
	unsigned int at = ip4_begin(&b, &h);

	tcp(&b, sp, dp, 77, 0x18, 0, "GET / HTTP/1.1\r\n", 16);
	ip4_end(&b, at);
	frame_end(f, &b, 0);
	snprintf(f->desc, sizeof(f->desc), "v4 tcp opts %u %u>%u", optlen, sp, dp);
}

/* IPv4 fragment: FRAG = flags << 13 | offset; payload bytes only (offset > 0)
 * or a full UDP header (offset 0) */
static void v4_frag(const char *s, const char *d, uint8_t proto, uint16_t frag, unsigned int plen)
{
	struct b b;
	struct ip4 h = { s, d, proto, 64, 0, 0x7777, frag, 0 };
	struct nt_pg_frame *f = frame_begin(&b, &L2_PLAIN, 0x0800, "");
	unsigned int at = ip4_begin(&b, &h);

	if ((frag & 0x1fff) == 0 && proto == 17)
		udp(&b, 5001, 53, plen);
	else if ((frag & 0x1fff) == 0 && proto == 6)
		tcp(&b, 80, 40000, 5, 0x10, 0, NULL, plen);
	else
		fill(&b, plen, 0x50); /* ports would be here: 0x50.. looks like 80 */
	ip4_end(&b, at);
	frame_end(f, &b, 0);
	snprintf(f->desc, sizeof(f->desc), "v4 frag proto %u frag 0x%04x", proto, frag);
}

static void v6_l4(const struct l2 *l, const char *s, const char *d, uint8_t proto, uint16_t sp,
		  uint16_t dp, uint8_t flags_or_type, int ext, unsigned int plen)
{
	struct b b;
	uint8_t first = proto;
	struct nt_pg_frame *f;
	unsigned int at;

	if (ext == 1)
		first = 0;  /* hop-by-hop */
	else if (ext == 2)
		first = 44; /* fragment */
	f = frame_begin(&b, l, 0x86dd, "");
	at = ip6_begin(&b, s, d, first, (uint8_t)(nf % 3 ? 64 : 1), (uint8_t)(nf & 0xff));
	if (ext == 1) {
		put8(&b, proto);
		put8(&b, 0);
		put8(&b, 1); /* PadN */
		put8(&b, 4);
		put32(&b, 0);
	} else if (ext == 2) {
		put8(&b, proto);
		put8(&b, 0);
		put16(&b, 0x0001); /* offset 0, M = 1 */
		put32(&b, 0xabcdef);
	}
	if (proto == 6)
		tcp(&b, sp, dp, 99, flags_or_type, 0, NULL, plen);
	else if (proto == 17)
		udp(&b, sp, dp, plen);
	else
		icmp(&b, flags_or_type, 0, sp, dp, plen);
	ip6_end(&b, at);
	frame_end(f, &b, 0);
	snprintf(f->desc, sizeof(f->desc), "v6 %s>%s proto %u %u>%u t%u ext %d", s, d, proto, sp, dp,
		 flags_or_type, ext);
}

static void arp(const uint8_t *dst, uint16_t op, const char *spa, const char *tpa)
{
	struct b b;
	struct l2 l = { dst, MAC_A, { 0, 0 }, { 0, 0 } };
	struct nt_pg_frame *f = frame_begin(&b, &l, 0x0806, "");
	struct in_addr a;

	put16(&b, 1);
	put16(&b, 0x0800);
	put8(&b, 6);
	put8(&b, 4);
	put16(&b, op);
	putn(&b, MAC_A, 6);
	inet_pton(AF_INET, spa, &a);
	putn(&b, &a, 4);
	putn(&b, op == 1 ? (const uint8_t *)"\0\0\0\0\0\0" : MAC_B, 6);
	inet_pton(AF_INET, tpa, &a);
	putn(&b, &a, 4);
	fill(&b, 18, 0); /* padding to 60 bytes */
	frame_end(f, &b, 0);
	snprintf(f->desc, sizeof(f->desc), "arp op %u %s>%s", op, spa, tpa);
}

static void runt(unsigned int len)
{
	struct b b;
	struct nt_pg_frame *f = frame_begin(&b, &L2_PLAIN, 0x0800, "");

	put8(&b, 0x45);
	frame_end(f, &b, len);
	f->caplen = len;
	f->wirelen = len;
	snprintf(f->desc, sizeof(f->desc), "runt %u", len);
}

int nt_pg_build(const struct nt_pg_frame **frames)
{
	static const char *v4[] = { "10.0.0.1", "10.0.0.2", "192.168.1.5", "172.16.0.9", "1.2.3.4",
				    "10.0.1.7", "224.0.0.251", "255.255.255.255" };
	static const uint16_t ports[] = { 80, 443, 22, 53, 8080, 1024, 2048, 5000, 5005, 5010, 40000 };
	static const uint8_t flags[] = { 0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x29 };
	struct l2 vl = { MAC_B, MAC_A, { 0x8100, 0 }, { 100, 0 } };
	struct l2 vl2 = { MAC_B, MAC_A, { 0x8100, 0 }, { 0x2000 | 200, 0 } };
	struct l2 qinq = { MAC_B, MAC_A, { 0x88a8, 0x8100 }, { 300, 100 } };
	struct l2 bc = { MAC_BC, MAC_A, { 0, 0 }, { 0, 0 } };
	struct l2 mc = { MAC_MC, MAC_B, { 0, 0 }, { 0, 0 } };

	if (nf) {
		*frames = F;
		return nf;
	}
	/* TCP over IPv4: addresses x ports x flags (sampled) */
	for (int i = 0; i < 6; i++)
		for (int j = 0; j < 11; j += (i % 2) + 1) {
			int k = (i + j) % 7;

			v4_tcp(&L2_PLAIN, v4[i], v4[(i + 1) % 6], ports[(j + 3) % 11], ports[j], flags[k],
			       (unsigned)(j * 130 % 1400), NULL, 0);
		}
	v4_tcp(&L2_PLAIN, "10.0.0.2", "10.0.0.1", 40000, 80, 0x18, 18, "GET /index.html\r\n\r", 0);
	v4_tcp(&L2_PLAIN, "10.0.0.1", "10.0.0.2", 80, 40000, 0x18, 17, "HTTP/1.1 200 OK\r\n", 0);
	/* truncated captures: only the IP header, half a TCP header */
	v4_tcp(&L2_PLAIN, "10.0.0.1", "10.0.0.2", 1234, 80, 0x02, 0, NULL, 34);
	v4_tcp(&L2_PLAIN, "10.0.0.1", "10.0.0.2", 1234, 80, 0x02, 0, NULL, 40);
	v4_tcp(&L2_PLAIN, "10.0.0.1", "10.0.0.2", 1234, 80, 0x02, 100, NULL, 54);
	v4_tcp(&L2_PLAIN, "10.0.0.2", "10.0.0.1", 80, 1234, 0x12, 0, NULL, 47);
	for (int i = 0; i < 3; i++)
		v4_tcp_opts(v4[i], v4[i + 1], 33000, ports[i], 4u * (unsigned)(i + 1));
	/* UDP */
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 11; j += 2)
			v4_udp(i >= 6 ? &bc : &L2_PLAIN, v4[(i + 2) % 6], v4[i], ports[(j + 5) % 11], ports[j],
			       (unsigned)(j * 37 + i * 11), (uint8_t)(i * 20 + 1), (uint8_t)(i * 0x2e));
	v4_udp(&mc, "10.0.0.9", "224.0.0.251", 5353, 5353, 40, 255, 0);
	v4_udp(&bc, "0.0.0.0", "255.255.255.255", 68, 67, 300, 64, 0);
	/* ICMP */
	v4_icmp(&L2_PLAIN, "10.0.0.1", "10.0.0.2", 8, 0, 0);
	v4_icmp(&L2_PLAIN, "10.0.0.2", "10.0.0.1", 0, 0, 0);
	v4_icmp(&L2_PLAIN, "10.0.0.254", "10.0.0.1", 3, 3, 0);
	v4_icmp(&L2_PLAIN, "192.168.1.1", "10.0.0.1", 11, 0, 0);
	v4_icmp(&L2_PLAIN, "10.0.0.1", "1.2.3.4", 8, 0, 8);
	v4_icmp(&L2_PLAIN, "1.2.3.4", "10.0.0.1", 0, 0, 4);
	/* fragments: first (MF), middle, last, DF only */
	v4_frag("10.0.0.1", "10.0.0.2", 17, 0x2000, 100);
	v4_frag("10.0.0.1", "10.0.0.2", 17, 0x2000 | 185, 100);
	v4_frag("10.0.0.1", "10.0.0.2", 17, 370, 60);
	v4_frag("10.0.0.1", "10.0.0.2", 6, 0x2000, 40);
	v4_frag("10.0.0.1", "10.0.0.2", 6, 0x2000 | 1, 40);
	v4_frag("10.0.0.2", "10.0.0.1", 17, 0x4000, 20);
	/* IPv6 */
	v6_l4(&L2_PLAIN, "2001:db8::1", "2001:db8::2", 6, 40000, 443, 0x02, 0, 0);
	v6_l4(&L2_PLAIN, "2001:db8::2", "2001:db8::1", 6, 443, 40000, 0x12, 0, 0);
	v6_l4(&L2_PLAIN, "2001:db8::1", "2001:db8::2", 6, 40001, 80, 0x18, 0, 500);
	v6_l4(&L2_PLAIN, "fe80::1", "fe80::2", 17, 546, 547, 0, 0, 40);
	v6_l4(&L2_PLAIN, "fe80::2", "ff02::1", 58, 0, 0, 135, 0, 24);
	v6_l4(&L2_PLAIN, "2001:db8::1", "2001:db8:1::9", 58, 7, 1, 128, 0, 56);
	v6_l4(&L2_PLAIN, "2001:db8:1::9", "2001:db8::1", 58, 7, 1, 129, 0, 56);
	v6_l4(&L2_PLAIN, "2001:db8::1", "2001:db8::2", 6, 40002, 80, 0x02, 1, 0);
	v6_l4(&L2_PLAIN, "2001:db8::1", "2001:db8::2", 17, 5000, 53, 0, 2, 30);
	v6_l4(&L2_PLAIN, "2002::5", "2001:db8::2", 17, 53, 5005, 0, 0, 1200);
	v6_l4(&mc, "fe80::3", "ff02::fb", 17, 5353, 5353, 0, 0, 30);
	/* ARP */
	arp(MAC_BC, 1, "10.0.0.1", "10.0.0.2");
	arp(MAC_A, 2, "10.0.0.2", "10.0.0.1");
	/* 802.1Q, QinQ */
	v4_tcp(&vl, "10.0.0.1", "10.0.0.2", 40000, 80, 0x02, 0, NULL, 0);
	v4_tcp(&vl, "10.0.0.2", "10.0.0.1", 80, 40000, 0x12, 0, NULL, 0);
	v4_udp(&vl2, "192.168.1.5", "10.0.0.1", 5000, 53, 30, 64, 0);
	v4_icmp(&vl2, "10.0.0.1", "10.0.0.2", 8, 0, 0);
	v4_tcp(&qinq, "10.0.0.1", "1.2.3.4", 40000, 443, 0x02, 10, NULL, 0);
	v6_l4(&vl, "2001:db8::1", "2001:db8::2", 6, 40000, 443, 0x02, 0, 0);
	/* runts */
	runt(10);
	runt(14);
	runt(15);
	*frames = F;
	return nf;
}

int nt_pg_write_pcap(const char *path)
{
	const struct nt_pg_frame *fr;
	int n = nt_pg_build(&fr);
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d;

	if (!p)
		return -1;
	d = pcap_dump_open(p, path);
	if (!d) {
		pcap_close(p);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct pcap_pkthdr h = { .ts = { .tv_sec = 1700000000 + i, .tv_usec = 0 },
					 .caplen = fr[i].caplen, .len = fr[i].wirelen };

		pcap_dump((u_char *)d, &h, fr[i].data);
	}
	pcap_dump_close(d);
	pcap_close(p);
	return 0;
}
