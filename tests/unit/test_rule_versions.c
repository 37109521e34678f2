// SPDX-License-Identifier: GPL-2.0
/* test_rule_versions.c - RULESET re-snapshots in the model (model_meta.c):
 * each nft step gets the rule text of the snapshot in force at its time
 * ("mono_ns" of the block), a rule replaced by another (new handle) keeps its
 * old text for the steps before, a text changed under the same handle is
 * versioned, unchanged rules cost no version, logs without "mono_ns" (older
 * recorders) behave as before (the latest text). */
#include <string.h>

#include "common/records.h"
#include "formats/ntlog.h"
#include "model/model.h"
#include "tests/unit/nt_test.h"

static const char *rs(char *buf, size_t n, const char *mono, const char *rules)
{
	snprintf(buf, n, "{%s\"generation\":1,\"tables\":[{\"netns\":5,\"family\":\"inet\",\"name\":\"filter\","
		 "\"chains\":[{\"name\":\"input\",\"rules\":[%s]}]}]}", mono, rules);
	return buf;
}

static struct nt_model *mk(void)
{
	struct nt_model_opts o = { .sz = sizeof(o) };
	struct nt_model *m = nt_model_new(&o);
	struct nt_ev_nft_chaindef d = { .h = { .type = NT_EV_NFT_CHAINDEF }, .chain_key = 77,
					.table = "filter", .chain = "input", .family = 1, .netns = 5 };

	if (m)
		nt_model_event(m, &d, sizeof(d));
	return m;
}

TEST(replaced_rule_keeps_old_text_before)
{
	struct nt_model *m = mk();
	char b[512];

	CHECK(m);
	rs(b, sizeof(b), "\"mono_ns\":\"1000\",", "{\"handle\":4,\"text\":\"udp dport 9 drop\"},"
						 "{\"handle\":5,\"text\":\"tcp dport 22 accept\"}");
	CHECK_EQ_INT(nt_model_meta(m, NTL_B_RULESET, b, strlen(b)), 0);
	/* handle 4 replaced by 6 (nft replace rule), 5 unchanged */
	rs(b, sizeof(b), "\"mono_ns\":\"5000\",", "{\"handle\":6,\"text\":\"udp dport 9 reject\"},"
						 "{\"handle\":5,\"text\":\"tcp dport 22 accept\"}");
	CHECK_EQ_INT(nt_model_meta(m, NTL_B_RULESET, b, strlen(b)), 0);
	CHECK_EQ_STR(nt_model_rule_text_at(m, 77, 4, 2000), "udp dport 9 drop");
	CHECK_EQ_STR(nt_model_rule_text_at(m, 77, 4, 9000), "udp dport 9 drop"); /* only version */
	CHECK_EQ_STR(nt_model_rule_text_at(m, 77, 6, 9000), "udp dport 9 reject");
	/* a step of the new rule stamped before the snapshot's mono_ns (the
	 * change is read up to a loop pass later): its only version */
	CHECK_EQ_STR(nt_model_rule_text_at(m, 77, 6, 4990), "udp dport 9 reject");
	CHECK_EQ_STR(nt_model_rule_text_at(m, 77, 5, 100), "tcp dport 22 accept");
	CHECK_EQ_STR(nt_model_rule_text(m, 77, 4), "udp dport 9 drop");
	nt_model_free(m);
}

TEST(same_handle_new_text_versioned)
{
	struct nt_model *m = mk();
	char b[512];

	CHECK(m);
	rs(b, sizeof(b), "\"mono_ns\":\"1000\",", "{\"handle\":4,\"text\":\"ip saddr 10.0.0.1 drop\"}");
	CHECK_EQ_INT(nt_model_meta(m, NTL_B_RULESET, b, strlen(b)), 0);
	rs(b, sizeof(b), "\"mono_ns\":\"3000\",", "{\"handle\":4,\"text\":\"ip saddr 10.0.0.1 drop\"}");
	CHECK_EQ_INT(nt_model_meta(m, NTL_B_RULESET, b, strlen(b)), 0); /* unchanged */
	rs(b, sizeof(b), "\"mono_ns\":\"5000\",", "{\"handle\":4,\"text\":\"ip saddr 10.0.0.2 drop\"}");
	CHECK_EQ_INT(nt_model_meta(m, NTL_B_RULESET, b, strlen(b)), 0);
	rs(b, sizeof(b), "\"mono_ns\":\"7000\",", "{\"handle\":4,\"text\":\"ip saddr 10.0.0.3 drop\"}");
	CHECK_EQ_INT(nt_model_meta(m, NTL_B_RULESET, b, strlen(b)), 0);
	CHECK_EQ_STR(nt_model_rule_text_at(m, 77, 4, 500), "ip saddr 10.0.0.1 drop");
	CHECK_EQ_STR(nt_model_rule_text_at(m, 77, 4, 4999), "ip saddr 10.0.0.1 drop");
	CHECK_EQ_STR(nt_model_rule_text_at(m, 77, 4, 5000), "ip saddr 10.0.0.2 drop");
	CHECK_EQ_STR(nt_model_rule_text_at(m, 77, 4, 6999), "ip saddr 10.0.0.2 drop");
	CHECK_EQ_STR(nt_model_rule_text_at(m, 77, 4, 7000), "ip saddr 10.0.0.3 drop");
	CHECK_EQ_STR(nt_model_rule_text(m, 77, 4), "ip saddr 10.0.0.3 drop");
	CHECK(nt_model_rule_text_at(m, 77, 9, 7000) == NULL);
	nt_model_free(m);
}

TEST(no_mono_ns_latest_wins)
{
	struct nt_model *m = mk();
	char b[512];

	CHECK(m);
	rs(b, sizeof(b), "", "{\"handle\":4,\"text\":\"old\"}");
	CHECK_EQ_INT(nt_model_meta(m, NTL_B_RULESET, b, strlen(b)), 0);
	rs(b, sizeof(b), "", "{\"handle\":4,\"text\":\"new\"}");
	CHECK_EQ_INT(nt_model_meta(m, NTL_B_RULESET, b, strlen(b)), 0);
	CHECK_EQ_STR(nt_model_rule_text_at(m, 77, 4, 1), "new");
	/* bad mono_ns: valid from the start */
	rs(b, sizeof(b), "\"mono_ns\":\"12x\",", "{\"handle\":4,\"text\":\"newer\"}");
	CHECK_EQ_INT(nt_model_meta(m, NTL_B_RULESET, b, strlen(b)), 0);
	CHECK_EQ_STR(nt_model_rule_text_at(m, 77, 4, 1), "newer");
	nt_model_free(m);
}

int main(void)
{
	RUN(replaced_rule_keeps_old_text_before);
	RUN(same_handle_new_text_versioned);
	RUN(no_mono_ns_latest_wins);
	TEST_EXIT();
}
