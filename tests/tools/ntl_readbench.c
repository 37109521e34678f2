// SPDX-License-Identifier: GPL-2.0
/*
 * ntl_readbench.c - bench tool: the log reader alone (formats/logr.c), CPU
 * time per record, no analysis (bench/reader.sh).
 *
 *   ntl_readbench [-r ROUNDS] LOG...
 * For each LOG: read it ROUNDS times (default 5; a small log: each round
 * reads it as often as takes 0.2 s) with ntl_reader_next() from its file and
 * print one line
 *   "LOG records=N ns_per_record=X sum=HEX"
 * with the least CPU time a pass of the rounds (CLOCK_PROCESS_CPUTIME_ID) and a
 * checksum of every item returned (its kind, type, length and bytes): two
 * builds of the reader must print the same sum.  Exit 1 when a log does not
 * read to its end (the reader's message on stderr).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "formats/logr.h"

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

int main(int argc, char **argv)
{
	int rounds = 5, a = 1, rc = 0;

	if (argc > 2 && !strcmp(argv[1], "-r")) {
		rounds = atoi(argv[2]);
		a = 3;
	}
	if (a >= argc || rounds < 1) {
		fprintf(stderr, "usage: ntl_readbench [-r ROUNDS] LOG...\n");
		return 2;
	}
	for (; a < argc; a++) {
		uint64_t n = 0, sum = 0;
		double best = 1e30;

		if (one_pass(argv[a], &n, &sum)) {
			rc = 1;
			continue;
		}
		for (int i = 0, k = 1; i < rounds; i++) {
			double t0 = cpu_now(), t;
			uint64_t m;

			for (int j = 0; j < k; j++)
				if (one_pass(argv[a], &m, NULL))
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
