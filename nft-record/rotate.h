/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rotate.h - log rotation (`--rotate SIZE`, `--rotate-every DURATION`,
 * `--max-files N`): when a file is due, the recorder closes it (TRAILER) and
 * opens the next one of the set, a complete log of its own (HEADER with
 * "rotation": {"set", "seq"}, a fresh clock reference, every snapshot).  Files
 * are named BASE-NNNNNN.ntl (BASE: --output without ".ntl", default
 * nft-trace-YYYYMMDD-HHMMSS); with --max-files N the oldest file of the set is
 * removed once a new one is open, so at most N exist.  Only this recorder's own
 * files are ever removed (the names it created, never a glob).  Pure logic:
 * no file is touched here.
 */
#ifndef NT_ROTATE_H
#define NT_ROTATE_H

#include <stddef.h>
#include <stdint.h>


struct nt_rotate_opts {
	uint64_t size;        /* bytes, 0 = no size limit */
	uint64_t every_ns;    /* 0 = no time limit */
	uint32_t max_files;   /* 0 = keep every file */
};

/* "10M", "512k", "1G", "4096" (k/M/G: powers of 1024) -> bytes in [64k, 1T]. */
int nt_rotate_parse_size(const char *s, uint64_t *bytes);
/* "30s", "10m", "1h", "1d" (a unit is required) -> ns in [1 s, 365 d]. */
int nt_rotate_parse_every(const char *s, uint64_t *ns);

struct nt_rotor {
	struct nt_rotate_opts o;
	char base[4000];
	char set[40];         /* 32 hex digits: the set id of the HEADER */
	uint64_t seq;         /* of the current file (1, 2, ...) */
	uint64_t file_start_ns;
	char gone[4096];      /* the file to remove (nt_rotor_opened) */
};

/* OUTPUT: --output or NULL (then DEFAULT_BASE, e.g. nft-trace-20261206-120000).
 * The set id is random (getrandom) unless SET is given (tests).  0 / -errno. */
int nt_rotor_init(struct nt_rotor *r, const struct nt_rotate_opts *o, const char *output,
		  const char *default_base, const char *set);
/* Path of the next file (seq + 1) into BUF. */
void nt_rotor_next_path(const struct nt_rotor *r, char *buf, size_t len);
/* The next file was opened at NOW_NS: seq advances.  Returns the path of the
 * file to remove now (seq - max_files: the oldest beyond max_files; valid until
 * the next call), or NULL. */
const char *nt_rotor_opened(struct nt_rotor *r, uint64_t now_ns);
/* Whether the current file (BYTES written) is due for rotation at NOW_NS. */
int nt_rotor_due(const struct nt_rotor *r, uint64_t bytes, uint64_t now_ns);

#endif
