// SPDX-License-Identifier: GPL-2.0
/* pcapfilt/nftmatch.c - a superset nft match for simple pcap expressions
 * (nftmatch.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapfilt/nftmatch.h"

#define MAX_TOK 64

struct rules {
	int n;
	char r[NT_PCAPF_NFT_MAX][NT_PCAPF_NFT_LEN];
};

/* Every rule gets one of the alternatives appended (OR of ANDs). */
static int expand(struct rules *o, const char *a1, const char *a2)
{
	int n = o->n ? o->n : 1, k = a2 ? 2 : 1;
	static char tmp[NT_PCAPF_NFT_MAX][NT_PCAPF_NFT_LEN];

	if (n * k > NT_PCAPF_NFT_MAX)
		return -1;
	if (!o->n)
		tmp[0][0] = 0;
	else
		memcpy(tmp, o->r, sizeof(tmp));
	for (int i = 0; i < n; i++)
		for (int j = 0; j < k; j++) {
			int w = snprintf(o->r[i * k + j], NT_PCAPF_NFT_LEN, "%s%s%s", tmp[i], tmp[i][0] ? " " : "",
					 j ? a2 : a1);

			if (w < 0 || w >= NT_PCAPF_NFT_LEN)
				return -1;
		}
	o->n = n * k;
	return 0;
}

static int parse_num(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	*v = strtoul(s, &end, 0);
	return *end || *v > max ? -1 : 0;
}

static int l4num(const char *s, unsigned long *v)
{
	static const struct { const char *n; int v; } t[] = {
		{ "tcp", 6 }, { "udp", 17 }, { "icmp", 1 }, { "icmp6", 58 }, { "sctp", 132 }, { "igmp", 2 },
		{ "gre", 47 }, { "esp", 50 }, { "ah", 51 }, { NULL, 0 } };

	if (*s == '\\')
		s++;
	if (!parse_num(s, 255, v))
		return 0;
	for (int i = 0; t[i].n; i++)
		if (!strcmp(s, t[i].n)) {
			*v = (unsigned long)t[i].v;
			return 0;
		}
	return -1;
}

/* ADDR, ADDR/LEN or (with mask) ADDR mask MASK -> "ip saddr 1.2.3.0/24" form. */
static int addr_match(const char *a, const char *mask, int net, const char *dir, char *o1, char *o2)
{
	char buf[64], *sl, txt[INET6_ADDRSTRLEN];
	unsigned char bin[16], mb[16];
	unsigned long len = 0;
	int v6;

	if (strlen(a) >= sizeof(buf))
		return -1;
	strcpy(buf, a);
	sl = strchr(buf, '/');
	if (sl) {
		*sl++ = 0;
		if (!net || mask || parse_num(sl, 128, &len))
			return -1;
	}
	v6 = strchr(buf, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, bin) != 1)
		return -1;
	if (!sl)
		len = v6 ? 128 : 32;
	if (mask) {
		int bits = 0, seen_zero = 0;

		if (v6 || inet_pton(AF_INET, mask, mb) != 1)
			return -1;
		for (int i = 0; i < 32; i++) {
			int b = (mb[i / 8] >> (7 - i % 8)) & 1;

			if (b && seen_zero)
				return -1; /* not a prefix mask */
			seen_zero |= !b;
			bits += b;
		}
		len = (unsigned long)bits;
	} else if (net && !sl) {
		return -1; /* classful "net 10": not a simple shape */
	}
	if (len > (v6 ? 128UL : 32UL))
		return -1;
	inet_ntop(v6 ? AF_INET6 : AF_INET, bin, txt, sizeof(txt));
	if (!strcmp(dir, "src") || !strcmp(dir, "dst")) {
		snprintf(o1, NT_PCAPF_NFT_LEN, "%s %saddr %s/%lu", v6 ? "ip6" : "ip", dir[0] == 's' ? "s" : "d",
			 txt, len);
		o2[0] = 0;
	} else {
		snprintf(o1, NT_PCAPF_NFT_LEN, "%s saddr %s/%lu", v6 ? "ip6" : "ip", txt, len);
		snprintf(o2, NT_PCAPF_NFT_LEN, "%s daddr %s/%lu", v6 ? "ip6" : "ip", txt, len);
	}
	return 0;
}

/* One term T[0..n) -> up to two alternatives; -1 = not a simple shape. */
static int term(char **t, int n, char *o1, char *o2)
{
	const char *proto = NULL, *dir = "";
	int i = 0;
	unsigned long v, v2;

	o2[0] = 0;
	if (i < n && (!strcmp(t[i], "ip") || !strcmp(t[i], "ip6") || !strcmp(t[i], "tcp") ||
		      !strcmp(t[i], "udp") || !strcmp(t[i], "sctp") || !strcmp(t[i], "icmp") ||
		      !strcmp(t[i], "icmp6")))
		proto = t[i++];
	if (i < n && (!strcmp(t[i], "src") || !strcmp(t[i], "dst")))
		dir = t[i++];
	if (i == n) { /* a protocol alone */
		if (!proto || *dir)
			return -1;
		if (!strcmp(proto, "ip") || !strcmp(proto, "ip6"))
			snprintf(o1, NT_PCAPF_NFT_LEN, "meta protocol %s", proto);
		else
			snprintf(o1, NT_PCAPF_NFT_LEN, "meta l4proto %lu", (l4num(proto, &v), v));
		return 0;
	}
	if (!strcmp(t[i], "proto") && i + 2 == n && !*dir &&
	    (!proto || !strcmp(proto, "ip") || !strcmp(proto, "ip6"))) {
		if (l4num(t[i + 1], &v))
			return -1;
		if (proto)
			snprintf(o1, NT_PCAPF_NFT_LEN, "meta protocol %s meta l4proto %lu", proto, v);
		else
			snprintf(o1, NT_PCAPF_NFT_LEN, "meta l4proto %lu", v);
		return 0;
	}
	if ((!strcmp(t[i], "port") || !strcmp(t[i], "portrange")) && i + 2 == n) {
		const char *l4 = proto && strcmp(proto, "ip") && strcmp(proto, "ip6") ? proto : NULL;
		char l4s[48], val[32];

		if (proto && !l4 && strcmp(proto, "ip") && strcmp(proto, "ip6"))
			return -1;
		if (l4 && (!strcmp(l4, "icmp") || !strcmp(l4, "icmp6")))
			return -1;
		if (t[i][4] == 0) {
			if (parse_num(t[i + 1], 65535, &v))
				return -1; /* service names: libpcap's lookup may differ */
			snprintf(val, sizeof(val), "%lu", v);
		} else {
			char *dash = strchr(t[i + 1], '-');

			if (!dash)
				return -1;
			*dash = 0;
			if (parse_num(t[i + 1], 65535, &v) || parse_num(dash + 1, 65535, &v2)) {
				*dash = '-';
				return -1;
			}
			*dash = '-';
			snprintf(val, sizeof(val), "%lu-%lu", v < v2 ? v : v2, v < v2 ? v2 : v);
		}
		snprintf(l4s, sizeof(l4s), "meta l4proto %s", l4 ? l4 : "{ tcp, udp, sctp }");
		if (*dir) {
			snprintf(o1, NT_PCAPF_NFT_LEN, "%s th %sport %s", l4s, dir[0] == 's' ? "s" : "d", val);
		} else {
			snprintf(o1, NT_PCAPF_NFT_LEN, "%s th sport %s", l4s, val);
			snprintf(o2, NT_PCAPF_NFT_LEN, "%s th dport %s", l4s, val);
		}
		return 0;
	}
	if (proto && strcmp(proto, "ip") && strcmp(proto, "ip6"))
		return -1; /* "tcp host X" is not pcap anyway */
	if (!strcmp(t[i], "host") && i + 2 == n)
		return addr_match(t[i + 1], NULL, 0, dir, o1, o2);
	if (!strcmp(t[i], "net") && i + 2 == n)
		return addr_match(t[i + 1], NULL, 1, dir, o1, o2);
	if (!strcmp(t[i], "net") && i + 4 == n && !strcmp(t[i + 2], "mask"))
		return addr_match(t[i + 1], t[i + 3], 1, dir, o1, o2);
	if (i + 1 == n && *dir) /* "src 10.0.0.1" */
		return addr_match(t[i], NULL, 0, dir, o1, o2);
	return -1;
}

void nt_pcapf_nft_match(const char *pcap, const struct nt_pcapf_extras *x, struct nt_pcapf_nft *out)
{
	static struct rules r;
	char *copy = NULL, *tok[MAX_TOK], o1[NT_PCAPF_NFT_LEN], o2[NT_PCAPF_NFT_LEN];
	int nt = 0, start = 0;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	if (pcap && *pcap) {
		copy = strdup(pcap);
		if (!copy) {
			snprintf(out->why, sizeof(out->why), "out of memory");
			return;
		}
		if (strpbrk(copy, "()[]!|<>=+*%^")) {
			snprintf(out->why, sizeof(out->why),
				 "the expression is not a conjunction of protocol / address / port terms");
			goto all;
		}
		for (char *p = strtok(copy, " \t\n\r\v\f"); p; p = strtok(NULL, " \t\n\r\v\f")) {
			if (nt == MAX_TOK) {
				snprintf(out->why, sizeof(out->why), "more than %d words", MAX_TOK);
				goto all;
			}
			tok[nt++] = p;
		}
		for (int i = 0; i <= nt; i++) {
			if (i < nt && strcmp(tok[i], "and") && strcmp(tok[i], "&&"))
				continue;
			if (i < nt && strchr(tok[i], '&') && strcmp(tok[i], "&&")) {
				snprintf(out->why, sizeof(out->why), "bit operations");
				goto all;
			}
			if (i == start || term(tok + start, i - start, o1, o2)) {
				char w[96] = "";

				for (int k = start; k < i && strlen(w) + strlen(tok[k]) + 2 < sizeof(w); k++)
					strcat(strcat(w, k > start ? " " : ""), tok[k]);
				snprintf(out->why, sizeof(out->why), "'%s' has no simple nft equivalent", w);
				goto all;
			}
			if (expand(&r, o1, o2[0] ? o2 : NULL)) {
				snprintf(out->why, sizeof(out->why), "more than %d nft rules", NT_PCAPF_NFT_MAX);
				goto all;
			}
			start = i + 1;
		}
	}
	if (x && x->iface[0]) {
		snprintf(o1, sizeof(o1), "iifname \"%s\"", x->iface);
		snprintf(o2, sizeof(o2), "oifname \"%s\"", x->iface);
		if (expand(&r, o1, o2)) {
			snprintf(out->why, sizeof(out->why), "more than %d nft rules", NT_PCAPF_NFT_MAX);
			goto all;
		}
	}
	if (x && x->has_mark) {
		snprintf(o1, sizeof(o1), "meta mark & 0x%x == 0x%x", x->mark_mask, x->mark_value);
		if (expand(&r, o1, NULL)) {
			snprintf(out->why, sizeof(out->why), "more than %d nft rules", NT_PCAPF_NFT_MAX);
			goto all;
		}
	}
	out->n = r.n;
	memcpy(out->match, r.r, sizeof(out->match));
	free(copy);
	return;
all:
	out->n = 0;
	free(copy);
	for (char *p = out->why; *p; p++) /* the user's words, printed on stderr */
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}
