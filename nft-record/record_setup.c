// SPDX-License-Identifier: GPL-2.0
/* record_setup.c - setting a recording up and taking it down: privileges and
 * kernel features, namespaces, the capture filter's names, the functions to
 * trace, the BPF object, the attach of every source, teardown (record_int.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <net/if.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/escape.h"
#include "common/bpf_shared.h"
#include "common/layers.h"
#include "nft-record/privs.h"
#include "nft-record/record_int.h"
#include "nft-record/snapshot.h"
#include "nft-record/tracepoints.h"
#include "nt.skel.h"

/* The verifier's own reason when a program failed to load: the last line of
 * its log that is not a statistic ("prog NAME: LINE"), for the one error line
 * (libbpf prints the whole log before, at warning level; a VM test or a user
 * shows only the last lines). */
static char verifier_why[300];

static void note_verifier_log(const char *msg)
{
	const char *b = strstr(msg, "-- BEGIN PROG LOAD LOG --\n"), *e, *n, *s, *l;
	const char *name = strstr(msg, "prog '");
	size_t nl = 0;

	if (!b || !(e = strstr(b, "-- END PROG LOAD LOG --")))
		return;
	if (name && name < b) {
		name += 6;
		nl = strcspn(name, "'");
	}
	for (s = b + strlen("-- BEGIN PROG LOAD LOG --\n"), l = NULL; s < e; s = n + 1) {
		if (!(n = memchr(s, '\n', e - s)))
			n = e;
		if (n > s && strncmp(s, "verification time", 17) && strncmp(s, "stack depth", 11) &&
		    strncmp(s, "processed ", 10) && strncmp(s, "max_states", 10))
			l = s;
	}
	if (l) {
		/* the kernel's text goes to a terminal: through the escaping layer */
		char raw[sizeof(verifier_why)];

		snprintf(raw, sizeof(raw), "prog %.*s: %.*s", (int)nl, name ? name : "", (int)strcspn(l, "\n"), l);
		nt_esc_str(NT_ESC_TEXT, verifier_why, sizeof(verifier_why), raw);
	}
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	static int verbose = -1;

	if (verbose < 0)
		verbose = getenv("NT_LIBBPF_DEBUG") ? 2 : 0;
	if (level == LIBBPF_DEBUG && verbose < 2)
		return 0;
	if (level == LIBBPF_INFO && verbose < 1)
		return 0;
	if (level == LIBBPF_WARN && strstr(fmt, "PROG LOAD LOG")) {
		va_list aq;
		int n;
		char *m;

		va_copy(aq, ap);
		n = vsnprintf(NULL, 0, fmt, aq);
		va_end(aq);
		if (n > 0 && (m = malloc((size_t)n + 1))) {
			va_copy(aq, ap);
			vsnprintf(m, (size_t)n + 1, fmt, aq);
			va_end(aq);
			note_verifier_log(m);
			n = fputs(m, stderr);
			free(m);
			return n;
		}
	}
	return vfprintf(stderr, fmt, ap);
}

static int preflight(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };
	int sys_admin, bpf_cap, perfmon, net_admin;

	if (syscall(SYS_capget, &hdr, data)) {
		fprintf(stderr, "nft-record: cannot read process capabilities: %s\n", strerror(errno));
		return NT_EXIT_RUNTIME;
	}
#define HAS(c) (!!(data[(c) / 32].effective & (1u << ((c) % 32))))
	sys_admin = HAS(21);
	net_admin = HAS(12);
	bpf_cap = HAS(39);
	perfmon = HAS(38);
#undef HAS
	if (!sys_admin && !bpf_cap && !net_admin) {
		fprintf(stderr, "nft-record: must run as root (needs CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and CAP_SYS_ADMIN for --netns); try sudo\n");
		return NT_EXIT_PRIV;
	}
	if (!sys_admin && !(bpf_cap && perfmon)) {
		fprintf(stderr, "nft-record: missing CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN): cannot load BPF tracing programs; run as root\n");
		return NT_EXIT_PRIV;
	}
	if (!net_admin) {
		fprintf(stderr, "nft-record: missing CAP_NET_ADMIN: cannot add the nftrace table or read nftables traces; run as root\n");
		return NT_EXIT_PRIV;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr, "nft-record: kernel BTF missing (/sys/kernel/btf/vmlinux: %s): needs a kernel built with CONFIG_DEBUG_INFO_BTF=y\n",
			strerror(errno));
		return NT_EXIT_KERNEL;
	}
	return 0;
}

static int open_namespaces(struct rec *r)
{
	char err[256];

	if (nt_netns_open(&r->ns[0], NULL, err, sizeof(err))) {
		fprintf(stderr, "nft-record: %s\n", err);
		return NT_EXIT_RUNTIME;
	}
	r->nns = 1;
	for (int i = 0; i < r->o->n_netns; i++) {
		struct nt_netns *ns = &r->ns[r->nns];
		int dup = 0;

		if (nt_netns_open(ns, r->o->netns[i], err, sizeof(err))) {
			fprintf(stderr, "nft-record: %s\n", err);
			return NT_EXIT_USAGE;
		}
		for (int j = 0; j < r->nns; j++)
			dup |= r->ns[j].inum == ns->inum;
		if (dup)
			nt_netns_close(ns);
		else
			r->nns++;
	}
	return 0;
}

/* netns / iface predicates of the filter -> inode / ifindex */
static int resolve_filter(struct rec *r)
{
	struct nt_filter *f = &r->flt.bpf;
	int found = 0;

	if (r->flt.netns[0]) {
		struct nt_netns want;
		char err[256];
		int idx = -1;

		if (nt_netns_open(&want, r->flt.netns, err, sizeof(err))) {
			fprintf(stderr, "nft-record: --filter netns %s: no such namespace (/run/netns/%s; see ip netns list)\n",
				r->flt.netns, r->flt.netns);
			return NT_EXIT_USAGE;
		}
		nt_netns_close(&want);
		for (int i = 0; i < r->nns; i++)
			if (r->ns[i].inum == want.inum)
				idx = i;
		if (idx < 0) {
			fprintf(stderr, "nft-record: --filter netns %s: add --netns %s too (namespace not recorded)\n",
				r->flt.netns, r->flt.netns);
			return NT_EXIT_USAGE;
		}
		f->netns = want.inum;
	}
	if (r->flt.iface[0]) {
		for (int i = 0; i < r->nns && !found; i++) {
			unsigned int idx;

			if (f->netns && r->ns[i].inum != f->netns)
				continue;
			if (nt_netns_enter(&r->ns[i]))
				continue;
			idx = if_nametoindex(r->flt.iface);
			nt_netns_leave();
			if (idx) {
				f->ifindex = idx;
				found = 1;
			}
		}
		if (!found) {
			fprintf(stderr, "nft-record: --filter iface %s: no such interface in the recorded namespaces\n",
				r->flt.iface);
			return NT_EXIT_USAGE;
		}
	}
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/*
 * A packet starts where its skb is built and ends where it is freed: the
 * functions with those roles (common/layers.c, bpf/func.bpf.h) are traced
 * whatever the selection, or a locally built skb would carry on the packet
 * that last used its memory.  0 or NT_EXIT_RUNTIME.
 */
static int add_role_funcs(struct rec *r)
{
	size_t extra = 0, n = r->sel.n;
	struct nt_func *v;

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < r->all.n; i++) {
			const struct nt_func *f = &r->all.v[i];
			int role = nt_func_role(f->name, 0), have = 0;

			if ((role != NT_ROLE_ALLOC && role != NT_ROLE_FREE) ||
			    !nt_attach_eligible(f, NULL, 0))
				continue;
			for (size_t j = 0; j < n && !have; j++)
				have = !strcmp(r->sel.v[j].name, f->name);
			if (have)
				continue;
			if (!pass) {
				extra++;
				continue;
			}
			v = &r->sel.v[r->sel.n++];
			*v = *f;
			if (!r->sel_shallow) {
				v->name = strdup(f->name);
				v->module = dup_or_null(f->module);
				v->via = dup_or_null(f->via);
				v->alias = dup_or_null(f->alias);
				v->addrs = f->naddrs ? malloc(f->naddrs * sizeof(*v->addrs)) : NULL;
				if (!v->name || (f->naddrs && !v->addrs))
					return NT_EXIT_RUNTIME;
				if (f->naddrs)
					memcpy(v->addrs, f->addrs, f->naddrs * sizeof(*v->addrs));
			}
		}
		if (!pass) {
			if (!extra)
				return 0;
			v = realloc(r->sel.v, (n + extra) * sizeof(*v));
			if (!v)
				return NT_EXIT_RUNTIME;
			r->sel.v = v;
		}
	}
	nt_record_say(r, "nft-record: %zu skb allocation / free functions added (a packet starts and ends there)\n",
		      extra);
	return 0;
}

static int load_functions(struct rec *r)
{
	struct nt_discover_opts dopt = { .sz = sizeof(dopt) };
	char err[512];
	/* auto-discovery: every probe-able function with kprobe-multi (one link,
	 * attach and detach in about a second), the prototype's 50 of priority
	 * <= 1 with one link per function (fentry, kprobe: slow to detach) */
	bool all = !r->o->max_functions && r->fb && r->fb->one_link;
	int max = r->o->max_functions ? r->o->max_functions : all ? 0 : DEFAULT_MAX_FUNCS;

	r->max_eff = r->o->config ? r->o->max_functions : max;
	size_t *idx = NULL, n;
	int ret;

	if (!r->fb) {
		if (r->o->config) {
			struct nt_funcs cfg = { 0 };

			ret = nt_trace_config_load(r->o->config, NULL, &cfg, err, sizeof(err));
			if (ret < 0) {
				fprintf(stderr, "nft-record: --config %s: %s\n", r->o->config, err);
				return NT_EXIT_USAGE;
			}
			nt_record_say(r, "nft-record: %zu functions in %s are not traced in tracepoint mode\n",
			    cfg.n, r->o->config);
			nt_funcs_free(&cfg);
		}
		return 0;
	}
	ret = nt_discover(&dopt, &r->all, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "nft-record: function discovery failed: %s\n", err);
		return ret == -ENOMEM ? NT_EXIT_RUNTIME : NT_EXIT_KERNEL;
	}
	if (r->o->config) {
		ret = nt_trace_config_load(r->o->config, &r->all, &r->sel, err, sizeof(err));
		if (ret < 0) {
			fprintf(stderr, "nft-record: --config %s: %s\n", r->o->config, err);
			return NT_EXIT_USAGE;
		}
		if (ret > 0)
			nt_record_say(r, "nft-record: %s\n", err);
		while (r->o->max_functions && r->sel.n > (size_t)max) {
			struct nt_func *f = &r->sel.v[--r->sel.n]; /* owned by sel: free the tail */

			free(f->name);
			free(f->module);
			free(f->addrs);
			free(f->via);
			free(f->alias);
		}
		return add_role_funcs(r);
	}
	idx = calloc(r->all.n ? r->all.n : 1, sizeof(*idx));
	if (!idx)
		return NT_EXIT_RUNTIME;
	n = nt_funcs_select(&r->all, max, all ? NT_PRIO_MAX : 1, 0, true, idx);
	r->sel.v = calloc(n ? n : 1, sizeof(*r->sel.v));
	if (!r->sel.v) {
		free(idx);
		return NT_EXIT_RUNTIME;
	}
	for (size_t i = 0; i < n; i++)
		r->sel.v[i] = r->all.v[idx[i]];
	r->sel.n = n;
	r->sel_shallow = 1;
	free(idx);
	nt_record_say(r, "nft-record: auto-discovery: %zu skb functions, tracing %zu (%s)\n", r->all.n, n,
	    all ? "every probe-able one" : "priority <= 1");
	return add_role_funcs(r);
}

/* --stack: the BPF stack map's size and frame count (bpf/stack.bpf.h); a
 * stack map is one entry when stacks are off.  Its value holds at most
 * kernel.perf_event_max_stack frames. */
static void set_stacks(struct rec *r)
{
	FILE *f = fopen("/proc/sys/kernel/perf_event_max_stack", "r");
	unsigned int depth = NT_STACK_MAX_FRAMES;

	if (f) {
		if (fscanf(f, "%u", &depth) != 1 || depth > NT_STACK_MAX_FRAMES)
			depth = NT_STACK_MAX_FRAMES;
		fclose(f);
	}
	if (!depth)
		depth = 1;
	r->stack_entries = r->o->stack_mode == NT_STACK_OFF ? 1 : NT_STACK_MAP_ENTRIES;
	r->skel->rodata->nt_stack_mode = r->o->stack_mode;
	bpf_map__set_max_entries(r->skel->maps.nt_stackmap, r->stack_entries);
	bpf_map__set_value_size(r->skel->maps.nt_stackmap, depth * sizeof(uint64_t));
	/* --conntrack (bpf/ct.bpf.h): the last entry seen per skb address */
	r->skel->rodata->nt_ct_on = !!r->o->conntrack;
	if (!r->o->conntrack)
		bpf_map__set_max_entries(r->skel->maps.nt_cts, 1);
	/* --capture-bytes (bpf/bytes.bpf.h) */
	r->skel->rodata->nt_capture_bytes = r->o->capture_bytes;
	if (!r->o->capture_bytes)
		bpf_map__set_max_entries(r->skel->maps.nt_bsigs, 1);
}

/* skb_release_data's text for bpf/tp.bpf.h's kfree_skb program: from its
 * kallsyms address to the next symbol's (nothing when kallsyms is unreadable) */
static void set_release_data(struct rec *r)
{
	const struct nt_ksym *s = NULL;
	uint64_t lo, hi = UINT64_MAX;

	if (!r->ksyms || nt_ksyms__by_name(r->ksyms, "skb_release_data", &s, 1) != 1 || !s->addr)
		return;
	lo = s->addr;
	for (size_t i = 0; i < nt_ksyms__count(r->ksyms); i++) {
		const struct nt_ksym *k = nt_ksyms__get(r->ksyms, i);

		if (k->addr > lo && k->addr < hi)
			hi = k->addr;
	}
	if (hi == UINT64_MAX || hi - lo > 0x10000)
		return;
	r->skel->rodata->nt_srd_lo = lo;
	r->skel->rodata->nt_srd_hi = hi;
}

static int open_bpf(struct rec *r)
{
	struct nt_backend_args a = { .funcs = &r->sel, .verbose = r->o->verbose };
	struct bpf_program *p;
	size_t rbsz = r->o->ringbuf_size ? r->o->ringbuf_size : DEFAULT_RINGBUF;
	char msg[256];
	int err, slots;

	r->skel = nt_bpf__open();
	if (!r->skel) {
		fprintf(stderr, "nft-record: cannot open the BPF object: %s\n", strerror(errno));
		return NT_EXIT_RUNTIME;
	}
	a.skel = r->skel;
	set_release_data(r);
	bpf_map__set_max_entries(r->skel->maps.nt_events, rbsz);
	memcpy((void *)&r->skel->rodata->nt_cfg, &r->flt.bpf, sizeof(r->flt.bpf));
	/* records wake the loop (which polls every NT_POLL_MS) only past a quarter of the ring */
	r->skel->rodata->nt_wakeup_bytes = rbsz / 4;
	set_stacks(r);
	nt_record_valve_setup(r); /* --max-events-per-s */
	nt_record_keep_bpf(r);    /* --keep in the kernel */
	bpf_object__for_each_program(p, r->skel->obj)
		bpf_program__set_autoload(p, false);
	err = nt_backend_tracepoint.prepare(&a);
	if (!err && r->fb && r->fb->prepare)
		err = r->fb->prepare(&a);
	/* nftables' trace messages into the ring (nftrace.c clones it per socket) */
	if (!err)
		err = bpf_program__set_autoload(r->skel->progs.nt_nlmsg, true);
	if (!err) {
		const struct nt_tp_desc *tp;

		/* FUNCS id of the allocator probes: after every tracepoint and function */
		r->alloc_func_id = (uint32_t)(r->sel.n + nt_tp_list(&tp));
		r->skel->rodata->nt_alloc_func_id = r->alloc_func_id;
	}
	if (err) {
		fprintf(stderr, "nft-record: backend preparation failed: %s\n", strerror(-err));
		return NT_EXIT_RUNTIME;
	}
	/* the pcap part of --filter into every program's filter slot */
	err = nt_capfilter_patch(&r->flt, r->skel->obj, msg, sizeof(msg));
	if (err < 0 || (r->flt.block && !err)) {
		fprintf(stderr, "nft-record: --filter: %s\n", err < 0 ? msg : "the BPF object has no filter slot");
		return NT_EXIT_RUNTIME;
	}
	slots = err;
	if (r->flt.block && r->o->verbose)
		nt_record_say(r, "nft-record: --filter: %zu eBPF instructions in %d filter slots\n",
			      r->flt.block_n, slots);
	verifier_why[0] = 0;
	err = nt_bpf__load(r->skel);
	if (err && r->kkeep && err != -EPERM && !nt_record_keep_refused(r, err)) /* --keep: in user space */
		return nt_bpf__destroy(r->skel), r->skel = NULL, open_bpf(r);
	if (err && err != -EPERM && !strncmp(verifier_why, "prog nt_nft_", 12) && !nt_attach_nft_off()) {
		/* the others without them: nft steps from nftables' own trace */
		nt_record_say(r, "nft-record: note: the kernel refused the nftables probes (%s): nftables verdicts from nftables' own trace, not from BPF\n",
			      verifier_why);
		return nt_bpf__destroy(r->skel), r->skel = NULL, open_bpf(r);
	}
	if (err && r->flt.block && err != -EPERM) {
		/* the same programs load without a filter (tested on every kernel):
		 * the expression's code is what the verifier refused */
		fprintf(stderr, "nft-record: --filter: the kernel's verifier refused the programs carrying the "
			"expression (%zu eBPF instructions in %d filter slots): %s; the verifier bounds each "
			"program's complexity (1,000,000 verified instructions): simplify the expression%s%s\n",
			r->flt.block_n, slots, strerror(-err), verifier_why[0] ? "; the verifier: " : "",
			verifier_why);
		return NT_EXIT_USAGE;
	}
	if (err) {
		fprintf(stderr, "nft-record: cannot load the BPF programs: %s%s%s%s\n", strerror(-err),
			err == -EPERM ? " (missing CAP_BPF / CAP_PERFMON?)" : "",
			verifier_why[0] ? "; the verifier: " : "", verifier_why);
		return err == -EPERM ? NT_EXIT_PRIV : NT_EXIT_KERNEL;
	}
	if (r->kkeep) {
		char why[200];

		/* the kernel keep judges on the nftables probes' steps: they
		 * attach first, all or none (else user space decides, the steps
		 * from netlink); quiet until every probe is attached */
		r->skel->bss->nt_off = 1;
		if (nt_attach_nft_now(r->skel, why, sizeof(why)) && !nt_record_keep_nft_failed(r, why))
			return nt_bpf__destroy(r->skel), r->skel = NULL, open_bpf(r);
	}
	if ((err = nt_record_keep_loaded(r))) /* --keep in the kernel: its buffers */
		return err;
	if (nt_kstacks_init(&r->stk, r->o->stack_mode == NT_STACK_OFF ? -1 :
			    bpf_map__fd(r->skel->maps.nt_stackmap), r->stack_entries)) {
		fprintf(stderr, "nft-record: out of memory\n");
		return NT_EXIT_RUNTIME;
	}
	return 0;
}

static int attach_all(struct rec *r)
{
	struct nt_backend_args a = { .skel = r->skel, .funcs = &r->sel, .verbose = r->o->verbose };
	int err;

	err = nt_backend_tracepoint.attach(&a, &r->rep_tp);
	if (err) {
		fprintf(stderr, "nft-record: cannot attach any tracepoint: %s\n",
			r->rep_tp.first_failures);
		return NT_EXIT_KERNEL;
	}
	if (r->rep_tp.failed)
		nt_record_say(r, "nft-record: %u of %u tracepoints failed: %s\n", r->rep_tp.failed,
		    r->rep_tp.requested, r->rep_tp.first_failures);
	if (r->fb) {
		err = r->fb->attach(&a, &r->rep_fn);
		if (err) {
			fprintf(stderr, "nft-record: backend %s attached no function: %s\n", r->fb->name,
				r->rep_fn.first_failures);
			return NT_EXIT_RUNTIME;
		}
		char fb[48] = "";

		if (r->rep_fn.fallback) /* fentry: functions no trampoline takes */
			snprintf(fb, sizeof(fb), " (%u by kprobe)", r->rep_fn.fallback);
		nt_record_say(r, "nft-record: %s: %u/%u functions attached in %.1f ms%s%s%s\n", r->fb->name,
		    r->rep_fn.attached, r->rep_fn.requested, r->rep_fn.attach_ms, fb,
		    r->rep_fn.failed ? "; failures: " : "", r->rep_fn.failed ? r->rep_fn.first_failures : "");
	}
	return 0;
}

static void default_output(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(buf, len, "nft-trace-%Y%m%d-%H%M%S.ntl", &tm);
}

/*
 * The helper that detaches a CLI recording's probes after nft-record has
 * exited.  One link per function (fentry, kprobe): the kernel's detach of
 * hundreds of them is slow (6.1 fentry: an RCU-tasks grace period each, ~4
 * minutes for 1,800 under QEMU), while the log is complete.  The child holds
 * the same link fds; it leaves the session (no terminal signals, no pipe kept
 * open on stdin/stdout/stderr), waits until the parent is gone - the parent's
 * exit then only dropped references -, then detaches and exits.  The probes
 * record nothing meanwhile (nt_off).  kill -9 of the helper leaves nothing
 * either: its exit closes the links.  Returns the child's pid, or -errno
 * (the caller detaches in place).
 */
static int detach_in_helper(struct rec *r)
{
	pid_t parent = getpid(), pid;
	int null;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid != 0)
		return pid < 0 ? -errno : (int)pid;
	setsid();
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	null = open("/dev/null", O_RDWR);
	for (int fd = 0; fd < 3 && null >= 0; fd++)
		dup2(null, fd);
	if (null > 2)
		close(null);
	while (getppid() == parent) /* reparented once the parent has exited */
		usleep(20000);
	nt_attach_set_detach_threads(1); /* leave ftrace's locks to other recordings in turn */
	r->fb->detach();
	nt_backend_tracepoint.detach();
	_exit(0);
}

void nt_record_teardown(struct rec *r)
{
	/* one link per function (fentry, kprobe): the kernel's detach of
	 * hundreds of them is slow (6.1 fentry: an RCU-tasks grace period each) */
	bool slow = r->fb && r->fb->detach && r->rep_fn.attached >= 200 &&
		    !r->fb->one_link;
	uint64_t t0 = nt_mono_ns();
	int helper = 0;

	/* the nft tables first (already closed on a normal stop): a helper
	 * forked below must not hold their sockets or guard pipes */
	for (int i = 0; i < r->ntr; i++)
		nt_nftrace_close(&r->tr[i]);
	r->ntr = 0;
	/* CLI recordings return at once: a helper process detaches (the
	 * --serve daemon keeps its capabilities and detaches in place) */
	if (r->fb && r->fb->detach && !r->fb->one_link && r->rep_fn.attached && !r->o->keep_caps)
		helper = detach_in_helper(r);
	if (helper > 0) {
		nt_record_say(r, "nft-record: %u %s probes detach in the background (helper pid %d; "
			      "the log is complete)\n", r->rep_fn.attached, r->fb->name, helper);
		goto detached;
	}
	if (slow)
		nt_record_say(r, "nft-record: detaching %u %s probes (the log is complete; the kernel takes its time)...\n",
		    r->rep_fn.attached, r->fb->name);
	if (r->fb && r->fb->detach)
		r->fb->detach();
	if (slow)
		nt_record_say(r, "nft-record: detached in %.1f s\n", (nt_mono_ns() - t0) / 1e9);
	nt_backend_tracepoint.detach();
detached:
	nt_ringrd_close(r->ring);
	r->ring = NULL;
	nt_bpf__destroy(r->skel);
	r->skel = NULL;
	nt_corr_free(r->corr);
	nt_capfilter_free(&r->flt);
	r->corr = NULL;
	nt_chains_free(r->chains);
	r->chains = NULL;
	for (int i = 0; i < r->nns; i++)
		nt_netns_close(&r->ns[i]);
	if (r->sel_shallow)
		free(r->sel.v);
	else
		nt_funcs_free(&r->sel);
	nt_funcs_free(&r->all);
	nt_ksyms__free(r->ksyms);
	nt_kstacks_free(&r->stk);
	nt_mergeq_free(&r->mq);
	nt_record_keep_free(r);
}

/* Phase 1: everything before the log's first block, the log file opened.
 * NT_EXIT_* (message printed). */
int nt_record_setup(struct rec *r)
{
	const struct nt_record_opts *o = r->o;
	/* 512 KiB EVENTS blocks: the row, column and output buffers and the zstd
	 * workspace take ~1.5 MB less RSS than with the 1 MiB default, for ~7 %
	 * more bytes (256 KiB: 3 MB less, but 30 % more bytes) */
	struct ntl_writer_opts wo = { .sz = sizeof(wo), .force = o->force, .block_bytes = 512 << 10 };
	char err[600];
	int ret, e;

	libbpf_set_print(libbpf_print);
	r->debug_ring = getenv("NT_DEBUG_RING") != NULL;
	e = nt_capfilter_parse(o->filter, &r->flt, err, sizeof(err));
	if (e) {
		fprintf(stderr, "nft-record: %s\n", err);
		return e == -ENOMEM ? NT_EXIT_RUNTIME : NT_EXIT_USAGE;
	}
	ret = preflight();
	if (!ret)
		ret = open_namespaces(r);
	if (!ret)
		ret = resolve_filter(r);
	if (ret)
		return ret;
	if (r->flt.bpf.flags & (NT_FLT_IFINDEX | NT_FLT_NETNS))
		nt_record_say(r, "nft-record: note: --filter iface / netns match where a packet is first seen (its first device and namespace), not where it goes later\n");
	e = nt_backend_select(o->backend ? o->backend : "auto", 1, &r->fb, r->backend_why,
			      sizeof(r->backend_why));
	if (e) {
		fprintf(stderr, "nft-record: %s\n", r->backend_why);
		return e == -EINVAL ? NT_EXIT_USAGE : NT_EXIT_KERNEL;
	}
	nt_record_say(r, "nft-record: %s\n", r->backend_why);
	ret = load_functions(r);
	if (!ret)
		ret = nt_record_keep_setup(r);
	if (ret)
		return ret;
	r->ncpus = libbpf_num_possible_cpus();
	if (r->ncpus <= 0 || r->ncpus > MAX_CPUS)
		r->ncpus = r->ncpus <= 0 ? 1 : MAX_CPUS;
	if (nt_mergeq_init(&r->mq, MERGEQ_LEN, nt_record_sorted_emit, r)) {
		fprintf(stderr, "nft-record: out of memory\n");
		return NT_EXIT_RUNTIME;
	}
	if (nt_ksyms__load("/proc/kallsyms", &r->ksyms))
		r->ksyms = NULL; /* KSYMS block stays empty */
	nt_attach_nft_reset();
	ret = open_bpf(r);
	if (r->ksyms)
		nt_ksyms__compact(r->ksyms); /* only address lookups: ~5 MB less RSS */
	if (ret)
		return ret;

	if (o->output)
		snprintf(r->out_path, sizeof(r->out_path), "%s", o->output);
	else
		default_output(r->out_path, sizeof(r->out_path));
	ret = nt_record_rotate_init(r, r->out_path); /* --rotate: BASE-000001.ntl */
	if (ret)
		return ret;
	e = ntl_writer_open(&r->w, r->out_path, &wo);
	if (e) {
		fprintf(stderr, "nft-record: %s\n", ntl_writer_open_error());
		return NT_EXIT_USAGE;
	}
	r->start_ns = nt_mono_ns();
	if (r->rotating)
		nt_rotor_opened(&r->rot, r->start_ns);
	snprintf(r->own_table, sizeof(r->own_table), NT_TRACE_TABLE_PREFIX "%d", (int)getpid());
	return 0;
}

static int corr_left_out(void *ctx, const struct nt_trace_msg *m)
{
	return nt_capfilter_left_out(ctx, m);
}

/* Phase 3 (after the metadata): correlation, ring buffer, every probe and
 * the nftrace tables; then the consumers learn that the recording runs.
 * NT_EXIT_* (message printed). */
int nt_record_attach(struct rec *r)
{
	const struct nt_record_opts *o = r->o;
	struct nt_corr_opts co = { .sz = sizeof(co), .chain = nt_record_corr_chain,
				   .emit = nt_record_corr_emit, .ctx = r, .defer_inferred = 1,
				   /* trace steps of packets BPF left out (--filter) or
				    * shed (--max-events-per-s) are not written */
				   .drop_unmatched = r->flt.bpf.flags != 0 || o->max_events_per_s,
				   .left_out = r->flt.bpf.flags && !o->max_events_per_s ?
					       corr_left_out : NULL,
				   .left_out_ctx = &r->flt };
	uint64_t t_attach0, t_attach1;
	char err[600];
	int ret, e;

	if (nt_corr_new(&co, &r->corr))
		return NT_EXIT_RUNTIME;
	/* libbpf rounded the size up to a power of 2 pages */
	e = nt_ringrd_open(bpf_map__fd(r->skel->maps.nt_events),
			   bpf_map__max_entries(r->skel->maps.nt_events), &r->ring);
	if (e) {
		fprintf(stderr, "nft-record: cannot map the BPF ring buffer: %s\n", strerror(-e));
		return NT_EXIT_RUNTIME;
	}
	t_attach0 = nt_mono_ns();
	r->skel->bss->nt_off = 0; /* (--keep-kernel: the nftables probes attached quiet) */
	ret = attach_all(r);
	if (ret)
		return ret;
	/* BPF nftables probes give every rule verdict: the owned table then only
	 * keeps nft_trace_enabled on, and nobody listens to NFNLGRP_NFTRACE (no
	 * netlink cost, no verdict recorded twice) unless --nftrace-netlink. */
	r->nft_listen = !(r->fb && nt_attach_nft_links()) || o->nftrace_netlink;
	for (int i = 0; i < r->nns && !o->no_nftrace; i++) {
		if (r->flt.bpf.netns && r->ns[i].inum != r->flt.bpf.netns)
			continue;
		e = nt_nftrace_open(&r->tr[r->ntr], &r->ns[i], r->ntr, &r->flt, o->nftrace_families,
				    r->nft_listen, bpf_program__insns(r->skel->progs.nt_nlmsg),
				    bpf_program__insn_cnt(r->skel->progs.nt_nlmsg), err, sizeof(err));
		if (e) {
			nt_nftrace_close(&r->tr[r->ntr]);
			fprintf(stderr, "nft-record: %s\n", err);
			return e == -EPERM ? NT_EXIT_PRIV : NT_EXIT_RUNTIME;
		}
		r->ntr++;
	}
	if (r->ntr && r->nft_listen && o->filter && *o->filter) {
		char say[512];

		nt_capfilter_nft_say(&r->flt, say, sizeof(say));
		nt_record_say(r, "nft-record: nftrace rules: %s\n", say);
	}
	t_attach1 = nt_mono_ns();
	r->rec_ns = t_attach1;
	/* everything is attached: drop what is no longer needed (--serve keeps
	 * its privileges: it starts further recordings) */
	if (!o->keep_caps && (e = nt_privs_drop_after_attach()))
		nt_record_say(r, "nft-record: note: could not drop unneeded capabilities: %s\n", strerror(-e));
	r->status_tty = isatty(2) && !o->quiet && !o->no_status_line;
	nt_record_say(r, "nft-record: recording to %s (%u tracepoints%s, nftrace in %d namespace%s%s, attach %.1f ms)%s\n",
		      r->out_path, r->rep_tp.attached, r->fb ? " + functions" : "", r->ntr,
		      r->ntr == 1 ? "" : "s", r->nft_listen ? "" : ", rule verdicts from BPF",
		      (t_attach1 - t_attach0) / 1e6,
		      o->duration > 0 ? "" : "; Ctrl-C to stop");
	if (o->verbose)
		nt_record_say(r, "nft-record: %zu drop reasons, nftrace table inet %s%s\n",
			      r->nreasons, r->own_table,
			      r->nft_listen ? ", trace messages through the ring buffer" : "");
	if (o->hooks && o->hooks->started)
		o->hooks->started(o->hooks->ctx, r->out_path, r->fb ? r->fb->name : "tracepoint");
	return 0;
}
