// SPDX-License-Identifier: GPL-2.0
/* test_rotate.c - nft-record/rotate.c on its own: --rotate / --rotate-every
 * values, file names of a set, which file --max-files removes, when a file is
 * due. */
#include <stdint.h>
#include <string.h>

#include "nft-record/rotate.h"
#include "tests/unit/nt_test.h"

TEST(sizes)
{
	uint64_t v;

	CHECK_EQ_INT(nt_rotate_parse_size("10M", &v), 0);
	CHECK_EQ_INT(v, 10ull << 20);
	CHECK_EQ_INT(nt_rotate_parse_size("512k", &v), 0);
	CHECK_EQ_INT(v, 512ull << 10);
	CHECK_EQ_INT(nt_rotate_parse_size("2GiB", &v), 0);
	CHECK_EQ_INT(v, 2ull << 30);
	CHECK_EQ_INT(nt_rotate_parse_size("1048576", &v), 0);
	CHECK_EQ_INT(v, 1048576);
	CHECK(nt_rotate_parse_size("1k", &v) < 0);     /* below 64k */
	CHECK(nt_rotate_parse_size("10X", &v) < 0);
	CHECK(nt_rotate_parse_size("-5M", &v) < 0);
	CHECK(nt_rotate_parse_size("", &v) < 0);
	CHECK(nt_rotate_parse_size("99999999999999999999", &v) < 0);
}

TEST(durations)
{
	uint64_t v;

	CHECK_EQ_INT(nt_rotate_parse_every("30s", &v), 0);
	CHECK_EQ_INT(v, 30000000000ull);
	CHECK_EQ_INT(nt_rotate_parse_every("10m", &v), 0);
	CHECK_EQ_INT(v, 600000000000ull);
	CHECK_EQ_INT(nt_rotate_parse_every("1h", &v), 0);
	CHECK_EQ_INT(nt_rotate_parse_every("1d", &v), 0);
	CHECK(nt_rotate_parse_every("10", &v) < 0);    /* unit required */
	CHECK(nt_rotate_parse_every("0s", &v) < 0);
	CHECK(nt_rotate_parse_every("400d", &v) < 0);
}

TEST(names_and_removal)
{
	struct nt_rotor r;
	struct nt_rotate_opts o = { .size = 1 << 20, .max_files = 3 };
	char p[4096];
	const char *gone;

	CHECK_EQ_INT(nt_rotor_init(&r, &o, "/var/lib/nft-tracer/cap.ntl", "x", "abc"), 0);
	CHECK_EQ_STR(r.set, "abc");
	nt_rotor_next_path(&r, p, sizeof(p));
	CHECK_EQ_STR(p, "/var/lib/nft-tracer/cap-000001.ntl");
	for (int i = 1; i <= 3; i++) {
		nt_rotor_next_path(&r, p, sizeof(p));
		CHECK(nt_rotor_opened(&r, 0) == NULL);
	}
	CHECK_EQ_INT(r.seq, 3);
	gone = nt_rotor_opened(&r, 0);
	CHECK_EQ_STR(gone, "/var/lib/nft-tracer/cap-000001.ntl");
	gone = nt_rotor_opened(&r, 0);
	CHECK_EQ_STR(gone, "/var/lib/nft-tracer/cap-000002.ntl");
	CHECK_EQ_INT(nt_rotor_init(&r, &o, NULL, "nft-trace-20261206-120000", NULL), 0);
	CHECK_EQ_INT(strlen(r.set), 32);
	nt_rotor_next_path(&r, p, sizeof(p));
	CHECK_EQ_STR(p, "nft-trace-20261206-120000-000001.ntl");
	o.max_files = 0;
	CHECK_EQ_INT(nt_rotor_init(&r, &o, "a.ntl", "x", "s"), 0);
	for (int i = 0; i < 10; i++)
		CHECK(nt_rotor_opened(&r, 0) == NULL);
}

TEST(due)
{
	struct nt_rotor r;
	struct nt_rotate_opts o = { .size = 1 << 20, .every_ns = 60000000000ull };

	CHECK_EQ_INT(nt_rotor_init(&r, &o, "a", "x", "s"), 0);
	nt_rotor_opened(&r, 1000);
	CHECK(!nt_rotor_due(&r, 100, 1000));
	CHECK(nt_rotor_due(&r, 1 << 20, 1000));
	CHECK(!nt_rotor_due(&r, 0, 1000 + 59999999999ull));
	CHECK(nt_rotor_due(&r, 0, 1000 + 60000000000ull));
	o.every_ns = 0;
	CHECK_EQ_INT(nt_rotor_init(&r, &o, "a", "x", "s"), 0);
	CHECK(!nt_rotor_due(&r, 0, UINT64_MAX));
}

int main(void)
{
	RUN(sizes);
	RUN(durations);
	RUN(names_and_removal);
	RUN(due);
	TEST_EXIT();
}
