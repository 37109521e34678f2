// SPDX-License-Identifier: GPL-2.0
/*
 * attach_fentry.c - the "fentry" backend: BPF trampolines.
 *
 * An fentry program's target is fixed when it is loaded, so one program body
 * cannot serve many functions the way a kprobe.multi link does.  As in
 * retsnoop's mass attacher, the skeleton loads one template per skb argument
 * position (bpf/func.bpf.h nt_fe1..5, aimed at one vmlinux function), then
 * every traced function gets a clone: the template's final (relocated)
 * instructions loaded again with that function's BTF id (and its module's BTF
 * object for module functions), linked with the function's cookie.
 *
 * Functions the trampoline cannot handle are filtered before loading, from
 * BTF: more than 6 arguments (12 from 6.5 on), a struct/union passed by value,
 * variadic functions.  Other refusals are reported per function.  They, and
 * module functions without BTF (kernels < 5.11), get a classic kprobe.
 *
 * Kernels without attach cookies for tracing programs (< 6.0; Debian 11's
 * 5.10): the templates are nt_fel1..5, and each clone carries its function's
 * cookie value patched into its one NT_TPC_MAGIC constant (the raw
 * tracepoints' scheme, tracepoints.h nt_tp_patch_conf()); linked with
 * BPF_RAW_TRACEPOINT_OPEN (LINK_CREATE takes tracing programs from 5.13).
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "nft-record/attach.h"
#include "nft-record/tracepoints.h"
#include "common/bpf_shared.h"
#include "nft-discover/discover.h"
#include "nt.skel.h"

/* x86-64 trampolines: 6 register arguments; 6.5+ also take stack arguments (12) */
static int fe_max_args = 6;

static int *fe_links;   /* link fds */
static size_t fe_nlinks;
/* functions no trampoline can take (6.1: more than 6 arguments; load errors)
 * get a classic kprobe when the kernel has them (nt_kp<arg> programs) */
static bool fe_kp_ok, fe_kp_cookies;
static bool fe_cookies;  /* fentry attach cookies (>= 6.0), else patched clones */
static struct bpf_link **fe_kp_links;
static size_t fe_kp_nlinks;
static const char *fe_template[NT_ATTACH_MAX_ARG + 1];

/* module BTF objects in the kernel: name -> fd (+ parsed split BTF) */
struct fe_mod {
	char name[64];
	int fd;
	struct btf *btf;
};
static struct fe_mod *fe_mods;
static size_t fe_nmods;
static struct btf *fe_vmlinux;

static int fe_probe(char *why, size_t whylen)
{
	int err = nt_attach_probe_fentry(why, whylen);

	if (!err && why && whylen)
		snprintf(why, whylen, "%s", nt_attach_fentry_cookies() ? "" :
			 "no BPF cookies for fentry (kernel < 6.0): one program per function "
			 "with its id built in");
	return err;
}

static void fe_mods_load(void)
{
	__u32 id = 0;

	while (!bpf_btf_get_next_id(id, &id)) {
		struct bpf_btf_info info = { 0 };
		__u32 len = sizeof(info);
		char name[64] = "";
		int fd = bpf_btf_get_fd_by_id(id);
		struct fe_mod *v;

		if (fd < 0)
			continue;
		info.name = (__u64)(unsigned long)name;
		info.name_len = sizeof(name);
		if (bpf_obj_get_info_by_fd(fd, &info, &len) || !info.kernel_btf || !name[0] ||
		    !strcmp(name, "vmlinux")) {
			close(fd);
			continue;
		}
		v = realloc(fe_mods, (fe_nmods + 1) * sizeof(*v));
		if (!v) {
			close(fd);
			break;
		}
		fe_mods = v;
		snprintf(fe_mods[fe_nmods].name, sizeof(fe_mods[0].name), "%s", name);
		fe_mods[fe_nmods].fd = fd;
		fe_mods[fe_nmods].btf = NULL;
		fe_nmods++;
	}
}

static struct fe_mod *fe_mod(const char *name)
{
	for (size_t i = 0; i < fe_nmods; i++)
		if (!strcmp(fe_mods[i].name, name)) {
			if (!fe_mods[i].btf)
				fe_mods[i].btf = btf__load_module_btf(name, fe_vmlinux);
			return fe_mods[i].btf ? &fe_mods[i] : NULL;
		}
	return NULL;
}

/* BTF id of F in its BTF (vmlinux or module), checked for trampoline limits. */
static int fe_target(const struct nt_func *f, int *obj_fd, char *why, size_t whylen)
{
	const struct btf *btf = fe_vmlinux;
	const struct btf_type *t;
	const struct btf_param *pa;
	int id;

	*obj_fd = 0;
	if (f->module) {
		struct fe_mod *m = fe_mod(f->module);

		if (!m) {
			snprintf(why, whylen, "no BTF for module %s", f->module);
			return -ENOENT;
		}
		btf = m->btf;
		*obj_fd = m->fd;
	}
	/* discover's id when it still names this function (fast), else a search */
	id = (int)f->btf_id;
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	if (!t || !btf_is_func(t) || strcmp(btf__name_by_offset(btf, t->name_off), f->name))
		id = btf__find_by_name_kind(btf, f->name, BTF_KIND_FUNC);
	if (id < 0) {
		snprintf(why, whylen, "not in BTF");
		return -ENOENT;
	}
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	if (!t || !btf_is_func_proto(t)) {
		snprintf(why, whylen, "bad BTF prototype");
		return -EINVAL;
	}
	if (btf_vlen(t) > fe_max_args) {
		snprintf(why, whylen, "%u arguments (trampolines take %d)", btf_vlen(t), fe_max_args);
		return -E2BIG;
	}
	pa = btf_params(t);
	if (btf_vlen(t) && !pa[btf_vlen(t) - 1].type) {
		snprintf(why, whylen, "variadic function");
		return -EOPNOTSUPP;
	}
	for (int i = 0; i < btf_vlen(t); i++, pa++) {
		const struct btf_type *at = btf__type_by_id(btf, pa->type);

		while (at && (btf_is_mod(at) || btf_is_typedef(at)))
			at = btf__type_by_id(btf, at->type);
		if (at && (btf_is_struct(at) || btf_is_union(at))) {
			snprintf(why, whylen, "struct argument passed by value");
			return -EOPNOTSUPP;
		}
	}
	if (f->arg > btf_vlen(t)) {
		snprintf(why, whylen, "skb argument %d beyond the prototype", f->arg);
		return -EINVAL;
	}
	return id;
}

/* A 2-instruction fentry program loads against F: F is a valid template
 * target (the skeleton's load fails as a whole when a template cannot load). */
static bool fe_loadable(const struct nt_func *f)
{
	const struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 }, /* r0 = 0 */
		{ .code = 0x95 },                        /* exit */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_TRACE_FENTRY);
	char why[64];
	int id, obj_fd, fd;

	id = fe_target(f, &obj_fd, why, sizeof(why));
	if (id < 0)
		return false;
	o.attach_btf_id = id;
	o.attach_btf_obj_fd = obj_fd;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "nt_fe_try", "GPL", insns, 2, &o);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static int fe_prepare(const struct nt_backend_args *a)
{
	char name[16], why[128];
	int err, fd;

	struct utsname u;
	int maj = 0, min = 0;

	/* one program fd per function while loading, one link fd each after */
	nt_attach_raise_nofile();
	if (!uname(&u) && sscanf(u.release, "%d.%d", &maj, &min) == 2 &&
	    (maj > 6 || (maj == 6 && min >= 5)))
		fe_max_args = 12;
	fe_vmlinux = btf__load_vmlinux_btf();
	if (!fe_vmlinux)
		return -errno;
	fe_mods_load();
	/* template target per position: the first eligible function that a
	 * minimal fentry program loads against, vmlinux first, then modules */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < a->funcs->n; i++) {
			const struct nt_func *f = &a->funcs->v[i];

			if (!f->module != !pass || !nt_attach_eligible(f, NULL, 0) ||
			    fe_template[f->arg])
				continue;
			if (fe_target(f, &fd, why, sizeof(why)) < 0 || !fe_loadable(f))
				continue;
			fe_template[f->arg] = f->name;
		}
	}
	fe_kp_ok = nt_attach_probe_kprobe(NULL, 0) == 0;
	fe_kp_cookies = fe_kp_ok && nt_attach_kprobe_cookies();
	fe_cookies = nt_attach_fentry_cookies();
	for (int p = 1; p <= NT_ATTACH_MAX_ARG; p++) {
		struct bpf_program *prog;

		snprintf(name, sizeof(name), fe_cookies ? "nt_fe%d" : "nt_fel%d", p);
		prog = nt_attach_prog(a, name);
		err = bpf_program__set_autoload(prog, fe_template[p] != NULL);
		if (!err && fe_template[p])
			err = bpf_program__set_attach_target(prog, 0, fe_template[p]);
		if (!err && fe_kp_cookies) { /* the kprobe fallback: a few small programs */
			snprintf(name, sizeof(name), "nt_kp%d", p);
			err = bpf_program__set_autoload(nt_attach_prog(a, name), true);
		}
		if (err)
			return err;
	}
	if (fe_kp_ok && !fe_kp_cookies) {
		bool used[NT_ATTACH_MAX_ARG + 1];

		for (int p = 0; p <= NT_ATTACH_MAX_ARG; p++)
			used[p] = p > 0;
		if ((err = nt_attach_kpa_prepare(a, used)))
			return err;
	}
	return nt_attach_extra_prepare(a, true);
}

/* One function's outcome (filled by the loader threads). */
struct fe_res {
	int lfd;        /* link fd, or -1 */
	char why[96];   /* failure reason when lfd < 0 and why[0] */
};

struct fe_job {
	const struct nt_backend_args *a;
	const struct bpf_insn **insns;
	const size_t *ninsns;
	const uint64_t *cookies;
	struct fe_res *res;
	size_t first, step;
	struct bpf_insn *patch; /* without cookies: this thread's clone buffer */
};

static void fe_one(const struct fe_job *j, size_t i)
{
	const struct nt_func *f = &j->a->funcs->v[i];
	struct fe_res *r = &j->res[i];
	LIBBPF_OPTS(bpf_prog_load_opts, po, .expected_attach_type = BPF_TRACE_FENTRY);
	LIBBPF_OPTS(bpf_link_create_opts, lo);
	int id, obj_fd, pfd;

	r->lfd = -1;
	if (f->kind == NT_KIND_TRACEPOINT)
		return;
	if (!nt_attach_eligible(f, r->why, sizeof(r->why)))
		return;
	if (!j->insns[f->arg]) {
		snprintf(r->why, sizeof(r->why), "no template for this argument position");
		return;
	}
	id = fe_target(f, &obj_fd, r->why, sizeof(r->why));
	if (id < 0)
		return;
	po.attach_btf_id = id;
	po.attach_btf_obj_fd = obj_fd;
	if (j->patch) { /* no cookies: the cookie value is built into the clone */
		memcpy(j->patch, j->insns[f->arg], j->ninsns[f->arg] * sizeof(*j->patch));
		if (!nt_tp_patch_conf(j->patch, j->ninsns[f->arg], j->cookies[i])) {
			snprintf(r->why, sizeof(r->why), "template without its constant");
			return;
		}
		pfd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "nt_fel", "GPL", j->patch,
				    j->ninsns[f->arg], &po);
	} else {
		pfd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "nt_fe", "GPL", j->insns[f->arg],
				    j->ninsns[f->arg], &po);
	}
	if (pfd < 0) {
		snprintf(r->why, sizeof(r->why), "load: %s", strerror(errno));
		return;
	}
	if (j->patch) {
		r->lfd = bpf_raw_tracepoint_open(NULL, pfd);
	} else {
		lo.tracing.cookie = j->cookies[i];
		r->lfd = bpf_link_create(pfd, 0, BPF_TRACE_FENTRY, &lo);
	}
	if (r->lfd < 0) {
		snprintf(r->why, sizeof(r->why), "attach: %s", strerror(errno));
		r->lfd = -1;
	}
	close(pfd); /* the link holds the program */
}

static void *fe_worker(void *arg)
{
	const struct fe_job *j = arg;

	for (size_t i = j->first; i < j->a->funcs->n; i += j->step)
		fe_one(j, i);
	return NULL;
}

#define FE_THREADS_MAX 4
#define FE_FD_BASE 4096

/*
 * Move a link fd above FE_FD_BASE when the fd limit allows it, so that a
 * thousand links do not push the fds the recorder opens later (ring buffer
 * epoll, netlink sockets) beyond FD_SETSIZE (1024) for select()/FD_SET.
 */
static int fe_fd_high(int fd)
{
	struct rlimit rl;
	int nfd;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur < FE_FD_BASE * 2)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, FE_FD_BASE);
	if (nfd < 0)
		return fd;
	close(fd);
	return nfd;
}

/* Classic kprobe for function I that no trampoline took; true when attached. */
static bool fe_kp_fallback(const struct nt_backend_args *a, size_t i, uint64_t cookie)
{
	const struct nt_func *f = &a->funcs->v[i];
	LIBBPF_OPTS(bpf_kprobe_opts, ko, .bpf_cookie = cookie);
	struct bpf_link *l;
	char name[16];

	if (!fe_kp_ok || !nt_attach_eligible(f, NULL, 0))
		return false;
	if (!fe_kp_links && !(fe_kp_links = calloc(a->funcs->n + 1, sizeof(*fe_kp_links))))
		return false;
	snprintf(name, sizeof(name), "nt_kp%d", f->arg);
	if (fe_kp_cookies)
		l = bpf_program__attach_kprobe_opts(nt_attach_prog(a, name), f->name, &ko);
	else
		l = nt_attach_kpa(a, f, cookie);
	if (!l)
		return false;
	fe_kp_links[fe_kp_nlinks++] = l;
	return true;
}

static int fe_attach(const struct nt_backend_args *a, struct nt_attach_report *rep)
{
	const struct nt_funcs *fs = a->funcs;
	double t0 = nt_attach_now_ms();
	char name[16];
	const struct bpf_insn *insns[NT_ATTACH_MAX_ARG + 1] = { 0 };
	size_t ninsns[NT_ATTACH_MAX_ARG + 1] = { 0 };
	struct fe_job jobs[FE_THREADS_MAX];
	pthread_t th[FE_THREADS_MAX];
	struct fe_res *res;
	uint64_t *cookies;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nth = ncpu < 1 ? 1 : ncpu > FE_THREADS_MAX ? FE_THREADS_MAX : (size_t)ncpu;
	size_t started = 0, maxn = 0;
	struct bpf_insn *patch = NULL;

	memset(rep, 0, sizeof(*rep));
	rep->backend = "fentry";
	fe_links = calloc(fs->n + 1, sizeof(*fe_links));
	res = calloc(fs->n + 1, sizeof(*res));
	cookies = calloc(fs->n + 1, sizeof(*cookies));
	if (!fe_links || !res || !cookies) {
		free(res);
		free(cookies);
		return -ENOMEM;
	}
	for (int p = 1; p <= NT_ATTACH_MAX_ARG; p++) {
		if (!fe_template[p])
			continue;
		snprintf(name, sizeof(name), fe_cookies ? "nt_fe%d" : "nt_fel%d", p);
		insns[p] = bpf_program__insns(nt_attach_prog(a, name));
		ninsns[p] = bpf_program__insn_cnt(nt_attach_prog(a, name));
		if (ninsns[p] > maxn)
			maxn = ninsns[p];
	}
	/* module BTFs parsed before the threads start (fe_mod() caches lazily) */
	for (size_t i = 0; i < fs->n; i++)
		if (fs->v[i].module)
			fe_mod(fs->v[i].module);
	for (size_t i = 0; i < fs->n; i++)
		cookies[i] = nt_attach_cookie(&fs->v[i], nt_attach_func_id(i));
	if (!fe_cookies && maxn && !(patch = calloc(nth * maxn, sizeof(*patch)))) {
		free(res);
		free(cookies);
		return -ENOMEM;
	}
	for (size_t t = 0; t < nth; t++) {
		jobs[t] = (struct fe_job){ a, insns, ninsns, cookies, res, t, nth,
					   patch ? patch + t * maxn : NULL };
		if (t && pthread_create(&th[t], NULL, fe_worker, &jobs[t]) == 0)
			started |= 1u << t;
	}
	fe_worker(&jobs[0]);
	for (size_t t = 1; t < nth; t++) {
		if (started & (1u << t))
			pthread_join(th[t], NULL);
		else
			fe_worker(&jobs[t]); /* thread creation failed: do its share here */
	}
	for (size_t i = 0; i < fs->n; i++) {
		if (fs->v[i].kind == NT_KIND_TRACEPOINT)
			continue;
		rep->requested++;
		if (res[i].lfd >= 0) {
			fe_links[fe_nlinks++] = fe_fd_high(res[i].lfd);
			rep->attached++;
		} else if (fe_kp_fallback(a, i, cookies[i])) {
			rep->attached++;
			rep->fallback++;
		} else {
			nt_attach_fail(rep, fs->v[i].name, res[i].why[0] ? res[i].why : "failed");
		}
	}
	free(res);
	free(cookies);
	free(patch);
	rep->attach_ms = nt_attach_now_ms() - t0;
	nt_attach_extra_attach(a, true);
	if (a->verbose)
		nt_attach_report_print(rep);
	return rep->attached ? 0 : -ENOENT;
}

static void fe_detach(void)
{
	nt_attach_quiesce();
	nt_attach_close_fds(fe_links, fe_nlinks);
	free(fe_links);
	fe_links = NULL;
	fe_nlinks = 0;
	nt_attach_destroy_links(fe_kp_links, fe_kp_nlinks);
	free(fe_kp_links);
	fe_kp_links = NULL;
	fe_kp_nlinks = 0;
	nt_attach_extra_detach();
	for (size_t i = 0; i < fe_nmods; i++) {
		close(fe_mods[i].fd);
		btf__free(fe_mods[i].btf);
	}
	free(fe_mods);
	fe_mods = NULL;
	fe_nmods = 0;
	btf__free(fe_vmlinux);
	fe_vmlinux = NULL;
}

const struct nt_backend nt_backend_fentry = {
	.name = "fentry",
	.probe = fe_probe,
	.prepare = fe_prepare,
	.attach = fe_attach,
	.detach = fe_detach,
};
