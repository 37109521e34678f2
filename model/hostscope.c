// SPDX-License-Identifier: GPL-2.0
/* hostscope.c - a log of one namespace as a host (hostscope.h). */
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "common/bpf_shared.h"
#include "model/hostscope.h"
#include "model/u64map.h"

#define MAX_SKBS (4u << 20)
#define ST_IN 0x1u       /* the skb is in the host (else outside) */
#define ST_ENDED 0x2u    /* its packet was ended when it left */
#define ST_SHARED 0x4u   /* freed in the host while another skb held its data
			  * (NT_F_SHARED): a head link to it is a copy in the host */

struct nt_scope {
	uint32_t netns;
	struct u64map skbs;     /* skb -> ST_* */
	uint64_t skipped, left, resets;
};

struct nt_scope *nt_scope_new(uint32_t netns)
{
	struct nt_scope *s = calloc(1, sizeof(*s));

	if (!s || map_init(&s->skbs, 1024)) {
		free(s);
		return NULL;
	}
	s->netns = netns;
	return s;
}

void nt_scope_free(struct nt_scope *s)
{
	if (!s)
		return;
	map_free(&s->skbs);
	free(s);
}

uint32_t nt_scope_header_netns(const char *json, size_t len)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	const cJSON *ns = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "host"),
							 "netns");
	uint32_t v = 0;

	if (cJSON_IsNumber(ns) && ns->valuedouble >= 1 && ns->valuedouble <= 4294967295.0)
		v = (uint32_t)ns->valuedouble;
	cJSON_Delete(root);
	return v;
}

static void put(struct nt_scope *s, uint64_t skb, uint32_t st)
{
	uint32_t *v = map_find(&s->skbs, skb);

	if (v) {
		*v = st;
		return;
	}
	if (s->skbs.count >= MAX_SKBS) {
		map_free(&s->skbs);
		if (map_init(&s->skbs, 1024))
			return;
		s->resets++;
	}
	map_put(&s->skbs, skb, st);
}

int nt_scope_record(struct nt_scope *s, const void *rec, size_t len, struct nt_ev_free *synth)
{
	const struct nt_ev_hdr *h = rec;
	uint32_t *v, netns = 0, st;
	int have_ns = 0;

	if (len < sizeof(*h) || !h->skb)
		return NT_SCOPE_PASS;
	if (h->type == NT_EV_META && len >= sizeof(struct nt_ev_meta)) {
		netns = ((const struct nt_ev_meta *)rec)->netns;
		have_ns = netns != 0;
	} else if (h->type == NT_EV_DEV && len >= sizeof(struct nt_ev_dev)) {
		netns = ((const struct nt_ev_dev *)rec)->netns;
		have_ns = netns != 0;
	} else if (h->type == NT_EV_LINK && len >= sizeof(struct nt_ev_link)) {
		/* the new skb is where its parent is */
		const struct nt_ev_link *l = rec;

		v = map_find(&s->skbs, l->parent);
		if (v && (*v & ST_SHARED)) {
			map_del(&s->skbs, l->parent);
			if (l->kind == NT_LINK_HEAD) {
				put(s, h->skb, ST_IN);
				return NT_SCOPE_PASS;
			}
			v = NULL;
		}
		if (v) {
			put(s, h->skb, *v & ST_IN);
			if (!(*v & ST_IN)) {
				s->skipped++;
				return 0;
			}
		} else if (l->kind == NT_LINK_HEAD) {
			/* a socket's copy of a packet this host never had (e.g. a
			 * ping socket's clone of a reply in another namespace): the
			 * skb is not here; its address may come back in the host as
			 * another packet, which a passed link would join to this one */
			s->skipped++;
			return 0;
		}
		return NT_SCOPE_PASS;
	}
	v = map_find(&s->skbs, h->skb);
	if (v && (*v & ST_SHARED)) { /* a new life of a freed address */
		map_del(&s->skbs, h->skb);
		v = NULL;
	}
	if (have_ns) {
		int in = netns == s->netns;

		if (in) {
			put(s, h->skb, ST_IN); /* (back) in the host */
			return NT_SCOPE_PASS;
		}
		st = v ? *v : 0;
		if ((st & ST_IN) && !(st & ST_ENDED)) {
			/* it leaves: its packet ends here, as a transmitted skb's does */
			memset(synth, 0, sizeof(*synth));
			synth->h.type = NT_EV_FREE;
			synth->h.flags = NT_F_SYNTH;
			synth->h.cpu = h->cpu;
			synth->h.id = NT_TP_CONSUME_SKB;
			synth->h.ts_ns = h->ts_ns;
			synth->h.skb = h->skb;
			put(s, h->skb, ST_ENDED);
			s->left++;
			s->skipped++;
			return NT_SCOPE_SYNTH;
		}
		put(s, h->skb, st & ST_ENDED);
		s->skipped++;
		return 0;
	}
	if (v && !(*v & ST_IN)) {
		if (h->type == NT_EV_FREE || h->type == NT_EV_DROP)
			map_del(&s->skbs, h->skb);
		s->skipped++;
		return 0;
	}
	if (v && (h->type == NT_EV_FREE || h->type == NT_EV_DROP)) {
		if (h->flags & NT_F_SHARED)
			*v = ST_SHARED;
		else
			map_del(&s->skbs, h->skb);
	}
	return NT_SCOPE_PASS;
}

void nt_scope_counts(const struct nt_scope *s, uint64_t *skipped, uint64_t *left, uint64_t *resets)
{
	*skipped = s->skipped;
	*left = s->left;
	*resets = s->resets;
}
