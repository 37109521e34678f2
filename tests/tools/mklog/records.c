/* records.c - mklog: the records of a scenario's timed lines. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/logw.h"
#include "formats/stacks.h"
#include "tests/tools/pktbuild.h"
#include "tests/tools/mklog/mklog.h"

static uint64_t defined_keys[1024];
static int ndefined;

static void emit(const void *rec, size_t len)
{
	if (ntl_writer_event(w, rec, len)) {
		fprintf(stderr, "mklog: %s\n", ntl_writer_strerror(w));
		exit(1);
	}
}

static void define_chain(const char *fam, const char *table, const char *chain, uint64_t ts)
{
	uint64_t key = chain_key(fam, table, chain);
	struct nt_ev_nft_chaindef d = { 0 };

	for (int i = 0; i < ndefined; i++)
		if (defined_keys[i] == key)
			return;
	if (ndefined < 1024)
		defined_keys[ndefined++] = key;
	d.h.type = NT_EV_NFT_CHAINDEF;
	d.h.ts_ns = ts;
	d.chain_key = key;
	snprintf(d.table, sizeof(d.table), "%s", table);
	snprintf(d.chain, sizeof(d.chain), "%s", chain);
	d.family = fam_code(fam);
	d.hook = NT_HOOK_NONE;
	for (int i = 0; i < nchains; i++)
		if (!strcmp(chains[i].fam, fam) && !strcmp(chains[i].table, table) &&
		    !strcmp(chains[i].chain, chain)) {
			d.hook = hook_code(chains[i].hook);
			d.base = d.hook != NT_HOOK_NONE;
			d.prio = chains[i].prio;
			d.policy = !strcmp(chains[i].policy, "drop") ? NT_V_DROP : NT_V_ACCEPT;
			d.netns = chains[i].netns;
		}
	emit(&d, sizeof(d));
}

int synth_on;

/* the last META of each skb address (for bytes / ct records) */
static struct nt_ev_meta last_meta[256];
static int nlast;

static void meta_remember(const struct nt_ev_meta *m)
{
	for (int i = 0; i < nlast; i++)
		if (last_meta[i].h.skb == m->h.skb) {
			last_meta[i] = *m;
			return;
		}
	last_meta[nlast < 256 ? nlast++ : 255] = *m;
}

static const struct nt_ev_meta *meta_of(uint64_t skb)
{
	for (int i = 0; i < nlast; i++)
		if (last_meta[i].h.skb == skb)
			return &last_meta[i];
	return NULL;
}

void record(const struct line *l, uint64_t base)
{
	const char *kw = l->tok[1];
	uint64_t ts = parse_time(l->tok[0], base);
	int n = l->ntok;

#define NEED(k) do { if (n < (k)) die(l->lineno, "'%s' needs more arguments", kw); } while (0)
	if (!strcmp(kw, "func")) {
		struct nt_ev_func f = { .h = { .type = NT_EV_FUNC, .ts_ns = ts } };

		NEED(4);
		f.h.skb = skb_of(l->tok[2]);
		f.h.id = (uint32_t)atoi(l->tok[3]);
		f.h.cpu = n > 4 ? (uint16_t)atoi(l->tok[4]) : 0;
		emit(&f, sizeof(f));
	} else if (!strcmp(kw, "meta")) {
		struct nt_ev_meta m = { .h = { .type = NT_EV_META, .ts_ns = ts } };
		int it = -1, ic = 0, iid = 0;
		uint8_t l3 = 0;

		NEED(6);
		m.h.skb = skb_of(l->tok[2]);
		if (!strcasecmp(l->tok[3], "tcp")) m.l4proto = 6;
		else if (!strcasecmp(l->tok[3], "udp")) m.l4proto = 17;
		else if (!strcasecmp(l->tok[3], "icmp")) m.l4proto = 1;
		else if (!strcasecmp(l->tok[3], "icmpv6")) m.l4proto = 58;
		else m.l4proto = (uint8_t)atoi(l->tok[3]);
		parse_endpoint(l->tok[4], m.saddr, &m.sport, &l3, l->lineno, &it, &ic, &iid);
		parse_endpoint(l->tok[5], m.daddr, &m.dport, &m.l3, l->lineno, &it, &ic, &iid);
		if (it >= 0) {
			m.sport = (uint16_t)(it << 8 | ic);
			m.dport = (uint16_t)iid;
		}
		m.ethertype = m.l3 == NT_L3_IPV6 ? 0x86dd : 0x0800;
		{
			int np = n; /* positional arguments before the first KEY=VALUE */

			for (int k = 6; k < n; k++)
				if (strchr(l->tok[k], '=')) {
					np = k;
					break;
				}
			m.ifindex = np > 6 ? (uint32_t)atoi(l->tok[6]) : 2;
			m.len = np > 7 ? (uint32_t)atoi(l->tok[7]) : 60;
			m.netns = np > 8 ? (uint32_t)strtoul(l->tok[8], NULL, 10) : 4026531840u;
			m.mark = np > 9 ? (uint32_t)strtoul(l->tok[9], NULL, 0) : 0;
			for (int k = np; k < n; k++) {
				char *v = strchr(l->tok[k], '=');

				if (!v)
					die(l->lineno, "'%s' is not KEY=VALUE", l->tok[k]);
				*v++ = 0;
				if (!strcmp(l->tok[k], "frag")) { /* ID/OFFSET[/mf] */
					char *sl = strchr(v, '/');
					unsigned long off = sl ? strtoul(sl + 1, NULL, 0) : 0;

					m.frag_id = (uint32_t)strtoul(v, NULL, 0);
					m.frag = (uint16_t)(NT_FRAG_IS | ((off / 8) & NT_FRAG_OFF_MASK));
					if (sl && strstr(sl + 1, "/mf"))
						m.frag |= NT_FRAG_MF;
					if (m.l3 == NT_L3_IPV4)
						m.ip_id = (uint16_t)m.frag_id;
				} else if (!strcmp(l->tok[k], "id")) {
					m.ip_id = (uint16_t)strtoul(v, NULL, 0);
					m.frag_id = m.ip_id;
				} else if (!strcmp(l->tok[k], "fid")) {
					m.frag_id = (uint32_t)strtoul(v, NULL, 0);
				} else if (!strcmp(l->tok[k], "csum")) {
					m.l4_csum = (uint16_t)strtoul(v, NULL, 0);
				} else if (!strcmp(l->tok[k], "at")) {
					m.h.id = (uint32_t)strtoul(v, NULL, 0);
				} else if (!strcmp(l->tok[k], "flags")) {
					m.tcp_flags = (uint16_t)strtoul(v, NULL, 0);
				} else if (!strcmp(l->tok[k], "seq")) {
					m.l4_extra = (uint32_t)strtoul(v, NULL, 0);
				} else {
					die(l->lineno, "unknown meta key '%s'", l->tok[k]);
				}
			}
		}
		meta_remember(&m);
		emit(&m, sizeof(m));
	} else if (!strcmp(kw, "chain")) {
		struct nt_ev_nft_chain c = { .h = { .type = NT_EV_NFT_CHAIN, .ts_ns = ts } };

		NEED(7);
		define_chain(l->tok[3], l->tok[4], l->tok[5], ts);
		c.h.skb = skb_of(l->tok[2]);
		c.chain_key = chain_key(l->tok[3], l->tok[4], l->tok[5]);
		c.family = fam_code(l->tok[3]);
		if (!strcmp(l->tok[6], "enter")) {
			c.phase = NT_CHAIN_ENTER;
			c.verdict = NT_V_NONE;
		} else {
			c.phase = NT_CHAIN_EXIT;
			c.verdict = verdict_code(l->tok[6], l->lineno);
		}
		for (int i = 0; i < nchains; i++)
			if (!strcmp(chains[i].table, l->tok[4]) && !strcmp(chains[i].chain, l->tok[5]))
				c.hook = hook_code(chains[i].hook);
		c.trace_id = n > 7 ? (uint32_t)strtoul(l->tok[7], NULL, 0) : 0;
		emit(&c, sizeof(c));
	} else if (!strcmp(kw, "rule")) {
		struct nt_ev_nft_rule r = { .h = { .type = NT_EV_NFT_RULE, .ts_ns = ts } };
		int i = 8;

		NEED(8);
		define_chain(l->tok[3], l->tok[4], l->tok[5], ts);
		r.h.skb = skb_of(l->tok[2]);
		r.chain_key = chain_key(l->tok[3], l->tok[4], l->tok[5]);
		r.family = fam_code(l->tok[3]);
		if (!strcmp(l->tok[6], "policy")) {
			r.kind = NT_RULE_KIND_POLICY;
		} else if (!strcmp(l->tok[6], "return")) {
			r.kind = NT_RULE_KIND_RETURN;
		} else if (!strncmp(l->tok[6], "return/", 7)) { /* 6.1: a return rule's RETURN message */
			r.kind = NT_RULE_KIND_RETURN;
			r.rule_handle = strtoull(l->tok[6] + 7, NULL, 10);
		} else {
			r.kind = NT_RULE_KIND_RULE;
			r.rule_handle = strtoull(l->tok[6], NULL, 10);
		}
		r.verdict = verdict_code(l->tok[7], l->lineno);
		if (r.verdict == NT_V_JUMP || r.verdict == NT_V_GOTO) {
			NEED(9);
			define_chain(l->tok[3], l->tok[4], l->tok[8], ts);
			r.target_key = chain_key(l->tok[3], l->tok[4], l->tok[8]);
			i = 9;
		}
		for (int k = 0; k < nchains; k++)
			if (!strcmp(chains[k].table, l->tok[4]) && !strcmp(chains[k].chain, l->tok[5]))
				r.hook = hook_code(chains[k].hook);
		r.trace_id = n > i ? (uint32_t)strtoul(l->tok[i], NULL, 0) : 0;
		if (!r.h.skb)
			r.h.flags = NT_F_SYNTH | NT_F_UNCORRELATED;
		else if (synth_on)
			r.h.flags = NT_F_SYNTH;
		emit(&r, sizeof(r));
	} else if (!strcmp(kw, "drop")) {
		struct nt_ev_drop d = { .h = { .type = NT_EV_DROP, .ts_ns = ts } };

		NEED(5);
		d.h.skb = skb_of(l->tok[2]);
		d.h.id = (uint32_t)atoi(l->tok[3]);
		d.reason = (uint32_t)atoi(l->tok[4]);
		d.location = n > 5 ? strtoull(l->tok[5], NULL, 16) : 0xffffffff81c0ffeeull;
		d.stack_id = n > 6 ? (uint32_t)strtoul(l->tok[6], NULL, 0) : 0;
		emit(&d, sizeof(d));
	} else if (!strcmp(kw, "stackref")) {
		struct nt_ev_stackref r = { .h = { .type = NT_EV_STACKREF, .ts_ns = ts } };

		NEED(5);
		r.h.skb = skb_of(l->tok[2]);
		r.h.id = (uint32_t)atoi(l->tok[3]);
		r.stack_id = (uint32_t)strtoul(l->tok[4], NULL, 0);
		emit(&r, sizeof(r));
	} else if (!strcmp(kw, "ct") || !strcmp(kw, "ctnl")) {
		struct nt_ev_ct c = { .h = { .type = NT_EV_CT, .ts_ns = ts } };
		int nl = !strcmp(kw, "ctnl"), a = nl ? 3 : 4;
		uint64_t conn = 0;

		NEED(nl ? 7 : 5);
		if (!nl && !strncmp(l->tok[n - 1], "conn=", 5))
			conn = strtoull(l->tok[--n] + 5, NULL, 0);
		c.h.skb = skb_of(l->tok[2]);
		if (nl)
			c.h.flags = NT_F_SYNTH;
		else
			c.h.id = (uint32_t)atoi(l->tok[3]);
		c.state = ct_state_code(l->tok[a], l->lineno);
		c.have = NT_CT_HAVE_STATE;
		if (n > a + 2) {
			c.have |= NT_CT_HAVE_DIR | NT_CT_HAVE_STATUS;
			c.dir = !strcmp(l->tok[a + 1], "reply") ? NT_CT_DIR_REPLY : NT_CT_DIR_ORIGINAL;
			c.status = ct_status_code(l->tok[a + 2], l->lineno);
		}
		if (nl) {
			c.have |= NT_CT_HAVE_ID;
			c.ct_id = (uint32_t)strtoul(l->tok[6], NULL, 0);
		} else if (n > a + 6) {
			const struct nt_ev_meta *mm = meta_of(c.h.skb);
			struct nt_ev_ct_tuple *t[4] = { &c.orig, &c.orig, &c.reply, &c.reply };

			if (!mm)
				die(l->lineno, "ct tuples of skb '%s' without a meta before", l->tok[2]);
			c.l4proto = mm->l4proto;
			for (int k = 0; k < 4; k++) {
				int it = -1, ic = 0, iid = 0;
				uint16_t port;

				parse_endpoint(l->tok[a + 3 + k], k & 1 ? t[k]->daddr : t[k]->saddr, &port, &c.l3,
					       l->lineno, &it, &ic, &iid);
				if (it >= 0) {
					t[k]->sport = (uint16_t)(it << 8 | ic);
					t[k]->dport = (uint16_t)iid;
				} else if (k & 1) {
					t[k]->dport = port;
				} else {
					t[k]->sport = port;
				}
			}
			c.have |= NT_CT_HAVE_TUPLES | NT_CT_HAVE_ZONE | NT_CT_HAVE_MARK | NT_CT_HAVE_ADDR;
			c.zone = n > a + 7 ? (uint16_t)atoi(l->tok[a + 7]) : 0;
			c.mark = n > a + 8 ? (uint32_t)strtoul(l->tok[a + 8], NULL, 0) : 0;
			c.ct_addr = conn ? conn : 0xffff888200000000ull | (c.h.skb & 0xffffff);
		}
		emit(&c, sizeof(c));
	} else if (!strcmp(kw, "bytes")) {
		static _Alignas(8) uint8_t rec[sizeof(struct nt_ev_bytes) + 65536 + 256];
		struct nt_ev_bytes *b = (struct nt_ev_bytes *)rec;
		const struct nt_ev_meta *mm;
		unsigned int cap = NT_BYTES_MAX, mac = 0;
		size_t full;

		NEED(4);
		memset(rec, 0, sizeof(*b));
		b->h.type = NT_EV_BYTES;
		b->h.ts_ns = ts;
		b->h.skb = skb_of(l->tok[2]);
		b->h.id = (uint32_t)atoi(l->tok[3]);
		b->why = NT_BYTES_FIRST;
		for (int k = 4; k < n; k++) {
			if (!strcmp(l->tok[k], "mac"))
				mac = 1;
			else if (!strcmp(l->tok[k], "cap") && k + 1 < n)
				cap = (unsigned int)atoi(l->tok[++k]);
			else if (!strcmp(l->tok[k], "why") && k + 1 < n) {
				k++;
				b->why = !strcmp(l->tok[k], "changed") ? NT_BYTES_CHANGED :
					 !strcmp(l->tok[k], "netns") ? NT_BYTES_NETNS : NT_BYTES_FIRST;
			} else
				die(l->lineno, "bad bytes argument '%s'", l->tok[k]);
		}
		mm = meta_of(b->h.skb);
		if (!mm || mm->len > 65000)
			die(l->lineno, "bytes of skb '%s' without a usable meta before", l->tok[2]);
		full = pb_build(rec + sizeof(*b), mm, (int)mac);
		if (!full)
			die(l->lineno, "bytes of skb '%s': its meta is not IPv4 / IPv6", l->tok[2]);
		if (cap > NT_BYTES_MAX)
			die(l->lineno, "%s", "cap over 256");
		b->caplen = (uint16_t)(full < cap ? full : cap);
		b->origlen = (uint32_t)full;
		b->reclen = (uint16_t)NT_BYTES_RECLEN(b->caplen);
		memset(rec + sizeof(*b) + b->caplen, 0, b->reclen - sizeof(*b) - b->caplen);
		b->link = mac ? NT_BYTES_MAC : NT_BYTES_NET;
		b->net_off = mac ? 14 : 0;
		b->ethertype = mm->ethertype;
		b->ifindex = mm->ifindex;
		b->netns = mm->netns;
		emit(rec, b->reclen);
	} else if (!strcmp(kw, "free")) {
		struct nt_ev_free f = { .h = { .type = NT_EV_FREE, .ts_ns = ts } };

		NEED(4);
		f.h.skb = skb_of(l->tok[2]);
		f.h.id = (uint32_t)atoi(l->tok[3]);
		if (n > 4 && !strcmp(l->tok[4], "inferred"))
			f.h.flags = NT_F_INFERRED;
		else if (n > 4 && !strcmp(l->tok[4], "discard"))
			f.h.flags = MKLOG_F_DISCARD;
		emit(&f, sizeof(f));
	} else if (!strcmp(kw, "link")) {
		struct nt_ev_link k = { .h = { .type = NT_EV_LINK, .ts_ns = ts } };

		NEED(5);
		k.h.skb = skb_of(l->tok[2]);
		k.parent = skb_of(l->tok[3]);
		k.kind = !strcmp(l->tok[4], "copy") ? NT_LINK_COPY :
			 !strcmp(l->tok[4], "realloc") ? NT_LINK_REALLOC :
			 !strcmp(l->tok[4], "head") ? NT_LINK_HEAD : NT_LINK_CLONE;
		emit(&k, sizeof(k));
	} else if (!strcmp(kw, "dev")) {
		struct nt_ev_dev d = { .h = { .type = NT_EV_DEV, .ts_ns = ts } };

		NEED(5);
		d.h.skb = skb_of(l->tok[2]);
		d.ifindex = (uint32_t)strtoul(l->tok[3], NULL, 10);
		d.netns = (uint32_t)strtoul(l->tok[4], NULL, 10);
		d.h.id = n > 5 ? (uint32_t)atoi(l->tok[5]) : 0;
		emit(&d, sizeof(d));
	} else if (!strcmp(kw, "count")) {
		struct nt_ev_count c = { .h = { .type = NT_EV_COUNT, .ts_ns = ts } };

		NEED(5);
		c.h.cpu = (uint16_t)atoi(l->tok[2]);
		c.counter = !strcmp(l->tok[3], "unmatched") ? NT_CNT_NFT_UNMATCHED :
			    !strcmp(l->tok[3], "journey_cut") ? NT_CNT_KEEP_JCUT : NT_CNT_LATE;
		c.value = strtoull(l->tok[4], NULL, 10);
		if (c.counter == NT_CNT_KEEP_JCUT) /* ... journey_cut N SKB: its journey's skb */
			c.h.skb = n > 5 ? skb_of(l->tok[5]) : 0;
		else
			c.h.id = n > 5 ? (uint32_t)strtoul(l->tok[5], NULL, 10) : 0;
		emit(&c, sizeof(c));
	} else if (!strcmp(kw, "loss")) {
		struct nt_ev_loss s = { .h = { .type = NT_EV_LOSS, .ts_ns = ts } };

		NEED(5);
		s.h.cpu = (uint16_t)atoi(l->tok[2]);
		s.source = !strcmp(l->tok[3], "ringbuf") ? NT_LOSS_RINGBUF :
			   !strcmp(l->tok[3], "netlink") ? NT_LOSS_NETLINK :
			   !strcmp(l->tok[3], "nftrace_ring") ? NT_LOSS_NFTRACE_RING :
			   !strcmp(l->tok[3], "stack") ? NT_LOSS_STACK :
			   !strcmp(l->tok[3], "probe") ? NT_LOSS_PROBE : NT_LOSS_USER;
		s.count = strtoull(l->tok[4], NULL, 10);
		s.h.id = n > 5 ? (uint32_t)strtoul(l->tok[5], NULL, 10) : 0;
		emit(&s, sizeof(s));
	} else {
		die(l->lineno, "unknown record '%s'", kw);
	}
#undef NEED
}
