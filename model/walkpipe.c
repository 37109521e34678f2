// SPDX-License-Identifier: GPL-2.0
/* walkpipe.c - nt_walk_log() on two threads (walk_int.h): a reader thread
 * reads and decodes the log and runs the reorder window; the calling thread
 * runs the model and the callbacks on what comes out, in the same order and
 * with the same checks as nt_walk_step().
 *
 * The reader thread writes items (a record, a metadata block, a change of
 * the window's counts, of the log's completeness, an error) into batches of
 * ~256 KiB handed over through a small ring (PB_N batches: bounded memory).
 * It may read ahead of the model: whatever the model has not been given when
 * the walk stops (a callback's stop, out of memory) is dropped, and the
 * counts reported are those of the items given, so the result is the one
 * nt_walk_step() would give. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/logr.h"
#include "model/logset.h"
#include "model/model_int.h"
#include "model/reorder.h"
#include "model/reorder_in.h"
#include "model/walk_int.h"

#define PB_N 4
#define PB_CAP (256u << 10)

enum { IT_REC, IT_META, IT_COUNTS, IT_COMPLETE, IT_ERROR };
#define IT_NULL 0x100 /* (with a kind) the reader gave a NULL data pointer */

struct pitem {
	uint32_t kind, len; /* len: bytes of data after the header */
	uint64_t arg;       /* META: type << 48 | offset; COMPLETE: value; ERROR: status */
};

struct pbuf {
	unsigned char *data;
	size_t len, cap;
};

struct pipe {
	struct nt_walk *w;
	struct nt_walk_st *s;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct pbuf b[PB_N];
	uint64_t produced, consumed; /* batches */
	int done, quit, nomem;
	struct pbuf *cur;            /* the batch the reader thread fills */
};

static inline size_t item_size(size_t len)
{
	return (sizeof(struct pitem) + len + 7) & ~(size_t)7;
}

/* hand the current batch over and take a free one (reader thread); -1: quit */
static int pipe_next(struct pipe *p)
{
	int quit;

	pthread_mutex_lock(&p->mu);
	if (p->cur) {
		p->produced++;
		pthread_cond_broadcast(&p->cv);
	}
	while (!p->quit && p->produced - p->consumed == PB_N)
		pthread_cond_wait(&p->cv, &p->mu);
	quit = p->quit;
	pthread_mutex_unlock(&p->mu);
	if (quit)
		return -1;
	p->cur = &p->b[p->produced % PB_N];
	p->cur->len = 0;
	return 0;
}

static int emit(struct pipe *p, uint32_t kind, uint64_t arg, const void *data, size_t len)
{
	size_t n = item_size(len);
	struct pitem *it;

	if (p->cur->len + n > p->cur->cap) {
		if (p->cur->len && pipe_next(p))
			return -1;
		if (n > p->cur->cap) { /* a metadata block larger than a batch */
			unsigned char *d = realloc(p->cur->data, n);

			if (!d) {
				p->nomem = 1;
				return -1;
			}
			p->cur->data = d;
			p->cur->cap = n;
		}
	}
	it = (struct pitem *)(p->cur->data + p->cur->len);
	it->kind = kind | (data ? 0 : IT_NULL);
	it->len = (uint32_t)len;
	it->arg = arg;
	if (len && data)
		memcpy(it + 1, data, len);
	p->cur->len += n;
	return 0;
}

/* emit() of a record, its common case inlined: room in the batch */
static inline __attribute__((always_inline)) int emit_rec(struct pipe *p, const void *data, size_t len)
{
	size_t n = item_size(len);
	struct pbuf *b = p->cur;

	if (__builtin_expect(data != NULL && b->len + n <= b->cap, 1)) {
		struct pitem *it = (struct pitem *)(b->data + b->len);

		it->kind = IT_REC;
		it->len = (uint32_t)len;
		it->arg = 0;
		nt_rq_copy((unsigned char *)(it + 1), data, len);
		b->len += n;
		return 0;
	}
	return emit(p, IT_REC, 0, data, len);
}

/* every record left in the window (the end of what could be read) */
static int flush_window(struct pipe *p)
{
	const void *rec;
	size_t len;

	while ((rec = nt_reorder_pop_in(p->s->ro, &len, 1)))
		if (emit_rec(p, rec, len))
			return -1;
	return 0;
}

static int emit_error(struct pipe *p, int status, const char *msg)
{
	return emit(p, IT_ERROR, (uint64_t)(int64_t)status, msg, strlen(msg) + 1);
}

/* the reading side of nt_walk_step() */
static void *reader_main(void *arg)
{
	struct pipe *p = arg;
	struct nt_walk *w = p->w;
	struct nt_walk_st *s = p->s;
	const struct nt_reorder_stats *rs = nt_reorder_stats(s->ro);
	uint64_t reordered = 0, late = 0, max_late = 0;
	int complete = 0;

	if (pipe_next(p))
		goto out;
	for (;;) {
		struct ntl_item it;
		const void *rec, *data;
		size_t len, dlen;
		int st, c;

		/* a record of a decoded block, in place (most of them): the
		 * log's completeness does not change within a block */
		if (!s->rd1 || !ntl_reader_next_row(s->rd1, &data, &dlen)) {
			st = nt_logset_next(s->rd, &it);
			c = nt_logset_complete(s->rd);
			if (c != complete && emit(p, IT_COMPLETE, (uint64_t)c, NULL, 0))
				break;
			complete = c;
			if (st != NTL_OK) {
				if (st < 0 && emit_error(p, st == NTL_E_NOMEM ? NT_WALK_NOMEM : NT_WALK_DAMAGED,
							 nt_logset_strerror(s->rd)))
					break;
				flush_window(p);
				break;
			}
			if (it.kind == NTL_ITEM_META) {
				s->keep = nt_logset_keep_mode(s->rd);
				if (emit(p, IT_META, (uint64_t)it.type << 48 | (it.offset & ((1ull << 48) - 1)),
					 it.data, it.len))
					break;
				continue;
			}
			data = it.data;
			dlen = it.len;
		}
		if (dlen < sizeof(struct nt_ev_hdr) || w->reorder_ns == UINT64_MAX || s->keep ||
		    ((const struct nt_ev_hdr *)data)->type == NT_EV_NFT_CHAINDEF) {
			if (emit_rec(p, data, dlen))
				break;
			continue;
		}
		if (nt_reorder_push_in(s->ro, data, dlen)) {
			char msg[sizeof(w->error)];

			snprintf(msg, sizeof(msg), "%s: out of memory (the reorder window)", w->path);
			if (!emit_error(p, NT_WALK_NOMEM, msg))
				flush_window(p);
			break;
		}
		if (rs->reordered != reordered || rs->late != late || rs->max_late_ns != max_late) {
			uint64_t v[3] = { rs->reordered, rs->late, rs->max_late_ns };

			reordered = v[0];
			late = v[1];
			max_late = v[2];
			if (emit(p, IT_COUNTS, 0, v, sizeof(v)))
				break;
		}
		while ((rec = nt_reorder_pop_in(s->ro, &len, 0)))
			if (emit_rec(p, rec, len))
				goto out;
	}
out:
	pthread_mutex_lock(&p->mu);
	if (p->cur && p->cur->len && !p->quit)
		p->produced++;
	p->done = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* the model's side of nt_walk_step(), over one batch: 0, or 1 when the walk
 * ends here (stop, out of memory) */
static int run_batch(struct nt_walk *w, struct nt_walk_st *s, const struct pbuf *b)
{
	for (size_t off = 0; off < b->len;) {
		const struct pitem *it = (const struct pitem *)(b->data + off);
		const void *data = (it->kind & IT_NULL) ? NULL : (const void *)(it + 1);

		if (w->stop || s->end || md_oom(w->m))
			return 1;
		off += item_size(it->len);
		switch (it->kind & ~IT_NULL) {
		case IT_REC:
			nt_walk_record_in(w, s->scope, data, it->len, &s->start_set);
			break;
		case IT_META:
			if (nt_walk_meta(w, s, (uint16_t)(it->arg >> 48), data, it->len,
					 it->arg & ((1ull << 48) - 1)))
				return 1;
			break;
		case IT_COUNTS:
			memcpy(&s->reordered, data, 8);
			memcpy(&s->late, (const char *)data + 8, 8);
			memcpy(&s->max_late_ns, (const char *)data + 16, 8);
			break;
		case IT_COMPLETE:
			s->complete = (int)it->arg;
			break;
		case IT_ERROR:
			snprintf(w->error, sizeof(w->error), "%s", (const char *)data);
			s->ret = (int)(int64_t)it->arg;
			break;
		}
	}
	return 0;
}

int nt_walk_piped(struct nt_walk *w)
{
	struct nt_walk_st *s = w->st;
	const char *env = getenv("NT_WALK_THREADS");
	struct pipe p = { .w = w, .s = s };
	pthread_t th;
	int ended = 0, i;

	if (!s || s->end || (env && !strcmp(env, "0")))
		return -1;
	for (i = 0; i < PB_N; i++) {
		p.b[i].cap = PB_CAP;
		if (!(p.b[i].data = malloc(PB_CAP)))
			goto fail;
	}
	if (pthread_mutex_init(&p.mu, NULL))
		goto fail;
	if (pthread_cond_init(&p.cv, NULL)) {
		pthread_mutex_destroy(&p.mu);
		goto fail;
	}
	if (pthread_create(&th, NULL, reader_main, &p)) {
		pthread_cond_destroy(&p.cv);
		pthread_mutex_destroy(&p.mu);
		goto fail;
	}
	s->piped = 1;
	for (;;) {
		struct pbuf *b;

		pthread_mutex_lock(&p.mu);
		while (p.consumed == p.produced && !p.done)
			pthread_cond_wait(&p.cv, &p.mu);
		if (p.consumed == p.produced) { /* done, all taken */
			pthread_mutex_unlock(&p.mu);
			break;
		}
		b = &p.b[p.consumed % PB_N];
		pthread_mutex_unlock(&p.mu);
		ended = run_batch(w, s, b);
		pthread_mutex_lock(&p.mu);
		p.consumed++;
		if (ended)
			p.quit = 1;
		pthread_cond_broadcast(&p.cv);
		pthread_mutex_unlock(&p.mu);
		if (ended)
			break;
	}
	pthread_join(th, NULL);
	if (p.nomem && !ended && !s->ret) { /* the reader thread could not grow a batch */
		s->ret = NT_WALK_NOMEM;
		snprintf(w->error, sizeof(w->error), "out of memory");
	}
	s->end = 1;
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
	for (i = 0; i < PB_N; i++)
		free(p.b[i].data);
	return 0;
fail:
	for (i = 0; i < PB_N; i++)
		free(p.b[i].data);
	return -1;
}
