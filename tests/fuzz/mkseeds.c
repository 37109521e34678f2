// SPDX-License-Identifier: GPL-2.0
/*
 * mkseeds.c - writes small valid inputs for every fuzz target into
 * DIR/<target>/ (used by tests/fuzz/run.sh to seed the corpora):
 *   logr          .ntl logs made by the real writer (formats/logw.c)
 *   model         chunk streams (see fuzz_model.c) with every metadata block
 *   kallsyms      kallsyms text
 *   trace_config  trace_config.json variants
 *   btf           raw BTF blobs (vmlinux-like and split on the fuzzer's base)
 *   analyze       the logr logs (the whole analyzer pipeline reads them)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <zstd.h>

#include "common/records.h"
#include "formats/logw.h"
#include "formats/stacks.h"

static const char *root;

static const char *meta_json[] = {
	[NTL_B_HEADER] = "{\"tool\":\"nft-record\",\"tool_version\":\"0.1.0\",\"format_version\":1,"
		"\"hostname\":\"h\",\"kernel\":\"6.18.0\",\"machine\":\"x86_64\",\"clock\":\"CLOCK_MONOTONIC\","
		"\"boot_time_ns\":1764240000000000000,\"start_mono_ns\":1000,\"ncpus\":2,"
		"\"backend\":\"tracepoint\",\"filter\":\"\",\"options\":{\"max_functions\":50}}",
	[NTL_B_FUNCS] = "{\"functions\":[{\"id\":0,\"name\":\"ip_rcv\",\"layer\":\"IPv4\",\"priority\":0,"
		"\"kind\":\"skb\",\"arg\":1,\"module\":\"\",\"addr\":\"0xffffffff81a2b3c0\"},"
		"{\"id\":1,\"name\":\"net:netif_receive_skb\",\"layer\":\"Device\",\"priority\":0,"
		"\"kind\":\"tracepoint\",\"arg\":1,\"module\":\"\",\"addr\":\"0x0\"},"
		"{\"id\":2,\"name\":\"skb:kfree_skb\",\"layer\":\"Other\",\"priority\":0,"
		"\"kind\":\"tracepoint\",\"arg\":1,\"module\":\"\",\"addr\":\"0x0\"}]}",
	[NTL_B_KSYMS] = "{\"symbols\":[{\"addr\":\"0xffffffff81a2b3c0\",\"name\":\"ip_rcv\",\"module\":\"\"},"
		"{\"addr\":\"0xffffffff81a00000\",\"name\":\"kfree_skb_reason\",\"size\":256},"
		"{\"addr\":\"0xffffffffc0001000\",\"name\":\"br_handle_frame\",\"module\":\"bridge\"}]}",
	[NTL_B_RULESET] = "{\"tables\":[{\"netns\":4026531840,\"family\":\"inet\",\"name\":\"filter\",\"handle\":1,"
		"\"chains\":[{\"name\":\"input\",\"handle\":1,\"type\":\"filter\",\"hook\":\"input\",\"prio\":0,"
		"\"policy\":\"accept\",\"rules\":[{\"handle\":4,\"text\":\"tcp dport 22 accept\"},"
		"{\"handle\":5,\"text\":\"jump sub\"}]},{\"name\":\"sub\",\"handle\":2,"
		"\"rules\":[{\"handle\":6,\"text\":\"drop\"}]}]}]}",
	[NTL_B_IFACES] = "{\"interfaces\":[{\"netns\":4026531840,\"ifindex\":2,\"name\":\"eth0\"}]}",
	[NTL_B_DROP_REASONS] = "{\"reasons\":[{\"value\":2,\"name\":\"NOT_SPECIFIED\"},"
		"{\"value\":6,\"name\":\"NETFILTER_DROP\"}]}",
	[NTL_B_TRAILER] = "{\"end_mono_ns\":987654321,\"events\":9,\"packets\":2,"
		"\"lost\":[{\"cpu\":0,\"source\":\"ringbuf\",\"count\":3}],\"clean\":true}",
};
static const int meta_types[] = { NTL_B_HEADER, NTL_B_FUNCS, NTL_B_KSYMS, NTL_B_RULESET,
				  NTL_B_IFACES, NTL_B_DROP_REASONS };

/* A STACKS block: stack 1 (a drop), 2 (a hit), 3 with a frame no symbol covers */
static size_t stacks_block(uint8_t *buf, size_t cap)
{
	static const uint64_t f1[] = { 0xffffffff81a00040ull, 0xffffffff81a2b3e0ull },
			      f2[] = { 0xffffffff81a2b3c4ull }, f3[] = { 0x10, 0xffffffffc0001010ull };
	size_t len;

	ntl_stacks_init(buf, cap, &len);
	ntl_stacks_add(buf, cap, &len, 1, f1, 2);
	ntl_stacks_add(buf, cap, &len, 2, f2, 1);
	ntl_stacks_add(buf, cap, &len, 3, f3, 2);
	return len;
}

/* A small packet story: two packets, nft chain + rules, a clone, a drop, a loss. */
static size_t make_records(uint8_t *buf, size_t cap, size_t *offs, size_t *lens)
{
	struct nt_ev_meta me = { .h = { NT_EV_META, 0, 0, 0, 1000, 0x10 } };
	struct nt_ev_func fn = { .h = { NT_EV_FUNC, 0, 0, 0, 1100, 0x10 } };
	struct nt_ev_nft_chaindef cd = { .h = { NT_EV_NFT_CHAINDEF, 0, 0, 0, 0, 0 },
		.chain_key = 7, .table = "filter", .chain = "input", .family = 1,
		.hook = NT_HOOK_INPUT, .policy = 1, .base = 1, .netns = 4026531840u };
	struct nt_ev_nft_chain ch = { .h = { NT_EV_NFT_CHAIN, 0, 0, 0, 1200, 0x10 },
		.chain_key = 7, .verdict = NT_V_NONE, .phase = NT_CHAIN_ENTER, .family = 1,
		.hook = NT_HOOK_INPUT, .trace_id = 42 };
	struct nt_ev_nft_rule ru = { .h = { NT_EV_NFT_RULE, 0, 0, 0, 1300, 0 },
		.chain_key = 7, .rule_handle = 4, .verdict = NT_V_ACCEPT, .trace_id = 42,
		.kind = NT_RULE_KIND_RULE, .family = 1, .hook = NT_HOOK_INPUT };
	struct nt_ev_nft_chain cx = ch;
	struct nt_ev_link ln = { .h = { NT_EV_LINK, 0, 1, 0, 1400, 0x20 }, .parent = 0x10,
		.kind = NT_LINK_CLONE };
	struct nt_ev_free fr = { .h = { NT_EV_FREE, 0, 0, 2, 1500, 0x10 } };
	struct nt_ev_drop dr = { .h = { NT_EV_DROP, 0, 1, 2, 1600, 0x20 },
		.location = 0xffffffff81a2b3c0ull, .reason = 6 };
	struct nt_ev_meta m6 = { .h = { NT_EV_META, 0, 1, 1, 2000, 0x30 } };
	struct nt_ev_loss ls = { .h = { NT_EV_LOSS, 0, 0xffff, 0, 2100, 0 }, .count = 3,
		.source = NT_LOSS_RINGBUF };
	struct nt_ev_loss lst = { .h = { NT_EV_LOSS, 0, 1, 0, 2200, 0 }, .count = 2, .source = NT_LOSS_STACK };
	struct nt_ev_ct ct = { .h = { NT_EV_CT, 0, 0, 1, 1110, 0x10 }, .have = 0xff,
		.state = NT_CT_STATE_NEW, .status = NT_CT_S_CONFIRMED | NT_CT_S_SRC_NAT_DONE, .l3 = NT_L3_IPV4,
		.l4proto = 6, .orig = { .sport = 54321, .dport = 22 }, .reply = { .sport = 22, .dport = 1024 } };
	static _Alignas(8) uint8_t by[sizeof(struct nt_ev_bytes) + 64];
	struct nt_ev_bytes *b = (struct nt_ev_bytes *)by;
	struct nt_ev_stackref sr = { .h = { NT_EV_STACKREF, 0, 0, 0, 1120, 0x10 }, .stack_id = 2 };
	const void *recs[] = { &cd, &me, &fn, &ct, by, &sr, &ch, &ru, &cx, &ln, &fr, &dr, &m6, &ls, &lst };
	size_t n = sizeof(recs) / sizeof(recs[0]), off = 0;

	memset(by, 0, sizeof(by));
	b->h.type = NT_EV_BYTES;
	b->h.ts_ns = 1105;
	b->h.skb = 0x10;
	b->reclen = sizeof(by);
	b->caplen = 60;
	b->origlen = 60;
	b->link = NT_BYTES_MAC;
	b->net_off = 14;
	b->why = NT_BYTES_FIRST;
	b->ethertype = 0x0800;
	b->ifindex = 2;
	b->netns = 4026531840u;
	memcpy(b->data + 12, "\x08\x00\x45\x00\x00\x2e", 6);
	dr.stack_id = 1;
	me.saddr[0] = 10; me.saddr[3] = 1; me.daddr[0] = 10; me.daddr[3] = 2;
	me.sport = 54321; me.dport = 22; me.ethertype = 0x0800; me.l4proto = 6;
	me.l3 = NT_L3_IPV4; me.ifindex = 2; me.netns = 4026531840u; me.len = 60;
	me.tcp_flags = 2;
	m6.daddr[0] = 0x20; m6.daddr[1] = 0x01; m6.daddr[15] = 1; m6.ethertype = 0x86dd;
	m6.l4proto = 58; m6.l3 = NT_L3_IPV6; m6.sport = 128 << 8;
	cx.h.ts_ns = 1350; cx.phase = NT_CHAIN_EXIT; cx.verdict = NT_V_ACCEPT;
	for (size_t i = 0; i < n; i++) {
		size_t l = nt_ev_len(recs[i]);
		if (off + l > cap)
			break;
		memcpy(buf + off, recs[i], l);
		offs[i] = off;
		lens[i] = l;
		off += l;
	}
	return n;
}

static FILE *open_seed(const char *target, const char *name)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", root, target);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/%s/%s", root, target, name);
	return fopen(p, "w");
}

static int put(const char *target, const char *name, const void *d, size_t len)
{
	FILE *f = open_seed(target, name);

	if (!f)
		return -errno;
	fwrite(d, 1, len, f);
	return fclose(f) ? -errno : 0;
}

static int log_seed_coding(const char *name, int trailer, int all_meta, uint32_t block_bytes,
			   int coding)
{
	struct ntl_writer_opts o = { .sz = sizeof(o), .force = 1, .block_bytes = block_bytes,
				     .coding = coding };
	struct ntl_writer *w;
	uint8_t buf[2048];
	size_t offs[16], lens[16], n;
	char p[512];

	snprintf(p, sizeof(p), "%s/logr", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/logr/%s", root, name);
	if (ntl_writer_open(&w, p, &o)) {
		fprintf(stderr, "mkseeds: %s\n", ntl_writer_open_error());
		return -1;
	}
	for (size_t i = 0; i < (all_meta ? 6u : 1u); i++)
		ntl_writer_meta(w, (uint16_t)meta_types[i], meta_json[meta_types[i]],
				strlen(meta_json[meta_types[i]]));
	if (all_meta) {
		uint8_t sb[256];
		size_t sl = stacks_block(sb, sizeof(sb));

		ntl_writer_meta(w, NTL_B_STACKS, (const char *)sb, sl);
	}
	n = make_records(buf, sizeof(buf), offs, lens);
	for (size_t i = 0; i < n; i++)
		ntl_writer_event(w, buf + offs[i], lens[i]);
	if (!trailer) {
		ntl_writer_flush(w);
		ntl_writer_abort(w);
		return 0;
	}
	return ntl_writer_close(w, meta_json[NTL_B_TRAILER]);
}

/* a log of the default EVENTS coding (3) */
static int log_seed(const char *name, int trailer, int all_meta, uint32_t block_bytes)
{
	return log_seed_coding(name, trailer, all_meta, block_bytes, 0);
}

/* Copy of logr/SRC with every block stored raw (flag ZSTD cleared), so that
 * mutations reach the EVENTS column decoder instead of the zstd checks. */
static int raw_copy(const char *src, const char *dst)
{
	static uint8_t in[1 << 16], out[1 << 18], raw[1 << 16];
	char p[512];
	size_t n, o = 16, off = 16;
	FILE *f;

	snprintf(p, sizeof(p), "%s/logr/%s", root, src);
	f = fopen(p, "rb");
	if (!f)
		return -1;
	n = fread(in, 1, sizeof(in), f);
	fclose(f);
	if (n < 16)
		return -1;
	memcpy(out, in, 16);
	while (off + 16 <= n) {
		uint16_t flags = (uint16_t)(in[off + 6] | in[off + 7] << 8);
		uint32_t stored, rawlen;
		size_t r;

		memcpy(&stored, in + off + 8, 4);
		memcpy(&rawlen, in + off + 12, 4);
		if (off + 16 + stored > n || rawlen > sizeof(raw) || o + 16 + rawlen > sizeof(out))
			return -1;
		if (flags & 1) {
			r = ZSTD_decompress(raw, sizeof(raw), in + off + 16, stored);
			if (ZSTD_isError(r) || r != rawlen)
				return -1;
		} else {
			memcpy(raw, in + off + 16, stored);
		}
		memcpy(out + o, in + off, 16);
		flags &= (uint16_t)~1u;
		out[o + 6] = (uint8_t)flags;
		out[o + 7] = (uint8_t)(flags >> 8);
		memcpy(out + o + 8, &rawlen, 4);
		memcpy(out + o + 16, raw, rawlen);
		o += 16 + rawlen;
		off += 16 + stored;
	}
	return put("logr", dst, out, o);
}

static void model_seeds(void)
{
	uint8_t out[8192], buf[2048];
	size_t offs[16], lens[16], n, o = 0;

	for (size_t i = 0; i < 6; i++) {
		const char *j = meta_json[meta_types[i]];
		size_t l = strlen(j);
		out[o++] = 0x80;
		out[o++] = (uint8_t)meta_types[i];
		out[o++] = (uint8_t)l;
		out[o++] = (uint8_t)(l >> 8);
		memcpy(out + o, j, l);
		o += l;
		/* one seed per block alone too */
		uint8_t one[2048];
		char nm[32];
		memcpy(one, out + o - l - 4, l + 4);
		snprintf(nm, sizeof(nm), "meta_%d", meta_types[i]);
		put("model", nm, one, l + 4);
	}
	{
		uint8_t sb[256];
		size_t sl = stacks_block(sb, sizeof(sb));

		out[o++] = 0x80;
		out[o++] = NTL_B_STACKS;
		out[o++] = (uint8_t)sl;
		out[o++] = (uint8_t)(sl >> 8);
		memcpy(out + o, sb, sl);
		o += sl;
		put("model", "meta_7", out + o - sl - 4, sl + 4);
	}
	n = make_records(buf, sizeof(buf), offs, lens);
	for (size_t i = 0; i < n; i++) {
		const struct nt_ev_hdr *h = (const void *)(buf + offs[i]);

		out[o++] = h->type & 0x0f; /* op = record type (fuzz_model.c) */
		if (nt_ev_is_var(h->type)) /* a variable record: its caplen byte, then the record */
			out[o++] = (uint8_t)(lens[i] - nt_ev_size(h->type));
		memcpy(out + o, buf + offs[i], lens[i]);
		o += lens[i];
	}
	put("model", "story", out, o);
}

static void kallsyms_seeds(void)
{
	static const char k1[] =
		"ffffffff81000000 T _text\n"
		"ffffffff81a2b3c0 T ip_rcv\n"
		"ffffffff81a2b400 t ip_rcv_finish\n"
		"ffffffff81a2b400 t ip_rcv_finish_core.constprop.0\n"
		"ffffffff82000000 D some_data\n"
		"ffffffffc0001000 t br_handle_frame\t[bridge]\n"
		"ffffffffc0002000 t br_handle_frame\t[bridge]\n"
		"ffffffffc0003000 T nf_conntrack_in\t[nf_conntrack]\n";
	static const char k2[] =
		"0000000000000000 T ip_rcv\n"
		"0000000000000000 t tcp_v4_rcv\n";
	static const char k3[] = "garbage line\nffffffff81a2b3c0 T\n zz T x\nffffffff81a2b3c0 T ok\n";

	put("kallsyms", "host", k1, sizeof(k1) - 1);
	put("kallsyms", "zero", k2, sizeof(k2) - 1);
	put("kallsyms", "bad", k3, sizeof(k3) - 1);
}

static void config_seeds(void)
{
	static const char c1[] =
		"{\"version\":\"1.0\",\"functions\":[{\"name\":\"ip_rcv\",\"layer\":\"IPv4\",\"priority\":0,\"enabled\":true},"
		"{\"name\":\"nft_do_chain\",\"layer\":\"Netfilter\",\"priority\":0,\"enabled\":true,\"kind\":\"nft_hook\",\"arg\":1,\"via\":\"nft_pktinfo.skb\"},"
		"{\"name\":\"br_handle_frame\",\"module\":\"bridge\",\"layer\":\"Bridge\",\"priority\":1,\"enabled\":true,\"kind\":\"skb_pp\"},"
		"{\"name\":\"net:netif_receive_skb\",\"layer\":\"Device\",\"priority\":0,\"kind\":\"tracepoint\"},"
		"{\"name\":\"no_such_fn\",\"layer\":\"Other\",\"priority\":3,\"enabled\":true},"
		"{\"name\":\"off_fn\",\"layer\":\"TCP\",\"priority\":2,\"enabled\":false}]}";
	static const char c2[] = "{\"version\":\"1.0\",\"functions\":[{\"name\":\"ip_rcv\",\"layer\":7,\"priority\":\"0\"}]}";
	static const char c3[] = "{\"version\":\"1.0\",\"functions\":[]}";

	put("trace_config", "full", c1, sizeof(c1) - 1);
	put("trace_config", "types", c2, sizeof(c2) - 1);
	put("trace_config", "empty", c3, sizeof(c3) - 1);
}

/* Same ids as fuzz_btf.c's base: 1 int, 2 sk_buff, 3 sk_buff *, 4 nft_pktinfo,
 * 5 nft_pktinfo *, 6 sk_buff ** */
static void add_fn(struct btf *b, const char *name, int t1, int t2)
{
	int proto = btf__add_func_proto(b, 1);

	btf__add_func_param(b, "a", t1);
	if (t2)
		btf__add_func_param(b, "b", t2);
	btf__add_func(b, name, BTF_FUNC_GLOBAL, proto);
}

static void put_btf(const char *name, uint8_t first, struct btf *b)
{
	uint32_t sz;
	const void *raw = btf__raw_data(b, &sz);
	uint8_t *d = malloc(sz + 1);

	if (!raw || !d)
		exit(1);
	d[0] = first;
	memcpy(d + 1, raw, sz);
	put("btf", name, d, sz + 1);
	free(d);
}

static void btf_seeds(void)
{
	struct btf *b = btf__new_empty(), *base, *s;
	int I, skb, pskb, pkt, ppkt, ppskb, proto, ptr;

	I = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	skb = btf__add_struct(b, "sk_buff", 232);
	btf__add_field(b, "len", I, 0, 0);
	pskb = btf__add_ptr(b, skb);
	pkt = btf__add_struct(b, "nft_pktinfo", 8);
	btf__add_field(b, "skb", pskb, 0, 0);
	ppkt = btf__add_ptr(b, pkt);
	ppskb = btf__add_ptr(b, pskb);
	base = b;
	/* vmlinux-like: same base types + functions of every kind + a tracepoint */
	b = btf__new_empty();
	I = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	skb = btf__add_struct(b, "sk_buff", 232);
	btf__add_field(b, "len", I, 0, 0);
	pskb = btf__add_ptr(b, skb);
	pkt = btf__add_struct(b, "nft_pktinfo", 8);
	btf__add_field(b, "skb", pskb, 0, 0);
	ppkt = btf__add_ptr(b, pkt);
	ppskb = btf__add_ptr(b, pskb);
	add_fn(b, "ip_rcv", pskb, I);
	add_fn(b, "__netif_receive_skb_core", ppskb, I);
	add_fn(b, "nft_do_chain", ppkt, I);
	add_fn(b, "unrelated", I, 0);
	add_fn(b, "ip_output", I, btf__add_const(b, pskb));
	btf__add_typedef(b, "skb_t", skb);
	proto = btf__add_func_proto(b, 0);
	btf__add_func_param(b, NULL, btf__add_ptr(b, 0));
	btf__add_func_param(b, NULL, pskb);
	ptr = btf__add_ptr(b, proto);
	btf__add_typedef(b, "btf_trace_netif_receive_skb", ptr);
	put_btf("vmlinux", 0, b);
	/* split on the fuzzer's base */
	s = btf__new_empty_split(base);
	add_fn(s, "br_handle_frame", ppskb, 0);
	add_fn(s, "nft_do_chain_bridge", ppkt, 0);
	add_fn(s, "mod_fn", I, pskb);
	put_btf("module", 1, s);
	btf__free(s);
	btf__free(b);
	btf__free(base);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkseeds DIR\n");
		return 2;
	}
	root = argv[1];
	mkdir(root, 0755);
	if (log_seed("full.ntl", 1, 1, 0) || log_seed("header_only.ntl", 1, 0, 0) ||
	    log_seed("small_blocks.ntl", 1, 1, 256) || log_seed("no_trailer.ntl", 0, 1, 0))
		return 1;
	/* format 2.0's EVENTS coding 1, still read */
	if (log_seed_coding("full_c1.ntl", 1, 1, 0, 1) || log_seed_coding("small_blocks_c1.ntl", 1, 1, 256, 1) ||
	    raw_copy("full_c1.ntl", "full_c1_raw.ntl") || raw_copy("small_blocks_c1.ntl", "small_blocks_c1_raw.ntl"))
		return 1;
	/* format 2.1's EVENTS coding 2, still read */
	if (log_seed_coding("full_c2.ntl", 1, 1, 0, 2) || log_seed_coding("small_blocks_c2.ntl", 1, 1, 256, 2) ||
	    raw_copy("full_c2.ntl", "full_c2_raw.ntl") || raw_copy("small_blocks_c2.ntl", "small_blocks_c2_raw.ntl"))
		return 1;
	if (raw_copy("full.ntl", "full_raw.ntl") || raw_copy("small_blocks.ntl", "small_blocks_raw.ntl"))
		return 1;
	for (size_t i = 0; i < 6; i++) {
		static const char *names[] = { "full.ntl", "header_only.ntl", "small_blocks.ntl",
					       "no_trailer.ntl", "full_raw.ntl", "small_blocks_raw.ntl" };
		char p[512];
		uint8_t buf[1 << 14];
		size_t n;
		FILE *f;

		snprintf(p, sizeof(p), "%s/logr/%s", root, names[i]);
		f = fopen(p, "rb");
		if (!f)
			return 1;
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		put("analyze", names[i], buf, n);
	}
	model_seeds();
	kallsyms_seeds();
	config_seeds();
	btf_seeds();
	return 0;
}
