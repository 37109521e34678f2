// SPDX-License-Identifier: GPL-2.0
/*
 * ntl_readbench.c - bench tool: the log reader alone (formats/logr.c), CPU
 * time per record, no analysis (bench/reader.sh).
 *
 *   ntl_readbench [-r ROUNDS] [-m read|zstd|group] LOG...
 * For each LOG: read it ROUNDS times (default 5; a small log: each round
 * reads it as often as takes 0.2 s) with ntl_reader_next() from its file and
 * print one line
 *   "LOG records=N ns_per_record=X sum=HEX"
 * with the least CPU time a pass of the rounds (CLOCK_PROCESS_CPUTIME_ID) and a
 * checksum of every item returned (its kind, type, length and bytes): two
 * builds of the reader must print the same sum.  Exit 1 when a log does not
 * read to its end (the reader's message on stderr).
 * -m: what a pass does (issue #23's budget a record, bench/analyze.sh):
 *   read   the reader (decompression + decoding), the default
 *   zstd   decompression alone: the file read into memory, each block's zstd
 *          frame decompressed into one buffer with one ZSTD_decompressDCtx()
 *          as the reader does, no checks, no decoding (sum: of raw_len)
 *   group  the reader + the least per-packet grouping `stats` needs: each
 *          record's packet found by its skb in the model's map (model/u64map),
 *          a counter a packet, a packet's RULE verdict kept, its totals
 *          folded by verdict at FREE / DROP (sum: of those totals)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zstd.h>

#include "common/records.h"
#include "formats/logr.h"
#include "formats/logcodec.h"
#include "model/u64map.h"

enum { M_READ, M_ZSTD, M_GROUP };
static int mode = M_READ;

static double cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* FNV-1a over 8-byte words (the tail byte by byte) */
static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0x100000001b3ull;
	}
	for (; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* one pass over PATH: records returned, checksum (SUM NULL: no checksum) */
static int one_pass(const char *path, uint64_t *records, uint64_t *sum)
{
	struct ntl_reader *r;
	struct ntl_item it;
	const char *msg = NULL;
	uint64_t h = 0xcbf29ce484222325ull, n = 0;
	int st;

	if (ntl_reader_open(&r, path, &msg)) {
		fprintf(stderr, "ntl_readbench: %s\n", msg ? msg : path);
		return -1;
	}
	while ((st = ntl_reader_next(r, &it)) == NTL_OK) {
		if (it.kind == NTL_ITEM_EVENT)
			n++;
		if (sum) {
			uint64_t k = (uint64_t)it.kind << 32 | it.type << 16 | (uint64_t)it.len << 40;

			h = mix(h, &k, 8);
			h = mix(h, it.data, it.len);
		}
	}
	if (st != NTL_END) {
		fprintf(stderr, "ntl_readbench: %s\n", ntl_reader_strerror(r));
		ntl_reader_close(r);
		return -1;
	}
	ntl_reader_close(r);
	*records = n;
	if (sum)
		*sum = h;
	return 0;
}

/* -m zstd: decompression alone (EVENTS and metadata blocks alike) */
static int zstd_pass(const char *path, uint64_t *records, uint64_t *sum)
{
	static ZSTD_DCtx *dctx;
	static uint8_t *raw;
	static size_t raw_cap;
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long size;
	size_t off = NTL_PREAMBLE_LEN;
	uint64_t h = 0;

	if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) < NTL_PREAMBLE_LEN || fseek(f, 0, SEEK_SET) ||
	    !(buf = malloc((size_t)size)) || fread(buf, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "ntl_readbench: %s: cannot read\n", path);
		if (f)
			fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	if (!dctx && !(dctx = ZSTD_createDCtx())) {
		free(buf);
		return -1;
	}
	while (off + NTL_BLOCK_HDR_LEN <= (size_t)size) {
		uint16_t flags = ntl_get16(buf + off + 6);
		uint32_t stored = ntl_get32(buf + off + 8), rawlen = ntl_get32(buf + off + 12);

		off += NTL_BLOCK_HDR_LEN;
		if (stored > (size_t)size - off)
			break;
		if (rawlen + 1 > raw_cap) {
			uint8_t *nr = realloc(raw, rawlen + 1);

			if (!nr) {
				fprintf(stderr, "ntl_readbench: out of memory for a block of %u bytes\n", rawlen);
				free(buf);
				return -1;
			}
			raw = nr;
			raw_cap = rawlen + 1;
		}
		if (flags & NTL_BF_ZSTD) {
			size_t got = ZSTD_decompressDCtx(dctx, raw, raw_cap, buf + off, stored);

			if (ZSTD_isError(got) || got != rawlen) {
				fprintf(stderr, "ntl_readbench: %s: bad zstd frame at offset %zu\n", path, off);
				free(buf);
				return -1;
			}
		}
		h += rawlen;
		off += stored;
	}
	free(buf);
	if (sum)
		*sum = h;
	if (!*records) /* the record count: one reader pass */
		return one_pass(path, records, NULL);
	return 0;
}

/* -m group: the reader + a packet a record (see the head of this file) */
static int group_pass(const char *path, uint64_t *records, uint64_t *sum)
{
	struct ntl_reader *r;
	struct ntl_item it;
	struct u64map map;
	static uint32_t cnt[1u << 16], verdict[1u << 16], free_slot[1u << 16];
	uint64_t by_verdict[256] = { 0 }, n = 0, h = 0;
	uint32_t nfree = 0, next = 0;
	const char *msg = NULL;
	int st;

	if (ntl_reader_open(&r, path, &msg)) {
		fprintf(stderr, "ntl_readbench: %s\n", msg ? msg : path);
		return -1;
	}
	if (map_init(&map, 1024))
		return -1;
	while ((st = ntl_reader_next(r, &it)) == NTL_OK) {
		const struct nt_ev_hdr *e = it.data;
		uint32_t *pk, k;

		if (it.kind != NTL_ITEM_EVENT || it.len < sizeof(*e))
			continue;
		n++;
		pk = map_find(&map, e->skb);
		if (!pk) {
			k = nfree ? free_slot[--nfree] : next++;
			if (k >= (1u << 16) || map_put(&map, e->skb, k))
				break;
			cnt[k] = verdict[k] = 0;
		} else {
			k = *pk;
		}
		cnt[k]++;
		if (e->type == NT_EV_NFT_RULE && it.len >= sizeof(struct nt_ev_nft_rule))
			verdict[k] = (uint32_t)((const struct nt_ev_nft_rule *)it.data)->verdict;
		else if (e->type == NT_EV_FREE || e->type == NT_EV_DROP) {
			by_verdict[verdict[k] & 255] += cnt[k];
			map_del(&map, e->skb);
			free_slot[nfree++] = k;
		}
	}
	map_free(&map);
	if (st != NTL_END) {
		fprintf(stderr, "ntl_readbench: %s\n", st == NTL_OK ? "more than 65536 packets open" : ntl_reader_strerror(r));
		ntl_reader_close(r);
		return -1;
	}
	ntl_reader_close(r);
	for (int i = 0; i < 256; i++)
		h = h * 31 + by_verdict[i];
	*records = n;
	if (sum)
		*sum = h;
	return 0;
}

static int pass(const char *path, uint64_t *records, uint64_t *sum)
{
	if (mode == M_ZSTD)
		return zstd_pass(path, records, sum);
	if (mode == M_GROUP)
		return group_pass(path, records, sum);
	return one_pass(path, records, sum);
}

int main(int argc, char **argv)
{
	int rounds = 5, a = 1, rc = 0;

	for (; a + 1 < argc && argv[a][0] == '-'; a += 2) {
		if (!strcmp(argv[a], "-r"))
			rounds = atoi(argv[a + 1]);
		else if (!strcmp(argv[a], "-m"))
			mode = !strcmp(argv[a + 1], "zstd") ? M_ZSTD : !strcmp(argv[a + 1], "group") ? M_GROUP :
			       !strcmp(argv[a + 1], "read") ? M_READ : -1;
		else
			break;
	}
	if (a >= argc || rounds < 1 || mode < 0 || argv[a][0] == '-') {
		fprintf(stderr, "usage: ntl_readbench [-r ROUNDS] [-m read|zstd|group] LOG...\n");
		return 2;
	}
	for (; a < argc; a++) {
		uint64_t n = 0, sum = 0;
		double best = 1e30;

		if (pass(argv[a], &n, &sum)) {
			rc = 1;
			continue;
		}
		for (int i = 0, k = 1; i < rounds; i++) {
			double t0 = cpu_now(), t;
			uint64_t m = n;

			for (int j = 0; j < k; j++)
				if (pass(argv[a], &m, NULL))
					return 1;
			t = (cpu_now() - t0) / k;
			if (t < best)
				best = t;
			if (!i && t < 0.2) /* a small log: passes of >= 0.2 s a round */
				k = (int)(0.2 / (t > 1e-4 ? t : 1e-4)) + 1;
		}
		printf("%s records=%" PRIu64 " ns_per_record=%.2f sum=%016" PRIx64 "\n", argv[a], n,
		       n ? best * 1e9 / (double)n : 0.0, sum);
	}
	return rc;
}
