// SPDX-License-Identifier: GPL-2.0
/*
 * attach_kprobe.c - the "kprobe" backend: one classic kprobe (perf-event
 * link) per function, by name, the function's cookie as its bpf_cookie
 * (kernel >= 5.15) or, before (5.10), in a map keyed by the function's
 * addresses (nt_kpa<N>, attach.h).  The slowest backend (each kprobe is
 * registered and, at exit, unregistered on its own); the last resort before
 * tracepoint-only mode.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nft-record/attach.h"
#include "common/bpf_shared.h"
#include "nft-discover/discover.h"
#include "nt.skel.h"

static struct bpf_link **kp_links;
static size_t kp_nlinks;
static bool kp_cookies; /* bpf_cookie per link (>= 5.15), else nt_kpa<N> */

int nt_attach_probe_kprobe(char *why, size_t whylen)
{
	if (access("/sys/bus/event_source/devices/kprobe/type", R_OK) &&
	    access("/sys/kernel/tracing/kprobe_events", F_OK) &&
	    access("/sys/kernel/debug/tracing/kprobe_events", F_OK)) {
		snprintf(why, whylen, "kernel without kprobes (no kprobe PMU, no kprobe_events)");
		return -EOPNOTSUPP;
	}
	if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_KPROBE, NULL) != 1) {
		snprintf(why, whylen, "kprobe BPF programs not supported");
		return -EOPNOTSUPP;
	}
	if (why && whylen)
		snprintf(why, whylen, "%s", nt_attach_kprobe_cookies() ? "" :
			 "no BPF cookies for kprobes (kernel < 5.15): the function is found by "
			 "the probed address");
	return 0;
}

static int kp_prepare(const struct nt_backend_args *a)
{
	bool used[NT_ATTACH_MAX_ARG + 1] = { false };
	char name[16];
	int err;

	for (size_t i = 0; i < a->funcs->n; i++)
		if (nt_attach_eligible(&a->funcs->v[i], NULL, 0))
			used[a->funcs->v[i].arg] = true;
	kp_cookies = nt_attach_kprobe_cookies();
	for (int p = 1; p <= NT_ATTACH_MAX_ARG; p++) {
		snprintf(name, sizeof(name), "nt_kp%d", p);
		err = bpf_program__set_autoload(nt_attach_prog(a, name), kp_cookies && used[p]);
		if (err)
			return err;
	}
	if (!kp_cookies && (err = nt_attach_kpa_prepare(a, used)))
		return err;
	return nt_attach_extra_prepare(a, nt_attach_probe_fentry(NULL, 0) == 0);
}

static int kp_attach(const struct nt_backend_args *a, struct nt_attach_report *rep)
{
	const struct nt_funcs *fs = a->funcs;
	double t0 = nt_attach_now_ms();
	struct bpf_program *progs[NT_ATTACH_MAX_ARG + 1] = { 0 };
	char why[128], name[16];

	memset(rep, 0, sizeof(*rep));
	rep->backend = "kprobe";
	kp_links = calloc(fs->n + 1, sizeof(*kp_links));
	if (!kp_links)
		return -ENOMEM;
	for (int p = 1; p <= NT_ATTACH_MAX_ARG; p++) {
		snprintf(name, sizeof(name), "nt_kp%d", p);
		progs[p] = nt_attach_prog(a, name);
	}
	/* one perf-event fd per kprobe: above the low fd range (attach.h) */
	nt_attach_raise_nofile();
	nt_attach_fd_fill();
	for (size_t i = 0; i < fs->n; i++) {
		const struct nt_func *f = &fs->v[i];
		LIBBPF_OPTS(bpf_kprobe_opts, ko);
		struct bpf_link *l;

		if (f->kind == NT_KIND_TRACEPOINT)
			continue;
		rep->requested++;
		if (!nt_attach_eligible(f, why, sizeof(why))) {
			nt_attach_fail(rep, f->name, why);
			continue;
		}
		ko.bpf_cookie = nt_attach_cookie(f, nt_attach_func_id(i));
		if (kp_cookies)
			l = bpf_program__attach_kprobe_opts(progs[f->arg], f->name, &ko);
		else
			l = nt_attach_kpa(a, f, ko.bpf_cookie);
		if (!l) {
			nt_attach_fail(rep, f->name, strerror(errno));
			continue;
		}
		kp_links[kp_nlinks++] = l;
		rep->attached++;
	}
	nt_attach_fd_unfill();
	rep->attach_ms = nt_attach_now_ms() - t0;
	nt_attach_extra_attach(a, nt_attach_probe_fentry(NULL, 0) == 0);
	if (a->verbose)
		nt_attach_report_print(rep);
	return rep->attached ? 0 : -ENOENT;
}

static void kp_detach(void)
{
	nt_attach_quiesce();
	nt_attach_destroy_links(kp_links, kp_nlinks);
	free(kp_links);
	kp_links = NULL;
	kp_nlinks = 0;
	nt_attach_extra_detach();
}

const struct nt_backend nt_backend_kprobe = {
	.name = "kprobe",
	.probe = nt_attach_probe_kprobe,
	.prepare = kp_prepare,
	.attach = kp_attach,
	.detach = kp_detach,
};
