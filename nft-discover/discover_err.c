// SPDX-License-Identifier: GPL-2.0
/* discover_err.c - see discover_err.h. */
#include <stdarg.h>
#include <stdio.h>

#include "nft-discover/discover_err.h"

void nt_set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}
