/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rulewatch.h - ruleset change notifications (NFNLGRP_NFTABLES) in every
 * recorded namespace, so the log's rule text always matches the rules in
 * force: a change of tables, chains, rules, sets, objects or flowtables asks
 * for a new RULESET snapshot (at most one per min_interval, changes in between
 * coalesced); set element updates (fail2ban, kube-proxy) only bump the
 * generation.  Tables named nft_record_* (recorders' own) are ignored.
 * The generation counts committed transactions (NFT_MSG_NEWGEN) that changed
 * anything not ignored, in any recorded namespace.
 */
#ifndef NT_RULEWATCH_H
#define NT_RULEWATCH_H

#include <stddef.h>
#include <stdint.h>

struct nt_netns;

/* What one netlink message means (pure, tests). */
enum nt_rw_kind { NT_RW_NONE, NT_RW_STRUCT, NT_RW_ELEM, NT_RW_GEN };
/* Classify one nfnetlink message of NFNL_SUBSYS_NFTABLES (BUF, LEN: the whole
 * nlmsghdr); tables whose name starts with IGNORE_PREFIX are NT_RW_NONE. */
enum nt_rw_kind nt_rw_classify(const void *buf, size_t len, const char *ignore_prefix);

struct nt_rw_state {
	uint64_t generation;     /* transactions with a change */
	int struct_pending;      /* a snapshot is due */
	int changed;             /* something in the current transaction */
	int struct_in_txn;
	uint64_t last_snap_ns;
	uint64_t min_interval_ns;
	uint64_t elem_changes, struct_changes, snapshots;
};
/* Account one classified message. */
void nt_rw_note(struct nt_rw_state *s, enum nt_rw_kind k);
/* Whether a snapshot is to be taken at NOW_NS (then call nt_rw_snapshotted). */
int nt_rw_due(const struct nt_rw_state *s, uint64_t now_ns);
void nt_rw_snapshotted(struct nt_rw_state *s, uint64_t now_ns);

#define NT_RW_MAX_NS 17
struct nt_rulewatch {
	int fd[NT_RW_MAX_NS];
	int n;
	struct nt_rw_state st;
	char ignore[64];
	uint64_t overruns;       /* ENOBUFS: a snapshot is then taken to be safe */
};

/* One socket per namespace (entered with setns), non-blocking.  0, or -errno
 * with ERR. */
int nt_rulewatch_open(struct nt_rulewatch *w, const struct nt_netns *ns, int nns,
		      const char *ignore_prefix, uint64_t min_interval_ns, char *err, size_t errlen);
/* Read every pending message of every socket. */
void nt_rulewatch_read(struct nt_rulewatch *w);
void nt_rulewatch_close(struct nt_rulewatch *w);

#endif
