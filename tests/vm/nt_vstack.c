// SPDX-License-Identifier: GPL-2.0
/*
 * nt_vstack.c - the combined stack of one program of nt.bpf.o as 6.1's and
 * 6.12's verifiers count it, from this kernel's verifier (root): PROG is
 * loaded with the read-only configuration CONFIG (and the --filter block
 * patched in), the verifier's statistics give each subprogram's stack depth
 * (what it saw accessed on the paths it explored: "stack depth A+B+..."),
 * and the call graph is every call of the loaded instructions, dead ones
 * included, as check_max_stack_depth() walks it (tests/tools/bpfstack/).
 * Caveat: the paths explored are this kernel's (CO-RE and helper
 * availability can differ on 6.1).  Usable inside a test VM too.
 *
 * usage: nt-vstack PROG CONFIG
 *   CONFIG  comma list of: none, keep, bytes, ct, stack, valve, flags, func,
 *           filter (--filter 'tcp port 80'), or all (every one of them)
 * prints one line:
 *   VSTACK prog=P config=C r61=N r612=N depths=F:D,F:D,... chain61=F>F>F
 * Exit 0, or 1 with one line on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "common/bpf_shared.h"
#include "nft-record/capfilter.h"
#include "tests/tools/bpfstack/bpfstack.h"
#include "nt.skel.h"

#define LOG_SIZE (1 << 20)
#define MAXF 64

static int quiet(enum libbpf_print_level l, const char *f, va_list a)
{
	return 0;
}

static int has(const char *list, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = list; (p = strstr(p, w)); p += n)
		if ((p == list || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
			return 1;
	return 0;
}

static int configure(struct nt_bpf *s, const char *c, struct nt_capfilter *flt, char *err, size_t errlen)
{
	int all = has(c, "all");

	if (all || has(c, "keep")) {
		s->rodata->nt_keep_on = 1;
		s->rodata->nt_keep_drop = 1;
		s->rodata->nt_keep_verdicts = 0x3f;
		s->rodata->nt_keep_slow_ns = 1000000;
		s->rodata->nt_keep_rules[0] = 7;
		s->rodata->nt_keep_funcs[0] = NT_TP__COUNT + 1;
	}
	if (all || has(c, "bytes"))
		s->rodata->nt_capture_bytes = 128;
	if (all || has(c, "ct"))
		s->rodata->nt_ct_on = 1;
	if (all || has(c, "stack"))
		s->rodata->nt_stack_mode = NT_STACK_ALL;
	if (all || has(c, "valve")) {
		s->rodata->nt_valve_rate = 1000;
		s->rodata->nt_valve_ended = 1;
	}
	if (all || has(c, "func")) {
		s->rodata->nt_nft_func_id = NT_TP__COUNT + 2;
		s->rodata->nt_alloc_func_id = NT_TP__COUNT + 3;
		s->rodata->nt_ct_in_func_id = NT_TP__COUNT + 4;
	}
	s->rodata->nt_wakeup_bytes = 1 << 20;
	if (all || has(c, "filter")) {
		if (nt_capfilter_parse("tcp port 80", flt, err, errlen) ||
		    nt_capfilter_patch(flt, s->obj, err, errlen) <= 0)
			return -1;
		memcpy((void *)&s->rodata->nt_cfg, &flt->bpf, sizeof(flt->bpf));
	}
	if (all || has(c, "flags")) {
		struct nt_filter f = s->rodata->nt_cfg;

		f.flags |= NT_FLT_IFINDEX | NT_FLT_NETNS | NT_FLT_MARK;
		f.ifindex = 1;
		f.netns = 1;
		f.mark_mask = 1;
		memcpy((void *)&s->rodata->nt_cfg, &f, sizeof(f));
	}
	return 0;
}

/* The loaded program's subprograms as the kernel kept them: names (its
 * function info) and the verifier's stack depth of each, in order */
static int kernel_depths(int fd, const char *log, char names[][NT_BS_NAME], int *depth, int *n, char *err,
			 size_t errlen)
{
	struct bpf_func_info fi[MAXF];
	struct bpf_prog_info info;
	__u32 il = sizeof(info);
	struct btf *btf;
	const char *q = strstr(log, "stack depth ");
	int nd = 0;

	for (q = q ? q + 12 : NULL; q && nd < MAXF;) {
		char *e;

		depth[nd++] = (int)strtol(q, &e, 10);
		q = *e == '+' ? e + 1 : NULL;
	}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &il) || (int)info.nr_func_info != nd || !info.btf_id) {
		snprintf(err, errlen, "%d stack depths in the verifier's log for %u functions", nd,
			 info.nr_func_info);
		return -1;
	}
	*n = nd;
	memset(&info, 0, sizeof(info));
	info.nr_func_info = (__u32)nd;
	info.func_info_rec_size = sizeof(fi[0]);
	info.func_info = (__u64)(unsigned long)fi;
	il = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &il) || !(btf = btf__load_from_kernel_by_id(info.btf_id))) {
		snprintf(err, errlen, "cannot read the function info: %s", strerror(errno));
		return -1;
	}
	for (int i = 0; i < nd; i++) {
		const struct btf_type *t = btf__type_by_id(btf, fi[i].type_id);

		snprintf(names[i], NT_BS_NAME, "%s", t ? btf__name_by_offset(btf, t->name_off) : "?");
	}
	btf__free(btf);
	return 0;
}

int main(int argc, char **argv)
{
	static char logb[LOG_SIZE];
	static char names[MAXF][NT_BS_NAME];
	const char *want = argc > 1 ? argv[1] : NULL, *conf = argc > 2 ? argv[2] : "none";
	struct nt_bs_obj o;
	struct nt_bs_chain c61, c612;
	struct bpf_program *p, *me = NULL;
	struct nt_capfilter flt;
	int kdepth[MAXF], nk = 0, root, t61, t612, *depth;
	char err[512], chain[1024];
	const void *elf;
	struct nt_bpf *s;
	size_t elfsz;

	if (!want || argc > 3) {
		fprintf(stderr, "usage: nt-vstack PROG [CONFIG: none|all|keep,bytes,ct,stack,valve,flags,func,filter]\n");
		return 1;
	}
	memset(&flt, 0, sizeof(flt));
	elf = nt_bpf__elf_bytes(&elfsz);
	if (nt_bs_open_mem(elf, elfsz, &o, err, sizeof(err))) {
		fprintf(stderr, "nt-vstack: nt.bpf.o: %s\n", err);
		return 1;
	}
	root = nt_bs_find(&o, want);
	depth = calloc(o.n, sizeof(*depth));
	libbpf_set_print(quiet);
	s = nt_bpf__open();
	if (!s || !depth) {
		fprintf(stderr, "nt-vstack: cannot open the skeleton: %s\n", strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(p, s->obj) {
		bool it = !strcmp(bpf_program__name(p), want);

		bpf_program__set_autoload(p, it);
		if (it)
			me = p;
	}
	if (!me || root < 0) {
		fprintf(stderr, "nt-vstack: no program %s in nt.bpf.o\n", want);
		return 1;
	}
	if (bpf_program__type(me) == BPF_PROG_TYPE_TRACING && bpf_program__set_attach_target(me, 0, "ip_rcv")) {
		fprintf(stderr, "nt-vstack: %s: no fentry target ip_rcv\n", want);
		return 1;
	}
	if (configure(s, conf, &flt, err, sizeof(err))) {
		fprintf(stderr, "nt-vstack: %s: config %s: %s\n", want, conf, err);
		return 1;
	}
	bpf_program__set_log_level(me, 4);
	bpf_program__set_log_buf(me, logb, sizeof(logb));
	if (nt_bpf__load(s)) {
		fprintf(stderr, "nt-vstack: %s: load failed: %.300s\n", want, logb);
		return 1;
	}
	if (kernel_depths(bpf_program__fd(me), logb, names, kdepth, &nk, err, sizeof(err))) {
		fprintf(stderr, "nt-vstack: %s: %s\n", want, err);
		return 1;
	}
	/* the object's call graph (every call, dead ones included); a function
	 * the kernel removed as dead was never explored: depth 0 */
	for (int k = 0; k < nk; k++) {
		int i = k ? nt_bs_find(&o, names[k]) : root;

		if (i < 0) {
			fprintf(stderr, "nt-vstack: %s: the kernel's function %s is not in nt.bpf.o\n", want, names[k]);
			return 1;
		}
		depth[i] = kdepth[k];
	}
	t61 = nt_bs_worst(&o, root, NT_BS_RULE_61, depth, &c61);
	t612 = nt_bs_worst(&o, root, NT_BS_RULE_612, depth, &c612);
	printf("VSTACK prog=%s config=%s r61=%d r612=%d depths=", want, conf, t61, t612);
	for (int k = 0; k < nk; k++)
		printf("%s%s:%d", k ? "," : "", names[k], kdepth[k]);
	nt_bs_chain_str(&o, &c61, chain, sizeof(chain));
	printf(" chain61=%s\n", chain);
	free(depth);
	nt_bs_free(&o);
	nt_capfilter_free(&flt);
	nt_bpf__destroy(s);
	return 0;
}
