/* test_log.c - .ntl codec: round trip, limits, truncation at every byte
 * offset, wrong magic, newer version, corrupt zstd frame, absurd lengths;
 * format version 2 and the STACKS block: test_log_v2.c. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/nt_test.h"
#include "formats/logw.h"
#include "formats/logr.h"
#include "formats/stacks.h"
#include "tests/unit/log_helpers.h"

#define NFUNC 300
static const char *hdr_json = "{\"tool\":\"test\",\"format_version\":1}";

/* A small log: HEADER, 300 FUNC + META + CHAIN + RULE + DROP records in
 * blocks of 1 KiB, TRAILER.  Returns the number of records written. */
static int write_small(const char *p, uint32_t block_bytes, const char *trailer)
{
	struct ntl_writer_opts o = { .sz = sizeof(o), .block_bytes = block_bytes, .force = 1 };
	struct ntl_writer *w;
	int n = 0;

	if (ntl_writer_open(&w, p, &o))
		return -1;
	if (ntl_writer_meta(w, NTL_B_HEADER, hdr_json, strlen(hdr_json)))
		return -1;
	for (int i = 0; i < NFUNC; i++) {
		struct nt_ev_func f = { .h = { .type = NT_EV_FUNC, .cpu = (uint16_t)(i % 2), .id = (uint32_t)(i % 7),
					       .ts_ns = 1000000000ull + (uint64_t)i * 1500, .skb = 0xffff888100000000ull + (uint64_t)(i / 10) * 256 } };

		if (ntl_writer_event(w, &f, sizeof(f)))
			return -1;
		n++;
		if (i % 50 == 0) {
			struct nt_ev_meta m = { .h = { .type = NT_EV_META, .ts_ns = f.h.ts_ns, .skb = f.h.skb },
						.sport = 1234, .dport = 80, .l3 = NT_L3_IPV4, .l4proto = 6 };
			struct nt_ev_nft_rule r = { .h = { .type = NT_EV_NFT_RULE, .ts_ns = f.h.ts_ns + 1, .skb = f.h.skb },
						    .chain_key = 7, .rule_handle = (uint64_t)i, .verdict = NT_V_ACCEPT };

			m.saddr[0] = 10, m.saddr[3] = 1, m.daddr[0] = 10, m.daddr[3] = 2;
			if (ntl_writer_event(w, &m, sizeof(m)) || ntl_writer_event(w, &r, sizeof(r)))
				return -1;
			n += 2;
		}
	}
	{
		struct nt_ev_drop d = { .h = { .type = NT_EV_DROP, .ts_ns = 2000000000ull, .skb = 1 }, .reason = 5 };

		if (ntl_writer_event(w, &d, sizeof(d)))
			return -1;
		n++;
	}
	if (ntl_writer_close(w, trailer))
		return -1;
	return n;
}

TEST(roundtrip_exact_records)
{
	struct ntl_reader *r;
	struct ntl_item it;
	const char *m;
	int n = write_small(path, 1024, "{\"clean\":true}"), i = 0, metas = 0, st;
	uint64_t prev_ts = 0;

	CHECK(n > 0);
	CHECK_EQ_INT(ntl_reader_open(&r, path, &m), 0);
	CHECK_EQ_INT(ntl_reader_version(r), 2);
	while ((st = ntl_reader_next(r, &it)) == NTL_OK) {
		if (it.kind == NTL_ITEM_META) {
			if (metas == 0) {
				CHECK_EQ_INT(it.type, NTL_B_HEADER);
				CHECK_EQ_STR((const char *)it.data, hdr_json);
			} else {
				CHECK_EQ_INT(it.type, NTL_B_TRAILER);
				CHECK_EQ_STR((const char *)it.data, "{\"clean\":true}");
			}
			metas++;
			continue;
		}
		const struct nt_ev_hdr *h = it.data;

		if (h->type == NT_EV_FUNC) {
			CHECK_EQ_INT(h->id, i % 7);
			CHECK_EQ_INT(h->cpu, i % 2);
			CHECK_EQ_INT(h->ts_ns, 1000000000ull + (uint64_t)i * 1500);
			CHECK_EQ_INT(h->skb, 0xffff888100000000ull + (uint64_t)(i / 10) * 256);
			i++;
		} else if (h->type == NT_EV_META) {
			const struct nt_ev_meta *mm = it.data;

			CHECK_EQ_INT(mm->dport, 80);
			CHECK_EQ_INT(mm->saddr[3], 1);
		} else if (h->type == NT_EV_NFT_RULE) {
			const struct nt_ev_nft_rule *rr = it.data;

			CHECK_EQ_INT(rr->rule_handle, (uint64_t)(i - 1));
			CHECK_EQ_INT(rr->chain_key, 7);
		} else if (h->type == NT_EV_DROP) {
			CHECK_EQ_INT(((const struct nt_ev_drop *)it.data)->reason, 5);
		}
		CHECK(h->type == NT_EV_DROP || h->ts_ns >= prev_ts || h->ts_ns + 2 >= prev_ts);
		prev_ts = h->ts_ns;
	}
	CHECK_EQ_INT(st, NTL_END);
	CHECK_EQ_INT(i, NFUNC);
	CHECK_EQ_INT(metas, 2);
	CHECK_EQ_INT(ntl_reader_events(r), (uint64_t)n);
	CHECK(ntl_reader_complete(r));
	ntl_reader_close(r);
}

TEST(writer_rejects_bad_record_and_existing_file)
{
	struct ntl_writer_opts o = { .sz = sizeof(o) };
	struct ntl_writer *w;
	struct nt_ev_func f = { .h = { .type = NT_EV_FUNC } };
	char p2[300];

	snprintf(p2, sizeof(p2), "%s/excl.ntl", tmpdir);
	CHECK_EQ_INT(ntl_writer_open(&w, p2, &o), 0);
	CHECK_EQ_INT(ntl_writer_event(w, &f, 23), -EINVAL);
	f.h.type = 200;
	CHECK_EQ_INT(ntl_writer_event(w, &f, sizeof(f)), -EINVAL);
	CHECK_EQ_INT(ntl_writer_meta(w, NTL_B_EVENTS, "{}", 2), -EINVAL);
	CHECK_EQ_INT(ntl_writer_close(w, NULL), 0);
	CHECK_EQ_INT(ntl_writer_open(&w, p2, &o), -EEXIST);
	CHECK(strstr(ntl_writer_open_error(), "file exists") != NULL);
	struct stat st;
	CHECK_EQ_INT(stat(p2, &st), 0);
	CHECK_EQ_INT(st.st_mode & 0777, 0600);
}

TEST(writer_limits)
{
	struct ntl_writer_opts o = { .sz = sizeof(o), .force = 1, .block_bytes = 100 };
	struct ntl_writer *w = (void *)1;

	CHECK_EQ_INT(ntl_writer_open(&w, path, &o), -EINVAL);
	CHECK(w == NULL);
	CHECK_EQ_STR(ntl_writer_open_error(), "block size 100 out of range (256 .. 67108348 bytes)");
	o.block_bytes = 256;
	CHECK_EQ_INT(ntl_writer_open(&w, path, &o), 0);
	/* a 176-byte record does not fit twice: two blocks */
	for (int i = 0; i < 3; i++) {
		struct nt_ev_nft_chaindef d = { .h = { .type = NT_EV_NFT_CHAINDEF }, .chain_key = (uint64_t)i + 1 };

		CHECK_EQ_INT(ntl_writer_event(w, &d, sizeof(d)), 0);
	}
	CHECK_EQ_INT(ntl_writer_events(w), 3);
	CHECK_EQ_INT(ntl_writer_close(w, NULL), 0);
	{
		struct ntl_reader *r;
		struct ntl_item it;
		uint64_t offs[3];
		int n = 0;

		CHECK_EQ_INT(ntl_reader_open(&r, path, NULL), 0);
		while (n < 3 && ntl_reader_next(r, &it) == NTL_OK)
			offs[n++] = it.offset;
		CHECK_EQ_INT(ntl_reader_next(r, &it), NTL_END);
		ntl_reader_close(r);
		CHECK_EQ_INT(n, 3);
		CHECK(offs[0] != offs[1] && offs[1] != offs[2]);
	}
}

TEST(block_age_splits_blocks)
{
	struct ntl_writer_opts o = { .sz = sizeof(o), .force = 1, .block_ns = 1000 };
	struct ntl_writer *w;
	struct ntl_reader *r;
	struct ntl_item it;
	uint64_t offs[8];
	int n = 0;

	CHECK_EQ_INT(ntl_writer_open(&w, path, &o), 0);
	for (int i = 0; i < 4; i++) {
		struct nt_ev_func f = { .h = { .type = NT_EV_FUNC, .ts_ns = 5000 + (uint64_t)i * 600 } };

		CHECK_EQ_INT(ntl_writer_event(w, &f, sizeof(f)), 0);
	}
	CHECK_EQ_INT(ntl_writer_close(w, NULL), 0);
	CHECK_EQ_INT(ntl_reader_open(&r, path, NULL), 0);
	while (ntl_reader_next(r, &it) == NTL_OK && n < 8)
		offs[n++] = it.offset;
	ntl_reader_close(r);
	CHECK_EQ_INT(n, 4);
	/* ts 5000, 5600 | 6200, 6800: the block closes when a record is > 1000 ns after its first */
	CHECK(offs[0] == offs[1]);
	CHECK(offs[1] != offs[2]);
	CHECK(offs[2] == offs[3]);
}

TEST(truncated_at_every_offset)
{
	size_t len, ok_before;
	uint8_t *buf;
	int n = write_small(path, 1024, "{\"clean\":true}");
	long prev = 0;

	CHECK(n > 0);
	buf = slurp(path, &len);
	CHECK(buf != NULL);
	CHECK(len > 200);
	for (size_t cut = 0; cut < len; cut++) {
		char msg[800];
		int st, metas;
		long got = read_all_mem(buf, cut, &st, msg, sizeof(msg), &metas);

		CHECK(got >= 0);
		CHECK(got <= n);
		/* never fewer records for a longer prefix */
		CHECK(got >= prev);
		prev = got;
		if (cut == 0) {
			CHECK_EQ_INT(st, NTL_E_MAGIC);
			continue;
		}
		if (st != NTL_E_TRUNCATED) {
			/* a cut exactly at a block boundary is a clean end without trailer */
			CHECK_EQ_INT(st, NTL_END);
			continue;
		}
		CHECK(strstr(msg, "t.ntl: truncated at offset ") == msg);
		CHECK(strstr(msg, "events read before it") != NULL);
	}
	{
		char msg[800];
		int st, metas;
		long got = read_all_mem(buf, len, &st, msg, sizeof(msg), &metas);

		CHECK_EQ_INT(st, NTL_END);
		CHECK_EQ_INT(got, n);
		CHECK_EQ_INT(metas, 2);
	}
	/* a cut in the middle of the second block: the first block's records are returned */
	ok_before = 0;
	{
		char msg[800];
		int st, metas;
		long got = read_all_mem(buf, len - 3, &st, msg, sizeof(msg), &metas);

		CHECK_EQ_INT(st, NTL_E_TRUNCATED);
		CHECK_EQ_INT(got, n);
		CHECK_EQ_INT(metas, 1);
		ok_before = 1;
	}
	CHECK(ok_before);
	free(buf);
}

TEST(truncated_message_exact)
{
	size_t len;
	uint8_t *buf;
	char msg[800];
	int st, metas;
	char want[200];

	CHECK(write_small(path, 1024, NULL) > 0);
	buf = slurp(path, &len);
	CHECK(buf != NULL);
	/* the file is: preamble (16) + HEADER block + EVENTS blocks; cut 5 bytes into
	 * the payload of the HEADER block */
	uint32_t stored = (uint32_t)buf[16 + 8] | (uint32_t)buf[16 + 9] << 8;
	read_all_mem(buf, 16 + 16 + 5, &st, msg, sizeof(msg), &metas);
	CHECK_EQ_INT(st, NTL_E_TRUNCATED);
	snprintf(want, sizeof(want), "t.ntl: truncated at offset 16 (block of %u bytes, 5 present): 0 events read before it", stored);
	CHECK_EQ_STR(msg, want);
	read_all_mem(buf, 16 + 7, &st, msg, sizeof(msg), &metas);
	CHECK_EQ_STR(msg, "t.ntl: truncated at offset 16 (block header of 16 bytes, 7 present): 0 events read before it");
	read_all_mem(buf, 10, &st, msg, sizeof(msg), &metas);
	CHECK_EQ_INT(st, NTL_E_TRUNCATED);
	CHECK_EQ_STR(msg, "t.ntl: truncated at offset 10 (file preamble of 16 bytes, 10 present): 0 events read before it");
	free(buf);
}

TEST(bad_magic_version_zstd_lengths)
{
	size_t len;
	uint8_t *buf;
	char msg[800];
	int st, metas;
	long got;

	CHECK(write_small(path, 1024, NULL) > 0);
	buf = slurp(path, &len);
	CHECK(buf != NULL);

	uint8_t *b = malloc(len);
	/* wrong magic */
	memcpy(b, buf, len);
	b[0] = 'X';
	read_all_mem(b, len, &st, msg, sizeof(msg), &metas);
	CHECK_EQ_INT(st, NTL_E_MAGIC);
	CHECK_EQ_STR(msg, "t.ntl: not an nft-tracer log (bad magic)");
	/* newer major version */
	memcpy(b, buf, len);
	b[8] = 3;
	read_all_mem(b, len, &st, msg, sizeof(msg), &metas);
	CHECK_EQ_INT(st, NTL_E_VERSION);
	CHECK_EQ_STR(msg, "t.ntl: format version 3 is newer than this nft-analyze (2): upgrade nft-tracer");
	/* newer minor version is fine */
	memcpy(b, buf, len);
	b[12] = 9;
	got = read_all_mem(b, len, &st, msg, sizeof(msg), &metas);
	CHECK_EQ_INT(st, NTL_END);
	CHECK(got > 0);
	/* corrupt zstd frame: flip a byte in the middle of the first EVENTS payload */
	{
		uint32_t s0 = (uint32_t)buf[24] | (uint32_t)buf[25] << 8;
		size_t ev = 16 + 16 + s0; /* offset of the first EVENTS block */

		memcpy(b, buf, len);
		b[ev + 16 + 20] ^= 0x5a;
		got = read_all_mem(b, len, &st, msg, sizeof(msg), &metas);
		CHECK_EQ_INT(st, NTL_E_CORRUPT);
		CHECK_EQ_INT(got, 0);
		CHECK_EQ_INT(metas, 1);
		char want[100];
		snprintf(want, sizeof(want), "t.ntl: corrupt at offset %zu: ", ev);
		CHECK(strncmp(msg, want, strlen(want)) == 0);
		/* absurd stored length */
		memcpy(b, buf, len);
		b[ev + 8] = 0xff, b[ev + 9] = 0xff, b[ev + 10] = 0xff, b[ev + 11] = 0x7f;
		read_all_mem(b, len, &st, msg, sizeof(msg), &metas);
		CHECK_EQ_INT(st, NTL_E_CORRUPT);
		CHECK(strstr(msg, "exceed the limit") != NULL);
		/* plausible but too long stored length: truncation, nothing allocated */
		memcpy(b, buf, len);
		b[ev + 8] = 0x00, b[ev + 9] = 0x00, b[ev + 10] = 0x10, b[ev + 11] = 0x00;
		read_all_mem(b, len, &st, msg, sizeof(msg), &metas);
		CHECK_EQ_INT(st, NTL_E_TRUNCATED);
		/* bad block magic */
		memcpy(b, buf, len);
		b[ev] ^= 1;
		read_all_mem(b, len, &st, msg, sizeof(msg), &metas);
		CHECK_EQ_INT(st, NTL_E_CORRUPT);
		CHECK(strstr(msg, "bad block magic") != NULL);
		/* unknown flags */
		memcpy(b, buf, len);
		b[ev + 7] = 0x80;
		read_all_mem(b, len, &st, msg, sizeof(msg), &metas);
		CHECK_EQ_INT(st, NTL_E_CORRUPT);
		CHECK(strstr(msg, "unknown flags") != NULL);
	}
	/* every single-byte corruption: never a crash, never more records than written */
	for (size_t i = 0; i < len; i++) {
		memcpy(b, buf, len);
		b[i] ^= 0xa5;
		got = read_all_mem(b, len, &st, msg, sizeof(msg), &metas);
		CHECK(got >= 0 && got <= NFUNC + 14);
		CHECK(st != NTL_OK);
	}
	free(b);
	free(buf);
}

TEST(unknown_block_skipped)
{
	/* a block of unknown type 99 between two known ones is skipped by length */
	static const char *j = "{}";
	struct ntl_writer_opts o = { .sz = sizeof(o), .force = 1 };
	struct ntl_writer *w;
	char msg[800];
	int st, metas;
	size_t len;
	uint8_t *buf;

	CHECK_EQ_INT(ntl_writer_open(&w, path, &o), 0);
	CHECK_EQ_INT(ntl_writer_meta(w, NTL_B_HEADER, j, 2), 0);
	CHECK_EQ_INT(ntl_writer_meta(w, 99, j, 2), 0);
	CHECK_EQ_INT(ntl_writer_meta(w, NTL_B_FUNCS, j, 2), 0);
	CHECK_EQ_INT(ntl_writer_close(w, NULL), 0);
	buf = slurp(path, &len);
	read_all_mem(buf, len, &st, msg, sizeof(msg), &metas);
	CHECK_EQ_INT(st, NTL_END);
	CHECK_EQ_INT(metas, 2);
	free(buf);
}

/* Every kind of damage after the preamble: the exact message, ending with
 * the records returned before it (2: the good EVENTS block before the bad one). */
/* preamble + one good uncompressed EVENTS block of 2 FUNC records; returns its length */
static size_t good_prefix(uint8_t *o)
{
	uint8_t ev[52] = { 2, 0, 0, 0, NT_EV_FUNC, NT_EV_FUNC };
	uint32_t v1 = 1, v0 = 0;

	ev[4 + 4 + 4 + 8] = 100;             /* ts deltas */
	ev[4 + 4 + 4 + 8 + 8] = 10;
	ev[4 + 4 + 4 + 8 + 16 + 1] = 0x10;  /* skb 0x1000 */
	memcpy(o, "NTLOG\0\r\n", 8);
	memcpy(o + 8, &v1, 4);
	memcpy(o + 12, &v0, 4);
	return 16 + put_block(o + 16, NTL_B_EVENTS, 2, sizeof(ev), sizeof(ev), ev, sizeof(ev));
}

TEST(corruption_messages_exact)
{
	static const struct {
		uint16_t type, flags;
		uint32_t stored, raw;
		uint8_t payload[32];
		size_t plen;
		const char *want;   /* after "t.ntl: corrupt at offset X: " */
	} cases[] = {
		{ NTL_B_EVENTS, 0x0004, 4, 4, { 0 }, 4, "block has unknown flags 0x0004" },
		{ NTL_B_EVENTS, 0x0003, 0xfffffff0, 8, { 0 }, 4,
		  "block lengths 4294967280 stored / 8 raw exceed the limit of 67108864 bytes" },
		{ NTL_B_HEADER, 0x0000, 4, 0xfffffff0, { 0 }, 4,
		  "block lengths 4 stored / 4294967280 raw exceed the limit of 67108864 bytes" },
		{ NTL_B_HEADER, 0x0000, 10, 12, { 0 }, 10, "uncompressed block with 10 stored != 12 raw bytes" },
		{ NTL_B_EVENTS, 0x0000, 4, 4, { 0 }, 4, "EVENTS block without the column coding flag" },
		{ NTL_B_EVENTS, 0x0002, 2, 2, { 1, 0 }, 2, "EVENTS block of 2 bytes, less than its 4-byte record count" },
		{ NTL_B_EVENTS, 0x0002, 28, 28, { 100 }, 28, "EVENTS block: 100 records do not fit in 28 bytes" },
		{ NTL_B_EVENTS, 0x0002, 28, 28, { 1, 0, 0, 0, 77 }, 28, "EVENTS block: record 0 has unknown type 77" },
		{ NTL_B_EVENTS, 0x0002, 30, 30, { 1, 0, 0, 0, NT_EV_FUNC }, 30,
		  "EVENTS block: record sizes add up to 28 bytes, block has 30" },
		{ NTL_B_EVENTS, 0x0003, 8, 20, { 1, 2, 3, 4, 5, 6, 7, 8 }, 8,
		  "block of 8 bytes is not one zstd frame of 20 bytes" },
		{ NTL_B_EVENTS, 0x0003, 8, 20, { 0x28, 0xb5, 0x2f, 0xfd, 0x20, 20, 0, 0 }, 8,
		  "block of 8 bytes is not one zstd frame of 20 bytes" },
	};
	uint8_t buf[512];
	char msg[800], want[400];
	int st, metas;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t off = good_prefix(buf), len;

		len = off + put_block(buf + off, cases[i].type, cases[i].flags, cases[i].stored, cases[i].raw,
				      cases[i].payload, cases[i].plen);
		CHECK_EQ_INT(read_all_mem(buf, len, &st, msg, sizeof(msg), &metas), 2);
		CHECK_EQ_INT(st, NTL_E_CORRUPT);
		snprintf(want, sizeof(want), "t.ntl: corrupt at offset %zu: %s: 2 events read before it", off,
			 cases[i].want);
		CHECK_EQ_STR(msg, want);
	}
	/* the others: bad magic, truncated header, truncated payload */
	{
		size_t off = good_prefix(buf), len = off + 16;

		memset(buf + off, 0, 16);
		read_all_mem(buf, len, &st, msg, sizeof(msg), &metas);
		snprintf(want, sizeof(want), "t.ntl: corrupt at offset %zu: bad block magic 0x00000000 "
			 "(expected \"NTBK\"): 2 events read before it", off);
		CHECK_EQ_STR(msg, want);
		read_all_mem(buf, off + 5, &st, msg, sizeof(msg), &metas);
		snprintf(want, sizeof(want), "t.ntl: truncated at offset %zu (block header of 16 bytes, 5 present): "
			 "2 events read before it", off);
		CHECK_EQ_STR(msg, want);
		len = off + put_block(buf + off, NTL_B_HEADER, 0, 20, 20, "{}", 2);
		read_all_mem(buf, len, &st, msg, sizeof(msg), &metas);
		CHECK_EQ_INT(st, NTL_E_TRUNCATED);
		snprintf(want, sizeof(want), "t.ntl: truncated at offset %zu (block of 20 bytes, 2 present): "
			 "2 events read before it", off);
		CHECK_EQ_STR(msg, want);
	}
}

TEST(open_errors)
{
	struct ntl_reader *r;
	const char *m = NULL;
	char p2[300];
	FILE *f;

	CHECK_EQ_INT(ntl_reader_open(&r, "/nonexistent/x.ntl", &m), NTL_E_IO);
	CHECK_EQ_STR(m, "/nonexistent/x.ntl: No such file or directory");
	snprintf(p2, sizeof(p2), "%s/empty.ntl", tmpdir);
	f = fopen(p2, "w");
	fclose(f);
	CHECK_EQ_INT(ntl_reader_open(&r, p2, &m), NTL_E_MAGIC);
	CHECK(strstr(m, "empty file: not an nft-tracer log") != NULL);
	CHECK_EQ_INT(ntl_reader_open(&r, tmpdir, &m), NTL_E_IO);
	CHECK(strstr(m, "is a directory") != NULL);
}

int main(void)
{
	if (log_tmp_setup())
		return 1;
	RUN(roundtrip_exact_records);
	RUN(writer_rejects_bad_record_and_existing_file);
	RUN(writer_limits);
	RUN(block_age_splits_blocks);
	RUN(truncated_at_every_offset);
	RUN(truncated_message_exact);
	RUN(bad_magic_version_zstd_lengths);
	RUN(unknown_block_skipped);
	RUN(corruption_messages_exact);
	RUN(open_errors);
	if (log_tmp_cleanup())
		return 1;
	TEST_EXIT();
}
