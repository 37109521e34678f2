// SPDX-License-Identifier: GPL-2.0
/*
 * serve_page.c - nft-record --serve: the web page and the endpoints it adds
 * (see serve_int.h, README "Web page").
 *
 *   GET /, /app.js, /app.css   the page: nft-record/webui/ embedded at build
 *                              time (.incbin); no data in it, so served
 *                              without the token; strict CSP (no inline
 *                              script or style, no other origin)
 *   GET /api/multi-function/packets?after=SEQ[&limit=N]
 *                              completed dropped / rejected packets with
 *                              their journeys (bounded ring, 1024 / 4 MiB)
 *   GET /api/multi-function/log     the finished recording's log (download)
 *   GET /api/multi-function/report  its HTML report (model/report_html.c)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/report_html.h"
#include "model/walk.h"
#include "nft-record/serve_int.h"

/* The page's files, embedded (a NUL follows each). */
#define EMBED(sym, file)                                                             \
	__asm__(".pushsection .rodata\n.balign 16\n.globl " #sym "\n.hidden " #sym "\n" \
		#sym ":\n.incbin \"" file "\"\n.globl " #sym "_end\n.hidden " #sym    \
		"_end\n" #sym "_end:\n.byte 0\n.popsection\n");                       \
	extern const char sym[], sym##_end[]

EMBED(nt_webui_html, "nft-record/webui/index.html");
EMBED(nt_webui_js, "nft-record/webui/app.js");
EMBED(nt_webui_css, "nft-record/webui/app.css");

#define PAGE_CSP "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " \
		 "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

void sv_common_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
}

static const struct page_file {
	const char *url, *type;
	const char *start, *end;
} page_files[] = {
	{ "/", "text/html; charset=utf-8", nt_webui_html, nt_webui_html_end },
	{ "/app.js", "text/javascript; charset=utf-8", nt_webui_js, nt_webui_js_end },
	{ "/app.css", "text/css; charset=utf-8", nt_webui_css, nt_webui_css_end },
	{ "/favicon.ico", NULL, NULL, NULL }, /* 204: no icon, no 404 in the console */
};

enum MHD_Result sv_page(struct srv *s, struct MHD_Connection *c, struct req *q, const char *url,
			const char *method, int *handled)
{
	const struct page_file *f = NULL;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	*handled = 0;
	for (size_t i = 0; i < sizeof(page_files) / sizeof(page_files[0]); i++)
		if (!strcmp(url, page_files[i].url))
			f = &page_files[i];
	if (!f)
		return MHD_NO;
	*handled = 1;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return sv_reply_err(c, q, MHD_HTTP_METHOD_NOT_ALLOWED, NULL,
				    "method %.16s not allowed on %s: use GET", method, f->url);
	resp = MHD_create_response_from_buffer(f->start ? (size_t)(f->end - f->start) : 0,
					       (void *)(f->start ? f->start : ""), MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	sv_common_headers(resp);
	if (f->type) {
		MHD_add_response_header(resp, "Content-Type", f->type);
		MHD_add_response_header(resp, "Content-Security-Policy", PAGE_CSP);
		MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	}
	ret = MHD_queue_response(c, f->type ? MHD_HTTP_OK : MHD_HTTP_NO_CONTENT, resp);
	MHD_destroy_response(resp);
	q->replied = 1;
	(void)s;
	return ret;
}

/* ?NAME=N (0..max), *v unchanged when absent; 0 or -1 (reply sent). */
static int query_u64(struct MHD_Connection *c, const char *name, uint64_t max, uint64_t *v)
{
	const char *t = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
	char *end;
	unsigned long long n;

	if (!t)
		return 0;
	errno = 0;
	n = strtoull(t, &end, 10);
	if (!*t || *end || errno || *t == '-' || *t == '+' || n > max)
		return -1;
	*v = n;
	return 0;
}

enum MHD_Result sv_do_packets(struct srv *s, struct MHD_Connection *c, struct req *q)
{
	uint64_t after = 0, limit = 100;
	char *doc;

	if (query_u64(c, "after", 1ull << 53, &after))
		return sv_reply_err(c, q, MHD_HTTP_BAD_REQUEST, "after",
				    "after: expected the seq of the last packet received (0 = from the first), a number");
	if (query_u64(c, "limit", PKT_REPLY_MAX, &limit) || !limit)
		return sv_reply_err(c, q, MHD_HTTP_BAD_REQUEST, "limit", "limit: expected 1..%u packets",
				    PKT_REPLY_MAX);
	pthread_mutex_lock(&s->mu);
	if (!s->cur) {
		pthread_mutex_unlock(&s->mu);
		return sv_reply_err(c, q, MHD_HTTP_CONFLICT, NULL, "no recording yet: POST " API "start first");
	}
	doc = sv_packets_doc(s->cur, after, (unsigned int)limit);
	pthread_mutex_unlock(&s->mu);
	if (!doc)
		return sv_reply_err(c, q, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, "out of memory");
	return sv_reply_text(c, q, MHD_HTTP_OK, doc, NULL, NULL);
}

/* The finished recording's log path into PATH; 0, else a reply was sent. */
static int finished_log(struct srv *s, struct MHD_Connection *c, struct req *q, char *path,
			size_t len, enum MHD_Result *ret)
{
	struct recording *r;

	pthread_mutex_lock(&s->mu);
	r = s->cur;
	if (!r || sv_rec_active(r) || r->state == ST_FAILED) {
		pthread_mutex_unlock(&s->mu);
		*ret = sv_reply_err(c, q, MHD_HTTP_CONFLICT, NULL, "%s",
				    !r ? "no recording yet: POST " API "start first" :
				    sv_rec_active(r) ? "the recording is still running: POST " API "stop first" :
				    "the last recording did not start: no log");
		return -1;
	}
	snprintf(path, len, "%s", r->output);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static void disposition(char *buf, size_t len, const char *path, const char *suffix)
{
	const char *b = strrchr(path, '/');

	/* names in the serve dir are [A-Za-z0-9._-]: nothing to quote */
	snprintf(buf, len, "attachment; filename=\"%s%s\"", b ? b + 1 : path, suffix);
}

enum MHD_Result sv_do_log(struct srv *s, struct MHD_Connection *c, struct req *q)
{
	char path[PATH_MAX], cd[PATH_MAX + 64];
	struct MHD_Response *resp;
	enum MHD_Result ret;
	struct stat st;
	int fd;

	if (finished_log(s, c, q, path, sizeof(path), &ret))
		return ret;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		int e = fd < 0 ? errno : EINVAL;

		if (fd >= 0)
			close(fd);
		return sv_reply_err(c, q, e == ENOENT ? MHD_HTTP_GONE : MHD_HTTP_INTERNAL_SERVER_ERROR, NULL,
				    "log %.300s: %s", path, e == EINVAL ? "not a regular file" : strerror(e));
	}
	resp = MHD_create_response_from_fd64((uint64_t)st.st_size, fd);
	if (!resp) {
		close(fd);
		return MHD_NO;
	}
	disposition(cd, sizeof(cd), path, "");
	sv_common_headers(resp);
	MHD_add_response_header(resp, "Content-Type", "application/octet-stream");
	MHD_add_response_header(resp, "Content-Disposition", cd);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	q->replied = 1;
	return ret;
}

struct report_ctx {
	struct nt_report_html *rep;
	struct nt_walk *walk;
};

static void rep_record(void *ctx, struct nt_model *m, const struct nt_packet *p,
		       const struct nt_ev_hdr *h)
{
	nt_report_html_record(((struct report_ctx *)ctx)->rep, m, p, h);
}

static void rep_packet(void *ctx, const struct nt_packet *p)
{
	struct report_ctx *rc = ctx;

	nt_report_html_packet(rc->rep, rc->walk->m, p);
}

/* `nft-analyze report LOG -o FILE` into memory: the page, or NULL with err. */
static char *report_page(const char *path, size_t *len, char *err, size_t errlen)
{
	const char *b = strrchr(path, '/');
	struct report_ctx rc = { 0 };
	struct nt_walk w = { 0 };
	char *buf = NULL;
	FILE *f = NULL;
	int st;

	rc.rep = nt_report_html_new(&(struct nt_report_html_opts){ .file = b ? b + 1 : path,
								  .max_packets = 1000 });
	if (!rc.rep) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w.path = path;
	w.keep_events = 1;
	w.on_packet = rep_packet;
	w.on_record = rep_record;
	w.ctx = &rc;
	rc.walk = &w;
	st = nt_walk_log(&w);
	if (st == NT_WALK_BAD || st == NT_WALK_NOMEM || !w.m) {
		snprintf(err, errlen, "%s", st == NT_WALK_NOMEM ? "out of memory" : w.error);
		goto out;
	}
	f = open_memstream(&buf, len);
	if (!f || nt_report_html_write(rc.rep, f, w.m, w.error[0] ? w.error : NULL, w.log_complete)) {
		snprintf(err, errlen, "out of memory");
		if (f)
			fclose(f);
		free(buf);
		buf = NULL;
		goto out;
	}
	if (fclose(f)) {
		snprintf(err, errlen, "out of memory");
		free(buf);
		buf = NULL;
	}
out:
	nt_report_html_free(rc.rep);
	nt_model_free(w.m);
	return buf;
}

enum MHD_Result sv_do_report(struct srv *s, struct MHD_Connection *c, struct req *q)
{
	char path[PATH_MAX], cd[PATH_MAX + 64], err[900];
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t len = 0;
	char *page;

	if (finished_log(s, c, q, path, sizeof(path), &ret))
		return ret;
	pthread_mutex_lock(&s->mu);
	if (s->reports) { /* one at a time: a big log takes a core for a while */
		pthread_mutex_unlock(&s->mu);
		return sv_reply_err(c, q, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
				    "a report is being generated: try again when it is done");
	}
	s->reports++;
	pthread_mutex_unlock(&s->mu);
	page = report_page(path, &len, err, sizeof(err));
	pthread_mutex_lock(&s->mu);
	s->reports--;
	pthread_mutex_unlock(&s->mu);
	if (!page)
		return sv_reply_err(c, q, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, "report of %.300s: %s", path, err);
	resp = MHD_create_response_from_buffer(len, page, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(page);
		return MHD_NO;
	}
	disposition(cd, sizeof(cd), path, ".html");
	sv_common_headers(resp);
	MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
	MHD_add_response_header(resp, "Content-Disposition", cd);
	/* opened anyway (not downloaded): its own origin, nothing of ours reachable */
	MHD_add_response_header(resp, "Content-Security-Policy",
				"sandbox allow-scripts; default-src 'none'; style-src 'unsafe-inline'; "
				"script-src 'unsafe-inline'; img-src data:");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	q->replied = 1;
	return ret;
}
