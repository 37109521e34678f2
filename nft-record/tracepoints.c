// SPDX-License-Identifier: GPL-2.0
/*
 * tracepoints.c - the "tracepoint" backend: raw tracepoint programs of
 * bpf/tp.bpf.h.  Always attached, whatever function backend runs beside it.
 *
 * Three tracepoints have programs of their own (net_dev_xmit, kfree_skb with
 * the drop reason - or without it before 5.17 -, consume_skb).  Every other one - the five packet path
 * tracepoints with fixed ids and each skb-carrying tracepoint that
 * nt_discover() finds in the kernel's BTF - runs a clone of the generic
 * template nt_tpg<N> of its skb argument position N, whose one 64-bit
 * constant (NT_TPC_MAGIC) is replaced with its function id and flags
 * (raw tracepoints have no attach cookie before 6.10).  Tracepoints that do
 * not exist or cannot be attached are counted in the report, never fatal.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "nft-record/backend.h"
#include "nft-record/tracepoints.h"
#include "common/bpf_shared.h"
#include "nft-discover/discover.h"
#include "nt.skel.h"

#define TP_MAX 128
#define TP_MAX_ARG 5

/* Packet path tracepoints (fixed ids, names NT_TP_NAMES) and their program:
 * a special one, or the generic template with these flags. */
static const struct {
	uint32_t id;
	uint64_t flags;
	int special;
} tp_fixed[] = {
	{ NT_TP_NETIF_RECEIVE_SKB, NT_TPC_RECHECK, 0 },
	{ NT_TP_NETIF_RX, NT_TPC_RECHECK, 0 },
	{ NT_TP_NAPI_GRO_RECEIVE, NT_TPC_RECHECK, 0 },
	{ NT_TP_NET_DEV_QUEUE, NT_TPC_RECHECK, 0 },
	{ NT_TP_NET_DEV_START_XMIT, NT_TPC_RECHECK, 0 },
	{ NT_TP_NET_DEV_XMIT, 0, 1 },
	{ NT_TP_KFREE_SKB, 0, 1 },
	{ NT_TP_CONSUME_SKB, 0, 1 },
};

static const char *const tp_fixed_names[] = NT_TP_NAMES;
static const char *const tp_fixed_layers[] = NT_TP_LAYERS;

static struct nt_tp_desc tp_desc[TP_MAX];
static uint64_t tp_conf[TP_MAX];      /* generic: id | NT_TPC_* flags */
static int tp_special[TP_MAX];        /* 1: own program (fixed ids only) */
static char *tp_owned[TP_MAX];        /* names from discovery */
static struct bpf_link *tp_links[TP_MAX];
static int tp_fds[TP_MAX];            /* raw tracepoint fds of the clones, + 1 (0 = none) */
static size_t tp_n;
static uint32_t tp_unrecorded;        /* discovered but not recordable (counted as failed) */
static char tp_note[160];             /* why, for the report */
static int tp_kfree_reason = 1;       /* skb:kfree_skb has the drop reason argument (5.17+) */

size_t nt_tp_list(const struct nt_tp_desc **v)
{
	*v = tp_desc;
	return tp_n;
}

/* "net:netif_rx" -> "netif_rx" (raw tracepoint names have no category) */
static const char *tp_raw_name(const char *name)
{
	const char *c = strchr(name, ':');

	return c ? c + 1 : name;
}

static struct bpf_program *tp_special_prog(struct nt_bpf *s, uint32_t id)
{
	switch (id) {
	case NT_TP_NET_DEV_XMIT: return s->progs.nt_tp_net_dev_xmit;
	case NT_TP_KFREE_SKB:
		return tp_kfree_reason ? s->progs.nt_tp_kfree_skb : s->progs.nt_tp_kfree_skb_noreason;
	case NT_TP_CONSUME_SKB: return s->progs.nt_tp_consume_skb;
	default: return NULL;
	}
}

static struct bpf_program *tp_template(struct nt_bpf *s, int arg)
{
	switch (arg) {
	case 1: return s->progs.nt_tpg1;
	case 2: return s->progs.nt_tpg2;
	case 3: return s->progs.nt_tpg3;
	case 4: return s->progs.nt_tpg4;
	case 5: return s->progs.nt_tpg5;
	default: return NULL;
	}
}

static int tp_probe(char *why, size_t whylen)
{
	(void)why;
	(void)whylen;
	return 0;
}

static void tp_reset(void)
{
	for (size_t i = 0; i < tp_n; i++) {
		free(tp_owned[i]);
		tp_owned[i] = NULL;
	}
	tp_n = 0;
	tp_unrecorded = 0;
	tp_note[0] = 0;
}

static int tp_is_fixed(const char *name)
{
	for (size_t i = 0; i < sizeof(tp_fixed) / sizeof(tp_fixed[0]); i++)
		if (!strcmp(tp_raw_name(tp_fixed_names[i]), tp_raw_name(name)))
			return 1;
	return 0;
}

/* Every other skb tracepoint of the kernel, ids from BASE on. */
static int tp_discover(uint32_t base)
{
	struct nt_discover_opts o = { .sz = sizeof(o), .filter_funcs_path = "",
				      .blacklist_path = "" };
	struct nt_funcs all = { 0 };
	size_t over = 0, unusable = 0;
	char err[256];
	int ret;

	ret = nt_discover(&o, &all, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "nft-record: tracepoint discovery failed (%s): "
			"packet path tracepoints only\n", err);
		return ret == -ENOMEM ? ret : 0;
	}
	for (size_t i = 0; i < all.n; i++) {
		const struct nt_func *f = &all.v[i];
		struct nt_tp_desc *d;

		if (f->kind != NT_KIND_TRACEPOINT || tp_is_fixed(f->name))
			continue;
		if (f->via || f->arg < 1 || f->arg > TP_MAX_ARG) {
			unusable++; /* skb reached through a struct: not handled */
			continue;
		}
		if (tp_n == TP_MAX) {
			over++;
			continue;
		}
		tp_owned[tp_n] = strdup(f->name);
		if (!tp_owned[tp_n]) {
			nt_funcs_free(&all);
			return -ENOMEM;
		}
		d = &tp_desc[tp_n];
		d->id = base++;
		d->name = tp_owned[tp_n];
		d->layer = f->layer ? f->layer : "Other";
		d->priority = f->priority;
		d->arg = f->arg;
		tp_conf[tp_n] = d->id | NT_TPC_RECHECK | NT_TPC_IP_ONLY | NT_TPC_TRACKED;
		tp_special[tp_n] = 0;
		tp_n++;
	}
	tp_unrecorded = (uint32_t)(over + unusable);
	if (tp_unrecorded)
		snprintf(tp_note, sizeof(tp_note), "%zu beyond %d, %zu with the skb inside a struct",
			 over, TP_MAX, unusable);
	nt_funcs_free(&all);
	return 0;
}

/*
 * Whether skb:kfree_skb passes the drop reason (kernel >= 5.17): its BTF
 * prototype btf_trace_kfree_skb(void *, skb, location, reason, ...) has four
 * or more parameters.  Without kernel BTF, assume it does.
 */
static int tp_kfree_has_reason(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	int id, ret = 1;

	if (!btf)
		return 1;
	id = btf__find_by_name_kind(btf, "btf_trace_kfree_skb", BTF_KIND_TYPEDEF);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	if (t)
		t = btf__type_by_id(btf, t->type); /* pointer */
	if (t && btf_is_ptr(t))
		t = btf__type_by_id(btf, t->type); /* function prototype */
	if (t && btf_is_func_proto(t))
		ret = btf_vlen(t) >= 4;
	btf__free(btf);
	return ret;
}

static int tp_prepare(const struct nt_backend_args *a)
{
	uint32_t base = NT_TP__COUNT + (uint32_t)(a->funcs ? a->funcs->n : 0);
	int used[TP_MAX_ARG + 1] = { 0 }, err;

	tp_reset();
	for (size_t i = 0; i < sizeof(tp_fixed) / sizeof(tp_fixed[0]); i++) {
		struct nt_tp_desc *d = &tp_desc[tp_n];

		d->id = tp_fixed[i].id;
		d->name = tp_fixed_names[tp_fixed[i].id];
		d->layer = tp_fixed_layers[tp_fixed[i].id];
		d->priority = 0;
		d->arg = 1;
		tp_conf[tp_n] = d->id | tp_fixed[i].flags;
		tp_special[tp_n] = tp_fixed[i].special;
		tp_n++;
	}
	err = tp_discover(base);
	if (err)
		return err;
	tp_kfree_reason = tp_kfree_has_reason();
	if (!tp_kfree_reason)
		fprintf(stderr, "nft-record: note: skb:kfree_skb passes no drop reason on this kernel "
				"(< 5.17): drops are recorded with reason 0 (unknown)\n");
	for (size_t i = 0; i < tp_n; i++) {
		if (tp_special[i])
			err = bpf_program__set_autoload(tp_special_prog(a->skel, tp_desc[i].id), true);
		else
			used[tp_desc[i].arg] = 1;
		if (err)
			return err;
	}
	for (int p = 1; p <= TP_MAX_ARG; p++) {
		err = bpf_program__set_autoload(tp_template(a->skel, p), used[p]);
		if (err)
			return err;
	}
	return 0;
}

static void tp_fail(struct nt_attach_report *rep, const char *name, const char *why)
{
	size_t off = strlen(rep->first_failures);

	rep->failed++;
	if (off < sizeof(rep->first_failures) - 1)
		snprintf(rep->first_failures + off, sizeof(rep->first_failures) - off, "%s%s: %s",
			 off ? "; " : "", name, why);
}

size_t nt_tp_patch_conf(struct bpf_insn *buf, size_t n, uint64_t conf)
{
	size_t patched = 0;

	for (size_t i = 0; i + 1 < n; i++) {
		if (buf[i].code != (BPF_LD | BPF_DW | BPF_IMM) || buf[i].src_reg ||
		    (uint32_t)buf[i].imm != (uint32_t)NT_TPC_MAGIC ||
		    (uint32_t)buf[i + 1].imm != (uint32_t)(NT_TPC_MAGIC >> 32))
			continue;
		buf[i].imm = (int32_t)(uint32_t)conf;
		buf[i + 1].imm = (int32_t)(uint32_t)(conf >> 32);
		patched++;
		i++;
	}
	return patched;
}

/* Load a clone of TMPL whose NT_TPC_MAGIC constant is CONF; attach it to the
 * raw tracepoint RAW.  Returns the raw tracepoint fd or -errno. */
static int tp_clone_attach(const struct bpf_program *tmpl, uint64_t conf, const char *raw,
			   struct bpf_insn *buf)
{
	const struct bpf_insn *in = bpf_program__insns(tmpl);
	size_t n = bpf_program__insn_cnt(tmpl), patched = 0;
	int pfd, fd, err;

	if (!in || !n)
		return -ENOENT;
	memcpy(buf, in, n * sizeof(*buf));
	patched = nt_tp_patch_conf(buf, n, conf);
	if (!patched)
		return -ENOEXEC; /* template without its constant: build problem */
	pfd = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "nt_tpg", "GPL", buf, n, NULL);
	if (pfd < 0)
		return -errno;
	fd = bpf_raw_tracepoint_open(raw, pfd);
	err = -errno;
	close(pfd); /* the raw tracepoint holds the program */
	return fd < 0 ? err : fd;
}

static int tp_attach(const struct nt_backend_args *a, struct nt_attach_report *rep)
{
	struct timespec t0, t1;
	struct bpf_insn *buf = NULL;
	size_t maxn = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(rep, 0, sizeof(*rep));
	rep->backend = "tracepoint";
	rep->requested = (uint32_t)tp_n + tp_unrecorded;
	for (int p = 1; p <= TP_MAX_ARG; p++) {
		const struct bpf_program *t = tp_template(a->skel, p);

		if (bpf_program__autoload(t) && bpf_program__insn_cnt(t) > maxn)
			maxn = bpf_program__insn_cnt(t);
	}
	if (maxn && !(buf = malloc(maxn * sizeof(*buf))))
		return -ENOMEM;
	for (size_t i = 0; i < tp_n; i++) {
		const char *raw = tp_raw_name(tp_desc[i].name);
		int fd;

		if (tp_special[i]) {
			tp_links[i] = bpf_program__attach(tp_special_prog(a->skel, tp_desc[i].id));
			if (!tp_links[i]) {
				tp_fail(rep, tp_desc[i].name, strerror(errno));
				continue;
			}
			rep->attached++;
			continue;
		}
		fd = tp_clone_attach(tp_template(a->skel, tp_desc[i].arg), tp_conf[i], raw, buf);
		if (fd < 0) {
			tp_fail(rep, tp_desc[i].name, fd == -ENOENT ? "no such tracepoint"
								 : strerror(-fd));
			continue;
		}
		tp_fds[i] = fd + 1;
		rep->attached++;
	}
	free(buf);
	if (tp_unrecorded) {
		tp_fail(rep, "not recordable", tp_note);
		rep->failed += tp_unrecorded - 1;
	}
	/* Setup is over: the discovery tables and the kernel BTF libbpf read for
	 * CO-RE at load are freed, but glibc keeps their heap pages (6-7 MB of
	 * RSS for the whole recording); give them back. */
	malloc_trim(0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	rep->attach_ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	return rep->attached ? 0 : -ENOENT;
}

static void tp_detach(void)
{
	for (size_t i = 0; i < TP_MAX; i++) {
		bpf_link__destroy(tp_links[i]);
		tp_links[i] = NULL;
		if (tp_fds[i] > 0)
			close(tp_fds[i] - 1);
		tp_fds[i] = 0;
	}
}

const struct nt_backend nt_backend_tracepoint = {
	.name = "tracepoint",
	.probe = tp_probe,
	.prepare = tp_prepare,
	.attach = tp_attach,
	.detach = tp_detach,
};
