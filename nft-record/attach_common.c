// SPDX-License-Identifier: GPL-2.0
/*
 * attach_common.c - helpers shared by the function-tracing backends (attach.h):
 * cookies, eligibility, failure reports, the nftables verdict programs and the
 * skb lineage programs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "nft-record/attach.h"
#include "common/bpf_shared.h"
#include "common/layers.h"
#include "nft-discover/discover.h"
#include "nt.skel.h"

#define NT_COOKIE_RECHECK (1ULL << 56)
#define NT_FAIL_SHOWN 5

/* Functions after which the packet headers may have changed (NAT, routing,
 * encapsulation): the probe re-parses them (NT_TRACK_RECHECK). */
static const char *const recheck_funcs[] = {
	"ip_rcv_finish", "ip_forward", "ip_output", "ip_finish_output", "ip_local_deliver",
	"ip6_rcv_finish", "ip6_forward", "ip6_output", "ip6_finish_output", "ip6_input",
	"nf_nat_ipv4_fn", "nf_nat_ipv6_fn", "__dev_queue_xmit", "dev_hard_start_xmit",
};

/* Functions where an skb's IP headers are complete (netfilter hooks, IP local
 * output): one left untraced for want of headers and socket is looked at
 * again there (NT_COOKIE_HDRS; a raw IPv6 socket's packet). */
static const char *const hdrs_funcs[] = {
	"nf_hook_slow", "__ip_local_out", "__ip6_local_out", "ip_local_out", "ip6_local_out",
};

double nt_attach_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

uint32_t nt_attach_func_id(size_t index)
{
	return NT_TP__COUNT + (uint32_t)index;
}

/* ---- BTF: offsets of "struct.member" (via kinds) ---- */
static struct btf *vmlinux_btf;
static int vmlinux_btf_err;

static struct btf *btf_vmlinux(void)
{
	if (!vmlinux_btf && !vmlinux_btf_err) {
		vmlinux_btf = btf__load_vmlinux_btf();
		if (!vmlinux_btf)
			vmlinux_btf_err = -errno ? -errno : -ENOENT;
	}
	return vmlinux_btf;
}

static int member_offset(const struct btf *btf, const char *st, const char *member)
{
	int id = btf__find_by_name_kind(btf, st, BTF_KIND_STRUCT);
	const struct btf_type *t;
	const struct btf_member *m;

	if (id < 0)
		return -ENOENT;
	t = btf__type_by_id(btf, id);
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++, m++) {
		const char *n = btf__name_by_offset(btf, m->name_off);

		if (n && !strcmp(n, member))
			return (int)(btf_member_bit_offset(t, i) / 8);
	}
	return -ENOENT;
}

/* Byte offset of the skb pointer for VIA ("nft_pktinfo.skb"); 0 when unknown. */
static uint32_t via_offset(const struct nt_func *f)
{
	static char last_via[128], last_mod[64];
	static int last_off = -1;
	char st[128];
	const char *dot;
	struct btf *vm, *mod = NULL;
	int off;

	if (!f->via || !(dot = strchr(f->via, '.')) || (size_t)(dot - f->via) >= sizeof(st))
		return 0;
	if (last_off >= 0 && !strcmp(last_via, f->via) && !strcmp(last_mod, f->module ? f->module : ""))
		return last_off;
	memcpy(st, f->via, dot - f->via);
	st[dot - f->via] = 0;
	vm = btf_vmlinux();
	if (!vm)
		return 0;
	off = member_offset(vm, st, dot + 1);
	if (off < 0 && f->module) {
		mod = btf__load_module_btf(f->module, vm);
		if (mod)
			off = member_offset(mod, st, dot + 1);
		btf__free(mod);
	}
	if (off < 0)
		off = 0; /* nft_pktinfo.skb and friends: first member */
	snprintf(last_via, sizeof(last_via), "%s", f->via);
	snprintf(last_mod, sizeof(last_mod), "%s", f->module ? f->module : "");
	last_off = off;
	return (uint32_t)off;
}

uint64_t nt_attach_cookie(const struct nt_func *f, uint32_t id)
{
	uint64_t kind = NT_KIND_SKB, off = 0, c;
	int role;

	if (f->kind == NT_KIND_SKB_PP) {
		kind = NT_KIND_SKB_PP;
	} else if ((f->kind == NT_KIND_SKB_VIA || f->kind == NT_KIND_NFT_HOOK) && f->via) {
		kind = NT_KIND_SKB_VIA;
		off = via_offset(f);
	}
	c = (uint64_t)id | kind << 32 | (off & 0xffff) << 40;
	for (size_t i = 0; i < sizeof(recheck_funcs) / sizeof(recheck_funcs[0]); i++)
		if (!strcmp(f->name, recheck_funcs[i]))
			c |= NT_COOKIE_RECHECK;
	for (size_t i = 0; i < sizeof(hdrs_funcs) / sizeof(hdrs_funcs[0]); i++)
		if (!strcmp(f->name, hdrs_funcs[i]))
			c |= NT_COOKIE_HDRS;
	/* a packet starts where its skb is built, ends where it is freed */
	role = nt_func_role(f->name, 0);
	if (role == NT_ROLE_ALLOC || role == NT_ROLE_FREE)
		c |= (uint64_t)role << NT_COOKIE_ROLE_SHIFT;
	return c;
}

bool nt_attach_eligible(const struct nt_func *f, char *why, size_t whylen)
{
	const char *r = NULL;

	if (f->kind == NT_KIND_TRACEPOINT)
		r = "tracepoint (attached by the tracepoint backend)";
	else if (f->arg < 1 || f->arg > NT_ATTACH_MAX_ARG)
		r = "skb argument beyond position 5";
	else if (f->flags & NT_FN_NO_KSYM)
		r = "not in kallsyms (inlined or renamed)";
	else if (f->flags & NT_FN_BLACKLIST)
		r = "in the kprobes blacklist";
	else if (f->flags & NT_FN_NOTRACE)
		r = "not traceable (absent from available_filter_functions)";
	if (r && why)
		snprintf(why, whylen, "%s", r);
	return !r;
}

void nt_attach_fail(struct nt_attach_report *rep, const char *name, const char *reason)
{
	size_t off = strlen(rep->first_failures);

	rep->failed++;
	if (rep->failed > NT_FAIL_SHOWN) {
		if (rep->failed == NT_FAIL_SHOWN + 1 && off + 5 < sizeof(rep->first_failures))
			snprintf(rep->first_failures + off, sizeof(rep->first_failures) - off, "; ...");
		return;
	}
	if (off < sizeof(rep->first_failures) - 1)
		snprintf(rep->first_failures + off, sizeof(rep->first_failures) - off, "%s%s: %s",
			 off ? "; " : "", name, reason);
}

struct bpf_program *nt_attach_prog(const struct nt_backend_args *a, const char *name)
{
	return bpf_object__find_program_by_name(a->skel->obj, name);
}

void nt_attach_report_print(const struct nt_attach_report *rep)
{
	fprintf(stderr, "%s: %u of %u functions attached in %.1f ms", rep->backend, rep->attached,
		rep->requested, rep->attach_ms);
	if (rep->fallback)
		fprintf(stderr, " (%u by kprobe)", rep->fallback);
	if (rep->failed)
		fprintf(stderr, "; %u failed (%s)", rep->failed, rep->first_failures);
	fputc('\n', stderr);
}

/* ---- file descriptors ---- */
void nt_attach_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= 65536)
		return;
	struct rlimit want = { 65536, rl.rlim_max > 65536 ? rl.rlim_max : 65536 };

	if (setrlimit(RLIMIT_NOFILE, &want)) { /* not root: up to the hard limit */
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int *fill_fds;
static size_t fill_n;

void nt_attach_fd_fill(void)
{
	struct rlimit rl;
	int base, fd;

	if (fill_fds || getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur < NT_FD_LOW * 2)
		return;
	base = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (base < 0)
		return;
	fill_fds = calloc(NT_FD_LOW, sizeof(*fill_fds));
	if (!fill_fds) {
		close(base);
		return;
	}
	fill_fds[fill_n++] = base;
	while (fill_n < NT_FD_LOW && (fd = fcntl(base, F_DUPFD_CLOEXEC, 0)) >= 0) {
		if (fd >= NT_FD_LOW) {
			close(fd);
			break;
		}
		fill_fds[fill_n++] = fd;
	}
}

void nt_attach_fd_unfill(void)
{
	for (size_t i = 0; i < fill_n; i++)
		close(fill_fds[i]);
	free(fill_fds);
	fill_fds = NULL;
	fill_n = 0;
}

/* ---- parallel detach ---- */
#define NT_DETACH_THREADS 32

struct detach_job {
	int *fds;
	struct bpf_link **links;
	size_t n, first, step;
};

static void *detach_worker(void *arg)
{
	struct detach_job *j = arg;

	for (size_t i = j->first; i < j->n; i += j->step) {
		if (j->fds && j->fds[i] >= 0) {
			close(j->fds[i]);
			j->fds[i] = -1;
		} else if (j->links && j->links[i]) {
			bpf_link__destroy(j->links[i]);
			j->links[i] = NULL;
		}
	}
	return NULL;
}

static size_t detach_threads_max = NT_DETACH_THREADS;

void nt_attach_set_detach_threads(size_t n)
{
	detach_threads_max = n < 1 ? 1 : n > NT_DETACH_THREADS ? NT_DETACH_THREADS : n;
}

static void detach_parallel(int *fds, struct bpf_link **links, size_t n)
{
	struct detach_job jobs[NT_DETACH_THREADS];
	pthread_t th[NT_DETACH_THREADS];
	bool started[NT_DETACH_THREADS] = { false };
	size_t nth = n / 8 + 1;

	if (nth > detach_threads_max)
		nth = detach_threads_max;
	for (size_t t = 0; t < nth; t++) {
		jobs[t] = (struct detach_job){ fds, links, n, t, nth };
		if (t)
			started[t] = pthread_create(&th[t], NULL, detach_worker, &jobs[t]) == 0;
	}
	detach_worker(&jobs[0]);
	for (size_t t = 1; t < nth; t++) {
		if (started[t])
			pthread_join(th[t], NULL);
		else
			detach_worker(&jobs[t]);
	}
}

void nt_attach_close_fds(int *fds, size_t n)
{
	detach_parallel(fds, NULL, n);
}

void nt_attach_destroy_links(struct bpf_link **links, size_t n)
{
	detach_parallel(NULL, links, n);
}

/* ---- fentry probe: load and attach a 2-instruction fentry program ---- */

/* BTF id of a vmlinux function every kernel with BTF has (probe target) */
static int probe_target(void)
{
	struct btf *vm = btf_vmlinux();
	int id;

	if (!vm)
		return -ENOENT;
	id = btf__find_by_name_kind(vm, "kfree_skb_reason", BTF_KIND_FUNC);
	if (id < 0)
		id = btf__find_by_name_kind(vm, "kfree_skb", BTF_KIND_FUNC);
	if (id < 0)
		id = btf__find_by_name_kind(vm, "vfs_read", BTF_KIND_FUNC);
	return id;
}

int nt_attach_probe_fentry(char *why, size_t whylen)
{
	static int cached = 1; /* 1 = not probed yet */
	static char cwhy[160];
	const struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 }, /* r0 = 0 */
		{ .code = 0x95 },                        /* exit */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_TRACE_FENTRY);
	int id, fd, lfd;

	if (cached <= 0)
		goto out;
	cached = -EOPNOTSUPP;
	if (!btf_vmlinux()) {
		snprintf(cwhy, sizeof(cwhy), "no kernel BTF (/sys/kernel/btf/vmlinux)");
		cached = -ENOENT;
		goto out;
	}
	id = probe_target();
	if (id < 0) {
		snprintf(cwhy, sizeof(cwhy), "no probe target function in the kernel BTF");
		cached = -ENOENT;
		goto out;
	}
	o.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "nt_probe_fe", "GPL", insns, 2, &o);
	if (fd < 0) {
		snprintf(cwhy, sizeof(cwhy), "fentry programs cannot be loaded (%s; kernel < 5.5 or no "
			 "trampolines)", strerror(errno));
		goto out;
	}
	/* the attach every kernel with trampolines has (LINK_CREATE for tracing
	 * programs came later) */
	lfd = bpf_raw_tracepoint_open(NULL, fd);
	if (lfd < 0) {
		snprintf(cwhy, sizeof(cwhy), "BPF trampolines unavailable (%s)", strerror(errno));
		close(fd);
		goto out;
	}
	close(lfd);
	close(fd);
	cached = 0;
out:
	if (cached < 0 && why)
		snprintf(why, whylen, "%s", cwhy);
	return cached;
}

bool nt_attach_fentry_cookies(void)
{
	static int cached = -1;
	const struct bpf_insn insns[] = {
		{ .code = 0x85, .imm = BPF_FUNC_get_attach_cookie }, /* call (r1 = ctx) */
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 },           /* r0 = 0 */
		{ .code = 0x95 },                                   /* exit */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_TRACE_FENTRY);
	int fd;

	if (cached >= 0)
		return cached;
	o.attach_btf_id = probe_target();
	fd = o.attach_btf_id > 0 ? bpf_prog_load(BPF_PROG_TYPE_TRACING, "nt_probe_fec", "GPL", insns, 3, &o)
				 : -1;
	cached = fd >= 0;
	if (fd >= 0)
		close(fd);
	return cached;
}

bool nt_attach_kprobe_cookies(void)
{
	static int cached = -1;

	if (cached < 0)
		cached = libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_get_attach_cookie,
						 NULL) == 1;
	return cached;
}

/* ---- kprobes without cookies: nt_kpa<N> + nt_kp_addrs (bpf/func.bpf.h) ---- */

int nt_attach_kpa_prepare(const struct nt_backend_args *a, const bool *used)
{
	size_t naddrs = 0;
	char name[16];
	int err;

	for (size_t i = 0; i < a->funcs->n; i++)
		naddrs += a->funcs->v[i].naddrs;
	err = bpf_map__set_max_entries(a->skel->maps.nt_kp_addrs, naddrs ? (uint32_t)naddrs : 1);
	for (int p = 1; !err && p <= NT_ATTACH_MAX_ARG; p++) {
		snprintf(name, sizeof(name), "nt_kpa%d", p);
		err = bpf_program__set_autoload(nt_attach_prog(a, name), used[p]);
	}
	return err;
}

struct bpf_link *nt_attach_kpa(const struct nt_backend_args *a, const struct nt_func *f,
			       uint64_t cookie)
{
	int fd = bpf_map__fd(a->skel->maps.nt_kp_addrs);
	char name[16];

	if (!f->naddrs) {
		errno = ENOENT; /* attached by name, identified by address: need one */
		return NULL;
	}
	for (uint32_t k = 0; k < f->naddrs; k++) {
		uint64_t addr = f->addrs[k];

		if (bpf_map_update_elem(fd, &addr, &cookie, BPF_ANY))
			return NULL;
	}
	snprintf(name, sizeof(name), "nt_kpa%d", f->arg);
	return bpf_program__attach_kprobe_opts(nt_attach_prog(a, name), f->name, NULL);
}

/* ---- nftables verdict programs + skb lineage ---- */

/* fexit program -> lineage function; kretprobe cookie = NT_LINK_* */
static const struct {
	const char *prog;
	const char *func;
	uint32_t kind;
} lineage[] = {
	{ "nt_fx_skb_clone", "skb_clone", NT_LINK_CLONE },
	{ "nt_fx_skb_copy", "skb_copy", NT_LINK_COPY },
	{ "nt_fx_pskb_copy_fclone", "__pskb_copy_fclone", NT_LINK_COPY },
	{ "nt_fx_skb_copy_expand", "skb_copy_expand", NT_LINK_COPY },
	{ "nt_fx_skb_realloc_headroom", "skb_realloc_headroom", NT_LINK_REALLOC },
};
#define NLINEAGE (sizeof(lineage) / sizeof(lineage[0]))

/* skb allocators: fexit program per function, or the kretprobe nt_krp_alloc
 * (bpf/alloc.bpf.h) */
static const struct {
	const char *prog;
	const char *func;
} allocs[] = {
	{ "nt_fx_alloc_skb", "__alloc_skb" },
	{ "nt_fx_netdev_alloc_skb", "__netdev_alloc_skb" },
	{ "nt_fx___napi_alloc_skb", "__napi_alloc_skb" },
	{ "nt_fx_napi_alloc_skb", "napi_alloc_skb" },
	{ "nt_fx_napi_build_skb", "napi_build_skb" },
	{ "nt_fx_build_skb", "build_skb" },
	{ "nt_fx___build_skb", "__build_skb" },
	{ "nt_fx_slab_build_skb", "slab_build_skb" },
	{ "nt_fx_build_skb_around", "build_skb_around" },
};
#define NALLOC (sizeof(allocs) / sizeof(allocs[0]))

static const char *const nft_progs[] = { "nt_nft_do_chain", "nt_nft_do_chain_ret",
					 "nt_nft_trace_packet" };
#define NNFT (sizeof(nft_progs) / sizeof(nft_progs[0]))

static struct bpf_link *extra_links[NNFT + 2 * NLINEAGE + NALLOC];
static struct nt_bpf *quiesce_skel;

void nt_attach_quiesce(void)
{
	if (quiesce_skel && quiesce_skel->bss)
		quiesce_skel->bss->nt_off = 1;
}
static bool nft_enabled, lineage_enabled[NLINEAGE], alloc_enabled[NALLOC], lineage_kprobes;
static uint32_t nft_links; /* nftables verdict programs attached */
/* the nftables programs failed to load or attach once: left out from then
 * on (nt_attach_nft_off); attached before the others (nt_attach_nft_now) */
static bool nft_off, nft_early;
static size_t extra_n; /* extra_links used */

uint32_t nt_attach_nft_links(void)
{
	return nft_links;
}

/* nf_tables types are in the kernel BTF (built in, or module loaded)? */
static bool have_nf_tables(void)
{
	struct btf *vm = btf_vmlinux(), *mod;
	bool ok;

	if (!vm)
		return false;
	if (btf__find_by_name_kind(vm, "nft_traceinfo", BTF_KIND_STRUCT) >= 0)
		return true;
	mod = btf__load_module_btf("nf_tables", vm);
	ok = mod && btf__find_by_name_kind(mod, "nft_traceinfo", BTF_KIND_STRUCT) >= 0;
	btf__free(mod);
	return ok;
}

static uint32_t find_id(const struct nt_funcs *fs, const char *name)
{
	for (size_t i = 0; fs && i < fs->n; i++)
		if (!strcmp(fs->v[i].name, name))
			return nt_attach_func_id(i);
	return 0;
}

bool nt_attach_nft_btf(void)
{
	return have_nf_tables();
}

void nt_attach_nft_reset(void)
{
	nft_off = false;
}

int nt_attach_nft_off(void)
{
	if (nft_off)
		return -EALREADY;
	nft_off = true;
	return 0;
}

/* One nftables program attached, or NULL (errno).  NT_TEST_NFT_ATTACH_FAIL
 * set: every attach fails (EOPNOTSUPP), for the tests of what the recorder
 * does then (tests/vm/guest/keep.sh). */
static bool nft_test_fail(void)
{
	const char *t = getenv("NT_TEST_NFT_ATTACH_FAIL");

	return t && *t;
}

static struct bpf_link *nft_attach1(struct bpf_program *p)
{
	if (nft_test_fail()) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	return bpf_program__attach(p);
}

int nt_attach_nft_now(struct nt_bpf *skel, char *why, size_t len)
{
	struct bpf_link *l[NNFT] = { 0 };
	int err = 0;

	if (!nft_enabled || nft_early)
		return 0;
	for (size_t i = 0; i < NNFT && !err; i++) {
		l[i] = nft_attach1(bpf_object__find_program_by_name(skel->obj, nft_progs[i]));
		if (!l[i]) {
			err = -errno;
			snprintf(why, len, "%s not attached: %s%s", nft_progs[i], strerror(-err),
				 nft_test_fail() ? " (NT_TEST_NFT_ATTACH_FAIL)" : "");
		}
	}
	if (err) { /* all or none */
		for (size_t i = 0; i < NNFT; i++)
			bpf_link__destroy(l[i]);
		nft_off = true;
		return err;
	}
	for (size_t i = 0; i < NNFT; i++)
		extra_links[extra_n++] = l[i];
	nft_links = NNFT;
	nft_early = true;
	return 0;
}

int nt_attach_extra_prepare(const struct nt_backend_args *a, bool use_fexit)
{
	struct btf *vm = btf_vmlinux();
	struct bpf_program *p;
	int err;

	quiesce_skel = a->skel;
	nft_enabled = !nft_off && have_nf_tables();
	if (nft_off)
		; /* the recorder said why */
	else if (!nft_enabled && !access("/sys/module/nf_tables", F_OK))
		fprintf(stderr, "note: nf_tables has no BTF (module BTF: kernel 5.11+): nftables "
				"verdicts from nftables' own trace, not from BPF\n");
	else if (!nft_enabled)
		fprintf(stderr, "note: nf_tables is not loaded: no nftables verdicts from BPF "
				"(nftables' own trace still records them)\n");
	for (size_t i = 0; i < NNFT; i++) {
		p = nt_attach_prog(a, nft_progs[i]);
		if (p && (err = bpf_program__set_autoload(p, nft_enabled)))
			return err;
	}
	a->skel->rodata->nt_nft_func_id = find_id(a->funcs, "nft_do_chain");
	/* --conntrack's invalid packets (bpf/ct.bpf.h): conntrack's entry, and
	 * functions that run after its hook */
	{
		static const char *const after[] = { "nft_do_chain", "ip_forward", "ip_local_deliver",
			"ip_output", "ip6_forward", "ip6_input", "ip6_output" };

		a->skel->rodata->nt_ct_in_func_id = find_id(a->funcs, "nf_conntrack_in");
		for (size_t i = 0; i < sizeof(after) / sizeof(after[0]); i++)
			((uint32_t *)a->skel->rodata->nt_ct_after)[i] = find_id(a->funcs, after[i]);
	}

	for (size_t i = 0; i < NLINEAGE; i++) {
		lineage_enabled[i] = vm && btf__find_by_name_kind(vm, lineage[i].func, BTF_KIND_FUNC) >= 0;
		p = nt_attach_prog(a, lineage[i].prog);
		if (p && (err = bpf_program__set_autoload(p, use_fexit && lineage_enabled[i])))
			return err;
	}
	for (size_t i = 0; i < NALLOC; i++) {
		alloc_enabled[i] = vm && btf__find_by_name_kind(vm, allocs[i].func, BTF_KIND_FUNC) >= 0;
		p = nt_attach_prog(a, allocs[i].prog);
		if (p && (err = bpf_program__set_autoload(p, use_fexit && alloc_enabled[i])))
			return err;
	}
	p = nt_attach_prog(a, "nt_krp_alloc");
	if (p && (err = bpf_program__set_autoload(p, !use_fexit)))
		return err;
	/* without trampolines: kprobe + kretprobe, the kind in the kretprobe's
	 * cookie (no lineage on kernels with neither) */
	lineage_kprobes = !use_fexit && nt_attach_kprobe_cookies();
	if (!use_fexit && !lineage_kprobes)
		fprintf(stderr, "note: no skb lineage (LINK) records: neither BPF trampolines nor "
				"kprobe cookies on this kernel\n");
	p = nt_attach_prog(a, "nt_kp_link");
	if (p && (err = bpf_program__set_autoload(p, lineage_kprobes)))
		return err;
	p = nt_attach_prog(a, "nt_krp_link");
	if (p && (err = bpf_program__set_autoload(p, lineage_kprobes)))
		return err;
	return 0;
}

static void extra_note(const char *what, const char *target, int err)
{
	fprintf(stderr, "note: %s on %s not attached: %s\n", what, target, strerror(-err));
}

void nt_attach_extra_attach(const struct nt_backend_args *a, bool use_fexit)
{
	struct bpf_link *l;
	size_t n = extra_n;

	if (nft_enabled && !nft_early) {
		for (size_t i = 0; i < NNFT; i++) {
			l = nft_attach1(nt_attach_prog(a, nft_progs[i]));
			if (!l) {
				extra_note("nftables probe", nft_progs[i], -errno);
			} else {
				extra_links[n++] = l;
				nft_links++;
			}
		}
	}
	for (size_t i = 0; i < NALLOC; i++) {
		if (!alloc_enabled[i])
			continue;
		if (use_fexit) {
			l = bpf_program__attach(nt_attach_prog(a, allocs[i].prog));
		} else {
			LIBBPF_OPTS(bpf_kprobe_opts, ko, .retprobe = true);
			l = bpf_program__attach_kprobe_opts(nt_attach_prog(a, "nt_krp_alloc"),
							    allocs[i].func, &ko);
		}
		if (!l)
			extra_note("skb allocation probe", allocs[i].func, -errno);
		else
			extra_links[n++] = l;
	}
	for (size_t i = 0; i < NLINEAGE; i++) {
		if (!lineage_enabled[i])
			continue;
		if (!use_fexit && !lineage_kprobes)
			continue;
		if (use_fexit) {
			l = bpf_program__attach(nt_attach_prog(a, lineage[i].prog));
			if (!l)
				extra_note("skb lineage fexit", lineage[i].func, -errno);
			else
				extra_links[n++] = l;
			continue;
		}
		LIBBPF_OPTS(bpf_kprobe_opts, ko);
		l = bpf_program__attach_kprobe_opts(nt_attach_prog(a, "nt_kp_link"), lineage[i].func, &ko);
		if (!l) {
			extra_note("skb lineage kprobe", lineage[i].func, -errno);
			continue;
		}
		extra_links[n++] = l;
		ko.retprobe = true;
		ko.bpf_cookie = lineage[i].kind;
		l = bpf_program__attach_kprobe_opts(nt_attach_prog(a, "nt_krp_link"), lineage[i].func,
						    &ko);
		if (!l)
			extra_note("skb lineage kretprobe", lineage[i].func, -errno);
		else
			extra_links[n++] = l;
	}
	extra_n = n;
}

void nt_attach_extra_detach(void)
{
	for (size_t i = 0; i < sizeof(extra_links) / sizeof(extra_links[0]); i++) {
		bpf_link__destroy(extra_links[i]);
		extra_links[i] = NULL;
	}
	extra_n = 0;
	nft_early = false;
	nft_links = 0;
}
