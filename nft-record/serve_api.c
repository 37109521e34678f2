// SPDX-License-Identifier: GPL-2.0
/* serve_api.c - nft-record --serve: the endpoints (see serve.h): start (with
 * the validation of its body), stop, status, stats, events. */
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

#include "nft-discover/discover.h"
#include "nft-record/backend.h"
#include "nft-record/capfilter.h"
#include "nft-record/netns.h"
#include "common/httpguard.h"
#include "nft-record/serve_int.h"

static pthread_mutex_t json_mu = PTHREAD_MUTEX_INITIALIZER; /* cJSON's parse error is global */

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
			nt_capfilter_free(&spec);
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

enum MHD_Result sv_do_start(struct srv *s, struct MHD_Connection *c, struct req *q)
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
		return sv_reply_err(c, q, MHD_HTTP_BAD_REQUEST, field[0] ? field : NULL, "%s", err);
	if (sr.config[0] && check_config(sr.config, err, sizeof(err)))
		return sv_reply_err(c, q, MHD_HTTP_BAD_REQUEST, "config", "%s", err);
	pthread_mutex_lock(&s->mu);
	if (s->shutting_down) {
		pthread_mutex_unlock(&s->mu);
		return sv_reply_err(c, q, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, "the server is shutting down");
	}
	if (sv_rec_active(s->cur)) {
		o = cJSON_CreateObject();
		snprintf(err, sizeof(err), "a recording is already %s (id %u, output %.300s): POST " API "stop first",
			 sv_state_names[s->cur->state], s->cur->id, s->cur->output);
		sv_json_str(o, "error", err);
		cJSON_AddNumberToObject(o, "id", s->cur->id);
		pthread_mutex_unlock(&s->mu);
		return sv_reply_json(c, q, MHD_HTTP_CONFLICT, o);
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
			return sv_reply_err(c, q, MHD_HTTP_INTERNAL_SERVER_ERROR, "output", "output: the serve directory path is too long");
		}
	}
	if (!lstat(r->output, &st)) {
		int link = S_ISLNK(st.st_mode);

		pthread_mutex_unlock(&s->mu);
		snprintf(err, sizeof(err), link ? "output: %.300s is a symlink: refused (recordings are never written through a symlink)"
						: "output: %.300s already exists: choose another name", r->output);
		free(r);
		return sv_reply_err(c, q, link ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_CONFLICT, "output", "%s", err);
	}
	r->o = *d;
	r->o.output = r->output;
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
	r->o.stop = &r->stop;
	r->o.keep_caps = 1;       /* further recordings need them */
	r->o.no_status_line = 1;
	r->exit_code = -1;
	if (sv_rec_feed_init(r)) {
		sv_rec_free(r);
		goto nomem;
	}
	/* the previous recording is finished (not active): replace it */
	s->next_id = r->id;
	sv_rec_free(s->cur);
	s->cur = r;
	sv_ring_reset(s);
	pthread_cond_broadcast(&s->cv); /* event streams of the previous one end */
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &attr, sv_rec_thread, r)) {
		pthread_attr_destroy(&attr);
		r->state = ST_FAILED;
		r->exit_code = NT_EXIT_RUNTIME;
		pthread_mutex_unlock(&s->mu);
		return sv_reply_err(c, q, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, "cannot start a thread: %s",
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
		return sv_reply_err(c, q, code, NULL, "%s", err);
	}
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", r->id);
	sv_json_str(o, "output", r->output);
	cJSON_AddStringToObject(o, "backend", r->backend);
	cJSON_AddStringToObject(o, "status", sv_state_names[r->state]);
	sv_log(s, "recording %u started: %s (backend %s)", r->id, r->output, r->backend);
	pthread_mutex_unlock(&s->mu);
	return sv_reply_json(c, q, MHD_HTTP_OK, o);
nomem:
	pthread_mutex_unlock(&s->mu);
	return sv_reply_err(c, q, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, "out of memory");
}

enum MHD_Result sv_do_stop(struct srv *s, struct MHD_Connection *c, struct req *q)
{
	struct recording *r;
	cJSON *o;

	pthread_mutex_lock(&s->mu);
	r = s->cur;
	if (!sv_rec_active(r)) {
		pthread_mutex_unlock(&s->mu);
		return sv_reply_err(c, q, MHD_HTTP_CONFLICT, NULL, "no recording running");
	}
	atomic_store(&r->stop, 1);
	if (r->state == ST_RUNNING)
		r->state = ST_STOPPING;
	while (sv_rec_active(r))
		pthread_cond_wait(&s->cv, &s->mu);
	o = sv_status_json(s, r);
	pthread_mutex_unlock(&s->mu);
	return sv_reply_json(c, q, MHD_HTTP_OK, o);
}

enum MHD_Result sv_do_status(struct srv *s, struct MHD_Connection *c, struct req *q)
{
	cJSON *o;

	pthread_mutex_lock(&s->mu);
	o = sv_status_json(s, s->cur);
	pthread_mutex_unlock(&s->mu);
	return sv_reply_json(c, q, MHD_HTTP_OK, o);
}

enum MHD_Result sv_do_stats(struct srv *s, struct MHD_Connection *c, struct req *q)
{
	const char *t = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "top");
	char *doc, *end;
	long top = 0;

	if (t) {
		top = strtol(t, &end, 10);
		if (!*t || *end || top < 1 || top > 1000000)
			return sv_reply_err(c, q, MHD_HTTP_BAD_REQUEST, "top", "top: expected a number of rows 1..1000000, got '%.40s'", t);
	}
	pthread_mutex_lock(&s->mu);
	if (!s->cur) {
		pthread_mutex_unlock(&s->mu);
		return sv_reply_err(c, q, MHD_HTTP_CONFLICT, NULL, "no recording yet: POST " API "start first");
	}
	doc = sv_stats_doc(s->cur, (int)top);
	pthread_mutex_unlock(&s->mu);
	if (!doc)
		return sv_reply_err(c, q, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, "out of memory");
	return sv_reply_text(c, q, MHD_HTTP_OK, doc, NULL, NULL);
}

enum MHD_Result sv_do_events(struct srv *s, struct MHD_Connection *c, struct req *q)
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
		return sv_reply_err(c, q, MHD_HTTP_BAD_REQUEST, "format", "format: expected text or json, got '%.40s'", fmt);
	if (last && nt_hg_last_event_id(last, 0, &from))
		return sv_reply_err(c, q, MHD_HTTP_BAD_REQUEST, "Last-Event-ID",
				 "Last-Event-ID: expected an event id (a number of at most 20 digits), got '%.40s'",
				 last);
	cl = calloc(1, sizeof(*cl));
	if (!cl)
		return MHD_NO;
	cl->s = s;
	cl->json = json;
	pthread_mutex_lock(&s->mu);
	if (!s->cur) {
		pthread_mutex_unlock(&s->mu);
		free(cl);
		return sv_reply_err(c, q, MHD_HTTP_CONFLICT, NULL, "no recording yet: POST " API "start first");
	}
	cl->rec_id = s->cur->id;
	/* range-checked against the last id issued: past it (2^64 - 1 included)
	 * nothing was missed; never a wrap to 0 that replays everything */
	if (last)
		nt_hg_last_event_id(last, s->next_seq - 1, &from);
	cl->next = last ? (from < s->next_seq ? from : s->next_seq) : s->next_seq;
	s->sse_clients++;
	pthread_mutex_unlock(&s->mu);
	{
		char hello[96];

		snprintf(hello, sizeof(hello), ": nft-record events of recording %u\n\n", cl->rec_id);
		sv_sse_put(cl, hello, strlen(hello));
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, SSE_CHUNK, sv_sse_read, cl, sv_sse_free);
	if (!resp) {
		sv_sse_free(cl);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "text/event-stream");
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	sv_common_headers(resp);
	ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	q->replied = 1;
	return ret;
}
