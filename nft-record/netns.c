// SPDX-License-Identifier: GPL-2.0
/* netns.c - see netns.h */
#include <dirent.h>
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

/* a name the label may carry to a terminal and the log as it is: printable
 * ASCII (ip netns add takes any file name; others stay "(host)") */
static int printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* the own namespace's label: its /run/netns name unless it is the init
 * namespace (pid 1's) or has no name there */
static void own_label(struct nt_netns *ns, const struct stat *own)
{
	struct stat st;
	struct dirent *d;
	DIR *dir;

	snprintf(ns->label, sizeof(ns->label), "(host)");
	if (!stat("/proc/1/ns/net", &st) && st.st_dev == own->st_dev && st.st_ino == own->st_ino)
		return;
	dir = opendir("/run/netns");
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		char path[300];

		if (d->d_name[0] == '.' || strlen(d->d_name) >= sizeof(ns->label) || !printable(d->d_name))
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", d->d_name);
		if (!stat(path, &st) && st.st_dev == own->st_dev && st.st_ino == own->st_ino) {
			snprintf(ns->label, sizeof(ns->label), "%s", d->d_name);
			break;
		}
	}
	closedir(dir);
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
	if (ns->name[0])
		snprintf(ns->label, sizeof(ns->label), "%s", ns->name);
	else
		own_label(ns, &st);
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
	return ns->label[0] ? ns->label : ns->name[0] ? ns->name : "(host)";
}
