// SPDX-License-Identifier: GPL-2.0
/* nftables.c - nftables family and hook names (nftables.h). */
#include <string.h>

#include "common/nftables.h"
#include "common/records.h"

static const struct { const char *name; uint8_t nfproto; } families[] = {
	{ "inet", 1 }, { "ip", 2 }, { "arp", 3 }, { "netdev", 5 }, { "bridge", 7 }, { "ip6", 10 },
};

/* by NT_HOOK_* (= NF_INET_* / NF_NETDEV_*) */
static const char *const hooks[] = { "prerouting", "input", "forward", "output", "postrouting",
				     "ingress", "egress" };

#define N(a) (sizeof(a) / sizeof((a)[0]))

int nt_nfproto_parse(const char *s)
{
	for (size_t i = 0; s && i < N(families); i++)
		if (!strcmp(s, families[i].name))
			return families[i].nfproto;
	return -1;
}

const char *nt_family_name(uint8_t nfproto)
{
	for (size_t i = 0; i < N(families); i++)
		if (families[i].nfproto == nfproto)
			return families[i].name;
	return "unspec";
}

int nt_hook_parse(const char *s)
{
	for (size_t i = 0; s && i < N(hooks); i++)
		if (!strcmp(s, hooks[i]))
			return (int)i;
	return NT_HOOK_NONE;
}

const char *nt_hook_name(uint8_t hook)
{
	return hook < N(hooks) ? hooks[hook] : "none";
}
