// SPDX-License-Identifier: GPL-2.0
/* rulewatch.c - ruleset change notifications (rulewatch.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#include "nft-record/netns.h"
#include "nft-record/rulewatch.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* The table name: attribute 1 of every nftables object message
 * (NFTA_TABLE_NAME, NFTA_CHAIN_TABLE, NFTA_RULE_TABLE, NFTA_SET_TABLE,
 * NFTA_SET_ELEM_LIST_TABLE, NFTA_OBJ_TABLE, NFTA_FLOWTABLE_TABLE). */
static int table_ignored(const struct nlmsghdr *nlh, size_t len, const char *prefix)
{
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
	size_t plen = strlen(prefix);

	while (plen && off + sizeof(struct nlattr) <= len && off + sizeof(struct nlattr) <= nlh->nlmsg_len) {
		const struct nlattr *a = (const void *)((const char *)nlh + off);
		size_t alen = a->nla_len;

		if (alen < sizeof(*a) || off + alen > len)
			return 0;
		if ((a->nla_type & NLA_TYPE_MASK) == 1) {
			const char *s = (const char *)a + NLA_HDRLEN;
			size_t slen = alen - NLA_HDRLEN;

			return slen >= plen && !strncmp(s, prefix, plen);
		}
		off += NLA_ALIGN(alen);
	}
	return 0;
}

enum nt_rw_kind nt_rw_classify(const void *buf, size_t len, const char *ignore_prefix)
{
	const struct nlmsghdr *nlh = buf;
	int type;

	if (len < NLMSG_HDRLEN || nlh->nlmsg_len > len ||
	    NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
		return NT_RW_NONE;
	type = NFNL_MSG_TYPE(nlh->nlmsg_type);
	switch (type) {
	case NFT_MSG_NEWGEN:
		return NT_RW_GEN;
	case NFT_MSG_NEWSETELEM:
	case NFT_MSG_DELSETELEM:
		return table_ignored(nlh, len, ignore_prefix) ? NT_RW_NONE : NT_RW_ELEM;
	case NFT_MSG_NEWTABLE: case NFT_MSG_DELTABLE:
	case NFT_MSG_NEWCHAIN: case NFT_MSG_DELCHAIN:
	case NFT_MSG_NEWRULE: case NFT_MSG_DELRULE:
	case NFT_MSG_NEWSET: case NFT_MSG_DELSET:
	case NFT_MSG_NEWOBJ: case NFT_MSG_DELOBJ:
	case NFT_MSG_NEWFLOWTABLE: case NFT_MSG_DELFLOWTABLE:
		return table_ignored(nlh, len, ignore_prefix) ? NT_RW_NONE : NT_RW_STRUCT;
	default:
		return NT_RW_NONE;
	}
}

void nt_rw_note(struct nt_rw_state *s, enum nt_rw_kind k)
{
	switch (k) {
	case NT_RW_STRUCT:
		s->changed = s->struct_in_txn = 1;
		s->struct_changes++;
		break;
	case NT_RW_ELEM:
		s->changed = 1;
		s->elem_changes++;
		break;
	case NT_RW_GEN: /* the end of a committed transaction */
		if (s->changed)
			s->generation++;
		if (s->struct_in_txn)
			s->struct_pending = 1;
		s->changed = s->struct_in_txn = 0;
		break;
	default:
		break;
	}
}

int nt_rw_due(const struct nt_rw_state *s, uint64_t now_ns)
{
	return s->struct_pending && (!s->last_snap_ns || now_ns - s->last_snap_ns >= s->min_interval_ns);
}

void nt_rw_snapshotted(struct nt_rw_state *s, uint64_t now_ns)
{
	s->struct_pending = 0;
	s->last_snap_ns = now_ns;
	s->snapshots++;
}

int nt_rulewatch_open(struct nt_rulewatch *w, const struct nt_netns *ns, int nns,
		      const char *ignore_prefix, uint64_t min_interval_ns, char *err, size_t errlen)
{
	memset(w, 0, sizeof(*w));
	for (int i = 0; i < NT_RW_MAX_NS; i++)
		w->fd[i] = -1;
	snprintf(w->ignore, sizeof(w->ignore), "%s", ignore_prefix);
	w->st.min_interval_ns = min_interval_ns;
	for (int i = 0; i < nns && i < NT_RW_MAX_NS; i++) {
		struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
		int grp = NFNLGRP_NFTABLES, fd, e;

		if ((e = nt_netns_enter(&ns[i]))) {
			snprintf(err, errlen, "netns %s: cannot enter: %s", nt_netns_label(&ns[i]), strerror(-e));
			return e;
		}
		fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_NETFILTER);
		e = fd < 0 ? -errno : 0;
		if (!e && bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
			e = -errno;
		if (!e && setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)))
			e = -errno;
		nt_netns_leave();
		if (e) {
			if (fd >= 0)
				close(fd);
			snprintf(err, errlen, "netns %s: cannot listen to ruleset changes (NFNLGRP_NFTABLES): %s",
				 nt_netns_label(&ns[i]), strerror(-e));
			return e;
		}
		w->fd[w->n++] = fd;
	}
	return 0;
}

void nt_rulewatch_read(struct nt_rulewatch *w)
{
	static char buf[1 << 16] __attribute__((aligned(8)));

	for (int i = 0; i < w->n; i++) {
		for (;;) {
			ssize_t n = recv(w->fd[i], buf, sizeof(buf), 0);

			if (n < 0) {
				if (errno == ENOBUFS) { /* messages lost: snapshot to be sure */
					w->overruns++;
					nt_rw_note(&w->st, NT_RW_STRUCT);
					nt_rw_note(&w->st, NT_RW_GEN);
					continue;
				}
				break; /* EAGAIN: nothing more */
			}
			for (const struct nlmsghdr *nlh = (const void *)buf; NLMSG_OK(nlh, (size_t)n);
			     nlh = NLMSG_NEXT(nlh, n))
				nt_rw_note(&w->st, nt_rw_classify(nlh, nlh->nlmsg_len, w->ignore));
		}
	}
}

void nt_rulewatch_close(struct nt_rulewatch *w)
{
	for (int i = 0; i < NT_RW_MAX_NS; i++)
		if (w->fd[i] >= 0) {
			close(w->fd[i]);
			w->fd[i] = -1;
		}
	w->n = 0;
}
