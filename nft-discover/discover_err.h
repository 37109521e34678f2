/* SPDX-License-Identifier: GPL-2.0 */
/* discover_err.h - the error text of nft-discover's modules: every function
 * that can fail takes (char *err, size_t errlen) and fills it with one line. */
#ifndef NT_DISCOVER_ERR_H
#define NT_DISCOVER_ERR_H

#include <stddef.h>

/* printf-format the message into ERR (LEN bytes, truncated); nothing when
 * ERR is NULL or LEN is 0. */
void nt_set_err(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
