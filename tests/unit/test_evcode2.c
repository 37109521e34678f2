/* test_evcode2.c - EVENTS coding 2 (formats/evcode2.c, FORMAT.md "EVENTS
 * coding 2"): every record of every type comes back byte for byte through
 * the writer and the reader (coding 2 and coding 1 side by side, many blocks,
 * more skbs than the move-to-front table holds, out-of-order timestamps; and
 * coding 3, the default: test_evcode3.c), the preamble says 2.1 (2.2 for
 * coding 3), and damaged coding 2 columns are reported as corrupt. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/nt_test.h"
#include "formats/logw.h"
#include "formats/logr.h"
#include "formats/evcode2.h"
#include "formats/logcodec.h"
#include "tests/unit/log_helpers.h"

#define NREC 20000
static uint8_t *recs;       /* the records, back to back */
static size_t recs_len;
static uint32_t rec_off[NREC];

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* NREC records of every type this tree writes: skbs from a pool of 150
 * (the table holds 64) and 0, timestamps mostly rising, some going back. */
static void make_records(void)
{
	static const uint8_t types[] = { NT_EV_FUNC, NT_EV_FUNC, NT_EV_FUNC, NT_EV_META,
		NT_EV_NFT_CHAIN, NT_EV_NFT_RULE, NT_EV_NFT_CHAINDEF, NT_EV_DROP, NT_EV_LINK,
		NT_EV_LOSS, NT_EV_FREE, NT_EV_DEV, NT_EV_CT, NT_EV_BYTES, NT_EV_STACKREF, NT_EV_COUNT };
	uint64_t ts = 1000000;

	recs = malloc(NREC * 400);
	recs_len = 0;
	for (uint32_t i = 0; i < NREC; i++) {
		uint8_t *p = recs + recs_len;
		unsigned int t = types[rnd() % sizeof(types)], sz = nt_ev_size(t);
		struct nt_ev_hdr h = { .type = (uint8_t)t, .flags = (uint8_t)(rnd() % 3),
				       .cpu = (uint16_t)(rnd() % 4), .id = (uint32_t)(rnd() % 40) };
		uint64_t r = rnd();

		ts += r % 5 == 0 ? -(uint64_t)(rnd() % 3000) : rnd() % 100000;
		h.ts_ns = ts;
		h.skb = r % 17 == 0 ? 0 : 0xffff888100000000ull + (rnd() % 150) * 0x100;
		if (t == NT_EV_BYTES) {
			unsigned int cap = (unsigned int)(rnd() % 257);

			sz = NT_BYTES_RECLEN(cap);
			memset(p, 0, sz);
			for (unsigned int j = 48; j < 48 + cap; j++)
				p[j] = (uint8_t)rnd();
			ntl_put16(p + 24, (uint16_t)sz);
			ntl_put16(p + 26, (uint16_t)cap);
		} else {
			/* fields that repeat (small values) and ones that do not */
			for (unsigned int j = 24; j < sz; j++)
				p[j] = (uint8_t)(j % 3 ? rnd() % 4 : rnd());
		}
		memcpy(p, &h, sizeof(h));
		rec_off[i] = (uint32_t)recs_len;
		recs_len += sz;
	}
}

/* Write the records with CODING and BLOCK bytes per block, read them back:
 * returns the records that came back identical (NREC when all did). */
static long roundtrip(int coding, uint32_t block, uint32_t *minor, long *bytes)
{
	struct ntl_writer_opts o = { .sz = sizeof(o), .force = 1, .block_bytes = block,
				     .coding = coding };
	struct ntl_writer *w;
	long same;
	size_t len;
	uint8_t *buf;

	if (ntl_writer_open(&w, path, &o))
		return -1;
	for (uint32_t k = 0; k < NREC; k++) {
		const uint8_t *p = recs + rec_off[k];

		if (ntl_writer_event(w, p, nt_ev_len(p)))
			return -2;
		if (k == NREC / 2 && ntl_writer_meta(w, NTL_B_CLOCK, "{}", 2)) /* a block boundary */
			return -3;
	}
	if (ntl_writer_close(w, "{}"))
		return -4;
	buf = slurp(path, &len);
	if (!buf)
		return -5;
	*bytes = (long)len;
	*minor = ntl_get32(buf + 12);
	same = log_same_events(buf, len, recs, rec_off, NREC);
	free(buf);
	return same;
}

TEST(c2_roundtrip_every_type_byte_for_byte)
{
	uint32_t minor = 9;
	long b1 = 0, b2 = 0;

	CHECK_EQ_INT(roundtrip(2, 1 << 20, &minor, &b2), NREC);
	CHECK_EQ_INT(minor, 1);
	CHECK_EQ_INT(roundtrip(0, 1 << 20, &minor, &b2), NREC); /* the default: coding 3 */
	CHECK_EQ_INT(minor, 2);
	CHECK_EQ_INT(roundtrip(3, 4096, &minor, &b2), NREC);
	CHECK_EQ_INT(roundtrip(3, 512, &minor, &b2), NREC);
	CHECK_EQ_INT(roundtrip(2, 4096, &minor, &b2), NREC);  /* many small blocks */
	CHECK_EQ_INT(roundtrip(1, 4096, &minor, &b1), NREC);  /* format 2.0's coding */
	CHECK_EQ_INT(minor, 0);
	CHECK_EQ_INT(roundtrip(2, 512, &minor, &b2), NREC);   /* a record or two per block */
}

/* A one-block log of the first N records, EVENTS coding 2 stored without
 * zstd (flags COLUMNS), so tests can damage its columns. Returns its length. */
static size_t c2_log(uint8_t *file, uint32_t n, uint8_t **cols, size_t *clen)
{
	static struct ntl_c2_state st;
	uint8_t *pay = malloc(ntl_c2_bound(recs_len, n));
	uint32_t v2 = 2, v1 = 1;
	size_t len;

	len = ntl_c2_encode(recs, rec_off[n], n, pay, &st);
	memcpy(file, "NTLOG\0\r\n", 8);
	memcpy(file + 8, &v2, 4);
	memcpy(file + 12, &v1, 4);
	put_block(file + 16, NTL_B_EVENTS, NTL_BF_COLUMNS, (uint32_t)len, (uint32_t)len, pay, len);
	free(pay);
	*cols = file + 32 + NTL_EV_TABLE_LEN; /* u32 N, u32 NS, type[N] ... */
	*clen = len - NTL_EV_TABLE_LEN;
	return 32 + len;
}

static int expect_corrupt(const uint8_t *file, size_t len, const char *what)
{
	char msg[700];
	int st, metas;

	read_all_mem(file, len, &st, msg, sizeof(msg), &metas);
	if (st != NTL_E_CORRUPT || !strstr(msg, what)) {
		printf("    status %d: %s (expected: %s)\n", st, msg, what);
		return 0;
	}
	return 1;
}

TEST(c2_damage_is_corrupt)
{
	uint8_t *file = malloc(1 << 20), *c;
	size_t flen, clen;
	uint32_t n = 300, ns;
	char msg[700];
	int st, metas;

	flen = c2_log(file, n, &c, &clen);
	CHECK_EQ_INT(read_all_mem(file, flen, &st, msg, sizeof(msg), &metas), n);
	CHECK_EQ_INT(st, NTL_END);
	ns = ntl_get32(c + 4);
	CHECK(ns > 64 && ns < n); /* evictions happened, and hits */
	ntl_put32(c + 4, ns + 1);
	CHECK(expect_corrupt(file, flen, "EVENTS block (coding 2): new skb count does not match its column"));
	ntl_put32(c + 4, n + 1);
	CHECK(expect_corrupt(file, flen, "record counts do not fit in the block"));
	ntl_put32(c + 4, ns);
	{
		/* the first hit in the skb table moved past the slots in use */
		uint8_t *sidx = c + 8 + 16 * (size_t)n;
		uint32_t i = 0;

		while (i < n && sidx[i] == NTL_C2_NEW)
			i++;
		CHECK(i > 0 && i < 63);
		sidx[i] = 63;
		CHECK(expect_corrupt(file, flen, "an skb position past the table"));
	}
	flen = c2_log(file, n, &c, &clen);
	c[8] = 200;             /* a type the table does not size */
	CHECK(expect_corrupt(file, flen, "a record of a type the type table does not size"));
	flen = c2_log(file, n, &c, &clen);
	ntl_put32(file + 24, ntl_get32(file + 24) - 1); /* one byte less: stored = raw */
	ntl_put32(file + 28, ntl_get32(file + 28) - 1);
	CHECK(expect_corrupt(file, flen - 1, "column sizes do not add up"));
	/* every single byte changed: read to the end or stopped as corrupt */
	flen = c2_log(file, n, &c, &clen);
	for (size_t i = 0; i < clen; i++) {
		uint8_t keep = c[i];
		long got;

		c[i] ^= (uint8_t)(1 + i % 255);
		got = read_all_mem(file, flen, &st, msg, sizeof(msg), &metas);
		if (!(st == NTL_END && got == n) && st != NTL_E_CORRUPT) {
			printf("    byte %zu: status %d, %ld records: %s\n", i, st, got, msg);
			CHECK(0);
			break;
		}
		c[i] = keep;
	}
	free(file);
}

/* A 2.0 reader's answer to coding 2 is tested by the golden logs; here: an
 * unknown coding value (4) names the newer writer. */
TEST(c2_unknown_coding_names_newer_writer)
{
	uint8_t *file = malloc(1 << 20), *c;
	size_t flen, clen;

	flen = c2_log(file, 10, &c, &clen);
	file[32] = 4;
	CHECK(expect_corrupt(file, flen, "unknown coding 4 (written by a newer nft-tracer? upgrade)"));
	free(file);
}

int main(void)
{
	if (log_tmp_setup())
		return 1;
	make_records();
	RUN(c2_roundtrip_every_type_byte_for_byte);
	RUN(c2_damage_is_corrupt);
	RUN(c2_unknown_coding_names_newer_writer);
	free(recs);
	if (log_tmp_cleanup())
		return 1;
	TEST_EXIT();
}
