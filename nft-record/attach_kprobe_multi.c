// SPDX-License-Identifier: GPL-2.0
/*
 * attach_kprobe_multi.c - the "kprobe-multi" backend: BPF_TRACE_KPROBE_MULTI
 * (kernel >= 5.18 built with CONFIG_FPROBE).  One program per skb argument
 * position (bpf/func.bpf.h nt_kpm1..5), one link per position for all its
 * functions, attached by kallsyms address with one cookie per address.
 *
 * A kprobe.multi link is all-or-nothing: when the kernel refuses the set, the
 * set is split in halves and each half retried, so the functions it refuses are
 * found in O(k log n) attempts and reported, and all others attach.
 * Functions without an address fall back to attachment by name (syms).
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

struct kpm_set {
	unsigned long *addrs;
	const char **syms;
	__u64 *cookies;
	size_t *fidx;   /* function index of each entry */
	size_t n;
};

static struct bpf_link **kpm_links;
static size_t kpm_nlinks, kpm_cap;

static int kpm_probe(char *why, size_t whylen)
{
	const struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 }, /* r0 = 0 */
		{ .code = 0x95 },                        /* exit */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_TRACE_KPROBE_MULTI);
	LIBBPF_OPTS(bpf_link_create_opts, lo);
	const char *sym = "vfs_read";
	int fd, lfd, err;

	fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "nt_probe_kpm", "GPL", insns, 2, &o);
	if (fd < 0) {
		snprintf(why, whylen, "kprobe programs cannot be loaded (%s)", strerror(errno));
		return -EOPNOTSUPP;
	}
	lo.kprobe_multi.syms = &sym;
	lo.kprobe_multi.cnt = 1;
	lfd = bpf_link_create(fd, 0, BPF_TRACE_KPROBE_MULTI, &lo);
	err = errno;
	close(fd);
	if (lfd < 0) {
		snprintf(why, whylen, "kprobe.multi links unsupported (%s; kernel < 5.18 or no CONFIG_FPROBE)",
			 strerror(err));
		return -EOPNOTSUPP;
	}
	close(lfd);
	return 0;
}

static int kpm_prepare(const struct nt_backend_args *a)
{
	bool used[NT_ATTACH_MAX_ARG + 1] = { false };
	char name[16];
	int err;

	for (size_t i = 0; i < a->funcs->n; i++) {
		const struct nt_func *f = &a->funcs->v[i];

		if (nt_attach_eligible(f, NULL, 0))
			used[f->arg] = true;
	}
	for (int p = 1; p <= NT_ATTACH_MAX_ARG; p++) {
		snprintf(name, sizeof(name), "nt_kpm%d", p);
		err = bpf_program__set_autoload(nt_attach_prog(a, name), used[p]);
		if (err)
			return err;
	}
	return nt_attach_extra_prepare(a, nt_attach_probe_fentry(NULL, 0) == 0);
}

static int keep_link(struct bpf_link *l)
{
	if (kpm_nlinks == kpm_cap) {
		size_t cap = kpm_cap ? kpm_cap * 2 : 16;
		struct bpf_link **v = realloc(kpm_links, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		kpm_links = v;
		kpm_cap = cap;
	}
	kpm_links[kpm_nlinks++] = l;
	return 0;
}

/* Attach entries [lo, lo + n) of S; bisect on refusal.  Counts attached functions
 * in *ok (an entry is a function address; a function's first entry counts). */
static void kpm_attach_range(const struct nt_backend_args *a, struct bpf_program *prog,
			     struct kpm_set *s, size_t lo, size_t n, struct nt_attach_report *rep,
			     int depth)
{
	LIBBPF_OPTS(bpf_kprobe_multi_opts, o);
	struct bpf_link *l;
	char why[96];
	int err;

	if (!n)
		return;
	o.cnt = n;
	o.cookies = s->cookies + lo;
	if (s->addrs)
		o.addrs = s->addrs + lo;
	else
		o.syms = s->syms + lo;
	l = bpf_program__attach_kprobe_multi_opts(prog, NULL, &o);
	if (l) {
		if (keep_link(l) < 0) {
			bpf_link__destroy(l);
			goto fail_all;
		}
		for (size_t i = lo; i < lo + n; i++)
			if (i == lo || s->fidx[i] != s->fidx[i - 1])
				rep->attached++;
		return;
	}
	err = errno;
	if (n == 1 || depth > 40) {
		snprintf(why, sizeof(why), "%s", strerror(err));
		for (size_t i = lo; i < lo + n; i++)
			if (i == lo || s->fidx[i] != s->fidx[i - 1])
				nt_attach_fail(rep, a->funcs->v[s->fidx[i]].name, why);
		return;
	}
	kpm_attach_range(a, prog, s, lo, n / 2, rep, depth + 1);
	kpm_attach_range(a, prog, s, lo + n / 2, n - n / 2, rep, depth + 1);
	return;
fail_all:
	for (size_t i = lo; i < lo + n; i++)
		nt_attach_fail(rep, a->funcs->v[s->fidx[i]].name, "out of memory");
}

static int kpm_attach(const struct nt_backend_args *a, struct nt_attach_report *rep)
{
	const struct nt_funcs *fs = a->funcs;
	struct kpm_set s = { 0 };
	size_t cap = 0;
	double t0 = nt_attach_now_ms();
	char why[128], name[16];
	int err = 0;

	memset(rep, 0, sizeof(*rep));
	rep->backend = "kprobe-multi";
	for (size_t i = 0; i < fs->n; i++)
		cap += fs->v[i].naddrs ? fs->v[i].naddrs : 1;
	s.addrs = calloc(cap + 1, sizeof(*s.addrs));
	s.syms = calloc(cap + 1, sizeof(*s.syms));
	s.cookies = calloc(cap + 1, sizeof(*s.cookies));
	s.fidx = calloc(cap + 1, sizeof(*s.fidx));
	if (!s.addrs || !s.syms || !s.cookies || !s.fidx) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < fs->n; i++) {
		if (fs->v[i].kind == NT_KIND_TRACEPOINT)
			continue;
		rep->requested++;
		if (!nt_attach_eligible(&fs->v[i], why, sizeof(why)))
			nt_attach_fail(rep, fs->v[i].name, why);
	}
	for (int p = 1; p <= NT_ATTACH_MAX_ARG; p++) {
		struct bpf_program *prog;
		bool by_addr = true;

		snprintf(name, sizeof(name), "nt_kpm%d", p);
		prog = nt_attach_prog(a, name);
		s.n = 0;
		/* by address when every function of this position has one */
		for (size_t i = 0; i < fs->n; i++)
			if (fs->v[i].arg == p && nt_attach_eligible(&fs->v[i], NULL, 0) && !fs->v[i].naddrs)
				by_addr = false;
		for (size_t i = 0; i < fs->n; i++) {
			const struct nt_func *f = &fs->v[i];
			uint64_t c;

			if (f->arg != p || !nt_attach_eligible(f, NULL, 0))
				continue;
			c = nt_attach_cookie(f, nt_attach_func_id(i));
			if (by_addr) {
				for (uint32_t k = 0; k < f->naddrs; k++) {
					s.addrs[s.n] = (unsigned long)f->addrs[k];
					s.cookies[s.n] = c;
					s.fidx[s.n++] = i;
				}
			} else {
				s.syms[s.n] = f->name;
				s.cookies[s.n] = c;
				s.fidx[s.n++] = i;
			}
		}
		if (!s.n)
			continue;
		struct kpm_set one = s;

		if (!by_addr)
			one.addrs = NULL;
		kpm_attach_range(a, prog, &one, 0, s.n, rep, 0);
	}
	rep->attach_ms = nt_attach_now_ms() - t0;
	nt_attach_extra_attach(a, nt_attach_probe_fentry(NULL, 0) == 0);
	if (a->verbose)
		nt_attach_report_print(rep);
	err = rep->attached ? 0 : -ENOENT;
out:
	free(s.addrs);
	free(s.syms);
	free(s.cookies);
	free(s.fidx);
	return err;
}

static void kpm_detach(void)
{
	nt_attach_quiesce();
	for (size_t i = 0; i < kpm_nlinks; i++)
		bpf_link__destroy(kpm_links[i]);
	free(kpm_links);
	kpm_links = NULL;
	kpm_nlinks = kpm_cap = 0;
	nt_attach_extra_detach();
}

const struct nt_backend nt_backend_kprobe_multi = {
	.name = "kprobe-multi",
	.one_link = true,
	.probe = kpm_probe,
	.prepare = kpm_prepare,
	.attach = kpm_attach,
	.detach = kpm_detach,
};
