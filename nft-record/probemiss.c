// SPDX-License-Identifier: GPL-2.0
/* probemiss.c - runs of our BPF programs the kernel skipped (probemiss.h). */
#include "nft-record/probemiss.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "common/util.h"

static uint64_t field(const char *text, const char *name, int *found)
{
	size_t n = strlen(name);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, name, n) || p[n] != ':')
			continue;
		*found = 1;
		return strtoull(p + n + 1, NULL, 10);
	}
	*found = 0;
	return 0;
}

void nt_probemiss_parse(const char *text, uint32_t *prog_id, uint64_t *misses, int *has_misses)
{
	int found;

	*prog_id = (uint32_t)field(text, "prog_id", &found);
	*misses = field(text, "recursion_misses", has_misses);
}

static int read_fdinfo(int fd, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -1;
	n = read(f, buf, len - 1);
	close(f);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return 0;
}

/* IDS holds the program ids counted (sorted insertion, small sets). */
struct idset {
	uint32_t *v;
	size_t n, cap;
};

static int idset_add(struct idset *s, uint32_t id)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s->v[mid] == id)
			return 0;
		if (s->v[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (nt_grow((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v), 256, 0))
		return -1;
	memmove(s->v + lo + 1, s->v + lo, (s->n - lo) * sizeof(*s->v));
	s->v[lo] = id;
	s->n++;
	return 1;
}

int nt_probemiss_read(uint64_t *total)
{
	struct idset ids = { 0 };
	char link[64], buf[1024];
	struct dirent *de;
	int has_any = 0, ret;
	DIR *d;

	*total = 0;
	d = opendir("/proc/self/fd");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name), prog = 0, has, own;
		char path[64];
		ssize_t n;
		uint32_t id;
		uint64_t m;

		if (de->d_name[0] == '.' || fd == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		if (!strcmp(link, "anon_inode:bpf-prog"))
			prog = 1;
		else if (strcmp(link, "anon_inode:bpf-link"))
			continue;
		if (read_fdinfo(fd, buf, sizeof(buf)))
			continue;
		nt_probemiss_parse(buf, &id, &m, &has);
		if (!id || idset_add(&ids, id) != 1)
			continue; /* counted already (a program of several links) */
		if (!prog) { /* a link: its program's own counters */
			own = bpf_prog_get_fd_by_id(id);
			if (own < 0)
				continue;
			ret = read_fdinfo(own, buf, sizeof(buf));
			close(own);
			if (ret)
				continue;
			nt_probemiss_parse(buf, &id, &m, &has);
		}
		if (has) {
			has_any = 1;
			*total += m;
		}
	}
	closedir(d);
	free(ids.v);
	return has_any ? 0 : -ENOTSUP;
}
