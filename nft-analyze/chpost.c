// SPDX-License-Identifier: GPL-2.0
/* chpost.c - POST statements to ClickHouse's HTTP interface (chpost.h). */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "nft-analyze/chpost.h"

struct nt_chpost {
	char host[256], port[8], user[128], pass[128];
};

int nt_chpost_new(struct nt_chpost **out, const char *url, char *err, size_t errlen)
{
	struct nt_chpost *c;
	const char *p = url, *at, *end, *colon;
	size_t n;

	*out = NULL;
	if (strncmp(p, "http://", 7)) {
		snprintf(err, errlen, "%s: not an http:// URL (https: use a local proxy, or pipe the rows "
			 "to clickhouse-client)", url);
		return -1;
	}
	p += 7;
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	end = p + strcspn(p, "/?#");
	at = memchr(p, '@', (size_t)(end - p));
	if (at) {
		const char *pc = memchr(p, ':', (size_t)(at - p));

		snprintf(c->user, sizeof(c->user), "%.*s", (int)((pc ? pc : at) - p), p);
		if (pc)
			snprintf(c->pass, sizeof(c->pass), "%.*s", (int)(at - pc - 1), pc + 1);
		p = at + 1;
	}
	colon = memchr(p, ':', (size_t)(end - p));
	n = (size_t)((colon ? colon : end) - p);
	if (!n || n >= sizeof(c->host) || (*end && strcmp(end, "/"))) {
		snprintf(err, errlen, "%s: expected http://[USER[:PASSWORD]@]HOST[:PORT][/]", url);
		free(c);
		return -1;
	}
	memcpy(c->host, p, n);
	if (colon) {
		size_t pn = (size_t)(end - colon - 1);

		if (!pn || pn >= sizeof(c->port) || strspn(colon + 1, "0123456789") < pn) {
			snprintf(err, errlen, "%s: bad port", url);
			free(c);
			return -1;
		}
		memcpy(c->port, colon + 1, pn);
	} else {
		snprintf(c->port, sizeof(c->port), "8123");
	}
	*out = c;
	return 0;
}

void nt_chpost_free(struct nt_chpost *c)
{
	free(c);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* percent-encoding of a query parameter */
static size_t urlenc(char *dst, size_t cap, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (; *s && n + 4 < cap; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '_' || ch == '.' || ch == '~') {
			dst[n++] = (char)ch;
		} else {
			dst[n++] = '%';
			dst[n++] = hex[ch >> 4];
			dst[n++] = hex[ch & 15];
		}
	}
	dst[n] = 0;
	return n;
}

/* Chunked transfer coding decoded in place (P .. END), NUL-terminated. */
static void dechunk(char *p, const char *end)
{
	char *w = p;

	while (p < end) {
		char *e;
		unsigned long n = strtoul(p, &e, 16);

		if (e == p || !(e = strstr(e, "\r\n")) || !n)
			break;
		e += 2;
		if (n > (unsigned long)(end - e))
			n = (unsigned long)(end - e);
		memmove(w, e, n);
		w += n;
		p = e + n + 2;
	}
	*w = 0;
}

int nt_chpost(struct nt_chpost *c, const char *sql, const char *body, size_t len, char *out,
	      size_t outlen, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai, *a;
	struct timeval tv = { .tv_sec = 300 };
	char q[4096], hdr[6000], *resp = NULL, *bodyp;
	size_t rlen = 0, rcap = 0;
	int fd = -1, rc, status = 0, hn;

	rc = getaddrinfo(c->host, c->port, &hints, &ai);
	if (rc) {
		snprintf(err, errlen, "%s:%s: %s", c->host, c->port, gai_strerror(rc));
		return -1;
	}
	for (a = ai; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0)
			continue;
		if (!connect(fd, a->ai_addr, a->ai_addrlen))
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0) {
		snprintf(err, errlen, "%s:%s: %s", c->host, c->port, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	urlenc(q, sizeof(q), sql);
	hn = snprintf(hdr, sizeof(hdr),
		      "POST /?query=%s HTTP/1.1\r\nHost: %s:%s\r\nContent-Length: %zu\r\n"
		      "Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n%s%s%s%s%s%s\r\n",
		      q, c->host, c->port, body ? len : 0,
		      c->user[0] ? "X-ClickHouse-User: " : "", c->user, c->user[0] ? "\r\n" : "",
		      c->pass[0] ? "X-ClickHouse-Key: " : "", c->pass, c->pass[0] ? "\r\n" : "");
	if (hn < 0 || (size_t)hn >= sizeof(hdr) || write_all(fd, hdr, (size_t)hn) ||
	    (body && len && write_all(fd, body, len))) {
		snprintf(err, errlen, "%s:%s: sending: %s", c->host, c->port,
			 hn >= (int)sizeof(hdr) ? "statement too long" : strerror(errno));
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t r;

		if (rlen + 4096 > rcap) {
			char *n = realloc(resp, rcap ? rcap * 2 : 65536);

			if (!n)
				break;
			resp = n;
			rcap = rcap ? rcap * 2 : 65536;
		}
		r = recv(fd, resp + rlen, rcap - rlen - 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		rlen += (size_t)r;
		if (rlen > (64u << 20))
			break;
	}
	close(fd);
	if (!resp || sscanf(resp, "HTTP/1.%*d %d", &status) != 1) {
		snprintf(err, errlen, "%s:%s: no HTTP answer", c->host, c->port);
		free(resp);
		return -1;
	}
	resp[rlen] = 0;
	bodyp = strstr(resp, "\r\n\r\n");
	bodyp = bodyp ? bodyp + 4 : resp + rlen;
	if (strcasestr(resp, "\r\nTransfer-Encoding: chunked") && bodyp < resp + rlen)
		dechunk(bodyp, resp + rlen);
	if (out && outlen)
		snprintf(out, outlen, "%s", bodyp);
	if (status != 200) {
		size_t l = strcspn(bodyp, "\r\n");

		snprintf(err, errlen, "HTTP %d: %.*s", status, (int)(l > 400 ? 400 : l), bodyp);
		free(resp);
		return -1;
	}
	free(resp);
	return 0;
}

/* ---- batches from a second thread ---- */
struct job {
	char sql[256];
	char *body;
	size_t len;
};

struct nt_chsend {
	struct nt_chpost *c;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *q;
	int qmax, head, n, done, failed;
	char err[600];
};

static void *sender(void *arg)
{
	struct nt_chsend *s = arg;

	for (;;) {
		struct job j;
		char err[600];
		int rc;

		pthread_mutex_lock(&s->mu);
		while (!s->n && !s->done)
			pthread_cond_wait(&s->cv, &s->mu);
		if (!s->n) {
			pthread_mutex_unlock(&s->mu);
			return NULL;
		}
		j = s->q[s->head]; /* stays queued (counted) until sent */
		pthread_mutex_unlock(&s->mu);
		rc = s->failed ? -1 : nt_chpost(s->c, j.sql, j.body, j.len, NULL, 0, err, sizeof(err));
		free(j.body);
		pthread_mutex_lock(&s->mu);
		if (rc && !s->failed) {
			s->failed = 1;
			snprintf(s->err, sizeof(s->err), "%s", err);
		}
		s->head = (s->head + 1) % s->qmax;
		s->n--;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
	}
}

int nt_chsend_new(struct nt_chsend **out, struct nt_chpost *c, int qmax)
{
	struct nt_chsend *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s || !(s->q = calloc((size_t)qmax, sizeof(*s->q)))) {
		free(s);
		return -1;
	}
	s->c = c;
	s->qmax = qmax;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (pthread_create(&s->th, NULL, sender, s)) {
		free(s->q);
		free(s);
		return -1;
	}
	*out = s;
	return 0;
}

int nt_chsend_post(struct nt_chsend *s, const char *sql, char *body, size_t len)
{
	struct job *j;

	pthread_mutex_lock(&s->mu);
	while (s->n == s->qmax && !s->failed)
		pthread_cond_wait(&s->cv, &s->mu);
	if (s->failed) {
		pthread_mutex_unlock(&s->mu);
		free(body);
		return -1;
	}
	j = &s->q[(s->head + s->n) % s->qmax];
	snprintf(j->sql, sizeof(j->sql), "%s", sql);
	j->body = body;
	j->len = len;
	s->n++;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

int nt_chsend_finish(struct nt_chsend *s, char *err, size_t errlen)
{
	int rc;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->mu);
	s->done = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->th, NULL);
	rc = s->failed ? -1 : 0;
	if (rc)
		snprintf(err, errlen, "%s", s->err);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s->q);
	free(s);
	return rc;
}
