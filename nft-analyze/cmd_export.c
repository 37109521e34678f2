// SPDX-License-Identifier: GPL-2.0
/* cmd_export.c - `nft-analyze export --format clickhouse LOG...`: the rows of
 * formats/clickhouse.sql (model/export.c) to stdout (one table), to one file
 * per table (-o DIR) or posted to ClickHouse's HTTP interface in batches
 * (--to URL, chpost.c). */
#include <argp.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/tool.h"
#include "formats/ntlog.h"
#include "model/export.h"
#include "nft-analyze/chpost.h"
#include "nft-analyze/cli.h"
#include "nft-analyze/cmds.h"
#include "nft-analyze/query.h"

enum { O_FORMAT = 400, O_TABLE, O_TO, O_DATABASE, O_BATCH, O_QUIET };

struct xopts {
	struct nt_query q;        /* first: the query child's input */
	const char *format, *table, *dir, *to, *database;
	size_t batch;
	int quiet;
};

static const struct argp_option options[] = {
	{ "format", O_FORMAT, "FMT", 0, "clickhouse (JSONEachRow rows) or clickhouse-tsv (TabSeparated)", 0 },
	{ "table", O_TABLE, "T", 0, "write the rows of table T to stdout: packets, hops, nft_steps, drops", 0 },
	{ "output", 'o', "DIR", 0, "write every table to DIR/T.json (or .tsv)", 0 },
	{ "to", O_TO, "URL", 0, "post the rows to ClickHouse's HTTP interface "
	  "(http://[USER[:PASSWORD]@]HOST[:PORT]/) in batches", 0 },
	{ "database", O_DATABASE, "DB", 0, "--to: the database of formats/clickhouse.sql (default nft)", 0 },
	{ "batch-mb", O_BATCH, "N", 0, "--to: rows per INSERT, in MiB of rows (default 16)", 0 },
	{ "quiet", 'q', NULL, 0, "no summary line on stderr", 0 },
	{ 0 }
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct xopts *o = state->input;
	char *end;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->q;
		break;
	case O_FORMAT:
		if (strcmp(arg, "clickhouse") && strcmp(arg, "clickhouse-tsv"))
			argp_error(state, "--format: use clickhouse or clickhouse-tsv, not '%s'", arg);
		o->format = arg;
		break;
	case O_TABLE: {
		int ok = 0;

		for (int t = 0; t < NT_X__N; t++)
			ok |= !strcmp(arg, nt_xtable_names[t]);
		if (!ok)
			argp_error(state, "--table: use packets, hops, nft_steps or drops, not '%s'", arg);
		o->table = arg;
		break;
	}
	case 'o': o->dir = arg; break;
	case O_TO: o->to = arg; break;
	case O_DATABASE:
		if (!*arg || strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != strlen(arg))
			argp_error(state, "--database: letters, digits and _ only, not '%s'", arg);
		o->database = arg;
		break;
	case O_BATCH: {
		unsigned long v = strtoul(arg, &end, 10);

		if (*end || !v || v > 1024)
			argp_error(state, "--batch-mb: a number from 1 to 1024, not '%s'", arg);
		o->batch = v << 20;
		break;
	}
	case 'q': o->quiet = 1; break;
	case ARGP_KEY_END:
		if (!o->format)
			argp_error(state, "--format clickhouse (or clickhouse-tsv) is needed");
		if (!!o->table + !!o->dir + !!o->to != 1)
			argp_error(state, "choose one destination: --table T (stdout), -o DIR or --to URL");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const char doc[] =
	"Rows for ClickHouse: the tables packets, hops, nft_steps and drops of formats/clickhouse.sql "
	"(schema " NT_EXPORT_SCHEMA ", log format 2), each row with host, boot_id, recording, packet, "
	"netns, the flow key and the wall-clock time.  Logs of several hosts: each log's rows with its "
	"host.  The filters select packets.\n\n"
	"  nft-analyze export --format clickhouse --to http://127.0.0.1:8123/ logs/*.ntl\n"
	"  nft-analyze export --format clickhouse --table drops x.ntl | clickhouse-client -q "
	"'INSERT INTO nft.drops FORMAT JSONEachRow'"
	NT_QUERY_EXIT_DOC;

/* ---- destinations ---- */
struct dest {
	struct xopts *o;
	enum nt_xformat fmt;
	FILE *f[NT_X__N];             /* stdout or files */
	struct nt_out out[NT_X__N];
	struct nt_chpost *ch;
	struct nt_chsend *snd;       /* --to: the thread posting the batches */
	char *buf[NT_X__N];
	size_t len[NT_X__N];
	char err[600];
	int failed;
	struct nt_export *x;
	int host;
	const struct nt_fleet *fl;
};

/* Hand table T's batch to the sender thread; a fresh buffer for the next. */
static int post(struct dest *d, int t)
{
	char sql[256];

	if (!d->len[t])
		return 0;
	snprintf(sql, sizeof(sql), "INSERT INTO %s.%s FORMAT %s", d->o->database, nt_xtable_names[t],
		 d->fmt == NT_XF_JSON ? "JSONEachRow" : "TabSeparated");
	if (nt_chsend_post(d->snd, sql, d->buf[t], d->len[t])) {
		d->buf[t] = NULL;
		d->failed = 1;
		return -1;
	}
	d->len[t] = 0;
	if (!(d->buf[t] = malloc(d->o->batch))) {
		snprintf(d->err, sizeof(d->err), "out of memory");
		d->failed = 1;
		return -1;
	}
	return 0;
}

static int on_row(void *ctx, int t, const char *row, size_t len)
{
	struct dest *d = ctx;

	if (d->failed)
		return -1;
	if (!d->ch) {
		if (d->f[t] && fwrite(row, 1, len, d->f[t]) != len) {
			snprintf(d->err, sizeof(d->err), "writing the output failed: %s", strerror(errno));
			d->failed = 1;
			return -1;
		}
		return 0;
	}
	if (d->len[t] + len > d->o->batch && post(d, t))
		return -1;
	if (len > d->o->batch) { /* a row larger than a batch: a batch of its own */
		char *one = malloc(len), *keep = d->buf[t];

		if (!one) {
			snprintf(d->err, sizeof(d->err), "out of memory");
			d->failed = 1;
			return -1;
		}
		memcpy(one, row, len);
		d->buf[t] = one;
		d->len[t] = len;
		if (post(d, t))
			return -1;
		free(d->buf[t]);
		d->buf[t] = keep;
		return 0;
	}
	memcpy(d->buf[t] + d->len[t], row, len);
	d->len[t] += len;
	return 0;
}

static int dest_open(struct dest *d)
{
	const char *ext = d->fmt == NT_XF_JSON ? "json" : "tsv";
	char path[4096], ans[256];

	if (d->o->table) {
		for (int t = 0; t < NT_X__N; t++)
			if (!strcmp(d->o->table, nt_xtable_names[t]))
				d->f[t] = stdout;
		return 0;
	}
	if (d->o->dir) {
		struct stat st;

		if (stat(d->o->dir, &st) || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "nft-analyze export: %s: %s\n", d->o->dir,
				errno && !S_ISDIR(st.st_mode) ? strerror(errno) : "not a directory");
			return NT_EXIT_USAGE;
		}
		for (int t = 0; t < NT_X__N; t++) {
			snprintf(path, sizeof(path), "%s/%s.%s", d->o->dir, nt_xtable_names[t], ext);
			if (nt_cli_out_open(&d->out[t], "nft-analyze export", path))
				return NT_EXIT_RUNTIME;
			d->f[t] = d->out[t].f;
		}
		return 0;
	}
	if (nt_chpost_new(&d->ch, d->o->to, d->err, sizeof(d->err))) {
		fprintf(stderr, "nft-analyze export: --to %s\n", d->err);
		return NT_EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "SELECT version FROM %s.schema_version", d->o->database);
	if (nt_chpost(d->ch, path, NULL, 0, ans, sizeof(ans), d->err, sizeof(d->err))) {
		fprintf(stderr, "nft-analyze export: %s: %s%s\n", d->o->to, d->err,
			strncmp(d->err, "HTTP ", 5) ? "" : " (load formats/clickhouse.sql first)");
		return NT_EXIT_RUNTIME;
	}
	ans[strcspn(ans, "\r\n")] = 0;
	if (strcmp(ans, NT_EXPORT_SCHEMA)) {
		fprintf(stderr, "nft-analyze export: %s: database %s has schema version '%s', this "
			"nft-analyze writes %s: load its formats/clickhouse.sql\n", d->o->to,
			d->o->database, ans, NT_EXPORT_SCHEMA);
		return NT_EXIT_RUNTIME;
	}
	for (int t = 0; t < NT_X__N; t++)
		if (!(d->buf[t] = malloc(d->o->batch))) {
			fprintf(stderr, "nft-analyze export: out of memory\n");
			return NT_EXIT_RUNTIME;
		}
	if (nt_chsend_new(&d->snd, d->ch, 2)) {
		fprintf(stderr, "nft-analyze export: cannot start the sender thread\n");
		return NT_EXIT_RUNTIME;
	}
	return 0;
}

/* flush / close; RC: the run's code so far */
static int dest_close(struct dest *d, int rc)
{
	int ok = rc == NT_EXIT_OK || rc == NT_EXIT_PARTIAL;

	for (int t = 0; d->snd && ok && !d->failed && t < NT_X__N; t++)
		post(d, t);
	if (d->snd && nt_chsend_finish(d->snd, d->err, sizeof(d->err)))
		d->failed = 1;
	d->snd = NULL;
	if (d->o->dir)
		for (int t = 0; t < NT_X__N; t++) {
			if (!d->out[t].f)
				continue;
			if (nt_out_close(&d->out[t], ok && !d->failed) && ok && !d->failed) {
				snprintf(d->err, sizeof(d->err), "writing %s/%s failed", d->o->dir,
					 nt_xtable_names[t]);
				d->failed = 1;
			}
		}
	if (d->o->table && (fflush(stdout) || ferror(stdout)) && !d->failed) {
		snprintf(d->err, sizeof(d->err), "writing the output failed: %s", strerror(errno));
		d->failed = 1;
	}
	for (int t = 0; t < NT_X__N; t++)
		free(d->buf[t]);
	nt_chpost_free(d->ch);
	if (d->failed && ok) {
		fprintf(stderr, "nft-analyze export: %s%s%s\n", d->ch || d->o->to ? d->o->to : "",
			d->o->to ? ": " : "", d->err);
		return NT_EXIT_RUNTIME;
	}
	return rc;
}

/* ---- the run ---- */
static void on_meta(void *ctx, uint16_t type, const char *json, size_t len)
{
	struct nt_run *r = ctx;
	struct dest *d = r->user;

	if (type == NTL_B_HEADER && d->fl->nsrc == 1) { /* one LOG: identity known only now */
		struct nt_fleet_src *s = (struct nt_fleet_src *)r->src;
		char rec[160];

		nt_ident_parse(&s->id, json, len);
		snprintf(rec, sizeof(rec), "%s:%" PRIu64, s->id.boot_id, s->id.start_mono_ns);
		nt_export_source(d->x, s->id.label, &s->id, s->id.rot_set[0] ? s->id.rot_set : rec);
	}
	nt_export_meta(d->x, type, json, len);
}

static void on_packet(struct nt_run *r, const struct nt_packet *p)
{
	struct dest *d = r->user;

	if (r->w.stop || !nt_run_packet_selected(r, p))
		return;
	if (nt_export_packet(d->x, r->m, p)) {
		if (!d->failed)
			snprintf(d->err, sizeof(d->err), "out of memory");
		d->failed = 1;
		r->w.stop = 1;
	}
}

int cmd_export(int argc, char **argv)
{
	static const struct argp_child children[] = { { &nt_query_argp, 0, NULL, 0 }, { 0 } };
	struct argp ap = { options, parse_opt, "LOG...", doc, children, NULL, NULL };
	struct xopts o = { .database = "nft", .batch = 16u << 20 };
	struct dest d = { .o = &o };
	struct nt_fleet fl;
	struct timespec t0, t1;
	int rc, worst = NT_EXIT_OK;
	uint64_t rows = 0;
	double secs;

	if (nt_query_parse(&o.q, &ap, argc, argv))
		return NT_EXIT_USAGE;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	d.fmt = !strcmp(o.format, "clickhouse") ? NT_XF_JSON : NT_XF_TSV;
	rc = nt_query_fleet(&o.q, &fl);
	if (rc)
		return rc;
	d.fl = &fl;
	{
		unsigned mask = (1u << NT_X__N) - 1;

		for (int t = 0; o.table && t < NT_X__N; t++)
			if (!strcmp(o.table, nt_xtable_names[t]))
				mask = 1u << t;
		d.x = nt_export_new(d.fmt, mask, on_row, &d);
	}
	if (!d.x) {
		nt_fleet_close(&fl);
		fprintf(stderr, "nft-analyze export: out of memory\n");
		return NT_EXIT_RUNTIME;
	}
	rc = dest_open(&d);
	if (rc) {
		worst = dest_close(&d, rc); /* releases what was opened */
		goto out;
	}
	for (int i = 0; i < fl.nsrc && !d.failed; i++) {
		struct nt_run r;
		char rec[160];
		const struct nt_ident *id = &fl.src[i].id;

		if (fl.nsrc > 1) {
			snprintf(rec, sizeof(rec), "%s:%" PRIu64, id->boot_id, id->start_mono_ns);
			nt_export_source(d.x, fl.host[fl.src[i].host].label, id,
					 id->rot_set[0] ? id->rot_set : rec);
		}
		nt_run_init(&r, &o.q, NULL, on_packet);
		r.src = &fl.src[i];
		r.user = &d;
		r.w.on_meta = on_meta;
		rc = nt_run_log(&r, 1);
		rc = nt_run_finish(&r, rc);
		if (rc == NT_EXIT_USAGE || rc == NT_EXIT_RUNTIME) {
			worst = rc;
			break;
		}
		if (rc > worst)
			worst = rc;
	}
	worst = dest_close(&d, worst);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	for (int t = 0; t < NT_X__N; t++)
		rows += nt_export_rows(d.x, t);
	if (!o.quiet && (worst == NT_EXIT_OK || worst == NT_EXIT_PARTIAL))
		fprintf(stderr, "nft-analyze export: %" PRIu64 " rows (packets %" PRIu64 ", hops %" PRIu64
			", nft_steps %" PRIu64 ", drops %" PRIu64 ") from %d log%s of %d host%s in %.2f s "
			"(%.0f rows/s)%s%s\n", rows, nt_export_rows(d.x, NT_X_PACKETS),
			nt_export_rows(d.x, NT_X_HOPS), nt_export_rows(d.x, NT_X_NFT_STEPS),
			nt_export_rows(d.x, NT_X_DROPS), fl.nsrc, fl.nsrc == 1 ? "" : "s", fl.nhost,
			fl.nhost == 1 ? "" : "s", secs, secs > 0 ? (double)rows / secs : 0,
			o.to ? " -> " : "", o.to ? o.to : "");
out:
	nt_export_free(d.x);
	nt_fleet_close(&fl);
	return worst;
}
