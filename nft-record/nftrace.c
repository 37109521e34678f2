// SPDX-License-Identifier: GPL-2.0
/* nftrace.c - owned nft table, NFNLGRP_NFTRACE socket and its ring-copy
 * socket filter, trace message parser (see nftrace.h). */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/bpf.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <nftables/libnftables.h>
#include <bpf/bpf.h>

#include "nft-record/nftrace.h"
#include "nft-record/nftrace_table.h"
#include "common/bpf_shared.h"


int nt_nftrace_attach_ring(struct nt_nftrace *t, const void *tmpl, size_t n, char *err,
			   size_t errlen)
{
	uint64_t conf = (uint64_t)(uint32_t)t->index << 32 | t->ns->inum;
	struct bpf_insn *buf;
	size_t patched = 0;
	int pfd, fd, e;

	if (!t->nl || !tmpl || !n) {
		snprintf(err, errlen, "netns %s: no trace socket or no socket filter program",
			 nt_netns_label(t->ns));
		return -EINVAL;
	}
	buf = malloc(n * sizeof(*buf));
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memcpy(buf, tmpl, n * sizeof(*buf));
	for (size_t i = 0; i + 1 < n; i++) {
		if (buf[i].code != (BPF_LD | BPF_DW | BPF_IMM) || buf[i].src_reg ||
		    (uint32_t)buf[i].imm != (uint32_t)NT_NLC_MAGIC ||
		    (uint32_t)buf[i + 1].imm != (uint32_t)(NT_NLC_MAGIC >> 32))
			continue;
		buf[i].imm = (int32_t)(uint32_t)conf;
		buf[i + 1].imm = (int32_t)(uint32_t)(conf >> 32);
		patched++;
		i++;
	}
	if (!patched) {
		free(buf);
		snprintf(err, errlen, "the nftrace socket filter has no configuration constant (build problem)");
		return -ENOEXEC;
	}
	pfd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "nt_nlmsg", "GPL", buf, n, NULL);
	e = errno;
	free(buf);
	if (pfd < 0) {
		snprintf(err, errlen, "netns %s: cannot load the nftrace socket filter: %s",
			 nt_netns_label(t->ns), strerror(e));
		return -e;
	}
	fd = mnl_socket_get_fd(t->nl);
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &pfd, sizeof(pfd))) {
		e = errno;
		close(pfd);
		snprintf(err, errlen, "netns %s: cannot attach the nftrace socket filter: %s",
			 nt_netns_label(t->ns), strerror(e));
		return -e;
	}
	if (t->progfd >= 0)
		close(t->progfd);
	t->progfd = pfd;
	return 0;
}

/* ---- kernels without owner tables (< 5.12) ---- */

/* cmd without its "flags owner" lines (same buffer) */
static void strip_owner(char *cmd)
{
	char *p;

	while ((p = strstr(cmd, "\tflags owner\n")))
		memmove(p, p + 14, strlen(p + 14) + 1);
}

/* Delete nft_record_<pid> tables of recorders that are gone (killed together
 * with their guard) in the current namespace; returns how many. */
static int remove_stale(struct nft_ctx *c)
{
	char fam[16], name[NT_NAME_LEN], cmd[128], *list, *line, *save = NULL;
	const char *out;
	int n = 0;

	if (nft_run_cmd_from_buffer(c, "list tables"))
		return 0;
	out = nft_ctx_get_output_buffer(c);
	list = strdup(out ? out : "");
	if (!list)
		return 0;
	for (line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		long pid;
		char *end;

		if (sscanf(line, "table %15s %63s", fam, name) != 2 ||
		    strncmp(name, NT_TRACE_TABLE_PREFIX, strlen(NT_TRACE_TABLE_PREFIX)))
			continue;
		pid = strtol(name + strlen(NT_TRACE_TABLE_PREFIX), &end, 10);
		if (*end || pid <= 0 || pid == getpid() || !(kill((pid_t)pid, 0) && errno == ESRCH))
			continue;
		snprintf(cmd, sizeof(cmd), "delete table %s %s", fam, name);
		if (!nft_run_cmd_from_buffer(c, cmd))
			n++;
	}
	free(list);
	return n;
}

/* NFT_MSG_DELTABLE of TABLE in every family of FAMILIES, as one batch. */
static size_t deltable_batch(char *buf, size_t len, const char *table, unsigned families)
{
	struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(buf, len);
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	uint32_t seq = 1;
	size_t n;

	nlh = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(b));
	nlh->nlmsg_type = NFNL_MSG_BATCH_BEGIN;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq++;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(NFNL_SUBSYS_NFTABLES);
	mnl_nlmsg_batch_next(b);
	for (size_t i = 0; i < nt_nftrace_nfamilies; i++) {
		if (!(families & nt_nftrace_families[i].bit))
			continue;
		nlh = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(b));
		nlh->nlmsg_type = NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_DELTABLE;
		nlh->nlmsg_flags = NLM_F_REQUEST;
		nlh->nlmsg_seq = seq++;
		nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
		nfg->nfgen_family = nt_nftrace_families[i].bit == NT_NFTRACE_BRIDGE ? NFPROTO_BRIDGE
										 : NFPROTO_INET;
		nfg->version = NFNETLINK_V0;
		nfg->res_id = 0;
		mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, table);
		mnl_nlmsg_batch_next(b);
	}
	nlh = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(b));
	nlh->nlmsg_type = NFNL_MSG_BATCH_END;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(NFNL_SUBSYS_NFTABLES);
	mnl_nlmsg_batch_next(b);
	n = mnl_nlmsg_batch_size(b);
	mnl_nlmsg_batch_stop(b);
	return n;
}

/* Close every fd >= 3 but A and B (B < 0: none); async-signal-safe. */
static void close_except(int a, int b, int maxfd)
{
	int lo, hi;

	if (b < 0)
		b = a;
	lo = a < b ? a : b;
	hi = a < b ? b : a;
#ifdef SYS_close_range
	if ((lo <= 3 || !syscall(SYS_close_range, 3, lo - 1, 0)) &&
	    (hi <= lo + 1 || !syscall(SYS_close_range, lo + 1, hi - 1, 0)) &&
	    !syscall(SYS_close_range, hi + 1, ~0u, 0))
		return;
#endif
	for (int fd = 3; fd < maxfd; fd++)
		if (fd != a && fd != b)
			close(fd);
}

/*
 * Fork the guard of T's tables; called inside T's namespace.  The child only
 * makes system calls (the parent may have threads): a netlink socket of this
 * namespace, every other fd closed (BPF links, the log), read() on the pipe
 * until EOF - the recorder closed it or is gone -, then the prepared delete
 * batch, _exit().  The recorder's own delete comes first on a clean exit.
 */
static int guard_start(struct nt_nftrace *t)
{
	static char batch[1024];
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct rlimit rl;
	size_t blen = deltable_batch(batch, sizeof(batch), t->table, t->families);
	int p[2], sock, maxfd;
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	maxfd = getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur > (1 << 20) ? 1 << 20 : (int)rl.rlim_cur;
	pid = fork();
	if (pid < 0) {
		int e = -errno;

		close(p[0]);
		close(p[1]);
		return e;
	}
	if (pid == 0) {
		sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
		close_except(p[0], sock, maxfd);
		signal(SIGINT, SIG_IGN); /* Ctrl-C reaches the whole process group */
		signal(SIGTERM, SIG_IGN);
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		if (sock >= 0)
			sendto(sock, batch, blen, 0, (struct sockaddr *)&sa, sizeof(sa));
		_exit(0);
	}
	close(p[0]);
	t->guard_fd = p[1];
	t->guard_pid = (int)pid;
	return 0;
}

/* Add the table(s) of CMD with the context T->own (inside the namespace);
 * on a kernel that refuses "flags owner", without it (T->unowned). */
static int add_table(struct nt_nftrace *t, char *cmd)
{
	static int noted;
	int stale;

	if (!nft_run_cmd_from_buffer(t->own, cmd))
		return 0;
	strip_owner(cmd);
	if (nft_run_cmd_from_buffer(t->own, cmd)) {
		/* the error of a table that cannot be added at all */
		return -1;
	}
	t->unowned = 1;
	stale = remove_stale(t->own);
	if (guard_start(t))
		t->guard_fd = -1;
	if (!noted++ || stale)
		fprintf(stderr, "nft-record: note: no owner-flagged nft tables on this kernel (< 5.12): "
				"%s is removed at exit, or by a guard process per namespace if nft-record "
				"is killed%s%s%s\n", t->table, stale ? "; netns " : "",
			stale ? nt_netns_label(t->ns) : "", stale ? ": removed tables of recorders gone before" : "");
	if (t->guard_fd < 0)
		fprintf(stderr, "nft-record: note: netns %s: no guard process (fork failed): "
				"kill -9 would leave table %s behind\n", nt_netns_label(t->ns), t->table);
	return 0;
}

int nt_nftrace_open(struct nt_nftrace *t, const struct nt_netns *ns, int index,
		    const struct nt_capfilter *flt, unsigned families, int listen,
		    const void *tmpl, size_t n, char *err, size_t errlen)
{
	char cmd[48 << 10]; /* 8 rules of up to 320 bytes, 5 hooks, 2 families */
	char *nfterr;
	int ret, fd, grp = NFNLGRP_NFTRACE;

	memset(t, 0, sizeof(*t));
	t->ns = ns;
	t->index = index;
	t->progfd = t->guard_fd = -1;
	t->families = listen ? (families ? families : NT_NFTRACE_INET) : NT_NFTRACE_INET;
	snprintf(t->table, sizeof(t->table), NT_TRACE_TABLE_PREFIX "%d", (int)getpid());
	ret = nt_nftrace_table(cmd, sizeof(cmd), t->table, flt, listen, families);
	if (ret) {
		snprintf(err, errlen, "nftrace rules too long");
		return ret;
	}
	ret = nt_netns_enter(ns);
	if (ret) {
		snprintf(err, errlen, "cannot enter network namespace %s: %s", nt_netns_label(ns),
			 strerror(-ret));
		return ret;
	}
	if (!listen)
		goto table;
	/* trace socket first: no message is lost between table creation and join */
	t->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!t->nl || mnl_socket_bind(t->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		snprintf(err, errlen, "netns %s: cannot open a netfilter netlink socket: %s",
			 nt_netns_label(ns), strerror(errno));
		goto leave;
	}
	fd = mnl_socket_get_fd(t->nl);
	/* the socket filter (nt_nftrace_attach_ring) passes nothing on: the
	 * socket only makes the kernel build trace messages (a listener) */
	if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp))) {
		ret = -errno;
		snprintf(err, errlen, "netns %s: cannot join NFNLGRP_NFTRACE: %s%s", nt_netns_label(ns),
			 strerror(errno), errno == EPERM ? " (needs CAP_NET_ADMIN)" : "");
		goto leave;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	/* the ring copy before the table: a message queued on the socket before
	 * it would never be read (the socket itself is not read) */
	ret = nt_nftrace_attach_ring(t, tmpl, n, err, errlen);
	if (ret)
		goto leave;
table:
	t->own = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!t->own) {
		ret = -ENOMEM;
		snprintf(err, errlen, "libnftables: cannot create a context");
		goto leave;
	}
	nft_ctx_buffer_output(t->own);
	nft_ctx_buffer_error(t->own);
	if (add_table(t, cmd)) {
		const char *e = nft_ctx_get_error_buffer(t->own);

		ret = -EPERM;
		nfterr = strdup(e ? e : "");
		if (nfterr) {
			for (char *p = nfterr; *p; p++)
				if (*p == '\n')
					*p = ' ';
		}
		snprintf(err, errlen, "netns %s: cannot add nft table %s%s: %s", nt_netns_label(ns),
			 t->table, listen && (families & NT_NFTRACE_BRIDGE) ? " (inet / bridge)" : "",
			 nfterr ? nfterr : "?");
		free(nfterr);
		nft_ctx_free(t->own);
		t->own = NULL;
		goto leave;
	}
	ret = 0;
leave:
	nt_netns_leave();
	return ret;
}

/*
 * Network / transport header bytes -> packet fields as struct nt_ev_meta
 * (bpf/core.bpf.h parses the skb the same way).  IPv4 fragments: offset and
 * MF from the header; the transport bytes of a non-first fragment are
 * payload.  IPv6 fragments: the kernel copies at most the 40-byte fixed
 * header, so the fragment header is never in the message: a first fragment
 * shows next header 44 and its transport header with no protocol to read it
 * by; a non-first fragment comes with no network header and the first 20
 * bytes of the IPv6 header as its "transport header" (ipv6_find_hdr() leaves
 * the offset at 0).  Both only set NT_TRACE_V6FRAG and the addresses known.
 */
static void parse_pkt(struct nt_trace_msg *m, const uint8_t *nh, uint32_t nlen, const uint8_t *th,
		      uint32_t tlen)
{
	if (!nh && th && tlen >= 20 && (th[0] >> 4) == 6 && th[6] == 44) {
		m->l3 = NT_L3_IPV6;
		m->l4proto = 44;
		m->frag = NT_FRAG_IS | 1; /* offset unknown, not the first */
		memcpy(m->saddr, th + 8, 12);
		m->flags |= NT_TRACE_V6FRAG;
		return;
	}
	if (!nh || nlen < 1)
		return;
	if ((nh[0] >> 4) == 4 && nlen >= 20) {
		uint16_t fo = (uint16_t)(nh[6] << 8 | nh[7]);
		uint32_t ihl = (nh[0] & 0xf) * 4u;

		/* no transport attribute (bridge family): the 40 network
		 * header bytes hold the start of the L4 header */
		if (!th && ihl >= 20 && nlen > ihl) {
			th = nh + ihl;
			tlen = nlen - ihl;
		}

		m->l3 = NT_L3_IPV4;
		m->ip_id = (uint16_t)(nh[4] << 8 | nh[5]);
		m->l4proto = nh[9];
		memcpy(m->saddr, nh + 12, 4);
		memcpy(m->daddr, nh + 16, 4);
		if (fo & 0x3fff) {
			m->frag = NT_FRAG_IS | (fo & 0x2000 ? NT_FRAG_MF : 0) | (fo & NT_FRAG_OFF_MASK);
			if (fo & NT_FRAG_OFF_MASK)
				th = NULL; /* payload, not a transport header */
		}
	} else if ((nh[0] >> 4) == 6 && nlen >= 40) {
		m->l3 = NT_L3_IPV6;
		m->l4proto = nh[6];
		memcpy(m->saddr, nh + 8, 16);
		memcpy(m->daddr, nh + 24, 16);
		if (m->l4proto == 44) {
			m->frag = NT_FRAG_IS; /* the first fragment: offset 0 */
			m->flags |= NT_TRACE_V6FRAG;
			return;
		}
	} else {
		return;
	}
	m->flags |= NT_TRACE_HAS_PKT;
	if (!th) {
		if (!(m->frag & NT_FRAG_OFF_MASK))
			m->flags |= NT_TRACE_NO_L4;
		return;
	}
	if (m->l4proto == 6 && tlen >= 8) {
		m->sport = (uint16_t)(th[0] << 8 | th[1]);
		m->dport = (uint16_t)(th[2] << 8 | th[3]);
		m->l4_extra = (uint32_t)th[4] << 24 | th[5] << 16 | th[6] << 8 | th[7];
		if (tlen >= 14)
			m->tcp_flags = th[13];
		if (tlen >= 18)
			m->l4_csum = (uint16_t)(th[16] << 8 | th[17]);
	} else if (m->l4proto == 17 && tlen >= 4) {
		m->sport = (uint16_t)(th[0] << 8 | th[1]);
		m->dport = (uint16_t)(th[2] << 8 | th[3]);
		if (tlen >= 8)
			m->l4_csum = (uint16_t)(th[6] << 8 | th[7]);
	} else if ((m->l4proto == 1 || m->l4proto == 58) && tlen >= 8) {
		m->sport = (uint16_t)(th[0] << 8 | th[1]);
		m->dport = (uint16_t)(th[4] << 8 | th[5]);
		m->l4_extra = (uint32_t)m->dport << 16 | (uint16_t)(th[6] << 8 | th[7]);
		m->l4_csum = (uint16_t)(th[2] << 8 | th[3]);
	}
}

/* NFTA_TRACE_* attributes of one trace message, parsed in place (no
 * allocation: nftnl_trace_nlmsg_parse() strdup()s every string, i.e. several
 * mallocs per message at hundreds of thousands of messages per second). */
struct trace_attrs {
	const struct nlattr *a[NFTA_TRACE_MAX + 1];
	const struct nlattr *v[NFTA_VERDICT_MAX + 1];
};

/* libmnl attribute callback into a table; data: struct attr_tab */
struct attr_tab {
	const struct nlattr **tb;
	int max;
};

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct attr_tab *t = data;
	int type = mnl_attr_get_type(attr);

	if (type <= t->max)
		t->tb[type] = attr;
	return MNL_CB_OK;
}

static uint32_t attr_be32(const struct nlattr *a)
{
	return mnl_attr_get_payload_len(a) >= 4 ? ntohl(mnl_attr_get_u32(a)) : 0;
}

static void attr_str(char *dst, const struct nlattr *a)
{
	size_t n = a ? mnl_attr_get_payload_len(a) : 0;
	const char *s = a ? mnl_attr_get_payload(a) : "";

	n = strnlen(s, n);
	if (n >= NT_NAME_LEN)
		n = NT_NAME_LEN - 1;
	memcpy(dst, s, n);
	dst[n] = 0;
}

/* Attributes of the trace message NLH (nlmsg_len already checked) into M:
 * 0, or 1 when NLH is not an nftables trace message, -1 when malformed. */
static int parse_nlh(const struct nlmsghdr *nlh, struct nt_trace_msg *m)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	struct trace_attrs ta;
	const uint8_t *nh = NULL, *th = NULL;
	uint32_t nlen = 0, tlen = 0;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES ||
	    NFNL_MSG_TYPE(nlh->nlmsg_type) != NFT_MSG_TRACE)
		return 1;
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*nfg))
		return -1;
	memset(&ta, 0, sizeof(ta));
	if (mnl_attr_parse(nlh, sizeof(*nfg), attr_cb, &(struct attr_tab){ ta.a, NFTA_TRACE_MAX }) < 0)
		return -1;
	if (ta.a[NFTA_TRACE_VERDICT] &&
	    mnl_attr_parse_nested(ta.a[NFTA_TRACE_VERDICT], attr_cb,
				  &(struct attr_tab){ ta.v, NFTA_VERDICT_MAX }) < 0)
		return -1;
	m->family = nfg->nfgen_family;
	if (ta.a[NFTA_TRACE_ID])
		m->id = attr_be32(ta.a[NFTA_TRACE_ID]);
	if (ta.a[NFTA_TRACE_TYPE])
		m->type = attr_be32(ta.a[NFTA_TRACE_TYPE]);
	m->nfproto = ta.a[NFTA_TRACE_NFPROTO] ? attr_be32(ta.a[NFTA_TRACE_NFPROTO]) : m->family;
	attr_str(m->table, ta.a[NFTA_TRACE_TABLE]);
	attr_str(m->chain, ta.a[NFTA_TRACE_CHAIN]);
	attr_str(m->target, ta.v[NFTA_VERDICT_CHAIN]);
	if (ta.a[NFTA_TRACE_RULE_HANDLE] && mnl_attr_get_payload_len(ta.a[NFTA_TRACE_RULE_HANDLE]) >= 8)
		m->rule_handle = be64toh(mnl_attr_get_u64(ta.a[NFTA_TRACE_RULE_HANDLE]));
	if (m->type == NFT_TRACETYPE_POLICY && ta.a[NFTA_TRACE_POLICY])
		m->verdict = (int32_t)attr_be32(ta.a[NFTA_TRACE_POLICY]);
	else if (ta.v[NFTA_VERDICT_CODE])
		m->verdict = (int32_t)attr_be32(ta.v[NFTA_VERDICT_CODE]);
	else
		m->verdict = NT_V_NONE;
	if (m->verdict >= 0)
		m->verdict &= NF_VERDICT_MASK; /* NF_QUEUE number, NF_DROP_ERR errno */
	if (ta.a[NFTA_TRACE_IIF])
		m->iif = attr_be32(ta.a[NFTA_TRACE_IIF]);
	if (ta.a[NFTA_TRACE_OIF])
		m->oif = attr_be32(ta.a[NFTA_TRACE_OIF]);
	if (ta.a[NFTA_TRACE_MARK])
		m->mark = attr_be32(ta.a[NFTA_TRACE_MARK]);
	if (ta.a[NFTA_TRACE_NETWORK_HEADER]) {
		nh = mnl_attr_get_payload(ta.a[NFTA_TRACE_NETWORK_HEADER]);
		nlen = mnl_attr_get_payload_len(ta.a[NFTA_TRACE_NETWORK_HEADER]);
	}
	if (ta.a[NFTA_TRACE_TRANSPORT_HEADER]) {
		th = mnl_attr_get_payload(ta.a[NFTA_TRACE_TRANSPORT_HEADER]);
		tlen = mnl_attr_get_payload_len(ta.a[NFTA_TRACE_TRANSPORT_HEADER]);
	}
	/* the kernel dumps devices and headers once per chain run (packet_dumped) */
	if (ta.a[NFTA_TRACE_IIF] || ta.a[NFTA_TRACE_OIF] || nh || th || ta.a[NFTA_TRACE_LL_HEADER])
		m->flags |= NT_TRACE_FIRST;
	parse_pkt(m, nh, nlen, th, tlen);
	return 0;
}

int nt_nftrace_parse(const void *buf, size_t len, struct nt_trace_msg *m)
{
	const struct nlmsghdr *nlh = buf;
	uint64_t ts = m->ts_ns;
	uint32_t netns = m->netns;
	uint16_t cpu = m->cpu;
	int ns_index = m->ns_index;

	if (len < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len)
		return -1;
	memset(m, 0, sizeof(*m));
	m->ts_ns = ts;
	m->netns = netns;
	m->cpu = cpu;
	m->ns_index = ns_index;
	return parse_nlh(nlh, m);
}

int nt_nftrace_parse_rec(const struct nt_ev_nlmsg *r, size_t reclen, struct nt_trace_msg *m)
{
	if (reclen < sizeof(*r) || r->len > reclen - sizeof(*r))
		return -1;
	m->ts_ns = r->h.ts_ns;
	m->cpu = r->h.cpu;
	m->netns = r->h.id;
	m->ns_index = (int)r->h.skb;
	m->flags = 0;
	return nt_nftrace_parse(r + 1, r->len, m);
}

void nt_nftrace_close(struct nt_nftrace *t)
{
	if (t->own) {
		char cmd[128];

		/* explicit removal; closing the socket removes owned tables too */
		if (t->ns && !nt_netns_enter(t->ns)) {
			for (size_t i = 0; i < nt_nftrace_nfamilies; i++) {
				if (!(t->families & nt_nftrace_families[i].bit))
					continue;
				snprintf(cmd, sizeof(cmd), "delete table %s %s", nt_nftrace_families[i].name,
					 t->table);
				nft_run_cmd_from_buffer(t->own, cmd);
			}
			nt_netns_leave();
		}
		nft_ctx_free(t->own);
		t->own = NULL;
	}
	if (t->guard_fd >= 0) { /* the guard finds the tables gone and exits */
		close(t->guard_fd);
		t->guard_fd = -1;
		if (t->guard_pid > 0)
			waitpid(t->guard_pid, NULL, 0);
		t->guard_pid = 0;
	}
	if (t->nl)
		mnl_socket_close(t->nl);
	t->nl = NULL;
	if (t->progfd >= 0)
		close(t->progfd);
	t->progfd = -1;
}

char *nt_nft_list(const struct nt_netns *ns, const char *cmd, int json, char *err, size_t errlen)
{
	struct nft_ctx *c;
	char *out = NULL;
	int ret;

	ret = nt_netns_enter(ns);
	if (ret) {
		snprintf(err, errlen, "cannot enter network namespace %s: %s", nt_netns_label(ns),
			 strerror(-ret));
		return NULL;
	}
	c = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!c) {
		snprintf(err, errlen, "libnftables: cannot create a context");
		goto leave;
	}
	nft_ctx_output_set_flags(c, NFT_CTX_OUTPUT_HANDLE | (json ? NFT_CTX_OUTPUT_JSON : NFT_CTX_OUTPUT_STATELESS));
	nft_ctx_buffer_output(c);
	nft_ctx_buffer_error(c);
	if (nft_run_cmd_from_buffer(c, cmd)) {
		const char *e = nft_ctx_get_error_buffer(c);

		snprintf(err, errlen, "netns %s: nft %s failed: %.200s", nt_netns_label(ns), cmd,
			 e ? e : "?");
		goto free;
	}
	out = strdup(nft_ctx_get_output_buffer(c) ?: "");
	if (!out)
		snprintf(err, errlen, "out of memory");
free:
	nft_ctx_free(c);
leave:
	nt_netns_leave();
	return out;
}
