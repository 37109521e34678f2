/* test_evcode3.c - EVENTS coding 3 (formats/evcode2.c, formats/evts3.c,
 * FORMAT.md "EVENTS coding 3"): the tick period of a clock that counts in
 * steps of ~10 ns is found (and none for a 1 ns clock), records come back byte
 * for byte through the writer and the reader with either (deltas of 0, of
 * ticks, of more than 2^32 ns, backwards), and damaged coding 3 timestamp
 * columns are reported as corrupt. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/nt_test.h"
#include "formats/logw.h"
#include "formats/logr.h"
#include "formats/evcode2.h"
#include "formats/evts3.h"
#include "formats/logcodec.h"
#include "tests/unit/log_helpers.h"

#define NREC 6000
static uint8_t *recs;
static size_t recs_len;
static uint32_t rec_off[NREC + 1];

static uint64_t rnd_state = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* FUNC, META and NFT_RULE records; timestamps of a clock with PERIOD_PS
 * picoseconds a tick (1000: a 1 ns clock), a few big jumps and steps back */
static void make_records(uint64_t period_ps)
{
	static const uint8_t types[] = { NT_EV_FUNC, NT_EV_FUNC, NT_EV_FUNC, NT_EV_META, NT_EV_NFT_RULE };
	uint64_t tick = 5000000;

	recs_len = 0;
	for (uint32_t i = 0; i < NREC; i++) {
		uint8_t *p = recs + recs_len;
		unsigned int t = types[rnd() % sizeof(types)], sz = nt_ev_size(t);
		struct nt_ev_hdr h = { .type = (uint8_t)t, .cpu = (uint16_t)(rnd() % 2),
				       .id = (uint32_t)(rnd() % 9) };
		uint64_t r = rnd() % 1000;

		tick += r < 5 ? 0 : r < 6 ? (1ull << 33) : r < 9 ? -(uint64_t)(rnd() % 50) : 8 + rnd() % 300;
		h.ts_ns = r == 9 ? 0 : tick * period_ps / 1000;
		h.skb = 0xffff888100000000ull + (rnd() % 90) * 0x100;
		for (unsigned int j = 24; j < sz; j++)
			p[j] = (uint8_t)(j % 3 ? rnd() % 4 : rnd());
		if (t == NT_EV_NFT_RULE) {
			/* three chains; a trace id per (skb, chain), sometimes a new one */
			uint64_t ck = 0x1111222233334444ull * (1 + rnd() % 3);

			memcpy(p + 24, &ck, 8);
			ntl_put32(p + 24 + 28, rnd() % 10 ? (uint32_t)(h.skb * 31 + ck) : (uint32_t)rnd());
		}
		memcpy(p, &h, sizeof(h));
		rec_off[i] = (uint32_t)recs_len;
		recs_len += sz;
	}
	rec_off[NREC] = (uint32_t)recs_len;
}

/* the tick period coding 3 stores for the first N records */
static uint64_t period_of(uint32_t n)
{
	static struct ntl_c2_state st;
	uint8_t *pay = malloc(ntl_c2_bound(rec_off[n], n));
	uint64_t q;

	memset(&st, 0, sizeof(st));
	ntl_c3_encode(recs, rec_off[n], n, pay, &st);
	q = ntl_get32(pay + NTL_EV_TABLE_LEN + 8) | (uint64_t)ntl_get32(pay + NTL_EV_TABLE_LEN + 12) << 32;
	free(pay);
	return q;
}

static long roundtrip(uint32_t block, uint32_t *minor)
{
	struct ntl_writer_opts o = { .sz = sizeof(o), .force = 1, .block_bytes = block };
	struct ntl_writer *w;
	long same;
	size_t len;
	uint8_t *buf;

	if (ntl_writer_open(&w, path, &o))
		return -1;
	for (uint32_t k = 0; k < NREC; k++)
		if (ntl_writer_event(w, recs + rec_off[k], nt_ev_len(recs + rec_off[k])))
			return -2;
	if (ntl_writer_close(w, "{}"))
		return -4;
	buf = slurp(path, &len);
	if (!buf)
		return -5;
	*minor = ntl_get32(buf + 12);
	same = log_same_events(buf, len, recs, rec_off, NREC);
	free(buf);
	return same;
}

TEST(c3_tick_period_found_and_roundtrip)
{
	uint32_t minor = 0;
	uint64_t q;

	make_records(10015); /* 10.015 ns a tick */
	q = period_of(NREC);
	CHECK(q > (uint64_t)(10.01499 * NTL_TS3_ONE) && q < (uint64_t)(10.01501 * NTL_TS3_ONE));
	CHECK_EQ_INT(period_of(1000), NTL_TS3_P1); /* too few deltas to tell */
	CHECK_EQ_INT(roundtrip(1 << 20, &minor), NREC);
	CHECK_EQ_INT(minor, 2);
	CHECK_EQ_INT(roundtrip(4096, &minor), NREC);
	make_records(1000); /* a 1 ns clock */
	CHECK_EQ_INT(period_of(NREC), NTL_TS3_P1);
	CHECK_EQ_INT(roundtrip(1 << 20, &minor), NREC);
	make_records(20000); /* 20 ns */
	q = period_of(NREC);
	CHECK(q > (uint64_t)(19.99999 * NTL_TS3_ONE) && q < (uint64_t)(20.00001 * NTL_TS3_ONE));
	CHECK_EQ_INT(roundtrip(1 << 20, &minor), NREC);
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

/* one block of the first N records, coding 3 with tick period 10.015 ns,
 * stored without zstd; *COLS: after the type table */
static size_t c3_log(uint8_t *file, uint32_t n, uint8_t **cols, size_t *clen)
{
	static struct ntl_c2_state st;
	uint8_t *pay = malloc(ntl_c2_bound(rec_off[n], n));
	uint32_t v2 = 2, v1 = 2;
	size_t len;

	memset(&st, 0, sizeof(st));
	st.tick = (uint64_t)(10.015 * NTL_TS3_ONE);
	len = ntl_c3_encode(recs, rec_off[n], n, pay, &st);
	memcpy(file, "NTLOG\0\r\n", 8);
	memcpy(file + 8, &v2, 4);
	memcpy(file + 12, &v1, 4);
	put_block(file + 16, NTL_B_EVENTS, NTL_BF_COLUMNS, (uint32_t)len, (uint32_t)len, pay, len);
	free(pay);
	*cols = file + 32 + NTL_EV_TABLE_LEN;
	*clen = len - NTL_EV_TABLE_LEN;
	return 32 + len;
}

TEST(c3_damage_is_corrupt)
{
	uint8_t *file = malloc(1 << 20), *c;
	size_t flen, clen;
	uint32_t n = 300;
	char msg[700];
	int st, metas;

	make_records(10015);
	flen = c3_log(file, n, &c, &clen);
	CHECK_EQ_INT(read_all_mem(file, flen, &st, msg, sizeof(msg), &metas), n);
	CHECK_EQ_INT(st, NTL_END);
	CHECK_EQ_INT(ntl_get32(c + 12), 10); /* whole ns of the 32.32 period */
	ntl_put32(c + 12, 0);
	CHECK(expect_corrupt(file, flen, "EVENTS block (coding 3): tick period out of range"));
	ntl_put32(c + 12, 200);
	ntl_put32(c + 8, 1);
	CHECK(expect_corrupt(file, flen, "tick period out of range"));
	flen = c3_log(file, n, &c, &clen);
	ntl_put32(c + 16, ntl_get32(c + 16) + 1);
	CHECK(expect_corrupt(file, flen, "timestamp extra bits do not match their symbols"));
	flen = c3_log(file, n, &c, &clen);
	c[20 + 8 * n] = NTL_TS3_SYM_MAX + 1; /* the first timestamp symbol */
	CHECK(expect_corrupt(file, flen, "a timestamp symbol out of range"));
	{
		/* the NFT_RULE trace id references: some 1, none above */
		uint8_t *rsel = c + 20 + 11 * (size_t)n + 8 * (size_t)ntl_get32(c + 4);
		uint32_t k = 0, ones = 0;

		flen = c3_log(file, n, &c, &clen);
		for (uint32_t i = 0; i < n; i++)
			k += c[20 + i] == NT_EV_NFT_RULE;
		for (uint32_t i = 0; i < k; i++)
			ones += rsel[i] == 1;
		if (!(k > 20 && ones > 0))
			printf("    NFT_RULE records %u, trace id references %u\n", k, ones);
		CHECK(k > 20 && ones > 0);
		rsel[k / 2] = 2;
		CHECK(expect_corrupt(file, flen, "an NFT_RULE trace id reference out of range"));
	}
	flen = c3_log(file, n, &c, &clen);
	ntl_put32(c + 16, 1u << 30);
	CHECK(expect_corrupt(file, flen, "record counts do not fit in the block"));
	/* every single byte changed: read to the end or stopped as corrupt */
	flen = c3_log(file, n, &c, &clen);
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

int main(void)
{
	if (log_tmp_setup())
		return 1;
	recs = malloc(NREC * 100);
	RUN(c3_tick_period_found_and_roundtrip);
	RUN(c3_damage_is_corrupt);
	free(recs);
	if (log_tmp_cleanup())
		return 1;
	TEST_EXIT();
}
