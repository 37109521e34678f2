// SPDX-License-Identifier: GPL-2.0
/* safefile.c - user-named files: regular files only, size-capped reads (safefile.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/safefile.h"

int nt_sf_open(const char *path, int flags)
{
	struct stat st;
	int fd, fl;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		int e = -errno;

		close(fd);
		return e;
	}
	if (S_ISREG(st.st_mode) || (S_ISDIR(st.st_mode) && (flags & NT_SF_DIR_OK))) {
		fl = fcntl(fd, F_GETFL);
		if (fl >= 0)
			fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
		return fd;
	}
	close(fd);
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	return S_ISFIFO(st.st_mode) ? -NT_SF_EFIFO : S_ISCHR(st.st_mode) ? -NT_SF_ECHR :
	       S_ISBLK(st.st_mode) ? -NT_SF_EBLK : S_ISSOCK(st.st_mode) ? -NT_SF_ESOCK : -NT_SF_EOTHER;
}

int nt_sf_read(const char *path, size_t cap, char **out, size_t *outlen)
{
	/* the buffer holds at most CAP + 1 bytes and the NUL: one byte past the
	 * cap tells a file that is too big */
	size_t max = cap < SIZE_MAX - 2 ? cap + 2 : SIZE_MAX;
	size_t bufcap = max < (1 << 16) ? max : 1 << 16, len = 0;
	char *buf;
	int fd = nt_sf_open(path, 0), err = 0;

	if (fd < 0)
		return fd;
	buf = malloc(bufcap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t r;

		if (len == bufcap - 1) {
			size_t nc = bufcap < max / 2 ? bufcap * 2 : max;
			char *nb;

			if (nc <= bufcap) {
				err = -EFBIG;
				break;
			}
			nb = realloc(buf, nc);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			buf = nb;
			bufcap = nc;
		}
		r = read(fd, buf + len, bufcap - 1 - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (!r)
			break;
		len += (size_t)r;
		if (len > cap) {
			err = -EFBIG;
			break;
		}
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[len] = 0;
	*out = buf;
	*outlen = len;
	return 0;
}

const char *nt_sf_strerror(int err)
{
	switch (-err) {
	case NT_SF_EFIFO: return "is a FIFO (named pipe), not a regular file";
	case NT_SF_ECHR: return "is a character device, not a regular file";
	case NT_SF_EBLK: return "is a block device, not a regular file";
	case NT_SF_ESOCK: return "is a socket, not a regular file";
	case NT_SF_EOTHER: return "is not a regular file";
	default: return strerror(err < 0 ? -err : err);
	}
}
