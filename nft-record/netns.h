/* SPDX-License-Identifier: GPL-2.0 */
/*
 * netns.h - network namespaces the recorder works in: the one it was started
 * in, plus every --netns NAME (ip netns, /run/netns/NAME).  nft tables, the
 * nftrace netlink group and interface names are per namespace; sockets are
 * created inside the namespace (setns) and stay bound to it.
 */
#ifndef NT_NETNS_H
#define NT_NETNS_H

#include <stddef.h>
#include <stdint.h>

struct nt_netns {
	char name[64];     /* "" = the recorder's own namespace */
	char label[64];    /* name, or the own namespace's /run/netns name, or "(host)" */
	int fd;            /* namespace fd (kept open) */
	uint32_t inum;     /* nsfs inode number (= the kernel's net->ns.inum) */
};

/* Open the recorder's own namespace (name NULL) or /run/netns/NAME. */
int nt_netns_open(struct nt_netns *ns, const char *name, char *err, size_t errlen);
void nt_netns_close(struct nt_netns *ns);

/* Enter NS; nt_netns_leave() returns to the recorder's own namespace.
 * Both are cheap (one setns); the recorder is single-threaded. */
int nt_netns_enter(const struct nt_netns *ns);
int nt_netns_leave(void);

/* Display name: NAME; for the recorder's own namespace its name under
 * /run/netns when it has one there and is not the init namespace (nft-record
 * run by `ip netns exec NAME`), else "(host)". */
const char *nt_netns_label(const struct nt_netns *ns);

#endif
