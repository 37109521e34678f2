// SPDX-License-Identifier: GPL-2.0
/*
 * privs.c - drop the capabilities nft-record no longer needs once its probes
 * and nft tables are in place.
 *
 * Kept (effective + permitted): CAP_BPF, CAP_PERFMON (BPF objects), CAP_SYS_ADMIN
 * (setns into the recorded namespaces to remove the owned tables on exit, BPF on
 * kernels before 5.8), CAP_NET_ADMIN (nftables), CAP_IPC_LOCK and
 * CAP_SYS_RESOURCE (locked ring buffer memory), CAP_DAC_OVERRIDE and
 * CAP_DAC_READ_SEARCH (files under /proc and /sys owned by root).  Everything
 * else (setuid, setgid, chown, sys_module, sys_rawio, syslog: kallsyms is read at
 * start ...) is dropped from the effective, permitted and inheritable sets, and
 * no_new_privs is set.  Applies to the calling thread (the recorder is single
 * threaded once attached).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "nft-record/privs.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static const int keep[] = { CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_NET_ADMIN, CAP_IPC_LOCK,
			    CAP_SYS_ADMIN, CAP_SYS_RESOURCE, CAP_PERFMON, CAP_BPF };

int nt_privs_drop_after_attach(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	uint32_t mask[2] = { 0, 0 };

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		mask[keep[i] / 32] |= 1u << (keep[i] % 32);
	for (int i = 0; i < 2; i++) {
		data[i].effective &= mask[i];
		data[i].permitted &= mask[i];
		data[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return 0;
}
