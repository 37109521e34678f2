// SPDX-License-Identifier: GPL-2.0
/*
 * serve.c - nft-record --serve: HTTP control API over the recorder engine
 * (see serve.h).  libmicrohttpd, one thread per connection (the events stream
 * blocks in its reader callback); the recording runs in its own thread
 * (nt_record_run() with hooks) and feeds, under one mutex, the analyzer's model
 * + statistics (the code of `nft-analyze stats`) and a bounded ring of
 * formatted event lines / objects for the server-sent events.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "nft-record/serve.h"
#include "nft-record/backend.h"
#include "nft-record/capfilter.h"
#include "nft-record/netns.h"
#include "common/records.h"
#include "formats/ntlog.h"
#include "model/model.h"
#include "model/output.h"
#include "model/stats.h"
#include "nft-discover/discover.h"

#define API "/api/multi-function/"
#define TOKEN_MAX 4096
#define TOKEN_MIN 16
#define DISCARD_MAX (1u << 20)      /* chunked body over the limit: read this much, then close */
#define RING_BYTES (8u << 20)       /* formatted events kept for the stream */
#define RING_ENTRIES 65536u
#define SSE_CHUNK (64u << 10)
#define MAX_CONNS 64
#define MAX_CONNS_PER_IP 32
#define NAME_MAX_LEN 200
#define FILTER_MAX_LEN 1024

enum rec_state { ST_STARTING, ST_RUNNING, ST_STOPPING, ST_FINISHED, ST_FAILED };
static const char *const state_names[] = { "starting", "running", "stopping", "finished", "failed" };

struct ring_ent {
	uint64_t vpos;              /* virtual byte position of text, then json */
	uint32_t tlen, jlen;
};

/* One recording: the current one, or the last one until the next start. */
struct recording {
	struct srv *srv;
	unsigned int id;
	enum rec_state state;
	atomic_int stop;
	int exit_code;              /* of nt_record_run(), -1 while it runs */
	struct nt_record_opts o;
	struct nt_record_hooks hooks;
	char output[PATH_MAX];
	char config[PATH_MAX];
	char filter[FILTER_MAX_LEN + 1];
	char backend_req[32];
	char netns[NT_MAX_NETNS][64];
	char backend[32];           /* chosen by the engine */
	struct timespec t0, t1;     /* started / ended (CLOCK_MONOTONIC) */
	/* analysis of what was recorded (mutex) */
	struct nt_model *m;
	struct nt_stats *st;
	int trailer;                /* TRAILER block seen: log complete */
	uint64_t nev;               /* records written */
	uint64_t seq;               /* event lines (records but CHAINDEF) */
	struct nt_record_progress prog;
	FILE *fmt;                  /* open_memstream scratch for formatting */
	char *fmtbuf;
	size_t fmtlen;
};

struct srv {
	const struct nt_serve_opts *so;
	struct MHD_Daemon *d;
	char dir[PATH_MAX];
	char token[TOKEN_MAX];
	size_t token_len;
	int quiet;
	pthread_mutex_t mu;
	pthread_cond_t cv;          /* state changes, new ring entries, client exits */
	int shutting_down;
	int sse_clients;
	unsigned int next_id;
	struct recording *cur;
	/* ring of formatted events of cur (seq first_seq .. next_seq - 1) */
	char *data;
	struct ring_ent *ent;
	uint64_t vhead, first_seq, next_seq;
};

/* Per request. */
struct req {
	char *body;
	size_t len, cap, discarded;
	int too_big;
	int replied;
};

struct sse_client {
	struct srv *s;
	unsigned int rec_id;
	int json;
	uint64_t next;
	char *buf;
	size_t len, off, cap;
	int end_sent;
};

static pthread_mutex_t json_mu = PTHREAD_MUTEX_INITIALIZER; /* cJSON's parse error is global */

static void logf_(const struct srv *s, const char *fmt, ...)
{
	va_list ap;

	if (s->quiet)
		return;
	va_start(ap, fmt);
	fputs("nft-record: serve: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static double elapsed_s(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

static int rec_active(const struct recording *r)
{
	return r && r->state <= ST_STOPPING;
}

/* ---- ring of formatted events -------------------------------------------------------------- */

static void ring_reset(struct srv *s)
{
	s->vhead = 0;
	s->first_seq = s->next_seq = 1;
}

static void ring_push(struct srv *s, const char *t, size_t tlen, const char *j, size_t jlen)
{
	size_t len = tlen + jlen, off;
	uint64_t end;
	struct ring_ent *e;

	if (len > RING_BYTES / 8) { /* never for real records; keep the seq, drop the text */
		t = j = "";
		tlen = jlen = len = 0;
	}
	off = s->vhead % RING_BYTES;
	if (off + len > RING_BYTES)
		s->vhead += RING_BYTES - off;
	end = s->vhead + len;
	while (s->first_seq < s->next_seq) {
		const struct ring_ent *old = &s->ent[s->first_seq % RING_ENTRIES];

		if (old->vpos + RING_BYTES >= end && s->next_seq - s->first_seq < RING_ENTRIES)
			break;
		s->first_seq++;
	}
	e = &s->ent[s->next_seq % RING_ENTRIES];
	e->vpos = s->vhead;
	e->tlen = tlen;
	e->jlen = jlen;
	memcpy(s->data + s->vhead % RING_BYTES, t, tlen);
	memcpy(s->data + s->vhead % RING_BYTES + tlen, j, jlen);
	s->vhead = end;
	s->next_seq++;
}

/* ---- hooks: called by the recording thread ----------------------------------------------- */

static void model_packet(void *ctx, const struct nt_packet *p)
{
	struct recording *r = ctx;

	nt_stats_packet(r->st, r->m, p);
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

static void hook_event(void *ctx, const void *rec, size_t len)
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

static void hook_progress(void *ctx, const struct nt_record_progress *p)
{
	struct recording *r = ctx;

	pthread_mutex_lock(&r->srv->mu);
	r->prog = *p;
	pthread_mutex_unlock(&r->srv->mu);
}

static void *rec_thread(void *arg)
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
	logf_(s, "recording %u %s (exit %d): %s", r->id, state_names[r->state], rc, r->output);
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static void rec_free(struct recording *r)
{
	if (!r)
		return;
	if (r->fmt)
		fclose(r->fmt);
	free(r->fmtbuf);
	nt_stats_free(r->st);
	nt_model_free(r->m);
	free(r);
}

/* ---- HTTP helpers ------------------------------------------------------------------------- */

static enum MHD_Result reply_text(struct MHD_Connection *c, struct req *q, unsigned int code,
				  char *text, const char *extra_hdr, const char *extra_val)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (!text)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (extra_hdr)
		MHD_add_response_header(resp, extra_hdr, extra_val);
	ret = MHD_queue_response(c, code, resp);
	MHD_destroy_response(resp);
	if (q)
		q->replied = 1;
	return ret;
}

static enum MHD_Result reply_json_hdr(struct MHD_Connection *c, struct req *q, unsigned int code,
				      cJSON *root, const char *hdr, const char *val)
{
	char *s = root ? cJSON_PrintUnformatted(root) : NULL, *t = NULL;

	cJSON_Delete(root);
	if (s && asprintf(&t, "%s\n", s) < 0)
		t = NULL;
	free(s);
	return reply_text(c, q, code, t, hdr, val);
}

static enum MHD_Result reply_json(struct MHD_Connection *c, struct req *q, unsigned int code,
				  cJSON *root)
{
	return reply_json_hdr(c, q, code, root, NULL, NULL);
}

static cJSON *err_obj(const char *field, const char *fmt, va_list ap)
{
	cJSON *o = cJSON_CreateObject();
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	cJSON_AddStringToObject(o, "error", msg);
	if (field)
		cJSON_AddStringToObject(o, "field", field);
	return o;
}

/* {"error": MSG, "field": FIELD} */
static enum MHD_Result reply_err(struct MHD_Connection *c, struct req *q, unsigned int code,
				 const char *field, const char *fmt, ...)
{
	va_list ap;
	cJSON *o;

	va_start(ap, fmt);
	o = err_obj(field, fmt, ap);
	va_end(ap);
	return reply_json(c, q, code, o);
}

static enum MHD_Result reply_err_hdr(struct MHD_Connection *c, struct req *q, unsigned int code,
				     const char *hdr, const char *val, const char *fmt, ...)
{
	va_list ap;
	cJSON *o;

	va_start(ap, fmt);
	o = err_obj(NULL, fmt, ap);
	va_end(ap);
	return reply_json_hdr(c, q, code, o, hdr, val);
}

static const char *json_type(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsArray(v))
		return "an array";
	if (cJSON_IsObject(v))
		return "an object";
	return "an invalid value";
}

/* Constant time in the content of both strings (loops over the secret's length). */
static int token_eq(const char *given, size_t glen, const char *secret, size_t slen)
{
	unsigned char d = glen != slen;

	for (size_t i = 0; i < slen; i++)
		d |= (unsigned char)secret[i] ^ (unsigned char)(glen ? given[i % glen] : 0);
	return d == 0;
}

static int authorized(const struct srv *s, struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	size_t n;

	if (!s->token_len)
		return 1;
	if (!h || strncasecmp(h, "Bearer ", 7))
		return 0;
	h += 7;
	while (*h == ' ')
		h++;
	n = strlen(h);
	while (n && (h[n - 1] == ' ' || h[n - 1] == '\t'))
		n--;
	return token_eq(h, n, s->token, s->token_len);
}

/* ---- request validation ------------------------------------------------------------------- */

static int valid_name(const char *n)
{
	size_t len = strlen(n);

	if (!len || len > NAME_MAX_LEN || n[0] == '.' || n[0] == '-')
		return 0;
	for (const char *p = n; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

/* A file name in the serve directory, or an absolute path whose directory is it. */
static int path_in_dir(const struct srv *s, const char *field, const char *v, char *out,
		       size_t outlen, char *err, size_t errlen)
{
	const char *name = v;

	if (v[0] == '/') {
		const char *slash = strrchr(v, '/');
		char dir[PATH_MAX], real[PATH_MAX];

		if ((size_t)(slash - v) >= sizeof(dir))
			goto bad;
		memcpy(dir, v, slash - v);
		dir[slash - v] = 0;
		if (!realpath(dir[0] ? dir : "/", real) || strcmp(real, s->dir))
			goto bad;
		name = slash + 1;
	}
	if (!valid_name(name))
		goto bad;
	if ((size_t)snprintf(out, outlen, "%s/%s", s->dir, name) >= outlen)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "%s: '%.200s' is not a file name inside %.300s (letters, digits, '.', '_', '-'; no '/', no leading '.', at most %d characters)",
		 field, v, s->dir, NAME_MAX_LEN);
	return -EINVAL;
}

struct start_req {
	int has_max;
	int max_functions;
	double duration;
	int has_duration;
	char config[PATH_MAX];
	char output[PATH_MAX];
	char filter[FILTER_MAX_LEN + 1];
	int has_filter;
	char backend[32];
	char netns[NT_MAX_NETNS][64];
	int n_netns, has_netns;
};

static const char *const start_fields[] = {
	"max_functions", "config", "duration", "filter", "output", "backend", "netns", NULL
};

static int add_netns(struct start_req *sr, const char *name, char *err, size_t errlen)
{
	struct nt_netns ns;
	char e[256];

	if (sr->n_netns == NT_MAX_NETNS) {
		snprintf(err, errlen, "netns: at most %d namespaces", NT_MAX_NETNS);
		return -EINVAL;
	}
	if (!valid_name(name) || strlen(name) >= sizeof(sr->netns[0])) {
		snprintf(err, errlen, "netns: '%.100s' is not a namespace name (ip netns list)", name);
		return -EINVAL;
	}
	if (nt_netns_open(&ns, name, e, sizeof(e))) {
		snprintf(err, errlen, "netns: no namespace '%s' (/run/netns/%s; create it with ip netns add)",
			 name, name);
		return -EINVAL;
	}
	nt_netns_close(&ns);
	snprintf(sr->netns[sr->n_netns++], sizeof(sr->netns[0]), "%s", name);
	return 0;
}

/* Parse and check the start body.  0, or -EINVAL with the field and one line in err. */
static int parse_start(const struct srv *s, const char *body, size_t len, struct start_req *sr,
		       char field[64], char *err, size_t errlen)
{
	cJSON *root, *v;
	const char *end = NULL;
	int ret = -EINVAL;

	memset(sr, 0, sizeof(*sr));
	field[0] = 0;
	if (strlen(body) != len) {
		snprintf(err, errlen, "request body: contains a NUL byte; send a JSON object");
		return -EINVAL;
	}
	for (end = body; *end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'; end++)
		;
	if (!*end)
		return 0; /* empty body: every default */
	if (strcasestr(body, "\\u0000")) {
		snprintf(err, errlen, "request body: \\u0000 (NUL) inside a string is not allowed");
		return -EINVAL;
	}
	pthread_mutex_lock(&json_mu);
	root = cJSON_ParseWithOpts(body, &end, 1);
	pthread_mutex_unlock(&json_mu);
	if (!root) {
		snprintf(err, errlen, "request body: not valid JSON (error at byte %zu of %zu); send a JSON object such as {\"max_functions\": 50}",
			 end && end >= body ? (size_t)(end - body) : 0, len);
		return -EINVAL;
	}
	if (!cJSON_IsObject(root)) {
		snprintf(err, errlen, "request body: expected a JSON object, got %s", json_type(root));
		goto out;
	}
	cJSON_ArrayForEach(v, root) {
		int known = 0;

		for (int i = 0; start_fields[i]; i++)
			known |= !strcmp(v->string, start_fields[i]);
		snprintf(field, 64, "%s", v->string);
		if (!known) {
			snprintf(err, errlen, "unknown field '%.64s' (known: max_functions, config, duration, filter, output, backend, netns)",
				 v->string);
			goto out;
		}
		for (cJSON *w = root->child; w != v; w = w->next)
			if (!strcmp(w->string, v->string)) {
				snprintf(err, errlen, "%s: given twice", v->string);
				goto out;
			}
		if (cJSON_IsNull(v))
			continue; /* null = default */
		if (!strcmp(v->string, "max_functions")) {
			double d = v->valuedouble;

			if (!cJSON_IsNumber(v)) {
				snprintf(err, errlen, "max_functions: expected an integer 0..100000, got %s",
					 json_type(v));
				goto out;
			}
			if (!(d >= 0 && d <= 100000) || d != (double)(int)d) {
				snprintf(err, errlen, "max_functions: expected an integer 0..100000, got %g", d);
				goto out;
			}
			sr->has_max = 1;
			sr->max_functions = (int)d;
		} else if (!strcmp(v->string, "duration")) {
			if (!cJSON_IsNumber(v)) {
				snprintf(err, errlen, "duration: expected seconds (a number 0..1e7, 0 = until stop), got %s",
					 json_type(v));
				goto out;
			}
			if (!(v->valuedouble >= 0) || v->valuedouble > 1e7) {
				snprintf(err, errlen, "duration: expected seconds (a number 0..1e7, 0 = until stop), got %g",
					 v->valuedouble);
				goto out;
			}
			sr->has_duration = 1;
			sr->duration = v->valuedouble;
		} else if (!cJSON_IsString(v) && strcmp(v->string, "netns")) {
			snprintf(err, errlen, "%s: expected a string, got %s", v->string, json_type(v));
			goto out;
		} else if (!strcmp(v->string, "config")) {
			if (path_in_dir(s, "config", v->valuestring, sr->config, sizeof(sr->config), err, errlen))
				goto out;
		} else if (!strcmp(v->string, "output")) {
			if (path_in_dir(s, "output", v->valuestring, sr->output, sizeof(sr->output), err, errlen))
				goto out;
		} else if (!strcmp(v->string, "filter")) {
			struct nt_capfilter spec;
			char e[512];

			if (strlen(v->valuestring) > FILTER_MAX_LEN) {
				snprintf(err, errlen, "filter: longer than %d characters", FILTER_MAX_LEN);
				goto out;
			}
			if (nt_capfilter_parse(v->valuestring, &spec, e, sizeof(e))) {
				snprintf(err, errlen, "filter: %s", e);
				goto out;
			}
			sr->has_filter = 1;
			snprintf(sr->filter, sizeof(sr->filter), "%s", v->valuestring);
		} else if (!strcmp(v->string, "backend")) {
			const char *b = v->valuestring;

			if (!*b || strchr(b, '|') || (strcmp(b, "auto") && !strstr("|" NT_BACKEND_NAMES "|", b)) ||
			    strlen(b) >= sizeof(sr->backend)) {
				snprintf(err, errlen, "backend: '%.40s' is not one of " NT_BACKEND_NAMES, b);
				goto out;
			}
			snprintf(sr->backend, sizeof(sr->backend), "%s", b);
		} else { /* netns: "a,b" or ["a", "b"] */
			sr->has_netns = 1;
			if (cJSON_IsString(v)) {
				char tmp[NT_MAX_NETNS * 64 + 1], *save = NULL;

				if (strlen(v->valuestring) >= sizeof(tmp)) {
					snprintf(err, errlen, "netns: too long");
					goto out;
				}
				snprintf(tmp, sizeof(tmp), "%s", v->valuestring);
				for (char *p = strtok_r(tmp, ",", &save); p; p = strtok_r(NULL, ",", &save))
					if (add_netns(sr, p, err, errlen))
						goto out;
			} else if (cJSON_IsArray(v)) {
				cJSON *n;

				cJSON_ArrayForEach(n, v) {
					if (!cJSON_IsString(n)) {
						snprintf(err, errlen, "netns: expected an array of strings, found %s",
							 json_type(n));
						goto out;
					}
					if (add_netns(sr, n->valuestring, err, errlen))
						goto out;
				}
			} else {
				snprintf(err, errlen, "netns: expected a string or an array of strings, got %s",
					 json_type(v));
				goto out;
			}
		}
	}
	field[0] = 0;
	ret = 0;
out:
	cJSON_Delete(root);
	return ret;
}

/* A regular file (no symlink) we can use as config; 0 or -errno with err. */
static int check_config(const char *path, char *err, size_t errlen)
{
	struct nt_funcs cfg = { 0 };
	struct stat st;
	char e[512];

	if (lstat(path, &st)) {
		snprintf(err, errlen, "config: %.300s: %s", path, strerror(errno));
		return -ENOENT;
	}
	if (S_ISLNK(st.st_mode) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "config: %.300s is %s, not a regular file: refused", path,
			 S_ISLNK(st.st_mode) ? "a symlink" : "special");
		return -EINVAL;
	}
	if (nt_trace_config_load(path, NULL, &cfg, e, sizeof(e)) < 0) {
		snprintf(err, errlen, "config: %.800s", e); /* names the file */
		return -EINVAL;
	}
	nt_funcs_free(&cfg);
	return 0;
}

/* ---- status / stats JSON ---------------------------------------------------------------------- */

static cJSON *status_json(struct srv *s, const struct recording *r)
{
	cJSON *o = cJSON_CreateObject();
	struct timespec now;
	struct stat st;

	cJSON_AddBoolToObject(o, "running", rec_active(r));
	cJSON_AddStringToObject(o, "state", r ? state_names[r->state] : "idle");
	if (!r) {
		cJSON_AddNullToObject(o, "id");
		return o;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	cJSON_AddNumberToObject(o, "id", r->id);
	cJSON_AddStringToObject(o, "output", r->output);
	cJSON_AddStringToObject(o, "backend", r->backend[0] ? r->backend : r->o.backend ? r->o.backend : "auto");
	cJSON_AddStringToObject(o, "filter", r->o.filter ? r->o.filter : "");
	cJSON_AddNumberToObject(o, "duration", r->o.duration);
	cJSON_AddNumberToObject(o, "elapsed_s",
				r->t0.tv_sec ? elapsed_s(&r->t0, r->state >= ST_FINISHED ? &r->t1 : &now) : 0);
	cJSON_AddNumberToObject(o, "events", (double)r->nev);
	cJSON_AddNumberToObject(o, "packets", (double)r->prog.packets);
	cJSON_AddNumberToObject(o, "lost", (double)(r->prog.lost_ringbuf + r->prog.lost_netlink));
	cJSON_AddNumberToObject(o, "lost_ringbuf", (double)r->prog.lost_ringbuf);
	cJSON_AddNumberToObject(o, "lost_netlink", (double)r->prog.lost_netlink);
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

static char *stats_doc(struct recording *r, int top)
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
	nt_jw_bool(&jw, "running", rec_active(r));
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

/* ---- endpoints ------------------------------------------------------------------------------ */

static const char *exit_meaning(int rc, unsigned int *code)
{
	switch (rc) {
	case NT_EXIT_USAGE:
		*code = MHD_HTTP_BAD_REQUEST;
		return "bad filter, config, output file or namespace";
	case NT_EXIT_PRIV:
		*code = MHD_HTTP_FORBIDDEN;
		return "missing privileges: the server must run as root (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN)";
	case NT_EXIT_KERNEL:
		*code = MHD_HTTP_NOT_IMPLEMENTED;
		return "the kernel lacks a feature (BTF, BPF programs or the requested backend)";
	default:
		*code = MHD_HTTP_INTERNAL_SERVER_ERROR;
		return "runtime error";
	}
}

static enum MHD_Result do_start(struct srv *s, struct MHD_Connection *c, struct req *q)
{
	const struct nt_record_opts *d = s->so->defaults;
	struct start_req sr;
	struct recording *r;
	char field[64], err[1024];
	struct stat st;
	pthread_t th;
	pthread_attr_t attr;
	cJSON *o;
	unsigned int code;

	if (parse_start(s, q->body ? q->body : "", q->len, &sr, field, err, sizeof(err)))
		return reply_err(c, q, MHD_HTTP_BAD_REQUEST, field[0] ? field : NULL, "%s", err);
	if (sr.config[0] && check_config(sr.config, err, sizeof(err)))
		return reply_err(c, q, MHD_HTTP_BAD_REQUEST, "config", "%s", err);
	pthread_mutex_lock(&s->mu);
	if (s->shutting_down) {
		pthread_mutex_unlock(&s->mu);
		return reply_err(c, q, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, "the server is shutting down");
	}
	if (rec_active(s->cur)) {
		o = cJSON_CreateObject();
		snprintf(err, sizeof(err), "a recording is already %s (id %u, output %.300s): POST " API "stop first",
			 state_names[s->cur->state], s->cur->id, s->cur->output);
		cJSON_AddStringToObject(o, "error", err);
		cJSON_AddNumberToObject(o, "id", s->cur->id);
		pthread_mutex_unlock(&s->mu);
		return reply_json(c, q, MHD_HTTP_CONFLICT, o);
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		goto nomem;
	r->srv = s;
	r->id = s->next_id + 1; /* taken when the recording starts */
	if (sr.output[0]) {
		snprintf(r->output, sizeof(r->output), "%s", sr.output);
	} else {
		time_t now = time(NULL);
		struct tm tm;
		char name[64];

		localtime_r(&now, &tm);
		strftime(name, sizeof(name), "nft-trace-%Y%m%d-%H%M%S", &tm);
		if ((size_t)snprintf(r->output, sizeof(r->output), "%s/%s-%u.ntl", s->dir, name, r->id) >=
		    sizeof(r->output)) {
			free(r);
			pthread_mutex_unlock(&s->mu);
			return reply_err(c, q, MHD_HTTP_INTERNAL_SERVER_ERROR, "output", "output: the serve directory path is too long");
		}
	}
	if (!lstat(r->output, &st)) {
		int link = S_ISLNK(st.st_mode);

		pthread_mutex_unlock(&s->mu);
		snprintf(err, sizeof(err), link ? "output: %.300s is a symlink: refused (recordings are never written through a symlink)"
						: "output: %.300s already exists: choose another name", r->output);
		free(r);
		return reply_err(c, q, link ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_CONFLICT, "output", "%s", err);
	}
	r->o = *d;
	r->o.output = r->output;
	r->o.stream = 0;
	r->o.force = 0;
	if (sr.has_max)
		r->o.max_functions = sr.max_functions;
	if (sr.has_duration)
		r->o.duration = sr.duration;
	if (sr.config[0]) {
		snprintf(r->config, sizeof(r->config), "%s", sr.config);
		r->o.config = r->config;
	}
	if (sr.has_filter) {
		snprintf(r->filter, sizeof(r->filter), "%s", sr.filter);
		r->o.filter = r->filter[0] ? r->filter : NULL;
	}
	if (sr.backend[0]) {
		snprintf(r->backend_req, sizeof(r->backend_req), "%s", sr.backend);
		r->o.backend = r->backend_req;
	}
	if (sr.has_netns) {
		memcpy(r->netns, sr.netns, sizeof(r->netns));
		r->o.n_netns = sr.n_netns;
		for (int i = 0; i < sr.n_netns; i++)
			r->o.netns[i] = r->netns[i];
	}
	r->hooks = (struct nt_record_hooks){ .ctx = r, .meta = hook_meta, .event = hook_event,
					     .started = hook_started, .progress = hook_progress };
	r->o.hooks = &r->hooks;
	r->o.stop = &r->stop;
	r->exit_code = -1;
	{
		struct nt_model_opts mo = { .sz = sizeof(mo), .on_packet = model_packet, .ctx = r };

		r->m = nt_model_new(&mo);
		r->st = nt_stats_new();
		r->fmt = open_memstream(&r->fmtbuf, &r->fmtlen);
	}
	if (!r->m || !r->st || !r->fmt) {
		rec_free(r);
		goto nomem;
	}
	/* the previous recording is finished (not active): replace it */
	s->next_id = r->id;
	rec_free(s->cur);
	s->cur = r;
	ring_reset(s);
	pthread_cond_broadcast(&s->cv); /* event streams of the previous one end */
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &attr, rec_thread, r)) {
		pthread_attr_destroy(&attr);
		r->state = ST_FAILED;
		r->exit_code = NT_EXIT_RUNTIME;
		pthread_mutex_unlock(&s->mu);
		return reply_err(c, q, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, "cannot start a thread: %s",
				 strerror(errno));
	}
	pthread_attr_destroy(&attr);
	while (r->state == ST_STARTING)
		pthread_cond_wait(&s->cv, &s->mu);
	if (r->state == ST_FAILED) {
		const char *why = exit_meaning(r->exit_code, &code);

		snprintf(err, sizeof(err), "recording %u failed to start (exit %d: %s); the server's stderr names the problem",
			 r->id, r->exit_code, why);
		pthread_mutex_unlock(&s->mu);
		return reply_err(c, q, code, NULL, "%s", err);
	}
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", r->id);
	cJSON_AddStringToObject(o, "output", r->output);
	cJSON_AddStringToObject(o, "backend", r->backend);
	cJSON_AddStringToObject(o, "status", state_names[r->state]);
	logf_(s, "recording %u started: %s (backend %s)", r->id, r->output, r->backend);
	pthread_mutex_unlock(&s->mu);
	return reply_json(c, q, MHD_HTTP_OK, o);
nomem:
	pthread_mutex_unlock(&s->mu);
	return reply_err(c, q, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, "out of memory");
}

static enum MHD_Result do_stop(struct srv *s, struct MHD_Connection *c, struct req *q)
{
	struct recording *r;
	cJSON *o;

	pthread_mutex_lock(&s->mu);
	r = s->cur;
	if (!rec_active(r)) {
		pthread_mutex_unlock(&s->mu);
		return reply_err(c, q, MHD_HTTP_CONFLICT, NULL, "no recording running");
	}
	atomic_store(&r->stop, 1);
	if (r->state == ST_RUNNING)
		r->state = ST_STOPPING;
	while (rec_active(r))
		pthread_cond_wait(&s->cv, &s->mu);
	o = status_json(s, r);
	pthread_mutex_unlock(&s->mu);
	return reply_json(c, q, MHD_HTTP_OK, o);
}

static enum MHD_Result do_status(struct srv *s, struct MHD_Connection *c, struct req *q)
{
	cJSON *o;

	pthread_mutex_lock(&s->mu);
	o = status_json(s, s->cur);
	pthread_mutex_unlock(&s->mu);
	return reply_json(c, q, MHD_HTTP_OK, o);
}

static enum MHD_Result do_stats(struct srv *s, struct MHD_Connection *c, struct req *q)
{
	const char *t = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "top");
	char *doc, *end;
	long top = 0;

	if (t) {
		top = strtol(t, &end, 10);
		if (!*t || *end || top < 1 || top > 1000000)
			return reply_err(c, q, MHD_HTTP_BAD_REQUEST, "top", "top: expected a number of rows 1..1000000, got '%.40s'", t);
	}
	pthread_mutex_lock(&s->mu);
	if (!s->cur) {
		pthread_mutex_unlock(&s->mu);
		return reply_err(c, q, MHD_HTTP_CONFLICT, NULL, "no recording yet: POST " API "start first");
	}
	doc = stats_doc(s->cur, (int)top);
	pthread_mutex_unlock(&s->mu);
	if (!doc)
		return reply_err(c, q, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, "out of memory");
	return reply_text(c, q, MHD_HTTP_OK, doc, NULL, NULL);
}

/* ---- server-sent events ----------------------------------------------------------------- */

static int sse_put(struct sse_client *c, const char *s, size_t n)
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

/* "id: N\ndata: ...\n\n", a line per "data:" */
static int sse_put_entry(struct sse_client *c, uint64_t seq, const char *p, size_t n)
{
	char id[48];
	int err;

	snprintf(id, sizeof(id), "id: %llu\ndata: ", (unsigned long long)seq);
	err = sse_put(c, id, strlen(id));
	for (size_t i = 0; !err && i < n; i++) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t k = nl ? (size_t)(nl - (p + i)) : n - i;

		err = sse_put(c, p + i, k);
		i += k;
		if (!err && nl)
			err = sse_put(c, "\ndata: ", 7);
	}
	return err ? err : sse_put(c, "\n\n", 2);
}

static void sse_put_end(struct sse_client *c, struct srv *s, const struct recording *r,
			const char *reason)
{
	cJSON *o = r ? status_json(s, r) : cJSON_CreateObject();
	char *j;

	cJSON_AddStringToObject(o, "reason", reason);
	j = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	sse_put(c, "event: end\ndata: ", 17);
	if (j)
		sse_put(c, j, strlen(j));
	sse_put(c, "\n\n", 2);
	free(j);
	c->end_sent = 1;
}

static ssize_t sse_read(void *cls, uint64_t pos, char *out, size_t max)
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
				sse_put(c, buf, strlen(buf));
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
			if (!rec_active(r)) {
				sse_put_end(c, s, r, "recording finished");
				break;
			}
			if (pthread_cond_timedwait(&s->cv, &s->mu, &dl) == ETIMEDOUT) {
				sse_put(c, ": keepalive\n\n", 13);
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

static void sse_free(void *cls)
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

static enum MHD_Result do_events(struct srv *s, struct MHD_Connection *c, struct req *q)
{
	const char *fmt = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
	const char *last = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
	struct MHD_Response *resp;
	struct sse_client *cl;
	enum MHD_Result ret;
	uint64_t from = 0;
	int json = 0;

	if (fmt && !strcmp(fmt, "json"))
		json = 1;
	else if (fmt && strcmp(fmt, "text"))
		return reply_err(c, q, MHD_HTTP_BAD_REQUEST, "format", "format: expected text or json, got '%.40s'", fmt);
	if (last) {
		char *end;

		errno = 0;
		from = strtoull(last, &end, 10);
		if (!*last || *end || errno || *last == '-')
			return reply_err(c, q, MHD_HTTP_BAD_REQUEST, "Last-Event-ID",
					 "Last-Event-ID: expected an event id (a number), got '%.40s'", last);
		from++;
	}
	cl = calloc(1, sizeof(*cl));
	if (!cl)
		return MHD_NO;
	cl->s = s;
	cl->json = json;
	pthread_mutex_lock(&s->mu);
	if (!s->cur) {
		pthread_mutex_unlock(&s->mu);
		free(cl);
		return reply_err(c, q, MHD_HTTP_CONFLICT, NULL, "no recording yet: POST " API "start first");
	}
	cl->rec_id = s->cur->id;
	cl->next = last ? (from < s->next_seq ? from : s->next_seq) : s->next_seq;
	s->sse_clients++;
	pthread_mutex_unlock(&s->mu);
	{
		char hello[96];

		snprintf(hello, sizeof(hello), ": nft-record events of recording %u\n\n", cl->rec_id);
		sse_put(cl, hello, strlen(hello));
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, SSE_CHUNK, sse_read, cl, sse_free);
	if (!resp) {
		sse_free(cl);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "text/event-stream");
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	q->replied = 1;
	return ret;
}

/* ---- dispatch ------------------------------------------------------------------------------ */

struct route {
	const char *name, *method;
	enum MHD_Result (*fn)(struct srv *, struct MHD_Connection *, struct req *);
};

static const struct route routes[] = {
	{ "start", "POST", do_start },
	{ "stop", "POST", do_stop },
	{ "status", "GET", do_status },
	{ "stats", "GET", do_stats },
	{ "events", "GET", do_events },
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct srv *s = cls;
	struct req *q = *con_cls;

	if (!q) { /* headers received */
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");

		q = calloc(1, sizeof(*q));
		if (!q)
			return MHD_NO;
		*con_cls = q;
		if (!authorized(s, c))
			return reply_text(c, q, MHD_HTTP_UNAUTHORIZED,
					  strdup("{\"error\":\"missing or wrong token: send the header Authorization: Bearer <token of the --token file>\"}\n"),
					  "WWW-Authenticate", "Bearer realm=\"nft-record\"");
		if (cl) {
			char *end;
			unsigned long long n;

			errno = 0;
			n = strtoull(cl, &end, 10);
			if (errno || *end || n > NT_SERVE_MAX_BODY)
				return reply_err(c, q, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
						 "request body larger than %d bytes", NT_SERVE_MAX_BODY);
		}
		return MHD_YES;
	}
	if (q->replied) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size) { /* a piece of the body */
		size_t n = *upload_size;

		*upload_size = 0;
		if (q->too_big || q->len + n > NT_SERVE_MAX_BODY) {
			q->too_big = 1;
			q->discarded += n;
			return q->discarded > DISCARD_MAX ? MHD_NO : MHD_YES;
		}
		if (q->len + n + 1 > q->cap) {
			size_t cap = q->len + n + 1 > 4096 ? NT_SERVE_MAX_BODY + 1 : 4096;
			char *b = realloc(q->body, cap);

			if (!b)
				return MHD_NO;
			q->body = b;
			q->cap = cap;
		}
		memcpy(q->body + q->len, upload, n);
		q->len += n;
		q->body[q->len] = 0;
		return MHD_YES;
	}
	if (q->too_big)
		return reply_err(c, q, MHD_HTTP_CONTENT_TOO_LARGE, NULL, "request body larger than %d bytes",
				 NT_SERVE_MAX_BODY);
	if (!strncmp(url, API, strlen(API))) {
		const char *name = url + strlen(API);

		for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
			if (strcmp(name, routes[i].name))
				continue;
			if (strcmp(method, routes[i].method))
				return reply_err_hdr(c, q, MHD_HTTP_METHOD_NOT_ALLOWED, "Allow", routes[i].method,
						     "method %.16s not allowed on " API "%s: use %s", method,
						     routes[i].name, routes[i].method);
			return routes[i].fn(s, c, q);
		}
	}
	(void)version;
	return reply_err(c, q, MHD_HTTP_NOT_FOUND, NULL,
			 "no such endpoint (POST " API "start, POST " API "stop, GET " API "status, GET " API
			 "stats, GET " API "events)");
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct req *q = *con_cls;

	if (q) {
		free(q->body);
		free(q);
	}
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct srv *s = cls;

	if (s->quiet)
		return;
	fputs("nft-record: serve: libmicrohttpd: ", stderr);
	vfprintf(stderr, fmt, ap);
}

/* ---- setup ----------------------------------------------------------------------------------- */

static int parse_listen(const char *spec, struct sockaddr_storage *ss, int *v6, int *loopback)
{
	char host[128] = "127.0.0.1";
	const char *port = spec, *colon;
	char *end;
	unsigned long p;

	memset(ss, 0, sizeof(*ss));
	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');

		if (!rb || rb[1] != ':' || (size_t)(rb - spec - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, spec + 1, rb - spec - 1);
		host[rb - spec - 1] = 0;
		port = rb + 2;
	} else if ((colon = strrchr(spec, ':'))) {
		if (memchr(spec, ':', colon - spec) || (size_t)(colon - spec) >= sizeof(host))
			return -EINVAL; /* bare IPv6: needs [ ] */
		memcpy(host, spec, colon - spec);
		host[colon - spec] = 0;
		port = colon + 1;
	}
	errno = 0;
	p = strtoul(port, &end, 10);
	if (!*port || *end || errno || p < 1 || p > 65535 || *port == '-' || *port == '+')
		return -EINVAL;
	if (!strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	if (spec[0] != '[') {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -EINVAL;
		a->sin_family = AF_INET;
		a->sin_port = htons(p);
		*v6 = 0;
		*loopback = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return -EINVAL;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(p);
		*v6 = 1;
		*loopback = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr) ||
			    (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr) && a->sin6_addr.s6_addr[12] == 127);
	}
	return 0;
}

static int read_token(struct srv *s, const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	ssize_t n;

	if (fd < 0) {
		fprintf(stderr, "nft-record: --token %s: %s%s\n", path, strerror(errno),
			errno == ELOOP ? " (a symlink: refused)" : "");
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "nft-record: --token %s: not a regular file\n", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & 077) {
		fprintf(stderr, "nft-record: --token %s: readable or writable by group/others (mode %04o): chmod 600 %s\n",
			path, (unsigned int)(st.st_mode & 07777), path);
		close(fd);
		return -1;
	}
	n = read(fd, s->token, sizeof(s->token) - 1);
	close(fd);
	if (n < 0) {
		fprintf(stderr, "nft-record: --token %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (n > 0 && (s->token[n - 1] == '\n' || s->token[n - 1] == '\r' || s->token[n - 1] == ' ' ||
			 s->token[n - 1] == '\t'))
		n--;
	s->token[n] = 0;
	for (ssize_t i = 0; i < n; i++)
		if ((unsigned char)s->token[i] <= ' ' || (unsigned char)s->token[i] >= 127) {
			fprintf(stderr, "nft-record: --token %s: the token must be one line of printable characters without spaces\n",
				path);
			return -1;
		}
	if (n < TOKEN_MIN || n == (ssize_t)sizeof(s->token) - 1) {
		fprintf(stderr, "nft-record: --token %s: the token must have %d to %d characters (e.g. head -c 32 /dev/urandom | base64 > FILE)\n",
			path, TOKEN_MIN, TOKEN_MAX - 2);
		return -1;
	}
	s->token_len = n;
	return 0;
}

/* mkdir -p DIR (last component 0700), then its canonical path: a directory of
 * ours that nobody else can write into (so names inside cannot be swapped). */
static int setup_dir(struct srv *s, const char *dir)
{
	char tmp[PATH_MAX];
	struct stat st;

	if (strlen(dir) >= sizeof(tmp) - 1 || !dir[0]) {
		fprintf(stderr, "nft-record: --serve-dir '%s': not a usable path\n", dir);
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			if (mkdir(tmp, 0755) && errno != EEXIST) {
				fprintf(stderr, "nft-record: --serve-dir: cannot create %s: %s\n", tmp, strerror(errno));
				return -1;
			}
			*p = '/';
		}
	if (mkdir(tmp, 0700) && errno != EEXIST) {
		fprintf(stderr, "nft-record: --serve-dir: cannot create %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	if (!realpath(dir, s->dir) || stat(s->dir, &st)) {
		fprintf(stderr, "nft-record: --serve-dir %s: %s\n", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "nft-record: --serve-dir %s: not a directory\n", dir);
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 022)) {
		fprintf(stderr, "nft-record: --serve-dir %s: must be owned by the server's user and not writable by group/others (is uid %u, mode %04o): chown / chmod go-w it\n",
			s->dir, (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

int nt_serve_run(const struct nt_serve_opts *o)
{
	struct srv *s = calloc(1, sizeof(*s));
	const char *listen = o->listen ? o->listen : NT_SERVE_DEFAULT_LISTEN;
	struct sockaddr_storage ss;
	sigset_t set;
	int v6, loopback, sig, ret = NT_EXIT_RUNTIME;
	unsigned int flags;

	if (!s) {
		fprintf(stderr, "nft-record: out of memory\n");
		return NT_EXIT_RUNTIME;
	}
	s->so = o;
	s->quiet = o->defaults->quiet;
	pthread_mutex_init(&s->mu, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_cond_init(&s->cv, &ca); /* CLOCK_REALTIME deadlines */
		pthread_condattr_destroy(&ca);
	}
	ring_reset(s);
	if (parse_listen(listen, &ss, &v6, &loopback)) {
		fprintf(stderr, "nft-record: --serve '%s': expected [ADDR:]PORT (e.g. 5000, 127.0.0.1:5000, [::1]:5000), numeric address\n",
			listen);
		ret = NT_EXIT_USAGE;
		goto out;
	}
	if (!loopback && !o->token_file) {
		fprintf(stderr, "nft-record: --serve %s: a non-loopback address needs --token FILE (every request must then send Authorization: Bearer <token>)\n",
			listen);
		ret = NT_EXIT_USAGE;
		goto out;
	}
	if (o->token_file && read_token(s, o->token_file)) {
		ret = NT_EXIT_USAGE;
		goto out;
	}
	if (setup_dir(s, o->dir ? o->dir : NT_SERVE_DEFAULT_DIR)) {
		ret = NT_EXIT_USAGE;
		goto out;
	}
	s->data = malloc(RING_BYTES);
	s->ent = calloc(RING_ENTRIES, sizeof(*s->ent));
	if (!s->data || !s->ent) {
		fprintf(stderr, "nft-record: out of memory\n");
		goto out;
	}
	/* SIGINT / SIGTERM are taken by sigtimedwait() below, in no other thread */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG |
		(v6 ? MHD_USE_IPv6 : 0);
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CONNS,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)MAX_CONNS_PER_IP,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)60,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 << 10),
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				MHD_OPTION_END);
	if (!s->d) {
		fprintf(stderr, "nft-record: --serve %s: cannot listen%s%s\n", listen, errno ? ": " : "",
			errno ? strerror(errno) : "");
		goto out;
	}
	logf_(s, "listening on http://%s%s (%s), recordings in %s; Ctrl-C to stop",
	      strchr(listen, ':') ? "" : "127.0.0.1:", listen,
	      s->token_len ? "Bearer token required" : "loopback, no token", s->dir);
	for (;;) {
		sig = sigwaitinfo(&set, NULL);
		if (sig == SIGINT || sig == SIGTERM)
			break;
	}
	logf_(s, "%s: stopping", strsignal(sig));
	MHD_quiesce_daemon(s->d);
	pthread_mutex_lock(&s->mu);
	s->shutting_down = 1;
	if (rec_active(s->cur)) {
		struct timespec dl;

		atomic_store(&s->cur->stop, 1);
		while (rec_active(s->cur))
			pthread_cond_wait(&s->cv, &s->mu);
		/* let event streams send what is left and their end (1 s at most) */
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 1;
		while (s->sse_clients && pthread_cond_timedwait(&s->cv, &s->mu, &dl) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&s->mu);
	MHD_stop_daemon(s->d);
	ret = NT_EXIT_OK;
out:
	if (s->cur && !rec_active(s->cur))
		rec_free(s->cur);
	free(s->data);
	free(s->ent);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
	return ret;
}
