// SPDX-License-Identifier: GPL-2.0
/* util.c - small helpers shared by the tools (see util.h). */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/safefile.h"
#include "common/util.h"

int nt_read_file(const char *path, size_t initial_cap, char **out, size_t *outlen)
{
	(void)initial_cap; /* nt_sf_read() grows its buffer itself */
	return nt_sf_read(path, NT_READ_FILE_MAX, out, outlen);
}

int nt_grow(void **p, size_t *cap, size_t need, size_t elem, size_t first, int zero)
{
	size_t c = *cap ? *cap : (first ? first : 1);
	void *n;

	if (need <= *cap)
		return 0;
	if (!elem || need > SIZE_MAX / 2 / elem)
		return -ENOMEM;
	while (c < need)
		c *= 2;
	n = realloc(*p, c * elem);
	if (!n)
		return -ENOMEM;
	if (zero)
		memset((char *)n + *cap * elem, 0, (c - *cap) * elem);
	*p = n;
	*cap = c;
	return 0;
}
