// SPDX-License-Identifier: GPL-2.0
/* test_nftrace_table.c - nft-record/nftrace_table.c: the text of the owned nft
 * table(s), exactly: without a filter base chains at the entry hooks only,
 * with one a chain at every hook with one rule per nft match, every rule
 * ending in accept; the bridge family; the key table without a listener;
 * a buffer too small. */
#include <errno.h>
#include <string.h>

#include "nft-record/capfilter.h"
#include "nft-record/nftrace_table.h"
#include "tests/unit/nt_test.h"

#define ENTRY(fam)                                                                          \
	"table " fam " nft_record_7 {\n\tflags owner\n"                                          \
	"\tchain prerouting {\n\t\ttype filter hook prerouting priority -2147483648; policy accept;\n" \
	"\t\tmeta nftrace set 1 accept\n\t}\n"                                                   \
	"\tchain output {\n\t\ttype filter hook output priority -2147483648; policy accept;\n"     \
	"\t\tmeta nftrace set 1 accept\n\t}\n"                                                   \
	"}\n"
static const char entry_inet[] = ENTRY("inet");

TEST(no_filter_entry_hooks_only)
{
	char buf[4096];
	struct nt_capfilter f;
	char err[256];

	CHECK_EQ_INT(nt_nftrace_table(buf, sizeof(buf), "nft_record_7", NULL, 1, 0), 0);
	CHECK_EQ_STR(buf, entry_inet);
	/* a filter without an nft match (not a conjunction) traces every packet */
	CHECK_EQ_INT(nt_capfilter_parse("tcp port 80 or udp", &f, err, sizeof(err)), 0);
	CHECK_EQ_INT(f.nft.n, 0);
	CHECK_EQ_INT(nt_nftrace_table(buf, sizeof(buf), "nft_record_7", &f, 1, NT_NFTRACE_INET), 0);
	CHECK_EQ_STR(buf, entry_inet);
	nt_capfilter_free(&f);
}

TEST(filter_every_hook_one_rule_per_match)
{
	static const char *const hooks[] = { "prerouting", "input", "forward", "output", "postrouting" };
	char buf[16384], want[1024];
	struct nt_capfilter f;
	char err[256];
	const char *p;
	int n;

	CHECK_EQ_INT(nt_capfilter_parse("host 10.0.0.1 and tcp and port 80", &f, err, sizeof(err)), 0);
	CHECK_EQ_INT(f.nft.n, 4);
	CHECK_EQ_INT(nt_nftrace_table(buf, sizeof(buf), "nft_record_7", &f, 1, 0), 0);
	CHECK(!strncmp(buf, "table inet nft_record_7 {\n\tflags owner\n", 39));
	p = buf;
	for (int h = 0; h < 5; h++) {
		snprintf(want, sizeof(want), "\tchain %s {\n\t\ttype filter hook %s priority -2147483648; policy accept;\n",
			 hooks[h], hooks[h]);
		p = strstr(p, want);
		CHECK(p != NULL);
		if (!p)
			break;
		p += strlen(want);
		for (int r = 0; r < 4; r++) {
			snprintf(want, sizeof(want), "\t\t%s meta nftrace set 1 accept\n", f.nft.match[r]);
			CHECK(!strncmp(p, want, strlen(want)));
			p += strlen(want);
		}
		CHECK(!strncmp(p, "\t}\n", 3));
	}
	for (n = 0, p = buf; (p = strstr(p, "\tchain ")); p++)
		n++;
	CHECK_EQ_INT(n, 5);
	CHECK_EQ_STR(buf + strlen(buf) - 5, "\t}\n}\n");
	nt_capfilter_free(&f);
}

TEST(bridge_family_same_chains)
{
	char buf[4096];
	unsigned fam;
	char err[256];

	CHECK_EQ_INT(nt_nftrace_families_parse("inet,bridge", &fam, err, sizeof(err)), 0);
	CHECK_EQ_INT(fam, NT_NFTRACE_INET | NT_NFTRACE_BRIDGE);
	CHECK_EQ_INT(nt_nftrace_table(buf, sizeof(buf), "nft_record_7", NULL, 1, fam), 0);
	CHECK_EQ_STR(buf, ENTRY("inet") ENTRY("bridge"));
	CHECK_EQ_INT(nt_nftrace_families_parse("inet,netdev", &fam, err, sizeof(err)), -EINVAL);
	CHECK_EQ_STR(err, "unknown family 'netdev' (use inet, bridge or inet,bridge)");
}

TEST(no_listener_key_table_and_small_buffer)
{
	char buf[4096];

	CHECK_EQ_INT(nt_nftrace_table(buf, sizeof(buf), "nft_record_7", NULL, 0, NT_NFTRACE_BRIDGE), 0);
	CHECK_EQ_STR(buf, "table inet nft_record_7 {\n\tflags owner\n\tchain key {\n\t\tmeta nftrace set 1\n\t}\n}\n");
	CHECK_EQ_INT(nt_nftrace_table(buf, 64, "nft_record_7", NULL, 1, 0), -ENOSPC);
	CHECK_EQ_INT(nt_nftrace_table(buf, strlen(entry_inet), "nft_record_7", NULL, 1, 0), -ENOSPC);
	CHECK_EQ_INT(nt_nftrace_table(buf, strlen(entry_inet) + 1, "nft_record_7", NULL, 1, 0), 0);
}

int main(void)
{
	RUN(no_filter_entry_hooks_only);
	RUN(filter_every_hook_one_rule_per_match);
	RUN(bridge_family_same_chains);
	RUN(no_listener_key_table_and_small_buffer);
	TEST_EXIT();
}
