/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pktbuild.h - test-only: the bytes of a packet whose headers a META record
 * describes (IPv4 / IPv6 + TCP / UDP / ICMP / ICMPv6, valid checksums, zero
 * payload up to meta->len), optionally behind an Ethernet header.  Used by
 * tests/tools/mklog (BYTES records) and the unit tests of the pcapng export.
 */
#ifndef NT_PKTBUILD_H
#define NT_PKTBUILD_H

#include <stdint.h>
#include <string.h>
#include "common/records.h"

static inline uint32_t pb_sum(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static inline uint16_t pb_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static inline void pb_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void pb_put32(uint8_t *p, uint32_t v) { pb_put16(p, (uint16_t)(v >> 16)); pb_put16(p + 2, (uint16_t)v); }

/* Build the packet into OUT (room for meta->len + 14 + 128 bytes); returns its
 * length (the network header on, plus 14 with MAC), or 0 when META is not
 * IPv4 / IPv6.  TCP flags: meta->tcp_flags, SYN when 0. */
static inline size_t pb_build(uint8_t *out, const struct nt_ev_meta *m, int mac)
{
	uint8_t *ip = out + (mac ? 14 : 0), *l4;
	size_t iphl = m->l3 == NT_L3_IPV6 ? 40 : 20, l4hl, len = m->len;
	uint32_t s;

	if (m->l3 != NT_L3_IPV4 && m->l3 != NT_L3_IPV6)
		return 0;
	l4hl = m->l4proto == 6 ? 20 : (m->l4proto == 17 || m->l4proto == 1 || m->l4proto == 58) ? 8 : 0;
	if (len < iphl + l4hl)
		len = iphl + l4hl;
	memset(out, 0, len + (mac ? 14 : 0));
	if (mac) {
		static const uint8_t dst[6] = { 0x02, 0, 0, 0, 0, 0x02 }, src[6] = { 0x02, 0, 0, 0, 0, 0x01 };

		memcpy(out, dst, 6);
		memcpy(out + 6, src, 6);
		pb_put16(out + 12, m->l3 == NT_L3_IPV6 ? 0x86dd : 0x0800);
	}
	l4 = ip + iphl;
	if (m->l3 == NT_L3_IPV4) {
		ip[0] = 0x45;
		pb_put16(ip + 2, (uint16_t)len);
		pb_put16(ip + 4, m->ip_id);
		pb_put16(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = m->l4proto;
		memcpy(ip + 12, m->saddr, 4);
		memcpy(ip + 16, m->daddr, 4);
		pb_put16(ip + 10, pb_fold(pb_sum(0, ip, 20)));
		s = pb_sum(0, ip + 12, 8) + m->l4proto + (uint32_t)(len - iphl);
	} else {
		ip[0] = 0x60;
		pb_put16(ip + 4, (uint16_t)(len - iphl));
		ip[6] = m->l4proto;
		ip[7] = 64;
		memcpy(ip + 8, m->saddr, 16);
		memcpy(ip + 24, m->daddr, 16);
		s = pb_sum(0, ip + 8, 32) + m->l4proto + (uint32_t)(len - iphl);
	}
	switch (m->l4proto) {
	case 6:
		pb_put16(l4, m->sport);
		pb_put16(l4 + 2, m->dport);
		pb_put32(l4 + 4, m->l4_extra);
		l4[12] = 5 << 4;
		l4[13] = (uint8_t)(m->tcp_flags ? m->tcp_flags : 0x02);
		pb_put16(l4 + 14, 64240);
		pb_put16(l4 + 16, pb_fold(pb_sum(s, l4, len - iphl)));
		break;
	case 17:
		pb_put16(l4, m->sport);
		pb_put16(l4 + 2, m->dport);
		pb_put16(l4 + 4, (uint16_t)(len - iphl));
		pb_put16(l4 + 6, pb_fold(pb_sum(s, l4, len - iphl)));
		if (!l4[6] && !l4[7])
			l4[6] = l4[7] = 0xff;
		break;
	case 1:
	case 58:
		l4[0] = (uint8_t)(m->sport >> 8);
		l4[1] = (uint8_t)m->sport;
		pb_put16(l4 + 4, m->dport);
		pb_put16(l4 + 6, (uint16_t)m->l4_extra);
		pb_put16(l4 + 2, pb_fold(pb_sum(m->l4proto == 58 ? s : 0, l4, len - iphl)));
		break;
	}
	return len + (mac ? 14 : 0);
}

#endif
