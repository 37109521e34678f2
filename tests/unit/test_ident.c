// SPDX-License-Identifier: GPL-2.0
/* test_ident.c - model/ident.c: a log's identity from its HEADER (old logs
 * "unknown"), and its wall clock from the HEADER clock_ref and the CLOCK
 * blocks that refresh it (the latest reference at or before a record). */
#include <stdint.h>
#include <string.h>

#include "formats/ntlog.h"
#include "model/ident.h"
#include "tests/unit/nt_test.h"

#define S 1000000000ull

static void parse(struct nt_ident *id, const char *json)
{
	nt_ident_parse(id, json, strlen(json));
}

TEST(identity_of_a_header)
{
	struct nt_ident id;

	parse(&id, "{\"hostname\":\"h1\",\"kernel\":\"6.1.0\",\"start_mono_ns\":7,"
		   "\"host\":{\"label\":\"lb-1\",\"hostname\":\"h1\",\"machine_id_hash\":"
		   "\"0123456789abcdef0123456789abcdef\",\"boot_id\":\"b-1\",\"netns\":4026532001},"
		   "\"rotation\":{\"set\":\"s1\",\"seq\":3}}");
	CHECK(id.known);
	CHECK_EQ_STR(id.label, "lb-1");
	CHECK_EQ_STR(id.hostname, "h1");
	CHECK_EQ_STR(id.machine_id_hash, "0123456789abcdef0123456789abcdef");
	CHECK_EQ_STR(id.boot_id, "b-1");
	CHECK_EQ_STR(id.kernel, "6.1.0");
	CHECK_EQ_STR(id.rot_set, "s1");
	CHECK_EQ_INT(id.rot_seq, 3);
	CHECK_EQ_INT(id.netns, 4026532001u);
}

TEST(old_and_broken_headers_are_unknown)
{
	struct nt_ident id;

	parse(&id, "{\"hostname\":\"h1\",\"kernel\":\"6.1.0\"}"); /* an older nft-record */
	CHECK(!id.known);
	CHECK_EQ_STR(id.label, "unknown");
	parse(&id, "{\"host\":");
	CHECK(!id.known);
	CHECK_EQ_STR(id.label, "unknown");
	parse(&id, "{\"host\":{\"label\":7,\"netns\":-1}}"); /* wrong types: ignored */
	CHECK_EQ_INT(id.netns, 0);
}

TEST(wall_clock_from_references)
{
	struct nt_clock c;
	const char *h = "{\"boot_time_ns\":1000,\"clock_ref\":{\"mono_ns\":\"5000000000000\","
			"\"realtime_ns\":\"1796559600123456789\"}}";
	/* a minute later the wall clock was stepped 2 s ahead (NTP) */
	const char *k1 = "{\"mono_ns\":\"5060000000000\",\"realtime_ns\":\"1796559662123456789\"}";
	const char *k2 = "{\"mono_ns\":5120000000000,\"realtime_ns\":\"1796559722123456789\"}";

	nt_clock_init(&c);
	CHECK_EQ_INT(nt_clock_wall(&c, 5), 0);              /* no clock at all */
	CHECK_EQ_INT(nt_clock_meta(&c, NTL_B_HEADER, h, strlen(h)), 0);
	CHECK_EQ_INT(nt_clock_wall(&c, 5000000000000ull), 1796559600123456789ull); /* exact ns */
	CHECK_EQ_INT(nt_clock_wall(&c, 5001000000000ull), 1796559601123456789ull);
	/* CLOCK blocks, the second one read before the first (kept in order) */
	CHECK_EQ_INT(nt_clock_meta(&c, NTL_B_CLOCK, k2, strlen(k2)), 0);
	CHECK_EQ_INT(nt_clock_meta(&c, NTL_B_CLOCK, k1, strlen(k1)), 0);
	CHECK_EQ_INT(nt_clock_meta(&c, NTL_B_RULESET, "{}", 2), 0);       /* other blocks ignored */
	CHECK_EQ_INT(c.n, 3);
	CHECK_EQ_INT(nt_clock_wall(&c, 5059999999999ull), 1796559660123456788ull); /* before the step */
	CHECK_EQ_INT(nt_clock_wall(&c, 5060000000000ull), 1796559662123456789ull); /* after it */
	CHECK_EQ_INT(nt_clock_wall(&c, 5200000000000ull), 1796559802123456789ull); /* the latest */
	CHECK_EQ_INT(nt_clock_wall(&c, 4999000000000ull), 1796559599123456789ull); /* before all: the first */
	nt_clock_free(&c);
	/* a log with only boot_time_ns (format 1 writers) */
	nt_clock_init(&c);
	h = "{\"boot_time_ns\":1000}";
	CHECK_EQ_INT(nt_clock_meta(&c, NTL_B_HEADER, h, strlen(h)), 0);
	CHECK_EQ_INT(nt_clock_wall(&c, 5 * S), 5 * S + 1000);
	nt_clock_free(&c);
}

int main(void)
{
	RUN(identity_of_a_header);
	RUN(old_and_broken_headers_are_unknown);
	RUN(wall_clock_from_references);
	TEST_EXIT();
}
