/* SPDX-License-Identifier: GPL-2.0 */
/* extcmds.h - subcommands with their own argp (issue 7): diff, timeline,
 * flame, and report when it writes HTML (-o FILE / --html).  main.c calls
 * nt_ext_cmd() before its own cmds[] table. */
#ifndef NT_EXTCMDS_H
#define NT_EXTCMDS_H

#include <stdio.h>

/* If argv[1] names one of these commands, run it, store its exit code in *rc
 * and return 1; else return 0. */
int nt_ext_cmd(int argc, char **argv, int *rc);
/* Lines for the top-level usage ("  diff       Compare ..."). */
void nt_ext_usage(FILE *f);

#endif
