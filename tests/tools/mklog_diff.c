// SPDX-License-Identifier: GPL-2.0
/*
 * mklog_diff - test-only writer of .ntl logs from a small scenario text, used
 * for the diff / timeline / flame / report samples (the .scn files in samples/diff/).
 *
 *   mklog_diff SCENARIO OUT.ntl
 *
 * Scenario lines ('#' starts a comment):
 *   host NAME
 *   func NAME LAYER                      function ids 0, 1, ... in order
 *   chain KEY FAMILY TABLE CHAIN HOOK PRIO POLICY   HOOK "-" = regular chain
 *   rule KEY HANDLE TEXT...              rule text of the RULESET snapshot
 *   reason VALUE NAME                    drop reason name
 *   pkt T_US PROTO SADDR SPORT DADDR DPORT [repeat=N] [gap=US]
 *     then steps, one per line, until "end"; each step starts with +DT (µs
 *     after the previous step):
 *       +DT f NAME          function hit on the current skb
 *       +DT ce KEY          base chain enter     +DT cx KEY VERDICT   chain exit
 *       +DT r KEY HANDLE VERDICT   rule verdict   +DT pol KEY VERDICT  policy
 *       +DT ret KEY         return from a regular chain
 *       +DT drop REASON FUNC   drop (kernel reason value) at function FUNC
 *       +DT free            current skb freed (at "skb:consume_skb" when declared)
 *       +DT ifree           inferred free (NT_F_INFERRED: the recorder saw the address reused)
 *       +DT clone N         new skb N cloned from the current one (becomes current)
 *       +DT skb N           switch to skb N (no record)
 *   repeat=N writes the packet N times, starting gap µs apart (default 1000).
 *   T_US counts from monotonic time 1 s (the header's start_mono_ns).
 * Packets must not overlap in time (records are written in order).
 * Exit 0 ok, 2 bad scenario (one line on stderr naming the line).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "formats/logw.h"

#define MAX_FUNCS 256
#define MAX_CHAINS 64
#define MAX_RULES 256
#define MAX_REASONS 64
#define MAX_STEPS 256
#define MAX_BRANCH 8

struct chain { uint64_t key; char fam[16], table[64], chain[64], hook[32], policy[16]; int prio; };
struct rule { uint64_t key, handle; char text[256]; };
struct step { double dt; char op[8]; char a[64], b[64], c[64]; };

static char host[64] = "testhost";
static char funcs[MAX_FUNCS][64], layers[MAX_FUNCS][32];
static int nfuncs;
static struct chain chains[MAX_CHAINS];
static int nchains;
static struct rule rules[MAX_RULES];
static int nrules;
static int reason_val[MAX_REASONS];
static char reason_name[MAX_REASONS][64];
static int nreasons;
static struct ntl_writer *w;
static uint64_t last_ts, pkt_seq;
static const char *scn;
static int lineno;

static void die(const char *what)
{
	fprintf(stderr, "mklog_diff: %s:%d: %s\n", scn, lineno, what);
	if (w)
		ntl_writer_abort(w);
	exit(2);
}

static int func_id(const char *name)
{
	for (int i = 0; i < nfuncs; i++)
		if (!strcmp(funcs[i], name))
			return i;
	die("unknown function (declare it with 'func NAME LAYER')");
	return -1;
}

static int32_t verdict_parse(const char *s)
{
	static const struct { const char *n; int32_t v; } tab[] = {
		{ "drop", NT_V_DROP }, { "accept", NT_V_ACCEPT }, { "stolen", NT_V_STOLEN },
		{ "queue", NT_V_QUEUE }, { "continue", NT_V_CONTINUE }, { "jump", NT_V_JUMP },
		{ "goto", NT_V_GOTO }, { "return", NT_V_RETURN },
	};
	for (unsigned i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcmp(tab[i].n, s))
			return tab[i].v;
	die("unknown verdict");
	return 0;
}

static int hook_parse(const char *s)
{
	static const char *h[] = { "prerouting", "input", "forward", "output", "postrouting", "ingress", "egress" };

	for (int i = 0; i < 7; i++)
		if (!strcmp(h[i], s))
			return i;
	return NT_HOOK_NONE;
}

static int fam_parse(const char *s)
{
	if (!strcmp(s, "inet")) return 1;
	if (!strcmp(s, "ip")) return 2;
	if (!strcmp(s, "ip6")) return 10;
	if (!strcmp(s, "bridge")) return 7;
	if (!strcmp(s, "netdev")) return 5;
	return 0;
}

static struct chain *chain_get(const char *k)
{
	uint64_t key = strtoull(k, NULL, 0);

	for (int i = 0; i < nchains; i++)
		if (chains[i].key == key)
			return &chains[i];
	die("unknown chain key (declare it with 'chain')");
	return NULL;
}

static void put(const void *rec, size_t len)
{
	if (ntl_writer_event(w, rec, len))
		die(ntl_writer_strerror(w));
}

static void json_str(FILE *f, const char *s)
{
	putc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putc('\\', f);
		putc(*s, f);
	}
	putc('"', f);
}

static void write_meta(void)
{
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	fprintf(f, "{\"tool\":\"mklog_diff\",\"tool_version\":\"0.1.0\",\"format_version\":%d,"
		"\"hostname\":\"%s\",\"kernel\":\"6.1.0-test\",\"machine\":\"x86_64\","
		"\"clock\":\"CLOCK_MONOTONIC\",\"boot_time_ns\":1764240000000000000,"
		"\"start_mono_ns\":1000000000,\"start_time\":\"2026-11-27T12:00:00Z\",\"ncpus\":2,"
		"\"byte_order\":\"little\",\"backend\":\"test\"}", NT_FORMAT_VERSION, host);
	fclose(f);
	if (ntl_writer_meta(w, NTL_B_HEADER, buf, len))
		die(ntl_writer_strerror(w));
	free(buf);

	f = open_memstream(&buf, &len);
	fputs("{\"functions\":[", f);
	for (int i = 0; i < nfuncs; i++)
		fprintf(f, "%s{\"id\":%d,\"name\":\"%s\",\"layer\":\"%s\",\"priority\":0,\"kind\":\"skb\","
			"\"arg\":1,\"module\":\"\",\"addr\":\"0x0\"}", i ? "," : "", i, funcs[i], layers[i]);
	fputs("]}", f);
	fclose(f);
	if (ntl_writer_meta(w, NTL_B_FUNCS, buf, len))
		die(ntl_writer_strerror(w));
	free(buf);

	f = open_memstream(&buf, &len);
	fputs("{\"tables\":[", f);
	for (int i = 0; i < nchains; i++) {
		struct chain *c = &chains[i];
		int n = 0;

		fprintf(f, "%s{\"netns\":0,\"family\":\"%s\",\"name\":\"%s\",\"handle\":%d,\"chains\":[{\"name\":\"%s\","
			"\"handle\":%d,", i ? "," : "", c->fam, c->table, i + 1, c->chain, i + 1);
		if (strcmp(c->hook, "-"))
			fprintf(f, "\"type\":\"filter\",\"hook\":\"%s\",\"prio\":%d,\"policy\":\"%s\",", c->hook,
				c->prio, c->policy);
		fputs("\"rules\":[", f);
		for (int j = 0; j < nrules; j++) {
			if (rules[j].key != c->key)
				continue;
			fprintf(f, "%s{\"handle\":%llu,\"text\":", n++ ? "," : "", (unsigned long long)rules[j].handle);
			json_str(f, rules[j].text);
			putc('}', f);
		}
		fputs("]}]}", f);
	}
	fputs("]}", f);
	fclose(f);
	if (ntl_writer_meta(w, NTL_B_RULESET, buf, len))
		die(ntl_writer_strerror(w));
	free(buf);

	f = open_memstream(&buf, &len);
	fputs("{\"reasons\":[", f);
	for (int i = 0; i < nreasons; i++)
		fprintf(f, "%s{\"value\":%d,\"name\":\"%s\"}", i ? "," : "", reason_val[i], reason_name[i]);
	fputs("]}", f);
	fclose(f);
	if (ntl_writer_meta(w, NTL_B_DROP_REASONS, buf, len))
		die(ntl_writer_strerror(w));
	free(buf);

	static const char ifs[] = "{\"interfaces\":[{\"netns\":0,\"ifindex\":2,\"name\":\"eth0\"}]}";
	if (ntl_writer_meta(w, NTL_B_IFACES, ifs, sizeof(ifs) - 1))
		die(ntl_writer_strerror(w));

	for (int i = 0; i < nchains; i++) {
		struct chain *c = &chains[i];
		struct nt_ev_nft_chaindef d = { .h = { .type = NT_EV_NFT_CHAINDEF }, .chain_key = c->key };

		snprintf(d.table, sizeof(d.table), "%s", c->table);
		snprintf(d.chain, sizeof(d.chain), "%s", c->chain);
		d.family = (uint8_t)fam_parse(c->fam);
		d.hook = (uint8_t)hook_parse(c->hook);
		d.base = d.hook != NT_HOOK_NONE;
		d.policy = !strcmp(c->policy, "drop") ? NT_V_DROP : NT_V_ACCEPT;
		d.prio = c->prio;
		put(&d, sizeof(d));
	}
}

static void meta_fill(struct nt_ev_meta *m, const char *proto, const char *sa, int sp, const char *da,
		      int dp)
{
	int v6 = strchr(sa, ':') != NULL;

	m->l3 = v6 ? NT_L3_IPV6 : NT_L3_IPV4;
	m->ethertype = v6 ? 0x86dd : 0x0800;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, sa, m->saddr) != 1 ||
	    inet_pton(v6 ? AF_INET6 : AF_INET, da, m->daddr) != 1)
		die("bad address");
	m->l4proto = !strcmp(proto, "tcp") ? 6 : !strcmp(proto, "udp") ? 17 : v6 ? 58 : 1;
	m->sport = (uint16_t)sp;
	m->dport = (uint16_t)dp;
	m->ifindex = 2;
	m->len = 60;
	if (m->l4proto == 6)
		m->tcp_flags = 0x02;
}

static uint32_t free_id; /* function "skb:consume_skb" when declared, else 0 */

static void emit_packet(uint64_t t0, const struct nt_ev_meta *tmpl, const struct step *st, int nst)
{
	uint64_t skbs[MAX_BRANCH] = { 0 };
	int cur = 0;
	double t = (double)t0;
	struct nt_ev_meta m = *tmpl;

	pkt_seq++;
	skbs[0] = 0xffff888000000000ull + pkt_seq * 0x1000;
	m.h.type = NT_EV_META;
	m.h.skb = skbs[0];
	m.h.ts_ns = t0;
	if (t0 < last_ts)
		die("packets overlap in time (pkt T_US must grow)");
	put(&m, sizeof(m));
	for (int i = 0; i < nst; i++) {
		const struct step *s = &st[i];
		struct nt_ev_hdr h = { 0 };
		uint64_t ts;

		t += s->dt * 1000.0;
		ts = (uint64_t)(t + 0.5);
		h.ts_ns = ts;
		h.skb = skbs[cur];
		h.cpu = (uint16_t)(pkt_seq % 2);
		if (!strcmp(s->op, "f")) {
			h.type = NT_EV_FUNC;
			h.id = (uint32_t)func_id(s->a);
			put(&h, sizeof(h));
		} else if (!strcmp(s->op, "ce") || !strcmp(s->op, "cx")) {
			struct nt_ev_nft_chain c = { .h = h };
			struct chain *ch = chain_get(s->a);

			c.h.type = NT_EV_NFT_CHAIN;
			c.chain_key = ch->key;
			c.phase = s->op[1] == 'e' ? NT_CHAIN_ENTER : NT_CHAIN_EXIT;
			c.verdict = c.phase == NT_CHAIN_EXIT ? verdict_parse(s->b) : NT_V_NONE;
			c.family = (uint8_t)fam_parse(ch->fam);
			c.hook = (uint8_t)hook_parse(ch->hook);
			put(&c, sizeof(c));
		} else if (!strcmp(s->op, "r") || !strcmp(s->op, "pol") || !strcmp(s->op, "ret")) {
			struct nt_ev_nft_rule r = { .h = h };
			struct chain *ch = chain_get(s->a);

			r.h.type = NT_EV_NFT_RULE;
			r.chain_key = ch->key;
			r.family = (uint8_t)fam_parse(ch->fam);
			r.hook = (uint8_t)hook_parse(ch->hook);
			if (s->op[0] == 'r' && s->op[1] == 0) {
				r.kind = NT_RULE_KIND_RULE;
				r.rule_handle = strtoull(s->b, NULL, 0);
				r.verdict = verdict_parse(s->c);
			} else if (s->op[0] == 'p') {
				r.kind = NT_RULE_KIND_POLICY;
				r.verdict = verdict_parse(s->b);
			} else {
				r.kind = NT_RULE_KIND_RETURN;
				r.verdict = NT_V_RETURN;
			}
			put(&r, sizeof(r));
		} else if (!strcmp(s->op, "drop")) {
			struct nt_ev_drop d = { .h = h };

			d.h.type = NT_EV_DROP;
			d.h.id = (uint32_t)func_id(s->b);
			d.reason = (uint32_t)strtoul(s->a, NULL, 0);
			d.location = 0xffffffff81000000ull + d.reason;
			put(&d, sizeof(d));
		} else if (!strcmp(s->op, "free") || !strcmp(s->op, "ifree")) {
			h.type = NT_EV_FREE;
			h.id = free_id;
			if (s->op[0] == 'i')
				h.flags = NT_F_INFERRED;
			put(&h, sizeof(h));
		} else if (!strcmp(s->op, "clone")) {
			struct nt_ev_link l = { .h = h };
			int n = atoi(s->a);

			if (n <= 0 || n >= MAX_BRANCH)
				die("clone N: N must be 1..7");
			skbs[n] = skbs[0] + (uint64_t)n * 0x100;
			l.h.type = NT_EV_LINK;
			l.h.skb = skbs[n];
			l.parent = skbs[cur];
			l.kind = NT_LINK_CLONE;
			put(&l, sizeof(l));
			cur = n;
		} else if (!strcmp(s->op, "skb")) {
			int n = atoi(s->a);

			if (n < 0 || n >= MAX_BRANCH || !skbs[n])
				die("skb N: no such skb in this packet");
			cur = n;
		} else {
			die("unknown step");
		}
		if (ts > last_ts)
			last_ts = ts;
	}
}

int main(int argc, char **argv)
{
	struct ntl_writer_opts o = { .sz = sizeof(o), .force = 1, .block_bytes = 4096 };
	char line[512];
	FILE *in;
	int meta_done = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: mklog_diff SCENARIO OUT.ntl\n");
		return 2;
	}
	scn = argv[1];
	in = fopen(scn, "r");
	if (!in) {
		fprintf(stderr, "mklog_diff: %s: %s\n", scn, strerror(errno));
		return 2;
	}
	if (ntl_writer_open(&w, argv[2], &o)) {
		fprintf(stderr, "mklog_diff: %s\n", ntl_writer_open_error());
		return 2;
	}
	while (fgets(line, sizeof(line), in)) {
		char kw[32] = "";
		char *p = strchr(line, '#');

		lineno++;
		if (p && (p == line || p[-1] == ' ' || p[-1] == '\t') && strncmp(line, "rule", 4))
			*p = 0;
		if (sscanf(line, "%31s", kw) != 1)
			continue;
		if (!strcmp(kw, "host")) {
			sscanf(line, "%*s %63s", host);
		} else if (!strcmp(kw, "func")) {
			if (nfuncs == MAX_FUNCS || sscanf(line, "%*s %63s %31s", funcs[nfuncs], layers[nfuncs]) != 2)
				die("func NAME LAYER");
			if (!strcmp(funcs[nfuncs], "skb:consume_skb"))
				free_id = (uint32_t)nfuncs;
			nfuncs++;
		} else if (!strcmp(kw, "chain")) {
			struct chain *c = &chains[nchains];
			unsigned long long key;

			if (nchains == MAX_CHAINS ||
			    sscanf(line, "%*s %llu %15s %63s %63s %31s %d %15s", &key, c->fam, c->table, c->chain,
				   c->hook, &c->prio, c->policy) != 7)
				die("chain KEY FAMILY TABLE CHAIN HOOK PRIO POLICY");
			c->key = key;
			nchains++;
		} else if (!strcmp(kw, "rule")) {
			unsigned long long key, handle;
			int off = 0;

			if (nrules == MAX_RULES || sscanf(line, "%*s %llu %llu %n", &key, &handle, &off) != 2 || !off)
				die("rule KEY HANDLE TEXT");
			rules[nrules].key = key;
			rules[nrules].handle = handle;
			snprintf(rules[nrules].text, sizeof(rules[nrules].text), "%s", line + off);
			rules[nrules].text[strcspn(rules[nrules].text, "\n")] = 0;
			nrules++;
		} else if (!strcmp(kw, "reason")) {
			if (nreasons == MAX_REASONS ||
			    sscanf(line, "%*s %d %63s", &reason_val[nreasons], reason_name[nreasons]) != 2)
				die("reason VALUE NAME");
			nreasons++;
		} else if (!strcmp(kw, "pkt")) {
			struct nt_ev_meta m = { 0 };
			struct step st[MAX_STEPS];
			int nst = 0, sp, dp, repeat = 1;
			double t0, gap = 1000;
			char proto[16], sa[64], da[64];
			char *r;

			if (!meta_done) {
				write_meta();
				meta_done = 1;
			}
			if (sscanf(line, "%*s %lf %15s %63s %d %63s %d", &t0, proto, sa, &sp, da, &dp) != 6)
				die("pkt T_US PROTO SADDR SPORT DADDR DPORT [repeat=N] [gap=US]");
			if ((r = strstr(line, "repeat=")))
				repeat = atoi(r + 7);
			if ((r = strstr(line, "gap=")))
				gap = atof(r + 4);
			meta_fill(&m, proto, sa, sp, da, dp);
			while (fgets(line, sizeof(line), in)) {
				struct step *s = &st[nst];

				lineno++;
				if (sscanf(line, "%31s", kw) != 1 || kw[0] == '#')
					continue;
				if (!strcmp(kw, "end"))
					break;
				memset(s, 0, sizeof(*s));
				if (nst == MAX_STEPS || kw[0] != '+' ||
				    sscanf(line, " +%lf %7s %63s %63s %63s", &s->dt, s->op, s->a, s->b, s->c) < 2)
					die("step: +DT OP ARGS");
				nst++;
			}
			for (int i = 0; i < repeat; i++)
				emit_packet(1000000000ull + (uint64_t)((t0 + gap * i) * 1000.0), &m, st, nst);
		} else {
			die("unknown keyword");
		}
	}
	fclose(in);
	if (!meta_done)
		write_meta();
	if (ntl_writer_close(w, "{\"clean\":true}")) {
		fprintf(stderr, "mklog_diff: %s\n", ntl_writer_open_error());
		return 2;
	}
	return 0;
}
