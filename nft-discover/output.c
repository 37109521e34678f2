// SPDX-License-Identifier: GPL-2.0
/*
 * output.c - enhanced_skb_functions.json, trace_config.json, summary object,
 * atomic writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/layers.h"
#include "nft-discover/discover_err.h"
#include "nft-discover/output.h"

static int write_all(int fd, const char *data, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (size_t)w;
	}
	return 0;
}

int nt_write_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
	char *tmp = NULL;
	int fd = -1, rc = 0;
	struct stat st;

	/* An existing non-regular file (/dev/stdout, a FIFO, /dev/null) is
	 * written in place: renaming over it would replace the device node. */
	if (!stat(path, &st) && !S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode)) {
			rc = -EISDIR;
			goto fail;
		}
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			rc = -errno;
			goto fail;
		}
		rc = write_all(fd, data, len);
		if (close(fd) && !rc)
			rc = -errno;
		fd = -1;
		if (rc)
			goto fail;
		return 0;
	}
	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0) {
		tmp = NULL;
		rc = -ENOMEM;
		goto fail;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = -errno;
		free(tmp);
		tmp = NULL;
		goto fail;
	}
	rc = write_all(fd, data, len);
	if (rc)
		goto fail;
	if (fchmod(fd, 0644) || close(fd)) {
		fd = -1;
		rc = -errno;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path)) {
		rc = -errno;
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	nt_set_err(err, errlen, "cannot write %s: %s", path, strerror(-rc));
	return rc;
}

static int add_str(cJSON *o, const char *k, const char *v)
{
	return cJSON_AddStringToObject(o, k, v) ? 0 : -ENOMEM;
}

static int add_num(cJSON *o, const char *k, double v)
{
	return cJSON_AddNumberToObject(o, k, v) ? 0 : -ENOMEM;
}

static int add_bool(cJSON *o, const char *k, int v)
{
	return cJSON_AddBoolToObject(o, k, v) ? 0 : -ENOMEM;
}

cJSON *nt_func_json(const struct nt_func *fn)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} fl[] = {
		{ NT_FN_NO_KSYM, "no_ksym" },
		{ NT_FN_MULTI_ADDR, "multi_addr" },
		{ NT_FN_BLACKLIST, "blacklist" },
		{ NT_FN_NOTRACE, "notrace" },
		{ NT_FN_NO_BTF, "no_btf" },
	};
	cJSON *o = cJSON_CreateObject(), *a, *flags;
	char hex[24];
	int e = 0;

	if (!o)
		return NULL;
	e |= add_str(o, "name", fn->name);
	e |= add_str(o, "module", fn->module ? fn->module : "vmlinux");
	e |= add_str(o, "layer", fn->layer);
	e |= add_num(o, "priority", fn->priority);
	e |= add_str(o, "kind", nt_kind_name(fn->kind));
	e |= add_num(o, "arg", fn->arg);
	if (fn->via)
		e |= add_str(o, "via", fn->via);
	if (fn->alias)
		e |= add_str(o, "ksym_alias", fn->alias);
	e |= add_num(o, "btf_id", fn->btf_id);
	a = cJSON_AddArrayToObject(o, "addrs");
	if (!a)
		goto fail;
	for (uint32_t i = 0; i < fn->naddrs; i++) {
		cJSON *s;
		snprintf(hex, sizeof(hex), "0x%" PRIx64, fn->addrs[i]);
		s = cJSON_CreateString(hex);
		if (!s)
			goto fail;
		cJSON_AddItemToArray(a, s);
	}
	e |= add_bool(o, "probeable", !!(fn->flags & NT_FN_PROBEABLE));
	flags = cJSON_AddArrayToObject(o, "flags");
	if (!flags)
		goto fail;
	for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++) {
		cJSON *s;
		if (!(fn->flags & fl[i].bit))
			continue;
		s = cJSON_CreateString(fl[i].name);
		if (!s)
			goto fail;
		cJSON_AddItemToArray(flags, s);
	}
	if (e)
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

cJSON *nt_summary_json(const struct nt_funcs *f, const struct nt_summary_info *si)
{
	size_t lf[NT_LAYER__COUNT] = { 0 }, lp[NT_LAYER__COUNT] = { 0 };
	size_t kinds[NT_KIND_TRACEPOINT + 1] = { 0 }, prio[NT_PRIO_MAX + 1] = { 0 };
	size_t probeable = 0, no_ksym = 0, multi = 0, bl = 0, notrace = 0;
	cJSON *o = cJSON_CreateObject(), *x, *y;
	int e = 0;

	if (!o)
		return NULL;
	for (size_t i = 0; i < f->n; i++) {
		const struct nt_func *fn = &f->v[i];
		int l = nt_layer_parse(fn->layer);
		int p = fn->flags & NT_FN_PROBEABLE;
		if (l >= 0) {
			lf[l]++;
			lp[l] += !!p;
		}
		if (fn->kind >= 0 && fn->kind <= NT_KIND_TRACEPOINT)
			kinds[fn->kind]++;
		if (fn->priority >= 0 && fn->priority <= NT_PRIO_MAX)
			prio[fn->priority]++;
		probeable += !!p;
		no_ksym += !!(fn->flags & NT_FN_NO_KSYM);
		multi += !!(fn->flags & NT_FN_MULTI_ADDR);
		bl += !!(fn->flags & NT_FN_BLACKLIST);
		notrace += !!(fn->flags & NT_FN_NOTRACE);
	}
	e |= add_num(o, "functions", (double)f->n);
	e |= add_num(o, "probeable", (double)probeable);
	e |= add_num(o, "selected", (double)si->selected);
	e |= add_num(o, "config", (double)si->config);
	x = cJSON_AddObjectToObject(o, "by_layer");
	if (!x)
		goto fail;
	for (int l = 0; l < NT_LAYER__COUNT; l++) {
		y = cJSON_AddObjectToObject(x, nt_layer_name(l));
		if (!y)
			goto fail;
		e |= add_num(y, "functions", (double)lf[l]);
		e |= add_num(y, "probeable", (double)lp[l]);
	}
	x = cJSON_AddObjectToObject(o, "by_kind");
	if (!x)
		goto fail;
	for (int k = 0; k <= NT_KIND_TRACEPOINT; k++)
		e |= add_num(x, nt_kind_name(k), (double)kinds[k]);
	x = cJSON_AddObjectToObject(o, "by_priority");
	if (!x)
		goto fail;
	for (int p = 0; p <= NT_PRIO_MAX; p++) {
		char k[4] = { '0' + (char)p, 0 };
		e |= add_num(x, k, (double)prio[p]);
	}
	x = cJSON_AddObjectToObject(o, "not_probeable");
	if (!x)
		goto fail;
	e |= add_num(x, "no_ksym", (double)no_ksym);
	e |= add_num(x, "multi_addr", (double)multi);
	e |= add_num(x, "blacklist", (double)bl);
	e |= add_num(x, "notrace", (double)notrace);
	e |= add_num(o, "btf_functions", (double)f->btf_funcs);
	e |= add_num(o, "btf_modules", (double)f->btf_modules);
	e |= add_num(o, "kallsyms", (double)f->ksyms);
	e |= add_bool(o, "filter_functions_read", f->filter_funcs_read);
	e |= add_bool(o, "blacklist_read", f->blacklist_read);
	x = cJSON_AddObjectToObject(o, "time_ms");
	if (!x)
		goto fail;
	e |= add_num(x, "scan", (double)(int64_t)(si->scan_ms * 1000) / 1000);
	e |= add_num(x, "total", (double)(int64_t)(si->total_ms * 1000) / 1000);
	if (e)
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

/* Print and write root; takes ownership of root. */
static int write_doc(const char *path, cJSON *root, char *err, size_t errlen)
{
	char *s = NULL;
	int rc;

	if (!root) {
		nt_set_err(err, errlen, "out of memory building %s", path);
		return -ENOMEM;
	}
	s = cJSON_Print(root);
	cJSON_Delete(root);
	if (!s) {
		nt_set_err(err, errlen, "out of memory building %s", path);
		return -ENOMEM;
	}
	size_t len = strlen(s);
	s[len] = '\n'; /* replace the NUL: write len + 1 bytes, then restore */
	rc = nt_write_atomic(path, s, len + 1, err, errlen);
	s[len] = 0;
	cJSON_free(s);
	return rc;
}

/* {"version": "1.0", "generator": "nft-discover"}, NULL without memory */
static cJSON *doc_new(void)
{
	cJSON *root = cJSON_CreateObject();

	if (root && (add_str(root, "version", "1.0") | add_str(root, "generator", "nft-discover"))) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

int nt_write_functions_json(const char *path, const struct nt_funcs *f, const size_t *idx, size_t n,
			    const struct nt_summary_info *si, char *err, size_t errlen)
{
	cJSON *root = doc_new(), *src, *sum, *arr;
	int e = 0;

	if (!root)
		return write_doc(path, NULL, err, errlen);
	src = cJSON_AddObjectToObject(root, "source");
	if (!src)
		goto fail;
	e |= add_str(src, "btf", si->btf ? si->btf : "");
	e |= add_str(src, "kallsyms", si->kallsyms ? si->kallsyms : "");
	sum = nt_summary_json(f, si);
	if (!sum)
		goto fail;
	cJSON_AddItemToObject(root, "summary", sum);
	arr = cJSON_AddArrayToObject(root, "functions");
	if (!arr || e)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		cJSON *o = nt_func_json(&f->v[idx[i]]);
		if (!o)
			goto fail;
		cJSON_AddItemToArray(arr, o);
	}
	return write_doc(path, root, err, errlen);
fail:
	cJSON_Delete(root);
	return write_doc(path, NULL, err, errlen);
}

int nt_write_config_json(const char *path, const struct nt_funcs *f, const size_t *idx, size_t n,
			 char *err, size_t errlen)
{
	cJSON *root = doc_new(), *arr;
	int e = 0;

	if (!root)
		return write_doc(path, NULL, err, errlen);
	arr = cJSON_AddArrayToObject(root, "functions");
	if (!arr || e)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		const struct nt_func *fn = &f->v[idx[i]];
		cJSON *o = cJSON_CreateObject();
		if (!o)
			goto fail;
		cJSON_AddItemToArray(arr, o);
		e |= add_str(o, "name", fn->name);
		e |= add_str(o, "layer", fn->layer);
		e |= add_num(o, "priority", fn->priority);
		e |= add_bool(o, "enabled", 1);
		e |= add_str(o, "kind", nt_kind_name(fn->kind));
		e |= add_num(o, "arg", fn->arg);
		e |= add_str(o, "module", fn->module ? fn->module : "vmlinux");
		if (fn->via)
			e |= add_str(o, "via", fn->via);
		if (e)
			goto fail;
	}
	return write_doc(path, root, err, errlen);
fail:
	cJSON_Delete(root);
	return write_doc(path, NULL, err, errlen);
}
