/* SPDX-License-Identifier: GPL-2.0 */
/* cli.h - helpers of the nft-analyze commands: the LOG argument of argp, the
 * output file written atomically (temp + rename). */
#ifndef NT_CLI_H
#define NT_CLI_H

#include <stdio.h>

struct argp_state;
/* argp tail shared by the one-LOG commands: takes the LOG argument (one only),
 * requires it at the end; returns 0 when KEY was handled, else ARGP_ERR_UNKNOWN. */
int nt_cli_log_arg(struct argp_state *state, int key, char *arg, const char **log);
/* The same with the usage error MISSING when no LOG was given (NULL: the
 * default "missing LOG (an .ntl file written by nft-record)"). */
int nt_cli_log_arg_msg(struct argp_state *state, int key, char *arg, const char **log,
			 const char *missing);

/* Output file: "-" or NULL = stdout; else written to PATH.tmp.XXXXXX (0644)
 * and renamed over PATH by nt_out_close(ok = 1). */
struct nt_out {
	FILE *f;
	char *path, *tmp;
};
int nt_out_open(struct nt_out *o, const char *path);          /* 0 or -errno */
int nt_out_close(struct nt_out *o, int ok);                   /* 0 or -errno */

/* The same for command CMD ("nft-analyze flame"), messages on stderr: */
struct nt_walk;
/* 0, or NT_EXIT_RUNTIME with "CMD: cannot create PATH: why". */
int nt_cli_out_open(struct nt_out *o, const char *cmd, const char *path);
/* A walk status ST that left no usable model: its message, and NT_EXIT_USAGE
 * (unusable log) or NT_EXIT_RUNTIME (out of memory); 0 for the others. */
int nt_cli_walk_failed(const char *cmd, const struct nt_walk *w, int st);
/* Close O, written completely: NT_EXIT_RUNTIME when writing failed,
 * NT_EXIT_PARTIAL when the walk (status ST) ended on damage, else 0. */
int nt_cli_out_done(struct nt_out *o, const char *cmd, const char *path, const struct nt_walk *w,
		    int st);

/* The limit options --max-open-packets ... --max-rule-text (common/limits.h)
 * as an argp child: its input is a struct nt_limits (nt_limits_init() it
 * first). */
extern const struct argp nt_cli_limits_argp;
struct nt_limits;
struct nt_model;
/* After a command's output: when a limit of M was reached, ONE stderr line
 * "nft-analyze: FILE: limit reached: ..." and exit 3 (NT_EXIT_PARTIAL) unless
 * RC is already an error; returns the exit code. */
int nt_cli_limits_done(const char *file, const struct nt_model *m, int rc);

/* The exit codes' paragraph of a one-LOG command's --help; WHAT: what the
 * output has of a damaged log ("the trace holds"). */
#define NT_CLI_EXIT_DOC(what) \
	"\vExit codes: 0 ok; 1 runtime error (out of memory, write error); 2 usage error or unusable " \
	"log; 3 log truncated or corrupt (" what " everything before the damage), or a limit reached " \
	"(--max-*: stderr names it and the flag that raises it)."

#endif
