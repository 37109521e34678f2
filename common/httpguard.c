// SPDX-License-Identifier: GPL-2.0
/* httpguard.c - header deadline, per-address limits, framing and Last-Event-ID
 * checks of the HTTP control API (httpguard.h). */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "common/httpguard.h"

struct hg_conn {
	const void *conn;
	int fd;
	int state;              /* 0 headers pending, 1 headers done, 2 shut down */
	uint64_t start_ms;
	uint8_t key[16];        /* client address (IPv6 /64, IPv4 as ::ffff:a.b.c.d) */
};

struct nt_hg {
	struct nt_hg_opts o;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th;
	int running, stop;
	struct hg_conn *c;
	unsigned n;
	struct nt_hg_stats st;
};

uint64_t nt_hg_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

struct nt_hg *nt_hg_new(const struct nt_hg_opts *o)
{
	struct nt_hg *g = calloc(1, sizeof(*g));
	pthread_condattr_t ca;

	if (!g)
		return NULL;
	if (o)
		g->o = *o;
	if (!g->o.header_ms)
		g->o.header_ms = NT_HG_HEADER_MS;
	if (!g->o.per_addr)
		g->o.per_addr = NT_HG_PER_ADDR;
	if (!g->o.total)
		g->o.total = NT_HG_TOTAL;
	g->c = calloc(g->o.total, sizeof(*g->c));
	if (!g->c) {
		free(g);
		return NULL;
	}
	pthread_mutex_init(&g->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cv, &ca);
	pthread_condattr_destroy(&ca);
	return g;
}

void nt_hg_free(struct nt_hg *g)
{
	if (!g)
		return;
	nt_hg_stop(g);
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g->c);
	free(g);
}

static void addr_key(const struct sockaddr *a, socklen_t len, uint8_t key[16])
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(key, 0, 16);
	if (a && a->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		memcpy(key, v4mapped, 12);
		memcpy(key + 12, &((const struct sockaddr_in *)a)->sin_addr, 4);
	} else if (a && a->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const uint8_t *b = ((const struct sockaddr_in6 *)a)->sin6_addr.s6_addr;

		if (!memcmp(b, v4mapped, 12))
			memcpy(key, b, 16);     /* an IPv4 client of a dual-stack socket */
		else
			memcpy(key, b, 8);      /* the /64: one host or one customer */
	}
}

int nt_hg_open(struct nt_hg *g, const void *conn, int fd, const struct sockaddr *addr,
	       socklen_t alen, uint64_t now_ms)
{
	uint8_t key[16];
	unsigned same = 0;
	int ret = 0;

	addr_key(addr, alen, key);
	pthread_mutex_lock(&g->mu);
	for (unsigned i = 0; i < g->n; i++)
		same += !memcmp(g->c[i].key, key, 16);
	if (same >= g->o.per_addr) {
		g->st.refused_addr++;
		ret = -1;
	} else if (g->n >= g->o.total) {
		g->st.refused_total++;
		ret = -1;
	} else {
		struct hg_conn *c = &g->c[g->n++];

		c->conn = conn;
		c->fd = fd;
		c->state = 0;
		c->start_ms = now_ms;
		memcpy(c->key, key, 16);
	}
	pthread_mutex_unlock(&g->mu);
	return ret;
}

static struct hg_conn *find(struct nt_hg *g, const void *conn)
{
	for (unsigned i = 0; i < g->n; i++)
		if (g->c[i].conn == conn)
			return &g->c[i];
	return NULL;
}

void nt_hg_headers_done(struct nt_hg *g, const void *conn)
{
	struct hg_conn *c;

	pthread_mutex_lock(&g->mu);
	c = find(g, conn);
	if (c && c->state == 0)
		c->state = 1;
	pthread_mutex_unlock(&g->mu);
}

void nt_hg_close(struct nt_hg *g, const void *conn)
{
	struct hg_conn *c;

	pthread_mutex_lock(&g->mu);
	c = find(g, conn);
	if (c)
		*c = g->c[--g->n];
	pthread_mutex_unlock(&g->mu);
}

unsigned nt_hg_sweep(struct nt_hg *g, uint64_t now_ms)
{
	unsigned k = 0;

	pthread_mutex_lock(&g->mu);
	for (unsigned i = 0; i < g->n; i++) {
		struct hg_conn *c = &g->c[i];

		if (c->state == 0 && now_ms > c->start_ms && now_ms - c->start_ms > g->o.header_ms) {
			/* under the lock: NOTIFY_CLOSED (which takes it) comes before
			 * libmicrohttpd closes the descriptor, so FD is still this socket */
			shutdown(c->fd, SHUT_RDWR);
			c->state = 2;
			g->st.timed_out++;
			k++;
		}
	}
	pthread_mutex_unlock(&g->mu);
	return k;
}

static void *watchdog(void *arg)
{
	struct nt_hg *g = arg;

	pthread_mutex_lock(&g->mu);
	while (!g->stop) {
		struct timespec dl;

		clock_gettime(CLOCK_MONOTONIC, &dl);
		dl.tv_nsec += 200 * 1000000L;
		if (dl.tv_nsec >= 1000000000L) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g->cv, &g->mu, &dl);
		if (g->stop)
			break;
		pthread_mutex_unlock(&g->mu);
		nt_hg_sweep(g, nt_hg_now_ms());
		pthread_mutex_lock(&g->mu);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

int nt_hg_start(struct nt_hg *g)
{
	int e;

	if (g->running)
		return 0;
	g->stop = 0;
	e = pthread_create(&g->th, NULL, watchdog, g);
	if (e)
		return -e;
	g->running = 1;
	return 0;
}

void nt_hg_stop(struct nt_hg *g)
{
	if (!g->running)
		return;
	pthread_mutex_lock(&g->mu);
	g->stop = 1;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	pthread_join(g->th, NULL);
	g->running = 0;
}

void nt_hg_get_stats(struct nt_hg *g, struct nt_hg_stats *st)
{
	pthread_mutex_lock(&g->mu);
	*st = g->st;
	st->open = g->n;
	pthread_mutex_unlock(&g->mu);
}

/* ---- framing ---- */
static const char *trim(const char *s, size_t *len)
{
	size_t n = strlen(s);

	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	*len = n;
	return s;
}

void nt_hg_framing_add(struct nt_hg_framing *f, const char *name, const char *value)
{
	size_t n;
	const char *v;

	for (const char *p = name; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			f->name_bad = 1;
	if (!value)
		value = "";
	if (!strcasecmp(name, "Content-Length")) {
		f->n_cl++;
		v = trim(value, &n);
		if (!n || n > 19)
			f->cl_bad = 1;
		for (size_t i = 0; i < n; i++)
			if (v[i] < '0' || v[i] > '9')
				f->cl_bad = 1;
	} else if (!strcasecmp(name, "Transfer-Encoding")) {
		f->n_te++;
		v = trim(value, &n);
		if (n != 7 || strncasecmp(v, "chunked", 7))
			f->te_bad = 1;
	} else if (!strncasecmp(name, "Content-Length", 14) || !strncasecmp(name, "Transfer-Encoding", 17)) {
		f->name_bad = 1; /* "Transfer-Encoding " kept by a lenient parser */
	}
}

const char *nt_hg_framing_error(const struct nt_hg_framing *f)
{
	if (f->name_bad)
		return "a header name with white space or a control character";
	if (f->n_cl > 1)
		return "two Content-Length headers";
	if (f->n_te > 1)
		return "two Transfer-Encoding headers";
	if (f->n_cl && f->n_te)
		return "Content-Length together with Transfer-Encoding";
	if (f->cl_bad)
		return "a Content-Length that is not a decimal number";
	if (f->te_bad)
		return "a Transfer-Encoding other than chunked";
	return NULL;
}

int nt_hg_last_event_id(const char *s, uint64_t head, uint64_t *from)
{
	uint64_t v = 0;
	size_t n = strlen(s);

	if (!n || n > 20)
		return -1;
	for (size_t i = 0; i < n; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9')
			return -1;
		/* saturate: a number past 2^64 - 1 is past any id (nothing missed) */
		v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
	}
	*from = v >= head ? (head == UINT64_MAX ? UINT64_MAX : head + 1) : v + 1;
	return 0;
}
