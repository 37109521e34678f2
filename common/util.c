// SPDX-License-Identifier: GPL-2.0
/* util.c - small helpers shared by the tools (see util.h). */
#include <errno.h>
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
