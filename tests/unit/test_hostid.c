// SPDX-License-Identifier: GPL-2.0
/* test_hostid.c - nft-record/hostid.c: SHA-256 (FIPS 180-4 vectors), the
 * machine id hash (never the id itself), labels, the identity read from
 * given files, the clock reference. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nft-record/hostid.h"
#include "tests/unit/nt_test.h"

static void hex(const uint8_t *d, int n, char *out)
{
	for (int i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

TEST(sha256_vectors)
{
	uint8_t d[32];
	char h[65];
	static char million[1000000];

	nt_sha256("", 0, d);
	hex(d, 32, h);
	CHECK_EQ_STR(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	nt_sha256("abc", 3, d);
	hex(d, 32, h);
	CHECK_EQ_STR(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	nt_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
	hex(d, 32, h);
	CHECK_EQ_STR(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	memset(million, 'a', sizeof(million));
	nt_sha256(million, sizeof(million), d);
	hex(d, 32, h);
	CHECK_EQ_STR(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(machine_id_hash_is_not_the_id)
{
	char a[33], b[33];
	const char *id = "0123456789abcdef0123456789abcdef";

	nt_machine_id_hash(id, a);
	nt_machine_id_hash(id, b);
	CHECK_EQ_STR(a, b);
	CHECK_EQ_INT(strlen(a), 32);
	CHECK(strcmp(a, id) != 0);
	nt_machine_id_hash("0123456789abcdef0123456789abcdee", b);
	CHECK(strcmp(a, b) != 0);
}

TEST(labels)
{
	char long_label[80];

	CHECK_EQ_INT(nt_host_label_ok("web-1.dc2:a_b"), 0);
	CHECK(nt_host_label_ok("") != 0);
	CHECK(nt_host_label_ok("a b") != 0);
	CHECK(nt_host_label_ok("a\x1b[31m") != 0);
	CHECK(nt_host_label_ok("a\"b") != 0);
	memset(long_label, 'x', 64);
	long_label[64] = 0;
	CHECK(nt_host_label_ok(long_label) != 0);
	long_label[63] = 0;
	CHECK_EQ_INT(nt_host_label_ok(long_label), 0);
}

TEST(identity_from_files)
{
	char mid[] = "/tmp/nt_test_mid.XXXXXX", bid[] = "/tmp/nt_test_bid.XXXXXX", want[33];
	int a = mkstemp(mid), b = mkstemp(bid);
	struct nt_hostid h;

	CHECK(a >= 0 && b >= 0);
	CHECK(write(a, "0123456789abcdef0123456789abcdef\n", 33) == 33);
	CHECK(write(b, "6b8f7a3e-1111-2222-3333-444455556666\n", 37) == 37);
	close(a);
	close(b);
	nt_hostid_read(&h, "lab", mid, bid);
	nt_machine_id_hash("0123456789abcdef0123456789abcdef", want);
	CHECK_EQ_STR(h.label, "lab");
	CHECK_EQ_STR(h.machine_id_hash, want);
	CHECK_EQ_STR(h.boot_id, "6b8f7a3e-1111-2222-3333-444455556666");
	nt_hostid_read(&h, NULL, "/nonexistent/machine-id", bid);
	CHECK_EQ_STR(h.machine_id_hash, "");
	CHECK(h.label[0] != 0); /* the host name */
	unlink(mid);
	unlink(bid);
}

TEST(clock_ref_is_realtime_at_a_monotonic_instant)
{
	uint64_t mono, real;
	struct timespec m, r;

	nt_clock_ref(&mono, &real);
	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	/* the two offsets agree within a millisecond */
	int64_t off1 = (int64_t)(real - mono);
	int64_t off2 = ((int64_t)r.tv_sec - m.tv_sec) * 1000000000ll + (r.tv_nsec - m.tv_nsec);

	CHECK(off1 - off2 < 1000000 && off2 - off1 < 1000000);
}

TEST(clock_due_every_minute_and_on_a_step)
{
	uint64_t m0 = 5000000000000ull, r0 = 1796559600000000000ull, s = 1000000000ull;

	CHECK(!nt_clock_due(m0, r0, m0, r0));
	CHECK(!nt_clock_due(m0, r0, m0 + 59 * s, r0 + 59 * s));        /* steady clocks */
	CHECK(nt_clock_due(m0, r0, m0 + 60 * s, r0 + 60 * s));         /* a minute */
	CHECK(!nt_clock_due(m0, r0, m0 + s, r0 + s + 999999));         /* slew under 1 ms */
	CHECK(nt_clock_due(m0, r0, m0 + s, r0 + s + 1000000));         /* step +1 ms */
	CHECK(nt_clock_due(m0, r0, m0 + s, r0 + s - 1000000));         /* step -1 ms */
	CHECK(nt_clock_due(m0, r0, m0 + s, r0 - 3600 * s));            /* date -s an hour back */
	CHECK(!nt_clock_due(m0, r0, m0 + s, r0 + s - 999999));
}

int main(void)
{
	RUN(sha256_vectors);
	RUN(machine_id_hash_is_not_the_id);
	RUN(labels);
	RUN(identity_from_files);
	RUN(clock_ref_is_realtime_at_a_monotonic_instant);
	RUN(clock_due_every_minute_and_on_a_step);
	TEST_EXIT();
}
