/* SPDX-License-Identifier: GPL-2.0 */
/*
 * serve.h - `nft-record --serve [ADDR:]PORT`: the prototype's HTTP control API
 * (libmicrohttpd) over the recorder engine (record.c), one recording at a time:
 *
 *   POST /api/multi-function/start   {"max_functions","config","duration","filter","output",
 *                                     "backend","netns"} -> {"id","output","backend"}
 *   POST /api/multi-function/stop    -> final status
 *   GET  /api/multi-function/status  running, events, packets, lost, output size, backend
 *   GET  /api/multi-function/stats   {"stats": ...} as `nft-analyze stats --json` (live)
 *   GET  /api/multi-function/events  server-sent events: the --stream lines
 *                                    (?format=json: the objects of events --ndjson)
 *   GET  /api/multi-function/packets completed dropped / rejected packets + journeys
 *   GET  /api/multi-function/log     the finished recording's log
 *   GET  /api/multi-function/report  its HTML report
 *   GET  /                           the web page over these (nft-record/webui/)
 *
 * Loopback only unless --token FILE (then every request but the page needs
 * "Authorization: Bearer <token>"); Host must name the server (DNS
 * rebinding), POSTs need Content-Type: application/json, a foreign Origin is
 * refused; bodies <= NT_SERVE_MAX_BODY; output and config files are names
 * inside the serve directory.  README "## HTTP control API", "### Web page".
 */
#ifndef NT_SERVE_H
#define NT_SERVE_H

#include "nft-record/record.h"

#define NT_SERVE_DEFAULT_LISTEN "127.0.0.1:5000"
#define NT_SERVE_DEFAULT_DIR "/var/lib/nft-tracer/recordings"
#define NT_SERVE_MAX_BODY 65536

struct nt_serve_opts {
	const char *listen;        /* "[ADDR:]PORT", NULL = NT_SERVE_DEFAULT_LISTEN */
	const char *token_file;    /* NULL = no token (loopback addresses only) */
	const char *dir;           /* NULL = NT_SERVE_DEFAULT_DIR */
	/* recording defaults (backend, netns, ringbuf_size, no_nftrace, verbose,
	 * quiet, and config / max_functions / duration / filter when a request
	 * leaves them out); output, force and hooks must be unset */
	const struct nt_record_opts *defaults;
};

/* Serve until SIGINT / SIGTERM (a running recording is stopped and its log
 * closed first).  Returns an NT_EXIT_* code; one line on stderr on error. */
int nt_serve_run(const struct nt_serve_opts *o);

#endif
