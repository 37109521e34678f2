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

#include "common/tool.h"
#include "model/walk.h"
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
