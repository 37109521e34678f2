// SPDX-License-Identifier: GPL-2.0
/* nftrace_table.c - the text of the recorder's owned nft table(s) and the
 * --nftrace-family list (nftrace_table.h); no libnftables, unit-tested. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nft-record/nftrace_table.h"

static const char *const hook_names[] = { "prerouting", "input", "forward", "output", "postrouting" };

const struct nt_nftrace_family nt_nftrace_families[] = {
	{ NT_NFTRACE_INET, "inet" },
	{ NT_NFTRACE_BRIDGE, "bridge" },
};
const size_t nt_nftrace_nfamilies = sizeof(nt_nftrace_families) / sizeof(nt_nftrace_families[0]);

int nt_nftrace_families_parse(const char *s, unsigned *mask, char *err, size_t errlen)
{
	const char *p = s;

	*mask = 0;
	while (p && *p) {
		size_t n = strcspn(p, ",");
		unsigned bit = 0;

		for (size_t i = 0; i < nt_nftrace_nfamilies; i++)
			if (strlen(nt_nftrace_families[i].name) == n &&
			    !strncmp(p, nt_nftrace_families[i].name, n))
				bit = nt_nftrace_families[i].bit;
		if (!bit) {
			snprintf(err, errlen, "unknown family '%.*s' (use inet, bridge or inet,bridge)",
				 (int)n, p);
			return -EINVAL;
		}
		*mask |= bit;
		p += n;
		if (*p == ',')
			p++;
	}
	if (!*mask) {
		snprintf(err, errlen, "empty family list (use inet, bridge or inet,bridge)");
		return -EINVAL;
	}
	return 0;
}

/* where a packet enters a namespace's stack: received or built there */
static int entry_hook(size_t h)
{
	return !strcmp(hook_names[h], "prerouting") || !strcmp(hook_names[h], "output");
}

/*
 * Append "table FAMILY NAME { flags owner; base chains }".  The rule ends in
 * accept: one trace message per chain run (the rule's, verdict accept)
 * instead of the rule's and the policy's; accept in the first base chain of
 * a hook only ends that chain, the packet goes on to the next one.
 */
static int build_family(char *buf, size_t len, size_t *offp, const char *family, const char *table,
			const struct nt_capfilter *flt)
{
	int every = !flt || !flt->nft.n;
	size_t off = *offp;
	int w;

	w = snprintf(buf + off, len - off, "table %s %s {\n\tflags owner\n", family, table);
	if (w < 0 || (size_t)w >= len - off)
		return -ENOSPC;
	off += w;
	for (size_t h = 0; h < sizeof(hook_names) / sizeof(hook_names[0]); h++) {
		if (every && !entry_hook(h))
			continue;
		w = snprintf(buf + off, len - off,
			     "\tchain %s {\n\t\ttype filter hook %s priority -2147483648; policy accept;\n",
			     hook_names[h], hook_names[h]);
		if (w < 0 || (size_t)w >= len - off)
			return -ENOSPC;
		off += w;
		for (int r = 0; r < (every ? 1 : flt->nft.n); r++) {
			w = snprintf(buf + off, len - off, "\t\t%s%smeta nftrace set 1 accept\n",
				     every ? "" : flt->nft.match[r], every ? "" : " ");
			if (w < 0 || (size_t)w >= len - off)
				return -ENOSPC;
			off += w;
		}
		w = snprintf(buf + off, len - off, "\t}\n");
		if (w < 0 || (size_t)w >= len - off)
			return -ENOSPC;
		off += w;
	}
	w = snprintf(buf + off, len - off, "}\n");
	if (w < 0 || (size_t)w >= len - off)
		return -ENOSPC;
	*offp = off + w;
	return 0;
}

/* nftrace_table.h */
int nt_nftrace_table(char *buf, size_t len, const char *table, const struct nt_capfilter *flt,
		     int listen, unsigned families)
{
	size_t off = 0;
	int w, err;

	if (!listen) {
		w = snprintf(buf, len, "table inet %s {\n\tflags owner\n\tchain key {\n"
			     "\t\tmeta nftrace set 1\n\t}\n}\n", table);
		return w < 0 || (size_t)w >= len ? -ENOSPC : 0;
	}
	if (!families)
		families = NT_NFTRACE_INET;
	for (size_t i = 0; i < nt_nftrace_nfamilies; i++) {
		if (!(families & nt_nftrace_families[i].bit))
			continue;
		err = build_family(buf, len, &off, nt_nftrace_families[i].name, table, flt);
		if (err)
			return err;
	}
	return 0;
}
