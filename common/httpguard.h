/* SPDX-License-Identifier: GPL-2.0 */
/*
 * httpguard.h - what nft-record --serve adds to libmicrohttpd 0.9.75 against
 * hostile clients (issue #16).  No libmicrohttpd type here: serve.c feeds it.
 *
 *  - Header deadline.  libmicrohttpd has no deadline for the request line and
 *    header block (its timeout is an idle timeout, reset by every byte) and
 *    calls the handler only once all headers are in: a client trickling one
 *    byte a second holds a connection for ever (slowloris).  Every connection
 *    is registered when it is accepted (MHD_OPTION_NOTIFY_CONNECTION); the
 *    first handler call marks its headers complete; a watchdog thread shuts
 *    down (shutdown(2), the descriptor stays libmicrohttpd's) every connection
 *    whose headers are not complete NT_HG_HEADER_MS after it was accepted.
 *  - Per-address limit that cannot starve others: at most per_addr
 *    connections per client address (IPv6: per /64, IPv4-mapped as IPv4), and
 *    per_addr x 4 < total, so a few addresses never hold every slot; with the
 *    header deadline a slot held by a slow client frees within seconds.
 *  - Ambiguous framing: two Content-Length headers, Content-Length with
 *    Transfer-Encoding, a Transfer-Encoding other than "chunked", a header
 *    name with white space: the server answers 400 and closes the connection
 *    (request smuggling needs two parties to read the framing differently).
 *  - Last-Event-ID: a decimal number; past the last event issued it means
 *    "nothing missed" (never a wrap to 0 that replays everything).
 */
#ifndef NT_HTTPGUARD_H
#define NT_HTTPGUARD_H

#include <stdint.h>
#include <sys/socket.h>

#define NT_HG_HEADER_MS 5000   /* request line + headers complete within */
#define NT_HG_PER_ADDR 8       /* connections per client address (/64) */
#define NT_HG_TOTAL 256        /* connections in all */

struct nt_hg_opts {
	unsigned header_ms;     /* 0 = NT_HG_HEADER_MS */
	unsigned per_addr;      /* 0 = NT_HG_PER_ADDR */
	unsigned total;         /* 0 = NT_HG_TOTAL */
};

struct nt_hg_stats {
	uint64_t refused_addr;  /* over the per-address limit */
	uint64_t refused_total; /* over the total */
	uint64_t timed_out;     /* headers late: shut down */
	unsigned open;          /* registered now */
};

struct nt_hg;

struct nt_hg *nt_hg_new(const struct nt_hg_opts *o);
void nt_hg_free(struct nt_hg *g);        /* stops the watchdog first */

/* A connection CONN (an opaque key: libmicrohttpd's connection) on socket FD
 * from ADDR was accepted at NOW_MS (monotonic).  0: registered; -1: over the
 * address's or the total limit (not registered): the caller closes it. */
int nt_hg_open(struct nt_hg *g, const void *conn, int fd, const struct sockaddr *addr,
	       socklen_t alen, uint64_t now_ms);
/* Its request headers are complete (first handler call): no deadline. */
void nt_hg_headers_done(struct nt_hg *g, const void *conn);
/* Closed (libmicrohttpd's NOTIFY_CLOSED, before it closes the descriptor). */
void nt_hg_close(struct nt_hg *g, const void *conn);
/* shutdown(2) every registered connection whose headers are later than the
 * deadline at NOW_MS; returns how many.  The watchdog calls it every 200 ms. */
unsigned nt_hg_sweep(struct nt_hg *g, uint64_t now_ms);
/* Start / stop the watchdog thread.  0 or -errno. */
int nt_hg_start(struct nt_hg *g);
void nt_hg_stop(struct nt_hg *g);
void nt_hg_get_stats(struct nt_hg *g, struct nt_hg_stats *st);
uint64_t nt_hg_now_ms(void);    /* CLOCK_MONOTONIC in ms */

/* ---- framing: feed every header of a request, then ask ---- */
struct nt_hg_framing {
	unsigned n_cl, n_te;
	int cl_bad;             /* a Content-Length that is not a plain decimal */
	int te_bad;             /* a Transfer-Encoding other than "chunked" */
	int name_bad;           /* white space or control in a header name */
};
void nt_hg_framing_add(struct nt_hg_framing *f, const char *name, const char *value);
/* NULL: unambiguous; else the reason for a 400 ("two Content-Length headers"). */
const char *nt_hg_framing_error(const struct nt_hg_framing *f);

/* Last-Event-ID S against HEAD (the last event id issued so far): 0 and the
 * first id to send in *FROM (S + 1; HEAD + 1 when S is past HEAD), or -1 when
 * S is not a decimal number of at most 20 digits. */
int nt_hg_last_event_id(const char *s, uint64_t head, uint64_t *from);

#endif
