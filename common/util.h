/* SPDX-License-Identifier: GPL-2.0 */
/* util.h - small helpers shared by the tools. */
#ifndef NT_UTIL_H
#define NT_UTIL_H

#include <stddef.h>

/* Read the whole regular file PATH (also /proc files, whose size is unknown:
 * read to EOF, not by st_size) into a malloc'ed, NUL-terminated buffer of at
 * most NT_READ_FILE_MAX bytes.  FIFOs, devices and sockets are refused
 * without blocking (common/safefile.h).  Returns 0 or a negative code for
 * nt_sf_strerror() (-EFBIG: larger than the cap); *out is owned by the
 * caller.  initial_cap is a hint, unused. */
#define NT_READ_FILE_MAX (256u << 20)
int nt_read_file(const char *path, size_t initial_cap, char **out, size_t *outlen);

/* Grow the array *P of *CAP elements of ELEM bytes to hold at least NEED
 * (doubling from FIRST, or from *CAP when it is not 0); with ZERO the new
 * elements are zeroed.  0, or -ENOMEM (out of memory, or NEED * ELEM would
 * overflow): then *P and *CAP are unchanged. */
int nt_grow(void **p, size_t *cap, size_t need, size_t elem, size_t first, int zero);

#endif
