// SPDX-License-Identifier: GPL-2.0
/* capfilter.c - parse --filter into struct nt_filter + nft match strings. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nft-record/capfilter.h"

#define MAX_TOK 32

static int tokenize(char *s, char **tok, int max)
{
	int n = 0;

	for (char *p = strtok(s, " \t\n"); p; p = strtok(NULL, " \t\n")) {
		if (n == max)
			return -1;
		tok[n++] = p;
	}
	return n;
}

/* ADDR[/LEN] -> l3, 16 byte address, prefix; 0 or -1 */
static int parse_cidr(const char *s, nt_u8 *l3, nt_u8 *addr, nt_u8 *prefix)
{
	char buf[80], *slash;
	long len = -1;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash) {
		char *end;

		*slash = 0;
		len = strtol(slash + 1, &end, 10);
		if (*end || end == slash + 1 || len < 0)
			return -1;
	}
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1) {
		if (len > 32)
			return -1;
		*l3 = NT_L3_IPV4;
		*prefix = len < 0 ? 32 : len;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, addr) == 1) {
		if (len > 128)
			return -1;
		*l3 = NT_L3_IPV6;
		*prefix = len < 0 ? 128 : len;
		return 0;
	}
	return -1;
}

static int parse_u32(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	*v = strtoul(s, &end, 0);
	return (*end || errno || *v > max) ? -1 : 0;
}

static int parse_proto(const char *s, nt_u8 *proto)
{
	unsigned long v;
	struct protoent *pe;

	if (!strcmp(s, "icmp6") || !strcmp(s, "icmpv6") || !strcmp(s, "ipv6-icmp")) {
		*proto = 58;
		return 0;
	}
	if (!parse_u32(s, 255, &v)) {
		*proto = v;
		return 0;
	}
	pe = getprotobyname(s);
	if (!pe)
		return -1;
	*proto = pe->p_proto;
	return 0;
}

/* Expand the current set of nft match strings by alternatives (OR):
 * every existing string gets each alternative appended. */
static int nft_expand(struct nt_capfilter *o, const char *alt1, const char *alt2)
{
	int n = o->n_nft ? o->n_nft : 1;
	int k = alt2 ? 2 : 1;
	char tmp[NT_CAPFILTER_MAX_RULES][256];

	if (n * k > NT_CAPFILTER_MAX_RULES)
		return -1;
	if (!o->n_nft)
		tmp[0][0] = 0;
	else
		memcpy(tmp, o->nft, sizeof(tmp));
	for (int i = 0; i < n; i++)
		for (int j = 0; j < k; j++) {
			const char *a = j ? alt2 : alt1;
			int w = snprintf(o->nft[i * k + j], sizeof(o->nft[0]), "%s%s%s", tmp[i],
					 tmp[i][0] ? " " : "", a);

			if (w >= (int)sizeof(o->nft[0]))
				return -1;
		}
	o->n_nft = n * k;
	return 0;
}

static int set_l3(struct nt_filter *f, nt_u8 l3)
{
	if ((f->flags & (NT_FLT_L3 | NT_FLT_HOST | NT_FLT_SRC | NT_FLT_DST)) && f->l3 != l3)
		return -1;
	f->l3 = l3;
	return 0;
}

int nt_capfilter_parse(const char *expr, struct nt_capfilter *o, char *err, size_t errlen)
{
	char *copy = NULL, *tok[MAX_TOK], m[256], m2[256];
	int n, i, ret = -EINVAL;
	struct nt_filter *f = &o->bpf;

	memset(o, 0, sizeof(*o));
	if (!expr || !*expr)
		return 0;
	copy = strdup(expr);
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	n = tokenize(copy, tok, MAX_TOK);
	if (n < 0) {
		snprintf(err, errlen, "--filter: too many words (max %d)", MAX_TOK);
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *w = tok[i], *arg = i + 1 < n ? tok[i + 1] : NULL;
		unsigned long v;

		if (!strcmp(w, "and") || !strcmp(w, "&&"))
			continue;
		if (!strcmp(w, "or") || !strcmp(w, "||") || !strcmp(w, "not") || !strcmp(w, "!")) {
			snprintf(err, errlen, "--filter: '%s' is not supported: predicates can only be joined with 'and'", w);
			goto out;
		}
		if (!strcmp(w, "ip") || !strcmp(w, "ip6")) {
			nt_u8 l3 = w[2] ? NT_L3_IPV6 : NT_L3_IPV4;

			if (set_l3(f, l3))
				goto conflict;
			f->flags |= NT_FLT_L3;
			if (nft_expand(o, l3 == NT_L3_IPV4 ? "meta nfproto ipv4" : "meta nfproto ipv6", NULL))
				goto toolong;
			continue;
		}
		if (!strcmp(w, "tcp") || !strcmp(w, "udp") || !strcmp(w, "icmp") ||
		    !strcmp(w, "icmp6") || !strcmp(w, "proto")) {
			const char *p = w;

			if (!strcmp(w, "proto")) {
				if (!arg)
					goto missing;
				p = arg;
				i++;
			}
			if (parse_proto(p, &f->l4proto)) {
				snprintf(err, errlen, "--filter: unknown protocol '%s' (use tcp, udp, icmp, icmp6 or a number)", p);
				goto out;
			}
			f->flags |= NT_FLT_PROTO;
			snprintf(m, sizeof(m), "meta l4proto %u", f->l4proto);
			if (nft_expand(o, m, NULL))
				goto toolong;
			continue;
		}
		if (!strcmp(w, "host") || !strcmp(w, "net") || !strcmp(w, "src") || !strcmp(w, "dst")) {
			nt_u8 l3, addr[16], pfx;
			char astr[INET6_ADDRSTRLEN];
			const char *ipk;

			if (!arg)
				goto missing;
			if (parse_cidr(arg, &l3, addr, &pfx)) {
				snprintf(err, errlen, "--filter: '%s %s': not an IPv4/IPv6 address or ADDR/LEN", w, arg);
				goto out;
			}
			if (set_l3(f, l3))
				goto conflict;
			inet_ntop(l3 == NT_L3_IPV4 ? AF_INET : AF_INET6, addr, astr, sizeof(astr));
			ipk = l3 == NT_L3_IPV4 ? "ip" : "ip6";
			if (w[0] == 'h' || w[0] == 'n') {
				f->flags |= NT_FLT_HOST;
				memcpy(f->host, addr, 16);
				f->host_prefix = pfx;
				snprintf(m, sizeof(m), "%s saddr %s/%u", ipk, astr, pfx);
				snprintf(m2, sizeof(m2), "%s daddr %s/%u", ipk, astr, pfx);
				if (nft_expand(o, m, m2))
					goto toolong;
			} else {
				int src = w[0] == 's';

				f->flags |= src ? NT_FLT_SRC : NT_FLT_DST;
				memcpy(src ? f->src : f->dst, addr, 16);
				*(src ? &f->src_prefix : &f->dst_prefix) = pfx;
				snprintf(m, sizeof(m), "%s %s %s/%u", ipk, src ? "saddr" : "daddr", astr, pfx);
				if (nft_expand(o, m, NULL))
					goto toolong;
			}
			i++;
			continue;
		}
		if (!strcmp(w, "port") || !strcmp(w, "sport") || !strcmp(w, "dport")) {
			if (!arg)
				goto missing;
			if (parse_u32(arg, 65535, &v)) {
				snprintf(err, errlen, "--filter: '%s %s': port must be 0..65535", w, arg);
				goto out;
			}
			if (w[0] == 'p') {
				f->flags |= NT_FLT_PORT;
				f->port = v;
				snprintf(m, sizeof(m), "meta l4proto { tcp, udp, sctp, dccp } th sport %lu", v);
				snprintf(m2, sizeof(m2), "meta l4proto { tcp, udp, sctp, dccp } th dport %lu", v);
				if (nft_expand(o, m, m2))
					goto toolong;
			} else {
				f->flags |= w[0] == 's' ? NT_FLT_SPORT : NT_FLT_DPORT;
				*(w[0] == 's' ? &f->sport : &f->dport) = v;
				snprintf(m, sizeof(m), "meta l4proto { tcp, udp, sctp, dccp } th %s %lu", w, v);
				if (nft_expand(o, m, NULL))
					goto toolong;
			}
			i++;
			continue;
		}
		if (!strcmp(w, "iface") || !strcmp(w, "dev")) {
			if (!arg)
				goto missing;
			if (strlen(arg) >= 16 || strpbrk(arg, "\"\\ ")) {
				snprintf(err, errlen, "--filter: '%s %s': not an interface name", w, arg);
				goto out;
			}
			snprintf(o->iface, sizeof(o->iface), "%s", arg);
			f->flags |= NT_FLT_IFINDEX; /* ifindex resolved by the recorder */
			snprintf(m, sizeof(m), "iifname \"%s\"", arg);
			snprintf(m2, sizeof(m2), "oifname \"%s\"", arg);
			if (nft_expand(o, m, m2))
				goto toolong;
			i++;
			continue;
		}
		if (!strcmp(w, "netns")) {
			if (!arg)
				goto missing;
			if (strlen(arg) >= sizeof(o->netns) || strchr(arg, '/') || arg[0] == '.') {
				snprintf(err, errlen, "--filter: 'netns %s': not a network namespace name (see ip netns list)", arg);
				goto out;
			}
			snprintf(o->netns, sizeof(o->netns), "%s", arg);
			f->flags |= NT_FLT_NETNS; /* inode resolved by the recorder */
			i++;
			continue;
		}
		if (!strcmp(w, "mark")) {
			char buf[64], *sl;
			unsigned long mask = 0xffffffffUL;

			if (!arg)
				goto missing;
			snprintf(buf, sizeof(buf), "%s", arg);
			sl = strchr(buf, '/');
			if (sl)
				*sl++ = 0;
			if (parse_u32(buf, 0xffffffffUL, &v) || (sl && parse_u32(sl, 0xffffffffUL, &mask))) {
				snprintf(err, errlen, "--filter: 'mark %s': expected VALUE or VALUE/MASK (numbers)", arg);
				goto out;
			}
			f->flags |= NT_FLT_MARK;
			f->mark_value = v & mask;
			f->mark_mask = mask;
			snprintf(m, sizeof(m), "meta mark & 0x%lx == 0x%lx", mask, v & mask);
			if (nft_expand(o, m, NULL))
				goto toolong;
			i++;
			continue;
		}
		snprintf(err, errlen, "--filter: unknown word '%s' (see nft-record --help for the syntax)", w);
		goto out;
	}
	ret = 0;
	goto out;
missing:
	snprintf(err, errlen, "--filter: '%s' needs a value", tok[i]);
	goto out;
conflict:
	snprintf(err, errlen, "--filter: '%s' mixes IPv4 and IPv6", expr);
	goto out;
toolong:
	snprintf(err, errlen, "--filter: expression too long or too many alternatives (max %d nft rules)", NT_CAPFILTER_MAX_RULES);
out:
	free(copy);
	return ret;
}
