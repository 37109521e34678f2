/* gen_scale.c - mkhostile: the memory and time classes (many packets, records,
 * functions, chain definitions, big metadata blocks). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/tools/mkhostile/mkhostile.h"

/* ---- memory and time classes ---- */
void gen_openpkts(uint64_t n)
{
	uint64_t ts = BASE_TS;

	header("openpkts");
	simple_meta();
	for (uint64_t i = 0; i < n; i++)
		rec_hdr(NT_EV_FUNC, 8, ts += 1000, SKB(i), 0);
	trailer(ts);
}

void gen_discards(uint64_t n)
{
	uint64_t ts = BASE_TS;
	uint64_t open = n >= 20000 ? 300000 : n / 2; /* seeds: small */

	header("discards");
	simple_meta();
	for (uint64_t i = 0; i < open; i++)
		rec_hdr(NT_EV_FUNC, 8, ts += 1000, SKB(i), 0);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t skb = SKB(1000000 + 2 * i), clone = skb + 0x100;
		struct nt_ev_hdr h = { .type = NT_EV_FREE, .flags = 0x10, .id = 7, .skb = skb };

		rec_hdr(NT_EV_FUNC, 8, ts += 1000, skb, 0);
		rec_link(ts += 1000, clone, skb, NT_LINK_CLONE);
		h.ts_ns = ts += 1000;
		emit(&h, sizeof(h));
	}
	trailer(ts);
}

void gen_clones(uint64_t n)
{
	uint64_t ts = BASE_TS, skb = SKB(1);

	header("clones");
	simple_meta();
	rec_meta(ts, skb, 2, 1);
	for (uint64_t i = 0; i < n; i++)
		rec_link(ts += 100, SKB(2 + i), skb, NT_LINK_CLONE);
	rec_hdr(NT_EV_FREE, 7, ts += 100, skb, 0);
	trailer(ts);
}

/* META of a fragment of the datagram 10.0.0.1 -> 192.168.0.1 id 4242 */
static void rec_frag(uint64_t ts, uint64_t skb, uint16_t off)
{
	struct nt_ev_meta m = { .h = { .type = NT_EV_META, .ts_ns = ts, .skb = skb } };

	m.l3 = NT_L3_IPV4;
	m.ethertype = 0x0800;
	m.l4proto = 17;
	m.saddr[0] = 10;
	m.saddr[3] = 1;
	m.daddr[0] = 192;
	m.daddr[1] = 168;
	m.daddr[3] = 1;
	m.ip_id = 4242;
	m.frag_id = 4242;
	m.frag = (uint16_t)(NT_FRAG_IS | NT_FRAG_MF | (off & 0x1fff));
	m.ifindex = 2;
	m.netns = NETNS;
	m.len = 1500;
	emit(&m, sizeof(m));
}

void gen_fragmerge(uint64_t n)
{
	uint64_t ts = BASE_TS;
	uint64_t open = n >= 20000 ? 300000 : n / 2; /* seeds: small */

	header("fragmerge");
	simple_meta();
	for (uint64_t i = 0; i < open; i++)
		rec_hdr(NT_EV_FUNC, 8, ts += 1000, SKB(i), 0);
	rec_frag(ts += 1000, SKB(open), 0); /* the datagram's journey */
	for (uint64_t i = 0; i < n; i++) {
		uint64_t skb = SKB(open + 1 + 2 * i), clone = skb + 0x100;

		rec_hdr(NT_EV_FUNC, 8, ts += 1000, skb, 0);
		rec_link(ts += 1000, clone, skb, NT_LINK_CLONE);
		rec_frag(ts += 1000, skb, (uint16_t)(1 + i % 8000));
		rec_hdr(NT_EV_FREE, 7, ts += 1000, clone, 0);
		rec_hdr(NT_EV_FREE, 7, ts += 1000, skb, 0);
	}
	trailer(ts);
}

void gen_bigpacket(uint64_t n)
{
	uint64_t ts = BASE_TS, skb = SKB(1);

	header("bigpacket");
	simple_meta();
	rec_meta(ts, skb, 2, 1);
	for (uint64_t i = 0; i < n; i++)
		rec_hdr(NT_EV_FUNC, (uint32_t)(i & 1 ? 8 : 0), ts += 100, skb, 0);
	rec_hdr(NT_EV_FREE, 7, ts += 100, skb, 0);
	trailer(ts);
}

/* A RULESET document of about SIZE bytes: table "filter", chain "input",
 * rules 1.. with distinct realistic text. */
static void big_ruleset(struct jb *b, uint64_t size, uint64_t *nrules)
{
	uint64_t h = 0;

	jb_fmt(b, "{\"tables\":[{\"netns\":%u,\"family\":\"inet\",\"name\":\"filter\",\"handle\":1,"
		  "\"chains\":[{\"name\":\"input\",\"handle\":1,\"type\":\"filter\",\"hook\":\"input\","
		  "\"prio\":0,\"policy\":\"accept\",\"rules\":[", NETNS);
	while (b->len + 200 < size) {
		h++;
		jb_fmt(b, "%s{\"handle\":%llu,\"text\":\"ip saddr 10.%u.%u.%u tcp dport { 22, 80, 443, %u } "
			  "counter packets 0 bytes 0 accept comment \\\"rule %llu\\\"\"}",
		       h > 1 ? "," : "", (unsigned long long)h, (unsigned)(h >> 16 & 255),
		       (unsigned)(h >> 8 & 255), (unsigned)(h & 255), (unsigned)(1024 + h % 60000),
		       (unsigned long long)h);
	}
	JB_LIT(b, "]}]}]}");
	*nrules = h;
}

static void chaindef_filter_input(void)
{
	rec_chaindef(0x77, "filter", 6, "input", 5, NT_HOOK_INPUT, 0);
}

static void packets_hitting(uint64_t npk, uint64_t nrules, uint64_t *ts)
{
	for (uint64_t i = 0; i < npk; i++) {
		uint64_t skb = SKB(i);

		rec_meta(*ts += 1000, skb, 2, (uint32_t)i);
		rec_chain(*ts += 1000, skb, 0x77, NT_CHAIN_ENTER, 0, (uint32_t)i + 1);
		rec_rule(*ts += 1000, skb, 0x77, 1 + (nrules ? i % nrules : 0), NT_RULE_KIND_RULE,
			 NT_V_ACCEPT, 0, 0, (uint32_t)i + 1);
		rec_chain(*ts += 1000, skb, 0x77, NT_CHAIN_EXIT, NT_V_ACCEPT, (uint32_t)i + 1);
		rec_hdr(NT_EV_FREE, 7, *ts += 1000, skb, 0);
	}
}

void gen_rulesets(uint64_t n, uint64_t size)
{
	struct jb b = { 0 };
	uint64_t ts = BASE_TS, nrules;

	header("rulesets");
	simple_meta();
	big_ruleset(&b, size, &nrules);
	for (uint64_t i = 0; i < n; i++)
		meta(NTL_B_RULESET, &b);
	free(b.p);
	chaindef_filter_input();
	packets_hitting(100, nrules, &ts);
	trailer(ts);
}

void gen_longrule(uint64_t n, uint64_t size)
{
	struct jb b = { 0 };
	uint64_t ts = BASE_TS;
	char el[64];

	header("longrule");
	simple_meta();
	jb_fmt(&b, "{\"tables\":[{\"netns\":%u,\"family\":\"inet\",\"name\":\"filter\",\"handle\":1,"
		   "\"chains\":[{\"name\":\"input\",\"handle\":1,\"type\":\"filter\",\"hook\":\"input\","
		   "\"prio\":0,\"policy\":\"accept\",\"rules\":[{\"handle\":1,\"text\":\"ip saddr { ", NETNS);
	for (uint64_t i = 0; b.len + 40 < size; i++) {
		int k = snprintf(el, sizeof(el), "10.%u.%u.%u, ", (unsigned)(i >> 16 & 255),
				 (unsigned)(i >> 8 & 255), (unsigned)(i & 255));

		jb_mem(&b, el, (size_t)k);
	}
	JB_LIT(&b, "10.255.255.255 } drop\"}]}]}]}");
	meta(NTL_B_RULESET, &b);
	free(b.p);
	chaindef_filter_input();
	packets_hitting(n, 1, &ts);
	trailer(ts);
}

void gen_flame(uint64_t n)
{
	static const char *layers[] = { "Device", "GRO", "Netfilter", "IPv4", "IPv6", "TCP", "UDP",
					"Routing", "Xmit", "SoftIRQ", "Bridge", "Socket", "Other" };
	struct jb b = { 0 };
	uint64_t ts = BASE_TS;

	header("flame");
	JB_LIT(&b, "{\"functions\":[");
	funcs_std(&b);
	for (uint64_t i = 0; i < n; i++)
		jb_fmt(&b, ",{\"id\":%llu,\"name\":\"fn_%06llx_%s\",\"layer\":\"%s\",\"priority\":3,\"kind\":\"skb\",\"arg\":1}",
		       (unsigned long long)(8 + i), (unsigned long long)i, i % 7 ? "x" : "y;z",
		       layers[i % 13]);
	JB_LIT(&b, "]}");
	meta(NTL_B_FUNCS, &b);
	free(b.p);
	/* packets of 100 functions each, every function once */
	for (uint64_t i = 0; i < n; i += 100) {
		uint64_t skb = SKB(i / 100);

		rec_meta(ts += 100, skb, 2, (uint32_t)(i / 100));
		for (uint64_t k = i; k < i + 100 && k < n; k++)
			rec_hdr(NT_EV_FUNC, (uint32_t)(8 + k), ts += 100, skb, 0);
		rec_hdr(NT_EV_FREE, 7, ts += 100, skb, 0);
	}
	trailer(ts);
}

void gen_chaindefs(uint64_t n)
{
	uint64_t ts = BASE_TS;

	header("chaindefs");
	simple_meta();
	for (uint64_t i = 0; i < n; i++) {
		char t[64], c[64];
		const struct payload *p = &payloads[i % NPAY];
		size_t tn = (size_t)snprintf(t, sizeof(t), "t%llu_", (unsigned long long)i);
		size_t cn;

		memcpy(t + tn, p->s, p->n < 63 - tn ? p->n : 63 - tn);
		tn += p->n < 63 - tn ? p->n : 63 - tn;
		cn = (size_t)snprintf(c, sizeof(c), "c%llu", (unsigned long long)i);
		rec_chaindef(0x100000 + i, t, tn, c, cn, (int)(i % 5), 0);
	}
	/* packets using the first and the last definitions */
	for (uint64_t i = 0; i < 4; i++) {
		uint64_t skb = SKB(i), key = 0x100000 + (i & 1 ? n - 1 - i : i);

		rec_meta(ts += 1000, skb, 2, (uint32_t)i);
		rec_chain(ts += 1000, skb, key, NT_CHAIN_ENTER, 0, 0);
		rec_rule(ts += 1000, skb, key, 1, NT_RULE_KIND_POLICY, NT_V_ACCEPT, 0, 0, 0);
		rec_chain(ts += 1000, skb, key, NT_CHAIN_EXIT, NT_V_ACCEPT, 0);
		rec_hdr(NT_EV_FREE, 7, ts += 1000, skb, 0);
	}
	trailer(ts);
}

void gen_ifaces(uint64_t n, uint64_t size)
{
	struct jb b = { 0 };
	uint64_t ts = BASE_TS;

	header("ifaces");
	simple_meta();
	JB_LIT(&b, "{\"interfaces\":[");
	for (uint64_t i = 0; b.len + 200 < size; i++) {
		jb_fmt(&b, "%s{\"netns\":%llu,\"ifindex\":%llu,\"name\":", i ? "," : "",
		       (unsigned long long)(NETNS + i / 65536), (unsigned long long)(i % 65536 + 1));
		jb_pay(&b, "veth_with_a_long_name_", &payloads[i % NPAY], 0);
		JB_LIT(&b, "}");
	}
	JB_LIT(&b, "]}");
	for (uint64_t i = 0; i < n; i++)
		meta(NTL_B_IFACES, &b);
	free(b.p);
	for (uint64_t i = 0; i < 10; i++) {
		rec_meta(ts += 1000, SKB(i), (uint32_t)(1 + i), (uint32_t)i);
		rec_hdr(NT_EV_FREE, 7, ts += 1000, SKB(i), 0);
	}
	trailer(ts);
}
