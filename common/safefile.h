/* SPDX-License-Identifier: GPL-2.0 */
/*
 * safefile.h - reading files named by the user (--config, --kallsyms, --btf,
 * --token): refuse FIFOs, devices and sockets, read with a size cap.
 *
 * A FIFO blocks open() / read() forever, /dev/zero never ends, /dev/stdin may
 * be a terminal; /proc files report st_size 0.  So: open with O_NONBLOCK (an
 * open of a FIFO without writer returns at once), fstat the descriptor, refuse
 * anything that is not a regular file (a directory only when the caller
 * expects one), then read until EOF, at most CAP bytes, never trusting st_size.
 */
#ifndef NT_SAFEFILE_H
#define NT_SAFEFILE_H

#include <stddef.h>

#define NT_SF_DIR_OK 1 /* a directory is fine (returned as an O_RDONLY descriptor) */

/* Errors of their own (negated, beyond every errno): the file is not a
 * regular file.  nt_sf_strerror() names them. */
enum {
	NT_SF_EFIFO = 4097,     /* "is a FIFO (named pipe), not a regular file" */
	NT_SF_ECHR,             /* "is a character device, not a regular file" */
	NT_SF_EBLK,             /* "is a block device, not a regular file" */
	NT_SF_ESOCK,            /* "is a socket, not a regular file" */
	NT_SF_EOTHER,           /* "is not a regular file" */
};

/* Open PATH for reading.  Returns a descriptor (blocking mode, O_CLOEXEC) or
 * a negative code: -errno of open(2), -EISDIR (a directory, without
 * NT_SF_DIR_OK), -NT_SF_E* (a FIFO, device or socket). */
int nt_sf_open(const char *path, int flags);

/* Read the regular file PATH whole into a malloc'ed NUL-terminated buffer of
 * at most CAP bytes (-EFBIG when it holds more).  Returns 0, a code of
 * nt_sf_open(), -ENOMEM or the read's -errno. */
int nt_sf_read(const char *path, size_t cap, char **out, size_t *outlen);

/* The phrase of ERR (negative): ours, else strerror(-err). */
const char *nt_sf_strerror(int err);

#endif
