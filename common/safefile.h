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

/* Open PATH for reading.  Returns a descriptor (blocking mode, O_CLOEXEC) or
 * -errno: the open's errno, -EISDIR (a directory, without NT_SF_DIR_OK),
 * -EINVAL (a FIFO, device or socket: *WHY says which).  *WHY (may be NULL)
 * gets a phrase for the message: "is a FIFO (named pipe), not a regular file". */
int nt_sf_open(const char *path, int flags, const char **why);

/* Read the regular file PATH whole into a malloc'ed NUL-terminated buffer of
 * at most CAP bytes (-EFBIG when it holds more).  Returns 0 or -errno as
 * nt_sf_open(), -ENOMEM; *WHY as there ("is larger than the limit of N bytes"
 * is left to the caller, who knows the limit). */
int nt_sf_read(const char *path, size_t cap, char **out, size_t *outlen, const char **why);

/* The phrase of an error of the two above: WHY when set, else strerror(-err). */
const char *nt_sf_strerror(int err, const char *why);

#endif
