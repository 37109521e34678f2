// SPDX-License-Identifier: GPL-2.0
/*
 * discover.c - nt_discover(): BTF (vmlinux + module split BTF) + kallsyms +
 * tracing blacklists -> struct nt_funcs, classified with common/layers.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "common/kallsyms.h"
#include "common/layers.h"
#include "common/safefile.h"
#include "common/util.h"
#include "nft-discover/btf_scan.h"
#include "nft-discover/discover.h"
#include "nft-discover/discover_err.h"
#include "nft-discover/modfuncs.h"
#include "common/strmap.h"

#define SYS_BTF_DIR "/sys/kernel/btf"
#define DEF_KALLSYMS "/proc/kallsyms"
#define DEF_TRACEFS "/sys/kernel/tracing"
#define DEF_FILTER_FUNCS DEF_TRACEFS "/available_filter_functions"
#define DEF_BLACKLIST "/sys/kernel/debug/kprobes/blacklist"
#define OFF_FILTER_FUNCS "available_filter_functions"
#define OFF_BLACKLIST "kprobes_blacklist"
#define MAX_ADDRS 64

const char *nt_kind_name(int kind)
{
	switch (kind) {
	case NT_KIND_SKB: return "skb";
	case NT_KIND_SKB_PP: return "skb_pp";
	case NT_KIND_SKB_VIA: return "skb_via";
	case NT_KIND_NFT_HOOK: return "nft_hook";
	case NT_KIND_TRACEPOINT: return "tracepoint";
	default: return "?";
	}
}

int nt_kind_parse(const char *s)
{
	for (int k = NT_KIND_SKB; k <= NT_KIND_TRACEPOINT; k++)
		if (!strcmp(s, nt_kind_name(k)))
			return k;
	return -1;
}

void nt_funcs_free(struct nt_funcs *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].module);
		free(f->v[i].addrs);
		free(f->v[i].via);
		free(f->v[i].alias);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

const struct nt_func *nt_funcs_find(const struct nt_funcs *f, const char *name, const char *module)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct nt_func *fn = &f->v[i];
		if (strcmp(fn->name, name))
			continue;
		if (module && strcmp(module, fn->module ? fn->module : "vmlinux"))
			continue;
		return fn;
	}
	return NULL;
}

size_t nt_funcs_select(const struct nt_funcs *f, size_t max, int max_priority, uint32_t layer_mask,
		       bool probeable_only, size_t *idx)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n && (!max || n < max); i++) {
		const struct nt_func *fn = &f->v[i];
		int l = nt_layer_parse(fn->layer);
		if (fn->priority > max_priority)
			continue;
		if (layer_mask && (l < 0 || !(layer_mask & (1u << l))))
			continue;
		if (probeable_only && !(fn->flags & NT_FN_PROBEABLE))
			continue;
		idx[n++] = i;
	}
	return n;
}

/* ---- small files: whole-file read, name sets ---- */

static int read_all(const char *path, char **out, size_t *outlen)
{
	return nt_read_file(path, 1 << 16, out, outlen);
}

/*
 * A set of names read from a text file; word = which whitespace-separated word
 * of each line is the name (0: available_filter_functions "name [mod]",
 * 1: kprobes blacklist "0xstart-0xend name").  Keys point into *buf.
 */
static int read_name_set(const char *path, int word, char **buf, struct nt_strmap *set)
{
	size_t len = 0;
	char *p, *end;
	int err = read_all(path, buf, &len);

	if (err)
		return err;
	err = nt_strmap_init(set, len / 24 + 16);
	if (err)
		return err;
	for (p = *buf, end = *buf + len; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end, *w = p;
		*e = 0;
		for (int i = 0; i <= word && w < e; i++) {
			w += strspn(w, " \t");
			if (i < word)
				w += strcspn(w, " \t");
		}
		if (w < e && *w) {
			w[strcspn(w, " \t\r")] = 0;
			if (*w && nt_strmap_put(set, w, NULL) < 0)
				return -ENOMEM;
		}
		p = e + 1;
	}
	return 0;
}

/* ---- tracepoint categories ---- */

static const struct {
	const char *prefix;
	const char *cat;
} tp_cat_table[] = {
	{ "kfree_skb", "skb" }, { "consume_skb", "skb" }, { "skb_copy_datagram_iovec", "skb" },
	{ "net_dev_", "net" }, { "netif_", "net" }, { "napi_gro_", "net" },
	{ "napi_poll", "napi" }, { "qdisc_", "qdisc" }, { "tcp_", "tcp" }, { "udp_", "udp" },
	{ "fib6_", "fib6" }, { "fib_", "fib" }, { "neigh_", "neigh" }, { "xdp_", "xdp" },
	{ "inet_sock_", "sock" }, { "sock_", "sock" }, { "sk_", "sock" }, { "br_", "bridge" },
	{ "icmp_", "icmp" }, { "mptcp_", "mptcp" }, { "page_pool_", "page_pool" },
};

struct tp_cats {
	const char *tracefs;  /* NULL: table only */
	char **cats;          /* category directory names, sorted */
	size_t n;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void tp_cats_init(struct tp_cats *c, const char *tracefs)
{
	char path[512];
	struct dirent *de;
	size_t cap = 0;
	DIR *d;

	memset(c, 0, sizeof(*c));
	if (!tracefs || !*tracefs)
		return;
	snprintf(path, sizeof(path), "%s/events", tracefs);
	d = opendir(path);
	if (!d)
		return;
	c->tracefs = tracefs;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		if (c->n == cap) {
			char **nc = realloc(c->cats, (cap ? cap * 2 : 64) * sizeof(*nc));
			if (!nc)
				break;
			c->cats = nc;
			cap = cap ? cap * 2 : 64;
		}
		c->cats[c->n] = strdup(de->d_name);
		if (c->cats[c->n])
			c->n++;
	}
	closedir(d);
	if (c->n > 1)
		qsort(c->cats, c->n, sizeof(*c->cats), cmp_str);
}

static void tp_cats_free(struct tp_cats *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->cats[i]);
	free(c->cats);
}

static int tp_event_exists(const struct tp_cats *c, const char *cat, const char *ev)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/events/%s/%s", c->tracefs, cat, ev);
	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* Category of a tracepoint event: tracefs when readable (table guess first,
 * then every category), else the table; "unknown" when nothing matches. */
static const char *tp_category(const struct tp_cats *c, const char *ev)
{
	const char *guess = NULL;

	for (size_t i = 0; i < sizeof(tp_cat_table) / sizeof(tp_cat_table[0]); i++) {
		if (!strncmp(ev, tp_cat_table[i].prefix, strlen(tp_cat_table[i].prefix))) {
			guess = tp_cat_table[i].cat;
			break;
		}
	}
	if (c->tracefs) {
		if (guess && tp_event_exists(c, guess, ev))
			return guess;
		for (size_t i = 0; i < c->n; i++)
			if (tp_event_exists(c, c->cats[i], ev))
				return c->cats[i];
	}
	return guess ? guess : "unknown";
}

/* ---- the scan ---- */

struct scan_ctx {
	struct nt_funcs *out;
	size_t cap;
	const char *module;
	struct nt_strmap seen_fn, seen_tp;
	const struct nt_ksyms *ks;
	const struct nt_strmap *filter;    /* NULL when not read */
	const struct nt_strmap *blacklist; /* NULL when not read */
	const struct tp_cats *cats;
	const struct nt_strmap *aliases; /* base name -> first "name.suffix" text symbol */
};

/*
 * Compiler-renamed copies (name.constprop.0, name.isra.0, name.part.0, name.cold):
 * map "name" -> the first such text symbol (file order) of vmlinux / any module.
 * Keys are allocated into *keys (freed by the caller).
 */
static int build_aliases(const struct nt_ksyms *ks, struct nt_strmap *m, char ***keys, size_t *nkeys)
{
	size_t n = nt_ksyms__count(ks), cap = 0;
	int err = nt_strmap_init(m, 8192);

	*keys = NULL;
	*nkeys = 0;
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		const struct nt_ksym *s = nt_ksyms__get(ks, i);
		const char *dot = strchr(s->name, '.');
		char *k;
		if (!dot || dot == s->name || !nt_ksym_is_text(s) || strstr(s->name, ".cold"))
			continue;
		if (*nkeys == cap) {
			char **nk = realloc(*keys, (cap ? cap * 2 : 1024) * sizeof(*nk));
			if (!nk)
				return -ENOMEM;
			*keys = nk;
			cap = cap ? cap * 2 : 1024;
		}
		k = strndup(s->name, (size_t)(dot - s->name));
		if (!k)
			return -ENOMEM;
		(*keys)[(*nkeys)++] = k;
		if (nt_strmap_put(m, k, (void *)s->name) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Text (or, for tracepoints, any) symbols named sym in the right module. */
static int lookup_addrs(struct scan_ctx *c, struct nt_func *fn, const char *sym, int text_only)
{
	const struct nt_ksym *res[MAX_ADDRS];
	size_t n = nt_ksyms__by_name(c->ks, sym, res, MAX_ADDRS), k = 0;

	if (n > MAX_ADDRS)
		n = MAX_ADDRS;
	if (!n)
		return 0;
	fn->addrs = malloc(n * sizeof(*fn->addrs));
	if (!fn->addrs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct nt_ksym *s = res[i];
		if (text_only && !nt_ksym_is_text(s))
			continue;
		if (c->module ? !s->module || strcmp(s->module, c->module) : s->module != NULL)
			continue;
		fn->addrs[k++] = s->addr;
	}
	if (k > 1)
		qsort(fn->addrs, k, sizeof(*fn->addrs), cmp_u64);
	fn->naddrs = (uint32_t)k;
	if (!k) {
		free(fn->addrs);
		fn->addrs = NULL;
	}
	return 0;
}

static int on_hit(const struct nt_btf_hit *h, void *ctx)
{
	struct scan_ctx *c = ctx;
	int is_tp = h->kind == NT_KIND_TRACEPOINT;
	struct nt_func *fn;
	int r, layer, prio;

	r = nt_strmap_put(is_tp ? &c->seen_tp : &c->seen_fn, h->name, NULL);
	if (r < 0)
		return r;
	if (r == 1)
		return 0; /* same name twice in one BTF object: keep the first */
	if (c->out->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 4096;
		struct nt_func *nv = realloc(c->out->v, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		c->out->v = nv;
		c->cap = nc;
	}
	fn = &c->out->v[c->out->n];
	memset(fn, 0, sizeof(*fn));
	c->out->n++; /* counted now so nt_funcs_free() frees partial entries */
	fn->kind = h->kind;
	fn->arg = h->arg;
	fn->btf_id = h->btf_id;
	layer = nt_layer_classify(h->name, is_tp, &prio, NULL);
	fn->layer = nt_layer_name(layer);
	fn->priority = prio;
	if (c->module && !(fn->module = strdup(c->module)))
		return -ENOMEM;
	if (h->via_struct) {
		if (asprintf(&fn->via, "%s.%s", h->via_struct, h->via_member) < 0) {
			fn->via = NULL;
			return -ENOMEM;
		}
	}
	if (is_tp) {
		char sym[256];
		if (asprintf(&fn->name, "%s:%s", tp_category(c->cats, h->name), h->name) < 0) {
			fn->name = NULL;
			return -ENOMEM;
		}
		/* __traceiter_<ev> (text, always listed) or __tracepoint_<ev> (data,
		 * only with CONFIG_KALLSYMS_ALL) */
		snprintf(sym, sizeof(sym), "__traceiter_%s", h->name);
		if (lookup_addrs(c, fn, sym, 1))
			return -ENOMEM;
		if (!fn->naddrs) {
			snprintf(sym, sizeof(sym), "__tracepoint_%s", h->name);
			if (lookup_addrs(c, fn, sym, 0))
				return -ENOMEM;
		}
	} else {
		if (!(fn->name = strdup(h->name)))
			return -ENOMEM;
		if (lookup_addrs(c, fn, h->name, 1))
			return -ENOMEM;
		if (c->blacklist) {
			nt_strmap_get(c->blacklist, h->name, &r);
			if (r)
				fn->flags |= NT_FN_BLACKLIST;
		}
		if (c->filter) {
			nt_strmap_get(c->filter, h->name, &r);
			if (!r)
				fn->flags |= NT_FN_NOTRACE;
		}
	}
	if (!fn->naddrs) {
		fn->flags |= NT_FN_NO_KSYM;
		if (!is_tp && c->aliases) {
			const char *a = nt_strmap_get(c->aliases, fn->name, NULL);
			if (a && !(fn->alias = strdup(a)))
				return -ENOMEM;
		}
	}
	else if (fn->naddrs > 1)
		fn->flags |= NT_FN_MULTI_ADDR;
	if (!(fn->flags & (NT_FN_NO_KSYM | NT_FN_MULTI_ADDR | NT_FN_BLACKLIST | NT_FN_NOTRACE)))
		fn->flags |= NT_FN_PROBEABLE;
	return 0;
}

static int scan_one(struct scan_ctx *c, const struct btf *btf, const char *module, int want_tp,
		    size_t *nfuncs)
{
	struct nt_btf_scan_stats st;
	int err;

	c->module = module;
	if (nt_strmap_init(&c->seen_fn, 8192) || nt_strmap_init(&c->seen_tp, 256)) {
		err = -ENOMEM;
		goto out;
	}
	err = nt_btf_scan(btf, want_tp, on_hit, c, &st);
	*nfuncs += st.funcs;
out:
	nt_strmap_free(&c->seen_fn);
	nt_strmap_free(&c->seen_tp);
	return err;
}

/*
 * Kernels without module BTF (< 5.11): the functions of the built-in table
 * (modfuncs.h) of every module that has no BTF file (MODS, sorted) but whose
 * name is among that module's kallsyms text symbols.  Returns how many were
 * added, or -ENOMEM.
 */
static int scan_known_modules(struct scan_ctx *c, char **mods, size_t nmods)
{
	const char *p = nt_modfuncs_data;
	char mod[64], name[128], kind[16], via[96], cur[64] = "";
	int added = 0, arg, nf, have_btf = 0;

	while (*p) {
		const char *eol = strchr(p, '\n');
		char line[320];
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		struct nt_btf_hit h = { 0 };
		char *dot;
		size_t before;
		int k;

		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = 0;
		p += eol ? len + 1 : len;
		via[0] = 0;
		nf = sscanf(line, "%63s %127s %15s %d %95s", mod, name, kind, &arg, via);
		k = nf >= 4 ? nt_kind_parse(kind) : -1;
		if (k < 0 || k == NT_KIND_TRACEPOINT || arg < 1 || arg > 5)
			continue;
		if (strcmp(mod, cur)) {
			snprintf(cur, sizeof(cur), "%s", mod);
			have_btf = nmods && bsearch(&(const char *){ cur }, mods, nmods, sizeof(*mods),
						    cmp_str) != NULL;
		}
		if (have_btf || !nt_ksyms__by_name(c->ks, name, NULL, 0))
			continue;
		/* on_hit()'s duplicate check keeps key pointers: (module, name)
		 * pairs of the table are unique, so a fresh set per entry */
		nt_strmap_free(&c->seen_fn);
		if (nt_strmap_init(&c->seen_fn, 4))
			return -ENOMEM;
		h.name = name;
		h.kind = k;
		h.arg = arg;
		if (via[0] && (dot = strchr(via, '.'))) {
			*dot = 0;
			h.via_struct = via;
			h.via_member = dot + 1;
		}
		c->module = cur;
		before = c->out->n;
		if (on_hit(&h, c))
			return -ENOMEM;
		if (c->out->n > before) {
			struct nt_func *fn = &c->out->v[c->out->n - 1];

			if (fn->flags & NT_FN_NO_KSYM) { /* module not loaded, or inlined */
				free(fn->name);
				free(fn->module);
				free(fn->addrs);
				free(fn->via);
				free(fn->alias);
				c->out->n--;
				continue;
			}
			fn->flags |= NT_FN_NO_BTF;
			added++;
		}
	}
	return added;
}

static int layer_index(const char *name)
{
	int l = nt_layer_parse(name);
	return l < 0 ? NT_LAYER__COUNT : l;
}

static int cmp_func(const void *a, const void *b)
{
	const struct nt_func *x = a, *y = b;
	int d;

	if (x->priority != y->priority)
		return x->priority - y->priority;
	d = layer_index(x->layer) - layer_index(y->layer);
	if (d)
		return d;
	d = strcmp(x->name, y->name);
	if (d)
		return d;
	if (!x->module || !y->module)
		return !!x->module - !!y->module;
	return strcmp(x->module, y->module);
}

/* BTF raw magic (0xeB9F, either byte order)?  Module BTF files in a directory. */
static int is_btf_file(const char *path)
{
	unsigned char m[2];
	int fd = nt_sf_open(path, 0), ok = 0; /* a FIFO in the directory would block open(2) */

	if (fd < 0)
		return 0;
	if (read(fd, m, 2) == 2)
		ok = (m[0] == 0x9f && m[1] == 0xeb) || (m[0] == 0xeb && m[1] == 0x9f);
	close(fd);
	return ok;
}

static int list_modules(const char *dir, char ***names, size_t *n)
{
	struct dirent *de;
	size_t cap = 0;
	DIR *d = opendir(dir);
	char path[4096];

	*names = NULL;
	*n = 0;
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "vmlinux"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (!is_btf_file(path))
			continue;
		if (*n == cap) {
			char **nn = realloc(*names, (cap ? cap * 2 : 64) * sizeof(*nn));
			if (!nn)
				goto nomem;
			*names = nn;
			cap = cap ? cap * 2 : 64;
		}
		if (!((*names)[*n] = strdup(de->d_name)))
			goto nomem;
		(*n)++;
	}
	closedir(d);
	if (*n > 1)
		qsort(*names, *n, sizeof(**names), cmp_str);
	return 0;
nomem:
	closedir(d);
	return -ENOMEM;
}

static struct btf *open_btf(const char *path, struct btf *base, char *err, size_t errlen,
			    int *rc)
{
	struct btf *btf;
	int fd = nt_sf_open(path, 0); /* a regular file: never a FIFO or a device */

	if (fd < 0) {
		*rc = fd < -4096 ? -EINVAL : fd;
		nt_set_err(err, errlen, "cannot read BTF file %s: %s (pass --btf FILE|DIR)", path,
			nt_sf_strerror(fd));
		return NULL;
	}
	close(fd);
	btf = base ? btf__parse_split(path, base) : btf__parse(path, NULL);
	if (!btf) {
		int e = errno ? errno : EINVAL;
		char why[128];
		*rc = e == ENOMEM ? -ENOMEM : -EINVAL;
		if (libbpf_strerror(-e, why, sizeof(why)))
			snprintf(why, sizeof(why), "error %d", e);
		nt_set_err(err, errlen, "%s is not a valid BTF file (%s)%s", path, why,
			base ? " for this vmlinux BTF" : "");
	}
	return btf;
}

int nt_discover(const struct nt_discover_opts *o, struct nt_funcs *out, char *err, size_t errlen)
{
	struct nt_discover_opts def = { .sz = sizeof(def) };
	const char *btf_path, *ks_path, *filter_path, *bl_path, *tracefs;
	char vmlinux[4096], btf_dir[4096] = "", tmp_f[4096], tmp_b[4096];
	struct nt_strmap filter = { 0 }, blacklist = { 0 }, aliases = { 0 };
	char **alias_keys = NULL;
	size_t nalias_keys = 0;
	char *filter_buf = NULL, *bl_buf = NULL, **mods = NULL;
	struct btf *vm = NULL;
	struct nt_ksyms *ks = NULL;
	struct scan_ctx c = { 0 };
	struct tp_cats cats = { 0 };
	size_t nmods = 0, nfuncs = 0;
	struct stat st;
	int rc = 0, offline;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = 0;
	/* forward compatibility: a caller built against a smaller struct gets
	 * zeros (defaults) for the fields it does not know */
	if (o && o->sz >= sizeof(size_t)) {
		memcpy(&def, o, o->sz < sizeof(def) ? o->sz : sizeof(def));
		def.sz = sizeof(def);
	}
	o = &def;
	btf_path = o->btf_path && *o->btf_path ? o->btf_path : SYS_BTF_DIR;
	ks_path = o->kallsyms_path && *o->kallsyms_path ? o->kallsyms_path : DEF_KALLSYMS;
	tracefs = o->tracefs_path ? o->tracefs_path : DEF_TRACEFS;

	/* BTF: a directory (vmlinux + modules) or one vmlinux file */
	if (stat(btf_path, &st)) {
		rc = -errno;
		nt_set_err(err, errlen, "cannot read BTF %s: %s (pass --btf FILE|DIR)", btf_path,
			strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(btf_dir, sizeof(btf_dir), "%s", btf_path);
		snprintf(vmlinux, sizeof(vmlinux), "%s/vmlinux", btf_path);
	} else {
		snprintf(vmlinux, sizeof(vmlinux), "%s", btf_path);
	}
	offline = strcmp(btf_path, SYS_BTF_DIR) != 0;
	vm = open_btf(vmlinux, NULL, err, errlen, &rc);
	if (!vm)
		goto out;

	/* kallsyms */
	rc = nt_ksyms__load(ks_path, &ks);
	if (rc) {
		if (rc == -EINVAL)
			nt_set_err(err, errlen, "%s holds no kallsyms lines (pass a saved /proc/kallsyms with --kallsyms FILE)",
				ks_path);
		else
			nt_set_err(err, errlen, "cannot read kallsyms %s: %s (pass --kallsyms FILE)", ks_path,
				nt_sf_strerror(rc));
		goto out;
	}
	if (nt_ksyms__all_zero(ks)) {
		rc = -EPERM;
		nt_set_err(err, errlen, "%s: all addresses are zero (kptr_restrict): run as root or pass --kallsyms FILE",
			ks_path);
		goto out;
	}

	/* blacklists: optional, unreadable is fine */
	filter_path = o->filter_funcs_path;
	bl_path = o->blacklist_path;
	if (!filter_path) {
		if (offline && btf_dir[0]) {
			snprintf(tmp_f, sizeof(tmp_f), "%s/%s", btf_dir, OFF_FILTER_FUNCS);
			filter_path = tmp_f;
		} else {
			filter_path = offline ? "" : DEF_FILTER_FUNCS;
		}
	}
	if (!bl_path) {
		if (offline && btf_dir[0]) {
			snprintf(tmp_b, sizeof(tmp_b), "%s/%s", btf_dir, OFF_BLACKLIST);
			bl_path = tmp_b;
		} else {
			bl_path = offline ? "" : DEF_BLACKLIST;
		}
	}
	if (*filter_path) {
		int e = read_name_set(filter_path, 0, &filter_buf, &filter);
		if (e == -ENOMEM) {
			rc = e;
			goto nomem;
		}
		out->filter_funcs_read = !e;
	}
	if (*bl_path) {
		int e = read_name_set(bl_path, 1, &bl_buf, &blacklist);
		if (e == -ENOMEM) {
			rc = e;
			goto nomem;
		}
		out->blacklist_read = !e;
	}
	tp_cats_init(&cats, tracefs);
	rc = build_aliases(ks, &aliases, &alias_keys, &nalias_keys);
	if (rc)
		goto nomem;

	c.out = out;
	c.ks = ks;
	c.filter = out->filter_funcs_read ? &filter : NULL;
	c.blacklist = out->blacklist_read ? &blacklist : NULL;
	c.cats = &cats;
	c.aliases = &aliases;
	rc = scan_one(&c, vm, NULL, !o->no_tracepoints, &nfuncs);
	if (rc)
		goto nomem;

	if (btf_dir[0] && !o->no_modules) {
		rc = list_modules(btf_dir, &mods, &nmods);
		if (rc == -ENOMEM)
			goto nomem;
		rc = 0;
		for (size_t i = 0; i < nmods; i++) {
			char path[4096];
			struct btf *mb;
			snprintf(path, sizeof(path), "%s/%s", btf_dir, mods[i]);
			mb = open_btf(path, vm, err, errlen, &rc);
			if (!mb)
				goto out;
			rc = scan_one(&c, mb, mods[i], !o->no_tracepoints, &nfuncs);
			btf__free(mb);
			if (rc)
				goto nomem;
			out->btf_modules++;
		}
		/* modules without BTF (kernel < 5.11): the built-in table */
		c.module = NULL;
		if (nt_strmap_init(&c.seen_fn, 256) || nt_strmap_init(&c.seen_tp, 16) ||
		    scan_known_modules(&c, mods, nmods) < 0) {
			nt_strmap_free(&c.seen_fn);
			nt_strmap_free(&c.seen_tp);
			rc = -ENOMEM;
			goto nomem;
		}
		nt_strmap_free(&c.seen_fn);
		nt_strmap_free(&c.seen_tp);
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), cmp_func);
	out->btf_funcs = nfuncs;
	out->ksyms = nt_ksyms__count(ks);
	goto out;
nomem:
	nt_set_err(err, errlen, "out of memory while scanning BTF");
out:
	if (rc) {
		nt_funcs_free(out);
	}
	for (size_t i = 0; i < nmods; i++)
		free(mods[i]);
	free(mods);
	tp_cats_free(&cats);
	for (size_t i = 0; i < nalias_keys; i++)
		free(alias_keys[i]);
	free(alias_keys);
	nt_strmap_free(&aliases);
	nt_strmap_free(&filter);
	nt_strmap_free(&blacklist);
	free(filter_buf);
	free(bl_buf);
	nt_ksyms__free(ks);
	btf__free(vm);
	return rc;
}
