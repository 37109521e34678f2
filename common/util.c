// SPDX-License-Identifier: GPL-2.0
/* util.c - small helpers shared by the tools (see util.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/util.h"

int nt_read_file(const char *path, size_t initial_cap, char **out, size_t *outlen)
{
	size_t cap = initial_cap < 4096 ? 4096 : initial_cap, len = 0;
	size_t chunk = cap / 16 < 4096 ? 4096 : cap / 16;
	char *buf = malloc(cap);
	int fd = -1, err = 0;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	for (;;) {
		ssize_t r;

		if (cap - len < chunk + 1) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				err = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out;
		}
		if (!r)
			break;
		len += (size_t)r;
	}
	buf[len] = 0;
	*out = buf;
	*outlen = len;
	buf = NULL;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return err;
}
