/* SPDX-License-Identifier: GPL-2.0 */
/* util.h - small helpers shared by the tools. */
#ifndef NT_UTIL_H
#define NT_UTIL_H

#include <stddef.h>

/* Read the whole file PATH (also /proc files, whose size is unknown) into a
 * malloc'ed, NUL-terminated buffer; initial_cap is the first allocation.
 * Returns 0 or -errno; *out is owned by the caller. */
int nt_read_file(const char *path, size_t initial_cap, char **out, size_t *outlen);

#endif
