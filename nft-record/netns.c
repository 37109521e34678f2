// SPDX-License-Identifier: GPL-2.0
/* netns.c - see netns.h */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nft-record/netns.h"

static int self_fd = -1;

static int self_open(void)
{
	if (self_fd < 0)
		self_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	return self_fd < 0 ? -errno : 0;
}

int nt_netns_open(struct nt_netns *ns, const char *name, char *err, size_t errlen)
{
	char path[128];
	struct stat st;
	int err_;

	memset(ns, 0, sizeof(*ns));
	ns->fd = -1;
	err_ = self_open();
	if (err_) {
		snprintf(err, errlen, "cannot open /proc/self/ns/net: %s", strerror(-err_));
		return err_;
	}
	if (!name || !*name) {
		ns->fd = dup(self_fd);
		snprintf(path, sizeof(path), "/proc/self/ns/net");
	} else {
		if (strlen(name) >= sizeof(ns->name) || strchr(name, '/') || name[0] == '.') {
			snprintf(err, errlen, "--netns %s: not a namespace name (see ip netns list)", name);
			return -EINVAL;
		}
		snprintf(ns->name, sizeof(ns->name), "%s", name);
		snprintf(path, sizeof(path), "/run/netns/%s", name);
		ns->fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (ns->fd < 0 || fstat(ns->fd, &st)) {
		err_ = -errno;
		snprintf(err, errlen, "--netns %s: cannot open %s: %s (create it with ip netns add)",
			 name ? name : "", path, strerror(-err_));
		nt_netns_close(ns);
		return err_;
	}
	ns->inum = (uint32_t)st.st_ino;
	return 0;
}

void nt_netns_close(struct nt_netns *ns)
{
	if (ns->fd >= 0)
		close(ns->fd);
	ns->fd = -1;
}

int nt_netns_enter(const struct nt_netns *ns)
{
	return setns(ns->fd, CLONE_NEWNET) ? -errno : 0;
}

int nt_netns_leave(void)
{
	if (self_open())
		return -errno;
	return setns(self_fd, CLONE_NEWNET) ? -errno : 0;
}

const char *nt_netns_label(const struct nt_netns *ns)
{
	return ns->name[0] ? ns->name : "(host)";
}
