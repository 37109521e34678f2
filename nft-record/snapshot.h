/* SPDX-License-Identifier: GPL-2.0 */
/*
 * snapshot.h - metadata blocks of a recording (formats/FORMAT.md): RULESET
 * (libnftables: JSON output for the structure, `nft -a` text for the rule
 * text), IFACES, DROP_REASONS (BTF of the running kernel), and the chain
 * table used for NT_EV_NFT_CHAINDEF records.
 */
#ifndef NT_SNAPSHOT_H
#define NT_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>
#include "common/records.h"
#include "nft-record/netns.h"

struct nt_chains;  /* chain attributes per (netns, family, table, chain) */

/* RULESET JSON of every namespace (tables named skip_prefix* are left out),
 * and the chain table.  Returns malloc'ed JSON or NULL (err filled). */
char *nt_snapshot_ruleset(const struct nt_netns *ns, int n, const char *skip_prefix,
			  struct nt_chains **chains, char *err, size_t errlen);
/* Re-read NS's chains into the table (a chain unknown at start appeared). */
int nt_chains_refresh(struct nt_chains *c, const struct nt_netns *ns, const char *skip_prefix);
/* 0 and def's hook/prio/policy/base filled, or -1 when unknown. */
int nt_chains_get(const struct nt_chains *c, uint32_t netns, uint8_t family, const char *table,
		  const char *chain, struct nt_ev_nft_chaindef *def);
void nt_chains_free(struct nt_chains *c);

char *nt_snapshot_ifaces(const struct nt_netns *ns, int n, char *err, size_t errlen);
/* DROP_REASONS from the kernel's BTF; *count gets the number of reasons. */
char *nt_snapshot_drop_reasons(size_t *count, char *err, size_t errlen);


#endif
