/* log.c - mkhostile: the log being written, its metadata blocks and records. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/tools/mkhostile/mkhostile.h"

/* ---- the log ---- */
static struct ntl_writer *w;
const char *out_path;
/* --model-seeds: the input format of tests/fuzz/fuzz_model.c instead of a log:
 * metadata 0x80 TYPE LEN16 JSON (blocks over 64 KiB left out), records
 * TYPE|0x10 (ids kept as they are) followed by the whole record */
static FILE *model_out;

/* the output of a log class: an .ntl writer, or with MODEL the input format
 * of tests/fuzz/fuzz_model.c */
void out_open(const char *path, int force, int model)
{
	struct ntl_writer_opts wo = { .sz = sizeof(wo), .force = force };

	/* big metadata compresses well at level 1 and is written much faster */
	wo.zstd_level = 1;
	if (model) {
		model_out = fopen(path, "w");
		if (!model_out)
			die("%s: %s", path, strerror(errno));
	} else if (ntl_writer_open(&w, path, &wo)) {
		die("%s", ntl_writer_open_error());
	}
}

void out_close_model(const char *path)
{
	if (model_out) {
		if (fclose(model_out))
			die("%s: %s", path, strerror(errno));
		model_out = NULL;
	}
}


void emit(const void *rec, size_t len)
{
	if (model_out) {
		uint8_t op = (uint8_t)((((const struct nt_ev_hdr *)rec)->type & 0x0f) | 0x10);

		if (fwrite(&op, 1, 1, model_out) != 1 || fwrite(rec, 1, len, model_out) != len)
			die("%s: %s", out_path, strerror(errno));
		return;
	}
	if (ntl_writer_event(w, rec, len))
		die("%s: %s", out_path, ntl_writer_strerror(w));
}

void meta(uint16_t type, const struct jb *b)
{
	if (model_out) {
		uint8_t h[4] = { 0x80, (uint8_t)type, (uint8_t)b->len, (uint8_t)(b->len >> 8) };

		if (b->len <= 0xffff && (fwrite(h, 1, 4, model_out) != 4 ||
					 fwrite(b->p, 1, b->len, model_out) != b->len))
			die("%s: %s", out_path, strerror(errno));
		return;
	}
	if (ntl_writer_meta(w, type, b->p, b->len))
		die("%s: %s", out_path, ntl_writer_strerror(w));
}

void header(const char *cls)
{
	struct jb b = { 0 };

	jb_fmt(&b, "{\"tool\":\"mkhostile\",\"tool_version\":\"0.1.0\",\"format_version\":%d,"
		   "\"clock\":\"CLOCK_MONOTONIC\",\"byte_order\":\"little\",\"start_mono_ns\":%llu,"
		   "\"ncpus\":2,\"machine\":\"x86_64\",\"class\":\"%s\"",
		   NT_FORMAT_VERSION, (unsigned long long)BASE_TS, cls);
	if (!strcmp(cls, "names")) {
		/* every payload in the fields the analyzer prints */
		static const char *fields[] = { "hostname", "kernel", "backend", "backend_reason",
						"filter", "start_time", "mode" };

		for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
			char v[4096];
			size_t vn = (size_t)snprintf(v, sizeof(v), "%s", fields[f]);

			for (size_t k = f; k < NPAY; k += 3) {
				v[vn++] = ' ';
				memcpy(v + vn, payloads[k].s, payloads[k].n);
				vn += payloads[k].n;
			}
			jb_fmt(&b, ",\"%s\":", fields[f]);
			jb_str(&b, v, vn, (int)(f & 1));
		}
		/* the host identity of several logs (labels, stitching, export) */
		static const char *hfields[] = { "label", "hostname", "machine_id_hash", "boot_id" };

		JB_LIT(&b, ",\"host\":{");
		for (size_t f = 0; f < sizeof(hfields) / sizeof(hfields[0]); f++) {
			char v[4096];
			size_t vn = (size_t)snprintf(v, sizeof(v), "h%zu", f);

			for (size_t k = f + 1; k < NPAY; k += 4) {
				v[vn++] = ' ';
				memcpy(v + vn, payloads[k].s, payloads[k].n);
				vn += payloads[k].n;
			}
			jb_fmt(&b, "%s\"%s\":", f ? "," : "", hfields[f]);
			jb_str(&b, v, vn, (int)(f & 1));
		}
		JB_LIT(&b, "}");
	} else {
		jb_fmt(&b, ",\"hostname\":\"hostile-%s\",\"kernel\":\"6.1.0\",\"backend\":\"tracepoint\"", cls);
	}
	JB_LIT(&b, "}");
	meta(NTL_B_HEADER, &b);
	free(b.p);
}

void trailer(uint64_t end_ts)
{
	char tj[512];

	if (model_out)
		return;
	snprintf(tj, sizeof(tj), "{\"end_mono_ns\":%llu,\"events\":%llu,\"clean\":true,\"lost\":[]}",
		 (unsigned long long)end_ts, (unsigned long long)ntl_writer_events(w));
	if (ntl_writer_close(w, tj))
		die("%s: %s", out_path, ntl_writer_open_error());
}

/* standard function table entries 0..7 (the packet path tracepoints) */
static const char *std_funcs[8][2] = {
	{ "net:netif_receive_skb", "Device" }, { "net:netif_rx", "Device" },
	{ "net:napi_gro_receive_entry", "GRO" }, { "net:net_dev_queue", "Xmit" },
	{ "net:net_dev_start_xmit", "Xmit" }, { "net:net_dev_xmit", "Xmit" },
	{ "skb:kfree_skb", "Other" }, { "skb:consume_skb", "Other" },
};

void funcs_std(struct jb *b)
{
	for (int i = 0; i < 8; i++)
		jb_fmt(b, "%s{\"id\":%d,\"name\":\"%s\",\"layer\":\"%s\",\"priority\":0,\"kind\":\"tracepoint\","
			  "\"arg\":1,\"module\":\"\",\"addr\":\"0x0\"}",
		       i ? "," : "", i, std_funcs[i][0], std_funcs[i][1]);
}

void simple_meta(void)
{
	struct jb b = { 0 };

	JB_LIT(&b, "{\"functions\":[");
	funcs_std(&b);
	jb_fmt(&b, ",{\"id\":8,\"name\":\"ip_rcv\",\"layer\":\"IPv4\",\"priority\":0,\"kind\":\"skb\",\"arg\":1}"
		   ",{\"id\":9,\"name\":\"nft_do_chain\",\"layer\":\"Netfilter\",\"priority\":0,\"kind\":\"nft_hook\",\"arg\":1}]}");
	meta(NTL_B_FUNCS, &b);
	b.len = 0;
	jb_fmt(&b, "{\"interfaces\":[{\"netns\":%u,\"ifindex\":2,\"name\":\"eth0\"}]}", NETNS);
	meta(NTL_B_IFACES, &b);
	b.len = 0;
	jb_fmt(&b, "{\"reasons\":[{\"value\":2,\"name\":\"NOT_SPECIFIED\"},{\"value\":6,\"name\":\"NETFILTER_DROP\"}]}");
	meta(NTL_B_DROP_REASONS, &b);
	free(b.p);
}

void rec_meta(uint64_t ts, uint64_t skb, uint32_t ifindex, uint32_t i)
{
	struct nt_ev_meta m = { .h = { .type = NT_EV_META, .ts_ns = ts, .skb = skb, .id = 0 } };

	m.l3 = NT_L3_IPV4;
	m.ethertype = 0x0800;
	m.l4proto = 6;
	m.saddr[0] = 10;
	m.saddr[1] = (uint8_t)(i >> 16);
	m.saddr[2] = (uint8_t)(i >> 8);
	m.saddr[3] = (uint8_t)i;
	m.daddr[0] = 192;
	m.daddr[1] = 168;
	m.daddr[3] = 1;
	m.sport = (uint16_t)(1024 + i % 60000);
	m.dport = 80;
	m.ifindex = ifindex;
	m.netns = NETNS;
	m.len = 60;
	emit(&m, sizeof(m));
}

void rec_hdr(uint8_t type, uint32_t id, uint64_t ts, uint64_t skb, uint16_t cpu)
{
	struct nt_ev_hdr h = { .type = type, .id = id, .ts_ns = ts, .skb = skb, .cpu = cpu };

	emit(&h, sizeof(h)); /* FUNC and FREE are a header only */
}

void rec_drop(uint64_t ts, uint64_t skb, uint32_t func, uint32_t reason)
{
	struct nt_ev_drop d = { .h = { .type = NT_EV_DROP, .id = func, .ts_ns = ts, .skb = skb } };

	d.reason = reason;
	d.location = 0xffffffff81c0ffeeull;
	emit(&d, sizeof(d));
}

void rec_chaindef(uint64_t key, const char *table, size_t tn, const char *chain, size_t cn,
		  int hook, int full)
{
	struct nt_ev_nft_chaindef d = { .h = { .type = NT_EV_NFT_CHAINDEF } };

	d.chain_key = key;
	/* FULL: 64 bytes without a terminating NUL; else at most 63 + NUL */
	memcpy(d.table, table, tn < sizeof(d.table) - !full ? tn : sizeof(d.table) - !full);
	memcpy(d.chain, chain, cn < sizeof(d.chain) - !full ? cn : sizeof(d.chain) - !full);
	d.family = 1;
	d.hook = hook < 0 ? NT_HOOK_NONE : (uint8_t)hook;
	d.base = hook >= 0;
	d.policy = NT_V_ACCEPT;
	d.prio = hook >= 0 ? -150 : 0;
	d.netns = NETNS;
	emit(&d, sizeof(d));
}

void rec_chain(uint64_t ts, uint64_t skb, uint64_t key, int phase, int32_t verdict,
	       uint32_t trace)
{
	struct nt_ev_nft_chain c = { .h = { .type = NT_EV_NFT_CHAIN, .ts_ns = ts, .skb = skb } };

	c.chain_key = key;
	c.phase = (uint8_t)phase;
	c.verdict = phase == NT_CHAIN_ENTER ? NT_V_NONE : verdict;
	c.family = 1;
	c.hook = NT_HOOK_INPUT;
	c.trace_id = trace;
	emit(&c, sizeof(c));
}

void rec_rule(uint64_t ts, uint64_t skb, uint64_t key, uint64_t handle, int kind,
	      int32_t verdict, uint64_t target, uint8_t depth, uint32_t trace)
{
	struct nt_ev_nft_rule r = { .h = { .type = NT_EV_NFT_RULE, .ts_ns = ts, .skb = skb } };

	r.chain_key = key;
	r.rule_handle = handle;
	r.kind = (uint8_t)kind;
	r.verdict = verdict;
	r.target_key = target;
	r.depth = depth;
	r.family = 1;
	r.hook = NT_HOOK_INPUT;
	r.trace_id = trace;
	if (!skb)
		r.h.flags = NT_F_SYNTH | NT_F_UNCORRELATED;
	emit(&r, sizeof(r));
}

void rec_link(uint64_t ts, uint64_t skb, uint64_t parent, uint32_t kind)
{
	struct nt_ev_link k = { .h = { .type = NT_EV_LINK, .ts_ns = ts, .skb = skb } };

	k.parent = parent;
	k.kind = kind;
	emit(&k, sizeof(k));
}

void rec_loss(uint64_t ts, uint16_t cpu, uint32_t source, uint64_t count, uint32_t id)
{
	struct nt_ev_loss s = { .h = { .type = NT_EV_LOSS, .ts_ns = ts, .cpu = cpu, .id = id } };

	s.source = source;
	s.count = count;
	emit(&s, sizeof(s));
}
