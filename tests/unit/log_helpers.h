/* log_helpers.h - helpers of the .ntl codec tests (test_log.c, test_log_v2.c):
 * a private temporary directory, a file's bytes, reading a log from memory,
 * a raw block. */
#ifndef LOG_HELPERS_H
#define LOG_HELPERS_H
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/logr.h"

static char tmpdir[] = "/tmp/nt-test-log.XXXXXX";
static char path[256];

static inline uint8_t *slurp(const char *p, size_t *len)
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

/* Reads everything; returns records read, *st the final status. */
static inline long read_all_mem(const uint8_t *buf, size_t len, int *st, char *msg,
				size_t msglen, int *metas)
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

/* A block: magic "NTBK", TYPE, FLAGS, STORED and RAW lengths, PAYLOAD; its length. */
static inline size_t put_block(uint8_t *o, uint16_t type, uint16_t flags, uint32_t stored,
			       uint32_t raw, const void *payload, size_t plen)
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

/* the temporary directory and path of the tests; 0, or -1 after a FAIL line */
static inline int log_tmp_setup(void)
{
	if (!mkdtemp(tmpdir)) {
		printf("FAIL: setup: mkdtemp: %s\n", strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/t.ntl", tmpdir);
	return 0;
}

static inline int log_tmp_cleanup(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) ? -1 : 0;
}

/* how many of the N records RECS (at offsets OFF) the log in BUF gives back
 * byte for byte, in order; -7 when it is incomplete or holds another count */
static inline long log_same_events(const uint8_t *buf, size_t len, const uint8_t *recs,
				   const uint32_t *off, long n)
{
	struct ntl_reader *r;
	struct ntl_item it;
	long same = 0, i = 0;

	if (ntl_reader_open_mem(&r, buf, len, "t.ntl", NULL))
		return -6;
	while (ntl_reader_next(r, &it) == NTL_OK) {
		if (it.kind != NTL_ITEM_EVENT)
			continue;
		if (i < n && it.len == nt_ev_len(recs + off[i]) && !memcmp(it.data, recs + off[i], it.len))
			same++;
		i++;
	}
	if (!ntl_reader_complete(r) || i != n)
		same = -7;
	ntl_reader_close(r);
	return same;
}

#endif
