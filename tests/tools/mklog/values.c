/* values.c - mklog: the values of a scenario's fields (families, hooks,
 * verdicts, conntrack states, times, addresses, skb names); errors. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/logw.h"
#include "tests/tools/mklog/mklog.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

void die(int lineno, const char *fmt, const char *arg)
{
	fprintf(stderr, "mklog: %s:%d: ", scen_name, lineno);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(2);
}

void append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - *len) {
		fprintf(stderr, "mklog: metadata too large\n");
		exit(2);
	}
	*len += (size_t)n;
}

uint8_t fam_code(const char *f)
{
	if (!strcmp(f, "inet")) return 1;
	if (!strcmp(f, "ip")) return 2;
	if (!strcmp(f, "arp")) return 3;
	if (!strcmp(f, "netdev")) return 5;
	if (!strcmp(f, "bridge")) return 7;
	if (!strcmp(f, "ip6")) return 10;
	return 0;
}

uint8_t hook_code(const char *h)
{
	static const char *n[] = { "prerouting", "input", "forward", "output", "postrouting",
				   "ingress", "egress" };

	for (unsigned i = 0; i < 7; i++)
		if (!strcmp(h, n[i]))
			return (uint8_t)i;
	return NT_HOOK_NONE;
}

uint64_t chain_key(const char *fam, const char *table, const char *chain)
{
	uint64_t h = 0xcbf29ce484222325ull;
	char buf[200];

	snprintf(buf, sizeof(buf), "%s/%s/%s", fam, table, chain);
	for (const char *p = buf; *p; p++) {
		h ^= (uint8_t)*p;
		h *= 0x100000001b3ull;
	}
	return h;
}

int32_t verdict_code(const char *v, int lineno)
{
	static const struct { const char *n; int32_t v; } tab[] = {
		{ "drop", NT_V_DROP }, { "accept", NT_V_ACCEPT }, { "stolen", NT_V_STOLEN },
		{ "queue", NT_V_QUEUE }, { "continue", NT_V_CONTINUE }, { "jump", NT_V_JUMP },
		{ "goto", NT_V_GOTO }, { "return", NT_V_RETURN }, { "break", NT_V_BREAK },
	};

	for (unsigned i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcasecmp(v, tab[i].n))
			return tab[i].v;
	die(lineno, "unknown verdict '%s'", v);
	return 0;
}

/* skb names of the current iteration */
static char skb_names[64][32];
static uint64_t skb_addrs[64];
int nskb;
static uint64_t skb_alloc;

uint8_t ct_state_code(const char *s, int lineno)
{
	static const char *n[] = { "none", "new", "established", "related", "invalid", "untracked" };

	for (unsigned i = 0; i < sizeof(n) / sizeof(n[0]); i++)
		if (!strcmp(s, n[i]))
			return (uint8_t)i;
	die(lineno, "unknown ct state '%s'", s);
	return 0;
}

uint32_t ct_status_code(const char *s, int lineno)
{
	static const char *n[] = { "EXPECTED", "SEEN_REPLY", "ASSURED", "CONFIRMED", "SRC_NAT",
				   "DST_NAT", "SEQ_ADJUST", "SRC_NAT_DONE", "DST_NAT_DONE", "DYING" };
	char buf[256], *save = NULL;
	uint32_t v = 0;

	if (!strcmp(s, "-"))
		return 0;
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
		unsigned i;

		for (i = 0; i < sizeof(n) / sizeof(n[0]) && strcmp(t, n[i]); i++)
			;
		if (i == sizeof(n) / sizeof(n[0]))
			die(lineno, "unknown ct status '%s'", t);
		v |= 1u << i;
	}
	return v;
}

uint64_t skb_of(const char *name)
{
	if (!strcmp(name, "-"))
		return 0;
	if (!strncmp(name, "0x", 2))
		return strtoull(name, NULL, 16);
	for (int i = 0; i < nskb; i++)
		if (!strcmp(skb_names[i], name))
			return skb_addrs[i];
	if (nskb == 64)
		nskb = 0;
	snprintf(skb_names[nskb], sizeof(skb_names[nskb]), "%s", name);
	/* 65536 slots of 256 bytes, reused round robin like a slab */
	skb_addrs[nskb] = 0xffff888100000000ull + (skb_alloc++ % 65536) * 0x100;
	return skb_addrs[nskb++];
}

uint64_t parse_time(const char *s, uint64_t base)
{
	double us = strtod(s, NULL), j = 0;
	const char *t = strchr(s, '~');

	if (t)
		j = strtod(t + 1, NULL);
	if (j > 0)
		us += (double)(next_rand() % 1000000) / 1e6 * j;
	return base + (uint64_t)(us * 1000.0 + 0.5);
}

void parse_endpoint(const char *s, uint8_t *addr, uint16_t *port, uint8_t *l3,
			   int lineno, int *icmp_t, int *icmp_c, int *icmp_id)
{
	char buf[128], *p;

	snprintf(buf, sizeof(buf), "%s", s);
	*port = 0;
	if ((p = strchr(buf, '/'))) { /* icmp: addr/type/code/id */
		*p++ = 0;
		*icmp_t = atoi(p);
		p = strchr(p, '/');
		*icmp_c = p ? atoi(++p) : 0;
		p = p ? strchr(p, '/') : NULL;
		*icmp_id = p ? atoi(++p) : 0;
	}
	if (buf[0] == '[') {
		p = strchr(buf, ']');
		if (!p)
			die(lineno, "bad address '%s'", s);
		*p = 0;
		if (p[1] == ':')
			*port = (uint16_t)atoi(p + 2);
		if (inet_pton(AF_INET6, buf + 1, addr) != 1)
			die(lineno, "bad IPv6 address '%s'", s);
		*l3 = NT_L3_IPV6;
		return;
	}
	if ((p = strchr(buf, ':')) && !strchr(p + 1, ':')) {
		*p = 0;
		*port = (uint16_t)atoi(p + 1);
	}
	if (inet_pton(AF_INET, buf, addr) == 1) {
		*l3 = NT_L3_IPV4;
		return;
	}
	if (inet_pton(AF_INET6, buf, addr) == 1) {
		*l3 = NT_L3_IPV6;
		return;
	}
	die(lineno, "bad address '%s'", s);
}
