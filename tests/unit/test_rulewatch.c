// SPDX-License-Identifier: GPL-2.0
/* test_rulewatch.c - nft-record/rulewatch.c on its own: which nftables
 * notifications ask for a ruleset snapshot (tables, chains, rules, sets ...),
 * which only bump the generation (set elements), which are ignored (the
 * recorders' own nft_record_* tables); one generation per committed
 * transaction; snapshots rate-limited, changes in between coalesced. */
#include <stdint.h>
#include <string.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#include "nft-record/rulewatch.h"
#include "tests/unit/nt_test.h"

static size_t msg(uint8_t *buf, int type, const char *table)
{
	struct nlmsghdr *nlh = (void *)buf;
	struct nfgenmsg *g = (void *)(buf + NLMSG_HDRLEN);
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*g));

	memset(buf, 0, 256);
	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | type;
	g->nfgen_family = 1;
	if (table) {
		struct nlattr *a = (void *)(buf + off);

		a->nla_type = 1;
		a->nla_len = (uint16_t)(NLA_HDRLEN + strlen(table) + 1);
		memcpy(buf + off + NLA_HDRLEN, table, strlen(table) + 1);
		off += NLA_ALIGN(a->nla_len);
	}
	nlh->nlmsg_len = (uint32_t)off;
	return off;
}

TEST(classify)
{
	uint8_t b[256];
	const char *ig = "nft_record_";

	CHECK_EQ_INT(nt_rw_classify(b, msg(b, NFT_MSG_NEWRULE, "filter"), ig), NT_RW_STRUCT);
	CHECK_EQ_INT(nt_rw_classify(b, msg(b, NFT_MSG_DELCHAIN, "filter"), ig), NT_RW_STRUCT);
	CHECK_EQ_INT(nt_rw_classify(b, msg(b, NFT_MSG_NEWTABLE, "nat"), ig), NT_RW_STRUCT);
	CHECK_EQ_INT(nt_rw_classify(b, msg(b, NFT_MSG_NEWSET, "filter"), ig), NT_RW_STRUCT);
	CHECK_EQ_INT(nt_rw_classify(b, msg(b, NFT_MSG_NEWSETELEM, "f2b-table"), ig), NT_RW_ELEM);
	CHECK_EQ_INT(nt_rw_classify(b, msg(b, NFT_MSG_DELSETELEM, "kube-proxy"), ig), NT_RW_ELEM);
	CHECK_EQ_INT(nt_rw_classify(b, msg(b, NFT_MSG_NEWGEN, NULL), ig), NT_RW_GEN);
	CHECK_EQ_INT(nt_rw_classify(b, msg(b, NFT_MSG_NEWTABLE, "nft_record_4242"), ig), NT_RW_NONE);
	CHECK_EQ_INT(nt_rw_classify(b, msg(b, NFT_MSG_NEWRULE, "nft_record_1"), ig), NT_RW_NONE);
	CHECK_EQ_INT(nt_rw_classify(b, msg(b, NFT_MSG_GETRULE, "filter"), ig), NT_RW_NONE);
	CHECK_EQ_INT(nt_rw_classify(b, 8, ig), NT_RW_NONE); /* short */
}

TEST(generations_and_rate_limit)
{
	struct nt_rw_state s = { .min_interval_ns = 1000 };

	/* fail2ban: elements only -> generation, no snapshot */
	nt_rw_note(&s, NT_RW_ELEM);
	nt_rw_note(&s, NT_RW_GEN);
	CHECK_EQ_INT(s.generation, 1);
	CHECK(!nt_rw_due(&s, 10));
	/* our own table (ignored) then its commit: nothing */
	nt_rw_note(&s, NT_RW_NONE);
	nt_rw_note(&s, NT_RW_GEN);
	CHECK_EQ_INT(s.generation, 1);
	/* a rule added: snapshot due at once (none taken yet) */
	nt_rw_note(&s, NT_RW_STRUCT);
	CHECK(!nt_rw_due(&s, 10)); /* not before its commit */
	nt_rw_note(&s, NT_RW_GEN);
	CHECK_EQ_INT(s.generation, 2);
	CHECK(nt_rw_due(&s, 10));
	nt_rw_snapshotted(&s, 10);
	CHECK(!nt_rw_due(&s, 11));
	/* two more rule changes within the interval: one snapshot, when it ends */
	nt_rw_note(&s, NT_RW_STRUCT);
	nt_rw_note(&s, NT_RW_GEN);
	nt_rw_note(&s, NT_RW_STRUCT);
	nt_rw_note(&s, NT_RW_GEN);
	CHECK_EQ_INT(s.generation, 4);
	CHECK(!nt_rw_due(&s, 500));
	CHECK(nt_rw_due(&s, 1010));
	nt_rw_snapshotted(&s, 1010);
	CHECK(!nt_rw_due(&s, 5000));
	CHECK_EQ_INT(s.snapshots, 2);
}

int main(void)
{
	RUN(classify);
	RUN(generations_and_rate_limit);
	TEST_EXIT();
}
