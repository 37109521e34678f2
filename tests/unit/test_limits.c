/* test_limits.c - common/limits.c (limit table, flag values, the stderr line and
 * the JSON "limits_hit") and common/sat.h (saturating arithmetic). */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/limits.h"
#include "common/sat.h"
#include "tests/unit/nt_test.h"

TEST(defaults_and_flags)
{
	struct nt_limits l;

	nt_limits_init(&l);
	CHECK_EQ_INT(l.max[NT_LIM_OPEN_PACKETS], 262144);
	CHECK_EQ_INT(l.max[NT_LIM_RULE_TEXT], 4096);
	CHECK_EQ_INT(l.max[NT_LIM_STRINGS], 64 << 20);
	CHECK_EQ_INT(nt_limits_reached(&l), 0);
	for (int i = 0; i < NT_LIM__N; i++) {
		const struct nt_limit_def *d = &nt_limit_defs[i];

		CHECK(d->name && d->what && d->flag && d->effect && d->def);
		CHECK(!strncmp(d->flag, "--max-", 6));
		CHECK_EQ_INT(nt_limit_by_flag(d->flag), i);
		CHECK_EQ_INT(nt_limit_by_flag(d->name), i);
		for (int k = 0; k < i; k++)
			CHECK(strcmp(nt_limit_defs[k].flag, d->flag) && strcmp(nt_limit_defs[k].name, d->name));
	}
	CHECK_EQ_INT(nt_limit_by_flag("--max-bogus"), -1);
}

TEST(flag_values)
{
	struct nt_limits l;
	char err[256];

	nt_limits_init(&l);
	CHECK_EQ_INT(nt_limits_set(&l, NT_LIM_OPEN_PACKETS, "1000", err, sizeof(err)), 0);
	CHECK_EQ_INT(l.max[NT_LIM_OPEN_PACKETS], 1000);
	CHECK_EQ_INT(nt_limits_set(&l, NT_LIM_OPEN_PACKETS, "2M", err, sizeof(err)), 0);
	CHECK_EQ_INT(l.max[NT_LIM_OPEN_PACKETS], 2000000);
	CHECK_EQ_INT(nt_limits_set(&l, NT_LIM_STRINGS, "512M", err, sizeof(err)), 0);
	CHECK_EQ_INT(l.max[NT_LIM_STRINGS], 512ull << 20);
	CHECK_EQ_INT(nt_limits_set(&l, NT_LIM_RULE_TEXT, "1k", err, sizeof(err)), 0);
	CHECK_EQ_INT(l.max[NT_LIM_RULE_TEXT], 1024);
	CHECK_EQ_INT(nt_limits_set(&l, NT_LIM_OPEN_PACKETS, "0", err, sizeof(err)), -1);
	CHECK_EQ_STR(err, "--max-open-packets: expected a count 1..2^40 (suffixes k M G T), got '0'");
	CHECK_EQ_INT(l.max[NT_LIM_OPEN_PACKETS], 2000000); /* unchanged */
	CHECK_EQ_INT(nt_limits_set(&l, NT_LIM_OPEN_PACKETS, "-5", err, sizeof(err)), -1);
	CHECK_EQ_INT(nt_limits_set(&l, NT_LIM_OPEN_PACKETS, "5x", err, sizeof(err)), -1);
	CHECK_EQ_INT(nt_limits_set(&l, NT_LIM_OPEN_PACKETS, "", err, sizeof(err)), -1);
	CHECK_EQ_INT(nt_limits_set(&l, NT_LIM_OPEN_PACKETS, "2T", err, sizeof(err)), -1);
	CHECK_EQ_INT(nt_limits_set(&l, NT_LIM_OPEN_PACKETS, "99999999999999999999999", err, sizeof(err)), -1);
	/* the value is quoted escaped */
	CHECK_EQ_INT(nt_limits_set(&l, NT_LIM_STRINGS, "1\x1b]0;x\x07", err, sizeof(err)), -1);
	CHECK_EQ_STR(err, "--max-strings: expected a size in bytes 1..2^40 (suffixes k M G T), got '1\\x1b]0;x\\x07'");
}

TEST(message_and_json)
{
	struct nt_limits l;
	char buf[512];

	nt_limits_init(&l);
	CHECK_EQ_INT(nt_limits_message(&l, buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "");
	nt_limits_json(&l, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "[]");
	nt_limit_hit(&l, NT_LIM_OPEN_PACKETS, 1523);
	nt_limits_message(&l, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "limit reached: open packets (262144): 1523 packets closed early as incomplete; "
			  "raise it with --max-open-packets N");
	nt_limit_hit(&l, NT_LIM_RULE_TEXT, 0); /* 0 counts as one */
	nt_limit_hit(&l, NT_LIM_CHAINS, 7);
	nt_limits_message(&l, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "limit reached: open packets (262144): 1523 packets closed early as incomplete; "
			  "raise it with --max-open-packets N; also reached: chain definitions (--max-chains), "
			  "rule text bytes printed (--max-rule-text)");
	CHECK_EQ_INT(nt_limits_reached(&l), 3);
	nt_limits_json(&l, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "[{\"limit\":\"open_packets\",\"max\":262144,\"count\":1523,\"flag\":\"--max-open-packets\"},"
			  "{\"limit\":\"chains\",\"max\":65536,\"count\":7,\"flag\":\"--max-chains\"},"
			  "{\"limit\":\"rule_text\",\"max\":4096,\"count\":1,\"flag\":\"--max-rule-text\"}]");
	/* snprintf semantics: the full length, a terminated prefix */
	{
		char small[10];
		size_t full = nt_limits_json(&l, buf, sizeof(buf));

		CHECK_EQ_INT(nt_limits_json(&l, small, sizeof(small)), full);
		CHECK_EQ_STR(small, "[{\"limit\"");
	}
	nt_limit_hit(&l, NT_LIM_CHAINS, UINT64_MAX);
	CHECK(l.hits[NT_LIM_CHAINS] == UINT64_MAX);
}

TEST(saturating_arithmetic)
{
	uint64_t acc = UINT64_MAX - 5;

	CHECK(nt_sat_add(UINT64_MAX - 1, 2) == UINT64_MAX);
	CHECK(nt_sat_add(1, 2) == 3);
	CHECK(nt_sat_sub(5, 10) == 0);
	CHECK(nt_sat_sub(10, 5) == 5);
	CHECK(nt_sat_mul(1ull << 40, 1ull << 30) == UINT64_MAX);
	CHECK(nt_sat_mul(3, 4) == 12);
	nt_sat_acc(&acc, 3);
	CHECK(acc == UINT64_MAX - 2);
	nt_sat_acc(&acc, 3);
	CHECK(acc == UINT64_MAX);
	nt_sat_acc(&acc, 1);
	CHECK(acc == UINT64_MAX);
	/* the idle-sweep deadline of a record at 2^64 - 1: never before the record */
	CHECK(nt_sat_add(UINT64_MAX - 1000, 2500000000ull) == UINT64_MAX);
}

int main(void)
{
	RUN(defaults_and_flags);
	RUN(flag_values);
	RUN(message_and_json);
	RUN(saturating_arithmetic);
	TEST_EXIT();
}
