// SPDX-License-Identifier: GPL-2.0
/* logset.c - the files of one rotation set read as one log (logset.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "common/records.h"
#include "model/logset.h"
#include "model/output.h"

#define SET_LEN 80

struct lfile {
	const char *path;
	uint64_t seq;
};

/* A cumulative counter of the set: key = record type, source / counter, cpu, id. */
struct cnt {
	uint64_t key;
	uint64_t base;  /* sum of the last values of the previous files */
	uint64_t last;  /* largest value in the current file */
};

struct nt_logset {
	struct lfile *f;
	int n, cur;
	struct ntl_reader *rd;
	char set[SET_LEN];
	int complete;            /* every file read so far had its trailer */
	uint32_t version;        /* format version of the first file */
	int keep_mode;           /* HEADER "mode": "keep": whole journeys, no reorder needed */
	int st;                  /* first damage (< 0), reported at the end */
	char err[1024];
	struct cnt *cnt;
	size_t ncnt, cnt_cap;
	struct nt_ev_loss tmp;   /* the rewritten counter (LOSS and COUNT share the layout) */
};

_Static_assert(sizeof(struct nt_ev_loss) == sizeof(struct nt_ev_count) &&
	       offsetof(struct nt_ev_loss, count) == offsetof(struct nt_ev_count, value) &&
	       offsetof(struct nt_ev_loss, source) == offsetof(struct nt_ev_count, counter),
	       "LOSS and COUNT records share one layout");

static __thread char open_msg[1200];

int nt_logset_header_rotation(const char *json, size_t len, char *set, size_t setlen, uint64_t *seq)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	const cJSON *rot, *js, *jq;
	int ret = -1;

	rot = cJSON_GetObjectItemCaseSensitive(root, "rotation");
	js = cJSON_GetObjectItemCaseSensitive(rot, "set");
	jq = cJSON_GetObjectItemCaseSensitive(rot, "seq");
	if (cJSON_IsString(js) && js->valuestring[0] && strlen(js->valuestring) < setlen &&
	    cJSON_IsNumber(jq) && jq->valuedouble >= 0 && jq->valuedouble < 9007199254740992.0) {
		snprintf(set, setlen, "%s", js->valuestring);
		*seq = (uint64_t)jq->valuedouble;
		ret = 0;
	}
	cJSON_Delete(root);
	return ret;
}

/* Rotation set and seq of PATH from its HEADER (the first block).  0, or an
 * ntl_status with open_msg set. */
static int read_rotation(const char *path, char *set, uint64_t *seq)
{
	struct ntl_reader *rd;
	struct ntl_item it;
	const char *msg = NULL;
	int st;

	if (!strcmp(path, "-")) {
		snprintf(open_msg, sizeof(open_msg),
			 "-: stdin can only be the one LOG, not a file of a rotation set");
		return NTL_E_IO;
	}
	st = ntl_reader_open(&rd, path, &msg);
	if (st) {
		snprintf(open_msg, sizeof(open_msg), "%s", msg ? msg : path);
		return st;
	}
	st = ntl_reader_next(rd, &it);
	if (st < 0) {
		snprintf(open_msg, sizeof(open_msg), "%s", ntl_reader_strerror(rd));
	} else if (st != NTL_OK || it.kind != NTL_ITEM_META || it.type != NTL_B_HEADER ||
		   nt_logset_header_rotation(it.data, it.len, set, SET_LEN, seq)) {
		snprintf(open_msg, sizeof(open_msg),
			 "%s: not a file of a rotation set (no \"rotation\" in its HEADER): give one "
			 "log, or the files of one nft-record --rotate set", path);
		st = NTL_E_MAGIC;
	}
	ntl_reader_close(rd);
	return st < 0 ? st : 0;
}

static int by_seq(const void *a, const void *b)
{
	const struct lfile *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int open_file(struct nt_logset *s)
{
	const char *msg = NULL;
	int st = ntl_reader_open(&s->rd, s->f[s->cur].path, &msg);

	if (st && !s->st) {
		s->st = st == NTL_E_NOMEM ? NTL_E_NOMEM : NTL_E_CORRUPT;
		snprintf(s->err, sizeof(s->err), "%s", msg ? msg : s->f[s->cur].path);
	}
	return st;
}

int nt_logset_open(struct nt_logset **out, const char *const *paths, int n, const char **msg)
{
	struct nt_logset *s;
	char set[SET_LEN];
	int st;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s)
		s->f = calloc(n > 0 ? n : 1, sizeof(*s->f));
	if (!s || !s->f) {
		if (s)
			free(s);
		if (msg)
			*msg = "out of memory";
		return NTL_E_NOMEM;
	}
	s->n = n;
	s->complete = 1;
	for (int i = 0; i < n; i++)
		s->f[i].path = paths[i];
	if (n == 1) {
		st = ntl_reader_open(&s->rd, paths[0], msg);
		if (st) {
			nt_logset_close(s);
			return st;
		}
		s->version = ntl_reader_version(s->rd);
		*out = s;
		return 0;
	}
	for (int i = 0; i < n; i++) {
		st = read_rotation(paths[i], i ? set : s->set, &s->f[i].seq);
		if (!st && i && strcmp(set, s->set)) {
			snprintf(open_msg, sizeof(open_msg),
				 "%s: of rotation set %s, not %s as %s: give the files of one set",
				 paths[i], nt_esc_t(set), nt_esc_t(s->set), paths[0]); /* names from logs */
			st = NTL_E_MAGIC;
		}
		if (st) {
			nt_logset_close(s);
			if (msg)
				*msg = open_msg;
			return st;
		}
	}
	qsort(s->f, n, sizeof(*s->f), by_seq);
	for (int i = 1; i < n; i++) {
		if (s->f[i].seq == s->f[i - 1].seq) {
			snprintf(open_msg, sizeof(open_msg),
				 "%s: seq %" PRIu64 " of rotation set %s given twice (also %s)",
				 s->f[i].path, s->f[i].seq, nt_esc_t(s->set), s->f[i - 1].path);
			nt_logset_close(s);
			if (msg)
				*msg = open_msg;
			return NTL_E_MAGIC;
		}
	}
	if (open_file(s)) {
		st = s->st;
		snprintf(open_msg, sizeof(open_msg), "%s", s->err);
		nt_logset_close(s);
		if (msg)
			*msg = open_msg;
		return st;
	}
	s->version = ntl_reader_version(s->rd);
	*out = s;
	return 0;
}

uint32_t nt_logset_version(const struct nt_logset *s)
{
	return s->version;
}

/* Counter of record R (LOSS or COUNT) as a counter of the whole set. */
static const void *set_counter(struct nt_logset *s, const void *rec)
{
	const struct nt_ev_loss *l = rec;
	uint64_t key = (uint64_t)l->h.type << 56 ^ (uint64_t)(l->source & 0xff) << 48 ^
		       (uint64_t)l->h.cpu << 32 ^ l->h.id;
	struct cnt *c = NULL;

	for (size_t i = 0; i < s->ncnt; i++)
		if (s->cnt[i].key == key) {
			c = &s->cnt[i];
			break;
		}
	if (!c) {
		if (s->ncnt == s->cnt_cap) {
			size_t cap = s->cnt_cap ? s->cnt_cap * 2 : 64;
			struct cnt *v = realloc(s->cnt, cap * sizeof(*v));

			if (!v)
				return rec; /* the file's own value: undercounts, never crashes */
			s->cnt = v;
			s->cnt_cap = cap;
		}
		c = &s->cnt[s->ncnt++];
		*c = (struct cnt){ .key = key };
	}
	if (l->count > c->last)
		c->last = l->count;
	s->tmp = *l;
	s->tmp.count = c->base + l->count;
	return &s->tmp;
}

/* The current file is done: its counters become the base of the next. */
static void next_file(struct nt_logset *s)
{
	uint64_t prev = s->f[s->cur].seq;

	if (!ntl_reader_complete(s->rd))
		s->complete = 0;
	ntl_reader_close(s->rd);
	s->rd = NULL;
	for (size_t i = 0; i < s->ncnt; i++) {
		s->cnt[i].base += s->cnt[i].last;
		s->cnt[i].last = 0;
	}
	s->cur++;
	if (s->cur < s->n && s->f[s->cur].seq != prev + 1 && !s->st) {
		char miss[48];

		if (s->f[s->cur].seq - 1 == prev + 1)
			snprintf(miss, sizeof(miss), "file seq %" PRIu64 " is", prev + 1);
		else
			snprintf(miss, sizeof(miss), "files seq %" PRIu64 "..%" PRIu64 " are", prev + 1,
				 s->f[s->cur].seq - 1);
		s->st = NTL_E_TRUNCATED;
		snprintf(s->err, sizeof(s->err),
			 "rotation set %s: %s missing between %s (seq %" PRIu64 ") and %s (seq %"
			 PRIu64 "): results without their records", nt_esc_t(s->set), miss,
			 s->f[s->cur - 1].path, prev, s->f[s->cur].path, s->f[s->cur].seq);
	}
}

static void note_header(struct nt_logset *s, const struct ntl_item *it)
{
	cJSON *h = cJSON_ParseWithLength(it->data, it->len);
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(h, "mode");

	s->keep_mode = cJSON_IsString(m) && !strcmp(m->valuestring, "keep");
	cJSON_Delete(h);
}

int nt_logset_keep_mode(const struct nt_logset *s)
{
	return s->keep_mode;
}

int nt_logset_next(struct nt_logset *s, struct ntl_item *it)
{
	int st;

	if (s->n == 1) {
		st = ntl_reader_next(s->rd, it);
		/* kind alone first: it->kind and it->type were just stored apart,
		 * and one load of both (what the compiler makes of the two tests)
		 * waits for both stores to retire (a store-forwarding stall per
		 * record, 5 % of `stats`) */
		if (st == NTL_OK && it->kind == NTL_ITEM_META) {
			if (it->type == NTL_B_HEADER)
				note_header(s, it);
		}
		return st;
	}
	while (s->cur < s->n) {
		if (!s->rd && open_file(s)) {
			s->complete = 0;
			s->cur++;
			continue;
		}
		st = ntl_reader_next(s->rd, it);
		if (st == NTL_OK) {
			if (it->kind == NTL_ITEM_META) { /* (kind alone first: see above) */
				if (it->type == NTL_B_HEADER && s->cur > 0)
					continue; /* the set's HEADER is the first file's */
				if (it->type == NTL_B_HEADER)
					note_header(s, it);
			} else if (it->len == sizeof(struct nt_ev_loss) &&
				   (it->type == NT_EV_LOSS || it->type == NT_EV_COUNT)) {
				it->data = set_counter(s, it->data);
			}
			return NTL_OK;
		}
		if (st < 0 && !s->st) {
			if (st == NTL_E_NOMEM)
				return st;
			s->st = st;
			snprintf(s->err, sizeof(s->err), "%s", ntl_reader_strerror(s->rd));
		}
		next_file(s);
	}
	return s->st ? s->st : NTL_END;
}

struct ntl_reader *nt_logset_single(const struct nt_logset *s)
{
	return s->n == 1 ? s->rd : NULL;
}

const char *nt_logset_strerror(const struct nt_logset *s)
{
	if (s->n == 1)
		return ntl_reader_strerror(s->rd);
	return s->err;
}

int nt_logset_complete(const struct nt_logset *s)
{
	if (s->n == 1)
		return ntl_reader_complete(s->rd);
	return s->complete && s->cur >= s->n;
}

int nt_logset_files(const struct nt_logset *s, uint64_t *first_seq, uint64_t *last_seq)
{
	*first_seq = s->n > 1 ? s->f[0].seq : 0;
	*last_seq = s->n > 1 ? s->f[s->n - 1].seq : 0;
	return s->n;
}

void nt_logset_close(struct nt_logset *s)
{
	if (!s)
		return;
	ntl_reader_close(s->rd);
	free(s->cnt);
	free(s->f);
	free(s);
}
