/* mklog.c - test-only .ntl writer: builds a log with known packets from a
 * small scenario file.  Deterministic: the same scenario gives the same bytes.
 *
 * Usage: mklog [-o OUT.ntl] [--force] [--repeat N] [--no-trailer] SCENARIO
 *
 * Scenario lines ('#' starts a comment; times are µs, "T~J" adds a
 * deterministic pseudo-random jitter in [0, J) µs):
 *   header KEY VALUE...            HEADER field (string)
 *   rotation SET SEQ               HEADER "rotation": {"set": SET, "seq": SEQ}
 *   func ID NAME LAYER [KIND [ROLE]]  function table entry (KIND: skb, tracepoint ...;
 *                                  ROLE: alloc, free, drop, deliver, xmit, or - for none)
 *   netns NAME INUM                HEADER options.netns (the recorder's --netns names)
 *   ksym ADDR NAME [MODULE]        KSYMS block entry (ADDR 0x...)
 *   stack ID ADDR...               STACKS block entry, frames innermost first
 *   chain FAM TABLE CHAIN HOOK PRIO POLICY [NETNS]   base chain ("-" hook: regular chain)
 *   rule FAM TABLE CHAIN HANDLE TEXT...              ruleset rule
 *   iface NETNS IFINDEX NAME
 *   reason VALUE NAME
 *   repeat N STEP_US ... end       repeat the enclosed records N times, STEP_US apart
 * Records (SKB: a name, mapped to a fresh kernel-like address at first use in
 * each repeat iteration, or a literal 0x... address; "-" = 0):
 *   T func SKB FUNCID [CPU]
 *   T meta SKB PROTO SRC DST [IFINDEX [LEN [NETNS [MARK]]]] [KEY=VALUE...]
 *        PROTO tcp|udp|icmp|icmpv6; SRC/DST a.b.c.d:port, [v6]:port, or for
 *        icmp an address and SRC gets /TYPE/CODE/ID appended (10.0.0.1/8/0/7);
 *        KEY=VALUE: frag=ID/OFFSET[/mf] (a fragment, OFFSET in bytes),
 *        id=N (IPv4 id; frag_id too), csum=N, flags=N, fid=N (frag_id only),
 *        at=FUNCID (the function where the recorder saw it), seq=N (TCP
 *        sequence number / ICMP id << 16 | seq)
 *   T chain SKB FAM TABLE CHAIN enter|accept|drop... [TRACEID]
 *   T rule SKB FAM TABLE CHAIN HANDLE|policy|return VERDICT [TARGET] [TRACEID]
 *   T drop SKB FUNCID REASON [LOCATION [STACKID]]
 *   T stackref SKB FUNCID STACKID
 *   T ct SKB FUNCID STATE [DIR STATUS [OSRC ODST RSRC RDST [ZONE [MARK]]]] [conn=ADDR]
 *        conntrack read from nf_conn (function mode): STATE new|established|
 *        related|invalid|untracked, DIR orig|reply, STATUS names joined by '|'
 *        (CONFIRMED|SRC_NAT_DONE) or '-', tuples as in meta (the protocol of
 *        the skb's last meta); without tuples: state / dir / status only;
 *        the nf_conn address: conn=ADDR, else one per skb
 *   T ctnl SKB STATE DIR STATUS ID  conntrack as an nftrace message gives it
 *   T bytes SKB FUNCID [mac] [cap N] [why first|changed|netns]
 *        packet bytes built from the skb's last meta (tests/tools/pktbuild.h):
 *        IPv4/IPv6 + TCP/UDP/ICMP headers with checksums, zero payload up to
 *        its len; cap N (default 256) cuts the capture
 *   T free SKB FUNCID [inferred|discard]
 *   T link SKB PARENT clone|copy|realloc|head
 *   T dev SKB IFINDEX NETNS [FUNCID]
 *   T loss CPU ringbuf|netlink|user|nftrace_ring COUNT [ID]   (netlink: CPU 65535, ID = netns)
 *   T count CPU unmatched|late VALUE [ID]
 *   synth on|off                   NFT rule / chain records made by the recorder
 *                                  from nftables' trace (NT_F_SYNTH) or not
 */
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

#define MAXTOK 64
#ifdef NT_F_DISCARD
#define MKLOG_F_DISCARD NT_F_DISCARD
#else
#define MKLOG_F_DISCARD 0x10 /* NT_F_DISCARD (records.h) */
#endif
#define MAXLINES 4096
#define BASE_TS 1000000000000ull /* 1000 s of monotonic time */

struct line {
	int ntok;
	char *tok[MAXTOK];
	char *rest[MAXTOK]; /* text from token i to the end of the line */
	int lineno;
};

static struct line lines[MAXLINES];
static int nlines;
static struct ntl_writer *w;
static const char *scen_name;

static char hdr_json[8192] = "", funcs_json[1 << 16] = "", ifaces_json[8192] = "",
	    reasons_json[8192] = "", netns_json[4096] = "", ksyms_json[1 << 16] = "";
static size_t hdr_len, funcs_len, ifaces_len, reasons_len, netns_len, ksyms_len;
static uint8_t stacks_blk[1 << 16];
static size_t stacks_len;

/* ruleset: tables / chains / rules kept in order of declaration */
struct rchain { char fam[16], table[64], chain[64], hook[16], policy[16]; int prio; uint32_t netns; };
struct rrule { char fam[16], table[64], chain[64]; uint64_t handle; char text[256]; };
static struct rchain chains[256];
static int nchains;
static struct rrule rules[1024];
static int nrules;

static uint64_t defined_keys[1024];
static int ndefined;

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void die(int lineno, const char *fmt, const char *arg)
{
	fprintf(stderr, "mklog: %s:%d: ", scen_name, lineno);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(2);
}

static void append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - *len) {
		fprintf(stderr, "mklog: metadata too large\n");
		exit(2);
	}
	*len += (size_t)n;
}

static uint8_t fam_code(const char *f)
{
	if (!strcmp(f, "inet")) return 1;
	if (!strcmp(f, "ip")) return 2;
	if (!strcmp(f, "arp")) return 3;
	if (!strcmp(f, "netdev")) return 5;
	if (!strcmp(f, "bridge")) return 7;
	if (!strcmp(f, "ip6")) return 10;
	return 0;
}

static uint8_t hook_code(const char *h)
{
	static const char *n[] = { "prerouting", "input", "forward", "output", "postrouting",
				   "ingress", "egress" };

	for (unsigned i = 0; i < 7; i++)
		if (!strcmp(h, n[i]))
			return (uint8_t)i;
	return NT_HOOK_NONE;
}

static uint64_t chain_key(const char *fam, const char *table, const char *chain)
{
	uint64_t h = 0xcbf29ce484222325ull;
	char buf[200];

	snprintf(buf, sizeof(buf), "%s/%s/%s", fam, table, chain);
	for (const char *p = buf; *p; p++) {
		h ^= (uint8_t)*p;
		h *= 0x100000001b3ull;
	}
	return h;
}

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

static int32_t verdict_code(const char *v, int lineno)
{
	static const struct { const char *n; int32_t v; } tab[] = {
		{ "drop", NT_V_DROP }, { "accept", NT_V_ACCEPT }, { "stolen", NT_V_STOLEN },
		{ "queue", NT_V_QUEUE }, { "continue", NT_V_CONTINUE }, { "jump", NT_V_JUMP },
		{ "goto", NT_V_GOTO }, { "return", NT_V_RETURN }, { "break", NT_V_BREAK },
	};

	for (unsigned i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcasecmp(v, tab[i].n))
			return tab[i].v;
	die(lineno, "unknown verdict '%s'", v);
	return 0;
}

static int synth_on;

/* skb names of the current iteration */
static char skb_names[64][32];
static uint64_t skb_addrs[64];
static int nskb;
static uint64_t skb_alloc;

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

static uint8_t ct_state_code(const char *s, int lineno)
{
	static const char *n[] = { "none", "new", "established", "related", "invalid", "untracked" };

	for (unsigned i = 0; i < sizeof(n) / sizeof(n[0]); i++)
		if (!strcmp(s, n[i]))
			return (uint8_t)i;
	die(lineno, "unknown ct state '%s'", s);
	return 0;
}

static uint32_t ct_status_code(const char *s, int lineno)
{
	static const char *n[] = { "EXPECTED", "SEEN_REPLY", "ASSURED", "CONFIRMED", "SRC_NAT",
				   "DST_NAT", "SEQ_ADJUST", "SRC_NAT_DONE", "DST_NAT_DONE", "DYING" };
	char buf[256], *save = NULL;
	uint32_t v = 0;

	if (!strcmp(s, "-"))
		return 0;
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
		unsigned i;

		for (i = 0; i < sizeof(n) / sizeof(n[0]) && strcmp(t, n[i]); i++)
			;
		if (i == sizeof(n) / sizeof(n[0]))
			die(lineno, "unknown ct status '%s'", t);
		v |= 1u << i;
	}
	return v;
}

static uint64_t skb_of(const char *name)
{
	if (!strcmp(name, "-"))
		return 0;
	if (!strncmp(name, "0x", 2))
		return strtoull(name, NULL, 16);
	for (int i = 0; i < nskb; i++)
		if (!strcmp(skb_names[i], name))
			return skb_addrs[i];
	if (nskb == 64)
		nskb = 0;
	snprintf(skb_names[nskb], sizeof(skb_names[nskb]), "%s", name);
	/* 65536 slots of 256 bytes, reused round robin like a slab */
	skb_addrs[nskb] = 0xffff888100000000ull + (skb_alloc++ % 65536) * 0x100;
	return skb_addrs[nskb++];
}

static uint64_t parse_time(const char *s, uint64_t base)
{
	double us = strtod(s, NULL), j = 0;
	const char *t = strchr(s, '~');

	if (t)
		j = strtod(t + 1, NULL);
	if (j > 0)
		us += (double)(next_rand() % 1000000) / 1e6 * j;
	return base + (uint64_t)(us * 1000.0 + 0.5);
}

static void parse_endpoint(const char *s, uint8_t *addr, uint16_t *port, uint8_t *l3,
			   int lineno, int *icmp_t, int *icmp_c, int *icmp_id)
{
	char buf[128], *p;

	snprintf(buf, sizeof(buf), "%s", s);
	*port = 0;
	if ((p = strchr(buf, '/'))) { /* icmp: addr/type/code/id */
		*p++ = 0;
		*icmp_t = atoi(p);
		p = strchr(p, '/');
		*icmp_c = p ? atoi(++p) : 0;
		p = p ? strchr(p, '/') : NULL;
		*icmp_id = p ? atoi(++p) : 0;
	}
	if (buf[0] == '[') {
		p = strchr(buf, ']');
		if (!p)
			die(lineno, "bad address '%s'", s);
		*p = 0;
		if (p[1] == ':')
			*port = (uint16_t)atoi(p + 2);
		if (inet_pton(AF_INET6, buf + 1, addr) != 1)
			die(lineno, "bad IPv6 address '%s'", s);
		*l3 = NT_L3_IPV6;
		return;
	}
	if ((p = strchr(buf, ':')) && !strchr(p + 1, ':')) {
		*p = 0;
		*port = (uint16_t)atoi(p + 1);
	}
	if (inet_pton(AF_INET, buf, addr) == 1) {
		*l3 = NT_L3_IPV4;
		return;
	}
	if (inet_pton(AF_INET6, buf, addr) == 1) {
		*l3 = NT_L3_IPV6;
		return;
	}
	die(lineno, "bad address '%s'", s);
}

static void record(const struct line *l, uint64_t base)
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
		c.counter = !strcmp(l->tok[3], "unmatched") ? NT_CNT_NFT_UNMATCHED : NT_CNT_LATE;
		c.value = strtoull(l->tok[4], NULL, 10);
		c.h.id = n > 5 ? (uint32_t)strtoul(l->tok[5], NULL, 10) : 0;
		emit(&c, sizeof(c));
	} else if (!strcmp(kw, "loss")) {
		struct nt_ev_loss s = { .h = { .type = NT_EV_LOSS, .ts_ns = ts } };

		NEED(5);
		s.h.cpu = (uint16_t)atoi(l->tok[2]);
		s.source = !strcmp(l->tok[3], "ringbuf") ? NT_LOSS_RINGBUF :
			   !strcmp(l->tok[3], "netlink") ? NT_LOSS_NETLINK :
			   !strcmp(l->tok[3], "nftrace_ring") ? NT_LOSS_NFTRACE_RING : NT_LOSS_USER;
		s.count = strtoull(l->tok[4], NULL, 10);
		s.h.id = n > 5 ? (uint32_t)strtoul(l->tok[5], NULL, 10) : 0;
		emit(&s, sizeof(s));
	} else {
		die(l->lineno, "unknown record '%s'", kw);
	}
#undef NEED
}

static void json_str(char *buf, size_t cap, size_t *len, const char *s)
{
	append(buf, cap, len, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			append(buf, cap, len, "\\%c", *s);
		else
			append(buf, cap, len, "%c", *s);
	}
	append(buf, cap, len, "\"");
}

static char ruleset_json[1 << 18];
static size_t ruleset_len;

static void build_ruleset(void)
{
	char *b = ruleset_json;
	size_t cap = sizeof(ruleset_json), *len = &ruleset_len;
	int nt = 0;

	append(b, cap, len, "{\"tables\":[");
	/* tables in order of first chain */
	for (int i = 0; i < nchains; i++) {
		int dup = 0;

		for (int k = 0; k < i; k++)
			dup |= !strcmp(chains[k].fam, chains[i].fam) && !strcmp(chains[k].table, chains[i].table);
		if (dup)
			continue;
		append(b, cap, len, "%s{\"netns\":%u,\"family\":\"%s\",\"name\":\"%s\",\"handle\":%d,\"chains\":[",
		       nt ? "," : "", chains[i].netns, chains[i].fam, chains[i].table, nt + 1);
		nt++;
		int nc = 0;
		for (int j = 0; j < nchains; j++) {
			if (strcmp(chains[j].fam, chains[i].fam) || strcmp(chains[j].table, chains[i].table))
				continue;
			append(b, cap, len, "%s{\"name\":\"%s\",\"handle\":%d", nc++ ? "," : "", chains[j].chain, j + 1);
			if (strcmp(chains[j].hook, "-"))
				append(b, cap, len, ",\"type\":\"filter\",\"hook\":\"%s\",\"prio\":%d,\"policy\":\"%s\"",
				       chains[j].hook, chains[j].prio, chains[j].policy);
			append(b, cap, len, ",\"rules\":[");
			int nr = 0;
			for (int k = 0; k < nrules; k++) {
				if (strcmp(rules[k].fam, chains[j].fam) || strcmp(rules[k].table, chains[j].table) ||
				    strcmp(rules[k].chain, chains[j].chain))
					continue;
				append(b, cap, len, "%s{\"handle\":%" PRIu64 ",\"text\":", nr++ ? "," : "", rules[k].handle);
				json_str(b, cap, len, rules[k].text);
				append(b, cap, len, "}");
			}
			append(b, cap, len, "]}");
		}
		append(b, cap, len, "]}");
	}
	append(b, cap, len, "]}");
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

int main(int argc, char **argv)
{
	struct ntl_writer_opts wo = { .sz = sizeof(wo) };
	const char *out = NULL;
	long repeat_override = -1;
	int trailer = 1, nfuncs = 0, nif = 0, nreason = 0;
	static char text[1 << 20];
	FILE *f;
	size_t tl;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "--force"))
			wo.force = 1;
		else if (!strcmp(argv[i], "--no-trailer"))
			trailer = 0;
		else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
			repeat_override = atol(argv[++i]);
		else if (!strcmp(argv[i], "--block-bytes") && i + 1 < argc)
			wo.block_bytes = (uint32_t)atol(argv[++i]);
		else if (!strcmp(argv[i], "--level") && i + 1 < argc)
			wo.zstd_level = atoi(argv[++i]);
		else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "usage: mklog [-o OUT] [--force] [--repeat N] [--no-trailer] [--block-bytes N] [--level N] SCENARIO\n");
			return 2;
		} else
			scen_name = argv[i];
	}
	if (!scen_name || !out) {
		fprintf(stderr, "usage: mklog -o OUT [--force] [--repeat N] [--no-trailer] SCENARIO\n");
		return 2;
	}
	f = fopen(scen_name, "r");
	if (!f) {
		fprintf(stderr, "mklog: %s: %s\n", scen_name, strerror(errno));
		return 2;
	}
	tl = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[tl] = 0;

	/* split into lines and tokens */
	for (char *save = NULL, *ln = strtok_r(text, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
		static int lineno;
		struct line *l;
		char *p = ln, *hash = strchr(ln, '#');

		lineno++;
		(void)p;
		if (hash && (hash == ln || hash[-1] == ' ' || hash[-1] == '\t'))
			*hash = 0;
		ln = trim(ln);
		if (!*ln)
			continue;
		if (nlines == MAXLINES)
			die(lineno, "%s", "too many lines");
		l = &lines[nlines++];
		l->lineno = lineno;
		/* tokens: keep pointers to the rest of the line for rule text */
		while (*ln && l->ntok < MAXTOK) {
			char *e;

			ln = trim(ln);
			if (!*ln)
				break;
			l->rest[l->ntok] = strdup(ln);
			e = ln + strcspn(ln, " \t");
			if (*e)
				*e++ = 0;
			l->tok[l->ntok++] = ln;
			ln = e;
		}
	}

	/* declarations */
	append(hdr_json, sizeof(hdr_json), &hdr_len, "{\"tool\":\"mklog\",\"tool_version\":\"0.1.0\",\"format_version\":%d,"
	       "\"clock\":\"CLOCK_MONOTONIC\",\"byte_order\":\"little\",\"start_mono_ns\":%llu",
	       NT_FORMAT_VERSION, (unsigned long long)BASE_TS);
	append(funcs_json, sizeof(funcs_json), &funcs_len, "{\"functions\":[");
	append(ifaces_json, sizeof(ifaces_json), &ifaces_len, "{\"interfaces\":[");
	append(reasons_json, sizeof(reasons_json), &reasons_len, "{\"reasons\":[");
	for (int i = 0; i < nlines; i++) {
		struct line *l = &lines[i];
		const char *k = l->tok[0];

		if (!strcmp(k, "header") && l->ntok >= 3) {
			append(hdr_json, sizeof(hdr_json), &hdr_len, ",");
			json_str(hdr_json, sizeof(hdr_json), &hdr_len, l->tok[1]);
			append(hdr_json, sizeof(hdr_json), &hdr_len, ":");
			json_str(hdr_json, sizeof(hdr_json), &hdr_len, l->rest[2]);
		} else if (!strcmp(k, "rotation") && l->ntok == 3) {
			append(hdr_json, sizeof(hdr_json), &hdr_len, ",\"rotation\":{\"set\":");
			json_str(hdr_json, sizeof(hdr_json), &hdr_len, l->tok[1]);
			append(hdr_json, sizeof(hdr_json), &hdr_len, ",\"seq\":%llu}",
			       strtoull(l->tok[2], NULL, 10));
		} else if (!strcmp(k, "func") && l->ntok >= 4) {
			append(funcs_json, sizeof(funcs_json), &funcs_len,
			       "%s{\"id\":%s,\"name\":\"%s\",\"layer\":\"%s\",\"priority\":0,\"kind\":\"%s\",\"arg\":1,\"module\":\"\",\"addr\":\"0x0\"",
			       nfuncs++ ? "," : "", l->tok[1], l->tok[2], l->tok[3], l->ntok > 4 ? l->tok[4] : "skb");
			if (l->ntok > 5 && strcmp(l->tok[5], "-"))
				append(funcs_json, sizeof(funcs_json), &funcs_len, ",\"role\":\"%s\"", l->tok[5]);
			append(funcs_json, sizeof(funcs_json), &funcs_len, "}");
		} else if (!strcmp(k, "netns") && l->ntok >= 3) {
			append(netns_json, sizeof(netns_json), &netns_len, "%s{\"name\":\"%s\",\"inum\":%s}",
			       netns_len ? "," : "", l->tok[1], l->tok[2]);
		} else if (!strcmp(k, "ksym") && l->ntok >= 3) {
			append(ksyms_json, sizeof(ksyms_json), &ksyms_len, "%s{\"addr\":\"%s\",\"name\":\"%s\",\"module\":\"%s\"}",
			       ksyms_len ? "," : "", l->tok[1], l->tok[2], l->ntok > 3 ? l->tok[3] : "");
		} else if (!strcmp(k, "stack") && l->ntok >= 3) {
			uint64_t fr[NT_STACK_MAX_FRAMES];
			int nf = 0;

			if (!stacks_len)
				ntl_stacks_init(stacks_blk, sizeof(stacks_blk), &stacks_len);
			for (int j = 2; j < l->ntok && nf < NT_STACK_MAX_FRAMES; j++)
				fr[nf++] = strtoull(l->tok[j], NULL, 16);
			if (ntl_stacks_add(stacks_blk, sizeof(stacks_blk), &stacks_len,
					   (uint32_t)strtoul(l->tok[1], NULL, 0), fr, (unsigned)nf))
				die(l->lineno, "%s", "bad stack");
		} else if (!strcmp(k, "chain") && l->ntok >= 7) {
			struct rchain *c = &chains[nchains < 255 ? nchains++ : 255];

			snprintf(c->fam, sizeof(c->fam), "%s", l->tok[1]);
			snprintf(c->table, sizeof(c->table), "%s", l->tok[2]);
			snprintf(c->chain, sizeof(c->chain), "%s", l->tok[3]);
			snprintf(c->hook, sizeof(c->hook), "%s", l->tok[4]);
			c->prio = atoi(l->tok[5]);
			snprintf(c->policy, sizeof(c->policy), "%s", l->tok[6]);
			c->netns = l->ntok > 7 ? (uint32_t)strtoul(l->tok[7], NULL, 10) : 4026531840u;
		} else if (!strcmp(k, "rule") && l->ntok >= 6) {
			struct rrule *r = &rules[nrules < 1023 ? nrules++ : 1023];

			snprintf(r->fam, sizeof(r->fam), "%s", l->tok[1]);
			snprintf(r->table, sizeof(r->table), "%s", l->tok[2]);
			snprintf(r->chain, sizeof(r->chain), "%s", l->tok[3]);
			r->handle = strtoull(l->tok[4], NULL, 10);
			snprintf(r->text, sizeof(r->text), "%s", l->rest[5]);
		} else if (!strcmp(k, "iface") && l->ntok >= 4) {
			append(ifaces_json, sizeof(ifaces_json), &ifaces_len, "%s{\"netns\":%s,\"ifindex\":%s,\"name\":\"%s\"}",
			       nif++ ? "," : "", l->tok[1], l->tok[2], l->tok[3]);
		} else if (!strcmp(k, "reason") && l->ntok >= 3) {
			append(reasons_json, sizeof(reasons_json), &reasons_len, "%s{\"value\":%s,\"name\":\"%s\"}",
			       nreason++ ? "," : "", l->tok[1], l->tok[2]);
		}
	}
	if (netns_len)
		append(hdr_json, sizeof(hdr_json), &hdr_len, ",\"options\":{\"netns\":[%s]}", netns_json);
	append(hdr_json, sizeof(hdr_json), &hdr_len, "}");
	append(funcs_json, sizeof(funcs_json), &funcs_len, "]}");
	append(ifaces_json, sizeof(ifaces_json), &ifaces_len, "]}");
	append(reasons_json, sizeof(reasons_json), &reasons_len, "]}");
	build_ruleset();

	if (ntl_writer_open(&w, out, &wo)) {
		fprintf(stderr, "mklog: %s\n", ntl_writer_open_error());
		return 1;
	}
	if (ntl_writer_meta(w, NTL_B_HEADER, hdr_json, hdr_len) ||
	    ntl_writer_meta(w, NTL_B_FUNCS, funcs_json, funcs_len) ||
	    ntl_writer_meta(w, NTL_B_RULESET, ruleset_json, ruleset_len) ||
	    ntl_writer_meta(w, NTL_B_IFACES, ifaces_json, ifaces_len) ||
	    ntl_writer_meta(w, NTL_B_DROP_REASONS, reasons_json, reasons_len)) {
		fprintf(stderr, "mklog: %s\n", ntl_writer_strerror(w));
		return 1;
	}
	if (ksyms_len) {
		char *kj = malloc(ksyms_len + 32);

		if (!kj)
			return 1;
		snprintf(kj, ksyms_len + 32, "{\"symbols\":[%s]}", ksyms_json);
		if (ntl_writer_meta(w, NTL_B_KSYMS, kj, strlen(kj))) {
			free(kj);
			fprintf(stderr, "mklog: %s\n", ntl_writer_strerror(w));
			return 1;
		}
		free(kj);
	}
	if (stacks_len && ntl_writer_meta(w, NTL_B_STACKS, (const char *)stacks_blk, stacks_len)) {
		fprintf(stderr, "mklog: %s\n", ntl_writer_strerror(w));
		return 1;
	}

	/* records */
	uint64_t base = BASE_TS;
	for (int i = 0; i < nlines; i++) {
		struct line *l = &lines[i];
		char *endp;

		if (!strcmp(l->tok[0], "repeat")) {
			long n = l->ntok > 1 ? atol(l->tok[1]) : 1;
			double step = l->ntok > 2 ? strtod(l->tok[2], NULL) : 10;
			int j = i + 1, end;

			if (repeat_override >= 0)
				n = repeat_override;
			while (j < nlines && strcmp(lines[j].tok[0], "end"))
				j++;
			if (j == nlines)
				die(l->lineno, "%s", "repeat without end");
			end = j;
			for (long it = 0; it < n; it++) {
				uint64_t b = base + (uint64_t)((double)it * step * 1000.0);

				nskb = 0;
				for (int k = i + 1; k < end; k++)
					record(&lines[k], b);
			}
			base += (uint64_t)((double)n * step * 1000.0);
			nskb = 0;
			i = end;
			continue;
		}
		if (!strcmp(l->tok[0], "synth")) {
			synth_on = l->ntok > 1 && !strcmp(l->tok[1], "on");
			continue;
		}
		strtod(l->tok[0], &endp);
		if (endp == l->tok[0])
			continue; /* a declaration */
		record(l, base);
	}
	if (trailer) {
		char tj[512];

		snprintf(tj, sizeof(tj), "{\"end_mono_ns\":%llu,\"events\":%llu,\"clean\":true,\"lost\":[]}",
			 (unsigned long long)base, (unsigned long long)ntl_writer_events(w));
		if (ntl_writer_close(w, tj)) {
			fprintf(stderr, "mklog: %s\n", ntl_writer_open_error());
			return 1;
		}
	} else {
		if (ntl_writer_flush(w)) {
			fprintf(stderr, "mklog: %s\n", ntl_writer_strerror(w));
			return 1;
		}
		ntl_writer_abort(w);
	}
	return 0;
}
