// SPDX-License-Identifier: GPL-2.0
/* cli.c - helpers of the nft-analyze commands (cli.h): the LOG argument, the
 * atomically written output file. */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/limits.h"
#include "common/tool.h"
#include "model/walk.h"
#include "model/model.h"
#include "nft-analyze/cli.h"

int nt_out_open(struct nt_out *o, const char *path)
{
	int fd, err;

	memset(o, 0, sizeof(*o));
	if (!path || !strcmp(path, "-")) {
		o->f = stdout;
		return 0;
	}
	o->path = strdup(path);
	if (!o->path || asprintf(&o->tmp, "%s.tmp.XXXXXX", path) < 0) {
		free(o->path);
		o->path = NULL;
		return -ENOMEM;
	}
	fd = mkstemp(o->tmp);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	fchmod(fd, 0644);
	o->f = fdopen(fd, "w");
	if (!o->f) {
		err = -errno;
		close(fd);
		unlink(o->tmp);
		goto fail;
	}
	return 0;
fail:
	free(o->path);
	free(o->tmp);
	o->path = o->tmp = NULL;
	return err;
}

int nt_out_close(struct nt_out *o, int ok)
{
	int err = 0;

	if (!o->f)
		return 0;
	if (o->f == stdout) {
		if (fflush(stdout) || ferror(stdout))
			err = -EIO;
		o->f = NULL;
		return err;
	}
	if (ferror(o->f))
		err = -EIO;
	if (fclose(o->f) && !err)
		err = -errno;
	o->f = NULL;
	if (ok && !err && rename(o->tmp, o->path))
		err = -errno;
	if (!ok || err)
		unlink(o->tmp);
	free(o->path);
	free(o->tmp);
	o->path = o->tmp = NULL;
	return err;
}

int nt_cli_log_arg(struct argp_state *state, int key, char *arg, const char **log)
{
	return nt_cli_log_arg_msg(state, key, arg, log, NULL);
}

int nt_cli_log_arg_msg(struct argp_state *state, int key, char *arg, const char **log,
			 const char *missing)
{
	switch (key) {
	case ARGP_KEY_ARG:
		if (*log)
			argp_error(state, "one LOG only ('%s' is extra)", arg);
		*log = arg;
		return 0;
	case ARGP_KEY_END:
		if (!*log)
			argp_error(state, "%s", missing ? missing : "missing LOG (an .ntl file written by nft-record)");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

int nt_cli_out_open(struct nt_out *o, const char *cmd, const char *path)
{
	int err = nt_out_open(o, path);

	if (!err)
		return 0;
	fprintf(stderr, "%s: cannot create %s: %s\n", cmd, path, strerror(-err));
	return NT_EXIT_RUNTIME;
}

int nt_cli_walk_failed(const char *cmd, const struct nt_walk *w, int st)
{
	if (st != NT_WALK_BAD && st != NT_WALK_NOMEM)
		return 0;
	fprintf(stderr, "%s: %s\n", cmd, w->error);
	return st == NT_WALK_BAD ? NT_EXIT_USAGE : NT_EXIT_RUNTIME;
}

int nt_cli_out_done(struct nt_out *o, const char *cmd, const char *path, const struct nt_walk *w,
		    int st)
{
	int err = nt_out_close(o, 1);

	if (err) {
		fprintf(stderr, "%s: writing %s failed: %s\n", cmd, path ? path : "stdout", strerror(-err));
		return NT_EXIT_RUNTIME;
	}
	if (st == NT_WALK_DAMAGED) {
		fprintf(stderr, "%s: %s\n", cmd, w->error);
		return NT_EXIT_PARTIAL;
	}
	return 0;
}

/* ---- limits (common/limits.h) ---- */
enum { O_LIM_FIRST = 0x4c00 }; /* keys O_LIM_FIRST + limit id */

static const struct argp_option limit_options[] = {
	{ "max-open-packets", O_LIM_FIRST + NT_LIM_OPEN_PACKETS, "N", 0,
	  "packets open at once (default 262144; past it the least recently active is closed early "
	  "as incomplete)", 0 },
	{ "max-packet-records", O_LIM_FIRST + NT_LIM_PACKET_RECORDS, "N", 0,
	  "records of one packet kept for output (default 65536; the rest are counted)", 0 },
	{ "max-kept-bytes", O_LIM_FIRST + NT_LIM_KEPT_BYTES, "SIZE", 0,
	  "bytes of records kept for all open packets (default 256M)", 0 },
	{ "max-meta-blocks", O_LIM_FIRST + NT_LIM_META_BLOCKS, "N", 0,
	  "metadata blocks read per type (default 256)", 0 },
	{ "max-strings", O_LIM_FIRST + NT_LIM_STRINGS, "SIZE", 0,
	  "bytes of metadata (names, rule texts) kept (default 64M)", 0 },
	{ "max-chains", O_LIM_FIRST + NT_LIM_CHAINS, "N", 0, "chain definitions (default 65536)", 0 },
	{ "max-rule-text", O_LIM_FIRST + NT_LIM_RULE_TEXT, "SIZE", 0,
	  "bytes of a rule text printed (default 4096; longer ones are cut with their length)", 0 },
	{ "max-skbs", O_LIM_FIRST + NT_LIM_SKBS, "N", 0,
	  "skb addresses followed at once (default 524288; records of further ones are counted)", 0 },
	{ "max-stacks", O_LIM_FIRST + NT_LIM_STACKS, "N", 0,
	  "distinct kernel stacks kept (default 65536; further ones are counted)", 0 },
	{ "max-ct-conns", O_LIM_FIRST + NT_LIM_CT_CONNS, "N", 0,
	  "connections whose conntrack history is kept (default 65536; further ones are counted)", 0 },
	{ "max-observations", O_LIM_FIRST + NT_LIM_OBSERVATIONS, "N", 0,
	  "journeys of several logs: wire observations of all logs (default 4M; packets past it are "
	  "not stitched)", 0 },
	{ 0 }
};

static error_t limit_opt(int key, char *arg, struct argp_state *state)
{
	struct nt_limits *l = state->input;
	char err[200];

	if (key < O_LIM_FIRST || key >= O_LIM_FIRST + NT_LIM__N)
		return ARGP_ERR_UNKNOWN;
	if (nt_limits_set(l, (enum nt_limit_id)(key - O_LIM_FIRST), arg, err, sizeof(err))) {
		fprintf(stderr, "nft-analyze: %s\n", err);
		exit(NT_EXIT_USAGE);
	}
	return 0;
}

const struct argp nt_cli_limits_argp = { limit_options, limit_opt, NULL, NULL, NULL, NULL, NULL };

int nt_cli_limits_done(const char *file, const struct nt_model *m, int rc)
{
	char msg[1024];

	if (!m || !nt_limits_reached(nt_model_limits(m)) || rc == NT_EXIT_USAGE || rc == NT_EXIT_RUNTIME)
		return rc;
	nt_limits_message(nt_model_limits(m), msg, sizeof(msg));
	fprintf(stderr, "nft-analyze: %s: %s\n", file, msg);
	return rc == NT_EXIT_OK ? NT_EXIT_PARTIAL : rc;
}
