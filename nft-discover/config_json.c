// SPDX-License-Identifier: GPL-2.0
/*
 * config_json.c - nt_trace_config_load(): read and validate trace_config.json.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/escape.h"
#include "common/layers.h"
#include "common/safefile.h"
#include "nft-discover/discover.h"
#include "nft-discover/discover_err.h"

#define MAX_CONFIG_BYTES (64u << 20)

static int slurp(const char *path, char **out)
{
	size_t len;

	/* a regular file of at most MAX_CONFIG_BYTES: a FIFO or a device is refused
	 * at once instead of blocking or reading for ever */
	return nt_sf_read(path, MAX_CONFIG_BYTES, out, &len);
}

static int dup_str(char **dst, const char *s)
{
	if (!s) {
		*dst = NULL;
		return 0;
	}
	*dst = strdup(s);
	return *dst ? 0 : -ENOMEM;
}

/* Append to a growing "a, b, c" list, bounded. */
static void list_add(char *list, size_t len, const char *name)
{
	size_t l = strlen(list);

	if (l + 8 >= len)
		return;
	char shown[200];

	/* a name from the file is printed escaped (common/escape.h) */
	snprintf(list + l, len - l, "%s%s", l ? ", " : "", nt_esc_str(NT_ESC_TEXT, shown, sizeof(shown), name));
	if (strlen(list) + 8 >= len)
		snprintf(list + len - 8, 8, ", ...");
}

int nt_trace_config_load(const char *path, const struct nt_funcs *known, struct nt_funcs *out,
			 char *err, size_t errlen)
{
	char *text = NULL, unknown_list[512] = "";
	cJSON *root = NULL, *arr, *it;
	const char *eptr;
	int rc = 0, unknown = 0, idx = -1;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = 0;
	rc = slurp(path, &text);
	if (rc) {
		nt_set_err(err, errlen, "cannot read trace config %s: %s", path,
			rc == -EFBIG ? "larger than 64 MiB" : nt_sf_strerror(rc));
		goto out;
	}
	root = cJSON_ParseWithOpts(text, &eptr, 1);
	if (!root) {
		rc = -EINVAL;
		nt_set_err(err, errlen, "%s: invalid JSON near byte %ld", path,
			eptr ? (long)(eptr - text) : 0L);
		goto out;
	}
	it = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (!cJSON_IsObject(root) || !cJSON_IsString(it) || strncmp(it->valuestring, "1.", 2)) {
		rc = -EINVAL;
		nt_set_err(err, errlen, "%s: not a trace config (need {\"version\": \"1.0\", \"functions\": [...]})",
			path);
		goto out;
	}
	arr = cJSON_GetObjectItemCaseSensitive(root, "functions");
	if (!cJSON_IsArray(arr)) {
		rc = -EINVAL;
		nt_set_err(err, errlen, "%s: \"functions\" must be an array", path);
		goto out;
	}
	n = (size_t)cJSON_GetArraySize(arr);
	out->v = calloc(n ? n : 1, sizeof(*out->v));
	if (!out->v) {
		rc = -ENOMEM;
		nt_set_err(err, errlen, "out of memory loading %s", path);
		goto out;
	}
	cJSON_ArrayForEach(it, arr) {
		cJSON *nm = cJSON_GetObjectItemCaseSensitive(it, "name");
		cJSON *ly = cJSON_GetObjectItemCaseSensitive(it, "layer");
		cJSON *pr = cJSON_GetObjectItemCaseSensitive(it, "priority");
		cJSON *en = cJSON_GetObjectItemCaseSensitive(it, "enabled");
		cJSON *kd = cJSON_GetObjectItemCaseSensitive(it, "kind");
		cJSON *ag = cJSON_GetObjectItemCaseSensitive(it, "arg");
		cJSON *md = cJSON_GetObjectItemCaseSensitive(it, "module");
		cJSON *va = cJSON_GetObjectItemCaseSensitive(it, "via");
		const char *why = NULL, *module = NULL;
		struct nt_func *fn;
		int layer = -1, kind = NT_KIND_SKB, arg = 1;

		idx++;
		if (!cJSON_IsObject(it))
			why = "is not an object";
		else if (!cJSON_IsString(nm) || !*nm->valuestring)
			why = "needs a string \"name\"";
		else if (!cJSON_IsString(ly) || (layer = nt_layer_parse(ly->valuestring)) < 0)
			why = "needs a \"layer\" among Device GRO Netfilter IPv4 IPv6 TCP UDP Routing Xmit SoftIRQ Bridge Socket Other";
		else if (!cJSON_IsNumber(pr) || pr->valuedouble != (double)pr->valueint ||
			 pr->valueint < 0 || pr->valueint > NT_PRIO_MAX)
			why = "needs an integer \"priority\" 0..3";
		else if (en && !cJSON_IsBool(en))
			why = "\"enabled\" must be true or false";
		else if (kd && (!cJSON_IsString(kd) || (kind = nt_kind_parse(kd->valuestring)) < 0))
			why = "\"kind\" must be skb, skb_pp, skb_via, nft_hook or tracepoint";
		else if (ag && (!cJSON_IsNumber(ag) || ag->valuedouble != (double)ag->valueint ||
				ag->valueint < 1 || ag->valueint > 5))
			why = "\"arg\" must be an integer 1..5";
		else if (md && !cJSON_IsString(md))
			why = "\"module\" must be a string";
		else if (va && !cJSON_IsString(va))
			why = "\"via\" must be a string";
		if (why) {
			char shown[200];

			rc = -EINVAL;
			nt_set_err(err, errlen, "%s: functions[%d]%s%s%s %s", path, idx,
				cJSON_IsString(nm) ? " (" : "",
				cJSON_IsString(nm) ? nt_esc_str(NT_ESC_TEXT, shown, sizeof(shown), nm->valuestring) : "",
				cJSON_IsString(nm) ? ")" : "", why);
			goto out;
		}
		if (en && cJSON_IsFalse(en))
			continue;
		if (ag)
			arg = ag->valueint;
		if (md && strcmp(md->valuestring, "vmlinux"))
			module = md->valuestring;
		if (known) {
			const struct nt_func *k = nt_funcs_find(known, nm->valuestring,
								md ? md->valuestring : NULL);
			if (!k) {
				unknown++;
				list_add(unknown_list, sizeof(unknown_list), nm->valuestring);
				continue;
			}
			fn = &out->v[out->n++];
			fn->kind = k->kind;
			fn->arg = k->arg;
			fn->btf_id = k->btf_id;
			fn->flags = k->flags;
			if (dup_str(&fn->module, k->module) || dup_str(&fn->via, k->via))
				goto nomem;
			if (k->naddrs) {
				fn->addrs = malloc(k->naddrs * sizeof(*fn->addrs));
				if (!fn->addrs)
					goto nomem;
				memcpy(fn->addrs, k->addrs, k->naddrs * sizeof(*fn->addrs));
				fn->naddrs = k->naddrs;
			}
		} else {
			fn = &out->v[out->n++];
			fn->kind = kind;
			fn->arg = arg;
			if (dup_str(&fn->module, module) || dup_str(&fn->via, va ? va->valuestring : NULL))
				goto nomem;
		}
		fn->flags |= NT_FN_ENABLED;
		fn->layer = nt_layer_name(layer);
		fn->priority = pr->valueint;
		if (dup_str(&fn->name, nm->valuestring))
			goto nomem;
	}
	rc = unknown;
	if (unknown)
		nt_set_err(err, errlen, "%d function%s of %s not found on this kernel: %s", unknown,
			unknown > 1 ? "s" : "", path, unknown_list);
	goto out;
nomem:
	rc = -ENOMEM;
	nt_set_err(err, errlen, "out of memory loading %s", path);
out:
	if (rc < 0)
		nt_funcs_free(out);
	cJSON_Delete(root);
	free(text);
	return rc;
}
