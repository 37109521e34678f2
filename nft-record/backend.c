// SPDX-License-Identifier: GPL-2.0
/* backend.c - backend selection table (see backend.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nft-record/backend.h"

/* Function-tracing backends live in nft-record/attach_*.c; weak so that the
 * recorder links (tracepoint-only) without them. */
extern const struct nt_backend nt_backend_kprobe_multi __attribute__((weak));
extern const struct nt_backend nt_backend_fentry __attribute__((weak));
extern const struct nt_backend nt_backend_kprobe __attribute__((weak));

/* Order = the order --backend auto tries. */
static const struct nt_backend *const *func_backends(size_t *n)
{
	static const struct nt_backend *tab[3];

	tab[0] = &nt_backend_kprobe_multi;
	tab[1] = &nt_backend_fentry;
	tab[2] = &nt_backend_kprobe;
	*n = 3;
	return tab;
}

static const char *const func_names[] = { "kprobe-multi", "fentry", "kprobe" };

const struct nt_backend *nt_backend_find(const char *name)
{
	const struct nt_backend *const *tab;
	size_t n, i;

	if (!strcmp(name, "tracepoint"))
		return &nt_backend_tracepoint;
	tab = func_backends(&n);
	for (i = 0; i < n; i++)
		if (!strcmp(name, func_names[i]))
			return tab[i];
	return NULL;
}

int nt_backend_select(const char *want, int with_funcs, const struct nt_backend **out, char *why,
		      size_t whylen)
{
	const struct nt_backend *const *tab;
	char reasons[512] = "", one[256];
	size_t n, i, off = 0;
	int known = 0;

	*out = NULL;
	tab = func_backends(&n);
	if (!strcmp(want, "tracepoint")) {
		snprintf(why, whylen, "tracepoint + nftrace mode (--backend tracepoint)");
		return 0;
	}
	if (strcmp(want, "auto")) {
		for (i = 0; i < n; i++) {
			if (strcmp(want, func_names[i]))
				continue;
			known = 1;
			if (!tab[i]) {
				snprintf(why, whylen, "backend %s is not built into this nft-record", want);
				return -ENOTSUP;
			}
			one[0] = 0;
			if (tab[i]->probe && tab[i]->probe(one, sizeof(one)) < 0) {
				snprintf(why, whylen, "backend %s unavailable: %s", want,
					 one[0] ? one : "probe failed");
				return -ENOTSUP;
			}
			*out = tab[i];
			snprintf(why, whylen, "%s + tracepoint + nftrace mode (--backend %s%s%s)", want,
				 want, one[0] ? "; " : "", one);
			return 0;
		}
		if (!known) {
			snprintf(why, whylen, "unknown backend '%s': use one of " NT_BACKEND_NAMES, want);
			return -EINVAL;
		}
	}
	if (!with_funcs) {
		snprintf(why, whylen, "no function to trace: tracepoint + nftrace mode");
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (!tab[i]) {
			off += snprintf(reasons + off, sizeof(reasons) - off, "%s%s: not built",
					off ? "; " : "", func_names[i]);
		} else {
			one[0] = 0;
			if (!tab[i]->probe || tab[i]->probe(one, sizeof(one)) == 0) {
				/* what was tried before, and how this one runs here */
				char paren[sizeof(reasons) + sizeof(one) + 8] = "";

				if (off || one[0])
					snprintf(paren, sizeof(paren), " (%s%s%s%s%s)", reasons,
						 off && one[0] ? "; " : "", one[0] ? func_names[i] : "",
						 one[0] ? ": " : "", one);
				*out = tab[i];
				snprintf(why, whylen, "%s available%s: %s + tracepoint + nftrace mode",
					 func_names[i], paren, func_names[i]);
				return 0;
			}
			off += snprintf(reasons + off, sizeof(reasons) - off, "%s%s: %s",
					off ? "; " : "", func_names[i], one[0] ? one : "unavailable");
		}
		if (off >= sizeof(reasons))
			off = sizeof(reasons) - 1;
	}
	snprintf(why, whylen, "kprobes unavailable on this kernel (%s): tracepoint + nftrace mode",
		 reasons);
	return 0;
}
