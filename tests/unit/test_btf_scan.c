// SPDX-License-Identifier: GPL-2.0
/*
 * test_btf_scan.c - skb argument detection on small BTF blobs built here with
 * libbpf's btf__new_empty / btf__add_* API (no dependency on the host kernel),
 * split (module) BTF, and nt_discover() end to end on a synthetic offline
 * directory (vmlinux + module BTF, kallsyms, filter list, blacklist).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "common/records.h"
#include "nft-discover/btf_scan.h"
#include "nft-discover/discover.h"
#include "nft-discover/output.h"
#include "tests/unit/nt_test.h"

/* ---- the synthetic "vmlinux" ---- */

struct ids {
	int int_t, skb, p_skb, c_skb, p_c_skb, td_skb, p_td_skb, td_p_skb, v_skb, p_v_skb, pp_skb;
	int pkt, p_pkt, c_pkt, p_c_pkt, other, p_other, netdev, p_netdev, p_void;
};

static int add_fn(struct btf *btf, const char *name, int n, const int *types)
{
	int proto = btf__add_func_proto(btf, 0);
	char pn[8];

	if (proto < 0)
		return proto;
	for (int i = 0; i < n; i++) {
		snprintf(pn, sizeof(pn), "a%d", i);
		if (btf__add_func_param(btf, pn, types[i]))
			return -1;
	}
	return btf__add_func(btf, name, BTF_FUNC_GLOBAL, proto);
}

static int add_tp(struct btf *btf, const char *event, int n, const int *types)
{
	char name[128];
	int proto = btf__add_func_proto(btf, 0), ptr;

	if (proto < 0)
		return proto;
	for (int i = 0; i < n; i++)
		if (btf__add_func_param(btf, NULL, types[i]))
			return -1;
	ptr = btf__add_ptr(btf, proto);
	snprintf(name, sizeof(name), "btf_trace_%s", event);
	return btf__add_typedef(btf, name, ptr);
}

#define FN(name, ...) do { int t_[] = { __VA_ARGS__ }; \
	if (add_fn(btf, name, (int)(sizeof(t_) / sizeof(t_[0])), t_) < 0) goto fail; } while (0)
#define TP(name, ...) do { int t_[] = { __VA_ARGS__ }; \
	if (add_tp(btf, name, (int)(sizeof(t_) / sizeof(t_[0])), t_) < 0) goto fail; } while (0)

#define N_FUNCS 18 /* FUNC entries added by build_vmlinux() */
#define N_TPS 3

static struct btf *build_vmlinux(struct ids *x)
{
	struct btf *btf = btf__new_empty();
	int I;

	if (!btf)
		return NULL;
	I = x->int_t = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	x->skb = btf__add_struct(btf, "sk_buff", 232);
	btf__add_field(btf, "len", I, 0, 0);
	x->p_skb = btf__add_ptr(btf, x->skb);
	x->c_skb = btf__add_const(btf, x->skb);
	x->p_c_skb = btf__add_ptr(btf, x->c_skb);
	x->td_skb = btf__add_typedef(btf, "skb_t", x->skb);      /* typedef struct sk_buff skb_t */
	x->p_td_skb = btf__add_ptr(btf, x->td_skb);
	x->td_p_skb = btf__add_typedef(btf, "skbp_t", x->p_skb); /* typedef struct sk_buff *skbp_t */
	x->v_skb = btf__add_volatile(btf, x->skb);
	x->p_v_skb = btf__add_ptr(btf, x->v_skb);
	x->pp_skb = btf__add_ptr(btf, x->p_skb);
	x->pkt = btf__add_struct(btf, "nft_pktinfo", 48);
	btf__add_field(btf, "skb", x->p_skb, 0, 0);
	btf__add_field(btf, "flags", I, 64, 0);
	x->p_pkt = btf__add_ptr(btf, x->pkt);
	x->c_pkt = btf__add_const(btf, x->pkt);
	x->p_c_pkt = btf__add_ptr(btf, x->c_pkt);
	x->other = btf__add_struct(btf, "not_allowed", 8); /* holds an skb, not in the via table */
	btf__add_field(btf, "skb", x->p_skb, 0, 0);
	x->p_other = btf__add_ptr(btf, x->other);
	x->netdev = btf__add_struct(btf, "net_device", 64);
	btf__add_field(btf, "mtu", I, 0, 0);
	x->p_netdev = btf__add_ptr(btf, x->netdev);
	x->p_void = btf__add_ptr(btf, 0);

	FN("f_plain", x->p_skb);                                   /* skb arg 1 */
	FN("f_const", I, x->p_c_skb);                              /* skb arg 2 */
	FN("f_typedef", I, I, x->p_td_skb);                        /* skb arg 3 */
	FN("f_typedef_ptr", I, I, I, x->td_p_skb);                 /* skb arg 4 */
	FN("f_volatile", I, I, I, I, x->p_v_skb);                  /* skb arg 5 */
	FN("f_arg6", I, I, I, I, I, x->p_skb);                     /* not found */
	FN("f_pp", x->pp_skb);                                     /* skb_pp arg 1 */
	FN("f_pp_then_skb", x->pp_skb, x->p_skb);                  /* skb arg 2 wins */
	FN("f_via", I, x->p_pkt);                                  /* skb_via arg 2 */
	FN("f_via_const", x->p_c_pkt, I);                          /* skb_via arg 1 */
	FN("f_via_then_pp", x->p_pkt, x->pp_skb);                  /* skb_pp arg 2 wins */
	FN("nft_do_chain", x->p_pkt, x->p_void);                   /* nft_hook arg 1, via */
	FN("nft_do_chain_ipv4", x->p_void, x->p_skb, x->p_void);  /* nft_hook arg 2 */
	FN("nft_do_chainx", x->p_pkt);                             /* skb_via: not the hook rule */
	FN("f_netdev", x->p_netdev, I);                            /* not found */
	FN("f_not_allowed", x->p_other);                           /* not found */
	FN("f_by_value", x->skb);                                  /* not found: not a pointer */
	if (add_fn(btf, "f_void", 0, NULL) < 0)                    /* not found */
		goto fail;
	TP("netif_receive_skb", x->p_void, x->p_skb);             /* tp arg 1 */
	TP("my_event", x->p_void, I, x->p_c_skb);                 /* tp arg 2 */
	TP("no_skb_event", x->p_void, I);                         /* not found */
	return btf;
fail:
	btf__free(btf);
	return NULL;
}

struct collect {
	struct nt_btf_hit h[64];
	char names[64][64];
	int n;
};

static int collect_cb(const struct nt_btf_hit *h, void *ctx)
{
	struct collect *c = ctx;

	if (c->n >= 64)
		return -E2BIG;
	c->h[c->n] = *h;
	snprintf(c->names[c->n], sizeof(c->names[0]), "%s", h->name);
	c->h[c->n].name = c->names[c->n];
	c->n++;
	return 0;
}

static const struct nt_btf_hit *hit(const struct collect *c, const char *name)
{
	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->h[i].name, name))
			return &c->h[i];
	return NULL;
}

#define CHECK_HIT(c, nm, k, a) do { const struct nt_btf_hit *h_ = hit(c, nm); \
	if (!h_) { printf("FAIL: %s: %s not found\n", nt__case, nm); nt__case_failed = 1; return; } \
	CHECK_EQ_INT(h_->kind, k); CHECK_EQ_INT(h_->arg, a); } while (0)
#define CHECK_NO_HIT(c, nm) do { if (hit(c, nm)) { \
	printf("FAIL: %s: %s must not be found\n", nt__case, nm); nt__case_failed = 1; return; } } while (0)

TEST(scan_vmlinux_kinds_and_args)
{
	struct ids x;
	struct collect c = { 0 };
	struct nt_btf_scan_stats st;
	struct btf *btf = build_vmlinux(&x);

	CHECK(btf);
	CHECK_EQ_INT(nt_btf_scan(btf, 1, collect_cb, &c, &st), 0);
	btf__free(btf);
	CHECK_EQ_INT(st.funcs, N_FUNCS);
	CHECK_EQ_INT(st.tracepoints, N_TPS);
	CHECK_EQ_INT(st.hits, 15);
	CHECK_EQ_INT(c.n, 15);
	CHECK_HIT(&c, "f_plain", NT_KIND_SKB, 1);
	CHECK_HIT(&c, "f_const", NT_KIND_SKB, 2);
	CHECK_HIT(&c, "f_typedef", NT_KIND_SKB, 3);
	CHECK_HIT(&c, "f_typedef_ptr", NT_KIND_SKB, 4);
	CHECK_HIT(&c, "f_volatile", NT_KIND_SKB, 5);
	CHECK_HIT(&c, "f_pp", NT_KIND_SKB_PP, 1);
	CHECK_HIT(&c, "f_pp_then_skb", NT_KIND_SKB, 2);
	CHECK_HIT(&c, "f_via", NT_KIND_SKB_VIA, 2);
	CHECK_EQ_STR(hit(&c, "f_via")->via_struct, "nft_pktinfo");
	CHECK_EQ_STR(hit(&c, "f_via")->via_member, "skb");
	CHECK_HIT(&c, "f_via_const", NT_KIND_SKB_VIA, 1);
	CHECK_HIT(&c, "f_via_then_pp", NT_KIND_SKB_PP, 2);
	CHECK_HIT(&c, "nft_do_chain", NT_KIND_NFT_HOOK, 1);
	CHECK_EQ_STR(hit(&c, "nft_do_chain")->via_struct, "nft_pktinfo");
	CHECK_HIT(&c, "nft_do_chain_ipv4", NT_KIND_NFT_HOOK, 2);
	CHECK(hit(&c, "nft_do_chain_ipv4")->via_struct == NULL);
	CHECK_HIT(&c, "nft_do_chainx", NT_KIND_SKB_VIA, 1);
	CHECK_HIT(&c, "netif_receive_skb", NT_KIND_TRACEPOINT, 1);
	CHECK_HIT(&c, "my_event", NT_KIND_TRACEPOINT, 2);
	CHECK_NO_HIT(&c, "f_arg6");
	CHECK_NO_HIT(&c, "f_netdev");
	CHECK_NO_HIT(&c, "f_not_allowed");
	CHECK_NO_HIT(&c, "f_by_value");
	CHECK_NO_HIT(&c, "f_void");
	CHECK_NO_HIT(&c, "no_skb_event");
}

TEST(scan_without_tracepoints)
{
	struct ids x;
	struct collect c = { 0 };
	struct nt_btf_scan_stats st;
	struct btf *btf = build_vmlinux(&x);

	CHECK(btf);
	CHECK_EQ_INT(nt_btf_scan(btf, 0, collect_cb, &c, &st), 0);
	btf__free(btf);
	CHECK_EQ_INT(st.tracepoints, 0);
	CHECK_EQ_INT(c.n, 13);
	CHECK_NO_HIT(&c, "netif_receive_skb");
}

TEST(param_kind_direct)
{
	struct ids x;
	const char *vs = NULL, *vm = NULL;
	struct btf *btf = build_vmlinux(&x);

	CHECK(btf);
	CHECK_EQ_INT(nt_btf_param_kind(btf, x.p_skb, NULL, NULL), NT_KIND_SKB);
	CHECK_EQ_INT(nt_btf_param_kind(btf, x.td_p_skb, NULL, NULL), NT_KIND_SKB);
	CHECK_EQ_INT(nt_btf_param_kind(btf, x.pp_skb, NULL, NULL), NT_KIND_SKB_PP);
	CHECK_EQ_INT(nt_btf_param_kind(btf, x.p_c_pkt, &vs, &vm), NT_KIND_SKB_VIA);
	CHECK_EQ_STR(vs, "nft_pktinfo");
	CHECK_EQ_STR(vm, "skb");
	CHECK_EQ_INT(nt_btf_param_kind(btf, x.skb, NULL, NULL), -1);
	CHECK_EQ_INT(nt_btf_param_kind(btf, x.p_void, NULL, NULL), -1);
	CHECK_EQ_INT(nt_btf_param_kind(btf, x.int_t, NULL, NULL), -1);
	CHECK_EQ_INT(nt_btf_param_kind(btf, x.p_other, NULL, NULL), -1);
	btf__free(btf);
}

TEST(callback_error_stops_scan)
{
	struct ids x;
	struct collect c = { 0 };
	struct btf *btf = build_vmlinux(&x);

	CHECK(btf);
	c.n = 63; /* room for one hit, then -E2BIG */
	CHECK_EQ_INT(nt_btf_scan(btf, 1, collect_cb, &c, NULL), -E2BIG);
	btf__free(btf);
}

/* Module BTF: split on top of the vmlinux blob; only its own ids are scanned. */
static struct btf *build_module(struct btf *base, const struct ids *x)
{
	struct btf *btf = btf__new_empty_split(base);
	int I = x->int_t;

	if (!btf)
		return NULL;
	FN("mod_rcv", I, x->p_skb);           /* skb arg 2, from base types */
	FN("f_plain", x->p_c_skb);            /* same name as a vmlinux function */
	FN("mod_nothing", I);
	int st = btf__add_struct(btf, "mod_priv", 8);
	btf__add_field(btf, "skb", x->p_skb, 0, 0);
	int p = btf__add_ptr(btf, st);
	FN("mod_priv_fn", p);                 /* not in the via table */
	TP("mod_event", x->p_void, x->p_skb); /* module tracepoint */
	return btf;
fail:
	btf__free(btf);
	return NULL;
}

TEST(scan_split_module)
{
	struct ids x;
	struct collect c = { 0 };
	struct nt_btf_scan_stats st;
	struct btf *base = build_vmlinux(&x), *mod;

	CHECK(base);
	mod = build_module(base, &x);
	CHECK(mod);
	CHECK_EQ_INT(nt_btf_scan(mod, 1, collect_cb, &c, &st), 0);
	CHECK_EQ_INT(st.funcs, 4);
	CHECK_EQ_INT(st.tracepoints, 1);
	CHECK_EQ_INT(c.n, 3);
	CHECK_HIT(&c, "mod_rcv", NT_KIND_SKB, 2);
	CHECK_HIT(&c, "f_plain", NT_KIND_SKB, 1);
	CHECK_HIT(&c, "mod_event", NT_KIND_TRACEPOINT, 1);
	CHECK(hit(&c, "mod_rcv")->btf_id >= btf__type_cnt(base));
	CHECK_NO_HIT(&c, "mod_priv_fn");
	CHECK_NO_HIT(&c, "f_const"); /* a base function */
	btf__free(mod);
	btf__free(base);
}

/* ---- nt_discover() end to end on a synthetic offline directory ---- */

static char tmpdir[256];

static int write_file(const char *name, const void *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	if (fwrite(data, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

static int write_btf(const char *name, struct btf *btf)
{
	__u32 sz;
	const void *raw = btf__raw_data(btf, &sz);

	return raw ? write_file(name, raw, sz) : -1;
}

static const char kallsyms_txt[] =
	"ffffffff81000000 T _stext\n"
	"ffffffff81000100 T f_plain\n"
	"ffffffff81000200 t f_const\n"
	"ffffffff81000300 t f_typedef\n"
	"ffffffff81000310 t f_typedef\n"          /* duplicated name: multi_addr */
	"ffffffff81000400 t f_typedef_ptr.isra.0\n" /* only a renamed copy: no_ksym + alias */
	"ffffffff81000500 T f_volatile\n"
	"ffffffff81000600 T f_pp\n"
	"ffffffff81000700 T f_pp_then_skb\n"
	"ffffffff81000800 T f_via\n"
	"ffffffff81000900 T f_via_const\n"
	"ffffffff81000a00 T f_via_then_pp\n"
	"ffffffff81000b00 T nft_do_chain\n"
	"ffffffff81000c00 T nft_do_chain_ipv4\n"
	"ffffffff81000d00 d nft_do_chainx\n"      /* data symbol: does not count */
	"ffffffff81000e00 T __traceiter_netif_receive_skb\n"
	"ffffffffc0001000 t mod_rcv\t[mymod]\n"
	"ffffffffc0001100 t f_plain\t[mymod]\n"
	"ffffffffc0001200 T __traceiter_mod_event\t[mymod]\n"
	"ffffffff81000f00 T my_event\n";          /* not __traceiter_: tp not in kallsyms */

static const char filter_txt[] = "f_plain\nf_const\nf_typedef\nf_volatile\nf_pp\nf_via\n"
	"f_via_const\nf_via_then_pp\nnft_do_chain\nnft_do_chain_ipv4\nmod_rcv [mymod]\n"
	"f_plain [mymod]\n"; /* f_pp_then_skb missing: notrace */
static const char blacklist_txt[] = "0xffffffff81000500-0xffffffff81000580\tf_volatile\n";

static int setup_dir(void)
{
	struct ids x;
	struct btf *base, *mod;
	int rc = -1;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/nt_test_btf_XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	base = build_vmlinux(&x);
	mod = base ? build_module(base, &x) : NULL;
	if (mod && !write_btf("vmlinux", base) && !write_btf("mymod", mod) &&
	    !write_file("kallsyms", kallsyms_txt, sizeof(kallsyms_txt) - 1) &&
	    !write_file("available_filter_functions", filter_txt, sizeof(filter_txt) - 1) &&
	    !write_file("kprobes_blacklist", blacklist_txt, sizeof(blacklist_txt) - 1) &&
	    !write_file("README", "not btf\n", 8))
		rc = 0;
	btf__free(mod);
	btf__free(base);
	return rc;
}

static void cleanup_dir(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd)) {
	}
}

static int run_discover(struct nt_funcs *f, char *err, size_t errlen)
{
	char ks[512];
	struct nt_discover_opts o = { .sz = sizeof(o) };

	snprintf(ks, sizeof(ks), "%s/kallsyms", tmpdir);
	o.btf_path = tmpdir;
	o.kallsyms_path = ks;
	o.tracefs_path = "";
	return nt_discover(&o, f, err, errlen);
}

static const struct nt_func *find_mod(const struct nt_funcs *f, const char *name, const char *mod)
{
	return nt_funcs_find(f, name, mod);
}

TEST(discover_offline_dir)
{
	struct nt_funcs f = { 0 };
	const struct nt_func *fn;
	char err[256];

	CHECK_EQ_INT(run_discover(&f, err, sizeof(err)), 0);
	CHECK_EQ_INT(f.btf_modules, 1);
	CHECK_EQ_INT(f.btf_funcs, N_FUNCS + 4);
	CHECK_EQ_INT(f.ksyms, 20);
	CHECK_EQ_INT(f.filter_funcs_read, 1);
	CHECK_EQ_INT(f.blacklist_read, 1);
	CHECK_EQ_INT(f.n, 15 + 3);

	fn = find_mod(&f, "f_plain", "vmlinux");
	CHECK(fn);
	CHECK(fn->module == NULL);
	CHECK_EQ_INT(fn->naddrs, 1);
	CHECK(fn->addrs[0] == 0xffffffff81000100ull);
	CHECK_EQ_INT(fn->flags, NT_FN_PROBEABLE);
	CHECK_EQ_STR(fn->layer, "Other");
	CHECK_EQ_INT(fn->priority, 3);

	fn = find_mod(&f, "f_plain", "mymod");
	CHECK(fn);
	CHECK_EQ_STR(fn->module, "mymod");
	CHECK_EQ_INT(fn->naddrs, 1);
	CHECK(fn->addrs[0] == 0xffffffffc0001100ull);
	CHECK_EQ_INT(fn->flags, NT_FN_PROBEABLE);

	fn = find_mod(&f, "f_typedef", NULL);
	CHECK(fn);
	CHECK_EQ_INT(fn->naddrs, 2);
	CHECK_EQ_INT(fn->flags, NT_FN_MULTI_ADDR);

	fn = find_mod(&f, "f_typedef_ptr", NULL);
	CHECK(fn);
	CHECK_EQ_INT(fn->flags, NT_FN_NO_KSYM | NT_FN_NOTRACE);
	CHECK_EQ_STR(fn->alias, "f_typedef_ptr.isra.0");

	fn = find_mod(&f, "f_volatile", NULL);
	CHECK(fn);
	CHECK_EQ_INT(fn->flags, NT_FN_BLACKLIST);
	CHECK_EQ_INT(fn->arg, 5);

	fn = find_mod(&f, "f_pp_then_skb", NULL);
	CHECK(fn);
	CHECK_EQ_INT(fn->flags, NT_FN_NOTRACE);

	fn = find_mod(&f, "nft_do_chainx", NULL);
	CHECK(fn);
	CHECK_EQ_INT(fn->flags, NT_FN_NO_KSYM | NT_FN_NOTRACE); /* data symbol ignored */

	fn = find_mod(&f, "nft_do_chain", NULL);
	CHECK(fn);
	CHECK_EQ_INT(fn->kind, NT_KIND_NFT_HOOK);
	CHECK_EQ_STR(fn->via, "nft_pktinfo.skb");
	CHECK_EQ_STR(fn->layer, "Netfilter");
	CHECK_EQ_INT(fn->priority, 0);
	CHECK_EQ_INT(fn->flags, NT_FN_PROBEABLE);

	/* tracepoints: category from the built-in table (tracefs disabled) */
	fn = find_mod(&f, "net:netif_receive_skb", NULL);
	CHECK(fn);
	CHECK_EQ_INT(fn->kind, NT_KIND_TRACEPOINT);
	CHECK_EQ_STR(fn->layer, "Device");
	CHECK_EQ_INT(fn->priority, 0);
	CHECK_EQ_INT(fn->flags, NT_FN_PROBEABLE); /* filter list does not apply to tracepoints */
	CHECK(fn->addrs[0] == 0xffffffff81000e00ull);
	fn = find_mod(&f, "unknown:my_event", NULL);
	CHECK(fn);
	CHECK_EQ_INT(fn->arg, 2);
	CHECK_EQ_INT(fn->flags, NT_FN_NO_KSYM);
	fn = find_mod(&f, "unknown:mod_event", "mymod");
	CHECK(fn);
	CHECK_EQ_INT(fn->flags, NT_FN_PROBEABLE);
	CHECK(fn->addrs[0] == 0xffffffffc0001200ull);

	/* sorted by (priority, layer order, name): Device before Netfilter at p0 */
	CHECK_EQ_STR(f.v[0].name, "net:netif_receive_skb");
	CHECK_EQ_STR(f.v[1].name, "nft_do_chain");
	CHECK_EQ_STR(f.v[2].name, "nft_do_chain_ipv4"); /* Netfilter p1 */
	nt_funcs_free(&f);
	CHECK(f.v == NULL && f.n == 0);
}

TEST(discover_select)
{
	struct nt_funcs f = { 0 };
	size_t idx[64];
	char err[256];

	CHECK_EQ_INT(run_discover(&f, err, sizeof(err)), 0);
	/* probe-able: 18 - typedef(multi) - typedef_ptr - volatile(bl) - pp_then_skb(notrace)
	 * - nft_do_chainx - my_event = 12 */
	CHECK_EQ_INT(nt_funcs_select(&f, 0, 3, 0, true, idx), 12);
	CHECK_EQ_INT(nt_funcs_select(&f, 0, 3, 0, false, idx), 18);
	CHECK_EQ_INT(nt_funcs_select(&f, 0, 0, 0, true, idx), 2);
	CHECK_EQ_INT(nt_funcs_select(&f, 2, 3, 0, true, idx), 2);
	CHECK_EQ_INT(nt_funcs_select(&f, 0, 3, 1u << 2 /* Netfilter */, true, idx), 2);
	CHECK_EQ_STR(f.v[idx[0]].name, "nft_do_chain");
	CHECK_EQ_STR(f.v[idx[1]].name, "nft_do_chain_ipv4");
	nt_funcs_free(&f);
}

TEST(discover_errors)
{
	struct nt_funcs f = { 0 };
	struct nt_discover_opts o = { .sz = sizeof(o) };
	char err[256], path[512], ks[512];

	o.tracefs_path = "";
	o.btf_path = "/nonexistent/btf";
	CHECK_EQ_INT(nt_discover(&o, &f, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "/nonexistent/btf") != NULL);

	snprintf(path, sizeof(path), "%s/README", tmpdir); /* not BTF */
	o.btf_path = path;
	CHECK_EQ_INT(nt_discover(&o, &f, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "not a valid BTF file") != NULL);

	snprintf(path, sizeof(path), "%s/vmlinux", tmpdir);
	o.btf_path = path;
	o.kallsyms_path = "/nonexistent/kallsyms";
	CHECK_EQ_INT(nt_discover(&o, &f, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "--kallsyms") != NULL);

	static const char zero[] = "0000000000000000 T f_plain\n0000000000000000 t x\n";
	CHECK_EQ_INT(write_file("zero_kallsyms", zero, strlen(zero)), 0);
	snprintf(ks, sizeof(ks), "%s/zero_kallsyms", tmpdir);
	o.kallsyms_path = ks;
	CHECK_EQ_INT(nt_discover(&o, &f, err, sizeof(err)), -EPERM);
	CHECK(strstr(err, "run as root or pass --kallsyms FILE") != NULL);
	CHECK(f.n == 0 && f.v == NULL);

	/* single file: no module, no filter lists */
	snprintf(ks, sizeof(ks), "%s/kallsyms", tmpdir);
	o.kallsyms_path = ks;
	CHECK_EQ_INT(nt_discover(&o, &f, err, sizeof(err)), 0);
	CHECK_EQ_INT(f.btf_modules, 0);
	CHECK_EQ_INT(f.filter_funcs_read, 0);
	CHECK_EQ_INT(f.n, 15);
	nt_funcs_free(&f);
}

/* ---- trace config: write then load ---- */

TEST(config_roundtrip_and_validation)
{
	struct nt_funcs f = { 0 }, cfg = { 0 };
	size_t idx[64], n;
	char err[256], path[512];
	const struct nt_func *fn;

	CHECK_EQ_INT(run_discover(&f, err, sizeof(err)), 0);
	n = nt_funcs_select(&f, 0, 3, 0, true, idx);
	snprintf(path, sizeof(path), "%s/trace_config.json", tmpdir);
	CHECK_EQ_INT(nt_write_config_json(path, &f, idx, n, err, sizeof(err)), 0);
	CHECK_EQ_INT(nt_trace_config_load(path, &f, &cfg, err, sizeof(err)), 0);
	CHECK_EQ_INT(cfg.n, 12);
	fn = nt_funcs_find(&cfg, "nft_do_chain", NULL);
	CHECK(fn);
	CHECK_EQ_INT(fn->kind, NT_KIND_NFT_HOOK);
	CHECK_EQ_STR(fn->via, "nft_pktinfo.skb");
	CHECK_EQ_INT(fn->naddrs, 1);
	CHECK_EQ_INT(fn->flags, NT_FN_PROBEABLE | NT_FN_ENABLED);
	fn = nt_funcs_find(&cfg, "f_plain", "mymod");
	CHECK(fn);
	CHECK_EQ_STR(fn->module, "mymod");
	nt_funcs_free(&cfg);

	/* hand-written: unknown names reported, disabled skipped, file values kept */
	static const char cfg1[] = "{\"version\": \"1.0\", \"functions\": ["
		"{\"name\": \"f_plain\", \"layer\": \"tcp\", \"priority\": 1, \"enabled\": true},"
		"{\"name\": \"no_such_fn\", \"layer\": \"IPv4\", \"priority\": 0, \"enabled\": true},"
		"{\"name\": \"f_via\", \"layer\": \"IPv4\", \"priority\": 0, \"enabled\": false},"
		"{\"name\": \"gone_too\", \"layer\": \"IPv4\", \"priority\": 0}]}";
	CHECK_EQ_INT(write_file("c1.json", cfg1, sizeof(cfg1) - 1), 0);
	snprintf(path, sizeof(path), "%s/c1.json", tmpdir);
	CHECK_EQ_INT(nt_trace_config_load(path, &f, &cfg, err, sizeof(err)), 2);
	CHECK(strstr(err, "2 functions") && strstr(err, "no_such_fn, gone_too"));
	CHECK_EQ_INT(cfg.n, 1);
	CHECK_EQ_STR(cfg.v[0].name, "f_plain");
	CHECK_EQ_STR(cfg.v[0].layer, "TCP");
	CHECK_EQ_INT(cfg.v[0].priority, 1);
	CHECK(cfg.v[0].module == NULL);
	nt_funcs_free(&cfg);

	/* without known: file values */
	CHECK_EQ_INT(nt_trace_config_load(path, NULL, &cfg, err, sizeof(err)), 0);
	CHECK_EQ_INT(cfg.n, 3);
	CHECK_EQ_INT(cfg.v[1].kind, NT_KIND_SKB);
	CHECK_EQ_INT(cfg.v[1].arg, 1);
	CHECK_EQ_INT(cfg.v[1].flags, NT_FN_ENABLED);
	nt_funcs_free(&cfg);

	static const struct {
		const char *json;
		const char *msg;
	} bad[] = {
		{ "{\"version\": \"1.0\", \"functions\": [{\"name\": \"x\", \"layer\": \"Nope\", \"priority\": 0}]}", "\"layer\"" },
		{ "{\"version\": \"1.0\", \"functions\": [{\"name\": \"x\", \"layer\": \"TCP\", \"priority\": 7}]}", "priority" },
		{ "{\"version\": \"1.0\", \"functions\": [{\"name\": \"x\", \"layer\": \"TCP\", \"priority\": \"0\"}]}", "priority" },
		{ "{\"version\": \"1.0\", \"functions\": [{\"name\": 3, \"layer\": \"TCP\", \"priority\": 0}]}", "\"name\"" },
		{ "{\"version\": \"1.0\", \"functions\": [{\"name\": \"x\", \"layer\": \"TCP\", \"priority\": 0, \"enabled\": 1}]}", "enabled" },
		{ "{\"version\": \"1.0\", \"functions\": [{\"name\": \"x\", \"layer\": \"TCP\", \"priority\": 0, \"arg\": 6}]}", "arg" },
		{ "{\"version\": \"1.0\", \"functions\": [{\"name\": \"x\", \"layer\": \"TCP\", \"priority\": 0, \"kind\": \"skbb\"}]}", "kind" },
		{ "{\"version\": \"1.0\", \"functions\": {}}", "array" },
		{ "{\"functions\": []}", "version" },
		{ "{\"version\": \"1.0\", \"functions\": [", "invalid JSON" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ_INT(write_file("bad.json", bad[i].json, strlen(bad[i].json)), 0);
		snprintf(path, sizeof(path), "%s/bad.json", tmpdir);
		CHECK_EQ_INT(nt_trace_config_load(path, NULL, &cfg, err, sizeof(err)), -EINVAL);
		if (!strstr(err, bad[i].msg)) {
			printf("FAIL: %s: bad[%zu]: error '%s' lacks '%s'\n", nt__case, i, err, bad[i].msg);
			nt__case_failed = 1;
			return;
		}
		CHECK(cfg.n == 0 && cfg.v == NULL);
	}
	CHECK_EQ_INT(nt_trace_config_load("/nonexistent/c.json", NULL, &cfg, err, sizeof(err)), -ENOENT);
	nt_funcs_free(&f);
}

static int quiet(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	return 0;
}

/*
 * Kernels without module BTF (< 5.11): functions of the built-in table
 * (nft-discover/modfuncs.h) whose module is in kallsyms but has no BTF file;
 * a module with a BTF file ("veth" here) is scanned from its BTF only.
 */
static const char kallsyms_nobtf[] =
	"ffffffff81000000 T _stext\n"
	"ffffffff81000100 T f_plain\n"
	"ffffffffc0002000 t br_handle_frame\t[bridge]\n"
	"ffffffffc0002100 t nft_do_chain\t[nf_tables]\n"
	"ffffffffc0002200 t nft_do_chain_ipv4\t[nf_tables]\n"
	"ffffffffc0002300 t not_in_the_table\t[nf_tables]\n"
	"ffffffffc0002400 t nf_conntrack_in\t[nf_conntrack]\n"
	"ffffffffc0002410 t nf_conntrack_in\t[nf_conntrack]\n" /* two addresses */
	"ffffffffc0002500 t veth_xmit\t[veth]\n";

TEST(discover_modules_without_btf)
{
	struct nt_funcs f = { 0 };
	const struct nt_func *fn;
	struct nt_discover_opts o = { .sz = sizeof(o) };
	char dir[256], ks[512], err[256], cmd[600];
	struct btf *base, *mod;
	struct ids x;
	int ok;

	snprintf(dir, sizeof(dir), "/tmp/nt_test_nobtf_XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(tmpdir, sizeof(tmpdir), "%s", dir); /* write_file() / write_btf() target */
	base = build_vmlinux(&x);
	mod = base ? build_module(base, &x) : NULL;
	ok = mod && !write_btf("vmlinux", base) && !write_btf("veth", mod) &&
	     !write_file("kallsyms", kallsyms_nobtf, sizeof(kallsyms_nobtf) - 1);
	btf__free(mod);
	btf__free(base);
	CHECK(ok);
	snprintf(ks, sizeof(ks), "%s/kallsyms", dir);
	o.btf_path = dir;
	o.kallsyms_path = ks;
	o.tracefs_path = "";
	CHECK_EQ_INT(nt_discover(&o, &f, err, sizeof(err)), 0);

	fn = nt_funcs_find(&f, "br_handle_frame", "bridge");
	CHECK(fn);
	CHECK_EQ_INT(fn->kind, NT_KIND_SKB_PP);
	CHECK_EQ_INT(fn->arg, 1);
	CHECK_EQ_INT(fn->btf_id, 0);
	CHECK_EQ_INT(fn->flags, NT_FN_PROBEABLE | NT_FN_NO_BTF);
	CHECK(fn->naddrs == 1 && fn->addrs[0] == 0xffffffffc0002000ull);

	fn = nt_funcs_find(&f, "nft_do_chain", "nf_tables");
	CHECK(fn);
	CHECK_EQ_INT(fn->kind, NT_KIND_NFT_HOOK);
	CHECK_EQ_INT(fn->arg, 1);
	CHECK_EQ_STR(fn->via, "nft_pktinfo.skb");
	CHECK_EQ_STR(fn->layer, "Netfilter");
	CHECK_EQ_INT(fn->priority, 0);

	fn = nt_funcs_find(&f, "nft_do_chain_ipv4", "nf_tables");
	CHECK(fn);
	CHECK_EQ_INT(fn->kind, NT_KIND_NFT_HOOK);
	CHECK_EQ_INT(fn->arg, 2);
	CHECK(fn->via == NULL);

	fn = nt_funcs_find(&f, "nf_conntrack_in", "nf_conntrack");
	CHECK(fn);
	CHECK_EQ_INT(fn->naddrs, 2);
	CHECK_EQ_INT(fn->flags, NT_FN_MULTI_ADDR | NT_FN_NO_BTF); /* not probe-able by name */

	CHECK(nt_funcs_find(&f, "not_in_the_table", NULL) == NULL);
	CHECK(nt_funcs_find(&f, "veth_xmit", NULL) == NULL); /* veth has BTF: not from the table */
	CHECK(nt_funcs_find(&f, "mod_rcv", "veth") != NULL); /* ... but from its BTF */
	CHECK_EQ_INT(f.btf_modules, 1);
	nt_funcs_free(&f);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd)) {
	}
}

int main(void)
{
	libbpf_set_print(quiet);
	RUN(scan_vmlinux_kinds_and_args);
	RUN(scan_without_tracepoints);
	RUN(param_kind_direct);
	RUN(callback_error_stops_scan);
	RUN(scan_split_module);
	if (setup_dir()) {
		printf("FAIL: setup_dir: cannot build the offline directory\n");
		return 1;
	}
	RUN(discover_offline_dir);
	RUN(discover_select);
	RUN(discover_errors);
	RUN(config_roundtrip_and_validation);
	cleanup_dir();
	RUN(discover_modules_without_btf);
	TEST_EXIT();
}
