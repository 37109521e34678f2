/* gen_names.c - mkhostile class names: every payload in every string field. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/tools/mkhostile/mkhostile.h"

/* ---- names ---- */

/* table / chain names of payload K, truncated to what a CHAINDEF holds (63) */
static size_t name63(char *dst, const char *prefix, size_t k)
{
	size_t n = (size_t)snprintf(dst, 64, "%s", prefix), m = payloads[k].n;

	if (n + m > 63)
		m = 63 - n;
	memcpy(dst + n, payloads[k].s, m);
	dst[n + m] = 0;
	return n + m;
}

static uint64_t key_base(size_t k) { return 0x1000 + k * 4; }
static uint64_t key_jump(size_t k) { return 0x1000 + k * 4 + 1; }

static void names_meta(void)
{
	struct jb b = { 0 };
	char t[64], c[64], j[64];

	/* FUNCS: ids 8 + k: hostile name, layer and module */
	JB_LIT(&b, "{\"functions\":[");
	funcs_std(&b);
	for (size_t k = 0; k < NPAY; k++) {
		jb_fmt(&b, ",{\"id\":%zu,\"name\":", 8 + k);
		jb_pay(&b, "fn_", &payloads[k], (int)(k & 1));
		JB_LIT(&b, ",\"layer\":");
		jb_pay(&b, "L", &payloads[k], 0);
		JB_LIT(&b, ",\"priority\":0,\"kind\":\"skb\",\"arg\":1,\"module\":");
		jb_pay(&b, "mod", &payloads[k], 0);
		JB_LIT(&b, ",\"addr\":\"0xffffffff81000000\"}");
	}
	JB_LIT(&b, "]}");
	meta(NTL_B_FUNCS, &b);

	/* KSYMS */
	b.len = 0;
	JB_LIT(&b, "{\"symbols\":[");
	for (size_t k = 0; k < NPAY; k++) {
		jb_fmt(&b, "%s{\"addr\":\"0x%llx\",\"name\":", k ? "," : "",
		       (unsigned long long)(0xffffffff81c0ff00ull + k * 16));
		jb_pay(&b, "ksym_", &payloads[k], (int)(k & 1));
		JB_LIT(&b, ",\"module\":");
		jb_pay(&b, "", &payloads[k], 0);
		JB_LIT(&b, "}");
	}
	jb_fmt(&b, ",{\"addr\":\"0xffffffff81c0ffee\",\"name\":\"kfree_skb_reason\",\"module\":\"\"}]}");
	meta(NTL_B_KSYMS, &b);

	/* RULESET: per payload one table holding a base chain and a regular chain */
	b.len = 0;
	JB_LIT(&b, "{\"tables\":[");
	for (size_t k = 0; k < NPAY; k++) {
		name63(t, "T", k);
		name63(c, "C", k);
		name63(j, "J", k);
		jb_fmt(&b, "%s{\"netns\":%u,\"family\":\"inet\",\"name\":", k ? "," : "", NETNS);
		jb_str(&b, t, strlen(t), (int)(k & 1));
		jb_fmt(&b, ",\"handle\":%zu,\"chains\":[{\"name\":", k + 1);
		jb_str(&b, c, strlen(c), 0);
		JB_LIT(&b, ",\"handle\":1,\"type\":\"filter\",\"hook\":\"input\",\"prio\":-150,"
			   "\"policy\":\"accept\",\"rules\":[{\"handle\":1,\"text\":");
		jb_pay(&b, "", &payloads[k], (int)(k & 1));
		JB_LIT(&b, "},{\"handle\":2,\"text\":\"");
		b.len--;
		{
			char txt[2048];
			size_t n = 0;

			n += (size_t)snprintf(txt + n, sizeof(txt) - n, "ip saddr @set_");
			memcpy(txt + n, payloads[k].s, payloads[k].n);
			n += payloads[k].n;
			n += (size_t)snprintf(txt + n, sizeof(txt) - n, " counter jump ");
			memcpy(txt + n, j, strlen(j));
			n += strlen(j);
			n += (size_t)snprintf(txt + n, sizeof(txt) - n, " comment \"");
			memcpy(txt + n, payloads[k].s, payloads[k].n);
			n += payloads[k].n;
			txt[n++] = '"';
			jb_str(&b, txt, n, 0);
		}
		JB_LIT(&b, "}]},{\"name\":");
		jb_str(&b, j, strlen(j), 0);
		JB_LIT(&b, ",\"handle\":2,\"rules\":[{\"handle\":3,\"text\":");
		jb_pay(&b, "meta mark set 1 comment ", &payloads[k], 1);
		JB_LIT(&b, "}]}]}");
	}
	JB_LIT(&b, "]}");
	meta(NTL_B_RULESET, &b);

	/* IFACES: ifindex 100 + k */
	b.len = 0;
	JB_LIT(&b, "{\"interfaces\":[");
	for (size_t k = 0; k < NPAY; k++) {
		jb_fmt(&b, "%s{\"netns\":%u,\"ifindex\":%zu,\"name\":", k ? "," : "", NETNS, 100 + k);
		jb_pay(&b, "if", &payloads[k], (int)(k & 1));
		JB_LIT(&b, "}");
	}
	JB_LIT(&b, "]}");
	meta(NTL_B_IFACES, &b);

	/* DROP_REASONS: 1000 + k */
	b.len = 0;
	JB_LIT(&b, "{\"reasons\":[{\"value\":6,\"name\":\"NETFILTER_DROP\"}");
	for (size_t k = 0; k < NPAY; k++) {
		jb_fmt(&b, ",{\"value\":%zu,\"name\":", 1000 + k);
		jb_pay(&b, "R_", &payloads[k], (int)(k & 1));
		JB_LIT(&b, "}");
	}
	JB_LIT(&b, "]}");
	meta(NTL_B_DROP_REASONS, &b);
	free(b.p);
}

void gen_names(uint64_t copies)
{
	uint64_t ts = BASE_TS;
	char t[64], c[64], j[64];

	header("names");
	names_meta();
	/* chain definitions first (as the recorder writes them: before use) */
	for (size_t k = 0; k < NPAY; k++) {
		size_t tn = name63(t, "T", k), cn = name63(c, "C", k), jn = name63(j, "J", k);

		rec_chaindef(key_base(k), t, tn, c, cn, NT_HOOK_INPUT, 0);
		rec_chaindef(key_jump(k), t, tn, j, jn, -1, 0);
	}
	{
		/* 64 bytes without NUL in both names */
		char full[64];

		memset(full, 'A', sizeof(full));
		memcpy(full, payloads[2].s, payloads[2].n < 64 ? payloads[2].n : 64);
		rec_chaindef(0xF000, full, 64, full, 64, NT_HOOK_INPUT, 1);
	}
	for (uint64_t rep = 0; rep < copies; rep++) {
		for (size_t k = 0; k <= NPAY; k++) {
			uint64_t id = rep * (NPAY + 1) + k;
			uint64_t skb = SKB(2 * id), clone = SKB(2 * id + 1);
			uint32_t trace = (uint32_t)(0x1000 + id);
			int drop = k % 2 == 1;
			size_t pk = k < NPAY ? k : 2;
			uint64_t kb = k < NPAY ? key_base(k) : 0xF000;

			rec_meta(ts += 1000, skb, (uint32_t)(100 + pk), (uint32_t)id);
			rec_hdr(NT_EV_FUNC, 0, ts += 1000, skb, 0);
			rec_hdr(NT_EV_FUNC, (uint32_t)(8 + pk), ts += 1000, skb, 0);
			rec_chain(ts += 1000, skb, kb, NT_CHAIN_ENTER, 0, trace);
			rec_rule(ts += 1000, skb, kb, 2, NT_RULE_KIND_RULE, NT_V_JUMP, key_jump(pk), 0, trace);
			rec_rule(ts += 1000, skb, key_jump(pk), 3, NT_RULE_KIND_RULE, NT_V_CONTINUE, 0, 1, trace);
			rec_rule(ts += 1000, skb, key_jump(pk), 0, NT_RULE_KIND_RETURN, NT_V_CONTINUE, 0, 1, trace);
			rec_rule(ts += 1000, skb, kb, 1, NT_RULE_KIND_RULE, drop ? NT_V_DROP : NT_V_ACCEPT, 0, 0,
				 trace);
			/* the same trace id without skb: attached by trace id */
			rec_rule(ts += 1000, 0, kb, 1, NT_RULE_KIND_RULE, drop ? NT_V_DROP : NT_V_ACCEPT, 0, 0,
				 trace);
			rec_chain(ts += 1000, skb, kb, NT_CHAIN_EXIT, drop ? NT_V_DROP : NT_V_ACCEPT, trace);
			rec_link(ts += 1000, clone, skb, NT_LINK_CLONE);
			rec_hdr(NT_EV_FUNC, (uint32_t)(8 + pk), ts += 1000, clone, 1);
			rec_hdr(NT_EV_FREE, 7, ts += 1000, clone, 1);
			if (drop)
				rec_drop(ts += 1000, skb, (uint32_t)(8 + pk), (uint32_t)(1000 + pk));
			else
				rec_hdr(NT_EV_FREE, 7, ts += 1000, skb, 0);
		}
	}
	/* an uncorrelated step, a loss record */
	rec_rule(ts += 1000, 0, key_base(0), 1, NT_RULE_KIND_RULE, NT_V_ACCEPT, 0, 0, 0xdead);
	rec_loss(ts += 1000, 0, NT_LOSS_RINGBUF, 3, 0);
	trailer(ts);
}
