// SPDX-License-Identifier: GPL-2.0
/* ident.c - host identity and wall clock of a log (ident.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "formats/ntlog.h"
#include "model/ident.h"

uint64_t nt_json_u64(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	const char *s;
	uint64_t x = 0;

	if (cJSON_IsNumber(v))
		return v->valuedouble > 0 && v->valuedouble < 1.8e19 ? (uint64_t)v->valuedouble : 0;
	if (!cJSON_IsString(v))
		return 0;
	for (s = v->valuestring; *s >= '0' && *s <= '9'; s++) {
		if (x > (UINT64_MAX - 9) / 10)
			return 0;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	return *s ? 0 : x;
}

static void copy_str(char *dst, size_t len, const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (cJSON_IsString(v))
		snprintf(dst, len, "%s", v->valuestring);
}

void nt_ident_parse(struct nt_ident *id, const char *json, size_t len)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	const cJSON *ho = cJSON_GetObjectItemCaseSensitive(root, "host"), *rot, *ns;

	memset(id, 0, sizeof(*id));
	snprintf(id->label, sizeof(id->label), "unknown");
	copy_str(id->kernel, sizeof(id->kernel), root, "kernel");
	id->start_mono_ns = nt_json_u64(root, "start_mono_ns");
	rot = cJSON_GetObjectItemCaseSensitive(root, "rotation");
	if (cJSON_IsObject(rot)) {
		copy_str(id->rot_set, sizeof(id->rot_set), rot, "set");
		id->rot_seq = nt_json_u64(rot, "seq");
	}
	if (cJSON_IsObject(ho)) {
		const cJSON *l = cJSON_GetObjectItemCaseSensitive(ho, "label");

		if (cJSON_IsString(l) && l->valuestring[0]) {
			id->known = 1;
			copy_str(id->label, sizeof(id->label), ho, "label");
			copy_str(id->hostname, sizeof(id->hostname), ho, "hostname");
			copy_str(id->machine_id_hash, sizeof(id->machine_id_hash), ho, "machine_id_hash");
			copy_str(id->boot_id, sizeof(id->boot_id), ho, "boot_id");
			ns = cJSON_GetObjectItemCaseSensitive(ho, "netns");
			if (cJSON_IsNumber(ns) && ns->valuedouble >= 1 && ns->valuedouble <= 4294967295.0)
				id->netns = (uint32_t)ns->valuedouble;
		}
	}
	cJSON_Delete(root);
}

void nt_clock_init(struct nt_clock *c)
{
	memset(c, 0, sizeof(*c));
}

void nt_clock_free(struct nt_clock *c)
{
	free(c->ref);
	memset(c, 0, sizeof(*c));
}

static int add_ref(struct nt_clock *c, uint64_t mono, uint64_t real)
{
	size_t i;

	if (!real)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct nt_clock_ref *v = realloc(c->ref, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->ref = v;
		c->cap = cap;
	}
	/* usually appended; kept in ascending mono order */
	for (i = c->n; i > 0 && c->ref[i - 1].mono > mono; i--)
		c->ref[i] = c->ref[i - 1];
	c->ref[i] = (struct nt_clock_ref){ mono, real };
	c->n++;
	return 0;
}

int nt_clock_meta(struct nt_clock *c, uint16_t type, const char *json, size_t len)
{
	cJSON *root;
	int err = 0;

	if (type != NTL_B_HEADER && type != NTL_B_CLOCK)
		return 0;
	root = cJSON_ParseWithLength(json, len);
	if (!root)
		return 0;
	if (type == NTL_B_HEADER) {
		const cJSON *cr = cJSON_GetObjectItemCaseSensitive(root, "clock_ref");

		c->boot_time_ns = nt_json_u64(root, "boot_time_ns");
		if (cJSON_IsObject(cr))
			err = add_ref(c, nt_json_u64(cr, "mono_ns"), nt_json_u64(cr, "realtime_ns"));
	} else {
		err = add_ref(c, nt_json_u64(root, "mono_ns"), nt_json_u64(root, "realtime_ns"));
	}
	cJSON_Delete(root);
	return err;
}

uint64_t nt_clock_wall(const struct nt_clock *c, uint64_t ts)
{
	size_t lo = 0, hi = c->n;
	const struct nt_clock_ref *r;

	if (!c->n)
		return c->boot_time_ns ? c->boot_time_ns + ts : 0;
	/* the last reference with mono <= ts (the first when none) */
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (c->ref[mid].mono <= ts)
			lo = mid;
		else
			hi = mid;
	}
	r = &c->ref[lo];
	return r->real + (ts - r->mono); /* mod 2^64: earlier records too */
}
