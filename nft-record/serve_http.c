// SPDX-License-Identifier: GPL-2.0
/*
 * serve_http.c - nft-record --serve: HTTP plumbing (see serve.h, serve_int.h).
 * libmicrohttpd, one thread per connection (the events stream blocks in its
 * reader callback); bodies bounded; loopback only unless a Bearer token.
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

#include "nft-record/serve_int.h"
#include "common/escape.h"

void sv_log(const struct srv *s, const char *fmt, ...)
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

enum MHD_Result sv_reply_text(struct MHD_Connection *c, struct req *q, unsigned int code,
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
	sv_common_headers(resp);
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
	return sv_reply_text(c, q, code, t, hdr, val);
}

enum MHD_Result sv_reply_json(struct MHD_Connection *c, struct req *q, unsigned int code,
				  cJSON *root)
{
	return reply_json_hdr(c, q, code, root, NULL, NULL);
}

cJSON *sv_json_str(cJSON *o, const char *key, const char *s)
{
	char buf[4096];

	if (!s)
		s = "";
	if (nt_esc_clean(NT_ESC_TEXT, s, strlen(s)))
		return cJSON_AddStringToObject(o, key, s);
	return cJSON_AddStringToObject(o, key, nt_esc_str(NT_ESC_TEXT, buf, sizeof(buf), s));
}

static cJSON *err_obj(const char *field, const char *fmt, va_list ap)
{
	cJSON *o = cJSON_CreateObject();
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);	/* may cut a character: escaped below */
	sv_json_str(o, "error", msg);
	if (field)
		sv_json_str(o, "field", field);
	return o;
}

/* {"error": MSG, "field": FIELD} */
enum MHD_Result sv_reply_err(struct MHD_Connection *c, struct req *q, unsigned int code,
				 const char *field, const char *fmt, ...)
{
	va_list ap;
	cJSON *o;

	va_start(ap, fmt);
	o = err_obj(field, fmt, ap);
	va_end(ap);
	return sv_reply_json(c, q, code, o);
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

struct route {
	const char *name, *method;
	enum MHD_Result (*fn)(struct srv *, struct MHD_Connection *, struct req *);
};

static const struct route routes[] = {
	{ "start", "POST", sv_do_start },
	{ "stop", "POST", sv_do_stop },
	{ "status", "GET", sv_do_status },
	{ "stats", "GET", sv_do_stats },
	{ "events", "GET", sv_do_events },
	{ "packets", "GET", sv_do_packets },
	{ "log", "GET", sv_do_log },
	{ "report", "GET", sv_do_report },
};

static enum MHD_Result framing_header(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value)
{
	nt_hg_framing_add(cls, key, value);
	return MHD_YES;
}

/* A 400 that closes the connection: nothing after these headers is read as
 * another request (request smuggling needs two readings of the framing). */
static enum MHD_Result reply_bad_framing(struct MHD_Connection *c, struct req *q, const char *why)
{
	char *t = NULL;

	if (asprintf(&t, "{\"error\":\"ambiguous request framing: %s\"}\n", why) < 0)
		return MHD_NO;
	return sv_reply_text(c, q, MHD_HTTP_BAD_REQUEST, t, "Connection", "close");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct srv *s = cls;
	struct req *q = *con_cls;

	if (!q) { /* headers received */
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		char err[400];
		unsigned int code;
		int page;
		struct nt_hg_framing fr = { 0 };
		const char *bad;

		nt_hg_headers_done(s->hg, c); /* in time: no header deadline any more */
		q = calloc(1, sizeof(*q));
		if (!q)
			return MHD_NO;
		*con_cls = q;
		MHD_get_connection_values(c, MHD_HEADER_KIND, framing_header, &fr);
		bad = nt_hg_framing_error(&fr);
		if (bad)
			return reply_bad_framing(c, q, bad);
		if ((code = sv_check_host(s, c, err, sizeof(err))))
			return sv_reply_err(c, q, code, "Host", "%s", err);
		if (strncmp(url, API, strlen(API))) {
			enum MHD_Result ret = sv_page(s, c, q, url, method, &page);

			if (page)
				return ret;
		}
		if (!authorized(s, c))
			return sv_reply_text(c, q, MHD_HTTP_UNAUTHORIZED,
					  strdup("{\"error\":\"missing or wrong token: send the header Authorization: Bearer <token of the --token file>\"}\n"),
					  "WWW-Authenticate", "Bearer realm=\"nft-record\"");
		if ((code = sv_check_browser(c, method, err, sizeof(err))))
			return sv_reply_err(c, q, code, NULL, "%s", err);
		if (cl) {
			char *end;
			unsigned long long n;

			errno = 0;
			n = strtoull(cl, &end, 10);
			if (errno || *end || n > NT_SERVE_MAX_BODY)
				return sv_reply_err(c, q, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
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
		return sv_reply_err(c, q, MHD_HTTP_CONTENT_TOO_LARGE, NULL, "request body larger than %d bytes",
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
	return sv_reply_err(c, q, MHD_HTTP_NOT_FOUND, NULL,
			 "no such endpoint (GET / (the page), POST " API "start, POST " API "stop, GET " API
			 "status, GET " API "stats, GET " API "events, GET " API "packets, GET " API "log, GET "
			 API "report)");
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

/* Every connection is registered with the guard when accepted: per-address
 * and total limits (over them: shut down at once), and the header deadline
 * its watchdog enforces; unregistered when libmicrohttpd closes it. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct srv *s = cls;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fi = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *ai = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		const struct sockaddr *sa = ai ? ai->client_addr : NULL;
		socklen_t alen = !sa ? 0 : sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
				 sizeof(struct sockaddr_in);
		int fd = fi ? fi->connect_fd : -1;

		if (nt_hg_open(s->hg, c, fd, sa, alen, nt_hg_now_ms()) && fd >= 0)
			shutdown(fd, SHUT_RDWR); /* over a limit: libmicrohttpd sees the end at once */
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		nt_hg_close(s->hg, c);
	}
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct srv *s = cls;

	if (s->quiet)
		return;
	fputs("nft-record: serve: libmicrohttpd: ", stderr);
	vfprintf(stderr, fmt, ap);
}

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
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC); /* a FIFO never blocks */
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
	sv_ring_reset(s);
	if (parse_listen(listen, &ss, &v6, &loopback)) {
		fprintf(stderr, "nft-record: --serve '%s': expected [ADDR:]PORT (e.g. 5000, 127.0.0.1:5000, [::1]:5000), numeric address\n",
			listen);
		ret = NT_EXIT_USAGE;
		goto out;
	}
	memcpy(&s->bound, &ss, sizeof(ss));
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
	s->hg = nt_hg_new(NULL);
	if (!s->data || !s->ent || !s->hg) {
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
				MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
				MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
				MHD_OPTION_END);
	if (!s->d) {
		fprintf(stderr, "nft-record: --serve %s: cannot listen%s%s\n", listen, errno ? ": " : "",
			errno ? strerror(errno) : "");
		goto out;
	}
	if (nt_hg_start(s->hg)) {
		fprintf(stderr, "nft-record: --serve: cannot start the connection watchdog\n");
		MHD_stop_daemon(s->d);
		goto out;
	}
	sv_log(s, "listening on http://%s%s (%s), recordings in %s; Ctrl-C to stop",
	      strchr(listen, ':') ? "" : "127.0.0.1:", listen,
	      s->token_len ? "Bearer token required" : "loopback, no token", s->dir);
	for (;;) {
		sig = sigwaitinfo(&set, NULL);
		if (sig == SIGINT || sig == SIGTERM)
			break;
	}
	sv_log(s, "%s: stopping", strsignal(sig));
	MHD_quiesce_daemon(s->d);
	pthread_mutex_lock(&s->mu);
	s->shutting_down = 1;
	if (sv_rec_active(s->cur)) {
		struct timespec dl;

		atomic_store(&s->cur->stop, 1);
		while (sv_rec_active(s->cur))
			pthread_cond_wait(&s->cv, &s->mu);
		/* let event streams send what is left and their end (1 s at most) */
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 1;
		while (s->sse_clients && pthread_cond_timedwait(&s->cv, &s->mu, &dl) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&s->mu);
	MHD_stop_daemon(s->d);
	nt_hg_stop(s->hg);
	ret = NT_EXIT_OK;
out:
	if (s->cur && !sv_rec_active(s->cur))
		sv_rec_free(s->cur);
	free(s->data);
	free(s->ent);
	nt_hg_free(s->hg);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
	return ret;
}
