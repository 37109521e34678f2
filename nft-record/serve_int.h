/* SPDX-License-Identifier: GPL-2.0 */
/*
 * serve_int.h - state of nft-record --serve, shared by its files (private to
 * nft-record/serve_*.c):
 *   serve_http.c  HTTP plumbing: libmicrohttpd daemon, request bodies, routes,
 *                 replies, Bearer token, listen address, serve directory
 *   serve_feed.c  the live feed of the running recording: its hooks feed the
 *                 packet model + statistics and a bounded ring of formatted
 *                 events; status / stats documents; server-sent events
 *   serve_api.c   the endpoints: start (request validation), stop, status,
 *                 stats, events
 *   serve_browser.c browser-facing checks: Host (DNS rebinding), Origin /
 *                 Sec-Fetch-Site, Content-Type of state-changing requests
 *   serve_page.c  the web page (GET /, nft-record/webui/ embedded at build
 *                 time) and the endpoints it adds: packets, log, report
 */
#ifndef NT_SERVE_INT_H
#define NT_SERVE_INT_H

#include <limits.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <cjson/cJSON.h>

#include "common/httpguard.h"

#include "model/model.h"
#include "model/stats.h"
#include "nft-record/serve.h"

#define API "/api/multi-function/"
#define TOKEN_MAX 4096
#define TOKEN_MIN 16
#define DISCARD_MAX (1u << 20)      /* chunked body over the limit: read this much, then close */
#define RING_BYTES (8u << 20)       /* formatted events kept for the stream */
#define RING_ENTRIES 65536u
#define SSE_CHUNK (64u << 10)
#define MAX_CONNS NT_HG_TOTAL          /* 256 */
#define MAX_CONNS_PER_IP NT_HG_PER_ADDR /* 8 (IPv6: per /64, counted by the guard) */
#define NAME_MAX_LEN 200
#define FILTER_MAX_LEN 1024
#define PKT_RING_BYTES (4u << 20)   /* completed dropped / rejected packets kept */
#define PKT_RING_ENTRIES 1024u
#define PKT_MAX_RECORDS (64u << 10) /* records of one packet kept (bytes) */
#define PKT_REPLY_MAX 200           /* packets in one /packets answer */

enum rec_state { ST_STARTING, ST_RUNNING, ST_STOPPING, ST_FINISHED, ST_FAILED };
extern const char *const sv_state_names[];

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
	/* completed dropped / rejected packets: struct nt_packet + its records
	 * (seq pkt_first .. pkt_next - 1), formatted when asked for (/packets) */
	char *pkt_data;
	struct ring_ent *pkt_ent;   /* vpos; tlen = record bytes kept; jlen = 1 if cut */
	uint64_t pkt_vhead, pkt_first, pkt_next;
};

struct srv {
	const struct nt_serve_opts *so;
	struct MHD_Daemon *d;
	char dir[PATH_MAX];
	struct sockaddr_storage bound; /* the --serve address (Host check) */
	int reports;                /* /report answers being generated */
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
	struct nt_hg *hg;           /* header deadline, per-address limits (common/httpguard.h) */
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

/* serve_http.c */
void sv_log(const struct srv *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
enum MHD_Result sv_reply_text(struct MHD_Connection *c, struct req *q, unsigned int code,
			      char *text, const char *extra_hdr, const char *extra_val);
enum MHD_Result sv_reply_json(struct MHD_Connection *c, struct req *q, unsigned int code,
			      cJSON *root);
/* cJSON_AddStringToObject with S made valid UTF-8 and its controls visible
 * (common/escape.h, NT_ESC_TEXT): for strings a client chose (field names,
 * filters, paths) and for messages quoting them. */
cJSON *sv_json_str(cJSON *o, const char *key, const char *s);
/* {"error": MSG, "field": FIELD} */
enum MHD_Result sv_reply_err(struct MHD_Connection *c, struct req *q, unsigned int code,
			     const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* serve_feed.c */
int sv_rec_active(const struct recording *r);
void sv_ring_reset(struct srv *s);
/* The hooks, model, statistics and formatting buffer of R: 0 or -ENOMEM. */
int sv_rec_feed_init(struct recording *r);
void *sv_rec_thread(void *arg);
void sv_rec_free(struct recording *r);
cJSON *sv_status_json(struct srv *s, const struct recording *r);
char *sv_stats_doc(struct recording *r, int top);
int sv_sse_put(struct sse_client *c, const char *s, size_t n);
ssize_t sv_sse_read(void *cls, uint64_t pos, char *out, size_t max);
void sv_sse_free(void *cls);

/* serve_feed.c: completed packets of R after seq AFTER as a JSON document
 * (at most LIMIT), NULL when out of memory; call with s->mu held. */
char *sv_packets_doc(struct recording *r, uint64_t after, unsigned int limit);

/* serve_browser.c: 0 when the request may go on, else the HTTP status to
 * answer with and one line in err.  Host: before the token check. */
unsigned int sv_check_host(const struct srv *s, struct MHD_Connection *c, char *err, size_t errlen);
/* Origin / Sec-Fetch-Site of /api/ requests, Content-Type of POSTs. */
unsigned int sv_check_browser(struct MHD_Connection *c, const char *method, char *err,
			      size_t errlen);

/* serve_page.c: the page and its files (no token: no data in them); MHD_NO
 * with *handled = 0 when URL is not one of them */
enum MHD_Result sv_page(struct srv *s, struct MHD_Connection *c, struct req *q, const char *url,
			const char *method, int *handled);
enum MHD_Result sv_do_packets(struct srv *s, struct MHD_Connection *c, struct req *q);
enum MHD_Result sv_do_log(struct srv *s, struct MHD_Connection *c, struct req *q);
enum MHD_Result sv_do_report(struct srv *s, struct MHD_Connection *c, struct req *q);
/* security headers of every answer */
void sv_common_headers(struct MHD_Response *resp);

/* serve_api.c: the endpoints */
enum MHD_Result sv_do_start(struct srv *s, struct MHD_Connection *c, struct req *q);
enum MHD_Result sv_do_stop(struct srv *s, struct MHD_Connection *c, struct req *q);
enum MHD_Result sv_do_status(struct srv *s, struct MHD_Connection *c, struct req *q);
enum MHD_Result sv_do_stats(struct srv *s, struct MHD_Connection *c, struct req *q);
enum MHD_Result sv_do_events(struct srv *s, struct MHD_Connection *c, struct req *q);

#endif
