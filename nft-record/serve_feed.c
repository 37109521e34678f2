// SPDX-License-Identifier: GPL-2.0
/*
 * serve_feed.c - nft-record --serve: the live feed (see serve_int.h).  The
 * recording runs in its own thread (nt_record_run() with hooks) and feeds,
 * under one mutex, the packet model + statistics (the code of `nft-analyze
 * stats`) and a bounded ring of formatted event lines / objects for the
 * server-sent events.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/records.h"
#include "formats/ntlog.h"
#include "model/journey.h"
#include "model/output.h"
#include "nft-record/serve_int.h"

const char *const sv_state_names[] = { "starting", "running", "stopping", "finished", "failed" };

static double elapsed_s(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

int sv_rec_active(const struct recording *r)
{
	return r && r->state <= ST_STOPPING;
}

void sv_ring_reset(struct srv *s)
{
	s->vhead = 0;
	s->first_seq = s->next_seq = 1;
}

/* Make room for LEN bytes at the head of a ring of BYTES bytes / N entries
 * (entries FIRST .. NEXT - 1 at virtual positions ENT[seq % N].vpos): drops
 * the oldest entries that would be overwritten; returns the position. */
static uint64_t ring_make_room(struct ring_ent *ent, size_t n, size_t bytes, uint64_t *vhead,
			       uint64_t *first, uint64_t next, size_t len)
{
	size_t off = *vhead % bytes;
	uint64_t end;

	if (off + len > bytes)
		*vhead += bytes - off;
	end = *vhead + len;
	while (*first < next) {
		const struct ring_ent *old = &ent[*first % n];

		if (old->vpos + bytes >= end && next - *first < n)
			break;
		(*first)++;
	}
	*vhead = end;
	return end - len;
}

static void ring_push(struct srv *s, const char *t, size_t tlen, const char *j, size_t jlen)
{
	size_t len = tlen + jlen;
	struct ring_ent *e;
	uint64_t pos;

	if (len > RING_BYTES / 8) { /* never for real records; keep the seq, drop the text */
		t = j = "";
		tlen = jlen = len = 0;
	}
	pos = ring_make_room(s->ent, RING_ENTRIES, RING_BYTES, &s->vhead, &s->first_seq, s->next_seq, len);
	e = &s->ent[s->next_seq % RING_ENTRIES];
	e->vpos = pos;
	e->tlen = tlen;
	e->jlen = jlen;
	memcpy(s->data + pos % RING_BYTES, t, tlen);
	memcpy(s->data + pos % RING_BYTES + tlen, j, jlen);
	s->next_seq++;
}

/* A completed packet the page lists: dropped by the kernel, or whose verdict
 * is DROP (drop and reject rules, policies).  Its struct and records (the
 * first PKT_MAX_RECORDS bytes of them) go into the recording's packet ring;
 * the JSON is written only when asked for (sv_packets_doc). */
static void pkt_push(struct recording *r, const struct nt_packet *p)
{
	const struct nt_ev_hdr *h;
	size_t keep = 0, len;
	struct ring_ent *e;
	uint64_t pos;

	if (!r->pkt_data || (!p->dropped && p->verdict != NT_V_DROP))
		return;
	while (keep + sizeof(*h) <= p->ev_len) {
		size_t n;

		h = (const void *)(p->ev + keep);
		n = nt_ev_size(h->type);
		if (!n || keep + n > p->ev_len || keep + n > PKT_MAX_RECORDS)
			break;
		keep += n;
	}
	len = (sizeof(*p) + keep + 7) & ~(size_t)7; /* records stay 8-byte aligned */
	pos = ring_make_room(r->pkt_ent, PKT_RING_ENTRIES, PKT_RING_BYTES, &r->pkt_vhead, &r->pkt_first,
			     r->pkt_next, len);
	e = &r->pkt_ent[r->pkt_next % PKT_RING_ENTRIES];
	e->vpos = pos;
	e->tlen = keep;
	e->jlen = keep < p->ev_len;
	memcpy(r->pkt_data + pos % PKT_RING_BYTES, p, sizeof(*p));
	if (keep)
		memcpy(r->pkt_data + pos % PKT_RING_BYTES + sizeof(*p), p->ev, keep);
	r->pkt_next++;
}

static void model_packet(void *ctx, const struct nt_packet *p)
{
	struct recording *r = ctx;

	nt_stats_packet(r->st, r->m, p);
	pkt_push(r, p);
}

static void hook_meta(void *ctx, uint16_t type, const char *json, size_t len)
{
	struct recording *r = ctx;

	pthread_mutex_lock(&r->srv->mu);
	nt_model_meta(r->m, type, json, len);
	if (type == NTL_B_TRAILER)
		r->trailer = 1;
	pthread_mutex_unlock(&r->srv->mu);
}

static int hook_event(void *ctx, const void *rec, size_t len)
{
	struct recording *r = ctx;
	struct srv *s = r->srv;
	const struct nt_ev_hdr *h = rec;
	const struct nt_packet *p;
	struct nt_jw jw;
	long pos0, tlen, jlen;

	pthread_mutex_lock(&s->mu);
	r->nev++;
	/* exactly what nft-analyze stats / events do with a record */
	p = nt_model_event(r->m, rec, len);
	if (h->type != NT_EV_NFT_CHAINDEF && h->type != NT_EV_LOSS)
		nt_stats_event(r->st, r->m, p, h);
	if (h->type != NT_EV_NFT_CHAINDEF && r->fmt) {
		r->seq++;
		rewind(r->fmt);
		nt_fmt_event_line(r->fmt, r->m, h, r->seq);       /* --stream / events */
		fflush(r->fmt);
		pos0 = tlen = ftell(r->fmt);
		nt_jw_init(&jw, r->fmt);
		nt_jw_event(&jw, r->m, p, h, r->seq);             /* events --ndjson */
		fflush(r->fmt);
		jlen = ftell(r->fmt) - pos0;
		if (tlen > 0 && r->fmtbuf[tlen - 1] == '\n')
			tlen--;
		if (pos0 >= 0 && jlen >= 0 && !ferror(r->fmt))
			ring_push(s, r->fmtbuf, tlen, r->fmtbuf + pos0, jlen);
		else
			ring_push(s, "", 0, "", 0);
		pthread_cond_broadcast(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static void hook_started(void *ctx, const char *output, const char *backend)
{
	struct recording *r = ctx;

	pthread_mutex_lock(&r->srv->mu);
	snprintf(r->output, sizeof(r->output), "%s", output);
	snprintf(r->backend, sizeof(r->backend), "%s", backend);
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	if (r->state == ST_STARTING)
		r->state = ST_RUNNING;
	pthread_cond_broadcast(&r->srv->cv);
	pthread_mutex_unlock(&r->srv->mu);
}

static int hook_progress(void *ctx, const struct nt_record_progress *p)
{
	struct recording *r = ctx;

	pthread_mutex_lock(&r->srv->mu);
	r->prog = *p;
	pthread_mutex_unlock(&r->srv->mu);
	return 0;
}

int sv_rec_feed_init(struct recording *r)
{
	/* keep_events: the journeys of the packets the page lists */
	struct nt_model_opts mo = { .sz = sizeof(mo), .keep_events = 1, .on_packet = model_packet,
				    .ctx = r };

	r->hooks = (struct nt_record_hooks){ .ctx = r, .meta = hook_meta, .event = hook_event,
					     .started = hook_started, .progress = hook_progress };
	r->o.hooks = &r->hooks;
	r->m = nt_model_new(&mo);
	r->st = nt_stats_new();
	r->fmt = open_memstream(&r->fmtbuf, &r->fmtlen);
	r->pkt_data = malloc(PKT_RING_BYTES);
	r->pkt_ent = calloc(PKT_RING_ENTRIES, sizeof(*r->pkt_ent));
	r->pkt_first = r->pkt_next = 1;
	return r->m && r->st && r->fmt && r->pkt_data && r->pkt_ent ? 0 : -ENOMEM;
}

void *sv_rec_thread(void *arg)
{
	struct recording *r = arg;
	struct srv *s = r->srv;
	sigset_t set;
	int rc;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	rc = nt_record_run(&r->o);
	pthread_mutex_lock(&s->mu);
	nt_model_finish(r->m); /* as nft-analyze at the end of the log */
	r->exit_code = rc;
	clock_gettime(CLOCK_MONOTONIC, &r->t1);
	r->state = r->state == ST_STARTING ? ST_FAILED : ST_FINISHED;
	sv_log(s, "recording %u %s (exit %d): %s", r->id, sv_state_names[r->state], rc, r->output);
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

void sv_rec_free(struct recording *r)
{
	if (!r)
		return;
	if (r->fmt)
		fclose(r->fmt);
	free(r->fmtbuf);
	free(r->pkt_data);
	free(r->pkt_ent);
	nt_stats_free(r->st);
	nt_model_free(r->m);
	free(r);
}

cJSON *sv_status_json(struct srv *s, const struct recording *r)
{
	cJSON *o = cJSON_CreateObject();
	struct timespec now;
	struct stat st;

	cJSON_AddBoolToObject(o, "running", sv_rec_active(r));
	cJSON_AddStringToObject(o, "state", r ? sv_state_names[r->state] : "idle");
	if (!r) {
		cJSON_AddNullToObject(o, "id");
		return o;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	cJSON_AddNumberToObject(o, "id", r->id);
	sv_json_str(o, "output", r->output);
	cJSON_AddStringToObject(o, "backend", r->backend[0] ? r->backend : r->o.backend ? r->o.backend : "auto");
	sv_json_str(o, "filter", r->o.filter);
	cJSON_AddNumberToObject(o, "duration", r->o.duration);
	cJSON_AddNumberToObject(o, "elapsed_s",
				r->t0.tv_sec ? elapsed_s(&r->t0, r->state >= ST_FINISHED ? &r->t1 : &now) : 0);
	cJSON_AddNumberToObject(o, "events", (double)r->nev);
	cJSON_AddNumberToObject(o, "packets", (double)r->prog.packets);
	cJSON_AddNumberToObject(o, "lost", (double)(r->prog.lost_ringbuf + r->prog.lost_nftrace));
	cJSON_AddNumberToObject(o, "lost_ringbuf", (double)r->prog.lost_ringbuf);
	cJSON_AddNumberToObject(o, "lost_nftrace_ring", (double)r->prog.lost_nftrace);
	/* the name of version 1 (trace socket overruns; none any more) */
	cJSON_AddNumberToObject(o, "lost_netlink", (double)r->prog.lost_nftrace);
	cJSON_AddNumberToObject(o, "output_bytes",
				(double)(r->prog.done || stat(r->output, &st) ? r->prog.output_bytes
									      : (uint64_t)st.st_size));
	if (r->state >= ST_FINISHED) {
		cJSON_AddNumberToObject(o, "exit_code", r->exit_code);
		cJSON_AddBoolToObject(o, "log_complete", r->trailer);
	} else {
		cJSON_AddNullToObject(o, "exit_code");
	}
	return o;
}

char *sv_stats_doc(struct recording *r, int top)
{
	struct nt_stats_out so = { .top = top, .log_complete = r->trailer };
	char *buf = NULL;
	size_t len = 0;
	struct nt_jw jw;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (r->state >= ST_FINISHED && !r->trailer)
		so.log_status = r->state == ST_FAILED ? "the recording did not start" : "the recording stopped on an error";
	nt_jw_init(&jw, f);
	nt_jw_obj(&jw, NULL);
	nt_jw_u64(&jw, "id", r->id);
	nt_jw_bool(&jw, "running", sv_rec_active(r));
	nt_jw_u64(&jw, "open_packets", nt_model_totals(r->m)->open);
	nt_jw_obj(&jw, "stats");
	nt_stats_json(&jw, r->st, r->m, &so);
	nt_jw_end(&jw);
	nt_jw_end(&jw);
	nt_jw_newline(&jw);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The deciding rule / policy / chain of P: {"chain","kind","handle","verdict","text"} */
static void jw_deciding(struct nt_jw *w, const struct nt_model *m, const struct nt_packet *p)
{
	char ch[200];

	if (!p->verdict_chain) {
		nt_jw_str(w, "deciding", NULL);
		return;
	}
	nt_fmt_chain(ch, sizeof(ch), m, p->verdict_chain);
	nt_jw_obj(w, "deciding");
	nt_jw_str(w, "chain", ch);
	nt_jw_str(w, "kind", p->verdict_rule ? "rule" : p->verdict_kind == NT_RULE_KIND_POLICY ? "policy" :
			      "chain");
	nt_jw_u64(w, "handle", p->verdict_rule);
	nt_jw_str(w, "verdict", nt_verdict_name(p->verdict));
	nt_jw_str(w, "text", p->verdict_rule ? nt_model_rule_text(m, p->verdict_chain, p->verdict_rule) : NULL);
	nt_jw_end(w);
}

#define PKT_DOC_MAX (2u << 20) /* one /packets answer stops growing past this */

char *sv_packets_doc(struct recording *r, uint64_t after, unsigned int limit)
{
	char *buf = NULL;
	size_t len = 0;
	uint64_t seq = after + 1, last = after;
	unsigned int n = 0;
	struct nt_jw jw;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (seq < r->pkt_first)
		seq = r->pkt_first;
	nt_jw_init(&jw, f);
	nt_jw_obj(&jw, NULL);
	nt_jw_u64(&jw, "id", r->id);
	nt_jw_bool(&jw, "running", sv_rec_active(r));
	nt_jw_u64(&jw, "first", r->pkt_first);
	nt_jw_u64(&jw, "missed", after + 1 < r->pkt_first ? r->pkt_first - (after + 1) : 0);
	nt_jw_arr(&jw, "packets");
	for (; seq < r->pkt_next && n < limit && ftell(f) < (long)PKT_DOC_MAX; seq++, n++) {
		const struct ring_ent *e = &r->pkt_ent[seq % PKT_RING_ENTRIES];
		const char *d = r->pkt_data + e->vpos % PKT_RING_BYTES;
		struct nt_packet p;

		memcpy(&p, d, sizeof(p));
		p.ev = (uint8_t *)d + sizeof(p);
		p.ev_len = p.ev_cap = e->tlen;
		nt_jw_obj(&jw, NULL);
		nt_jw_u64(&jw, "seq", seq);
		jw_deciding(&jw, r->m, &p);
		nt_jw_bool(&jw, "records_cut", e->jlen);
		nt_journey_json_key(&jw, "journey", r->m, &p);
		nt_jw_end(&jw);
		last = seq;
	}
	nt_jw_end(&jw);
	nt_jw_u64(&jw, "last", last);
	nt_jw_u64(&jw, "next", r->pkt_next);
	nt_jw_end(&jw);
	nt_jw_newline(&jw);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

int sv_sse_put(struct sse_client *c, const char *s, size_t n)
{
	if (c->len + n > c->cap) {
		size_t cap = c->cap ? c->cap : 4096;
		char *b;

		while (cap < c->len + n)
			cap *= 2;
		b = realloc(c->buf, cap);
		if (!b)
			return -ENOMEM;
		c->buf = b;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, s, n);
	c->len += n;
	return 0;
}

/* Bytes of P[0..N) before the first CR or LF. */
static size_t strcspn_n(const char *p, size_t n)
{
	size_t k = 0;

	while (k < n && p[k] != '\n' && p[k] != '\r')
		k++;
	return k;
}

/* "id: N\ndata: ...\n\n", a line per "data:".  EventSource ends a line at LF,
 * CR or CR LF: each of them starts a new "data:" line, so no text can forge
 * an "event:" or "id:" line (the lines are escaped already: defence in depth). */
static int sse_put_entry(struct sse_client *c, uint64_t seq, const char *p, size_t n)
{
	char id[48];
	int err;

	snprintf(id, sizeof(id), "id: %llu\ndata: ", (unsigned long long)seq);
	err = sv_sse_put(c, id, strlen(id));
	for (size_t i = 0; !err && i < n; i++) {
		size_t k = strcspn_n(p + i, n - i);

		err = sv_sse_put(c, p + i, k);
		i += k;
		if (i < n && p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')
			i++;
		if (!err && i < n)
			err = sv_sse_put(c, "\ndata: ", 7);
	}
	return err ? err : sv_sse_put(c, "\n\n", 2);
}

static void sse_put_end(struct sse_client *c, struct srv *s, const struct recording *r,
			const char *reason)
{
	cJSON *o = r ? sv_status_json(s, r) : cJSON_CreateObject();
	char *j;

	cJSON_AddStringToObject(o, "reason", reason);
	j = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	sv_sse_put(c, "event: end\ndata: ", 17);
	if (j)
		sv_sse_put(c, j, strlen(j));
	sv_sse_put(c, "\n\n", 2);
	free(j);
	c->end_sent = 1;
}

ssize_t sv_sse_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct sse_client *c = cls;
	struct srv *s = c->s;
	size_t n;

	if (c->off == c->len) {
		struct timespec dl;

		if (c->end_sent)
			return MHD_CONTENT_READER_END_OF_STREAM;
		c->off = c->len = 0;
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 1;
		pthread_mutex_lock(&s->mu);
		for (;;) {
			struct recording *r = s->cur;

			if (!r || r->id != c->rec_id) {
				sse_put_end(c, s, NULL, "a new recording started");
				break;
			}
			if (c->next < s->first_seq) {
				char buf[96];

				snprintf(buf, sizeof(buf), "event: lost\ndata: {\"missed\":%llu}\n\n",
					 (unsigned long long)(s->first_seq - c->next));
				sv_sse_put(c, buf, strlen(buf));
				c->next = s->first_seq;
			}
			while (c->next < s->next_seq && c->len < SSE_CHUNK) {
				const struct ring_ent *e = &s->ent[c->next % RING_ENTRIES];
				const char *p = s->data + e->vpos % RING_BYTES;

				if (c->json)
					sse_put_entry(c, c->next, p + e->tlen, e->jlen);
				else
					sse_put_entry(c, c->next, p, e->tlen);
				c->next++;
			}
			if (c->len)
				break;
			if (!sv_rec_active(r)) {
				sse_put_end(c, s, r, "recording finished");
				break;
			}
			if (pthread_cond_timedwait(&s->cv, &s->mu, &dl) == ETIMEDOUT) {
				sv_sse_put(c, ": keepalive\n\n", 13);
				break;
			}
		}
		pthread_mutex_unlock(&s->mu);
		if (c->off == c->len)
			return MHD_CONTENT_READER_END_WITH_ERROR; /* out of memory */
	}
	n = c->len - c->off < max ? c->len - c->off : max;
	memcpy(out, c->buf + c->off, n);
	c->off += n;
	(void)pos;
	return n;
}

void sv_sse_free(void *cls)
{
	struct sse_client *c = cls;
	struct srv *s = c->s;

	pthread_mutex_lock(&s->mu);
	s->sse_clients--;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	free(c->buf);
	free(c);
}
