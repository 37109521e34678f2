// SPDX-License-Identifier: GPL-2.0
/* snapshot.c - RULESET / IFACES / DROP_REASONS blocks and the chain table. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "common/nftables.h"
#include "nft-record/snapshot.h"
#include "nft-record/nftrace.h"

struct chain_ent {
	uint32_t netns;
	uint8_t family, hook, policy, base;
	int32_t prio;
	char table[NT_NAME_LEN];
	char chain[NT_NAME_LEN];
};

struct nt_chains {
	struct chain_ent *v;
	size_t n, cap;
};

static int chains_add(struct nt_chains *c, const struct chain_ent *e)
{
	for (size_t i = 0; i < c->n; i++) {
		struct chain_ent *o = &c->v[i];

		if (o->netns == e->netns && o->family == e->family && !strcmp(o->table, e->table) &&
		    !strcmp(o->chain, e->chain)) {
			*o = *e;
			return 0;
		}
	}
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		struct chain_ent *nv = realloc(c->v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		c->v = nv;
		c->cap = ncap;
	}
	c->v[c->n++] = *e;
	return 0;
}

int nt_chains_get(const struct nt_chains *c, uint32_t netns, uint8_t family, const char *table,
		  const char *chain, struct nt_ev_nft_chaindef *def)
{
	for (size_t i = 0; c && i < c->n; i++) {
		const struct chain_ent *o = &c->v[i];

		if (o->netns == netns && o->family == family && !strcmp(o->table, table) &&
		    !strcmp(o->chain, chain)) {
			def->hook = o->hook;
			def->prio = o->prio;
			def->policy = o->policy;
			def->base = o->base;
			return 0;
		}
	}
	return -1;
}

void nt_chains_free(struct nt_chains *c)
{
	if (!c)
		return;
	free(c->v);
	free(c);
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double jnum(const cJSON *o, const char *k, double def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : def;
}

/* Find the rule text of (family, table, chain, handle) in `nft -a` output. */
struct text_rule {
	char family[16], table[NT_NAME_LEN], chain[NT_NAME_LEN];
	uint64_t handle;
	char *text;
};

struct text_rules {
	struct text_rule *v;
	size_t n, cap;
};

static void text_rules_free(struct text_rules *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].text);
	free(t->v);
}

static int parse_text(const char *out, struct text_rules *tr)
{
	char family[16] = "", table[NT_NAME_LEN] = "", chain[NT_NAME_LEN] = "";
	int depth = 0, in_chain = 0;
	const char *line = out;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[4096];
		char *s, *h;
		int opens = 0, closes = 0;

		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
		memcpy(buf, line, len);
		buf[len] = 0;
		line = nl ? nl + 1 : NULL;
		s = buf;
		while (*s == '\t' || *s == ' ')
			s++;
		for (char *p = s; *p; p++) {
			if (*p == '"') { /* skip quoted strings */
				p = strchr(p + 1, '"');
				if (!p)
					break;
				continue;
			}
			if (*p == '{')
				opens++;
			else if (*p == '}')
				closes++;
		}
		if (depth == 0 && !strncmp(s, "table ", 6)) {
			sscanf(s, "table %15s %63s", family, table);
		} else if (depth == 1 && !strncmp(s, "chain ", 6)) {
			sscanf(s, "chain %63s", chain);
			in_chain = 1;
		} else if (depth == 2 && in_chain && (h = strstr(s, " # handle ")) && opens == closes) {
			struct text_rule *r;

			if (tr->n == tr->cap) {
				size_t ncap = tr->cap ? tr->cap * 2 : 64;
				struct text_rule *nv = realloc(tr->v, ncap * sizeof(*nv));

				if (!nv)
					return -ENOMEM;
				tr->v = nv;
				tr->cap = ncap;
			}
			r = &tr->v[tr->n];
			memset(r, 0, sizeof(*r));
			snprintf(r->family, sizeof(r->family), "%s", family);
			snprintf(r->table, sizeof(r->table), "%s", table);
			snprintf(r->chain, sizeof(r->chain), "%s", chain);
			r->handle = strtoull(h + 10, NULL, 10);
			*h = 0;
			r->text = strdup(s);
			if (!r->text)
				return -ENOMEM;
			tr->n++;
		}
		depth += opens - closes;
		if (depth < 2)
			in_chain = depth == 2;
		if (depth < 0)
			depth = 0;
	}
	return 0;
}

static const char *text_rule_find(const struct text_rules *tr, const char *family,
				  const char *table, const char *chain, uint64_t handle)
{
	for (size_t i = 0; i < tr->n; i++) {
		const struct text_rule *r = &tr->v[i];

		if (r->handle == handle && !strcmp(r->family, family) && !strcmp(r->table, table) &&
		    !strcmp(r->chain, chain))
			return r->text;
	}
	return "";
}

static cJSON *find_table(cJSON *tables, uint32_t netns, const char *family, const char *name)
{
	cJSON *t;

	cJSON_ArrayForEach(t, tables) {
		if ((uint32_t)jnum(t, "netns", 0) == netns && !strcmp(jstr(t, "family") ?: "", family) &&
		    !strcmp(jstr(t, "name") ?: "", name))
			return t;
	}
	return NULL;
}

static cJSON *find_named(cJSON *arr, const char *name)
{
	cJSON *c;

	cJSON_ArrayForEach(c, arr)
		if (!strcmp(jstr(c, "name") ?: "", name))
			return c;
	return NULL;
}

/* One namespace: add its tables to `tables` (may be NULL) and chains to c. */
static int snapshot_ns(const struct nt_netns *ns, const char *cmd, const char *skip,
		       cJSON *tables, struct nt_chains *c, char *err, size_t errlen)
{
	char *js = NULL, *txt = NULL;
	struct text_rules tr = { 0 };
	cJSON *root = NULL, *arr, *it;
	size_t skiplen = skip ? strlen(skip) : 0;
	int ret = -EINVAL;

	js = nt_nft_list(ns, cmd, 1, err, errlen);
	if (!js)
		goto out;
	if (tables) {
		txt = nt_nft_list(ns, cmd, 0, err, errlen);
		if (!txt || parse_text(txt, &tr))
			goto out;
	}
	root = cJSON_Parse(js);
	arr = cJSON_GetObjectItemCaseSensitive(root, "nftables");
	if (!cJSON_IsArray(arr)) {
		snprintf(err, errlen, "netns %s: unexpected libnftables JSON output", nt_netns_label(ns));
		goto out;
	}
	cJSON_ArrayForEach(it, arr) {
		cJSON *o = it->child;
		const char *fam, *tname;

		if (!o || !cJSON_IsObject(o))
			continue;
		fam = jstr(o, "family");
		tname = !strcmp(o->string, "table") ? jstr(o, "name") : jstr(o, "table");
		if (!fam || !tname || (skiplen && !strncmp(tname, skip, skiplen)))
			continue;
		if (!strcmp(o->string, "table") && tables) {
			cJSON *t = cJSON_CreateObject();

			cJSON_AddNumberToObject(t, "netns", ns->inum);
			cJSON_AddStringToObject(t, "family", fam);
			cJSON_AddStringToObject(t, "name", tname);
			cJSON_AddNumberToObject(t, "handle", jnum(o, "handle", 0));
			cJSON_AddItemToObject(t, "chains", cJSON_CreateArray());
			cJSON_AddItemToArray(tables, t);
		} else if (!strcmp(o->string, "chain")) {
			struct chain_ent e = { 0 };
			const char *cname = jstr(o, "name") ?: "";
			const char *hook = jstr(o, "hook");

			e.netns = ns->inum;
			e.family = nt_nfproto_parse(fam);
			snprintf(e.table, sizeof(e.table), "%s", tname);
			snprintf(e.chain, sizeof(e.chain), "%s", cname);
			e.base = hook != NULL;
			e.hook = hook ? nt_hook_parse(hook) : NT_HOOK_NONE;
			e.prio = (int32_t)jnum(o, "prio", 0);
			e.policy = jstr(o, "policy") && !strcmp(jstr(o, "policy"), "drop") ? 0 : 1;
			if (chains_add(c, &e)) {
				ret = -ENOMEM;
				goto out;
			}
			if (tables) {
				cJSON *t = find_table(tables, ns->inum, fam, tname);
				cJSON *ch = cJSON_CreateObject();

				cJSON_AddStringToObject(ch, "name", cname);
				cJSON_AddNumberToObject(ch, "handle", jnum(o, "handle", 0));
				if (hook) {
					cJSON_AddStringToObject(ch, "type", jstr(o, "type") ?: "filter");
					cJSON_AddStringToObject(ch, "hook", hook);
					cJSON_AddNumberToObject(ch, "prio", e.prio);
					cJSON_AddStringToObject(ch, "policy", jstr(o, "policy") ?: "accept");
				}
				cJSON_AddItemToObject(ch, "rules", cJSON_CreateArray());
				if (t)
					cJSON_AddItemToArray(cJSON_GetObjectItem(t, "chains"), ch);
				else
					cJSON_Delete(ch);
			}
		} else if (!strcmp(o->string, "rule") && tables) {
			cJSON *t = find_table(tables, ns->inum, fam, tname);
			cJSON *ch = t ? find_named(cJSON_GetObjectItem(t, "chains"), jstr(o, "chain") ?: "") : NULL;
			uint64_t h = (uint64_t)jnum(o, "handle", 0);
			cJSON *r;

			if (!ch)
				continue;
			r = cJSON_CreateObject();
			cJSON_AddNumberToObject(r, "handle", (double)h);
			cJSON_AddStringToObject(r, "text",
						text_rule_find(&tr, fam, tname, jstr(o, "chain") ?: "", h));
			cJSON_AddItemToArray(cJSON_GetObjectItem(ch, "rules"), r);
		}
	}
	ret = 0;
out:
	cJSON_Delete(root);
	text_rules_free(&tr);
	free(js);
	free(txt);
	return ret;
}

/* Table by table, never listing the recorders' own (owned) tables:
 * libnftables 1.0.6 reads freed memory when it prints such a table as JSON
 * ("list ruleset" while our table exists corrupted the heap at a rotation). */
static int snapshot_tables(const struct nt_netns *ns, const char *skip, cJSON *tables,
			   struct nt_chains *c, char *err, size_t errlen)
{
	char cmd[256], fam[16], name[NT_NAME_LEN];
	char *list = nt_nft_list(ns, "list tables", 0, err, errlen);
	const char *line;
	int ret = 0;

	if (!list)
		return -EIO;
	for (line = list; !ret && line && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (sscanf(line, "table %15s %63s", fam, name) != 2)
			continue;
		if (skip && !strncmp(name, skip, strlen(skip)))
			continue;
		snprintf(cmd, sizeof(cmd), "list table %s %s", fam, name);
		ret = snapshot_ns(ns, cmd, skip, tables, c, err, errlen);
		if (ret && strstr(err, "No such file or directory"))
			ret = 0;        /* deleted since "list tables": not in the snapshot */
	}
	free(list);
	return ret;
}

char *nt_snapshot_ruleset(const struct nt_netns *ns, int n, const char *skip_prefix,
			  struct nt_chains **chains, char *err, size_t errlen)
{
	cJSON *root = cJSON_CreateObject(), *tables = cJSON_CreateArray();
	struct nt_chains *c = calloc(1, sizeof(*c));
	char *out = NULL;

	if (!root || !tables || !c) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	cJSON_AddItemToObject(root, "tables", tables);
	for (int i = 0; i < n; i++)
		if (snapshot_tables(&ns[i], skip_prefix, tables, c, err, errlen))
			goto fail;
	out = cJSON_PrintUnformatted(root);
	if (!out) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	cJSON_Delete(root);
	*chains = c;
	return out;
fail:
	cJSON_Delete(root);
	nt_chains_free(c);
	return NULL;
}

/* The chains of every table but the recorders' own (see snapshot_tables). */
int nt_chains_refresh(struct nt_chains *c, const struct nt_netns *ns, const char *skip_prefix)
{
	char err[256];

	return snapshot_tables(ns, skip_prefix, NULL, c, err, sizeof(err)) ? -EIO : 0;
}

char *nt_snapshot_ifaces(const struct nt_netns *ns, int n, char *err, size_t errlen)
{
	cJSON *root = cJSON_CreateObject(), *arr = cJSON_CreateArray();
	char *out;

	cJSON_AddItemToObject(root, "interfaces", arr);
	for (int i = 0; i < n; i++) {
		struct if_nameindex *ifs, *p;

		if (nt_netns_enter(&ns[i]))
			continue;
		ifs = if_nameindex();
		nt_netns_leave();
		for (p = ifs; p && p->if_index; p++) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddNumberToObject(o, "netns", ns[i].inum);
			cJSON_AddNumberToObject(o, "ifindex", p->if_index);
			cJSON_AddStringToObject(o, "name", p->if_name);
			cJSON_AddItemToArray(arr, o);
		}
		if (ifs)
			if_freenameindex(ifs);
	}
	out = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (!out)
		snprintf(err, errlen, "out of memory");
	return out;
}

char *nt_snapshot_drop_reasons(size_t *count, char *err, size_t errlen)
{
	struct btf *btf = btf__load_vmlinux_btf();
	cJSON *root, *arr;
	const struct btf_type *t;
	char *out;
	int id;

	*count = 0;
	root = cJSON_CreateObject();
	arr = cJSON_CreateArray();
	cJSON_AddItemToObject(root, "reasons", arr);
	if (!btf) {
		snprintf(err, errlen, "cannot load the kernel BTF: %s", strerror(errno));
		goto done;
	}
	id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	if (id > 0) {
		const struct btf_enum *e;

		t = btf__type_by_id(btf, id);
		e = btf_enum(t);
		for (int i = 0; i < btf_vlen(t); i++, e++) {
			const char *name = btf__name_by_offset(btf, e->name_off);
			cJSON *o;

			if (!name)
				continue;
			if (!strncmp(name, "SKB_DROP_REASON_", 16))
				name += 16;
			o = cJSON_CreateObject();
			cJSON_AddNumberToObject(o, "value", (uint32_t)e->val);
			cJSON_AddStringToObject(o, "name", name);
			cJSON_AddItemToArray(arr, o);
			(*count)++;
		}
	}
	btf__free(btf);
done:
	out = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return out;
}
