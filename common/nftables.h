/* SPDX-License-Identifier: GPL-2.0 */
/* nftables.h - the names of nftables families (NFPROTO_*) and hooks (NT_HOOK_*):
 * one table each, for the recorder's ruleset snapshot and the model's texts. */
#ifndef NT_NFTABLES_H
#define NT_NFTABLES_H

#include <stdint.h>

/* NFPROTO_* of "inet", "ip", "ip6", "arp", "bridge", "netdev"; -1 when unknown. */
int nt_nfproto_parse(const char *s);
/* "inet", "ip", ...; "unspec" when unknown. */
const char *nt_family_name(uint8_t nfproto);
/* NT_HOOK_* of "prerouting", ... "egress"; NT_HOOK_NONE when unknown. */
int nt_hook_parse(const char *s);
/* "prerouting", ...; "none" when unknown. */
const char *nt_hook_name(uint8_t hook);

#endif
