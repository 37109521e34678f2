/* SPDX-License-Identifier: GPL-2.0 */
/*
 * chpost.h - the ClickHouse HTTP interface, as `nft-analyze export --to URL`
 * needs it: one POST per statement (a query, or an INSERT with its rows as
 * the body), HTTP/1.1 with Content-Length, one connection per request.
 * URL: http://[USER[:PASSWORD]@]HOST[:PORT][/] (default port 8123; the user
 * and password go in X-ClickHouse-User / X-ClickHouse-Key).  No TLS: for
 * https use a local proxy or pipe the rows to clickhouse-client.
 */
#ifndef NT_CHPOST_H
#define NT_CHPOST_H

#include <stddef.h>

struct nt_chpost;

/* 0, or -1 with ERR saying why (a bad URL). */
int nt_chpost_new(struct nt_chpost **c, const char *url, char *err, size_t errlen);
void nt_chpost_free(struct nt_chpost *c);
/* POST SQL (URL parameter) with BODY (may be NULL); the answer's body into
 * OUT (NUL-terminated, cut to OUTLEN - 1).  0 when the server answered 200,
 * else -1 with ERR: the connection error or the server's first line. */
int nt_chpost(struct nt_chpost *c, const char *sql, const char *body, size_t len, char *out,
	      size_t outlen, char *err, size_t errlen);

/* Batches posted by a second thread, in order, while the caller prepares the
 * next ones (the exporter's analysis and the server's parsing overlap): at
 * most QMAX batches wait.  nt_chsend_post() takes BODY (freed once sent). */
struct nt_chsend;
int nt_chsend_new(struct nt_chsend **s, struct nt_chpost *c, int qmax);
/* 0, or -1 when a post failed (this one is dropped; nt_chsend_finish says why). */
int nt_chsend_post(struct nt_chsend *s, const char *sql, char *body, size_t len);
/* Wait for every queued batch, stop the thread, free S: 0, or -1 with ERR
 * (the first failure). */
int nt_chsend_finish(struct nt_chsend *s, char *err, size_t errlen);

#endif
