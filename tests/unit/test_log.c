/* test_log.c - .ntl codec: round trip, limits, truncation at every byte
 * offset, wrong magic, newer version, corrupt zstd frame, absurd lengths. */
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

static char tmpdir[] = "/tmp/nt-test-log.XXXXXX";
static char path[256];

static uint8_t *slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n ? (size_t)n : 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

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

/* Reads everything; returns records read, *st the final status. */
static long read_all_mem(const uint8_t *buf, size_t len, int *st, char *msg, size_t msglen,
			 int *metas)
{
	struct ntl_reader *r;
	struct ntl_item it;
	const char *m = NULL;
	long n = 0;
	int s;

	*metas = 0;
	s = ntl_reader_open_mem(&r, buf, len, "t.ntl", &m);
	if (s) {
		*st = s;
		snprintf(msg, msglen, "%s", m);
		return 0;
	}
	while ((s = ntl_reader_next(r, &it)) == NTL_OK) {
		if (it.kind == NTL_ITEM_EVENT) {
			if (it.len != nt_ev_len(it.data))
				n = -1000000;
			n++;
		} else {
			(*metas)++;
		}
	}
	*st = s;
	snprintf(msg, msglen, "%s", ntl_reader_strerror(r));
	ntl_reader_close(r);
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
static size_t put_block(uint8_t *o, uint16_t type, uint16_t flags, uint32_t stored, uint32_t raw,
			const void *payload, size_t plen)
{
	static const uint8_t magic[4] = { 'N', 'T', 'B', 'K' };

	memcpy(o, magic, 4);
	memcpy(o + 4, &type, 2);
	memcpy(o + 6, &flags, 2);
	memcpy(o + 8, &stored, 4);
	memcpy(o + 12, &raw, 4);
	memcpy(o + 16, payload, plen);
	return 16 + plen;
}

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

/* ---- format version 2: type table, unknown types, layouts of other versions ---- */

/* A v2 EVENTS payload (uncompressed) of N records with a type table of NT
 * entries (sizes[1..nt]); bodies given back to back. */
static size_t v2_events(uint8_t *o, unsigned int nt, const uint16_t *sizes, uint32_t n,
			const uint8_t *types, const uint8_t *bodies, size_t blen)
{
	uint8_t *p = o;

	*p++ = 1;           /* coding */
	*p++ = (uint8_t)nt;
	for (unsigned int t = 1; t <= nt; t++, p += 2)
		memcpy(p, &sizes[t], 2);
	memcpy(p, &n, 4);
	p += 4;
	memcpy(p, types, n);             /* type */
	memset(p + n, 0, n);             /* flags */
	memset(p + 2 * n, 0, 2 * n);     /* cpu */
	memset(p + 4 * n, 0, 4 * n);     /* id */
	for (uint32_t i = 0; i < n; i++) { /* ts +10 each, skb 0x1000 */
		uint64_t d = 10, x = i == 0 ? 0x1000 : 0;

		memcpy(p + 8 * n + 8 * i, &d, 8);
		memcpy(p + 16 * n + 8 * i, &x, 8);
	}
	p += 24 * n;
	memcpy(p, bodies, blen);
	return (size_t)(p + blen - o);
}

static size_t v2_file(uint8_t *o, const uint8_t *ev, size_t evlen)
{
	uint32_t v2 = 2, v0 = 0;

	memcpy(o, "NTLOG\0\r\n", 8);
	memcpy(o + 8, &v2, 4);
	memcpy(o + 12, &v0, 4);
	return 16 + put_block(o + 16, NTL_B_EVENTS, 2, (uint32_t)evlen, (uint32_t)evlen, ev, evlen);
}

TEST(v2_unknown_types_skipped_by_size)
{
	/* FUNC, an unknown fixed type 40 (40 bytes), DEV, an unknown variable
	 * type 41 (its body starts with its total length, 30), FREE */
	uint16_t sizes[42] = { 0 };
	uint8_t types[5] = { NT_EV_FUNC, 40, NT_EV_DEV, 41, NT_EV_FREE };
	uint8_t bodies[16 + 8 + 6], ev[1024], file[2048];
	struct ntl_reader *r;
	struct ntl_item it;
	size_t elen, flen;
	int got = 0;

	sizes[NT_EV_FUNC] = 24, sizes[NT_EV_DEV] = 32, sizes[NT_EV_FREE] = 24;
	sizes[40] = 40, sizes[41] = 0xffff;
	memset(bodies, 0xaa, 16);             /* type 40 body */
	memset(bodies + 16, 0, 8);            /* DEV: ifindex 7, netns 9 */
	bodies[16] = 7, bodies[20] = 9;
	bodies[24] = 30, bodies[25] = 0;      /* type 41: total length 30 */
	memset(bodies + 26, 0xbb, 4);
	elen = v2_events(ev, 41, sizes, 5, types, bodies, sizeof(bodies));
	flen = v2_file(file, ev, elen);
	CHECK_EQ_INT(ntl_reader_open_mem(&r, file, flen, "v2.ntl", NULL), 0);
	while (ntl_reader_next(r, &it) == NTL_OK) {
		const struct nt_ev_hdr *h = it.data;

		CHECK_EQ_INT(it.kind, NTL_ITEM_EVENT);
		if (got == 0)
			CHECK(h->type == NT_EV_FUNC && h->ts_ns == 10 && h->skb == 0x1000);
		if (got == 1) {
			const struct nt_ev_dev *d = it.data;

			CHECK(h->type == NT_EV_DEV && it.len == 32 && d->ifindex == 7 && d->netns == 9);
			CHECK_EQ_INT(h->ts_ns, 30); /* the skipped record's delta counts */
		}
		if (got == 2)
			CHECK(h->type == NT_EV_FREE && h->ts_ns == 50);
		got++;
	}
	CHECK_EQ_INT(got, 3);
	CHECK_EQ_INT(ntl_reader_skipped(r), 2);
	ntl_reader_close(r);
}

TEST(v2_shorter_and_longer_layouts)
{
	/* a META of 88 bytes (format 1 layout) reads as the current layout with
	 * the new fields zero; a META of 100 bytes (a newer, longer layout)
	 * reads as its known prefix */
	uint16_t sizes[NT_EV__MAX] = { 0 };
	uint8_t types[1] = { NT_EV_META }, bodies[76], ev[512], file[1024];
	struct ntl_reader *r;
	struct ntl_item it;
	const struct nt_ev_meta *m;
	size_t elen, flen;

	sizes[NT_EV_META] = 88;
	memset(bodies, 0x11, sizeof(bodies));
	elen = v2_events(ev, NT_EV__MAX - 1, sizes, 1, types, bodies, 64);
	flen = v2_file(file, ev, elen);
	CHECK_EQ_INT(ntl_reader_open_mem(&r, file, flen, "v2.ntl", NULL), 0);
	CHECK_EQ_INT(ntl_reader_next(r, &it), NTL_OK);
	m = it.data;
	CHECK_EQ_INT(it.len, sizeof(struct nt_ev_meta));
	CHECK(m->l4_extra == 0x11111111u && m->frag_id == 0 && m->frag == 0 && m->l4_csum == 0);
	CHECK_EQ_INT(ntl_reader_next(r, &it), NTL_END);
	ntl_reader_close(r);

	sizes[NT_EV_META] = 100;
	elen = v2_events(ev, NT_EV__MAX - 1, sizes, 1, types, bodies, 76);
	flen = v2_file(file, ev, elen);
	CHECK_EQ_INT(ntl_reader_open_mem(&r, file, flen, "v2.ntl", NULL), 0);
	CHECK_EQ_INT(ntl_reader_next(r, &it), NTL_OK);
	m = it.data;
	CHECK_EQ_INT(it.len, sizeof(struct nt_ev_meta));
	CHECK(m->frag_id == 0x11111111u && m->l4_csum == 0x1111);
	CHECK_EQ_INT(ntl_reader_next(r, &it), NTL_END);
	ntl_reader_close(r);
}

TEST(v2_type_table_damage)
{
	uint16_t sizes[NT_EV__MAX] = { 0 };
	uint8_t types[2] = { NT_EV_FUNC, NT_EV_DEV }, bodies[8] = { 0 }, ev[512], file[1024];
	char msg[800];
	int st, metas;
	size_t elen, flen;

	/* DEV absent from the table */
	sizes[NT_EV_FUNC] = 24;
	elen = v2_events(ev, NT_EV__MAX - 1, sizes, 2, types, bodies, sizeof(bodies));
	flen = v2_file(file, ev, elen);
	read_all_mem(file, flen, &st, msg, sizeof(msg), &metas);
	CHECK_EQ_INT(st, NTL_E_CORRUPT);
	CHECK_EQ_STR(msg, "t.ntl: corrupt at offset 16: EVENTS block: record 1 has unknown type 10: 0 events read before it");
	/* a size below the record header */
	sizes[NT_EV_DEV] = 20;
	elen = v2_events(ev, NT_EV__MAX - 1, sizes, 2, types, bodies, sizeof(bodies));
	flen = v2_file(file, ev, elen);
	read_all_mem(file, flen, &st, msg, sizeof(msg), &metas);
	CHECK_EQ_INT(st, NTL_E_CORRUPT);
	CHECK_EQ_STR(msg, "t.ntl: corrupt at offset 16: EVENTS block: type 10 has records of 20 bytes (less than the 24-byte header): 0 events read before it");
	/* unknown coding */
	sizes[NT_EV_DEV] = 32;
	elen = v2_events(ev, NT_EV__MAX - 1, sizes, 2, types, bodies, sizeof(bodies));
	ev[0] = 7;
	flen = v2_file(file, ev, elen);
	read_all_mem(file, flen, &st, msg, sizeof(msg), &metas);
	CHECK_EQ_INT(st, NTL_E_CORRUPT);
	CHECK_EQ_STR(msg, "t.ntl: corrupt at offset 16: EVENTS block with unknown coding 7 (written by a newer nft-tracer? upgrade): 0 events read before it");
	/* a variable record whose length runs past the block */
	types[1] = 41;
	{
		uint16_t s2[42] = { 0 };
		uint8_t b2[4] = { 200, 0, 0, 0 };

		s2[NT_EV_FUNC] = 24, s2[41] = 0xffff;
		elen = v2_events(ev, 41, s2, 2, types, b2, sizeof(b2));
		flen = v2_file(file, ev, elen);
		read_all_mem(file, flen, &st, msg, sizeof(msg), &metas);
		CHECK_EQ_INT(st, NTL_E_CORRUPT);
		CHECK(strstr(msg, "record sizes add up to more than") != NULL);
	}
}

TEST(v2_roundtrip_new_records)
{
	struct ntl_writer_opts o = { .sz = sizeof(o), .force = 1 };
	struct ntl_writer *w;
	struct ntl_reader *r;
	struct ntl_item it;
	struct nt_ev_dev d = { .h = { .type = NT_EV_DEV, .id = 3, .ts_ns = 5, .skb = 0xff00 }, .ifindex = 4, .netns = 4026531840u };
	struct nt_ev_count c = { .h = { .type = NT_EV_COUNT, .cpu = 0xffff, .ts_ns = 6 }, .value = 12345, .counter = NT_CNT_LATE };
	struct nt_ev_meta m = { .h = { .type = NT_EV_META, .ts_ns = 7, .skb = 0xff00 }, .frag_id = 0xabcdef01u,
				.frag = NT_FRAG_IS | NT_FRAG_MF | 185, .l4_csum = 0xbeef };
	uint8_t bad[24] = { NT_EV_INTERNAL };

	CHECK_EQ_INT(ntl_writer_open(&w, path, &o), 0);
	CHECK_EQ_INT(ntl_writer_event(w, bad, sizeof(bad)), -EINVAL); /* internal types never written */
	CHECK_EQ_INT(ntl_writer_event(w, &d, sizeof(d)), 0);
	CHECK_EQ_INT(ntl_writer_event(w, &c, sizeof(c)), 0);
	CHECK_EQ_INT(ntl_writer_event(w, &m, sizeof(m)), 0);
	CHECK_EQ_INT(ntl_writer_close(w, "{}"), 0);
	CHECK_EQ_INT(ntl_reader_open(&r, path, NULL), 0);
	CHECK_EQ_INT(ntl_reader_version(r), 2);
	CHECK_EQ_INT(ntl_reader_next(r, &it), NTL_OK);
	CHECK(it.len == sizeof(d) && !memcmp(it.data, &d, sizeof(d)));
	CHECK_EQ_INT(ntl_reader_next(r, &it), NTL_OK);
	CHECK(it.len == sizeof(c) && !memcmp(it.data, &c, sizeof(c)));
	CHECK_EQ_INT(ntl_reader_next(r, &it), NTL_OK);
	CHECK(it.len == sizeof(m) && !memcmp(it.data, &m, sizeof(m)));
	CHECK_EQ_INT(ntl_reader_next(r, &it), NTL_OK); /* trailer */
	CHECK_EQ_INT(it.kind, NTL_ITEM_META);
	CHECK_EQ_INT(ntl_reader_next(r, &it), NTL_END);
	CHECK_EQ_INT(ntl_reader_skipped(r), 0);
	ntl_reader_close(r);
}

/* ---- issue #18: CT, BYTES (variable size), STACKREF, STACKS block ---- */

/* A BYTES record of CAPLEN bytes (data[i] = i ^ seed) into BUF; its length. */
static size_t mk_bytes(uint8_t *buf, uint16_t caplen, uint64_t ts, uint8_t seed)
{
	struct nt_ev_bytes b = { .h = { .type = NT_EV_BYTES, .cpu = 1, .id = 9, .ts_ns = ts, .skb = 0xff00 },
				 .reclen = (uint16_t)NT_BYTES_RECLEN(caplen), .caplen = caplen,
				 .origlen = 1500u + caplen, .link = NT_BYTES_MAC, .why = NT_BYTES_CHANGED,
				 .ethertype = 0x0800, .ifindex = 3, .netns = 4026531840u, .net_off = 14 };

	memcpy(buf, &b, sizeof(b));
	memset(buf + sizeof(b), 0, b.reclen - sizeof(b));
	for (unsigned int i = 0; i < caplen; i++)
		buf[sizeof(b) + i] = (uint8_t)(i ^ seed);
	return b.reclen;
}

TEST(v2_roundtrip_ct_bytes_stackref_stacks)
{
	struct ntl_writer_opts o = { .sz = sizeof(o), .force = 1, .block_bytes = 4096 };
	struct ntl_writer *w;
	struct ntl_reader *r;
	struct ntl_item it;
	struct nt_ev_ct ct = { .h = { .type = NT_EV_CT, .id = 4, .ts_ns = 10, .skb = 0xff00 },
			       .ct_addr = 0xffff888012345678ull, .ct_id = 0xdeadbeef,
			       .status = NT_CT_S_CONFIRMED | NT_CT_S_SRC_NAT | NT_CT_S_SRC_NAT_DONE,
			       .mark = 0x42, .zone = 7, .have = 0xff, .state = NT_CT_STATE_ESTABLISHED,
			       .dir = NT_CT_DIR_REPLY, .l3 = NT_L3_IPV4, .l4proto = 6,
			       .orig = { .sport = 40000, .dport = 80 }, .reply = { .sport = 80, .dport = 1024 } };
	struct nt_ev_stackref sr = { .h = { .type = NT_EV_STACKREF, .id = 4, .ts_ns = 11, .skb = 0xff00 },
				     .stack_id = 3 };
	struct nt_ev_drop d = { .h = { .type = NT_EV_DROP, .id = 2, .ts_ns = 12, .skb = 0xff00 },
				.location = 0xffffffff81000010ull, .reason = 6, .stack_id = 3 };
	static const uint16_t caps[] = { 0, 1, 7, 64, 255, NT_BYTES_MAX };
	uint64_t frames[NT_STACK_MAX_FRAMES], got_frames[NT_STACK_MAX_FRAMES];
	_Alignas(8) uint8_t recs[sizeof(caps) / sizeof(caps[0])][sizeof(struct nt_ev_bytes) + NT_BYTES_MAX];
	size_t lens[sizeof(caps) / sizeof(caps[0])];
	uint8_t sbuf[4096];
	size_t slen;
	unsigned int nb = 0, nstk = 0, ncap = sizeof(caps) / sizeof(caps[0]);
	int events = 0;

	memset(ct.orig.saddr, 10, 4);
	memset(ct.reply.daddr, 192, 4);
	for (unsigned int i = 0; i < NT_STACK_MAX_FRAMES; i++)
		frames[i] = 0xffffffff81000000ull + 0x100 * i;
	ntl_stacks_init(sbuf, sizeof(sbuf), &slen);
	CHECK_EQ_INT(ntl_stacks_add(sbuf, sizeof(sbuf), &slen, 3, frames, 5), 0);
	CHECK_EQ_INT(ntl_stacks_add(sbuf, sizeof(sbuf), &slen, 9, frames, NT_STACK_MAX_FRAMES), 0);
	CHECK_EQ_INT(ntl_stacks_add(sbuf, sizeof(sbuf), &slen, 0, frames, 5), -EINVAL);
	CHECK_EQ_INT(ntl_stacks_add(sbuf, sizeof(sbuf), &slen, 4, frames, NT_STACK_MAX_FRAMES + 1), -EINVAL);
	CHECK_EQ_INT(ntl_stacks_add(sbuf, 100, &slen, 4, frames, 1), -ENOSPC);
	CHECK_EQ_INT(ntl_stacks_count(sbuf), 2);

	CHECK_EQ_INT(ntl_writer_open(&w, path, &o), 0);
	CHECK_EQ_INT(ntl_writer_meta(w, NTL_B_STACKS, (const char *)sbuf, slen), 0);
	CHECK_EQ_INT(ntl_writer_event(w, &ct, sizeof(ct)), 0);
	for (unsigned int i = 0; i < ncap; i++) {
		lens[i] = mk_bytes(recs[i], caps[i], 100 + i, (uint8_t)i);
		CHECK_EQ_INT(ntl_writer_event(w, recs[i], lens[i]), 0);
	}
	/* a BYTES record whose length field disagrees with the length given,
	 * or is less than the fixed part: refused */
	CHECK_EQ_INT(ntl_writer_event(w, recs[2], lens[2] - 1), -EINVAL);
	{
		uint8_t bad[sizeof(struct nt_ev_bytes)];

		memcpy(bad, recs[0], sizeof(bad));
		bad[24] = 40;
		CHECK_EQ_INT(ntl_writer_event(w, bad, 40), -EINVAL);
	}
	CHECK_EQ_INT(ntl_writer_event(w, &sr, sizeof(sr)), 0);
	CHECK_EQ_INT(ntl_writer_event(w, &d, sizeof(d)), 0);
	CHECK_EQ_INT(ntl_writer_close(w, "{}"), 0);

	CHECK_EQ_INT(ntl_reader_open(&r, path, NULL), 0);
	while (ntl_reader_next(r, &it) == NTL_OK) {
		if (it.kind == NTL_ITEM_META) {
			if (it.type == NTL_B_STACKS) {
				struct ntl_stacks_iter si;
				uint32_t id;
				unsigned int n;

				CHECK_EQ_INT(it.len, slen);
				ntl_stacks_iter_init(&si, it.data, it.len);
				CHECK_EQ_INT(ntl_stacks_next(&si, &id, got_frames, &n), 1);
				CHECK(id == 3 && n == 5 && !memcmp(got_frames, frames, 5 * 8));
				CHECK_EQ_INT(ntl_stacks_next(&si, &id, got_frames, &n), 1);
				CHECK(id == 9 && n == NT_STACK_MAX_FRAMES &&
				      !memcmp(got_frames, frames, sizeof(frames)));
				CHECK_EQ_INT(ntl_stacks_next(&si, &id, got_frames, &n), 0);
				nstk++;
			}
			continue;
		}
		events++;
		switch (it.type) {
		case NT_EV_CT:
			CHECK(it.len == sizeof(ct) && !memcmp(it.data, &ct, sizeof(ct)));
			break;
		case NT_EV_BYTES:
			CHECK(nb < ncap);
			CHECK_EQ_INT(it.len, lens[nb]);
			CHECK_EQ_INT(nt_ev_len(it.data), lens[nb]);
			CHECK(!memcmp(it.data, recs[nb], lens[nb]));
			nb++;
			break;
		case NT_EV_STACKREF:
			CHECK(it.len == sizeof(sr) && !memcmp(it.data, &sr, sizeof(sr)));
			break;
		case NT_EV_DROP:
			CHECK(it.len == sizeof(d) && !memcmp(it.data, &d, sizeof(d)));
			break;
		default:
			CHECK(0);
		}
	}
	CHECK_EQ_INT(nb, ncap);
	CHECK_EQ_INT(nstk, 1);
	CHECK_EQ_INT(events, 3 + (int)ncap);
	CHECK_EQ_INT(ntl_reader_skipped(r), 0);
	ntl_reader_close(r);
}

TEST(v2_bytes_shorter_than_fixed_part_is_corrupt)
{
	/* a BYTES record announcing 30 bytes (less than its 48-byte fixed part) */
	uint16_t sizes[NT_EV__MAX] = { 0 };
	uint8_t types[1] = { NT_EV_BYTES }, bodies[6] = { 30, 0 }, ev[512], file[1024];
	char msg[800];
	int st, metas;
	size_t elen, flen;

	sizes[NT_EV_BYTES] = 0xffff;
	elen = v2_events(ev, NT_EV__MAX - 1, sizes, 1, types, bodies, sizeof(bodies));
	flen = v2_file(file, ev, elen);
	read_all_mem(file, flen, &st, msg, sizeof(msg), &metas);
	CHECK_EQ_INT(st, NTL_E_CORRUPT);
	CHECK_EQ_STR(msg, "t.ntl: corrupt at offset 16: EVENTS block: record 0 (type 12) has length 30: 0 events read before it");
}

TEST(stacks_block_damage)
{
	uint64_t frames[NT_STACK_MAX_FRAMES] = { 0xffffffff81000000ull, 2, 3 };
	uint8_t buf[2048];
	struct ntl_stacks_iter si;
	uint32_t id;
	unsigned int n;
	size_t len;

	ntl_stacks_init(buf, sizeof(buf), &len);
	CHECK_EQ_INT(ntl_stacks_add(buf, sizeof(buf), &len, 1, frames, 3), 0);
	CHECK_EQ_INT(ntl_stacks_add(buf, sizeof(buf), &len, 2, frames, 2), 0);
	/* cut at every length: the stacks before the cut come back, then -1 */
	for (size_t cut = 0; cut < len; cut++) {
		int got = 0, rc;

		ntl_stacks_iter_init(&si, buf, cut);
		while ((rc = ntl_stacks_next(&si, &id, frames, &n)) == 1)
			got++;
		CHECK_EQ_INT(rc, -1);
		CHECK(si.err[0] != 0);
		CHECK_EQ_INT(got, cut >= 4 + 32 ? 1 : 0);
	}
	/* trailing bytes after the announced stacks */
	ntl_stacks_iter_init(&si, buf, len);
	buf[len] = 0;
	ntl_stacks_iter_init(&si, buf, len + 1);
	CHECK_EQ_INT(ntl_stacks_next(&si, &id, frames, &n), 1);
	CHECK_EQ_INT(ntl_stacks_next(&si, &id, frames, &n), 1);
	CHECK_EQ_INT(ntl_stacks_next(&si, &id, frames, &n), -1);
	CHECK_EQ_STR(si.err, "STACKS block: 1 bytes after its last stack");
	/* a frame count over the limit, a zero id, non-zero flags */
	buf[4 + 4] = 200;
	ntl_stacks_iter_init(&si, buf, len);
	CHECK_EQ_INT(ntl_stacks_next(&si, &id, frames, &n), -1);
	CHECK_EQ_STR(si.err, "STACKS block: stack id 1 with 200 frames, flags 0x0");
	buf[4 + 4] = 3;
	memset(buf + 4, 0, 4);
	ntl_stacks_iter_init(&si, buf, len);
	CHECK_EQ_INT(ntl_stacks_next(&si, &id, frames, &n), -1);
	buf[4] = 1;
	buf[4 + 6] = 1;
	ntl_stacks_iter_init(&si, buf, len);
	CHECK_EQ_INT(ntl_stacks_next(&si, &id, frames, &n), -1);
	CHECK_EQ_STR(si.err, "STACKS block: stack id 1 with 3 frames, flags 0x1");
	/* an absurd count in a short block costs nothing */
	memset(buf, 0xff, 4);
	buf[4 + 6] = 0;
	ntl_stacks_iter_init(&si, buf, len);
	CHECK_EQ_INT(ntl_stacks_next(&si, &id, frames, &n), 1);
	CHECK_EQ_INT(ntl_stacks_next(&si, &id, frames, &n), 1);
	CHECK_EQ_INT(ntl_stacks_next(&si, &id, frames, &n), -1);
	ntl_stacks_iter_init(&si, buf, 2);
	CHECK_EQ_INT(ntl_stacks_next(&si, &id, frames, &n), -1);
	CHECK_EQ_STR(si.err, "STACKS block of 2 bytes, less than its count");
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
	if (!mkdtemp(tmpdir)) {
		printf("FAIL: setup: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/t.ntl", tmpdir);
	RUN(roundtrip_exact_records);
	RUN(writer_rejects_bad_record_and_existing_file);
	RUN(writer_limits);
	RUN(block_age_splits_blocks);
	RUN(truncated_at_every_offset);
	RUN(truncated_message_exact);
	RUN(bad_magic_version_zstd_lengths);
	RUN(unknown_block_skipped);
	RUN(corruption_messages_exact);
	RUN(v2_unknown_types_skipped_by_size);
	RUN(v2_shorter_and_longer_layouts);
	RUN(v2_type_table_damage);
	RUN(v2_roundtrip_new_records);
	RUN(v2_roundtrip_ct_bytes_stackref_stacks);
	RUN(v2_bytes_shorter_than_fixed_part_is_corrupt);
	RUN(stacks_block_damage);
	RUN(open_errors);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd))
		return 1;
	TEST_EXIT();
}
